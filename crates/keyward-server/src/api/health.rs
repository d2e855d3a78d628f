//! Liveness and readiness, for load balancers and orchestrators.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can reach its storage and so can answer checks.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "ready", body = String),
    (status = 503, description = "storage unreachable", body = crate::error::Problem)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<&'static str> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::Unavailable
    })?;
    Ok("ready")
}
