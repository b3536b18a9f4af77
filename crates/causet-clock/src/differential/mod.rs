//! Differential vector clocks (Singhal–Kshemkalyani, 1992): over a FIFO channel, a stamp
//! only needs the entries that changed since the sender's previous stamp to the same peer,
//! and sessions with sequence numbers make that safe on a real network.
//!
//! # The rules
//!
//! A [`DiffClock`] is one node's dense [`VectorClock`] plus O(n) bookkeeping:
//!
//! - a **bookkeeping counter**, separate from the clock values, advanced before every change
//!   of the clock; `LastUpdate[k]` is the counter when entry `k` last changed and
//!   `LastSent[j]` the counter at the last differential stamp to node `j`. A stamp for `j`
//!   carries the entries with `LastUpdate[k] > LastSent[j]`. Because the counter, not the
//!   clock, orders updates, a receive that raises several entries at once never hides one.
//!   The stamp also leaves out what `j` is known to hold already: its own entry, and each
//!   entry whose current value was raised by a stamp from `j` or, for up to three more
//!   peers per entry, carried by one (clocks never go back, so `j` still has at least
//!   that value; a restarted `j` refuses differential stamps until a whole-clock resync);
//! - a **session** (incarnation) id and a **sequence number** on every channel. The first
//!   stamp of a session ([`StampKind::Start`]) carries the whole clock; each later
//!   [`StampKind::Diff`] carries the next sequence number. The receiver applies a `Diff`
//!   only if it continues the chain it has applied so far (same session, next number), so
//!   a lost, duplicated or reordered stamp, a reconnect that dropped messages, or a
//!   restarted peer is refused with [`ResyncRequired`] instead of corrupting the clock.
//!   The sender answers a refusal with [`DiffClock::resync`]: its next stamp to that peer
//!   starts a new session;
//! - a [`StampKind::Snapshot`] (the whole clock, no session) is sent instead of a `Diff`
//!   whenever it is smaller. It is always safe to merge, so it needs no checks, but it does
//!   not advance the chain, which then falls behind. So when the chain is worth keeping (its
//!   last stamp was a `Diff`, or it is behind only because of snapshots), a larger `Diff`
//!   still goes out if it is no larger than a new session's `Start`, else that `Start`
//!   (the whole clock, re-anchoring the chain), each only within the bound below. Every
//!   stamp is at most the dense encoding ([`VectorClock::encode`](crate::VectorClock)) plus
//!   one byte, whatever the session ids: when a channel needs a `Start` (first stamp, or
//!   after a resync) whose session id is too long for the bound (128 or more, and the
//!   whole clock not compact enough to make up for it), a `Snapshot` goes out instead and
//!   the chain starts at the first later send where the `Start` fits;
//! - **restarts**: [`DiffClock::restart`] resumes from the highest clock the node logged or
//!   was told, so its own entry never goes backwards, and from a session floor above every
//!   session its previous incarnation used (persist [`DiffClock::session_floor`] with the
//!   log), so no stamp of the new incarnation can be mistaken for an old one.
//!
//! **Knowledge-aware stamps** ([`DiffClock::with_knowledge`]) follow the same rules and
//! wire format, and also leave out every entry that any stamp from the peer carried at its
//! current value (a plain clock remembers four such peers per entry). That is everything a
//! node can prove a peer holds from what it saw itself; what the peer learned from third
//! parties since cannot be known without more on the wire (BENCHMARKS.md measures how much
//! even a matrix clock carried for free would know).
//!
//! Each stamp is encoded in the smallest of three forms behind a one-byte tag (see
//! [`Stamp`] for the wire format). [`StampCost`] replays a message exchange and totals what
//! full, differential and knowledge-aware stamps would cost, beside the lower bound.
//!
//! A runtime's hot path: [`DiffClock::encode_stamp`] writes a stamp straight into a
//! message, and for clocks of up to 16 nodes the steady state takes fused paths on both
//! sides ([`DiffClock::stamp_small`], [`DiffClock::merge_small_bytes`]) that decide and
//! produce exactly what the general code does, and leave every other case to it.
//!
//! # Example: two nodes
//!
//! ```
//! use causet_clock::VectorClock;
//! use causet_clock::differential::{DiffClock, ResyncReason, Stamp, StampKind};
//!
//! let (mut alice, mut bob) = (DiffClock::new(0, 3), DiffClock::new(1, 3));
//! // carol (node 2) restarts from her log at 299 events, and tells alice about them.
//! let mut carol = DiffClock::restart(2, 3, &VectorClock::from_entries(vec![0, 0, 299]), 0);
//! alice.receive(2, &carol.send(0))?;
//!
//! // alice sends: her first stamp to bob starts session 0 and carries her whole clock.
//! let mut wire = Vec::new();
//! alice.send(1).encode(&mut wire);
//! bob.receive(0, &Stamp::decode(&wire)?)?; // merges, then ticks (a receive event)
//! assert_eq!(bob.clock(), &VectorClock::from_entries(vec![2, 1, 300]));
//!
//! // Later stamps carry only what changed since the previous one to the same peer.
//! alice.tick();
//! let second = alice.send(1);
//! assert_eq!(second.kind(), StampKind::Diff { session: 0, seq: 1 });
//! assert_eq!(second.entries().collect::<Vec<_>>(), [(0, 4)]);
//! let third = alice.send(1);
//!
//! // The second stamp is lost: bob refuses the third instead of applying it ...
//! let refusal = bob.receive(0, &third).unwrap_err();
//! assert_eq!(refusal.reason, ResyncReason::Gap { session: 0, expected: 1, got: 2 });
//! assert_eq!(bob.clock(), &VectorClock::from_entries(vec![2, 1, 300]));
//!
//! // ... and asks alice for a resync: her next stamp starts session 1 with the whole clock.
//! alice.resync(1);
//! let full = alice.stamp_for(1);
//! assert_eq!(full.kind(), StampKind::Start { session: 1 });
//! bob.receive(0, &full)?;
//! assert_eq!(bob.clock(), &VectorClock::from_entries(vec![5, 2, 300]));
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cost;
mod fast;
mod stamp;

pub use cost::{InFlight, StampCost, StampTotals};
pub use stamp::{
    Encoding, EntryIter, RefEntries, SMALL_WIDTH, SmallStamp, Stamp, StampKind, StampRef,
};

use thiserror::Error;

use crate::VectorClock;
use stamp::{Entries, PayloadSizes, header_len, varint_len, write_exact};

/// Why a stamp was refused. The receiver's clock and channel state are unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResyncReason {
    /// A differential stamp skips sequence numbers: stamps were lost or arrive out of order.
    #[error("session {session}: expected stamp {expected}, got {got} (lost or reordered)")]
    Gap {
        /// The channel's session.
        session: u64,
        /// The sequence number that would continue the chain.
        expected: u64,
        /// The one received.
        got: u64,
    },
    /// A stamp of the current session that was already applied (or was overtaken).
    #[error("session {session}: stamp {seq} is a duplicate or arrived late")]
    Duplicate {
        /// The channel's session.
        session: u64,
        /// The stamp's sequence number (0 for a session start).
        seq: u64,
    },
    /// A stamp of a session older than the channel's current one (e.g. from before the
    /// sender restarted or reconnected).
    #[error("stamp of old session {got}, the channel is in session {known}")]
    StaleSession {
        /// The channel's current session.
        known: u64,
        /// The stamp's session.
        got: u64,
    },
    /// A differential stamp of a session whose start this node has not applied (this node
    /// restarted or forgot the peer, or the start was lost).
    #[error("stamp of session {got} whose start was not received{}", match known {
        Some(known) => format!(" (the channel is in session {known})"),
        None => String::new(),
    })]
    UnknownSession {
        /// The channel's current session, if any.
        known: Option<u64>,
        /// The stamp's session.
        got: u64,
    },
    /// The stamp names a node index outside `0..n`.
    #[error("entry for node {index}, but the clock has {n} nodes")]
    EntryOutOfRange {
        /// The offending index.
        index: usize,
        /// Number of nodes.
        n: usize,
    },
    /// The sender index itself is outside `0..n`.
    #[error("sender is not one of the {n} nodes")]
    UnknownSender {
        /// Number of nodes.
        n: usize,
    },
}

impl ResyncReason {
    /// Whether the refused stamp's information is already covered, so no resync is needed:
    /// a [`Duplicate`](Self::Duplicate) of a stamp that was applied, or a stamp of a
    /// [`StaleSession`](Self::StaleSession), sent before the start of the channel's current
    /// session, whose whole-clock stamp dominates it. The channel's chain is intact.
    pub fn is_superseded(&self) -> bool {
        matches!(
            self,
            ResyncReason::Duplicate { .. } | ResyncReason::StaleSession { .. }
        )
    }
}

/// A refused stamp: applying it could have made the clock silently wrong, so nothing was
/// applied. Unless [`needs_resync`](Self::needs_resync) is false, the receiver should ask
/// the sender for a full resync (the sender calls [`DiffClock::resync`]; its next stamp
/// starts a new session with the whole clock).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("stamp from node {from} refused, full resync required: {reason}")]
pub struct ResyncRequired {
    /// The sender's node index.
    pub from: usize,
    /// What was wrong.
    pub reason: ResyncReason,
}

impl ResyncRequired {
    /// Whether the sender must resynchronise: false only when the refused stamp was
    /// [superseded](ResyncReason::is_superseded) (a duplicate, or older than the current
    /// session), so the channel is still in step.
    pub fn needs_resync(&self) -> bool {
        !self.reason.is_superseded()
    }
}

/// [`EntryMeta::source`] of an entry not raised by a peer's stamp (or by one whose index
/// does not fit in 32 bits).
const LOCAL: u32 = u32::MAX;
/// [`Window::peer_source`] of a peer whose index does not fit: matches no entry.
const UNMATCHED: u32 = u32::MAX - 1;

/// The bookkeeping of one entry, read together by the stamp scan (one 32-byte record, so
/// a stamp's walk over the changed entries touches one line per entry).
///
/// (`repr(C)`: `source` and `also` are four adjacent ids, which [`known_to`](Self::known_to)
/// compares with one vector compare.)
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct EntryMeta {
    /// `LastUpdate[k]`: the counter when the entry last changed (0 = never).
    updated: u64,
    /// The peer whose stamp raised the entry to its value ([`LOCAL`] for a tick or a
    /// resume). Its clock holds the value, so stamps to it leave the entry out; so do
    /// stamps to the peers in `also`.
    source: u32,
    /// Other peers (latest first, [`LOCAL`] when unused) whose stamps carried the entry's
    /// current value: they hold it too.
    also: [u32; ALSO_KNOWN],
    /// Varint size of the entry's value.
    len: u32,
}

impl EntryMeta {
    /// An entry set to a value of `len` varint bytes at bookkeeping counter `updated` by
    /// `source`, known to no other peer yet.
    #[inline]
    fn set(updated: u64, source: u32, len: u32) -> EntryMeta {
        EntryMeta {
            updated,
            source,
            len,
            also: [LOCAL; ALSO_KNOWN],
        }
    }

    /// Whether the peer with source id `peer` is known to hold the entry's value.
    #[inline]
    fn known_to(&self, peer: u32) -> bool {
        // Four compares ORed: no branch per slot.
        let ids = [self.source, self.also[0], self.also[1], self.also[2]];
        ids.iter().fold(false, |known, &id| known | (id == peer))
    }
}

/// Up to this many nodes, a stamp finds its entries by a scan of the whole clock, which is
/// then cheaper than reading back the change log (which such clocks do not keep).
const SCAN_ALWAYS: usize = 16;

/// Knowledge-aware clocks keep one bit per entry for each of the first this many peers
/// they exchange stamps with (four words per entry at most: no more than the entry's
/// [`EntryMeta`]).
const KNOWN_SLOTS: usize = 256;

/// How many more peers [`EntryMeta::also`] remembers per entry (storage stays O(n)).
const ALSO_KNOWN: usize = 3;

/// The [`EntryMeta::source`] id that records `peer`.
#[inline]
fn source_of(peer: usize) -> u32 {
    u32::try_from(peer)
        .ok()
        .filter(|&id| id < UNMATCHED)
        .unwrap_or(LOCAL)
}

/// Sender-side state of the channel to one peer.
#[derive(Debug, Clone, Copy)]
struct Outgoing {
    /// Session of the current chain, or of the next `Start` when `started` is false.
    session: u64,
    started: bool,
    /// Sequence number of the next `Diff`.
    next_seq: u64,
    /// Bookkeeping counter at the last `Start` or `Diff` to this peer (`LastSent`).
    last_sent: u64,
    /// Bookkeeping counter at the last stamp of any kind to this peer.
    last_sent_any: u64,
    /// Whether the last stamp carried many entries: find the next one's by a scan.
    prefer_scan: bool,
    /// Whether the last stamp was a `Diff`.
    last_was_diff: bool,
}

/// [`DiffClock::slots`] of a peer not contacted yet.
const NO_CHANNEL: u32 = u32::MAX;

/// Both directions of the channel with one peer.
#[derive(Debug, Clone, Copy)]
struct Channel {
    outgoing: Outgoing,
    incoming: Option<Incoming>,
}

/// Receiver-side state of the channel from one peer: the chain applied so far.
#[derive(Debug, Clone, Copy)]
struct Incoming {
    session: u64,
    next_seq: u64,
}

/// One node's vector clock with Singhal–Kshemkalyani differential stamps; see the
/// [module documentation](self) for the rules and an example.
///
/// Semantics follow the crate: [`tick`](Self::tick) is a local event; [`send`](Self::send)
/// ticks and returns the stamp for one peer; [`receive`](Self::receive) checks and merges a
/// stamp, then ticks. Node indices are `0..n`; the clock never holds an entry at or beyond
/// `n`. Channels must be FIFO for differential stamps to be applied (anything else is
/// detected and refused, never applied wrongly).
#[derive(Debug, Clone)]
pub struct DiffClock {
    me: usize,
    n: usize,
    clock: VectorClock,
    /// Bookkeeping counter: advanced before every change of the clock.
    counter: u64,
    /// `LastUpdate`, source, size and the other peers known to hold it, of every entry.
    meta: Vec<EntryMeta>,
    /// `(counter, index)` of every change, oldest first, so that a stamp reads back only
    /// the changes since the last one. A pair whose counter is no longer the entry's
    /// `updated` is stale; the log is compacted to one pair per entry when it reaches
    /// `8n + 16` pairs, so it stays O(n).
    changes: Vec<(u64, usize)>,
    /// Per peer, its entry in `channels` ([`NO_CHANNEL`] before the first contact): the
    /// per-peer state is allocated lazily, so a node of a large cluster that talks to a few
    /// peers pays 4 bytes for each other one.
    slots: Vec<u32>,
    channels: Vec<Channel>,
    /// Per channel (same slots as `channels`), for clocks of up to 16 nodes only: the
    /// entries changed since the channel's `last_sent` (low 32 bits) and since its
    /// `last_sent_any` (high 32 bits), i.e. exactly those whose `updated` is later, as of
    /// the last stamp; the changes since then are in `pending`. A stamp then reads its
    /// entries from a mask instead of comparing n counters.
    dirty: Vec<u64>,
    /// Entries changed since the last stamp to any peer, not yet in `dirty` (one OR per
    /// change; folded into every channel's masks once per stamp).
    pending: u32,
    /// The session floor this incarnation started with: the first session of every channel.
    first_session: u64,
    /// Every session this node may still start is at least this.
    session_floor: u64,
    /// Σ over all `n` entries of their varint sizes (a zero costs one byte).
    value_bytes: usize,
    /// Number of non-zero entries.
    nonzero: usize,
    /// Σ of the varint sizes of the list encoding's index gaps over the non-zero entries.
    gap_bytes: usize,
    /// Whether an entry became non-zero since `gap_bytes` was counted (it is recounted at
    /// the next stamp, once for a whole merge rather than once per new entry).
    gaps_stale: bool,
    /// Reused buffer of entry indices for merges.
    scratch: Vec<usize>,
    /// Reused stamp of [`encode_stamp`](Self::encode_stamp)'s general path.
    spare: Stamp,
    /// Clocks of up to this many nodes take the fused paths ([`SCAN_ALWAYS`], or 0 for a
    /// knowledge-aware clock, whose stamps always take the general path).
    fast_width: usize,
    /// Knowledge-aware stamps ([`with_knowledge`](Self::with_knowledge)): per entry,
    /// `known_words` words of a bitset over channel slots, bit `s` set when the peer of
    /// slot `s` sent a stamp carrying the entry's current value (or more). Empty otherwise.
    known: Vec<u64>,
    /// Words per entry in `known` (⌈channels / 64⌉ once the first bit is set).
    known_words: usize,
    knowing: bool,
}

impl DiffClock {
    /// Node `me` of `n` (`n` is raised to `me + 1` if smaller), zero clock, no sessions yet.
    pub fn new(me: usize, n: usize) -> DiffClock {
        DiffClock::restart(me, n, &VectorClock::new(), 0)
    }

    /// A restarted node `me` of `n`: its clock resumes from `resume`, the highest clock it
    /// logged or was told (so its own entry never goes backwards; entries at or beyond `n`
    /// are dropped), and every session it starts is at least `session_floor`, which must be
    /// the [`session_floor`](Self::session_floor) its previous incarnation last reported
    /// (or anything larger). It has no channel state: its first stamp to each peer starts a
    /// session, and it refuses differential stamps until each peer resynchronises.
    pub fn restart(me: usize, n: usize, resume: &VectorClock, session_floor: u64) -> DiffClock {
        let n = n.max(me + 1);
        let mut node = DiffClock {
            me,
            n,
            clock: VectorClock::new(),
            counter: 1,
            // Grown with the clock's width (see `set_entry`).
            meta: Vec::new(),
            changes: Vec::new(),
            slots: vec![NO_CHANNEL; n],
            channels: Vec::new(),
            dirty: Vec::new(),
            pending: 0,
            first_session: session_floor,
            session_floor,
            value_bytes: n,
            nonzero: 0,
            gap_bytes: 0,
            gaps_stale: false,
            scratch: Vec::new(),
            spare: Stamp::empty(),
            fast_width: SCAN_ALWAYS,
            known: Vec::new(),
            known_words: 0,
            knowing: false,
        };
        for (index, &value) in resume.as_slice().iter().enumerate().take(n) {
            if value > 0 {
                node.set_entry(index, value, 0, LOCAL);
            }
        }
        node
    }

    /// This clock, sending knowledge-aware stamps: a `Diff` to a peer also leaves out every
    /// entry that any stamp from that peer carried at (or above) the entry's current value,
    /// not only those of the last four peers per entry that [`DiffClock`] remembers. Call it
    /// before the first stamp (on a [`new`](Self::new) or [`restart`](Self::restart)ed
    /// clock). The wire format and the receiver's checks are the same: a plain
    /// [`DiffClock`] receives these stamps, and this one receives its. Whenever it sends the
    /// whole clock and a session `Start` fits in the bound, it sends that `Start` rather
    /// than a `Snapshot`: the chain then re-anchors, where after a `Snapshot` (which may be
    /// lost unnoticed) the next `Diff` would carry again everything the `Snapshot` did.
    ///
    /// What a peer is known to hold is a lower bound built only from what this node saw:
    /// the stamps of that peer it applied (the peer's clock never goes back, across its
    /// restarts too, so it still holds those values) and, through the chain of sequence
    /// numbers, everything this node sent it on the current session (a `Diff` carries all
    /// entries changed since the chain's last stamp that the peer is not known to hold; a
    /// refused one leads to a resync, whose `Start` carries the whole clock). Never the
    /// peer's own entry, never this node's own entry (its stamps always carry it).
    ///
    /// Memory: per entry of the clock's width, one bit per peer this node exchanged stamps
    /// with, in words of 64: `8·⌈c/64⌉` bytes per entry for `c` such peers (at most
    /// `8·w·⌈c/64⌉` bytes for a clock `w` entries wide), nothing for peers it never heard
    /// from. Only the first 256 peers get bits (at most 32 bytes per entry, the size of its
    /// other bookkeeping); later ones are left out as a plain clock does (the four latest
    /// holders of each entry). The stamps always take the general path (no fused paths for
    /// small clocks).
    ///
    /// ```
    /// use causet_clock::VectorClock;
    /// use causet_clock::differential::{DiffClock, StampKind};
    ///
    /// // Nodes 7 to 19 are long known to all (a whole clock is then larger than a Diff).
    /// let past = VectorClock::from_entries([vec![0; 7], vec![300; 13]].concat());
    /// let node = |me| DiffClock::restart(me, 20, &past, 0);
    /// // Node 1 passes node 6's news to nodes 2 to 5; then each tells node 0, 2 first.
    /// let run = |mut hub: DiffClock| -> Result<bool, Box<dyn std::error::Error>> {
    ///     let mut peers: Vec<DiffClock> = (1..7).map(node).collect();
    ///     peers[0].receive(0, &hub.send(1))?; // the chain from node 0 to node 1 starts
    ///     let news = peers[5].send(1);
    ///     peers[0].receive(6, &news)?;
    ///     for peer in 2..6 {
    ///         let stamp = peers[0].send(peer);
    ///         peers[peer - 1].receive(1, &stamp)?;
    ///     }
    ///     for peer in [2, 1, 3, 4, 5] {
    ///         hub.receive(peer, &peers[peer - 1].send(0))?;
    ///     }
    ///     let stamp = hub.send(1);
    ///     assert_eq!(stamp.kind(), StampKind::Diff { session: 0, seq: 1 });
    ///     peers[0].receive(0, &stamp)?;
    ///     Ok(stamp.entries().any(|(index, _)| index == 6))
    /// };
    /// // A plain clock remembers four holders of entry 6's value (the peer whose stamp
    /// // raised it and the three latest more): node 1's word was forgotten, and the entry
    /// // is sent again.
    /// assert!(run(node(0))?);
    /// // The knowledge-aware clock remembers every peer that carried the value.
    /// assert!(!run(node(0).with_knowledge())?);
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_knowledge(mut self) -> DiffClock {
        self.knowing = true;
        self.fast_width = 0;
        self
    }

    /// Whether stamps are knowledge-aware ([`with_knowledge`](Self::with_knowledge)).
    pub fn is_knowledge_aware(&self) -> bool {
        self.knowing
    }

    /// The index in `channels` of the channel with `peer`, allocated on first use.
    ///
    /// # Panics
    /// If `peer >= n`.
    #[inline]
    fn channel(&mut self, peer: usize) -> usize {
        let slot = self.slots[peer];
        if slot == NO_CHANNEL {
            return self.open_channel(peer);
        }
        slot as usize
    }

    #[cold]
    fn open_channel(&mut self, peer: usize) -> usize {
        // At most n - 1 channels, and n < u32::MAX (each node has a u32 slot).
        let slot = self.channels.len();
        self.slots[peer] = slot as u32;
        self.channels.push(Channel {
            outgoing: Outgoing {
                session: self.first_session,
                started: false,
                next_seq: 1,
                last_sent: 0,
                last_sent_any: 0,
                prefer_scan: false,
                last_was_diff: false,
            },
            incoming: None,
        });
        if self.n <= SCAN_ALWAYS {
            // Nothing sent yet (LastSent = 0): every entry ever changed is new to the peer.
            let changed = self
                .meta
                .iter()
                .enumerate()
                .filter(|(_, meta)| meta.updated > 0)
                .fold(0u64, |mask, (index, _)| mask | 1 << index);
            self.dirty.push(changed | changed << 32);
        }
        slot
    }

    /// Records a change of entry `index` for the [`dirty`](Self::dirty) masks.
    #[inline]
    fn mark_changed(&mut self, index: usize) {
        // (Also for larger clocks, where it is never read: an OR beats a branch.)
        self.pending |= 1 << (index & 31);
    }

    /// Folds the pending changes into every channel's [`dirty`](Self::dirty) masks.
    #[inline]
    fn flush_pending(&mut self) {
        if self.pending != 0 {
            let bits = u64::from(self.pending) * 0x1_0000_0001;
            // Contiguous and branch-free: a few vector ORs for a handful of channels.
            for mask in &mut self.dirty {
                *mask |= bits;
            }
            self.pending = 0;
        }
    }

    /// The channel in `slot` has just set its `last_sent_any` to the counter (a stamp of
    /// any kind), and its `last_sent` too when `chain` (a Start or a Diff): clears the
    /// matching [`dirty`](Self::dirty) mask.
    #[inline]
    fn clear_dirty(&mut self, slot: usize, chain: bool) {
        self.flush_pending();
        if let Some(mask) = self.dirty.get_mut(slot) {
            *mask &= if chain { 0 } else { u64::from(u32::MAX) };
        }
    }

    /// The receiving side of the channel from `peer` (`None` before the first contact).
    fn incoming(&self, peer: usize) -> Option<Incoming> {
        let slot = *self.slots.get(peer)?;
        self.channels.get(slot as usize)?.incoming
    }

    /// Approximate heap bytes of the clock and all its bookkeeping (memory accounting).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.clock.len() * size_of::<u64>()
            + self.meta.capacity() * size_of::<EntryMeta>()
            + self.changes.capacity() * size_of::<(u64, usize)>()
            + self.slots.capacity() * size_of::<u32>()
            + self.channels.capacity() * size_of::<Channel>()
            + self.dirty.capacity() * size_of::<u64>()
            + self.scratch.capacity() * size_of::<usize>()
            + self.known.capacity() * size_of::<u64>()
    }

    /// This node's index.
    pub fn me(&self) -> usize {
        self.me
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The current clock.
    #[inline]
    pub fn clock(&self) -> &VectorClock {
        &self.clock
    }

    /// The lowest session id this node may still start. Persist it next to the log, and
    /// pass it to [`restart`](Self::restart) so a new incarnation never reuses a session.
    pub fn session_floor(&self) -> u64 {
        self.session_floor
    }

    /// Size in bytes of the clock's dense encoding (what [`VectorClock::encode`] would
    /// write: one format byte and one varint per entry up to the last non-zero one). A stamp
    /// is never more than this plus one byte.
    ///
    /// [`VectorClock::encode`]: crate::VectorClock
    // Hidden: the runtime sizes message buffers with it.
    #[doc(hidden)]
    #[inline]
    pub fn full_len(&self) -> usize {
        1 + self.dense_payload_len()
    }

    /// A local event: increments the own entry and returns its new value.
    #[inline(always)]
    pub fn tick(&mut self) -> u64 {
        self.counter += 1;
        let me = self.me;
        if self.n <= SCAN_ALWAYS {
            // The common case in a few loads and stores: a small clock whose own entry is
            // non-zero, below the top, and keeps its varint size (`small_meta`'s case).
            if let (Some(entry), Some(meta)) = (self.clock.entry_mut(me), self.meta.get_mut(me)) {
                let old = *entry;
                let value = old.wrapping_add(1);
                if old != 0 && value != 0 && meta.len as usize == varint_len(value) {
                    *entry = value;
                    *meta = EntryMeta::set(self.counter, LOCAL, meta.len);
                    self.pending |= 1 << (me & 31);
                    return value;
                }
            }
        }
        self.tick_slow()
    }

    /// [`tick`](Self::tick) after the counter step, in every other case.
    #[inline(never)]
    fn tick_slow(&mut self) -> u64 {
        let old = self.clock.get(self.me);
        // Saturates rather than wrap: a hostile stamp may have raised the entry to the top.
        let value = old.saturating_add(1);
        if old < u64::MAX && self.small_meta(self.me, value, old, LOCAL) {
            // The clock's own inlined increment (its `set` is an out-of-line call).
            self.clock.tick(self.me);
            return value;
        }
        self.set_entry(self.me, value, old, LOCAL);
        value
    }

    /// A send event to `peer`: [`tick`](Self::tick), then [`stamp_for`](Self::stamp_for).
    ///
    /// # Panics
    /// If `peer >= n`.
    pub fn send(&mut self, peer: usize) -> Stamp {
        self.tick();
        self.stamp_for(peer)
    }

    /// The stamp for a message to `peer` (without ticking): a session [`Start`] if the
    /// channel has none, otherwise the entries changed since the last stamp to `peer`
    /// ([`Diff`]), or the whole clock if that is smaller: a [`Snapshot`], or the `Start`
    /// of a new session when that re-anchors a chain left behind by earlier snapshots.
    ///
    /// [`Start`]: StampKind::Start
    /// [`Diff`]: StampKind::Diff
    /// [`Snapshot`]: StampKind::Snapshot
    ///
    /// # Panics
    /// If `peer >= n`.
    // Hidden: the tests' stamp without a tick; users call `send`.
    #[doc(hidden)]
    pub fn stamp_for(&mut self, peer: usize) -> Stamp {
        let mut stamp = Stamp {
            kind: StampKind::Snapshot,
            entries: Entries::default(),
            sizes: None,
        };
        self.stamp_into(peer, &mut stamp);
        stamp
    }

    /// [`stamp_for`](Self::stamp_for) into an existing stamp, reusing its allocation.
    ///
    /// # Panics
    /// If `peer >= n`.
    // Hidden: the benches reuse one stamp; users call `send`.
    #[doc(hidden)]
    pub fn stamp_into(&mut self, peer: usize, stamp: &mut Stamp) {
        if self.gaps_stale {
            self.gap_bytes = list_gap_bytes(self.clock.as_slice());
            self.gaps_stale = false;
        }
        let whole = self.snapshot_sizes();
        let snapshot_len = 1 + whole.best().1;
        let full_len = self.full_len();
        let slot = self.channel(peer);
        let channel = &mut self.channels[slot].outgoing;
        if !channel.started {
            let values = self.clock.as_slice();
            if snapshot_len + varint_len(channel.session) > full_len + 1 {
                // A Start of this session would break the bound (its id takes two bytes or
                // more, and the whole clock has no encoding that much smaller than the dense
                // one): a Snapshot instead, always safe; the chain starts at a later send
                // where the Start fits.
                channel.last_sent_any = self.counter;
                stamp.kind = StampKind::Snapshot;
                copy_whole(values, whole, stamp);
                self.clear_dirty(slot, false);
                return;
            }
            channel.started = true;
            channel.next_seq = 1;
            channel.last_sent = self.counter;
            channel.last_sent_any = self.counter;
            self.session_floor = self.session_floor.max(channel.session + 1);
            stamp.kind = StampKind::Start {
                session: channel.session,
            };
            copy_whole(values, whole, stamp);
            self.clear_dirty(slot, true);
            return;
        }
        // Size the entries changed since the chain's last stamp (the Diff), and those
        // changed since the last stamp of any kind (what a re-anchored chain would carry).
        // A few changes are found by reading the change log back, many by a scan.
        let (since, since_any) = (channel.last_sent, channel.last_sent_any);
        channel.last_sent_any = self.counter;
        let header = 1 + varint_len(channel.session) + varint_len(channel.next_seq);
        let walk_limit = if channel.prefer_scan {
            0
        } else {
            self.n / 4 + 1
        };
        let pairs = stamp.entries.pairs_mut();
        let window = Window {
            peer,
            slot,
            peer_source: u32::try_from(peer)
                .ok()
                .filter(|&id| id < UNMATCHED)
                .unwrap_or(UNMATCHED),
            since,
            since_any,
            budget: (full_len + 1).saturating_sub(header),
        };
        // Reading the change log back pays off only when a scan of all n entries costs more
        // (small clocks keep no change log).
        let walked = if self.n <= SCAN_ALWAYS {
            None
        } else {
            self.walk_changes(&window, walk_limit, pairs)
        };
        let changes = match walked {
            Some(changes) => changes,
            None => {
                pairs.clear();
                self.scan_changes(&window, pairs)
            }
        };
        let channel = &mut self.channels[slot].outgoing;
        channel.prefer_scan = changes.diff.count > self.n / 4;
        // Which stamp: the Diff when no larger than the whole clock. Otherwise the whole
        // clock, unless the chain is worth re-anchoring (it was healthy until now, or it is
        // behind only because of earlier snapshots): then the Diff anyway when no larger than
        // a new session's Start (it re-anchors without using up a session id), else that
        // Start, else the Diff if it fits in the bound.
        let gap_bound = varint_len(self.n as u64);
        let session = channel.session + 1;
        let start_len = snapshot_len + varint_len(session);
        let start_fits = start_len <= full_len + 1;
        // (Sized only when needed: this runs on every send.)
        let recent_len = || 1 + varint_len(session) + 1 + changes.recent.best_bound(gap_bound);
        // (A knowledge-aware clock always re-anchors: see `with_knowledge`.)
        let anchor = self.knowing || channel.last_was_diff || recent_len() <= snapshot_len;
        let diff_len = header + changes.diff.best_bound(gap_bound);
        let send_diff = changes.diff_fits
            && (diff_len <= snapshot_len || anchor && (diff_len <= start_len || !start_fits));
        channel.last_was_diff = send_diff;
        if send_diff {
            if !changes.sorted {
                pairs.sort_unstable_by_key(|&(index, _)| index);
            }
            // The exact list gaps, now that the entries are in index order.
            let mut next = 0;
            let mut gaps = 0;
            for &(index, _) in pairs.iter() {
                gaps += varint_len((index - next) as u64);
                next = index + 1;
            }
            let diff = changes.diff;
            let exact = PayloadSizes::from_parts(diff.count, diff.next, diff.values, gaps);
            stamp.kind = StampKind::Diff {
                session: channel.session,
                seq: channel.next_seq,
            };
            stamp.sizes = Some(exact);
            channel.next_seq += 1;
            channel.last_sent = self.counter;
            self.clear_dirty(slot, true);
            return;
        }
        channel.prefer_scan = true;
        copy_whole(self.clock.as_slice(), whole, stamp);
        let chain = anchor && start_fits;
        if chain {
            channel.session = session;
            channel.next_seq = 1;
            channel.last_sent = self.counter;
            self.session_floor = self.session_floor.max(session + 1);
            stamp.kind = StampKind::Start { session };
        } else {
            // The chain does not advance: the next Diff is still relative to its last stamp.
            stamp.kind = StampKind::Snapshot;
        }
        self.clear_dirty(slot, chain);
    }

    /// [`stamp_into`](Self::stamp_into) and [`Stamp::encode`] in one: appends the stamp for
    /// `peer` to `buf` (the same bytes, the same channel state) and returns its length. For
    /// clocks of up to 16 nodes, every stamp after a channel's first is chosen from the
    /// channel's mask of changed entries and written without collecting entries.
    ///
    /// # Panics
    /// If `peer >= n`.
    // Hidden: the runtime's wire path (the stamp written straight into a message).
    #[doc(hidden)]
    #[inline]
    pub fn encode_stamp(&mut self, peer: usize, buf: &mut Vec<u8>) -> usize {
        if self.n <= self.fast_width {
            // The steady state's straight-line path first, then the masks' general choice.
            if let Some(written) = self.stamp_small(peer, buf) {
                return written;
            }
            if let Some(written) = self.encode_small(peer, buf) {
                return written;
            }
        }
        let mut stamp = std::mem::replace(&mut self.spare, Stamp::empty());
        self.stamp_into(peer, &mut stamp);
        let start = buf.len();
        stamp.encode(buf);
        self.spare = stamp;
        buf.len() - start
    }

    /// The fast path of [`encode_stamp`](Self::encode_stamp) for `n <= 16`: the choice of
    /// [`stamp_into`](Self::stamp_into) from the channel's dirty mask (only the changed
    /// entries are read), written without collecting entries into a [`Stamp`]. Returns `None`, changing nothing, before a channel's first stamp.
    #[inline]
    fn encode_small(&mut self, peer: usize, buf: &mut Vec<u8>) -> Option<usize> {
        let slot = *self.slots.get(peer)?;
        let channel = self.channels.get(slot as usize)?.outgoing;
        if !channel.started {
            return None;
        }
        let kind = StampKind::Diff {
            session: channel.session,
            seq: channel.next_seq,
        };
        let header = header_len(kind);
        // Only the entries changed since the chain's last stamp (the channel's dirty mask),
        // less those the peer holds already: its own entry, and the entries it told us
        // (n <= 16: the peer's source id is its index).
        let peer_source = peer as u32;
        self.flush_pending();
        let masks = self.dirty.get(slot as usize).copied().unwrap_or(0);
        let (changed, fresh) = (masks as u32 & !(1u32 << (peer & 31)), (masks >> 32) as u32);
        let mut carried_mask = 0u32;
        let mut diff_values = 0;
        // Only the changed entries (a branch-free pass over all of them costs more than the
        // few mispredictions of this loop); the count and width come from the mask.
        let mut bits = changed;
        while bits != 0 {
            let index = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let Some(meta) = self.meta.get(index) else {
                continue;
            };
            if meta.known_to(peer_source) {
                continue;
            }
            carried_mask |= 1 << index;
            diff_values += meta.len as usize;
        }
        let diff = RoughSize {
            count: carried_mask.count_ones() as usize,
            values: diff_values,
            next: (u32::BITS - carried_mask.leading_zeros()) as usize,
        };
        // What a re-anchored chain would carry: sized only when the choice needs it.
        let recent_mask = carried_mask & fresh;
        debug_assert_eq!(
            carried_mask,
            self.scan_mask(peer, channel.last_sent),
            "dirty mask out of step with LastUpdate"
        );
        debug_assert_eq!(recent_mask, self.scan_mask(peer, channel.last_sent_any));
        // `stamp_into`'s choice, with the same size bounds (see there).
        let full_len = self.full_len();
        // Every list gap is below n <= 16: one byte each, so the bound is exact, and its
        // encoding the one to write.
        let gap_bound = 1;
        debug_assert_eq!(gap_bound, varint_len(self.n as u64));
        let (encoding, bound) =
            PayloadSizes::from_parts(diff.count, diff.next, diff.values, diff.count).best();
        let diff_fits = bound <= (full_len + 1).saturating_sub(header);
        let diff_len = header + bound;
        let session = channel.session + 1;
        // Every encoding of the whole clock carries all its non-zero values: a Diff that fits
        // and is no larger than those values alone (the common case) is no larger than the
        // Snapshot, so it goes out without the whole clock being sized.
        let whole_values = self.value_bytes - (self.n - self.nonzero);
        // `chain`: whether the stamp is a Diff or a re-anchoring Start.
        let (send_diff, chain) = if diff_fits && diff_len <= 1 + whole_values {
            (true, true)
        } else {
            if self.gaps_stale {
                self.gap_bytes = list_gap_bytes(self.clock.as_slice());
                self.gaps_stale = false;
            }
            let snapshot_len = 1 + self.snapshot_sizes().best().1;
            let start_len = snapshot_len + varint_len(session);
            let start_fits = start_len <= full_len + 1;
            let anchor = channel.last_was_diff || {
                let mut recent = RoughSize::default();
                for index in SetBits(recent_mask) {
                    if let Some(meta) = self.meta.get(index) {
                        recent.add_sized(index, meta.len);
                    }
                }
                1 + varint_len(session) + 1 + recent.best_bound(gap_bound) <= snapshot_len
            };
            let send_diff = diff_fits
                && (diff_len <= snapshot_len || anchor && (diff_len <= start_len || !start_fits));
            (send_diff, send_diff || anchor && start_fits)
        };
        let start = buf.len();
        let channel = &mut self.channels[slot as usize].outgoing;
        channel.last_sent_any = self.counter;
        channel.last_was_diff = send_diff;
        // (Only the whole-clock Snapshot leaves the chain's mask; `pending` is empty.)
        if let Some(mask) = self.dirty.get_mut(slot as usize) {
            *mask &= if chain { 0 } else { u64::from(u32::MAX) };
        }
        let values = self.clock.as_slice();
        let channel = &mut self.channels[slot as usize].outgoing;
        if send_diff {
            let carried =
                SetBits(carried_mask).map(|index| (index, values.get(index).copied().unwrap_or(0)));
            write_exact(kind, encoding, bound, carried, diff.next, buf);
            channel.prefer_scan = diff.count > self.n / 4;
            channel.next_seq += 1;
            channel.last_sent = self.counter;
            return Some(buf.len() - start);
        }
        // The whole clock: the Start of a new session re-anchoring the chain, or a Snapshot.
        channel.prefer_scan = true;
        let kind = if chain {
            channel.session = session;
            channel.next_seq = 1;
            channel.last_sent = self.counter;
            self.session_floor = self.session_floor.max(session + 1);
            StampKind::Start { session }
        } else {
            StampKind::Snapshot
        };
        let (encoding, payload) = self.snapshot_sizes().best();
        let carried = values
            .iter()
            .enumerate()
            .filter(|&(_, &value)| value > 0)
            .map(|(index, &value)| (index, value));
        write_exact(kind, encoding, payload, carried, values.len(), buf);
        Some(buf.len() - start)
    }

    /// The entries a Diff to `peer` carries by a scan of every entry (`updated > since`,
    /// not known to the peer): what the dirty masks must agree with (debug builds).
    fn scan_mask(&self, peer: usize, since: u64) -> u32 {
        let peer_source = source_of(peer);
        let entries = self.meta.iter().enumerate();
        entries
            .filter(|&(index, meta)| {
                meta.updated > since
                    && meta.source != peer_source
                    && index != peer
                    && !meta.also.contains(&peer_source)
            })
            .fold(0, |mask, (index, _)| mask | 1 << index)
    }

    /// Finds the changes by reading the change log back from the latest; gives up
    /// (`None`) after `limit` log pairs. The Diff's entries come out in update order.
    fn walk_changes(
        &self,
        window: &Window,
        limit: usize,
        pairs: &mut Vec<(usize, u64)>,
    ) -> Option<Changes> {
        let values = self.clock.as_slice();
        let mut changes = Changes::default();
        let mut diff_possible = true;
        let mut log = self.changes.iter().rev();
        let mut done = false;
        for _ in 0..limit {
            let Some(&(updated, index)) = log.next() else {
                done = true;
                break;
            };
            if updated <= window.since || !diff_possible && updated <= window.since_any {
                done = true;
                break;
            }
            let meta = self.meta[index];
            // A stale pair: the entry changed again later, and was seen then.
            if meta.updated != updated || !self.carries(window, index, &meta) {
                continue;
            }
            let value = values.get(index).copied().unwrap_or(0);
            if updated > window.since_any {
                changes.recent.add(index, value);
            }
            if diff_possible {
                changes.diff.add(index, value);
                pairs.push((index, value));
                // Every encoding carries the values: past this, only the whole clock fits.
                diff_possible = changes.diff.values <= window.budget;
            }
        }
        // Done only if the walk reached a change older than the window (or the start).
        done = done
            || log.next().is_none_or(|&(updated, _)| {
                updated <= window.since || !diff_possible && updated <= window.since_any
            });
        if !done {
            return None;
        }
        let gap_bound = varint_len(self.n as u64);
        changes.diff_fits = diff_possible && changes.diff.best_bound(gap_bound) <= window.budget;
        Some(changes)
    }

    /// Whether a stamp in `window` carries changed entry `index`.
    fn carries(&self, window: &Window, index: usize, meta: &EntryMeta) -> bool {
        window.carries(index, meta) && !self.also_knows(window, index)
    }

    /// Whether the window's peer is among those also known to hold entry `index` (for a
    /// knowledge-aware clock, among all the peers whose stamps carried its value).
    fn also_knows(&self, window: &Window, index: usize) -> bool {
        self.meta
            .get(index)
            .is_some_and(|meta| meta.also.contains(&window.peer_source))
            || self.knowing && self.known_by(index, window.slot)
    }

    /// Finds the changes by a branch-free scan of every entry, then collects the Diff's
    /// entries if it fits.
    fn scan_changes(&self, window: &Window, pairs: &mut Vec<(usize, u64)>) -> Changes {
        let mut changes = Changes::default();
        let values = self.clock.as_slice();
        // Entries past `values` are zero, so never changed.
        for (index, (meta, &value)) in self.meta.iter().zip(values).enumerate() {
            let changed = (meta.updated > window.since) & window.carries(index, meta);
            // The colder check, and the collection, only for changed entries.
            if changed && !self.also_knows(window, index) {
                changes.diff.add_sized(index, meta.len);
                pairs.push((index, value));
                if meta.updated > window.since_any {
                    changes.recent.add_sized(index, meta.len);
                }
            }
        }
        let gap_bound = varint_len(self.n as u64);
        changes.diff_fits = changes.diff.best_bound(gap_bound) <= window.budget;
        changes.sorted = true;
        changes
    }

    /// A receive event: checks `stamp` against the channel from `from`, merges it, then
    /// ticks. On refusal nothing changes (no merge, no tick).
    pub fn receive(&mut self, from: usize, stamp: &Stamp) -> Result<(), ResyncRequired> {
        self.merge(from, stamp)?;
        self.tick();
        Ok(())
    }

    /// Checks `stamp` against the channel from `from` and merges it, without ticking.
    ///
    /// A [`Snapshot`](StampKind::Snapshot) is always merged. A [`Start`](StampKind::Start)
    /// is merged if its session is newer than the channel's. A [`Diff`](StampKind::Diff) is
    /// merged only if it is the next stamp of the channel's session. Anything else, and any
    /// entry or sender outside `0..n`, is refused with [`ResyncRequired`].
    // Hidden: the tests' merge without a tick; users call `receive`.
    #[doc(hidden)]
    pub fn merge(&mut self, from: usize, stamp: &Stamp) -> Result<(), ResyncRequired> {
        let source = self.admit(from, stamp.kind, stamp.entries.width())?;
        match stamp.entries.dense_values() {
            // A whole clock: straight through the values.
            Some(values) => self.merge_slice(values, source),
            None => {
                for (index, value) in stamp.entries() {
                    self.merge_entry(index, value, source);
                }
            }
        }
        Ok(())
    }

    /// [`merge`](Self::merge) of a borrowed stamp, read straight from its bytes.
    // Hidden: the runtime's zero-copy receive of a stamp in a message.
    #[doc(hidden)]
    #[inline]
    pub fn merge_ref(&mut self, from: usize, stamp: &StampRef<'_>) -> Result<(), ResyncRequired> {
        let source = self.admit(from, stamp.kind(), stamp.width())?;
        if stamp.is_dense() && stamp.width() <= SCAN_ALWAYS {
            // A whole small clock: its values read into a stack array first, then which
            // entries it raises or matches found branch-free (unpredictable), and only
            // those merged.
            let mut values = [0u64; SCAN_ALWAYS];
            stamp.for_each_entry(|index, value| {
                if let Some(slot) = values.get_mut(index) {
                    *slot = value;
                }
            });
            let current = self.clock.as_slice();
            let mut touched = 0u32;
            let width = stamp.width().min(SCAN_ALWAYS);
            for (index, &value) in values[..width].iter().enumerate() {
                let mine = current.get(index).copied().unwrap_or(0);
                let merged = (value > mine) | (value == mine) & (value > 0);
                touched |= u32::from(merged) << index;
            }
            for index in SetBits(touched) {
                self.merge_entry(index, values[index], source);
            }
        } else if stamp.is_dense() {
            // Most entries of a whole clock are neither raised nor equal.
            stamp.for_each_entry(|index, value| {
                if value > 0 && value >= self.clock.get(index) {
                    self.merge_entry(index, value, source);
                }
            });
        } else {
            stamp.for_each_entry(|index, value| self.merge_entry(index, value, source));
        }
        Ok(())
    }

    /// [`merge`](Self::merge) of a stamp read into a [`SmallStamp`] (the same checks and
    /// the same result as [`merge_ref`](Self::merge_ref) of its bytes): the entries it
    /// raises or matches are found branch-free (unpredictable), then only those merged.
    // Hidden: the runtime's receive of a stamp read into a `SmallStamp`.
    #[doc(hidden)]
    #[inline]
    pub fn merge_small(&mut self, from: usize, stamp: &SmallStamp) -> Result<(), ResyncRequired> {
        let source = self.admit(from, stamp.kind(), stamp.width())?;
        let values = stamp.values();
        let clock = self.clock.as_slice();
        // Carried values are non-zero: raised or matched means at least ours.
        let mut touched = 0u32;
        for index in SetBits(stamp.mask()) {
            let mine = clock.get(index).copied().unwrap_or(0);
            touched |= u32::from(u64::from(values[index]) >= mine) << index;
        }
        for index in SetBits(touched) {
            self.merge_entry(index, u64::from(values[index]), source);
        }
        Ok(())
    }

    /// [`receive`](Self::receive) of a [`SmallStamp`]: [`merge_small`](Self::merge_small),
    /// then a tick.
    // Hidden: ties the small path to `receive` in the tests; users call `receive`.
    #[doc(hidden)]
    pub fn receive_small(&mut self, from: usize, stamp: &SmallStamp) -> Result<(), ResyncRequired> {
        self.merge_small(from, stamp)?;
        self.tick();
        Ok(())
    }

    /// [`receive`](Self::receive) of a borrowed stamp: [`merge_ref`](Self::merge_ref), then
    /// a tick.
    // Hidden: ties the borrowed path to `receive` in the tests and benches; users call `receive`.
    #[doc(hidden)]
    pub fn receive_ref(&mut self, from: usize, stamp: &StampRef<'_>) -> Result<(), ResyncRequired> {
        self.merge_ref(from, stamp)?;
        self.tick();
        Ok(())
    }

    /// Checks a stamp of `kind` whose highest entry is below `width` against the channel
    /// from `from`; if it may be merged, advances the channel and the counter and returns
    /// the source id to record on the entries it raises.
    #[inline(always)]
    fn admit(&mut self, from: usize, kind: StampKind, width: usize) -> Result<u32, ResyncRequired> {
        let refuse = |reason| Err(ResyncRequired { from, reason });
        if from >= self.n {
            return refuse(ResyncReason::UnknownSender { n: self.n });
        }
        if width > self.n {
            let index = width - 1;
            return refuse(ResyncReason::EntryOutOfRange { index, n: self.n });
        }
        let known = self.incoming(from);
        let next = match (kind, known) {
            (StampKind::Snapshot, _) => known,
            (StampKind::Start { session }, None) => Some(Incoming {
                session,
                next_seq: 1,
            }),
            (StampKind::Start { session }, Some(known)) => {
                if session > known.session {
                    Some(Incoming {
                        session,
                        next_seq: 1,
                    })
                } else if session == known.session {
                    return refuse(ResyncReason::Duplicate { session, seq: 0 });
                } else {
                    return refuse(ResyncReason::StaleSession {
                        known: known.session,
                        got: session,
                    });
                }
            }
            (StampKind::Diff { session, .. }, None) => {
                return refuse(ResyncReason::UnknownSession {
                    known: None,
                    got: session,
                });
            }
            (StampKind::Diff { session, seq }, Some(known)) => {
                if session > known.session {
                    return refuse(ResyncReason::UnknownSession {
                        known: Some(known.session),
                        got: session,
                    });
                } else if session < known.session {
                    return refuse(ResyncReason::StaleSession {
                        known: known.session,
                        got: session,
                    });
                } else if seq < known.next_seq {
                    return refuse(ResyncReason::Duplicate { session, seq });
                } else if seq > known.next_seq {
                    return refuse(ResyncReason::Gap {
                        session,
                        expected: known.next_seq,
                        got: seq,
                    });
                }
                Some(Incoming {
                    session,
                    next_seq: seq + 1,
                })
            }
        };
        if next.is_some() || self.knowing || self.slots[from] != NO_CHANNEL {
            let slot = self.channel(from);
            self.channels[slot].incoming = next;
        }
        // One counter step for the whole merge: every entry it raises gets the same
        // LastUpdate, later than any LastSent so far.
        self.counter += 1;
        Ok(source_of(from))
    }

    /// Merges a whole clock given as a slice of the values of indices 0, 1, ….
    fn merge_slice(&mut self, values: &[u64], source: u32) {
        // Branch-free first: which entries are raised or equal (unpredictable).
        let mut touched = std::mem::take(&mut self.scratch);
        touched.clear();
        touched.resize(values.len(), 0);
        let current = self.clock.as_slice();
        let mut count = 0;
        for (index, &value) in values.iter().enumerate() {
            let mine = current.get(index).copied().unwrap_or(0);
            touched[count] = index;
            count += usize::from((value > mine) | (value == mine) & (value > 0));
        }
        for &index in &touched[..count] {
            self.merge_entry(index, values[index], source);
        }
        self.scratch = touched;
    }

    /// Merges one carried entry (`value > 0`, `index < n`) from the peer recorded as
    /// `source`.
    #[inline(always)]
    fn merge_entry(&mut self, index: usize, value: u64, source: u32) {
        let current = self.clock.get(index);
        if value > current {
            if !self.raise_small(index, value, current, source) {
                self.set_entry(index, value, current, source);
            }
            if self.knowing {
                self.learn(index, source, true);
            }
        } else if value == current && source != LOCAL {
            // The sender holds our value too: remember it (latest first).
            let meta = &mut self.meta[index];
            if meta.source != source && !meta.also.contains(&source) {
                meta.also.copy_within(0..ALSO_KNOWN - 1, 1);
                meta.also[0] = source;
            }
            if self.knowing {
                self.learn(index, source, false);
            }
        }
    }

    /// Knowledge-aware bookkeeping of a carried entry: the sender recorded as `source`
    /// holds entry `index`'s current value, and, if the stamp `raised` it, no other peer
    /// is known to.
    #[inline(never)]
    fn learn(&mut self, index: usize, source: u32, raised: bool) {
        let words = self.known_words;
        if raised
            && words > 0
            && let Some(bits) = self.known.get_mut(index * words..(index + 1) * words)
        {
            bits.fill(0);
        }
        // (`source` is the sender's index: `admit` gave it a channel.)
        let Some(&slot) = self.slots.get(source as usize) else {
            return;
        };
        if slot == NO_CHANNEL {
            return;
        }
        let slot = slot as usize;
        if slot >= KNOWN_SLOTS {
            // Beyond the bound: the plain clock's four holders per entry still apply.
            return;
        }
        if slot / 64 >= words || (index + 1) * words > self.known.len() {
            self.grow_known(index, slot);
        }
        let words = self.known_words;
        if let Some(word) = self.known.get_mut(index * words + slot / 64) {
            *word |= 1 << (slot % 64);
        }
    }

    /// Widens `known` to cover entry `index` and channel `slot` (the bits stay with their
    /// entries and slots).
    #[cold]
    fn grow_known(&mut self, index: usize, slot: usize) {
        let old_words = self.known_words;
        let words = old_words.max(slot / 64 + 1);
        let entries = (self.known.len() / old_words.max(1))
            .max(index + 1)
            .max(self.meta.len());
        let mut known = vec![0u64; entries * words];
        if old_words > 0 {
            for (entry, bits) in self.known.chunks_exact(old_words).enumerate() {
                known[entry * words..][..old_words].copy_from_slice(bits);
            }
        }
        self.known = known;
        self.known_words = words;
    }

    /// Whether the peer of channel `slot` is known to hold entry `index`'s current value
    /// (knowledge-aware clocks; never the own entry, which changes without a merge).
    #[inline]
    fn known_by(&self, index: usize, slot: usize) -> bool {
        let words = self.known_words;
        index != self.me
            && slot / 64 < words
            && self
                .known
                .get(index * words + slot / 64)
                .is_some_and(|word| word >> (slot % 64) & 1 == 1)
    }

    /// Answers a refusal by `peer`: the next stamp to `peer` starts a new session with the
    /// whole clock.
    ///
    /// # Panics
    /// If `peer >= n`.
    pub fn resync(&mut self, peer: usize) {
        let floor = self.session_floor;
        let slot = self.channel(peer);
        let channel = &mut self.channels[slot].outgoing;
        if channel.started {
            channel.started = false;
            channel.session += 1;
        }
        channel.session = channel.session.max(floor);
    }

    /// Forgets the session of the channel from `peer`: differential stamps from it are
    /// refused until it starts a new session (use when the connection was re-established,
    /// or to force a resync).
    ///
    /// # Panics
    /// If `peer >= n`.
    pub fn forget(&mut self, peer: usize) {
        if self.slots[peer] != NO_CHANNEL {
            let slot = self.channel(peer);
            self.channels[slot].incoming = None;
        }
    }

    /// A reconnect with `peer`: [`resync`](Self::resync) and [`forget`](Self::forget).
    ///
    /// # Panics
    /// If `peer >= n`.
    pub fn reset_peer(&mut self, peer: usize) {
        self.resync(peer);
        self.forget(peer);
    }

    /// [`set_entry`](Self::set_entry) in the common case, which it reports: a small clock
    /// (no change log) whose non-zero entry keeps its varint size, so that only the value,
    /// its LastUpdate and its sources change (no size sums, no list gaps).
    #[inline]
    fn raise_small(&mut self, index: usize, value: u64, old: u64, source: u32) -> bool {
        if self.small_meta(index, value, old, source) {
            self.clock.set(index, value);
            return true;
        }
        false
    }

    /// [`raise_small`](Self::raise_small)'s check and bookkeeping, all but setting the
    /// value, which the caller must do when it returns `true`.
    #[inline]
    fn small_meta(&mut self, index: usize, value: u64, old: u64, source: u32) -> bool {
        if old == 0 || self.n > SCAN_ALWAYS {
            return false;
        }
        let Some(meta) = self.meta.get_mut(index) else {
            return false;
        };
        if meta.len as usize != varint_len(value) {
            return false;
        }
        *meta = EntryMeta::set(self.counter, source, meta.len);
        self.mark_changed(index);
        true
    }

    /// Sets entry `index` (`< n`) to a larger `value`, with its bookkeeping.
    #[inline]
    fn set_entry(&mut self, index: usize, value: u64, old: u64, source: u32) {
        if old == 0 {
            self.nonzero += 1;
        }
        let len = varint_len(value);
        if index >= self.meta.len() {
            self.widen(index);
        }
        // `meta.len` is the old value's size (1 for 0).
        self.value_bytes = self.value_bytes + len - self.meta[index].len as usize;
        self.clock.set(index, value);
        self.mark_changed(index);
        self.meta[index] = EntryMeta::set(self.counter, source, len as u32);
        if self.n > SCAN_ALWAYS {
            // (Small clocks are always scanned: no change log.)
            self.log_change(index);
        }
        // A new non-zero entry changes the list gaps around it: recounted before the next
        // stamp (a merge of a whole clock of a large cluster may add thousands at once).
        self.gaps_stale |= old == 0;
    }

    /// Grows the per-entry bookkeeping to cover `index` (entries past it are zero).
    #[cold]
    fn widen(&mut self, index: usize) {
        let width = (index + 1).max(self.meta.len() * 5 / 4).min(self.n);
        self.meta.resize(width, EntryMeta::set(0, LOCAL, 1));
    }

    /// Appends a change of entry `index` to the change log (clocks of more than 16 nodes).
    #[inline(never)]
    fn log_change(&mut self, index: usize) {
        self.changes.push((self.counter, index));
        if self.changes.len() >= 8 * self.n + 16 {
            // Compact: drop the stale pairs, which leaves one per changed entry, in order.
            let meta = &self.meta;
            self.changes
                .retain(|&(updated, index)| meta[index].updated == updated);
        }
    }

    /// Bytes of the dense payload of the whole clock (up to the last non-zero entry).
    #[inline]
    fn dense_payload_len(&self) -> usize {
        // Zeros past the last non-zero entry are not written.
        self.value_bytes - (self.n - self.clock.len())
    }

    /// The payload sizes of the whole clock, from the running sums.
    #[inline]
    fn snapshot_sizes(&self) -> PayloadSizes {
        let values = self.value_bytes - (self.n - self.nonzero);
        PayloadSizes::from_parts(self.nonzero, self.clock.len(), values, self.gap_bytes)
    }
}

/// Σ of the varint sizes of the list encoding's index gaps over the non-zero `values`.
fn list_gap_bytes(values: &[u64]) -> usize {
    let mut next = 0;
    let mut gaps = 0;
    for (index, _) in values.iter().enumerate().filter(|&(_, &value)| value > 0) {
        gaps += varint_len((index - next) as u64);
        next = index + 1;
    }
    gaps
}

/// Which entries a stamp for `peer` carries, and the room it has.
#[derive(Debug)]
struct Window {
    peer: usize,
    /// The peer's channel slot.
    slot: usize,
    /// How entries raised by the peer's stamps record it.
    peer_source: u32,
    /// `LastSent`: the counter at the chain's last stamp.
    since: u64,
    /// The counter at the last stamp of any kind.
    since_any: u64,
    /// Payload bytes a Diff may take within the bound (the dense encoding plus one byte).
    budget: usize,
}

impl Window {
    /// Whether a changed entry goes in the stamp: the peer's own entry, and entries it told
    /// us, are known to it already.
    #[inline]
    fn carries(&self, index: usize, meta: &EntryMeta) -> bool {
        (meta.source != self.peer_source) & (index != self.peer)
    }
}

/// The changes found for one stamp.
#[derive(Debug, Default)]
struct Changes {
    /// Changed since the chain's last stamp.
    diff: RoughSize,
    /// Changed since the last stamp of any kind.
    recent: RoughSize,
    /// Whether the Diff fits in the bound (its entries are then collected).
    diff_fits: bool,
    /// Whether they were collected in index order.
    sorted: bool,
}

/// The indices of the set bits of a mask, lowest first.
#[derive(Debug, Clone, Copy)]
struct SetBits(u32);

impl Iterator for SetBits {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let index = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(index)
    }
}

/// Sizes of a set of entries, without the list gaps.
#[derive(Debug, Default, Clone, Copy)]
struct RoughSize {
    count: usize,
    values: usize,
    /// The highest index added + 1.
    next: usize,
}

impl RoughSize {
    /// Adds an entry (in any index order).
    fn add(&mut self, index: usize, value: u64) {
        self.count += 1;
        self.values += varint_len(value);
        self.next = self.next.max(index + 1);
    }

    /// Adds an entry whose value takes `len` bytes (entries in increasing index order).
    #[inline]
    fn add_sized(&mut self, index: usize, len: u32) {
        self.count += 1;
        self.values += len as usize;
        self.next = index + 1;
    }

    /// An upper bound of the smallest payload, each list gap taking at most `gap_bound`
    /// bytes.
    fn best_bound(&self, gap_bound: usize) -> usize {
        let gaps = self.count * gap_bound;
        PayloadSizes::from_parts(self.count, self.next, self.values, gaps)
            .best()
            .1
    }
}

/// Makes `stamp` carry the whole clock `values`, whose payload sizes are `sizes`.
fn copy_whole(values: &[u64], sizes: PayloadSizes, stamp: &mut Stamp) {
    stamp.entries.set_dense(values);
    stamp.sizes = Some(sizes);
}
