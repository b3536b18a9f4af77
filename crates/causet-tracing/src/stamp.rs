//! The wire forms of a stamp: binary, header text, byte prefix.
//!
//! A stamp is the sender's whole clock, a [`VersionVector<String>`], in causet-clock's
//! sparse binary encoding (format byte `0x03`, then per entry the name's length, the
//! name's bytes and the counter, as LEB128 varints; names strictly increasing; see
//! [`causet_clock::binary`]). Its two carried forms:
//!
//! | form | bytes | bound |
//! |---|---|---|
//! | header value ([`HEADER_NAME`]) | base64url of the binary stamp, no padding (RFC 4648 §5) | [`MAX_HEADER_LEN`] characters |
//! | byte prefix | the binary stamp's length (LEB128 varint), the binary stamp, then the payload | [`MAX_STAMP_BYTES`] stamp bytes |
//!
//! A decoded stamp is checked before anyone merges it: every name is a valid node name
//! ([`causet_runtime::validate_name`]: what the log's `NAME {CLOCK}` line can carry) and
//! every counter is at most [`MAX_COUNTER`] (what causet's log readers accept). Text over
//! the bound is refused before it is decoded, so a forged header costs at most
//! [`MAX_HEADER_LEN`] bytes of work; nothing here panics on any input.
//!
//! ```
//! use causet_clock::VersionVector;
//! use causet_tracing::stamp;
//!
//! let clock: VersionVector<String> = r#"{"gateway":3, "orders":1}"#.parse()?;
//! let header = stamp::encode_header(&clock)?;
//! assert_eq!(header, "AwdnYXRld2F5AwZvcmRlcnMB");
//! assert_eq!(stamp::decode_header(header.as_bytes())?, clock);
//! assert!(stamp::decode_header(b"AwdnYXRld2F5Aw+").is_err()); // `+` is not base64url
//!
//! let mut message = Vec::new();
//! stamp::encode_prefix(&clock, &mut message)?;
//! message.extend_from_slice(b"payload");
//! let (decoded, payload) = stamp::decode_prefix(&message)?;
//! assert_eq!((decoded, payload), (clock, b"payload".as_slice()));
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use causet_clock::varint::{read_u64, write_u64};
use causet_clock::{DecodeError, VersionVector};
use thiserror::Error;

use crate::base64::{self, Base64Error};

/// The header (and metadata key) a stamp travels in: lower case, as HTTP/2 and gRPC
/// require.
pub const HEADER_NAME: &str = "causet-stamp";

/// Most bytes of a binary stamp: 3 KiB, about 250 nodes with 8-character names (a
/// 64-node stamp of such names takes 700 bytes).
pub const MAX_STAMP_BYTES: usize = 3072;

/// Most characters of a header value: the base64url length of [`MAX_STAMP_BYTES`]
/// (4 KiB, half of the smallest common limit on one HTTP header line, 8 KiB).
pub const MAX_HEADER_LEN: usize = base64::encoded_len(MAX_STAMP_BYTES);

/// Largest counter a stamp may carry: causet's log readers take counters up to 2^32−1.
pub const MAX_COUNTER: u64 = u32::MAX as u64;

/// Why a carried stamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StampError {
    /// A header value longer than [`MAX_HEADER_LEN`], or a binary stamp longer than
    /// [`MAX_STAMP_BYTES`] (refused before decoding).
    #[error("stamp of {len} bytes exceeds the maximum of {max} bytes")]
    TooLong {
        /// Its length (characters of a header value, bytes of a binary stamp).
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A header value with a byte outside base64url's alphabet (`A–Z a–z 0–9 - _`; no
    /// padding, no spaces).
    #[error("stamp header is not base64url: byte {byte:#04x} at offset {offset}")]
    Base64Character {
        /// The offending byte.
        byte: u8,
        /// Its offset in the value.
        offset: usize,
    },
    /// A header value of a length no byte string encodes to (1 modulo 4), or whose last
    /// character has bits set that no encoder writes.
    #[error("stamp header is not canonical base64url ({len} characters)")]
    Base64Form {
        /// The value's length.
        len: usize,
    },
    /// The bytes are not a binary `VersionVector<String>`.
    #[error("stamp is not a binary string-keyed clock: {0}")]
    Decode(#[from] DecodeError),
    /// An entry's name cannot be a node's (empty, too long, or characters a log line cannot
    /// carry).
    #[error("stamp names node {name:?}: {reason}")]
    Name {
        /// The name (at most 80 characters of it).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A counter above [`MAX_COUNTER`].
    #[error("stamp gives node {node:?} {value} events, above the maximum of 2^32-1")]
    Counter {
        /// The node.
        node: String,
        /// The counter.
        value: u64,
    },
    /// A carrier holding the stamp header more than once (ambiguous: refused).
    #[error("{count} stamp headers where at most one is allowed")]
    Repeated {
        /// How many.
        count: usize,
    },
    /// A byte prefix that ends before its stamp does.
    #[error("message of {len} bytes ends inside its stamp prefix")]
    Truncated {
        /// The message's length.
        len: usize,
    },
}

/// Whether `name` is a valid node name ([`causet_runtime::validate_name`]'s rule, as one
/// byte loop; the error comes from `validate_name` itself).
fn check_name(name: &[u8]) -> Result<(), StampError> {
    /// The bytes a node name may hold.
    const NAME_BYTE: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.';
            b += 1;
        }
        table
    };
    let valid = !name.is_empty()
        && name.len() <= causet_runtime::MAX_NAME_LEN
        && name.iter().all(|&b| NAME_BYTE[usize::from(b)]);
    if valid {
        return Ok(());
    }
    let text = String::from_utf8_lossy(name);
    match causet_runtime::validate_name(&text) {
        Err(causet_runtime::RuntimeError::InvalidName { name, reason }) => {
            Err(StampError::Name { name, reason })
        }
        _ => Err(StampError::Name {
            name: text.chars().take(80).collect(),
            reason: "not UTF-8",
        }),
    }
}

/// The entries of a binary stamp read in place, checked (format, lengths, names, strict
/// order, counters) but not allocated: what a receive merges from without building a
/// clock. Names are given as bytes (checked ASCII); zero counters are skipped (their names
/// still order the next).
pub(crate) fn entries(bytes: &[u8]) -> impl Iterator<Item = Result<(&[u8], u64), StampError>> {
    let mut pos = 1;
    let mut previous: Option<&[u8]> = None;
    let mut failed = match bytes.first() {
        None => Some(StampError::Decode(DecodeError::UnexpectedEnd { offset: 0 })),
        Some(&causet_clock::binary::FORMAT_SPARSE_STRING) => None,
        Some(&byte) => Some(StampError::Decode(DecodeError::UnknownFormat {
            byte,
            offset: 0,
        })),
    };
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        if let Some(err) = failed.take() {
            done = true;
            return Some(Err(err));
        }
        loop {
            if pos >= bytes.len() {
                done = true;
                return None;
            }
            let entry = (|| {
                let offset = pos;
                let claimed = read_u64(bytes, &mut pos)?;
                let remaining = bytes.len() - pos;
                if claimed > remaining as u64 {
                    return Err(StampError::Decode(DecodeError::LengthTooLarge {
                        claimed,
                        remaining,
                        offset,
                    }));
                }
                let name = &bytes[pos..pos + claimed as usize];
                pos += claimed as usize;
                check_name(name)?;
                if previous.is_some_and(|p| p >= name) {
                    return Err(StampError::Decode(DecodeError::Invalid {
                        reason: "node ids not strictly increasing",
                    }));
                }
                previous = Some(name);
                let value = read_u64(bytes, &mut pos)?;
                if value > MAX_COUNTER {
                    return Err(StampError::Counter {
                        node: String::from_utf8_lossy(name).into_owned(),
                        value,
                    });
                }
                Ok((name, value))
            })();
            match entry {
                Ok((_, 0)) => continue,
                Ok(entry) => return Some(Ok(entry)),
                Err(err) => {
                    done = true;
                    return Some(Err(err));
                }
            }
        }
    })
}

/// Splits a byte-prefixed message into its binary stamp (unchecked) and its payload.
pub(crate) fn split_prefix(message: &[u8]) -> Result<(&[u8], &[u8]), StampError> {
    let mut pos = 0;
    let truncated = StampError::Truncated { len: message.len() };
    let claimed = read_u64(message, &mut pos).map_err(|_| truncated.clone())?;
    if claimed > MAX_STAMP_BYTES as u64 {
        return Err(StampError::TooLong {
            len: usize::try_from(claimed).unwrap_or(usize::MAX),
            max: MAX_STAMP_BYTES,
        });
    }
    let end = pos + claimed as usize;
    if end > message.len() {
        return Err(truncated);
    }
    Ok((&message[pos..end], &message[end..]))
}

/// Decodes a header value's base64url into `out` (its binary stamp, unchecked).
pub(crate) fn header_bytes(value: &[u8], out: &mut Vec<u8>) -> Result<(), StampError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(StampError::TooLong {
            len: value.len(),
            max: MAX_HEADER_LEN,
        });
    }
    base64::decode_into(value, out).map_err(|err| match err {
        Base64Error::Character { offset, byte } => StampError::Base64Character { byte, offset },
        Base64Error::Length | Base64Error::Trailing => StampError::Base64Form { len: value.len() },
    })
}

/// Checks a decoded stamp's names and counters.
pub(crate) fn check(clock: &VersionVector<String>) -> Result<(), StampError> {
    for (name, value) in clock.iter() {
        if let Err(causet_runtime::RuntimeError::InvalidName { name, reason }) =
            causet_runtime::validate_name(name)
        {
            return Err(StampError::Name { name, reason });
        }
        if value > MAX_COUNTER {
            return Err(StampError::Counter {
                node: name.clone(),
                value,
            });
        }
    }
    Ok(())
}

/// Decodes and checks a binary stamp.
pub fn decode_binary(bytes: &[u8]) -> Result<VersionVector<String>, StampError> {
    if bytes.len() > MAX_STAMP_BYTES {
        return Err(StampError::TooLong {
            len: bytes.len(),
            max: MAX_STAMP_BYTES,
        });
    }
    let clock = VersionVector::<String>::decode(bytes)?;
    check(&clock)?;
    Ok(clock)
}

/// The header value of `clock`: base64url of its binary encoding. A clock whose encoding
/// exceeds [`MAX_STAMP_BYTES`] is refused here, as every receiver would refuse it.
pub fn encode_header(clock: &VersionVector<String>) -> Result<String, StampError> {
    let mut out = String::new();
    encode_header_into(clock, &mut out)?;
    Ok(out)
}

/// [`encode_header`] appending to `out`, with `scratch` for the binary form (reused
/// buffers: no allocation in the steady state).
pub(crate) fn encode_header_with(
    clock: &VersionVector<String>,
    scratch: &mut Vec<u8>,
    out: &mut String,
) -> Result<(), StampError> {
    let len = clock.encoded_len();
    if len > MAX_STAMP_BYTES {
        return Err(StampError::TooLong {
            len,
            max: MAX_STAMP_BYTES,
        });
    }
    scratch.clear();
    clock.encode_into(scratch);
    out.reserve(base64::encoded_len(len));
    base64::encode_into(scratch, out);
    Ok(())
}

/// [`encode_header`] appending to `out`.
pub fn encode_header_into(
    clock: &VersionVector<String>,
    out: &mut String,
) -> Result<(), StampError> {
    encode_header_with(clock, &mut Vec::new(), out)
}

/// Decodes and checks a header value (its bytes: an HTTP header value need not be text).
pub fn decode_header(value: &[u8]) -> Result<VersionVector<String>, StampError> {
    decode_header_with(value, &mut Vec::new())
}

/// [`decode_header`] with a buffer for the binary form.
fn decode_header_with(
    value: &[u8],
    scratch: &mut Vec<u8>,
) -> Result<VersionVector<String>, StampError> {
    header_bytes(value, scratch)?;
    decode_binary(scratch)
}

/// Appends the byte-prefix form of `clock` (its binary length, then the binary stamp) to
/// `out`; the payload goes after it.
pub fn encode_prefix(clock: &VersionVector<String>, out: &mut Vec<u8>) -> Result<(), StampError> {
    let len = clock.encoded_len();
    if len > MAX_STAMP_BYTES {
        return Err(StampError::TooLong {
            len,
            max: MAX_STAMP_BYTES,
        });
    }
    out.reserve(len + 2);
    write_u64(out, len as u64);
    clock.encode_into(out);
    Ok(())
}

/// Splits a message written after [`encode_prefix`] into its checked stamp and payload.
pub fn decode_prefix(message: &[u8]) -> Result<(VersionVector<String>, &[u8]), StampError> {
    let (stamp, payload) = split_prefix(message)?;
    Ok((decode_binary(stamp)?, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(text: &str) -> VersionVector<String> {
        text.parse().expect("clock")
    }

    /// The documented forms, byte for byte (a change of encoding fails here).
    #[test]
    fn golden_forms() {
        let c = clock(r#"{"a":1, "bob":300}"#);
        assert_eq!(c.encode(), b"\x03\x01a\x01\x03bob\xac\x02");
        assert_eq!(encode_header(&c).unwrap(), "AwFhAQNib2KsAg");
        let mut prefix = Vec::new();
        encode_prefix(&c, &mut prefix).unwrap();
        assert_eq!(prefix, b"\x0a\x03\x01a\x01\x03bob\xac\x02");
        assert_eq!(encode_header(&VersionVector::new()).unwrap(), "Aw");
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let long = "A".repeat(MAX_HEADER_LEN + 1);
        assert_eq!(
            decode_header(long.as_bytes()),
            Err(StampError::TooLong {
                len: MAX_HEADER_LEN + 1,
                max: MAX_HEADER_LEN
            })
        );
        assert!(matches!(
            decode_header(b"Aw Fh"),
            Err(StampError::Base64Character {
                byte: b' ',
                offset: 2
            })
        ));
        assert_eq!(
            decode_header(b"AwFhA"),
            Err(StampError::Base64Form { len: 5 })
        );
        assert!(matches!(decode_header(b"AQ"), Err(StampError::Decode(_))));
        // A name with a space, a counter of 2^32: well-formed bytes, refused by the check.
        let spaced: VersionVector<String> = [("a b".to_string(), 1)].into_iter().collect();
        assert!(matches!(
            decode_binary(&spaced.encode()),
            Err(StampError::Name { .. })
        ));
        let big: VersionVector<String> = [("a".to_string(), 1 << 32)].into_iter().collect();
        assert!(matches!(
            decode_binary(&big.encode()),
            Err(StampError::Counter { value, .. }) if value == 1 << 32
        ));
        assert_eq!(
            decode_prefix(&[0x05, 0x03]),
            Err(StampError::Truncated { len: 2 })
        );
        assert_eq!(
            decode_prefix(&[0x80]),
            Err(StampError::Truncated { len: 1 })
        );
        assert!(matches!(
            decode_prefix(&[0xff, 0xff, 0x03]),
            Err(StampError::TooLong { .. })
        ));
    }

    #[test]
    fn oversized_clocks_are_refused_on_the_sending_side() {
        let huge: VersionVector<String> = (0..400).map(|i| (format!("node-{i:04}"), 1)).collect();
        assert!(huge.encoded_len() > MAX_STAMP_BYTES);
        assert!(matches!(
            encode_header(&huge),
            Err(StampError::TooLong { .. })
        ));
        assert!(matches!(
            encode_prefix(&huge, &mut Vec::new()),
            Err(StampError::TooLong { .. })
        ));
    }
}
