//! `causet node` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `causet node` (not implemented yet).
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Arguments, accepted so that the command can say it is not implemented yet.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

/// Refuses to run: the command is not implemented yet, and prints no fake output.
pub fn run(args: NodeArgs) -> anyhow::Result<ExitCode> {
    let _ = args.args;
    anyhow::bail!("`causet node` is not implemented yet (coming)")
}
