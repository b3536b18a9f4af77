//! Two protocols written as [`Actor`](causet_runtime::Actor)s, each small and correct,
//! each with a seeded bug behind a flag, and each with its properties as an
//! [`Explorer`](crate::Explorer): what `causet explore --example kv|mutex` runs.
//!
//! ```
//! use causet_explore::examples::{kv, mutex};
//!
//! // Correct: every execution of 3 replicas (two writers, two writes each) is clean.
//! let report = kv::explorer(3, 2, false).dpor()?;
//! assert!(report.violation.is_none() && report.stats.complete);
//! // The seeded bug is found, and its schedule replays to the same violation.
//! let bug = kv::explorer(3, 2, true);
//! let violation = bug.dpor()?.violation.expect("a lost write");
//! assert_eq!(violation.property, "no write is lost");
//! assert_eq!(bug.replay(&violation.schedule)?.violation, Some(violation));
//!
//! assert!(mutex::explorer(3, 1, false).dpor()?.violation.is_none());
//! let violation = mutex::explorer(3, 1, true).dpor()?.violation.expect("two in the section");
//! assert_eq!(violation.property, "mutual exclusion");
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod kv;
pub mod mutex;
