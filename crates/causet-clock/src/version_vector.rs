//! Sparse version vectors keyed by any ordered node id.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

use smallvec::SmallVec;

use crate::Causality;
use crate::lanes::{flags, max_in_place};

/// Entries kept inline before the vector allocates.
const INLINE: usize = 8;

/// A sparse vector clock keyed by node id (strings, integers, anything `Ord + Clone`), for
/// systems whose membership changes.
///
/// Entries are kept sorted by id with no zero counters: an absent node's entry is 0, and
/// because zeros are never stored the derived `Eq` and `Hash` agree with
/// [`compare`](Self::compare). Up to 8 entries live inline (no heap allocation).
///
/// Ids and counters are stored in two parallel arrays, so that the common case of two
/// clocks over the same nodes is one slice equality on the ids (a `memcmp` for integer
/// ids) followed by the chunked dense loop of [`VectorClock`](crate::VectorClock) on the
/// counters. Otherwise `merge` and `compare` are sorted-merge walks over both vectors:
/// O(n + m), no lookups.
///
/// Sending and receiving follow [`LogicalClock`](crate::LogicalClock): a send ticks the
/// sender's entry and the stamp is a copy of the vector; a receive merges the stamp and
/// then ticks the receiver's entry. Its JSON form (feature `serde`, and
/// [`Display`](fmt::Display)) is the GoVector/ShiViz clock object.
///
/// ```
/// use causet_clock::{Causality, VersionVector};
///
/// let mut alice = VersionVector::new();
/// let stamp = alice.send("alice"); // {"alice":1}
/// let mut bob = VersionVector::new();
/// bob.tick("bob");
/// bob.receive("bob", &stamp);
/// assert_eq!(bob.to_string(), r#"{"alice":1, "bob":2}"#);
/// assert_eq!(alice.compare(&bob), Causality::Before);
/// assert_eq!(bob.get("carol"), 0); // absent = 0
///
/// let parsed: VersionVector<String> = r#"{"bob":2, "alice":1, "carol":0}"#.parse()?;
/// assert_eq!(parsed, bob);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VersionVector<Id> {
    /// Strictly increasing.
    ids: SmallVec<[Id; INLINE]>,
    /// `counters[k]` belongs to `ids[k]`; never 0.
    counters: SmallVec<[u64; INLINE]>,
}

impl<Id> Default for VersionVector<Id> {
    fn default() -> Self {
        VersionVector {
            ids: SmallVec::new(),
            counters: SmallVec::new(),
        }
    }
}

impl<Id: fmt::Debug> fmt::Debug for VersionVector<Id> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<Id> VersionVector<Id> {
    /// The zero clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of non-zero entries.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether this is the zero clock.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The non-zero entries, sorted by id.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Id, u64)> + '_ {
        self.ids.iter().zip(self.counters.iter().copied())
    }

    /// The ids with a non-zero entry, sorted.
    pub fn nodes(&self) -> &[Id] {
        &self.ids
    }

    /// The counters, in the order of [`nodes`](Self::nodes).
    pub fn counters(&self) -> &[u64] {
        &self.counters
    }

    /// Whether the entries live on the heap (more than 8 of them at some point).
    pub fn spilled(&self) -> bool {
        self.ids.spilled() || self.counters.spilled()
    }

    /// Sum of the entries: the number of events in the causal history of the stamped event
    /// (saturating at `u64::MAX`).
    pub fn total(&self) -> u64 {
        self.counters
            .iter()
            .fold(0u64, |sum, &n| sum.saturating_add(n))
    }

    /// Entries already sorted by strictly increasing id, zero counters allowed (they are
    /// dropped). Used by the parsers and decoders, which check the order themselves.
    pub(crate) fn from_sorted_unchecked(entries: impl IntoIterator<Item = (Id, u64)>) -> Self {
        let mut clock = VersionVector::new();
        for (id, n) in entries {
            if n > 0 {
                clock.ids.push(id);
                clock.counters.push(n);
            }
        }
        clock
    }
}

impl<Id: Ord + Clone> VersionVector<Id> {
    /// A clock from `(id, counter)` pairs in any order. Zero counters are dropped; when an
    /// id repeats, the largest counter wins (the pairs are merged).
    pub fn from_entries(entries: impl IntoIterator<Item = (Id, u64)>) -> Self {
        let mut entries: Vec<(Id, u64)> = entries.into_iter().filter(|(_, n)| *n > 0).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut clock = VersionVector::new();
        for (id, n) in entries {
            match clock.ids.last() {
                Some(last) if *last == id => {
                    if let Some(m) = clock.counters.last_mut() {
                        *m = (*m).max(n);
                    }
                }
                _ => {
                    clock.ids.push(id);
                    clock.counters.push(n);
                }
            }
        }
        clock
    }

    fn position<Q>(&self, node: &Q) -> Result<usize, usize>
    where
        Id: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.ids.binary_search_by(|id| id.borrow().cmp(node))
    }

    /// `node`'s entry (0 when absent).
    pub fn get<Q>(&self, node: &Q) -> u64
    where
        Id: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.position(node) {
            Ok(i) => self.counters[i],
            Err(_) => 0,
        }
    }

    /// Sets `node`'s entry to `value` (0 removes it).
    pub fn set<Q>(&mut self, node: &Q, value: u64)
    where
        Id: Borrow<Q>,
        Q: Ord + ToOwned<Owned = Id> + ?Sized,
    {
        match (self.position(node), value) {
            (Ok(i), 0) => {
                self.ids.remove(i);
                self.counters.remove(i);
            }
            (Ok(i), _) => self.counters[i] = value,
            (Err(_), 0) => {}
            (Err(i), _) => {
                self.ids.insert(i, node.to_owned());
                self.counters.insert(i, value);
            }
        }
    }

    /// Increments `node`'s entry (an event on that node) and returns its new value.
    ///
    /// An entry already at `u64::MAX` stays there: ticks saturate, in every build (see the
    /// [crate docs](crate#overflow)).
    pub fn tick<Q>(&mut self, node: &Q) -> u64
    where
        Id: Borrow<Q>,
        Q: Ord + ToOwned<Owned = Id> + ?Sized,
    {
        match self.position(node) {
            Ok(i) => {
                let counter = &mut self.counters[i];
                *counter = counter.saturating_add(1);
                *counter
            }
            Err(i) => {
                self.ids.insert(i, node.to_owned());
                self.counters.insert(i, 1);
                1
            }
        }
    }

    /// The stamp for a message sent by `node`: ticks `node`, returns a copy of the clock.
    /// (The rule of [`LogicalClock::send`](crate::LogicalClock::send), with a borrowed id.)
    pub fn send<Q>(&mut self, node: &Q) -> VersionVector<Id>
    where
        Id: Borrow<Q>,
        Q: Ord + ToOwned<Owned = Id> + ?Sized,
    {
        self.tick(node);
        crate::LogicalClock::stamp(self)
    }

    /// A message stamped `stamp` is received by `node`: merges the stamp, then ticks
    /// `node`; returns the new value of `node`'s entry. (The rule of
    /// [`LogicalClock::receive`](crate::LogicalClock::receive), with a borrowed id.)
    pub fn receive<Q>(&mut self, node: &Q, stamp: &VersionVector<Id>) -> u64
    where
        Id: Borrow<Q>,
        Q: Ord + ToOwned<Owned = Id> + ?Sized,
    {
        crate::LogicalClock::merge_stamp(self, stamp);
        self.tick(node)
    }

    /// Removes `node`'s entry, for a node that left the system.
    ///
    /// **Lossy**: afterwards the clock no longer records what it knew of `node`'s events,
    /// so comparisons with clocks that still carry `node`'s entry can answer `Before` or
    /// `Concurrent` where the full clocks would have said `Equal` or `After`. Forget a node
    /// only once every clock that will ever be compared has forgotten it too.
    /// Returns the entry that was removed (0 if absent).
    pub fn forget<Q>(&mut self, node: &Q) -> u64
    where
        Id: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.position(node) {
            Ok(i) => {
                self.ids.remove(i);
                self.counters.remove(i)
            }
            Err(_) => 0,
        }
    }

    /// Element-wise maximum with `other`, in place (the least upper bound).
    pub fn merge(&mut self, other: &VersionVector<Id>) {
        // Same nodes (a stable cluster): the dense kernel on the counters.
        if self.ids == other.ids {
            max_in_place(&mut self.counters, &other.counters);
            return;
        }
        // Every id of `other` already here: update in place during the walk.
        let mut i = 0;
        for (k, id) in other.ids.iter().enumerate() {
            while i < self.ids.len() && self.ids[i] < *id {
                i += 1;
            }
            if i == self.ids.len() || self.ids[i] != *id {
                self.merge_slow(i, other, k);
                return;
            }
            self.counters[i] = self.counters[i].max(other.counters[k]);
            i += 1;
        }
    }

    /// Merge when `other[k..]` holds ids missing from `self`: `self[..i]` is done (and all
    /// its ids are below `other.ids[k]`), the rest is merged into new vectors.
    #[cold]
    fn merge_slow(&mut self, i: usize, other: &VersionVector<Id>, k: usize) {
        let capacity = self.len() + (other.len() - k);
        let mut out = VersionVector {
            ids: SmallVec::with_capacity(capacity),
            counters: SmallVec::with_capacity(capacity),
        };
        out.ids.extend(self.ids[..i].iter().cloned());
        out.counters.extend_from_slice(&self.counters[..i]);
        let (mut i, mut j) = (i, k);
        while i < self.len() && j < other.len() {
            match self.ids[i].cmp(&other.ids[j]) {
                Ordering::Less => {
                    out.ids.push(self.ids[i].clone());
                    out.counters.push(self.counters[i]);
                    i += 1;
                }
                Ordering::Greater => {
                    out.ids.push(other.ids[j].clone());
                    out.counters.push(other.counters[j]);
                    j += 1;
                }
                Ordering::Equal => {
                    out.ids.push(self.ids[i].clone());
                    out.counters.push(self.counters[i].max(other.counters[j]));
                    i += 1;
                    j += 1;
                }
            }
        }
        out.ids.extend(self.ids[i..].iter().cloned());
        out.counters.extend_from_slice(&self.counters[i..]);
        out.ids.extend(other.ids[j..].iter().cloned());
        out.counters.extend_from_slice(&other.counters[j..]);
        *self = out;
    }

    /// Element-wise minimum with `other`, in place (the greatest lower bound): only the ids
    /// present in both remain.
    pub fn meet(&mut self, other: &VersionVector<Id>) {
        if self.ids == other.ids {
            // The minimum of two non-zero counters is non-zero: the ids stay.
            for (mine, theirs) in self.counters.iter_mut().zip(&other.counters) {
                *mine = (*mine).min(*theirs);
            }
            return;
        }
        // Compact in place: `kept` entries survive, in order.
        let (mut kept, mut j) = (0, 0);
        for i in 0..self.len() {
            while j < other.len() && other.ids[j] < self.ids[i] {
                j += 1;
            }
            if j < other.len() && other.ids[j] == self.ids[i] {
                self.ids.swap(kept, i);
                self.counters[kept] = self.counters[i].min(other.counters[j]);
                kept += 1;
            }
        }
        self.ids.truncate(kept);
        self.counters.truncate(kept);
    }

    /// How `self` relates to `other`, in one pass with early exit.
    pub fn compare(&self, other: &VersionVector<Id>) -> Causality {
        let (less, greater) = self.flags(other, false);
        Causality::from_flags(less, greater)
    }

    /// "Some entry smaller" / "some entry larger"; stops as soon as both are known, or as
    /// soon as `less` is known when `stop_on_less`.
    fn flags(&self, other: &VersionVector<Id>, stop_on_less: bool) -> (bool, bool) {
        if self.ids == other.ids {
            return flags(&self.counters, &other.counters, false, false);
        }
        let (a, b) = (&self.ids, &other.ids);
        let (mut less, mut greater) = (false, false);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                // A non-zero entry of `self` against an implicit 0.
                Ordering::Less => {
                    greater = true;
                    i += 1;
                }
                Ordering::Greater => {
                    less = true;
                    j += 1;
                }
                Ordering::Equal => {
                    let (x, y) = (self.counters[i], other.counters[j]);
                    less |= x < y;
                    greater |= x > y;
                    i += 1;
                    j += 1;
                }
            }
            if less && (greater || stop_on_less) {
                return (less, greater);
            }
        }
        greater |= i < a.len();
        less |= j < b.len();
        (less, greater)
    }

    /// Every entry of `self` ≥ `other`'s (`other` happened before or equals `self`).
    pub fn dominates(&self, other: &VersionVector<Id>) -> bool {
        !self.flags(other, true).0
    }

    /// Neither clock dominates the other.
    pub fn is_concurrent_with(&self, other: &VersionVector<Id>) -> bool {
        self.compare(other) == Causality::Concurrent
    }
}

impl<Id: Ord + Clone> PartialOrd for VersionVector<Id> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.compare(other).to_ordering()
    }
}

impl<Id: Ord + Clone> FromIterator<(Id, u64)> for VersionVector<Id> {
    /// Same as [`VersionVector::from_entries`].
    fn from_iter<T: IntoIterator<Item = (Id, u64)>>(iter: T) -> Self {
        VersionVector::from_entries(iter)
    }
}

/// Iterator over the owned entries of a [`VersionVector`], sorted by id (what
/// `into_iter` returns; its storage stays private).
#[derive(Debug, Clone)]
pub struct IntoIter<Id> {
    inner: std::iter::Zip<smallvec::IntoIter<[Id; INLINE]>, smallvec::IntoIter<[u64; INLINE]>>,
}

impl<Id> Iterator for IntoIter<Id> {
    type Item = (Id, u64);

    #[inline]
    fn next(&mut self) -> Option<(Id, u64)> {
        self.inner.next()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<Id> ExactSizeIterator for IntoIter<Id> {}

impl<Id> DoubleEndedIterator for IntoIter<Id> {
    #[inline]
    fn next_back(&mut self) -> Option<(Id, u64)> {
        self.inner.next_back()
    }
}

impl<Id> std::iter::FusedIterator for IntoIter<Id> {}

impl<Id> IntoIterator for VersionVector<Id> {
    type Item = (Id, u64);
    type IntoIter = IntoIter<Id>;

    /// The non-zero entries, sorted by id.
    ///
    /// ```
    /// use causet_clock::VersionVector;
    ///
    /// let clock: VersionVector<String> = r#"{"b":2, "a":1}"#.parse()?;
    /// let entries: Vec<(String, u64)> = clock.into_iter().rev().collect();
    /// assert_eq!(entries, [("b".to_string(), 2), ("a".to_string(), 1)]);
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn into_iter(self) -> IntoIter<Id> {
        IntoIter {
            inner: self.ids.into_iter().zip(self.counters),
        }
    }
}

impl From<&crate::VectorClock> for VersionVector<usize> {
    /// The non-zero entries of a dense clock, keyed by node index.
    fn from(dense: &crate::VectorClock) -> Self {
        VersionVector::from_sorted_unchecked(dense.as_slice().iter().copied().enumerate())
    }
}

impl<Id: Ord + Clone> crate::LogicalClock for VersionVector<Id> {
    type Node = Id;
    type Stamp = VersionVector<Id>;

    fn tick(&mut self, node: &Id) -> u64 {
        VersionVector::tick(self, node)
    }

    fn stamp(&self) -> VersionVector<Id> {
        self.clone()
    }

    fn merge_stamp(&mut self, stamp: &VersionVector<Id>) {
        self.merge(stamp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vv(pairs: &[(&str, u64)]) -> VersionVector<String> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    #[test]
    fn merge_fast_and_slow_paths() {
        let mut a = vv(&[("a", 1), ("c", 5)]);
        a.merge(&vv(&[("a", 3), ("c", 2)]));
        assert_eq!(a, vv(&[("a", 3), ("c", 5)]));
        a.merge(&vv(&[("b", 1), ("d", 7)]));
        assert_eq!(a, vv(&[("a", 3), ("b", 1), ("c", 5), ("d", 7)]));
        let mut e = VersionVector::new();
        e.merge(&a);
        assert_eq!(e, a);
    }

    #[test]
    fn meet_forget_set_and_duplicates() {
        let mut a = vv(&[("a", 4), ("b", 2), ("c", 1)]);
        a.meet(&vv(&[("b", 5), ("c", 0), ("a", 1)]));
        assert_eq!(a, vv(&[("a", 1), ("b", 2)]));
        assert_eq!(a.forget("a"), 1);
        assert_eq!(a.forget("zz"), 0);
        a.set("b", 0);
        assert!(a.is_empty());
        assert_eq!(vv(&[("x", 1), ("x", 3), ("x", 2)]).get("x"), 3);
    }

    #[test]
    fn compare_with_missing_ids() {
        let a = vv(&[("a", 1), ("b", 1)]);
        let b = vv(&[("a", 1), ("b", 1), ("c", 1)]);
        assert_eq!(a.compare(&b), Causality::Before);
        assert_eq!(b.compare(&a), Causality::After);
        assert!(b.dominates(&a) && !a.dominates(&b));
        let c = vv(&[("a", 2)]);
        assert_eq!(c.compare(&b), Causality::Concurrent);
        assert_eq!(vv(&[]).compare(&vv(&[("z", 0)])), Causality::Equal);
    }

    #[test]
    fn display_escapes_keys() {
        let v = vv(&[("b\"q", 1), ("a", 2)]);
        assert_eq!(v.to_string(), r#"{"a":2, "b\"q":1}"#);
    }
}
