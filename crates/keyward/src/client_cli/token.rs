//! `keyward token …`: the API token lifecycle. Secrets are printed only by the commands
//! whose purpose is to show them (create, regenerate, reveal).

use super::output::{self, Columns, Fields};
use super::{input, Ctx, GracePeriod, Paging, Relabel, Switch};
use super::{ListFlagNames, ListFlags, ReplaceList};
use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use ipnet::IpNet;
use keyward_client::Name;
use keyward_client::Timestamp;
use keyward_client::{
    CreateToken, DepartmentId, TokenDetails, TokenId, TokenQuery, TokenWithSecret, Tokens,
    UpdateToken, UserId, UserTypeId,
};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Issue an API token for one of a user's memberships. Prints the secret, once.
    Create(CreateArgs),
    /// List API tokens, newest first.
    List(ListArgs),
    /// Show a token's details (never its secret).
    Show { id: TokenId },
    /// Rename or describe a token, enable or disable it, or change its IP allowlist.
    Update(UpdateArgs),
    /// Revoke a token: it stops working at once and stays listed as revoked.
    Revoke { id: TokenId },
    /// Delete tokens for good; several ids are deleted in one request.
    Delete {
        #[arg(required = true, num_args = 1..)]
        ids: Vec<TokenId>,
    },
    /// Give a token a new secret. Prints the secret, once.
    Regenerate {
        id: TokenId,
        #[command(flatten)]
        grace: GracePeriod,
        /// A new expiry: RFC 3339, or YYYY-MM-DD for the end of that day (UTC), at most
        /// the tenant's maximum lifetime from now. Default: the token keeps its expiry.
        #[arg(long, value_parser = input::end_of_day, value_name = "WHEN")]
        expires_at: Option<time::OffsetDateTime>,
    },
    /// End a regenerate's grace period now: the previous secret stops working at once.
    /// `token show` says how often the previous secret is still used.
    EndGrace { id: TokenId },
    /// Show a stored secret again: only when the tenant keeps secrets recoverable. Audited.
    Reveal { id: TokenId },
    /// Create the tokens a CSV or JSON file lists, 1,000 per call (each call all or none).
    /// Prints each new secret, once.
    Import(super::token_bulk::ImportArgs),
    /// Delete many tokens: ids given, read from standard input (`-`), or matched by a
    /// filter (with --yes); 1,000 per call.
    BulkDelete(super::token_bulk::BulkDeleteArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    /// A name that says what the token is for.
    #[arg(long)]
    name: Name,
    /// The owner: username or id.
    #[arg(long)]
    user: String,
    /// Department name or id; may be left out when the user has one membership.
    #[arg(long)]
    department: Option<String>,
    /// User type name or id; may be left out when it follows from the user's memberships.
    #[arg(long)]
    user_type: Option<String>,
    /// RFC 3339, or YYYY-MM-DD for the end of that day (UTC). Default: the tenant's default
    /// lifetime.
    #[arg(long, value_parser = input::end_of_day, value_name = "WHEN")]
    expires_at: Option<time::OffsetDateTime>,
    /// What the token is used for, by whom.
    #[arg(long, default_value = "", hide_default_value = true)]
    description: String,
    /// A CIDR the token may be used from (repeat or separate with commas); default: anywhere.
    #[arg(long = "allow-cidr", value_delimiter = ',', value_name = "CIDR")]
    allowed_cidrs: Vec<IpNet>,
    /// At most REQUESTS successful checks per SECONDS, e.g. 100/60 (counted per server node).
    #[arg(long, value_parser = parse_rate_limit, value_name = "REQUESTS/SECONDS")]
    rate_limit: Option<keyward_client::RateLimit>,
    /// How many successful checks the token allows in all.
    #[arg(long, value_name = "N")]
    max_uses: Option<u32>,
}

pub(super) fn parse_rate_limit(s: &str) -> Result<keyward_client::RateLimit, String> {
    let (r, w) = s
        .split_once('/')
        .ok_or("write it as REQUESTS/SECONDS, e.g. 100/60")?;
    let requests = r
        .trim()
        .parse()
        .map_err(|_| format!("{r:?} is not a number of requests"))?;
    let window_seconds = w
        .trim()
        .parse()
        .map_err(|_| format!("{w:?} is not a number of seconds"))?;
    Ok(keyward_client::RateLimit {
        requests,
        window_seconds,
    })
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum StatusFilter {
    All,
    Active,
    Expired,
    Revoked,
    Disabled,
}

impl StatusFilter {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Disabled => "disabled",
        }
    }
}

#[derive(Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t = StatusFilter::All)]
    status: StatusFilter,
    /// Only this user's tokens (username or id).
    #[arg(long)]
    user: Option<String>,
    /// Matches the token name or the owner's username.
    #[arg(long)]
    search: Option<String>,
    /// List mobile sessions instead of API tokens.
    #[arg(long)]
    mobile: bool,
    #[command(flatten)]
    paging: Paging,
}

#[derive(Args)]
pub struct UpdateArgs {
    id: TokenId,
    #[command(flatten)]
    labels: Relabel,
    #[command(flatten)]
    switch: Switch,
    #[command(flatten)]
    allowed_cidrs: ReplaceList<IpNet, AllowList>,
}

/// `--allow-cidr` and `--any-ip` of `token update`.
struct AllowList;

impl ListFlags for AllowList {
    const FLAGS: ListFlagNames = ListFlagNames {
        list: "allow-cidr",
        value_name: "CIDR",
        list_help: "Replace the IP allowlist (repeat or separate with commas)",
        clear: "any-ip",
        clear_help: "Remove the IP allowlist: the token may be used from anywhere",
    };
}

pub async fn run(ctx: &Ctx, cmd: TokenCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        TokenCommand::Create(a) => {
            let user_id = input::user(c, &a.user).await?;
            let (department_id, user_type_id) = scope(
                ctx,
                user_id,
                &a.user,
                a.department.as_deref(),
                a.user_type.as_deref(),
            )
            .await?;
            let t = c
                .create::<Tokens>(&CreateToken {
                    name: a.name,
                    user_id,
                    department_id,
                    user_type_id,
                    expires_at: a.expires_at.map(Timestamp),
                    description: a.description,
                    allowed_cidrs: a.allowed_cidrs,
                    rate_limit: a.rate_limit,
                    max_uses: a.max_uses,
                })
                .await?;
            ctx.print(&t, || with_secret("Created", &t))
        }
        TokenCommand::List(a) => {
            let user_id = match &a.user {
                Some(u) => Some(input::user(c, u).await?),
                None => None,
            };
            let q = a.paging.of(TokenQuery {
                status: Some(a.status.as_str().to_string()),
                user_id,
                q: a.search,
                kind: a.mobile.then(|| "mobile".to_string()),
                ..Default::default()
            });
            let what = if a.mobile {
                "mobile sessions"
            } else {
                "tokens"
            };
            let columns: &Columns<TokenDetails> = &[
                ("ID", |k| k.token.id.to_string()),
                ("NAME", |k| k.token.name.clone()),
                ("HINT", |k| k.token.hint.clone()),
                ("USER", |k| k.username.clone()),
                ("DEPARTMENT", |k| k.department_name.clone()),
                ("USER TYPE", |k| k.user_type_name.clone()),
                ("STATUS", |k| k.status.as_str().to_string()),
                ("EXPIRES", |k| output::short(k.token.expires_at)),
                ("LAST USED", |k| output::short(k.token.last_used_at)),
            ];
            ctx.list::<Tokens>(&q, what, columns).await
        }
        TokenCommand::Show { id } => ctx.show::<Tokens>(id, details).await,
        TokenCommand::Update(a) => {
            let up = UpdateToken {
                name: a.labels.name,
                description: a.labels.description,
                enabled: a.switch.enabled(),
                allowed_cidrs: a.allowed_cidrs.change(),
                ..Default::default()
            };
            if up == UpdateToken::default() {
                bail!("nothing to change: give --name, --description, --enable, --disable, --allow-cidr or --any-ip");
            }
            let t = c.update::<Tokens>(a.id, &up).await?;
            ctx.print(&t, || details(&t))
        }
        TokenCommand::Revoke { id } => {
            let t = c.revoke_token(id).await?;
            ctx.print(&t, || {
                format!(
                    "Revoked token {:?} ({}). It no longer works and stays listed as revoked.\n",
                    t.token.name, t.token.id
                )
            })
        }
        TokenCommand::Delete { ids } => delete(ctx, ids).await,
        TokenCommand::Regenerate {
            id,
            grace,
            expires_at,
        } => {
            let req = keyward_client::RegenerateToken {
                grace_period_seconds: grace.request().grace_period_seconds,
                expires_at: expires_at.map(Timestamp),
            };
            let t = c.regenerate::<Tokens>(id, &req).await?;
            ctx.print(&t, || {
                with_secret("Regenerated", &t) + &grace.previous_secret()
            })
        }
        TokenCommand::EndGrace { id } => {
            let t = c.end_grace(id).await?;
            ctx.print(&t, || {
                format!(
                    "Ended the grace period of token {:?} ({}): the previous secret no longer works; \
                     the current one ({}) does.\n",
                    t.token.name, t.token.id, t.token.hint
                )
            })
        }
        TokenCommand::Import(a) => super::token_bulk::import(ctx, a).await,
        TokenCommand::BulkDelete(a) => super::token_bulk::bulk_delete(ctx, a).await,
        TokenCommand::Reveal { id } => {
            let r = c.reveal::<Tokens>(id).await?;
            ctx.print(&r, || {
                output::revealed(&format!("token {}", r.id), &r.token)
            })
        }
    }
}

/// The department and user type of a new token: as given, or the user's only membership
/// that fits what was given.
pub(super) async fn scope(
    ctx: &Ctx,
    user_id: UserId,
    user: &str,
    department: Option<&str>,
    user_type: Option<&str>,
) -> anyhow::Result<(DepartmentId, UserTypeId)> {
    let c = &ctx.client;
    if let (Some(d), Some(t)) = (department, user_type) {
        return Ok((
            input::department(c, d).await?,
            input::user_type(c, t).await?,
        ));
    }
    let department_id = match department {
        Some(d) => Some(input::department(c, d).await?),
        None => None,
    };
    let user_type_id = match user_type {
        Some(t) => Some(input::user_type(c, t).await?),
        None => None,
    };
    let fits: Vec<_> = c
        .list_memberships(user_id)
        .await?
        .into_iter()
        .filter(|m| department_id.is_none_or(|d| d == m.department_id))
        .filter(|m| user_type_id.is_none_or(|t| t == m.user_type_id))
        .collect();
    match fits.as_slice() {
        [m] => Ok((m.department_id, m.user_type_id)),
        [] => bail!(
            "user {user:?} has no membership that fits; add one with `keyward user membership add`"
        ),
        many => {
            let choices: Vec<String> = many
                .iter()
                .map(|m| format!("{} / {}", m.department_name, m.user_type_name))
                .collect();
            bail!(
                "user {user:?} has several memberships ({}); choose with --department and --user-type",
                choices.join(", ")
            )
        }
    }
}

async fn delete(ctx: &Ctx, ids: Vec<TokenId>) -> anyhow::Result<()> {
    let c = &ctx.client;
    if let [id] = ids.as_slice() {
        c.delete::<Tokens>(*id).await?;
        return ctx.print(
            &serde_json::json!({ "deleted": [id], "not_found": [] }),
            || format!("Deleted token {id}.\n"),
        );
    }
    let r = c.bulk_delete::<Tokens>(&ids).await?;
    ctx.print(&r, || {
        let n = r.deleted.len();
        format!("Deleted {n} token{}.\n", if n == 1 { "" } else { "s" })
    })?;
    if !r.not_found.is_empty() {
        let missing: Vec<String> = r.not_found.iter().map(ToString::to_string).collect();
        bail!("no token has the id {}", missing.join(", "));
    }
    Ok(())
}

fn details(t: &TokenDetails) -> String {
    let mut f = Fields::new();
    f.add("id", t.token.id.to_string())
        .add("name", &t.token.name)
        .add("kind", t.token.kind.as_str())
        .add("status", t.status.as_str())
        .add("hint", &t.token.hint)
        .add("description", &t.token.description)
        .add("user", format!("{} ({})", t.username, t.token.user_id))
        .add(
            "department",
            format!("{} ({})", t.department_name, t.token.department_id),
        )
        .add(
            "user type",
            format!("{} ({})", t.user_type_name, t.token.user_type_id),
        )
        .add("enabled", output::yes_no(t.token.enabled))
        .add("recoverable", output::yes_no(t.token.recoverable))
        .add(
            "allowed from",
            if t.token.allowed_cidrs.is_empty() {
                "anywhere".into()
            } else {
                output::list(&t.token.allowed_cidrs)
            },
        )
        .add("created at", output::when(Some(t.token.created_at)))
        .add(
            "expires at",
            if t.token.expires_at.is_some() {
                output::when(t.token.expires_at)
            } else {
                "never".into()
            },
        )
        .add("last used at", output::when(t.token.last_used_at));
    if let Some(p) = &t.previous_secret {
        f.add(
            "previous secret",
            format!(
                "{} works until {}; {} (end it now with `keyward token end-grace {}`)",
                p.hint,
                output::when(Some(p.valid_until)),
                match p.last_used_at {
                    None => "not used since the regenerate".to_string(),
                    Some(at) => format!(
                        "used {} time{} since the regenerate, last at {}",
                        p.uses,
                        if p.uses == 1 { "" } else { "s" },
                        output::when(Some(at))
                    ),
                },
                t.token.id
            ),
        );
    }
    if let Some(at) = t.token.imported_at {
        f.add("imported at", output::when(Some(at)));
    }
    if t.token.revoked_at.is_some() {
        f.add("revoked at", output::when(t.token.revoked_at));
        f.add(
            "revoked by",
            t.revoked_by_name
                .clone()
                .or(t.token.revoked_by.map(|u| u.to_string()))
                .unwrap_or_else(|| "-".into()),
        );
    }
    f.render()
}

/// The one place a secret is printed for a person: with the warning that it is not shown
/// again.
fn with_secret(verb: &str, t: &TokenWithSecret) -> String {
    let d = &t.details;
    let once = if d.token.recoverable {
        format!(
            "This secret is shown only once here. This tenant keeps secrets recoverable, so an \
             administrator can reveal it again with `keyward token reveal {}` (audited).",
            d.token.id
        )
    } else {
        "This secret is shown only once: store it now, it cannot be seen again.".to_string()
    };
    format!(
        "{verb} API token {:?} for {} in {} as {}.\n\n{once}\n\n    {}\n\n\
         Send it as:  Authorization: Bearer <token>\n\n{}",
        d.token.name,
        d.username,
        d.department_name,
        d.user_type_name,
        t.token.expose(),
        details(d)
    )
}

#[cfg(test)]
mod rate_limit_flag_tests {
    use super::parse_rate_limit;

    #[test]
    fn rate_limit_flag_reads_requests_per_seconds() {
        let r = parse_rate_limit("100/60").unwrap();
        assert_eq!((r.requests, r.window_seconds), (100, 60));
        assert!(parse_rate_limit("100")
            .unwrap_err()
            .contains("REQUESTS/SECONDS"));
        assert!(parse_rate_limit("x/60").unwrap_err().contains("requests"));
    }
}
