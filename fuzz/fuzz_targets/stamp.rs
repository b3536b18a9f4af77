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
#![no_main]

use causet_clock::differential::{DiffClock, SmallStamp, Stamp, StampKind, StampRef};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fused_receive(data);
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
    let merged = receiver.merge_ref(n, &view);
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
