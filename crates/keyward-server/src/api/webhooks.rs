//! `/api/v1/webhooks`: a tenant's receivers of signed events (SPEC §10), and each one's
//! delivery log. A receiver's secret (`whsec_…`) is shown once, in the response that
//! creates it; every event is signed with it as Standard Webhooks describes.

use super::{Call, Paged};
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::http::StatusCode;
use axum::Json;
use keyward_core::webhook::{Webhook, WebhookDelivery};
use keyward_core::{WebhookDeliveryId, WebhookId};
use keyward_proto::webhooks::{
    CreateWebhook, DeliveryQuery, UpdateWebhook, WebhookQuery, WebhookWithSecret,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(deliveries))
        .routes(routes!(delivery))
        .routes(routes!(retry))
}

/// Register a receiver of this tenant's events.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = CreateWebhook,
    responses((status = 201, body = WebhookWithSecret), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn create(
    c: Call,
    ApiJson(b): ApiJson<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    let (webhook, secret) =
        c.st.webhooks()
            .create(&c.admin, b.name, b.url, &b.events)
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookWithSecret {
            webhook,
            secret: secret.into_string().into(),
        }),
    ))
}

/// This tenant's receivers, by name. Never their secrets.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(WebhookQuery),
    responses((status = 200, body = Paged<Webhook>), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(c: Call, ApiQuery(q): ApiQuery<WebhookQuery>) -> ApiResult<Json<Paged<Webhook>>> {
    super::listed(q.page, q.per_page, async |page| {
        c.st.webhooks().list(&c.admin, page).await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = WebhookId, Path)),
    responses((status = 200, body = Webhook), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub async fn get(c: Call, ApiPath(id): ApiPath<WebhookId>) -> ApiResult<Json<Webhook>> {
    Ok(Json(c.st.webhooks().get(&c.admin, id).await?))
}

/// Change a receiver's name, URL or events, or switch it off and on.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = WebhookId, Path)), request_body = UpdateWebhook,
    responses((status = 200, body = Webhook), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiPath(id): ApiPath<WebhookId>,
    ApiJson(b): ApiJson<UpdateWebhook>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(
        c.st.webhooks()
            .update(&c.admin, id, b.name, b.url, b.events.as_deref(), b.enabled)
            .await?,
    ))
}

/// Delete a receiver and its delivery log; what was queued for it is not sent.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = WebhookId, Path)),
    responses((status = 204), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub async fn delete(c: Call, ApiPath(id): ApiPath<WebhookId>) -> ApiResult<StatusCode> {
    c.st.webhooks().delete(&c.admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A receiver's delivery log, newest first: each event sent to it, its state, attempts
/// and the last answer.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = WebhookId, Path), DeliveryQuery),
    responses((status = 200, body = Paged<WebhookDelivery>), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub async fn deliveries(
    c: Call,
    ApiPath(id): ApiPath<WebhookId>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Paged<WebhookDelivery>>> {
    super::listed(q.page, q.per_page, async |page| {
        c.st.webhooks()
            .deliveries(&c.admin, id, q.state, page)
            .await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery}", tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = WebhookId, Path), ("delivery" = WebhookDeliveryId, Path)),
    responses((status = 200, body = WebhookDelivery), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub async fn delivery(
    c: Call,
    ApiPath((id, delivery)): ApiPath<(WebhookId, WebhookDeliveryId)>,
) -> ApiResult<Json<WebhookDelivery>> {
    Ok(Json(
        c.st.webhooks().delivery(&c.admin, id, delivery).await?,
    ))
}

/// Try a delivery again now: a failed one gets one more attempt, a delivered one is sent
/// again with the same `webhook-id`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/retry", tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = WebhookId, Path), ("delivery" = WebhookDeliveryId, Path)),
    responses((status = 202, body = WebhookDelivery), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub async fn retry(
    c: Call,
    ApiPath((id, delivery)): ApiPath<(WebhookId, WebhookDeliveryId)>,
) -> ApiResult<(StatusCode, Json<WebhookDelivery>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(c.st.webhooks().retry(&c.admin, id, delivery).await?),
    ))
}
