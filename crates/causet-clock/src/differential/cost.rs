//! A meter of stamp sizes: replays an execution's events on [`DiffClock`]s and totals what
//! full and differential stamps cost.

use super::stamp::{Entries, PayloadSizes, header_len, varint_len};
use super::{DiffClock, Stamp, StampKind};
use crate::VectorClock;

/// Bytes that the stamps of a replayed execution cost, summed over its messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StampTotals {
    /// Messages sent.
    pub messages: u64,
    /// Bytes of the full dense clocks ([`DiffClock::full_len`] at each send).
    pub full_bytes: u64,
    /// Bytes of the differential stamps ([`Stamp::encoded_len`]), plus, for every refused
    /// stamp, a whole-clock resync stamp.
    pub differential_bytes: u64,
    /// Estimated bytes of GoVector-style stamps: the whole clock as a msgpack map from
    /// string node names (`"node12"`) to unsigned integers, one key per non-zero entry
    /// (see [`StampCost::govector_len`]).
    pub govector_bytes: u64,
    /// Differential stamps that were refused (the channel was not FIFO) and resent whole.
    pub resyncs: u64,
    /// Bytes of knowledge-aware differential stamps ([`DiffClock::with_knowledge`]),
    /// refusals counted as for `differential_bytes`.
    pub knowledge_bytes: u64,
    /// Bytes of the lower bound: per message, a `Diff` header (one-byte session and
    /// sequence number) and only the entries where the sender is ahead of the receiver's
    /// clock at the send, in the smallest encoding. No sender can know that set without
    /// asking the receiver; messages in flight count as not yet received. (It bounds what
    /// a `Diff` can take; a `Snapshot` of a clock of a few entries, with its one-byte
    /// header, can take less.)
    pub lower_bound_bytes: u64,
}

/// A message sent in a [`StampCost`] replay and not yet received.
#[derive(Debug, Clone)]
pub struct InFlight {
    from: usize,
    to: usize,
    stamp: Stamp,
    /// The knowledge-aware sender's stamp of the same message.
    knowing: Stamp,
    /// The sender's clock at the send, for a resync if the stamp is refused.
    clock: VectorClock,
    full_len: usize,
    stamp_len: usize,
}

impl InFlight {
    /// The sender's node index.
    pub fn from(&self) -> usize {
        self.from
    }

    /// The receiver's node index.
    pub fn to(&self) -> usize {
        self.to
    }

    /// The differential stamp.
    pub fn stamp(&self) -> &Stamp {
        &self.stamp
    }

    /// The knowledge-aware sender's stamp ([`DiffClock::with_knowledge`]).
    pub fn knowledge_stamp(&self) -> &Stamp {
        &self.knowing
    }

    /// Bytes of the full dense clock at the send.
    pub fn full_len(&self) -> usize {
        self.full_len
    }

    /// Bytes of the encoded differential stamp.
    pub fn stamp_len(&self) -> usize {
        self.stamp_len
    }
}

/// Replays an execution (local events, sends, receives, in any causal order) on one
/// [`DiffClock`] per node and totals the stamp sizes: full dense clock versus differential
/// stamp, per message, beside knowledge-aware stamps (a second, knowledge-aware
/// [`DiffClock`] per node, with the same clocks) and the lower bound.
///
/// Channels should be FIFO. A receive that is not (the stamp is refused) is counted as a
/// resync: the message's whole clock is sent again as a snapshot, and the sender starts a
/// new session with that peer.
///
/// ```
/// use causet_clock::differential::StampCost;
///
/// let mut meter = StampCost::new(3);
/// meter.local(2);
/// let message = meter.send(0, 1); // node 0 sends to node 1 ...
/// meter.local(0);
/// meter.receive(message); // ... which receives it
/// let reply = meter.send(1, 0);
/// meter.receive(reply);
/// let totals = meter.totals();
/// assert_eq!(totals.messages, 2);
/// assert!(totals.differential_bytes <= totals.full_bytes + totals.messages);
/// assert!(totals.knowledge_bytes <= totals.full_bytes + totals.messages);
/// assert_eq!(meter.clock(0).as_slice(), &[3, 2]);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct StampCost {
    nodes: Vec<DiffClock>,
    /// The same nodes with knowledge-aware stamps (the same clocks).
    knowing: Vec<DiffClock>,
    totals: StampTotals,
}

impl StampCost {
    /// A meter for nodes `0..n`, all at the zero clock.
    pub fn new(n: usize) -> StampCost {
        StampCost {
            nodes: (0..n).map(|me| DiffClock::new(me, n)).collect(),
            knowing: (0..n)
                .map(|me| DiffClock::new(me, n).with_knowledge())
                .collect(),
            totals: StampTotals::default(),
        }
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.nodes.len()
    }

    /// A local event on `node`.
    ///
    /// # Panics
    /// If `node >= n`.
    pub fn local(&mut self, node: usize) {
        self.nodes[node].tick();
        self.knowing[node].tick();
    }

    /// A send event on `from` of a message to `to`; pass the result to
    /// [`receive`](Self::receive) when the message arrives.
    ///
    /// # Panics
    /// If `from >= n` or `to >= n`.
    pub fn send(&mut self, from: usize, to: usize) -> InFlight {
        let knowing = self.knowing[from].send(to);
        self.totals.knowledge_bytes += knowing.encoded_len() as u64;
        let sender = &mut self.nodes[from];
        let stamp = sender.send(to);
        let full_len = sender.full_len();
        let stamp_len = stamp.encoded_len();
        let bound = lower_bound_len(self.nodes[from].clock(), self.nodes[to].clock());
        self.totals.lower_bound_bytes += bound as u64;
        let sender = &self.nodes[from];
        self.totals.messages += 1;
        self.totals.full_bytes += full_len as u64;
        self.totals.differential_bytes += stamp_len as u64;
        self.totals.govector_bytes += StampCost::govector_len(sender.clock()) as u64;
        InFlight {
            from,
            to,
            stamp,
            knowing,
            clock: sender.clock().clone(),
            full_len,
            stamp_len,
        }
    }

    /// The receive event of `message` on its receiver. Returns `false` if the differential
    /// stamp was refused and a resync was counted instead.
    pub fn receive(&mut self, message: InFlight) -> bool {
        let InFlight {
            from,
            to,
            stamp,
            knowing,
            ..
        } = message;
        // (Built only for a refusal: this runs for every message of a replayed log.)
        let resend = || Stamp {
            kind: StampKind::Snapshot,
            entries: Entries::dense(message.clock.as_slice().to_vec()),
            sizes: None,
        };
        if self.knowing[to].receive(from, &knowing).is_err() {
            let resend = resend();
            self.totals.knowledge_bytes += resend.encoded_len() as u64;
            self.knowing[from].resync(to);
            // A snapshot is always accepted.
            let _ = self.knowing[to].receive(from, &resend);
        }
        if self.nodes[to].receive(from, &stamp).is_ok() {
            return true;
        }
        let resend = resend();
        self.totals.resyncs += 1;
        self.totals.differential_bytes += resend.encoded_len() as u64;
        self.nodes[from].resync(to);
        // A snapshot is always accepted.
        let _ = self.nodes[to].receive(from, &resend);
        false
    }

    /// The totals so far.
    pub fn totals(&self) -> StampTotals {
        self.totals
    }

    /// The current clock of `node`.
    ///
    /// # Panics
    /// If `node >= n`.
    pub fn clock(&self, node: usize) -> &VectorClock {
        self.nodes[node].clock()
    }

    /// Estimated size of a GoVector-style stamp of `clock`: a msgpack map with one entry per
    /// non-zero entry `i`, keyed by the string `"node{i}"`, valued by the smallest msgpack
    /// unsigned integer.
    pub fn govector_len(clock: &VectorClock) -> usize {
        let mut entries = 0usize;
        let mut bytes = 0usize;
        for (index, &value) in clock.as_slice().iter().enumerate() {
            if value == 0 {
                continue;
            }
            entries += 1;
            let key = 4 + decimal_digits(index);
            // fixstr up to 31 bytes, str8 above.
            bytes += key + if key <= 31 { 1 } else { 2 };
            bytes += match value {
                0..=127 => 1,
                128..=0xff => 2,
                0x100..=0xffff => 3,
                0x1_0000..=0xffff_ffff => 5,
                _ => 9,
            };
        }
        // fixmap up to 15 entries, map16, map32.
        let header = match entries {
            0..=15 => 1,
            16..=0xffff => 3,
            _ => 5,
        };
        header + bytes
    }
}

/// Bytes of a `Diff` (session 0, sequence number 1) carrying the entries of `sender` above
/// `receiver`'s, in the smallest encoding (sized in one pass, nothing built).
fn lower_bound_len(sender: &VectorClock, receiver: &VectorClock) -> usize {
    let (mut count, mut width, mut values, mut gaps) = (0, 0, 0, 0);
    for (index, &value) in sender.as_slice().iter().enumerate() {
        if value > receiver.get(index) {
            count += 1;
            values += varint_len(value);
            gaps += varint_len((index - width) as u64);
            width = index + 1;
        }
    }
    let header = header_len(StampKind::Diff { session: 0, seq: 1 });
    header
        + PayloadSizes::from_parts(count, width, values, gaps)
            .best()
            .1
}

fn decimal_digits(value: usize) -> usize {
    let mut digits = 1;
    let mut rest = value / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    digits
}
