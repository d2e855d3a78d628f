//! API tokens: issue, list, change, revoke, delete, regenerate, reveal. Shared by the API,
//! the console and `bootstrap`. Each operation applies the rules of
//! `keyward_core::rules` and writes through the store; the store hands every committed
//! change to the verifier, so the next check anywhere in this process sees it.

use super::{check_description, Principal, ServiceError, ServiceResult};
use keyward_core::change::UpdateToken;
use keyward_core::model::{
    Membership, RateLimit, SecretStorage, TenantSettings, TokenDetails, User,
};
use keyward_core::rules;
use keyward_core::token::{check_foreign_key, foreign_key_hint};
use keyward_core::{ServerKey, TenantId, TokenHash, TokenId, TokenKind, TokenSecret, UserId};
use keyward_proto::tokens::{CreateToken, ImportRefusal, ImportTokens, Imported, ImportedToken};
use keyward_store::{Actor, NewSecret, NewToken, Page, Store, StoreError, TokenFilter};
use std::collections::hash_map::{Entry, HashMap};
use time::{Duration, OffsetDateTime};

/// The most tokens one bulk call creates or deletes.
pub const MAX_BULK: usize = 1000;

/// The most keys one import takes (all or nothing).
pub const MAX_IMPORT: usize = 10_000;

/// The field of an import item a refusal (`code`, `detail`) is about.
fn refusal_field(code: &str, detail: &str) -> &'static str {
    match code {
        "unknown_user" | "not_technical_user" | "user_inactive" | "user_locked" => "user_id",
        "not_a_member" => "department_id",
        "expiry_in_past" | "expiry_beyond_policy" => "expires_at",
        _ => ["rate_limit", "max_uses", "description"]
            .into_iter()
            .find(|f| detail.contains(f))
            .unwrap_or("item"),
    }
}

/// Token `id` that `owner` may hold under the tenant's `settings`, with the secret
/// `stored`: the rules of a new token (membership, technical user, expiry).
fn token_of(
    owner: &User,
    memberships: &[Membership],
    settings: &TenantSettings,
    now: OffsetDateTime,
    req: CreateToken,
    id: TokenId,
    stored: NewSecret,
) -> ServiceResult<NewToken> {
    rules::check_api_token_owner(
        owner,
        memberships,
        req.department_id,
        req.user_type_id,
        settings,
        now,
    )?;
    let expires_at = rules::resolve_expiry(req.expires_at.map(|t| t.0), settings, now)?;
    Ok(NewToken {
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
        max_uses: req.max_uses.map(i64::from),
        imported: false,
    })
}

/// Why a token request names no owner.
const UNKNOWN_USER: &str = "user_id names no user of this tenant";

/// What a token request must hold whoever it is for: a description within bounds, and
/// limits that can be met.
fn check_request(req: &CreateToken) -> ServiceResult<()> {
    check_description(&req.description)?;
    check_limits(req.rate_limit.as_ref(), req.max_uses)
}

/// Owners and their memberships, read once per owner: an import gives one integration
/// user many tokens.
#[derive(Default)]
struct Owners(HashMap<UserId, Option<(User, Vec<Membership>)>>);

impl Owners {
    /// User `id` of `tenant` with their memberships; `None` when the tenant has no such
    /// user.
    async fn get(
        &mut self,
        store: &Store,
        tenant: TenantId,
        id: UserId,
    ) -> ServiceResult<Option<&(User, Vec<Membership>)>> {
        if let Entry::Vacant(slot) = self.0.entry(id) {
            slot.insert(store.user_and_memberships(tenant, id).await?);
        }
        Ok(self.0[&id].as_ref())
    }
}

fn check_limits(rate: Option<&RateLimit>, max_uses: Option<u32>) -> ServiceResult<()> {
    if let Some(r) = rate {
        r.validate()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    }
    if max_uses == Some(0) {
        return Err(ServiceError::Invalid(
            "max_uses must be at least 1 (leave it out for unlimited)".into(),
        ));
    }
    Ok(())
}

/// A ready command that checks `token` of `tenant` against the server at `public_url`
/// (the console shows it with a placeholder when the secret is not at hand).
pub fn verify_command(public_url: &str, tenant: TenantId, token: &str) -> String {
    let base = public_url.trim_end_matches('/');
    format!(
        "curl -s -X POST {base}/api/v1/verify -H 'Content-Type: application/json' \
         -d '{{\"tenant\":\"{tenant}\",\"token\":\"{token}\"}}'"
    )
}

/// The ready line that uses `token`: a call of the tenant's own API (its
/// `api_base_url`) with the token, as the integration makes it, or, without one, the check
/// of the token against this server ([`verify_command`]).
pub fn ready_line(
    settings: &keyward_core::model::TenantSettings,
    public_url: &str,
    tenant: TenantId,
    token: &str,
) -> String {
    match settings.api_base_url.as_deref() {
        Some(base) => format!("curl -s -H 'Authorization: Bearer {token}' '{base}'"),
        None => verify_command(public_url, tenant, token),
    }
}

pub struct Tokens<'a> {
    store: &'a Store,
    key: &'a ServerKey,
}

impl<'a> Tokens<'a> {
    pub fn new(store: &'a Store, key: &'a ServerKey) -> Self {
        Self { store, key }
    }

    /// Creates an API token. The secret is returned here and nowhere else. `actor` is an
    /// administrator or the system (`bootstrap`). Creations that arrive together share
    /// one commit (the store's group commit).
    pub async fn issue(
        &self,
        tenant: TenantId,
        actor: &Actor,
        req: CreateToken,
    ) -> ServiceResult<(TokenDetails, TokenSecret)> {
        let (news, mut secrets) =
            self.prepare_all(tenant, vec![req])
                .await
                .map_err(|e| match e {
                    ServiceError::Item { error, .. } => *error,
                    e => e,
                })?;
        let details = self.store.insert_token(tenant, &news[0], actor).await?;
        Ok((details, secrets.remove(0)))
    }

    /// Creates 1 to [`MAX_BULK`] API tokens in one transaction of their own: all of
    /// them, or, when any one is refused (the refusal names its index), none. Each is
    /// checked as [`Tokens::issue`] checks one.
    pub async fn issue_many(
        &self,
        tenant: TenantId,
        actor: &Actor,
        reqs: Vec<CreateToken>,
    ) -> ServiceResult<Vec<(TokenDetails, TokenSecret)>> {
        let (news, secrets) = self.prepare_all(tenant, reqs).await?;
        let made = self.store.insert_tokens(tenant, &news, actor).await?;
        Ok(made.into_iter().zip(secrets).collect())
    }

    /// Checks 1 to [`MAX_BULK`] token requests and makes each its secret; a refusal
    /// names the index of the request it refuses.
    async fn prepare_all(
        &self,
        tenant: TenantId,
        reqs: Vec<CreateToken>,
    ) -> ServiceResult<(Vec<NewToken>, Vec<TokenSecret>)> {
        if reqs.is_empty() || reqs.len() > MAX_BULK {
            return Err(ServiceError::Invalid(format!(
                "items must list 1 to {MAX_BULK} tokens"
            )));
        }
        let now = OffsetDateTime::now_utc();
        // The settings and the first request's owner in one read (most calls create one
        // token); any other owner is read when first named.
        let first = reqs[0].user_id;
        let (settings, owner) = self.store.settings_and_owner(tenant, first).await?;
        let mut owners = Owners::default();
        owners.0.insert(first, owner);
        let mut news = Vec::with_capacity(reqs.len());
        let mut secrets = Vec::with_capacity(reqs.len());
        for (i, req) in reqs.into_iter().enumerate() {
            check_request(&req).map_err(|e| e.at(i))?;
            let Some((owner, memberships)) = owners.get(self.store, tenant, req.user_id).await?
            else {
                return Err(ServiceError::Unprocessable {
                    code: "unknown_user",
                    detail: UNKNOWN_USER.into(),
                }
                .at(i));
            };
            let (new, secret) = self
                .prepare(owner, memberships, &settings, now, req)
                .map_err(|e| e.at(i))?;
            news.push(new);
            secrets.push(secret);
        }
        Ok((news, secrets))
    }

    /// A token `owner` may hold under the tenant's `settings`, with its new secret.
    fn prepare(
        &self,
        owner: &User,
        memberships: &[Membership],
        settings: &TenantSettings,
        now: OffsetDateTime,
        req: CreateToken,
    ) -> ServiceResult<(NewToken, TokenSecret)> {
        let id = TokenId::new();
        let (stored, secret) = new_secret(
            self.key,
            TokenKind::Api,
            &id.to_string(),
            settings.secret_storage,
        );
        let new = token_of(owner, memberships, settings, now, req, id, stored)?;
        Ok((new, secret))
    }

    /// Imports keys of another system (see [`MAX_IMPORT`]): each is checked as a new token
    /// is, and its secret must be importable ([`check_foreign_key`]), appear once in the
    /// request and be held by no token yet. All of them are stored in one transaction, or,
    /// when any is refused (or on a dry run), none; the answer lists every refusal.
    pub async fn import(
        &self,
        tenant: TenantId,
        actor: &Actor,
        req: ImportTokens,
    ) -> ServiceResult<Imported> {
        if req.items.is_empty() || req.items.len() > MAX_IMPORT {
            return Err(ServiceError::Invalid(format!(
                "items must list 1 to {MAX_IMPORT} keys"
            )));
        }
        let now = OffsetDateTime::now_utc();
        let settings = self.store.settings(tenant).await?;
        if !settings.api_tokens_enabled {
            return Err(rules::RuleError::FeatureDisabled.into());
        }
        let hashes: Vec<TokenHash> = req
            .items
            .iter()
            .map(|i| self.key.hash_token(i.secret.expose()))
            .collect();
        let taken = self.store.stored_secrets(&hashes).await?;
        let mut first_of: HashMap<TokenHash, usize> = HashMap::new();
        let mut owners = Owners::default();
        let mut refused = Vec::new();
        let mut news = Vec::with_capacity(req.items.len());
        for (index, (item, hash)) in req.items.into_iter().zip(hashes).enumerate() {
            let refuse = |field: &str, code: &str, detail: String| ImportRefusal {
                index,
                field: field.into(),
                code: code.into(),
                detail,
            };
            let secret = item.secret.expose();
            if let Err(e) = check_foreign_key(secret) {
                refused.push(refuse("secret", "invalid_secret", e.to_string()));
                continue;
            }
            if let Some(first) = first_of.get(&hash) {
                refused.push(refuse(
                    "secret",
                    "duplicate_secret",
                    format!("the same secret as item {first}: each key is imported once"),
                ));
                continue;
            }
            first_of.insert(hash, index);
            if taken.contains(&hash) {
                refused.push(refuse(
                    "secret",
                    "secret_taken",
                    "keyward already holds this secret; it cannot be imported again".into(),
                ));
                continue;
            }
            let Some((owner, memberships)) =
                owners.get(self.store, tenant, item.token.user_id).await?
            else {
                refused.push(refuse("user_id", "unknown_user", UNKNOWN_USER.into()));
                continue;
            };
            let id = TokenId::new();
            let stored = NewSecret {
                hash,
                hint: foreign_key_hint(secret),
                sealed: (settings.secret_storage == SecretStorage::Recoverable)
                    .then(|| self.key.seal(secret, id.to_string().as_bytes())),
            };
            let checked = check_request(&item.token).and_then(|()| {
                token_of(owner, memberships, &settings, now, item.token, id, stored)
            });
            match checked {
                Ok(mut new) => {
                    new.imported = true;
                    news.push(new);
                }
                // What the rules refuse is this item's refusal; anything else (storage)
                // fails the import.
                Err(ServiceError::Rule(r)) => {
                    let detail = r.to_string();
                    refused.push(refuse(refusal_field(r.code(), &detail), r.code(), detail));
                }
                Err(ServiceError::Invalid(detail)) => {
                    refused.push(refuse(
                        refusal_field("validation", &detail),
                        "validation",
                        detail,
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        let accepted = news.len();
        if req.dry_run || !refused.is_empty() {
            return Ok(Imported {
                dry_run: req.dry_run,
                accepted: if req.dry_run { accepted } else { 0 },
                refused,
                items: Vec::new(),
            });
        }
        self.store.import_tokens(tenant, &news, actor).await?;
        Ok(Imported {
            dry_run: false,
            accepted,
            refused,
            items: news
                .into_iter()
                .map(|n| ImportedToken {
                    id: n.id,
                    name: n.name.to_string(),
                    hint: n.secret.hint,
                })
                .collect(),
        })
    }

    /// A token's details (of any kind: the console tells sessions apart). Never its secret.
    pub async fn get(&self, by: &Principal, id: TokenId) -> ServiceResult<TokenDetails> {
        Ok(self.store.token(by.tenant_id, id).await?)
    }

    pub async fn list(
        &self,
        by: &Principal,
        filter: &TokenFilter,
        page: Page,
    ) -> ServiceResult<(Vec<TokenDetails>, i64)> {
        Ok(self.store.list_tokens(by.tenant_id, filter, page).await?)
    }

    /// Renames, describes, enables or disables a token, or changes its limits.
    pub async fn update(
        &self,
        by: &Principal,
        id: TokenId,
        c: UpdateToken,
    ) -> ServiceResult<TokenDetails> {
        if let Some(d) = &c.description {
            check_description(d)?;
        }
        check_limits(c.rate_limit.flatten().as_ref(), None)?;
        self.require_api_token(by.tenant_id, id).await?;
        Ok(self
            .store
            .update_token(by.tenant_id, id, &c, &by.actor())
            .await?)
    }

    /// The operations here change API tokens only: a mobile session is ended through its
    /// own routes, never revoked, regenerated or revealed. A token's kind never changes,
    /// so this check cannot go stale before the change it guards.
    async fn require_api_token(&self, tenant: TenantId, id: TokenId) -> ServiceResult<()> {
        match self.store.token_kinds(tenant, &[id]).await?.get(&id) {
            None => Err(StoreError::NotFound("token").into()),
            Some(TokenKind::Api) => Ok(()),
            Some(TokenKind::Mobile) => Err(ServiceError::Conflict {
                code: "wrong_token_kind",
                detail: format!(
                    "this is a mobile session, not an API token; end it with DELETE /api/v1/mobile-sessions/{id}"
                ),
            }),
            Some(kind) => Err(ServiceError::Conflict {
                code: "wrong_token_kind",
                detail: format!(
                    "this is a {} token, not an API token; /api/v1/tokens does not change it",
                    kind.as_str()
                ),
            }),
        }
    }

    /// Gives a token a new secret; the old one keeps working for `grace_seconds`. With
    /// `expires_at` the token gets a new expiry, within the tenant's maximum lifetime
    /// from now, as a new token would.
    pub async fn regenerate(
        &self,
        by: &Principal,
        id: TokenId,
        grace_seconds: i64,
        expires_at: Option<OffsetDateTime>,
    ) -> ServiceResult<(TokenDetails, TokenSecret)> {
        let tenant = by.tenant_id;
        rules::check_grace(grace_seconds)?;
        self.require_api_token(tenant, id).await?;
        // Whether the token is revoked is checked by the store, under the row lock.
        let current = self.store.token(tenant, id).await?;
        let settings = self.store.settings(tenant).await?;
        if current.token.kind == TokenKind::Api && !settings.api_tokens_enabled {
            return Err(rules::RuleError::FeatureDisabled.into());
        }
        let (new, secret) = new_secret(
            self.key,
            current.token.kind,
            &id.to_string(),
            settings.secret_storage,
        );
        let now = OffsetDateTime::now_utc();
        let expires_at = match expires_at {
            Some(at) => rules::resolve_expiry(Some(at), &settings, now)?,
            None => None,
        };
        let grace_until = (grace_seconds > 0).then(|| now + Duration::seconds(grace_seconds));
        let details = self
            .store
            .regenerate_token(tenant, id, &new, grace_until, expires_at, &by.actor())
            .await?;
        Ok((details, secret))
    }

    /// Ends a regenerate's grace period early: the previous secret stops working on every
    /// node at once. A conflict when no grace period is in effect.
    pub async fn end_grace(&self, by: &Principal, id: TokenId) -> ServiceResult<TokenDetails> {
        self.require_api_token(by.tenant_id, id).await?;
        Ok(self.store.end_grace(by.tenant_id, id, &by.actor()).await?)
    }

    /// The stored secret of a token under the `recoverable` policy. Audited.
    pub async fn reveal(&self, by: &Principal, id: TokenId) -> ServiceResult<String> {
        self.require_api_token(by.tenant_id, id).await?;
        let not_stored = "no copy of this token's secret is stored (it was created under show_once, or is revoked). \
                          Regenerate it to get a new secret.";
        let actor = by.actor();
        reveal_with(
            self.store,
            self.key,
            by.tenant_id,
            &id.to_string(),
            not_stored,
            || self.store.reveal_sealed(by.tenant_id, id, &actor),
        )
        .await
    }

    pub async fn revoke(&self, by: &Principal, id: TokenId) -> ServiceResult<TokenDetails> {
        self.require_api_token(by.tenant_id, id).await?;
        Ok(self
            .store
            .revoke_token(by.tenant_id, id, &by.actor())
            .await?)
    }

    /// Deletes one API token.
    pub async fn delete(&self, by: &Principal, id: TokenId) -> ServiceResult<()> {
        self.require_api_token(by.tenant_id, id).await?;
        if self.delete_api_tokens(by, &[id]).await?.is_empty() {
            return Err(StoreError::NotFound("token").into());
        }
        Ok(())
    }

    /// Deletes 1 to [`MAX_BULK`] API tokens in one transaction. Returns (deleted, not
    /// found): ids of other kinds of token, of other tenants, or unknown, are not found.
    pub async fn bulk_delete(
        &self,
        by: &Principal,
        mut ids: Vec<TokenId>,
    ) -> ServiceResult<(Vec<TokenId>, Vec<TokenId>)> {
        if ids.is_empty() || ids.len() > MAX_BULK {
            return Err(ServiceError::Invalid(format!(
                "ids must list 1 to {MAX_BULK} token ids"
            )));
        }
        ids.sort();
        ids.dedup();
        let deleted = self.delete_api_tokens(by, &ids).await?;
        let not_found = ids.into_iter().filter(|i| !deleted.contains(i)).collect();
        Ok((deleted, not_found))
    }

    async fn delete_api_tokens(
        &self,
        by: &Principal,
        ids: &[TokenId],
    ) -> ServiceResult<Vec<TokenId>> {
        let kinds = self.store.token_kinds(by.tenant_id, ids).await?;
        let ids: Vec<TokenId> = ids
            .iter()
            .copied()
            .filter(|id| kinds.get(id) == Some(&TokenKind::Api))
            .collect();
        if ids.is_empty() {
            return Ok(ids);
        }
        Ok(self
            .store
            .delete_tokens(by.tenant_id, &ids, &by.actor())
            .await?)
    }
}

/// A fresh secret of `kind` for token `id`: what storage keeps of it (hash, hint and,
/// under `recoverable`, a copy sealed to `id` so it cannot be moved to another token),
/// and the secret itself. Shared by API tokens, sessions and endpoint tokens.
pub(crate) fn new_secret(
    key: &ServerKey,
    kind: TokenKind,
    id: &str,
    policy: SecretStorage,
) -> (NewSecret, TokenSecret) {
    let secret = TokenSecret::generate(kind);
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
    store: &Store,
    key: &ServerKey,
    tenant: TenantId,
    id: &str,
    not_stored: &'static str,
    read: F,
) -> ServiceResult<String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>, StoreError>>,
{
    let settings = store.settings(tenant).await?;
    if settings.secret_storage != SecretStorage::Recoverable {
        return Err(ServiceError::Conflict {
            code: "not_recoverable",
            detail: "this tenant's secret storage policy is show_once: secrets are shown only when created or \
                     regenerated. Regenerate the token to get a new secret."
                .into(),
        });
    }
    let sealed = read().await?.ok_or(ServiceError::Conflict {
        code: "not_recoverable",
        detail: not_stored.into(),
    })?;
    key.unseal(&sealed, id.as_bytes()).map_err(|e| {
        tracing::error!(token_id = %id, "sealed secret could not be opened: {e}");
        ServiceError::Conflict {
            code: "not_recoverable",
            detail: "the stored copy cannot be opened with this server key; regenerate the token"
                .into(),
        }
    })
}
