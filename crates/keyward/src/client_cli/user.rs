//! `keyward user …` and `keyward user membership …`. Passwords are read from standard
//! input, never from flags.

use super::input::{self, Clearable};
use super::output::{self, Columns, Fields, Table};
use super::{Ctx, Paging};
use anyhow::bail;
use clap::{Args, Subcommand};
use keyward_client::Timestamp;
use keyward_client::{
    CreateUser, Membership, MembershipId, Open, UpdateUser, User, UserQuery, Users,
};
use keyward_client::{Email, Name, Username};
use time::OffsetDateTime;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user (a person or a technical user).
    Create(CreateArgs),
    /// List users.
    List(ListArgs),
    /// Show a user (username or id).
    Show { user: String },
    /// Change a user's details.
    Update(UpdateArgs),
    /// Lock a user: their tokens and sessions stop working at once.
    Lock { user: String },
    /// Unlock a user: their otherwise valid tokens work again.
    Unlock { user: String },
    /// Delete a user who owns no tokens.
    Delete { user: String },
    /// A user's memberships: a user type in a department.
    #[command(subcommand)]
    Membership(MembershipCommand),
}

#[derive(Subcommand)]
pub enum MembershipCommand {
    /// Give a user a user type in a department.
    Add {
        /// Username or id.
        user: String,
        /// Department name or id.
        #[arg(long)]
        department: String,
        /// User type name or id.
        #[arg(long)]
        user_type: String,
    },
    /// List a user's memberships.
    List { user: String },
    /// Remove a membership; tokens that use it stop working.
    Remove {
        user: String,
        /// The membership's id, as `membership list` shows it.
        membership_id: MembershipId,
    },
}

#[derive(Args)]
pub struct CreateArgs {
    #[arg(long)]
    username: Username,
    #[arg(long)]
    email: Email,
    /// Default: the username.
    #[arg(long)]
    display_name: Option<Name>,
    /// Make the user an administrator.
    #[arg(long)]
    admin: bool,
    /// A technical (machine) user.
    #[arg(long)]
    technical: bool,
    /// Start of the employment period: RFC 3339, or YYYY-MM-DD for the start of that day (UTC).
    #[arg(long, value_parser = input::start_of_day, value_name = "WHEN")]
    active_from: Option<OffsetDateTime>,
    /// End of the employment period: RFC 3339, or YYYY-MM-DD for the end of that day (UTC).
    #[arg(long, value_parser = input::end_of_day, value_name = "WHEN")]
    active_until: Option<OffsetDateTime>,
    /// Read a console and mobile login password from standard input.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct ListArgs {
    /// Matches username, email or display name.
    #[arg(long)]
    search: Option<String>,
    /// Only administrators.
    #[arg(long)]
    admins: bool,
    /// Only technical users.
    #[arg(long)]
    technical: bool,
    /// Only locked users.
    #[arg(long)]
    locked: bool,
    #[command(flatten)]
    paging: Paging,
}

#[derive(Args)]
pub struct UpdateArgs {
    user: String,
    #[arg(long)]
    email: Option<Email>,
    #[arg(long)]
    display_name: Option<Name>,
    #[arg(long, value_name = "BOOL")]
    admin: Option<bool>,
    #[arg(long, value_name = "BOOL")]
    technical: Option<bool>,
    /// RFC 3339, YYYY-MM-DD (start of that day, UTC), or `none` to clear.
    #[arg(long, value_parser = input::start_of_day_or_none, value_name = "WHEN")]
    active_from: Option<Clearable>,
    /// RFC 3339, YYYY-MM-DD (end of that day, UTC), or `none` to clear.
    #[arg(long, value_parser = input::end_of_day_or_none, value_name = "WHEN")]
    active_until: Option<Clearable>,
    /// Read a new password from standard input.
    #[arg(long, conflicts_with = "remove_password")]
    password_stdin: bool,
    /// Remove the password: no more console or mobile login.
    #[arg(long)]
    remove_password: bool,
}

pub async fn run(ctx: &Ctx, cmd: UserCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        UserCommand::Create(a) => {
            let password = if a.password_stdin {
                Some(input::read_stdin_secret("password")?)
            } else {
                None
            };
            let req = CreateUser {
                display_name: match a.display_name {
                    Some(n) => n,
                    None => Name::parse(a.username.as_str()).map_err(anyhow::Error::msg)?,
                },
                username: a.username,
                email: a.email,
                is_admin: a.admin,
                is_technical: a.technical,
                active_from: a.active_from.map(Timestamp),
                active_until: a.active_until.map(Timestamp),
                password,
            };
            one(ctx, &c.create::<Users>(&req).await?)
        }
        UserCommand::List(a) => {
            let q = a.paging.of(UserQuery {
                q: a.search,
                is_admin: a.admins.then_some(true),
                is_technical: a.technical.then_some(true),
                locked: a.locked.then_some(true),
                ..Default::default()
            });
            let columns: &Columns<User> = &[
                ("ID", |u| u.id.to_string()),
                ("USERNAME", |u| u.username.clone()),
                ("DISPLAY NAME", |u| u.display_name.clone()),
                ("EMAIL", |u| u.email.clone()),
                ("ADMIN", |u| output::yes_no(u.is_admin)),
                ("TECHNICAL", |u| output::yes_no(u.is_technical)),
                ("LOCKED", |u| output::yes_no(u.locked)),
            ];
            ctx.list::<Users>(&q, "users", columns).await
        }
        UserCommand::Show { user } => {
            let id = input::user(c, &user).await?;
            one(ctx, &c.get::<Users>(id).await?)
        }
        UserCommand::Update(a) => {
            let password = if a.password_stdin {
                Some(Some(input::read_stdin_secret("password")?))
            } else if a.remove_password {
                Some(None)
            } else {
                None
            };
            let up = UpdateUser {
                email: a.email,
                display_name: a.display_name,
                is_admin: a.admin,
                is_technical: a.technical,
                locked: None,
                active_from: a.active_from.map(|c| c.0.map(Timestamp)),
                active_until: a.active_until.map(|c| c.0.map(Timestamp)),
                password,
            };
            if serde_json::to_value(&up)?
                .as_object()
                .is_some_and(|o| o.is_empty())
            {
                bail!("nothing to change: give at least one option (see --help)");
            }
            let id = input::user(c, &a.user).await?;
            one(ctx, &c.update::<Users>(id, &up).await?)
        }
        UserCommand::Lock { user } => set_locked(ctx, &user, true).await,
        UserCommand::Unlock { user } => set_locked(ctx, &user, false).await,
        UserCommand::Delete { user } => {
            let id = input::user(c, &user).await?;
            let text = format!("Deleted user {user:?} ({id}).\n");
            ctx.delete::<Users>(id, text).await
        }
        UserCommand::Membership(m) => membership(ctx, m).await,
    }
}

async fn set_locked(ctx: &Ctx, user: &str, locked: bool) -> anyhow::Result<()> {
    let c = &ctx.client;
    let id = input::user(c, user).await?;
    let up = UpdateUser {
        locked: Some(locked),
        ..Default::default()
    };
    let u = c.update::<Users>(id, &up).await?;
    ctx.print(&u, || {
        if locked {
            format!(
                "Locked user {:?} ({}). Their tokens and sessions no longer work.\n",
                u.username, u.id
            )
        } else {
            format!(
                "Unlocked user {:?} ({}). Their otherwise valid tokens work again.\n",
                u.username, u.id
            )
        }
    })
}

async fn membership(ctx: &Ctx, cmd: MembershipCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        MembershipCommand::Add {
            user,
            department,
            user_type,
        } => {
            let uid = input::user(c, &user).await?;
            let did = input::department(c, &department).await?;
            let tid = input::user_type(c, &user_type).await?;
            let m = c.add_membership(uid, did, tid).await?;
            ctx.print(&m, || membership_fields(&m))
        }
        MembershipCommand::List { user } => {
            let uid = input::user(c, &user).await?;
            let ms = c.list_memberships(uid).await?;
            ctx.print(&ms, || {
                if ms.is_empty() {
                    return format!("User {user:?} has no memberships.\n");
                }
                let columns: &Columns<Membership> = &[
                    ("ID", |m| m.id.to_string()),
                    ("DEPARTMENT", |m| m.department_name.clone()),
                    ("USER TYPE", |m| m.user_type_name.clone()),
                    ("SINCE", |m| output::short(Some(m.created_at))),
                ];
                Table::of(columns, &ms).render()
            })
        }
        MembershipCommand::Remove {
            user,
            membership_id,
        } => {
            let uid = input::user(c, &user).await?;
            c.remove_membership(uid, membership_id).await?;
            ctx.deleted(membership_id, format!(
                    "Removed membership {membership_id} of user {user:?}. Tokens that used it no longer work.\n"
                ))
        }
    }
}

fn membership_fields(m: &Membership) -> String {
    Fields::new()
        .add("id", m.id.to_string())
        .add("user", m.user_id.to_string())
        .add(
            "department",
            format!("{} ({})", m.department_name, m.department_id),
        )
        .add(
            "user type",
            format!("{} ({})", m.user_type_name, m.user_type_id),
        )
        .add("created at", output::when(Some(m.created_at)))
        .render()
}

fn one(ctx: &Ctx, u: &Open<User>) -> anyhow::Result<()> {
    ctx.print(&u, || {
        Fields::new()
            .add("id", u.id.to_string())
            .add("username", &u.username)
            .add("display name", &u.display_name)
            .add("email", &u.email)
            .add("administrator", output::yes_no(u.is_admin))
            .add("technical", output::yes_no(u.is_technical))
            .add("locked", output::yes_no(u.locked))
            .add("active from", output::when(u.active_from))
            .add("active until", output::when(u.active_until))
            .add("has password", output::yes_no(u.has_password))
            .add("created at", output::when(Some(u.created_at)))
            .add("updated at", output::when(Some(u.updated_at)))
            .render()
    })
}
