//! What API tokens (`/api/v1/tokens`) have beyond the operations of a collection of
//! tokens: revoking one, and creating many at once.

use crate::{Client, Error, Open};
use keyward_core::TokenId;
use keyward_proto::tokens::TokenWithSecret;
use keyward_proto::tokens::{CreateToken, ImportTokens, Imported, Items};
use keyward_proto::TokenDetails;
use reqwest::Method;

impl Client {
    /// Stops the token at once; it stays listed with its removal date.
    pub async fn revoke_token(&self, id: TokenId) -> Result<Open<TokenDetails>, Error> {
        self.json(self.admin(Method::POST, &format!("/api/v1/tokens/{id}/revoke"))?)
            .await
    }

    /// Ends a regenerate's grace period now: the previous secret stops working, the
    /// current one keeps working. A 409 problem when no grace period is in effect.
    pub async fn end_grace(&self, id: TokenId) -> Result<Open<TokenDetails>, Error> {
        self.json(self.admin(Method::POST, &format!("/api/v1/tokens/{id}/end-grace"))?)
            .await
    }

    /// `POST /api/v1/tokens/import`: takes over keys of another system (up to 10,000, all
    /// or none). A refusal is a 422 `import_refused` problem whose `refused` lists every
    /// refused item; with `dry_run`, the answer lists them and nothing is stored.
    pub async fn import_tokens(&self, req: &ImportTokens) -> Result<Open<Imported>, Error> {
        self.with_body(Method::POST, "/api/v1/tokens/import", req)
            .await
    }

    /// `POST /api/v1/tokens/bulk`: creates 1 to 1000 tokens in one transaction, all or
    /// none; the answer holds each secret, in the order asked.
    pub async fn create_tokens(
        &self,
        items: &[CreateToken],
    ) -> Result<Open<Items<TokenWithSecret>>, Error> {
        let body = Items {
            items: items.to_vec(),
        };
        self.with_body(Method::POST, "/api/v1/tokens/bulk", &body)
            .await
    }
}
