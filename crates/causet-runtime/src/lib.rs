//! Instrument message-passing programs with vector clocks, the way GoVector does for Go:
//! stamp on send, merge on receive, log every event in the GoVector/ShiViz format.
//!
//! # The pieces
//!
//! - [`Node`]: one node's clock and log. [`Node::prepare_send`] ticks, logs and stamps,
//!   [`Node::unpack_receive`] merges, ticks and logs, [`Node::log_local`] ticks and logs.
//!   Stamps are differential ([`causet_clock::differential`]) on FIFO channels and whole
//!   clocks elsewhere ([`Stamps`]).
//! - [`Plan`] and [`Program`]: the demo workloads (`ping`, `gossip`, `ring`, `broadcast`)
//!   as sans-IO state machines, so one node code runs in every execution mode.
//! - Hosts, one per [`Mode`]: [`run_processes`] (each node an OS process, the `causet node`
//!   command, TCP on 127.0.0.1: own memory, own log file), [`run_threads`] (OS threads and
//!   channels), [`run_tasks`] (tokio tasks and channels; thousands of nodes), and
//!   [`run_tcp_node`] for one node over TCP (a cluster started by hand).
//! - Logs: one file per node ([`LogSink`], flushed per event unless
//!   [`LogFlush::Buffered`]), merged after the run by [`merge_logs`] in an order that puts
//!   every send before its receive.
//!
//! Termination is deterministic: every node knows from the [`Plan`] how many messages it
//! will receive, and gives up after [`Timing::receive_timeout`] without any message (a
//! peer died), logging that it did. Bad input from the network (garbage, oversized frames,
//! wrong tokens, forged stamps) is reported in the [`NodeReport`], never a panic.
//!
//! ```
//! use causet_runtime::{run_threads, ClusterConfig, Logs, Plan, Workload};
//!
//! let plan = Plan::new(Workload::Ping, 2, 2, 1)?;
//! let run = run_threads(&ClusterConfig::new(plan, Logs::Memory))?;
//! let log = String::from_utf8(run.memory_logs[0].clone())?;
//! // node0: start, send ping 1, receive pong 1, send ping 2, receive pong 2, done.
//! assert_eq!(log.lines().count(), 12);
//! assert!(log.starts_with("node0 {\"node0\":1}\nstart\nnode0 {\"node0\":2}\nsend ping 1 to node1\n"));
//! // node1 logged start, receive ping 1, send pong 1 before node0 received the pong.
//! assert!(log.contains("node0 {\"node0\":3, \"node1\":3}\nreceive pong 1 from node1\n"));
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod cluster;
mod driver;
mod error;
mod log;
mod node;
mod process;
mod roster;
mod tcp;
mod varint;
mod workload;

pub use cluster::{
    ClusterConfig, ClusterRun, Logs, MAX_OPEN_LOGS, MAX_THREADS, MERGED_LOG, Mode, merge_run_logs,
    run_tasks, run_threads,
};
pub use driver::{NodeReport, NodeStatus, Timing};
pub use error::RuntimeError;
pub use log::{LogFlush, LogSink, LoggedEvent, MergeSummary, NodeLog, merge_logs, read_node_log};
pub use node::{Incoming, Node, NodeStats, Priority, Stamps};
pub use process::{
    ControlledNode, Kill, MAX_PROCESSES, control_args, run_processes, serve_controlled,
};
pub use roster::{MAX_NAME_LEN, Roster, validate_name};
pub use tcp::{DEFAULT_MAX_FRAME, Frame, FrameReader, Hello, TcpNode, run_tcp_node, write_frame};
pub use workload::{Action, Plan, Program, Workload};
