//! The fast paths of the STD line parser: all-numeric lines parsed in place, eight bytes
//! at a time where they are short. Each answers `None` for what it does not handle, and the
//! tests here tie every one to the general [`parse_line`](super::parse_line).

use super::Op;

/// `T<n>|op(<n>)|<n>` (or `<n>|...`) with canonical decimal numbers below 10^18: the
/// thread number, op, operand and location; `None` sends the line to the general path.
#[inline]
pub(super) fn parse_numeric(line: &[u8]) -> Option<(u64, Op, u64, u64)> {
    let first = usize::from(line.first() == Some(&b'T'));
    let (thread, bar1) = digits(line, first)?;
    if line.get(bar1) != Some(&b'|') {
        return None;
    }
    let mut open = bar1 + 1;
    while open < line.len() && line[open].is_ascii_lowercase() {
        open += 1;
    }
    if line.get(open) != Some(&b'(') {
        return None;
    }
    let op = Op::parse(&line[bar1 + 1..open])?;
    let (operand, close) = digits(line, open + 1)?;
    if line.get(close) != Some(&b')') || line.get(close + 1) != Some(&b'|') {
        return None;
    }
    let (location, end) = digits(line, close + 2)?;
    (end == line.len()).then_some((thread, op, operand, location))
}

/// An all-numeric line parsed in place by [`parse_numeric_line`].
#[derive(Debug, Clone, Copy)]
pub(super) struct NumericLine {
    pub(super) thread: u64,
    pub(super) op: Op,
    pub(super) operand: u64,
    pub(super) location: u64,
    /// Bytes of the line's text (without `\r\n` or `\n`).
    pub(super) text_len: usize,
    /// Bytes consumed, the newline included.
    pub(super) len: usize,
}

/// The operation whose name starts at `i`, through its `(`: the op and the index after the
/// `(`. One dispatch on the first byte, then a fixed comparison.
#[inline(always)]
fn op_at(buf: &[u8], i: usize) -> Option<(Op, usize)> {
    let rest = buf.get(i..)?;
    let (op, len) = match rest {
        [b'r', b'(', ..] => (Op::Read, 2),
        [b'w', b'(', ..] => (Op::Write, 2),
        [b'r', b'd', b'(', ..] => (Op::Read, 3),
        [b'w', b'r', b'(', ..] => (Op::Write, 3),
        [b'a', b'c', b'q', b'(', ..] => (Op::Acquire, 4),
        [b'r', b'e', b'l', b'(', ..] => (Op::Release, 4),
        [b'r', b'e', b'q', b'(', ..] => (Op::Request, 4),
        [b'f', b'o', b'r', b'k', b'(', ..] => (Op::Fork, 5),
        [b'j', b'o', b'i', b'n', b'(', ..] => (Op::Join, 5),
        [b'e', b'n', b'd', b'(', ..] => (Op::End, 4),
        [b'b', b'e', b'g', b'i', b'n', b'(', ..] => (Op::Begin, 6),
        _ => return None,
    };
    Some((op, i + len))
}

/// The all-numeric line at the start of `buf` (`T<n>|op(<n>)|<n>` or `<n>|...`, canonical
/// numbers below 10^18, as [`parse_numeric`] accepts), ended by `\n` or `\r\n` inside `buf`:
/// one scan finds the fields and the end of the line. `None` when the line has another
/// shape or is not complete in `buf`.
#[inline(always)]
pub(super) fn parse_numeric_line(buf: &[u8]) -> Option<NumericLine> {
    let first = usize::from(buf.first() == Some(&b'T'));
    let (thread, bar1) = digits(buf, first)?;
    if buf.get(bar1) != Some(&b'|') {
        return None;
    }
    let (op, open) = op_at(buf, bar1 + 1)?;
    let (operand, close) = digits(buf, open)?;
    if buf.get(close..close + 2) != Some(b")|") {
        return None;
    }
    let (location, end) = digits(buf, close + 2)?;
    let (text_len, len) = match buf.get(end..end + 2) {
        Some([b'\n', _]) => (end, end + 1),
        Some(b"\r\n") => (end, end + 2),
        // The last byte of the buffer (the line may go on after a refill), or not a number.
        _ => return None,
    };
    Some(NumericLine {
        thread,
        op,
        operand,
        location,
        text_len,
        len,
    })
}

/// Bytes a line may need past its start for [`parse_short_numeric_line`] to take it.
const SHORT_WINDOW: usize = 48;

/// The 8 bytes at `at` as a little-endian word (the caller ensures they exist).
#[inline(always)]
fn word_at(buf: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(word)
}

/// The run of 1 to 7 canonical digits at the start of `word`: its length and the word with
/// the digits turned into their values (`word ^ 0x30..30`), for [`digits_value`] or
/// [`two_short_values`]. `None` for no digits, too many for this path, or a leading zero.
#[inline(always)]
fn short_run(word: u64) -> Option<(usize, u64)> {
    let (len, x) = digit_run(word);
    let leading_zero = len > 1 && word & 0xFF == u64::from(b'0');
    (len != 0 && len != 8 && !leading_zero).then_some((len, x))
}

/// Two runs of 0 to 4 and 1 to 4 digits (`x`, `y` as [`digit_run`] gives them, with their lengths)
/// converted together: each right-aligned in its own 32-bit half of one word, then the
/// usual pairwise steps, which keep the halves apart (every partial sum stays below 2^16).
#[inline(always)]
fn two_short_values(x: u64, x_len: usize, y: u64, y_len: usize) -> (u64, u64) {
    // `x`'s digits in the top bytes of the low half, `y`'s in the top bytes of the high half.
    let low = u64::from((x << (32 - 8 * x_len)) as u32);
    let high = y << (64 - 8 * y_len);
    let v = low | high;
    // Per 16-bit lane: the value of its two digits (first digit in the lower byte).
    let v = (v.wrapping_mul(10).wrapping_add(v >> 8)) & 0x00FF_00FF_00FF_00FF;
    // Per 32-bit half: 100 x its first pair + its second, in the half's upper 16 bits.
    let v = v.wrapping_mul(1 + (100 << 16));
    ((v >> 16) & 0xFFFF, v >> 48)
}

/// The common lines of real and generated traces, `T<n>|r(<n>)|<n>` and `w` (then `acq`
/// and `rel`), with a thread and location of at most 7 digits and an operand of at most 15,
/// parsed from whole words:
/// the same answer as [`parse_numeric_line`] where it answers (a test checks), with fewer
/// branches. Needs [`SHORT_WINDOW`] bytes from the line's start in `buf`.
#[inline(always)]
pub(super) fn parse_short_numeric_line(buf: &[u8]) -> Option<NumericLine> {
    if buf.len() < SHORT_WINDOW {
        return None;
    }
    let mut p = usize::from(buf[0] == b'T');
    let (thread_len, thread_run) = short_run(word_at(buf, p))?;
    p += thread_len;
    // "|r(" or "|w(". Reads and writes come in random order, so the test has no branch on
    // which one it is (it would be mispredicted on a third of the lines): against "|r(",
    // only the middle byte may differ, by 0 or 5 (`r ^ w`).
    let word = word_at(buf, p);
    let diff = (word & 0xFF_FFFF) ^ 0x28_72_7C;
    let middle = diff >> 8;
    let op = if (diff & !0xFF00) | middle.wrapping_mul(middle ^ 5) == 0 {
        p += 3;
        if middle & 4 != 0 { Op::Write } else { Op::Read }
    } else {
        // The next most common lines: `|acq(` and `|rel(`.
        let op = match word & 0xFF_FFFF_FFFF {
            0x28_71_63_61_7C => Op::Acquire,
            0x28_6C_65_72_7C => Op::Release,
            _ => return None,
        };
        p += 5;
        op
    };
    // The operand: its first 8 digits (if it has more) as `high`, the rest as a run.
    let (len, run) = digit_run(word_at(buf, p));
    if len == 0 || (len > 1 && buf[p] == b'0') {
        return None;
    }
    let mut end = p + len;
    let (high, tail_len, tail_run) = if len == 8 {
        let (more, tail_run) = digit_run(word_at(buf, end));
        if more == 8 {
            return None;
        }
        end += more;
        (digits_value(run, 8), more, tail_run)
    } else {
        (0, len, run)
    };
    p = end;
    if word_at(buf, p) & 0xFFFF != 0x7C_29 {
        // ")|"
        return None;
    }
    p += 2;
    let (location_len, location_run) = short_run(word_at(buf, p))?;
    p += location_len;
    let (text_len, len) = match word_at(buf, p) & 0xFFFF {
        w if w & 0xFF == 0x0A => (p, p + 1),
        0x0A_0D => (p, p + 2),
        _ => return None,
    };
    // The operand's last digits (none for exactly 8) and the location together.
    let (tail, location) = if tail_len <= 4 && location_len <= 4 {
        two_short_values(tail_run, tail_len, location_run, location_len)
    } else {
        (
            if tail_len == 0 {
                0
            } else {
                digits_value(tail_run, tail_len)
            },
            digits_value(location_run, location_len),
        )
    };
    let operand = high * POWERS_OF_TEN[tail_len] + tail;
    // Thread numbers are short: one or two digits without a general conversion.
    let thread = match thread_len {
        1 => thread_run & 0xFF,
        2 => (thread_run & 0xFF) * 10 + ((thread_run >> 8) & 0xFF),
        _ => digits_value(thread_run, thread_len),
    };
    Some(NumericLine {
        thread,
        op,
        operand,
        location,
        text_len,
        len,
    })
}

/// The canonical decimal number (no leading zero, at most 18 digits) starting at `start`,
/// and the index after it.
#[inline(always)]
fn digits(line: &[u8], start: usize) -> Option<(u64, usize)> {
    let mut i = start;
    let mut n: u64 = 0;
    // Eight bytes at a time where the line has them: the run of digits and its value
    // without a branch per byte.
    if let Some(chunk) = line.get(start..start + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let (len, value) = leading_digits(u64::from_le_bytes(word));
        if len < 8 {
            if len == 0 || (len > 1 && chunk[0] == b'0') {
                return None;
            }
            return Some((value, start + len));
        }
        n = value;
        i = start + 8;
        // Addresses have 9 to 16 digits: the next eight bytes the same way.
        if let Some(chunk) = line.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let (len, value) = leading_digits(u64::from_le_bytes(word));
            n = n * POWERS_OF_TEN[len] + value;
            i += len;
            if len < 8 {
                return (line[start] != b'0').then_some((n, i));
            }
        }
    }
    while i < line.len() {
        let digit = line[i].wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
        i += 1;
    }
    let len = i - start;
    if len == 0 || len > 18 || (len > 1 && line[start] == b'0') {
        return None;
    }
    Some((n, i))
}

/// 10^0 ..= 10^8.
const POWERS_OF_TEN: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The number of leading ASCII digits of the 8 bytes in `word` (first byte lowest) and
/// their value (SWAR: Lemire's eight-digit conversion after shifting the run to the top).
#[inline(always)]
fn leading_digits(word: u64) -> (usize, u64) {
    let (len, x) = digit_run(word);
    if len == 0 {
        return (0, 0);
    }
    (len, digits_value(x, len))
}

/// The number of leading ASCII digits of `word` (first byte lowest) and `word ^ 0x30..30`,
/// whose first `len` bytes are then the digits' values.
#[inline(always)]
fn digit_run(word: u64) -> (usize, u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let x = word ^ (0x30 * ONES);
    // A byte of x is a digit iff it is below 10: neither it nor it + 0x76 has the top bit
    // (a carry out of a byte comes only from a non-digit, so it cannot hide an earlier one).
    let non_digits = (x | x.wrapping_add(0x76 * ONES)) & (0x80 * ONES);
    ((non_digits.trailing_zeros() / 8) as usize, x)
}

/// The value of the first `len` (1 to 8) digit values of `x` (as [`digit_run`] gives it).
#[inline(always)]
fn digits_value(x: u64, len: usize) -> u64 {
    // The run's digits in the top `len` bytes, zeros (leading zero digits) below.
    let v = x << (8 * (8 - len));
    // Per 16-bit lane: the value of its two digits (first digit in the lower byte).
    let v = (v.wrapping_mul(10).wrapping_add(v >> 8)) & 0x00FF_00FF_00FF_00FF;
    // Per 32-bit half: 100 x its first pair + its second, in the half's upper 16 bits
    // (every partial sum stays below 2^16, so the lanes never mix; as in
    // [`two_short_values`], whose mask this shares).
    let v = v.wrapping_mul(1 + (100 << 16));
    ((v >> 16) & 0xFFFF) * 10_000 + (v >> 48)
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    /// The numeric fast path agrees with the general path wherever it answers, and answers
    /// for the common lines.
    #[test]
    fn numeric_fast_path_equals_general_path() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let pieces = [
            "0",
            "7",
            "007",
            "10",
            "4294967298",
            "123456789012345678",
            "1234567890123456789",
            "x",
            "",
        ];
        let ops = [
            "r", "w", "rd", "wr", "acq", "rel", "req", "fork", "join", "begin", "end", "ww", "R",
        ];
        let mut fast = 0;
        for _ in 0..20_000 {
            let pick =
                |rng: &mut rand_chacha::ChaCha8Rng| pieces[rng.random_range(0..pieces.len())];
            let prefix = if rng.random_bool(0.5) { "T" } else { "" };
            let line = format!(
                "{prefix}{}|{}({})|{}{}",
                pick(&mut rng),
                ops[rng.random_range(0..ops.len())],
                pick(&mut rng),
                pick(&mut rng),
                if rng.random_bool(0.05) { "|" } else { "" },
            );
            let Some((thread, op, operand, location)) = parse_numeric(line.as_bytes()) else {
                continue;
            };
            fast += 1;
            let fields = parse_line(line.as_bytes()).expect("the general path accepts it too");
            let text = |range: (usize, usize)| &line.as_bytes()[range.0..range.1];
            let thread_text = text(fields.thread);
            let thread_digits = thread_text.strip_prefix(b"T").unwrap_or(thread_text);
            assert_eq!(canonical_number(thread_digits), Some(thread), "{line}");
            assert_eq!(fields.op, op, "{line}");
            assert_eq!(
                canonical_number(text(fields.operand)),
                Some(operand),
                "{line}"
            );
            assert_eq!(
                canonical_number(text(fields.location)),
                Some(location),
                "{line}"
            );
        }
        assert!(fast > 1_000, "the fast path answered only {fast} times");
    }

    /// The whole-word parser of short lines agrees with the in-place parser wherever it
    /// answers, and answers for the common lines.
    #[test]
    fn short_line_parser_equals_in_place_parser() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(29);
        let pieces = [
            "0",
            "7",
            "07",
            "42",
            "999",
            "9999",
            "10000",
            "1234567",
            "12345678",
            "123456789",
            "4294967298",
            "123456789012",
            "1234567890123",
            "100000000000000",
            "123456789012345",
            "1234567890123456",
            "x",
            "",
        ];
        let ops = ["r", "w", "rd", "acq", "rel", "req", "re", "R", "ww"];
        let ends = ["\n", "\r\n", "\r", "|", "x", ""];
        let mut short = 0;
        for _ in 0..20_000 {
            let pick =
                |rng: &mut rand_chacha::ChaCha8Rng| pieces[rng.random_range(0..pieces.len())];
            let prefix = if rng.random_bool(0.5) { "T" } else { "" };
            let mut line = format!(
                "{prefix}{}|{}({}){}{}{}",
                pick(&mut rng),
                ops[rng.random_range(0..ops.len())],
                pick(&mut rng),
                if rng.random_bool(0.95) { "|" } else { "" },
                pick(&mut rng),
                ends[rng.random_range(0..ends.len())],
            )
            .into_bytes();
            let padding = rng.random_range(20..60);
            line.extend((0..padding).map(|i| b"T1|w(5)|7\n"[i % 10]));
            let expected = parse_numeric_line(&line)
                .map(|p| (p.thread, p.op, p.operand, p.location, p.text_len, p.len));
            let got = parse_short_numeric_line(&line)
                .map(|p| (p.thread, p.op, p.operand, p.location, p.text_len, p.len));
            if got.is_some() {
                short += 1;
                assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&line));
            }
        }
        assert!(short > 50, "the short path answered only {short} times");
    }

    /// The word conversion of 1 to 8 digits against the decimal value: every length, the
    /// extremes (all 9s: the largest partial sums; a 1 then 0s) and random digits biased to
    /// 9, with random bytes after the run.
    #[test]
    fn digits_value_equals_the_number() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(37);
        for len in 1..=8usize {
            let mut texts = vec!["9".repeat(len), format!("1{}", "0".repeat(len - 1))];
            for _ in 0..2_000 {
                let digits: String = (0..len)
                    .map(|_| {
                        if rng.random_bool(0.4) {
                            '9'
                        } else {
                            char::from(b'0' + rng.random_range(0..10u8))
                        }
                    })
                    .collect();
                texts.push(digits);
            }
            for text in texts {
                let mut bytes = [b'|'; 8];
                bytes[..len].copy_from_slice(text.as_bytes());
                if len < 7 {
                    bytes[len + 1] = rng.random_range(0..=255u8);
                }
                let (run, x) = digit_run(u64::from_le_bytes(bytes));
                assert_eq!(run, len, "{text}");
                let expected: u64 = text.parse().unwrap_or_default();
                assert_eq!(digits_value(x, len), expected, "{text}");
            }
        }
    }

    /// Two short runs converted together equal each converted alone, for every pair of
    /// lengths 0 to 4 and 1 to 4, random digits (9s included: the largest partial sums), whatever
    /// bytes follow the runs.
    #[test]
    fn two_short_values_equal_one_at_a_time() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(31);
        let word = |rng: &mut rand_chacha::ChaCha8Rng, len: usize| {
            let mut bytes = [0u8; 8];
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = if i >= len {
                    rng.random_range(0..=255u8)
                } else if rng.random_bool(0.3) {
                    b'9'
                } else {
                    rng.random_range(b'0'..=b'9')
                };
            }
            if len < 8 && bytes[len].is_ascii_digit() {
                bytes[len] = b'|';
            }
            u64::from_le_bytes(bytes)
        };
        for _ in 0..5_000 {
            let (x_len, y_len) = (rng.random_range(0..=4), rng.random_range(1..=4));
            let (x, y) = (word(&mut rng, x_len), word(&mut rng, y_len));
            let (xl, xr) = digit_run(x);
            let (yl, yr) = digit_run(y);
            assert_eq!((xl, yl), (x_len, y_len));
            let expected = (leading_digits(x).1, leading_digits(y).1);
            assert_eq!(two_short_values(xr, xl, yr, yl), expected, "{x:x} {y:x}");
        }
    }

    /// A NUL byte or a malformed line is never taken by the in-place path.
    #[test]
    fn in_place_path_declines_what_is_not_an_event() {
        for line in [
            &b"T1|w(5)|\0\n"[..],
            b"T1|w(5)7|1\n",
            b"T1|w(5)|1|\n",
            b"T1|x(5)|1\n",
            b"T1|w(5)|1",
            b"T1|w(5)|1\r",
            b"T01|w(5)|1\n",
        ] {
            assert!(parse_numeric_line(line).is_none(), "{line:?}");
        }
        let parsed = parse_numeric_line(b"T1|acq(5)|17\r\nT2").expect("a line");
        assert_eq!(
            (parsed.thread, parsed.op, parsed.operand, parsed.location),
            (1, Op::Acquire, 5, 17)
        );
        assert_eq!((parsed.text_len, parsed.len), (12, 14));
    }

    /// The eight-byte digit scan equals the byte loop on every run length and value.
    #[test]
    fn swar_digits_equal_the_byte_loop() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let alphabet = b"0123456789/:|()\r\nT\xff\x00\xfa";
        for _ in 0..20_000 {
            let len = rng.random_range(0..24);
            let line: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.random_bool(0.8) {
                        b'0' + rng.random_range(0..10u8)
                    } else {
                        alphabet[rng.random_range(0..alphabet.len())]
                    }
                })
                .collect();
            let start = rng.random_range(0..=len);
            let run = line[start..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let expected = canonical_number(&line[start..start + run])
                .filter(|_| run <= 18)
                .map(|n| (n, start + run));
            assert_eq!(digits(&line, start), expected, "{line:?} at {start}");
        }
    }
}
