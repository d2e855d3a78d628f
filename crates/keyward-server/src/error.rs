//! The HTTP layer's one error type, turned into RFC 9457 `application/problem+json` in one
//! place. Internal errors are logged with context and never shown to the client. The
//! request extractors here (`ApiJson`, `ApiForm`, `ApiQuery`, `ApiPath`) make every
//! rejection of bad input a problem document too, and refuse NUL in bodies (see
//! [`crate::input`]; the address is checked for every route by a layer).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyward_core::rules::RuleError;
use keyward_core::VerifyCode;
use keyward_store::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// Well-formed but semantically invalid input (a rule refused it).
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request body did not arrive within the body read timeout.
    #[error("the request body did not arrive in time; send it at once after the request head")]
    RequestTimeout,
    #[error("{detail}")]
    RateLimited { detail: String, retry_after: u64 },
    /// A token was checked and refused: mapped to HTTP by [`refusal`], the one mapping of
    /// a verification result.
    #[error("{detail}")]
    Refused {
        code: VerifyCode,
        detail: String,
        retry_after: Option<u64>,
    },
    #[error("storage is unavailable")]
    Unavailable,
    /// Too much work of one kind is in flight (e.g. password checks); 503 with Retry-After.
    #[error("{0}")]
    Busy(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The problem document of RFC 9457, with keyward's machine-readable `code`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:keyward:problem:{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, for programs: e.g. `validation`, `not_a_member`, `expiry_beyond_policy`.
    pub code: String,
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code: "invalid_request",
            detail: detail.into(),
        }
    }

    pub fn validation(detail: impl Into<String>) -> Self {
        Self::Unprocessable {
            code: "validation",
            detail: detail.into(),
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }

    /// The HTTP status and the machine-readable code.
    pub fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            Self::Unauthorized { code, .. } => (StatusCode::UNAUTHORIZED, code),
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            Self::Refused { code, .. } => (refusal_status(*code), code.as_str()),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl ApiError {
    /// What the client may be told. Internal errors are logged here, never shown.
    pub fn public_detail(&self) -> String {
        match self {
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "an internal error occurred; it has been logged".to_string()
            }
            Self::Unavailable => "storage is unavailable; nothing was changed and no token is accepted until it returns".into(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Refused {
            code,
            detail,
            retry_after,
        } = self
        {
            return refusal(code, detail, retry_after);
        }
        let (status, code) = self.parts();
        let detail = self.public_detail();
        let mut res = problem(
            status,
            code,
            detail,
            matches!(self, Self::Unauthorized { .. }),
        );
        if let Self::RateLimited { retry_after, .. } = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        res
    }
}

/// The status of a refused check, on every route that takes a token (the administrator
/// API, forward auth, the hosted endpoints): 403 when the token is good but does not open
/// this (`FORBIDDEN`, `IP_NOT_ALLOWED`), 429 for `RATE_LIMITED`, 401 for the rest.
pub fn refusal_status(code: VerifyCode) -> StatusCode {
    match code {
        VerifyCode::Valid => StatusCode::OK,
        VerifyCode::Forbidden | VerifyCode::IpNotAllowed => StatusCode::FORBIDDEN,
        VerifyCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// A refused check as a response: the problem document with the result code, the RFC
/// 6750 challenge (`invalid_token` on 401, `insufficient_scope` on 403), `Retry-After`
/// for `RATE_LIMITED`, and the code in `X-Keyward-Code` for a proxy's logs.
pub fn refusal(code: VerifyCode, detail: String, retry_after: Option<u64>) -> Response {
    let status = refusal_status(code);
    let challenge = match status {
        StatusCode::FORBIDDEN => format!(
            "Bearer realm=\"keyward\", error=\"insufficient_scope\", error_description=\"{detail}\""
        ),
        StatusCode::UNAUTHORIZED => format!(
            "Bearer realm=\"keyward\", error=\"invalid_token\", error_description=\"{}: {detail}\"",
            code.as_str()
        ),
        _ => "Bearer realm=\"keyward\"".to_string(),
    };
    let mut res = problem(status, code.as_str(), detail, false);
    challenged(&mut res, &challenge, code.as_str());
    if let Some(secs) = retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// A token-taking route that received no token it can read: 401 with a bare challenge
/// (RFC 6750 §3.1 names no error when no credential was sent) and `X-Keyward-Code`.
pub fn no_credential(code: &'static str, detail: String) -> Response {
    let mut res = problem(StatusCode::UNAUTHORIZED, code, detail, false);
    challenged(&mut res, "Bearer realm=\"keyward\"", code);
    res
}

fn challenged(res: &mut Response, challenge: &str, code: &str) {
    if let Ok(v) = HeaderValue::from_str(challenge) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    if let Ok(v) = HeaderValue::from_str(code) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-keyward-code"), v);
    }
}

pub fn problem(status: StatusCode, code: &str, detail: String, bearer_challenge: bool) -> Response {
    let body = Problem {
        type_: format!("urn:keyward:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        code: code.to_string(),
    };
    // Room for what the callers add (a challenge, `X-Keyward-Code`, `Retry-After`):
    // refused checks are answered as often as valid ones.
    let mut res = crate::security_headers::json_response(
        status,
        "application/problem+json",
        serde_json::to_vec(&body).expect("a problem document serialises"),
        3,
    );
    if bearer_challenge {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"keyward\", error=\"invalid_token\""),
        );
    }
    if status == StatusCode::REQUEST_TIMEOUT {
        // The rest of the body is not read, so the connection cannot carry another request.
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    res
}

/// [`problem`] with members of its own beside the standard ones (RFC 9457 §3.2), such as
/// the `refused` list of an import.
pub fn problem_with(
    status: StatusCode,
    code: &str,
    detail: String,
    members: serde_json::Map<String, serde_json::Value>,
) -> Response {
    let mut body = serde_json::json!({
        "type": format!("urn:keyward:problem:{code}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    if let Some(o) = body.as_object_mut() {
        o.extend(members);
    }
    // Room for what the callers add (a challenge, `X-Keyward-Code`, `Retry-After`):
    // refused checks are answered as often as valid ones.
    let mut res = crate::security_headers::json_response(
        status,
        "application/problem+json",
        serde_json::to_vec(&body).expect("a problem document serialises"),
        3,
    );
    if let Ok(v) = HeaderValue::from_str(code) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-keyward-code"), v);
    }
    res
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict { .. } => Self::Conflict {
                code: "conflict",
                detail: e.to_string(),
            },
            StoreError::InUse(msg) => Self::Conflict {
                code: "in_use",
                detail: msg,
            },
            StoreError::Invalid(msg) => Self::validation(msg),
            StoreError::Refused { code, message } => Self::Conflict {
                code,
                detail: message,
            },
            e if e.is_unavailable() => {
                tracing::error!(error = %e, "storage unavailable");
                Self::Unavailable
            }
            e => Self::Internal(e.into()),
        }
    }
}

impl From<keyward_core::session::SessionError> for ApiError {
    fn from(e: keyward_core::session::SessionError) -> Self {
        let code = e.code();
        match e {
            keyward_core::session::SessionError::NoMembership => Self::Forbidden {
                code,
                detail: e.to_string(),
            },
            keyward_core::session::SessionError::NotAMember => Self::Unprocessable {
                code,
                detail: e.to_string(),
            },
        }
    }
}

impl From<crate::service::passwords::Busy> for ApiError {
    fn from(_: crate::service::passwords::Busy) -> Self {
        ApiError::Busy(crate::service::passwords::BUSY.into())
    }
}

/// A primary token's method named in an address (`/primary-tokens/{method}/…`, and the
/// console's), refused with 400 when it is none of the three.
pub fn endpoint_method(s: &str) -> ApiResult<keyward_core::endpoint::EndpointMethod> {
    keyward_core::endpoint::EndpointMethod::parse(s).ok_or_else(|| {
        ApiError::bad_request(format!("method {s:?} is not one of POST, GET, DELETE"))
    })
}

/// The one mapping of the service layer's errors to HTTP.
impl From<crate::service::ServiceError> for ApiError {
    fn from(e: crate::service::ServiceError) -> Self {
        use crate::service::ServiceError as S;
        match e {
            S::Store(e) => e.into(),
            S::Rule(e) => e.into(),
            S::Session(e) => e.into(),
            S::SelfLockout(detail) => Self::Conflict {
                code: "self_lockout",
                detail: detail.into(),
            },
            S::Invalid(detail) => Self::validation(detail),
            S::Unprocessable { code, detail } => Self::Unprocessable { code, detail },
            S::Conflict { code, detail } => Self::Conflict { code, detail },
            S::Busy(detail) => Self::Busy(detail.into()),
            S::Unavailable => Self::Unavailable,
            S::Internal(e) => Self::Internal(e),
            S::Item { index, error } => Self::from(*error).of_item(index),
        }
    }
}

impl ApiError {
    /// The same problem, its detail naming item `index` of a bulk request (`items[3]: …`).
    fn of_item(self, index: usize) -> Self {
        let mut e = match self {
            Self::NotFound(what) => Self::Unprocessable {
                code: "not_found",
                detail: format!("{what} not found"),
            },
            other => other,
        };
        if let Self::BadRequest { detail, .. }
        | Self::Unprocessable { detail, .. }
        | Self::Forbidden { detail, .. }
        | Self::Conflict { detail, .. } = &mut e
        {
            *detail = format!("items[{index}]: {detail}");
        }
        e
    }
}

impl From<RuleError> for ApiError {
    fn from(e: RuleError) -> Self {
        let code = e.code();
        match e {
            RuleError::NotAdmin | RuleError::FeatureDisabled => Self::Forbidden {
                code,
                detail: e.to_string(),
            },
            _ => Self::Unprocessable {
                code,
                detail: e.to_string(),
            },
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// `axum::Json` whose rejections are problem documents that say what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON with Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        if json_has_nul(&bytes) {
            return Err(refused("the JSON body"));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

/// `application/json` or `application/…+json`, as `axum::Json` accepts (and the `/e/`
/// endpoints ask of a record).
pub(crate) fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", sub)) => sub == "json" || sub.ends_with("+json"),
        _ => false,
    }
}

fn bytes_rejection(e: BytesRejection) -> ApiError {
    if crate::connections::is_body_timeout(&e) {
        ApiError::RequestTimeout
    } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge("the request body is larger than this route accepts".into())
    } else {
        ApiError::bad_request(e.body_text())
    }
}

/// An `application/x-www-form-urlencoded` body (RFC 7662 introspection), with
/// problem-document rejections and NUL refused like everywhere else.
pub struct ApiForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if !is_form {
            // 400, not 415: RFC 7662 answers a malformed introspection request so.
            return Err(ApiError::bad_request(
                "send the form with Content-Type: application/x-www-form-urlencoded",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        if form_has_nul(&bytes) {
            return Err(refused("the form"));
        }
        serde_html_form::from_bytes(&bytes)
            .map(Self)
            .map_err(|e| ApiError::bad_request(format!("the form cannot be read: {e}")))
    }
}

fn json_rejection(rej: JsonRejection) -> ApiError {
    match rej {
        JsonRejection::JsonDataError(e) => {
            ApiError::validation(clean_serde_message(&e.body_text()))
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(format!(
            "malformed JSON: {}",
            clean_serde_message(&e.body_text())
        )),
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".into(),
        ),
        JsonRejection::BytesRejection(e) => bytes_rejection(e),
        other => ApiError::bad_request(other.body_text()),
    }
}

/// axum prefixes serde's message with a generic sentence; keep the useful part.
fn clean_serde_message(s: &str) -> String {
    for prefix in [
        "Failed to deserialize the JSON body into the target type: ",
        "Failed to parse the request body as JSON: ",
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    s.to_string()
}

/// `axum::extract::Query` with problem-document rejections.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> ApiQuery<T> {
    /// The query string of `uri`, read as the extractor reads it.
    pub fn of(uri: &axum::http::Uri) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(uri)
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::bad_request(e.body_text().replace(
                    "Failed to deserialize query string: ",
                    "invalid query parameter: ",
                ))
            })
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::of(&parts.uri)
    }
}

/// `axum::extract::Path` with problem-document rejections (an id that is not a UUID is
/// reported as such, not as a 500 or a bare text body).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| {
                ApiError::bad_request(format!("invalid path: {}", e.body_text()))
            })
    }
}

// Refusing characters no field can hold (see `crate::input`, which checks the address).

/// The refusal: 422, code `control_character`, saying where the character was.
pub fn refused(place: &str) -> ApiError {
    ApiError::Unprocessable {
        code: "control_character",
        detail: format!(
            "{place} contains a control character such as NUL (U+0000), which keyward does not store; \
             remove it and send the request again"
        ),
    }
}

/// Whether a JSON text decodes to a string (value or key) holding U+0000. JSON can only
/// spell it as the escape `\u0000` (a raw control character inside a string is a syntax
/// error, and the four hex digits of zero have no case): an escape whose backslash is
/// not itself escaped, which is when an odd number of backslashes come before the `u`.
pub fn json_has_nul(body: &[u8]) -> bool {
    const ESCAPE: &[u8] = b"u0000";
    let mut i = 0;
    while let Some(at) = find(&body[i..], ESCAPE) {
        let u = i + at;
        let backslashes = body[..u].iter().rev().take_while(|&&b| b == b'\\').count();
        if backslashes % 2 == 1 {
            return true;
        }
        i = u + 1;
    }
    body.contains(&0)
}

/// Whether an `application/x-www-form-urlencoded` body decodes to a value or name holding
/// U+0000: written raw, or as `%00`.
pub fn form_has_nul(body: &[u8]) -> bool {
    body.contains(&0) || find(body, b"%00").is_some()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
