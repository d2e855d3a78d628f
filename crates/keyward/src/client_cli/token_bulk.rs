//! `keyward token import` and `keyward token bulk-delete`: many tokens at once, through the
//! bulk routes (at most 1,000 per call, each call all or nothing), with a progress bar on
//! a terminal and a summary that says which calls took effect.

use super::output::{self, Columns, Format, Table};
use super::{input, Ctx};
use anyhow::{anyhow, bail, Context};
use clap::Args;
use ipnet::IpNet;
use keyward_client::proto::tokens::{ImportRefusal, ImportToken, ImportTokens, ImportedToken};
use keyward_client::{CreateToken, Name, Timestamp, TokenId, TokenQuery, TokenWithSecret, Tokens};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

/// What one bulk call of the server takes at most.
pub const MAX_PER_CALL: usize = 1000;

#[derive(Args)]
pub struct ImportArgs {
    /// A .csv file (a header line naming the columns) or a .json file (an array of
    /// objects, or {"items": […]}). Columns: name, user (required); department,
    /// user_type, expires_at, description, allowed_cidrs (separated by ';'), rate_limit
    /// (REQUESTS/SECONDS), max_uses. With a `secret` column on every row, the keys of
    /// another system are taken over as they are (a migration: up to 10,000 rows, the
    /// whole file or nothing); without, each token gets a new keyward secret.
    file: PathBuf,
    /// Tokens per call, 1 to 1000: each call creates all of its tokens or none.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=1000))]
    batch_size: u16,
    /// Leave out the file's first N rows: those a previous import already created.
    #[arg(long, default_value_t = 0, value_name = "N")]
    skip: usize,
    /// With a `secret` column: check every row and list what would be refused, storing
    /// nothing.
    #[arg(long)]
    dry_run: bool,
}

/// The most keys of another system one import takes (the whole file, all or nothing).
pub const MAX_MIGRATION: usize = 10_000;

/// One row of an import file, as written: names are resolved and values parsed before
/// anything is sent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    /// A key another system issued, taken over as it is (a migration): the integrations
    /// keep using it.
    secret: Option<String>,
    name: String,
    user: String,
    department: Option<String>,
    user_type: Option<String>,
    expires_at: Option<String>,
    description: Option<String>,
    /// A list, or text separated by `;`, `,` or spaces.
    allowed_cidrs: Option<Value>,
    rate_limit: Option<String>,
    /// A number, or its text.
    max_uses: Option<Value>,
}

/// The file's rows as JSON objects: CSV cells are text, and an empty cell is left out.
fn read_rows(path: &std::path::Path) -> anyhow::Result<Vec<Value>> {
    let shown = path.display();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase);
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
    match ext.as_deref() {
        Some("json") => {
            let v: Value =
                serde_json::from_str(&text).with_context(|| format!("{shown} is not JSON"))?;
            match v {
                Value::Array(a) => Ok(a),
                Value::Object(mut o) if o.get("items").is_some_and(Value::is_array) => Ok(o
                    .remove("items")
                    .and_then(|i| i.as_array().cloned())
                    .unwrap_or_default()),
                _ => bail!("{shown}: write an array of tokens, or {{\"items\": [ … ]}}"),
            }
        }
        Some("csv") => {
            let mut r = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(text.as_bytes());
            let header = r
                .headers()
                .with_context(|| format!("{shown}: no header line"))?
                .clone();
            r.records()
                .enumerate()
                .map(|(i, rec)| {
                    let rec = rec.with_context(|| format!("{shown}: line {}", i + 2))?;
                    let obj: serde_json::Map<String, Value> = header
                        .iter()
                        .zip(rec.iter())
                        .filter(|(_, cell)| !cell.is_empty())
                        .map(|(h, cell)| (h.to_string(), Value::String(cell.to_string())))
                        .collect();
                    Ok(Value::Object(obj))
                })
                .collect()
        }
        _ => bail!("{shown}: give a .csv or a .json file (the extension says which)"),
    }
}

/// A row's user, department and user type as written.
type Written = (String, Option<String>, Option<String>);

/// Resolves names to ids once per distinct name.
#[derive(Default)]
struct Names {
    users: HashMap<String, keyward_client::UserId>,
    scopes: HashMap<Written, (keyward_client::DepartmentId, keyward_client::UserTypeId)>,
}

async fn request(ctx: &Ctx, names: &mut Names, row: Row) -> anyhow::Result<CreateToken> {
    let name: Name = row.name.parse().map_err(|e| anyhow!("name: {e}"))?;
    let user_id = match names.users.get(&row.user) {
        Some(id) => *id,
        None => {
            let id = input::user(&ctx.client, &row.user).await?;
            names.users.insert(row.user.clone(), id);
            id
        }
    };
    let key = (
        row.user.clone(),
        row.department.clone(),
        row.user_type.clone(),
    );
    let (department_id, user_type_id) = match names.scopes.get(&key) {
        Some(s) => *s,
        None => {
            let s = super::token::scope(
                ctx,
                user_id,
                &row.user,
                row.department.as_deref(),
                row.user_type.as_deref(),
            )
            .await?;
            names.scopes.insert(key, s);
            s
        }
    };
    let expires_at = match row.expires_at.as_deref() {
        Some(w) => Some(Timestamp(
            input::end_of_day(w).map_err(|e| anyhow!("expires_at: {e}"))?,
        )),
        None => None,
    };
    let allowed_cidrs = match row.allowed_cidrs {
        None => vec![],
        Some(Value::Array(a)) => a
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow!("allowed_cidrs: {c} is not text"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        Some(Value::String(s)) => s
            .split([';', ',', ' '])
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        Some(other) => bail!("allowed_cidrs: {other} is neither a list nor text"),
    }
    .iter()
    .map(|c| {
        c.parse::<IpNet>()
            .map_err(|_| anyhow!("allowed_cidrs: {c:?} is not a CIDR (e.g. 10.0.0.0/8)"))
    })
    .collect::<anyhow::Result<Vec<_>>>()?;
    let rate_limit = match row.rate_limit.as_deref() {
        Some(r) => Some(super::token::parse_rate_limit(r).map_err(|e| anyhow!("rate_limit: {e}"))?),
        None => None,
    };
    let max_uses = match row.max_uses {
        None => None,
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| anyhow!("max_uses: {n} is not a count"))?,
        ),
        Some(Value::String(s)) => Some(
            s.parse()
                .map_err(|_| anyhow!("max_uses: {s:?} is not a count"))?,
        ),
        Some(other) => bail!("max_uses: {other} is not a count"),
    };
    Ok(CreateToken {
        name,
        user_id,
        department_id,
        user_type_id,
        expires_at,
        description: row.description.unwrap_or_default(),
        allowed_cidrs,
        rate_limit,
        max_uses,
    })
}

/// Rows `from..to` (0-based) as a person counts them, from 1.
fn rows(from: usize, to: usize) -> String {
    if to - from == 1 {
        format!("row {}", from + 1)
    } else {
        format!("rows {}-{}", from + 1, to)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub async fn import(ctx: &Ctx, a: ImportArgs) -> anyhow::Result<()> {
    let batch = usize::from(a.batch_size);
    let shown = a.file.display().to_string();
    let all = read_rows(&a.file)?;
    if a.skip >= all.len() && !all.is_empty() {
        bail!(
            "{shown} has {} rows, and --skip {} leaves none",
            all.len(),
            a.skip
        );
    }
    if all.is_empty() {
        bail!("{shown} holds no tokens");
    }
    // Every row is read and its names resolved before the first call, so a mistake in
    // the file creates nothing.
    let mut names = Names::default();
    let mut reqs = Vec::with_capacity(all.len() - a.skip);
    let mut secrets = Vec::with_capacity(all.len() - a.skip);
    for (i, v) in all.into_iter().enumerate().skip(a.skip) {
        let mut row: Row =
            serde_json::from_value(v).map_err(|e| anyhow!("{shown} row {}: {e}", i + 1))?;
        secrets.push(row.secret.take());
        reqs.push(
            request(ctx, &mut names, row)
                .await
                .map_err(|e| anyhow!("{shown} row {}: {e}", i + 1))?,
        );
    }
    let with_secret = secrets.iter().filter(|s| s.is_some()).count();
    if with_secret > 0 {
        if with_secret < secrets.len() {
            let i = secrets.iter().position(Option::is_none).unwrap_or(0);
            bail!(
                "{shown} row {}: no secret, while other rows have one; a migration gives every row \
                 the key it had, a plain import none",
                a.skip + i + 1
            );
        }
        let secrets = secrets.into_iter().flatten().collect();
        return migrate(ctx, &a, &shown, reqs, secrets).await;
    }
    if a.dry_run {
        bail!("--dry-run checks a migration (a file with a secret column); a plain import is all or nothing per call of --batch-size rows");
    }
    let bar = output::progress(reqs.len() as u64, "importing");
    let mut created: Vec<TokenWithSecret> = Vec::with_capacity(reqs.len());
    let mut failure = None;
    let mut calls = 0;
    for (n, chunk) in reqs.chunks(batch).enumerate() {
        let from = a.skip + n * batch;
        match ctx.client.create_tokens(chunk).await {
            Ok(made) => {
                calls += 1;
                created.extend(made.into_inner().items);
                bar.inc(chunk.len() as u64);
            }
            Err(e) => {
                failure = Some((from, from + chunk.len(), e));
                break;
            }
        }
    }
    bar.finish_and_clear();
    // The secrets made are printed even when a later call failed: they exist now and are
    // shown only in these answers.
    if !created.is_empty() {
        print_created(ctx, &created)?;
    }
    let done = a.skip + created.len();
    let total = a.skip + reqs.len();
    match failure {
        None => {
            eprintln!(
                "Imported {} from {shown} in {} (at most {batch} each). Their secrets are shown \
                 only once, above: store them now.",
                plural(created.len(), "token", "tokens"),
                plural(calls, "call", "calls"),
            );
            Ok(())
        }
        Some((from, to, e)) => {
            let before = if created.is_empty() {
                "Nothing was imported.".to_string()
            } else {
                format!(
                    "The calls before it created {} ({}); their secrets are printed above.",
                    plural(created.len(), "token", "tokens"),
                    rows(a.skip, done)
                )
            };
            let after = match total - to {
                0 => String::new(),
                1 => format!(" Row {total}, after it, was not sent."),
                _ => format!(" Rows {}-{total}, after it, were not sent.", to + 1),
            };
            Err(anyhow!(
                "{e}\nThe call for {} of {shown} (its items[0] is row {}) was refused and created none of them. \
                 {before}{after} Fix the file, then import the rest with --skip {done}.",
                rows(from, to),
                from + 1,
            ))
        }
    }
}

/// Takes over the keys of another system: the whole file in one call, all or nothing
/// (or, with --dry-run, only the check). Prints what was imported, or every refused row.
async fn migrate(
    ctx: &Ctx,
    a: &ImportArgs,
    shown: &str,
    reqs: Vec<CreateToken>,
    secrets: Vec<String>,
) -> anyhow::Result<()> {
    if reqs.len() > MAX_MIGRATION {
        bail!(
            "{shown} has {} keys to take over; one migration takes at most {MAX_MIGRATION}: split the file",
            reqs.len()
        );
    }
    let body = ImportTokens {
        dry_run: a.dry_run,
        items: reqs
            .into_iter()
            .zip(secrets)
            .map(|(token, secret)| ImportToken {
                secret: secret.into(),
                token,
            })
            .collect(),
    };
    let row = |index: usize| a.skip + index + 1;
    let refusals = |refused: &[ImportRefusal]| {
        refused
            .iter()
            .map(|r| {
                format!(
                    "  row {}: {}: {} ({})",
                    row(r.index),
                    r.field,
                    r.detail,
                    r.code
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let done = match ctx.client.import_tokens(&body).await {
        Ok(done) => done.into_inner(),
        Err(e) if e.code() == Some("import_refused") => {
            let refused = e
                .problem()
                .map(|p| p.refused.as_slice())
                .unwrap_or_default();
            bail!(
                "{shown}: nothing was imported: {} refused:\n{}\nFix these rows and import the file again.",
                plural(refused.len(), "row is", "rows are"),
                refusals(refused)
            );
        }
        Err(e) => return Err(e.into()),
    };
    if done.dry_run {
        if done.refused.is_empty() {
            eprintln!(
                "Dry run: all {} of {shown} would be imported. Nothing was stored.",
                plural(done.accepted, "key", "keys")
            );
            return Ok(());
        }
        bail!(
            "Dry run: {} would be imported, {} refused (nothing was stored):\n{}",
            plural(done.accepted, "key", "keys"),
            plural(done.refused.len(), "row is", "rows are"),
            refusals(&done.refused)
        );
    }
    let columns: &Columns<ImportedToken> = &[
        ("ID", |t| t.id.to_string()),
        ("NAME", |t| t.name.clone()),
        ("HINT", |t| t.hint.clone()),
    ];
    print_items(ctx, columns, &done.items)?;
    eprintln!(
        "Imported {} from {shown}: the integrations keep using the keys they have; keyward \
         stores only their HMAC. Regenerate a token to give it a keyward secret.",
        plural(done.items.len(), "key", "keys")
    );
    Ok(())
}

fn print_created(ctx: &Ctx, created: &[TokenWithSecret]) -> anyhow::Result<()> {
    let columns: &Columns<TokenWithSecret> = &[
        ("ID", |t| t.details.token.id.to_string()),
        ("NAME", |t| t.details.token.name.clone()),
        ("USER", |t| t.details.username.clone()),
        ("DEPARTMENT", |t| t.details.department_name.clone()),
        ("USER TYPE", |t| t.details.user_type_name.clone()),
        ("EXPIRES", |t| output::short(t.details.token.expires_at)),
        ("TOKEN", |t| t.token.expose().to_string()),
    ];
    print_items(ctx, columns, created)
}

/// `items` in the output format asked for: their JSON, or a table (or CSV) of `columns`.
fn print_items<T: serde::Serialize>(
    ctx: &Ctx,
    columns: &Columns<T>,
    items: &[T],
) -> anyhow::Result<()> {
    let table = Table::rows(columns, items);
    output::emit(&match ctx.output {
        Format::Json => output::json(items)?,
        Format::Csv => table.csv()?,
        Format::Table => table.render(),
    })
}

#[derive(Args)]
pub struct BulkDeleteArgs {
    /// Token ids; `-` reads them from standard input (one a line, or separated by spaces).
    ids: Vec<String>,
    /// Delete the tokens in this state instead of ids given.
    #[arg(long, value_enum)]
    status: Option<super::token::StatusFilter>,
    /// Delete this user's tokens (username or id) instead of ids given.
    #[arg(long)]
    user: Option<String>,
    /// Delete the tokens whose name or owner's username matches, instead of ids given.
    #[arg(long)]
    search: Option<String>,
    /// Delete what the filter matches: without it, a filter only says how many it matches.
    #[arg(long)]
    yes: bool,
}

/// Ids given as arguments, or read from standard input for `-`.
fn given_ids(args: &[String]) -> anyhow::Result<Vec<TokenId>> {
    let from_stdin = args == ["-"];
    let text = if from_stdin {
        std::io::read_to_string(std::io::stdin()).context("cannot read ids from standard input")?
    } else {
        args.join(" ")
    };
    let mut ids = Vec::new();
    for word in text.split_whitespace() {
        let id: TokenId = word.parse().map_err(|_| {
            anyhow!(
                "{word:?} {}is not a token id",
                if from_stdin { "on standard input " } else { "" }
            )
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

pub async fn bulk_delete(ctx: &Ctx, a: BulkDeleteArgs) -> anyhow::Result<()> {
    let filtered = a.status.is_some() || a.user.is_some() || a.search.is_some();
    let ids = match (a.ids.is_empty(), filtered) {
        (false, true) => bail!("give ids or a filter (--status, --user, --search), not both"),
        (true, false) => bail!("give the ids to delete, - to read them from standard input, or a filter (--status, --user, --search)"),
        (false, false) => given_ids(&a.ids)?,
        (true, true) => {
            let user_id = match &a.user {
                Some(u) => Some(input::user(&ctx.client, u).await?),
                None => None,
            };
            let q = TokenQuery {
                status: a.status.map(|s| s.as_str().to_string()),
                user_id,
                q: a.search.clone(),
                ..Default::default()
            };
            let found = input::every::<Tokens>(&ctx.client, q).await?;
            let ids: Vec<TokenId> = found.iter().map(|t| t.token.id).collect();
            if !a.yes {
                bail!(
                    "{} the filter: add --yes to delete {}",
                    plural(ids.len(), "token matches", "tokens match"),
                    if ids.len() == 1 { "it" } else { "them" }
                );
            }
            ids
        }
    };
    if ids.is_empty() {
        bail!("no token to delete");
    }
    let bar = output::progress(ids.len() as u64, "deleting");
    let (mut deleted, mut not_found) = (Vec::new(), Vec::new());
    let mut failure = None;
    let mut calls = 0;
    for (n, chunk) in ids.chunks(MAX_PER_CALL).enumerate() {
        match ctx.client.bulk_delete::<Tokens>(chunk).await {
            Ok(r) => {
                calls += 1;
                deleted.extend(r.deleted);
                not_found.extend(r.not_found);
                bar.inc(chunk.len() as u64);
            }
            Err(e) => {
                failure = Some((n * MAX_PER_CALL, n * MAX_PER_CALL + chunk.len(), e));
                break;
            }
        }
    }
    bar.finish_and_clear();
    let summary = format!(
        "Deleted {} in {} (at most {MAX_PER_CALL} each).{}\n",
        plural(deleted.len(), "token", "tokens"),
        plural(calls, "call", "calls"),
        if not_found.is_empty() {
            String::new()
        } else {
            format!(
                " {} named no token of this tenant.",
                plural(not_found.len(), "id", "ids")
            )
        }
    );
    let outcome = |id: &TokenId, what: &str| vec![id.to_string(), what.to_string()];
    let rows: Vec<Vec<String>> = deleted
        .iter()
        .map(|id| outcome(id, "deleted"))
        .chain(not_found.iter().map(|id| outcome(id, "not_found")))
        .collect();
    output::emit(&match ctx.output {
        Format::Json => {
            output::json(&serde_json::json!({ "deleted": deleted, "not_found": not_found }))?
        }
        Format::Csv => output::csv_rows(&["id", "outcome"], &rows)?,
        Format::Table => summary.clone(),
    })?;
    if ctx.output != Format::Table {
        eprint!("{summary}");
    }
    if let Some((from, to, e)) = failure {
        bail!(
            "{e}\nThe call for ids {}-{to} was refused and deleted none of them; the calls before it took effect, \
             and the ids after it were not sent.",
            from + 1
        );
    }
    if !not_found.is_empty() {
        let missing: Vec<String> = not_found.iter().map(ToString::to_string).collect();
        bail!("no token has the id {}", missing.join(", "));
    }
    Ok(())
}
