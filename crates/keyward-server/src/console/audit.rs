//! The audit log, newest first, filtered by action, object type and time.

use super::session::Me;
use super::Query;
use super::{Answer, ConsoleState, OrErrorPage, Pager};
use axum::extract::State;
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

async fn list(State(st): State<ConsoleState>, me: Me, Query(q): Query<AuditQuery>) -> Answer {
    let page = Page::new(q.page.unwrap_or(1), 50);
    let mut frame = me.page(&st.console, "audit");
    let (from, to) = match super::period(&q.from, &q.to) {
        Ok(period) => period,
        Err(e) => {
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
    let (events, total) = st
        .store
        .list_audit_events(me.admin.tenant_id, &f, page)
        .await
        .or_page(&st, &me)?;
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
    Ok(st.console.render("audit.html", &frame, ctx))
}
