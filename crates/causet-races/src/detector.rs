//! The one streaming pass: read a batch of events, check that the trace stays well formed,
//! update the clocks, check accesses, count races.
//!
//! Reading (parsing and interning names) and the engine run one after the other on the
//! calling thread for small inputs, and on two threads for large ones: the calling thread
//! reads batches ([`Batch`], one read of the source each, a few thousand events) and hands
//! them to the engine on a second thread through a bounded channel, which hands them back
//! for reuse, so memory stays flat (at most [`POOL`] batches exist). A whole run then takes
//! about as long as the slower of the two halves instead of their sum.
//!
//! Both ways do the same thing batch by batch, so results and errors are the same: the
//! engine processes every event of a batch before it looks at the reading error that ended
//! it, and reports an ill-formed trace at the exact event (with the line's text, which the
//! batch carries); names in error messages are resolved at the end, from the reader's name
//! tables (ids never change, so later names do not matter).
//!
//! The input is STD text ([`BatchReader`]) or RapidBin ([`RapidBinBatches`]): both fill the
//! same batches of dense-id events, so the engines, the checks and the report are shared
//! ([`EventSource`]); [`TraceFormat`] picks one, by content when asked to.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};
use std::str::FromStr;
use std::sync::mpsc;

use super::engines::{AccessHistory, Prior, Site, SyncClocks, Verdict};
use super::error::TraceErrorKind;
use super::memory::estimate_memory;
use super::rapidbin::{HEADER_LEN, RapidBinBatches, RapidBinHeader};
use super::source::{EventSource, NameTable};
use super::std_format::batch::{Batch, BatchReader};
use super::std_format::{Names, Op, StdEvent};
use super::{Access, Engine, Progress, Race, RaceOptions, RaceReport, TraceError, engines};

/// The format of a trace given to [`detect_races_with_format`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TraceFormat {
    /// Decide by content ([`TraceFormat::detect`]).
    #[default]
    Auto,
    /// RAPID's STD text format ([`std_format`](super::std_format)).
    Std,
    /// RAPID's binary RapidBin format ([`rapidbin`](super::rapidbin)).
    RapidBin,
}

impl TraceFormat {
    /// The format of a trace that starts with `prefix` (its first 18 bytes, or all of it if
    /// shorter) and is `length` bytes long if known: RapidBin if the prefix holds a NUL byte
    /// (never in STD text; the header of any trace with fewer than 256 threads starts with
    /// one) or is a header whose event count matches `length` exactly, else STD.
    pub fn detect(prefix: &[u8], length: Option<u64>) -> TraceFormat {
        let prefix = &prefix[..prefix.len().min(HEADER_LEN)];
        if memchr::memchr(0, prefix).is_some() {
            return TraceFormat::RapidBin;
        }
        let header = <&[u8; HEADER_LEN]>::try_from(prefix)
            .ok()
            .and_then(|bytes| RapidBinHeader::decode(bytes).ok());
        if let (Some(header), Some(length)) = (header, length) {
            let expected = header
                .events
                .checked_mul(8)
                .and_then(|n| n.checked_add(HEADER_LEN as u64));
            if expected == Some(length) {
                return TraceFormat::RapidBin;
            }
        }
        TraceFormat::Std
    }

    /// Reads the first bytes of `input` (up to 18, fewer at its end) and decides its format
    /// with [`TraceFormat::detect`]; returns the format and `input` with those bytes put back
    /// in front, so the chosen reader sees the whole trace.
    pub fn sniff<R: Read>(
        mut input: R,
        length: Option<u64>,
    ) -> io::Result<(TraceFormat, Sniffed<R>)> {
        let mut prefix = Vec::with_capacity(HEADER_LEN);
        Read::by_ref(&mut input)
            .take(HEADER_LEN as u64)
            .read_to_end(&mut prefix)?;
        let format = TraceFormat::detect(&prefix, length);
        Ok((format, io::Cursor::new(prefix).chain(input)))
    }

    /// The name used on the command line: `auto`, `std` or `rapidbin`.
    pub fn name(self) -> &'static str {
        match self {
            TraceFormat::Auto => "auto",
            TraceFormat::Std => "std",
            TraceFormat::RapidBin => "rapidbin",
        }
    }
}

impl fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An input whose first bytes [`TraceFormat::sniff`] read, with them put back in front.
pub type Sniffed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// A format name that is none of `auto`, `std`, `rapidbin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trace format `{0}` (expected auto, std or rapidbin)")]
pub struct UnknownFormat(pub String);

impl FromStr for TraceFormat {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(TraceFormat::Auto),
            "std" => Ok(TraceFormat::Std),
            "rapidbin" => Ok(TraceFormat::RapidBin),
            other => Err(UnknownFormat(other.to_string())),
        }
    }
}

/// Reads a trace in `format` from `input` (named `source` in errors) and finds its races,
/// calling `progress` every [`RaceOptions::progress_every`] events.
///
/// With [`TraceFormat::Auto`] the first 18 bytes decide ([`TraceFormat::sniff`], without
/// the length, which a reader does not know; callers that know it can sniff first).
/// A RapidBin trace gives the report of its STD rendering
/// ([`rapidbin_to_std`](super::rapidbin::rapidbin_to_std)); its errors name the event and
/// its byte offset instead of a line.
pub fn detect_races_with_format<R: Read>(
    input: R,
    source: &str,
    format: TraceFormat,
    options: &RaceOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<RaceReport, TraceError> {
    match format {
        TraceFormat::Std => run_engine(BatchReader::new(input, source), options, progress),
        TraceFormat::RapidBin => run_engine(RapidBinBatches::new(input, source), options, progress),
        TraceFormat::Auto => {
            let (format, input) = TraceFormat::sniff(input, None)
                .map_err(|err| TraceError::new(source, 1, b"", TraceErrorKind::Io(err)))?;
            match format {
                TraceFormat::RapidBin => {
                    run_engine(RapidBinBatches::new(input, source), options, progress)
                }
                _ => run_engine(BatchReader::new(input, source), options, progress),
            }
        }
    }
}

/// The analysis of `reader`'s events with the engine `options` ask for.
pub(crate) fn run_engine<Src: EventSource>(
    reader: Src,
    options: &RaceOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<RaceReport, TraceError> {
    use engines::epoch::EpochHistory;
    use engines::tree_clock::TreeClocks;
    use engines::vector_clock::{FlatClocks, VectorHistory};
    match options.engine {
        Engine::VectorClock => {
            run_source::<Src, FlatClocks, VectorHistory>(reader, options, progress)
        }
        Engine::Epoch => run_source::<Src, FlatClocks, EpochHistory>(reader, options, progress),
        Engine::TreeClock => run_source::<Src, TreeClocks, EpochHistory>(reader, options, progress),
    }
}

impl NameTable for Names {
    fn thread(&self, id: u32) -> String {
        Names::thread(self, id)
    }
    fn lock(&self, id: u32) -> String {
        Names::lock(self, id)
    }
    fn variable(&self, id: u32) -> String {
        Names::variable(self, id)
    }
    fn location(&self, key: u64) -> String {
        Names::location(self, key)
    }
    fn thread_count(&self) -> usize {
        Names::thread_count(self)
    }
    fn lock_count(&self) -> usize {
        Names::lock_count(self)
    }
    fn variable_count(&self) -> usize {
        Names::variable_count(self)
    }
}

impl<R: Read> EventSource for BatchReader<R> {
    type Names = Names;
    #[inline]
    fn fill(&mut self, batch: &mut Batch) {
        BatchReader::fill(self, batch);
    }
    fn names(&self) -> &Names {
        BatchReader::names(self)
    }
    fn events_read(&self) -> u64 {
        self.events()
    }
    fn bytes_read(&self) -> u64 {
        BatchReader::bytes_read(self)
    }
    fn error(&self, event: u64, text: &[u8], kind: TraceErrorKind) -> TraceError {
        TraceError::new(self.source(), event, text, kind)
    }
}

const NONE: u32 = u32::MAX;

/// Batches in flight at most (read ahead, being processed, handed back): each 128 KiB of
/// text and at most 14,564 decoded events of 24 bytes (one per 9-byte line): about 2 MB.
const POOL: usize = 4;

/// Lifecycle of a thread, for the well-formedness checks.
#[derive(Debug, Clone, Copy, Default)]
struct ThreadState {
    ran: bool,
    forked: bool,
    joined: bool,
}

/// A race found while streaming, described by ids until the names are resolved at the end.
#[derive(Debug, Clone, Copy)]
struct RawRace {
    variable: u32,
    line: u64,
    thread: u32,
    write: bool,
    location: u64,
    prior: Option<Prior>,
}

/// What is ill-formed at an event, by ids (names are resolved at the end).
#[derive(Debug, Clone, Copy)]
enum Ill {
    EventAfterJoin {
        thread: u32,
    },
    LockHeld {
        thread: u32,
        lock: u32,
        holder: u32,
    },
    ReleaseNotHeld {
        thread: u32,
        lock: u32,
    },
    ReleaseNotOwner {
        thread: u32,
        lock: u32,
        holder: u32,
    },
    SelfForkJoin {
        thread: u32,
        op: &'static str,
    },
    LateFork {
        child: u32,
        why: &'static str,
    },
    JoinedTwice {
        child: u32,
    },
    TooManyThreads,
    ClockOverflow {
        thread: u32,
    },
    /// The names seen up to this event would need `estimate` bytes, beyond the limit.
    MemoryLimit {
        estimate: u64,
        counts: Counts,
    },
    /// Allocating the state of these names failed.
    OutOfMemory {
        estimate: u64,
        counts: Counts,
    },
}

/// How many threads, locks and variables there are (or would be).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    threads: usize,
    locks: usize,
    variables: usize,
}

impl Counts {
    fn estimate(self, engine: Engine) -> u64 {
        estimate_memory(
            engine,
            self.threads as u64,
            self.locks as u64,
            self.variables as u64,
        )
    }

    /// The counts once `event` is seen too (ids are dense, in order of first appearance,
    /// so an id at or beyond a count is a new name).
    #[inline]
    fn with(mut self, event: &StdEvent) -> Counts {
        let grow = |count: &mut usize, id: u32| *count = (*count).max(id as usize + 1);
        grow(&mut self.threads, event.thread);
        match event.op {
            Op::Fork | Op::Join => grow(&mut self.threads, event.operand),
            Op::Acquire | Op::Release | Op::Request => grow(&mut self.locks, event.operand),
            Op::Read | Op::Write => grow(&mut self.variables, event.operand),
            Op::Begin | Op::End => {}
        }
        self
    }
}

/// Why a pass stopped early.
#[derive(Debug)]
enum Stop {
    /// The trace is ill-formed at `line`, whose text is `text`.
    Ill { line: u64, text: Vec<u8>, ill: Ill },
    /// The reader failed (a line that is not an event, an I/O error, ...).
    Read(TraceError),
}

impl Stop {
    fn into_error<Src: EventSource>(self, reader: &Src, options: &RaceOptions) -> TraceError {
        let names = reader.names();
        let (line, text, ill) = match self {
            Stop::Read(err) => return err,
            Stop::Ill { line, text, ill } => (line, text, ill),
        };
        let thread = |t| names.thread(t);
        let lock = |l| names.lock(l);
        let kind = match ill {
            Ill::EventAfterJoin { thread: t } => {
                TraceErrorKind::EventAfterJoin { thread: thread(t) }
            }
            Ill::LockHeld {
                thread: t,
                lock: l,
                holder,
            } => TraceErrorKind::LockHeld {
                thread: thread(t),
                lock: lock(l),
                holder: thread(holder),
            },
            Ill::ReleaseNotHeld { thread: t, lock: l } => TraceErrorKind::ReleaseNotHeld {
                thread: thread(t),
                lock: lock(l),
            },
            Ill::ReleaseNotOwner {
                thread: t,
                lock: l,
                holder,
            } => TraceErrorKind::ReleaseNotOwner {
                thread: thread(t),
                lock: lock(l),
                holder: thread(holder),
            },
            Ill::SelfForkJoin { thread: t, op } => TraceErrorKind::SelfForkJoin {
                thread: thread(t),
                op,
            },
            Ill::LateFork { child, why } => TraceErrorKind::LateFork {
                child: thread(child),
                why,
            },
            Ill::JoinedTwice { child } => TraceErrorKind::JoinedTwice {
                child: thread(child),
            },
            Ill::TooManyThreads => TraceErrorKind::TooManyThreads {
                max: options.max_threads,
            },
            Ill::MemoryLimit { estimate, counts } => TraceErrorKind::MemoryLimit {
                estimate,
                limit: options.max_memory,
                engine: options.engine,
                threads: counts.threads as u64,
                locks: counts.locks as u64,
                variables: counts.variables as u64,
            },
            Ill::OutOfMemory { estimate, counts } => TraceErrorKind::OutOfMemory {
                estimate,
                threads: counts.threads as u64,
                locks: counts.locks as u64,
                variables: counts.variables as u64,
            },
            Ill::ClockOverflow { thread: t } => TraceErrorKind::ClockOverflow { thread: thread(t) },
        };
        reader.error(line, &text, kind)
    }
}

/// The engine's state: clocks, access histories, well-formedness and the race counts.
#[derive(Debug)]
struct Detector<S, H> {
    sync: S,
    history: H,
    threads: Vec<ThreadState>,
    lock_holder: Vec<u32>,
    // Locks are re-entrant (Java monitors): only the outermost acquire and release of a
    // nest synchronise; the inner ones are ordered by program order anyway.
    lock_depth: Vec<u32>,
    racy_variable: Vec<bool>,
    racy_variable_order: Vec<u32>,
    racy_locations: HashSet<u64>,
    racy_events: u64,
    races: Vec<RawRace>,
    list: usize,
    max_threads: usize,
    max_memory: u64,
    engine: Engine,
}

impl<S: SyncClocks + Default, H: AccessHistory + Default> Detector<S, H> {
    fn new(options: &RaceOptions) -> Self {
        Detector {
            sync: S::default(),
            history: H::default(),
            threads: Vec::new(),
            lock_holder: Vec::new(),
            lock_depth: Vec::new(),
            racy_variable: Vec::new(),
            racy_variable_order: Vec::new(),
            racy_locations: HashSet::new(),
            racy_events: 0,
            races: Vec::new(),
            list: options.list,
            max_threads: options.max_threads,
            max_memory: options.max_memory,
            engine: options.engine,
        }
    }

    /// The names the state is kept for.
    fn counts(&self) -> Counts {
        Counts {
            threads: self.threads.len(),
            locks: self.lock_holder.len(),
            variables: self.racy_variable.len(),
        }
    }

    /// Clocks and state for the names a batch introduced (ids are dense, in order of first
    /// appearance, so the counts say which are new). An error when an allocation fails:
    /// the thread clocks and the per-name vectors are reserved first, fallibly.
    fn grow(&mut self, to: Counts) -> Result<(), Ill> {
        let Counts {
            threads,
            locks,
            variables,
        } = to;
        let failed = |_| Ill::OutOfMemory {
            estimate: to.estimate(self.engine),
            counts: to,
        };
        let more = |have: usize, want: usize| want.saturating_sub(have);
        self.threads
            .try_reserve_exact(more(self.threads.len(), threads))
            .map_err(failed)?;
        self.lock_holder
            .try_reserve_exact(more(self.lock_holder.len(), locks))
            .map_err(failed)?;
        self.lock_depth
            .try_reserve_exact(more(self.lock_depth.len(), locks))
            .map_err(failed)?;
        self.racy_variable
            .try_reserve_exact(more(self.racy_variable.len(), variables))
            .map_err(failed)?;
        while self.threads.len() < threads {
            self.sync.add_thread().map_err(failed)?;
            self.threads.push(ThreadState::default());
        }
        while self.lock_holder.len() < locks {
            self.sync.add_lock();
            self.lock_holder.push(NONE);
            self.lock_depth.push(0);
        }
        while self.racy_variable.len() < variables {
            self.history.add_variable();
            self.racy_variable.push(false);
        }
        Ok(())
    }

    /// The first of `events` whose names would take the state past the memory limit, with
    /// the estimate and the counts before it (the names up to it, it excluded, fit).
    #[cold]
    fn first_over_memory(&self, events: &[StdEvent]) -> Option<(usize, u64, Counts, Counts)> {
        let mut counts = self.counts();
        for (i, event) in events.iter().enumerate() {
            let next = counts.with(event);
            if next != counts {
                let estimate = next.estimate(self.engine);
                if estimate > self.max_memory {
                    return Some((i, estimate, counts, next));
                }
                counts = next;
            }
        }
        None
    }

    /// Every event of `batch`, then the reading error that ended it, if any.
    fn process(&mut self, batch: &mut Batch) -> Result<(), Stop> {
        // The thread limit is checked by id: ids are dense, so the first event naming an id
        // at the limit is the one that makes the count exceed it.
        let mut n = batch.events.len();
        let mut stop = Ill::TooManyThreads;
        if batch.threads > self.max_threads {
            let max = u32::try_from(self.max_threads).unwrap_or(u32::MAX);
            n = batch
                .events
                .iter()
                .position(|e| {
                    e.thread >= max || (matches!(e.op, Op::Fork | Op::Join) && e.operand >= max)
                })
                .unwrap_or(n);
        }
        let mut to = Counts {
            threads: batch.threads.min(self.max_threads),
            locks: batch.locks,
            variables: batch.variables,
        };
        // The memory limit likewise, by the names up to each event; only when the batch as a
        // whole would pass it (the estimate grows with every count).
        if to != self.counts() && to.estimate(self.engine) > self.max_memory {
            match self.first_over_memory(&batch.events[..n]) {
                Some((i, estimate, fits, over)) => {
                    n = i;
                    to = fits;
                    stop = Ill::MemoryLimit {
                        estimate,
                        counts: over,
                    };
                }
                // Names interned by a line that is not an event (the reading error that
                // ended the batch): they need no state.
                None => to = batch.events[..n].iter().fold(self.counts(), Counts::with),
            }
        }
        if let Err(ill) = self.grow(to) {
            let (line, text) = if batch.events.is_empty() {
                (batch.first_line, Vec::new())
            } else {
                (batch.line(0), batch.line_text(0).to_vec())
            };
            return Err(Stop::Ill { line, text, ill });
        }
        for (i, &event) in batch.events[..n].iter().enumerate() {
            let line = batch.line(i);
            if let Err(ill) = self.step(event, line) {
                let text = batch.line_text(i).to_vec();
                return Err(Stop::Ill { line, text, ill });
            }
        }
        if n < batch.events.len() {
            let (line, text) = (batch.line(n), batch.line_text(n).to_vec());
            return Err(Stop::Ill {
                line,
                text,
                ill: stop,
            });
        }
        match batch.error.take() {
            Some(err) => Err(Stop::Read(err)),
            None => Ok(()),
        }
    }

    /// One event at `line`.
    #[inline(always)]
    fn step(&mut self, event: StdEvent, line: u64) -> Result<(), Ill> {
        let StdEvent {
            thread: t,
            op,
            operand,
            location,
        } = event;
        let state = &mut self.threads[t as usize];
        if state.joined {
            return Err(Ill::EventAfterJoin { thread: t });
        }
        // Markers (lock requests, atomic-block begin and end) have no happens-before effect,
        // so one before the thread's fork contradicts nothing (the recorder of RAPID's
        // `Bensalem.data` writes a `begin` for every thread before forking them); only the
        // other events mark a thread as having run. Set here for all and put back for
        // markers, so that the hot path (accesses) pays nothing for the exception.
        let ran = state.ran;
        state.ran = true;
        let write = match op {
            Op::Read => false,
            Op::Write => true,
            Op::Acquire => {
                let l = operand as usize;
                let holder = self.lock_holder[l];
                if holder == t {
                    self.lock_depth[l] = self.lock_depth[l].saturating_add(1);
                    return Ok(());
                }
                if holder != NONE {
                    return Err(Ill::LockHeld {
                        thread: t,
                        lock: operand,
                        holder,
                    });
                }
                self.lock_holder[l] = t;
                self.lock_depth[l] = 1;
                self.sync.acquire(t, operand);
                return Ok(());
            }
            Op::Release => {
                let l = operand as usize;
                let holder = self.lock_holder[l];
                if holder != t {
                    return Err(if holder == NONE {
                        Ill::ReleaseNotHeld {
                            thread: t,
                            lock: operand,
                        }
                    } else {
                        Ill::ReleaseNotOwner {
                            thread: t,
                            lock: operand,
                            holder,
                        }
                    });
                }
                self.lock_depth[l] -= 1;
                if self.lock_depth[l] > 0 {
                    return Ok(());
                }
                self.lock_holder[l] = NONE;
                if !self.sync.release(t, operand) {
                    return Err(Ill::ClockOverflow { thread: t });
                }
                return Ok(());
            }
            Op::Fork => {
                let u = operand;
                if u == t {
                    return Err(Ill::SelfForkJoin {
                        thread: t,
                        op: "fork",
                    });
                }
                let child = &mut self.threads[u as usize];
                if child.ran || child.forked || child.joined {
                    let why = if child.forked {
                        "was already forked"
                    } else {
                        "already ran"
                    };
                    return Err(Ill::LateFork { child: u, why });
                }
                child.forked = true;
                if !self.sync.fork(t, u) {
                    return Err(Ill::ClockOverflow { thread: t });
                }
                return Ok(());
            }
            Op::Join => {
                let u = operand;
                if u == t {
                    return Err(Ill::SelfForkJoin {
                        thread: t,
                        op: "join",
                    });
                }
                let child = &mut self.threads[u as usize];
                if child.joined {
                    return Err(Ill::JoinedTwice { child: u });
                }
                child.joined = true;
                self.sync.join(t, u);
                return Ok(());
            }
            Op::Request | Op::Begin | Op::End => {
                self.threads[t as usize].ran = ran;
                return Ok(());
            }
        };

        let site = Site { line, location };
        let witness = self.races.len() < self.list;
        let clock = self.sync.clock(t);
        let verdict = if write {
            self.history.write(operand, t, clock, site, witness)
        } else {
            self.history.read(operand, t, clock, site, witness)
        };
        if let Verdict::Racy(prior) = verdict {
            self.racy(operand, line, t, write, location, prior, witness);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn racy(
        &mut self,
        x: u32,
        line: u64,
        thread: u32,
        write: bool,
        location: u64,
        prior: Option<Prior>,
        witness: bool,
    ) {
        self.racy_events += 1;
        if !self.racy_variable[x as usize] {
            self.racy_variable[x as usize] = true;
            self.racy_variable_order.push(x);
        }
        self.racy_locations.insert(location);
        if witness {
            self.races.push(RawRace {
                variable: x,
                line,
                thread,
                write,
                location,
                prior,
            });
        }
    }

    /// The report, with ids resolved to names.
    fn finish(self, names: &impl NameTable, events: u64) -> RaceReport {
        let races = self
            .races
            .iter()
            .map(|race| Race {
                variable: names.variable(race.variable),
                access: Access {
                    line: race.line,
                    thread: names.thread(race.thread),
                    write: race.write,
                    location: names.location(race.location),
                },
                // Every racy access has a witness; an empty one would mean an engine bug,
                // and is shown as line 0 rather than panicking.
                prior: race.prior.map_or_else(
                    || Access {
                        line: 0,
                        thread: String::new(),
                        write: false,
                        location: String::new(),
                    },
                    |prior| Access {
                        line: prior.site.line,
                        thread: names.thread(prior.thread),
                        write: prior.write,
                        location: names.location(prior.site.location),
                    },
                ),
            })
            .collect();
        RaceReport {
            events,
            threads: names.thread_count(),
            locks: names.lock_count(),
            variables: names.variable_count(),
            racy_events: self.racy_events,
            racy_variables: self
                .racy_variable_order
                .iter()
                .map(|&x| names.variable(x))
                .collect(),
            racy_lines: self.racy_locations.len(),
            races,
        }
    }
}

/// Progress callbacks at every multiple of `every` events, as batches are read.
struct ProgressTicks<'a> {
    callback: &'a mut dyn FnMut(Progress),
    every: u64,
    next: u64,
}

impl ProgressTicks<'_> {
    fn batch_read(&mut self, batch: &Batch) {
        let read = batch.first_line - 1 + batch.events.len() as u64;
        while self.next <= read {
            (self.callback)(Progress {
                events: self.next,
                bytes: batch.bytes,
            });
            self.next += self.every;
        }
    }
}

/// The pass over any [`EventSource`].
fn run_source<Src, S, H>(
    mut reader: Src,
    options: &RaceOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<RaceReport, TraceError>
where
    Src: EventSource,
    S: SyncClocks + Default + Send,
    H: AccessHistory + Default + Send,
{
    let mut detector = Detector::<S, H>::new(options);
    let every = options.progress_every.max(1);
    let mut ticks = ProgressTicks {
        callback: progress,
        every,
        next: every,
    };
    // A second thread pays off only when there is a second core and enough input.
    let parallel =
        options.parallel && std::thread::available_parallelism().is_ok_and(|cores| cores.get() > 1);
    let mut batch = Batch::default();
    let outcome = loop {
        reader.fill(&mut batch);
        ticks.batch_read(&batch);
        if let Err(stop) = detector.process(&mut batch) {
            break Err(stop);
        }
        if batch.last {
            break Ok(detector);
        }
        if parallel && reader.bytes_read() >= options.pipeline_after {
            break pipelined(detector, &mut reader, batch, &mut ticks);
        }
    };
    match outcome {
        Ok(detector) => {
            let events = reader.events_read();
            (ticks.callback)(Progress {
                events,
                bytes: reader.bytes_read(),
            });
            Ok(detector.finish(reader.names(), events))
        }
        Err(stop) => Err(stop.into_error(&reader, options)),
    }
}

/// The rest of the pass on two threads: this one reads, a scoped one runs the engine.
fn pipelined<Src, S, H>(
    detector: Detector<S, H>,
    reader: &mut Src,
    spare: Batch,
    ticks: &mut ProgressTicks<'_>,
) -> Result<Detector<S, H>, Stop>
where
    Src: EventSource,
    S: SyncClocks + Default + Send,
    H: AccessHistory + Default + Send,
{
    #[cfg(test)]
    tests::PIPELINED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(POOL);
    let (spare_tx, spare_rx) = mpsc::sync_channel::<Batch>(POOL);
    std::thread::scope(|scope| {
        let engine = scope.spawn(move || {
            let mut detector = detector;
            // Ends when the reader hangs up (after the last batch) or on the first error,
            // which hangs up on the reader in turn.
            for mut batch in full_rx {
                detector.process(&mut batch)?;
                // The reader may have stopped already: then nobody needs the batch back.
                let _ = spare_tx.send(batch);
            }
            Ok(detector)
        });
        let mut spare = Some(spare);
        let mut made = 1;
        loop {
            let mut batch = match spare.take() {
                Some(batch) => batch,
                None if made < POOL => {
                    made += 1;
                    Batch::default()
                }
                None => match spare_rx.recv() {
                    Ok(batch) => batch,
                    // The engine stopped (an ill-formed trace): its result says why.
                    Err(_) => break,
                },
            };
            reader.fill(&mut batch);
            ticks.batch_read(&batch);
            let last = batch.last;
            if full_tx.send(batch).is_err() || last {
                break;
            }
        }
        drop(full_tx);
        match engine.join() {
            Ok(outcome) => outcome,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::super::generate::{TraceShape, generate};
    use super::super::{Engine, RaceOptions, RaceReport, TraceError, detect_races};

    /// A small generated trace (3 locks, 40 variables, dense locking) in STD text.
    fn small_trace(threads: u32, events: u64, seed: u64) -> Vec<u8> {
        let shape = TraceShape {
            threads,
            locks: 3,
            variables: 40,
            events,
            lock_density: 0.2,
            shared_fraction: 0.05,
            seed,
            ..TraceShape::default()
        };
        let mut text = Vec::new();
        generate(&shape, &mut text).expect("writes to memory");
        text
    }

    /// Passes that went on two threads (the test checks that it tested them).
    pub(super) static PIPELINED: AtomicUsize = AtomicUsize::new(0);

    /// Hands out a random-sized piece per read (so batches are small and many), failing at
    /// byte `fail_at` if set.
    struct Source {
        text: Vec<u8>,
        offset: usize,
        rng: ChaCha8Rng,
        fail_at: Option<usize>,
    }

    impl io::Read for Source {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let limit = self.fail_at.unwrap_or(usize::MAX).min(self.text.len());
            if self.fail_at.is_some_and(|at| self.offset >= at) {
                return Err(io::Error::other("disk on fire"));
            }
            let n = self
                .rng
                .random_range(1..700)
                .min(buf.len())
                .min(limit - self.offset);
            buf[..n].copy_from_slice(&self.text[self.offset..self.offset + n]);
            self.offset += n;
            Ok(n)
        }
    }

    fn outcome(result: Result<RaceReport, TraceError>) -> Result<RaceReport, String> {
        result.map_err(|err| format!("{err} @{} `{}`", err.line(), err.text()))
    }

    /// The reading thread and the engine thread give exactly the report or the first error
    /// of the single-threaded pass, on generated traces spoiled at a random line (a line
    /// that is not an event, a release of a lock nobody holds, a second join, a late fork,
    /// one thread too many) or by a source that fails at a random byte.
    #[test]
    fn two_threads_give_the_same_results_and_errors_as_one() {
        let before = PIPELINED.load(Ordering::Relaxed);
        let mut rng = ChaCha8Rng::seed_from_u64(23);
        for case in 0..24u64 {
            let threads = rng.random_range(2..7);
            let text = small_trace(threads, 1_500, case);
            let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
            lines.pop();
            let at = rng.random_range(0..lines.len());
            let mut max_threads = 4_096;
            let spoiled: &[u8] = match case % 7 {
                0 => b"hello",
                1 => b"T1|rel(77)|5",
                2 => b"T0|join(T1)|5",
                3 => b"T0|fork(T1)|5",
                4 => {
                    max_threads = threads as usize;
                    b"T4000|w(1)|5"
                }
                _ => b"",
            };
            if !spoiled.is_empty() {
                lines.insert(at, spoiled);
                if case % 7 == 2 {
                    lines.insert(at, spoiled);
                }
            }
            let mut text = lines.join(&b'\n');
            text.push(b'\n');
            let fail_at = (case % 7 == 5).then(|| rng.random_range(0..text.len()));
            let engine = Engine::ALL[case as usize % 3];
            let run = |parallel: bool, chunked: bool| {
                let mut options = RaceOptions::new(engine).with_list(20);
                options.max_threads = max_threads;
                options.parallel = parallel;
                options.pipeline_after = 0;
                let source = Source {
                    text: text.clone(),
                    offset: 0,
                    rng: ChaCha8Rng::seed_from_u64(case),
                    fail_at: if chunked { fail_at } else { None },
                };
                if chunked {
                    outcome(detect_races(source, "t.std", &options))
                } else {
                    outcome(detect_races(text.as_slice(), "t.std", &options))
                }
            };
            let one = run(false, true);
            assert_eq!(run(true, true), one, "case {case}");
            if fail_at.is_none() {
                assert_eq!(run(true, false), one, "case {case}");
                assert_eq!(run(false, false), one, "case {case}");
            }
            if case % 7 < 5 {
                assert!(one.is_err(), "case {case}: spoiled but accepted");
            }
        }
        assert!(PIPELINED.load(Ordering::Relaxed) > before || !parallel_machine());
    }

    /// The same for RapidBin input: generated traces converted, then spoiled at a random
    /// event (a set bit 63, an unknown code, a release of a lock nobody holds, a cut end,
    /// missing events), read through random-sized reads on one thread and two.
    #[test]
    fn two_threads_give_the_same_results_and_errors_as_one_on_rapidbin() {
        use super::super::rapidbin::std_to_rapidbin;
        use super::super::{TraceFormat, detect_races_with_format};
        let before = PIPELINED.load(Ordering::Relaxed);
        let mut rng = ChaCha8Rng::seed_from_u64(31);
        for case in 0..12u64 {
            let text = small_trace(rng.random_range(2..7), 3_000, case);
            let mut out = io::Cursor::new(Vec::new());
            let header = std_to_rapidbin(text.as_slice(), "t.std", &mut out).expect("converts");
            let mut bytes = out.into_inner();
            let at = 18 + 8 * rng.random_range(0..header.events as usize);
            let word = u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
            let spoiled = match case % 6 {
                0 => Some(word | 1 << 63),
                1 => Some(word | 15 << 10),
                // Thread 0 releases lock 0 (code 1), which it does not hold at the start.
                2 => Some(1 << 10),
                3 => {
                    bytes.truncate(at + 3);
                    None
                }
                4 => {
                    bytes.truncate(at);
                    None
                }
                _ => None,
            };
            if let Some(word) = spoiled {
                bytes[at..at + 8].copy_from_slice(&word.to_be_bytes());
            }
            let engine = Engine::ALL[case as usize % 3];
            let run = |parallel: bool| {
                let mut options = RaceOptions::new(engine).with_list(20);
                options.parallel = parallel;
                options.pipeline_after = 0;
                let source = Source {
                    text: bytes.clone(),
                    offset: 0,
                    rng: ChaCha8Rng::seed_from_u64(case),
                    fail_at: None,
                };
                let format = TraceFormat::RapidBin;
                outcome(detect_races_with_format(
                    source,
                    "t.data",
                    format,
                    &options,
                    &mut |_| {},
                ))
            };
            let one = run(false);
            assert_eq!(run(true), one, "case {case}");
            assert_eq!(one.is_err(), case % 6 < 5, "case {case}: {one:?}");
        }
        assert!(PIPELINED.load(Ordering::Relaxed) > before || !parallel_machine());
    }

    fn parallel_machine() -> bool {
        std::thread::available_parallelism().is_ok_and(|cores| cores.get() > 1)
    }
}
