//! Integration tests of causet-clock, one module per area.

mod differential;
mod model;
mod overflow;
mod properties;
