//! `/api/v1/audit-events`: who did what, newest first.

use super::Call;
use super::Paged;
use crate::error::{ApiQuery, ApiResult};
use axum::Json;
use keyward_proto::audit::AuditQuery;
use keyward_store::{AuditEvent, AuditFilter};

#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Paged<AuditEvent>)))]
pub async fn list(
    c: Call,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Paged<AuditEvent>>> {
    let f = AuditFilter {
        action: q.action,
        object_type: q.object_type,
        object_id: q.object_id,
        actor_id: q.actor_id,
        from: q.from.map(|t| t.0),
        to: q.to.map(|t| t.0),
    };
    super::listed(q.page, q.per_page, async |page| {
        c.st.store
            .list_audit_events(c.admin.tenant_id, &f, page)
            .await
    })
    .await
}
