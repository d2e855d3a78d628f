//! The layer's memory of keyward's answers: bounded in entries and in time. An answer is
//! kept for at most the configured bound (and a good one never past its token's expiry),
//! so the bound is how stale a revocation can be at this service.
//!
//! Two generations of at most half the entries each: a full current generation becomes
//! the previous one and the older is dropped whole, so staying within the bound costs no
//! scan and no per-entry bookkeeping.

use super::Answer;
use keyward_core::crypto::{ServerKey, TokenHash};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What an answer is for: the token (as an HMAC under a key of this process, so the
/// cache holds no token a memory dump could give away), the permission asked and the
/// client's address sent.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    token: TokenHash,
    permission: Option<Arc<str>>,
    ip: Option<IpAddr>,
}

struct Entry {
    answer: Answer,
    until: Instant,
}

#[derive(Default)]
struct Generations {
    current: HashMap<Key, Entry>,
    previous: HashMap<Key, Entry>,
}

pub(super) struct Cache {
    hasher: ServerKey,
    max_age: Duration,
    /// Entries per generation: half the configured bound.
    per_generation: usize,
    generations: Mutex<Generations>,
}

impl Cache {
    pub(super) fn new(max_age: Duration, max_entries: usize) -> Self {
        Self {
            hasher: ServerKey::from_bytes(&ServerKey::generate()),
            max_age,
            per_generation: max_entries / 2,
            generations: Mutex::default(),
        }
    }

    pub(super) fn key(
        &self,
        token: &str,
        permission: Option<&Arc<str>>,
        ip: Option<IpAddr>,
    ) -> Key {
        Key {
            token: self.hasher.hash_token(token),
            permission: permission.cloned(),
            ip,
        }
    }

    fn off(&self) -> bool {
        self.max_age.is_zero() || self.per_generation == 0
    }

    /// The answer kept for `key`, if it is still within its time.
    pub(super) fn get(&self, key: &Key, now: Instant) -> Option<Answer> {
        if self.off() {
            return None;
        }
        let g = self.lock();
        let entry = g.current.get(key).or_else(|| g.previous.get(key))?;
        (now < entry.until).then(|| entry.answer.clone())
    }

    /// Keeps `answer` for the bound, or for `at_most` if that is shorter (the time left
    /// until the token expires, or until a rate limit lifts).
    pub(super) fn put(&self, key: Key, answer: Answer, at_most: Option<Duration>, now: Instant) {
        if self.off() {
            return;
        }
        let keep = at_most.map_or(self.max_age, |d| d.min(self.max_age));
        if keep.is_zero() {
            return;
        }
        let mut g = self.lock();
        if g.current.len() >= self.per_generation && !g.current.contains_key(&key) {
            g.previous = std::mem::take(&mut g.current);
        }
        g.previous.remove(&key);
        let until = now + keep;
        g.current.insert(key, Entry { answer, until });
    }

    /// The entries held, both generations, expired ones included until they are dropped.
    #[cfg(test)]
    fn len(&self) -> usize {
        let g = self.lock();
        g.current.len() + g.previous.len()
    }

    /// A panic elsewhere while holding the lock leaves whole entries behind: nothing is
    /// half-written, so the maps stay usable.
    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::Rejection;
    use keyward_core::VerifyCode;

    fn refused() -> Answer {
        Answer::Refused(Rejection {
            code: VerifyCode::Revoked,
            message: "revoked".into(),
            retry_after: None,
        })
    }

    fn code(a: Option<Answer>) -> Option<VerifyCode> {
        match a? {
            Answer::Refused(r) => Some(r.code),
            Answer::Valid(_) => Some(VerifyCode::Valid),
        }
    }

    #[test]
    fn an_answer_is_kept_for_the_bound_and_no_longer() {
        let c = Cache::new(Duration::from_secs(5), 100);
        let k = c.key("kwa_one", None, None);
        let t0 = Instant::now();
        c.put(k.clone(), refused(), None, t0);
        assert_eq!(
            code(c.get(&k, t0 + Duration::from_secs(4))),
            Some(VerifyCode::Revoked)
        );
        assert_eq!(code(c.get(&k, t0 + Duration::from_secs(5))), None);
    }

    #[test]
    fn a_shorter_limit_of_the_answer_wins_over_the_bound() {
        let c = Cache::new(Duration::from_secs(5), 100);
        let k = c.key("kwa_one", None, None);
        let t0 = Instant::now();
        c.put(k.clone(), refused(), Some(Duration::from_secs(1)), t0);
        assert_eq!(
            code(c.get(&k, t0 + Duration::from_millis(900))),
            Some(VerifyCode::Revoked)
        );
        assert_eq!(code(c.get(&k, t0 + Duration::from_secs(1))), None);
        // An answer with no time left (a token expiring now) is not kept at all.
        c.put(
            c.key("kwa_two", None, None),
            refused(),
            Some(Duration::ZERO),
            t0,
        );
        assert_eq!(code(c.get(&c.key("kwa_two", None, None), t0)), None);
    }

    #[test]
    fn the_permission_and_the_address_sent_are_part_of_the_key() {
        let c = Cache::new(Duration::from_secs(5), 100);
        let read: Arc<str> = "orders:read".into();
        let t0 = Instant::now();
        c.put(c.key("kwa_one", Some(&read), None), refused(), None, t0);
        assert!(c.get(&c.key("kwa_one", Some(&read), None), t0).is_some());
        assert!(c.get(&c.key("kwa_one", None, None), t0).is_none());
        assert!(c.get(&c.key("kwa_other", Some(&read), None), t0).is_none());
        let ip = Some(std::net::IpAddr::from([10, 0, 0, 1]));
        assert!(c.get(&c.key("kwa_one", Some(&read), ip), t0).is_none());
    }

    #[test]
    fn the_entries_stay_within_the_bound_and_the_newest_are_kept() {
        let c = Cache::new(Duration::from_secs(5), 10);
        let t0 = Instant::now();
        for i in 0..1000 {
            c.put(c.key(&format!("kwa_{i}"), None, None), refused(), None, t0);
            assert!(c.len() <= 10, "{} entries after {i}", c.len());
        }
        for i in 995..1000 {
            assert!(
                c.get(&c.key(&format!("kwa_{i}"), None, None), t0).is_some(),
                "{i}"
            );
        }
        assert!(c.get(&c.key("kwa_0", None, None), t0).is_none());
    }

    #[test]
    fn a_bound_of_zero_keeps_nothing() {
        let t0 = Instant::now();
        for c in [
            Cache::new(Duration::ZERO, 100),
            Cache::new(Duration::from_secs(5), 0),
        ] {
            let k = c.key("kwa_one", None, None);
            c.put(k.clone(), refused(), None, t0);
            assert!(c.get(&k, t0).is_none());
            assert_eq!(c.len(), 0);
        }
    }
}
