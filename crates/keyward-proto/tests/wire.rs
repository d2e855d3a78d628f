//! The wire types as a client reads and writes them: what the server answered decodes,
//! secrets stay out of `Debug`, and requests leave out what was not given. (These were
//! `keyward-client`'s tests when it declared its own copies of the types.)

use keyward_core::code::VerifyCode;
use keyward_core::endpoint::{AuthType, EndpointMethod};
use keyward_core::model::TokenStatus;
use keyward_core::text::Name;
use keyward_proto::endpoints::EndpointWithSecrets;
use keyward_proto::examples::{CHANGED_ENDPOINT, CREATED_TOKEN};
use keyward_proto::mobile::MobileLogin;
use keyward_proto::mobile::MobileLoginResponse;
use keyward_proto::tokens::{CreateToken, TokenWithSecret};
use keyward_proto::users::UpdateUser;
use keyward_proto::{MobileSession, Secret};

#[test]
fn a_changed_endpoint_decodes_with_its_new_primaries() {
    let body = CHANGED_ENDPOINT;
    let e: EndpointWithSecrets = serde_json::from_str(body).unwrap();
    assert_eq!(e.details.endpoint.auth_type, AuthType::Token);
    let p = &e.new_primary_tokens[0];
    assert_eq!(p.details.method, Some(EndpointMethod::Post));
    assert_eq!(p.token.expose(), "kwp_secret");
    assert!(!format!("{e:?}").contains("kwp_secret"));
    let back = serde_json::to_value(&e).unwrap();
    assert_eq!(back["new_primary_tokens"][0]["token"], "kwp_secret");
    assert_eq!(back["path"], "orders/in");
    assert_eq!(back["updated_at"], "2026-01-02T03:04:05Z");
}

#[test]
fn a_created_token_decodes_and_hides_its_secret() {
    let t: TokenWithSecret = serde_json::from_str(CREATED_TOKEN).unwrap();
    assert_eq!(t.token.expose(), "kwa_secret");
    assert_eq!(t.details.status, TokenStatus::Active);
    let back = serde_json::to_value(&t).unwrap();
    assert_eq!(back["token"], "kwa_secret");
    assert_eq!(back["expires_at"], "2026-04-02T03:04:05Z");
    assert!(back.get("details").is_none());
    assert!(!format!("{t:?}").contains("kwa_secret"));
}

#[test]
fn a_create_request_leaves_out_what_was_not_given() {
    let id = "01900000-0000-7000-8000-000000000003";
    let req = CreateToken {
        name: Name::parse("ci").unwrap(),
        user_id: id.parse().unwrap(),
        department_id: id.parse().unwrap(),
        user_type_id: id.parse().unwrap(),
        expires_at: None,
        description: String::new(),
        allowed_cidrs: vec![],
        rate_limit: None,
        max_uses: None,
    };
    let v = serde_json::to_value(&req).unwrap();
    let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["department_id", "name", "user_id", "user_type_id"].map(String::from)
    );
}

#[test]
fn an_update_sends_null_to_clear_and_nothing_to_keep() {
    let up = UpdateUser {
        active_until: Some(None),
        locked: Some(true),
        ..Default::default()
    };
    let v = serde_json::to_value(&up).unwrap();
    assert_eq!(v, serde_json::json!({"locked": true, "active_until": null}));
}

// As the server answered (a debug build, 2026-11-23), token shortened.
const LOGIN: &str = r#"{"token": "kwm_secret", "session_id": "01a20702-0d0f-722c-b91f-e2d796606290",
    "expires_at": "2026-12-23T06:05:04.655Z",
    "user": {"id": "01a20702-0c4e-70d6-b996-f202959110c1", "username": "erp-sync",
             "display_name": "ERP sync", "email": "erp@example.com"},
    "department": {"id": "01a20702-0bf2-711b-844b-e4bd7b90a91e", "name": "Department A"},
    "user_type": {"id": "01a20702-0c23-7327-be84-9ae164032ca0", "name": "Order reader",
                  "permissions": ["orders:read"]}}"#;

const SESSION: &str = r#"{"id": "01a20702-0d0f-722c-b91f-e2d796606290",
    "tenant_id": "01a20702-0b00-7000-8000-000000000001", "hint": "kwm_Ab3d…x9Qz",
    "device_name": "Work phone", "user_id": "01a20702-0c4e-70d6-b996-f202959110c1",
    "username": "erp-sync", "email": "erp@example.com", "display_name": "ERP sync",
    "department_id": "01a20702-0bf2-711b-844b-e4bd7b90a91e", "department_name": "Department A",
    "user_type_id": "01a20702-0c23-7327-be84-9ae164032ca0", "user_type_name": "Order reader",
    "status": "active", "effective_status": "USER_LOCKED",
    "created_at": "2026-11-23T06:05:04.655Z", "last_active_at": null,
    "expires_at": "2026-12-23T06:05:04.655Z"}"#;

#[test]
fn a_login_answer_decodes_and_hides_its_token() {
    let r: MobileLoginResponse = serde_json::from_str(LOGIN).unwrap();
    assert_eq!(r.token.expose(), "kwm_secret");
    assert_eq!(r.user_type.permissions, ["orders:read"]);
    assert_eq!(r.department.name, "Department A");
    assert!(!format!("{r:?}").contains("kwm_secret"));
}

#[test]
fn a_listed_session_decodes() {
    let s: MobileSession = serde_json::from_str(SESSION).unwrap();
    assert_eq!(
        (s.device_name.as_str(), s.status, s.effective_status),
        ("Work phone", TokenStatus::Active, VerifyCode::UserLocked)
    );
    assert_eq!(s.last_active_at, None);
}

#[test]
fn a_login_request_hides_its_password_and_leaves_out_what_was_not_given() {
    let req = MobileLogin {
        tenant: "acme".into(),
        username: "kari".into(),
        password: Secret::new("hunter2hunter2"),
        device_name: Name::parse("phone").unwrap(),
        department_id: None,
        user_type_id: None,
    };
    assert!(!format!("{req:?}").contains("hunter2"));
    let v = serde_json::to_value(&req).unwrap();
    assert_eq!(v["password"], "hunter2hunter2");
    assert!(v.get("department_id").is_none());
}
