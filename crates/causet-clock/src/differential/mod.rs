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
//!   The stamp also leaves out `j`'s own entry and the entries whose latest value came from
//!   `j`'s own stamps, which `j` already has;
//! - a **session** (incarnation) id and a **sequence number** on every channel. The first
//!   stamp of a session ([`StampKind::Start`]) carries the whole clock; each later
//!   [`StampKind::Diff`] carries the next sequence number. The receiver applies a `Diff`
//!   only if it continues the chain it has applied so far (same session, next number), so
//!   a lost, duplicated or reordered stamp, a reconnect that dropped messages, or a
//!   restarted peer is refused with [`ResyncRequired`] instead of corrupting the clock.
//!   The sender answers a refusal with [`DiffClock::resync`]: its next stamp to that peer
//!   starts a new session;
//! - a [`StampKind::Snapshot`] (the whole clock, no session) is sent instead of a `Diff`
//!   whenever it is smaller. It is always safe to merge, so it needs no checks and does
//!   not advance the chain. When the chain has fallen behind only because of earlier
//!   snapshots, the whole clock goes out as the `Start` of a new session instead, which
//!   re-anchors the chain (if that fits in the bound below). This bounds every stamp by the
//!   dense encoding ([`VectorClock::encode`](crate::VectorClock)) plus one byte; the only
//!   exception is a mandatory `Start` (first stamp, or after a resync) of a session id of
//!   128 or more, which is a byte longer per 7 bits of session id;
//! - **restarts**: [`DiffClock::restart`] resumes from the highest clock the node logged or
//!   was told, so its own entry never goes backwards, and from a session floor above every
//!   session its previous incarnation used (persist [`DiffClock::session_floor`] with the
//!   log), so no stamp of the new incarnation can be mistaken for an old one.
//!
//! Each stamp is encoded in the smallest of three forms behind a one-byte tag (see
//! [`Stamp`] for the wire format). [`StampCost`] replays a message exchange and totals what
//! full and differential stamps would cost.
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
//! assert_eq!(second.entries(), &[(0, 4)]);
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
mod stamp;

pub use cost::{InFlight, StampCost, StampTotals};
pub use stamp::{Encoding, Stamp, StampKind};

use thiserror::Error;

use crate::VectorClock;
use crate::varint::len_u64;
use stamp::PayloadSizes;

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

/// [`DiffClock::source`] of an entry not raised by a peer's stamp.
const LOCAL: usize = usize::MAX;

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
    /// `LastUpdate[k]`: the counter when entry `k` last changed (0 = never).
    last_update: Vec<u64>,
    /// The peer whose stamp last raised entry `k` ([`LOCAL`] for a tick or a resume). That
    /// peer's clock already holds the value, so stamps to it leave the entry out.
    source: Vec<usize>,
    outgoing: Vec<Outgoing>,
    incoming: Vec<Option<Incoming>>,
    /// Every session this node may still start is at least this.
    session_floor: u64,
    /// Σ over all `n` entries of their varint sizes (a zero costs one byte).
    value_bytes: usize,
    /// Number of non-zero entries.
    nonzero: usize,
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
            last_update: vec![0; n],
            source: vec![LOCAL; n],
            outgoing: vec![
                Outgoing {
                    session: session_floor,
                    started: false,
                    next_seq: 1,
                    last_sent: 0,
                    last_sent_any: 0,
                };
                n
            ],
            incoming: vec![None; n],
            session_floor,
            value_bytes: n,
            nonzero: 0,
        };
        for (index, &value) in resume.as_slice().iter().enumerate().take(n) {
            if value > 0 {
                node.set_entry(index, value, LOCAL);
            }
        }
        node
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
    pub fn full_len(&self) -> usize {
        1 + self.dense_payload_len()
    }

    /// A local event: increments the own entry and returns its new value.
    pub fn tick(&mut self) -> u64 {
        self.counter += 1;
        let value = self.clock.get(self.me) + 1;
        self.set_entry(self.me, value, LOCAL);
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
    /// ([`Diff`]), or the whole clock ([`Snapshot`]) if that is no larger.
    ///
    /// [`Start`]: StampKind::Start
    /// [`Diff`]: StampKind::Diff
    /// [`Snapshot`]: StampKind::Snapshot
    ///
    /// # Panics
    /// If `peer >= n`.
    pub fn stamp_for(&mut self, peer: usize) -> Stamp {
        let mut stamp = Stamp {
            kind: StampKind::Snapshot,
            entries: Vec::new(),
        };
        self.stamp_into(peer, &mut stamp);
        stamp
    }

    /// [`stamp_for`](Self::stamp_for) into an existing stamp, reusing its allocation.
    ///
    /// # Panics
    /// If `peer >= n`.
    pub fn stamp_into(&mut self, peer: usize, stamp: &mut Stamp) {
        let snapshot_len = 1 + self.snapshot_payload_bound();
        let full_len = self.full_len();
        let channel = &mut self.outgoing[peer];
        stamp.entries.clear();
        let values = self.clock.as_slice();
        if !channel.started {
            channel.started = true;
            channel.next_seq = 1;
            channel.last_sent = self.counter;
            channel.last_sent_any = self.counter;
            self.session_floor = self.session_floor.max(channel.session + 1);
            stamp.kind = StampKind::Start {
                session: channel.session,
            };
            push_nonzero(values, &mut stamp.entries);
            return;
        }
        // One pass: collect the entries changed since the chain's last stamp, with the sizes
        // of their three encodings, and size those changed since the last stamp of any kind
        // (what the chain would carry if it were re-anchored now).
        let (mut value_bytes, mut gap_bytes, mut next) = (0, 0, 0);
        let (mut recent, mut recent_values, mut recent_gaps, mut recent_next) = (0, 0, 0, 0);
        let changed = self.last_update.iter().zip(&self.source).zip(values);
        for (index, ((&updated, &source), &value)) in changed.enumerate() {
            // The peer's own entry, and entries it told us, are known to it already.
            if updated <= channel.last_sent || source == peer || index == peer || value == 0 {
                continue;
            }
            stamp.entries.push((index, value));
            value_bytes += len_u64(value);
            gap_bytes += len_u64((index - next) as u64);
            next = index + 1;
            if updated > channel.last_sent_any {
                recent += 1;
                recent_values += len_u64(value);
                recent_gaps += len_u64((index - recent_next) as u64);
                recent_next = index + 1;
            }
        }
        channel.last_sent_any = self.counter;
        let payload = |count, width, values, gaps| {
            PayloadSizes::from_parts(count, width, values, gaps)
                .best()
                .1
        };
        let diff = payload(stamp.entries.len(), next, value_bytes, gap_bytes);
        let diff_len = 1 + len_u64(channel.session) + len_u64(channel.next_seq) + diff;
        if diff_len <= snapshot_len {
            stamp.kind = StampKind::Diff {
                session: channel.session,
                seq: channel.next_seq,
            };
            channel.next_seq += 1;
            channel.last_sent = self.counter;
            return;
        }
        stamp.entries.clear();
        push_nonzero(values, &mut stamp.entries);
        // The whole clock goes out. If the chain is only behind because earlier stamps were
        // snapshots (what changed since the last stamp would be small), re-anchor it: a new
        // session's start, if that still fits in the dense encoding plus one byte.
        let session = channel.session + 1;
        let recent_len =
            1 + len_u64(session) + 1 + payload(recent, recent_next, recent_values, recent_gaps);
        let start_len = snapshot_len + len_u64(session);
        if recent_len <= snapshot_len && start_len <= full_len + 1 {
            channel.session = session;
            channel.next_seq = 1;
            channel.last_sent = self.counter;
            self.session_floor = self.session_floor.max(session + 1);
            stamp.kind = StampKind::Start { session };
        } else {
            // The chain does not advance: the next Diff is still relative to its last stamp.
            stamp.kind = StampKind::Snapshot;
        }
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
    pub fn merge(&mut self, from: usize, stamp: &Stamp) -> Result<(), ResyncRequired> {
        let refuse = |reason| Err(ResyncRequired { from, reason });
        if from >= self.n {
            return refuse(ResyncReason::UnknownSender { n: self.n });
        }
        if let Some(&(index, _)) = stamp.entries.last() {
            if index >= self.n {
                return refuse(ResyncReason::EntryOutOfRange { index, n: self.n });
            }
        }
        let known = self.incoming[from];
        let next = match (stamp.kind, known) {
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
        self.incoming[from] = next;
        // One counter step for the whole merge: every entry it raises gets the same
        // LastUpdate, later than any LastSent so far.
        self.counter += 1;
        for &(index, value) in &stamp.entries {
            if value > self.clock.get(index) {
                self.set_entry(index, value, from);
            }
        }
        Ok(())
    }

    /// Answers a refusal by `peer`: the next stamp to `peer` starts a new session with the
    /// whole clock.
    ///
    /// # Panics
    /// If `peer >= n`.
    pub fn resync(&mut self, peer: usize) {
        let channel = &mut self.outgoing[peer];
        if channel.started {
            channel.started = false;
            channel.session += 1;
        }
        channel.session = channel.session.max(self.session_floor);
    }

    /// Forgets the session of the channel from `peer`: differential stamps from it are
    /// refused until it starts a new session (use when the connection was re-established,
    /// or to force a resync).
    ///
    /// # Panics
    /// If `peer >= n`.
    pub fn forget(&mut self, peer: usize) {
        self.incoming[peer] = None;
    }

    /// A reconnect with `peer`: [`resync`](Self::resync) and [`forget`](Self::forget).
    ///
    /// # Panics
    /// If `peer >= n`.
    pub fn reset_peer(&mut self, peer: usize) {
        self.resync(peer);
        self.forget(peer);
    }

    /// Sets entry `index` (`< n`) to a larger `value`, with its bookkeeping.
    fn set_entry(&mut self, index: usize, value: u64, source: usize) {
        let old = self.clock.get(index);
        if old == 0 {
            self.nonzero += 1;
        }
        self.value_bytes = self.value_bytes + len_u64(value) - len_u64(old);
        self.clock.set(index, value);
        self.last_update[index] = self.counter;
        self.source[index] = source;
    }

    /// Bytes of the dense payload of the whole clock (up to the last non-zero entry).
    fn dense_payload_len(&self) -> usize {
        // Zeros past the last non-zero entry are not written.
        self.value_bytes - (self.n - self.clock.len())
    }

    /// An upper bound of the smallest payload of a snapshot (dense or bitmap; the list
    /// encoding can only be smaller).
    fn snapshot_payload_bound(&self) -> usize {
        let width = self.clock.len();
        let values = self.value_bytes - (self.n - self.nonzero);
        let bitmap_bytes = width.div_ceil(8);
        let bitmap = len_u64(bitmap_bytes as u64) + bitmap_bytes + values;
        self.dense_payload_len().min(bitmap)
    }
}

fn push_nonzero(values: &[u64], entries: &mut Vec<(usize, u64)>) {
    entries.extend(
        values
            .iter()
            .enumerate()
            .filter(|&(_, &value)| value > 0)
            .map(|(index, &value)| (index, value)),
    );
}
