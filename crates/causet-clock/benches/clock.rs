//! Merge and compare of n-node clocks, ours beside the baselines, in one run.
//!
//! For n = 4, 16, 64, 256, 1024 and three input shapes, each operation is measured for:
//! a hand-written `Vec<u64>` loop (the hardware-bound baseline), our dense [`VectorClock`],
//! our sparse [`VersionVector<u32>`], `crdts::VClock<u32>` 7.x (a `BTreeMap`) and
//! `vclock::VClock<u32, u64>` 0.4 (a `HashMap`).
//!
//! Input shapes (`a` is the clock operated on, `b` the other one; node i's entry in the base
//! clock is i + 1, so every entry is non-zero and every id is present in both):
//! - `equal`: `a == b`: compare scans everything, merge changes nothing;
//! - `dominating`: `b` = `a` + 1 everywhere: compare scans everything (answer `Before`),
//!   merge raises every entry of `a`;
//! - `concurrent`: `a` is ahead at entry 0, `b` at entry n/2: compare stops half way.
//!
//! Merges run on a fresh copy of `a` for every iteration (`iter_batched`, copy not timed),
//! the same for every implementation; `crdts` gets its own copy of `b` too, because its
//! `merge` consumes it.
//!
//! Run: `cargo bench -p causet-clock --bench clock -- --warm-up-time 1 --measurement-time 2`
//!
//! On a shared, noisy machine criterion's benchmarks run one after the other, so load that
//! comes and goes skews the ratios between them. With `CAUSET_PAIRED=1` (or `=only`, to
//! skip criterion), the binary also prints a *paired* table: every implementation is timed
//! in short interleaved bursts, round after round, and the fastest round of each is kept
//! (contention only ever adds time), so the ratios compare like with like. Merge bursts
//! restore `a` before each merge; the time of the restore alone is measured the same way
//! and subtracted.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::{Duration, Instant};

use causet_clock::{Causality, VectorClock, VersionVector};
use crdts::CvRDT;
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group};

const SIZES: [usize; 5] = [4, 16, 64, 256, 1024];

/// The hand-written baseline: element-wise max in place.
fn baseline_merge(a: &mut Vec<u64>, b: &[u64]) {
    if b.len() > a.len() {
        a.resize(b.len(), 0);
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x = (*x).max(*y);
    }
}

/// The hand-written baseline: one pass, exit as soon as both directions are seen.
fn baseline_compare(a: &[u64], b: &[u64]) -> Causality {
    let (mut less, mut greater) = (false, false);
    for (x, y) in a.iter().zip(b) {
        if x < y {
            less = true;
        } else if x > y {
            greater = true;
        }
        if less && greater {
            return Causality::Concurrent;
        }
    }
    // Tails beyond the shorter vector (non-zero entries count against the other side).
    less |= b[a.len().min(b.len())..].iter().any(|&y| y > 0);
    greater |= a[a.len().min(b.len())..].iter().any(|&x| x > 0);
    Causality::from_flags(less, greater)
}

/// The entries of `a` and `b` for one shape.
fn shape(kind: &str, n: usize) -> (Vec<u64>, Vec<u64>) {
    let base: Vec<u64> = (1..=n as u64).collect();
    let mut a = base.clone();
    let mut b = base;
    match kind {
        "equal" => {}
        "dominating" => b.iter_mut().for_each(|x| *x += 1),
        "concurrent" => {
            a[0] += 1;
            b[n / 2] += 1;
        }
        _ => unreachable!("unknown shape {kind}"),
    }
    (a, b)
}

fn sparse(entries: &[u64]) -> VersionVector<u32> {
    entries
        .iter()
        .enumerate()
        .map(|(i, &n)| (i as u32, n))
        .collect()
}

fn crdts_clock(entries: &[u64]) -> crdts::VClock<u32> {
    crdts::VClock {
        dots: entries
            .iter()
            .enumerate()
            .map(|(i, &n)| (i as u32, n))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn vclock_clock(entries: &[u64]) -> vclock::VClock<u32, u64> {
    vclock::VClock::from(
        entries
            .iter()
            .enumerate()
            .map(|(i, &n)| (i as u32, n))
            .collect::<HashMap<_, _>>(),
    )
}

fn bench_merge(c: &mut Criterion) {
    for kind in ["equal", "dominating", "concurrent"] {
        let mut group = c.benchmark_group(format!("merge/{kind}"));
        for n in SIZES {
            let (a, b) = shape(kind, n);
            group.bench_with_input(BenchmarkId::new("baseline_vec", n), &n, |bench, _| {
                bench.iter_batched(
                    || a.clone(),
                    |mut x| {
                        baseline_merge(&mut x, black_box(&b));
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
            let (da, db) = (VectorClock::from(a.clone()), VectorClock::from(b.clone()));
            group.bench_with_input(BenchmarkId::new("vector_clock", n), &n, |bench, _| {
                bench.iter_batched(
                    || da.clone(),
                    |mut x| {
                        x.merge(black_box(&db));
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
            let (sa, sb) = (sparse(&a), sparse(&b));
            group.bench_with_input(BenchmarkId::new("version_vector", n), &n, |bench, _| {
                bench.iter_batched(
                    || sa.clone(),
                    |mut x| {
                        x.merge(black_box(&sb));
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
            let (ca, cb) = (crdts_clock(&a), crdts_clock(&b));
            group.bench_with_input(BenchmarkId::new("crdts", n), &n, |bench, _| {
                bench.iter_batched(
                    || (ca.clone(), cb.clone()),
                    |(mut x, y)| {
                        x.merge(black_box(y));
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
            let (va, vb) = (vclock_clock(&a), vclock_clock(&b));
            group.bench_with_input(BenchmarkId::new("vclock", n), &n, |bench, _| {
                bench.iter_batched(
                    || va.clone(),
                    |mut x| {
                        x.merge(black_box(&vb));
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }
}

fn bench_compare(c: &mut Criterion) {
    for kind in ["equal", "dominating", "concurrent"] {
        let mut group = c.benchmark_group(format!("compare/{kind}"));
        for n in SIZES {
            let (a, b) = shape(kind, n);
            // Every implementation must give the same answer before it is timed.
            let expected = baseline_compare(&a, &b);
            group.bench_with_input(BenchmarkId::new("baseline_vec", n), &n, |bench, _| {
                bench.iter(|| baseline_compare(black_box(&a), black_box(&b)))
            });
            let (da, db) = (VectorClock::from(a.clone()), VectorClock::from(b.clone()));
            assert_eq!(da.compare(&db), expected);
            group.bench_with_input(BenchmarkId::new("vector_clock", n), &n, |bench, _| {
                bench.iter(|| black_box(&da).compare(black_box(&db)))
            });
            let (sa, sb) = (sparse(&a), sparse(&b));
            assert_eq!(sa.compare(&sb), expected);
            group.bench_with_input(BenchmarkId::new("version_vector", n), &n, |bench, _| {
                bench.iter(|| black_box(&sa).compare(black_box(&sb)))
            });
            let (ca, cb) = (crdts_clock(&a), crdts_clock(&b));
            assert_eq!(ca.partial_cmp(&cb), expected.to_ordering());
            group.bench_with_input(BenchmarkId::new("crdts", n), &n, |bench, _| {
                bench.iter(|| black_box(&ca).partial_cmp(black_box(&cb)))
            });
            let (va, vb) = (vclock_clock(&a), vclock_clock(&b));
            assert_eq!(va.partial_cmp(&vb), expected.to_ordering());
            group.bench_with_input(BenchmarkId::new("vclock", n), &n, |bench, _| {
                bench.iter(|| black_box(&va).partial_cmp(black_box(&vb)))
            });
        }
        group.finish();
    }
}

/// Encoded sizes (printed once) and encode/decode speed of the binary format.
fn bench_encoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("encoding");
    for n in SIZES {
        let small = VectorClock::from_entries(vec![127; n]);
        let bytes = small.encode();
        assert!(bytes.len() <= n + 2);
        eprintln!(
            "encoded size: dense n={n}, entries < 128: {} bytes (n + {}); sparse u32 ids: {} bytes",
            bytes.len(),
            bytes.len() - n,
            sparse(small.as_slice()).encode().len()
        );
        if n == 64 || n == 1024 {
            let clock = VectorClock::from((1..=n as u64).map(|i| i * 1000).collect::<Vec<_>>());
            let bytes = clock.encode();
            group.bench_with_input(BenchmarkId::new("dense_encode", n), &n, |bench, _| {
                bench.iter(|| black_box(&clock).encode())
            });
            group.bench_with_input(BenchmarkId::new("dense_decode", n), &n, |bench, _| {
                bench.iter(|| VectorClock::decode(black_box(&bytes)))
            });
        }
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_merge, bench_compare, bench_encoding
}

fn main() {
    let paired = std::env::var("CAUSET_PAIRED").unwrap_or_default();
    if paired != "only" {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    if !paired.is_empty() {
        paired_tables();
    }
}

/// Time of one burst of `reps` calls, in nanoseconds per call.
fn burst(reps: usize, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..reps {
        f();
    }
    start.elapsed().as_nanos() as f64 / reps as f64
}

/// One implementation in the paired run: `reset` restores the operand, `run` does the
/// operation (after a reset for merges).
struct Contender<'a> {
    reset: Box<dyn FnMut() + 'a>,
    run: Box<dyn FnMut() + 'a>,
}

const ROUNDS: usize = 41;

/// Fastest net time per call of each contender over interleaved rounds.
fn race(n: usize, contenders: &mut [Contender<'_>]) -> Vec<f64> {
    // About 20 µs of work per burst.
    let reps = (20_000 / n).max(50);
    let mut best = vec![(f64::MAX, f64::MAX); contenders.len()];
    for round in 0..ROUNDS {
        // Rotate the order so that no contender always runs right after another.
        for k in 0..contenders.len() {
            let index = (k + round) % contenders.len();
            let c = &mut contenders[index];
            let reset_only = burst(reps, &mut c.reset);
            let both = burst(reps, || {
                (c.reset)();
                (c.run)();
            });
            let slot = &mut best[index];
            slot.0 = slot.0.min(both);
            slot.1 = slot.1.min(reset_only);
        }
    }
    best.into_iter()
        .map(|(both, reset)| (both - reset).max(0.1))
        .collect()
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

fn paired_tables() {
    for op in ["merge", "compare"] {
        for kind in ["equal", "dominating", "concurrent"] {
            println!("\n**{op}, {kind} inputs** (fastest of {ROUNDS} interleaved rounds)\n");
            println!(
                "| n | `Vec<u64>` loop | VectorClock | ours ÷ loop | VersionVector<u32> | \
                 crdts::VClock | vclock::VClock | crdts ÷ VersionVector |"
            );
            println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
            for n in SIZES {
                let times = if op == "merge" {
                    paired_merge(kind, n)
                } else {
                    paired_compare(kind, n)
                };
                let [base, dense, sparse, crdts, vclock] = times[..] else {
                    unreachable!("five contenders")
                };
                println!(
                    "| {n} | {} | {} | {:.2} | {} | {} | {} | {:.1}× |",
                    fmt_ns(base),
                    fmt_ns(dense),
                    dense / base,
                    fmt_ns(sparse),
                    fmt_ns(crdts),
                    fmt_ns(vclock),
                    crdts / sparse
                );
            }
        }
    }
}

fn paired_merge(kind: &str, n: usize) -> Vec<f64> {
    let (a, b) = shape(kind, n);
    let (da, db) = (VectorClock::from(a.clone()), VectorClock::from(b.clone()));
    let (sa, sb) = (sparse(&a), sparse(&b));
    let (ca, cb) = (crdts_clock(&a), crdts_clock(&b));
    let (va, vb) = (vclock_clock(&a), vclock_clock(&b));
    let base = std::cell::RefCell::new(a.clone());
    let dense = std::cell::RefCell::new(da.clone());
    let sparse_clock = std::cell::RefCell::new(sa.clone());
    let crdts = std::cell::RefCell::new((ca.clone(), Some(cb.clone())));
    let vclock = std::cell::RefCell::new(va.clone());
    let mut contenders = [
        Contender {
            reset: Box::new(|| base.borrow_mut().copy_from_slice(black_box(&a))),
            run: Box::new(|| baseline_merge(&mut base.borrow_mut(), black_box(&b))),
        },
        Contender {
            reset: Box::new(|| dense.borrow_mut().clone_from(black_box(&da))),
            run: Box::new(|| dense.borrow_mut().merge(black_box(&db))),
        },
        Contender {
            reset: Box::new(|| sparse_clock.borrow_mut().clone_from(black_box(&sa))),
            run: Box::new(|| sparse_clock.borrow_mut().merge(black_box(&sb))),
        },
        Contender {
            // crdts' merge consumes the other clock: restoring includes cloning it.
            reset: Box::new(|| *crdts.borrow_mut() = (black_box(&ca).clone(), Some(cb.clone()))),
            run: Box::new(|| {
                let mut pair = crdts.borrow_mut();
                if let Some(other) = pair.1.take() {
                    pair.0.merge(other);
                }
            }),
        },
        Contender {
            reset: Box::new(|| vclock.borrow_mut().clone_from(black_box(&va))),
            run: Box::new(|| vclock.borrow_mut().merge(black_box(&vb))),
        },
    ];
    let times = race(n, &mut contenders);
    drop(contenders);
    // The merges really happened: every result equals the baseline's.
    let expected = base.into_inner();
    assert_eq!(dense.into_inner().as_slice(), &expected[..]);
    assert_eq!(sparse_clock.into_inner(), sparse(&expected));
    assert_eq!(crdts.into_inner().0, crdts_clock(&expected));
    assert!(vclock.into_inner() == vclock_clock(&expected));
    times
}

fn paired_compare(kind: &str, n: usize) -> Vec<f64> {
    let (a, b) = shape(kind, n);
    let (da, db) = (VectorClock::from(a.clone()), VectorClock::from(b.clone()));
    let (sa, sb) = (sparse(&a), sparse(&b));
    let (ca, cb) = (crdts_clock(&a), crdts_clock(&b));
    let (va, vb) = (vclock_clock(&a), vclock_clock(&b));
    let nothing = || {};
    let mut contenders = [
        Contender {
            reset: Box::new(nothing),
            run: Box::new(|| {
                black_box(baseline_compare(black_box(&a), black_box(&b)));
            }),
        },
        Contender {
            reset: Box::new(nothing),
            run: Box::new(|| {
                black_box(black_box(&da).compare(black_box(&db)));
            }),
        },
        Contender {
            reset: Box::new(nothing),
            run: Box::new(|| {
                black_box(black_box(&sa).compare(black_box(&sb)));
            }),
        },
        Contender {
            reset: Box::new(nothing),
            run: Box::new(|| {
                black_box(black_box(&ca).partial_cmp(black_box(&cb)));
            }),
        },
        Contender {
            reset: Box::new(nothing),
            run: Box::new(|| {
                black_box(black_box(&va).partial_cmp(black_box(&vb)));
            }),
        },
    ];
    race(n, &mut contenders)
}
