//! `KeywardLayer` in front of the example's axum service, checking tokens with a real
//! keyward: who gets through, with which principal, and what everyone else is answered.

#[allow(dead_code)] // the example's `main`; the tests take its router
#[path = "../examples/protected_service.rs"]
mod example;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use keyward_client::{Client, KeywardLayer, Timestamp};
use keyward_testkit::{on_both_backends, Backend, TestApp};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tower::ServiceExt;

/// The example service, checking with `app`'s keyward through a new verifier key; the
/// layer is `adjust`ed first (its cache bound, say).
async fn service(app: &TestApp, adjust: impl FnOnce(KeywardLayer) -> KeywardLayer) -> Router {
    let key = app.verifier_key("orders-service").await;
    let client = Client::new(&app.base, None).expect("a client for the test server");
    example::router(adjust(KeywardLayer::new(client, key)))
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn challenge(&self) -> &str {
        self.headers
            .get(header::WWW_AUTHENTICATE)
            .map_or("", |v| v.to_str().unwrap())
    }

    fn code(&self) -> &str {
        self.headers
            .get("x-keyward-code")
            .map_or("", |v| v.to_str().unwrap())
    }
}

/// `GET path` with `authorization` (a whole header value), as a client of the service.
fn request(path: &str, authorization: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path);
    if let Some(a) = authorization {
        req = req.header(header::AUTHORIZATION, a);
    }
    req.body(Body::empty()).unwrap()
}

async fn get_with(service: &Router, path: &str, authorization: Option<&str>) -> Answer {
    send(service, request(path, authorization)).await
}

/// `GET path` with `token`, from a client at `peer` (as axum's connect info says).
async fn get_from(service: &Router, path: &str, token: &str, peer: [u8; 4]) -> Answer {
    let mut req = request(path, Some(&format!("Bearer {token}")));
    let peer = SocketAddr::from((peer, 40_000));
    req.extensions_mut().insert(ConnectInfo(peer));
    send(service, req).await
}

async fn send(service: &Router, req: Request<Body>) -> Answer {
    let res = service.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 1 << 16)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

async fn get(service: &Router, path: &str, token: &str) -> Answer {
    get_with(service, path, Some(&format!("Bearer {token}"))).await
}

/// Asks until `done` holds of the answer; how long that took. Fails after `within`.
async fn until(
    service: &Router,
    token: &str,
    within: Duration,
    done: impl Fn(&Answer) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        if done(&get(service, "/me", token).await) {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

on_both_backends! {
    a_good_token_reaches_the_handler_with_its_principal => good_token;
    a_request_without_a_bearer_token_gets_the_bare_challenge => no_token;
    an_unknown_token_is_an_invalid_token => unknown_token;
    a_token_of_another_tenant_is_an_invalid_token => other_tenant;
    a_token_without_the_routes_permission_gets_insufficient_scope => missing_permission;
    a_revoked_token_is_refused_within_the_cache_bound => revoked;
    a_good_answer_is_not_kept_past_the_tokens_expiry => expiring;
    an_address_allowlist_is_checked_against_the_services_client => allowlist;
    a_verifier_key_keyward_does_not_know_refuses_every_request => wrong_key;
}

on_both_backends! { backend:
    with_keyward_stopped_only_what_was_verified_within_the_bound_gets_through => stopped;
}

async fn good_token(app: TestApp) {
    let (_, token_id, token) = app.svc_with_token("orders").await;
    let svc = service(&app, |l| l).await;
    let me = get(&svc, "/me", &token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.code());
    assert_eq!(me.body, "svc of Dept of svc (Type of svc): orders:read");
    let orders = get(&svc, "/orders", &token).await;
    assert_eq!(orders.status, StatusCode::OK);
    assert_eq!(orders.body, "the orders svc may read");
    // The principal is keyward's answer, typed, as a handler receives it.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let keep = seen.clone();
    let key = app.verifier_key("probe").await;
    let layer = KeywardLayer::new(Client::new(&app.base, None).unwrap(), key);
    let probe = Router::new().route(
        "/",
        axum::routing::get(
            move |axum::Extension(p): axum::Extension<keyward_client::Principal>| async move {
                *keep.lock().unwrap() = Some(p);
            },
        )
        .layer(layer),
    );
    assert_eq!(get(&probe, "/", &token).await.status, StatusCode::OK);
    let p = seen.lock().unwrap().take().expect("the handler ran");
    assert_eq!(p.token_id.to_string(), token_id);
    assert_eq!(p.tenant_id.to_string(), app.tenant_id);
    assert_eq!(p.kind, keyward_client::TokenKind::Api);
    assert_eq!(p.permissions, ["orders:read"]);
}

async fn no_token(app: TestApp) {
    let svc = service(&app, |l| l.realm("orders")).await;
    for authorization in [None, Some("Basic dXNlcjpwYXNz"), Some("Bearer ")] {
        let res = get_with(&svc, "/orders", authorization).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{authorization:?}");
        // RFC 6750 §3.1: no error code when no credential was presented.
        assert_eq!(
            res.challenge(),
            "Bearer realm=\"orders\"",
            "{authorization:?}"
        );
        assert_eq!(res.body, "");
    }
}

async fn unknown_token(app: TestApp) {
    let svc = service(&app, |l| l).await;
    let res = get(&svc, "/me", "kwa_thisisnotatokenkeywardhasevermade").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(
        res.challenge().starts_with(
            "Bearer realm=\"keyward\", error=\"invalid_token\", error_description=\"NOT_FOUND: "
        ),
        "{}",
        res.challenge()
    );
    assert_eq!(res.code(), "NOT_FOUND");
}

async fn other_tenant(app: TestApp) {
    // The other tenant's administrator token is good there, and unknown to acme's key.
    let (_, theirs) = app.other_tenant("globex").await;
    let svc = service(&app, |l| l).await;
    let res = get(&svc, "/me", &theirs).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(
        res.challenge().contains("error=\"invalid_token\""),
        "{}",
        res.challenge()
    );
    assert_eq!(res.code(), "NOT_FOUND");
    assert_eq!(res.body, "");
}

async fn missing_permission(app: TestApp) {
    let m = app.member("reporting", &["reports:read"]).await;
    let (_, token) = app.token(&m, "reports").await;
    let svc = service(&app, |l| l).await;
    assert_eq!(get(&svc, "/me", &token).await.status, StatusCode::OK);
    let res = get(&svc, "/orders", &token).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(
        res.challenge()
            .starts_with("Bearer realm=\"keyward\", error=\"insufficient_scope\""),
        "{}",
        res.challenge()
    );
    assert_eq!(res.code(), "FORBIDDEN");
    // The same token on /me is still good: the answers are kept per permission asked.
    assert_eq!(get(&svc, "/me", &token).await.status, StatusCode::OK);
}

async fn revoked(app: TestApp) {
    let (_, id, token) = app.svc_with_token("orders").await;
    let uncached = service(&app, |l| l.max_age(Duration::ZERO)).await;
    let bound = Duration::from_millis(300);
    let cached = service(&app, |l| l.max_age(bound)).await;
    assert_eq!(get(&uncached, "/me", &token).await.status, StatusCode::OK);
    assert_eq!(get(&cached, "/me", &token).await.status, StatusCode::OK);
    app.revoke_token(&id).await;

    let res = get(&uncached, "/me", &token).await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "the very next request"
    );
    assert_eq!(res.code(), "REVOKED");
    // Kept for the bound, then asked again: refused at the latest one bound later.
    let waited = until(&cached, &token, Duration::from_secs(1), |a| {
        a.status == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(waited <= bound + Duration::from_millis(200), "{waited:?}");
}

async fn expiring(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let mut req = m.create_token("short-lived");
    let expires = OffsetDateTime::now_utc() + time::Duration::milliseconds(800);
    req.expires_at = Some(Timestamp(expires));
    let (_, token) = keyward_testkit::token(&app.client(), &req).await;
    // A bound far longer than the token has left.
    let svc = service(&app, |l| l.max_age(Duration::from_secs(30))).await;
    assert_eq!(get(&svc, "/me", &token).await.status, StatusCode::OK);
    until(&svc, &token, Duration::from_secs(2), |a| {
        a.status == StatusCode::UNAUTHORIZED && a.code() == "EXPIRED"
    })
    .await;
    assert!(OffsetDateTime::now_utc() >= expires);
}

async fn stopped(backend: Backend) {
    let (app, stop, serving) = TestApp::spawn_stoppable(backend, |_| {}).await;
    let (m, _, seen) = app.svc_with_token("orders").await;
    let (_, unseen) = app.token(&m, "other").await;
    let svc = service(&app, |l| l.max_age(Duration::from_secs(30))).await;
    assert_eq!(get(&svc, "/me", &seen).await.status, StatusCode::OK);
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();

    // Fail closed: nothing keyward has not answered gets through.
    let res = get(&svc, "/me", &unseen).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.code(), "verifier_unavailable");
    let res = get(&svc, "/orders", &seen).await;
    assert_eq!(
        res.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "another permission"
    );
    // What keyward answered a moment ago is still good for the bound.
    assert_eq!(get(&svc, "/me", &seen).await.status, StatusCode::OK);
}

async fn allowlist(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let mut req = m.create_token("office");
    req.allowed_cidrs = vec!["10.0.0.0/8".parse().unwrap()];
    let (_, office) = keyward_testkit::token(&app.client(), &req).await;
    // Allowed from where this service runs: without the client's address it would pass.
    req.allowed_cidrs = vec!["127.0.0.0/8".parse().unwrap()];
    req.name = "loopback".parse().unwrap();
    let (_, loopback) = keyward_testkit::token(&app.client(), &req).await;
    let svc = service(&app, |l| l).await;

    assert_eq!(
        get_from(&svc, "/me", &office, [10, 1, 2, 3]).await.status,
        StatusCode::OK
    );
    let res = get_from(&svc, "/me", &office, [192, 0, 2, 7]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.code(), "IP_NOT_ALLOWED");
    assert!(
        res.challenge().contains("error=\"insufficient_scope\""),
        "{}",
        res.challenge()
    );
    let res = get_from(&svc, "/me", &loopback, [192, 0, 2, 7]).await;
    assert_eq!(
        res.code(),
        "IP_NOT_ALLOWED",
        "the service's own address is not the client's"
    );
    // The answers are kept per address: the allowed one still passes.
    assert_eq!(
        get_from(&svc, "/me", &office, [10, 1, 2, 3]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_keyward_that_does_not_answer_is_a_503_after_the_clients_timeout() {
    // Takes the connection and never answers, as a keyward stuck behind a dead network.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let client = Client::new(&url, None)
        .unwrap()
        .with_timeout(Duration::from_millis(200));
    let svc = example::router(KeywardLayer::new(client, "kwv_unused"));
    let start = Instant::now();
    let res = get(&svc, "/me", "kwa_anything").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    drop(silent);
}

async fn wrong_key(app: TestApp) {
    let (_, _, token) = app.svc_with_token("orders").await;
    let client = Client::new(&app.base, None).unwrap();
    let svc = example::router(KeywardLayer::new(
        client,
        "kwv_notakeyofthistenantatallreally",
    ));
    let res = get(&svc, "/me", &token).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.code(), "verifier_key_refused");
}
