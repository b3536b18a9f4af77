//! Integration tests of causet-tracing: open-membership nodes against the fixed-roster
//! node, the stamp's carried forms, the `tracing` layer, the HTTP middleware and the
//! example's services.

mod equivalence;
mod layer;
mod membership;
