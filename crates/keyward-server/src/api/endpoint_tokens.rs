//! `/api/v1/endpoint-tokens`: secondary endpoint tokens (`kws_…`), one per external
//! application, assigned to endpoints under `/api/v1/endpoints/{id}/assignments`.

use super::endpoints::with_secret;
use super::{one_of, optional_body, Paged};
use crate::auth::Admin;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use keyward_core::endpoint::{EndpointToken, EndpointTokenDetails};
use keyward_core::EndpointTokenId;
use keyward_proto::endpoints::{CreateEndpointToken, EndpointTokenQuery, UpdateEndpointToken};
use keyward_proto::endpoints::{EndpointTokenWithSecret, RevealedEndpointToken};
use keyward_proto::tokens::Regenerate;
use keyward_store::{EndpointTokenFilter, EndpointTokenStatus};
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

/// The names of `status` in a list of secondary tokens.
const STATUSES: [(&str, EndpointTokenStatus); 3] = [
    ("active", EndpointTokenStatus::Active),
    ("inactive", EndpointTokenStatus::Inactive),
    ("all", EndpointTokenStatus::All),
];

/// List secondary tokens by name: the active (enabled) ones unless asked otherwise.
#[utoipa::path(get, path = "/api/v1/endpoint-tokens", tag = "endpoint-tokens", security(("bearer" = [])),
    params(EndpointTokenQuery), responses((status = 200, body = Paged<EndpointToken>), (status = 400, body = crate::error::Problem)))]
pub async fn list(
    State(st): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<EndpointTokenQuery>,
) -> ApiResult<axum::Json<Paged<EndpointToken>>> {
    let status = one_of("status", q.status.as_deref().unwrap_or("active"), &STATUSES)?;
    let page = super::page(q.page, q.per_page);
    let f = EndpointTokenFilter { status, q: q.q };
    Ok(axum::Json(super::paged(
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
        token: token.into(),
        revealed_at: OffsetDateTime::now_utc(),
    }))
}
