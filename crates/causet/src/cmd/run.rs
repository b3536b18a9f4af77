//! `causet run`: run an instrumented demo cluster, merge its logs, summarize.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use std::io::Write;

use anyhow::Context;
use causet_diagram::{Diagram, RenderOptions, write_svg};
use causet_log::{CheckOptions, Log, ReadOptions, read_log};
use causet_races::Bytes;
use causet_runtime::{
    LogFlush, MergeSummary, Stamps,
    demo::{
        ClusterConfig, ClusterRun, Kill, Logs, Mode, NodeStatus, Plan, Timing, Workload,
        merge_run_logs, run_processes, run_tasks, run_threads,
    },
};
use serde_json::json;

/// Arguments of `causet run`.
///
/// Starts NODES nodes named node0, node1, ... that run WORKLOAD, each logging every event
/// with its vector clock (GoVector format) to OUT/NAME.log; then merges the logs into
/// OUT/causet.log, checks and analyses it (every run, at any node count: that takes less
/// memory than the log's size), draws OUT/diagram.svg (up to 2,000 events), writes the
/// interactive OUT/view.html (`causet view`, every event) and prints a summary. Exit 0 when
/// every node finished, 1 when a node died or gave up (the merged log keeps every logged
/// event).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Nodes are named node0, node1, ...; each logs every event with its vector clock (GoVector
format) to OUT/NAME.log. The logs are merged into OUT/causet.log, checked and analysed (every
run), and drawn as OUT/diagram.svg (up to 2,000 events; the summary says when not);
OUT/view.html is the interactive page (causet view), written for every run. Exit 0 when every
node finished, 1 when a node died or gave up (the merged log keeps every logged event).
Example: causet run --mode thread --workload ring")]
pub(crate) struct RunArgs {
    /// Number of nodes (at least 2).
    #[arg(long, default_value_t = 4)]
    nodes: usize,
    /// How nodes are hosted: OS processes over TCP on 127.0.0.1, OS threads with channels,
    /// or tokio tasks with channels.
    #[arg(long, default_value = "process", value_parser = super::mode_parser())]
    mode: Mode,
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Output directory for the node logs, causet.log and diagram.svg (node logs of earlier
    /// runs, nodeN.log, are removed first).
    #[arg(long, default_value = "causet-run")]
    out: PathBuf,
    /// Kill node NODE with SIGKILL MS milliseconds after the start, or right after its log
    /// holds N events (NODE@Nev); +restart starts it again, resuming from its log; `every`
    /// before the number kills each incarnation again (process mode; repeatable). E.g.
    /// node1@150, node2@500ev+restart, node3@every2000+restart.
    #[arg(long, value_name = "NODE@[every]MS|Nev[+restart]", long_help = KILL_HELP)]
    kill: Vec<Kill>,
    /// Buffer node logs instead of flushing each event (faster; a killed node loses its tail).
    #[arg(long)]
    buffered: bool,
    /// Milliseconds a node with sends left waits for a message before sending anyway.
    #[arg(long, default_value_t = 5)]
    pace_ms: u64,
    /// Milliseconds without any message after which a node gives up waiting [default: 3000
    /// plus 10 per node, since in big clusters a node may wait for node0 to hear everyone;
    /// at least 1].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    timeout_ms: Option<u64>,
    /// Process mode: milliseconds of silence past the receive timeout after which the
    /// launcher kills nodes as hung (hidden: for tests that need the watchdog close without
    /// making nodes give up early).
    #[arg(long, default_value_t = 5000, hide = true)]
    watchdog_grace_ms: u64,
    /// Send the whole clock with every message instead of differential stamps (differential
    /// stamps keep about 4x the clock's memory in bookkeeping; above 2000 nodes full stamps
    /// are used).
    #[arg(long)]
    full_stamps: bool,
    /// Worker threads of the task mode's runtime (0: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Refuse, before starting, a run estimated to need more than SIZE (e.g. 512M, 4G,
    /// 1.5GiB) [default: half of the machine's memory].
    #[arg(long, value_name = "SIZE", value_parser = super::memory::parse_size,
          long_help = max_memory_help())]
    max_memory: Option<u64>,
    /// Start even when the logs are estimated to need more disk space than the output
    /// directory's file system has free (the estimate is an upper bound: a gossip's clocks
    /// fill fastest).
    #[arg(long)]
    force: bool,
}

const KILL_HELP: &str = "\
Kill a node during the run (process mode; repeatable):
  NODE@MS           SIGKILL MS milliseconds after the start (node1@150)
  NODE@Nev          the node dies by SIGKILL right after its log holds N events: an exact
                    point whatever the machine's load (node1@500ev)
  ...+restart       start it again once dead: it resumes from its own log (clock, event
                    count, workload progress), on the same address, appending to the same
                    log; peers reconnect and resynchronise their stamps (node2@500ev+restart)
  NODE@everyMS+restart, NODE@everyNev+restart
                    kill each incarnation again after MS ms, or N more events, until the
                    node finishes or only such nodes are left running (so that the run
                    ends) (node3@every2000+restart)
Messages in flight to a node when it dies are lost: their sends are in the log, their
receives never happen, and the nodes waiting for them give up after the receive timeout
(the run then exits 1, its merged log checked with --lenient). A gossip goes on through
restarts; a ring, ping or broadcast whose token or round was lost stalls until that
timeout. Restarts need logs flushed per event (not --buffered).";

fn max_memory_help() -> String {
    format!(
        "Refuse, before starting, a run estimated to need more than SIZE: every node's clock \
         dense (nodes² entries of 8 bytes, 36 with differential stamps), a fixed part per node \
         (task 16 KiB, thread 256 KiB, process 8 MiB) and, in task mode above 512 nodes, the \
         logs kept in memory until the end (they grow with --messages). After the run, the \
         merged log is checked, analysed and drawn in view.html unless it is itself bigger \
         than SIZE (reading, checking and analysing it take less memory than its size, the \
         page about as much again). {}",
        super::memory::SIZE_HELP
    )
}

/// The workload options shared by `causet run` and `causet node` (every node of a cluster
/// must be given the same ones).
#[derive(Debug, clap::Args)]
pub(crate) struct WorkloadArgs {
    /// Workload: ping (pairs), gossip (random peers), ring (a token), broadcast (one to all).
    #[arg(long, default_value = "gossip")]
    pub workload: Workload,
    /// Messages (sends or rounds) per node.
    #[arg(long, default_value_t = 4)]
    pub messages: u32,
    /// Seed of the workload's choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl WorkloadArgs {
    /// The plan of a cluster of `nodes` nodes.
    pub(crate) fn plan(&self, nodes: usize) -> anyhow::Result<Plan> {
        Ok(Plan::new(self.workload, nodes, self.messages, self.seed)?)
    }
}

/// Runs the cluster and prints the summary.
pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let plan = args.workload.plan(args.nodes)?;
    let mode = args.mode;
    if !args.kill.is_empty() && mode != Mode::Process {
        anyhow::bail!("--kill needs --mode process (a thread or task cannot be killed alone)");
    }
    let flush = if args.buffered {
        LogFlush::Buffered
    } else {
        LogFlush::EachEvent
    };
    let mut config = ClusterConfig::new(
        plan,
        Logs::Dir {
            dir: args.out.clone(),
            flush,
        },
    );
    // Differential stamps keep per-entry bookkeeping beside each node's clock (about 28
    // bytes per entry, plus a few dozen bytes per peer it talks to): about 4x a dense clock,
    // which is quadratic in the cluster size. Big clusters send whole clocks instead.
    if args.full_stamps || args.nodes > MAX_DIFFERENTIAL_NODES {
        config.stamps = Stamps::Full;
    }
    if let Some(refusal) = check_memory(&args, mode, &config).or_else(|| check_disk(&args, &config))
    {
        // Said as the command, not as an error of the cluster: nothing was started.
        eprintln!("{refusal}");
        return Ok(ExitCode::from(2));
    }
    config.timing = Timing {
        pace: Duration::from_millis(args.pace_ms),
        receive_timeout: Duration::from_millis(
            args.timeout_ms.unwrap_or(3000 + 10 * args.nodes as u64),
        ),
        ..Timing::default()
    };
    config.watchdog_grace = Duration::from_millis(args.watchdog_grace_ms);
    let _lock = lock_out(&args.out)?;
    remove_stale_logs(&args.out)?;
    let status = super::Status::start(
        "causet run",
        format!(
            "{} nodes in {mode} mode, {} messages",
            args.nodes,
            config.plan.total_messages()
        ),
    );
    let cluster = match mode {
        Mode::Thread => run_threads(&config),
        Mode::Task => run_tasks(&config, args.workers),
        _ => {
            let exe = std::env::current_exe().context("cannot find the causet binary")?;
            config.stop = Some(super::stop_on_signals()?);
            run_processes(&config, &exe, &args.kill)
        }
    }
    .with_context(|| format!("{mode} mode run"))?;
    status.phase("merging the node logs");
    let merged = merge_run_logs(&cluster, &args.out).context("merging the node logs")?;
    // Complete only when every node finished and the merged log holds every event the
    // nodes logged: never report a run complete with events missing.
    let complete = cluster.is_complete() && merged.events as u64 == cluster.events();
    let lenient = !complete;
    status.phase("reading the merged log");
    let parsed = read_merged(&merged.path, args.max_memory);
    status.phase("checking and analysing the merged log");
    let analysis = parsed
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|log| analyze(log, &merged.path, lenient));
    status.phase("drawing the diagram");
    let diagram = parsed
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|log| render(log, &args.out.join("diagram.svg"), merged.events));
    status.phase("writing view.html");
    let view = parsed
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|log| write_view(log, &args.out.join("view.html")));
    drop(status);
    let summary = Summary {
        config: &config,
        args: &args,
        cluster: &cluster,
        merged: &merged,
        analysis,
        diagram,
        view,
        complete,
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&summary.json())?)?;
    } else {
        summary.print(&mut stdout)?;
    }
    Ok(if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Refuses a run whose estimated peak ([`run_estimate`](super::memory::run_estimate)) is
/// beyond `--max-memory` (default: half of the machine's memory), before anything starts:
/// the refusal to print, if any.
fn check_memory(args: &RunArgs, mode: Mode, config: &ClusterConfig) -> Option<String> {
    use super::memory::{limit, run_estimate};
    let differential = !matches!(config.stamps, Stamps::Full);
    let need = run_estimate(mode, args.nodes, config.plan.total_messages(), differential);
    let (max, limit_is) = limit(args.max_memory);
    if need > max {
        let limit_is = if args.max_memory.is_some() {
            String::new()
        } else {
            format!(", {limit_is}")
        };
        return Some(format!(
            "causet run: {} nodes in {mode} mode need about {} (limit {}{limit_is}); lower \
             --nodes or --messages, or raise --max-memory",
            args.nodes,
            Bytes(need),
            Bytes(max)
        ));
    }
    None
}

/// Refuses, unless `--force`, a run whose logs ([`log_estimate`](super::memory::log_estimate):
/// node logs and merged log) would not fit in the free space of `--out`'s file system.
fn check_disk(args: &RunArgs, config: &ClusterConfig) -> Option<String> {
    use super::memory::{free_space, log_estimate};
    if args.force {
        return None;
    }
    let need = log_estimate(args.nodes, config.plan.total_messages());
    let free = free_space(&args.out)?;
    (need > free).then(|| {
        format!(
            "causet run: the logs of {} nodes and {} messages may take up to {} (node logs and \
             the merged log), and {} has {} free; lower --nodes or --messages, or give --force",
            args.nodes,
            config.plan.total_messages(),
            Bytes(need),
            super::shown(&args.out),
            Bytes(free)
        )
    })
}

/// Largest cluster that uses differential stamps unless told otherwise: about 56 KiB of
/// clock and bookkeeping per node at 2,000 nodes in the task-mode memory probe
/// (BENCHMARKS.md), as 1,000 nodes cost before the per-peer state became lazy.
const MAX_DIFFERENTIAL_NODES: usize = 2_000;

/// The lock file that keeps two runs from writing into one `--out` at once.
const LOCK_FILE: &str = ".causet-run.lock";

/// Takes the `--out` directory for this run: an OS lock on [`LOCK_FILE`] inside it, held
/// until the returned file is dropped (the kernel releases it however the process ends, so
/// a killed run leaves no stale lock). A second run into the same directory is refused.
fn lock_out(dir: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", super::shown(dir)))?;
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", super::shown(&path)))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another causet run is writing into {} (it holds {}): wait for it, or choose \
             another --out",
            super::shown(dir),
            super::shown(&path)
        ),
        Err(std::fs::TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("cannot lock {}", super::shown(&path)))
        }
    }
}

/// Removes `nodeN.log` files of an earlier run from `dir`, so that the directory only holds
/// this run's logs.
fn remove_stale_logs(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(()); // not there yet
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_node_log = name
            .strip_prefix("node")
            .and_then(|rest| rest.strip_suffix(".log"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if is_node_log && entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            removed.push(name.to_string());
        }
    }
    // Said on stderr, so that --json output stays one document.
    removed.sort_by_key(|name| (name.len(), name.clone()));
    if let (Some(first), Some(last)) = (removed.first(), removed.last()) {
        let shown = if removed.len() == 1 {
            first.clone()
        } else {
            format!("{first} ... {last}")
        };
        eprintln!(
            "causet run: removed {} node log(s) of an earlier run from {} ({shown})",
            removed.len(),
            super::shown(dir)
        );
    }
    Ok(())
}

/// What the analysis of the merged log found.
struct Analysis {
    messages: usize,
    concurrent_pairs: u64,
    /// `Ok` when the log passes `causet check` (strict, or lenient after a kill).
    check: Result<(), String>,
    lenient: bool,
}

/// Largest run drawn as a static SVG (the interactive page has no limit).
const MAX_DRAWN_EVENTS: usize = 2_000;

/// Reads the merged log once, for the check, the analysis and both pictures. Its clocks are
/// kept in proportion to what the log holds (`causet_log::ClockTable`), so reading, checking
/// and analysing it take less memory than its size at any node count, and writing the page
/// about as much again: only a merged log bigger than `--max-memory` (default: half of the
/// machine's memory) is not read, and the summary says why.
fn read_merged(log: &Path, max_memory: Option<u64>) -> Result<Log, String> {
    let size = std::fs::metadata(log).map_or(0, |metadata| metadata.len());
    let (max, _) = super::memory::limit(max_memory);
    if size > max {
        return Err(format!(
            "skipped: the merged log is {}, and reading, checking and analysing it take up to \
             about that much (limit {}; see --max-memory)",
            Bytes(size),
            Bytes(max)
        ));
    }
    read_log(log, &ReadOptions::default())
        .map_err(|err| format!("cannot read {}: {err}", super::shown(log)))
}

/// The merged log's check, messages and concurrent pairs.
fn analyze(parsed: &Log, path: &Path, lenient: bool) -> Result<Analysis, String> {
    let Some(execution) = parsed.executions.first() else {
        return Err("the merged log has no events".into());
    };
    let check = execution
        .check(&CheckOptions { lenient })
        .map_err(|violation| format!("{}:{violation}", super::shown(path)));
    let summary = causet_log::analyze(execution);
    Ok(Analysis {
        messages: summary.messages,
        concurrent_pairs: summary.concurrent_pairs,
        check,
        lenient,
    })
}

/// Writes the interactive page of the merged log (`causet view`), whatever its size.
fn write_view(parsed: &Log, page: &Path) -> Result<PathBuf, String> {
    let options = causet_diagram::ViewOptions::new().title("causet run");
    let file = std::fs::File::create(page)
        .map_err(|err| format!("cannot create {}: {err}", super::shown(page)))?;
    causet_diagram::write_view(parsed, &options, std::io::BufWriter::new(file))
        .map_err(|err| format!("cannot write {}: {err}", super::shown(page)))?;
    Ok(page.to_path_buf())
}

/// Draws the merged log as a space-time diagram with `causet_diagram`.
fn render(parsed: &Log, svg: &Path, events: usize) -> Result<PathBuf, String> {
    if events > MAX_DRAWN_EVENTS {
        return Err(format!(
            "skipped above {MAX_DRAWN_EVENTS} events; view.html draws every event"
        ));
    }
    let Some(execution) = parsed.executions.first() else {
        return Err("the merged log has no events".into());
    };
    let diagram = Diagram::from_execution(execution).map_err(|err| err.to_string())?;
    let file = std::fs::File::create(svg)
        .map_err(|err| format!("cannot create {}: {err}", super::shown(svg)))?;
    write_svg(
        &diagram,
        &RenderOptions::new().title("causet run"),
        std::io::BufWriter::new(file),
    )
    .map_err(|err| format!("cannot draw {}: {err}", super::shown(svg)))?;
    Ok(svg.to_path_buf())
}

struct Summary<'a> {
    config: &'a ClusterConfig,
    args: &'a RunArgs,
    cluster: &'a ClusterRun,
    merged: &'a MergeSummary,
    analysis: Result<Analysis, String>,
    diagram: Result<PathBuf, String>,
    view: Result<PathBuf, String>,
    /// Every node finished and the merged log holds every event they logged.
    complete: bool,
}

impl Summary<'_> {
    fn stamp_bytes(&self) -> (u64, u64) {
        let sent = self.cluster.nodes.iter().map(|n| n.stamp_bytes).sum();
        let full = self.cluster.nodes.iter().map(|n| n.full_stamp_bytes).sum();
        (sent, full)
    }

    fn json(&self) -> serde_json::Value {
        let (stamp_bytes, full_stamp_bytes) = self.stamp_bytes();
        let plan = &self.config.plan;
        json!({
            "mode": self.cluster.mode.name(),
            "nodes": plan.nodes(),
            "workload": plan.workload().name(),
            "messages_per_node": plan.messages(),
            "seed": plan.seed(),
            "complete": self.complete,
            "interrupted": self.cluster.interrupted,
            "events": self.merged.events,
            "messages": match &self.analysis {
                Ok(analysis) => analysis.messages as u64,
                Err(_) => self.cluster.messages(),
            },
            "messages_sent": self.cluster.messages(),
            "concurrent_pairs": self.analysis.as_ref().ok().map(|a| a.concurrent_pairs),
            "check": match &self.analysis {
                Ok(analysis) => json!({
                    "lenient": analysis.lenient,
                    "valid": analysis.check.is_ok(),
                    "violation": analysis.check.as_ref().err(),
                }),
                Err(why) => json!({ "skipped": why }),
            },
            "stamp_bytes": stamp_bytes,
            "full_stamp_bytes": full_stamp_bytes,
            "elapsed_ms": self.cluster.elapsed.as_secs_f64() * 1e3,
            "startup_ms": self.cluster.startup.map(|s| s.as_secs_f64() * 1e3),
            "out": self.args.out,
            "log": self.merged.path,
            "diagram": self.diagram.as_ref().ok(),
            "view": self.view.as_ref().ok(),
            "truncated_logs": self.merged.truncated,
            "missing_logs": self.merged.missing,
            "unfired_kills": self
                .cluster
                .unfired_kills
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            "node_reports": self.cluster.nodes,
        })
    }

    fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let plan = &self.config.plan;
        let how = match self.cluster.mode {
            Mode::Thread => "OS threads",
            Mode::Task => "tokio tasks",
            _ => "OS processes (TCP on 127.0.0.1)",
        };
        writeln!(
            out,
            "causet run: {} nodes as {how}, workload {} ({} messages per node, seed {})",
            plan.nodes(),
            plan.workload(),
            plan.messages(),
            plan.seed()
        )?;
        let line = match &self.analysis {
            Ok(analysis) if analysis.messages as u64 == self.cluster.messages() => format!(
                "  events {}, messages {}, concurrent pairs {}",
                self.merged.events, analysis.messages, analysis.concurrent_pairs
            ),
            // The log's message edges come from the clocks (as in ShiViz): a receive whose
            // stamp brings nothing new (its sender's later events already arrived by
            // another way) shows no edge.
            Ok(analysis) => format!(
                "  events {}, messages {} ({} seen in the clocks; a receive that learns \
                 nothing new shows none), concurrent pairs {}",
                self.merged.events,
                self.cluster.messages(),
                analysis.messages,
                analysis.concurrent_pairs
            ),
            Err(why) => format!(
                "  events {}, messages sent {} (analysis {why})",
                self.merged.events,
                self.cluster.messages()
            ),
        };
        writeln!(out, "{line}")?;
        if let Ok(analysis) = &self.analysis {
            let how = if analysis.lenient {
                "causet check --lenient"
            } else {
                "causet check"
            };
            match &analysis.check {
                Ok(()) => writeln!(out, "  merged log passes {how}")?,
                Err(violation) => writeln!(out, "  merged log FAILS {how}: {violation}")?,
            }
        }
        let (sent, full) = self.stamp_bytes();
        let kind = match self.config.stamps {
            Stamps::Full => "sent (full stamps)",
            _ => "sent (differential stamps)",
        };
        let percent = if full == 0 {
            100.0
        } else {
            sent as f64 * 100.0 / full as f64
        };
        writeln!(
            out,
            "  stamp bytes: {sent} {kind} vs {full} as dense clocks ({percent:.0}%)"
        )?;
        if !matches!(self.config.stamps, Stamps::Full) && sent >= full && full > 0 {
            // Say why, so that the demo does not read as a failure of the scheme.
            writeln!(
                out,
                "    (no saving on this run: small clocks, or traffic that changes most entries \
                 between two messages to a peer; try --nodes 16 --workload ping)"
            )?;
        }
        match self.cluster.startup {
            Some(startup) => writeln!(
                out,
                "  time: {:.1} ms after a start-up of {:.1} ms",
                self.cluster.elapsed.as_secs_f64() * 1e3,
                startup.as_secs_f64() * 1e3
            ),
            None => writeln!(
                out,
                "  time: {:.1} ms",
                self.cluster.elapsed.as_secs_f64() * 1e3
            ),
        }?;
        let logged = self.cluster.events();
        if self.cluster.is_complete() && self.merged.events as u64 != logged {
            writeln!(
                out,
                "  incomplete: the nodes logged {logged} events, the merged log holds {}",
                self.merged.events
            )?;
        }
        if self.cluster.interrupted {
            writeln!(
                out,
                "  interrupted (a signal): the nodes were stopped; their logs are merged above"
            )?;
        }
        for kill in &self.cluster.unfired_kills {
            writeln!(
                out,
                "  --kill {kill} never fired: the run ended after {:.0} ms",
                self.cluster.elapsed.as_secs_f64() * 1e3
            )?;
        }
        for node in &self.cluster.nodes {
            if node.restarts > 0 {
                writeln!(
                    out,
                    "  {} was killed and restarted {} time(s) (--kill ...+restart): {} events, \
                     {} sent in all incarnations (counted in its log)",
                    node.name, node.restarts, node.events, node.sent
                )?;
            }
            let stopped = node
                .problems
                .first()
                .is_some_and(|problem| problem.starts_with("stopped:"));
            match node.status {
                NodeStatus::Finished => Ok(()),
                NodeStatus::Killed => writeln!(
                    out,
                    "  {} was killed (--kill) after {} events, {} sent (counted in its log)",
                    node.name, node.events, node.sent
                ),
                NodeStatus::Incomplete if stopped => writeln!(
                    out,
                    "  {} was stopped after {} events, {} sent (counted in its log)",
                    node.name, node.events, node.sent
                ),
                NodeStatus::Incomplete => writeln!(
                    out,
                    "  {} gave up with {} messages missing",
                    node.name, node.missing
                ),
                _ => writeln!(out, "  {} crashed: {}", node.name, node.problems.join("; ")),
            }?;
            if node.status != NodeStatus::Crashed && !stopped {
                for problem in node.problems.iter().take(3) {
                    writeln!(out, "  {}: {problem}", node.name)?;
                }
            }
        }
        for path in &self.merged.missing {
            writeln!(
                out,
                "  {} was never written (node died first)",
                super::shown(path)
            )?;
        }
        for path in &self.merged.truncated {
            writeln!(
                out,
                "  {} ended inside an event (left out)",
                super::shown(path)
            )?;
        }
        writeln!(
            out,
            "  logs: {}/NAME.log; merged: {}",
            super::shown(&self.args.out),
            super::shown(&self.merged.path)
        )?;
        match &self.diagram {
            Ok(svg) => writeln!(out, "  diagram: {}", super::shown(svg)),
            Err(why) => writeln!(out, "  diagram: not drawn ({why})"),
        }?;
        match &self.view {
            Ok(page) => writeln!(out, "  view: {} (open it in a browser)", super::shown(page)),
            Err(why) => writeln!(out, "  view: not written ({why})"),
        }?;
        let causet = command_name();
        let lenient = match &self.analysis {
            Ok(analysis) if analysis.lenient => " --lenient",
            _ => "",
        };
        writeln!(
            out,
            "  next: {causet} check{lenient} {0}; {causet} analyze{lenient} {0}",
            super::shown(&self.merged.path)
        )?;
        Ok(())
    }
}

/// How the user can call this binary again: `causet` when that name on `PATH` is this very
/// file (after `cargo install --path crates/causet`), else the binary's own path (after
/// `cargo run`, `causet` is not on `PATH`).
fn command_name() -> String {
    let Ok(me) = std::env::current_exe().and_then(|exe| exe.canonicalize()) else {
        return "causet".into();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            dir.join("causet")
                .canonicalize()
                .is_ok_and(|found| found == me)
        })
    });
    if on_path {
        "causet".into()
    } else {
        me.display().to_string()
    }
}
