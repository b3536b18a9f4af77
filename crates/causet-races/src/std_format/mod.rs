//! A streaming reader of RAPID's STD trace format.
//!
//! One event per line, `thread|op(operand)|location`:
//!
//! ```text
//! T0|fork(T1)|10
//! T1|acq(l)|11
//! T1|w(x)|12
//! T1|rel(l)|13
//! T0|join(1)|14
//! ```
//!
//! | op | operand | happens-before effect |
//! |---|---|---|
//! | `r`, `rd` | variable | read access |
//! | `w`, `wr` | variable | write access |
//! | `acq` | lock | everything before the lock's last release happens before this |
//! | `rel` | lock | the next `acq` of the lock is ordered after this |
//! | `fork` | thread | the operand thread's events are ordered after this |
//! | `join` | thread | the operand thread's events are ordered before this |
//! | `req` | lock | none (a lock request, recorded by some tools) |
//! | `begin`, `end` | anything | none (atomic-block markers) |
//!
//! Dialects real traces use are accepted: bare numeric thread names (`fork(9)` means `T9`,
//! and `9|r(x)|1` is an event of `T9`: both spellings are one thread), `rd`/`wr`, and
//! operands and locations that are not integers. A trailing `\r` is ignored.
//!
//! Names are interned to dense ids in order of first appearance; numeric names take a fast
//! path (parsed, no string hashing). Memory grows with the number of distinct names, never
//! with the number of events. The reader holds one fixed buffer; a line longer than
//! [`MAX_LINE_LEN`] bytes is an error rather than a reason to grow it.

use std::fmt;
use std::io::{self, Read};

use super::error::{TraceError, TraceErrorKind};

pub(crate) mod batch;
mod fast;
mod names;

use fast::{NumericLine, parse_numeric, parse_numeric_line, parse_short_numeric_line};
use names::{Interner, Name, canonical_number};

/// Location keys from here on are interned texts.
const TEXT_LOCATION: u64 = 1 << 63;

/// The longest line the reader accepts, in bytes (without the newline).
pub const MAX_LINE_LEN: usize = 64 * 1024;

const BUFFER_LEN: usize = 256 * 1024;

/// The operation of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// `r(x)` or `rd(x)`: read of variable x.
    Read,
    /// `w(x)` or `wr(x)`: write of variable x.
    Write,
    /// `acq(l)`: acquire of lock l.
    Acquire,
    /// `rel(l)`: release of lock l.
    Release,
    /// `req(l)`: request of lock l (no happens-before effect).
    Request,
    /// `fork(u)`: start of thread u.
    Fork,
    /// `join(u)`: wait for the end of thread u.
    Join,
    /// `begin(..)`: start of an atomic block (no happens-before effect).
    Begin,
    /// `end(..)`: end of an atomic block (no happens-before effect).
    End,
}

impl Op {
    /// Whether the operation reads or writes a variable.
    pub fn is_access(self) -> bool {
        matches!(self, Op::Read | Op::Write)
    }

    fn parse(name: &[u8]) -> Option<Op> {
        Some(match name {
            b"r" | b"rd" => Op::Read,
            b"w" | b"wr" => Op::Write,
            b"acq" => Op::Acquire,
            b"rel" => Op::Release,
            b"req" => Op::Request,
            b"fork" => Op::Fork,
            b"join" => Op::Join,
            b"begin" => Op::Begin,
            b"end" => Op::End,
            _ => return None,
        })
    }

    /// The canonical STD spelling (`r`, `w`, `acq`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Read => "r",
            Op::Write => "w",
            Op::Acquire => "acq",
            Op::Release => "rel",
            Op::Request => "req",
            Op::Fork => "fork",
            Op::Join => "join",
            Op::Begin => "begin",
            Op::End => "end",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of an STD trace with every name replaced by its dense id.
///
/// `operand` is a variable id for accesses, a lock id for `acq`/`rel`/`req`, a thread id for
/// `fork`/`join`, and 0 for `begin`/`end` (their operand is not interned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdEvent {
    /// The thread performing the event.
    pub thread: u32,
    /// What it does.
    pub op: Op,
    /// The variable, lock or thread it does it to.
    pub operand: u32,
    /// The program location (the third field) as a key: the number itself for a decimal
    /// location below 2^63 (no table lookup: locations matter only for racy events), else
    /// 2^63 plus an interned id. [`Names::location`] gives the text back.
    pub location: u64,
}

/// The name tables of a trace: thread, lock, variable and location names by dense id.
#[derive(Debug, Default)]
pub struct Names {
    threads: Interner,
    locks: Interner,
    variables: Interner,
    locations: Interner,
}

impl Names {
    /// The event of an all-numeric line: thread number, op, operand number, location.
    #[inline(always)]
    fn intern_numeric(&mut self, t: u64, op: Op, operand: u64, location: u64) -> StdEvent {
        let operand = match op {
            Op::Read | Op::Write => self.variables.intern_number(operand),
            Op::Acquire | Op::Release | Op::Request => self.locks.intern_number(operand),
            Op::Fork | Op::Join => self.threads.intern_number(operand),
            Op::Begin | Op::End => 0,
        };
        StdEvent {
            thread: self.threads.intern_number(t),
            op,
            operand,
            location,
        }
    }

    /// The event of a line [`parse_short_numeric_line`] took (a read, write, acquire or
    /// release): [`Names::intern_numeric`] with one branch for the op, not a jump table.
    #[inline(always)]
    fn intern_short(&mut self, line: &NumericLine) -> StdEvent {
        let operand = if line.op.is_access() {
            self.variables.intern_number(line.operand)
        } else {
            self.locks.intern_number(line.operand)
        };
        StdEvent {
            operand,
            thread: self.threads.intern_number(line.thread),
            op: line.op,
            location: line.location,
        }
    }

    /// The event of a line split into `fields` (byte ranges of `line`), any names.
    #[inline]
    fn intern_fields(&mut self, line: &[u8], fields: Fields) -> StdEvent {
        let thread_name = &line[fields.thread.0..fields.thread.1];
        let thread = self.threads.intern_thread(thread_name);
        let operand_name = &line[fields.operand.0..fields.operand.1];
        let operand = match fields.op {
            Op::Read | Op::Write => self.variables.intern(operand_name),
            Op::Acquire | Op::Release | Op::Request => self.locks.intern(operand_name),
            Op::Fork | Op::Join => self.threads.intern_thread(operand_name),
            Op::Begin | Op::End => 0,
        };
        let location_text = &line[fields.location.0..fields.location.1];
        let location = match canonical_number(location_text) {
            Some(n) if n < TEXT_LOCATION => n,
            _ => TEXT_LOCATION + u64::from(self.locations.intern_text(location_text)),
        };
        StdEvent {
            thread,
            op: fields.op,
            operand,
            location,
        }
    }

    /// Number of distinct threads seen (performing events or named by `fork`/`join`).
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }
    /// Number of distinct locks.
    pub fn lock_count(&self) -> usize {
        self.locks.len()
    }
    /// Number of distinct variables.
    pub fn variable_count(&self) -> usize {
        self.variables.len()
    }
    /// The canonical name of a thread: `T9` for both `T9` and `9`, otherwise as written.
    pub fn thread(&self, id: u32) -> String {
        match self.threads.name(id) {
            Some(Name::Number(n)) => format!("T{n}"),
            Some(Name::Text(text)) => text.to_string(),
            None => String::new(),
        }
    }
    /// The name of a lock as written.
    pub fn lock(&self, id: u32) -> String {
        self.locks.display(id)
    }
    /// The name of a variable as written.
    pub fn variable(&self, id: u32) -> String {
        self.variables.display(id)
    }
    /// The location of a [`StdEvent::location`] key, as written.
    pub fn location(&self, key: u64) -> String {
        if key < TEXT_LOCATION {
            key.to_string()
        } else {
            u32::try_from(key - TEXT_LOCATION)
                .map(|id| self.locations.display(id))
                .unwrap_or_default()
        }
    }
}

/// A streaming STD reader over any byte source.
///
/// ```
/// use causet_races::{Op, StdReader};
///
/// let text = "T0|fork(1)|1\n1|w(x)|2\nT0|join(T1)|3\n";
/// let mut reader = StdReader::new(text.as_bytes(), "demo.std");
/// let mut ops = Vec::new();
/// while let Some(event) = reader.next_event()? {
///     ops.push((reader.names().thread(event.thread), event.op));
/// }
/// assert_eq!(ops, [("T0".into(), Op::Fork), ("T1".into(), Op::Write), ("T0".into(), Op::Join)]);
/// assert_eq!(reader.names().thread_count(), 2);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StdReader<R> {
    inner: R,
    source: String,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    line: u64,
    bytes_read: u64,
    names: Names,
    last_line: (usize, usize),
}

impl<R: Read> StdReader<R> {
    /// A reader of `inner`; `source` names it in errors (usually the file path).
    pub fn new(inner: R, source: impl Into<String>) -> Self {
        StdReader {
            inner,
            source: source.into(),
            buf: vec![0; BUFFER_LEN].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            line: 0,
            bytes_read: 0,
            names: Names::default(),
            last_line: (0, 0),
        }
    }

    /// The name tables so far.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// Gives up the reader, keeping its name tables.
    pub fn into_names(self) -> Names {
        self.names
    }

    /// The 1-based number of the line last returned (0 before the first).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Bytes consumed from the source so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The name used for the source in errors.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// An error at the current line, quoting `text`.
    pub(crate) fn error_at(&self, kind: TraceErrorKind, text: &[u8]) -> TraceError {
        TraceError::new(&self.source, self.line, text, kind)
    }

    /// The next event, `None` at the end of the input.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<StdEvent>, TraceError> {
        // Fastest path: an all-numeric line complete in the buffer, parsed in place in one
        // scan that also finds its end (no separate newline search). A line this path
        // declines (another shape, or cut by the end of the buffer) goes the general way.
        let rest = &self.buf[self.start..self.end];
        if let Some(parsed) = parse_short_numeric_line(rest) {
            let start = self.start;
            self.start += parsed.len;
            self.bytes_read += parsed.len as u64;
            self.line += 1;
            self.last_line = (start, start + parsed.text_len);
            return Ok(Some(self.names.intern_short(&parsed)));
        }
        if let Some(parsed) = parse_numeric_line(rest) {
            let start = self.start;
            self.start += parsed.len;
            self.bytes_read += parsed.len as u64;
            self.line += 1;
            self.last_line = (start, start + parsed.text_len);
            return Ok(Some(self.names.intern_numeric(
                parsed.thread,
                parsed.op,
                parsed.operand,
                parsed.location,
            )));
        }
        self.next_event_general()
    }

    #[inline(never)]
    fn next_event_general(&mut self) -> Result<Option<StdEvent>, TraceError> {
        // Blank lines (nothing, or only spaces and tabs) are skipped, as in logs.
        let (start, end) = loop {
            let Some((start, end)) = self.next_line()? else {
                return Ok(None);
            };
            if !is_blank(&self.buf[start..end]) {
                break (start, end);
            }
        };
        let line_no = self.line;
        // A binary file shows on its first line; later lines are only checked for NUL bytes
        // when they fail to parse (it costs a scan per line).
        if line_no == 1 && memchr::memchr(0, &self.buf[start..end]).is_some() {
            return Err(TraceError::new(
                &self.source,
                1,
                b"",
                TraceErrorKind::Binary,
            ));
        }
        // Fast path: the all-numeric lines of real traces (`T9|r(4294967298)|59`), each
        // field scanned once, digits parsed on the way.
        if let Some((t, op, operand, location)) = parse_numeric(&self.buf[start..end]) {
            return Ok(Some(self.names.intern_numeric(t, op, operand, location)));
        }
        match parse_line(&self.buf[start..end]) {
            Ok(fields) => {
                let event = self.intern(fields, start);
                Ok(Some(event))
            }
            Err(kind) => Err(TraceError::new(
                &self.source,
                line_no,
                &self.buf[start..end],
                kind,
            )),
        }
    }

    /// The text of the line last returned (for error messages).
    pub fn current_line_text(&self) -> &[u8] {
        &self.buf[self.last_line.0..self.last_line.1]
    }

    #[inline]
    fn intern(&mut self, fields: Fields, start: usize) -> StdEvent {
        self.names.intern_fields(&self.buf[start..], fields)
    }

    /// Finds the next line in the buffer, refilling it as needed; returns its byte range.
    fn next_line(&mut self) -> Result<Option<(usize, usize)>, TraceError> {
        loop {
            if let Some(pos) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let start = self.start;
                let end = start + pos;
                self.start = end + 1;
                self.bytes_read += pos as u64 + 1;
                return self.finish_line(start, end).map(Some);
            }
            if self.end - self.start > MAX_LINE_LEN {
                self.line += 1;
                let text = self.buf[self.start..self.start + 80].to_vec();
                return Err(self.error_at(TraceErrorKind::LineTooLong { max: MAX_LINE_LEN }, &text));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                // The last line has no newline.
                let (start, end) = (self.start, self.end);
                self.bytes_read += (end - start) as u64;
                self.start = end;
                return self.finish_line(start, end).map(Some);
            }
            // Move the partial line to the front and read more.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    return Err(TraceError::new(
                        &self.source,
                        self.line + 1,
                        b"",
                        TraceErrorKind::Io(err),
                    ));
                }
            }
        }
    }

    fn finish_line(&mut self, start: usize, mut end: usize) -> Result<(usize, usize), TraceError> {
        self.line += 1;
        if end - start > MAX_LINE_LEN {
            let text = self.buf[start..start + 80].to_vec();
            return Err(self.error_at(TraceErrorKind::LineTooLong { max: MAX_LINE_LEN }, &text));
        }
        if end > start && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        self.last_line = (start, end);
        Ok((start, end))
    }
}

/// Byte ranges of the fields of one line.
#[derive(Debug, Clone, Copy)]
struct Fields {
    thread: (usize, usize),
    op: Op,
    operand: (usize, usize),
    location: (usize, usize),
}

/// Splits a line into its fields in one pass over its bytes (lines are short: a simple loop
/// beats several `memchr` calls); the slow path explains what is wrong.
#[inline]
fn parse_line(line: &[u8]) -> Result<Fields, TraceErrorKind> {
    let n = line.len();
    let mut bar1 = 0;
    while bar1 < n && line[bar1] != b'|' {
        bar1 += 1;
    }
    let mut open = bar1 + 1;
    while open < n && line[open] != b'(' && line[open] != b'|' {
        open += 1;
    }
    let mut bar2 = open;
    while bar2 < n && line[bar2] != b'|' {
        bar2 += 1;
    }
    let well_formed = bar1 > 0
        && bar2 < n
        && bar2 + 1 < n
        && open < bar2
        && line[open] == b'('
        && line[bar2 - 1] == b')'
        && open + 2 < bar2
        && memchr::memchr(b'|', &line[bar2 + 1..]).is_none();
    if !well_formed {
        return Err(explain(line));
    }
    let Some(op) = Op::parse(&line[bar1 + 1..open]) else {
        return Err(explain(line));
    };
    Ok(Fields {
        thread: (0, bar1),
        op,
        operand: (open + 1, bar2 - 1),
        location: (bar2 + 1, n),
    })
}

/// Whether a line is blank (empty, or only spaces and tabs): skipped by the readers.
#[inline]
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&byte| byte == b' ' || byte == b'\t')
}

/// What is wrong with a line that is not `thread|op(operand)|location`.
#[cold]
fn explain(line: &[u8]) -> TraceErrorKind {
    if memchr::memchr(0, line).is_some() {
        return TraceErrorKind::Binary;
    }
    let Some(bar1) = memchr::memchr(b'|', line) else {
        return TraceErrorKind::NotAnEvent("expected `thread|op(operand)|location`");
    };
    let Some(rel2) = memchr::memchr(b'|', &line[bar1 + 1..]) else {
        return TraceErrorKind::NotAnEvent(
            "expected `thread|op(operand)|location` (missing the second `|`)",
        );
    };
    let bar2 = bar1 + 1 + rel2;
    if bar1 == 0 {
        return TraceErrorKind::NotAnEvent("empty thread name");
    }
    if bar2 + 1 == line.len() {
        return TraceErrorKind::NotAnEvent("empty location");
    }
    if memchr::memchr(b'|', &line[bar2 + 1..]).is_some() {
        return TraceErrorKind::NotAnEvent("more than three `|`-separated fields");
    }
    let op_field = &line[bar1 + 1..bar2];
    let Some(open) = memchr::memchr(b'(', op_field) else {
        return TraceErrorKind::NotAnEvent("expected `op(operand)` in the second field");
    };
    if op_field.last() != Some(&b')') {
        return TraceErrorKind::NotAnEvent("expected `op(operand)` in the second field");
    }
    let name = &op_field[..open];
    if Op::parse(name).is_none() {
        return TraceErrorKind::UnknownOperation(String::from_utf8_lossy(name).into_owned());
    }
    if open + 2 == op_field.len() {
        return TraceErrorKind::NotAnEvent("empty operand");
    }
    TraceErrorKind::NotAnEvent("expected `op(operand)` in the second field")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// A random STD line for the readers' tests: thread `T0`-`T2` or bare `0`-`2`, one of
    /// `ops`, an operand that is a name, a zero-padded number or one beyond 32 bits, and a
    /// location (now and then a name).
    pub(super) fn random_line(rng: &mut rand_chacha::ChaCha8Rng, ops: &[&str]) -> String {
        let thread = if rng.random_bool(0.5) {
            format!("T{}", rng.random_range(0..3))
        } else {
            rng.random_range(0..3).to_string()
        };
        let op = ops[rng.random_range(0..ops.len())];
        let operand = match rng.random_range(0..4) {
            0 => "x".to_string(),
            1 => "007".to_string(),
            _ => rng
                .random_range(4_294_967_296u64..4_294_967_310)
                .to_string(),
        };
        let location = if rng.random_bool(0.1) {
            "L".to_string()
        } else {
            rng.random_range(0..100).to_string()
        };
        format!("{thread}|{op}({operand})|{location}")
    }

    /// Reads `text` through a source that hands out `chunk(i)` bytes per read, so lines
    /// are cut by the buffer's end at every possible place.
    struct Chunked<'a> {
        text: &'a [u8],
        calls: usize,
        sizes: &'a [usize],
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.calls % self.sizes.len()];
            self.calls += 1;
            let n = size.min(buf.len()).min(self.text.len());
            buf[..n].copy_from_slice(&self.text[..n]);
            self.text = &self.text[n..];
            Ok(n)
        }
    }

    fn events_of(reader: &mut StdReader<impl Read>) -> Vec<(StdEvent, u64, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(event) = reader.next_event().expect("valid") {
            out.push((event, reader.line(), reader.current_line_text().to_vec()));
        }
        out
    }

    /// The in-place numeric path (lines complete in the buffer) and the general path (lines
    /// cut by the buffer's end, or of other shapes) give the same events, line numbers and
    /// line texts, with `\n` and `\r\n` endings and with and without a final newline.
    #[test]
    fn in_place_path_equals_general_path_across_refills() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for round in 0..40 {
            let mut text = Vec::new();
            let lines = rng.random_range(1..60);
            for i in 0..lines {
                let line = random_line(&mut rng, &["r", "w", "rd", "wr", "req", "begin", "end"]);
                let end = if rng.random_bool(0.3) { "\r\n" } else { "\n" };
                let last = i + 1 == lines && rng.random_bool(0.5);
                text.extend_from_slice(line.as_bytes());
                if !last {
                    text.extend_from_slice(end.as_bytes());
                }
            }
            let whole = events_of(&mut StdReader::new(text.as_slice(), "x"));
            assert_eq!(whole.len(), lines, "round {round}");
            for sizes in [&[1usize][..], &[2, 3, 5, 7], &[13, 1, 29]] {
                let source = Chunked {
                    text: &text,
                    calls: 0,
                    sizes,
                };
                let mut reader = StdReader::new(source, "x");
                assert_eq!(
                    events_of(&mut reader),
                    whole,
                    "round {round} sizes {sizes:?}"
                );
                assert_eq!(reader.bytes_read(), text.len() as u64);
            }
        }
    }

    #[test]
    fn long_lines_across_buffer_refills() {
        let mut text = Vec::new();
        for i in 0..50_000 {
            text.extend_from_slice(format!("T{}|w(v{i})|loc{i}\n", i % 3).as_bytes());
        }
        let mut reader = StdReader::new(text.as_slice(), "x");
        let mut count = 0;
        while reader.next_event().unwrap_or(None).is_some() {
            count += 1;
        }
        assert_eq!(count, 50_000);
        assert_eq!(reader.names().variable_count(), 50_000);
        assert_eq!(reader.bytes_read(), text.len() as u64);
    }
}
