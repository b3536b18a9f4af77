//! Integration tests of the `causet` binary: each module runs the real CLI.

mod architecture;
mod baseline;
mod clock;
mod explore;
mod export;
mod log;
mod races;
mod render;
mod restart;
mod run;
mod util;
mod view;
