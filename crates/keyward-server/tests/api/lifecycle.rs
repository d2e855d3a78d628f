//! The inactivity policy (issue 15), with the pass run at a chosen moment instead of
//! waiting for days: a token unused for the flag age is stale (in the listing, its
//! filter and one `token.stale`), one unused for the revoke age is revoked with reason
//! `unused` and refused at once, a used token is left alone, and two nodes passing at the
//! same moment revoke each token once.
//!
//! A use "on day N" is arranged by writing that last-use time, as the verifier's flush
//! writes the uses it has gathered (`Store::touch_last_used`).

use keyward_server::lifecycle::{lifecycle_pass, Passed};
use keyward_server::{AppState, ServerConfig};
use keyward_testkit::{on_both_backends, Backend, Receiver, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use time::OffsetDateTime;

on_both_backends! {
    a_token_unused_for_the_flag_age_is_stale_and_announced_once => stale with fast;
    a_token_unused_for_the_revoke_age_is_revoked_and_refused => revoked with fast;
    a_use_not_yet_written_keeps_a_token_from_being_revoked => pending_use;
    an_unused_mobile_session_is_marked_and_then_revoked => mobile;
    an_unused_applications_endpoint_token_is_marked_and_then_retired => endpoint_tokens with fast;
    endpoint_tokens_carry_their_last_use_and_the_stale_mark => endpoint_token_marks;
    the_inactivity_policy_is_validated_with_the_field_named => validated;
}

on_both_backends! {
    backend:
    two_nodes_passing_at_once_revoke_each_token_once => two_nodes;
}

/// Webhook deliveries and the scan within milliseconds, so that the tests wait for little.
fn fast(c: &mut ServerConfig) {
    c.webhooks.poll = Duration::from_millis(50);
    c.webhooks.expiry_scan = Duration::from_millis(100);
}

fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

/// The tenant's policy: stale after `flag` days, revoked after `revoke` days.
async fn policy(app: &TestApp, flag: u32, revoke: u32) {
    let s = app
        .patch_ok(
            "/api/v1/settings",
            json!({"flag_unused_after_days": flag, "revoke_unused_after_days": revoke}),
        )
        .await;
    assert_eq!(s["flag_unused_after_days"], flag);
    assert_eq!(s["revoke_unused_after_days"], revoke);
}

/// Records a use of token `id` at `at`, as a node's flush does.
async fn used_at(st: &AppState, id: &str, at: OffsetDateTime) {
    st.store
        .touch_last_used(&[(id.parse().unwrap(), at)])
        .await
        .unwrap();
}

/// The id of the bootstrapped administrator's own API token.
async fn admin_token_id(app: &TestApp) -> String {
    let mine = app
        .get_ok(&format!("/api/v1/tokens?user_id={}", app.admin_id))
        .await;
    mine["items"][0]["id"].as_str().unwrap().to_string()
}

/// The administrator keeps using their token: a use on day `day` after `t0`, so that the
/// passes run before it do not take it away.
async fn admin_in_use(app: &TestApp, t0: OffsetDateTime, day: i64) {
    used_at(&app.state, &admin_token_id(app).await, t0 + days(day)).await;
}

async fn hook(app: &TestApp, rx: &Receiver, events: Value) {
    app.post_created(
        "/api/v1/webhooks",
        json!({"name": "lifecycle", "url": rx.url, "events": events}),
    )
    .await;
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

async fn stale(app: TestApp) {
    let t0 = keyward_store::now();
    let rx = Receiver::start().await;
    hook(&app, &rx, json!(["token.stale"])).await;
    admin_in_use(&app, t0, 59).await;
    let m = app.member("svc", &["orders:read"]).await;
    let (old, _) = app.token(&m, "last used 40 days ago").await;
    let (fresh, fresh_secret) = app.token(&m, "made today").await;
    // Off by default: nothing is stale, however old its last use.
    used_at(&app.state, &old, t0 - days(40)).await;
    let all = app.get_ok("/api/v1/tokens?status=stale").await;
    assert_eq!(all["total"], 0, "{all}");
    assert_eq!(
        lifecycle_pass(&app.state, t0 + days(400)).await.unwrap(),
        Passed::default()
    );

    policy(&app, 30, 0).await;
    // Stale now: in the filter and marked in the listing and on its own page.
    let listed = app.get_ok("/api/v1/tokens?status=stale").await;
    assert_eq!(ids(&listed), vec![old.clone()], "{listed}");
    assert_eq!(listed["items"][0]["stale"], true);
    let page = app.get_ok(&format!("/api/v1/tokens/{fresh}")).await;
    assert_eq!(page["stale"], false);
    assert_eq!(page["status"], "active", "stale is a mark, not a state");
    // The nodes' own scan (real time) announces it once.
    let got = rx.wait_delivered(1).await;
    let body = got[0].json();
    assert_eq!(body["type"], "token.stale");
    assert_eq!(body["data"]["object_id"], old.as_str());
    assert_eq!(body["data"]["actor"]["name"], "inactivity-policy");
    assert_eq!(body["data"]["details"]["name"], "last used 40 days ago");
    assert_eq!(body["data"]["details"]["flag_unused_after_days"], 30);

    // Thirty days on, the token made today is stale too (it was never used: its
    // creation counts); the old one is not announced again, and the administrator's
    // token, in use, is not stale.
    let later = t0 + days(31);
    let done = lifecycle_pass(&app.state, later).await.unwrap();
    assert_eq!(done.announced, 1, "{done:?}");
    assert_eq!(done.revoked, 0, "revoking is off");
    assert_eq!(
        lifecycle_pass(&app.state, later).await.unwrap(),
        Passed::default()
    );
    rx.wait_delivered(2).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let stale_ids: Vec<String> = rx
        .received()
        .iter()
        .map(|r| r.json()["data"]["object_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stale_ids.len(), 2, "each once: {stale_ids:?}");
    assert_eq!(stale_ids[1], fresh);
    let audit = app.audit_actions("action=token.stale").await;
    assert_eq!(audit.len(), 2, "{audit:?}");

    // Used again, it is no longer stale; going unused again later announces it again.
    assert_eq!(app.verify(&fresh_secret, None).await, "VALID");
    app.state.verifier.flush_last_used().await;
    let page = app.get_ok(&format!("/api/v1/tokens/{fresh}")).await;
    assert_eq!(page["stale"], false, "{page}");
    assert!(page["last_used_at"].is_string());
    let now = keyward_store::now();
    let done = lifecycle_pass(&app.state, now).await.unwrap();
    assert_eq!(done.announced, 0, "used a moment ago: {done:?}");
    let done = lifecycle_pass(&app.state, now + days(31)).await.unwrap();
    assert_eq!(done.announced, 1, "a new period of disuse: {done:?}");
    rx.wait_delivered(3).await;

    // The console marks it, and offers the filter.
    use super::console::try_login;
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", keyward_testkit::PASSWORD)
        .await
        .expect("login");
    let (status, html) = c.get("/console/tokens?status=stale").await;
    assert_eq!(status, 200);
    assert!(html.contains("last used 40 days ago"), "{html}");
    assert!(!html.contains("made today"), "not stale in real time");
    assert!(html.contains("badge-stale"), "{html}");
    assert!(html.contains("value=\"stale\""), "the filter is offered");
    let (_, html) = c.get(&format!("/console/tokens/{old}")).await;
    assert!(html.contains("id=\"stale\""), "the token's page marks it");
}

async fn revoked(app: TestApp) {
    let t0 = keyward_store::now();
    let rx = Receiver::start().await;
    hook(&app, &rx, json!(["token.revoked"])).await;
    policy(&app, 30, 60).await;
    admin_in_use(&app, t0, 59).await;
    let m = app.member("svc", &["orders:read"]).await;
    let (idle, idle_secret) = app.token(&m, "idle").await;
    let (busy, busy_secret) = app.token(&m, "busy").await;
    // Checked now, so the node has the idle token's answer cached when it is revoked.
    assert_eq!(app.verify(&idle_secret, None).await, "VALID");
    used_at(&app.state, &busy, t0 + days(59)).await;

    let at = t0 + days(61);
    let done = lifecycle_pass(&app.state, at).await.unwrap();
    assert_eq!(done.revoked, 1, "{done:?}");
    assert_eq!(
        lifecycle_pass(&app.state, at).await.unwrap().revoked,
        0,
        "revoked once"
    );
    // Refused at once, as after an administrator's revoke.
    assert_eq!(app.verify(&idle_secret, None).await, "REVOKED");
    assert_eq!(app.verify(&busy_secret, None).await, "VALID");
    let t = app.get_ok(&format!("/api/v1/tokens/{idle}")).await;
    assert_eq!(t["status"], "revoked", "{t}");
    assert!(t["revoked_by"].is_null(), "the system revoked it");
    assert_eq!(t["stale"], false, "a revoked token is done with");
    let busy_now = app.get_ok(&format!("/api/v1/tokens/{busy}")).await;
    assert_eq!(busy_now["status"], "active", "used two days before");

    let got = rx.wait_delivered(1).await;
    let body = got[0].json();
    assert_eq!(body["type"], "token.revoked");
    assert_eq!(body["data"]["object_id"], idle.as_str());
    assert_eq!(body["data"]["details"]["reason"], "unused");
    assert_eq!(body["data"]["actor"]["name"], "inactivity-policy");
    let audit = app
        .get_ok(&format!(
            "/api/v1/audit-events?object_id={idle}&action=token.revoked"
        ))
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(audit["items"][0]["details"]["reason"], "unused");
    assert!(audit["items"][0]["actor_id"].is_null());
    // The administrator, who kept using their token, still can.
    app.get_ok("/api/v1/settings").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 1, "one revocation, one webhook");
}

async fn endpoint_tokens(app: TestApp) {
    let t0 = keyward_store::now();
    let rx = Receiver::start().await;
    hook(&app, &rx, json!(["token.stale", "token.revoked"])).await;
    policy(&app, 30, 60).await;
    admin_in_use(&app, t0, 59).await;
    let ep = app.endpoint("orders/in", "token", false).await;
    let (idle, idle_secret) = app.endpoint_token("Old partner app").await;
    let (busy, busy_secret) = app.endpoint_token("Webshop").await;
    for id in [&idle, &busy] {
        app.assign(&ep.id, id, true).await;
    }
    // A use is recorded, coalesced like an API token's, and shown with the token.
    assert_eq!(app.post_record_with("orders/in", &busy_secret).await, 201);
    app.state.verifier.flush_last_used().await;
    let t = app.get_ok(&format!("/api/v1/endpoint-tokens/{busy}")).await;
    assert!(t["last_used_at"].is_string(), "{t}");
    assert!(app.get_ok(&format!("/api/v1/endpoint-tokens/{idle}")).await["last_used_at"].is_null());
    // The busy application keeps using its token: a use on day 59.
    app.state
        .store
        .touch_endpoint_last_used(&[(busy.parse().unwrap(), t0 + days(59))])
        .await
        .unwrap();

    // Day 35: the idle one is stale, announced once.
    let at = t0 + days(35);
    let done = lifecycle_pass(&app.state, at).await.unwrap();
    assert_eq!(done.announced, 1, "{done:?}");
    assert_eq!(lifecycle_pass(&app.state, at).await.unwrap().announced, 0);
    let got = rx.wait_delivered(1).await;
    let body = got[0].json();
    assert_eq!(body["type"], "token.stale");
    assert_eq!(body["data"]["object_type"], "endpoint_token");
    assert_eq!(body["data"]["object_id"], idle.as_str());

    // Day 61: retired (deactivated, switched off), refused at once; the other serves on.
    let at = t0 + days(61);
    let done = lifecycle_pass(&app.state, at).await.unwrap();
    assert_eq!(done.revoked, 1, "{done:?}");
    assert_eq!(
        lifecycle_pass(&app.state, at).await.unwrap().revoked,
        0,
        "once"
    );
    assert_ne!(app.post_record_with("orders/in", &idle_secret).await, 201);
    assert_eq!(app.post_record_with("orders/in", &busy_secret).await, 201);
    let t = app.get_ok(&format!("/api/v1/endpoint-tokens/{idle}")).await;
    assert_eq!(
        (&t["active"], &t["enabled"]),
        (&json!(false), &json!(false)),
        "{t}"
    );
    let inactive = app.get_ok("/api/v1/endpoint-tokens?status=inactive").await;
    assert_eq!(ids(&inactive), [idle.as_str()]);
    rx.wait_until(|r| r.len() >= 2).await;
    let revoked: Vec<Value> = rx
        .delivered()
        .iter()
        .map(|r| r.json())
        .filter(|b| b["type"] == "token.revoked")
        .collect();
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0]["data"]["object_id"], idle.as_str());
    assert_eq!(revoked[0]["data"]["details"]["reason"], "unused");
    let audit = app
        .get_ok(&format!(
            "/api/v1/audit-events?object_id={idle}&action=endpoint_token.retired"
        ))
        .await;
    assert_eq!(audit["total"], 1, "{audit}");
}

/// The `stale` mark and filter of endpoint tokens, judged when they are read: under a
/// policy of one day, a last use two days ago is stale now, one a moment ago is not.
async fn endpoint_token_marks(app: TestApp) {
    policy(&app, 1, 0).await;
    let (old, _) = app.endpoint_token("Quiet app").await;
    let (new, secret) = app.endpoint_token("Busy app").await;
    let ep = app.endpoint("stock/in", "token", false).await;
    app.assign(&ep.id, &new, true).await;
    // Neither is a day old yet: nothing is stale.
    assert_eq!(
        ids(&app.get_ok("/api/v1/endpoint-tokens?status=stale").await).len(),
        0
    );
    let two_days_ago = keyward_store::now() - days(2);
    app.state
        .store
        .touch_endpoint_last_used(&[(old.parse().unwrap(), two_days_ago)])
        .await
        .unwrap();
    assert_eq!(app.post_record_with("stock/in", &secret).await, 201);
    app.state.verifier.flush_last_used().await;
    let stale = app.get_ok("/api/v1/endpoint-tokens?status=stale").await;
    assert_eq!(ids(&stale), [old.as_str()]);
    assert_eq!(stale["items"][0]["stale"], true);
    let t = app.get_ok(&format!("/api/v1/endpoint-tokens/{new}")).await;
    assert_eq!(t["stale"], false, "{t}");
    // Deactivated, it is no longer stale; activated again, its disuse starts anew, so
    // the policy does not take back at once what an administrator brought back.
    let path = format!("/api/v1/endpoint-tokens/{old}");
    assert_eq!(
        app.patch_ok(&path, json!({"active": false})).await["stale"],
        false
    );
    let back = app.patch_ok(&path, json!({"active": true})).await;
    assert_eq!(
        (&back["active"], &back["stale"]),
        (&json!(true), &json!(false)),
        "{back}"
    );
    assert_eq!(
        ids(&app.get_ok("/api/v1/endpoint-tokens?status=stale").await).len(),
        0
    );
}

async fn pending_use(app: TestApp) {
    policy(&app, 0, 60).await;
    let now = keyward_store::now();
    let m = app.member("svc", &["orders:read"]).await;
    let (id, secret) = app.token(&m, "back in use").await;
    // As storage has it, unused for 70 days...
    used_at(&app.state, &id, now - days(70)).await;
    // ...and used a moment ago on this node, a use not written yet.
    assert_eq!(app.verify(&secret, None).await, "VALID");
    let done = lifecycle_pass(&app.state, keyward_store::now())
        .await
        .unwrap();
    assert_eq!(done.revoked, 0, "{done:?}");
    assert_eq!(app.verify(&secret, None).await, "VALID");
    let t = app.get_ok(&format!("/api/v1/tokens/{id}")).await;
    assert_eq!(t["status"], "active", "{t}");
}

async fn mobile(app: TestApp) {
    let t0 = keyward_store::now();
    // Sessions that outlive the policy's periods (30 days would end one first).
    app.patch_ok("/api/v1/settings", json!({"mobile_session_days": 90}))
        .await;
    policy(&app, 30, 60).await;
    admin_in_use(&app, t0, 59).await;
    app.member_with_password("mia", &["orders:read"]).await;
    let (id, session) = super::mobile::login(&app, "mia").await;
    let list = app.get_ok("/api/v1/mobile-sessions").await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert_eq!(list["items"][0]["stale"], false);
    used_at(&app.state, &id, t0 - days(40)).await;
    let list = app.get_ok("/api/v1/mobile-sessions").await;
    assert_eq!(list["items"][0]["stale"], true, "{list}");
    let stale = app.get_ok("/api/v1/tokens?kind=mobile&status=stale").await;
    assert_eq!(ids(&stale), vec![id.clone()]);
    use super::console::try_login;
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", keyward_testkit::PASSWORD)
        .await
        .expect("login");
    let (_, html) = c.get("/console/tokens/mobile").await;
    assert!(html.contains("badge-stale"), "{html}");
    let (_, html) = c.get(&format!("/console/tokens/mobile/{id}")).await;
    assert!(html.contains("id=\"stale\""), "{html}");

    let done = lifecycle_pass(&app.state, t0 + days(61)).await.unwrap();
    assert_eq!(done.revoked, 1, "{done:?}");
    assert_eq!(app.verify(&session, None).await, "REVOKED");
}

async fn validated(app: TestApp) {
    let s = app.get_ok("/api/v1/settings").await;
    assert_eq!(s["flag_unused_after_days"], 0, "off by default");
    assert_eq!(s["revoke_unused_after_days"], 0, "off by default");
    for (body, field) in [
        (
            json!({"flag_unused_after_days": 90, "revoke_unused_after_days": 30}),
            "revoke_unused_after_days",
        ),
        (
            json!({"flag_unused_after_days": 30, "revoke_unused_after_days": 30}),
            "revoke_unused_after_days",
        ),
        (
            json!({"flag_unused_after_days": 5000}),
            "flag_unused_after_days",
        ),
        (
            json!({"revoke_unused_after_days": 5000}),
            "revoke_unused_after_days",
        ),
    ] {
        let (status, p) = app.patch("/api/v1/settings", body.clone()).await;
        assert_eq!(status, 422, "{body}: {p}");
        assert!(p["detail"].as_str().unwrap().contains(field), "{p}");
    }
    // Revoking alone, without marking, is a policy of its own.
    policy(&app, 0, 365).await;
    // Once both are on, a flag period at or beyond the revoke period is refused too.
    let (status, p) = app
        .patch("/api/v1/settings", json!({"flag_unused_after_days": 365}))
        .await;
    assert_eq!(status, 422, "{p}");
    policy(&app, 90, 365).await;

    // The console says the same in its own words, with the field's label.
    use super::console::try_login;
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", keyward_testkit::PASSWORD)
        .await
        .expect("login");
    let (_, page) = c.get("/console/settings").await;
    assert!(page.contains("name=\"flag_unused_after_days\""), "{page}");
    assert!(page.contains("value=\"90\""));
    let form = [
        ("csrf", c.csrf.as_str()),
        ("api_tokens_enabled", "on"),
        ("secret_storage", "show_once"),
        ("max_token_lifetime_days", "365"),
        ("default_token_lifetime_days", "90"),
        ("mobile_session_days", "30"),
        ("expiry_notice_days", "14"),
        ("flag_unused_after_days", "400"),
        ("revoke_unused_after_days", "365"),
    ];
    let (status, page) = c.post("/console/settings", &form).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("must be longer than") && page.contains("Mark tokens unused for"),
        "{page}"
    );
    let s = app.get_ok("/api/v1/settings").await;
    assert_eq!(s["flag_unused_after_days"], 90, "nothing was stored");
}

async fn two_nodes(backend: Backend) {
    let (app, _stop, _handle) = TestApp::spawn_stoppable(backend, fast).await;
    let node = app.second_node().await;
    let (second, second_base) = (&node.state, node.base.clone());
    let t0 = keyward_store::now();
    policy(&app, 0, 60).await;
    admin_in_use(&app, t0, 59).await;
    let m = app.member("svc", &["orders:read"]).await;
    const N: usize = 12;
    let mut tokens = Vec::new();
    for i in 0..N {
        tokens.push(app.token(&m, &format!("idle {i}")).await);
    }
    // Both nodes have each token's answer cached.
    for (_, secret) in &tokens {
        assert_eq!(app.verify(secret, None).await, "VALID");
        assert_eq!(app.verify_at(&second_base, secret).await, "VALID");
    }

    let at = t0 + days(61);
    let (a, b) = tokio::join!(lifecycle_pass(&app.state, at), lifecycle_pass(second, at));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.revoked + b.revoked, N, "{a:?} {b:?}");
    let audit = app
        .get_ok("/api/v1/audit-events?action=token.revoked&per_page=500")
        .await;
    let mut revoked: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["object_id"].as_str().unwrap())
        .collect();
    revoked.sort();
    let mut want: Vec<&str> = tokens.iter().map(|(id, _)| id.as_str()).collect();
    want.sort();
    assert_eq!(revoked, want, "one audit event per token");
    // Refused on both nodes: each revoked some, and learnt of the others' through the
    // change feed.
    for base in [&app.base, &second_base] {
        for (_, secret) in &tokens {
            let mut code = String::new();
            for _ in 0..100 {
                code = app.verify_at(base, secret).await;
                if code == "REVOKED" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert_eq!(code, "REVOKED", "on {base}");
        }
    }
}
