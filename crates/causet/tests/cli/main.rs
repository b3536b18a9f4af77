//! Integration tests of the `causet` binary: each module runs the real CLI.

mod architecture;
mod clock;
mod explore;
mod export;
mod log;
mod races;
mod render;
mod run;
mod util;
mod view;
