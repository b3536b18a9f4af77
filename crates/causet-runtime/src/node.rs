//! The node API: stamp on send, merge on receive, log every event.

use std::sync::Arc;

use causet_clock::VectorClock;

use crate::log::LogSink;
use crate::stamp::{self, DiffState};
use crate::{Roster, RuntimeError};

/// First byte of a message carrying a full stamp.
const FULL: u8 = 0xc1;
/// First byte of a message carrying a differential stamp.
const DIFFERENTIAL: u8 = 0xc2;
/// First byte of a message without a stamp (an uninstrumented node, for baselines).
const PLAIN: u8 = 0xc0;

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
    entries: Vec<(usize, u64)>,
    differential: bool,
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
    clock: VectorClock,
    diff: DiffState,
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
        Ok(Self::at_index(roster, me, log))
    }

    /// Node number `me` of `roster` (panics never; an index out of range is an error).
    pub fn with_index(roster: Arc<Roster>, me: usize, log: LogSink) -> Result<Self, RuntimeError> {
        if me >= roster.len() {
            return Err(RuntimeError::UnknownNode {
                name: format!("#{me}"),
            });
        }
        Ok(Self::at_index(roster, me, log))
    }

    fn at_index(roster: Arc<Roster>, me: usize, log: LogSink) -> Self {
        Node {
            roster,
            me,
            clock: VectorClock::new(),
            diff: DiffState::default(),
            log,
            min_priority: Priority::Debug,
            instrumented: true,
            stats: NodeStats::default(),
        }
    }

    /// Turns clocks and logging off: messages carry no stamp, nothing is logged. Only for
    /// measuring what instrumentation costs (the baseline of the benchmarks).
    pub fn uninstrumented(mut self) -> Self {
        self.instrumented = false;
        self
    }

    /// Events below `priority` are no longer logged (see the type's docs).
    pub fn set_min_priority(&mut self, priority: Priority) {
        self.min_priority = priority;
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
        &self.clock
    }

    /// Activity counters.
    pub fn stats(&self) -> NodeStats {
        self.stats
    }

    /// Heap bytes of the clock and the differential-stamp state (for memory accounting).
    pub fn clock_heap_bytes(&self) -> usize {
        self.clock.as_slice().len() * 8 + self.diff.heap_bytes()
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
        self.diff.begin();
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
    pub fn prepare_send_fifo(
        &mut self,
        to: usize,
        text: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, RuntimeError> {
        if to >= self.roster.len() || to == self.me {
            return Err(RuntimeError::UnknownNode {
                name: format!("#{to} (as a receiver of node {})", self.name()),
            });
        }
        self.send(Priority::Info, Some(to), text, payload)
    }

    /// The send methods with a priority; `to` chooses a differential stamp for that node.
    pub fn prepare_send_at(
        &mut self,
        priority: Priority,
        to: Option<usize>,
        text: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, RuntimeError> {
        self.send(priority, to, text, payload)
    }

    fn send(
        &mut self,
        priority: Priority,
        to: Option<usize>,
        text: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, RuntimeError> {
        self.stats.sent += 1;
        let mut bytes = Vec::with_capacity(payload.len() + 16);
        if !self.instrumented {
            bytes.push(PLAIN);
            stamp::write_varint(&mut bytes, self.me as u64);
            bytes.extend_from_slice(payload);
            return Ok(bytes);
        }
        self.diff.begin();
        self.record(priority, text)?;
        let full = stamp::full_len(&self.clock);
        let start;
        match to {
            Some(to) => {
                bytes.push(DIFFERENTIAL);
                stamp::write_varint(&mut bytes, self.me as u64);
                start = bytes.len();
                self.diff.encode_for(&mut bytes, &self.clock, to);
            }
            None => {
                bytes.push(FULL);
                stamp::write_varint(&mut bytes, self.me as u64);
                start = bytes.len();
                let entries = self.clock.as_slice();
                let present = entries.iter().filter(|v| **v != 0).count();
                stamp::encode_entries(
                    &mut bytes,
                    ExactIter {
                        inner: entries
                            .iter()
                            .enumerate()
                            .filter(|(_, v)| **v != 0)
                            .map(|(i, v)| (i, *v)),
                        len: present,
                    },
                );
            }
        }
        self.stats.stamp_bytes += (bytes.len() - start) as u64;
        self.stats.full_stamp_bytes += full as u64;
        bytes.extend_from_slice(payload);
        Ok(bytes)
    }

    /// Decodes a message without touching the clock: who sent it, its payload.
    ///
    /// Rejects truncated or malformed bytes, senders and entries outside the cluster, and
    /// stamps claiming more events of this node than it has had.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Result<Incoming<'a>, RuntimeError> {
        let malformed = |reason: String| RuntimeError::Malformed {
            peer: "a peer".into(),
            reason,
        };
        let Some(&kind) = bytes.first() else {
            return Err(malformed("empty message".into()));
        };
        let mut pos = 1;
        let from = stamp::read_varint(bytes, &mut pos).map_err(malformed)?;
        if from >= self.roster.len() as u64 {
            return Err(malformed(format!(
                "sender index {from}, but the cluster has {} nodes",
                self.roster.len()
            )));
        }
        let from = from as usize;
        let peer = self.roster.name(from).unwrap_or("?").to_string();
        let malformed = |reason: String| RuntimeError::Malformed {
            peer: peer.clone(),
            reason,
        };
        let differential = match kind {
            FULL => false,
            DIFFERENTIAL => true,
            PLAIN if !self.instrumented => {
                return Ok(Incoming {
                    from,
                    payload: &bytes[pos..],
                    entries: Vec::new(),
                    differential: false,
                });
            }
            other => return Err(malformed(format!("unknown message kind {other:#04x}"))),
        };
        if from == self.me {
            return Err(malformed("a message from this node to itself".into()));
        }
        let entries =
            stamp::decode_entries(bytes, &mut pos, self.roster.len()).map_err(&malformed)?;
        let mine = self.clock.get(self.me);
        if let Some((_, claimed)) = entries.iter().find(|(index, _)| *index == self.me) {
            if *claimed > mine {
                return Err(malformed(format!(
                    "stamp claims {claimed} events of {}, which has had {mine}",
                    self.name()
                )));
            }
        }
        Ok(Incoming {
            from,
            payload: &bytes[pos..],
            entries,
            differential,
        })
    }

    /// Merges a decoded message's stamp, ticks and logs the receive; returns the payload.
    pub fn deliver<'a>(
        &mut self,
        incoming: Incoming<'a>,
        text: &str,
    ) -> Result<&'a [u8], RuntimeError> {
        self.deliver_at(Priority::Info, incoming, text)
    }

    /// [`deliver`](Self::deliver) with a priority.
    pub fn deliver_at<'a>(
        &mut self,
        priority: Priority,
        incoming: Incoming<'a>,
        text: &str,
    ) -> Result<&'a [u8], RuntimeError> {
        self.stats.received += 1;
        if !self.instrumented {
            return Ok(incoming.payload);
        }
        let _ = incoming.differential; // both kinds merge the same way; see `stamp`
        self.diff.begin();
        for &(index, value) in &incoming.entries {
            if value > self.clock.get(index) {
                self.clock.set(index, value);
                self.diff.updated(index);
            }
        }
        self.record(priority, text)?;
        Ok(incoming.payload)
    }

    /// Decodes, merges, ticks and logs a received message; returns its payload.
    pub fn unpack_receive(&mut self, text: &str, bytes: &[u8]) -> Result<Vec<u8>, RuntimeError> {
        let incoming = self.decode(bytes)?;
        Ok(self.deliver(incoming, text)?.to_vec())
    }

    /// Ticks and logs an event at `priority`, or hides it.
    fn record(&mut self, priority: Priority, text: &str) -> Result<(), RuntimeError> {
        if priority < self.min_priority {
            self.stats.hidden += 1;
            return Ok(());
        }
        self.clock.tick(self.me);
        self.diff.updated(self.me);
        self.stats.logged += 1;
        self.log
            .write_event(&self.roster, self.me, &self.clock, text)
    }
}

/// An iterator with a known length (the filtered non-zero entries of a clock).
struct ExactIter<I> {
    inner: I,
    len: usize,
}

impl<I: Iterator> Iterator for ExactIter<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next();
        if item.is_some() {
            self.len -= 1;
        }
        item
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }
}

impl<I: Iterator> ExactSizeIterator for ExactIter<I> {}
