//! The webhook deliverer: sends what the outbox holds, off the request path.
//!
//! Every node runs one. A change that sends an event queues it in its own transaction
//! (`keyward_store`'s `audit::record`); the node that committed it is woken at once,
//! the others find it at their next poll. A node takes due deliveries under a lease
//! (`Store::claim_webhook_deliveries`) longer than an attempt may last, makes one attempt
//! of each, and records the outcome only if it still holds the lease: across a cluster
//! one attempt of a delivery runs at a time, and each has one sequence of attempts. A
//! node that stops mid-attempt leaves its lease to run out; the delivery is then tried
//! again (with the same `webhook-id`, so a receiver can drop a repeat), and nothing
//! queued is lost to a restart.
//!
//! Each attempt is a POST of the stored JSON body with the Standard Webhooks headers
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`). A 2xx answer delivers it;
//! anything else (another status, a redirect, which is never followed, a timeout, a
//! refused connection) is retried after 5 s, 10 s, 20 s, … up to 6 h between attempts,
//! 15 attempts in all by default ([`WebhookOptions`]); then the delivery is `failed` and
//! an administrator can try it again.
//!
//! The same task also announces tokens about to expire (`token.expiring`), once per token
//! and expiry date, whichever node finds each first (`Store::announce_expiry`), and runs
//! the inactivity policy's pass (`crate::lifecycle`: `token.stale`, revoking unused
//! tokens) on the same tick.

use crate::config::WebhookOptions;
use crate::metrics::DeliveryOutcome;
use crate::service::webhooks::secret_context;
use crate::state::AppState;
use keyward_core::webhook::WebhookSecret;
use keyward_store::{Attempt, DueDelivery};
use std::time::Duration;
use tokio::task::{JoinHandle, JoinSet};

/// Deliveries taken at once by one node.
const BATCH: i64 = 16;
/// Tokens announced per scan, at most.
const ANNOUNCE_BATCH: i64 = 500;

pub struct WebhookTasks(Vec<JoinHandle<()>>);

impl WebhookTasks {
    pub fn abort(&self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

pub fn spawn(st: &AppState) -> WebhookTasks {
    WebhookTasks(vec![
        tokio::spawn(deliver(st.clone())),
        tokio::spawn(announce(st.clone())),
    ])
}

/// The wait before the retry that follows attempt number `attempts` (from 1).
pub fn backoff(o: &WebhookOptions, attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
    o.first_retry.saturating_mul(factor).min(o.max_retry)
}

async fn deliver(st: AppState) {
    let o = st.config.webhooks;
    let client = match reqwest::Client::builder()
        .timeout(o.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("keyward-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client: no webhook is delivered");
            return;
        }
    };
    let wake = st.store.webhook_wakeups();
    // Longer than an attempt can last (the client's timeout covers it all).
    let lease_for = o.timeout.saturating_mul(3);
    loop {
        let now = keyward_store::now();
        let lease = uuid::Uuid::new_v4().to_string();
        let due = st
            .store
            .claim_webhook_deliveries(now, now + lease_for, &lease, BATCH)
            .await;
        match due {
            Ok(due) if !due.is_empty() => {
                let mut set = JoinSet::new();
                for d in due {
                    let (st, client, lease) = (st.clone(), client.clone(), lease.clone());
                    set.spawn(async move {
                        let a = attempt(&st, &client, &d).await;
                        st.metrics.webhook_delivery(match (&a.error, a.retry_at) {
                            (None, _) => DeliveryOutcome::Delivered,
                            (Some(_), Some(_)) => DeliveryOutcome::Failed,
                            (Some(_), None) => DeliveryOutcome::Abandoned,
                        });
                        match st.store.finish_webhook_delivery(d.id, &lease, &a).await {
                            Ok(true) => {}
                            Ok(false) => tracing::warn!(delivery = %d.id,
                                "a webhook attempt outlived its lease; another node may have tried it too"),
                            Err(e) => tracing::warn!(delivery = %d.id, error = %e,
                                "could not record a webhook attempt; it is tried again when its lease ends"),
                        }
                    });
                }
                while set.join_next().await.is_some() {}
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the webhook outbox"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(o.poll) => {}
        }
    }
}

/// One attempt of `d`: what the delivery log records of it.
async fn attempt(st: &AppState, client: &reqwest::Client, d: &DueDelivery) -> Attempt {
    let o = &st.config.webhooks;
    let sent = keyward_store::now();
    let failed = |status: Option<u16>, why: String| {
        let tries = d.attempts.saturating_add(1);
        Attempt {
            at: sent,
            status,
            error: Some(why),
            retry_at: (tries < o.max_attempts).then(|| sent + backoff(o, tries)),
        }
    };
    let secret = match st
        .verifier
        .key()
        .unseal(&d.sealed_secret, &secret_context(d.webhook_id))
    {
        Ok(s) => WebhookSecret::from_stored(s),
        Err(_) => {
            return failed(
                None,
                "the receiver's secret cannot be opened with this node's server key".into(),
            )
        }
    };
    let id = d.id.to_string();
    let ts = sent.unix_timestamp();
    let res = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            secret.sign(&id, ts, d.payload.as_bytes()),
        )
        .body(d.payload.clone())
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => Attempt {
            at: sent,
            status: Some(r.status().as_u16()),
            error: None,
            retry_at: None,
        },
        Ok(r) => {
            let s = r.status();
            let why = if s.is_redirection() {
                format!("the receiver answered {s}; redirects are not followed")
            } else {
                format!("the receiver answered {s}")
            };
            failed(Some(s.as_u16()), why)
        }
        // Without the URL, whose query may hold the receiver's own credential.
        Err(e) => failed(None, e.without_url().to_string()),
    }
}

async fn announce(st: AppState) {
    let mut tick = tokio::time::interval(st.config.webhooks.expiry_scan);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = keyward_store::now();
        let due = match st.store.tokens_to_announce(now, ANNOUNCE_BATCH).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for expiring tokens");
                Vec::new()
            }
        };
        for (tenant, token, expires_at) in due {
            if let Err(e) = st
                .store
                .announce_expiry(tenant, token, expires_at, now)
                .await
            {
                tracing::warn!(%token, error = %e, "could not announce an expiring token");
            }
        }
        if let Err(e) = crate::lifecycle::lifecycle_pass(&st, now).await {
            tracing::warn!(error = %e, "cannot look for unused tokens");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_the_cap() {
        let o = WebhookOptions::default();
        assert_eq!(backoff(&o, 1), Duration::from_secs(5));
        assert_eq!(backoff(&o, 2), Duration::from_secs(10));
        assert_eq!(backoff(&o, 5), Duration::from_secs(80));
        assert_eq!(backoff(&o, 14), Duration::from_secs(6 * 3600));
        assert_eq!(backoff(&o, 40), Duration::from_secs(6 * 3600));
    }
}
