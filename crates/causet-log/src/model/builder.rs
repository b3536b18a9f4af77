//! [`ExecutionBuilder`]: one execution built event by event, for both readers.

use crate::error::LogErrorKind;

use super::Execution;
use super::clocks::{Changes, ClockTable, Entry, Snapshot, Store};
use super::offsets::Offsets;
use super::row::RowFiller;

/// Builds one [`Execution`] event by event (shared by the fast reader and the regex reader).
///
/// Clocks start dense (rows of the growing node count, re-laid out at `finish`) and move to
/// the changes form (see [`super::clocks`]) for good as soon as the dense rows would take
/// more than [`DENSE_FLOOR_CELLS`] counters and more than a third of the entries' bytes.
#[derive(Debug, Default)]
pub(crate) struct ExecutionBuilder {
    name: String,
    rows: RowFiller,
    /// Dense rows of growing width: `widths[k] = (first event, width)` of each stretch.
    clocks: Vec<u32>,
    widths: Vec<(usize, usize)>,
    /// The changes form, once chosen.
    changes: Option<Box<ChangesBuilder>>,
    storage: ClockStorage,
    event_nodes: Vec<u32>,
    lines: Offsets,
    /// Event texts, concatenated; validated as UTF-8 once, in `finish`.
    text: Vec<u8>,
    text_ends: Offsets,
    field_names: Vec<String>,
    fields: Vec<String>,
    scratch: Vec<u8>,
    /// Most dense clock counters (events × nodes) allowed so far, from the input's size.
    cell_limit: usize,
    /// Bytes of the entries pushed so far (host, clock and text, with a separator each).
    consumed: u64,
    /// Per node, kept while reading (each row is at hand then, so `finish` need not read
    /// every row again): its events so far, its last own entry, whether its own entries
    /// have not decreased, and whether they ran 1, 2, 3, … so far.
    order: Vec<NodeOrder>,
}

/// Dense clock counters always allowed (4 MiB): small executions stay dense whatever their
/// shape.
const DENSE_FLOOR_CELLS: usize = 1 << 20;

/// How a thread's readers store clocks (for tests and benches: both forms answer alike).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClockStorage {
    /// Dense while small beside the log's text, then as changes (the default).
    #[default]
    Auto,
    /// Always dense (still refused beyond the input-size limit).
    Dense,
    /// Always as changes.
    Changes,
}

thread_local! {
    static STORAGE: std::cell::Cell<ClockStorage> = const { std::cell::Cell::new(ClockStorage::Auto) };
}

/// Sets how the calling thread's later reads store clocks (for tests and benches).
#[doc(hidden)]
pub fn set_clock_storage(storage: ClockStorage) {
    STORAGE.with(|cell| cell.set(storage));
}

/// Replays of changes beyond which a snapshot is taken, whatever the clock's size.
const MIN_REPLAY: usize = 16;

/// Builds the changes form: per event its changes from its node's previous event, per node
/// its current clock (non-zero entries, own left out) and the changes since its last
/// snapshot.
#[derive(Debug, Default)]
struct ChangesBuilder {
    own: Vec<u32>,
    change_ends: Offsets,
    changes: Vec<Entry>,
    snapshots: Vec<Vec<Snapshot>>,
    snapshot_entries: Vec<Entry>,
    monotone: bool,
    nodes: Vec<NodeClock>,
    /// The previous clock of the node being pushed, dense (zero otherwise).
    previous: Vec<u32>,
    next: Vec<Entry>,
}

#[derive(Debug, Default)]
struct NodeClock {
    current: Vec<Entry>,
    /// Changes since the last snapshot (or since the first event).
    since: usize,
    /// Events so far: the next one's chain position.
    count: u32,
}

impl ChangesBuilder {
    fn new() -> Self {
        ChangesBuilder {
            monotone: true,
            ..ChangesBuilder::default()
        }
    }

    /// Adds an event of `node` whose clock is `row` (0 beyond its end); `touched` holds
    /// every index of a non-zero entry (and maybe some zero ones), without repeats.
    fn push(&mut self, node: usize, row: &[u32], touched: impl Iterator<Item = u32>) -> bool {
        self.own.push(row.get(node).copied().unwrap_or(0));
        if self.nodes.len() <= node {
            self.nodes.resize_with(node + 1, NodeClock::default);
            self.snapshots.resize_with(node + 1, Vec::new);
        }
        if self.previous.len() < row.len() {
            self.previous.resize(row.len(), 0);
        }
        let state = &mut self.nodes[node];
        for entry in &state.current {
            self.previous[entry.node as usize] = entry.value;
        }
        let start = self.changes.len();
        self.next.clear();
        for k in touched {
            let index = k as usize;
            let value = row[index];
            if index == node || value == 0 {
                continue;
            }
            self.next.push(Entry { node: k, value });
            let before = self.previous[index];
            if before != value {
                self.changes.push(Entry { node: k, value });
                self.monotone &= value > before;
            }
        }
        for entry in &state.current {
            let index = entry.node as usize;
            if row.get(index).copied().unwrap_or(0) == 0 {
                // An entry that vanished: only a broken log has one.
                self.changes.push(Entry {
                    node: entry.node,
                    value: 0,
                });
                self.monotone = false;
            }
            self.previous[index] = 0;
        }
        std::mem::swap(&mut state.current, &mut self.next);
        state.since += self.changes.len() - start;
        if state.since > MIN_REPLAY && state.since > 2 * state.current.len() {
            let start = self.snapshot_entries.len();
            self.snapshot_entries.extend_from_slice(&state.current);
            self.snapshot_entries[start..].sort_unstable_by_key(|entry| entry.node);
            self.snapshots[node].push(Snapshot {
                position: state.count,
                len: state.current.len() as u32,
                start,
            });
            state.since = 0;
        }
        state.count += 1;
        self.change_ends.push(self.changes.len() as u64)
    }
}

#[derive(Debug, Clone, Copy)]
struct NodeOrder {
    events: u32,
    last: u32,
    sorted: bool,
    gap_free: bool,
}

impl Default for NodeOrder {
    fn default() -> Self {
        NodeOrder {
            events: 0,
            last: 0,
            sorted: true,
            gap_free: true,
        }
    }
}

/// The event texts as one `String`: one validation pass and, only if some text is not
/// UTF-8, a copy in which each invalid byte becomes `?` (so every offset stays valid).
fn validate_text(text: Vec<u8>) -> String {
    match String::from_utf8(text) {
        Ok(text) => text,
        Err(error) => {
            let bytes = error.into_bytes();
            let mut text = String::with_capacity(bytes.len());
            for chunk in bytes.utf8_chunks() {
                text.push_str(chunk.valid());
                text.extend(std::iter::repeat_n('?', chunk.invalid().len()));
            }
            text
        }
    }
}

/// Clock counters up to which [`ExecutionBuilder::widen`] re-lays the rows out when a new
/// node appears (beyond, rows of different widths are kept and widened by `finish`).
const EARLY_CELLS: usize = 1 << 16;

impl ExecutionBuilder {
    pub(crate) fn new(name: String, field_names: Vec<String>) -> Self {
        let storage = STORAGE.with(std::cell::Cell::get);
        let mut builder = ExecutionBuilder {
            name,
            field_names,
            storage,
            ..ExecutionBuilder::default()
        };
        if storage == ClockStorage::Changes {
            builder.move_to_changes();
        }
        builder
    }

    pub(crate) fn len(&self) -> usize {
        self.event_nodes.len()
    }

    /// Reserves room for about `events` events (capped by the input-size limit).
    pub(crate) fn reserve(&mut self, events: u64) {
        let width = self.rows.width().max(1);
        let events = usize::try_from(events)
            .unwrap_or(usize::MAX)
            .min(self.cell_limit / width);
        let have = self.event_nodes.len();
        if events <= have {
            return;
        }
        let more = events - have;
        if self.changes.is_none() {
            self.clocks
                .reserve_exact((more * width).min(DENSE_FLOOR_CELLS.max(self.clocks.len())));
        }
        self.event_nodes.reserve_exact(more);
        self.lines.reserve_exact(more);
        self.text_ends.reserve_exact(more);
        let text_per_event = self.text.len() / have.max(1) + 1;
        self.text.reserve_exact(more * text_per_event);
    }

    /// Allows up to `4 × input_bytes + 2^24` clock counters: a real log spends at least a
    /// few bytes per event, so only hostile inputs (many nodes, tiny events) hit this.
    pub(crate) fn set_cell_limit(&mut self, input_bytes: u64) {
        let limit = input_bytes.saturating_mul(4).saturating_add(1 << 24);
        self.cell_limit = usize::try_from(limit).unwrap_or(usize::MAX);
    }

    /// Adds an event; `host` and the clock's names must be non-empty.
    pub(crate) fn push(
        &mut self,
        host: &[u8],
        clock: &[u8],
        line: u64,
        text: &[u8],
        fields: &[&str],
    ) -> Result<(), LogErrorKind> {
        if host.is_empty() {
            return Err(LogErrorKind::EmptyHost);
        }
        let host_id = self.rows.intern_host(host)?;
        self.fill_row(host_id, clock)?;
        self.consumed += (host.len() + clock.len() + text.len() + 3) as u64;
        self.append(host_id, line, text, fields)
    }

    /// Interns `host` (non-empty) and gives the length of its previous clock when that one
    /// has an exact layout (see [`Template`]): the GoVector reader then tries that length
    /// with [`ExecutionBuilder::push_exact`] before looking for the line's end.
    #[inline]
    pub(crate) fn exact_clock_len(
        &mut self,
        host: &[u8],
    ) -> Result<(u32, Option<usize>), LogErrorKind> {
        if host.is_empty() {
            return Err(LogErrorKind::EmptyHost);
        }
        let host_id = self.rows.intern_host(host)?;
        Ok((host_id, self.rows.exact_len(host_id)))
    }

    /// Adds an event of `host_id` (from [`ExecutionBuilder::exact_clock_len`]) if `clock` has
    /// its exact layout; `Ok(false)`, and nothing added, if not.
    #[inline]
    pub(crate) fn push_exact(
        &mut self,
        host_id: u32,
        clock: &[u8],
        line: u64,
        text: &[u8],
    ) -> Result<bool, LogErrorKind> {
        if !self.rows.fill_exact(host_id, clock) {
            return Ok(false);
        }
        // The host is at most 64 bytes (the fast reader's window); its length does not
        // matter for the estimate.
        self.consumed += (clock.len() + text.len() + 8) as u64;
        self.append(host_id, line, text, &[])?;
        Ok(true)
    }

    /// Fills the row from `clock` (see [`RowFiller::fill`]).
    fn fill_row(&mut self, host_id: u32, clock: &[u8]) -> Result<(), LogErrorKind> {
        self.rows.fill(host_id, clock, &mut self.scratch)
    }

    /// Appends the event whose clock is in the row.
    #[inline]
    fn append(
        &mut self,
        host_id: u32,
        line: u64,
        text: &[u8],
        fields: &[&str],
    ) -> Result<(), LogErrorKind> {
        let width = self.rows.width();
        if self.rows.row.values.len() < width {
            self.rows.row.values.resize(width, 0);
        }
        let events = self.event_nodes.len();
        if events >= u32::MAX as usize {
            return Err(LogErrorKind::TooLarge {
                events: events + 1,
                nodes: width,
            });
        }
        let node = host_id as usize;
        if self.changes.is_none() {
            let cells = (events + 1).saturating_mul(width);
            if self.dense_fits(cells) {
                if cells > self.cell_limit {
                    return Err(LogErrorKind::TooLarge {
                        events: events + 1,
                        nodes: width,
                    });
                }
                if self.widths.last().is_none_or(|&(_, w)| w != width) {
                    if self.clocks.len() <= EARLY_CELLS {
                        self.widen(width);
                    } else {
                        self.widths.push((events, width));
                    }
                }
                self.clocks
                    .extend_from_slice(&self.rows.row.values[..width]);
            } else {
                self.move_to_changes();
            }
        }
        if let Some(changes) = &mut self.changes {
            let row = &self.rows.row;
            if !changes.push(node, &row.values, row.touched.iter().copied()) {
                return Err(LogErrorKind::TooLarge {
                    events: events + 1,
                    nodes: width,
                });
            }
        }
        self.event_nodes.push(host_id);
        if node >= self.order.len() {
            self.order.resize(width.max(node + 1), NodeOrder::default());
        }
        let own = self.rows.row.values.get(node).copied().unwrap_or(0);
        let order = &mut self.order[node];
        order.sorted &= own >= order.last;
        order.gap_free &= u64::from(own) == u64::from(order.last) + 1;
        order.last = own;
        order.events += 1;
        self.text.extend_from_slice(text);
        // An error here (a gap of 2^32 lines or text bytes within 32 events) ends the read.
        if !self.lines.push(line) || !self.text_ends.push(self.text.len() as u64) {
            return Err(LogErrorKind::TooLarge {
                events: self.event_nodes.len(),
                nodes: width,
            });
        }
        for column in 0..self.field_names.len() {
            self.fields
                .push(fields.get(column).copied().unwrap_or_default().to_string());
        }
        Ok(())
    }

    /// Whether `cells` dense counters are allowed: few, or at most a third of the entries'
    /// bytes (4 bytes a counter), unless the thread asked for one form.
    #[inline]
    fn dense_fits(&self, cells: usize) -> bool {
        match self.storage {
            ClockStorage::Dense => true,
            ClockStorage::Changes => false,
            ClockStorage::Auto => {
                cells <= DENSE_FLOOR_CELLS || (cells as u64).saturating_mul(12) <= self.consumed
            }
        }
    }

    /// Moves the dense rows read so far to the changes form, for good.
    fn move_to_changes(&mut self) {
        let mut changes = ChangesBuilder::new();
        let events = self.event_nodes.len();
        let mut offset = 0;
        for (stretch, &(first, row_width)) in self.widths.iter().enumerate() {
            let end = self
                .widths
                .get(stretch + 1)
                .map_or(events, |&(next, _)| next);
            for event in first..end {
                let row = &self.clocks[offset..offset + row_width];
                let touched = (0..row_width as u32).filter(|&k| row[k as usize] != 0);
                // Fewer than 2^32 changes within 32 events: rows are below 2^27 entries.
                let _ = changes.push(self.event_nodes[event] as usize, row, touched);
                offset += row_width;
            }
        }
        self.clocks = Vec::new();
        self.widths = Vec::new();
        self.rows.row.start_tracking();
        self.changes = Some(Box::new(changes));
    }

    /// Widens the rows read so far to `width` at once: while they are few, so that a log whose
    /// nodes all appear early (the usual case) ends with rows of one width and `finish` need
    /// not move every row.
    fn widen(&mut self, width: usize) {
        let events = self.event_nodes.len();
        let mut clocks = Vec::with_capacity(self.clocks.capacity().max(events * width));
        let mut offset = 0;
        for (stretch, &(first, row_width)) in self.widths.iter().enumerate() {
            let end = self
                .widths
                .get(stretch + 1)
                .map_or(events, |&(next, _)| next);
            for _ in first..end {
                clocks.extend_from_slice(&self.clocks[offset..offset + row_width]);
                clocks.resize(clocks.len() + width - row_width, 0);
                offset += row_width;
            }
        }
        self.clocks = clocks;
        self.widths.clear();
        self.widths.push((0, width));
    }

    /// Widens every clock to the final node count (in place, from the back) and indexes the
    /// events by node.
    pub(crate) fn finish(self) -> Execution {
        let ExecutionBuilder {
            name,
            rows,
            mut clocks,
            widths,
            changes,
            event_nodes,
            lines,
            text,
            text_ends,
            field_names,
            fields,
            mut order,
            consumed,
            ..
        } = self;
        let nodes = rows.into_nodes();
        let width = nodes.len();
        let events = event_nodes.len();
        if changes.is_none() && widths.iter().any(|&(_, w)| w != width) {
            let mut old_end = clocks.len();
            clocks.reserve_exact((events * width).saturating_sub(clocks.len()));
            clocks.resize(events * width, 0);
            // Each row moves to a higher (or equal) offset, so going from the last row to the
            // first never overwrites a row not yet moved.
            for (stretch, &(first, row_width)) in widths.iter().enumerate().rev() {
                let end = widths.get(stretch + 1).map_or(events, |&(next, _)| next);
                for event in (first..end).rev() {
                    let old = old_end - row_width;
                    let new = event * width;
                    clocks.copy_within(old..old + row_width, new);
                    clocks[new + row_width..new + width].fill(0);
                    old_end = old;
                }
            }
        }
        let own = |event: u32| -> u32 {
            match &changes {
                Some(changes) => changes.own[event as usize],
                None => clocks[event as usize * width + event_nodes[event as usize] as usize],
            }
        };
        // Each node's events in file order; only a node whose events came out of order
        // (see `NodeOrder`) needs sorting (strided reads of the clocks).
        order.resize(width, NodeOrder::default());
        let mut by_node: Vec<Vec<u32>> = order
            .iter()
            .map(|order| Vec::with_capacity(order.events as usize))
            .collect();
        for (event, &node) in event_nodes.iter().enumerate() {
            by_node[node as usize].push(event as u32);
        }
        let sorted: Vec<bool> = order.iter().map(|order| order.sorted).collect();
        let mut gap_free: Vec<bool> = order.iter().map(|order| order.gap_free).collect();
        let mut chains: Vec<Vec<u32>> = Vec::new();
        for (node, events) in by_node.iter_mut().enumerate() {
            if !sorted[node] {
                chains.resize_with(width, Vec::new);
                chains[node] = events.clone();
                // Stable: duplicates stay in file order.
                events.sort_by_key(|&e| own(e));
                gap_free[node] = events
                    .iter()
                    .enumerate()
                    .all(|(k, &e)| own(e) as usize == k + 1);
            }
        }
        let text = validate_text(text);
        let in_file_order = sorted.iter().all(|&sorted| sorted);
        let store = match changes {
            None => Store::Dense(clocks),
            Some(built) => {
                let ChangesBuilder {
                    own,
                    change_ends,
                    changes,
                    mut snapshots,
                    snapshot_entries,
                    monotone,
                    ..
                } = *built;
                snapshots.resize_with(width, Vec::new);
                Store::Changes(Changes {
                    own,
                    change_ends,
                    changes,
                    snapshots,
                    snapshot_entries,
                    monotone,
                })
            }
        };
        Execution {
            name,
            nodes,
            clocks: std::sync::Arc::new(ClockTable {
                width,
                event_nodes,
                by_node,
                gap_free,
                in_file_order,
                chains,
                store,
            }),
            lines,
            text,
            text_ends,
            field_names,
            fields,
            messages: std::sync::OnceLock::new(),
            passed: std::sync::OnceLock::new(),
            entry_bytes: consumed,
        }
    }
}
