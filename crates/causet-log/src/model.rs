//! The parsed form of a log: executions of events with dense vector clocks.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use super::clock_json::scan_clock;
use super::error::{ClockJsonErrorKind, LogErrorKind};

/// Most distinct nodes one execution may have (clocks are stored densely, one counter per
/// node per event, so the reader refuses inputs that would make that matrix explode).
pub const MAX_NODES: usize = 4096;

/// A parsed log: one or more executions (a ShiViz upload file with a delimiter may hold
/// several), plus the text that matched no entry.
#[derive(Debug, Clone, Default)]
pub struct Log {
    /// The executions in file order. A log without a delimiter has one, named `""`.
    pub executions: Vec<Execution>,
    /// Text that matched no log entry (blank lines excepted), as line ranges; at most
    /// [`Log::UNMATCHED_KEPT`] ranges are kept, see [`Log::unmatched_lines`] for the total.
    pub unmatched: Vec<Unmatched>,
    /// Total number of lines that matched no entry.
    pub unmatched_lines: u64,
}

impl Log {
    /// How many [`Unmatched`] ranges a log keeps (the count stays exact beyond that).
    pub const UNMATCHED_KEPT: usize = 100;

    /// Total number of events over all executions.
    pub fn event_count(&self) -> usize {
        self.executions.iter().map(Execution::len).sum()
    }

    /// The execution named `name`.
    pub fn execution(&self, name: &str) -> Option<&Execution> {
        self.executions
            .iter()
            .find(|execution| execution.name == name)
    }

    pub(crate) fn note_unmatched(&mut self, first: u64, last: u64, text: &[u8]) {
        self.unmatched_lines += last - first + 1;
        if let Some(previous) = self.unmatched.last_mut()
            && previous.last + 1 == first
        {
            previous.last = last;
            return;
        }
        if self.unmatched.len() < Self::UNMATCHED_KEPT {
            self.unmatched.push(Unmatched {
                first,
                last,
                text: super::error::excerpt(text),
            });
        }
    }
}

/// A run of lines that matched no log entry (ShiViz would drop them silently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// First line (1-based).
    pub first: u64,
    /// Last line (inclusive).
    pub last: u64,
    /// The start of the text (at most 80 characters).
    pub text: String,
}

impl fmt::Display for Unmatched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(
                f,
                "{}: text matches no log entry: '{}'",
                self.first, self.text
            )
        } else {
            write!(
                f,
                "{}-{}: text matches no log entry: '{}'",
                self.first, self.last, self.text
            )
        }
    }
}

/// One execution of a log: its nodes in a fixed order and its events in file order, each with
/// a dense vector clock indexed like [`Execution::nodes`].
///
/// Clock entries are `u32` (a node would need 2^32 events to overflow one) and stored in one
/// flat array, `len() × nodes().len()` counters, so a parsed execution takes far less memory
/// than its log text. An absent entry is 0. Nodes are numbered in order of first
/// appearance (as a logging node or as a non-zero clock entry).
///
/// The events are as read: nothing is validated here; [`Execution::check`] applies
/// ShiViz's rules.
#[derive(Debug, Clone, Default)]
pub struct Execution {
    pub(crate) name: String,
    pub(crate) nodes: Vec<String>,
    pub(crate) clocks: Vec<u32>,
    pub(crate) event_nodes: Vec<u32>,
    pub(crate) lines: Offsets,
    pub(crate) text: String,
    pub(crate) text_ends: Offsets,
    pub(crate) field_names: Vec<String>,
    pub(crate) fields: Vec<String>,
    /// Per node, its events sorted by their own entry (ties in file order).
    pub(crate) by_node: Vec<Vec<u32>>,
    /// Per node: its own entries are exactly 1..=count, so `node:n` is `by_node[node][n-1]`.
    pub(crate) gap_free: Vec<bool>,
    /// Every node's events appear in the file in increasing own-entry order, so file order
    /// visits each node's events in order (and passes can run sequentially).
    pub(crate) in_file_order: bool,
    /// [`Execution::messages`], found by a strict [`Execution::check`] that passed (it visits
    /// the same referenced events), so that analysing a checked execution does not redo it.
    pub(crate) messages: std::sync::OnceLock<Vec<(usize, usize)>>,
}

/// One event of an [`Execution`], borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// Position in the execution (file order), from 0.
    pub index: usize,
    /// The index of the node that logged it, into [`Execution::nodes`].
    pub node: usize,
    /// Its vector clock, dense over [`Execution::nodes`].
    pub clock: &'a [u32],
    /// Its text (the `event` part of the entry).
    pub text: &'a str,
    /// The 1-based line where its entry starts.
    pub line: u64,
}

impl Event<'_> {
    /// The event's own entry: `n` in its id `node:n`.
    pub fn tick(&self) -> u32 {
        self.clock.get(self.node).copied().unwrap_or(0)
    }

    /// Its id `node:n`.
    pub fn id(&self) -> EventId {
        EventId {
            node: self.node,
            n: self.tick(),
        }
    }

    /// The GoVector priority prefix of its text (`DEBUG`, `INFO`, `WARNING`, `ERROR`,
    /// `FATAL` followed by a space), if any; the text itself keeps it.
    pub fn priority(&self) -> Option<&'static str> {
        const PRIORITIES: [&str; 5] = ["DEBUG", "INFO", "WARNING", "ERROR", "FATAL"];
        let (word, _) = self.text.split_once(' ')?;
        PRIORITIES.iter().copied().find(|p| *p == word)
    }
}

/// An event id `node:n`: the node's index and the event's own entry (1-based), as in
/// DESIGN.md's glossary. Display it with [`Execution::display_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId {
    /// Index into [`Execution::nodes`].
    pub node: usize,
    /// The node's own clock entry for the event.
    pub n: u32,
}

impl Execution {
    /// The execution's name: the `trace` group of the delimiter that precedes it, `""` when
    /// the log has no delimiter.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Node names, in the order clocks are indexed.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// Index of the node called `name`.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node == name)
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.event_nodes.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.event_nodes.is_empty()
    }

    /// The clock of event `index`, dense over [`Execution::nodes`].
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn clock(&self, index: usize) -> &[u32] {
        let width = self.nodes.len();
        &self.clocks[index * width..(index + 1) * width]
    }

    /// The node of event `index`.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn node_of(&self, index: usize) -> usize {
        self.event_nodes[index] as usize
    }

    /// Event `index`, or `None` past the end.
    pub fn event(&self, index: usize) -> Option<Event<'_>> {
        (index < self.len()).then(|| self.event_at(index))
    }

    fn event_at(&self, index: usize) -> Event<'_> {
        let start = if index == 0 {
            0
        } else {
            self.text_ends.get(index - 1) as usize
        };
        Event {
            index,
            node: self.node_of(index),
            clock: self.clock(index),
            text: &self.text[start..self.text_ends.get(index) as usize],
            line: self.lines.get(index),
        }
    }

    /// All events in file order.
    pub fn events(&self) -> impl ExactSizeIterator<Item = Event<'_>> + '_ {
        (0..self.len()).map(|index| self.event_at(index))
    }

    /// The events of `node`, sorted by their own entry (`node:1`, `node:2`, …).
    pub fn events_of(&self, node: usize) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.by_node
            .get(node)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&index| index as usize)
    }

    /// Names of the extra fields (regex groups other than `host`, `clock`, `event`).
    pub fn field_names(&self) -> &[String] {
        &self.field_names
    }

    /// Value of field `name` for event `index` (empty when the group did not match).
    pub fn field(&self, index: usize, name: &str) -> Option<&str> {
        let column = self.field_names.iter().position(|field| field == name)?;
        self.fields
            .get(index * self.field_names.len() + column)
            .map(String::as_str)
    }

    /// The event with id `id`, if one exists (the first one logged, if a broken log has
    /// several).
    pub fn find(&self, id: EventId) -> Option<usize> {
        let events = self.by_node.get(id.node)?;
        if self.gap_free[id.node] {
            let index = (id.n as usize).checked_sub(1)?;
            return events.get(index).map(|&e| e as usize);
        }
        let width = self.nodes.len();
        let position =
            events.partition_point(|&e| self.clocks[e as usize * width + id.node] < id.n);
        let &found = events.get(position)?;
        (self.clocks[found as usize * width + id.node] == id.n).then_some(found as usize)
    }

    /// `node:n` for an id.
    pub fn display_id(&self, id: EventId) -> String {
        match self.nodes.get(id.node) {
            Some(name) => format!("{name}:{}", id.n),
            None => format!("?{}:{}", id.node, id.n),
        }
    }

    /// Parses `node:n` (split at the last `:`, so node names may contain colons) into an id
    /// of this execution, checking that the node exists (not that the event does: see
    /// [`Execution::find`]).
    pub fn parse_id(&self, text: &str) -> Result<EventId, EventIdError> {
        let bad = |reason: &'static str| EventIdError {
            id: text.to_string(),
            reason,
        };
        let (node, n) = text.rsplit_once(':').ok_or(bad("expected node:n"))?;
        let n: u32 = n.parse().map_err(|_| bad("n must be a positive integer"))?;
        if n == 0 {
            return Err(bad("n must be a positive integer"));
        }
        let node = self.node_index(node).ok_or(bad("no such node"))?;
        Ok(EventId { node, n })
    }
}

/// An event id that does not name a node of the execution, or is not `node:n`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad event id '{id}': {reason}")]
pub struct EventIdError {
    /// The text given.
    pub id: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

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

/// A non-decreasing sequence of `u64` (line numbers, text offsets) in about 4.25 bytes per
/// value: a `u64` base per block of 32 values and a `u32` difference per value.
#[derive(Debug, Clone, Default)]
pub(crate) struct Offsets {
    bases: Vec<u64>,
    low: Vec<u32>,
}

impl Offsets {
    const BLOCK: usize = 32;

    /// Appends `value`; `false` (and nothing appended) if it is below its block's base or
    /// 2^32 or more past it.
    #[inline]
    pub(crate) fn push(&mut self, value: u64) -> bool {
        if self.low.len().is_multiple_of(Self::BLOCK) {
            self.bases.push(value);
            self.low.push(0);
            return true;
        }
        let base = self.bases.last().copied().unwrap_or(0);
        match value.checked_sub(base).and_then(|d| u32::try_from(d).ok()) {
            Some(difference) => {
                self.low.push(difference);
                true
            }
            None => false,
        }
    }

    /// Value `index`.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub(crate) fn get(&self, index: usize) -> u64 {
        self.bases[index / Self::BLOCK] + u64::from(self.low[index])
    }

    pub(crate) fn reserve_exact(&mut self, more: usize) {
        self.low.reserve_exact(more);
        self.bases.reserve_exact(more / Self::BLOCK + 1);
    }
}

/// Whether `hay` starts with `pattern`, compared 8 bytes at a time (names are short, and a
/// `memcmp` call per clock entry costs more than the comparison).
#[inline(always)]
fn starts_with(hay: &[u8], pattern: &[u8]) -> bool {
    if hay.len() < pattern.len() {
        return false;
    }
    let mut k = 0;
    while k + 8 <= pattern.len() {
        let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
        a.copy_from_slice(&hay[k..k + 8]);
        b.copy_from_slice(&pattern[k..k + 8]);
        if a != b {
            return false;
        }
        k += 8;
    }
    same_bytes(&hay[k..pattern.len()], &pattern[k..])
}

/// Up to 7 leading ASCII digits of an 8-byte window, parsed at once (SWAR, as simdjson
/// does): `Some((value, digit count))`, or `None` when the window is missing, starts with a
/// non-digit or is all digits (the caller's loop then takes over).
#[inline(always)]
fn eight_digits(window: Option<&[u8]>) -> Option<(u32, usize)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let window = window?;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(window);
    let digits = u64::from_le_bytes(bytes).wrapping_sub(0x30 * ONES);
    // A byte is a digit iff it is now 0..=9: no high bit in it or in it + 0x76. Borrows and
    // carries only move towards later bytes, past the first non-digit, so that one is
    // found exactly.
    let non_digit = (digits.wrapping_add(0x76 * ONES) | digits) & (0x80 * ONES);
    let length = (non_digit.trailing_zeros() / 8) as usize;
    if length == 0 || length == 8 {
        return None;
    }
    // Right-align the digits as an 8-digit number with leading zeros.
    Some((combine_eight_digits(digits << (8 * (8 - length))), length))
}

/// The value of 8 digits, one per byte (0 to 9, the first digit in the lowest byte): pairs,
/// quadruples and halves combined by multiplication.
#[inline(always)]
fn combine_eight_digits(digits: u64) -> u32 {
    let mut value = digits;
    value = value.wrapping_mul(10).wrapping_add(value >> 8);
    value = ((value & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32)))
        .wrapping_add(((value >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    value as u32
}

/// Byte equality for short names without a call to `memcmp`.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A fast non-cryptographic hash for node names (FxHash's multiply-rotate): names come from
/// the log itself, and a slow hash would dominate the reading of clock lines.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Interns node names and fills one dense clock row.
#[derive(Debug, Default)]
struct RowFiller {
    nodes: Vec<String>,
    node_ids: HashMap<Vec<u8>, u32, BuildHasherDefault<NameHasher>>,
    row: Vec<u32>,
    /// `seen[node] == generation` when the current row already has an entry for `node`.
    seen: Vec<u64>,
    generation: u64,
    /// The node seen at each key position of the previous clock: GoVector writes keys in the
    /// same order line after line, so this guess usually saves the hash lookup.
    guesses: Vec<u32>,
    /// Per node whose name has no `"`, `\\` or control character (so it appears verbatim
    /// between quotes in a clock): the name followed by `":`, to recognise its key at once.
    patterns: Vec<Option<Box<[u8]>>>,
    /// Per logging node (the first [`TEMPLATE_HOSTS`]), the layout of its previous plain
    /// clock: a node's key set only grows, and GoVector writes it in the same order and
    /// spacing line after line, so most clocks differ from the previous one of their node
    /// only in their digits.
    templates: Vec<Template>,
    /// A direct-mapped cache in front of `node_ids` for names of at most 16 bytes (every
    /// event interns its host, and a hash-map probe with its `memcmp` cost more than the
    /// clock's digits).
    host_cache: Vec<HostSlot>,
}

/// A name of at most 16 bytes as two words and its length (see [`short_key`]), and its id.
#[derive(Debug, Clone, Copy, Default)]
struct HostSlot {
    key: (u64, u64, usize),
    id: u32,
}

/// Slots of the host cache (a power of two).
const HOST_SLOTS: usize = 256;

/// `name` (at most 16 bytes) as two words and its length, without a variable-length copy:
/// overlapping loads of its first and last bytes, which with the length determine it.
#[inline(always)]
fn short_key(name: &[u8]) -> Option<(u64, u64, usize)> {
    let n = name.len();
    let word = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&name[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    let half = |at: usize| {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(&name[at..at + 4]);
        u64::from(u32::from_le_bytes(bytes))
    };
    match n {
        8..=16 => Some((word(0), word(n - 8), n)),
        4..=7 => Some((half(0), half(n - 4), n)),
        1..=3 => Some((
            u64::from(name[0]) | u64::from(name[n / 2]) << 8,
            u64::from(name[n - 1]),
            n,
        )),
        _ => None,
    }
}

/// Logging nodes that get a [`Template`] (bounds the templates' memory).
const TEMPLATE_HOSTS: usize = 256;
/// Most entries a [`Template`] holds.
const TEMPLATE_ENTRIES: usize = 256;

/// The layout of a plain clock `{"a":1, "b":2}`: per entry, its node and the bytes between
/// the previous value (or the clock's start) and its own value (`{"a":`, `, "b":`); the
/// clock ends with `}` right after the last value. A clock made of exactly these bytes
/// around digit strings is a valid clock with these keys in this order, so matching it
/// needs no JSON scanning, no name lookup and no duplicate check.
///
/// Most clocks of a node also keep the digit count of every entry: then the previous
/// clock's bytes, with its digits masked out, are the new clock's bytes, and every value
/// sits at a known offset. That exact layout is checked first: its loads do not depend on
/// one another (no entry waits for the previous one's digit count), so they overlap.
#[derive(Debug, Default)]
struct Template {
    entries: Vec<TemplateEntry>,
    /// The previous clock's bytes, and per byte `0xff` outside the values, `0` in them;
    /// empty when that clock does not fit the exact layout (see [`ExactValue`]).
    bytes: Vec<u8>,
    mask: Vec<u8>,
    values: Vec<ExactValue>,
}

/// A value at a fixed place of the exact layout: it ends at `end` (at least 8) and has 1 to
/// 8 digits; the 8 bytes before `end`, with those before the value replaced by `'0'`
/// (`(word & keep) | fill`), are an 8-digit number.
#[derive(Debug, Clone, Copy)]
struct ExactValue {
    id: u32,
    end: usize,
    keep: u64,
    fill: u64,
}

impl ExactValue {
    /// The value at `clock[start..end]`; `keep` is 0 (no exact layout) for more than 8
    /// digits.
    fn new(id: u32, start: usize, end: usize) -> Self {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let digits = end - start;
        // The low `8 - digits` bytes of the word come before the value.
        let before = u64::MAX.checked_shr(8 * digits as u32).unwrap_or(0);
        let keep = if digits > 8 { 0 } else { !before };
        ExactValue {
            id,
            end,
            keep,
            fill: (0x30 * ONES) & before,
        }
    }
}

impl Template {
    /// Fills `row` if `clock` has the exact layout; `false` (row in an unspecified state)
    /// otherwise.
    #[inline]
    fn fill_exact(&self, clock: &[u8], row: &mut [u32]) -> bool {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let n = self.bytes.len();
        if n == 0 || clock.len() != n {
            return false;
        }
        // Every byte outside the values as before (a byte-wise fold, which vectorises).
        let different = clock
            .iter()
            .zip(&self.bytes)
            .zip(&self.mask)
            .fold(0u8, |acc, ((&a, &b), &m)| acc | ((a ^ b) & m));
        let word = |bytes: &[u8], at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(word)
        };
        // Every value byte a digit.
        let mut non_digit = 0u64;
        for value in &self.values {
            let digits =
                ((word(clock, value.end - 8) & value.keep) | value.fill).wrapping_sub(0x30 * ONES);
            non_digit |= (digits.wrapping_add(0x76 * ONES) | digits) & (0x80 * ONES);
            if let Some(cell) = row.get_mut(value.id as usize) {
                *cell = combine_eight_digits(digits);
            }
        }
        different == 0 && non_digit == 0
    }
}

#[derive(Debug, Clone, Copy)]
struct TemplateEntry {
    id: u32,
    /// Length of `bytes` used (1 to 32).
    len: usize,
    /// The bytes before the value, zero-padded, as two little-endian words, and masks
    /// selecting the `len` bytes used.
    low: u128,
    high: u128,
    low_mask: u128,
    high_mask: u128,
}

impl TemplateEntry {
    fn new(id: u32, gap: &[u8]) -> Option<Self> {
        if gap.is_empty() || gap.len() > 32 {
            return None;
        }
        let mut bytes = [0u8; 32];
        bytes[..gap.len()].copy_from_slice(gap);
        let mut mask = [0u8; 32];
        mask[..gap.len()].fill(0xff);
        let word = |b: &[u8; 32], k: usize| {
            let mut w = [0u8; 16];
            w.copy_from_slice(&b[16 * k..16 * k + 16]);
            u128::from_le_bytes(w)
        };
        Some(TemplateEntry {
            id,
            len: gap.len(),
            low: word(&bytes, 0),
            high: word(&bytes, 1),
            low_mask: word(&mask, 0),
            high_mask: word(&mask, 1),
        })
    }

    /// Whether `clock[at..]` starts with this entry's bytes.
    #[inline(always)]
    fn matches(&self, clock: &[u8], at: usize) -> bool {
        if let Some(window) = clock.get(at..at + 32) {
            let mut low = [0u8; 16];
            let mut high = [0u8; 16];
            low.copy_from_slice(&window[..16]);
            high.copy_from_slice(&window[16..]);
            ((u128::from_le_bytes(low) ^ self.low) & self.low_mask)
                | ((u128::from_le_bytes(high) ^ self.high) & self.high_mask)
                == 0
        } else {
            // Near the clock's end: byte by byte.
            let mut bytes = [0u8; 32];
            bytes[..16].copy_from_slice(&self.low.to_le_bytes());
            bytes[16..].copy_from_slice(&self.high.to_le_bytes());
            clock.get(at..at + self.len) == Some(&bytes[..self.len])
        }
    }
}

impl RowFiller {
    /// [`RowFiller::intern`] through the host cache.
    #[inline]
    fn intern_host(&mut self, name: &[u8]) -> Result<u32, LogErrorKind> {
        let Some(key) = short_key(name) else {
            return self.intern(name);
        };
        let slot = ((key.0 ^ key.1.rotate_left(29) ^ key.2 as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 56) as usize
            % HOST_SLOTS;
        if let Some(cached) = self.host_cache.get(slot)
            && cached.key == key
        {
            return Ok(cached.id);
        }
        let id = self.intern(name)?;
        if self.host_cache.is_empty() {
            self.host_cache = vec![HostSlot::default(); HOST_SLOTS];
        }
        self.host_cache[slot] = HostSlot { key, id };
        Ok(id)
    }

    fn intern(&mut self, name: &[u8]) -> Result<u32, LogErrorKind> {
        if let Some(&id) = self.node_ids.get(name) {
            return Ok(id);
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(LogErrorKind::TooManyNodes { limit: MAX_NODES });
        }
        let text = std::str::from_utf8(name).map_err(|_| LogErrorKind::InvalidUtf8)?;
        let id = self.nodes.len() as u32;
        self.nodes.push(text.to_string());
        let plain = !name.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20);
        self.patterns
            .push(plain.then(|| [name, b"\":"].concat().into_boxed_slice()));
        self.node_ids.insert(name.to_vec(), id);
        Ok(id)
    }

    fn start_row(&mut self) {
        self.row.clear();
        self.row.resize(self.nodes.len(), 0);
        self.generation += 1;
    }

    /// The node of the entry at key `position` called `name`; `None` for a zero entry of a
    /// node never seen (absent means 0, so it adds nothing).
    #[inline(always)]
    fn resolve(
        &mut self,
        position: usize,
        name: &[u8],
        value: u32,
    ) -> Result<Option<u32>, LogErrorKind> {
        if let Some(&id) = self.guesses.get(position)
            && same_bytes(self.nodes[id as usize].as_bytes(), name)
        {
            return Ok(Some(id));
        }
        let id = if value == 0 {
            match self.node_ids.get(name) {
                Some(&id) => id,
                None => return Ok(None),
            }
        } else {
            self.intern(name)?
        };
        if position >= self.guesses.len() {
            self.guesses.resize(position + 1, 0);
        }
        self.guesses[position] = id;
        Ok(Some(id))
    }

    /// Sets entry `id`; `false` if the row already has it.
    #[inline(always)]
    fn set(&mut self, id: u32, value: u32) -> bool {
        let index = id as usize;
        if index >= self.seen.len() {
            self.seen.resize(index + 1, 0);
        }
        if self.seen[index] == self.generation {
            return false;
        }
        self.seen[index] = self.generation;
        if index >= self.row.len() {
            self.row.resize(index + 1, 0);
        }
        self.row[index] = value;
        true
    }

    /// Fills the row from `clock` if it has the layout of `host`'s previous plain clock
    /// (same keys, order and spacing; any digits); `false`, with the row in an unspecified
    /// state, otherwise.
    #[inline]
    fn fill_template(&mut self, host: u32, clock: &[u8]) -> bool {
        let Some(template) = self.templates.get(host as usize) else {
            return false;
        };
        if template.entries.is_empty() {
            return false;
        }
        self.row.clear();
        self.row.resize(self.nodes.len(), 0);
        if template.fill_exact(clock, &mut self.row) {
            return true;
        }
        self.row.fill(0);
        let mut i = 0;
        for entry in &template.entries {
            if !entry.matches(clock, i) {
                return false;
            }
            i += entry.len;
            let Some(value) = Self::template_value(clock, &mut i) else {
                return false;
            };
            match self.row.get_mut(entry.id as usize) {
                Some(cell) => *cell = value,
                None => return false,
            }
        }
        if i + 1 != clock.len() || clock[i] != b'}' {
            return false;
        }
        // Same keys, but some digit count changed: relearn the exact layout (if the last
        // clock had one; otherwise some value has more than 8 digits, and stays so).
        if !template.bytes.is_empty() {
            self.learn_template(host, clock);
        }
        true
    }

    /// The digits at `clock[*i..]` (1 to 10 of them, below 2^32), advancing `i` past them.
    #[inline(always)]
    fn template_value(clock: &[u8], i: &mut usize) -> Option<u32> {
        if let Some((value, length)) = eight_digits(clock.get(*i..*i + 8)) {
            *i += length;
            return Some(value);
        }
        let start = *i;
        let mut value: u64 = 0;
        while let Some(&digit @ b'0'..=b'9') = clock.get(*i) {
            value = value * 10 + u64::from(digit - b'0');
            *i += 1;
            if *i - start > 10 {
                return None;
            }
        }
        if *i == start || value > u64::from(u32::MAX) {
            return None;
        }
        Some(value as u32)
    }

    /// Records the layout of `clock`, which [`RowFiller::fill_plain`] just accepted, as
    /// `host`'s template (or none, when it does not fit one).
    fn learn_template(&mut self, host: u32, clock: &[u8]) {
        let host = host as usize;
        if host >= TEMPLATE_HOSTS {
            return;
        }
        if self.templates.len() <= host {
            self.templates.resize_with(host + 1, Template::default);
        }
        let mut template = std::mem::take(&mut self.templates[host]);
        template.entries.clear();
        template.values.clear();
        if !self.template_entries(clock, &mut template.entries, &mut template.values) {
            template.entries.clear();
            template.values.clear();
        }
        // The exact layout needs 8 bytes before every value's end (so the first value's
        // digits can be loaded as one word) and at most 8 digits per value.
        template.bytes.clear();
        template.mask.clear();
        if !template.values.is_empty()
            && template
                .values
                .iter()
                .all(|value| value.end >= 8 && value.keep != 0)
        {
            template.bytes.extend_from_slice(clock);
            template.mask.resize(clock.len(), 0xff);
            for value in &template.values {
                let digits = 8 - (value.keep.trailing_zeros() as usize / 8);
                template.mask[value.end - digits..value.end].fill(0);
            }
        }
        self.templates[host] = template;
    }

    /// The template entries of a plain clock; `false` if it has none or does not fit.
    fn template_entries(
        &self,
        clock: &[u8],
        entries: &mut Vec<TemplateEntry>,
        values: &mut Vec<ExactValue>,
    ) -> bool {
        let n = clock.len();
        if n < 3 || clock[0] != b'{' || clock[n - 1] != b'}' {
            return false;
        }
        let mut gap_start = 0;
        let mut i = 1;
        loop {
            while clock.get(i) == Some(&b' ') {
                i += 1;
            }
            if clock.get(i) != Some(&b'"') {
                return false;
            }
            let Some(close) = memchr::memchr(b'"', &clock[i + 1..]) else {
                return false;
            };
            let name = &clock[i + 1..i + 1 + close];
            i += close + 2;
            if clock.get(i) != Some(&b':') {
                return false;
            }
            i += 1;
            while clock.get(i) == Some(&b' ') {
                i += 1;
            }
            let Some(&id) = self.node_ids.get(name) else {
                return false;
            };
            if entries.len() >= TEMPLATE_ENTRIES {
                return false;
            }
            let Some(entry) = TemplateEntry::new(id, &clock[gap_start..i]) else {
                return false;
            };
            entries.push(entry);
            let value_start = i;
            if Self::template_value(clock, &mut i).is_none() {
                return false;
            }
            values.push(ExactValue::new(id, value_start, i));
            gap_start = i;
            match clock.get(i) {
                Some(b'}') => return i + 1 == n,
                Some(b',') | Some(b' ') => {
                    while clock.get(i) == Some(&b' ') {
                        i += 1;
                    }
                    if clock.get(i) != Some(&b',') {
                        return false;
                    }
                    i += 1;
                }
                _ => return false,
            }
        }
    }

    /// The fast path for the common shape `{"name":digits, "name":digits}` (spaces allowed
    /// after `:` and `,`; no escapes). Returns `Ok(false)`, with the row in an unspecified
    /// state, at the first thing it does not handle; the full scanner then starts over.
    #[inline]
    fn fill_plain(&mut self, clock: &[u8]) -> Result<bool, LogErrorKind> {
        self.start_row();
        let n = clock.len();
        if n < 2 || clock[0] != b'{' || clock[n - 1] != b'}' {
            return Ok(false);
        }
        let mut i = 1;
        if clock[i] == b'}' {
            return Ok(i == n - 1);
        }
        let mut position = 0;
        loop {
            if clock[i] != b'"' {
                return Ok(false);
            }
            i += 1;
            // Most keys repeat the previous clock's key at this position: one comparison.
            if let Some(&guess) = self.guesses.get(position)
                && let Some(pattern) = &self.patterns[guess as usize]
                && starts_with(&clock[i..], pattern)
            {
                i += pattern.len();
                let Some(value) = Self::digits(clock, &mut i) else {
                    return Ok(false);
                };
                if !self.set(guess, value) {
                    return Ok(false);
                }
                position += 1;
                match Self::separator(clock, &mut i) {
                    Some(true) => continue,
                    Some(false) => return Ok(true),
                    None => return Ok(false),
                }
            }
            let start = i;
            while i < n && clock[i] != b'"' {
                if clock[i] == b'\\' || clock[i] < 0x20 {
                    return Ok(false);
                }
                i += 1;
            }
            if i + 1 >= n || i == start || clock[i + 1] != b':' {
                return Ok(false);
            }
            let name = &clock[start..i];
            i += 2;
            let Some(value) = Self::digits(clock, &mut i) else {
                return Ok(false);
            };
            if let Some(id) = self.resolve(position, name, value)?
                && !self.set(id, value)
            {
                return Ok(false);
            }
            position += 1;
            match Self::separator(clock, &mut i) {
                Some(true) => {}
                Some(false) => return Ok(true),
                None => return Ok(false),
            }
        }
    }

    /// Spaces, then a clock value of at most 10 digits below 2^32. `clock` ends with `}`, so
    /// the loops stop in bounds.
    #[inline(always)]
    fn digits(clock: &[u8], i: &mut usize) -> Option<u32> {
        while clock[*i] == b' ' {
            *i += 1;
        }
        if let Some((value, length)) = eight_digits(clock.get(*i..*i + 8)) {
            *i += length;
            return Some(value);
        }
        let start = *i;
        let mut value: u64 = 0;
        while clock[*i].is_ascii_digit() {
            value = value * 10 + u64::from(clock[*i] - b'0');
            *i += 1;
            if *i - start > 10 {
                return None;
            }
        }
        if *i == start || value > u64::from(u32::MAX) {
            return None;
        }
        Some(value as u32)
    }

    /// After a value: `Some(true)` at `,` (skipping spaces after it), `Some(false)` at the
    /// final `}`, `None` otherwise.
    #[inline(always)]
    fn separator(clock: &[u8], i: &mut usize) -> Option<bool> {
        while clock[*i] == b' ' {
            *i += 1;
        }
        match clock[*i] {
            b',' => {
                *i += 1;
                while clock[*i] == b' ' {
                    *i += 1;
                }
                Some(true)
            }
            b'}' if *i == clock.len() - 1 => Some(false),
            _ => None,
        }
    }
}

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
        let width = self.rows.nodes.len().max(1);
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
        let length = self
            .rows
            .templates
            .get(host_id as usize)
            .map(|template| template.bytes.len())
            .filter(|&length| length > 0);
        Ok((host_id, length))
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
        let rows = &mut self.rows;
        let Some(template) = rows.templates.get(host_id as usize) else {
            return Ok(false);
        };
        rows.row.clear();
        rows.row.resize(rows.nodes.len(), 0);
        if !template.fill_exact(clock, &mut rows.row) {
            return Ok(false);
        }
        self.append(host_id, line, text, &[])?;
        Ok(true)
    }

    /// Fills the row from `clock`: the host's template, the plain scanner or the full one.
    fn fill_row(&mut self, host_id: u32, clock: &[u8]) -> Result<(), LogErrorKind> {
        if self.rows.fill_template(host_id, clock) {
            // Same layout as the host's previous clock.
        } else if self.rows.fill_plain(clock)? {
            self.rows.learn_template(host_id, clock);
        } else {
            // Escapes, odd spacing, the TLA+ variant or an error: the full scanner.
            let rows = &mut self.rows;
            rows.start_row();
            let mut position = 0usize;
            let mut failure: Option<LogErrorKind> = None;
            scan_clock(clock, &mut self.scratch, &mut |name, value| {
                let id = match rows.resolve(position, name, value) {
                    Ok(Some(id)) => id,
                    Ok(None) => {
                        position += 1;
                        return Ok(());
                    }
                    Err(kind) => {
                        failure = Some(kind);
                        return Err(ClockJsonErrorKind::InvalidUtf8);
                    }
                };
                position += 1;
                if !rows.set(id, value) {
                    return Err(ClockJsonErrorKind::DuplicateKey(
                        rows.nodes[id as usize].clone(),
                    ));
                }
                Ok(())
            })
            .map_err(|error| failure.take().unwrap_or(LogErrorKind::Clock(error)))?;
        }
        Ok(())
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
        let width = self.rows.nodes.len();
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
            rows: RowFiller { nodes, .. },
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

#[cfg(test)]
mod tests {
    use super::eight_digits;

    #[test]
    fn eight_digits_matches_the_plain_parse() {
        let mut values: Vec<u64> = (0..2000).collect();
        for digits in 1..=8u32 {
            let top = 10u64.pow(digits);
            values.extend([top - 1, top, top + 1, top / 2 + 7, top / 3]);
        }
        for value in values {
            for tail in [&b","[..], b"}", b" ", b".", b"e", b"9999999"] {
                let text = format!("{value}{}", String::from_utf8_lossy(tail));
                let mut padded = text.clone().into_bytes();
                padded.resize(padded.len().max(8), b'}');
                let expected_length =
                    value.to_string().len() + if tail == b"9999999" { tail.len() } else { 0 };
                let got = eight_digits(padded.get(0..8));
                if expected_length >= 8 {
                    assert_eq!(got, None, "{text}");
                } else {
                    let expected: u64 = text[..expected_length].parse().unwrap_or(u64::MAX);
                    assert_eq!(got, Some((expected as u32, expected_length)), "{text}");
                }
            }
        }
        assert_eq!(eight_digits(Some(b"x1234567")), None);
        assert_eq!(eight_digits(Some(b"12345678")), None);
        assert_eq!(eight_digits(None), None);
        assert_eq!(eight_digits(Some(b"0,\"a\":1}")), Some((0, 1)));
        assert_eq!(eight_digits(Some(b"007}    ")), Some((7, 3)));
    }
}
