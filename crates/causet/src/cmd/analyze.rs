//! `causet analyze LOG`: events, nodes, messages, exact concurrent pairs and stamp bytes,
//! per execution.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use causet_log::analyze;

use super::check::LogArgs;

/// Arguments of `causet analyze`.
///
/// For each execution: events, nodes (that log events), messages (send→receive edges
/// inferred from the clocks as ShiViz does), the exact number of concurrent event pairs
/// (counted in O(events × nodes), no pair enumeration), and the bytes the messages' stamps
/// take as full dense clocks versus differential stamps. The log must pass `causet check`
/// (with `--lenient`: `check --lenient`).
///
/// Memory stays below the log's size at any node count, except for the stamp bytes: their
/// replay keeps one differential clock per node (about 128 bytes × nodes²), so it is done
/// only when it fits in 16 MiB or half the log's size (at 2,000 nodes it needs about 0.5
/// GB); otherwise the summary says so, and `--stamps` replays anyway.
#[derive(Debug, clap::Args)]
pub(crate) struct AnalyzeArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Print JSON:
    /// {"executions":[{"name":"","events":N,"nodes":H,"messages":M,"concurrent_pairs":C,"stamp_bytes":{"full":X,"differential":Y,"knowledge":K,"lower_bound":L}}]}
    /// ("stamp_bytes":null when the replay was not done)
    #[arg(long)]
    json: bool,
    /// Replay the stamps whatever memory that takes (see above).
    #[arg(long)]
    stamps: bool,
}

/// Runs `causet analyze`.
pub(crate) fn run(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let log = args.log.read()?;
    args.log.require_valid(&log, &log.executions)?;
    let summaries: Vec<_> = log
        .executions
        .iter()
        .map(|execution| {
            let mut summary = analyze(execution);
            if args.stamps && summary.stamp_bytes.is_none() {
                summary.stamp_bytes = Some(causet_log::stamp_bytes(execution));
            }
            summary
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        // A struct, not `json!`, so that keys keep the documented order.
        #[derive(serde::Serialize)]
        struct Output<'a> {
            executions: &'a [causet_log::Summary],
        }
        let json = serde_json::to_string(&Output {
            executions: &summaries,
        })
        .context("encoding the summary")?;
        writeln!(out, "{json}").context("writing the summary")?;
        return Ok(ExitCode::SUCCESS);
    }
    for summary in &summaries {
        if log.executions.len() > 1 {
            writeln!(out, "execution '{}':", summary.name)?;
        }
        writeln!(out, "events            {}", summary.events)?;
        writeln!(out, "nodes             {}", summary.nodes)?;
        writeln!(out, "messages          {}", summary.messages)?;
        writeln!(out, "concurrent pairs  {}", summary.concurrent_pairs)?;
        match summary.stamp_bytes {
            Some(stamps) => writeln!(
                out,
                "stamp bytes       {} full, {} differential, {} knowledge-aware, {} lower bound",
                stamps.full, stamps.differential, stamps.knowledge, stamps.lower_bound
            )?,
            None => {
                let execution = log
                    .executions
                    .iter()
                    .find(|execution| execution.name() == summary.name);
                let (need, budget) = execution.map_or((0, 0), |execution| {
                    (
                        causet_log::stamp_replay_bytes(execution),
                        causet_log::stamp_replay_budget(execution),
                    )
                });
                writeln!(
                    out,
                    "stamp bytes       not replayed: {} nodes need about {} for it (limit {}, \
                     half the log's size); --stamps replays anyway",
                    summary.nodes,
                    causet_races::Bytes(need),
                    causet_races::Bytes(budget)
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
