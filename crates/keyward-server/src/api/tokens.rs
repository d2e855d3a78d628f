//! `/api/v1/tokens`: the API token lifecycle.

use super::Call;
use super::{one_of, optional_body, Paged};
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::service::tokens as service;
use crate::state::AppState;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::Json;
use keyward_core::model::TokenDetails;
use keyward_core::{TenantId, TokenId, TokenKind, TokenSecret};
use keyward_proto::tokens::{
    BulkDelete, BulkDeleted, CreateToken, ImportTokens, Imported, Items, RegenerateToken, Revealed,
    TokenQuery, TokenWithSecret, UpdateToken, Usage,
};
use keyward_store::{StandingFilter, TokenFilter, TokenStatusFilter};
use time::OffsetDateTime;

/// A ready command that checks `token` of `tenant` against this server.
pub fn curl_line(st: &AppState, tenant: TenantId, token: &str) -> String {
    service::verify_command(&st.config.public_url, tenant, token)
}

pub fn with_secret(st: &AppState, details: TokenDetails, secret: TokenSecret) -> TokenWithSecret {
    let t = secret.expose();
    TokenWithSecret {
        usage: Usage {
            header: format!("Authorization: Bearer {t}").into(),
            curl: curl_line(st, details.token.tenant_id, t).into(),
        },
        token: secret.into_string().into(),
        details,
    }
}

/// Create an API token for one of a user's memberships.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])), request_body = CreateToken,
    responses((status = 201, body = TokenWithSecret), (status = 403, body = crate::error::Problem),
              (status = 422, description = "not a membership, expiry beyond policy, technical-user rule", body = crate::error::Problem)))]
pub async fn create(
    c: Call,
    ApiJson(b): ApiJson<CreateToken>,
) -> ApiResult<(StatusCode, Json<TokenWithSecret>)> {
    let (details, secret) =
        c.st.tokens()
            .issue(c.admin.tenant_id, &c.admin.actor(), b)
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(with_secret(&c.st, details, secret)),
    ))
}

/// Create up to 1000 API tokens in one transaction, for imports: all of them, or, when
/// any one is refused, none (the problem's detail names the item, `items[3]: …`).
#[utoipa::path(post, path = "/api/v1/tokens/bulk", tag = "tokens", security(("bearer" = [])), request_body = Items<CreateToken>,
    responses((status = 201, body = Items<TokenWithSecret>), (status = 403, body = crate::error::Problem),
              (status = 422, description = "an item refused as POST /api/v1/tokens would refuse it, or not 1 to 1000 items", body = crate::error::Problem)))]
pub async fn bulk_create(
    c: Call,
    ApiJson(b): ApiJson<Items<CreateToken>>,
) -> ApiResult<(StatusCode, Json<Items<TokenWithSecret>>)> {
    let actor = c.admin.actor();
    let made =
        c.st.tokens()
            .issue_many(c.admin.tenant_id, &actor, b.items)
            .await?;
    let items = made
        .into_iter()
        .map(|(details, secret)| with_secret(&c.st, details, secret))
        .collect();
    Ok((StatusCode::CREATED, Json(Items { items })))
}

/// The largest import body: 10,000 keys of up to 256 characters with their names and
/// ids fit with room to spare; every other route keeps `app::BODY_LIMIT`.
pub const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The import route, with its own body limit.
pub fn import_router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(import))
        .layer(axum::extract::DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
}

/// Take over keys another system issued (up to 10,000 a call, all or nothing), so that
/// integrations keep the keys they have: keyward stores their HMAC like its own tokens',
/// marks them imported, and checks them on every route. Each item is checked as
/// `POST /api/v1/tokens` checks a token; its secret must be 16 to 256 visible ASCII
/// characters, appear once, and be held by no token yet. With `dry_run`, nothing is
/// stored and the answer lists what would be refused; without, a refusal of any item is
/// a 422 problem whose `refused` lists every refused item (`index`, `field`, `code`,
/// `detail`), and nothing is stored.
#[utoipa::path(post, path = "/api/v1/tokens/import", tag = "tokens", security(("bearer" = [])), request_body = ImportTokens,
    responses((status = 201, body = Imported), (status = 200, description = "a dry run", body = Imported),
              (status = 403, body = crate::error::Problem),
              (status = 422, description = "some item refused (the problem's `refused` lists them), or not 1 to 10,000 items", body = crate::error::Problem)))]
pub async fn import(
    c: Call,
    ApiJson(b): ApiJson<ImportTokens>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let actor = c.admin.actor();
    let dry_run = b.dry_run;
    let done = c.st.tokens().import(c.admin.tenant_id, &actor, b).await?;
    if !dry_run && !done.refused.is_empty() {
        let n = done.refused.len();
        let first = &done.refused[0];
        let detail = format!(
            "{n} item{} refused, nothing imported; the first: items[{}].{}: {}",
            if n == 1 { " is" } else { "s are" },
            first.index,
            first.field,
            first.detail
        );
        let mut members = serde_json::Map::new();
        members.insert("refused".into(), serde_json::json!(done.refused));
        return Ok(crate::error::problem_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_refused",
            detail,
            members,
        ));
    }
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(done)).into_response())
}

/// The names of `status` in a list of tokens.
const STATUSES: [(&str, TokenStatusFilter); 6] = [
    ("active", TokenStatusFilter::Active),
    ("expired", TokenStatusFilter::Expired),
    ("revoked", TokenStatusFilter::Revoked),
    ("disabled", TokenStatusFilter::Disabled),
    ("stale", TokenStatusFilter::Stale),
    ("all", TokenStatusFilter::All),
];

/// The kinds a list of tokens shows: API tokens, or mobile sessions.
const KINDS: [(&str, TokenKind); 2] = [("api", TokenKind::Api), ("mobile", TokenKind::Mobile)];

/// List tokens, newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])), params(TokenQuery),
    responses((status = 200, body = Paged<TokenDetails>), (status = 400, body = crate::error::Problem)))]
pub async fn list(
    c: Call,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> ApiResult<Json<Paged<TokenDetails>>> {
    let status = one_of("status", q.status.as_deref().unwrap_or("all"), &STATUSES)?;
    let kind = one_of("kind", q.kind.as_deref().unwrap_or("api"), &KINDS)?;
    let standing = q
        .effective_status
        .as_deref()
        .map(|s| one_of("effective_status", s, &StandingFilter::CHOICES))
        .transpose()?;
    let f = TokenFilter {
        status,
        kind: Some(kind),
        user_id: q.user_id,
        q: q.q,
        standing,
        ..Default::default()
    };
    super::listed(q.page, q.per_page, async |page| {
        c.st.tokens().list(&c.admin, &f, page).await
    })
    .await
}

/// A token's details. Never its secret.
#[utoipa::path(get, path = "/api/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = TokenId, Path)), responses((status = 200, body = TokenDetails), (status = 404, body = crate::error::Problem)))]
pub async fn get(c: Call, ApiPath(id): ApiPath<TokenId>) -> ApiResult<Json<TokenDetails>> {
    Ok(Json(c.st.tokens().get(&c.admin, id).await?))
}

/// Rename, describe, enable or disable a token.
#[utoipa::path(patch, path = "/api/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])), request_body = UpdateToken,
    params(("id" = TokenId, Path)), responses((status = 200, body = TokenDetails), (status = 404, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiPath(id): ApiPath<TokenId>,
    ApiJson(b): ApiJson<UpdateToken>,
) -> ApiResult<Json<TokenDetails>> {
    Ok(Json(c.st.tokens().update(&c.admin, id, b).await?))
}

/// Revoke: the token stops working at once but stays listed with its removal date.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "tokens", security(("bearer" = [])),
    params(("id" = TokenId, Path)), responses((status = 200, body = TokenDetails), (status = 404, body = crate::error::Problem)))]
pub async fn revoke(c: Call, ApiPath(id): ApiPath<TokenId>) -> ApiResult<Json<TokenDetails>> {
    Ok(Json(c.st.tokens().revoke(&c.admin, id).await?))
}

/// Delete: the token disappears from every list and never works again. Audited.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = TokenId, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn delete(c: Call, ApiPath(id): ApiPath<TokenId>) -> ApiResult<StatusCode> {
    c.st.tokens().delete(&c.admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub use service::MAX_BULK;

/// Delete many tokens at once, in one transaction.
#[utoipa::path(post, path = "/api/v1/tokens/bulk-delete", tag = "tokens", security(("bearer" = [])), request_body = BulkDelete,
    responses((status = 200, body = BulkDeleted), (status = 422, body = crate::error::Problem)))]
pub async fn bulk_delete(c: Call, ApiJson(b): ApiJson<BulkDelete>) -> ApiResult<Json<BulkDeleted>> {
    let (deleted, not_found) = c.st.tokens().bulk_delete(&c.admin, b.ids).await?;
    Ok(Json(BulkDeleted { deleted, not_found }))
}

/// Give the token a new secret (rotate). The body is optional.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/regenerate", tag = "tokens", security(("bearer" = [])), request_body = Option<RegenerateToken>,
    params(("id" = TokenId, Path)), responses((status = 200, body = TokenWithSecret), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn regenerate(
    c: Call,
    ApiPath(id): ApiPath<TokenId>,
    body: Bytes,
) -> ApiResult<Json<TokenWithSecret>> {
    let b: RegenerateToken = optional_body(&body)?;
    let (details, secret) =
        c.st.tokens()
            .regenerate(
                &c.admin,
                id,
                b.grace_period_seconds,
                b.expires_at.map(|t| t.0),
            )
            .await?;
    Ok(Json(with_secret(&c.st, details, secret)))
}

/// End a regenerate's grace period now: the previous secret stops working on every node
/// at once, the current one keeps working. The token's `previous_secret` says how much the
/// old secret is still used. 409 when no grace period is in effect.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/end-grace", tag = "tokens", security(("bearer" = [])),
    params(("id" = TokenId, Path)), responses((status = 200, body = TokenDetails), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
pub async fn end_grace(c: Call, ApiPath(id): ApiPath<TokenId>) -> ApiResult<Json<TokenDetails>> {
    Ok(Json(c.st.tokens().end_grace(&c.admin, id).await?))
}

/// Show a stored secret again: only under the `recoverable` policy, and audited.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/reveal", tag = "tokens", security(("bearer" = [])),
    params(("id" = TokenId, Path)), responses((status = 200, body = Revealed), (status = 409, body = crate::error::Problem)))]
pub async fn reveal(c: Call, ApiPath(id): ApiPath<TokenId>) -> ApiResult<Json<Revealed>> {
    let token = c.st.tokens().reveal(&c.admin, id).await?;
    Ok(Json(Revealed {
        id,
        tenant_id: c.admin.tenant_id,
        token: token.into(),
        revealed_at: OffsetDateTime::now_utc(),
    }))
}
