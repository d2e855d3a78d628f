//! `/api/v1/settings`: the tenant's token policy.

use keyward_core::model::SecretStorage;
use serde::{Deserialize, Serialize};

/// Any subset of the settings; the others keep their values.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
