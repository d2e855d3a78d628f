//! The verification codes of SPEC §4 through all three routes, which must agree.

use keyward_testkit::client::{CreateToken, RateLimit, Timestamp, UpdateToken};
use keyward_testkit::on_both_backends;
use keyward_testkit::{send, token, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

on_both_backends! {
    malformed_unknown_and_deleted_tokens_are_not_found => not_found;
    expired_token_is_refused_once_its_time_passes => expired;
    permission_department_and_membership_decide_forbidden => forbidden;
    ip_allowlist_refuses_other_addresses => ip_allowlist;
    introspection_follows_rfc_7662 => introspection;
    forward_auth_answers_proxies_with_headers_and_challenges => forward_auth;
    forward_rules_take_the_permission_from_the_forwarded_method_and_path => forward_rules with shop_rules;
    all_routes_agree_on_a_revoked_token => routes_agree;
    permission_change_is_seen_by_the_next_check => permission_change;
    change_by_another_process_is_seen_within_a_second => other_process;
    rate_limited_token_is_refused_past_its_limit_with_retry_after => rate_limit;
    counted_token_stops_when_its_uses_are_spent => usage_counter;
}

async fn not_found(app: TestApp) {
    let (m, id, secret) = app.svc_with_token("t").await;
    let v = app
        .verify_body(json!({"token": secret, "permission": "orders:read"}))
        .await;
    assert_eq!(v["valid"], true);
    assert_eq!(v["code"], "VALID");
    assert_eq!(v["user"]["username"], "svc");
    assert_eq!(v["department"]["id"], m.department_id.as_str());
    assert_eq!(v["user_type"]["id"], m.user_type_id.as_str());
    assert_eq!(v["permissions"], json!(["orders:read"]));
    assert_eq!(v["tenant_id"], app.tenant_id.as_str());
    assert_eq!(v["kind"], "api");
    assert!(v["expires_at"].is_string());

    let mut typo = secret.clone().into_bytes();
    typo[20] = if typo[20] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    // A well-formed token that was never issued: right shape, right checksum.
    let unknown = keyward_core::TokenSecret::generate(keyward_core::TokenKind::Api);
    for bad in ["", "kwa_short", "Bearer x", typo.as_str(), unknown.expose()] {
        let v = app.verify_body(json!({"token": bad})).await;
        assert_eq!(
            (v["valid"].as_bool(), v["code"].as_str()),
            (Some(false), Some("NOT_FOUND")),
            "{bad:?}"
        );
        assert!(v["user"].is_null());
    }
    app.delete(&format!("/api/v1/tokens/{id}")).await;
    assert_eq!(app.verify(&secret, None).await, "NOT_FOUND");
}

async fn expired(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let short_lived = CreateToken {
        expires_at: Some(Timestamp(soon)),
        ..m.create_token("short-lived")
    };
    let (id, secret) = token(&app.client(), &short_lived).await;
    let secret = secret.as_str();
    assert_eq!(app.verify(secret, None).await, "VALID");
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.verify(secret, None).await != "EXPIRED" {
        assert!(Instant::now() < deadline, "token did not expire");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let list = app.get_ok("/api/v1/tokens?status=expired").await;
    assert_eq!(list["items"][0]["id"], id.as_str());
}

async fn forbidden(app: TestApp) {
    let m = app.member("svc", &["orders:read", "invoices:*"]).await;
    let (_, secret) = app.token(&m, "t").await;
    assert_eq!(app.verify(&secret, Some("orders:read")).await, "VALID");
    assert_eq!(
        app.verify(&secret, Some("invoices:approve")).await,
        "VALID",
        "wildcard grant"
    );
    assert_eq!(app.verify(&secret, Some("users:write")).await, "FORBIDDEN");
    let v = app
        .verify_body(json!({"token": secret, "department_id": m.department_id}))
        .await;
    assert_eq!(v["code"], "VALID");
    let v = app
        .verify_body(json!({"token": secret, "department_id": uuid::Uuid::now_v7()}))
        .await;
    assert_eq!(v["code"], "FORBIDDEN", "another department");
    // Removing the membership takes the token's rights away at once.
    let ms = app
        .get_ok(&format!("/api/v1/users/{}/memberships", m.user_id))
        .await;
    let mid = ms[0]["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/users/{}/memberships/{mid}", m.user_id))
            .await
            .0,
        204
    );
    assert_eq!(app.verify(&secret, None).await, "FORBIDDEN");
}

async fn ip_allowlist(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let office_only = CreateToken {
        allowed_cidrs: vec!["10.0.0.0/8".parse().unwrap()],
        ..m.create_token("office only")
    };
    let (id, secret) = token(&app.client(), &office_only).await;
    let secret = secret.as_str();
    assert_eq!(
        app.verify(secret, None).await,
        "IP_NOT_ALLOWED",
        "the test client is 127.0.0.1"
    );
    let v = app
        .verify_body(json!({"token": secret, "ip": "10.2.3.4"}))
        .await;
    assert_eq!(
        v["code"], "VALID",
        "a service may say where the token was presented from"
    );
    let loopback = UpdateToken {
        allowed_cidrs: Some(vec!["127.0.0.0/8".parse().unwrap()]),
        ..Default::default()
    };
    app.update_token(&id, loopback).await;
    assert_eq!(app.verify(secret, None).await, "VALID");
}

async fn introspect(app: &TestApp, token: &str) -> Value {
    let key = app.verifier_key("introspecting service").await;
    let res = send(
        app.http
            .post(app.url("/oauth2/introspect"))
            .basic_auth("introspecting-service", Some(&key))
            .form(&[("token", token)]),
    )
    .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn introspection(app: TestApp) {
    let m = app.member("svc", &["orders:read", "orders:write"]).await;
    let (id, secret) = app.token(&m, "t").await;
    let v = introspect(&app, &secret).await;
    assert_eq!(v["active"], true);
    assert_eq!(v["sub"], m.user_id.as_str());
    assert_eq!(v["username"], "svc");
    assert_eq!(v["scope"], "orders:read orders:write");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["tenant_id"], app.tenant_id.as_str());
    assert!(v["exp"].as_i64().unwrap() > v["iat"].as_i64().unwrap());
    app.revoke_token(&id).await;
    assert_eq!(
        introspect(&app, &secret).await,
        json!({"active": false}),
        "inactive tokens reveal nothing"
    );
    assert_eq!(introspect(&app, "nonsense").await, json!({"active": false}));
    let key = app.verifier_key("introspecting service").await;
    let res = send(
        app.http
            .post(app.url("/oauth2/introspect"))
            .bearer_auth(&key)
            .json(&json!({"token": secret})),
    )
    .await;
    assert_eq!(res.status(), 400, "introspection takes a form");
}

async fn forward(app: &TestApp, token: Option<&str>, query: &str) -> reqwest::Response {
    let mut req = app
        .http
        .get(app.url(&format!("/auth/forward/acme{query}")))
        .header("X-Forwarded-Uri", "/orders/1");
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn forward_auth(app: TestApp) {
    let (m, id, secret) = app.svc_with_token("t").await;
    let res = forward(&app, Some(&secret), "?permission=orders:read").await;
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["x-keyward-user"], "svc");
    assert_eq!(h["x-keyward-tenant"], "acme");
    assert_eq!(h["x-keyward-tenant-id"], app.tenant_id.as_str());
    assert_eq!(h["x-keyward-principal"], "acme/svc");
    assert_eq!(h["x-keyward-department"], m.department_id.as_str());
    assert_eq!(h["x-keyward-user-type"], m.user_type_id.as_str());
    assert_eq!(h["x-keyward-permissions"], "orders:read");

    let res = forward(&app, Some(&secret), "?permission=orders:write").await;
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["x-keyward-code"], "FORBIDDEN");
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));

    let res = forward(&app, None, "").await;
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));

    app.revoke_token(&id).await;
    let res = forward(&app, Some(&secret), "").await;
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.contains("error=\"invalid_token\"") && challenge.contains("REVOKED"),
        "{challenge}"
    );
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

fn shop_rules(c: &mut keyward_server::ServerConfig) {
    use keyward_core::forward::{ForwardRules, RuleSpec};
    let rule = |prefix: &str, methods: &[&str], permission: &str| RuleSpec {
        prefix: prefix.into(),
        methods: methods.iter().map(|m| m.to_string()).collect(),
        permission: permission.into(),
    };
    let shop = ForwardRules::new(&[
        rule("/orders", &["GET", "HEAD"], "orders:read"),
        rule("/orders", &["DELETE"], "orders:delete"),
        rule("/admin", &["*"], "admin:all"),
    ])
    .unwrap();
    c.forward_rules.insert("shop".into(), shop);
}

/// A forward-auth request with the headers a gateway would add; its status, its
/// `X-Keyward-Code` and its body.
async fn forwarded(
    app: &TestApp,
    query: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, String, Value) {
    let mut req = app.http.get(app.url(&format!("/auth/forward/acme{query}")));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let code = res
        .headers()
        .get("x-keyward-code")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, code, res.json().await.unwrap_or(Value::Null))
}

async fn forward_rules(app: TestApp) {
    let (_, _, secret) = app.svc_with_token("t").await;
    let t = Some(secret.as_str());
    let caddy =
        |m: &'static str, u: &'static str| [("X-Forwarded-Method", m), ("X-Forwarded-Uri", u)];
    let nginx =
        |m: &'static str, u: &'static str| [("X-Original-Method", m), ("X-Original-URI", u)];
    let shop = "?rules=shop";

    let (status, _, _) = forwarded(&app, shop, t, &caddy("GET", "/orders/1?x=1")).await;
    assert_eq!(
        status, 200,
        "GET /orders needs orders:read, which the token has"
    );
    assert_eq!(
        forwarded(&app, shop, t, &nginx("GET", "/orders//1"))
            .await
            .0,
        200
    );
    let (status, code, _) = forwarded(&app, shop, t, &caddy("DELETE", "/orders/1")).await;
    assert_eq!(
        (status, code.as_str()),
        (403, "FORBIDDEN"),
        "DELETE needs orders:delete"
    );
    let (status, code, _) = forwarded(&app, shop, None, &nginx("GET", "/orders/1")).await;
    assert_eq!((status, code.as_str()), (401, "missing_token"));

    // The path is normalised before it is matched: `..` leaves /orders for /admin.
    for uri in ["/orders/../admin", "/orders/./../admin/users", "//admin"] {
        let (status, code, _) = forwarded(&app, shop, t, &caddy("GET", uri)).await;
        assert_eq!(
            (status, code.as_str()),
            (403, "FORBIDDEN"),
            "{uri} is under /admin"
        );
    }
    // What servers could read two ways is refused, token or not.
    for uri in [
        "/orders/%2e%2e/admin",
        "/orders/..%2fadmin",
        "/orders;x=/../admin",
        "/orders/%252e%252e/admin",
        "/../orders/1",
        "orders/1",
    ] {
        let (status, code, body) = forwarded(&app, shop, t, &nginx("GET", uri)).await;
        assert_eq!(
            (status, code.as_str()),
            (403, "forwarded_uri_refused"),
            "{uri}: {body}"
        );
        assert_eq!(body["code"], "forwarded_uri_refused");
    }
    // No rule for the method or the path: nobody gets in.
    for (m, u) in [
        ("POST", "/orders/1"),
        ("GET", "/ordersx"),
        ("GET", "/"),
        ("get", "/orders/1"),
    ] {
        let (status, code, body) = forwarded(&app, shop, t, &caddy(m, u)).await;
        assert_eq!((status, code.as_str()), (403, "no_forward_rule"), "{m} {u}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("forward_rules.shop"),
            "{body}"
        );
    }
    // A client cannot add the other gateway's headers to pick the path that is checked.
    let both = [
        ("X-Forwarded-Method", "GET"),
        ("X-Forwarded-Uri", "/orders/1"),
        ("X-Original-Method", "DELETE"),
        ("X-Original-URI", "/admin"),
    ];
    let (status, code, _) = forwarded(&app, shop, t, &both).await;
    assert_eq!(
        (status, code.as_str()),
        (400, "forwarded_request_ambiguous")
    );
    let twice = [
        ("X-Forwarded-Method", "GET"),
        ("X-Forwarded-Uri", "/orders/1"),
        ("X-Forwarded-Uri", "/admin"),
    ];
    let (status, code, _) = forwarded(&app, shop, t, &twice).await;
    assert_eq!(
        (status, code.as_str()),
        (400, "forwarded_request_ambiguous")
    );
    // A gateway that forwards no request, or half of one, or a set that does not exist.
    for headers in [&[][..], &[("X-Forwarded-Uri", "/orders/1")][..]] {
        let (status, code, _) = forwarded(&app, shop, t, headers).await;
        assert_eq!((status, code.as_str()), (400, "forwarded_request_missing"));
    }
    let get = caddy("GET", "/orders/1");
    let (status, code, _) = forwarded(&app, "?rules=nope", t, &get).await;
    assert_eq!((status, code.as_str()), (400, "unknown_forward_rules"));
    let (status, code, _) = forwarded(&app, "?rules=shop&permission=orders:read", t, &get).await;
    assert_eq!((status, code.as_str()), (400, "permission_and_rules"));
}

async fn routes_agree(app: TestApp) {
    let (_, id, secret) = app.svc_with_token("t").await;
    app.revoke_token(&id).await;
    assert_eq!(app.verify(&secret, None).await, "REVOKED");
    assert_eq!(introspect(&app, &secret).await["active"], false);
    let res = forward(&app, Some(&secret), "").await;
    assert_eq!(res.headers()["x-keyward-code"], "REVOKED");
    // And the admin API refuses a revoked administrator token the same way.
    let (status, p) = app.get_as(&secret, "/api/v1/tokens").await;
    assert_eq!((status, p["code"].as_str()), (401, Some("REVOKED")));
}

async fn permission_change(app: TestApp) {
    let (m, _, secret) = app.svc_with_token("t").await;
    assert_eq!(app.verify(&secret, Some("orders:read")).await, "VALID");
    app.set_permissions(&m, &["invoices:read"]).await;
    assert_eq!(app.verify(&secret, Some("orders:read")).await, "FORBIDDEN");
    assert_eq!(app.verify(&secret, Some("invoices:read")).await, "VALID");
}

/// A change written by another process (another node, or `keyward` commands beside a
/// running server) reaches this server through the change log.
async fn other_process(app: TestApp) {
    let (_, id, secret) = app.svc_with_token("t").await;
    assert_eq!(app.verify(&secret, None).await, "VALID");
    let other = app.other_store().await;
    let tenant = app.tenant_id.parse().unwrap();
    let started = Instant::now();
    other
        .revoke_token(
            tenant,
            id.parse().unwrap(),
            &keyward_store::Actor::system("other node"),
        )
        .await
        .unwrap();
    while app.verify(&secret, None).await != "REVOKED" {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "revocation elsewhere was not seen within one second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn rate_limit(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let mut body = app.token_body(&m, "limited");
    // A day-long window, so the test cannot straddle two windows.
    body["rate_limit"] = json!({"requests": 3, "window_seconds": 86400});
    let t = app.post_created("/api/v1/tokens", body).await;
    assert_eq!(
        t["rate_limit"],
        json!({"requests": 3, "window_seconds": 86400})
    );
    let secret = t["token"].as_str().unwrap();
    // Refused checks do not count against the limit.
    assert_eq!(app.verify(secret, Some("users:write")).await, "FORBIDDEN");
    for _ in 0..3 {
        assert_eq!(app.verify(secret, None).await, "VALID");
    }
    let v = app.verify_body(json!({"token": secret})).await;
    assert_eq!(v["code"], "RATE_LIMITED");
    assert!(v["retry_after"].as_u64().unwrap() >= 1);
    let res = forward(&app, Some(secret), "").await;
    assert_eq!(res.status(), 429);
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    // Raising the limit lets it through again; removing it, without bound.
    let id = t["id"].as_str().unwrap();
    let raised = UpdateToken {
        rate_limit: Some(Some(RateLimit {
            requests: 10,
            window_seconds: 86400,
        })),
        ..Default::default()
    };
    app.update_token(id, raised).await;
    assert_eq!(app.verify(secret, None).await, "VALID");
    let unlimited = UpdateToken {
        rate_limit: Some(None),
        ..Default::default()
    };
    app.update_token(id, unlimited).await;
    for _ in 0..12 {
        assert_eq!(app.verify(secret, None).await, "VALID");
    }
    let mut bad = app.token_body(&m, "bad");
    bad["rate_limit"] = json!({"requests": 0, "window_seconds": 60});
    assert_eq!(app.post("/api/v1/tokens", bad).await.0, 422);
}

/// The change that leaves a token one use.
fn one_use() -> UpdateToken {
    UpdateToken {
        uses_remaining: Some(Some(1)),
        ..Default::default()
    }
}

async fn usage_counter(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let mut body = app.token_body(&m, "two uses");
    body["max_uses"] = json!(2);
    let t = app.post_created("/api/v1/tokens", body).await;
    let (id, secret) = (
        t["id"].as_str().unwrap().to_string(),
        t["token"].as_str().unwrap().to_string(),
    );
    assert_eq!(t["uses_remaining"], 2);
    assert_eq!(
        app.verify(&secret, Some("users:write")).await,
        "FORBIDDEN",
        "a refused check uses nothing"
    );
    assert_eq!(app.verify(&secret, None).await, "VALID");
    assert_eq!(introspect(&app, &secret).await["active"], true);
    assert_eq!(app.verify(&secret, None).await, "USAGE_EXCEEDED");
    assert_eq!(
        forward(&app, Some(&secret), "").await.headers()["x-keyward-code"],
        "USAGE_EXCEEDED"
    );
    let detail = app.get_ok(&format!("/api/v1/tokens/{id}")).await;
    assert_eq!(detail["uses_remaining"], 0);
    app.update_token(&id, one_use()).await;
    assert_eq!(app.verify(&secret, None).await, "VALID");
    assert_eq!(app.verify(&secret, None).await, "USAGE_EXCEEDED");
    // Refused calls to the administrator API spend nothing (twice over).
    for _ in 0..2 {
        app.update_token(&id, one_use()).await;
        let (status, p) = app.get_as(&secret, "/api/v1/tokens").await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("not_admin")),
            "{p}"
        );
        assert_eq!(
            app.verify(&secret, None).await,
            "VALID",
            "the refused admin call took no use"
        );
    }
    let mut bad = app.token_body(&m, "bad");
    bad["max_uses"] = json!(0);
    assert_eq!(app.post("/api/v1/tokens", bad).await.0, 422);
}
