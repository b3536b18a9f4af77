//! The interactive viewer behind `causet view`.
//!
//! [`write_view`] turns a parsed log ([`causet_log::Log`]) into ONE self-contained
//! HTML page: a canvas space-time diagram (one timeline per node, events in causal order,
//! message arrows) with pan, zoom, selection of an event and its causal past, future and
//! concurrent events, search, hidden nodes and an execution picker. It works offline from
//! `file://`: the JavaScript and CSS (`viewer/` in this crate, embedded at build time) and
//! the data are inside the file.
//!
//! ```
//! use causet_diagram::{ViewOptions, render_view};
//! use causet_log::{parse_log, ReadOptions};
//!
//! let text = "a {\"a\":1}\nsend </script>\nb {\"a\":1, \"b\":1}\nreceive\n";
//! let log = parse_log(text.as_bytes(), &ReadOptions::default())?;
//! let (html, summary) = render_view(&log, &ViewOptions::new().title("ping"))?;
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert_eq!((summary.executions, summary.events), (1, 2));
//! // Log text cannot close the data's script element.
//! assert_eq!(html.matches("</script>").count(), 2);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The data format
//!
//! The page holds `<script type="application/json" id="causet-data">` with one JSON object
//! (read by `JSON.parse`), version 2:
//!
//! ```text
//! {"format":"causet-view","version":2,"title":TITLE,"executions":[EXECUTION, ...]}
//! EXECUTION = {"name":NAME, "nodes":[NAME, ...], "events":N, "rows":R,
//!              "node":INTS[N], "row":INTS[N], "monotone":BOOL,
//!              "clockCount":INTS[N], "clockNode":INTS[K], "clockValue":INTS[K],
//!              "textLength":INTS[N], "text":TEXT, "line":INTS[N],
//!              "fields":[NAME, ...], "fieldValue":INTS[N*F], "strings":[TEXT, ...],
//!              "messages":INTS[2*M]}
//! INTS[k] = {"bytes":B, "base64":BASE64}
//! ```
//!
//! Events are in file order; `W` is the number of nodes, `F` of fields. `INTS[k]` is `k`
//! unsigned integers of `B` bytes each (1, 2 or 4: the narrowest that holds the largest),
//! little-endian, in base64 (standard alphabet, padded). `node` is each event's node index.
//! `row` is the causal layer of the event's dot ([`crate::event_rows`]'s layering, with
//! runs of local events collapsed as [`crate::RenderOptions::collapse`] does: every event
//! of a run has the run's row, and the page expands a run by inserting rows). Clocks are
//! dense over the nodes but sent as changes: event `i`'s clock is the clock of the
//! previous event of its node in file order (all zeros for a node's first), with
//! `clockCount[i]` entries replaced, taken in turn from `clockNode` (the entry) and
//! `clockValue` (its new value). `monotone` says that along each node (in file order)
//! every event's own entry grows and no entry shrinks, as in every log `causet check`
//! accepts: then an event's causal past is a prefix of each node's events and its future a
//! suffix. `line` is the 1-based line of the entry (saturated at
//! 2^32-1). `text` is every event's text concatenated, event `i`'s being
//! `textLength[i]` UTF-16 code units long (JavaScript string indices). Field values are
//! indices into `strings`, event by event, field by field. `messages` holds (send, receive)
//! event index pairs.
//!
//! Every string in the JSON escapes `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`, so no log
//! text can end the script element (`</script>`), open a comment (`<!--`) or break a
//! JavaScript parser.
mod encode;

use std::io;

use causet_log::{Execution, Log};
use serde::Serialize;

use crate::RenderError;

const TEMPLATE: &str = include_str!("../../viewer/viewer.html");
const CSS: &str = include_str!("../../viewer/viewer.css");
const JS: &str = include_str!("../../viewer/viewer.js");

/// How to build a view. Build with [`ViewOptions::new`] and the setters.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ViewOptions {
    /// The page's title (e.g. the log's file name). Default: `causet view`.
    pub title: Option<String>,
}

impl ViewOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the page's title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

/// What a view holds, for summaries (`causet view --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ViewSummary {
    /// Executions in the page.
    pub executions: usize,
    /// Events over all executions.
    pub events: usize,
    /// Most causal rows of one execution.
    pub rows: usize,
    /// Size of the page in bytes.
    pub bytes: usize,
}

/// Why a view could not be built or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// An execution has no causal layout (duplicate ids or a cycle: a log that fails
    /// `check --lenient`).
    #[error("execution '{execution}': {source}")]
    Layout {
        /// The execution's name.
        execution: String,
        /// Why the layout failed.
        source: RenderError,
    },
    /// Writing the page failed.
    #[error("writing the page: {0}")]
    Io(#[from] io::Error),
}

/// The page for every execution of `log`, and what it holds.
///
/// # Errors
///
/// [`ViewError::Layout`] when an execution's clocks admit no causal order.
pub fn render_view(log: &Log, options: &ViewOptions) -> Result<(String, ViewSummary), ViewError> {
    let executions: Vec<&Execution> = log.executions.iter().collect();
    render_executions(&executions, options)
}

/// The page for these executions (e.g. one picked from a log), and what it holds.
///
/// # Errors
///
/// As [`render_view`].
pub fn render_executions(
    executions: &[&Execution],
    options: &ViewOptions,
) -> Result<(String, ViewSummary), ViewError> {
    let title = options.title.as_deref().unwrap_or("causet view");
    // One buffer: the data is encoded in place, never copied (a million events make tens
    // of megabytes).
    let events: usize = executions.iter().map(|x| x.len()).sum();
    let mut html: Vec<u8> =
        Vec::with_capacity(TEMPLATE.len() + CSS.len() + JS.len() + 64 * events + 4096);
    let mut encoded = None;
    // The template's markers are replaced in one pass, so nothing inserted (log text
    // included) is ever searched for a marker.
    let mut rest = TEMPLATE;
    while let Some(at) = rest.find("{{") {
        html.extend_from_slice(&rest.as_bytes()[..at]);
        let Some(end) = rest[at..].find("}}") else {
            break;
        };
        match &rest[at + 2..at + end] {
            "title" => push_html_text(&mut html, title),
            "css" => html.extend_from_slice(CSS.as_bytes()),
            "js" => html.extend_from_slice(JS.as_bytes()),
            "data" => encoded = Some(encode::encode(title, executions, &mut html)?),
            other => {
                html.extend_from_slice(b"{{");
                html.extend_from_slice(other.as_bytes());
                html.extend_from_slice(b"}}");
            }
        }
        rest = &rest[at + end + 2..];
    }
    html.extend_from_slice(rest.as_bytes());
    let encoded = encoded.unwrap_or_default();
    // Only whole UTF-8 strings and ASCII were written.
    let html = String::from_utf8(html).map_err(|err| ViewError::Io(io::Error::other(err)))?;
    let summary = ViewSummary {
        executions: executions.len(),
        events: encoded.events,
        rows: encoded.rows,
        bytes: html.len(),
    };
    Ok((html, summary))
}

/// Writes the page for every execution of `log` to `out`.
///
/// # Errors
///
/// As [`render_view`], plus [`ViewError::Io`].
pub fn write_view<W: io::Write>(
    log: &Log,
    options: &ViewOptions,
    mut out: W,
) -> Result<ViewSummary, ViewError> {
    let (html, summary) = render_view(log, options)?;
    out.write_all(html.as_bytes())?;
    out.flush()?;
    Ok(summary)
}

fn push_html_text(out: &mut Vec<u8>, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '&' => out.extend_from_slice(b"&amp;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\'' => out.extend_from_slice(b"&#39;"),
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests;
