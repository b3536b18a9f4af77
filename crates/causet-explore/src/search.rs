//! The one execution loop every search runs ([`run`]), and the two searches without
//! reduction: every delivery order (the baseline DPOR is measured and tested against), and
//! seeded random walks (for state spaces too large to exhaust).
//!
//! A search is a [`Strategy`]: it picks the message to deliver at each step and, when an
//! execution ends, sets up the next one. [`run`] does the rest, the same for all of them:
//! it restarts the nodes, delivers, checks the invariants after every new step and the end
//! properties at the end of an execution that delivered everything, counts, reports each
//! execution to the observer, and stops at the first violation, at
//! [`Explorer::max_executions`](crate::Explorer::max_executions), or when the progress
//! callback ([`Explorer::on_progress`](crate::Explorer::on_progress)) says so.

use causet_runtime::Actor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::system::System;
use crate::{ExploreError, Explorer, Report, Stats};

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// Nothing left in flight.
    Maximal,
    /// Cut at the depth bound.
    Truncated,
    /// The strategy had nothing to deliver (every message in flight asleep).
    Blocked,
}

/// A search: which message to deliver at each step, and what to do between executions.
pub(crate) trait Strategy<A: Actor> {
    /// The position in flight of the message to deliver after `depth` deliveries (called
    /// only while something is in flight and `depth` is below the depth bound), or `None`
    /// to end the execution as [`End::Blocked`].
    fn choose(&mut self, system: &System<A>, depth: usize) -> Result<Option<usize>, ExploreError>;

    /// Called when an execution ends, with its final state: sets up the next execution,
    /// or returns `false` when there is none.
    fn next_execution(&mut self, system: &System<A>, end: End) -> bool;

    /// How many steps of the coming execution repeat the previous one's (their
    /// invariants were checked then).
    fn replayed(&self) -> usize {
        0
    }

    /// Whether running out of executions means every execution was covered.
    fn exhaustive(&self) -> bool;
}

/// Runs `strategy` over `explorer`'s nodes, up to the first violation.
pub(crate) fn run<A: Actor>(
    explorer: &Explorer<A>,
    strategy: &mut impl Strategy<A>,
) -> Result<Report, ExploreError> {
    let mut system = System::new(explorer.node_count()?);
    let mut stats = Stats::default();
    loop {
        system.reset(explorer.make_nodes())?;
        if stats.executions == 0
            && let Some(violation) = explorer.check_step(&system)
        {
            return Ok(Report::violated(stats, violation));
        }
        let replayed = strategy.replayed();
        let end = loop {
            let depth = system.steps.len();
            if system.in_flight.is_empty() {
                break End::Maximal;
            }
            if depth >= explorer.max_depth {
                stats.truncated += 1;
                break End::Truncated;
            }
            let Some(position) = strategy.choose(&system, depth)? else {
                stats.blocked += 1;
                break End::Blocked;
            };
            system.deliver(position)?;
            stats.steps += 1;
            if depth >= replayed
                && let Some(violation) = explorer.check_step(&system)
            {
                stats.executions += 1;
                return Ok(Report::violated(stats, violation));
            }
        };
        stats.executions += 1;
        explorer.observe(&system);
        if end == End::Maximal
            && let Some(violation) = explorer.check_end(&system)
        {
            return Ok(Report::violated(stats, violation));
        }
        if explorer
            .max_executions
            .is_some_and(|max| stats.executions >= max)
            || !explorer.go_on(&stats)
        {
            stats.complete = false;
            return Ok(Report::clean(stats));
        }
        if !strategy.next_execution(&system, end) {
            stats.complete = strategy.exhaustive() && stats.truncated == 0;
            return Ok(Report::clean(stats));
        }
    }
}

/// Every order of deliveries, depth first: at each state, each message in flight in turn.
#[derive(Debug, Default)]
pub(crate) struct Naive {
    /// (choice, number of choices) at each state of the current execution.
    levels: Vec<(usize, usize)>,
    replayed: usize,
}

impl<A: Actor> Strategy<A> for Naive {
    fn choose(&mut self, system: &System<A>, depth: usize) -> Result<Option<usize>, ExploreError> {
        if depth == self.levels.len() {
            self.levels.push((0, system.in_flight.len()));
        }
        Ok(Some(self.levels[depth].0))
    }

    fn next_execution(&mut self, _: &System<A>, _: End) -> bool {
        while let Some(last) = self.levels.last_mut() {
            last.0 += 1;
            if last.0 < last.1 {
                self.replayed = self.levels.len() - 1;
                return true;
            }
            self.levels.pop();
        }
        false
    }

    fn replayed(&self) -> usize {
        self.replayed
    }

    fn exhaustive(&self) -> bool {
        true
    }
}

/// Walks that deliver a message drawn uniformly from those in flight at every step.
#[derive(Debug)]
pub(crate) struct Random {
    rng: ChaCha8Rng,
    walks_left: u64,
}

impl Random {
    /// `walks` walks (at least 1) from a generator seeded with `seed`.
    pub(crate) fn new(seed: u64, walks: u64) -> Self {
        Random {
            rng: ChaCha8Rng::seed_from_u64(seed),
            walks_left: walks.max(1),
        }
    }
}

impl<A: Actor> Strategy<A> for Random {
    fn choose(&mut self, system: &System<A>, _: usize) -> Result<Option<usize>, ExploreError> {
        Ok(Some(self.rng.random_range(0..system.in_flight.len())))
    }

    fn next_execution(&mut self, _: &System<A>, _: End) -> bool {
        self.walks_left -= 1;
        self.walks_left > 0
    }

    /// A random search never proves anything complete.
    fn exhaustive(&self) -> bool {
        false
    }
}
