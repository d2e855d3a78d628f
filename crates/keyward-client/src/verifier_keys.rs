//! `/api/v1/verifier-keys`: the credentials protected services send with their checks
//! (`kwv_…`), binding each check to the key's tenant.

use crate::{Client, Error, Page};
use keyward_core::VerifierKeyId;
use keyward_proto::verifier_keys::{
    CreateVerifierKey, UpdateVerifierKey, VerifierKeyQuery, VerifierKeyWithSecret,
};
use keyward_proto::VerifierKey;
use reqwest::Method;

impl Client {
    pub async fn create_verifier_key(
        &self,
        req: &CreateVerifierKey,
    ) -> Result<VerifierKeyWithSecret, Error> {
        self.with_body(Method::POST, "/api/v1/verifier-keys", req)
            .await
    }

    pub async fn list_verifier_keys(
        &self,
        q: &VerifierKeyQuery,
    ) -> Result<Page<VerifierKey>, Error> {
        self.get_query("/api/v1/verifier-keys", q).await
    }

    pub async fn verifier_key(&self, id: VerifierKeyId) -> Result<VerifierKey, Error> {
        self.get(&format!("/api/v1/verifier-keys/{id}")).await
    }

    pub async fn update_verifier_key(
        &self,
        id: VerifierKeyId,
        req: &UpdateVerifierKey,
    ) -> Result<VerifierKey, Error> {
        self.with_body(Method::PATCH, &format!("/api/v1/verifier-keys/{id}"), req)
            .await
    }

    /// Deletes a key: the service holding it can no longer ask checks.
    pub async fn delete_verifier_key(&self, id: VerifierKeyId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/verifier-keys/{id}")).await
    }
}
