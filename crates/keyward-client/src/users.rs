//! `/api/v1/users` and `/api/v1/users/{id}/memberships`.

use crate::{Client, Error, Extra, Page};
use keyward_core::{DepartmentId, MembershipId, TenantId, UserId, UserTypeId};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
    pub is_technical: bool,
    pub locked: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub active_from: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub active_until: Option<OffsetDateTime>,
    #[serde(default)]
    pub has_password: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A user's user type in a department.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Membership {
    pub id: MembershipId,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub department_name: String,
    pub user_type_id: UserTypeId,
    pub user_type_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Serialize)]
pub struct CreateUser {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
    pub is_technical: bool,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub active_from: Option<OffsetDateTime>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub active_until: Option<OffsetDateTime>,
    /// For console and mobile login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Only the fields that are `Some` change; `Some(None)` clears an optional value.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UpdateUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_technical: Option<bool>,
    /// A locked user's tokens and sessions stop working at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    #[serde(with = "crate::patch_time", skip_serializing_if = "Option::is_none")]
    pub active_from: Option<Option<OffsetDateTime>>,
    #[serde(with = "crate::patch_time", skip_serializing_if = "Option::is_none")]
    pub active_until: Option<Option<OffsetDateTime>>,
    /// `Some(None)` removes the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Option<String>>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UserQuery {
    /// Matches username, email or display name (substring, any case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_technical: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

#[derive(Serialize)]
struct AddMembership {
    department_id: DepartmentId,
    user_type_id: UserTypeId,
}

impl Client {
    pub async fn create_user(&self, req: &CreateUser) -> Result<User, Error> {
        self.with_body(Method::POST, "/api/v1/users", req).await
    }

    pub async fn list_users(&self, q: &UserQuery) -> Result<Page<User>, Error> {
        self.get_query("/api/v1/users", q).await
    }

    pub async fn get_user(&self, id: UserId) -> Result<User, Error> {
        self.get(&format!("/api/v1/users/{id}")).await
    }

    pub async fn update_user(&self, id: UserId, up: &UpdateUser) -> Result<User, Error> {
        self.with_body(Method::PATCH, &format!("/api/v1/users/{id}"), up)
            .await
    }

    /// Deletes a user who owns no tokens.
    pub async fn delete_user(&self, id: UserId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/users/{id}")).await
    }

    pub async fn add_membership(
        &self,
        user: UserId,
        department_id: DepartmentId,
        user_type_id: UserTypeId,
    ) -> Result<Membership, Error> {
        let body = AddMembership {
            department_id,
            user_type_id,
        };
        self.with_body(
            Method::POST,
            &format!("/api/v1/users/{user}/memberships"),
            &body,
        )
        .await
    }

    pub async fn list_memberships(&self, user: UserId) -> Result<Vec<Membership>, Error> {
        self.get(&format!("/api/v1/users/{user}/memberships")).await
    }

    /// Tokens that use the membership stop working (`FORBIDDEN`).
    pub async fn remove_membership(&self, user: UserId, id: MembershipId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/users/{user}/memberships/{id}"))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
