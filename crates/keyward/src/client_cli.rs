//! Client subcommands: they call a running keyward server through `keyward_client` and
//! print aligned tables and `key: value` lines, the server's JSON or CSV, as `--output`
//! says (`--json` is `--output json`). The
//! administrator token is read from `KEYWARD_TOKEN` only: flags show in `ps`.

mod department;
mod endpoint;
mod input;
mod output;
mod settings;
mod token;
mod token_bulk;
mod user;
mod user_type;
mod verifier_key;
mod verify;

use clap::{Args, Subcommand};
use keyward_client::{Client, Collection, NameQuery, PageQuery, Regenerate};
use output::Format;

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Issue, list, inspect, rotate, revoke and delete API tokens.
    Token(Group<token::TokenCommand>),
    /// Ask the server whether a token is good and what it may do.
    Verify(verify::VerifyArgs),
    /// Users, technical users and their memberships.
    User(Group<user::UserCommand>),
    /// Departments that tokens are scoped to.
    Department(Group<department::DepartmentCommand>),
    /// User types: roles as sets of permissions.
    UserType(Group<user_type::UserTypeCommand>),
    /// The tenant's token policy.
    Settings(Group<settings::SettingsCommand>),
    /// Hosted endpoints (/e/PATH): their primary tokens, assignments and records.
    Endpoint(Group<endpoint::EndpointCommand>),
    /// Secondary endpoint tokens, one per external application.
    EndpointToken(Group<endpoint::EndpointTokenCommand>),
    /// Verifier keys: the credentials protected services send with their checks.
    VerifierKey(Group<verifier_key::VerifierKeyCommand>),
}

/// A command group: the connection options (also accepted after the subcommand) and one
/// of its subcommands.
#[derive(Args)]
pub struct Group<C: Subcommand> {
    #[command(flatten)]
    conn: Conn,
    #[command(subcommand)]
    cmd: C,
}

/// Where the server is and how to print. The token is not here: it comes from
/// `KEYWARD_TOKEN`.
#[derive(Args, Clone)]
pub struct Conn {
    /// The keyward server to call.
    #[arg(
        long,
        env = "KEYWARD_SERVER",
        default_value = "http://127.0.0.1:8080",
        global = true,
        value_name = "URL",
        help_heading = "Client options"
    )]
    server: String,
    /// How to print: `table` (for people), `json` (the server's JSON, for scripts) or
    /// `csv` (a header line and a line per item).
    #[arg(
        long,
        value_enum,
        global = true,
        default_value_t = Format::Table,
        value_name = "FORMAT",
        help_heading = "Client options"
    )]
    output: Format,
    /// The same as `--output json`.
    #[arg(
        long,
        global = true,
        conflicts_with = "output",
        help_heading = "Client options"
    )]
    json: bool,
}

/// What every command handler gets: a client and the chosen output format.
pub struct Ctx {
    pub client: Client,
    pub output: Format,
}

impl Ctx {
    /// `list`: the page of `C` that `query` asks for, as [`Ctx::print_page`] prints it.
    pub async fn list<C: Collection>(
        &self,
        query: &C::Query,
        what: &str,
        columns: &output::Columns<C::Listed>,
    ) -> anyhow::Result<()> {
        let p = self.client.list::<C>(query).await?;
        self.print_page(&p, what, columns)
    }

    /// `show`: item `id` of `C`, as JSON or as the text `fields` makes of it.
    pub async fn show<C: Collection>(
        &self,
        id: C::Id,
        fields: impl FnOnce(&C::Item) -> String,
    ) -> anyhow::Result<()> {
        let item = self.client.get::<C>(id).await?;
        self.print(&item, || fields(&item))
    }

    /// Deletes item `id` of `C` and says so as [`Ctx::deleted`] does.
    pub async fn delete<C: Collection>(&self, id: C::Id, text: String) -> anyhow::Result<()> {
        self.client.delete::<C>(id).await?;
        self.deleted(id, text)
    }

    /// What a delete prints: `{"deleted": id}` as JSON, else `text`.
    pub fn deleted(&self, id: impl serde::Serialize, text: String) -> anyhow::Result<()> {
        self.print(&serde_json::json!({ "deleted": id }), || text)
    }

    /// A list page: its JSON, or its items as a table (or its CSV) with `columns`.
    pub fn print_page<T: serde::Serialize>(
        &self,
        p: &keyward_client::Page<keyward_client::Open<T>>,
        what: &str,
        columns: &output::Columns<T>,
    ) -> anyhow::Result<()> {
        let table = output::Table::of(columns, &p.items);
        if self.output == Format::Csv {
            return output::emit(&table.csv()?);
        }
        self.print(p, || output::page_text(&table, what, p))
    }

    /// Prints `value` as JSON or as CSV when `--output` says so, else the text `human`
    /// makes.
    pub fn print<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        output::emit(&match self.output {
            Format::Json => output::json(value)?,
            Format::Csv => output::csv_of(value)?,
            Format::Table => human(),
        })
    }
}

const TOKEN_ENV: &str = "KEYWARD_TOKEN";

/// The client's secrets, read from the environment only (flags show in `ps`), with what
/// each holds, for the configuration reference.
pub const SECRET_ENV: &[(&str, &str)] = &[
    (
        TOKEN_ENV,
        "An administrator's API token (`kwa_…`, as printed by `keyward bootstrap`), for \
         every client command but `verify`.",
    ),
    (
        verify::VERIFIER_KEY_ENV,
        "A verifier key (`kwv_…`): `keyward verify` sends it with the check, which is then \
         made for the key's tenant.",
    ),
];

impl Conn {
    /// For administrator routes: needs `KEYWARD_TOKEN`.
    fn admin(&self) -> anyhow::Result<Ctx> {
        let token = match std::env::var(TOKEN_ENV) {
            Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
            Ok(_) | Err(std::env::VarError::NotPresent) => anyhow::bail!(
                "set {TOKEN_ENV} to an administrator's API token (kwa_…, as printed by `keyward bootstrap`); \
                 it is read from the environment only, never from a flag, so that it does not show in `ps`"
            ),
            Err(std::env::VarError::NotUnicode(_)) => {
                anyhow::bail!("{TOKEN_ENV} is not valid text; it should hold a kwa_… token")
            }
        };
        self.ctx(Some(token))
    }

    /// For routes that take no administrator credential (verification).
    fn anonymous(&self) -> anyhow::Result<Ctx> {
        self.ctx(None)
    }

    fn ctx(&self, token: Option<String>) -> anyhow::Result<Ctx> {
        Ok(Ctx {
            client: Client::new(&self.server, token)?,
            output: if self.json { Format::Json } else { self.output },
        })
    }
}

pub async fn run(cmd: ClientCommand) -> anyhow::Result<()> {
    let result = match cmd {
        ClientCommand::Token(g) => token::run(&g.conn.admin()?, g.cmd).await,
        ClientCommand::Verify(args) => verify::run(&args.conn.anonymous()?, args).await,
        ClientCommand::User(g) => user::run(&g.conn.admin()?, g.cmd).await,
        ClientCommand::Department(g) => department::run(&g.conn.admin()?, g.cmd).await,
        ClientCommand::UserType(g) => user_type::run(&g.conn.admin()?, g.cmd).await,
        ClientCommand::Settings(g) => settings::run(&g.conn.admin()?, g.cmd).await,
        ClientCommand::Endpoint(g) => endpoint::run(&g.conn.admin()?, g.cmd).await,
        ClientCommand::EndpointToken(g) => endpoint::run_tokens(&g.conn.admin()?, g.cmd).await,
        ClientCommand::VerifierKey(g) => verifier_key::run(&g.conn.admin()?, g.cmd).await,
    };
    result.map_err(explain)
}

/// A refused bearer token is most often a stale or mistyped `KEYWARD_TOKEN`; say where
/// the token came from.
fn explain(e: anyhow::Error) -> anyhow::Error {
    match e.downcast_ref::<keyward_client::Error>() {
        Some(ce) if ce.status() == Some(401) => {
            anyhow::anyhow!("{ce} (the token is taken from {TOKEN_ENV})")
        }
        _ => e,
    }
}

/// `--page` and `--per-page` of every list command.
#[derive(Args, Clone, Copy)]
pub struct Paging {
    /// Page number, from 1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    page: u32,
    /// Items per page (at most 500).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    per_page: u32,
}

impl Paging {
    /// `query`, asking for the page these flags choose.
    fn of<Q: PageQuery>(self, query: Q) -> Q {
        query.at_page(self.page, self.per_page)
    }
}

/// The flags of a list of names (departments, user types): a search and the page.
#[derive(Args)]
pub struct NameSearch {
    /// Matches the name.
    #[arg(long)]
    search: Option<String>,
    #[command(flatten)]
    paging: Paging,
}

impl NameSearch {
    fn query(self) -> NameQuery {
        self.paging.of(NameQuery {
            q: self.search,
            ..Default::default()
        })
    }
}

/// `--name` and `--description` of every command that changes a token, a key or an
/// endpoint.
#[derive(Args)]
pub struct Relabel {
    #[arg(long)]
    name: Option<keyward_client::Name>,
    #[arg(long)]
    description: Option<String>,
}

/// `--enable` and `--disable` of every command that changes something that can be
/// switched off. Neither given: it stays as it is.
#[derive(Args)]
pub struct Switch {
    /// Make it work again.
    #[arg(long, conflicts_with = "disable")]
    enable: bool,
    /// Stop it (DISABLED) until it is enabled again.
    #[arg(long)]
    disable: bool,
}

impl Switch {
    fn enabled(&self) -> Option<bool> {
        input::flag(self.enable, self.disable)
    }
}

/// `--grace-period` of every command that gives a token a new secret.
#[derive(Args, Clone, Copy)]
pub struct GracePeriod {
    /// Seconds the old secret keeps working (at most 604800, 7 days).
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    grace_period: i64,
}

impl GracePeriod {
    fn request(self) -> Regenerate {
        Regenerate {
            grace_period_seconds: self.grace_period,
        }
    }

    /// What becomes of the previous secret, for a person.
    fn previous_secret(self) -> String {
        let seconds = self.grace_period;
        if seconds > 0 {
            format!("The previous secret keeps working for {seconds} more seconds.\n")
        } else {
            "The previous secret no longer works.\n".to_string()
        }
    }
}

/// A list option that replaces the whole list, and a flag that removes it instead, as
/// `--allow-cidr` and `--any-ip`. Neither given: the list stays as it is. `F` names the
/// two flags.
#[derive(Args)]
pub struct ReplaceList<T: Item, F: ListFlags> {
    #[arg(
        long = F::FLAGS.list,
        value_name = F::FLAGS.value_name,
        help = F::FLAGS.list_help,
        value_delimiter = ',',
        conflicts_with = "clear"
    )]
    list: Option<Vec<T>>,
    #[arg(long = F::FLAGS.clear, help = F::FLAGS.clear_help)]
    clear: bool,
    #[arg(skip)]
    flags: std::marker::PhantomData<F>,
}

/// What a [`ReplaceList`] may hold: what clap can read from text.
pub trait Item: std::str::FromStr<Err: Into<BoxedError>> + Clone + Send + Sync + 'static {}

impl<T: std::str::FromStr<Err: Into<BoxedError>> + Clone + Send + Sync + 'static> Item for T {}

type BoxedError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The names and help texts of a [`ReplaceList`]'s flags.
pub trait ListFlags {
    const FLAGS: ListFlagNames;
}

pub struct ListFlagNames {
    /// The option that takes the new list, e.g. `permission`.
    list: &'static str,
    value_name: &'static str,
    list_help: &'static str,
    /// The flag that removes every item, e.g. `no-permissions`.
    clear: &'static str,
    clear_help: &'static str,
}

impl<T: Item, F: ListFlags> ReplaceList<T, F> {
    /// The new list, empty to remove it; `None` leaves it as it is.
    fn change(self) -> Option<Vec<T>> {
        if self.clear {
            Some(vec![])
        } else {
            self.list
        }
    }
}
