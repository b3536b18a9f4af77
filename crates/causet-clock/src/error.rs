//! Errors of the binary decoders.

use thiserror::Error;

/// Why bytes could not be decoded into a clock or stamp.
///
/// Decoders never panic and never allocate more than a bound proportional to the input's
/// length, whatever the bytes claim.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended in the middle of a value.
    #[error("input ends early at byte {offset}")]
    UnexpectedEnd {
        /// Byte offset where more input was needed.
        offset: usize,
    },
    /// A varint does not fit in 64 bits.
    #[error("varint at byte {offset} does not fit in 64 bits")]
    VarintOverflow {
        /// Byte offset of the offending byte.
        offset: usize,
    },
    /// The version (or format tag) byte is not one this library knows.
    #[error("unknown format byte {byte:#04x} at byte {offset}")]
    UnknownFormat {
        /// The byte found.
        byte: u8,
        /// Its offset.
        offset: usize,
    },
    /// A length or count is larger than the rest of the input could hold.
    #[error(
        "length {claimed} at byte {offset} exceeds what the remaining {remaining} bytes can hold"
    )]
    LengthTooLarge {
        /// The length the input claims.
        claimed: u64,
        /// Bytes left after the length.
        remaining: usize,
        /// Offset of the length.
        offset: usize,
    },
    /// Bytes remain after a complete value.
    #[error("{count} trailing bytes after the value")]
    TrailingBytes {
        /// How many bytes are left over.
        count: usize,
    },
    /// The value is well-formed bytes but not a valid clock (e.g. unsorted or duplicate ids).
    #[error("invalid value: {reason}")]
    Invalid {
        /// What is wrong.
        reason: &'static str,
    },
}

/// Why text could not be parsed as a GoVector/ShiViz JSON clock such as
/// `{"alice":2, "bob":1}`.
///
/// `column` is the 1-based byte position in the parsed text where the problem starts, so a
/// caller that knows the file and line can report `FILE:LINE:COLUMN`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("column {column}: {kind}")]
pub struct ParseError {
    /// 1-based byte column of the offending text.
    pub column: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// What is wrong with a JSON clock.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A token other than the one the grammar needs.
    #[error("expected {expected}, found {found}")]
    Expected {
        /// What the grammar needs here (e.g. `'{'`, `a quoted node name`).
        expected: &'static str,
        /// A short quote of what is there, or `end of input`.
        found: String,
    },
    /// A counter below zero.
    #[error("counter of node {node:?} is negative: {text}")]
    NegativeCounter {
        /// The node whose counter it is.
        node: String,
        /// The counter as written.
        text: String,
    },
    /// A counter that is a fraction, an exponent, a string, a boolean, null, ….
    #[error("counter of node {node:?} is not a non-negative integer: {text}")]
    NotAnInteger {
        /// The node whose counter it is.
        node: String,
        /// The value as written (shortened).
        text: String,
    },
    /// A counter above `u64::MAX`.
    #[error("counter of node {node:?} does not fit in 64 bits: {text}")]
    CounterOverflow {
        /// The node whose counter it is.
        node: String,
        /// The counter as written.
        text: String,
    },
    /// The same node twice in one clock.
    #[error("node {node:?} appears twice")]
    DuplicateNode {
        /// The repeated node.
        node: String,
    },
    /// A malformed string (bad escape, raw control character, lone surrogate).
    #[error("invalid node name: {reason}")]
    InvalidString {
        /// What is wrong with it.
        reason: &'static str,
    },
}
