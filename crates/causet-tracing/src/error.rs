//! Errors of open-membership nodes and of stamp propagation.

use std::io;

use thiserror::Error;

use crate::StampError;

/// Why a node operation failed.
///
/// Bad input from the network (a malformed, oversized or forged stamp) is an error value,
/// never a panic; the middleware logs it as a field of the event and goes on.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TraceError {
    /// A node name that a GoVector log line cannot carry.
    #[error("invalid node name {name:?}: {reason}")]
    InvalidName {
        /// The name (at most 80 characters of it).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A carried stamp could not be decoded or is not acceptable as a stamp.
    #[error("bad stamp: {0}")]
    Stamp(#[from] StampError),
    /// A well-formed stamp that this node refuses: it claims events of this node that
    /// never happened, or would grow the clock past its bound.
    #[error("stamp refused by node {node}: {reason}")]
    Refused {
        /// The receiving node.
        node: String,
        /// Why.
        reason: String,
    },
    /// No node is current (outside every [`NodeHandle::scope`](crate::NodeHandle::scope),
    /// [`NodeHandle::enter`](crate::NodeHandle::enter) and node span).
    #[error("no causet node is current in this task")]
    NoCurrentNode,
    /// An error of causet-runtime (merging logs).
    #[error(transparent)]
    Runtime(causet_runtime::RuntimeError),
    /// An I/O operation failed. Displays the context only; the I/O error is the
    /// [`source`](std::error::Error::source).
    #[error("{context}")]
    Io {
        /// What was being done (with the file involved).
        context: String,
        /// The underlying error.
        source: io::Error,
    },
}

impl TraceError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        TraceError::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<causet_runtime::RuntimeError> for TraceError {
    fn from(err: causet_runtime::RuntimeError) -> Self {
        match err {
            causet_runtime::RuntimeError::InvalidName { name, reason } => {
                TraceError::InvalidName { name, reason }
            }
            other => TraceError::Runtime(other),
        }
    }
}
