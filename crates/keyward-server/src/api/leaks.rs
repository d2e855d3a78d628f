//! `POST /api/v1/tokens/leaked` (a secret scanner's report, with the operator's reporter
//! key) and `POST /api/v1/tokens/revoke-self` (the holder's own token, with nothing but
//! itself): each token found is revoked at once, in its own tenant, with no grace
//! period, audited with where it was found and announced as `token.leaked`.

use crate::error::{ApiError, ApiJson, ApiResult};
use crate::service::leaks::MAX_REPORT;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use keyward_proto::leaks::{LeakResult, LeakStatus, LeakedToken, RevokeSelf, RevokeSelfAnswer};
use keyward_store::LeakReport;
use subtle::ConstantTimeEq;

/// The reporter key of `Authorization: Bearer …`, compared in constant time.
fn reporter(st: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let Some(want) = st.config.leak_reporter_key.as_deref() else {
        return Err(ApiError::Forbidden {
            code: "leak_reports_off",
            detail: "this server takes no leak reports: its operator has set no leak_reporter_key \
                     (KEYWARD_LEAK_REPORTER_KEY); a token's holder can still revoke it with \
                     POST /api/v1/tokens/revoke-self"
                .into(),
        });
    };
    let sent = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(want.as_bytes())) {
        return Err(ApiError::Unauthorized {
            code: "unauthorized",
            detail: "a leak report needs Authorization: Bearer with the server's leak reporter key"
                .into(),
        });
    }
    Ok(())
}

/// Report tokens found where they should not be (a secret scanner's format: a list of
/// `{token, type, url, source}`, at most 1,000). Each keyward token among them is
/// revoked at once; the answer says, for each one sent, what was done.
#[utoipa::path(post, path = "/api/v1/tokens/leaked", tag = "tokens",
    security(("leak_reporter" = [])), request_body = Vec<LeakedToken>,
    responses((status = 200, body = Vec<LeakResult>), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn leaked(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiJson(items): ApiJson<Vec<LeakedToken>>,
) -> ApiResult<Json<Vec<LeakResult>>> {
    reporter(&st, &headers)?;
    if items.len() > MAX_REPORT {
        return Err(ApiError::Unprocessable {
            code: "too_many",
            detail: format!("at most {MAX_REPORT} tokens per report; send the rest in another"),
        });
    }
    let leaks = st.leaks();
    let mut results = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let report = LeakReport {
            source: item.source.clone().unwrap_or_else(|| "scanner".into()),
            url: item.url.clone(),
            reported_type: item.reported_type.clone(),
        };
        let status = leaks.revoke(item.token.expose(), &report).await?;
        results.push(LeakResult { index, status });
    }
    Ok(Json(results))
}

/// Revoke a token with nothing but the token itself (proof of possession): for its
/// holder, who found it somewhere it should not be. Answers 404 for a token keyward
/// does not hold.
#[utoipa::path(post, path = "/api/v1/tokens/revoke-self", tag = "tokens", request_body = RevokeSelf,
    responses((status = 200, body = RevokeSelfAnswer), (status = 400, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn revoke_self(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<RevokeSelf>,
) -> ApiResult<Json<RevokeSelfAnswer>> {
    let report = LeakReport {
        source: "self".into(),
        url: None,
        reported_type: None,
    };
    match st.leaks().revoke(b.token.expose(), &report).await? {
        LeakStatus::NotFound | LeakStatus::NotAToken => Err(ApiError::NotFound("token")),
        status => Ok(Json(RevokeSelfAnswer { status })),
    }
}
