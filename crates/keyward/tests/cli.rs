//! The client commands end to end: the real binary bootstraps a data directory, serves it
//! on a free port, and is then driven through its client subcommands the way an
//! administrator or a script would drive it.

use keyward_testkit::{bootstrap_token, Dir, Running};
use serde_json::Value;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_keyward");
const STARTUP_DEADLINE: Duration = Duration::from_secs(60);

/// The binary with none of the caller's `KEYWARD_*` variables, so a developer's own
/// settings cannot leak into a test.
fn keyward() -> Command {
    keyward_testkit::command(BIN)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A running `keyward serve` with a bootstrapped tenant. Dropping it (also when a test
/// panics) kills the server, then removes its data directory.
struct Server {
    child: Running,
    stderr: Receiver<String>,
    url: String,
    admin_token: String,
    _dir: Dir,
}

impl Server {
    fn start() -> Self {
        let dir = Dir::new("cli");
        let data_dir = dir.arg();
        let mut boot = keyward();
        boot.args(["bootstrap", "--data-dir", &data_dir])
            .args(["--tenant", "t", "--admin", "a"]);
        let admin_token = bootstrap_token(boot);

        let mut child = keyward()
            .args(["serve", "--data-dir", &data_dir, "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start keyward serve");
        // Drain stderr for the whole run (a full pipe would block the server's logging),
        // passing each line on.
        let pipe = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child: Running(child),
            stderr: rx,
            url: String::new(),
            admin_token,
            _dir: dir,
        };
        server.url = server.wait_for_address();
        server
    }

    /// The address from `keyward is listening on http://…`, waiting as long as it takes
    /// up to a deadline.
    fn wait_for_address(&mut self) -> String {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.trim().strip_prefix("keyward is listening on ") {
                        return url.to_string();
                    }
                    seen.push(line);
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "the server did not say where it listens within {STARTUP_DEADLINE:?}; stderr:\n{}",
                    seen.join("\n")
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "the server exited ({:?}) before listening; stderr:\n{}",
                    self.child.0.try_wait(),
                    seen.join("\n")
                ),
            }
        }
    }

    /// What the server logged so far, for failure messages.
    fn log(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }

    /// A client command against this server, as the administrator.
    fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = keyward();
        c.args(args)
            .env("KEYWARD_SERVER", &self.url)
            .env("KEYWARD_TOKEN", &self.admin_token)
            // The tenant `verify` checks for; a test that wants none removes it.
            .env("KEYWARD_TENANT", "t")
            .env_remove("KEYWARD_VERIFIER_KEY");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run keyward")
    }

    /// Runs a command that must succeed; its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "keyward {} failed: {}\nserver log:\n{}",
            args.join(" "),
            text(&out.stderr),
            self.log()
        );
        text(&out.stdout)
    }

    /// Runs a command with `--json` that must succeed; its output parsed.
    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let out = self.ok(&args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// Runs a command that must fail; its standard output and standard error.
    fn fails(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "keyward {} should have failed; it printed: {}",
            args.join(" "),
            text(&out.stdout)
        );
        (text(&out.stdout), text(&out.stderr))
    }

    /// A server where `username` is already a member, as [`Server::member`] makes one.
    fn with_member(username: &str) -> Self {
        let srv = Self::start();
        srv.member(username);
        srv
    }

    /// The same, with one token `name` of theirs; the server and the token's secret.
    fn with_token(username: &str, name: &str) -> (Self, String) {
        let srv = Self::with_member(username);
        let (_, secret) = srv.token(username, name);
        (srv, secret)
    }

    /// Makes `username` a technical user with user type Reader (orders:read, orders:write)
    /// in department Sales.
    fn member(&self, username: &str) {
        self.json(&["department", "create", "Sales"]);
        self.json(&[
            "user-type",
            "create",
            "Reader",
            "--permission",
            "orders:read,orders:write",
        ]);
        self.json(&[
            "user",
            "create",
            "--username",
            username,
            "--email",
            &format!("{username}@example.com"),
            "--technical",
        ]);
        self.json(&[
            "user",
            "membership",
            "add",
            username,
            "--department",
            "Sales",
            "--user-type",
            "Reader",
        ]);
    }

    /// Creates a token for `username`; returns (id, secret).
    fn token(&self, username: &str, name: &str) -> (String, String) {
        let t = self.json(&["token", "create", "--name", name, "--user", username]);
        (s(&t["id"]), s(&t["token"]))
    }

    /// `keyward verify` with the secret on standard input; (success, parsed JSON).
    fn verify(&self, secret: &str, extra: &[&str]) -> (bool, Value) {
        let mut c = self.cmd(["verify", "--json"]);
        c.args(extra).env_remove("KEYWARD_TOKEN");
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run keyward verify");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(secret.as_bytes())
            .expect("write the token to keyward verify");
        let out = child.wait_with_output().expect("wait for keyward verify");
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "verify printed no JSON ({e}); stderr: {}",
                text(&out.stderr)
            )
        });
        (out.status.success(), v)
    }
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

#[test]
fn a_token_is_issued_verified_revoked_and_listed_through_the_cli() {
    let srv = Server::start();

    let dept = srv.json(&["department", "create", "Sales"]);
    let ut = srv.json(&[
        "user-type",
        "create",
        "Reader",
        "--permission",
        "orders:read",
        "--permission",
        "orders:write",
    ]);
    assert_eq!(
        ut["permissions"],
        serde_json::json!(["orders:read", "orders:write"])
    );
    let user = srv.json(&[
        "user",
        "create",
        "--username",
        "svc-orders",
        "--email",
        "svc-orders@example.com",
        "--technical",
    ]);
    assert_eq!(user["is_technical"], true);
    let m = srv.json(&[
        "user",
        "membership",
        "add",
        "svc-orders",
        "--department",
        "Sales",
        "--user-type",
        &s(&ut["id"]),
    ]);
    assert_eq!(m["department_id"], dept["id"]);

    let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    let created = srv.json(&[
        "token",
        "create",
        "--name",
        "ci-deploy",
        "--user",
        "svc-orders",
        "--department",
        "Sales",
        "--user-type",
        "Reader",
        "--expires-at",
        &expiry.to_string(),
    ]);
    let id = s(&created["id"]);
    let secret = s(&created["token"]);
    assert!(secret.starts_with("kwa_"), "{secret}");
    assert_eq!(created["status"], "active");
    assert_eq!(
        s(&created["expires_at"]),
        format!("{expiry}T23:59:59Z"),
        "a plain date means the end of that day, UTC"
    );

    // VALID, with what the token may do; a permission it lacks is FORBIDDEN.
    let verified = srv.ok(&["verify", &secret, "--permission", "orders:read"]);
    assert!(verified.starts_with("VALID: "), "{verified}");
    assert!(verified.contains("svc-orders"), "{verified}");
    let (ok, v) = srv.verify(&secret, &["--permission", "orders:read"]);
    assert!(ok);
    assert_eq!(v["code"], "VALID");
    assert_eq!(v["user"]["username"], "svc-orders");
    assert_eq!(v["department"]["name"], "Sales");
    let (ok, v) = srv.verify(&secret, &["--permission", "orders:delete"]);
    assert!(!ok, "verify exits non-zero for a token that is not VALID");
    assert_eq!(v["code"], "FORBIDDEN");

    let revoked = srv.ok(&["token", "revoke", &id]);
    assert!(revoked.contains("Revoked token \"ci-deploy\""), "{revoked}");
    let (out, err) = srv.fails(&["verify", &secret]);
    assert!(out.starts_with("REVOKED: "), "{out}");
    assert!(err.contains("not valid (REVOKED)"), "{err}");

    // Still listed, as revoked, with the removal date; never with its secret.
    let page = srv.json(&["token", "list"]);
    let listed = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap_or_else(|| panic!("token {id} is not listed: {page}"));
    assert_eq!(listed["status"], "revoked");
    assert!(listed["revoked_at"].is_string());
    assert!(!page.to_string().contains(&secret));

    // Human output: an aligned table and key: value lines.
    let table = srv.ok(&["token", "list"]);
    assert!(!table.contains(&secret));
    let mut lines = table.lines();
    let header = lines.next().expect("a header line");
    assert!(header.starts_with("ID  "), "{table}");
    let row = lines
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("no row for {id}:\n{table}"));
    // In characters, not bytes: the hint holds an ellipsis.
    let col = |line: &str, s: &str| line.find(s).map(|b| line[..b].chars().count());
    for (column, value) in [
        ("NAME", "ci-deploy"),
        ("STATUS", "revoked"),
        ("USER ", "svc-orders"),
    ] {
        assert_eq!(
            col(header, column),
            col(row, value),
            "{value:?} is not under {column:?}:\n{table}"
        );
    }
    let shown = srv.ok(&["token", "show", &id]);
    assert!(!shown.contains(&secret));
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("status:") && l.ends_with(" revoked")),
        "{shown}"
    );
    assert!(shown.contains("department:   Sales ("), "{shown}");
}

#[test]
fn the_secret_is_printed_once_with_a_warning_that_it_is_not_shown_again() {
    let srv = Server::with_member("svc");
    let out = srv.ok(&["token", "create", "--name", "ci", "--user", "svc"]);
    assert!(out.contains("shown only once"), "{out}");
    let secret = out
        .split_whitespace()
        .find(|w| w.starts_with("kwa_"))
        .unwrap_or_else(|| panic!("no secret in:\n{out}"));
    assert_eq!(
        out.matches(secret).count(),
        1,
        "the secret appears once:\n{out}"
    );
    let (ok, v) = srv.verify(secret, &[]);
    assert!(ok, "{v}");
}

#[test]
fn api_refusals_print_status_code_and_detail() {
    let srv = Server::with_member("svc");
    srv.json(&["department", "create", "Support"]);
    let (_, err) = srv.fails(&[
        "token",
        "create",
        "--name",
        "x",
        "--user",
        "svc",
        "--department",
        "Support",
        "--user-type",
        "Reader",
    ]);
    assert!(err.starts_with("error: 422 not_a_member: "), "{err}");

    let missing = "01900000-0000-7000-8000-000000000000";
    let (_, err) = srv.fails(&["token", "show", missing]);
    assert!(err.starts_with("error: 404 not_found: "), "{err}");

    let (_, err) = srv.fails(&["department", "show", "Nowhere"]);
    assert!(err.contains("no department is named \"Nowhere\""), "{err}");
}

#[test]
fn a_regenerated_token_replaces_its_secret_and_delete_takes_several_ids() {
    let srv = Server::with_member("svc");
    let (id1, old) = srv.token("svc", "one");
    let (id2, _) = srv.token("svc", "two");

    let r = srv.json(&["token", "regenerate", &id1]);
    let new = s(&r["token"]);
    assert_ne!(new, old);
    assert_eq!(srv.verify(&old, &[]).1["code"], "NOT_FOUND");
    assert_eq!(srv.verify(&new, &[]).1["code"], "VALID");

    let deleted = srv.json(&["token", "delete", &id1, &id2]);
    let mut ids: Vec<String> = deleted["deleted"]
        .as_array()
        .expect("deleted")
        .iter()
        .map(s)
        .collect();
    ids.sort();
    let mut want = vec![id1.clone(), id2.clone()];
    want.sort();
    assert_eq!(ids, want);
    let left = srv.json(&["token", "list"]).to_string();
    assert!(!left.contains(&id1) && !left.contains(&id2), "{left}");
    assert_eq!(srv.verify(&new, &[]).1["code"], "NOT_FOUND");

    let (_, err) = srv.fails(&["token", "delete", &id1]);
    assert!(err.starts_with("error: 404 not_found: "), "{err}");
}

#[test]
fn locking_a_user_stops_their_tokens_until_unlocked() {
    let (srv, secret) = Server::with_token("svc", "ci");
    let out = srv.ok(&["user", "lock", "svc"]);
    assert!(out.starts_with("Locked user \"svc\""), "{out}");
    assert_eq!(srv.verify(&secret, &[]).1["code"], "USER_LOCKED");
    srv.ok(&["user", "unlock", "svc"]);
    assert_eq!(srv.verify(&secret, &[]).1["code"], "VALID");

    let users = srv.ok(&["user", "list"]);
    let header = users.lines().next().expect("a header");
    assert!(
        header.starts_with("ID") && header.contains("USERNAME"),
        "{users}"
    );
    let memberships = srv.ok(&["user", "membership", "list", "svc"]);
    assert!(
        memberships.contains("Sales") && memberships.contains("Reader"),
        "{memberships}"
    );
}

#[test]
fn a_verifier_key_binds_cli_checks_to_its_tenant_and_a_check_without_a_tenant_is_refused() {
    let (srv, secret) = Server::with_token("svc", "ci");

    let created = srv.ok(&["verifier-key", "create", "orders gateway"]);
    assert!(created.contains("shown only once"), "{created}");
    let key = created
        .split_whitespace()
        .find(|w| w.starts_with("kwv_"))
        .expect("the key is printed")
        .to_string();
    let listed = srv.ok(&["verifier-key", "list"]);
    assert!(listed.contains("orders gateway"), "{listed}");
    assert!(!listed.contains(&key), "a listing never shows the secret");

    // With the key and no tenant named, the check is made for the key's tenant.
    let mut c = srv.cmd(["verify", "--json", &secret]);
    c.env_remove("KEYWARD_TENANT")
        .env_remove("KEYWARD_TOKEN")
        .env("KEYWARD_VERIFIER_KEY", &key);
    let out = c.output().expect("run keyward verify");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(out.status.success(), "{v}");
    assert_eq!(v["code"], "VALID");

    // With neither a tenant nor a key, the server says how to name one.
    let mut c = srv.cmd(["verify", &secret]);
    c.env_remove("KEYWARD_TENANT").env_remove("KEYWARD_TOKEN");
    let out = c.output().expect("run keyward verify");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("tenant_required"), "{err}");

    // A tenant that does not exist knows no token.
    assert_eq!(
        srv.verify(&secret, &["--tenant", "nobody"]).1["code"],
        "NOT_FOUND"
    );
}

#[test]
fn client_commands_ask_for_keyward_token_when_it_is_missing() {
    let out = keyward()
        .args(["token", "list", "--server", "http://127.0.0.1:9"])
        .output()
        .expect("run keyward");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("set KEYWARD_TOKEN"), "{err}");
}

#[test]
fn an_unreachable_server_is_named_in_the_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = keyward_testkit::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let out = keyward()
        .args(["department", "list", "--server", &url])
        .env("KEYWARD_TOKEN", "kwa_not_a_real_token")
        .output()
        .expect("run keyward");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("cannot reach the keyward server at {url}")),
        "{err}"
    );
}

/// Posts a JSON record to a hosted endpoint over a plain connection; the status.
fn post_record(srv: &Server, path: &str, token: &str, body: &str) -> u16 {
    use std::io::Read;
    let addr = srv.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the server");
    write!(
        s,
        "POST /e/t/{path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send the record");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read the answer");
    answer[9..12].parse().expect("a status line")
}

#[test]
fn an_endpoint_with_two_applications_is_set_up_and_read_through_the_cli() {
    let srv = Server::start();
    let e = srv.json(&[
        "endpoint",
        "create",
        "--name",
        "Incoming orders",
        "--path",
        "orders/in",
        "--auth",
        "token",
    ]);
    let methods: Vec<String> = e["new_primary_tokens"]
        .as_array()
        .expect("new primaries")
        .iter()
        .map(|t| s(&t["method"]))
        .collect();
    assert_eq!(methods, ["POST", "GET"]);
    let webshop = srv.json(&["endpoint-token", "create", "--name", "Webshop"]);
    let erp = srv.json(&["endpoint-token", "create", "--name", "ERP"]);
    for app in ["Webshop", "ERP"] {
        // By path and by name: what an administrator types.
        let a = srv.json(&["endpoint", "assign", "orders/in", app]);
        assert_eq!(
            (a["token_name"].as_str(), a["enabled"].as_bool()),
            (Some(app), Some(true))
        );
    }
    assert_eq!(
        post_record(&srv, "orders/in", &s(&webshop["token"]), r#"{"order": 1}"#),
        201
    );
    assert_eq!(
        post_record(&srv, "orders/in", &s(&erp["token"]), r#"{"order": 2}"#),
        201
    );

    // The Webshop is switched off on this endpoint; the ERP goes on.
    let a = srv.json(&["endpoint", "assign", "orders/in", "Webshop", "--disable"]);
    assert_eq!(a["enabled"], false);
    assert_eq!(
        post_record(&srv, "orders/in", &s(&webshop["token"]), "{}"),
        401
    );
    assert_eq!(
        post_record(&srv, "orders/in", &s(&erp["token"]), r#"{"order": 3}"#),
        201
    );

    let records = srv.json(&["endpoint", "records", "orders/in", "--token", "ERP"]);
    assert_eq!(records["total"], 2);
    assert_eq!(records["items"][0]["body"]["order"], 3);
    assert_eq!(records["items"][0]["token_name"], "ERP");
    let table = srv.ok(&["endpoint", "records", "Incoming orders"]);
    assert!(
        table.contains("Webshop") && table.contains("ERP") && table.contains("127.0.0.1"),
        "{table}"
    );
    let assignments = srv.ok(&["endpoint", "assignments", "orders/in"]);
    assert!(
        assignments.contains("off") && assignments.contains("on"),
        "{assignments}"
    );

    // Regenerating the POST primary prints the new secret once; the old one stops.
    let old_post = s(&e["new_primary_tokens"][0]["token"]);
    let out = srv.ok(&["endpoint", "regenerate", "orders/in", "post"]);
    assert!(
        out.contains("kwp_") && out.contains("shown only once"),
        "{out}"
    );
    assert!(!out.contains(&old_post));
    assert_eq!(post_record(&srv, "orders/in", &old_post, "{}"), 404);

    let shown = srv.ok(&["endpoint-token", "show", "ERP"]);
    assert!(
        shown.contains("orders/in") && !shown.contains(&s(&erp["token"])),
        "{shown}"
    );
    // Switched off, the ERP stays listed; deactivated, it moves to the inactive list.
    srv.json(&["endpoint-token", "update", "ERP", "--disable"]);
    let listed = srv.json(&["endpoint-token", "list"]);
    assert_eq!(listed["total"], 2, "switched off, still listed: {listed}");
    srv.json(&["endpoint-token", "update", "ERP", "--deactivate"]);
    let active = srv.json(&["endpoint-token", "list"]);
    assert_eq!(active["total"], 1, "only the Webshop is active: {active}");
    let t = srv.json(&["endpoint-token", "update", "ERP", "--activate"]);
    assert_eq!(
        (t["active"].as_bool(), t["enabled"].as_bool()),
        (Some(true), Some(true)),
        "{t}"
    );
    srv.json(&["endpoint", "delete", "orders/in"]);
    let (_, err) = srv.fails(&["endpoint", "show", "orders/in"]);
    assert!(err.contains("no endpoint"), "{err}");
}

/// Runs `args` with `input` on standard input; the output.
fn with_stdin(srv: &Server, args: &[&str], input: &str) -> Output {
    let mut child = srv
        .cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run keyward");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("write standard input");
    child.wait_with_output().expect("wait for keyward")
}

/// How many API tokens the user `svc` has.
fn token_count(srv: &Server) -> i64 {
    srv.json(&["token", "list", "--user", "svc"])["total"]
        .as_i64()
        .expect("total")
}

#[test]
fn token_import_creates_a_file_in_calls_of_at_most_the_batch_size_and_says_what_a_refused_call_left(
) {
    let srv = Server::with_member("svc");
    let dir = Dir::new("import");
    let csv = dir.0.join("tokens.csv");
    let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    std::fs::write(
        &csv,
        format!(
            "name,user,department,user_type,expires_at,description,allowed_cidrs,max_uses\n\
             ci-1,svc,Sales,Reader,{expiry},\"deploys, nightly\",10.0.0.0/8;127.0.0.1/32,5\n\
             ci-2,svc,,,,,,\n\
             ci-3,svc,,,,,,\n\
             ci-4,svc,,,,,,\n\
             ci-5,svc,,,,,,\n"
        ),
    )
    .unwrap();
    let file = csv.display().to_string();
    let out = srv.run(&[
        "token",
        "import",
        &file,
        "--batch-size",
        "2",
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    let made = made.as_array().expect("an array of the tokens made");
    assert_eq!(made.len(), 5);
    assert_eq!(made[0]["name"], "ci-1");
    assert_eq!(made[0]["description"], "deploys, nightly");
    assert_eq!(
        made[0]["allowed_cidrs"],
        serde_json::json!(["10.0.0.0/8", "127.0.0.1/32"])
    );
    assert_eq!(made[0]["uses_remaining"], 5);
    let err = text(&out.stderr);
    assert!(
        err.contains("Imported 5 tokens") && err.contains("in 3 calls"),
        "{err}"
    );
    assert!(
        !err.contains("importing ["),
        "no progress bar when stderr is not a terminal: {err}"
    );
    let (ok, v) = srv.verify(&s(&made[4]["token"]), &[]);
    assert!(ok, "an imported secret works: {v}");
    assert_eq!(token_count(&srv), 5);

    // A mistake in the file creates nothing: every row is read before the first call.
    let bad = dir.0.join("bad.csv");
    std::fs::write(&bad, "name,user\nok,svc\nnobody's,ghost\n").unwrap();
    let (_, err) = srv.fails(&["token", "import", &bad.display().to_string()]);
    assert!(err.contains("row 2") && err.contains("ghost"), "{err}");
    assert_eq!(token_count(&srv), 5);

    // A call the server refuses creates none of its rows; the calls before it stand, and
    // their secrets are printed all the same.
    let json = dir.0.join("tokens.json");
    let rows: Vec<Value> = (1..=5)
        .map(|i| {
            let mut r = serde_json::json!({"name": format!("job-{i}"), "user": "svc"});
            if i == 4 {
                r["expires_at"] = "2200-01-01".into(); // beyond the tenant's maximum
            }
            r
        })
        .collect();
    std::fs::write(&json, serde_json::to_string(&rows).unwrap()).unwrap();
    let json = json.display().to_string();
    let (out, err) = srv.fails(&["token", "import", &json, "--batch-size", "2"]);
    assert!(out.starts_with("ID ") && out.contains("TOKEN"), "{out}");
    assert_eq!(
        out.matches("kwa_").count(),
        2,
        "the two secrets made:\n{out}"
    );
    assert!(
        err.contains("The call for rows 3-4") && err.contains("items[0] is row 3"),
        "{err}"
    );
    assert!(
        err.contains("The calls before it created 2 tokens (rows 1-2)"),
        "{err}"
    );
    assert!(
        err.contains("Row 5, after it, was not sent") && err.contains("--skip 2"),
        "{err}"
    );
    assert_eq!(token_count(&srv), 7);

    // As it says: with the file fixed, --skip takes up where the import stopped.
    std::fs::write(
        &json,
        serde_json::to_string(&rows)
            .unwrap()
            .replace("2200-01-01", &expiry.to_string()),
    )
    .unwrap();
    let out = srv.ok(&["token", "import", &json, "--skip", "2", "--output", "csv"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "ID,NAME,USER,DEPARTMENT,USER TYPE,EXPIRES,TOKEN");
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[1].contains(",job-3,svc,Sales,Reader,"), "{out}");
    assert_eq!(token_count(&srv), 10);
}

#[test]
fn token_import_with_secrets_takes_over_the_keys_of_another_system_all_or_nothing() {
    let srv = Server::with_member("svc");
    let dir = Dir::new("migrate");
    let csv = dir.0.join("legacy.csv");
    std::fs::write(
        &csv,
        "secret,name,user\n\
         legacy_live_4f9c2a7e1b3d5f60,old gateway key,svc\n\
         short,too short,svc\n\
         legacy_live_4f9c2a7e1b3d5f60,the same again,svc\n",
    )
    .unwrap();
    let file = csv.display().to_string();
    // The dry run names each refused row (as a person counts them) and stores nothing.
    let (_, err) = srv.fails(&["token", "import", &file, "--dry-run"]);
    assert!(
        err.contains("Dry run: 1 key would be imported, 2 rows are refused"),
        "{err}"
    );
    assert!(
        err.contains("row 2: secret:") && err.contains("row 3: secret:"),
        "{err}"
    );
    assert!(err.contains("duplicate_secret"), "{err}");
    assert_eq!(token_count(&srv), 0);
    // For real, the same refusals, and still nothing.
    let (_, err) = srv.fails(&["token", "import", &file]);
    assert!(
        err.contains("nothing was imported: 2 rows are refused"),
        "{err}"
    );
    assert!(err.contains("row 2: secret:"), "{err}");
    assert!(!err.contains("legacy_live"), "no secret printed: {err}");
    assert_eq!(token_count(&srv), 0);
    // Fixed: imported as it is, and the integration's key works unchanged.
    std::fs::write(
        &csv,
        "secret,name,user\nlegacy_live_4f9c2a7e1b3d5f60,old gateway key,svc\n",
    )
    .unwrap();
    let out = srv.run(&["token", "import", &file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("old gateway key") && shown.contains("lega…5f60"),
        "{shown}"
    );
    assert!(
        !shown.contains("legacy_live_4f9c"),
        "the key is not printed: {shown}"
    );
    assert!(
        text(&out.stderr).contains("Imported 1 key"),
        "{}",
        text(&out.stderr)
    );
    let (ok, v) = srv.verify("legacy_live_4f9c2a7e1b3d5f60", &[]);
    assert!(ok, "the imported key works: {v}");
    // A file that mixes rows with and without a secret is refused before any call.
    std::fs::write(
        &csv,
        "secret,name,user\nlegacy_live_0000000000000001,a,svc\n,b,svc\n",
    )
    .unwrap();
    let (_, err) = srv.fails(&["token", "import", &file]);
    assert!(err.contains("row 2: no secret"), "{err}");
    assert_eq!(token_count(&srv), 1);
}

#[test]
fn token_bulk_delete_takes_ids_from_arguments_standard_input_or_a_filter() {
    let srv = Server::with_member("svc");
    let ids: Vec<String> = (1..=5)
        .map(|i| srv.token("svc", &format!("t{i}")).0)
        .collect();

    let out = srv.ok(&["token", "bulk-delete", &ids[0], &ids[1]]);
    assert_eq!(out, "Deleted 2 tokens in 1 call (at most 1000 each).\n");

    // From standard input, with an id deleted already: said, and the exit status says so.
    let out = with_stdin(
        &srv,
        &["token", "bulk-delete", "-", "--output", "csv"],
        &format!("{}\n{}\n", ids[2], ids[0]),
    );
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stdout),
        format!("id,outcome\n{},deleted\n{},not_found\n", ids[2], ids[0])
    );
    assert!(
        text(&out.stderr).contains("1 id named no token"),
        "{}",
        text(&out.stderr)
    );

    // A filter only counts until --yes.
    srv.ok(&["token", "revoke", &ids[3]]);
    let (_, err) = srv.fails(&["token", "bulk-delete", "--status", "revoked"]);
    assert!(
        err.contains("1 token matches the filter: add --yes"),
        "{err}"
    );
    assert_eq!(token_count(&srv), 2);
    let done = srv.json(&["token", "bulk-delete", "--status", "revoked", "--yes"]);
    assert_eq!(done["deleted"], serde_json::json!([ids[3]]));
    let left = srv.json(&["token", "list", "--user", "svc"]);
    assert_eq!(left["items"][0]["id"], ids[4].as_str());
    assert_eq!(left["total"], 1);

    let (_, err) = srv.fails(&["token", "bulk-delete"]);
    assert!(err.contains("give the ids to delete"), "{err}");
    let (_, err) = srv.fails(&["token", "bulk-delete", &ids[4], "--user", "svc"]);
    assert!(err.contains("not both"), "{err}");
    let (_, err) = srv.fails(&["token", "bulk-delete", "not-an-id"]);
    assert!(err.contains("\"not-an-id\" is not a token id"), "{err}");
}

#[test]
fn output_json_table_and_csv_are_the_same_choice_on_every_command() {
    let srv = Server::with_member("svc");
    srv.token("svc", "ci");
    // --json is --output json.
    for args in [
        &["department", "list"][..],
        &["user", "show", "svc"],
        &["settings", "show"],
    ] {
        let mut long = args.to_vec();
        long.extend(["--output", "json"]);
        let a: Value = serde_json::from_str(&srv.ok(&long)).unwrap();
        assert_eq!(a, srv.json(args), "{args:?}");
    }
    let table = srv.ok(&["token", "list"]);
    assert!(
        table.starts_with("ID ") && table.contains("  NAME "),
        "{table}"
    );
    assert_eq!(srv.ok(&["token", "list", "--output", "table"]), table);

    let csv = srv.ok(&["token", "list", "--output", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "ID,NAME,HINT,USER,DEPARTMENT,USER TYPE,STATUS,EXPIRES,LAST USED"
    );
    assert!(
        lines[1].contains(",ci,") && lines[1].contains(",svc,Sales,Reader,active,"),
        "{csv}"
    );
    // One object: its fields on one line.
    let csv = srv.ok(&["user", "show", "svc", "--output", "csv"]);
    let (header, row) = csv.split_once('\n').unwrap();
    assert!(header.split(',').any(|h| h == "username"), "{csv}");
    assert!(row.trim_end().split(',').any(|c| c == "svc"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "{csv}");

    let (_, err) = srv.fails(&["token", "list", "--json", "--output", "csv"]);
    assert!(err.contains("cannot be used with"), "{err}");
    let (_, err) = srv.fails(&["token", "list", "--output", "xml"]);
    assert!(err.contains("possible values: table, json, csv"), "{err}");
}

#[test]
fn the_inactivity_policy_is_set_from_the_command_line() {
    let srv = Server::start();
    let s = srv.json(&[
        "settings",
        "update",
        "--flag-unused-after-days",
        "90",
        "--revoke-unused-after-days",
        "180",
    ]);
    assert_eq!(s["flag_unused_after_days"], 90);
    assert_eq!(s["revoke_unused_after_days"], 180);
    let shown = srv.ok(&["settings", "show"]);
    assert!(shown.contains("flag unused after days"), "{shown}");
    assert!(shown.contains("180"), "{shown}");
    // Revoking before marking is refused, with the setting named.
    let (_, err) = srv.fails(&["settings", "update", "--revoke-unused-after-days", "30"]);
    assert!(err.contains("revoke_unused_after_days"), "{err}");
    assert_eq!(
        srv.json(&["settings", "show"])["revoke_unused_after_days"],
        180
    );
}
