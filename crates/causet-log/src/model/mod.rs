//! The parsed form of a log: executions of events with their vector clocks.

use std::fmt;
use std::sync::Arc;

mod builder;
mod clocks;
mod offsets;
mod row;

pub(crate) use builder::ExecutionBuilder;
#[doc(hidden)]
pub use builder::{ClockStorage, set_clock_storage};
pub(crate) use clocks::{Changes, Store};
pub use clocks::{Clock, ClockTable};
pub(crate) use offsets::Offsets;
pub(crate) use row::NameMap;

/// Most distinct nodes one execution may have (as many as a `causet run` cluster may have;
/// clocks are stored in proportion to their non-zero entries, so this only bounds the
/// per-node bookkeeping).
pub const MAX_NODES: usize = 100_000;

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
/// a vector clock indexed like [`Execution::nodes`].
///
/// Clock entries are `u32` (a node would need 2^32 events to overflow one), kept in a
/// [`ClockTable`]: densely (`len() × nodes().len()` counters) when that is small beside the
/// log's text, otherwise as each event's changes from its node's previous event with
/// periodic snapshots, so that a parsed execution takes far less memory than its log text at
/// any node count. An absent entry is 0. Nodes are numbered in order of first appearance
/// (as a logging node or as a non-zero clock entry).
///
/// The events are as read: nothing is validated here; [`Execution::check`] applies
/// ShiViz's rules.
#[derive(Debug, Clone, Default)]
pub struct Execution {
    pub(crate) name: String,
    pub(crate) nodes: Vec<String>,
    pub(crate) clocks: Arc<ClockTable>,
    pub(crate) lines: Offsets,
    pub(crate) text: String,
    pub(crate) text_ends: Offsets,
    pub(crate) field_names: Vec<String>,
    pub(crate) fields: Vec<String>,
    /// [`Execution::messages`], found by a strict [`Execution::check`] that passed (it visits
    /// the same referenced events), so that analysing a checked execution does not redo it.
    pub(crate) messages: std::sync::OnceLock<Vec<(usize, usize)>>,
    /// Set when a [`Execution::check`] (strict or lenient) passed: every clock then covers
    /// what the latest events it names know, which lets passes skip dominated references.
    pub(crate) passed: std::sync::OnceLock<()>,
    /// Bytes of the log text its entries took (host, clock and text lines).
    pub(crate) entry_bytes: u64,
}

/// One event of an [`Execution`], borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// Position in the execution (file order), from 0.
    pub index: usize,
    /// The index of the node that logged it, into [`Execution::nodes`].
    pub node: usize,
    /// Its vector clock, indexed like [`Execution::nodes`].
    pub clock: Clock<'a>,
    /// Its text (the `event` part of the entry).
    pub text: &'a str,
    /// The 1-based line where its entry starts.
    pub line: u64,
}

impl Event<'_> {
    /// The event's own entry: `n` in its id `node:n`.
    pub fn tick(&self) -> u32 {
        self.clock.own()
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
        self.clocks.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.clocks.is_empty()
    }

    /// The clock of event `index`, indexed like [`Execution::nodes`].
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn clock(&self, index: usize) -> Clock<'_> {
        self.clocks.clock(index)
    }

    /// Bytes of the log text this execution's entries took (host, clock and text lines, an
    /// estimate within a few bytes per entry).
    pub fn entry_bytes(&self) -> u64 {
        self.entry_bytes
    }

    /// Every event's clock (shared: cloning the `Arc` does not copy them).
    pub fn clock_table(&self) -> &Arc<ClockTable> {
        &self.clocks
    }

    /// The node of event `index`.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn node_of(&self, index: usize) -> usize {
        self.clocks.node_of(index)
    }

    /// Event `index`'s own entry.
    pub(crate) fn own(&self, index: usize) -> u32 {
        self.clocks.own(index)
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
        self.clocks
            .by_node
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
        let events = self.clocks.by_node.get(id.node)?;
        if self.clocks.gap_free[id.node] {
            let index = (id.n as usize).checked_sub(1)?;
            return events.get(index).map(|&e| e as usize);
        }
        let position = events.partition_point(|&e| self.own(e as usize) < id.n);
        let &found = events.get(position)?;
        (self.own(found as usize) == id.n).then_some(found as usize)
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
