//! Integration tests of causet-runtime: every mode's logs against an independent causal
//! model, the node API, TCP faults.

mod host;
mod model;
mod modes;
mod node;
mod tcp;
