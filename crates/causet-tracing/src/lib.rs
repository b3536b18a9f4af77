//! Vector clocks for real Rust services: open-membership nodes, a `tracing` layer, and
//! stamps carried through HTTP headers, gRPC metadata and byte channels; every event
//! logged in the GoVector/ShiViz format that `causet check`, `analyze`, `render` and the
//! viewer read.
//!
//! - [`OpenNode`]: a node named by a string, its clock a
//!   [`VersionVector<String>`](causet_clock::VersionVector), no roster: a peer first seen in
//!   a stamp appears in the clock. Same rules and log as [`causet_runtime::Node`].
//! - [`stamp`]: the stamp's wire forms (binary, base64url header text, byte prefix), their
//!   bounds and their errors.
//! - [`Injector`] / [`Extractor`]: the carriers a stamp travels in.
//! - [`log`]: node logs with fields, merged into a ShiViz upload file ([`merge_logs`]).
//!
//! ```
//! use std::collections::HashMap;
//! use causet_tracing::{EventLog, OpenNode, Priority};
//!
//! let mut client = OpenNode::new("client", EventLog::memory())?;
//! let mut server = OpenNode::new("server", EventLog::memory())?;
//! let mut headers = HashMap::new();
//! client.inject(Priority::Info, "send GET /", &[("method", "GET")], &mut headers)?;
//! assert!(server.extract(Priority::Info, "receive GET /", &[], &headers)?);
//! assert_eq!(server.clock().to_string(), r#"{"client":1, "server":1}"#);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod base64;
mod carrier;
mod error;
mod handle;
mod layer;
pub mod log;
#[cfg(feature = "http")]
mod middleware;
mod node;
pub mod stamp;

pub use carrier::{Extending, Extractor, Injector};
pub use causet_runtime::{LogFlush, Priority};
pub use error::TraceError;
pub use handle::{Entered, NodeHandle, Nodes, Scoped, extract, inject};
pub use layer::{CausetLayer, NODE_FIELD};
pub use log::{EventLog, MergeSummary, merge_logs};
#[cfg(feature = "http")]
pub use middleware::{HttpFuture, HttpLayer, HttpService};
pub use node::{DEFAULT_MAX_NODES, OpenNode, OpenStats};
pub use stamp::StampError;
