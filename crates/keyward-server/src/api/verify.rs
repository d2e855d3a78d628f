//! The verification routes of SPEC §4: the JSON verify API, RFC 7662 introspection and
//! forward auth for reverse proxies. All three call `Verifier::verify`, which ends in the
//! one decision of `keyward_core::verify`, so they cannot disagree.

use crate::auth::{bearer, ClientIp};
use crate::error::{problem, ApiError, ApiJson, ApiQuery, ApiResult};
use crate::state::AppState;
use crate::verifier::{Verified, MAX_TOKEN_INPUT};
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyward_core::verify::Subject;
use keyward_core::{
    DepartmentId, TenantId, TokenId, TokenKind, UserId, UserTypeId, VerifyCode, VerifyContext,
};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub token: String,
    /// A permission the caller needs, e.g. `orders:read`.
    pub permission: Option<String>,
    /// The department the caller acts in; another department answers `FORBIDDEN`.
    pub department_id: Option<DepartmentId>,
    /// The address the token was presented from, for IP allowlists (default: the caller's).
    #[schema(value_type = Option<String>)]
    pub ip: Option<IpAddr>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Named<I> {
    pub id: I,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserRef {
    pub id: UserId,
    pub username: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    pub code: VerifyCode,
    /// The code in words.
    pub message: String,
    pub token_id: Option<TokenId>,
    pub kind: Option<TokenKind>,
    /// For an endpoint token (`kwp_`, `kws_`): its id. Such a token opens only hosted
    /// endpoints (`/e/{path}`), so elsewhere it is `FORBIDDEN` at best.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_token_id: Option<keyward_core::EndpointTokenId>,
    pub tenant_id: Option<TenantId>,
    pub user: Option<UserRef>,
    #[schema(value_type = Option<Object>)]
    pub department: Option<Named<DepartmentId>>,
    #[schema(value_type = Option<Object>)]
    pub user_type: Option<Named<UserTypeId>>,
    /// What the token may do (only when valid).
    pub permissions: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// For `RATE_LIMITED`: seconds until the token may be used again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl VerifyResponse {
    fn from(v: &Verified) -> Self {
        let valid = v.is_valid();
        let s: Option<&Subject> = v.subject.as_deref();
        let e = v.endpoint_token.as_deref();
        let full = s.filter(|_| valid);
        Self {
            valid,
            code: v.code,
            message: v.code.explain().to_string(),
            token_id: s.map(|s| s.token.id),
            kind: s.map(|s| s.token.kind).or(e.map(|e| e.token.kind)),
            tenant_id: s
                .map(|s| s.token.tenant_id)
                .or(e.map(|e| e.token.tenant_id)),
            endpoint_token_id: e.map(|e| e.token.id),
            user: full.map(|s| UserRef {
                id: s.token.user_id,
                username: s.username.clone(),
            }),
            department: full.map(|s| Named {
                id: s.token.department_id,
                name: s.department_name.clone(),
            }),
            user_type: full.map(|s| Named {
                id: s.token.user_type_id,
                name: s.user_type_name.clone(),
            }),
            permissions: full
                .map(|s| s.permissions.iter().map(|p| p.to_string()).collect())
                .unwrap_or_default(),
            expires_at: full.and_then(|s| s.token.expires_at),
            retry_after: v.retry_after,
        }
    }
}

fn too_long() -> ApiError {
    ApiError::BadRequest {
        code: "token_too_long",
        detail: format!(
            "this is not a keyward token: those are {} characters long, and this route refuses \
             anything over {MAX_TOKEN_INPUT}",
            keyward_core::token::TOKEN_LEN
        ),
    }
}

/// Is this token good, and what may it do? Always 200 with a `code`, except 400 for a
/// request that is not a verification at all and 503 when storage cannot confirm.
#[utoipa::path(post, path = "/api/v1/verify", tag = "verification", request_body = VerifyRequest,
    responses((status = 200, body = VerifyResponse), (status = 400, body = crate::error::Problem),
              (status = 503, body = crate::error::Problem)))]
pub async fn verify(
    State(st): State<AppState>,
    ClientIp(peer): ClientIp,
    ApiJson(b): ApiJson<VerifyRequest>,
) -> ApiResult<axum::Json<VerifyResponse>> {
    if b.token.len() > MAX_TOKEN_INPUT {
        return Err(too_long());
    }
    let ctx = VerifyContext {
        permission: b.permission.as_deref(),
        department_id: b.department_id,
        ip: b.ip.or(peer),
        admin: false,
        endpoint: None,
    };
    let v = st
        .verifier
        .verify(&b.token, &ctx)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    Ok(axum::Json(VerifyResponse::from(&v)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct IntrospectRequest {
    pub token: String,
    pub token_type_hint: Option<String>,
}

/// RFC 7662 token introspection. Inactive tokens answer only `{"active": false}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IntrospectResponse {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Space-separated permissions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<TenantId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<TokenId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<DepartmentId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type_id: Option<UserTypeId>,
}

#[utoipa::path(post, path = "/oauth2/introspect", tag = "verification",
    request_body(content = IntrospectRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = IntrospectResponse), (status = 400, body = crate::error::Problem),
              (status = 503, body = crate::error::Problem)))]
pub async fn introspect(
    State(st): State<AppState>,
    ClientIp(peer): ClientIp,
    form: Result<axum::Form<IntrospectRequest>, FormRejection>,
) -> ApiResult<axum::Json<IntrospectResponse>> {
    let axum::Form(b) = form.map_err(|e| {
        ApiError::bad_request(format!(
            "send token=… as application/x-www-form-urlencoded: {}",
            e.body_text()
        ))
    })?;
    if b.token.len() > MAX_TOKEN_INPUT {
        return Err(too_long());
    }
    let v = st
        .verifier
        .verify(
            &b.token,
            &VerifyContext {
                ip: peer,
                ..Default::default()
            },
        )
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let inactive = IntrospectResponse {
        active: false,
        sub: None,
        username: None,
        scope: None,
        exp: None,
        iat: None,
        token_type: None,
        tenant_id: None,
        token_id: None,
        department_id: None,
        user_type_id: None,
    };
    let res = match (&v.subject, v.is_valid()) {
        (Some(s), true) => IntrospectResponse {
            active: true,
            sub: Some(s.token.user_id),
            username: Some(s.username.clone()),
            scope: Some(
                s.permissions
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            exp: s.token.expires_at.map(OffsetDateTime::unix_timestamp),
            iat: Some(s.token.created_at.unix_timestamp()),
            token_type: Some("Bearer".into()),
            tenant_id: Some(s.token.tenant_id),
            token_id: Some(s.token.id),
            department_id: Some(s.token.department_id),
            user_type_id: Some(s.token.user_type_id),
        },
        _ => inactive,
    };
    Ok(axum::Json(res))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForwardQuery {
    /// A permission the protected route needs.
    pub permission: Option<String>,
    pub department_id: Option<DepartmentId>,
}

/// Forward auth for nginx `auth_request`, Traefik ForwardAuth and Caddy `forward_auth`.
/// Reads `Authorization: Bearer`; answers 200 with `X-Keyward-*` headers, 401 with an
/// RFC 6750 challenge, 403 for `FORBIDDEN` and `IP_NOT_ALLOWED`, 503 when storage
/// cannot confirm. Every answer carries `X-Keyward-Code`.
#[utoipa::path(get, path = "/auth/forward", tag = "verification", params(ForwardQuery),
    responses((status = 200, description = "allowed; identity in X-Keyward-* headers"),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 503, body = crate::error::Problem)))]
pub async fn forward(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    query: Result<ApiQuery<ForwardQuery>, ApiError>,
) -> Response {
    let q = match query {
        Ok(ApiQuery(q)) => q,
        Err(e) => return e.into_response(),
    };
    let Some(token) = bearer(&headers) else {
        return forward_refusal(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "send Authorization: Bearer <token>".into(),
            None,
        );
    };
    let ctx = VerifyContext {
        permission: q.permission.as_deref(),
        department_id: q.department_id,
        ip,
        admin: false,
        endpoint: None,
    };
    let v = match st.verifier.verify(token, &ctx).await {
        Ok(v) => v,
        Err(_) => return ApiError::Unavailable.into_response(),
    };
    match (&v.subject, v.code) {
        (Some(s), VerifyCode::Valid) => {
            let mut h = HeaderMap::new();
            let mut put = |name: &'static str, value: String| {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    h.insert(HeaderName::from_static(name), v);
                }
            };
            put("x-keyward-code", "VALID".into());
            put("x-keyward-user", s.username.clone());
            put("x-keyward-user-id", s.token.user_id.to_string());
            put("x-keyward-tenant", s.token.tenant_id.to_string());
            put("x-keyward-department", s.token.department_id.to_string());
            put("x-keyward-user-type", s.token.user_type_id.to_string());
            put("x-keyward-token-id", s.token.id.to_string());
            put(
                "x-keyward-permissions",
                s.permissions
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            (StatusCode::OK, h).into_response()
        }
        (_, code) => {
            let status = match code {
                VerifyCode::Forbidden | VerifyCode::IpNotAllowed => StatusCode::FORBIDDEN,
                VerifyCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let mut res = forward_refusal(
                status,
                code.as_str(),
                code.explain().to_string(),
                Some(code),
            );
            if let Some(secs) = v.retry_after {
                res.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
            }
            res
        }
    }
}

pub(crate) fn forward_refusal(
    status: StatusCode,
    code: &str,
    detail: String,
    vcode: Option<VerifyCode>,
) -> Response {
    let mut res = problem(status, code, detail.clone(), false);
    let challenge = match status {
        StatusCode::TOO_MANY_REQUESTS => "Bearer realm=\"keyward\"".to_string(),
        StatusCode::FORBIDDEN => format!("Bearer realm=\"keyward\", error=\"insufficient_scope\", error_description=\"{detail}\""),
        _ if vcode.is_none() => "Bearer realm=\"keyward\"".to_string(),
        _ => format!("Bearer realm=\"keyward\", error=\"invalid_token\", error_description=\"{code}: {detail}\""),
    };
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut()
            .insert(axum::http::header::WWW_AUTHENTICATE, v);
    }
    if let Ok(v) = HeaderValue::from_str(code) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-keyward-code"), v);
    }
    res
}
