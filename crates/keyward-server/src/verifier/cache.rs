//! The verifier's answer cache, with exact invalidation.
//!
//! Every cached answer names what it was computed from (its [`Dep`]s: the token, its
//! user, user type, department and tenant; an endpoint token and the endpoints it is
//! assigned to; …), and an index maps each of those to the answers that depend on it. A
//! change-log entry names one object, so applying it drops exactly the answers built from
//! that object and leaves every other one in place: no global flush, and no periodic
//! reload of answers that nothing changed.
//!
//! Cached tokens are the bulk of the cache (a million of them is a target), so they are
//! kept lean: a token's answer holds its own state and an [`Owner`] shared by every token
//! of its membership, interned here by value. Their dependencies are not indexed per
//! token: a change of a user, user type, department or the tenant's settings marks the
//! owners built from it stale (every token holding one is then a miss), and a change of a
//! token is remembered by its id with the generation it happened at (an answer loaded
//! before it is a miss). A sweep now and then removes what those marks made stale.
//!
//! A storage read can race with a change: it starts before the change commits, and its
//! result is inserted after the change was applied. Each drop therefore bumps a
//! generation and is remembered (as a fingerprint) in a short ring; an insert made by a
//! read that started at an older generation is refused if any drop since then touched
//! one of its dependencies or its key (or the ring no longer reaches back that far), so
//! a stale answer is never kept.

use crate::metrics::CacheKind;
use keyward_core::endpoint::Endpoint;
use keyward_core::model::VerifierKey;
use keyward_core::verify::{EndpointSubject, Owner, Subject};
use keyward_core::{TenantId, TokenHash};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use uuid::Uuid;

/// More cached answers than this and half of them are dropped (a bound on memory, not a
/// consistency mechanism). A cached token costs about 130 bytes, so this bounds the
/// cache near 260 MB, and a store of a million tokens is answered from memory.
pub const CAPACITY: usize = 2_000_000;
/// Token ids changed, or owners marked stale, since the last sweep: past this many, the
/// answers they made stale are removed (otherwise they stay until checked again).
const SWEEP_AT: usize = 4096;
/// Drops remembered for racing reads; a read that spans more drops than this is not cached.
const RING: usize = 4096;

/// Something an answer was computed from, as a change-log entry names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dep {
    Token(Uuid),
    User(Uuid),
    UserType(Uuid),
    Department(Uuid),
    /// The tenant's settings.
    Tenant(Uuid),
    Endpoint(Uuid),
    EndpointToken(Uuid),
    VerifierKey(Uuid),
}

impl Dep {
    /// What a change-log entry of `object_type`/`object_id` in `tenant` can change.
    /// `None` for entries that change no answer (records, logins, console sessions).
    pub fn of_change(c: &keyward_store::Change) -> Option<Dep> {
        if c.action.starts_with("console.") {
            return None;
        }
        // A token or session just made: no answer holds its fresh id (the hash of its
        // secret is let through by the verifier's `register`), so it marks nothing.
        // Marked, each creation would count towards a sweep of every cached token: at
        // 5,000 creations a second, one a second, more the more tokens there are.
        if matches!(
            c.action.as_str(),
            "token.created" | "token.imported" | "mobile_session.created"
        ) {
            return None;
        }
        let id = || c.object_id.parse::<Uuid>().ok();
        Some(match c.object_type.as_str() {
            "token" | "mobile_session" => Dep::Token(id()?),
            // Membership changes are recorded on the user.
            "user" => Dep::User(id()?),
            "user_type" => Dep::UserType(id()?),
            "department" => Dep::Department(id()?),
            "settings" | "tenant" => Dep::Tenant(c.tenant_id.0),
            "endpoint" => Dep::Endpoint(id()?),
            "endpoint_token" => Dep::EndpointToken(id()?),
            "verifier_key" => Dep::VerifierKey(id()?),
            _ => return None,
        })
    }
}

/// Where an answer is kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Token(TokenHash),
    EndpointToken(TokenHash),
    VerifierKey(TokenHash),
    Endpoint(TenantId, String),
}

fn fingerprint(x: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// A kind of cached answer: where it lives in the cache and what it depends on.
pub trait Cached: Sized + Send + Sync + 'static {
    type K: Hash + Eq + Clone + Send + Sync;
    /// The table the answers are kept in.
    type Map: Slots<Self::K, Self>;
    fn map(c: &Cache) -> &Self::Map;
    fn map_mut(c: &mut Cache) -> &mut Self::Map;
    fn key(k: &Self::K) -> Key;
    /// Everything the answer was computed from.
    fn deps(&self, out: &mut Vec<Dep>);
    /// Whether the answer is found through the index of its dependencies. Tokens are
    /// not: they are found through their owner and the changed ids (see the module).
    const INDEXED: bool = true;
    /// What metrics call this kind of answer.
    const KIND: CacheKind;
    /// Whether an answer loaded at generation `loaded` still stands.
    fn live(&self, _c: &Cache, _loaded: u64) -> bool {
        true
    }
    /// Shares what the answer has in common with others already cached.
    fn share(self, _c: &mut Cache) -> Self {
        self
    }
}

/// A cached answer (`None`: remembered as absent) and the generation it was loaded at.
pub struct Slot<T> {
    value: Option<Arc<T>>,
    loaded: u64,
}

/// A table of cached answers by key.
pub trait Slots<K, T>: Default {
    fn get(&self, k: &K) -> Option<&Slot<T>>;
    fn get_mut(&mut self, k: &K) -> Option<&mut Slot<T>>;
    fn insert(&mut self, k: &K, slot: Slot<T>);
    fn remove(&mut self, k: &K) -> bool;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn retain(&mut self, keep: impl FnMut(&K, &Slot<T>) -> bool);
    fn each(&self, f: impl FnMut(&K, &Slot<T>));
}

impl<K: Hash + Eq + Clone, T> Slots<K, T> for HashMap<K, Slot<T>> {
    fn get(&self, k: &K) -> Option<&Slot<T>> {
        HashMap::get(self, k)
    }
    fn get_mut(&mut self, k: &K) -> Option<&mut Slot<T>> {
        HashMap::get_mut(self, k)
    }
    fn insert(&mut self, k: &K, slot: Slot<T>) {
        HashMap::insert(self, k.clone(), slot);
    }
    fn remove(&mut self, k: &K) -> bool {
        HashMap::remove(self, k).is_some()
    }
    fn len(&self) -> usize {
        HashMap::len(self)
    }
    fn retain(&mut self, mut keep: impl FnMut(&K, &Slot<T>) -> bool) {
        HashMap::retain(self, |k, s| keep(k, s));
    }
    fn each(&self, mut f: impl FnMut(&K, &Slot<T>)) {
        self.iter().for_each(|(k, s)| f(k, s));
    }
}

/// The tokens' table, the bulk of the cache: the entries (the full hash and the slot)
/// side by side in one array, and a table of their positions in it. A hash is an HMAC
/// under the server key, evenly spread and chosen by no one, so its first 8 bytes serve
/// as the table's hash ([`spread`]), and a lookup still compares all 32. A million
/// tokens take 2^21 buckets of a 4-byte position and a control byte (10.5 MB) and 48 MB
/// of entries; a map holding the 48 bytes in each bucket takes 100 MB, and a table of
/// pointers to entries allocated one by one took 19 MB for its buckets.
///
/// A removal moves the last entry into the hole, so the array stays dense. Growing past
/// a power of two copies the array once, under the cache's lock, as growing the table
/// rehashes it (at a million, 48 MB: milliseconds, once, while the preload fills it).
pub struct ByHash<T> {
    table: hashbrown::HashTable<u32>,
    entries: Vec<(TokenHash, Slot<T>)>,
}

impl<T> Default for ByHash<T> {
    fn default() -> Self {
        Self {
            table: hashbrown::HashTable::new(),
            entries: Vec::new(),
        }
    }
}

/// The table's hash of `h`: its first 8 bytes, mixed (splitmix64's finaliser) so that
/// every bit of them reaches the low bits the table picks a bucket by. An HMAC needs no
/// mixing; hashes made up for tests and benchmarks do (a counter in the first bytes put
/// every entry in one bucket group).
fn spread(h: &TokenHash) -> u64 {
    let mut x = h.prefix64();
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl<T> ByHash<T> {
    fn position(&self, k: &TokenHash) -> Option<usize> {
        let entries = &self.entries;
        self.table
            .find(spread(k), |&i| entries[i as usize].0 == *k)
            .map(|&i| i as usize)
    }

    /// Removes the entry at `at`, whose hash is `k`, moving the last entry into its place.
    fn remove_at(&mut self, at: usize) {
        let k = self.entries[at].0;
        let found = self.table.find_entry(spread(&k), |&i| i as usize == at);
        found.expect("every entry is in the table").remove();
        let last = self.entries.len() - 1;
        self.entries.swap_remove(at);
        if at != last {
            let moved = self.entries[at].0;
            let slot = self.table.find_mut(spread(&moved), |&i| i as usize == last);
            *slot.expect("every entry is in the table") = at as u32;
        }
    }
}

impl<T> Slots<TokenHash, T> for ByHash<T> {
    fn get(&self, k: &TokenHash) -> Option<&Slot<T>> {
        self.position(k).map(|i| &self.entries[i].1)
    }
    fn get_mut(&mut self, k: &TokenHash) -> Option<&mut Slot<T>> {
        self.position(k).map(|i| &mut self.entries[i].1)
    }
    fn insert(&mut self, k: &TokenHash, slot: Slot<T>) {
        let entries = &self.entries;
        let found = self.table.entry(
            spread(k),
            |&i| entries[i as usize].0 == *k,
            |&i| spread(&entries[i as usize].0),
        );
        match found {
            hashbrown::hash_table::Entry::Occupied(o) => self.entries[*o.get() as usize].1 = slot,
            hashbrown::hash_table::Entry::Vacant(v) => {
                // More than 4 billion cached tokens is beyond `CAPACITY` by far.
                let at = u32::try_from(self.entries.len()).expect("cache entries fit a u32");
                v.insert(at);
                self.entries.push((*k, slot));
            }
        }
    }
    fn remove(&mut self, k: &TokenHash) -> bool {
        match self.position(k) {
            Some(at) => {
                self.remove_at(at);
                true
            }
            None => false,
        }
    }
    fn len(&self) -> usize {
        self.entries.len()
    }
    fn retain(&mut self, mut keep: impl FnMut(&TokenHash, &Slot<T>) -> bool) {
        let mut at = 0;
        while at < self.entries.len() {
            let (k, slot) = &self.entries[at];
            if keep(k, slot) {
                at += 1;
            } else {
                // The last entry moves here, and is looked at next.
                self.remove_at(at);
            }
        }
        // The table and the array keep their room when emptied; mostly empty, they give
        // it back.
        if self.entries.len() < self.entries.capacity() / 4 {
            self.entries.shrink_to_fit();
            let entries = &self.entries;
            self.table
                .shrink_to_fit(|&i| spread(&entries[i as usize].0));
        }
    }
    fn each(&self, mut f: impl FnMut(&TokenHash, &Slot<T>)) {
        self.entries.iter().for_each(|e| f(&e.0, &e.1));
    }
}

#[derive(Default)]
pub struct Cache {
    tokens: ByHash<Subject>,
    endpoint_tokens: HashMap<TokenHash, Slot<EndpointSubject>>,
    verifier_keys: HashMap<TokenHash, Slot<VerifierKey>>,
    endpoints: HashMap<(TenantId, String), Slot<Endpoint>>,
    /// The answers other than tokens, by what they were computed from.
    index: HashMap<Dep, Vec<Key>>,
    /// One copy of each owner the cached tokens hold, and the owners by what they were
    /// computed from (user, user type, department, tenant).
    owners: HashSet<Arc<Owner>>,
    owners_by: HashMap<Dep, Vec<std::sync::Weak<Owner>>>,
    /// Tokens changed since the last sweep, with the generation of their last change.
    changed_tokens: HashMap<uuid::Uuid, u64>,
    /// Owners marked stale since the last sweep.
    stale_owners: usize,
    /// `CAPACITY`, unless a test sets a smaller bound.
    bound: Option<usize>,
    /// Keys in `index`, with those of answers dropped through another dependency since
    /// it was last rebuilt (they stay until then).
    indexed: usize,
    /// Keys in `index` right after it was last rebuilt: all of them live.
    live_at_rebuild: usize,
    /// How many times the index was rebuilt, and the tokens swept (for tests).
    rebuilds: u64,
    sweeps: u64,
    generation: u64,
    recent: VecDeque<(u64, u64)>,
}

impl Cached for Subject {
    const KIND: CacheKind = CacheKind::Token;
    type K = TokenHash;
    type Map = ByHash<Self>;
    fn map(c: &Cache) -> &ByHash<Self> {
        &c.tokens
    }
    fn map_mut(c: &mut Cache) -> &mut ByHash<Self> {
        &mut c.tokens
    }
    fn key(k: &TokenHash) -> Key {
        Key::Token(*k)
    }
    fn deps(&self, out: &mut Vec<Dep>) {
        out.push(Dep::Token(self.token.id.0));
        out.extend(owner_deps(&self.owner));
    }
    const INDEXED: bool = false;
    fn live(&self, c: &Cache, loaded: u64) -> bool {
        !self.owner.stale.is_set()
            && (c.changed_tokens.is_empty()
                || c.changed_tokens
                    .get(&self.token.id.0)
                    .is_none_or(|changed| *changed <= loaded))
    }
    fn share(mut self, c: &mut Cache) -> Self {
        match c.owners.get(&*self.owner) {
            Some(o) => self.owner = o.clone(),
            None => {
                for d in owner_deps(&self.owner) {
                    c.owners_by
                        .entry(d)
                        .or_default()
                        .push(Arc::downgrade(&self.owner));
                }
                c.owners.insert(self.owner.clone());
            }
        }
        self
    }
}

/// What an owner was computed from.
fn owner_deps(o: &Owner) -> [Dep; 4] {
    [
        Dep::User(o.user_id.0),
        Dep::UserType(o.user_type_id.0),
        Dep::Department(o.department_id.0),
        Dep::Tenant(o.tenant_id.0),
    ]
}

impl Cached for EndpointSubject {
    const KIND: CacheKind = CacheKind::EndpointToken;
    type K = TokenHash;
    type Map = HashMap<TokenHash, Slot<Self>>;
    fn map(c: &Cache) -> &Self::Map {
        &c.endpoint_tokens
    }
    fn map_mut(c: &mut Cache) -> &mut Self::Map {
        &mut c.endpoint_tokens
    }
    fn key(k: &TokenHash) -> Key {
        Key::EndpointToken(*k)
    }
    fn deps(&self, out: &mut Vec<Dep>) {
        out.push(Dep::EndpointToken(self.token.id.0));
        out.extend(self.token.endpoint_id.map(|e| Dep::Endpoint(e.0)));
        out.extend(
            self.assignments
                .iter()
                .map(|g| Dep::Endpoint(g.endpoint_id.0)),
        );
    }
}

impl Cached for VerifierKey {
    const KIND: CacheKind = CacheKind::VerifierKey;
    type K = TokenHash;
    type Map = HashMap<TokenHash, Slot<Self>>;
    fn map(c: &Cache) -> &Self::Map {
        &c.verifier_keys
    }
    fn map_mut(c: &mut Cache) -> &mut Self::Map {
        &mut c.verifier_keys
    }
    fn key(k: &TokenHash) -> Key {
        Key::VerifierKey(*k)
    }
    fn deps(&self, out: &mut Vec<Dep>) {
        out.push(Dep::VerifierKey(self.id.0));
    }
}

impl Cached for Endpoint {
    const KIND: CacheKind = CacheKind::Endpoint;
    type K = (TenantId, String);
    type Map = HashMap<(TenantId, String), Slot<Self>>;
    fn map(c: &Cache) -> &Self::Map {
        &c.endpoints
    }
    fn map_mut(c: &mut Cache) -> &mut Self::Map {
        &mut c.endpoints
    }
    fn key(k: &(TenantId, String)) -> Key {
        Key::Endpoint(k.0, k.1.clone())
    }
    fn deps(&self, out: &mut Vec<Dep>) {
        out.push(Dep::Endpoint(self.id.0));
    }
}

impl Cache {
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The cached answer for `k`: `None` if nothing is cached (or what is cached went
    /// stale), `Some(None)` for a remembered absence.
    pub fn get<T: Cached>(&self, k: &T::K) -> Option<Option<Arc<T>>> {
        let slot = T::map(self).get(k)?;
        match &slot.value {
            Some(v) if !v.live(self, slot.loaded) => None,
            v => Some(v.clone()),
        }
    }

    /// Replaces a cached answer in place (a mobile session's slid expiry), keeping its
    /// dependencies, which a slide does not change.
    pub fn replace<T: Cached>(&mut self, k: &T::K, v: Arc<T>) {
        if let Some(slot) = T::map_mut(self).get_mut(k) {
            slot.value = Some(v);
        }
    }

    /// How many answers are cached.
    pub fn answers(&self) -> usize {
        self.len()
    }

    fn len(&self) -> usize {
        self.tokens.len()
            + self.endpoint_tokens.len()
            + self.verifier_keys.len()
            + self.endpoints.len()
    }

    /// Keeps what a storage read that began at `since` (a [`Cache::generation`]) found,
    /// unless a change applied meanwhile may have made it stale. Returns the answer (with
    /// what it shares with cached ones) and whether it was kept.
    pub fn insert<T: Cached>(
        &mut self,
        k: &T::K,
        v: Option<T>,
        since: u64,
    ) -> (Option<Arc<T>>, bool) {
        let key = T::key(k);
        let mut deps = Vec::new();
        if let Some(v) = &v {
            v.deps(&mut deps);
        }
        if self.generation != since {
            let reaches = self.recent.front().is_some_and(|(g, _)| *g <= since + 1);
            let dropped: Vec<u64> = self
                .recent
                .iter()
                .filter(|(g, _)| *g > since)
                .map(|(_, f)| *f)
                .collect();
            let mut touched = deps.iter().map(fingerprint).chain([fingerprint(&key)]);
            if !reaches || touched.any(|f| dropped.contains(&f)) {
                return (v.map(Arc::new), false);
            }
        }
        if self.len() >= self.bound.unwrap_or(CAPACITY) {
            self.evict_half();
        }
        let v = v.map(|v| Arc::new(v.share(self)));
        if T::INDEXED && v.is_some() {
            for d in deps {
                self.index.entry(d).or_default().push(key.clone());
                self.indexed += 1;
            }
        }
        let slot = Slot {
            value: v.clone(),
            loaded: self.generation,
        };
        T::map_mut(self).insert(k, slot);
        // Rebuilt when it has doubled since the last rebuild, so that the rebuilds cost
        // O(1) per insert however many dependencies an answer has.
        if self.indexed > 2 * self.live_at_rebuild + 10_000 {
            self.reindex();
        }
        (v, true)
    }

    /// Drops every answer computed from `dep`: at once those found through the index,
    /// and by marking the tokens' (found on their next check, and removed by the next
    /// sweep). Returns how many indexed answers were dropped and owners marked.
    pub fn drop_dep(&mut self, dep: Dep) -> usize {
        self.remember(fingerprint(&dep));
        let mut n = 0;
        if let Dep::Token(id) = dep {
            self.changed_tokens.insert(id, self.generation);
        }
        if let Some(owners) = self.owners_by.remove(&dep) {
            for o in owners.iter().filter_map(std::sync::Weak::upgrade) {
                if !o.stale.is_set() {
                    o.stale.set();
                    self.owners.remove(&*o);
                    self.stale_owners += 1;
                    n += 1;
                }
            }
        }
        if let Some(keys) = self.index.remove(&dep) {
            n += keys.iter().filter(|k| self.remove_key(k)).count();
        }
        if self.changed_tokens.len() + self.stale_owners > SWEEP_AT {
            self.sweep();
        }
        n
    }

    /// Removes the token answers that changed ids and stale owners made misses, and
    /// forgets those marks, and the owners no cached token holds any more.
    fn sweep(&mut self) {
        // What a lookup would find stale is removed: the same rule (`Cached::live`).
        let mut tokens = std::mem::take(&mut self.tokens);
        tokens.retain(|_, slot| {
            slot.value
                .as_ref()
                .is_none_or(|s| s.live(self, slot.loaded))
        });
        self.tokens = tokens;
        self.changed_tokens.clear();
        // Only this map holds an owner no token holds.
        self.owners.retain(|o| Arc::strong_count(o) > 1);
        self.owners_by.retain(|_, v| {
            v.retain(|o| o.upgrade().is_some_and(|o| !o.stale.is_set()));
            !v.is_empty()
        });
        self.stale_owners = 0;
        self.sweeps += 1;
    }

    /// Drops the answer kept at `key` (a secret or path that was just stored, which may
    /// have been remembered as absent).
    pub fn drop_key(&mut self, key: &Key) {
        self.remember(fingerprint(key));
        self.remove_key(key);
    }

    pub fn clear(&mut self) {
        let (generation, bound) = (self.generation + 1, self.bound);
        *self = Cache {
            generation,
            bound,
            ..Default::default()
        };
    }

    fn remember(&mut self, fp: u64) {
        self.generation += 1;
        self.recent.push_back((self.generation, fp));
        if self.recent.len() > RING {
            self.recent.pop_front();
        }
    }

    fn remove_key(&mut self, key: &Key) -> bool {
        match key {
            Key::Token(h) => self.tokens.remove(h),
            Key::EndpointToken(h) => self.endpoint_tokens.remove(h).is_some(),
            Key::VerifierKey(h) => self.verifier_keys.remove(h).is_some(),
            Key::Endpoint(t, p) => self.endpoints.remove(&(*t, p.clone())).is_some(),
        }
    }

    /// Makes room by dropping about half of the answers, picked at random (by a bit of
    /// each key's hash under a key made for this eviction), not all of them: a full
    /// cache sheds load gradually instead of sending every check to storage at once.
    /// Not every other one in a table's order: the tokens' array is in about the order
    /// they were cached, and its removals move entries. Removing answers is always safe;
    /// the index is rebuilt so it names only what is kept.
    fn evict_half(&mut self) {
        fn halve<T: Cached>(c: &mut Cache) {
            use std::hash::BuildHasher;
            let pick = std::hash::RandomState::new();
            T::map_mut(c).retain(|k, _| pick.hash_one(k) & 1 == 0);
        }
        halve::<Subject>(self);
        halve::<EndpointSubject>(self);
        halve::<VerifierKey>(self);
        halve::<Endpoint>(self);
        self.reindex();
        self.sweep();
    }

    /// Rebuilds the index from the answers kept, forgetting keys of dropped ones.
    fn reindex(&mut self) {
        let mut index: HashMap<Dep, Vec<Key>> = HashMap::new();
        let mut deps = Vec::new();
        fn add<T: Cached>(
            map: &T::Map,
            index: &mut HashMap<Dep, Vec<Key>>,
            deps: &mut Vec<Dep>,
        ) -> usize {
            let mut n = 0;
            map.each(|k, slot| {
                if let Some(v) = slot.value.as_ref().filter(|_| T::INDEXED) {
                    deps.clear();
                    v.deps(deps);
                    for d in deps.iter() {
                        index.entry(*d).or_default().push(T::key(k));
                        n += 1;
                    }
                }
            });
            n
        }
        let n = add::<Subject>(&self.tokens, &mut index, &mut deps)
            + add::<EndpointSubject>(&self.endpoint_tokens, &mut index, &mut deps)
            + add::<VerifierKey>(&self.verifier_keys, &mut index, &mut deps)
            + add::<Endpoint>(&self.endpoints, &mut index, &mut deps);
        self.index = index;
        self.indexed = n;
        self.live_at_rebuild = n;
        self.rebuilds += 1;
    }

    #[cfg(test)]
    fn rebuilds(&self) -> u64 {
        self.rebuilds
    }

    #[cfg(test)]
    fn owners(&self) -> usize {
        self.owners.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::VerifierKeyId;

    fn key(n: u8) -> (TokenHash, VerifierKey) {
        let now = time::OffsetDateTime::now_utc();
        let v = VerifierKey {
            id: VerifierKeyId::new(),
            tenant_id: TenantId::new(),
            name: format!("k{n}"),
            description: String::new(),
            hint: String::new(),
            created_at: now,
            created_by: None,
            updated_at: now,
        };
        (TokenHash([n; 32]), v)
    }

    /// A creation marks nothing, so creations in bulk never sweep the cache; every other
    /// change of a token drops its answers.
    #[test]
    fn only_changes_of_existing_tokens_mark_them() {
        let change = |action: &str, object_type: &str| keyward_store::Change {
            seq: 1,
            tenant_id: TenantId::new(),
            action: action.into(),
            object_type: object_type.into(),
            object_id: uuid::Uuid::new_v4().to_string(),
        };
        for (action, object_type) in [
            ("token.created", "token"),
            ("token.imported", "token"),
            ("mobile_session.created", "mobile_session"),
        ] {
            assert_eq!(
                Dep::of_change(&change(action, object_type)),
                None,
                "{action}"
            );
        }
        for (action, object_type) in [
            ("token.revoked", "token"),
            ("token.regenerated", "token"),
            ("token.updated", "token"),
            ("mobile_session.deleted", "mobile_session"),
        ] {
            assert!(
                matches!(
                    Dep::of_change(&change(action, object_type)),
                    Some(Dep::Token(_))
                ),
                "{action}"
            );
        }
        // Past `SWEEP_AT` creations, the cached tokens are still all there, unswept.
        let mut c = Cache::default();
        fill(&mut c, 10);
        for _ in 0..=SWEEP_AT {
            if let Some(d) = Dep::of_change(&change("token.created", "token")) {
                c.drop_dep(d);
            }
        }
        assert_eq!((c.sweeps, cached(&c, 10)), (0, 10));
    }

    /// The tokens' table keeps every entry it holds findable through inserts, removals
    /// and sweeps (each of which moves the last entry into a hole), against a plain map.
    #[test]
    fn the_tokens_table_agrees_with_a_map() {
        use proptest::prelude::*;
        #[derive(Debug, Clone)]
        enum Op {
            Insert(u8, u64),
            Remove(u8),
            Retain(u64),
        }
        let op = prop_oneof![
            (any::<u8>(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
            any::<u8>().prop_map(Op::Remove),
            (2u64..5).prop_map(Op::Retain),
        ];
        proptest!(|(ops in proptest::collection::vec(op, 1..300))| {
            let mut table = ByHash::<u64>::default();
            let mut model = HashMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        table.insert(&hash(u32::from(k)), Slot { value: Some(Arc::new(v)), loaded: v });
                        model.insert(k, v);
                    }
                    Op::Remove(k) => {
                        prop_assert_eq!(table.remove(&hash(u32::from(k))), model.remove(&k).is_some());
                    }
                    Op::Retain(m) => {
                        table.retain(|_, s| s.loaded % m != 0);
                        model.retain(|_, v| *v % m != 0);
                    }
                }
                prop_assert_eq!(table.len(), model.len());
                prop_assert_eq!(table.table.len(), table.entries.len());
                for (at, (k, _)) in table.entries.iter().enumerate() {
                    prop_assert_eq!(table.position(k), Some(at));
                }
                for k in 0..=u8::MAX {
                    let found = table.get(&hash(u32::from(k))).map(|s| s.loaded);
                    prop_assert_eq!(found, model.get(&k).copied());
                }
            }
        });
    }

    fn hash(n: u32) -> TokenHash {
        let mut hash = [0u8; 32];
        hash[..4].copy_from_slice(&n.to_le_bytes());
        TokenHash(hash)
    }

    /// `n` tokens of one membership, each read from storage on its own (so each with its
    /// own copy of the owner), cached.
    fn fill(c: &mut Cache, n: u32) -> Subject {
        let first = Subject::example(time::OffsetDateTime::now_utc());
        for i in 0..n {
            let mut s = first.clone();
            s.token.id = keyward_core::TokenId::new();
            s.owner = Arc::new((*first.owner).clone());
            assert!(c.insert(&hash(i), Some(s), c.generation()).1);
        }
        first
    }

    fn cached(c: &Cache, n: u32) -> usize {
        (0..n)
            .filter(|i| c.get::<Subject>(&hash(*i)).is_some())
            .count()
    }

    /// A million cached tokens must not carry a million copies of what their owner
    /// shares: the user, the membership, the permissions, the tenant's settings.
    #[test]
    fn tokens_of_one_membership_share_one_owner() {
        let mut c = Cache::default();
        fill(&mut c, 1000);
        assert_eq!(c.owners(), 1);
        let a = c.get::<Subject>(&hash(0)).flatten().unwrap();
        let b = c.get::<Subject>(&hash(999)).flatten().unwrap();
        assert!(Arc::ptr_eq(&a.owner, &b.owner));
        assert_ne!(a.token.id, b.token.id);
    }

    /// A change of the user (or user type, department, tenant settings) makes every
    /// token of the owner a miss at once, whatever their number, and leaves others.
    #[test]
    fn a_change_of_the_owner_drops_each_of_its_tokens_and_no_other() {
        let mut c = Cache::default();
        let first = fill(&mut c, 100_000);
        let mut other = Subject::example(time::OffsetDateTime::now_utc());
        other.owner_mut().tenant_id = first.owner.tenant_id;
        assert!(c.insert(&hash(u32::MAX), Some(other), c.generation()).1);
        assert!(c.rebuilds() <= 1, "{} rebuilds", c.rebuilds());
        assert_eq!(c.drop_dep(Dep::User(first.owner.user_id.0)), 1);
        assert_eq!(cached(&c, 100_000), 0);
        assert!(
            c.get::<Subject>(&hash(u32::MAX)).is_some(),
            "another user's token stays"
        );
        // Read again, a token gets a fresh owner, not the stale one.
        let mut again = first.clone();
        again.owner = Arc::new((*first.owner).clone());
        let (kept, _) = c.insert(&hash(7), Some(again), c.generation());
        assert!(!kept.unwrap().owner.stale.is_set());
        assert_eq!(cached(&c, 100_000), 1);
        // The tenant's settings reach every owner of the tenant.
        assert_eq!(c.drop_dep(Dep::Tenant(first.owner.tenant_id.0)), 2);
        assert!(c.get::<Subject>(&hash(u32::MAX)).is_none());
    }

    /// The tokens' table finds an entry by the first 8 bytes of its hash, but answers
    /// only for the whole hash: two secrets whose hashes share a prefix are two tokens.
    #[test]
    fn hashes_sharing_a_prefix_are_kept_apart() {
        let mut c = Cache::default();
        let first = fill(&mut c, 1);
        let (mut a, mut b) = (hash(7), hash(7));
        a.0[31] = 1;
        b.0[31] = 2;
        assert_eq!(a.prefix64(), b.prefix64());
        let mut other = first.clone();
        other.token.id = keyward_core::TokenId::new();
        assert!(c.insert(&a, Some(first.clone()), c.generation()).1);
        assert!(c.insert(&b, Some(other.clone()), c.generation()).1);
        assert!(
            c.get::<Subject>(&hash(7)).is_none(),
            "same prefix, other hash"
        );
        let id = |c: &Cache, h| c.get::<Subject>(h).flatten().map(|s| s.token.id);
        assert_eq!(id(&c, &a), Some(first.token.id));
        assert_eq!(id(&c, &b), Some(other.token.id));
        c.drop_key(&Key::Token(a));
        assert_eq!(id(&c, &a), None);
        assert_eq!(id(&c, &b), Some(other.token.id));
        // Replaced in place, not added beside.
        let n = c.tokens.len();
        assert!(c.insert::<Subject>(&b, None, c.generation()).1);
        assert_eq!(c.tokens.len(), n);
        assert_eq!(c.get::<Subject>(&b).map(|s| s.is_none()), Some(true));
    }

    /// What a cached token costs, as an operator with a million of them sees it: a
    /// 4-byte position in the table, a 48-byte entry (the hash and the slot), and the
    /// answer in a 64-byte allocation, its limits apart for the few tokens that set any.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn a_cached_token_stays_compact() {
        use std::mem::size_of;
        assert_eq!(size_of::<(TokenHash, Slot<Subject>)>(), 48);
        // An `Arc`'s allocation is the value and two counters.
        let arc = size_of::<Subject>() + 2 * size_of::<usize>();
        assert!(arc <= 64, "{arc} bytes");
    }

    #[test]
    fn a_change_of_a_token_drops_that_token_until_it_is_read_again() {
        let mut c = Cache::default();
        fill(&mut c, 10);
        let changed = c.get::<Subject>(&hash(3)).flatten().unwrap();
        c.drop_dep(Dep::Token(changed.token.id.0));
        assert!(c.get::<Subject>(&hash(3)).is_none());
        assert_eq!(cached(&c, 10), 9);
        // Read after the change, it stands.
        let (_, kept) = c.insert(&hash(3), Some((*changed).clone()), c.generation());
        assert!(kept);
        assert!(c.get::<Subject>(&hash(3)).is_some());
    }

    /// The marks are bounded: past `SWEEP_AT` of them, what they made stale is removed
    /// and they are forgotten, and what they did not touch is kept.
    #[test]
    fn a_sweep_removes_what_changes_made_stale_and_nothing_else() {
        let mut c = Cache::default();
        let n = SWEEP_AT as u32 + 100;
        fill(&mut c, n);
        let ids: Vec<_> = (0..=SWEEP_AT as u32)
            .map(|i| c.get::<Subject>(&hash(i)).flatten().unwrap().token.id)
            .collect();
        for id in ids {
            c.drop_dep(Dep::Token(id.0));
        }
        assert_eq!(c.sweeps, 1);
        assert!(c.changed_tokens.is_empty());
        assert_eq!(c.tokens.len(), n as usize - SWEEP_AT - 1);
        assert_eq!(cached(&c, n), n as usize - SWEEP_AT - 1);
    }

    #[test]
    fn a_drop_removes_exactly_the_answers_of_its_dependency() {
        let mut c = Cache::default();
        let (h1, k1) = key(1);
        let (h2, k2) = key(2);
        assert!(c.insert(&h1, Some(k1.clone()), c.generation()).1);
        assert!(c.insert(&h2, Some(k2), c.generation()).1);
        assert_eq!(c.drop_dep(Dep::VerifierKey(k1.id.0)), 1);
        assert!(c.get::<VerifierKey>(&h1).is_none());
        assert!(
            c.get::<VerifierKey>(&h2).is_some(),
            "the other answer stays"
        );
        assert_eq!(c.drop_dep(Dep::VerifierKey(k1.id.0)), 0);
    }

    #[test]
    fn a_read_that_raced_a_drop_of_its_dependency_is_not_kept() {
        let mut c = Cache::default();
        let (h1, k1) = key(1);
        let since = c.generation();
        // A drop of something else meanwhile does not matter …
        c.drop_dep(Dep::User(uuid::Uuid::new_v4()));
        assert!(c.insert(&h1, Some(k1.clone()), since).1);
        // … a drop of what the answer was computed from does.
        let since = c.generation();
        c.drop_dep(Dep::VerifierKey(k1.id.0));
        assert!(!c.insert(&h1, Some(k1.clone()), since).1);
        assert!(c.get::<VerifierKey>(&h1).is_none());
        // So does a drop of its key (a secret stored meanwhile), for an absence too.
        let since = c.generation();
        c.drop_key(&Key::VerifierKey(h1));
        assert!(!c.insert::<VerifierKey>(&h1, None, since).1);
        // And for a token, a change of its owner's user.
        let s = Subject::example(time::OffsetDateTime::now_utc());
        let since = c.generation();
        c.drop_dep(Dep::User(s.owner.user_id.0));
        assert!(!c.insert(&hash(1), Some(s), since).1);
    }

    #[test]
    fn a_read_older_than_the_ring_remembers_is_not_kept() {
        let mut c = Cache::default();
        let (h1, k1) = key(1);
        let since = c.generation();
        for _ in 0..=RING {
            c.drop_dep(Dep::User(uuid::Uuid::new_v4()));
        }
        assert!(!c.insert(&h1, Some(k1), since).1);
    }

    /// A full cache drops about half of its tokens, the long cached (a node's preload)
    /// and the recent alike, rather than mostly the oldest.
    #[test]
    fn a_full_cache_of_tokens_drops_about_half_old_and_new_alike() {
        const BOUND: u32 = 10_000;
        let mut c = Cache {
            bound: Some(BOUND as usize),
            ..Default::default()
        };
        fill(&mut c, BOUND + 1);
        let kept =
            |r: std::ops::Range<u32>| r.filter(|i| c.get::<Subject>(&hash(*i)).is_some()).count();
        let (old, new) = (kept(0..BOUND / 2), kept(BOUND / 2..BOUND));
        assert!(
            old > 1_500 && new > 1_500,
            "{old} old and {new} recent kept"
        );
        assert!(old + new < 7_000, "{old} old and {new} recent kept");
    }

    #[test]
    fn a_full_cache_drops_half_and_keeps_its_index_exact() {
        const CAPACITY: usize = 20_000;
        let mut c = Cache {
            bound: Some(CAPACITY),
            ..Default::default()
        };
        let mut keys = Vec::new();
        for i in 0..CAPACITY {
            let h = TokenHash({
                let mut b = [0u8; 32];
                b[..8].copy_from_slice(&(i as u64).to_le_bytes());
                b
            });
            let (_, k) = key(0);
            keys.push((h, k.id));
            assert!(c.insert(&h, Some(k), c.generation()).1);
        }
        let (h, k) = key(7);
        assert!(c.insert(&h, Some(k), c.generation()).1);
        let kept = c.len();
        assert!(kept > CAPACITY / 3 && kept < CAPACITY, "{kept}");
        // Every answer still cached is still dropped by its dependency.
        let (h0, k0) = keys
            .iter()
            .find(|(h, _)| c.get::<VerifierKey>(h).is_some())
            .cloned()
            .unwrap();
        assert_eq!(c.drop_dep(Dep::VerifierKey(k0.0)), 1);
        assert!(c.get::<VerifierKey>(&h0).is_none());
    }
}
