//! Base64url without padding (RFC 4648 §5), strict: the one text form of a stamp.
//!
//! Written here rather than taken from a crate because the header path must be fast, exact
//! about what it refuses (the offset of the first bad character) and small: 4 characters
//! per 3 bytes, a final group of 2 or 3 characters for 1 or 2 bytes, no `=`, no
//! whitespace, and the unused low bits of a final group must be zero (so every byte string
//! has exactly one text form, and a forged value cannot hide bits a decoder drops).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// 0..=63 for an alphabet byte, `INVALID` otherwise.
const INVALID: u8 = 0xff;
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Why a text is not canonical base64url.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base64Error {
    /// A byte outside `A–Z a–z 0–9 - _` at this offset.
    Character { offset: usize, byte: u8 },
    /// A length of 1 modulo 4: no byte string encodes to it.
    Length,
    /// The last character has low bits set that no encoder writes.
    Trailing,
}

/// The encoded length of `len` bytes.
pub(crate) const fn encoded_len(len: usize) -> usize {
    len / 3 * 4 + [0, 2, 3][len % 3]
}

/// Appends the base64url form of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    // Written as bytes into `out`'s own buffer, sized first (no per-group pushes).
    let mut buf = std::mem::take(out).into_bytes();
    let start = buf.len();
    buf.resize(start + encoded_len(bytes.len()), 0);
    let full = bytes.len() / 3;
    for (group, chunk) in buf[start..].chunks_exact_mut(4).zip(bytes.chunks_exact(3)) {
        let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        group.copy_from_slice(&[
            ALPHABET[(n >> 18) as usize & 63],
            ALPHABET[(n >> 12) as usize & 63],
            ALPHABET[(n >> 6) as usize & 63],
            ALPHABET[n as usize & 63],
        ]);
    }
    let tail = &mut buf[start + 4 * full..];
    match bytes[3 * full..] {
        [a] => tail.copy_from_slice(&[
            ALPHABET[usize::from(a >> 2)],
            ALPHABET[usize::from(a & 3) << 4],
        ]),
        [a, b] => {
            let n = u32::from(a) << 8 | u32::from(b);
            tail.copy_from_slice(&[
                ALPHABET[(n >> 10) as usize & 63],
                ALPHABET[(n >> 4) as usize & 63],
                ALPHABET[((n & 15) << 2) as usize],
            ]);
        }
        _ => {}
    }
    // `out` was text and every byte added is from the ASCII alphabet.
    *out = String::from_utf8(buf).unwrap_or_default();
}

/// Decodes `text` into `out` (cleared first).
pub(crate) fn decode_into(text: &[u8], out: &mut Vec<u8>) -> Result<(), Base64Error> {
    out.clear();
    let (full, rest) = (text.len() / 4, text.len() % 4);
    if rest == 1 {
        // A bad character says more than the length it causes.
        return Err(
            match text.iter().position(|&b| DECODE[usize::from(b)] == INVALID) {
                Some(offset) => Base64Error::Character {
                    offset,
                    byte: text[offset],
                },
                None => Base64Error::Length,
            },
        );
    }
    let bad = |from: usize| {
        let offset = from
            + text[from..]
                .iter()
                .position(|&b| DECODE[usize::from(b)] == INVALID)
                .unwrap_or(0);
        Base64Error::Character {
            offset,
            byte: text[offset],
        }
    };
    out.resize(3 * full + rest.saturating_sub(1), 0);
    for (k, (group, bytes)) in text
        .chunks_exact(4)
        .zip(out.chunks_exact_mut(3))
        .enumerate()
    {
        let [a, b, c, d] = [group[0], group[1], group[2], group[3]].map(|x| DECODE[usize::from(x)]);
        // One test for the four: only INVALID has the top bit.
        if (a | b | c | d) & 0x80 != 0 {
            return Err(bad(4 * k));
        }
        let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        bytes.copy_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    let mut tail = [0u8; 3];
    for (slot, &x) in tail.iter_mut().zip(&text[4 * full..]) {
        *slot = DECODE[usize::from(x)];
    }
    if tail[..rest].contains(&INVALID) {
        return Err(bad(4 * full));
    }
    let at = 3 * full;
    match tail[..rest] {
        [a, b] => {
            let n = u32::from(a) << 6 | u32::from(b);
            if n & 15 != 0 {
                return Err(Base64Error::Trailing);
            }
            out[at] = (n >> 4) as u8;
        }
        [a, b, c] => {
            let n = u32::from(a) << 12 | u32::from(b) << 6 | u32::from(c);
            if n & 3 != 0 {
                return Err(Base64Error::Trailing);
            }
            out[at] = (n >> 10) as u8;
            out[at + 1] = (n >> 2) as u8;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        encode_into(bytes, &mut out);
        out
    }

    fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
        let mut out = Vec::new();
        decode_into(text.as_bytes(), &mut out).map(|()| out)
    }

    /// RFC 4648 §10's test vectors, without padding.
    #[test]
    fn rfc_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(encoded_len(plain.len()), coded.len());
            assert_eq!(decode(coded), Ok(plain.as_bytes().to_vec()));
        }
        // The url-safe characters.
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode("-_8"), Ok(vec![0xfb, 0xff]));
    }

    #[test]
    fn every_byte_string_round_trips_and_nothing_else_decodes() {
        for len in 0..40usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            assert_eq!(decode(&encode(&bytes)), Ok(bytes));
        }
        assert_eq!(decode("Zm9vY"), Err(Base64Error::Length));
        assert_eq!(decode("Zh"), Err(Base64Error::Trailing));
        assert_eq!(decode("Zm9"), Err(Base64Error::Trailing));
        assert_eq!(
            decode("Zm9v=="),
            Err(Base64Error::Character {
                offset: 4,
                byte: b'='
            })
        );
        assert_eq!(
            decode("Zm+v"),
            Err(Base64Error::Character {
                offset: 2,
                byte: b'+'
            })
        );
    }
}
