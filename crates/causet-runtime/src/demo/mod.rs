//! The demo cluster behind `causet run`: built-in workloads as sans-IO state machines, and
//! hosts that run them in every execution mode.
//!
//! - [`Plan`] and [`Program`]: the demo workloads (`ping`, `gossip`, `ring`, `broadcast`)
//!   as sans-IO state machines, so one node code runs in every execution mode.
//! - Hosts, one per [`Mode`]: [`run_processes`] (each node an OS process, the `causet node`
//!   command, TCP on 127.0.0.1: own memory, own log file), [`run_threads`] (OS threads and
//!   channels), [`run_tasks`] (tokio tasks and channels; thousands of nodes), and
//!   [`run_tcp_node`] for one node over TCP (a cluster started by hand).
//!
//! Termination is deterministic: every node knows from the [`Plan`] how many messages it
//! will receive, and gives up after [`Timing::receive_timeout`] without any message (a
//! peer died), logging that it did. Bad input from the network (garbage, oversized frames,
//! wrong tokens, forged stamps) is reported in the [`NodeReport`], never a panic.
//!
//! ```
//! use causet_runtime::demo::{run_threads, ClusterConfig, Logs, Plan, Workload};
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

mod cluster;
mod driver;
mod process;
mod tcp;
mod workload;

/// The host modes, here too for the demo hosts' callers.
pub use crate::Mode;
pub use cluster::{
    ClusterConfig, ClusterRun, Kill, Logs, MAX_OPEN_LOGS, MAX_THREADS, MERGED_LOG, merge_run_logs,
    run_tasks, run_threads,
};
pub use driver::{NodeReport, NodeStatus, Timing};
pub use process::{ControlledNode, MAX_PROCESSES, control_args, run_processes, serve_controlled};
pub use tcp::{TcpNode, run_tcp_node};
pub use workload::{Action, Plan, Program, Workload};
