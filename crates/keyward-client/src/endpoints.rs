//! `/api/v1/endpoints` and `/api/v1/endpoint-tokens`: hosted endpoints, their primary
//! tokens, secondary tokens and their assignments, and the data viewer.

use crate::{Client, Error, Extra, Page, Regenerate, Secret};
use keyward_core::endpoint::{AuthType, EndpointMethod};
use keyward_core::{EndpointId, EndpointRecordId, EndpointTokenId, TenantId, TokenKind};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An endpoint served at `/e/{path}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: EndpointId,
    pub tenant_id: TenantId,
    pub name: String,
    pub path: String,
    #[serde(default)]
    pub description: String,
    pub auth_type: AuthType,
    pub allow_deleting: bool,
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Sent by the routes that show one endpoint, not by the listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_tokens: Option<Vec<EndpointToken>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A primary (`kwp_`) or secondary (`kws_`) endpoint token: never its secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointToken {
    pub id: EndpointTokenId,
    pub tenant_id: TenantId,
    pub kind: TokenKind,
    #[serde(default)]
    pub endpoint_id: Option<EndpointId>,
    #[serde(default)]
    pub method: Option<EndpointMethod>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub hint: String,
    pub enabled: bool,
    #[serde(default)]
    pub recoverable: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Sent by the route that shows one secondary token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignments: Option<Vec<Assignment>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A secondary token assigned to an endpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Assignment {
    pub endpoint_id: EndpointId,
    pub endpoint_name: String,
    pub endpoint_path: String,
    pub token_id: EndpointTokenId,
    pub token_name: String,
    pub token_hint: String,
    pub token_enabled: bool,
    /// Whether the assignment itself is switched on.
    pub enabled: bool,
    /// What the application may do on this endpoint (POST unless granted more).
    #[serde(default)]
    pub methods: Vec<EndpointMethod>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(flatten)]
    pub extra: Extra,
}

/// How to present a new endpoint-token secret; both strings contain it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointUsage {
    pub header: Secret,
    /// For a primary: a ready command for its method and endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curl: Option<Secret>,
}

/// The answer that carries a new endpoint-token secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointTokenWithSecret {
    pub token: Secret,
    pub usage: EndpointUsage,
    #[serde(flatten)]
    pub details: EndpointToken,
}

/// The answer to creating or changing an endpoint, with the secrets of the primary
/// tokens the change created.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointWithSecrets {
    #[serde(default)]
    pub new_primary_tokens: Vec<EndpointTokenWithSecret>,
    #[serde(flatten)]
    pub endpoint: Endpoint,
}

#[derive(Clone, Debug, Serialize)]
pub struct CreateEndpoint {
    pub name: String,
    pub path: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `None` leaves the server's default (`none`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AuthType>,
    pub allow_deleting: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Only the fields that are `Some` change.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UpdateEndpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AuthType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_deleting: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct EndpointQuery {
    /// Matches the name or the path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CreateEndpointToken {
    /// The application's name.
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UpdateEndpointToken {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct EndpointTokenQuery {
    /// `active` (default), `inactive` or `all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Matches the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// A record an endpoint received, with who sent it from where.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointRecord {
    pub id: EndpointRecordId,
    pub endpoint_id: EndpointId,
    #[serde(default)]
    pub token_id: Option<EndpointTokenId>,
    #[serde(default)]
    pub token_kind: Option<TokenKind>,
    /// The application's name.
    #[serde(default)]
    pub token_name: Option<String>,
    pub method: EndpointMethod,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub body: serde_json::Value,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Filters of the data viewer.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RecordQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<EndpointTokenId>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<OffsetDateTime>,
    /// Inclusive.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevealedEndpointToken {
    pub id: EndpointTokenId,
    pub tenant_id: TenantId,
    pub token: Secret,
    #[serde(with = "time::serde::rfc3339")]
    pub revealed_at: OffsetDateTime,
}

#[derive(Serialize)]
struct SetAssignment<'a> {
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    methods: Option<&'a [EndpointMethod]>,
}

impl Client {
    /// Creates an endpoint; under token authentication the answer holds the primary
    /// tokens' secrets.
    pub async fn create_endpoint(
        &self,
        req: &CreateEndpoint,
    ) -> Result<EndpointWithSecrets, Error> {
        self.with_body(Method::POST, "/api/v1/endpoints", req).await
    }

    pub async fn list_endpoints(&self, q: &EndpointQuery) -> Result<Page<Endpoint>, Error> {
        self.get_query("/api/v1/endpoints", q).await
    }

    /// An endpoint with its primary tokens (hints only).
    pub async fn get_endpoint(&self, id: EndpointId) -> Result<Endpoint, Error> {
        self.get(&format!("/api/v1/endpoints/{id}")).await
    }

    /// Changes an endpoint; the answer holds the secrets of primaries the change created.
    pub async fn update_endpoint(
        &self,
        id: EndpointId,
        up: &UpdateEndpoint,
    ) -> Result<EndpointWithSecrets, Error> {
        self.with_body(Method::PATCH, &format!("/api/v1/endpoints/{id}"), up)
            .await
    }

    /// Deletes an endpoint with its primaries, assignments and records.
    pub async fn delete_endpoint(&self, id: EndpointId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/endpoints/{id}")).await
    }

    /// Gives a primary token a new secret; the answer holds it.
    pub async fn regenerate_primary(
        &self,
        id: EndpointId,
        method: EndpointMethod,
        req: &Regenerate,
    ) -> Result<EndpointTokenWithSecret, Error> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/endpoints/{id}/primary-tokens/{method}/regenerate"),
            req,
        )
        .await
    }

    /// A primary token's secret again (only under `recoverable` secret storage; audited).
    pub async fn reveal_primary(
        &self,
        id: EndpointId,
        method: EndpointMethod,
    ) -> Result<RevealedEndpointToken, Error> {
        let path = format!("/api/v1/endpoints/{id}/primary-tokens/{method}/reveal");
        self.json(self.admin(Method::POST, &path)?).await
    }

    pub async fn list_assignments(&self, id: EndpointId) -> Result<Vec<Assignment>, Error> {
        self.get(&format!("/api/v1/endpoints/{id}/assignments"))
            .await
    }

    /// Assigns a secondary token to an endpoint, or switches the assignment on or off.
    /// Assigns `token` to endpoint `id`, or changes the assignment. `methods`: what the
    /// application may do there (`None` keeps an assignment's methods; a new one allows
    /// POST only).
    pub async fn set_assignment(
        &self,
        id: EndpointId,
        token: EndpointTokenId,
        enabled: bool,
        methods: Option<&[EndpointMethod]>,
    ) -> Result<Assignment, Error> {
        self.with_body(
            Method::PUT,
            &format!("/api/v1/endpoints/{id}/assignments/{token}"),
            &SetAssignment { enabled, methods },
        )
        .await
    }

    pub async fn remove_assignment(
        &self,
        id: EndpointId,
        token: EndpointTokenId,
    ) -> Result<(), Error> {
        self.delete(&format!("/api/v1/endpoints/{id}/assignments/{token}"))
            .await
    }

    /// The data viewer: an endpoint's records, newest first.
    pub async fn list_records(
        &self,
        id: EndpointId,
        q: &RecordQuery,
    ) -> Result<Page<EndpointRecord>, Error> {
        self.get_query(&format!("/api/v1/endpoints/{id}/records"), q)
            .await
    }

    /// Creates a secondary token; the answer holds its secret.
    pub async fn create_endpoint_token(
        &self,
        req: &CreateEndpointToken,
    ) -> Result<EndpointTokenWithSecret, Error> {
        self.with_body(Method::POST, "/api/v1/endpoint-tokens", req)
            .await
    }

    pub async fn list_endpoint_tokens(
        &self,
        q: &EndpointTokenQuery,
    ) -> Result<Page<EndpointToken>, Error> {
        self.get_query("/api/v1/endpoint-tokens", q).await
    }

    /// A secondary token with its assignments.
    pub async fn get_endpoint_token(&self, id: EndpointTokenId) -> Result<EndpointToken, Error> {
        self.get(&format!("/api/v1/endpoint-tokens/{id}")).await
    }

    pub async fn update_endpoint_token(
        &self,
        id: EndpointTokenId,
        up: &UpdateEndpointToken,
    ) -> Result<EndpointToken, Error> {
        self.with_body(Method::PATCH, &format!("/api/v1/endpoint-tokens/{id}"), up)
            .await
    }

    pub async fn delete_endpoint_token(&self, id: EndpointTokenId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/endpoint-tokens/{id}")).await
    }

    pub async fn regenerate_endpoint_token(
        &self,
        id: EndpointTokenId,
        req: &Regenerate,
    ) -> Result<EndpointTokenWithSecret, Error> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/endpoint-tokens/{id}/regenerate"),
            req,
        )
        .await
    }

    pub async fn reveal_endpoint_token(
        &self,
        id: EndpointTokenId,
    ) -> Result<RevealedEndpointToken, Error> {
        let path = format!("/api/v1/endpoint-tokens/{id}/reveal");
        self.json(self.admin(Method::POST, &path)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_endpoint_decodes_with_its_new_primaries_and_keeps_unknown_fields() {
        let body = r#"{
            "id": "01900000-0000-7000-8000-000000000001",
            "tenant_id": "01900000-0000-7000-8000-000000000002",
            "name": "In", "path": "orders/in", "description": "", "auth_type": "token",
            "allow_deleting": false, "enabled": true, "created_at": "2026-01-02T03:04:05Z",
            "created_by": null, "updated_at": "2026-01-02T03:04:05Z",
            "primary_tokens": [],
            "new_primary_tokens": [{
                "id": "01900000-0000-7000-8000-000000000003",
                "tenant_id": "01900000-0000-7000-8000-000000000002",
                "kind": "primary", "endpoint_id": "01900000-0000-7000-8000-000000000001",
                "method": "POST", "name": "POST primary token", "description": "",
                "hint": "kwp_Ab3d…x9Qz", "enabled": true, "recoverable": false,
                "created_at": "2026-01-02T03:04:05Z", "created_by": null,
                "updated_at": "2026-01-02T03:04:05Z",
                "token": "kwp_secret", "usage": {"header": "Authorization: Bearer kwp_secret"}
            }]
        }"#;
        let e: EndpointWithSecrets = serde_json::from_str(body).unwrap();
        assert_eq!(e.endpoint.auth_type, AuthType::Token);
        let p = &e.new_primary_tokens[0];
        assert_eq!(p.details.method, Some(EndpointMethod::Post));
        assert_eq!(p.token.expose(), "kwp_secret");
        assert!(e.endpoint.extra.contains_key("updated_at"));
        assert!(!format!("{e:?}").contains("kwp_secret"));
        let back = serde_json::to_value(&e).unwrap();
        assert_eq!(back["new_primary_tokens"][0]["token"], "kwp_secret");
        assert_eq!(back["path"], "orders/in");
    }
}
