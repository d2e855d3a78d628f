//! The set of known hash prefixes: the first 8 bytes of every stored secret's hash, so
//! that a hash absent from it is refused, or looked up under a budget, without storage.
//!
//! It only grows (a deleted token's prefix may stay: the cost is a lookup, never a wrong
//! answer), and almost all of it is known at start. So it is a sorted array of what was
//! loaded, 8 bytes a prefix, and a small hash set of what was added since, merged into
//! the array once it has grown by a sixteenth: a hash set of a million prefixes takes
//! 19 MB (2^21 buckets of 9 bytes), the array 8 MB. A lookup in the array (made only
//! for a hash the answer cache does not hold) guesses the place from the value: see
//! [`search`].

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
        self.recent.contains(&prefix) || search(&self.sorted, prefix)
    }

    pub fn insert(&mut self, prefix: u64) {
        if !search(&self.sorted, prefix) {
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

/// Interpolation steps before a binary search of what is left.
const GUESSES: usize = 6;

/// Whether `x` is in `sorted`. The prefixes are the first 8 bytes of HMACs, spread evenly
/// over the `u64`s, so where `x` would be is guessed from its value between the range's
/// ends (interpolation search), a few times, before a binary search of the range left.
/// At a million prefixes a binary search is 20 dependent reads across 8 MB, each a miss
/// of the CPU's caches and of its TLB; guessing takes about four. Values not spread
/// evenly (a test's) are found all the same, only not faster.
fn search(sorted: &[u64], x: u64) -> bool {
    // `x` is in `sorted[lo..hi]` if anywhere.
    let (mut lo, mut hi) = (0, sorted.len());
    for _ in 0..GUESSES {
        if hi - lo < 16 {
            break;
        }
        let (first, last) = (sorted[lo], sorted[hi - 1]);
        if x < first || x > last {
            return false;
        }
        // first <= x <= last and first < last (else the two checks above decided).
        let Some(span) = last.checked_sub(first).filter(|s| *s > 0) else {
            return x == first;
        };
        let offset = (u128::from(x - first) * (hi - 1 - lo) as u128 / u128::from(span)) as usize;
        let at = lo + offset;
        match sorted[at].cmp(&x) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = at + 1,
            std::cmp::Ordering::Greater => hi = at,
        }
    }
    sorted[lo..hi].binary_search(&x).is_ok()
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

    /// The guessing search answers as a set does, for prefixes spread evenly (as HMACs
    /// are) and for bunched ones, present or not, at the ends and beyond them.
    #[test]
    fn the_search_agrees_with_a_set() {
        use proptest::prelude::*;
        let values = prop_oneof![
            proptest::collection::vec(any::<u64>(), 0..2000),
            proptest::collection::vec(0u64..500, 0..2000),
            proptest::collection::vec(prop_oneof![0u64..10, (u64::MAX - 10)..=u64::MAX], 0..300),
        ];
        proptest!(|(loaded in values, probes in proptest::collection::vec(any::<u64>(), 0..50))| {
            let set: HashSet<u64> = loaded.iter().copied().collect();
            let known = Prefixes::new(loaded.clone());
            let near = loaded.iter().flat_map(|v| [v.wrapping_sub(1), *v, v.wrapping_add(1)]);
            for p in near.chain(probes).chain([0, 1, u64::MAX]) {
                prop_assert_eq!(known.contains(p), set.contains(&p), "prefix {}", p);
            }
        });
    }
}
