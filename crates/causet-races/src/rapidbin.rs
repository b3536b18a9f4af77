//! RAPID's binary trace format, RapidBin: a reader, a writer, and conversions from and to
//! STD text.
//!
//! A RapidBin file is an 18-byte header and then one 8-byte word per event, every number
//! **big-endian and signed** (Java's `DataOutputStream`):
//!
//! | bytes | field |
//! |---|---|
//! | 0-1 | i16: number of threads |
//! | 2-5 | i32: number of locks |
//! | 6-9 | i32: number of variables |
//! | 10-17 | i64: number of events |
//! | 18 + 8k .. 26 + 8k | i64: event k (0-based) |
//!
//! An event word holds, from the least significant bit: the thread id (bits 0-9), the
//! operation (bits 10-13), the "decor" (bits 14-47: the lock id for `acq`/`rel`/`req`, the
//! variable id for `r`/`w`, the other thread's id for `fork`/`join`; unused by `begin`/`end`),
//! the location (bits 48-62); bit 63 is 0. Operation codes are RAPID's `EventType` ordinals:
//!
//! | code | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 |
//! |---|---|---|---|---|---|---|---|---|---|
//! | op | `acq` | `rel` | `r` | `w` | `fork` | `join` | `begin` | `end` | `req` |
//!
//! Ids are numbers below the header's counts. The reader checks everything against the
//! header without allocating by it: an id at or beyond a count, a set bit 63, an unknown
//! operation code, fewer or more events than the header says, or a last event cut short is
//! an error naming the event (1-based) and its byte offset.
//!
//! For race detection ([`detect_races_with_format`](super::detect_races_with_format)) a
//! RapidBin trace means exactly what its STD rendering ([`rapidbin_to_std`]) means: thread
//! `n` is `T<n>`, lock and variable `n` are `n`, location `n` is `n`, and event k is line k,
//! so both give identical reports.
//!
//! ```
//! use causet_races::{Engine, Op, RaceOptions, TraceFormat, detect_races_with_format};
//! use causet_races::rapidbin::{RapidBinEvent, RapidBinHeader, RapidBinReader, RapidBinWriter};
//!
//! // T0 forks T1, both write variable 0 (at locations 2 and 3).
//! let header = RapidBinHeader { threads: 2, locks: 0, variables: 1, events: 3 };
//! let mut writer = RapidBinWriter::new(Vec::new(), header)?;
//! writer.write_event(RapidBinEvent { thread: 0, op: Op::Fork, decor: 1, location: 1 })?;
//! writer.write_event(RapidBinEvent { thread: 0, op: Op::Write, decor: 0, location: 2 })?;
//! writer.write_event(RapidBinEvent { thread: 1, op: Op::Write, decor: 0, location: 3 })?;
//! let bytes = writer.finish()?;
//! assert_eq!(bytes.len(), 18 + 3 * 8);
//!
//! let mut reader = RapidBinReader::new(bytes.as_slice(), "demo.data")?;
//! assert_eq!(reader.header().events, 3);
//! let mut ops = Vec::new();
//! while let Some(event) = reader.next_event()? {
//!     ops.push(event.op);
//! }
//! assert_eq!(ops, [Op::Fork, Op::Write, Op::Write]);
//!
//! let options = RaceOptions::new(Engine::Epoch);
//! let report = detect_races_with_format(bytes.as_slice(), "demo.data", TraceFormat::Auto, &options, &mut |_| {})?;
//! assert_eq!((report.events, report.threads, report.racy_events), (3, 2, 1));
//! assert_eq!(report.racy_variables, ["0"]);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom, Write};

use super::error::{TraceError, TraceErrorKind};
use super::source::{EventSource, NameTable};
use super::std_format::batch::Batch;
use super::std_format::{Op, StdEvent, StdReader};

/// Bytes of the header.
pub const HEADER_LEN: usize = 18;
/// Bytes per event.
pub const EVENT_LEN: usize = 8;
/// The largest thread id an event can name (10 bits).
pub const MAX_THREAD_ID: u32 = (1 << 10) - 1;
/// The largest lock, variable or thread id the decor field holds (34 bits).
pub const MAX_DECOR: u64 = (1 << 34) - 1;
/// The largest location (15 bits).
pub const MAX_LOCATION: u32 = (1 << 15) - 1;

/// Events per read: a 64 KiB buffer (its decoded batch of 24-byte events stays in L2).
const BUFFER_EVENTS: usize = 8 * 1024;

/// The byte offset of the 1-based `event` (0: the header).
pub(crate) fn byte_offset(event: u64) -> u64 {
    match event {
        0 => 0,
        k => (HEADER_LEN as u64).saturating_add((k - 1).saturating_mul(EVENT_LEN as u64)),
    }
}

/// Operations by code (RAPID's `EventType` ordinals); `None` for codes 9-15.
const OPS: [Option<Op>; 16] = [
    Some(Op::Acquire),
    Some(Op::Release),
    Some(Op::Read),
    Some(Op::Write),
    Some(Op::Fork),
    Some(Op::Join),
    Some(Op::Begin),
    Some(Op::End),
    Some(Op::Request),
    None,
    None,
    None,
    None,
    None,
    None,
    None,
];

/// The code of `op`.
fn code_of(op: Op) -> u64 {
    match op {
        Op::Acquire => 0,
        Op::Release => 1,
        Op::Read => 2,
        Op::Write => 3,
        Op::Fork => 4,
        Op::Join => 5,
        Op::Begin => 6,
        Op::End => 7,
        Op::Request => 8,
    }
}

/// The header of a RapidBin trace: how many threads, locks, variables and events it has.
///
/// The format stores them as signed numbers (i16, i32, i32, i64); a negative count is an
/// error when reading, and [`RapidBinWriter::new`] refuses counts beyond the signed ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RapidBinHeader {
    /// Threads: thread ids (and fork/join operands) are below this.
    pub threads: u32,
    /// Locks: lock ids are below this.
    pub locks: u64,
    /// Variables: variable ids are below this.
    pub variables: u64,
    /// Events after the header.
    pub events: u64,
}

impl RapidBinHeader {
    /// Decodes the 18 header bytes.
    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Self, TraceErrorKind> {
        let threads = i16::from_be_bytes([bytes[0], bytes[1]]);
        let locks = i32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
        let variables = i32::from_be_bytes([bytes[6], bytes[7], bytes[8], bytes[9]]);
        let mut events = [0u8; 8];
        events.copy_from_slice(&bytes[10..18]);
        let events = i64::from_be_bytes(events);
        let count = |what, n: i64| {
            u64::try_from(n).map_err(|_| TraceErrorKind::NegativeCount { what, count: n })
        };
        Ok(RapidBinHeader {
            threads: u32::try_from(count("threads", threads.into())?).unwrap_or(0),
            locks: count("locks", locks.into())?,
            variables: count("variables", variables.into())?,
            events: count("events", events)?,
        })
    }

    /// The 18 header bytes, or `None` if a count exceeds its signed range.
    pub fn encode(&self) -> Option<[u8; HEADER_LEN]> {
        let threads = i16::try_from(self.threads).ok()?;
        let locks = i32::try_from(self.locks).ok()?;
        let variables = i32::try_from(self.variables).ok()?;
        let events = i64::try_from(self.events).ok()?;
        let mut bytes = [0u8; HEADER_LEN];
        bytes[0..2].copy_from_slice(&threads.to_be_bytes());
        bytes[2..6].copy_from_slice(&locks.to_be_bytes());
        bytes[6..10].copy_from_slice(&variables.to_be_bytes());
        bytes[10..18].copy_from_slice(&events.to_be_bytes());
        Some(bytes)
    }
}

/// One RapidBin event with its raw ids (the numbers in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RapidBinEvent {
    /// The thread (10 bits).
    pub thread: u32,
    /// The operation.
    pub op: Op,
    /// The lock (`acq`, `rel`, `req`), variable (`r`, `w`) or other thread (`fork`, `join`);
    /// not interpreted for `begin` and `end` (34 bits).
    pub decor: u64,
    /// The location (15 bits).
    pub location: u32,
}

impl RapidBinEvent {
    /// Decodes and checks one event word against `header`.
    #[inline(always)]
    pub fn decode(word: u64, header: &RapidBinHeader) -> Result<Self, TraceErrorKind> {
        if word >> 63 != 0 {
            return Err(TraceErrorKind::SignBit);
        }
        let thread = (word & 0x3ff) as u32;
        let code = ((word >> 10) & 0xf) as u8;
        let decor = (word >> 14) & MAX_DECOR;
        let location = ((word >> 48) & 0x7fff) as u32;
        let Some(op) = OPS[code as usize] else {
            return Err(TraceErrorKind::UnknownOperationCode { code });
        };
        let beyond = |what, id: u64, count: u64| TraceErrorKind::IdBeyondHeader { what, id, count };
        if thread >= header.threads {
            return Err(beyond("thread", thread.into(), header.threads.into()));
        }
        let limit = match op {
            Op::Read | Op::Write => Some(("variable", header.variables)),
            Op::Acquire | Op::Release | Op::Request => Some(("lock", header.locks)),
            Op::Fork | Op::Join => Some(("thread", u64::from(header.threads))),
            Op::Begin | Op::End => None,
        };
        if let Some((what, count)) = limit
            && decor >= count
        {
            return Err(beyond(what, decor, count));
        }
        Ok(RapidBinEvent {
            thread,
            op,
            decor,
            location,
        })
    }

    /// The event's word, or `None` if a field does not fit (thread above
    /// [`MAX_THREAD_ID`], decor above [`MAX_DECOR`], location above [`MAX_LOCATION`]).
    pub fn encode(&self) -> Option<u64> {
        if self.thread > MAX_THREAD_ID || self.decor > MAX_DECOR || self.location > MAX_LOCATION {
            return None;
        }
        Some(
            u64::from(self.thread)
                | code_of(self.op) << 10
                | self.decor << 14
                | u64::from(self.location) << 48,
        )
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(inner: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match inner.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(n)
}

/// The event words of a RapidBin input, a fixed buffer at a time, with the count checks.
#[derive(Debug)]
struct Words<R> {
    inner: R,
    source: String,
    header: RapidBinHeader,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Events taken so far.
    taken: u64,
    eof: bool,
}

impl<R: Read> Words<R> {
    fn new(mut inner: R, source: &str) -> Result<Self, TraceError> {
        let header_error = |kind| TraceError::at_event(source, 0, byte_offset(0), "", kind);
        let mut bytes = [0u8; HEADER_LEN];
        let n =
            read_full(&mut inner, &mut bytes).map_err(|e| header_error(TraceErrorKind::Io(e)))?;
        if n < HEADER_LEN {
            return Err(header_error(TraceErrorKind::HeaderCut { found: n }));
        }
        let header = RapidBinHeader::decode(&bytes).map_err(header_error)?;
        Ok(Words {
            inner,
            source: source.to_string(),
            header,
            buf: vec![0; BUFFER_EVENTS * EVENT_LEN].into_boxed_slice(),
            start: 0,
            end: 0,
            taken: 0,
            eof: false,
        })
    }

    /// An error at the 1-based `event`.
    fn error(&self, event: u64, word: Option<u64>, kind: TraceErrorKind) -> TraceError {
        let text = word.map_or_else(String::new, |w| format!("{w:#018x}"));
        TraceError::at_event(&self.source, event, byte_offset(event), &text, kind)
    }

    /// Makes whole words available: `Ok(true)` if at least one is, `Ok(false)` at the
    /// well-formed end, an error for a cut event, missing or extra events, or I/O.
    #[inline(never)]
    fn refill(&mut self) -> Result<bool, TraceError> {
        if self.end - self.start < EVENT_LEN {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            while self.end < EVENT_LEN && !self.eof {
                match self.inner.read(&mut self.buf[self.end..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => self.end += n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => {
                        return Err(self.error(self.taken + 1, None, TraceErrorKind::Io(err)));
                    }
                }
            }
        }
        let next = self.taken + 1;
        let pending = self.end - self.start;
        if pending == 0 {
            if self.taken < self.header.events {
                let kind = TraceErrorKind::MissingEvents {
                    expected: self.header.events,
                    found: self.taken,
                };
                return Err(self.error(next, None, kind));
            }
            return Ok(false);
        }
        if self.taken >= self.header.events {
            let kind = TraceErrorKind::ExtraEvents {
                expected: self.header.events,
            };
            return Err(self.error(next, None, kind));
        }
        if pending < EVENT_LEN {
            let kind = TraceErrorKind::EventCut { found: pending };
            return Err(self.error(next, None, kind));
        }
        Ok(true)
    }

    /// The whole words available now, at most as many as the header has left.
    fn available(&self) -> &[u8] {
        let left = self.header.events - self.taken;
        let words =
            ((self.end - self.start) / EVENT_LEN).min(usize::try_from(left).unwrap_or(usize::MAX));
        &self.buf[self.start..self.start + words * EVENT_LEN]
    }

    fn consume(&mut self, words: usize) {
        self.start += words * EVENT_LEN;
        self.taken += words as u64;
    }
}

#[inline(always)]
fn word_at(bytes: &[u8], i: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[i * EVENT_LEN..(i + 1) * EVENT_LEN]);
    u64::from_be_bytes(word)
}

/// A streaming RapidBin reader: the header, then one checked event at a time, with raw ids.
///
/// Memory: one 64 KiB buffer, whatever the header says.
#[derive(Debug)]
pub struct RapidBinReader<R> {
    words: Words<R>,
}

impl<R: Read> RapidBinReader<R> {
    /// Reads and checks the header of `inner`; `source` names it in errors.
    pub fn new(inner: R, source: &str) -> Result<Self, TraceError> {
        Ok(RapidBinReader {
            words: Words::new(inner, source)?,
        })
    }

    /// The header.
    pub fn header(&self) -> &RapidBinHeader {
        &self.words.header
    }

    /// Events read so far (the 1-based number of the last one).
    pub fn events_read(&self) -> u64 {
        self.words.taken
    }

    /// The next event, `None` after the last one (which is the header's count exactly).
    // Inlined whole, so that the event stays in registers (called, its 40-byte result went
    // through memory with a failed store forwarding: 27 ns a word instead of a few).
    #[inline(always)]
    pub fn next_event(&mut self) -> Result<Option<RapidBinEvent>, TraceError> {
        let words = &mut self.words;
        if (words.end - words.start < EVENT_LEN || words.taken >= words.header.events)
            && !words.refill()?
        {
            return Ok(None);
        }
        let word = word_at(&self.words.buf[self.words.start..], 0);
        let event = RapidBinEvent::decode(word, &self.words.header)
            .map_err(|kind| self.words.error(self.words.taken + 1, Some(word), kind))?;
        self.words.consume(1);
        Ok(Some(event))
    }
}

/// Raw ids to dense ids, in order of first appearance (as the STD reader numbers names).
#[derive(Debug, Default)]
struct DenseIds {
    /// Ids of raw numbers below [`DIRECT_IDS`], `u32::MAX` when not seen.
    direct: Vec<u32>,
    /// Ids of larger raw numbers (only hostile or huge traces have them).
    large: HashMap<u64, u32>,
    /// The raw number of each dense id.
    raw: Vec<u64>,
}

/// Raw numbers below this are looked up in a table (at most 4 MiB), others hashed: the
/// table grows with the largest number seen, never with the header's counts.
const DIRECT_IDS: u64 = 1 << 20;

impl DenseIds {
    #[inline(always)]
    fn id(&mut self, raw: u64) -> u32 {
        if let Some(&id) = self.direct.get(raw as usize)
            && id != u32::MAX
        {
            return id;
        }
        self.new_id(raw)
    }

    #[inline(never)]
    fn new_id(&mut self, raw: u64) -> u32 {
        // Ids stay far below 2^32: the header's counts are i32.
        let next = u32::try_from(self.raw.len()).unwrap_or(u32::MAX);
        let id = if raw < DIRECT_IDS {
            let i = raw as usize;
            if i >= self.direct.len() {
                let len = (i + 1).max(self.direct.len() * 2).min(DIRECT_IDS as usize);
                self.direct.resize(len, u32::MAX);
            }
            if self.direct[i] == u32::MAX {
                self.direct[i] = next;
            }
            self.direct[i]
        } else {
            *self.large.entry(raw).or_insert(next)
        };
        if id == next {
            self.raw.push(raw);
        }
        id
    }

    fn raw(&self, id: u32) -> Option<u64> {
        self.raw.get(id as usize).copied()
    }
}

/// The names of a RapidBin trace's threads, locks and variables by dense id: `T<n>`, `n`,
/// `n` (the spelling the STD reader gives numeric names).
#[derive(Debug, Default)]
pub(crate) struct RapidBinNames {
    threads: DenseIds,
    locks: DenseIds,
    variables: DenseIds,
}

impl NameTable for RapidBinNames {
    fn thread(&self, id: u32) -> String {
        self.threads
            .raw(id)
            .map_or_else(String::new, |n| format!("T{n}"))
    }
    fn lock(&self, id: u32) -> String {
        self.locks
            .raw(id)
            .map_or_else(String::new, |n| n.to_string())
    }
    fn variable(&self, id: u32) -> String {
        self.variables
            .raw(id)
            .map_or_else(String::new, |n| n.to_string())
    }
    fn location(&self, key: u64) -> String {
        key.to_string()
    }
    fn thread_count(&self) -> usize {
        self.threads.raw.len()
    }
    fn lock_count(&self) -> usize {
        self.locks.raw.len()
    }
    fn variable_count(&self) -> usize {
        self.variables.raw.len()
    }
}

/// Fills [`Batch`]es of dense-id events from a RapidBin input, for the detector.
#[derive(Debug)]
pub(crate) struct RapidBinBatches<R> {
    words: Option<Words<R>>,
    names: RapidBinNames,
    source: String,
    /// The header's error, handed out as the first batch's.
    failed: Option<TraceError>,
    done: bool,
}

impl<R: Read> RapidBinBatches<R> {
    pub(crate) fn new(inner: R, source: &str) -> Self {
        let (words, failed) = match Words::new(inner, source) {
            Ok(words) => (Some(words), None),
            Err(err) => (None, Some(err)),
        };
        RapidBinBatches {
            words,
            names: RapidBinNames::default(),
            source: source.to_string(),
            failed,
            done: false,
        }
    }

    /// Decodes `bytes` (whole words) into `events`; returns the words taken and the error
    /// at the first bad one. The checks of [`RapidBinEvent::decode`], fused with the
    /// interning in one match on the code (the hot loop: about 40 instructions a word).
    #[inline(always)]
    fn decode(
        names: &mut RapidBinNames,
        header: &RapidBinHeader,
        bytes: &[u8],
        events: &mut Vec<StdEvent>,
    ) -> Result<usize, (usize, u64, TraceErrorKind)> {
        events.reserve(bytes.len() / EVENT_LEN);
        for (i, chunk) in bytes.chunks_exact(EVENT_LEN).enumerate() {
            let word = <[u8; EVENT_LEN]>::try_from(chunk).map_or(u64::MAX, u64::from_be_bytes);
            let thread = (word & 0x3ff) as u32;
            let decor = (word >> 14) & MAX_DECOR;
            let fault = || (i, word, fault(word, header));
            // Bit 63 set makes the thread check fail too: the slow path says which.
            if word >> 63 != 0 || thread >= header.threads {
                return Err(fault());
            }
            let (op, operand) = match (word >> 10) & 0xf {
                code @ (2 | 3) if decor < header.variables => {
                    let op = if code == 2 { Op::Read } else { Op::Write };
                    (op, names.variables.id(decor))
                }
                code @ (0 | 1 | 8) if decor < header.locks => {
                    let op = match code {
                        0 => Op::Acquire,
                        1 => Op::Release,
                        _ => Op::Request,
                    };
                    (op, names.locks.id(decor))
                }
                code @ (4 | 5) if decor < u64::from(header.threads) => {
                    let op = if code == 4 { Op::Fork } else { Op::Join };
                    (op, names.threads.id(decor))
                }
                6 => (Op::Begin, 0),
                7 => (Op::End, 0),
                _ => return Err(fault()),
            };
            // The thread after the operand, as the STD reader does for numeric `fork`
            // lines (ids are resolved to names at the end, so the order is immaterial).
            let thread = names.threads.id(thread.into());
            events.push(StdEvent {
                thread,
                op,
                operand,
                location: (word >> 48) & 0x7fff,
            });
        }
        Ok(bytes.len() / EVENT_LEN)
    }
}

/// What is wrong with a word the fast path refused.
#[cold]
fn fault(word: u64, header: &RapidBinHeader) -> TraceErrorKind {
    match RapidBinEvent::decode(word, header) {
        Err(kind) => kind,
        // The fast path and `decode` check the same things; should they ever differ, the
        // word is still refused rather than misread.
        Ok(_) => TraceErrorKind::UnknownOperationCode {
            code: ((word >> 10) & 0xf) as u8,
        },
    }
}

impl<R: Read> EventSource for RapidBinBatches<R> {
    type Names = RapidBinNames;

    fn fill(&mut self, batch: &mut Batch) {
        batch.events.clear();
        batch.error = None;
        batch.first_line = self.events_read() + 1;
        if let Some(err) = self.failed.take() {
            batch.error = Some(err);
            self.done = true;
        }
        if let (false, Some(words)) = (self.done, self.words.as_mut()) {
            match words.refill() {
                Ok(false) => self.done = true,
                Err(err) => {
                    batch.error = Some(err);
                    self.done = true;
                }
                Ok(true) => {
                    let bytes = words.available();
                    match Self::decode(&mut self.names, &words.header, bytes, &mut batch.events) {
                        Ok(n) => words.consume(n),
                        Err((i, word, kind)) => {
                            words.consume(i);
                            batch.error = Some(words.error(words.taken + 1, Some(word), kind));
                            self.done = true;
                        }
                    }
                }
            }
        }
        batch.last = self.done;
        batch.threads = self.names.thread_count();
        batch.locks = self.names.lock_count();
        batch.variables = self.names.variable_count();
        batch.bytes = self.bytes_read();
    }

    fn names(&self) -> &RapidBinNames {
        &self.names
    }

    fn events_read(&self) -> u64 {
        self.words.as_ref().map_or(0, |w| w.taken)
    }

    fn bytes_read(&self) -> u64 {
        self.words.as_ref().map_or(0, |w| byte_offset(w.taken + 1))
    }

    fn error(&self, event: u64, _text: &[u8], kind: TraceErrorKind) -> TraceError {
        TraceError::at_event(&self.source, event, byte_offset(event), "", kind)
    }
}

/// Writes a RapidBin trace: the header first, then the events, checked against it.
#[derive(Debug)]
pub struct RapidBinWriter<W> {
    inner: W,
    header: RapidBinHeader,
    written: u64,
}

/// What makes writing a RapidBin trace fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RapidBinWriteError {
    /// Writing failed.
    #[error("write error")]
    Io(#[from] io::Error),
    /// A header count beyond the format's signed range.
    #[error("header counts beyond the format's range: {0:?}")]
    Header(RapidBinHeader),
    /// An event that does not fit the format or the header.
    #[error("event {index} does not fit: {why}")]
    Event {
        /// The 1-based event number.
        index: u64,
        /// What does not fit.
        why: String,
    },
    /// More or fewer events than the header says.
    #[error("{written} events written, the header says {expected}")]
    Count {
        /// The header's count.
        expected: u64,
        /// Events written (or offered).
        written: u64,
    },
    /// The STD input could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
}

impl<W: Write> RapidBinWriter<W> {
    /// Writes `header` to `inner`.
    pub fn new(mut inner: W, header: RapidBinHeader) -> Result<Self, RapidBinWriteError> {
        let bytes = header.encode().ok_or(RapidBinWriteError::Header(header))?;
        inner.write_all(&bytes)?;
        Ok(RapidBinWriter {
            inner,
            header,
            written: 0,
        })
    }

    /// Writes one event, after checking it against the format and the header.
    pub fn write_event(&mut self, event: RapidBinEvent) -> Result<(), RapidBinWriteError> {
        let index = self.written + 1;
        if self.written >= self.header.events {
            return Err(RapidBinWriteError::Count {
                expected: self.header.events,
                written: index,
            });
        }
        let word = event.encode().ok_or_else(|| RapidBinWriteError::Event {
            index,
            why: format!("{event:?} exceeds the field widths"),
        })?;
        RapidBinEvent::decode(word, &self.header).map_err(|kind| RapidBinWriteError::Event {
            index,
            why: kind.to_string(),
        })?;
        self.inner.write_all(&word.to_be_bytes())?;
        self.written = index;
        Ok(())
    }

    /// Checks that every event announced was written, flushes, and returns the writer.
    pub fn finish(mut self) -> Result<W, RapidBinWriteError> {
        if self.written != self.header.events {
            return Err(RapidBinWriteError::Count {
                expected: self.header.events,
                written: self.written,
            });
        }
        self.inner.flush()?;
        Ok(self.inner)
    }
}

/// Converts an STD trace to RapidBin, streaming: names become dense ids in order of first
/// appearance (threads, locks and variables numbered separately), so the counts in the
/// header are the distinct names. Locations must be numbers up to [`MAX_LOCATION`] and
/// threads at most 1,024. The header is written last (hence `Seek`).
///
/// The RapidBin trace has the races of the STD one (same events in the same order, names
/// renamed); its reports name threads `T<id>` and locks and variables by id.
pub fn std_to_rapidbin<R: Read, W: Write + Seek>(
    input: R,
    source: &str,
    mut out: W,
) -> Result<RapidBinHeader, RapidBinWriteError> {
    let start = out.stream_position()?;
    out.write_all(&[0; HEADER_LEN])?;
    let mut reader = StdReader::new(input, source);
    let mut buf = io::BufWriter::new(&mut out);
    let mut events = 0u64;
    while let Some(event) = reader.next_event()? {
        events += 1;
        let misfit = |why: String| RapidBinWriteError::Event { index: events, why };
        let location = u32::try_from(event.location)
            .ok()
            .filter(|&l| l <= MAX_LOCATION)
            .ok_or_else(|| {
                misfit(format!(
                    "{source}:{events}: location `{}` is not a number up to {MAX_LOCATION}",
                    reader.names().location(event.location)
                ))
            })?;
        let decor = match event.op {
            Op::Begin | Op::End => 0,
            _ => event.operand.into(),
        };
        let word = RapidBinEvent {
            thread: event.thread,
            op: event.op,
            decor,
            location,
        }
        .encode()
        .ok_or_else(|| misfit(format!("{source}:{events}: more than 1,024 threads")))?;
        buf.write_all(&word.to_be_bytes())?;
    }
    buf.flush()?;
    drop(buf);
    let names = reader.names();
    let header = RapidBinHeader {
        threads: u32::try_from(names.thread_count()).unwrap_or(u32::MAX),
        locks: names.lock_count() as u64,
        variables: names.variable_count() as u64,
        events,
    };
    let bytes = header.encode().ok_or(RapidBinWriteError::Header(header))?;
    let end = out.stream_position()?;
    out.seek(SeekFrom::Start(start))?;
    out.write_all(&bytes)?;
    out.seek(SeekFrom::Start(end))?;
    out.flush()?;
    Ok(header)
}

/// Renders a RapidBin trace as STD text, one `T<thread>|op(<decor>)|<location>` line per
/// event (`begin(0)`/`end(0)` for the markers, `fork(T<n>)` for fork and join); returns the
/// number of events. Reading it as STD gives the same report as reading the RapidBin trace.
pub fn rapidbin_to_std<R: Read, W: Write>(
    input: R,
    source: &str,
    out: W,
) -> Result<u64, RapidBinWriteError> {
    let mut reader = RapidBinReader::new(input, source)?;
    let mut out = io::BufWriter::new(out);
    while let Some(event) = reader.next_event()? {
        let RapidBinEvent {
            thread,
            op,
            decor,
            location,
        } = event;
        match op {
            Op::Begin | Op::End => writeln!(out, "T{thread}|{op}(0)|{location}")?,
            Op::Fork | Op::Join => writeln!(out, "T{thread}|{op}(T{decor})|{location}")?,
            _ => writeln!(out, "T{thread}|{op}({decor})|{location}")?,
        }
    }
    out.flush()?;
    Ok(reader.events_read())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(thread: u64, code: u64, decor: u64, location: u64) -> u64 {
        thread | code << 10 | decor << 14 | location << 48
    }

    #[test]
    fn fields_round_trip_at_their_widths() {
        let header = RapidBinHeader {
            threads: 1024,
            locks: 1 << 31,
            variables: 1 << 31,
            events: 1,
        };
        for (thread, op, decor, location) in [
            (0, Op::Acquire, 0, 0),
            (1023, Op::Write, (1 << 31) - 1, 32767),
            (5, Op::Fork, 1023, 7),
            (9, Op::End, MAX_DECOR, 1),
        ] {
            let event = RapidBinEvent {
                thread,
                op,
                decor,
                location,
            };
            let w = event.encode().expect("fits");
            assert_eq!(w, word(thread.into(), code_of(op), decor, location.into()));
            assert_eq!(RapidBinEvent::decode(w, &header).expect("valid"), event);
        }
        let too_wide = RapidBinEvent {
            thread: 1024,
            op: Op::Read,
            decor: 0,
            location: 0,
        };
        assert_eq!(too_wide.encode(), None);
    }

    /// The layout pinned byte for byte: the header and four events of RAPID's
    /// `Bensalem.data` (Proglang-Uni-Freiburg/trace-analyzer, `input/Bensalem.data`),
    /// written by the writer and read back by the reader.
    #[test]
    fn golden_bytes_of_bensalem_data() {
        let header = RapidBinHeader {
            threads: 4,
            locks: 5,
            variables: 5,
            events: 4,
        };
        let events = [
            // Event 11: T0|fork(T1)|0.
            (0, Op::Fork, 1, 0, 0x0000_0000_0000_5000u64),
            // Event 15: T1|acq(0)|6.
            (1, Op::Acquire, 0, 6, 0x0006_0000_0000_0001),
            // Event 25: T1|fork(T2)|17.
            (1, Op::Fork, 2, 17, 0x0011_0000_0000_9001),
            // Event 50: T0|fork(T3)|1.
            (0, Op::Fork, 3, 1, 0x0001_0000_0000_d000),
        ];
        let mut expected = vec![
            0x00, 0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x04,
        ];
        let mut writer = RapidBinWriter::new(Vec::new(), header).expect("fits");
        for (thread, op, decor, location, word) in events {
            let event = RapidBinEvent {
                thread,
                op,
                decor,
                location,
            };
            writer.write_event(event).expect("fits");
            expected.extend_from_slice(&u64::to_be_bytes(word));
        }
        let bytes = writer.finish().expect("four events");
        assert_eq!(bytes, expected);
        let mut reader = RapidBinReader::new(bytes.as_slice(), "golden").expect("header");
        assert_eq!(reader.header(), &header);
        for (thread, op, decor, location, _) in events {
            let event = reader.next_event().expect("valid").expect("an event");
            assert_eq!(
                (event.thread, event.op, event.decor, event.location),
                (thread, op, decor, location)
            );
        }
        assert_eq!(reader.next_event().expect("the end").map(|e| e.op), None);
    }

    #[test]
    fn header_round_trips_and_refuses_negative_counts() {
        let header = RapidBinHeader {
            threads: 4,
            locks: 5,
            variables: 6,
            events: 68,
        };
        let bytes = header.encode().expect("fits");
        assert_eq!(&bytes[..4], &[0, 4, 0, 0]);
        assert_eq!(RapidBinHeader::decode(&bytes).expect("valid"), header);
        let mut negative = bytes;
        negative[2] = 0x80;
        assert!(matches!(
            RapidBinHeader::decode(&negative),
            Err(TraceErrorKind::NegativeCount { what: "locks", .. })
        ));
        let big = RapidBinHeader {
            threads: 40_000,
            ..header
        };
        assert_eq!(big.encode(), None);
    }
}
