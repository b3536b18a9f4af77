//! Integration tests of the explorer: DPOR against brute force, the examples, replay.

mod dpor;
mod examples;
mod hosted;
