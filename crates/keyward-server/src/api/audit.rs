//! `/api/v1/audit-events`: who did what, newest first.

use super::Paged;
use crate::auth::Admin;
use crate::error::{ApiQuery, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use keyward_proto::audit::AuditQuery;
use keyward_store::{AuditEvent, AuditFilter};

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
    Ok(axum::Json(super::paged(
        st.store
            .list_audit_events(admin.tenant_id, &f, page)
            .await?,
        page,
    )))
}
