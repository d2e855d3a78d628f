//! `/api/v1/departments` and `/api/v1/user-types`: the organisation tokens are scoped to.

use crate::{Client, Error, Page};
use keyward_core::text::Name;
use keyward_core::{DepartmentId, UserTypeId};
use keyward_proto::directory::{CreateUserType, DepartmentBody, NameQuery, UpdateUserType};
use keyward_proto::{Department, UserType};
use reqwest::Method;

impl Client {
    pub async fn create_department(&self, name: &Name) -> Result<Department, Error> {
        self.with_body(
            Method::POST,
            "/api/v1/departments",
            &DepartmentBody { name: name.clone() },
        )
        .await
    }

    pub async fn list_departments(&self, q: &NameQuery) -> Result<Page<Department>, Error> {
        self.get_query("/api/v1/departments", q).await
    }

    pub async fn get_department(&self, id: DepartmentId) -> Result<Department, Error> {
        self.get(&format!("/api/v1/departments/{id}")).await
    }

    /// Renames a department (its only mutable field).
    pub async fn update_department(
        &self,
        id: DepartmentId,
        name: &Name,
    ) -> Result<Department, Error> {
        self.with_body(
            Method::PATCH,
            &format!("/api/v1/departments/{id}"),
            &DepartmentBody { name: name.clone() },
        )
        .await
    }

    /// Deletes a department no membership or token uses.
    pub async fn delete_department(&self, id: DepartmentId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/departments/{id}")).await
    }

    pub async fn create_user_type(&self, req: &CreateUserType) -> Result<UserType, Error> {
        self.with_body(Method::POST, "/api/v1/user-types", req)
            .await
    }

    pub async fn list_user_types(&self, q: &NameQuery) -> Result<Page<UserType>, Error> {
        self.get_query("/api/v1/user-types", q).await
    }

    pub async fn get_user_type(&self, id: UserTypeId) -> Result<UserType, Error> {
        self.get(&format!("/api/v1/user-types/{id}")).await
    }

    pub async fn update_user_type(
        &self,
        id: UserTypeId,
        up: &UpdateUserType,
    ) -> Result<UserType, Error> {
        self.with_body(Method::PATCH, &format!("/api/v1/user-types/{id}"), up)
            .await
    }

    pub async fn delete_user_type(&self, id: UserTypeId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/user-types/{id}")).await
    }
}
