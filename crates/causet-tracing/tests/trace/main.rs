//! Integration tests of causet-tracing: open-membership nodes against the fixed-roster
//! node, the stamp's carried forms, the `tracing` layer, the HTTP middleware and the
//! example's services.

mod equivalence;
mod layer;
mod membership;
mod middleware;
mod services;

/// The example's code (its `run`), driven by the tests. Its items are `pub` for the
/// example's own `main` and for these tests at once, hence the allow.
#[path = "../../examples/services.rs"]
#[allow(unreachable_pub)]
mod example;
