//! The members of a cluster: node names, their clock indices and their log order.

use std::cmp::Ordering;

use crate::RuntimeError;

/// Longest accepted node name, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// The nodes of a cluster, in canonical order.
///
/// Index `i` of every clock of the cluster is the entry of the `i`-th name in *natural*
/// order (`node2` before `node10`), so every member computes the same indices from the same
/// set of names, whatever order they were given in. Logs print clock keys in plain byte
/// order (`node10` before `node2`), as GoVector does; [`Roster::log_order`] gives that order.
///
/// Names are non-empty, at most [`MAX_NAME_LEN`] bytes of ASCII letters, digits, `-`, `_`
/// and `.`: they are GoVector host names (matched by `\S+`) and JSON keys without escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    names: Vec<String>,
    log_order: Vec<usize>,
    /// `log_rank[i]`: position of index `i` in `log_order`.
    log_rank: Vec<usize>,
}

impl Roster {
    /// A roster of the given names (any order; duplicates and bad names are errors).
    pub fn new<I, S>(names: I) -> Result<Self, RuntimeError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut names: Vec<String> = names.into_iter().map(Into::into).collect();
        for name in &names {
            validate_name(name)?;
        }
        names.sort_by(|a, b| natural_cmp(a, b));
        if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(RuntimeError::DuplicateName {
                name: pair[0].clone(),
            });
        }
        Ok(Roster::with_names(names))
    }

    /// `node0`, `node1`, …, `node{n-1}`: the roster of `causet run`.
    pub fn numbered(n: usize) -> Self {
        Roster::with_names((0..n).map(|i| format!("node{i}")).collect())
    }

    /// A roster of names already in canonical order.
    fn with_names(names: Vec<String>) -> Self {
        let mut log_order: Vec<usize> = (0..names.len()).collect();
        log_order.sort_by(|&a, &b| names[a].cmp(&names[b]));
        let mut log_rank = vec![0; names.len()];
        for (rank, &index) in log_order.iter().enumerate() {
            log_rank[index] = rank;
        }
        Roster {
            names,
            log_order,
            log_rank,
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the roster has no nodes.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of node `index`.
    pub fn name(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(String::as_str)
    }

    /// The clock index of `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names
            .binary_search_by(|probe| natural_cmp(probe, name))
            .ok()
    }

    /// The names, in clock-index order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Clock indices in the order a log prints them (names in byte order).
    pub fn log_order(&self) -> &[usize] {
        &self.log_order
    }

    /// Position of clock index `index` in [`log_order`](Self::log_order).
    pub fn log_rank(&self, index: usize) -> Option<usize> {
        self.log_rank.get(index).copied()
    }

    /// A 64-bit fingerprint of the names (FNV-1a), exchanged in handshakes so that nodes
    /// configured with different clusters refuse each other instead of mixing indices.
    pub fn digest(&self) -> u64 {
        let mut hash = fnv_start();
        for name in &self.names {
            hash = fnv_add(hash, name.as_bytes());
            hash = fnv_add(hash, &[0]);
        }
        hash
    }
}

/// Checks that `name` can be a node name (see [`Roster`]).
pub fn validate_name(name: &str) -> Result<(), RuntimeError> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.len() > MAX_NAME_LEN {
        Some("longer than 64 bytes")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        Some("only ASCII letters, digits, '-', '_' and '.' are allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(RuntimeError::InvalidName {
            name: name.chars().take(80).collect(),
            reason,
        }),
        None => Ok(()),
    }
}

pub(crate) fn fnv_start() -> u64 {
    0xcbf2_9ce4_8422_2325
}

pub(crate) fn fnv_add(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Natural order: the text before a trailing number, then the number, then the bytes.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a_stem, a_number) = split_number(a);
    let (b_stem, b_number) = split_number(b);
    a_stem
        .cmp(b_stem)
        .then_with(|| a_number.len().cmp(&b_number.len()))
        .then_with(|| a_number.cmp(b_number))
        .then_with(|| a.cmp(b))
}

/// `("node", "12")` for `node12`, leading zeros of the number dropped.
fn split_number(name: &str) -> (&str, &str) {
    let stem_len = name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, digits) = name.split_at(stem_len);
    let trimmed = digits.trim_start_matches('0');
    (stem, if digits.is_empty() { digits } else { trimmed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_matches_new_and_orders_naturally() {
        let numbered = Roster::numbered(12);
        let given = Roster::new((0..12).rev().map(|i| format!("node{i}"))).unwrap();
        assert_eq!(numbered, given);
        assert_eq!(numbered.index("node10"), Some(10));
        assert_eq!(numbered.name(2), Some("node2"));
        // Log order is byte order: node0, node1, node10, node11, node2, ...
        assert_eq!(&numbered.log_order()[..4], &[0, 1, 10, 11]);
    }

    #[test]
    fn rejects_bad_and_duplicate_names() {
        assert!(Roster::new(["a b"]).is_err());
        assert!(Roster::new([""]).is_err());
        assert!(Roster::new(["x\"y"]).is_err());
        assert!(matches!(
            Roster::new(["a", "b", "a"]),
            Err(RuntimeError::DuplicateName { .. })
        ));
        assert_ne!(
            Roster::new(["a", "b"]).unwrap().digest(),
            Roster::new(["a", "c"]).unwrap().digest()
        );
    }
}
