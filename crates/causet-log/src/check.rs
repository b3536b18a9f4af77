//! ShiViz's validity rules for an execution, with the line of the first violation.

use std::fmt;

use super::model::{EventId, Execution};

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
    /// Costs O(events × nodes × new entries per event).
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
        let fail = |index: usize, kind| Violation {
            execution: self.name.clone(),
            line: self.lines.get(index),
            kind,
        };
        let width = self.nodes.len();
        // Rules 1 and 2 hold at once when every node's own entries run 1..=count (known from
        // reading); otherwise look for the first violation.
        if !self.gap_free.iter().all(|&gap_free| gap_free) {
            self.check_own_entries(options)?;
        }
        if options.lenient {
            return self.check_lenient();
        }
        // 3 and 4, in one pass in file order (so the smallest line breaking either is
        // reported): references exist (own entries are now exactly 1..count per node), and
        // each clock is the merge of its predecessor and what it references, ticked.
        let logged: Vec<usize> = self.by_node.iter().map(Vec::len).collect();
        // The same counts as `u32` (each below 2^32, as event indices are), for a branch-free
        // pass over each clock.
        let logged_u32: Vec<u32> = logged
            .iter()
            .map(|&count| u32::try_from(count).unwrap_or(u32::MAX))
            .collect();
        let mut expected = vec![0u32; width];
        let zeros = vec![0u32; width];
        // The referenced events are the candidate senders of `Execution::messages`: keep the
        // edges found, as it would.
        let mut edges: Vec<(usize, usize)> = Vec::new();
        let mut candidates: Vec<usize> = Vec::new();
        for index in 0..self.len() {
            let node = self.node_of(index);
            let clock = self.clock(index);
            // Whether any entry references an event not logged: one branch-free pass first
            // (it vectorises), the search for the first such entry only on a violation.
            let too_far = clock
                .iter()
                .zip(&logged_u32)
                .fold(false, |acc, (&value, &count)| acc | (value > count));
            if too_far
                && let Some((other, &value)) = clock
                    .iter()
                    .enumerate()
                    .find(|&(other, &value)| value as usize > logged[other])
            {
                let id = self.display_id(self.id_of(index));
                let count = logged[other];
                return Err(fail(
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
            let previous = (own > 1).then(|| self.by_node[node][own as usize - 2] as usize);
            let before = previous.map_or(zeros.as_slice(), |previous| self.clock(previous));
            expected.copy_from_slice(before);
            candidates.clear();
            let grown = Grown::new(clock, before, node);
            for other in grown {
                let value = clock[other];
                let referenced = self.by_node[other][value as usize - 1] as usize;
                candidates.push(referenced);
                let referenced_clock = self.clock(referenced);
                if referenced_clock[node] >= own {
                    return Err(fail(index, self.cycle(index, referenced)));
                }
                for (slot, &entry) in expected.iter_mut().zip(referenced_clock) {
                    *slot = (*slot).max(entry);
                }
            }
            expected[node] = own;
            self.reduce(index, &candidates, &mut edges);
            if expected != clock
                && let Some(wrong) = (0..width).find(|&k| expected[k] != clock[k])
            {
                return Err(fail(
                    index,
                    ViolationKind::Inconsistent {
                        id: self.display_id(self.id_of(index)),
                        node: self.nodes[wrong].clone(),
                        found: clock[wrong],
                        expected: expected[wrong],
                    },
                ));
            }
        }
        let _ = self.messages.set(edges);
        Ok(())
    }

    /// The messages to `receive` from its candidate senders (the events its clock
    /// references): those that happen before no other candidate (transitive reduction).
    pub(crate) fn reduce(
        &self,
        receive: usize,
        candidates: &[usize],
        edges: &mut Vec<(usize, usize)>,
    ) {
        let width = self.nodes.len();
        for (position, &candidate) in candidates.iter().enumerate() {
            let candidate_node = self.node_of(candidate);
            let own = self.clocks[candidate * width + candidate_node];
            let dominated = candidates
                .iter()
                .enumerate()
                .any(|(other_position, &other)| {
                    other_position != position && self.clocks[other * width + candidate_node] >= own
                });
            if !dominated {
                edges.push((candidate, receive));
            }
        }
    }

    /// Rules 1 and 2: positive own entries, and per node 1..n without duplicates (or, when
    /// lenient, gaps).
    fn check_own_entries(&self, options: &CheckOptions) -> Result<(), Violation> {
        let fail = |index: usize, kind| Violation {
            execution: self.name.clone(),
            line: self.lines.get(index),
            kind,
        };
        let width = self.nodes.len();
        // 1. Own entries are positive.
        for index in 0..self.len() {
            let node = self.node_of(index);
            if self.clocks[index * width + node] == 0 {
                return Err(fail(
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
        for (node, events) in self.by_node.iter().enumerate() {
            let mut previous: Option<usize> = None;
            for (position, &event) in events.iter().enumerate() {
                let event = event as usize;
                let own = self.clocks[event * width + node];
                if let Some(before) = previous
                    && self.clocks[before * width + node] == own
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
            return Err(fail(index, kind));
        }
        Ok(())
    }

    fn check_lenient(&self) -> Result<(), Violation> {
        let width = self.nodes.len();
        let fail = |index: usize, kind| Violation {
            execution: self.name.clone(),
            line: self.lines.get(index),
            kind,
        };
        // Walk each event with its node's previous event, in file order.
        let previous_of = self.previous_events();
        for (index, &previous) in previous_of.iter().enumerate() {
            let node = self.node_of(index);
            let clock = self.clock(index);
            let own = clock[node];
            let previous = (previous != u32::MAX).then_some(previous as usize);
            if let Some(previous) = previous {
                let before = self.clock(previous);
                if let Some(k) = (0..width).find(|&k| clock[k] < before[k]) {
                    return Err(fail(
                        index,
                        ViolationKind::Backwards {
                            id: self.display_id(self.id_of(index)),
                            node: self.nodes[k].clone(),
                            previous: self.display_id(self.id_of(previous)),
                        },
                    ));
                }
            }
            for (other, &value) in clock.iter().enumerate() {
                if other == node || value <= expected_before(previous, self, other) {
                    continue;
                }
                // The latest logged event of `other` that the clock covers: with holes it
                // may come before `other:value`, and it must still happen before this one.
                let Some(referenced) = self.latest_covered(other, value) else {
                    continue; // nothing of that node is logged up to there
                };
                let referenced_clock = self.clock(referenced);
                if referenced_clock[node] >= own {
                    return Err(fail(index, self.cycle(index, referenced)));
                }
                if let Some(k) = (0..width).find(|&k| referenced_clock[k] > clock[k]) {
                    return Err(fail(
                        index,
                        ViolationKind::Inconsistent {
                            id: self.display_id(self.id_of(index)),
                            node: self.nodes[k].clone(),
                            found: clock[k],
                            expected: referenced_clock[k],
                        },
                    ));
                }
            }
        }
        Ok(())
    }

    /// The event of `node` with the largest own entry ≤ `value`.
    pub(crate) fn latest_covered(&self, node: usize, value: u32) -> Option<usize> {
        let events = self.by_node.get(node)?;
        let width = self.nodes.len();
        let count = events.partition_point(|&e| self.clocks[e as usize * width + node] <= value);
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
        let node = self.node_of(index);
        EventId {
            node,
            n: self.clocks[index * self.nodes.len() + node],
        }
    }
}

/// Entry `node` of the clock of `previous` (0 without a predecessor).
fn expected_before(previous: Option<usize>, execution: &Execution, node: usize) -> u32 {
    previous.map_or(0, |previous| execution.clock(previous)[node])
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
