//! The inactivity policy (issue 15): API tokens and mobile sessions unused for their
//! tenant's `flag_unused_after_days` are announced once per period of disuse
//! (`token.stale`), and those unused for its `revoke_unused_after_days` are revoked by the
//! system (reason `unused`). Every node scans; each write is conditional on the token
//! still being what the scan found, so however many nodes find a token at the same moment,
//! it is announced once and revoked once, with one audit event and one webhook.
//!
//! Each function takes `at`, the moment the policy is judged at, so that tests can look
//! days ahead. What is written (the audit event, its webhook, `revoked_at`) is stamped with
//! the time of writing, which outside tests is the same moment.

use crate::audit::Actor;
use crate::query::Arg;
use crate::tokens::{unused_for, LAST_ACTIVE};
use crate::{rows, Store, StoreResult};
use keyward_core::{TenantId, TokenId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

/// The name the system acts under in the audit trail for the policy's changes.
const ACTOR: &str = "inactivity-policy";

/// A token the policy has found unused: its tenant, and the last activity (its last use,
/// or its creation if it was never used) it has been unused since.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unused {
    pub tenant_id: TenantId,
    pub id: TokenId,
    pub since: OffsetDateTime,
}

fn unused(r: &AnyRow) -> StoreResult<Unused> {
    Ok(Unused {
        tenant_id: rows::id(r, "tenant_id")?,
        id: rows::id(r, "id")?,
        since: rows::time(r, "since")?,
    })
}

/// The `FROM` of every query here: a token `t` with its tenant's settings `ts`.
const FROM: &str = "FROM tokens t JOIN tenant_settings ts ON ts.tenant_id = t.tenant_id";

impl Store {
    /// Tokens of every tenant that are stale at `at` (unused for their tenant's
    /// `flag_unused_after_days`, and still usable) and have not been announced for this
    /// period of disuse: at most `limit`, the longest unused first.
    pub async fn stale_tokens(&self, at: OffsetDateTime, limit: i64) -> StoreResult<Vec<Unused>> {
        let not_announced = format!(
            "NOT EXISTS (SELECT 1 FROM token_stale_notices n \
             WHERE n.token_id = t.id AND n.since = {LAST_ACTIVE})"
        );
        self.scan("flag_unused_after_days", &not_announced, at, limit)
            .await
    }

    /// Tokens unused for the days in the settings' column `days` at `at` and meeting
    /// `also`: at most `limit`, the longest unused first.
    async fn scan(
        &self,
        days: &str,
        also: &str,
        at: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<Unused>> {
        let sql = format!(
            "SELECT t.tenant_id, t.id, {LAST_ACTIVE} AS since {FROM} WHERE {} AND {also} \
             ORDER BY since, t.id LIMIT $2",
            unused_for(days, "$1")
        );
        let rows = sqlx::query(&sql)
            .arg(at)
            .arg(limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(unused).collect()
    }

    /// Announces that token `u.id` has not been used since `u.since` (`token.stale`,
    /// audited by the system and sent to the tenant's receivers), once per token and
    /// period of disuse: false when it was announced already (by this node or another),
    /// or it was used (or revoked, or the policy changed) since the scan found it.
    pub async fn announce_stale(&self, u: Unused, at: OffsetDateTime) -> StoreResult<bool> {
        let actor = Actor::system(ACTOR);
        let mut tx = self.begin_by(u.tenant_id, &actor, crate::now()).await?;
        let sql = format!(
            "SELECT t.name, t.hint, t.kind, t.user_id, ts.flag_unused_after_days AS days {FROM} \
             WHERE {} AND t.id = $2 AND t.tenant_id = $3 AND {LAST_ACTIVE} = $4",
            unused_for("flag_unused_after_days", "$1")
        );
        let t = sqlx::query(&sql)
            .arg(at)
            .arg(u.id)
            .arg(u.tenant_id)
            .arg(u.since)
            .fetch_optional(&mut **tx)
            .await?;
        let Some(t) = t else { return Ok(false) };
        let n = sqlx::query(
            "INSERT INTO token_stale_notices (token_id, since, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .arg(u.id)
        .arg(u.since)
        .arg(crate::now())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        let days: i64 = t.try_get("days")?;
        tx.record(
            "token.stale",
            "token",
            u.id,
            json!({"name": t.try_get::<String, _>("name")?, "hint": t.try_get::<String, _>("hint")?,
                   "kind": t.try_get::<String, _>("kind")?, "user_id": t.try_get::<String, _>("user_id")?,
                   "unused_since": rfc3339(u.since), "flag_unused_after_days": days}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Tokens of every tenant unused for their tenant's `revoke_unused_after_days` at
    /// `at`, and not yet revoked: at most `limit`, the longest unused first.
    pub async fn unused_tokens(&self, at: OffsetDateTime, limit: i64) -> StoreResult<Vec<Unused>> {
        self.scan("revoke_unused_after_days", "1 = 1", at, limit)
            .await
    }

    /// Revokes token `id` of `tenant` for disuse, if at `at` it is still unrevoked and
    /// unused for its tenant's `revoke_unused_after_days`: the one conditional `UPDATE`
    /// decides, so of several nodes revoking it at once one does, and only that one
    /// records `token.revoked` (reason `unused`, which sends the webhook and tells every
    /// node through the change log). False when it was not revoked now.
    pub async fn revoke_unused(
        &self,
        tenant: TenantId,
        id: TokenId,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let actor = Actor::system(ACTOR);
        let now = crate::now();
        let mut tx = self.begin_by(tenant, &actor, now).await?;
        // A revoked token keeps no usable secret and no recoverable copy, as when an
        // administrator revokes it.
        let sql = format!(
            "UPDATE tokens SET revoked_at = $1, revoked_by = NULL, sealed_secret = NULL \
             WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL \
             AND id IN (SELECT t.id {FROM} WHERE t.id = $2 AND {})",
            unused_for("revoke_unused_after_days", "$4")
        );
        let n = sqlx::query(&sql)
            .arg(now)
            .arg(id)
            .arg(tenant)
            .arg(at)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        let sql = format!(
            "SELECT t.hint, t.kind, {LAST_ACTIVE} AS since, ts.revoke_unused_after_days AS days \
             {FROM} WHERE t.id = $1"
        );
        let t = sqlx::query(&sql).arg(id).fetch_one(&mut **tx).await?;
        let days: i64 = t.try_get("days")?;
        tx.record(
            "token.revoked",
            "token",
            id,
            json!({"hint": t.try_get::<String, _>("hint")?, "kind": t.try_get::<String, _>("kind")?,
                   "reason": "unused", "unused_since": rfc3339(rows::time(&t, "since")?),
                   "revoke_unused_after_days": days}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
