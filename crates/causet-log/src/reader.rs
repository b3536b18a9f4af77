//! Reading logs: layout detection and the streaming GoVector fast path.
//!
//! The GoVector layout (`host {clock}` line, then the event's text line) is read without
//! any regex: lines are split with `memchr`, clocks go through the hand-written scanner,
//! node names are interned once, and the file streams through a fixed buffer, so memory
//! grows with the events kept, not with the file. Every other layout goes through
//! [`super::shiviz`], which streams too when its regexes cannot span more than a fixed
//! number of lines (the common case), and otherwise matches over the whole text.

use std::io::Read;
use std::path::Path;

use super::error::{LogError, LogErrorKind};
use super::model::{ExecutionBuilder, Log};
use super::progress::Progress;
use super::shiviz;

/// GoVector's own ShiViz regex: with it (and no delimiter) the fast path applies.
pub const GOVECTOR_REGEX: &str = r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)";

/// ShiViz's default regex (event line first, then the clock line).
pub const SHIVIZ_DEFAULT_REGEX: &str = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})";

/// Longest line the fast path accepts (a guard against unbounded buffering).
pub const MAX_LINE: usize = 64 << 20;

const CHUNK: usize = 1 << 20;

/// How to read a log.
///
/// The default reads the GoVector layout, or a ShiViz upload file (first line the parser
/// regex, second the delimiter) when the first line looks like a regex with `(?<host>` or
/// `(?<clock>` groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// A ShiViz parser regex in JavaScript syntax, with named groups `host`, `clock` and
    /// optionally `event`; other named groups become fields. It is matched over the whole
    /// text in multi-line mode (`^`/`$` match at line ends, `.` stops at a newline), as
    /// ShiViz does. Overrides an upload file's first line.
    ///
    /// The file is still read as a stream (memory grows with the events kept) when the
    /// regex and the delimiter cannot match across more than a fixed number of lines, as
    /// with `.`, `\S` and literal `\n`; a regex whose matches may span any number of lines
    /// (`[^ ]+`, `\s*`, `(?s).`) or that uses `\A`/`\z` makes the reader hold the whole
    /// text. The results are the same either way.
    pub regex: Option<String>,
    /// A multi-execution delimiter regex (e.g. `^=== (?<trace>.*) ===$`); the `trace` group
    /// names the execution that follows. Overrides an upload file's second line.
    pub delimiter: Option<String>,
    /// Make text that matches no entry an error (by default it is reported in
    /// [`Log::unmatched`]).
    pub strict: bool,
}

/// Reads the log at `path`.
///
/// ```
/// use causet_log::{read_log, ReadOptions};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("run.log");
/// std::fs::write(&path, "alice {\"alice\":1}\nhello\nbob {\"alice\":1, \"bob\":1}\nhi\n")?;
/// let log = read_log(&path, &ReadOptions::default())?;
/// let execution = &log.executions[0];
/// assert_eq!(execution.nodes(), ["alice", "bob"]);
/// assert_eq!(execution.clock(1), [1, 1]);
/// assert_eq!(execution.event(1).map(|e| e.text), Some("hi"));
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_log(path: &Path, options: &ReadOptions) -> Result<Log, LogError> {
    read_log_with_progress(path, options, &mut |_, _| {})
}

/// [`read_log`] calling `progress(bytes_read, total)` after each chunk (1 MiB) it reads.
pub fn read_log_with_progress(
    path: &Path,
    options: &ReadOptions,
    progress: Progress<'_>,
) -> Result<Log, LogError> {
    let io = |error| LogError::new(path, None, LogErrorKind::Io(error), b"");
    let file = std::fs::File::open(path).map_err(io)?;
    let total = file.metadata().ok().map(|meta| meta.len());
    read_from(file, path, total, options, progress)
}

/// Parses a log held in memory; errors name the file `<input>`.
///
/// ```
/// use causet_log::{parse_log, ReadOptions};
///
/// // ShiViz's default layout: the event text first, then the clock line.
/// let text = "start\na {\"a\":1}\ngot it\nb {\"a\":1, \"b\":1}\n";
/// let options = ReadOptions {
///     regex: Some(r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})".into()),
///     ..ReadOptions::default()
/// };
/// let log = parse_log(text.as_bytes(), &options)?;
/// assert_eq!(log.executions[0].len(), 2);
/// assert_eq!(log.executions[0].event(1).map(|e| e.text), Some("got it"));
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_log(input: &[u8], options: &ReadOptions) -> Result<Log, LogError> {
    read_from(
        input,
        Path::new("<input>"),
        Some(input.len() as u64),
        options,
        &mut |_, _| {},
    )
}

/// The layout decided from the options and the file's first lines.
struct Layout {
    regex: Option<String>,
    delimiter: Option<String>,
    /// Header lines (of an upload file) to skip.
    header_lines: u64,
    header_bytes: usize,
}

fn read_from(
    mut input: impl Read,
    file: &Path,
    total: Option<u64>,
    options: &ReadOptions,
    progress: Progress<'_>,
) -> Result<Log, LogError> {
    let io = |error| LogError::new(file, None, LogErrorKind::Io(error), b"");
    // The first chunk decides the layout.
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0;
    let mut eof = false;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(io(error)),
        }
    }
    buf.truncate(filled);
    progress(filled as u64, total);
    let layout = detect_layout(&buf, options);
    let fast = layout.delimiter.is_none()
        && layout
            .regex
            .as_deref()
            .is_none_or(|regex| regex == GOVECTOR_REGEX);
    if fast {
        let mut reader = FastReader {
            file,
            strict: options.strict,
            builder: ExecutionBuilder::new(String::new(), Vec::new()),
            log: Log::default(),
            line: layout.header_lines,
        };
        reader.run(&mut input, buf, layout.header_bytes, eof, total, progress)?;
        return Ok(reader.log);
    }
    let regex = layout.regex.as_deref().unwrap_or(GOVECTOR_REGEX);
    let regexes = shiviz::Layout::new(file, regex, layout.delimiter.as_deref())?;
    if regexes.streams() {
        return shiviz::read_streaming(
            file,
            &mut input,
            buf,
            layout.header_bytes,
            layout.header_lines,
            eof,
            total,
            &regexes,
            options.strict,
            progress,
        );
    }
    // A regex whose matches may span any number of lines: the whole text.
    if !eof {
        input.read_to_end(&mut buf).map_err(io)?;
    }
    progress(buf.len() as u64, total);
    let text = String::from_utf8(buf).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let bytes = error.as_bytes();
        let line = 1 + memchr::memchr_iter(b'\n', &bytes[..offset]).count() as u64;
        LogError::new(file, Some(line), LogErrorKind::InvalidUtf8, b"")
    })?;
    // The header was found in the first chunk; a header line longer than that is refused.
    let Some(body) = text.get(layout.header_bytes..) else {
        return Err(LogError::new(
            file,
            Some(1),
            LogErrorKind::LineTooLong { limit: CHUNK },
            b"",
        ));
    };
    shiviz::read_with_regex(file, body, layout.header_lines, &regexes, options.strict)
}

/// Splits off the first line of `bytes` (without `\r\n`), and the rest.
fn first_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b'\n', bytes) {
        Some(end) => (trim_cr(&bytes[..end]), &bytes[end + 1..]),
        None => (trim_cr(bytes), &[]),
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn detect_layout(start: &[u8], options: &ReadOptions) -> Layout {
    let (line1, rest) = first_line(start);
    let is_header = memchr::memmem::find(line1, b"(?<host>").is_some()
        || memchr::memmem::find(line1, b"(?<clock>").is_some();
    let mut layout = Layout {
        regex: None,
        delimiter: None,
        header_lines: 0,
        header_bytes: 0,
    };
    if is_header {
        let (line2, after) = first_line(rest);
        layout.regex = Some(String::from_utf8_lossy(line1).into_owned());
        let delimiter = String::from_utf8_lossy(line2).trim().to_string();
        layout.delimiter = (!delimiter.is_empty()).then_some(delimiter);
        layout.header_lines = if rest.is_empty() { 1 } else { 2 };
        layout.header_bytes = start.len() - after.len();
    }
    if let Some(regex) = &options.regex {
        layout.regex = Some(regex.clone());
    }
    if let Some(delimiter) = &options.delimiter {
        layout.delimiter = (!delimiter.is_empty()).then(|| delimiter.clone());
    }
    layout
}

/// What [`FastReader::exact_entry`] did.
enum Exact {
    /// Read an entry; the next one starts here.
    Read(usize),
    /// The entry's text line is not complete yet: read more input first.
    NeedMore,
    /// Not an exact-layout entry: take the general path.
    No,
}

struct FastReader<'a> {
    file: &'a Path,
    strict: bool,
    builder: ExecutionBuilder,
    log: Log,
    /// Lines consumed so far.
    line: u64,
}

impl FastReader<'_> {
    fn error(&self, line: u64, kind: LogErrorKind, text: &[u8]) -> LogError {
        LogError::new(self.file, Some(line), kind, text)
    }

    fn run(
        &mut self,
        input: &mut impl Read,
        mut buf: Vec<u8>,
        mut pos: usize,
        mut eof: bool,
        total: Option<u64>,
        progress: Progress<'_>,
    ) -> Result<(), LogError> {
        let mut read_so_far = buf.len() as u64;
        let mut filled = buf.len();
        if eof && !buf.ends_with(b"\n") {
            buf.push(b'\n');
            filled += 1;
        }
        let mut reserved = false;
        loop {
            let consumed_before = pos;
            pos = self.lines(&buf[..filled], pos, eof, read_so_far)?;
            if eof {
                break;
            }
            if !reserved && let Some(total) = total {
                // Size the arrays once from the first chunk's events per byte, so that they
                // do not grow by doubling (which would leave up to half of them unused).
                reserved = true;
                let consumed = (pos - consumed_before).max(1) as u64;
                let estimate = total.saturating_mul(self.builder.len() as u64) / consumed;
                self.builder.reserve(estimate + estimate / 16 + 64);
            }
            // Keep the incomplete tail, then read more behind it.
            buf.copy_within(pos..filled, 0);
            filled -= pos;
            pos = 0;
            if filled == buf.len() {
                if buf.len() >= 2 * MAX_LINE {
                    // The tail holds an incomplete entry: the long line is its last, after
                    // the entry's complete lines (its header, for GoVector's layout).
                    let complete = memchr::memchr_iter(b'\n', &buf[..filled]).count();
                    let start = memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |p| p + 1);
                    return Err(self.error(
                        self.line + 1 + complete as u64,
                        LogErrorKind::LineTooLong { limit: MAX_LINE },
                        &buf[start..(start + 80).min(filled)],
                    ));
                }
                buf.resize(buf.len() * 2, 0);
            } else if buf.len() < CHUNK {
                buf.resize(CHUNK, 0);
            }
            let n = loop {
                match input.read(&mut buf[filled..]) {
                    Ok(n) => break n,
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(error) => {
                        return Err(LogError::new(self.file, None, LogErrorKind::Io(error), b""));
                    }
                }
            };
            read_so_far += n as u64;
            filled += n;
            progress(read_so_far, total);
            if n == 0 {
                eof = true;
                buf.truncate(filled);
                if !buf.ends_with(b"\n") {
                    buf.push(b'\n');
                    filled += 1;
                }
            }
        }
        self.builder.set_cell_limit(read_so_far);
        let builder = std::mem::take(&mut self.builder);
        if builder.len() > 0 {
            self.log.executions.push(builder.finish());
        }
        Ok(())
    }

    /// Consumes the complete entries of `data[pos..]`; returns where the unconsumed tail
    /// starts. At end of input (`eof`), `data` ends with a newline.
    fn lines(
        &mut self,
        data: &[u8],
        mut pos: usize,
        eof: bool,
        read_so_far: u64,
    ) -> Result<usize, LogError> {
        self.builder.set_cell_limit(read_so_far);
        loop {
            match self.exact_entry(data, pos, eof)? {
                Exact::Read(after) => {
                    pos = after;
                    continue;
                }
                Exact::NeedMore => return Ok(pos),
                Exact::No => {}
            }
            let Some(end) = memchr::memchr(b'\n', &data[pos..]) else {
                break;
            };
            let line = trim_cr(&data[pos..pos + end]);
            let next = pos + end + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                self.line += 1;
                pos = next;
                continue;
            }
            let Some((host, clock)) = split_clock_line(line) else {
                self.line += 1;
                self.unmatched(self.line, line)?;
                pos = next;
                continue;
            };
            // The event's text is the next line; at the very end of input it may be missing.
            let (text, after) = match memchr::memchr(b'\n', &data[next..]) {
                Some(text_end) => (trim_cr(&data[next..next + text_end]), next + text_end + 1),
                None if eof => (&b""[..], data.len()),
                None => return Ok(pos),
            };
            let clock_line = self.line + 1;
            self.builder
                .push(host, clock, clock_line, text, &[])
                .map_err(|kind| self.error(clock_line, kind, line))?;
            self.line += if after > next { 2 } else { 1 };
            pos = after;
        }
        Ok(pos)
    }

    /// The fast path for an entry at `data[pos..]` whose clock has the exact layout of its
    /// host's previous clock (see `Template` in the model): the clock's length is known, so
    /// the line's end is checked at one byte instead of searched for, and the clock is
    /// matched without scanning it. Anything else is left to the general path, which reads
    /// the same entry the same way.
    #[inline]
    fn exact_entry(&mut self, data: &[u8], pos: usize, eof: bool) -> Result<Exact, LogError> {
        // The host: up to the first space, at most 64 bytes, no tab or newline in it.
        let window = &data[pos..data.len().min(pos + 64)];
        let Some(space) = window
            .iter()
            .position(|&b| matches!(b, b' ' | b'\t' | b'\n'))
        else {
            return Ok(Exact::No);
        };
        if space == 0 || window[space] != b' ' || data.get(pos + space + 1) != Some(&b'{') {
            return Ok(Exact::No);
        }
        let Ok((host_id, Some(length))) = self.builder.exact_clock_len(&window[..space]) else {
            // An error here is met again, and reported, on the general path.
            return Ok(Exact::No);
        };
        let clock_start = pos + space + 1;
        let clock_end = clock_start + length;
        if data.get(clock_end) != Some(&b'\n') {
            return Ok(Exact::No);
        }
        let next = clock_end + 1;
        let (text, after) = match memchr::memchr(b'\n', &data[next..]) {
            Some(text_end) => (trim_cr(&data[next..next + text_end]), next + text_end + 1),
            None if eof => (&b""[..], data.len()),
            None => return Ok(Exact::NeedMore),
        };
        let clock_line = self.line + 1;
        match self
            .builder
            .push_exact(host_id, &data[clock_start..clock_end], clock_line, text)
        {
            Ok(true) => {
                self.line += if after > next { 2 } else { 1 };
                Ok(Exact::Read(after))
            }
            Ok(false) => Ok(Exact::No),
            Err(kind) => Err(self.error(clock_line, kind, &data[pos..clock_end])),
        }
    }

    fn unmatched(&mut self, line: u64, text: &[u8]) -> Result<(), LogError> {
        if self.strict {
            return Err(self.error(
                line,
                LogErrorKind::Unmatched {
                    first: line,
                    last: line,
                },
                text,
            ));
        }
        self.log.note_unmatched(line, line, text);
        Ok(())
    }
}

/// `host {clock}` (one or more spaces, trailing whitespace allowed): the host and the clock
/// text, or `None` when the line does not have that shape. A line of that shape whose clock
/// is not valid JSON is an error, not unmatched text.
fn split_clock_line(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = memchr::memchr(b' ', line)?;
    let host = &line[..space];
    if host.is_empty() || host.contains(&b'\t') {
        return None;
    }
    let mut rest = &line[space + 1..];
    while let [b' ', tail @ ..] = rest {
        rest = tail;
    }
    if rest.first() != Some(&b'{') {
        return None;
    }
    while let [head @ .., b' ' | b'\t'] = rest {
        rest = head;
    }
    Some((host, rest))
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::path::Path;

    use super::{ReadOptions, parse_log, read_from};
    use crate::{GenerateOptions, Log, generate_log};

    /// A reader that hands out its input in small pieces of varying size, so that entries
    /// are cut at every possible place once the reader's first chunk is consumed.
    struct Trickle<'a> {
        input: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.step = (self.step * 7 + 3) % 61;
            let n = (self.step + 1).min(buf.len()).min(self.input.len());
            buf[..n].copy_from_slice(&self.input[..n]);
            self.input = &self.input[n..];
            Ok(n)
        }
    }

    fn same(a: &Log, b: &Log) {
        assert_eq!(a.executions.len(), b.executions.len());
        for (x, y) in a.executions.iter().zip(&b.executions) {
            assert_eq!(x.name(), y.name());
            assert_eq!(x.nodes(), y.nodes());
            assert_eq!(x.len(), y.len());
            for index in 0..x.len() {
                assert_eq!(x.event(index), y.event(index), "event {index}");
            }
        }
        assert_eq!(a.unmatched, b.unmatched);
        assert_eq!(a.unmatched_lines, b.unmatched_lines);
    }

    #[test]
    fn entries_cut_anywhere_read_like_the_whole_text() {
        // Over 1 MiB (the first chunk), with the odd line among the generated entries: blank
        // lines, junk, CRLF, a clock with a wider layout, and no final newline.
        let generated = generate_log(&GenerateOptions {
            events: 14_000,
            nodes: 6,
            seed: 9,
            ..GenerateOptions::default()
        });
        let mut text = String::new();
        for (k, line) in generated.lines().enumerate() {
            text.push_str(line);
            text.push_str(match k % 97 {
                13 => "\r\n",
                41 => "\n\n",
                _ => "\n",
            });
            if k % 211 == 5 {
                text.push_str("junk line\n");
            }
        }
        text.push_str("n9 {\"n9\":1,  \"node00\":0}\nlast without newline");
        assert!(text.len() > 1 << 20);
        let whole = parse_log(text.as_bytes(), &ReadOptions::default()).expect("reads");
        assert_eq!(whole.executions[0].len(), 14_001);
        let pieces = read_from(
            Trickle {
                input: text.as_bytes(),
                step: 0,
            },
            Path::new("<pieces>"),
            None,
            &ReadOptions::default(),
            &mut |_, _| {},
        )
        .expect("reads in pieces");
        same(&whole, &pieces);
    }
}
