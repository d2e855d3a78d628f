//! `/api/v1/verifier-keys`: the credentials protected services send with their checks
//! (`kwv_…`), binding each check to the key's tenant.

use crate::{Client, Error, Extra, Page, Secret};
use keyward_core::{TenantId, UserId, VerifierKeyId};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A verifier key as listed and shown: never its secret, only its hint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierKey {
    pub id: VerifierKeyId,
    pub tenant_id: TenantId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default)]
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(flatten)]
    pub extra: Extra,
}

/// How a service sends the new key; both strings contain it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierKeyUsage {
    pub header: Secret,
    pub curl: Secret,
}

/// The answer to create: the only time the key's secret is sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierKeyWithSecret {
    pub token: Secret,
    pub usage: VerifierKeyUsage,
    #[serde(flatten)]
    pub key: VerifierKey,
}

#[derive(Clone, Debug, Serialize)]
pub struct CreateVerifierKey {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UpdateVerifierKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifierKeyQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

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
