//! `POST /api/v1/verify`: is this token good, and what may it do? Every check is made for
//! one tenant: the one the request names, or the tenant of the verifier key it is sent with.

use crate::{Client, Error, Extra, Secret};
use keyward_core::{DepartmentId, TenantId, TokenId, TokenKind, UserId, UserTypeId, VerifyCode};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;

#[derive(Clone, Debug, Serialize)]
pub struct VerifyRequest {
    pub token: Secret,
    /// The tenant the check is for (name or id). Not needed with a verifier key (see
    /// [`Client::verify_with_key`]) or on a single-tenant server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// A permission the caller needs, e.g. `orders:read`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The department the caller acts in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<DepartmentId>,
    /// The address the token was presented from (default: this client's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserRef {
    pub id: UserId,
    pub username: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Named<I> {
    pub id: I,
    pub name: String,
}

/// The verdict. `user`, `department`, `user_type` and `permissions` are filled only when
/// the token is valid.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifyResponse {
    pub valid: bool,
    pub code: VerifyCode,
    /// The code in words.
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub token_id: Option<TokenId>,
    #[serde(default)]
    pub kind: Option<TokenKind>,
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    #[serde(default)]
    pub user: Option<UserRef>,
    #[serde(default)]
    pub department: Option<Named<DepartmentId>>,
    #[serde(default)]
    pub user_type: Option<Named<UserTypeId>>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Client {
    /// Verification answers 200 with a `code` for every token, good or bad; an `Err` means
    /// the question could not be asked (or storage could not confirm: 503).
    pub async fn verify(&self, req: &VerifyRequest) -> Result<VerifyResponse, Error> {
        self.json(self.anonymous(Method::POST, "/api/v1/verify").json(req))
            .await
    }

    /// The same, sent with a verifier key (`kwv_…`): the check is made for the key's tenant.
    pub async fn verify_with_key(
        &self,
        key: &Secret,
        req: &VerifyRequest,
    ) -> Result<VerifyResponse, Error> {
        self.json(
            self.anonymous(Method::POST, "/api/v1/verify")
                .bearer_auth(key.expose())
                .json(req),
        )
        .await
    }
}
