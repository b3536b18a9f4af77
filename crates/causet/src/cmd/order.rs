//! `causet order LOG A B` / `causet order LOG --pairs FILE`: before, after, equal or
//! concurrent.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use causet_log::Execution;

use super::check::LogArgs;

/// Arguments of `causet order`.
///
/// Prints how event A relates to event B: `before` (A happened before B), `after`, `equal`
/// (the same event) or `concurrent`. Events are named `node:n`, where n is the node's own
/// clock entry for the event (node:1 is its first event). With --pairs, reads one `A B`
/// pair per line (blank lines and lines starting with # are skipped) and prints one answer
/// per line. A log with several executions (a ShiViz delimiter) answers within one:
/// --execution NAME, by default the first.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Events are named node:n, where n is the node's own clock entry for the \
                        event (node:1 is its first event). In a log with several executions \
                        (a ShiViz delimiter), --execution NAME picks one; the first by default."
)]
pub(crate) struct OrderArgs {
    #[command(flatten)]
    log: LogArgs,
    /// The first event, `node:n`.
    #[arg(required_unless_present = "pairs", requires = "b")]
    a: Option<String>,
    /// The second event, `node:n`.
    #[arg(requires = "a")]
    b: Option<String>,
    /// A file of `A B` pairs, one per line (`-` for standard input; blank lines and lines
    /// starting with `#` are skipped).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["a", "b"])]
    pairs: Option<PathBuf>,
    /// The execution to answer in (its delimiter's `trace` name); default the first.
    #[arg(long, value_name = "NAME")]
    execution: Option<String>,
    /// Print JSON: {"execution":"","answers":[{"a":"x:1","b":"y:2","order":"before"}]}
    #[arg(long)]
    json: bool,
}

/// Runs `causet order`.
pub(crate) fn run(args: OrderArgs) -> anyhow::Result<ExitCode> {
    let file = args.log.log.clone();
    let log = args.log.read()?;
    let execution: &Execution = match &args.execution {
        Some(name) => log.execution(name).with_context(|| {
            let names: Vec<String> = log
                .executions
                .iter()
                .map(|execution| format!("'{}'", execution.name()))
                .collect();
            format!(
                "{}: no execution named '{name}' (executions: {})",
                super::shown(&file),
                names.join(", ")
            )
        })?,
        None => log.executions.first().with_context(|| {
            format!(
                "{}: no log entries found (another layout? see --regex)",
                super::shown(&file)
            )
        })?,
    };
    args.log.require_valid(&log, [execution])?;
    let pairs: Vec<(String, String, String)> = match (&args.pairs, &args.a, &args.b) {
        (Some(path), _, _) => read_pairs(path)?,
        (None, Some(a), Some(b)) => vec![(String::new(), a.clone(), b.clone())],
        _ => anyhow::bail!("give two events A B, or --pairs FILE"),
    };
    let mut answers = Vec::with_capacity(pairs.len());
    for (place, a, b) in &pairs {
        let answer = execution
            .order_ids(a, b)
            .with_context(|| format!("{place}{a} {b}"))?;
        answers.push(answer);
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let list: Vec<serde_json::Value> = pairs
            .iter()
            .zip(&answers)
            .map(
                |((_, a, b), answer)| serde_json::json!({"a": a, "b": b, "order": answer.as_str()}),
            )
            .collect();
        let json = serde_json::json!({ "execution": execution.name(), "answers": list });
        writeln!(out, "{json}").context("writing the answers")?;
    } else {
        for answer in &answers {
            writeln!(out, "{}", answer.as_str()).context("writing the answers")?;
        }
    }
    out.flush().context("writing the answers")?;
    Ok(ExitCode::SUCCESS)
}

/// `(place, A, B)` per pair line, where place is `FILE:LINE: ` for error messages.
fn read_pairs(path: &std::path::Path) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut pairs = Vec::new();
    super::pairs::for_each_pair(
        path,
        super::pairs::Split::Whitespace,
        "two events `A B`",
        |name, pair| {
            let place = format!("{name}:{}: ", pair.line);
            pairs.push((place, pair.a.0.to_string(), pair.b.0.to_string()));
            Ok(())
        },
    )?;
    Ok(pairs)
}
