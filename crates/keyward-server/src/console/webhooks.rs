//! Webhooks: the receivers of the tenant's signed events. One page lists them with a form
//! to add one (its secret is shown once); each receiver's page is its delivery log, with
//! a state filter and "Try again" on each delivery, and its switch and Delete button.

use super::session::{Me, Posted};
use super::{
    delete_button, not_found, Answer, ConsoleState, ListPage, ListQuery, PageOf, PostedTo,
};
use super::{OrErrorPage, Query};
use crate::error::ApiError;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use keyward_core::webhook::{DeliveryState, WebhookEvent};
use keyward_core::{WebhookDeliveryId, WebhookId};
use minijinja::context;
use serde::Deserialize;

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route("/console/webhooks", get(list).post(create))
        .route("/console/webhooks/{id}", get(show))
        .route("/console/webhooks/{id}/enabled", post(set_enabled))
        .route(
            "/console/webhooks/{id}/delete",
            delete_button(
                "/console/webhooks?done=webhook-deleted",
                |st, by, id: WebhookId| async move { st.webhooks().delete(&by, id).await },
            ),
        )
        .route("/console/webhooks/{id}/retry", post(retry))
}

#[derive(Deserialize, Default)]
struct HookForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    /// `all`, or the events ticked in `events`.
    #[serde(default)]
    scope: String,
    #[serde(default)]
    events: Vec<String>,
}

impl HookForm {
    fn event_names(&self) -> Vec<String> {
        if self.scope == "all" {
            vec!["*".into()]
        } else {
            self.events.clone()
        }
    }
}

const WEBHOOKS: ListPage = ListPage {
    template: "webhooks.html",
    section: "settings",
    per_page: 50,
};

/// The events a receiver can choose, as the form lists them.
fn event_choices() -> Vec<&'static str> {
    WebhookEvent::ALL.iter().map(|e| e.as_str()).collect()
}

async fn render(
    st: &ConsoleState,
    me: &Me,
    q: &ListQuery,
    refused: Option<(&ApiError, &HookForm)>,
) -> Answer {
    let hooks = st.webhooks();
    let list = async |page| hooks.list(&me.admin, page).await;
    let form = refused.map(|(_, f)| f);
    let ctx = context! {
        name => form.map(|f| f.name.clone()).unwrap_or_default(),
        url => form.map(|f| f.url.clone()).unwrap_or_default(),
        all => form.is_none_or(|f| f.scope == "all"),
        ticked => form.map(|f| f.events.clone()).unwrap_or_default(),
        choices => event_choices(),
    };
    WEBHOOKS
        .render(st, me, q, refused.map(|(e, _)| e), list, ctx)
        .await
}

async fn list(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    render(&st, &me, &q, None).await
}

/// Registers a receiver and shows its secret, once (the form's one-time value keeps a
/// reload from making a second one).
async fn create(State(st): State<ConsoleState>, p: Posted<HookForm>) -> Answer {
    let Posted { me, form } = p;
    let name = match super::parse_name(&form.name) {
        Ok(n) => n,
        Err(e) => return render(&st, &me, &ListQuery::default(), Some((&e, &form))).await,
    };
    let created = st
        .webhooks()
        .create(
            &me.admin,
            name,
            form.url.trim().to_string(),
            &form.event_names(),
        )
        .await;
    match created {
        Ok((webhook, secret)) => {
            let frame = me.page(&st.console, "settings");
            let ctx = context! { webhook, secret => secret.expose() };
            Ok(st.console.render("webhook_secret.html", &frame, ctx))
        }
        Err(e) => render(&st, &me, &ListQuery::default(), Some((&e.into(), &form))).await,
    }
}

#[derive(Deserialize, Default)]
struct LogQuery {
    state: Option<String>,
    page: Option<u32>,
    done: Option<String>,
}

/// A receiver and its delivery log, newest first.
async fn show(
    State(st): State<ConsoleState>,
    PageOf(me, id, q): PageOf<WebhookId, LogQuery>,
) -> Answer {
    let hooks = st.webhooks();
    let webhook = hooks.get(&me.admin, id).await.or_page(&st, &me)?;
    let state = q.state.as_deref().and_then(DeliveryState::parse);
    let page = keyward_store::Page::new(q.page.unwrap_or(1), 50);
    let (items, total) = hooks
        .deliveries(&me.admin, id, state, page)
        .await
        .or_page(&st, &me)?;
    let frame = me
        .page(&st.console, "settings")
        .with_notice(&st.console, q.done.as_deref(), None);
    let ctx = context! {
        webhook, items, state => state.map(DeliveryState::as_str).unwrap_or(""),
        pager => super::Pager::new(page, total),
    };
    Ok(st.console.render("webhook.html", &frame, ctx))
}

#[derive(Deserialize)]
struct OnOff {
    enabled: String,
}

async fn set_enabled(State(st): State<ConsoleState>, p: PostedTo<WebhookId, OnOff>) -> Answer {
    let on = p.form.enabled == "true";
    let result = st
        .webhooks()
        .update(&p.me.admin, p.id, None, None, None, Some(on))
        .await;
    let done = if on {
        "webhook-enabled"
    } else {
        "webhook-disabled"
    };
    st.after(
        &p.me,
        result,
        &format!("/console/webhooks/{}?done={done}", p.id),
    )
}

#[derive(Deserialize)]
struct RetryForm {
    delivery: String,
}

async fn retry(State(st): State<ConsoleState>, p: PostedTo<WebhookId, RetryForm>) -> Answer {
    let Ok(delivery) = p.form.delivery.parse::<WebhookDeliveryId>() else {
        return Err(not_found(&st, &p.me, "webhook delivery"));
    };
    st.webhooks()
        .retry(&p.me.admin, p.id, delivery)
        .await
        .or_page(&st, &p.me)?;
    Ok(Redirect::to(&format!("/console/webhooks/{}?done=webhook-retried", p.id)).into_response())
}
