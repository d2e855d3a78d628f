//! `/api/v1/users` and `/api/v1/users/{id}/memberships`.

use crate::{double_option, Timestamp};
use keyward_core::text::{Email, Name, Username};
use keyward_core::{DepartmentId, UserTypeId};
use serde::{Deserialize, Serialize};

#[serde_with::skip_serializing_none]
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
    pub active_from: Option<Timestamp>,
    pub active_until: Option<Timestamp>,
    /// For console and mobile login; 10 to 1024 characters.
    pub password: Option<String>,
}

/// Only the fields that are present change; `null` clears an optional value.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub email: Option<Email>,
    pub display_name: Option<Name>,
    pub is_admin: Option<bool>,
    pub is_technical: Option<bool>,
    /// A locked user's tokens and sessions stop working at once.
    pub locked: Option<bool>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub active_from: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub active_until: Option<Option<Timestamp>>,
    /// `null` removes the password (no more console or mobile login). Either way the
    /// user's console and mobile sessions end.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
}

crate::paged_query! {
    pub struct UserQuery {
        /// Matches username, email or display name.
        pub q: Option<String>,
        pub is_admin: Option<bool>,
        pub is_technical: Option<bool>,
        pub locked: Option<bool>,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMembership {
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
}
