//! `keyward department …`.

use super::output::{self, Columns, Fields};
use super::{input, Ctx, NameSearch};
use clap::Subcommand;
use keyward_client::Name;
use keyward_client::{Department, DepartmentBody, Departments, Open};

#[derive(Subcommand)]
pub enum DepartmentCommand {
    /// Create a department.
    Create { name: Name },
    /// List departments.
    List(NameSearch),
    /// Show a department (name or id).
    Show { department: String },
    /// Give a department a new name.
    Rename { department: String, new_name: Name },
    /// Delete a department that no membership or token uses.
    Delete { department: String },
}

pub async fn run(ctx: &Ctx, cmd: DepartmentCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        DepartmentCommand::Create { name } => one(
            ctx,
            &c.create::<Departments>(&DepartmentBody { name }).await?,
        ),
        DepartmentCommand::List(a) => {
            let columns: &Columns<Department> = &[
                ("ID", |d| d.id.to_string()),
                ("NAME", |d| d.name.clone()),
                ("CREATED", |d| output::short(Some(d.created_at))),
            ];
            ctx.list::<Departments>(&a.query(), "departments", columns)
                .await
        }
        DepartmentCommand::Show { department } => {
            let id = input::department(c, &department).await?;
            one(ctx, &c.get::<Departments>(id).await?)
        }
        DepartmentCommand::Rename {
            department,
            new_name,
        } => {
            let id = input::department(c, &department).await?;
            let rename = DepartmentBody { name: new_name };
            one(ctx, &c.update::<Departments>(id, &rename).await?)
        }
        DepartmentCommand::Delete { department } => {
            let id = input::department(c, &department).await?;
            let text = format!("Deleted department {department:?} ({id}).\n");
            ctx.delete::<Departments>(id, text).await
        }
    }
}

fn one(ctx: &Ctx, d: &Open<Department>) -> anyhow::Result<()> {
    ctx.print(&d, || {
        Fields::new()
            .add("id", d.id.to_string())
            .add("name", &d.name)
            .add("created at", output::when(Some(d.created_at)))
            .render()
    })
}
