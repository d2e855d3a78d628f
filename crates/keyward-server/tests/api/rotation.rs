//! Rotation with overlap, made observable: during a regenerate's grace period every use of
//! the old secret is counted (on every node, added at each last-use flush) and shown with
//! the token, and an administrator can end the grace early, on every node at once.

use keyward_testkit::{on_both_backends, Backend, TestApp};
use serde_json::Value;

on_both_backends! {
    the_old_secrets_uses_are_counted_until_the_grace_is_ended => counted;
}

on_both_backends! {
    backend:
    uses_on_two_nodes_add_up_and_ending_the_grace_stops_the_old_secret_on_both => two_nodes;
}

async fn token(app: &TestApp, id: &str) -> Value {
    app.get_ok(&format!("/api/v1/tokens/{id}")).await
}

/// Flushes what `nodes` gathered until token `id` shows `n` uses of its previous secret. A
/// node's own periodic flush may hold a batch when the test asks for one, so the count
/// is read until that batch is written too (within the flush interval, with room).
pub(crate) async fn uses_become(
    app: &TestApp,
    nodes: &[&keyward_server::AppState],
    id: &str,
    n: i64,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        for node in nodes {
            node.verifier.flush_last_used().await;
        }
        let uses = token(app, id).await["previous_secret"]["uses"].clone();
        if uses == n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "uses stay at {uses}, not {n}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn counted(app: TestApp) {
    let (_m, id, old) = app.svc_with_token("rotating").await;
    let old_hint = token(&app, &id).await["hint"].clone();
    assert!(token(&app, &id).await["previous_secret"].is_null());
    let new = app.regenerated(&id, 86_400).await;
    let t = token(&app, &id).await;
    let p = &t["previous_secret"];
    assert_eq!(p["hint"], old_hint, "{t}");
    assert_eq!(p["uses"], 0);
    assert!(p["last_used_at"].is_null());
    assert!(p["valid_until"].is_string());
    assert_ne!(t["hint"], old_hint);

    for _ in 0..3 {
        assert_eq!(app.verify(&old, None).await, "VALID");
    }
    for _ in 0..2 {
        assert_eq!(app.verify(&new, None).await, "VALID");
    }
    // Refused checks with the old secret are no uses.
    assert_eq!(app.verify(&old, Some("orders:write")).await, "FORBIDDEN");
    uses_become(&app, &[&app.state], &id, 3).await;
    let p = token(&app, &id).await["previous_secret"].clone();
    assert!(p["last_used_at"].is_string(), "{p}");
    // Each flush adds what was counted since the last.
    assert_eq!(app.verify(&old, None).await, "VALID");
    uses_become(&app, &[&app.state], &id, 4).await;

    let ended = app
        .post_empty_ok(&format!("/api/v1/tokens/{id}/end-grace"))
        .await;
    assert!(ended["previous_secret"].is_null(), "{ended}");
    assert_eq!(app.verify(&old, None).await, "NOT_FOUND");
    assert_eq!(app.verify(&new, None).await, "VALID");
    let (status, p) = app
        .post_empty(&format!("/api/v1/tokens/{id}/end-grace"))
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("no_grace_period")),
        "{p}"
    );
    let audit = app
        .get_ok(&format!(
            "/api/v1/audit-events?object_id={id}&action=token.grace_ended"
        ))
        .await;
    let details = &audit["items"][0]["details"];
    assert_eq!(details["old_secret_uses"], 4, "{audit}");
    assert_eq!(details["old_hint"], old_hint);

    // A regenerate without grace keeps no previous secret to show or end.
    app.regenerated(&id, 0).await;
    assert!(token(&app, &id).await["previous_secret"].is_null());
    // Nor does a revoked token: its previous secret works no more than its current one.
    app.regenerated(&id, 3600).await;
    assert!(token(&app, &id).await["previous_secret"].is_object());
    app.post_empty_ok(&format!("/api/v1/tokens/{id}/revoke"))
        .await;
    assert!(token(&app, &id).await["previous_secret"].is_null());
    // Another tenant's administrator cannot end it, nor learn that it exists.
    let (_, their_admin) = app.other_tenant("globex").await;
    let (status, _) = app
        .call_as(
            &their_admin,
            reqwest::Method::POST,
            &format!("/api/v1/tokens/{id}/end-grace"),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

async fn two_nodes(backend: Backend) {
    let (app, _stop, _h) = TestApp::spawn_stoppable(backend, |_| {}).await;
    let other = app.second_node().await;
    let (_m, id, old) = app.svc_with_token("on two nodes").await;
    let new = app.regenerated(&id, 3600).await;
    // The other node may have preloaded the token before the regenerate; until its feed
    // brings the change (within its staleness bound) it answers the old secret as the
    // current one: VALID, and so not counted as a use of a previous secret. Counting is
    // what this test is about, so the other node catches up first.
    other.state.verifier.catch_up().await.unwrap();
    for _ in 0..2 {
        assert_eq!(app.verify_at(&app.base, &old).await, "VALID");
    }
    for _ in 0..3 {
        assert_eq!(app.verify_at(&other.base, &old).await, "VALID");
    }
    uses_become(&app, &[&app.state, &other.state], &id, 5).await;

    app.post_empty_ok(&format!("/api/v1/tokens/{id}/end-grace"))
        .await;
    assert_eq!(app.verify_at(&app.base, &old).await, "NOT_FOUND");
    // The other node drops it from the change feed, within its staleness bound.
    app.wait_for_code_at(&other.base, &old, "NOT_FOUND").await;
    assert_eq!(app.verify_at(&other.base, &new).await, "VALID");
}
