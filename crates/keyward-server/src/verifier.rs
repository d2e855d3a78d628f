//! Answers "is this token good?" from memory in the common case.
//!
//! The path of a check: the string's shape and checksum (no storage), its HMAC under the
//! server key, the set of known hash prefixes (no storage), the answer cache, and only
//! then storage. The decision itself is always `keyward_core::decide`, computed afresh
//! with the current time, so expiry needs no invalidation.
//!
//! Consistency (SPEC §11; the operator's view is in `docs/cluster.md`):
//! - Every change that can alter a decision writes a change-log entry in its own
//!   transaction, naming the object it changed. The store hands this process's entries
//!   to the verifier right after each commit ([`keyward_store::ChangeListener`]), before
//!   the call that made the change returns, so a node reads its own writes whichever
//!   front-end made them.
//! - Other processes' entries (other nodes, `keyward bootstrap` beside a running server)
//!   arrive through [`Verifier::catch_up`], woken by PostgreSQL `NOTIFY` within
//!   milliseconds or by a short poll. Either way an entry drops exactly the cached
//!   answers computed from its object (see [`cache`]), never the whole cache.
//! - A well-formed token whose hash this node does not know yet (made a moment ago on
//!   another node) is looked up in storage before it is refused, under a budget: one
//!   read per hash at a time, a node-wide rate of such reads, and a memory of hashes
//!   found nowhere.
//! - Cached answers are trusted while the change feed is healthy: when it has not been
//!   read successfully for `max_staleness`, every check goes to storage, and when storage
//!   is down too, nothing is accepted (`Unavailable`, HTTP 503).
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
//! The endpoints served at `/e/{tenant}/{path}` are cached the same way, behind a filter
//! of known paths, so a hosted request is usually answered without storage as well.

pub mod cache;
pub mod known;
pub mod rate;

use crate::metrics::{FeedStats, Metrics, Origin, Route};
use cache::{Cache, Cached, Dep, Key};
use keyward_core::endpoint::Endpoint;
use keyward_core::model::{Tenant, VerifierKey};
use keyward_core::verify::{decide_endpoint_token, EndpointSubject, Moment, Subject};
use keyward_core::{
    decide, ParsedToken, ServerKey, TenantId, TokenHash, TokenId, TokenKind, VerifyCode,
    VerifyContext,
};
use keyward_store::{Change, Committed, FeedPosition, Store};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Longest accepted input; anything longer is refused before it is even hashed.
pub const MAX_TOKEN_INPUT: usize = 256;
/// Concurrent storage reads for cache misses: well under the PostgreSQL pool (16), so
/// administrative writes always find a connection.
const MAX_CONCURRENT_LOADS: usize = 8;
/// A storage read for a check that takes longer than this is given up: the check is
/// answered `Unavailable` rather than left hanging on a database that went away.
const LOAD_TIMEOUT: Duration = Duration::from_secs(1);
/// After a storage read for a check has failed, further checks that need storage are
/// answered `Unavailable` at once for this long, instead of each waiting out
/// `LOAD_TIMEOUT` against a database that is gone (and holding a connection slot).
const STORAGE_BACKOFF: Duration = Duration::from_millis(250);
/// A cached session answer is given its slid expiry when it lags by this much: often
/// enough for verify answers to show the sliding, rarely enough that a busy session
/// does not rewrite its cache entry on every check.
const SLIDE_STEP: time::Duration = time::Duration::seconds(1);
/// An expired mobile session is read again at most this often (see `may_recheck`).
const RECHECK_EXPIRED: Duration = Duration::from_secs(10);
/// Hashes found nowhere by a lookup are remembered this long, and at most this many.
const NEGATIVE_TTL: Duration = Duration::from_secs(60);
const NEGATIVE_CAPACITY: usize = 100_000;
/// Tokens a storage read of [`Verifier::preload`] fetches.
const PRELOAD_PAGE: u32 = 10_000;
/// This process's own change-log entries, applied at commit, are skipped when the feed
/// brings them again; one the feed never brings is forgotten after this long.
const OWN_ENTRY_TTL: Duration = Duration::from_secs(120);

/// How the verifier behaves, as the operator configures it.
#[derive(Clone, Copy, Debug)]
pub struct VerifierOptions {
    /// Cached answers are trusted only while the change feed was read successfully
    /// within this long.
    pub max_staleness: Duration,
    /// Storage lookups per second, node-wide, of well-formed tokens this node does not know.
    pub unknown_lookups_per_second: u32,
    /// The database's tenancy mode when this node started (`serve --single-tenant`).
    pub single_tenant: bool,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        Self {
            max_staleness: Duration::from_secs(2),
            unknown_lookups_per_second: 100,
            single_tenant: false,
        }
    }
}

/// The answer to one check: its code, and which token it was about.
#[derive(Clone, Debug)]
pub struct Verified {
    pub code: VerifyCode,
    /// For `RATE_LIMITED`: seconds until the token's window opens again.
    pub retry_after: Option<u64>,
    /// The token the check found, with its context (whatever the code), or nothing.
    pub presented: Presented,
}

/// Which kind of token a check found: one of them or none, so that an answer cannot
/// carry, say, both an owner and an endpoint token.
#[derive(Clone, Debug)]
pub enum Presented {
    /// No token of this tenant: `NOT_FOUND`, which names nothing.
    Nothing,
    /// An API token (`kwa_`), with its owner, membership and permissions.
    ApiToken(Arc<Subject>),
    /// A mobile session (`kwm_`), with the same context as an API token.
    MobileSession(Arc<Subject>),
    /// An endpoint token (`kwp_`, `kws_`), which has no owner.
    EndpointToken(Arc<EndpointSubject>),
}

impl Presented {
    /// An API token or a mobile session, by the kind of its record.
    fn owned(subject: Arc<Subject>) -> Self {
        if subject.token.kind == TokenKind::Mobile {
            Self::MobileSession(subject)
        } else {
            Self::ApiToken(subject)
        }
    }

    /// The owner's context of an API token or a mobile session.
    pub fn subject(&self) -> Option<&Arc<Subject>> {
        match self {
            Self::ApiToken(s) | Self::MobileSession(s) => Some(s),
            Self::Nothing | Self::EndpointToken(_) => None,
        }
    }

    pub fn endpoint_token(&self) -> Option<&Arc<EndpointSubject>> {
        match self {
            Self::EndpointToken(e) => Some(e),
            _ => None,
        }
    }
}

impl Verified {
    pub fn is_valid(&self) -> bool {
        self.code == VerifyCode::Valid
    }
    /// The answer for a token that does not exist for this check.
    pub fn not_found() -> Self {
        Self {
            code: VerifyCode::NotFound,
            retry_after: None,
            presented: Presented::Nothing,
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

/// Where this node stands in the change log.
struct FeedState {
    position: FeedPosition,
    /// Sequence numbers of this process's entries, already applied at commit.
    own: HashMap<i64, Instant>,
}

/// The budget for storage lookups of hashes this node does not know.
struct Lookups {
    per_second: f64,
    /// Token bucket: (tokens, last refill); holds at most one second's worth.
    bucket: Mutex<(f64, Instant)>,
    /// Hashes found nowhere, with when.
    absent: Mutex<HashMap<TokenHash, Instant>>,
    /// Endpoint paths found nowhere, with when.
    absent_paths: Mutex<HashMap<(TenantId, String), Instant>>,
    /// One lookup per hash at a time: later askers wait for the first one's answer.
    inflight: Gates,
}

impl Lookups {
    fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second);
        Self {
            per_second,
            bucket: Mutex::new((per_second, Instant::now())),
            absent: Mutex::new(HashMap::new()),
            absent_paths: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    fn take(&self) -> bool {
        let mut b = self.bucket.lock().expect("bucket lock");
        let now = Instant::now();
        b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * self.per_second).min(self.per_second);
        b.1 = now;
        if b.0 >= 1.0 {
            b.0 -= 1.0;
            true
        } else {
            false
        }
    }

    fn absent(&self, hash: &TokenHash) -> bool {
        remembered(&self.absent.lock().expect("absent lock"), hash)
    }

    fn remember_absent(&self, hash: TokenHash) {
        remember(&mut self.absent.lock().expect("absent lock"), hash);
    }

    fn path_absent(&self, key: &(TenantId, String)) -> bool {
        remembered(&self.absent_paths.lock().expect("absent lock"), key)
    }
}

/// Whether `k` was remembered as found nowhere less than `NEGATIVE_TTL` ago.
fn remembered<K: std::hash::Hash + Eq>(absent: &HashMap<K, Instant>, k: &K) -> bool {
    absent.get(k).is_some_and(|at| at.elapsed() < NEGATIVE_TTL)
}

/// Remembers `k` as found nowhere, in a map kept under `NEGATIVE_CAPACITY`.
fn remember<K: std::hash::Hash + Eq>(absent: &mut HashMap<K, Instant>, k: K) {
    if absent.len() >= NEGATIVE_CAPACITY {
        absent.retain(|_, at| at.elapsed() < NEGATIVE_TTL);
        if absent.len() >= NEGATIVE_CAPACITY {
            absent.clear();
        }
    }
    absent.insert(k, Instant::now());
}

pub struct Verifier {
    store: Store,
    key: ServerKey,
    cache: RwLock<Cache>,
    /// Tenants by name and by id, all loaded at start. Tenants are never renamed or
    /// deleted, so a tenant found stays valid; a name found nowhere is remembered for
    /// `TENANT_MISS_TTL`, or until the change log reports a new tenant, and unknown names
    /// are looked up under the budget of `lookups`.
    tenants: RwLock<HashMap<String, TenantEntry>>,
    single_tenant: bool,
    /// That mode's one tenant, once found; dropped when the change log reports a tenant
    /// change, like the misses in `tenants`.
    sole: RwLock<Option<Arc<Tenant>>>,
    /// Every endpoint path, kept complete like `known`: a path absent from it is
    /// refused without a query.
    known_paths: RwLock<HashSet<(TenantId, String)>>,
    /// First 8 bytes of every stored secret hash, kept complete by this process's
    /// commits and the change feed: a hash absent from it is looked up under the budget
    /// of `lookups`, never freely.
    known: RwLock<known::Prefixes>,
    feed: tokio::sync::Mutex<FeedState>,
    /// This process's entries applied at commit, not yet seen by `catch_up`.
    own: Mutex<HashMap<i64, Instant>>,
    /// When the last successful read of the change feed began, in ms since `started`.
    feed_read_at: AtomicU64,
    /// Until when (ms since `started`) checks that need storage are refused at once,
    /// after a storage read failed.
    storage_down_until: AtomicU64,
    started: Instant,
    max_staleness: Duration,
    /// Bounds concurrent storage reads caused by cache misses.
    loads: tokio::sync::Semaphore,
    lookups: Lookups,
    /// Checks, cache hits and misses, storage reads, invalidations (see `crate::metrics`).
    metrics: Arc<Metrics>,
    /// The highest change-log sequence number read or applied, for metrics.
    feed_seq: AtomicI64,
    /// Whether [`Verifier::preload`] has finished.
    preloaded: AtomicBool,
    last_used: Mutex<HashMap<TokenId, OffsetDateTime>>,
    /// Successful checks with previous secrets (a regenerate's grace period) not yet
    /// added to storage: how many and when last, by secret. Flushed with `last_used`.
    previous_uses: Mutex<HashMap<TokenHash, (i64, OffsetDateTime)>>,
    /// The applications' (secondary) endpoint tokens' last uses not yet written.
    endpoint_last_used: Mutex<HashMap<keyward_core::EndpointTokenId, OffsetDateTime>>,
    /// Mobile sessions' uses not yet written. An entry stays until a flush has written
    /// it, so a reload from storage in between still sees the slid expiry.
    sessions: Mutex<HashMap<TokenId, SessionUse>>,
    /// When each expired session was last read again (see `may_recheck`).
    rechecked: Mutex<HashMap<TokenId, Instant>>,
    rate: rate::RateLimiter,
}

/// A mobile session's last successful check and the expiry it slid the session to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SessionUse {
    at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

type Gates = Mutex<HashMap<TokenHash, Arc<tokio::sync::Mutex<()>>>>;

/// Writes the last uses gathered in `pending` (of `what`) with `write`. On failure they
/// are put back, a newer use gathered meanwhile kept, for the next flush; false then.
async fn flush_times<I: std::hash::Hash + Eq + Copy>(
    pending: &Mutex<HashMap<I, OffsetDateTime>>,
    what: &str,
    write: impl AsyncFnOnce(&[(I, OffsetDateTime)]) -> Result<(), keyward_store::StoreError>,
) -> bool {
    let batch: Vec<(I, OffsetDateTime)> =
        std::mem::take(&mut *pending.lock().expect("last-used lock"))
            .into_iter()
            .collect();
    if batch.is_empty() {
        return true;
    }
    if let Err(e) = write(&batch).await {
        tracing::warn!(error = %e, count = batch.len(), "could not record the last use of {what}; will retry");
        let mut pending = pending.lock().expect("last-used lock");
        for (id, at) in batch {
            pending.entry(id).or_insert(at);
        }
        return false;
    }
    true
}

/// A place in the line of checks looking up one unknown hash. The last one to leave
/// removes the line, also when its check is cancelled (a client that went away).
struct InFlight<'a> {
    gates: &'a Gates,
    hash: TokenHash,
    gate: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl<'a> InFlight<'a> {
    fn join(gates: &'a Gates, hash: TokenHash) -> Self {
        let gate = gates
            .lock()
            .expect("inflight lock")
            .entry(hash)
            .or_default()
            .clone();
        Self {
            gates,
            hash,
            gate: Some(gate),
        }
    }

    fn gate(&self) -> &tokio::sync::Mutex<()> {
        self.gate.as_ref().expect("held until drop")
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut gates = self.gates.lock().expect("inflight lock");
        // Clones are made only under this lock: once ours is gone, a count of one
        // means the map holds the last reference and no one is waiting.
        self.gate = None;
        if gates
            .get(&self.hash)
            .is_some_and(|g| Arc::strong_count(g) == 1)
        {
            gates.remove(&self.hash);
        }
    }
}

/// Keeps a tenant found, by id and by name.
fn hold_tenant(tenants: &mut HashMap<String, TenantEntry>, t: Tenant) -> Arc<Tenant> {
    let t = Arc::new(t);
    tenants.insert(t.id.to_string(), TenantEntry::Found(t.clone()));
    tenants.insert(t.name.clone(), TenantEntry::Found(t.clone()));
    t
}

/// Passes the store's commits on to the verifier without keeping it alive.
struct OwnChanges(Weak<Verifier>);

impl keyward_store::ChangeListener for OwnChanges {
    fn committed(&self, c: &Committed) {
        if let Some(v) = self.0.upgrade() {
            v.apply_own(c);
        }
    }
}

impl Verifier {
    /// Loads the index of known secrets and endpoint paths, and starts listening to this
    /// process's commits. `rate` holds per-token rate limits (per node, or in Redis);
    /// `metrics` counts what the verifier does.
    pub async fn new(
        store: Store,
        key: ServerKey,
        opts: VerifierOptions,
        rate: rate::RateLimiter,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>, keyward_store::StoreError> {
        // Take the log position first: whatever commits after it is read later.
        let position = store.feed_position().await?;
        let mut prefixes = store.secret_hash_prefixes().await?;
        prefixes.extend(store.endpoint_secret_hash_prefixes().await?);
        prefixes.extend(store.verifier_key_hash_prefixes().await?);
        let paths = store.endpoint_paths().await?;
        let mut tenants = HashMap::new();
        for t in store.list_tenants().await? {
            hold_tenant(&mut tenants, t);
        }
        let v = Arc::new(Self {
            store: store.clone(),
            key,
            cache: RwLock::new(Cache::default()),
            tenants: RwLock::new(tenants),
            single_tenant: opts.single_tenant,
            sole: RwLock::new(None),
            known_paths: RwLock::new(paths.into_iter().collect()),
            known: RwLock::new(known::Prefixes::new(prefixes)),
            feed: tokio::sync::Mutex::new(FeedState {
                position: position.clone(),
                own: HashMap::new(),
            }),
            own: Mutex::new(HashMap::new()),
            feed_read_at: AtomicU64::new(0),
            storage_down_until: AtomicU64::new(0),
            started: Instant::now(),
            max_staleness: opts.max_staleness,
            loads: tokio::sync::Semaphore::new(MAX_CONCURRENT_LOADS),
            lookups: Lookups::new(opts.unknown_lookups_per_second.max(1)),
            metrics,
            preloaded: AtomicBool::new(false),
            feed_seq: AtomicI64::new(match &position {
                FeedPosition::Seq(seq) => *seq,
                FeedPosition::Snapshot(_) => 0,
            }),
            last_used: Mutex::new(HashMap::new()),
            previous_uses: Mutex::new(HashMap::new()),
            endpoint_last_used: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            rechecked: Mutex::new(HashMap::new()),
            rate,
        });
        if !store.set_change_listener(Arc::new(OwnChanges(Arc::downgrade(&v)))) {
            tracing::warn!(
                "a second verifier on one store learns of this process's changes only through the feed"
            );
        }
        Ok(v)
    }

    pub fn key(&self) -> &ServerKey {
        &self.key
    }

    /// Storage reads made for checks so far (cache misses and unknown-hash lookups).
    pub fn storage_reads(&self) -> u64 {
        self.metrics.storage_reads()
    }

    /// Storage lookups made so far of well-formed tokens this node did not know.
    pub fn unknown_lookups(&self) -> u64 {
        self.metrics.unknown_lookups()
    }

    /// Where this node stands in the change feed, for metrics.
    pub fn feed_stats(&self) -> FeedStats {
        let lag = self
            .elapsed_ms()
            .saturating_sub(self.feed_read_at.load(Ordering::SeqCst));
        FeedStats {
            position: self.feed_seq.load(Ordering::Relaxed),
            lag: Duration::from_millis(lag),
            trusted: self.trusted(),
        }
    }

    /// How many answers the cache holds.
    pub fn cached_answers(&self) -> usize {
        self.cache.read().expect("cache lock").answers()
    }

    /// Whether the preload of every token's answer has finished (a node is warm).
    pub fn preloaded(&self) -> bool {
        self.preloaded.load(Ordering::Relaxed)
    }

    /// Forgets every cached answer. Only for tests and tools that change storage behind
    /// the store's back; every change made through the store is applied exactly.
    pub fn clear_cache(&self) {
        self.cache.write().expect("cache lock").clear();
    }

    /// Whether cached answers may be used: the change feed was read successfully less
    /// than `max_staleness` ago.
    pub fn trusted(&self) -> bool {
        self.elapsed_ms()
            .saturating_sub(self.feed_read_at.load(Ordering::SeqCst))
            < self.max_staleness.as_millis() as u64
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Applies what one of this process's transactions committed, before the call that
    /// made it returns.
    fn apply_own(&self, c: &Committed) {
        self.register(&c.secrets, &c.paths);
        self.apply(&c.changes, Origin::Local);
        let now = Instant::now();
        let mut own = self.own.lock().expect("own lock");
        if own.len() >= NEGATIVE_CAPACITY {
            // The feed has not been read for a long while: forget the oldest (at worst
            // they are applied twice, which costs a reload).
            own.retain(|_, at| at.elapsed() < OWN_ENTRY_TTL);
            if own.len() >= NEGATIVE_CAPACITY {
                own.clear();
            }
        }
        own.extend(c.changes.iter().map(|ch| (ch.seq, now)));
    }

    /// Lets newly stored secrets and paths through the filters, forgetting any memory of
    /// them as absent.
    fn register(&self, secrets: &[TokenHash], paths: &[(TenantId, String)]) {
        if !secrets.is_empty() {
            self.known
                .write()
                .expect("known-set lock")
                .extend(secrets.iter().map(|h| h.prefix64()));
            let mut absent = self.lookups.absent.lock().expect("absent lock");
            for h in secrets {
                absent.remove(h);
            }
            drop(absent);
            let mut cache = self.cache.write().expect("cache lock");
            for h in secrets {
                cache.drop_key(&Key::Token(*h));
                cache.drop_key(&Key::EndpointToken(*h));
                cache.drop_key(&Key::VerifierKey(*h));
            }
        }
        if !paths.is_empty() {
            self.known_paths
                .write()
                .expect("known-paths lock")
                .extend(paths.iter().cloned());
            let mut absent = self.lookups.absent_paths.lock().expect("absent lock");
            for p in paths {
                absent.remove(p);
            }
            drop(absent);
            let mut cache = self.cache.write().expect("cache lock");
            for (t, p) in paths {
                cache.drop_key(&Key::Endpoint(*t, p.clone()));
            }
        }
    }

    /// Drops exactly the answers the entries can change.
    fn apply(&self, changes: &[Change], origin: Origin) {
        if let Some(last) = changes.iter().map(|c| c.seq).max() {
            self.feed_seq.fetch_max(last, Ordering::Relaxed);
        }
        let deps: Vec<Dep> = changes.iter().filter_map(Dep::of_change).collect();
        self.metrics.invalidated(origin, deps.len());
        if !deps.is_empty() {
            let mut cache = self.cache.write().expect("cache lock");
            for d in deps {
                cache.drop_dep(d);
            }
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
    }

    /// The tenant a check names, by name or id, from memory in the common case.
    /// `None` when no such tenant exists.
    pub async fn tenant(&self, name_or_id: &str) -> Result<Option<Arc<Tenant>>, Unavailable> {
        if name_or_id.is_empty() || name_or_id.len() > 200 {
            return Ok(None);
        }
        match self.tenants.read().expect("tenants lock").get(name_or_id) {
            Some(TenantEntry::Found(t)) => return Ok(Some(t.clone())),
            Some(TenantEntry::Missing(at)) if at.elapsed() < TENANT_MISS_TTL => return Ok(None),
            _ => {}
        }
        // An id only in its one written form (lower-case, hyphenated): the other forms a
        // UUID parser accepts (upper case, braces, urn:uuid:) would give one tenant many
        // names, and a rule that matches the URL would miss them.
        let by_id = name_or_id
            .parse::<keyward_core::TenantId>()
            .ok()
            .filter(|id| id.to_string() == name_or_id);
        // Every tenant was loaded at start and new ones arrive through the feed, so a
        // name not held here is new (made a moment ago elsewhere) or made up: looked up
        // under the same budget as unknown tokens.
        if !self.lookups.take() {
            return Ok(None);
        }
        self.metrics.unknown_lookup();
        let found = self
            .read_storage(async {
                let found = match by_id {
                    Some(id) => self.store.tenant(id).await,
                    None => self.store.tenant_by_name(name_or_id).await,
                };
                match found {
                    Ok(t) => Ok(Some(t)),
                    Err(keyward_store::StoreError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
        let mut tenants = self.tenants.write().expect("tenants lock");
        match found {
            Some(t) => Ok(Some(hold_tenant(&mut tenants, t))),
            None => {
                if tenants.len() >= NEGATIVE_CAPACITY {
                    tenants.retain(|_, e| matches!(e, TenantEntry::Found(_)));
                }
                tenants.insert(name_or_id.to_string(), TenantEntry::Missing(Instant::now()));
                Ok(None)
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
        let tenants = self.read_storage(self.store.list_tenants()).await?;
        let found = match tenants.as_slice() {
            [only] => self.tenant(&only.id.to_string()).await?,
            _ => None,
        };
        *self.sole.write().expect("sole lock") = found.clone();
        Ok(found)
    }

    /// The verifier key `raw`, if it is one: the credential of a service asking checks.
    /// Refused without storage when malformed, like any token.
    pub async fn verifier_key(&self, raw: &str) -> Result<Option<Arc<VerifierKey>>, Unavailable> {
        if raw.len() > MAX_TOKEN_INPUT {
            return Ok(None);
        }
        match ParsedToken::parse(raw) {
            Ok(p) if p.kind == TokenKind::Verifier => {}
            _ => return Ok(None),
        }
        let hash = self.key.hash_token(raw);
        self.by_hash(&hash, || self.store.verifier_key_by_hash(&hash))
            .await
    }

    /// The endpoint `tenant` serves at `/e/{tenant}/{path}`, from memory in the common
    /// case. A path this node does not know (an endpoint made a moment ago on another
    /// node) is looked up under the same budget as unknown tokens.
    pub async fn endpoint(
        &self,
        tenant: TenantId,
        path: &str,
    ) -> Result<Option<Arc<Endpoint>>, Unavailable> {
        let key = (tenant, path.to_string());
        let load = || self.store.endpoint_by_path(tenant, path);
        if self
            .known_paths
            .read()
            .expect("known-paths lock")
            .contains(&key)
        {
            return self.load_cached(&key, load).await;
        }
        if self.lookups.path_absent(&key) || !self.lookups.take() {
            return Ok(None);
        }
        self.metrics.unknown_lookup();
        let found = self.load_cached(&key, load).await?;
        if found.is_some() {
            self.known_paths
                .write()
                .expect("known-paths lock")
                .insert(key);
        } else {
            self.cache
                .write()
                .expect("cache lock")
                .drop_key(&Key::Endpoint(tenant, path.to_string()));
            remember(
                &mut self.lookups.absent_paths.lock().expect("absent lock"),
                key,
            );
        }
        Ok(found)
    }

    /// The answer to a check that `route` asks, counted and timed for metrics.
    pub async fn verify(
        &self,
        route: Route,
        raw: &str,
        ctx: &VerifyContext<'_>,
    ) -> Result<Verified, Unavailable> {
        let started = Instant::now();
        let answer = self.answer(raw, ctx).await;
        let code = answer.as_ref().ok().map(|v| v.code);
        self.metrics.checked(route, code, started.elapsed());
        answer
    }

    async fn answer(&self, raw: &str, ctx: &VerifyContext<'_>) -> Result<Verified, Unavailable> {
        if raw.len() > MAX_TOKEN_INPUT {
            return Ok(Verified::not_found());
        }
        let (kind, foreign) = match ParsedToken::parse(raw) {
            Ok(parsed) => (parsed.kind, false),
            // A key imported from another system (`POST /api/v1/tokens/import`).
            Err(_) if keyward_core::token::has_foreign_key_shape(raw) => (TokenKind::Api, true),
            Err(_) => return Ok(Verified::not_found()),
        };
        let hash = self.key.hash_token(raw);
        if foreign && !self.is_known(&hash) {
            // Looked up only when its hash is among those stored, never under the budget
            // for unknown hashes: input that is no keyward token reaches storage only
            // for a hash that is there.
            return Ok(Verified::not_found());
        }
        match kind {
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
        if code == VerifyCode::Expired
            && subject.token.kind == TokenKind::Mobile
            && self.may_recheck(subject.token.id)
        {
            // A session slides on use, and another node's uses are written without a
            // change-log entry: before refusing a session as expired, read it again.
            self.cache
                .write()
                .expect("cache lock")
                .drop_dep(Dep::Token(subject.token.id.0));
            let Some(fresh) = self.subject(&hash).await? else {
                return Ok(Verified::not_found());
            };
            subject = fresh;
            code = decide(&subject, ctx, now).code;
        }
        let mut retry_after = None;
        if code == VerifyCode::Valid {
            if let Some(limit) = subject.token.rate_limit() {
                retry_after = self
                    .rate
                    .take(subject.token.id, limit, now.unix_timestamp())
                    .await?;
                if retry_after.is_some() {
                    code = VerifyCode::RateLimited;
                }
            }
        }
        if code == VerifyCode::Valid && subject.token.uses_remaining().is_some() {
            // Counted tokens are the one case that writes per check: the counter must
            // hold across every node, so the store takes the use atomically.
            match self
                .read_storage(self.store.consume_use(subject.token.id))
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    // Spent: drop the cached answer, so that the next check reloads
                    // `uses_remaining = 0` and is refused without touching storage.
                    self.cache
                        .write()
                        .expect("cache lock")
                        .drop_dep(Dep::Token(subject.token.id.0));
                    code = VerifyCode::UsageExceeded;
                }
                Err(u) => return Err(u),
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
                if subject.secret_valid_until().is_some() {
                    // The old secret of a grace period: counted, so the token's page
                    // tells when the integrations have moved to the new one.
                    let mut uses = self.previous_uses.lock().expect("previous-uses lock");
                    let entry = uses.entry(hash).or_insert((0, now));
                    *entry = (entry.0 + 1, now);
                }
            }
        }
        // NOT_FOUND says nothing about which token it was (e.g. an old secret past its
        // grace period), as for a token that never existed.
        if code == VerifyCode::NotFound {
            return Ok(Verified::not_found());
        }
        Ok(Verified {
            code,
            retry_after,
            presented: Presented::owned(subject),
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
            .by_hash(hash, || self.store.endpoint_subject_by_hash(hash))
            .await?;
        let Some(subject) = loaded else {
            return Ok(Verified::not_found());
        };
        let now = OffsetDateTime::now_utc();
        let code = decide_endpoint_token(&subject, ctx, now).code;
        if code == VerifyCode::NotFound {
            return Ok(Verified::not_found());
        }
        if code == VerifyCode::Valid && subject.token.kind == TokenKind::Secondary {
            // For the inactivity policy, written coalesced like API tokens' last use.
            self.endpoint_last_used
                .lock()
                .expect("endpoint last-used lock")
                .insert(subject.token.id, now);
        }
        Ok(Verified {
            code,
            retry_after: None,
            presented: Presented::EndpointToken(subject),
        })
    }

    async fn subject(&self, hash: &TokenHash) -> Result<Option<Arc<Subject>>, Unavailable> {
        // A subject read from storage is moved forward by any slide not yet written.
        self.by_hash(hash, || async {
            let found = self.store.subject_by_hash(hash).await?;
            Ok(found.map(|s| self.with_pending_slide(s)))
        })
        .await
    }

    /// What a secret's hash stands for. A hash whose prefix is known takes the cache; one
    /// this node does not know (a token made a moment ago elsewhere, or a guess) is
    /// looked up in storage under the budget of `lookups`, and refused when the budget is
    /// spent: a flood of well-formed guesses costs the database a bounded rate of reads.
    async fn by_hash<T, F, Fut>(
        &self,
        hash: &TokenHash,
        load: F,
    ) -> Result<Option<Arc<T>>, Unavailable>
    where
        T: Cached<K = TokenHash>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, keyward_store::StoreError>>,
    {
        // A cached answer first: the cache only holds hashes the known set holds, so a hit
        // needs no second lookup in that set (a million prefixes: a cache miss of its own).
        if let Some(found) = self.cached::<T>(hash) {
            return Ok(found);
        }
        if self.is_known(hash) {
            return self.load_stored(hash, load).await;
        }
        if self.lookups.absent(hash) {
            return Ok(None);
        }
        // One lookup per hash at a time: a burst of the same new token waits for one read.
        let gate = InFlight::join(&self.lookups.inflight, *hash);
        let result = async {
            let _turn = gate.gate().lock().await;
            if self.is_known(hash) {
                return self.load_cached(hash, load).await;
            }
            if self.lookups.absent(hash) || !self.lookups.take() {
                return Ok(None);
            }
            self.metrics.unknown_lookup();
            let found = self.load_cached(hash, load).await?;
            match &found {
                Some(_) => {
                    self.known
                        .write()
                        .expect("known-set lock")
                        .insert(hash.prefix64());
                }
                None => {
                    // Kept apart from the cache, which only holds what the filter knows.
                    self.cache
                        .write()
                        .expect("cache lock")
                        .drop_key(&T::key(hash));
                    self.lookups.remember_absent(*hash);
                }
            }
            Ok(found)
        }
        .await;
        drop(gate);
        result
    }

    fn is_known(&self, hash: &TokenHash) -> bool {
        self.known
            .read()
            .expect("known-set lock")
            .contains(hash.prefix64())
    }

    /// The cached answer for `key` (`Some(None)`: remembered as absent), while the feed
    /// is healthy; `None` if nothing is cached or the cache cannot be trusted.
    fn cached<T: Cached>(&self, key: &T::K) -> Option<Option<Arc<T>>> {
        let found = self.cache.read().expect("cache lock").get::<T>(key)?;
        if !self.trusted() {
            return None;
        }
        self.metrics.cache_hit(T::KIND);
        Some(found)
    }

    /// What the cache holds for `key` while the feed is healthy, otherwise what `load`
    /// reads from storage ([`Verifier::load_stored`]).
    async fn load_cached<T, F, Fut>(
        &self,
        key: &T::K,
        load: F,
    ) -> Result<Option<Arc<T>>, Unavailable>
    where
        T: Cached,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, keyward_store::StoreError>>,
    {
        if let Some(found) = self.cached::<T>(key) {
            return Ok(found);
        }
        self.load_stored(key, load).await
    }

    /// What `load` reads from storage for `key`, after the cache had nothing to answer
    /// with (remembered, found or not, unless a change raced the read).
    async fn load_stored<T, F, Fut>(
        &self,
        key: &T::K,
        load: F,
    ) -> Result<Option<Arc<T>>, Unavailable>
    where
        T: Cached,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, keyward_store::StoreError>>,
    {
        let since = self.cache.read().expect("cache lock").generation();
        self.metrics.cache_miss(T::KIND);
        let loaded = self.read_storage(load()).await?;
        let (loaded, _) = self
            .cache
            .write()
            .expect("cache lock")
            .insert::<T>(key, loaded, since);
        Ok(loaded)
    }

    /// Fills the cache with every stored token's answer, a page of `PRELOAD_PAGE` at a
    /// time, so that a node started under load answers from memory within seconds
    /// instead of sending each first check of a million tokens to storage. Run beside
    /// serving: a check before its page is loaded reads storage as usual, and a change
    /// applied while a page was read keeps that page's answers it touched out (the
    /// cache's race check). Stops at half the cache's capacity. Returns how many it kept.
    pub async fn preload(&self) -> Result<usize, keyward_store::StoreError> {
        let started = Instant::now();
        let (mut after, mut kept) = (None, 0);
        loop {
            let since = self.cache.read().expect("cache lock").generation();
            let page = self
                .store
                .subjects_after(after.as_ref(), PRELOAD_PAGE)
                .await?;
            let Some((last, _)) = page.last() else { break };
            after = Some(*last);
            let full = page.len() < PRELOAD_PAGE as usize;
            let mut page = page.into_iter().peekable();
            // The lock is let go every thousand, so checks are not held up behind a page.
            while page.peek().is_some() {
                let mut cache = self.cache.write().expect("cache lock");
                for (hash, subject) in page.by_ref().take(1000) {
                    let subject = self.with_pending_slide(subject);
                    kept += usize::from(cache.insert::<Subject>(&hash, Some(subject), since).1);
                }
            }
            if full || self.cache.read().expect("cache lock").answers() >= cache::CAPACITY / 2 {
                break;
            }
        }
        tracing::info!(
            tokens = kept,
            seconds = started.elapsed().as_secs_f64(),
            "verifier cache preloaded"
        );
        self.preloaded.store(true, Ordering::Relaxed);
        Ok(kept)
    }

    /// Whether an expired session may be read again from storage now: once per
    /// `RECHECK_EXPIRED` per session, so an expired session checked in a loop costs no
    /// read per check.
    fn may_recheck(&self, id: TokenId) -> bool {
        let mut rechecked = self.rechecked.lock().expect("recheck lock");
        if rechecked
            .get(&id)
            .is_some_and(|at| at.elapsed() < RECHECK_EXPIRED)
        {
            return false;
        }
        if rechecked.len() >= NEGATIVE_CAPACITY {
            rechecked.retain(|_, at| at.elapsed() < RECHECK_EXPIRED);
        }
        rechecked.insert(id, Instant::now());
        true
    }

    /// A storage read made for a check: at most `MAX_CONCURRENT_LOADS` at once, each
    /// given `LOAD_TIMEOUT` (the wait for a turn included), and none at all for
    /// `STORAGE_BACKOFF` after one failed, so an outage is answered 503 at once rather
    /// than by every check waiting on a database that is gone.
    async fn read_storage<T>(
        &self,
        read: impl Future<Output = Result<T, keyward_store::StoreError>>,
    ) -> Result<T, Unavailable> {
        if self.elapsed_ms() < self.storage_down_until.load(Ordering::Relaxed) {
            return Err(Unavailable);
        }
        let failed = |what: &dyn std::fmt::Display| {
            let until = self.elapsed_ms() + STORAGE_BACKOFF.as_millis() as u64;
            // Logged once per outage, not once per refused check.
            if self.storage_down_until.swap(until, Ordering::Relaxed) + 1000 < self.elapsed_ms() {
                tracing::error!(error = %what, "storage lookup failed; refusing to confirm until it answers");
            }
            Unavailable
        };
        let guarded = async {
            let _permit = self.loads.acquire().await.map_err(|_| None)?;
            self.metrics.storage_read();
            read.await.map_err(Some)
        };
        match tokio::time::timeout(LOAD_TIMEOUT, guarded).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(Some(e))) => Err(failed(&e)),
            Ok(Err(None)) => Err(Unavailable),
            Err(_) => Err(failed(&"timed out")),
        }
    }

    /// Records a successful check of a mobile session: the use is queued for the next
    /// flush, and the cached answer gets the slid expiry (once it lags by `SLIDE_STEP`).
    fn slide(&self, hash: &TokenHash, subject: Arc<Subject>, now: OffsetDateTime) -> Arc<Subject> {
        let expires_at = keyward_core::session::slid_expiry(now, &subject.owner.settings);
        self.sessions.lock().expect("sessions lock").insert(
            subject.token.id,
            SessionUse {
                at: now,
                expires_at,
            },
        );
        if subject
            .token
            .expires()
            .is_some_and(|e| e + SLIDE_STEP > expires_at)
        {
            return subject;
        }
        let mut slid = (*subject).clone();
        slid.token.expires_at = Some(Moment::of(expires_at));
        let slid = Arc::new(slid);
        // Only the very answer this check used is moved forward: if a change dropped it
        // and a newer one was loaded meanwhile, that one stays (it may refuse).
        let mut cache = self.cache.write().expect("cache lock");
        if cache
            .get::<Subject>(hash)
            .flatten()
            .is_some_and(|s| Arc::ptr_eq(&s, &subject))
        {
            cache.replace(hash, slid.clone());
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
                if s.token.expires() < Some(u.expires_at) {
                    s.token.expires_at = Some(Moment::of(u.expires_at));
                }
            }
        }
        s
    }

    /// Reads the change log from this node's position: registers the secrets and paths
    /// other processes stored, and drops exactly the answers their changes affect (this
    /// process's own entries were applied at commit and are skipped). A successful read
    /// renews the trust in cached answers, from the moment it began.
    pub async fn catch_up(&self) -> Result<usize, keyward_store::StoreError> {
        let mut feed = self.feed.lock().await;
        let began = self.elapsed_ms();
        let (changes, next) = self.store.changes_after(&feed.position).await?;
        {
            let mut own = self.own.lock().expect("own lock");
            feed.own.extend(own.drain());
        }
        let others: Vec<Change> = changes
            .into_iter()
            .filter(|c| feed.own.remove(&c.seq).is_none())
            .collect();
        feed.own.retain(|_, at| at.elapsed() < OWN_ENTRY_TTL);
        if !others.is_empty() {
            let of = |types: &[&str]| -> Vec<String> {
                others
                    .iter()
                    .filter(|c| types.contains(&c.object_type.as_str()))
                    .map(|c| c.object_id.clone())
                    .collect()
            };
            // Each lookup is one query per hundred ids, and none for an empty list.
            let store = &self.store;
            let mut prefixes = store
                .secret_hash_prefixes_of(&of(&["token", "mobile_session"]))
                .await?;
            let endpoint_tokens = of(&["endpoint_token"]);
            prefixes.extend(
                store
                    .endpoint_secret_hash_prefixes_of(&endpoint_tokens)
                    .await?,
            );
            let verifier_keys = of(&["verifier_key"]);
            prefixes.extend(store.verifier_key_hash_prefixes_of(&verifier_keys).await?);
            let paths = store.endpoint_paths_of(&of(&["endpoint"])).await?;
            // Another process's new secret was never seen here, so only the filter needs
            // it; a lookup may have remembered it as absent meanwhile.
            self.known
                .write()
                .expect("known-set lock")
                .extend(prefixes.iter().copied());
            if !prefixes.is_empty() {
                let set: HashSet<u64> = prefixes.into_iter().collect();
                self.lookups
                    .absent
                    .lock()
                    .expect("absent lock")
                    .retain(|h, _| !set.contains(&h.prefix64()));
            }
            self.register(&[], &paths);
            self.apply(&others, Origin::Feed);
        }
        feed.position = next;
        self.feed_read_at.store(began, Ordering::SeqCst);
        Ok(others.len())
    }

    /// Writes the gathered last-use times, and mobile sessions' last activity and slid
    /// expiry. Called every flush interval (`ServerConfig::flush_interval`, 2 s) and at
    /// shutdown, so what is stored lags by at most that interval without a write per
    /// request. False when some of it could not be written (it is kept for the next
    /// flush).
    pub async fn flush_last_used(&self) -> bool {
        let sessions = self.flush_sessions().await;
        let previous = self.flush_previous_uses().await;
        let endpoint = flush_times(&self.endpoint_last_used, "endpoint tokens", async |b| {
            self.store.touch_endpoint_last_used(b).await
        })
        .await;
        let tokens = flush_times(&self.last_used, "tokens", async |b| {
            self.store.touch_last_used(b).await
        })
        .await;
        sessions && previous && endpoint && tokens
    }

    /// Adds the counted uses of previous secrets; on failure they are kept (and added to
    /// what comes meanwhile) for the next flush.
    async fn flush_previous_uses(&self) -> bool {
        let batch: Vec<(TokenHash, i64, OffsetDateTime)> =
            std::mem::take(&mut *self.previous_uses.lock().expect("previous-uses lock"))
                .into_iter()
                .map(|(hash, (n, at))| (hash, n, at))
                .collect();
        if batch.is_empty() {
            return true;
        }
        if let Err(e) = self.store.count_previous_secret_uses(&batch).await {
            tracing::warn!(error = %e, secrets = batch.len(), "could not count uses of previous secrets; will retry");
            let mut pending = self.previous_uses.lock().expect("previous-uses lock");
            for (hash, n, at) in batch {
                let entry = pending.entry(hash).or_insert((0, at));
                *entry = (entry.0 + n, entry.1.max(at));
            }
            return false;
        }
        true
    }

    async fn flush_sessions(&self) -> bool {
        let batch: Vec<(TokenId, SessionUse)> = self
            .sessions
            .lock()
            .expect("sessions lock")
            .iter()
            .map(|(id, u)| (*id, *u))
            .collect();
        if batch.is_empty() {
            return true;
        }
        let rows: Vec<_> = batch
            .iter()
            .map(|(id, u)| (*id, u.at, u.expires_at))
            .collect();
        if let Err(e) = self.store.touch_mobile_sessions(&rows).await {
            tracing::warn!(error = %e, sessions = rows.len(), "could not record session activity; will retry");
            return false;
        }
        // A session used again meanwhile keeps its newer entry for the next flush.
        let mut pending = self.sessions.lock().expect("sessions lock");
        for (id, u) in batch {
            if pending.get(&id) == Some(&u) {
                pending.remove(&id);
            }
        }
        true
    }
}
