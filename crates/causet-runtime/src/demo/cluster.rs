//! Running a whole demo cluster: configuration, the thread and task hosts, the outcome.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::driver::{Input, NodeReport, Outbox, Session, Timing};
use super::workload::Plan;
use crate::log::{LogFlush, LogSink};
use crate::node::{Node, Stamps};
use crate::{Mode, Roster, RuntimeError};

/// Where the nodes of a cluster log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Logs {
    /// One file per node, `DIR/NAME.log`.
    Dir {
        /// The directory (created if missing).
        dir: PathBuf,
        /// Flush per event or buffered.
        flush: LogFlush,
    },
    /// In memory ([`ClusterRun::memory_logs`]); not for process mode.
    Memory,
    /// Nowhere: clocks are still kept, events are not written.
    Discard,
}

impl Logs {
    /// The log file of `name` (for [`Logs::Dir`]).
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        match self {
            Logs::Dir { dir, .. } => Some(dir.join(format!("{name}.log"))),
            Logs::Memory | Logs::Discard => None,
        }
    }

    pub(crate) fn sink(&self, name: &str) -> Result<LogSink, RuntimeError> {
        match self {
            Logs::Dir { flush, .. } => {
                let path = self.path(name).unwrap_or_default();
                LogSink::file(&path, *flush)
            }
            Logs::Memory => Ok(LogSink::memory()),
            Logs::Discard => Ok(LogSink::discard()),
        }
    }

    pub(crate) fn prepare(&self) -> Result<(), RuntimeError> {
        if let Logs::Dir { dir, .. } = self {
            std::fs::create_dir_all(dir)
                .map_err(|err| RuntimeError::io(format!("cannot create {}", dir.display()), err))?;
        }
        Ok(())
    }
}

/// A demo cluster to run.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Workload, node count, messages, seed.
    pub plan: Plan,
    /// Timeouts and pacing.
    pub timing: Timing,
    /// Where the nodes log.
    pub logs: Logs,
    /// `false` runs the same workload and transport without clocks or logs (a baseline).
    pub instrumented: bool,
    /// Differential stamps on the (FIFO) channels, or full stamps.
    pub stamps: Stamps,
    /// Process mode: a flag that, once set (by a SIGTERM or SIGINT handler, say), stops the
    /// run: every node still running gets SIGTERM, and the run returns what they logged,
    /// with [`ClusterRun::interrupted`] set. `None` (the default): nothing stops a run.
    pub stop: Option<Arc<AtomicBool>>,
    /// Process mode: how much longer than the receive timeout the launcher waits with no
    /// sign of life from any node (no line printed, no log grown) before it kills the
    /// stragglers as hung. Default 5 s.
    pub watchdog_grace: Duration,
}

impl ClusterConfig {
    /// A cluster running `plan` with default timing, logging to `logs`.
    pub fn new(plan: Plan, logs: Logs) -> Self {
        ClusterConfig {
            plan,
            timing: Timing::default(),
            logs,
            instrumented: true,
            stamps: Stamps::Differential,
            stop: None,
            watchdog_grace: Duration::from_secs(5),
        }
    }

    pub(crate) fn node(&self, roster: &Arc<Roster>, index: usize) -> Result<Node, RuntimeError> {
        let name = roster.name(index).unwrap_or("?");
        let node =
            Node::with_index_and_stamps(roster.clone(), index, self.logs.sink(name)?, self.stamps)?;
        Ok(if self.instrumented {
            node
        } else {
            node.uninstrumented()
        })
    }
}

/// A node to kill during a process-mode run (`--kill NODE@WHEN[+restart]`), and whether
/// the launcher restarts it.
///
/// - `node2@150` (or `node2@150ms`): the launcher sends SIGKILL 150 ms after the `go` of
///   the run (or of the node's latest incarnation, for a repeated kill).
/// - `node2@500ev`: the node dies by SIGKILL right after its log holds 500 events (it
///   kills itself, so the point is exact whatever the machine's load: for tests).
/// - `+restart`: once dead, the node is started again. It resumes from its own log (its
///   clock and event count, its workload's progress: see [`crate::Node::resume`]) on the
///   same address, and appends to the same log.
/// - `every` before the number (`node2@every2000+restart`, `node2@every500ev+restart`):
///   each incarnation is killed again after that long, or that many more events, until
///   the node finishes or only nodes under repeated kills are still running (then they
///   are left alone, so that one waiting for messages lost with an earlier incarnation
///   reaches its receive timeout and the run ends). Needs `+restart`.
///
/// Messages in flight to a node when it dies are lost (their send events are logged, their
/// receives never happen); the receivers that wait for them give up after the receive
/// timeout. A gossip goes on through restarts; a ring, ping or broadcast whose token or
/// round was lost stalls until that timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kill {
    /// The node's name.
    pub node: String,
    /// When (for a time kill), from the `go` of the run or of the node's incarnation.
    pub after: Duration,
    /// For a count kill: after how many events of the node's log (`Nev`); then `after` is 0.
    pub events: Option<u64>,
    /// Start the node again once it died.
    pub restart: bool,
    /// Kill each incarnation again (`every`): after `after`, or `events` more events.
    pub repeat: bool,
}

impl Kill {
    /// A kill of `node` `after` the start of the run, without restart.
    pub fn at(node: &str, after: Duration) -> Kill {
        Kill {
            node: node.to_string(),
            after,
            events: None,
            restart: false,
            repeat: false,
        }
    }
}

impl std::fmt::Display for Kill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let every = if self.repeat { "every" } else { "" };
        match self.events {
            Some(events) => write!(f, "{}@{every}{events}ev", self.node)?,
            None => write!(f, "{}@{every}{}", self.node, self.after.as_millis())?,
        }
        if self.restart {
            f.write_str("+restart")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Kill {
    type Err = RuntimeError;
    /// Parses `NODE@[every]N[ms|ev][+restart]`, e.g. `node2@150`, `node3@500ev+restart`.
    fn from_str(s: &str) -> Result<Self, RuntimeError> {
        let expected = "expected NODE@MS, NODE@Nev, optionally +restart and `every` before \
                        the number (e.g. node2@150, node3@500ev+restart, node3@every2000+restart)";
        let (node, when) = s
            .split_once('@')
            .ok_or_else(|| RuntimeError::config(format!("--kill {s:?}: {expected}")))?;
        crate::roster::validate_name(node)?;
        let (when, restart) = match when.strip_suffix("+restart") {
            Some(when) => (when, true),
            None => (when, false),
        };
        let (when, repeat) = match when.strip_prefix("every") {
            Some(when) => (when, true),
            None => (when, false),
        };
        let (number, events) = if let Some(n) = when.strip_suffix("ev") {
            (n, true)
        } else {
            (when.strip_suffix("ms").unwrap_or(when), false)
        };
        let value: u64 = number.parse().map_err(|_| {
            RuntimeError::config(format!(
                "--kill {s:?}: {when:?} is not a number of milliseconds or events ({expected})"
            ))
        })?;
        if repeat && !restart {
            return Err(RuntimeError::config(format!(
                "--kill {s:?}: `every` kills each incarnation again, so it needs +restart"
            )));
        }
        if (events || repeat) && value == 0 {
            return Err(RuntimeError::config(format!(
                "--kill {s:?}: the count or period must be at least 1"
            )));
        }
        Ok(Kill {
            node: node.to_string(),
            after: if events {
                Duration::ZERO
            } else {
                Duration::from_millis(value)
            },
            events: events.then_some(value),
            restart,
            repeat,
        })
    }
}

/// What a cluster run produced.
#[derive(Debug, Clone)]
pub struct ClusterRun {
    /// The hosting mode.
    pub mode: Mode,
    /// One report per node, in clock-index order.
    pub nodes: Vec<NodeReport>,
    /// The node log files (for [`Logs::Dir`]).
    pub log_files: Vec<PathBuf>,
    /// The node logs (for [`Logs::Memory`]).
    pub memory_logs: Vec<Vec<u8>>,
    /// From the start of the first node to the end of the last.
    pub elapsed: Duration,
    /// Process mode: from spawning the processes to all of them listening.
    pub startup: Option<Duration>,
    /// Heap bytes of the nodes' clocks and stamp state at the end (memory accounting).
    pub clock_heap_bytes: usize,
    /// Process mode: the kills whose time had not come when the run ended (they never fired).
    pub unfired_kills: Vec<Kill>,
    /// Process mode: the run was stopped through [`ClusterConfig::stop`].
    pub interrupted: bool,
}

impl ClusterRun {
    /// Events logged by all nodes.
    pub fn events(&self) -> u64 {
        self.nodes.iter().map(|n| n.events).sum()
    }

    /// Messages sent by all nodes.
    pub fn messages(&self) -> u64 {
        self.nodes.iter().map(|n| n.sent).sum()
    }

    /// Whether every node finished its workload.
    pub fn is_complete(&self) -> bool {
        self.nodes
            .iter()
            .all(|n| n.status == super::NodeStatus::Finished)
    }
}

/// Channels between in-process nodes (FIFO per sender and receiver).
struct ChannelOutbox<S> {
    senders: Arc<Vec<S>>,
}

impl Outbox for ChannelOutbox<mpsc::Sender<Vec<u8>>> {
    fn is_fifo(&self) -> bool {
        true
    }
    fn send(&mut self, to: usize, bytes: Vec<u8>) -> Result<(), String> {
        let sender = self.senders.get(to).ok_or("no such node")?;
        sender.send(bytes).map_err(|_| "receiver gone".to_string())
    }
}

impl Outbox for ChannelOutbox<tokio::sync::mpsc::UnboundedSender<Vec<u8>>> {
    fn is_fifo(&self) -> bool {
        true
    }
    fn send(&mut self, to: usize, bytes: Vec<u8>) -> Result<(), String> {
        let sender = self.senders.get(to).ok_or("no such node")?;
        sender.send(bytes).map_err(|_| "receiver gone".to_string())
    }
}

type Finished = (NodeReport, Vec<u8>, usize);

fn finish(session: Session) -> Result<Finished, RuntimeError> {
    let (report, node) = session.finish()?;
    let heap = node.clock_heap_bytes();
    Ok((report, node.into_log().into_memory(), heap))
}

fn collect(
    mode: Mode,
    config: &ClusterConfig,
    roster: &Roster,
    finished: Vec<Finished>,
    elapsed: Duration,
) -> ClusterRun {
    let mut run = ClusterRun {
        mode,
        nodes: Vec::with_capacity(finished.len()),
        log_files: roster
            .names()
            .iter()
            .filter_map(|name| config.logs.path(name))
            .collect(),
        memory_logs: Vec::new(),
        elapsed,
        unfired_kills: Vec::new(),
        interrupted: false,
        startup: None,
        clock_heap_bytes: 0,
    };
    for (report, log, heap) in finished {
        run.nodes.push(report);
        if config.logs == Logs::Memory {
            run.memory_logs.push(log);
        }
        run.clock_heap_bytes += heap;
    }
    run
}

/// Runs the cluster with each node on its own OS thread, channels between them (at most
/// [`MAX_THREADS`] nodes).
///
/// ```
/// use causet_runtime::demo::{run_threads, ClusterConfig, Logs, Plan, Workload};
///
/// let plan = Plan::new(Workload::Ring, 3, 2, 7)?;
/// let run = run_threads(&ClusterConfig::new(plan, Logs::Memory))?;
/// assert!(run.is_complete());
/// assert_eq!(run.messages(), 6);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_threads(config: &ClusterConfig) -> Result<ClusterRun, RuntimeError> {
    let n = config.plan.nodes();
    if n > MAX_THREADS {
        return Err(RuntimeError::config(format!(
            "thread mode runs at most {MAX_THREADS} nodes, not {n} (task mode runs more)"
        )));
    }
    config.logs.prepare()?;
    let roster = Arc::new(Roster::numbered(n));
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n).map(|_| mpsc::channel()).unzip();
    let senders = Arc::new(senders);
    let mut sessions = Vec::with_capacity(n);
    for (index, receiver) in receivers.into_iter().enumerate() {
        let node = config.node(&roster, index)?;
        sessions.push((
            Session::new(node, config.plan.program(index), config.timing),
            receiver,
        ));
    }
    let started = Instant::now();
    let mut handles = Vec::with_capacity(n);
    for (index, (mut session, receiver)) in sessions.into_iter().enumerate() {
        let mut outbox = ChannelOutbox {
            senders: senders.clone(),
        };
        let handle = std::thread::Builder::new()
            .name(format!("node{index}"))
            .spawn(move || -> Result<Finished, RuntimeError> {
                session.start(&mut outbox)?;
                while let Some(wait) = session.next_wait() {
                    let input = match receiver.try_recv() {
                        Ok(bytes) => Input::Message(bytes),
                        Err(mpsc::TryRecvError::Disconnected) => Input::Closed,
                        Err(mpsc::TryRecvError::Empty) if wait.is_zero() => Input::Timeout,
                        Err(mpsc::TryRecvError::Empty) => match receiver.recv_timeout(wait) {
                            Ok(bytes) => Input::Message(bytes),
                            Err(mpsc::RecvTimeoutError::Timeout) => Input::Timeout,
                            Err(mpsc::RecvTimeoutError::Disconnected) => Input::Closed,
                        },
                    };
                    session.handle(input, &mut outbox)?;
                }
                drop(outbox);
                finish(session)
            })
            .map_err(|err| RuntimeError::io("cannot start a node thread", err))?;
        handles.push(handle);
    }
    drop(senders);
    let mut finished = Vec::with_capacity(n);
    let mut first_error = None;
    for (index, handle) in handles.into_iter().enumerate() {
        match handle.join() {
            Ok(Ok(done)) => finished.push(done),
            Ok(Err(err)) => {
                first_error.get_or_insert(err);
            }
            Err(_) => {
                first_error.get_or_insert(RuntimeError::Host {
                    reason: format!("the thread of node{index} panicked"),
                });
            }
        }
    }
    if let Some(err) = first_error {
        return Err(err);
    }
    Ok(collect(
        Mode::Thread,
        config,
        &roster,
        finished,
        started.elapsed(),
    ))
}

/// Runs the cluster with each node a tokio task on a multi-threaded runtime of `workers`
/// threads (0: one per core), channels between them. Thousands of nodes fit in one process.
///
/// With [`Logs::Dir`] and more than [`MAX_OPEN_LOGS`] nodes, one open file per node could
/// exceed the process's file limit, so the nodes log to memory and each log is written to
/// its file when the run ends (not flushed per event: all tasks share one process anyway,
/// so a crash loses them all alike).
///
/// ```
/// use causet_runtime::demo::{run_tasks, ClusterConfig, Logs, Plan, Workload};
///
/// let plan = Plan::new(Workload::Broadcast, 5, 2, 7)?;
/// let run = run_tasks(&ClusterConfig::new(plan, Logs::Discard), 2)?;
/// assert!(run.is_complete());
/// assert_eq!(run.messages(), 16);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_tasks(config: &ClusterConfig, workers: usize) -> Result<ClusterRun, RuntimeError> {
    config.logs.prepare()?;
    let n = config.plan.nodes();
    let roster = Arc::new(Roster::numbered(n));
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if workers > 0 {
        builder.worker_threads(workers);
    }
    let runtime = builder
        .enable_time()
        .build()
        .map_err(|err| RuntimeError::io("cannot start the tokio runtime", err))?;
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n)
        .map(|_| tokio::sync::mpsc::unbounded_channel())
        .unzip();
    let senders = Arc::new(senders);
    let spill = matches!(config.logs, Logs::Dir { .. }) && n > MAX_OPEN_LOGS;
    let node_config = if spill {
        ClusterConfig {
            logs: Logs::Memory,
            ..config.clone()
        }
    } else {
        config.clone()
    };
    let mut sessions = Vec::with_capacity(n);
    for (index, receiver) in receivers.into_iter().enumerate() {
        let node = node_config.node(&roster, index)?;
        sessions.push((
            Session::new(node, config.plan.program(index), config.timing),
            receiver,
        ));
    }
    let started = Instant::now();
    let results = runtime.block_on(async move {
        let mut handles = Vec::with_capacity(n);
        for (mut session, mut receiver) in sessions {
            let mut outbox = ChannelOutbox {
                senders: senders.clone(),
            };
            handles.push(tokio::spawn(async move {
                session.start(&mut outbox)?;
                while let Some(wait) = session.next_wait() {
                    use tokio::sync::mpsc::error::TryRecvError;
                    let input = match receiver.try_recv() {
                        Ok(bytes) => Input::Message(bytes),
                        Err(TryRecvError::Disconnected) => Input::Closed,
                        Err(TryRecvError::Empty) if wait.is_zero() => {
                            // Let the other tasks run before sending again.
                            tokio::task::yield_now().await;
                            Input::Timeout
                        }
                        Err(TryRecvError::Empty) => {
                            match tokio::time::timeout(wait, receiver.recv()).await {
                                Ok(Some(bytes)) => Input::Message(bytes),
                                Ok(None) => Input::Closed,
                                Err(_) => Input::Timeout,
                            }
                        }
                    };
                    session.handle(input, &mut outbox)?;
                }
                drop(outbox);
                finish(session)
            }));
        }
        drop(senders);
        let mut results = Vec::with_capacity(n);
        for handle in handles {
            results.push(handle.await);
        }
        results
    });
    let elapsed = started.elapsed();
    let mut finished = Vec::with_capacity(n);
    for (index, result) in results.into_iter().enumerate() {
        match result {
            Ok(Ok(done)) => finished.push(done),
            Ok(Err(err)) => return Err(err),
            Err(_) => {
                return Err(RuntimeError::Host {
                    reason: format!("the task of node{index} panicked"),
                });
            }
        }
    }
    if spill {
        for ((_, log, _), name) in finished.iter_mut().zip(roster.names()) {
            let path = config.logs.path(name).unwrap_or_default();
            std::fs::write(&path, std::mem::take(log))
                .map_err(|err| RuntimeError::io(format!("cannot write {}", path.display()), err))?;
        }
    }
    Ok(collect(Mode::Task, config, &roster, finished, elapsed))
}

/// Most nodes [`run_threads`] starts (one OS thread each).
pub const MAX_THREADS: usize = 2_048;

/// Most per-node log files a task-mode run keeps open at once (see [`run_tasks`]).
pub const MAX_OPEN_LOGS: usize = 512;

/// The merged log's file name inside the output directory.
pub const MERGED_LOG: &str = "causet.log";

/// Merges a run's node log files into `DIR/causet.log` (see [`crate::merge_logs`]).
pub fn merge_run_logs(run: &ClusterRun, dir: &Path) -> Result<crate::MergeSummary, RuntimeError> {
    crate::merge_logs(&run.log_files, &dir.join(MERGED_LOG))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_specs_parse_and_print_back() {
        for (spec, events, after, restart, repeat) in [
            ("node2@150", None, 150, false, false),
            ("node2@500ev", Some(500), 0, false, false),
            ("node3@500ev+restart", Some(500), 0, true, false),
            ("node3@every2000+restart", None, 2000, true, true),
            ("node3@every40ev+restart", Some(40), 0, true, true),
        ] {
            let kill: Kill = spec.parse().unwrap();
            assert_eq!(kill.events, events, "{spec}");
            assert_eq!(kill.after, Duration::from_millis(after), "{spec}");
            assert_eq!((kill.restart, kill.repeat), (restart, repeat), "{spec}");
            assert_eq!(kill.to_string(), spec);
        }
        assert_eq!(
            "node1@20ms".parse::<Kill>().unwrap(),
            Kill::at("node1", Duration::from_millis(20))
        );
        for bad in [
            "node1",
            "node1@",
            "node1@x",
            "node1@every5",
            "node1@0ev",
            "@5",
            "node1@5+again",
        ] {
            assert!(bad.parse::<Kill>().is_err(), "{bad}");
        }
    }
}
