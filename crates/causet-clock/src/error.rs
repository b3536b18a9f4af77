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
