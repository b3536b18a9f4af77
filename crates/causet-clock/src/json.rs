//! The GoVector/ShiViz JSON clock: a hand-written parser (no JSON library needed) and the
//! key escaping used by `Display`.
//!
//! Grammar accepted (RFC 8259 JSON, restricted to what a clock can be):
//!
//! ```text
//! clock   = ws "{" ws [ entry *( ws "," ws entry ) ] ws "}" ws
//! entry   = string ws ":" ws counter
//! counter = "0" / [1-9] *DIGIT                 ; at most u64::MAX
//! ```
//!
//! Strings take every JSON escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`,
//! `\uXXXX` with surrogate pairs). Negative counters (also `-0`), leading zeros, fractions, exponents, and non-number
//! values are rejected with [`ParseErrorKind`]s naming the node. A node appearing twice is an
//! error; zero counters are accepted and dropped (absent = 0). The TLA+ variant, whose
//! quotes are escaped once more (`{\"w1\":1}`, as TLC prints a string holding JSON), is
//! read as the clock it escapes.
//!
//! This is the one clock grammar of the workspace. `causet-log`'s allocation-free scanner
//! (the log reader's) accepts exactly these texts but for three rules of its own: counters
//! below 2^32, and node names that are not empty and hold no control character (a log's
//! names are shown on terminals); a property test in `causet-log`
//! (`tests/log/clock_grammar.rs`) holds the two to that.

use std::fmt;

use crate::VersionVector;
use crate::error::{ParseError, ParseErrorKind};

/// Longest quote of offending text put in an error message.
const QUOTE: usize = 24;

/// Parses one JSON clock object, or the TLA+ variant whose quotes are escaped once more
/// (`{\"w1\":1}`, as TLC prints a string holding JSON; error columns are then those of the
/// text with that one level of escaping undone).
pub(crate) fn parse_clock(text: &str) -> Result<VersionVector<String>, ParseError> {
    match unescape_tla(text) {
        Some(plain) => parse_plain(&plain),
        None => parse_plain(text),
    }
}

/// The text with one level of `\"` and `\\` escaping undone, if it is the TLA+ variant:
/// `{` and then `\"` after optional whitespace.
fn unescape_tla(text: &str) -> Option<String> {
    let rest = text.trim_start_matches([' ', '\t', '\n', '\r']);
    let inner = rest
        .strip_prefix('{')?
        .trim_start_matches([' ', '\t', '\n', '\r']);
    if !inner.starts_with("\\\"") {
        return None;
    }
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next @ ('"' | '\\'))) => {
                plain.push(next);
                chars.next();
            }
            _ => plain.push(c),
        }
    }
    Some(plain)
}

fn parse_plain(text: &str) -> Result<VersionVector<String>, ParseError> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    parser.clock()
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, at: usize, kind: ParseErrorKind) -> ParseError {
        ParseError {
            column: at + 1,
            kind,
        }
    }

    /// A short quote of the text at `at`, for "found ..." messages.
    fn quote(&self, at: usize) -> String {
        let rest = self.text.get(at..).unwrap_or("");
        match rest.chars().next() {
            None => "end of input".to_owned(),
            Some(c) => format!("{c:?}"),
        }
    }

    fn expected(&self, expected: &'static str) -> ParseError {
        self.error(
            self.pos,
            ParseErrorKind::Expected {
                expected,
                found: self.quote(self.pos),
            },
        )
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn clock(&mut self) -> Result<VersionVector<String>, ParseError> {
        self.skip_ws();
        if !self.eat(b'{') {
            return Err(self.expected("'{' (a clock is a JSON object)"));
        }
        // (node, counter, column) in input order; `sorted` tracks whether the keys came
        // strictly increasing (GoVector writes them so), which rules out duplicates and
        // saves the sort.
        let mut entries: Vec<(String, u64, usize)> = Vec::new();
        let mut sorted = true;
        self.skip_ws();
        if !self.eat(b'}') {
            loop {
                self.skip_ws();
                let at = self.pos;
                if self.bytes.get(self.pos) != Some(&b'"') {
                    return Err(self.expected("a quoted node name"));
                }
                let node = self.string()?;
                self.skip_ws();
                if !self.eat(b':') {
                    return Err(self.expected("':' after the node name"));
                }
                self.skip_ws();
                let counter = self.counter(&node)?;
                if let Some((last, _, _)) = entries.last() {
                    sorted &= *last < node;
                }
                entries.push((node, counter, at));
                self.skip_ws();
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b'}') {
                    break;
                }
                return Err(self.expected("',' or '}'"));
            }
        }
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.expected("end of input after the clock"));
        }
        if !sorted {
            entries.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
            if let Some(pair) = entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
                return Err(self.error(
                    pair[1].2,
                    ParseErrorKind::DuplicateNode {
                        node: pair[1].0.clone(),
                    },
                ));
            }
        }
        Ok(VersionVector::from_sorted_unchecked(
            entries.into_iter().map(|(node, n, _)| (node, n)),
        ))
    }

    /// A JSON string starting at the opening quote.
    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run of plain characters in one go.
            let run = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Slicing at ASCII bytes keeps UTF-8 boundaries intact.
            out.push_str(&self.text[run..self.pos]);
            match self.bytes.get(self.pos) {
                None => {
                    return Err(self.error(
                        start,
                        ParseErrorKind::InvalidString {
                            reason: "missing closing quote",
                        },
                    ));
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let at = self.pos;
                    self.pos += 1;
                    let escaped = match self.bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape(at)?;
                            out.push(c);
                            continue;
                        }
                        _ => {
                            return Err(self.error(
                                at,
                                ParseErrorKind::InvalidString {
                                    reason: "unknown escape",
                                },
                            ));
                        }
                    };
                    self.pos += 1;
                    out.push(escaped);
                }
                Some(_) => {
                    return Err(self.error(
                        self.pos,
                        ParseErrorKind::InvalidString {
                            reason: "raw control character (must be escaped)",
                        },
                    ));
                }
            }
        }
    }

    /// After `\u`: four hex digits, or a surrogate pair `\uD8xx\uDCxx`.
    fn unicode_escape(&mut self, at: usize) -> Result<char, ParseError> {
        let lone = |p: &Self| {
            p.error(
                at,
                ParseErrorKind::InvalidString {
                    reason: "lone surrogate in \\u escape",
                },
            )
        };
        let first = self.hex4(at)?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(lone(self));
                }
                self.pos += 2;
                let second = self.hex4(at)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(lone(self));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(lone(self)),
            _ => first,
        };
        char::from_u32(code).ok_or_else(|| lone(self))
    }

    fn hex4(&mut self, at: usize) -> Result<u32, ParseError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        match digits {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.error(
                at,
                ParseErrorKind::InvalidString {
                    reason: "\\u must be followed by 4 hex digits",
                },
            )),
        }
    }

    /// A counter: a non-negative integer that fits in 64 bits.
    fn counter(&mut self, node: &str) -> Result<u64, ParseError> {
        let start = self.pos;
        let negative = self.eat(b'-');
        let digits_start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        let digits = &self.text[digits_start..self.pos];
        let is_number = !digits.is_empty();
        // A fraction or exponent makes it a JSON number that is not an integer.
        let mut fraction = false;
        if is_number {
            while let Some(b'.' | b'e' | b'E' | b'+' | b'-' | b'0'..=b'9') =
                self.bytes.get(self.pos)
            {
                fraction = true;
                self.pos += 1;
            }
        }
        if !is_number || fraction {
            // Not a number at all (string, true, null, object, ...) or not an integer:
            // quote up to the next separator.
            let end = self.text[start..]
                .find([',', '}'])
                .map_or(self.text.len(), |k| start + k);
            let mut text = self.text[start..end].trim_end().to_owned();
            if text.is_empty() {
                return Err(self.expected("a counter"));
            }
            if text.len() > QUOTE {
                let mut cut = QUOTE;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push('…');
            }
            return Err(self.error(
                start,
                ParseErrorKind::NotAnInteger {
                    node: node.to_owned(),
                    text,
                },
            ));
        }
        let text = &self.text[start..self.pos];
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(self.error(
                start,
                ParseErrorKind::Expected {
                    expected: "a counter without leading zeros",
                    found: text.to_owned(),
                },
            ));
        }
        let value = digits.parse::<u64>().map_err(|_| {
            self.error(
                start,
                ParseErrorKind::CounterOverflow {
                    node: node.to_owned(),
                    text: text.to_owned(),
                },
            )
        });
        // `-0` is refused too: serde_json reads it as the float -0.0, and both parsers of
        // the crate must accept exactly the same texts.
        if negative {
            return Err(self.error(
                start,
                ParseErrorKind::NegativeCounter {
                    node: node.to_owned(),
                    text: text.to_owned(),
                },
            ));
        }
        value
    }
}

/// A `fmt::Write` adapter that JSON-escapes what is written through it (for keys).
pub(crate) struct Escaper<'a, 'b>(pub(crate) &'a mut fmt::Formatter<'b>);

impl fmt::Write for Escaper<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, c) in s.char_indices() {
            let escape = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if (c as u32) < 0x20 => "",
                _ => continue,
            };
            self.0.write_str(&s[plain..i])?;
            if escape.is_empty() {
                write!(self.0, "\\u{:04x}", c as u32)?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = i + c.len_utf8();
        }
        self.0.write_str(&s[plain..])
    }
}

/// The GoVector/ShiViz clock object, keys sorted, `", "` between entries:
/// `{"alice":2, "bob":1}`. Keys are the ids' `Display` text, JSON-escaped.
impl<Id: fmt::Display> fmt::Display for VersionVector<Id> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        f.write_char('{')?;
        for (k, (id, n)) in self.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            f.write_char('"')?;
            write!(Escaper(f), "{id}")?;
            write!(f, "\":{n}")?;
        }
        f.write_char('}')
    }
}

impl std::str::FromStr for VersionVector<String> {
    type Err = ParseError;

    /// Parses a GoVector/ShiViz JSON clock such as `{"alice":2, "bob":1}` (see the
    /// crate docs for the exact grammar).
    fn from_str(text: &str) -> Result<Self, ParseError> {
        parse_clock(text)
    }
}
