//! ShiViz layouts: a parser regex with named groups, matched over the whole text, and an
//! optional multi-execution delimiter.
//!
//! ShiViz compiles its regexes as JavaScript regexes in multi-line mode. The `regex` crate
//! reads the same named-group syntax `(?<host>…)`; the one difference that real ShiViz
//! regexes hit is a `{` that does not start a repetition (`(?<clock>{.*})`), which
//! JavaScript takes literally and [`translate_js_regex`] escapes.

use std::path::Path;

use regex::{Regex, RegexBuilder};

use super::error::{LogError, LogErrorKind};
use super::model::{ExecutionBuilder, Log};

/// Rewrites a JavaScript regex into the `regex` crate's syntax: a `{` or `}` that is not
/// part of a `{n}`, `{n,}` or `{n,m}` repetition is escaped. Character classes and escapes
/// are copied as they are.
///
/// ```
/// use causet_trace::log::translate_js_regex;
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

fn compile(js: &str) -> Result<Regex, String> {
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

/// Counts lines as offsets move forward through the text.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The 1-based line (relative to the text) holding byte `offset`; offsets must not go
    /// backwards between calls.
    fn line_at(&mut self, offset: usize) -> u64 {
        if offset > self.offset {
            self.line += memchr::memchr_iter(b'\n', &self.text[self.offset..offset]).count() as u64;
            self.offset = offset;
        }
        self.line
    }
}

/// Reads `text` (the file after `header_lines` header lines) with a ShiViz regex.
pub(crate) fn read_with_regex(
    file: &Path,
    text: &str,
    header_lines: u64,
    regex: &str,
    delimiter: Option<&str>,
    strict: bool,
) -> Result<Log, LogError> {
    let error = |line, kind, excerpt: &str| LogError::new(file, line, kind, excerpt.as_bytes());
    let parser = compile(regex).map_err(|why| error(None, LogErrorKind::Regex(why), regex))?;
    let names: Vec<&str> = parser.capture_names().flatten().collect();
    for required in ["host", "clock"] {
        if !names.contains(&required) {
            return Err(error(
                None,
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
    let delimiter = match delimiter {
        Some(delimiter) => Some(
            compile(delimiter)
                .map_err(|why| error(None, LogErrorKind::Delimiter(why), delimiter))?,
        ),
        None => None,
    };
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
    if let Some(delimiter) = &delimiter {
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

    let mut log = Log::default();
    let mut lines = LineCounter {
        text: text.as_bytes(),
        offset: 0,
        line: header_lines + 1,
    };
    let report = |log: &mut Log, lines: &mut LineCounter<'_>, from: usize, to: usize| {
        // Every non-blank line of text[from..to] matched nothing.
        let gap = &text[from..to];
        let mut offset = from;
        for piece in gap.split_inclusive('\n') {
            if !piece.trim().is_empty() {
                let line = lines.line_at(offset);
                if strict {
                    return Err(error(
                        Some(line),
                        LogErrorKind::Unmatched {
                            first: line,
                            last: line,
                        },
                        piece.trim_end(),
                    ));
                }
                log.note_unmatched(line, line, piece.trim_end().as_bytes());
            }
            offset += piece.len();
        }
        Ok(())
    };
    for (name, start, end) in segments {
        let segment = &text[start..end];
        if segment.trim().is_empty() {
            continue;
        }
        let mut builder = ExecutionBuilder::new(name, field_names.clone());
        builder.set_cell_limit(text.len() as u64);
        let mut position = start;
        for captures in parser.captures_iter(segment) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let (match_start, match_end) = (start + whole.start(), start + whole.end());
            if match_end == match_start {
                continue;
            }
            report(&mut log, &mut lines, position, match_start)?;
            position = match_end;
            let group = |name: &str| captures.name(name).map_or("", |m| m.as_str());
            let clock_offset = captures
                .name("clock")
                .map_or(match_start, |m| start + m.start());
            let host = group("host");
            let fields: Vec<&str> = field_names.iter().map(|name| group(name)).collect();
            let line = lines.line_at(match_start);
            builder
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
                    error(
                        Some(clock_line),
                        kind,
                        &format!("{host} {}", group("clock")),
                    )
                })?;
        }
        report(&mut log, &mut lines, position, end)?;
        if builder.len() > 0 {
            log.executions.push(builder.finish());
        }
    }
    Ok(log)
}
