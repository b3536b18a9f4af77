//! The one overflow rule, at the boundary, for every clock: a tick of an entry at
//! `u64::MAX` saturates (never wraps, never panics), whether the entry came from a decoder,
//! a parser or a merge of a received stamp.

use causet_clock::{
    Causality, DiffClock, LamportClock, LogicalClock, Stamp, VectorClock, VersionVector,
    differential::StampKind,
};

/// A clock at the top of the counter, read back from its own encoding (as input would be).
fn dense_at_top(width: usize, node: usize) -> Result<VectorClock, Box<dyn std::error::Error>> {
    let mut entries = vec![3; width];
    entries[node] = u64::MAX;
    Ok(VectorClock::decode(
        &VectorClock::from_entries(entries).encode(),
    )?)
}

#[test]
fn vector_clock_tick_saturates_and_keeps_its_form() -> Result<(), Box<dyn std::error::Error>> {
    for (width, node) in [(1, 0), (3, 2), (3, 0)] {
        let mut clock = dense_at_top(width, node)?;
        let before = clock.clone();
        assert_eq!(clock.tick(node), u64::MAX);
        assert_eq!(clock.get(node), u64::MAX);
        // Still the trimmed form: the encoding round-trips to the same clock.
        assert_eq!(VectorClock::decode(&clock.encode())?, clock);
        // The event after the top is never before the event at it.
        assert_ne!(clock.compare(&before), Causality::Before);
        // One below the top still ticks to the top.
        let mut below = VectorClock::from_entries(vec![u64::MAX - 1]);
        assert_eq!(below.tick(0), u64::MAX);
    }
    Ok(())
}

#[test]
fn version_vector_tick_saturates() -> Result<(), Box<dyn std::error::Error>> {
    let mut clock: VersionVector<String> = format!(r#"{{"a":{}, "b":2}}"#, u64::MAX).parse()?;
    assert_eq!(clock.tick("a"), u64::MAX);
    assert_eq!(clock.get("a"), u64::MAX);
    assert_eq!(clock.tick("b"), 3);
    let decoded = VersionVector::<String>::decode(&clock.encode())?;
    assert_eq!(decoded, clock);
    Ok(())
}

#[test]
fn lamport_tick_and_receive_saturate() {
    let mut clock = LamportClock::at(u64::MAX);
    assert_eq!(clock.tick(), u64::MAX);
    assert_eq!(clock.send(), u64::MAX);
    let mut fresh = LamportClock::new();
    assert_eq!(fresh.receive(u64::MAX), u64::MAX);
    assert_eq!(
        LamportClock::at(u64::MAX - 2).receive(u64::MAX - 1),
        u64::MAX
    );
}

/// The generic receive rule: a stamp raising the receiver's own entry to the top.
fn receive_top<C: LogicalClock>(clock: &mut C, node: &C::Node, stamp: &C::Stamp) -> u64 {
    clock.receive(node, stamp)
}

#[test]
fn receiving_a_stamp_at_the_top_saturates_in_every_clock() -> Result<(), Box<dyn std::error::Error>>
{
    let mut dense = VectorClock::new();
    assert_eq!(receive_top(&mut dense, &1, &dense_at_top(2, 1)?), u64::MAX);
    let mut sparse: VersionVector<String> = VersionVector::new();
    let stamp: VersionVector<String> = format!(r#"{{"me":{}}}"#, u64::MAX).parse()?;
    assert_eq!(
        receive_top(&mut sparse, &"me".to_string(), &stamp),
        u64::MAX
    );
    let mut lamport = LamportClock::new();
    assert_eq!(receive_top(&mut lamport, &(), &u64::MAX), u64::MAX);

    let mut diff = DiffClock::new(1, 2);
    let hostile = Stamp::new(StampKind::Snapshot, vec![(0, 1), (1, u64::MAX)])?;
    diff.receive(0, &hostile)?;
    assert_eq!(diff.clock().get(1), u64::MAX);
    assert_eq!(diff.tick(), u64::MAX);
    Ok(())
}
