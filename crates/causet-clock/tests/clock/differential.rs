//! Differential vector clocks: wire format, fault safety and the cost meter, checked
//! against an explicit causal-history model (sets of events, no vector clock involved).

use std::collections::{BTreeSet, VecDeque};

use causet_clock::differential::{
    DiffClock, Encoding, ResyncReason, SmallStamp, Stamp, StampCost, StampKind, StampRef,
    StampTotals,
};
use causet_clock::{DecodeError, VectorClock};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Wire format

/// Pins the three encodings byte for byte, so an accidental format change fails here.
#[test]
fn golden_bytes_of_each_encoding() -> Result<(), DecodeError> {
    let stamp = Stamp::new(
        StampKind::Diff {
            session: 2,
            seq: 300,
        },
        vec![(0, 5), (3, 128), (9, 1)],
    )?;
    let golden: [(Encoding, &[u8]); 3] = [
        (
            Encoding::Dense,
            &[0x08, 2, 0xac, 0x02, 5, 0, 0, 0x80, 0x01, 0, 0, 0, 0, 0, 1],
        ),
        (
            Encoding::List,
            &[0x09, 2, 0xac, 0x02, 0, 5, 2, 0x80, 0x01, 5, 1],
        ),
        (
            Encoding::Bitmap,
            &[0x0a, 2, 0xac, 0x02, 2, 0b0000_1001, 0b10, 5, 0x80, 0x01, 1],
        ),
    ];
    for (encoding, bytes) in golden {
        let mut buf = Vec::new();
        stamp.encode_with(encoding, &mut buf);
        assert_eq!(buf, bytes, "{encoding:?}");
        assert_eq!(stamp.encoded_len_with(encoding), bytes.len());
        assert_eq!(Stamp::decode(bytes)?, stamp);
    }
    // The smallest wins; on the tie between list and bitmap (11 bytes), the list.
    let mut buf = Vec::new();
    stamp.encode(&mut buf);
    assert_eq!(buf, golden[1].1);

    let snapshot = Stamp::new(StampKind::Snapshot, vec![(0, 1), (1, 2), (2, 3)])?;
    buf.clear();
    snapshot.encode(&mut buf);
    assert_eq!(buf, [0x00, 1, 2, 3]);
    let start = Stamp::new(StampKind::Start { session: 7 }, vec![])?;
    buf.clear();
    start.encode(&mut buf);
    assert_eq!(buf, [0x04, 7]);
    Ok(())
}

#[test]
fn stamp_new_rejects_unsorted_and_zero_entries() {
    assert!(Stamp::new(StampKind::Snapshot, vec![(2, 1), (1, 1)]).is_err());
    assert!(Stamp::new(StampKind::Snapshot, vec![(1, 1), (1, 2)]).is_err());
    assert!(Stamp::new(StampKind::Snapshot, vec![(1, 0)]).is_err());
}

#[test]
fn hostile_bytes_give_precise_errors() {
    use DecodeError::*;
    let cases: [(&[u8], DecodeError); 11] = [
        (&[], UnexpectedEnd { offset: 0 }),
        (
            &[0x10],
            UnknownFormat {
                byte: 0x10,
                offset: 0,
            },
        ),
        (
            &[0x03],
            UnknownFormat {
                byte: 0x03,
                offset: 0,
            },
        ),
        (
            &[0x0c],
            UnknownFormat {
                byte: 0x0c,
                offset: 0,
            },
        ),
        (&[0x08, 1], UnexpectedEnd { offset: 2 }),
        (
            &[0x00, 1, 0],
            Invalid {
                reason: "dense stamp ends with a zero entry",
            },
        ),
        (
            &[0x01, 3, 0],
            Invalid {
                reason: "a stamp entry is zero",
            },
        ),
        (&[0x01, 3], UnexpectedEnd { offset: 2 }),
        (
            &[0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 1],
            LengthTooLarge {
                claimed: 0xffff_ffff,
                remaining: 1,
                offset: 1,
            },
        ),
        (&[0x02, 1, 0b11, 4], UnexpectedEnd { offset: 4 }),
        (&[0x02, 1, 0b1, 4, 4], TrailingBytes { count: 1 }),
    ];
    for (bytes, expected) in cases {
        assert_eq!(Stamp::decode(bytes), Err(expected), "{bytes:?}");
    }
    assert_eq!(
        Stamp::decode(&[0x02, 1, 0]),
        Err(Invalid {
            reason: "stamp bitmap ends with a zero byte"
        })
    );
    // An index gap that overflows the address space.
    let mut overflow = vec![0x01];
    for _ in 0..2 {
        overflow.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1]);
    }
    assert!(matches!(Stamp::decode(&overflow), Err(Invalid { .. })));
}

fn stamp_kind() -> impl Strategy<Value = StampKind> {
    prop_oneof![
        Just(StampKind::Snapshot),
        any::<u64>().prop_map(|session| StampKind::Start { session }),
        (any::<u64>(), any::<u64>()).prop_map(|(session, seq)| StampKind::Diff { session, seq }),
    ]
}

fn stamp() -> impl Strategy<Value = Stamp> {
    let entries = prop::collection::btree_map(
        prop_oneof![0usize..64, 0usize..5000],
        prop_oneof![1u64..200, 1u64..=u64::MAX],
        0..40,
    );
    (stamp_kind(), entries).prop_map(|(kind, entries)| {
        Stamp::new(kind, entries.into_iter().collect()).expect("sorted, non-zero entries")
    })
}

/// Stamps of small clocks (entries below 16), with values and ids on both sides of the
/// 28 bits a [`SmallStamp`] holds.
fn small_stamp() -> impl Strategy<Value = Stamp> {
    let id = prop_oneof![0u64..300, 0u64..(1 << 28), (1u64 << 28)..=u64::MAX];
    let kind = prop_oneof![
        Just(StampKind::Snapshot),
        id.clone().prop_map(|session| StampKind::Start { session }),
        (id.clone(), id).prop_map(|(session, seq)| StampKind::Diff { session, seq }),
    ];
    let values = prop_oneof![4 => 1u64..300, 2 => 1u64..(1 << 28), 1 => (1u64 << 28)..=u64::MAX];
    let entries = prop::collection::btree_map(0usize..18, values, 0..17);
    (kind, entries).prop_map(|(kind, entries)| {
        Stamp::new(kind, entries.into_iter().collect()).expect("sorted, non-zero entries")
    })
}

/// Whatever [`SmallStamp::parse`] reads, [`StampRef::parse`] reads the same (kind, entries,
/// width, own-entry lookups); whatever it leaves, the general parser must handle.
/// `parse_into` a stamp that held other entries gives `parse`'s verdict and stamp.
fn small_agrees(bytes: &[u8]) -> Result<(), TestCaseError> {
    let parsed = SmallStamp::parse(bytes);
    // A dense snapshot of sixteen entries of 5, then `bytes` read over it.
    let mut dirty = SmallStamp::parse(&[[0u8].as_slice(), &[5; 16]].concat())
        .ok_or_else(|| TestCaseError::fail("a dense snapshot of 16 entries is small"))?;
    prop_assert_eq!(dirty.len(), 16);
    prop_assert_eq!(dirty.parse_into(bytes), parsed.is_some(), "{:?}", bytes);
    let Some(small) = parsed else {
        return Ok(());
    };
    prop_assert_eq!(dirty, small);
    let view = StampRef::parse(bytes).map_err(|err| {
        TestCaseError::fail(format!(
            "SmallStamp read {bytes:?}, StampRef refused it: {err}"
        ))
    })?;
    prop_assert_eq!(small.kind(), view.kind());
    prop_assert_eq!(
        small.entries().collect::<Vec<_>>(),
        view.entries().collect::<Vec<_>>()
    );
    prop_assert_eq!(small.width(), view.width());
    prop_assert_eq!(small.len(), view.len());
    for index in 0..20 {
        prop_assert_eq!(small.get(index), view.get(index), "index {}", index);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A small stamp is read by `SmallStamp::parse` in every encoding (only an empty bitmap
    /// is left to the general parser), with the entries `StampRef` reads; one with an entry
    /// at 16 or beyond, or a value or id of 28 bits or more, is left to the general parser.
    #[test]
    fn small_stamps_read_as_the_general_parser_does(stamp in small_stamp(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let limit = 1u64 << 28;
        let ids_fit = match stamp.kind() {
            StampKind::Snapshot => true,
            StampKind::Start { session } => session < limit,
            StampKind::Diff { session, seq } => session < limit && seq < limit,
        };
        let fits = ids_fit && stamp.entries().all(|(index, value)| index < 16 && value < limit);
        for encoding in Encoding::ALL {
            let mut buf = Vec::new();
            stamp.encode_with(encoding, &mut buf);
            let empty_bitmap = encoding == Encoding::Bitmap && stamp.entries().count() == 0;
            prop_assert_eq!(SmallStamp::parse(&buf).is_some(), fits && !empty_bitmap, "{:?}", buf);
            small_agrees(&buf)?;
            // Near-valid bytes: cut short, or one byte changed (to anything, to a zero, or
            // its continuation bit flipped).
            let i = at.index(buf.len());
            small_agrees(&buf[..i])?;
            for changed in [byte, 0, buf[i] ^ 0x80] {
                let mut mutated = buf.clone();
                mutated[i] = changed;
                small_agrees(&mutated)?;
            }
        }
    }

    #[test]
    fn every_encoding_round_trips(stamp in stamp()) {
        let mut smallest = usize::MAX;
        for encoding in Encoding::ALL {
            let mut buf = Vec::new();
            stamp.encode_with(encoding, &mut buf);
            prop_assert_eq!(buf.len(), stamp.encoded_len_with(encoding));
            prop_assert_eq!(Stamp::decode(&buf), Ok(stamp.clone()));
            // The borrowed view reads the same entries, whatever the encoding.
            let view = StampRef::parse(&buf).map_err(|err| TestCaseError::fail(err.to_string()))?;
            let entries: Vec<_> = stamp.entries().collect();
            prop_assert_eq!(view.entries().collect::<Vec<_>>(), entries.clone());
            prop_assert_eq!(view.len(), entries.len());
            prop_assert_eq!(view.width(), entries.last().map_or(0, |&(index, _)| index + 1));
            prop_assert_eq!(view.encoding(), encoding);
            prop_assert_eq!(view.kind(), stamp.kind());
            // `get` agrees with the entries: at each carried index, its neighbours, and past
            // the width.
            let probes = entries.iter().flat_map(|&(at, _)| [at.saturating_sub(1), at, at + 1]);
            for index in probes.chain([0, view.width(), view.width() + 1]) {
                let carried = entries.iter().find(|&&(at, _)| at == index).map_or(0, |&(_, v)| v);
                prop_assert_eq!(view.get(index), carried, "index {}", index);
            }
            // `merge_into` is the element-wise max with the carried entries.
            let base: Vec<u64> = (0..70).map(|i| (i * 37 % 300) as u64).collect();
            let mut merged = VectorClock::from_entries(base.clone());
            view.merge_into(&mut merged);
            for index in 0..view.width().max(base.len()) {
                let carried = entries.iter().find(|&&(at, _)| at == index).map_or(0, |&(_, v)| v);
                let old = base.get(index).copied().unwrap_or(0);
                prop_assert_eq!(merged.get(index), old.max(carried), "index {}", index);
            }
            smallest = smallest.min(buf.len());
        }
        let mut buf = Vec::new();
        stamp.encode(&mut buf);
        prop_assert_eq!(buf.len(), smallest);
        prop_assert_eq!(stamp.encoded_len(), smallest);
        prop_assert_eq!(Stamp::decode(&buf), Ok(stamp));
    }

    #[test]
    fn hostile_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        small_agrees(&bytes)?;
        // decode_into a reused stamp agrees with decode, and leaves it empty on error.
        let mut reused = Stamp::new(StampKind::Diff { session: 1, seq: 1 }, vec![(3, 9)])
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        let into = reused.decode_into(&bytes);
        prop_assert_eq!(into.clone().map(|()| reused.clone()), Stamp::decode(&bytes));
        if into.is_err() {
            prop_assert_eq!(reused.entries().count(), 0);
        }
        if let Ok(stamp) = Stamp::decode(&bytes) {
            // Whatever decodes is a valid stamp that round-trips.
            let entries: Vec<_> = stamp.entries().collect();
            prop_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
            prop_assert!(entries.iter().all(|&(_, v)| v > 0));
            let mut buf = Vec::new();
            stamp.encode(&mut buf);
            prop_assert_eq!(Stamp::decode(&buf), Ok(stamp));
        }
    }

    #[test]
    fn mutated_valid_stamps_never_panic(stamp in stamp(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut buf = Vec::new();
        stamp.encode(&mut buf);
        let i = at.index(buf.len());
        buf[i] = byte;
        let _ = Stamp::decode(&buf);
        let _ = Stamp::decode(&buf[..i]);
    }
}

// ---------------------------------------------------------------------------------------
// The causal model: every node holds the set of events in its causal history.

type Event = (usize, u64);

#[derive(Clone, Debug)]
struct Message {
    bytes: Vec<u8>,
    /// The sender's causal history at the send (the full-vector semantics of the message).
    history: BTreeSet<Event>,
}

/// Nodes, their causal histories, and the FIFO channels between them.
struct Sim {
    n: usize,
    nodes: Vec<DiffClock>,
    history: Vec<BTreeSet<Event>>,
    channels: Vec<VecDeque<Message>>,
    accepted: usize,
    refused: usize,
    diffs: usize,
    /// Whether sends use [`DiffClock::encode_stamp`] (stamp and encoding in one) instead
    /// of [`DiffClock::send`] and [`Stamp::encode`].
    fused: bool,
    /// Every stamp sent, in order.
    wire: Vec<Vec<u8>>,
    /// Sends that [`DiffClock::stamp_small`] wrote (compared with the general path).
    fast_sends: usize,
    /// Of the fast sends, those larger than the whole clock's Snapshot (a Diff kept to
    /// continue a chain).
    fast_anchor_sends: usize,
    /// Receives that [`DiffClock::merge_small_bytes`] merged (compared likewise).
    fast_receives: usize,
    /// Every how many delivered messages one is also mutated at every byte, each version
    /// fed to the fast merge and to the general one (0: none).
    mutate_every: usize,
    /// Messages delivered.
    delivered: usize,
    /// Whether the nodes send knowledge-aware stamps (`DiffClock::with_knowledge`).
    knowing: bool,
    /// Per (sender, receiver) at `sender * n + receiver`: what the sender can prove the
    /// receiver holds, built here independently of the clocks: the entries of the
    /// receiver's stamps the sender applied, and of the sender's `Start` and `Diff`
    /// stamps to it (the receiver applies a `Diff` only after all earlier ones of its
    /// session). Reset when the sender restarts.
    provable: Vec<VectorClock>,
    /// Entries of `Diff` stamps that the receiver provably held (see `provable`), its own
    /// entry included.
    provably_held: usize,
}

impl Sim {
    /// `base` > 0 starts every node as if restarted after `base` events of its own, so
    /// that clocks have multi-byte values and differential stamps pay off on small `n`.
    /// Every node's sessions start at `floor` (as after restarts), so large values make
    /// session ids take several bytes.
    fn new(n: usize, base: u64, floor: u64) -> Sim {
        let mut history = vec![BTreeSet::new(); n];
        let nodes = (0..n)
            .map(|me| {
                let mut resume = VectorClock::new();
                if base > 0 {
                    history[me].insert((me, base));
                    resume.set(me, base);
                }
                DiffClock::restart(me, n, &resume, floor)
            })
            .collect();
        Sim {
            n,
            nodes,
            history,
            channels: vec![VecDeque::new(); n * n],
            accepted: 0,
            refused: 0,
            diffs: 0,
            fused: false,
            wire: Vec::new(),
            fast_sends: 0,
            fast_anchor_sends: 0,
            fast_receives: 0,
            mutate_every: 0,
            delivered: 0,
            knowing: false,
            provable: vec![VectorClock::new(); n * n],
            provably_held: 0,
        }
    }

    /// The same nodes, sending knowledge-aware stamps.
    fn with_knowledge(mut self) -> Sim {
        self.knowing = true;
        self.nodes = self
            .nodes
            .into_iter()
            .map(DiffClock::with_knowledge)
            .collect();
        self
    }

    /// Counts the entries of `stamp` (from `from` to `to`) that `to` provably held, then
    /// records what it proves.
    fn prove(&mut self, from: usize, to: usize, stamp: &Stamp) {
        let known = &mut self.provable[from * self.n + to];
        if matches!(stamp.kind(), StampKind::Diff { .. }) {
            self.provably_held += stamp
                .entries()
                .filter(|&(index, value)| index == to || value <= known.get(index))
                .count();
        }
        if stamp.kind() != StampKind::Snapshot {
            for (index, value) in stamp.entries() {
                if value > known.get(index) {
                    known.set(index, value);
                }
            }
        }
    }

    /// The clock of the causal history: entry i = the latest event of node i in it.
    fn model_clock(&self, node: usize) -> VectorClock {
        let mut clock = VectorClock::new();
        for &(i, k) in &self.history[node] {
            if k > clock.get(i) {
                clock.set(i, k);
            }
        }
        clock
    }

    fn check(&self, node: usize) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            self.nodes[node].clock(),
            &self.model_clock(node),
            "node {}",
            node
        );
        Ok(())
    }

    fn event(&mut self, node: usize) -> Result<(), TestCaseError> {
        let value = self.nodes[node].tick();
        self.history[node].insert((node, value));
        self.check(node)
    }

    fn send(&mut self, from: usize, to: usize) -> Result<(), TestCaseError> {
        let mut bytes = Vec::new();
        let stamp = if self.fused {
            self.nodes[from].tick();
            self.check_fast_send(from, to)?;
            let written = self.nodes[from].encode_stamp(to, &mut bytes);
            prop_assert_eq!(written, bytes.len());
            let decoded = Stamp::decode(&bytes);
            prop_assert!(decoded.is_ok(), "{:?}", decoded);
            decoded.unwrap_or_else(|_| unreachable!())
        } else {
            let stamp = self.nodes[from].send(to);
            stamp.encode(&mut bytes);
            stamp
        };
        self.wire.push(bytes.clone());
        self.prove(from, to, &stamp);
        if self.knowing {
            prop_assert_eq!(
                self.provably_held,
                0,
                "sent a provably held entry: {:?}",
                stamp
            );
        }
        let value = self.nodes[from].clock().get(from);
        self.history[from].insert((from, value));
        self.check(from)?;
        // The sizes the clock computed while stamping agree with a fresh computation.
        let fresh = Stamp::new(stamp.kind(), stamp.entries().collect());
        prop_assert_eq!(fresh.map(|f| f.encoded_len()), Ok(bytes.len()));
        prop_assert_eq!(Stamp::decode(&bytes), Ok(stamp.clone()));
        // Never more than one byte over the full dense encoding, whatever the session ids.
        let full = self.nodes[from].full_len();
        prop_assert!(
            bytes.len() <= full + 1,
            "{} bytes > {} + 1: {:?}",
            bytes.len(),
            full,
            stamp
        );
        prop_assert_eq!(full, self.nodes[from].clock().encoded_len());
        if !stamp.is_full() {
            self.diffs += 1;
        }
        self.channels[from * self.n + to].push_back(Message {
            bytes,
            history: self.history[from].clone(),
        });
        Ok(())
    }

    /// Delivers the head of channel `from → to`. A refused stamp must leave the receiver's
    /// clock as it was; the receiver then asks the sender to resynchronise.
    fn deliver(&mut self, from: usize, to: usize) -> Result<bool, TestCaseError> {
        let Some(message) = self.channels[from * self.n + to].pop_front() else {
            return Ok(true);
        };
        let stamp = Stamp::decode(&message.bytes);
        prop_assert!(stamp.is_ok(), "{:?}", stamp);
        let stamp = stamp.unwrap_or_else(|_| unreachable!());
        let before = self.nodes[to].clock().clone();
        let node_before = self.nodes[to].clone();
        // The fast merge, on a copy, before the general one (compared below).
        let mut fast = node_before.clone();
        let took = fast.merge_small_bytes(from, &message.bytes);
        self.delivered += 1;
        if self.mutate_every > 0 && self.delivered.is_multiple_of(self.mutate_every) {
            check_fast_merge_of_mutations(&node_before, from, &message.bytes, self.delivered)?;
        }
        // A third of the receivers read the stamp straight from the bytes, a third into a
        // `SmallStamp` where it fits (else from the bytes): every path must agree with the
        // model.
        let small = SmallStamp::parse(&message.bytes).filter(|_| to % 3 == 2);
        let received = if let Some(small) = small {
            self.nodes[to].receive_small(from, &small)
        } else if to.is_multiple_of(3) {
            self.nodes[to].receive(from, &stamp)
        } else {
            match StampRef::parse(&message.bytes) {
                Ok(view) => self.nodes[to].receive_ref(from, &view),
                Err(err) => return Err(TestCaseError::fail(err.to_string())),
            }
        };
        match received {
            Ok(()) => {
                if took {
                    // The same result: exactly the same state where the general path
                    // merges a borrowed or small stamp, else the same clock and stamps.
                    self.fast_receives += 1;
                    fast.tick();
                    if to.is_multiple_of(3) {
                        same_behaviour(&fast, &self.nodes[to])?;
                    } else {
                        prop_assert_eq!(format!("{fast:?}"), format!("{:?}", self.nodes[to]));
                    }
                } else {
                    prop_assert_eq!(format!("{fast:?}"), format!("{node_before:?}"));
                }
                self.accepted += 1;
                // The receiver now provably holds what the stamp carried (as far as the
                // receiver's own sends to the sender go).
                let known = &mut self.provable[to * self.n + from];
                for (index, value) in stamp.entries() {
                    if value > known.get(index) {
                        known.set(index, value);
                    }
                }
                self.history[to].extend(message.history.iter().copied());
                let value = self.nodes[to].clock().get(to);
                self.history[to].insert((to, value));
                self.check(to)?;
                Ok(true)
            }
            Err(refusal) => {
                prop_assert!(!took, "the fast merge took a refused stamp");
                prop_assert_eq!(format!("{fast:?}"), format!("{node_before:?}"));
                self.refused += 1;
                prop_assert_eq!(refusal.from, from);
                prop_assert_eq!(self.nodes[to].clock(), &before, "refusal changed the clock");
                prop_assert!(!stamp.is_full() || stamp.kind() != StampKind::Snapshot);
                if refusal.needs_resync() {
                    self.nodes[from].resync(to);
                }
                Ok(false)
            }
        }
    }

    /// Compares [`DiffClock::stamp_small`] of the (ticked) sender with the general
    /// `stamp_for` + `encode`, each on a copy: the same bytes and the same state (clock
    /// and the next stamps), or `None` and nothing changed.
    fn check_fast_send(&mut self, from: usize, to: usize) -> Result<(), TestCaseError> {
        let before = self.nodes[from].clone();
        let mut fast = before.clone();
        let mut fast_bytes = vec![7];
        match fast.stamp_small(to, &mut fast_bytes) {
            Some(written) => {
                self.fast_sends += 1;
                prop_assert_eq!(written + 1, fast_bytes.len());
                let mut snapshot = Vec::new();
                if written > Stamp::encode_clock(before.clock(), &mut snapshot) {
                    self.fast_anchor_sends += 1;
                }
                let mut general = before.clone();
                let mut general_bytes = vec![7];
                general.stamp_for(to).encode(&mut general_bytes);
                prop_assert_eq!(&fast_bytes, &general_bytes);
                same_behaviour(&fast, &general)?;
            }
            None => {
                prop_assert_eq!(fast_bytes, vec![7]);
                prop_assert_eq!(format!("{fast:?}"), format!("{before:?}"));
            }
        }
        Ok(())
    }

    /// Delivers everything in flight, then has every node send to every other one; after
    /// at most one resync per channel, every stamp is accepted and the clocks are right.
    fn settle(&mut self) -> Result<(), TestCaseError> {
        for from in 0..self.n {
            for to in 0..self.n {
                while !self.channels[from * self.n + to].is_empty() {
                    self.deliver(from, to)?;
                }
            }
        }
        for from in 0..self.n {
            for to in (0..self.n).filter(|&to| to != from) {
                self.send(from, to)?;
                if !self.deliver(from, to)? {
                    self.send(from, to)?;
                    prop_assert!(self.deliver(from, to)?, "refused after a resync");
                }
            }
        }
        for node in 0..self.n {
            self.check(node)?;
        }
        Ok(())
    }
}

/// Two clocks behave the same: the same clock, and the same next stamps to every peer,
/// twice over with a tick between (each on a copy).
fn same_behaviour(a: &DiffClock, b: &DiffClock) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.clock(), b.clock());
    prop_assert_eq!(a.session_floor(), b.session_floor());
    for peer in (0..a.n()).filter(|&peer| peer != a.me()) {
        let (mut a, mut b) = (a.clone(), b.clone());
        for _ in 0..2 {
            let (mut a_bytes, mut b_bytes) = (Vec::new(), Vec::new());
            a.stamp_for(peer).encode(&mut a_bytes);
            b.stamp_for(peer).encode(&mut b_bytes);
            prop_assert_eq!(a_bytes, b_bytes, "next stamps to {}", peer);
            a.tick();
            b.tick();
        }
    }
    Ok(())
}

/// Every byte of `bytes` changed (its continuation bit flipped, to zero, or to an arbitrary byte
/// drawn from `seed`), every prefix, and a byte appended: where the fast merge takes the bytes, the general parse and merge
/// accept them with exactly the same resulting state; where it does not, it changed
/// nothing.
fn check_fast_merge_of_mutations(
    node: &DiffClock,
    from: usize,
    bytes: &[u8],
    seed: usize,
) -> Result<(), TestCaseError> {
    let mut versions: Vec<Vec<u8>> = (0..bytes.len()).map(|cut| bytes[..cut].to_vec()).collect();
    for extra in [0, 1, 0x81] {
        versions.push([bytes, &[extra]].concat());
    }
    for at in 0..bytes.len() {
        let arbitrary = (seed.wrapping_mul(89) ^ at.wrapping_mul(151)).wrapping_add(17) as u8;
        for changed in [bytes[at] ^ 0x80, 0, arbitrary] {
            let mut mutated = bytes.to_vec();
            mutated[at] = changed;
            versions.push(mutated);
        }
    }
    for version in versions {
        let mut fast = node.clone();
        if fast.merge_small_bytes(from, &version) {
            let mut general = node.clone();
            let parsed = StampRef::parse(&version);
            prop_assert!(
                parsed.is_ok(),
                "fast merge took {:?}: {:?}",
                version,
                parsed
            );
            let merged = parsed.map(|view| general.merge_ref(from, &view));
            prop_assert_eq!(merged, Ok(Ok(())), "fast merge took {:?}", version);
            prop_assert_eq!(format!("{fast:?}"), format!("{general:?}"), "{:?}", version);
        } else {
            prop_assert_eq!(format!("{fast:?}"), format!("{node:?}"), "{:?}", version);
        }
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum Op {
    Local(usize),
    Send(usize, usize),
    Deliver(usize, usize),
    Lose(usize, usize),
    Duplicate(usize, usize),
    Reorder(usize, usize),
    Restart(usize),
    Reconnect(usize, usize),
}

/// A pair of distinct nodes out of `n` from two arbitrary numbers.
fn pair(n: usize, a: usize, b: usize) -> (usize, usize) {
    let from = a % n;
    (from, (from + 1 + b % (n - 1)) % n)
}

fn ops(faults: bool) -> impl Strategy<Value = (usize, u64, u64, Vec<Op>)> {
    ops_with(faults, 2..=6)
}

/// [`ops`] on `nodes` nodes.
fn ops_with(
    faults: bool,
    nodes: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = (usize, u64, u64, Vec<Op>)> {
    let index = || any::<u16>().prop_map(usize::from);
    let fault_weight = if faults { 1 } else { 0 };
    let op = prop_oneof![
        2 => index().prop_map(Op::Local),
        6 => (index(), index()).prop_map(|(a, b)| Op::Send(a, b)),
        6 => (index(), index()).prop_map(|(a, b)| Op::Deliver(a, b)),
        2 * fault_weight => (index(), index()).prop_map(|(a, b)| Op::Lose(a, b)),
        2 * fault_weight => (index(), index()).prop_map(|(a, b)| Op::Duplicate(a, b)),
        2 * fault_weight => (index(), index()).prop_map(|(a, b)| Op::Reorder(a, b)),
        fault_weight => index().prop_map(Op::Restart),
        fault_weight => (index(), index()).prop_map(|(a, b)| Op::Reconnect(a, b)),
    ];
    (
        nodes,
        prop_oneof![Just(0u64), Just(1000u64)],
        // Session floors: one-byte ids, ids crossing 128 during the run, long ids.
        prop_oneof![
            4 => Just(0u64),
            2 => 120u64..136,
            1 => Just(1u64 << 14),
            1 => Just(u64::MAX / 4),
        ],
        prop::collection::vec(op, 0..160),
    )
}

fn run(n: usize, base: u64, floor: u64, ops: &[Op]) -> Result<Sim, TestCaseError> {
    run_with(n, base, floor, ops, false)
}

/// [`run`], stamping with [`DiffClock::encode_stamp`] (each stamp compared with the fast
/// path's) and checking the fast merge on every byte mutation of every twentieth message
/// when `fused`.
fn run_with(
    n: usize,
    base: u64,
    floor: u64,
    ops: &[Op],
    fused: bool,
) -> Result<Sim, TestCaseError> {
    run_mutating(n, base, floor, ops, fused, if fused { 20 } else { 0 })
}

/// [`run_with`], mutating every `mutate_every`-th delivered message (0: none).
fn run_mutating(
    n: usize,
    base: u64,
    floor: u64,
    ops: &[Op],
    fused: bool,
    mutate_every: usize,
) -> Result<Sim, TestCaseError> {
    let mut sim = Sim::new(n, base, floor);
    sim.fused = fused;
    sim.mutate_every = mutate_every;
    run_sim(sim, ops)
}

/// Runs `ops` on `sim`, then settles it.
fn run_sim(mut sim: Sim, ops: &[Op]) -> Result<Sim, TestCaseError> {
    let n = sim.n;
    for op in ops {
        match *op {
            Op::Local(a) => sim.event(a % n)?,
            Op::Send(a, b) => {
                let (from, to) = pair(n, a, b);
                sim.send(from, to)?;
            }
            Op::Deliver(a, b) => {
                // The first non-empty channel from the chosen one on.
                let start = pair(n, a, b);
                let start = start.0 * n + start.1;
                if let Some(channel) = (0..n * n)
                    .map(|i| (start + i) % (n * n))
                    .find(|&c| !sim.channels[c].is_empty())
                {
                    sim.deliver(channel / n, channel % n)?;
                }
            }
            Op::Lose(a, b) => {
                let (from, to) = pair(n, a, b);
                sim.channels[from * n + to].pop_front();
            }
            Op::Duplicate(a, b) => {
                let (from, to) = pair(n, a, b);
                let channel = &mut sim.channels[from * n + to];
                if let Some(head) = channel.front().cloned() {
                    channel.push_front(head);
                }
            }
            Op::Reorder(a, b) => {
                let (from, to) = pair(n, a, b);
                let channel = &mut sim.channels[from * n + to];
                if channel.len() >= 2 {
                    channel.swap(0, 1);
                }
            }
            Op::Restart(a) => {
                // Resumes from the highest clock it logged: its current one.
                let node = a % n;
                let resume = sim.nodes[node].clock().clone();
                let floor = sim.nodes[node].session_floor();
                let restarted = DiffClock::restart(node, n, &resume, floor);
                sim.nodes[node] = if sim.knowing {
                    restarted.with_knowledge()
                } else {
                    restarted
                };
                // The new incarnation knows nothing of its peers.
                for peer in 0..n {
                    sim.provable[node * n + peer] = VectorClock::new();
                }
                prop_assert_eq!(sim.nodes[node].clock(), &resume, "own entry went back");
            }
            Op::Reconnect(a, b) => {
                // A new connection: whatever was in flight either way is lost.
                let (x, y) = pair(n, a, b);
                sim.nodes[x].reset_peer(y);
                sim.nodes[y].reset_peer(x);
                sim.channels[x * n + y].clear();
                sim.channels[y * n + x].clear();
            }
        }
    }
    sim.settle()?;
    Ok(sim)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// FIFO channels without faults: every stamp is accepted, and after every receive the
    /// receiver's clock equals the one full-vector stamps give.
    #[test]
    fn fifo_executions_match_full_vector_semantics((n, base, floor, ops) in ops(false)) {
        let sim = run(n, base, floor, &ops)?;
        prop_assert_eq!(sim.refused, 0);
    }

    /// With loss, duplication, reordering, restarts and reconnects: every stamp is either
    /// applied with the full-vector result or refused without effect; after resyncs the
    /// clocks agree again (checked in `settle`).
    #[test]
    fn faults_are_refused_never_applied_wrongly((n, base, floor, ops) in ops(true)) {
        run(n, base, floor, &ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// `encode_stamp` (the runtime's send path, with its own scan for small clocks) puts
    /// the same bytes on the wire as `send` then `encode`, stamp after stamp, through
    /// faults, resyncs and restarts, below and above the 16-node scan threshold.
    #[test]
    fn fused_stamping_writes_the_same_bytes((n, base, floor, ops) in ops_with(true, 2..=18)) {
        let reference = run_with(n, base, floor, &ops, false)?;
        let fused = run_with(n, base, floor, &ops, true)?;
        prop_assert_eq!(&fused.wire, &reference.wire);
        for node in 0..n {
            prop_assert_eq!(fused.nodes[node].clock(), reference.nodes[node].clock());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Above 16 nodes, stamps find their entries by reading the change log back instead of
    /// scanning the clock: the same two properties, with faults.
    #[test]
    fn large_clocks_read_back_their_changes_correctly((n, base, floor, ops) in ops_with(true, 17..=18)) {
        run(n, base, floor, &ops)?;
    }
}

/// [`run`] with knowledge-aware stamps (`fused`: sent with `encode_stamp`).
fn run_knowing(
    n: usize,
    base: u64,
    floor: u64,
    ops: &[Op],
    fused: bool,
) -> Result<Sim, TestCaseError> {
    let mut sim = Sim::new(n, base, floor).with_knowledge();
    sim.fused = fused;
    run_sim(sim, ops)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Knowledge-aware stamps on FIFO channels: every stamp accepted, every clock after
    /// every event the full-vector one (`Sim::check`), and no `Diff` carries an entry the
    /// receiver provably held (`Sim::send`).
    #[test]
    fn knowing_fifo_executions_match_full_vector_semantics((n, base, floor, ops) in ops(false)) {
        let sim = run_knowing(n, base, floor, &ops, false)?;
        prop_assert_eq!(sim.refused, 0);
    }

    /// Knowledge-aware stamps with loss, duplication, reordering, restarts and reconnects:
    /// applied with the full-vector result or refused without effect, never a provably
    /// held entry sent, and the clocks agree after resyncs.
    #[test]
    fn knowing_faults_are_refused_never_applied_wrongly((n, base, floor, ops) in ops(true)) {
        run_knowing(n, base, floor, &ops, false)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Knowledge-aware stamps through `encode_stamp` (the general path for every size)
    /// write what `send` then `encode` write, also above 16 nodes (change log read back).
    #[test]
    fn knowing_fused_stamping_writes_the_same_bytes((n, base, floor, ops) in ops_with(true, 2..=18)) {
        let reference = run_knowing(n, base, floor, &ops, false)?;
        let fused = run_knowing(n, base, floor, &ops, true)?;
        prop_assert_eq!(&fused.wire, &reference.wire);
        prop_assert_eq!(fused.fast_sends, 0);
        prop_assert_eq!(fused.fast_receives, 0);
    }
}

/// Gossip in two groups of eight nodes (values of two bytes, deliveries in bursts): plain
/// stamps resend entries the receiver provably held (they remember four holders per
/// entry; so the check can fail), knowledge-aware ones never do, and take fewer bytes.
#[test]
fn knowing_stamps_leave_out_what_the_receiver_provably_holds() -> Result<(), TestCaseError> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut ops = Vec::new();
    for round in 0..1200 {
        // Mostly within the group, now and then a message across.
        let a = rng.random_range(0..16usize);
        let b = if rng.random_bool(0.9) {
            a / 8 * 8 + (a % 8 + rng.random_range(1..8)) % 8
        } else {
            rng.random_range(0..16)
        };
        if a != b {
            // `pair(16, a, k)` is `(a, (a + 1 + k) % 16)`.
            ops.push(Op::Send(a, (b + 16 - a - 1) % 16));
        }
        if round % 3 == 0 {
            for _ in 0..4 {
                ops.push(Op::Deliver(
                    rng.random_range(0..16),
                    rng.random_range(0..16),
                ));
            }
        }
    }
    let plain = run(16, 1000, 0, &ops)?;
    let knowing = run_knowing(16, 1000, 0, &ops, false)?;
    assert!(
        plain.provably_held > 20,
        "{} held entries",
        plain.provably_held
    );
    assert_eq!(knowing.provably_held, 0);
    assert_eq!(knowing.refused, 0);
    let bytes = |sim: &Sim| sim.wire.iter().map(Vec::len).sum::<usize>();
    assert!(
        bytes(&knowing) < bytes(&plain),
        "{} vs {}",
        bytes(&knowing),
        bytes(&plain)
    );
    Ok(())
}

/// The fault test is only meaningful if differential stamps are sent and faults refused.
#[test]
fn fault_runs_exercise_diffs_and_refusals() -> Result<(), TestCaseError> {
    let mut ops = Vec::new();
    for round in 0..60usize {
        ops.push(Op::Send(round, round / 3));
        ops.push(Op::Send(round + 1, round / 2));
        match round % 6 {
            0 => ops.push(Op::Lose(round, round / 3)),
            1 => ops.push(Op::Duplicate(round + 1, round / 2)),
            2 => ops.push(Op::Reorder(round, round / 3)),
            3 => ops.push(Op::Restart(round)),
            _ => {}
        }
        ops.push(Op::Deliver(round, round / 3));
    }
    let sim = run(4, 1000, 0, &ops)?;
    assert!(sim.diffs > 20, "{} differential stamps", sim.diffs);
    assert!(sim.refused > 5, "{} refusals", sim.refused);
    assert!(sim.accepted > 60, "{} accepted", sim.accepted);
    // The fused paths are compared with the general ones on this run's steady state, and
    // every delivered message mutated at every byte.
    // (One-byte values too: a value byte mutated to zero is then a zero entry.)
    for base in [0, 1000] {
        let fused = run_mutating(4, base, 0, &ops, true, 1)?;
        assert!(fused.fast_sends > 10, "{} fast sends", fused.fast_sends);
        assert!(
            fused.fast_receives > 10,
            "{} fast receives",
            fused.fast_receives
        );
    }
    Ok(())
}

/// Gossip among 8 nodes as the runtime's benchmark runs it (each message to a random peer,
/// delivered at once, values of two bytes): the fast send and receive take most
/// messages, including Diffs larger than the Snapshot kept to continue a chain, each
/// compared with the general path (in `Sim::send` and `Sim::deliver`).
#[test]
fn gossip_takes_the_fast_paths_and_agrees_with_the_general_ones() -> Result<(), TestCaseError> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut ops = Vec::new();
    for _ in 0..500 {
        let (a, b) = (rng.random_range(0..8usize), rng.random_range(0..7usize));
        ops.push(Op::Send(a, b));
        ops.push(Op::Deliver(a, b));
    }
    let sim = run_mutating(8, 1000, 0, &ops, true, 0)?;
    assert!(sim.fast_sends > 300, "{} fast sends", sim.fast_sends);
    assert!(
        sim.fast_anchor_sends > 50,
        "{} fast anchor sends",
        sim.fast_anchor_sends
    );
    assert!(
        sim.fast_receives > 300,
        "{} fast receives",
        sim.fast_receives
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Named scenarios

fn node_with(me: usize, n: usize, values: &[u64]) -> DiffClock {
    DiffClock::restart(me, n, &VectorClock::from_entries(values.to_vec()), 0)
}

/// Regression: the first stamp of a session whose id is 128 or more (two varint bytes) was
/// a `Start` two bytes over the full encoding; now a `Snapshot` goes out until a `Start`
/// fits in the bound.
#[test]
fn session_starts_with_long_ids_stay_within_the_bound() -> Result<(), Box<dyn std::error::Error>> {
    for floor in [0, 127, 128, 300, 1 << 20, u64::MAX / 2] {
        let resume = VectorClock::from_entries(vec![5, 3, 2, 1]);
        let mut alice = DiffClock::restart(0, 4, &resume, floor);
        let mut bob = DiffClock::new(1, 4);
        for round in 0..3 {
            let stamp = alice.send(1);
            let full = alice.full_len();
            assert!(stamp.encoded_len() <= full + 1, "floor {floor}: {stamp:?}");
            if round == 0 {
                // The dense clock is the smallest form: only a one-byte session id fits.
                let expected = if floor < 128 {
                    StampKind::Start { session: floor }
                } else {
                    StampKind::Snapshot
                };
                assert_eq!(stamp.kind(), expected, "floor {floor}");
            }
            bob.receive(0, &stamp)?;
            assert_eq!(bob.clock().get(0), alice.clock().get(0));
            assert_eq!(bob.clock().get(3), 1);
        }
    }
    Ok(())
}

/// Regression for bookkeeping by clock value instead of a separate counter: a merge that
/// raises several entries between two sends without a tick must still reach the peer.
#[test]
fn entries_raised_without_a_tick_are_sent() -> Result<(), Box<dyn std::error::Error>> {
    let mut alice = node_with(0, 8, &[500, 0, 0, 0, 0, 0, 800, 900]);
    let mut bob = DiffClock::new(1, 8);
    let mut carol = node_with(2, 8, &[0, 0, 700, 900]);
    bob.receive(0, &alice.send(1))?; // session start
    bob.receive(0, &alice.send(1))?;
    // alice merges carol's clock (two entries change) and sends again without ticking.
    alice.merge(2, &carol.send(0))?;
    let stamp = alice.stamp_for(1);
    assert_eq!(stamp.kind(), StampKind::Diff { session: 0, seq: 2 });
    assert_eq!(stamp.entries().collect::<Vec<_>>(), [(2, 701), (3, 900)]);
    bob.receive(0, &stamp)?;
    assert_eq!(bob.clock().as_slice(), &[502, 3, 701, 900, 0, 0, 800, 900]);
    // Nothing changed since: the next stamp carries nothing (or a smaller snapshot).
    let empty = alice.stamp_for(1);
    assert!(empty.entries().next().is_none() || empty.kind() == StampKind::Snapshot);
    Ok(())
}

#[test]
fn first_stamp_of_every_session_is_full() -> Result<(), Box<dyn std::error::Error>> {
    let mut alice = node_with(0, 3, &[400, 300, 200]);
    let mut bob = DiffClock::new(1, 3);
    let first = alice.send(1);
    assert_eq!(first.kind(), StampKind::Start { session: 0 });
    assert_eq!(
        first.entries().collect::<Vec<_>>(),
        [(0, 401), (1, 300), (2, 200)]
    );
    bob.receive(0, &first)?;
    assert_eq!(alice.send(1).kind(), StampKind::Diff { session: 0, seq: 1 });
    alice.reset_peer(1);
    let restarted = alice.send(1);
    assert_eq!(restarted.kind(), StampKind::Start { session: 1 });
    assert_eq!(restarted.entries().count(), 3);
    Ok(())
}

#[test]
fn each_fault_has_its_reason() -> Result<(), Box<dyn std::error::Error>> {
    let mut alice = node_with(0, 8, &[1000, 0, 1000, 1000, 1000, 1000, 1000, 1000]);
    let mut bob = DiffClock::new(1, 8);
    let start = alice.send(1);
    let one = alice.send(1);
    let two = alice.send(1);
    let reason = |bob: &mut DiffClock, stamp: &Stamp| bob.receive(0, stamp).map_err(|e| e.reason);

    assert_eq!(
        reason(&mut bob, &one),
        Err(ResyncReason::UnknownSession {
            known: None,
            got: 0
        })
    );
    bob.receive(0, &start)?;
    assert_eq!(
        reason(&mut bob, &start),
        Err(ResyncReason::Duplicate { session: 0, seq: 0 })
    );
    assert_eq!(
        reason(&mut bob, &two),
        Err(ResyncReason::Gap {
            session: 0,
            expected: 1,
            got: 2
        })
    );
    bob.receive(0, &one)?;
    assert_eq!(
        reason(&mut bob, &one),
        Err(ResyncReason::Duplicate { session: 0, seq: 1 })
    );
    bob.receive(0, &two)?;

    // alice restarts from her log: new sessions, her entry resumes where it was.
    let floor = alice.session_floor();
    let mut alice = DiffClock::restart(0, 8, alice.clock(), floor);
    assert_eq!(alice.clock().get(0), 1003);
    let new_start = alice.send(1);
    assert_eq!(new_start.kind(), StampKind::Start { session: 1 });
    let new_one = alice.send(1);
    assert_eq!(
        reason(&mut bob, &new_one),
        Err(ResyncReason::UnknownSession {
            known: Some(0),
            got: 1
        })
    );
    bob.receive(0, &new_start)?;
    assert_eq!(
        reason(&mut bob, &start),
        Err(ResyncReason::StaleSession { known: 1, got: 0 })
    );
    bob.receive(0, &new_one)?;
    assert_eq!(bob.clock().get(0), 1005);

    // Stamps naming nodes that do not exist are refused, not grown into.
    let hostile = Stamp::new(StampKind::Snapshot, vec![(usize::MAX - 1, 1)])?;
    assert_eq!(
        reason(&mut bob, &hostile),
        Err(ResyncReason::EntryOutOfRange {
            index: usize::MAX - 1,
            n: 8
        })
    );
    assert_eq!(
        bob.receive(9, &new_start).map_err(|e| e.reason),
        Err(ResyncReason::UnknownSender { n: 8 })
    );
    assert!(
        bob.receive(0, &new_one)
            .unwrap_err()
            .to_string()
            .contains("node 0")
    );
    Ok(())
}

/// A restarted receiver knows no session: it refuses differential stamps until a resync,
/// and a peer's stamps carrying its own old entry never lower it.
#[test]
fn restarted_receiver_asks_for_resync() -> Result<(), Box<dyn std::error::Error>> {
    let mut alice = node_with(0, 8, &[1000, 0, 1000, 1000, 1000, 1000, 1000, 1000]);
    let mut bob = DiffClock::new(1, 8);
    bob.receive(0, &alice.send(1))?;
    let mut bob = DiffClock::restart(1, 8, bob.clock(), bob.session_floor());
    let refusal = bob.receive(0, &alice.send(1)).unwrap_err();
    assert!(refusal.needs_resync());
    alice.resync(1);
    bob.receive(0, &alice.send(1))?;
    assert_eq!(
        bob.clock().as_slice(),
        &[1003, 2, 1000, 1000, 1000, 1000, 1000, 1000]
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The cost meter

/// Replays an execution on the meter and, independently, on full vector clocks.
fn meter_run(n: usize, steps: &[(usize, usize, bool)]) -> (StampCost, Vec<VectorClock>, u64) {
    let mut meter = StampCost::new(n);
    let mut full = vec![VectorClock::new(); n];
    let mut in_flight = VecDeque::new();
    let mut full_bytes = 0u64;
    for &(a, b, deliver_last) in steps {
        let (from, to) = pair(n, a, b);
        full[from].tick(from);
        full_bytes += full[from].encoded_len() as u64;
        in_flight.push_back((meter.send(from, to), full[from].clone()));
        // FIFO per channel: deliver the oldest; `deliver_last` breaks FIFO on purpose.
        let next = if deliver_last {
            in_flight.pop_back()
        } else {
            in_flight.pop_front()
        };
        if let Some((message, clock)) = next {
            let to = message.to();
            full[to].merge(&clock);
            full[to].tick(to);
            meter.receive(message);
        }
    }
    (meter, full, full_bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn meter_clocks_and_totals_are_right(
        n in 2usize..8,
        steps in prop::collection::vec((any::<u16>().prop_map(usize::from), any::<u16>().prop_map(usize::from), prop::bool::weighted(0.1)), 0..120),
    ) {
        let (meter, full, full_bytes) = meter_run(n, &steps);
        for (node, clock) in full.iter().enumerate() {
            prop_assert_eq!(meter.clock(node), clock);
        }
        let StampTotals { messages, full_bytes: metered, differential_bytes, resyncs, .. } =
            meter.totals();
        prop_assert_eq!(messages, steps.len() as u64);
        prop_assert_eq!(metered, full_bytes);
        // Each stamp ≤ full + 1, each resync resends at most a full clock.
        prop_assert!(differential_bytes <= full_bytes + messages + resyncs * full_bytes);
        if steps.iter().all(|s| !s.2) {
            prop_assert_eq!(resyncs, 0);
            prop_assert!(differential_bytes <= full_bytes + messages);
        }
    }
}

#[test]
fn meter_saves_on_local_traffic_and_estimates_govector() {
    // 32 nodes in groups of 4 that only talk inside the group, after everyone has heard
    // from everyone once.
    let n = 32;
    let mut meter = StampCost::new(n);
    for from in (0..n).chain(0..n) {
        let message = meter.send(from, (from + 1) % n);
        meter.receive(message);
    }
    for round in 0..40 {
        for from in 0..n {
            let to = from / 4 * 4 + (from + 1 + round % 3) % 4;
            let message = meter.send(from, to);
            meter.receive(message);
        }
    }
    let totals = meter.totals();
    assert!(
        totals.differential_bytes * 3 < totals.full_bytes * 2,
        "{totals:?}"
    );
    assert!(totals.govector_bytes > totals.full_bytes, "{totals:?}");
    // {"node0": 1, "node12": 200}: fixmap, fixstr "node0", 1, fixstr "node12", uint8 200.
    let clock = VectorClock::from_entries(vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200]);
    assert_eq!(StampCost::govector_len(&clock), 1 + 6 + 1 + 7 + 2);
}

/// Regression: a stamp raising our own entry to `u64::MAX` must not make the next tick
/// overflow (panic in debug, wrap to 0 in release).
#[test]
fn hostile_maximum_values_do_not_overflow() -> Result<(), Box<dyn std::error::Error>> {
    let mut node = DiffClock::new(0, 2);
    let hostile = Stamp::new(StampKind::Snapshot, vec![(0, u64::MAX), (1, u64::MAX)])?;
    node.receive(1, &hostile)?;
    assert_eq!(node.tick(), u64::MAX);
    let mut bytes = Vec::new();
    node.send(1).encode(&mut bytes);
    assert!(bytes.len() <= node.full_len() + 1);
    assert_eq!(Stamp::decode(&bytes)?.entries().next(), Some((0, u64::MAX)));
    Ok(())
}

/// A burst of changes on a healthy chain re-anchors it (with the Diff itself or a new
/// session's Start) rather than sending a snapshot, after which the chain would lag and
/// the next stamp be whole again.
#[test]
fn bursts_re_anchor_the_chain() -> Result<(), Box<dyn std::error::Error>> {
    let n = 32;
    let values: Vec<u64> = (0..n as u64).map(|i| 200 + i).collect();
    let mut alice = node_with(0, n, &values);
    let mut bob = DiffClock::new(1, n);
    bob.receive(0, &alice.send(1))?;
    let small = alice.send(1);
    assert_eq!(small.kind(), StampKind::Diff { session: 0, seq: 1 });
    bob.receive(0, &small)?;
    // carol's stamp raises every entry of alice's clock at once.
    let ahead: Vec<u64> = (0..n as u64).map(|i| 500 + i).collect();
    let mut carol = node_with(2, n, &ahead);
    alice.receive(2, &carol.send(0))?;
    let burst = alice.send(1);
    assert_ne!(burst.kind(), StampKind::Snapshot, "{burst:?}");
    let mut bytes = Vec::new();
    burst.encode(&mut bytes);
    assert!(bytes.len() <= alice.full_len() + 1);
    bob.receive(0, &burst)?;
    let after = alice.send(1);
    assert!(matches!(after.kind(), StampKind::Diff { .. }), "{after:?}");
    assert_eq!(
        after.entries().collect::<Vec<_>>(),
        [(0, alice.clock().get(0))]
    );
    bob.receive(0, &after)?;
    assert_eq!(bob.clock().get(31), 531);
    Ok(())
}

/// A knowledge-aware clock's extra memory (`heap_bytes` beyond a plain clock's, same
/// traffic) grows with the peers it hears from, in words of 64 peers per entry, up to 256
/// peers; not with n.
#[test]
fn knowing_memory_grows_with_the_peers_heard_from() -> Result<(), Box<dyn std::error::Error>> {
    let extra = |n: usize, peers: usize| -> Result<usize, Box<dyn std::error::Error>> {
        // Every entry known to all (the clocks are `width` wide from the start).
        let width = n.min(320);
        let past = VectorClock::from_entries(vec![7; width]);
        let mut knowing = DiffClock::restart(0, n, &past, 0).with_knowledge();
        let mut plain = DiffClock::restart(0, n, &past, 0);
        for peer in 1..=peers {
            let stamp = DiffClock::restart(peer, n, &past, 0).send(0);
            knowing.receive(peer, &stamp)?;
            plain.receive(peer, &stamp)?;
        }
        assert_eq!(knowing.clock(), plain.clock());
        Ok(knowing.heap_bytes() - plain.heap_bytes())
    };
    // One word per entry for up to 64 peers, four for 256, no more beyond.
    let one = extra(320, 64)?;
    assert!(one >= 8 * 320, "{one} bytes");
    assert_eq!(extra(320, 256)?, 4 * one);
    assert_eq!(extra(320, 300)?, 4 * one);
    // A node of a huge cluster that hears from three peers: one word per entry of its
    // clock's width, nothing per node of the cluster.
    let few = extra(1_000_000, 3)?;
    assert!(few <= 2 * 8 * 320, "{few} bytes");
    Ok(())
}

/// Knowledge-aware clocks re-anchor: where a plain clock sends the whole clock as a
/// `Snapshot` (off the chain, so its next `Diff` resends the same entries), a
/// knowledge-aware one sends a `Start` whenever it fits (here, session ids stay short).
#[test]
fn knowing_clocks_send_starts_not_snapshots() -> Result<(), TestCaseError> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut ops = Vec::new();
    for _ in 0..400 {
        let (a, b) = (rng.random_range(0..6usize), rng.random_range(0..5usize));
        ops.push(Op::Send(a, b));
        if rng.random_bool(0.5) {
            ops.push(Op::Deliver(a, b));
        }
    }
    let kinds = |sim: &Sim| -> Vec<StampKind> {
        sim.wire
            .iter()
            .filter_map(|bytes| Stamp::decode(bytes).ok())
            .map(|stamp| stamp.kind())
            .collect()
    };
    let snapshots = |sim: &Sim| {
        kinds(sim)
            .iter()
            .filter(|&&kind| kind == StampKind::Snapshot)
            .count()
    };
    let plain = run(6, 0, 0, &ops)?;
    let knowing = run_knowing(6, 0, 0, &ops, false)?;
    assert_eq!(kinds(&knowing).len(), knowing.wire.len());
    assert!(snapshots(&plain) > 20, "{} snapshots", snapshots(&plain));
    assert_eq!(snapshots(&knowing), 0);
    let bytes = |sim: &Sim| sim.wire.iter().map(Vec::len).sum::<usize>();
    assert!(
        bytes(&knowing) <= bytes(&plain),
        "{} vs {}",
        bytes(&knowing),
        bytes(&plain)
    );
    Ok(())
}
