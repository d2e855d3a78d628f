//! What hosted endpoints (`/api/v1/endpoints`) have beyond the operations of a collection:
//! their primary tokens, their assignments of secondary tokens, and the data viewer.

use crate::{Client, Error, Open, Page};
use keyward_core::{EndpointId, EndpointTokenId};
use keyward_proto::endpoints::{
    EndpointTokenWithSecret, RecordQuery, RevealedEndpointToken, SetAssignment,
};
use keyward_proto::tokens::Regenerate;
use keyward_proto::{Assignment, EndpointMethod, EndpointRecord};
use reqwest::Method;

/// A page of an endpoint's records.
pub type Records = Page<Open<EndpointRecord>>;

impl Client {
    /// Gives a primary token a new secret; the answer holds it.
    pub async fn regenerate_primary(
        &self,
        id: EndpointId,
        method: EndpointMethod,
        req: &Regenerate,
    ) -> Result<Open<EndpointTokenWithSecret>, Error> {
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
    ) -> Result<Open<RevealedEndpointToken>, Error> {
        let path = format!("/api/v1/endpoints/{id}/primary-tokens/{method}/reveal");
        self.json(self.admin(Method::POST, &path)?).await
    }

    pub async fn list_assignments(&self, id: EndpointId) -> Result<Vec<Open<Assignment>>, Error> {
        self.get_at(&format!("/api/v1/endpoints/{id}/assignments"))
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
    ) -> Result<Open<Assignment>, Error> {
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
        self.delete_at(&format!("/api/v1/endpoints/{id}/assignments/{token}"))
            .await
    }

    /// The data viewer: an endpoint's records, newest first.
    pub async fn list_records(&self, id: EndpointId, q: &RecordQuery) -> Result<Records, Error> {
        self.query_at(&format!("/api/v1/endpoints/{id}/records"), q)
            .await
    }
}
