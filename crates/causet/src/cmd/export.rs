//! `causet export LOG --format chrome-trace -o trace.json`: a log in another tool's format.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use causet_diagram::write_chrome_trace;

use super::check::LogArgs;

/// Formats `causet export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Chrome / Perfetto trace-event JSON: open it at ui.perfetto.dev or in Chrome's
    /// about:tracing. One process per execution, one thread per node, each event a 1 µs slice
    /// with its id, text, line and clock, each message a flow arrow; time is causal (an
    /// event's timestamp is the sum of its clock, so every arrow points forward).
    ChromeTrace,
}

/// Arguments of `causet export`.
///
/// Writes the log in another tool's format, for logs too big for any diagram: Perfetto's UI
/// opens millions of events. The log must pass `causet check` (with `--lenient`:
/// `check --lenient`).
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    log: LogArgs,
    /// The format to write.
    #[arg(long, value_enum, default_value = "chrome-trace")]
    format: Format,
    /// Where to write it; `-` (the default) writes to standard output.
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    output: PathBuf,
    /// Print what was written as JSON on standard output (needs -o FILE):
    /// {"output":"FILE","executions":X,"events":N,"messages":M}
    #[arg(long)]
    json: bool,
}

/// Runs `causet export`.
pub(crate) fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let to_stdout = args.output.as_os_str() == "-";
    if to_stdout && args.json {
        anyhow::bail!("--json needs the export in a file: give one with -o FILE");
    }
    let log = args.log.read()?;
    args.log.require_valid(&log, &log.executions)?;
    let Format::ChromeTrace = args.format;
    let summary = if to_stdout {
        let stdout = std::io::stdout().lock();
        write_chrome_trace(&log, std::io::BufWriter::new(stdout)).context("writing the trace")?
    } else {
        let file = std::fs::File::create(&args.output)
            .with_context(|| format!("cannot create {}", super::shown(&args.output)))?;
        write_chrome_trace(&log, std::io::BufWriter::new(file))
            .with_context(|| format!("cannot write {}", super::shown(&args.output)))?
    };
    if to_stdout {
        return Ok(ExitCode::SUCCESS);
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let mut json = serde_json::to_value(summary).context("summary as JSON")?;
        json["output"] = args.output.display().to_string().into();
        writeln!(stdout, "{json}")?;
    } else {
        writeln!(
            stdout,
            "{}: {} events and {} messages in {} execution(s), as Chrome trace-event JSON \
             (open it at ui.perfetto.dev)",
            super::shown(&args.output),
            summary.events,
            summary.messages,
            summary.executions
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
