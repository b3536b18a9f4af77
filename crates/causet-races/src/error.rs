//! Errors of the trace readers (STD and RapidBin) and of the well-formedness check.

use std::fmt;
use std::io;

use crate::Engine;
use crate::memory::Bytes;

/// Longest excerpt of an offending line quoted in an error.
const QUOTE_LEN: usize = 120;

/// A trace that cannot be read or is not well formed, with the place and the offending line.
///
/// Displays as ``FILE:LINE: what is wrong: `line text` `` for STD text traces, and as
/// ``FILE: event N (byte offset B): what is wrong: `0x…` `` (the event's 8 bytes in hex
/// where they are the problem) or `FILE: header: what is wrong` for RapidBin traces. Boxed,
/// so that results stay small.
#[derive(Debug)]
pub struct TraceError(Box<Details>);

#[derive(Debug)]
struct Details {
    file: String,
    line: u64,
    /// For RapidBin traces: the byte offset of event `line` (of the header when `line` is 0).
    offset: Option<u64>,
    text: String,
    kind: TraceErrorKind,
}

impl TraceError {
    pub(crate) fn new(file: &str, line: u64, text: &[u8], kind: TraceErrorKind) -> Self {
        let text = &text[..text.len().min(QUOTE_LEN)];
        TraceError(Box::new(Details {
            file: file.to_string(),
            line,
            offset: None,
            text: quote(text),
            kind,
        }))
    }

    /// An error at the 1-based `event` of a RapidBin trace (0: the header), which starts at
    /// byte `offset`, quoting `text`.
    pub(crate) fn at_event(
        file: &str,
        event: u64,
        offset: u64,
        text: &str,
        kind: TraceErrorKind,
    ) -> Self {
        TraceError(Box::new(Details {
            file: file.to_string(),
            line: event,
            offset: Some(offset),
            text: text.to_string(),
            kind,
        }))
    }

    /// The source name given to the reader (usually the file path).
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// The 1-based line number; for a RapidBin trace, the 1-based event number (0 for the
    /// header), which is the line of that event in the trace's STD rendering.
    pub fn line(&self) -> u64 {
        self.0.line
    }

    /// For a RapidBin trace, the byte offset of the event (0 for the header); `None` for
    /// STD text traces.
    pub fn byte_offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// The offending line (at most 120 bytes of it, lossily decoded; empty for I/O errors).
    pub fn text(&self) -> &str {
        &self.0.text
    }

    /// What is wrong.
    pub fn kind(&self) -> &TraceErrorKind {
        &self.0.kind
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let details = &self.0;
        match details.offset {
            None => write!(f, "{}:{}: {}", details.file, details.line, details.kind)?,
            Some(_) if details.line == 0 => {
                write!(f, "{}: header: {}", details.file, details.kind)?
            }
            Some(offset) => write!(
                f,
                "{}: event {} (byte offset {offset}): {}",
                details.file, details.line, details.kind
            )?,
        }
        if !details.text.is_empty() && !matches!(details.kind, TraceErrorKind::Binary) {
            write!(f, ": `{}`", details.text)?;
        }
        Ok(())
    }
}

impl std::error::Error for TraceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            TraceErrorKind::Io(err) => Some(err),
            _ => None,
        }
    }
}

/// What is wrong with a trace.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceErrorKind {
    /// Reading the source failed.
    #[error("read error")]
    Io(#[source] io::Error),
    /// The line is not `thread|op(operand)|location`.
    #[error("not an event: {0}")]
    NotAnEvent(&'static str),
    /// The operation is none of `r w rd wr acq rel req fork join begin end`.
    #[error(
        "unknown operation `{0}` (expected r, w, rd, wr, acq, rel, req, fork, join, begin or end)"
    )]
    UnknownOperation(String),
    /// The line holds NUL bytes: a binary file, such as RAPID's RapidBin format, read as STD
    /// text.
    #[error(
        "binary data, not an STD text trace (for a RapidBin trace use format `rapidbin` or `auto`: `causet races --format rapidbin`)"
    )]
    Binary,
    /// A line is longer than the reader accepts.
    #[error("line longer than {max} bytes")]
    LineTooLong {
        /// The limit.
        max: usize,
    },
    /// A thread acquires a lock another thread holds.
    #[error("{thread} acquires lock {lock}, which {holder} holds")]
    LockHeld {
        /// The acquiring thread.
        thread: String,
        /// The lock.
        lock: String,
        /// The thread holding it.
        holder: String,
    },
    /// A thread releases a lock nobody holds (never acquired, or released twice).
    #[error("{thread} releases lock {lock}, which is not held")]
    ReleaseNotHeld {
        /// The thread.
        thread: String,
        /// The lock.
        lock: String,
    },
    /// A thread releases a lock another thread holds.
    #[error("{thread} releases lock {lock}, which {holder} holds")]
    ReleaseNotOwner {
        /// The releasing thread.
        thread: String,
        /// The lock.
        lock: String,
        /// The thread holding it.
        holder: String,
    },
    /// A thread forks or joins itself.
    #[error("{thread} cannot {op} itself")]
    SelfForkJoin {
        /// The thread.
        thread: String,
        /// `fork` or `join`.
        op: &'static str,
    },
    /// A thread is forked after it already performed events or was forked.
    #[error("{child} is forked after it {why}")]
    LateFork {
        /// The forked thread.
        child: String,
        /// `already ran` or `was already forked`.
        why: &'static str,
    },
    /// A thread is joined twice.
    #[error("{child} is joined twice")]
    JoinedTwice {
        /// The joined thread.
        child: String,
    },
    /// A thread performs an event after it was joined.
    #[error("{thread} performs an event after it was joined")]
    EventAfterJoin {
        /// The thread.
        thread: String,
    },
    /// More threads than the analysis accepts (clock memory is quadratic in threads).
    #[error("more than {max} threads")]
    TooManyThreads {
        /// The limit.
        max: usize,
    },
    /// The analysis would need more memory than it may use
    /// ([`RaceOptions::max_memory`](crate::RaceOptions::max_memory); the estimate is
    /// [`estimate_memory`](crate::memory::estimate_memory)'s, for the names seen up to and
    /// including this event). Nothing was allocated for them.
    #[error(
        "{threads} threads, {locks} locks and {variables} variables need about {} with engine \
         {engine} (clocks grow with threads², and with threads × locks), more than the limit of \
         {}; raise it with --max-memory",
        Bytes(*estimate),
        limit_text(*estimate, *limit)
    )]
    MemoryLimit {
        /// The estimated bytes.
        estimate: u64,
        /// The limit.
        limit: u64,
        /// The engine (its clocks' entry size is part of the estimate).
        engine: Engine,
        /// Threads seen.
        threads: u64,
        /// Locks seen.
        locks: u64,
        /// Variables seen.
        variables: u64,
    },
    /// An allocation for the clocks or state of new threads, locks or variables failed
    /// (the machine, or the process's limits, had less memory than the estimate allowed).
    #[error(
        "out of memory: cannot allocate the state of {threads} threads, {locks} locks and \
         {variables} variables (estimated {}); lower --max-memory below what is free",
        Bytes(*estimate)
    )]
    OutOfMemory {
        /// The estimated bytes.
        estimate: u64,
        /// Threads wanted.
        threads: u64,
        /// Locks wanted.
        locks: u64,
        /// Variables wanted.
        variables: u64,
    },
    /// A RapidBin trace shorter than its 18-byte header.
    #[error("RapidBin header cut short: {found} of 18 bytes")]
    HeaderCut {
        /// The bytes there are.
        found: usize,
    },
    /// A RapidBin header with a negative count.
    #[error("negative number of {what} in the RapidBin header: {count}")]
    NegativeCount {
        /// `threads`, `locks`, `variables` or `events`.
        what: &'static str,
        /// The count.
        count: i64,
    },
    /// The last RapidBin event is cut short (the input ends inside it).
    #[error("event cut short: {found} of 8 bytes")]
    EventCut {
        /// The bytes there are.
        found: usize,
    },
    /// A RapidBin event with bit 63 set (events are non-negative 64-bit numbers).
    #[error("bit 63 of the event is set")]
    SignBit,
    /// A RapidBin operation code that is none of 0-8.
    #[error(
        "unknown operation code {code} (expected 0 acq, 1 rel, 2 r, 3 w, 4 fork, 5 join, 6 begin, 7 end or 8 req)"
    )]
    UnknownOperationCode {
        /// The code (bits 10-13).
        code: u8,
    },
    /// A RapidBin thread, lock or variable id at or beyond the header's count.
    #[error("{what} id {id} is beyond the header's {count} {what}s")]
    IdBeyondHeader {
        /// `thread`, `lock` or `variable`.
        what: &'static str,
        /// The id.
        id: u64,
        /// The header's count.
        count: u64,
    },
    /// A RapidBin trace that ends before the header's number of events.
    #[error("the trace ends after {found} events; the header says {expected}")]
    MissingEvents {
        /// Events the header announces.
        expected: u64,
        /// Events there are.
        found: u64,
    },
    /// Bytes after the header's number of events.
    #[error("data after the header's {expected} events")]
    ExtraEvents {
        /// Events the header announces.
        expected: u64,
    },
    /// A thread's clock would exceed 2^32 - 1 (more than 4 billion releases and forks).
    #[error("clock overflow of {thread}")]
    ClockOverflow {
        /// The thread.
        thread: String,
    },
}

/// The limit for a message saying `estimate` is beyond it: with the excess in bytes when
/// both round to the same figure.
fn limit_text(estimate: u64, limit: u64) -> String {
    if Bytes(estimate).to_string() == Bytes(limit).to_string() {
        format!(
            "{} (by {} bytes)",
            Bytes(limit),
            estimate.saturating_sub(limit)
        )
    } else {
        Bytes(limit).to_string()
    }
}

/// `text` lossily decoded with control characters escaped (`\u{1b}`), so that no trace can
/// drive the user's terminal through an error message.
fn quote(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in String::from_utf8_lossy(text).chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
