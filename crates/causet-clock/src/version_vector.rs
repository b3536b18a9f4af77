//! Sparse version vectors keyed by any ordered node id.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

use smallvec::SmallVec;

use crate::Causality;

/// Entries kept inline before the vector allocates.
const INLINE: usize = 8;

/// Entries processed together by the aligned fast paths (one early-exit test per chunk).
const LANES: usize = 8;

/// Applies `update` to whole chunks of `a` and `b` while both hold the same ids at the
/// same positions; returns how many leading entries were handled that way.
#[inline]
fn aligned_prefix<Id: PartialEq>(
    a: &mut [(Id, u64)],
    b: &[(Id, u64)],
    mut update: impl FnMut(&mut [(Id, u64)], &[(Id, u64)]),
) -> usize {
    let common = a.len().min(b.len());
    let mut done = 0;
    for (x, y) in a[..common]
        .chunks_exact_mut(LANES)
        .zip(b[..common].chunks_exact(LANES))
    {
        let mut same = true;
        for lane in 0..LANES {
            same &= x[lane].0 == y[lane].0;
        }
        if !same {
            break;
        }
        update(x, y);
        done += LANES;
    }
    done
}

type Entries<Id> = SmallVec<[(Id, u64); INLINE]>;

/// A sparse vector clock keyed by node id (strings, integers, anything `Ord + Clone`), for
/// systems whose membership changes.
///
/// Entries are kept sorted by id with no zero counters: an absent node's entry is 0, and
/// because zeros are never stored the derived `Eq` and `Hash` agree with
/// [`compare`](Self::compare). Up to 8 entries live inline (no heap allocation). `merge`
/// and `compare` are sorted-merge walks over both vectors: O(n + m), no lookups.
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
    entries: Entries<Id>,
}

impl<Id> Default for VersionVector<Id> {
    fn default() -> Self {
        VersionVector {
            entries: SmallVec::new(),
        }
    }
}

impl<Id: fmt::Debug> fmt::Debug for VersionVector<Id> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(id, n)| (id, n)))
            .finish()
    }
}

impl<Id> VersionVector<Id> {
    /// The zero clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of non-zero entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether this is the zero clock.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The non-zero entries, sorted by id.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Id, u64)> + '_ {
        self.entries.iter().map(|(id, n)| (id, *n))
    }

    /// The ids with a non-zero entry, sorted.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &Id> + '_ {
        self.entries.iter().map(|(id, _)| id)
    }

    /// Whether the entries live on the heap (more than 8 of them at some point).
    pub fn spilled(&self) -> bool {
        self.entries.spilled()
    }

    /// Sum of the entries: the number of events in the causal history of the stamped event
    /// (saturating at `u64::MAX`).
    pub fn total(&self) -> u64 {
        self.entries
            .iter()
            .fold(0u64, |sum, (_, n)| sum.saturating_add(*n))
    }

    /// Entries that are already sorted by strictly increasing id with non-zero counters.
    /// Used by the decoders, which check that order themselves.
    pub(crate) fn from_sorted_unchecked(entries: Entries<Id>) -> Self {
        VersionVector { entries }
    }
}

impl<Id: Ord + Clone> VersionVector<Id> {
    /// A clock from `(id, counter)` pairs in any order. Zero counters are dropped; when an
    /// id repeats, the largest counter wins (the pairs are merged).
    pub fn from_entries(entries: impl IntoIterator<Item = (Id, u64)>) -> Self {
        let mut entries: Entries<Id> = entries.into_iter().filter(|(_, n)| *n > 0).collect();
        // Stable sort, then keep the maximum of each run of equal ids.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Entries<Id> = SmallVec::with_capacity(entries.len());
        for (id, n) in entries {
            match out.last_mut() {
                Some(last) if last.0 == id => last.1 = last.1.max(n),
                _ => out.push((id, n)),
            }
        }
        VersionVector { entries: out }
    }

    fn position<Q>(&self, node: &Q) -> Result<usize, usize>
    where
        Id: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries
            .binary_search_by(|(id, _)| id.borrow().cmp(node))
    }

    /// `node`'s entry (0 when absent).
    pub fn get<Q>(&self, node: &Q) -> u64
    where
        Id: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.position(node) {
            Ok(i) => self.entries[i].1,
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
                self.entries.remove(i);
            }
            (Ok(i), _) => self.entries[i].1 = value,
            (Err(_), 0) => {}
            (Err(i), _) => self.entries.insert(i, (node.to_owned(), value)),
        }
    }

    /// Increments `node`'s entry (an event on that node) and returns its new value.
    ///
    /// # Panics
    ///
    /// If the entry is already `u64::MAX`.
    pub fn tick<Q>(&mut self, node: &Q) -> u64
    where
        Id: Borrow<Q>,
        Q: Ord + ToOwned<Owned = Id> + ?Sized,
    {
        match self.position(node) {
            Ok(i) => {
                self.entries[i].1 += 1;
                self.entries[i].1
            }
            Err(i) => {
                self.entries.insert(i, (node.to_owned(), 1));
                1
            }
        }
    }

    /// The stamp for a message sent by `node`: ticks `node`, returns a copy of the clock.
    pub fn send<Q>(&mut self, node: &Q) -> VersionVector<Id>
    where
        Id: Borrow<Q>,
        Q: Ord + ToOwned<Owned = Id> + ?Sized,
    {
        self.tick(node);
        crate::LogicalClock::stamp(self)
    }

    /// A message stamped `stamp` is received by `node`: merges the stamp, then ticks
    /// `node`; returns the new value of `node`'s entry. (The same rule as
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
            Ok(i) => self.entries.remove(i).1,
            Err(_) => 0,
        }
    }

    /// Element-wise maximum with `other`, in place (the least upper bound).
    pub fn merge(&mut self, other: &VersionVector<Id>) {
        let b = &other.entries;
        // Fastest path, the common case between nodes of a stable cluster: both hold the
        // same ids at the same positions, so counters are maxed lane by lane.
        let mut k = aligned_prefix(&mut self.entries, b, |mine, theirs| {
            for (x, y) in mine.iter_mut().zip(theirs) {
                x.1 = if y.1 > x.1 { y.1 } else { x.1 };
            }
        });
        let a = &mut self.entries;
        // Then a walk that still updates in place while every id of `other` is here.
        let mut i = k;
        while k < b.len() {
            let (id, n) = &b[k];
            loop {
                match a.get(i).map(|(mine, _)| mine.cmp(id)) {
                    Some(Ordering::Less) => i += 1,
                    Some(Ordering::Equal) => {
                        let mine = &mut a[i].1;
                        *mine = (*mine).max(*n);
                        i += 1;
                        k += 1;
                        break;
                    }
                    // `id` is missing here: finish with a merging copy.
                    Some(Ordering::Greater) | None => {
                        self.merge_slow(i, other, k);
                        return;
                    }
                }
            }
        }
    }

    /// Merge when `other[j..]` holds ids missing from `self`: `self[..i]` is done (and all
    /// its ids are below `other[j]`), the rest is merged into a new vector.
    #[cold]
    fn merge_slow(&mut self, i: usize, other: &VersionVector<Id>, j: usize) {
        let a = &self.entries;
        let b = &other.entries;
        let mut out: Entries<Id> = SmallVec::with_capacity(a.len() + (b.len() - j));
        out.extend(a[..i].iter().cloned());
        let (mut i, mut j) = (i, j);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                Ordering::Less => {
                    out.push(a[i].clone());
                    i += 1;
                }
                Ordering::Greater => {
                    out.push(b[j].clone());
                    j += 1;
                }
                Ordering::Equal => {
                    out.push((a[i].0.clone(), a[i].1.max(b[j].1)));
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend(a[i..].iter().cloned());
        out.extend(b[j..].iter().cloned());
        self.entries = out;
    }

    /// Element-wise minimum with `other`, in place (the greatest lower bound): only the ids
    /// present in both remain.
    pub fn meet(&mut self, other: &VersionVector<Id>) {
        let b = &other.entries;
        let mut j = 0;
        self.entries.retain(|(id, n)| {
            while j < b.len() && b[j].0 < *id {
                j += 1;
            }
            match b.get(j) {
                Some((theirs, m)) if theirs == id => {
                    *n = (*n).min(*m);
                    true
                }
                _ => false,
            }
        });
    }

    /// How `self` relates to `other`, in one sorted walk with early exit.
    pub fn compare(&self, other: &VersionVector<Id>) -> Causality {
        let (less, greater) = self.flags(other, false);
        Causality::from_flags(less, greater)
    }

    /// Walks both vectors accumulating "some entry smaller" / "some entry larger"; stops
    /// as soon as both are known, or as soon as `less` is known when `stop_on_less`.
    fn flags(&self, other: &VersionVector<Id>, stop_on_less: bool) -> (bool, bool) {
        let a = &self.entries;
        let b = &other.entries;
        let (mut less, mut greater) = (false, false);
        // Aligned prefix: while both sides hold the same ids at the same positions (the
        // common case), compare counters chunk by chunk without the three-way id walk.
        let mut k = 0;
        let common = a.len().min(b.len());
        let mut a_chunks = a[..common].chunks_exact(LANES);
        let mut b_chunks = b[..common].chunks_exact(LANES);
        for (x, y) in (&mut a_chunks).zip(&mut b_chunks) {
            let mut same = true;
            let (mut lt, mut gt) = (false, false);
            for lane in 0..LANES {
                // `&`/`|` on bools: no short-circuit branches inside the chunk.
                same &= x[lane].0 == y[lane].0;
                lt |= x[lane].1 < y[lane].1;
                gt |= x[lane].1 > y[lane].1;
            }
            if !same {
                break;
            }
            less |= lt;
            greater |= gt;
            k += LANES;
            if less && (greater || stop_on_less) {
                return (less, greater);
            }
        }
        let (mut i, mut j) = (k, k);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                // A non-zero entry of `a` against an implicit 0.
                Ordering::Less => {
                    greater = true;
                    i += 1;
                }
                Ordering::Greater => {
                    less = true;
                    j += 1;
                }
                Ordering::Equal => {
                    less |= a[i].1 < b[j].1;
                    greater |= a[i].1 > b[j].1;
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

impl<Id> IntoIterator for VersionVector<Id> {
    type Item = (Id, u64);
    type IntoIter = smallvec::IntoIter<[(Id, u64); INLINE]>;

    /// The non-zero entries, sorted by id.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl From<&crate::VectorClock> for VersionVector<usize> {
    /// The non-zero entries of a dense clock, keyed by node index.
    fn from(dense: &crate::VectorClock) -> Self {
        VersionVector {
            entries: dense
                .as_slice()
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| (i, *n))
                .collect(),
        }
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

/// The GoVector/ShiViz clock object, keys sorted, `", "` between entries:
/// `{"alice":2, "bob":1}`. Keys are the ids' `Display` text, JSON-escaped.
impl<Id: fmt::Display> fmt::Display for VersionVector<Id> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        f.write_char('{')?;
        for (k, (id, n)) in self.entries.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            f.write_char('"')?;
            write!(crate::json::Escaper(f), "{id}")?;
            write!(f, "\":{n}")?;
        }
        f.write_char('}')
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
