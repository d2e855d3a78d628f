//! Verifier keys (`kwv_…`, SPEC §4): the credentials protected services send when they
//! ask keyward about tokens. A key's secret is shown once, when it is created, whatever
//! the tenant's secret storage policy: a service key is rotated by creating a new key,
//! deploying it, and deleting the old one.

use super::{check_description as description, Principal, ServiceResult};
use keyward_core::change::UpdateVerifierKey;
use keyward_core::model::VerifierKey;
use keyward_core::text::Name;
use keyward_core::{ServerKey, TokenKind, TokenSecret, VerifierKeyId};
use keyward_store::{NewVerifierKey, Page, Store};

/// A ready command that asks a check with the verifier key `key` at `public_url`.
pub fn check_command(public_url: &str, key: &str) -> String {
    let base = public_url.trim_end_matches('/');
    format!(
        "curl -s -X POST {base}/api/v1/verify -H 'Authorization: Bearer {key}' \
         -H 'Content-Type: application/json' -d '{{\"token\":\"TOKEN_TO_CHECK\"}}'"
    )
}

pub struct VerifierKeys<'a> {
    store: &'a Store,
    key: &'a ServerKey,
}

impl<'a> VerifierKeys<'a> {
    pub fn new(store: &'a Store, key: &'a ServerKey) -> Self {
        Self { store, key }
    }

    /// Creates a key; its secret is returned here and nowhere else.
    pub async fn create(
        &self,
        by: &Principal,
        name: Name,
        desc: String,
    ) -> ServiceResult<(VerifierKey, TokenSecret)> {
        description(&desc)?;
        let secret = TokenSecret::generate(TokenKind::Verifier);
        let new = NewVerifierKey {
            id: VerifierKeyId::new(),
            name,
            description: desc,
            hash: self.key.hash_token(secret.expose()),
            hint: secret.hint(),
        };
        let key = self
            .store
            .insert_verifier_key(by.tenant_id, &new, &by.actor())
            .await?;
        Ok((key, secret))
    }

    /// This tenant's verifier keys, by name. Never their secrets.
    pub async fn list(&self, by: &Principal, page: Page) -> ServiceResult<(Vec<VerifierKey>, i64)> {
        Ok(self.store.list_verifier_keys(by.tenant_id, page).await?)
    }

    pub async fn get(&self, by: &Principal, id: VerifierKeyId) -> ServiceResult<VerifierKey> {
        Ok(self.store.verifier_key(by.tenant_id, id).await?)
    }

    /// Renames or describes a key (its secret never changes).
    pub async fn update(
        &self,
        by: &Principal,
        id: VerifierKeyId,
        up: UpdateVerifierKey,
    ) -> ServiceResult<VerifierKey> {
        if let Some(d) = &up.description {
            description(d)?;
        }
        Ok(self
            .store
            .update_verifier_key(by.tenant_id, id, &up, &by.actor())
            .await?)
    }

    /// Deletes a key: the service holding it can no longer ask checks, at once.
    pub async fn delete(&self, by: &Principal, id: VerifierKeyId) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_verifier_key(by.tenant_id, id, &by.actor())
            .await?)
    }
}
