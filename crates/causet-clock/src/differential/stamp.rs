//! The stamp a [`DiffClock`](super::DiffClock) attaches to a message, and its three wire
//! encodings.

use crate::DecodeError;
use crate::varint::{len_u64, read_u64, write_u64};

/// What a [`Stamp`] carries and how the receiver must check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StampKind {
    /// The sender's whole clock, outside any session: always safe to merge, in any order,
    /// any number of times, so it carries no session or sequence number. The sender picks
    /// it when the whole clock is no larger than the differential stamp would be; it does
    /// not advance the channel (the next differential stamp is still relative to the last
    /// [`Start`](Self::Start) or [`Diff`](Self::Diff)).
    Snapshot,
    /// The first stamp of a session on one channel: the sender's whole clock, sequence
    /// number 0. Begins the chain that later [`Diff`](Self::Diff) stamps extend.
    Start {
        /// Session (incarnation) id of the channel; strictly increases per channel, across
        /// restarts of the sender too.
        session: u64,
    },
    /// Only the entries that changed since the sender's previous `Start` or `Diff` stamp to
    /// the same peer. Correct only if the receiver applied that previous stamp, which the
    /// session and sequence number let it check.
    Diff {
        /// Session id, equal to the one of the `Start` that began the chain.
        session: u64,
        /// Position in the chain: 1 for the first `Diff` after the `Start`, then 2, 3, ….
        seq: u64,
    },
}

/// One of the three payload encodings; [`Stamp::encode`] picks the smallest per stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Every entry from 0 to the highest carried one, in order, absent ones as 0.
    Dense,
    /// (index gap, value) pairs in increasing index order.
    List,
    /// A bitmap of the carried indices, then their values in index order.
    Bitmap,
}

impl Encoding {
    /// All three, in the order [`Stamp::encode`] prefers them on a tie.
    pub const ALL: [Encoding; 3] = [Encoding::Dense, Encoding::List, Encoding::Bitmap];

    fn bits(self) -> u8 {
        match self {
            Encoding::Dense => 0,
            Encoding::List => 1,
            Encoding::Bitmap => 2,
        }
    }
}

/// A stamp: the entries a message carries (sorted by node index, every value > 0, an
/// absent entry meaning "not carried"), plus its [`StampKind`].
///
/// # Wire format
///
/// A stamp occupies the whole buffer (the transport frames messages). Integers are LEB128
/// varints.
///
/// | part | bytes |
/// |---|---|
/// | tag | one byte: bits 0–1 the [`Encoding`] (0 dense, 1 list, 2 bitmap), bits 2–3 the kind (0 snapshot, 1 start, 2 diff), bits 4–7 zero |
/// | session | varint, for start and diff |
/// | seq | varint, for diff only |
/// | payload, dense | one varint per index `0..=max`, 0 for an index not carried; the last is non-zero |
/// | payload, list | first entry: index, value; each next: `index − previous index − 1`, value |
/// | payload, bitmap | byte count `b`, then `b` bytes whose bit `i % 8` of byte `i / 8` marks index `i` (last byte non-zero), then the values in index order |
///
/// Values in list and bitmap payloads are non-zero. Anything else (unknown tag bits,
/// truncation, overlong varints, zero values, trailing bytes, index overflow) is a
/// [`DecodeError`]; decoding never panics and allocates at most one entry per input byte.
///
/// ```
/// use causet_clock::differential::{Encoding, Stamp, StampKind};
///
/// let stamp = Stamp::new(StampKind::Diff { session: 0, seq: 3 }, vec![(1, 7), (40, 2)])?;
/// let mut bytes = Vec::new();
/// stamp.encode(&mut bytes); // the smallest of the three: the list
/// assert_eq!(bytes, [0b1001, 0, 3, 1, 7, 38, 2]);
/// assert_eq!(Stamp::decode(&bytes)?, stamp);
/// for encoding in Encoding::ALL {
///     bytes.clear();
///     stamp.encode_with(encoding, &mut bytes);
///     assert_eq!(Stamp::decode(&bytes)?, stamp);
/// }
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Stamp {
    pub(crate) kind: StampKind,
    pub(crate) entries: Entries,
    /// The payload sizes of `entries`, when whoever built the stamp already computed them
    /// (saves a pass in `encode`); not part of the value.
    pub(crate) sizes: Option<PayloadSizes>,
}

/// The carried entries, in one of two forms with the same meaning. Both buffers are kept
/// so that a reused stamp does not reallocate when its form changes.
#[derive(Debug, Default)]
pub(crate) struct Entries {
    /// Whether `values`, not `pairs`, holds the entries.
    dense: bool,
    /// `(index, value)`, strictly increasing indices, every value > 0.
    pairs: Vec<(usize, u64)>,
    /// The value of every index from 0 (0 = not carried), no trailing zero: whole clocks
    /// are copied and written like this, without building pairs.
    values: Vec<u64>,
}

impl Clone for Entries {
    fn clone(&self) -> Entries {
        if self.dense {
            Entries::dense(self.values.clone())
        } else {
            Entries::sparse(self.pairs.clone())
        }
    }
}

impl Entries {
    pub(crate) fn sparse(pairs: Vec<(usize, u64)>) -> Entries {
        Entries {
            dense: false,
            pairs,
            values: Vec::new(),
        }
    }

    pub(crate) fn dense(values: Vec<u64>) -> Entries {
        Entries {
            dense: true,
            pairs: Vec::new(),
            values,
        }
    }

    /// Switches to the sparse form and returns its (cleared) list.
    pub(crate) fn pairs_mut(&mut self) -> &mut Vec<(usize, u64)> {
        self.dense = false;
        self.pairs.clear();
        &mut self.pairs
    }

    /// Switches to the dense form holding a copy of `values` (no trailing zero).
    pub(crate) fn set_dense(&mut self, values: &[u64]) {
        self.dense = true;
        self.values.clear();
        self.values.extend_from_slice(values);
    }

    fn iter(&self) -> EntryIter<'_> {
        if self.dense {
            EntryIter(EntryIterInner::Dense(self.values.iter().enumerate()))
        } else {
            EntryIter(EntryIterInner::Sparse(self.pairs.iter()))
        }
    }

    /// The values from index 0, if the entries are in the dense form.
    pub(crate) fn dense_values(&self) -> Option<&[u64]> {
        self.dense.then_some(self.values.as_slice())
    }

    /// The highest carried index + 1 (0 when empty).
    pub(crate) fn width(&self) -> usize {
        if self.dense {
            self.values.len()
        } else {
            self.pairs.last().map_or(0, |&(index, _)| index + 1)
        }
    }
}

/// The carried `(node index, value)` entries of a [`Stamp`], by increasing index.
#[derive(Debug, Clone)]
pub struct EntryIter<'a>(EntryIterInner<'a>);

#[derive(Debug, Clone)]
enum EntryIterInner<'a> {
    Sparse(std::slice::Iter<'a, (usize, u64)>),
    Dense(std::iter::Enumerate<std::slice::Iter<'a, u64>>),
}

impl Iterator for EntryIter<'_> {
    type Item = (usize, u64);

    fn next(&mut self) -> Option<(usize, u64)> {
        match &mut self.0 {
            EntryIterInner::Sparse(pairs) => pairs.next().copied(),
            EntryIterInner::Dense(values) => values
                .find(|&(_, &value)| value > 0)
                .map(|(index, &value)| (index, value)),
        }
    }
}

impl PartialEq for Stamp {
    fn eq(&self, other: &Stamp) -> bool {
        self.kind == other.kind && self.entries.iter().eq(other.entries.iter())
    }
}

impl Eq for Stamp {}

impl std::hash::Hash for Stamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        for entry in self.entries.iter() {
            entry.hash(state);
        }
    }
}

const KIND_SNAPSHOT: u8 = 0;
const KIND_START: u8 = 1;
const KIND_DIFF: u8 = 2;

impl Stamp {
    /// A stamp from explicit entries, which must be sorted by strictly increasing index with
    /// non-zero values (a zero entry carries nothing).
    pub fn new(kind: StampKind, entries: Vec<(usize, u64)>) -> Result<Stamp, DecodeError> {
        if entries.iter().any(|&(_, value)| value == 0) {
            return Err(DecodeError::Invalid {
                reason: "a stamp entry is zero",
            });
        }
        if entries.windows(2).any(|pair| pair[0].0 >= pair[1].0) {
            return Err(DecodeError::Invalid {
                reason: "stamp indices are not strictly increasing",
            });
        }
        Ok(Stamp {
            kind,
            entries: Entries::sparse(entries),
            sizes: None,
        })
    }

    /// The kind: snapshot, session start or differential.
    pub fn kind(&self) -> StampKind {
        self.kind
    }

    /// The carried `(node index, value)` entries, by increasing index (values > 0).
    pub fn entries(&self) -> EntryIter<'_> {
        self.entries.iter()
    }

    /// Whether the stamp carries the sender's whole clock (snapshot or session start).
    pub fn is_full(&self) -> bool {
        !matches!(self.kind, StampKind::Diff { .. })
    }

    /// Size in bytes of [`encode`](Self::encode)'s output (the smallest encoding).
    pub fn encoded_len(&self) -> usize {
        self.header_len() + self.sizes().best().1
    }

    /// Size in bytes of [`encode_with`](Self::encode_with)`(encoding)`'s output.
    pub fn encoded_len_with(&self, encoding: Encoding) -> usize {
        self.header_len() + self.sizes().get(encoding)
    }

    /// Appends the smallest of the three encodings (dense on a tie, then list).
    pub fn encode(&self, buf: &mut Vec<u8>) {
        let (encoding, payload) = self.sizes().best();
        self.write(encoding, payload, buf);
    }

    /// Appends the stamp in the given encoding (for tests and measurements; the receiver
    /// reads every encoding).
    pub fn encode_with(&self, encoding: Encoding, buf: &mut Vec<u8>) {
        let payload = self.sizes().get(encoding);
        self.write(encoding, payload, buf);
    }

    /// Decodes a whole buffer written by [`encode`](Self::encode) or
    /// [`encode_with`](Self::encode_with).
    pub fn decode(bytes: &[u8]) -> Result<Stamp, DecodeError> {
        let tag = *bytes
            .first()
            .ok_or(DecodeError::UnexpectedEnd { offset: 0 })?;
        let unknown = DecodeError::UnknownFormat {
            byte: tag,
            offset: 0,
        };
        if tag & 0xf0 != 0 {
            return Err(unknown);
        }
        let mut pos = 1;
        let kind = match (tag >> 2) & 0b11 {
            KIND_SNAPSHOT => StampKind::Snapshot,
            KIND_START => StampKind::Start {
                session: read_u64(bytes, &mut pos)?,
            },
            KIND_DIFF => {
                let session = read_u64(bytes, &mut pos)?;
                let seq = read_u64(bytes, &mut pos)?;
                StampKind::Diff { session, seq }
            }
            _ => return Err(unknown),
        };
        let entries = match tag & 0b11 {
            0 => Entries::dense(decode_dense(bytes, pos)?),
            1 => Entries::sparse(decode_list(bytes, pos)?),
            2 => Entries::sparse(decode_bitmap(bytes, pos)?),
            _ => return Err(unknown),
        };
        Ok(Stamp {
            kind,
            entries,
            sizes: None,
        })
    }

    fn sizes(&self) -> PayloadSizes {
        self.sizes
            .unwrap_or_else(|| PayloadSizes::of(self.entries.iter()))
    }

    fn header_len(&self) -> usize {
        1 + match self.kind {
            StampKind::Snapshot => 0,
            StampKind::Start { session } => len_u64(session),
            StampKind::Diff { session, seq } => len_u64(session) + len_u64(seq),
        }
    }

    fn write(&self, encoding: Encoding, payload: usize, buf: &mut Vec<u8>) {
        buf.reserve(self.header_len() + payload);
        let kind = match self.kind {
            StampKind::Snapshot => KIND_SNAPSHOT,
            StampKind::Start { .. } => KIND_START,
            StampKind::Diff { .. } => KIND_DIFF,
        };
        buf.push(encoding.bits() | kind << 2);
        match self.kind {
            StampKind::Snapshot => {}
            StampKind::Start { session } => write_u64(buf, session),
            StampKind::Diff { session, seq } => {
                write_u64(buf, session);
                write_u64(buf, seq);
            }
        }
        let entries = &self.entries;
        match encoding {
            Encoding::Dense if entries.dense => {
                for &value in &entries.values {
                    write_u64(buf, value);
                }
            }
            Encoding::Dense => write_dense(entries.iter(), buf),
            Encoding::List => write_list(entries.iter(), buf),
            Encoding::Bitmap => write_bitmap(entries, buf),
        }
    }
}

/// Payload sizes of the three encodings of one entry list, computed in one pass.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PayloadSizes {
    pub(crate) dense: usize,
    pub(crate) list: usize,
    pub(crate) bitmap: usize,
}

impl PayloadSizes {
    pub(crate) fn of(entries: impl Iterator<Item = (usize, u64)>) -> PayloadSizes {
        let (mut count, mut values, mut gaps) = (0, 0, 0);
        let mut next = 0; // index right after the previous entry
        for (index, value) in entries {
            count += 1;
            values += len_u64(value);
            gaps += len_u64((index - next) as u64);
            next = index + 1;
        }
        PayloadSizes::from_parts(count, next, values, gaps)
    }

    /// From the number of entries, the highest index + 1 (`width`), the summed value sizes
    /// and the summed list gap sizes.
    pub(crate) fn from_parts(count: usize, width: usize, values: usize, gaps: usize) -> Self {
        let bitmap_bytes = width.div_ceil(8);
        PayloadSizes {
            // Indices not carried cost one zero byte each.
            dense: values + (width - count),
            list: values + gaps,
            bitmap: len_u64(bitmap_bytes as u64) + bitmap_bytes + values,
        }
    }

    pub(crate) fn get(self, encoding: Encoding) -> usize {
        match encoding {
            Encoding::Dense => self.dense,
            Encoding::List => self.list,
            Encoding::Bitmap => self.bitmap,
        }
    }

    pub(crate) fn best(self) -> (Encoding, usize) {
        let mut best = (Encoding::Dense, self.dense);
        if self.list < best.1 {
            best = (Encoding::List, self.list);
        }
        if self.bitmap < best.1 {
            best = (Encoding::Bitmap, self.bitmap);
        }
        best
    }
}

fn write_dense(entries: impl Iterator<Item = (usize, u64)>, buf: &mut Vec<u8>) {
    let mut next = 0;
    for (index, value) in entries {
        buf.resize(buf.len() + (index - next), 0);
        write_u64(buf, value);
        next = index + 1;
    }
}

fn write_list(entries: impl Iterator<Item = (usize, u64)>, buf: &mut Vec<u8>) {
    let mut next = 0;
    for (index, value) in entries {
        write_u64(buf, (index - next) as u64);
        write_u64(buf, value);
        next = index + 1;
    }
}

fn write_bitmap(entries: &Entries, buf: &mut Vec<u8>) {
    let bitmap_bytes = entries.width().div_ceil(8);
    write_u64(buf, bitmap_bytes as u64);
    let start = buf.len();
    buf.resize(start + bitmap_bytes, 0);
    for (index, _) in entries.iter() {
        buf[start + index / 8] |= 1 << (index % 8);
    }
    for (_, value) in entries.iter() {
        write_u64(buf, value);
    }
}

fn decode_dense(bytes: &[u8], mut pos: usize) -> Result<Vec<u64>, DecodeError> {
    // At most one value per remaining byte.
    let mut values = Vec::with_capacity(bytes.len() - pos);
    while pos < bytes.len() {
        values.push(read_u64(bytes, &mut pos)?);
    }
    if values.last() == Some(&0) {
        return Err(DecodeError::Invalid {
            reason: "dense stamp ends with a zero entry",
        });
    }
    Ok(values)
}

fn decode_list(bytes: &[u8], mut pos: usize) -> Result<Vec<(usize, u64)>, DecodeError> {
    let mut entries = Vec::new();
    let mut next: usize = 0;
    while pos < bytes.len() {
        let gap = read_u64(bytes, &mut pos)?;
        let index = usize::try_from(gap)
            .ok()
            .and_then(|gap| next.checked_add(gap))
            .filter(|&index| index < usize::MAX)
            .ok_or(DecodeError::Invalid {
                reason: "stamp index overflows",
            })?;
        let value = read_u64(bytes, &mut pos)?;
        if value == 0 {
            return Err(DecodeError::Invalid {
                reason: "a stamp entry is zero",
            });
        }
        entries.push((index, value));
        next = index + 1;
    }
    Ok(entries)
}

fn decode_bitmap(bytes: &[u8], mut pos: usize) -> Result<Vec<(usize, u64)>, DecodeError> {
    let length_offset = pos;
    let claimed = read_u64(bytes, &mut pos)?;
    let remaining = bytes.len() - pos;
    let bitmap_bytes = usize::try_from(claimed)
        .ok()
        .filter(|&len| len <= remaining)
        .ok_or(DecodeError::LengthTooLarge {
            claimed,
            remaining,
            offset: length_offset,
        })?;
    let bitmap = &bytes[pos..pos + bitmap_bytes];
    pos += bitmap_bytes;
    if bitmap.last() == Some(&0) {
        return Err(DecodeError::Invalid {
            reason: "stamp bitmap ends with a zero byte",
        });
    }
    let count: usize = bitmap.iter().map(|byte| byte.count_ones() as usize).sum();
    // Each value takes at least one byte: check before allocating.
    if count > bytes.len() - pos {
        return Err(DecodeError::UnexpectedEnd {
            offset: bytes.len(),
        });
    }
    let mut entries = Vec::with_capacity(count);
    for (byte_index, &byte) in bitmap.iter().enumerate() {
        let mut bits = byte;
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let value = read_u64(bytes, &mut pos)?;
            if value == 0 {
                return Err(DecodeError::Invalid {
                    reason: "a stamp entry is zero",
                });
            }
            entries.push((byte_index * 8 + bit, value));
        }
    }
    if pos != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            count: bytes.len() - pos,
        });
    }
    Ok(entries)
}
