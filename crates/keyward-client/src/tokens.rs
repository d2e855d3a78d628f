//! What API tokens (`/api/v1/tokens`) have beyond the operations of a collection of
//! tokens: revoking one, and creating many at once.

use crate::{Client, Error, Open};
use keyward_core::TokenId;
use keyward_proto::tokens::TokenWithSecret;
use keyward_proto::tokens::{CreateToken, Items};
use keyward_proto::TokenDetails;
use reqwest::Method;

impl Client {
    /// Stops the token at once; it stays listed with its removal date.
    pub async fn revoke_token(&self, id: TokenId) -> Result<Open<TokenDetails>, Error> {
        self.json(self.admin(Method::POST, &format!("/api/v1/tokens/{id}/revoke"))?)
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
