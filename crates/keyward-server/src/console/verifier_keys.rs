//! Verifier keys (`kwv_…`): the credentials protected services send with their checks.
//! One page lists them with a form to add one; a new key is shown once, with the header
//! and a ready command; deleting one asks for confirmation.

use super::delete_button;
use super::session::{Me, Posted};
use super::Query;
use super::{Answer, ConsoleState, ListPage, ListQuery};
use crate::error::ApiError;
use crate::service::verifier_keys::check_command;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::Deserialize;

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route("/console/verifier-keys", get(list).post(create))
        .route(
            "/console/verifier-keys/{id}/delete",
            delete_button(
                "/console/verifier-keys?done=verifier-key-deleted",
                |st, by, id| async move { st.verifier_keys().delete(&by, id).await },
            ),
        )
}

#[derive(Deserialize, Default)]
struct KeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

const VERIFIER_KEYS: ListPage = ListPage {
    template: "verifier_keys.html",
    section: "verifier-keys",
    per_page: 50,
};

/// The keys with the "new key" form (empty, or as refused).
async fn render(
    st: &ConsoleState,
    me: &Me,
    q: &ListQuery,
    refused: Option<(&ApiError, &KeyForm)>,
) -> Answer {
    let keys = st.verifier_keys();
    let list = async |page| keys.list(&me.admin, page).await;
    let (name, description) = refused
        .map(|(_, f)| (f.name.clone(), f.description.clone()))
        .unwrap_or_default();
    let ctx = context! {
        name, description,
        verify_url => format!("{}/api/v1/verify", st.config.public_url.trim_end_matches('/')),
    };
    let error = refused.map(|(e, _)| e);
    VERIFIER_KEYS.render(st, me, q, error, list, ctx).await
}

async fn list(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    render(&st, &me, &q, None).await
}

/// Creates a key and shows it, once. The form carries a one-time value, so reloading the
/// page that shows the key cannot make a second one.
async fn create(State(st): State<ConsoleState>, p: Posted<KeyForm>) -> Answer {
    let Posted { me, form } = p;
    let name = match super::parse_name(&form.name) {
        Ok(n) => n,
        Err(e) => return render(&st, &me, &ListQuery::default(), Some((&e, &form))).await,
    };
    let created = st
        .verifier_keys()
        .create(&me.admin, name, form.description.clone())
        .await;
    match created {
        Ok((key, secret)) => {
            let frame = me.page(&st.console, "verifier-keys");
            let curl = check_command(&st.config.public_url, secret.expose());
            let ctx = context! { key, secret => secret.expose(), curl };
            Ok(st.console.render("verifier_key_secret.html", &frame, ctx))
        }
        Err(e) => render(&st, &me, &ListQuery::default(), Some((&e.into(), &form))).await,
    }
}
