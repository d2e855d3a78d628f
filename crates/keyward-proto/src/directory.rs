//! `/api/v1/departments` and `/api/v1/user-types`: the organisation tokens are scoped to.

use keyward_core::permission::Permission;
use keyward_core::text::Name;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    pub name: Name,
}

crate::paged_query! {
    /// Filters for the department, user type and endpoint lists.
    pub struct NameQuery {
        /// Matches the name.
        pub q: Option<String>,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserType {
    pub name: Name,
    /// e.g. `["orders:read", "orders:write"]`; a trailing `*` covers a family.
    pub permissions: Vec<Permission>,
}

/// Only the fields that are present change; `permissions` replaces the whole set.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserType {
    pub name: Option<Name>,
    pub permissions: Option<Vec<Permission>>,
}
