//! Errors of the log reader and of the clock JSON scanner.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

/// Why a log could not be read. Displays as `FILE:LINE: what is wrong: 'offending text'`.
///
/// `file` is the path given to [`read_log`](super::read_log), or `<input>` for
/// [`parse_log`](super::parse_log); `line` is 1-based and counts every line of the file
/// (header lines of ShiViz upload files included), `None` when the error is not tied to a
/// line (an unreadable file, a bad `--regex`).
#[derive(Debug, Error)]
pub struct LogError {
    /// The file (or `<input>`).
    pub file: PathBuf,
    /// The 1-based line, when the error is tied to one.
    pub line: Option<u64>,
    /// What is wrong.
    pub kind: LogErrorKind,
    /// The offending text (shortened to 80 characters), empty when there is none.
    pub text: String,
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.kind)?;
        if !self.text.is_empty() {
            write!(f, ": '{}'", self.text)?;
        }
        Ok(())
    }
}

impl LogError {
    pub(crate) fn new(
        file: &std::path::Path,
        line: Option<u64>,
        kind: LogErrorKind,
        text: &[u8],
    ) -> Self {
        LogError {
            file: file.to_path_buf(),
            line,
            kind,
            text: excerpt(text),
        }
    }
}

/// At most 80 characters of `text`, lossily decoded, with `…` when shortened; control
/// characters escaped (`\n`, `\u{1b}`), so no input can drive the user's terminal.
pub(crate) fn excerpt(text: &[u8]) -> String {
    const MAX: usize = 80;
    let text = String::from_utf8_lossy(&text[..text.len().min(4 * MAX)]);
    let mut out = String::new();
    for c in text.chars().take(MAX) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// The kinds of [`LogError`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LogErrorKind {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(#[source] std::io::Error),
    /// A clock is not a valid ShiViz clock (a JSON object of node names to counts).
    #[error("invalid clock: {0}")]
    Clock(#[source] ClockJsonError),
    /// The text is not valid UTF-8 where text is needed (node names, regex layouts).
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A line longer than the reader accepts (a guard against unbounded memory).
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A ShiViz-layout entry, with the lines its regex may look at after it, longer than the
    /// streaming reader holds at once (a guard against unbounded memory).
    #[error(
        "a log entry and the lines after it that its regex may match span more than {limit} bytes"
    )]
    EntryTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The `--regex` (or the regex line of an upload file) is not a usable parser regex.
    #[error("invalid parser regex: {0}")]
    Regex(String),
    /// The multi-execution delimiter is not a valid regex.
    #[error("invalid delimiter regex: {0}")]
    Delimiter(String),
    /// A regex match has an empty `host` group.
    #[error("empty node name")]
    EmptyHost,
    /// With `strict`: text that matches no log entry.
    #[error("text matches no log entry (lines {first}-{last})")]
    Unmatched {
        /// First line of the unmatched text.
        first: u64,
        /// Last line of the unmatched text.
        last: u64,
    },
    /// The dense clocks (events × nodes counters) would be far larger than the input.
    #[error("{events} events × {nodes} nodes: dense clocks too large for this input")]
    TooLarge {
        /// Events so far.
        events: usize,
        /// Nodes so far.
        nodes: usize,
    },
    /// More distinct nodes than the reader accepts.
    #[error("more than {limit} distinct nodes in one execution")]
    TooManyNodes {
        /// The limit.
        limit: usize,
    },
}

/// Why a clock's text is not a valid ShiViz clock: a JSON object whose keys are node names
/// (JSON strings) and whose values are non-negative integers below 2^32.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind} at column {column}")]
pub struct ClockJsonError {
    /// 1-based column (in bytes) within the clock text.
    pub column: usize,
    /// What is wrong.
    pub kind: ClockJsonErrorKind,
}

/// The kinds of [`ClockJsonError`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ClockJsonErrorKind {
    /// The text does not start with `{`.
    #[error("expected '{{'")]
    ExpectedObject,
    /// A key is not a quoted JSON string (e.g. `{myPID: 1}`, as CppVector writes).
    #[error("expected a quoted node name (JSON keys must be in double quotes)")]
    UnquotedKey,
    /// Missing `:` after a key.
    #[error("expected ':' after the node name")]
    ExpectedColon,
    /// Missing `,` or `}` after a value.
    #[error("expected ',' or '}}'")]
    ExpectedCommaOrEnd,
    /// The value is not a number.
    #[error("expected a non-negative integer")]
    ExpectedNumber,
    /// A negative, fractional or exponent number.
    #[error("clock values must be non-negative integers")]
    NotAnInteger,
    /// A counter written with leading zeros (`007`), which JSON does not allow.
    #[error("clock values have no leading zeros")]
    LeadingZero,
    /// A value of 2^32 or more.
    #[error("clock value too large (the limit is 4294967295)")]
    TooLarge,
    /// A bad escape sequence or control character in a key.
    #[error("invalid string escape")]
    BadEscape,
    /// The text ends inside the object.
    #[error("unexpected end of clock")]
    UnexpectedEnd,
    /// The same node twice in one clock.
    #[error("duplicate node '{0}'")]
    DuplicateKey(String),
    /// Text after the closing `}`.
    #[error("unexpected text after '}}'")]
    TrailingText,
    /// A key that is not valid UTF-8.
    #[error("node name is not valid UTF-8")]
    InvalidUtf8,
    /// An empty node name `""`.
    #[error("empty node name")]
    EmptyKey,
}
