//! The inactivity policy's pass (issue 15): announces the tokens (API tokens, mobile
//! sessions, and the applications' endpoint tokens) that have gone their tenant's `flag_unused_after_days` without a use
//! (`token.stale`, once per period of disuse), and revokes those that have gone its
//! `revoke_unused_after_days` (reason `unused`, through `token.revoked`, so the webhook
//! is sent and every node drops the token from its cache as for an administrator's
//! revoke; an endpoint token is retired instead: deactivated, `endpoint_token.retired`,
//! which sends `token.revoked` too).
//!
//! Every node runs the pass beside its expiry notices (`crate::webhooks`). The store's
//! writes are conditional on what the pass found still holding, so two nodes passing at
//! once announce and revoke each token once. The pass takes `now` as an argument: tests
//! run it days ahead instead of waiting.
//!
//! Last-use times are coalesced: each node gathers them in memory and writes them every
//! `flush_interval` (2 s by default; a failed write is retried at the next one), so the
//! stored last use lags a use by at most that interval. Before it revokes anything the
//! pass writes this node's pending uses, so a token used on this node is never revoked for
//! disuse. A use on another node in the last flush interval before the pass is not yet
//! visible: that token had gone the whole revoke period (days) unused until those last
//! seconds, and is revoked as the administrator's policy asked.

use crate::state::AppState;
use keyward_store::StoreResult;
use time::OffsetDateTime;

/// Tokens handled per kind of change and pass, at most; the rest wait for the next pass.
const BATCH: i64 = 500;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Passed {
    /// Tokens announced as stale (`token.stale`) by this pass.
    pub announced: usize,
    /// Tokens revoked (endpoint tokens: retired) for disuse by this pass.
    pub revoked: usize,
}

/// One pass of the inactivity policy, judged at `now`: announces what is stale, then
/// revokes what is unused for the revoke period. A token that fails is logged and left for
/// the next pass; a failed scan is the pass's error.
pub async fn lifecycle_pass(st: &AppState, now: OffsetDateTime) -> StoreResult<Passed> {
    let mut done = Passed::default();
    for u in st.store.stale_tokens(now, BATCH).await? {
        match st.store.announce_stale(u, now).await {
            Ok(true) => done.announced += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(token = %u.id, error = %e, "could not announce a stale token"),
        }
    }
    for u in st.store.stale_endpoint_tokens(now, BATCH).await? {
        match st.store.announce_stale_endpoint_token(u, now).await {
            Ok(true) => done.announced += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(token = %u.id, error = %e, "could not announce a stale endpoint token")
            }
        }
    }
    let unused = st.store.unused_tokens(now, BATCH).await?;
    let unused_endpoint = st.store.unused_endpoint_tokens(now, BATCH).await?;
    if unused.is_empty() && unused_endpoint.is_empty() {
        return Ok(done);
    }
    // A use this node has seen but not written yet must count before a revoke; if it
    // cannot be written, nothing is revoked until it can.
    if !st.verifier.flush_last_used().await {
        tracing::warn!(
            "pending last-use times could not be written; no unused token is revoked this pass"
        );
        return Ok(done);
    }
    for u in unused {
        match st.store.revoke_unused(u.tenant_id, u.id, now).await {
            Ok(true) => {
                done.revoked += 1;
                tracing::info!(token = %u.id, tenant = %u.tenant_id, "revoked a token unused since {}", u.since);
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(token = %u.id, error = %e, "could not revoke an unused token"),
        }
    }
    for u in unused_endpoint {
        match st
            .store
            .retire_unused_endpoint_token(u.tenant_id, u.id, now)
            .await
        {
            Ok(true) => {
                done.revoked += 1;
                tracing::info!(token = %u.id, tenant = %u.tenant_id, "retired an endpoint token unused since {}", u.since);
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(token = %u.id, error = %e, "could not retire an unused endpoint token")
            }
        }
    }
    Ok(done)
}
