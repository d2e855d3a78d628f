//! Mobile sessions (SPEC §5): the app's login and logout, the sessions' verification and
//! sliding expiry, and the administrator's "Mobile Users Logged In".

use keyward_server::service::login::LoginLimits;
use keyward_server::ServerConfig;
use keyward_store::Actor;
use keyward_testkit::client::{
    CreateUserType, DepartmentBody, Departments, Name, Permission, UpdateUser, UserTypes,
};
use keyward_testkit::on_both_backends;
use keyward_testkit::{json_of, period, send, Member, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

on_both_backends! {
    a_session_verifies_slides_and_ends_when_an_administrator_deletes_it => session_lifecycle;
    logout_ends_the_session_once => logout_once;
    a_session_says_what_a_check_of_it_answers_now => session_standing;
    bulk_delete_ends_many_sessions_at_once => bulk_delete;
    locking_a_user_ends_every_session_and_unlocking_revives_none => locking;
    a_password_change_or_removal_ends_the_users_sessions_for_good => password_change;
    unknown_user_and_wrong_password_get_the_identical_answer => identical_refusals;
    who_may_not_log_in_is_told_why_once_the_password_is_right => refused_logins;
    membership_is_chosen_in_the_documented_order => membership_order;
    switching_api_tokens_off_leaves_mobile_sessions_alone => feature_flag;
    api_tokens_and_sessions_are_managed_only_through_their_own_routes => kinds_apart;
    the_openapi_document_describes_the_mobile_routes => openapi;
    a_brute_force_is_slowed_and_the_right_password_works_after_the_window => brute_force with short_login_window;
    a_login_past_the_session_cap_ends_the_session_used_least_recently => session_cap with three_sessions_per_user;
    a_session_in_use_never_expires_whatever_is_flushed_or_cached => never_expires_in_use with no_background_flush;
}

/// Five failures per account in a window short enough to wait out.
fn short_login_window(c: &mut ServerConfig) {
    c.login_limits = LoginLimits {
        window: Duration::from_secs(3),
        per_user: 5,
        per_ip: 1000,
        ..LoginLimits::default()
    };
}

fn three_sessions_per_user(c: &mut ServerConfig) {
    c.max_mobile_sessions_per_user = 3;
}

/// Only the test flushes session activity, so it knows what is written when.
fn no_background_flush(c: &mut ServerConfig) {
    c.flush_interval = Duration::from_secs(3600);
}

/// How many sessions, in any state, `m`'s user has (asserting that the list answers 200).
async fn session_count(app: &TestApp, m: &Member) -> i64 {
    let path = format!("/api/v1/mobile-sessions?status=all&user_id={}", m.user_id);
    app.get_ok(&path).await["total"].as_i64().unwrap()
}

/// The audit events of ended sessions.
async fn ended_sessions(app: &TestApp) -> Value {
    app.get_ok("/api/v1/audit-events?action=mobile_session.deleted")
        .await
}

/// A user with one membership granting `permissions`, and a password.
async fn phone_user(app: &TestApp, username: &str, permissions: &[&str]) -> Member {
    app.member_with_password(username, permissions).await
}

async fn login_raw(app: &TestApp, body: Value) -> reqwest::Response {
    send(app.http.post(app.url("/api/v1/mobile/login")).json(&body)).await
}

async fn login_as(app: &TestApp, username: &str, password: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({"tenant": "acme", "username": username, "password": password,
                          "device_name": format!("{username}'s phone")});
    if let Value::Object(extra) = extra {
        body.as_object_mut().unwrap().extend(extra);
    }
    let res = login_raw(app, body).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Asserts that `username`, with the right password (and `extra`), is refused with
/// `status` and `code`.
async fn login_refused(app: &TestApp, username: &str, extra: Value, status: u16, code: &str) {
    let (got, body) = login_as(app, username, PASSWORD, extra.clone()).await;
    assert_eq!(
        (got, &body["code"]),
        (status, &json!(code)),
        "{extra}: {body}"
    );
}

/// Logs `username` in; returns (session id, token).
pub(crate) async fn login(app: &TestApp, username: &str) -> (String, String) {
    let (status, body) = login_as(app, username, PASSWORD, json!({})).await;
    assert_eq!(status, 200, "{body}");
    (
        body["session_id"].as_str().unwrap().into(),
        body["token"].as_str().unwrap().into(),
    )
}

async fn forward_status(app: &TestApp, token: &str) -> u16 {
    let forward = app
        .http
        .get(app.url("/auth/forward/acme?permission=orders:read"));
    send(forward.bearer_auth(token)).await.status().as_u16()
}

async fn logout(app: &TestApp, token: &str) -> (u16, Value) {
    app.call_as(token, reqwest::Method::POST, "/api/v1/mobile/logout", None)
        .await
}

fn at(v: &Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        v.as_str().unwrap_or_else(|| panic!("not a time: {v}")),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

async fn session_lifecycle(app: TestApp) {
    let m = phone_user(&app, "kari", &["orders:read"]).await;
    let (status, started) = login_as(&app, "kari", PASSWORD, json!({})).await;
    assert_eq!(status, 200, "{started}");
    let token = started["token"].as_str().unwrap().to_string();
    let id = started["session_id"].as_str().unwrap().to_string();
    assert!(token.starts_with("kwm_") && token.len() == 74);
    assert_eq!(started["user"]["username"], "kari");
    assert_eq!(started["department"]["id"], json!(m.department_id));
    assert_eq!(started["user_type"]["id"], json!(m.user_type_id));
    assert_eq!(started["user_type"]["permissions"], json!(["orders:read"]));
    let login_expiry = at(&started["expires_at"]);
    let days = (login_expiry - time::OffsetDateTime::now_utc()).whole_days();
    assert!((29..=30).contains(&days), "30 days by default: {days}");

    // The session verifies like any token, with its membership's permissions.
    let v = app
        .verify_body(json!({"token": token, "permission": "orders:read"}))
        .await;
    assert_eq!(
        (&v["code"], &v["kind"], &v["permissions"]),
        (&json!("VALID"), &json!("mobile"), &json!(["orders:read"]))
    );
    assert_eq!(v["department"]["id"], json!(m.department_id));
    assert_eq!(v["user"]["username"], "kari");
    let v = app
        .verify_body(json!({"token": token, "permission": "users:write"}))
        .await;
    assert_eq!(v["code"], "FORBIDDEN");
    assert_eq!(forward_status(&app, &token).await, 200);
    let key = app.verifier_key("gateway").await;
    let introspect = app
        .http
        .post(app.url("/oauth2/introspect"))
        .bearer_auth(&key);
    let intro = json_of(introspect.form(&[("token", token.as_str())])).await;
    assert_eq!(
        (&intro["active"], &intro["scope"]),
        (&json!(true), &json!("orders:read"))
    );

    // Listed with the columns of "Mobile Users Logged In".
    let list = app.get_ok("/api/v1/mobile-sessions").await;
    assert_eq!(list["total"], 1);
    let row = &list["items"][0];
    assert_eq!(row["id"], json!(id));
    for (field, value) in [
        ("username", "kari"),
        ("email", "kari@example.com"),
        ("department_name", "Dept of kari"),
        ("user_type_name", "Type of kari"),
        ("device_name", "kari's phone"),
        ("status", "active"),
    ] {
        assert_eq!(row[field], value, "{field}");
    }
    assert!(row["created_at"].is_string() && row["expires_at"].is_string());
    assert!(row.get("token").is_none(), "never the secret: {row}");

    // Use moves Last Active and slides the expiry, once the flush has written them.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        assert_eq!(app.verify(&token, None).await, "VALID");
        app.state.verifier.flush_last_used().await;
        let s = app.get_ok(&format!("/api/v1/mobile-sessions/{id}")).await;
        if s["last_active_at"].is_string() && at(&s["expires_at"]) > login_expiry {
            break;
        }
        assert!(Instant::now() < deadline, "no activity recorded: {s}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    app.ok(
        204,
        app.delete(&format!("/api/v1/mobile-sessions/{id}")).await,
    )
    .await;
    assert_eq!(
        app.verify(&token, None).await,
        "NOT_FOUND",
        "the very next check"
    );
    assert_eq!(forward_status(&app, &token).await, 401);
    let (status, _) = app.delete(&format!("/api/v1/mobile-sessions/{id}")).await;
    assert_eq!(status, 404);
    let list = app.get_ok("/api/v1/mobile-sessions?status=all").await;
    assert_eq!(list["total"], 0);
    let audit = app
        .get_ok(&format!("/api/v1/audit-events?object_id={id}"))
        .await;
    let events: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            ("mobile_session.deleted", "root"),
            ("mobile_session.created", "kari")
        ]
    );
}

/// A session's `effective_status` is what a check answers: refused while its owner is
/// outside their employment period, valid again once the period is restored.
async fn session_standing(app: TestApp) {
    let m = phone_user(&app, "kari", &["orders:read"]).await;
    let (id, token) = login(&app, "kari").await;
    let path = format!("/api/v1/mobile-sessions/{id}");
    assert_eq!(app.get_ok(&path).await["effective_status"], "VALID");
    let ended = (time::OffsetDateTime::now_utc() - time::Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let user = format!("/api/v1/users/{}", m.user_id);
    app.patch_ok(&user, json!({"active_until": ended})).await;
    assert_eq!(app.verify(&token, None).await, "USER_INACTIVE");
    assert_eq!(app.get_ok(&path).await["effective_status"], "USER_INACTIVE");
    let listed = app.get_ok("/api/v1/mobile-sessions").await;
    assert_eq!(
        listed["items"][0]["effective_status"], "USER_INACTIVE",
        "{listed}"
    );
    app.patch_ok(&user, json!({"active_until": null})).await;
    assert_eq!(app.verify(&token, None).await, "VALID");
    assert_eq!(app.get_ok(&path).await["effective_status"], "VALID");
}

async fn logout_once(app: TestApp) {
    phone_user(&app, "kari", &["orders:read"]).await;
    let (id, token) = login(&app, "kari").await;
    let (other_id, other) = login(&app, "kari").await;
    assert_ne!(id, other_id, "each login is a session of its own");
    let (status, body) = logout(&app, &token).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(app.verify(&token, None).await, "NOT_FOUND");
    let (status, body) = logout(&app, &token).await;
    assert_eq!(
        (status, &body["code"]),
        (401, &json!("NOT_FOUND")),
        "{body}"
    );
    assert_eq!(
        app.verify(&other, None).await,
        "VALID",
        "the other device stays"
    );

    let (status, body) = logout(&app, &app.admin_token).await;
    assert_eq!(
        (status, &body["code"]),
        (401, &json!("wrong_token_kind")),
        "{body}"
    );
    assert_eq!(logout(&app, "kwm_nonsense").await.0, 401);
    let res = send(app.http.post(app.url("/api/v1/mobile/logout"))).await;
    assert_eq!(res.status(), 401);
    // A session cannot administer.
    let (status, body) = app.get_as(&other, "/api/v1/mobile-sessions").await;
    assert_eq!(
        (status, &body["code"]),
        (401, &json!("wrong_token_kind")),
        "{body}"
    );
    let audit = app
        .get_ok(&format!("/api/v1/audit-events?object_id={id}"))
        .await;
    assert_eq!(audit["items"][0]["action"], "mobile_session.deleted");
    assert_eq!(audit["items"][0]["details"]["reason"], "logout");
    assert_eq!(audit["items"][0]["actor"], "kari");
}

async fn bulk_delete(app: TestApp) {
    // Spread over three people: one user may have at most 10 live sessions.
    let people = ["kari", "ola", "per"];
    for p in people {
        phone_user(&app, p, &["orders:read"]).await;
    }
    let mut sessions = Vec::new();
    for n in 0..25 {
        sessions.push(login(&app, people[n % people.len()]).await);
    }
    let (staying_id, staying) = login(&app, "kari").await;
    let list = app.get_ok("/api/v1/mobile-sessions?per_page=10").await;
    assert_eq!(
        (
            list["total"].as_i64(),
            list["items"].as_array().unwrap().len()
        ),
        (Some(26), 10)
    );
    let unknown = uuid::Uuid::now_v7().to_string();
    let mut ids: Vec<&str> = sessions.iter().map(|(id, _)| id.as_str()).collect();
    ids.push(&unknown);
    let r = app
        .post_ok("/api/v1/mobile-sessions/bulk-delete", json!({"ids": ids}))
        .await;
    assert_eq!(r["deleted"].as_array().unwrap().len(), 25);
    assert_eq!(r["not_found"], json!([unknown]));
    for (_, token) in &sessions {
        assert_eq!(app.verify(token, None).await, "NOT_FOUND");
    }
    assert_eq!(app.verify(&staying, None).await, "VALID");
    let list = app.get_ok("/api/v1/mobile-sessions").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], json!(staying_id));
    let (status, p) = app
        .post("/api/v1/mobile-sessions/bulk-delete", json!({"ids": []}))
        .await;
    assert_eq!(status, 422, "{p}");
}

async fn locking(app: TestApp) {
    let m = phone_user(&app, "kari", &["orders:read"]).await;
    let (_, phone) = login(&app, "kari").await;
    let (_, tablet) = login(&app, "kari").await;
    let (_, api_token) = app.token(&m, "kari's integration").await;
    phone_user(&app, "ola", &["orders:read"]).await;
    let (_, olas) = login(&app, "ola").await;

    app.set_locked(&m, true).await;
    for token in [&phone, &tablet] {
        assert_eq!(
            app.verify(token, None).await,
            "NOT_FOUND",
            "the session is gone, not merely refused"
        );
        assert_eq!(forward_status(&app, token).await, 401);
    }
    assert_eq!(app.verify(&api_token, None).await, "USER_LOCKED");
    assert_eq!(
        app.verify(&olas, None).await,
        "VALID",
        "others are untouched"
    );
    assert_eq!(session_count(&app, &m).await, 0);
    login_refused(&app, "kari", json!({}), 403, "user_locked").await;

    app.set_locked(&m, false).await;
    assert_eq!(
        app.verify(&phone, None).await,
        "NOT_FOUND",
        "unlocking revives no device"
    );
    assert_eq!(app.verify(&api_token, None).await, "VALID");
    let (_, again) = login(&app, "kari").await;
    assert_eq!(app.verify(&again, None).await, "VALID");
    let audit = ended_sessions(&app).await;
    assert_eq!(audit["total"], 2);
    assert_eq!(audit["items"][0]["details"]["reason"], "user_locked");
}

async fn brute_force(app: TestApp) {
    phone_user(&app, "kari", &["orders:read"]).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..20 {
        let res = login_raw(
            &app,
            json!({"tenant": "acme", "username": "kari", "password": "not the password",
                   "device_name": "thief"}),
        )
        .await;
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            retry_after = res.headers().get("retry-after").cloned();
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["status"], 429);
        }
    }
    assert_eq!(statuses[..5], [401; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let secs: u64 = retry_after
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&secs), "{secs}");
    // The right password waits for the window too, then works.
    let (status, _) = login_as(&app, "kari", PASSWORD, json!({})).await;
    assert_eq!(status, 429, "the account is refused, whatever the password");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = login_as(&app, "kari", PASSWORD, json!({})).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 429, "{body}");
        assert!(Instant::now() < deadline, "still refused after the window");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn identical_refusals(app: TestApp) {
    phone_user(&app, "kari", &["orders:read"]).await;
    let (s1, unknown_user) = login_as(&app, "nobody", PASSWORD, json!({})).await;
    let (s2, wrong_password) = login_as(&app, "kari", "wrong password!", json!({})).await;
    let (s3, unknown_tenant) =
        login_as(&app, "kari", PASSWORD, json!({"tenant": "no-such-tenant"})).await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    assert_eq!(unknown_user, wrong_password);
    assert_eq!(unknown_user, unknown_tenant);
    assert_eq!(unknown_user["code"], "invalid_credentials");
    // A user without a password cannot log in, with the same answer.
    app.member("nopass", &["orders:read"]).await;
    let (status, body) = login_as(&app, "nopass", PASSWORD, json!({})).await;
    assert_eq!((status, body), (401, unknown_user));
}

async fn refused_logins(app: TestApp) {
    // No membership at all.
    app.user_with_password("lonely", false).await;
    login_refused(&app, "lonely", json!({}), 403, "no_membership").await;

    // A department or user type that is not one of the user's memberships.
    let m = phone_user(&app, "kari", &["orders:read"]).await;
    let other = app.member("ola", &["users:write"]).await;
    for choice in [
        json!({"department_id": other.department_id}),
        json!({"user_type_id": other.user_type_id}),
        json!({"department_id": m.department_id, "user_type_id": other.user_type_id}),
    ] {
        login_refused(&app, "kari", choice, 422, "not_a_member").await;
    }

    // Outside the employment period, before and after.
    let ended = UpdateUser {
        active_from: None,
        ..period(None, Some("2021-01-01T00:00:00Z"))
    };
    app.update_member(&m, ended).await;
    login_refused(&app, "kari", json!({}), 403, "user_inactive").await;
    let not_yet = period(Some("2099-01-01T00:00:00Z"), None);
    app.update_member(&m, not_yet).await;
    login_refused(&app, "kari", json!({}), 403, "user_inactive").await;

    // Locked.
    let locked = UpdateUser {
        active_from: Some(None),
        locked: Some(true),
        ..Default::default()
    };
    app.update_member(&m, locked).await;
    login_refused(&app, "kari", json!({}), 403, "user_locked").await;

    // A device needs a name.
    app.set_locked(&m, false).await;
    let (status, body) = login_as(&app, "kari", PASSWORD, json!({"device_name": " "})).await;
    assert_eq!(status, 422, "{body}");
    login(&app, "kari").await;
}

async fn membership_order(app: TestApp) {
    // Memberships are taken by department name, then user type name.
    let m = phone_user(&app, "kari", &["orders:read"]).await; // "Dept of kari", "Type of kari"
    let client = app.client();
    let dept_a = client
        .create::<Departments>(&DepartmentBody {
            name: Name::parse("A first").unwrap(),
        })
        .await
        .unwrap();
    let user_type = |name: &str, permission: &str| CreateUserType {
        name: Name::parse(name).unwrap(),
        permissions: vec![Permission::parse(permission).unwrap()],
    };
    let type_z = client
        .create::<UserTypes>(&user_type("Z last", "z:read"))
        .await
        .unwrap();
    let type_b = client
        .create::<UserTypes>(&user_type("B", "b:read"))
        .await
        .unwrap();
    let (user, _, _) = m.ids();
    for ut in [&type_z, &type_b] {
        client.add_membership(user, dept_a.id, ut.id).await.unwrap();
    }
    let (_, s) = login_as(&app, "kari", PASSWORD, json!({})).await;
    assert_eq!(
        (&s["department"]["name"], &s["user_type"]["name"]),
        (&json!("A first"), &json!("B"))
    );
    let (_, s) = login_as(&app, "kari", PASSWORD, json!({"user_type_id": type_z.id})).await;
    assert_eq!(s["user_type"]["permissions"], json!(["z:read"]));
    let (_, s) = login_as(
        &app,
        "kari",
        PASSWORD,
        json!({"department_id": m.department_id}),
    )
    .await;
    assert_eq!(s["user_type"]["name"], "Type of kari");
    let v = app
        .verify_body(json!({"token": s["token"], "department_id": m.department_id}))
        .await;
    assert_eq!(v["code"], "VALID");
    let v = app
        .verify_body(json!({"token": s["token"], "department_id": dept_a.id}))
        .await;
    assert_eq!(
        v["code"], "FORBIDDEN",
        "a session acts in its one department"
    );
}

async fn feature_flag(app: TestApp) {
    let m = phone_user(&app, "kari", &["orders:read"]).await;
    let (_, api_token) = app.token(&m, "integration").await;
    let (_, before) = login(&app, "kari").await;
    app.api_tokens_enabled(false).await;
    assert_eq!(app.verify(&api_token, None).await, "FEATURE_DISABLED");
    assert_eq!(app.verify(&before, Some("orders:read")).await, "VALID");
    let (_, after) = login(&app, "kari").await;
    assert_eq!(app.verify(&after, None).await, "VALID");
    assert_eq!(forward_status(&app, &after).await, 200);
    assert_eq!(logout(&app, &after).await.0, 204);
}

async fn kinds_apart(app: TestApp) {
    let m = phone_user(&app, "kari", &["orders:read"]).await;
    let (api_id, api_token) = app.token(&m, "integration").await;
    let (session_id, session) = login(&app, "kari").await;

    // /tokens lists API tokens unless asked for sessions.
    let listed = app.get_ok("/api/v1/tokens").await;
    assert_eq!(
        listed["total"], 2,
        "the bootstrap token and kari's: {listed}"
    );
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["kind"] == "api"));
    let listed = app.get_ok("/api/v1/tokens?kind=mobile").await;
    assert_eq!(listed["items"][0]["id"], json!(session_id));

    // A session is not changed through /tokens...
    use reqwest::Method;
    for (method, path, body) in [
        (Method::DELETE, format!("/api/v1/tokens/{session_id}"), None),
        (
            Method::POST,
            format!("/api/v1/tokens/{session_id}/revoke"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/tokens/{session_id}/regenerate"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/tokens/{session_id}/reveal"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/tokens/{session_id}"),
            Some(json!({"enabled": false})),
        ),
    ] {
        let (status, body) = app.call(method.clone(), &path, body).await;
        assert_eq!(
            (status, &body["code"]),
            (409, &json!("wrong_token_kind")),
            "{method} {path}: {body}"
        );
    }
    let r = app
        .post_ok("/api/v1/tokens/bulk-delete", json!({"ids": [session_id]}))
        .await;
    assert_eq!(r["not_found"], json!([session_id]));
    assert_eq!(app.verify(&session, None).await, "VALID");

    // ...and an API token not through /mobile-sessions.
    assert_eq!(
        app.get(&format!("/api/v1/mobile-sessions/{api_id}"))
            .await
            .0,
        404
    );
    assert_eq!(
        app.delete(&format!("/api/v1/mobile-sessions/{api_id}"))
            .await
            .0,
        404
    );
    let r = app
        .post_ok(
            "/api/v1/mobile-sessions/bulk-delete",
            json!({"ids": [api_id]}),
        )
        .await;
    assert_eq!(r["not_found"], json!([api_id]));
    assert_eq!(app.verify(&api_token, None).await, "VALID");
}

async fn openapi(app: TestApp) {
    let doc = app.openapi().await;
    for path in [
        "/api/v1/mobile/login",
        "/api/v1/mobile/logout",
        "/api/v1/mobile-sessions",
        "/api/v1/mobile-sessions/{id}",
        "/api/v1/mobile-sessions/bulk-delete",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
    assert!(doc["paths"]["/api/v1/mobile/login"]["post"]["security"].is_null());
    let fields = &doc["components"]["schemas"]["MobileSession"]["properties"];
    for f in [
        "username",
        "email",
        "department_name",
        "user_type_name",
        "last_active_at",
        "expires_at",
        "device_name",
    ] {
        assert!(fields[f].is_object(), "MobileSession.{f}");
    }
}

/// Sessions slide on every use; neither a cached answer nor one reloaded from storage
/// (before or after the flush) may hold an older expiry than the last use gave.
async fn never_expires_in_use(app: TestApp) {
    use keyward_core::{TokenId, TokenKind, TokenSecret};
    use keyward_store::{NewMobileSession, NewSecret};
    let m = phone_user(&app, "kari", &["orders:read"]).await;
    let tenant = app.tenant_id.parse().unwrap();
    // A session about to expire, as if it had been idle for almost its whole lifetime.
    let secret = TokenSecret::generate(TokenKind::Mobile);
    let hash = app.state.verifier.key().hash_token(secret.expose());
    let expires_at = keyward_store::now() + time::Duration::milliseconds(1500);
    let id = TokenId::new();
    app.state
        .store
        .create_mobile_session(
            tenant,
            &NewMobileSession {
                id,
                user_id: m.user_id.parse().unwrap(),
                department_id: m.department_id.parse().unwrap(),
                user_type_id: m.user_type_id.parse().unwrap(),
                device_name: "old phone".into(),
                secret: NewSecret {
                    hash,
                    hint: secret.hint(),
                    sealed: None,
                },
                expires_at,
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let token = secret.expose();

    let v = app.verify_body(json!({"token": token})).await;
    assert_eq!(v["code"], "VALID");
    assert!(
        at(&v["expires_at"]) > expires_at + time::Duration::days(29),
        "the answer shows the slid expiry: {v}"
    );
    while time::OffsetDateTime::now_utc() <= expires_at + time::Duration::milliseconds(100) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.verify(token, None).await, "VALID", "from the cache");
    app.state.verifier.clear_cache();
    assert_eq!(
        app.verify(token, None).await,
        "VALID",
        "reloaded from storage before the flush: the pending use still counts"
    );
    app.state.verifier.flush_last_used().await;
    app.state.verifier.clear_cache();
    assert_eq!(
        app.verify(token, None).await,
        "VALID",
        "reloaded after the flush"
    );
    let s = app.get_ok(&format!("/api/v1/mobile-sessions/{id}")).await;
    assert!(
        at(&s["expires_at"]) > expires_at + time::Duration::days(29),
        "{s}"
    );
    assert!(s["last_active_at"].is_string());
}

async fn password_change(app: TestApp) {
    let m = phone_user(&app, "kari", &["orders:read"]).await;
    let (_, phone) = login(&app, "kari").await;
    phone_user(&app, "ola", &["orders:read"]).await;
    let (_, olas) = login(&app, "ola").await;
    // In use just before: its activity (and slid expiry) is still waiting to be written.
    assert_eq!(app.verify(&phone, None).await, "VALID");

    let new_password = UpdateUser {
        password: Some(Some("a brand new password".into())),
        ..Default::default()
    };
    app.update_member(&m, new_password).await;
    assert_eq!(
        app.verify(&phone, None).await,
        "NOT_FOUND",
        "the session started with the old password is gone"
    );
    assert_eq!(forward_status(&app, &phone).await, 401);
    app.state.verifier.flush_last_used().await;
    assert_eq!(
        app.verify(&phone, None).await,
        "NOT_FOUND",
        "writing its last activity brings nothing back"
    );
    assert_eq!(
        app.verify(&olas, None).await,
        "VALID",
        "others are untouched"
    );
    let (status, _) = login_as(&app, "kari", PASSWORD, json!({})).await;
    assert_eq!(status, 401, "the old password is refused");
    let (status, body) = login_as(&app, "kari", "a brand new password", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let fresh = body["token"].as_str().unwrap().to_string();
    assert_eq!(app.verify(&fresh, None).await, "VALID");

    // Removing the password ends the sessions too.
    let no_password = UpdateUser {
        password: Some(None),
        ..Default::default()
    };
    app.update_member(&m, no_password).await;
    assert_eq!(app.verify(&fresh, None).await, "NOT_FOUND");
    assert_eq!(session_count(&app, &m).await, 0);
    let audit = ended_sessions(&app).await;
    assert_eq!(audit["total"], 2, "{audit}");
    for e in audit["items"].as_array().unwrap() {
        assert_eq!(e["details"]["reason"], "password_changed", "{e}");
        assert_eq!(e["details"]["user_id"], json!(m.user_id));
    }
}

async fn session_cap(app: TestApp) {
    let m = phone_user(&app, "kari", &["orders:read"]).await;
    let (first_id, first) = login(&app, "kari").await;
    let (second_id, second) = login(&app, "kari").await;
    let (_, third) = login(&app, "kari").await;
    // The first phone is in use; the second has not been used since its login.
    assert_eq!(app.verify(&first, None).await, "VALID");
    app.state.verifier.flush_last_used().await;

    let (_, fourth) = login(&app, "kari").await;
    assert_eq!(
        app.verify(&second, None).await,
        "NOT_FOUND",
        "the session used least recently ended"
    );
    for token in [&first, &third, &fourth] {
        assert_eq!(app.verify(token, None).await, "VALID");
    }
    assert_eq!(session_count(&app, &m).await, 3);
    let audit = ended_sessions(&app).await;
    assert_eq!(audit["total"], 1, "{audit}");
    let e = &audit["items"][0];
    assert_eq!(
        (&e["object_id"], &e["details"]["reason"], &e["actor"]),
        (&json!(second_id), &json!("session_limit"), &json!("kari")),
        "{e}"
    );
    assert_ne!(first_id, second_id);
}
