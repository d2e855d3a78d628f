//! Mobile sessions: the app's login and logout (`/api/v1/mobile/…`), and the
//! administrator's "Mobile Users Logged In" (`/api/v1/mobile-sessions`).

use crate::Secret;
use keyward_core::text::Name;
use keyward_core::{DepartmentId, TokenId, UserId, UserTypeId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MobileLogin {
    /// The tenant's name.
    pub tenant: String,
    pub username: String,
    #[schema(value_type = String)]
    pub password: Secret,
    /// What the user calls the device (e.g. `Kari's iPhone`); administrators see it.
    pub device_name: Name,
    /// The department to act in. Absent: the user's first membership, by department
    /// name then user type name (with `user_type_id`, the first with that user type).
    pub department_id: Option<DepartmentId>,
    /// The user type to act as. Absent: as for `department_id`.
    pub user_type_id: Option<UserTypeId>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionUser {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionDepartment {
    pub id: DepartmentId,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionUserType {
    pub id: UserTypeId,
    pub name: String,
    /// What the session may do.
    pub permissions: Vec<String>,
}

/// A new session. The token appears in this response only.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MobileLoginResponse {
    /// The session token (`kwm_…`), to send as `Authorization: Bearer`.
    #[schema(value_type = String)]
    pub token: Secret,
    pub session_id: TokenId,
    /// `mobile_session_days` from now; each use moves it forward again.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub user: SessionUser,
    pub department: SessionDepartment,
    pub user_type: SessionUserType,
}

crate::paged_query! {
    pub struct SessionQuery {
        /// Matches username, email, display name or device name.
        pub q: Option<String>,
        pub user_id: Option<UserId>,
        pub department_id: Option<DepartmentId>,
        /// `active` (default: the users logged in), `expired` or `all`.
        pub status: Option<String>,
    }
}
