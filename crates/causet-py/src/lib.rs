//! The extension module `causet._causet` behind the Python package `causet`.
//!
//! A thin binding over the crates' public APIs: every clock operation is `causet-clock`'s
//! ([`VersionVector<String>`]), every log question `causet-log`'s, every race
//! `causet-races`'s, the viewer `causet-diagram`'s, and a node is `causet-tracing`'s
//! [`OpenNode`](causet_tracing::OpenNode) (open membership) or `causet-runtime`'s
//! [`Node`](causet_runtime::Node) (a fixed cluster). What lives here is conversion: Python
//! objects in, Python objects and exceptions out. The Python half (`python/causet`) adds
//! the helpers for processes, threads, queues and pipes, the trace recorder and the stubs.
//!
//! [`VersionVector<String>`]: causet_clock::VersionVector

use pyo3::prelude::*;

mod analysis;
mod clock;
mod node;

/// The module's contents (`causet/__init__.py` re-exports them).
#[pymodule]
fn _causet(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<clock::VectorClock>()?;
    m.add_class::<node::Node>()?;
    m.add_class::<analysis::Execution>()?;
    m.add_class::<analysis::Event>()?;
    m.add_class::<analysis::RaceReport>()?;
    m.add_class::<analysis::Race>()?;
    m.add_function(wrap_pyfunction!(analysis::read_log, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::merge_logs, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::view, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::races_in_text, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
