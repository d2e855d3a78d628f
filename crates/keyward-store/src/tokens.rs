//! Token records and their secrets. A token has one current secret hash and, during a
//! regeneration grace period, its previous one; nothing here ever sees plaintext.

use crate::audit::Actor;
use crate::query::{found, row_of, search_key, Arg, Filter, Listing, Page, Value};
use crate::rows::{self, TOKEN_COLS};
use crate::tx::Tx;
use crate::{to_ms, Store, StoreError, StoreResult};
use keyward_core::change::UpdateToken;
use keyward_core::model::{PreviousSecret, RateLimit, Token, TokenDetails, TokenStatus};
use keyward_core::text::Name;
use keyward_core::verify::{Owner, Subject};
use keyward_core::{DepartmentId, TenantId, TokenHash, TokenId, TokenKind, UserId, UserTypeId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use time::OffsetDateTime;
use tokio::sync::oneshot;

/// What storage keeps of a new secret: its hash, its display hint and, under the
/// `recoverable` policy, a copy sealed under the server key.
#[derive(Clone, Debug)]
pub struct NewSecret {
    pub hash: TokenHash,
    pub hint: String,
    pub sealed: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewToken {
    pub id: TokenId,
    pub kind: TokenKind,
    pub name: Name,
    pub description: String,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
    pub secret: NewSecret,
    pub expires_at: Option<OffsetDateTime>,
    pub allowed_cidrs: Vec<ipnet::IpNet>,
    pub rate_limit: Option<RateLimit>,
    /// How many successful checks the token allows; `None` for unlimited.
    pub max_uses: Option<i64>,
    /// Imported with a secret of another system (`token.imported`, `imported_at`).
    pub imported: bool,
}

/// One row of [`Store::token_counts`]: how many tokens of `kind` are in `status` in the
/// tenant named `tenant`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenCount {
    pub tenant: String,
    pub kind: TokenKind,
    pub status: TokenStatus,
    pub count: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TokenStatusFilter {
    #[default]
    All,
    Active,
    Expired,
    Revoked,
    Disabled,
    /// Unused for the tenant's `flag_unused_after_days` while it can still be used (see
    /// `keyward_core::rules::is_stale`): none while the policy is off.
    Stale,
}

#[derive(Clone, Debug, Default)]
pub struct TokenFilter {
    pub status: TokenStatusFilter,
    pub kind: Option<TokenKind>,
    pub user_id: Option<UserId>,
    /// Matches the token's name or description, its owner's username, email or display
    /// name, or its department (anywhere, ignoring case); the start of its hint
    /// (`kwa_GfqB`); or, given a whole token, the token it is.
    pub q: Option<String>,
    /// Only tokens with an expiry at or before this moment (the console's "expiring
    /// soon", with [`TokenStatusFilter::Active`]).
    pub expires_by: Option<OffsetDateTime>,
    /// The order of the listing; newest first by default.
    pub order: TokenOrder,
    /// Only tokens whose standing (what a check would answer now, see
    /// [`keyward_core::verify::standing`]) is this.
    pub standing: Option<StandingFilter>,
}

/// A filter on a token's standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandingFilter {
    /// A check answers this code.
    Is(keyward_core::VerifyCode),
    /// A check refuses the token, whatever the reason.
    Refused,
}

impl StandingFilter {
    /// The filter's names, as the API's `effective_status` and the console spell them:
    /// each code a check can answer about a stored token, and `refused` for every code
    /// but `VALID`.
    pub const CHOICES: [(&'static str, Self); 10] = {
        use keyward_core::VerifyCode as C;
        [
            ("VALID", Self::Is(C::Valid)),
            ("refused", Self::Refused),
            ("EXPIRED", Self::Is(C::Expired)),
            ("REVOKED", Self::Is(C::Revoked)),
            ("DISABLED", Self::Is(C::Disabled)),
            ("FEATURE_DISABLED", Self::Is(C::FeatureDisabled)),
            ("USER_LOCKED", Self::Is(C::UserLocked)),
            ("USER_INACTIVE", Self::Is(C::UserInactive)),
            ("USAGE_EXCEEDED", Self::Is(C::UsageExceeded)),
            ("FORBIDDEN", Self::Is(C::Forbidden)),
        ]
    };

    pub fn keeps(self, code: keyward_core::VerifyCode) -> bool {
        match self {
            Self::Is(c) => c == code,
            Self::Refused => code != keyward_core::VerifyCode::Valid,
        }
    }
}

/// What a token listing is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TokenSortKey {
    /// When the token was made.
    #[default]
    Created,
    /// Its expiry. A token that never expires sorts as the latest.
    Expiry,
    /// Its name, ignoring case.
    Name,
    /// Its last successful check. A token never used sorts as the least recent.
    LastUsed,
}

/// A token listing's order: a key, ascending or descending; ties in id order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenOrder {
    pub key: TokenSortKey,
    pub descending: bool,
}

impl Default for TokenOrder {
    /// Newest first.
    fn default() -> Self {
        Self {
            key: TokenSortKey::Created,
            descending: true,
        }
    }
}

/// When a token was last used, as `TOKEN_COLS` reads it (an `ORDER BY` expression cannot
/// name that output column in PostgreSQL).
const LAST_USED: &str =
    "COALESCE((SELECT lu.at FROM token_last_use lu WHERE lu.token_id = t.id), t.last_used_at)";

/// When a token was last active, for the inactivity policy (`rules::last_activity`): its
/// last use, or its creation if it was never used.
pub(crate) const LAST_ACTIVE: &str = "COALESCE((SELECT lu.at FROM token_last_use lu \
    WHERE lu.token_id = t.id), t.last_used_at, t.created_at)";

/// The condition that token `t` (with its tenant's settings `ts`) has gone `days` (a
/// column of `ts`) without a use by the moment `now` (a placeholder), and can still be
/// used: `rules::is_stale` in SQL.
pub(crate) fn unused_for(days: &str, now: &str) -> String {
    format!(
        "ts.{days} > 0 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > {now}) \
         AND {LAST_ACTIVE} <= {now} - ts.{days} * 86400000"
    )
}

impl TokenOrder {
    /// The `ORDER BY` clause. Missing values (never expires, never used) sort by a
    /// leading `IS NULL` term, which both backends order the same way.
    fn sql(self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        // NULL last when ascending (never expires: the latest)…
        let nulls_last = if self.descending { "DESC" } else { "ASC" };
        // …and first when ascending (never used: the least recent).
        let nulls_first = if self.descending { "ASC" } else { "DESC" };
        match self.key {
            TokenSortKey::Created => format!("t.created_at {dir}, t.id {dir}"),
            TokenSortKey::Expiry => {
                format!("(t.expires_at IS NULL) {nulls_last}, t.expires_at {dir}, t.id {dir}")
            }
            TokenSortKey::Name => format!("LOWER(t.name) {dir}, t.id {dir}"),
            TokenSortKey::LastUsed => {
                format!("({LAST_USED} IS NULL) {nulls_first}, {LAST_USED} {dir}, t.id {dir}")
            }
        }
    }
}

/// A token's owner and tenant (`u`, `d`, `ut`, `ts`), joined to its row `t`.
macro_rules! owner_joins {
    () => {
        "JOIN users u ON u.id = t.user_id \
         JOIN departments d ON d.id = t.department_id JOIN user_types ut ON ut.id = t.user_type_id \
         JOIN tenant_settings ts ON ts.tenant_id = t.tenant_id"
    };
}

/// What a check reads of a token's owner and tenant under [`owner_joins`]: the owner
/// columns of [`subject`].
macro_rules! owner_columns {
    () => {
        "u.username AS username, \
         u.is_admin AS user_is_admin, u.locked AS user_locked, u.active_from AS user_active_from, \
         u.active_until AS user_active_until, d.name AS department_name, ut.name AS user_type_name, \
         ut.permissions AS permissions, \
         CASE WHEN EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = t.user_id \
           AND m.department_id = t.department_id AND m.user_type_id = t.user_type_id) THEN 1 ELSE 0 END \
           AS membership_held, \
         ts.api_tokens_enabled, ts.require_technical_user, ts.secret_storage, ts.max_token_lifetime_days, \
         ts.default_token_lifetime_days, ts.mobile_session_days, ts.expiry_notice_days, ts.api_base_url, \
         ts.flag_unused_after_days, ts.revoke_unused_after_days"
    };
}

/// A token's details read what a check reads of its owner, so that each carries what a
/// check would answer now (`effective_status`), decided by the check's own decision.
const DETAIL_FROM: &str = concat!(
    "FROM tokens t ",
    owner_joins!(),
    " LEFT JOIN users rb ON rb.id = t.revoked_by",
    // The previous secret of a regenerate's grace period: at most one per token
    // (`rotate_secret` drops older ones under the token's row lock).
    " LEFT JOIN token_secrets ps ON ps.token_id = t.id AND ps.valid_until IS NOT NULL"
);

/// The order of every listing of tokens (API tokens, mobile sessions): newest first.
pub(crate) const NEWEST_FIRST: &str = "t.created_at DESC, t.id DESC";

fn detail_columns() -> String {
    format!(
        "{TOKEN_COLS}, {}, rb.username AS revoked_by_name, ps.hint AS previous_hint, \
         ps.valid_until AS previous_valid_until, ps.uses AS previous_uses, \
         ps.last_used_at AS previous_last_used_at",
        standing_columns()
    )
}

/// A token `t` with its owner and tenant, as [`standing_columns`] reads them.
pub(crate) const OWNER_FROM: &str = concat!("FROM tokens t ", owner_joins!());

/// What [`subject`] reads beside a token's own columns, under [`OWNER_FROM`], for the
/// token's standing (what a check would answer now). No secret in particular: the
/// standing is its current secret's.
pub(crate) fn standing_columns() -> String {
    format!(
        "{}, CAST(NULL AS BIGINT) AS secret_valid_until",
        owner_columns!()
    )
}

fn details(r: &AnyRow, now: OffsetDateTime) -> StoreResult<TokenDetails> {
    let token = rows::token(r)?;
    let subject = subject(r)?;
    let status = token.status(now);
    Ok(TokenDetails {
        status,
        effective_status: keyward_core::verify::standing(&subject, now),
        stale: keyward_core::rules::is_stale(&token, &subject.owner.settings, now),
        token,
        username: r.try_get("username")?,
        department_name: r.try_get("department_name")?,
        user_type_name: r.try_get("user_type_name")?,
        revoked_by_name: r.try_get("revoked_by_name")?,
        // A revoked or expired token's previous secret works no more than its current one.
        previous_secret: match status {
            TokenStatus::Active | TokenStatus::Disabled => previous_secret(r, now)?,
            TokenStatus::Revoked | TokenStatus::Expired => None,
        },
    })
}

/// The previous secret [`DETAIL_FROM`] joins, while its grace period lasts (a row past it
/// is dropped by the next regenerate or `end-grace`, and no check accepts it meanwhile).
fn previous_secret(r: &AnyRow, now: OffsetDateTime) -> StoreResult<Option<PreviousSecret>> {
    let Some(valid_until) = rows::opt_time(r, "previous_valid_until")? else {
        return Ok(None);
    };
    if valid_until <= now {
        return Ok(None);
    }
    Ok(Some(PreviousSecret {
        // A secret kept since before its hint was recorded (migration 0014/0015).
        hint: r
            .try_get::<Option<String>, _>("previous_hint")?
            .unwrap_or_default(),
        valid_until,
        uses: r.try_get("previous_uses")?,
        last_used_at: rows::opt_time(r, "previous_last_used_at")?,
    }))
}

/// The row of a token's details: on the read pool, or in a transaction that changed it.
async fn detail_row<'c>(
    conn: impl Executor<'c, Database = Any>,
    tenant: TenantId,
    id: TokenId,
) -> StoreResult<AnyRow> {
    let sql = format!(
        "SELECT {} {DETAIL_FROM} WHERE t.id = $1 AND t.tenant_id = $2",
        detail_columns()
    );
    row_of(conn, &sql, id, tenant, "token").await
}

/// The single creations of tokens waiting to be written on SQLite (group commit): each joins the
/// queue, then waits for the turn to write; whoever has the turn writes everything queued
/// by then in one transaction. Alone, a creation is written at once; under load, one
/// commit serves as many creations as arrived during the previous one.
#[derive(Default)]
pub(crate) struct Creations {
    queue: std::sync::Mutex<Vec<Creation>>,
    turn: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Creations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Creations({} queued)", self.queue().len())
    }
}

impl Creations {
    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Creation>> {
        self.queue.lock().expect("creation queue lock")
    }
}

struct Creation {
    tenant: TenantId,
    token: NewToken,
    actor: Actor,
    reply: oneshot::Sender<StoreResult<TokenDetails>>,
}

impl Creation {
    fn item(&self) -> (TenantId, &NewToken, &Actor) {
        (self.tenant, &self.token, &self.actor)
    }
}

/// Rows per statement of [`write_new_tokens`]: 19 parameters each, well under every
/// backend's limit.
const NEW_TOKEN_CHUNK: usize = 200;

/// Writes new tokens, each of its tenant by its actor (their rows, their secrets, their
/// audit events and change-log rows), in `tx`: a few statements for all of them, not a
/// few for each, so that a group commit's batch costs about what one creation does.
async fn write_new_tokens(
    tx: &mut Tx,
    items: &[(TenantId, &NewToken, &Actor)],
    now: OffsetDateTime,
) -> StoreResult<()> {
    for chunk in items.chunks(NEW_TOKEN_CHUNK) {
        let mut f = tx.many();
        let rows = f.rows(chunk, |f, &(tenant, t, actor)| {
            vec![
                f.arg(t.id),
                f.arg(tenant),
                f.arg(t.kind.as_str()),
                f.arg(t.name.as_str()),
                f.arg(&t.description),
                f.arg(&t.secret.hint),
                f.arg(t.user_id),
                f.arg(t.department_id),
                f.arg(t.user_type_id),
                "1".to_string(),
                f.arg(t.secret.sealed.as_ref()),
                f.arg(json!(t.allowed_cidrs).to_string()),
                f.arg(now),
                f.arg(actor.user_id),
                f.arg(t.expires_at),
                f.arg(t.rate_limit.map(|r| i64::from(r.requests))),
                f.arg(t.rate_limit.map(|r| i64::from(r.window_seconds))),
                f.arg(t.max_uses),
                f.arg(search_key(&[t.name.as_str(), &t.description])),
                f.arg(t.imported.then_some(now)),
            ]
        });
        let sql = format!(
            "INSERT INTO tokens (id, tenant_id, kind, name, description, hint, user_id, department_id, user_type_id, \
             enabled, sealed_secret, allowed_cidrs, created_at, created_by, expires_at, \
             rate_limit_requests, rate_limit_window_seconds, uses_remaining, search, imported_at) \
             VALUES {rows}"
        );
        tx.many_rows(&sql, &f, chunk.len()).await?;
        let secrets: Vec<_> = chunk.iter().map(|&(_, t, _)| (t.id, &t.secret)).collect();
        insert_secrets(tx, TokenTable::Tokens, &secrets).await?;
        let events: Vec<crate::audit::Event> = chunk
            .iter()
            .map(|&(tenant, t, actor)| crate::audit::Event {
                tenant,
                actor,
                action: if t.imported {
                    "token.imported"
                } else {
                    "token.created"
                },
                object_type: "token",
                object_id: t.id.to_string(),
                object_name: Some(t.name.to_string()),
                details: json!({"name": t.name, "kind": t.kind, "hint": t.secret.hint,
                                "user_id": t.user_id, "expires_at": t.expires_at.map(to_ms)}),
            })
            .collect();
        crate::audit::record_all(tx, &events, now).await?;
    }
    Ok(())
}

/// The details of tokens `tx` has just written, in the order of `items`.
async fn new_details(
    tx: &mut Tx,
    items: &[(TenantId, &NewToken, &Actor)],
) -> StoreResult<Vec<TokenDetails>> {
    let now = crate::now();
    let mut by_id = std::collections::HashMap::with_capacity(items.len());
    for chunk in items.chunks(crate::query::IN_CHUNK) {
        let mut f = tx.many();
        let ids: Vec<TokenId> = chunk.iter().map(|&(_, t, _)| t.id).collect();
        // By id alone (see `Store::rows_of_tenant`); the tenant is compared below.
        let sql = format!(
            "SELECT {} {DETAIL_FROM} WHERE t.id IN {}",
            detail_columns(),
            f.list(&ids)
        );
        for r in tx.many_rows(&sql, &f, chunk.len()).await? {
            let d = details(&r, now)?;
            by_id.insert(d.token.id, d);
        }
    }
    items
        .iter()
        .map(|&(tenant, t, _)| match by_id.remove(&t.id) {
            Some(d) if d.token.tenant_id == tenant => Ok(d),
            _ => Err(StoreError::NotFound("token")),
        })
        .collect()
}

/// Reads the token as `tx` leaves it, then commits: the change returns what it wrote,
/// without a second read after the commit.
async fn commit_token(mut tx: Tx, tenant: TenantId, id: TokenId) -> StoreResult<TokenDetails> {
    let row = detail_row(&mut **tx, tenant, id).await?;
    tx.commit().await?;
    details(&row, crate::now())
}

/// Tokens per statement of a last-use flush (two parameters each, well under every
/// backend's limit).
pub(crate) const TOUCH_CHUNK: usize = 100;
/// The pause between two chunks of a last-use flush.
const TOUCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

/// The rows of a `VALUES` list of `rows` rows, each of the given SQL types, numbering
/// placeholders from `first`: `(CAST($2 AS TEXT), CAST($3 AS BIGINT)), …`.
pub(crate) fn values_rows(rows: usize, types: &[&str], first: usize) -> String {
    (0..rows)
        .map(|i| {
            let row = types
                .iter()
                .enumerate()
                .map(|(j, t)| format!("CAST(${} AS {t})", first + i * types.len() + j))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({row})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tables of the two kinds of token that keep secrets: API tokens (with mobile
/// sessions) and endpoint tokens. Their secrets tables have the same columns.
#[derive(Clone, Copy)]
pub(crate) enum TokenTable {
    Tokens,
    EndpointTokens,
}

impl TokenTable {
    fn table(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
            Self::EndpointTokens => "endpoint_tokens",
        }
    }

    fn secrets(self) -> &'static str {
        match self {
            Self::Tokens => "token_secrets",
            Self::EndpointTokens => "endpoint_token_secrets",
        }
    }
}

/// Stores `secret` as a current secret of token `id`.
pub(crate) async fn insert_secret(
    tx: &mut Tx,
    table: TokenTable,
    id: impl Value + Copy,
    secret: &NewSecret,
) -> StoreResult<()> {
    insert_secrets(tx, table, &[(id, secret)]).await
}

/// Stores each secret as a current secret of its token, in one statement.
async fn insert_secrets<I: Value + Copy>(
    tx: &mut Tx,
    table: TokenTable,
    secrets: &[(I, &NewSecret)],
) -> StoreResult<()> {
    let mut f = tx.many();
    let rows = f.rows(secrets, |f, &(id, s)| {
        vec![f.arg(&s.hash), f.arg(id), "NULL".to_string()]
    });
    let sql = format!(
        "INSERT INTO {} (hash, token_id, valid_until) VALUES {rows}",
        table.secrets()
    );
    tx.many_rows(&sql, &f, secrets.len()).await?;
    for (_, s) in secrets {
        tx.stored_secret(&s.hash);
    }
    Ok(())
}

/// Makes `secret` the token's current secret. With `grace_until`, the current secret
/// keeps working until then; otherwise it stops at once. Older secrets are dropped.
pub(crate) async fn rotate_secret(
    tx: &mut Tx,
    table: TokenTable,
    id: impl Value + Copy,
    secret: &NewSecret,
    grace_until: Option<OffsetDateTime>,
) -> StoreResult<()> {
    let secrets = table.secrets();
    sqlx::query(&format!(
        "DELETE FROM {secrets} WHERE token_id = $1 AND valid_until IS NOT NULL"
    ))
    .arg(id)
    .execute(&mut ***tx)
    .await?;
    let sql = match grace_until {
        Some(_) => format!("UPDATE {secrets} SET valid_until = $2 WHERE token_id = $1"),
        None => format!("DELETE FROM {secrets} WHERE token_id = $1"),
    };
    let q = sqlx::query(&sql).arg(id);
    let q = match grace_until {
        Some(until) => q.arg(until),
        None => q,
    };
    q.execute(&mut ***tx).await?;
    insert_secret(tx, table, id, secret).await
}

/// Deletes an API token or mobile session with its secrets.
pub(crate) async fn delete_token_rows(tx: &mut Tx, id: TokenId) -> StoreResult<()> {
    for sql in [
        "DELETE FROM token_secrets WHERE token_id = $1",
        "DELETE FROM tokens WHERE id = $1",
    ] {
        sqlx::query(sql).arg(id).execute(&mut ***tx).await?;
    }
    Ok(())
}

/// The first 8 bytes of each hash (stored as hex), for the verifier's in-memory filters.
fn prefix(r: &AnyRow) -> StoreResult<Option<u64>> {
    let hash: String = r.try_get("hash")?;
    Ok(TokenHash::from_hex(&hash).map(|h| h.prefix64()))
}

impl Store {
    /// Reads a token of `tenant` inside `tx` for changing it: with the row locked on
    /// PostgreSQL, so concurrent changes of one token take turns (SQLite has one writer).
    /// Rows are locked before `record` takes the change-log lock, as every writer must.
    async fn lock_token(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        tenant: TenantId,
        id: TokenId,
    ) -> StoreResult<Token> {
        let sql = format!(
            "SELECT {TOKEN_COLS} FROM tokens t WHERE t.id = $1 AND t.tenant_id = $2{}",
            self.for_update()
        );
        rows::token(&row_of(&mut **tx, &sql, id, tenant, "token").await?)
    }

    /// Creates a token; returns once it is committed. On SQLite, creations that arrive
    /// together are written in one transaction (group commit, see [`Creations`]): its
    /// one writer would take them one at a time (measured with 64 clients: 2,282 a
    /// second without the queue, 4,556–4,792 with it). PostgreSQL writes concurrent
    /// transactions side by side and shares their log flushes itself; queueing them here
    /// puts them back in one line (553–716 a second with the queue, 589–911 without).
    pub async fn insert_token(
        &self,
        tenant: TenantId,
        t: &NewToken,
        actor: &Actor,
    ) -> StoreResult<TokenDetails> {
        if self.backend() == crate::Backend::Postgres {
            let mut made = self.write_tokens(&[(tenant, t, actor)]).await?;
            return Ok(made.remove(0));
        }
        let (reply, answer) = oneshot::channel();
        self.creations.queue().push(Creation {
            tenant,
            token: t.clone(),
            actor: actor.clone(),
            reply,
        });
        let turn = self.creations.turn.lock().await;
        // Whatever is queued now (this creation, unless the last turn took it) is written
        // in a task of its own, so that a caller that goes away mid-write cannot leave
        // the others unanswered or a commit unapplied.
        let batch = std::mem::take(&mut *self.creations.queue());
        if !batch.is_empty() {
            let store = self.clone();
            let _ = tokio::spawn(async move { store.write_creations(batch).await }).await;
        }
        drop(turn);
        answer.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    /// Writes a turn's creations in one transaction. When that fails, each is written
    /// alone, so that one bad creation fails alone.
    async fn write_creations(&self, batch: Vec<Creation>) {
        let all: Vec<_> = batch.iter().map(Creation::item).collect();
        match self.write_tokens(&all).await {
            Ok(made) => {
                for (c, d) in batch.into_iter().zip(made) {
                    let _ = c.reply.send(Ok(d));
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some(c) = batch.into_iter().next() {
                    let _ = c.reply.send(Err(e));
                }
            }
            Err(_) => {
                for c in batch {
                    let one = self.write_tokens(&[c.item()]).await;
                    let _ = c.reply.send(one.map(|mut made| made.remove(0)));
                }
            }
        }
    }

    /// Creates tokens in one transaction: all of them, or none when any insert fails.
    /// Each is audited (`token.created`) and logged for the other nodes.
    pub async fn insert_tokens(
        &self,
        tenant: TenantId,
        tokens: &[NewToken],
        actor: &Actor,
    ) -> StoreResult<Vec<TokenDetails>> {
        let all: Vec<_> = tokens.iter().map(|t| (tenant, t, actor)).collect();
        self.write_tokens(&all).await
    }

    /// Writes each token of its tenant by its actor, in one transaction.
    async fn write_tokens(
        &self,
        items: &[(TenantId, &NewToken, &Actor)],
    ) -> StoreResult<Vec<TokenDetails>> {
        let mut tx = self.begin().await?;
        write_new_tokens(&mut tx, items, crate::now()).await?;
        let made = new_details(&mut tx, items).await?;
        tx.commit().await?;
        Ok(made)
    }

    /// Imports tokens with secrets of another system in one transaction: all of them, or
    /// none when any insert fails (a secret stored meanwhile, say). Each is audited
    /// (`token.imported`) and logged for the other nodes, as a creation is.
    pub async fn import_tokens(
        &self,
        tenant: TenantId,
        tokens: &[NewToken],
        actor: &Actor,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let all: Vec<_> = tokens.iter().map(|t| (tenant, t, actor)).collect();
        // A secret stored by another import since the caller checked: refused as taken,
        // and nothing of this import is kept.
        write_new_tokens(&mut tx, &all, crate::now())
            .await
            .map_err(|e| match e {
                StoreError::Database(db) if StoreError::is_unique_violation(&db) => {
                    StoreError::Refused {
                        code: "secret_taken",
                        message: "a secret of this import was stored meanwhile by another \
                                  import; nothing was imported"
                            .into(),
                    }
                }
                e => e,
            })?;
        tx.commit().await?;
        Ok(())
    }

    /// Those of `hashes` that some API token or session already has as a secret (current
    /// or in a grace period).
    pub async fn stored_secrets(
        &self,
        hashes: &[TokenHash],
    ) -> StoreResult<std::collections::HashSet<TokenHash>> {
        let by_hex: std::collections::HashMap<String, TokenHash> =
            hashes.iter().map(|h| (h.to_hex(), *h)).collect();
        let hexes: Vec<String> = by_hex.keys().cloned().collect();
        let rows = self
            .rows_in(&hexes, |f, chunk| {
                format!(
                    "SELECT hash FROM token_secrets WHERE hash IN {}",
                    f.list(chunk)
                )
            })
            .await?;
        let mut found = std::collections::HashSet::new();
        for r in rows {
            let hex: String = r.try_get("hash")?;
            if let Some(h) = by_hex.get(&hex) {
                found.insert(*h);
            }
        }
        Ok(found)
    }

    pub async fn token(&self, tenant: TenantId, id: TokenId) -> StoreResult<TokenDetails> {
        details(&detail_row(&self.read, tenant, id).await?, crate::now())
    }

    /// Tokens of a tenant, newest first.
    pub async fn list_tokens(
        &self,
        tenant: TenantId,
        f: &TokenFilter,
        page: Page,
    ) -> StoreResult<(Vec<TokenDetails>, i64)> {
        let now = crate::now();
        let mut q = Filter::default();
        q.eq("t.tenant_id", tenant);
        if let Some(k) = f.kind {
            q.eq("t.kind", k.as_str());
        }
        if let Some(u) = f.user_id {
            q.eq("t.user_id", u);
        }
        // A whole token pasted in (a leaked one, say) finds its token by its hint, and
        // the hint's start (`kwa_GfqB`) finds it too; otherwise the name, description,
        // user and department are searched.
        let q_text = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
        match q_text.filter(|s| keyward_core::ParsedToken::parse(s).is_ok()) {
            Some(token) => q.eq("t.hint", keyward_core::token::hint_of(token)),
            None => {
                q.contains_or_starts(&["t.search", "u.search", "d.search"], &["t.hint"], q_text)
            }
        }
        // The same precedence as Token::status: revoked, then expired, then disabled.
        if f.status == TokenStatusFilter::Stale {
            let n = q.arg(now);
            q.and(unused_for("flag_unused_after_days", &n));
        } else if f.status != TokenStatusFilter::All && f.status != TokenStatusFilter::Revoked {
            let n = q.arg(now);
            let live =
                format!("t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > {n})");
            q.and(match f.status {
                TokenStatusFilter::Expired => {
                    format!("t.revoked_at IS NULL AND t.expires_at <= {n}")
                }
                TokenStatusFilter::Disabled => format!("{live} AND t.enabled = 0"),
                _ => format!("{live} AND t.enabled = 1"),
            });
        } else if f.status == TokenStatusFilter::Revoked {
            q.and("t.revoked_at IS NOT NULL".into());
        }
        if let Some(by) = f.expires_by {
            let by = q.arg(by);
            q.and(format!("t.expires_at IS NOT NULL AND t.expires_at <= {by}"));
        }
        let columns = detail_columns();
        let order = f.order.sql();
        let listing = Listing::new(&columns, DETAIL_FROM, &order);
        match f.standing {
            None => self.page(&listing, q, page, |r| details(r, now)).await,
            Some(s) => {
                let keep = |d: &TokenDetails| s.keeps(d.effective_status);
                self.page_kept(&listing, q, page, |r| details(r, now), keep)
                    .await
            }
        }
    }

    /// Tokens (API tokens and mobile sessions) counted by tenant, kind and state, for the
    /// metrics scrape: one grouped query over the table, whatever the number of tenants.
    /// The states follow `Token::status`: revoked, then expired, then disabled.
    pub async fn token_counts(&self) -> StoreResult<Vec<TokenCount>> {
        let rows = sqlx::query(
            "SELECT n.name AS tenant, t.kind AS kind, \
             CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' \
             WHEN t.expires_at IS NOT NULL AND t.expires_at <= $1 THEN 'expired' \
             WHEN t.enabled = 0 THEN 'disabled' ELSE 'active' END AS state, \
             COUNT(*) AS n FROM tokens t JOIN tenants n ON n.id = t.tenant_id GROUP BY 1, 2, 3",
        )
        .arg(crate::now())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let state: String = r.try_get("state")?;
                let status = [
                    TokenStatus::Active,
                    TokenStatus::Expired,
                    TokenStatus::Revoked,
                    TokenStatus::Disabled,
                ]
                .into_iter()
                .find(|s| s.as_str() == state);
                match (TokenKind::parse_name(&kind), status) {
                    (Some(kind), Some(status)) => Ok(TokenCount {
                        tenant: r.try_get("tenant")?,
                        kind,
                        status,
                        count: r.try_get("n")?,
                    }),
                    _ => Err(StoreError::Corrupt(format!(
                        "a token of kind {kind:?} in state {state:?}"
                    ))),
                }
            })
            .collect()
    }

    /// Soft removal: the token stays listed with the date and who removed it.
    /// Revoking an already revoked token changes nothing.
    pub async fn revoke_token(
        &self,
        tenant: TenantId,
        id: TokenId,
        actor: &Actor,
    ) -> StoreResult<TokenDetails> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let hint = self.lock_token(&mut tx, tenant, id).await?.hint;
        // A revoked token keeps no usable secret and no recoverable copy.
        let n = sqlx::query(
            "UPDATE tokens SET revoked_at = $3, revoked_by = $4, sealed_secret = NULL \
             WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL",
        )
        .arg(id)
        .arg(tenant)
        .arg(now)
        .arg(actor.user_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n > 0 {
            tx.record("token.revoked", "token", id, json!({"hint": hint}))
                .await?;
        }
        commit_token(tx, tenant, id).await
    }

    /// Hard delete of several tokens in one transaction. Returns the ids actually deleted;
    /// ids that do not exist in this tenant are skipped.
    pub async fn delete_tokens(
        &self,
        tenant: TenantId,
        ids: &[TokenId],
        actor: &Actor,
    ) -> StoreResult<Vec<TokenId>> {
        let now = crate::now();
        // Lock order: rows in id order first, the change-log lock (taken by `record`)
        // last, as every other writer does; otherwise two writers can deadlock.
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let mut found = Vec::with_capacity(ids.len());
        for id in &ids {
            let t = match self.lock_token(&mut tx, tenant, *id).await {
                Err(StoreError::NotFound(_)) => continue,
                t => t?,
            };
            delete_token_rows(&mut tx, *id).await?;
            found.push((
                *id,
                json!({"name": t.name, "hint": t.hint, "kind": t.kind.as_str()}),
            ));
        }
        for (id, details) in &found {
            tx.record("token.deleted", "token", id, details.clone())
                .await?;
        }
        tx.commit().await?;
        Ok(found.into_iter().map(|(id, _)| id).collect())
    }

    /// Gives the token a new secret. With `grace_until`, the current secret keeps working
    /// until then; otherwise it stops at once. Older secrets are always dropped. With
    /// `expires_at`, the token gets that expiry too (the new secret and the old one in
    /// its grace period alike); without, it keeps its own.
    pub async fn regenerate_token(
        &self,
        tenant: TenantId,
        id: TokenId,
        secret: &NewSecret,
        grace_until: Option<OffsetDateTime>,
        expires_at: Option<OffsetDateTime>,
        actor: &Actor,
    ) -> StoreResult<TokenDetails> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        // The row lock makes concurrent regenerations of one token take turns, so each
        // sees the secret the previous one wrote and at most one old secret survives.
        let cur = self.lock_token(&mut tx, tenant, id).await?;
        if cur.revoked_at.is_some() {
            return Err(StoreError::Refused {
                code: "token_revoked",
                message: "a revoked token cannot be regenerated; create a new token instead".into(),
            });
        }
        let old_hint = cur.hint;
        rotate_secret(&mut tx, TokenTable::Tokens, id, secret, grace_until).await?;
        if grace_until.is_some() {
            // The secret kept for the grace period carries its hint, and counts its uses
            // from here.
            sqlx::query(
                "UPDATE token_secrets SET hint = $2, uses = 0, last_used_at = NULL \
                 WHERE token_id = $1 AND valid_until IS NOT NULL",
            )
            .arg(id)
            .arg(&old_hint)
            .execute(&mut **tx)
            .await?;
        }
        let expiry = expires_at.or(cur.expires_at);
        sqlx::query(
            "UPDATE tokens SET hint = $2, sealed_secret = $3, expires_at = $4 WHERE id = $1",
        )
        .arg(id)
        .arg(&secret.hint)
        .arg(secret.sealed.as_ref())
        .arg(expiry)
        .execute(&mut **tx)
        .await?;
        let mut details = json!({"old_hint": old_hint, "hint": secret.hint, "grace_until": grace_until.map(to_ms)});
        if expires_at.is_some() && expires_at != cur.expires_at {
            details["expires_at"] = json!(expiry.map(to_ms));
            details["old_expires_at"] = json!(cur.expires_at.map(to_ms));
        }
        tx.record("token.regenerated", "token", id, details).await?;
        commit_token(tx, tenant, id).await
    }

    /// Ends a regenerate's grace period now: the previous secret stops working on every
    /// node (the change-log entry drops it from their caches). Refused when no grace
    /// period is in effect. The audit event keeps how much the old secret was used.
    pub async fn end_grace(
        &self,
        tenant: TenantId,
        id: TokenId,
        actor: &Actor,
    ) -> StoreResult<TokenDetails> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let cur = self.lock_token(&mut tx, tenant, id).await?;
        let previous = sqlx::query(
            "SELECT hint, uses, last_used_at FROM token_secrets \
             WHERE token_id = $1 AND valid_until IS NOT NULL AND valid_until > $2",
        )
        .arg(id)
        .arg(now)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(previous) = previous else {
            return Err(StoreError::Refused {
                code: "no_grace_period",
                message: "this token has no previous secret in a grace period; \
                          only the current secret works"
                    .into(),
            });
        };
        sqlx::query("DELETE FROM token_secrets WHERE token_id = $1 AND valid_until IS NOT NULL")
            .arg(id)
            .execute(&mut **tx)
            .await?;
        let uses: i64 = previous.try_get("uses")?;
        let last = rows::opt_time(&previous, "last_used_at")?;
        tx.record(
            "token.grace_ended",
            "token",
            id,
            json!({"name": cur.name, "hint": cur.hint,
                   "old_hint": previous.try_get::<Option<String>, _>("hint")?,
                   "old_secret_uses": uses, "old_secret_last_used_at": last.map(to_ms)}),
        )
        .await?;
        commit_token(tx, tenant, id).await
    }

    /// Adds uses of previous secrets (in their grace period) gathered in memory: `(hash,
    /// uses, last use)`. A secret gone meanwhile (grace over, ended, token deleted) is
    /// skipped. The counts are additive, so every node adds its own.
    pub async fn count_previous_secret_uses(
        &self,
        uses: &[(TokenHash, i64, OffsetDateTime)],
    ) -> StoreResult<()> {
        // Few rows: only secrets in a grace period, one per token at most. One
        // transaction, in hash order (the row locks of concurrent flushes agree).
        let mut uses = uses.to_vec();
        uses.sort_by_key(|(hash, _, _)| hash.0);
        let mut tx = self.write.begin().await?;
        for (hash, n, at) in &uses {
            sqlx::query(
                "UPDATE token_secrets SET uses = uses + $2, last_used_at = \
                 CASE WHEN last_used_at IS NULL OR last_used_at < $3 THEN $3 ELSE last_used_at END \
                 WHERE hash = $1 AND valid_until IS NOT NULL",
            )
            .arg(hash)
            .arg(*n)
            .arg(*at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn update_token(
        &self,
        tenant: TenantId,
        id: TokenId,
        up: &UpdateToken,
        actor: &Actor,
    ) -> StoreResult<TokenDetails> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let cur = self.lock_token(&mut tx, tenant, id).await?;
        let mut t = cur.clone();
        up.apply(&mut t);
        let done = sqlx::query(
            "UPDATE tokens SET name = $3, description = $4, enabled = $5, allowed_cidrs = $6, \
             rate_limit_requests = $7, rate_limit_window_seconds = $8, uses_remaining = $9, search = $10 \
             WHERE id = $1 AND tenant_id = $2",
        )
        .arg(id)
        .arg(tenant)
        .arg(&t.name)
        .arg(&t.description)
        .arg(t.enabled)
        .arg(json!(t.allowed_cidrs).to_string())
        .arg(t.rate_limit.map(|r| i64::from(r.requests)))
        .arg(t.rate_limit.map(|r| i64::from(r.window_seconds)))
        .arg(t.uses_remaining)
        .arg(search_key(&[&t.name, &t.description]))
        .execute(&mut **tx)
        .await?;
        found(done, "token")?;
        let action = match up.enabled {
            Some(true) if !cur.enabled => "token.enabled",
            Some(false) if cur.enabled => "token.disabled",
            _ => "token.updated",
        };
        tx.record(
            action,
            "token",
            id,
            json!({"name": t.name, "description": t.description, "enabled": t.enabled,
                   "allowed_cidrs": t.allowed_cidrs, "rate_limit": t.rate_limit,
                   "uses_remaining": t.uses_remaining}),
        )
        .await?;
        commit_token(tx, tenant, id).await
    }

    /// The sealed secret of a recoverable token, recording the reveal in the audit trail
    /// in the same transaction: no reveal goes unrecorded.
    pub async fn reveal_sealed(
        &self,
        tenant: TenantId,
        id: TokenId,
        actor: &Actor,
    ) -> StoreResult<Option<String>> {
        self.reveal_sealed_in(TokenTable::Tokens, tenant, &id.to_string(), actor)
            .await
    }

    /// Reads a sealed copy from `table` and, when there is one, audits the reveal in the
    /// same transaction. Shared by API tokens and endpoint tokens.
    pub(crate) async fn reveal_sealed_in(
        &self,
        table: TokenTable,
        tenant: TenantId,
        id: &str,
        actor: &Actor,
    ) -> StoreResult<Option<String>> {
        let (object_type, not_found) = match table {
            TokenTable::Tokens => ("token", "token"),
            TokenTable::EndpointTokens => ("endpoint_token", "endpoint token"),
        };
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let sql = format!(
            "SELECT sealed_secret, hint FROM {} WHERE id = $1 AND tenant_id = $2",
            table.table()
        );
        let row = row_of(&mut **tx, &sql, id, tenant, not_found).await?;
        let sealed: Option<String> = row.try_get("sealed_secret")?;
        if sealed.is_some() {
            let hint: String = row.try_get("hint")?;
            tx.record(
                &format!("{object_type}.revealed"),
                object_type,
                id,
                json!({"hint": hint}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(sealed)
    }

    /// Everything the verification decision needs about the token behind `hash`, in one
    /// read: the token's own state and its owner's, and nothing the decision does not use
    /// (names, descriptions, last use), so a cached subject stays small.
    pub async fn subject_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<Subject>> {
        let sql = format!("{SUBJECT_SELECT} WHERE s.hash = $1");
        let row = sqlx::query(&sql)
            .arg(hash)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| subject(&r)).transpose()
    }

    /// The subjects of up to `limit` stored secrets, with their hashes, in the order of
    /// the hashes from just after `after`: every token's, page by page, so a verifier can
    /// fill its cache at start with a few large reads instead of a million small ones.
    pub async fn subjects_after(
        &self,
        after: Option<&TokenHash>,
        limit: u32,
    ) -> StoreResult<Vec<(TokenHash, Subject)>> {
        let sql = format!("{SUBJECT_SELECT} WHERE s.hash > $1 ORDER BY s.hash LIMIT $2");
        let q = sqlx::query(&sql)
            .bind(after.map(TokenHash::to_hex).unwrap_or_default())
            .bind(i64::from(limit));
        let mut out = Vec::with_capacity((limit as usize).min(10_000));
        self.each_row(q, |r| {
            let hash: String = r.try_get("hash")?;
            let hash = TokenHash::from_hex(&hash)
                .ok_or_else(|| StoreError::Corrupt(format!("secret hash {hash:?}")))?;
            out.push((hash, subject(r)?));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// The hash prefixes of the rows of `table` (one with a `hash` column): every row, or
    /// with `of = Some((column, ids))` those whose `column` is one of `ids` (after a
    /// change seen in the log). Shared by every kind of stored secret.
    pub(crate) async fn hash_prefixes(
        &self,
        table: &str,
        of: Option<(&str, &[String])>,
    ) -> StoreResult<Vec<u64>> {
        match of {
            // Every row: streamed into the prefixes, not gathered first. A million rows
            // held at once were 200 MB at start that the allocator kept long after.
            None => {
                let sql = format!("SELECT hash FROM {table}");
                let mut out = Vec::new();
                self.each_row(sqlx::query(&sql), |r| {
                    out.extend(prefix(r)?);
                    Ok(())
                })
                .await?;
                Ok(out)
            }
            Some((column, ids)) => self
                .rows_in(ids, |f, chunk| {
                    format!(
                        "SELECT hash FROM {table} WHERE {column} IN {}",
                        f.list(chunk)
                    )
                })
                .await?
                .iter()
                .filter_map(|r| prefix(r).transpose())
                .collect(),
        }
    }

    /// The first 8 bytes of every stored secret hash, for the in-memory filter that lets
    /// unknown tokens be refused without a query.
    pub async fn secret_hash_prefixes(&self) -> StoreResult<Vec<u64>> {
        self.hash_prefixes("token_secrets", None).await
    }

    /// Hash prefixes of the secrets of the given tokens (after a change seen in the log).
    pub async fn secret_hash_prefixes_of(&self, token_ids: &[String]) -> StoreResult<Vec<u64>> {
        self.hash_prefixes("token_secrets", Some(("token_id", token_ids)))
            .await
    }

    /// Takes one use of a counted token, atomically across every node. False when none
    /// is left (or the token is gone).
    pub async fn consume_use(&self, id: TokenId) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE tokens SET uses_remaining = uses_remaining - 1 \
             WHERE id = $1 AND (uses_remaining IS NULL OR uses_remaining > 0)",
        )
        .arg(id)
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Records last-use times gathered in memory. Never moves a time back.
    ///
    /// Each chunk is its own statement and commits on its own: a flush of the tens of
    /// thousands of tokens a busy node uses between two flushes must not hold SQLite's one
    /// writer (or PostgreSQL's row locks) for the whole of it, or the administrators'
    /// changes queue behind it. A last-use time is a hint, so a flush cut short keeps the
    /// chunks it wrote, and the rest is retried.
    pub async fn touch_last_used(&self, uses: &[(TokenId, OffsetDateTime)]) -> StoreResult<()> {
        self.touch_last_use_in("token_last_use", "tokens", uses)
            .await
    }

    /// [`Store::touch_last_used`] for endpoint tokens (the applications' secondaries).
    pub async fn touch_endpoint_last_used(
        &self,
        uses: &[(keyward_core::EndpointTokenId, OffsetDateTime)],
    ) -> StoreResult<()> {
        self.touch_last_use_in("endpoint_token_last_use", "endpoint_tokens", uses)
            .await
    }

    /// Upserts `uses` into the last-use table `table` of the tokens in `parent`.
    async fn touch_last_use_in<I: Value + Copy + Ord>(
        &self,
        table: &str,
        parent: &str,
        uses: &[(I, OffsetDateTime)],
    ) -> StoreResult<()> {
        if uses.is_empty() {
            return Ok(());
        }
        // Rows in id order, as every writer locks them. One statement per chunk: an upsert
        // of the batch's VALUES (SQLite and PostgreSQL both name their columns column1,
        // column2) into the narrow `token_last_use`, instead of a statement per token or a
        // rewrite of each token's wide row. The join skips tokens deleted meanwhile;
        // `WHERE true` is SQLite's way of letting ON CONFLICT follow a SELECT.
        let mut uses = uses.to_vec();
        uses.sort_by_key(|(id, _)| *id);
        for (i, chunk) in uses.chunks(TOUCH_CHUNK).enumerate() {
            if i > 0 {
                // A last-use time is a hint: between its chunks, the writes that wait
                // for the connection (creations, changes, records) go first. Without
                // the pause this task took the connection straight back, and a flush
                // of tens of thousands of tokens in chunks of 500 held SQLite's one
                // writer for nearly its whole interval: 55 creations a second beside
                // random checks of 100,000 tokens, against 1,716 without the checks.
                // With chunks of 100 and the pause: 1,316 beside the checks.
                tokio::time::sleep(TOUCH_PAUSE).await;
            }
            let sql = format!(
                "INSERT INTO {table} (token_id, at) \
                 SELECT v.column1, v.column2 FROM (VALUES {}) AS v \
                 JOIN {parent} ON {parent}.id = v.column1 WHERE true \
                 ON CONFLICT (token_id) DO UPDATE SET at = excluded.at \
                 WHERE {table}.at < excluded.at",
                values_rows(chunk.len(), &["TEXT", "BIGINT"], 1)
            );
            let mut q = sqlx::query(&sql);
            for (id, at) in chunk {
                q = q.arg(*id).arg(*at);
            }
            q.execute(&self.write).await?;
        }
        Ok(())
    }

    /// The kinds of those of `ids` that name tokens of `tenant`. A kind never changes, so
    /// a route that acts on one kind can filter ids with this before acting on them.
    pub async fn token_kinds(
        &self,
        tenant: TenantId,
        ids: &[TokenId],
    ) -> StoreResult<std::collections::HashMap<TokenId, TokenKind>> {
        let rows = self
            .rows_of_tenant(tenant, "id, kind", "tokens", ids)
            .await?;
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            let kind = TokenKind::parse_name(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("token kind {kind:?}")))?;
            out.insert(rows::id(r, "id")?, kind);
        }
        Ok(out)
    }
}

/// What a check reads of a stored secret (`s`), its token (`t`) and the token's owner:
/// the columns of [`subject`].
const SUBJECT_SELECT: &str = concat!(
    "SELECT s.hash, t.id, t.kind, t.enabled, t.revoked_at, t.expires_at, \
     t.created_at, t.allowed_cidrs, t.rate_limit_requests, t.rate_limit_window_seconds, t.uses_remaining, \
     t.tenant_id, t.user_id, t.department_id, t.user_type_id, \
     s.valid_until AS secret_valid_until, ",
    owner_columns!(),
    " FROM token_secrets s JOIN tokens t ON t.id = s.token_id ",
    owner_joins!()
);

/// A subject from a row of [`SUBJECT_SELECT`].
pub(crate) fn subject(r: &AnyRow) -> StoreResult<Subject> {
    Ok(Subject {
        token: rows::token_state(r)?,
        owner: std::sync::Arc::new(Owner {
            tenant_id: rows::id(r, "tenant_id")?,
            user_id: rows::id(r, "user_id")?,
            department_id: rows::id(r, "department_id")?,
            user_type_id: rows::id(r, "user_type_id")?,
            username: r.try_get("username")?,
            user_is_admin: rows::flag(r, "user_is_admin")?,
            user_locked: rows::flag(r, "user_locked")?,
            user_active_from: rows::opt_time(r, "user_active_from")?,
            user_active_until: rows::opt_time(r, "user_active_until")?,
            department_name: r.try_get("department_name")?,
            user_type_name: r.try_get("user_type_name")?,
            permissions: rows::permissions(&r.try_get::<String, _>("permissions")?)?,
            membership_held: rows::flag(r, "membership_held")?,
            settings: rows::settings(r)?,
            memo: Default::default(),
            stale: Default::default(),
        }),
    })
}

/// Where a leaked secret was found, as its reporter says (a secret scanner, or the
/// holder revoking it).
#[derive(Clone, Debug, Default)]
pub struct LeakReport {
    /// e.g. `github`, `gitleaks`, `self`.
    pub source: String,
    /// Where it was found, if the reporter says.
    pub url: Option<String>,
    /// The reporter's name for the kind of secret, if it gives one.
    pub reported_type: Option<String>,
}

/// What a leak report did to the token whose secret it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakOutcome {
    /// Revoked now.
    Revoked,
    /// It was revoked already; the report is recorded all the same.
    AlreadyRevoked,
}

impl Store {
    /// Revokes, at once and whatever grace period it is in, the token (API token or mobile
    /// session) one of whose secrets hashes to `hash`, and records the report
    /// (`token.leaked`, with its source and URL, beside `token.revoked`): `None` if no
    /// stored secret hashes so. The report names no tenant: the token's own is used.
    pub async fn revoke_leaked(
        &self,
        hash: &TokenHash,
        report: &LeakReport,
        actor: &Actor,
    ) -> StoreResult<Option<(TenantId, TokenId, LeakOutcome)>> {
        let found = sqlx::query(
            "SELECT t.id, t.tenant_id FROM token_secrets s JOIN tokens t ON t.id = s.token_id \
             WHERE s.hash = $1",
        )
        .arg(hash)
        .fetch_optional(&self.read)
        .await?;
        let Some(found) = found else { return Ok(None) };
        let (id, tenant): (TokenId, TenantId) =
            (rows::id(&found, "id")?, rows::id(&found, "tenant_id")?);
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let hint = match self.lock_token(&mut tx, tenant, id).await {
            Ok(t) => t.hint,
            // Deleted between the two reads: nothing is left to revoke.
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let n = sqlx::query(
            "UPDATE tokens SET revoked_at = $2, revoked_by = NULL, sealed_secret = NULL \
             WHERE id = $1 AND revoked_at IS NULL",
        )
        .arg(id)
        .arg(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n > 0 {
            tx.record(
                "token.revoked",
                "token",
                id,
                json!({"hint": hint, "reason": "leaked"}),
            )
            .await?;
        }
        tx.record(
            "token.leaked",
            "token",
            id,
            json!({"hint": hint, "source": report.source, "url": report.url,
                   "reported_type": report.reported_type}),
        )
        .await?;
        tx.commit().await?;
        let outcome = if n > 0 {
            LeakOutcome::Revoked
        } else {
            LeakOutcome::AlreadyRevoked
        };
        Ok(Some((tenant, id, outcome)))
    }
}
