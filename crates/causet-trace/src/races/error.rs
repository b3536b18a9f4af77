//! Errors of the STD reader and of the well-formedness check.

use std::fmt;
use std::io;

/// Longest excerpt of an offending line quoted in an error.
const QUOTE_LEN: usize = 120;

/// A trace that cannot be read or is not well formed, with the place and the offending line.
///
/// Displays as ``FILE:LINE: what is wrong: `line text` ``. Boxed, so that results stay small.
#[derive(Debug)]
pub struct TraceError(Box<Details>);

#[derive(Debug)]
struct Details {
    file: String,
    line: u64,
    text: String,
    kind: TraceErrorKind,
}

impl TraceError {
    pub(crate) fn new(file: &str, line: u64, text: &[u8], kind: TraceErrorKind) -> Self {
        let text = &text[..text.len().min(QUOTE_LEN)];
        TraceError(Box::new(Details {
            file: file.to_string(),
            line,
            text: String::from_utf8_lossy(text).into_owned(),
            kind,
        }))
    }

    /// The source name given to the reader (usually the file path).
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// The 1-based line number.
    pub fn line(&self) -> u64 {
        self.0.line
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
        write!(f, "{}:{}: {}", details.file, details.line, details.kind)?;
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
    /// The line holds NUL bytes: a binary file, such as RAPID's RapidBin format.
    #[error(
        "binary data, not an STD text trace (RapidBin `.data` files are not read; convert them to STD first)"
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
    /// A thread's clock would exceed 2^32 - 1 (more than 4 billion releases and forks).
    #[error("clock overflow of {thread}")]
    ClockOverflow {
        /// The thread.
        thread: String,
    },
}
