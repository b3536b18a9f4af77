//! ShiViz's validity rules for an execution, with the line of the first violation.

use std::fmt;

use super::model::{Changes, ClockTable, EventId, Execution};

/// How strictly to check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Accept holes (missing events: a node's own entries may skip values) and unknown nodes
    /// (clock entries for nodes that log nothing), as in logs taken from network captures
    /// (ShiViz issue #179). What can still be checked is: own entries increase strictly per
    /// node, each node's clocks never go backwards, and every referenced event that is in the
    /// log happened before the referencing one (no cycles).
    pub lenient: bool,
}

/// The first rule an execution breaks. Displays as `LINE: what is wrong`; the binary
/// prefixes the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {kind}")]
pub struct Violation {
    /// The execution's name (`""` when the log has one execution).
    pub execution: String,
    /// The 1-based line of the offending event's entry.
    pub line: u64,
    /// What is wrong.
    pub kind: ViolationKind,
}

/// The rules of [`Execution::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViolationKind {
    /// An event's clock has no (or a zero) entry for its own node.
    MissingOwnEntry {
        /// The node.
        node: String,
    },
    /// Two events of one node with the same own entry.
    Duplicate {
        /// The id both events have.
        id: String,
        /// Line of the earlier one.
        first_line: u64,
    },
    /// A node's own entries skip a value (strict mode only).
    Gap {
        /// The id that is missing.
        missing: String,
        /// The id found instead.
        found: String,
    },
    /// A clock references a node that logs no event (strict mode only).
    UnknownNode {
        /// The event whose clock has the entry.
        id: String,
        /// The node it references.
        node: String,
    },
    /// A clock references an event that is not in the log (strict mode only).
    MissingEvent {
        /// The event whose clock has the entry.
        id: String,
        /// The referenced id.
        referenced: String,
        /// How many events that node logs.
        logged: usize,
    },
    /// A clock is not the merge of its predecessor and the events it references, with its
    /// own entry ticked.
    Inconsistent {
        /// The event.
        id: String,
        /// The node whose entry is wrong.
        node: String,
        /// The entry found.
        found: u32,
        /// The entry the merge gives.
        expected: u32,
    },
    /// (lenient) A node's clock went backwards from one of its events to the next.
    Backwards {
        /// The event.
        id: String,
        /// The node whose entry decreased.
        node: String,
        /// Its previous event.
        previous: String,
    },
    /// Two events reference each other (directly or through a chain).
    Cycle {
        /// The event checked.
        id: String,
        /// The event it references, which already knows it.
        other: String,
        /// The line of `other`.
        other_line: u64,
    },
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViolationKind::MissingOwnEntry { node } => {
                write!(f, "the clock of an event of {node} has no entry for {node}")
            }
            ViolationKind::Duplicate { id, first_line } => {
                write!(f, "event {id} appears twice (first on line {first_line})")
            }
            ViolationKind::Gap { missing, found } => {
                write!(f, "event {missing} is missing (found {found} instead)")
            }
            ViolationKind::UnknownNode { id, node } => write!(
                f,
                "the clock of {id} references node {node}, which logs no event"
            ),
            ViolationKind::MissingEvent {
                id,
                referenced,
                logged,
            } => write!(
                f,
                "the clock of {id} references {referenced}, but that node logs only {logged} events"
            ),
            ViolationKind::Inconsistent {
                id,
                node,
                found,
                expected,
            } => write!(
                f,
                "the clock of {id} has {node}:{found}, but the merge of its predecessor and \
                 the events it references gives {node}:{expected}"
            ),
            ViolationKind::Backwards { id, node, previous } => write!(
                f,
                "the clock of {id} has a smaller {node} entry than its predecessor {previous}"
            ),
            ViolationKind::Cycle {
                id,
                other,
                other_line,
            } => write!(
                f,
                "cycle: {id} references {other} (line {other_line}), which already knows {id}"
            ),
        }
    }
}

impl Execution {
    /// Checks the execution against ShiViz's rules and reports the first violation: the one
    /// on the smallest line among rules 1 and 2, else among rules 3 and 4:
    ///
    /// 1. every event's clock has a positive entry for its own node;
    /// 2. each node's own entries run 1, 2, …, n with no duplicate and (unless lenient) no gap;
    /// 3. (unless lenient) every entry `node:n` names an event in the log;
    /// 4. every clock equals the merge of its node's previous clock and the clocks of the
    ///    events it references, with its own entry ticked; this also rules out cycles.
    ///    Lenient mode checks only what holes leave checkable (see [`CheckOptions`]).
    ///
    /// Costs O(events × nodes × new entries per event) on dense clocks; on clocks stored as
    /// changes (see [`crate::ClockTable`]), about O(entries of each receive's clock and of
    /// the events it directly references), whatever the node count.
    ///
    /// ```
    /// use causet_log::{parse_log, CheckOptions, ReadOptions};
    ///
    /// let good = "a {\"a\":1}\nsend\nb {\"a\":1, \"b\":1}\nreceive\n";
    /// let log = parse_log(good.as_bytes(), &ReadOptions::default())?;
    /// assert!(log.executions[0].check(&CheckOptions::default()).is_ok());
    ///
    /// let gap = "a {\"a\":1}\none\na {\"a\":3}\nthree\n";
    /// let log = parse_log(gap.as_bytes(), &ReadOptions::default())?;
    /// let violation = log.executions[0].check(&CheckOptions::default()).unwrap_err();
    /// assert_eq!(violation.line, 3);
    /// assert!(log.executions[0].check(&CheckOptions { lenient: true }).is_ok());
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, options: &CheckOptions) -> Result<(), Violation> {
        // Rules 1 and 2 hold at once when every node's own entries run 1..=count (known from
        // reading); otherwise look for the first violation.
        if !self.clocks.gap_free.iter().all(|&gap_free| gap_free) {
            self.check_own_entries(options)?;
        }
        if options.lenient {
            self.check_lenient()?;
            let _ = self.passed.set(());
            return Ok(());
        }
        // 3 and 4, in one pass in file order (so the smallest line breaking either is
        // reported): references exist (own entries are now exactly 1..count per node), and
        // each clock is the merge of its predecessor and what it references, ticked.
        let logged: Vec<usize> = self.clocks.by_node.iter().map(Vec::len).collect();
        let edges = match self.clocks.changes() {
            Some(changes) if changes.monotone && self.clocks.in_file_order => {
                self.check_changes(changes, &logged)?
            }
            _ => {
                let mut scratch = Scratch::new(self.nodes.len());
                let mut edges = Vec::new();
                for index in 0..self.len() {
                    self.check_event(index, &logged, &mut scratch, &mut edges)?;
                }
                edges
            }
        };
        // The referenced events are the candidate senders of `Execution::messages`: keep the
        // edges found, as it would.
        let _ = self.messages.set(edges);
        let _ = self.passed.set(());
        Ok(())
    }

    /// Rules 3 and 4 for event `index` on dense rows (the table's, or rebuilt), appending the
    /// messages to it to `edges`.
    #[inline]
    fn check_event(
        &self,
        index: usize,
        logged: &[usize],
        scratch: &mut Scratch,
        edges: &mut Vec<(usize, usize)>,
    ) -> Result<(), Violation> {
        let table = &*self.clocks;
        let width = self.nodes.len();
        let Scratch {
            clock: clock_buf,
            before: before_buf,
            referenced: referenced_buf,
            expected,
            zeros,
            candidates,
            logged_u32,
            ..
        } = scratch;
        if logged_u32.len() != logged.len() {
            // The same counts as `u32` (each below 2^32, as event indices are), for a
            // branch-free pass over each clock.
            logged_u32.clear();
            logged_u32.extend(
                logged
                    .iter()
                    .map(|&count| u32::try_from(count).unwrap_or(u32::MAX)),
            );
        }
        let node = self.node_of(index);
        let clock = table.row(index, clock_buf);
        // Whether any entry references an event not logged: one branch-free pass first
        // (it vectorises), the search for the first such entry only on a violation.
        let too_far = clock
            .iter()
            .zip(logged_u32.iter())
            .fold(false, |acc, (&value, &count)| acc | (value > count));
        if too_far
            && let Some((other, &value)) = clock
                .iter()
                .enumerate()
                .find(|&(other, &value)| value as usize > logged[other])
        {
            let id = self.display_id(self.id_of(index));
            let count = logged[other];
            return Err(self.violation(
                index,
                if count == 0 {
                    ViolationKind::UnknownNode {
                        id,
                        node: self.nodes[other].clone(),
                    }
                } else {
                    ViolationKind::MissingEvent {
                        id,
                        referenced: self.display_id(EventId {
                            node: other,
                            n: value,
                        }),
                        logged: count,
                    }
                },
            ));
        }
        let own = clock[node];
        let previous = (own > 1).then(|| table.by_node[node][own as usize - 2] as usize);
        let before = match previous {
            Some(previous) => table.row(previous, before_buf),
            None => zeros.as_slice(),
        };
        expected.copy_from_slice(before);
        candidates.clear();
        let grown = Grown::new(clock, before, node);
        for other in grown {
            let value = clock[other];
            let referenced = table.by_node[other][value as usize - 1] as usize;
            candidates.push(referenced);
            let referenced_clock = table.row(referenced, referenced_buf);
            if referenced_clock[node] >= own {
                return Err(self.violation(index, self.cycle(index, referenced)));
            }
            for (slot, &entry) in expected.iter_mut().zip(referenced_clock) {
                *slot = (*slot).max(entry);
            }
        }
        expected[node] = own;
        self.reduce(index, candidates, edges);
        if expected.as_slice() != clock
            && let Some(wrong) = (0..width).find(|&k| expected[k] != clock[k])
        {
            return Err(self.inconsistent(index, wrong, clock[wrong], expected[wrong]));
        }
        Ok(())
    }

    /// Rules 3 and 4 on clocks stored as changes, every node in file order and no entry
    /// decreasing: an event that changes nothing but its own entry (a local step or a send)
    /// is its predecessor ticked, so only receives are looked at. A receive's clock is
    /// rebuilt once; each event it references must be covered by it, and one referenced
    /// event that another one (earlier in the file, so already checked) knows is covered
    /// through that one, so only the references that survive the transitive reduction (the
    /// messages, one per receive in most logs) are compared entry by entry. Anything else
    /// (a violation, a reference to a later line) goes through [`Execution::check_event`],
    /// which reports exactly what the dense pass does.
    fn check_changes(
        &self,
        changes: &Changes,
        logged: &[usize],
    ) -> Result<Vec<(usize, usize)>, Violation> {
        let table = &*self.clocks;
        let mut scratch = Scratch::new(self.nodes.len());
        let mut edges = Vec::new();
        for index in 0..self.len() {
            let grown = ClockTable::changes_of(changes, index);
            if grown.is_empty() {
                continue;
            }
            let node = self.node_of(index);
            let own = changes.own[index];
            let mut fallback = false;
            scratch.candidates_of.clear();
            for entry in grown {
                let (other, value) = (entry.node as usize, entry.value);
                // Rule 3 (the entries that did not change were checked at the predecessor).
                if value as usize > logged[other] {
                    fallback = true;
                    break;
                }
                let referenced = table.by_node[other][value as usize - 1] as usize;
                fallback |= referenced >= index;
                scratch
                    .candidates_of
                    .push((other as u32, value, referenced as u32));
            }
            if fallback || !self.covers_references(changes, index, node, own, &mut scratch) {
                self.check_event(index, logged, &mut scratch, &mut edges)?;
                continue;
            }
            // The surviving candidates, in node order (as the dense pass finds them).
            let generation = scratch.generation;
            let first = edges.len();
            for &(other, _, referenced) in &scratch.candidates_of {
                if scratch.dominated[other as usize] != generation {
                    edges.push((referenced as usize, index));
                }
            }
            edges[first..].sort_unstable_by_key(|&(send, _)| self.node_of(send));
        }
        Ok(edges)
    }

    /// Whether event `index` (of `node`, own entry `own`; clocks as changes, monotone) covers
    /// every candidate in `scratch.candidates_of` (`(node, threshold, event)`: the event
    /// counts as known by another candidate whose entry for `node` reaches `threshold`) and
    /// none of them knows it (no cycle). Candidates known by an earlier-checked one are
    /// skipped, and marked in `scratch.dominated` with `scratch.generation`; every candidate
    /// must come before `index` in the file.
    fn covers_references(
        &self,
        changes: &Changes,
        index: usize,
        node: usize,
        own: u32,
        scratch: &mut Scratch,
    ) -> bool {
        let table = &*self.clocks;
        scratch.next_generation();
        let Scratch {
            current,
            touched,
            marks,
            dominated,
            thresholds,
            candidates_of,
            generation,
            ..
        } = scratch;
        let generation = *generation;
        table.for_each_entry(changes, index, |other, value| {
            let slot = &mut current[other as usize];
            if *slot == 0 {
                touched.push(other);
            }
            *slot = value;
        });
        for &(other, threshold, _) in candidates_of.iter() {
            marks[other as usize] = generation;
            thresholds[other as usize] = threshold;
        }
        // Latest first: the sender of the message, which knows the other candidates.
        candidates_of.sort_unstable_by_key(|&(_, _, event)| std::cmp::Reverse(event));
        let mut covered = true;
        for &(other, _, referenced) in candidates_of.iter() {
            if dominated[other as usize] == generation {
                continue;
            }
            let mut knows_us = 0;
            table.for_each_entry(changes, referenced as usize, |k, value| {
                let k = k as usize;
                if k == node {
                    knows_us = knows_us.max(value);
                } else if value > current[k] {
                    covered = false;
                }
                if marks[k] == generation && value >= thresholds[k] {
                    dominated[k] = generation;
                }
            });
            if knows_us >= own {
                covered = false;
            }
            if !covered {
                break;
            }
        }
        for &k in touched.iter() {
            current[k as usize] = 0;
        }
        touched.clear();
        // Back in node order, for the caller.
        candidates_of.sort_unstable_by_key(|&(other, _, _)| other);
        covered
    }

    fn violation(&self, index: usize, kind: ViolationKind) -> Violation {
        Violation {
            execution: self.name.clone(),
            line: self.lines.get(index),
            kind,
        }
    }

    /// Rule 4 broken at `index`: its `node` entry is `found` where the merge gives `expected`.
    fn inconsistent(&self, index: usize, node: usize, found: u32, expected: u32) -> Violation {
        self.violation(
            index,
            ViolationKind::Inconsistent {
                id: self.display_id(self.id_of(index)),
                node: self.nodes[node].clone(),
                found,
                expected,
            },
        )
    }

    /// The messages to `receive` from its candidate senders (the events its clock
    /// references): those that happen before no other candidate (transitive reduction).
    pub(crate) fn reduce(
        &self,
        receive: usize,
        candidates: &[usize],
        edges: &mut Vec<(usize, usize)>,
    ) {
        let table = &*self.clocks;
        for (position, &candidate) in candidates.iter().enumerate() {
            let candidate_node = self.node_of(candidate);
            let own = table.own(candidate);
            let dominated = candidates
                .iter()
                .enumerate()
                .any(|(other_position, &other)| {
                    other_position != position && table.entry(other, candidate_node) >= own
                });
            if !dominated {
                edges.push((candidate, receive));
            }
        }
    }

    /// Rules 1 and 2: positive own entries, and per node 1..n without duplicates (or, when
    /// lenient, gaps).
    fn check_own_entries(&self, options: &CheckOptions) -> Result<(), Violation> {
        // 1. Own entries are positive.
        for index in 0..self.len() {
            let node = self.node_of(index);
            if self.own(index) == 0 {
                return Err(self.violation(
                    index,
                    ViolationKind::MissingOwnEntry {
                        node: self.nodes[node].clone(),
                    },
                ));
            }
        }
        // 2. Own entries 1..n per node: find the violation on the smallest line.
        let mut first: Option<(usize, ViolationKind)> = None;
        let mut keep = |index: usize, kind: ViolationKind| {
            if first
                .as_ref()
                .is_none_or(|(seen, _)| self.lines.get(index) < self.lines.get(*seen))
            {
                first = Some((index, kind));
            }
        };
        for (node, events) in self.clocks.by_node.iter().enumerate() {
            let mut previous: Option<usize> = None;
            for (position, &event) in events.iter().enumerate() {
                let event = event as usize;
                let own = self.own(event);
                if let Some(before) = previous
                    && self.own(before) == own
                {
                    // `by_node` keeps file order among equals: `event` is the later one.
                    keep(
                        event,
                        ViolationKind::Duplicate {
                            id: self.display_id(EventId { node, n: own }),
                            first_line: self.lines.get(before),
                        },
                    );
                    break;
                }
                let expected = position as u32 + 1;
                if !options.lenient && own != expected {
                    keep(
                        event,
                        ViolationKind::Gap {
                            missing: self.display_id(EventId { node, n: expected }),
                            found: self.display_id(EventId { node, n: own }),
                        },
                    );
                    break;
                }
                previous = Some(event);
            }
        }
        if let Some((index, kind)) = first {
            return Err(self.violation(index, kind));
        }
        Ok(())
    }

    fn check_lenient(&self) -> Result<(), Violation> {
        let mut scratch = Scratch::new(self.nodes.len());
        // Walk each event with its node's previous event, in file order.
        let previous_of = self.previous_events();
        if let Some(changes) = self.clocks.changes()
            && changes.monotone
            && self.clocks.in_file_order
        {
            // As in `check_changes`: only events that change an entry besides their own,
            // and only the references that survive the reduction, are compared.
            for (index, &previous) in previous_of.iter().enumerate() {
                let grown = ClockTable::changes_of(changes, index);
                if grown.is_empty() {
                    continue;
                }
                let node = self.node_of(index);
                let own = changes.own[index];
                let mut fallback = false;
                scratch.candidates_of.clear();
                for entry in grown {
                    let Some(referenced) = self.latest_covered(entry.node as usize, entry.value)
                    else {
                        continue;
                    };
                    fallback |= referenced >= index;
                    scratch.candidates_of.push((
                        entry.node,
                        self.own(referenced),
                        referenced as u32,
                    ));
                }
                if fallback || !self.covers_references(changes, index, node, own, &mut scratch) {
                    self.check_lenient_event(index, previous, &mut scratch)?;
                }
            }
            return Ok(());
        }
        for (index, &previous) in previous_of.iter().enumerate() {
            self.check_lenient_event(index, previous, &mut scratch)?;
        }
        Ok(())
    }

    /// The lenient rules for event `index` (its node's previous event `previous`, or
    /// `u32::MAX`), on dense rows.
    fn check_lenient_event(
        &self,
        index: usize,
        previous: u32,
        scratch: &mut Scratch,
    ) -> Result<(), Violation> {
        let table = &*self.clocks;
        let width = self.nodes.len();
        let Scratch {
            clock: clock_buf,
            before: before_buf,
            referenced: referenced_buf,
            ..
        } = scratch;
        let node = self.node_of(index);
        let clock = table.row(index, clock_buf);
        let own = clock[node];
        let previous = (previous != u32::MAX).then_some(previous as usize);
        let before = match previous {
            Some(previous) => {
                let before = table.row(previous, before_buf);
                if let Some(k) = (0..width).find(|&k| clock[k] < before[k]) {
                    return Err(self.violation(
                        index,
                        ViolationKind::Backwards {
                            id: self.display_id(self.id_of(index)),
                            node: self.nodes[k].clone(),
                            previous: self.display_id(self.id_of(previous)),
                        },
                    ));
                }
                Some(before)
            }
            None => None,
        };
        for (other, &value) in clock.iter().enumerate() {
            if other == node || value <= before.map_or(0, |before| before[other]) {
                continue;
            }
            // The latest logged event of `other` that the clock covers: with holes it
            // may come before `other:value`, and it must still happen before this one.
            let Some(referenced) = self.latest_covered(other, value) else {
                continue; // nothing of that node is logged up to there
            };
            let referenced_clock = table.row(referenced, referenced_buf);
            if referenced_clock[node] >= own {
                return Err(self.violation(index, self.cycle(index, referenced)));
            }
            if let Some(k) = (0..width).find(|&k| referenced_clock[k] > clock[k]) {
                return Err(self.inconsistent(index, k, clock[k], referenced_clock[k]));
            }
        }
        Ok(())
    }

    /// The event of `node` with the largest own entry ≤ `value`.
    pub(crate) fn latest_covered(&self, node: usize, value: u32) -> Option<usize> {
        let events = self.clocks.by_node.get(node)?;
        if self.clocks.gap_free[node] {
            let count = (value as usize).min(events.len());
            return count.checked_sub(1).map(|k| events[k] as usize);
        }
        let count = events.partition_point(|&e| self.own(e as usize) <= value);
        count.checked_sub(1).map(|k| events[k] as usize)
    }

    /// The violation of event `index` referencing `referenced`, which already knows it.
    fn cycle(&self, index: usize, referenced: usize) -> ViolationKind {
        ViolationKind::Cycle {
            id: self.display_id(self.id_of(index)),
            other: self.display_id(self.id_of(referenced)),
            other_line: self.lines.get(referenced),
        }
    }

    /// The id `node:n` of event `index`.
    pub fn id_of(&self, index: usize) -> EventId {
        EventId {
            node: self.node_of(index),
            n: self.own(index),
        }
    }
}

/// Buffers of the passes over one execution: dense rows (rebuilt when the clocks are stored
/// as changes) and, for the changes pass, one clock held densely with the entries set, and
/// per-node marks stamped with a generation (so nothing is cleared per event).
pub(crate) struct Scratch {
    clock: Vec<u32>,
    before: Vec<u32>,
    referenced: Vec<u32>,
    expected: Vec<u32>,
    zeros: Vec<u32>,
    candidates: Vec<usize>,
    logged_u32: Vec<u32>,
    /// `(node, threshold, event)` per candidate of the changes pass.
    pub(crate) candidates_of: Vec<(u32, u32, u32)>,
    current: Vec<u32>,
    touched: Vec<u32>,
    marks: Vec<u32>,
    pub(crate) dominated: Vec<u32>,
    thresholds: Vec<u32>,
    pub(crate) generation: u32,
}

impl Scratch {
    pub(crate) fn new(width: usize) -> Self {
        Scratch {
            clock: Vec::new(),
            before: Vec::new(),
            referenced: Vec::new(),
            expected: vec![0; width],
            zeros: vec![0; width],
            candidates: Vec::new(),
            logged_u32: Vec::new(),
            candidates_of: Vec::new(),
            current: vec![0; width],
            touched: Vec::new(),
            marks: vec![0; width],
            dominated: vec![0; width],
            thresholds: vec![0; width],
            generation: 0,
        }
    }

    pub(crate) fn next_generation(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.marks.fill(0);
            self.dominated.fill(0);
            self.generation = 1;
        }
    }

    /// Marks the candidates in `candidates_of` that another one knows, in `dominated` with
    /// the current generation: for every candidate not yet marked (latest first), its
    /// entries are read once. With `skip`, a candidate already marked is not read (sound
    /// when every candidate's clock covers what the latest events it names know, as after
    /// a check that passed); without, every candidate is read (exact for any monotone
    /// table).
    pub(crate) fn mark_dominated(&mut self, table: &ClockTable, changes: &Changes, skip: bool) {
        self.next_generation();
        let generation = self.generation;
        let Scratch {
            marks,
            dominated,
            thresholds,
            candidates_of,
            ..
        } = self;
        for &(other, threshold, _) in candidates_of.iter() {
            marks[other as usize] = generation;
            thresholds[other as usize] = threshold;
        }
        candidates_of.sort_unstable_by_key(|&(_, _, event)| std::cmp::Reverse(event));
        for &(other, _, referenced) in candidates_of.iter() {
            if skip && dominated[other as usize] == generation {
                continue;
            }
            table.for_each_entry(changes, referenced as usize, |k, value| {
                let k = k as usize;
                if marks[k] == generation && value >= thresholds[k] {
                    dominated[k] = generation;
                }
            });
        }
        candidates_of.sort_unstable_by_key(|&(other, _, _)| other);
    }
}

/// The entries of a clock that grew since its predecessor's, other than the own one, in
/// increasing node order: found as a bit set, without a branch per entry, for up to 64
/// nodes (most entries do not grow, and which do is unpredictable).
struct Grown<'a> {
    bits: u64,
    clock: &'a [u32],
    before: &'a [u32],
    node: usize,
    /// Next entry to look at, beyond 64 nodes.
    next: usize,
}

impl<'a> Grown<'a> {
    fn new(clock: &'a [u32], before: &'a [u32], node: usize) -> Self {
        let mut bits = 0u64;
        if clock.len() <= 64 {
            bits = clock
                .iter()
                .zip(before)
                .enumerate()
                .fold(0u64, |bits, (k, (&value, &before))| {
                    bits | (u64::from(value > before) << k)
                });
            bits &= !(1u64 << node);
        }
        Grown {
            bits,
            clock,
            before,
            node,
            next: if clock.len() <= 64 { clock.len() } else { 0 },
        }
    }
}

impl Iterator for Grown<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.bits != 0 {
            let other = self.bits.trailing_zeros() as usize;
            self.bits &= self.bits - 1;
            return Some(other);
        }
        while self.next < self.clock.len() {
            let other = self.next;
            self.next += 1;
            if self.clock[other] > self.before.get(other).copied().unwrap_or(0)
                && other != self.node
            {
                return Some(other);
            }
        }
        None
    }
}
