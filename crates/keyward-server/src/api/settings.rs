//! `/api/v1/settings`: the tenant's token policy.

use super::Call;
use crate::error::{ApiJson, ApiResult};
use crate::service::settings::SettingsChange;
use axum::Json;
use keyward_core::model::TenantSettings;
use keyward_proto::settings::SettingsPatch;

#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = TenantSettings)))]
pub async fn get(c: Call) -> ApiResult<Json<TenantSettings>> {
    Ok(Json(c.st.settings().get(&c.admin).await?))
}

impl From<SettingsPatch> for SettingsChange {
    fn from(p: SettingsPatch) -> Self {
        Self {
            api_tokens_enabled: p.api_tokens_enabled,
            require_technical_user: p.require_technical_user,
            secret_storage: p.secret_storage,
            max_token_lifetime_days: p.max_token_lifetime_days,
            default_token_lifetime_days: p.default_token_lifetime_days,
            mobile_session_days: p.mobile_session_days,
        }
    }
}

/// Change settings. Takes effect for the very next check.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])), request_body = SettingsPatch,
    responses((status = 200, body = TenantSettings), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiJson(p): ApiJson<SettingsPatch>,
) -> ApiResult<Json<TenantSettings>> {
    Ok(Json(c.st.settings().update(&c.admin, p.into()).await?))
}
