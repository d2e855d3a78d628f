//! `/api/v1/settings`: the tenant's token policy.

use crate::auth::Admin;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use keyward_core::model::{SecretStorage, TenantSettings};
use serde::Deserialize;

#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = TenantSettings)))]
pub async fn get(
    State(st): State<AppState>,
    admin: Admin,
) -> ApiResult<axum::Json<TenantSettings>> {
    Ok(axum::Json(st.store.settings(admin.tenant_id).await?))
}

/// Any subset of the settings; the others keep their values.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub api_tokens_enabled: Option<bool>,
    pub require_technical_user: Option<bool>,
    pub secret_storage: Option<SecretStorage>,
    pub max_token_lifetime_days: Option<u32>,
    pub default_token_lifetime_days: Option<u32>,
    pub mobile_session_days: Option<u32>,
}

/// Change settings. Takes effect for the very next check.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])), request_body = SettingsPatch,
    responses((status = 200, body = TenantSettings), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn update(
    State(st): State<AppState>,
    admin: Admin,
    ApiJson(p): ApiJson<SettingsPatch>,
) -> ApiResult<axum::Json<TenantSettings>> {
    if p.api_tokens_enabled == Some(false) && admin.token_membership.is_some() {
        // An administrator calling with an API token would lock themselves out of the
        // very API that could switch tokens on again; a console session is not affected.
        return Err(ApiError::Conflict {
            code: "self_lockout",
            detail: "switching API tokens off would also refuse the API token you are calling \
                     with, and with it this API; switch it off from the console instead"
                .into(),
        });
    }
    let apply = |s: &mut TenantSettings| {
        if let Some(v) = p.api_tokens_enabled {
            s.api_tokens_enabled = v;
        }
        if let Some(v) = p.require_technical_user {
            s.require_technical_user = v;
        }
        if let Some(v) = p.secret_storage {
            s.secret_storage = v;
        }
        if let Some(v) = p.max_token_lifetime_days {
            s.max_token_lifetime_days = v;
        }
        if let Some(v) = p.default_token_lifetime_days {
            s.default_token_lifetime_days = v;
        }
        if let Some(v) = p.mobile_session_days {
            s.mobile_session_days = v;
        }
        s.validate()
    };
    let result = st
        .store
        .update_settings(admin.tenant_id, apply, &admin.actor())
        .await;
    Ok(axum::Json(result?))
}
