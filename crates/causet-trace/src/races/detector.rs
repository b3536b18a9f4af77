//! The one streaming pass: read an event, check that the trace stays well formed, update
//! the clocks, check accesses, count races.

use std::collections::HashSet;
use std::io::Read;

use super::engines::{AccessHistory, Prior, Site, SyncClocks, Verdict};
use super::error::TraceErrorKind;
use super::std_format::{Op, StdEvent, StdReader};
use super::{Access, Progress, Race, RaceOptions, RaceReport, TraceError};

const NONE: u32 = u32::MAX;

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

pub(crate) fn run<R: Read, S: SyncClocks + Default, H: AccessHistory + Default>(
    mut reader: StdReader<R>,
    options: &RaceOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<RaceReport, TraceError> {
    let mut sync = S::default();
    let mut history = H::default();
    let mut threads: Vec<ThreadState> = Vec::new();
    let mut lock_holder: Vec<u32> = Vec::new();
    // Locks are re-entrant (Java monitors): only the outermost acquire and release of a
    // nest synchronise; the inner ones are ordered by program order anyway.
    let mut lock_depth: Vec<u32> = Vec::new();
    let mut variables = 0usize;
    let mut racy_variable: Vec<bool> = Vec::new();
    let mut racy_variable_order: Vec<u32> = Vec::new();
    let mut racy_locations: HashSet<u64> = HashSet::new();
    let mut racy_events = 0u64;
    let mut races: Vec<RawRace> = Vec::new();
    let every = options.progress_every.max(1);
    let mut next_progress = every;

    while let Some(event) = reader.next_event()? {
        let line = reader.line();
        if line >= next_progress {
            next_progress += every;
            progress(Progress {
                events: line,
                bytes: reader.bytes_read(),
            });
        }
        // New names got the next ids: give them clocks and state.
        let names = reader.names();
        if names.thread_count() > threads.len() {
            if names.thread_count() > options.max_threads {
                return Err(error(
                    &reader,
                    TraceErrorKind::TooManyThreads {
                        max: options.max_threads,
                    },
                ));
            }
            while threads.len() < names.thread_count() {
                sync.add_thread();
                threads.push(ThreadState::default());
            }
        }
        while lock_holder.len() < names.lock_count() {
            sync.add_lock();
            lock_holder.push(NONE);
            lock_depth.push(0);
        }
        while variables < names.variable_count() {
            history.add_variable();
            racy_variable.push(false);
            variables += 1;
        }

        let StdEvent {
            thread: t,
            op,
            operand,
            location,
        } = event;
        let state = &mut threads[t as usize];
        if state.joined {
            let thread = reader.names().thread(t);
            return Err(error(&reader, TraceErrorKind::EventAfterJoin { thread }));
        }
        state.ran = true;
        let write = match op {
            Op::Read => false,
            Op::Write => true,
            Op::Acquire => {
                let l = operand as usize;
                let holder = lock_holder[l];
                if holder == t {
                    lock_depth[l] = lock_depth[l].saturating_add(1);
                    continue;
                }
                if holder != NONE {
                    let names = reader.names();
                    let kind = TraceErrorKind::LockHeld {
                        thread: names.thread(t),
                        lock: names.lock(operand),
                        holder: names.thread(holder),
                    };
                    return Err(error(&reader, kind));
                }
                lock_holder[l] = t;
                lock_depth[l] = 1;
                sync.acquire(t, operand);
                continue;
            }
            Op::Release => {
                let holder = lock_holder[operand as usize];
                if holder != t {
                    let names = reader.names();
                    let (thread, lock) = (names.thread(t), names.lock(operand));
                    let kind = if holder == NONE {
                        TraceErrorKind::ReleaseNotHeld { thread, lock }
                    } else {
                        let holder = names.thread(holder);
                        TraceErrorKind::ReleaseNotOwner {
                            thread,
                            lock,
                            holder,
                        }
                    };
                    return Err(error(&reader, kind));
                }
                let l = operand as usize;
                lock_depth[l] -= 1;
                if lock_depth[l] > 0 {
                    continue;
                }
                lock_holder[l] = NONE;
                if !sync.release(t, operand) {
                    return Err(overflow(&reader, t));
                }
                continue;
            }
            Op::Fork => {
                let u = operand;
                if u == t {
                    let thread = reader.names().thread(t);
                    let kind = TraceErrorKind::SelfForkJoin { thread, op: "fork" };
                    return Err(error(&reader, kind));
                }
                let child = &mut threads[u as usize];
                if child.ran || child.forked || child.joined {
                    let why = if child.forked {
                        "was already forked"
                    } else {
                        "already ran"
                    };
                    let child = reader.names().thread(u);
                    return Err(error(&reader, TraceErrorKind::LateFork { child, why }));
                }
                child.forked = true;
                if !sync.fork(t, u) {
                    return Err(overflow(&reader, t));
                }
                continue;
            }
            Op::Join => {
                let u = operand;
                if u == t {
                    let thread = reader.names().thread(t);
                    let kind = TraceErrorKind::SelfForkJoin { thread, op: "join" };
                    return Err(error(&reader, kind));
                }
                let child = &mut threads[u as usize];
                if child.joined {
                    let child = reader.names().thread(u);
                    return Err(error(&reader, TraceErrorKind::JoinedTwice { child }));
                }
                child.joined = true;
                sync.join(t, u);
                continue;
            }
            Op::Request | Op::Begin | Op::End => continue,
        };

        let site = Site { line, location };
        let witness = races.len() < options.list;
        let clock = sync.clock(t);
        let verdict = if write {
            history.write(operand, t, clock, site, witness)
        } else {
            history.read(operand, t, clock, site, witness)
        };
        if let Verdict::Racy(prior) = verdict {
            racy_events += 1;
            let x = operand as usize;
            if !racy_variable[x] {
                racy_variable[x] = true;
                racy_variable_order.push(operand);
            }
            racy_locations.insert(location);
            if witness {
                races.push(RawRace {
                    variable: operand,
                    line,
                    thread: t,
                    write,
                    location,
                    prior,
                });
            }
        }
    }

    let events = reader.line();
    progress(Progress {
        events,
        bytes: reader.bytes_read(),
    });
    let names = reader.names();
    let races = races
        .iter()
        .map(|race| Race {
            variable: names.variable(race.variable),
            access: Access {
                line: race.line,
                thread: names.thread(race.thread),
                write: race.write,
                location: names.location(race.location),
            },
            // Every racy access has a witness; an empty one would mean an engine bug, and
            // is shown as line 0 rather than panicking.
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
    Ok(RaceReport {
        events,
        threads: names.thread_count(),
        locks: names.lock_count(),
        variables: names.variable_count(),
        racy_events,
        racy_variables: racy_variable_order
            .iter()
            .map(|&x| names.variable(x))
            .collect(),
        racy_lines: racy_locations.len(),
        races,
    })
}

fn error<R: Read>(reader: &StdReader<R>, kind: TraceErrorKind) -> TraceError {
    reader.error_at(kind, reader.current_line_text())
}

fn overflow<R: Read>(reader: &StdReader<R>, t: u32) -> TraceError {
    let thread = reader.names().thread(t);
    error(reader, TraceErrorKind::ClockOverflow { thread })
}
