//! Dense vector clocks: one `u64` counter per node index.
//!
//! The hot loops (`merge`, `compare`) are the chunked kernels of [`crate::lanes`].

use std::cmp::Ordering;

use crate::Causality;
use crate::lanes::{SHORT, flags, max_in_place};

/// A dense vector clock: entry `i` counts the events of node `i` that causally precede
/// (or are) the stamped event.
///
/// Absent entries are 0, so clocks of different lengths compare and merge as if the
/// shorter one were padded with zeros. Invariant: no trailing zero entries are stored,
/// so the derived `Eq` and `Hash` agree with [`compare`](Self::compare) (two clocks are
/// `==` exactly when `compare` says [`Causality::Equal`]).
///
/// Sending and receiving follow the rule of [`LogicalClock`](crate::LogicalClock): a send
/// ticks the sender's entry and attaches a copy of the clock (the stamp); a receive merges
/// the stamp, then ticks the receiver's entry.
///
/// ```
/// use causet_clock::{Causality, VectorClock};
///
/// let mut alice = VectorClock::new();
/// let mut bob = VectorClock::new();
/// let stamp = alice.send(0); // alice: [1]
/// bob.tick(1); // a local event on bob: [0, 1]
/// assert_eq!(alice.compare(&bob), Causality::Concurrent);
/// bob.receive(1, &stamp); // bob: [1, 2]
/// assert_eq!(alice.compare(&bob), Causality::Before);
/// assert_eq!(bob.as_slice(), &[1, 2]);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct VectorClock {
    entries: Vec<u64>,
}

impl VectorClock {
    /// The zero clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock from explicit entries (trailing zeros are dropped).
    pub fn from_entries(entries: impl Into<Vec<u64>>) -> Self {
        let mut clock = VectorClock {
            entries: entries.into(),
        };
        clock.trim();
        clock
    }

    /// The entries, without trailing zeros.
    pub fn as_slice(&self) -> &[u64] {
        &self.entries
    }

    /// The entries as a vector, without trailing zeros.
    pub fn into_vec(self) -> Vec<u64> {
        self.entries
    }

    /// Number of stored entries (index of the last non-zero entry + 1).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether this is the zero clock.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `node` (0 when absent).
    #[inline]
    pub fn get(&self, node: usize) -> u64 {
        self.entries.get(node).copied().unwrap_or(0)
    }

    /// Sets entry `node` to `value`.
    #[inline]
    pub fn set(&mut self, node: usize, value: u64) {
        // Inlined: an existing entry, and no trailing zero to trim (the common raise).
        let len = self.entries.len();
        if let Some(entry) = self.entries.get_mut(node)
            && (value != 0 || node + 1 < len)
        {
            *entry = value;
            return;
        }
        self.set_slow(node, value);
    }

    /// Entry `node` in place, if stored (`node < len`). Callers keep the invariant: no
    /// trailing zero (so they never lower the last entry to zero).
    #[inline]
    pub(crate) fn entry_mut(&mut self, node: usize) -> Option<&mut u64> {
        self.entries.get_mut(node)
    }

    /// [`set`](Self::set) of an entry past the end, or of the last one to zero.
    #[inline(never)]
    fn set_slow(&mut self, node: usize, value: u64) {
        if node >= self.entries.len() {
            if value == 0 {
                return;
            }
            self.entries.resize(node + 1, 0);
        }
        self.entries[node] = value;
        self.trim();
    }

    /// Increments entry `node` (an event on that node) and returns its new value.
    ///
    /// An entry already at `u64::MAX` stays there: ticks saturate, in every build, like
    /// every clock of this crate (see the [crate docs](crate#overflow)). Only input can
    /// put an entry there (2^64 events on one node cannot happen); wrapping would send the
    /// node back before its own past.
    #[inline]
    pub fn tick(&mut self, node: usize) -> u64 {
        if node >= self.entries.len() {
            self.entries.resize(node + 1, 0);
        }
        let entry = &mut self.entries[node];
        *entry = entry.saturating_add(1);
        *entry
    }

    /// The stamp for a message sent by `node`: ticks `node`, returns a copy of the clock.
    pub fn send(&mut self, node: usize) -> VectorClock {
        crate::LogicalClock::send(self, &node)
    }

    /// A message stamped `stamp` is received by `node`: merges the stamp, then ticks
    /// `node`; returns the new value of `node`'s entry.
    pub fn receive(&mut self, node: usize, stamp: &VectorClock) -> u64 {
        crate::LogicalClock::receive(self, &node, stamp)
    }

    /// Element-wise maximum with `other`, in place.
    #[inline]
    pub fn merge(&mut self, other: &VectorClock) {
        let common = self.entries.len().min(other.entries.len());
        max_in_place(&mut self.entries[..common], &other.entries[..common]);
        // The longer clock's tail ends in a non-zero entry, so the result has no trailing
        // zeros either: no trim needed.
        if other.entries.len() > common {
            self.entries.extend_from_slice(&other.entries[common..]);
        }
    }

    /// Element-wise minimum with `other` (the greatest lower bound), in place.
    pub fn meet(&mut self, other: &VectorClock) {
        self.entries.truncate(other.entries.len());
        for (mine, theirs) in self.entries.iter_mut().zip(&other.entries) {
            *mine = (*mine).min(*theirs);
        }
        self.trim();
    }

    /// How `self` relates to `other`, in one pass with early exit.
    #[inline]
    pub fn compare(&self, other: &VectorClock) -> Causality {
        let (a, b) = (&self.entries, &other.entries);
        if a.len() == b.len() && a.len() <= SHORT {
            // Short clocks of the same length (the usual case): answer straight from the
            // short loop, which leaves as soon as both directions are seen.
            let (less, greater) = flags(a, b, false, false);
            return Causality::from_flags(less, greater);
        }
        self.compare_long(other)
    }

    /// [`compare`](Self::compare) for long clocks or clocks of different lengths: kept out
    /// of line so that the short path above inlines into callers.
    #[inline(never)]
    fn compare_long(&self, other: &VectorClock) -> Causality {
        let (a, b) = (&self.entries, &other.entries);
        let common = a.len().min(b.len());
        // Without trailing zeros, the longer clock has a non-zero entry where the shorter
        // one has an implicit 0: that settles one direction before the loop starts.
        let less = b.len() > common;
        let greater = a.len() > common;
        let (less, greater) = flags(&a[..common], &b[..common], less, greater);
        Causality::from_flags(less, greater)
    }

    /// Every entry of `self` ≥ `other`'s (`other` happened before or equals `self`).
    #[inline]
    pub fn dominates(&self, other: &VectorClock) -> bool {
        if self.entries.len() < other.entries.len() {
            return false;
        }
        let common = other.entries.len();
        let (less, _) = flags(&self.entries[..common], &other.entries, false, true);
        !less
    }

    /// Neither clock dominates the other.
    #[inline]
    pub fn is_concurrent_with(&self, other: &VectorClock) -> bool {
        self.compare(other) == Causality::Concurrent
    }

    /// Sum of the entries: the number of events in the causal history of the stamped event
    /// (saturating at `u64::MAX`).
    pub fn total(&self) -> u64 {
        self.entries
            .iter()
            .fold(0u64, |sum, &e| sum.saturating_add(e))
    }

    fn trim(&mut self) {
        while self.entries.last() == Some(&0) {
            self.entries.pop();
        }
    }
}

impl PartialOrd for VectorClock {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.compare(other).to_ordering()
    }
}

impl From<Vec<u64>> for VectorClock {
    fn from(entries: Vec<u64>) -> Self {
        VectorClock::from_entries(entries)
    }
}

impl From<&[u64]> for VectorClock {
    fn from(entries: &[u64]) -> Self {
        VectorClock::from_entries(entries)
    }
}

impl FromIterator<u64> for VectorClock {
    fn from_iter<T: IntoIterator<Item = u64>>(iter: T) -> Self {
        VectorClock::from_entries(iter.into_iter().collect::<Vec<_>>())
    }
}

impl crate::LogicalClock for VectorClock {
    type Node = usize;
    type Stamp = VectorClock;

    fn tick(&mut self, node: &usize) -> u64 {
        VectorClock::tick(self, *node)
    }

    fn stamp(&self) -> VectorClock {
        self.clone()
    }

    fn merge_stamp(&mut self, stamp: &VectorClock) {
        self.merge(stamp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[u64], b: &[u64]) -> Causality {
        let n = a.len().max(b.len());
        let get = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
        let less = (0..n).any(|i| get(a, i) < get(b, i));
        let greater = (0..n).any(|i| get(a, i) > get(b, i));
        Causality::from_flags(less, greater)
    }

    #[test]
    fn chunked_compare_and_merge_agree_with_naive_across_chunk_boundaries() {
        for n in [0usize, 1, 7, 8, 9, 16, 17, 31] {
            for flip in 0..n.max(1) {
                let a: Vec<u64> = (0..n as u64).map(|i| i + 1).collect();
                let mut b = a.clone();
                if n > 0 {
                    b[flip] += 1;
                }
                let (ca, cb) = (
                    VectorClock::from_entries(a.clone()),
                    VectorClock::from(b.clone()),
                );
                assert_eq!(ca.compare(&cb), naive(&a, &b), "n={n} flip={flip}");
                assert_eq!(cb.compare(&ca), naive(&b, &a));
                let mut c = b.clone();
                if n > 1 {
                    c[(flip + 1) % n] = 0;
                }
                let cc = VectorClock::from(c.clone());
                assert_eq!(ca.compare(&cc), naive(&a, &c), "n={n} flip={flip} c");
                let mut merged = ca.clone();
                merged.merge(&cc);
                let expect: Vec<u64> = a.iter().zip(&c).map(|(x, y)| *x.max(y)).collect();
                assert_eq!(merged, VectorClock::from(expect));
            }
        }
    }

    #[test]
    fn different_lengths_compare_as_zero_padded() {
        let short = VectorClock::from_entries(vec![2, 1]);
        let long = VectorClock::from_entries(vec![2, 1, 0, 3]);
        assert_eq!(short.compare(&long), Causality::Before);
        assert_eq!(long.compare(&short), Causality::After);
        assert!(long.dominates(&short));
        assert!(!short.dominates(&long));
        let other = VectorClock::from_entries(vec![3]);
        assert_eq!(other.compare(&long), Causality::Concurrent);
        let mut merged = other.clone();
        merged.merge(&long);
        assert_eq!(merged.as_slice(), &[3, 1, 0, 3]);
        merged.meet(&short);
        assert_eq!(merged.as_slice(), &[2, 1]);
        assert_eq!(
            VectorClock::from_entries(vec![1, 0, 0]),
            VectorClock::from_entries(vec![1])
        );
    }
}
