//! `causet clock`: clock arithmetic on ShiViz JSON clocks (not implemented yet).

use std::process::ExitCode;

/// The clock subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ClockCommand {
    /// Compare clock A with clock B [coming].
    Compare {
        /// Arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
}

/// Runs a clock subcommand.
pub fn run(command: ClockCommand) -> anyhow::Result<ExitCode> {
    match command {
        ClockCommand::Compare { .. } => {
            anyhow::bail!("`causet clock compare` is not implemented yet (coming)")
        }
    }
}
