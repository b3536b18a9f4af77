//! Differential stamps on FIFO connections against whole stamps: on the same execution, a
//! receiver applying alice's diffs reaches exactly the clocks (and writes exactly the log)
//! of a twin receiving alice's whole stamps; under injected faults (loss, duplication,
//! reordering, restarts) every stamp that does not continue the chain is refused with
//! `Resync`, nothing merged, and the twin, given the whole stamps of exactly the accepted
//! messages, still agrees.

use causet_tracing::{EventLog, FifoConnection, OpenNode, Priority, TraceError, stamp};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    /// A local event of alice (0), bob (1) or carol (2).
    Local(usize),
    /// carol → alice, a whole stamp, delivered at once (alice learns a third party).
    CarolToAlice,
    /// bob → carol, a whole stamp, delivered at once (so alice learns of bob, via carol).
    BobToCarol,
    /// alice → bob on the FIFO connection.
    Send,
    /// Delivers the oldest message in flight.
    Deliver,
    /// Faults (only in the faulty runs).
    Drop,
    Duplicate,
    Swap,
    RestartReceiver,
    RestartSender,
}

fn steps(faults: bool) -> impl Strategy<Value = Vec<Step>> {
    let fair = prop_oneof![
        1 => (0..3usize).prop_map(Step::Local),
        1 => Just(Step::CarolToAlice),
        1 => Just(Step::BobToCarol),
        3 => Just(Step::Send),
        3 => Just(Step::Deliver),
    ];
    let step = if faults {
        prop_oneof![
            8 => fair,
            1 => Just(Step::Drop),
            1 => Just(Step::Duplicate),
            1 => Just(Step::Swap),
            1 => Just(Step::RestartReceiver),
            1 => Just(Step::RestartSender),
        ]
        .boxed()
    } else {
        fair.boxed()
    };
    proptest::collection::vec(step, 0..120)
}

struct World {
    alice: OpenNode,
    bob: OpenNode,
    carol: OpenNode,
    /// bob's twin: the same events, alice's whole stamps.
    twin: OpenNode,
    to_bob: FifoConnection,
    from_alice: FifoConnection,
    /// (diff message, whole-stamp message) of each send in flight, oldest first.
    wire: std::collections::VecDeque<(Vec<u8>, Vec<u8>)>,
    sent: u64,
    accepted: u64,
    refused: u64,
    diff_bytes: usize,
    whole_bytes: usize,
}

impl World {
    fn new() -> World {
        let mut alice = OpenNode::new("alice", EventLog::memory()).unwrap();
        let mut bob = OpenNode::new("bob", EventLog::memory()).unwrap();
        let to_bob = alice.open_fifo("bob").unwrap();
        let from_alice = bob.open_fifo("alice").unwrap();
        World {
            alice,
            bob,
            carol: OpenNode::new("carol", EventLog::memory()).unwrap(),
            twin: OpenNode::new("bob", EventLog::memory()).unwrap(),
            to_bob,
            from_alice,
            wire: Default::default(),
            sent: 0,
            accepted: 0,
            refused: 0,
            diff_bytes: 0,
            whole_bytes: 0,
        }
    }

    fn send(&mut self) {
        let text = format!("send {}", self.sent);
        let mut diff = Vec::new();
        self.to_bob
            .stamp_diff(&mut self.alice, Priority::Info, &text, &mut diff)
            .unwrap();
        diff.extend_from_slice(b"payload");
        let mut whole = Vec::new();
        stamp::encode_prefix(self.alice.clock(), &mut whole).unwrap();
        whole.extend_from_slice(b"payload");
        self.diff_bytes += diff.len();
        self.whole_bytes += whole.len();
        self.wire.push_back((diff, whole));
        self.sent += 1;
    }

    /// Delivers `message`; returns whether bob accepted it.
    fn deliver(&mut self, (diff, whole): &(Vec<u8>, Vec<u8>), faults: bool) -> bool {
        let result = self
            .from_alice
            .receive_diff(&mut self.bob, Priority::Info, "receive", diff);
        let accepted = match result {
            Ok(payload) => {
                assert_eq!(payload, b"payload");
                let payload = self.twin.unpack_receive("receive", whole).unwrap();
                assert_eq!(payload, b"payload");
                self.accepted += 1;
                true
            }
            Err(TraceError::Resync { node, peer, reason }) => {
                assert!(faults, "refused on an intact FIFO connection: {reason}");
                assert_eq!((node.as_str(), peer.as_str()), ("bob", "alice"));
                // The resync request, back to alice at once.
                self.to_bob.resync(&mut self.alice);
                self.refused += 1;
                false
            }
            Err(other) => panic!("not a resync refusal: {other}"),
        };
        assert_eq!(self.bob.clock(), self.twin.clock());
        accepted
    }

    fn step(&mut self, step: &Step, faults: bool) {
        match step {
            Step::Local(0) => self.alice.log_local("local").unwrap(),
            Step::Local(1) => {
                self.bob.log_local("local").unwrap();
                self.twin.log_local("local").unwrap();
            }
            Step::Local(_) => self.carol.log_local("local").unwrap(),
            Step::CarolToAlice => {
                let message = self.carol.prepare_send("send", b"").unwrap();
                self.alice.unpack_receive("receive", &message).unwrap();
            }
            Step::BobToCarol => {
                let message = self.bob.prepare_send("send", b"").unwrap();
                self.twin.prepare_send("send", b"").unwrap();
                self.carol.unpack_receive("receive", &message).unwrap();
            }
            Step::Send => self.send(),
            Step::Deliver => {
                if let Some(message) = self.wire.pop_front() {
                    self.deliver(&message, faults);
                }
            }
            Step::Drop => {
                self.wire.pop_front();
            }
            Step::Duplicate => {
                if let Some(message) = self.wire.front().cloned() {
                    self.deliver(&message, faults);
                }
            }
            Step::Swap => {
                if self.wire.len() >= 2 {
                    self.wire.swap(0, 1);
                }
            }
            Step::RestartReceiver => self.from_alice = self.bob.open_fifo("alice").unwrap(),
            Step::RestartSender => self.to_bob = self.alice.open_fifo("bob").unwrap(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Intact FIFO: every diff accepted, clocks and logs equal to whole stamps'.
    #[test]
    fn diffs_on_a_fifo_connection_equal_whole_stamps(steps in steps(false)) {
        let mut world = World::new();
        for step in &steps {
            world.step(step, false);
        }
        while let Some(message) = world.wire.pop_front() {
            world.deliver(&message, false);
        }
        prop_assert_eq!(world.accepted, world.sent);
        // Never larger than the whole stamp but for the tag (a snapshot otherwise).
        prop_assert!(world.diff_bytes <= world.whole_bytes + world.sent as usize + 2);
        let (bob, twin) = (world.bob.into_log().into_memory(), world.twin.into_log().into_memory());
        prop_assert_eq!(String::from_utf8(bob).unwrap(), String::from_utf8(twin).unwrap());
    }

    /// Faults: refusals are resyncs, nothing wrong is ever merged (checked after every
    /// delivery), and after the last resync the connection works again.
    #[test]
    fn faults_are_refused_and_resynced(steps in steps(true)) {
        let mut world = World::new();
        for step in &steps {
            world.step(step, true);
        }
        while let Some(message) = world.wire.pop_front() {
            world.deliver(&message, true);
        }
        // Recovered: the next stamp, delivered in order, is accepted, or refused (a fault
        // no delivery revealed yet, a lost start say) and the one after the resync is.
        world.send();
        let message = world.wire.pop_front().unwrap();
        if !world.deliver(&message, true) {
            world.send();
            let message = world.wire.pop_front().unwrap();
            prop_assert!(world.deliver(&message, true));
        }
        prop_assert_eq!(world.bob.stats().refused, world.refused);
    }
}

/// The faults one by one, each refused with the reason it has.
#[test]
fn each_fault_is_named() {
    let reason = |world: &mut World, message: &(Vec<u8>, Vec<u8>)| match world
        .from_alice
        .receive_diff(&mut world.bob, Priority::Info, "receive", &message.0)
    {
        Err(TraceError::Resync { reason, .. }) => reason,
        other => panic!("expected a resync refusal, got {other:?}"),
    };
    let mut world = World::new();
    world.carol.log_local("a").unwrap();
    world.step(&Step::CarolToAlice, false);
    for _ in 0..3 {
        world.send();
    }
    let [start, first, second] = [0, 1, 2].map(|_| world.wire.pop_front().unwrap());
    // A diff before any start (a restarted receiver, or a lost start).
    assert!(reason(&mut world, &first).contains("no chain"));
    assert!(world.deliver(&start, true));
    // A duplicate start, then a gap.
    assert!(reason(&mut world, &start).contains("not above"));
    world.from_alice = world.bob.open_fifo("alice").unwrap();
    assert!(world.deliver(&start, true));
    assert!(reason(&mut world, &second).contains("where 1 was due"));
    // The refusal broke the chain: even the due stamp is refused now.
    assert!(reason(&mut world, &first).contains("broke the chain"));
    // Garbage is a stamp error, not a panic.
    let err = world
        .from_alice
        .receive_diff(
            &mut world.bob,
            Priority::Info,
            "receive",
            b"\x03\x99\x01\x02",
        )
        .unwrap_err();
    assert!(matches!(err, TraceError::Stamp(_)), "{err}");
}

/// In the steady state a diff is much smaller than the whole stamp: one entry, 3 bytes of
/// session and number.
#[test]
fn diffs_are_small() {
    let mut world = World::new();
    world.step(&Step::BobToCarol, false);
    world.step(&Step::CarolToAlice, false);
    for _ in 0..10 {
        world.send();
    }
    let sizes: Vec<(usize, usize)> = world.wire.iter().map(|(d, w)| (d.len(), w.len())).collect();
    // The start: the whole clock behind 2 bytes (tag, session).
    assert_eq!(sizes[0].0, sizes[0].1 + 2);
    for &(diff, whole) in &sizes[1..] {
        // Tag, session, number, format byte, then alice's entry (1 + 5 + 1 bytes).
        assert_eq!(diff, 1 + 3 + 1 + 7 + "payload".len(), "{sizes:?}");
        assert!(diff < whole);
    }
    while let Some(message) = world.wire.pop_front() {
        assert!(world.deliver(&message, false));
    }
}
