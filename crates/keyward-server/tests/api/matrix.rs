//! Tests that keep trying: every operation of `/openapi.json`, generated from the document
//! itself so that a new route is covered the day it is added, (1) by another tenant's
//! administrator against this tenant's objects, and (2) by every kind of credential that
//! must not administer. Both stores.

use keyward_testkit::client::{CreateToken, Timestamp};
use keyward_testkit::on_both_backends;
use keyward_testkit::{token, TestApp, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

on_both_backends! {
    no_operation_lets_another_tenant_reach_or_learn_our_objects => cross_tenant;
    no_credential_but_a_live_administrators_token_administers => credential_matrix;
}

/// A marker in the name of everything the first tenant owns, searched for in every body
/// the other tenant gets.
const MARK: &str = "acme-only";

/// One of each kind of object of the test tenant, with the ids the routes take.
pub(crate) struct Objects {
    user: String,
    department: String,
    user_type: String,
    membership: String,
    token: String,
    token_secret: String,
    session: String,
    session_secret: String,
    endpoint: String,
    endpoint_path: String,
    endpoint_token: String,
    record: String,
    verifier_key: String,
    verifier_secret: String,
    webhook: String,
    delivery: String,
}

impl Objects {
    fn ids(&self) -> Vec<&str> {
        vec![
            &self.user,
            &self.department,
            &self.user_type,
            &self.membership,
            &self.token,
            &self.session,
            &self.endpoint,
            &self.endpoint_token,
            &self.record,
            &self.verifier_key,
            &self.webhook,
            &self.delivery,
        ]
    }

    /// The path of `template` with our ids filled in.
    pub(crate) fn fill(&self, template: &str) -> String {
        let resource = template.split('/').nth(3).unwrap_or("");
        let id = match resource {
            "users" => &self.user,
            "departments" => &self.department,
            "user-types" => &self.user_type,
            "tokens" => &self.token,
            "mobile-sessions" => &self.session,
            "endpoints" => &self.endpoint,
            "endpoint-tokens" => &self.endpoint_token,
            "verifier-keys" => &self.verifier_key,
            "webhooks" => &self.webhook,
            _ => "",
        };
        template
            .replace("{id}", id)
            .replace("{membership_id}", &self.membership)
            .replace("{token_id}", &self.endpoint_token)
            .replace("{record_id}", &self.record)
            .replace("{delivery}", &self.delivery)
            .replace("{method}", "POST")
            .replace("{tenant}", "acme")
            .replace("{path}", &self.endpoint_path)
    }

    /// A body the operation would accept from our own administrator, so that tenancy
    /// (or the credential) is the only reason to refuse it.
    fn body(&self, method: &str, template: &str) -> Option<Value> {
        let pwned = json!({"name": "pwned", "display_name": "pwned"});
        Some(match (method, template) {
            (_, t) if t.ends_with("/bulk-delete") => json!({"ids": self.ids()}),
            ("post", "/api/v1/users/{id}/memberships") => {
                json!({"department_id": self.department, "user_type_id": self.user_type})
            }
            ("patch", "/api/v1/users/{id}") => json!({"display_name": "pwned"}),
            ("patch", _) => json!({"name": "pwned"}),
            ("put", _) => json!({"enabled": true, "methods": ["POST", "GET"]}),
            ("post", t) if t.starts_with("/e/") => json!({"from": "another tenant"}),
            ("post", t) if t.contains("/regenerate") => json!({}),
            ("post", "/api/v1/departments") | ("post", "/api/v1/endpoint-tokens") => pwned,
            ("post", "/api/v1/verifier-keys") => pwned,
            ("post", _) => json!({}),
            _ => return None,
        })
    }
}

pub(crate) async fn objects(app: &TestApp) -> Objects {
    // A receiver first, so that what follows queues deliveries for it (to a port where
    // nothing listens: they stay in its log, retried).
    let hook = app
        .post_created(
            "/api/v1/webhooks",
            json!({"name": format!("{MARK} receiver"), "url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    let webhook = hook["id"].as_str().unwrap().to_string();
    let m = app
        .member_with_password(&format!("{MARK}-svc"), &["orders:read"])
        .await;
    let (_, memberships) = app
        .get(&format!("/api/v1/users/{}/memberships", m.user_id))
        .await;
    let membership = memberships[0]["id"].as_str().unwrap().to_string();
    let (token, token_secret) = app.token(&m, &format!("{MARK} token")).await;
    let (status, s) = app
        .post(
            "/api/v1/mobile/login",
            json!({"tenant": "acme", "username": format!("{MARK}-svc"), "password": PASSWORD,
                   "device_name": format!("{MARK} phone")}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    let ep = app
        .endpoint_named(&format!("{MARK} endpoint"), "orders/in", "token", true)
        .await;
    let (endpoint_token, _) = app.endpoint_token(&format!("{MARK} application")).await;
    let endpoint = ep.id.clone();
    app.ok(
        201,
        app.call(
            Method::PUT,
            &format!("/api/v1/endpoints/{endpoint}/assignments/{endpoint_token}"),
            None,
        )
        .await,
    )
    .await;
    let rec = keyward_testkit::send(
        app.http
            .post(app.url("/e/acme/orders/in"))
            .bearer_auth(ep.primary("POST"))
            .json(&json!({"note": MARK})),
    )
    .await;
    assert_eq!(rec.status(), 201);
    let rec: Value = rec.json().await.unwrap();
    let (verifier_key, verifier_secret) =
        app.verifier_key_with_id(&format!("{MARK} gateway")).await;
    let log = app
        .get_ok(&format!("/api/v1/webhooks/{webhook}/deliveries"))
        .await;
    let delivery = log["items"][0]["id"].as_str().unwrap().to_string();
    Objects {
        user: m.user_id,
        department: m.department_id,
        user_type: m.user_type_id,
        membership,
        token,
        token_secret,
        session: s["session_id"].as_str().unwrap().to_string(),
        session_secret: s["token"].as_str().unwrap().to_string(),
        endpoint,
        endpoint_path: "orders/in".into(),
        endpoint_token,
        record: rec["id"].as_str().unwrap().to_string(),
        verifier_key,
        verifier_secret,
        webhook,
        delivery,
    }
}

/// Every (method, path template) of the document, and whether the operation names an
/// object in its path.
pub(crate) async fn operations(app: &TestApp) -> Vec<(String, String)> {
    let doc = app.openapi().await;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push((method.clone(), path.clone()));
        }
    }
    ops.sort();
    ops
}

async fn send(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = app.http.request(m, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

/// Routes open to anyone, or whose answer is a verdict rather than an object: covered
/// by their own tests (tenancy.rs), not by this matrix.
pub(crate) fn not_administrative(path: &str) -> bool {
    matches!(
        path,
        "/healthz"
            | "/readyz"
            | "/api/v1/mobile/login"
            | "/api/v1/mobile/logout"
            | "/api/v1/verify"
            | "/api/v1/tokens/leaked"
            | "/api/v1/tokens/revoke-self"
            | "/auth/forward"
            | "/oauth2/introspect"
    )
}

async fn cross_tenant(app: TestApp) {
    let ours = objects(&app).await;
    let (_, theirs) = app.other_tenant("globex").await;
    let ops = operations(&app).await;
    let mut tried = 0;
    for (method, template) in &ops {
        if not_administrative(template) {
            continue;
        }
        let path = ours.fill(template);
        let names_object = template.contains('{');
        let request = ours.body(method, template);
        let sent = format!("{path} {}", request.clone().unwrap_or_default());
        let (status, body) = send(&app, &theirs, method, &path, request).await;
        tried += 1;
        if names_object {
            assert!(
                !(200..300).contains(&status),
                "{method} {path} with another tenant's administrator answered {status}: {body}"
            );
        }
        assert!(
            !body.contains(MARK),
            "{method} {path} showed another tenant our names: {body}"
        );
        // An id the caller sent may come back (`not_found: [...]`); no other may.
        for id in ours.ids() {
            if !sent.contains(id) {
                assert!(
                    !body.contains(id),
                    "{method} {path} showed another tenant our id {id}: {body}"
                );
            }
        }
    }
    assert!(tried > 60, "only {tried} operations tried");

    // Nothing of ours changed, and all of it still works.
    let (_, u) = app.get(&format!("/api/v1/users/{}", ours.user)).await;
    assert_eq!(u["display_name"], format!("{MARK}-svc"));
    assert_eq!(app.verify(&ours.token_secret, None).await, "VALID");
    assert_eq!(app.verify(&ours.session_secret, None).await, "VALID");
    let (_, records) = app
        .get(&format!("/api/v1/endpoints/{}/records", ours.endpoint))
        .await;
    assert_eq!(records["total"], 1);
    let (_, a) = app
        .get(&format!("/api/v1/endpoints/{}/assignments", ours.endpoint))
        .await;
    assert_eq!(a[0]["methods"], json!(["POST"]));
    let v = keyward_testkit::send(
        app.http
            .post(app.url("/api/v1/verify"))
            .bearer_auth(&ours.verifier_secret)
            .json(&json!({"token": ours.token_secret})),
    )
    .await;
    let v: Value = v.json().await.unwrap();
    assert_eq!(v["code"], "VALID");
}

/// Every credential that must not administer, against every administrator operation
/// with our real ids: always 401 or 403, never a 2xx, never a 5xx.
async fn credential_matrix(app: TestApp) {
    let ours = objects(&app).await;
    let root = app.admin_id.clone();
    let (_, ms) = app.get(&format!("/api/v1/users/{root}/memberships")).await;
    let admin_membership = keyward_testkit::Member {
        user_id: root.clone(),
        department_id: ms[0]["department_id"].as_str().unwrap().into(),
        user_type_id: ms[0]["user_type_id"].as_str().unwrap().into(),
        membership_id: ms[0]["id"].as_str().unwrap().into(),
    };
    let mut creds: Vec<(&str, String)> = Vec::new();

    // A non-administrator's token.
    creds.push(("non-admin", ours.token_secret.clone()));
    // An administrator whose token's user type lacks keyward:admin.
    let narrow = app.member("narrow-admin", &["orders:read"]).await;
    app.make_admin(&narrow).await;
    creds.push(("narrow admin", app.token(&narrow, "narrow").await.1));
    // Revoked, disabled and soon expired administrator tokens.
    let (id, revoked) = app.token(&admin_membership, "revoked").await;
    app.revoke_token(&id).await;
    creds.push(("revoked", revoked));
    let (id, disabled) = app.token(&admin_membership, "disabled").await;
    app.set_token_enabled(&id, false).await;
    creds.push(("disabled", disabled));
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let soon = CreateToken {
        expires_at: Some(Timestamp(expiry)),
        ..admin_membership.create_token("expiring")
    };
    let (_, expiring) = token(&app.client(), &soon).await;
    // A locked administrator's token.
    let ops_admin = app.member("locked-admin", &["*"]).await;
    app.make_admin(&ops_admin).await;
    let (_, locked) = app.token(&ops_admin, "locked").await;
    app.set_locked(&ops_admin, true).await;
    creds.push(("locked owner", locked));
    // A mobile session, an endpoint token, a verifier key, and garbage.
    creds.push(("mobile session", ours.session_secret.clone()));
    let (_, endpoint_secret) = app.endpoint_token("an application").await;
    creds.push(("endpoint token", endpoint_secret));
    creds.push(("verifier key", ours.verifier_secret.clone()));
    creds.push(("malformed", "kwa_nope".into()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.verify(&expiring, None).await != "EXPIRED" {
        assert!(Instant::now() < deadline, "the token never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    creds.push(("expired", expiring));

    let ops = operations(&app).await;
    let mut tried = 0;
    for (method, template) in &ops {
        if not_administrative(template)
            || template.starts_with("/e/")
            || template.starts_with("/auth/")
        {
            continue;
        }
        let path = ours.fill(template);
        for (kind, token) in &creds {
            let (status, body) =
                send(&app, token, method, &path, ours.body(method, template)).await;
            tried += 1;
            assert!(
                status == 401 || status == 403,
                "{kind} credential: {method} {path} answered {status}: {body}"
            );
        }
    }
    assert!(tried > 500, "only {tried} requests");
    // And the objects are as they were.
    assert_eq!(app.verify(&ours.token_secret, None).await, "VALID");
    let (_, u) = app.get(&format!("/api/v1/users/{}", ours.user)).await;
    assert_eq!(u["display_name"], format!("{MARK}-svc"));
}
