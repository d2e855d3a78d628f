//! The tenant's token policy.

use super::{Principal, ServiceError, ServiceResult};
use keyward_core::model::{SecretStorage, TenantSettings};
use keyward_store::Store;

/// Any subset of the settings; the others keep their values.
#[derive(Clone, Debug, Default)]
pub struct SettingsChange {
    pub api_tokens_enabled: Option<bool>,
    pub require_technical_user: Option<bool>,
    pub secret_storage: Option<SecretStorage>,
    pub max_token_lifetime_days: Option<u32>,
    pub default_token_lifetime_days: Option<u32>,
    pub mobile_session_days: Option<u32>,
}

pub struct Settings<'a> {
    store: &'a Store,
}

impl<'a> Settings<'a> {
    pub fn new(store: &'a Store) -> Self {
        Self { store }
    }

    pub async fn get(&self, by: &Principal) -> ServiceResult<TenantSettings> {
        Ok(self.store.settings(by.tenant_id).await?)
    }

    /// Changes the settings named; takes effect for the very next check.
    pub async fn update(&self, by: &Principal, c: SettingsChange) -> ServiceResult<TenantSettings> {
        if c.api_tokens_enabled == Some(false) && by.token_membership.is_some() {
            // An administrator calling with an API token would lock themselves out of the
            // very API that could switch tokens on again; a console session is not affected.
            return Err(ServiceError::SelfLockout(
                "switching API tokens off would also refuse the API token you are calling \
                 with, and with it this API; switch it off from the console instead",
            ));
        }
        let apply = |s: &mut TenantSettings| {
            if let Some(v) = c.api_tokens_enabled {
                s.api_tokens_enabled = v;
            }
            if let Some(v) = c.require_technical_user {
                s.require_technical_user = v;
            }
            if let Some(v) = c.secret_storage {
                s.secret_storage = v;
            }
            if let Some(v) = c.max_token_lifetime_days {
                s.max_token_lifetime_days = v;
            }
            if let Some(v) = c.default_token_lifetime_days {
                s.default_token_lifetime_days = v;
            }
            if let Some(v) = c.mobile_session_days {
                s.mobile_session_days = v;
            }
            s.validate()
        };
        Ok(self
            .store
            .update_settings(by.tenant_id, apply, &by.actor())
            .await?)
    }
}
