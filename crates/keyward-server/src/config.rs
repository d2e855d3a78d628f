//! The server's configuration as one typed struct. The binary fills it from its config
//! file, `KEYWARD_*` environment variables and flags; tests build it directly.

use crate::login::LoginLimits;
use crate::password::PasswordWork;
use ipnet::IpNet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Longest time a cached verification answer is used without reading storage again.
    pub max_staleness: Duration,
    /// How often gathered `last_used_at` times are written.
    pub flush_interval: Duration,
    /// Single-tenant mode: checks that name no tenant are made for the one tenant, and a
    /// second tenant cannot be created. Off by default: every check must name its tenant.
    pub single_tenant: bool,
    /// Failed password logins (console and mobile) allowed per account and per address.
    pub login_limits: LoginLimits,
    /// How many argon2 hashes run at once server-wide, and how long a login waits for one.
    pub password_work: PasswordWork,
    /// The most live mobile sessions a user has; a login beyond it ends the session used
    /// least recently.
    pub max_mobile_sessions_per_user: usize,
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
            max_staleness: Duration::from_secs(10),
            flush_interval: Duration::from_secs(2),
            login_limits: LoginLimits::default(),
            password_work: PasswordWork::default(),
            max_mobile_sessions_per_user: DEFAULT_MAX_MOBILE_SESSIONS,
            single_tenant: false,
        }
    }
}
