//! `causet check LOG`: validate a GoVector/ShiViz log against ShiViz's rules.
//!
//! Also home of the log-reading arguments and helpers that `analyze` and `order` share.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use causet_log::{CheckOptions, Execution, Log, ReadOptions, Violation, read_log_with_progress};

/// How to read a log (shared by `check`, `analyze` and `order`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LogArgs {
    /// The log: GoVector's layout (a `node {"node":n, ...}` line, then the event's text) by
    /// default, or a ShiViz upload file (first line the parser regex, second the delimiter),
    /// recognised by itself. Clock counters are at most 2^32-1 (4294967295) in logs
    /// (`causet clock` takes up to 2^64-1); a larger one is an error naming the limit.
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
    /// Accept holes (missing events) and clock entries for nodes that log nothing, as in
    /// logs taken from network captures; still rejects duplicates, clocks that go
    /// backwards and cycles. Without it, every command reads logs by ShiViz's rules.
    #[arg(long)]
    pub lenient: bool,
}

impl LogArgs {
    /// Reads the log, with a progress bar on stderr for reads over a second (when stderr is
    /// a terminal), and warns about unmatched text. A log without a single entry is an
    /// error (almost surely read with the wrong layout), the same for every command.
    pub(crate) fn read(&self) -> anyhow::Result<Log> {
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
        if log.executions.is_empty() {
            anyhow::bail!(
                "{}: no log entries found (another layout? see --regex)",
                super::shown(&self.log)
            );
        }
        Ok(log)
    }

    /// The check options these arguments ask for.
    pub(crate) fn check_options(&self) -> CheckOptions {
        CheckOptions {
            lenient: self.lenient,
        }
    }

    /// Fails, naming the first violation's line, unless every one of `executions` passes
    /// `causet check` with these arguments (`--lenient` or not): for `analyze`, `order` and
    /// `render`, whose answers assume a valid log. Says when `--lenient` would accept it.
    pub(crate) fn require_valid<'a>(
        &self,
        log: &Log,
        executions: impl IntoIterator<Item = &'a Execution>,
    ) -> anyhow::Result<()> {
        for execution in executions {
            let Err(violation) = execution.check(&self.check_options()) else {
                continue;
            };
            let hint = if !self.lenient && execution.check(&CheckOptions { lenient: true }).is_ok()
            {
                "; --lenient accepts it and answers from the clocks as given"
            } else {
                "; run `causet check` for details"
            };
            anyhow::bail!(
                "{} (answers need a valid log{hint})",
                describe_violation(&self.log, log, &violation)
            );
        }
        Ok(())
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
        let _ = writeln!(
            stderr,
            "causet: warning: {}:{unmatched}",
            super::shown(file)
        );
    }
    let _ = writeln!(
        stderr,
        "causet: warning: {}: {} line(s) in all match no log entry{} (--strict makes this an \
         error)",
        super::shown(file),
        log.unmatched_lines,
        if log.unmatched.len() > SHOWN {
            ", the first shown"
        } else {
            ""
        }
    );
}

/// `FILE:LINE: message` (with the execution's name when the log has several).
/// Control characters in node names are escaped.
pub(crate) fn describe_violation(
    file: &std::path::Path,
    log: &Log,
    violation: &Violation,
) -> String {
    let text = if log.executions.len() > 1 {
        format!(
            "{}:{}: in execution '{}': {}",
            super::shown(file),
            violation.line,
            violation.execution,
            violation.kind
        )
    } else {
        format!(
            "{}:{}: {}",
            super::shown(file),
            violation.line,
            violation.kind
        )
    };
    super::printable(&text)
}

/// Arguments of `causet check`.
///
/// Exit status: 0 when every execution is valid, 1 when one is not (the first violation is
/// printed as FILE:LINE: what is wrong), 2 when the log cannot be read or holds no entry.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when every execution is valid; 1 when one is not (the first \
                  violation is printed as FILE:LINE: what is wrong); 2 when the log cannot be read or \
                  holds no entry."
)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Print the verdict as JSON:
    /// {"valid":B,"executions":[{"name":"","events":N,"nodes":H,"valid":B,"violation":{"line":L,"message":"..."}}]}
    #[arg(long)]
    json: bool,
}

/// Runs `causet check`.
pub(crate) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let file = args.log.log.clone();
    let log = args.log.read()?;
    let options = args.log.check_options();
    let verdicts: Vec<Result<(), Violation>> = log
        .executions
        .iter()
        .map(|execution| execution.check(&options))
        .collect();
    let valid = verdicts.iter().all(Result::is_ok);
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
        writeln!(out, "{json}").context("writing the verdict")?;
    } else if valid {
        writeln!(
            out,
            "{}: valid{}: {} events, {} execution(s)",
            super::shown(&file),
            if args.log.lenient { " (lenient)" } else { "" },
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
