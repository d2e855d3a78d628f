//! `/api/v1/departments` and `/api/v1/user-types`: the organisation tokens are scoped to.

pub use keyward_core::change::UpdateUserType;
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
