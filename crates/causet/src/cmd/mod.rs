//! One module per subcommand; each exposes its clap arguments and a `run` function.

pub mod analyze;
pub mod check;
pub mod clock;
pub mod node;
pub mod order;
pub mod races;
pub mod render;
pub mod run;
pub mod view;
