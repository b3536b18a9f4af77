//! Compact binary encodings of dense and sparse clocks.
//!
//! Every value starts with one format byte, then LEB128 varints (7 bits a byte, low bits
//! first). A value occupies the whole buffer: the entry count is implied by its length (the
//! transport frames messages), which is what keeps a dense clock of small entries at
//! `n + 1` bytes.
//!
//! | format byte | value | after the format byte |
//! |---|---|---|
//! | `0x01` | [`VectorClock`] | entry 0, entry 1, …, each a varint (no trailing zeros are written) |
//! | `0x02` | [`VersionVector`] with integer ids | per entry: id gap, counter. The gap is `id` for the first entry, `id − previous id − 1` after, so ids are strictly increasing by construction |
//! | `0x03` | [`VersionVector<String>`] | per entry: byte length of the id, the id's UTF-8 bytes, counter; ids strictly increasing |
//!
//! Decoders accept zero counters (and trailing zero entries) and drop them, and reject
//! everything else that is not canonical with a [`DecodeError`]: they never panic, and never
//! allocate more than a small multiple of the input's length (each entry costs at least
//! one input byte; a string length is checked against the remaining bytes before any
//! allocation).
//!
//! ```
//! use causet_clock::{VectorClock, VersionVector};
//!
//! let dense = VectorClock::from_entries(vec![3, 0, 127]);
//! let bytes = dense.encode();
//! assert_eq!(bytes, [0x01, 3, 0, 127]);
//! assert_eq!(VectorClock::decode(&bytes)?, dense);
//!
//! let sparse: VersionVector<String> = r#"{"alice":2, "bob":1}"#.parse()?;
//! let bytes = sparse.encode();
//! assert_eq!(bytes, b"\x03\x05alice\x02\x03bob\x01");
//! assert_eq!(VersionVector::<String>::decode(&bytes)?, sparse);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use smallvec::SmallVec;

use crate::varint::{len_u64, read_u64, write_u64};
use crate::{DecodeError, VectorClock, VersionVector};

/// Format byte of a dense [`VectorClock`].
pub const FORMAT_DENSE: u8 = 0x01;
/// Format byte of a [`VersionVector`] with integer ids.
pub const FORMAT_SPARSE_INT: u8 = 0x02;
/// Format byte of a [`VersionVector<String>`].
pub const FORMAT_SPARSE_STRING: u8 = 0x03;

fn check_format(bytes: &[u8], expected: u8) -> Result<(), DecodeError> {
    match bytes.first() {
        None => Err(DecodeError::UnexpectedEnd { offset: 0 }),
        Some(&byte) if byte == expected => Ok(()),
        Some(&byte) => Err(DecodeError::UnknownFormat { byte, offset: 0 }),
    }
}

impl VectorClock {
    /// Number of bytes [`encode`](Self::encode) produces: `len() + 1` when every entry is
    /// below 128.
    pub fn encoded_len(&self) -> usize {
        1 + self.as_slice().iter().map(|&n| len_u64(n)).sum::<usize>()
    }

    /// Appends the binary encoding (format `0x01`, see [the format table](crate::binary)).
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        buf.reserve(self.encoded_len());
        buf.push(FORMAT_DENSE);
        for &n in self.as_slice() {
            write_u64(buf, n);
        }
    }

    /// The binary encoding (format `0x01`, see [the format table](crate::binary)).
    pub fn encode(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.encode_into(&mut buf);
        buf
    }

    /// Decodes a whole buffer written by [`encode`](Self::encode).
    pub fn decode(bytes: &[u8]) -> Result<VectorClock, DecodeError> {
        check_format(bytes, FORMAT_DENSE)?;
        let mut pos = 1;
        // Every entry takes at least one byte: this bound is proportional to the input.
        let mut entries = Vec::with_capacity(bytes.len() - 1);
        while pos < bytes.len() {
            entries.push(read_u64(bytes, &mut pos)?);
        }
        Ok(VectorClock::from_entries(entries))
    }
}

/// A node id the binary encoding can carry. Implemented for the unsigned integer types
/// (format `0x02`) and `String` (format `0x03`); sealed.
pub trait BinaryId: Ord + Clone + private::Sealed {
    /// The format byte of a [`VersionVector`] keyed by this id type.
    const FORMAT: u8;
    #[doc(hidden)]
    fn write_id(&self, previous: Option<&Self>, buf: &mut Vec<u8>);
    #[doc(hidden)]
    fn read_id(bytes: &[u8], pos: &mut usize, previous: Option<&Self>)
    -> Result<Self, DecodeError>;
    #[doc(hidden)]
    fn id_len(&self, previous: Option<&Self>) -> usize;
}

mod private {
    pub trait Sealed {}
}

macro_rules! integer_id {
    ($($t:ty),*) => {$(
        impl private::Sealed for $t {}

        impl BinaryId for $t {
            const FORMAT: u8 = FORMAT_SPARSE_INT;

            fn write_id(&self, previous: Option<&Self>, buf: &mut Vec<u8>) {
                write_u64(buf, gap(*self as u64, previous.map(|&p| p as u64)));
            }

            fn id_len(&self, previous: Option<&Self>) -> usize {
                len_u64(gap(*self as u64, previous.map(|&p| p as u64)))
            }

            fn read_id(
                bytes: &[u8],
                pos: &mut usize,
                previous: Option<&Self>,
            ) -> Result<Self, DecodeError> {
                let at = *pos;
                let gap = read_u64(bytes, pos)?;
                let id = match previous {
                    None => Some(gap),
                    Some(&p) => (p as u64).checked_add(gap).and_then(|v| v.checked_add(1)),
                };
                id.and_then(|v| <$t>::try_from(v).ok()).ok_or(DecodeError::Invalid {
                    reason: if at == 1 {
                        "node id out of range"
                    } else {
                        "node id out of range after the gap"
                    },
                })
            }
        }
    )*};
}

/// The gap coded for an integer id: the id itself first, then the distance to the
/// previous id minus one (ids strictly increase).
fn gap(id: u64, previous: Option<u64>) -> u64 {
    match previous {
        None => id,
        Some(p) => id - p - 1,
    }
}

integer_id!(u8, u16, u32, u64, usize);

impl private::Sealed for String {}

impl BinaryId for String {
    const FORMAT: u8 = FORMAT_SPARSE_STRING;

    fn write_id(&self, _previous: Option<&Self>, buf: &mut Vec<u8>) {
        write_u64(buf, self.len() as u64);
        buf.extend_from_slice(self.as_bytes());
    }

    fn id_len(&self, _previous: Option<&Self>) -> usize {
        len_u64(self.len() as u64) + self.len()
    }

    fn read_id(
        bytes: &[u8],
        pos: &mut usize,
        previous: Option<&Self>,
    ) -> Result<Self, DecodeError> {
        let offset = *pos;
        let claimed = read_u64(bytes, pos)?;
        let remaining = bytes.len() - *pos;
        // Check the claimed length against what is left before touching the allocator.
        let len = usize::try_from(claimed)
            .ok()
            .filter(|&len| len <= remaining)
            .ok_or(DecodeError::LengthTooLarge {
                claimed,
                remaining,
                offset,
            })?;
        let raw = &bytes[*pos..*pos + len];
        let id = std::str::from_utf8(raw).map_err(|_| DecodeError::Invalid {
            reason: "node id is not UTF-8",
        })?;
        if previous.is_some_and(|p| p.as_str() >= id) {
            return Err(DecodeError::Invalid {
                reason: "node ids not strictly increasing",
            });
        }
        *pos += len;
        Ok(id.to_owned())
    }
}

impl<Id: BinaryId> VersionVector<Id> {
    /// Number of bytes [`encode`](Self::encode) produces.
    pub fn encoded_len(&self) -> usize {
        let mut previous = None;
        let mut len = 1;
        for (id, n) in self.iter() {
            len += id.id_len(previous) + len_u64(n);
            previous = Some(id);
        }
        len
    }

    /// Appends the binary encoding (format `0x02` for integer ids, `0x03` for strings; see
    /// [the format table](crate::binary)).
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        buf.reserve(self.encoded_len());
        buf.push(Id::FORMAT);
        let mut previous = None;
        for (id, n) in self.iter() {
            id.write_id(previous, buf);
            write_u64(buf, n);
            previous = Some(id);
        }
    }

    /// The binary encoding (see [`encode_into`](Self::encode_into)).
    pub fn encode(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.encode_into(&mut buf);
        buf
    }

    /// Decodes a whole buffer written by [`encode`](Self::encode).
    pub fn decode(bytes: &[u8]) -> Result<VersionVector<Id>, DecodeError> {
        check_format(bytes, Id::FORMAT)?;
        let mut pos = 1;
        // No reservation up front: entries are pushed as they are read, so memory grows
        // with the bytes actually consumed (each entry takes at least two).
        let mut entries: SmallVec<[(Id, u64); 8]> = SmallVec::new();
        // Zero counters are skipped, but their ids still order the ones after them.
        let mut previous: Option<Id> = None;
        while pos < bytes.len() {
            let id = Id::read_id(bytes, &mut pos, previous.as_ref())?;
            let n = read_u64(bytes, &mut pos)?;
            if n > 0 {
                entries.push((id.clone(), n));
            }
            previous = Some(id);
        }
        Ok(VersionVector::from_sorted_unchecked(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_small_entries_take_n_plus_one_bytes() {
        for n in [0usize, 1, 4, 127, 128, 1024] {
            let clock = VectorClock::from_entries(vec![127; n]);
            let bytes = clock.encode();
            assert_eq!(bytes.len(), n + 1);
            assert_eq!(bytes.len(), clock.encoded_len());
            assert_eq!(VectorClock::decode(&bytes), Ok(clock));
        }
    }

    #[test]
    fn integer_ids_are_gap_coded() {
        let v: VersionVector<u32> = [(3, 1), (4, 200), (10, 1)].into_iter().collect();
        let bytes = v.encode();
        assert_eq!(bytes, [0x02, 3, 1, 0, 0xc8, 0x01, 5, 1]);
        assert_eq!(bytes.len(), v.encoded_len());
        assert_eq!(VersionVector::<u32>::decode(&bytes), Ok(v));
    }

    #[test]
    fn hostile_inputs_are_errors() {
        assert_eq!(
            VectorClock::decode(&[]),
            Err(DecodeError::UnexpectedEnd { offset: 0 })
        );
        assert!(matches!(
            VectorClock::decode(&[0x02, 1]),
            Err(DecodeError::UnknownFormat { byte: 0x02, .. })
        ));
        assert!(matches!(
            VectorClock::decode(&[0x01, 0x80]),
            Err(DecodeError::UnexpectedEnd { offset: 2 })
        ));
        // A string id claiming 2^62 bytes: rejected before any allocation.
        let mut hostile = vec![0x03];
        write_u64(&mut hostile, 1 << 62);
        hostile.push(b'a');
        assert!(matches!(
            VersionVector::<String>::decode(&hostile),
            Err(DecodeError::LengthTooLarge {
                claimed,
                remaining: 1,
                offset: 1,
            }) if claimed == 1 << 62
        ));
        // u8 ids overflow after a gap.
        assert!(matches!(
            VersionVector::<u8>::decode(&[0x02, 127, 1, 127, 1, 0, 1]),
            Err(DecodeError::Invalid { .. })
        ));
        // Unsorted string ids.
        assert!(matches!(
            VersionVector::<String>::decode(b"\x03\x01b\x01\x01a\x01"),
            Err(DecodeError::Invalid { .. })
        ));
    }
}
