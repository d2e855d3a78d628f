//! Migration in: keys another system issued are taken over as they are (their HMAC stored
//! like keyward's own), so integrations keep the keys they have. All or nothing per call,
//! with a dry run that lists what would be refused and why.

use keyward_core::{TokenKind, TokenSecret};
use keyward_testkit::{on_both_backends, Backend, Member, TestApp};
use serde_json::{json, Value};
use std::time::Instant;

on_both_backends! {
    imported_keys_verify_on_every_route_and_regenerate_into_keyward_tokens => verify_everywhere;
    one_bad_row_imports_nothing_and_every_refused_row_is_named => bad_rows;
}

on_both_backends! {
    backend:
    an_imported_key_verifies_on_another_node_once_the_feed_has_it => two_nodes;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_keys_import_in_one_call_and_each_verifies() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let m = app.member("legacy", &["orders:read"]).await;
    let keys: Vec<String> = (0..10_000)
        .map(|i| {
            format!(
                "legacy_live_{i:05}_{}",
                TokenSecret::generate(TokenKind::Api).expose()
            )
        })
        .collect();
    let items: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| item(&m, k, &format!("legacy key {i}")))
        .collect();
    let started = Instant::now();
    let done = imported(&app, json!({"items": items})).await;
    // A figure for the notes, never an assertion: a debug build on a shared machine.
    eprintln!(
        "imported 10,000 keys in one call in {:?} (debug build, SQLite)",
        started.elapsed()
    );
    assert_eq!(done["accepted"], 10_000);
    assert_eq!(done["items"].as_array().unwrap().len(), 10_000);
    assert_eq!(app.token_count(&m).await, 10_000);
    // Every one of them verifies (eight clients at once).
    let app = std::sync::Arc::new(app);
    let mut checks = tokio::task::JoinSet::new();
    for chunk in keys.chunks(keys.len() / 8) {
        let (app, chunk) = (app.clone(), chunk.to_vec());
        checks.spawn(async move {
            let mut refused = Vec::new();
            for k in chunk {
                let code = app.verify_at(&app.base, &k).await;
                if code != "VALID" {
                    refused.push(code);
                }
            }
            refused
        });
    }
    while let Some(refused) = checks.join_next().await {
        let refused = refused.unwrap();
        assert!(
            refused.is_empty(),
            "{} refused, e.g. {}",
            refused.len(),
            refused[0]
        );
    }
}

/// The answer to an import of `body` (asserting 201).
async fn imported(app: &TestApp, body: Value) -> Value {
    app.ok(201, app.post("/api/v1/tokens/import", body).await)
        .await
}

/// An import item for `m`'s membership.
fn item(m: &Member, secret: &str, name: &str) -> Value {
    let mut v = m.token_body(name);
    v["secret"] = json!(secret);
    v
}

async fn verify_everywhere(app: TestApp) {
    app.recoverable_secrets().await;
    let m = app.member("legacy", &["orders:read"]).await;
    let key = "sk_live_51HqA9xYzAbCdEfGhIjKlMnOpQrStUv";
    let short = "0123456789abcdef";
    let done = imported(
        &app,
        json!({"items": [item(&m, key, "Stripe-style key"), item(&m, short, "Short key")]}),
    )
    .await;
    let id = done["items"][0]["id"].as_str().unwrap().to_string();
    // The hint shows at most 8 characters of the key, and the answer never the key.
    assert_eq!(done["items"][0]["hint"], "sk_l…StUv");
    assert_eq!(done["items"][1]["hint"], "…cdef");
    assert!(!done.to_string().contains(key));

    assert_eq!(app.verify(key, Some("orders:read")).await, "VALID");
    assert_eq!(app.verify(short, None).await, "VALID");
    assert_eq!(app.verify(key, Some("orders:write")).await, "FORBIDDEN");
    // Forward auth and introspection take it as they take a keyward token.
    let res = app
        .http
        .get(app.url("/auth/forward/acme"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-keyward-token-id"], id.as_str());
    let verifier = app.verifier_key("introspecting service").await;
    let v: Value = app
        .http
        .post(app.url("/oauth2/introspect"))
        .basic_auth("introspecting-service", Some(&verifier))
        .form(&[("token", key)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["active"], true, "{v}");
    // A near miss of an imported key is no key, and costs no storage read.
    assert_eq!(
        app.verify("sk_live_51HqA9xYzAbCdEfGhIjKlMnOpQrStUw", None)
            .await,
        "NOT_FOUND"
    );

    // Marked imported, audited as imported, and under `recoverable` revealed as it was.
    let t = app.get_ok(&format!("/api/v1/tokens/{id}")).await;
    assert!(t["imported_at"].is_string(), "{t}");
    assert_eq!(t["hint"], "sk_l…StUv");
    let actions = app.audit_actions(&format!("object_id={id}")).await;
    assert_eq!(actions, ["token.imported"]);
    let revealed = app
        .post_empty_ok(&format!("/api/v1/tokens/{id}/reveal"))
        .await;
    assert_eq!(revealed["token"], key);

    // Regenerated into the keyward format; the imported key keeps working for the grace.
    let new = app.regenerated(&id, 3600).await;
    assert!(new.starts_with("kwa_"), "{new}");
    assert_eq!(app.verify(&new, None).await, "VALID");
    assert_eq!(app.verify(key, None).await, "VALID");
    let t = app.get_ok(&format!("/api/v1/tokens/{id}")).await;
    assert_eq!(t["previous_secret"]["hint"], "sk_l…StUv");
    assert!(
        t["imported_at"].is_string(),
        "where it came from stays: {t}"
    );
    app.post_empty_ok(&format!("/api/v1/tokens/{id}/end-grace"))
        .await;
    assert_eq!(app.verify(key, None).await, "NOT_FOUND");
    // A leaked imported key is found by a self-revoke like a keyward token.
    let res = app
        .http
        .post(app.url("/api/v1/tokens/revoke-self"))
        .json(&json!({"token": short}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.verify(short, None).await, "REVOKED");
}

async fn bad_rows(app: TestApp) {
    let m = app.member("legacy", &["orders:read"]).await;
    let (_, held_secret) = app.token(&m, "already keyward's").await;
    let mobile = TokenSecret::generate(TokenKind::Mobile);
    let mut unknown_user = item(&m, "legacy-key-unknown-owner-0001", "Nobody's");
    unknown_user["user_id"] = json!(keyward_core::UserId::new().to_string());
    let mut late = item(&m, "legacy-key-far-future-000001", "Too late");
    late["expires_at"] = json!("2999-01-01T00:00:00Z");
    let items = json!([
        item(&m, "legacy-key-good-0000000001", "Good one"),
        item(&m, "short", "Too short"),
        unknown_user,
        item(&m, "legacy-key-good-0000000001", "Twice"),
        item(&m, mobile.expose(), "A session"),
        item(&m, &held_secret, "Held already"),
        late,
        item(&m, "legacy key with spaces 00001", "Spaces"),
        item(&m, "legacy-key-good-0000000002", "Good two"),
    ]);
    let expected = [
        (1, "secret", "invalid_secret"),
        (2, "user_id", "unknown_user"),
        (3, "secret", "duplicate_secret"),
        (4, "secret", "invalid_secret"),
        (5, "secret", "secret_taken"),
        (6, "expires_at", "expiry_beyond_policy"),
        (7, "secret", "invalid_secret"),
    ];
    let refused = |v: &Value| -> Vec<(u64, String, String)> {
        v["refused"]
            .as_array()
            .unwrap_or_else(|| panic!("no refused list: {v}"))
            .iter()
            .map(|r| {
                (
                    r["index"].as_u64().unwrap(),
                    r["field"].as_str().unwrap().to_string(),
                    r["code"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let want: Vec<(u64, String, String)> = expected
        .iter()
        .map(|(i, f, c)| (*i, f.to_string(), c.to_string()))
        .collect();
    let before = app.token_count(&m).await;

    // The dry run lists every refusal and stores nothing.
    let (status, dry) = app
        .post(
            "/api/v1/tokens/import",
            json!({"dry_run": true, "items": items}),
        )
        .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["accepted"], 2);
    assert_eq!(refused(&dry), want);
    assert_eq!(app.token_count(&m).await, before);

    // For real: a 422 problem that names each row and why, and nothing imported.
    let (status, p) = app
        .post("/api/v1/tokens/import", json!({"items": items}))
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("import_refused")),
        "{p}"
    );
    assert_eq!(refused(&p), want);
    assert!(
        p["detail"].as_str().unwrap().contains("items[1].secret"),
        "{p}"
    );
    assert!(
        !p.to_string().contains("legacy-key-good"),
        "no secret echoed: {p}"
    );
    assert_eq!(app.token_count(&m).await, before);
    assert_eq!(
        app.verify("legacy-key-good-0000000001", None).await,
        "NOT_FOUND"
    );

    // The good rows alone import.
    let good = json!([
        item(&m, "legacy-key-good-0000000001", "Good one"),
        item(&m, "legacy-key-good-0000000002", "Good two"),
    ]);
    let done = app
        .ok(
            201,
            app.post("/api/v1/tokens/import", json!({"items": good}))
                .await,
        )
        .await;
    assert_eq!(done["accepted"], 2);
    assert_eq!(app.token_count(&m).await, before + 2);
    // The same file again: each key is held now.
    let (status, p) = app
        .post("/api/v1/tokens/import", json!({"items": good}))
        .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(refused(&p)[0].2, "secret_taken");
    // A misspelt field is refused, as POST /api/v1/tokens refuses it, rather than
    // dropped: an `allowed_cidr` left out would import a token usable from anywhere.
    let mut typo = item(&m, "legacy-key-typo-0000000001", "Typo");
    typo["allowed_cidr"] = json!(["10.0.0.0/8"]);
    let (status, p) = app
        .post("/api/v1/tokens/import", json!({"items": [typo]}))
        .await;
    assert_eq!(status, 422, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("allowed_cidr"),
        "{p}"
    );
    assert_eq!(
        app.verify("legacy-key-typo-0000000001", None).await,
        "NOT_FOUND"
    );
    // An empty import is refused as such.
    let (status, p) = app
        .post("/api/v1/tokens/import", json!({"items": []}))
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("validation")),
        "{p}"
    );
}

async fn two_nodes(backend: Backend) {
    let (app, _stop, _h) = TestApp::spawn_stoppable(backend, |_| {}).await;
    let other = app.second_node().await;
    let m = app.member("legacy", &["orders:read"]).await;
    let key = "AKIAIOSFODNN7EXAMPLE-legacy";
    assert_eq!(app.verify_at(&other.base, key).await, "NOT_FOUND");
    imported(
        &app,
        json!({"items": [item(&m, key, "From the old gateway")]}),
    )
    .await;
    assert_eq!(app.verify_at(&app.base, key).await, "VALID");
    app.wait_for_code_at(&other.base, key, "VALID").await;
}
