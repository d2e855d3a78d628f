//! The server's configuration as one typed struct. The binary fills it from its config
//! file, `KEYWARD_*` environment variables and flags; tests build it directly.

use ipnet::IpNet;
use keyward_core::forward::ForwardRules;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How many logins are allowed, and for how long they count.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    pub window: Duration,
    /// Failures per tenant and username within `window` before that account is refused.
    pub per_user: u32,
    /// Failures per client address within `window` before that address is refused.
    pub per_ip: u32,
    /// Logins of any outcome, successes included, per tenant and username within
    /// `window`: whoever holds a password may start sessions and spend argon2 time, but
    /// not in a loop.
    pub per_user_logins: u32,
    /// Refused logins are recorded once per this window for each tenant, username and
    /// address (see `service::login`).
    pub audit_window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_user: 5,
            per_ip: 30,
            per_user_logins: 20,
            audit_window: Duration::from_secs(60),
        }
    }
}

/// How much argon2 work may run at once, and how long a request waits for its turn.
#[derive(Clone, Copy, Debug)]
pub struct PasswordWork {
    /// Hashes computed (or checked) at the same time, server-wide.
    pub max_concurrent: usize,
    /// How long a login or password change waits for a free slot before it is answered
    /// 503 with `Retry-After`.
    pub max_wait: Duration,
}

impl Default for PasswordWork {
    /// One hash per core: more would only queue inside the CPU while holding memory.
    fn default() -> Self {
        Self {
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_wait: Duration::from_secs(2),
        }
    }
}

/// How webhook deliveries are made (see `crate::webhooks`).
#[derive(Clone, Copy, Debug)]
pub struct WebhookOptions {
    /// How often a node looks for due deliveries that it was not woken for (those queued
    /// by other nodes, and retries).
    pub poll: Duration,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// The wait before the first retry; each further one waits twice as long...
    pub first_retry: Duration,
    /// ...up to this.
    pub max_retry: Duration,
    /// Attempts in all before a delivery is marked failed.
    pub max_attempts: u32,
    /// How often a node looks for tokens to announce as expiring, and runs the
    /// inactivity policy's pass (`crate::lifecycle`).
    pub expiry_scan: Duration,
}

impl Default for WebhookOptions {
    /// 15 attempts over about a day and a half: 5 s, 10 s, 20 s, … capped at 6 h.
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(5),
            max_retry: Duration::from_secs(6 * 3600),
            max_attempts: 15,
            expiry_scan: Duration::from_secs(60),
        }
    }
}

/// Enough for a phone, a tablet and a few reinstalls; few enough that a script logging in
/// in a loop cannot pile up sessions (each is a row and a cache entry).
pub const DEFAULT_MAX_MOBILE_SESSIONS: usize = 10;

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Holds the embedded database and the generated server key.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; `None` for embedded SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// The server key as 64 hex characters; `None` reads or creates `data_dir/server.key`.
    pub server_key: Option<String>,
    /// The URL clients use to reach this server, for ready-to-paste examples.
    pub public_url: String,
    /// Peers whose `X-Forwarded-For` is believed. Empty by default: a header is only as
    /// trustworthy as the proxy that wrote it, and the operator must say which those are.
    pub trusted_proxies: Vec<IpNet>,
    /// Cached verification answers are trusted while the change feed was read
    /// successfully within this long; past it, checks read storage (and answer 503 when
    /// storage is down too).
    pub max_staleness: Duration,
    /// How this node learns of other nodes' changes.
    pub change_feed: ChangeFeed,
    /// Storage lookups per second, node-wide, of well-formed tokens this node does not
    /// know yet (made a moment ago on another node, or guessed).
    pub unknown_token_lookups: u32,
    /// `redis://…` to hold per-token rate limits across every node; `None` holds them
    /// per node.
    pub redis_url: Option<String>,
    /// How often gathered `last_used_at` times are written.
    pub flush_interval: Duration,
    /// Single-tenant mode, which the database keeps: `Some(true)` switches it on (checks
    /// that name no tenant are made for the one tenant, and a second tenant cannot be
    /// created), `Some(false)` off, `None` follows what the database says (off for a new
    /// one), so a node started without the flag cannot undo another's.
    pub single_tenant: Option<bool>,
    /// Failed password logins (console and mobile) allowed per account and per address.
    pub login_limits: LoginLimits,
    /// How many argon2 hashes run at once server-wide, and how long a login waits for one.
    pub password_work: PasswordWork,
    /// The most live mobile sessions a user has; a login beyond it ends the session used
    /// least recently.
    pub max_mobile_sessions_per_user: usize,
    /// A request head must be complete this long after its first byte (on a new
    /// connection: after the connection was accepted), or the connection is closed.
    pub header_read_timeout: Duration,
    /// A kept-alive connection with no request in flight is closed after this long
    /// without the start of a new request; so is one whose client stops reading a response.
    pub idle_timeout: Duration,
    /// A request body must have arrived in full this long after its head (408 otherwise).
    pub body_read_timeout: Duration,
    /// Connections served at once. At the cap, a new connection closes the connection
    /// that has been idle longest (no request in flight); if every one is busy, it waits.
    pub max_connections: usize,
    /// On shutdown, requests in flight may finish for this long; then every connection is
    /// closed, and pending last-use times are written.
    pub shutdown_grace: Duration,
    /// Webhook delivery: polling, timeouts and retries.
    pub webhooks: WebhookOptions,
    /// The bearer key of `POST /api/v1/tokens/leaked` (a secret scanner's); `None`
    /// refuses every leak report. Self-revocation needs no key.
    pub leak_reporter_key: Option<String>,
    /// Where `GET /metrics` is served, if anywhere.
    pub metrics: MetricsAccess,
    /// Named sets of forward-auth rules (method and path prefix to a permission): a
    /// forward-auth URL with `?rules=NAME` takes its required permission from the request
    /// the gateway forwards, matched against the set `NAME`.
    pub forward_rules: BTreeMap<String, ForwardRules>,
}

/// Where `GET /metrics` (Prometheus text format) is served. It takes no token, as a
/// Prometheus scrape expects, and it names the tenants: so it is off unless asked for,
/// and best on an address only the monitoring system reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MetricsAccess {
    /// Not served: `/metrics` is 404.
    #[default]
    Off,
    /// On the main listener, beside the API.
    Main,
    /// On a listener of its own, and not on the main one.
    Listen(SocketAddr),
}

impl ServerConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let listen: SocketAddr = ([127, 0, 0, 1], 8080).into();
        Self {
            listen,
            data_dir: data_dir.into(),
            database_url: None,
            server_key: None,
            public_url: format!("http://{listen}"),
            trusted_proxies: Vec::new(),
            max_staleness: Duration::from_secs(2),
            change_feed: ChangeFeed::default(),
            unknown_token_lookups: 100,
            redis_url: None,
            flush_interval: Duration::from_secs(2),
            login_limits: LoginLimits::default(),
            password_work: PasswordWork::default(),
            max_mobile_sessions_per_user: DEFAULT_MAX_MOBILE_SESSIONS,
            single_tenant: None,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
            max_connections: default_max_connections(),
            shutdown_grace: Duration::from_secs(10),
            webhooks: WebhookOptions::default(),
            leak_reporter_key: None,
            metrics: MetricsAccess::Off,
            forward_rules: BTreeMap::new(),
        }
    }
}

/// How a node learns that another committed a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeFeed {
    /// PostgreSQL `LISTEN`/`NOTIFY` wakes the node within milliseconds; the change log is
    /// also read every `heartbeat` to confirm the feed is healthy.
    Notify { heartbeat: Duration },
    /// The change log is read every `interval`: for PostgreSQL-compatible engines
    /// without `LISTEN`/`NOTIFY`, and for SQLite (where other processes can only be
    /// seen this way).
    Poll { interval: Duration },
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self::Notify {
            heartbeat: Duration::from_millis(250),
        }
    }
}

impl ChangeFeed {
    /// The default poll interval.
    pub const POLL: Duration = Duration::from_millis(100);
}

/// At most this many connections by default, fewer when the open-file limit is low.
pub const MAX_CONNECTIONS: usize = 1024;

/// File descriptors kept free for everything that is not a client connection: the
/// listener, the database (SQLite files or PostgreSQL connections), logs, the key file.
const RESERVED_FILES: u64 = 64;

/// 1024, or, under a low open-file limit, that limit less what the rest of the process
/// needs: a connection beyond the limit would make `accept` fail for everyone (EMFILE),
/// the health check included, where the cap lets the oldest idle connection make room.
pub fn default_max_connections() -> usize {
    let Some(limit) = open_file_limit() else {
        return MAX_CONNECTIONS;
    };
    let usable = limit.saturating_sub(RESERVED_FILES).max(limit / 2).max(1);
    usize::try_from(usable).map_or(MAX_CONNECTIONS, |u| u.min(MAX_CONNECTIONS))
}

/// The soft `RLIMIT_NOFILE`, if there is one.
#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the struct it is given, which lives
    // for the whole call; it has no other effect.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    // `rlim_t` is u64 on Linux and macOS, not on every Unix.
    #[allow(clippy::unnecessary_cast)]
    (rc == 0 && lim.rlim_cur != libc::RLIM_INFINITY).then_some(lim.rlim_cur as u64)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}
