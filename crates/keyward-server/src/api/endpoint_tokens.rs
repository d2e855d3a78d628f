//! `/api/v1/endpoint-tokens`: secondary endpoint tokens (`kws_…`), one per external
//! application, assigned to endpoints under `/api/v1/endpoints/{id}/assignments`.

use super::endpoints::with_secret;
use super::Call;
use super::{one_of, optional_body, Paged};
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::Json;
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
    c: Call,
    ApiJson(b): ApiJson<CreateEndpointToken>,
) -> ApiResult<(StatusCode, Json<EndpointTokenWithSecret>)> {
    let (details, secret) =
        c.st.endpoints()
            .create_token(&c.admin, b.name, b.description, b.enabled.unwrap_or(true))
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(with_secret(details.token, None, secret)),
    ))
}

/// The names of `status` in a list of secondary tokens.
const STATUSES: [(&str, EndpointTokenStatus); 4] = [
    ("active", EndpointTokenStatus::Active),
    ("inactive", EndpointTokenStatus::Inactive),
    ("stale", EndpointTokenStatus::Stale),
    ("all", EndpointTokenStatus::All),
];

/// List secondary tokens by name: the active ones (not deactivated) unless asked otherwise.
#[utoipa::path(get, path = "/api/v1/endpoint-tokens", tag = "endpoint-tokens", security(("bearer" = [])),
    params(EndpointTokenQuery), responses((status = 200, body = Paged<EndpointToken>), (status = 400, body = crate::error::Problem)))]
pub async fn list(
    c: Call,
    ApiQuery(q): ApiQuery<EndpointTokenQuery>,
) -> ApiResult<Json<Paged<EndpointToken>>> {
    let status = one_of("status", q.status.as_deref().unwrap_or("active"), &STATUSES)?;
    let f = EndpointTokenFilter { status, q: q.q };
    super::listed(q.page, q.per_page, async |page| {
        c.st.endpoints().list_tokens(&c.admin, &f, page).await
    })
    .await
}

/// A secondary token with the endpoints it is assigned to. Never its secret.
#[utoipa::path(get, path = "/api/v1/endpoint-tokens/{id}", tag = "endpoint-tokens", security(("bearer" = [])),
    params(("id" = EndpointTokenId, Path)),
    responses((status = 200, body = EndpointTokenDetails), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    c: Call,
    ApiPath(id): ApiPath<EndpointTokenId>,
) -> ApiResult<Json<EndpointTokenDetails>> {
    Ok(Json(c.st.endpoints().secondary(&c.admin, id).await?))
}

/// Rename, describe, activate or deactivate a secondary token.
#[utoipa::path(patch, path = "/api/v1/endpoint-tokens/{id}", tag = "endpoint-tokens", security(("bearer" = [])),
    request_body = UpdateEndpointToken, params(("id" = EndpointTokenId, Path)),
    responses((status = 200, body = EndpointTokenDetails), (status = 404, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiPath(id): ApiPath<EndpointTokenId>,
    ApiJson(b): ApiJson<UpdateEndpointToken>,
) -> ApiResult<Json<EndpointTokenDetails>> {
    Ok(Json(c.st.endpoints().update_token(&c.admin, id, b).await?))
}

/// Delete a secondary token and its assignments. Records it sent keep its id and name.
#[utoipa::path(delete, path = "/api/v1/endpoint-tokens/{id}", tag = "endpoint-tokens", security(("bearer" = [])),
    params(("id" = EndpointTokenId, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn delete(c: Call, ApiPath(id): ApiPath<EndpointTokenId>) -> ApiResult<StatusCode> {
    c.st.endpoints().delete_token(&c.admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a secondary token a new secret (the body is optional).
#[utoipa::path(post, path = "/api/v1/endpoint-tokens/{id}/regenerate", tag = "endpoint-tokens",
    security(("bearer" = [])), request_body = Option<Regenerate>, params(("id" = EndpointTokenId, Path)),
    responses((status = 200, body = EndpointTokenWithSecret), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn regenerate(
    c: Call,
    ApiPath(id): ApiPath<EndpointTokenId>,
    body: Bytes,
) -> ApiResult<Json<EndpointTokenWithSecret>> {
    let b: Regenerate = optional_body(&body)?;
    let (details, secret) =
        c.st.endpoints()
            .regenerate_token(&c.admin, id, b.grace_period_seconds)
            .await?;
    Ok(Json(with_secret(details.token, None, secret)))
}

/// Show a secondary token's secret again: only under the `recoverable` policy, and audited.
#[utoipa::path(post, path = "/api/v1/endpoint-tokens/{id}/reveal", tag = "endpoint-tokens",
    security(("bearer" = [])), params(("id" = EndpointTokenId, Path)),
    responses((status = 200, body = RevealedEndpointToken), (status = 409, body = crate::error::Problem)))]
pub async fn reveal(
    c: Call,
    ApiPath(id): ApiPath<EndpointTokenId>,
) -> ApiResult<Json<RevealedEndpointToken>> {
    let token = c.st.endpoints().reveal_token(&c.admin, id).await?;
    Ok(Json(RevealedEndpointToken {
        id,
        tenant_id: c.admin.tenant_id,
        token: token.into(),
        revealed_at: OffsetDateTime::now_utc(),
    }))
}
