//! The fused paths of a small clock's steady state: a channel that has started, and a
//! [`Diff`](super::StampKind::Diff) the stamp the general code picks.
//!
//! The general code sizes a stamp through [`RoughSize`](super::RoughSize) and
//! [`PayloadSizes`](super::stamp::PayloadSizes), writes it through a zeroed stack buffer,
//! and reads a received one into a [`SmallStamp`](super::SmallStamp) before checking its
//! session and merging it. For clocks of up to 16 nodes the common stamp is a few bytes:
//! here each direction is one straight pass that decides exactly what the general code
//! decides and answers `None` / `false`, having changed nothing, in every other case (a
//! first stamp, a Start or Snapshot choice, long stamps, refusals, malformed bytes), which
//! the caller then hands to the general code (which produces the stamp, the refusal or
//! the error). The property tests compare both paths byte for byte and state for state.

use super::stamp::{
    Encoding, KIND_DIFF, PayloadSizes, SMALL_WIDTH, read_small, varint_len, walk_small_payload,
};
use super::{DiffClock, EntryMeta, Incoming, SetBits};

/// The fast send writes stamps of at most this many bytes (a Diff of a few entries).
const FAST_STAMP: usize = 32;

impl DiffClock {
    /// The steady-state stamp for `peer` (without ticking), appended to `buf`: `Some`
    /// (bytes written) when the clock has at most 16 nodes, the channel to `peer` has
    /// started and the stamp [`encode_stamp`](Self::encode_stamp) would write is a
    /// [`Diff`](super::StampKind::Diff) of at most 32 bytes that is no larger than the
    /// whole clock's values; then the bytes and the channel state are exactly
    /// `encode_stamp`'s. `None` otherwise, with `buf` and the clock unchanged: call
    /// `encode_stamp` (which calls this first).
    ///
    /// ```
    /// use causet_clock::VectorClock;
    /// use causet_clock::differential::{DiffClock, Stamp, StampKind};
    ///
    /// let mut alice = DiffClock::restart(0, 3, &VectorClock::from_entries(vec![1, 300, 300]), 0);
    /// let mut buf = Vec::new();
    /// alice.tick();
    /// assert_eq!(alice.stamp_small(1, &mut buf), None); // the first stamp: a Start
    /// alice.encode_stamp(1, &mut buf);
    /// buf.clear();
    /// alice.tick();
    /// assert_eq!(alice.stamp_small(1, &mut buf), Some(4));
    /// let stamp = Stamp::decode(&buf)?;
    /// assert_eq!(stamp.kind(), StampKind::Diff { session: 0, seq: 1 });
    /// assert_eq!(stamp.entries().collect::<Vec<_>>(), [(0, 3)]);
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    // Hidden: the fast path `encode_stamp` takes first, public for its property test.
    #[doc(hidden)]
    #[inline]
    pub fn stamp_small(&mut self, peer: usize, buf: &mut Vec<u8>) -> Option<usize> {
        if self.n > self.fast_width {
            return None;
        }
        let slot = *self.slots.get(peer)? as usize;
        let channel = self.channels.get(slot)?.outgoing;
        if !channel.started {
            return None;
        }
        // The entries changed since the chain's last stamp: the channel's mask and the
        // changes not folded into it yet, less the peer's own entry and those it holds.
        let masks = *self.dirty.get(slot)?;
        let changed = (masks as u32 | self.pending) & !(1u32 << (peer & 31));
        // (n <= 16: a peer's source id is its index.)
        let peer_source = peer as u32;
        let (mut carried, mut values, mut count) = (0u32, 0usize, 0usize);
        for index in SetBits(changed) {
            let Some(meta) = self.meta.get(index) else {
                continue;
            };
            if !meta.known_to(peer_source) {
                carried |= 1 << index;
                values += meta.len as usize;
                count += 1;
            }
        }
        debug_assert_eq!(carried, self.scan_mask(peer, channel.last_sent));
        // The general code's choice of payload (every list gap is below 16: one byte).
        let width = (u32::BITS - carried.leading_zeros()) as usize;
        let bitmap_bytes = width.div_ceil(8);
        let (encoding, payload) = PayloadSizes::from_parts(count, width, values, count).best();
        // (Ids below 128, the common case, take one byte each.)
        let header = if channel.session | channel.next_seq < 0x80 {
            3
        } else {
            1 + varint_len(channel.session) + varint_len(channel.next_seq)
        };
        let len = header + payload;
        // `encode_small`'s choice of a Diff: it fits in the bound (the dense encoding plus
        // one byte), and either it is no larger than the whole clock's values, so no larger
        // than any whole-clock stamp, or the chain's last stamp was a Diff (a chain worth
        // keeping) and it is no larger than the Snapshot or than a new session's Start, or
        // that Start does not fit. Anything else (a stale list-gap count included) is the
        // general code's to decide.
        let full_len = self.full_len();
        if len > full_len + 1 || len > FAST_STAMP {
            return None;
        }
        let whole_values = self.value_bytes - (self.n - self.nonzero);
        if len > 1 + whole_values {
            if !channel.last_was_diff || self.gaps_stale {
                return None;
            }
            let snapshot_len = 1 + self.snapshot_sizes().best().1;
            let start_len = snapshot_len + varint_len(channel.session + 1);
            if len > snapshot_len && len > start_len && start_len <= full_len + 1 {
                return None;
            }
        }
        // Written on the stack (the dense encoding's skipped entries and the bitmap stay
        // zero), then appended. A write past the 32 bytes fails the fast path (the general
        // code then writes the stamp), as does a length out of step with the sizes above.
        let clock = self.clock.as_slice();
        let value_of = |index: usize| clock.get(index).copied().unwrap_or(0);
        let mut out = SmallOut::default();
        out.put(encoding.bits() | KIND_DIFF << 2)?;
        out.put_varint(channel.session)?;
        out.put_varint(channel.next_seq)?;
        let mut next = 0;
        match encoding {
            Encoding::Dense => {
                for index in SetBits(carried) {
                    out.pos += index - next;
                    out.put_varint(value_of(index))?;
                    next = index + 1;
                }
            }
            Encoding::List => {
                for index in SetBits(carried) {
                    out.put((index - next) as u8)?;
                    out.put_varint(value_of(index))?;
                    next = index + 1;
                }
            }
            Encoding::Bitmap => {
                out.put(bitmap_bytes as u8)?;
                out.put(carried as u8)?;
                if bitmap_bytes == 2 {
                    out.put((carried >> 8) as u8)?;
                }
                for index in SetBits(carried) {
                    out.put_varint(value_of(index))?;
                }
            }
        }
        debug_assert_eq!(out.pos, len, "entry sizes out of step with the values");
        buf.extend_from_slice(out.bytes.get(..len).filter(|_| out.pos == len)?);
        // The channel state `encode_small` leaves: the pending changes folded into every
        // channel's masks, this one's cleared (a chain stamp), the chain advanced.
        let pending = u64::from(self.pending) * 0x1_0000_0001;
        self.pending = 0;
        for mask in &mut self.dirty {
            *mask |= pending;
        }
        self.dirty[slot] = 0;
        let counter = self.counter;
        let n = self.n;
        let channel = &mut self.channels[slot].outgoing;
        channel.last_sent_any = counter;
        channel.last_was_diff = true;
        channel.prefer_scan = count > n / 4;
        channel.next_seq += 1;
        channel.last_sent = counter;
        Some(len)
    }

    /// Merges a steady-state [`Diff`](super::StampKind::Diff) from `from` straight from its
    /// bytes, without ticking: `true` when the clock has at most 16 nodes and `bytes` are
    /// a Diff that continues the channel's chain (same session, next sequence number), with
    /// varints of at most four bytes, every entry below `n`, and no more events of this
    /// node than it has had; the result is then exactly
    /// [`merge_ref`](Self::merge_ref)'s of the parsed stamp. `false` otherwise, with
    /// nothing changed: hand the bytes to the general parser and merge, which merge them
    /// or give the precise error or refusal. One pass over the bytes checks them and keeps
    /// the entries packed on the stack; a second, over those, merges.
    ///
    /// ```
    /// use causet_clock::VectorClock;
    /// use causet_clock::differential::{DiffClock, StampRef};
    ///
    /// let resume = VectorClock::from_entries(vec![1, 300, 300]);
    /// let (mut alice, mut bob) = (DiffClock::restart(0, 3, &resume, 0), DiffClock::new(1, 3));
    /// let mut wire = Vec::new();
    /// alice.tick();
    /// alice.encode_stamp(1, &mut wire);
    /// assert!(!bob.merge_small_bytes(0, &wire)); // a session start: the general path's
    /// bob.merge_ref(0, &StampRef::parse(&wire)?)?;
    /// wire.clear();
    /// alice.tick();
    /// alice.encode_stamp(1, &mut wire);
    /// assert!(bob.merge_small_bytes(0, &wire));
    /// assert_eq!(bob.clock(), &VectorClock::from_entries(vec![3, 300, 300]));
    /// assert!(!bob.merge_small_bytes(0, &wire)); // a duplicate: refused by the general path
    /// Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    // Hidden: the runtime's steady-state receive, straight from a message's bytes.
    #[doc(hidden)]
    #[inline]
    pub fn merge_small_bytes(&mut self, from: usize, bytes: &[u8]) -> bool {
        if self.n > self.fast_width {
            return false;
        }
        let Some(&tag) = bytes.first() else {
            return false;
        };
        // A Diff (kind bits 2, high bits zero) in one of the three encodings.
        let encoding = tag & 0b11;
        if tag >> 2 != KIND_DIFF || encoding == 0b11 {
            return false;
        }
        let mut pos = 1;
        let Some(session) = read_small(bytes, &mut pos) else {
            return false;
        };
        let Some(seq) = read_small(bytes, &mut pos) else {
            return false;
        };
        let Some(&slot) = self.slots.get(from) else {
            return false;
        };
        let Some(chain) = self.channels.get(slot as usize).and_then(|c| c.incoming) else {
            return false;
        };
        if u64::from(session) != chain.session || u64::from(seq) != chain.next_seq {
            return false;
        }
        // The check, in one pass over the payload: valid and small, every entry below n,
        // the own entry not ahead of this node. The entries are kept packed (value << 4 |
        // index; values below 2^28) for the merge, which then needs no second read.
        let mine = self.clock.get(self.me);
        let mut packed = [0u32; SMALL_WIDTH];
        let Some((count, mask)) = read_payload(encoding, bytes, pos, self.me, mine, &mut packed)
        else {
            return false;
        };
        let width = (u32::BITS - mask.leading_zeros()) as usize;
        if width > self.n {
            return false;
        }
        // `admit`'s bookkeeping for an accepted Diff, then the merge.
        self.channels[slot as usize].incoming = Some(Incoming {
            session: chain.session,
            next_seq: chain.next_seq + 1,
        });
        self.counter += 1;
        // (n <= 16: a peer's source id is its index.)
        let source = from as u32;
        for &entry in packed.get(..count).unwrap_or_default() {
            self.merge_one((entry & 15) as usize, u64::from(entry >> 4), source);
        }
        true
    }

    /// [`merge_entry`](Self::merge_entry) with its common case inline: a non-zero entry
    /// raised to a value of the same varint size (only the value, its LastUpdate, its
    /// source and the pending mask change), or a value below ours (nothing to do).
    #[inline(always)]
    fn merge_one(&mut self, index: usize, value: u64, source: u32) {
        if let (Some(entry), Some(meta)) = (self.clock.entry_mut(index), self.meta.get_mut(index)) {
            let current = *entry;
            if value < current {
                return;
            }
            if value > current && current != 0 && meta.len as usize == varint_len(value) {
                *entry = value;
                *meta = EntryMeta::set(self.counter, source, meta.len);
                self.pending |= 1 << (index & 31);
                return;
            }
        }
        self.merge_entry(index, value, source);
    }
}

/// The fast send's stack buffer: a stamp of at most [`FAST_STAMP`] bytes, written from
/// the front; a write past the end fails (`None`) instead of panicking or wrapping.
#[derive(Default)]
struct SmallOut {
    bytes: [u8; FAST_STAMP],
    pos: usize,
}

impl SmallOut {
    #[inline(always)]
    fn put(&mut self, byte: u8) -> Option<()> {
        *self.bytes.get_mut(self.pos)? = byte;
        self.pos += 1;
        Some(())
    }

    /// Writes `value` as a varint.
    #[inline(always)]
    fn put_varint(&mut self, value: u64) -> Option<()> {
        crate::varint::put_u64(&mut self.bytes, &mut self.pos, value)
    }
}

/// Reads a Diff's payload, `bytes[pos..]`, in `encoding` (0 dense, 1 list, 2 bitmap) into
/// `packed` (`value << 4 | index` per carried entry, in index order): the number of
/// entries and the mask of their indices, if the payload is valid with every entry below
/// 16, every varint of at most four bytes and node `me`'s value at most `mine`; `None`
/// otherwise, including for valid payloads the general parser must read (an empty
/// bitmap). Accepts exactly the payloads [`SmallStamp`] accepts, less those ahead of `me`.
///
/// [`SmallStamp`]: super::SmallStamp
#[inline(always)]
fn read_payload(
    encoding: u8,
    bytes: &[u8],
    pos: usize,
    me: usize,
    mine: u64,
    packed: &mut [u32; SMALL_WIDTH],
) -> Option<(usize, u32)> {
    let mut count = 0usize;
    // (At most 16 distinct indices below 16 are carried: `count` < 16.)
    let mask = walk_small_payload(encoding, bytes, pos, |index, value| {
        if index == me && u64::from(value) > mine {
            return None;
        }
        packed[count % SMALL_WIDTH] = value << 4 | index as u32;
        count += 1;
        Some(())
    })?;
    Some((count, mask))
}
