//! The open-membership node: a name, a sparse clock, a log; no roster.

use causet_clock::VersionVector;
use causet_runtime::Priority;

use crate::TraceError;
use crate::carrier::{Extractor, Injector};
use crate::log::EventLog;
use crate::stamp::{self, HEADER_NAME, StampError};

/// Growing entries a receive keeps for its merge before it walks the stamp again.
const GROWS: usize = 8;

/// A position in a clock's sorted names, moved forward by names in increasing order.
#[derive(Default)]
struct Walk {
    at: usize,
}

impl Walk {
    /// The index of `name` in `clock` (`None`: absent; the walk then stands where it would
    /// be inserted). Names must come in increasing order.
    fn find(&mut self, clock: &VersionVector<String>, name: &[u8]) -> Option<usize> {
        let nodes = clock.nodes();
        while let Some(node) = nodes.get(self.at) {
            match node.as_bytes().cmp(name) {
                std::cmp::Ordering::Less => self.at += 1,
                std::cmp::Ordering::Equal => return Some(self.at),
                std::cmp::Ordering::Greater => return None,
            }
        }
        None
    }
}

/// Default bound on the nodes a clock may know ([`OpenNode::set_max_nodes`]).
pub const DEFAULT_MAX_NODES: usize = 4096;

/// Counters of one node's activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenStats {
    /// Events written to the log.
    pub logged: u64,
    /// Events hidden by the priority filter (their clock work done all the same).
    pub hidden: u64,
    /// Stamps sent.
    pub sent: u64,
    /// Stamps merged.
    pub received: u64,
    /// Stamps refused (malformed, forged, or over a bound): nothing was merged.
    pub refused: u64,
    /// Stamps that told this node nothing new (its clock already dominated them): such a
    /// message leaves no trace in the clocks, so `causet analyze`, which infers messages
    /// from clocks as ShiViz does, cannot count it.
    pub known_already: u64,
}

/// One node of a system whose membership is open: named by a string, its clock a
/// [`VersionVector<String>`], with no roster. A peer first seen in a received stamp simply
/// appears in the clock; a peer that never talked to this node is absent (0).
///
/// The rules are those of [`causet_runtime::Node`], the fixed-roster node, so that the two
/// compute the same clocks and write the same logs on the same execution (a property test
/// checks it):
///
/// - [`log_local`](Self::log_local) ticks the node's own entry and logs the event.
/// - A send ([`send`](Self::send), [`prepare_send`](Self::prepare_send),
///   [`inject`](Self::inject)) ticks, logs, and stamps the message with the whole clock.
/// - A receive ([`receive`](Self::receive), [`unpack_receive`](Self::unpack_receive),
///   [`extract`](Self::extract)) checks the stamp, merges it (element-wise max), ticks and
///   logs.
/// - Every logged event ticks, so the own entries in the log run 1, 2, 3, … and the log
///   passes `causet check`. An event below the node's minimum [`Priority`] is neither
///   logged nor ticked, but its clock work still happens: a hidden send still stamps, a
///   hidden receive still merges, so happens-before among the logged events stays exact.
/// - A refused stamp (see [`receive`](Self::receive)) changes nothing: no merge, no tick,
///   no event.
///
/// Events go to an [`EventLog`], flushed per event by default.
///
/// ```
/// use causet_tracing::{EventLog, OpenNode};
///
/// let mut gateway = OpenNode::new("gateway", EventLog::memory())?;
/// let mut orders = OpenNode::new("orders", EventLog::memory())?;
/// let message = gateway.prepare_send("send order 7", b"order 7")?;
/// assert_eq!(orders.unpack_receive("receive order 7", &message)?, b"order 7");
/// assert_eq!(orders.clock().to_string(), r#"{"gateway":1, "orders":1}"#);
/// let log = String::from_utf8(orders.into_log().into_memory())?;
/// assert_eq!(log, "orders {\"gateway\":1, \"orders\":1}\nreceive order 7\n");
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct OpenNode {
    name: String,
    clock: VersionVector<String>,
    log: EventLog,
    min_priority: Priority,
    max_nodes: usize,
    stats: OpenStats,
    /// Reused buffers of the header path (no allocation per stamp in the steady state).
    scratch: Vec<u8>,
    header: String,
}

impl OpenNode {
    /// The node `name` (a GoVector host name: at most 64 ASCII letters, digits, `-`, `_`
    /// and `.`), logging to `log`.
    pub fn new(name: &str, log: EventLog) -> Result<Self, TraceError> {
        causet_runtime::validate_name(name)?;
        Ok(OpenNode {
            name: name.to_string(),
            clock: VersionVector::new(),
            log,
            min_priority: Priority::Debug,
            max_nodes: DEFAULT_MAX_NODES,
            stats: OpenStats::default(),
            scratch: Vec::new(),
            header: String::new(),
        })
    }

    /// This node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current clock.
    pub fn clock(&self) -> &VersionVector<String> {
        &self.clock
    }

    /// Activity counters.
    pub fn stats(&self) -> OpenStats {
        self.stats
    }

    /// Events below `priority` are no longer logged (see the type's docs).
    pub fn set_min_priority(&mut self, priority: Priority) {
        self.min_priority = priority;
    }

    /// The most nodes this node's clock may know (its own included; default
    /// [`DEFAULT_MAX_NODES`]): a stamp that would take the clock past it is refused, so
    /// forged stamps naming new nodes cannot grow it without bound.
    pub fn set_max_nodes(&mut self, max: usize) {
        self.max_nodes = max.max(1);
    }

    /// Whether an event at `priority` would be written to the log now.
    pub fn logs_at(&self, priority: Priority) -> bool {
        priority >= self.min_priority && self.log.is_enabled()
    }

    /// Flushes buffered log events.
    pub fn flush(&mut self) -> Result<(), TraceError> {
        self.log.flush()
    }

    /// The log (for a memory log's bytes so far).
    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// Flushes the log and returns it.
    pub fn into_log(mut self) -> EventLog {
        let _ = self.log.flush();
        self.log
    }

    /// Ticks and logs a local event.
    pub fn log_local(&mut self, text: &str) -> Result<(), TraceError> {
        self.record(Priority::Info, text, &[])
    }

    /// [`log_local`](Self::log_local) with a priority.
    pub fn log_local_at(&mut self, priority: Priority, text: &str) -> Result<(), TraceError> {
        self.record(priority, text, &[])
    }

    /// A local event with fields (`(name, value)` pairs; see [`crate::log`] for how they
    /// are written).
    pub fn log_event(
        &mut self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
    ) -> Result<(), TraceError> {
        self.record(priority, text, fields)
    }

    /// A send: ticks and logs the event, returns the stamp (the whole clock), to be put on
    /// the wire in any of [`stamp`]'s forms.
    pub fn send(
        &mut self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
    ) -> Result<&VersionVector<String>, TraceError> {
        self.record(priority, text, fields)?;
        self.stats.sent += 1;
        Ok(&self.clock)
    }

    /// A receive of a message stamped `stamp`: checks it, merges it, ticks and logs.
    ///
    /// # Errors
    ///
    /// Refused, with nothing changed: a stamp whose names or counters no log can carry
    /// ([`StampError`]); one claiming more events of this node than it has had (forged, or
    /// meant for another node of the same name); one that would make the clock know more
    /// than [its maximum](Self::set_max_nodes) of nodes.
    pub fn receive(
        &mut self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
        stamp: &VersionVector<String>,
    ) -> Result<(), TraceError> {
        if let Err(err) = stamp::check(stamp) {
            self.stats.refused += 1;
            return Err(err.into());
        }
        self.receive_checked(priority, text, fields, stamp)
    }

    /// [`receive`](Self::receive) of a stamp [`stamp::check`] has passed.
    fn receive_checked(
        &mut self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
        stamp: &VersionVector<String>,
    ) -> Result<(), TraceError> {
        let entries = || stamp.iter().map(|(name, n)| Ok((name.as_bytes(), n)));
        self.receive_entries(priority, text, fields, entries)
    }

    /// [`receive`](Self::receive) of a binary stamp, read in place: the header and prefix
    /// paths, with no clock built and no allocation unless a node is new.
    fn receive_bytes(
        &mut self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
        bytes: &[u8],
    ) -> Result<(), TraceError> {
        if bytes.len() > stamp::MAX_STAMP_BYTES {
            self.stats.refused += 1;
            return Err(StampError::TooLong {
                len: bytes.len(),
                max: stamp::MAX_STAMP_BYTES,
            }
            .into());
        }
        self.receive_entries(priority, text, fields, || stamp::entries(bytes))
    }

    /// The receive itself, over a stamp's entries in name order (read twice: once to
    /// check everything, once to merge, so that a refusal changes nothing). Both passes
    /// walk the clock's sorted names beside the stamp's: one comparison per name, no
    /// lookups, and no writes for the entries the clock already has.
    fn receive_entries<'s, I>(
        &mut self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
        entries: impl Fn() -> I,
    ) -> Result<(), TraceError>
    where
        I: Iterator<Item = Result<(&'s [u8], u64), StampError>>,
    {
        let mine = self.clock.get(self.name.as_str());
        let (mut new, mut claimed) = (0usize, 0u64);
        // The entries that grow the clock, kept for the merge when few (the steady state:
        // the sender's own entry and what it relayed); more are merged by a second walk.
        let mut grows: [(&[u8], u64); GROWS] = [(&[], 0); GROWS];
        let mut growing = 0usize;
        let mut walk = Walk::default();
        for entry in entries() {
            let (name, value) = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    self.stats.refused += 1;
                    return Err(err.into());
                }
            };
            let known = walk.find(&self.clock, name);
            new += usize::from(known.is_none());
            if value > known.map_or(0, |at| self.clock.counters()[at]) {
                if let Some(slot) = grows.get_mut(growing) {
                    *slot = (name, value);
                }
                growing += 1;
            }
            if name == self.name.as_bytes() {
                claimed = value;
            }
        }
        let refusal = if claimed > mine {
            Some(format!(
                "the stamp claims {claimed} events of {}, which has had {mine}",
                self.name
            ))
        } else {
            // The own entry may still be absent (no event yet): it appears at the tick.
            let width = self.clock.len() + new + usize::from(mine == 0 && claimed == 0);
            (width > self.max_nodes).then(|| {
                format!(
                    "the stamp would make the clock know {width} nodes, above the maximum of {}",
                    self.max_nodes
                )
            })
        };
        if let Some(reason) = refusal {
            self.stats.refused += 1;
            return Err(TraceError::Refused {
                node: self.name.clone(),
                reason,
            });
        }
        // (Checked ASCII names: the conversions cannot fail.)
        if growing == 0 {
            self.stats.known_already += 1;
        } else if growing <= GROWS {
            for &(name, value) in &grows[..growing] {
                if let Ok(name) = std::str::from_utf8(name) {
                    self.clock.set(name, value);
                }
            }
        } else {
            let mut walk = Walk::default();
            for (name, value) in entries().flatten() {
                let known = walk.find(&self.clock, name);
                let grows = known.is_none_or(|at| value > self.clock.counters()[at]);
                if grows && let Ok(name) = std::str::from_utf8(name) {
                    // A new name is inserted where the walk stands: step past it.
                    self.clock.set(name, value);
                    if known.is_none() {
                        walk.at += 1;
                    }
                }
            }
        }
        self.stats.received += 1;
        self.record(priority, text, fields)
    }

    /// Ticks, logs the send and returns `payload` behind the stamp's byte prefix (see
    /// [`stamp`]): right for any channel.
    pub fn prepare_send(&mut self, text: &str, payload: &[u8]) -> Result<Vec<u8>, TraceError> {
        self.prepare_send_at(Priority::Info, text, payload)
    }

    /// [`prepare_send`](Self::prepare_send) with a priority.
    pub fn prepare_send_at(
        &mut self,
        priority: Priority,
        text: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, TraceError> {
        let mut message = Vec::with_capacity(self.clock.encoded_len() + 8 + payload.len());
        self.send_prefix(priority, text, &mut message)?;
        message.extend_from_slice(payload);
        Ok(message)
    }

    /// A send whose stamp goes in front of a byte message: ticks, logs, and appends the
    /// stamp's byte prefix (see [`stamp`]) to `out`, where the payload follows.
    pub fn send_prefix(
        &mut self,
        priority: Priority,
        text: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), TraceError> {
        self.check_room()?;
        let clock = self.send(priority, text, &[])?;
        Ok(stamp::encode_prefix(clock, out)?)
    }

    /// Refuses a send whose stamp would exceed [`stamp::MAX_STAMP_BYTES`] after the
    /// send's tick, before anything is recorded (no receiver would accept it).
    fn check_room(&self) -> Result<(), StampError> {
        // Every entry takes at most a 1-byte length, 64 name bytes and a 10-byte counter:
        // a clock of 40 nodes or fewer always fits (no walk over it).
        if (self.clock.len() + 1) * 75 < stamp::MAX_STAMP_BYTES {
            return Ok(());
        }
        let own = if self.clock.get(self.name.as_str()) == 0 {
            self.name.len() + 2
        } else {
            1
        };
        let len = self.clock.encoded_len() + own;
        if len > stamp::MAX_STAMP_BYTES {
            return Err(StampError::TooLong {
                len,
                max: stamp::MAX_STAMP_BYTES,
            });
        }
        Ok(())
    }

    /// Splits a message written by [`prepare_send`](Self::prepare_send), receives its
    /// stamp (as [`receive`](Self::receive)) and returns the payload.
    pub fn unpack_receive<'a>(
        &mut self,
        text: &str,
        message: &'a [u8],
    ) -> Result<&'a [u8], TraceError> {
        self.unpack_receive_at(Priority::Info, text, message)
    }

    /// [`unpack_receive`](Self::unpack_receive) with a priority.
    pub fn unpack_receive_at<'a>(
        &mut self,
        priority: Priority,
        text: &str,
        message: &'a [u8],
    ) -> Result<&'a [u8], TraceError> {
        let (stamp, payload) = match stamp::split_prefix(message) {
            Ok(split) => split,
            Err(err) => {
                self.stats.refused += 1;
                return Err(err.into());
            }
        };
        self.receive_bytes(priority, text, &[], stamp)?;
        Ok(payload)
    }

    /// A send whose stamp goes into a carrier (HTTP headers, gRPC metadata, a map): ticks,
    /// logs the event with `fields`, and sets the [`HEADER_NAME`] entry of `carrier` to the
    /// stamp's text form.
    pub fn inject(
        &mut self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
        carrier: &mut impl Injector,
    ) -> Result<(), TraceError> {
        self.check_room()?;
        self.send(priority, text, fields)?;
        let mut header = std::mem::take(&mut self.header);
        header.clear();
        let encoded = stamp::encode_header_with(&self.clock, &mut self.scratch, &mut header);
        if encoded.is_ok() {
            carrier.set(HEADER_NAME, &header);
        }
        self.header = header;
        Ok(encoded?)
    }

    /// A receive whose stamp comes in a carrier: when it holds a [`HEADER_NAME`] entry,
    /// receives it (as [`receive`](Self::receive)) and returns `true`. A carrier without a
    /// stamp (an uninstrumented peer) changes nothing and returns `false`: log a local
    /// event if the receive should appear anyway.
    ///
    /// # Errors
    ///
    /// The header is repeated, malformed, oversized or refused; nothing is changed.
    pub fn extract(
        &mut self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
        carrier: &impl Extractor,
    ) -> Result<bool, TraceError> {
        let value = match carrier.get_one(HEADER_NAME) {
            Ok(Some(value)) => value,
            Ok(None) => return Ok(false),
            Err(count) => {
                self.stats.refused += 1;
                return Err(StampError::Repeated { count }.into());
            }
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = match stamp::header_bytes(value, &mut scratch) {
            Ok(()) => self.receive_bytes(priority, text, fields, &scratch),
            Err(err) => {
                self.stats.refused += 1;
                Err(err.into())
            }
        };
        self.scratch = scratch;
        result.map(|()| true)
    }

    /// Ticks and logs an event at `priority`, or hides it.
    fn record(
        &mut self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
    ) -> Result<(), TraceError> {
        if priority < self.min_priority {
            self.stats.hidden += 1;
            return Ok(());
        }
        self.clock.tick(self.name.as_str());
        self.stats.logged += 1;
        if !self.log.is_enabled() {
            return Ok(());
        }
        self.log.write_event(&self.name, &self.clock, text, fields)
    }
}
