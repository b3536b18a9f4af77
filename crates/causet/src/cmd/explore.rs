//! `causet explore --example kv|mutex`: every causally different execution of a bundled
//! protocol, checked; a violation's schedule and its log.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use causet_explore::examples::{kv, mutex};
use causet_explore::{Explorer, Report, Schedule, Stats, Violation};
use causet_runtime::Actor;

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
/// violation (its schedule printed, its log written to --out), 2 on an error.
#[derive(Debug, clap::Args)]
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
    /// Print JSON: {"example","nodes","ops","bug","search","executions","steps","truncated",
    /// "complete","violation":null or {"property","at_end","schedule","log"}}
    #[arg(long)]
    json: bool,
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
    print(args, ops, search, &report, written.as_ref())?;
    Ok(if report.violation.is_some() {
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
    let bug = if args.bug { ", bug seeded" } else { "" };
    writeln!(
        out,
        "example     {} ({} nodes, --ops {ops}{bug})",
        args.example.name(),
        args.nodes
    )?;
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
