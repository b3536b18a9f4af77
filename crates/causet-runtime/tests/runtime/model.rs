//! An independent model of a run, built only from the logged texts: each node's events in
//! file order, each `receive X from A` matched to A's `send X to B`. Every event's causal
//! history is an explicit set of event ids; the expected clock of an event counts, per node,
//! the events of that node in its history. No vector clock arithmetic is shared with the
//! code under test.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One logged event.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub node: String,
    pub clock: BTreeMap<String, u64>,
    pub text: String,
}

/// Parses GoVector logs (header line `NAME {JSON}`, then the text line), written here
/// without the library's reader.
pub(crate) fn parse(text: &str) -> Vec<Event> {
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.len().is_multiple_of(2),
        "odd number of lines:\n{text}"
    );
    lines
        .chunks(2)
        .map(|pair| {
            let (node, clock) = pair[0].split_once(' ').expect("NAME {CLOCK}");
            assert!(clock.starts_with('{') && clock.ends_with('}'), "{clock}");
            let inner = &clock[1..clock.len() - 1];
            let mut map = BTreeMap::new();
            let mut keys = Vec::new();
            if !inner.is_empty() {
                for entry in inner.split(", ") {
                    let (key, value) = entry.split_once(':').expect("KEY:VALUE");
                    let key = key.trim_matches('"').to_string();
                    keys.push(key.clone());
                    map.insert(key, value.parse::<u64>().expect("count"));
                }
            }
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted, "keys not in byte order: {}", pair[0]);
            assert!(map.values().all(|v| *v > 0), "zero entry: {}", pair[0]);
            Event {
                node: node.to_string(),
                clock: map,
                text: pair[1].to_string(),
            }
        })
        .collect()
}

/// What the model found.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    pub events: usize,
    pub messages: usize,
    /// Messages whose send was new to the receiver: those that a reader inferring
    /// messages from the clocks alone (as ShiViz and `causet analyze` do) can see. A
    /// receive whose send the receiver already knew of through others brings nothing new.
    pub visible_messages: usize,
    pub unreceived_sends: usize,
}

/// Checks per-node logs (one vector of events per node, in file order) against the model:
/// own entries 1..n, every receive matched to exactly one send, every clock equal to the
/// count of its causal history. With `complete`, every send must be received.
pub(crate) fn check(per_node: &[Vec<Event>], complete: bool) -> Verdict {
    let mut ids: HashMap<(String, usize), ()> = HashMap::new();
    let mut sends: HashMap<(String, String, String), (String, usize)> = HashMap::new();
    for events in per_node {
        for (k, event) in events.iter().enumerate() {
            assert_eq!(
                event.clock.get(&event.node).copied(),
                Some(k as u64 + 1),
                "{}'s event {} has own entry {:?}",
                event.node,
                k + 1,
                event.clock.get(&event.node)
            );
            ids.insert((event.node.clone(), k), ());
            if let Some(rest) = event.text.strip_prefix("send ") {
                let (payload, to) = rest.rsplit_once(" to ").expect("send X to B");
                let key = (event.node.clone(), to.to_string(), payload.to_string());
                assert!(
                    sends.insert(key, (event.node.clone(), k)).is_none(),
                    "duplicate send {}",
                    event.text
                );
            }
        }
    }
    // Causal histories in an order where every predecessor comes first: repeat passes
    // until every event is done (a cycle would leave some undone forever).
    let mut history: HashMap<(String, usize), BTreeSet<(String, usize)>> = HashMap::new();
    let mut received = BTreeSet::new();
    let mut visible = 0;
    let total: usize = per_node.iter().map(Vec::len).sum();
    let mut progress = true;
    while history.len() < total {
        assert!(progress, "causal cycle among the logged events");
        progress = false;
        for events in per_node {
            for (k, event) in events.iter().enumerate() {
                let id = (event.node.clone(), k);
                if history.contains_key(&id) {
                    continue;
                }
                let mut set = BTreeSet::new();
                if k > 0 {
                    match history.get(&(event.node.clone(), k - 1)) {
                        Some(previous) => set.extend(previous.iter().cloned()),
                        None => continue,
                    }
                }
                if let Some(rest) = event.text.strip_prefix("receive ") {
                    let (payload, from) = rest.rsplit_once(" from ").expect("receive X from A");
                    let key = (from.to_string(), event.node.clone(), payload.to_string());
                    let send = sends
                        .get(&key)
                        .unwrap_or_else(|| panic!("{} has no matching send", event.text))
                        .clone();
                    let new_to_receiver = !set.contains(&send);
                    match history.get(&send) {
                        Some(sent) => set.extend(sent.iter().cloned()),
                        None => continue,
                    }
                    assert!(received.insert(key), "received twice: {}", event.text);
                    visible += usize::from(new_to_receiver);
                }
                set.insert(id.clone());
                let mut expected: BTreeMap<String, u64> = BTreeMap::new();
                for (node, _) in &set {
                    *expected.entry(node.clone()).or_default() += 1;
                }
                assert_eq!(
                    event.clock,
                    expected,
                    "clock of {}:{} ({}) differs from its causal history",
                    event.node,
                    k + 1,
                    event.text
                );
                history.insert(id, set);
                progress = true;
            }
        }
        if !progress {
            // A receive whose send is not done yet can make one pass stall harmlessly;
            // only a pass with no progress at all is a cycle.
            let done = history.len();
            assert_eq!(done, total, "causal cycle among the logged events");
        }
    }
    let unreceived = sends.len() - received.len();
    if complete {
        assert_eq!(unreceived, 0, "sends never received");
    }
    Verdict {
        events: total,
        messages: received.len(),
        visible_messages: visible,
        unreceived_sends: unreceived,
    }
}

/// Splits a merged log into per-node logs (file order within a node is preserved).
pub(crate) fn split_by_node(events: Vec<Event>) -> Vec<Vec<Event>> {
    let mut by_node: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for event in events {
        by_node.entry(event.node.clone()).or_default().push(event);
    }
    by_node.into_values().collect()
}
