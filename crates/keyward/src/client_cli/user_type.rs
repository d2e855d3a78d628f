//! `keyward user-type …`: roles as sets of permission strings.

use super::output::{self, Columns, Fields};
use super::{input, Ctx, ListFlagNames, ListFlags, NameSearch, ReplaceList};
use anyhow::bail;
use clap::Subcommand;
use keyward_client::{CreateUserType, Open, UpdateUserType, UserType, UserTypes};
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
    List(NameSearch),
    /// Show a user type (name or id).
    Show { user_type: String },
    /// Rename a user type or replace its permissions. Tokens see the change at once.
    Update {
        user_type: String,
        #[arg(long)]
        name: Option<Name>,
        #[command(flatten)]
        permissions: ReplaceList<Permission, PermissionList>,
    },
    /// Delete a user type that no membership or token uses.
    Delete { user_type: String },
}

/// `--permission` and `--no-permissions` of `user-type update`.
pub struct PermissionList;

impl ListFlags for PermissionList {
    const FLAGS: ListFlagNames = ListFlagNames {
        list: "permission",
        value_name: "PERMISSION",
        list_help: "The new set of permissions, replacing the old (repeat or separate with commas)",
        clear: "no-permissions",
        clear_help: "Remove every permission",
    };
}

pub async fn run(ctx: &Ctx, cmd: UserTypeCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        UserTypeCommand::Create { name, permissions } => one(
            ctx,
            &c.create::<UserTypes>(&CreateUserType { name, permissions })
                .await?,
        ),
        UserTypeCommand::List(a) => {
            let columns: &Columns<UserType> = &[
                ("ID", |u| u.id.to_string()),
                ("NAME", |u| u.name.clone()),
                ("PERMISSIONS", |u| output::list(&u.permissions)),
            ];
            ctx.list::<UserTypes>(&a.query(), "user types", columns)
                .await
        }
        UserTypeCommand::Show { user_type } => {
            let id = input::user_type(c, &user_type).await?;
            one(ctx, &c.get::<UserTypes>(id).await?)
        }
        UserTypeCommand::Update {
            user_type,
            name,
            permissions,
        } => {
            let up = UpdateUserType {
                name,
                permissions: permissions.change(),
            };
            if up == UpdateUserType::default() {
                bail!("nothing to change: give --name, --permission or --no-permissions");
            }
            let id = input::user_type(c, &user_type).await?;
            one(ctx, &c.update::<UserTypes>(id, &up).await?)
        }
        UserTypeCommand::Delete { user_type } => {
            let id = input::user_type(c, &user_type).await?;
            let text = format!("Deleted user type {user_type:?} ({id}).\n");
            ctx.delete::<UserTypes>(id, text).await
        }
    }
}

fn one(ctx: &Ctx, u: &Open<UserType>) -> anyhow::Result<()> {
    ctx.print(&u, || {
        Fields::new()
            .add("id", u.id.to_string())
            .add("name", &u.name)
            .add("permissions", output::list(&u.permissions))
            .add("created at", output::when(Some(u.created_at)))
            .render()
    })
}
