//! Logical clocks for causality: Lamport clocks, dense vector clocks, sparse version
//! vectors and differential vector clocks, with compact wire encodings.
//!
//! A clock stamps each event of a distributed or concurrent execution so that comparing
//! two stamps tells whether one event happened before the other. Every clock here follows
//! one rule ([`LogicalClock`]): an event **ticks** its node's entry; a **send** attaches the
//! clock as it is after the tick (the *stamp*); a **receive** merges the stamp (element-wise
//! maximum), then ticks. An absent entry always equals 0: `{a:1}` and `{a:1, b:0}` are the
//! same clock.
//!
//! | type | entries | use it for |
//! |---|---|---|
//! | [`LamportClock`] | one counter | a total order consistent with causality; cannot see concurrency |
//! | [`VectorClock`] | dense `u64` per node index `0..n` | fixed membership, fastest `merge`/`compare` |
//! | [`VersionVector<Id>`] | sparse, sorted by any ordered id | changing membership, string node names (GoVector/ShiViz) |
//!
//! # Comparing events
//!
//! [`compare`](VectorClock::compare) answers in one pass with a [`Causality`]: `Before`,
//! `After`, `Equal` or `Concurrent`; `PartialOrd` agrees with it.
//!
//! ```
//! use causet_clock::{Causality, VectorClock};
//!
//! let mut node0 = VectorClock::new();
//! let mut node1 = VectorClock::new();
//! let stamp = node0.send(0); // event 0:1, a send
//! node1.tick(1); // event 1:1, concurrent with 0:1
//! assert_eq!(stamp.compare(&node1), Causality::Concurrent);
//! node1.receive(1, &stamp); // event 1:2 receives 0:1's message
//! assert_eq!(stamp.compare(&node1), Causality::Before);
//! assert!(stamp < node1);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # ShiViz / GoVector clocks
//!
//! A [`VersionVector<String>`] reads and writes the JSON clock objects of GoVector logs,
//! with a dependency-free parser (`str::parse`) that reports the column and node of bad
//! input, and with serde (feature `serde`, on by default):
//!
//! ```
//! use causet_clock::{Causality, VersionVector};
//!
//! let a: VersionVector<String> = r#"{"alice":2, "bob":1}"#.parse()?;
//! let mut b: VersionVector<String> = r#"{"alice":1, "bob":3}"#.parse()?;
//! assert_eq!(a.compare(&b), Causality::Concurrent);
//! b.merge(&a);
//! assert_eq!(b.to_string(), r#"{"alice":2, "bob":3}"#);
//!
//! let err = r#"{"alice":-1}"#.parse::<VersionVector<String>>().unwrap_err();
//! assert_eq!(err.to_string(), r#"column 10: counter of node "alice" is negative: -1"#);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Binary encoding
//!
//! Every clock has a compact binary form (format byte, then LEB128 varints; see
//! [`binary`]); a dense clock whose entries are below 128 takes `n + 1` bytes. Decoding
//! untrusted bytes returns a [`DecodeError`], never panics, and allocates at most in
//! proportion to the input.
//!
//! ```
//! use causet_clock::VectorClock;
//!
//! let clock = VectorClock::from_entries(vec![5, 0, 2]);
//! let bytes = clock.encode();
//! assert_eq!(bytes.len(), 4);
//! assert_eq!(VectorClock::decode(&bytes)?, clock);
//! assert!(VectorClock::decode(&[0x01, 0xff]).is_err());
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Overflow
//!
//! One rule for every clock: a tick of an entry already at `u64::MAX` leaves it at
//! `u64::MAX` (saturates) in debug and release builds alike, and so does a Lamport receive
//! of a stamp at `u64::MAX`; merges take maxima and cannot overflow. No clock panics or
//! wraps. Decoders accept `u64::MAX` (it is a valid counter), so only input can bring an
//! entry there: 2^64 events on one node cannot happen. Wrapping to 0 would put the node's
//! next event before its own past (and break a [`VectorClock`]'s trimmed form); saturating
//! keeps every invariant, and the events after the top compare `Equal` on that entry,
//! never earlier.
//!
//! ```
//! use causet_clock::{LamportClock, VectorClock, VersionVector};
//!
//! let mut dense = VectorClock::decode(&VectorClock::from_entries(vec![u64::MAX]).encode())?;
//! assert_eq!(dense.tick(0), u64::MAX);
//! let mut sparse: VersionVector<String> = format!(r#"{{"a":{}}}"#, u64::MAX).parse()?;
//! assert_eq!(sparse.tick("a"), u64::MAX);
//! assert_eq!(LamportClock::new().receive(u64::MAX), u64::MAX);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod binary;
mod causality;
pub mod differential;
mod error;
mod json;
mod lamport;
mod lanes;
mod logical_clock;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod varint;
mod vector_clock;
mod version_vector;

pub use binary::BinaryId;
pub use causality::{Causality, UnknownCausality};
pub use differential::{DiffClock, ResyncRequired, Stamp, StampCost};
pub use error::{DecodeError, ParseError, ParseErrorKind};
pub use lamport::LamportClock;
pub use logical_clock::LogicalClock;
pub use vector_clock::VectorClock;
pub use version_vector::VersionVector;

/// The iterators of the clocks.
pub mod iter {
    pub use crate::version_vector::IntoIter;
}

/// The README's library example, compiled and run as a doctest so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
