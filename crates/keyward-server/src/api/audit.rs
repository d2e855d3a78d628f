//! `/api/v1/audit-events`: who did what, newest first.

use super::{Paged, Timestamp};
use crate::auth::Admin;
use crate::error::{ApiQuery, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use keyward_core::UserId;
use keyward_store::{AuditEvent, AuditFilter};
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `token.revoked`.
    pub action: Option<String>,
    /// e.g. `token`, `user`.
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_id: Option<UserId>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<Timestamp>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<Timestamp>,
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page (default 50, at most 500).
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Paged<AuditEvent>)))]
pub async fn list(
    State(st): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<axum::Json<Paged<AuditEvent>>> {
    let page = super::page(q.page, q.per_page);
    let f = AuditFilter {
        action: q.action,
        object_type: q.object_type,
        object_id: q.object_id,
        actor_id: q.actor_id,
        from: q.from.map(|t| t.0),
        to: q.to.map(|t| t.0),
    };
    Ok(axum::Json(Paged::new(
        st.store
            .list_audit_events(admin.tenant_id, &f, page)
            .await?,
        page,
    )))
}
