//! The verification routes of SPEC §4: the JSON verify API, RFC 7662 introspection and
//! forward auth for reverse proxies. All three call `Verifier::verify`, which ends in the
//! one decision of `keyward_core::verify`, so they cannot disagree.
//!
//! Every check is made for one tenant, and a token of any other tenant is `NOT_FOUND` for
//! it. [`check_scope`] is the one place that decides whose check a request is: the tenant
//! of the caller's verifier key (`kwv_…`, sent as its own credential), the tenant named in
//! the route or the request, or, on a server in single-tenant mode, its one tenant. A
//! request that names no tenant otherwise is refused, never answered for every tenant.

use super::prepared;
use crate::auth::{bearer, ClientIp};
use crate::error::{
    no_credential, problem, refusal, ApiError, ApiForm, ApiJson, ApiPath, ApiQuery, ApiResult,
};
use crate::metrics::Route;
use crate::state::AppState;
use crate::verifier::{Verified, MAX_TOKEN_INPUT};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use keyward_core::forward::Refusal;
use keyward_core::model::{Tenant, VerifierKey};
use keyward_core::verify::{EndpointSubject, Moment, Owner, TokenState};
use keyward_core::{TenantId, VerifyCode, VerifyContext};
use keyward_proto::verify::{
    ForwardQuery, IntrospectRequest, IntrospectResponse, Named, UserRef, VerifyRequest,
    VerifyResponse,
};
use std::net::IpAddr;
use std::sync::Arc;

/// The answer to `POST /api/v1/verify`: a refusal names nothing.
fn verify_response(v: &Verified) -> VerifyResponse {
    let subject = v.presented.subject();
    verify_body(
        v.code,
        v.retry_after,
        subject.map(|s| &s.token),
        subject.map(|s| &*s.owner),
        v.presented.endpoint_token().map(|e| &**e),
    )
}

/// The body of a verify answer of `code` for an API token or a mobile session (its own
/// state and its owner) or for an endpoint token: only a VALID answer names them.
pub(super) fn verify_body(
    code: VerifyCode,
    retry_after: Option<u64>,
    token: Option<&TokenState>,
    owner: Option<&Owner>,
    endpoint: Option<&EndpointSubject>,
) -> VerifyResponse {
    let valid = code == VerifyCode::Valid;
    let (token, owner) = (token.filter(|_| valid), owner.filter(|_| valid));
    // An endpoint token is never VALID here (it opens endpoints only); its refusal,
    // like every refusal, names nothing.
    let endpoint = endpoint.filter(|_| valid);
    VerifyResponse {
        valid,
        code,
        message: code.explain().to_string(),
        token_id: token.map(|t| t.id),
        kind: token.map(|t| t.kind).or(endpoint.map(|e| e.token.kind)),
        tenant_id: owner
            .map(|o| o.tenant_id)
            .or(endpoint.map(|e| e.token.tenant_id)),
        endpoint_token_id: endpoint.map(|e| e.token.id),
        user: owner.map(|o| UserRef {
            id: o.user_id,
            username: o.username.clone(),
        }),
        department: owner.map(|o| Named {
            id: o.department_id,
            name: o.department_name.clone(),
        }),
        user_type: owner.map(|o| Named {
            id: o.user_type_id,
            name: o.user_type_name.clone(),
        }),
        permissions: owner
            .map(|o| o.permissions.iter().map(|p| p.to_string()).collect())
            .unwrap_or_default(),
        expires_at: token.and_then(|t| t.expires()),
        retry_after,
    }
}

/// Refuses any query parameter on a route that takes its question in the body: a
/// parameter sent anyway (`/api/v1/verify?permission=…`) would otherwise be ignored, and
/// the check would ask less than the caller meant. The query is not echoed: it may hold
/// a token.
pub struct NoQuery;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for NoQuery {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        match parts.uri.query() {
            Some(q) if !q.is_empty() => Err(ApiError::bad_request(
                "this route takes no query parameters: send the token and what to check in the body",
            )),
            _ => Ok(NoQuery),
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

/// Whose check a request is, once [`check_scope`] has decided.
pub(crate) enum Scope {
    /// The check is made for this tenant.
    Tenant(Arc<Tenant>),
    /// The request names a tenant that does not exist: every token is `NOT_FOUND` for it,
    /// as for a tenant that has none, so a check says nothing about which tenants exist.
    Unknown,
}

impl Scope {
    fn id(&self) -> Option<TenantId> {
        match self {
            Self::Tenant(t) => Some(t.id),
            Self::Unknown => None,
        }
    }
}

/// Decides whose check this is: the tenant of the caller's verifier key (a tenant named
/// as well must be the same one), else the tenant the request names, else, on a server
/// in single-tenant mode, its one tenant. Otherwise the request is refused with
/// `tenant_required`, and `how` tells the caller how to name one.
pub(crate) async fn check_scope(
    st: &AppState,
    key: Option<&VerifierKey>,
    named: Option<&str>,
    how: &str,
) -> ApiResult<Scope> {
    let found = |t: Option<Arc<Tenant>>| t.map_or(Scope::Unknown, Scope::Tenant);
    match (key, named) {
        (Some(k), named) => {
            let own = st
                .verifier
                .tenant(&k.tenant_id.to_string())
                .await
                .map_err(|_| ApiError::Unavailable)?;
            if let (Some(own), Some(n)) = (&own, named) {
                let same = st
                    .verifier
                    .tenant(n)
                    .await
                    .map_err(|_| ApiError::Unavailable)?
                    .is_some_and(|t| t.id == own.id);
                if !same {
                    return Err(ApiError::Unprocessable {
                        code: "tenant_mismatch",
                        detail: "this verifier key belongs to another tenant than the one named in `tenant`; \
                                 leave `tenant` out, the key already says whose check it is"
                            .into(),
                    });
                }
            }
            Ok(found(own))
        }
        (None, Some(n)) => Ok(found(
            st.verifier
                .tenant(n)
                .await
                .map_err(|_| ApiError::Unavailable)?,
        )),
        (None, None) if st.verifier.single_tenant() => Ok(found(
            st.verifier
                .sole_tenant()
                .await
                .map_err(|_| ApiError::Unavailable)?,
        )),
        (None, None) => Err(ApiError::BadRequest {
            code: "tenant_required",
            detail: format!(
                "a check is made for one tenant, and this request names none: {how}. (A server started \
                 with --single-tenant takes checks that name no tenant.)"
            ),
        }),
    }
}

/// The credential a protected service sends with its checks: `Authorization: Bearer
/// kwv_…`, or HTTP Basic with the key as the password (RFC 6749 §2.3.1, what most
/// introspection clients send). `Ok(None)` when no `Authorization` header is sent.
async fn presented_key(st: &AppState, headers: &HeaderMap) -> ApiResult<Option<Arc<VerifierKey>>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let raw = value.to_str().ok().and_then(client_secret);
    let key = match raw {
        Some(raw) => st
            .verifier
            .verifier_key(&raw)
            .await
            .map_err(|_| ApiError::Unavailable)?,
        None => None,
    };
    // A credential that is not a live verifier key is refused, never ignored: a service
    // that meant to bind its checks to its tenant must not silently lose the binding.
    key.map(Some).ok_or(ApiError::Unauthorized {
        code: "invalid_verifier_key",
        detail: "the Authorization header of this route takes a verifier key (Bearer kwv_…, or HTTP Basic with \
                 the key as the password), and this one is unknown, deleted or malformed. The token to check \
                 goes in the request body."
            .into(),
    })
}

/// The secret of an `Authorization` value: a bearer token, or a Basic password.
fn client_secret(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_client_id, secret) = text.split_once(':')?;
        return Some(secret.to_string());
    }
    None
}

async fn check(
    st: &AppState,
    route: Route,
    scope: &Scope,
    token: &str,
    ctx: VerifyContext<'_>,
) -> ApiResult<Verified> {
    let Some(tenant) = scope.id() else {
        return Ok(Verified::not_found());
    };
    let ctx = VerifyContext {
        tenant: Some(tenant),
        ..ctx
    };
    st.verifier
        .verify(route, token, &ctx)
        .await
        .map_err(|_| ApiError::Unavailable)
}

/// Is this token good, and what may it do? The check is for the tenant of the verifier
/// key sent as `Authorization` (Bearer `kwv_…`), or for the `tenant` the body names.
/// Always 200 with a `code`, except 400 for a request that is not a verification at all
/// (or names no tenant), 401 for a bad verifier key and 503 when storage cannot confirm.
#[utoipa::path(post, path = "/api/v1/verify", tag = "verification", request_body = VerifyRequest,
    security((), ("verifier_key" = [])),
    responses((status = 200, body = VerifyResponse), (status = 400, body = crate::error::Problem),
              (status = 401, description = "the Authorization header holds no live verifier key", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
pub async fn verify(
    State(st): State<AppState>,
    ClientIp(peer): ClientIp,
    _: NoQuery,
    headers: HeaderMap,
    ApiJson(b): ApiJson<VerifyRequest>,
) -> ApiResult<Response> {
    if b.token.expose().len() > MAX_TOKEN_INPUT {
        return Err(too_long());
    }
    let key = presented_key(&st, &headers).await?;
    let scope = check_scope(
        &st,
        key.as_deref(),
        b.tenant.as_deref(),
        "send your verifier key as Authorization: Bearer kwv_…, or name the tenant in `tenant`",
    )
    .await?;
    let ctx = VerifyContext {
        permission: b.permission.as_deref(),
        department_id: b.department_id,
        ip: b.ip.or(peer),
        ..Default::default()
    };
    let v = check(&st, Route::ApiVerify, &scope, b.token.expose(), ctx).await?;
    if let (Some(s), VerifyCode::Valid, Scope::Tenant(tenant)) =
        (v.presented.subject(), v.code, &scope)
    {
        return Ok(prepared::json_answer(prepared::verify_json(s, tenant)));
    }
    let body = serde_json::to_vec(&verify_response(&v)).expect("a verify answer serialises");
    Ok(prepared::json_answer(body))
}

/// The refusal of an introspection request whose caller did not authenticate (RFC 7662
/// §2.1 and §2.3, with RFC 6749's `invalid_client`).
fn invalid_client(detail: &str) -> Response {
    let mut res = problem(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        detail.to_string(),
        false,
    );
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"keyward\", Bearer realm=\"keyward\""),
    );
    res
}

/// RFC 7662 introspection, for the tenant of the caller's verifier key, sent as
/// `Authorization: Bearer kwv_…` or as HTTP Basic with the key as the password.
#[utoipa::path(post, path = "/oauth2/introspect", tag = "verification",
    request_body(content = IntrospectRequest, content_type = "application/x-www-form-urlencoded"),
    security(("verifier_key" = [])),
    responses((status = 200, body = IntrospectResponse), (status = 400, body = crate::error::Problem),
              (status = 401, description = "no live verifier key", body = crate::error::Problem),
              (status = 503, body = crate::error::Problem)))]
pub async fn introspect(
    State(st): State<AppState>,
    ClientIp(peer): ClientIp,
    query: Result<NoQuery, ApiError>,
    headers: HeaderMap,
    form: Result<ApiForm<IntrospectRequest>, ApiError>,
) -> Response {
    if let Err(e) = query {
        return e.into_response();
    }
    let key = match presented_key(&st, &headers).await {
        Ok(Some(k)) => k,
        Ok(None) => {
            return invalid_client(
                "introspection needs the caller's verifier key (RFC 7662 §2.1): send Authorization: Bearer kwv_…, \
                 or HTTP Basic with the key as the password",
            )
        }
        Err(ApiError::Unauthorized { detail, .. }) => return invalid_client(&detail),
        Err(e) => return e.into_response(),
    };
    match introspect_for(&st, &key, peer, form).await {
        Ok(res) => axum::Json(res).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn introspect_for(
    st: &AppState,
    key: &VerifierKey,
    peer: Option<IpAddr>,
    form: Result<ApiForm<IntrospectRequest>, ApiError>,
) -> ApiResult<IntrospectResponse> {
    let ApiForm(b) = form?;
    if b.token.expose().len() > MAX_TOKEN_INPUT {
        return Err(too_long());
    }
    let scope = check_scope(st, Some(key), None, "").await?;
    let ctx = VerifyContext {
        ip: peer,
        ..Default::default()
    };
    let v = check(st, Route::Introspect, &scope, b.token.expose(), ctx).await?;
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
    Ok(match (v.presented.subject(), v.is_valid()) {
        (Some(s), true) => IntrospectResponse {
            active: true,
            sub: Some(s.owner.user_id),
            username: Some(s.owner.username.clone()),
            scope: Some(prepared::permission_list(&s.owner)),
            exp: s.token.expires_at.map(Moment::unix_timestamp),
            iat: Some(i64::from(s.token.created_unix)),
            token_type: Some("Bearer".into()),
            tenant_id: Some(s.owner.tenant_id),
            token_id: Some(s.token.id),
            department_id: Some(s.owner.department_id),
            user_type_id: Some(s.owner.user_type_id),
        },
        _ => inactive,
    })
}

/// Forward auth for nginx `auth_request`, Traefik ForwardAuth and Caddy `forward_auth`,
/// for the tenant in the path (name or id). Reads `Authorization: Bearer`; answers 200
/// with `X-Keyward-*` headers, 401 with an RFC 6750 challenge, 403 for `FORBIDDEN` and
/// `IP_NOT_ALLOWED`, 503 when storage cannot confirm. Every answer carries
/// `X-Keyward-Code`. A token of another tenant is `NOT_FOUND` (401).
#[utoipa::path(get, path = "/auth/forward/{tenant}", tag = "verification",
    params(("tenant" = String, Path, description = "the tenant whose API is protected: its name or id"), ForwardQuery),
    responses((status = 200, description = "allowed; identity in X-Keyward-* headers"),
              (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
pub async fn forward_tenant(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<ApiPath<String>, ApiError>,
    req: Request,
) -> Response {
    match path {
        Ok(ApiPath(tenant)) => forward_for(&st, Some(&tenant), ip, &req.into_parts().0).await,
        Err(e) => e.into_response(),
    }
}

/// Forward auth without a tenant in the path: only on a server started with
/// `--single-tenant`; elsewhere 400 `tenant_required`.
#[utoipa::path(get, path = "/auth/forward", tag = "verification", params(ForwardQuery),
    responses((status = 200, description = "allowed; identity in X-Keyward-* headers"),
              (status = 400, description = "names no tenant, on a server that holds several", body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
pub async fn forward(State(st): State<AppState>, ClientIp(ip): ClientIp, req: Request) -> Response {
    forward_for(&st, None, ip, &req.into_parts().0).await
}

/// A check's answer, made without the router.
pub(crate) type Direct = std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

/// A check that is answered without the router.
#[derive(Clone, Copy)]
pub(crate) enum DirectCheck {
    Verify,
    /// Forward auth; `named` when the path names a tenant.
    Forward {
        named: bool,
    },
}

/// The two hottest routes, answered without the router (SPEC §11: a check costs almost
/// nothing beside the HTTP request carrying it): `GET /auth/forward[/{tenant}]` with a
/// tenant segment that needs no decoding, and `POST /api/v1/verify`. They run the same
/// handlers on the same request, so the answers are the router's, byte for byte (a test
/// compares them); what matching, its URL parameters and the route's boxed service cost
/// is saved. Anything else, including those routes' other methods and any path that is
/// not plainly theirs, is left for the router (`None`).
pub(crate) fn direct_check(req: &Request) -> Option<DirectCheck> {
    let path = req.uri().path();
    if path == "/api/v1/verify" {
        return (req.method() == axum::http::Method::POST).then_some(DirectCheck::Verify);
    }
    if req.method() != axum::http::Method::GET {
        return None;
    }
    match path.strip_prefix("/auth/forward")? {
        "" => Some(DirectCheck::Forward { named: false }),
        rest => match rest.strip_prefix('/') {
            // A percent-encoded name is decoded by the router's path extractor.
            Some(seg) if !seg.is_empty() && !seg.contains(['/', '%']) => {
                Some(DirectCheck::Forward { named: true })
            }
            _ => None,
        },
    }
}

/// The answer to a check [`direct_check`] chose.
pub(crate) fn direct(st: &AppState, check: DirectCheck, req: Request) -> Direct {
    match check {
        DirectCheck::Verify => axum::handler::Handler::call(verify, req, st.clone()),
        DirectCheck::Forward { named } => {
            let st = st.clone();
            Box::pin(async move {
                let (parts, _) = req.into_parts();
                let ip = crate::auth::client_ip(&parts, &st.config.trusted_proxies);
                let tenant = named.then(|| &parts.uri.path()["/auth/forward/".len()..]);
                forward_for(&st, tenant, ip, &parts).await
            })
        }
    }
}

/// Both forward-auth routes. They take the request itself, so that its headers and
/// query string are read where they are instead of copied (a `HeaderMap` extractor
/// clones them): this is the hottest route.
async fn forward_for(
    st: &AppState,
    tenant: Option<&str>,
    ip: Option<IpAddr>,
    req: &Parts,
) -> Response {
    let q = match ApiQuery::<ForwardQuery>::of(&req.uri) {
        Ok(ApiQuery(q)) => q,
        Err(e) => return coded(e),
    };
    let headers = &req.headers;
    let wanted = match forwarded_permission(st, &q, headers) {
        Ok(p) => p,
        Err(e) => return coded(e),
    };
    let scope = match check_scope(
        st,
        None,
        tenant,
        "name the tenant whose API this protects in the URL, /auth/forward/{tenant}",
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return coded(e),
    };
    let Some(token) = bearer(headers) else {
        return no_credential("missing_token", "send Authorization: Bearer <token>".into());
    };
    let ctx = VerifyContext {
        permission: wanted,
        department_id: q.department_id,
        ip,
        ..Default::default()
    };
    let v = match check(st, Route::Forward, &scope, token, ctx).await {
        Ok(v) => v,
        Err(e) => return coded(e),
    };
    match (v.presented.subject(), v.code, &scope) {
        (Some(s), VerifyCode::Valid, Scope::Tenant(tenant)) => {
            // The prepared map becomes the answer's (a `(StatusCode, HeaderMap)` answer
            // would insert its headers one by one into an empty map).
            let mut res = Response::new(axum::body::Body::empty());
            *res.headers_mut() = prepared::forward_headers(s, tenant);
            res
        }
        (_, code, _) => {
            let code = if code == VerifyCode::Valid {
                // Only an endpoint token could be VALID without a subject, and it is not
                // (it opens endpoints only); refuse rather than pass without an identity.
                VerifyCode::Forbidden
            } else {
                code
            };
            refusal(code, code.explain().to_string(), v.retry_after)
        }
    }
}

/// The two ways gateways name the request they forward: (method header, URI header).
/// Caddy and Traefik send the first, nginx is configured to send the second.
const FORWARDED: [(&str, &str); 2] = [
    ("x-forwarded-method", "x-forwarded-uri"),
    ("x-original-method", "x-original-uri"),
];

/// The permission a forward-auth request asks for: `?permission=`, or with `?rules=NAME`
/// the one the configured set maps the forwarded method and path to. Fails closed: a
/// set that does not exist, a forwarded request named twice or not at all, a path that
/// cannot be normalised or that no rule covers are refused before any check.
fn forwarded_permission<'q>(
    st: &'q AppState,
    q: &'q ForwardQuery,
    headers: &HeaderMap,
) -> ApiResult<Option<&'q str>> {
    let Some(name) = q.rules.as_deref() else {
        return Ok(q.permission.as_deref());
    };
    if q.permission.is_some() {
        return Err(ApiError::BadRequest {
            code: "permission_and_rules",
            detail: "name either `permission` or `rules` in the forward-auth URL, not both".into(),
        });
    }
    let Some(rules) = st.config.forward_rules.get(name) else {
        return Err(ApiError::BadRequest {
            code: "unknown_forward_rules",
            detail: format!(
                "this server's configuration has no [[forward_rules.{name}]]: add the set, or fix ?rules= \
                 in the gateway's forward-auth URL"
            ),
        });
    };
    let one = |name: &str| -> ApiResult<Option<&str>> {
        let mut all = headers.get_all(name).iter();
        match (all.next(), all.next()) {
            (None, _) => Ok(None),
            (Some(v), None) => v.to_str().map(Some).map_err(|_| ApiError::Forbidden {
                code: "forwarded_uri_refused",
                detail: format!("the forwarded {name} is not ASCII text"),
            }),
            (Some(_), Some(_)) => Err(ApiError::BadRequest {
                code: "forwarded_request_ambiguous",
                detail: format!("{name} is sent more than once: which request is checked?"),
            }),
        }
    };
    let mut found = None;
    for (m, u) in FORWARDED {
        let pair = (one(m)?, one(u)?);
        if pair == (None, None) {
            continue;
        }
        if found.is_some() {
            // A client can write the other gateway's headers; both present is refused
            // rather than one of them believed.
            return Err(ApiError::BadRequest {
                code: "forwarded_request_ambiguous",
                detail: "both X-Forwarded-Method/-Uri and X-Original-Method/-URI are sent: the gateway must \
                         send one pair and remove the other from what the client sent (see docs/)"
                    .into(),
            });
        }
        found = Some(pair);
    }
    let Some((Some(method), Some(uri))) = found else {
        return Err(ApiError::BadRequest {
            code: "forwarded_request_missing",
            detail: "?rules= takes the permission from the forwarded request, and this one names no method and \
                     URI: send X-Forwarded-Method and X-Forwarded-Uri, or X-Original-Method and X-Original-URI"
                .into(),
        });
    };
    rules
        .permission_for(method, uri)
        .map(|p| Some(p.as_str()))
        .map_err(|r| match r {
            Refusal::Unnormal(why) => ApiError::Forbidden {
                code: "forwarded_uri_refused",
                detail: format!("{why}; such a path is refused rather than matched"),
            },
            Refusal::NoRule => ApiError::Forbidden {
                code: "no_forward_rule",
                detail: format!("no rule of forward_rules.{name} covers this method and path, so nobody may make this request"),
            },
        })
}

/// An error of forward auth as a problem document that, like every forward-auth answer,
/// carries its code in `X-Keyward-Code` for the proxy's logs.
fn coded(e: ApiError) -> Response {
    let (_, code) = e.parts();
    let mut res = e.into_response();
    res.headers_mut().insert(
        HeaderName::from_static("x-keyward-code"),
        HeaderValue::from_static(code),
    );
    res
}
