//! Happens-before data races in RAPID traces (STD text and binary RapidBin).
//!
//! A trace is a sequence of events of threads that share memory: reads and writes of
//! variables, acquires and releases of locks, forks and joins of threads (formats:
//! [`std_format`], [`rapidbin`]; [`detect_races_with_format`] reads either, by content with
//! [`TraceFormat::Auto`]). Happens-before is the smallest transitive order containing program
//! order, release → later acquire of the same lock, fork → the child's events and the
//! child's events → join. A **racy event** is an access e to a variable x such that some
//! earlier access to x (in trace order) by another thread, at least one of the two a write,
//! does not happen before e. The report gives the number of racy events, the racy variables
//! (those with a racy event), and the racy lines: the distinct locations of racy events.
//!
//! One streaming pass over the input: memory grows with the number of threads, locks,
//! variables and locations, never with the number of events. Three engines
//! ([`Engine`]) give identical answers at different speeds:
//! - [`Engine::VectorClock`] (`vc`): DJIT+, a vector clock per thread and lock and the last
//!   read and write of every thread per variable;
//! - [`Engine::Epoch`] (`epoch`): FastTrack's epochs, made exact after write-write races;
//! - [`Engine::TreeClock`] (`tree`): FastTrack's epochs with tree clocks for threads and locks.
//!
//! Locks are re-entrant, as Java monitors are (real traces nest them): only the outermost
//! acquire and release of a nest synchronise. An ill-formed trace (a lock released by a
//! thread that does not hold it, acquired while another thread holds it, a thread joined
//! twice, forked after it ran, or active after its join) is an error naming the line, not
//! something to guess around.
//!
//! ```
//! use causet_races::{Engine, RaceOptions, detect_races};
//!
//! let trace = "\
//! T0|fork(T1)|1
//! T0|w(x)|2
//! T1|w(x)|3
//! T1|acq(m)|4
//! T1|w(y)|5
//! T1|rel(m)|6
//! T0|acq(m)|7
//! T0|r(y)|8
//! T0|rel(m)|9
//! ";
//! for engine in [Engine::VectorClock, Engine::Epoch, Engine::TreeClock] {
//!     let report = detect_races(trace.as_bytes(), "demo.std", &RaceOptions::new(engine))?;
//!     assert_eq!(report.events, 9);
//!     assert_eq!(report.threads, 2);
//!     assert_eq!(report.racy_events, 1); // T1's write of x; y is protected by m
//!     assert_eq!(report.racy_variables, ["x"]);
//! }
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod detector;
mod engines;
mod error;
pub mod generate;
pub mod memory;
pub mod rapidbin;
mod source;
pub mod std_format;

use std::fmt;
use std::io::Read;
use std::str::FromStr;

pub use detector::{Sniffed, TraceFormat, UnknownFormat, detect_races_with_format};
pub use error::{TraceError, TraceErrorKind};
pub use memory::{Bytes, DEFAULT_MAX_MEMORY, estimate_memory};
pub use std_format::{Names, Op, StdEvent, StdReader};

use std_format::batch::BatchReader;

/// Which happens-before engine computes the races (all give the same answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Engine {
    /// `vc`: DJIT+ vector clocks for threads, locks and variables.
    VectorClock,
    /// `epoch`: exact FastTrack epochs, flat vector clocks for threads and locks.
    #[default]
    Epoch,
    /// `tree`: exact FastTrack epochs, tree clocks for threads and locks.
    TreeClock,
}

impl Engine {
    /// All engines.
    pub const ALL: [Engine; 3] = [Engine::VectorClock, Engine::Epoch, Engine::TreeClock];

    /// The short name used on the command line: `vc`, `epoch` or `tree`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::VectorClock => "vc",
            Engine::Epoch => "epoch",
            Engine::TreeClock => "tree",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An engine name that is none of `vc`, `epoch`, `tree`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown engine `{0}` (expected vc, epoch or tree)")]
pub struct UnknownEngine(pub String);

impl FromStr for Engine {
    type Err = UnknownEngine;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "vc" => Ok(Engine::VectorClock),
            "epoch" => Ok(Engine::Epoch),
            "tree" => Ok(Engine::TreeClock),
            other => Err(UnknownEngine(other.to_string())),
        }
    }
}

/// Settings of one analysis.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RaceOptions {
    /// The engine.
    pub engine: Engine,
    /// How many races to describe in [`RaceReport::races`] (the first ones in trace order).
    pub list: usize,
    /// The most threads accepted; default 4,096. Clock memory is quadratic in threads at
    /// worst (every thread and lock knowing every thread: 4 bytes per entry for `vc` and
    /// `epoch`, 20 for `tree`), so this bounds what a hostile trace can make us allocate.
    pub max_threads: usize,
    /// The most memory the analysis may need, in bytes; default [`DEFAULT_MAX_MEMORY`]
    /// (4 GiB). Before the engine takes on new threads, locks or variables it estimates what
    /// it would then need ([`estimate_memory`]: dense clocks, `threads² + locks × threads`
    /// entries) and stops with [`TraceErrorKind::MemoryLimit`] at the first event that
    /// would exceed this, instead of allocating.
    pub max_memory: u64,
    /// Call the progress callback every this many events (as they are read); default 2^20.
    pub progress_every: u64,
    /// Whether reading may run on the calling thread while the engine runs on a second one,
    /// once the input has proved long (1 MiB); default true. Off, or on a machine with one
    /// core, everything runs on the calling thread. Results and errors are the same.
    pub parallel: bool,
    /// Bytes to read on one thread before starting the second (tests make it 0).
    pub(crate) pipeline_after: u64,
}

impl RaceOptions {
    /// Default settings with `engine`.
    pub fn new(engine: Engine) -> Self {
        RaceOptions {
            engine,
            list: 0,
            max_threads: 4_096,
            max_memory: DEFAULT_MAX_MEMORY,
            progress_every: 1 << 20,
            parallel: true,
            pipeline_after: 1 << 20,
        }
    }

    /// The same settings, describing the first `list` races.
    pub fn with_list(mut self, list: usize) -> Self {
        self.list = list;
        self
    }
}

impl Default for RaceOptions {
    fn default() -> Self {
        RaceOptions::new(Engine::default())
    }
}

/// How far an analysis has come, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Events read so far.
    pub events: u64,
    /// Bytes read so far.
    pub bytes: u64,
}

/// The answer for one trace.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RaceReport {
    /// Events (lines) in the trace.
    pub events: u64,
    /// Distinct threads (performing events or named by `fork`/`join`).
    pub threads: usize,
    /// Racy events: accesses with an earlier conflicting access by another thread that does
    /// not happen before them.
    pub racy_events: u64,
    /// Variables with a racy event, in the order of their first racy event.
    pub racy_variables: Vec<String>,
    /// Distinct locations of racy events.
    pub racy_lines: usize,
    /// Distinct locks.
    pub locks: usize,
    /// Distinct variables.
    pub variables: usize,
    /// The first [`RaceOptions::list`] racy events, in trace order.
    pub races: Vec<Race>,
}

/// One racy event and a witness: the most recent earlier conflicting access by another
/// thread that does not happen before it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Race {
    /// The variable.
    pub variable: String,
    /// The racy access.
    pub access: Access,
    /// The earlier access it races with.
    pub prior: Access,
}

/// One access in a [`Race`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Access {
    /// The 1-based line of an STD trace; in a RapidBin trace, the 1-based event number.
    pub line: u64,
    /// The thread's canonical name.
    pub thread: String,
    /// `true` for a write, `false` for a read.
    pub write: bool,
    /// The location field of the line.
    pub location: String,
}

/// Reads an STD trace from `input` (named `source` in errors) and finds its races.
pub fn detect_races<R: Read>(
    input: R,
    source: &str,
    options: &RaceOptions,
) -> Result<RaceReport, TraceError> {
    detect_races_with_progress(input, source, options, &mut |_| {})
}

/// [`detect_races`], calling `progress` every [`RaceOptions::progress_every`] events.
pub fn detect_races_with_progress<R: Read>(
    input: R,
    source: &str,
    options: &RaceOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<RaceReport, TraceError> {
    detector::run_engine(BatchReader::new(input, source), options, progress)
}
