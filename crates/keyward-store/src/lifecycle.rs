//! The inactivity policy (issue 15): API tokens, mobile sessions and the applications'
//! endpoint tokens unused for their tenant's `flag_unused_after_days` are announced once
//! per period of disuse (`token.stale`), and those unused for its
//! `revoke_unused_after_days` are revoked by the system (reason `unused`; an endpoint
//! token is retired: deactivated). Every node scans; each write is conditional on the token
//! still being what the scan found, so however many nodes find a token at the same moment,
//! it is announced once and revoked once, with one audit event and one webhook.
//!
//! Each function takes `at`, the moment the policy is judged at, so that tests can look
//! days ahead. What is written (the audit event, its webhook, `revoked_at`) is stamped with
//! the time of writing, which outside tests is the same moment.

use crate::audit::Actor;
use crate::endpoints::{etoken_unused_for, ETOKEN_LAST_ACTIVE, ETOKEN_WITH_SETTINGS};
use crate::query::Arg;
use crate::tokens::{unused_for, LAST_ACTIVE};
use crate::{rows, Store, StoreResult};
use keyward_core::{EndpointTokenId, TenantId, TokenId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

/// The name the system acts under in the audit trail for the policy's changes.
const ACTOR: &str = "inactivity-policy";

/// A token the policy has found unused: its tenant, and the last activity (its last use,
/// or its creation if it was never used) it has been unused since. `I` is the kind of id:
/// an API token's or session's, or an endpoint token's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unused<I = TokenId> {
    pub tenant_id: TenantId,
    pub id: I,
    pub since: OffsetDateTime,
}

fn unused<I: std::str::FromStr>(r: &AnyRow) -> StoreResult<Unused<I>> {
    Ok(Unused {
        tenant_id: rows::id(r, "tenant_id")?,
        id: rows::id(r, "id")?,
        since: rows::time(r, "since")?,
    })
}

/// How the policy reads one kind of token: API tokens and sessions, or endpoint tokens.
struct Kind {
    /// A token `t` with its tenant's settings `ts`.
    from: &'static str,
    /// What the announcement reads as the token's owner.
    owner: &'static str,
    /// When `t` was last active (its last use, or its creation).
    last_active: &'static str,
    /// The condition that `t` has gone the days of a settings column without a use.
    unused_for: fn(&str, &str) -> String,
    /// Which periods of disuse were announced.
    notices: &'static str,
    /// The audit trail's name for the kind.
    object_type: &'static str,
    /// The table its tokens are in.
    table: &'static str,
    /// A token that the policy may still take away (`$1` in `retire_set` is now).
    live: &'static str,
    /// What taking it away for disuse sets, and the action that records it.
    retire_set: &'static str,
    retired: &'static str,
}

const TOKENS: Kind = Kind {
    from: FROM,
    owner: "t.user_id",
    last_active: LAST_ACTIVE,
    unused_for,
    notices: "token_stale_notices",
    object_type: "token",
    table: "tokens",
    live: "revoked_at IS NULL",
    // A revoked token keeps no usable secret and no recoverable copy, as when an
    // administrator revokes it.
    retire_set: "revoked_at = $1, revoked_by = NULL, sealed_secret = NULL",
    retired: "token.revoked",
};

const ENDPOINT_TOKENS: Kind = Kind {
    from: ETOKEN_WITH_SETTINGS,
    // An endpoint token belongs to no user.
    owner: "CAST(NULL AS TEXT) AS user_id",
    last_active: ETOKEN_LAST_ACTIVE,
    unused_for: etoken_unused_for,
    notices: "endpoint_token_stale_notices",
    object_type: "endpoint_token",
    table: "endpoint_tokens",
    live: "active = 1",
    // Deactivated: switched off and in the inactive list, as an administrator retires
    // an application's token (endpoint tokens have no revoked state).
    retire_set: "active = 0, enabled = 0, updated_at = $1",
    retired: "endpoint_token.retired",
};

/// The `FROM` of the queries on API tokens: a token `t` with its tenant's settings `ts`.
const FROM: &str = "FROM tokens t JOIN tenant_settings ts ON ts.tenant_id = t.tenant_id";

impl Store {
    /// Tokens of every tenant that are stale at `at` (unused for their tenant's
    /// `flag_unused_after_days`, and still usable) and have not been announced for this
    /// period of disuse: at most `limit`, the longest unused first.
    pub async fn stale_tokens(&self, at: OffsetDateTime, limit: i64) -> StoreResult<Vec<Unused>> {
        self.stale_of(&TOKENS, at, limit).await
    }

    /// [`Store::stale_tokens`] for the applications' endpoint tokens (active secondaries).
    pub async fn stale_endpoint_tokens(
        &self,
        at: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<Unused<EndpointTokenId>>> {
        self.stale_of(&ENDPOINT_TOKENS, at, limit).await
    }

    async fn stale_of<I: std::str::FromStr>(
        &self,
        kind: &Kind,
        at: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<Unused<I>>> {
        let not_announced = format!(
            "NOT EXISTS (SELECT 1 FROM {} n WHERE n.token_id = t.id AND n.since = {})",
            kind.notices, kind.last_active
        );
        self.scan(kind, "flag_unused_after_days", &not_announced, at, limit)
            .await
    }

    /// Tokens of `kind` unused for the days in the settings' column `days` at `at` and
    /// meeting `also`: at most `limit`, the longest unused first.
    async fn scan<I: std::str::FromStr>(
        &self,
        kind: &Kind,
        days: &str,
        also: &str,
        at: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<Unused<I>>> {
        let sql = format!(
            "SELECT t.tenant_id, t.id, {} AS since {} WHERE {} AND {also} \
             ORDER BY since, t.id LIMIT $2",
            kind.last_active,
            kind.from,
            (kind.unused_for)(days, "$1")
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
        self.announce(&TOKENS, u, at).await
    }

    /// [`Store::announce_stale`] for an endpoint token (`token.stale` of an
    /// `endpoint_token`).
    pub async fn announce_stale_endpoint_token(
        &self,
        u: Unused<EndpointTokenId>,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        self.announce(&ENDPOINT_TOKENS, u, at).await
    }

    async fn announce<I: crate::query::Value + Copy + std::fmt::Display + Send + Sync>(
        &self,
        kind: &Kind,
        u: Unused<I>,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let actor = Actor::system(ACTOR);
        let mut tx = self.begin_by(u.tenant_id, &actor, crate::now()).await?;
        let sql = format!(
            "SELECT t.name, t.hint, t.kind, {}, ts.flag_unused_after_days AS days {} \
             WHERE {} AND t.id = $2 AND t.tenant_id = $3 AND {} = $4",
            kind.owner,
            kind.from,
            (kind.unused_for)("flag_unused_after_days", "$1"),
            kind.last_active
        );
        let t = sqlx::query(&sql)
            .arg(at)
            .arg(u.id)
            .arg(u.tenant_id)
            .arg(u.since)
            .fetch_optional(&mut **tx)
            .await?;
        let Some(t) = t else { return Ok(false) };
        let n = sqlx::query(&format!(
            "INSERT INTO {} (token_id, since, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            kind.notices
        ))
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
        let mut details = json!({"name": t.try_get::<String, _>("name")?, "hint": t.try_get::<String, _>("hint")?,
               "kind": t.try_get::<String, _>("kind")?,
               "unused_since": rfc3339(u.since), "flag_unused_after_days": days});
        if let Some(user) = t.try_get::<Option<String>, _>("user_id")? {
            details["user_id"] = json!(user);
        }
        tx.record("token.stale", kind.object_type, u.id, details)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Tokens of every tenant unused for their tenant's `revoke_unused_after_days` at
    /// `at`, and not yet revoked: at most `limit`, the longest unused first.
    pub async fn unused_tokens(&self, at: OffsetDateTime, limit: i64) -> StoreResult<Vec<Unused>> {
        self.scan(&TOKENS, "revoke_unused_after_days", "1 = 1", at, limit)
            .await
    }

    /// The applications' endpoint tokens (active secondaries) unused for their tenant's
    /// `revoke_unused_after_days` at `at`: at most `limit`, the longest unused first.
    pub async fn unused_endpoint_tokens(
        &self,
        at: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<Unused<EndpointTokenId>>> {
        self.scan(
            &ENDPOINT_TOKENS,
            "revoke_unused_after_days",
            "1 = 1",
            at,
            limit,
        )
        .await
    }

    /// Retires endpoint token `id` of `tenant` for disuse, if at `at` it is still active
    /// and unused for its tenant's `revoke_unused_after_days`: deactivated, the endpoint
    /// tokens' revoke, recorded as `endpoint_token.retired` (reason `unused`; it sends
    /// `token.revoked`). As [`Store::revoke_unused`], once however many nodes try.
    pub async fn retire_unused_endpoint_token(
        &self,
        tenant: TenantId,
        id: EndpointTokenId,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        self.retire(&ENDPOINT_TOKENS, tenant, id, at).await
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
        self.retire(&TOKENS, tenant, id, at).await
    }

    async fn retire<I: crate::query::Value + Copy + std::fmt::Display + Send + Sync>(
        &self,
        kind: &Kind,
        tenant: TenantId,
        id: I,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let actor = Actor::system(ACTOR);
        let now = crate::now();
        let mut tx = self.begin_by(tenant, &actor, now).await?;
        let sql = format!(
            "UPDATE {} SET {} WHERE id = $2 AND tenant_id = $3 AND {} \
             AND id IN (SELECT t.id {} WHERE t.id = $2 AND {})",
            kind.table,
            kind.retire_set,
            kind.live,
            kind.from,
            (kind.unused_for)("revoke_unused_after_days", "$4")
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
            "SELECT t.name, t.hint, t.kind, {} AS since, ts.revoke_unused_after_days AS days \
             {} WHERE t.id = $1",
            kind.last_active, kind.from
        );
        let t = sqlx::query(&sql).arg(id).fetch_one(&mut **tx).await?;
        let days: i64 = t.try_get("days")?;
        tx.record(
            kind.retired,
            kind.object_type,
            id,
            json!({"name": t.try_get::<String, _>("name")?, "hint": t.try_get::<String, _>("hint")?,
                   "kind": t.try_get::<String, _>("kind")?,
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
