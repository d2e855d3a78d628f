//! Per-token rate limits (a token's `rate_limit`: at most N successful checks per window).
//!
//! - **Per node** (the default): counters in this process's memory. A cluster of N nodes
//!   lets a token through up to N times its limit per window.
//! - **Cluster-wide** (`--redis-url`): one counter per token and window in Redis, taken
//!   atomically by a script, so the limit holds across every node.
//!
//! Either way a window is a fixed interval of `window_seconds` aligned to the Unix
//! epoch, so every node agrees on when it opens and what `Retry-After` says.
//!
//! When Redis cannot be reached (or does not answer within [`REDIS_TIMEOUT`]), a check of
//! a token that has a rate limit fails closed: it is answered `Unavailable` (503) rather
//! than let through uncounted. Tokens without a rate limit never touch Redis.

use super::Unavailable;
use keyward_core::model::RateLimit;
use keyward_core::TokenId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// How long a check waits for Redis before it is refused.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

pub enum RateLimiter {
    Local(LocalWindows),
    Redis(RedisWindows),
}

impl RateLimiter {
    pub fn local() -> Self {
        Self::Local(LocalWindows::default())
    }

    /// Connects to Redis at `url` (`redis://host:port/db`). The connection is
    /// re-established on its own after a loss; the first one must succeed.
    pub async fn redis(url: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).map_err(|e| anyhow::anyhow!("--redis-url: {e}"))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            redis::aio::ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| anyhow::anyhow!("--redis-url: Redis did not answer within 5 s"))?
        .map_err(|e| anyhow::anyhow!("--redis-url: cannot connect to Redis: {e}"))?;
        Ok(Self::Redis(RedisWindows {
            conn,
            script: redis::Script::new(WINDOW_SCRIPT),
        }))
    }

    /// Counts one successful check at `now` (Unix seconds). `None` if within the limit,
    /// else the seconds until the window ends (at least 1).
    pub async fn take(
        &self,
        id: TokenId,
        limit: RateLimit,
        now: i64,
    ) -> Result<Option<u64>, Unavailable> {
        match self {
            Self::Local(w) => Ok(w.take(id, limit, now)),
            Self::Redis(r) => r.take(id, limit, now).await,
        }
    }
}

fn window_of(limit: RateLimit, now: i64) -> (i64, i64) {
    let window = i64::from(limit.window_seconds.max(1));
    (now - now.rem_euclid(window), window)
}

/// Fixed-window counters held by this node.
#[derive(Default)]
pub struct LocalWindows(Mutex<LocalState>);

#[derive(Default)]
struct LocalState {
    /// Per token: (window start, count, window length), all in seconds.
    windows: HashMap<TokenId, (i64, u32, i64)>,
    /// Size at which ended windows are next swept out (amortised, not on every check).
    sweep_at: usize,
}

impl LocalWindows {
    const MIN_SWEEP: usize = 10_000;

    fn take(&self, id: TokenId, limit: RateLimit, now: i64) -> Option<u64> {
        let (start, window) = window_of(limit, now);
        let mut st = self.0.lock().expect("rate lock");
        if st.windows.len() >= st.sweep_at.max(Self::MIN_SWEEP) {
            // Each entry ends by its own window, not the one being checked now.
            st.windows.retain(|_, (s, _, w)| *s + *w > now);
            st.sweep_at = st.windows.len() * 2;
        }
        let entry = st.windows.entry(id).or_insert((start, 0, window));
        if entry.0 != start || entry.2 != window {
            *entry = (start, 0, window);
        }
        if entry.1 >= limit.requests {
            return Some((start + window - now).max(1) as u64);
        }
        entry.1 += 1;
        None
    }
}

/// Takes one use of a window if it has one left: the count is only raised while under
/// the limit, so refused checks do not push the count (and a later limit raise) around,
/// and the key expires with its window.
const WINDOW_SCRIPT: &str = r#"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
if n == 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1
"#;

pub struct RedisWindows {
    conn: redis::aio::ConnectionManager,
    script: redis::Script,
}

impl RedisWindows {
    async fn take(
        &self,
        id: TokenId,
        limit: RateLimit,
        now: i64,
    ) -> Result<Option<u64>, Unavailable> {
        let (start, window) = window_of(limit, now);
        // The limit's window length is part of the key, so changing it starts afresh.
        let key = format!("keyward:rate:{id}:{window}:{start}");
        let mut conn = self.conn.clone();
        let taken: Result<i64, _> = tokio::time::timeout(
            REDIS_TIMEOUT,
            self.script
                .key(key)
                .arg(limit.requests)
                // Kept a little past the window's end, so a node whose clock lags by a
                // second still finds the count.
                .arg(window + 5)
                .invoke_async(&mut conn),
        )
        .await
        .map_err(|_| Unavailable)
        .and_then(|r| {
            r.map_err(|e| {
                tracing::error!(error = %e, "cannot reach Redis for a rate limit; refusing");
                Unavailable
            })
        });
        match taken {
            Ok(1) => Ok(None),
            Ok(_) => Ok(Some((start + window - now).max(1) as u64)),
            Err(u) => {
                tracing::error!("Redis did not answer for a rate limit; refusing");
                Err(u)
            }
        }
    }
}
