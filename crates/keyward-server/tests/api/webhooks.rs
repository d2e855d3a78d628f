//! Webhooks (SPEC §10) against a real receiver on a loopback port: what a receiver gets,
//! signed as Standard Webhooks says; retries with backoff; a delivery log; a restart and
//! a second node that lose nothing and send nothing twice.

use base64::Engine;
use hmac::{Hmac, Mac};
use keyward_server::ServerConfig;
use keyward_testkit::client::Tokens;
use keyward_testkit::{on_both_backends, Backend, Received, Receiver, TestApp};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

on_both_backends! {
    token_events_reach_the_receiver_signed_and_logged => events_signed_and_logged with fast;
    a_receiver_gets_only_the_events_it_subscribed_to_while_enabled => subscriptions with fast;
    a_failing_receiver_is_retried_until_it_answers => retried with fast;
    a_delivery_that_spends_every_attempt_fails_and_can_be_tried_again => spent with fast;
    bad_receivers_are_refused_with_a_clear_error => refused;
    webhooks_and_their_events_stay_in_their_tenant => tenancy with fast;
    a_token_about_to_expire_is_announced_once => expiring with fast;
    a_mobile_logout_is_sent_as_a_session_ended => session_ended with fast;
    an_administrator_manages_webhooks_and_retries_deliveries_in_the_console => console with fast;
}

on_both_backends! {
    backend:
    a_restart_in_the_middle_of_retries_loses_nothing => restart;
    two_nodes_deliver_each_event_once => two_nodes;
}

/// Retries within milliseconds, so that the tests wait for little.
fn fast(c: &mut ServerConfig) {
    c.webhooks.poll = Duration::from_millis(50);
    c.webhooks.first_retry = Duration::from_millis(50);
    c.webhooks.max_retry = Duration::from_millis(200);
    c.webhooks.max_attempts = 4;
    c.webhooks.expiry_scan = Duration::from_millis(100);
    c.webhooks.timeout = Duration::from_secs(1);
}

/// Registers a receiver for `events`; returns (id, secret).
async fn hook(app: &TestApp, rx: &Receiver, events: Value) -> (String, String) {
    let w = app
        .post_created(
            "/api/v1/webhooks",
            json!({"name": "ops alerting", "url": rx.url, "events": events}),
        )
        .await;
    (
        w["id"].as_str().unwrap().to_string(),
        w["secret"].as_str().unwrap().to_string(),
    )
}

/// Checks a request as a receiver does: the signature over `{id}.{timestamp}.{body}`
/// with the secret's decoded bytes, and a timestamp close to now.
fn check_signature(r: &Received, secret: &str) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let want = format!("v1,{}", b64.encode(mac.finalize().into_bytes()));
    assert_eq!(r.signature, want, "the signature of {}", r.id);
    let ts: i64 = r.timestamp.parse().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - ts).abs() < 300, "timestamp {ts} is now");
    assert_eq!(r.content_type, "application/json");
}

fn types(got: &[Received]) -> Vec<String> {
    let mut t: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

async fn deliveries(app: &TestApp, hook: &str) -> Vec<Value> {
    let log = app
        .get_ok(&format!("/api/v1/webhooks/{hook}/deliveries?per_page=500"))
        .await;
    log["items"].as_array().unwrap().clone()
}

async fn events_signed_and_logged(app: TestApp) {
    let rx = Receiver::start().await;
    let (id, secret) = hook(&app, &rx, json!(["*"])).await;
    let (_m, token, _) = app.svc_with_token("orders gateway").await;
    app.regenerated(&token, 0).await;
    app.revoke_token(&token).await;
    app.client()
        .delete::<Tokens>(token.parse().unwrap())
        .await
        .unwrap();
    let got = rx.wait_delivered(4).await;
    assert_eq!(
        types(&got),
        [
            "token.created",
            "token.deleted",
            "token.regenerated",
            "token.revoked"
        ]
    );
    let log = deliveries(&app, &id).await;
    assert_eq!(log.len(), 4, "{log:#?}");
    for r in &got {
        check_signature(r, &secret);
        let body = r.json();
        assert_eq!(body["data"]["object_type"], "token");
        assert_eq!(body["data"]["object_id"], token.as_str());
        assert_eq!(body["data"]["tenant_id"], app.tenant_id.as_str());
        assert_eq!(body["data"]["actor"]["name"], "root");
        // The receiver's `webhook-id` is the delivery's id in the log, which shows the
        // body exactly as it was sent.
        let entry = log.iter().find(|d| d["id"] == r.id.as_str()).unwrap();
        assert_eq!(entry["state"], "delivered", "{entry}");
        assert_eq!(entry["attempts"], 1);
        assert_eq!(entry["last_status"], 204);
        assert_eq!(entry["payload"], body);
        assert_eq!(entry["event_type"], body["type"]);
    }
    let created = got
        .iter()
        .map(Received::json)
        .find(|b| b["type"] == "token.created")
        .unwrap();
    assert_eq!(created["data"]["details"]["name"], "orders gateway");
    // Each event is in the audit log under the id the receiver was told.
    let audit = app
        .get_ok(&format!("/api/v1/audit-events?object_id={token}"))
        .await;
    let audit_ids: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    for r in &got {
        let event = r.json()["data"]["event_id"].as_str().unwrap().to_string();
        assert!(
            audit_ids.contains(&event.as_str()),
            "{event} in {audit_ids:?}"
        );
    }
    // The secret was shown once: neither reading nor listing shows it.
    let one = app.get_ok(&format!("/api/v1/webhooks/{id}")).await;
    let list = app.get_ok("/api/v1/webhooks").await;
    for v in [&one, &list] {
        assert!(!v.to_string().contains(&secret), "{v}");
    }
    assert!(one["secret_hint"].as_str().unwrap().starts_with("whsec_"));
}

async fn subscriptions(app: TestApp) {
    let rx = Receiver::start().await;
    let (id, _) = hook(&app, &rx, json!(["token.revoked"])).await;
    assert_eq!(
        app.get_ok(&format!("/api/v1/webhooks/{id}")).await["events"],
        json!(["token.revoked"])
    );
    let (m, first, _) = app.svc_with_token("first").await;
    app.revoke_token(&first).await;
    let got = rx.wait_delivered(1).await;
    assert_eq!(types(&got), ["token.revoked"]);
    assert_eq!(got[0].json()["data"]["object_id"], first.as_str());
    // Switched off, it is sent nothing new.
    app.patch_ok(&format!("/api/v1/webhooks/{id}"), json!({"enabled": false}))
        .await;
    let (second, _) = app.token(&m, "second").await;
    app.revoke_token(&second).await;
    // On again, with every event: the next change reaches it, the one made while it was
    // off never does.
    app.patch_ok(
        &format!("/api/v1/webhooks/{id}"),
        json!({"enabled": true, "events": ["*"]}),
    )
    .await;
    let (third, _) = app.token(&m, "third").await;
    let got = rx.wait_delivered(2).await;
    assert_eq!(types(&got), ["token.created", "token.revoked"]);
    assert!(got
        .iter()
        .all(|r| r.json()["data"]["object_id"] != second.as_str()));
    assert_eq!(got[1].json()["data"]["object_id"], third.as_str());
    assert_eq!(deliveries(&app, &id).await.len(), 2);
}

async fn retried(app: TestApp) {
    let rx = Receiver::start().await;
    let (id, secret) = hook(&app, &rx, json!(["token.revoked"])).await;
    rx.fail_next(2);
    let (_m, token, _) = app.svc_with_token("flaky").await;
    app.revoke_token(&token).await;
    let got = rx.wait_delivered(1).await;
    let all = rx.received();
    assert_eq!(all.len(), 3, "two 500s, then the answer: {all:#?}");
    assert!(
        all.iter().all(|r| r.id == got[0].id),
        "one webhook-id throughout"
    );
    assert!(all.iter().all(|r| r.body == got[0].body), "the same body");
    for r in &all {
        check_signature(r, &secret);
    }
    let log = deliveries(&app, &id).await;
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["last_status"], 204);
}

async fn spent(app: TestApp) {
    let rx = Receiver::start().await;
    let (id, _) = hook(&app, &rx, json!(["token.revoked"])).await;
    rx.fail_next(1000);
    let (_m, token, _) = app.svc_with_token("down").await;
    app.revoke_token(&token).await;
    // `fast` allows 4 attempts.
    let mut log = Vec::new();
    for _ in 0..200 {
        log = deliveries(&app, &id).await;
        if log[0]["state"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(log[0]["state"], "failed", "{log:#?}");
    assert_eq!(log[0]["attempts"], 4);
    assert_eq!(log[0]["last_status"], 500);
    assert!(
        log[0]["last_error"].as_str().unwrap().contains("500"),
        "{}",
        log[0]
    );
    assert_eq!(rx.received().len(), 4);
    let failed = app
        .get_ok(&format!("/api/v1/webhooks/{id}/deliveries?state=failed"))
        .await;
    assert_eq!(failed["total"], 1);
    // The receiver is back: an administrator tries it again.
    rx.fail_next(0);
    let delivery = log[0]["id"].as_str().unwrap();
    let (status, again) = app
        .post_empty(&format!(
            "/api/v1/webhooks/{id}/deliveries/{delivery}/retry"
        ))
        .await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["state"], "pending");
    let got = rx.wait_delivered(1).await;
    assert_eq!(got[0].id, delivery);
    let one = app
        .get_ok(&format!("/api/v1/webhooks/{id}/deliveries/{delivery}"))
        .await;
    assert_eq!(one["state"], "delivered");
    assert_eq!(one["attempts"], 5);
    assert!(app
        .audit_actions("object_type=webhook")
        .await
        .contains(&"webhook.retried".to_string()));
}

async fn refused(app: TestApp) {
    let cases = [
        (
            json!({"name": "x", "url": "ftp://example.com/hook"}),
            "scheme",
        ),
        (json!({"name": "x", "url": "example.com/hook"}), "absolute"),
        (
            json!({"name": "x", "url": "https://u:p@example.com/hook"}),
            "credentials",
        ),
        (
            json!({"name": "x", "url": "https://example.com/hook", "events": ["token.create"]}),
            "token.created",
        ),
        (
            json!({"name": "x", "url": "https://example.com/hook", "events": []}),
            "at least one event",
        ),
    ];
    for (body, says) in cases {
        let (status, p) = app.post("/api/v1/webhooks", body.clone()).await;
        assert!(
            status == 400 || status == 422,
            "{body} answered {status}: {p}"
        );
        assert!(p["detail"].as_str().unwrap().contains(says), "{body}: {p}");
    }
    let (status, _) = app
        .post(
            "/api/v1/webhooks",
            json!({"name": "x", "url": "https://example.com/h", "secret": "mine"}),
        )
        .await;
    assert!(
        status == 400 || status == 422,
        "an unknown field is refused"
    );
    assert_eq!(app.get_ok("/api/v1/webhooks").await["total"], 0);
    let (status, _) = app
        .get("/api/v1/webhooks/00000000-0000-7000-8000-000000000000/deliveries")
        .await;
    assert_eq!(status, 404);
}

async fn tenancy(app: TestApp) {
    let ours = Receiver::start().await;
    let theirs = Receiver::start().await;
    let (id, _) = hook(&app, &ours, json!(["*"])).await;
    let (_, other_admin) = app.other_tenant("globex").await;
    let other = app.client_as(Some(&other_admin));
    // Their administrator cannot see or change ours.
    let (status, _) = app
        .get_as(&other_admin, &format!("/api/v1/webhooks/{id}"))
        .await;
    assert_eq!(status, 404);
    let (_, list) = app.get_as(&other_admin, "/api/v1/webhooks").await;
    assert_eq!(list["total"], 0);
    let res = app
        .http
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&other_admin)
        .json(&json!({"name": "theirs", "url": theirs.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // Their token's events go to their receiver only, ours to ours only.
    let m = keyward_testkit::member(&other, "their-svc", &["x:read"]).await;
    let (their_token, _) = keyward_testkit::token(&other, &m.create_token("theirs")).await;
    let (_m, our_token, _) = app.svc_with_token("ours").await;
    let t = theirs.wait_delivered(1).await;
    let o = ours.wait_delivered(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(theirs.received().len(), 1);
    assert_eq!(ours.received().len(), 1);
    assert_eq!(t[0].json()["data"]["object_id"], their_token.as_str());
    assert_eq!(o[0].json()["data"]["object_id"], our_token.as_str());
}

async fn expiring(app: TestApp) {
    let rx = Receiver::start().await;
    hook(&app, &rx, json!(["token.expiring"])).await;
    let m = app.member("svc", &["orders:read"]).await;
    let in_days = |d: i64| {
        (time::OffsetDateTime::now_utc() + time::Duration::days(d))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let mut soon = m.token_body("soon");
    soon["expires_at"] = json!(in_days(3));
    let soon = app.post_created("/api/v1/tokens", soon).await;
    let mut later = m.token_body("later");
    later["expires_at"] = json!(in_days(60));
    app.post_created("/api/v1/tokens", later).await;
    let got = rx.wait_delivered(1).await;
    assert_eq!(got[0].json()["type"], "token.expiring");
    assert_eq!(got[0].json()["data"]["object_id"], soon["id"]);
    assert_eq!(got[0].json()["data"]["details"]["name"], "soon");
    // Several scans later it has still been announced once; the token 60 days out is
    // beyond the tenant's 14-day notice.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(rx.received().len(), 1, "{:#?}", rx.received());
    assert!(app
        .audit_actions("action=token.expiring")
        .await
        .contains(&"token.expiring".to_string()));
    // A mobile session's expiry slides with each use: it is never announced.
    app.member_with_password("mia", &["orders:read"]).await;
    app.post_ok(
        "/api/v1/mobile/login",
        json!({"tenant": keyward_testkit::TENANT, "username": "mia",
               "password": keyward_testkit::PASSWORD, "device_name": "Mia's phone"}),
    )
    .await;
    // A wider notice announces the later one too, once (the administrator's own token,
    // 90 days out, stays beyond it).
    app.patch_ok("/api/v1/settings", json!({"expiry_notice_days": 75}))
        .await;
    rx.wait_delivered(2).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(rx.received().len(), 2);
    let (status, p) = app
        .patch("/api/v1/settings", json!({"expiry_notice_days": 400}))
        .await;
    assert_eq!(status, 422, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("expiry_notice_days"));
}

async fn session_ended(app: TestApp) {
    let rx = Receiver::start().await;
    hook(&app, &rx, json!(["mobile_session.ended"])).await;
    app.member_with_password("mia", &["orders:read"]).await;
    let login = app
        .post_ok(
            "/api/v1/mobile/login",
            json!({"tenant": keyward_testkit::TENANT, "username": "mia",
                   "password": keyward_testkit::PASSWORD, "device_name": "Mia's phone"}),
        )
        .await;
    let session = login["token"].as_str().unwrap();
    let res = app
        .http
        .post(app.url("/api/v1/mobile/logout"))
        .bearer_auth(session)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let got = rx.wait_delivered(1).await;
    assert_eq!(got[0].json()["type"], "mobile_session.ended");
    assert_eq!(got[0].json()["data"]["object_type"], "mobile_session");
}

async fn restart(backend: Backend) {
    let (app, stop, handle) = TestApp::spawn_stoppable(backend, fast).await;
    let rx = Receiver::start().await;
    let (id, secret) = hook(&app, &rx, json!(["token.revoked"])).await;
    rx.fail_next(1000);
    let (_m, token, _) = app.svc_with_token("through a restart").await;
    app.revoke_token(&token).await;
    rx.wait_until(|r| !r.is_empty()).await;
    stop.send(()).unwrap();
    handle.await.unwrap().unwrap();
    let before = rx.received().len();
    assert!(before >= 1);
    // The receiver recovers while keyward is down; the next node delivers what was queued.
    rx.fail_next(0);
    let _node = app.second_node().await;
    let got = rx.wait_delivered(1).await;
    assert_eq!(got[0].json()["data"]["object_id"], token.as_str());
    assert!(rx.received().iter().all(|r| r.id == got[0].id));
    check_signature(&got[0], &secret);
    let _ = id;
}

async fn two_nodes(backend: Backend) {
    let (app, _stop, _handle) = TestApp::spawn_stoppable(backend, fast).await;
    let _second = app.second_node().await;
    let rx = Receiver::start().await;
    hook(&app, &rx, json!(["token.created"])).await;
    // Every first attempt fails, so every retry is due while both nodes look for work.
    const N: usize = 20;
    rx.fail_next(N);
    let m = app.member("svc", &["orders:read"]).await;
    for i in 0..N {
        app.token(&m, &format!("token {i}")).await;
    }
    rx.wait_delivered(N).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut delivered: HashMap<String, usize> = HashMap::new();
    for r in rx.delivered() {
        *delivered.entry(r.id).or_default() += 1;
    }
    assert_eq!(delivered.len(), N);
    for (id, n) in &delivered {
        assert_eq!(*n, 1, "{id} was delivered once, not {n} times");
    }
    assert_eq!(
        rx.received().len(),
        2 * N,
        "N failures and N deliveries, nothing more"
    );
}

async fn console(app: TestApp) {
    use super::console::{hidden, try_login};
    let rx = Receiver::start().await;
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", keyward_testkit::PASSWORD)
        .await
        .expect("login");
    let (status, settings) = c.get("/console/settings").await;
    assert_eq!(status, 200);
    assert!(
        settings.contains("href=\"/console/webhooks\""),
        "settings link to webhooks"
    );
    let (status, page) = c.get("/console/webhooks").await;
    assert_eq!(status, 200);
    assert!(page.contains("No webhooks yet."), "{page}");
    // A URL the receiver cannot be reached by is refused, the form kept.
    let once = hidden(&page, "once");
    let bad = [
        ("csrf", c.csrf.as_str()),
        ("once", once.as_str()),
        ("name", "ops alerting"),
        ("url", "ftp://example.com/hook"),
        ("scope", "all"),
    ];
    let (status, refused) = c.post("/console/webhooks", &bad).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.contains("value=\"ops alerting\""), "{refused}");
    assert!(refused.contains("http or https"), "{refused}");
    // Only revocations, chosen with the boxes.
    let once = hidden(&refused, "once");
    let form = [
        ("csrf", c.csrf.as_str()),
        ("once", once.as_str()),
        ("name", "ops alerting"),
        ("url", rx.url.as_str()),
        ("scope", "some"),
        ("events", "token.revoked"),
    ];
    let (status, shown) = c.post("/console/webhooks", &form).await;
    assert_eq!(status, 200, "{shown}");
    let at = shown.find("value=\"whsec_").expect("the secret is shown") + "value=\"".len();
    let secret = shown[at..].split('"').next().unwrap().to_string();
    assert_eq!(
        c.post("/console/webhooks", &form).await.0,
        409,
        "no second webhook"
    );
    let (_, listed) = c.get("/console/webhooks").await;
    assert!(listed.contains("ops alerting") && listed.contains("token.revoked"));
    assert!(
        !listed.contains(&secret),
        "the listing never shows the secret"
    );
    let hooks = app.get_ok("/api/v1/webhooks").await;
    assert_eq!(hooks["items"][0]["events"], json!(["token.revoked"]));
    let id = hooks["items"][0]["id"].as_str().unwrap().to_string();

    // A revocation the receiver refuses shows in the log as failed, with its answer;
    // "Try again now" sends it once more.
    rx.fail_next(1000);
    let (_m, token, _) = app.svc_with_token("watched").await;
    app.revoke_token(&token).await;
    let mut log = String::new();
    for _ in 0..200 {
        log = c
            .get(&format!("/console/webhooks/{id}?state=failed"))
            .await
            .1;
        if log.contains("HTTP 500") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        log.contains("token.revoked") && log.contains("HTTP 500"),
        "{log}"
    );
    assert!(log.contains("Failed"), "{log}");
    rx.fail_next(0);
    let delivery = deliveries(&app, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, to) = c
        .post(
            &format!("/console/webhooks/{id}/retry"),
            &[("csrf", c.csrf.as_str()), ("delivery", delivery.as_str())],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(to, format!("/console/webhooks/{id}?done=webhook-retried"));
    rx.wait_delivered(1).await;
    // Switched off from its page, then deleted.
    let (status, _) = c
        .post(
            &format!("/console/webhooks/{id}/enabled"),
            &[("csrf", c.csrf.as_str()), ("enabled", "false")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        app.get_ok(&format!("/api/v1/webhooks/{id}")).await["enabled"],
        false
    );
    let (_, page) = c
        .get(&format!("/console/webhooks/{id}?done=webhook-disabled"))
        .await;
    assert!(page.contains("The webhook is off"), "{page}");
    let (status, _) = c
        .post(
            &format!("/console/webhooks/{id}/delete"),
            &[("csrf", c.csrf.as_str())],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(app.get_ok("/api/v1/webhooks").await["total"], 0);
}
