//! `causet races TRACE`: happens-before data races in a RAPID trace (STD text or binary
//! RapidBin).

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use causet_races::{
    Engine, Progress, RaceOptions, RaceReport, TraceErrorKind, TraceFormat,
    detect_races_with_format,
};

/// Arguments of `causet races`.
///
/// A racy event is an access e to a variable x such that some earlier access to x (in trace
/// order) by another thread, at least one of the two a write, does not happen before e.
/// Happens-before: program order, lock release to later acquire, fork to the child, the
/// child to join. Locks are re-entrant; an ill-formed trace (releasing a lock not held,
/// acquiring a lock another thread holds, joining twice, ...) is an error naming the line
/// (for RapidBin: the event and its byte offset).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A racy event is an access e to a variable x such that some earlier access \
                  to x by another thread, one of the two a write, does not happen before e \
                  (happens-before: program order, release to later acquire of the lock, fork, \
                  join). Racy lines: distinct locations of racy events. Locks are re-entrant; \
                  an ill-formed trace is an error naming the line.\n\n\
                  Formats: STD text (one `thread|op(operand)|location` event per line) and \
                  RAPID's binary RapidBin (`.data`: an 18-byte big-endian header of thread, \
                  lock, variable and event counts, then 8 bytes per event). By default the \
                  content decides: NUL bytes in the first 18 bytes, or a header whose event \
                  count matches the file's length, mean RapidBin. A RapidBin trace reports as \
                  its STD rendering would: thread n is Tn, locks and variables are numbers, \
                  event k is line k.\n\n\
                  Examples:\n  causet races trace.std\n  causet races trace.std \
                  --engine tree --list 5\n  causet races trace.std --json\n  \
                  causet races Bensalem.data\n  cat trace.data | causet races - --format rapidbin"
)]
pub(crate) struct RacesArgs {
    /// The trace: RAPID's STD format, one `thread|op(operand)|location` event per line
    /// (ops r w acq rel fork join begin end, and the dialects req, rd, wr, `fork(9)` for
    /// `T9`), or RAPID's binary RapidBin format; `-` reads standard input.
    #[arg(value_name = "TRACE")]
    trace: PathBuf,
    /// The trace's format: std, rapidbin, or auto (by content: NUL bytes in the first 18
    /// bytes, or a RapidBin header whose event count matches the file's length, mean
    /// rapidbin; standard input is decided by its first 18 bytes).
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = parse_format)]
    format: TraceFormat,
    /// Happens-before engine; all give the same answer. vc: DJIT+ vector clocks; epoch:
    /// FastTrack epochs (exact after write-write races); tree: epochs with tree clocks for
    /// threads and locks.
    #[arg(long, default_value = "epoch", value_parser = parse_engine)]
    engine: Engine,
    /// Print the first K races, each with the location of the earlier access it races with
    /// (the most recent such access).
    #[arg(long, value_name = "K", default_value_t = 0)]
    list: usize,
    /// Machine-readable output: {"events":N,"threads":T,"racy_events":R,
    /// "racy_variables":[...],"racy_lines":L,...}.
    #[arg(long)]
    json: bool,
    /// Refuse traces with more threads than this (clock memory grows with threads² at
    /// worst: 64 MiB for 4,096 threads with vc or epoch, 384 MiB with tree).
    #[arg(long, value_name = "N", default_value_t = 4_096)]
    max_threads: usize,
    /// Refuse a trace whose clocks would need more than SIZE (e.g. 512M, 4G, 1.5GiB)
    /// [default: half of the machine's memory].
    #[arg(long, value_name = "SIZE", value_parser = super::memory::parse_size,
          long_help = max_memory_help())]
    max_memory: Option<u64>,
}

fn max_memory_help() -> String {
    format!(
        "Refuse, before allocating, a trace whose threads, locks and variables would need \
         more than SIZE (estimated for dense clocks: threads² + locks × threads entries of 4 \
         bytes, 20 with tree), with an error naming the line, instead of running out of \
         memory. {}",
        super::memory::SIZE_HELP
    )
}

fn parse_engine(text: &str) -> Result<Engine, String> {
    text.parse()
        .map_err(|err: causet_races::UnknownEngine| err.to_string())
}

fn parse_format(text: &str) -> Result<TraceFormat, String> {
    text.parse()
        .map_err(|err: causet_races::UnknownFormat| err.to_string())
}

/// Runs `causet races`.
pub(crate) fn run(args: RacesArgs) -> anyhow::Result<ExitCode> {
    let (input, name, total): (Box<dyn Read>, String, Option<u64>) =
        if args.trace.as_os_str() == "-" {
            (Box::new(std::io::stdin().lock()), "<stdin>".into(), None)
        } else {
            let name = args.trace.display().to_string();
            let file = File::open(&args.trace).with_context(|| format!("cannot open {name}"))?;
            let total = file.metadata().ok().map(|m| m.len());
            (Box::new(file), name, total)
        };
    // Decided here (by the first bytes, and a file's length), so the report can say
    // "event" or "line".
    let (format, input): (TraceFormat, Box<dyn Read>) = if args.format == TraceFormat::Auto {
        let (format, input) =
            TraceFormat::sniff(input, total).with_context(|| format!("cannot read {name}"))?;
        (format, Box::new(input))
    } else {
        (args.format, input)
    };
    let mut options = RaceOptions::new(args.engine).with_list(args.list);
    options.max_threads = args.max_threads;
    let (max_memory, limit_is) = super::memory::limit(args.max_memory);
    options.max_memory = max_memory;
    options.progress_every = 1 << 18;

    // A progress bar on long runs only, and only when someone watches stderr.
    let show = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut progress = |p: Progress| {
        if !show || started.elapsed() < Duration::from_millis(500) {
            return;
        }
        let bar = bar.get_or_insert_with(|| new_bar(total));
        bar.set_position(p.bytes);
        bar.set_message(format!("{} events", p.events));
    };
    let report = detect_races_with_format(input, &name, format, &options, &mut progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report.map_err(|err| match err.kind() {
        TraceErrorKind::MemoryLimit { .. } if args.max_memory.is_none() => {
            anyhow::anyhow!("{err} (the limit is {limit_is})")
        }
        _ => err.into(),
    })?;

    let mut out = std::io::stdout().lock();
    if args.json {
        let mut value = serde_json::to_value(&report).context("encoding the report")?;
        if let Some(object) = value.as_object_mut() {
            object.insert("engine".into(), args.engine.name().into());
            if args.list == 0 {
                object.remove("races");
            }
        }
        serde_json::to_writer(&mut out, &value).context("writing the report")?;
        writeln!(out)?;
    } else {
        // A RapidBin trace has events, not lines (the JSON keeps the key `line`: event k is
        // line k of the trace's STD rendering).
        let place = if format == TraceFormat::RapidBin {
            "event"
        } else {
            "line"
        };
        print_text(&mut out, &name, args.engine, place, &report)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn new_bar(total: Option<u64>) -> indicatif::ProgressBar {
    let (bar, template) = match total {
        Some(total) => (
            indicatif::ProgressBar::new(total),
            "reading {bytes}/{total_bytes} [{bar:30}] {msg} {eta}",
        ),
        None => (
            indicatif::ProgressBar::new_spinner(),
            "reading {bytes} {msg}",
        ),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// How many racy variables the text output names before summarising.
const SHOWN_VARIABLES: usize = 10;

fn print_text(
    out: &mut impl Write,
    name: &str,
    engine: Engine,
    place: &str,
    report: &RaceReport,
) -> std::io::Result<()> {
    // Names come from the trace: escaped, so that no trace can drive the terminal.
    let p = super::printable;
    writeln!(out, "trace:           {}", p(name))?;
    writeln!(out, "engine:          {engine}")?;
    writeln!(out, "events:          {}", report.events)?;
    writeln!(out, "threads:         {}", report.threads)?;
    writeln!(out, "locks:           {}", report.locks)?;
    writeln!(out, "variables:       {}", report.variables)?;
    writeln!(out, "racy events:     {}", report.racy_events)?;
    let shown: Vec<String> = report
        .racy_variables
        .iter()
        .take(SHOWN_VARIABLES)
        .map(|name| p(name))
        .collect();
    let more = report.racy_variables.len().saturating_sub(SHOWN_VARIABLES);
    let suffix = if more > 0 {
        format!(", ... ({more} more)")
    } else {
        String::new()
    };
    if shown.is_empty() {
        writeln!(out, "racy variables:  0")?;
    } else {
        writeln!(
            out,
            "racy variables:  {} ({}{suffix})",
            report.racy_variables.len(),
            shown.join(", ")
        )?;
    }
    writeln!(out, "racy lines:      {}", report.racy_lines)?;
    for (i, race) in report.races.iter().enumerate() {
        let op = |write: bool| if write { "w" } else { "r" };
        writeln!(
            out,
            "race {}: {place} {} {}|{}({})|{} races with {place} {} {}|{}({})|{}",
            i + 1,
            race.access.line,
            p(&race.access.thread),
            op(race.access.write),
            p(&race.variable),
            p(&race.access.location),
            race.prior.line,
            p(&race.prior.thread),
            op(race.prior.write),
            p(&race.variable),
            p(&race.prior.location),
        )?;
    }
    Ok(())
}
