//! Answers "is this token good?" from memory in the common case.
//!
//! The path of a check: the string's shape and checksum (no storage), its HMAC under the
//! server key, the set of known hash prefixes (no storage), the answer cache, and only
//! then storage. The decision itself is always `keyward_core::decide`, computed afresh
//! with the current time, so expiry needs no invalidation.
//!
//! Consistency: every change that can alter a decision calls [`Verifier::invalidate`],
//! which bumps an epoch before the change's response returns; cached entries from an
//! older epoch are ignored, so the very next check reads storage again. An entry is
//! also never used past `max_staleness`, which bounds how stale an answer can be should
//! a change arrive from elsewhere. Changes made by other processes (other cluster nodes,
//! or `keyward bootstrap` beside a running server) arrive through the change log, which
//! [`Verifier::catch_up`] tails about twice a second: it registers new secrets and
//! invalidates the cache. When storage cannot be read, nothing is accepted: the check
//! reports `Unavailable` (HTTP 503).
//!
//! Mobile sessions slide: each successful check moves the session's expiry to
//! `mobile_session_days` from now. Like `last_used_at`, this is gathered in memory and
//! written by [`Verifier::flush_last_used`], so it costs no write per check and the
//! stored `last_used_at` ("Last Active") and `expires_at` are at most one flush interval
//! stale. The decision never sees an expiry older than the slid one: the cached answer
//! is moved forward on use, and an answer reloaded before the flush has written is
//! moved forward from the pending use, so a session in use never expires.
//!
//! Endpoint tokens (`kwp_`, `kws_`) take the same path with their own subject, loaded
//! from their own tables and decided by `keyward_core::verify::decide_endpoint_token`.
//! Every check is made for one tenant (SPEC §4): the caller names it, and the decision
//! answers `NOT_FOUND` for a token of any other. Tenants, and the verifier keys (`kwv_`)
//! through which protected services name theirs, are resolved from memory as well.
//!
//! The endpoints served at `/e/{tenant}/{path}` are cached the same way, behind a filter of known
//! paths, so a hosted request is usually answered without storage as well.

use keyward_core::endpoint::Endpoint;
use keyward_core::model::{RateLimit, Tenant, VerifierKey};
use keyward_core::verify::{decide_endpoint_token, EndpointSubject, Subject};
use keyward_core::{
    decide, ParsedToken, ServerKey, TenantId, TokenHash, TokenId, TokenKind, VerifyCode,
    VerifyContext,
};
use keyward_store::Store;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Longest accepted input; anything longer is refused before it is even hashed.
pub const MAX_TOKEN_INPUT: usize = 256;
const CACHE_CAPACITY: usize = 200_000;
/// Concurrent storage reads for cache misses: well under the PostgreSQL pool (16), so
/// administrative writes always find a connection.
const MAX_CONCURRENT_LOADS: usize = 8;
/// How often the change log is read for changes made by other processes.
pub const CHANGE_POLL: Duration = Duration::from_millis(500);
/// A cached session answer is given its slid expiry when it lags by this much: often
/// enough for verify answers to show the sliding, rarely enough that a busy session
/// does not rewrite its cache entry on every check.
const SLIDE_STEP: time::Duration = time::Duration::seconds(1);

#[derive(Clone, Debug)]
pub struct Verified {
    pub code: VerifyCode,
    /// For `RATE_LIMITED`: seconds until the token's window opens again.
    pub retry_after: Option<u64>,
    /// The token's record and context, when the token exists (whatever the code).
    pub subject: Option<Arc<Subject>>,
    /// The same for an endpoint token (`kwp_`, `kws_`), which has no owner.
    pub endpoint_token: Option<Arc<EndpointSubject>>,
}

impl Verified {
    pub fn is_valid(&self) -> bool {
        self.code == VerifyCode::Valid
    }
    /// The answer for a token that does not exist for this check.
    pub fn not_found() -> Self {
        Self {
            code: VerifyCode::NotFound,
            subject: None,
            retry_after: None,
            endpoint_token: None,
        }
    }
}

#[derive(Clone)]
enum TenantEntry {
    Found(Arc<Tenant>),
    Missing(Instant),
}

/// How long a tenant name or id that exists nowhere is answered from memory.
const TENANT_MISS_TTL: Duration = Duration::from_secs(1);

/// Storage could not be read, so no answer can be confirmed.
#[derive(Debug, Clone, Copy)]
pub struct Unavailable;

struct Entry<T = Subject> {
    epoch: u64,
    loaded: Instant,
    subject: Option<Arc<T>>,
}

pub struct Verifier {
    store: Store,
    key: ServerKey,
    epoch: AtomicU64,
    cache: RwLock<HashMap<TokenHash, Entry>>,
    endpoint_tokens: RwLock<HashMap<TokenHash, Entry<EndpointSubject>>>,
    /// Endpoints by (tenant, path): `/e/{tenant}/{path}`.
    endpoints: RwLock<HashMap<(TenantId, String), Entry<Endpoint>>>,
    verifier_keys: RwLock<HashMap<TokenHash, Entry<VerifierKey>>>,
    /// Tenants by name and by id. Tenants are never renamed or deleted, so a tenant
    /// found stays valid; a name found nowhere is remembered for `TENANT_MISS_TTL`, or
    /// until the change log reports a new tenant, so a flood of unknown names is not a
    /// flood of queries.
    tenants: RwLock<HashMap<String, TenantEntry>>,
    /// The database's tenancy mode when this node started (`serve --single-tenant`).
    single_tenant: bool,
    /// That mode's one tenant, once found; dropped when the change log reports a tenant
    /// change, like the misses in `tenants`.
    sole: RwLock<Option<Arc<Tenant>>>,
    /// Every endpoint path, kept complete like `known`: a path absent from it is
    /// refused without a query.
    known_paths: RwLock<HashSet<(TenantId, String)>>,
    /// First 8 bytes of every stored secret hash, kept complete by registering local
    /// changes at once and others' through the change log: a hash absent from it is
    /// refused without a query.
    known: RwLock<HashSet<u64>>,
    /// The last change-log entry already applied.
    seen_seq: AtomicU64,
    max_staleness: Duration,
    /// Bounds concurrent storage reads caused by cache misses.
    loads: tokio::sync::Semaphore,
    last_used: Mutex<HashMap<TokenId, OffsetDateTime>>,
    /// Mobile sessions' uses not yet written. An entry stays until a flush has written
    /// it, so a reload from storage in between still sees the slid expiry.
    sessions: Mutex<HashMap<TokenId, SessionUse>>,
    rate: RateWindows,
}

/// A mobile session's last successful check and the expiry it slid the session to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SessionUse {
    at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

/// Fixed-window counters for tokens with a rate limit, held by this node. A cluster of
/// N nodes therefore lets a token through up to N times its limit per window.
#[derive(Default)]
struct RateWindows(Mutex<RateState>);

#[derive(Default)]
struct RateState {
    /// Per token: (window start, count, window length), all in seconds.
    windows: HashMap<TokenId, (i64, u32, i64)>,
    /// Size at which ended windows are next swept out (amortised, not on every check).
    sweep_at: usize,
}

impl RateWindows {
    const MIN_SWEEP: usize = 10_000;

    /// Counts one successful check at `now` (Unix seconds). `None` if within the limit,
    /// else the seconds until the window ends (at least 1).
    fn take(&self, id: TokenId, limit: RateLimit, now: i64) -> Option<u64> {
        let window = i64::from(limit.window_seconds);
        let start = now - now.rem_euclid(window);
        let mut st = self.0.lock().expect("rate lock");
        if st.windows.len() >= st.sweep_at.max(Self::MIN_SWEEP) {
            // Each entry ends by its own window, not the one being checked now.
            st.windows.retain(|_, (s, _, w)| *s + *w > now);
            st.sweep_at = st.windows.len() * 2;
        }
        let entry = st.windows.entry(id).or_insert((start, 0, window));
        if entry.0 != start || entry.2 != window {
            *entry = (start, 0, window);
        }
        if entry.1 >= limit.requests {
            return Some((start + window - now).max(1) as u64);
        }
        entry.1 += 1;
        None
    }
}

impl Verifier {
    pub async fn new(
        store: Store,
        key: ServerKey,
        max_staleness: Duration,
        single_tenant: bool,
    ) -> Result<Self, keyward_store::StoreError> {
        // Read the log position first: whatever is written after it is applied later.
        let seq = store.last_change_seq().await?;
        let mut prefixes = store.secret_hash_prefixes().await?;
        prefixes.extend(store.endpoint_secret_hash_prefixes().await?);
        prefixes.extend(store.verifier_key_hash_prefixes().await?);
        let paths = store.endpoint_paths().await?;
        Ok(Self {
            store,
            key,
            epoch: AtomicU64::new(0),
            cache: RwLock::new(HashMap::new()),
            endpoint_tokens: RwLock::new(HashMap::new()),
            endpoints: RwLock::new(HashMap::new()),
            verifier_keys: RwLock::new(HashMap::new()),
            tenants: RwLock::new(HashMap::new()),
            single_tenant,
            sole: RwLock::new(None),
            known_paths: RwLock::new(paths.into_iter().collect()),
            known: RwLock::new(prefixes.into_iter().collect()),
            seen_seq: AtomicU64::new(seq.max(0) as u64),
            max_staleness,
            loads: tokio::sync::Semaphore::new(MAX_CONCURRENT_LOADS),
            last_used: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            rate: RateWindows::default(),
        })
    }

    pub fn key(&self) -> &ServerKey {
        &self.key
    }

    /// Makes every cached answer stale. Called by every change that can alter a decision.
    pub fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Registers a newly stored secret so the filter lets it through.
    pub fn register_secret(&self, hash: &TokenHash) {
        self.known
            .write()
            .expect("known-set lock")
            .insert(hash.prefix64());
        self.cache.write().expect("cache lock").remove(hash);
        self.endpoint_tokens
            .write()
            .expect("cache lock")
            .remove(hash);
        self.verifier_keys.write().expect("cache lock").remove(hash);
    }

    /// The tenant a check names, by name or id, from memory in the common case.
    /// `None` when no such tenant exists.
    pub async fn tenant(&self, name_or_id: &str) -> Result<Option<Arc<Tenant>>, Unavailable> {
        if name_or_id.is_empty() || name_or_id.len() > 200 {
            return Ok(None);
        }
        // An id only in its one written form (lower-case, hyphenated): the other forms a
        // UUID parser accepts (upper case, braces, urn:uuid:) would give one tenant many
        // names, and a rule that matches the URL would miss them.
        let by_id = name_or_id
            .parse::<keyward_core::TenantId>()
            .ok()
            .filter(|id| id.to_string() == name_or_id);
        match self.tenants.read().expect("tenants lock").get(name_or_id) {
            Some(TenantEntry::Found(t)) => return Ok(Some(t.clone())),
            Some(TenantEntry::Missing(at)) if at.elapsed() < TENANT_MISS_TTL => return Ok(None),
            _ => {}
        }
        let _permit = self.loads.acquire().await.map_err(|_| Unavailable)?;
        let found = match by_id {
            Some(id) => self.store.tenant(id).await,
            None => self.store.tenant_by_name(name_or_id).await,
        };
        let mut tenants = self.tenants.write().expect("tenants lock");
        match found {
            Ok(t) => {
                let t = Arc::new(t);
                tenants.insert(t.id.to_string(), TenantEntry::Found(t.clone()));
                tenants.insert(t.name.clone(), TenantEntry::Found(t.clone()));
                Ok(Some(t))
            }
            Err(keyward_store::StoreError::NotFound(_)) => {
                if tenants.len() >= CACHE_CAPACITY {
                    tenants.retain(|_, e| matches!(e, TenantEntry::Found(_)));
                }
                tenants.insert(name_or_id.to_string(), TenantEntry::Missing(Instant::now()));
                Ok(None)
            }
            Err(e) => {
                tracing::error!(error = %e, "tenant lookup failed; refusing to confirm");
                Err(Unavailable)
            }
        }
    }

    /// Whether checks that name no tenant are made for the server's one tenant.
    pub fn single_tenant(&self) -> bool {
        self.single_tenant
    }

    /// The one tenant of a server in single-tenant mode, once it exists.
    pub async fn sole_tenant(&self) -> Result<Option<Arc<Tenant>>, Unavailable> {
        if let Some(t) = self.sole.read().expect("sole lock").clone() {
            return Ok(Some(t));
        }
        let tenants = self.store.list_tenants().await.map_err(|e| {
            tracing::error!(error = %e, "tenant lookup failed; refusing to confirm");
            Unavailable
        })?;
        let found = match tenants.as_slice() {
            [only] => self.tenant(&only.id.to_string()).await?,
            _ => None,
        };
        *self.sole.write().expect("sole lock") = found.clone();
        Ok(found)
    }

    /// The verifier key `raw`, if it is one: the credential of a service asking checks.
    /// Refused without storage when malformed or unknown, like any token.
    pub async fn verifier_key(&self, raw: &str) -> Result<Option<Arc<VerifierKey>>, Unavailable> {
        if raw.len() > MAX_TOKEN_INPUT {
            return Ok(None);
        }
        match ParsedToken::parse(raw) {
            Ok(p) if p.kind == TokenKind::Verifier => {}
            _ => return Ok(None),
        }
        let hash = self.key.hash_token(raw);
        if !self
            .known
            .read()
            .expect("known-set lock")
            .contains(&hash.prefix64())
        {
            return Ok(None);
        }
        self.load_cached(&self.verifier_keys, &hash, || {
            self.store.verifier_key_by_hash(&hash)
        })
        .await
    }

    /// Registers an endpoint's (new) path so the filter lets it through.
    pub fn register_endpoint_path(&self, tenant: TenantId, path: &str) {
        let key = (tenant, path.to_string());
        self.endpoints.write().expect("cache lock").remove(&key);
        self.known_paths
            .write()
            .expect("known-paths lock")
            .insert(key);
    }

    /// The endpoint `tenant` serves at `/e/{tenant}/{path}`, from memory in the common case.
    pub async fn endpoint(
        &self,
        tenant: TenantId,
        path: &str,
    ) -> Result<Option<Arc<Endpoint>>, Unavailable> {
        let key = (tenant, path.to_string());
        if !self
            .known_paths
            .read()
            .expect("known-paths lock")
            .contains(&key)
        {
            return Ok(None);
        }
        self.load_cached(&self.endpoints, &key, || {
            self.store.endpoint_by_path(tenant, path)
        })
        .await
    }

    pub async fn verify(
        &self,
        raw: &str,
        ctx: &VerifyContext<'_>,
    ) -> Result<Verified, Unavailable> {
        if raw.len() > MAX_TOKEN_INPUT {
            return Ok(Verified::not_found());
        }
        let Ok(parsed) = ParsedToken::parse(raw) else {
            return Ok(Verified::not_found());
        };
        let hash = self.key.hash_token(raw);
        if !self
            .known
            .read()
            .expect("known-set lock")
            .contains(&hash.prefix64())
        {
            return Ok(Verified::not_found());
        }
        match parsed.kind {
            TokenKind::Primary | TokenKind::Secondary => {
                return self.verify_endpoint_token(&hash, ctx).await
            }
            // A verifier key asks checks; it is never the token a check accepts.
            TokenKind::Verifier => return Ok(Verified::not_found()),
            TokenKind::Api | TokenKind::Mobile => {}
        }
        let subject = self.subject(&hash).await?;
        let Some(mut subject) = subject else {
            return Ok(Verified::not_found());
        };
        let now = OffsetDateTime::now_utc();
        let mut code = decide(&subject, ctx, now).code;
        let mut retry_after = None;
        if code == VerifyCode::Valid {
            if let Some(limit) = subject.token.rate_limit {
                retry_after = self
                    .rate
                    .take(subject.token.id, limit, now.unix_timestamp());
                if retry_after.is_some() {
                    code = VerifyCode::RateLimited;
                }
            }
        }
        if code == VerifyCode::Valid && subject.token.uses_remaining.is_some() {
            // Counted tokens are the one case that writes per check: the counter must
            // hold across every node, so the store takes the use atomically.
            match self.store.consume_use(subject.token.id).await {
                Ok(true) => {}
                Ok(false) => {
                    // Spent: drop the cached answer, so that the next check reloads
                    // `uses_remaining = 0` and is refused without touching storage.
                    self.cache.write().expect("cache lock").remove(&hash);
                    code = VerifyCode::UsageExceeded;
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not take a use of a counted token; refusing");
                    return Err(Unavailable);
                }
            }
        }
        if code == VerifyCode::Valid {
            if subject.token.kind == TokenKind::Mobile {
                subject = self.slide(&hash, subject, now);
            } else {
                self.last_used
                    .lock()
                    .expect("last-used lock")
                    .insert(subject.token.id, now);
            }
        }
        // NOT_FOUND says nothing about which token it was (e.g. an old secret past its
        // grace period), as for a token that never existed.
        let subject = (code != VerifyCode::NotFound).then_some(subject);
        Ok(Verified {
            code,
            subject,
            retry_after,
            endpoint_token: None,
        })
    }

    /// An endpoint token: the same cache discipline, its own decision. Endpoint tokens
    /// have no rate limit, use counter or last-use time.
    async fn verify_endpoint_token(
        &self,
        hash: &TokenHash,
        ctx: &VerifyContext<'_>,
    ) -> Result<Verified, Unavailable> {
        let loaded = self
            .load_cached(&self.endpoint_tokens, hash, || {
                self.store.endpoint_subject_by_hash(hash)
            })
            .await?;
        let Some(subject) = loaded else {
            return Ok(Verified::not_found());
        };
        let code = decide_endpoint_token(&subject, ctx, OffsetDateTime::now_utc()).code;
        Ok(Verified {
            code,
            retry_after: None,
            subject: None,
            endpoint_token: (code != VerifyCode::NotFound).then_some(subject),
        })
    }

    async fn subject(&self, hash: &TokenHash) -> Result<Option<Arc<Subject>>, Unavailable> {
        // A subject read from storage is moved forward by any slide not yet written.
        self.load_cached(&self.cache, hash, || async {
            let found = self.store.subject_by_hash(hash).await?;
            Ok(found.map(|s| self.with_pending_slide(s)))
        })
        .await
    }

    /// What `cache` holds for `key` if it is from the current epoch and fresh enough,
    /// otherwise what `load` reads from storage (remembered, found or not).
    async fn load_cached<K, T, F, Fut>(
        &self,
        cache: &RwLock<HashMap<K, Entry<T>>>,
        key: &K,
        load: F,
    ) -> Result<Option<Arc<T>>, Unavailable>
    where
        K: std::hash::Hash + Eq + Clone,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, keyward_store::StoreError>>,
    {
        let epoch = self.epoch.load(Ordering::SeqCst);
        if let Some(e) = cache.read().expect("cache lock").get(key) {
            if e.epoch == epoch && e.loaded.elapsed() < self.max_staleness {
                return Ok(e.subject.clone());
            }
        }
        let _permit = self.loads.acquire().await.map_err(|_| Unavailable)?;
        // The epoch was read before the load: a change committed meanwhile bumps it, so
        // what we store now is already stale and the next check reloads.
        let loaded = match load().await {
            Ok(s) => s.map(Arc::new),
            Err(e) => {
                tracing::error!(error = %e, "storage lookup failed; refusing to confirm");
                return Err(Unavailable);
            }
        };
        let mut cache = cache.write().expect("cache lock");
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(
            key.clone(),
            Entry {
                epoch,
                loaded: Instant::now(),
                subject: loaded.clone(),
            },
        );
        Ok(loaded)
    }

    /// Records a successful check of a mobile session: the use is queued for the next
    /// flush, and the cached answer gets the slid expiry (once it lags by `SLIDE_STEP`).
    fn slide(&self, hash: &TokenHash, subject: Arc<Subject>, now: OffsetDateTime) -> Arc<Subject> {
        let expires_at = keyward_core::session::slid_expiry(now, &subject.settings);
        self.sessions.lock().expect("sessions lock").insert(
            subject.token.id,
            SessionUse {
                at: now,
                expires_at,
            },
        );
        if subject
            .token
            .expires_at
            .is_some_and(|e| e + SLIDE_STEP > expires_at)
        {
            return subject;
        }
        let mut slid = (*subject).clone();
        slid.token.expires_at = Some(expires_at);
        let slid = Arc::new(slid);
        if let Some(e) = self.cache.write().expect("cache lock").get_mut(hash) {
            if e.subject
                .as_ref()
                .is_some_and(|s| s.token.id == slid.token.id)
            {
                e.subject = Some(slid.clone());
            }
        }
        slid
    }

    /// A session freshly read from storage, with the expiry of a use not yet written.
    fn with_pending_slide(&self, mut s: Subject) -> Subject {
        if s.token.kind == TokenKind::Mobile {
            if let Some(u) = self
                .sessions
                .lock()
                .expect("sessions lock")
                .get(&s.token.id)
            {
                if s.token.expires_at < Some(u.expires_at) {
                    s.token.expires_at = Some(u.expires_at);
                }
            }
        }
        s
    }

    /// Applies change-log entries written since the last call, by this or any other
    /// process: registers the secrets of changed tokens and, if anything changed,
    /// invalidates cached answers.
    pub async fn catch_up(&self) -> Result<(), keyward_store::StoreError> {
        loop {
            let from = self.seen_seq.load(Ordering::SeqCst) as i64;
            let changes = self.store.changes_since(from, 1000).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                return Ok(());
            };
            let tokens: Vec<String> = changes
                .iter()
                .filter(|c| matches!(c.object_type.as_str(), "token" | "mobile_session"))
                .map(|c| c.object_id.clone())
                .collect();
            if !tokens.is_empty() {
                let prefixes = self.store.secret_hash_prefixes_of(&tokens).await?;
                self.known.write().expect("known-set lock").extend(prefixes);
            }
            let of = |object_type: &str| -> Vec<String> {
                changes
                    .iter()
                    .filter(|c| c.object_type == object_type)
                    .map(|c| c.object_id.clone())
                    .collect()
            };
            let endpoint_tokens = of("endpoint_token");
            if !endpoint_tokens.is_empty() {
                let prefixes = self
                    .store
                    .endpoint_secret_hash_prefixes_of(&endpoint_tokens)
                    .await?;
                self.known.write().expect("known-set lock").extend(prefixes);
            }
            let verifier_keys = of("verifier_key");
            if !verifier_keys.is_empty() {
                let prefixes = self
                    .store
                    .verifier_key_hash_prefixes_of(&verifier_keys)
                    .await?;
                self.known.write().expect("known-set lock").extend(prefixes);
            }
            if changes.iter().any(|c| c.object_type == "tenant") {
                // A new tenant: names remembered as missing may exist now, and the one
                // tenant of single-tenant mode may no longer be the only one.
                self.tenants
                    .write()
                    .expect("tenants lock")
                    .retain(|_, e| matches!(e, TenantEntry::Found(_)));
                *self.sole.write().expect("sole lock") = None;
            }
            let endpoints = of("endpoint");
            if !endpoints.is_empty() {
                let paths = self.store.endpoint_paths_of(&endpoints).await?;
                self.known_paths
                    .write()
                    .expect("known-paths lock")
                    .extend(paths);
            }
            // A new token changes no existing answer, so a burst of creations leaves the
            // cache intact; anything else may, so it invalidates.
            if changes.iter().any(|c| affects_answers(&c.action)) {
                self.invalidate();
            }
            self.seen_seq.store(last as u64, Ordering::SeqCst);
            if changes.len() < 1000 {
                return Ok(());
            }
        }
    }

    /// Writes the gathered last-use times, and mobile sessions' last activity and slid
    /// expiry. Called every flush interval (`ServerConfig::flush_interval`, 2 s) and at
    /// shutdown, so what is stored lags by at most that interval without a write per
    /// request.
    pub async fn flush_last_used(&self) {
        self.flush_sessions().await;
        let batch: Vec<(TokenId, OffsetDateTime)> =
            std::mem::take(&mut *self.last_used.lock().expect("last-used lock"))
                .into_iter()
                .collect();
        if batch.is_empty() {
            return;
        }
        if let Err(e) = self.store.touch_last_used(&batch).await {
            tracing::warn!(error = %e, tokens = batch.len(), "could not record last use; will retry");
            let mut pending = self.last_used.lock().expect("last-used lock");
            for (id, at) in batch {
                pending.entry(id).or_insert(at);
            }
        }
    }

    async fn flush_sessions(&self) {
        let batch: Vec<(TokenId, SessionUse)> = self
            .sessions
            .lock()
            .expect("sessions lock")
            .iter()
            .map(|(id, u)| (*id, *u))
            .collect();
        if batch.is_empty() {
            return;
        }
        let rows: Vec<_> = batch
            .iter()
            .map(|(id, u)| (*id, u.at, u.expires_at))
            .collect();
        if let Err(e) = self.store.touch_mobile_sessions(&rows).await {
            tracing::warn!(error = %e, sessions = rows.len(), "could not record session activity; will retry");
            return;
        }
        // A session used again meanwhile keeps its newer entry for the next flush.
        let mut pending = self.sessions.lock().expect("sessions lock");
        for (id, u) in batch {
            if pending.get(&id) == Some(&u) {
                pending.remove(&id);
            }
        }
    }
}

/// Whether a change recorded by another node can change a cached answer. A new token or
/// session has no cached answers yet, and console logins and logouts touch no token.
fn affects_answers(action: &str) -> bool {
    !matches!(
        action,
        "token.created"
            | "mobile_session.created"
            | "verifier_key.created"
            | "tenant.created"
            | "endpoint_record.deleted"
            | "login.failed"
    ) && !action.starts_with("console.")
}
