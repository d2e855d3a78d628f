//! The hosted endpoints themselves, `/e/{tenant}/{path}` (SPEC §6): POST stores the JSON
//! body as a record, GET lists the records (newest first, paged), DELETE removes one where
//! the endpoint allows it. The URL names the tenant, so a path is one tenant's alone: no
//! tenant can learn, take or receive another's. A request first passes the endpoint's
//! gate and then the same verifier and decision as every other token check, for the
//! endpoint's tenant and with the endpoint and method in its context; no check is written
//! here.

use crate::api::Paged;
use crate::auth::{bearer, ClientIp};
use crate::error::{has_json_content_type, no_credential, problem, refusal, ApiError, ApiQuery};
use crate::state::AppState;
use crate::verifier::Presented;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use keyward_core::endpoint::{AuthType, Endpoint, EndpointMethod};
use keyward_core::verify::{endpoint_gate, EndpointSubject, EndpointTarget};
use keyward_core::{EndpointRecordId, VerifyCode, VerifyContext};
use keyward_proto::endpoints::{HostedQuery, HostedRecord, Received};
use std::net::IpAddr;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The largest record a hosted endpoint accepts; larger bodies get 413.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(paths(receive, list, remove))]
struct HostedDoc;

/// The `/e/…` routes. The path is a wildcard (paths have several segments), so the
/// routes are registered by hand and documented by `HostedDoc`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(HostedDoc::openapi()).route(
        "/e/{tenant}/{*path}",
        post(receive).get(list).delete(remove),
    )
}

/// What passed the checks: the endpoint, and the endpoint token if one was needed.
struct Admitted {
    endpoint: Arc<Endpoint>,
    token: Option<Arc<EndpointSubject>>,
}

/// The answer for every request that may not learn whether an endpoint exists: an
/// unknown tenant, an unknown path, and a token endpoint asked without a token of its
/// tenant all read the same, so no one can probe another tenant's paths.
fn no_endpoint() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not_found",
        "no endpoint is served here for this request: the tenant or the path is unknown, or the endpoint \
         takes a token of its tenant (Authorization: Bearer kwp_… or kws_…) and none was sent"
            .into(),
        false,
    )
}

/// The endpoint's own refusal, whoever asks (rule 6, or switched off).
fn gate_refusal(r: keyward_core::verify::EndpointRefusal) -> Response {
    if r.code == VerifyCode::Forbidden {
        // Rule 6: the endpoint does not serve DELETE, whoever asks.
        let mut res = problem(
            StatusCode::METHOD_NOT_ALLOWED,
            r.code.as_str(),
            r.reason.into(),
            false,
        );
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return res;
    }
    problem(
        StatusCode::FORBIDDEN,
        r.code.as_str(),
        r.reason.into(),
        false,
    )
}

async fn admit(
    st: &AppState,
    tenant: &str,
    path: &str,
    method: EndpointMethod,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<Admitted, Response> {
    let unavailable = |_| ApiError::Unavailable.into_response();
    let tenant = st
        .verifier
        .tenant(tenant)
        .await
        .map_err(unavailable)?
        .ok_or_else(no_endpoint)?;
    let endpoint = st
        .verifier
        .endpoint(tenant.id, path)
        .await
        .map_err(unavailable)?
        .ok_or_else(no_endpoint)?;
    let target = EndpointTarget {
        endpoint: &endpoint,
        method,
    };
    let open = endpoint.auth_type == AuthType::None;
    let presented = bearer(headers);
    let check = |raw: &str| {
        let ctx = VerifyContext {
            tenant: Some(endpoint.tenant_id),
            ip,
            endpoint: Some(target),
            ..Default::default()
        };
        let raw = raw.to_string();
        async move {
            st.verifier
                .verify(crate::metrics::Route::Hosted, &raw, &ctx)
                .await
        }
    };
    if !open {
        // A token endpoint shows itself (switched off, no DELETE, which token it wants)
        // only to a caller holding some token of its tenant.
        let Some(raw) = presented else {
            return Err(no_endpoint());
        };
        let v = check(raw).await.map_err(unavailable)?;
        if v.code == VerifyCode::NotFound {
            return Err(no_endpoint());
        }
        if let Err(r) = endpoint_gate(&target) {
            return Err(gate_refusal(r));
        }
        return match (v.code, v.presented) {
            (VerifyCode::Valid, Presented::EndpointToken(token)) => Ok(Admitted {
                endpoint: endpoint.clone(),
                token: Some(token),
            }),
            (code, _) => Err(token_refusal(code, method)),
        };
    }
    if let Err(r) = endpoint_gate(&target) {
        return Err(gate_refusal(r));
    }
    if presented.is_none() && headers.contains_key(header::AUTHORIZATION) {
        // A credential keyward cannot read (Basic, an empty Bearer) is refused, not taken
        // for none: it may be another tenant's token in another wrapping.
        return Err(no_credential(
            "invalid_authorization",
            "this endpoint takes a keyward token as Authorization: Bearer <token>, or no Authorization \
             header at all"
                .into(),
        ));
    }
    let Some(raw) = presented else {
        return Ok(Admitted {
            endpoint: endpoint.clone(),
            token: None,
        });
    };
    let v = check(raw).await.map_err(unavailable)?;
    match (v.code, v.presented) {
        (VerifyCode::Valid, Presented::EndpointToken(token)) => Ok(Admitted {
            endpoint: endpoint.clone(),
            token: Some(token),
        }),
        // An open endpoint takes anyone, but a token it is shown must be one of this
        // tenant's: another tenant's (or an unknown) token is refused even here.
        (VerifyCode::NotFound, _) => Err(token_refusal(VerifyCode::NotFound, method)),
        _ => Ok(Admitted {
            endpoint: endpoint.clone(),
            token: None,
        }),
    }
}

/// A token of the endpoint's tenant that does not open this request.
fn token_refusal(code: VerifyCode, method: EndpointMethod) -> Response {
    let detail = match code {
        VerifyCode::Forbidden => format!(
            "this token does not open {method} on this endpoint: a primary token opens one method of \
             its own endpoint, and a secondary token the methods its assignment to this endpoint \
             allows (POST unless an administrator allowed more)"
        ),
        VerifyCode::Disabled => "the token, or its assignment to this endpoint, is disabled; an \
                                 administrator can enable it again"
            .into(),
        _ => code.explain().into(),
    };
    refusal(code, detail, None)
}

/// Store the JSON body as a record, with the token (application) that sent it, when,
/// and from which address.
#[utoipa::path(post, path = "/e/{tenant}/{path}", tag = "hosted endpoints",
    params(("tenant" = String, Path, description = "the tenant's name (or id)"),
           ("path" = String, Path, description = "the endpoint's path, e.g. orders/incoming")),
    request_body(content = Object, content_type = "application/json", description = "any JSON document, at most 64 KiB"),
    security(("bearer" = [])),
    responses((status = 201, body = Received), (status = 400, description = "not JSON", body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem)))]
pub async fn receive(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((tenant, path)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let admitted = match admit(&st, &tenant, &path, EndpointMethod::Post, &headers, ip).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    if !has_json_content_type(&headers) {
        return ApiError::UnsupportedMediaType(
            "send the record as JSON, with Content-Type: application/json".into(),
        )
        .into_response();
    }
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "a record is at most {} KiB",
            MAX_RECORD_BYTES / 1024
        ))
        .into_response()
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_RECORD_BYTES) {
        return too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_RECORD_BYTES).await else {
        return too_large();
    };
    let malformed = |e: String| {
        ApiError::BadRequest {
            code: "invalid_json",
            detail: format!("the body is not JSON: {e}"),
        }
        .into_response()
    };
    let text = match String::from_utf8(bytes.to_vec()) {
        Ok(t) => t,
        Err(_) => return malformed("it is not UTF-8".into()),
    };
    // The same parser that reads records back, so whatever is stored can be listed.
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
        return malformed(e.to_string());
    }
    let record = keyward_store::NewRecord {
        endpoint: &admitted.endpoint,
        token: admitted.token.as_deref().map(|t| &t.token),
        method: EndpointMethod::Post,
        ip: ip.map(|i| i.to_string()),
        body: text,
    };
    match st.store.insert_record(&record).await {
        Ok((id, received_at)) => (
            StatusCode::CREATED,
            axum::Json(Received { id, received_at }),
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The endpoint's records, newest first.
#[utoipa::path(get, path = "/e/{tenant}/{path}", tag = "hosted endpoints",
    params(("tenant" = String, Path, description = "the tenant's name (or id)"),
           ("path" = String, Path, description = "the endpoint's path"), HostedQuery), security(("bearer" = [])),
    responses((status = 200, body = Paged<HostedRecord>), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((tenant, path)): Path<(String, String)>,
    headers: HeaderMap,
    query: Result<ApiQuery<HostedQuery>, ApiError>,
) -> Response {
    let admitted = match admit(&st, &tenant, &path, EndpointMethod::Get, &headers, ip).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let q = match query {
        Ok(ApiQuery(q)) => q,
        Err(e) => return e.into_response(),
    };
    let page = crate::api::page(q.page, q.per_page);
    let e = &admitted.endpoint;
    match st.store.list_raw_records(e.tenant_id, e.id, page).await {
        Ok((records, total)) => {
            let items = records
                .into_iter()
                .map(|r| HostedRecord {
                    id: r.id,
                    received_at: r.received_at,
                    unreadable: r.body.is_none(),
                    body: r.body,
                })
                .collect();
            axum::Json(super::paged((items, total), page)).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Delete one record: only where the endpoint allows deleting (otherwise 405).
#[utoipa::path(delete, path = "/e/{tenant}/{path}/{record_id}", tag = "hosted endpoints",
    params(("tenant" = String, Path, description = "the tenant's name (or id)"),
           ("path" = String, Path, description = "the endpoint's path"), ("record_id" = EndpointRecordId, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 405, description = "the endpoint does not allow deleting", body = crate::error::Problem)))]
pub async fn remove(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((tenant, rest)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    // The last segment names the record; the rest is the endpoint's path.
    let (path, record) = match rest.rsplit_once('/') {
        Some((p, r)) => (p, Some(r)),
        None => (rest.as_str(), None),
    };
    let admitted = match admit(&st, &tenant, path, EndpointMethod::Delete, &headers, ip).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let Some(id) = record.and_then(|r| r.parse::<EndpointRecordId>().ok()) else {
        return ApiError::NotFound("record").into_response();
    };
    match st.store.delete_record(admitted.endpoint.id, id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => ApiError::NotFound("record").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
