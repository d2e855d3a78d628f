//! The audit trail and the change log. Both are written inside the transaction of the
//! change they describe; audit events are never updated or deleted.

use crate::query::{Arg, Filter, Listing, Page};
use crate::rows;
use crate::tx::Tx;
use crate::{Store, StoreResult};
pub use keyward_core::model::AuditEvent;
use keyward_core::{AuditEventId, TenantId, UserId};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// Who is acting: an administrator (by API token or console session), or the system.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Option<UserId>,
    /// Username, or a label such as `bootstrap` for the system itself.
    pub name: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            name: label.to_string(),
            ip: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_id: Option<UserId>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

/// Writes an audit event and a change-log row for one change ([`record_all`] of one,
/// its object's name read as the change left it).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    tx: &mut Tx,
    tenant: TenantId,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: &str,
    details: serde_json::Value,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let object_name = object_name(tx, tenant, object_type, object_id, &details).await?;
    let event = Event {
        tenant,
        actor,
        action,
        object_type,
        object_id: object_id.to_string(),
        object_name,
        details,
    };
    record_all(tx, &[event], now).await
}

/// One change of [`record_all`]: what [`record`] takes for one, with the object's name
/// given by the writer (a creation knows the name it just wrote).
pub(crate) struct Event<'a> {
    pub tenant: TenantId,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub object_name: Option<String>,
    pub details: serde_json::Value,
}

/// Events per statement of [`record_all`]: 11 parameters each, well under every
/// backend's limit.
const EVENT_CHUNK: usize = 200;

/// Writes the audit events and change-log rows of many changes, as [`record`] writes one,
/// in a few statements for all of them (a group commit's creations): one insert of the
/// events and one of the log rows per [`EVENT_CHUNK`], and a webhook delivery where a
/// receiver subscribes. Each event's object is a different one.
pub(crate) async fn record_all(
    tx: &mut Tx,
    events: &[Event<'_>],
    now: OffsetDateTime,
) -> StoreResult<()> {
    let mut seen = HashSet::with_capacity(events.len());
    if !events.iter().all(|e| seen.insert(e.object_id.as_str())) {
        return Err(crate::StoreError::Invalid(
            "changes recorded together must each be of another object".into(),
        ));
    }
    for chunk in events.chunks(EVENT_CHUNK) {
        let ids: Vec<AuditEventId> = chunk.iter().map(|_| AuditEventId::new()).collect();
        let mut f = tx.many();
        let items: Vec<_> = chunk.iter().zip(&ids).collect();
        let rows = f.rows(&items, |f, &(e, id)| {
            vec![
                f.arg(*id),
                f.arg(e.tenant),
                f.arg(now),
                f.arg(e.actor.user_id),
                f.arg(&e.actor.name),
                f.arg(e.action),
                f.arg(e.object_type),
                f.arg(e.object_id.as_str()),
                f.arg(e.actor.ip.as_ref()),
                f.arg(e.details.to_string()),
                f.arg(e.object_name.clone()),
            ]
        });
        let sql = format!(
            "INSERT INTO audit_events (id, tenant_id, at, actor_id, actor, action, object_type, object_id, ip, details, object_name) \
             VALUES {rows}"
        );
        tx.many_rows(&sql, &f, chunk.len()).await?;
        // A change's webhook event, if it has one, is queued in the same transaction; its
        // id is the audit event's, so a receiver's event can be found in the audit log.
        for (e, id) in chunk.iter().zip(&ids) {
            if let Some(event) = keyward_core::webhook::WebhookEvent::of_action(e.action) {
                crate::webhooks::enqueue(
                    tx,
                    e.tenant,
                    event,
                    *id,
                    e.actor,
                    e.object_type,
                    &e.object_id,
                    &e.details,
                    now,
                )
                .await?;
            }
        }
        let mut f = tx.many();
        let rows = f.rows(chunk, |f, e| {
            vec![
                f.arg(e.tenant),
                f.arg(e.action),
                f.arg(e.object_type),
                f.arg(e.object_id.as_str()),
                f.arg(now),
            ]
        });
        let sql = format!(
            "INSERT INTO change_log (tenant_id, action, object_type, object_id, at) VALUES {rows} \
             RETURNING seq, object_id"
        );
        // No lock keeps sequence numbers in commit order: tailers read by transaction
        // snapshots on PostgreSQL (`changes_after`), and SQLite has one writer at a time.
        // The order of the rows RETURNING gives is not promised; each names its object.
        let mut seqs: HashMap<String, i64> = HashMap::with_capacity(chunk.len());
        for r in tx.many_rows(&sql, &f, chunk.len()).await? {
            seqs.insert(r.try_get("object_id")?, r.try_get("seq")?);
        }
        let mut changes = Vec::with_capacity(chunk.len());
        for e in chunk {
            let Some(&seq) = seqs.get(&e.object_id) else {
                return Err(crate::StoreError::Invalid(
                    "the change log did not return a row it was given".into(),
                ));
            };
            changes.push(Change {
                seq,
                tenant_id: e.tenant,
                action: e.action.to_string(),
                object_type: e.object_type.to_string(),
                object_id: e.object_id.clone(),
            });
        }
        changes.sort_by_key(|c| c.seq);
        for c in changes {
            tx.changed(c);
        }
    }
    Ok(())
}

/// The name an event gives its object. It is read in the change's own transaction, so
/// it is the name the change left (a rename records the new name); an object the change
/// deleted has no row any more, and its name is the one the change put in the details
/// (every delete does). Every call of [`Tx::record`] gets one this way, so no writer can
/// forget it.
async fn object_name(
    tx: &mut Tx,
    tenant: TenantId,
    object_type: &str,
    object_id: &str,
    details: &serde_json::Value,
) -> StoreResult<Option<String>> {
    let sql = match object_type {
        "token" | "mobile_session" => "SELECT name FROM tokens WHERE id = $1 AND tenant_id = $2",
        "user" => "SELECT username FROM users WHERE id = $1 AND tenant_id = $2",
        "department" => "SELECT name FROM departments WHERE id = $1 AND tenant_id = $2",
        "user_type" => "SELECT name FROM user_types WHERE id = $1 AND tenant_id = $2",
        "endpoint" => "SELECT path FROM endpoints WHERE id = $1 AND tenant_id = $2",
        "endpoint_token" => "SELECT name FROM endpoint_tokens WHERE id = $1 AND tenant_id = $2",
        "webhook" => "SELECT name FROM webhooks WHERE id = $1 AND tenant_id = $2",
        "verifier_key" => "SELECT name FROM verifier_keys WHERE id = $1 AND tenant_id = $2",
        "tenant" | "settings" => "SELECT name FROM tenants WHERE id = $1 AND id = $2",
        // A refused login's object is the username that was tried.
        "login" => return Ok(Some(object_id.to_string())),
        _ => return Ok(name_in_details(object_type, details)),
    };
    let live: Option<String> = sqlx::query_scalar(sql)
        .arg(object_id)
        .arg(tenant)
        .fetch_optional(&mut ***tx)
        .await?;
    Ok(live
        .filter(|n| !n.is_empty())
        .or_else(|| name_in_details(object_type, details)))
}

/// The name an event's details give its object, if they hold one: what a delete
/// records, and the fallback for events written before `object_name` was stored.
pub fn name_in_details(object_type: &str, details: &serde_json::Value) -> Option<String> {
    let keys: &[&str] = match object_type {
        "endpoint" => &["path", "name"],
        "endpoint_record" => &["path", "endpoint_name"],
        "mobile_session" => &["device_name", "name"],
        "user" => &["username"],
        _ => &["name"],
    };
    keys.iter()
        .filter_map(|k| details.get(*k)?.as_str())
        .find(|n| !n.is_empty())
        .map(str::to_string)
}

const EVENTS: Listing = Listing::new(
    "id, tenant_id, at, actor_id, actor, action, object_type, object_id, object_name, ip, details",
    "FROM audit_events",
    "at DESC, id DESC",
);

fn audit_filter(tenant: TenantId, f: &AuditFilter) -> Filter {
    let mut q = Filter::default();
    q.eq("tenant_id", tenant);
    for (col, v) in [
        ("action", &f.action),
        ("object_type", &f.object_type),
        ("object_id", &f.object_id),
    ] {
        if let Some(v) = v {
            q.eq(col, v);
        }
    }
    if let Some(a) = f.actor_id {
        q.eq("actor_id", a);
    }
    if let Some(t) = f.from {
        q.cmp("at", ">=", t);
    }
    if let Some(t) = f.to {
        q.cmp("at", "<=", t);
    }
    q
}

impl Store {
    /// Audit events of a tenant, newest first.
    pub async fn list_audit_events(
        &self,
        tenant: TenantId,
        f: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEvent>, i64)> {
        self.page(&EVENTS, audit_filter(tenant, f), page, audit_event)
            .await
    }

    /// The next `limit` audit events that `f` keeps, newest first, after `after` (the
    /// time and id of the last event of the previous batch; `None` for the first): an
    /// export reads the whole filter in batches, each an index range, so reading it all
    /// costs one pass and holds no connection between batches.
    pub async fn audit_events_after(
        &self,
        tenant: TenantId,
        f: &AuditFilter,
        after: Option<(OffsetDateTime, AuditEventId)>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut q = audit_filter(tenant, f);
        if let Some((at, id)) = after {
            let (a1, a2, i) = (q.arg(at), q.arg(at), q.arg(id));
            q.and(format!("(at < {a1} OR (at = {a2} AND id < {i}))"));
        }
        let lim = q.arg(i64::from(limit));
        let sql = format!(
            "SELECT {} {}{} ORDER BY {} LIMIT {lim}",
            EVENTS.columns,
            EVENTS.from,
            q.where_sql(),
            EVENTS.order
        );
        let rows = sqlx::query_with(&sql, q.args())
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(audit_event).collect()
    }

    /// Which of `objects` (object type and id, as audit events name them) still exist in
    /// `tenant`, with their names now: the audit page links those to their pages, and
    /// shows the others' names as they were. Types without a page of their own are never
    /// returned.
    pub async fn existing_objects(
        &self,
        tenant: TenantId,
        objects: &[(String, String)],
    ) -> StoreResult<HashMap<(String, String), String>> {
        let mut found = HashMap::new();
        for (object_type, table, name) in [
            ("token", "tokens", "name"),
            ("mobile_session", "tokens", "name"),
            ("user", "users", "username"),
            ("endpoint", "endpoints", "path"),
            ("endpoint_token", "endpoint_tokens", "name"),
            ("webhook", "webhooks", "name"),
            ("user_type", "user_types", "name"),
        ] {
            let ids: Vec<String> = objects
                .iter()
                .filter(|(t, _)| t == object_type)
                .map(|(_, id)| id.clone())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            if ids.is_empty() {
                continue;
            }
            let columns = format!("id, {name} AS name");
            let rows = self.rows_of_tenant(tenant, &columns, table, &ids).await?;
            for r in rows {
                found.insert(
                    (object_type.to_string(), r.try_get::<String, _>("id")?),
                    r.try_get::<String, _>("name")?,
                );
            }
        }
        Ok(found)
    }

    /// Records a burst of refused logins for one username and address (the caller
    /// aggregates them), as `login.failed` on the object `login`/`{username}`: the
    /// account may not exist, and saying so would tell the reader nothing the attacker
    /// did not know. Nothing else changes, but the event is written as every other one.
    pub async fn record_refused_logins(
        &self,
        tenant: TenantId,
        actor: &Actor,
        username: &str,
        details: serde_json::Value,
    ) -> StoreResult<()> {
        let mut tx = self.begin_by(tenant, actor, crate::now()).await?;
        tx.record("login.failed", "login", username, details)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One row of the change log: something of `object_type`/`object_id` changed.
#[derive(Clone, Debug)]
pub struct Change {
    pub seq: i64,
    pub tenant_id: TenantId,
    /// e.g. `token.created`, `user.locked`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
}

/// Where a reader of the change log stands: everything before it has been read.
///
/// On SQLite, a sequence number: there is one writer at a time, so entries commit in the
/// order of their numbers. On PostgreSQL numbers are taken at insert and become visible at
/// commit, so a transaction that took 10 can commit after one that took 11, and a reader
/// that remembered "up to 11" would never see 10. The position is therefore a transaction
/// snapshot (`pg_current_snapshot()`), and a read returns the entries of exactly the
/// transactions that committed between the previous snapshot and a new one, which is how
/// PgQ reads its queues. No lock orders the writers: each commits when it is ready, and
/// no entry is skipped or read twice, however late it commits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedPosition {
    Seq(i64),
    Snapshot(String),
}

impl Store {
    /// The position of the change log now: reading from it returns only what commits later.
    pub async fn feed_position(&self) -> StoreResult<FeedPosition> {
        match self.backend() {
            crate::Backend::Sqlite => {
                let v: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM change_log")
                    .fetch_one(&self.read)
                    .await?;
                Ok(FeedPosition::Seq(v.unwrap_or(0)))
            }
            crate::Backend::Postgres => {
                let snap: String = sqlx::query_scalar("SELECT pg_current_snapshot()::text")
                    .fetch_one(&self.read)
                    .await?;
                Ok(FeedPosition::Snapshot(snap))
            }
        }
    }

    /// The PostgreSQL channel on which commits are announced: one per schema, so that
    /// deployments (or test runs) sharing a database in different schemas do not wake
    /// each other.
    pub async fn change_channel(&self) -> StoreResult<String> {
        let channel = self
            .channel
            .get_or_try_init(|| async {
                let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
                    .fetch_one(&self.read)
                    .await?;
                let mut channel = if schema == "public" {
                    "keyward_changes".to_string()
                } else {
                    format!("keyward_changes.{schema}")
                };
                // Channel names are identifiers: at most 63 bytes.
                while channel.len() > 63 {
                    channel.pop();
                }
                Ok::<_, crate::StoreError>(channel)
            })
            .await?;
        Ok(channel.clone())
    }

    /// Wakes every node listening on [`Store::change_channel`] (PostgreSQL only).
    pub async fn notify_changes(&self) -> StoreResult<()> {
        let channel = self.change_channel().await?;
        sqlx::query("SELECT pg_notify($1, '')::text")
            .arg(channel)
            .execute(&self.read)
            .await?;
        Ok(())
    }

    /// Every entry committed after `from`, in sequence order, and the position after them.
    pub async fn changes_after(
        &self,
        from: &FeedPosition,
    ) -> StoreResult<(Vec<Change>, FeedPosition)> {
        const COLUMNS: &str = "seq, tenant_id, action, object_type, object_id";
        match from {
            FeedPosition::Seq(seq) => {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM change_log WHERE seq > $1 ORDER BY seq"
                ))
                .arg(*seq)
                .fetch_all(&self.read)
                .await?;
                let changes = rows.iter().map(change).collect::<StoreResult<Vec<_>>>()?;
                let next = changes.last().map_or(*seq, |c| c.seq);
                Ok((changes, FeedPosition::Seq(next)))
            }
            FeedPosition::Snapshot(prev) => {
                // One snapshot for both statements: the rows read are exactly those of
                // the transactions `now` shows as committed.
                let mut tx = self.read.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                let now: String = sqlx::query_scalar("SELECT pg_current_snapshot()::text")
                    .fetch_one(&mut *tx)
                    .await?;
                // What the previous snapshot did not show: transactions that had not
                // started when it was taken (at or past its xmax) and those still in
                // progress then (its xip list, all below its xmax). Both are index
                // lookups on txid, so a long-running transaction elsewhere does not widen
                // the scan. They are two statements of a UNION ALL: joined by OR in one,
                // PostgreSQL scans the whole log instead (7 ms at 64,000 rows, read after
                // every commit that notifies; 0.02 ms this way).
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM change_log \
                     WHERE txid >= pg_snapshot_xmax($1::pg_snapshot) \
                     UNION ALL SELECT {COLUMNS} FROM change_log \
                     WHERE txid = ANY(ARRAY(SELECT pg_snapshot_xip($1::pg_snapshot))) \
                     ORDER BY seq"
                ))
                .arg(prev)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                let changes = rows.iter().map(change).collect::<StoreResult<Vec<_>>>()?;
                Ok((changes, FeedPosition::Snapshot(now)))
            }
        }
    }
}

fn change(r: &sqlx::any::AnyRow) -> StoreResult<Change> {
    Ok(Change {
        seq: r.try_get("seq")?,
        tenant_id: rows::id(r, "tenant_id")?,
        action: r.try_get("action")?,
        object_type: r.try_get("object_type")?,
        object_id: r.try_get("object_id")?,
    })
}

fn audit_event(r: &sqlx::any::AnyRow) -> StoreResult<AuditEvent> {
    let object_type: String = r.try_get("object_type")?;
    let details: serde_json::Value =
        serde_json::from_str(&r.try_get::<String, _>("details")?).unwrap_or_default();
    let object_name = r
        .try_get::<Option<String>, _>("object_name")?
        .or_else(|| name_in_details(&object_type, &details));
    Ok(AuditEvent {
        id: rows::id(r, "id")?,
        tenant_id: rows::id(r, "tenant_id")?,
        at: rows::time(r, "at")?,
        actor_id: rows::opt_id(r, "actor_id")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        object_type,
        object_id: r.try_get("object_id")?,
        object_name,
        ip: r.try_get("ip")?,
        details,
    })
}
