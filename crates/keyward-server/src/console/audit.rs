//! The audit log, newest first, filtered by action, object type and time.

use super::session::Me;
use super::ConsoleState;
use super::{date_end, date_start, Pager};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyward_store::{AuditFilter, Page};
use minijinja::context;
use serde::Deserialize;

pub fn router() -> Router<ConsoleState> {
    Router::new().route("/console/audit", get(list))
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<u32>,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

async fn list(State(st): State<ConsoleState>, me: Me, Query(q): Query<AuditQuery>) -> Response {
    let page = Page::new(q.page.unwrap_or(1), 50);
    let mut frame = me.page(&st.console, "audit");
    let (from, to) = match (date_start(&q.from), date_end(&q.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            frame = frame.with_error(&st.console, &e);
            (None, None)
        }
    };
    let f = AuditFilter {
        action: non_empty(&q.action),
        object_type: non_empty(&q.object_type),
        from,
        to,
        ..Default::default()
    };
    let (events, total) = match st
        .store
        .list_audit_events(me.admin.tenant_id, &f, page)
        .await
    {
        Ok(found) => found,
        Err(e) => return st.console.error_page(me.lang, &e.into()),
    };
    let query = format!(
        "?action={}&object_type={}&from={}&to={}&",
        super::url_encode(&q.action),
        super::url_encode(&q.object_type),
        super::url_encode(&q.from),
        super::url_encode(&q.to)
    );
    let ctx = context! {
        events, pager => Pager::new(page, total), query,
        action => q.action, object_type => q.object_type, from => q.from, to => q.to,
        object_types => ["token", "user", "department", "user_type", "endpoint", "endpoint_token", "settings", "tenant"],
    };
    st.console.render("audit.html", &frame, ctx)
}
