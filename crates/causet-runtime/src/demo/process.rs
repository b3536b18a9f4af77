//! Process mode: `causet run` starts each node as its own OS process (`causet node
//! --control`) and steers it over its standard input and output.
//!
//! # Control protocol (one line each)
//!
//! The node binds `127.0.0.1:0` and prints `listening ADDRESS`. The launcher, once every
//! node listens, writes `token TOKEN`, one `peer NAME ADDRESS` per other node, and `go`.
//! The node runs its workload and prints `report JSON` (a [`NodeReport`]). The token travels
//! on the pipe, not the command line, so other users cannot read it from the process list.
//!
//! # Restarts (`--kill NODE@...+restart`)
//!
//! Once a killed node's process has ended, the launcher starts it again with `--resume
//! --listen ADDRESS` (the address it had: its peers know no other) and the same lines as
//! at the start. The new incarnation appends to the same log, resuming from it (its clock,
//! so its own entry goes on from the last logged event; a session floor above every
//! session the earlier incarnations used; its workload's progress). Messages in flight to
//! the dead node are lost with it; each peer notices at a failed write, reconnects at its
//! next send and starts a new stamp session with the whole clock. Events are never lost:
//! each is flushed to the log before the message it stamps is sent, and the merge reads
//! every incarnation's events from the one file.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rand::Rng;

use super::cluster::{ClusterConfig, ClusterRun, Kill, Logs};
use super::driver::{NodeReport, NodeStatus, Timing};
use super::tcp::{TcpNode, run_tcp_node};
use super::workload::Plan;
use crate::Mode;
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
    if let Logs::Discard = config.logs {
        args.push("--discard-log".into());
    } else {
        args.extend(["--log".into(), log.display().to_string()]);
    }
    if !config.instrumented {
        args.push("--uninstrumented".into());
    }
    args
}

/// What an incarnation of a node is started with beyond [`control_args`].
fn incarnation_args(address: Option<SocketAddr>, die_after: Option<u64>) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(address) = address {
        // A restart: the same address (the peers know no other), resuming from the log.
        args.extend([
            "--listen".to_string(),
            address.to_string(),
            "--resume".into(),
        ]);
    }
    if let Some(events) = die_after {
        args.extend(["--die-after-events".to_string(), events.to_string()]);
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
    /// Its kills still to come (or repeating), in the order they fire.
    kills: Vec<Pending>,
    /// The event kill this incarnation was started with (it dies by itself).
    armed: Option<usize>,
    /// When this incarnation got its `go`.
    go: Instant,
    /// Times it was started again.
    restarts: u32,
    /// A restarted incarnation that has not printed `listening` yet.
    starting: bool,
}

/// A kill of one node, and whether it fired yet.
struct Pending {
    kill: Kill,
    fired: bool,
}

impl Member {
    /// Still running, and not hit by a repeated kill (such nodes end by themselves).
    fn keeps_the_run_going(&self) -> bool {
        !self.ended && self.report.is_none() && !self.kills.iter().any(|p| p.kill.repeat)
    }

    /// When the next time kill of this incarnation is due (from the run's `go`).
    fn next_time_kill(&self, run_go: Instant) -> Option<(usize, Instant)> {
        self.kills
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kill.events.is_none() && (p.kill.repeat || !p.fired))
            .map(|(i, p)| {
                let base = if p.kill.repeat { self.go } else { run_go };
                (i, base + p.kill.after)
            })
            .min_by_key(|&(_, at)| at)
    }
}

/// The event kill to arm in a new incarnation whose log holds `logged` events, and after
/// how many more events it fires.
fn next_event_kill(kills: &[Pending], logged: u64) -> Option<(usize, u64)> {
    kills
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kill.repeat || !p.fired)
        .filter_map(|(i, p)| {
            let events = p.kill.events?;
            let left = if p.kill.repeat {
                events
            } else {
                events.saturating_sub(logged).max(1)
            };
            Some((i, left))
        })
        .min_by_key(|&(_, left)| left)
}

/// Starts one incarnation of node `index` and the thread that forwards its output lines.
fn spawn_node(
    program: &Path,
    args: Vec<String>,
    index: usize,
    lines: &mpsc::Sender<Line>,
) -> std::io::Result<(Child, Option<ChildStdin>)> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
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
    Ok((child, stdin))
}

/// Whether any node but `index` that no repeated kill hits is still running.
fn others_running(running: &[bool], index: usize) -> bool {
    running
        .iter()
        .enumerate()
        .any(|(i, &running)| running && i != index)
}

/// Whether a process ended by SIGKILL (its own: an event kill).
fn died_by_sigkill(status: Option<std::process::ExitStatus>) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.and_then(|s| s.signal()) == Some(9)
    }
    #[cfg(not(unix))]
    {
        status.is_some_and(|s| !s.success())
    }
}

/// Runs the cluster as OS processes: `program` (the `causet` binary) is started once per
/// node with [`control_args`] (at most [`MAX_PROCESSES`]). Logs must go to a directory.
///
/// `kills` (see [`Kill`]) are carried out with `Child::kill` (SIGKILL) when timed, by the
/// node itself after a count of events; the report of a killed node has status
/// [`NodeStatus::Killed`]. A kill with `restart` starts the node again once it is dead,
/// with the same address and log (`causet node --control --resume`: see
/// [`crate::Node::resume`]); its report is its last incarnation's, with its events and
/// sends counted in its log and [`NodeReport::restarts`] set. Restarts need logs flushed
/// per event (a buffered log loses events its peers saw). The run never hangs: a node that
/// neither reports nor exits within the receive timeout (plus a grace period) after the
/// last sign of life of the cluster (a line printed, or a log file grown) is killed and
/// reported as crashed.
pub fn run_processes(
    config: &ClusterConfig,
    program: &Path,
    kills: &[Kill],
) -> Result<ClusterRun, RuntimeError> {
    let flush = match &config.logs {
        Logs::Dir { flush, .. } => flush,
        Logs::Discard => &LogFlush::Buffered,
        Logs::Memory => {
            return Err(RuntimeError::config(
                "process mode logs to a directory (or discards the logs)",
            ));
        }
    };
    let n = config.plan.nodes();
    if n > MAX_PROCESSES {
        return Err(RuntimeError::config(format!(
            "process mode starts at most {MAX_PROCESSES} processes, not {n} (task mode runs more)"
        )));
    }
    let roster = Roster::numbered(n);
    for kill in kills {
        if roster.index(&kill.node).is_none() {
            return Err(RuntimeError::config(format!(
                "--kill {}: no such node (nodes are node0 to node{})",
                kill.node,
                n - 1
            )));
        }
        if kill.restart && *flush == LogFlush::Buffered {
            return Err(RuntimeError::config(format!(
                "--kill {kill}: a restarted node resumes from its log, which a buffered log \
                 (--buffered) may have lost events of: restart needs logs flushed per event"
            )));
        }
    }
    config.logs.prepare()?;
    let token = format!("{:032x}", rand::rng().random::<u128>());
    let (lines, receiver) = mpsc::channel::<Line>();
    let spawned = Instant::now();
    let mut members: Vec<Member> = Vec::with_capacity(n);
    let mut log_files = Vec::with_capacity(n);
    for (index, name) in roster.names().iter().enumerate() {
        let log = config.logs.path(name).unwrap_or_default();
        let mut node_kills: Vec<Pending> = kills
            .iter()
            .filter(|kill| kill.node == *name)
            .map(|kill| Pending {
                kill: kill.clone(),
                fired: false,
            })
            .collect();
        node_kills.sort_by_key(|p| (p.kill.events, p.kill.after));
        let mut member_args = control_args(config, name, &log);
        let armed = next_event_kill(&node_kills, 0);
        member_args.extend(incarnation_args(None, armed.map(|(_, left)| left)));
        let (child, stdin) = match spawn_node(program, member_args, index, &lines) {
            Ok(started) => started,
            Err(err) => {
                kill_all(&mut members);
                return Err(RuntimeError::io(
                    format!("cannot start {} for {name}", program.display()),
                    err,
                ));
            }
        };
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
            kills: node_kills,
            armed: armed.map(|(i, _)| i),
            go: Instant::now(),
            restarts: 0,
            starting: false,
        });
    }

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
    let script_of = |me: &str| {
        let mut script = format!("token {token}\n");
        for (name, address) in &peers {
            if name != me {
                script.push_str(&format!("peer {name} {address}\n"));
            }
        }
        script.push_str("go\n");
        script
    };
    for member in &mut members {
        let script = script_of(&member.name);
        if let Some(stdin) = member.stdin.as_mut() {
            // A node that died already shows up as crashed below.
            let _ = stdin
                .write_all(script.as_bytes())
                .and_then(|()| stdin.flush());
        }
        member.go = Instant::now();
    }
    let go = Instant::now();

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
            for member in members
                .iter_mut()
                .filter(|m| !m.ended && m.report.is_none())
            {
                member.kills.clear();
                terminate(&mut member.child);
                member.stopped = true;
            }
        }
        // Timed kills that are due.
        let now = Instant::now();
        let mut next_kill: Option<Instant> = None;
        let running: Vec<bool> = members.iter().map(Member::keeps_the_run_going).collect();
        for (index, member) in members.iter_mut().enumerate() {
            if member.ended || member.report.is_some() || member.killed || member.starting {
                continue;
            }
            // Repeated kills stop once only repeatedly killed nodes are left: an incarnation
            // killed before its receive timeout would otherwise wait for lost messages
            // forever (the other nodes end: they finish or give up).
            let alone = !others_running(&running, index);
            if let Some((kill, at)) = member.next_time_kill(go)
                && !(alone && member.kills[kill].kill.repeat)
            {
                if at > now {
                    next_kill = Some(next_kill.map_or(at, |k| k.min(at)));
                } else {
                    member.kills[kill].fired = true;
                    let _ = member.child.kill();
                    member.killed = true;
                    // Which kill ended it decides the restart (see the `End` below).
                    member.armed = Some(kill);
                }
            }
        }
        let quiet_left = quiet_limit.saturating_sub(last_life.elapsed());
        let mut wait = next_kill.map_or(quiet_left, |k| {
            k.saturating_duration_since(now).min(quiet_left)
        });
        if config.stop.is_some() && !interrupted {
            // Look at the stop flag often enough that a stop is prompt.
            wait = wait.min(Duration::from_millis(50));
        }
        match receiver.recv_timeout(wait) {
            Ok(Line::Text(index, text)) => {
                last_life = Instant::now();
                let member = &mut members[index];
                if let Some(json) = text.strip_prefix("report ") {
                    member.report = serde_json::from_str(json).ok();
                } else if member.starting && text.starts_with("listening ") {
                    // A restarted incarnation is up: the same peers, and go.
                    member.starting = false;
                    let script = script_of(&member.name);
                    if let Some(stdin) = member.stdin.as_mut() {
                        let _ = stdin
                            .write_all(script.as_bytes())
                            .and_then(|()| stdin.flush());
                    }
                    member.go = Instant::now();
                }
            }
            Ok(Line::End(index)) => {
                last_life = Instant::now();
                let running: Vec<bool> = members.iter().map(Member::keeps_the_run_going).collect();
                let member = &mut members[index];
                if member.ended || member.report.is_some() || member.stopped || interrupted {
                    member.ended = true;
                    continue;
                }
                let status = member.child.wait().ok();
                // An event kill fired if the node died by SIGKILL with one armed; a timed
                // kill if the launcher sent it.
                let fired = match member.armed {
                    Some(kill) if member.killed || died_by_sigkill(status) => Some(kill),
                    _ => None,
                };
                let Some(kill) = fired else {
                    member.ended = true; // crashed: reported below
                    continue;
                };
                member.kills[kill].fired = true;
                member.killed = true;
                let repeat = member.kills[kill].kill.repeat;
                if !member.kills[kill].kill.restart || repeat && !others_running(&running, index) {
                    // (Not restarted by a repeated kill once it is alone: see above.)
                    member.ended = true;
                    continue;
                }
                // Start it again, resuming from its log.
                let log = &log_files[index];
                let logged = logged_counts(log).map_or(0, |(events, _)| events);
                let armed = next_event_kill(&member.kills, logged);
                let mut args = control_args(config, &member.name, log);
                args.extend(incarnation_args(
                    member.address,
                    armed.map(|(_, left)| left),
                ));
                match spawn_node(program, args, index, &lines) {
                    Ok((child, stdin)) => {
                        member.child = child;
                        member.stdin = stdin;
                        member.killed = false;
                        member.armed = armed.map(|(i, _)| i);
                        member.restarts += 1;
                        member.starting = true;
                    }
                    Err(_) => member.ended = true,
                }
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
    drop(lines);
    let elapsed = go.elapsed();
    let mut reports = Vec::with_capacity(n);
    let mut unfired_kills = Vec::new();
    for (mut member, log) in members.into_iter().zip(&log_files) {
        drop(member.stdin.take());
        let status = member.child.wait().ok();
        unfired_kills.extend(
            member
                .kills
                .iter()
                .filter(|p| !p.fired)
                .map(|p| p.kill.clone()),
        );
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
        report.restarts = member.restarts;
        if !reported || member.restarts > 0 {
            // A node that never reported (killed, stopped, crashed), or whose report is
            // its last incarnation's: what it did is in its log, flushed per event by
            // default.
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
        unfired_kills,
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

/// Binds `address` again (where a dead incarnation listened: the port may take a moment
/// to be free), retrying for `patience`.
fn bind_again(address: SocketAddr, patience: Duration) -> Result<TcpListener, RuntimeError> {
    let deadline = Instant::now() + patience;
    loop {
        match TcpListener::bind(address) {
            Ok(listener) => return Ok(listener),
            Err(err) if Instant::now() >= deadline => {
                return Err(RuntimeError::io(
                    format!("cannot listen on {address} again"),
                    err,
                ));
            }
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
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
    /// Log nothing (`log` is ignored): for measuring clock work alone.
    pub discard_log: bool,
    /// Whether the node does clock work (see [`TcpNode::instrumented`]).
    pub instrumented: bool,
    /// Where to listen (`None`: any free port of 127.0.0.1). A restarted node listens where
    /// its earlier incarnation did.
    pub listen: Option<SocketAddr>,
    /// Restarting after a crash: resume from the log (see [`TcpNode::resume`]).
    pub resume: bool,
    /// Die by SIGKILL after logging this many events (`--kill NODE@Nev`).
    #[doc(hidden)]
    pub die_after: Option<u64>,
}

/// Runs a controlled node: binds, announces, reads the peers, runs, prints its report.
pub fn serve_controlled(
    node: ControlledNode,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<NodeReport, RuntimeError> {
    crate::orphan::die_with_launcher();
    let listener = match node.listen {
        None => TcpListener::bind("127.0.0.1:0")
            .map_err(|err| RuntimeError::io("cannot listen on 127.0.0.1", err))?,
        Some(address) => bind_again(address, node.timing.connect_timeout)?,
    };
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
            log: if node.discard_log || node.resume {
                // (A resumed node appends to its log: TcpNode::resume.)
                LogSink::discard()
            } else {
                LogSink::file(&node.log, node.flush)?
            },
            stamps: node.stamps,
            instrumented: node.instrumented,
            resume: node.resume.then(|| node.log.clone()),
            die_after: node.die_after,
        },
        listener,
    )?;
    let json = serde_json::to_string(&report).map_err(|err| RuntimeError::Host {
        reason: format!("cannot encode the report: {err}"),
    })?;
    stdout(&mut output, format!("report {json}"))?;
    Ok(report)
}
