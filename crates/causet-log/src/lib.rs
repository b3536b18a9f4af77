//! Reading GoVector/ShiViz logs; checking them against ShiViz's rules, order queries,
//! inferred messages and exact concurrent-pair counts.
//!
//! A log holds events, each logged by a node with its vector clock. The default layout is
//! GoVector's: a line `node {clock JSON}`, then a line with the event's text:
//!
//! ```text
//! alice {"alice":2, "bob":1}
//! Received ping 1
//! ```
//!
//! Any ShiViz layout can be read with a parser regex ([`ReadOptions::regex`]), and ShiViz
//! upload files (first line the regex, second the multi-execution delimiter) are recognised
//! by themselves. [`read_log`] gives a [`Log`] of [`Execution`]s; each execution keeps its
//! node names in a fixed order and every event's clock ([`Clock`]) indexed by that order,
//! stored in proportion to what the log holds ([`ClockTable`]).
//!
//! ```
//! use causet_clock::Causality;
//! use causet_log::{analyze, parse_log, CheckOptions, ReadOptions};
//!
//! let text = "\
//! alice {\"alice\":1}
//! Sending ping
//! bob {\"bob\":1}
//! Starting
//! bob {\"alice\":1, \"bob\":2}
//! Received ping
//! ";
//! let log = parse_log(text.as_bytes(), &ReadOptions::default())?;
//! let execution = &log.executions[0];
//! execution.check(&CheckOptions::default())?;
//! assert_eq!(execution.order_ids("alice:1", "bob:2")?, Causality::Before);
//! assert_eq!(execution.order_ids("alice:1", "bob:1")?, Causality::Concurrent);
//! assert_eq!(execution.messages(), [(0, 2)]); // alice:1 → bob:2
//! let summary = analyze(execution);
//! assert_eq!((summary.events, summary.messages, summary.concurrent_pairs), (3, 1, 1));
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Text that matches no entry is never dropped silently: it is listed in
//! [`Log::unmatched`] (or is an error with [`ReadOptions::strict`]).

#![deny(missing_docs)]

mod analyze;
mod check;
mod clock_json;
mod error;
mod generate;
mod model;
mod order;
mod progress;
mod reader;
mod shiviz;

pub use analyze::{
    STAMP_REPLAY_FLOOR, StampBytes, Summary, analyze, stamp_bytes, stamp_replay_budget,
    stamp_replay_bytes,
};
pub use check::{CheckOptions, Violation, ViolationKind};
pub use clock_json::parse_clock_json;
pub use error::{ClockJsonError, ClockJsonErrorKind, LogError, LogErrorKind};
pub use generate::{
    GenerateOptions, Generated, GeneratedEvent, GeneratedKind, generate, generate_log, write_log,
};
pub use model::{
    Clock, ClockTable, Event, EventId, EventIdError, Execution, Log, MAX_NODES, Unmatched,
};
#[doc(hidden)]
pub use model::{ClockStorage, set_clock_storage};
pub use order::OrderError;
pub use progress::Progress;
pub use reader::{
    GOVECTOR_REGEX, MAX_LINE, ReadOptions, SHIVIZ_DEFAULT_REGEX, parse_log, read_log,
    read_log_with_progress,
};
pub use shiviz::translate_js_regex;
