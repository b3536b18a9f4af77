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
#[derive(Debug, clap::Args)]
pub(crate) struct AnalyzeArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Print JSON:
    /// {"executions":[{"name":"","events":N,"nodes":H,"messages":M,"concurrent_pairs":C,"stamp_bytes":{"full":X,"differential":Y,"knowledge":K,"lower_bound":L}}]}
    #[arg(long)]
    json: bool,
}

/// Runs `causet analyze`.
pub(crate) fn run(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let log = args.log.read()?;
    args.log.require_valid(&log, &log.executions)?;
    let summaries: Vec<_> = log.executions.iter().map(analyze).collect();
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
        writeln!(
            out,
            "stamp bytes       {} full, {} differential, {} knowledge-aware, {} lower bound",
            summary.stamp_bytes.full,
            summary.stamp_bytes.differential,
            summary.stamp_bytes.knowledge,
            summary.stamp_bytes.lower_bound
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
