//! Open-membership nodes and causet-runtime's fixed-roster nodes, driven through the same
//! random execution, compute the same clocks after every step and write the same logs,
//! byte for byte.

use std::sync::Arc;

use causet_clock::VersionVector;
use causet_runtime::{LogSink, Node, Priority, Roster};
use causet_tracing::{EventLog, OpenNode};
use proptest::prelude::*;

/// Names whose natural order (the roster's clock indices) and byte order (the logs'
/// keys) differ.
const NAMES: [&str; 7] = ["node2", "node10", "alice", "Bob", "b.c-d_e", "z", "node1"];

#[derive(Debug, Clone)]
enum Step {
    Local {
        node: usize,
        priority: Priority,
    },
    Send {
        from: usize,
        to: usize,
        priority: Priority,
    },
    /// Delivers the pending message at this position (modulo their number): any order,
    /// as on a non-FIFO network.
    Receive {
        pick: usize,
        duplicate: bool,
    },
}

fn priority() -> impl Strategy<Value = Priority> {
    prop_oneof![
        Just(Priority::Debug),
        Just(Priority::Info),
        Just(Priority::Warning),
        Just(Priority::Error),
    ]
}

fn step(nodes: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => (0..nodes, priority()).prop_map(|(node, priority)| Step::Local { node, priority }),
        3 => (0..nodes, 0..nodes, priority()).prop_map(|(from, to, priority)| Step::Send { from, to, priority }),
        3 => (any::<usize>(), prop::bool::weighted(0.1)).prop_map(|(pick, duplicate)| Step::Receive { pick, duplicate }),
    ]
}

fn execution() -> impl Strategy<Value = (usize, Vec<Priority>, Vec<Step>)> {
    (2..=NAMES.len()).prop_flat_map(|nodes| {
        (
            Just(nodes),
            prop::collection::vec(
                prop_oneof![
                    Just(Priority::Debug),
                    Just(Priority::Info),
                    Just(Priority::Warning)
                ],
                nodes,
            ),
            prop::collection::vec(step(nodes), 0..120),
        )
    })
}

/// One message in flight: its two encodings and its receiver.
struct Pending {
    to: usize,
    dense: Vec<u8>,
    open: Vec<u8>,
}

fn dense_as_names(roster: &Roster, node: &Node) -> VersionVector<String> {
    (0..roster.len())
        .map(|k| (roster.name(k).unwrap().to_string(), node.clock().get(k)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn open_nodes_reach_the_clocks_of_dense_nodes((nodes, minimums, steps) in execution()) {
        let names = &NAMES[..nodes];
        let roster = Arc::new(Roster::new(names.iter().copied()).unwrap());
        let mut dense: Vec<Node> = names
            .iter()
            .map(|name| Node::new(roster.clone(), name, LogSink::memory()).unwrap())
            .collect();
        let mut open: Vec<OpenNode> = names
            .iter()
            .map(|name| OpenNode::new(name, EventLog::memory()).unwrap())
            .collect();
        for (k, &minimum) in minimums.iter().enumerate() {
            dense[k].set_min_priority(minimum);
            open[k].set_min_priority(minimum);
        }
        let mut pending: Vec<Pending> = Vec::new();
        for (number, step) in steps.iter().enumerate() {
            let touched = match *step {
                Step::Local { node, priority } => {
                    let text = format!("local {number}");
                    dense[node].log_local_at(priority, &text).unwrap();
                    open[node].log_local_at(priority, &text).unwrap();
                    node
                }
                Step::Send { from, to, priority } => {
                    let to = if to == from { (to + 1) % nodes } else { to };
                    let text = format!("send {number} to {}", names[to]);
                    let payload = number.to_string();
                    let dense_bytes = dense[from]
                        .prepare_send_at(priority, None, &text, payload.as_bytes())
                        .unwrap();
                    let open_bytes = open[from].prepare_send_at(priority, &text, payload.as_bytes()).unwrap();
                    pending.push(Pending { to, dense: dense_bytes, open: open_bytes });
                    from
                }
                Step::Receive { pick, duplicate } => {
                    if pending.is_empty() {
                        continue;
                    }
                    let at = pick % pending.len();
                    let message = if duplicate { pending[at].clone_parts() } else { pending.swap_remove(at) };
                    let to = message.to;
                    let text = format!("receive at step {number}");
                    let from_dense = dense[to].unpack_receive(&text, &message.dense).unwrap();
                    let from_open = open[to].unpack_receive(&text, &message.open).unwrap();
                    prop_assert_eq!(from_dense.as_slice(), from_open);
                    to
                }
            };
            prop_assert_eq!(
                open[touched].clock(),
                &dense_as_names(&roster, &dense[touched]),
                "node {} after step {}", names[touched], number
            );
        }
        for (dense, open) in dense.into_iter().zip(open) {
            let name = open.name().to_string();
            let dense_log = String::from_utf8(dense.into_log().into_memory()).unwrap();
            let open_log = String::from_utf8(open.into_log().into_memory()).unwrap();
            prop_assert_eq!(dense_log, open_log, "the logs of {}", name);
        }
    }
}

impl Pending {
    fn clone_parts(&self) -> Pending {
        Pending {
            to: self.to,
            dense: self.dense.clone(),
            open: self.open.clone(),
        }
    }
}
