//! `/api/v1/verifier-keys`: the credentials protected services ask checks with.

use crate::Secret;
pub use keyward_core::change::UpdateVerifierKey;
use keyward_core::model::VerifierKey;
use keyward_core::text::Name;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVerifierKey {
    /// Name it after the service that will send it, e.g. `orders-api gateway`.
    pub name: Name,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// How a protected service sends its key.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerifierKeyUsage {
    /// The header to send with each check.
    #[schema(value_type = String)]
    pub header: Secret,
    /// A ready command that asks a check with this key.
    #[schema(value_type = String)]
    pub curl: Secret,
}

/// A verifier key with its secret: returned only when it is created.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerifierKeyWithSecret {
    #[serde(flatten)]
    pub key: VerifierKey,
    /// The secret. It is shown only in this response.
    #[schema(value_type = String)]
    pub token: Secret,
    pub usage: VerifierKeyUsage,
}

crate::paged_query! {
    #[serde(deny_unknown_fields)]
    pub struct VerifierKeyQuery {
    }
}
