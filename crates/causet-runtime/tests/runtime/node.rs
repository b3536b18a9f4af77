//! The node API: stamping, merging, the priority filter, malformed messages.

use std::sync::Arc;

use causet_runtime::{LogSink, Node, Priority, Roster, RuntimeError, Stamps};

use crate::model;

fn pair(stamps: Stamps) -> (Node, Node) {
    let roster = Arc::new(Roster::new(["alice", "bob"]).unwrap());
    let alice = Node::new(roster.clone(), "alice", LogSink::memory())
        .unwrap()
        .with_stamps(stamps);
    let bob = Node::new(roster, "bob", LogSink::memory())
        .unwrap()
        .with_stamps(stamps);
    (alice, bob)
}

fn log_of(node: Node) -> Vec<model::Event> {
    let bytes = node.into_log().into_memory();
    model::parse(std::str::from_utf8(&bytes).unwrap())
}

#[test]
fn receive_merges_the_stamp_then_ticks_and_logs_govector_lines() {
    for stamps in [Stamps::Differential, Stamps::Full] {
        let (mut alice, mut bob) = pair(stamps);
        alice.log_local("wake").unwrap();
        bob.log_local("wake").unwrap();
        let first = alice.prepare_send_fifo(1, "send a to bob", b"a").unwrap();
        let second = alice.prepare_send("send b to bob", b"b").unwrap();
        assert_eq!(
            bob.unpack_receive("receive a from alice", &first).unwrap(),
            b"a"
        );
        assert_eq!(bob.clock().as_slice(), &[2, 2]);
        assert_eq!(
            bob.unpack_receive("receive b from alice", &second).unwrap(),
            b"b"
        );
        assert_eq!(bob.clock().as_slice(), &[3, 3]);
        let stats = bob.stats();
        assert_eq!((stats.logged, stats.received), (3, 2));
        let text = String::from_utf8(bob.into_log().into_memory()).unwrap();
        assert_eq!(
            text,
            "bob {\"bob\":1}\nwake\n\
             bob {\"alice\":2, \"bob\":2}\nreceive a from alice\n\
             bob {\"alice\":3, \"bob\":3}\nreceive b from alice\n"
        );
    }
}

#[test]
fn hidden_events_leave_no_gaps_and_keep_causality() {
    let (mut alice, mut bob) = pair(Stamps::Differential);
    alice.set_min_priority(Priority::Info);
    alice.log_local("visible").unwrap();
    alice.log_local_at(Priority::Debug, "hidden").unwrap();
    // A hidden send still carries the stamp: bob learns of alice's visible event.
    let bytes = alice
        .prepare_send_at(Priority::Debug, Some(1), "send x to bob", b"x")
        .unwrap();
    bob.unpack_receive("receive x from alice", &bytes).unwrap();
    assert_eq!(bob.clock().as_slice(), &[1, 1]);
    assert_eq!(alice.stats().hidden, 2);
    let alice_log = log_of(alice);
    assert_eq!(alice_log.len(), 1);
    assert_eq!(alice_log[0].text, "visible");
    // Own entries have no gaps, and bob's receive is after alice:1, as the model says
    // (the hidden send is not in the log, so the model sees alice:1 → bob:1 directly).
    let bob_log = log_of(bob);
    assert_eq!(bob_log[0].clock.get("alice"), Some(&1));
}

#[test]
fn malformed_messages_are_errors_not_panics() {
    let (mut alice, mut bob) = pair(Stamps::Differential);
    let good = alice.prepare_send_fifo(1, "send a to bob", b"a").unwrap();
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x00],
        vec![0xc5],
        vec![0xc5, 0x09],                   // sender index out of range
        vec![0xc5, 0x01],                   // bob's own index
        vec![0xc5, 0x00, 0x7f],             // stamp longer than the message
        vec![0xc5, 0x00, 0x02, 0xff, 0xff], // bad stamp bytes
        good[..good.len() - 2].to_vec(),    // truncated stamp
    ];
    for bytes in cases {
        let err = bob.unpack_receive("receive", &bytes).unwrap_err();
        assert!(
            matches!(err, RuntimeError::Malformed { .. }),
            "{bytes:?}: {err}"
        );
    }
    assert_eq!(bob.clock().as_slice(), &[] as &[u64], "nothing merged");
    // A stamp that claims events of bob that bob never had is refused: a fake bob with
    // five local events and a send tells a fake alice, whose stamp then carries bob:6 to the real bob.
    let roster = bob.roster().clone();
    let mut fake_bob = Node::new(roster.clone(), "bob", LogSink::discard()).unwrap();
    let mut fake_alice = Node::new(roster, "alice", LogSink::discard()).unwrap();
    for _ in 0..5 {
        fake_bob.log_local("x").unwrap();
    }
    let told = fake_bob.prepare_send("send", b"").unwrap();
    fake_alice.unpack_receive("receive", &told).unwrap();
    let claim = fake_alice.prepare_send("send", b"").unwrap();
    let err = bob.unpack_receive("receive", &claim).unwrap_err();
    assert!(err.to_string().contains("claims 6 events of bob"), "{err}");
    // The good message still works after the garbage.
    assert_eq!(
        bob.unpack_receive("receive a from alice", &good).unwrap(),
        b"a"
    );
}

#[test]
fn random_bytes_never_panic_the_decoder() {
    use rand::{Rng, SeedableRng};
    let (_, bob) = pair(Stamps::Differential);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    for _ in 0..2_000 {
        let len = rng.random_range(0..24);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if len > 0 && rng.random_bool(0.7) {
            bytes[0] = 0xc5;
        }
        let _ = bob.decode(&bytes);
    }
}

#[test]
fn differential_stamps_over_a_fifo_channel_reconstruct_the_full_clock() {
    use rand::{Rng, SeedableRng};
    // Three nodes; every pair has a FIFO queue; random sends and receives. With
    // differential stamps every clock must equal the one full stamps produce.
    let roster = Arc::new(Roster::numbered(3));
    let make = |stamps| -> Vec<Node> {
        (0..3)
            .map(|i| {
                Node::with_index(roster.clone(), i, LogSink::discard())
                    .unwrap()
                    .with_stamps(stamps)
            })
            .collect()
    };
    let mut diff = make(Stamps::Differential);
    let mut full = make(Stamps::Full);
    let mut queues: Vec<std::collections::VecDeque<(Vec<u8>, Vec<u8>)>> =
        vec![Default::default(); 9];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    for _ in 0..600 {
        let from = rng.random_range(0..3);
        let to = (from + rng.random_range(1..3)) % 3;
        if rng.random_bool(0.5) {
            let a = diff[from].prepare_send_fifo(to, "send", b"").unwrap();
            let b = full[from].prepare_send("send", b"").unwrap();
            queues[from * 3 + to].push_back((a, b));
        } else if let Some((a, b)) = queues[from * 3 + to].pop_front() {
            diff[to].unpack_receive("receive", &a).unwrap();
            full[to].unpack_receive("receive", &b).unwrap();
            assert_eq!(diff[to].clock(), full[to].clock());
        }
    }
    let sent: u64 = diff.iter().map(|n| n.stats().stamp_bytes).sum();
    assert!(sent > 0);
}

#[test]
fn message_and_handshake_bytes_are_pinned() {
    // Message framing: kind, sender index, stamp length, stamp, payload.
    let roster = Arc::new(Roster::numbered(2));
    let mut node0 = Node::with_index(roster.clone(), 0, LogSink::discard())
        .unwrap()
        .with_stamps(Stamps::Full);
    let bytes = node0.prepare_send("send", b"hi").unwrap();
    assert_eq!(bytes[0], 0xc5);
    assert_eq!(bytes[1], 0x00, "sender index 0");
    let stamp_len = usize::from(bytes[2]);
    assert_eq!(bytes.len(), 3 + stamp_len + 2);
    assert_eq!(&bytes[3 + stamp_len..], b"hi");
    let stamp = causet_clock::differential::Stamp::decode(&bytes[3..3 + stamp_len]).unwrap();
    assert_eq!(
        stamp.kind(),
        causet_clock::differential::StampKind::Snapshot
    );
    let plain = Node::with_index(roster, 1, LogSink::discard())
        .unwrap()
        .uninstrumented()
        .prepare_send("send", b"hi")
        .unwrap();
    assert_eq!(plain, [0xc0, 0x01, b'h', b'i']);

    // The TCP handshake body (after the `H` kind byte).
    let hello = causet_runtime::frame::Hello {
        name: "n1".into(),
        token: "tk".into(),
        roster_digest: 0x0102_0304_0506_0708,
        plan_digest: 1,
    };
    let mut expected = b"CAUSET\x01\x02n1\x02tk".to_vec();
    expected.extend_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]);
    expected.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(hello.encode(), expected);
    let mut frame = Vec::new();
    causet_runtime::frame::write_frame(&mut frame, b'H', &hello.encode()).unwrap();
    assert_eq!(&frame[..5], &[0, 0, 0, 30, b'H']);
}

/// Regression for the stamp length written before the stamp: stamps of 128 bytes or more
/// need a two-byte length (the sender reserves one byte and splices in the longer form).
#[test]
fn stamps_of_128_bytes_or_more_round_trip() {
    let roster = Arc::new(Roster::numbered(300));
    for stamps in [Stamps::Full, Stamps::Differential] {
        let mut nodes: Vec<Node> = (0..300)
            .map(|i| {
                Node::with_index(roster.clone(), i, LogSink::discard())
                    .unwrap()
                    .with_stamps(stamps)
            })
            .collect();
        // A chain 299 → 298 → … → 0: node0 ends up knowing every other node's event.
        for i in (1..300).rev() {
            let bytes = nodes[i].prepare_send("send", b"x").unwrap();
            nodes[i - 1].unpack_receive("receive", &bytes).unwrap();
        }
        let bytes = nodes[0].prepare_send_fifo(1, "send", b"payload").unwrap();
        // 0xc5, sender 0, a two-byte length, then at least 300 one-byte entries.
        assert!(bytes.len() > 300, "{}", bytes.len());
        assert!(
            bytes[2] >= 0x80,
            "length {:#04x} should take two bytes",
            bytes[2]
        );
        let before = nodes[1].clock().clone();
        let payload = nodes[1].unpack_receive("receive", &bytes).unwrap();
        assert_eq!(payload, b"payload");
        let mut expected = before;
        expected.merge(nodes[0].clock());
        expected.tick(1);
        assert_eq!(nodes[1].clock(), &expected, "{stamps:?}");
    }
}

/// A small gossip cluster (5 nodes, differential stamps, memory logs) after `steps`
/// seeded messages, each delivered at once, by [`Node::receive_fast`] where it takes the
/// message (else `decode` and `deliver`) when `fast`, always by `decode` and `deliver`
/// otherwise; with the next message, not delivered: `(nodes, receiver, bytes, fast hits)`.
fn gossip(seed: u64, steps: usize, fast: bool) -> (Vec<Node>, usize, Vec<u8>, usize) {
    use rand::{Rng, SeedableRng};
    let roster = Arc::new(Roster::numbered(5));
    let mut nodes: Vec<Node> = (0..5)
        .map(|i| Node::with_index(roster.clone(), i, LogSink::memory()).unwrap())
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut hits = 0;
    for step in 0..=steps {
        let from = rng.random_range(0..5);
        let to = (from + rng.random_range(1..5)) % 5;
        let payload = format!("gossip {step}");
        let bytes = nodes[from]
            .prepare_send_fifo(to, &format!("send {payload}"), payload.as_bytes())
            .unwrap();
        if step == steps {
            return (nodes, to, bytes, hits);
        }
        let (received, hit) = receive_either(&mut nodes[to], &bytes, fast);
        assert_eq!(received.unwrap(), (from, payload.into_bytes()));
        hits += usize::from(hit);
    }
    unreachable!()
}

/// One receive: by [`Node::receive_fast`] where it takes the message (else `decode` and
/// `deliver`) when `fast`, by `decode` and `deliver` otherwise; the sender and payload or
/// the error's text, and whether the fast path took it.
fn receive_either(
    node: &mut Node,
    bytes: &[u8],
    fast: bool,
) -> (Result<(usize, Vec<u8>), String>, bool) {
    let text = |sender: &str, payload: &[u8]| {
        format!("receive {} from {sender}", String::from_utf8_lossy(payload))
    };
    if fast && let Some(received) = node.receive_fast(bytes, text) {
        let received = received.map(|(from, payload)| (from, payload.to_vec()));
        return (received.map_err(|err| err.to_string()), true);
    }
    let received = node.decode(bytes).and_then(|incoming| {
        let from = incoming.from;
        let sender = node.roster().name(from).unwrap_or("?").to_string();
        let text = text(&sender, incoming.payload);
        Ok((from, node.deliver(incoming, &text)?.to_vec()))
    });
    (received.map_err(|err| err.to_string()), false)
}

/// The fused receive against `decode` + `deliver`, on twin clusters: along seeded gossip
/// runs (same clocks, same logs), and for the next message of each run and every
/// mutation of it (each byte's continuation bit flipped, zeroed, or set to an arbitrary
/// value; each prefix; a byte appended): the same payload and clock, or the same error
/// text, and the same log.
#[test]
fn fast_receive_agrees_with_decode_and_deliver() {
    let mut hits = 0;
    let mut fast_versions = 0;
    for seed in 0..3u64 {
        for steps in [6, 25, 60] {
            let (nodes, to, bytes, run_hits) = gossip(seed, steps, true);
            hits += run_hits;
            let mine = nodes[to].clock().get(to);
            let mut versions: Vec<Vec<u8>> = vec![bytes.clone()];
            versions.extend((0..bytes.len()).map(|cut| bytes[..cut].to_vec()));
            versions.push([bytes.as_slice(), &[1]].concat());
            for at in 0..bytes.len() {
                let arbitrary = (seed as usize * 131 + steps * 17 + at * 71) as u8;
                for changed in [bytes[at] ^ 0x80, 0, arbitrary] {
                    let mut mutated = bytes.clone();
                    mutated[at] = changed;
                    versions.push(mutated);
                }
            }
            // Hand-made list Diffs continuing the chain (the session and sequence number of
            // this one, when it is a Diff with one-byte ids): the receiver's own entry
            // ahead of it, equal to it, an entry past the cluster, a zero entry.
            if let [0xc5, from, _, tag, session, seq, ..] = bytes[..]
                && tag >> 2 == 2
                && session < 0x80
                && seq < 0x80
            {
                let own = u8::try_from(mine).unwrap_or(0x7f);
                for entries in [
                    vec![to as u8, own.saturating_add(1).min(0x7f)],
                    vec![to as u8, own],
                    vec![5, 1],
                    vec![0, 1, 3, 1],
                    vec![0, 0],
                ] {
                    let stamp = [[0b1001, session, seq].as_slice(), &entries].concat();
                    let head = [0xc5, from, stamp.len() as u8];
                    versions.push([head.as_slice(), &stamp, b"x"].concat());
                }
            }
            for version in versions {
                let (mut fast_nodes, ..) = gossip(seed, steps, true);
                let (mut general_nodes, ..) = gossip(seed, steps, false);
                let (fast, hit) = receive_either(&mut fast_nodes[to], &version, true);
                let (general, _) = receive_either(&mut general_nodes[to], &version, false);
                fast_versions += usize::from(hit);
                assert_eq!(fast, general, "seed {seed}, {steps} steps, {version:?}");
                for (a, b) in fast_nodes.into_iter().zip(general_nodes) {
                    assert_eq!(a.clock(), b.clock(), "{version:?}");
                    assert_eq!(a.stats(), b.stats(), "{version:?}");
                    assert_eq!(a.into_log().into_memory(), b.into_log().into_memory());
                }
            }
        }
    }
    // The comparison is only meaningful if the fast path took most steady-state messages
    // and some of the mutated ones.
    assert!(hits > 40, "{hits} fast receives");
    assert!(
        fast_versions > 10,
        "{fast_versions} mutated messages taken by the fast path"
    );
}

#[test]
fn a_receiver_outside_the_roster_is_an_error_on_every_send_path() {
    for stamps in [Stamps::Differential, Stamps::Full] {
        let (mut alice, _) = pair(stamps);
        for to in [0, 2, 9, usize::MAX] {
            let fifo = alice.prepare_send_fifo(to, "send", b"x").unwrap_err();
            let at = alice
                .prepare_send_at(Priority::Info, Some(to), "send", b"x")
                .unwrap_err();
            for err in [fifo, at] {
                assert!(matches!(err, RuntimeError::UnknownNode { .. }), "{err}");
                assert!(err.to_string().contains(&format!("#{to}")), "{err}");
            }
        }
        // Nothing was ticked, counted or logged by the refused sends.
        assert_eq!(alice.clock().as_slice(), &[] as &[u64]);
        assert_eq!(alice.stats().sent, 0);
        assert!(log_of(alice).is_empty());
    }
}

#[test]
fn a_refused_stamp_keeps_its_type_through_the_node() {
    let roster = Arc::new(Roster::new(["alice", "bob", "carol"]).unwrap());
    let node = |name| Node::new(roster.clone(), name, LogSink::memory()).unwrap();
    let (mut alice, mut bob, mut carol) = (node("alice"), node("bob"), node("carol"));
    // Carol's entry makes whole clocks larger than alice's differences, so Diffs travel.
    for _ in 0..3 {
        carol.log_local("work").unwrap();
    }
    let from_carol = carol.prepare_send("send", b"").unwrap();
    alice.unpack_receive("receive", &from_carol).unwrap();
    bob.unpack_receive("receive", &from_carol).unwrap();
    let first = alice.prepare_send_fifo(1, "send a", b"a").unwrap();
    let _lost = alice.prepare_send_fifo(1, "send b", b"b").unwrap();
    let third = alice.prepare_send_fifo(1, "send c", b"c").unwrap();
    bob.unpack_receive("receive a", &first).unwrap();
    // The second message was lost: the third's Diff skips a sequence number.
    let err = bob.unpack_receive("receive c", &third).unwrap_err();
    let refusal = err.resync_required().expect("a typed refusal");
    assert!(refusal.needs_resync(), "{err}");
    assert_eq!(refusal.from, 0);
    assert!(err.to_string().contains("alice"), "{err}");
    // A duplicate is refused too, but needs no resync.
    let err = bob.unpack_receive("receive a", &first).unwrap_err();
    assert!(
        !err.resync_required().expect("typed").needs_resync(),
        "{err}"
    );
    // Malformed bytes are not refusals.
    let err = bob.unpack_receive("receive", &[0xc5]).unwrap_err();
    assert!(err.resync_required().is_none(), "{err}");
    // After the sender resyncs, the chain restarts and the message goes through.
    alice.resync(1);
    let again = alice.prepare_send_fifo(1, "send d", b"d").unwrap();
    assert_eq!(bob.unpack_receive("receive d", &again).unwrap(), b"d");
    assert_eq!(bob.clock().as_slice(), &[5, 3, 4]);
}
