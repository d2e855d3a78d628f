//! The server's configuration, read in one place: flags, then `KEYWARD_*` environment
//! variables (clap reads both), then the TOML file named by `--config`, then defaults.

use clap::Args;
use ipnet::IpNet;
use keyward_core::forward::{ForwardRules, RuleSpec};
use keyward_server::config::MetricsAccess;
use keyward_server::ServerConfig;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug, Clone, Default)]
pub struct ServerArgs {
    /// A TOML file with any of the settings below (keys as the long flags, with `_`).
    #[arg(long, env = "KEYWARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the embedded database and the server key live [default: ./keyward-data].
    #[arg(long, env = "KEYWARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded SQLite database (postgres://…).
    #[arg(long, env = "KEYWARD_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: ServerArgs,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "KEYWARD_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The URL clients use to reach this server, for examples shown to users
    /// [default: http://LISTEN].
    #[arg(long, env = "KEYWARD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Proxies whose X-Forwarded-For is believed, comma-separated CIDRs (e.g. 127.0.0.1/32
    /// for an nginx on this host) [default: none].
    #[arg(long, env = "KEYWARD_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<IpNet>>,
    /// Log format: `text` or `json` [default: text].
    #[arg(long, env = "KEYWARD_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Single-tenant mode: verification requests that name no tenant are made for the one
    /// tenant, and creating a second tenant is refused. Without it every check must name
    /// its tenant (/auth/forward/{tenant}, a verifier key, or `tenant` in /api/v1/verify).
    /// The database keeps the mode: `--single-tenant=false` switches it off again, and a
    /// node started without the flag follows the database [default: what the database
    /// says, off for a new one].
    #[arg(long, env = "KEYWARD_SINGLE_TENANT", num_args = 0..=1, default_missing_value = "true",
          value_name = "BOOL")]
    pub single_tenant: Option<bool>,
    /// Password hashes and checks computed at once, server-wide; further logins wait up
    /// to 2 s, then get 503 [default: the number of CPUs].
    #[arg(long, env = "KEYWARD_PASSWORD_CONCURRENCY")]
    pub password_concurrency: Option<usize>,
    /// The most live mobile sessions a user has; a login beyond it ends the session used
    /// least recently [default: 10].
    #[arg(long, env = "KEYWARD_MAX_MOBILE_SESSIONS")]
    pub max_mobile_sessions: Option<usize>,
    /// Seconds a client has to send a whole request head, counted from its first byte
    /// (from the connection's start for a new connection) [default: 10].
    #[arg(long, env = "KEYWARD_HEADER_READ_TIMEOUT_SECONDS")]
    pub header_read_timeout_seconds: Option<u64>,
    /// Seconds a kept-alive connection may wait for its next request, and a client may
    /// leave a response unread, before the connection is closed [default: 60].
    #[arg(long, env = "KEYWARD_IDLE_TIMEOUT_SECONDS")]
    pub idle_timeout_seconds: Option<u64>,
    /// Seconds a client has to send a whole request body after its head [default: 30].
    #[arg(long, env = "KEYWARD_BODY_READ_TIMEOUT_SECONDS")]
    pub body_read_timeout_seconds: Option<u64>,
    /// Connections served at once; at the cap the longest idle one is closed to make
    /// room [default: 1024, or the open-file limit less 64 when that is lower].
    #[arg(long, env = "KEYWARD_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds requests in flight may take to finish at shutdown [default: 10].
    #[arg(long, env = "KEYWARD_SHUTDOWN_GRACE_SECONDS")]
    pub shutdown_grace_seconds: Option<u64>,
    /// Milliseconds a node keeps trusting its cached answers after its last successful
    /// read of the change feed; past it, checks go to storage, and answer 503 when
    /// storage is down too [default: 2000].
    #[arg(long, env = "KEYWARD_MAX_STALENESS_MS")]
    pub max_staleness_ms: Option<u64>,
    /// How a node learns of other nodes' changes: `notify` (PostgreSQL LISTEN/NOTIFY,
    /// milliseconds) or `poll` (reads the change log every --change-poll-ms, for
    /// PostgreSQL-compatible engines without LISTEN/NOTIFY) [default: notify; SQLite
    /// always polls].
    #[arg(long, env = "KEYWARD_CHANGE_FEED", value_name = "notify|poll")]
    pub change_feed: Option<String>,
    /// Milliseconds between reads of the change log under `--change-feed poll` (and on
    /// SQLite) [default: 100].
    #[arg(long, env = "KEYWARD_CHANGE_POLL_MS")]
    pub change_poll_ms: Option<u64>,
    /// Storage lookups per second, node-wide, of well-formed tokens this node does not
    /// know yet (made a moment ago on another node, or guessed); beyond it such tokens are
    /// refused without a lookup [default: 100].
    #[arg(long, env = "KEYWARD_UNKNOWN_TOKEN_LOOKUPS")]
    pub unknown_token_lookups: Option<u32>,
    /// Redis (redis://host:port/db) holding per-token rate limits across every node;
    /// without it each node counts on its own. If Redis cannot be reached, checks of
    /// rate-limited tokens answer 503 [default: none].
    #[arg(long, env = "KEYWARD_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Serve Prometheus metrics at GET /metrics, without a token: on the main listener,
    /// or with --metrics-listen on that address only. They name the tenants, so keep them
    /// where only the monitoring system reaches [default: off].
    #[arg(long, env = "KEYWARD_METRICS", num_args = 0..=1, default_missing_value = "true",
          value_name = "BOOL")]
    pub metrics: Option<bool>,
    /// Serve /metrics on this address (e.g. 127.0.0.1:9464) instead of the main
    /// listener; implies --metrics [default: none].
    #[arg(long, env = "KEYWARD_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Fill a `demo` tenant (administrator `admin`, password `keyward-demo`) if absent.
    #[arg(long)]
    pub demo: bool,
}

/// The server key is a secret: it is read from the environment or the file, never from a
/// flag, because flags show in `ps`.
pub const SERVER_KEY_ENV: &str = "KEYWARD_SERVER_KEY";

/// The key a secret scanner sends with its leak reports: a secret too, so no flag.
pub const LEAK_REPORTER_KEY_ENV: &str = "KEYWARD_LEAK_REPORTER_KEY";

/// The file keys that have no flag of the same name, with their environment variable (if
/// any), default and meaning: what the configuration reference says of them.
pub const FILE_ONLY_KEYS: &[FileOnlyKey] = &[
    FileOnlyKey {
        key: "server_key",
        env: Some(SERVER_KEY_ENV),
        default: "generated into DATA_DIR/server.key (mode 0600)",
        meaning: "64 hex characters; every node of a cluster must share it. Never a flag, \
                  because flags show in `ps`.",
    },
    FileOnlyKey {
        key: "leak_reporter_key",
        env: Some(LEAK_REPORTER_KEY_ENV),
        default: "none (leak reports are refused)",
        meaning: "The bearer key of `POST /api/v1/tokens/leaked`, for the secret scanner \
                  that reports tokens found where they should not be; at least 32 \
                  characters. Never a flag, because flags show in `ps`.",
    },
    FileOnlyKey {
        key: "max_staleness_seconds",
        env: None,
        default: "none",
        meaning: "The older spelling of `max_staleness_ms`, in seconds, still read from \
                  files written before it; `max_staleness_ms` wins when both are given.",
    },
    FileOnlyKey {
        key: "forward_rules",
        env: None,
        default: "none",
        meaning: "Named sets of forward-auth rules, `[[forward_rules.NAME]]` tables of \
                  `prefix`, `methods` and `permission`: `/auth/forward/{tenant}?rules=NAME` \
                  takes the permission a request needs from the method and path the gateway \
                  forwards. See the README, \"One gateway line for a whole API\".",
    },
];

pub struct FileOnlyKey {
    pub key: &'static str,
    pub env: Option<&'static str>,
    pub default: &'static str,
    pub meaning: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    server_key: Option<String>,
    leak_reporter_key: Option<String>,
    listen: Option<SocketAddr>,
    public_url: Option<String>,
    trusted_proxies: Option<Vec<IpNet>>,
    log_format: Option<String>,
    /// Kept for configuration files written before `max_staleness_ms`.
    max_staleness_seconds: Option<u64>,
    max_staleness_ms: Option<u64>,
    change_feed: Option<String>,
    change_poll_ms: Option<u64>,
    unknown_token_lookups: Option<u32>,
    redis_url: Option<String>,
    single_tenant: Option<bool>,
    password_concurrency: Option<usize>,
    max_mobile_sessions: Option<usize>,
    header_read_timeout_seconds: Option<u64>,
    idle_timeout_seconds: Option<u64>,
    body_read_timeout_seconds: Option<u64>,
    max_connections: Option<usize>,
    shutdown_grace_seconds: Option<u64>,
    metrics: Option<bool>,
    metrics_listen: Option<SocketAddr>,
    forward_rules: Option<BTreeMap<String, Vec<RuleSpec>>>,
}

/// The keys a config file may hold: `FileConfig`'s fields as its derived `Deserialize`
/// names them, so the configuration reference lists exactly what the parser accepts.
pub fn file_keys() -> &'static [&'static str] {
    let mut keys: &'static [&'static str] = &[];
    // The derived impl hands its field list to `deserialize_struct`; nothing is parsed.
    let _ = FileConfig::deserialize(FieldNames(&mut keys));
    keys
}

/// A deserializer that only records the field names a struct asks for.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("field names only"))
    }

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("field names only"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

fn read_file(path: &Option<PathBuf>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The file's `[[forward_rules.NAME]]` tables, each set validated: a bad rule stops the
/// server from starting, naming the set, the rule and what is wrong with it.
fn forward_rules(
    sets: BTreeMap<String, Vec<RuleSpec>>,
) -> anyhow::Result<BTreeMap<String, ForwardRules>> {
    sets.into_iter()
        .map(|(name, specs)| {
            let ok_name = (1..=64).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_'));
            if !ok_name {
                anyhow::bail!(
                    "forward_rules.{name:?}: a set's name is 1 to 64 characters of a-z, 0-9, '-' and '_' \
                     (it is written in the gateway's URL as ?rules=NAME)"
                );
            }
            let rules = ForwardRules::new(&specs)
                .map_err(|e| anyhow::anyhow!("forward_rules.{name}: {e}"))?;
            Ok((name, rules))
        })
        .collect()
}

pub struct Resolved {
    pub server: ServerConfig,
    pub log_format: String,
}

/// Merges flags and environment over the file over the defaults.
pub fn resolve(args: &ServeArgs) -> anyhow::Result<Resolved> {
    merge(args, read_file(&args.common.config)?)
}

fn merge(args: &ServeArgs, file: FileConfig) -> anyhow::Result<Resolved> {
    let data_dir = args
        .common
        .data_dir
        .clone()
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("keyward-data"));
    let mut c = ServerConfig::new(data_dir);
    c.database_url = args.common.database_url.clone().or(file.database_url);
    // The key is a secret: environment or file only, never a flag (flags show in `ps`).
    c.server_key = std::env::var(SERVER_KEY_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .or(file.server_key);
    c.leak_reporter_key = std::env::var(LEAK_REPORTER_KEY_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .or(file.leak_reporter_key);
    if c.leak_reporter_key.as_ref().is_some_and(|k| k.len() < 32) {
        anyhow::bail!(
            "leak_reporter_key must be at least 32 characters (e.g. `openssl rand -hex 32`)"
        );
    }
    if let Some(l) = args.listen.or(file.listen) {
        c.listen = l;
    }
    c.public_url = args
        .public_url
        .clone()
        .or(file.public_url)
        .unwrap_or_else(|| format!("http://{}", c.listen));
    if let Some(p) = args.trusted_proxies.clone().or(file.trusted_proxies) {
        c.trusted_proxies = p;
    }
    c.single_tenant = args.single_tenant.or(file.single_tenant);
    match args
        .max_staleness_ms
        .or(file.max_staleness_ms)
        .or(file.max_staleness_seconds.map(|s| s.saturating_mul(1000)))
    {
        Some(ms) if ms < 100 => anyhow::bail!("max_staleness_ms must be at least 100"),
        Some(ms) => c.max_staleness = Duration::from_millis(ms),
        None => {}
    }
    let poll = match args.change_poll_ms.or(file.change_poll_ms) {
        Some(0) => anyhow::bail!("change_poll_ms must be at least 1"),
        Some(ms) => Duration::from_millis(ms),
        None => keyward_server::config::ChangeFeed::POLL,
    };
    match args.change_feed.clone().or(file.change_feed).as_deref() {
        None | Some("notify") => {
            if args.change_poll_ms.or(file.change_poll_ms).is_some() {
                anyhow::bail!("change_poll_ms applies to --change-feed poll only");
            }
        }
        Some("poll") => c.change_feed = keyward_server::config::ChangeFeed::Poll { interval: poll },
        Some(other) => anyhow::bail!("change feed {other:?} is not one of notify, poll"),
    }
    match args.unknown_token_lookups.or(file.unknown_token_lookups) {
        Some(0) => anyhow::bail!("unknown_token_lookups must be at least 1"),
        Some(n) => c.unknown_token_lookups = n,
        None => {}
    }
    c.redis_url = args.redis_url.clone().or(file.redis_url);
    if let Some(n) = args.password_concurrency.or(file.password_concurrency) {
        c.password_work.max_concurrent = n.max(1);
    }
    if let Some(n) = args.max_mobile_sessions.or(file.max_mobile_sessions) {
        c.max_mobile_sessions_per_user = n.max(1);
    }
    let seconds =
        |flag: Option<u64>, file: Option<u64>, name: &str| -> anyhow::Result<Option<Duration>> {
            match flag.or(file) {
                Some(0) => anyhow::bail!("{name} must be at least 1 second"),
                s => Ok(s.map(Duration::from_secs)),
            }
        };
    if let Some(d) = seconds(
        args.header_read_timeout_seconds,
        file.header_read_timeout_seconds,
        "header_read_timeout_seconds",
    )? {
        c.header_read_timeout = d;
    }
    if let Some(d) = seconds(
        args.idle_timeout_seconds,
        file.idle_timeout_seconds,
        "idle_timeout_seconds",
    )? {
        c.idle_timeout = d;
    }
    if let Some(d) = seconds(
        args.body_read_timeout_seconds,
        file.body_read_timeout_seconds,
        "body_read_timeout_seconds",
    )? {
        c.body_read_timeout = d;
    }
    // 0 is allowed here: no grace, connections are closed at once.
    if let Some(s) = args.shutdown_grace_seconds.or(file.shutdown_grace_seconds) {
        c.shutdown_grace = Duration::from_secs(s);
    }
    match args.max_connections.or(file.max_connections) {
        Some(0) => anyhow::bail!("max_connections must be at least 1"),
        Some(n) => c.max_connections = n,
        None => {}
    }
    c.metrics = match (
        args.metrics.or(file.metrics),
        args.metrics_listen.or(file.metrics_listen),
    ) {
        (Some(false), Some(_)) => {
            anyhow::bail!("metrics_listen serves metrics, and metrics is set to false")
        }
        (_, Some(addr)) => MetricsAccess::Listen(addr),
        (Some(true), None) => MetricsAccess::Main,
        (_, None) => MetricsAccess::Off,
    };
    c.forward_rules = forward_rules(file.forward_rules.unwrap_or_default())?;
    let log_format = args
        .log_format
        .clone()
        .or(file.log_format)
        .unwrap_or_else(|| "text".into());
    if log_format != "text" && log_format != "json" {
        anyhow::bail!("log format {log_format:?} is not one of text, json");
    }
    Ok(Resolved {
        server: c,
        log_format,
    })
}

/// The configuration for commands that open storage without serving (bootstrap).
pub fn resolve_storage(args: &ServerArgs) -> anyhow::Result<ServerConfig> {
    resolve(&ServeArgs {
        common: args.clone(),
        ..Default::default()
    })
    .map(|r| r.server)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FileConfig {
        toml::from_str(text).expect("toml")
    }

    #[test]
    fn the_file_keys_are_the_fields_the_parser_accepts() {
        let keys = file_keys();
        assert!(
            keys.contains(&"listen") && keys.contains(&"server_key"),
            "{keys:?}"
        );
        for key in keys {
            let text = if *key == "trusted_proxies" {
                format!("{key} = []")
            } else {
                format!("{key} = 0")
            };
            // A known key fails on its value's type at most, never as an unknown field.
            if let Err(e) = toml::from_str::<FileConfig>(&text) {
                assert!(!e.to_string().contains("unknown field"), "{key}: {e}");
            }
        }
        let e = toml::from_str::<FileConfig>("no_such_key = 1")
            .err()
            .expect("refused");
        assert!(e.to_string().contains("unknown field"), "{e}");
    }

    #[test]
    fn connection_limits_come_from_flags_over_the_file_over_the_defaults() {
        let defaults = merge(&ServeArgs::default(), FileConfig::default())
            .unwrap()
            .server;
        assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
        assert_eq!(defaults.idle_timeout, Duration::from_secs(60));
        assert_eq!(defaults.body_read_timeout, Duration::from_secs(30));
        assert_eq!(defaults.shutdown_grace, Duration::from_secs(10));
        assert!((1..=1024).contains(&defaults.max_connections));

        let from_file = file(
            "header_read_timeout_seconds = 5\nidle_timeout_seconds = 120\n\
             body_read_timeout_seconds = 15\nmax_connections = 300\nshutdown_grace_seconds = 0\n",
        );
        let c = merge(&ServeArgs::default(), from_file).unwrap().server;
        assert_eq!(c.header_read_timeout, Duration::from_secs(5));
        assert_eq!(c.idle_timeout, Duration::from_secs(120));
        assert_eq!(c.body_read_timeout, Duration::from_secs(15));
        assert_eq!(c.max_connections, 300);
        assert_eq!(c.shutdown_grace, Duration::ZERO);

        let flags = ServeArgs {
            idle_timeout_seconds: Some(7),
            max_connections: Some(50),
            ..Default::default()
        };
        let c = merge(
            &flags,
            file("idle_timeout_seconds = 120\nmax_connections = 300"),
        )
        .unwrap()
        .server;
        assert_eq!(c.idle_timeout, Duration::from_secs(7));
        assert_eq!(c.max_connections, 50);
    }

    #[test]
    fn metrics_are_off_unless_enabled_and_a_listen_address_takes_them_off_the_main_one() {
        let of = |args: ServeArgs, text: &str| merge(&args, file(text)).map(|r| r.server.metrics);
        assert_eq!(of(ServeArgs::default(), "").unwrap(), MetricsAccess::Off);
        assert_eq!(
            of(ServeArgs::default(), "metrics = true").unwrap(),
            MetricsAccess::Main
        );
        let addr: SocketAddr = "127.0.0.1:9464".parse().unwrap();
        assert_eq!(
            of(ServeArgs::default(), "metrics_listen = \"127.0.0.1:9464\"").unwrap(),
            MetricsAccess::Listen(addr)
        );
        let off = ServeArgs {
            metrics: Some(false),
            ..Default::default()
        };
        assert_eq!(
            of(off.clone(), "metrics = true").unwrap(),
            MetricsAccess::Off,
            "the flag wins"
        );
        let e = of(off, "metrics_listen = \"127.0.0.1:9464\"").expect_err("contradiction");
        assert!(e.to_string().contains("metrics_listen"), "{e}");
    }

    #[test]
    fn zero_timeouts_and_a_zero_cap_are_refused() {
        for text in [
            "header_read_timeout_seconds = 0",
            "idle_timeout_seconds = 0",
            "body_read_timeout_seconds = 0",
            "max_connections = 0",
        ] {
            let e = merge(&ServeArgs::default(), file(text)).err().expect(text);
            let name = text.split(' ').next().unwrap();
            assert!(e.to_string().contains(name), "{e}");
        }
    }

    #[test]
    fn forward_rules_are_read_from_the_file_and_a_bad_one_stops_the_start() {
        let good = "[[forward_rules.shop]]\nprefix = \"/orders\"\nmethods = [\"GET\"]\n\
                    permission = \"orders:read\"\n\
                    [[forward_rules.shop]]\nprefix = \"/orders\"\nmethods = [\"DELETE\"]\n\
                    permission = \"orders:delete\"\n";
        let c = merge(&ServeArgs::default(), file(good)).unwrap().server;
        let shop = &c.forward_rules["shop"];
        assert_eq!(
            shop.permission_for("DELETE", "/orders/1").unwrap().as_str(),
            "orders:delete"
        );

        for (text, says) in [
            (
                "prefix = \"orders\"\nmethods = [\"GET\"]\npermission = \"o:r\"",
                "must start with '/'",
            ),
            (
                "prefix = \"/o\"\nmethods = [\"get\"]\npermission = \"o:r\"",
                "is not an HTTP method",
            ),
            (
                "prefix = \"/o\"\nmethods = [\"GET\"]\npermission = \"\"",
                "the permission is empty",
            ),
        ] {
            let e = merge(
                &ServeArgs::default(),
                file(&format!("[[forward_rules.shop]]\n{text}")),
            )
            .err()
            .expect(text)
            .to_string();
            assert!(
                e.contains("forward_rules.shop: rule 1") && e.contains(says),
                "{e}"
            );
        }
        let e = merge(
            &ServeArgs::default(),
            file("[[forward_rules.Shop]]\nprefix = \"/\"\nmethods = [\"*\"]\npermission = \"a:b\""),
        )
        .err()
        .expect("a bad name");
        assert!(e.to_string().contains("a set's name"), "{e}");
    }
}
