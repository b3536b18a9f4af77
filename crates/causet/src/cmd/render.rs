//! `causet render LOG -o FILE.svg`: draw a space-time diagram of a log.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use causet_diagram::{Diagram, RenderError, RenderOptions, write_svg};
use causet_log::{Execution, Log};

use super::check::LogArgs;

/// Arguments of `causet render`.
///
/// Draws one execution of the log as an SVG space-time diagram, as ShiViz does: one vertical
/// timeline per node (name on top), events as dots in causal order (everything that happens
/// before an event is drawn above it), arrows from each send to its receive (messages
/// inferred from the clocks), and runs of local events collapsed into one numbered dot whose
/// tooltip lists their texts. Every dot's tooltip shows its id (node:n) and text. The log must
/// pass `causet check` (with `--lenient`: `check --lenient`). The summary counts nodes as
/// every command does, those that log events; nodes named only inside clocks (a per-process
/// log's peers) get an empty timeline and are counted apart.
#[derive(Debug, clap::Args)]
pub(crate) struct RenderArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Where to write the SVG; `-` (the default) writes it to standard output.
    #[arg(short, long, value_name = "FILE.svg", default_value = "-")]
    output: PathBuf,
    /// Highlight event A (an id node:n, e.g. alice:3): colour every event by whether it
    /// happened before A, after A or concurrently with A, with a legend.
    #[arg(long, value_name = "A")]
    highlight: Option<String>,
    /// Which execution of a multi-execution log to draw (its name from the delimiter's
    /// `trace` group). Default: the first.
    #[arg(long, value_name = "NAME")]
    execution: Option<String>,
    /// Draw every event as its own dot instead of collapsing runs of local events.
    #[arg(long)]
    no_collapse: bool,
    /// Title drawn above the diagram. Default: the execution's name, or the log's file name.
    #[arg(long)]
    title: Option<String>,
    /// Refuse executions with more events than this (a bigger SVG is slow to open and
    /// unreadable; pick an execution or raise the limit).
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    max_events: usize,
    /// Print what was drawn as JSON on standard output (needs -o FILE):
    /// {"output":"FILE","execution":"","nodes":H,"events":N,"dots":D,"collapsed_dots":C,"messages":M,"rows":R,"width":PX,"height":PX}
    #[arg(long)]
    json: bool,
}

/// Runs `causet render`.
pub(crate) fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let to_stdout = args.output.as_os_str() == "-";
    if args.json && to_stdout {
        bail!("--json prints a summary on standard output: give the SVG a file with -o FILE.svg");
    }
    let file = args.log.log.clone();
    let log = args.log.read()?;
    let execution = pick_execution(&file, &log, args.execution.as_deref())?;
    args.log.require_valid(&log, [execution])?;
    if execution.len() > args.max_events {
        bail!(
            "{}: execution '{}' has {} events, more than --max-events {} (an SVG that large \
             is unreadable; pick an execution with --execution, or raise the limit)",
            super::shown(&file),
            execution.name(),
            execution.len(),
            args.max_events
        );
    }

    let diagram = Diagram::from_execution(execution)
        .map_err(|err| describe(&file, execution, err))
        .context("building the diagram")?;
    let title = args.title.clone().unwrap_or_else(|| {
        if execution.name().is_empty() {
            file.file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
        } else {
            execution.name().to_owned()
        }
    });
    let mut options = RenderOptions::new()
        .collapse(!args.no_collapse)
        .title(title);
    if let Some(highlight) = &args.highlight {
        diagram.find_event(highlight).map_err(|err| {
            anyhow::anyhow!(
                "{}: --highlight {highlight}: {err} ({})",
                super::shown(&file),
                known_ids(execution, highlight)
            )
        })?;
        options = options.highlight(highlight.clone());
    }

    // Drawn in memory first, so that a failure leaves no half-written file behind.
    let mut svg = Vec::new();
    let summary =
        write_svg(&diagram, &options, &mut svg).map_err(|err| describe(&file, execution, err))?;
    if to_stdout {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&svg)?;
        stdout.flush()?;
    } else {
        std::fs::write(&args.output, &svg)
            .with_context(|| format!("cannot write {}", super::shown(&args.output)))?;
    }
    if to_stdout {
        return Ok(ExitCode::SUCCESS);
    }

    let mut stdout = std::io::stdout().lock();
    if args.json {
        let mut json = serde_json::to_value(&summary).context("summary as JSON")?;
        json["output"] = args.output.display().to_string().into();
        json["execution"] = execution.name().into();
        writeln!(stdout, "{json}").context("writing the summary")?;
    } else {
        let clock_only = match summary.clock_only_nodes {
            0 => String::new(),
            n => format!(" (+{n} named only in clocks)"),
        };
        writeln!(
            stdout,
            "{}: {} events on {} nodes{clock_only} as {} dots ({} collapsed runs), {} messages, \
             {} rows, {}x{} px",
            super::shown(&args.output),
            summary.events,
            summary.nodes,
            summary.dots,
            summary.collapsed_dots,
            summary.messages,
            summary.rows,
            summary.width,
            summary.height
        )
        .context("writing the summary")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The execution named `name`, or the first one (with a note when there are others).
fn pick_execution<'a>(
    file: &Path,
    log: &'a Log,
    name: Option<&str>,
) -> anyhow::Result<&'a Execution> {
    let names = || {
        log.executions
            .iter()
            .map(|execution| format!("'{}'", execution.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => log.execution(name).with_context(|| {
            format!(
                "{}: no execution '{name}' (the log has {})",
                super::shown(file),
                names()
            )
        }),
        None => {
            let Some(first) = log.executions.first() else {
                bail!(
                    "{}: no log entries found (another layout? see --regex)",
                    super::shown(file)
                );
            };
            if log.executions.len() > 1 {
                let _ = writeln!(
                    std::io::stderr(),
                    "causet: note: {} has {} executions ({}); drawing '{}' (choose with \
                     --execution NAME)",
                    super::shown(file),
                    log.executions.len(),
                    names(),
                    first.name()
                );
            }
            Ok(first)
        }
    }
}

/// What ids exist, to help with a wrong `--highlight`: the range of the node named in
/// `id`, or the node names.
fn known_ids(execution: &Execution, id: &str) -> String {
    let name = id.rsplit_once(':').map_or(id, |(name, _)| name);
    if let Some(node) = execution.node_index(name) {
        let ticks: Vec<u32> = execution
            .events_of(node)
            .filter_map(|index| execution.event(index))
            .map(|event| event.tick())
            .collect();
        return match (ticks.iter().min(), ticks.iter().max()) {
            (Some(first), Some(last)) => {
                format!("node {name} has events {name}:{first} to {name}:{last}")
            }
            _ => format!("node {name} logs no event"),
        };
    }
    const SHOWN: usize = 8;
    let nodes = execution.nodes();
    let mut names: Vec<&str> = nodes.iter().take(SHOWN).map(String::as_str).collect();
    if nodes.len() > SHOWN {
        names.push("...");
    }
    format!(
        "execution '{}' has nodes {}; ids are node:n",
        execution.name(),
        names.join(", ")
    )
}

/// A render error as `FILE:LINE: what is wrong` when it names an event of the log, else
/// `FILE: what is wrong`.
fn describe(file: &Path, execution: &Execution, err: RenderError) -> anyhow::Error {
    if let RenderError::Io(io) = err {
        // Kept as an io::Error so that `main` can tell a closed pipe.
        return anyhow::Error::new(io);
    }
    let id = match &err {
        RenderError::DuplicateEvent { id } | RenderError::Cycle { id } => Some(id.as_str()),
        _ => None,
    };
    let line = id
        .and_then(|id| execution.parse_id(id).ok())
        .and_then(|id| execution.find(id))
        .and_then(|index| execution.event(index))
        .map(|event| event.line);
    match line {
        Some(line) => anyhow::anyhow!("{}:{line}: {err}", super::shown(file)),
        None => anyhow::anyhow!("{}: {err}", super::shown(file)),
    }
}
