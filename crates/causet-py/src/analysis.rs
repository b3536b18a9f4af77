//! `causet.read_log`, `causet.merge_logs`, `causet.view` and `causet.races`: the log reader
//! and checks of `causet-log`, the merge of `causet-runtime`, the viewer of
//! `causet-diagram` and the race engines of `causet-races`.

use std::path::PathBuf;
use std::sync::Arc;

use causet_clock::VersionVector;
use causet_log::{CheckOptions, ReadOptions};
use causet_races::{Engine, RaceOptions, TraceErrorKind};
use pyo3::exceptions::{PyIndexError, PyMemoryError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::clock::{VectorClock, causality};
use crate::node::runtime_error;

/// One event of an execution read from a log.
#[pyclass(module = "causet", name = "Event", frozen, get_all)]
#[derive(Debug)]
pub(crate) struct Event {
    /// Position in the execution (file order).
    index: usize,
    /// Its id, `node:n` (n: the node's own entry).
    id: String,
    /// The node that logged it.
    node: String,
    /// The event's text.
    text: String,
    /// The 1-based line of its entry in the file.
    line: u64,
    /// Its vector clock.
    clock: Py<VectorClock>,
}

#[pymethods]
impl Event {
    fn __repr__(&self) -> String {
        format!("Event({:?}, {:?}, line={})", self.id, self.text, self.line)
    }
}

/// One execution of a log: its nodes and events, order queries, the checks of
/// `causet check`.
#[pyclass(module = "causet", name = "Execution", frozen)]
#[derive(Debug)]
pub(crate) struct Execution {
    inner: Arc<causet_log::Execution>,
    path: PathBuf,
}

impl Execution {
    /// An event index from an id (`"alice:2"`) or an index.
    fn index(&self, event: &Bound<'_, PyAny>) -> PyResult<usize> {
        if let Ok(index) = event.extract::<usize>() {
            if index >= self.inner.len() {
                return Err(PyIndexError::new_err(format!(
                    "event index {index}, but the execution has {} events",
                    self.inner.len()
                )));
            }
            return Ok(index);
        }
        let id: &str = &event.extract::<String>()?;
        self.inner
            .resolve(id)
            .map_err(|err| PyValueError::new_err(err.to_string()))
    }
}

#[pymethods]
impl Execution {
    /// The execution's name (`""` when the log holds one execution).
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The node names, in the execution's order.
    #[getter]
    fn nodes(&self) -> Vec<String> {
        self.inner.nodes().to_vec()
    }

    /// The events, in file order.
    #[getter]
    fn events(&self, py: Python<'_>) -> PyResult<Vec<Event>> {
        let nodes = self.inner.nodes();
        self.inner
            .events()
            .map(|event| {
                let clock = VersionVector::from_entries(
                    nodes
                        .iter()
                        .zip(event.clock)
                        .map(|(node, &n)| (node.clone(), u64::from(n))),
                );
                Ok(Event {
                    index: event.index,
                    id: self.inner.display_id(event.id()),
                    node: nodes[event.node].clone(),
                    text: event.text.to_owned(),
                    line: event.line,
                    clock: Py::new(py, VectorClock::from_inner(clock))?,
                })
            })
            .collect()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// How event `a` relates to event `b` (ids such as `"alice:2"`, or indices):
    /// `Causality.BEFORE`, `AFTER`, `EQUAL` or `CONCURRENT`, as `causet order` answers.
    fn order<'py>(
        &self,
        py: Python<'py>,
        a: &Bound<'py, PyAny>,
        b: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (a, b) = (self.index(a)?, self.index(b)?);
        causality(py, self.inner.order(a, b))
    }

    /// The exact number of unordered pairs of concurrent events.
    fn concurrent_pairs(&self) -> u64 {
        self.inner.concurrent_pairs()
    }

    /// The messages inferred from the clocks, as `(send id, receive id)` pairs.
    fn messages(&self) -> Vec<(String, String)> {
        let id = |index: usize| self.inner.display_id(self.inner.id_of(index));
        self.inner
            .messages()
            .into_iter()
            .map(|(send, receive)| (id(send), id(receive)))
            .collect()
    }

    /// ShiViz's rules, as `causet check` applies them: returns `None` for a valid
    /// execution, raises `ValueError("FILE:LINE: what is wrong")` otherwise. `lenient`
    /// accepts holes and unknown nodes (`causet check --lenient`).
    #[pyo3(signature = (*, lenient = false))]
    fn check(&self, lenient: bool) -> PyResult<()> {
        self.inner
            .check(&CheckOptions { lenient })
            .map_err(|violation| {
                PyValueError::new_err(format!("{}:{violation}", self.path.display()))
            })
    }

    /// `causet analyze`'s figures: events, nodes, messages, concurrent pairs.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let summary = causet_log::analyze(&self.inner);
        let dict = PyDict::new(py);
        dict.set_item("name", self.inner.name())?;
        dict.set_item("events", summary.events)?;
        dict.set_item("nodes", summary.nodes)?;
        dict.set_item("messages", summary.messages)?;
        dict.set_item("concurrent_pairs", summary.concurrent_pairs)?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!(
            "Execution({:?}, {} events, {} nodes)",
            self.inner.name(),
            self.inner.len(),
            self.inner.nodes().len()
        )
    }
}

fn log_error(err: causet_log::LogError) -> PyErr {
    if err.line.is_none() && matches!(err.kind, causet_log::LogErrorKind::Io(_)) {
        return PyOSError::new_err(err.to_string());
    }
    PyValueError::new_err(err.to_string())
}

/// Reads a GoVector/ShiViz log (or a ShiViz upload file); `regex` is a ShiViz parser regex
/// (named groups `host`, `clock`, `event`). Returns its executions. Text that matches no
/// entry is an error (`ValueError` naming the line), as are bad clocks.
#[pyfunction]
#[pyo3(signature = (path, regex = None, *, delimiter = None))]
pub(crate) fn read_log(
    py: Python<'_>,
    path: PathBuf,
    regex: Option<String>,
    delimiter: Option<String>,
) -> PyResult<Vec<Execution>> {
    let options = ReadOptions {
        regex,
        delimiter,
        strict: true,
    };
    let log = py
        .detach(|| causet_log::read_log(&path, &options))
        .map_err(log_error)?;
    Ok(log
        .executions
        .into_iter()
        .map(|execution| Execution {
            inner: Arc::new(execution),
            path: path.clone(),
        })
        .collect())
}

/// Merges node logs (one file per node, as `Node` writes them) into one log at `out`, in
/// an order that puts every send before its receive; returns the number of events. A
/// missing file counts as empty.
#[pyfunction]
pub(crate) fn merge_logs(py: Python<'_>, paths: Vec<PathBuf>, out: PathBuf) -> PyResult<usize> {
    py.detach(|| causet_runtime::merge_logs(&paths, &out))
        .map(|summary| summary.events)
        .map_err(runtime_error)
}

/// Writes the interactive HTML viewer of the log at `path` to `out` (one self-contained
/// page, as `causet view`); returns the number of events drawn.
#[pyfunction]
#[pyo3(signature = (path, out, *, regex = None))]
pub(crate) fn view(
    py: Python<'_>,
    path: PathBuf,
    out: PathBuf,
    regex: Option<String>,
) -> PyResult<usize> {
    let options = ReadOptions {
        regex,
        delimiter: None,
        strict: true,
    };
    let log = py
        .detach(|| causet_log::read_log(&path, &options))
        .map_err(log_error)?;
    let title = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (html, _summary) =
        causet_diagram::render_view(&log, &causet_diagram::ViewOptions::new().title(title))
            .map_err(|err| PyValueError::new_err(err.to_string()))?;
    std::fs::write(&out, html).map_err(|err| {
        PyOSError::new_err((
            err.raw_os_error().unwrap_or(0),
            format!("cannot write {}: {err}", out.display()),
        ))
    })?;
    Ok(log.event_count())
}

/// One race: an access and an earlier conflicting access that does not happen before it.
#[pyclass(module = "causet", name = "Race", frozen, get_all)]
#[derive(Debug)]
pub(crate) struct Race {
    /// The variable.
    variable: String,
    /// The later access: (line, thread, "w" or "r", location).
    access: (u64, String, &'static str, String),
    /// The earlier access.
    prior: (u64, String, &'static str, String),
}

#[pymethods]
impl Race {
    fn __repr__(&self) -> String {
        format!(
            "Race({:?}: {} {} at {} vs {} {} at {})",
            self.variable,
            self.access.1,
            self.access.2,
            self.access.3,
            self.prior.1,
            self.prior.2,
            self.prior.3
        )
    }
}

/// What `causet races` reports for a trace.
#[pyclass(module = "causet", name = "RaceReport", frozen, get_all)]
#[derive(Debug)]
pub(crate) struct RaceReport {
    /// Events in the trace.
    events: u64,
    /// Threads in the trace.
    threads: usize,
    /// Racy events: accesses with an earlier conflicting access by another thread that
    /// does not happen before them.
    racy_events: u64,
    /// The variables with a racy event, sorted.
    racy_variables: Vec<String>,
    /// The first races in trace order (at most `list` of them).
    races: Vec<Py<Race>>,
}

#[pymethods]
impl RaceReport {
    fn __bool__(&self) -> bool {
        self.racy_events > 0
    }

    fn __repr__(&self) -> String {
        format!(
            "RaceReport(events={}, threads={}, racy_events={}, racy_variables={:?})",
            self.events, self.threads, self.racy_events, self.racy_variables
        )
    }
}

/// Happens-before data races in an STD trace (text, `thread|op(operand)|loc` per line):
/// `engine` is `"epoch"` (default), `"vc"` or `"tree"`, all giving the same answer.
/// `ValueError("SOURCE:LINE: ...")` for an ill-formed trace.
#[pyfunction]
#[pyo3(signature = (trace, *, engine = "epoch", source = "<trace>", list = 100))]
pub(crate) fn races_in_text(
    py: Python<'_>,
    trace: &str,
    engine: &str,
    source: &str,
    list: usize,
) -> PyResult<RaceReport> {
    let engine: Engine = engine
        .parse()
        .map_err(|err: causet_races::UnknownEngine| PyValueError::new_err(err.to_string()))?;
    let options = RaceOptions::new(engine).with_list(list);
    let report = py
        .detach(|| causet_races::detect_races(trace.as_bytes(), source, &options))
        .map_err(|err| match err.kind() {
            TraceErrorKind::MemoryLimit { .. } => PyMemoryError::new_err(err.to_string()),
            _ => PyValueError::new_err(err.to_string()),
        })?;
    let access = |a: &causet_races::Access| {
        (
            a.line,
            a.thread.clone(),
            if a.write { "w" } else { "r" },
            a.location.clone(),
        )
    };
    let races = report
        .races
        .iter()
        .map(|race| {
            Py::new(
                py,
                Race {
                    variable: race.variable.clone(),
                    access: access(&race.access),
                    prior: access(&race.prior),
                },
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(RaceReport {
        events: report.events,
        threads: report.threads,
        racy_events: report.racy_events,
        racy_variables: report.racy_variables,
        races,
    })
}
