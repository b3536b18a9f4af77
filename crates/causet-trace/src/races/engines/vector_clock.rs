//! Flat vector clocks (`Vec<u32>` indexed by thread id) for threads and locks, and the
//! DJIT+ access history: the last read and the last write of every thread, per variable.

use super::{AccessHistory, Prior, Site, Slots, SyncClocks, Verdict, entry, later};

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
        into.resize(from.len(), 0);
    }
    for (a, &b) in into.iter_mut().zip(from) {
        *a = (*a).max(b);
    }
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
    fn add_thread(&mut self) {
        let t = self.threads.len();
        let mut clock = vec![0; t + 1];
        clock[t] = 1;
        self.threads.push(clock);
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
        let lock = &mut self.locks[l as usize];
        lock.clear();
        lock.extend_from_slice(&self.threads[t as usize]);
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
#[derive(Debug, Default)]
pub(crate) struct VectorHistory {
    variables: Vec<VectorVariable>,
}

/// No thread: nothing known.
const NOBODY: u32 = u32::MAX;

#[derive(Debug)]
struct VectorVariable {
    reads: Slots,
    writes: Slots,
    /// A thread t with `W_x ⊑ C_t` known, or [`NOBODY`].
    writes_known: u32,
    /// A thread t with `R_x ⊑ C_t` known, or [`NOBODY`].
    reads_known: u32,
}

impl Default for VectorVariable {
    fn default() -> Self {
        VectorVariable {
            reads: Slots::default(),
            writes: Slots::default(),
            writes_known: NOBODY,
            reads_known: NOBODY,
        }
    }
}

impl AccessHistory for VectorHistory {
    fn add_variable(&mut self) {
        self.variables.push(VectorVariable::default());
    }

    #[inline]
    fn read(&mut self, x: u32, t: u32, clock: &[u32], site: Site, witness: bool) -> Verdict {
        let var = &mut self.variables[x as usize];
        let verdict = if var.writes_known == t || var.writes.leq(clock) {
            var.writes_known = t;
            Verdict::Ordered
        } else {
            Verdict::Racy(
                witness
                    .then(|| var.writes.latest_unordered(clock, true))
                    .flatten(),
            )
        };
        var.reads.set(t, entry(clock, t));
        // `R_x[t] = C_t[t]` may not be below another thread's clock.
        if var.reads_known != t {
            var.reads_known = NOBODY;
        }
        if witness {
            var.reads.set_site(t, site);
        }
        verdict
    }

    #[inline]
    fn write(&mut self, x: u32, t: u32, clock: &[u32], site: Site, witness: bool) -> Verdict {
        let var = &mut self.variables[x as usize];
        let after_writes = var.writes_known == t || var.writes.leq(clock);
        let after_reads = var.reads_known == t || var.reads.leq(clock);
        let verdict = if after_writes & after_reads {
            Verdict::Ordered
        } else {
            Verdict::Racy(witness.then(|| latest(var, clock)).flatten())
        };
        var.writes.set(t, entry(clock, t));
        // `W_x[t] = C_t[t]` keeps `W_x ⊑ C_t` if it held, and may break it for others.
        var.writes_known = if after_writes { t } else { NOBODY };
        if after_reads {
            var.reads_known = t;
        }
        if witness {
            var.writes.set_site(t, site);
        }
        verdict
    }
}

fn latest(var: &VectorVariable, clock: &[u32]) -> Option<Prior> {
    later(
        var.writes.latest_unordered(clock, true),
        var.reads.latest_unordered(clock, false),
    )
}
