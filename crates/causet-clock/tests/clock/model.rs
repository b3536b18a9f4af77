//! The clocks against a brute-force model of happens-before.
//!
//! Random executions of n nodes exchanging messages (FIFO channels, and channels that
//! deliver in any order) are generated from a seed. The model computes each event's causal
//! history as an explicit set of events (its own, its node's previous event's history, and
//! for a receive the send's history), with no clocks at all: `e → f` iff `e ∈ history(f)`,
//! `e ≠ f`. Every clock's answer for every pair of events must equal the model's.

use std::collections::{BTreeSet, VecDeque};

use causet_clock::{Causality, LamportClock, LogicalClock, VectorClock, VersionVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One event of a generated execution, with what every clock said about it.
#[derive(Debug)]
struct Event {
    node: usize,
    /// The model: indices of every event that happened before or is this one.
    history: BTreeSet<usize>,
    dense: VectorClock,
    sparse: VersionVector<String>,
    integer: VersionVector<u32>,
    lamport: u64,
}

/// A message in flight: the index of its send event and the stamps it carries (the
/// dense and integer stamps travel binary-encoded, as on a wire).
struct Message {
    send: usize,
    dense: Vec<u8>,
    sparse: VersionVector<String>,
    integer: Vec<u8>,
    lamport: u64,
}

struct Node {
    dense: VectorClock,
    sparse: VersionVector<String>,
    integer: VersionVector<u32>,
    lamport: LamportClock,
    last: Option<usize>,
}

fn name(node: usize) -> String {
    // Distinct names (7 is invertible mod 29; nodes < 29) whose string order differs from
    // the index order ("n14" < "n7").
    format!("n{}", node * 7 % 29)
}

/// Generates an execution from `seed`. With `fifo`, each (sender, receiver) channel
/// delivers in send order; otherwise any pending message may arrive next.
fn execute(seed: u64, nodes: usize, steps: usize, fifo: bool) -> Vec<Event> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut state: Vec<Node> = (0..nodes)
        .map(|_| Node {
            dense: VectorClock::new(),
            sparse: VersionVector::new(),
            integer: VersionVector::new(),
            lamport: LamportClock::new(),
            last: None,
        })
        .collect();
    // channels[from][to]
    let mut channels: Vec<Vec<VecDeque<Message>>> = (0..nodes)
        .map(|_| (0..nodes).map(|_| VecDeque::new()).collect())
        .collect();
    let mut events: Vec<Event> = Vec::new();
    for _ in 0..steps {
        let node = rng.random_range(0..nodes);
        let pending: Vec<usize> = (0..nodes)
            .filter(|&from| !channels[from][node].is_empty())
            .collect();
        let index = events.len();
        let mut history: BTreeSet<usize> = state[node]
            .last
            .map(|last| events[last].history.clone())
            .unwrap_or_default();
        history.insert(index);
        let me = &mut state[node];
        let action = rng.random_range(0..3);
        if action == 2 && !pending.is_empty() {
            // Receive.
            let from = pending[rng.random_range(0..pending.len())];
            let channel = &mut channels[from][node];
            let position = if fifo {
                0
            } else {
                rng.random_range(0..channel.len())
            };
            let Some(message) = channel.remove(position) else {
                unreachable!("the channel is not empty")
            };
            history.extend(events[message.send].history.iter().copied());
            let dense_stamp = VectorClock::decode(&message.dense).expect("own encoding");
            let integer_stamp =
                VersionVector::<u32>::decode(&message.integer).expect("own encoding");
            me.dense.receive(node, &dense_stamp);
            me.sparse.receive(name(node).as_str(), &message.sparse);
            LogicalClock::receive(&mut me.integer, &(node as u32), &integer_stamp);
            me.lamport.receive(message.lamport);
        } else if action == 1 && nodes > 1 {
            // Send to another node.
            let to = (node + rng.random_range(1..nodes)) % nodes;
            let dense = me.dense.send(node).encode();
            let sparse = me.sparse.send(name(node).as_str());
            let integer = LogicalClock::send(&mut me.integer, &(node as u32)).encode();
            let lamport = me.lamport.send();
            channels[node][to].push_back(Message {
                send: index,
                dense,
                sparse,
                integer,
                lamport,
            });
        } else {
            // Local event.
            me.dense.tick(node);
            me.sparse.tick(name(node).as_str());
            me.integer.tick(&(node as u32));
            me.lamport.tick();
        }
        me.last = Some(index);
        events.push(Event {
            node,
            history,
            dense: me.dense.clone(),
            sparse: me.sparse.clone(),
            integer: me.integer.clone(),
            lamport: me.lamport.time(),
        });
    }
    events
}

fn model_answer(events: &[Event], e: usize, f: usize) -> Causality {
    if e == f {
        Causality::Equal
    } else if events[f].history.contains(&e) {
        Causality::Before
    } else if events[e].history.contains(&f) {
        Causality::After
    } else {
        Causality::Concurrent
    }
}

fn check(seed: u64, nodes: usize, steps: usize, fifo: bool) -> (usize, usize) {
    let events = execute(seed, nodes, steps, fifo);
    let replay = format!("replay: execute(seed {seed}, nodes {nodes}, steps {steps}, fifo {fifo})");
    let mut concurrent = 0;
    let mut lamport_blind = 0;
    for (e, event) in events.iter().enumerate() {
        // Each entry counts exactly the node's events in the causal history.
        for node in 0..nodes {
            let count = event
                .history
                .iter()
                .filter(|&&x| events[x].node == node)
                .count() as u64;
            assert_eq!(
                event.dense.get(node),
                count,
                "event {e} entry {node}; {replay}"
            );
            assert_eq!(event.sparse.get(name(node).as_str()), count, "{replay}");
            assert_eq!(event.integer.get(&(node as u32)), count, "{replay}");
        }
        for (f, other) in events.iter().enumerate() {
            let expected = model_answer(&events, e, f);
            assert_eq!(
                event.dense.compare(&other.dense),
                expected,
                "{e} vs {f}; {replay}"
            );
            assert_eq!(
                event.sparse.compare(&other.sparse),
                expected,
                "{e} vs {f}; {replay}"
            );
            assert_eq!(
                event.integer.compare(&other.integer),
                expected,
                "{e} vs {f}; {replay}"
            );
            assert_eq!(
                event.dense.dominates(&other.dense),
                matches!(expected, Causality::After | Causality::Equal),
                "{replay}"
            );
            // Lamport time respects happens-before ...
            if expected == Causality::Before {
                assert!(event.lamport < other.lamport, "{e} vs {f}; {replay}");
            }
            // ... but orders concurrent events too.
            if expected == Causality::Concurrent {
                concurrent += 1;
                if event.lamport < other.lamport {
                    lamport_blind += 1;
                }
            }
        }
    }
    (concurrent, lamport_blind)
}

#[test]
fn clocks_match_causal_histories_with_fifo_channels() {
    let mut blind = 0;
    for seed in 0..60 {
        let nodes = 2 + (seed as usize % 5);
        blind += check(seed, nodes, 40, true).1;
    }
    // Lamport clocks order many concurrent pairs: the model sees them, so would a test.
    assert!(blind > 0);
}

#[test]
fn clocks_match_causal_histories_with_unordered_channels() {
    let mut concurrent = 0;
    for seed in 1000..1060 {
        let nodes = 2 + (seed as usize % 5);
        concurrent += check(seed, nodes, 40, false).0;
    }
    assert!(concurrent > 0);
}

#[test]
fn many_nodes_cross_chunk_boundaries() {
    // 20 nodes: dense clocks longer than one 8-entry chunk, sparse ones spill the heap.
    for seed in 2000..2005 {
        check(seed, 20, 120, seed % 2 == 0);
    }
}

/// A concrete execution where Lamport time cannot tell concurrency: p sends m to q, then
/// does a local event e; q does f before m arrives, then receives m. `e ∥ f`, yet their
/// Lamport times are ordered (L(f)=1 < L(e)=2); the vector clocks say `Concurrent`.
#[test]
fn lamport_orders_concurrent_events_vector_clocks_do_not() {
    let (mut p, mut q) = (LamportClock::new(), LamportClock::new());
    let (mut vp, mut vq) = (VectorClock::new(), VectorClock::new());
    let m = p.send();
    let vm = vp.send(0);
    let e = p.tick();
    vp.tick(0);
    let ve = vp.clone();
    let f = q.tick();
    vq.tick(1);
    let vf = vq.clone();
    let r = q.receive(m);
    vq.receive(1, &vm);

    assert_eq!((m, e, f, r), (1, 2, 1, 2));
    assert!(f < e, "Lamport orders f before e");
    assert_eq!(ve.as_slice(), &[2]);
    assert_eq!(vf.as_slice(), &[0, 1]);
    assert_eq!(ve.compare(&vf), Causality::Concurrent);
    // The receive follows both the send and f.
    assert_eq!(vm.compare(&vq), Causality::Before);
    assert_eq!(vf.compare(&vq), Causality::Before);
    assert_eq!(vq.as_slice(), &[1, 2]);
}
