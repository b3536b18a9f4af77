//! What an analysis allocates for its threads, locks and variables, estimated before it
//! allocates it, so that a trace with too many threads (or locks, or variables) for the
//! memory allowed ([`RaceOptions::max_memory`](crate::RaceOptions::max_memory)) is refused
//! with an error ([`TraceErrorKind::MemoryLimit`](crate::TraceErrorKind::MemoryLimit))
//! instead of the process aborting when an allocation fails.
//!
//! The model, per engine (`E` bytes per clock entry: 4 for the flat clocks of `vc` and
//! `epoch`, a `u32`; 20 for tree clocks, a `u32` and a 16-byte node record):
//! - every thread clock **dense**, `threads` entries: `threads² × E`. That is what any
//!   trace whose threads synchronise through shared locks reaches after a while (a clock
//!   learns every thread through the lock clocks), and what a fork tree starts close to
//!   (a child's clock is its parent's: `threads² / 2` entries at creation);
//! - every lock clock dense too, `locks × threads × E` (a release copies the thread's
//!   clock into the lock's);
//! - per thread, lock and variable a fixed part: the clock headers, the lifecycle and lock
//!   state, a variable's hot access state, and the name tables' entry and text
//!   ([`PER_THREAD`], [`PER_LOCK`], [`PER_VARIABLE`]).
//!
//! Not counted: the per-thread access vectors a variable gets once threads race on it
//! (they grow with accesses, not with names), and the racy locations; both are bounded by
//! the events rather than quadratic in the names.
//!
//! **Calibration** (BENCHMARKS.md, "Memory guard"): generated traces
//! (`cargo run --release -p causet-races --example gen_trace -- N 300N > t.std`: 64 locks,
//! 10,000 variables, any thread takes any lock, so the clocks go dense), max RSS of
//! `causet races t.std --engine E --max-threads 10000` under `/usr/bin/time -v`. At 4,000
//! and 8,000 threads the measured peak is 0.90x-1.50x of this estimate for the three
//! engines (`tree` 0.90x-0.97x; `vc` and `epoch` 1.15x-1.50x, the allocator's free holes
//! left by clocks that grew one by one); at 2,000 threads 1.21x-2.1x, where the process's
//! own 10 MB weigh in. So on a trace whose clocks go dense the estimate is within a factor
//! of 1.6 of real use once clocks matter; on a trace whose threads never learn of each
//! other it is an upper bound.

use std::fmt;

use crate::Engine;

/// The memory an analysis may use when [`RaceOptions::max_memory`](crate::RaceOptions) is
/// not set otherwise: 4 GiB. (`causet races` defaults to half of the machine's memory.)
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// Bytes per clock entry: a `u32` for flat clocks (`vc`, `epoch`); a `u32` and a 16-byte
/// node record (four `u32` links) for tree clocks.
pub fn entry_bytes(engine: Engine) -> u64 {
    match engine {
        Engine::VectorClock | Engine::Epoch => 4,
        Engine::TreeClock => 20,
    }
}

/// Bytes per thread besides its clock's entries: the clock's header (a `Vec`, or a tree
/// clock's two `Vec`s and root), the lifecycle state, the tree engine's join statistics,
/// and the thread's name (the name table's entry and text).
pub const PER_THREAD: u64 = 64 + 4 + 4 + 64;
/// Bytes per lock besides its clock's entries: the clock's header, holder and nesting
/// depth, and the name.
pub const PER_LOCK: u64 = 64 + 8 + 64;
/// Bytes per variable: its hot access state (32 bytes, and 48 for the `vc` engine's
/// spilled vectors' headers), the sites kept for witnesses, the racy flag, and the name.
pub const PER_VARIABLE: u64 = 80 + 32 + 1 + 64;

/// The estimated bytes an analysis with `engine` needs once it has seen `threads` threads,
/// `locks` locks and `variables` variables (the model of this module). Monotone in each
/// count; saturates at `u64::MAX`.
pub fn estimate_memory(engine: Engine, threads: u64, locks: u64, variables: u64) -> u64 {
    let entry = entry_bytes(engine);
    let per_clock = threads.saturating_mul(entry);
    threads
        .saturating_mul(per_clock.saturating_add(PER_THREAD))
        .saturating_add(locks.saturating_mul(per_clock.saturating_add(PER_LOCK)))
        .saturating_add(variables.saturating_mul(PER_VARIABLE))
}

/// A byte count for people, in binary units: `512 B`, `64.0 MiB`, `1.8 TiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        if self.0 < 1024 {
            return write!(f, "{} B", self.0);
        }
        let mut value = self.0 as f64 / 1024.0;
        let mut unit = 0;
        while value >= 1023.95 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        write!(f, "{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_are_dense_and_quadratic() {
        // 4,096 threads, no locks or variables: 4,096² entries of 4 bytes, plus the fixed part.
        let e = estimate_memory(Engine::Epoch, 4_096, 0, 0);
        assert_eq!(e, 4_096 * 4_096 * 4 + 4_096 * PER_THREAD);
        assert_eq!(e, estimate_memory(Engine::VectorClock, 4_096, 0, 0));
        assert_eq!(
            estimate_memory(Engine::TreeClock, 4_096, 0, 0) - 4_096 * PER_THREAD,
            5 * (e - 4_096 * PER_THREAD)
        );
        // Each lock's clock is as long as a thread's.
        assert_eq!(
            estimate_memory(Engine::Epoch, 100, 10, 0) - estimate_memory(Engine::Epoch, 100, 0, 0),
            10 * (100 * 4 + PER_LOCK)
        );
        assert_eq!(
            estimate_memory(Engine::Epoch, 1, 0, 1_000),
            4 + PER_THREAD + 1_000 * PER_VARIABLE
        );
        // A million threads: about 3.6 TiB of clocks, far beyond any machine.
        assert!(estimate_memory(Engine::Epoch, 1_000_000, 0, 0) > 3 << 40);
        assert_eq!(estimate_memory(Engine::Epoch, u64::MAX, 0, 0), u64::MAX);
        assert_eq!(
            estimate_memory(Engine::TreeClock, 1 << 32, 1 << 32, 0),
            u64::MAX
        );
    }

    #[test]
    fn estimate_grows_with_every_count() {
        for engine in Engine::ALL {
            let base = estimate_memory(engine, 10, 10, 10);
            assert!(estimate_memory(engine, 11, 10, 10) > base);
            assert!(estimate_memory(engine, 10, 11, 10) > base);
            assert!(estimate_memory(engine, 10, 10, 11) > base);
        }
    }

    #[test]
    fn bytes_display() {
        assert_eq!(Bytes(0).to_string(), "0 B");
        assert_eq!(Bytes(1023).to_string(), "1023 B");
        assert_eq!(Bytes(1024).to_string(), "1.0 KiB");
        assert_eq!(Bytes(64 << 20).to_string(), "64.0 MiB");
        assert_eq!(Bytes(3 << 39).to_string(), "1.5 TiB");
        // Just below a unit rounds up into it rather than printing "1024.0 MiB".
        assert_eq!(Bytes((1 << 30) - 1).to_string(), "1.0 GiB");
        assert_eq!(Bytes(u64::MAX).to_string(), "16.0 EiB");
    }
}
