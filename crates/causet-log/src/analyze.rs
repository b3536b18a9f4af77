//! Messages inferred from the clocks, exact concurrent-pair counts, and the summary of
//! `causet analyze`.

use causet_clock::differential::{InFlight, StampCost};

use super::model::{EventId, Execution, NameMap};

/// What `causet analyze` reports for one execution.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// The execution's name.
    pub name: String,
    /// Number of events.
    pub events: usize,
    /// Number of nodes that log at least one event.
    pub nodes: usize,
    /// Number of send→receive edges inferred from the clocks ([`Execution::messages`]).
    pub messages: usize,
    /// Number of unordered pairs of distinct events neither of which happens before the
    /// other.
    pub concurrent_pairs: u64,
    /// What the messages' stamps cost: full, differential, knowledge-aware and the lower
    /// bound ([`stamp_bytes`]).
    pub stamp_bytes: StampBytes,
}

/// Bytes of the stamps of an execution's messages: full dense clocks, differential stamps,
/// knowledge-aware differential stamps and the lower bound, measured by replaying the
/// messages with `causet_clock::differential::StampCost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StampBytes {
    /// Sum over messages of the full dense clock's encoded size.
    pub full: u64,
    /// Sum over messages of the differential stamp's encoded size (resyncs included).
    pub differential: u64,
    /// Sum over messages of the knowledge-aware differential stamp's encoded size
    /// (`DiffClock::with_knowledge`; resyncs included).
    pub knowledge: u64,
    /// Sum over messages of the lower bound: a `Diff` carrying only the entries where the
    /// sender is ahead of the receiver at the send, in the smallest encoding (what no
    /// sender can know without asking the receiver).
    pub lower_bound: u64,
}

/// Summarises an execution: events, nodes, messages and the exact number of concurrent
/// pairs, in O(events × nodes) (plus the message inference, see [`Execution::messages`]).
///
/// The counts assume the execution passes [`Execution::check`] (strict or lenient).
///
/// ```
/// use causet_log::{analyze, parse_log, ReadOptions};
///
/// // a:1 sends to b, which receives it as b:2; b:1 and a:2 are concurrent with a:1's send.
/// let text = "a {\"a\":1}\nsend\nb {\"b\":1}\nlocal\nb {\"a\":1, \"b\":2}\nreceive\na {\"a\":2}\nlocal\n";
/// let log = parse_log(text.as_bytes(), &ReadOptions::default())?;
/// let summary = analyze(&log.executions[0]);
/// assert_eq!((summary.events, summary.nodes, summary.messages), (4, 2, 1));
/// // Ordered pairs: a:1→b:2, b:1→b:2, a:1→a:2; the other 3 of the 6 pairs are concurrent.
/// assert_eq!(summary.concurrent_pairs, 3);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn analyze(execution: &Execution) -> Summary {
    let messages = execution.messages();
    Summary {
        name: execution.name.clone(),
        events: execution.len(),
        nodes: execution
            .by_node
            .iter()
            .filter(|events| !events.is_empty())
            .count(),
        messages: messages.len(),
        concurrent_pairs: execution.concurrent_pairs(),
        stamp_bytes: replay_stamps(execution, &messages),
    }
}

/// What the stamps of the execution's inferred messages ([`Execution::messages`]) cost,
/// replayed in a causal order (by the sum of clock entries) on one differential clock per
/// node: each event receives its incoming messages, then sends its outgoing ones (one send
/// per message), or is a local step.
///
/// ```
/// use causet_log::{parse_log, stamp_bytes, ReadOptions};
///
/// let text = "a {\"a\":1}\nsend\nb {\"a\":1, \"b\":1}\nreceive\n";
/// let log = parse_log(text.as_bytes(), &ReadOptions::default())?;
/// let bytes = stamp_bytes(&log.executions[0]);
/// assert!(bytes.full > 0 && bytes.differential > 0);
/// // One message, the first of its channel: the whole clock either way.
/// assert_eq!(bytes.knowledge, bytes.differential);
/// assert!(bytes.lower_bound > 0);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn stamp_bytes(execution: &Execution) -> StampBytes {
    replay_stamps(execution, &execution.messages())
}

/// The events sorted by the sum of their clock entries, a causal order (if `f` happens
/// before `e`, `e`'s clock dominates `f`'s, so its sum is larger). A counting sort: in a
/// valid log every sum is at most the number of events.
fn causal_order(execution: &Execution) -> Vec<u32> {
    let sums: Vec<u32> = (0..execution.len())
        .map(|index| {
            let sum: u64 = execution.clock(index).iter().map(|&v| u64::from(v)).sum();
            u32::try_from(sum).unwrap_or(u32::MAX)
        })
        .collect();
    let largest = sums.iter().copied().max().unwrap_or(0);
    if u64::from(largest) > 4 * execution.len() as u64 + 16 {
        let mut order: Vec<u32> = (0..execution.len() as u32).collect();
        order.sort_by_key(|&index| sums[index as usize]);
        return order;
    }
    let mut start = vec![0u32; largest as usize + 2];
    for &sum in &sums {
        start[sum as usize + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let mut order = vec![0u32; sums.len()];
    for (index, &sum) in sums.iter().enumerate() {
        order[start[sum as usize] as usize] = index as u32;
        start[sum as usize] += 1;
    }
    order
}

fn replay_stamps(execution: &Execution, messages: &[(usize, usize)]) -> StampBytes {
    let width = execution.nodes.len();
    // File order is itself a causal order when each node's events come in order and every
    // message goes forward: then the replay walks the file and the message lists with
    // cursors. Otherwise it sorts by clock sums and finds messages by binary search.
    let file_order_is_causal =
        execution.in_file_order && messages.iter().all(|&(send, receive)| send < receive);
    let order = if file_order_is_causal {
        (0..execution.len() as u32).collect()
    } else {
        causal_order(execution)
    };
    // Messages by send; `messages` is sorted by receive already. Binary searches find an
    // event's messages (no per-event index arrays: analysis should stay lighter than the
    // execution it analyses).
    let mut by_send: Vec<u32> = (0..messages.len() as u32).collect();
    by_send.sort_by_key(|&m| messages[m as usize].0);
    // Only the messages in flight (few at a time): a map, not a slot per message.
    let mut in_flight: NameMap<u32, InFlight> = NameMap::default();
    let mut meter = StampCost::new(width);
    let (mut in_cursor, mut out_cursor) = (0, 0);
    for index in order {
        let index = index as usize;
        let node = execution.node_of(index);
        let mut active = false;
        let first_in = if file_order_is_causal {
            while in_cursor < messages.len() && messages[in_cursor].1 < index {
                in_cursor += 1;
            }
            in_cursor
        } else {
            messages.partition_point(|&(_, receive)| receive < index)
        };
        for (m, _) in messages
            .iter()
            .enumerate()
            .skip(first_in)
            .take_while(|(_, (_, receive))| *receive == index)
        {
            if let Some(message) = in_flight.remove(&(m as u32)) {
                meter.receive(message);
                active = true;
            }
        }
        let first_out = if file_order_is_causal {
            while out_cursor < by_send.len() && messages[by_send[out_cursor] as usize].0 < index {
                out_cursor += 1;
            }
            out_cursor
        } else {
            by_send.partition_point(|&m| messages[m as usize].0 < index)
        };
        for &m in by_send[first_out..]
            .iter()
            .take_while(|&&m| messages[m as usize].0 == index)
        {
            let to = execution.node_of(messages[m as usize].1);
            in_flight.insert(m, meter.send(node, to));
            active = true;
        }
        if !active {
            meter.local(node);
        }
    }
    let totals = meter.totals();
    StampBytes {
        full: totals.full_bytes,
        differential: totals.differential_bytes,
        knowledge: totals.knowledge_bytes,
        lower_bound: totals.lower_bound_bytes,
    }
}

impl Execution {
    /// The send→receive edges implied by the clocks, found as ShiViz does: for each event,
    /// the candidate senders are the events `other:n` for every entry that grew since its
    /// node's previous event; a candidate that happens before another candidate is dropped
    /// (transitive reduction). Returns `(send, receive)` event indices, ordered by receive.
    ///
    /// A message whose send the receiver already knew (through another path) leaves no trace
    /// in the clocks and is not found; this is inherent to inference from clocks.
    pub fn messages(&self) -> Vec<(usize, usize)> {
        if let Some(messages) = self.messages.get() {
            return messages.clone();
        }
        let width = self.nodes.len();
        let mut edges = Vec::new();
        let mut candidates: Vec<usize> = Vec::new();
        let previous_of = self.previous_events();
        for (index, &previous) in previous_of.iter().enumerate() {
            let node = self.node_of(index);
            let clock = self.clock(index);
            candidates.clear();
            for (other, &value) in clock.iter().enumerate() {
                let before = if previous == u32::MAX {
                    0
                } else {
                    self.clocks[previous as usize * width + other]
                };
                if other == node || value <= before {
                    continue;
                }
                if let Some(sender) = self.find(EventId {
                    node: other,
                    n: value,
                }) {
                    candidates.push(sender);
                }
            }
            self.reduce(index, &candidates, &mut edges);
        }
        edges
    }

    /// For each event, the previous event of its node (`usize::MAX` for the first).
    pub(crate) fn previous_events(&self) -> Vec<u32> {
        let mut previous_of = vec![u32::MAX; self.len()];
        if self.in_file_order {
            let mut last = vec![u32::MAX; self.nodes.len()];
            for (index, slot) in previous_of.iter_mut().enumerate() {
                let node = self.node_of(index);
                *slot = last[node];
                last[node] = index as u32;
            }
            return previous_of;
        }
        for events in &self.by_node {
            for pair in events.windows(2) {
                previous_of[pair[1] as usize] = pair[0];
            }
        }
        previous_of
    }

    /// The exact number of concurrent pairs, in O(events × nodes): an event `f` happens
    /// before `e` exactly when `e` knows `f`, i.e. `f`'s own entry is at most `e`'s entry for
    /// `f`'s node, so the events before `e` number Σ over nodes of how many events of that
    /// node have an own entry ≤ `e`'s entry, minus `e` itself (in a gap-free log simply
    /// sum(e's entries) − 1). Every ordered pair is counted once, at its later event.
    pub fn concurrent_pairs(&self) -> u64 {
        let width = self.nodes.len();
        let events = self.len() as u64;
        let total_pairs = events * events.saturating_sub(1) / 2;
        // Per node: are its own entries exactly 1..count? Then rank(v) = min(v, count).
        let own_values: Vec<Option<Vec<u32>>> = self
            .by_node
            .iter()
            .enumerate()
            .map(|(node, list)| {
                (!self.gap_free[node]).then(|| {
                    list.iter()
                        .map(|&e| self.clocks[e as usize * width + node])
                        .collect()
                })
            })
            .collect();
        let counts: Vec<u64> = self.by_node.iter().map(|list| list.len() as u64).collect();
        let mut ordered: u64 = 0;
        let clocks = self.clocks.chunks_exact(width.max(1)).take(self.len());
        if own_values.iter().all(Option::is_none) {
            // The common case, every node gap-free: a sum of minimums, which vectorises.
            for clock in clocks {
                let before: u64 = clock
                    .iter()
                    .zip(&counts)
                    .map(|(&value, &count)| u64::from(value).min(count))
                    .sum();
                ordered += before.saturating_sub(1);
            }
            return total_pairs.saturating_sub(ordered);
        }
        for clock in clocks {
            let mut before: u64 = 0;
            for (node, &value) in clock.iter().enumerate() {
                before += match &own_values[node] {
                    None => u64::from(value).min(counts[node]),
                    Some(values) => values.partition_point(|&own| own <= value) as u64,
                };
            }
            ordered += before.saturating_sub(1);
        }
        total_pairs.saturating_sub(ordered)
    }
}
