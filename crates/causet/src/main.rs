//! The `causet` command line: argument parsing and glue over the causet crates.
//!
//! Exit codes: 0 success; 1 a negative verdict (e.g. `causet check` found the log invalid);
//! 2 an error (bad input, I/O), printed on stderr as `causet: FILE:LINE: what is wrong`.

mod cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tell, for any two events of a concurrent or distributed execution, whether one happened
/// before the other or whether they were concurrent.
#[derive(Debug, Parser)]
#[command(
    name = "causet",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Clock arithmetic on ShiViz JSON clocks: compare, merge.
    #[command(subcommand)]
    Clock(cmd::clock::ClockCommand),
    /// Validate a GoVector/ShiViz log against ShiViz's rules.
    Check(cmd::check::CheckArgs),
    /// Events, nodes, messages and exact concurrent pairs of a log, per execution.
    Analyze(cmd::analyze::AnalyzeArgs),
    /// Order of two events of a log: before, after, equal or concurrent.
    Order(cmd::order::OrderArgs),
    /// Draw a space-time diagram of a log as SVG.
    Render(cmd::render::RenderArgs),
    /// Write one self-contained interactive HTML page of a log (offline).
    View(cmd::view::ViewArgs),
    /// Write a log in another tool's format (Chrome / Perfetto trace-event JSON).
    Export(cmd::export::ExportArgs),
    /// Happens-before data races in a RAPID trace (STD text or binary RapidBin).
    Races(cmd::races::RacesArgs),
    /// Run an instrumented demo cluster and analyze its log.
    Run(cmd::run::RunArgs),
    /// Check every causally different execution of a bundled protocol (DPOR).
    Explore(cmd::explore::ExploreArgs),
    /// Run one node of a cluster by hand (used by `causet run --mode process`).
    Node(cmd::node::NodeArgs),
}

fn main() -> ExitCode {
    // `causet explore --host process` starts this binary once per node.
    cmd::explore::serve_node_processes();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Clock(command) => cmd::clock::run(command),
        Command::Check(args) => cmd::check::run(args),
        Command::Analyze(args) => cmd::analyze::run(args),
        Command::Order(args) => cmd::order::run(args),
        Command::Render(args) => cmd::render::run(args),
        Command::View(args) => cmd::view::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Races(args) => cmd::races::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Node(args) => cmd::node::run(args),
        Command::Explore(args) => cmd::explore::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(
                std::io::stderr(),
                "causet: {}",
                cmd::printable(&format!("{err:#}"))
            );
            ExitCode::from(2)
        }
    }
}

/// A closed stdout (`causet ... | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
