//! `/api/v1/settings`: the tenant's token policy.

use super::Call;
use crate::error::{ApiJson, ApiResult};
use axum::Json;
use keyward_core::model::TenantSettings;
use keyward_proto::settings::SettingsPatch;

#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = TenantSettings)))]
pub async fn get(c: Call) -> ApiResult<Json<TenantSettings>> {
    Ok(Json(c.st.settings().get(&c.admin).await?))
}

/// Change settings. Takes effect for the very next check.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])), request_body = SettingsPatch,
    responses((status = 200, body = TenantSettings), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiJson(p): ApiJson<SettingsPatch>,
) -> ApiResult<Json<TenantSettings>> {
    Ok(Json(c.st.settings().update(&c.admin, p).await?))
}
