//! The verifier's answer cache, with exact invalidation.
//!
//! Every cached answer names what it was computed from (its [`Dep`]s: the token, its
//! user, user type, department and tenant; an endpoint token and the endpoints it is
//! assigned to; …), and an index maps each of those to the answers that depend on it. A
//! change-log entry names one object, so applying it drops exactly the answers built from
//! that object and leaves every other one in place: no global flush, and no periodic
//! reload of answers that nothing changed.
//!
//! A storage read can race with a change: it starts before the change commits, and its
//! result is inserted after the change was applied. Each drop therefore bumps a
//! generation and is remembered (as a fingerprint) in a short ring; an insert made by a
//! read that started at an older generation is refused if any drop since then touched
//! one of its dependencies or its key (or the ring no longer reaches back that far), so
//! a stale answer is never kept.

use keyward_core::endpoint::Endpoint;
use keyward_core::model::VerifierKey;
use keyward_core::verify::{EndpointSubject, Subject};
use keyward_core::{TenantId, TokenHash};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use uuid::Uuid;

/// More cached answers than this and half of them are dropped (a bound on memory, not a
/// consistency mechanism).
const CAPACITY: usize = 200_000;
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
    fn map(c: &Cache) -> &HashMap<Self::K, Option<Arc<Self>>>;
    fn map_mut(c: &mut Cache) -> &mut HashMap<Self::K, Option<Arc<Self>>>;
    fn key(k: &Self::K) -> Key;
    fn deps(&self, out: &mut Vec<Dep>);
}

#[derive(Default)]
pub struct Cache {
    tokens: HashMap<TokenHash, Option<Arc<Subject>>>,
    endpoint_tokens: HashMap<TokenHash, Option<Arc<EndpointSubject>>>,
    verifier_keys: HashMap<TokenHash, Option<Arc<VerifierKey>>>,
    endpoints: HashMap<(TenantId, String), Option<Arc<Endpoint>>>,
    index: HashMap<Dep, Vec<Key>>,
    /// Keys in `index`, with those of answers dropped through another dependency since
    /// it was last rebuilt (they stay until then).
    indexed: usize,
    /// Keys in `index` right after it was last rebuilt: all of them live.
    live_at_rebuild: usize,
    /// How many times the index was rebuilt (for tests of its cost).
    rebuilds: u64,
    generation: u64,
    recent: VecDeque<(u64, u64)>,
}

impl Cached for Subject {
    type K = TokenHash;
    fn map(c: &Cache) -> &HashMap<TokenHash, Option<Arc<Self>>> {
        &c.tokens
    }
    fn map_mut(c: &mut Cache) -> &mut HashMap<TokenHash, Option<Arc<Self>>> {
        &mut c.tokens
    }
    fn key(k: &TokenHash) -> Key {
        Key::Token(*k)
    }
    fn deps(&self, out: &mut Vec<Dep>) {
        let t = &self.token;
        out.extend([
            Dep::Token(t.id.0),
            Dep::User(t.user_id.0),
            Dep::UserType(t.user_type_id.0),
            Dep::Department(t.department_id.0),
            Dep::Tenant(t.tenant_id.0),
        ]);
    }
}

impl Cached for EndpointSubject {
    type K = TokenHash;
    fn map(c: &Cache) -> &HashMap<TokenHash, Option<Arc<Self>>> {
        &c.endpoint_tokens
    }
    fn map_mut(c: &mut Cache) -> &mut HashMap<TokenHash, Option<Arc<Self>>> {
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
    type K = TokenHash;
    fn map(c: &Cache) -> &HashMap<TokenHash, Option<Arc<Self>>> {
        &c.verifier_keys
    }
    fn map_mut(c: &mut Cache) -> &mut HashMap<TokenHash, Option<Arc<Self>>> {
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
    type K = (TenantId, String);
    fn map(c: &Cache) -> &HashMap<(TenantId, String), Option<Arc<Self>>> {
        &c.endpoints
    }
    fn map_mut(c: &mut Cache) -> &mut HashMap<(TenantId, String), Option<Arc<Self>>> {
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

    /// The cached answer for `k`: `None` if nothing is cached, `Some(None)` for a
    /// remembered absence.
    pub fn get<T: Cached>(&self, k: &T::K) -> Option<Option<Arc<T>>> {
        T::map(self).get(k).cloned()
    }

    /// Replaces a cached answer in place (a mobile session's slid expiry), keeping its
    /// dependencies, which a slide does not change.
    pub fn replace<T: Cached>(&mut self, k: &T::K, v: Arc<T>) {
        if let Some(slot) = T::map_mut(self).get_mut(k) {
            *slot = Some(v);
        }
    }

    fn len(&self) -> usize {
        self.tokens.len()
            + self.endpoint_tokens.len()
            + self.verifier_keys.len()
            + self.endpoints.len()
    }

    /// Keeps what a storage read that began at `since` (a [`Cache::generation`]) found,
    /// unless a change applied meanwhile may have made it stale. Returns whether it was kept.
    pub fn insert<T: Cached>(&mut self, k: &T::K, v: Option<Arc<T>>, since: u64) -> bool {
        let key = T::key(k);
        let mut deps = Vec::new();
        if let Some(v) = &v {
            v.deps(&mut deps);
        }
        if self.generation != since {
            let reaches = self.recent.front().is_some_and(|(g, _)| *g <= since + 1);
            if !reaches {
                return false;
            }
            let mut touched = deps.iter().map(fingerprint).chain([fingerprint(&key)]);
            let dropped: Vec<u64> = self
                .recent
                .iter()
                .filter(|(g, _)| *g > since)
                .map(|(_, f)| *f)
                .collect();
            if touched.any(|f| dropped.contains(&f)) {
                return false;
            }
        }
        if self.len() >= CAPACITY {
            self.evict_half();
        }
        for d in deps {
            self.index.entry(d).or_default().push(key.clone());
            self.indexed += 1;
        }
        T::map_mut(self).insert(k.clone(), v);
        // Rebuilt when it has doubled since the last rebuild, so that the rebuilds cost
        // O(1) per insert however many dependencies an answer has (a token has five, and
        // thousands of tokens share their tenant, user type and department).
        if self.indexed > 2 * self.live_at_rebuild + 10_000 {
            self.reindex();
        }
        true
    }

    /// Drops every answer computed from `dep`. Returns how many.
    pub fn drop_dep(&mut self, dep: Dep) -> usize {
        self.remember(fingerprint(&dep));
        let Some(keys) = self.index.remove(&dep) else {
            return 0;
        };
        keys.iter().filter(|k| self.remove_key(k)).count()
    }

    /// Drops the answer kept at `key` (a secret or path that was just stored, which may
    /// have been remembered as absent).
    pub fn drop_key(&mut self, key: &Key) {
        self.remember(fingerprint(key));
        self.remove_key(key);
    }

    pub fn clear(&mut self) {
        let generation = self.generation + 1;
        *self = Cache {
            generation,
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
            Key::Token(h) => self.tokens.remove(h).is_some(),
            Key::EndpointToken(h) => self.endpoint_tokens.remove(h).is_some(),
            Key::VerifierKey(h) => self.verifier_keys.remove(h).is_some(),
            Key::Endpoint(t, p) => self.endpoints.remove(&(*t, p.clone())).is_some(),
        }
    }

    /// Makes room by dropping every other answer (in the maps' arbitrary order, which is
    /// as good as random here), not all of them: a full cache sheds load gradually
    /// instead of sending every check to storage at once. Removing answers is always
    /// safe; the index is rebuilt so it names only what is kept.
    fn evict_half(&mut self) {
        fn halve<K, V>(map: &mut HashMap<K, V>) {
            let mut keep = false;
            map.retain(|_, _| {
                keep = !keep;
                keep
            });
        }
        halve(&mut self.tokens);
        halve(&mut self.endpoint_tokens);
        halve(&mut self.verifier_keys);
        halve(&mut self.endpoints);
        self.reindex();
    }

    /// Rebuilds the index from the answers kept, forgetting keys of dropped ones.
    fn reindex(&mut self) {
        let mut index: HashMap<Dep, Vec<Key>> = HashMap::new();
        let mut deps = Vec::new();
        fn add<T: Cached>(
            map: &HashMap<T::K, Option<Arc<T>>>,
            index: &mut HashMap<Dep, Vec<Key>>,
            deps: &mut Vec<Dep>,
        ) -> usize {
            let mut n = 0;
            for (k, v) in map {
                if let Some(v) = v {
                    deps.clear();
                    v.deps(deps);
                    for d in deps.iter() {
                        index.entry(*d).or_default().push(T::key(k));
                        n += 1;
                    }
                }
            }
            n
        }
        let n = add(&self.tokens, &mut index, &mut deps)
            + add(&self.endpoint_tokens, &mut index, &mut deps)
            + add(&self.verifier_keys, &mut index, &mut deps)
            + add(&self.endpoints, &mut index, &mut deps);
        self.index = index;
        self.indexed = n;
        self.live_at_rebuild = n;
        self.rebuilds += 1;
    }

    #[cfg(test)]
    fn rebuilds(&self) -> u64 {
        self.rebuilds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::VerifierKeyId;

    fn key(n: u8) -> (TokenHash, Arc<VerifierKey>) {
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
        (TokenHash([n; 32]), Arc::new(v))
    }

    /// Thousands of tokens share their tenant, department, user type and user, so each
    /// answer adds five keys to the index: filling the cache must not rebuild the index
    /// per insert (which made a cold cache of 100,000 tokens answer 200 checks a second).
    #[test]
    fn filling_the_cache_rebuilds_the_index_a_logarithmic_number_of_times() {
        let now = time::OffsetDateTime::now_utc();
        let first = Subject::example(now);
        let mut c = Cache::default();
        for n in 0u32..100_000 {
            let mut s = first.clone();
            s.token.id = keyward_core::TokenId::new();
            let mut hash = [0u8; 32];
            hash[..4].copy_from_slice(&n.to_le_bytes());
            assert!(c.insert(&TokenHash(hash), Some(Arc::new(s)), c.generation()));
        }
        assert_eq!(c.tokens.len(), 100_000);
        assert!(c.rebuilds() <= 8, "{} rebuilds", c.rebuilds());
        // The index still finds every answer of the shared user.
        assert_eq!(c.drop_dep(Dep::User(first.token.user_id.0)), 100_000);
        assert!(c.tokens.is_empty());
    }

    #[test]
    fn a_drop_removes_exactly_the_answers_of_its_dependency() {
        let mut c = Cache::default();
        let (h1, k1) = key(1);
        let (h2, k2) = key(2);
        assert!(c.insert(&h1, Some(k1.clone()), c.generation()));
        assert!(c.insert(&h2, Some(k2), c.generation()));
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
        assert!(c.insert(&h1, Some(k1.clone()), since));
        // … a drop of what the answer was computed from does.
        let since = c.generation();
        c.drop_dep(Dep::VerifierKey(k1.id.0));
        assert!(!c.insert(&h1, Some(k1.clone()), since));
        assert!(c.get::<VerifierKey>(&h1).is_none());
        // So does a drop of its key (a secret stored meanwhile), for an absence too.
        let since = c.generation();
        c.drop_key(&Key::VerifierKey(h1));
        assert!(!c.insert::<VerifierKey>(&h1, None, since));
    }

    #[test]
    fn a_read_older_than_the_ring_remembers_is_not_kept() {
        let mut c = Cache::default();
        let (h1, k1) = key(1);
        let since = c.generation();
        for _ in 0..=RING {
            c.drop_dep(Dep::User(uuid::Uuid::new_v4()));
        }
        assert!(!c.insert(&h1, Some(k1), since));
    }

    #[test]
    fn a_full_cache_drops_half_and_keeps_its_index_exact() {
        let mut c = Cache::default();
        let mut keys = Vec::new();
        for i in 0..CAPACITY {
            let h = TokenHash({
                let mut b = [0u8; 32];
                b[..8].copy_from_slice(&(i as u64).to_le_bytes());
                b
            });
            let (_, k) = key(0);
            keys.push((h, k.clone()));
            assert!(c.insert(&h, Some(k), c.generation()));
        }
        let (h, k) = key(7);
        assert!(c.insert(&h, Some(k), c.generation()));
        let kept = c.len();
        assert!(kept > CAPACITY / 3 && kept < CAPACITY, "{kept}");
        // Every answer still cached is still dropped by its dependency.
        let (h0, k0) = keys
            .iter()
            .find(|(h, _)| c.get::<VerifierKey>(h).is_some())
            .cloned()
            .unwrap();
        assert_eq!(c.drop_dep(Dep::VerifierKey(k0.id.0)), 1);
        assert!(c.get::<VerifierKey>(&h0).is_none());
    }
}
