//! Errors of the runtime: configuration, message decoding, frames and handshakes, logs, I/O.

use std::io;
use std::path::PathBuf;

use causet_clock::ResyncRequired;
use thiserror::Error;

/// Why a runtime operation failed.
///
/// Bad input from the network (a malformed message, an oversized frame, a failed handshake)
/// is an error value, never a panic; the hosts report it and drop the offending connection.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// A node name is not usable as a GoVector host name.
    #[error("invalid node name {name:?}: {reason}")]
    InvalidName {
        /// The offending name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A name appears twice in a cluster.
    #[error("node name {name:?} appears twice in the cluster")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// A name or index that is not a member of the cluster.
    #[error("unknown node {name}")]
    UnknownNode {
        /// The name (or `#index`) asked for.
        name: String,
    },
    /// A configuration that cannot run (e.g. fewer than two nodes).
    #[error("invalid configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// A received message could not be decoded or does not fit this node's cluster.
    #[error("malformed message from {peer}: {reason}")]
    Malformed {
        /// Who sent it (a node name or a socket address).
        peer: String,
        /// What is wrong.
        reason: String,
    },
    /// A well-formed message whose differential stamp this node refused (lost, reordered,
    /// duplicated or from an unknown session): nothing was merged, nothing logged. Ask
    /// [`resync_required`](RuntimeError::resync_required) whether the sender must
    /// resynchronise (it calls [`Node::resync`](crate::Node::resync) for this node).
    #[error("message from {peer} refused: {refusal}")]
    Refused {
        /// The sender's name.
        peer: String,
        /// Why, as the clock says (with [`ResyncRequired::needs_resync`]).
        refusal: ResyncRequired,
    },
    /// A frame announces more bytes than the maximum frame size.
    #[error("frame of {len} bytes from {peer} exceeds the maximum of {max} bytes")]
    FrameTooLarge {
        /// Who sent it.
        peer: String,
        /// The announced length.
        len: u64,
        /// The configured maximum.
        max: usize,
    },
    /// A connection did not authenticate as a configured peer of this run.
    #[error("handshake from {peer} rejected: {reason}")]
    Handshake {
        /// The remote socket address (or claimed name).
        peer: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A node log file could not be read back (merging after a run).
    #[error("{path}:{line}: {reason}")]
    LogFormat {
        /// The log file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong, with the offending text.
        reason: String,
    },
    /// A host could not run its nodes (a thread panicked, a node process misbehaved).
    #[error("{reason}")]
    Host {
        /// What went wrong.
        reason: String,
    },
    /// An I/O operation failed. Displays the context only; the I/O error is the
    /// [`source`](std::error::Error::source) (so `{:#}` chains print each once).
    #[error("{context}")]
    Io {
        /// What was being done (with the file or address involved).
        context: String,
        /// The underlying error.
        source: io::Error,
    },
}

impl RuntimeError {
    /// The clock's refusal when this is [`Refused`](RuntimeError::Refused): `Some` with
    /// [`needs_resync`](ResyncRequired::needs_resync) telling whether the sender must
    /// resynchronise (false for a duplicate or superseded stamp).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use causet_runtime::{LogSink, Node, Roster};
    ///
    /// let roster = Arc::new(Roster::new(["alice", "bob"])?);
    /// let mut alice = Node::new(roster.clone(), "alice", LogSink::memory())?;
    /// let mut bob = Node::new(roster, "bob", LogSink::memory())?;
    /// let first = alice.prepare_send_fifo(1, "send", b"a")?;
    /// bob.unpack_receive("receive", &first)?;
    /// let err = bob.unpack_receive("receive again", &first).unwrap_err();
    /// let refusal = err.resync_required().expect("a refused stamp");
    /// assert!(!refusal.needs_resync()); // a duplicate: the channel is still in step
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resync_required(&self) -> Option<&ResyncRequired> {
        match self {
            RuntimeError::Refused { refusal, .. } => Some(refusal),
            _ => None,
        }
    }

    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        RuntimeError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        RuntimeError::Config {
            reason: reason.into(),
        }
    }
}
