//! `causet.VectorClock`: a [`VersionVector<String>`] (string node ids, as GoVector's), and
//! `causet.Causality`, the answer of a comparison.

use causet_clock::{Causality, VersionVector};
use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple, PyType};

/// The four members of the Python enum `causet.Causality` (defined in
/// `causet/_causality.py` so that it is a real `enum.Enum`), looked up once.
static CAUSALITY: PyOnceLock<[Py<PyAny>; 4]> = PyOnceLock::new();

/// The `causet.Causality` member for `causality`.
pub(crate) fn causality<'py>(py: Python<'py>, causality: Causality) -> PyResult<Bound<'py, PyAny>> {
    let members = CAUSALITY.get_or_try_init(py, || -> PyResult<[Py<PyAny>; 4]> {
        let class = py.import("causet._causality")?.getattr("Causality")?;
        let member = |name: &str| class.getattr(name).map(Bound::unbind);
        Ok([
            member("BEFORE")?,
            member("AFTER")?,
            member("EQUAL")?,
            member("CONCURRENT")?,
        ])
    })?;
    let index = match causality {
        Causality::Before => 0,
        Causality::After => 1,
        Causality::Equal => 2,
        Causality::Concurrent => 3,
    };
    Ok(members[index].bind(py).clone())
}

/// A vector clock keyed by node name (any string), as GoVector's.
///
/// An absent node's entry is 0: `VectorClock({"a": 1})` and `VectorClock({"a": 1, "b": 0})`
/// are the same clock. `tick(node)` counts an event of `node`; `merge(other)` takes the
/// element-wise maximum in place (what a receive does before it ticks). Comparisons follow
/// happens-before: `a < b` when `a` happened before `b`, `a == b` for the same clock, and
/// two clocks of which neither `<`, `>` nor `==` holds are concurrent (`compare` says which
/// in one pass). Clocks are mutable, so they are not hashable (use `bytes(clock)` as a key).
#[pyclass(module = "causet", name = "VectorClock")]
#[derive(Debug, Clone, Default)]
pub(crate) struct VectorClock {
    pub(crate) inner: VersionVector<String>,
}

impl VectorClock {
    pub(crate) fn from_inner(inner: VersionVector<String>) -> Self {
        VectorClock { inner }
    }
}

/// A counter from a Python object: an int from 0 to 2^64 - 1 (else `ValueError`).
fn counter(node: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "counter of node {node:?} must be an int, not a bool"
        )));
    }
    match value.extract::<u64>() {
        Ok(n) => Ok(n),
        Err(_) if value.is_instance_of::<pyo3::types::PyInt>() => Err(PyValueError::new_err(
            format!("counter of node {node:?} must be from 0 to 2**64 - 1, not {value}"),
        )),
        Err(_) => Err(PyTypeError::new_err(format!(
            "counter of node {node:?} must be an int, not {}",
            value.get_type().name()?
        ))),
    }
}

#[pymethods]
impl VectorClock {
    /// `VectorClock()` is the zero clock; `VectorClock({"alice": 2, "bob": 1})` (any
    /// mapping, or an iterable of `(node, counter)` pairs) gives the entries; zeros are
    /// dropped.
    #[new]
    #[pyo3(signature = (entries = None))]
    fn new(entries: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let Some(entries) = entries else {
            return Ok(VectorClock::default());
        };
        let items = match entries.cast::<PyDict>() {
            Ok(dict) => dict.items().into_any(),
            Err(_) if entries.hasattr("items")? => entries.call_method0("items")?,
            Err(_) => entries.clone(),
        };
        let mut pairs: Vec<(String, u64)> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for item in items.try_iter()? {
            let item = item?;
            let (node, value): (String, Bound<'_, PyAny>) = item.extract().map_err(|_| {
                PyTypeError::new_err("entries must be (node: str, counter: int) pairs")
            })?;
            let n = counter(&node, &value)?;
            if !seen.insert(node.clone()) {
                return Err(PyValueError::new_err(format!(
                    "node {node:?} appears twice"
                )));
            }
            pairs.push((node, n));
        }
        Ok(VectorClock::from_inner(VersionVector::from_entries(pairs)))
    }

    /// Counts an event of `node` (its entry goes up by one); returns the new entry.
    fn tick(&mut self, node: &str) -> PyResult<u64> {
        if self.inner.get(node) == u64::MAX {
            return Err(PyOverflowError::new_err(format!(
                "the entry of node {node:?} is already 2**64 - 1"
            )));
        }
        Ok(self.inner.tick(node))
    }

    /// Element-wise maximum with `other`, in place (the least upper bound).
    fn merge(&mut self, other: PyRef<'_, VectorClock>) {
        self.inner.merge(&other.inner);
    }

    /// How this clock relates to `other`: `Causality.BEFORE` (happened before it),
    /// `AFTER`, `EQUAL` or `CONCURRENT`.
    fn compare<'py>(
        &self,
        py: Python<'py>,
        other: PyRef<'_, VectorClock>,
    ) -> PyResult<Bound<'py, PyAny>> {
        causality(py, self.inner.compare(&other.inner))
    }

    /// Whether neither clock happened before the other and they differ.
    fn concurrent_with(&self, other: PyRef<'_, VectorClock>) -> bool {
        self.inner.is_concurrent_with(&other.inner)
    }

    /// Whether every entry is at least `other`'s (`other <= self`).
    fn dominates(&self, other: PyRef<'_, VectorClock>) -> bool {
        self.inner.dominates(&other.inner)
    }

    /// `node`'s entry (0 when absent).
    fn get(&self, node: &str) -> u64 {
        self.inner.get(node)
    }

    /// `node`'s entry (0 when absent): `clock["alice"]`.
    fn __getitem__(&self, node: &str) -> u64 {
        self.inner.get(node)
    }

    /// Whether `node` has a non-zero entry.
    fn __contains__(&self, node: &str) -> bool {
        self.inner.get(node) > 0
    }

    /// Number of non-zero entries.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// The nodes with a non-zero entry, sorted.
    fn nodes(&self) -> Vec<String> {
        self.inner.nodes().to_vec()
    }

    /// The non-zero entries as `(node, counter)` pairs, sorted by node.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.inner.iter().map(|(node, n)| (node.as_str(), n)))
    }

    /// The non-zero entries as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (node, n) in self.inner.iter() {
            dict.set_item(node, n)?;
        }
        Ok(dict)
    }

    /// Sum of the entries: the events in the causal history of the stamped event
    /// (saturating at 2**64 - 1).
    fn total(&self) -> u64 {
        self.inner.total()
    }

    /// An independent copy.
    fn copy(&self) -> VectorClock {
        self.clone()
    }

    fn __copy__(&self) -> VectorClock {
        self.clone()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> VectorClock {
        self.clone()
    }

    /// GoVector's JSON clock object: keys sorted, `", "` between entries, zeros left out,
    /// e.g. `{"alice":2, "bob":1}`.
    fn to_json(&self) -> String {
        self.inner.to_string()
    }

    /// Parses a GoVector/ShiViz JSON clock (`{"alice":2, "bob":1}`); `ValueError` naming the
    /// column and the problem otherwise.
    #[classmethod]
    fn from_json(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<VectorClock> {
        text.parse::<VersionVector<String>>()
            .map(VectorClock::from_inner)
            .map_err(|err| PyValueError::new_err(format!("bad JSON clock: {err}")))
    }

    /// causet's binary encoding (format byte `0x03`, then per entry the name's length, its
    /// UTF-8 bytes and the counter, as LEB128 varints; names sorted).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.encode())
    }

    /// Same as `to_bytes()`: `bytes(clock)`.
    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    /// Decodes `to_bytes()`'s encoding; `ValueError` for anything else (truncated,
    /// unsorted, trailing bytes, bad UTF-8, ...), never a crash.
    #[classmethod]
    fn from_bytes(_cls: &Bound<'_, PyType>, data: &[u8]) -> PyResult<VectorClock> {
        VersionVector::<String>::decode(data)
            .map(VectorClock::from_inner)
            .map_err(|err| PyValueError::new_err(format!("bad clock bytes: {err}")))
    }

    /// Pickles as its binary encoding.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let rebuild = slf.get_type().getattr("from_bytes")?;
        let bytes = slf.borrow().to_bytes(py);
        PyTuple::new(
            py,
            [rebuild.into_any(), PyTuple::new(py, [bytes])?.into_any()],
        )
    }

    fn __richcmp__(&self, other: PyRef<'_, VectorClock>, op: CompareOp) -> bool {
        // `<` is happened-before; concurrent clocks answer False to all four orderings.
        match self.inner.compare(&other.inner).to_ordering() {
            Some(ordering) => op.matches(ordering),
            None => matches!(op, CompareOp::Ne),
        }
    }

    #[classattr]
    const __hash__: Option<Py<PyAny>> = None;

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        if self.inner.is_empty() {
            return Ok("VectorClock()".to_owned());
        }
        // Python's own repr of the entries, so that `eval(repr(clock)) == clock`.
        Ok(format!("VectorClock({})", self.to_dict(py)?.repr()?))
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}
