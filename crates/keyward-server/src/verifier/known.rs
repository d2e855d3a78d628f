//! The set of known hash prefixes: the first 8 bytes of every stored secret's hash, so
//! that a hash absent from it is refused, or looked up under a budget, without storage.
//!
//! It only grows (a deleted token's prefix may stay: the cost is a lookup, never a wrong
//! answer), and almost all of it is known at start. So it is a sorted array of what was
//! loaded, 8 bytes a prefix, and a small hash set of what was added since, merged into
//! the array once it has grown by a sixteenth: a hash set of a million prefixes takes
//! 19 MB (2^21 buckets of 9 bytes), the array 8 MB. A lookup in the array is a binary
//! search, made only for a hash the answer cache does not hold.

use std::collections::HashSet;

/// What is added is merged into the sorted array once it holds at least this many, and a
/// sixteenth of the array.
const MERGE_AT: usize = 4096;

#[derive(Debug, Default)]
pub struct Prefixes {
    sorted: Box<[u64]>,
    recent: HashSet<u64>,
}

impl Prefixes {
    pub fn new(mut loaded: Vec<u64>) -> Self {
        loaded.sort_unstable();
        loaded.dedup();
        Self {
            sorted: loaded.into_boxed_slice(),
            recent: HashSet::new(),
        }
    }

    pub fn contains(&self, prefix: u64) -> bool {
        self.recent.contains(&prefix) || self.sorted.binary_search(&prefix).is_ok()
    }

    pub fn insert(&mut self, prefix: u64) {
        if self.sorted.binary_search(&prefix).is_err() {
            self.recent.insert(prefix);
            if self.recent.len() >= MERGE_AT.max(self.sorted.len() / 16) {
                self.merge();
            }
        }
    }

    pub fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn merge(&mut self) {
        let mut all = Vec::with_capacity(self.len());
        all.extend_from_slice(&self.sorted);
        all.extend(self.recent.drain());
        all.sort_unstable();
        self.sorted = all.into_boxed_slice();
        self.recent = HashSet::new();
    }
}

impl Extend<u64> for Prefixes {
    fn extend<I: IntoIterator<Item = u64>>(&mut self, prefixes: I) {
        for p in prefixes {
            self.insert(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_loaded_or_added_is_known_and_no_other() {
        let loaded: Vec<u64> = (0..10_000u64).map(|i| i * 7).collect();
        let mut known = Prefixes::new(loaded.clone());
        assert!(loaded.iter().all(|p| known.contains(*p)));
        assert!(!known.contains(1) && !known.contains(70_001));
        // Enough additions to merge more than once; each is known at once and after.
        let added: Vec<u64> = (0..20_000u64).map(|i| i * 7 + 3).collect();
        for (n, p) in added.iter().enumerate() {
            known.insert(*p);
            assert!(known.contains(*p), "added {n}");
        }
        assert!(known.recent.len() < MERGE_AT.max(known.sorted.len() / 16));
        assert!(loaded.iter().chain(&added).all(|p| known.contains(*p)));
        assert!(!known.contains(5) && !known.contains(u64::MAX));
        assert_eq!(known.len(), 30_000);
        // A prefix known already is not counted twice.
        known.extend([0, 3, 7]);
        assert_eq!(known.len(), 30_000);
    }
}
