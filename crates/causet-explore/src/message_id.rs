//! A message's identity, the same in every execution where its sender's past is.

use std::fmt;

/// A message's identity: its sender and the sender's send number (1-based; arming a timer
/// counts as a send to itself). A node's sends depend only on what it received before, so
/// the same id names the same message in every execution where the sender's past is the
/// same: a schedule of ids replays exactly.
///
/// Text form: `SENDER.NUMBER`, e.g. `2.1` for node 2's first send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId {
    /// The sender's clock index.
    pub from: u32,
    /// The sender's send number, from 1.
    pub seq: u32,
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.from, self.seq)
    }
}
