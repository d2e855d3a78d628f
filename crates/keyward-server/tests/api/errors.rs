//! Bad input gets a 4xx problem document that says what is wrong, and changes nothing.

use keyward_testkit::on_both_backends;
use keyward_testkit::{send, Member, TestApp};
use serde_json::{json, Value};

on_both_backends! {
    bad_input_gets_a_problem_document_that_says_what_is_wrong => bad_input;
    oversized_token_strings_are_refused_without_lookup => oversized;
    requests_without_valid_credentials_get_401_with_a_reason => credentials;
    conflicts_name_the_field => conflicts;
    the_openapi_document_declares_every_error_as_a_problem_document => error_contract;
    nul_characters_are_refused_wherever_input_enters => nul;
}

/// Finding 15: a client generated from `/openapi.json` did not know the errors it would
/// get (136 undeclared statuses and content types). Every operation now declares the
/// problems it can answer, as `application/problem+json`. (`.ci/schemathesis` checks the
/// live answers against the document.)
async fn error_contract(app: TestApp) {
    let doc = app.openapi().await;
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            let mut must = vec!["400", "422", "503"];
            if path.contains('{') {
                must.push("404");
            }
            if op.get("requestBody").is_some() {
                must.extend(["413", "415", "422"]);
            }
            if op.get("security").is_some() {
                must.extend(["401", "403"]);
            }
            for code in must {
                assert!(responses.contains_key(code), "{method} {path} lacks {code}");
            }
            for (code, r) in responses {
                if code.starts_with('4') || code.starts_with('5') {
                    let content = r["content"].as_object();
                    assert!(
                        content.is_some_and(|c| c.contains_key("application/problem+json")
                            && !c.contains_key("application/json")),
                        "{method} {path} {code}: {r}"
                    );
                }
            }
        }
    }
    assert!(operations > 60, "{operations} operations");
}

async fn raw(app: &TestApp, path: &str, content_type: &str, body: &str) -> (u16, String, Value) {
    let res = send(
        app.http
            .post(app.url(path))
            .bearer_auth(&app.admin_token)
            .header("content-type", content_type)
            .body(body.to_string()),
    )
    .await;
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.json().await.unwrap_or(Value::Null))
}

fn assert_problem(status: u16, ct: &str, p: &Value, expected: u16, code: &str, mentions: &str) {
    assert_eq!(status, expected, "{p}");
    assert_eq!(ct, "application/problem+json");
    assert_eq!(p["status"], expected);
    assert_eq!(p["code"], code, "{p}");
    assert!(
        p["title"].is_string()
            && p["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:keyward:problem:")
    );
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains(mentions),
        "detail {detail:?} should mention {mentions:?}"
    );
}

async fn bad_input(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let (s, ct, p) = raw(&app, "/api/v1/tokens", "application/json", "{\"name\": ").await;
    assert_problem(s, &ct, &p, 400, "invalid_request", "malformed JSON");
    let (s, ct, p) = raw(&app, "/api/v1/tokens", "text/plain", "{}").await;
    assert_problem(
        s,
        &ct,
        &p,
        415,
        "unsupported_media_type",
        "application/json",
    );

    for (field, value, code, mentions) in [
        ("name", json!(42), "validation", "name"),
        (
            "expires_at",
            json!("next tuesday"),
            "validation",
            "expires_at",
        ),
        (
            "expires",
            json!("2026-12-01T00:00:00Z"),
            "validation",
            "unknown field `expires`",
        ),
        ("user_id", json!("not-a-uuid"), "validation", "user_id"),
        (
            "department_id",
            json!(uuid::Uuid::now_v7()),
            "not_a_member",
            "memberships",
        ),
    ] {
        let (s, ct, p) = token_with(&app, &m, field, value).await;
        assert_problem(s, &ct, &p, 422, code, mentions);
    }
    for (path, body, mentions) in [
        (
            "/api/v1/user-types",
            r#"{"name":"x","permissions":["Orders Read"]}"#,
            "invalid permission",
        ),
        (
            "/api/v1/users",
            r#"{"username":"a b","email":"x@y.no","display_name":"A"}"#,
            "username",
        ),
    ] {
        let (s, ct, p) = raw(&app, path, "application/json", body).await;
        assert_problem(s, &ct, &p, 422, "validation", mentions);
    }
    let (s, ct, p) = raw(
        &app,
        "/api/v1/settings",
        "application/json",
        r#"{"default_token_lifetime_days": 400}"#,
    )
    .await;
    let _ = (s, ct, p); // PATCH route: POST is not allowed here
    let res = send(
        app.http
            .patch(app.url("/api/v1/settings"))
            .bearer_auth(&app.admin_token)
            .json(&json!({"default_token_lifetime_days": 400})),
    )
    .await;
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    assert!(p["detail"]
        .as_str()
        .unwrap()
        .contains("default_token_lifetime_days"));

    let (status, p) = app.get("/api/v1/tokens/not-a-uuid").await;
    assert_eq!(
        (status, p["code"].as_str()),
        (400, Some("invalid_request")),
        "{p}"
    );
    let (status, p) = app.get("/api/v1/nothing-here").await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));

    // None of the refused requests left anything behind.
    assert_eq!(app.token_count(&m).await, 0);
    let s = app.get_ok("/api/v1/settings").await;
    assert_eq!(s["default_token_lifetime_days"], 90);
}

async fn oversized(app: TestApp) {
    let huge = "k".repeat(10 * 1024);
    let verify = app.http.post(app.url("/api/v1/verify"));
    let res = send(verify.json(&json!({"token": huge, "tenant": "acme"}))).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["code"], "token_too_long");
    assert!(p["detail"].as_str().unwrap().contains("74"));
    let key = app.verifier_key("gateway").await;
    let introspect = app.http.post(app.url("/oauth2/introspect"));
    let res = send(
        introspect
            .bearer_auth(&key)
            .form(&[("token", huge.as_str())]),
    )
    .await;
    assert_eq!(res.status(), 400);
    for path in ["/auth/forward/acme", "/api/v1/tokens"] {
        let res = send(app.http.get(app.url(path)).bearer_auth(&huge)).await;
        assert_eq!(res.status(), 401, "{path}");
    }
    let big_body = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let (s, ct, p) = raw(&app, "/api/v1/departments", "application/json", &big_body).await;
    assert_problem(s, &ct, &p, 413, "payload_too_large", "larger");
}

async fn credentials(app: TestApp) {
    let res = send(app.http.get(app.url("/api/v1/tokens"))).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["code"], "missing_token");
    let (status, p) = app.get_as("kwa_nope", "/api/v1/tokens").await;
    assert_eq!((status, p["code"].as_str()), (401, Some("NOT_FOUND")));
    assert!(p["detail"].as_str().unwrap().contains("mistyped"), "{p}");
}

async fn conflicts(app: TestApp) {
    app.member("svc", &["orders:read"]).await;
    let (status, p) = app
        .post(
            "/api/v1/users",
            json!({"username": "svc", "email": "x@example.com", "display_name": "again"}),
        )
        .await;
    assert_eq!((status, p["code"].as_str()), (409, Some("conflict")), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("username"));
    let (status, p) = app
        .post("/api/v1/departments", json!({"name": "Dept of svc"}))
        .await;
    assert_eq!(status, 409);
    assert!(p["detail"].as_str().unwrap().contains("department name"));
    let d = app.get_ok("/api/v1/departments?q=svc").await;
    let did = d["items"][0]["id"].as_str().unwrap();
    let (status, p) = app.delete(&format!("/api/v1/departments/{did}")).await;
    assert_eq!((status, p["code"].as_str()), (409, Some("in_use")), "{p}");
}

/// Posts a token body for `m` with `field` set to `value`; status, content type, body.
async fn token_with(app: &TestApp, m: &Member, field: &str, value: Value) -> (u16, String, Value) {
    let mut body = app.token_body(m, "t");
    body[field] = value;
    raw(app, "/api/v1/tokens", "application/json", &body.to_string()).await
}

fn assert_nul_refused(status: u16, ct: &str, p: &Value, what: &str) {
    assert_eq!(status, 422, "{what}: {p}");
    assert_eq!(ct, "application/problem+json", "{what}");
    assert_eq!(p["code"], "control_character", "{what}: {p}");
    assert!(p["detail"].as_str().unwrap().contains("NUL"), "{what}: {p}");
}

async fn get_raw(app: &TestApp, path: &str) -> (u16, String, Value) {
    let res = send(app.http.get(app.url(path)).bearer_auth(&app.admin_token)).await;
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    (status, ct, res.json().await.unwrap_or(Value::Null))
}

/// PostgreSQL cannot store U+0000 in text, so a NUL used to be a 500 there. It is
/// refused with 422 wherever input enters, on both stores, and nothing is stored.
async fn nul(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let users_before = app.get_ok("/api/v1/users").await["total"].clone();

    // A JSON body, even an unauthenticated one: the app's login.
    let login = app.http.post(app.url("/api/v1/mobile/login"));
    let body = r#"{"tenant":"acme","username":"ro\u0000ot","password":"secret secret","device_name":"phone"}"#;
    let res = send(login.header("content-type", "application/json").body(body)).await;
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert_nul_refused(status, &ct, &res.json().await.unwrap(), "mobile login");

    let (s, ct, p) = raw(
        &app,
        "/api/v1/users",
        "application/json",
        r#"{"username":"a\u0000b","email":"a@example.com","display_name":"A"}"#,
    )
    .await;
    assert_nul_refused(s, &ct, &p, "user name");
    let (s, ct, p) = token_with(&app, &m, "description", json!("before\u{0}after")).await;
    assert_nul_refused(s, &ct, &p, "token description");
    // In a key too, and after an escaped backslash (`\\` then `\u0000`).
    let (s, ct, p) = raw(
        &app,
        "/api/v1/departments",
        "application/json",
        r#"{"name":"x\\\u0000"}"#,
    )
    .await;
    assert_nul_refused(s, &ct, &p, "after an escaped backslash");

    // The address: a query string, a path id, a hosted endpoint's path.
    let (s, ct, p) = get_raw(&app, "/api/v1/users?q=ro%00ot").await;
    assert_nul_refused(s, &ct, &p, "search q");
    let (s, ct, p) = get_raw(&app, "/api/v1/tokens/%00").await;
    assert_nul_refused(s, &ct, &p, "path id");
    let (s, ct, p) = get_raw(&app, "/e/acme/orders%00").await;
    assert_nul_refused(s, &ct, &p, "hosted path");
    let (s, ct, p) = get_raw(&app, "/auth/forward/acme%00").await;
    assert_nul_refused(s, &ct, &p, "forward-auth tenant");

    // Introspection's form.
    let key = app.verifier_key("gateway").await;
    let res = send(
        app.http
            .post(app.url("/oauth2/introspect"))
            .bearer_auth(&key)
            .form(&[("token", "kwa_\0")]),
    )
    .await;
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert_nul_refused(
        status,
        &ct,
        &res.json().await.unwrap(),
        "introspection form",
    );

    // Text that only looks like the escape is text: `\\u0000` is a backslash and "u0000".
    let mut body = app.token_body(&m, "literal");
    body["description"] = json!("\\u0000");
    let t = app.post_created("/api/v1/tokens", body).await;
    assert_eq!(t["description"], "\\u0000");

    // Nothing refused was stored.
    let users = app.get_ok("/api/v1/users").await;
    assert_eq!(users["total"], users_before);
    let tokens = app
        .get_ok(&format!("/api/v1/tokens?user_id={}", m.user_id))
        .await;
    assert_eq!(tokens["total"], 1, "{tokens}");
    let d = app.get_ok("/api/v1/departments?q=x").await;
    assert_eq!(d["total"], 0, "{d}");
    let sessions = app.get_ok("/api/v1/mobile-sessions").await;
    assert_eq!(sessions["total"], 0);
}
