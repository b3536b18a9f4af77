//! Dense vector clocks: one `u64` counter per node index.

use crate::Causality;

/// A dense vector clock: entry `i` counts the events of node `i` that causally precede
/// (or are) the stamped event.
///
/// Absent entries are 0, so clocks of different lengths compare and merge as if the
/// shorter one were padded with zeros. Invariant: no trailing zero entries are stored,
/// so the derived `Eq` and `Hash` agree with [`compare`](Self::compare).
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

    /// Number of stored entries (index of the last non-zero entry + 1).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether this is the zero clock.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `node` (0 when absent).
    pub fn get(&self, node: usize) -> u64 {
        self.entries.get(node).copied().unwrap_or(0)
    }

    /// Sets entry `node` to `value`.
    pub fn set(&mut self, node: usize, value: u64) {
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
    pub fn tick(&mut self, node: usize) -> u64 {
        if node >= self.entries.len() {
            self.entries.resize(node + 1, 0);
        }
        self.entries[node] += 1;
        self.entries[node]
    }

    /// Element-wise maximum with `other`, in place.
    pub fn merge(&mut self, other: &VectorClock) {
        if other.entries.len() > self.entries.len() {
            self.entries.resize(other.entries.len(), 0);
        }
        for (mine, theirs) in self.entries.iter_mut().zip(&other.entries) {
            *mine = (*mine).max(*theirs);
        }
    }

    /// How `self` relates to `other`, in one pass.
    pub fn compare(&self, other: &VectorClock) -> Causality {
        let (mut less, mut greater) = (false, false);
        let n = self.entries.len().max(other.entries.len());
        for i in 0..n {
            let (a, b) = (self.get(i), other.get(i));
            less |= a < b;
            greater |= a > b;
            if less && greater {
                return Causality::Concurrent;
            }
        }
        match (less, greater) {
            (false, false) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (true, true) => Causality::Concurrent,
        }
    }

    /// Every entry of `self` ≥ `other`'s.
    pub fn dominates(&self, other: &VectorClock) -> bool {
        matches!(self.compare(other), Causality::After | Causality::Equal)
    }

    /// Neither clock dominates the other.
    pub fn is_concurrent_with(&self, other: &VectorClock) -> bool {
        self.compare(other) == Causality::Concurrent
    }

    fn trim(&mut self) {
        while self.entries.last() == Some(&0) {
            self.entries.pop();
        }
    }
}

impl PartialOrd for VectorClock {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.compare(other).to_ordering()
    }
}
