//! `/api/v1/endpoints`: hosted endpoints, their primary tokens, the assignment of
//! secondary tokens to them, and the data viewer over the records they received.

use super::Call;
use super::{optional_body, Paged};
use crate::error::{endpoint_method, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
pub use crate::service::endpoints::RecordStats;
use crate::service::endpoints::{self as service, GeneratedPrimary};
use crate::state::AppState;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::Json;
use keyward_core::endpoint::{
    Assignment, AuthType, Endpoint, EndpointDetails, EndpointToken, MethodSet,
};
use keyward_core::{EndpointId, EndpointRecordId, EndpointTokenId, TokenSecret};
use keyward_proto::endpoints::{
    CreateEndpoint, EndpointQuery, EndpointTokenWithSecret, EndpointUsage, EndpointWithSecrets,
    RecordQuery, RevealedEndpointToken, SetAssignment, StatsQuery, UpdateEndpoint,
};
use keyward_proto::tokens::Regenerate;
use keyward_store::{EndpointRecord, NewEndpoint, RecordFilter};
use time::OffsetDateTime;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(tags(
    (name = "endpoints", description = "Hosted endpoints (`/e/{tenant}/{path}`): configuration, primary tokens, \
        assignments of secondary tokens, and the data viewer"),
    (name = "endpoint-tokens", description = "Secondary endpoint tokens (`kws_…`), one per external application"),
    (name = "hosted endpoints", description = "The endpoints themselves: POST stores a JSON record, GET lists \
        records, DELETE removes one. They take a primary token for the method or an assigned secondary token \
        (`Authorization: Bearer`), unless the endpoint's authentication type is `none`")
))]
struct EndpointsDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(EndpointsDoc::openapi())
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(primary_tokens))
        .routes(routes!(regenerate_primary))
        .routes(routes!(reveal_primary))
        .routes(routes!(assignments))
        .routes(routes!(assign, unassign))
        .routes(routes!(records))
        .routes(routes!(delete_record))
        .routes(routes!(record_stats))
}

/// `url`: where the token's endpoint is served ([`hosted_url`]), for a primary's curl line.
pub(crate) fn with_secret(
    details: EndpointToken,
    url: Option<&str>,
    secret: TokenSecret,
) -> EndpointTokenWithSecret {
    let t = secret.expose();
    let curl = url
        .zip(details.method)
        .map(|(u, m)| service::usage_command(u, m, t));
    EndpointTokenWithSecret {
        usage: EndpointUsage {
            header: format!("Authorization: Bearer {t}").into(),
            curl: curl.map(Into::into),
        },
        token: secret.into_string().into(),
        details,
    }
}

async fn with_secrets(
    st: &AppState,
    details: EndpointDetails,
    generated: Vec<GeneratedPrimary>,
) -> ApiResult<EndpointWithSecrets> {
    let e = &details.endpoint;
    let url = st.endpoints().hosted_url(e.tenant_id, &e.path).await?;
    Ok(EndpointWithSecrets {
        new_primary_tokens: generated
            .into_iter()
            .map(|g| with_secret(g.token, Some(&url), g.secret))
            .collect(),
        details,
    })
}

/// Create an endpoint. Under `token` authentication its primary tokens are generated,
/// and their secrets returned in `new_primary_tokens`.
#[utoipa::path(post, path = "/api/v1/endpoints", tag = "endpoints", security(("bearer" = [])), request_body = CreateEndpoint,
    responses((status = 201, body = EndpointWithSecrets), (status = 409, description = "the path is taken", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn create(
    c: Call,
    ApiJson(b): ApiJson<CreateEndpoint>,
) -> ApiResult<(StatusCode, Json<EndpointWithSecrets>)> {
    let new = NewEndpoint {
        name: b.name,
        path: b.path,
        description: b.description,
        auth_type: b.auth_type.unwrap_or(AuthType::None),
        allow_deleting: b.allow_deleting,
        enabled: b.enabled.unwrap_or(true),
    };
    let (details, generated) = c.st.endpoints().create(&c.admin, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(with_secrets(&c.st, details, generated).await?),
    ))
}

/// List endpoints, by name.
#[utoipa::path(get, path = "/api/v1/endpoints", tag = "endpoints", security(("bearer" = [])), params(EndpointQuery),
    responses((status = 200, body = Paged<Endpoint>)))]
pub async fn list(
    c: Call,
    ApiQuery(q): ApiQuery<EndpointQuery>,
) -> ApiResult<Json<Paged<Endpoint>>> {
    super::listed(q.page, q.per_page, async |page| {
        c.st.endpoints().list(&c.admin, q.q.as_deref(), page).await
    })
    .await
}

/// An endpoint with its primary tokens (hints only).
#[utoipa::path(get, path = "/api/v1/endpoints/{id}", tag = "endpoints", security(("bearer" = [])),
    params(("id" = EndpointId, Path)), responses((status = 200, body = EndpointDetails), (status = 404, body = crate::error::Problem)))]
pub async fn get(c: Call, ApiPath(id): ApiPath<EndpointId>) -> ApiResult<Json<EndpointDetails>> {
    Ok(Json(c.st.endpoints().get(&c.admin, id).await?))
}

/// Change an endpoint. Primary tokens the change creates are returned with their secrets.
#[utoipa::path(patch, path = "/api/v1/endpoints/{id}", tag = "endpoints", security(("bearer" = [])), request_body = UpdateEndpoint,
    params(("id" = EndpointId, Path)), responses((status = 200, body = EndpointWithSecrets), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiPath(id): ApiPath<EndpointId>,
    ApiJson(b): ApiJson<UpdateEndpoint>,
) -> ApiResult<Json<EndpointWithSecrets>> {
    let (details, generated) = c.st.endpoints().update(&c.admin, id, b).await?;
    Ok(Json(with_secrets(&c.st, details, generated).await?))
}

/// Delete an endpoint with its primary tokens, assignments and records. Audited.
#[utoipa::path(delete, path = "/api/v1/endpoints/{id}", tag = "endpoints", security(("bearer" = [])),
    params(("id" = EndpointId, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn delete(c: Call, ApiPath(id): ApiPath<EndpointId>) -> ApiResult<StatusCode> {
    c.st.endpoints().delete(&c.admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's primary tokens (hints only): POST and GET under token authentication,
/// and DELETE while deleting is allowed.
#[utoipa::path(get, path = "/api/v1/endpoints/{id}/primary-tokens", tag = "endpoints", security(("bearer" = [])),
    params(("id" = EndpointId, Path)), responses((status = 200, body = Vec<EndpointToken>), (status = 404, body = crate::error::Problem)))]
pub async fn primary_tokens(
    c: Call,
    ApiPath(id): ApiPath<EndpointId>,
) -> ApiResult<Json<Vec<EndpointToken>>> {
    Ok(Json(
        c.st.endpoints().get(&c.admin, id).await?.primary_tokens,
    ))
}

/// Give a primary token a new secret (the body is optional).
#[utoipa::path(post, path = "/api/v1/endpoints/{id}/primary-tokens/{method}/regenerate", tag = "endpoints",
    security(("bearer" = [])), request_body = Option<Regenerate>,
    params(("id" = EndpointId, Path), ("method" = String, Path, description = "POST, GET or DELETE")),
    responses((status = 200, body = EndpointTokenWithSecret), (status = 404, body = crate::error::Problem)))]
pub async fn regenerate_primary(
    c: Call,
    ApiPath((id, m)): ApiPath<(EndpointId, String)>,
    body: Bytes,
) -> ApiResult<Json<EndpointTokenWithSecret>> {
    let b: Regenerate = optional_body(&body)?;
    let (regenerated, secret, url) =
        c.st.endpoints()
            .regenerate_primary(&c.admin, id, endpoint_method(&m)?, b.grace_period_seconds)
            .await?;
    Ok(Json(with_secret(regenerated.token, Some(&url), secret)))
}

/// Show a primary token's secret again: only under the `recoverable` policy, and audited.
#[utoipa::path(post, path = "/api/v1/endpoints/{id}/primary-tokens/{method}/reveal", tag = "endpoints",
    security(("bearer" = [])),
    params(("id" = EndpointId, Path), ("method" = String, Path, description = "POST, GET or DELETE")),
    responses((status = 200, body = RevealedEndpointToken), (status = 409, body = crate::error::Problem)))]
pub async fn reveal_primary(
    c: Call,
    ApiPath((id, m)): ApiPath<(EndpointId, String)>,
) -> ApiResult<Json<RevealedEndpointToken>> {
    let (token, secret) =
        c.st.endpoints()
            .reveal_primary(&c.admin, id, endpoint_method(&m)?)
            .await?;
    Ok(Json(RevealedEndpointToken {
        id: token.id,
        tenant_id: c.admin.tenant_id,
        token: secret.into(),
        revealed_at: OffsetDateTime::now_utc(),
    }))
}

/// The secondary tokens assigned to an endpoint, by name. (`GET /api/v1/endpoint-tokens`
/// lists all of them, for showing unassigned ones too.)
#[utoipa::path(get, path = "/api/v1/endpoints/{id}/assignments", tag = "endpoints", security(("bearer" = [])),
    params(("id" = EndpointId, Path)), responses((status = 200, body = Vec<Assignment>), (status = 404, body = crate::error::Problem)))]
pub async fn assignments(
    c: Call,
    ApiPath(id): ApiPath<EndpointId>,
) -> ApiResult<Json<Vec<Assignment>>> {
    Ok(Json(c.st.endpoints().assignments(&c.admin, id).await?))
}

/// Assign a secondary token to an endpoint, or change its assignment: on or off, and the
/// methods it allows (the body is optional). 201 when newly assigned.
#[utoipa::path(put, path = "/api/v1/endpoints/{id}/assignments/{token_id}", tag = "endpoints",
    security(("bearer" = [])), request_body = Option<SetAssignment>,
    params(("id" = EndpointId, Path), ("token_id" = EndpointTokenId, Path)),
    responses((status = 200, body = Assignment), (status = 201, body = Assignment), (status = 404, body = crate::error::Problem)))]
pub async fn assign(
    c: Call,
    ApiPath((id, token_id)): ApiPath<(EndpointId, EndpointTokenId)>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Assignment>)> {
    let b: SetAssignment = optional_body(&body)?;
    let (a, created) =
        c.st.endpoints()
            .assign(
                &c.admin,
                id,
                token_id,
                b.enabled,
                b.methods.as_deref().map(MethodSet::of),
            )
            .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(a)))
}

/// Unassign a secondary token from an endpoint.
#[utoipa::path(delete, path = "/api/v1/endpoints/{id}/assignments/{token_id}", tag = "endpoints",
    security(("bearer" = [])), params(("id" = EndpointId, Path), ("token_id" = EndpointTokenId, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn unassign(
    c: Call,
    ApiPath((id, token_id)): ApiPath<(EndpointId, EndpointTokenId)>,
) -> ApiResult<StatusCode> {
    c.st.endpoints().unassign(&c.admin, id, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The data viewer: an endpoint's records, newest first, with the token (application)
/// that sent each one, when and from where.
#[utoipa::path(get, path = "/api/v1/endpoints/{id}/records", tag = "endpoints", security(("bearer" = [])),
    params(("id" = EndpointId, Path), RecordQuery),
    responses((status = 200, body = Paged<EndpointRecord>), (status = 404, body = crate::error::Problem)))]
pub async fn records(
    c: Call,
    ApiPath(id): ApiPath<EndpointId>,
    ApiQuery(q): ApiQuery<RecordQuery>,
) -> ApiResult<Json<Paged<EndpointRecord>>> {
    let f = RecordFilter {
        token_id: q.token_id,
        from: q.from.map(|t| t.0),
        to: q.to.map(|t| t.0),
    };
    super::listed(q.page, q.per_page, async |page| {
        c.st.endpoints().records(&c.admin, id, &f, page).await
    })
    .await
}

/// Delete one record, e.g. one an integration sent by mistake. Audited
/// (`endpoint_record.deleted`), unlike deletions through `/e/` by integrations.
#[utoipa::path(delete, path = "/api/v1/endpoints/{id}/records/{record_id}", tag = "endpoints", security(("bearer" = [])),
    params(("id" = EndpointId, Path), ("record_id" = EndpointRecordId, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn delete_record(
    c: Call,
    ApiPath((id, record_id)): ApiPath<(EndpointId, EndpointRecordId)>,
) -> ApiResult<StatusCode> {
    c.st.endpoints()
        .delete_record(&c.admin, id, record_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Counts of records per application (token) per time bucket: one query.
#[utoipa::path(get, path = "/api/v1/endpoints/{id}/records/stats", tag = "endpoints", security(("bearer" = [])),
    params(("id" = EndpointId, Path), StatsQuery),
    responses((status = 200, body = RecordStats), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn record_stats(
    c: Call,
    ApiPath(id): ApiPath<EndpointId>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<RecordStats>> {
    let bucket_seconds = match q.bucket.as_deref().unwrap_or("hour") {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        n => n.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::validation(format!(
                "bucket {n:?} is not minute, hour, day or a positive number of seconds"
            ))
        })?,
    };
    Ok(Json(
        c.st.endpoints()
            .record_stats(
                &c.admin,
                id,
                q.from.map(|t| t.0),
                q.to.map(|t| t.0),
                bucket_seconds,
            )
            .await?,
    ))
}
