//! The four answers a comparison of two clocks can give.

use std::cmp::Ordering;
use std::fmt;

/// How event `a` relates to event `b` (`a.compare(&b)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Causality {
    /// `a` happened before `b`: every entry of `a` ≤ `b`'s, one strictly less.
    Before,
    /// `a` happened after `b`.
    After,
    /// The same clock.
    Equal,
    /// Neither dominates the other.
    Concurrent,
}

impl Causality {
    /// The answer from two flags: "some entry of `a` is smaller than `b`'s" (`less`) and
    /// "some entry of `a` is larger" (`greater`).
    pub fn from_flags(less: bool, greater: bool) -> Causality {
        match (less, greater) {
            (false, false) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (true, true) => Causality::Concurrent,
        }
    }

    /// The lower-case word the command line prints: `before`, `after`, `equal`, `concurrent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Causality::Before => "before",
            Causality::After => "after",
            Causality::Equal => "equal",
            Causality::Concurrent => "concurrent",
        }
    }

    /// The answer seen from the other side (`Before` ↔ `After`).
    pub fn reverse(self) -> Causality {
        match self {
            Causality::Before => Causality::After,
            Causality::After => Causality::Before,
            other => other,
        }
    }

    /// The partial order as an `Option<Ordering>` (`None` for `Concurrent`).
    pub fn to_ordering(self) -> Option<Ordering> {
        match self {
            Causality::Before => Some(Ordering::Less),
            Causality::After => Some(Ordering::Greater),
            Causality::Equal => Some(Ordering::Equal),
            Causality::Concurrent => None,
        }
    }
}

impl std::str::FromStr for Causality {
    type Err = UnknownCausality;

    /// Parses the words [`as_str`](Causality::as_str) prints.
    fn from_str(word: &str) -> Result<Causality, UnknownCausality> {
        match word {
            "before" => Ok(Causality::Before),
            "after" => Ok(Causality::After),
            "equal" => Ok(Causality::Equal),
            "concurrent" => Ok(Causality::Concurrent),
            _ => Err(UnknownCausality {
                word: word.to_owned(),
            }),
        }
    }
}

/// A word that is not `before`, `after`, `equal` or `concurrent`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown causality {word:?} (expected before, after, equal or concurrent)")]
pub struct UnknownCausality {
    /// The word given.
    pub word: String,
}

impl fmt::Display for Causality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
