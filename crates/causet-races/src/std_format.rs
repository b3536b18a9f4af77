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
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Read};

use super::error::{TraceError, TraceErrorKind};

pub(crate) mod batch;

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

/// `T<n>|op(<n>)|<n>` (or `<n>|...`) with canonical decimal numbers below 10^18: the
/// thread number, op, operand and location; `None` sends the line to the general path.
#[inline]
fn parse_numeric(line: &[u8]) -> Option<(u64, Op, u64, u64)> {
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
struct NumericLine {
    thread: u64,
    op: Op,
    operand: u64,
    location: u64,
    /// Bytes of the line's text (without `\r\n` or `\n`).
    text_len: usize,
    /// Bytes consumed, the newline included.
    len: usize,
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
fn parse_numeric_line(buf: &[u8]) -> Option<NumericLine> {
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
fn parse_short_numeric_line(buf: &[u8]) -> Option<NumericLine> {
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

/// A name as written: a canonical decimal number (fast path) or any other text.
#[derive(Debug, Clone)]
enum Name {
    Number(u64),
    Text(Box<str>),
}

/// A decimal number without leading zeros (so that `007` stays text and prints back as
/// written), at most 19 digits.
#[inline]
fn canonical_number(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 19 || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    let mut n: u64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n * 10 + u64::from(digit);
    }
    Some(n)
}

/// Names to dense ids, in order of first appearance.
#[derive(Debug)]
struct Interner {
    small: Vec<u32>,
    /// Large numbers by page: real traces' variables are addresses, dense in a few ranges,
    /// so a page table (a page of ids per 65,536 consecutive numbers, the last page used
    /// cached) keeps the lookup in cache where a hash table spreads it over the whole table.
    pages: NumberMap,
    paged: Vec<u32>,
    last_page: (u64, usize),
    numbers: NumberMap,
    texts: FastMap<Box<[u8]>, u32>,
    names: Vec<Name>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            small: Vec::new(),
            pages: NumberMap::default(),
            paged: Vec::new(),
            last_page: (u64::MAX, 0),
            numbers: NumberMap::default(),
            texts: FastMap::default(),
            names: Vec::new(),
        }
    }
}

/// Numbers per page of [`Interner::paged`] (a power of two: 65,536 ids, 256 KB of address
/// space of which only the touched part is in cache).
const PAGE_BITS: u32 = 16;
/// At most this many pages (4 MB of ids); numbers on later pages go to the hash table, so
/// sparse numbers cost memory by the id, not by the page.
const MAX_PAGES: usize = 16;

impl Interner {
    fn len(&self) -> usize {
        self.names.len()
    }

    fn name(&self, id: u32) -> Option<&Name> {
        self.names.get(id as usize)
    }

    fn display(&self, id: u32) -> String {
        match self.name(id) {
            Some(Name::Number(n)) => n.to_string(),
            Some(Name::Text(text)) => text.to_string(),
            None => String::new(),
        }
    }

    #[inline]
    fn intern(&mut self, bytes: &[u8]) -> u32 {
        if let Some(n) = canonical_number(bytes) {
            return self.intern_number(n);
        }
        self.intern_text(bytes)
    }

    /// Interns `bytes` as text, even when it is a number.
    fn intern_text(&mut self, bytes: &[u8]) -> u32 {
        if let Some(&id) = self.texts.get(bytes) {
            return id;
        }
        let id = self.next_id();
        self.texts.insert(bytes.into(), id);
        self.names
            .push(Name::Text(String::from_utf8_lossy(bytes).into()));
        id
    }

    /// Thread names: `T9` and `9` are one thread.
    #[inline]
    fn intern_thread(&mut self, bytes: &[u8]) -> u32 {
        if let [b'T', digits @ ..] = bytes
            && let Some(n) = canonical_number(digits)
        {
            return self.intern_number(n);
        }
        self.intern(bytes)
    }

    #[inline(always)]
    fn intern_number(&mut self, n: u64) -> u32 {
        // Hits first, without computing the next id: a small number's table entry, or a
        // large one's on the page used last. No test of `n < SMALL_NUMBERS` is needed: the
        // small table never grows past it, and a small number's slot on page 0 stays empty
        // (small numbers never go to the pages), so either way a wrong guess is a miss.
        if let Some(&id) = self.small.get(n as usize) {
            if id != EMPTY {
                return id;
            }
        } else if n >> PAGE_BITS == self.last_page.0 {
            let slot = self.last_page.1 + (n & ((1 << PAGE_BITS) - 1)) as usize;
            if let Some(&id) = self.paged.get(slot)
                && id != EMPTY
            {
                return id;
            }
        }
        self.intern_number_new(n)
    }

    /// [`Interner::intern_number`] when the quick lookups missed.
    #[inline(never)]
    fn intern_number_new(&mut self, n: u64) -> u32 {
        let next = self.next_id();
        // Small numbers (thread and lock names, mostly) index a table directly.
        let id = if n < SMALL_NUMBERS {
            let i = n as usize;
            if i >= self.small.len() {
                self.small.resize(i + 1, EMPTY);
            }
            if self.small[i] == EMPTY {
                self.small[i] = next;
            }
            self.small[i]
        } else {
            self.intern_large(n, next)
        };
        if id == next {
            self.names.push(Name::Number(n));
        }
        id
    }

    /// The id of a number of at least [`SMALL_NUMBERS`], `next` if it is new.
    #[inline(always)]
    fn intern_large(&mut self, n: u64, next: u32) -> u32 {
        let key = n >> PAGE_BITS;
        let base = if key == self.last_page.0 {
            self.last_page.1
        } else {
            match self.page_of(key) {
                Some(base) => base,
                None => return self.numbers.get_or_insert(n, next),
            }
        };
        let slot = &mut self.paged[base + (n & ((1 << PAGE_BITS) - 1)) as usize];
        if *slot == EMPTY {
            *slot = next;
        }
        *slot
    }

    /// The start in `paged` of page `key`, made if there is room; caches it as the last.
    #[inline(never)]
    fn page_of(&mut self, key: u64) -> Option<usize> {
        let pages = self.paged.len() >> PAGE_BITS;
        let page = match self.pages.get(key) {
            Some(page) => page as usize,
            None if pages < MAX_PAGES => {
                self.pages.get_or_insert(key, pages as u32);
                self.paged.resize((pages + 1) << PAGE_BITS, EMPTY);
                pages
            }
            None => return None,
        };
        let base = page << PAGE_BITS;
        self.last_page = (key, base);
        Some(base)
    }

    fn next_id(&self) -> u32 {
        // Ids stay below 2^32 because the caller's limits stop far earlier; saturate anyway.
        u32::try_from(self.names.len()).unwrap_or(u32::MAX)
    }
}

/// Numbers to ids: open addressing with linear probing and Fibonacci hashing, one multiply
/// and usually one probe (the hot path of reading a trace, hit three times per event).
#[derive(Debug, Default)]
struct NumberMap {
    slots: Vec<(u64, u32)>,
    len: usize,
    shift: u32,
}

const EMPTY: u32 = u32::MAX;

/// Numbers below this are interned through a direct table.
const SMALL_NUMBERS: u64 = 4096;

impl NumberMap {
    #[inline]
    fn index(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The id of `key`, if present.
    fn get(&self, key: u64) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.index(key);
        loop {
            let (k, v) = self.slots[i];
            if v == EMPTY {
                return None;
            }
            if k == key {
                return Some(v);
            }
            i = (i + 1) & mask;
        }
    }

    /// The id of `key`, inserting `next` when absent.
    #[inline(always)]
    fn get_or_insert(&mut self, key: u64, next: u32) -> u32 {
        if 4 * (self.len + 1) > 3 * self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.index(key);
        loop {
            let (k, v) = self.slots[i];
            if v == EMPTY {
                self.slots[i] = (key, next);
                self.len += 1;
                return next;
            }
            if k == key {
                return v;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![(0, EMPTY); capacity]);
        self.shift = 64 - capacity.trailing_zeros();
        let mask = capacity - 1;
        for (k, v) in old {
            if v != EMPTY {
                let mut i = self.index(k);
                while self.slots[i].1 != EMPTY {
                    i = (i + 1) & mask;
                }
                self.slots[i] = (k, v);
            }
        }
    }
}

/// A hash map with a fast multiplicative hasher: the keys (names from a trace) are not
/// chosen by an adversary who gains anything from collisions beyond slowing their own run.
type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The FxHash function (rustc's): a rotate, xor and multiply per word.
#[derive(Debug, Default, Clone, Copy)]
struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits depending only on the inputs' low bits, and the
        // table indexes by the low bits: rotate the well-mixed high bits down (as rustc-hash
        // 2 does), or names sharing a first byte would all collide.
        self.hash.rotate_left(26)
    }
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

    #[test]
    fn numbers_are_canonical() {
        assert_eq!(canonical_number(b"0"), Some(0));
        assert_eq!(canonical_number(b"4294967298"), Some(4_294_967_298));
        assert_eq!(canonical_number(b"007"), None);
        assert_eq!(canonical_number(b"12a"), None);
        assert_eq!(canonical_number(b"99999999999999999999"), None);
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
