//! [`TestApp`]: a real keyward server on a free loopback port, bootstrapped with the tenant
//! `acme` and its administrator `root`, and the raw HTTP helpers for tests of the wire
//! format itself (status codes, problem documents, headers, exact bodies).

use crate::pg::{pg_schema, PG_ENV};
use keyward_core::text::{TenantName, Username};
use keyward_server::{App, ServerConfig};
use serde_json::Value;
use std::net::SocketAddr;

/// A second node of a [`TestApp`] ([`TestApp::second_node`]); it stops when dropped.
pub struct Node {
    pub base: String,
    /// Its state: to flush what it gathered, or run its lifecycle pass.
    pub state: keyward_server::AppState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// The store a [`TestApp`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Whether a run on this store cannot happen here (no test PostgreSQL configured);
    /// says so on stderr when it cannot.
    pub fn skipped(self) -> bool {
        let skipped = self == Backend::Postgres && std::env::var(PG_ENV).is_err();
        if skipped {
            eprintln!(
                "skipped: {PG_ENV} is not set, so the PostgreSQL run of this test cannot happen"
            );
        }
        skipped
    }
}

pub struct TestApp {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    pub http: reqwest::Client,
    pub admin_token: String,
    pub tenant_id: String,
    pub admin_id: String,
    pub config: ServerConfig,
    /// The running server's state, for arranging what the API itself refuses to do.
    pub state: keyward_server::AppState,
    pub(crate) client: keyward_client::Client,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_adjusted(backend, |_| {}).await
    }

    /// A server whose configuration `tweak` changes (the form `on_both_backends!`'s
    /// `name => body with tweak;` takes).
    pub async fn spawn_tweaked(backend: Backend, tweak: fn(&mut ServerConfig)) -> Self {
        Self::spawn_adjusted(backend, tweak).await
    }

    /// A server started as `serve --single-tenant`, with its one tenant `acme`.
    pub async fn spawn_single_tenant(backend: Backend) -> Self {
        Self::spawn_adjusted(backend, |c| c.single_tenant = Some(true)).await
    }

    /// A server whose configuration `adjust` changes first.
    pub async fn spawn_adjusted(backend: Backend, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let (mut config, dir) = Self::config(backend).await;
        adjust(&mut config);
        Self::spawn_with(config, dir).await
    }

    /// The same, stopped by sending on (or dropping) the returned sender; the handle
    /// completes when the server's `serve` has returned.
    pub async fn spawn_stoppable(
        backend: Backend,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> (
        Self,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    ) {
        let (mut config, dir) = Self::config(backend).await;
        adjust(&mut config);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (app, handle) = Self::start(config, dir, async move {
            let _ = rx.await;
        })
        .await;
        (app, tx, handle)
    }

    /// A server on a configuration made by the caller, with its data in `dir`.
    pub async fn spawn_with(config: ServerConfig, dir: tempfile::TempDir) -> Self {
        Self::start(config, dir, std::future::pending()).await.0
    }

    async fn config(backend: Backend) -> (ServerConfig, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig::new(dir.path());
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        if let Backend::Postgres = backend {
            config.database_url =
                Some(pg_schema("kwt").await.unwrap_or_else(|| {
                    panic!("{PG_ENV} is not set: check Backend::skipped first")
                }));
        }
        (config, dir)
    }

    async fn start(
        mut config: ServerConfig,
        dir: tempfile::TempDir,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> (Self, tokio::task::JoinHandle<anyhow::Result<()>>) {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // A test that gives an https URL keeps it: nothing here speaks TLS, but the URL
        // decides what keyward says (HSTS, Secure cookies).
        if !config.public_url.starts_with("https://") {
            config.public_url = format!("http://{addr}");
        }
        let app = App::build(config.clone()).await.expect("build app");
        let b = keyward_server::bootstrap::bootstrap(
            &app.state,
            &TenantName::parse(crate::TENANT).unwrap(),
            &Username::parse("root").unwrap(),
            None,
        )
        .await
        .expect("bootstrap");
        let base = format!("http://{addr}");
        let admin_token = b.token.expose().to_string();
        let client = keyward_client::Client::new(&base, Some(admin_token.clone()))
            .expect("a client for the test server");
        let state = app.state.clone();
        let handle = tokio::spawn(app.serve(listener, shutdown));
        let app = Self {
            base,
            http: reqwest::Client::new(),
            admin_token,
            tenant_id: b.tenant_id.to_string(),
            admin_id: b.user_id.to_string(),
            config,
            state,
            client,
            _dir: dir,
        };
        (app, handle)
    }

    /// The typed client, logged in as the bootstrapped administrator.
    pub fn client(&self) -> keyward_client::Client {
        self.client.clone()
    }

    /// A typed client sending `token` (another administrator's, or none).
    pub fn client_as(&self, token: Option<&str>) -> keyward_client::Client {
        keyward_client::Client::new(&self.base, token.map(str::to_string))
            .expect("a client for the test server")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends `method path` with the administrator's token and an optional JSON body;
    /// the status and the body (JSON, or the text as a JSON string).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call_as(&self.admin_token, method, path, body).await
    }

    pub async fn call_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    /// Asserts the status and returns the body.
    pub async fn ok(&self, expected: u16, (status, body): (u16, Value)) -> Value {
        assert_eq!(status, expected, "unexpected status; body: {body}");
        body
    }

    /// `GET path`, asserting 200; the body.
    pub async fn get_ok(&self, path: &str) -> Value {
        self.ok(200, self.get(path).await).await
    }

    /// `POST path`, asserting 200; the body.
    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        self.ok(200, self.post(path, body).await).await
    }

    /// `POST path`, asserting 201 Created; the body.
    pub async fn post_created(&self, path: &str, body: Value) -> Value {
        self.ok(201, self.post(path, body).await).await
    }

    /// `PATCH path`, asserting 200; the body.
    pub async fn patch_ok(&self, path: &str, body: Value) -> Value {
        self.ok(200, self.patch(path, body).await).await
    }

    /// `GET path` with `token` instead of the administrator's; the status and the body.
    pub async fn get_as(&self, token: &str, path: &str) -> (u16, Value) {
        self.call_as(token, reqwest::Method::GET, path, None).await
    }

    /// `POST path` with no body at all (the routes that take none); the status and the body.
    pub async fn post_empty(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, None).await
    }

    /// `POST path` with no body at all, asserting 200; the body.
    pub async fn post_empty_ok(&self, path: &str) -> Value {
        self.ok(200, self.post_empty(path).await).await
    }

    /// A second handle on this server's database, as another node of a cluster (or a
    /// `keyward` command beside the running server) opens it.
    pub async fn other_store(&self) -> keyward_store::Store {
        match &self.config.database_url {
            Some(url) => keyward_store::Store::open(url).await,
            None => keyward_store::Store::open_sqlite_dir(&self.config.data_dir).await,
        }
        .expect("open the server's store a second time")
    }

    /// A second node on this server's storage and server key, as an operator runs
    /// several: it learns of this one's changes only through the change feed.
    pub async fn second_node(&self) -> Node {
        let mut config = self.config.clone();
        config.listen = ([127, 0, 0, 1], 0).into();
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .expect("a free port for the second node");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let app = App::build(config).await.expect("a second node");
        let state = app.state.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        Node {
            base,
            state,
            _stop: stop,
        }
    }

    /// The code `POST {base}/api/v1/verify` answers for `token` of the test tenant: this
    /// server's base, or a [`Node`]'s.
    pub async fn verify_at(&self, base: &str, token: &str) -> String {
        let v: Value = self
            .http
            .post(format!("{base}/api/v1/verify"))
            .json(&serde_json::json!({"token": token, "tenant": crate::TENANT}))
            .send()
            .await
            .expect("verify answers")
            .json()
            .await
            .expect("verify answers JSON");
        v["code"].as_str().expect("a code").to_string()
    }

    /// Waits until `base` answers `want` for `token`: another node learns of a change
    /// through the change feed, within its staleness bound (3 s here, with room).
    pub async fn wait_for_code_at(&self, base: &str, token: &str, want: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        loop {
            let code = self.verify_at(base, token).await;
            if code == want {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{base} still answers {code}, not {want}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Assigns endpoint token `token_id` to endpoint `endpoint_id`, switched on or off
    /// (asserting 200 or 201); the status.
    pub async fn assign(&self, endpoint_id: &str, token_id: &str, enabled: bool) -> u16 {
        let (status, body) = self
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/endpoints/{endpoint_id}/assignments/{token_id}"),
                Some(serde_json::json!({"enabled": enabled})),
            )
            .await;
        assert!(status == 200 || status == 201, "{status} {body}");
        status
    }

    /// The status of a POST of a small record to the test tenant's hosted endpoint `path`
    /// with `token`.
    pub async fn post_record_with(&self, path: &str, token: &str) -> u16 {
        self.http
            .post(self.url(&format!("/e/{}/{path}", crate::TENANT)))
            .bearer_auth(token)
            .json(&serde_json::json!({"n": 1}))
            .send()
            .await
            .expect("the hosted endpoint answers")
            .status()
            .as_u16()
    }

    /// The server's OpenAPI document.
    pub async fn openapi(&self) -> Value {
        self.http
            .get(self.url("/openapi.json"))
            .send()
            .await
            .expect("openapi.json")
            .json()
            .await
            .expect("openapi.json is JSON")
    }
}
