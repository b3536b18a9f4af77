//! [`ClockTable`]: the vector clocks of an execution's events, stored in proportion to what
//! the log holds.
//!
//! Two forms, chosen while reading (see `ExecutionBuilder`):
//!
//! - **dense**: one row of `width` counters per event, for narrow executions (the row is
//!   then no bigger than a third of the event's text, or the whole matrix is small), where
//!   every algorithm reads rows directly;
//! - **changes**: per event its own entry and the entries that differ from its node's
//!   previous event in file order (the node's *chain*; a node's first event stores its
//!   non-zero entries), plus, per node, a full snapshot of the clock (its non-zero entries)
//!   whenever the changes to replay since the last one would exceed twice the clock's size.
//!   An event's clock is its snapshot with the later changes applied: the cost of rebuilding
//!   one is at most about three times its non-zero entries, and the snapshots take at most
//!   half the memory of the changes. A log writes every non-zero entry of every clock, so
//!   this form is never bigger than the log's clock text (an entry is 8 bytes here, at
//!   least 6 in the text, and usually far fewer entries change than are written).

use super::offsets::Offsets;

/// One clock entry: a node's index and its counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Entry {
    pub(crate) node: u32,
    pub(crate) value: u32,
}

/// A snapshot of one node's clock at a position of its chain: `len` entries from `start` in
/// [`Changes::snapshot_entries`], sorted by node, the node's own entry left out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Snapshot {
    pub(crate) position: u32,
    pub(crate) len: u32,
    pub(crate) start: usize,
}

/// The changes form (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct Changes {
    /// Per event, its own entry.
    pub(crate) own: Vec<u32>,
    /// Per event, the end of its changes in `changes` (they start at the previous event's
    /// end).
    pub(crate) change_ends: Offsets,
    /// Entries that differ from the chain predecessor's (never the node's own entry; a value
    /// of 0 when an entry vanished, which only a broken log does).
    pub(crate) changes: Vec<Entry>,
    /// Per node, its snapshots by chain position.
    pub(crate) snapshots: Vec<Vec<Snapshot>>,
    pub(crate) snapshot_entries: Vec<Entry>,
    /// No entry of any chain ever decreases (true of every valid log).
    pub(crate) monotone: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Store {
    /// `len × width` counters, row by row.
    Dense(Vec<u32>),
    Changes(Changes),
}

impl Default for Store {
    fn default() -> Self {
        Store::Dense(Vec::new())
    }
}

/// The vector clocks of an execution's events ([`crate::Execution::clock_table`]), indexed
/// like its nodes, with the node of each event. An absent entry is 0.
///
/// Stored in proportion to what the log holds: densely (`width` counters per event) when
/// that is small beside the log's text, otherwise as each event's changes from its node's
/// previous event with a periodic snapshot, so that a clock of `k` non-zero entries costs
/// about `k` entries to rebuild and the table stays far below the log's size at any node
/// count. [`ClockTable::clock`] gives one event's clock as a [`Clock`] view.
#[derive(Debug, Clone, Default)]
pub struct ClockTable {
    pub(crate) width: usize,
    pub(crate) event_nodes: Vec<u32>,
    /// Per node, its events sorted by their own entry (ties in file order).
    pub(crate) by_node: Vec<Vec<u32>>,
    /// Per node: its own entries are exactly 1..=count, so `node:n` is `by_node[node][n-1]`.
    pub(crate) gap_free: Vec<bool>,
    /// Every node's events appear in the file in increasing own-entry order, so file order
    /// visits each node's events in order (and passes can run sequentially).
    pub(crate) in_file_order: bool,
    /// Per node whose events are not in own-entry order in the file: its events in file
    /// order (its chain). Empty for the others, whose chain is `by_node`.
    pub(crate) chains: Vec<Vec<u32>>,
    pub(crate) store: Store,
}

impl ClockTable {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.event_nodes.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.event_nodes.is_empty()
    }

    /// Number of entries of every clock (the execution's nodes).
    pub fn width(&self) -> usize {
        self.width
    }

    /// The node of event `index`.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn node_of(&self, index: usize) -> usize {
        self.event_nodes[index] as usize
    }

    /// The clock of event `index`.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn clock(&self, index: usize) -> Clock<'_> {
        assert!(index < self.len(), "event {index} of {}", self.len());
        Clock { table: self, index }
    }

    /// Event `index`'s own entry (`n` in its id `node:n`).
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn own(&self, index: usize) -> u32 {
        match &self.store {
            Store::Dense(cells) => cells[index * self.width + self.event_nodes[index] as usize],
            Store::Changes(changes) => changes.own[index],
        }
    }

    /// Whether the clocks are stored densely (one row per event).
    pub fn is_dense(&self) -> bool {
        matches!(self.store, Store::Dense(_))
    }

    /// Bytes of memory the clocks take (the table's arrays, not the struct itself).
    pub fn heap_bytes(&self) -> usize {
        let lists = |lists: &[Vec<u32>]| -> usize {
            lists.iter().map(|list| list.capacity() * 4 + 24).sum()
        };
        let common = self.event_nodes.capacity() * 4
            + lists(&self.by_node)
            + lists(&self.chains)
            + self.gap_free.len();
        common
            + match &self.store {
                Store::Dense(cells) => cells.capacity() * 4,
                Store::Changes(changes) => {
                    changes.own.capacity() * 4
                        + changes.change_ends.heap_bytes()
                        + changes.changes.capacity() * 8
                        + changes
                            .snapshots
                            .iter()
                            .map(|list| list.capacity() * 16 + 24)
                            .sum::<usize>()
                        + changes.snapshot_entries.capacity() * 8
                }
            }
    }

    /// Replaces `out` with the entries of event `index`'s clock that differ from the clock
    /// of the previous event of its node in file order (all zeros before a node's first
    /// event), its own entry included, as `(node, value)` in node order: a clock is its
    /// predecessor's with these entries replaced. Costs about the number of entries given
    /// when the clocks are stored as changes, `nodes` when dense.
    ///
    /// ```
    /// use causet_log::{parse_log, ReadOptions};
    ///
    /// let text = "a {\"a\":1}\nsend\nb {\"b\":1}\nlocal\nb {\"a\":1, \"b\":2}\nreceive\n";
    /// let log = parse_log(text.as_bytes(), &ReadOptions::default())?;
    /// let table = log.executions[0].clock_table();
    /// let mut changed = Vec::new();
    /// table.changes_into(2, &mut changed);
    /// assert_eq!(changed, [(0, 1), (1, 2)]);
    /// assert!(table.grows_along_nodes());
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn changes_into(&self, index: usize, out: &mut Vec<(u32, u32)>) {
        out.clear();
        let node = self.node_of(index);
        let chain = self.chain(node);
        let position = Self::position(chain, index);
        let previous = position.checked_sub(1).map(|p| chain[p] as usize);
        match &self.store {
            Store::Dense(cells) => {
                let width = self.width;
                let row = &cells[index * width..(index + 1) * width];
                match previous {
                    Some(previous) => {
                        let before = &cells[previous * width..(previous + 1) * width];
                        out.extend(
                            (0..width as u32)
                                .zip(row.iter().zip(before))
                                .filter(|(_, (now, then))| now != then)
                                .map(|(k, (&now, _))| (k, now)),
                        );
                    }
                    None => out.extend(
                        (0..width as u32)
                            .zip(row)
                            .filter(|(_, now)| **now != 0)
                            .map(|(k, &now)| (k, now)),
                    ),
                }
            }
            Store::Changes(changes) => {
                out.extend(
                    Self::changes_of(changes, index)
                        .iter()
                        .map(|entry| (entry.node, entry.value)),
                );
                let own = changes.own[index];
                let before = previous.map_or(0, |previous| changes.own[previous]);
                if own != before {
                    out.push((node as u32, own));
                }
                out.sort_unstable();
            }
        }
    }

    /// Whether along each node, in file order, every event's own entry is larger than its
    /// predecessor's and no entry is smaller (true of every log `check` accepts, strict or
    /// lenient): then every change of [`ClockTable::changes_into`] is an increase.
    pub fn grows_along_nodes(&self) -> bool {
        let owns_grow = (0..self.width).all(|node| {
            self.chain(node)
                .windows(2)
                .all(|pair| self.own(pair[0] as usize) < self.own(pair[1] as usize))
        });
        owns_grow
            && match &self.store {
                Store::Changes(changes) => changes.monotone,
                Store::Dense(cells) => (0..self.width).all(|node| {
                    self.chain(node).windows(2).all(|pair| {
                        let (a, b) = (pair[0] as usize * self.width, pair[1] as usize * self.width);
                        cells[a..a + self.width]
                            .iter()
                            .zip(&cells[b..b + self.width])
                            .all(|(then, now)| now >= then)
                    })
                }),
            }
    }

    /// Entry `node` of event `index`'s clock.
    ///
    /// # Panics
    /// If `index >= len()`.
    #[inline]
    pub(crate) fn entry(&self, index: usize, node: usize) -> u32 {
        match &self.store {
            Store::Dense(cells) => {
                if node < self.width {
                    cells[index * self.width + node]
                } else {
                    0
                }
            }
            Store::Changes(changes) => self.changes_entry(changes, index, node),
        }
    }

    /// Event `index`'s clock, dense: a row of the table, or rebuilt in `buf`.
    #[inline]
    pub(crate) fn row<'s>(&'s self, index: usize, buf: &'s mut Vec<u32>) -> &'s [u32] {
        match &self.store {
            Store::Dense(cells) => &cells[index * self.width..(index + 1) * self.width],
            Store::Changes(changes) => {
                buf.clear();
                buf.resize(self.width, 0);
                self.for_each_entry(changes, index, |node, value| buf[node as usize] = value);
                buf[self.node_of(index)] = changes.own[index];
                buf
            }
        }
    }

    /// The changes form, if the clocks are in it.
    pub(crate) fn changes(&self) -> Option<&Changes> {
        match &self.store {
            Store::Dense(_) => None,
            Store::Changes(changes) => Some(changes),
        }
    }

    /// Node `node`'s events in file order.
    pub(crate) fn chain(&self, node: usize) -> &[u32] {
        match self.chains.get(node) {
            Some(chain) if !chain.is_empty() => chain,
            _ => self.by_node.get(node).map_or(&[], Vec::as_slice),
        }
    }

    /// Where event `index` (of node `node`) sits in its node's chain.
    fn position(chain: &[u32], index: usize) -> usize {
        // A chain is in file order, so sorted by event index.
        chain.partition_point(|&event| (event as usize) < index)
    }

    /// The snapshot event `index` is rebuilt from (if any) and the chain positions whose
    /// changes apply after it, with the chain.
    fn base<'s>(
        &'s self,
        changes: &'s Changes,
        index: usize,
    ) -> (Option<Snapshot>, &'s [u32], usize, usize) {
        let node = self.node_of(index);
        let chain = self.chain(node);
        let position = Self::position(chain, index);
        let snapshots = changes.snapshots.get(node).map_or(&[][..], Vec::as_slice);
        let found = snapshots.partition_point(|s| s.position as usize <= position);
        match found.checked_sub(1).map(|k| snapshots[k]) {
            Some(snapshot) => (
                Some(snapshot),
                chain,
                snapshot.position as usize + 1,
                position,
            ),
            None => (None, chain, 0, position),
        }
    }

    /// Event `index`'s changes.
    #[inline]
    pub(crate) fn changes_of(changes: &Changes, index: usize) -> &[Entry] {
        let start = if index == 0 {
            0
        } else {
            changes.change_ends.get(index - 1) as usize
        };
        &changes.changes[start..changes.change_ends.get(index) as usize]
    }

    /// Calls `f(node, value)` for the entries that make event `index`'s clock (its own entry
    /// left out): its snapshot's, then the changes after it in chain order, so that a later
    /// call for a node overrides an earlier one. In a monotone table every value given for a
    /// node is at most the clock's final one.
    #[inline]
    pub(crate) fn for_each_entry(
        &self,
        changes: &Changes,
        index: usize,
        mut f: impl FnMut(u32, u32),
    ) {
        let (snapshot, chain, first, last) = self.base(changes, index);
        if let Some(snapshot) = snapshot {
            for entry in
                &changes.snapshot_entries[snapshot.start..snapshot.start + snapshot.len as usize]
            {
                f(entry.node, entry.value);
            }
        }
        for &event in &chain[first..=last] {
            for entry in Self::changes_of(changes, event as usize) {
                f(entry.node, entry.value);
            }
        }
    }

    fn changes_entry(&self, changes: &Changes, index: usize, node: usize) -> u32 {
        if node == self.node_of(index) {
            return changes.own[index];
        }
        let (snapshot, chain, first, last) = self.base(changes, index);
        let mut value = 0;
        if let Some(snapshot) = snapshot {
            let entries =
                &changes.snapshot_entries[snapshot.start..snapshot.start + snapshot.len as usize];
            if let Ok(k) = entries.binary_search_by_key(&(node as u32), |entry| entry.node) {
                value = entries[k].value;
            }
        }
        for &event in &chain[first..=last] {
            for entry in Self::changes_of(changes, event as usize) {
                if entry.node as usize == node {
                    value = entry.value;
                }
            }
        }
        value
    }
}

/// One event's vector clock, borrowed from a [`ClockTable`]: `len()` entries indexed like
/// the execution's nodes, 0 where absent.
///
/// ```
/// use causet_log::{parse_log, ReadOptions};
///
/// let log = parse_log(b"a {\"a\":1}\nsend\nb {\"a\":1, \"b\":2}\nreceive\n", &ReadOptions::default())?;
/// let clock = log.executions[0].clock(1);
/// assert_eq!((clock.get(0), clock.get(1), clock.len()), (1, 2, 2));
/// assert_eq!(clock.to_vec(), [1, 2]);
/// assert_eq!(clock.nonzero().collect::<Vec<_>>(), [(0, 1), (1, 2)]);
/// assert_eq!(clock, [1, 2]);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Clock<'a> {
    table: &'a ClockTable,
    index: usize,
}

impl<'a> Clock<'a> {
    /// Number of entries (the execution's nodes).
    pub fn len(&self) -> usize {
        self.table.width
    }

    /// Whether the clock has no entries (an execution without nodes).
    pub fn is_empty(&self) -> bool {
        self.table.width == 0
    }

    /// Entry `node` (0 for a node beyond [`Clock::len`]).
    pub fn get(&self, node: usize) -> u32 {
        self.table.entry(self.index, node)
    }

    /// The event's own entry.
    pub fn own(&self) -> u32 {
        self.table.own(self.index)
    }

    /// Replaces `out`'s contents with the dense clock (`len()` entries).
    pub fn to_dense(&self, out: &mut Vec<u32>) {
        match &self.table.store {
            Store::Dense(_) => {
                out.clear();
                let mut unused = Vec::new();
                out.extend_from_slice(self.table.row(self.index, &mut unused));
            }
            Store::Changes(_) => {
                let mut buf = std::mem::take(out);
                self.table.row(self.index, &mut buf);
                *out = buf;
            }
        }
    }

    /// The dense clock.
    pub fn to_vec(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len());
        self.to_dense(&mut out);
        out
    }

    /// Every entry, in node order (zeros included).
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        match &self.table.store {
            Store::Dense(cells) => {
                let width = self.table.width;
                Values::Row(cells[self.index * width..(self.index + 1) * width].iter())
            }
            Store::Changes(_) => Values::Owned(self.to_vec().into_iter()),
        }
    }

    /// The non-zero entries as `(node, value)`, in node order.
    pub fn nonzero(&self) -> impl Iterator<Item = (usize, u32)> + 'a {
        self.iter().enumerate().filter(|&(_, value)| value != 0)
    }

    /// The sum of the entries.
    pub fn sum(&self) -> u64 {
        let mut buf = Vec::new();
        self.table
            .row(self.index, &mut buf)
            .iter()
            .map(|&v| u64::from(v))
            .sum()
    }
}

/// [`Clock::iter`]'s iterator.
enum Values<'a> {
    Row(std::slice::Iter<'a, u32>),
    Owned(std::vec::IntoIter<u32>),
}

impl Iterator for Values<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        match self {
            Values::Row(iter) => iter.next().copied(),
            Values::Owned(iter) => iter.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Values::Row(iter) => iter.size_hint(),
            Values::Owned(iter) => iter.size_hint(),
        }
    }
}

impl std::fmt::Debug for Clock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Clock<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Clock<'_> {}

impl PartialEq<[u32]> for Clock<'_> {
    fn eq(&self, other: &[u32]) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter().copied())
    }
}

impl PartialEq<&[u32]> for Clock<'_> {
    fn eq(&self, other: &&[u32]) -> bool {
        *self == **other
    }
}

impl PartialEq<Vec<u32>> for Clock<'_> {
    fn eq(&self, other: &Vec<u32>) -> bool {
        *self == **other
    }
}

impl<const N: usize> PartialEq<[u32; N]> for Clock<'_> {
    fn eq(&self, other: &[u32; N]) -> bool {
        *self == other[..]
    }
}
