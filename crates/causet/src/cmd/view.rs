//! `causet view LOG -o FILE.html`: one self-contained interactive HTML page of a log.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, bail};
use causet_diagram::{ViewError, ViewOptions, render_view};

use super::check::LogArgs;

/// Arguments of `causet view`.
///
/// Writes ONE HTML file that works offline (no network, no server: code and data inside):
/// a space-time diagram of every execution of the log (one timeline per node, events in
/// causal order, message arrows, runs of local events as numbered dots that expand on a
/// click; zoomed out, densities instead of every dot) to pan and zoom; timelines in the
/// natural order of node names (node2 before node10; ShiViz's default, by event count, and
/// the log's order are in the panel); click an event to see its text, fields,
/// clock and line and its causal past, future and concurrent events; shift-click a second
/// one for their order; hide and filter nodes; search with ShiViz's syntax
/// (`event=~/timeout/ && host=node3`), or jump to `node:n`; pick an execution. The address
/// after `#` keeps the view, so a link into the file reopens it. Press `?` in the page for
/// the keys. The log must pass `causet check` (with `--lenient`: `check --lenient`).
#[derive(Debug, clap::Args)]
pub(crate) struct ViewArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Where to write the page. Default: the log's name with `.html` (`run.log` →
    /// `run.html`) in the current directory; `-` writes it to standard output.
    #[arg(short, long, value_name = "FILE.html")]
    output: Option<PathBuf>,
    /// Open the page in the default browser afterwards (never an error when none exists).
    #[arg(long)]
    open: bool,
    /// Title of the page. Default: the log's file name.
    #[arg(long)]
    title: Option<String>,
    /// Print what was written as JSON on standard output:
    /// {"output":"FILE","executions":X,"events":N,"rows":R,"bytes":B}
    #[arg(long)]
    json: bool,
}

/// Runs `causet view`.
pub(crate) fn run(args: ViewArgs) -> anyhow::Result<ExitCode> {
    let file = args.log.log.clone();
    let output = match &args.output {
        Some(output) => output.clone(),
        None => default_output(&file),
    };
    let to_stdout = output.as_os_str() == "-";
    if to_stdout && (args.json || args.open) {
        bail!("--json and --open need the page in a file: give one with -o FILE.html");
    }
    let log = args.log.read()?;
    args.log.require_valid(&log, &log.executions)?;
    let title = args.title.clone().unwrap_or_else(|| {
        file.file_name()
            .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
    });
    let (html, summary) =
        render_view(&log, &ViewOptions::new().title(title)).map_err(|err| match err {
            ViewError::Io(io) => anyhow::Error::new(io),
            other => anyhow::anyhow!("{}: {other}", file.display()),
        })?;
    if to_stdout {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(html.as_bytes())?;
        stdout.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::write(&output, &html).with_context(|| format!("cannot write {}", output.display()))?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let mut json = serde_json::to_value(&summary).context("summary as JSON")?;
        json["output"] = output.display().to_string().into();
        writeln!(stdout, "{json}").context("writing the summary")?;
    } else {
        writeln!(
            stdout,
            "{}: {} events in {} execution(s), {} bytes",
            output.display(),
            summary.events,
            summary.executions,
            summary.bytes
        )
        .context("writing the summary")?;
    }
    if args.open {
        open_in_browser(&output);
    }
    Ok(ExitCode::SUCCESS)
}

/// `LOG`'s file name with the extension `.html`, in the current directory.
fn default_output(log: &Path) -> PathBuf {
    let stem = log
        .file_stem()
        .map_or_else(|| "view".into(), |stem| stem.to_string_lossy().into_owned());
    PathBuf::from(format!("{stem}.html"))
}

/// Asks the desktop to open `page`; only warns when it cannot (no browser on a server is
/// normal, and the page is written either way).
fn open_in_browser(page: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let spawned = Command::new(opener)
        .arg(page)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(err) = spawned {
        let _ = writeln!(
            std::io::stderr(),
            "causet: note: could not open {} in a browser ({opener}: {err}); open it by hand",
            page.display()
        );
    }
}
