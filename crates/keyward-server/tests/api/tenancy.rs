//! Every check is made for one tenant (SPEC §4): two tenants on one server, and the
//! attacks of the hardening issue's first finding, through every verification route.

use keyward_testkit::client::Tokens;
use keyward_testkit::on_both_backends;
use keyward_testkit::{send, token, Backend, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

on_both_backends! {
    another_tenants_token_is_not_found_on_every_check => foreign_token;
    a_lookalike_user_of_another_tenant_does_not_reach_our_backend => lookalike;
    a_check_that_names_no_tenant_is_refused_and_an_unknown_tenant_knows_no_token => no_tenant;
    introspection_needs_the_callers_verifier_key => introspection_auth;
    a_verifier_key_binds_checks_to_its_tenant_and_may_do_nothing_else => verifier_key_scope;
    a_refused_check_reveals_nothing_about_the_token => refusal_reveals_nothing;
    a_misspelt_forward_auth_parameter_is_refused_not_ignored => unknown_forward_parameter;
    verifier_keys_are_managed_per_tenant_and_never_shown_again => verifier_key_lifecycle;
}

async fn verify(app: &TestApp, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app.http.post(app.url("/api/v1/verify")).json(&body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn forward(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    send(app.http.get(app.url(path)).bearer_auth(token)).await
}

async fn introspect(app: &TestApp, key: Option<&str>, token: &str) -> (u16, Value) {
    let mut req = app
        .http
        .post(app.url("/oauth2/introspect"))
        .form(&[("token", token)]);
    if let Some(k) = key {
        req = req.basic_auth("orders-gateway", Some(k));
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// What a refusal must look like: the code and nothing that names the token.
fn refused_with(v: &Value, code: &str) {
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["code"], code, "{v}");
    for field in [
        "token_id",
        "kind",
        "tenant_id",
        "user",
        "department",
        "user_type",
    ] {
        assert!(v[field].is_null(), "a refusal carries no {field}: {v}");
    }
    assert_eq!(v["permissions"], json!([]), "{v}");
}

async fn foreign_token(app: TestApp) {
    let (globex_id, theirs) = app.other_tenant("globex").await;
    let ours = app.verifier_key("acme gateway").await;

    // Their administrator token is good for them ...
    let res = forward(&app, "/auth/forward/globex", &theirs).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-keyward-tenant"], "globex");
    assert_eq!(res.headers()["x-keyward-tenant-id"], globex_id.as_str());
    let (_, v) = verify(&app, None, json!({"token": theirs, "tenant": "globex"})).await;
    assert_eq!(v["code"], "VALID");

    // A tenant has one id form: the others a UUID parser takes name no tenant.
    let upper = globex_id.to_uppercase();
    let braced = format!("{{{globex_id}}}");
    for alias in [upper.as_str(), braced.as_str()] {
        let res = forward(&app, &format!("/auth/forward/{alias}"), &theirs).await;
        assert_eq!(res.status(), 401, "{alias}");
    }
    let (_, v) = verify(&app, None, json!({"token": theirs, "tenant": upper})).await;
    refused_with(&v, "NOT_FOUND");

    // ... and does not exist for us, by name or id, on every route.
    for path in [
        "/auth/forward/acme".to_string(),
        format!("/auth/forward/{}", app.tenant_id),
    ] {
        let res = forward(&app, &path, &theirs).await;
        assert_eq!(res.status(), 401, "{path}");
        assert_eq!(res.headers()["x-keyward-code"], "NOT_FOUND", "{path}");
        assert!(res.headers().get("x-keyward-user").is_none());
    }
    let (status, v) = verify(&app, None, json!({"token": theirs, "tenant": "acme"})).await;
    assert_eq!(status, 200);
    refused_with(&v, "NOT_FOUND");
    let (_, v) = verify(
        &app,
        None,
        json!({"token": theirs, "tenant": app.tenant_id}),
    )
    .await;
    refused_with(&v, "NOT_FOUND");
    let (status, v) = verify(&app, Some(&ours), json!({"token": theirs})).await;
    assert_eq!(status, 200);
    refused_with(&v, "NOT_FOUND");
    assert_eq!(
        introspect(&app, Some(&ours), &theirs).await,
        (200, json!({"active": false}))
    );

    // Even a revoked or locked state of theirs shows nothing through our checks.
    let globex = app.client_as(Some(&theirs));
    let mine = globex.list::<Tokens>(&Default::default()).await.unwrap();
    globex
        .revoke_token(mine.items[0].token.id)
        .await
        .expect("revoke their token");
    let (_, v) = verify(&app, None, json!({"token": theirs, "tenant": "acme"})).await;
    refused_with(&v, "NOT_FOUND");
    let (_, v) = verify(&app, None, json!({"token": theirs, "tenant": "globex"})).await;
    refused_with(&v, "REVOKED");

    // Our own administrator token keeps working for us.
    let res = forward(&app, "/auth/forward/acme", &app.admin_token).await;
    assert_eq!(res.status(), 200);
}

/// The attack of finding 1: tenant B makes a user named like one of A's, with the same
/// permission, and tries A's protected backend "as" that user.
async fn lookalike(app: TestApp) {
    let m = app.member("erp-sync", &["orders:read"]).await;
    let (_, ours) = app.token(&m, "ERP").await;
    let (_, globex_admin) = app.other_tenant("globex").await;
    let their_member = app
        .member_as(&globex_admin, "erp-sync", &["orders:read"])
        .await;
    let globex = app.client_as(Some(&globex_admin));
    let (_, theirs) = token(&globex, &their_member.create_token("lookalike")).await;

    let protected = "/auth/forward/acme?permission=orders:read";
    let res = forward(&app, protected, &theirs).await;
    assert_eq!(res.status(), 401, "the lookalike does not pass");
    assert_eq!(res.headers()["x-keyward-code"], "NOT_FOUND");
    assert!(res.headers().get("x-keyward-user").is_none());

    let res = forward(&app, protected, &ours).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-keyward-user"], "erp-sync");
    assert_eq!(res.headers()["x-keyward-principal"], "acme/erp-sync");
    assert_eq!(res.headers()["x-keyward-tenant"], "acme");

    // In their own tenant their user passes, and the principal says whose it is.
    let res = forward(&app, "/auth/forward/globex?permission=orders:read", &theirs).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-keyward-principal"], "globex/erp-sync");
}

async fn no_tenant(app: TestApp) {
    let (_, _, secret) = app.svc_with_token("t").await;
    let (status, p) = verify(&app, None, json!({"token": secret})).await;
    assert_eq!(status, 400, "{p}");
    assert_eq!(p["code"], "tenant_required");
    assert!(
        p["detail"].as_str().unwrap().contains("verifier key"),
        "the refusal says how to name a tenant: {p}"
    );
    let res = forward(&app, "/auth/forward?permission=orders:read", &secret).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.headers()["x-keyward-code"], "tenant_required");
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["code"], "tenant_required");
    assert!(p["detail"]
        .as_str()
        .unwrap()
        .contains("/auth/forward/{tenant}"));

    // A tenant that does not exist has no tokens: the same NOT_FOUND as for another's.
    let (status, v) = verify(&app, None, json!({"token": secret, "tenant": "nobody"})).await;
    assert_eq!(status, 200);
    refused_with(&v, "NOT_FOUND");
    let res = forward(&app, "/auth/forward/nobody", &secret).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["x-keyward-code"], "NOT_FOUND");
}

async fn introspection_auth(app: TestApp) {
    let (_, _, secret) = app.svc_with_token("t").await;
    let (status, p) = introspect(&app, None, &secret).await;
    assert_eq!((status, p["code"].as_str()), (401, Some("invalid_client")));
    let res = send(
        app.http
            .post(app.url("/oauth2/introspect"))
            .form(&[("token", secret.as_str())]),
    )
    .await;
    let challenge = res.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic"), "{challenge}");

    // An administrator token, or the token itself, is no client credential.
    for not_a_key in [app.admin_token.as_str(), secret.as_str(), "kwv_nonsense"] {
        let res = send(
            app.http
                .post(app.url("/oauth2/introspect"))
                .bearer_auth(not_a_key)
                .form(&[("token", secret.as_str())]),
        )
        .await;
        assert_eq!(res.status(), 401);
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["code"], "invalid_client", "{p}");
    }

    let key = app.verifier_key("orders gateway").await;
    let (status, v) = introspect(&app, Some(&key), &secret).await;
    assert_eq!((status, &v["active"]), (200, &json!(true)), "{v}");
    let res = send(
        app.http
            .post(app.url("/oauth2/introspect"))
            .bearer_auth(&key)
            .form(&[("token", secret.as_str())]),
    )
    .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["active"], true, "a bearer key works as well");
}

async fn verifier_key_scope(app: TestApp) {
    let (_, _, secret) = app.svc_with_token("t").await;
    let key = app.verifier_key("orders gateway").await;
    assert!(key.starts_with("kwv_") && key.len() == 74, "{key}");

    let (_, v) = verify(
        &app,
        Some(&key),
        json!({"token": secret, "permission": "orders:read"}),
    )
    .await;
    assert_eq!(v["code"], "VALID");
    assert_eq!(v["tenant_id"], app.tenant_id.as_str());
    // Naming its own tenant as well is fine; naming another is a mistake said out loud.
    let (_, v) = verify(&app, Some(&key), json!({"token": secret, "tenant": "acme"})).await;
    assert_eq!(v["code"], "VALID");
    let (_, v) = verify(
        &app,
        Some(&key),
        json!({"token": secret, "tenant": app.tenant_id}),
    )
    .await;
    assert_eq!(v["code"], "VALID", "its own tenant by id is no mismatch");
    app.other_tenant("globex").await;
    let (status, p) = verify(
        &app,
        Some(&key),
        json!({"token": secret, "tenant": "globex"}),
    )
    .await;
    assert_eq!((status, p["code"].as_str()), (422, Some("tenant_mismatch")));

    // The key opens nothing itself.
    let (status, p) = app.get_as(&key, "/api/v1/tokens").await;
    assert_eq!(
        (status, p["code"].as_str()),
        (401, Some("wrong_token_kind"))
    );
    let (_, v) = verify(&app, None, json!({"token": key, "tenant": "acme"})).await;
    refused_with(&v, "NOT_FOUND");
    let res = forward(&app, "/auth/forward/acme", &key).await;
    assert_eq!(res.status(), 401);

    // A credential that is not a live verifier key is refused, not ignored.
    for bad in [app.admin_token.as_str(), "kwv_nonsense"] {
        let (status, p) = verify(&app, Some(bad), json!({"token": secret, "tenant": "acme"})).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (401, Some("invalid_verifier_key"))
        );
    }
}

async fn refusal_reveals_nothing(app: TestApp) {
    let (_, id, secret) = app.svc_with_token("t").await;
    let (_, v) = verify(
        &app,
        None,
        json!({"token": secret, "tenant": "acme", "permission": "users:write"}),
    )
    .await;
    refused_with(&v, "FORBIDDEN");
    app.revoke_token(&id).await;
    let (_, v) = verify(&app, None, json!({"token": secret, "tenant": "acme"})).await;
    refused_with(&v, "REVOKED");
    assert!(!v.to_string().contains(&id), "{v}");
    assert!(!v.to_string().contains(&app.tenant_id), "{v}");
}

async fn unknown_forward_parameter(app: TestApp) {
    let (_, _, secret) = app.svc_with_token("t").await;
    let res = forward(&app, "/auth/forward/acme?permision=users:write", &secret).await;
    assert_eq!(res.status(), 400, "a typo must not check nothing");
    let p: Value = res.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("permision"), "{p}");
    let res = forward(&app, "/auth/forward/acme?permission=users:write", &secret).await;
    assert_eq!(res.status(), 403);
    // The routes that take their question in the body take no query at all.
    let res = send(
        app.http
            .post(app.url("/api/v1/verify?permission=users:write"))
            .json(&json!({"token": secret, "tenant": "acme"})),
    )
    .await;
    assert_eq!(res.status(), 400);
    let p: Value = res.json().await.unwrap();
    assert!(
        !p.to_string().contains("users:write"),
        "the query is not echoed: {p}"
    );
    let key = app.verifier_key("gateway").await;
    let res = send(
        app.http
            .post(app.url(&format!("/oauth2/introspect?token={secret}")))
            .bearer_auth(&key)
            .form(&[("token", secret.as_str())]),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(!res.text().await.unwrap().contains(&secret));
}

async fn verifier_key_lifecycle(app: TestApp) {
    let (status, k) = app
        .post(
            "/api/v1/verifier-keys",
            json!({"name": "orders gateway", "description": "nginx in front of orders"}),
        )
        .await;
    assert_eq!(status, 201, "{k}");
    let id = k["id"].as_str().unwrap().to_string();
    let secret = k["token"].as_str().unwrap().to_string();
    assert!(k["usage"]["header"].as_str().unwrap().contains(&secret));
    assert!(k["hint"].as_str().unwrap().starts_with("kwv_"));

    let (_, list) = app.get("/api/v1/verifier-keys").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "orders gateway");
    assert!(!list.to_string().contains(&secret), "never shown again");
    let (_, one) = app.get(&format!("/api/v1/verifier-keys/{id}")).await;
    assert!(one.get("token").is_none());
    let (status, renamed) = app
        .patch(
            &format!("/api/v1/verifier-keys/{id}"),
            json!({"name": "orders gateway (eu)"}),
        )
        .await;
    assert_eq!(
        (status, &renamed["name"]),
        (200, &json!("orders gateway (eu)"))
    );

    // Another tenant cannot see, change or delete it.
    let (_, theirs) = app.other_tenant("globex").await;
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"name": "mine now"}))),
        (Method::DELETE, None),
    ] {
        let (status, _) = app
            .call_as(
                &theirs,
                method.clone(),
                &format!("/api/v1/verifier-keys/{id}"),
                body,
            )
            .await;
        assert_eq!(status, 404, "{method}");
    }
    let (_, their_list) = app.get_as(&theirs, "/api/v1/verifier-keys").await;
    assert_eq!(their_list["total"], 0);

    // Deleted, it stops at once.
    let (_, _, token) = app.svc_with_token("t").await;
    let (_, v) = verify(&app, Some(&secret), json!({"token": token})).await;
    assert_eq!(v["code"], "VALID");
    assert_eq!(
        app.delete(&format!("/api/v1/verifier-keys/{id}")).await.0,
        204
    );
    let (status, p) = verify(&app, Some(&secret), json!({"token": token})).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (401, Some("invalid_verifier_key"))
    );

    let (_, audit) = app
        .get("/api/v1/audit-events?object_type=verifier_key")
        .await;
    let actions = app.audit_actions("object_type=verifier_key").await;
    for a in [
        "verifier_key.created",
        "verifier_key.updated",
        "verifier_key.deleted",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    assert!(!audit.to_string().contains(&secret));
}

/// `keyward bootstrap` of the tenant `tenant` with its administrator `admin`, on the node
/// whose state is `state`.
async fn bootstrap(
    state: &keyward_server::AppState,
    tenant: &str,
    admin: &str,
) -> keyward_server::error::ApiResult<keyward_server::bootstrap::Bootstrapped> {
    keyward_server::bootstrap::bootstrap(
        state,
        &keyward_core::text::TenantName::parse(tenant).unwrap(),
        &keyward_core::text::Username::parse(admin).unwrap(),
        None,
    )
    .await
}

/// `serve --single-tenant`: checks may name no tenant, and a second tenant is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_tenant_mode_takes_tenant_less_checks_and_refuses_a_second_tenant() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend.skipped() {
            continue;
        }
        let app = TestApp::spawn_single_tenant(backend).await;
        let (_, _, secret) = app.svc_with_token("t").await;
        let (status, v) = verify(&app, None, json!({"token": secret})).await;
        assert_eq!((status, &v["code"]), (200, &json!("VALID")), "{v}");
        let res = forward(&app, "/auth/forward?permission=orders:read", &secret).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-keyward-tenant"], "acme");
        let res = forward(&app, "/auth/forward/acme?permission=orders:read", &secret).await;
        assert_eq!(res.status(), 200, "naming the tenant still works");

        let err = bootstrap(&app.state, "globex", "hank")
            .await
            .err()
            .expect("a second tenant is refused");
        assert!(err.to_string().contains("single-tenant"), "{err}");
        assert_eq!(app.state.store.list_tenants().await.unwrap().len(), 1);

        // The database keeps the mode: a node started without the flag follows it
        // rather than undoing it, and a second tenant stays refused.
        let mut plain = app.config.clone();
        plain.single_tenant = None;
        let node = keyward_server::App::build(plain.clone()).await.unwrap();
        assert!(node.state.verifier.single_tenant());
        let refused = bootstrap(&node.state, "initech", "bill").await;
        assert!(
            refused.is_err(),
            "a node without the flag let a second tenant in"
        );
        // Only an explicit --single-tenant=false switches it off.
        plain.single_tenant = Some(false);
        let node = keyward_server::App::build(plain).await.unwrap();
        assert!(!node.state.verifier.single_tenant());
    }
}
