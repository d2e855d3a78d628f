//! The checks: `POST /api/v1/verify`, RFC 7662 introspection and forward auth.

use crate::Secret;
use keyward_core::{
    DepartmentId, EndpointTokenId, TenantId, TokenId, TokenKind, UserId, UserTypeId, VerifyCode,
};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[schema(value_type = String)]
    pub token: Secret,
    /// The tenant the check is for (name or id), when the caller sends no verifier key.
    /// A token of any other tenant is `NOT_FOUND`. With a verifier key it may be left
    /// out; if given, it must name the key's own tenant.
    pub tenant: Option<String>,
    /// A permission the caller needs, e.g. `orders:read`.
    pub permission: Option<String>,
    /// The department the caller acts in; another department answers `FORBIDDEN`.
    pub department_id: Option<DepartmentId>,
    /// The address the token was presented from, for IP allowlists (default: the caller's).
    #[schema(value_type = Option<String>)]
    pub ip: Option<IpAddr>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Named<I> {
    pub id: I,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserRef {
    pub id: UserId,
    pub username: String,
}

/// The answer to a check. A refused check carries only `valid`, `code`, `message` (and
/// `retry_after` for `RATE_LIMITED`): nothing about the token, its owner or its tenant.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    pub code: VerifyCode,
    /// The code in words.
    pub message: String,
    pub token_id: Option<TokenId>,
    pub kind: Option<TokenKind>,
    /// For an endpoint token (`kwp_`, `kws_`): its id. Such a token opens only hosted
    /// endpoints (`/e/{path}`), so elsewhere it is `FORBIDDEN` at best.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_token_id: Option<EndpointTokenId>,
    pub tenant_id: Option<TenantId>,
    pub user: Option<UserRef>,
    #[schema(value_type = Option<Object>)]
    pub department: Option<Named<DepartmentId>>,
    #[schema(value_type = Option<Object>)]
    pub user_type: Option<Named<UserTypeId>>,
    /// What the token may do (only when valid).
    pub permissions: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// For `RATE_LIMITED`: seconds until the token may be used again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntrospectRequest {
    #[schema(value_type = String)]
    pub token: Secret,
    pub token_type_hint: Option<String>,
}

/// RFC 7662 token introspection. Inactive tokens answer only `{"active": false}`.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntrospectResponse {
    pub active: bool,
    pub sub: Option<UserId>,
    pub username: Option<String>,
    /// Space-separated permissions.
    pub scope: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub token_type: Option<String>,
    pub tenant_id: Option<TenantId>,
    pub token_id: Option<TokenId>,
    pub department_id: Option<DepartmentId>,
    pub user_type_id: Option<UserTypeId>,
}

/// What a protected route asks of the token. Any other parameter is refused (400), so a
/// misspelt `permision=` cannot silently check nothing.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ForwardQuery {
    /// A permission the protected route needs.
    pub permission: Option<String>,
    /// The name of a set of forward rules in the server's configuration: the permission
    /// is then the one its rules map the forwarded method and path to
    /// (`X-Forwarded-Method` and `X-Forwarded-Uri`, or nginx's `X-Original-Method` and
    /// `X-Original-URI`). Not together with `permission`.
    pub rules: Option<String>,
    pub department_id: Option<DepartmentId>,
}
