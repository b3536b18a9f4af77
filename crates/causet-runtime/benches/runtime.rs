//! Runtime benchmarks: messages per second per mode with clocks and logging beside the same
//! transport with neither; task-mode memory per node at 10,000 nodes; process-mode start-up
//! and throughput at 16 processes.
//!
//! `cargo bench -p causet-runtime --bench runtime` runs everything; a filter argument runs
//! the matching criterion benches, plus `memory` and `process` when it matches those words;
//! `-- paired` runs only the interleaved baseline-vs-clocks comparison of thread, task and
//! process modes (`CAUSET_BENCH_MODE=thread|task|process` keeps one).
//! The process section needs the `causet` binary: it uses `$CAUSET_BIN`, or
//! `target/release/causet` beside the bench executable (`cargo build --release -p causet`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use causet_runtime::{
    LogFlush, LogSink, Node, Roster, Stamps,
    demo::{
        ClusterConfig, ClusterRun, Logs, Plan, Workload, run_processes, run_tasks, run_threads,
    },
};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};

const NODES: usize = 8;
const MESSAGES: u32 = 500;

/// The four variants of one mode, from bare transport to flushed logging.
fn variants(dir: &std::path::Path) -> Vec<(&'static str, ClusterConfig)> {
    let plan = Plan::new(Workload::Gossip, NODES, MESSAGES, 1).expect("plan");
    let config = |logs: Logs, instrumented: bool| {
        let mut config = ClusterConfig::new(plan.clone(), logs);
        config.instrumented = instrumented;
        config.timing.pace = Duration::ZERO;
        config
    };
    vec![
        ("baseline (no clocks, no log)", config(Logs::Discard, false)),
        ("clocks, no log", config(Logs::Discard, true)),
        (
            "clocks + buffered log",
            config(
                Logs::Dir {
                    dir: dir.join("buffered"),
                    flush: LogFlush::Buffered,
                },
                true,
            ),
        ),
        (
            "clocks + flushed log",
            config(
                Logs::Dir {
                    dir: dir.join("flushed"),
                    flush: LogFlush::EachEvent,
                },
                true,
            ),
        ),
    ]
}

fn check(run: ClusterRun) {
    assert!(run.is_complete(), "incomplete run: {:?}", run.nodes);
}

fn throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let total = Plan::new(Workload::Gossip, NODES, MESSAGES, 1)
        .expect("plan")
        .total_messages();
    for mode in ["thread", "task"] {
        let mut group = c.benchmark_group(format!("runtime/{mode}/gossip-8x{MESSAGES}"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        group.throughput(Throughput::Elements(total));
        for (name, config) in variants(dir.path()) {
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                // Each iteration logs into a fresh directory (made untimed), so that no run
                // pays for truncating the previous run's files.
                b.iter_batched(
                    || {
                        let fresh = tempfile::tempdir_in(dir.path()).expect("temp dir");
                        let mut config = config.clone();
                        if let Logs::Dir { flush, .. } = config.logs {
                            config.logs = Logs::Dir {
                                dir: fresh.path().to_path_buf(),
                                flush,
                            };
                        }
                        (fresh, config)
                    },
                    |(fresh, config)| {
                        let run = if mode == "thread" {
                            run_threads(&config)
                        } else {
                            run_tasks(&config, 2)
                        };
                        check(run.expect("run"));
                        fresh
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        group.finish();
    }
}

/// One message between two nodes of an 8-node cluster: send (tick, log, stamp) and receive
/// (decode, merge, tick, log), logs discarded, beside the same two calls uninstrumented.
fn node_pair(c: &mut Criterion) {
    let mut group = c.benchmark_group("runtime/node/send+receive");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(2));
    // Two messages per iteration: a to b, then b to a.
    group.throughput(Throughput::Elements(2));
    let roster = Arc::new(Roster::numbered(NODES));
    for (name, stamps, instrumented, formatted) in [
        ("baseline (uninstrumented)", Stamps::Full, false, false),
        ("full stamps", Stamps::Full, true, false),
        ("differential stamps", Stamps::Differential, true, false),
        (
            "differential stamps + log formatted to io::sink",
            Stamps::Differential,
            true,
            true,
        ),
    ] {
        let make = |index| {
            let log = if formatted {
                LogSink::writer(Box::new(std::io::sink()))
            } else {
                LogSink::discard()
            };
            pair_node(&roster, index, log, stamps, instrumented)
        };
        let (mut a, mut b) = (make(0), make(1));
        group.bench_function(BenchmarkId::from_parameter(name), |bench| {
            bench.iter(|| {
                let bytes = a.prepare_send_fifo(1, "send", b"gossip 1").expect("send");
                std::hint::black_box(receive(&mut b, &bytes));
                let bytes = b.prepare_send_fifo(0, "send", b"gossip 1").expect("send");
                std::hint::black_box(receive(&mut a, &bytes));
            })
        });
    }
    group.finish();
}

/// A receive as the runtime's driver does it: [`Node::receive_fast`], else `decode` and
/// `deliver`; the payload's length.
fn receive(node: &mut Node, bytes: &[u8]) -> usize {
    if let Some(received) = node.receive_fast(bytes, |_, _| "receive") {
        return received.expect("receive").1.len();
    }
    let incoming = node.decode(bytes).expect("decode");
    node.deliver(incoming, "receive").expect("deliver").len()
}

/// Node `index` of the roster for the pair benches, with these stamps, or without clocks.
fn pair_node(
    roster: &Arc<Roster>,
    index: usize,
    log: LogSink,
    stamps: Stamps,
    instrumented: bool,
) -> Node {
    let node = Node::with_index(roster.clone(), index, log)
        .expect("node")
        .with_stamps(stamps);
    if instrumented {
        node
    } else {
        node.uninstrumented()
    }
}

/// `-- pair-loop`: the node pair's send+receive, a fixed 1,000,000 times per variant, for
/// counting instructions with `perf stat` (which, unlike time, the shared machine does not
/// disturb). `CAUSET_BENCH_VARIANT` = `baseline`, `full` or `differential` (default).
fn pair_loop() {
    let variant = std::env::var("CAUSET_BENCH_VARIANT").unwrap_or_default();
    let (stamps, instrumented) = match variant.as_str() {
        "baseline" => (Stamps::Full, false),
        "full" => (Stamps::Full, true),
        _ => (Stamps::Differential, true),
    };
    let roster = Arc::new(Roster::numbered(NODES));
    let make = |index| pair_node(&roster, index, LogSink::discard(), stamps, instrumented);
    let (mut a, mut b) = (make(0), make(1));
    // `CAUSET_BENCH_ITERATIONS` shortens the loop (for instruction counts under callgrind).
    let iterations: usize = std::env::var("CAUSET_BENCH_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let started = Instant::now();
    for _ in 0..iterations {
        let bytes = a.prepare_send_fifo(1, "send", b"gossip 1").expect("send");
        std::hint::black_box(receive(&mut b, &bytes));
        let bytes = b.prepare_send_fifo(0, "send", b"gossip 1").expect("send");
        std::hint::black_box(receive(&mut a, &bytes));
    }
    let per = started.elapsed().as_secs_f64() * 1e9 / (2 * iterations) as f64;
    println!(
        "pair-loop {variant}: {per:.1} ns per message ({} messages)",
        2 * iterations
    );
}

/// Resident set size of this process, in bytes (Linux).
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Peak RSS while `f` runs, sampled every millisecond by another thread.
fn peak_rss_during<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(rss().unwrap_or(0));
                std::thread::sleep(Duration::from_millis(1));
            }
            peak
        })
    };
    let value = f();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(0);
    (value, peak)
}

/// Environment variable that makes the bench binary measure one memory configuration
/// (`NODES:full` or `NODES:differential`) in a fresh process and exit.
const MEMORY_PROBE: &str = "CAUSET_BENCH_MEMORY_PROBE";

fn task_memory() {
    println!("\n== task mode: memory per node (broadcast, 2 rounds, logs discarded) ==");
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    for probe in ["10000:none", "10000:full", "2000:full", "2000:differential"] {
        match std::process::Command::new(&exe)
            .env(MEMORY_PROBE, probe)
            .output()
        {
            Ok(output) => print!("{}", String::from_utf8_lossy(&output.stdout)),
            Err(err) => println!("{probe}: cannot run the probe: {err}"),
        }
    }
}

/// Measures one configuration in this (fresh) process. In a broadcast of two rounds every
/// node is alive, waiting for round 2, when node0 has all replies of round 1, so the peak
/// holds all nodes at once. `none` runs the nodes without clocks: what a node costs
/// besides its clock (task, channel, program, node); `full` and `differential` add the
/// dense clocks (node i holds i + 1 entries) and the stamps in flight.
fn memory_probe(probe: &str) {
    let (nodes, stamps) = probe.split_once(':').unwrap_or(("10000", "full"));
    let nodes: usize = nodes.parse().unwrap_or(10_000);
    let instrumented = stamps != "none";
    let stamps = if stamps == "differential" {
        Stamps::Differential
    } else {
        Stamps::Full
    };
    let plan = Plan::new(Workload::Broadcast, nodes, 2, 1).expect("plan");
    let mut config = ClusterConfig::new(plan, Logs::Discard);
    config.stamps = stamps;
    config.instrumented = instrumented;
    config.timing.receive_timeout = Duration::from_secs(300);
    let before = rss().unwrap_or(0);
    let started = Instant::now();
    let (run, peak) = peak_rss_during(|| run_tasks(&config, 2).expect("task run"));
    let elapsed = started.elapsed();
    assert!(run.is_complete());
    let grown = peak.saturating_sub(before) as f64;
    let per_node = grown / nodes as f64;
    let clock_per_node = run.clock_heap_bytes as f64 / nodes as f64;
    if instrumented {
        println!(
            "{nodes} tasks, {stamps:?} stamps: peak RSS +{:.1} MiB = {:.1} KiB/node, dense \
             clocks and stamps in flight included (clock and stamp state at the end: {:.1} \
             KiB/node); run {:.0} ms",
            grown / (1 << 20) as f64,
            per_node / 1024.0,
            clock_per_node / 1024.0,
            elapsed.as_secs_f64() * 1e3
        );
    } else {
        println!(
            "{nodes} tasks, no clocks: peak RSS +{:.1} MiB = {:.2} KiB/node besides a clock \
             (task, channel, program, node); run {:.0} ms",
            grown / (1 << 20) as f64,
            per_node / 1024.0,
            elapsed.as_secs_f64() * 1e3
        );
    }
}

fn causet_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CAUSET_BIN") {
        return Some(PathBuf::from(path));
    }
    // target/release/deps/runtime-HASH → target/release/causet
    let exe = std::env::current_exe().ok()?;
    let candidate = exe.parent()?.parent()?.join("causet");
    candidate.is_file().then_some(candidate)
}

fn process_mode() {
    println!("\n== process mode: 16 processes, gossip, TCP on 127.0.0.1 ==");
    let Some(binary) = causet_binary() else {
        println!("SKIPPED: no causet binary (cargo build --release -p causet, or set CAUSET_BIN)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for (label, flush) in [
        ("flushed", LogFlush::EachEvent),
        ("buffered", LogFlush::Buffered),
    ] {
        let plan = Plan::new(Workload::Gossip, 16, 200, 1).expect("plan");
        let total = plan.total_messages();
        let mut config = ClusterConfig::new(
            plan,
            Logs::Dir {
                dir: dir.path().join(label),
                flush,
            },
        );
        config.timing.pace = Duration::ZERO;
        let mut startups = Vec::new();
        let mut rates = Vec::new();
        for _ in 0..5 {
            let run = run_processes(&config, &binary, &[]).expect("process run");
            assert!(run.is_complete(), "{:?}", run.nodes);
            startups.push(run.startup.unwrap_or_default().as_secs_f64() * 1e3);
            rates.push(total as f64 / run.elapsed.as_secs_f64());
        }
        startups.sort_by(f64::total_cmp);
        rates.sort_by(f64::total_cmp);
        println!(
            "16 processes, {label} logs, {total} messages: start-up median {:.1} ms \
             (min {:.1}, max {:.1}); throughput median {:.0} msg/s (min {:.0}, max {:.0})",
            startups[2], startups[0], startups[4], rates[2], rates[0], rates[4]
        );
    }
}

/// CPU time of this process so far (user + system, all threads, exited ones included), in
/// clock ticks (Linux `/proc/self/stat`; usually 100 a second).
fn cpu_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // Fields after the command name (which is in parentheses): utime is the 12th, stime 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// Runs of each variant in [`paired`].
const PAIRED_RUNS: usize = 101;

/// Baseline and clocks-without-log runs interleaved (ABBA order, so neither variant always
/// runs first), `PAIRED_RUNS` of each per mode: the median run time of each, and the
/// median of the per-pair ratios, which a machine shared with other work disturbs least.
fn paired() {
    let plan = Plan::new(Workload::Gossip, NODES, MESSAGES, 1).expect("plan");
    let total = plan.total_messages() as f64;
    // `CAUSET_BENCH_STAMPS=full` sends full stamps instead of differential ones.
    let stamps = match std::env::var("CAUSET_BENCH_STAMPS").as_deref() {
        Ok("full") => Stamps::Full,
        _ => Stamps::Differential,
    };
    let config = |instrumented: bool| {
        let mut config = ClusterConfig::new(plan.clone(), Logs::Discard);
        config.instrumented = instrumented;
        config.stamps = stamps;
        config.timing.pace = Duration::ZERO;
        config
    };
    let (baseline, clocks) = (config(false), config(true));
    // `CAUSET_BENCH_ONLY=baseline` (or `clocks`) runs that variant alone in both slots, for
    // measuring one variant with outside tools (`perf stat`).
    let (baseline, clocks) = match std::env::var("CAUSET_BENCH_ONLY").as_deref() {
        Ok("baseline") => (baseline.clone(), baseline),
        Ok("clocks") => (clocks.clone(), clocks),
        _ => (baseline, clocks),
    };
    // `CAUSET_BENCH_WORKERS` sets the task mode's worker threads (default 2).
    let workers = std::env::var("CAUSET_BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(2);
    // `CAUSET_BENCH_PAIRED_RUNS` shortens the comparison (for callgrind), `CAUSET_BENCH_MODE`
    // (`thread`, `task` or `process`) keeps one mode.
    let runs = std::env::var("CAUSET_BENCH_PAIRED_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(PAIRED_RUNS)
        .max(1);
    let only_mode = std::env::var("CAUSET_BENCH_MODE").unwrap_or_default();
    println!(
        "\n== paired: gossip {NODES}x{MESSAGES}, baseline vs clocks (log discarded), {runs} interleaved runs each =="
    );
    let binary = causet_binary();
    for mode in ["thread", "task", "process"] {
        if !only_mode.is_empty() && only_mode != mode {
            continue;
        }
        if mode == "process" && binary.is_none() {
            println!(
                "process: SKIPPED: no causet binary (cargo build --release -p causet, or set CAUSET_BIN)"
            );
            continue;
        }
        let run = |config: &ClusterConfig| {
            let run = match mode {
                "thread" => run_threads(config),
                "task" => run_tasks(config, workers),
                // Nodes as OS processes over TCP on 127.0.0.1; `elapsed` starts at `go`,
                // after every process is up and connected.
                _ => run_processes(config, binary.as_deref().expect("binary"), &[]),
            }
            .expect("run");
            let elapsed = run.elapsed.as_secs_f64();
            check(run);
            elapsed
        };
        let mut cpu = [0u64; 2];
        let mut timed = |config: &ClusterConfig, slot: usize| {
            let before = cpu_ticks();
            let elapsed = run(config);
            cpu[slot] += cpu_ticks() - before;
            elapsed
        };
        // Warm-up.
        for _ in 0..5.min(runs) {
            run(&baseline);
            run(&clocks);
        }
        let (mut base, mut ours, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..runs {
            let (b, c) = if i % 2 == 0 {
                let b = timed(&baseline, 0);
                (b, timed(&clocks, 1))
            } else {
                let c = timed(&clocks, 1);
                (timed(&baseline, 0), c)
            };
            base.push(b);
            ours.push(c);
            ratios.push(c / b);
        }
        let median = |values: &mut Vec<f64>| {
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        let (b, c, r) = (median(&mut base), median(&mut ours), median(&mut ratios));
        println!(
            "{mode}: baseline median {:.2} ms ({:.0} k msg/s), clocks {:.2} ms ({:.0} k msg/s), \
             ratio of medians {:.3}, median of paired ratios {r:.3} (quartiles {:.3}-{:.3})",
            b * 1e3,
            total / b / 1e3,
            c * 1e3,
            total / c / 1e3,
            c / b,
            ratios[runs / 4],
            ratios[3 * runs / 4],
        );
        if mode == "process" {
            // The nodes' CPU time is in other processes: not counted here.
            continue;
        }
        println!(
            "{mode}: CPU (all threads) per run: baseline {:.2} ms, clocks {:.2} ms, ratio {:.3}",
            cpu[0] as f64 * 10.0 / runs as f64,
            cpu[1] as f64 * 10.0 / runs as f64,
            cpu[1] as f64 / cpu[0].max(1) as f64,
        );
    }
}

fn main() {
    if let Ok(probe) = std::env::var(MEMORY_PROBE) {
        memory_probe(&probe);
        return;
    }
    let filter = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .unwrap_or_default();
    if filter == "pair-loop" {
        pair_loop();
        return;
    }
    if filter == "paired" {
        paired();
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    node_pair(&mut criterion);
    throughput(&mut criterion);
    criterion.final_summary();
    if filter.is_empty() || "memory".contains(&filter) {
        task_memory();
    }
    if filter.is_empty() || "process".contains(&filter) {
        process_mode();
    }
}
