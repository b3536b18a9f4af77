//! Fuzz target stamp: the differential stamp decoders (`Stamp::decode`, `Stamp::decode_into`,
//! `StampRef::parse`, and `SmallStamp::parse` for the stamps of small clocks) and a receiver
//! merging what decodes.
//!
//! Any bytes must decode or return a `DecodeError` (never panic, never allocate beyond one
//! entry per input byte); the three decoders agree; whatever decodes is sorted with non-zero
//! values, reads back by index (`StampRef::get`), re-encodes no longer than the input and
//! decodes back to the same stamp; merging it into a `DiffClock` either is refused or leaves
//! a clock that holds every entry. Whatever `SmallStamp::parse` reads, the others read the
//! same, and merging it (`DiffClock::merge_small`) does what merging the view does.
//! `DiffClock::merge_small_bytes` (the fused receive), on a receiver whose channel from the
//! sender has started, either takes the bytes, which then decode and merge to exactly the
//! same state, or leaves the receiver exactly as it was.
//!
//! The knowledge-aware sender (`DiffClock::with_knowledge`): a knowledge-aware receiver
//! merges any bytes exactly as a plain one does, and its next stamp stays within the full
//! encoding plus one byte; and the input, read as a program (sends, deliveries, losses,
//! duplicates, local events among 3 to 6 knowledge-aware nodes), gives after every
//! accepted receive the clock that full vector clocks give, and leaves a refused one
//! without effect.
#![no_main]

use causet_clock::differential::{DiffClock, SmallStamp, Stamp, StampKind, StampRef};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fused_receive(data);
    knowing_execution(data);
    let decoded = Stamp::decode(data);
    let view = StampRef::parse(data);
    assert_eq!(view.map(|view| view.to_stamp()), decoded.clone());
    let mut reused = Stamp::new(StampKind::Snapshot, vec![(2, 5)]).expect("valid stamp");
    assert_eq!(reused.decode_into(data).map(|()| reused), decoded.clone());
    let small = SmallStamp::parse(data);
    let Ok(stamp) = decoded else {
        assert!(small.is_none(), "SmallStamp read what decode refused");
        return;
    };
    let Ok(view) = StampRef::parse(data) else {
        unreachable!("parse agreed with decode");
    };
    let entries: Vec<(usize, u64)> = stamp.entries().collect();
    assert!(entries.windows(2).all(|pair| pair[0].0 < pair[1].0));
    assert!(entries.iter().all(|&(_, value)| value > 0));
    assert_eq!(view.len(), entries.len());
    assert_eq!(
        view.width(),
        entries.last().map_or(0, |&(index, _)| index + 1)
    );
    // `get` reads each carried entry, and 0 between and past them.
    for &(index, value) in entries.iter().take(64) {
        assert_eq!(view.get(index), value);
        if index > 0 && !entries.iter().any(|&(at, _)| at == index - 1) {
            assert_eq!(view.get(index - 1), 0);
        }
    }
    assert_eq!(view.get(view.width()), 0);
    let mut bytes = Vec::new();
    stamp.encode(&mut bytes);
    assert_eq!(bytes.len(), stamp.encoded_len());
    assert!(
        bytes.len() <= data.len(),
        "the smallest encoding is never longer"
    );
    assert_eq!(Stamp::decode(&bytes), Ok(stamp.clone()));
    // A receiver of a few nodes: a stamp is refused (e.g. an entry out of range, a Diff
    // without its session) or merged, and then the clock holds every entry.
    let n = 1 + usize::from(data.len() % 8);
    let mut receiver = DiffClock::new(n - 1, n + 1);
    let mut twin = receiver.clone();
    let mut knowing = receiver.clone().with_knowledge();
    let merged = receiver.merge_ref(n, &view);
    assert_eq!(knowing.merge_ref(n, &view), merged);
    assert_eq!(knowing.clock(), receiver.clock());
    let mut reply = Vec::new();
    knowing.encode_stamp(n, &mut reply);
    assert!(reply.len() <= knowing.full_len() + 1);
    assert!(Stamp::decode(&reply).is_ok());
    if merged.is_ok() {
        for &(index, value) in &entries {
            assert!(receiver.clock().get(index) >= value);
        }
    }
    if let Some(small) = small {
        assert_eq!(small.kind(), stamp.kind());
        assert_eq!(small.entries().collect::<Vec<_>>(), entries);
        assert_eq!(twin.merge_small(n, &small), merged);
        assert_eq!(twin.clock(), receiver.clock());
    }
});

/// The fused receive against the general parse and merge, on a receiver (node 0 of
/// `1..=8` nodes, some entries set) whose channel from node 1 has started session 0.
fn fused_receive(data: &[u8]) {
    let n = 2 + usize::from(data.len() % 7);
    let resume = causet_clock::VectorClock::from_entries(vec![3, 200, 1]);
    let mut receiver = DiffClock::restart(0, n, &resume, 0);
    let mut sender = DiffClock::new(1, n);
    let start = sender.send(0);
    if receiver.merge(1, &start).is_err() {
        unreachable!("a session start is merged");
    }
    let before = format!("{receiver:?}");
    let mut fast = receiver.clone();
    if fast.merge_small_bytes(1, data) {
        let Ok(view) = StampRef::parse(data) else {
            panic!("the fused receive took bytes the parser refuses");
        };
        assert!(matches!(view.kind(), StampKind::Diff { .. }));
        assert_eq!(receiver.merge_ref(1, &view), Ok(()));
        assert_eq!(format!("{fast:?}"), format!("{receiver:?}"));
    } else {
        assert_eq!(
            format!("{fast:?}"),
            before,
            "a refusal changed the receiver"
        );
    }
}

/// Reads `data` as a program for 3 to 6 knowledge-aware nodes, beside full vector clocks:
/// each byte's low two bits pick a send, a delivery, a loss or duplication, or a local
/// event, the rest the nodes. A refused stamp changes nothing, and its sender resyncs.
fn knowing_execution(data: &[u8]) {
    use causet_clock::VectorClock;
    use std::collections::VecDeque;
    let Some((&first, program)) = data.split_first() else {
        return;
    };
    let n = 3 + usize::from(first % 4);
    let mut nodes: Vec<DiffClock> = (0..n).map(|me| DiffClock::new(me, n).with_knowledge()).collect();
    let mut full: Vec<VectorClock> = vec![VectorClock::new(); n];
    let mut channels: Vec<VecDeque<(Vec<u8>, VectorClock)>> = vec![VecDeque::new(); n * n];
    for &op in program {
        let a = usize::from(op >> 2) % n;
        let b = (a + 1 + usize::from(op >> 5) % (n - 1)) % n;
        match op & 3 {
            0 => {
                let mut bytes = Vec::new();
                nodes[a].tick();
                full[a].tick(a);
                nodes[a].encode_stamp(b, &mut bytes);
                assert!(bytes.len() <= nodes[a].full_len() + 1);
                channels[a * n + b].push_back((bytes, full[a].clone()));
            }
            1 => {
                let Some((bytes, clock)) = channels[a * n + b].pop_front() else {
                    continue;
                };
                let Ok(view) = StampRef::parse(&bytes) else {
                    panic!("a node's stamp does not parse");
                };
                let before = nodes[b].clock().clone();
                match nodes[b].receive_ref(a, &view) {
                    Ok(()) => {
                        full[b].merge(&clock);
                        full[b].tick(b);
                    }
                    Err(refusal) => {
                        assert_eq!(nodes[b].clock(), &before, "a refusal changed the clock");
                        if refusal.needs_resync() {
                            nodes[a].resync(b);
                        }
                    }
                }
            }
            2 => {
                let channel = &mut channels[a * n + b];
                if op & 0x80 == 0 {
                    channel.pop_front();
                } else if let Some(head) = channel.front().cloned() {
                    channel.push_front(head);
                }
            }
            _ => {
                nodes[a].tick();
                full[a].tick(a);
            }
        }
        for (node, clock) in nodes.iter().zip(&full) {
            assert_eq!(node.clock(), clock);
        }
    }
}
