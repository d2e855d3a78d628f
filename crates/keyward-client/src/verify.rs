//! `POST /api/v1/verify`: is this token good, and what may it do? Every check is made for
//! one tenant: the one the request names, or the tenant of the verifier key it is sent with.

use crate::{Client, Error, Open, Secret};
use keyward_proto::verify::{VerifyRequest, VerifyResponse};
use reqwest::Method;

impl Client {
    /// Verification answers 200 with a `code` for every token, good or bad; an `Err` means
    /// the question could not be asked (or storage could not confirm: 503).
    pub async fn verify(&self, req: &VerifyRequest) -> Result<Open<VerifyResponse>, Error> {
        self.json(self.anonymous(Method::POST, "/api/v1/verify").json(req))
            .await
    }

    /// The same, sent with a verifier key (`kwv_…`): the check is made for the key's tenant.
    pub async fn verify_with_key(
        &self,
        key: &Secret,
        req: &VerifyRequest,
    ) -> Result<Open<VerifyResponse>, Error> {
        self.json(
            self.anonymous(Method::POST, "/api/v1/verify")
                .bearer_auth(key.expose())
                .json(req),
        )
        .await
    }
}
