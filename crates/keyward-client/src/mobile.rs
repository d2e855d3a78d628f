//! Mobile sessions: the app's login and logout (`/api/v1/mobile/…`, no administrator
//! token), and the administrator's "Mobile Users Logged In" (`/api/v1/mobile-sessions`).

use crate::{BulkDeleted, Client, Error, Extra, Named, Page, Secret};
use keyward_core::model::TokenStatus;
use keyward_core::{DepartmentId, TenantId, TokenId, UserId, UserTypeId};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Clone, Debug, Serialize)]
pub struct MobileLogin {
    /// The tenant's name.
    pub tenant: String,
    pub username: String,
    pub password: Secret,
    /// What the user calls the device; administrators see it.
    pub device_name: String,
    /// Absent: the user's first membership (by department name, then user type name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<DepartmentId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type_id: Option<UserTypeId>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: UserId,
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUserType {
    pub id: UserTypeId,
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// A new session: the only time its token is sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MobileLoginResponse {
    pub token: Secret,
    pub session_id: TokenId,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub user: SessionUser,
    pub department: Named<DepartmentId>,
    pub user_type: SessionUserType,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A session as administrators list it; never its token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MobileSession {
    pub id: TokenId,
    pub tenant_id: TenantId,
    pub hint: String,
    pub device_name: String,
    pub user_id: UserId,
    pub username: String,
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    pub department_id: DepartmentId,
    pub department_name: String,
    pub user_type_id: UserTypeId,
    pub user_type_name: String,
    pub status: TokenStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_active_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Filters for [`Client::list_mobile_sessions`]; `None` leaves the server's default.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MobileSessionQuery {
    /// Matches username, email, display name or device name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<DepartmentId>,
    /// `active` (default), `expired` or `all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

#[derive(Serialize)]
struct BulkDelete<'a> {
    ids: &'a [TokenId],
}

impl Client {
    /// Logs a user in as the mobile app does; needs no administrator token.
    pub async fn mobile_login(&self, req: &MobileLogin) -> Result<MobileLoginResponse, Error> {
        self.json(
            self.anonymous(Method::POST, "/api/v1/mobile/login")
                .json(req),
        )
        .await
    }

    /// Ends the session `token` belongs to.
    pub async fn mobile_logout(&self, token: &Secret) -> Result<(), Error> {
        self.empty(
            self.anonymous(Method::POST, "/api/v1/mobile/logout")
                .bearer_auth(token.expose()),
        )
        .await
    }

    pub async fn list_mobile_sessions(
        &self,
        q: &MobileSessionQuery,
    ) -> Result<Page<MobileSession>, Error> {
        self.get_query("/api/v1/mobile-sessions", q).await
    }

    pub async fn get_mobile_session(&self, id: TokenId) -> Result<MobileSession, Error> {
        self.get(&format!("/api/v1/mobile-sessions/{id}")).await
    }

    /// Logs the device out at once.
    pub async fn delete_mobile_session(&self, id: TokenId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/mobile-sessions/{id}")).await
    }

    /// Deletes up to 1000 sessions in one transaction.
    pub async fn bulk_delete_mobile_sessions(&self, ids: &[TokenId]) -> Result<BulkDeleted, Error> {
        self.with_body(
            Method::POST,
            "/api/v1/mobile-sessions/bulk-delete",
            &BulkDelete { ids },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        "status": "active", "created_at": "2026-11-23T06:05:04.655Z", "last_active_at": null,
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
            (s.device_name.as_str(), s.status),
            ("Work phone", TokenStatus::Active)
        );
        assert_eq!(s.last_active_at, None);
    }

    #[test]
    fn a_login_request_hides_its_password_and_leaves_out_what_was_not_given() {
        let req = MobileLogin {
            tenant: "acme".into(),
            username: "kari".into(),
            password: Secret::new("hunter2hunter2"),
            device_name: "phone".into(),
            department_id: None,
            user_type_id: None,
        };
        assert!(!format!("{req:?}").contains("hunter2"));
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(v["password"], "hunter2hunter2");
        assert!(v.get("department_id").is_none());
    }
}
