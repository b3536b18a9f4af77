//! Layout of a diagram: each node's events in order, collapsed runs ("units", one dot
//! each), highlight classes, and rows (causal layers).
//!
//! Rows are a longest-path layering of the units: a unit's row is one more than the largest
//! row of the units it depends on, so everything that happens before an event is drawn above
//! it. The dependencies of an event are its predecessor on its node, the latest event of each
//! other node that its clock covers (its immediate causal frontier), and the send of a message
//! it receives. Only entries that grew since the node's previous event add a dependency (the
//! previous event already depends on the rest), so the graph has about one edge per event
//! and per message, and building it costs O(events × nodes).

use causet_clock::Causality;

use super::{Diagram, RenderError, RenderOptions};

/// Compares two dense clocks of the same length in one pass.
pub(crate) fn compare(a: &[u64], b: &[u64]) -> Causality {
    let (mut less, mut greater) = (false, false);
    for (x, y) in a.iter().zip(b) {
        less |= x < y;
        greater |= x > y;
    }
    Causality::from_flags(less, greater)
}

/// The colour class of a dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// No highlight: the node's own colour.
    Plain,
    /// The highlighted event itself.
    Highlighted,
    /// Happens before the highlighted event.
    Before,
    /// Happens after the highlighted event.
    After,
    /// Concurrent with the highlighted event.
    Concurrent,
    /// Another event with the highlighted event's clock (only in a broken log).
    Equal,
}

impl Class {
    /// The CSS class written on the dot (empty for [`Class::Plain`]).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Class::Plain => "",
            Class::Highlighted => "highlighted",
            Class::Before => "before",
            Class::After => "after",
            Class::Concurrent => "concurrent",
            Class::Equal => "equal",
        }
    }
}

/// One dot: a single event, or a run of consecutive local events of one node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unit {
    /// Node index.
    pub(crate) node: usize,
    /// Position of the first event in the node's order.
    pub(crate) start: usize,
    /// Number of events (1 for a plain dot).
    pub(crate) len: usize,
    /// Colour class, shared by all its events.
    pub(crate) class: Class,
}

/// The computed layout of a diagram.
#[derive(Debug)]
pub(crate) struct Layout {
    /// Per node, its event indices sorted by own clock entry (top to bottom).
    pub(crate) order: Vec<Vec<usize>>,
    /// The dots, node by node, top to bottom within a node.
    pub(crate) units: Vec<Unit>,
    /// Per node, the first index in `units` of its dots (plus a final end marker).
    pub(crate) node_units: Vec<usize>,
    /// Per event, its unit.
    pub(crate) unit_of: Vec<usize>,
    /// Per unit, its row.
    pub(crate) rows: Vec<usize>,
    /// Number of rows.
    pub(crate) row_count: usize,
}

impl Layout {
    /// Computes the layout.
    pub(crate) fn compute(diagram: &Diagram, options: &RenderOptions) -> Result<Self, RenderError> {
        let nodes = diagram.nodes.len();
        let events = diagram.len();
        let own = |event: usize| diagram.own(event);

        let mut order: Vec<Vec<usize>> = vec![Vec::new(); nodes];
        for event in 0..events {
            order[diagram.node(event)].push(event);
        }
        for list in &mut order {
            // Stable, so that duplicates are reported in input order.
            list.sort_by_key(|&event| own(event));
            if let Some(pair) = list.windows(2).find(|pair| own(pair[0]) == own(pair[1])) {
                return Err(RenderError::DuplicateEvent {
                    id: diagram.event_id(pair[1]),
                });
            }
        }

        let highlight = match options.highlight.as_deref() {
            Some(id) => Some(diagram.find_event(id)?),
            None => None,
        };
        // Every event's class, each clock rebuilt once (clocks may be stored as changes).
        let classes: Vec<Class> = match highlight {
            None => Vec::new(),
            Some(chosen) => {
                let chosen_clock = diagram.clock(chosen);
                let mut clock = Vec::with_capacity(nodes);
                (0..events)
                    .map(|event| {
                        if event == chosen {
                            return Class::Highlighted;
                        }
                        diagram.clock_into(event, &mut clock);
                        match compare(&clock, &chosen_clock) {
                            Causality::Before => Class::Before,
                            Causality::After => Class::After,
                            Causality::Concurrent => Class::Concurrent,
                            Causality::Equal => Class::Equal,
                        }
                    })
                    .collect()
            }
        };
        let class_of = |event: usize| classes.get(event).copied().unwrap_or(Class::Plain);

        // Local events: no arrow end, and a clock that grew in its own entry only (so that a
        // receive the messages leave out, in a hand-built or lenient diagram, is not one).
        let mut local = vec![true; events];
        for &(send, receive) in &diagram.messages {
            local[send] = false;
            local[receive] = false;
        }
        let (mut clock, mut previous) = (vec![0; nodes], vec![0; nodes]);
        for (node, list) in order.iter().enumerate() {
            previous.clear();
            previous.resize(nodes, 0);
            for &event in list {
                diagram.clock_into(event, &mut clock);
                let grew = clock
                    .iter()
                    .zip(&previous)
                    .enumerate()
                    .any(|(other, (&time, &before))| other != node && time > before);
                if grew {
                    local[event] = false;
                }
                std::mem::swap(&mut clock, &mut previous);
            }
        }

        // Units: a run grows while the next event is local, of the same class, and not the
        // highlighted one, so a collapsed dot never hides an arrow end or mixes colours, and
        // all the external dependencies of a run are those of its first event (collapsing
        // cannot create a cycle).
        let mut units = Vec::new();
        let mut node_units = Vec::with_capacity(nodes + 1);
        let mut unit_of = vec![0; events];
        for (node, list) in order.iter().enumerate() {
            node_units.push(units.len());
            let mut start = 0;
            while start < list.len() {
                let first = list[start];
                let class = class_of(first);
                let collapsible = |event: usize| local[event] && highlight != Some(event);
                let mut len = 1;
                if options.collapse && collapsible(first) {
                    while let Some(&next) = list.get(start + len) {
                        if !collapsible(next) || class_of(next) != class {
                            break;
                        }
                        len += 1;
                    }
                }
                for &event in &list[start..start + len] {
                    unit_of[event] = units.len();
                }
                units.push(Unit {
                    node,
                    start,
                    len,
                    class,
                });
                start += len;
            }
        }
        node_units.push(units.len());

        let edges = dependencies(diagram, &order, &unit_of);
        let (rows, row_count) = layer(units.len(), &edges).map_err(|unit| {
            let Unit { node, start, .. } = units[unit];
            RenderError::Cycle {
                id: diagram.event_id(order[node][start]),
            }
        })?;

        Ok(Self {
            order,
            units,
            node_units,
            unit_of,
            rows,
            row_count,
        })
    }

    /// The event indices of a unit, top to bottom.
    pub(crate) fn events(&self, unit: &Unit) -> &[usize] {
        &self.order[unit.node][unit.start..unit.start + unit.len]
    }
}

/// The dependency edges (from unit, to unit) between distinct units.
fn dependencies(diagram: &Diagram, order: &[Vec<usize>], unit_of: &[usize]) -> Vec<(usize, usize)> {
    let mut edges = Vec::with_capacity(diagram.len() + 2 * diagram.messages.len());
    let mut push = |from: usize, to: usize| {
        if from != to {
            edges.push((from, to));
        }
    };
    let width = diagram.nodes.len();
    let (mut clock, mut previous) = (vec![0; width], vec![0; width]);
    for (node, list) in order.iter().enumerate() {
        previous.clear();
        previous.resize(width, 0);
        for (position, &event) in list.iter().enumerate() {
            let unit = unit_of[event];
            diagram.clock_into(event, &mut clock);
            if position > 0 {
                push(unit_of[list[position - 1]], unit);
            }
            for (other, (&time, &before)) in clock.iter().zip(&previous).enumerate() {
                if other == node || time == 0 || time <= before {
                    continue;
                }
                if let Some(frontier) = latest_at_or_before(diagram, &order[other], time) {
                    push(unit_of[frontier], unit);
                }
            }
            std::mem::swap(&mut clock, &mut previous);
        }
    }
    for &(send, receive) in &diagram.messages {
        push(unit_of[send], unit_of[receive]);
    }
    edges
}

/// The latest event of `node` (its events `list`, sorted by own entry) whose own entry is at
/// most `time`.
fn latest_at_or_before(diagram: &Diagram, list: &[usize], time: u64) -> Option<usize> {
    // Fast path for valid logs, where the own entries of a node run 1, 2, 3, ...
    if let Some(&event) = usize::try_from(time)
        .ok()
        .and_then(|time| list.get(time.wrapping_sub(1)))
        && diagram.own(event) == time
    {
        return Some(event);
    }
    let after = list.partition_point(|&event| diagram.own(event) <= time);
    after.checked_sub(1).map(|position| list[position])
}

/// Longest-path layering by Kahn's algorithm: each unit's row and the number of rows, or a
/// unit left over when the edges contain a cycle.
fn layer(units: usize, edges: &[(usize, usize)]) -> Result<(Vec<usize>, usize), usize> {
    // Successor lists in compressed form: successors of u are targets[starts[u]..starts[u+1]].
    let mut starts = vec![0usize; units + 1];
    let mut waiting = vec![0usize; units];
    for &(from, to) in edges {
        starts[from + 1] += 1;
        waiting[to] += 1;
    }
    for unit in 0..units {
        starts[unit + 1] += starts[unit];
    }
    let mut cursor = starts.clone();
    let mut targets = vec![0usize; edges.len()];
    for &(from, to) in edges {
        targets[cursor[from]] = to;
        cursor[from] += 1;
    }

    let mut rows = vec![0usize; units];
    let mut ready: Vec<usize> = (0..units).filter(|&unit| waiting[unit] == 0).collect();
    let mut placed = 0;
    while let Some(unit) = ready.pop() {
        placed += 1;
        for &next in &targets[starts[unit]..starts[unit + 1]] {
            rows[next] = rows[next].max(rows[unit] + 1);
            waiting[next] -= 1;
            if waiting[next] == 0 {
                ready.push(next);
            }
        }
    }
    if placed < units {
        // Some unit still waits: it lies on a cycle or after one.
        let stuck = (0..units).find(|&unit| waiting[unit] > 0).unwrap_or(0);
        return Err(stuck);
    }
    let row_count = rows.iter().max().map_or(0, |&row| row + 1);
    Ok((rows, row_count))
}
