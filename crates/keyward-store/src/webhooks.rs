//! Webhooks (SPEC §10): a tenant's receivers, and the outbox of events sent to them.
//!
//! The outbox is written by [`crate::audit::record`], in the transaction of the change an
//! event tells of: what is acknowledged is also queued, and a change rolled back queues
//! nothing. Nodes take due deliveries under a lease ([`Store::claim_webhook_deliveries`])
//! and only the lease's holder records the outcome, so across a cluster one attempt of a
//! delivery runs at a time and each delivery has one sequence of attempts.

use crate::audit::Actor;
use crate::query::{row_of, Arg, Filter, Listing, Page};
use crate::tx::Tx;
use crate::{rows, Store, StoreResult};
use keyward_core::webhook::{DeliveryState, Subscription, Webhook, WebhookDelivery, WebhookEvent};
use keyward_core::{AuditEventId, TenantId, TokenId, WebhookDeliveryId, WebhookId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

const COLS: &str =
    "id, tenant_id, name, url, events, enabled, hint, created_at, created_by, updated_at";

const DELIVERY_COLS: &str = "id, webhook_id, event_id, event_type, payload, created_at, state, \
     attempts, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at";

/// A receiver to store; its secret is already sealed.
pub struct NewWebhook {
    pub id: WebhookId,
    pub name: String,
    pub url: String,
    pub events: Subscription,
    pub sealed_secret: String,
    pub hint: String,
}

/// A change to a receiver: only the fields that are present change.
#[derive(Clone, Debug, Default)]
pub struct WebhookUpdate {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<Subscription>,
    pub enabled: Option<bool>,
}

/// A delivery a node has taken: what it needs to make one attempt.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    pub id: WebhookDeliveryId,
    pub webhook_id: WebhookId,
    pub tenant_id: TenantId,
    pub url: String,
    pub sealed_secret: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// The outcome of one attempt, as the delivery log keeps it.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub at: OffsetDateTime,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// Why it failed; `None` when it succeeded.
    pub error: Option<String>,
    /// When to try again; `None` when it succeeded or every attempt is spent.
    pub retry_at: Option<OffsetDateTime>,
}

fn webhook(r: &AnyRow) -> StoreResult<Webhook> {
    let events: String = r.try_get("events")?;
    Ok(Webhook {
        id: rows::id(r, "id")?,
        tenant_id: rows::id(r, "tenant_id")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        events: Subscription::from_stored(&events).names(),
        enabled: rows::flag(r, "enabled")?,
        secret_hint: r.try_get("hint")?,
        created_at: rows::time(r, "created_at")?,
        created_by: rows::opt_id(r, "created_by")?,
        updated_at: rows::time(r, "updated_at")?,
    })
}

fn delivery(r: &AnyRow) -> StoreResult<WebhookDelivery> {
    let state: String = r.try_get("state")?;
    let payload: String = r.try_get("payload")?;
    let count = |c: &str| -> StoreResult<u32> {
        let v: i64 = r.try_get(c)?;
        u32::try_from(v).map_err(|_| crate::StoreError::Corrupt(format!("{c} = {v}")))
    };
    Ok(WebhookDelivery {
        id: rows::id(r, "id")?,
        webhook_id: rows::id(r, "webhook_id")?,
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("delivery state = {state:?}")))?,
        attempts: count("attempts")?,
        created_at: rows::time(r, "created_at")?,
        next_attempt_at: rows::time(r, "next_attempt_at")?,
        last_attempt_at: rows::opt_time(r, "last_attempt_at")?,
        last_status: r
            .try_get::<Option<i64>, _>("last_status")?
            .and_then(|s| u16::try_from(s).ok()),
        last_error: r.try_get("last_error")?,
        delivered_at: rows::opt_time(r, "delivered_at")?,
        payload: serde_json::from_str(&payload)
            .map_err(|e| crate::StoreError::Corrupt(format!("delivery payload: {e}")))?,
    })
}

/// Queues `event` for every enabled receiver of the transaction's tenant subscribed to it
/// (called by [`crate::audit::record`], with the audit event it wrote). The receivers are
/// read once per transaction and tenant.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn enqueue(
    tx: &mut Tx,
    tenant: TenantId,
    event: WebhookEvent,
    event_id: AuditEventId,
    actor: &Actor,
    object_type: &str,
    object_id: &str,
    details: &serde_json::Value,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let receivers = match tx.receivers(tenant) {
        Some(r) => r,
        None => {
            let rows =
                sqlx::query("SELECT id, events FROM webhooks WHERE tenant_id = $1 AND enabled = 1")
                    .arg(tenant)
                    .fetch_all(&mut ***tx)
                    .await?;
            let mut found = Vec::with_capacity(rows.len());
            for r in &rows {
                let events: String = r.try_get("events")?;
                found.push((rows::id(r, "id")?, Subscription::from_stored(&events)));
            }
            tx.set_receivers(tenant, found)
        }
    };
    let to: Vec<WebhookId> = receivers
        .iter()
        .filter(|(_, s)| s.includes(event))
        .map(|(id, _)| *id)
        .collect();
    if to.is_empty() {
        return Ok(());
    }
    let ts = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let payload = json!({
        "type": event.as_str(),
        "timestamp": ts,
        "data": {
            "event_id": event_id,
            "tenant_id": tenant,
            "object_type": object_type,
            "object_id": object_id,
            "actor": {"user_id": actor.user_id, "name": actor.name},
            "details": details,
        },
    })
    .to_string();
    for webhook in to {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, \
             created_at, state, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $7)",
        )
        .arg(WebhookDeliveryId::new())
        .arg(tenant)
        .arg(webhook)
        .arg(event_id)
        .arg(event.as_str())
        .arg(&payload)
        .arg(now)
        .execute(&mut ***tx)
        .await?;
    }
    tx.queued_delivery();
    Ok(())
}

impl Store {
    pub async fn insert_webhook(
        &self,
        tenant: TenantId,
        new: &NewWebhook,
        actor: &Actor,
    ) -> StoreResult<Webhook> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO webhooks (id, tenant_id, name, url, events, enabled, sealed_secret, hint, \
             created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $8) \
             RETURNING {COLS}"
        ))
        .arg(new.id)
        .arg(tenant)
        .arg(&new.name)
        .arg(&new.url)
        .arg(new.events.stored())
        .arg(&new.sealed_secret)
        .arg(&new.hint)
        .arg(now)
        .arg(actor.user_id)
        .fetch_one(&mut **tx)
        .await?;
        tx.record(
            "webhook.created",
            "webhook",
            new.id,
            json!({"name": new.name, "url": new.url, "events": new.events.names()}),
        )
        .await?;
        tx.commit().await?;
        webhook(&row)
    }

    pub async fn webhook(&self, tenant: TenantId, id: WebhookId) -> StoreResult<Webhook> {
        let row = row_of(
            &self.read,
            &format!("SELECT {COLS} FROM webhooks WHERE id = $1 AND tenant_id = $2"),
            id,
            tenant,
            "webhook",
        )
        .await?;
        webhook(&row)
    }

    /// A tenant's receivers, by name.
    pub async fn list_webhooks(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> StoreResult<(Vec<Webhook>, i64)> {
        let mut f = Filter::default();
        f.eq("tenant_id", tenant);
        const HOOKS: Listing = Listing::new(COLS, "FROM webhooks", "name, id");
        self.page(&HOOKS, f, page, webhook).await
    }

    pub async fn update_webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
        up: &WebhookUpdate,
        actor: &Actor,
    ) -> StoreResult<Webhook> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let cur = self.lock_webhook(&mut tx, tenant, id).await?;
        let name = up.name.clone().unwrap_or(cur.name);
        let url = up.url.clone().unwrap_or(cur.url);
        let enabled = up.enabled.unwrap_or(cur.enabled);
        // Events left out keep what is stored, names a newer version wrote included.
        let row = sqlx::query(&format!(
            "UPDATE webhooks SET name = $2, url = $3, events = COALESCE($4, events), enabled = $5, \
             updated_at = $6 WHERE id = $1 RETURNING {COLS}"
        ))
        .arg(id)
        .arg(&name)
        .arg(&url)
        .arg(up.events.as_ref().map(Subscription::stored))
        .arg(enabled)
        .arg(now)
        .fetch_one(&mut **tx)
        .await?;
        let updated = webhook(&row)?;
        tx.record(
            "webhook.updated",
            "webhook",
            id,
            json!({"name": name, "url": url, "events": updated.events, "enabled": enabled}),
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a receiver and its delivery log; what was queued for it is not sent.
    pub async fn delete_webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let cur = self.lock_webhook(&mut tx, tenant, id).await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .arg(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .arg(id)
            .execute(&mut **tx)
            .await?;
        tx.record(
            "webhook.deleted",
            "webhook",
            id,
            json!({"name": cur.name, "url": cur.url}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn lock_webhook(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        tenant: TenantId,
        id: WebhookId,
    ) -> StoreResult<Webhook> {
        let row = row_of(
            &mut **tx,
            &format!(
                "SELECT {COLS} FROM webhooks WHERE id = $1 AND tenant_id = $2{}",
                self.for_update()
            ),
            id,
            tenant,
            "webhook",
        )
        .await?;
        webhook(&row)
    }

    /// A receiver's delivery log, newest first; `state` keeps one state only.
    pub async fn list_webhook_deliveries(
        &self,
        tenant: TenantId,
        id: WebhookId,
        state: Option<DeliveryState>,
        page: Page,
    ) -> StoreResult<(Vec<WebhookDelivery>, i64)> {
        self.webhook(tenant, id).await?;
        let mut f = Filter::default();
        f.eq("tenant_id", tenant);
        f.eq("webhook_id", id);
        if let Some(s) = state {
            f.eq("state", s.as_str());
        }
        const LOG: Listing = Listing::new(
            DELIVERY_COLS,
            "FROM webhook_deliveries",
            "created_at DESC, id DESC",
        );
        self.page(&LOG, f, page, delivery).await
    }

    pub async fn webhook_delivery(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
        id: WebhookDeliveryId,
    ) -> StoreResult<WebhookDelivery> {
        let row = sqlx::query(&format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2 AND tenant_id = $3"
        ))
        .arg(id)
        .arg(webhook)
        .arg(tenant)
        .fetch_optional(&self.read)
        .await?
        .ok_or(crate::StoreError::NotFound("webhook delivery"))?;
        delivery(&row)
    }

    /// Makes a delivery due now, whatever its state: a failed one gets one more attempt,
    /// a delivered one is sent again (with the same `webhook-id`, so a receiver that has
    /// it can tell). Audited as `webhook.retried`.
    pub async fn retry_webhook_delivery(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
        id: WebhookDeliveryId,
        actor: &Actor,
    ) -> StoreResult<WebhookDelivery> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let row = sqlx::query(&format!(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $4 \
             WHERE id = $1 AND webhook_id = $2 AND tenant_id = $3 RETURNING {DELIVERY_COLS}"
        ))
        .arg(id)
        .arg(webhook)
        .arg(tenant)
        .arg(now)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(crate::StoreError::NotFound("webhook delivery"))?;
        let d = delivery(&row)?;
        tx.record(
            "webhook.retried",
            "webhook",
            webhook,
            json!({"delivery_id": id, "event_type": d.event_type}),
        )
        .await?;
        tx.queued_delivery();
        tx.commit().await?;
        Ok(d)
    }

    /// Takes up to `limit` due deliveries of any tenant for one attempt each: they are
    /// leased until `lease_until` under `lease`, and no other node takes them meanwhile.
    pub async fn claim_webhook_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        lease: &str,
        limit: i64,
    ) -> StoreResult<Vec<DueDelivery>> {
        let skip = match self.backend() {
            crate::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            crate::Backend::Sqlite => "",
        };
        let due = "state = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)";
        // Most polls find nothing: they ask the read pool, and take the writer (SQLite's
        // one connection) only when there is something to lease.
        let any: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT 1 FROM webhook_deliveries WHERE {} LIMIT 1",
            due.replace("$3", "$1")
        ))
        .arg(now)
        .fetch_optional(&self.read)
        .await?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        // The condition is repeated outside: on PostgreSQL a row another node leased
        // between the inner read and the update is checked again, and left alone.
        sqlx::query(&format!(
            "UPDATE webhook_deliveries SET lease_until = $1, lease_token = $2 \
             WHERE id IN (SELECT id FROM webhook_deliveries WHERE {due} \
             ORDER BY next_attempt_at LIMIT $4{skip}) AND {due}"
        ))
        .arg(lease_until)
        .arg(lease)
        .arg(now)
        .arg(limit)
        .execute(&mut **tx)
        .await?;
        let rows = sqlx::query(
            "SELECT d.id, d.webhook_id, d.tenant_id, d.payload, d.attempts, w.url, w.sealed_secret \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.lease_token = $1 ORDER BY d.next_attempt_at",
        )
        .arg(lease)
        .fetch_all(&mut **tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(DueDelivery {
                    id: rows::id(r, "id")?,
                    webhook_id: rows::id(r, "webhook_id")?,
                    tenant_id: rows::id(r, "tenant_id")?,
                    url: r.try_get("url")?,
                    sealed_secret: r.try_get("sealed_secret")?,
                    payload: r.try_get("payload")?,
                    attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    /// Records the outcome of an attempt of a delivery leased under `lease`. Returns
    /// false (and changes nothing) when the lease was lost meanwhile.
    pub async fn finish_webhook_delivery(
        &self,
        id: WebhookDeliveryId,
        lease: &str,
        a: &Attempt,
    ) -> StoreResult<bool> {
        let (state, next) = match (&a.error, a.retry_at) {
            (None, _) => (DeliveryState::Delivered, a.at),
            (Some(_), Some(t)) => (DeliveryState::Pending, t),
            (Some(_), None) => (DeliveryState::Failed, a.at),
        };
        let delivered = (state == DeliveryState::Delivered).then_some(a.at);
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE webhook_deliveries SET state = $3, attempts = attempts + 1, next_attempt_at = $4, \
             lease_until = NULL, lease_token = NULL, last_attempt_at = $5, last_status = $6, \
             last_error = $7, delivered_at = COALESCE($8, delivered_at) \
             WHERE id = $1 AND lease_token = $2",
        )
        .arg(id)
        .arg(lease)
        .arg(state.as_str())
        .arg(next)
        .arg(a.at)
        .arg(a.status.map(u32::from))
        .arg(a.error.as_deref())
        .arg(delivered)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// API tokens of every tenant that expire within their tenant's `expiry_notice_days` of
    /// `now` and have not been announced for that expiry: at most `limit`, soonest first.
    /// Mobile sessions are not among them: their expiry slides with each use.
    pub async fn tokens_to_announce(
        &self,
        now: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<(TenantId, TokenId, OffsetDateTime)>> {
        let rows = sqlx::query(
            "SELECT t.tenant_id, t.id, t.expires_at FROM tokens t \
             JOIN tenant_settings ts ON ts.tenant_id = t.tenant_id \
             WHERE t.kind = 'api' AND ts.expiry_notice_days > 0 AND t.revoked_at IS NULL \
             AND t.expires_at IS NOT NULL \
             AND t.expires_at > $1 AND t.expires_at <= $1 + ts.expiry_notice_days * 86400000 \
             AND NOT EXISTS (SELECT 1 FROM token_expiry_notices n \
               WHERE n.token_id = t.id AND n.expires_at = t.expires_at) \
             ORDER BY t.expires_at LIMIT $2",
        )
        .arg(now)
        .arg(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    rows::id(r, "tenant_id")?,
                    rows::id(r, "id")?,
                    rows::time(r, "expires_at")?,
                ))
            })
            .collect()
    }

    /// Announces that a token expires at `expires_at` (`token.expiring`, audited by the
    /// system and sent to the tenant's receivers), once per token and expiry: returns
    /// false when it was announced already (by this node or another) or no longer
    /// expires then.
    pub async fn announce_expiry(
        &self,
        tenant: TenantId,
        id: TokenId,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let actor = Actor::system("expiry-notice");
        let mut tx = self.begin_by(tenant, &actor, now).await?;
        let t = sqlx::query(
            "SELECT name, hint, user_id FROM tokens \
             WHERE id = $1 AND tenant_id = $2 AND expires_at = $3 AND revoked_at IS NULL",
        )
        .arg(id)
        .arg(tenant)
        .arg(expires_at)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(t) = t else { return Ok(false) };
        let n = sqlx::query(
            "INSERT INTO token_expiry_notices (token_id, expires_at, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .arg(id)
        .arg(expires_at)
        .arg(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        let iso = expires_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        tx.record(
            "token.expiring",
            "token",
            id,
            json!({"name": t.try_get::<String, _>("name")?, "hint": t.try_get::<String, _>("hint")?,
                   "user_id": t.try_get::<String, _>("user_id")?, "expires_at": iso}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
