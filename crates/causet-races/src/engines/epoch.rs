//! The FastTrack access history (Flanagan and Freund, PLDI 2009), made exact.
//!
//! Per variable, the write history and the read history are each either one epoch
//! `clock@thread` (the histories' accesses form a chain in happens-before, so the last one
//! stands for all: if it happens before the current access, so do the earlier ones) or, once
//! two of them are concurrent, the last access of every thread (as DJIT+ keeps them).
//!
//! Plain FastTrack keeps only the last write, so after a write-write race it forgets the
//! earlier write and under-counts later races with it. Here a write that does not happen
//! after the write epoch switches the write history to per-thread slots (as FastTrack does
//! for concurrent reads), and a write after every slot switches it back to one epoch.
//! Read histories are cleared by a write only when every read happens before that write:
//! then any later access either happens after the write (and so after the reads) or races
//! with the write anyway. So the engine answers exactly what DJIT+ answers, per access.
//!
//! A variable's hot state is 32 bytes (two epochs, two optional slot boxes); the sites of
//! the epochs, needed only for witnesses, live in a separate array.

use super::{AccessHistory, Prior, Site, Slots, Verdict, entry, later};

/// One access as `clock@thread`; `clock == 0` means none.
#[derive(Debug, Clone, Copy, Default)]
struct Epoch {
    clock: u32,
    thread: u32,
}

impl Epoch {
    #[inline]
    fn ordered_before(self, clock: &[u32]) -> bool {
        self.clock <= entry(clock, self.thread)
    }
}

/// Either one epoch or per-thread slots (when `shared` is set).
#[derive(Debug, Default)]
struct History {
    epoch: Epoch,
    shared: Option<Box<Slots>>,
}

impl History {
    #[inline]
    fn ordered_before(&self, clock: &[u32]) -> bool {
        match &self.shared {
            None => self.epoch.ordered_before(clock),
            Some(slots) => slots.leq(clock),
        }
    }

    /// The most recent stored access that does not happen before `clock`; `site` is the
    /// epoch's site.
    fn latest_unordered(&self, clock: &[u32], write: bool, site: Site) -> Option<Prior> {
        match &self.shared {
            None => (!self.epoch.ordered_before(clock)).then_some(Prior {
                site,
                thread: self.epoch.thread,
                write,
            }),
            Some(slots) => slots.latest_unordered(clock, write),
        }
    }

    /// Records an access by t with own entry `now`; `dominates` tells whether every stored
    /// access happens before it (then it alone stands for the history). With `sites`, also
    /// records the site (`sites.0` the epoch's old site, `sites.1` the new one).
    #[inline(always)]
    fn record(&mut self, t: u32, now: u32, dominates: bool, sites: Option<(&mut Site, Site)>) {
        if dominates {
            self.shared = None;
            self.epoch = Epoch {
                clock: now,
                thread: t,
            };
            if let Some((epoch_site, site)) = sites {
                *epoch_site = site;
            }
            return;
        }
        match &mut self.shared {
            Some(slots) => {
                slots.set(t, now);
                if let Some((_, site)) = sites {
                    slots.set_site(t, site);
                }
            }
            None => {
                let mut slots = Box::<Slots>::default();
                slots.set(self.epoch.thread, self.epoch.clock);
                slots.set(t, now);
                if let Some((epoch_site, site)) = sites {
                    slots.set_site(self.epoch.thread, *epoch_site);
                    slots.set_site(t, site);
                }
                self.shared = Some(slots);
            }
        }
    }

    #[inline(always)]
    fn clear(&mut self) {
        self.shared = None;
        self.epoch = Epoch::default();
    }
}

/// Exact FastTrack histories for every variable.
#[derive(Debug, Default)]
pub(crate) struct EpochHistory {
    variables: Vec<EpochVariable>,
    /// Sites of the write and read epochs, per variable (while witnesses are wanted).
    sites: Vec<[Site; 2]>,
}

#[derive(Debug, Default)]
struct EpochVariable {
    writes: History,
    reads: History,
}

/// The sites (last write, last read) kept for variable `x` when races are listed with
/// witnesses; `None` when they are not, so counting alone never grows the table.
#[inline]
fn witness_sites(sites: &mut Vec<[Site; 2]>, x: u32, witness: bool) -> Option<&mut [Site; 2]> {
    if !witness {
        return None;
    }
    let i = x as usize;
    if i >= sites.len() {
        sites.resize(i + 1, [Site::default(); 2]);
    }
    Some(&mut sites[i])
}

impl EpochHistory {
    /// [`AccessHistory::read`] without witnesses: epochs only, no sites (the hot path).
    #[inline(always)]
    fn read_counting(&mut self, x: u32, t: u32, clock: &[u32]) -> Verdict {
        let var = &mut self.variables[x as usize];
        let ordered = var.writes.ordered_before(clock);
        let dominates = var.reads.shared.is_none() && var.reads.epoch.ordered_before(clock);
        var.reads.record(t, entry(clock, t), dominates, None);
        if ordered {
            Verdict::Ordered
        } else {
            Verdict::Racy(None)
        }
    }

    /// [`AccessHistory::write`] without witnesses (the hot path).
    #[inline(always)]
    fn write_counting(&mut self, x: u32, t: u32, clock: &[u32]) -> Verdict {
        let var = &mut self.variables[x as usize];
        let after_writes = var.writes.ordered_before(clock);
        let after_reads = var.reads.ordered_before(clock);
        var.writes.record(t, entry(clock, t), after_writes, None);
        if after_reads {
            var.reads.clear();
        }
        if after_writes & after_reads {
            Verdict::Ordered
        } else {
            Verdict::Racy(None)
        }
    }

    #[inline(never)]
    fn read_witnessed(&mut self, x: u32, t: u32, clock: &[u32], site: Site) -> Verdict {
        let var = &mut self.variables[x as usize];
        let sites = witness_sites(&mut self.sites, x, true);
        let verdict = if var.writes.ordered_before(clock) {
            Verdict::Ordered
        } else {
            let write_site = sites.as_ref().map_or_else(Site::default, |s| s[0]);
            Verdict::Racy(var.writes.latest_unordered(clock, true, write_site))
        };
        let now = entry(clock, t);
        // Same thread, or the previous read happens before this one: this read stands for
        // both. Otherwise the reads are concurrent and the history keeps one per thread.
        let dominates = var.reads.shared.is_none() && var.reads.epoch.ordered_before(clock);
        var.reads
            .record(t, now, dominates, sites.map(|s| (&mut s[1], site)));
        verdict
    }

    #[inline(never)]
    fn write_witnessed(&mut self, x: u32, t: u32, clock: &[u32], site: Site) -> Verdict {
        let var = &mut self.variables[x as usize];
        let sites = witness_sites(&mut self.sites, x, true);
        let after_writes = var.writes.ordered_before(clock);
        let after_reads = var.reads.ordered_before(clock);
        let verdict = if after_writes & after_reads {
            Verdict::Ordered
        } else {
            let [write_site, read_site] = sites.as_ref().map_or([Site::default(); 2], |s| **s);
            Verdict::Racy(later(
                var.writes.latest_unordered(clock, true, write_site),
                var.reads.latest_unordered(clock, false, read_site),
            ))
        };
        let now = entry(clock, t);
        var.writes
            .record(t, now, after_writes, sites.map(|s| (&mut s[0], site)));
        if after_reads {
            var.reads.clear();
        }
        verdict
    }
}

impl AccessHistory for EpochHistory {
    fn add_variable(&mut self) {
        self.variables.push(EpochVariable::default());
    }

    #[inline(always)]
    fn read(&mut self, x: u32, t: u32, clock: &[u32], site: Site, witness: bool) -> Verdict {
        if witness {
            self.read_witnessed(x, t, clock, site)
        } else {
            self.read_counting(x, t, clock)
        }
    }

    #[inline(always)]
    fn write(&mut self, x: u32, t: u32, clock: &[u32], site: Site, witness: bool) -> Verdict {
        if witness {
            self.write_witnessed(x, t, clock, site)
        } else {
            self.write_counting(x, t, clock)
        }
    }
}
