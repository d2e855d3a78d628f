//! Hosted endpoints (seed 003) and their tokens: the endpoints themselves, their primary
//! tokens, secondary tokens (one per external application) and their assignments, and the
//! data viewer over the records received. Shared by the API and the console. Each change
//! makes the secrets it needs (sealed under the tenant's `recoverable` policy) and writes
//! through the store, which hands it to the verifier, so the very next request at
//! `/e/{tenant}/{path}` sees it.

use super::{check_description as description, Principal, ServiceError, ServiceResult};
use keyward_core::change::{UpdateEndpoint, UpdateEndpointToken};
use keyward_core::endpoint::{
    Assignment, Endpoint, EndpointDetails, EndpointMethod, EndpointToken, EndpointTokenDetails,
    MethodSet,
};
use keyward_core::model::SecretStorage;
use keyward_core::rules;
use keyward_core::text::Name;
use keyward_core::{
    EndpointId, EndpointRecordId, EndpointTokenId, ServerKey, TenantId, TokenKind, TokenSecret,
};
use keyward_store::{
    EndpointChange as StoredChange, EndpointRecord, EndpointTokenFilter, NewEndpoint,
    NewEndpointToken, NewSecret, OfferedPrimary, Page, RecordBucket, RecordFilter, Store,
    StoreError,
};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// At most this many buckets in one answer, so a chart request stays small.
pub const MAX_BUCKETS: i64 = 10_000;

/// A primary token created by a change, with its secret: shown only in that response.
pub struct GeneratedPrimary {
    pub token: EndpointToken,
    pub secret: TokenSecret,
}

/// Record counts per application per time bucket, for the data viewer's chart.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordStats {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub bucket_seconds: i64,
    /// Oldest bucket first; within a bucket, by application name. Buckets start at
    /// multiples of `bucket_seconds` since the Unix epoch (UTC), and empty ones are left out.
    pub buckets: Vec<RecordBucket>,
}

/// A ready command that uses a primary token of `method` at `url`.
pub fn usage_command(url: &str, method: EndpointMethod, token: &str) -> String {
    let auth = format!("-H 'Authorization: Bearer {token}'");
    match method {
        EndpointMethod::Post => format!(
            "curl -s -X POST {url} {auth} -H 'Content-Type: application/json' -d '{{\"hello\": \"world\"}}'"
        ),
        EndpointMethod::Get => format!("curl -s {url} {auth}"),
        EndpointMethod::Delete => format!("curl -s -X DELETE {url}/RECORD_ID {auth}"),
    }
}

pub struct Endpoints<'a> {
    store: &'a Store,
    key: &'a ServerKey,
    /// Tenants' names for hosted URLs, from memory.
    verifier: &'a crate::verifier::Verifier,
    public_url: &'a str,
}

impl<'a> Endpoints<'a> {
    pub fn new(
        store: &'a Store,
        verifier: &'a crate::verifier::Verifier,
        public_url: &'a str,
    ) -> Self {
        Self {
            store,
            key: verifier.key(),
            verifier,
            public_url,
        }
    }

    async fn policy(&self, tenant: TenantId) -> ServiceResult<SecretStorage> {
        Ok(self.store.settings(tenant).await?.secret_storage)
    }

    fn new_secret(
        &self,
        kind: TokenKind,
        id: EndpointTokenId,
        policy: SecretStorage,
    ) -> (NewSecret, TokenSecret) {
        super::tokens::new_secret(self.key, kind, &id.to_string(), policy)
    }

    /// One candidate primary per method; the store uses those the change needs.
    fn offer_primaries(
        &self,
        policy: SecretStorage,
    ) -> (Vec<OfferedPrimary>, Vec<(EndpointTokenId, TokenSecret)>) {
        EndpointMethod::ALL
            .into_iter()
            .map(|method| {
                let id = EndpointTokenId::new();
                let (stored, secret) = self.new_secret(TokenKind::Primary, id, policy);
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

    /// Where `tenant` serves `path`: `{public_url}/e/{tenant name}/{path}`.
    pub async fn hosted_url(&self, tenant: TenantId, path: &str) -> ServiceResult<String> {
        let t = self
            .verifier
            .tenant(&tenant.to_string())
            .await
            .map_err(|_| ServiceError::Unavailable)?
            .ok_or(StoreError::NotFound("tenant"))?;
        let base = self.public_url.trim_end_matches('/');
        Ok(format!("{base}/e/{}/{path}", t.name))
    }

    /// Creates an endpoint; under token authentication its primary tokens come with it.
    pub async fn create(
        &self,
        by: &Principal,
        new: NewEndpoint,
    ) -> ServiceResult<(EndpointDetails, Vec<GeneratedPrimary>)> {
        description(&new.description)?;
        let (offered, secrets) = self.offer_primaries(self.policy(by.tenant_id).await?);
        let change = self
            .store
            .insert_endpoint(by.tenant_id, &new, &offered, &by.actor())
            .await?;
        Ok(generated(change, secrets))
    }

    pub async fn list(
        &self,
        by: &Principal,
        q: Option<&str>,
        page: Page,
    ) -> ServiceResult<(Vec<Endpoint>, i64)> {
        Ok(self.store.list_endpoints(by.tenant_id, q, page).await?)
    }

    /// An endpoint with its primary tokens (hints only).
    pub async fn get(&self, by: &Principal, id: EndpointId) -> ServiceResult<EndpointDetails> {
        Ok(self.store.endpoint(by.tenant_id, id).await?)
    }

    /// Changes an endpoint. Primary tokens the new configuration needs are created (their
    /// secrets returned once); those it no longer allows are removed.
    pub async fn update(
        &self,
        by: &Principal,
        id: EndpointId,
        c: UpdateEndpoint,
    ) -> ServiceResult<(EndpointDetails, Vec<GeneratedPrimary>)> {
        if let Some(d) = &c.description {
            description(d)?;
        }
        let (offered, secrets) = self.offer_primaries(self.policy(by.tenant_id).await?);
        let change = self
            .store
            .update_endpoint(by.tenant_id, id, &c, &offered, &by.actor())
            .await?;
        Ok(generated(change, secrets))
    }

    /// Deletes an endpoint with its primary tokens, assignments and records. Audited.
    pub async fn delete(&self, by: &Principal, id: EndpointId) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_endpoint(by.tenant_id, id, &by.actor())
            .await?)
    }

    /// The endpoint and its primary token for `method`.
    pub async fn primary(
        &self,
        by: &Principal,
        id: EndpointId,
        method: EndpointMethod,
    ) -> ServiceResult<(EndpointDetails, EndpointToken)> {
        let details = self.store.endpoint(by.tenant_id, id).await?;
        let token = details
            .primary_tokens
            .iter()
            .find(|t| t.method == Some(method))
            .cloned()
            .ok_or(StoreError::NotFound("primary token"))?;
        Ok((details, token))
    }

    /// Gives a primary token a new secret; the old one keeps working for `grace_seconds`.
    /// Returns the token, its secret and where its endpoint is served.
    pub async fn regenerate_primary(
        &self,
        by: &Principal,
        id: EndpointId,
        method: EndpointMethod,
        grace_seconds: i64,
    ) -> ServiceResult<(EndpointTokenDetails, TokenSecret, String)> {
        let (details, token) = self.primary(by, id, method).await?;
        let (regenerated, secret) = self.regenerate(by, &token, grace_seconds).await?;
        let url = self
            .hosted_url(by.tenant_id, &details.endpoint.path)
            .await?;
        Ok((regenerated, secret, url))
    }

    /// A primary token's stored secret, under the `recoverable` policy. Audited.
    pub async fn reveal_primary(
        &self,
        by: &Principal,
        id: EndpointId,
        method: EndpointMethod,
    ) -> ServiceResult<(EndpointToken, String)> {
        let (_, token) = self.primary(by, id, method).await?;
        let secret = self.reveal(by, token.id).await?;
        Ok((token, secret))
    }

    /// The secondary tokens assigned to an endpoint, by name.
    pub async fn assignments(
        &self,
        by: &Principal,
        id: EndpointId,
    ) -> ServiceResult<Vec<Assignment>> {
        Ok(self.store.list_assignments(by.tenant_id, id).await?)
    }

    /// Assigns a secondary token to an endpoint, or changes the assignment: on or off,
    /// and the methods it allows (`None` keeps them; a new assignment allows POST only).
    /// The flag says whether the assignment is new.
    pub async fn assign(
        &self,
        by: &Principal,
        endpoint: EndpointId,
        token: EndpointTokenId,
        enabled: bool,
        methods: Option<MethodSet>,
    ) -> ServiceResult<(Assignment, bool)> {
        Ok(self
            .store
            .set_assignment(by.tenant_id, endpoint, token, enabled, methods, &by.actor())
            .await?)
    }

    pub async fn unassign(
        &self,
        by: &Principal,
        endpoint: EndpointId,
        token: EndpointTokenId,
    ) -> ServiceResult<()> {
        Ok(self
            .store
            .remove_assignment(by.tenant_id, endpoint, token, &by.actor())
            .await?)
    }

    /// The data viewer: an endpoint's records, newest first.
    pub async fn records(
        &self,
        by: &Principal,
        id: EndpointId,
        filter: &RecordFilter,
        page: Page,
    ) -> ServiceResult<(Vec<EndpointRecord>, i64)> {
        self.store.endpoint(by.tenant_id, id).await?;
        Ok(self
            .store
            .list_records(by.tenant_id, id, filter, page)
            .await?)
    }

    /// Deletes one record. Audited (`endpoint_record.deleted`), unlike deletions through
    /// `/e/` by integrations.
    pub async fn delete_record(
        &self,
        by: &Principal,
        id: EndpointId,
        record: EndpointRecordId,
    ) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_record_as_admin(by.tenant_id, id, record, &by.actor())
            .await?)
    }

    /// Counts of records per application per bucket of `bucket_seconds`, from `from`
    /// (default: a day before `to`) to `to` (default: now), at most [`MAX_BUCKETS`].
    pub async fn record_stats(
        &self,
        by: &Principal,
        id: EndpointId,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
        bucket_seconds: i64,
    ) -> ServiceResult<RecordStats> {
        if bucket_seconds <= 0 {
            return Err(ServiceError::Invalid(
                "bucket must be a positive number of seconds".into(),
            ));
        }
        let to = to.unwrap_or_else(OffsetDateTime::now_utc);
        let from = from.unwrap_or(to - Duration::days(1));
        if from > to {
            return Err(ServiceError::Invalid("from is after to".into()));
        }
        if (to - from).whole_seconds() / bucket_seconds > MAX_BUCKETS {
            return Err(ServiceError::Invalid(format!(
                "that range holds more than {MAX_BUCKETS} buckets; choose a larger bucket or a shorter range"
            )));
        }
        self.store.endpoint(by.tenant_id, id).await?;
        let buckets = self
            .store
            .record_stats(by.tenant_id, id, from, to, bucket_seconds)
            .await?;
        Ok(RecordStats {
            from,
            to,
            bucket_seconds,
            buckets,
        })
    }

    /// Creates a secondary token (one per external application). Its secret is returned
    /// here and, under the `recoverable` policy, by an audited reveal.
    pub async fn create_token(
        &self,
        by: &Principal,
        name: Name,
        desc: String,
        enabled: bool,
    ) -> ServiceResult<(EndpointTokenDetails, TokenSecret)> {
        description(&desc)?;
        let id = EndpointTokenId::new();
        let (stored, secret) =
            self.new_secret(TokenKind::Secondary, id, self.policy(by.tenant_id).await?);
        let new = NewEndpointToken {
            id,
            name,
            description: desc,
            enabled,
            secret: stored,
        };
        let details = self
            .store
            .insert_endpoint_token(by.tenant_id, &new, &by.actor())
            .await?;
        Ok((details, secret))
    }

    pub async fn list_tokens(
        &self,
        by: &Principal,
        filter: &EndpointTokenFilter,
        page: Page,
    ) -> ServiceResult<(Vec<EndpointToken>, i64)> {
        Ok(self
            .store
            .list_endpoint_tokens(by.tenant_id, filter, page)
            .await?)
    }

    /// A secondary token of this tenant with its assignments (primaries live under their
    /// endpoint). Never its secret.
    pub async fn secondary(
        &self,
        by: &Principal,
        id: EndpointTokenId,
    ) -> ServiceResult<EndpointTokenDetails> {
        let t = self.store.endpoint_token(by.tenant_id, id).await?;
        if t.token.kind != TokenKind::Secondary {
            return Err(StoreError::NotFound("endpoint token").into());
        }
        Ok(t)
    }

    /// Renames, describes, activates or deactivates a secondary token.
    pub async fn update_token(
        &self,
        by: &Principal,
        id: EndpointTokenId,
        up: UpdateEndpointToken,
    ) -> ServiceResult<EndpointTokenDetails> {
        if let Some(d) = &up.description {
            description(d)?;
        }
        Ok(self
            .store
            .update_endpoint_token(by.tenant_id, id, &up, &by.actor())
            .await?)
    }

    /// Deletes a secondary token and its assignments. Records it sent keep its id and name.
    pub async fn delete_token(&self, by: &Principal, id: EndpointTokenId) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_endpoint_token(by.tenant_id, id, &by.actor())
            .await?)
    }

    /// Gives a secondary token a new secret; the old one keeps working for `grace_seconds`.
    pub async fn regenerate_token(
        &self,
        by: &Principal,
        id: EndpointTokenId,
        grace_seconds: i64,
    ) -> ServiceResult<(EndpointTokenDetails, TokenSecret)> {
        let current = self.secondary(by, id).await?;
        self.regenerate(by, &current.token, grace_seconds).await
    }

    /// A secondary token's stored secret, under the `recoverable` policy. Audited.
    pub async fn reveal_token(&self, by: &Principal, id: EndpointTokenId) -> ServiceResult<String> {
        self.secondary(by, id).await?;
        self.reveal(by, id).await
    }

    async fn regenerate(
        &self,
        by: &Principal,
        token: &EndpointToken,
        grace_seconds: i64,
    ) -> ServiceResult<(EndpointTokenDetails, TokenSecret)> {
        rules::check_grace(grace_seconds)?;
        let (stored, secret) =
            self.new_secret(token.kind, token.id, self.policy(by.tenant_id).await?);
        let grace_until = (grace_seconds > 0)
            .then(|| OffsetDateTime::now_utc() + Duration::seconds(grace_seconds));
        let details = self
            .store
            .regenerate_endpoint_token(by.tenant_id, token.id, &stored, grace_until, &by.actor())
            .await?;
        Ok((details, secret))
    }

    async fn reveal(&self, by: &Principal, id: EndpointTokenId) -> ServiceResult<String> {
        let not_stored =
            "no copy of this token's secret is stored (it was made under show_once). Regenerate it to \
             get a new secret.";
        let actor = by.actor();
        super::tokens::reveal_with(
            self.store,
            self.key,
            by.tenant_id,
            &id.to_string(),
            not_stored,
            || self.store.reveal_endpoint_token(by.tenant_id, id, &actor),
        )
        .await
    }
}

fn generated(
    change: StoredChange,
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
