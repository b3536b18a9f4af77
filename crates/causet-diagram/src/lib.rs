//! Space-time diagrams of vector-clock logs: a static SVG the way ShiViz draws one, and
//! the interactive, self-contained HTML viewer behind `causet view`.
//!
//! Both draw over [`causet_log`]'s model: one timeline per node, events in causal order (an
//! event's row is below every event that happens before it), arrows from sends to receives.
//!
//! - [`Diagram`]: the input of the SVG renderer (nodes, events with dense clocks, messages),
//!   built by hand or from a log's execution ([`Diagram::from_execution`]);
//!   [`render_svg`] / [`write_svg`] draw it ([`diagram`] documents the SVG's structure).
//! - [`render_view`] / [`write_view`]: one HTML page for a whole log, with pan, zoom,
//!   selection, search and hidden nodes, working offline ([`view`] documents its data).
//! - [`write_chrome_trace`]: the log as Chrome / Perfetto trace-event JSON, for logs too big
//!   for any page ([`export`] documents the mapping).
//!
//! ```
//! use causet_diagram::{Diagram, RenderOptions, ViewOptions, render_svg, render_view};
//! use causet_log::{ReadOptions, parse_log};
//!
//! let text = "alice {\"alice\":1}\nsend ping\nbob {\"alice\":1, \"bob\":1}\nreceive ping\n";
//! let log = parse_log(text.as_bytes(), &ReadOptions::default())?;
//!
//! let diagram = Diagram::from_execution(&log.executions[0])?;
//! let svg = render_svg(&diagram, &RenderOptions::new().highlight("bob:1"))?;
//! assert_eq!(svg.matches(r#"<line class="message""#).count(), 1);
//!
//! let (html, summary) = render_view(&log, &ViewOptions::new().title("ping"))?;
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert_eq!(summary.events, 2);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod diagram;
pub mod export;
pub mod view;

pub use diagram::{
    Diagram, RenderError, RenderOptions, RenderSummary, event_rows, render_svg, write_svg,
};
pub use export::{ExportSummary, write_chrome_trace};
pub use view::{ViewError, ViewOptions, ViewSummary, render_executions, render_view, write_view};
