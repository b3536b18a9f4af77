//! [`ExecutionBuilder`]: one execution built event by event, for both readers.

use crate::error::LogErrorKind;

use super::Execution;
use super::offsets::Offsets;
use super::row::RowFiller;

/// Builds one [`Execution`] event by event (shared by the fast reader and the regex reader).
#[derive(Debug, Default)]
pub(crate) struct ExecutionBuilder {
    name: String,
    rows: RowFiller,
    /// Rows of growing width: `widths[k] = (first event, width)` of each stretch.
    clocks: Vec<u32>,
    widths: Vec<(usize, usize)>,
    event_nodes: Vec<u32>,
    lines: Offsets,
    /// Event texts, concatenated; validated as UTF-8 once, in `finish`.
    text: Vec<u8>,
    text_ends: Offsets,
    field_names: Vec<String>,
    fields: Vec<String>,
    scratch: Vec<u8>,
    /// Most clock counters (events × nodes) allowed so far, from the input's size.
    cell_limit: usize,
    /// Per node, kept while reading (each row is at hand then, so `finish` need not read
    /// every row again): its events so far, its last own entry, whether its own entries
    /// have not decreased, and whether they ran 1, 2, 3, … so far.
    order: Vec<NodeOrder>,
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
        ExecutionBuilder {
            name,
            field_names,
            ..ExecutionBuilder::default()
        }
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
        self.clocks.reserve_exact(more * width);
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
        self.rows.row.resize(width, 0);
        let cells = (self.event_nodes.len() + 1).saturating_mul(width);
        if cells > self.cell_limit || self.event_nodes.len() >= u32::MAX as usize {
            return Err(LogErrorKind::TooLarge {
                events: self.event_nodes.len() + 1,
                nodes: width,
            });
        }
        if self.widths.last().is_none_or(|&(_, w)| w != width) {
            if self.clocks.len() <= EARLY_CELLS {
                self.widen(width);
            } else {
                self.widths.push((self.event_nodes.len(), width));
            }
        }
        self.clocks.extend_from_slice(&self.rows.row);
        self.event_nodes.push(host_id);
        let node = host_id as usize;
        if node >= self.order.len() {
            self.order.resize(width.max(node + 1), NodeOrder::default());
        }
        let own = self.rows.row.get(node).copied().unwrap_or(0);
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
            event_nodes,
            lines,
            text,
            text_ends,
            field_names,
            fields,
            mut order,
            ..
        } = self;
        let nodes = rows.into_nodes();
        let width = nodes.len();
        let events = event_nodes.len();
        if widths.iter().any(|&(_, w)| w != width) {
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
        for (node, events) in by_node.iter_mut().enumerate() {
            if !sorted[node] {
                // Stable: duplicates stay in file order.
                events.sort_by_key(|&e| clocks[e as usize * width + node]);
                gap_free[node] = events
                    .iter()
                    .enumerate()
                    .all(|(k, &e)| clocks[e as usize * width + node] as usize == k + 1);
            }
        }
        let text = validate_text(text);
        let in_file_order = sorted.iter().all(|&sorted| sorted);
        Execution {
            gap_free,
            in_file_order,
            name,
            nodes,
            clocks,
            event_nodes,
            lines,
            text,
            text_ends,
            field_names,
            fields,
            by_node,
            messages: std::sync::OnceLock::new(),
        }
    }
}
