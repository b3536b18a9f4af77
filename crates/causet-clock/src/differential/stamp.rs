//! The stamp a [`DiffClock`](super::DiffClock) attaches to a message, and its three wire
//! encodings.

use super::SetBits;
use crate::DecodeError;
use crate::varint::{read_u64, write_u64};

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

    pub(crate) fn bits(self) -> u8 {
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

/// Bytes of `value` as a LEB128 varint (as `varint::len_u64`, without a division: this is
/// on every stamp's hot path, several times per entry).
#[inline]
pub(crate) fn varint_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    // ⌈bits / 7⌉ for bits in 1..=64.
    (bits * 9 + 64) >> 6
}

const KIND_SNAPSHOT: u8 = 0;
const KIND_START: u8 = 1;
pub(super) const KIND_DIFF: u8 = 2;

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

    /// An empty snapshot (a buffer to be overwritten).
    pub(crate) fn empty() -> Stamp {
        Stamp {
            kind: StampKind::Snapshot,
            entries: Entries::default(),
            sizes: None,
        }
    }

    /// The kind: snapshot, session start or differential.
    #[inline]
    pub fn kind(&self) -> StampKind {
        self.kind
    }

    /// The carried `(node index, value)` entries, by increasing index (values > 0).
    #[inline]
    pub fn entries(&self) -> EntryIter<'_> {
        self.entries.iter()
    }

    /// Whether the stamp carries the sender's whole clock (snapshot or session start).
    pub fn is_full(&self) -> bool {
        !matches!(self.kind, StampKind::Diff { .. })
    }

    /// Size in bytes of [`encode`](Self::encode)'s output (the smallest encoding).
    #[inline]
    pub fn encoded_len(&self) -> usize {
        self.header_len() + self.sizes().best().1
    }

    /// Size in bytes of [`encode_with`](Self::encode_with)`(encoding)`'s output.
    pub fn encoded_len_with(&self, encoding: Encoding) -> usize {
        self.header_len() + self.sizes().get(encoding)
    }

    /// Appends the smallest of the three encodings (dense on a tie, then list).
    #[inline]
    pub fn encode(&self, buf: &mut Vec<u8>) {
        let (encoding, payload) = self.sizes().best();
        self.write(encoding, payload, buf);
    }

    /// Appends `clock` as a [`Snapshot`](StampKind::Snapshot) stamp (its non-zero entries),
    /// byte for byte what [`encode`](Self::encode) writes for that stamp, without building
    /// it: what a sender of full stamps puts on every message. Returns the bytes written.
    ///
    /// ```
    /// use causet_clock::VectorClock;
    /// use causet_clock::differential::{Stamp, StampKind};
    ///
    /// let clock = VectorClock::from_entries(vec![3, 0, 1]);
    /// let mut bytes = Vec::new();
    /// assert_eq!(Stamp::encode_clock(&clock, &mut bytes), 4);
    /// let stamp = Stamp::decode(&bytes)?;
    /// assert_eq!(stamp.kind(), StampKind::Snapshot);
    /// assert_eq!(stamp.entries().collect::<Vec<_>>(), [(0, 3), (2, 1)]);
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn encode_clock(clock: &crate::VectorClock, buf: &mut Vec<u8>) -> usize {
        Self::encode_clock_sized(clock, buf).0
    }

    /// [`encode_clock`](Self::encode_clock), also returning the length of the clock's
    /// dense full stamp (what [`VectorClock::encoded_len`](crate::VectorClock::encoded_len)
    /// returns), from the same pass: `(bytes written, dense full length)`.
    #[inline]
    pub fn encode_clock_sized(clock: &crate::VectorClock, buf: &mut Vec<u8>) -> (usize, usize) {
        let values = clock.as_slice();
        let entries = values
            .iter()
            .enumerate()
            .filter(|&(_, &value)| value > 0)
            .map(|(index, &value)| (index, value));
        let sizes = PayloadSizes::of(entries.clone());
        let (encoding, payload) = sizes.best();
        let start = buf.len();
        // A clock stores no trailing zero: its length is the width.
        write_exact(
            StampKind::Snapshot,
            encoding,
            payload,
            entries,
            values.len(),
            buf,
        );
        (buf.len() - start, 1 + sizes.dense)
    }

    /// Appends the stamp in the given encoding (for tests and measurements; the receiver
    /// reads every encoding).
    pub fn encode_with(&self, encoding: Encoding, buf: &mut Vec<u8>) {
        let payload = self.sizes().get(encoding);
        self.write(encoding, payload, buf);
    }

    /// Decodes a whole buffer written by [`encode`](Self::encode) or
    /// [`encode_with`](Self::encode_with) into an owned stamp (see [`StampRef::parse`] to
    /// check and read one without allocating).
    pub fn decode(bytes: &[u8]) -> Result<Stamp, DecodeError> {
        Ok(StampRef::parse(bytes)?.to_stamp())
    }

    /// [`decode`](Self::decode) into this stamp, reusing its allocations. On error the
    /// stamp is left empty (a snapshot carrying nothing).
    pub fn decode_into(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        match StampRef::parse(bytes) {
            Ok(view) => {
                view.copy_into(self);
                Ok(())
            }
            Err(err) => {
                self.kind = StampKind::Snapshot;
                self.entries.pairs_mut();
                self.sizes = None;
                Err(err)
            }
        }
    }

    #[inline]
    fn sizes(&self) -> PayloadSizes {
        self.sizes
            .unwrap_or_else(|| PayloadSizes::of(self.entries.iter()))
    }

    #[inline]
    fn header_len(&self) -> usize {
        header_len(self.kind)
    }

    fn write(&self, encoding: Encoding, payload: usize, buf: &mut Vec<u8>) {
        let kind = match self.kind {
            StampKind::Snapshot => KIND_SNAPSHOT,
            StampKind::Start { .. } => KIND_START,
            StampKind::Diff { .. } => KIND_DIFF,
        };
        let entries = &self.entries;
        if !entries.dense {
            // The differential stamps' form: written into a zeroed span of the exact size.
            let pairs = entries.pairs.iter().copied();
            write_exact(self.kind, encoding, payload, pairs, entries.width(), buf);
            return;
        }
        buf.reserve(self.header_len() + payload);
        buf.push(encoding.bits() | kind << 2);
        match self.kind {
            StampKind::Snapshot => {}
            StampKind::Start { session } => write_u64(buf, session),
            StampKind::Diff { session, seq } => {
                write_u64(buf, session);
                write_u64(buf, seq);
            }
        }
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

/// Bytes of the header (tag, session, sequence number) of a stamp of `kind`.
#[inline]
pub(crate) fn header_len(kind: StampKind) -> usize {
    1 + match kind {
        StampKind::Snapshot => 0,
        StampKind::Start { session } => varint_len(session),
        StampKind::Diff { session, seq } => varint_len(session) + varint_len(seq),
    }
}

/// Appends a stamp of `kind` carrying `entries` (increasing indices, values > 0, the
/// highest index below `width`) in `encoding`, whose payload takes `payload` bytes: written
/// into a zeroed span of the exact size, without a capacity check per byte. The one writer
/// of every stamp whose entries are not a copied whole clock, so all agree byte for byte.
#[inline]
pub(crate) fn write_exact(
    kind: StampKind,
    encoding: Encoding,
    payload: usize,
    entries: impl Iterator<Item = (usize, u64)> + Clone,
    width: usize,
    buf: &mut Vec<u8>,
) {
    let kind_bits = match kind {
        StampKind::Snapshot => KIND_SNAPSHOT,
        StampKind::Start { .. } => KIND_START,
        StampKind::Diff { .. } => KIND_DIFF,
    };
    let len = header_len(kind) + payload;
    if len <= SMALL_STAMP {
        // Most stamps: built in a zeroed stack buffer, then copied in one piece.
        let mut small = [0u8; SMALL_STAMP];
        write_span(kind, kind_bits, encoding, entries, width, &mut small[..len]);
        buf.extend_from_slice(&small[..len]);
    } else {
        let start = buf.len();
        buf.resize(start + len, 0);
        write_span(kind, kind_bits, encoding, entries, width, &mut buf[start..]);
    }
}

/// Stamps up to this size are assembled on the stack.
const SMALL_STAMP: usize = 32;

/// [`write_exact`]'s body: fills `out`, zeroed and of the exact size.
#[inline(always)]
fn write_span(
    kind: StampKind,
    kind_bits: u8,
    encoding: Encoding,
    entries: impl Iterator<Item = (usize, u64)> + Clone,
    width: usize,
    out: &mut [u8],
) {
    out[0] = encoding.bits() | kind_bits << 2;
    let mut pos = 1;
    match kind {
        StampKind::Snapshot => {}
        StampKind::Start { session } => put_varint(out, &mut pos, session),
        StampKind::Diff { session, seq } => {
            put_varint(out, &mut pos, session);
            put_varint(out, &mut pos, seq);
        }
    }
    let mut next = 0;
    match encoding {
        Encoding::Dense => {
            for (index, value) in entries {
                // The indices skipped are zeros, already in place.
                pos += index - next;
                put_varint(out, &mut pos, value);
                next = index + 1;
            }
        }
        Encoding::List => {
            for (index, value) in entries {
                put_varint(out, &mut pos, (index - next) as u64);
                put_varint(out, &mut pos, value);
                next = index + 1;
            }
        }
        Encoding::Bitmap => {
            let bitmap_bytes = width.div_ceil(8);
            put_varint(out, &mut pos, bitmap_bytes as u64);
            for (index, _) in entries.clone() {
                if let Some(byte) = out.get_mut(pos + index / 8) {
                    *byte |= 1 << (index % 8);
                }
            }
            pos += bitmap_bytes;
            for (_, value) in entries {
                put_varint(out, &mut pos, value);
            }
        }
    }
    debug_assert_eq!(pos, out.len());
}

/// Writes `value` as a varint at `out[*pos..]`, which has room: the size was computed.
#[inline]
fn put_varint(out: &mut [u8], pos: &mut usize, value: u64) {
    let written = crate::varint::put_u64(out, pos, value);
    debug_assert!(written.is_some(), "the stamp's size was computed short");
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
            values += varint_len(value);
            gaps += varint_len((index - next) as u64);
            next = index + 1;
        }
        PayloadSizes::from_parts(count, next, values, gaps)
    }

    /// From the number of entries, the highest index + 1 (`width`), the summed value sizes
    /// and the summed list gap sizes.
    #[inline]
    pub(crate) fn from_parts(count: usize, width: usize, values: usize, gaps: usize) -> Self {
        let bitmap_bytes = width.div_ceil(8);
        PayloadSizes {
            // Indices not carried cost one zero byte each.
            dense: values + (width - count),
            list: values + gaps,
            bitmap: varint_len(bitmap_bytes as u64) + bitmap_bytes + values,
        }
    }

    pub(crate) fn get(self, encoding: Encoding) -> usize {
        match encoding {
            Encoding::Dense => self.dense,
            Encoding::List => self.list,
            Encoding::Bitmap => self.bitmap,
        }
    }

    #[inline]
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

/// A checked, borrowed view of an encoded [`Stamp`]: [`parse`](Self::parse) validates the
/// whole buffer exactly as [`Stamp::decode`] does (same errors), without allocating, and
/// [`entries`](Self::entries) then reads the entries straight from the bytes. What a
/// receiver uses on its hot path ([`DiffClock::merge_ref`](super::DiffClock::merge_ref)).
///
/// ```
/// use causet_clock::differential::{Stamp, StampKind, StampRef};
///
/// let stamp = Stamp::new(StampKind::Diff { session: 0, seq: 3 }, vec![(1, 7), (40, 2)])?;
/// let mut bytes = Vec::new();
/// stamp.encode(&mut bytes);
/// let view = StampRef::parse(&bytes)?;
/// assert_eq!(view.kind(), StampKind::Diff { session: 0, seq: 3 });
/// assert_eq!(view.entries().collect::<Vec<_>>(), [(1, 7), (40, 2)]);
/// assert_eq!(view.to_stamp(), stamp);
/// assert!(StampRef::parse(&bytes[..4]).is_err());
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StampRef<'a> {
    kind: StampKind,
    form: Form<'a>,
    /// Highest carried index + 1 (0 when empty).
    width: usize,
    /// Number of carried entries.
    count: usize,
}

/// The payload of a [`StampRef`], already validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form<'a> {
    /// One varint per index from 0, the last non-zero.
    Dense(&'a [u8]),
    /// (gap, value) pairs.
    List(&'a [u8]),
    /// The bitmap, then the values in index order.
    Bitmap { bitmap: &'a [u8], values: &'a [u8] },
}

impl<'a> StampRef<'a> {
    /// Checks a whole buffer written by [`Stamp::encode`] or [`Stamp::encode_with`];
    /// returns the same errors as [`Stamp::decode`]. Never panics, never allocates.
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<StampRef<'a>, DecodeError> {
        Ok(Self::parse_inner(bytes, usize::MAX)?.0)
    }

    /// [`parse`](Self::parse), also returning the carried value of node `index` (0 when
    /// absent, as [`get`](Self::get)), read during the check where the encoding allows:
    /// a receiver's own-entry check without a second walk over the bytes.
    ///
    /// ```
    /// use causet_clock::VectorClock;
    /// use causet_clock::differential::{Stamp, StampRef};
    ///
    /// let mut bytes = Vec::new();
    /// Stamp::encode_clock(&VectorClock::from_entries(vec![3, 0, 1]), &mut bytes);
    /// let (stamp, value) = StampRef::parse_with(&bytes, 2)?;
    /// assert_eq!((stamp.width(), value), (3, 1));
    /// assert_eq!(StampRef::parse_with(&bytes, 7)?.1, 0);
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn parse_with(bytes: &'a [u8], index: usize) -> Result<(StampRef<'a>, u64), DecodeError> {
        let (stamp, found) = Self::parse_inner(bytes, index)?;
        let value = match found {
            Some(value) => value,
            None => stamp.get(index),
        };
        Ok((stamp, value))
    }

    /// The parse, and node `want`'s value when the check met it (`Some(0)`: absent), or
    /// `None` when it must be looked up (bitmaps).
    #[inline]
    fn parse_inner(
        bytes: &'a [u8],
        want: usize,
    ) -> Result<(StampRef<'a>, Option<u64>), DecodeError> {
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
                session: read_varint(bytes, &mut pos)?,
            },
            KIND_DIFF => {
                let session = read_varint(bytes, &mut pos)?;
                let seq = read_varint(bytes, &mut pos)?;
                StampKind::Diff { session, seq }
            }
            _ => return Err(unknown),
        };
        let ((form, width, count), found) = match tag & 0b11 {
            0 => {
                let (checked, found) = check_dense(bytes, pos, want)?;
                (checked, Some(found))
            }
            1 => {
                let (checked, found) = check_list(bytes, pos, want)?;
                (checked, Some(found))
            }
            2 => (check_bitmap(bytes, pos)?, None),
            _ => return Err(unknown),
        };
        Ok((
            StampRef {
                kind,
                form,
                width,
                count,
            },
            found,
        ))
    }

    /// The kind: snapshot, session start or differential.
    #[inline]
    pub fn kind(&self) -> StampKind {
        self.kind
    }

    /// The encoding the sender chose.
    pub fn encoding(&self) -> Encoding {
        match self.form {
            Form::Dense(_) => Encoding::Dense,
            Form::List(_) => Encoding::List,
            Form::Bitmap { .. } => Encoding::Bitmap,
        }
    }

    /// The highest carried node index + 1 (0 when nothing is carried).
    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of carried entries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the stamp carries no entry.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The carried `(node index, value)` entries, by increasing index (values > 0).
    #[inline]
    pub fn entries(&self) -> RefEntries<'a> {
        RefEntries {
            inner: match self.form {
                Form::Dense(bytes) => RefInner::Dense {
                    bytes,
                    pos: 0,
                    index: 0,
                },
                Form::List(bytes) => RefInner::List {
                    bytes,
                    pos: 0,
                    next: 0,
                },
                Form::Bitmap { bitmap, values } => RefInner::Bitmap {
                    bitmap,
                    byte: 0,
                    bits: bitmap.first().copied().unwrap_or(0),
                    values,
                    pos: 0,
                },
            },
        }
    }

    /// The carried value of node `index` (0 when not carried), read from the bytes
    /// without walking past it.
    ///
    /// ```
    /// use causet_clock::differential::{Encoding, Stamp, StampKind, StampRef};
    ///
    /// let stamp = Stamp::new(StampKind::Snapshot, vec![(1, 7), (9, 300)])?;
    /// for encoding in Encoding::ALL {
    ///     let mut bytes = Vec::new();
    ///     stamp.encode_with(encoding, &mut bytes);
    ///     let view = StampRef::parse(&bytes)?;
    ///     assert_eq!((view.get(0), view.get(1), view.get(9), view.get(10)), (0, 7, 300, 0));
    /// }
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn get(&self, index: usize) -> u64 {
        if index >= self.width {
            return 0;
        }
        match self.form {
            Form::Dense(bytes) => {
                let mut pos = 0;
                for _ in 0..index {
                    skip_checked(bytes, &mut pos);
                }
                read_checked(bytes, &mut pos)
            }
            Form::List(_) => self
                .entries()
                .find(|&(at, _)| at >= index)
                .filter(|&(at, _)| at == index)
                .map_or(0, |(_, value)| value),
            Form::Bitmap { bitmap, values } => {
                let (byte, bit) = (index / 8, index % 8);
                let Some(&bits) = bitmap.get(byte) else {
                    return 0;
                };
                if bits & (1 << bit) == 0 {
                    return 0;
                }
                let before = bitmap[..byte]
                    .iter()
                    .map(|byte| byte.count_ones() as usize)
                    .sum::<usize>()
                    + (bits & ((1u8 << bit) - 1)).count_ones() as usize;
                let mut pos = 0;
                for _ in 0..before {
                    skip_checked(values, &mut pos);
                }
                read_checked(values, &mut pos)
            }
        }
    }

    /// Merges the carried entries into `clock` (element-wise max), read straight from the
    /// bytes: what a receiver of full stamps, which keeps no channel state, does with one.
    /// Sessions and sequence numbers are not checked (see
    /// [`DiffClock::merge_ref`](super::DiffClock::merge_ref) for that).
    ///
    /// ```
    /// use causet_clock::VectorClock;
    /// use causet_clock::differential::{Stamp, StampRef};
    ///
    /// let mut bytes = Vec::new();
    /// Stamp::encode_clock(&VectorClock::from_entries(vec![4, 0, 1]), &mut bytes);
    /// let mut clock = VectorClock::from_entries(vec![2, 3]);
    /// StampRef::parse(&bytes)?.merge_into(&mut clock);
    /// assert_eq!(clock, VectorClock::from_entries(vec![4, 3, 1]));
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn merge_into(&self, clock: &mut crate::VectorClock) {
        self.for_each_entry(|index, value| {
            if value > clock.get(index) {
                clock.set(index, value);
            }
        });
    }

    /// Calls `f(index, value)` for every carried entry in index order, straight from the
    /// bytes (checked by [`StampRef::parse`]); a dense stamp's zeros included.
    #[inline]
    pub(crate) fn for_each_entry(&self, mut f: impl FnMut(usize, u64)) {
        match self.form {
            Form::Dense(bytes) => {
                let (mut pos, mut index) = (0, 0);
                while pos < bytes.len() {
                    f(index, read_checked(bytes, &mut pos));
                    index += 1;
                }
            }
            Form::List(bytes) => {
                let (mut pos, mut next) = (0, 0usize);
                while pos < bytes.len() {
                    let index = next.wrapping_add(read_checked(bytes, &mut pos) as usize);
                    f(index, read_checked(bytes, &mut pos));
                    next = index.wrapping_add(1);
                }
            }
            Form::Bitmap { bitmap, values } => {
                let mut pos = 0;
                for (byte, &bits) in bitmap.iter().enumerate() {
                    let mut bits = bits;
                    while bits != 0 {
                        let index = byte * 8 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        f(index, read_checked(values, &mut pos));
                    }
                }
            }
        }
    }

    /// Whether the stamp carries a whole clock (one varint per index from 0).
    #[inline]
    pub(crate) fn is_dense(&self) -> bool {
        matches!(self.form, Form::Dense(_))
    }

    /// An owned copy.
    pub fn to_stamp(&self) -> Stamp {
        let mut stamp = Stamp {
            kind: self.kind,
            entries: Entries::default(),
            sizes: None,
        };
        self.copy_into(&mut stamp);
        stamp
    }

    /// Overwrites `stamp` with this one, reusing its buffers.
    fn copy_into(&self, stamp: &mut Stamp) {
        stamp.kind = self.kind;
        stamp.sizes = None;
        match self.form {
            Form::Dense(bytes) => {
                stamp.entries.dense = true;
                let values = &mut stamp.entries.values;
                values.clear();
                values.reserve(self.width);
                let mut pos = 0;
                while pos < bytes.len() {
                    values.push(read_checked(bytes, &mut pos));
                }
            }
            _ => {
                let pairs = stamp.entries.pairs_mut();
                pairs.reserve(self.count);
                pairs.extend(self.entries());
            }
        }
    }
}

/// Stamps whose entries all lie below this index can be read into a [`SmallStamp`].
pub const SMALL_WIDTH: usize = 16;

/// A checked stamp of a small clock (no entry at index [`SMALL_WIDTH`] or beyond), read
/// into a fixed array in one pass over its bytes: what a receiver of a small cluster checks
/// and merges from, without a second read of the bytes.
///
/// [`parse`](Self::parse) takes only the common stamps (varints of at most four bytes,
/// entries below index 16, a bitmap of at most two bytes) and returns `None` for anything
/// else, valid or not: the caller then falls back to [`StampRef::parse`], which reads every
/// valid stamp and reports the precise error of an invalid one. So every stamp it accepts
/// is one `StampRef::parse` accepts with the same kind and entries (the property tests and
/// the `stamp` fuzz target check this).
///
/// ```
/// use causet_clock::differential::{SmallStamp, Stamp, StampKind, StampRef};
///
/// let stamp = Stamp::new(StampKind::Diff { session: 0, seq: 3 }, vec![(1, 7), (12, 300)])?;
/// let mut bytes = Vec::new();
/// stamp.encode(&mut bytes);
/// let small = SmallStamp::parse(&bytes).ok_or("a small stamp")?;
/// assert_eq!(small.kind(), StampKind::Diff { session: 0, seq: 3 });
/// assert_eq!((small.get(1), small.get(2), small.get(12), small.width()), (7, 0, 300, 13));
/// assert_eq!(small.entries().collect::<Vec<_>>(), StampRef::parse(&bytes)?.entries().collect::<Vec<_>>());
/// // An entry at index 40 is not small: the general parser reads it.
/// bytes.clear();
/// Stamp::new(StampKind::Snapshot, vec![(40, 1)])?.encode(&mut bytes);
/// assert!(SmallStamp::parse(&bytes).is_none());
/// assert!(StampRef::parse(&bytes).is_ok());
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmallStamp {
    /// The kind's tag bits (`KIND_SNAPSHOT`, `KIND_START` or `KIND_DIFF`).
    kind: u8,
    /// Session and sequence number (0 where the kind has none).
    session: u32,
    seq: u32,
    /// Bit `i` set: entry `i` is carried (its value is non-zero).
    mask: u32,
    /// The carried values by index, 0 where not carried. Varints of at most four bytes
    /// hold 28 bits: the stamp is as small as a [`StampRef`], cheap to move.
    values: [u32; SMALL_WIDTH],
}

impl SmallStamp {
    /// Reads `bytes` if they are a valid stamp whose entries all lie below index 16 and
    /// whose varints take at most four bytes; `None` otherwise (see the type's docs: use
    /// [`StampRef::parse`] then). Never panics.
    #[inline]
    pub fn parse(bytes: &[u8]) -> Option<SmallStamp> {
        let mut stamp = SmallStamp::EMPTY;
        stamp.read(bytes)?;
        Some(stamp)
    }

    /// [`parse`](Self::parse) into `self`, for a stamp that already has its place (a
    /// received message's): `true` and `self` is the stamp, or `false` and `self` holds
    /// unspecified values (read `bytes` with [`StampRef::parse`] then). Never panics.
    ///
    /// ```
    /// use causet_clock::differential::{SmallStamp, Stamp, StampKind};
    ///
    /// let mut bytes = Vec::new();
    /// Stamp::new(StampKind::Snapshot, vec![(0, 2), (3, 9)])?.encode(&mut bytes);
    /// let mut small = SmallStamp::EMPTY;
    /// assert!(small.parse_into(&bytes));
    /// assert_eq!(Some(small), SmallStamp::parse(&bytes));
    /// // Not small (an entry at index 40), or not a stamp: `false`.
    /// bytes.clear();
    /// Stamp::new(StampKind::Snapshot, vec![(40, 1)])?.encode(&mut bytes);
    /// assert!(!small.parse_into(&bytes));
    /// assert!(!small.parse_into(&[]));
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn parse_into(&mut self, bytes: &[u8]) -> bool {
        self.read(bytes).is_some()
    }

    /// A snapshot carrying no entry (the value [`parse_into`](Self::parse_into) overwrites).
    pub const EMPTY: SmallStamp = SmallStamp {
        kind: KIND_SNAPSHOT,
        session: 0,
        seq: 0,
        mask: 0,
        values: [0; SMALL_WIDTH],
    };

    /// The body of [`parse_into`](Self::parse_into).
    #[inline(always)]
    fn read(&mut self, bytes: &[u8]) -> Option<()> {
        let tag = *bytes.first()?;
        if tag & 0xf0 != 0 {
            return None;
        }
        let mut pos = 1;
        let kind = (tag >> 2) & 0b11;
        let (session, seq) = match kind {
            KIND_SNAPSHOT => (0, 0),
            KIND_START => (small_varint(bytes, &mut pos)?, 0),
            KIND_DIFF => {
                let session = small_varint(bytes, &mut pos)?;
                (session, small_varint(bytes, &mut pos)?)
            }
            _ => return None,
        };
        self.values = [0u32; SMALL_WIDTH];
        let values = &mut self.values;
        let mask = walk_small_payload(tag & 0b11, bytes, pos, |index, value| {
            *values.get_mut(index)? = value;
            Some(())
        })?;
        self.kind = kind;
        self.session = session;
        self.seq = seq;
        self.mask = mask;
        Some(())
    }

    /// The kind: snapshot, session start or differential.
    #[inline]
    pub fn kind(&self) -> StampKind {
        let session = u64::from(self.session);
        match self.kind {
            KIND_START => StampKind::Start { session },
            KIND_DIFF => StampKind::Diff {
                session,
                seq: u64::from(self.seq),
            },
            _ => StampKind::Snapshot,
        }
    }

    /// Highest carried index + 1 (0 when nothing is carried).
    #[inline]
    pub fn width(&self) -> usize {
        (u32::BITS - self.mask.leading_zeros()) as usize
    }

    /// Number of carried entries.
    pub fn len(&self) -> usize {
        self.mask.count_ones() as usize
    }

    /// Whether the stamp carries no entry.
    pub fn is_empty(&self) -> bool {
        self.mask == 0
    }

    /// The carried entries as a bit set: bit `i` for node `i`.
    #[inline]
    pub fn mask(&self) -> u32 {
        self.mask
    }

    /// The carried value of node `index` (0 when not carried).
    #[inline]
    pub fn get(&self, index: usize) -> u64 {
        self.values.get(index).map_or(0, |&value| u64::from(value))
    }

    /// The carried values by index `0..16`, 0 where not carried (each below 2^28).
    #[inline]
    pub fn values(&self) -> &[u32; SMALL_WIDTH] {
        &self.values
    }

    /// The carried `(node index, value)` entries, by increasing index (values > 0).
    pub fn entries(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        let mut bits = self.mask;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let index = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some((index, u64::from(self.values[index])))
        })
    }

    /// Merges the carried entries into `clock` (element-wise max), as
    /// [`StampRef::merge_into`]: sessions and sequence numbers are not checked.
    #[inline]
    pub fn merge_into(&self, clock: &mut crate::VectorClock) {
        for (index, value) in self.entries() {
            if value > clock.get(index) {
                clock.set(index, value);
            }
        }
    }
}

/// [`read_varint`] of at most four bytes (28 bits), `None` for anything else (a longer,
/// truncated or missing varint): the same value and length wherever it answers.
#[inline(always)]
pub(super) fn small_varint(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let rest = bytes.get(*pos..)?;
    let (value, len) = match *rest.first()? {
        byte if byte < 0x80 => (u64::from(byte), 1),
        _ => short_varint(rest)?,
    };
    *pos += len;
    // (Always fits: at most 28 bits.)
    u32::try_from(value).ok()
}

/// A varint of at most four bytes at `bytes[*pos..]`, as [`small_varint`] (the same value
/// and length where it answers, `None` for anything else), with the one- and two-byte
/// cases inline.
#[inline(always)]
pub(super) fn read_small(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let first = *bytes.get(*pos)?;
    if first < 0x80 {
        *pos += 1;
        return Some(u32::from(first));
    }
    match bytes.get(*pos + 1) {
        Some(&second) if second < 0x80 => {
            *pos += 2;
            Some(u32::from(first & 0x7f) | u32::from(second) << 7)
        }
        _ => small_varint(bytes, pos),
    }
}

/// Reads the payload of a small stamp, `bytes[pos..]`, in `encoding` (0 dense, 1 list,
/// 2 bitmap; 3 is refused), calling `carry(index, value)` for each non-zero entry in index
/// order: the mask of the carried indices if the payload is valid with every index below
/// 16 and every varint of at most four bytes, `None` otherwise or as soon as `carry` says
/// `None`. The one reader of [`SmallStamp`] and of the fused receive (both compared with
/// the general parser by the property tests).
#[inline(always)]
pub(super) fn walk_small_payload(
    encoding: u8,
    bytes: &[u8],
    mut pos: usize,
    mut carry: impl FnMut(usize, u32) -> Option<()>,
) -> Option<u32> {
    let mut mask = 0u32;
    match encoding {
        0 => {
            // Dense: one value per index from 0, the last non-zero (zeros allowed before).
            let (mut index, mut last) = (0usize, 0u32);
            while pos < bytes.len() {
                let value = read_small(bytes, &mut pos)?;
                if index >= SMALL_WIDTH {
                    return None;
                }
                if value > 0 {
                    carry(index, value)?;
                    mask |= 1 << index;
                }
                last = value;
                index += 1;
            }
            if index > 0 && last == 0 {
                return None;
            }
        }
        1 => {
            // List: (gap, value) pairs, every value non-zero.
            let mut next = 0usize;
            while pos < bytes.len() {
                let gap = read_small(bytes, &mut pos)?;
                let value = read_small(bytes, &mut pos)?;
                // (No overflow: gap < 2^28, next <= 16.)
                let index = next + gap as usize;
                if index >= SMALL_WIDTH || value == 0 {
                    return None;
                }
                carry(index, value)?;
                mask |= 1 << index;
                next = index + 1;
            }
        }
        2 => {
            // Bitmap: its byte count (one or two bytes for 16 entries), the bitmap (last
            // byte non-zero), then the values in index order, nothing after.
            let (&length, rest) = bytes.get(pos..)?.split_first()?;
            let bitmap = match (length, rest) {
                (1, [low, ..]) if *low != 0 => u32::from(*low),
                (2, [low, high, ..]) if *high != 0 => u32::from(*low) | u32::from(*high) << 8,
                _ => return None,
            };
            pos += 1 + usize::from(length);
            for index in SetBits(bitmap) {
                let value = read_small(bytes, &mut pos)?;
                if value == 0 {
                    return None;
                }
                carry(index, value)?;
            }
            if pos != bytes.len() {
                return None;
            }
            mask = bitmap;
        }
        _ => return None,
    }
    Some(mask)
}

/// The entries of a [`StampRef`], read from its bytes.
#[derive(Debug, Clone)]
pub struct RefEntries<'a> {
    inner: RefInner<'a>,
}

#[derive(Debug, Clone)]
enum RefInner<'a> {
    Dense {
        bytes: &'a [u8],
        pos: usize,
        index: usize,
    },
    List {
        bytes: &'a [u8],
        pos: usize,
        next: usize,
    },
    Bitmap {
        bitmap: &'a [u8],
        byte: usize,
        bits: u8,
        values: &'a [u8],
        pos: usize,
    },
}

impl Iterator for RefEntries<'_> {
    type Item = (usize, u64);

    #[inline]
    fn next(&mut self) -> Option<(usize, u64)> {
        match &mut self.inner {
            RefInner::Dense { bytes, pos, index } => {
                while *pos < bytes.len() {
                    let value = read_checked(bytes, pos);
                    let at = *index;
                    *index += 1;
                    if value > 0 {
                        return Some((at, value));
                    }
                }
                None
            }
            RefInner::List { bytes, pos, next } => {
                if *pos >= bytes.len() {
                    return None;
                }
                let gap = read_checked(bytes, pos) as usize;
                let value = read_checked(bytes, pos);
                let index = next.wrapping_add(gap);
                *next = index.wrapping_add(1);
                Some((index, value))
            }
            RefInner::Bitmap {
                bitmap,
                byte,
                bits,
                values,
                pos,
            } => {
                while *bits == 0 {
                    *byte += 1;
                    *bits = *bitmap.get(*byte)?;
                }
                let bit = bits.trailing_zeros() as usize;
                *bits &= *bits - 1;
                Some((*byte * 8 + bit, read_checked(values, pos)))
            }
        }
    }
}

/// Reads a varint that [`StampRef::parse`] already checked (so never truncated or too
/// long; should the bytes be wrong anyway, it stops at the end and never panics).
#[inline]
pub(crate) fn read_checked(bytes: &[u8], pos: &mut usize) -> u64 {
    let Some(&first) = bytes.get(*pos) else {
        return 0;
    };
    if first < 0x80 {
        *pos += 1;
        return u64::from(first);
    }
    if let Some((value, len)) = short_varint(&bytes[*pos..]) {
        *pos += len;
        return value;
    }
    *pos += 1;
    let mut value = u64::from(first & 0x7f);
    let mut shift = 7u32;
    while let Some(&byte) = bytes.get(*pos) {
        *pos += 1;
        value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    value
}

/// Skips a varint that [`StampRef::parse`] already checked.
#[inline]
fn skip_checked(bytes: &[u8], pos: &mut usize) {
    while let Some(&byte) = bytes.get(*pos) {
        *pos += 1;
        if byte < 0x80 {
            break;
        }
    }
}

/// [`read_u64`] with fast paths for varints of up to four bytes (values below 2^28).
#[inline]
fn read_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let at = *pos;
    match bytes.get(at) {
        Some(&byte) if byte < 0x80 => {
            *pos += 1;
            return Ok(u64::from(byte));
        }
        Some(_) => {}
        None => return read_u64(bytes, pos),
    }
    match short_varint(bytes.get(at..).unwrap_or_default()) {
        Some((value, len)) => {
            *pos = at + len;
            Ok(value)
        }
        None => read_u64(bytes, pos),
    }
}

/// A varint of two to four bytes at the start of `rest` (at most 28 bits: no overflow;
/// all its bytes present: no truncation) and its length, or `None` for any other.
#[inline(always)]
fn short_varint(rest: &[u8]) -> Option<(u64, usize)> {
    let low = |byte: u8| u64::from(byte & 0x7f);
    match *rest {
        [a, b, ..] if a >= 0x80 && b < 0x80 => Some((low(a) | low(b) << 7, 2)),
        [a, b, c, ..] if a >= 0x80 && c < 0x80 => Some((low(a) | low(b) << 7 | low(c) << 14, 3)),
        [a, b, c, d, ..] if a >= 0x80 && d < 0x80 => {
            Some((low(a) | low(b) << 7 | low(c) << 14 | low(d) << 21, 4))
        }
        _ => None,
    }
}

/// What a payload check returns: `(form, width, count)`.
type Checked<'a> = (Form<'a>, usize, usize);

/// Checks a dense payload: `((form, width, count), value of node want or 0)`.
#[inline]
fn check_dense(
    bytes: &[u8],
    mut pos: usize,
    want: usize,
) -> Result<(Checked<'_>, u64), DecodeError> {
    let start = pos;
    let (mut width, mut count, mut last, mut found) = (0, 0, None, 0);
    while pos < bytes.len() {
        let value = read_varint(bytes, &mut pos)?;
        if width == want {
            found = value;
        }
        width += 1;
        count += usize::from(value > 0);
        last = Some(value);
    }
    if last == Some(0) {
        return Err(DecodeError::Invalid {
            reason: "dense stamp ends with a zero entry",
        });
    }
    Ok(((Form::Dense(&bytes[start..]), width, count), found))
}

/// Checks a list payload: `((form, width, count), value of node want or 0)`.
#[inline]
fn check_list(
    bytes: &[u8],
    mut pos: usize,
    want: usize,
) -> Result<(Checked<'_>, u64), DecodeError> {
    let start = pos;
    let (mut next, mut count, mut found): (usize, usize, u64) = (0, 0, 0);
    while pos < bytes.len() {
        let gap = read_varint(bytes, &mut pos)?;
        let index = usize::try_from(gap)
            .ok()
            .and_then(|gap| next.checked_add(gap))
            .filter(|&index| index < usize::MAX)
            .ok_or(DecodeError::Invalid {
                reason: "stamp index overflows",
            })?;
        let value = read_varint(bytes, &mut pos)?;
        if value == 0 {
            return Err(DecodeError::Invalid {
                reason: "a stamp entry is zero",
            });
        }
        if index == want {
            found = value;
        }
        count += 1;
        next = index + 1;
    }
    Ok(((Form::List(&bytes[start..]), next, count), found))
}

/// Checks a bitmap payload: `(form, width, count)`.
#[inline]
fn check_bitmap(bytes: &[u8], mut pos: usize) -> Result<(Form<'_>, usize, usize), DecodeError> {
    let length_offset = pos;
    let claimed = read_varint(bytes, &mut pos)?;
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
    let Some(&last) = bitmap.last() else {
        // No bitmap: no entries, and nothing may follow.
        if pos != bytes.len() {
            return Err(DecodeError::TrailingBytes {
                count: bytes.len() - pos,
            });
        }
        return Ok((
            Form::Bitmap {
                bitmap,
                values: &bytes[pos..],
            },
            0,
            0,
        ));
    };
    if last == 0 {
        return Err(DecodeError::Invalid {
            reason: "stamp bitmap ends with a zero byte",
        });
    }
    let count: usize = bitmap.iter().map(|byte| byte.count_ones() as usize).sum();
    // Each value takes at least one byte.
    if count > bytes.len() - pos {
        return Err(DecodeError::UnexpectedEnd {
            offset: bytes.len(),
        });
    }
    let values_start = pos;
    for _ in 0..count {
        if read_varint(bytes, &mut pos)? == 0 {
            return Err(DecodeError::Invalid {
                reason: "a stamp entry is zero",
            });
        }
    }
    if pos != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            count: bytes.len() - pos,
        });
    }
    let width = (bitmap_bytes - 1) * 8 + 8 - last.leading_zeros() as usize;
    Ok((
        Form::Bitmap {
            bitmap,
            values: &bytes[values_start..],
        },
        width,
        count,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn varint_len_agrees_with_the_varint_module() {
        for bits in 0..64 {
            for value in [1u64 << bits, (1u64 << bits) - 1, (1u64 << bits) | 1] {
                assert_eq!(
                    super::varint_len(value),
                    crate::varint::len_u64(value),
                    "{value}"
                );
            }
        }
        assert_eq!(super::varint_len(u64::MAX), 10);
        assert_eq!(super::varint_len(0), 1);
    }

    /// The fast varint readers against the plain one, on every prefix of valid, truncated,
    /// non-minimal and overlong encodings, at several offsets.
    #[test]
    fn fast_varint_readers_agree_with_read_u64() {
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for bits in 0..64 {
            for value in [1u64 << bits, (1u64 << bits) - 1, (1u64 << bits) | 1] {
                let mut buf = Vec::new();
                crate::varint::write_u64(&mut buf, value);
                inputs.push(buf);
            }
        }
        inputs.extend([
            vec![0x80, 0x00],
            vec![0xff, 0x80, 0x80, 0x00],
            vec![0xff; 11],
        ]);
        for input in inputs {
            for cut in 0..=input.len() {
                for offset in 0..3 {
                    let mut bytes = vec![0x85; offset];
                    bytes.extend_from_slice(&input[..cut]);
                    bytes.extend_from_slice(&[0x01, 0x02][..offset.min(2)]);
                    let (mut expected_pos, mut pos) = (offset, offset);
                    let expected = crate::varint::read_u64(&bytes, &mut expected_pos);
                    assert_eq!(super::read_varint(&bytes, &mut pos), expected, "{bytes:?}");
                    if expected.is_ok() {
                        assert_eq!(pos, expected_pos, "{bytes:?}");
                        let mut pos = offset;
                        assert_eq!(Ok(super::read_checked(&bytes, &mut pos)), expected);
                        assert_eq!(pos, expected_pos, "{bytes:?}");
                    }
                }
            }
        }
    }
}
