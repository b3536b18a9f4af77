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

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::Duration;

use causet_clock::{Causality, VectorClock, VersionVector};
use crdts::CvRDT;
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};

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
criterion_main!(benches);
