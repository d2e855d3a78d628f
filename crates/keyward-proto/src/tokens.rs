//! `/api/v1/tokens`: the API token lifecycle.

use crate::{Secret, Timestamp};
pub use keyward_core::change::UpdateToken;
use keyward_core::model::{RateLimit, TokenDetails};
use keyward_core::text::Name;
use keyward_core::{DepartmentId, TenantId, TokenId, UserId, UserTypeId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: Name,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
    /// RFC 3339; at most the tenant's `max_token_lifetime_days` ahead. Absent: the
    /// tenant's `default_token_lifetime_days`.
    pub expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// CIDRs the token may be used from (e.g. `["10.0.0.0/8"]`); absent or empty: anywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub allowed_cidrs: Vec<ipnet::IpNet>,
    /// At most `requests` successful checks per `window_seconds` (per keyward node);
    /// beyond it, `RATE_LIMITED`.
    pub rate_limit: Option<RateLimit>,
    /// How many successful checks the token allows in all; then `USAGE_EXCEEDED`.
    pub max_uses: Option<u32>,
}

/// How to present the token.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Usage {
    /// The header to send with every request.
    #[schema(value_type = String)]
    pub header: Secret,
    /// A ready command that checks the token against this server.
    #[schema(value_type = String)]
    pub curl: Secret,
}

/// A token with its secret: returned only by create and regenerate.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenWithSecret {
    #[serde(flatten)]
    pub details: TokenDetails,
    /// The secret. It is shown only in this response.
    #[schema(value_type = String)]
    pub token: Secret,
    pub usage: Usage,
}

crate::paged_query! {
    pub struct TokenQuery {
        /// `active`, `expired`, `revoked`, `disabled`, `stale` (unused for the tenant's
        /// `flag_unused_after_days`, while it can still be used; none while that is 0)
        /// or `all` (default).
        pub status: Option<String>,
        pub user_id: Option<UserId>,
        /// Matches the token's name or description, its owner's username, email or
        /// display name, or its department (anywhere, ignoring case); the start of its
        /// hint (`kwa_GfqB`); or, given a whole token, that token.
        pub q: Option<String>,
        /// `api` (default) or `mobile`.
        pub kind: Option<String>,
        /// Only tokens a check would answer this now (their `effective_status`):
        /// `VALID`, a refusal code (`USER_LOCKED`, `USER_INACTIVE`, `FORBIDDEN`,
        /// `EXPIRED`, …), or `refused` for any of them.
        pub effective_status: Option<String>,
    }
}

/// `POST /api/v1/tokens/bulk`: 1 to 1000 tokens to create in one transaction, all or
/// none, each as `POST /api/v1/tokens` takes one; the answer lists the tokens made, in
/// the order asked, each with its secret (shown only in that response).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Items<T> {
    pub items: Vec<T>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDelete {
    /// 1 to 1000 token ids.
    pub ids: Vec<TokenId>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BulkDeleted {
    pub deleted: Vec<TokenId>,
    /// Ids that named nothing the route deletes: no API token of this tenant (for
    /// `/tokens`), no session (for `/mobile-sessions`), or already deleted.
    pub not_found: Vec<TokenId>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Regenerate {
    /// How long the old secret keeps working (0 to 604800; default 0).
    #[serde(default)]
    pub grace_period_seconds: i64,
}

/// The body of an API token's regenerate: the grace period, and optionally a new expiry.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegenerateToken {
    /// How long the old secret keeps working (0 to 604800; default 0).
    #[serde(default)]
    pub grace_period_seconds: i64,
    /// A new expiry (RFC 3339), at most the tenant's `max_token_lifetime_days` from now.
    /// Absent: the token keeps the expiry it has.
    pub expires_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Revealed {
    pub id: TokenId,
    pub tenant_id: TenantId,
    #[schema(value_type = String)]
    pub token: Secret,
    #[serde(with = "time::serde::rfc3339")]
    pub revealed_at: OffsetDateTime,
}

/// `POST /api/v1/tokens/import`: keys another system issued, taken over with the secrets
/// the integrations already hold (up to 10,000 a call, all or nothing). keyward stores
/// only their HMAC, as for its own tokens; the answer never repeats a secret.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportTokens {
    /// Check every item and say what would be refused, without storing anything.
    #[serde(default)]
    pub dry_run: bool,
    pub items: Vec<ImportToken>,
}

/// One key to import: its secret, and the token it becomes, as `POST /api/v1/tokens`
/// takes one (the same rules: owner, membership, expiry within the tenant's policy).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportToken {
    /// The key as the other system issued it: 16 to 256 visible ASCII characters, and not
    /// in the form of a keyward token (those are made by keyward, never imported).
    #[schema(value_type = String)]
    pub secret: Secret,
    #[serde(flatten)]
    pub token: CreateToken,
}

/// By hand, because serde's `flatten` hands the inner struct only the fields it knows,
/// so `CreateToken`'s `deny_unknown_fields` would never fire: a misspelt
/// `allowed_cidr` would import a token usable from anywhere. Here everything but
/// `secret` is read as a `CreateToken`, unknown fields refused as for `POST
/// /api/v1/tokens`.
impl<'de> Deserialize<'de> for ImportToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let secret = fields
            .remove("secret")
            .ok_or_else(|| D::Error::missing_field("secret"))?;
        let secret = Secret::deserialize(secret).map_err(D::Error::custom)?;
        let token = CreateToken::deserialize(serde_json::Value::Object(fields))
            .map_err(D::Error::custom)?;
        Ok(Self { secret, token })
    }
}

/// Why item `index` of an import is refused: `field` names what is wrong (`secret`,
/// `user_id`, `expires_at`, …) and `code` is stable for programs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportRefusal {
    pub index: usize,
    pub field: String,
    pub code: String,
    pub detail: String,
}

/// The answer to an import: the tokens made (none on a dry run), and, on a dry run, what
/// would be refused. A refused import (without `dry_run`) is a 422 problem whose
/// `refused` lists the same.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Imported {
    pub dry_run: bool,
    /// How many items were (or, on a dry run, would be) imported.
    pub accepted: usize,
    pub refused: Vec<ImportRefusal>,
    /// The tokens made, in the order asked; empty on a dry run.
    pub items: Vec<ImportedToken>,
}

/// A token an import made: enough to find it again, never its secret.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportedToken {
    pub id: TokenId,
    pub name: String,
    /// What the token's page shows of the imported secret (at most 8 of its characters).
    pub hint: String,
}
