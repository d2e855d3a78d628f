//! `/api/v1/users/{id}/memberships`: a user's memberships.

use crate::{Client, Error, Open};
use keyward_core::{DepartmentId, MembershipId, UserId, UserTypeId};
use keyward_proto::users::AddMembership;
use keyward_proto::Membership;
use reqwest::Method;

impl Client {
    pub async fn add_membership(
        &self,
        user: UserId,
        department_id: DepartmentId,
        user_type_id: UserTypeId,
    ) -> Result<Open<Membership>, Error> {
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

    pub async fn list_memberships(&self, user: UserId) -> Result<Vec<Open<Membership>>, Error> {
        self.get_at(&format!("/api/v1/users/{user}/memberships"))
            .await
    }

    /// Tokens that use the membership stop working (`FORBIDDEN`).
    pub async fn remove_membership(&self, user: UserId, id: MembershipId) -> Result<(), Error> {
        self.delete_at(&format!("/api/v1/users/{user}/memberships/{id}"))
            .await
    }
}
