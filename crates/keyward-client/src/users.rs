//! `/api/v1/users` and `/api/v1/users/{id}/memberships`.

use crate::{Client, Error, Page};
use keyward_core::{DepartmentId, MembershipId, UserId, UserTypeId};
use keyward_proto::users::{AddMembership, CreateUser, UpdateUser, UserQuery};
use keyward_proto::{Membership, User};
use reqwest::Method;

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
