//! `/api/v1/tokens`: create, list, inspect, change, revoke, delete, regenerate, reveal.

use crate::{Client, Error, Extra, Page, Secret};
use keyward_core::model::{RateLimit, TokenStatus};
use keyward_core::{DepartmentId, TenantId, TokenId, TokenKind, UserId, UserTypeId};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A token as listed and shown: never its secret, only its hint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenDetails {
    pub id: TokenId,
    pub tenant_id: TenantId,
    pub kind: TokenKind,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub hint: String,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
    pub enabled: bool,
    /// Whether the secret can be revealed again (`recoverable` secret storage).
    #[serde(default)]
    pub recoverable: bool,
    #[serde(default)]
    pub allowed_cidrs: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default)]
    pub created_by: Option<UserId>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub revoked_by: Option<UserId>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    pub status: TokenStatus,
    pub username: String,
    pub department_name: String,
    pub user_type_name: String,
    #[serde(default)]
    pub revoked_by_name: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// How to present a new secret; both strings contain it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Usage {
    pub header: Secret,
    pub curl: Secret,
}

/// The answer to create and regenerate: the only time the secret is sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenWithSecret {
    pub token: Secret,
    pub usage: Usage,
    #[serde(flatten)]
    pub details: TokenDetails,
}

#[derive(Clone, Debug, Serialize)]
pub struct CreateToken {
    pub name: String,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
    /// Absent: the tenant's default lifetime.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// CIDRs the token may be used from; empty: anywhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_cidrs: Vec<String>,
    /// At most this many successful checks per window (per keyward node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// How many successful checks the token allows in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
}

/// Only the fields that are `Some` change.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UpdateToken {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `false` disables the token until it is enabled again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `Some(vec![])` removes the allowlist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_cidrs: Option<Vec<String>>,
}

/// Filters for [`Client::list_tokens`]; `None` leaves the server's default.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TokenQuery {
    /// `active`, `expired`, `revoked`, `disabled` or `all` (default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Matches the token name or the owner's username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// `api` (default) or `mobile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Regenerate {
    /// How long the old secret keeps working (0 to 604800).
    pub grace_period_seconds: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BulkDeleted {
    pub deleted: Vec<TokenId>,
    /// Ids that named no token of this tenant.
    pub not_found: Vec<TokenId>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Revealed {
    pub id: TokenId,
    pub tenant_id: TenantId,
    pub token: Secret,
    #[serde(with = "time::serde::rfc3339")]
    pub revealed_at: OffsetDateTime,
}

#[derive(Serialize)]
struct BulkDelete<'a> {
    ids: &'a [TokenId],
}

impl Client {
    /// Issues a token for one of the user's memberships. The answer holds the secret.
    pub async fn create_token(&self, req: &CreateToken) -> Result<TokenWithSecret, Error> {
        self.with_body(Method::POST, "/api/v1/tokens", req).await
    }

    pub async fn list_tokens(&self, q: &TokenQuery) -> Result<Page<TokenDetails>, Error> {
        self.get_query("/api/v1/tokens", q).await
    }

    pub async fn get_token(&self, id: TokenId) -> Result<TokenDetails, Error> {
        self.get(&format!("/api/v1/tokens/{id}")).await
    }

    pub async fn update_token(&self, id: TokenId, up: &UpdateToken) -> Result<TokenDetails, Error> {
        self.with_body(Method::PATCH, &format!("/api/v1/tokens/{id}"), up)
            .await
    }

    /// Stops the token at once; it stays listed with its removal date.
    pub async fn revoke_token(&self, id: TokenId) -> Result<TokenDetails, Error> {
        self.json(self.admin(Method::POST, &format!("/api/v1/tokens/{id}/revoke"))?)
            .await
    }

    /// Deletes one token for good.
    pub async fn delete_token(&self, id: TokenId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/tokens/{id}")).await
    }

    /// Deletes up to 1000 tokens in one transaction.
    pub async fn bulk_delete_tokens(&self, ids: &[TokenId]) -> Result<BulkDeleted, Error> {
        self.with_body(
            Method::POST,
            "/api/v1/tokens/bulk-delete",
            &BulkDelete { ids },
        )
        .await
    }

    /// Gives the token a new secret; the answer holds it.
    pub async fn regenerate_token(
        &self,
        id: TokenId,
        req: &Regenerate,
    ) -> Result<TokenWithSecret, Error> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/tokens/{id}/regenerate"),
            req,
        )
        .await
    }

    /// Shows a stored secret again (only under `recoverable` secret storage; audited).
    pub async fn reveal_token(&self, id: TokenId) -> Result<Revealed, Error> {
        self.json(self.admin(Method::POST, &format!("/api/v1/tokens/{id}/reveal"))?)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATED: &str = r#"{
        "id": "01900000-0000-7000-8000-000000000001",
        "tenant_id": "01900000-0000-7000-8000-000000000002",
        "kind": "api", "name": "ci", "description": "", "hint": "kwa_Ab3d…x9Qz",
        "user_id": "01900000-0000-7000-8000-000000000003",
        "department_id": "01900000-0000-7000-8000-000000000004",
        "user_type_id": "01900000-0000-7000-8000-000000000005",
        "enabled": true, "recoverable": false, "allowed_cidrs": [],
        "created_at": "2026-01-02T03:04:05Z", "created_by": null,
        "expires_at": "2026-04-02T03:04:05Z", "revoked_at": null, "revoked_by": null,
        "last_used_at": null, "status": "active", "username": "a",
        "department_name": "Sales", "user_type_name": "Reader", "revoked_by_name": null,
        "some_future_field": 7,
        "token": "kwa_secret", "usage": {"header": "Authorization: Bearer kwa_secret", "curl": "curl kwa_secret"}
    }"#;

    #[test]
    fn a_created_token_decodes_and_keeps_unknown_fields() {
        let t: TokenWithSecret = serde_json::from_str(CREATED).unwrap();
        assert_eq!(t.token.expose(), "kwa_secret");
        assert_eq!(t.details.status, TokenStatus::Active);
        assert_eq!(t.details.extra.get("some_future_field"), Some(&7.into()));
        let back = serde_json::to_value(&t).unwrap();
        assert_eq!(back["token"], "kwa_secret");
        assert_eq!(back["expires_at"], "2026-04-02T03:04:05Z");
        assert_eq!(back["some_future_field"], 7);
        assert!(back.get("details").is_none());
        assert!(!format!("{t:?}").contains("kwa_secret"));
    }

    #[test]
    fn a_create_request_leaves_out_what_was_not_given() {
        let id = "01900000-0000-7000-8000-000000000003";
        let req = CreateToken {
            name: "ci".into(),
            user_id: id.parse().unwrap(),
            department_id: id.parse().unwrap(),
            user_type_id: id.parse().unwrap(),
            expires_at: None,
            description: String::new(),
            allowed_cidrs: vec![],
            rate_limit: None,
            max_uses: None,
        };
        let v = serde_json::to_value(&req).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["department_id", "name", "user_id", "user_type_id"].map(String::from)
        );
    }
}
