//! `/api/v1/verifier-keys`: the credentials protected services send when they ask
//! keyward about tokens (`kwv_…`, SPEC §4). A key binds every check it asks to its own
//! tenant, and may do nothing else: it is no administrator credential and no token that
//! a check accepts. Its secret is shown once, in the response that creates it, whatever
//! the tenant's secret storage policy: a service key is rotated by creating a new key,
//! deploying it, and deleting the old one.

use super::Call;
use super::Paged;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::service::verifier_keys::check_command;
use crate::state::AppState;
use axum::http::StatusCode;
use axum::Json;
use keyward_core::model::VerifierKey;
use keyward_core::VerifierKeyId;
use keyward_proto::verifier_keys::{
    CreateVerifierKey, UpdateVerifierKey, VerifierKeyQuery, VerifierKeyUsage, VerifierKeyWithSecret,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
}

/// Create a verifier key for this tenant.
#[utoipa::path(post, path = "/api/v1/verifier-keys", tag = "verifier-keys", security(("bearer" = [])),
    request_body = CreateVerifierKey,
    responses((status = 201, body = VerifierKeyWithSecret), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    c: Call,
    ApiJson(b): ApiJson<CreateVerifierKey>,
) -> ApiResult<(StatusCode, Json<VerifierKeyWithSecret>)> {
    let (key, secret) =
        c.st.verifier_keys()
            .create(&c.admin, b.name, b.description)
            .await?;
    let t = secret.expose();
    let usage = VerifierKeyUsage {
        header: format!("Authorization: Bearer {t}").into(),
        curl: check_command(&c.st.config.public_url, t).into(),
    };
    Ok((
        StatusCode::CREATED,
        Json(VerifierKeyWithSecret {
            key,
            token: secret.into_string().into(),
            usage,
        }),
    ))
}

/// This tenant's verifier keys, by name. Never their secrets.
#[utoipa::path(get, path = "/api/v1/verifier-keys", tag = "verifier-keys", security(("bearer" = [])),
    params(VerifierKeyQuery),
    responses((status = 200, body = Paged<VerifierKey>), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    c: Call,
    ApiQuery(q): ApiQuery<VerifierKeyQuery>,
) -> ApiResult<Json<Paged<VerifierKey>>> {
    super::listed(q.page, q.per_page, async |page| {
        c.st.verifier_keys().list(&c.admin, page).await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/verifier-keys/{id}", tag = "verifier-keys", security(("bearer" = [])),
    params(("id" = VerifierKeyId, Path)),
    responses((status = 200, body = VerifierKey), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub async fn get(c: Call, ApiPath(id): ApiPath<VerifierKeyId>) -> ApiResult<Json<VerifierKey>> {
    Ok(Json(c.st.verifier_keys().get(&c.admin, id).await?))
}

/// Rename or describe a key (its secret never changes).
#[utoipa::path(patch, path = "/api/v1/verifier-keys/{id}", tag = "verifier-keys", security(("bearer" = [])),
    params(("id" = VerifierKeyId, Path)), request_body = UpdateVerifierKey,
    responses((status = 200, body = VerifierKey), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiPath(id): ApiPath<VerifierKeyId>,
    ApiJson(b): ApiJson<UpdateVerifierKey>,
) -> ApiResult<Json<VerifierKey>> {
    Ok(Json(c.st.verifier_keys().update(&c.admin, id, b).await?))
}

/// Delete a key: the service holding it can no longer ask checks, at once.
#[utoipa::path(delete, path = "/api/v1/verifier-keys/{id}", tag = "verifier-keys", security(("bearer" = [])),
    params(("id" = VerifierKeyId, Path)),
    responses((status = 204), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub async fn delete(c: Call, ApiPath(id): ApiPath<VerifierKeyId>) -> ApiResult<StatusCode> {
    c.st.verifier_keys().delete(&c.admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
