//! The REST API of SPEC §8 under `/api/v1`, one module per resource, plus the
//! verification routes of SPEC §4. The OpenAPI document is generated from the handlers'
//! annotations, so it cannot drift from the routes.

pub mod audit;
pub mod contract;
pub mod departments;
pub mod endpoint_tokens;
pub mod endpoints;
pub mod health;
pub mod hosted;
pub mod leaks;
pub mod mobile;
mod prepared;
pub mod settings;
pub mod tokens;
pub mod user_types;
pub mod users;
pub mod verifier_keys;
pub mod verify;
pub mod webhooks;

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::Json;
use keyward_proto::Paged;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyward",
        description = "Self-hosted API token management: issue, scope, inspect, rotate, revoke and verify tokens. \
                       Administrator routes take `Authorization: Bearer kwa_…` of an administrator. \
                       Errors are RFC 9457 problem documents with a machine-readable `code`."
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem)),
    tags(
        (name = "users", description = "Users, technical users and memberships"),
        (name = "departments"), (name = "user-types"),
        (name = "tokens", description = "API tokens: create, list, inspect, regenerate, revoke, delete, reveal"),
        (name = "mobile", description = "Mobile sessions: the app's login and logout, and Mobile Users Logged In"),
        (name = "settings"), (name = "audit"),
        (name = "verification", description = "Is this token good, and what may it do? Every check is made for one tenant"),
        (name = "verifier-keys", description = "Verifier keys (kwv_…): a protected service's credential for asking checks of its tenant's tokens"),
        (name = "webhooks", description = "Webhooks: signed events (Standard Webhooks) sent to a tenant's receivers, with retries and a delivery log"),
        (name = "health")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("kwa_…")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "leak_reporter",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The server's leak reporter key (KEYWARD_LEAK_REPORTER_KEY), for secret scanners",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "verifier_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("kwv_…")
                    .description(Some(
                        "A verifier key: binds a check to its tenant (also accepted as the password of HTTP Basic)",
                    ))
                    .build(),
            ),
        );
    }
}

pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::create, users::list))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::add_membership, users::list_memberships))
        .routes(routes!(users::remove_membership))
        .routes(routes!(departments::create, departments::list))
        .routes(routes!(
            departments::get,
            departments::update,
            departments::delete
        ))
        .routes(routes!(user_types::create, user_types::list))
        .routes(routes!(
            user_types::get,
            user_types::update,
            user_types::delete
        ))
        .routes(routes!(tokens::create, tokens::list))
        .routes(routes!(tokens::get, tokens::update, tokens::delete))
        .routes(routes!(tokens::revoke))
        .routes(routes!(tokens::regenerate))
        .routes(routes!(tokens::end_grace))
        .routes(routes!(tokens::reveal))
        .routes(routes!(tokens::bulk_create))
        .routes(routes!(tokens::bulk_delete))
        .routes(routes!(leaks::leaked))
        .routes(routes!(leaks::revoke_self))
        .routes(routes!(mobile::login))
        .routes(routes!(mobile::logout))
        .routes(routes!(mobile::list))
        .routes(routes!(mobile::get, mobile::delete))
        .routes(routes!(mobile::bulk_delete))
        .routes(routes!(settings::get, settings::update))
        .routes(routes!(audit::list))
        .routes(routes!(verify::verify))
        .routes(routes!(verify::introspect))
        .routes(routes!(verify::forward))
        .routes(routes!(verify::forward_tenant))
        .merge(tokens::import_router())
        .merge(verifier_keys::router())
        .merge(webhooks::router())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .merge(endpoints::router())
        .merge(endpoint_tokens::router())
        .merge(crate::api::hosted::router())
        .split_for_parts();
    (router, contract::complete(doc))
}

/// An administrator's request: the application's state and who is calling (an
/// administrator's API token or console session, see [`Admin`]), which every
/// administrator route starts from.
pub struct Call {
    pub st: AppState,
    pub admin: Admin,
}

impl FromRequestParts<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let admin = Admin::from_request_parts(parts, st).await?;
        Ok(Self {
            st: st.clone(),
            admin,
        })
    }
}

/// The page a list route's `page` and `per_page` parameters ask for.
pub fn page(page: Option<u32>, per_page: Option<u32>) -> keyward_store::Page {
    keyward_store::Page::new(page.unwrap_or(1), per_page.unwrap_or(50))
}

/// A list route's answer: the page its `page` and `per_page` parameters ask for, of
/// what `list` finds there.
pub async fn listed<T, E>(
    page: Option<u32>,
    per_page: Option<u32>,
    list: impl AsyncFnOnce(keyward_store::Page) -> Result<(Vec<T>, i64), E>,
) -> ApiResult<Json<Paged<T>>>
where
    ApiError: From<E>,
{
    let page = self::page(page, per_page);
    Ok(Json(paged(list(page).await?, page)))
}

/// One page of a list route's answer.
pub fn paged<T>((items, total): (Vec<T>, i64), page: keyward_store::Page) -> Paged<T> {
    Paged {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    }
}

/// A JSON body that may be left out (e.g. `regenerate` without a grace period).
pub(crate) fn optional_body<T: Default + DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::validation(e.to_string()))
    }
}

/// A query parameter that names one of `choices` (a list's `status`, a token's `kind`);
/// a 400 naming the choices when it is none of them.
pub(crate) fn one_of<T: Copy>(param: &str, given: &str, choices: &[(&str, T)]) -> ApiResult<T> {
    match choices.iter().find(|(name, _)| *name == given) {
        Some(&(_, value)) => Ok(value),
        None => {
            let names: Vec<&str> = choices.iter().map(|&(name, _)| name).collect();
            Err(ApiError::bad_request(format!(
                "{param} {given:?} is not one of {}",
                names.join(", ")
            )))
        }
    }
}
