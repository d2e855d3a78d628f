//! `/api/v1/endpoint-tokens`: secondary endpoint tokens (`kws_…`), one per external
//! application, assigned to endpoints under `/api/v1/endpoints/{id}/assignments`.

use super::endpoints::{
    optional_body, with_secret, EndpointTokenWithSecret, RevealedEndpointToken,
};
use super::tokens::Regenerate;
use super::Paged;
use crate::auth::Admin;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use keyward_core::endpoint::{EndpointToken, EndpointTokenDetails};
use keyward_core::text::Name;
use keyward_core::EndpointTokenId;
use keyward_store::{EndpointTokenFilter, EndpointTokenStatus};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(regenerate))
        .routes(routes!(reveal))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointToken {
    /// Name it after the application that will use it: the data viewer shows this name.
    pub name: Name,
    #[serde(default)]
    pub description: String,
    /// Default on.
    pub enabled: Option<bool>,
}

/// Create a secondary token. Assign it to endpoints with
/// `PUT /api/v1/endpoints/{id}/assignments/{token_id}`.
#[utoipa::path(post, path = "/api/v1/endpoint-tokens", tag = "endpoint-tokens", security(("bearer" = [])),
    request_body = CreateEndpointToken,
    responses((status = 201, body = EndpointTokenWithSecret), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(st): State<AppState>,
    admin: Admin,
    ApiJson(b): ApiJson<CreateEndpointToken>,
) -> ApiResult<(StatusCode, axum::Json<EndpointTokenWithSecret>)> {
    let (details, secret) = st
        .endpoints()
        .create_token(&admin, b.name, b.description, b.enabled.unwrap_or(true))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(with_secret(details.token, None, secret)),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndpointTokenQuery {
    /// `active` (default: enabled tokens), `inactive` (disabled ones) or `all`.
    pub status: Option<String>,
    /// Matches the name.
    pub q: Option<String>,
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page (default 50, at most 500).
    pub per_page: Option<u32>,
}

/// List secondary tokens by name: the active (enabled) ones unless asked otherwise.
#[utoipa::path(get, path = "/api/v1/endpoint-tokens", tag = "endpoint-tokens", security(("bearer" = [])),
    params(EndpointTokenQuery), responses((status = 200, body = Paged<EndpointToken>), (status = 400, body = crate::error::Problem)))]
pub async fn list(
    State(st): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<EndpointTokenQuery>,
) -> ApiResult<axum::Json<Paged<EndpointToken>>> {
    let status = match q.status.as_deref().unwrap_or("active") {
        "active" => EndpointTokenStatus::Active,
        "inactive" => EndpointTokenStatus::Inactive,
        "all" => EndpointTokenStatus::All,
        other => {
            return Err(ApiError::bad_request(format!(
                "status {other:?} is not one of active, inactive, all"
            )))
        }
    };
    let page = super::page(q.page, q.per_page);
    let f = EndpointTokenFilter { status, q: q.q };
    Ok(axum::Json(Paged::new(
        st.endpoints().list_tokens(&admin, &f, page).await?,
        page,
    )))
}

/// A secondary token with the endpoints it is assigned to. Never its secret.
#[utoipa::path(get, path = "/api/v1/endpoint-tokens/{id}", tag = "endpoint-tokens", security(("bearer" = [])),
    params(("id" = EndpointTokenId, Path)),
    responses((status = 200, body = EndpointTokenDetails), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<EndpointTokenId>,
) -> ApiResult<axum::Json<EndpointTokenDetails>> {
    Ok(axum::Json(st.endpoints().secondary(&admin, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpointToken {
    pub name: Option<Name>,
    pub description: Option<String>,
    /// `false` deactivates the token: it stops working on every endpoint (`DISABLED`)
    /// and leaves the default listing, until activated again.
    pub enabled: Option<bool>,
}

/// Rename, describe, activate or deactivate a secondary token.
#[utoipa::path(patch, path = "/api/v1/endpoint-tokens/{id}", tag = "endpoint-tokens", security(("bearer" = [])),
    request_body = UpdateEndpointToken, params(("id" = EndpointTokenId, Path)),
    responses((status = 200, body = EndpointTokenDetails), (status = 404, body = crate::error::Problem)))]
pub async fn update(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<EndpointTokenId>,
    ApiJson(b): ApiJson<UpdateEndpointToken>,
) -> ApiResult<axum::Json<EndpointTokenDetails>> {
    Ok(axum::Json(
        st.endpoints()
            .update_token(&admin, id, b.name, b.description, b.enabled)
            .await?,
    ))
}

/// Delete a secondary token and its assignments. Records it sent keep its id and name.
#[utoipa::path(delete, path = "/api/v1/endpoint-tokens/{id}", tag = "endpoint-tokens", security(("bearer" = [])),
    params(("id" = EndpointTokenId, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn delete(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<EndpointTokenId>,
) -> ApiResult<StatusCode> {
    st.endpoints().delete_token(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a secondary token a new secret (the body is optional).
#[utoipa::path(post, path = "/api/v1/endpoint-tokens/{id}/regenerate", tag = "endpoint-tokens",
    security(("bearer" = [])), request_body = Option<Regenerate>, params(("id" = EndpointTokenId, Path)),
    responses((status = 200, body = EndpointTokenWithSecret), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn regenerate(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<EndpointTokenId>,
    body: Bytes,
) -> ApiResult<axum::Json<EndpointTokenWithSecret>> {
    let b: Regenerate = optional_body(&body)?;
    let (details, secret) = st
        .endpoints()
        .regenerate_token(&admin, id, b.grace_period_seconds)
        .await?;
    Ok(axum::Json(with_secret(details.token, None, secret)))
}

/// Show a secondary token's secret again: only under the `recoverable` policy, and audited.
#[utoipa::path(post, path = "/api/v1/endpoint-tokens/{id}/reveal", tag = "endpoint-tokens",
    security(("bearer" = [])), params(("id" = EndpointTokenId, Path)),
    responses((status = 200, body = RevealedEndpointToken), (status = 409, body = crate::error::Problem)))]
pub async fn reveal(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<EndpointTokenId>,
) -> ApiResult<axum::Json<RevealedEndpointToken>> {
    let token = st.endpoints().reveal_token(&admin, id).await?;
    Ok(axum::Json(RevealedEndpointToken {
        id,
        tenant_id: admin.tenant_id,
        token,
        revealed_at: OffsetDateTime::now_utc(),
    }))
}
