//! `causet explore --example kv|mutex`: every causally different execution of a bundled
//! protocol, checked; a violation's schedule and its log. With `--host process|thread|task`:
//! one run of its nodes under the runtime's real hosts, checked.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use causet_explore::examples::{kv, mutex};
use causet_explore::{Explorer, Report, Schedule, Stats, Violation};
use causet_runtime::{Actor, Host, Mode, merge_logs, serve_node_process};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The bundled protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Example {
    /// Replicated register, last writer wins by Lamport time, concurrent writes kept as
    /// siblings; nodes 0 and 1 write --ops times each. Bug: concurrent writes silently
    /// lose one.
    Kv,
    /// Ricart–Agrawala mutual exclusion with Lamport clocks; each node enters --ops times.
    /// Bug: no tie-break on equal timestamps.
    Mutex,
}

impl Example {
    fn name(self) -> &'static str {
        match self {
            Example::Kv => "kv",
            Example::Mutex => "mutex",
        }
    }

    fn default_ops(self) -> u32 {
        match self {
            Example::Kv => 2,
            Example::Mutex => 1,
        }
    }
}

/// How to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Search {
    /// One execution per happens-before relation (optimal DPOR).
    Dpor,
    /// Every order of deliveries (no reduction).
    Naive,
    /// Seeded random walks (--seed, --walks).
    Random,
}

impl Search {
    fn name(self) -> &'static str {
        match self {
            Search::Dpor => "dpor",
            Search::Naive => "naive",
            Search::Random => "random",
        }
    }
}

/// Most nodes `causet explore` runs an example with.
const MAX_EXAMPLE_NODES: usize = 64;

/// Arguments of `causet explore`.
///
/// Runs the example's nodes in one thread under a scheduler that chooses which message to
/// deliver next, checking the example's invariants after every delivery and its end
/// properties when nothing is left in flight. Exit 0 when the search ends clean, 1 on a
/// violation (its schedule printed, its log written to --out), 2 on an error, 130 when a
/// signal stopped the search (its report so far printed).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The nodes run in one thread under a scheduler that picks which message to deliver next;
the example's invariants are checked after every delivery, its end properties when nothing
is left in flight. Exit 0 when the search ends clean, 1 on a violation (its schedule
printed, with the command that replays it; its log written to --out), 2 on an error, 130
when a signal (Ctrl-C) stopped the search: its report so far is printed. On a terminal the
search shows its executions, deliveries and rate as it goes.
Examples: causet explore --example mutex --bug --out cex
          causet explore --example kv --nodes 4 --search random --walks 100000")]
pub(crate) struct ExploreArgs {
    /// The protocol to explore.
    #[arg(long, value_enum)]
    example: Example,
    /// Number of nodes (2 to 64).
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// Operations per node: writes per writer (kv, default 2), rounds per node (mutex,
    /// default 1).
    #[arg(long)]
    ops: Option<u32>,
    /// Switch on the example's seeded bug.
    #[arg(long)]
    bug: bool,
    /// The search.
    #[arg(long, value_enum, default_value_t = Search::Dpor)]
    search: Search,
    /// Seed of the random walks.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Number of random walks.
    #[arg(long, default_value_t = 10_000)]
    walks: u64,
    /// At most this many deliveries per execution.
    #[arg(long, default_value_t = causet_explore::DEFAULT_MAX_DEPTH)]
    max_depth: usize,
    /// Stop after this many executions.
    #[arg(long)]
    max_executions: Option<u64>,
    /// Rerun exactly this schedule (as printed for a violation: SENDER.NUMBER,...)
    /// instead of searching.
    #[arg(long, value_name = "SCHEDULE")]
    replay: Option<String>,
    /// Write the counterexample's GoVector log to DIR/causet.log (with --replay: the
    /// replayed execution's, violation or not).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Instead of searching, run the example's nodes once under a real host (OS processes
    /// over loopback TCP, OS threads or tokio tasks) and check its properties on the
    /// states the run leaves; --out DIR gets each node's log and the merged DIR/causet.log.
    #[arg(long, value_name = "MODE", value_parser = super::mode_parser(), conflicts_with_all = ["replay", "search"])]
    host: Option<Mode>,
    /// Print JSON: {"example","nodes","ops","bug","search","executions","steps","truncated",
    /// "complete","interrupted","violation":null or {"property","at_end","schedule","log"}}
    /// ("interrupted": a signal ended the search, exit 130); with --host:
    /// {"example","nodes","ops","bug","host","violation":null or {"property"},"log"}
    #[arg(long)]
    json: bool,
}

/// Executions between two looks at the progress display and the stop flag (about 3 ms of
/// DPOR on the examples).
const PROGRESS_EVERY: u64 = 1024;

/// The names `--host process` starts the examples' node processes under.
const KV_NODES: &str = "causet-explore-kv";
const MUTEX_NODES: &str = "causet-explore-mutex";

/// In a node process started by `causet explore --host process`: runs the node and exits
/// (called first thing in `main`); elsewhere returns at once.
pub(crate) fn serve_node_processes() {
    serve_node_process::<kv::Kv>(KV_NODES);
    serve_node_process::<mutex::Peer>(MUTEX_NODES);
}

/// Runs `causet explore`.
pub(crate) fn run(args: ExploreArgs) -> anyhow::Result<ExitCode> {
    if !(2..=MAX_EXAMPLE_NODES).contains(&args.nodes) {
        anyhow::bail!(
            "--nodes: the examples run on 2 to {MAX_EXAMPLE_NODES} nodes, not {}",
            args.nodes
        );
    }
    let ops = args.ops.unwrap_or(args.example.default_ops());
    if let Some(mode) = args.host {
        let (nodes, bug) = (args.nodes, args.bug);
        return match args.example {
            Example::Kv => hosted(
                &kv::explorer(nodes, ops, bug),
                Host::new(KV_NODES, kv::replicas(nodes, ops, bug)),
                mode,
                &args,
                ops,
            ),
            Example::Mutex => hosted(
                &mutex::explorer(nodes, ops, bug),
                Host::new(MUTEX_NODES, mutex::peers(nodes, ops, bug)),
                mode,
                &args,
                ops,
            ),
        };
    }
    match args.example {
        Example::Kv => explore(kv::explorer(args.nodes, ops, args.bug), &args, ops),
        Example::Mutex => explore(mutex::explorer(args.nodes, ops, args.bug), &args, ops),
    }
}

fn explore<A: Actor>(
    explorer: Explorer<A>,
    args: &ExploreArgs,
    ops: u32,
) -> anyhow::Result<ExitCode> {
    let mut explorer = explorer.max_depth(args.max_depth);
    if let Some(max) = args.max_executions {
        explorer = explorer.max_executions(max);
    }
    let mut interrupted = false;
    let (search, report, log) = match &args.replay {
        Some(text) => {
            let schedule: Schedule = text.parse().context("--replay")?;
            let replay = explorer.replay(&schedule).context("--replay")?;
            let stats = Stats {
                executions: 1,
                steps: schedule.len() as u64,
                ..Stats::default()
            };
            let report = Report {
                stats,
                violation: replay.violation,
            };
            ("replay", report, Some(replay.log))
        }
        None => {
            // A long search shows its counts on a terminal, and a signal (Ctrl-C) ends it
            // with the report of what it covered so far.
            let stop = super::stop_on_signals()?;
            let status =
                super::Status::start("causet explore", format!("{} search", args.search.name()));
            let flag = std::sync::Arc::clone(&stop);
            let started = std::time::Instant::now();
            let explorer = explorer.on_progress(PROGRESS_EVERY, move |stats| {
                let rate = stats.steps as f64 / started.elapsed().as_secs_f64().max(1e-9);
                status.phase(&format!(
                    "{} executions, {} deliveries ({:.1} M/s)",
                    stats.executions,
                    stats.steps,
                    rate / 1e6
                ));
                !flag.load(std::sync::atomic::Ordering::Relaxed)
            });
            let report = match args.search {
                Search::Dpor => explorer.dpor(),
                Search::Naive => explorer.naive(),
                Search::Random => explorer.random(args.seed, args.walks),
            }
            .context("exploring")?;
            let log = match &report.violation {
                Some(violation) => Some(
                    explorer
                        .replay(&violation.schedule)
                        .context("replaying the violation")?
                        .log,
                ),
                None => None,
            };
            interrupted = stop.load(std::sync::atomic::Ordering::Relaxed);
            (args.search.name(), report, log)
        }
    };
    let written = match (&args.out, &log) {
        (Some(dir), Some(log)) if report.violation.is_some() || args.replay.is_some() => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", super::shown(dir)))?;
            let path = dir.join("causet.log");
            std::fs::write(&path, log)
                .with_context(|| format!("cannot write {}", super::shown(&path)))?;
            Some(path)
        }
        _ => None,
    };
    print(args, ops, search, &report, written.as_ref(), interrupted)?;
    Ok(if report.violation.is_some() {
        ExitCode::from(1)
    } else if interrupted {
        // As a shell reports a command ended by SIGINT: the search did not finish.
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--host`: one run of the nodes under a real host, checked against the example's
/// properties (exit 1 when the run breaks one).
fn hosted<A>(
    explorer: &Explorer<A>,
    host: Host<A>,
    mode: Mode,
    args: &ExploreArgs,
    ops: u32,
) -> anyhow::Result<ExitCode>
where
    A: Actor + Send + Serialize + DeserializeOwned + 'static,
    A::Message: Send + Serialize + DeserializeOwned + 'static,
{
    let nodes = host
        .mode(mode)
        .run()
        .with_context(|| format!("hosting the nodes as {mode}s"))?;
    let (states, logs): (Vec<A>, Vec<Vec<u8>>) =
        nodes.into_iter().map(|n| (n.actor, n.log)).unzip();
    let broken = explorer.broken_by(&states).map(str::to_string);
    let log = match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", super::shown(dir)))?;
            let mut paths = Vec::with_capacity(logs.len());
            for (i, log) in logs.iter().enumerate() {
                let path = dir.join(format!("node{i}.log"));
                std::fs::write(&path, log)
                    .with_context(|| format!("cannot write {}", super::shown(&path)))?;
                paths.push(path);
            }
            let merged = dir.join("causet.log");
            merge_logs(&paths, &merged).context("merging the nodes' logs")?;
            Some(merged)
        }
        None => None,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        #[derive(serde::Serialize)]
        struct JsonViolation<'a> {
            property: &'a str,
        }
        #[derive(serde::Serialize)]
        struct Json<'a> {
            example: &'a str,
            nodes: usize,
            ops: u32,
            bug: bool,
            host: &'a str,
            violation: Option<JsonViolation<'a>>,
            log: Option<String>,
        }
        let json = serde_json::to_string(&Json {
            example: args.example.name(),
            nodes: args.nodes,
            ops,
            bug: args.bug,
            host: mode.name(),
            violation: broken.as_deref().map(|property| JsonViolation { property }),
            log: log.as_ref().map(|p| p.display().to_string()),
        })
        .context("encoding the report")?;
        writeln!(out, "{json}").context("writing the report")?;
    } else {
        write_example(&mut out, args, ops)?;
        writeln!(out, "host        {mode} (one run)")?;
        match &broken {
            None => writeln!(out, "verdict     the properties hold on this run")?,
            Some(property) => writeln!(out, "violation   {property}, on this run")?,
        }
        if let Some(path) = &log {
            writeln!(out, "log         {}", super::shown(path))?;
        }
    }
    Ok(if broken.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print(
    args: &ExploreArgs,
    ops: u32,
    search: &str,
    report: &Report,
    log: Option<&PathBuf>,
    interrupted: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let stats = &report.stats;
    if args.json {
        // Structs, not `json!`, so that keys keep the documented order.
        #[derive(serde::Serialize)]
        struct JsonViolation<'a> {
            property: &'a str,
            at_end: bool,
            schedule: String,
            log: Option<String>,
        }
        #[derive(serde::Serialize)]
        struct Json<'a> {
            example: &'a str,
            nodes: usize,
            ops: u32,
            bug: bool,
            search: &'a str,
            executions: u64,
            steps: u64,
            truncated: u64,
            complete: bool,
            interrupted: bool,
            violation: Option<JsonViolation<'a>>,
        }
        let json = serde_json::to_string(&Json {
            example: args.example.name(),
            nodes: args.nodes,
            ops,
            bug: args.bug,
            search,
            executions: stats.executions,
            steps: stats.steps,
            truncated: stats.truncated,
            complete: stats.complete,
            interrupted,
            violation: report
                .violation
                .as_ref()
                .map(|v: &Violation| JsonViolation {
                    property: &v.property,
                    at_end: v.at_end,
                    schedule: v.schedule.to_string(),
                    log: log.map(|p| p.display().to_string()),
                }),
        })
        .context("encoding the report")?;
        writeln!(out, "{json}").context("writing the report")?;
        return Ok(());
    }
    write_example(&mut out, args, ops)?;
    writeln!(out, "search      {search}")?;
    writeln!(out, "executions  {}", stats.executions)?;
    writeln!(out, "deliveries  {}", stats.steps)?;
    if stats.truncated > 0 {
        writeln!(out, "cut at the depth bound  {}", stats.truncated)?;
    }
    match &report.violation {
        None => {
            let verdict = if args.replay.is_some() {
                "no violation on this schedule"
            } else if stats.complete {
                "no violation: every execution checked"
            } else if interrupted {
                "no violation so far (stopped by a signal: the search was not exhaustive)"
            } else {
                "no violation found (the search was not exhaustive)"
            };
            writeln!(out, "verdict     {verdict}")?;
        }
        Some(violation) => {
            let when = if violation.at_end { " at the end" } else { "" };
            writeln!(
                out,
                "violation   {}{when}, after {} deliveries",
                violation.property,
                violation.schedule.len()
            )?;
            writeln!(out, "schedule    {}", violation.schedule)?;
            let bug = if args.bug { " --bug" } else { "" };
            writeln!(
                out,
                "replay      causet explore --example {} --nodes {} --ops {ops}{bug} --replay '{}'",
                args.example.name(),
                args.nodes,
                violation.schedule
            )?;
        }
    }
    if let Some(path) = log {
        writeln!(out, "log         {}", super::shown(path))?;
    }
    Ok(())
}

/// The report's first line: which example, how big, whether its bug is seeded.
fn write_example(out: &mut impl Write, args: &ExploreArgs, ops: u32) -> std::io::Result<()> {
    let bug = if args.bug { ", bug seeded" } else { "" };
    writeln!(
        out,
        "example     {} ({} nodes, --ops {ops}{bug})",
        args.example.name(),
        args.nodes
    )
}
