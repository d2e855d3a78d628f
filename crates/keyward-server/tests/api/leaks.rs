//! Leaked tokens: a secret scanner's report with the operator's reporter key, and the
//! holder's own revocation with nothing but the token. Each token found is revoked at
//! once (also the old secret of a grace period), on every node, audited with where it was
//! found, and announced as `token.leaked`.

use keyward_core::{TokenKind, TokenSecret};
use keyward_server::ServerConfig;
use keyward_testkit::{on_both_backends, Backend, Receiver, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const REPORTER_KEY: &str = "0123456789abcdef0123456789abcdef-scanner";

fn with_reporter(c: &mut ServerConfig) {
    c.leak_reporter_key = Some(REPORTER_KEY.into());
    c.webhooks.poll = Duration::from_millis(50);
}

on_both_backends! {
    the_holder_revokes_a_token_with_nothing_but_the_token => revoke_self with with_reporter;
    a_scanners_report_revokes_what_it_found_and_says_nothing_else => report with with_reporter;
    leak_reports_need_the_operators_reporter_key => reporter_key;
    leaked_endpoint_tokens_and_verifier_keys_stop_working_too => endpoint_and_verifier with with_reporter;
}

on_both_backends! {
    backend:
    a_leak_report_on_one_node_is_refused_on_the_other_at_once => two_nodes;
}

/// What a report's answer says was done with each secret, in order.
fn statuses(v: &Value) -> Vec<&str> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["status"].as_str().expect("a status"))
        .collect()
}

async fn report_as(app: &TestApp, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app.http.post(app.url("/api/v1/tokens/leaked")).json(&body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn revoke_self_of(base: &str, http: &reqwest::Client, token: &str) -> (u16, Value) {
    let res = http
        .post(format!("{base}/api/v1/tokens/revoke-self"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn revoke_self(app: TestApp) {
    let rx = Receiver::start().await;
    app.post_created(
        "/api/v1/webhooks",
        json!({"name": "leaks", "url": rx.url, "events": ["token.leaked"]}),
    )
    .await;
    let (_m, id, secret) = app.svc_with_token("found in a gist").await;
    assert_eq!(app.verify(&secret, None).await, "VALID");
    let (status, v) = revoke_self_of(&app.base, &app.http, &secret).await;
    assert_eq!((status, &v["status"]), (200, &json!("revoked")), "{v}");
    assert_eq!(app.verify(&secret, None).await, "REVOKED");
    let (status, v) = revoke_self_of(&app.base, &app.http, &secret).await;
    assert_eq!((status, &v["status"]), (200, &json!("already_revoked")));
    // A token keyward does not hold, or no token at all: 404, the same for both.
    let unknown = TokenSecret::generate(TokenKind::Api);
    let (s1, p1) = revoke_self_of(&app.base, &app.http, unknown.expose()).await;
    let (s2, p2) = revoke_self_of(&app.base, &app.http, "kwa_not-a-token").await;
    assert_eq!((s1, s2), (404, 404));
    assert_eq!(p1["detail"], p2["detail"]);
    let got = rx.wait_delivered(2).await;
    let sent: Vec<Value> = got.iter().map(|r| r.json()).collect();
    assert!(sent.iter().all(|b| b["type"] == "token.leaked"));
    assert!(sent.iter().all(|b| b["data"]["object_id"] == id.as_str()));
    assert_eq!(sent[0]["data"]["details"]["source"], "self");
    let actions = app.audit_actions(&format!("object_id={id}")).await;
    assert!(actions.contains(&"token.leaked".to_string()), "{actions:?}");
    assert!(
        actions.contains(&"token.revoked".to_string()),
        "{actions:?}"
    );
}

async fn report(app: TestApp) {
    let (m, ours, first) = app.svc_with_token("in a public repo").await;
    // Regenerated with a day's grace: the old secret is what leaked.
    let second = app.regenerated(&ours, 86_400).await;
    assert_eq!(app.verify(&first, None).await, "VALID");
    let (their_tenant, their_admin) = app.other_tenant("globex").await;
    let other = app.client_as(Some(&their_admin));
    let theirs = keyward_testkit::member(&other, "their-svc", &["x:read"]).await;
    let (their_id, their_secret) =
        keyward_testkit::token(&other, &theirs.create_token("theirs")).await;
    let (_, untouched) = app.token(&m, "not reported").await;
    let unknown = TokenSecret::generate(TokenKind::Api);
    let body = json!([
        {"token": first, "type": "keyward_api_token", "url": "https://github.com/acme/app/blob/main/.env", "source": "github"},
        {"token": "ghp_notours", "type": "github_pat", "source": "github"},
        {"token": unknown.expose(), "source": "github"},
        {"token": their_secret, "url": "https://gist.github.com/x", "source": "github"},
        {"token": first, "source": "github"}
    ]);
    // Not without the key, nor with an administrator's token: it is no reporter key.
    let admin = app.admin_token.clone();
    for key in [
        None,
        Some(admin.as_str()),
        Some("0123456789abcdef0123456789abcdef-scannex"),
    ] {
        let (status, p) = report_as(&app, key, body.clone()).await;
        assert_eq!(status, 401, "{p}");
    }
    assert_eq!(app.verify(&first, None).await, "VALID");
    let (status, v) = report_as(&app, Some(REPORTER_KEY), body).await;
    assert_eq!(status, 200, "{v}");
    let statuses = statuses(&v);
    assert_eq!(
        statuses,
        [
            "revoked",
            "not_a_token",
            "not_found",
            "revoked",
            "already_revoked"
        ]
    );
    // The answer names nothing but what was done with each secret sent.
    for r in v.as_array().unwrap() {
        assert_eq!(r.as_object().unwrap().len(), 2, "{r}");
    }
    // No grace: the old secret and the new one stop at once. Their token, revoked in its
    // own tenant; the token nobody reported, untouched.
    assert_eq!(app.verify(&first, None).await, "REVOKED");
    assert_eq!(app.verify(&second, None).await, "REVOKED");
    assert_eq!(app.verify(&untouched, None).await, "VALID");
    let (_, theirs_now) = app
        .get_as(&their_admin, &format!("/api/v1/tokens/{their_id}"))
        .await;
    assert_eq!(theirs_now["status"], "revoked", "{theirs_now}");
    assert_eq!(theirs_now["tenant_id"], their_tenant.as_str());
    let audit = app
        .get_ok(&format!(
            "/api/v1/audit-events?object_id={ours}&action=token.leaked"
        ))
        .await;
    let first_report = &audit["items"].as_array().unwrap().last().unwrap()["details"];
    assert_eq!(first_report["source"], "github");
    assert_eq!(
        first_report["url"],
        "https://github.com/acme/app/blob/main/.env"
    );
    assert_eq!(first_report["reported_type"], "keyward_api_token");
    assert!(
        !audit.to_string().contains(first.as_str()),
        "no secret in the audit log"
    );
    let too_many: Vec<Value> = (0..1001).map(|_| json!({"token": "x"})).collect();
    let (status, _) = report_as(&app, Some(REPORTER_KEY), json!(too_many)).await;
    assert_eq!(status, 422);
}

/// The status of an introspection asked with verifier key `key`.
async fn introspect_with(app: &TestApp, key: &str) -> u16 {
    app.http
        .post(app.url("/oauth2/introspect"))
        .basic_auth("billing", Some(key))
        .form(&[("token", "kwa_not-a-token")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn endpoint_and_verifier(app: TestApp) {
    let rx = Receiver::start().await;
    app.post_created(
        "/api/v1/webhooks",
        json!({"name": "leaks", "url": rx.url, "events": ["token.leaked", "token.revoked"]}),
    )
    .await;
    let ep = app.endpoint("orders/in", "token", false).await;
    let (app_id, app_secret) = app.endpoint_token("Web shop").await;
    app.assign(&ep.id, &app_id, true).await;
    let primary = ep.primary("POST").to_string();
    let (key_id, key) = app.verifier_key_with_id("billing").await;
    assert_eq!(app.post_record_with("orders/in", &app_secret).await, 201);
    assert_eq!(app.post_record_with("orders/in", &primary).await, 201);
    assert_eq!(introspect_with(&app, &key).await, 200);
    let body = json!([
        {"token": app_secret, "source": "github", "url": "https://github.com/acme/shop/.env"},
        {"token": primary, "source": "github"},
        {"token": key, "source": "github"},
        {"token": app_secret, "source": "github"}
    ]);
    let (status, v) = report_as(&app, Some(REPORTER_KEY), body).await;
    assert_eq!(status, 200, "{v}");
    let statuses = statuses(&v);
    // The fourth is the first again: its secret is gone, so keyward holds it no more.
    assert_eq!(statuses, ["revoked", "revoked", "revoked", "not_found"]);
    // None of them works any more, at once.
    assert_ne!(app.post_record_with("orders/in", &app_secret).await, 201);
    assert_ne!(app.post_record_with("orders/in", &primary).await, 201);
    assert_eq!(introspect_with(&app, &key).await, 401);
    // The application's token is deactivated; the verifier key is gone; the primary is
    // regenerated by an administrator and works again.
    let t = app
        .get_ok(&format!("/api/v1/endpoint-tokens/{app_id}"))
        .await;
    assert_eq!(t["active"], false, "{t}");
    assert_eq!(
        app.get(&format!("/api/v1/verifier-keys/{key_id}")).await.0,
        404
    );
    let url = format!("/api/v1/endpoints/{}/primary-tokens/post/regenerate", ep.id);
    let fresh = app.ok(200, app.post_empty(&url).await).await;
    let fresh = fresh["token"].as_str().expect("a new primary").to_string();
    assert_eq!(app.post_record_with("orders/in", &fresh).await, 201);
    // Audited with where it was found, and announced.
    let audit = app
        .get_ok(&format!(
            "/api/v1/audit-events?object_id={app_id}&action=token.leaked"
        ))
        .await;
    assert_eq!(
        audit["items"][0]["details"]["url"],
        "https://github.com/acme/shop/.env"
    );
    rx.wait_until(|r| r.len() >= 5).await;
    let sent: Vec<Value> = rx.received().iter().map(|r| r.json()).collect();
    let leaked = sent.iter().filter(|b| b["type"] == "token.leaked").count();
    let revoked = sent.iter().filter(|b| b["type"] == "token.revoked").count();
    assert_eq!(
        (leaked, revoked),
        (3, 2),
        "the key is deleted, not revoked: {sent:?}"
    );
}

async fn reporter_key(app: TestApp) {
    let (_m, _, secret) = app.svc_with_token("t").await;
    let body = json!([{"token": secret, "source": "github"}]);
    let (status, p) = report_as(&app, Some(REPORTER_KEY), body.clone()).await;
    assert_eq!(
        (status, &p["code"]),
        (403, &json!("leak_reports_off")),
        "{p}"
    );
    assert_eq!(app.verify(&secret, None).await, "VALID");
}

async fn two_nodes(backend: Backend) {
    let (app, _stop, _h) = TestApp::spawn_stoppable(backend, with_reporter).await;
    let other = app.second_node().await;
    let (_m, _, secret) = app.svc_with_token("cached on both").await;
    assert_eq!(app.verify_at(&other.base, &secret).await, "VALID");
    let (status, _) = report_as(
        &app,
        Some(REPORTER_KEY),
        json!([{"token": secret, "source": "gitleaks"}]),
    )
    .await;
    assert_eq!(status, 200);
    // The other node learns it from the change feed, within its staleness bound.
    app.wait_for_code_at(&other.base, &secret, "REVOKED").await;
}
