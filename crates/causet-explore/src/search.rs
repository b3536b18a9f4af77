//! The two searches without reduction: every delivery order (the baseline DPOR is
//! measured and tested against), and seeded random walks (for state spaces too large to
//! exhaust).

use causet_runtime::Actor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::system::System;
use crate::{ExploreError, Explorer, Report, Stats};

/// Every order of deliveries, depth first: at each state, each message in flight in turn.
pub(crate) fn naive<A: Actor>(explorer: &Explorer<A>) -> Result<Report, ExploreError> {
    let mut system = System::new(explorer.node_count()?);
    // (choice, number of choices) at each state of the current execution.
    let mut levels: Vec<(usize, usize)> = Vec::new();
    let mut stats = Stats::default();
    let mut diverge = 0usize;
    loop {
        system.reset(explorer.make_nodes())?;
        if stats.executions == 0
            && let Some(violation) = explorer.check_step(&system)
        {
            return Ok(Report::violated(stats, violation));
        }
        let mut depth = 0;
        let maximal = loop {
            if depth == levels.len() {
                if system.in_flight.is_empty() {
                    break true;
                }
                if depth >= explorer.max_depth {
                    stats.truncated += 1;
                    break false;
                }
                levels.push((0, system.in_flight.len()));
            }
            system.deliver(levels[depth].0)?;
            stats.steps += 1;
            depth += 1;
            if depth > diverge
                && let Some(violation) = explorer.check_step(&system)
            {
                stats.executions += 1;
                return Ok(Report::violated(stats, violation));
            }
        };
        stats.executions += 1;
        explorer.observe(&system);
        if maximal && let Some(violation) = explorer.check_end(&system) {
            return Ok(Report::violated(stats, violation));
        }
        if explorer
            .max_executions
            .is_some_and(|max| stats.executions >= max)
        {
            return Ok(Report::clean(stats));
        }
        loop {
            let Some(last) = levels.last_mut() else {
                stats.complete = stats.truncated == 0;
                return Ok(Report::clean(stats));
            };
            last.0 += 1;
            if last.0 < last.1 {
                diverge = levels.len() - 1;
                break;
            }
            levels.pop();
        }
    }
}

/// `walks` executions, each delivering a message drawn uniformly from those in flight at
/// every step, from a generator seeded with `seed`.
pub(crate) fn random<A: Actor>(
    explorer: &Explorer<A>,
    seed: u64,
    walks: u64,
) -> Result<Report, ExploreError> {
    let mut system = System::new(explorer.node_count()?);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut stats = Stats::default();
    for walk in 0..walks {
        system.reset(explorer.make_nodes())?;
        if walk == 0
            && let Some(violation) = explorer.check_step(&system)
        {
            return Ok(Report::violated(stats, violation));
        }
        let mut depth = 0;
        let maximal = loop {
            if system.in_flight.is_empty() {
                break true;
            }
            if depth >= explorer.max_depth {
                stats.truncated += 1;
                break false;
            }
            let choice = rng.random_range(0..system.in_flight.len());
            system.deliver(choice)?;
            stats.steps += 1;
            depth += 1;
            if let Some(violation) = explorer.check_step(&system) {
                stats.executions += 1;
                return Ok(Report::violated(stats, violation));
            }
        };
        stats.executions += 1;
        explorer.observe(&system);
        if maximal && let Some(violation) = explorer.check_end(&system) {
            return Ok(Report::violated(stats, violation));
        }
    }
    // A random search never proves anything complete.
    stats.complete = false;
    Ok(Report::clean(stats))
}
