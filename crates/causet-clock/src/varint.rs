//! LEB128 variable-length integers: 7 bits a byte, low bits first, high bit = "more".
//! Shared by every binary encoding of the crate, and by the runtime's framing.
//!
//! ```
//! use causet_clock::varint;
//!
//! let mut buf = Vec::new();
//! varint::write_u64(&mut buf, 300);
//! assert_eq!(buf, [0xac, 0x02]);
//! assert_eq!(varint::len_u64(300), 2);
//! let mut pos = 0;
//! assert_eq!(varint::read_u64(&buf, &mut pos)?, 300);
//! assert_eq!(pos, 2);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::DecodeError;

/// Appends `value` as a LEB128 varint (1 byte below 128, at most 10 bytes).
pub fn write_u64(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

/// Writes `value` as a LEB128 varint (the bytes of [`write_u64`]) into `out` at `*pos`,
/// advancing `*pos`: the stamp writers' form, on a buffer sized beforehand or a fixed stack
/// buffer. `None` when `out` has no room left (then `*pos` is where the write stopped).
#[inline(always)]
pub(crate) fn put_u64(out: &mut [u8], pos: &mut usize, mut value: u64) -> Option<()> {
    loop {
        let byte = out.get_mut(*pos)?;
        *pos += 1;
        if value < 0x80 {
            *byte = value as u8;
            return Some(());
        }
        *byte = (value as u8) | 0x80;
        value >>= 7;
    }
}

/// Number of bytes `write_u64` uses for `value`.
pub fn len_u64(value: u64) -> usize {
    // 1 byte per started group of 7 significant bits, at least 1.
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Reads one varint at `*pos`, advancing it. Rejects truncation and values over 64 bits.
pub fn read_u64(bytes: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let mut value: u64 = 0;
    let mut shift = 0u32;
    loop {
        let byte = *bytes
            .get(*pos)
            .ok_or(DecodeError::UnexpectedEnd { offset: *pos })?;
        *pos += 1;
        let low = u64::from(byte & 0x7f);
        if shift == 63 && low > 1 || shift > 63 {
            return Err(DecodeError::VarintOverflow { offset: *pos - 1 });
        }
        value |= low << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_lengths_agree() {
        for value in [0, 1, 127, 128, 300, 16_383, 16_384, u64::MAX / 3, u64::MAX] {
            let mut buf = Vec::new();
            write_u64(&mut buf, value);
            assert_eq!(buf.len(), len_u64(value), "length of {value}");
            let mut pos = 0;
            assert_eq!(read_u64(&buf, &mut pos), Ok(value));
            assert_eq!(pos, buf.len());
        }
    }

    #[test]
    fn rejects_truncated_and_overlong() {
        let mut pos = 0;
        assert!(read_u64(&[0x80], &mut pos).is_err());
        let mut pos = 0;
        assert!(read_u64(&[0xff; 11], &mut pos).is_err());
        let mut pos = 0;
        // 2^64 does not fit.
        let mut too_big = vec![0x80; 9];
        too_big.push(0x02);
        assert!(read_u64(&too_big, &mut pos).is_err());
    }

    #[test]
    fn put_writes_the_bytes_of_write_and_refuses_a_short_buffer() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            1 << 21,
            u64::MAX / 3,
            u64::MAX,
        ] {
            let mut expected = Vec::new();
            write_u64(&mut expected, value);
            // At an offset, with room to spare: the same bytes, the position past them.
            let mut out = [0xaa; 16];
            let mut pos = 3;
            assert_eq!(put_u64(&mut out, &mut pos, value), Some(()), "{value}");
            assert_eq!(&out[3..pos], expected.as_slice(), "{value}");
            assert!(
                out[pos..].iter().all(|&b| b == 0xaa),
                "{value}: wrote past its bytes"
            );
            // One byte short: refused, nothing written past the buffer.
            let mut short = vec![0; expected.len() - 1];
            let mut pos = 0;
            assert_eq!(put_u64(&mut short, &mut pos, value), None, "{value}");
        }
    }
}
