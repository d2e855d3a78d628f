//! Forward auth and verify are answered without the router while request tracing is off
//! (`Edge`, `api::verify::direct`). The same requests, sent to an edge that routes
//! everything, get the same answers: status, every header and the body.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use keyward_server::edge::Edge;
use keyward_testkit::{Backend, TestApp};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

/// A request: method, address, headers and body.
type Case<'a> = (Method, &'a str, &'a [(&'a str, &'a str)], &'a str);

/// `(status, headers, body)` of `edge`'s answer to `method uri` with `headers` and `body`.
async fn answer(
    edge: &Edge,
    method: &Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut req = Request::builder().method(method.clone()).uri(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let mut req = req.body(Body::from(body.to_string())).unwrap();
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    let res = edge.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let mut h: Vec<_> = res
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    h.sort();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, h, body.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_answered_without_the_router_are_the_routers_answers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, _, secret) = app.svc_with_token("direct").await;
    let server = keyward_server::App {
        state: app.state.clone(),
        console: Arc::new(keyward_server::console::Console::new()),
    };
    let direct = server.service();
    assert!(
        direct.answers_directly(),
        "request tracing is off in this test binary, so checks skip the router"
    );
    let routed = Edge::new(
        server.router(),
        None,
        server.console.clone(),
        false,
        keyward_server::app::BODY_LIMIT,
    );
    let bearer = format!("Bearer {secret}");
    let by_id = format!("/auth/forward/{}", app.tenant_id);
    let auth = [("authorization", bearer.as_str())];
    let json = [("content-type", "application/json")];
    let valid = format!(r#"{{"token": "{secret}", "tenant": "acme"}}"#);
    let forbidden =
        format!(r#"{{"token": "{secret}", "tenant": "acme", "permission": "users:write"}}"#);
    let cases: Vec<Case> = vec![
        (Method::GET, "/auth/forward/acme", &auth, ""),
        (
            Method::GET,
            "/auth/forward/acme?permission=orders:read",
            &auth,
            "",
        ),
        (
            Method::GET,
            "/auth/forward/acme?permission=users:write",
            &auth,
            "",
        ),
        (Method::GET, "/auth/forward/acme?permission=", &auth, ""),
        (Method::GET, "/auth/forward/acme?rules=none", &auth, ""),
        (Method::GET, "/auth/forward/acme?nonsense=1", &auth, ""),
        (Method::GET, "/auth/forward/acme", &[], ""),
        (
            Method::GET,
            "/auth/forward/acme",
            &[("authorization", "Bearer kwa_nope")],
            "",
        ),
        (
            Method::GET,
            "/auth/forward/acme",
            &[("authorization", "Basic Zm9vOmJhcg==")],
            "",
        ),
        (Method::GET, "/auth/forward/no-such-tenant", &auth, ""),
        (Method::GET, &by_id, &auth, ""),
        (Method::GET, "/auth/forward", &auth, ""),
        (Method::GET, "/auth/forward/", &auth, ""),
        (Method::GET, "/auth/forward/ac%6De", &auth, ""),
        (Method::GET, "/auth/forward/acme/more", &auth, ""),
        (Method::GET, "/auth/forwardacme", &auth, ""),
        (Method::GET, "/auth/forward/acme%00", &auth, ""),
        (Method::HEAD, "/auth/forward/acme", &auth, ""),
        (Method::POST, "/auth/forward/acme", &auth, ""),
        (Method::POST, "/api/v1/verify", &json, &valid),
        (Method::POST, "/api/v1/verify", &json, &forbidden),
        (
            Method::POST,
            "/api/v1/verify",
            &json,
            r#"{"token": "kwa_nope", "tenant": "acme"}"#,
        ),
        (
            Method::POST,
            "/api/v1/verify",
            &json,
            r#"{"token": "kwa_nope"}"#,
        ),
        (Method::POST, "/api/v1/verify", &json, r#"{"token": 1}"#),
        (Method::POST, "/api/v1/verify", &json, "{"),
        (Method::POST, "/api/v1/verify", &[], &valid),
        (Method::POST, "/api/v1/verify?tenant=acme", &json, &valid),
        (
            Method::POST,
            "/api/v1/verify",
            &[
                ("content-type", "application/json"),
                ("authorization", "Bearer kwv_nope"),
            ],
            &valid,
        ),
        (Method::GET, "/api/v1/verify", &json, ""),
        (Method::POST, "/api/v1/verify/", &json, &valid),
    ];
    let mut valid_seen = 0;
    for (method, uri, headers, body) in &cases {
        let a = answer(&direct, method, uri, headers, body).await;
        let b = answer(&routed, method, uri, headers, body).await;
        assert_eq!(a, b, "{method} {uri} {body}");
        if a.0 == 200 {
            valid_seen += 1;
        }
    }
    // Not every case is a refusal: the comparison covers the prepared answers too.
    assert!(valid_seen >= 4, "{valid_seen} VALID answers");
}
