//! The explorer against the `stateright` crate's model checker (BENCHMARKS.md, issue 14),
//! in one run, on the same protocols: the bundled `kv` and `mutex` examples, explored by
//! ours and, through the adapter of `stateright_models` (the examples' own handlers and
//! properties as stateright actor models), checked by stateright, at 3 and 4 nodes.
//!
//! 1. Time to the first violation of every seeded bug: our DPOR (stopping at the first
//!    violation, as `causet explore` does) against stateright's BFS and DFS checkers (one
//!    thread each, like ours) stopping at their first failing property
//!    (`HasDiscoveries::AnyFailures`). Medians of `EXPLORE_RUNS` runs (default 21; fewer
//!    when a row's runs pass 5 s).
//! 2. Exhaustive, on the correct protocols: executions and time of our DPOR, the number
//!    of delivery orders (naive exploration, up to `EXPLORE_CAP` executions, default
//!    2,000,000), and the states and time of stateright's BFS and DFS checkers.
//!
//! Stateright's checkers stop at `STATERIGHT_CAP` generated states (default 5,000,000):
//! with one thread they never look at their timeout, and their memory grows with the
//! states.
//!
//! `EXPLORE_WHAT=exhaustive` or `violation` runs one half; `EXPLORE_ROWS=TEXT` only the
//! rows whose name contains TEXT.
//!
//! ```text
//! cargo bench -p causet-explore --bench stateright
//! ```

mod stateright_models;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use causet_explore::examples::{kv, mutex};
use causet_explore::{Explorer, Report};
use causet_runtime::Actor;
use stateright::{
    Checker, CheckerBuilder, CheckerVisitor, Expectation, HasDiscoveries, Model, Path,
};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `EXPLORE_ROWS=TEXT`: only the rows whose name contains TEXT.
fn skip(name: &str) -> bool {
    std::env::var("EXPLORE_ROWS").is_ok_and(|only| !name.contains(only.as_str()))
}

/// Most states a stateright checker generates (`STATERIGHT_CAP`, default 5,000,000: its
/// single-thread checkers never look at their timeout, and memory grows with the states).
fn state_cap() -> usize {
    env_u64("STATERIGHT_CAP", 5_000_000) as usize
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1e3)
    } else {
        format!("{ms:.1} ms")
    }
}

/// The median time of `runs` runs of `f` (fewer when they add up to more than 5 s), and
/// its last result.
fn median<R>(runs: u64, mut f: impl FnMut() -> R) -> (Duration, R) {
    let mut times = Vec::new();
    let mut last = None;
    let budget = Instant::now();
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed());
        if budget.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    times.sort();
    (times[times.len() / 2], last.expect("one run"))
}

fn count(report: &Report) -> String {
    if report.stats.complete || report.violation.is_some() {
        report.stats.executions.to_string()
    } else {
        format!("> {} (stopped)", report.stats.executions)
    }
}

/// One of stateright's two checkers.
#[derive(Clone, Copy, Debug)]
enum Search {
    Bfs,
    Dfs,
}

impl Search {
    /// Spawns the checker `builder` describes, of this kind, and waits for its end.
    fn run<M>(self, builder: CheckerBuilder<M>, start: Instant, cap: usize) -> Checked
    where
        M: Model + Send + Sync + 'static,
        M::State: Clone + std::fmt::Debug + std::hash::Hash + PartialEq + Send + Sync + 'static,
        M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static,
    {
        // The two spawns return different types: each is read where it is known.
        match self {
            Search::Bfs => checked(builder.spawn_bfs().join(), start, cap),
            Search::Dfs => checked(builder.spawn_dfs().join(), start, cap),
        }
    }
}

/// What one stateright checker did.
struct Checked {
    unique: usize,
    total: usize,
    time: Duration,
    done: bool,
    failure: Option<&'static str>,
}

fn stateright_check<M>(model: M, search: Search, first_failure: bool) -> Checked
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + std::hash::Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static,
{
    let cap = state_cap();
    let start = Instant::now();
    let mut builder = model.checker().threads(1).target_state_count(cap);
    if first_failure {
        builder = builder.finish_when(HasDiscoveries::AnyFailures);
    }
    search.run(builder, start, cap)
}

fn checked<M: Model>(checker: impl Checker<M>, start: Instant, cap: usize) -> Checked
where
    M::State: Clone + PartialEq,
    M::Action: Clone + PartialEq,
{
    let time = start.elapsed();
    let failure = checker.discoveries().keys().next().copied();
    Checked {
        unique: checker.unique_state_count(),
        total: checker.state_count(),
        time,
        done: checker.state_count() < cap,
        failure,
    }
}

/// Counts the states a checker visits, and which visit first breaks an `Always` property.
struct Counter {
    visits: Arc<AtomicUsize>,
    first_failure: Arc<AtomicUsize>,
}

impl<M: Model> CheckerVisitor<M> for Counter {
    fn visit(&self, model: &M, path: Path<M::State, M::Action>) {
        let visit = self.visits.fetch_add(1, Ordering::Relaxed) + 1;
        let state = path.last_state();
        let fails = model
            .properties()
            .iter()
            .any(|p| p.expectation == Expectation::Always && !(p.condition)(model, state));
        if fails {
            self.first_failure.fetch_min(visit, Ordering::Relaxed);
        }
    }
}

/// For a checker run to its first failure: (states it visits up to and including the
/// first failing one, states it visits in all before it stops).
fn visits_to_failure<M>(model: M, search: Search) -> (usize, usize)
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + std::hash::Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static,
{
    let visits = Arc::new(AtomicUsize::new(0));
    let first_failure = Arc::new(AtomicUsize::new(usize::MAX));
    let cap = state_cap();
    let builder = model
        .checker()
        .threads(1)
        .target_state_count(cap)
        .finish_when(HasDiscoveries::AnyFailures)
        .visitor(Counter {
            visits: visits.clone(),
            first_failure: first_failure.clone(),
        });
    search.run(builder, Instant::now(), cap);
    (
        first_failure.load(Ordering::Relaxed),
        visits.load(Ordering::Relaxed),
    )
}

fn states(c: &Checked) -> String {
    if c.done || c.failure.is_some() {
        format!("{} ({} generated)", c.unique, c.total)
    } else {
        format!("> {} (stopped)", c.unique)
    }
}

fn exhaustive_row<A, M>(name: &str, ours: impl Fn() -> Explorer<A>, theirs: impl Fn() -> M)
where
    A: Actor,
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + std::hash::Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static,
{
    if skip(name) {
        return;
    }
    let cap = env_u64("EXPLORE_CAP", 2_000_000);
    let start = Instant::now();
    let dpor = ours().max_executions(cap).dpor().expect("explores");
    let dpor_time = start.elapsed();
    assert_eq!(dpor.violation, None, "{name}");
    let naive = ours().max_executions(cap).naive().expect("explores");
    // One column pair (states, time) per checker.
    let [bfs, dfs] = [Search::Bfs, Search::Dfs].map(|search| {
        let c = stateright_check(theirs(), search, false);
        assert_eq!(c.failure, None, "{name}: stateright {search:?}");
        format!("{} | {}", states(&c), ms(c.time))
    });
    println!(
        "| {name} | {} | {} | {} | {bfs} | {dfs} |",
        count(&dpor),
        ms(dpor_time),
        count(&naive),
    );
}

/// One checker's column of a violation row: its median time to the first failure (with
/// its visits to the failing state, of all), and the estimated time had it stopped right
/// at the failing state.
fn violation_column<M>(
    name: &str,
    property: &str,
    theirs: impl Fn() -> M,
    search: Search,
    runs: u64,
) -> (String, Option<Duration>)
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + std::hash::Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static,
{
    let (time, c) = median(runs, || stateright_check(theirs(), search, true));
    // A checker that stopped at its state cap without a failure did not find the bug.
    assert!(
        c.failure == Some(property) || (c.failure.is_none() && !c.done),
        "{name}: stateright {search:?} found {:?}",
        c.failure
    );
    // Stateright looks at `finish_when` only between blocks of 1,500 states, so it stops
    // up to 1,500 states past its discovery: what it would take if it stopped at the
    // failing state is estimated from the visits (counted in a run of its own, with a
    // visitor) and the measured time per visit.
    match c.failure {
        Some(_) => {
            let (to_failure, visits) = visits_to_failure(theirs(), search);
            let at_failure = time.mul_f64(to_failure as f64 / visits as f64);
            (
                format!("{} ({to_failure} of {visits} visits)", ms(time)),
                Some(at_failure),
            )
        }
        None => (
            format!("not found in {} states, {}", c.total, ms(time)),
            None,
        ),
    }
}

fn violation_row<A, M>(
    name: &str,
    property: &str,
    ours: impl Fn() -> Explorer<A>,
    theirs: impl Fn() -> M,
) where
    A: Actor,
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + std::hash::Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static,
{
    if skip(name) {
        return;
    }
    let runs = env_u64("EXPLORE_RUNS", 21);
    // Building the explorer and the model is part of each run, on both sides.
    let (ours_time, report) = median(runs, || ours().dpor().expect("explores"));
    let violation = report.violation.expect("our DPOR finds the bug");
    assert_eq!(violation.property, property, "{name}");
    // DFS first: a BFS that stops at its cap leaves millions of states to free, which
    // slows whatever runs next.
    let [(dfs_text, dfs_at), (bfs_text, bfs_at)] = [Search::Dfs, Search::Bfs]
        .map(|search| violation_column(name, property, &theirs, search, runs));
    let best = [bfs_at, dfs_at].into_iter().flatten().min();
    let (best_text, ratio) = match best {
        Some(best) => (
            ms(best),
            format!("{:.0}x", best.as_secs_f64() / ours_time.as_secs_f64()),
        ),
        None => ("-".to_string(), "n/a".to_string()),
    };
    println!(
        "| {name} | {} executions, {} steps | {} | {bfs_text} | {dfs_text} | {best_text} | {ratio} |",
        report.stats.executions,
        violation.schedule.len(),
        ms(ours_time),
    );
}

fn exhaustive() {
    println!(
        "| protocol | our DPOR executions | DPOR time | delivery orders (naive) | stateright BFS states | BFS time | stateright DFS states | DFS time |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for nodes in [3, 4] {
        exhaustive_row(
            &format!("kv, {nodes} nodes, 2 writes x 2 writers"),
            || kv::explorer(nodes, 2, false),
            || stateright_models::kv::model(nodes, 2, false),
        );
        exhaustive_row(
            &format!("mutex, {nodes} nodes, 1 round each"),
            || mutex::explorer(nodes, 1, false),
            || stateright_models::mutex::model(nodes, 1, false),
        );
    }
}

fn violation() {
    println!(
        "| seeded bug | our DPOR to the violation | our time | stateright BFS time (visits to the failing state, of all) | stateright DFS time (same) | stateright's best, stopping at the failing state (estimate) | that / ours |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for nodes in [3, 4] {
        violation_row(
            &format!("kv --bug, {nodes} nodes"),
            kv::NO_WRITE_IS_LOST,
            || kv::explorer(nodes, 2, true),
            || stateright_models::kv::model(nodes, 2, true),
        );
        violation_row(
            &format!("mutex --bug, {nodes} nodes"),
            mutex::MUTUAL_EXCLUSION,
            || mutex::explorer(nodes, 1, true),
            || stateright_models::mutex::model(nodes, 1, true),
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let what = std::env::var("EXPLORE_WHAT").unwrap_or_default();

    // The first violations first: the exhaustive searches leave much memory to free.
    if what.is_empty() || what == "violation" {
        violation();
        println!();
    }
    if what.is_empty() || what == "exhaustive" {
        exhaustive();
    }
}
