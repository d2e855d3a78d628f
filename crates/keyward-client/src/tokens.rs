//! `/api/v1/tokens`: create, list, inspect, change, revoke, delete, regenerate, reveal.

use crate::{Client, Error, Page};
use keyward_core::TokenId;
use keyward_proto::tokens::{
    BulkDelete, BulkDeleted, CreateToken, Regenerate, Revealed, TokenQuery, TokenWithSecret,
    UpdateToken,
};
use keyward_proto::TokenDetails;
use reqwest::Method;

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
            &BulkDelete { ids: ids.to_vec() },
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
