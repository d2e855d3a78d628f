//! `keyward user-type …`: roles as sets of permission strings.

use super::output::{self, Fields};
use super::{input, Ctx, Paging};
use anyhow::bail;
use clap::{Args, Subcommand};
use keyward_client::{CreateUserType, NameQuery, UpdateUserType, UserType};
use keyward_client::{Name, Permission};

#[derive(Subcommand)]
pub enum UserTypeCommand {
    /// Create a user type with its permissions.
    Create {
        name: Name,
        /// A permission such as `orders:read`, or `orders:*` for a family (repeat or
        /// separate with commas).
        #[arg(long = "permission", value_delimiter = ',', value_name = "PERMISSION")]
        permissions: Vec<Permission>,
    },
    /// List user types.
    List(ListArgs),
    /// Show a user type (name or id).
    Show { user_type: String },
    /// Rename a user type or replace its permissions. Tokens see the change at once.
    Update {
        user_type: String,
        #[arg(long)]
        name: Option<Name>,
        /// The new set of permissions, replacing the old (repeat or separate with commas).
        #[arg(
            long = "permission",
            value_delimiter = ',',
            value_name = "PERMISSION",
            conflicts_with = "no_permissions"
        )]
        permissions: Option<Vec<Permission>>,
        /// Remove every permission.
        #[arg(long)]
        no_permissions: bool,
    },
    /// Delete a user type that no membership or token uses.
    Delete { user_type: String },
}

#[derive(Args)]
pub struct ListArgs {
    /// Matches the name.
    #[arg(long)]
    search: Option<String>,
    #[command(flatten)]
    paging: Paging,
}

pub async fn run(ctx: &Ctx, cmd: UserTypeCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        UserTypeCommand::Create { name, permissions } => one(
            ctx,
            &c.create_user_type(&CreateUserType { name, permissions })
                .await?,
        ),
        UserTypeCommand::List(a) => {
            let p = c
                .list_user_types(&NameQuery {
                    q: a.search,
                    page: Some(a.paging.page),
                    per_page: Some(a.paging.per_page),
                })
                .await?;
            ctx.print_page(&p, &["ID", "NAME", "PERMISSIONS"], "user types", |u| {
                vec![
                    u.id.to_string(),
                    u.name.clone(),
                    output::list(&u.permissions),
                ]
            })
        }
        UserTypeCommand::Show { user_type } => {
            let id = input::user_type(c, &user_type).await?;
            one(ctx, &c.get_user_type(id).await?)
        }
        UserTypeCommand::Update {
            user_type,
            name,
            permissions,
            no_permissions,
        } => {
            let up = UpdateUserType {
                name,
                permissions: if no_permissions {
                    Some(vec![])
                } else {
                    permissions
                },
            };
            if up.name.is_none() && up.permissions.is_none() {
                bail!("nothing to change: give --name, --permission or --no-permissions");
            }
            let id = input::user_type(c, &user_type).await?;
            one(ctx, &c.update_user_type(id, &up).await?)
        }
        UserTypeCommand::Delete { user_type } => {
            let id = input::user_type(c, &user_type).await?;
            c.delete_user_type(id).await?;
            ctx.deleted(id, format!("Deleted user type {user_type:?} ({id}).\n"))
        }
    }
}

fn one(ctx: &Ctx, u: &UserType) -> anyhow::Result<()> {
    ctx.print(&u, || {
        Fields::new()
            .add("id", u.id.to_string())
            .add("name", &u.name)
            .add("permissions", output::list(&u.permissions))
            .add("created at", output::when(Some(u.created_at)))
            .render()
    })
}
