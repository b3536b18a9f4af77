//! An OpenTelemetry [`TextMapPropagator`] (feature `opentelemetry`) that carries the
//! current node's stamp in a header of its own ([`HEADER_NAME`]) beside `traceparent`.
//!
//! Compose it with the W3C propagators
//! ([`TextMapCompositePropagator`](opentelemetry::propagation::TextMapCompositePropagator)):
//! each injects and extracts its own headers. Injecting is a
//! send event of the [current node](crate::NodeHandle::current) (text `send`), extracting
//! a receive (text `receive`); the context passes through unchanged (the stamp goes into
//! the node's clock, not into the context). A propagator cannot report errors: with no
//! current node it does nothing, and a malformed or refused stamp is counted in the node's
//! [`OpenStats::refused`](crate::OpenStats) and changes nothing.
//!
//! ```
//! use std::collections::HashMap;
//! use causet_tracing::{CausetPropagator, EventLog, NodeHandle, OpenNode};
//! use opentelemetry::propagation::TextMapPropagator;
//!
//! let client = NodeHandle::new(OpenNode::new("client", EventLog::memory())?);
//! let server = NodeHandle::new(OpenNode::new("server", EventLog::memory())?);
//! let propagator = CausetPropagator::new();
//! let mut headers = HashMap::new();
//! {
//!     let _entered = client.enter();
//!     propagator.inject(&mut headers);
//! }
//! assert!(headers.contains_key("causet-stamp"));
//! {
//!     let _entered = server.enter();
//!     propagator.extract(&headers);
//! }
//! assert_eq!(server.lock().clock().to_string(), r#"{"client":1, "server":1}"#);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use opentelemetry::Context;
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{self, TextMapPropagator};

use crate::NodeHandle;
use crate::carrier::{Extractor, Injector};
use crate::stamp::HEADER_NAME;

/// The stamp's [`TextMapPropagator`] (see [the module](self)).
#[derive(Debug, Clone)]
pub struct CausetPropagator {
    fields: [String; 1],
}

impl CausetPropagator {
    /// The propagator.
    pub fn new() -> Self {
        CausetPropagator {
            fields: [HEADER_NAME.to_string()],
        }
    }
}

impl Default for CausetPropagator {
    fn default() -> Self {
        Self::new()
    }
}

/// OpenTelemetry's injector as a causet carrier.
struct Into<'a>(&'a mut dyn propagation::Injector);

impl Injector for Into<'_> {
    fn set(&mut self, name: &'static str, value: &str) {
        self.0.set(name, value.to_string());
    }
}

/// OpenTelemetry's extractor as a causet carrier.
struct From<'a>(&'a dyn propagation::Extractor);

impl Extractor for From<'_> {
    fn get_one(&self, name: &str) -> Result<Option<&[u8]>, usize> {
        match self.0.get_all(name) {
            None => Ok(None),
            Some(values) if values.len() > 1 => Err(values.len()),
            Some(values) => Ok(values.first().map(|value| value.as_bytes())),
        }
    }
}

impl TextMapPropagator for CausetPropagator {
    fn inject_context(&self, _cx: &Context, injector: &mut dyn propagation::Injector) {
        if let Some(node) = NodeHandle::current() {
            let _ = node.inject("send", &mut Into(injector));
        }
    }

    fn extract_with_context(
        &self,
        cx: &Context,
        extractor: &dyn propagation::Extractor,
    ) -> Context {
        if let Some(node) = NodeHandle::current() {
            let _ = node.extract("receive", &From(extractor));
        }
        cx.clone()
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}
