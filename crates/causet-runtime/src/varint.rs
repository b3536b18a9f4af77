//! LEB128 varints for the runtime's own framing (message headers, handshakes), from
//! `causet_clock::varint`; stamps use `causet_clock`'s encodings.

/// Appends `value` as a varint (one-byte values, the common case of every message header,
/// without a call).
#[inline]
pub(crate) fn write_varint(buf: &mut Vec<u8>, value: u64) {
    if value < 0x80 {
        buf.push(value as u8);
    } else {
        causet_clock::varint::write_u64(buf, value);
    }
}

/// Reads a varint at `*pos`; an error text when truncated or over 64 bits.
#[inline]
pub(crate) fn read_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    match bytes.get(*pos) {
        Some(&byte) if byte < 0x80 => {
            *pos += 1;
            Ok(u64::from(byte))
        }
        _ => read_long(bytes, pos),
    }
}

#[cold]
fn read_long(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    causet_clock::varint::read_u64(bytes, pos).map_err(|err| format!("varint: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_overlong() {
        for value in [0, 1, 127, 128, 300, u64::MAX] {
            let mut buf = Vec::new();
            write_varint(&mut buf, value);
            let mut pos = 0;
            assert_eq!(read_varint(&buf, &mut pos), Ok(value));
            assert_eq!(pos, buf.len());
        }
        let mut pos = 0;
        assert!(read_varint(&[0xff; 11], &mut pos).is_err());
        let mut pos = 0;
        assert!(read_varint(&[0x80], &mut pos).is_err());
    }
}
