//! A cluster as an operator runs one: several `keyward serve` processes on one
//! PostgreSQL database, sharing a server key. A change on any node is seen on every
//! other node at once (SPEC §11): a new token is valid everywhere at the first try, a
//! revocation is refused everywhere within milliseconds (`--change-feed notify`) or one
//! poll (`--change-feed poll`), a node cut off and resumed refuses what changed meanwhile
//! at its very next check, rate limits held in Redis hold across nodes, and a node whose
//! database goes away stops accepting and recovers by itself.
//!
//! Figures (first-try acceptance, revocation lag) are printed; run with `--nocapture`.

use keyward_client::{
    Client, CreateToken, RateLimit, UpdateUser, UpdateUserType, UserTypes, Users,
};
use keyward_testkit::{
    bootstrap_token, free_port, pg_schema, send, wait_until_healthy, Dir, Member, Running, PG_ENV,
};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "4b6579776172642074657374206b65792c2073686172656420627920616c6c21";
const TRIALS: usize = 100;

fn keyward() -> Command {
    let mut c = keyward_testkit::command(env!("CARGO_BIN_EXE_keyward"));
    c.env("KEYWARD_SERVER_KEY", KEY).env("KEYWARD_LOG", "warn");
    c
}

/// One `keyward serve` process; killed when dropped.
struct Node {
    child: Running,
    base: String,
    _dir: Dir,
}

impl Node {
    async fn start(db: &str, extra: &[&str]) -> Node {
        let dir = Dir::new("node");
        let port = free_port();
        let child = keyward()
            .arg("serve")
            .args(["--data-dir", &dir.arg(), "--database-url", db])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start keyward serve");
        let node = Node {
            child: Running(child),
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        wait_until_healthy(&node.base, Duration::from_secs(30)).await;
        node
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.0.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }
}

/// An administrator's view of the cluster: the token, and a typed client for each node.
struct Admin {
    http: reqwest::Client,
    token: String,
}

impl Admin {
    async fn bootstrap(db: &str) -> Admin {
        let dir = Dir::new("boot");
        let mut cmd = keyward();
        cmd.arg("bootstrap")
            .args(["--data-dir", &dir.arg(), "--database-url", db])
            .args(["--tenant", "acme", "--admin", "admin"]);
        Admin {
            http: reqwest::Client::new(),
            token: bootstrap_token(cmd),
        }
    }

    /// The typed client for `node`, logged in as this administrator.
    fn on(&self, node: &Node) -> Client {
        Client::new(&node.base, Some(self.token.clone())).expect("a client for the node")
    }

    /// For the tests of a status itself: `method path` on `node`, its status.
    async fn status(
        &self,
        node: &Node,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> u16 {
        let mut req = self
            .http
            .request(method, format!("{}{path}", node.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request").status().as_u16()
    }
}

/// A user with one membership whose user type grants `orders:read`.
async fn member(api: &Client, name: &str) -> Member {
    keyward_testkit::member(api, name, &["orders:read"]).await
}

/// A token of `m`, changed by `adjust`; returns (id, secret).
async fn token(
    api: &Client,
    m: &Member,
    adjust: impl FnOnce(&mut CreateToken),
) -> (String, String) {
    let mut req = m.create_token("svc");
    adjust(&mut req);
    keyward_testkit::token(api, &req).await
}

/// (HTTP status, code) of a check of `token` for `orders:read` on `node`.
async fn check(http: &reqwest::Client, node: &Node, token: &str) -> (u16, String) {
    let res = send(
        http.post(format!("{}/api/v1/verify", node.base))
            .json(&json!({"token": token, "tenant": "acme", "permission": "orders:read"})),
    )
    .await;
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    (status, v["code"].as_str().unwrap_or("").to_string())
}

async fn code(http: &reqwest::Client, node: &Node, token: &str) -> String {
    check(http, node, token).await.1
}

/// A fresh schema in the shared test database, or `None` (with the reason printed).
async fn pg_schema_or_skip(what: &str) -> Option<String> {
    let url = pg_schema(&format!("kw{what}")).await;
    if url.is_none() {
        eprintln!("skipped: {PG_ENV} is not set, so a cluster on PostgreSQL cannot be started");
    }
    url
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Creates a token on A and checks it on B and C at once, then revokes it on A and
/// measures until both B and C refuse it. Returns the sorted lags.
/// Runs the trials and prints their revocation lags (until both other nodes said
/// `REVOKED`). Returns every check that a node still answered `VALID` although it was
/// asked [`STALENESS_BOUND`] or more after the revocation committed (trial, when asked).
async fn first_try_and_revocation_lag(
    feed: &[&str],
    label: &str,
) -> Option<Vec<(usize, Duration)>> {
    let db = pg_schema_or_skip("cluster").await?;
    let admin = Admin::bootstrap(&db).await;
    let a = Node::start(&db, feed).await;
    let b = Node::start(&db, feed).await;
    let c = Node::start(&db, feed).await;
    let on_a = admin.on(&a);
    let m = member(&on_a, "svc").await;
    let http = reqwest::Client::new();
    let mut first_try = 0;
    let mut lags = Vec::with_capacity(TRIALS);
    let mut late_valid = Vec::new();
    for i in 0..TRIALS {
        let (id, secret) = token(&on_a, &m, |_| {}).await;
        let on_b = code(&http, &b, &secret).await;
        let on_c = code(&http, &c, &secret).await;
        if on_b == "VALID" && on_c == "VALID" {
            first_try += 1;
        } else {
            eprintln!("trial {i}: B said {on_b}, C said {on_c} at the first try");
        }
        on_a.revoke_token(id.parse().expect("a token id"))
            .await
            .expect("revoke");
        let revoked = Instant::now();
        let mut refused = [false, false];
        while !(refused[0] && refused[1]) {
            for (k, node) in [&b, &c].into_iter().enumerate() {
                if refused[k] {
                    continue;
                }
                let asked = revoked.elapsed();
                match code(&http, node, &secret).await.as_str() {
                    "REVOKED" => refused[k] = true,
                    "VALID" if asked >= STALENESS_BOUND => late_valid.push((i, asked)),
                    _ => {}
                }
            }
            assert!(
                revoked.elapsed() < Duration::from_secs(5),
                "trial {i}: the revocation never arrived"
            );
        }
        lags.push(revoked.elapsed());
    }
    lags.sort();
    println!(
        "cluster ({label}): {first_try} of {TRIALS} first-try VALID on B and C; revocation lag \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&lags, 0.5).as_secs_f64() * 1e3,
        percentile(&lags, 0.99).as_secs_f64() * 1e3,
        lags[lags.len() - 1].as_secs_f64() * 1e3,
    );
    assert_eq!(
        first_try, TRIALS,
        "a token made on A is valid on B and C at the first try"
    );
    Some(late_valid)
}

/// The bound a node guarantees: past it, a node that has not heard from the change feed
/// refuses every check (`--max-staleness-ms`, default 2 s), so no node accepts a token
/// asked about that long after its revocation. How far under it revocation arrives (the
/// targets: p99 under 50 ms with NOTIFY, under a second by polling) is a measurement,
/// printed above and reported, not asserted: a timed assertion would fail on a loaded
/// machine without anything being wrong (a check that waits for the CPU is slow, not
/// wrong).
const STALENESS_BOUND: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_with_notify_agree_at_once() {
    agree_within_the_bound("notify", "notify", "NOTIFY").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_with_poll_agree_within_a_poll() {
    agree_within_the_bound("poll", "poll 100 ms", "polling").await;
}

/// Three nodes on change feed `feed`: no node accepts a revoked token when asked
/// [`STALENESS_BOUND`] or more after the revocation (`label` names the run in the printed
/// measurement).
async fn agree_within_the_bound(feed: &str, label: &str, how: &str) {
    if let Some(late_valid) = first_try_and_revocation_lag(&["--change-feed", feed], label).await {
        assert!(
            late_valid.is_empty(),
            "with {how}, a node accepted a revoked token past the staleness bound (trial, asked after): {:?}",
            late_valid
        );
    }
}

/// A node stopped (SIGSTOP) while the others revoke a token, lock a user, remove a
/// membership and take a permission away refuses each of them at its very next check
/// after it resumes: it was stopped longer than `max_staleness`, so it does not trust
/// what it cached before, and the feed catches it up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_refuses_what_changed_at_its_first_check() {
    let Some(db) = pg_schema_or_skip("cutoff").await else {
        return;
    };
    let admin = Admin::bootstrap(&db).await;
    let a = Node::start(&db, &[]).await;
    let b = Node::start(&db, &[]).await;
    let c = Node::start(&db, &[]).await;
    let (on_a, on_b) = (admin.on(&a), admin.on(&b));
    let http = reqwest::Client::new();
    let revoked = member(&on_a, "revoked").await;
    let locked = member(&on_a, "locked").await;
    let unmembered = member(&on_a, "unmembered").await;
    let unpermitted = member(&on_a, "unpermitted").await;
    let untouched = member(&on_a, "untouched").await;
    let (revoked_id, t_revoked) = token(&on_a, &revoked, |_| {}).await;
    let (_, t_locked) = token(&on_a, &locked, |_| {}).await;
    let (_, t_unmembered) = token(&on_a, &unmembered, |_| {}).await;
    let (_, t_unpermitted) = token(&on_a, &unpermitted, |_| {}).await;
    let (_, t_untouched) = token(&on_a, &untouched, |_| {}).await;
    let all = [
        &t_revoked,
        &t_locked,
        &t_unmembered,
        &t_unpermitted,
        &t_untouched,
    ];
    for t in all {
        assert_eq!(code(&http, &c, t).await, "VALID", "cached on C");
    }
    c.signal("-STOP");
    let (user, _, _) = locked.ids();
    on_a.revoke_token(revoked_id.parse().expect("a token id"))
        .await
        .expect("revoke");
    let lock = UpdateUser {
        locked: Some(true),
        ..Default::default()
    };
    on_b.update::<Users>(user, &lock).await.expect("lock");
    let status = admin
        .status(
            &a,
            reqwest::Method::DELETE,
            &format!(
                "/api/v1/users/{}/memberships/{}",
                unmembered.user_id, unmembered.membership_id
            ),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, _, user_type) = unpermitted.ids();
    let narrowed = UpdateUserType {
        permissions: Some(vec!["orders:write".parse().expect("a permission")]),
        ..Default::default()
    };
    on_b.update::<UserTypes>(user_type, &narrowed)
        .await
        .expect("narrow the user type");
    // Longer than max_staleness (2 s), as a cut-off node is when it matters.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    c.signal("-CONT");
    assert_eq!(code(&http, &c, &t_revoked).await, "REVOKED");
    assert_eq!(code(&http, &c, &t_locked).await, "USER_LOCKED");
    assert_eq!(code(&http, &c, &t_unmembered).await, "FORBIDDEN");
    assert_eq!(code(&http, &c, &t_unpermitted).await, "FORBIDDEN");
    assert_eq!(code(&http, &c, &t_untouched).await, "VALID");
}

/// A program the test needs is missing: on CI (which installs it) a failure saying
/// `on_ci`, elsewhere a skip saying `skipped`.
fn missing<T>(on_ci: &str, skipped: &str) -> Option<T> {
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{on_ci}");
    eprintln!("skipped: {skipped}");
    None
}

/// A Redis of the test's own on a free port (the shared one is left alone, and this one
/// can be stopped). `None` if `redis-server` is not installed.
struct Redis {
    _child: Running,
    url: String,
}

impl Redis {
    fn start() -> Option<Redis> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            return missing(
                "redis-server is not installed; .ci/run installs it",
                "redis-server is not installed, so cluster-wide rate limits cannot be tried",
            );
        };
        let child = Running(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Redis {
            _child: child,
            url: format!("redis://127.0.0.1:{port}/0"),
        })
    }
}

/// With `--redis-url`, a token limited to 10 checks a minute is let through exactly 10
/// times across three nodes; when Redis goes away, its checks fail closed (503) while
/// tokens without a limit are unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_in_redis_hold_across_nodes() {
    let Some(db) = pg_schema_or_skip("rate").await else {
        return;
    };
    let Some(redis) = Redis::start() else { return };
    let admin = Admin::bootstrap(&db).await;
    let flags = ["--redis-url", redis.url.as_str()];
    let nodes = [
        Node::start(&db, &flags).await,
        Node::start(&db, &flags).await,
        Node::start(&db, &flags).await,
    ];
    let http = reqwest::Client::new();
    let on_first = admin.on(&nodes[0]);
    let m = member(&on_first, "svc").await;
    let (_, limited) = token(&on_first, &m, |t| {
        t.rate_limit = Some(RateLimit {
            requests: 10,
            window_seconds: 60,
        })
    })
    .await;
    let (_, unlimited) = token(&on_first, &m, |_| {}).await;
    // Windows are aligned to the minute: start early in one, so all 30 checks fall in it.
    let into_minute = time::OffsetDateTime::now_utc().second();
    if into_minute > 50 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - into_minute))).await;
    }
    let mut valid = 0;
    let mut limited_answers = 0;
    for i in 0..30 {
        match code(&http, &nodes[i % 3], &limited).await.as_str() {
            "VALID" => valid += 1,
            "RATE_LIMITED" => limited_answers += 1,
            other => panic!("check {i}: {other}"),
        }
    }
    println!(
        "rate limit 10/min across 3 nodes: {valid} VALID, {limited_answers} RATE_LIMITED of 30"
    );
    assert_eq!((valid, limited_answers), (10, 20));
    drop(redis);
    for node in &nodes {
        assert_eq!(
            check(&http, node, &limited).await.0,
            503,
            "a limit that cannot be counted refuses"
        );
        assert_eq!(
            code(&http, node, &unlimited).await,
            "VALID",
            "no limit, no Redis"
        );
    }
}

/// A Redis that cannot be reached at start is a configuration error, said at once.
#[test]
fn a_node_refuses_to_start_without_its_redis() {
    let dir = Dir::new("noredis");
    let out = keyward()
        .arg("serve")
        .args(["--data-dir", &dir.arg()])
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .args([
            "--redis-url",
            &format!("redis://127.0.0.1:{}/0", free_port()),
        ])
        .output()
        .expect("keyward serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--redis-url"), "{err}");
}

/// PostgreSQL of the test's own (`initdb`, `pg_ctl` as the `postgres` system user, on a
/// free port), which the test stops and starts under a running node.
struct OwnPostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: Dir,
}

impl OwnPostgres {
    fn start() -> Option<OwnPostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .find(|b| b.join("pg_ctl").exists());
        let Some(bin) = bin else {
            return missing(
                "no /usr/lib/postgresql/*/bin/pg_ctl, though PostgreSQL tests are on",
                "no /usr/lib/postgresql/*/bin/pg_ctl to start a PostgreSQL of the test's own",
            );
        };
        let dir = Dir::new("pg");
        let data = dir.0.join("data");
        as_postgres(&format!("chown -R postgres {}", dir.0.display()), true);
        let pg = OwnPostgres {
            bin,
            data,
            port: free_port(),
            _dir: dir,
        };
        pg.run(&format!(
            "{}/initdb -D {} -A trust -U postgres >/dev/null",
            pg.bin.display(),
            pg.data.display()
        ));
        pg.up();
        Some(pg)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, cmd: &str) {
        as_postgres(cmd, false);
    }

    fn up(&self) {
        self.run(&format!(
            "{}/pg_ctl -D {} -w -l {}/log -o '-p {} -k {} -c listen_addresses=127.0.0.1' start >/dev/null",
            self.bin.display(),
            self.data.display(),
            self.data.display(),
            self.port,
            self.data.display()
        ));
    }

    fn down(&self) {
        self.run(&format!(
            "{}/pg_ctl -D {} -w -m fast stop >/dev/null",
            self.bin.display(),
            self.data.display()
        ));
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = Command::new("su")
            .args([
                "postgres",
                "-c",
                &format!(
                    "{}/pg_ctl -D {} -m immediate stop",
                    self.bin.display(),
                    self.data.display()
                ),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs `cmd` in a shell as the `postgres` system user (or as this user, for `chown`).
fn as_postgres(cmd: &str, as_self: bool) {
    let status = if as_self {
        Command::new("sh").args(["-c", cmd]).status()
    } else {
        Command::new("su").args(["postgres", "-c", cmd]).status()
    }
    .expect("shell");
    assert!(status.success(), "{cmd}");
}

/// The database stops under a running node: a cached VALID stops within max_staleness
/// + 1 s, checks and changes answer 503 problem+json, /readyz is not ready; when the
/// database is back, everything recovers by itself within a few seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_fails_closed_when_its_database_goes_away_and_recovers() {
    if std::env::var(PG_ENV).is_err() {
        eprintln!("skipped: {PG_ENV} is not set (PostgreSQL tests are off)");
        return;
    }
    let Some(pg) = OwnPostgres::start() else {
        return;
    };
    let db = pg.url();
    let admin = Admin::bootstrap(&db).await;
    let node = Node::start(&db, &["--max-staleness-ms", "2000"]).await;
    let http = reqwest::Client::new();
    let on_node = admin.on(&node);
    let m = member(&on_node, "svc").await;
    let (_, secret) = token(&on_node, &m, |_| {}).await;
    assert_eq!(code(&http, &node, &secret).await, "VALID");

    pg.down();
    let stopped = Instant::now();
    loop {
        let asked = stopped.elapsed();
        if code(&http, &node, &secret).await != "VALID" {
            println!(
                "database stopped: the check asked after {asked:.2?} was refused, answered after {:.2?}",
                stopped.elapsed()
            );
            break;
        }
        assert!(
            asked < Duration::from_secs(3),
            "a cached VALID outlived max_staleness + 1 s without its database"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        stopped.elapsed() < Duration::from_secs(4),
        "the refusal came late"
    );
    let (status, _) = check(&http, &node, &secret).await;
    assert_eq!(status, 503, "a check that cannot be confirmed");
    let res = send(
        http.post(format!("{}/api/v1/departments", node.base))
            .bearer_auth(&admin.token)
            .json(&json!({"name": "Later"})),
    )
    .await;
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let ready = send(http.get(format!("{}/readyz", node.base))).await;
    assert_eq!(
        ready.status().as_u16(),
        503,
        "not ready without its database"
    );

    pg.up();
    let back = Instant::now();
    loop {
        let ready = send(http.get(format!("{}/readyz", node.base))).await;
        if ready.status().is_success() && code(&http, &node, &secret).await == "VALID" {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "the node did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "database back: the node answered VALID again after {:?}",
        back.elapsed()
    );
    let status = admin
        .status(
            &node,
            reqwest::Method::POST,
            "/api/v1/departments",
            Some(json!({"name": "Later"})),
        )
        .await;
    assert_eq!(status, 201, "changes work again");
}
