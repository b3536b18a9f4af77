//! `causet clock`: clock arithmetic on GoVector/ShiViz JSON clocks (`{"alice":2, "bob":1}`).

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use causet_clock::{Causality, VersionVector};

/// The clock subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ClockCommand {
    /// Compare clock A with clock B: prints before, after, equal or concurrent (A relative
    /// to B).
    ///
    /// Clocks are JSON objects mapping node names to non-negative integer counters, as in
    /// GoVector/ShiViz logs; an absent node counts 0. Counters go up to 2^64-1
    /// (18446744073709551615) here; in logs read by check, analyze, order and render, up to
    /// 2^32-1 (4294967295, more events than one node can log in a file those commands
    /// read). Example:
    /// `causet clock compare '{"a":1}' '{"a":2,"b":1}'` prints `before`.
    Compare(CompareArgs),
    /// Merge clocks (element-wise maximum) and print the result, keys sorted:
    /// `{"a":2, "b":1}`.
    Merge(MergeArgs),
}

/// Arguments of `causet clock compare`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompareArgs {
    /// Clock A, e.g. '{"alice":2, "bob":1}'.
    #[arg(
        value_name = "A",
        required_unless_present = "pairs",
        conflicts_with = "pairs",
        allow_hyphen_values = true
    )]
    a: Option<String>,
    /// Clock B.
    #[arg(
        value_name = "B",
        required_unless_present = "pairs",
        allow_hyphen_values = true
    )]
    b: Option<String>,
    /// Compare many pairs: FILE holds one `A<TAB>B` pair per line (blank lines and lines
    /// starting with `#` are skipped); one answer is printed per pair, in order. `-` reads
    /// standard input.
    #[arg(long, value_name = "FILE")]
    pairs: Option<PathBuf>,
    /// Print JSON: `{"causality":"before"}`; with --pairs, one such object per line with
    /// its `"line"` number.
    #[arg(long)]
    json: bool,
}

/// Arguments of `causet clock merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// The clocks to merge, e.g. '{"a":1}' '{"a":2,"b":1}'.
    #[arg(value_name = "CLOCK", required = true, allow_hyphen_values = true)]
    clocks: Vec<String>,
    /// Print JSON: `{"clock":{"a":2,"b":1}}`.
    #[arg(long)]
    json: bool,
}

/// Runs a clock subcommand.
pub(crate) fn run(command: ClockCommand) -> Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match command {
        ClockCommand::Compare(args) => compare(args, &mut out)?,
        ClockCommand::Merge(args) => merge(args, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Parses a clock given on the command line, naming the argument on error.
fn parse_argument(text: &str, name: &str) -> Result<VersionVector<String>> {
    text.parse()
        .map_err(|err| anyhow!("argument {name}: {err}: {}", quote(text)))
}

/// The argument as the user wrote it, shortened for an error message.
fn quote(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        format!("{text:?}")
    } else {
        let short: String = text.chars().take(MAX).collect();
        format!("{short:?}…")
    }
}

fn compare(args: CompareArgs, out: &mut impl Write) -> Result<()> {
    if let Some(path) = &args.pairs {
        return compare_pairs(path, args.json, out);
    }
    let (Some(a), Some(b)) = (&args.a, &args.b) else {
        bail!("give two clocks A and B, or --pairs FILE");
    };
    let a = parse_argument(a, "A")?;
    let b = parse_argument(b, "B")?;
    write_answer(out, a.compare(&b), args.json, None)?;
    Ok(())
}

fn write_answer(
    out: &mut impl Write,
    answer: Causality,
    json: bool,
    line: Option<usize>,
) -> io::Result<()> {
    match (json, line) {
        (false, _) => writeln!(out, "{answer}"),
        (true, None) => writeln!(out, r#"{{"causality":"{answer}"}}"#),
        (true, Some(line)) => writeln!(out, r#"{{"line":{line},"causality":"{answer}"}}"#),
    }
}

/// Answers one `A<TAB>B` pair of clocks per line of `path` (see [`super::pairs`]).
fn compare_pairs(path: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    use super::pairs::{Split, for_each_pair};
    for_each_pair(
        path,
        Split::Tab,
        "two clocks separated by a tab",
        |name, pair| {
            let parse = |(text, start): (&str, usize), which: &str| {
                text.parse::<VersionVector<String>>().map_err(|err| {
                    anyhow!(
                        "{name}:{}:{}: clock {which}: {}",
                        pair.line,
                        start + err.column,
                        err.kind
                    )
                })
            };
            let a = parse(pair.a, "A")?;
            let b = parse(pair.b, "B")?;
            write_answer(out, a.compare(&b), json, Some(pair.line))?;
            Ok(())
        },
    )
}

fn merge(args: MergeArgs, out: &mut impl Write) -> Result<()> {
    let mut merged = VersionVector::new();
    for (k, text) in args.clocks.iter().enumerate() {
        let clock = parse_argument(text, &(k + 1).to_string())?;
        merged.merge(&clock);
    }
    if args.json {
        let clock = serde_json::to_string(&merged)?;
        writeln!(out, r#"{{"clock":{clock}}}"#)?;
    } else {
        writeln!(out, "{merged}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_errors_point_at_the_column_in_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pairs.tsv");
        std::fs::write(&path, "{\"a\":1}\t{\"a\":2}\n{\"a\":1}\t{\"b\":-3}\n").unwrap();
        let mut out = Vec::new();
        let err = compare_pairs(&path, false, &mut out).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("pairs.tsv:2:14: clock B: counter of node \"b\" is negative: -3"),
            "{err}"
        );
        assert_eq!(out, b"before\n");
    }
}
