//! Streaming: a ShiViz layout read through a window of whole lines.
//!
//! ShiViz matches its regexes over the whole text, so a match may span lines. Most real
//! regexes cannot span more than a fixed number of lines: `(?<event>.*)\n(?<host>\S*)
//! (?<clock>{.*})` holds exactly one newline, since `.` and `\S` stop at one. For such a
//! regex (and delimiter), [`newline_bound`] finds that number K from the regex's syntax
//! tree, and [`read_streaming`] reads the file in chunks through a window of whole lines:
//! whether a match starts at a position q, and which one, depends only on the text from q
//! to the end of the K-th line after q's (a match holds at most K newlines, and `^`, `$`
//! and `\b` look one character around), so every position whose line has K complete lines
//! after it in the window is decided exactly as in the whole text, and the window can
//! drop what is decided. The results (events, lines, unmatched text, executions) are
//! those of the whole-text match. A regex whose matches can hold any number of newlines
//! (`[^ ]+`, `\s*`, `(?s).`) or that uses `\A`/`\z` is matched over the whole text.

use std::io::Read;
use std::path::Path;

use crate::error::{LogError, LogErrorKind};
use crate::model::Log;
use crate::progress::Progress;

use super::{Layout, Matcher, next_char};

/// Most bytes [`read_streaming`] holds at once beyond its read chunk: an entry with the
/// lines its regex may look at after it must fit.
pub(crate) const MAX_WINDOW: usize = 64 << 20;

/// Bytes read per call.
const STREAM_CHUNK: usize = 1 << 20;

/// The window of whole lines that [`read_streaming`] matches in, and its positions.
struct Window {
    text: String,
    /// Where the current execution's text starts, if still in the window (it may start
    /// mid-line, after a delimiter); otherwise the window starts at a line start inside it.
    segment_start: Option<usize>,
    /// Everything before `position` is matched or reported; parser searches resume here.
    position: usize,
    /// Text before `reported` is matched or reported as unmatched.
    reported: usize,
    /// No delimiter match starts between the execution's start and here.
    no_delimiter_before: usize,
    /// The next delimiter match (start, end, execution name), once decided.
    next_delimiter: Option<(usize, usize, String)>,
}

/// The position after the `(k + 1)`-th newline before `limit` (the end of `text`, or a line
/// start in it), counting back: every position before it lies in a line followed by at
/// least `k` complete lines before `limit`. 0 when there are not that many.
fn decided_before(text: &str, limit: usize, k: usize) -> usize {
    let mut end = limit;
    for _ in 0..=k {
        match memchr::memrchr(b'\n', &text.as_bytes()[..end]) {
            Some(newline) => end = newline,
            None => return 0,
        }
    }
    end + 1
}

/// The start of the line holding `offset`.
fn line_start(text: &str, offset: usize) -> usize {
    memchr::memrchr(b'\n', &text.as_bytes()[..offset]).map_or(0, |newline| newline + 1)
}

/// Reads the body of a ShiViz-layout log from `input` in chunks, with a layout whose
/// regexes are bounded ([`Layout::streams`]); `first` is what has been read already (the
/// header's `header_bytes` included). Gives the [`read_with_regex`] result of the whole
/// text, holding only a window of lines (see the module docs). With several problems in a
/// file, the first in file order is reported (invalid UTF-8 included).
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_streaming(
    file: &Path,
    input: &mut impl Read,
    first: Vec<u8>,
    header_bytes: usize,
    header_lines: u64,
    mut eof: bool,
    total: Option<u64>,
    layout: &Layout,
    strict: bool,
    progress: Progress<'_>,
) -> Result<Log, LogError> {
    let io = |error| LogError::new(file, None, LogErrorKind::Io(error), b"");
    if let Some(header) = first.get(..header_bytes)
        && let Err(error) = std::str::from_utf8(header)
    {
        let line = 1 + memchr::memchr_iter(b'\n', &header[..error.valid_up_to()]).count();
        return Err(LogError::new(
            file,
            Some(line as u64),
            LogErrorKind::InvalidUtf8,
            b"",
        ));
    }
    let mut read_so_far = first.len() as u64;
    let mut raw = first;
    raw.drain(..header_bytes.min(raw.len()));
    let mut matcher = Matcher::new(file, strict, layout, header_lines, read_so_far);
    let mut window = Window {
        text: String::new(),
        segment_start: Some(0),
        position: 0,
        reported: 0,
        no_delimiter_before: 0,
        next_delimiter: None,
    };
    // The line at the window's end (for errors in text not yet in it).
    let mut end_line = header_lines + 1;
    let mut chunk = vec![0u8; STREAM_CHUNK];
    loop {
        append(file, &mut window.text, &mut raw, eof, &mut end_line)?;
        matcher.input_bytes = read_so_far;
        matcher.builder.set_cell_limit(read_so_far);
        advance(&mut matcher, &mut window, eof)?;
        if eof {
            break;
        }
        drop_decided(&mut matcher, &mut window);
        // What stays after dropping the decided text: the undecided lines, and a line
        // without its end yet.
        if window.text.len() > layout.window_limit || raw.len() > layout.window_limit + STREAM_CHUNK
        {
            let line = matcher.lines.line_at(&window.text, window.position);
            let rest = window.text.get(window.position..).unwrap_or_default();
            let excerpt = rest
                .char_indices()
                .nth(80)
                .map_or(rest, |(at, _)| &rest[..at]);
            return Err(matcher.error(
                Some(line),
                LogErrorKind::EntryTooLong {
                    limit: layout.window_limit,
                },
                excerpt,
            ));
        }
        let n = loop {
            match input.read(&mut chunk) {
                Ok(n) => break n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(io(error)),
            }
        };
        raw.extend_from_slice(&chunk[..n]);
        read_so_far += n as u64;
        progress(read_so_far, total);
        eof = n == 0;
    }
    matcher.next_execution(String::new());
    Ok(matcher.log)
}

/// Moves the complete lines of `raw` (all of it at end of input) into the window, with
/// `\r\n` made `\n` and checked to be UTF-8.
fn append(
    file: &Path,
    window: &mut String,
    raw: &mut Vec<u8>,
    eof: bool,
    end_line: &mut u64,
) -> Result<(), LogError> {
    let end = if eof {
        raw.len()
    } else {
        match memchr::memrchr(b'\n', raw) {
            Some(newline) => newline + 1,
            None => return Ok(()),
        }
    };
    let piece = &raw[..end];
    let normalized;
    let piece = if memchr::memchr(b'\r', piece).is_some() {
        let mut out = Vec::with_capacity(piece.len());
        let mut rest = piece;
        while let Some(at) = memchr::memmem::find(rest, b"\r\n") {
            out.extend_from_slice(&rest[..at]);
            rest = &rest[at + 1..];
        }
        out.extend_from_slice(rest);
        normalized = out;
        &normalized[..]
    } else {
        piece
    };
    match std::str::from_utf8(piece) {
        Ok(text) => window.push_str(text),
        Err(error) => {
            let line = *end_line
                + memchr::memchr_iter(b'\n', &piece[..error.valid_up_to()]).count() as u64;
            return Err(LogError::new(
                file,
                Some(line),
                LogErrorKind::InvalidUtf8,
                b"",
            ));
        }
    }
    *end_line += memchr::memchr_iter(b'\n', piece).count() as u64;
    raw.drain(..end);
    Ok(())
}

/// Matches, pushes and reports everything the window decides (all of it at end of input).
fn advance(matcher: &mut Matcher<'_>, window: &mut Window, eof: bool) -> Result<(), LogError> {
    let layout = matcher.layout;
    loop {
        let text = window.text.as_str();
        // The next delimiter match, once no later text can change it.
        if let (Some(delimiter), None) = (&layout.delimiter, &window.next_delimiter) {
            let decided = if eof {
                text.len()
            } else {
                decided_before(text, text.len(), layout.delimiter_newlines.unwrap_or(0))
            };
            let mut from = window.no_delimiter_before;
            while from <= text.len() {
                let Some(captures) = delimiter.captures_at(text, from) else {
                    break;
                };
                let Some(whole) = captures.get(0) else {
                    break;
                };
                if whole.start() >= decided {
                    break;
                }
                if whole.is_empty() {
                    from = next_char(text, whole.start());
                    continue;
                }
                let name = captures
                    .name("trace")
                    .map_or(whole.as_str(), |m| m.as_str())
                    .to_string();
                window.next_delimiter = Some((whole.start(), whole.end(), name));
                break;
            }
            if window.next_delimiter.is_none() {
                window.no_delimiter_before = window.no_delimiter_before.max(decided);
            }
        } else if layout.delimiter.is_none() {
            // No delimiter anywhere: nothing holds the window back but the parser.
            window.no_delimiter_before = text.len();
        }
        // The parser, over the execution's text known so far.
        let hay_start = window.segment_start.unwrap_or(0);
        let (hay_end, complete) = match &window.next_delimiter {
            Some((start, _, _)) => (*start, true),
            None => (text.len(), eof),
        };
        let accept = if complete {
            hay_end
        } else {
            let free = if layout.delimiter.is_some() {
                line_start(text, window.no_delimiter_before)
            } else {
                text.len()
            };
            decided_before(text, free, layout.parser_newlines.unwrap_or(0))
        };
        let hay = &text[hay_start..hay_end];
        while window.position <= hay_end {
            let Some(captures) = layout.parser.captures_at(hay, window.position - hay_start) else {
                break;
            };
            let Some(whole) = captures.get(0) else {
                break;
            };
            let (match_start, match_end) = (hay_start + whole.start(), hay_start + whole.end());
            if !complete && match_start >= accept {
                break;
            }
            if match_start == match_end {
                window.position = next_char(text, match_start);
                continue;
            }
            matcher.report(text, window.reported, match_start)?;
            matcher.push(text, hay_start, &captures, whole)?;
            window.reported = match_end;
            window.position = match_end;
        }
        if !complete {
            if accept > window.reported {
                matcher.report(text, window.reported, accept)?;
                window.reported = accept;
            }
            window.position = window.position.max(window.reported);
            return Ok(());
        }
        matcher.report(text, window.reported, hay_end)?;
        let Some((_, end, name)) = window.next_delimiter.take() else {
            window.reported = hay_end;
            window.position = hay_end;
            return Ok(());
        };
        matcher.next_execution(name);
        window.segment_start = Some(end);
        window.position = end;
        window.reported = end;
        window.no_delimiter_before = end;
    }
}

/// Drops the window's decided text, keeping the line that holds the first undecided
/// position (for the context of `^` and `\b`).
fn drop_decided(matcher: &mut Matcher<'_>, window: &mut Window) {
    let text = &window.text;
    let keep = window.reported.min(window.no_delimiter_before);
    let cut = line_start(text, keep);
    if cut == 0 {
        return;
    }
    matcher.lines.line_at(text, cut);
    matcher.lines.offset -= cut;
    window.text.drain(..cut);
    window.segment_start = window
        .segment_start
        .and_then(|start| start.checked_sub(cut));
    window.position -= cut;
    window.reported -= cut;
    window.no_delimiter_before -= cut;
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::io::Read;
    use std::path::Path;

    use super::super::{Layout, read_with_regex};
    use super::read_streaming;
    use crate::{GenerateOptions, Log, LogError, SHIVIZ_DEFAULT_REGEX, generate_log};

    const DELIMITER: &str = r"^=== (?<trace>.*) ===$";

    /// Hands out its input in pieces whose sizes cycle through `sizes`.
    struct Pieces<'a> {
        input: &'a [u8],
        sizes: &'a [usize],
        next: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let size = self.sizes[self.next % self.sizes.len()];
            self.next += 1;
            let n = size.min(buf.len()).min(self.input.len());
            buf[..n].copy_from_slice(&self.input[..n]);
            self.input = &self.input[n..];
            Ok(n)
        }
    }

    /// Everything a read gives, through the public API, as text.
    fn describe(result: &Result<Log, LogError>) -> String {
        let log = match result {
            Ok(log) => log,
            Err(error) => return format!("error at {:?}: {}", error.line, error.kind),
        };
        let mut out = String::new();
        for execution in &log.executions {
            let _ = writeln!(
                out,
                "execution {:?} nodes {:?} fields {:?}",
                execution.name(),
                execution.nodes(),
                execution.field_names()
            );
            for event in execution.events() {
                let fields: Vec<_> = execution
                    .field_names()
                    .iter()
                    .map(|name| execution.field(event.index, name))
                    .collect();
                let _ = writeln!(out, "{event:?} {fields:?}");
            }
        }
        let _ = writeln!(out, "unmatched {:?} {}", log.unmatched, log.unmatched_lines);
        out
    }

    fn whole(text: &str, regex: &str, delimiter: Option<&str>, strict: bool) -> String {
        let file = Path::new("<test>");
        let result = Layout::new(file, regex, delimiter)
            .and_then(|layout| read_with_regex(file, text, 0, &layout, strict));
        describe(&result)
    }

    fn streamed(
        text: &[u8],
        regex: &str,
        delimiter: Option<&str>,
        strict: bool,
        sizes: &[usize],
    ) -> String {
        streamed_within(text, regex, delimiter, strict, sizes, super::MAX_WINDOW)
    }

    fn streamed_within(
        text: &[u8],
        regex: &str,
        delimiter: Option<&str>,
        strict: bool,
        sizes: &[usize],
        window_limit: usize,
    ) -> String {
        let file = Path::new("<test>");
        let result = Layout::new(file, regex, delimiter).and_then(|mut layout| {
            assert!(layout.streams(), "{regex} {delimiter:?}");
            layout.window_limit = window_limit;
            read_streaming(
                file,
                &mut Pieces {
                    input: text,
                    sizes,
                    next: 0,
                },
                Vec::new(),
                0,
                0,
                false,
                None,
                &layout,
                strict,
                &mut |_, _| {},
            )
        });
        describe(&result)
    }

    /// Streaming in pieces of each size gives what matching the whole text gives.
    fn agree(text: &str, regex: &str, delimiter: Option<&str>, strict: bool, sizes: &[usize]) {
        let expected = whole(text, regex, delimiter, strict);
        for &size in sizes {
            let got = streamed(text.as_bytes(), regex, delimiter, strict, &[size]);
            assert_eq!(got, expected, "pieces of {size} bytes, regex {regex}");
        }
        let got = streamed(
            text.as_bytes(),
            regex,
            delimiter,
            strict,
            &[1, 5, 64, 3, 700],
        );
        assert_eq!(got, expected, "mixed pieces, regex {regex}");
    }

    /// A generated execution in ShiViz's default layout (event line first), with
    /// delimiters, stray text, blank lines and CRLF line ends here and there; `entry` lays
    /// out one event from its clock line and text.
    fn shiviz_text(
        events: usize,
        seed: u64,
        entry: impl Fn(usize, &str, &str) -> String,
    ) -> String {
        let generated = generate_log(&GenerateOptions {
            events,
            nodes: 4,
            seed,
            ..GenerateOptions::default()
        });
        let lines: Vec<&str> = generated.lines().collect();
        let mut text = String::from("stray text before the first execution\n");
        for (k, pair) in lines.chunks(2).enumerate() {
            if k % 40 == 0 {
                let _ = writeln!(text, "=== run {} ===", k / 40);
            }
            if k % 23 == 7 {
                text.push_str("a stray line\n\n");
            }
            let mut piece = entry(k, pair[0], pair.get(1).copied().unwrap_or(""));
            if k % 17 == 3 {
                piece = piece.replace('\n', "\r\n");
            }
            text.push_str(&piece);
        }
        text.push_str("trailing text");
        text
    }

    #[test]
    fn streaming_agrees_with_the_whole_text_in_pieces_of_every_size() {
        // Small enough to cut the input after every single byte.
        let small = shiviz_text(120, 1, |_, clock, event| format!("{event}\n{clock}\n"));
        agree(
            &small,
            SHIVIZ_DEFAULT_REGEX,
            Some(DELIMITER),
            false,
            &[1, 2, 3, 7],
        );
        let large = shiviz_text(2_000, 2, |_, clock, event| format!("{event}\n{clock}\n"));
        agree(
            &large,
            SHIVIZ_DEFAULT_REGEX,
            Some(DELIMITER),
            false,
            &[13, 4096],
        );
        // Without the delimiter, its lines are stray text.
        agree(&small, SHIVIZ_DEFAULT_REGEX, None, false, &[1, 9]);
    }

    #[test]
    fn streaming_agrees_on_multi_line_entries_fields_and_anchors() {
        // Three lines per entry and a field; `$` ends the last one.
        let text = shiviz_text(150, 3, |k, clock, event| {
            format!("{event}\n{clock}\n-- note {k}\n")
        });
        let regex = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})\n-- (?<note>.*)$";
        agree(&text, regex, Some(DELIMITER), false, &[1, 31]);
        // GoVector's own regex with a delimiter does not take the fast path: it streams here.
        let govector = shiviz_text(150, 4, |_, clock, event| format!("{clock}\n{event}\n"));
        agree(
            &govector,
            r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)",
            Some(DELIMITER),
            false,
            &[1, 17],
        );
        // A delimiter of two lines.
        let two = text.replace(" ===\n", " ===\n---\n");
        agree(
            &two,
            regex,
            Some(r"^=== (?<trace>.*) ===\n---$"),
            false,
            &[1, 29],
        );
        // Word boundaries and line anchors around the cuts.
        let anchored = r"^\b(?<event>[a-z ]+\d*)\b$\n^(?<host>\w+) (?<clock>\{.*\})$";
        agree(&text, anchored, Some(DELIMITER), false, &[1, 11]);
    }

    #[test]
    fn the_window_holds_only_undecided_lines() {
        // With a 4 KiB window, a log of 200 KiB streams (with and without a delimiter)...
        let text = shiviz_text(1_500, 6, |_, clock, event| format!("{event}\n{clock}\n"));
        assert!(text.len() > 100 << 10);
        for delimiter in [Some(DELIMITER), None] {
            let expected = whole(&text, SHIVIZ_DEFAULT_REGEX, delimiter, false);
            let got = streamed_within(
                text.as_bytes(),
                SHIVIZ_DEFAULT_REGEX,
                delimiter,
                false,
                &[700, 3],
                4096,
            );
            assert_eq!(got, expected, "delimiter {delimiter:?}");
        }
        // ...but a line longer than the window, still undecided when read (in pieces of
        // one byte), is refused, at its line.
        let small = shiviz_text(40, 6, |_, clock, event| format!("{event}\n{clock}\n"));
        let long = format!("{}\n", "x".repeat(6000));
        let text = small.replacen("a stray line\n", &long, 1);
        let line = 1 + text[..text.find(&long).unwrap_or(0)].matches('\n').count() as u64;
        let got = streamed_within(
            text.as_bytes(),
            SHIVIZ_DEFAULT_REGEX,
            None,
            false,
            &[1],
            4096,
        );
        assert!(
            got.starts_with(&format!("error at Some({line}): a log entry")),
            "{got}"
        );
    }

    #[test]
    fn streaming_reports_the_same_first_error() {
        let text = shiviz_text(100, 5, |_, clock, event| format!("{event}\n{clock}\n"));
        // Strict: the first stray line is an error, at its line.
        agree(&text, SHIVIZ_DEFAULT_REGEX, Some(DELIMITER), true, &[1, 8]);
        // A broken clock in the middle.
        let broken = text.replacen("{\"node01\":1", "{\"node01\":x", 1);
        assert_ne!(broken, text);
        agree(
            &broken,
            SHIVIZ_DEFAULT_REGEX,
            Some(DELIMITER),
            false,
            &[1, 8],
        );
        // Invalid UTF-8 after valid text: the whole text refuses it as a whole, the stream
        // when it reaches it; both name its line.
        let mut bytes = text.clone().into_bytes();
        let at = bytes.len() / 2;
        bytes.insert(at, 0xff);
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64;
        let got = streamed(&bytes, SHIVIZ_DEFAULT_REGEX, Some(DELIMITER), false, &[5]);
        assert_eq!(got, format!("error at {:?}: invalid UTF-8", Some(line)));
    }

    #[test]
    fn streaming_agrees_on_peer_data() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-data");
        if !dir.is_dir() {
            assert!(
                std::env::var_os("CI").is_none(),
                "../shared/peer-data not found beside the repository, and CI is set"
            );
            eprintln!("SKIPPED streaming_agrees_on_peer_data: ../shared/peer-data not found");
            return;
        }
        let facebook = r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4} (\d{2}:){2}\d{2} (AM|PM)) (?<action>(INFO|GET|POST)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";
        // (The TSViz files are read like facebook.log: left out for the debug-mode run time.)
        let cases: [(&str, &str, Option<&str>); 7] = [
            ("shiviz/facebook.log", facebook, None),
            ("shiviz/facebook-multiple.log", facebook, Some(DELIMITER)),
            ("shiviz/multiple-comparison.log", facebook, Some(DELIMITER)),
            (
                "shiviz/chord.log",
                r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)",
                None,
            ),
            (
                "shiviz/voldemort-simple-threadnames.log",
                r"\[(?<date>\d{4}-\d{2}-\d{2} (\d{2}:){2}\d{2},\d{3}) (?<path>\S*)\] (?<priority>(INFO|WARN)) (?<event>.*)\n(?<host>\S*) (?<clock>{.*})",
                None,
            ),
            ("shiviz/simpledb.log", SHIVIZ_DEFAULT_REGEX, None),
            (
                "shiviz/ewd998.log",
                r#"^State [0-9]+: <(?<event>\w*) .*>\n\/\\ Host = (?<host>.*)\n\/\\ Clock = "(?<clock>.*)"\n\/\\ active = (?<active>.*)\n\/\\ color = (?<color>.*)\n\/\\ counter = (?<counter>.*)"#,
                Some(DELIMITER),
            ),
        ];
        for (file, regex, delimiter) in cases {
            let bytes = std::fs::read(dir.join(file))
                .unwrap_or_else(|e| panic!("{file}: in peer-data but not readable: {e}"));
            let text = String::from_utf8_lossy(&bytes);
            let expected = whole(&text, regex, delimiter, false);
            assert!(!expected.starts_with("error"), "{file}: {expected}");
            let sizes = [1, 2, 77, 5000];
            let got = streamed(&bytes, regex, delimiter, false, &sizes);
            assert_eq!(got, expected, "{file} in pieces of {sizes:?}");
        }
    }
}
