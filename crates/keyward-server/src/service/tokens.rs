//! Token lifecycle operations shared by the API, the console and bootstrap. Each one
//! applies the rules of `keyward_core::rules`, writes through the store, and tells the
//! verifier, so the next check anywhere in this process sees the change.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use keyward_core::model::{RateLimit, SecretStorage, TokenDetails};
use keyward_core::rules;
use keyward_core::{DepartmentId, TenantId, TokenId, TokenKind, TokenSecret, UserId, UserTypeId};
use keyward_store::{Actor, NewSecret, NewToken, StoreError};
use time::{Duration, OffsetDateTime};

pub struct IssueRequest {
    pub name: String,
    pub description: String,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
    pub expires_at: Option<OffsetDateTime>,
    pub allowed_cidrs: Vec<ipnet::IpNet>,
    pub rate_limit: Option<RateLimit>,
    /// How many successful checks the token allows; `None` for unlimited.
    pub max_uses: Option<i64>,
}

/// Creates an API token. The secret is returned here and nowhere else.
pub async fn issue_api_token(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    req: IssueRequest,
) -> ApiResult<(TokenDetails, TokenSecret)> {
    let now = OffsetDateTime::now_utc();
    let settings = st.store.settings(tenant).await?;
    let owner = match st.store.user(tenant, req.user_id).await {
        Err(StoreError::NotFound(_)) => {
            return Err(ApiError::Unprocessable {
                code: "unknown_user",
                detail: "user_id names no user of this tenant".into(),
            })
        }
        other => other?,
    };
    let memberships = st.store.memberships(tenant, owner.id).await?;
    rules::check_api_token_owner(
        &owner,
        &memberships,
        req.department_id,
        req.user_type_id,
        &settings,
        now,
    )?;
    let expires_at = rules::resolve_expiry(req.expires_at, &settings, now)?;
    let id = TokenId::new();
    let (stored, secret) = new_secret(st, TokenKind::Api, &id.to_string(), settings.secret_storage);
    let new = NewToken {
        id,
        kind: TokenKind::Api,
        name: req.name,
        description: req.description,
        user_id: owner.id,
        department_id: req.department_id,
        user_type_id: req.user_type_id,
        secret: stored,
        expires_at,
        allowed_cidrs: req.allowed_cidrs,
        rate_limit: req.rate_limit,
        max_uses: req.max_uses,
    };
    let details = st.store.insert_token(tenant, &new, actor).await?;
    Ok((details, secret))
}

/// A fresh secret of `kind` for token `id`: what storage keeps of it (hash, hint and,
/// under `recoverable`, a copy sealed to `id` so it cannot be moved to another token),
/// and the secret itself. Shared by API tokens and endpoint tokens.
pub(crate) fn new_secret(
    st: &AppState,
    kind: TokenKind,
    id: &str,
    policy: SecretStorage,
) -> (NewSecret, TokenSecret) {
    let secret = TokenSecret::generate(kind);
    let key = st.verifier.key();
    let stored = NewSecret {
        hash: key.hash_token(secret.expose()),
        hint: secret.hint(),
        sealed: (policy == SecretStorage::Recoverable)
            .then(|| key.seal(secret.expose(), id.as_bytes())),
    };
    (stored, secret)
}

/// The steps every reveal shares: the tenant must keep secrets recoverable, `read`
/// (which audits) must find a stored copy, and the copy must open under the server key.
/// `not_stored` says why a token may have no copy.
pub(crate) async fn reveal_with<F, Fut>(
    st: &AppState,
    tenant: TenantId,
    id: &str,
    not_stored: &'static str,
    read: F,
) -> ApiResult<String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>, StoreError>>,
{
    let settings = st.store.settings(tenant).await?;
    if settings.secret_storage != SecretStorage::Recoverable {
        return Err(ApiError::Conflict {
            code: "not_recoverable",
            detail: "this tenant's secret storage policy is show_once: secrets are shown only when created or \
                     regenerated. Regenerate the token to get a new secret."
                .into(),
        });
    }
    let sealed = read().await?.ok_or(ApiError::Conflict {
        code: "not_recoverable",
        detail: not_stored.into(),
    })?;
    st.verifier
        .key()
        .unseal(&sealed, id.as_bytes())
        .map_err(|e| {
            tracing::error!(token_id = %id, "sealed secret could not be opened: {e}");
            ApiError::Conflict {
                code: "not_recoverable",
                detail:
                    "the stored copy cannot be opened with this server key; regenerate the token"
                        .into(),
            }
        })
}

/// `/api/v1/tokens` changes API tokens only: a mobile session is ended through its own
/// routes, never revoked, regenerated or revealed. A token's kind never changes, so this
/// check cannot go stale before the change it guards.
pub async fn require_api_token(st: &AppState, tenant: TenantId, id: TokenId) -> ApiResult<()> {
    match st.store.token_kinds(tenant, &[id]).await?.get(&id) {
        None => Err(ApiError::NotFound("token")),
        Some(TokenKind::Api) => Ok(()),
        Some(TokenKind::Mobile) => Err(ApiError::Conflict {
            code: "wrong_token_kind",
            detail: format!(
                "this is a mobile session, not an API token; end it with DELETE /api/v1/mobile-sessions/{id}"
            ),
        }),
        Some(kind) => Err(ApiError::Conflict {
            code: "wrong_token_kind",
            detail: format!(
                "this is a {} token, not an API token; /api/v1/tokens does not change it",
                kind.as_str()
            ),
        }),
    }
}

/// Gives a token a new secret; the old one keeps working for `grace_seconds`.
pub async fn regenerate(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    id: TokenId,
    grace_seconds: i64,
) -> ApiResult<(TokenDetails, TokenSecret)> {
    rules::check_grace(grace_seconds)?;
    require_api_token(st, tenant, id).await?;
    // Whether the token is revoked is checked by the store, under the row lock.
    let current = st.store.token(tenant, id).await?;
    let settings = st.store.settings(tenant).await?;
    if current.token.kind == TokenKind::Api && !settings.api_tokens_enabled {
        return Err(rules::RuleError::FeatureDisabled.into());
    }
    let (new, secret) = new_secret(
        st,
        current.token.kind,
        &id.to_string(),
        settings.secret_storage,
    );
    let grace_until =
        (grace_seconds > 0).then(|| OffsetDateTime::now_utc() + Duration::seconds(grace_seconds));
    let result = st
        .store
        .regenerate_token(tenant, id, &new, grace_until, actor)
        .await;
    let details = result?;
    Ok((details, secret))
}

/// The stored secret of a token under the `recoverable` policy. Audited.
pub async fn reveal(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    id: TokenId,
) -> ApiResult<String> {
    require_api_token(st, tenant, id).await?;
    let not_stored = "no copy of this token's secret is stored (it was created under show_once, or is revoked). \
                      Regenerate it to get a new secret.";
    reveal_with(st, tenant, &id.to_string(), not_stored, || {
        st.store.reveal_sealed(tenant, id, actor)
    })
    .await
}

pub async fn revoke(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    id: TokenId,
) -> ApiResult<TokenDetails> {
    require_api_token(st, tenant, id).await?;
    let result = st.store.revoke_token(tenant, id, actor).await;
    Ok(result?)
}

/// Deletes API tokens; ids of other kinds of token are skipped like unknown ids.
pub async fn delete(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    ids: &[TokenId],
) -> ApiResult<Vec<TokenId>> {
    let kinds = st.store.token_kinds(tenant, ids).await?;
    let ids: Vec<TokenId> = ids
        .iter()
        .copied()
        .filter(|id| kinds.get(id) == Some(&TokenKind::Api))
        .collect();
    if ids.is_empty() {
        return Ok(ids);
    }
    let result = st.store.delete_tokens(tenant, &ids, actor).await;
    Ok(result?)
}
