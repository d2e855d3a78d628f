//! Prometheus metrics: the counters that checks, the verifier's cache, the change feed
//! and logins move as they happen, and the text `GET /metrics` answers (Prometheus text
//! format 0.0.4), with what is read at scrape time (pools, feed, tokens per tenant).
//!
//! A check resolves nothing per call: every (route, code) counter and each route's
//! latency histogram is looked up once, here, and moved with atomic adds. No label
//! names a token or a user; the only label read from storage is a tenant's name.
//! Each [`Metrics`] has its own registry (no global recorder), so servers sharing a
//! process (the tests) count apart.

use keyward_core::VerifyCode;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The `Content-Type` of a scrape's answer.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Which front-end asked a check: the `route` label of verifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `POST /api/v1/verify`.
    ApiVerify,
    /// `POST /oauth2/introspect`.
    Introspect,
    /// `/auth/forward` and `/auth/forward/{tenant}`.
    Forward,
    /// The hosted endpoints, `/e/{tenant}/{path}`.
    Hosted,
    /// An administrator's API token on the REST API.
    AdminApi,
    /// `POST /api/v1/mobile/logout`, which finds the session it ends.
    MobileLogout,
}

impl Route {
    const ALL: [Route; 6] = [
        Self::ApiVerify,
        Self::Introspect,
        Self::Forward,
        Self::Hosted,
        Self::AdminApi,
        Self::MobileLogout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiVerify => "api_verify",
            Self::Introspect => "introspect",
            Self::Forward => "forward",
            Self::Hosted => "hosted",
            Self::AdminApi => "admin_api",
            Self::MobileLogout => "mobile_logout",
        }
    }
}

/// Every code a check can answer, in [`code_index`] order; a check that storage could
/// not confirm is counted as `UNAVAILABLE`, after them.
const CODES: [VerifyCode; 12] = [
    VerifyCode::Valid,
    VerifyCode::NotFound,
    VerifyCode::Expired,
    VerifyCode::Revoked,
    VerifyCode::Disabled,
    VerifyCode::UserLocked,
    VerifyCode::UserInactive,
    VerifyCode::FeatureDisabled,
    VerifyCode::Forbidden,
    VerifyCode::IpNotAllowed,
    VerifyCode::RateLimited,
    VerifyCode::UsageExceeded,
];
const UNAVAILABLE: usize = CODES.len();

/// A code's place in [`CODES`]; exhaustive, so a new code does not compile until it has one.
fn code_index(c: VerifyCode) -> usize {
    match c {
        VerifyCode::Valid => 0,
        VerifyCode::NotFound => 1,
        VerifyCode::Expired => 2,
        VerifyCode::Revoked => 3,
        VerifyCode::Disabled => 4,
        VerifyCode::UserLocked => 5,
        VerifyCode::UserInactive => 6,
        VerifyCode::FeatureDisabled => 7,
        VerifyCode::Forbidden => 8,
        VerifyCode::IpNotAllowed => 9,
        VerifyCode::RateLimited => 10,
        VerifyCode::UsageExceeded => 11,
    }
}

/// What the verifier keeps answers of: the `kind` label of cache hits and misses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheKind {
    /// API tokens and mobile sessions.
    Token,
    EndpointToken,
    VerifierKey,
    Endpoint,
}

impl CacheKind {
    const ALL: [CacheKind; 4] = [
        Self::Token,
        Self::EndpointToken,
        Self::VerifierKey,
        Self::Endpoint,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::EndpointToken => "endpoint_token",
            Self::VerifierKey => "verifier_key",
            Self::Endpoint => "endpoint",
        }
    }
}

/// Where a change-log entry that the verifier applied came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// This process's own commit, applied before the call that made it returned.
    Local,
    /// Another process's, read from the change feed.
    Feed,
}

/// How one attempt to deliver a webhook ended: the `outcome` label of
/// `keyward_webhook_deliveries_total`, for the webhook worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Any other answer, or none: the delivery will be tried again.
    Failed,
    /// The last try failed; the delivery is given up.
    Abandoned,
}

impl DeliveryOutcome {
    const ALL: [DeliveryOutcome; 3] = [Self::Delivered, Self::Failed, Self::Abandoned];

    fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Abandoned => "abandoned",
        }
    }
}

type Labels = Vec<(&'static str, &'static str)>;

/// Upper bounds of the latency buckets, in nanoseconds: 10 µs (an answer from memory)
/// to 1 s (the longest a storage read for a check may take).
const BOUNDS_NS: [u64; 16] = [
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
];

/// A latency histogram of atomics: an observation is three relaxed adds, no lock
/// (`prometheus_client`'s own histogram takes a mutex per observation).
#[derive(Clone, Debug, Default)]
pub struct Latency(Arc<LatencyInner>);

#[derive(Debug, Default)]
struct LatencyInner {
    /// Per bucket (not cumulative); the last one is past every bound.
    buckets: [AtomicU64; BOUNDS_NS.len() + 1],
    sum_ns: AtomicU64,
    count: AtomicU64,
}

impl Latency {
    fn observe(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let i = BOUNDS_NS.partition_point(|b| *b < ns);
        self.0.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.0.sum_ns.fetch_add(ns, Ordering::Relaxed);
        self.0.count.fetch_add(1, Ordering::Relaxed);
    }
}

impl TypedMetric for Latency {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Latency {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let bounds = BOUNDS_NS.iter().map(|b| *b as f64 / 1e9);
        let buckets: Vec<(f64, u64)> = bounds
            .chain([f64::INFINITY])
            .zip(&self.0.buckets)
            .map(|(le, n)| (le, n.load(Ordering::Relaxed)))
            .collect();
        // The count is the buckets' sum, so that `+Inf` and `_count` agree in one scrape.
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.0.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// The process's metrics: counters moved where things happen, resolved once.
pub struct Metrics {
    registry: Registry,
    /// Per route, per code (and `UNAVAILABLE` last).
    checks: Vec<Vec<Counter>>,
    latency: Vec<Latency>,
    cache_hits: Vec<Counter>,
    cache_misses: Vec<Counter>,
    storage_reads: Counter,
    unknown_lookups: Counter,
    invalidations: [Counter; 2],
    login_failures: Family<Labels, Counter>,
    webhook_deliveries: Vec<Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// One counter of `family` per label set, created now so that every series is scraped
/// (as 0) from the start.
fn resolve<M: Clone + Default>(family: &Family<Labels, M>, labels: Labels) -> M {
    family.get_or_create(&labels).clone()
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let checks_family = Family::<Labels, Counter>::default();
        let latency_family = Family::<Labels, Latency>::default();
        let checks = Route::ALL
            .iter()
            .map(|r| {
                let codes = CODES.iter().map(|c| c.as_str()).chain(["UNAVAILABLE"]);
                codes
                    .map(|c| resolve(&checks_family, vec![("route", r.as_str()), ("code", c)]))
                    .collect()
            })
            .collect();
        let latency = Route::ALL
            .iter()
            .map(|r| resolve(&latency_family, vec![("route", r.as_str())]))
            .collect();
        registry.register(
            "keyward_verifications",
            "Checks answered, by the route that asked and the code answered (UNAVAILABLE: storage could not confirm)",
            checks_family,
        );
        registry.register(
            "keyward_verification_duration_seconds",
            "Time to answer a check inside the verifier, by route",
            latency_family,
        );
        let hits = Family::<Labels, Counter>::default();
        let misses = Family::<Labels, Counter>::default();
        let by_kind = |f: &Family<Labels, Counter>| -> Vec<Counter> {
            CacheKind::ALL
                .iter()
                .map(|k| resolve(f, vec![("kind", k.as_str())]))
                .collect()
        };
        let (cache_hits, cache_misses) = (by_kind(&hits), by_kind(&misses));
        registry.register(
            "keyward_verifier_cache_hits",
            "Lookups the verifier answered from memory, by what was looked up",
            hits,
        );
        registry.register(
            "keyward_verifier_cache_misses",
            "Lookups of known secrets and paths the verifier had to read from storage (not cached, changed, or not trusted while the feed is stale)",
            misses,
        );
        let storage_reads = Counter::default();
        registry.register(
            "keyward_verifier_storage_reads",
            "Storage reads made for checks: cache misses, unknown-token lookups, use counters",
            storage_reads.clone(),
        );
        let unknown_lookups = Counter::default();
        registry.register(
            "keyward_verifier_unknown_lookups",
            "Storage lookups of well-formed tokens, tenants or paths this node did not know (under --unknown-token-lookups)",
            unknown_lookups.clone(),
        );
        let applied = Family::<Labels, Counter>::default();
        let invalidations = [
            resolve(&applied, vec![("origin", "local")]),
            resolve(&applied, vec![("origin", "feed")]),
        ];
        registry.register(
            "keyward_verifier_invalidations",
            "Change-log entries applied to the cache (each drops the answers built from one object), by origin: this process's commits or the change feed",
            applied,
        );
        let login_failures = Family::<Labels, Counter>::default();
        registry.register(
            "keyward_login_failures",
            "Refused password logins, by way in (console, mobile) and reason",
            login_failures.clone(),
        );
        let deliveries = Family::<Labels, Counter>::default();
        let webhook_deliveries = DeliveryOutcome::ALL
            .iter()
            .map(|o| resolve(&deliveries, vec![("outcome", o.as_str())]))
            .collect();
        registry.register(
            "keyward_webhook_deliveries",
            "Webhook delivery attempts, by outcome (delivered, failed and to be retried, abandoned)",
            deliveries,
        );
        Self {
            registry,
            checks,
            latency,
            cache_hits,
            cache_misses,
            storage_reads,
            unknown_lookups,
            invalidations,
            login_failures,
            webhook_deliveries,
        }
    }

    /// A check `route` asked, answered `code` (`None`: storage could not confirm) in `took`.
    pub fn checked(&self, route: Route, code: Option<VerifyCode>, took: Duration) {
        let r = route as usize;
        self.checks[r][code.map_or(UNAVAILABLE, code_index)].inc();
        self.latency[r].observe(took);
    }

    pub fn cache_hit(&self, kind: CacheKind) {
        self.cache_hits[kind as usize].inc();
    }

    pub fn cache_miss(&self, kind: CacheKind) {
        self.cache_misses[kind as usize].inc();
    }

    pub fn storage_read(&self) {
        self.storage_reads.inc();
    }

    pub fn storage_reads(&self) -> u64 {
        self.storage_reads.get()
    }

    pub fn unknown_lookup(&self) {
        self.unknown_lookups.inc();
    }

    pub fn unknown_lookups(&self) -> u64 {
        self.unknown_lookups.get()
    }

    /// `n` change-log entries that alter cached answers were applied.
    pub fn invalidated(&self, origin: Origin, n: usize) {
        if n > 0 {
            self.invalidations[origin as usize].inc_by(n as u64);
        }
    }

    /// A password login was refused (`via`: console or mobile; `reason` as audited).
    /// Rare next to checks, so its label set is found per call.
    pub fn login_failed(&self, via: &'static str, reason: &'static str) {
        self.login_failures
            .get_or_create(&vec![("via", via), ("reason", reason)])
            .inc();
    }

    /// One webhook delivery attempt ended with `outcome`.
    pub fn webhook_delivery(&self, outcome: DeliveryOutcome) {
        self.webhook_deliveries[outcome as usize].inc();
    }

    /// The text of a scrape: the counters, then what `scraped` read just now.
    pub fn render(&self, scraped: &Scraped) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &scraped.registry());
        out
    }
}

/// Where this node stands in the change feed.
#[derive(Clone, Copy, Debug, Default)]
pub struct FeedStats {
    /// The highest change-log sequence number read or applied (0 before any).
    pub position: i64,
    /// Since the last successful read of the feed began.
    pub lag: Duration,
    /// Whether cached answers are trusted (`lag` under `max_staleness`).
    pub trusted: bool,
}

/// What a scrape reads at the moment it is made.
#[derive(Debug, Default)]
pub struct Scraped {
    pub pools: Vec<keyward_store::PoolStats>,
    pub feed: FeedStats,
    pub cached_answers: usize,
    /// Whether the start-up preload of the verifier's cache has finished.
    pub preloaded: bool,
    /// Tokens by tenant, kind and state; `None` when storage did not answer.
    pub tokens: Option<Vec<keyward_store::TokenCount>>,
}

type OwnedLabels = Vec<(&'static str, String)>;

impl Scraped {
    fn registry(&self) -> Registry {
        let mut reg = Registry::default();
        let (in_use, idle, max) = (
            Family::<Labels, Gauge>::default(),
            Family::<Labels, Gauge>::default(),
            Family::<Labels, Gauge>::default(),
        );
        for p in &self.pools {
            let labels = vec![("pool", p.name)];
            let open = i64::from(p.size);
            let idle_now = i64::try_from(p.idle).unwrap_or(i64::MAX);
            in_use.get_or_create(&labels).set(open - idle_now.min(open));
            idle.get_or_create(&labels).set(idle_now);
            max.get_or_create(&labels).set(i64::from(p.max));
        }
        reg.register(
            "keyward_db_pool_in_use",
            "Database connections busy with a query or transaction",
            in_use,
        );
        reg.register(
            "keyward_db_pool_idle",
            "Database connections open and waiting for work",
            idle,
        );
        reg.register(
            "keyward_db_pool_max",
            "The most connections the pool opens",
            max,
        );
        let gauge = |reg: &mut Registry, name: &str, help: &str, v: i64| {
            let g = Gauge::<i64>::default();
            g.set(v);
            reg.register(name, help, g);
        };
        gauge(
            &mut reg,
            "keyward_change_feed_position",
            "The highest change-log sequence number this node has read or applied",
            self.feed.position,
        );
        let lag = Gauge::<f64, AtomicU64>::default();
        lag.set(self.feed.lag.as_secs_f64());
        reg.register(
            "keyward_change_feed_lag_seconds",
            "Time since this node's last successful read of the change feed began; cached answers are trusted while it is under max_staleness",
            lag,
        );
        gauge(
            &mut reg,
            "keyward_change_feed_trusted",
            "1 while cached answers are trusted (the feed was read within max_staleness), else 0",
            i64::from(self.feed.trusted),
        );
        gauge(
            &mut reg,
            "keyward_verifier_cached_answers",
            "Answers held in the verifier's cache",
            i64::try_from(self.cached_answers).unwrap_or(i64::MAX),
        );
        gauge(
            &mut reg,
            "keyward_verifier_preloaded",
            "1 once the start-up preload of every token's answer has finished (the node is warm), else 0",
            i64::from(self.preloaded),
        );
        gauge(
            &mut reg,
            "keyward_storage_up",
            "1 if storage answered this scrape's count of tokens, else 0",
            i64::from(self.tokens.is_some()),
        );
        let tokens = Family::<OwnedLabels, Gauge>::default();
        for t in self.tokens.iter().flatten() {
            let labels = vec![
                ("tenant", t.tenant.clone()),
                ("kind", t.kind.as_str().to_string()),
                ("state", t.status.as_str().to_string()),
            ];
            tokens.get_or_create(&labels).set(t.count);
        }
        reg.register(
            "keyward_tokens",
            "Tokens (API tokens and mobile sessions) by tenant, kind and state, counted at scrape",
            tokens,
        );
        reg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_place() {
        for (i, c) in CODES.iter().enumerate() {
            assert_eq!(code_index(*c), i, "{c:?}");
        }
    }

    /// The value of the series `name{labels}` in `text`, or `None`.
    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn a_check_moves_its_route_and_code_and_its_latency_bucket() {
        let m = Metrics::new();
        m.checked(
            Route::Forward,
            Some(VerifyCode::Revoked),
            Duration::from_micros(30),
        );
        m.checked(Route::Forward, None, Duration::from_secs(3));
        let text = m.render(&Scraped::default());
        let forward = |code: &str| {
            value(
                &text,
                &format!("keyward_verifications_total{{route=\"forward\",code=\"{code}\"}}"),
            )
        };
        assert_eq!(forward("REVOKED"), Some(1.0));
        assert_eq!(forward("UNAVAILABLE"), Some(1.0));
        assert_eq!(forward("VALID"), Some(0.0));
        let bucket = |le: &str| {
            value(
                &text,
                &format!(
                    "keyward_verification_duration_seconds_bucket{{route=\"forward\",le=\"{le}\"}}"
                ),
            )
        };
        // 30 µs lands in the 50 µs bucket (cumulative), 3 s only in +Inf.
        assert_eq!(bucket("2.5e-05"), Some(0.0), "{text}");
        assert_eq!(bucket("5e-05"), Some(1.0), "{text}");
        assert_eq!(bucket("1"), Some(1.0), "{text}");
        assert_eq!(bucket("+Inf"), Some(2.0), "{text}");
        assert_eq!(
            value(
                &text,
                "keyward_verification_duration_seconds_count{route=\"forward\"}"
            ),
            Some(2.0)
        );
    }
}
