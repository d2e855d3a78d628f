//! `/api/v1/tokens/leaked` and `/api/v1/tokens/revoke-self`: tokens found where they
//! should not be, revoked at once.

use crate::Secret;
use serde::{Deserialize, Serialize};

/// One secret a scanner found, in the shape secret scanners send (GitHub's secret
/// scanning partner format): fields beyond these are ignored.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeakedToken {
    /// The secret as found.
    #[schema(value_type = String)]
    pub token: Secret,
    /// The scanner's name for the kind of secret.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub reported_type: Option<String>,
    /// Where it was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Who found it, e.g. `github`, `gitleaks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What a report did with one secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeakStatus {
    /// A keyward token, revoked now.
    Revoked,
    /// A keyward token that was revoked already.
    AlreadyRevoked,
    /// Shaped like a keyward token, but no stored token has it.
    NotFound,
    /// Neither shaped like a keyward token (or its checksum is wrong) nor like a key
    /// keyward imports (16 to 256 visible ASCII characters).
    NotAToken,
}

/// One line of a report's answer: the secret at `index` of the request, and what was
/// done. Nothing about the token beyond that is said.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeakResult {
    pub index: usize,
    pub status: LeakStatus,
}

/// The holder's own token, revoked with nothing but itself.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeSelf {
    #[schema(value_type = String)]
    pub token: Secret,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevokeSelfAnswer {
    pub status: LeakStatus,
}
