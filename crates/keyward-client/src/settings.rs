//! `/api/v1/settings`: the tenant's token policy.

use crate::{Client, Error};
use keyward_core::model::{SecretStorage, TenantSettings};
use reqwest::Method;
use serde::Serialize;

/// Any subset of the settings; the others keep their values.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SettingsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_tokens_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_technical_user: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_storage: Option<SecretStorage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_token_lifetime_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_token_lifetime_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile_session_days: Option<u32>,
}

impl Client {
    pub async fn settings(&self) -> Result<TenantSettings, Error> {
        self.get("/api/v1/settings").await
    }

    pub async fn update_settings(&self, patch: &SettingsPatch) -> Result<TenantSettings, Error> {
        self.with_body(Method::PATCH, "/api/v1/settings", patch)
            .await
    }
}
