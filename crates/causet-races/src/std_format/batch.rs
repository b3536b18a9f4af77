//! Reading an STD trace a buffer at a time: [`BatchReader::fill`] decodes every complete line
//! of one read into a [`Batch`] of compact events, which owns the bytes they came from (for
//! error messages), so that a batch can travel to another thread while the reader fills the
//! next one.
//!
//! Lines, line numbers, events, names and errors are exactly those of
//! [`StdReader::next_event`](super::StdReader::next_event) (a test reads random texts, some
//! with errors, both ways through sources cut at every place): the same parsing functions,
//! the same order of checks. A reading error ends the batch after the events before it, so a
//! consumer that processes every event of a batch before looking at [`Batch::error`] reports
//! errors in trace order.

use std::io::{self, Read};

use super::{
    MAX_LINE_LEN, Names, StdEvent, TraceError, TraceErrorKind, is_blank, parse_line, parse_numeric,
    parse_numeric_line, parse_short_numeric_line,
};

/// Bytes read per batch at most: room for the longest line and as much again. Small enough
/// that a batch (this and about 6,000 decoded events of 24 bytes) stays in a 1 MiB L2 cache
/// beside the engine's clocks and histories (with 256 KiB batches, cachegrind counted 13x
/// the L2 misses of the tree engine at 64 threads); large enough that batches change hands
/// only every few hundred microseconds.
const BATCH_TEXT_LEN: usize = 2 * MAX_LINE_LEN;

/// Consecutive events of a trace, decoded, with the bytes of their lines: one event per line,
/// so a blank line (skipped, as `next_event` skips it) ends a batch unless it leads it.
#[derive(Debug)]
pub(crate) struct Batch {
    /// The events, in trace order.
    pub(crate) events: Vec<StdEvent>,
    /// The buffer; `text[text_start..text_len]` holds exactly the batch's lines (blank
    /// lines skipped before them come first).
    text: Box<[u8]>,
    text_start: usize,
    text_len: usize,
    /// The 1-based line number of `events[0]`.
    pub(crate) first_line: u64,
    /// Distinct threads named up to the batch's last event.
    pub(crate) threads: usize,
    /// Distinct locks named up to the batch's last event.
    pub(crate) locks: usize,
    /// Distinct variables named up to the batch's last event.
    pub(crate) variables: usize,
    /// Bytes consumed from the source through the batch's last line.
    pub(crate) bytes: u64,
    /// What stopped the reading right after the batch's events, if anything did.
    pub(crate) error: Option<TraceError>,
    /// Whether this is the last batch (the input ended, or `error` is set).
    pub(crate) last: bool,
}

impl Default for Batch {
    fn default() -> Self {
        Batch {
            events: Vec::new(),
            text: Box::default(),
            text_start: 0,
            text_len: 0,
            first_line: 1,
            threads: 0,
            locks: 0,
            variables: 0,
            bytes: 0,
            error: None,
            last: false,
        }
    }
}

impl Batch {
    /// The 1-based line number of `events[i]`.
    #[inline]
    pub(crate) fn line(&self, i: usize) -> u64 {
        self.first_line + i as u64
    }

    /// The text of the line of `events[i]`, without its line ending (as
    /// [`StdReader::current_line_text`](super::StdReader::current_line_text) gives it).
    /// Found by counting newlines: it is needed only for error messages.
    pub(crate) fn line_text(&self, i: usize) -> &[u8] {
        let text = &self.text[self.text_start..self.text_len];
        let start = if i == 0 {
            0
        } else {
            memchr::memchr_iter(b'\n', text)
                .nth(i - 1)
                .map_or(text.len(), |p| p + 1)
        };
        let rest = &text[start..];
        let mut line = memchr::memchr(b'\n', rest).map_or(rest, |p| &rest[..p]);
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        line
    }
}

/// Fills [`Batch`]es from a byte source, one read per batch.
#[derive(Debug)]
pub(crate) struct BatchReader<R> {
    inner: R,
    source: String,
    names: Names,
    /// The start of a line cut by the end of the previous buffer.
    carry: Vec<u8>,
    /// Lines read so far (the number of the last one).
    line: u64,
    /// Events decoded so far (lines less the blank ones).
    events: u64,
    bytes_read: u64,
    eof: bool,
    done: bool,
}

impl<R: Read> BatchReader<R> {
    /// A reader of `inner`; `source` names it in errors.
    pub(crate) fn new(inner: R, source: &str) -> Self {
        BatchReader {
            inner,
            source: source.to_string(),
            names: Names::default(),
            carry: Vec::new(),
            line: 0,
            events: 0,
            bytes_read: 0,
            eof: false,
            done: false,
        }
    }

    /// The name tables so far.
    pub(crate) fn names(&self) -> &Names {
        &self.names
    }

    /// Events decoded so far.
    pub(crate) fn events(&self) -> u64 {
        self.events
    }

    /// Bytes consumed from the source so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The name used for the source in errors.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Reads once (more often only while no line is complete) and decodes every complete
    /// line into `batch`, replacing what it held; its buffer is reused.
    pub(crate) fn fill(&mut self, batch: &mut Batch) {
        batch.events.clear();
        batch.error = None;
        batch.text_start = 0;
        batch.text_len = 0;
        batch.first_line = self.line + 1;
        if self.done {
            batch.last = true;
            self.counts(batch);
            return;
        }
        if batch.text.len() != BATCH_TEXT_LEN {
            batch.text = vec![0; BATCH_TEXT_LEN].into_boxed_slice();
        }
        let text = &mut batch.text;
        let mut end = self.carry.len();
        text[..end].copy_from_slice(&self.carry);
        self.carry.clear();
        // Read until a line is complete (one read, for files), the input ends or fails, or
        // the pending bytes are too long to be a line.
        let mut failure: Option<io::Error> = None;
        while !self.eof && end < text.len() {
            let scanned = end;
            match self.inner.read(&mut text[end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => end += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
            if memchr::memchr(b'\n', &text[scanned..end]).is_some() || end > MAX_LINE_LEN {
                break;
            }
        }
        let (consumed, lead, error) = self.decode(&text[..end], &mut batch.events, failure);
        self.carry.extend_from_slice(&text[consumed..end]);
        batch.text_start = lead.bytes;
        batch.first_line += lead.lines;
        batch.text_len = consumed;
        batch.error = error;
        if batch.error.is_some() {
            self.done = true;
        }
        batch.last = self.done;
        self.counts(batch);
    }

    fn counts(&self, batch: &mut Batch) {
        batch.threads = self.names.thread_count();
        batch.locks = self.names.lock_count();
        batch.variables = self.names.variable_count();
        batch.bytes = self.bytes_read;
    }

    /// Decodes the complete lines of `text` into `events`; returns the bytes consumed, the
    /// blank lines skipped before the first event, and the error that ends the input, if
    /// any. The checks and their order follow `StdReader::next_event`, `next_line` and
    /// `finish_line`. Every line after the leading blank ones is an event or the error (a
    /// later blank line ends the batch), so the line being decoded is number
    /// `self.line + events.len() + 1` once `self.line` counts the leading blank lines.
    #[inline(always)]
    fn decode(
        &mut self,
        text: &[u8],
        events: &mut Vec<StdEvent>,
        mut failure: Option<io::Error>,
    ) -> (usize, Lead, Option<TraceError>) {
        let before = events.len();
        let mut lead = Lead::default();
        let mut pos = 0;
        let stop = loop {
            let rest = &text[pos..];
            // The in-place path of `next_event`: an all-numeric line ended inside `text`.
            // Runs of the common read/write lines in a tight loop of their own.
            let after = decode_short_lines(&mut self.names, text, pos, events);
            if after != pos {
                pos = after;
                continue;
            }
            if let Some(parsed) = parse_numeric_line(rest) {
                pos += parsed.len;
                events.push(self.names.intern_numeric(
                    parsed.thread,
                    parsed.op,
                    parsed.operand,
                    parsed.location,
                ));
                continue;
            }
            let line_no = self.line + (events.len() - before) as u64 + 1;
            let error = |kind, text: &[u8]| TraceError::new(&self.source, line_no, text, kind);
            // The general path (`next_line`).
            let (start, mut end) = match memchr::memchr(b'\n', rest) {
                Some(p) => {
                    let line = (pos, pos + p);
                    pos += p + 1;
                    line
                }
                None if rest.len() > MAX_LINE_LEN => {
                    let kind = TraceErrorKind::LineTooLong { max: MAX_LINE_LEN };
                    break Some(error(kind, &rest[..80]));
                }
                None if self.eof => {
                    if rest.is_empty() {
                        self.done = true;
                        break None;
                    }
                    // The last line has no newline.
                    let line = (pos, text.len());
                    pos = text.len();
                    line
                }
                // A read failed: the error comes after the complete lines.
                None if failure.is_some() => {
                    let err = failure
                        .take()
                        .unwrap_or_else(|| io::Error::other("read failed"));
                    break Some(error(TraceErrorKind::Io(err), b""));
                }
                // A line cut by the end of the buffer: the next batch completes it.
                None => break None,
            };
            // `finish_line`.
            if end - start > MAX_LINE_LEN {
                let kind = TraceErrorKind::LineTooLong { max: MAX_LINE_LEN };
                break Some(error(kind, &text[start..start + 80]));
            }
            if end > start && text[end - 1] == b'\r' {
                end -= 1;
            }
            let line = &text[start..end];
            // `next_event_general`: blank lines are skipped.
            if is_blank(line) {
                if events.len() == before {
                    self.line += 1;
                    lead.lines += 1;
                    lead.bytes = pos;
                    continue;
                }
                // Not before the batch's first event: it leads the next batch.
                pos = start;
                break None;
            }
            if line_no == 1 && memchr::memchr(0, line).is_some() {
                break Some(TraceError::new(
                    &self.source,
                    1,
                    b"",
                    TraceErrorKind::Binary,
                ));
            }
            if let Some((t, op, operand, location)) = parse_numeric(line) {
                events.push(self.names.intern_numeric(t, op, operand, location));
                continue;
            }
            match parse_line(line) {
                Ok(fields) => events.push(self.names.intern_fields(line, fields)),
                Err(kind) => break Some(error(kind, line)),
            }
        };
        self.line += (events.len() - before) as u64;
        self.events += (events.len() - before) as u64;
        self.bytes_read += pos as u64;
        (pos, lead, stop)
    }
}

/// The blank lines that lead a batch, skipped.
#[derive(Debug, Default, Clone, Copy)]
struct Lead {
    lines: u64,
    /// Their bytes, line endings included.
    bytes: usize,
}

/// Decodes the lines [`parse_short_numeric_line`] takes, from `pos` on, into
/// `events`; returns where the first line it does not take starts. A loop of its own, apart
/// from the general one, so that its few values stay in registers.
#[inline(never)]
fn decode_short_lines(
    names: &mut Names,
    text: &[u8],
    mut pos: usize,
    events: &mut Vec<StdEvent>,
) -> usize {
    while let Some(parsed) = text.get(pos..).and_then(parse_short_numeric_line) {
        pos += parsed.len;
        events.push(names.intern_short(&parsed));
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::super::StdReader;
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Hands out `sizes[i % len]` bytes per read, then fails with an I/O error at byte
    /// `fail_at` if set.
    struct Chunked<'a> {
        text: &'a [u8],
        offset: usize,
        calls: usize,
        sizes: Vec<usize>,
        fail_at: Option<usize>,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.calls % self.sizes.len()];
            self.calls += 1;
            let limit = self.fail_at.unwrap_or(usize::MAX);
            if self.offset >= limit {
                return Err(io::Error::other("disk on fire"));
            }
            let n = size
                .min(buf.len())
                .min(self.text.len() - self.offset)
                .min(limit - self.offset);
            buf[..n].copy_from_slice(&self.text[self.offset..self.offset + n]);
            self.offset += n;
            Ok(n)
        }
    }

    /// Events with their line numbers and texts, then the error (as text) if any.
    type Outcome = (Vec<(StdEvent, u64, Vec<u8>)>, Option<String>);

    fn by_events(source: impl io::Read) -> Outcome {
        let mut reader = StdReader::new(source, "x");
        let mut out = Vec::new();
        loop {
            match reader.next_event() {
                Ok(Some(event)) => {
                    out.push((event, reader.line(), reader.current_line_text().to_vec()));
                }
                Ok(None) => return (out, None),
                Err(err) => return (out, Some(format!("{err} @{}", err.line()))),
            }
        }
    }

    fn by_batches(source: impl io::Read) -> Outcome {
        let mut reader = BatchReader::new(source, "x");
        let mut batch = Batch::default();
        let mut out = Vec::new();
        loop {
            reader.fill(&mut batch);
            for (i, &event) in batch.events.iter().enumerate() {
                out.push((event, batch.line(i), batch.line_text(i).to_vec()));
            }
            if let Some(err) = &batch.error {
                return (out, Some(format!("{err} @{}", err.line())));
            }
            if batch.last {
                return (out, None);
            }
        }
    }

    /// A random text, with overlong lines only when `long` (they make tiny reads slow).
    fn random_text(rng: &mut ChaCha8Rng, long: bool) -> Vec<u8> {
        let mut text = Vec::new();
        let lines = rng.random_range(1..80);
        for i in 0..lines {
            let ops = ["r", "w", "rd", "acq", "rel", "fork", "begin"];
            let mut line = super::super::tests::random_line(rng, &ops).into_bytes();
            match rng.random_range(0..60) {
                0 => line = b"not an event".to_vec(),
                1 => line.clear(),
                4 => line = b" \t ".to_vec(),
                2 => line.insert(0, 0),
                3 if long => line = vec![b'x'; MAX_LINE_LEN + 1 + rng.random_range(0..3)],
                _ => {}
            }
            text.extend_from_slice(&line);
            let last = i + 1 == lines && rng.random_bool(0.5);
            if !last {
                text.extend_from_slice(if rng.random_bool(0.3) { b"\r\n" } else { b"\n" });
            }
        }
        text
    }

    /// Batches give exactly the events, line numbers, line texts and first error of
    /// `next_event`, whatever the read sizes, for valid texts, texts with blank lines
    /// (skipped), texts with errors (not an event, NUL byte, overlong line) and sources
    /// that fail at a random byte.
    #[test]
    fn batches_equal_events_one_by_one() {
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        for round in 0..200 {
            let text = random_text(&mut rng, round % 3 == 0);
            let fail_at = rng
                .random_bool(0.2)
                .then(|| rng.random_range(0..=text.len()));
            let sizes: Vec<usize> = match round % 3 {
                0 => vec![usize::MAX],
                1 => (0..5).map(|_| rng.random_range(1..40)).collect(),
                _ => vec![rng.random_range(1..4000)],
            };
            let source = |sizes: Vec<usize>| Chunked {
                text: &text,
                offset: 0,
                calls: 0,
                sizes,
                fail_at,
            };
            let expected = by_events(source(vec![usize::MAX]));
            assert_eq!(by_events(source(sizes.clone())), expected, "round {round}");
            assert_eq!(by_batches(source(sizes)), expected, "round {round}");
        }
    }
}
