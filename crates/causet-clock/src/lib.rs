//! Logical clocks for causality: Lamport clocks, dense vector clocks, sparse version
//! vectors and differential vector clocks, with compact wire encodings.
//!
//! An absent entry always equals 0: `{a:1}` and `{a:1, b:0}` are the same clock.
//!
//! ```
//! use causet_clock::{Causality, VectorClock};
//!
//! let mut a = VectorClock::new();
//! a.tick(0); // an event on node 0
//! let mut b = a.clone();
//! b.tick(1); // node 1 received a's stamp, then ticked
//! assert_eq!(a.compare(&b), Causality::Before);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod causality;
pub mod differential;
mod error;
#[allow(dead_code)] // until the encodings use every helper
mod varint;
mod vector_clock;

pub use causality::Causality;
pub use error::DecodeError;
pub use vector_clock::VectorClock;
