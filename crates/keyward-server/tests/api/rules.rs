//! The rules of SPEC §3, each through the real API.

use keyward_testkit::client::{SettingsPatch, UpdateUser};
use keyward_testkit::on_both_backends;
use keyward_testkit::{period, TestApp};
use serde_json::json;

on_both_backends! {
    only_administrators_manage_tokens => only_administrators_manage_tokens;
    token_must_use_one_of_its_users_memberships => token_must_use_one_of_its_users_memberships;
    technical_user_rule_checks_flag_and_employment_period => technical_user_rule;
    locked_user_tokens_stop_at_once_and_resume_on_unlock => locked_user;
    tokens_stop_outside_the_employment_period => employment_period;
    feature_flag_off_refuses_creation_and_use => feature_flag;
    an_administrators_narrow_token_does_not_carry_the_admin_api => narrow_admin_token;
    administrators_cannot_cut_off_their_own_access => self_lockout;
}

async fn only_administrators_manage_tokens(app: TestApp) {
    let (m, id, secret) = app.svc_with_token("integration").await;
    assert_eq!(app.verify(&secret, None).await, "VALID");
    use reqwest::Method;
    let attempts = [
        (
            Method::POST,
            "/api/v1/tokens".to_string(),
            Some(app.token_body(&m, "sneaky")),
        ),
        (Method::POST, format!("/api/v1/tokens/{id}/revoke"), None),
        (
            Method::POST,
            format!("/api/v1/tokens/{id}/regenerate"),
            None,
        ),
        (Method::POST, format!("/api/v1/tokens/{id}/reveal"), None),
        (Method::DELETE, format!("/api/v1/tokens/{id}"), None),
        (Method::GET, "/api/v1/tokens".to_string(), None),
    ];
    for (method, path, body) in attempts {
        let (status, body) = app.call_as(&secret, method.clone(), &path, body).await;
        assert_eq!(status, 403, "{method} {path}: {body}");
        assert_eq!(body["code"], "not_admin");
    }
    // The non-administrator's token is untouched by the refused attempts.
    assert_eq!(app.verify(&secret, None).await, "VALID");
}

async fn token_must_use_one_of_its_users_memberships(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let other = app.member("other", &["users:write"]).await;
    // Department of the user, but another user's user type (more permissions).
    let mut body = app.token_body(&m, "too much");
    body["user_type_id"] = json!(other.user_type_id);
    let (status, problem) = app.post("/api/v1/tokens", body).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "not_a_member");
    let mut body = app.token_body(&m, "wrong dept");
    body["department_id"] = json!(other.department_id);
    assert_eq!(app.post("/api/v1/tokens", body).await.0, 422);
    // Nothing was half-written: the user owns no token.
    assert_eq!(app.token_count(&m).await, 0);
}

async fn technical_user_rule(app: TestApp) {
    app.update_settings(SettingsPatch {
        require_technical_user: Some(true),
        ..Default::default()
    })
    .await;
    let m = app.member("person", &["orders:read"]).await;
    // Each change to the user, then the status and problem code of creating a token.
    let steps = [
        (
            UpdateUser {
                is_technical: Some(false),
                ..Default::default()
            },
            422,
            Some("not_technical_user"),
        ),
        (
            UpdateUser {
                is_technical: Some(true),
                active_from: None,
                ..period(None, Some("2020-01-01T00:00:00Z"))
            },
            422,
            Some("user_inactive"),
        ),
        // Not yet employed.
        (period(Some("2099-01-01T00:00:00Z"), None), 422, None),
        (
            UpdateUser {
                active_until: None,
                ..period(Some("2020-01-01T00:00:00Z"), None)
            },
            201,
            None,
        ),
    ];
    for (change, status, code) in steps {
        app.update_member(&m, change).await;
        let (got, p) = app.post("/api/v1/tokens", app.token_body(&m, "t")).await;
        assert_eq!(got, status, "{p}");
        if let Some(code) = code {
            assert_eq!(p["code"], code, "{p}");
        }
    }
}

async fn locked_user(app: TestApp) {
    let (m, _, secret) = app.svc_with_token("t").await;
    assert_eq!(app.verify(&secret, None).await, "VALID");
    app.set_locked(&m, true).await;
    assert_eq!(
        app.verify(&secret, None).await,
        "USER_LOCKED",
        "the very next check sees the lock"
    );
    app.set_locked(&m, false).await;
    assert_eq!(app.verify(&secret, None).await, "VALID");
}

async fn employment_period(app: TestApp) {
    let (m, _, secret) = app.svc_with_token("t").await;
    for (until, code) in [
        (Some("2021-01-01T00:00:00Z"), "USER_INACTIVE"),
        (None, "VALID"),
    ] {
        app.update_member(
            &m,
            UpdateUser {
                active_from: None,
                ..period(None, until)
            },
        )
        .await;
        assert_eq!(app.verify(&secret, None).await, code, "until {until:?}");
    }
}

async fn feature_flag(app: TestApp) {
    let (m, _, secret) = app.svc_with_token("t").await;
    // Over the API, an administrator calling with an API token may not switch API
    // tokens off: it would lock them out of the API itself.
    let (status, p) = app
        .patch("/api/v1/settings", json!({"api_tokens_enabled": false}))
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("self_lockout")),
        "{p}"
    );

    // Only the console may do this; here the test stands in for it.
    app.api_tokens_enabled(false).await;
    assert_eq!(app.verify(&secret, None).await, "FEATURE_DISABLED");
    let (status, p) = app.post("/api/v1/tokens", app.token_body(&m, "t2")).await;
    assert_eq!(
        status, 401,
        "the administrator's own API token is refused too: {p}"
    );
    assert_eq!(p["code"], "FEATURE_DISABLED");

    app.api_tokens_enabled(true).await;
    assert_eq!(app.verify(&secret, None).await, "VALID");
}

async fn narrow_admin_token(app: TestApp) {
    // An administrator who issues themselves an integration token for orders:read.
    let m = app.member("boss", &["orders:read"]).await;
    app.make_admin(&m).await;
    let (_, narrow) = app.token(&m, "orders integration").await;
    assert_eq!(app.verify(&narrow, Some("orders:read")).await, "VALID");
    let (status, p) = app.get_as(&narrow, "/api/v1/tokens").await;
    assert_eq!(
        (status, p["code"].as_str()),
        (403, Some("missing_admin_permission")),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("keyward:admin"));
    // Granting keyward:admin to the user type opens the administrator API.
    app.set_permissions(&m, &["orders:read", "keyward:admin"])
        .await;
    assert_eq!(app.get_as(&narrow, "/api/v1/tokens").await.0, 200);
}

async fn self_lockout(app: TestApp) {
    let me = app.admin_id.clone();
    for body in [
        json!({"locked": true}),
        json!({"is_admin": false}),
        json!({"active_until": "2020-01-01T00:00:00Z"}),
    ] {
        let (status, p) = app
            .patch(&format!("/api/v1/users/{me}"), body.clone())
            .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("self_lockout")),
            "{body}: {p}"
        );
    }
    let ms = app.get_ok(&format!("/api/v1/users/{me}/memberships")).await;
    let (status, p) = app
        .delete(&format!(
            "/api/v1/users/{me}/memberships/{}",
            ms[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("self_lockout")),
        "{p}"
    );
    assert_eq!(app.delete(&format!("/api/v1/users/{me}")).await.0, 409);
    let me_user = app.get_ok(&format!("/api/v1/tokens?user_id={me}")).await;
    let own_type = me_user["items"][0]["user_type_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, p) = app
        .patch(
            &format!("/api/v1/user-types/{own_type}"),
            json!({"permissions": ["orders:read"]}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("self_lockout")),
        "{p}"
    );
    // And the administrator still works.
    app.get_ok("/api/v1/tokens").await;
}
