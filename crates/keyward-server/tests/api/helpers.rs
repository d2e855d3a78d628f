//! The test kit: a real keyward server on a free port, on SQLite or on PostgreSQL (in a
//! schema of its own), with a bootstrapped tenant and one-line arrange helpers.

use keyward_core::text::{TenantName, Username};
use keyward_server::{App, ServerConfig};
use serde_json::{json, Value};
use std::net::SocketAddr;

pub const PG_ENV: &str = "KEYWARD_TEST_DATABASE_URL";

/// The password of users made by [`TestApp::user_with_password`].
pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `body` against a fresh server on `backend`, or prints why it is skipped.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident => $body:ident;)*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                super::$body(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if std::env::var($crate::helpers::PG_ENV).is_err() {
                    eprintln!("skipped: {} is not set, so the PostgreSQL run of this test cannot happen", $crate::helpers::PG_ENV);
                    return;
                }
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await;
                super::$body(app).await;
            }
        }
    )*};
}

/// The same pair of tests for a server whose configuration `tweak` (a function of the
/// calling module) changes.
#[macro_export]
macro_rules! on_both_backends_with {
    ($tweak:ident: $($name:ident => $body:ident;)*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn_tweaked($crate::helpers::Backend::Sqlite, super::$tweak).await;
                super::$body(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if std::env::var($crate::helpers::PG_ENV).is_err() {
                    eprintln!("skipped: {} is not set, so the PostgreSQL run of this test cannot happen", $crate::helpers::PG_ENV);
                    return;
                }
                let app = $crate::helpers::TestApp::spawn_tweaked($crate::helpers::Backend::Postgres, super::$tweak).await;
                super::$body(app).await;
            }
        }
    )*};
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub admin_token: String,
    pub tenant_id: String,
    pub admin_id: String,
    pub config: ServerConfig,
    /// The running server's state, for arranging what the API itself refuses to do.
    pub state: keyward_server::AppState,
    _dir: tempfile::TempDir,
}

/// A user with one membership, ready to own tokens.
pub struct Member {
    pub user_id: String,
    pub department_id: String,
    pub user_type_id: String,
}

pub async fn pg_url_with_fresh_schema() -> String {
    let base = std::env::var(PG_ENV).expect("checked by caller");
    let schema = format!("kwt_{}", uuid::Uuid::new_v4().simple());
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options[search_path]={schema}")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let (config, dir) = Self::config(backend).await;
        Self::spawn_with(config, dir).await
    }

    /// A server whose configuration `tweak` changes.
    pub async fn spawn_tweaked(backend: Backend, tweak: fn(&mut ServerConfig)) -> Self {
        let (mut config, dir) = Self::config(backend).await;
        tweak(&mut config);
        Self::spawn_with(config, dir).await
    }

    /// A server started as `serve --single-tenant`, with its one tenant `acme`.
    pub async fn spawn_single_tenant(backend: Backend) -> Self {
        let (mut config, dir) = Self::config(backend).await;
        config.single_tenant = Some(true);
        Self::spawn_with(config, dir).await
    }

    async fn config(backend: Backend) -> (ServerConfig, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig::new(dir.path());
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        if let Backend::Postgres = backend {
            config.database_url = Some(pg_url_with_fresh_schema().await);
        }
        (config, dir)
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

    pub async fn spawn_with(config: ServerConfig, dir: tempfile::TempDir) -> Self {
        Self::start(config, dir, std::future::pending()).await.0
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
            &TenantName::parse("acme").unwrap(),
            &Username::parse("root").unwrap(),
            None,
        )
        .await
        .expect("bootstrap");
        let (tenant_id, admin_id, admin_token) = (
            b.tenant_id.to_string(),
            b.user_id.to_string(),
            b.token.expose().to_string(),
        );
        let state = app.state.clone();
        let handle = tokio::spawn(app.serve(listener, shutdown));
        let app = Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            admin_token,
            tenant_id,
            admin_id,
            config,
            state,
            _dir: dir,
        };
        (app, handle)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends `method path` with the administrator's token and an optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call_as(&self.admin_token.clone(), method, path, body)
            .await
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

    /// A user (technical unless said otherwise) with one membership granting `permissions`.
    pub async fn member(&self, username: &str, permissions: &[&str]) -> Member {
        let admin = self.admin_token.clone();
        self.member_as(&admin, username, permissions).await
    }

    /// The same, made by the administrator whose token is `admin` (of any tenant).
    pub async fn member_as(&self, admin: &str, username: &str, permissions: &[&str]) -> Member {
        let post = |path: &'static str, body: Value| async move {
            self.ok(
                201,
                self.call_as(admin, reqwest::Method::POST, path, Some(body))
                    .await,
            )
            .await
        };
        let d = post(
            "/api/v1/departments",
            json!({"name": format!("Dept of {username}")}),
        )
        .await;
        let t = post(
            "/api/v1/user-types",
            json!({"name": format!("Type of {username}"), "permissions": permissions}),
        )
        .await;
        let u = post(
            "/api/v1/users",
            json!({"username": username, "email": format!("{username}@example.com"),
                   "display_name": username, "is_technical": true}),
        )
        .await;
        let m = Member {
            user_id: u["id"].as_str().unwrap().into(),
            department_id: d["id"].as_str().unwrap().into(),
            user_type_id: t["id"].as_str().unwrap().into(),
        };
        self.ok(
            201,
            self.call_as(
                admin,
                reqwest::Method::POST,
                &format!("/api/v1/users/{}/memberships", m.user_id),
                Some(json!({"department_id": m.department_id, "user_type_id": m.user_type_id})),
            )
            .await,
        )
        .await;
        m
    }

    /// A second tenant on the same server, with its own administrator; returns
    /// (tenant id, administrator token).
    pub async fn other_tenant(&self, name: &str) -> (String, String) {
        let b = keyward_server::bootstrap::bootstrap(
            &self.state,
            &TenantName::parse(name).unwrap(),
            &Username::parse("hank").unwrap(),
            None,
        )
        .await
        .expect("bootstrap a second tenant");
        (b.tenant_id.to_string(), b.token.expose().to_string())
    }

    /// A user with the password [`PASSWORD`], for console and mobile login; returns the id.
    pub async fn user_with_password(&self, username: &str, is_admin: bool) -> String {
        let u = self
            .ok(
                201,
                self.post(
                    "/api/v1/users",
                    json!({"username": username, "email": format!("{username}@example.com"),
                           "display_name": format!("{username} (person)"), "is_admin": is_admin,
                           "password": PASSWORD}),
                )
                .await,
            )
            .await;
        u["id"].as_str().unwrap().to_string()
    }

    pub fn token_body(&self, m: &Member, name: &str) -> Value {
        json!({"name": name, "user_id": m.user_id, "department_id": m.department_id, "user_type_id": m.user_type_id})
    }

    /// Creates a token for `m`; returns (id, secret).
    pub async fn token(&self, m: &Member, name: &str) -> (String, String) {
        let t = self
            .ok(
                201,
                self.post("/api/v1/tokens", self.token_body(m, name)).await,
            )
            .await;
        (
            t["id"].as_str().unwrap().into(),
            t["token"].as_str().unwrap().into(),
        )
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

    /// A new verifier key (`kwv_…`) of the test tenant, for introspection and keyed checks.
    pub async fn verifier_key(&self, name: &str) -> String {
        let k = self
            .ok(
                201,
                self.post("/api/v1/verifier-keys", json!({"name": name}))
                    .await,
            )
            .await;
        k["token"].as_str().unwrap().to_string()
    }

    /// The verification code for `token` with optional permission, for the test tenant.
    pub async fn verify(&self, token: &str, permission: Option<&str>) -> String {
        let mut body = json!({"token": token, "tenant": "acme"});
        if let Some(p) = permission {
            body["permission"] = json!(p);
        }
        let res = self
            .http
            .post(self.url("/api/v1/verify"))
            .json(&body)
            .send()
            .await
            .expect("verify");
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        v["code"].as_str().unwrap().to_string()
    }
}
