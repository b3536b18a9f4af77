//! `causet check LOG`: validate a GoVector/ShiViz log against ShiViz's rules.
//!
//! Also home of the log-reading arguments and helpers that `analyze` and `order` share.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use causet_trace::log::{CheckOptions, Log, ReadOptions, Violation, read_log_with_progress};

/// How to read a log (shared by `check`, `analyze` and `order`).
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// The log: GoVector's layout (a `node {"node":n, ...}` line, then the event's text) by
    /// default, or a ShiViz upload file (first line the parser regex, second the delimiter),
    /// recognised by itself.
    pub log: PathBuf,
    /// ShiViz parser regex (JavaScript syntax) with named groups `host`, `clock` and
    /// `event`; other named groups become fields. Matched over the whole text in multi-line
    /// mode, like ShiViz (the file is streamed when no match can span more than a fixed
    /// number of lines, e.g. no `[^ ]+` or `\s*`). Example (ShiViz's default layout, event
    /// line first): `(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`
    #[arg(long, value_name = "REGEX")]
    pub regex: Option<String>,
    /// Multi-execution delimiter regex; its `trace` group names the execution that follows.
    /// Example: `^=== (?<trace>.*) ===$`
    #[arg(long, value_name = "REGEX")]
    pub delimiter: Option<String>,
    /// Treat text that matches no log entry as an error (by default: a warning on stderr).
    #[arg(long)]
    pub strict: bool,
}

impl LogArgs {
    /// Reads the log, with a progress bar on stderr for reads over a second (when stderr is
    /// a terminal), and warns about unmatched text.
    pub fn read(&self) -> anyhow::Result<Log> {
        let options = ReadOptions {
            regex: self.regex.clone(),
            delimiter: self.delimiter.clone(),
            strict: self.strict,
        };
        let started = Instant::now();
        let show = std::io::stderr().is_terminal();
        let mut bar: Option<indicatif::ProgressBar> = None;
        let mut progress = |done: u64, total: Option<u64>| {
            if !show || started.elapsed() < Duration::from_secs(1) {
                return;
            }
            let bar = bar.get_or_insert_with(|| {
                let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "reading {bytes}/{total_bytes} [{bar:30}] {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            bar.set_position(done);
        };
        let log = read_log_with_progress(&self.log, &options, &mut progress);
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let log = log?;
        warn_unmatched(&self.log, &log);
        Ok(log)
    }
}

/// Prints the first few runs of unmatched text on stderr, then a total.
fn warn_unmatched(file: &std::path::Path, log: &Log) {
    if log.unmatched_lines == 0 {
        return;
    }
    let mut stderr = std::io::stderr().lock();
    const SHOWN: usize = 5;
    for unmatched in log.unmatched.iter().take(SHOWN) {
        let _ = writeln!(stderr, "causet: warning: {}:{unmatched}", file.display());
    }
    let _ = writeln!(
        stderr,
        "causet: warning: {}: {} line(s) in all match no log entry{} (--strict makes this an \
         error)",
        file.display(),
        log.unmatched_lines,
        if log.unmatched.len() > SHOWN {
            ", the first shown"
        } else {
            ""
        }
    );
}

/// `FILE:LINE: message` (with the execution's name when the log has several).
pub fn describe_violation(file: &std::path::Path, log: &Log, violation: &Violation) -> String {
    if log.executions.len() > 1 {
        format!(
            "{}:{}: in execution '{}': {}",
            file.display(),
            violation.line,
            violation.execution,
            violation.kind
        )
    } else {
        format!("{}:{}: {}", file.display(), violation.line, violation.kind)
    }
}

/// Checks every execution strictly, then leniently; fails (naming the line) if an execution
/// is invalid even leniently, and warns when it needs `--lenient`. For `analyze`/`order`,
/// whose answers assume a valid log.
pub fn require_valid(file: &std::path::Path, log: &Log) -> anyhow::Result<()> {
    for execution in &log.executions {
        if let Err(violation) = execution.check(&CheckOptions::default()) {
            if let Err(violation) = execution.check(&CheckOptions { lenient: true }) {
                anyhow::bail!(
                    "{} (run `causet check` for details; answers need a valid log)",
                    describe_violation(file, log, &violation)
                );
            }
            let _ = writeln!(
                std::io::stderr(),
                "causet: warning: {} (answering from the clocks as given, as `check --lenient` \
                 accepts)",
                describe_violation(file, log, &violation)
            );
        }
    }
    Ok(())
}

/// Arguments of `causet check`.
///
/// Exit status: 0 when every execution is valid, 1 when one is not (the first violation is
/// printed as FILE:LINE: what is wrong), 2 when the log cannot be read.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when every execution is valid; 1 when one is not (the first \
                  violation is printed as FILE:LINE: what is wrong); 2 when the log cannot be read."
)]
pub struct CheckArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Accept holes (missing events) and clock entries for nodes that log nothing, as in
    /// logs taken from network captures; still rejects duplicates, clocks that go
    /// backwards and cycles.
    #[arg(long)]
    lenient: bool,
    /// Print the verdict as JSON:
    /// {"valid":B,"executions":[{"name":"","events":N,"nodes":H,"valid":B,"violation":{"line":L,"message":"..."}}]}
    #[arg(long)]
    json: bool,
}

/// Runs `causet check`.
pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let file = args.log.log.clone();
    let log = args.log.read()?;
    let options = CheckOptions {
        lenient: args.lenient,
    };
    let verdicts: Vec<Result<(), Violation>> = log
        .executions
        .iter()
        .map(|execution| execution.check(&options))
        .collect();
    // A log without a single entry is almost surely read with the wrong layout.
    let empty = log.executions.is_empty();
    let valid = !empty && verdicts.iter().all(Result::is_ok);
    let mut out = std::io::stdout().lock();
    if args.json {
        let executions: Vec<serde_json::Value> = log
            .executions
            .iter()
            .zip(&verdicts)
            .map(|(execution, verdict)| {
                let mut value = serde_json::json!({
                    "name": execution.name(),
                    "events": execution.len(),
                    "nodes": (0..execution.nodes().len())
                        .filter(|&node| execution.events_of(node).len() > 0)
                        .count(),
                    "valid": verdict.is_ok(),
                });
                if let Err(violation) = verdict {
                    value["violation"] = serde_json::json!({
                        "line": violation.line,
                        "message": violation.kind.to_string(),
                    });
                }
                value
            })
            .collect();
        let json = serde_json::json!({ "valid": valid, "executions": executions });
        if empty {
            let _ = writeln!(
                std::io::stderr(),
                "causet: {}: no log entries",
                file.display()
            );
        }
        writeln!(out, "{json}").context("writing the verdict")?;
    } else if empty {
        writeln!(
            out,
            "{}: no log entries found (another layout? see --regex)",
            file.display()
        )
        .context("writing the verdict")?;
    } else if valid {
        writeln!(
            out,
            "{}: valid{}: {} events, {} execution(s)",
            file.display(),
            if args.lenient { " (lenient)" } else { "" },
            log.event_count(),
            log.executions.len()
        )
        .context("writing the verdict")?;
    } else if let Some(Err(violation)) = verdicts.iter().find(|verdict| verdict.is_err()) {
        writeln!(out, "{}", describe_violation(&file, &log, violation))
            .context("writing the verdict")?;
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
