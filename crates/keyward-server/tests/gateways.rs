//! keyward behind the real reverse proxies people put in front of their APIs, each run
//! from Debian's package with the very configuration the docs ship (`docs/nginx.conf`,
//! `docs/Caddyfile`, and keyward with `docs/forward-rules.toml`: one gateway line for
//! the whole API, each path's permission from the forwarded method and path),
//! in front of a small upstream, all on loopback ports. Without the program the test is
//! skipped with a printed reason, except under `CI=true`, where `.ci/run` installs it and
//! a missing one fails.

use keyward_testkit::{free_port, Running, TestApp};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn program(name: &str, package: &str) -> Option<PathBuf> {
    let found = ["/usr/sbin", "/usr/bin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists());
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{name} is not installed, and CI=true: .ci/run installs it");
        }
        eprintln!("skipped: {name} is not installed (Debian: apt-get install {package})");
    }
    found
}

async fn wait_listening(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A gateway run in the foreground from a directory of its own; killed when dropped.
struct Gateway {
    _child: Running,
    _dir: tempfile::TempDir,
}

/// `docs/nginx.conf` with its documented placeholders filled in.
fn site(keyward: &str, upstream: SocketAddr, port: u16) -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/nginx.conf"
    ))
    .expect("docs/nginx.conf");
    for placeholder in ["127.0.0.1:8080", "127.0.0.1:9000", "listen 8443;"] {
        assert!(
            doc.contains(placeholder),
            "docs/nginx.conf lost {placeholder:?}"
        );
    }
    doc.replace("127.0.0.1:8080", keyward)
        .replace("127.0.0.1:9000", &upstream.to_string())
        .replace("listen 8443;", &format!("listen 127.0.0.1:{port};"))
}

async fn start_nginx(bin: &Path, sites: &[String], ports: &[u16]) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let includes: String = sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = dir.path().join(format!("site{i}.conf"));
            std::fs::write(&p, s).unwrap();
            format!("    include {};\n", p.display())
        })
        .collect();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n{includes}}}\n"
    );
    let conf_path = dir.path().join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&conf_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let log = dir.path().join("error.log");
    for p in ports {
        wait_listening(*p, "nginx", &log).await;
    }
    Gateway {
        _child: Running(child),
        _dir: dir,
    }
}

/// The protected service: answers 200 with the headers it was given.
async fn upstream() -> SocketAddr {
    use axum::http::HeaderMap;
    async fn echo(headers: HeaderMap) -> axum::Json<Value> {
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        axum::Json(json!({
            "principal": h("x-keyward-principal"),
            "tenant": h("x-keyward-tenant"),
            "permissions": h("x-keyward-permissions"),
            "authorization": h("authorization"),
        }))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(echo);
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn through(
    port: u16,
    token: Option<&str>,
    forwarded_for: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    request(
        port,
        "GET",
        "/orders/1",
        token,
        &[("x-forwarded-for", forwarded_for)],
    )
    .await
}

/// `method path` through the gateway on `port`, with the headers given a value.
async fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, Option<&str>)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(method, format!("http://127.0.0.1:{port}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (name, value) in headers {
        if let Some(v) = value {
            req = req.header(*name, *v);
        }
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap_or_default())
}

/// The status of a GET of `target` written byte for byte: an HTTP client library would
/// resolve `..` and `%2e%2e` itself before sending, and the attack would not be tried.
async fn raw_status(port: u16, target: &str, token: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
}

/// A keyward that trusts the proxies on this host, as the docs tell operators to start it.
async fn keyward_behind_a_proxy() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = keyward_server::ServerConfig::new(dir.path());
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    config.forward_rules = documented_rules();
    TestApp::spawn_with(config, dir).await
}

/// The forward rules of `docs/forward-rules.toml`, read as `keyward serve --config` reads
/// that section.
fn documented_rules() -> std::collections::BTreeMap<String, keyward_core::forward::ForwardRules> {
    #[derive(serde::Deserialize)]
    struct File {
        forward_rules: std::collections::BTreeMap<String, Vec<keyward_core::forward::RuleSpec>>,
    }
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/forward-rules.toml"
    ))
    .expect("docs/forward-rules.toml");
    let file: File = toml::from_str(&text).expect("docs/forward-rules.toml parses");
    file.forward_rules
        .into_iter()
        .map(|(name, specs)| {
            let rules = keyward_core::forward::ForwardRules::new(&specs)
                .unwrap_or_else(|e| panic!("docs/forward-rules.toml: {name}: {e}"));
            (name, rules)
        })
        .collect()
}

/// What a gateway test sets up: keyward trusting the gateway, the service behind it,
/// the gateway's port and a second one whose configuration points at no keyward.
struct Stage {
    app: TestApp,
    /// keyward's `host:port`, as a gateway's configuration names it.
    keyward: String,
    service: SocketAddr,
    port: u16,
    dead_port: u16,
    /// A `host:port` where no keyward runs.
    nowhere: String,
}

impl Stage {
    /// The stage for the gateway program `name` (from the Debian package `package`), or
    /// `None` where it is not installed; with the program's path.
    async fn new(name: &str, package: &str) -> Option<(PathBuf, Self)> {
        let bin = program(name, package)?;
        let app = keyward_behind_a_proxy().await;
        let keyward = app.base.trim_start_matches("http://").to_string();
        let stage = Stage {
            app,
            keyward,
            service: upstream().await,
            port: free_port(),
            dead_port: free_port(),
            nowhere: format!("127.0.0.1:{}", free_port()),
        };
        Some((bin, stage))
    }
}

/// What every gateway must do, through `port` (a gateway in front of `app`) and
/// `dead_port` (the same configuration with no keyward behind it).
async fn protects_the_api(app: &TestApp, port: u16, dead_port: u16, down_status: u16) {
    let (m, id, token) = app.svc_with_token("orders client").await;

    let (status, h, _) = through(port, None, None).await;
    assert_eq!(status, 401);
    assert!(h["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));

    let (status, _, body) = through(port, Some(&token), None).await;
    assert_eq!(status, 200, "{body}");
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["principal"], "acme/svc");
    assert_eq!(seen["tenant"], "acme");
    assert_eq!(seen["permissions"], "orders:read");
    assert!(
        seen["authorization"].is_null(),
        "the token is not passed on"
    );

    let other = app.member("reporting", &["reports:read"]).await;
    let (_, narrow) = app.token(&other, "reports client").await;
    assert_eq!(through(port, Some(&narrow), None).await.0, 403);

    // One gateway line, two prefixes with two permissions (docs/forward-rules.toml).
    let to = |method, path, token| request(port, method, path, Some(token), &[]);
    assert_eq!(to("GET", "/reports/7", &narrow).await.0, 200);
    assert_eq!(to("GET", "/reports/7", &token).await.0, 403);
    let (status, h, _) = to("DELETE", "/orders/1", &token).await;
    assert_eq!(
        status, 403,
        "DELETE needs orders:delete, which the token lacks"
    );
    assert!(h["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    let (status, h, _) = to("POST", "/orders/1", &token).await;
    assert_eq!(status, 403, "no rule maps POST /orders");
    assert!(!h.contains_key("x-keyward-principal"));
    // The client cannot name another path than the one it requests, in either pair.
    let claims = [
        ("x-forwarded-method", Some("GET")),
        ("x-forwarded-uri", Some("/reports/7")),
        ("x-original-method", Some("GET")),
        ("x-original-uri", Some("/reports/7")),
    ];
    let (status, _, body) = request(port, "GET", "/orders/1", Some(&narrow), &claims).await;
    assert_eq!(
        status, 403,
        "the client's own forwarded-request headers reached keyward: {body}"
    );
    // Dot segments are resolved before matching, and an encoded one is refused.
    assert_eq!(raw_status(port, "/orders/../reports/7", &token).await, 403);
    assert_eq!(
        raw_status(port, "/orders/%2e%2e/reports/7", &narrow).await,
        403
    );
    assert_eq!(raw_status(port, "/reports/./7", &narrow).await, 200);

    // Finding 2: the allowlist sees the address the gateway saw, whatever the client claims.
    let allow = |cidr: &str| {
        let mut b = app.token_body(&m, &format!("allowlisted {cidr}"));
        b["allowed_cidrs"] = json!([cidr]);
        b
    };
    let spoofable = app
        .post_created("/api/v1/tokens", allow("10.9.9.9/32"))
        .await;
    let spoofable = spoofable["token"].as_str().unwrap();
    let (status, h, _) = through(port, Some(spoofable), Some("10.9.9.9")).await;
    assert_eq!(
        status, 403,
        "a client-written X-Forwarded-For passed the allowlist"
    );
    assert!(
        h["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope"),
        "{h:?}"
    );
    let local = app
        .post_created("/api/v1/tokens", allow("127.0.0.1/32"))
        .await;
    let local = local["token"].as_str().unwrap();
    assert_eq!(
        through(port, Some(local), Some("10.9.9.9")).await.0,
        200,
        "the address the gateway saw is the one checked"
    );

    let (_, globex) = app.other_tenant("globex").await;
    assert_eq!(through(port, Some(&globex), None).await.0, 401);

    app.post(&format!("/api/v1/tokens/{id}/revoke"), json!({}))
        .await;
    let (status, h, _) = through(port, Some(&token), None).await;
    assert_eq!(status, 401);
    assert!(h["www-authenticate"].to_str().unwrap().contains("REVOKED"));

    // keyward unreachable: the gateway refuses, the API stays closed.
    let (status, _, _) = through(dead_port, Some(local), None).await;
    assert_eq!(status, down_status);
}

/// nginx `auth_request` as `docs/nginx.conf` sets it up: no token 401 with the challenge,
/// a good one reaches the service with who it is, a missing permission 403, a revoked
/// token 401 at the next request, another tenant's token 401, keyward down: closed.
/// And finding 2 of the hardening issue: with keyward trusting this nginx, a client's own
/// `X-Forwarded-For` does not pass an IP allowlist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_auth_request_protects_an_api_and_a_spoofed_forwarded_for_passes_no_allowlist() {
    let Some((bin, stage)) = Stage::new("nginx", "nginx-light").await else {
        return;
    };
    let Stage {
        app,
        keyward,
        service,
        port,
        dead_port,
        nowhere,
    } = stage;
    let _nginx = start_nginx(
        &bin,
        &[
            site(&keyward, service, port),
            // The same configuration with keyward not running behind it.
            site(&nowhere, service, dead_port),
        ],
        &[port, dead_port],
    )
    .await;
    protects_the_api(&app, port, dead_port, 500).await;
}

/// Caddy `forward_auth` as `docs/Caddyfile` sets it up: the same promises as nginx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_forward_auth_protects_an_api_and_a_spoofed_forwarded_for_passes_no_allowlist() {
    let Some((bin, stage)) = Stage::new("caddy", "caddy").await else {
        return;
    };
    let (app, keyward, service) = (stage.app, stage.keyward, stage.service);
    let (port, dead_port, nowhere) = (stage.port, stage.dead_port, stage.nowhere);
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/Caddyfile"))
        .expect("docs/Caddyfile");
    for placeholder in ["127.0.0.1:8080", "127.0.0.1:9000", ":8443 {"] {
        assert!(
            doc.contains(placeholder),
            "docs/Caddyfile lost {placeholder:?}"
        );
    }
    let fill = |k: &str, p: u16| {
        doc.replace("127.0.0.1:8080", k)
            .replace("127.0.0.1:9000", &service.to_string())
            .replace(":8443 {", &format!("http://127.0.0.1:{p} {{"))
    };
    let dir = tempfile::tempdir().unwrap();
    let conf = format!(
        "{{\n\tadmin off\n\tauto_https off\n}}\n{}\n{}",
        fill(&keyward, port),
        fill(&nowhere, dead_port)
    );
    let path = dir.path().join("Caddyfile");
    std::fs::write(&path, conf).unwrap();
    let log = dir.path().join("caddy.log");
    let child = Command::new(bin)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&path)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start caddy");
    let _caddy = Gateway {
        _child: Running(child),
        _dir: dir,
    };
    wait_listening(port, "caddy", &log).await;
    wait_listening(dead_port, "caddy", &log).await;
    protects_the_api(&app, port, dead_port, 502).await;
}
