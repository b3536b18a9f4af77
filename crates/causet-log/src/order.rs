//! Order queries between two events of an execution.

use causet_clock::Causality;

use super::model::{EventIdError, Execution};

/// Why an order query could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    /// The id is not `node:n` or names no node of the execution.
    #[error(transparent)]
    BadId(#[from] EventIdError),
    /// The node exists but has no event with that own entry.
    #[error("unknown event '{0}': the node has no such event")]
    NoSuchEvent(String),
}

impl Execution {
    /// How event `a` relates to event `b` (indices into the execution).
    ///
    /// `a` happens before `b` when `b` knows `a`: `a`'s own entry is at most `b`'s entry for
    /// `a`'s node (the vector-clock test, exact for a log that passes [`Execution::check`],
    /// and the same test [`Execution::concurrent_pairs`] counts with). An event is `Equal`
    /// only to itself.
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn order(&self, a: usize, b: usize) -> Causality {
        if a == b {
            return Causality::Equal;
        }
        let table = &*self.clocks;
        let (node_a, node_b) = (self.node_of(a), self.node_of(b));
        let a_before_b = table.own(a) <= table.entry(b, node_a);
        let b_before_a = table.own(b) <= table.entry(a, node_b);
        match (a_before_b, b_before_a) {
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (false, false) => Causality::Concurrent,
            // Only in a log that fails check (a cycle or a duplicate): fall back to
            // comparing the whole clocks.
            (true, true) => {
                let (mut buf_a, mut buf_b) = (Vec::new(), Vec::new());
                compare_clocks(table.row(a, &mut buf_a), table.row(b, &mut buf_b))
            }
        }
    }

    /// [`Execution::order`] of two events given by id (`node:n`).
    ///
    /// ```
    /// use causet_clock::Causality;
    /// use causet_log::{parse_log, ReadOptions};
    ///
    /// let text = "a {\"a\":1}\nsend\nb {\"a\":1, \"b\":1}\nreceive\nc {\"c\":1}\nalone\n";
    /// let log = parse_log(text.as_bytes(), &ReadOptions::default())?;
    /// let execution = &log.executions[0];
    /// assert_eq!(execution.order_ids("a:1", "b:1")?, Causality::Before);
    /// assert_eq!(execution.order_ids("b:1", "c:1")?, Causality::Concurrent);
    /// assert!(execution.order_ids("a:9", "b:1").is_err());
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn order_ids(&self, a: &str, b: &str) -> Result<Causality, OrderError> {
        let a = self.resolve(a)?;
        let b = self.resolve(b)?;
        Ok(self.order(a, b))
    }

    /// The index of the event `node:n`.
    pub fn resolve(&self, id: &str) -> Result<usize, OrderError> {
        let parsed = self.parse_id(id)?;
        self.find(parsed)
            .ok_or_else(|| OrderError::NoSuchEvent(id.to_string()))
    }
}

fn compare_clocks(a: &[u32], b: &[u32]) -> Causality {
    let (mut less, mut greater) = (false, false);
    for (x, y) in a.iter().zip(b) {
        less |= x < y;
        greater |= x > y;
    }
    match (less, greater) {
        (false, false) => Causality::Equal,
        (true, false) => Causality::Before,
        (false, true) => Causality::After,
        (true, true) => Causality::Concurrent,
    }
}
