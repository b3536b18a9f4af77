//! Stamps on the wire: full and differential (Singhal–Kshemkalyani) encodings.
//!
//! Both encodings are the same sparse list, `varint count` then `count` pairs
//! `(varint gap, varint value)` with strictly increasing clock indices (`gap` is the index
//! minus the previous index minus one; the first gap is the index itself). A full stamp lists
//! every non-zero entry of the sender's clock. A differential stamp lists only the entries
//! that changed since the sender's previous message *to the same receiver*; the receiver
//! merges it like a full stamp. That is exact only when the channel is FIFO and carries
//! every differential message of that sender to that receiver (a TCP connection, a channel),
//! because the entries left out are ones the receiver already merged from earlier messages.

use std::collections::HashMap;

use causet_clock::VectorClock;

/// Appends `value` as a LEB128 varint.
pub(crate) fn write_varint(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

/// Bytes `write_varint` uses for `value`.
pub(crate) fn varint_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Reads a varint at `*pos`; `None` when truncated or over 64 bits.
pub(crate) fn read_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    let mut shift = 0u32;
    loop {
        let Some(&byte) = bytes.get(*pos) else {
            return Err(format!("input ends inside a varint at byte {}", *pos));
        };
        *pos += 1;
        let low = u64::from(byte & 0x7f);
        if shift > 63 || (shift == 63 && low > 1) {
            return Err(format!("varint at byte {} exceeds 64 bits", *pos - 1));
        }
        value |= low << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
    }
}

/// Appends the sparse encoding of `entries` (strictly increasing indices).
pub(crate) fn encode_entries(
    buf: &mut Vec<u8>,
    entries: impl ExactSizeIterator<Item = (usize, u64)>,
) {
    write_varint(buf, entries.len() as u64);
    let mut next = 0usize;
    for (index, value) in entries {
        write_varint(buf, (index - next) as u64);
        write_varint(buf, value);
        next = index + 1;
    }
}

/// Size of the full stamp of `clock` without building it.
pub(crate) fn full_len(clock: &VectorClock) -> usize {
    let mut count = 0u64;
    let mut len = 0usize;
    let mut next = 0usize;
    for (index, &value) in clock.as_slice().iter().enumerate() {
        if value != 0 {
            count += 1;
            len += varint_len((index - next) as u64) + varint_len(value);
            next = index + 1;
        }
    }
    len + varint_len(count)
}

/// Decodes a sparse entry list at `*pos`; every index must be below `nodes`.
///
/// Allocation is bounded by the input: each pair takes at least two bytes.
pub(crate) fn decode_entries(
    bytes: &[u8],
    pos: &mut usize,
    nodes: usize,
) -> Result<Vec<(usize, u64)>, String> {
    let count = read_varint(bytes, pos)?;
    let remaining = bytes.len() - *pos;
    if count > (remaining / 2) as u64 || count > nodes as u64 {
        return Err(format!(
            "stamp claims {count} entries, more than the {} remaining bytes or {nodes} nodes allow",
            remaining
        ));
    }
    let mut entries = Vec::with_capacity(count as usize);
    let mut next = 0u64;
    for _ in 0..count {
        let gap = read_varint(bytes, pos)?;
        let value = read_varint(bytes, pos)?;
        let index = next.saturating_add(gap);
        if index >= nodes as u64 {
            return Err(format!(
                "stamp entry for node index {index}, but the cluster has {nodes} nodes"
            ));
        }
        entries.push((index as usize, value));
        next = index + 1;
    }
    Ok(entries)
}

/// Sender-side state of differential stamps, Singhal–Kshemkalyani style: for each clock
/// entry, the operation count when it last changed, and for each receiver, the operation
/// count of the last stamp sent to it. An entry goes into a stamp for `k` iff it changed
/// after the last stamp to `k`.
///
/// The counter is the node's own count of clock operations (not its clock entry), so that
/// events hidden by the priority filter, which do not tick, still order correctly.
#[derive(Debug, Default, Clone)]
pub(crate) struct DiffState {
    operations: u64,
    last_update: Vec<u64>,
    last_sent: HashMap<usize, u64>,
}

impl DiffState {
    /// Starts a new clock operation (a send or receive); returns its number.
    pub(crate) fn begin(&mut self) -> u64 {
        self.operations += 1;
        self.operations
    }

    /// Records that entry `index` changed during the current operation.
    pub(crate) fn updated(&mut self, index: usize) {
        if index >= self.last_update.len() {
            self.last_update.resize(index + 1, 0);
        }
        self.last_update[index] = self.operations;
    }

    /// Encodes the differential stamp of `clock` for receiver `to` and remembers it was sent.
    pub(crate) fn encode_for(&mut self, buf: &mut Vec<u8>, clock: &VectorClock, to: usize) {
        let since = self.last_sent.insert(to, self.operations).unwrap_or(0);
        let changed: Vec<(usize, u64)> = self
            .last_update
            .iter()
            .enumerate()
            .filter(|&(index, &op)| op > since && clock.get(index) != 0)
            .map(|(index, _)| (index, clock.get(index)))
            .collect();
        encode_entries(buf, changed.into_iter());
    }

    /// Bytes of differential state (for memory accounting).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.last_update.capacity() * 8 + self.last_sent.capacity() * 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_full_len_agrees() {
        let clock = VectorClock::from_entries(vec![3, 0, 0, 200, 1]);
        let mut buf = Vec::new();
        let entries: Vec<(usize, u64)> = clock
            .as_slice()
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0)
            .map(|(i, v)| (i, *v))
            .collect();
        encode_entries(&mut buf, entries.clone().into_iter());
        assert_eq!(buf.len(), full_len(&clock));
        let mut pos = 0;
        assert_eq!(decode_entries(&buf, &mut pos, 5).unwrap(), entries);
        assert_eq!(pos, buf.len());
        let mut pos = 0;
        assert!(
            decode_entries(&buf, &mut pos, 4).is_err(),
            "index 4 of 4 nodes"
        );
    }

    #[test]
    fn decode_rejects_huge_counts_without_allocating() {
        let mut buf = Vec::new();
        write_varint(&mut buf, u64::MAX);
        let mut pos = 0;
        assert!(decode_entries(&buf, &mut pos, 1_000).is_err());
        let mut pos = 0;
        assert!(read_varint(&[0xff; 11], &mut pos).is_err());
    }
}
