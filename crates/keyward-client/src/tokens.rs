//! What API tokens (`/api/v1/tokens`) have beyond the operations of a collection of
//! tokens: revoking one.

use crate::{Client, Error, Open};
use keyward_core::TokenId;
use keyward_proto::TokenDetails;
use reqwest::Method;

impl Client {
    /// Stops the token at once; it stays listed with its removal date.
    pub async fn revoke_token(&self, id: TokenId) -> Result<Open<TokenDetails>, Error> {
        self.json(self.admin(Method::POST, &format!("/api/v1/tokens/{id}/revoke"))?)
            .await
    }
}
