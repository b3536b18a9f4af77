//! Instrument message-passing programs with vector clocks, the way GoVector does for Go:
//! stamp on send, merge on receive, log every event in the GoVector/ShiViz format.
//!
//! # The core: a node
//!
//! - [`Node`]: one node's clock and log. [`Node::prepare_send`] ticks, logs and stamps,
//!   [`Node::unpack_receive`] merges, ticks and logs, [`Node::log_local`] ticks and logs.
//!   Stamps are differential ([`causet_clock::differential`]) on FIFO channels and whole
//!   clocks elsewhere ([`Stamps`]).
//! - [`Roster`]: the nodes' names, which fix the clock's entries.
//! - Logs: one file per node ([`LogSink`], flushed per event unless
//!   [`LogFlush::Buffered`]), merged after the run by [`merge_logs`] in an order that puts
//!   every send before its receive.
//! - [`frame`]: the length-prefixed frames and handshake nodes speak over TCP.
//!
//! ```
//! use std::sync::Arc;
//! use causet_runtime::{LogSink, Node, Roster};
//!
//! let roster = Arc::new(Roster::new(["alice", "bob"])?);
//! let mut alice = Node::new(roster.clone(), "alice", LogSink::memory())?;
//! let mut bob = Node::new(roster, "bob", LogSink::memory())?;
//! let bytes = alice.prepare_send("send hello", b"hello")?; // put these bytes on your wire
//! assert_eq!(bob.unpack_receive("receive hello", &bytes)?, b"hello");
//! let log = String::from_utf8(bob.into_log().into_memory())?;
//! assert_eq!(log, "bob {\"alice\":1, \"bob\":1}\nreceive hello\n");
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Your node code
//!
//! [`Actor`]: a node as a sans-IO state machine (start, message, timer in; sends and local
//! events out through a [`Context`]). The explorer (`causet-explore`) runs actors under a
//! scheduler that tries every causally different order of deliveries; [`Host`] runs the
//! same actors as OS processes over loopback TCP, OS threads or tokio tasks
//! ([`host_processes`], [`host_threads`], [`host_tasks`]; `--mode process|thread|task`),
//! each event logged by a [`Node`].
//!
//! # The demo cluster
//!
//! [`demo`] runs the built-in workloads (`ping`, `gossip`, `ring`, `broadcast`) in every
//! execution mode: OS processes over TCP, OS threads, tokio tasks. It is what `causet run`
//! starts, and an example of hosting node code.
#![deny(missing_docs)]

mod actor;
pub mod demo;
mod error;
pub mod frame;
mod host;
mod log;
mod mode;
mod node;
mod orphan;
mod roster;
mod varint;

pub use actor::{Actor, Context, Effect};
pub use error::RuntimeError;
pub use host::process::MAX_NODE_PROCESSES;
pub use host::{Host, Hosted, host_processes, host_tasks, host_threads, serve_node_process};
pub use log::{LogFlush, LogSink, LoggedEvent, MergeSummary, NodeLog, merge_logs, read_node_log};
pub use mode::Mode;
pub use node::{Incoming, Node, NodeStats, Priority, Stamps};
pub use roster::{MAX_NAME_LEN, Roster, validate_name};
