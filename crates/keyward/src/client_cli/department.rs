//! `keyward department …`.

use super::output::{self, Fields};
use super::{input, Ctx, Paging};
use clap::{Args, Subcommand};
use keyward_client::Name;
use keyward_client::{Department, NameQuery};

#[derive(Subcommand)]
pub enum DepartmentCommand {
    /// Create a department.
    Create { name: Name },
    /// List departments.
    List(ListArgs),
    /// Show a department (name or id).
    Show { department: String },
    /// Give a department a new name.
    Rename { department: String, new_name: Name },
    /// Delete a department that no membership or token uses.
    Delete { department: String },
}

#[derive(Args)]
pub struct ListArgs {
    /// Matches the name.
    #[arg(long)]
    search: Option<String>,
    #[command(flatten)]
    paging: Paging,
}

pub async fn run(ctx: &Ctx, cmd: DepartmentCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        DepartmentCommand::Create { name } => one(ctx, &c.create_department(&name).await?),
        DepartmentCommand::List(a) => {
            let p = c
                .list_departments(&NameQuery {
                    q: a.search,
                    page: Some(a.paging.page),
                    per_page: Some(a.paging.per_page),
                })
                .await?;
            ctx.print_page(&p, &["ID", "NAME", "CREATED"], "departments", |d| {
                vec![
                    d.id.to_string(),
                    d.name.clone(),
                    output::short(Some(d.created_at)),
                ]
            })
        }
        DepartmentCommand::Show { department } => {
            let id = input::department(c, &department).await?;
            one(ctx, &c.get_department(id).await?)
        }
        DepartmentCommand::Rename {
            department,
            new_name,
        } => {
            let id = input::department(c, &department).await?;
            one(ctx, &c.update_department(id, &new_name).await?)
        }
        DepartmentCommand::Delete { department } => {
            let id = input::department(c, &department).await?;
            c.delete_department(id).await?;
            ctx.deleted(id, format!("Deleted department {department:?} ({id}).\n"))
        }
    }
}

fn one(ctx: &Ctx, d: &Department) -> anyhow::Result<()> {
    ctx.print(&d, || {
        Fields::new()
            .add("id", d.id.to_string())
            .add("name", &d.name)
            .add("created at", output::when(Some(d.created_at)))
            .render()
    })
}
