//! Integration tests of causet-tracing: open-membership nodes against the fixed-roster
//! node, the stamp's carried forms, the `tracing` layer, the HTTP middleware and the
//! example's services.

mod equivalence;
mod layer;
mod membership;
mod middleware;
mod services;

/// The example's code (its `run`), driven by the tests.
#[path = "../../examples/services.rs"]
mod example;
