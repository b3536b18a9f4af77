//! Differential stamps over a connection the caller declares FIFO (a TCP stream, a gRPC
//! stream): after the first, a stamp carries only the entries that changed since the
//! previous stamp on the same connection.
//!
//! The rules are causet-clock's [`DiffClock`](causet_clock::DiffClock)'s, over
//! string-named nodes:
//!
//! - every connection end sends in a **session**, numbered by its node
//!   ([`OpenNode::open_fifo`], [`FifoConnection::resync`]: 1, 2, 3, …, above an earlier
//!   run's when its [`OpenNode::session_floor`] was restored), and numbers its stamps
//!   0, 1, 2, …;
//! - stamp 0 of a session, a **start**, carries the whole clock; each later one, a
//!   **diff**, the entries raised since the previous stamp of the connection, less the
//!   peer's own entry (the peer always holds at least that value of itself);
//! - a **snapshot** (the whole clock, outside the chain: always safe to merge, neither
//!   checked against nor advancing it) goes instead of a diff when it is no larger, as
//!   causet-clock's does;
//! - the receiving end applies a diff only if it continues the chain it has applied: same
//!   session, next number. A lost, duplicated or reordered stamp, a restarted receiver (no
//!   chain) or a stale start (a session not above the current one) is refused with
//!   [`TraceError::Resync`], nothing merged; the sender answers with
//!   [`FifoConnection::resync`] and its next stamp starts a new session. A chain broken by
//!   a refusal stays broken until that start.
//!
//! Applied to every stamp of an intact FIFO connection, diffs give exactly the clocks that
//! whole stamps give (a property test checks it).
//!
//! Wire form (the byte prefix, as [`crate::stamp`]'s): the length (LEB128) of what
//! follows, then a tag (`0x10` start, `0x11` diff, `0x12` snapshot), but for a snapshot the
//! session (LEB128), for a diff the stamp's number (LEB128), and a binary stamp of the entries sent (the sparse encoding,
//! format byte `0x03`); then the payload.
//!
//! ```
//! use causet_tracing::{EventLog, OpenNode, Priority};
//!
//! let mut client = OpenNode::new("client", EventLog::memory())?;
//! let mut server = OpenNode::new("server", EventLog::memory())?;
//! let (mut to_server, mut from_client) = (client.open_fifo("server")?, server.open_fifo("client")?);
//! for k in 0..3 {
//!     let mut message = Vec::new();
//!     to_server.stamp_diff(&mut client, Priority::Info, "send", &mut message)?;
//!     message.extend_from_slice(b"ping");
//!     let payload = from_client.receive_diff(&mut server, Priority::Info, "receive", &message)?;
//!     assert_eq!(payload, b"ping");
//! }
//! assert_eq!(server.clock().to_string(), r#"{"client":3, "server":3}"#);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use causet_clock::VersionVector;
use causet_clock::varint::{read_u64, write_u64};
use causet_runtime::Priority;

use crate::stamp::{self, StampError};
use crate::{OpenNode, TraceError};

const START: u8 = 0x10;
const DIFF: u8 = 0x11;
const SNAPSHOT: u8 = 0x12;

/// One end of a connection the caller declares FIFO: the differential stamps it sends and
/// the chain it has applied (see [the module](self)). Made by [`OpenNode::open_fifo`];
/// used with that node.
#[derive(Debug)]
pub struct FifoConnection {
    peer: String,
    /// Sending: the session, the next stamp's number (0: a start is due), and what the
    /// stamps of this session have carried so far (the clock at the last stamp).
    session: u64,
    seq: u64,
    sent: VersionVector<String>,
    /// Receiving: the peer's session and the number expected next (`u64::MAX`: broken).
    chain: Option<(u64, u64)>,
    body: Vec<u8>,
}

impl OpenNode {
    /// One end of a FIFO connection to `peer` (a node name): its stamps are differential
    /// (see [`FifoConnection`]). Open one per connection; a reconnect opens a new one.
    pub fn open_fifo(&mut self, peer: &str) -> Result<FifoConnection, TraceError> {
        causet_runtime::validate_name(peer)?;
        Ok(FifoConnection {
            peer: peer.to_string(),
            session: self.next_session(),
            seq: 0,
            sent: VersionVector::new(),
            chain: None,
            body: Vec::new(),
        })
    }
}

impl FifoConnection {
    /// The peer's name.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The session this end sends in.
    pub fn session(&self) -> u64 {
        self.session
    }

    /// Makes the next stamp start a new session (whole clock): the answer to the peer's
    /// [`TraceError::Resync`]. `node` is the one this end belongs to.
    pub fn resync(&mut self, node: &mut OpenNode) {
        self.session = node.next_session();
        self.seq = 0;
    }

    /// A send on this connection: ticks and logs (as [`OpenNode::send`]) and appends the
    /// differential stamp's byte prefix to `out`, where the payload follows.
    pub fn stamp_diff(
        &mut self,
        node: &mut OpenNode,
        priority: Priority,
        text: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), TraceError> {
        let clock = node.send_event(priority, text, &[])?;
        let mut body = std::mem::take(&mut self.body);
        body.clear();
        if self.seq == 0 {
            body.push(START);
            write_u64(&mut body, self.session);
            stamp::encode_sparse(clock, &mut body);
        } else {
            body.push(DIFF);
            write_u64(&mut body, self.session);
            write_u64(&mut body, self.seq);
            encode_raised(clock, &self.sent, &self.peer, &mut body);
            // The whole clock when no larger: always safe, outside the chain.
            if clock.encoded_len() < body.len() {
                body.clear();
                body.push(SNAPSHOT);
                stamp::encode_sparse(clock, &mut body);
                write_u64(out, body.len() as u64);
                out.extend_from_slice(&body);
                self.body = body;
                return Ok(());
            }
        }
        self.sent.merge(clock);
        self.seq += 1;
        write_u64(out, body.len() as u64);
        out.extend_from_slice(&body);
        self.body = body;
        Ok(())
    }

    /// A receive on this connection of a message written after
    /// [`stamp_diff`](Self::stamp_diff): applies its stamp (as [`OpenNode::receive`]) and
    /// returns the payload.
    ///
    /// # Errors
    ///
    /// [`TraceError::Resync`] when the stamp does not continue the chain (nothing merged;
    /// the peer must resync); the errors of [`OpenNode::receive`] for a malformed or
    /// refused stamp (which also break the chain).
    pub fn receive_diff<'a>(
        &mut self,
        node: &mut OpenNode,
        priority: Priority,
        text: &str,
        message: &'a [u8],
    ) -> Result<&'a [u8], TraceError> {
        let (body, payload) = match split(message) {
            Ok(split) => split,
            Err(err) => {
                node.count_refused();
                return Err(err.into());
            }
        };
        let (tag, session, seq, sparse) = match header(body) {
            Ok(parts) => parts,
            Err(err) => {
                node.count_refused();
                return Err(err.into());
            }
        };
        let refusal = match (tag, self.chain) {
            (SNAPSHOT, _) => None,
            (START, Some((current, _))) if session <= current => Some(format!(
                "a start of session {session}, not above the current session {current} (duplicated, reordered or stale)"
            )),
            (START, _) => None,
            (_, None) => Some(format!(
                "stamp {seq} of session {session}, but no chain was started on this connection (a restart, or its start was lost)"
            )),
            (_, Some((current, _))) if current != session => Some(format!(
                "stamp {seq} of session {session}, but the chain is session {current}"
            )),
            (_, Some((_, u64::MAX))) => Some(format!(
                "stamp {seq} of session {session}, after a refusal broke the chain"
            )),
            (_, Some((_, expected))) if expected != seq => Some(format!(
                "stamp {seq} of session {session} where {expected} was due (lost, duplicated or reordered)"
            )),
            _ => None,
        };
        if let Some(reason) = refusal {
            node.count_refused();
            if let Some((_, next)) = &mut self.chain {
                *next = u64::MAX;
            }
            return Err(TraceError::Resync {
                node: node.name().to_string(),
                peer: self.peer.clone(),
                reason,
            });
        }
        match node.receive_binary(priority, text, &[], sparse) {
            Ok(()) => {
                if tag != SNAPSHOT {
                    self.chain = Some((session, seq + 1));
                }
                Ok(payload)
            }
            Err(err) => {
                if let Some((_, next)) = &mut self.chain {
                    *next = u64::MAX;
                }
                Err(err)
            }
        }
    }
}

/// The entries of `clock` raised above `sent`, but `peer`'s, as a sparse binary stamp
/// (both walked in name order).
fn encode_raised(
    clock: &VersionVector<String>,
    sent: &VersionVector<String>,
    peer: &str,
    out: &mut Vec<u8>,
) {
    out.push(causet_clock::binary::FORMAT_SPARSE_STRING);
    let (names, counters) = (sent.nodes(), sent.counters());
    let mut at = 0;
    for (name, n) in clock.iter() {
        while names.get(at).is_some_and(|s| s < name) {
            at += 1;
        }
        let before = if names.get(at) == Some(name) {
            counters[at]
        } else {
            0
        };
        if n > before && name != peer {
            write_u64(out, name.len() as u64);
            out.extend_from_slice(name.as_bytes());
            write_u64(out, n);
        }
    }
}

/// Splits a message into its stamp body and payload.
fn split(message: &[u8]) -> Result<(&[u8], &[u8]), StampError> {
    let mut pos = 0;
    let truncated = StampError::Truncated { len: message.len() };
    let claimed = read_u64(message, &mut pos).map_err(|_| truncated.clone())?;
    // The sparse stamp's bound, plus the tag and two varints.
    let max = stamp::MAX_STAMP_BYTES + 21;
    if claimed > max as u64 {
        return Err(StampError::TooLong {
            len: usize::try_from(claimed).unwrap_or(usize::MAX),
            max,
        });
    }
    let end = pos + claimed as usize;
    if end > message.len() {
        return Err(truncated);
    }
    Ok((&message[pos..end], &message[end..]))
}

/// A body's tag, session, number (0 for a start) and sparse stamp.
fn header(body: &[u8]) -> Result<(u8, u64, u64, &[u8]), StampError> {
    let tag = match body.first() {
        Some(&tag @ (START | DIFF | SNAPSHOT)) => tag,
        Some(&byte) => {
            return Err(StampError::Decode(
                causet_clock::DecodeError::UnknownFormat { byte, offset: 0 },
            ));
        }
        None => {
            return Err(StampError::Decode(
                causet_clock::DecodeError::UnexpectedEnd { offset: 0 },
            ));
        }
    };
    let mut pos = 1;
    let session = if tag == SNAPSHOT {
        0
    } else {
        read_u64(body, &mut pos)?
    };
    let seq = if tag == DIFF {
        read_u64(body, &mut pos)?
    } else {
        0
    };
    if tag == DIFF && seq == 0 {
        return Err(StampError::Decode(causet_clock::DecodeError::Invalid {
            reason: "a differential stamp numbered 0",
        }));
    }
    Ok((tag, session, seq, &body[pos..]))
}
