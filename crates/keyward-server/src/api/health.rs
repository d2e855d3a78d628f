//! Liveness and readiness, for load balancers and orchestrators.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can answer checks: its storage answers (within 2 s). A node whose
/// change feed is behind but whose storage answers is ready: it answers from storage.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "ready", body = String),
    (status = 503, description = "storage unreachable", body = crate::error::Problem)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<&'static str> {
    match tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok(if state.verifier.trusted() {
            "ready"
        } else {
            "ready (change feed behind: answering from storage)"
        }),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::Unavailable)
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Err(ApiError::Unavailable)
        }
    }
}
