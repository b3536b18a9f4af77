//! Flat vector clocks (`Vec<u32>` indexed by thread id) for threads and locks, and the
//! DJIT+ access history: the last read and the last write of every thread, per variable.

use std::collections::TryReserveError;

use super::{
    AccessHistory, Prior, Site, SyncClocks, Verdict, entry, later, latest_unordered, leq, set_site,
};

/// Thread and lock clocks as flat vectors. A clock's length grows to the highest thread id
/// it has a non-zero entry for; missing entries are 0.
#[derive(Debug, Default)]
pub(crate) struct FlatClocks {
    threads: Vec<Vec<u32>>,
    locks: Vec<Vec<u32>>,
}

/// `into := into ⊔ from`.
#[inline]
fn merge(into: &mut Vec<u32>, from: &[u32]) {
    if into.len() < from.len() {
        grow_exact(into, from.len());
    }
    for (a, &b) in into.iter_mut().zip(from) {
        *a = (*a).max(b);
    }
}

/// Lengthens `clock` to `len` entries (new ones 0) with no spare capacity: clocks only
/// grow towards the thread count, so the doubling of a plain `resize` would leave up to half
/// of every clock unused (1.5x the memory of dense clocks at 8,000 threads). Cold: a clock
/// grows at most once per new thread it learns of.
#[cold]
fn grow_exact(clock: &mut Vec<u32>, len: usize) {
    clock.reserve_exact(len - clock.len());
    clock.resize(len, 0);
}

impl FlatClocks {
    #[inline]
    fn tick(&mut self, t: u32) -> bool {
        let own = &mut self.threads[t as usize][t as usize];
        match own.checked_add(1) {
            Some(next) => {
                *own = next;
                true
            }
            None => false,
        }
    }
}

impl SyncClocks for FlatClocks {
    fn add_thread(&mut self) -> Result<(), TryReserveError> {
        let t = self.threads.len();
        self.threads.try_reserve(1)?;
        let mut clock = Vec::new();
        clock.try_reserve_exact(t + 1)?;
        clock.resize(t + 1, 0);
        clock[t] = 1;
        self.threads.push(clock);
        Ok(())
    }

    fn add_lock(&mut self) {
        self.locks.push(Vec::new());
    }

    #[inline]
    fn clock(&self, t: u32) -> &[u32] {
        &self.threads[t as usize]
    }

    #[inline]
    fn acquire(&mut self, t: u32, l: u32) {
        merge(&mut self.threads[t as usize], &self.locks[l as usize]);
    }

    #[inline]
    fn release(&mut self, t: u32, l: u32) -> bool {
        let (lock, clock) = (&mut self.locks[l as usize], &self.threads[t as usize]);
        lock.clear();
        if lock.capacity() < clock.len() {
            lock.reserve_exact(clock.len());
        }
        lock.extend_from_slice(clock);
        self.tick(t)
    }

    fn fork(&mut self, t: u32, u: u32) -> bool {
        let parent = std::mem::take(&mut self.threads[t as usize]);
        merge(&mut self.threads[u as usize], &parent);
        self.threads[t as usize] = parent;
        self.tick(t)
    }

    fn join(&mut self, t: u32, u: u32) {
        let child = std::mem::take(&mut self.threads[u as usize]);
        merge(&mut self.threads[t as usize], &child);
        self.threads[u as usize] = child;
    }
}

/// DJIT+: per variable, the last read and the last write of every thread. An access by t
/// races iff some stored conflicting access of another thread is not `⊑ C_t`; the last
/// access of a thread suffices because earlier ones happen before it (program order).
///
/// A thread's clock only grows, so once `W_x ⊑ C_t` holds it keeps holding until another
/// thread writes x (t's own writes store `C_t[t]`, which stays `⊑ C_t`); likewise for the
/// reads. Each variable remembers the one thread for which each check is known to hold
/// (DJIT+'s same-epoch shortcut, generalised), so a thread that keeps using a variable, and
/// every access of a private variable, skips the O(threads) comparison.
///
/// Layout, for the cache: a variable's hot state is 32 bytes ([`Hot`]), with the entry of a
/// variable only one thread wrote (or read) inline; the per-thread vectors of variables
/// several threads use live apart ([`Spilled`]), and so do the sites kept for witnesses.
#[derive(Debug, Default)]
pub(crate) struct VectorHistory {
    hot: Vec<Hot>,
    spilled: Vec<Spilled>,
    /// Sites of the last write and read of every thread, per variable (witnesses only).
    sites: Vec<[Vec<Site>; 2]>,
}

/// No thread: nothing known.
const NOBODY: u32 = u32::MAX;

/// The entries of threads `lo .. lo + len` of one access vector (every other entry is 0):
/// `one` itself when `len == 1`, else the spilled vector.
#[derive(Debug, Clone, Copy, Default)]
struct Entries {
    lo: u32,
    len: u32,
    one: u32,
}

#[derive(Debug, Clone, Copy)]
struct Hot {
    writes: Entries,
    reads: Entries,
    /// A thread t with `W_x ⊑ C_t` known, or [`NOBODY`].
    writes_known: u32,
    /// A thread t with `R_x ⊑ C_t` known, or [`NOBODY`].
    reads_known: u32,
}

impl Default for Hot {
    fn default() -> Self {
        Hot {
            writes: Entries::default(),
            reads: Entries::default(),
            writes_known: NOBODY,
            reads_known: NOBODY,
        }
    }
}

/// The vectors of entries of variables that more than one thread wrote (or read).
#[derive(Debug, Default)]
struct Spilled {
    writes: Vec<u32>,
    reads: Vec<u32>,
}

impl Entries {
    /// The stored entries, for threads `self.lo ..`.
    #[inline(always)]
    fn slice<'a>(&'a self, spilled: &'a [u32]) -> &'a [u32] {
        match self.len {
            0 => &[],
            1 => std::slice::from_ref(&self.one),
            n => &spilled[..n as usize],
        }
    }

    /// Whether every stored entry is `⊑ clock`.
    #[inline(always)]
    fn leq(&self, spilled: &[u32], clock: &[u32]) -> bool {
        if self.len == 1 {
            return self.one <= entry(clock, self.lo);
        }
        let lo = self.lo as usize;
        leq(self.slice(spilled), clock.get(lo..).unwrap_or(&[]))
    }

    /// Entry t := value.
    #[inline(always)]
    fn set(&mut self, spilled: &mut Vec<u32>, t: u32, value: u32) {
        let i = t.wrapping_sub(self.lo);
        if i < self.len {
            if self.len == 1 {
                self.one = value;
            } else {
                spilled[i as usize] = value;
            }
            return;
        }
        self.grow(spilled, t, value);
    }

    /// Entry t := value for a t outside `lo .. lo + len`.
    #[inline(never)]
    fn grow(&mut self, spilled: &mut Vec<u32>, t: u32, value: u32) {
        if self.len == 0 {
            *self = Entries {
                lo: t,
                len: 1,
                one: value,
            };
            return;
        }
        let (lo, end) = (self.lo.min(t), (self.lo + self.len).max(t + 1));
        let mut entries = vec![0; (end - lo) as usize];
        let old = (self.lo - lo) as usize;
        entries[old..old + self.len as usize].copy_from_slice(self.slice(spilled));
        entries[(t - lo) as usize] = value;
        *spilled = entries;
        self.lo = lo;
        self.len = end - lo;
    }

    /// The most recent stored access that does not happen before `clock`.
    fn latest_unordered(
        &self,
        spilled: &[u32],
        sites: &[Site],
        clock: &[u32],
        write: bool,
    ) -> Option<Prior> {
        latest_unordered(self.slice(spilled), self.lo, sites, clock, write)
    }
}

impl VectorHistory {
    /// The sites of variable x (witnesses only).
    fn sites(&mut self, x: u32) -> &mut [Vec<Site>; 2] {
        let i = x as usize;
        if i >= self.sites.len() {
            self.sites.resize_with(i + 1, Default::default);
        }
        &mut self.sites[i]
    }

    #[inline(never)]
    fn latest(&self, x: u32, clock: &[u32], reads_too: bool) -> Option<Prior> {
        let (hot, spilled) = (&self.hot[x as usize], &self.spilled[x as usize]);
        let [write_sites, read_sites] = match self.sites.get(x as usize) {
            Some([w, r]) => [&w[..], &r[..]],
            None => [&[][..], &[][..]],
        };
        let writes = hot
            .writes
            .latest_unordered(&spilled.writes, write_sites, clock, true);
        if !reads_too {
            return writes;
        }
        let reads = hot
            .reads
            .latest_unordered(&spilled.reads, read_sites, clock, false);
        later(writes, reads)
    }
}

impl AccessHistory for VectorHistory {
    fn add_variable(&mut self) {
        self.hot.push(Hot::default());
        self.spilled.push(Spilled::default());
    }

    #[inline(always)]
    fn read(&mut self, x: u32, t: u32, clock: &[u32], site: Site, witness: bool) -> Verdict {
        let i = x as usize;
        let hot = &mut self.hot[i];
        let ordered = hot.writes_known == t || hot.writes.leq(&self.spilled[i].writes, clock);
        if ordered {
            hot.writes_known = t;
        }
        let prior = if ordered || !witness {
            None
        } else {
            self.latest(x, clock, false)
        };
        let (hot, spilled) = (&mut self.hot[i], &mut self.spilled[i]);
        hot.reads.set(&mut spilled.reads, t, entry(clock, t));
        // `R_x[t] = C_t[t]` may not be below another thread's clock.
        if hot.reads_known != t {
            hot.reads_known = NOBODY;
        }
        if witness {
            set_site(&mut self.sites(x)[1], t, site);
        }
        if ordered {
            Verdict::Ordered
        } else {
            Verdict::Racy(prior)
        }
    }

    #[inline(always)]
    fn write(&mut self, x: u32, t: u32, clock: &[u32], site: Site, witness: bool) -> Verdict {
        let i = x as usize;
        let hot = &mut self.hot[i];
        let spilled = &self.spilled[i];
        let after_writes = hot.writes_known == t || hot.writes.leq(&spilled.writes, clock);
        let after_reads = hot.reads_known == t || hot.reads.leq(&spilled.reads, clock);
        let prior = if after_writes & after_reads || !witness {
            None
        } else {
            self.latest(x, clock, true)
        };
        let (hot, spilled) = (&mut self.hot[i], &mut self.spilled[i]);
        hot.writes.set(&mut spilled.writes, t, entry(clock, t));
        // `W_x[t] = C_t[t]` keeps `W_x ⊑ C_t` if it held, and may break it for others.
        hot.writes_known = if after_writes { t } else { NOBODY };
        if after_reads {
            hot.reads_known = t;
        }
        if witness {
            set_site(&mut self.sites(x)[0], t, site);
        }
        if after_writes & after_reads {
            Verdict::Ordered
        } else {
            Verdict::Racy(prior)
        }
    }
}
