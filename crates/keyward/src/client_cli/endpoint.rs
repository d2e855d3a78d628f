//! `keyward endpoint …` and `keyward endpoint-token …`: hosted endpoints, their primary
//! tokens and records, and the secondary tokens of external applications. Secrets are
//! printed only by the commands whose purpose is to show them.

use super::output::{self, Columns, Fields, Table};
use super::{input, Ctx, GracePeriod, Paging, Relabel, Switch};
use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use keyward_client::{
    Assignment, AuthType, CreateEndpoint, CreateEndpointToken, Endpoint, EndpointMethod,
    EndpointQuery, EndpointToken, EndpointTokenQuery, EndpointTokenWithSecret, EndpointTokens,
    EndpointWithSecrets, Endpoints, RecordQuery, UpdateEndpoint, UpdateEndpointToken,
};
use keyward_client::{EndpointPath, Name};
use keyward_client::{EndpointRecord, EndpointTokenDetails, Timestamp};

#[derive(Clone, Copy, ValueEnum)]
enum Auth {
    /// Anyone may call the endpoint.
    None,
    /// Primary tokens per method, or assigned secondary tokens.
    Token,
}

impl From<Auth> for AuthType {
    fn from(a: Auth) -> Self {
        match a {
            Auth::None => AuthType::None,
            Auth::Token => AuthType::Token,
        }
    }
}

fn method(s: &str) -> Result<EndpointMethod, String> {
    EndpointMethod::parse(s).ok_or_else(|| format!("{s:?} is not one of POST, GET, DELETE"))
}

#[derive(Subcommand)]
pub enum EndpointCommand {
    /// Create an endpoint. With --auth token, prints its primary tokens, once.
    Create(CreateArgs),
    /// List endpoints.
    List {
        /// Matches the name or the path.
        #[arg(long)]
        search: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show an endpoint (id, path or name) and its primary tokens (hints only).
    Show { endpoint: String },
    /// Change an endpoint. Primary tokens the change creates are printed, once.
    Update(UpdateArgs),
    /// Delete an endpoint with its primary tokens, assignments and records.
    Delete { endpoint: String },
    /// Give a primary token a new secret. Prints the secret, once.
    Regenerate {
        endpoint: String,
        /// POST, GET or DELETE.
        #[arg(value_parser = method)]
        method: EndpointMethod,
        #[command(flatten)]
        grace: GracePeriod,
    },
    /// Show a primary token's secret again: only when the tenant keeps secrets recoverable. Audited.
    Reveal {
        endpoint: String,
        #[arg(value_parser = method)]
        method: EndpointMethod,
    },
    /// Assign a secondary token (id or name) to an endpoint, or switch its assignment on or off.
    Assign {
        endpoint: String,
        token: String,
        /// Keep the assignment but switch it off: that application is cut off from this endpoint.
        #[arg(long)]
        disable: bool,
        /// What the application may do there, e.g. POST,GET (a new assignment allows POST
        /// only; left out, an existing one keeps its methods).
        #[arg(long, value_delimiter = ',', value_parser = method)]
        methods: Option<Vec<EndpointMethod>>,
    },
    /// Unassign a secondary token from an endpoint.
    Unassign { endpoint: String, token: String },
    /// The secondary tokens assigned to an endpoint.
    Assignments { endpoint: String },
    /// The records an endpoint received, newest first.
    Records(RecordsArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    #[arg(long)]
    name: Name,
    /// Served at /e/PATH, e.g. orders/incoming.
    #[arg(long)]
    path: EndpointPath,
    #[arg(long, value_enum, default_value_t = Auth::None)]
    auth: Auth,
    /// Serve DELETE /e/PATH/RECORD_ID (and, with --auth token, make a DELETE primary).
    #[arg(long)]
    allow_deleting: bool,
    #[arg(long, default_value = "", hide_default_value = true)]
    description: String,
    /// Create it switched off.
    #[arg(long)]
    disabled: bool,
}

#[derive(Args)]
pub struct UpdateArgs {
    endpoint: String,
    #[command(flatten)]
    labels: Relabel,
    #[arg(long)]
    path: Option<EndpointPath>,
    #[arg(long, value_enum)]
    auth: Option<Auth>,
    #[arg(long, conflicts_with = "no_deleting")]
    allow_deleting: bool,
    /// Stop serving DELETE (removes the DELETE primary).
    #[arg(long)]
    no_deleting: bool,
    #[command(flatten)]
    switch: Switch,
}

#[derive(Args)]
pub struct RecordsArgs {
    endpoint: String,
    /// Only the records of this secondary token (id or name); primaries by id.
    #[arg(long)]
    token: Option<String>,
    /// RFC 3339, or YYYY-MM-DD for the start of that day (UTC).
    #[arg(long, value_parser = input::start_of_day, value_name = "WHEN")]
    from: Option<time::OffsetDateTime>,
    /// RFC 3339, or YYYY-MM-DD for the end of that day (UTC).
    #[arg(long, value_parser = input::end_of_day, value_name = "WHEN")]
    to: Option<time::OffsetDateTime>,
    #[command(flatten)]
    paging: Paging,
}

pub async fn run(ctx: &Ctx, cmd: EndpointCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        EndpointCommand::Create(a) => {
            let e = c
                .create::<Endpoints>(&CreateEndpoint {
                    name: a.name,
                    path: a.path,
                    description: a.description,
                    auth_type: Some(a.auth.into()),
                    allow_deleting: a.allow_deleting,
                    enabled: Some(!a.disabled),
                })
                .await?;
            ctx.print(&e, || with_secrets(ctx, "Created", &e))
        }
        EndpointCommand::List { search, paging } => {
            let q = paging.of(EndpointQuery {
                q: search,
                ..Default::default()
            });
            let columns: &Columns<Endpoint> = &[
                ("ID", |e| e.id.to_string()),
                ("NAME", |e| e.name.clone()),
                ("PATH", |e| e.path.clone()),
                ("AUTH", |e| e.auth_type.as_str().into()),
                ("DELETE", |e| output::yes_no(e.allow_deleting)),
                ("ENABLED", |e| output::yes_no(e.enabled)),
            ];
            ctx.list::<Endpoints>(&q, "endpoints", columns).await
        }
        EndpointCommand::Show { endpoint } => {
            let id = input::endpoint(c, &endpoint).await?;
            ctx.show::<Endpoints>(id, |e| details(ctx, &e.endpoint, &e.primary_tokens))
                .await
        }
        EndpointCommand::Update(a) => {
            let up = UpdateEndpoint {
                name: a.labels.name,
                path: a.path,
                description: a.labels.description,
                auth_type: a.auth.map(Into::into),
                allow_deleting: input::flag(a.allow_deleting, a.no_deleting),
                enabled: a.switch.enabled(),
            };
            if up == UpdateEndpoint::default() {
                bail!("nothing to change: give --name, --path, --description, --auth, --allow-deleting, --no-deleting, --enable or --disable");
            }
            let id = input::endpoint(c, &a.endpoint).await?;
            let e = c.update::<Endpoints>(id, &up).await?;
            ctx.print(&e, || with_secrets(ctx, "Changed", &e))
        }
        EndpointCommand::Delete { endpoint } => {
            let id = input::endpoint(c, &endpoint).await?;
            let text = format!("Deleted endpoint {endpoint:?} ({id}) with its primary tokens, assignments and records.\n");
            ctx.delete::<Endpoints>(id, text).await
        }
        EndpointCommand::Regenerate {
            endpoint,
            method,
            grace,
        } => {
            let id = input::endpoint(c, &endpoint).await?;
            let t = c.regenerate_primary(id, method, &grace.request()).await?;
            ctx.print(&t, || {
                secret_text("Regenerated", &t) + &grace.previous_secret()
            })
        }
        EndpointCommand::Reveal { endpoint, method } => {
            let id = input::endpoint(c, &endpoint).await?;
            let r = c.reveal_primary(id, method).await?;
            let what = format!("the {method} primary token {}", r.id);
            ctx.print(&r, || output::revealed(&what, &r.token))
        }
        EndpointCommand::Assign {
            endpoint,
            token,
            disable,
            methods,
        } => {
            let id = input::endpoint(c, &endpoint).await?;
            let t = input::endpoint_token(c, &token).await?;
            let a = c
                .set_assignment(id, t, !disable, methods.as_deref())
                .await?;
            ctx.print(&a, || {
                format!(
                    "{} is assigned to {} (path {}) for {}; the assignment is {}.\n",
                    a.token_name,
                    a.endpoint_name,
                    a.endpoint_path,
                    a.methods
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    if a.enabled { "on" } else { "off" }
                )
            })
        }
        EndpointCommand::Unassign { endpoint, token } => {
            let id = input::endpoint(c, &endpoint).await?;
            let t = input::endpoint_token(c, &token).await?;
            c.remove_assignment(id, t).await?;
            ctx.print(
                &serde_json::json!({ "endpoint_id": id, "unassigned": t }),
                || format!("Unassigned {token:?} from {endpoint:?}.\n"),
            )
        }
        EndpointCommand::Assignments { endpoint } => {
            let id = input::endpoint(c, &endpoint).await?;
            let list = c.list_assignments(id).await?;
            ctx.print(&list, || {
                let columns: &Columns<Assignment> = &[
                    ("TOKEN ID", |a| a.token_id.to_string()),
                    ("APPLICATION", |a| a.token_name.clone()),
                    ("HINT", |a| a.token_hint.clone()),
                    ("TOKEN", |a| on_off(a.token_enabled)),
                    ("ASSIGNMENT", |a| on_off(a.enabled)),
                ];
                Table::of(columns, &list).render()
            })
        }
        EndpointCommand::Records(a) => {
            let id = input::endpoint(c, &a.endpoint).await?;
            let token_id = match &a.token {
                Some(t) => Some(input::endpoint_token(c, t).await?),
                None => None,
            };
            let q = a.paging.of(RecordQuery {
                token_id,
                from: a.from.map(Timestamp),
                to: a.to.map(Timestamp),
                ..Default::default()
            });
            let p = c.list_records(id, &q).await?;
            let columns: &Columns<EndpointRecord> = &[
                ("RECEIVED", |r| output::when(Some(r.received_at))),
                ("APPLICATION", |r| {
                    r.token_name.clone().unwrap_or_else(|| "-".into())
                }),
                ("IP", |r| r.ip.clone().unwrap_or_else(|| "-".into())),
                ("ID", |r| r.id.to_string()),
                ("BODY", |r| {
                    let mut body = r.body.to_string();
                    if body.chars().count() > 60 {
                        body = body.chars().take(59).collect::<String>() + "…";
                    }
                    body
                }),
            ];
            ctx.print_page(&p, "records", columns)
        }
    }
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.into()
}

fn details(ctx: &Ctx, e: &Endpoint, primary_tokens: &[EndpointToken]) -> String {
    let mut f = Fields::new();
    f.add("id", e.id.to_string())
        .add("name", &e.name)
        .add("path", &e.path)
        .add(
            "url",
            format!("{}/e/{}/{}", ctx.client.base_url(), e.tenant_id, e.path),
        )
        .add("description", &e.description)
        .add("authentication", e.auth_type.as_str())
        .add("allow deleting", output::yes_no(e.allow_deleting))
        .add("enabled", output::yes_no(e.enabled))
        .add("created at", output::when(Some(e.created_at)));
    let primaries: Vec<String> = primary_tokens
        .iter()
        .map(|t| format!("{} {}", t.method.map(|m| m.as_str()).unwrap_or("?"), t.hint))
        .collect();
    if !primaries.is_empty() {
        f.add("primary tokens", output::list(&primaries));
    }
    f.render()
}

/// The one place primary-token secrets are printed for a person.
fn with_secrets(ctx: &Ctx, verb: &str, e: &EndpointWithSecrets) -> String {
    let mut out = format!(
        "{verb} endpoint {:?} at /e/{}/{}.\n\n",
        e.details.endpoint.name, e.details.endpoint.tenant_id, e.details.endpoint.path
    );
    if !e.new_primary_tokens.is_empty() {
        out.push_str(once_warning(&e.new_primary_tokens[0].details));
        out.push_str("\n\n");
        for t in &e.new_primary_tokens {
            let m = t.details.method.map(|m| m.as_str()).unwrap_or("?");
            out.push_str(&format!("    {m:<6} {}\n", t.token.expose()));
        }
        out.push('\n');
    }
    out + &details(ctx, &e.details.endpoint, &e.details.primary_tokens)
}

fn once_warning(t: &EndpointToken) -> &'static str {
    if t.recoverable {
        "These secrets are shown only once here. This tenant keeps secrets recoverable, so an \
         administrator can reveal them again (audited)."
    } else {
        "These secrets are shown only once: store them now, they cannot be seen again."
    }
}

fn secret_text(verb: &str, t: &EndpointTokenWithSecret) -> String {
    let d = &t.details;
    let what = match d.method {
        Some(m) => format!("the {m} primary token"),
        None => format!("endpoint token {:?}", d.name),
    };
    let mut out = format!(
        "{verb} {what} ({}).\n\n{}\n\n    {}\n\nSend it as:  Authorization: Bearer <token>\n",
        d.id,
        once_warning(d),
        t.token.expose()
    );
    if let Some(curl) = &t.usage.curl {
        out.push_str(&format!("For example:\n\n    {}\n", curl.expose()));
    }
    out
}

#[derive(Subcommand)]
pub enum EndpointTokenCommand {
    /// Create a secondary token for an external application. Prints the secret, once.
    Create {
        /// The application's name: the data viewer shows it.
        #[arg(long)]
        name: Name,
        #[arg(long, default_value = "", hide_default_value = true)]
        description: String,
        /// Create it switched off.
        #[arg(long)]
        disabled: bool,
    },
    /// List secondary tokens: the active ones unless --status says otherwise.
    List {
        #[arg(long, value_enum, default_value_t = TokenStatus::Active)]
        status: TokenStatus,
        /// Matches the name.
        #[arg(long)]
        search: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show a secondary token (id or name) and the endpoints it is assigned to.
    Show { token: String },
    /// Rename or describe a token, switch it on or off everywhere, or deactivate it.
    Update {
        token: String,
        #[command(flatten)]
        labels: Relabel,
        /// `--disable` stops the token on every endpoint; it stays listed.
        #[command(flatten)]
        switch: Switch,
        /// Retire the token: switched off, and listed only with `--status inactive`.
        #[arg(long, conflicts_with_all = ["activate", "enable"])]
        deactivate: bool,
        /// Bring a deactivated token back to the active list, switched on.
        #[arg(long)]
        activate: bool,
    },
    /// Delete a secondary token and its assignments; its records stay.
    Delete { token: String },
    /// Give a secondary token a new secret. Prints the secret, once.
    Regenerate {
        token: String,
        #[command(flatten)]
        grace: GracePeriod,
    },
    /// Show a stored secret again: only when the tenant keeps secrets recoverable. Audited.
    Reveal { token: String },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TokenStatus {
    Active,
    Inactive,
    /// Active, and unused for the tenant's flag_unused_after_days.
    Stale,
    All,
}

impl TokenStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Stale => "stale",
            Self::All => "all",
        }
    }
}

pub async fn run_tokens(ctx: &Ctx, cmd: EndpointTokenCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        EndpointTokenCommand::Create {
            name,
            description,
            disabled,
        } => {
            let t = c
                .create::<EndpointTokens>(&CreateEndpointToken {
                    name,
                    description,
                    enabled: Some(!disabled),
                })
                .await?;
            ctx.print(&t, || {
                secret_text("Created", &t)
                    + "Assign it to endpoints with `keyward endpoint assign ENDPOINT TOKEN`.\n"
            })
        }
        EndpointTokenCommand::List {
            status,
            search,
            paging,
        } => {
            let q = paging.of(EndpointTokenQuery {
                status: Some(status.as_str().into()),
                q: search,
                ..Default::default()
            });
            let columns: &Columns<EndpointToken> = &[
                ("ID", |k| k.id.to_string()),
                ("NAME", |k| k.name.clone()),
                ("HINT", |k| k.hint.clone()),
                ("ENABLED", |k| output::yes_no(k.enabled)),
                ("DESCRIPTION", |k| k.description.clone()),
            ];
            ctx.list::<EndpointTokens>(&q, "endpoint tokens", columns)
                .await
        }
        EndpointTokenCommand::Show { token } => {
            let id = input::endpoint_token(c, &token).await?;
            ctx.show::<EndpointTokens>(id, token_details).await
        }
        EndpointTokenCommand::Update {
            token,
            labels,
            switch,
            deactivate,
            activate,
        } => {
            let up = UpdateEndpointToken {
                name: labels.name,
                description: labels.description,
                enabled: switch.enabled(),
                active: input::flag(activate, deactivate),
            };
            if up == UpdateEndpointToken::default() {
                bail!(
                    "nothing to change: give --name, --description, --enable, --disable, --activate or --deactivate"
                );
            }
            let id = input::endpoint_token(c, &token).await?;
            let t = c.update::<EndpointTokens>(id, &up).await?;
            ctx.print(&t, || token_details(&t))
        }
        EndpointTokenCommand::Delete { token } => {
            let id = input::endpoint_token(c, &token).await?;
            let text = format!("Deleted endpoint token {token:?} ({id}). Its records stay.\n");
            ctx.delete::<EndpointTokens>(id, text).await
        }
        EndpointTokenCommand::Regenerate { token, grace } => {
            let id = input::endpoint_token(c, &token).await?;
            let t = c.regenerate::<EndpointTokens>(id, &grace.request()).await?;
            ctx.print(&t, || secret_text("Regenerated", &t))
        }
        EndpointTokenCommand::Reveal { token } => {
            let id = input::endpoint_token(c, &token).await?;
            let r = c.reveal::<EndpointTokens>(id).await?;
            let what = format!("endpoint token {}", r.id);
            ctx.print(&r, || output::revealed(&what, &r.token))
        }
    }
}

fn token_details(d: &EndpointTokenDetails) -> String {
    let t = &d.token;
    let mut f = Fields::new();
    f.add("id", t.id.to_string())
        .add("name", &t.name)
        .add("kind", t.kind.as_str())
        .add("hint", &t.hint)
        .add("description", &t.description)
        .add("enabled", output::yes_no(t.enabled))
        .add("recoverable", output::yes_no(t.recoverable))
        .add("created at", output::when(Some(t.created_at)));
    let assigned: Vec<String> = d
        .assignments
        .iter()
        .map(|a| {
            format!(
                "{} ({}){}",
                a.endpoint_path,
                a.endpoint_name,
                if a.enabled { "" } else { ", switched off" }
            )
        })
        .collect();
    f.add("assigned to", output::list(&assigned));
    f.render()
}
