//! `/api/v1/endpoints` and `/api/v1/endpoint-tokens`: hosted endpoints, their primary
//! tokens, secondary tokens and their assignments, and the data viewer.

use crate::{Client, Error, Page};
use keyward_core::{EndpointId, EndpointTokenId};
use keyward_proto::endpoints::{
    CreateEndpoint, CreateEndpointToken, EndpointQuery, EndpointTokenQuery,
    EndpointTokenWithSecret, EndpointWithSecrets, RecordQuery, RevealedEndpointToken,
    SetAssignment, UpdateEndpoint, UpdateEndpointToken,
};
use keyward_proto::tokens::Regenerate;
use keyward_proto::{
    Assignment, Endpoint, EndpointDetails, EndpointMethod, EndpointRecord, EndpointToken,
    EndpointTokenDetails,
};
use reqwest::Method;

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
    pub async fn get_endpoint(&self, id: EndpointId) -> Result<EndpointDetails, Error> {
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
            &SetAssignment {
                enabled,
                methods: methods.map(<[EndpointMethod]>::to_vec),
            },
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
    pub async fn get_endpoint_token(
        &self,
        id: EndpointTokenId,
    ) -> Result<EndpointTokenDetails, Error> {
        self.get(&format!("/api/v1/endpoint-tokens/{id}")).await
    }

    pub async fn update_endpoint_token(
        &self,
        id: EndpointTokenId,
        up: &UpdateEndpointToken,
    ) -> Result<EndpointTokenDetails, Error> {
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
