//! Integration tests of causet-trace, one module per area.

mod log;
mod races;
mod render;
mod util;
