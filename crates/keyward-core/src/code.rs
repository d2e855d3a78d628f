//! The result codes of a check (SPEC §4), on their own so that the domain types can
//! carry a token's standing without depending on the decision that computes it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    Valid,
    /// Unknown, deleted or malformed: keyward does not say which.
    NotFound,
    Expired,
    Revoked,
    Disabled,
    UserLocked,
    UserInactive,
    FeatureDisabled,
    /// A good token without the permission, department, endpoint or method asked for.
    Forbidden,
    IpNotAllowed,
    RateLimited,
    UsageExceeded,
}

impl VerifyCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "VALID",
            Self::NotFound => "NOT_FOUND",
            Self::Expired => "EXPIRED",
            Self::Revoked => "REVOKED",
            Self::Disabled => "DISABLED",
            Self::UserLocked => "USER_LOCKED",
            Self::UserInactive => "USER_INACTIVE",
            Self::FeatureDisabled => "FEATURE_DISABLED",
            Self::Forbidden => "FORBIDDEN",
            Self::IpNotAllowed => "IP_NOT_ALLOWED",
            Self::RateLimited => "RATE_LIMITED",
            Self::UsageExceeded => "USAGE_EXCEEDED",
        }
    }

    /// A sentence for the integrator at 2 a.m. who got a 401 and wants to know why.
    pub fn explain(self) -> &'static str {
        match self {
            Self::Valid => "the token is valid",
            Self::NotFound => {
                "no such token for this tenant: it is malformed, mistyped, deleted, replaced by \
                 regeneration, or belongs to another tenant"
            }
            Self::Expired => "the token has passed its expiry date",
            Self::Revoked => "the token was revoked by an administrator",
            Self::Disabled => "the token is disabled; an administrator can enable it again",
            Self::UserLocked => "the token's user is locked",
            Self::UserInactive => "the token's user is outside their employment period",
            Self::FeatureDisabled => "API tokens are switched off for this tenant",
            Self::Forbidden => {
                "the token is valid but lacks the permission, department, endpoint or method asked for"
            }
            Self::IpNotAllowed => "the token may not be used from this IP address",
            Self::RateLimited => "the token has exceeded its rate limit; retry later",
            Self::UsageExceeded => "the token has no uses left",
        }
    }
}
