//! Endpoint and endpoint-token operations shared by the API and the console. Each one
//! makes the secrets it needs (sealed under the tenant's `recoverable` policy), writes
//! through the store, and tells the verifier, so the very next request on this node,
//! at `/e/{path}` or anywhere else, sees the change.

use crate::error::ApiResult;
use crate::state::AppState;
use keyward_core::endpoint::{
    EndpointDetails, EndpointMethod, EndpointToken, EndpointTokenDetails,
};
use keyward_core::model::SecretStorage;
use keyward_core::rules;
use keyward_core::{EndpointId, EndpointTokenId, TenantId, TokenKind, TokenSecret};
use keyward_store::{
    Actor, EndpointChange, EndpointTokenUpdate, EndpointUpdate, NewEndpoint, NewEndpointToken,
    NewSecret, OfferedPrimary,
};
use time::{Duration, OffsetDateTime};

/// A primary token created by a change, with its secret: shown only in that response.
pub struct GeneratedPrimary {
    pub token: EndpointToken,
    pub secret: TokenSecret,
}

async fn policy(st: &AppState, tenant: TenantId) -> ApiResult<SecretStorage> {
    Ok(st.store.settings(tenant).await?.secret_storage)
}

fn new_secret(
    st: &AppState,
    kind: TokenKind,
    id: EndpointTokenId,
    policy: SecretStorage,
) -> (NewSecret, TokenSecret) {
    crate::service::tokens::new_secret(st.verifier.key(), kind, &id.to_string(), policy)
}

/// One candidate primary per method; the store uses those the change needs.
fn offer_primaries(
    st: &AppState,
    policy: SecretStorage,
) -> (Vec<OfferedPrimary>, Vec<(EndpointTokenId, TokenSecret)>) {
    EndpointMethod::ALL
        .into_iter()
        .map(|method| {
            let id = EndpointTokenId::new();
            let (stored, secret) = new_secret(st, TokenKind::Primary, id, policy);
            (
                OfferedPrimary {
                    method,
                    id,
                    secret: stored,
                },
                (id, secret),
            )
        })
        .unzip()
}

fn generated(
    change: EndpointChange,
    mut secrets: Vec<(EndpointTokenId, TokenSecret)>,
) -> (EndpointDetails, Vec<GeneratedPrimary>) {
    let shown = change
        .endpoint
        .primary_tokens
        .iter()
        .filter(|t| change.created.contains(&t.id))
        .filter_map(|t| {
            let i = secrets.iter().position(|(id, _)| *id == t.id)?;
            Some(GeneratedPrimary {
                token: t.clone(),
                secret: secrets.swap_remove(i).1,
            })
        })
        .collect();
    (change.endpoint, shown)
}

/// Creates an endpoint; under token authentication its primary tokens come with it.
pub async fn create_endpoint(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    new: NewEndpoint,
) -> ApiResult<(EndpointDetails, Vec<GeneratedPrimary>)> {
    let (offered, secrets) = offer_primaries(st, policy(st, tenant).await?);
    let result = st
        .store
        .insert_endpoint(tenant, &new, &offered, actor)
        .await;
    Ok(generated(result?, secrets))
}

/// Changes an endpoint. Primary tokens the new configuration needs are created (their
/// secrets returned once); those it no longer allows are removed.
pub async fn update_endpoint(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    id: EndpointId,
    up: EndpointUpdate,
) -> ApiResult<(EndpointDetails, Vec<GeneratedPrimary>)> {
    let (offered, secrets) = offer_primaries(st, policy(st, tenant).await?);
    let result = st
        .store
        .update_endpoint(tenant, id, &up, &offered, actor)
        .await;
    Ok(generated(result?, secrets))
}

pub async fn delete_endpoint(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    id: EndpointId,
) -> ApiResult<()> {
    let result = st.store.delete_endpoint(tenant, id, actor).await;
    Ok(result?)
}

/// Creates a secondary token (one per external application). Its secret is returned
/// here and, under the `recoverable` policy, by an audited reveal.
pub async fn create_endpoint_token(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    name: String,
    description: String,
    enabled: bool,
) -> ApiResult<(EndpointTokenDetails, TokenSecret)> {
    let id = EndpointTokenId::new();
    let (stored, secret) = new_secret(st, TokenKind::Secondary, id, policy(st, tenant).await?);
    let new = NewEndpointToken {
        id,
        name,
        description,
        enabled,
        secret: stored,
    };
    let details = st.store.insert_endpoint_token(tenant, &new, actor).await?;
    Ok((details, secret))
}

pub async fn update_endpoint_token(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    id: EndpointTokenId,
    up: EndpointTokenUpdate,
) -> ApiResult<EndpointTokenDetails> {
    let result = st.store.update_endpoint_token(tenant, id, &up, actor).await;
    Ok(result?)
}

pub async fn delete_endpoint_token(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    id: EndpointTokenId,
) -> ApiResult<()> {
    let result = st.store.delete_endpoint_token(tenant, id, actor).await;
    Ok(result?)
}

/// Gives an endpoint token (primary or secondary) a new secret; the old one keeps
/// working for `grace_seconds`.
pub async fn regenerate(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    token: &EndpointToken,
    grace_seconds: i64,
) -> ApiResult<(EndpointTokenDetails, TokenSecret)> {
    rules::check_grace(grace_seconds)?;
    let (stored, secret) = new_secret(st, token.kind, token.id, policy(st, tenant).await?);
    let grace_until =
        (grace_seconds > 0).then(|| OffsetDateTime::now_utc() + Duration::seconds(grace_seconds));
    let result = st
        .store
        .regenerate_endpoint_token(tenant, token.id, &stored, grace_until, actor)
        .await;
    Ok((result?, secret))
}

/// The stored secret of an endpoint token under the `recoverable` policy. Audited.
pub async fn reveal(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    id: EndpointTokenId,
) -> ApiResult<String> {
    let not_stored =
        "no copy of this token's secret is stored (it was made under show_once). Regenerate it to \
                      get a new secret.";
    Ok(crate::service::tokens::reveal_with(
        &st.store,
        st.verifier.key(),
        tenant,
        &id.to_string(),
        not_stored,
        || st.store.reveal_endpoint_token(tenant, id, actor),
    )
    .await?)
}

/// Assigns a secondary token to an endpoint, or changes the assignment: on or off, and
/// the methods it allows (`None` keeps them; a new assignment allows POST only).
pub async fn set_assignment(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    endpoint: EndpointId,
    token: EndpointTokenId,
    enabled: bool,
    methods: Option<keyward_core::endpoint::MethodSet>,
) -> ApiResult<(keyward_core::endpoint::Assignment, bool)> {
    let result = st
        .store
        .set_assignment(tenant, endpoint, token, enabled, methods, actor)
        .await;
    Ok(result?)
}

pub async fn remove_assignment(
    st: &AppState,
    tenant: TenantId,
    actor: &Actor,
    endpoint: EndpointId,
    token: EndpointTokenId,
) -> ApiResult<()> {
    let result = st
        .store
        .remove_assignment(tenant, endpoint, token, actor)
        .await;
    Ok(result?)
}
