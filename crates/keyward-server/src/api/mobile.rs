//! Mobile sessions (SPEC §5): the app's login and logout under `/api/v1/mobile`, and the
//! administrator's "Mobile Users Logged In" under `/api/v1/mobile-sessions`.

use super::Call;
use super::Paged;
use crate::auth::{bearer, ClientIp};
use crate::error::{problem, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::service::login::{Attempt, LoginError, Via};
use crate::service::sessions::Started;
use crate::state::AppState;
use crate::verifier::Presented;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keyward_core::{TokenId, VerifyCode, VerifyContext};
use keyward_proto::mobile::{
    MobileLogin, MobileLoginResponse, SessionDepartment, SessionQuery, SessionUser, SessionUserType,
};
use keyward_proto::tokens::{BulkDelete, BulkDeleted};
use keyward_store::{Actor, MobileSession, MobileSessionFilter, SessionEnd, SessionStatusFilter};
use std::net::IpAddr;

/// Longest tenant name or username a login considers: nothing longer can exist, and the
/// failed-login limiter keeps these strings.
const MAX_NAME_INPUT: usize = 256;

/// The same answer for an unknown tenant, an unknown user and a wrong password, so that
/// nobody can find out which accounts exist.
const INVALID_CREDENTIALS: &str = "unknown tenant, username or password";

fn refused(e: LoginError) -> Response {
    match e {
        LoginError::InvalidCredentials => {
            let mut res = problem(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                INVALID_CREDENTIALS.into(),
                false,
            );
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"keyward\""),
            );
            res
        }
        LoginError::RateLimited(wait) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::RateLimited {
                detail: format!(
                    "too many logins for this account or failed logins from this address; try again in {secs} s"
                ),
                retry_after: secs.max(1),
            }
            .into_response()
        }
        LoginError::Busy => ApiError::from(crate::service::passwords::Busy).into_response(),
        LoginError::Locked => ApiError::Forbidden {
            code: "user_locked",
            detail: "the user is locked; ask an administrator".into(),
        }
        .into_response(),
        LoginError::Inactive => ApiError::Forbidden {
            code: "user_inactive",
            detail: "the user is outside their employment period (active_from/active_until)".into(),
        }
        .into_response(),
        LoginError::NotAllowed => ApiError::Forbidden {
            code: "not_allowed",
            detail: "the user may not log in here".into(),
        }
        .into_response(),
        LoginError::Store(e) => ApiError::from(e).into_response(),
    }
}

/// Log in from the mobile app: a session token for one of the user's memberships. Any
/// user with a password may log in; the tenant's `api_tokens_enabled` does not apply.
#[utoipa::path(post, path = "/api/v1/mobile/login", tag = "mobile", request_body = MobileLogin,
    responses((status = 200, body = MobileLoginResponse),
              (status = 401, description = "unknown tenant, username or password (one answer for all three)", body = crate::error::Problem),
              (status = 403, description = "user_locked, user_inactive, no_membership", body = crate::error::Problem),
              (status = 422, description = "not_a_member: the chosen department/user type is not one of the user's memberships", body = crate::error::Problem),
              (status = 429, description = "too many logins for the account, or failed logins from the address; see Retry-After", body = crate::error::Problem),
              (status = 503, description = "busy: too many password checks at once; see Retry-After", body = crate::error::Problem)))]
pub async fn login(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<ApiJson<MobileLogin>, ApiError>,
) -> Response {
    let b = match body {
        Ok(ApiJson(b)) => b,
        Err(e) => return e.into_response(),
    };
    if b.tenant.len() > MAX_NAME_INPUT
        || b.username.len() > MAX_NAME_INPUT
        || b.password.expose().len() > crate::service::passwords::MAX_LEN
    {
        return ApiError::validation(format!(
            "tenant and username are at most {MAX_NAME_INPUT} bytes, password at most {} bytes",
            crate::service::passwords::MAX_LEN
        ))
        .into_response();
    }
    let logged_in = match st
        .login()
        .authenticate(
            Via::Mobile,
            Attempt {
                tenant: &b.tenant,
                username: &b.username,
                password: b.password.into_string(),
                ip,
            },
            |_| true,
        )
        .await
    {
        Ok(found) => found,
        Err(e) => return refused(e),
    };
    let actor = Actor {
        user_id: Some(logged_in.user.id),
        name: logged_in.user.username.clone(),
        ip: ip.map(|i| i.to_string()),
    };
    let started = st
        .sessions()
        .start(
            &logged_in,
            b.device_name.into_string(),
            b.department_id,
            b.user_type_id,
            &actor,
        )
        .await;
    let user = logged_in.user;
    match started {
        Ok(Started {
            session,
            secret,
            membership,
            user_type,
        }) => Json(MobileLoginResponse {
            token: secret.into_string().into(),
            session_id: session.id,
            expires_at: session.expires_at,
            user: SessionUser {
                id: user.id,
                username: user.username,
                display_name: user.display_name,
                email: user.email,
            },
            department: SessionDepartment {
                id: membership.department_id,
                name: membership.department_name,
            },
            user_type: SessionUserType {
                id: user_type.id,
                name: user_type.name,
                permissions: user_type
                    .permissions
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
            },
        })
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn session_refused(code: &'static str, detail: String) -> ApiError {
    ApiError::Unauthorized { code, detail }
}

/// Log out: ends the session whose token is the bearer credential. A second logout, or
/// any token that is not a live session, is refused with 401.
#[utoipa::path(post, path = "/api/v1/mobile/logout", tag = "mobile", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem)))]
pub async fn logout(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let Some(token) = bearer(&headers) else {
        return Err(session_refused(
            "missing_token",
            "send the session token: Authorization: Bearer kwm_…".into(),
        ));
    };
    // The verifier finds the session without touching storage for unknown tokens. Any
    // session its holder presents may be ended, even an expired one.
    let v = st
        .verifier
        .verify(
            crate::metrics::Route::MobileLogout,
            token,
            &VerifyContext {
                ip,
                ..Default::default()
            },
        )
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let s = match v.presented {
        Presented::MobileSession(s) => s,
        Presented::ApiToken(_) => {
            return Err(session_refused(
                "wrong_token_kind",
                "logout takes a mobile session token (kwm_…)".into(),
            ))
        }
        Presented::Nothing | Presented::EndpointToken(_) => {
            return Err(session_refused(
                VerifyCode::NotFound.as_str(),
                "no such session: it ended already (logout, deleted by an administrator, or the user was locked)"
                    .into(),
            ))
        }
    };
    let actor = Actor {
        user_id: Some(s.owner.user_id),
        name: s.owner.username.clone(),
        ip: ip.map(|i: IpAddr| i.to_string()),
    };
    let ended = st
        .sessions()
        .end(s.owner.tenant_id, &actor, &[s.token.id], SessionEnd::Logout)
        .await?;
    if ended.is_empty() {
        return Err(session_refused(
            VerifyCode::NotFound.as_str(),
            "no such session: it ended already".into(),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The names of `status` in a list of sessions.
const STATUSES: [(&str, SessionStatusFilter); 3] = [
    ("active", SessionStatusFilter::Active),
    ("expired", SessionStatusFilter::Expired),
    ("all", SessionStatusFilter::All),
];

/// Mobile Users Logged In: sessions, newest first.
#[utoipa::path(get, path = "/api/v1/mobile-sessions", tag = "mobile", security(("bearer" = [])), params(SessionQuery),
    responses((status = 200, body = Paged<MobileSession>), (status = 400, body = crate::error::Problem)))]
pub async fn list(
    c: Call,
    ApiQuery(q): ApiQuery<SessionQuery>,
) -> ApiResult<Json<Paged<MobileSession>>> {
    let status = super::one_of("status", q.status.as_deref().unwrap_or("active"), &STATUSES)?;
    let f = MobileSessionFilter {
        status,
        user_id: q.user_id,
        department_id: q.department_id,
        q: q.q,
    };
    super::listed(q.page, q.per_page, async |page| {
        c.st.sessions().list(&c.admin, &f, page).await
    })
    .await
}

/// One session. Never its secret.
#[utoipa::path(get, path = "/api/v1/mobile-sessions/{id}", tag = "mobile", security(("bearer" = [])),
    params(("id" = TokenId, Path)), responses((status = 200, body = MobileSession), (status = 404, body = crate::error::Problem)))]
pub async fn get(c: Call, ApiPath(id): ApiPath<TokenId>) -> ApiResult<Json<MobileSession>> {
    Ok(Json(c.st.sessions().get(&c.admin, id).await?))
}

/// Delete a session: the device is logged out at once. Audited.
#[utoipa::path(delete, path = "/api/v1/mobile-sessions/{id}", tag = "mobile", security(("bearer" = [])),
    params(("id" = TokenId, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn delete(c: Call, ApiPath(id): ApiPath<TokenId>) -> ApiResult<StatusCode> {
    c.st.sessions().delete(&c.admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete many sessions at once, in one transaction. Ids of API tokens are not sessions
/// and come back in `not_found`.
#[utoipa::path(post, path = "/api/v1/mobile-sessions/bulk-delete", tag = "mobile", security(("bearer" = [])), request_body = BulkDelete,
    responses((status = 200, body = BulkDeleted), (status = 422, body = crate::error::Problem)))]
pub async fn bulk_delete(c: Call, ApiJson(b): ApiJson<BulkDelete>) -> ApiResult<Json<BulkDeleted>> {
    let (deleted, not_found) = c.st.sessions().bulk_delete(&c.admin, b.ids).await?;
    Ok(Json(BulkDeleted { deleted, not_found }))
}
