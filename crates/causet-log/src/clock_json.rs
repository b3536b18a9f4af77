//! A hand-written scanner for ShiViz clocks: `{"alice":2, "bob":1}`.
//!
//! The format is a JSON object whose keys are node names and whose values are non-negative
//! integers (an absent node means 0). The scanner accepts any JSON whitespace, JSON string
//! escapes in names, and the TLA+ variant whose quotes are escaped once more
//! (`{\"w1\":1}`, as TLC prints a string holding JSON). It rejects what `JSON.parse` would
//! reject and, unlike ShiViz, also negative, fractional and too large (≥ 2^32) values and
//! duplicate names, which no vector clock can have.
//!
//! It never allocates per entry: keys without escapes are handed to the caller as slices of
//! the input.

use super::error::{ClockJsonError, ClockJsonErrorKind};

/// Scans the clock `text` and calls `entry(name, value)` for each entry in order.
///
/// `scratch` is reused for names with escapes and for the TLA+ variant. `entry` may reject an
/// entry (e.g. a duplicate name); its error is reported at the entry's column.
pub(crate) fn scan_clock<F>(
    text: &[u8],
    scratch: &mut Vec<u8>,
    entry: &mut F,
) -> Result<(), ClockJsonError>
where
    F: FnMut(&[u8], u32) -> Result<(), ClockJsonErrorKind>,
{
    if is_escaped_variant(text) {
        // The TLA+ variant: undo one level of string escaping, then scan plain JSON.
        let mut unescaped = Vec::with_capacity(text.len());
        let mut i = 0;
        while i < text.len() {
            if text[i] == b'\\' && i + 1 < text.len() && matches!(text[i + 1], b'"' | b'\\') {
                unescaped.push(text[i + 1]);
                i += 2;
            } else {
                unescaped.push(text[i]);
                i += 1;
            }
        }
        return Scanner {
            text: &unescaped,
            pos: 0,
        }
        .object(scratch, entry);
    }
    Scanner { text, pos: 0 }.object(scratch, entry)
}

/// `{\"` after optional whitespace: a clock printed as the contents of a JSON/TLA+ string.
fn is_escaped_variant(text: &[u8]) -> bool {
    let rest = trim_start(text);
    rest.len() >= 3 && rest[0] == b'{' && {
        let inner = trim_start(&rest[1..]);
        inner.starts_with(b"\\\"")
    }
}

fn trim_start(text: &[u8]) -> &[u8] {
    let skip = text
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .count();
    &text[skip..]
}

/// Parses a clock into `(name, value)` pairs, in the order written.
///
/// This is the scanner the log reader uses, exposed for tools and fuzzing; entries with
/// value 0 are kept as written.
///
/// ```
/// use causet_log::parse_clock_json;
///
/// let clock = parse_clock_json(r#"{"alice":2, "bob":1}"#)?;
/// assert_eq!(clock, vec![("alice".to_string(), 2), ("bob".to_string(), 1)]);
/// // The TLA+ variant, with escaped quotes:
/// assert_eq!(parse_clock_json(r#"{\"w1\":1}"#)?, vec![("w1".to_string(), 1)]);
/// // CppVector's unquoted keys are not JSON:
/// assert!(parse_clock_json("{myPID: 1}").is_err());
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_clock_json(text: &str) -> Result<Vec<(String, u32)>, ClockJsonError> {
    let mut out: Vec<(String, u32)> = Vec::new();
    let mut scratch = Vec::new();
    scan_clock(text.as_bytes(), &mut scratch, &mut |name, value| {
        let name = std::str::from_utf8(name).map_err(|_| ClockJsonErrorKind::InvalidUtf8)?;
        if out.iter().any(|(seen, _)| seen == name) {
            return Err(ClockJsonErrorKind::DuplicateKey(name.to_string()));
        }
        out.push((name.to_string(), value));
        Ok(())
    })?;
    Ok(out)
}

struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn error(&self, kind: ClockJsonErrorKind) -> ClockJsonError {
        ClockJsonError {
            column: self.pos + 1,
            kind,
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn object<F>(mut self, scratch: &mut Vec<u8>, entry: &mut F) -> Result<(), ClockJsonError>
    where
        F: FnMut(&[u8], u32) -> Result<(), ClockJsonErrorKind>,
    {
        self.skip_whitespace();
        if self.peek() != Some(b'{') {
            return Err(self.error(match self.peek() {
                None => ClockJsonErrorKind::UnexpectedEnd,
                Some(_) => ClockJsonErrorKind::ExpectedObject,
            }));
        }
        self.pos += 1;
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return self.end();
        }
        loop {
            self.skip_whitespace();
            let key_column = self.pos;
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error(ClockJsonErrorKind::UnexpectedEnd)),
                Some(_) => return Err(self.error(ClockJsonErrorKind::UnquotedKey)),
            }
            self.pos += 1;
            let key_start = self.pos;
            // Fast path: a name without escapes is a slice of the input.
            let Some(quote) = memchr::memchr2(b'"', b'\\', &self.text[self.pos..]) else {
                self.pos = self.text.len();
                return Err(self.error(ClockJsonErrorKind::UnexpectedEnd));
            };
            let escaped = self.text[self.pos + quote] == b'\\';
            let key: &[u8] = if escaped {
                self.string_with_escapes(key_start, scratch)?;
                scratch
            } else {
                self.pos += quote + 1;
                &self.text[key_start..self.pos - 1]
            };
            if key.iter().any(|&b| b < 0x20) {
                return Err(ClockJsonError {
                    column: key_column + 1,
                    kind: ClockJsonErrorKind::BadEscape,
                });
            }
            if key.is_empty() {
                return Err(ClockJsonError {
                    column: key_column + 1,
                    kind: ClockJsonErrorKind::EmptyKey,
                });
            }
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error(ClockJsonErrorKind::ExpectedColon));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.number()?;
            entry(key, value).map_err(|kind| ClockJsonError {
                column: key_column + 1,
                kind,
            })?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return self.end();
                }
                None => return Err(self.error(ClockJsonErrorKind::UnexpectedEnd)),
                Some(_) => return Err(self.error(ClockJsonErrorKind::ExpectedCommaOrEnd)),
            }
        }
    }

    fn end(mut self) -> Result<(), ClockJsonError> {
        self.skip_whitespace();
        if self.pos < self.text.len() {
            return Err(self.error(ClockJsonErrorKind::TrailingText));
        }
        Ok(())
    }

    fn number(&mut self) -> Result<u32, ClockJsonError> {
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = value * 10 + u64::from(digit - b'0');
            if value > u64::from(u32::MAX) {
                self.pos = start;
                return Err(self.error(ClockJsonErrorKind::TooLarge));
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error(match self.peek() {
                Some(b'-') => ClockJsonErrorKind::NotAnInteger,
                None => ClockJsonErrorKind::UnexpectedEnd,
                Some(_) => ClockJsonErrorKind::ExpectedNumber,
            }));
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return Err(self.error(ClockJsonErrorKind::NotAnInteger));
        }
        if self.pos - start > 1 && self.text[start] == b'0' {
            // JSON has no leading zeros (`007`), and neither has the clock crate's parser.
            self.pos = start;
            return Err(self.error(ClockJsonErrorKind::LeadingZero));
        }
        // `value <= u32::MAX` was checked digit by digit above.
        Ok(u32::try_from(value).unwrap_or(u32::MAX))
    }

    /// Decodes a JSON string with escapes into `out`; `self.pos` is inside the string.
    fn string_with_escapes(
        &mut self,
        start: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), ClockJsonError> {
        out.clear();
        self.pos = start;
        loop {
            let Some(byte) = self.peek() else {
                return Err(self.error(ClockJsonErrorKind::UnexpectedEnd));
            };
            self.pos += 1;
            match byte {
                b'"' => return Ok(()),
                b'\\' => {
                    let Some(escape) = self.peek() else {
                        return Err(self.error(ClockJsonErrorKind::UnexpectedEnd));
                    };
                    self.pos += 1;
                    match escape {
                        b'"' | b'\\' | b'/' => out.push(escape),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                // A surrogate pair: `\uD83D\uDE00`.
                                if self.text.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return Err(self.error(ClockJsonErrorKind::BadEscape));
                                }
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(self.error(ClockJsonErrorKind::BadEscape));
                                }
                                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                high
                            };
                            let Some(ch) = char::from_u32(code) else {
                                return Err(self.error(ClockJsonErrorKind::BadEscape));
                            };
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.error(ClockJsonErrorKind::BadEscape));
                        }
                    }
                }
                _ => out.push(byte),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ClockJsonError> {
        let Some(digits) = self.text.get(self.pos..self.pos + 4) else {
            return Err(self.error(ClockJsonErrorKind::UnexpectedEnd));
        };
        let mut value = 0u32;
        for &digit in digits {
            let Some(d) = (digit as char).to_digit(16) else {
                return Err(self.error(ClockJsonErrorKind::BadEscape));
            };
            value = value * 16 + d;
        }
        self.pos += 4;
        Ok(value)
    }
}
