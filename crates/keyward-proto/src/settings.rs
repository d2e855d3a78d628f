//! `/api/v1/settings`: the tenant's token policy.

use keyward_core::model::SecretStorage;
use serde::{Deserialize, Serialize};

/// Any subset of the settings; the others keep their values.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub api_tokens_enabled: Option<bool>,
    pub require_technical_user: Option<bool>,
    pub secret_storage: Option<SecretStorage>,
    pub max_token_lifetime_days: Option<u32>,
    pub default_token_lifetime_days: Option<u32>,
    pub mobile_session_days: Option<u32>,
    pub expiry_notice_days: Option<u32>,
    /// The API the tenant's integrations call (`https://api.example.com/v1`), for the
    /// console's ready line; `null` removes it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>)]
    pub api_base_url: Option<Option<String>>,
    /// Days without a use after which a token is stale (marked, and announced once as
    /// `token.stale`); 0 is off.
    pub flag_unused_after_days: Option<u32>,
    /// Days without a use after which a token is revoked by the system (reason
    /// `unused`); 0 is off. Greater than `flag_unused_after_days` when both are on.
    pub revoke_unused_after_days: Option<u32>,
}
