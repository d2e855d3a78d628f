//! `/api/v1/users` and `/api/v1/users/{id}/memberships`.

use crate::{double_option, Timestamp};
use keyward_core::text::{Email, Name, Username};
use keyward_core::{DepartmentId, UserTypeId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: Username,
    pub email: Email,
    pub display_name: Name,
    #[serde(default)]
    pub is_admin: bool,
    #[serde(default)]
    pub is_technical: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_from: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_until: Option<Timestamp>,
    /// For console and mobile login; 10 to 1024 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Only the fields that are present change; `null` clears an optional value.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_technical: Option<bool>,
    /// A locked user's tokens and sessions stop working at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    /// `null` clears it.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub active_from: Option<Option<Timestamp>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub active_until: Option<Option<Timestamp>>,
    /// `null` removes the password (no more console or mobile login). Either way the
    /// user's console and mobile sessions end.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Matches username, email or display name.
    pub q: Option<String>,
    pub is_admin: Option<bool>,
    pub is_technical: Option<bool>,
    pub locked: Option<bool>,
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page (default 50, at most 500).
    pub per_page: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMembership {
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
}
