//! The explorer's numbers (BENCHMARKS.md, issue 14):
//!
//! - reduction: executions explored by DPOR and by naive enumeration of every delivery
//!   order, for the examples at 3 and 4 nodes (printed as a table before the timings;
//!   each search stops at `EXPLORE_CAP` executions, default 2,000,000, and says so);
//! - speed: deliveries per second of a whole DPOR exploration of `kv` (replays of shared
//!   prefixes included, every invariant checked after every delivery), beside the
//!   baseline: the same actors driven by a bare FIFO loop (no scheduler, no clocks, no
//!   checks), one execution over and over.
//!
//! `EXPLORE_WHAT=counts` or `speed` runs one half; `EXPLORE_ROWS=TEXT` only the count
//! rows whose name contains TEXT.

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Instant;

use causet_explore::examples::{kv, mutex};
use causet_explore::{Explorer, Report};
use causet_runtime::{Actor, Context, Effect};
use criterion::{Criterion, Throughput};

fn cap() -> u64 {
    std::env::var("EXPLORE_CAP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000)
}

fn row<A: Actor>(name: &str, make: impl Fn() -> Explorer<A>) {
    // `EXPLORE_ROWS=TEXT`: only the rows whose name contains TEXT.
    if let Ok(only) = std::env::var("EXPLORE_ROWS")
        && !name.contains(only.as_str())
    {
        return;
    }
    let start = Instant::now();
    let dpor: Report = make().max_executions(cap()).dpor().expect("explores");
    let dpor_time = start.elapsed();
    let start = Instant::now();
    let naive = make().max_executions(cap()).naive().expect("explores");
    let naive_time = start.elapsed();
    let naive_count = if naive.stats.complete || naive.violation.is_some() {
        naive.stats.executions.to_string()
    } else {
        format!("> {} (stopped)", naive.stats.executions)
    };
    let dpor_count = if dpor.stats.complete || dpor.violation.is_some() {
        dpor.stats.executions.to_string()
    } else {
        format!("> {} (stopped)", dpor.stats.executions)
    };
    let ratio = naive.stats.executions as f64 / dpor.stats.executions as f64;
    let ratio = match (
        dpor_count.contains("stopped"),
        naive_count.contains("stopped"),
    ) {
        (false, false) => format!("{ratio:.0}x"),
        (false, true) => format!("> {ratio:.0}x"),
        (true, _) => "n/a".to_string(),
    };
    println!(
        "| {name} | {dpor_count} | {:.1} ms | {naive_count} | {:.1} ms | {ratio} | {} |",
        dpor_time.as_secs_f64() * 1e3,
        naive_time.as_secs_f64() * 1e3,
        match (&dpor.violation, dpor.stats.blocked) {
            (None, 0) => "clean".to_string(),
            (None, b) => format!("clean, {b} blocked"),
            (Some(v), _) => format!("violation: {}", v.property),
        }
    );
}

fn counts() {
    println!(
        "| example | DPOR executions | DPOR time | naive executions | naive time | naive / DPOR | result |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for nodes in [3, 4] {
        row(&format!("kv, {nodes} nodes, 2 writes x 2 writers"), || {
            kv::explorer(nodes, 2, false)
        });
        row(&format!("mutex, {nodes} nodes, 1 round each"), || {
            mutex::explorer(nodes, 1, false)
        });
    }
    for nodes in [3, 4] {
        row(&format!("kv --bug, {nodes} nodes"), || {
            kv::explorer(nodes, 2, true)
        });
        row(&format!("mutex --bug, {nodes} nodes"), || {
            mutex::explorer(nodes, 1, true)
        });
    }
}

/// The baseline: the kv actors and a FIFO queue, nothing else.
fn kv_direct(nodes: usize, writes: u32) -> u64 {
    let mut replicas = kv::replicas(nodes, writes, false);
    let mut queue = VecDeque::new();
    let mut effects = Vec::new();
    let mut steps = 0;
    for (me, replica) in replicas.iter_mut().enumerate() {
        replica.on_start(&mut Context::without_texts(me, nodes, &mut effects));
        for effect in effects.drain(..) {
            if let Effect::Send { to, message } = effect {
                queue.push_back((me, to, message));
            }
        }
    }
    while let Some((from, to, message)) = queue.pop_front() {
        steps += 1;
        replicas[to].on_message(
            from,
            message,
            &mut Context::without_texts(to, nodes, &mut effects),
        );
        for effect in effects.drain(..) {
            if let Effect::Send { to: next, message } = effect {
                queue.push_back((to, next, message));
            }
        }
    }
    black_box(&replicas);
    steps
}

fn speed(c: &mut Criterion) {
    let mut group = c.benchmark_group("kv_deliveries");
    for nodes in [3, 4] {
        let steps = kv::explorer(nodes, 2, false)
            .dpor()
            .expect("explores")
            .stats
            .steps;
        group.throughput(Throughput::Elements(steps));
        group.bench_function(format!("dpor/{nodes}"), |b| {
            b.iter(|| kv::explorer(nodes, 2, false).dpor().expect("explores"))
        });
        let direct = kv_direct(nodes, 2);
        group.throughput(Throughput::Elements(direct));
        group.bench_function(format!("direct/{nodes}"), |b| {
            b.iter(|| kv_direct(nodes, 2))
        });
    }
    group.finish();
}

fn main() {
    let what = std::env::var("EXPLORE_WHAT").unwrap_or_default();
    if what.is_empty() || what == "counts" {
        counts();
    }
    if what.is_empty() || what == "speed" {
        let mut criterion = Criterion::default().configure_from_args();
        speed(&mut criterion);
        criterion.final_summary();
    }
}
