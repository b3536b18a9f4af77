//! `causet.Node`: GoVector's API (`prepare_send`, `unpack_receive`, `log_local`) with a log
//! file per node.
//!
//! Two kinds of node, chosen by the constructor, both the Rust crates' own:
//!
//! - **Open membership** (`Node(name, log_path)`, GoVector's way): `causet-tracing`'s
//!   [`OpenNode`]: the clock is a `VersionVector<String>` that grows with every node heard
//!   of, and a message is the stamp's byte prefix (its length as a LEB128 varint, the
//!   clock's binary encoding, format `0x03`) then the payload: what Rust services
//!   instrumented with `causet-tracing` send and read.
//! - **A fixed cluster** (`Node(name, log_path, cluster=[...])`): `causet-runtime`'s
//!   [`Node`](causet_runtime::Node), whose messages (`0xc5`, sender index, stamp, payload)
//!   Rust nodes and `causet node` of the same cluster send and read.
//!
//! Both write the GoVector log: `name {"a":1, "b":2}` then the event's text on one line.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use causet_clock::VersionVector;
use causet_runtime::{LogFlush, LogSink, Roster, RuntimeError, validate_name};
use causet_tracing::{EventLog, OpenNode, TraceError};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::clock::VectorClock;

/// The Python exception for a runtime error: `OSError` for I/O, `ValueError` otherwise.
pub(crate) fn runtime_error(err: RuntimeError) -> PyErr {
    match &err {
        RuntimeError::Io { source, .. } => PyOSError::new_err((
            source.raw_os_error().unwrap_or(0),
            format!("{err}: {source}"),
        )),
        _ => PyValueError::new_err(err.to_string()),
    }
}

/// The Python exception for an open node's error: `OSError` for I/O, `ValueError` for bad
/// names and refused or malformed messages (the clock then unchanged, nothing logged).
fn trace_error(err: TraceError) -> PyErr {
    match err {
        TraceError::Io { context, source } => PyOSError::new_err((
            source.raw_os_error().unwrap_or(0),
            format!("{context}: {source}"),
        )),
        TraceError::Runtime(err) => runtime_error(err),
        err @ (TraceError::Stamp(_) | TraceError::Refused { .. }) => {
            PyValueError::new_err(format!("malformed message: {err}"))
        }
        err => PyValueError::new_err(err.to_string()),
    }
}

#[derive(Debug)]
enum Inner {
    /// Boxed: the open node keeps its clock's first entries inline (496 bytes).
    Open(Box<OpenNode>),
    Cluster(causet_runtime::Node),
}

/// One node of a message-passing program: its vector clock and its log file.
///
/// Every method that logs ticks the node's own entry first, so the node's events are
/// numbered 1, 2, 3, ... in its log, which ``causet check`` accepts. ``prepare_send``
/// returns the payload with the clock attached (send these bytes instead of the payload);
/// ``unpack_receive`` takes such bytes, merges the clock they carry and returns the
/// payload. Each process must create its own ``Node`` (never share one across ``fork``:
/// a node used from another process than its creator's raises ``RuntimeError``), and
/// each node writes its own file, flushed after every event unless ``flush=False``.
#[pyclass(module = "causet", name = "Node", subclass)]
#[derive(Debug)]
pub(crate) struct Node {
    name: String,
    path: PathBuf,
    pid: u32,
    /// A `Mutex` only to make the class `Sync` (a runtime node's log may hold a `dyn Write`
    /// that is not): every access is through `&mut self` (`get_mut`), never locked.
    inner: Mutex<Option<Inner>>,
}

impl Node {
    fn inner(&mut self) -> PyResult<&mut Inner> {
        if self.pid != std::process::id() {
            return Err(PyRuntimeError::new_err(format!(
                "node {:?} was created in process {} and cannot be used in process {}: create a Node in each process",
                self.name,
                self.pid,
                std::process::id()
            )));
        }
        let name = &self.name;
        slot(&mut self.inner)
            .as_mut()
            .ok_or_else(|| PyValueError::new_err(format!("node {name:?} is closed")))
    }
}

#[pymethods]
impl Node {
    /// ``Node(name, log_path)``: a node named ``name`` (ASCII letters, digits, ``-``, ``_``,
    /// ``.``), logging to ``log_path`` (created or truncated). With ``cluster`` (every node's
    /// name), the node belongs to that fixed cluster and speaks the Rust runtime's messages.
    #[new]
    #[pyo3(signature = (name, log_path, *, cluster = None, flush = true))]
    fn new(
        name: &str,
        log_path: PathBuf,
        cluster: Option<Vec<String>>,
        flush: bool,
    ) -> PyResult<Self> {
        validate_name(name).map_err(runtime_error)?;
        let mode = if flush {
            LogFlush::EachEvent
        } else {
            LogFlush::Buffered
        };
        let inner = match cluster {
            None => {
                let log = EventLog::file(&log_path, mode).map_err(trace_error)?;
                Inner::Open(Box::new(OpenNode::new(name, log).map_err(trace_error)?))
            }
            Some(mut names) => {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_owned());
                }
                let roster = Arc::new(Roster::new(names).map_err(runtime_error)?);
                let sink = LogSink::file(&log_path, mode).map_err(runtime_error)?;
                Inner::Cluster(
                    causet_runtime::Node::new(roster, name, sink).map_err(runtime_error)?,
                )
            }
        };
        Ok(Node {
            name: name.to_owned(),
            path: log_path,
            pid: std::process::id(),
            inner: Mutex::new(Some(inner)),
        })
    }

    /// The node's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The log file's path.
    #[getter]
    fn log_path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The names of the fixed cluster, or ``None`` for an open-membership node.
    #[getter]
    fn cluster(&mut self) -> Option<Vec<String>> {
        match slot(&mut self.inner) {
            Some(Inner::Cluster(node)) => Some(node.roster().names().to_vec()),
            _ => None,
        }
    }

    /// Whether ``close()`` was called.
    #[getter]
    fn closed(&mut self) -> bool {
        slot(&mut self.inner).is_none()
    }

    /// A copy of the node's current clock.
    #[getter]
    fn clock(&mut self) -> PyResult<VectorClock> {
        Ok(match self.inner()? {
            Inner::Open(node) => VectorClock::from_inner(node.clock().clone()),
            Inner::Cluster(node) => {
                let roster = node.roster();
                VectorClock::from_inner(VersionVector::from_entries(
                    node.clock()
                        .as_slice()
                        .iter()
                        .enumerate()
                        .map(|(i, &n)| (roster.name(i).unwrap_or("?").to_owned(), n)),
                ))
            }
        })
    }

    /// Ticks and logs a local event.
    fn log_local(&mut self, text: &str) -> PyResult<()> {
        match self.inner()? {
            Inner::Open(node) => node.log_local(text).map_err(trace_error),
            Inner::Cluster(node) => node.log_local(text).map_err(runtime_error),
        }
    }

    /// Ticks, logs the send ``text`` and returns ``payload`` with the clock attached: the
    /// bytes to put on the wire.
    #[pyo3(signature = (text, payload = b"".as_slice()))]
    fn prepare_send<'py>(
        &mut self,
        py: Python<'py>,
        text: &str,
        payload: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = match self.inner()? {
            Inner::Open(node) => node.prepare_send(text, payload).map_err(trace_error)?,
            Inner::Cluster(node) => node.prepare_send(text, payload).map_err(runtime_error)?,
        };
        Ok(PyBytes::new(py, &bytes))
    }

    /// Takes bytes from ``prepare_send`` of another node: merges their clock, ticks, logs
    /// the receive ``text``; returns the payload. ``ValueError`` for bytes that are not such
    /// a message (the clock is then unchanged and nothing is logged).
    fn unpack_receive<'py>(
        &mut self,
        py: Python<'py>,
        text: &str,
        data: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let payload = match self.inner()? {
            Inner::Open(node) => node
                .unpack_receive(text, data)
                .map_err(trace_error)?
                .to_vec(),
            Inner::Cluster(node) => node.unpack_receive(text, data).map_err(runtime_error)?,
        };
        Ok(PyBytes::new(py, &payload))
    }

    /// Writes buffered events to the file.
    fn flush(&mut self) -> PyResult<()> {
        match self.inner()? {
            Inner::Open(node) => node.flush().map_err(trace_error),
            Inner::Cluster(node) => node.flush().map_err(runtime_error),
        }
    }

    /// Flushes and closes the log; the node can no longer log. Closing twice is allowed.
    fn close(&mut self) -> PyResult<()> {
        if slot(&mut self.inner).is_none() {
            return Ok(());
        }
        self.flush()?;
        *slot(&mut self.inner) = None;
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "a Node belongs to the process that created it and cannot be pickled: create one in each process",
        ))
    }

    fn __repr__(&mut self) -> String {
        let kind = match slot(&mut self.inner) {
            Some(Inner::Open(_)) => "",
            Some(Inner::Cluster(_)) => ", cluster=...",
            None => ", closed",
        };
        format!(
            "Node({:?}, {:?}{kind})",
            self.name,
            self.path.display().to_string()
        )
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // In a forked child the node is the parent's: flushing its buffer would put the
        // parent's events into the file twice. (In its own process, dropping flushes.)
        if self.pid != std::process::id() {
            std::mem::forget(slot(&mut self.inner).take());
        }
    }
}

/// The node's state, without locking (the `Mutex` is never locked).
fn slot(inner: &mut Mutex<Option<Inner>>) -> &mut Option<Inner> {
    inner
        .get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
