//! `/api/v1/departments` and `/api/v1/user-types`: the organisation tokens are scoped to.

use crate::{Client, Error, Extra, Page};
use keyward_core::{DepartmentId, TenantId, UserTypeId};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Department {
    pub id: DepartmentId,
    pub tenant_id: TenantId,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A role: a name and the permission strings it grants.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserType {
    pub id: UserTypeId,
    pub tenant_id: TenantId,
    pub name: String,
    pub permissions: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Filters for the department and user type lists.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NameQuery {
    /// Matches the name (substring, any case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CreateUserType {
    pub name: String,
    /// e.g. `orders:read`; a trailing `*` covers a family.
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UpdateUserType {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Replaces the whole set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
}

#[derive(Serialize)]
struct DepartmentBody<'a> {
    name: &'a str,
}

impl Client {
    pub async fn create_department(&self, name: &str) -> Result<Department, Error> {
        self.with_body(
            Method::POST,
            "/api/v1/departments",
            &DepartmentBody { name },
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
        name: &str,
    ) -> Result<Department, Error> {
        self.with_body(
            Method::PATCH,
            &format!("/api/v1/departments/{id}"),
            &DepartmentBody { name },
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
