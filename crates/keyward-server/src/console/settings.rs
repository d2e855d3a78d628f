//! Tenant settings: the API-token feature flag, the secret storage policy, lifetimes and
//! the technical-user rule, through the REST API's operation (which validates them).

use super::session::{Me, Posted};
use super::{Answer, ConsoleState, DoneQuery};
use crate::error::ApiError;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use keyward_core::model::SecretStorage;
use keyward_proto::settings::SettingsPatch;
use minijinja::context;
use serde::Deserialize;

pub fn router() -> Router<ConsoleState> {
    Router::new().route("/console/settings", get(show).post(save))
}

/// The form shows `values`: the stored settings, or after a refusal what was posted.
fn render(
    st: &ConsoleState,
    me: &Me,
    values: serde_json::Value,
    error: Option<&ApiError>,
    done: Option<&str>,
) -> Response {
    let frame = me.page_with_notice(&st.console, "settings", done);
    let ctx = context! { s => values };
    st.console.render_form("settings.html", frame, error, ctx)
}

async fn show(State(st): State<ConsoleState>, me: Me, Query(q): Query<DoneQuery>) -> Response {
    let values = serde_json::to_value(&me.settings).unwrap_or_default();
    render(&st, &me, values, None, q.done.as_deref())
}

#[derive(Deserialize)]
struct SettingsForm {
    api_tokens_enabled: Option<String>,
    require_technical_user: Option<String>,
    #[serde(default)]
    secret_storage: String,
    #[serde(default)]
    max_token_lifetime_days: String,
    #[serde(default)]
    default_token_lifetime_days: String,
    #[serde(default)]
    mobile_session_days: String,
}

fn days(s: &str) -> Result<u32, ApiError> {
    s.trim()
        .parse()
        .map_err(|_| super::invalid("invalid_days", "days"))
}

async fn save(State(st): State<ConsoleState>, p: Posted<SettingsForm>) -> Answer {
    let Posted { me, form } = p;
    let patch = (|| {
        Ok::<_, ApiError>(SettingsPatch {
            api_tokens_enabled: Some(form.api_tokens_enabled.is_some()),
            require_technical_user: Some(form.require_technical_user.is_some()),
            secret_storage: match form.secret_storage.as_str() {
                "recoverable" => Some(SecretStorage::Recoverable),
                "show_once" => Some(SecretStorage::ShowOnce),
                _ => None,
            },
            max_token_lifetime_days: Some(days(&form.max_token_lifetime_days)?),
            default_token_lifetime_days: Some(days(&form.default_token_lifetime_days)?),
            mobile_session_days: Some(days(&form.mobile_session_days)?),
        })
    })();
    let result = super::submit(patch, async |c| st.settings().update(&me.admin, c).await).await;
    match result {
        Ok(_) => Ok(Redirect::to("/console/settings?done=saved").into_response()),
        Err(e) => {
            let posted = serde_json::json!({
                "api_tokens_enabled": form.api_tokens_enabled.is_some(),
                "require_technical_user": form.require_technical_user.is_some(),
                "secret_storage": form.secret_storage,
                "max_token_lifetime_days": form.max_token_lifetime_days,
                "default_token_lifetime_days": form.default_token_lifetime_days,
                "mobile_session_days": form.mobile_session_days,
            });
            Ok(render(&st, &me, posted, Some(&e), None))
        }
    }
}
