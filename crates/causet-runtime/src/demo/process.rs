//! Process mode: `causet run` starts each node as its own OS process (`causet node
//! --control`) and steers it over its standard input and output.
//!
//! # Control protocol (one line each)
//!
//! The node binds `127.0.0.1:0` and prints `listening ADDRESS`. The launcher, once every
//! node listens, writes `token TOKEN`, one `peer NAME ADDRESS` per other node, and `go`.
//! The node runs its workload and prints `report JSON` (a [`NodeReport`]). The token travels
//! on the pipe, not the command line, so other users cannot read it from the process list.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rand::Rng;

use super::cluster::{ClusterConfig, ClusterRun, Kill, Logs, Mode};
use super::driver::{NodeReport, NodeStatus, Timing};
use super::tcp::{TcpNode, run_tcp_node};
use super::workload::Plan;
use crate::frame::DEFAULT_MAX_FRAME;
use crate::log::{LogFlush, LogSink, logged_counts};
use crate::node::Stamps;
use crate::{Roster, RuntimeError};

/// Most nodes [`run_processes`] starts (one OS process each, with a thread per connection).
pub const MAX_PROCESSES: usize = 256;

/// The `causet node` arguments that run node `name` of `config` under control.
pub fn control_args(config: &ClusterConfig, name: &str, log: &Path) -> Vec<String> {
    let plan = &config.plan;
    let mut args = vec![
        "node".to_string(),
        "--control".into(),
        "--name".into(),
        name.into(),
        "--workload".into(),
        plan.workload().name().into(),
        "--messages".into(),
        plan.messages().to_string(),
        "--seed".into(),
        plan.seed().to_string(),
        "--log".into(),
        log.display().to_string(),
        "--pace-ms".into(),
        config.timing.pace.as_millis().to_string(),
        "--timeout-ms".into(),
        config.timing.receive_timeout.as_millis().to_string(),
    ];
    if let Logs::Dir {
        flush: LogFlush::Buffered,
        ..
    } = config.logs
    {
        args.push("--buffered".into());
    }
    if config.stamps == Stamps::Full {
        args.push("--full-stamps".into());
    }
    args
}

enum Line {
    Text(usize, String),
    End(usize),
}

struct Member {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    address: Option<SocketAddr>,
    report: Option<NodeReport>,
    killed: bool,
    /// Sent SIGTERM because the run was stopped ([`ClusterConfig::stop`]).
    stopped: bool,
    ended: bool,
}

/// Runs the cluster as OS processes: `program` (the `causet` binary) is started once per
/// node with [`control_args`] (at most [`MAX_PROCESSES`]). Logs must go to a directory.
///
/// `kills` are carried out with `Child::kill` (SIGKILL); the report of a killed node has
/// status [`NodeStatus::Killed`]. The run never hangs: a node that neither reports nor
/// exits within the receive timeout (plus a grace period) after the last sign of life of
/// the cluster (a line printed, or a log file grown) is killed and reported as crashed.
pub fn run_processes(
    config: &ClusterConfig,
    program: &Path,
    kills: &[Kill],
) -> Result<ClusterRun, RuntimeError> {
    let Logs::Dir { .. } = &config.logs else {
        return Err(RuntimeError::config("process mode logs to a directory"));
    };
    let n = config.plan.nodes();
    if n > MAX_PROCESSES {
        return Err(RuntimeError::config(format!(
            "process mode starts at most {MAX_PROCESSES} processes, not {n} (task mode runs more)"
        )));
    }
    config.logs.prepare()?;
    let roster = Roster::numbered(n);
    for kill in kills {
        if roster.index(&kill.node).is_none() {
            return Err(RuntimeError::config(format!(
                "--kill {}: no such node (nodes are node0 to node{})",
                kill.node,
                n - 1
            )));
        }
    }
    let token = format!("{:032x}", rand::rng().random::<u128>());
    let (lines, receiver) = mpsc::channel::<Line>();
    let spawned = Instant::now();
    let mut members: Vec<Member> = Vec::with_capacity(n);
    let mut log_files = Vec::with_capacity(n);
    for (index, name) in roster.names().iter().enumerate() {
        let log = config.logs.path(name).unwrap_or_default();
        let started = Command::new(program)
            .args(control_args(config, name, &log))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn();
        let mut child = match started {
            Ok(child) => child,
            Err(err) => {
                kill_all(&mut members);
                return Err(RuntimeError::io(
                    format!("cannot start {} for {name}", program.display()),
                    err,
                ));
            }
        };
        let stdout = child.stdout.take();
        let stdin = child.stdin.take();
        let lines = lines.clone();
        if let Some(stdout) = stdout {
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if lines.send(Line::Text(index, line)).is_err() {
                        return;
                    }
                }
                let _ = lines.send(Line::End(index));
            });
        }
        log_files.push(log);
        members.push(Member {
            name: name.clone(),
            child,
            stdin,
            address: None,
            report: None,
            killed: false,
            stopped: false,
            ended: false,
        });
    }
    drop(lines);

    // Start-up: every node listening.
    let startup_deadline = Instant::now() + Duration::from_secs(10) + config.timing.connect_timeout;
    while members.iter().any(|m| m.address.is_none()) {
        let left = startup_deadline.saturating_duration_since(Instant::now());
        let line = receiver.recv_timeout(left);
        let failure = match line {
            Ok(Line::Text(index, text)) => match text.strip_prefix("listening ") {
                Some(address) => match address.trim().parse::<SocketAddr>() {
                    Ok(address) => {
                        members[index].address = Some(address);
                        None
                    }
                    Err(_) => Some(format!(
                        "{} printed a bad address: {text:?}",
                        members[index].name
                    )),
                },
                None => Some(format!(
                    "{} printed {text:?} before listening",
                    members[index].name
                )),
            },
            Ok(Line::End(index)) => {
                Some(format!("{} exited before listening", members[index].name))
            }
            Err(_) => Some("the nodes did not start listening in time".into()),
        };
        if let Some(reason) = failure {
            kill_all(&mut members);
            return Err(RuntimeError::Host { reason });
        }
    }
    let startup = spawned.elapsed();

    let peers: Vec<(String, SocketAddr)> = members
        .iter()
        .filter_map(|m| m.address.map(|a| (m.name.clone(), a)))
        .collect();
    for member in &mut members {
        let mut script = format!("token {token}\n");
        for (name, address) in &peers {
            if *name != member.name {
                script.push_str(&format!("peer {name} {address}\n"));
            }
        }
        script.push_str("go\n");
        if let Some(stdin) = member.stdin.as_mut() {
            // A node that died already shows up as crashed below.
            let _ = stdin
                .write_all(script.as_bytes())
                .and_then(|()| stdin.flush());
        }
    }
    let go = Instant::now();

    let mut pending_kills: Vec<(usize, Duration)> = kills
        .iter()
        .filter_map(|kill| roster.index(&kill.node).map(|i| (i, kill.after)))
        .collect();
    pending_kills.sort_by_key(|&(_, after)| after);
    let quiet_limit = config.timing.receive_timeout + config.watchdog_grace;
    let mut last_life = Instant::now();
    let mut last_bytes = logged_bytes(&log_files);
    let mut interrupted = false;
    while members.iter().any(|m| !m.ended) {
        if !interrupted
            && config
                .stop
                .as_ref()
                .is_some_and(|stop| stop.load(Ordering::Relaxed))
        {
            // Told to stop: every node still running gets SIGTERM (it dies between two
            // events, each flushed whole by default); what they logged is merged as usual.
            interrupted = true;
            pending_kills.clear();
            for member in members
                .iter_mut()
                .filter(|m| !m.ended && m.report.is_none())
            {
                terminate(&mut member.child);
                member.stopped = true;
            }
        }
        let now = go.elapsed();
        while let Some(&(index, after)) = pending_kills.first() {
            if after > now {
                break;
            }
            pending_kills.remove(0);
            let member = &mut members[index];
            if !member.ended && member.report.is_none() {
                let _ = member.child.kill();
                member.killed = true;
            }
        }
        let next_kill = pending_kills
            .first()
            .map(|&(_, after)| after.saturating_sub(now));
        let quiet_left = quiet_limit.saturating_sub(last_life.elapsed());
        let mut wait = next_kill.map_or(quiet_left, |k| k.min(quiet_left));
        if config.stop.is_some() && !interrupted {
            // Look at the stop flag often enough that a stop is prompt.
            wait = wait.min(Duration::from_millis(50));
        }
        match receiver.recv_timeout(wait) {
            Ok(Line::Text(index, text)) => {
                last_life = Instant::now();
                if let Some(json) = text.strip_prefix("report ") {
                    members[index].report = serde_json::from_str(json).ok();
                }
            }
            Ok(Line::End(index)) => {
                last_life = Instant::now();
                members[index].ended = true;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Working nodes print nothing until they report: liveness is progress, and
                // a node makes progress by logging (flushed per event by default).
                let bytes = logged_bytes(&log_files);
                if bytes != last_bytes {
                    last_bytes = bytes;
                    last_life = Instant::now();
                } else if last_life.elapsed() >= quiet_limit {
                    // Nobody spoke for too long: stop the stragglers.
                    for member in members.iter_mut().filter(|m| !m.ended) {
                        let _ = member.child.kill();
                        member.ended = true;
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let elapsed = go.elapsed();
    let mut reports = Vec::with_capacity(n);
    for (mut member, log) in members.into_iter().zip(&log_files) {
        drop(member.stdin.take());
        let status = member.child.wait().ok();
        let reported = member.report.is_some();
        let mut report = match member.report {
            Some(report) => report,
            None if member.killed => NodeReport::absent(&member.name, NodeStatus::Killed),
            None if member.stopped => {
                let mut report = NodeReport::absent(&member.name, NodeStatus::Incomplete);
                report
                    .problems
                    .push("stopped: the run was interrupted".to_string());
                report
            }
            None => {
                let mut report = NodeReport::absent(&member.name, NodeStatus::Crashed);
                if let Some(status) = status {
                    report.problems.push(format!("process ended: {status}"));
                }
                report
            }
        };
        if !reported {
            // A node that never reported (killed, stopped, crashed): what it did is in its
            // log, flushed per event by default.
            match logged_counts(log) {
                Ok((events, sent)) => (report.events, report.sent) = (events, sent),
                Err(err) => report.problems.push(format!("its log: {err}")),
            }
        }
        reports.push(report);
    }
    Ok(ClusterRun {
        mode: Mode::Process,
        nodes: reports,
        log_files,
        memory_logs: Vec::new(),
        elapsed,
        startup: Some(startup),
        clock_heap_bytes: 0,
        unfired_kills: pending_kills
            .iter()
            .map(|&(index, after)| Kill {
                node: roster.names()[index].clone(),
                after,
            })
            .collect(),
        interrupted,
    })
}

/// Sends SIGTERM to a node (a stop, not a `--kill`).
#[cfg(unix)]
fn terminate(child: &mut Child) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
}

/// Elsewhere a stop is a kill.
#[cfg(not(unix))]
fn terminate(child: &mut Child) {
    let _ = child.kill();
}

/// A controlled node dies with its launcher: the kernel sends it SIGKILL when the parent
/// ends, however the parent ends (SIGKILL included), so a killed `causet run` leaves no
/// orphans writing logs. A launcher already gone before the request is seen as a changed
/// parent, and the node leaves at once.
#[cfg(target_os = "linux")]
fn die_with_launcher() {
    use nix::sys::{prctl, signal::Signal};
    let parent = std::os::unix::process::parent_id();
    let armed = prctl::set_pdeathsig(Signal::SIGKILL).is_ok();
    if armed && std::os::unix::process::parent_id() != parent {
        std::process::exit(1);
    }
}

/// Elsewhere the node still ends when the launcher closes its control pipe at the end.
#[cfg(not(target_os = "linux"))]
fn die_with_launcher() {}

/// The bytes the nodes' log files hold so far (a file not there yet counts 0).
fn logged_bytes(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter_map(|file| std::fs::metadata(file).ok())
        .map(|meta| meta.len())
        .sum()
}

fn kill_all(members: &mut [Member]) {
    for member in members {
        let _ = member.child.kill();
        let _ = member.child.wait();
    }
}

/// One node under control of a launcher (`causet node --control`), see the module docs.
#[derive(Debug, Clone)]
pub struct ControlledNode {
    /// This node's name.
    pub name: String,
    /// Workload parameters (the node count comes from the peers the launcher sends).
    pub workload: super::Workload,
    /// Messages per node.
    pub messages: u32,
    /// Seed.
    pub seed: u64,
    /// Log file.
    pub log: PathBuf,
    /// Flush per event or buffered.
    pub flush: LogFlush,
    /// Timeouts and pacing.
    pub timing: Timing,
    /// Differential or full stamps.
    pub stamps: Stamps,
}

/// Runs a controlled node: binds, announces, reads the peers, runs, prints its report.
pub fn serve_controlled(
    node: ControlledNode,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<NodeReport, RuntimeError> {
    die_with_launcher();
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|err| RuntimeError::io("cannot listen on 127.0.0.1", err))?;
    let address = listener
        .local_addr()
        .map_err(|err| RuntimeError::io("cannot read the listening address", err))?;
    let stdout = |output: &mut dyn Write, text: String| {
        writeln!(output, "{text}")
            .and_then(|()| output.flush())
            .map_err(|err| RuntimeError::io("cannot write to the launcher", err))
    };
    stdout(&mut output, format!("listening {address}"))?;
    let mut token = None;
    let mut peers = Vec::new();
    let mut started = false;
    for line in input.lines() {
        let line = line.map_err(|err| RuntimeError::io("cannot read from the launcher", err))?;
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("token"), Some(value), None) => token = Some(value.to_string()),
            (Some("peer"), Some(name), Some(address)) => {
                let address: SocketAddr = address.parse().map_err(|_| {
                    RuntimeError::config(format!("launcher sent a bad address: {line:?}"))
                })?;
                peers.push((name.to_string(), address));
            }
            (Some("go"), None, None) => {
                started = true;
                break;
            }
            _ => {
                return Err(RuntimeError::config(format!(
                    "launcher sent an unknown line: {line:?}"
                )));
            }
        }
    }
    if !started {
        return Err(RuntimeError::config(
            "the launcher closed the pipe before `go`",
        ));
    }
    let token = token.ok_or_else(|| RuntimeError::config("the launcher sent no token"))?;
    let roster = Arc::new(Roster::new(
        std::iter::once(node.name.clone()).chain(peers.iter().map(|(name, _)| name.clone())),
    )?);
    let plan = Plan::new(node.workload, roster.len(), node.messages, node.seed)?;
    let report = run_tcp_node(
        TcpNode {
            roster,
            name: node.name,
            peers,
            token,
            plan,
            timing: node.timing,
            max_frame: DEFAULT_MAX_FRAME,
            log: LogSink::file(&node.log, node.flush)?,
            stamps: node.stamps,
        },
        listener,
    )?;
    let json = serde_json::to_string(&report).map_err(|err| RuntimeError::Host {
        reason: format!("cannot encode the report: {err}"),
    })?;
    stdout(&mut output, format!("report {json}"))?;
    Ok(report)
}
