//! Space-time diagrams as SVG, the way ShiViz draws them.
//!
//! One vertical timeline per node with its name on top; events as dots placed in a causal
//! order (an event's row is below every event that happens before it); arrows from each send
//! to its receive; runs of purely local events on one node (no arrow end, no clock entry of
//! another node grown) collapsed into one numbered dot whose tooltip lists their texts. With a highlighted event A, every other event is coloured
//! by its order relative to A (before, after, concurrent) and a legend explains the colours.
//!
//! The renderer has its own input type, [`Diagram`]: node names, events with dense vector
//! clocks (one entry per node, in the order of the node names) and send→receive message
//! edges. [`Diagram::from_execution`] builds one from an execution of a parsed log
//! ([`causet_log`]).
//!
//! # Example
//!
//! ```
//! use causet_diagram::{Diagram, RenderOptions, render_svg};
//!
//! let mut diagram = Diagram::new(["alice", "bob"]);
//! let send = diagram.push_event(0, &[1, 0], "send ping")?;
//! let receive = diagram.push_event(1, &[1, 1], "receive ping")?;
//! diagram.push_event(1, &[1, 2], "think")?;
//! diagram.push_event(1, &[1, 3], "think more")?;
//! diagram.push_message(send, receive)?;
//!
//! let svg = render_svg(&diagram, &RenderOptions::new().highlight("bob:1"))?;
//! assert!(svg.starts_with("<svg"));
//! assert_eq!(svg.matches(r#"<g class="timeline""#).count(), 2);
//! // bob's two local events after the receive are one collapsed dot with a count.
//! assert_eq!(svg.matches(r#"<circle class="event"#).count(), 3);
//! assert!(svg.contains(r#"data-count="2""#));
//! assert_eq!(svg.matches(r#"<line class="message""#).count(), 1);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The SVG's structure
//!
//! The output is stable so that tools and tests can read it back:
//!
//! - `<g class="timeline" data-node="NAME">`: one per node, in the diagram's node order,
//!   holding the header (the name, shortened when long, with the full name as `<title>`) and
//!   the vertical line.
//! - `<g class="messages">` holding one `<line class="message" data-from="ID" data-to="ID">`
//!   per message, ids being event ids `node:n` (see below).
//! - `<g class="events" data-node="NAME">`: one per node, holding its dots from top to
//!   bottom: `<circle class="event CLASS" data-id="ID">` with a `<title>` (the id and the
//!   event's text). A collapsed run is `<g class="collapsed">` holding a
//!   `<circle class="event collapsed CLASS" data-id="FIRST" data-last="LAST" data-count="K">`
//!   (the tooltip lists the texts) and a `<text class="count">K</text>`.
//!   `CLASS` is empty without a highlight, otherwise one of `highlighted`, `before`,
//!   `after`, `concurrent` (or `equal`, for another event with the highlighted event's
//!   clock, which only a broken log holds). Fill colours are attributes, so the picture
//!   needs no CSS support to show them.
//! - `<g class="legend">`, only with a highlight.
//!
//! An event's id is `NODE:n` where `n` is the event's own entry in its clock (DESIGN.md's
//! event id). Geometry: a column of 100 px per node, a row of 28 px per causal layer.
//!
//! # Speed
//!
//! Layout is O(events × nodes) (rows are the longest path in the graph of each event's
//! immediate causal predecessors, found from the clocks), writing is linear in the output.
//! 5,000 events on 30 nodes render in milliseconds (see BENCHMARKS.md, "Rendering").

mod generate;
pub(crate) mod layout;
mod svg;

use std::io;
use std::sync::Arc;

use causet_clock::Causality;
use causet_log::{ClockTable, Execution};
use serde::Serialize;

/// A space-time diagram to draw: nodes, events with vector clocks, and messages.
///
/// Entry `j` of an event's clock is its knowledge of node `j` (the order of
/// [`Diagram::nodes`]); an absent entry is 0. An event's own entry (its node's entry) is its
/// position on its node, 1-based, and gives its id `NODE:n`. Clocks pushed with
/// [`Diagram::push_event`] are stored in one flat buffer (`8 × nodes` bytes per event);
/// a diagram built by [`Diagram::from_execution`] shares the execution's clocks instead
/// (see `causet_log::ClockTable`: no copy, and far less than `8 × nodes` bytes per event
/// at many nodes), so it costs little more than the texts.
///
/// Happens-before is read from the clocks as given (`e → f` iff `e`'s clock is `≤ f`'s and
/// they differ); messages are drawn as arrows and also constrain the layout (a receive is
/// always drawn below its send).
#[derive(Debug, Clone, Default)]
pub struct Diagram {
    nodes: Vec<String>,
    events: Vec<DiagramEvent>,
    clocks: Clocks,
    messages: Vec<(usize, usize)>,
}

/// A diagram's clocks: pushed rows, or an execution's table.
#[derive(Debug, Clone)]
enum Clocks {
    /// `events × nodes` entries, row by row.
    Rows(Vec<u64>),
    /// The clocks of the execution the diagram was built from (event `i` is its event `i`).
    Log(Arc<ClockTable>),
}

impl Default for Clocks {
    fn default() -> Self {
        Clocks::Rows(Vec::new())
    }
}

/// One event of a [`Diagram`] (its clock is kept in the diagram's flat buffer).
#[derive(Debug, Clone)]
struct DiagramEvent {
    node: usize,
    label: String,
}

impl Diagram {
    /// A diagram with these nodes (timelines, left to right) and no events yet.
    pub fn new<I, S>(nodes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            nodes: nodes.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// The diagram of one execution of a parsed log: its nodes in the log's order (a node
    /// that only appears in clocks gets an empty timeline), its events with their clocks and
    /// texts, and the messages [`Execution::messages`] infers from the clocks. Event `i` of
    /// the diagram is event `i` of the execution.
    ///
    /// ```
    /// use causet_log::{parse_log, ReadOptions};
    /// use causet_diagram::{Diagram, RenderOptions, render_svg};
    ///
    /// let text = "a {\"a\":1}\nsend\nb {\"a\":1, \"b\":1}\nreceive\n";
    /// let log = parse_log(text.as_bytes(), &ReadOptions::default())?;
    /// let diagram = Diagram::from_execution(&log.executions[0])?;
    /// assert_eq!(diagram.messages(), [(0, 1)]);
    /// let svg = render_svg(&diagram, &RenderOptions::new())?;
    /// assert!(svg.contains(r#"<line class="message" data-from="a:1" data-to="b:1""#));
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`RenderError::ZeroOwnEntry`] for an event whose own clock entry is 0 (which only a
    /// log that fails `check` can hold).
    pub fn from_execution(execution: &Execution) -> Result<Self, RenderError> {
        let mut diagram = Self::new(execution.nodes().iter().cloned());
        diagram.events.reserve(execution.len());
        for event in execution.events() {
            if event.clock.own() == 0 {
                return Err(RenderError::ZeroOwnEntry {
                    event: event.index,
                    node: diagram.nodes[event.node].clone(),
                });
            }
            diagram.events.push(DiagramEvent {
                node: event.node,
                label: event.text.to_owned(),
            });
        }
        diagram.clocks = Clocks::Log(Arc::clone(execution.clock_table()));
        for (send, receive) in execution.messages() {
            diagram.push_message(send, receive)?;
        }
        Ok(diagram)
    }

    /// Adds an event on node `node` with this dense clock and text; returns its index, used by
    /// [`Diagram::push_message`].
    ///
    /// # Errors
    ///
    /// [`RenderError::NodeOutOfRange`] for an unknown node index,
    /// [`RenderError::ClockLength`] when the clock does not have one entry per node,
    /// [`RenderError::ZeroOwnEntry`] when the event's own entry is 0 (every event ticks it).
    pub fn push_event(
        &mut self,
        node: usize,
        clock: &[u64],
        label: impl Into<String>,
    ) -> Result<usize, RenderError> {
        let event = self.events.len();
        if node >= self.nodes.len() {
            return Err(RenderError::NodeOutOfRange {
                event,
                node,
                nodes: self.nodes.len(),
            });
        }
        if clock.len() != self.nodes.len() {
            return Err(RenderError::ClockLength {
                event,
                node: self.nodes[node].clone(),
                expected: self.nodes.len(),
                found: clock.len(),
            });
        }
        if clock[node] == 0 {
            return Err(RenderError::ZeroOwnEntry {
                event,
                node: self.nodes[node].clone(),
            });
        }
        self.rows().extend_from_slice(clock);
        self.events.push(DiagramEvent {
            node,
            label: label.into(),
        });
        Ok(event)
    }

    /// Adds a message from event `send` to event `receive` (indices from
    /// [`Diagram::push_event`]).
    ///
    /// # Errors
    ///
    /// [`RenderError::MessageOutOfRange`] when an index names no event, or both name the
    /// same event.
    pub fn push_message(&mut self, send: usize, receive: usize) -> Result<(), RenderError> {
        let events = self.events.len();
        if send >= events || receive >= events || send == receive {
            return Err(RenderError::MessageOutOfRange {
                send,
                receive,
                events,
            });
        }
        self.messages.push((send, receive));
        Ok(())
    }

    /// The node names, in timeline order.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the diagram has no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The node index of event `event`.
    ///
    /// # Panics
    ///
    /// When `event` is not below [`Diagram::len`].
    pub fn node(&self, event: usize) -> usize {
        self.events[event].node
    }

    /// The pushed rows, the execution's clocks copied into them first if need be.
    fn rows(&mut self) -> &mut Vec<u64> {
        if let Clocks::Log(table) = &self.clocks {
            let mut rows = Vec::with_capacity(self.nodes.len() * (table.len() + 1));
            for event in 0..table.len() {
                rows.extend(table.clock(event).iter().map(u64::from));
            }
            self.clocks = Clocks::Rows(rows);
        }
        match &mut self.clocks {
            Clocks::Rows(rows) => rows,
            Clocks::Log(_) => unreachable!("replaced above"),
        }
    }

    /// The dense clock of event `event` (one entry per node).
    ///
    /// # Panics
    ///
    /// When `event` is not below [`Diagram::len`].
    pub fn clock(&self, event: usize) -> Vec<u64> {
        let mut clock = Vec::new();
        self.clock_into(event, &mut clock);
        clock
    }

    /// Replaces `clock` with the dense clock of event `event` (no allocation once `clock`
    /// has room for one entry per node).
    ///
    /// # Panics
    ///
    /// When `event` is not below [`Diagram::len`].
    pub fn clock_into(&self, event: usize, clock: &mut Vec<u64>) {
        clock.clear();
        match &self.clocks {
            Clocks::Rows(rows) => {
                let width = self.nodes.len();
                clock.extend_from_slice(&rows[event * width..(event + 1) * width]);
            }
            Clocks::Log(table) => clock.extend(table.clock(event).iter().map(u64::from)),
        }
    }

    /// Replaces `out` with the entries of `event`'s clock that differ from `previous`'s
    /// (`None`: from zeros), as `(node, value)` in increasing node order.
    pub(crate) fn clock_changes_into(
        &self,
        event: usize,
        previous: Option<usize>,
        out: &mut Vec<(u32, u64)>,
    ) {
        out.clear();
        match &self.clocks {
            Clocks::Rows(rows) => {
                let width = self.nodes.len();
                let now = &rows[event * width..(event + 1) * width];
                let then = previous.map(|p| &rows[p * width..(p + 1) * width]);
                for (k, &entry) in now.iter().enumerate() {
                    if entry != then.map_or(0, |then| then[k]) {
                        out.push((k as u32, entry));
                    }
                }
            }
            Clocks::Log(table) => {
                // The table knows each node's previous event itself (file order). (Not on
                // a hot path: `event_rows` reads a log's table directly.)
                let mut changed = Vec::new();
                table.changes_into(event, &mut changed);
                out.extend(changed.into_iter().map(|(k, v)| (k, u64::from(v))));
            }
        }
    }

    /// Whether, along each node in file order, own entries grow and no entry shrinks.
    pub(crate) fn grows_along_nodes(&self) -> bool {
        match &self.clocks {
            Clocks::Rows(rows) => {
                let width = self.nodes.len();
                let mut last = vec![usize::MAX; width];
                (0..self.len()).all(|event| {
                    let node = self.events[event].node;
                    let previous = std::mem::replace(&mut last[node], event);
                    previous == usize::MAX || {
                        let now = &rows[event * width..(event + 1) * width];
                        let then = &rows[previous * width..(previous + 1) * width];
                        now[node] > then[node] && now.iter().zip(then).all(|(a, b)| a >= b)
                    }
                })
            }
            Clocks::Log(table) => table.grows_along_nodes(),
        }
    }

    /// Event `event`'s own entry (`n` in its id `NODE:n`).
    ///
    /// # Panics
    ///
    /// When `event` is not below [`Diagram::len`].
    pub fn own(&self, event: usize) -> u64 {
        let node = self.events[event].node;
        match &self.clocks {
            Clocks::Rows(rows) => rows[event * self.nodes.len() + node],
            Clocks::Log(table) => u64::from(table.own(event)),
        }
    }

    /// The text of event `event`.
    ///
    /// # Panics
    ///
    /// When `event` is not below [`Diagram::len`].
    pub fn label(&self, event: usize) -> &str {
        &self.events[event].label
    }

    /// The id `NODE:n` of event `event` (DESIGN.md's event id).
    ///
    /// # Panics
    ///
    /// When `event` is not below [`Diagram::len`].
    pub fn event_id(&self, event: usize) -> String {
        let node = self.events[event].node;
        format!("{}:{}", self.nodes[node], self.own(event))
    }

    /// The messages as (send, receive) event indices.
    pub fn messages(&self) -> &[(usize, usize)] {
        &self.messages
    }

    /// The index of the event with id `NODE:n`.
    ///
    /// # Errors
    ///
    /// [`RenderError::BadEventId`] when `id` is not of the form `NODE:n`,
    /// [`RenderError::UnknownEvent`] when no event has that id.
    pub fn find_event(&self, id: &str) -> Result<usize, RenderError> {
        let bad = || RenderError::BadEventId { id: id.to_owned() };
        // Node names may contain ':', the number never does: split at the last one.
        let (name, number) = id.rsplit_once(':').ok_or_else(bad)?;
        let number: u64 = number.parse().map_err(|_| bad())?;
        let unknown = || RenderError::UnknownEvent { id: id.to_owned() };
        let node = self
            .nodes
            .iter()
            .position(|candidate| candidate == name)
            .ok_or_else(unknown)?;
        (0..self.events.len())
            .find(|&event| self.events[event].node == node && self.own(event) == number)
            .ok_or_else(unknown)
    }

    /// How event `event` relates to event `other` by their clocks as given (`Before`: it
    /// happens before `other`).
    ///
    /// # Panics
    ///
    /// When an index is not below [`Diagram::len`].
    pub fn compare(&self, event: usize, other: usize) -> Causality {
        layout::compare(&self.clock(event), &self.clock(other))
    }
}

/// How to draw a [`Diagram`]. Build with [`RenderOptions::new`] and the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RenderOptions {
    /// Event id `NODE:n` to highlight: every event is coloured by its order relative to it
    /// (before, after, concurrent), with a legend. `None` (default): nodes' own colours.
    pub highlight: Option<String>,
    /// Collapse runs of two or more consecutive local events (no send, no receive) of one node
    /// into one numbered dot, as ShiViz does. Default `true`. A highlighted event is never
    /// collapsed, and a run never mixes events of different colours.
    pub collapse: bool,
    /// A title drawn above the timelines (e.g. the execution's name). Default `None`.
    pub title: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            highlight: None,
            collapse: true,
            title: None,
        }
    }
}

impl RenderOptions {
    /// The defaults: no highlight, local runs collapsed, no title.
    pub fn new() -> Self {
        Self::default()
    }

    /// Highlights the event with this id (`NODE:n`).
    pub fn highlight(mut self, id: impl Into<String>) -> Self {
        self.highlight = Some(id.into());
        self
    }

    /// Collapses local runs (`true`, the default) or draws every event as its own dot.
    pub fn collapse(mut self, collapse: bool) -> Self {
        self.collapse = collapse;
        self
    }

    /// Draws this title above the timelines.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

/// What a render drew, for summaries (`causet render --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RenderSummary {
    /// Nodes that log at least one event (as `causet analyze` counts them).
    pub nodes: usize,
    /// Nodes named only inside other nodes' clocks (a per-process log's peers): drawn as
    /// empty timelines, not counted in `nodes`.
    pub clock_only_nodes: usize,
    /// Events in the diagram.
    pub events: usize,
    /// Dots drawn: single events plus collapsed runs.
    pub dots: usize,
    /// Dots that stand for a collapsed run of local events.
    pub collapsed_dots: usize,
    /// Message arrows drawn.
    pub messages: usize,
    /// Causal layers (rows) of the layout.
    pub rows: usize,
    /// Width of the picture in px.
    pub width: u64,
    /// Height of the picture in px.
    pub height: u64,
}

/// Why a diagram could not be built or drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// An event names a node index the diagram does not have.
    #[error("event #{event}: node index {node} is out of range (the diagram has {nodes} nodes)")]
    NodeOutOfRange {
        /// Index of the event being added.
        event: usize,
        /// The offending node index.
        node: usize,
        /// Number of nodes of the diagram.
        nodes: usize,
    },
    /// An event's clock does not have one entry per node.
    #[error(
        "event #{event} on node {node}: the clock has {found} entries, expected {expected} \
         (one per node)"
    )]
    ClockLength {
        /// Index of the event being added.
        event: usize,
        /// Name of its node.
        node: String,
        /// Number of nodes.
        expected: usize,
        /// Number of clock entries given.
        found: usize,
    },
    /// An event's own clock entry is 0: it did not tick, so it has no id.
    #[error("event #{event} on node {node}: its own clock entry is 0 (every event ticks it)")]
    ZeroOwnEntry {
        /// Index of the event being added.
        event: usize,
        /// Name of its node.
        node: String,
    },
    /// A message names an event that does not exist, or goes from an event to itself.
    #[error(
        "message #{send} -> #{receive}: not two distinct events of the {events} in the diagram"
    )]
    MessageOutOfRange {
        /// Index of the send event.
        send: usize,
        /// Index of the receive event.
        receive: usize,
        /// Number of events of the diagram.
        events: usize,
    },
    /// Two events of one node have the same own clock entry, hence the same id.
    #[error("two events have the id {id} (each node's own clock entries must differ)")]
    DuplicateEvent {
        /// The shared id.
        id: String,
    },
    /// The clocks or messages contradict each other: no causal order exists.
    #[error("the clocks and messages form a cycle through event {id}: no causal order exists")]
    Cycle {
        /// An event on the cycle (or after it).
        id: String,
    },
    /// A highlight or lookup id is not of the form `NODE:n`.
    #[error("`{id}` is not an event id of the form NODE:N (e.g. alice:3)")]
    BadEventId {
        /// The offending text.
        id: String,
    },
    /// No event has this id.
    #[error("no event {id} in the diagram")]
    UnknownEvent {
        /// The id asked for.
        id: String,
    },
    /// Writing the SVG failed.
    #[error("writing the SVG: {0}")]
    Io(#[from] io::Error),
}

/// The causal layering the SVG renderer uses, with every event its own dot (no collapsed
/// runs): per event of `diagram`, its row (0 at the top), and the number of rows. An event's
/// row is below the rows of every event that happens before it, and one below the lowest of
/// its immediate predecessors (its previous event on its node, the latest event of each other
/// node its clock covers, the send of a message it receives). The interactive viewer draws
/// with it.
///
/// ```
/// use causet_diagram::{Diagram, event_rows};
///
/// let mut diagram = Diagram::new(["a", "b"]);
/// let send = diagram.push_event(0, &[1, 0], "send")?;
/// diagram.push_event(1, &[0, 1], "local")?;
/// let receive = diagram.push_event(1, &[1, 2], "receive")?;
/// diagram.push_message(send, receive)?;
/// assert_eq!(event_rows(&diagram)?, (vec![0, 0, 1], 2));
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`render_svg`] without a highlight: duplicate event ids, or a cycle.
pub fn event_rows(diagram: &Diagram) -> Result<(Vec<usize>, usize), RenderError> {
    // (A diagram of a log reads the log's clock table as stored.)
    let fast = match &diagram.clocks {
        Clocks::Log(table) => layout::fast_rows(&**table, &diagram.messages, false),
        Clocks::Rows(_) => layout::fast_rows(diagram, &diagram.messages, false),
    };
    if let Some((rows, count)) = fast {
        return Ok((rows.into_iter().map(|row| row as usize).collect(), count));
    }
    let layout = layout::Layout::compute(diagram, &RenderOptions::new().collapse(false))?;
    let rows = layout
        .unit_of
        .iter()
        .map(|&unit| layout.rows[unit])
        .collect();
    Ok((rows, layout.row_count))
}

/// Per event, the row of its dot with runs of local events collapsed (every event of a run
/// has the run's row; [`RenderOptions::collapse`]), and the number of rows: the layout the
/// viewer draws. `events` gives the clocks without building a [`Diagram`] when the log was
/// written as things happened; `diagram` builds one for the general case (and its errors).
pub(crate) fn collapsed_rows<C: layout::Clocks>(
    events: &C,
    messages: &[(usize, usize)],
    diagram: impl FnOnce() -> Result<Diagram, RenderError>,
) -> Result<(Vec<u32>, usize), RenderError> {
    if let Some(found) = layout::fast_rows(events, messages, true) {
        return Ok(found);
    }
    let diagram = diagram()?;
    let layout = layout::Layout::compute(&diagram, &RenderOptions::new())?;
    let rows = layout
        .unit_of
        .iter()
        .map(|&unit| u32::try_from(layout.rows[unit]).unwrap_or(u32::MAX))
        .collect();
    Ok((rows, layout.row_count))
}

/// Draws `diagram` as an SVG document.
///
/// # Errors
///
/// See [`RenderError`]: an unknown or malformed highlight id, duplicate event ids, or clocks
/// and messages that contradict each other (a cycle).
pub fn render_svg(diagram: &Diagram, options: &RenderOptions) -> Result<String, RenderError> {
    let mut out = Vec::with_capacity(4096 + 200 * diagram.len());
    write_svg(diagram, options, &mut out)?;
    // The writer only emits UTF-8 (escaped input strings and ASCII markup).
    String::from_utf8(out).map_err(|err| RenderError::Io(io::Error::other(err)))
}

/// Draws `diagram` as an SVG document into `out` and says what it drew.
///
/// The text is handed to `out` in chunks of about 64 KiB, so a plain `File` needs no
/// `BufWriter`. Layout errors are found before anything is written.
///
/// # Errors
///
/// As [`render_svg`], plus [`RenderError::Io`] when writing fails.
pub fn write_svg<W: io::Write>(
    diagram: &Diagram,
    options: &RenderOptions,
    out: W,
) -> Result<RenderSummary, RenderError> {
    let layout = layout::Layout::compute(diagram, options)?;
    svg::write(diagram, options, &layout, out)
}
