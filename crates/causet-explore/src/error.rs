//! What can go wrong when exploring or replaying.

use crate::message_id::MessageId;

/// An error of the explorer (not a violation of the user's properties: those are
/// [`Violation`](crate::Violation)s).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExploreError {
    /// A schedule's text is malformed.
    #[error("schedule, step {position}: {reason}")]
    Schedule {
        /// The 1-based step the problem is at.
        position: usize,
        /// What is wrong.
        reason: String,
    },
    /// A replayed schedule delivers a message that is not in flight at that point (not
    /// sent yet, already delivered, or never sent): the schedule is not of these nodes.
    #[error("schedule, step {position}: message {message} is not in flight there")]
    NotInFlight {
        /// The 1-based step.
        position: usize,
        /// The message it names.
        message: MessageId,
    },
    /// The node code did something different when re-run on the same inputs: it is not
    /// deterministic (it reads a clock, a global, or randomness it was not seeded with).
    #[error(
        "the node code is not deterministic: re-running step {position} found message \
         {message} not in flight"
    )]
    Nondeterministic {
        /// The 1-based step.
        position: usize,
        /// The message expected.
        message: MessageId,
    },
    /// The set of nodes is unusable (none, too many, bad names).
    #[error("nodes: {0}")]
    Nodes(String),
    /// Writing the counterexample's log failed.
    #[error(transparent)]
    Log(#[from] causet_runtime::RuntimeError),
}
