//! `causet run`: run an instrumented demo cluster, merge its logs, summarize.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use std::io::Write;

use anyhow::Context;
use causet_runtime::{
    ClusterConfig, ClusterRun, Kill, LogFlush, Logs, MergeSummary, Mode, NodeStatus, Plan, Stamps,
    Timing, Workload, merge_run_logs, run_processes, run_tasks, run_threads,
};
use serde_json::json;

/// Arguments of `causet run`.
///
/// Starts NODES nodes named node0, node1, ... that run WORKLOAD, each logging every event
/// with its vector clock (GoVector format) to OUT/NAME.log; then merges the logs into
/// OUT/causet.log, draws OUT/diagram.svg and prints a summary. Exit 0 when every node
/// finished, 1 when a node died or gave up (the merged log keeps every logged event).
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Number of nodes (at least 2).
    #[arg(long, default_value_t = 4)]
    nodes: usize,
    /// How nodes are hosted: OS processes over TCP on 127.0.0.1, OS threads with channels,
    /// or tokio tasks with channels.
    #[arg(long, value_enum, default_value_t = ModeArg::Process)]
    mode: ModeArg,
    /// Workload: ping (pairs), gossip (random peers), ring (a token), broadcast (one to all).
    #[arg(long, default_value = "gossip")]
    workload: Workload,
    /// Messages (sends or rounds) per node.
    #[arg(long, default_value_t = 4)]
    messages: u32,
    /// Seed of the workload's choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory for the node logs, causet.log and diagram.svg.
    #[arg(long, default_value = "causet-run")]
    out: PathBuf,
    /// Kill node NODE with SIGKILL MS milliseconds after the start (process mode; repeatable).
    #[arg(long, value_name = "NODE@MS")]
    kill: Vec<Kill>,
    /// Buffer node logs instead of flushing each event (faster; a killed node loses its tail).
    #[arg(long)]
    buffered: bool,
    /// Milliseconds a node with sends left waits for a message before sending anyway.
    #[arg(long, default_value_t = 5)]
    pace_ms: u64,
    /// Milliseconds without any message after which a node gives up waiting.
    #[arg(long, default_value_t = 3000)]
    timeout_ms: u64,
    /// Send the whole clock with every message instead of differential stamps (the default
    /// keeps O(nodes) state per peer channel; full stamps suit thousands of nodes).
    #[arg(long)]
    full_stamps: bool,
    /// Worker threads of the task mode's runtime (0: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ModeArg {
    Process,
    Thread,
    Task,
}

/// Runs the cluster and prints the summary.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let plan = Plan::new(args.workload, args.nodes, args.messages, args.seed)?;
    let mode = match args.mode {
        ModeArg::Process => Mode::Process,
        ModeArg::Thread => Mode::Thread,
        ModeArg::Task => Mode::Task,
    };
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
    if args.full_stamps {
        config.stamps = Stamps::Full;
    }
    config.timing = Timing {
        pace: Duration::from_millis(args.pace_ms),
        receive_timeout: Duration::from_millis(args.timeout_ms),
        ..Timing::default()
    };
    let cluster = match mode {
        Mode::Thread => run_threads(&config),
        Mode::Task => run_tasks(&config, args.workers),
        _ => {
            let exe = std::env::current_exe().context("cannot find the causet binary")?;
            run_processes(&config, &exe, &args.kill)
        }
    }
    .with_context(|| format!("{mode} mode run"))?;
    let merged = merge_run_logs(&cluster, &args.out).context("merging the node logs")?;
    let analysis = analyze(&merged.path);
    let diagram = render(&merged.path, &args.out.join("diagram.svg"));
    let summary = Summary {
        config: &config,
        args: &args,
        cluster: &cluster,
        merged: &merged,
        analysis,
        diagram,
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&summary.json())?)?;
    } else {
        summary.print(&mut stdout)?;
    }
    Ok(if cluster.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What the analysis of the merged log found.
struct Analysis {
    messages: u64,
    concurrent_pairs: u64,
}

/// Analysis of the merged log (by `causet_trace::log`, once available).
fn analyze(_log: &Path) -> Result<Analysis, String> {
    Err("analysis not available in this build".into())
}

/// Draws the diagram (by `causet_trace::render`, once available).
fn render(_log: &Path, _svg: &Path) -> Result<PathBuf, String> {
    Err("rendering not available in this build".into())
}

struct Summary<'a> {
    config: &'a ClusterConfig,
    args: &'a RunArgs,
    cluster: &'a ClusterRun,
    merged: &'a MergeSummary,
    analysis: Result<Analysis, String>,
    diagram: Result<PathBuf, String>,
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
            "complete": self.cluster.is_complete(),
            "events": self.merged.events,
            "messages": self.cluster.messages(),
            "concurrent_pairs": self.analysis.as_ref().ok().map(|a| a.concurrent_pairs),
            "stamp_bytes": stamp_bytes,
            "full_stamp_bytes": full_stamp_bytes,
            "elapsed_ms": self.cluster.elapsed.as_secs_f64() * 1e3,
            "startup_ms": self.cluster.startup.map(|s| s.as_secs_f64() * 1e3),
            "out": self.args.out,
            "log": self.merged.path,
            "diagram": self.diagram.as_ref().ok(),
            "truncated_logs": self.merged.truncated,
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
        let mut line = format!(
            "  events {}, messages {}",
            self.merged.events,
            self.cluster.messages()
        );
        match &self.analysis {
            Ok(analysis) => line.push_str(&format!(
                ", concurrent pairs {} ({} messages inferred from the clocks)",
                analysis.concurrent_pairs, analysis.messages
            )),
            Err(why) => line.push_str(&format!(" (concurrent pairs: {why})")),
        }
        writeln!(out, "{line}")?;
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
            "  stamp bytes: {sent} {kind} vs {full} for full clocks ({percent:.0}%)"
        )?;
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
        for node in &self.cluster.nodes {
            match node.status {
                NodeStatus::Finished => Ok(()),
                NodeStatus::Killed => writeln!(out, "  {} was killed (--kill)", node.name),
                NodeStatus::Incomplete => writeln!(
                    out,
                    "  {} gave up with {} messages missing",
                    node.name, node.missing
                ),
                _ => writeln!(out, "  {} crashed: {}", node.name, node.problems.join("; ")),
            }?;
            if node.status != NodeStatus::Crashed {
                for problem in node.problems.iter().take(3) {
                    writeln!(out, "  {}: {problem}", node.name)?;
                }
            }
        }
        for path in &self.merged.truncated {
            writeln!(out, "  {} ended inside an event (left out)", path.display())?;
        }
        writeln!(
            out,
            "  logs: {}/NAME.log; merged: {}",
            self.args.out.display(),
            self.merged.path.display()
        )?;
        match &self.diagram {
            Ok(svg) => writeln!(out, "  diagram: {}", svg.display()),
            Err(why) => writeln!(out, "  diagram: not drawn ({why})"),
        }?;
        writeln!(
            out,
            "  next: causet check {0}; causet analyze {0}",
            self.merged.path.display()
        )?;
        Ok(())
    }
}
