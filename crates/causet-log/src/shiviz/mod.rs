//! ShiViz layouts: a parser regex with named groups, matched over the whole text, and an
//! optional multi-execution delimiter.
//!
//! Matches of a layout may span lines; [`stream`] reads a file through a window of whole
//! lines when [`bound`] shows how many a match can hold.

use std::path::Path;

use regex::{Regex, RegexBuilder};

use crate::error::{LogError, LogErrorKind};
use crate::model::{ExecutionBuilder, Log};

mod bound;
mod stream;

pub(crate) use bound::newline_bound;
pub(crate) use stream::{MAX_WINDOW, read_streaming};

/// Rewrites a JavaScript regex into the `regex` crate's syntax: a `{` or `}` that is not
/// part of a `{n}`, `{n,}` or `{n,m}` repetition is escaped. Character classes and escapes
/// are copied as they are.
///
/// ```
/// use causet_log::translate_js_regex;
///
/// assert_eq!(translate_js_regex(r"(?<clock>{.*})"), r"(?<clock>\{.*\})");
/// assert_eq!(translate_js_regex(r"\d{1,3}"), r"\d{1,3}");
/// ```
pub fn translate_js_regex(js: &str) -> String {
    let chars: Vec<char> = js.chars().collect();
    let mut out = String::with_capacity(js.len() + 8);
    let mut in_class = false;
    // Whether the previous token can carry a repetition.
    let mut after_atom = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push('\\');
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                    i += 1;
                }
                after_atom = true;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is literal.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
                after_atom = true;
            }
            _ if in_class => out.push(c),
            '{' => {
                let quantifier_len = repetition_len(&chars[i..]);
                match quantifier_len {
                    Some(len) if after_atom => {
                        out.extend(&chars[i..i + len]);
                        i += len - 1;
                        after_atom = false;
                    }
                    _ => {
                        out.push_str("\\{");
                        after_atom = true;
                    }
                }
            }
            '}' => {
                out.push_str("\\}");
                after_atom = true;
            }
            '(' | '|' => {
                out.push(c);
                after_atom = false;
            }
            '*' | '+' | '?' => {
                out.push(c);
                after_atom = false;
            }
            _ => {
                out.push(c);
                after_atom = true;
            }
        }
        i += 1;
    }
    out
}

/// Length of a `{n}`, `{n,}` or `{n,m}` at the start of `chars`.
fn repetition_len(chars: &[char]) -> Option<usize> {
    let mut i = 1;
    let digits = |i: &mut usize| {
        let start = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    if chars.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    (chars.get(i) == Some(&'}')).then_some(i + 1)
}

/// How many compiled regexes each thread keeps for reuse, and the longest source kept (a
/// regex's compiled size is capped by `size_limit`, so the cache holds at most a few of them).
const COMPILED_CACHE: usize = 4;
const COMPILED_CACHE_SOURCE: usize = 1 << 10;

thread_local! {
    /// The regexes this thread compiled last, newest last: a program (or a test, or the
    /// fuzzer) reading many logs with the same layout compiles it once. `Regex` clones
    /// share the compiled program.
    static COMPILED: std::cell::RefCell<Vec<(String, Regex)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Compiles the JavaScript regex `js` (see [`translate_js_regex`]), or reuses this thread's
/// copy of it.
fn compile(js: &str) -> Result<Regex, String> {
    let cached = COMPILED.with_borrow(|cache| {
        cache
            .iter()
            .find(|(source, _)| source == js)
            .map(|(_, regex)| regex.clone())
    });
    if let Some(regex) = cached {
        return Ok(regex);
    }
    let regex = compile_uncached(js)?;
    if js.len() > COMPILED_CACHE_SOURCE {
        return Ok(regex);
    }
    COMPILED.with_borrow_mut(|cache| {
        if cache.len() == COMPILED_CACHE {
            cache.remove(0);
        }
        cache.push((js.to_string(), regex.clone()));
    });
    Ok(regex)
}

fn compile_uncached(js: &str) -> Result<Regex, String> {
    RegexBuilder::new(&translate_js_regex(js))
        .multi_line(true)
        .size_limit(1 << 24)
        .build()
        .map_err(|error| {
            // The last line of the regex crate's message says what is wrong.
            let text = error.to_string();
            text.lines().last().unwrap_or_default().trim().to_string()
        })
}

/// The compiled regexes of a ShiViz layout, and how many newlines their matches can hold.
pub(crate) struct Layout {
    parser: Regex,
    delimiter: Option<Regex>,
    field_names: Vec<String>,
    /// Most newlines in a match of the parser, of the delimiter; `None` when unbounded.
    parser_newlines: Option<usize>,
    delimiter_newlines: Option<usize>,
    /// Most bytes of undecided lines [`read_streaming`] holds ([`MAX_WINDOW`]; smaller in
    /// tests).
    window_limit: usize,
}

impl Layout {
    /// Compiles the parser regex and the delimiter, checking the parser's groups.
    pub(crate) fn new(file: &Path, regex: &str, delimiter: Option<&str>) -> Result<Self, LogError> {
        let error = |kind, excerpt: &str| LogError::new(file, None, kind, excerpt.as_bytes());
        let parser = compile(regex).map_err(|why| error(LogErrorKind::Regex(why), regex))?;
        let names: Vec<&str> = parser.capture_names().flatten().collect();
        for required in ["host", "clock"] {
            if !names.contains(&required) {
                return Err(error(
                    LogErrorKind::Regex(format!("it has no (?<{required}>…) group")),
                    regex,
                ));
            }
        }
        let field_names: Vec<String> = names
            .iter()
            .filter(|name| !matches!(**name, "host" | "clock" | "event"))
            .map(|name| name.to_string())
            .collect();
        let compiled_delimiter = match delimiter {
            Some(delimiter) => Some(
                compile(delimiter).map_err(|why| error(LogErrorKind::Delimiter(why), delimiter))?,
            ),
            None => None,
        };
        Ok(Layout {
            parser,
            field_names,
            parser_newlines: newline_bound(regex),
            delimiter_newlines: delimiter.and_then(newline_bound),
            delimiter: compiled_delimiter,
            window_limit: MAX_WINDOW,
        })
    }

    /// Whether [`read_streaming`] can read with this layout (both regexes bounded).
    pub(crate) fn streams(&self) -> bool {
        self.parser_newlines.is_some()
            && (self.delimiter.is_none() || self.delimiter_newlines.is_some())
    }
}

/// Counts lines as offsets move forward through a text (or a window onto it).
struct LineCounter {
    offset: usize,
    line: u64,
}

impl LineCounter {
    /// The 1-based line holding byte `offset` of `text`; offsets must not go backwards
    /// between calls.
    fn line_at(&mut self, text: &str, offset: usize) -> u64 {
        if offset > self.offset {
            self.line +=
                memchr::memchr_iter(b'\n', &text.as_bytes()[self.offset..offset]).count() as u64;
            self.offset = offset;
        }
        self.line
    }
}

/// Where the reading of a ShiViz layout stands, and what it has found.
struct Matcher<'a> {
    file: &'a Path,
    strict: bool,
    layout: &'a Layout,
    log: Log,
    builder: ExecutionBuilder,
    lines: LineCounter,
    /// Input size so far, which bounds the dense clocks (see `set_cell_limit`).
    input_bytes: u64,
}

impl<'a> Matcher<'a> {
    /// A matcher at the first line after the `header_lines` lines of the upload-file
    /// header, having seen `input_bytes` of input.
    fn new(
        file: &'a Path,
        strict: bool,
        layout: &'a Layout,
        header_lines: u64,
        input_bytes: u64,
    ) -> Self {
        Matcher {
            file,
            strict,
            layout,
            log: Log::default(),
            builder: ExecutionBuilder::new(String::new(), layout.field_names.clone()),
            lines: LineCounter {
                offset: 0,
                line: header_lines + 1,
            },
            input_bytes,
        }
    }

    fn error(&self, line: Option<u64>, kind: LogErrorKind, excerpt: &str) -> LogError {
        LogError::new(self.file, line, kind, excerpt.as_bytes())
    }

    /// Reports every non-blank line of `text[from..to]` as text that matched nothing.
    fn report(&mut self, text: &str, from: usize, to: usize) -> Result<(), LogError> {
        let mut offset = from;
        for piece in text[from..to].split_inclusive('\n') {
            if !piece.trim().is_empty() {
                let line = self.lines.line_at(text, offset);
                if self.strict {
                    return Err(self.error(
                        Some(line),
                        LogErrorKind::Unmatched {
                            first: line,
                            last: line,
                        },
                        piece.trim_end(),
                    ));
                }
                self.log
                    .note_unmatched(line, line, piece.trim_end().as_bytes());
            }
            offset += piece.len();
        }
        Ok(())
    }

    /// Adds the event of a parser match; `offset` is where `hay` starts in `text`.
    fn push(
        &mut self,
        text: &str,
        offset: usize,
        captures: &regex::Captures<'_>,
        whole: regex::Match<'_>,
    ) -> Result<(), LogError> {
        let match_start = offset + whole.start();
        let group = |name: &str| captures.name(name).map_or("", |m| m.as_str());
        let clock_offset = captures
            .name("clock")
            .map_or(match_start, |m| offset + m.start());
        let host = group("host");
        let fields: Vec<&str> = self
            .layout
            .field_names
            .iter()
            .map(|name| group(name))
            .collect();
        let line = self.lines.line_at(text, match_start);
        self.builder
            .push(
                host.as_bytes(),
                group("clock").as_bytes(),
                line,
                group("event").as_bytes(),
                &fields,
            )
            .map_err(|kind| {
                let clock_line = line
                    + memchr::memchr_iter(b'\n', &text.as_bytes()[match_start..clock_offset])
                        .count() as u64;
                LogError::new(
                    self.file,
                    Some(clock_line),
                    kind,
                    format!("{host} {}", group("clock")).as_bytes(),
                )
            })
    }

    /// Ends the current execution and starts one called `name`.
    fn next_execution(&mut self, name: String) {
        let mut next = ExecutionBuilder::new(name, self.layout.field_names.clone());
        next.set_cell_limit(self.input_bytes);
        let builder = std::mem::replace(&mut self.builder, next);
        if builder.len() > 0 {
            self.log.executions.push(builder.finish());
        }
    }
}

/// The byte after the character at `at` (or `at + 1` at the end).
fn next_char(text: &str, at: usize) -> usize {
    at + text[at..].chars().next().map_or(1, char::len_utf8)
}

/// Reads `text` (the file after `header_lines` header lines) with a ShiViz layout, matching
/// over the whole text.
pub(crate) fn read_with_regex(
    file: &Path,
    text: &str,
    header_lines: u64,
    layout: &Layout,
    strict: bool,
) -> Result<Log, LogError> {
    // ShiViz's `.` and `$` stop at `\n`; treat `\r\n` files the same way (lines keep their
    // numbers).
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n");
        normalized.as_str()
    } else {
        text
    };

    // The executions: (name, start, end), split by the delimiter as ShiViz does.
    let mut segments: Vec<(String, usize, usize)> = Vec::new();
    let mut name = String::new();
    let mut start = 0;
    if let Some(delimiter) = &layout.delimiter {
        for captures in delimiter.captures_iter(text) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            if whole.is_empty() {
                continue;
            }
            segments.push((std::mem::take(&mut name), start, whole.start()));
            name = captures
                .name("trace")
                .map_or(whole.as_str(), |m| m.as_str())
                .to_string();
            start = whole.end();
        }
    }
    segments.push((name, start, text.len()));

    let mut matcher = Matcher::new(file, strict, layout, header_lines, text.len() as u64);
    for (name, start, end) in segments {
        let segment = &text[start..end];
        if segment.trim().is_empty() {
            continue;
        }
        matcher.next_execution(name);
        let mut position = start;
        for captures in layout.parser.captures_iter(segment) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let (match_start, match_end) = (start + whole.start(), start + whole.end());
            if match_end == match_start {
                continue;
            }
            matcher.report(text, position, match_start)?;
            position = match_end;
            matcher.push(text, start, &captures, whole)?;
        }
        matcher.report(text, position, end)?;
    }
    matcher.next_execution(String::new());
    Ok(matcher.log)
}

#[cfg(test)]
mod tests {
    use super::{COMPILED, COMPILED_CACHE, compile};

    #[test]
    fn compiled_regexes_are_reused_and_the_cache_stays_small() {
        let first = compile(r"(?<host>\w+) x(?<n>\d)").unwrap();
        let again = compile(r"(?<host>\w+) x(?<n>\d)").unwrap();
        assert_eq!(first.as_str(), again.as_str());
        assert_eq!(again.captures("ab x7").unwrap()["n"].to_string(), "7");
        for i in 0..3 * COMPILED_CACHE {
            let regex = compile(&format!("a{{{i}}}b")).unwrap();
            assert!(regex.is_match(&format!("{}b", "a".repeat(i))));
            assert!(!regex.is_match(&format!("{}c", "a".repeat(i))));
        }
        assert_eq!(COMPILED.with_borrow(Vec::len), COMPILED_CACHE);
        // An error is reported each time, never cached as a success.
        assert!(compile("(unclosed").is_err());
        assert!(compile("(unclosed").is_err());
        // A long source is compiled but not kept.
        let long = "x".repeat(super::COMPILED_CACHE_SOURCE + 1);
        assert!(compile(&long).unwrap().is_match(&long));
        assert!(COMPILED.with_borrow(|cache| cache.iter().all(|(source, _)| source != &long)));
    }
}
