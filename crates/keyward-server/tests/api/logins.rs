//! Password logins, console and mobile: the bound on argon2 work, the per-account limit
//! that counts successes too, and the record of refused logins in the audit log.

use keyward_server::service::login::LoginLimits;
use keyward_server::service::passwords::PasswordWork;
use keyward_server::ServerConfig;
use keyward_testkit::on_both_backends;
use keyward_testkit::{TestApp, PASSWORD};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

on_both_backends! {
    a_login_burst_past_the_password_bound_gets_503_with_retry_after_never_500 => password_bound with one_password_slot;
    successful_logins_count_against_the_accounts_limit => successes_are_limited with three_logins_per_account;
    refused_logins_are_audited_once_per_burst_with_their_counts => refusals_audited with one_second_bursts;
}

/// One argon2 hash at a time, and almost no queueing. The login limits are out of the
/// way: attempts in flight count as failures until their password is found right.
fn one_password_slot(c: &mut ServerConfig) {
    c.password_work = PasswordWork {
        max_concurrent: 1,
        max_wait: Duration::from_millis(10),
    };
    c.login_limits = LoginLimits {
        per_user: 10_000,
        per_ip: 10_000,
        per_user_logins: 10_000,
        ..LoginLimits::default()
    };
}

fn three_logins_per_account(c: &mut ServerConfig) {
    c.login_limits = LoginLimits {
        per_user_logins: 3,
        ..LoginLimits::default()
    };
}

/// Two failures per account before it rests, and refusals recorded each second.
fn one_second_bursts(c: &mut ServerConfig) {
    c.login_limits = LoginLimits {
        per_user: 2,
        audit_window: Duration::from_secs(1),
        ..LoginLimits::default()
    };
}

fn mobile_login(
    app: &TestApp,
    tenant: &str,
    username: &str,
    password: &str,
) -> reqwest::RequestBuilder {
    app.http.post(app.url("/api/v1/mobile/login")).json(&json!({
        "tenant": tenant, "username": username, "password": password,
        "device_name": format!("{username}'s phone"),
    }))
}

/// A user with a membership and the test password, who may log in on a phone.
async fn phone_user(app: &TestApp, username: &str) {
    app.member_with_password(username, &["orders:read"]).await;
}

async fn password_bound(app: TestApp) {
    let users = ["kari", "ola", "per"];
    for u in users {
        phone_user(&app, u).await;
    }
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..40 {
        let req = mobile_login(&app, "acme", users[i % users.len()], PASSWORD);
        burst.spawn(async move {
            let res = req.send().await.expect("every login gets an answer");
            let status = res.status().as_u16();
            let retry_after = res.headers().get("retry-after").cloned();
            let content_type = res.headers().get("content-type").cloned();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, retry_after, content_type, body)
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = burst.join_next().await {
        let (status, retry_after, content_type, body) = done.expect("login task");
        assert!(matches!(status, 200 | 503), "{status}: {body}");
        if status == 503 {
            assert_eq!(body["code"], "busy", "{body}");
            assert_eq!(content_type.unwrap(), "application/problem+json");
            let secs: u64 = retry_after
                .expect("Retry-After on 503")
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(secs >= 1);
        }
        statuses.push(status);
    }
    assert_eq!(statuses.len(), 40, "all complete");
    assert!(statuses.contains(&200), "{statuses:?}");
    assert!(
        statuses.contains(&503),
        "with one slot, a burst is shed: {statuses:?}"
    );
    // The burst is over: the next login is checked as usual.
    let res = mobile_login(&app, "acme", "kari", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn successes_are_limited(app: TestApp) {
    phone_user(&app, "kari").await;
    for _ in 0..3 {
        let res = mobile_login(&app, "acme", "kari", PASSWORD)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = mobile_login(&app, "acme", "kari", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        429,
        "the right password, but a fourth login in the window"
    );
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "RATE_LIMITED", "{body}");
    phone_user(&app, "ola").await;
    let res = mobile_login(&app, "acme", "ola", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "other accounts are untouched");
}

/// Posts the console login form once; the status.
async fn console_login(app: &TestApp, username: &str, password: &str) -> u16 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(app.url("/console/login")).send().await.unwrap();
    let pre = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kw_prelogin="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("pre-login cookie");
    let html = page.text().await.unwrap();
    let marker = "name=\"prelogin\" value=\"";
    let at = html.find(marker).expect("prelogin field") + marker.len();
    let token = html[at..].split('"').next().unwrap();
    http.post(app.url("/console/login"))
        .header("cookie", pre)
        .form(&[
            ("prelogin", token),
            ("tenant", "acme"),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn refusals_audited(app: TestApp) {
    phone_user(&app, "kari").await;
    app.user_with_password("boss", true).await;
    let guess = "not the password at all";
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = mobile_login(&app, "acme", "kari", guess)
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
    assert_eq!(console_login(&app, "boss", guess).await, 401);
    assert_eq!(console_login(&app, "boss", guess).await, 401);
    // A tenant nobody has can only be logged.
    let res = mobile_login(&app, "no-such-tenant", "kari", guess)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let deadline = Instant::now() + Duration::from_secs(30);
    let events = loop {
        let audit = app.get_ok("/api/v1/audit-events?action=login.failed").await;
        if audit["total"].as_i64() >= Some(2) {
            break audit["items"].as_array().unwrap().clone();
        }
        assert!(Instant::now() < deadline, "no login.failed events: {audit}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(events.len(), 2, "one event per burst: {events:?}");
    let of = |via: &str| {
        events
            .iter()
            .find(|e| e["details"]["via"] == via)
            .unwrap_or_else(|| panic!("no {via} event in {events:?}"))
            .clone()
    };
    let mobile = of("mobile");
    assert_eq!(mobile["details"]["username"], "kari");
    assert_eq!(mobile["details"]["ip"], "127.0.0.1");
    assert_eq!(mobile["ip"], "127.0.0.1");
    assert_eq!(mobile["details"]["count"], 3);
    assert_eq!(
        mobile["details"]["reasons"],
        json!({"invalid_credentials": 2, "rate_limited": 1})
    );
    let console = of("console");
    assert_eq!(console["details"]["username"], "boss");
    assert_eq!(console["details"]["count"], 2);
    assert_eq!(
        console["details"]["reasons"],
        json!({"invalid_credentials": 2})
    );
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains(guess), "no password is recorded: {all}");
}
