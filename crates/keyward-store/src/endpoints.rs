//! Hosted endpoints (SPEC §6): the endpoints, their primary and secondary tokens, the
//! assignments of secondary tokens to endpoints, and the records the endpoints receive.
//! As in `tokens.rs`, nothing here sees a plaintext secret. Every change of an endpoint,
//! a token or an assignment writes its audit event and change-log row in its transaction,
//! so that every node's verifier drops answers it may have cached. Records are data sent
//! by integrations, not configuration, so storing and deleting them is not audited.

use crate::audit::Actor;
use crate::error::on_unique;
use crate::query::{found, row_of, search_key, Arg, Filter, Listing, Page};
use crate::rows;
use crate::tokens::{insert_secret, rotate_secret, NewSecret, TokenTable};
use crate::tx::Tx;
use crate::update::Note;
use crate::{to_ms, Store, StoreError, StoreResult};
use keyward_core::change::{UpdateEndpoint, UpdateEndpointToken};
use keyward_core::endpoint::{
    primary_methods, Assignment, AuthType, Endpoint, EndpointDetails, EndpointMethod, EndpointPath,
    EndpointToken, EndpointTokenDetails, MethodSet,
};
pub use keyward_core::endpoint::{EndpointRecord, RecordBucket};
use keyward_core::text::Name;
use keyward_core::verify::{EndpointSubject, Grant};
use keyward_core::{
    EndpointId, EndpointRecordId, EndpointTokenId, TenantId, TokenHash, TokenKind, UserId,
};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row, Transaction};
use time::OffsetDateTime;

/// A new endpoint; its id is given when it is stored.
#[derive(Clone, Debug)]
pub struct NewEndpoint {
    pub name: Name,
    pub path: EndpointPath,
    pub description: String,
    pub auth_type: AuthType,
    pub allow_deleting: bool,
    pub enabled: bool,
}

/// A primary token the store may create: the caller offers one for every method, and
/// the store uses those that the change leaves without a primary. Deciding under the
/// endpoint's row lock means two concurrent changes cannot both create one.
#[derive(Clone, Debug)]
pub struct OfferedPrimary {
    pub method: EndpointMethod,
    pub id: EndpointTokenId,
    pub secret: NewSecret,
}

/// An endpoint after a change, with the primary tokens the change created and removed.
#[derive(Clone, Debug)]
pub struct EndpointChange {
    pub endpoint: EndpointDetails,
    pub created: Vec<EndpointTokenId>,
    pub removed: Vec<EndpointTokenId>,
}

/// A new secondary token (one per external application).
#[derive(Clone, Debug)]
pub struct NewEndpointToken {
    pub id: EndpointTokenId,
    pub name: Name,
    pub description: String,
    pub enabled: bool,
    pub secret: NewSecret,
}

/// Which secondary tokens a listing shows: enabled ones by default (seed 003).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EndpointTokenStatus {
    #[default]
    Active,
    Inactive,
    /// Active, and unused for the tenant's `flag_unused_after_days`.
    Stale,
    All,
}

#[derive(Clone, Debug, Default)]
pub struct EndpointTokenFilter {
    pub status: EndpointTokenStatus,
    /// Matches the token's name.
    pub q: Option<String>,
}

/// What a hosted endpoint stores for one POST.
#[derive(Clone, Debug)]
pub struct NewRecord<'a> {
    pub endpoint: &'a Endpoint,
    /// The token that was accepted, if the endpoint asked for one.
    pub token: Option<&'a EndpointToken>,
    pub method: EndpointMethod,
    pub ip: Option<String>,
    /// JSON, stored exactly as sent.
    pub body: String,
}

#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    pub token_id: Option<EndpointTokenId>,
    pub from: Option<OffsetDateTime>,
    /// Inclusive.
    pub to: Option<OffsetDateTime>,
}

/// Unqualified, so that writes can return them too (`RETURNING {ENDPOINT_COLS}`).
const ENDPOINT_COLS: &str = "id, tenant_id, name, path, description, auth_type, \
    allow_deleting, enabled, created_at, created_by, updated_at";

/// The tenant's `flag_unused_after_days` for endpoint token `t`.
macro_rules! etoken_flag_days {
    () => {
        "(SELECT ts.flag_unused_after_days FROM tenant_settings ts WHERE ts.tenant_id = t.tenant_id)"
    };
}

/// Endpoint token `t`'s last use, `NULL` when never used.
macro_rules! etoken_last_used_at {
    () => {
        "(SELECT lu.at FROM endpoint_token_last_use lu WHERE lu.token_id = t.id)"
    };
}

const ETOKEN_COLS: &str = concat!(
    "t.id, t.tenant_id, t.kind, t.endpoint_id, t.method, t.name, \
     t.description, t.hint, t.enabled, t.active, t.sealed_secret, t.created_at, t.created_by, t.updated_at, \
     t.activated_at, ",
    etoken_last_used_at!(),
    " AS last_used_at, ",
    etoken_flag_days!(),
    " AS flag_days"
);

/// When endpoint token `t` was last active: its last use (its creation if never used),
/// or its last activation if that came later.
macro_rules! etoken_last_use {
    () => {
        concat!("COALESCE(", etoken_last_used_at!(), ", t.created_at)")
    };
}
pub(crate) const ETOKEN_LAST_ACTIVE: &str = concat!(
    "(CASE WHEN t.activated_at > ",
    etoken_last_use!(),
    " THEN t.activated_at ELSE ",
    etoken_last_use!(),
    " END)"
);

/// Endpoint tokens `t` with their tenant's settings `ts`, for the inactivity policy's
/// conditions.
pub(crate) const ETOKEN_WITH_SETTINGS: &str =
    "FROM endpoint_tokens t LEFT JOIN tenant_settings ts ON ts.tenant_id = t.tenant_id";

/// The condition that endpoint token `t` has gone the days of its tenant's settings column
/// `days` (in `ts`, joined) without a use by `now` (a placeholder):
/// `rules::endpoint_token_unused_for` in SQL.
pub(crate) fn etoken_unused_for(days: &str, now: &str) -> String {
    format!(
        "ts.{days} > 0 AND t.kind = 'secondary' AND t.active = 1 \
         AND {ETOKEN_LAST_ACTIVE} <= {now} - ts.{days} * 86400000"
    )
}

const ASSIGNMENT_SELECT: &str = "SELECT a.endpoint_id, e.name AS endpoint_name, e.path AS endpoint_path, \
    a.token_id, t.name AS token_name, t.hint AS token_hint, t.enabled AS token_enabled, a.enabled, \
    a.methods, a.created_at, a.updated_at FROM endpoint_assignments a JOIN endpoints e ON e.id = a.endpoint_id \
    JOIN endpoint_tokens t ON t.id = a.token_id";

fn endpoint(r: &AnyRow) -> StoreResult<Endpoint> {
    let auth: String = r.try_get("auth_type")?;
    Ok(Endpoint {
        id: rows::id(r, "id")?,
        tenant_id: rows::id(r, "tenant_id")?,
        name: r.try_get("name")?,
        path: r.try_get("path")?,
        description: r.try_get("description")?,
        auth_type: AuthType::parse(&auth)
            .ok_or_else(|| StoreError::Corrupt(format!("auth_type {auth:?}")))?,
        allow_deleting: rows::flag(r, "allow_deleting")?,
        enabled: rows::flag(r, "enabled")?,
        created_at: rows::time(r, "created_at")?,
        created_by: rows::opt_id(r, "created_by")?,
        updated_at: rows::time(r, "updated_at")?,
    })
}

fn tenant_path(r: &AnyRow) -> StoreResult<(TenantId, String)> {
    Ok((rows::id(r, "tenant_id")?, r.try_get("path")?))
}

fn method(s: &str) -> StoreResult<EndpointMethod> {
    EndpointMethod::parse(s).ok_or_else(|| StoreError::Corrupt(format!("method {s:?}")))
}

fn endpoint_token(r: &AnyRow) -> StoreResult<EndpointToken> {
    let kind: String = r.try_get("kind")?;
    let m: Option<String> = r.try_get("method")?;
    let mut t = EndpointToken {
        id: rows::id(r, "id")?,
        tenant_id: rows::id(r, "tenant_id")?,
        kind: TokenKind::parse_name(&kind)
            .filter(|k| matches!(k, TokenKind::Primary | TokenKind::Secondary))
            .ok_or_else(|| StoreError::Corrupt(format!("endpoint token kind {kind:?}")))?,
        endpoint_id: rows::opt_id(r, "endpoint_id")?,
        method: m.as_deref().map(method).transpose()?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        hint: r.try_get("hint")?,
        enabled: rows::flag(r, "enabled")?,
        active: rows::flag(r, "active")?,
        recoverable: r.try_get::<Option<String>, _>("sealed_secret")?.is_some(),
        created_at: rows::time(r, "created_at")?,
        created_by: rows::opt_id(r, "created_by")?,
        updated_at: rows::time(r, "updated_at")?,
        last_used_at: rows::opt_time(r, "last_used_at")?,
        stale: false,
    };
    // Under the tenant's `flag_unused_after_days`, read with the token, from its last
    // activity as `ETOKEN_LAST_ACTIVE` says.
    let days = r.try_get::<Option<i64>, _>("flag_days")?.unwrap_or(0);
    let used = t.last_used_at.unwrap_or(t.created_at);
    let since = rows::opt_time(r, "activated_at")?.map_or(used, |a| a.max(used));
    t.stale = keyward_core::rules::endpoint_token_unused_for(
        &t,
        since,
        u32::try_from(days).unwrap_or(0),
        crate::now(),
    );
    Ok(t)
}

fn method_set(r: &AnyRow, col: &str) -> StoreResult<MethodSet> {
    let s: String = r.try_get(col)?;
    MethodSet::from_stored(&s)
        .ok_or_else(|| StoreError::Corrupt(format!("assignment methods {s:?}")))
}

fn assignment(r: &AnyRow) -> StoreResult<Assignment> {
    Ok(Assignment {
        endpoint_id: rows::id(r, "endpoint_id")?,
        endpoint_name: r.try_get("endpoint_name")?,
        endpoint_path: r.try_get("endpoint_path")?,
        token_id: rows::id(r, "token_id")?,
        token_name: r.try_get("token_name")?,
        token_hint: r.try_get("token_hint")?,
        token_enabled: rows::flag(r, "token_enabled")?,
        enabled: rows::flag(r, "enabled")?,
        methods: method_set(r, "methods")?.methods(),
        created_at: rows::time(r, "created_at")?,
        updated_at: rows::time(r, "updated_at")?,
    })
}

/// A stored record as a hosted endpoint serves it: its document as the text it was sent
/// in, checked to be JSON but not parsed into a tree (a page of large documents costs a
/// scan of each, not a tree of each built and written out again).
#[derive(Debug)]
pub struct RawRecord {
    pub id: EndpointRecordId,
    pub received_at: OffsetDateTime,
    /// `None` when the stored text is not JSON (see [`EndpointRecord::unreadable`]).
    pub body: Option<Box<serde_json::value::RawValue>>,
}

fn raw_record(r: &AnyRow) -> StoreResult<RawRecord> {
    let id: EndpointRecordId = rows::id(r, "id")?;
    let body = serde_json::value::RawValue::from_string(r.try_get("body")?).map_err(|e| {
        tracing::warn!(record = %id, error = %e, "a stored record cannot be read back as JSON");
    });
    Ok(RawRecord {
        id,
        received_at: rows::time(r, "received_at")?,
        body: body.ok(),
    })
}

fn endpoint_record(r: &AnyRow) -> StoreResult<EndpointRecord> {
    let kind: Option<String> = r.try_get("token_kind")?;
    let body: String = r.try_get("body")?;
    let id: EndpointRecordId = rows::id(r, "id")?;
    let body = serde_json::from_str::<serde_json::Value>(&body).map_err(|e| {
        tracing::warn!(record = %id, error = %e, "a stored record cannot be read back as JSON");
    });
    Ok(EndpointRecord {
        id,
        endpoint_id: rows::id(r, "endpoint_id")?,
        token_id: rows::opt_id(r, "token_id")?,
        token_kind: kind.as_deref().and_then(TokenKind::parse_name),
        token_name: r.try_get("token_name")?,
        method: method(&r.try_get::<String, _>("method")?)?,
        ip: r.try_get("ip")?,
        received_at: rows::time(r, "received_at")?,
        unreadable: body.is_err(),
        body: body.unwrap_or(serde_json::Value::Null),
    })
}

/// The audit event of one change, written after every row of the change is locked.
struct Event {
    action: &'static str,
    object_type: &'static str,
    object_id: String,
    details: serde_json::Value,
}

impl Event {
    fn endpoint(action: &'static str, id: EndpointId, details: serde_json::Value) -> Self {
        Self {
            action,
            object_type: "endpoint",
            object_id: id.to_string(),
            details,
        }
    }

    fn token(action: &'static str, id: EndpointTokenId, details: serde_json::Value) -> Self {
        Self {
            action,
            object_type: "endpoint_token",
            object_id: id.to_string(),
            details,
        }
    }
}

async fn record_all(tx: &mut Tx, events: Vec<Event>) -> StoreResult<()> {
    for e in events {
        tx.record(e.action, e.object_type, e.object_id, e.details)
            .await?;
    }
    Ok(())
}

/// An endpoint's primary tokens, in method order (POST, GET, DELETE): on the read pool,
/// or in a transaction that changed them.
async fn primary_tokens_of<'c>(
    conn: impl Executor<'c, Database = Any>,
    tenant: TenantId,
    endpoint_id: EndpointId,
) -> StoreResult<Vec<EndpointToken>> {
    let sql = format!(
        "SELECT {ETOKEN_COLS} FROM endpoint_tokens t WHERE t.endpoint_id = $1 AND t.tenant_id = $2 \
         AND t.kind = 'primary'"
    );
    let rows = sqlx::query(&sql)
        .arg(endpoint_id)
        .arg(tenant)
        .fetch_all(conn)
        .await?;
    let mut v = rows
        .iter()
        .map(endpoint_token)
        .collect::<StoreResult<Vec<_>>>()?;
    v.sort_by_key(|t| t.method);
    Ok(v)
}

/// Reads the endpoint's primary tokens as `tx` leaves them, then commits: the change
/// returns what it wrote, without a second read after the commit.
async fn commit_endpoint(
    mut tx: Tx,
    endpoint: Endpoint,
    (created, removed): (Vec<EndpointTokenId>, Vec<EndpointTokenId>),
) -> StoreResult<EndpointChange> {
    let primary_tokens = primary_tokens_of(&mut **tx, endpoint.tenant_id, endpoint.id).await?;
    tx.commit().await?;
    Ok(EndpointChange {
        endpoint: EndpointDetails {
            endpoint,
            primary_tokens,
        },
        created,
        removed,
    })
}

/// An endpoint token with its assignments: on a read connection, or in a transaction
/// that changed it.
async fn endpoint_token_details(
    conn: &mut AnyConnection,
    tenant: TenantId,
    id: EndpointTokenId,
) -> StoreResult<EndpointTokenDetails> {
    let sql =
        format!("SELECT {ETOKEN_COLS} FROM endpoint_tokens t WHERE t.id = $1 AND t.tenant_id = $2");
    let row = row_of(&mut *conn, &sql, id, tenant, "endpoint token").await?;
    let token = endpoint_token(&row)?;
    let rows = sqlx::query(&format!(
        "{ASSIGNMENT_SELECT} WHERE a.token_id = $1 AND a.tenant_id = $2 ORDER BY e.name, e.id"
    ))
    .arg(id)
    .arg(tenant)
    .fetch_all(&mut *conn)
    .await?;
    Ok(EndpointTokenDetails {
        token,
        assignments: rows.iter().map(assignment).collect::<StoreResult<_>>()?,
    })
}

/// Reads the endpoint token as `tx` leaves it, then commits.
async fn commit_endpoint_token(
    mut tx: Tx,
    tenant: TenantId,
    id: EndpointTokenId,
) -> StoreResult<EndpointTokenDetails> {
    let details = endpoint_token_details(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(details)
}

async fn assignment_of<'c>(
    conn: impl Executor<'c, Database = Any>,
    tenant: TenantId,
    endpoint_id: EndpointId,
    token_id: EndpointTokenId,
) -> StoreResult<Assignment> {
    let row = sqlx::query(&format!(
        "{ASSIGNMENT_SELECT} WHERE a.endpoint_id = $1 AND a.token_id = $2 AND a.tenant_id = $3"
    ))
    .arg(endpoint_id)
    .arg(token_id)
    .arg(tenant)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound("assignment"))?;
    assignment(&row)
}

/// Deletes a token's secrets, assignments and row (records keep naming it).
async fn delete_token_rows(
    tx: &mut Transaction<'static, Any>,
    id: EndpointTokenId,
) -> StoreResult<()> {
    for sql in [
        "DELETE FROM endpoint_token_secrets WHERE token_id = $1",
        "DELETE FROM endpoint_assignments WHERE token_id = $1",
        "DELETE FROM endpoint_tokens WHERE id = $1",
    ] {
        sqlx::query(sql).arg(id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Brings an endpoint's primary tokens in line with its configuration: POST and GET under
/// token authentication, DELETE while deleting is allowed, none otherwise (rule 6).
async fn reconcile_primaries(
    tx: &mut crate::tx::Tx,
    e: &Endpoint,
    offered: &[OfferedPrimary],
    created_by: Option<UserId>,
    now: OffsetDateTime,
    events: &mut Vec<Event>,
) -> StoreResult<(Vec<EndpointTokenId>, Vec<EndpointTokenId>)> {
    let existing = sqlx::query(
        "SELECT id, method, hint FROM endpoint_tokens WHERE endpoint_id = $1 AND kind = 'primary' ORDER BY id",
    )
    .arg(e.id)
    .fetch_all(&mut ***tx)
    .await?;
    let wanted = primary_methods(e.auth_type, e.allow_deleting);
    let mut have = Vec::new();
    let mut removed = Vec::new();
    for r in &existing {
        let id: EndpointTokenId = rows::id(r, "id")?;
        let m = method(&r.try_get::<String, _>("method")?)?;
        if wanted.contains(&m) {
            have.push(m);
        } else {
            delete_token_rows(tx, id).await?;
            events.push(Event::token(
                "endpoint_token.deleted",
                id,
                json!({"endpoint_id": e.id, "method": m, "hint": r.try_get::<String, _>("hint")?}),
            ));
            removed.push(id);
        }
    }
    let mut created = Vec::new();
    for m in wanted.into_iter().filter(|m| !have.contains(m)) {
        let o = offered.iter().find(|o| o.method == m).ok_or_else(|| {
            StoreError::Invalid(format!("no secret was offered for the {m} primary token"))
        })?;
        sqlx::query(
            "INSERT INTO endpoint_tokens (id, tenant_id, kind, endpoint_id, method, name, search, description, hint, \
             enabled, sealed_secret, created_at, created_by, updated_at) \
             VALUES ($1, $2, 'primary', $3, $4, $5, $6, '', $7, 1, $8, $9, $10, $9)",
        )
        .arg(o.id)
        .arg(e.tenant_id)
        .arg(e.id)
        .arg(m.as_str())
        .arg(m.primary_name())
        .arg(search_key(&[m.as_str()]))
        .arg(&o.secret.hint)
        .arg(&o.secret.sealed)
        .arg(now)
        .arg(created_by)
        .execute(&mut ***tx)
        .await?;
        insert_secret(tx, TokenTable::EndpointTokens, o.id, &o.secret).await?;
        events.push(Event::token(
            "endpoint_token.created",
            o.id,
            json!({"kind": "primary", "endpoint_id": e.id, "method": m, "hint": o.secret.hint}),
        ));
        created.push(o.id);
    }
    Ok((created, removed))
}

impl Store {
    async fn lock_endpoint(
        &self,
        tx: &mut Transaction<'static, Any>,
        tenant: TenantId,
        id: EndpointId,
    ) -> StoreResult<Endpoint> {
        let sql = format!(
            "SELECT {ENDPOINT_COLS} FROM endpoints WHERE id = $1 AND tenant_id = $2{}",
            self.for_update()
        );
        let row = row_of(&mut **tx, &sql, id, tenant, "endpoint").await?;
        endpoint(&row)
    }

    async fn lock_endpoint_token(
        &self,
        tx: &mut Transaction<'static, Any>,
        tenant: TenantId,
        id: EndpointTokenId,
        kind: Option<TokenKind>,
    ) -> StoreResult<EndpointToken> {
        let sql = format!(
            "SELECT {ETOKEN_COLS} FROM endpoint_tokens t WHERE t.id = $1 AND t.tenant_id = $2{}",
            self.for_update()
        );
        let row = sqlx::query(&sql)
            .arg(id)
            .arg(tenant)
            .fetch_optional(&mut **tx)
            .await?;
        let t = row.as_ref().map(endpoint_token).transpose()?;
        t.filter(|t| kind.is_none_or(|k| t.kind == k))
            .ok_or(StoreError::NotFound("endpoint token"))
    }

    // --- endpoints ---------------------------------------------------------------------

    /// Creates an endpoint and, under token authentication, its primary tokens (from
    /// `offered`).
    pub async fn insert_endpoint(
        &self,
        tenant: TenantId,
        new: &NewEndpoint,
        offered: &[OfferedPrimary],
        actor: &Actor,
    ) -> StoreResult<EndpointChange> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO endpoints (id, tenant_id, name, search, path, description, auth_type, allow_deleting, \
             enabled, created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10) \
             RETURNING {ENDPOINT_COLS}"
        ))
        .arg(EndpointId::new())
        .arg(tenant)
        .arg(&new.name)
        .arg(search_key(&[new.name.as_str(), new.path.as_str()]))
        .arg(&new.path)
        .arg(&new.description)
        .arg(new.auth_type.as_str())
        .arg(new.allow_deleting)
        .arg(new.enabled)
        .arg(now)
        .arg(actor.user_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(on_unique("path", new.path.as_str()))?;
        let e = endpoint(&row)?;
        tx.stored_path(tenant, &e.path);
        let mut events = vec![Event::endpoint(
            "endpoint.created",
            e.id,
            json!({"name": e.name, "path": e.path, "auth_type": e.auth_type,
                   "allow_deleting": e.allow_deleting, "enabled": e.enabled}),
        )];
        let primaries =
            reconcile_primaries(&mut tx, &e, offered, actor.user_id, now, &mut events).await?;
        record_all(&mut tx, events).await?;
        commit_endpoint(tx, e, primaries).await
    }

    /// Changes an endpoint. Switching to token authentication creates the POST and GET
    /// primaries (and DELETE while deleting is allowed); switching it off, or turning
    /// deleting off, removes the primaries that no longer apply.
    pub async fn update_endpoint(
        &self,
        tenant: TenantId,
        id: EndpointId,
        up: &UpdateEndpoint,
        offered: &[OfferedPrimary],
        actor: &Actor,
    ) -> StoreResult<EndpointChange> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let old = self.lock_endpoint(&mut tx, tenant, id).await?;
        let mut e = old.clone();
        up.apply(&mut e);
        e.updated_at = now;
        let row = sqlx::query(&format!(
            "UPDATE endpoints SET name = $2, search = $3, path = $4, description = $5, auth_type = $6, \
             allow_deleting = $7, enabled = $8, updated_at = $9 WHERE id = $1 RETURNING {ENDPOINT_COLS}"
        ))
        .arg(id)
        .arg(&e.name)
        .arg(search_key(&[&e.name, &e.path]))
        .arg(&e.path)
        .arg(&e.description)
        .arg(e.auth_type.as_str())
        .arg(e.allow_deleting)
        .arg(e.enabled)
        .arg(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(on_unique("path", &e.path))?;
        let e = endpoint(&row)?;
        tx.stored_path(tenant, &e.path);
        let mut changed = serde_json::Map::new();
        changed.note("name", &old.name, &e.name);
        if old.path != e.path {
            changed.insert("path".into(), json!(e.path));
            changed.insert("old_path".into(), json!(old.path));
        }
        changed.note("description", &old.description, &e.description);
        changed.note("auth_type", &old.auth_type, &e.auth_type);
        changed.note("allow_deleting", &old.allow_deleting, &e.allow_deleting);
        changed.note("enabled", &old.enabled, &e.enabled);
        let action = match (old.enabled, e.enabled) {
            (false, true) => "endpoint.enabled",
            (true, false) => "endpoint.disabled",
            _ => "endpoint.updated",
        };
        let mut events = vec![Event::endpoint(
            action,
            id,
            serde_json::Value::Object(changed),
        )];
        let primaries =
            reconcile_primaries(&mut tx, &e, offered, actor.user_id, now, &mut events).await?;
        record_all(&mut tx, events).await?;
        commit_endpoint(tx, e, primaries).await
    }

    pub async fn endpoint(&self, tenant: TenantId, id: EndpointId) -> StoreResult<EndpointDetails> {
        let sql = format!("SELECT {ENDPOINT_COLS} FROM endpoints WHERE id = $1 AND tenant_id = $2");
        let row = row_of(&self.read, &sql, id, tenant, "endpoint").await?;
        let e = endpoint(&row)?;
        Ok(EndpointDetails {
            primary_tokens: self.primary_tokens(tenant, id).await?,
            endpoint: e,
        })
    }

    /// An endpoint's primary tokens, in method order (POST, GET, DELETE).
    pub async fn primary_tokens(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
    ) -> StoreResult<Vec<EndpointToken>> {
        primary_tokens_of(&self.read, tenant, endpoint_id).await
    }

    /// The endpoint of `tenant` served at `/e/{tenant}/{path}`.
    pub async fn endpoint_by_path(
        &self,
        tenant: TenantId,
        path: &str,
    ) -> StoreResult<Option<Endpoint>> {
        let sql =
            format!("SELECT {ENDPOINT_COLS} FROM endpoints WHERE tenant_id = $1 AND path = $2");
        let row = sqlx::query(&sql)
            .arg(tenant)
            .arg(path)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(endpoint).transpose()
    }

    /// Endpoints of a tenant, by name.
    pub async fn list_endpoints(
        &self,
        tenant: TenantId,
        q: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<Endpoint>, i64)> {
        let mut f = Filter::default();
        f.eq("tenant_id", tenant);
        f.contains(&["search"], q);
        const ENDPOINTS: Listing = Listing::new(ENDPOINT_COLS, "FROM endpoints", "name, id");
        self.page(&ENDPOINTS, f, page, endpoint).await
    }

    /// Deletes an endpoint with its primary tokens, assignments and records.
    pub async fn delete_endpoint(
        &self,
        tenant: TenantId,
        id: EndpointId,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let e = self.lock_endpoint(&mut tx, tenant, id).await?;
        let primaries: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM endpoint_tokens WHERE endpoint_id = $1 AND kind = 'primary' ORDER BY id",
        )
        .arg(id)
        .fetch_all(&mut **tx)
        .await?;
        for p in &primaries {
            let pid: EndpointTokenId = p
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("endpoint token id {p:?}")))?;
            delete_token_rows(&mut tx, pid).await?;
        }
        for sql in [
            "DELETE FROM endpoint_assignments WHERE endpoint_id = $1",
            "DELETE FROM endpoint_records WHERE endpoint_id = $1",
            "DELETE FROM endpoints WHERE id = $1",
        ] {
            sqlx::query(sql).arg(id).execute(&mut **tx).await?;
        }
        tx.record(
            "endpoint.deleted",
            "endpoint",
            id,
            json!({"name": e.name, "path": e.path, "primary_tokens": primaries}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every endpoint's tenant and path, for the verifier's filter of paths worth a lookup.
    pub async fn endpoint_paths(&self) -> StoreResult<Vec<(TenantId, String)>> {
        let rows = sqlx::query("SELECT tenant_id, path FROM endpoints")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(tenant_path).collect()
    }

    /// The tenants and paths of the given endpoints (after a change seen in the log).
    pub async fn endpoint_paths_of(&self, ids: &[String]) -> StoreResult<Vec<(TenantId, String)>> {
        let rows = self
            .rows_in(ids, |f, chunk| {
                format!(
                    "SELECT tenant_id, path FROM endpoints WHERE id IN {}",
                    f.list(chunk)
                )
            })
            .await?;
        rows.iter().map(tenant_path).collect()
    }

    // --- endpoint tokens ---------------------------------------------------------------

    /// Creates a secondary token.
    pub async fn insert_endpoint_token(
        &self,
        tenant: TenantId,
        new: &NewEndpointToken,
        actor: &Actor,
    ) -> StoreResult<EndpointTokenDetails> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        sqlx::query(
            "INSERT INTO endpoint_tokens (id, tenant_id, kind, endpoint_id, method, name, search, description, hint, \
             enabled, sealed_secret, created_at, created_by, updated_at) \
             VALUES ($1, $2, 'secondary', NULL, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $9)",
        )
        .arg(new.id)
        .arg(tenant)
        .arg(&new.name)
        .arg(search_key(&[new.name.as_str()]))
        .arg(&new.description)
        .arg(&new.secret.hint)
        .arg(new.enabled)
        .arg(&new.secret.sealed)
        .arg(now)
        .arg(actor.user_id)
        .execute(&mut **tx)
        .await?;
        insert_secret(&mut tx, TokenTable::EndpointTokens, new.id, &new.secret).await?;
        tx.record(
            "endpoint_token.created",
            "endpoint_token",
            new.id,
            json!({"kind": "secondary", "name": new.name, "hint": new.secret.hint,
                   "enabled": new.enabled}),
        )
        .await?;
        commit_endpoint_token(tx, tenant, new.id).await
    }

    /// An endpoint token (primary or secondary) with its assignments.
    pub async fn endpoint_token(
        &self,
        tenant: TenantId,
        id: EndpointTokenId,
    ) -> StoreResult<EndpointTokenDetails> {
        endpoint_token_details(&mut *self.read.acquire().await?, tenant, id).await
    }

    /// An endpoint's primary token for `method`.
    pub async fn primary_token(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
        method: EndpointMethod,
    ) -> StoreResult<EndpointToken> {
        let sql = format!(
            "SELECT {ETOKEN_COLS} FROM endpoint_tokens t WHERE t.endpoint_id = $1 AND t.tenant_id = $2 \
             AND t.kind = 'primary' AND t.method = $3"
        );
        let row = sqlx::query(&sql)
            .arg(endpoint_id)
            .arg(tenant)
            .arg(method.as_str())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound("primary token"))?;
        endpoint_token(&row)
    }

    /// Secondary tokens of a tenant, by name.
    pub async fn list_endpoint_tokens(
        &self,
        tenant: TenantId,
        filter: &EndpointTokenFilter,
        page: Page,
    ) -> StoreResult<(Vec<EndpointToken>, i64)> {
        let mut f = Filter::default();
        f.eq("t.tenant_id", tenant);
        f.and("t.kind = 'secondary'".into());
        match filter.status {
            EndpointTokenStatus::Active => f.and("t.active = 1".into()),
            EndpointTokenStatus::Inactive => f.and("t.active = 0".into()),
            EndpointTokenStatus::Stale => {
                let now = f.arg(crate::now());
                f.and(etoken_unused_for("flag_unused_after_days", &now));
            }
            EndpointTokenStatus::All => {}
        }
        f.contains(&["t.search"], filter.q.as_deref());
        const TOKENS: Listing = Listing::new(ETOKEN_COLS, ETOKEN_WITH_SETTINGS, "t.name, t.id");
        self.page(&TOKENS, f, page, endpoint_token).await
    }

    /// Renames, describes, switches on or off, deactivates or activates a secondary token.
    pub async fn update_endpoint_token(
        &self,
        tenant: TenantId,
        id: EndpointTokenId,
        up: &UpdateEndpointToken,
        actor: &Actor,
    ) -> StoreResult<EndpointTokenDetails> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let cur = self
            .lock_endpoint_token(&mut tx, tenant, id, Some(TokenKind::Secondary))
            .await?;
        let mut t = cur.clone();
        up.apply(&mut t);
        // Activating a deactivated token starts its disuse anew: the inactivity policy
        // counts from its last use, its creation or its last activation, whichever is
        // latest, so a token brought back is not retired again at the next pass.
        let activated = !cur.active && t.active;
        sqlx::query(
            "UPDATE endpoint_tokens SET name = $2, search = $3, description = $4, enabled = $5, active = $6, \
             updated_at = $7, activated_at = COALESCE($8, activated_at) WHERE id = $1",
        )
        .arg(id)
        .arg(&t.name)
        .arg(search_key(&[&t.name]))
        .arg(&t.description)
        .arg(t.enabled)
        .arg(t.active)
        .arg(now)
        .arg(activated.then_some(now))
        .execute(&mut **tx)
        .await?;
        let action = match ((cur.active, t.active), (cur.enabled, t.enabled)) {
            ((true, false), _) => "endpoint_token.deactivated",
            ((false, true), _) => "endpoint_token.activated",
            (_, (false, true)) => "endpoint_token.enabled",
            (_, (true, false)) => "endpoint_token.disabled",
            _ => "endpoint_token.updated",
        };
        tx.record(
            action,
            "endpoint_token",
            id,
            json!({"name": t.name, "description": t.description, "enabled": t.enabled,
                   "active": t.active}),
        )
        .await?;
        commit_endpoint_token(tx, tenant, id).await
    }

    /// Deletes a secondary token and its assignments. Its records keep its id and name.
    pub async fn delete_endpoint_token(
        &self,
        tenant: TenantId,
        id: EndpointTokenId,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let t = self
            .lock_endpoint_token(&mut tx, tenant, id, Some(TokenKind::Secondary))
            .await?;
        delete_token_rows(&mut tx, id).await?;
        tx.record(
            "endpoint_token.deleted",
            "endpoint_token",
            id,
            json!({"kind": "secondary", "name": t.name, "hint": t.hint}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives an endpoint token a new secret. With `grace_until`, the current secret keeps
    /// working until then; otherwise it stops at once. Older secrets are always dropped.
    pub async fn regenerate_endpoint_token(
        &self,
        tenant: TenantId,
        id: EndpointTokenId,
        secret: &NewSecret,
        grace_until: Option<OffsetDateTime>,
        actor: &Actor,
    ) -> StoreResult<EndpointTokenDetails> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let cur = self.lock_endpoint_token(&mut tx, tenant, id, None).await?;
        rotate_secret(&mut tx, TokenTable::EndpointTokens, id, secret, grace_until).await?;
        sqlx::query(
            "UPDATE endpoint_tokens SET hint = $2, sealed_secret = $3, updated_at = $4 WHERE id = $1",
        )
        .arg(id)
        .arg(&secret.hint)
        .arg(&secret.sealed)
        .arg(now)
        .execute(&mut **tx)
        .await?;
        tx.record(
            "endpoint_token.regenerated",
            "endpoint_token",
            id,
            json!({"kind": cur.kind, "endpoint_id": cur.endpoint_id, "method": cur.method,
                   "old_hint": cur.hint, "hint": secret.hint, "grace_until": grace_until.map(to_ms)}),
        )
        .await?;
        commit_endpoint_token(tx, tenant, id).await
    }

    /// The sealed secret of an endpoint token, recording the reveal in the same
    /// transaction: no reveal goes unrecorded.
    pub async fn reveal_endpoint_token(
        &self,
        tenant: TenantId,
        id: EndpointTokenId,
        actor: &Actor,
    ) -> StoreResult<Option<String>> {
        self.reveal_sealed_in(TokenTable::EndpointTokens, tenant, &id.to_string(), actor)
            .await
    }

    // --- assignments -------------------------------------------------------------------

    /// Assigns a secondary token to an endpoint, or changes an existing assignment:
    /// switches it on or off (`enabled`), or sets the methods it allows (`methods`;
    /// `None` keeps them, and a new assignment allows [`MethodSet::DEFAULT`]). Returns
    /// the assignment and whether it is new.
    pub async fn set_assignment(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
        token_id: EndpointTokenId,
        enabled: bool,
        methods: Option<MethodSet>,
        actor: &Actor,
    ) -> StoreResult<(Assignment, bool)> {
        if methods.is_some_and(MethodSet::is_empty) {
            return Err(StoreError::Invalid(
                "an assignment allows at least one method; unassign the token to allow none".into(),
            ));
        }
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        // Lock order: the endpoint, then the token (as every writer of assignments).
        self.lock_endpoint(&mut tx, tenant, endpoint_id).await?;
        self.lock_endpoint_token(&mut tx, tenant, token_id, Some(TokenKind::Secondary))
            .await?;
        let existing = sqlx::query(
            "SELECT enabled, methods FROM endpoint_assignments WHERE endpoint_id = $1 AND token_id = $2",
        )
        .arg(endpoint_id)
        .arg(token_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| Ok::<_, StoreError>((rows::flag(&r, "enabled")?, method_set(&r, "methods")?)))
        .transpose()?;
        let new_methods = methods.unwrap_or(existing.map_or(MethodSet::DEFAULT, |(_, m)| m));
        let action = match existing {
            None => {
                sqlx::query(
                    "INSERT INTO endpoint_assignments (endpoint_id, token_id, tenant_id, enabled, methods, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .arg(endpoint_id)
                .arg(token_id)
                .arg(tenant)
                .arg(enabled)
                .arg(new_methods.to_stored())
                .arg(now)
                .execute(&mut **tx)
                .await?;
                Some("endpoint_token.assigned")
            }
            Some((old_enabled, old_methods))
                if old_enabled != enabled || old_methods != new_methods =>
            {
                sqlx::query(
                    "UPDATE endpoint_assignments SET enabled = $3, methods = $4, updated_at = $5 \
                     WHERE endpoint_id = $1 AND token_id = $2",
                )
                .arg(endpoint_id)
                .arg(token_id)
                .arg(enabled)
                .arg(new_methods.to_stored())
                .arg(now)
                .execute(&mut **tx)
                .await?;
                Some(match (old_enabled, enabled) {
                    (false, true) => "endpoint_token.assignment_enabled",
                    (true, false) => "endpoint_token.assignment_disabled",
                    _ => "endpoint_token.assignment_updated",
                })
            }
            Some(_) => None,
        };
        if let Some(action) = action {
            tx.record(
                action,
                "endpoint_token",
                token_id,
                json!({"endpoint_id": endpoint_id, "enabled": enabled,
                       "methods": new_methods.methods()}),
            )
            .await?;
        }
        // Read in the transaction: what it wrote, not a second read after the commit.
        let a = assignment_of(&mut **tx, tenant, endpoint_id, token_id).await?;
        tx.commit().await?;
        Ok((a, existing.is_none()))
    }

    pub async fn assignment(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
        token_id: EndpointTokenId,
    ) -> StoreResult<Assignment> {
        assignment_of(&self.read, tenant, endpoint_id, token_id).await
    }

    /// Unassigns a secondary token from an endpoint.
    pub async fn remove_assignment(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
        token_id: EndpointTokenId,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        self.lock_endpoint(&mut tx, tenant, endpoint_id).await?;
        self.lock_endpoint_token(&mut tx, tenant, token_id, Some(TokenKind::Secondary))
            .await?;
        let done = sqlx::query(
            "DELETE FROM endpoint_assignments WHERE endpoint_id = $1 AND token_id = $2",
        )
        .arg(endpoint_id)
        .arg(token_id)
        .execute(&mut **tx)
        .await?;
        found(done, "assignment")?;
        tx.record(
            "endpoint_token.unassigned",
            "endpoint_token",
            token_id,
            json!({"endpoint_id": endpoint_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The secondary tokens assigned to an endpoint, by name.
    pub async fn list_assignments(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
    ) -> StoreResult<Vec<Assignment>> {
        // Reading the endpoint first makes another tenant's endpoint "not found".
        self.endpoint(tenant, endpoint_id).await?;
        let rows = sqlx::query(&format!(
            "{ASSIGNMENT_SELECT} WHERE a.endpoint_id = $1 AND a.tenant_id = $2 ORDER BY t.name, t.id"
        ))
        .arg(endpoint_id)
        .arg(tenant)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(assignment).collect()
    }

    // --- verification ------------------------------------------------------------------

    /// Everything the decision needs about the endpoint token behind `hash`, in one read.
    pub async fn endpoint_subject_by_hash(
        &self,
        hash: &TokenHash,
    ) -> StoreResult<Option<EndpointSubject>> {
        let sql = format!(
            "SELECT {ETOKEN_COLS}, s.valid_until AS secret_valid_until, a.endpoint_id AS assigned_endpoint_id, \
             a.enabled AS assignment_enabled, a.methods AS assignment_methods \
             FROM endpoint_token_secrets s JOIN endpoint_tokens t ON t.id = s.token_id \
             LEFT JOIN endpoint_assignments a ON a.token_id = t.id WHERE s.hash = $1"
        );
        let rows = sqlx::query(&sql).arg(hash).fetch_all(&self.read).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut assignments = Vec::new();
        for r in &rows {
            if let Some(e) = rows::opt_id::<EndpointId>(r, "assigned_endpoint_id")? {
                let on: Option<i64> = r.try_get("assignment_enabled")?;
                assignments.push(Grant {
                    endpoint_id: e,
                    enabled: on.unwrap_or(0) != 0,
                    methods: method_set(r, "assignment_methods")?,
                });
            }
        }
        Ok(Some(EndpointSubject {
            token: endpoint_token(first)?,
            assignments,
            secret_valid_until: rows::opt_time(first, "secret_valid_until")?,
        }))
    }

    /// The first 8 bytes of every stored endpoint-token secret hash, for the verifier's
    /// filter of hashes worth a lookup.
    pub async fn endpoint_secret_hash_prefixes(&self) -> StoreResult<Vec<u64>> {
        self.hash_prefixes("endpoint_token_secrets", None).await
    }

    /// Hash prefixes of the secrets of the given endpoint tokens.
    pub async fn endpoint_secret_hash_prefixes_of(
        &self,
        token_ids: &[String],
    ) -> StoreResult<Vec<u64>> {
        self.hash_prefixes("endpoint_token_secrets", Some(("token_id", token_ids)))
            .await
    }

    // --- records -----------------------------------------------------------------------

    /// Stores a record received by an endpoint; returns its id and receipt time.
    pub async fn insert_record(
        &self,
        new: &NewRecord<'_>,
    ) -> StoreResult<(EndpointRecordId, OffsetDateTime)> {
        // Listings read bodies back with this same parser, so nothing it refuses (such as
        // a number out of range, `1e400`) may be stored.
        serde_json::from_str::<serde_json::Value>(&new.body).map_err(|e| {
            StoreError::Invalid(format!("the record body is not JSON keyward can read: {e}"))
        })?;
        let now = crate::now();
        let id = EndpointRecordId::new();
        sqlx::query(
            "INSERT INTO endpoint_records (id, tenant_id, endpoint_id, token_id, token_kind, token_name, method, ip, \
             received_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .arg(id)
        .arg(new.endpoint.tenant_id)
        .arg(new.endpoint.id)
        .arg(new.token.map(|t| t.id))
        .arg(new.token.map(|t| t.kind.as_str()))
        .arg(new.token.map(|t| &t.name))
        .arg(new.method.as_str())
        .arg(&new.ip)
        .arg(now)
        .arg(&new.body)
        .execute(&self.write)
        .await
        .map_err(|e| {
            // The endpoint was deleted between the request's admission and its insert.
            if StoreError::is_foreign_key_violation(&e) {
                StoreError::NotFound("endpoint")
            } else {
                StoreError::Database(e)
            }
        })?;
        Ok((id, now))
    }

    /// Records of an endpoint, newest first.
    pub async fn list_records(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
        filter: &RecordFilter,
        page: Page,
    ) -> StoreResult<(Vec<EndpointRecord>, i64)> {
        let mut f = Filter::default();
        f.eq("r.tenant_id", tenant);
        f.eq("r.endpoint_id", endpoint_id);
        if let Some(t) = filter.token_id {
            f.eq("r.token_id", t);
        }
        if let Some(t) = filter.from {
            f.cmp("r.received_at", ">=", t);
        }
        if let Some(t) = filter.to {
            f.cmp("r.received_at", "<=", t);
        }
        // The token joined at most once (by its id), so counting with the join counts
        // the records.
        const RECORDS: Listing = Listing::new("r.id, r.endpoint_id, r.token_id, r.token_kind, \
                COALESCE(t.name, r.token_name) AS token_name, r.method, r.ip, r.received_at, r.body", "FROM endpoint_records r LEFT JOIN endpoint_tokens t ON t.id = r.token_id", "r.received_at DESC, r.id DESC");
        self.page(&RECORDS, f, page, endpoint_record).await
    }

    /// An endpoint's records as it serves them at `/e/` (newest first): the stored text
    /// of each, not a parsed tree.
    pub async fn list_raw_records(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
        page: Page,
    ) -> StoreResult<(Vec<RawRecord>, i64)> {
        let mut f = Filter::default();
        f.eq("r.tenant_id", tenant);
        f.eq("r.endpoint_id", endpoint_id);
        const RAW: Listing = Listing::new(
            "r.id, r.received_at, r.body",
            "FROM endpoint_records r",
            "r.received_at DESC, r.id DESC",
        );
        self.page(&RAW, f, page, raw_record).await
    }

    /// An administrator deletes one record of an endpoint of their tenant (audited, as
    /// an administrative act; deletions through `/e/` by integrations are not).
    pub async fn delete_record_as_admin(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
        id: EndpointRecordId,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let e = self.lock_endpoint(&mut tx, tenant, endpoint_id).await?;
        let done = sqlx::query(
            "DELETE FROM endpoint_records WHERE id = $1 AND endpoint_id = $2 AND tenant_id = $3",
        )
        .arg(id)
        .arg(endpoint_id)
        .arg(tenant)
        .execute(&mut **tx)
        .await?;
        found(done, "record")?;
        tx.record(
            "endpoint_record.deleted",
            "endpoint_record",
            id,
            json!({"endpoint_id": endpoint_id, "endpoint_name": e.name, "path": e.path}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes one record of an endpoint; false if there is no such record.
    pub async fn delete_record(
        &self,
        endpoint_id: EndpointId,
        id: EndpointRecordId,
    ) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM endpoint_records WHERE id = $1 AND endpoint_id = $2")
            .arg(id)
            .arg(endpoint_id)
            .execute(&self.write)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// How many records each token (application) sent per time bucket of
    /// `bucket_seconds`, between `from` and `to` (inclusive): one query, for the data
    /// viewer's chart. Oldest bucket first; within one, by name, records sent without a
    /// token last (NULLs sort differently on the two backends, so this says so).
    pub async fn record_stats(
        &self,
        tenant: TenantId,
        endpoint_id: EndpointId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        bucket_seconds: i64,
    ) -> StoreResult<Vec<RecordBucket>> {
        if bucket_seconds <= 0 {
            return Err(StoreError::Invalid(
                "the bucket must be at least one second".into(),
            ));
        }
        let width = bucket_seconds * 1000;
        let rows = sqlx::query(
            "SELECT (r.received_at / $4) * $4 AS bucket, r.token_id, \
             MAX(COALESCE(t.name, r.token_name)) AS token_name, COUNT(*) AS n \
             FROM endpoint_records r LEFT JOIN endpoint_tokens t ON t.id = r.token_id \
             WHERE r.tenant_id = $1 AND r.endpoint_id = $2 AND r.received_at >= $3 AND r.received_at <= $5 \
             GROUP BY 1, 2 \
             ORDER BY 1, CASE WHEN MAX(COALESCE(t.name, r.token_name)) IS NULL THEN 1 ELSE 0 END, 3, 2",
        )
        .arg(tenant)
        .arg(endpoint_id)
        .arg(from)
        .arg(width)
        .arg(to)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RecordBucket {
                    start: rows::time(r, "bucket")?,
                    token_id: rows::opt_id(r, "token_id")?,
                    token_name: r.try_get("token_name")?,
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// Takes a leaked endpoint token out of use at once, whatever grace period it is in:
    /// every secret it has is dropped (an administrator regenerates it for a new one),
    /// an application's token is deactivated besides, and the report is audited
    /// (`endpoint_token.revoked` with reason `leaked`, which sends `token.revoked`, and
    /// `token.leaked` with where it was found). The change log tells every node. False
    /// when no endpoint token has this secret (never, or no longer).
    pub async fn revoke_leaked_endpoint_token(
        &self,
        hash: &keyward_core::TokenHash,
        report: &crate::LeakReport,
        actor: &Actor,
    ) -> StoreResult<bool> {
        let found = sqlx::query(
            "SELECT t.id, t.tenant_id FROM endpoint_token_secrets s \
             JOIN endpoint_tokens t ON t.id = s.token_id WHERE s.hash = $1",
        )
        .arg(hash)
        .fetch_optional(&self.read)
        .await?;
        let Some(found) = found else {
            return Ok(false);
        };
        let (id, tenant): (EndpointTokenId, TenantId) =
            (rows::id(&found, "id")?, rows::id(&found, "tenant_id")?);
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        // The token's row first, as every writer of its secrets locks it (a regenerate at
        // the same moment takes turns with this instead of deadlocking).
        let token = match self.lock_endpoint_token(&mut tx, tenant, id, None).await {
            Ok(t) => t,
            // Deleted between the two reads: nothing is left to revoke.
            Err(StoreError::NotFound(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        let (kind, hint, name) = (token.kind.as_str(), token.hint, token.name);
        // The secret may have gone meanwhile (regenerated without grace, or reported
        // twice at once): only the report that drops it records the revoke.
        let dropped =
            sqlx::query("DELETE FROM endpoint_token_secrets WHERE token_id = $1 AND hash = $2")
                .arg(id)
                .arg(hash)
                .execute(&mut **tx)
                .await?
                .rows_affected();
        if dropped == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM endpoint_token_secrets WHERE token_id = $1")
            .arg(id)
            .execute(&mut **tx)
            .await?;
        let deactivate = if token.kind == TokenKind::Secondary {
            ", active = 0, enabled = 0"
        } else {
            ""
        };
        sqlx::query(&format!(
            "UPDATE endpoint_tokens SET sealed_secret = NULL, updated_at = $2{deactivate} WHERE id = $1"
        ))
        .arg(id)
        .arg(now)
        .execute(&mut **tx)
        .await?;
        tx.record(
            "endpoint_token.revoked",
            "endpoint_token",
            id,
            json!({"name": name, "hint": hint, "kind": kind, "reason": "leaked"}),
        )
        .await?;
        tx.record(
            "token.leaked",
            "endpoint_token",
            id,
            json!({"name": name, "hint": hint, "kind": kind, "source": report.source,
                   "url": report.url, "reported_type": report.reported_type}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
