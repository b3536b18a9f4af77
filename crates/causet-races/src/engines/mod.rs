//! Happens-before engines: how thread and lock clocks are kept ([`SyncClocks`]) and how each
//! variable's access history is kept and checked ([`AccessHistory`]).
//!
//! The three user-visible engines are combinations:
//! - `vc`: [`vector_clock::FlatClocks`] + [`vector_clock::VectorHistory`] (DJIT+),
//! - `epoch`: [`vector_clock::FlatClocks`] + [`epoch::EpochHistory`] (exact FastTrack),
//! - `tree`: [`tree_clock::TreeClocks`] + [`epoch::EpochHistory`].
//!
//! Every engine answers the same question exactly, for each access e by thread t to x: is
//! there an earlier conflicting access to x by another thread that does not happen before e?
//! Thread clocks follow DJIT+: a thread's own entry starts at 1 and is incremented after each
//! release and fork, so an access is identified by the pair (own entry, thread) and access a
//! by u happens before the current point of t iff `a.clock <= C_t[u]`.

use std::collections::TryReserveError;

pub(crate) mod epoch;
pub(crate) mod tree_clock;
pub(crate) mod vector_clock;

/// Where an earlier access happened: the trace line (a trace-wide event index) and its
/// location key ([`crate::StdEvent::location`]). The thread is implied by where it is stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Site {
    pub(crate) line: u64,
    pub(crate) location: u64,
}

/// An earlier access that does not happen before the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prior {
    pub(crate) site: Site,
    pub(crate) thread: u32,
    pub(crate) write: bool,
}

/// The verdict on one access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every earlier conflicting access happens before it.
    Ordered,
    /// Racy; with the most recent unordered conflicting access when a witness was asked for.
    Racy(Option<Prior>),
}

/// Thread and lock clocks under acquire, release, fork and join.
pub(crate) trait SyncClocks {
    /// Adds a thread with the next id; its clock is 1 in its own entry, 0 elsewhere. An
    /// error when its clock cannot be allocated (then nothing was added).
    fn add_thread(&mut self) -> Result<(), TryReserveError>;
    /// Adds a lock with the next id; its clock is all zero.
    fn add_lock(&mut self);
    /// The clock of thread t as a flat slice indexed by thread id (missing entries are 0).
    fn clock(&self, t: u32) -> &[u32];
    /// t acquires l: C_t := C_t ⊔ L_l.
    fn acquire(&mut self, t: u32, l: u32);
    /// t releases l: L_l := C_t, then C_t[t] += 1. False when the clock would overflow.
    fn release(&mut self, t: u32, l: u32) -> bool;
    /// t forks u: C_u := C_u ⊔ C_t, then C_t[t] += 1. False on overflow.
    fn fork(&mut self, t: u32, u: u32) -> bool;
    /// t joins u: C_t := C_t ⊔ C_u.
    fn join(&mut self, t: u32, u: u32);
}

/// Per-variable access histories, checked against the accessing thread's clock.
pub(crate) trait AccessHistory {
    /// Adds a variable with the next id and no accesses.
    fn add_variable(&mut self);
    /// Thread t with clock `clock` reads x at `site`. With `witness`, the history records
    /// sites and a racy verdict names the most recent unordered access; `witness` must be
    /// true from the first access on for as long as witnesses are asked for.
    fn read(&mut self, x: u32, t: u32, clock: &[u32], site: Site, witness: bool) -> Verdict;
    /// Thread t with clock `clock` writes x at `site` (`witness` as for reads).
    fn write(&mut self, x: u32, t: u32, clock: &[u32], site: Site, witness: bool) -> Verdict;
}

/// Entry u of a flat clock (0 when missing).
#[inline]
pub(crate) fn entry(clock: &[u32], u: u32) -> u32 {
    clock.get(u as usize).copied().unwrap_or(0)
}

/// Whether `a ⊑ c` entry-wise (missing entries are 0); written to vectorise.
#[inline]
pub(crate) fn leq(a: &[u32], c: &[u32]) -> bool {
    let n = a.len().min(c.len());
    let (head, tail) = a.split_at(n);
    let head_ok = head
        .iter()
        .zip(&c[..n])
        .fold(true, |ok, (x, y)| ok & (x <= y));
    head_ok && tail.iter().all(|&x| x == 0)
}

/// Per-thread slots of one kind of access (reads or writes) of one variable: the last such
/// access of every thread, as its clock value (0 = none), and its site while witnesses are
/// wanted (sites are cold data: kept apart so the race checks touch only the clocks).
#[derive(Debug, Clone, Default)]
pub(crate) struct Slots {
    pub(crate) clocks: Vec<u32>,
    pub(crate) sites: Vec<Site>,
    /// Every slot below this one is empty (0): the checks skip them, so a variable that only
    /// thread 63 touched costs one entry, not 64.
    lo: usize,
}

impl Slots {
    #[inline]
    pub(crate) fn set(&mut self, t: u32, value: u32) {
        let i = t as usize;
        if self.clocks.is_empty() || i < self.lo {
            self.lo = i;
        }
        if i >= self.clocks.len() {
            self.clocks.resize(i + 1, 0);
        }
        self.clocks[i] = value;
    }

    /// Whether every stored access happens before `clock` (`self ⊑ clock`).
    #[inline]
    pub(crate) fn leq(&self, clock: &[u32]) -> bool {
        let lo = self.lo.min(self.clocks.len());
        leq(&self.clocks[lo..], clock.get(lo..).unwrap_or(&[]))
    }

    pub(crate) fn set_site(&mut self, t: u32, site: Site) {
        set_site(&mut self.sites, t, site);
    }

    /// The most recent access in these slots that does not happen before `clock`.
    pub(crate) fn latest_unordered(&self, clock: &[u32], write: bool) -> Option<Prior> {
        latest_unordered(&self.clocks, 0, &self.sites, clock, write)
    }
}

/// Site t := site in a per-thread site vector.
pub(crate) fn set_site(sites: &mut Vec<Site>, t: u32, site: Site) {
    let i = t as usize;
    if i >= sites.len() {
        sites.resize(i + 1, Site::default());
    }
    sites[i] = site;
}

/// The most recent access that does not happen before `clock` among per-thread access
/// times `values` (thread `first + i` at index `i`, its site at `sites[thread]`).
pub(crate) fn latest_unordered(
    values: &[u32],
    first: u32,
    sites: &[Site],
    clock: &[u32],
    write: bool,
) -> Option<Prior> {
    let mut best: Option<Prior> = None;
    for (i, &value) in values.iter().enumerate() {
        let u = first + i as u32;
        let site = sites.get(u as usize).copied().unwrap_or_default();
        if value > entry(clock, u) && best.is_none_or(|b| b.site.line < site.line) {
            best = Some(Prior {
                site,
                thread: u,
                write,
            });
        }
    }
    best
}

/// The more recent of two optional priors.
pub(crate) fn later(a: Option<Prior>, b: Option<Prior>) -> Option<Prior> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if x.site.line >= y.site.line { x } else { y }),
        (x, None) => x,
        (None, y) => y,
    }
}
