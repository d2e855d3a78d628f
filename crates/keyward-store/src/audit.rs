//! The audit trail and the change log. Both are written inside the transaction of the
//! change they describe; audit events are never updated or deleted.

use crate::query::{Filter, Page};
use crate::{from_ms, to_ms, Store, StoreResult};
use keyward_core::{AuditEventId, TenantId, UserId};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};
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

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub tenant_id: TenantId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<UserId>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
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

/// Writes an audit event and a change-log row for one change.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: &str,
    details: serde_json::Value,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, tenant_id, at, actor_id, actor, action, object_type, object_id, ip, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(AuditEventId::new().to_string())
    .bind(tenant.to_string())
    .bind(to_ms(now))
    .bind(actor.user_id.map(|u| u.to_string()))
    .bind(actor.name.clone())
    .bind(action.to_string())
    .bind(object_type.to_string())
    .bind(object_id.to_string())
    .bind(actor.ip.clone())
    .bind(details.to_string())
    .execute(&mut **tx)
    .await?;
    // On PostgreSQL a sequence value is taken at insert but becomes visible at commit, so
    // two writers could commit out of order and a tailer that has read seq 11 would never
    // see seq 10. Holding this lock from the insert until commit makes the orders agree.
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock(7201046)")
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO change_log (tenant_id, action, object_type, object_id, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.to_string())
    .bind(action.to_string())
    .bind(object_type.to_string())
    .bind(object_id.to_string())
    .bind(to_ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Audit events of a tenant, newest first.
    pub async fn list_audit_events(
        &self,
        tenant: TenantId,
        f: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEvent>, i64)> {
        let mut q = Filter::default();
        let p = q.text(tenant.to_string());
        q.and(format!("tenant_id = {p}"));
        if let Some(a) = &f.action {
            let p = q.text(a.clone());
            q.and(format!("action = {p}"));
        }
        if let Some(o) = &f.object_type {
            let p = q.text(o.clone());
            q.and(format!("object_type = {p}"));
        }
        if let Some(o) = &f.object_id {
            let p = q.text(o.clone());
            q.and(format!("object_id = {p}"));
        }
        if let Some(a) = f.actor_id {
            let p = q.text(a.to_string());
            q.and(format!("actor_id = {p}"));
        }
        if let Some(t) = f.from {
            let p = q.int(to_ms(t));
            q.and(format!("at >= {p}"));
        }
        if let Some(t) = f.to {
            let p = q.int(to_ms(t));
            q.and(format!("at <= {p}"));
        }
        let total: i64 = sqlx::query_scalar_with(
            &format!("SELECT COUNT(*) FROM audit_events{}", q.where_sql()),
            q.args(),
        )
        .fetch_one(&self.read)
        .await?;
        let lim = q.int(page.limit());
        let off = q.int(page.offset());
        let sql = format!(
            "SELECT id, tenant_id, at, actor_id, actor, action, object_type, object_id, ip, details \
             FROM audit_events{} ORDER BY at DESC, id DESC LIMIT {lim} OFFSET {off}",
            q.where_sql()
        );
        let rows = sqlx::query_with(&sql, q.args())
            .fetch_all(&self.read)
            .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(AuditEvent {
                    id: crate::rows::id(r, "id")?,
                    tenant_id: crate::rows::id(r, "tenant_id")?,
                    at: from_ms(r.try_get("at")?),
                    actor_id: crate::rows::opt_id(r, "actor_id")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    object_type: r.try_get("object_type")?,
                    object_id: r.try_get("object_id")?,
                    ip: r.try_get("ip")?,
                    details: serde_json::from_str(&r.try_get::<String, _>("details")?)
                        .unwrap_or_default(),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((items, total))
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
        let mut tx = self.write.begin().await?;
        record(
            &mut tx,
            tenant,
            actor,
            "login.failed",
            "login",
            username,
            details,
            crate::now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The highest change-log sequence number, or 0.
    pub async fn last_change_seq(&self) -> StoreResult<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM change_log")
            .fetch_one(&self.read)
            .await?;
        Ok(v.unwrap_or(0))
    }
}

/// One row of the change log: something of `object_type`/`object_id` changed.
#[derive(Clone, Debug)]
pub struct Change {
    pub seq: i64,
    /// e.g. `token.created`, `user.locked`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
}

impl Store {
    /// Changes after `seq`, oldest first, at most `limit`.
    pub async fn changes_since(&self, seq: i64, limit: i64) -> StoreResult<Vec<Change>> {
        let rows = sqlx::query(
            "SELECT seq, action, object_type, object_id FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Change {
                    seq: r.try_get("seq")?,
                    action: r.try_get("action")?,
                    object_type: r.try_get("object_type")?,
                    object_id: r.try_get("object_id")?,
                })
            })
            .collect()
    }
}
