//! Exports of a log to other tools' formats: the Chrome / Perfetto trace-event JSON.
//!
//! The [trace-event format] is a JSON object `{"traceEvents": [...]}` that Perfetto's UI
//! (ui.perfetto.dev) and Chrome's `about:tracing` open, at sizes no SVG survives. A log has
//! no wall-clock times, so the time axis is causal: an event's timestamp is the sum of its
//! clock's entries (in µs), which grows along every happens-before edge, so every message
//! arrow points forward and every node's events keep their order. Each execution is a
//! process (`pid`), each node a thread (`tid`, named by a `thread_name` metadata event); each
//! event is a complete event (`"ph":"X"`, 1 µs long) with its id, text, line and clock as
//! `args`; each message is a flow (`"ph":"s"` at the send, `"ph":"f"` with `"bp":"e"` at the
//! receive) with one `id` per message.
//!
//! ```
//! use causet_diagram::export::write_chrome_trace;
//! use causet_log::{ReadOptions, parse_log};
//!
//! let log = parse_log(
//!     b"a {\"a\":1}\nsend\nb {\"a\":1, \"b\":1}\nreceive\n",
//!     &ReadOptions::default(),
//! )?;
//! let mut out = Vec::new();
//! let summary = write_chrome_trace(&log, &mut out)?;
//! assert_eq!((summary.events, summary.messages), (2, 1));
//! let text = String::from_utf8(out)?;
//! assert!(text.starts_with("{\"traceEvents\":["));
//! assert!(text.contains("\"ph\":\"s\"") && text.contains("\"ph\":\"f\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [trace-event format]: https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU

use std::io::{self, Write};

use causet_log::{Execution, Log};
use serde::Serialize;

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct ExportSummary {
    /// Executions written (one process each).
    pub executions: usize,
    /// Events written (one complete event each).
    pub events: usize,
    /// Messages written (one flow each).
    pub messages: usize,
}

#[derive(Serialize)]
struct Meta<'a> {
    name: &'static str,
    ph: &'static str,
    pid: usize,
    tid: usize,
    args: MetaArgs<'a>,
}

#[derive(Serialize)]
struct MetaArgs<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Complete<'a> {
    name: &'a str,
    cat: &'static str,
    ph: &'static str,
    ts: u64,
    dur: u64,
    pid: usize,
    tid: usize,
    args: EventArgs<'a>,
}

#[derive(Serialize)]
struct EventArgs<'a> {
    id: String,
    line: u64,
    text: &'a str,
    clock: Clock<'a>,
}

/// The event's clock as a JSON object of its non-zero entries.
struct Clock<'a> {
    nodes: &'a [String],
    clock: causet_log::Clock<'a>,
}

impl Serialize for Clock<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (node, value) in self.clock.nonzero() {
            map.serialize_entry(&self.nodes[node], &value)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Flow {
    name: &'static str,
    cat: &'static str,
    ph: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    bp: Option<&'static str>,
    id: u64,
    ts: u64,
    pid: usize,
    tid: usize,
}

/// The longest event name (the event's text, cut at a character boundary): the whole text
/// stays in `args.text`.
const NAME_LEN: usize = 80;

fn timestamp(execution: &Execution, event: usize) -> u64 {
    execution.clock(event).sum()
}

/// Writes every execution of `log` as Chrome / Perfetto trace-event JSON to `out` (see the
/// module docs for the mapping). Messages are those [`Execution::messages`] infers.
///
/// # Errors
/// When `out` fails.
pub fn write_chrome_trace(log: &Log, mut out: impl Write) -> io::Result<ExportSummary> {
    let mut summary = ExportSummary::default();
    let mut first = true;
    let mut item = |out: &mut dyn Write, value: &dyn erased::Item| -> io::Result<()> {
        out.write_all(if first { b"" } else { b",\n" })?;
        first = false;
        value.write(out)
    };
    out.write_all(b"{\"traceEvents\":[")?;
    let mut flow_id = 0u64;
    for (k, execution) in log.executions.iter().enumerate() {
        let pid = k + 1;
        let name = if execution.name().is_empty() {
            format!("execution {pid}")
        } else {
            execution.name().to_owned()
        };
        item(
            &mut out,
            &Meta {
                name: "process_name",
                ph: "M",
                pid,
                tid: 0,
                args: MetaArgs { name: &name },
            },
        )?;
        for (node, node_name) in execution.nodes().iter().enumerate() {
            item(
                &mut out,
                &Meta {
                    name: "thread_name",
                    ph: "M",
                    pid,
                    tid: node + 1,
                    args: MetaArgs { name: node_name },
                },
            )?;
        }
        for event in execution.events() {
            let mut cut = event.text.len().min(NAME_LEN);
            while !event.text.is_char_boundary(cut) {
                cut -= 1;
            }
            item(
                &mut out,
                &Complete {
                    name: &event.text[..cut],
                    cat: "event",
                    ph: "X",
                    ts: timestamp(execution, event.index),
                    dur: 1,
                    pid,
                    tid: event.node + 1,
                    args: EventArgs {
                        id: execution.display_id(event.id()),
                        line: event.line,
                        text: event.text,
                        clock: Clock {
                            nodes: execution.nodes(),
                            clock: event.clock,
                        },
                    },
                },
            )?;
        }
        let messages = execution.messages();
        for &(send, receive) in &messages {
            flow_id += 1;
            for (event, ph, bp) in [(send, "s", None), (receive, "f", Some("e"))] {
                item(
                    &mut out,
                    &Flow {
                        name: "message",
                        cat: "message",
                        ph,
                        bp,
                        id: flow_id,
                        ts: timestamp(execution, event),
                        pid,
                        tid: execution.node_of(event) + 1,
                    },
                )?;
            }
        }
        summary.executions += 1;
        summary.events += execution.len();
        summary.messages += messages.len();
    }
    out.write_all(b"],\n\"displayTimeUnit\":\"ms\",\"otherData\":{\"clock\":\"causal: the sum of each event's vector clock, in us\"}}\n")?;
    out.flush()?;
    Ok(summary)
}

/// One trace event written as JSON, whatever its type.
mod erased {
    use std::io::{self, Write};

    pub(super) trait Item {
        fn write(&self, out: &mut dyn Write) -> io::Result<()>;
    }

    impl<T: serde::Serialize> Item for T {
        fn write(&self, out: &mut dyn Write) -> io::Result<()> {
            serde_json::to_writer(out, self).map_err(io::Error::other)
        }
    }
}
