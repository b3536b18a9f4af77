//! causet-tracing benchmarks: the header path of a stamp (inject + extract of a 16-node
//! stamp, beside encoding alone), the header's size beside W3C `traceparent` and GoVector's
//! msgpack map, and the loopback HTTP overhead of the layers through the example's gateway.
//!
//! `cargo bench -p causet-tracing --bench trace` runs everything; a filter argument runs
//! the matching criterion benches, plus `sizes` and `http` when it matches those words.
//! The `http` section interleaves its variants round by round in one process (the ratio is
//! what to quote, not the absolute rate): `CAUSET_HTTP_ROUNDS` rounds (default 12) of
//! `CAUSET_HTTP_REQUESTS` requests (default 400) from 4 concurrent keep-alive clients.

use std::time::{Duration, Instant};

use causet_clock::VersionVector;
use causet_tracing::stamp::{self, HEADER_NAME};
use causet_tracing::{EventLog, LogFlush, Nodes, OpenNode, Priority};
use criterion::{BatchSize, Criterion};
use http::HeaderMap;

#[allow(dead_code, unreachable_pub)] // the example's items are pub for its own binary
#[path = "../examples/services.rs"]
mod example;

/// A clock of `n` nodes named like services (`service-00`, …), counters in the hundreds.
fn clock(n: usize) -> VersionVector<String> {
    (0..n)
        .map(|i| (format!("service-{i:02}"), 100 + 7 * i as u64))
        .collect()
}

/// Two nodes that both know the `n`-node clock: the steady state of a service mesh.
fn pair(n: usize) -> (OpenNode, OpenNode) {
    let others = without(&without(&clock(n), "service-00"), "service-01");
    let mut sender = OpenNode::new("service-00", EventLog::discard()).unwrap();
    let mut receiver = OpenNode::new("service-01", EventLog::discard()).unwrap();
    for node in [&mut sender, &mut receiver] {
        node.receive(Priority::Info, "", &[], &others).unwrap();
    }
    (sender, receiver)
}

fn without(clock: &VersionVector<String>, name: &str) -> VersionVector<String> {
    clock
        .iter()
        .filter(|(id, _)| id.as_str() != name)
        .map(|(id, n)| (id.clone(), n))
        .collect()
}

fn stamps(c: &mut Criterion) {
    let mut group = c.benchmark_group("stamp");
    group.measurement_time(Duration::from_secs(3));
    for n in [4, 16, 64] {
        let (mut sender, mut receiver) = pair(n);
        let mut headers = HeaderMap::new();
        group.bench_function(format!("inject + extract, {n} nodes (HeaderMap)"), |b| {
            b.iter(|| {
                sender
                    .inject(Priority::Info, "send", &[], &mut headers)
                    .unwrap();
                receiver
                    .extract(Priority::Info, "receive", &[], &headers)
                    .unwrap()
            })
        });
        let known = clock(n);
        let header = stamp::encode_header(&known).unwrap();
        group.bench_function(format!("baseline: encode + decode only, {n} nodes"), |b| {
            b.iter(|| stamp::decode_header(stamp::encode_header(&known).unwrap().as_bytes()))
        });
        group.bench_function(
            format!("baseline: merge of the decoded clock, {n} nodes"),
            |b| {
                let decoded = stamp::decode_header(header.as_bytes()).unwrap();
                b.iter_batched_ref(
                    || known.clone(),
                    |mine| mine.merge(&decoded),
                    BatchSize::SmallInput,
                )
            },
        );
    }
    group.finish();
}

/// GoVector's wire clock: a msgpack map from process name to counter (`VcMap`), as
/// vmihailenco/msgpack writes a `map[string]uint64`.
fn msgpack_map_len(clock: &VersionVector<String>) -> usize {
    let header = match clock.len() {
        0..=15 => 1,
        16..=65535 => 3,
        _ => 5,
    };
    let entries: usize = clock
        .iter()
        .map(|(name, n)| {
            let key = match name.len() {
                0..=31 => 1,
                32..=255 => 2,
                _ => 3,
            } + name.len();
            let value = match n {
                0..=127 => 1,
                128..=255 => 2,
                256..=65535 => 3,
                65536..=0xffff_ffff => 5,
                _ => 9,
            };
            key + value
        })
        .sum();
    header + entries
}

fn sizes() {
    println!("\nsizes: the stamp header beside traceparent (55 bytes) and GoVector's msgpack map");
    println!(
        "{:>6} {:>12} {:>14} {:>16} {:>16}",
        "nodes", "binary B", "header chars", "header+name B", "msgpack map B"
    );
    for n in [1, 4, 16, 64, 200] {
        let clock = clock(n);
        let header = stamp::encode_header(&clock).unwrap();
        println!(
            "{n:>6} {:>12} {:>14} {:>16} {:>16}",
            clock.encoded_len(),
            header.len(),
            header.len() + HEADER_NAME.len() + 2,
            msgpack_map_len(&clock)
        );
    }
    println!("(node names `service-NN`, 10 bytes; counters 100..541; traceparent: 55 characters)");
}

/// Requests per second through the example's gateway (each is three HTTP requests:
/// gateway, backend, the other backend), per variant, interleaved round by round.
fn http() {
    let rounds: usize = env_or("CAUSET_HTTP_ROUNDS", 12);
    let requests: usize = env_or("CAUSET_HTTP_REQUESTS", 400);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    example::install_subscriber();
    runtime.block_on(async {
        let buffered = Nodes::in_dir(dir.path().join("buffered"), LogFlush::Buffered).unwrap();
        let flushed = Nodes::in_dir(dir.path().join("flushed"), LogFlush::EachEvent).unwrap();
        let mut variants = Vec::new();
        for (name, nodes) in [
            ("baseline: no middleware, no node", None),
            ("layers, buffered log", Some(&buffered)),
            ("layers, log flushed per event", Some(&flushed)),
        ] {
            let services = example::Services::start(nodes).await.unwrap();
            let clients: Vec<example::HttpClient> = (0..4)
                .map(|c| {
                    let node = nodes.map(|nodes| nodes.node(&format!("client{c}")).unwrap());
                    example::client(node.as_ref())
                })
                .collect();
            variants.push((name, services, clients, Vec::new()));
        }
        for round in 0..=rounds {
            for (_, services, clients, rates) in variants.iter_mut() {
                let gateway = services.gateway;
                let start = Instant::now();
                let mut tasks = Vec::new();
                for (c, client) in clients.iter().enumerate() {
                    let client = client.clone();
                    tasks.push(tokio::spawn(async move {
                        for k in 0..requests / 4 {
                            let path = example::client_path(c, k);
                            example::fetch(&client, gateway, &path).await.unwrap();
                        }
                    }));
                }
                for task in tasks {
                    task.await.unwrap();
                }
                // Round 0 warms the connections up.
                if round > 0 {
                    rates.push(requests as f64 / start.elapsed().as_secs_f64());
                }
            }
        }
        println!("\nhttp: requests/s through the gateway ({rounds} interleaved rounds of {requests}, 4 keep-alive clients, 2 worker threads)");
        let base = median(&mut variants[0].3.clone());
        for (name, services, _, rates) in variants {
            let rate = median(&mut rates.clone());
            println!(
                "  {name:<36} {rate:>8.0} req/s  {:>6.1}% of baseline",
                100.0 * rate / base
            );
            services.stop().await.unwrap();
        }
    });
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `CAUSET_STAMP_LOOP=N`: one million inject + extract of an `N`-node stamp and nothing
/// else, for `perf stat -e instructions` (instructions per pair = count / 10^6, less the
/// set-up, which `CAUSET_STAMP_LOOP_ITERATIONS=0` measures).
fn stamp_loop(n: usize) {
    let iterations: u64 = env_or("CAUSET_STAMP_LOOP_ITERATIONS", 1_000_000) as u64;
    let (mut sender, mut receiver) = pair(n);
    let mut headers = HeaderMap::new();
    let start = Instant::now();
    for _ in 0..iterations {
        sender
            .inject(Priority::Info, "send", &[], &mut headers)
            .unwrap();
        receiver
            .extract(Priority::Info, "receive", &[], &headers)
            .unwrap();
    }
    let elapsed = start.elapsed();
    println!(
        "{iterations} inject + extract of a {n}-node stamp: {:.0} ns each",
        elapsed.as_nanos() as f64 / iterations.max(1) as f64
    );
}

fn main() {
    if let Ok(n) = std::env::var("CAUSET_STAMP_LOOP") {
        stamp_loop(n.parse().expect("CAUSET_STAMP_LOOP=NODES"));
        return;
    }
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let wants = |word: &str| {
        filter
            .as_deref()
            .is_none_or(|f| word.contains(f) || f.contains(word))
    };
    let mut criterion = Criterion::default().configure_from_args();
    stamps(&mut criterion);
    criterion.final_summary();
    if wants("sizes") {
        sizes();
    }
    if wants("http") {
        http();
    }
}
