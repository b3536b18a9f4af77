//! The node API: stamp on send, merge on receive, log every event.

use std::sync::Arc;

use causet_clock::VectorClock;
use causet_clock::differential::{DiffClock, SmallStamp, Stamp, StampKind, StampRef};

use crate::log::LogSink;
use crate::varint::{read_varint, write_varint};
use crate::{Roster, RuntimeError};

/// First byte of a message carrying a stamp.
const STAMPED: u8 = 0xc5;
/// First byte of a message without a stamp (an uninstrumented node, for baselines).
const PLAIN: u8 = 0xc0;

/// Which stamps a node sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Stamps {
    /// Differential stamps on FIFO channels ([`Node::prepare_send_fifo`]): a
    /// [`DiffClock`] with Singhal–Kshemkalyani bookkeeping, O(n) words per node plus a
    /// few dozen bytes per peer it talks to; full stamps elsewhere.
    #[default]
    Differential,
    /// Always the whole clock: only the clock itself is kept (the least memory).
    Full,
}

/// The clock with the bookkeeping its stamps need.
#[derive(Debug)]
enum ClockState {
    Full(VectorClock),
    Differential(Box<DiffClock>),
}

impl ClockState {
    fn clock(&self) -> &VectorClock {
        match self {
            ClockState::Full(clock) => clock,
            ClockState::Differential(clock) => clock.clock(),
        }
    }

    #[inline]
    fn tick(&mut self, me: usize) {
        match self {
            ClockState::Full(clock) => {
                clock.tick(me);
            }
            ClockState::Differential(clock) => {
                clock.tick();
            }
        }
    }
}
/// How important an event is; events below a node's minimum are not logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum Priority {
    /// Detail.
    Debug,
    /// Ordinary events (the default of [`Node::log_local`] and the message methods).
    #[default]
    Info,
    /// Something unusual.
    Warning,
    /// A failure.
    Error,
}

/// Counters of one node's activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Events written to the log.
    pub logged: u64,
    /// Events hidden by the priority filter.
    pub hidden: u64,
    /// Messages stamped for sending.
    pub sent: u64,
    /// Messages received (merged).
    pub received: u64,
    /// Stamp bytes actually put on the wire.
    pub stamp_bytes: u64,
    /// Stamp bytes full stamps would have taken for the same messages.
    pub full_stamp_bytes: u64,
}

/// A decoded message, not yet merged into the receiver's clock (see [`Node::decode`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming<'a> {
    /// Clock index of the sender.
    pub from: usize,
    /// The application payload.
    pub payload: &'a [u8],
    /// The stamp, checked.
    stamp: Option<Carried<'a>>,
}

/// A checked stamp: most read into a fixed array in the check's one pass (so the merge
/// does not read the bytes again), any other left in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Carried<'a> {
    Small(SmallStamp),
    Bytes(StampRef<'a>),
}

/// One node: a name in a [`Roster`], its vector clock and its log.
///
/// - [`log_local`](Self::log_local) ticks the node's own entry and logs the event.
/// - [`prepare_send`](Self::prepare_send) ticks, logs the send and returns the payload with
///   the clock as a full stamp; [`prepare_send_fifo`](Self::prepare_send_fifo) does the same
///   with a differential stamp, for a FIFO channel to one receiver.
/// - [`unpack_receive`](Self::unpack_receive) merges the message's stamp into the clock
///   (element-wise max), ticks, logs the receive and returns the payload.
///
/// Every logged event ticks, so the own entries in a node's log run 1, 2, 3, … without gaps
/// and the log passes `causet check`. An event below the node's minimum [`Priority`] is
/// neither logged nor ticked, but its clock work still happens: a hidden send still carries
/// the stamp and a hidden receive still merges it, so happens-before among the logged events
/// stays exact (GoVector's filter drops the stamp instead, losing causality).
///
/// # Message format
///
/// The bytes of a stamped message: `0xc5`, the sender's clock index (LEB128 varint), the
/// stamp's length (varint), the stamp ([`Stamp`]'s encoding: tag byte, session and
/// sequence number when differential, entries), then the payload. An uninstrumented node
/// (a benchmark baseline) sends `0xc0`, the sender's index and the payload.
///
/// ```
/// use std::sync::Arc;
/// use causet_runtime::{LogSink, Node, Roster};
///
/// let roster = Arc::new(Roster::new(["alice", "bob"])?);
/// let mut alice = Node::new(roster.clone(), "alice", LogSink::memory())?;
/// let mut bob = Node::new(roster, "bob", LogSink::memory())?;
/// let bytes = alice.prepare_send("send hello", b"hello")?;
/// let payload = bob.unpack_receive("receive hello", &bytes)?;
/// assert_eq!(payload, b"hello");
/// assert_eq!(bob.clock().as_slice(), &[1, 1]);
/// let log = String::from_utf8(bob.into_log().into_memory())?;
/// assert_eq!(log, "bob {\"alice\":1, \"bob\":1}\nreceive hello\n");
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Node {
    roster: Arc<Roster>,
    me: usize,
    clock: ClockState,
    log: LogSink,
    min_priority: Priority,
    instrumented: bool,
    stats: NodeStats,
}

impl Node {
    /// Node `name` of `roster`, logging to `log`.
    pub fn new(roster: Arc<Roster>, name: &str, log: LogSink) -> Result<Self, RuntimeError> {
        let me = roster
            .index(name)
            .ok_or_else(|| RuntimeError::UnknownNode {
                name: name.to_string(),
            })?;
        Self::with_index(roster, me, log)
    }

    /// Node number `me` of `roster` (its clock index); an index out of range is an error.
    pub fn with_index(roster: Arc<Roster>, me: usize, log: LogSink) -> Result<Self, RuntimeError> {
        Self::with_index_and_stamps(roster, me, log, Stamps::Differential)
    }

    /// [`with_index`](Self::with_index) sending `stamps` (no differential state is ever
    /// allocated for [`Stamps::Full`]).
    pub fn with_index_and_stamps(
        roster: Arc<Roster>,
        me: usize,
        log: LogSink,
        stamps: Stamps,
    ) -> Result<Self, RuntimeError> {
        if me >= roster.len() {
            return Err(RuntimeError::UnknownNode {
                name: format!("#{me}"),
            });
        }
        let clock = match stamps {
            Stamps::Full => ClockState::Full(VectorClock::new()),
            Stamps::Differential => {
                ClockState::Differential(Box::new(DiffClock::new(me, roster.len())))
            }
        };
        Ok(Node {
            clock,
            roster,
            me,
            log,
            min_priority: Priority::Debug,
            instrumented: true,
            stats: NodeStats::default(),
        })
    }

    /// Chooses the stamps this node sends (before its first event; every node of a cluster
    /// must use the same).
    pub fn with_stamps(mut self, stamps: Stamps) -> Self {
        self.clock = match (stamps, self.clock) {
            (Stamps::Full, ClockState::Differential(clock)) => {
                ClockState::Full(clock.clock().clone())
            }
            (Stamps::Differential, ClockState::Full(clock)) => ClockState::Differential(Box::new(
                DiffClock::restart(self.me, self.roster.len(), &clock, 0),
            )),
            (_, same) => same,
        };
        self
    }

    /// Turns clocks and logging off: messages carry no stamp, nothing is logged. Only for
    /// measuring what instrumentation costs (the baseline of the benchmarks).
    pub fn uninstrumented(mut self) -> Self {
        self.instrumented = false;
        self
    }

    /// Messages to `peer` may have been lost (a send failed, a connection dropped): the
    /// next differential stamp to `peer` starts a new session carrying the whole clock, so
    /// that the receiver, which refuses a stamp that does not continue its chain, can
    /// apply it. Does nothing with full stamps or for an index outside the cluster.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use causet_runtime::{LogSink, Node, Roster};
    ///
    /// let roster = Arc::new(Roster::new(["alice", "bob", "carol"])?);
    /// let mut alice = Node::new(roster.clone(), "alice", LogSink::discard())?;
    /// let mut bob = Node::new(roster.clone(), "bob", LogSink::discard())?;
    /// let mut carol = Node::new(roster, "carol", LogSink::discard())?;
    /// for _ in 0..200 {
    ///     carol.log_local("work")?; // (a clock worth sending differentially)
    /// }
    /// alice.unpack_receive("news", &carol.prepare_send_fifo(0, "news", b"n")?)?;
    /// bob.unpack_receive("first", &alice.prepare_send_fifo(1, "send 1", b"1")?)?;
    /// let _lost = alice.prepare_send_fifo(1, "send 2", b"2")?;
    /// let gap = alice.prepare_send_fifo(1, "send 3", b"3")?;
    /// assert!(bob.unpack_receive("third", &gap).is_err()); // refused: message 2 is missing
    /// alice.resync(1);
    /// bob.unpack_receive("fourth", &alice.prepare_send_fifo(1, "send 4", b"4")?)?;
    /// assert_eq!(bob.clock().get(0), 5);
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resync(&mut self, peer: usize) {
        if let ClockState::Differential(clock) = &mut self.clock
            && peer < clock.n()
            && peer != self.me
        {
            clock.resync(peer);
        }
    }

    /// Events below `priority` are no longer logged (see the type's docs).
    pub fn set_min_priority(&mut self, priority: Priority) {
        self.min_priority = priority;
    }

    /// Whether an event at `priority` would be written to the log now: the node is
    /// instrumented, the priority passes the filter and the log is not discarded. A caller
    /// that builds event texts can skip the formatting when it would be thrown away (the
    /// clock work happens either way).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use causet_runtime::{LogSink, Node, Priority, Roster};
    ///
    /// let roster = Arc::new(Roster::new(["alice", "bob"])?);
    /// let mut alice = Node::new(roster, "alice", LogSink::discard())?;
    /// assert!(!alice.logs_at(Priority::Info));
    /// let text = if alice.logs_at(Priority::Info) { format!("send {} to bob", 7) } else { String::new() };
    /// alice.prepare_send_fifo(1, &text, b"7")?; // ticks and stamps all the same
    /// assert_eq!(alice.clock().get(0), 1);
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn logs_at(&self, priority: Priority) -> bool {
        self.instrumented && priority >= self.min_priority && self.log.is_enabled()
    }

    /// This node's name.
    pub fn name(&self) -> &str {
        self.roster.name(self.me).unwrap_or("?")
    }

    /// This node's clock index.
    pub fn index(&self) -> usize {
        self.me
    }

    /// The cluster.
    pub fn roster(&self) -> &Arc<Roster> {
        &self.roster
    }

    /// The current clock.
    pub fn clock(&self) -> &VectorClock {
        self.clock.clock()
    }

    /// Activity counters.
    pub fn stats(&self) -> NodeStats {
        self.stats
    }

    /// Approximate heap bytes of the clock and its stamp bookkeeping (memory accounting):
    /// 8 per clock entry, plus for differential stamps [`DiffClock::heap_bytes`] (per-entry
    /// bookkeeping up to the clock's width, 4 bytes per node, and channel state for each
    /// peer this node has talked to).
    pub fn clock_heap_bytes(&self) -> usize {
        match &self.clock {
            ClockState::Full(clock) => clock.len() * 8,
            ClockState::Differential(clock) => clock.heap_bytes(),
        }
    }

    /// Flushes the log and returns it.
    pub fn into_log(mut self) -> LogSink {
        let _ = self.log.flush();
        self.log
    }

    /// Flushes buffered log events.
    pub fn flush(&mut self) -> Result<(), RuntimeError> {
        self.log.flush()
    }

    /// Ticks and logs a local event.
    pub fn log_local(&mut self, text: &str) -> Result<(), RuntimeError> {
        self.log_local_at(Priority::Info, text)
    }

    /// [`log_local`](Self::log_local) with a priority.
    pub fn log_local_at(&mut self, priority: Priority, text: &str) -> Result<(), RuntimeError> {
        if !self.instrumented {
            return Ok(());
        }
        self.record(priority, text)
    }

    /// Ticks, logs the send and returns `payload` with a full stamp: right for any channel,
    /// FIFO or not.
    pub fn prepare_send(&mut self, text: &str, payload: &[u8]) -> Result<Vec<u8>, RuntimeError> {
        self.send(Priority::Info, None, text, payload)
    }

    /// Ticks, logs the send and returns `payload` with a differential stamp for node `to`.
    ///
    /// Only correct if the bytes reach `to` over a FIFO channel that carries every
    /// differential message from this node to `to`, in order (a TCP connection, a channel).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::UnknownNode`] if `to` is not another node of the roster (nothing
    /// is ticked or logged); an I/O error if the log cannot be written.
    pub fn prepare_send_fifo(
        &mut self,
        to: usize,
        text: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, RuntimeError> {
        self.prepare_send_at(Priority::Info, Some(to), text, payload)
    }

    /// The general send: [`prepare_send`](Self::prepare_send) (`to` is `None`) or
    /// [`prepare_send_fifo`](Self::prepare_send_fifo) (`Some(to)`), logged at `priority`
    /// (a send below the node's minimum priority still ticks and stamps, unlogged).
    ///
    /// # Errors
    ///
    /// As [`prepare_send_fifo`](Self::prepare_send_fifo).
    pub fn prepare_send_at(
        &mut self,
        priority: Priority,
        to: Option<usize>,
        text: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, RuntimeError> {
        if let Some(to) = to
            && (to >= self.roster.len() || to == self.me)
        {
            return Err(RuntimeError::UnknownNode {
                name: format!("#{to} (as a receiver of node {})", self.name()),
            });
        }
        self.send(priority, to, text, payload)
    }

    #[inline]
    fn send(
        &mut self,
        priority: Priority,
        to: Option<usize>,
        text: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, RuntimeError> {
        self.stats.sent += 1;
        if !self.instrumented {
            let mut bytes = Vec::with_capacity(payload.len() + 12);
            bytes.push(PLAIN);
            write_varint(&mut bytes, self.me as u64);
            bytes.extend_from_slice(payload);
            return Ok(bytes);
        }
        self.record(priority, text)?;
        // The stamp is encoded straight into the message, after its length: one allocation
        // per message, as without clocks.
        // Room for the stamp without a pass over the clock: its exact full length where
        // the bookkeeping keeps it, else three bytes an entry (values below 2^21; a larger
        // stamp only grows the vector once).
        // (A differential clock's full length, kept by its bookkeeping, is also the
        // statistics' full-stamp size: a stamp does not change the clock.)
        // (A differential stamp is at most one byte longer than the whole clock's.)
        let (room, kept_full) = match &self.clock {
            ClockState::Full(clock) => (3 * clock.len(), None),
            ClockState::Differential(clock) => (clock.full_len() + 1, Some(clock.full_len())),
        };
        let mut bytes = Vec::with_capacity(payload.len() + room + 16);
        // The length goes before the stamp: one byte reserved, which fits all stamps below
        // 128 bytes; a longer one gets its length spliced in (sizing stamps up front would
        // cost a pass over a whole clock).
        if self.me < 0x80 {
            // Tag, one-byte sender index, length placeholder: one copy.
            bytes.extend_from_slice(&[STAMPED, self.me as u8, 0]);
        } else {
            bytes.push(STAMPED);
            write_varint(&mut bytes, self.me as u64);
            bytes.push(0);
        }
        let at = bytes.len() - 1;
        // The full stamp's length comes with its encoding (the sizes it chose from).
        let (stamp_len, full) = match (&mut self.clock, to, kept_full) {
            (ClockState::Differential(clock), Some(to), Some(full)) => {
                (clock.encode_stamp(to, &mut bytes), full)
            }
            (state, _, _) => Stamp::encode_clock_sized(state.clock(), &mut bytes),
        };
        if stamp_len < 0x80 {
            bytes[at] = stamp_len as u8;
        } else {
            let mut length = Vec::with_capacity(10);
            write_varint(&mut length, stamp_len as u64);
            bytes.splice(at..=at, length);
        }
        self.stats.stamp_bytes += stamp_len as u64;
        self.stats.full_stamp_bytes += full as u64;
        bytes.extend_from_slice(payload);
        Ok(bytes)
    }

    /// Decodes a message without touching the clock: who sent it, its payload (the first
    /// step of [`deliver`](Self::deliver); hidden, as it is).
    ///
    /// Rejects truncated or malformed bytes, senders and entries outside the cluster, and
    /// stamps claiming more events of this node than it has had.
    #[doc(hidden)]
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Result<Incoming<'a>, RuntimeError> {
        let malformed = |reason: String| RuntimeError::Malformed {
            peer: "a peer".into(),
            reason,
        };
        let Some(&kind) = bytes.first() else {
            return Err(malformed("empty message".into()));
        };
        let mut pos = 1;
        let from = read_varint(bytes, &mut pos).map_err(malformed)?;
        if from >= self.roster.len() as u64 {
            return Err(malformed(format!(
                "sender index {from}, but the cluster has {} nodes",
                self.roster.len()
            )));
        }
        let from = from as usize;
        let malformed = |reason: String| RuntimeError::Malformed {
            peer: self.roster.name(from).unwrap_or("?").to_string(),
            reason,
        };
        match kind {
            STAMPED => {}
            PLAIN if !self.instrumented => {
                return Ok(Incoming {
                    from,
                    payload: &bytes[pos..],
                    stamp: None,
                });
            }
            other => return Err(malformed(format!("unknown message kind {other:#04x}"))),
        }
        if from == self.me {
            return Err(malformed("a message from this node to itself".into()));
        }
        let stamp_len = read_varint(bytes, &mut pos).map_err(&malformed)?;
        if stamp_len > (bytes.len() - pos) as u64 {
            return Err(malformed(format!(
                "stamp of {stamp_len} bytes, but only {} bytes follow",
                bytes.len() - pos
            )));
        }
        let end = pos + stamp_len as usize;
        // The common stamps are read into an array in one pass, in the place they are
        // returned in (80 bytes: not moved again); any other (or a malformed one, for its
        // precise error) by the general parser. The own entry is read during the check.
        let mut incoming = Incoming {
            from,
            payload: &bytes[end..],
            stamp: Some(Carried::Small(SmallStamp::EMPTY)),
        };
        let (width, value) = if let Some(Carried::Small(small)) = &mut incoming.stamp
            && small.parse_into(&bytes[pos..end])
        {
            (small.width(), small.get(self.me))
        } else {
            let (stamp, value) = StampRef::parse_with(&bytes[pos..end], self.me)
                .map_err(|err| malformed(format!("bad stamp: {err}")))?;
            incoming.stamp = Some(Carried::Bytes(stamp));
            (stamp.width(), value)
        };
        let nodes = self.roster.len();
        if width > nodes {
            let index = width - 1;
            return Err(malformed(format!(
                "stamp entry for node index {index}, but the cluster has {nodes} nodes"
            )));
        }
        // Only this node's own entry needs a look (the width bounds the others).
        if value > 0 {
            let mine = self.clock().get(self.me);
            if value > mine {
                return Err(malformed(format!(
                    "stamp claims {value} events of {}, which has had {mine}",
                    self.name()
                )));
            }
        }
        Ok(incoming)
    }

    /// Merges a decoded message's stamp, ticks and logs the receive; returns the payload.
    ///
    /// With [`decode`](Self::decode): [`unpack_receive`](Self::unpack_receive) in two
    /// steps, for the demo driver and the benches (the event's text names the sender,
    /// known only after decoding, and the payload is borrowed, not copied). Hidden: users
    /// call `unpack_receive`.
    #[doc(hidden)]
    #[inline]
    pub fn deliver<'a>(
        &mut self,
        incoming: Incoming<'a>,
        text: &str,
    ) -> Result<&'a [u8], RuntimeError> {
        let priority = Priority::Info;
        if !self.instrumented {
            self.stats.received += 1;
            return Ok(incoming.payload);
        }
        if let Some(stamp) = &incoming.stamp {
            let from = incoming.from;
            let peer = || self.roster.name(from).unwrap_or("?").to_string();
            let refused = |refusal| RuntimeError::Refused {
                peer: peer(),
                refusal,
            };
            match (&mut self.clock, stamp) {
                (ClockState::Differential(clock), Carried::Small(stamp)) => {
                    clock.merge_small(from, stamp).map_err(refused)?
                }
                (ClockState::Differential(clock), Carried::Bytes(stamp)) => {
                    clock.merge_ref(from, stamp).map_err(refused)?
                }
                (ClockState::Full(clock), stamp) => {
                    let kind = match stamp {
                        Carried::Small(stamp) => stamp.kind(),
                        Carried::Bytes(stamp) => stamp.kind(),
                    };
                    if let StampKind::Diff { .. } = kind {
                        return Err(RuntimeError::Malformed {
                            peer: peer(),
                            reason: "a differential stamp, but this node keeps no channel state"
                                .into(),
                        });
                    }
                    match stamp {
                        Carried::Small(stamp) => stamp.merge_into(clock),
                        Carried::Bytes(stamp) => stamp.merge_into(clock),
                    }
                }
            }
        }
        self.stats.received += 1;
        self.record(priority, text)?;
        Ok(incoming.payload)
    }

    /// Decodes, merges, ticks and logs a received message; returns its payload.
    pub fn unpack_receive(&mut self, text: &str, bytes: &[u8]) -> Result<Vec<u8>, RuntimeError> {
        if let Some(received) = self.receive_fast(bytes, |_, _| text) {
            return Ok(received?.1.to_vec());
        }
        let incoming = self.decode(bytes)?;
        Ok(self.deliver(incoming, text)?.to_vec())
    }

    /// The steady state's receive in one call: [`decode`](Self::decode) and
    /// [`deliver`](Self::deliver) (at [`Priority::Info`]) of a message whose stamp a
    /// differential clock of at most 16 nodes merges straight from the bytes (a
    /// differential stamp continuing its channel's chain, see
    /// [`DiffClock::merge_small_bytes`]). Returns `None`, having changed nothing, for any
    /// other message, valid or not: pass it to `decode` and `deliver`, which merge it or
    /// give the precise error. Otherwise the result of the delivery (an error only if the
    /// log could not be written): the sender's index and the payload.
    ///
    /// `text(sender name, payload)` gives the event's text; it is called only when the
    /// event is logged (see [`logs_at`](Self::logs_at)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use causet_runtime::{LogSink, Node, Roster};
    ///
    /// let roster = Arc::new(Roster::new(["alice", "bob", "carol"])?);
    /// let mut alice = Node::new(roster.clone(), "alice", LogSink::memory())?;
    /// let mut bob = Node::new(roster.clone(), "bob", LogSink::memory())?;
    /// let mut carol = Node::new(roster, "carol", LogSink::memory())?;
    /// // (Carol's entry makes the whole clocks larger than alice's later differences.)
    /// alice.unpack_receive("from carol", &carol.prepare_send_fifo(0, "to alice", b"")?)?;
    /// bob.unpack_receive("from carol", &carol.prepare_send_fifo(1, "to bob", b"")?)?;
    /// let text = |sender: &str, payload: &[u8]| {
    ///     format!("receive {} from {sender}", String::from_utf8_lossy(payload))
    /// };
    /// for round in 0..3 {
    ///     let bytes = alice.prepare_send_fifo(1, "send", b"hi")?;
    ///     let (from, payload) = match bob.receive_fast(&bytes, text) {
    ///         Some(received) => received?, // a differential stamp continuing the chain
    ///         None => {
    ///             // The first message starts the channel's session: the general path.
    ///             assert_eq!(round, 0);
    ///             let incoming = bob.decode(&bytes)?;
    ///             let from = incoming.from;
    ///             let text = text("alice", incoming.payload);
    ///             (from, bob.deliver(incoming, &text)?)
    ///         }
    ///     };
    ///     assert_eq!((from, payload), (0, b"hi".as_slice()));
    /// }
    /// assert_eq!(bob.clock().as_slice(), &[4, 4, 2]);
    /// let log = String::from_utf8(bob.into_log().into_memory())?;
    /// assert!(log.ends_with("bob {\"alice\":4, \"bob\":4, \"carol\":2}\nreceive hi from alice\n"));
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    /// Hidden from users (they call [`unpack_receive`](Self::unpack_receive), which takes
    /// this path itself): for the demo driver and the benches, which name the sender in the
    /// text and borrow the payload.
    #[doc(hidden)]
    #[inline(always)]
    pub fn receive_fast<'a, T: AsRef<str>>(
        &mut self,
        bytes: &'a [u8],
        text: impl FnOnce(&str, &'a [u8]) -> T,
    ) -> Option<Result<(usize, &'a [u8]), RuntimeError>> {
        // An uninstrumented node (no clock work) pays one test.
        if !self.instrumented {
            return None;
        }
        self.receive_stamped(bytes, text)
    }

    /// [`receive_fast`](Self::receive_fast) of an instrumented node.
    #[inline]
    fn receive_stamped<'a, T: AsRef<str>>(
        &mut self,
        bytes: &'a [u8],
        text: impl FnOnce(&str, &'a [u8]) -> T,
    ) -> Option<Result<(usize, &'a [u8]), RuntimeError>> {
        let ClockState::Differential(clock) = &mut self.clock else {
            return None;
        };
        // The frame: the stamped tag, a one-byte sender index (not this node's), a one-byte
        // stamp length (`decode`'s checks, for the varints' one-byte case).
        let [STAMPED, from, stamp_len, rest @ ..] = bytes else {
            return None;
        };
        let (from, stamp_len) = (usize::from(*from), usize::from(*stamp_len));
        if from >= 0x80 || stamp_len >= 0x80 || from == self.me || from >= self.roster.len() {
            return None;
        }
        let (stamp, payload) = rest.split_at_checked(stamp_len)?;
        // (The clock's n is the roster's size: entries past it are refused there.)
        if !clock.merge_small_bytes(from, stamp) {
            return None;
        }
        self.stats.received += 1;
        let result = if self.logs_at(Priority::Info) {
            let sender = self.roster.name(from).unwrap_or("?");
            let text = text(sender, payload);
            self.record(Priority::Info, text.as_ref())
        } else {
            self.record(Priority::Info, "")
        };
        Some(result.map(|()| (from, payload)))
    }

    /// Ticks and logs an event at `priority`, or hides it.
    ///
    /// Always inlined (it runs twice per message: an out-of-line call costs about a third
    /// of it); the log write itself stays out of line.
    #[inline(always)]
    fn record(&mut self, priority: Priority, text: &str) -> Result<(), RuntimeError> {
        if priority < self.min_priority {
            self.stats.hidden += 1;
            return Ok(());
        }
        self.clock.tick(self.me);
        self.stats.logged += 1;
        if !self.log.is_enabled() {
            return Ok(());
        }
        self.write_log(text)
    }

    /// Writes the event just recorded to the log.
    #[inline(never)]
    fn write_log(&mut self, text: &str) -> Result<(), RuntimeError> {
        self.log
            .write_event(&self.roster, self.me, self.clock.clock(), text)
    }
}
