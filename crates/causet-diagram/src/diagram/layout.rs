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

/// What the fast layering needs of a diagram's events, in file order: each event's node,
/// own entry, and clock as the entries that changed since its node's previous event.
pub(crate) trait Clocks {
    /// A clock entry.
    type Entry: Copy + Into<u64>;
    /// Number of nodes (entries per clock).
    fn width(&self) -> usize;
    /// Number of events.
    fn len(&self) -> usize;
    /// The node of `event`.
    fn node(&self, event: usize) -> usize;
    /// The own entry of `event`.
    fn own(&self, event: usize) -> u64;
    /// Replaces `out` with the entries of `event`'s clock that differ from those of
    /// `previous` (its node's previous event in file order; `None`: from zeros), as
    /// `(node, value)` in increasing node order.
    fn changes_into(
        &self,
        event: usize,
        previous: Option<usize>,
        out: &mut Vec<(u32, Self::Entry)>,
    );
    /// Whether, along each node in file order, own entries grow and no entry shrinks
    /// (then every change is an increase).
    fn grows_along_nodes(&self) -> bool;
}

impl Clocks for Diagram {
    type Entry = u64;
    fn width(&self) -> usize {
        self.nodes.len()
    }
    fn len(&self) -> usize {
        Diagram::len(self)
    }
    fn node(&self, event: usize) -> usize {
        Diagram::node(self, event)
    }
    fn own(&self, event: usize) -> u64 {
        Diagram::own(self, event)
    }
    fn changes_into(&self, event: usize, previous: Option<usize>, out: &mut Vec<(u32, u64)>) {
        self.clock_changes_into(event, previous, out);
    }
    fn grows_along_nodes(&self) -> bool {
        Diagram::grows_along_nodes(self)
    }
}

/// A log's clock table as the fast layering reads it: its changes as stored (no
/// allocation per event; the table knows each node's previous event itself).
impl Clocks for causet_log::ClockTable {
    type Entry = u32;
    fn width(&self) -> usize {
        causet_log::ClockTable::width(self)
    }
    fn len(&self) -> usize {
        causet_log::ClockTable::len(self)
    }
    fn node(&self, event: usize) -> usize {
        self.node_of(event)
    }
    fn own(&self, event: usize) -> u64 {
        causet_log::ClockTable::own(self, event).into()
    }
    fn changes_into(&self, event: usize, _previous: Option<usize>, out: &mut Vec<(u32, u32)>) {
        causet_log::ClockTable::changes_into(self, event, out);
    }
    fn grows_along_nodes(&self) -> bool {
        causet_log::ClockTable::grows_along_nodes(self)
    }
}

/// The rows [`Layout::compute`] gives every event without a highlight (with `collapse`, the
/// row of the event's dot: a run of local events shares one), in one pass over the events
/// in file order, when that order allows it: each node's events appear in increasing own
/// entry (from 1), and every event comes after its immediate causal predecessors and the
/// sends of the messages it receives (a log written as things happened). `None` otherwise
/// (then [`Layout::compute`] answers, with its errors for broken logs).
///
/// The same edges as [`dependencies`], visited in a topological order, give the same
/// longest-path layering; clocks are read once, front to back (no sort, no edge list), and
/// a node's previous clock is kept in a small table.
pub(crate) fn fast_rows<C: Clocks>(
    events: &C,
    messages: &[(usize, usize)],
    collapse: bool,
) -> Option<(Vec<u32>, usize)> {
    let width = events.width();
    let n = events.len();
    if n >= u32::MAX as usize || !events.grows_along_nodes() {
        return None;
    }
    // Own entries strictly increase along each node in file order, from 1; per node its
    // events.
    let mut last_own = vec![0u64; width];
    let mut count = vec![0usize; width];
    for event in 0..n {
        let node = events.node(event);
        let own = events.own(event);
        if own <= last_own[node] {
            return None;
        }
        last_own[node] = own;
        count[node] += 1;
    }
    let gap_free: Vec<bool> = (0..width).map(|k| last_own[k] == count[k] as u64).collect();
    let mut order: Vec<Vec<u32>> = count.iter().map(|&c| Vec::with_capacity(c)).collect();
    // Own entries by node position, only for nodes with holes (binary search).
    let mut owns: Vec<Vec<u64>> = vec![Vec::new(); width];
    for event in 0..n {
        let node = events.node(event);
        order[node].push(event as u32);
        if !gap_free[node] {
            owns[node].push(events.own(event));
        }
    }
    // Message ends are not local; a receive waits for its sends.
    let mut end = vec![false; n];
    let mut into = vec![0u32; n + 1];
    for &(send, receive) in messages {
        if send >= receive || receive >= n {
            return None;
        }
        end[send] = true;
        end[receive] = true;
        into[receive + 1] += 1;
    }
    for k in 0..n {
        into[k + 1] += into[k];
    }
    let mut sends = vec![0u32; messages.len()];
    {
        let mut cursor = into.clone();
        for &(send, receive) in messages {
            sends[cursor[receive] as usize] = send as u32;
            cursor[receive] += 1;
        }
    }

    let mut changes = Vec::new();
    let mut last_event = vec![u32::MAX; width];
    let mut last_local = vec![false; width];
    let mut rows = vec![0u32; n];
    let mut row_count = 0u32;
    for event in 0..n {
        let node = events.node(event);
        let p = last_event[node];
        let previous = (p != u32::MAX).then_some(p as usize);
        events.changes_into(event, previous, &mut changes);
        let mut row = previous.map_or(0, |p| rows[p] + 1);
        let mut grew = false;
        // Every change is an increase (the clocks grow along nodes): the entries of other
        // nodes that grew are the event's causal predecessors beyond its own node's.
        for &(other, entry) in &changes {
            let (other, time): (usize, u64) = (other as usize, entry.into());
            if other == node {
                continue;
            }
            grew = true;
            // The latest event of `other` whose own entry is at most `time`.
            let list = &order[other];
            let frontier = if gap_free[other] {
                let at = usize::try_from(time).unwrap_or(usize::MAX).min(list.len());
                at.checked_sub(1).map(|k| list[k])
            } else {
                let after = owns[other].partition_point(|&own| own <= time);
                after.checked_sub(1).map(|k| list[k])
            };
            if let Some(frontier) = frontier {
                if frontier as usize >= event {
                    return None;
                }
                row = row.max(rows[frontier as usize] + 1);
            }
        }
        for &send in &sends[into[event] as usize..into[event + 1] as usize] {
            row = row.max(rows[send as usize] + 1);
        }
        let local = !grew && !end[event];
        if collapse && local && p != u32::MAX && last_local[node] {
            row = rows[p as usize];
        }
        rows[event] = row;
        row_count = row_count.max(row + 1);
        last_event[node] = event as u32;
        last_local[node] = local;
    }
    Some((rows, row_count as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of `Layout::compute` per event (no highlight).
    fn general(diagram: &Diagram, collapse: bool) -> (Vec<u32>, usize) {
        let layout = Layout::compute(diagram, &RenderOptions::new().collapse(collapse)).unwrap();
        let rows = layout
            .unit_of
            .iter()
            .map(|&u| layout.rows[u] as u32)
            .collect();
        (rows, layout.row_count)
    }

    /// `diagram` with its events in another file order (`order[k]` = old index of new k).
    fn reordered(diagram: &Diagram, order: &[usize]) -> Diagram {
        let mut out = Diagram::new(diagram.nodes().iter().cloned());
        let mut new_of = vec![0; order.len()];
        for (k, &old) in order.iter().enumerate() {
            new_of[old] = k;
            out.push_event(diagram.node(old), &diagram.clock(old), diagram.label(old))
                .unwrap();
        }
        for &(s, r) in diagram.messages() {
            out.push_message(new_of[s], new_of[r]).unwrap();
        }
        out
    }

    #[test]
    fn the_fast_layering_is_the_general_one() {
        use rand::{Rng, SeedableRng, seq::SliceRandom};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (mut fast, mut slow) = (0, 0);
        for seed in 0..300 {
            let nodes = rng.random_range(1..7);
            let events = rng.random_range(0..120);
            let mut diagram = Diagram::random(seed, nodes, events);
            if seed % 3 == 1 {
                // Another file order: causal sometimes (a topological shuffle is rare), so
                // the fast path must refuse or agree.
                let mut order: Vec<usize> = (0..events).collect();
                order.shuffle(&mut rng);
                diagram = reordered(&diagram, &order);
            } else if seed % 3 == 2 && events > 1 {
                // Swap two neighbours: often still causal.
                let k = rng.random_range(0..events - 1);
                let mut order: Vec<usize> = (0..events).collect();
                order.swap(k, k + 1);
                diagram = reordered(&diagram, &order);
            }
            for collapse in [false, true] {
                match fast_rows(&diagram, diagram.messages(), collapse) {
                    Some(found) => {
                        assert_eq!(found, general(&diagram, collapse), "seed {seed}");
                        fast += 1;
                    }
                    None => slow += 1,
                }
            }
        }
        assert!(fast > 300 && slow > 50, "{fast} fast, {slow} general");
    }

    #[test]
    fn holes_in_own_entries_are_searched() {
        // b's entries 2 and 5 (lenient), a knows b:3: its frontier is b's event with 2.
        let mut diagram = Diagram::new(["a", "b"]);
        diagram.push_event(1, &[0, 2], "b2").unwrap();
        diagram.push_event(1, &[0, 5], "b5").unwrap();
        diagram.push_event(0, &[1, 3], "a1").unwrap();
        diagram.push_event(0, &[2, 3], "a2").unwrap();
        for collapse in [false, true] {
            let found = fast_rows(&diagram, &[], collapse).expect("causal file order");
            assert_eq!(found, general(&diagram, collapse));
            // With collapse, b's two local events are one dot.
            assert_eq!(found.0, [0, u32::from(!collapse), 1, 2]);
        }
    }
}
