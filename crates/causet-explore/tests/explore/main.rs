//! Integration tests of the explorer: DPOR against brute force, the examples, replay.

mod demo;
mod dpor;
mod examples;
mod hosted;
