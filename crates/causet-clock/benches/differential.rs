//! Differential vector clocks on simulated traffic: bytes per stamp, and CPU time per send
//! and per receive, ours beside full dense vector clocks, in one run.
//!
//! A seeded simulator (ChaCha8, seed 7) drives n = 16, 64, 256 nodes with five patterns:
//! - `uniform`: random sender, random other receiver;
//! - `ring`: random sender, its successor receives;
//! - `star`: node 0 is a server; a random client sends to it, or it sends to a random client;
//! - `groups`: groups of 8 consecutive nodes, 95% of messages to a random member of the
//!   sender's group, 5% to a random node outside it;
//! - `pairs`: nodes 2k and 2k+1 are partners; 90% of messages go to the partner.
//!
//! Each step, the sender may first have a local event (probability 0.3), then sends; the
//! message is delivered 1 to 16 steps later, in FIFO order per channel. Sizes are counted by
//! [`StampCost`] over 50·n messages after a warm-up of 10·n: `full` is the dense encoding
//! (`VectorClock::encode`), `GoVector` a msgpack map with `"node12"`-style keys, `ours` the
//! encoded differential stamp, `knowledge` the knowledge-aware one
//! (`DiffClock::with_knowledge`), beside references: textbook Singhal–Kshemkalyani stamps,
//! an oracle that sends only the entries the receiver lacks (the meter's lower bound,
//! checked against it), and idealised knowledge-aware senders that know, for free, the
//! receiver's whole clocks at its sends that arrived (`direct`), that plus causality
//! through the sender's own entry (`+own`), or all a matrix clock on every message would
//! tell (`matrix`). It also counts the entries sent that the receiver held at the send,
//! and of the knowledge-aware sender's, those a matrix clock would have known. With
//! `-- sizes` the bench prints that table; otherwise criterion measures, per message at
//! n = 16, 64, 256 (`knowledge` as `ours`):
//! - `send/ours`: `DiffClock::tick` + `stamp_into` + `Stamp::encode`, against
//!   `send/full`: `VectorClock::tick` + `encode_into`;
//! - `receive/ours`: `StampRef::parse` + `DiffClock::receive_ref` (read from the bytes,
//!   no allocation, as the runtime does), against `receive/full`:
//!   `VectorClock::decode` + `merge` + `tick`.
//!
//! Both replay the same pattern, in batches of 64 messages: the 64 sends (timed for
//! `send`), then their 64 receives (timed for `receive`), so up to 64 messages are in flight.
//!
//! Run: `cargo bench -p causet-clock --bench differential -- sizes` (the table, seconds;
//! `-- sizes long`: 1000·n messages at n = 64, a minute),
//! `cargo bench -p causet-clock --bench differential -- ratios` (n = 64 CPU ratios as medians
//! of 3000 alternating batches of ours, knowledge and full, which a shared machine disturbs
//! least; columns: ours, knowledge, full ns/message, ours/full, knowledge/ours) and
//! `cargo bench -p causet-clock --bench differential -- --warm-up-time 1 --measurement-time 3`.

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use causet_clock::VectorClock;
use causet_clock::differential::{DiffClock, InFlight, Stamp, StampCost, StampKind, StampRef};
use criterion::{BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED: u64 = 7;
const SIZES: [usize; 3] = [16, 64, 256];
const BATCH: usize = 64;

#[derive(Debug, Clone, Copy)]
enum Pattern {
    Uniform,
    Ring,
    Star,
    Groups,
    Pairs,
}

const PATTERNS: [Pattern; 5] = [
    Pattern::Uniform,
    Pattern::Ring,
    Pattern::Star,
    Pattern::Groups,
    Pattern::Pairs,
];

impl Pattern {
    fn name(self) -> &'static str {
        match self {
            Pattern::Uniform => "uniform",
            Pattern::Ring => "ring",
            Pattern::Star => "star",
            Pattern::Groups => "groups",
            Pattern::Pairs => "pairs",
        }
    }

    /// A node other than `from`, uniformly.
    fn other(rng: &mut ChaCha8Rng, n: usize, from: usize) -> usize {
        (from + rng.random_range(1..n)) % n
    }

    /// Sender and receiver of the next message.
    fn next(self, rng: &mut ChaCha8Rng, n: usize) -> (usize, usize) {
        match self {
            Pattern::Uniform => {
                let from = rng.random_range(0..n);
                (from, Pattern::other(rng, n, from))
            }
            Pattern::Ring => {
                let from = rng.random_range(0..n);
                (from, (from + 1) % n)
            }
            Pattern::Star => {
                let client = rng.random_range(1..n);
                if rng.random_bool(0.5) {
                    (client, 0)
                } else {
                    (0, client)
                }
            }
            Pattern::Groups => {
                const GROUP: usize = 8;
                let from = rng.random_range(0..n);
                let base = from / GROUP * GROUP;
                if rng.random_bool(0.95) {
                    (
                        from,
                        base + (from - base + rng.random_range(1..GROUP)) % GROUP,
                    )
                } else {
                    let outside = rng.random_range(0..n - GROUP);
                    (
                        from,
                        if outside < base {
                            outside
                        } else {
                            outside + GROUP
                        },
                    )
                }
            }
            Pattern::Pairs => {
                let from = rng.random_range(0..n);
                if rng.random_bool(0.9) {
                    (from, from ^ 1)
                } else {
                    (from, Pattern::other(rng, n, from))
                }
            }
        }
    }
}

/// One step of traffic: maybe a local event, then a send, delivered `delay` steps later.
#[derive(Debug, Clone, Copy)]
struct Step {
    local: bool,
    from: usize,
    to: usize,
    delay: usize,
}

fn traffic(pattern: Pattern, n: usize, steps: usize) -> Vec<Step> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    (0..steps)
        .map(|_| {
            let local = rng.random_bool(0.3);
            let (from, to) = pattern.next(&mut rng, n);
            let delay = rng.random_range(1..=16);
            Step {
                local,
                from,
                to,
                delay,
            }
        })
        .collect()
}

/// Byte counts over the measured window.
#[derive(Debug, Default)]
struct Sizes {
    messages: u64,
    full: u64,
    govector: u64,
    ours: u64,
    max_excess: i64,
    /// The same for knowledge-aware stamps.
    max_excess_knowing: i64,
    resyncs: u64,
    diffs: u64,
    /// Bytes of an oracle differential stamp: only the entries where the sender is ahead
    /// of the receiver at the send (a lower bound no sender can know without asking).
    oracle: u64,
    /// Bytes of textbook Singhal–Kshemkalyani stamps: every entry changed since the last
    /// stamp to the same peer (its own entry left out), with a one-byte session and
    /// sequence number and the best encoding, but no snapshot fallback and no leaving out
    /// of entries learnt from the peer.
    textbook: u64,
    /// Bytes of knowledge-aware stamps (`DiffClock::with_knowledge`).
    knowing: u64,
    /// Their bytes if each `Diff` value were written as its increase over the value the
    /// same chain last carried for that entry (which both sides could track): an estimate
    /// for values as deltas.
    knowing_delta: u64,
    /// Entries sent by ours that the receiver held at the send, and of those, the ones
    /// the knowledge-aware sender also sends.
    wasted: u64,
    wasted_knowing: u64,
    /// Of those, the ones a matrix clock would have let the sender know.
    wasted_knowable: u64,
    /// Idealised knowledge-aware senders, each sending the entries where the sender is
    /// ahead of what it can know the receiver holds (header as the oracle's):
    /// `direct`: the receiver's whole clocks at its sends that have arrived, and the
    /// sender's clocks at its own sends to it;
    known_direct: u64,
    /// `own`: `direct`, plus everything the sender held at its event `t` once the
    /// receiver is known to hold the sender's own entry `t` (causality: the receiver's
    /// clock then dominates the sender's at that event);
    known_own: u64,
    /// `matrix`: everything a matrix clock carried on every message would let the sender
    /// know of the receiver's clock (the floor of any scheme that learns only from
    /// messages it receives).
    known_matrix: u64,
}

/// Replays `steps` on the meter with FIFO channels and delays; counts the last `measured`.
fn measure_sizes(n: usize, steps: &[Step], measured: usize) -> Sizes {
    let mut meter = StampCost::new(n);
    let mut channels: Vec<VecDeque<(usize, InFlight)>> = vec![VecDeque::new(); n * n];
    let mut sizes = Sizes::default();
    let warm_up = steps.len() - measured;
    let mut before = meter.totals();
    // For the textbook stamps: the sender's clock at its last stamp to each peer.
    let mut last_stamped = vec![VectorClock::new(); n * n];
    let kind = StampKind::Diff { session: 0, seq: 1 };
    // The idealised knowledge: per ordered pair (s, r), what s knows of r's clock
    // (`direct`), s's own-entry value at the event where each entry got its value, and
    // per node a matrix clock (row x: what the node knows x holds).
    let mut direct = vec![VectorClock::new(); n * n];
    let mut own_at = vec![vec![0u64; n]; n];
    let mut matrix = vec![vec![0u64; n * n]; n];
    let mut wires: Vec<VecDeque<(VectorClock, Vec<u64>)>> = vec![VecDeque::new(); n * n];
    // Per channel, the value its chain last carried for each entry (knowledge-aware).
    let mut chain_values = vec![VectorClock::new(); n * n];
    for (now, step) in steps.iter().enumerate() {
        if now == warm_up {
            before = meter.totals();
        }
        if step.local {
            meter.local(step.from);
        }
        let message = meter.send(step.from, step.to);
        let own = meter.clock(step.from).get(step.from);
        own_at[step.from][step.from] = own;
        let row = dense(meter.clock(step.from), n);
        matrix[step.from][step.from * n..][..n].copy_from_slice(&row);
        let sender = meter.clock(step.from);
        let previous = &mut last_stamped[step.from * n + step.to];
        if now >= warm_up {
            let excess = message.stamp_len() as i64 - message.full_len() as i64;
            sizes.max_excess = sizes.max_excess.max(excess);
            let excess = message.knowledge_stamp().encoded_len() as i64 - message.full_len() as i64;
            sizes.max_excess_knowing = sizes.max_excess_knowing.max(excess);
            if matches!(message.stamp().kind(), StampKind::Diff { .. }) {
                sizes.diffs += 1;
            }
            let receiver = meter.clock(step.to);
            let entries = |keep: &dyn Fn(usize, u64) -> bool| {
                let entries = sender.as_slice().iter().enumerate();
                let kept = entries.filter(|&(k, &v)| v > 0 && keep(k, v));
                Stamp::new(kind, kept.map(|(k, &v)| (k, v)).collect()).expect("sorted entries")
            };
            let oracle = entries(&|k, v| v > receiver.get(k));
            sizes.oracle += oracle.encoded_len() as u64;
            let held = |stamp: &Stamp| {
                let diff = matches!(stamp.kind(), StampKind::Diff { .. });
                let held = stamp.entries().filter(|&(k, v)| receiver.get(k) >= v);
                if diff { held.count() as u64 } else { 0 }
            };
            sizes.wasted += held(message.stamp());
            sizes.wasted_knowing += held(message.knowledge_stamp());
            let knowing = message.knowledge_stamp();
            if matches!(knowing.kind(), StampKind::Diff { .. }) {
                let row = &matrix[step.from][step.to * n..][..n];
                sizes.wasted_knowable += knowing
                    .entries()
                    .filter(|&(k, v)| receiver.get(k) >= v && row[k] >= v)
                    .count() as u64;
            }
            let base = &chain_values[step.from * n + step.to];
            sizes.knowing_delta += if matches!(knowing.kind(), StampKind::Diff { .. }) {
                let deltas = knowing.entries().map(|(k, v)| (k, v - base.get(k)));
                Stamp::new(knowing.kind(), deltas.collect())
                    .expect("increases are positive")
                    .encoded_len() as u64
            } else {
                knowing.encoded_len() as u64
            };
            let textbook = entries(&|k, v| v > previous.get(k) && k != step.to);
            sizes.textbook += textbook.encoded_len() as u64;
            let known = &direct[step.from * n + step.to];
            let stamp = entries(&|k, v| v > known.get(k) && k != step.to);
            sizes.known_direct += stamp.encoded_len() as u64;
            let acked = known.get(step.from);
            let at = &own_at[step.from];
            let stamp = entries(&|k, v| v > known.get(k) && k != step.to && at[k] > acked);
            sizes.known_own += stamp.encoded_len() as u64;
            let row = &matrix[step.from][step.to * n..][..n];
            let stamp = entries(&|k, v| v > row[k] && k != step.to);
            sizes.known_matrix += stamp.encoded_len() as u64;
        }
        previous.clone_from(sender);
        let knowing = message.knowledge_stamp();
        let base = &mut chain_values[step.from * n + step.to];
        match knowing.kind() {
            StampKind::Start { .. } => *base = VectorClock::new(),
            StampKind::Snapshot => {}
            StampKind::Diff { .. } => {}
        }
        if knowing.kind() != StampKind::Snapshot {
            for (k, v) in knowing.entries() {
                base.set(k, v);
            }
        }
        let sender = sender.clone();
        direct[step.from * n + step.to].merge(&sender);
        let carried = matrix[step.from].clone();
        // What the sender sent, the receiver holds when the next stamp arrives (FIFO).
        for (known, k) in matrix[step.from][step.to * n..][..n].iter_mut().zip(0..) {
            *known = (*known).max(sender.get(k));
        }
        wires[step.from * n + step.to].push_back((sender, carried));
        channels[step.from * n + step.to].push_back((now + step.delay, message));
        // Deliver every channel head that is due (later messages wait behind it: FIFO).
        for channel in channels.iter_mut() {
            while channel.front().is_some_and(|&(due, _)| due <= now) {
                if let Some((_, message)) = channel.pop_front() {
                    let (from, to) = (message.from(), message.to());
                    meter.receive(message);
                    let Some((clock, carried)) = wires[from * n + to].pop_front() else {
                        continue;
                    };
                    direct[to * n + from].merge(&clock);
                    let receiver = meter.clock(to);
                    let own = receiver.get(to);
                    for (k, at) in own_at[to].iter_mut().enumerate() {
                        if clock.get(k) > before_receive(&matrix[to], to, n, k) {
                            *at = own;
                        }
                    }
                    let rows = &mut matrix[to];
                    for (mine, &theirs) in rows.iter_mut().zip(&carried) {
                        *mine = (*mine).max(theirs);
                    }
                    rows[to * n..][..n].copy_from_slice(&dense(receiver, n));
                }
            }
        }
    }
    let after = meter.totals();
    sizes.messages = after.messages - before.messages;
    sizes.full = after.full_bytes - before.full_bytes;
    sizes.govector = after.govector_bytes - before.govector_bytes;
    sizes.ours = after.differential_bytes - before.differential_bytes;
    sizes.resyncs = after.resyncs - before.resyncs;
    sizes.knowing = after.knowledge_bytes - before.knowledge_bytes;
    // The meter's lower bound is the oracle, computed independently here.
    assert_eq!(
        after.lower_bound_bytes - before.lower_bound_bytes,
        sizes.oracle,
        "the meter's lower bound"
    );
    sizes
}

/// The `n` values of `clock` from index 0.
fn dense(clock: &VectorClock, n: usize) -> Vec<u64> {
    (0..n).map(|k| clock.get(k)).collect()
}

/// Entry `k` of node `me`'s clock before the receive being replayed (its matrix row).
fn before_receive(matrix: &[u64], me: usize, n: usize, k: usize) -> u64 {
    matrix[me * n + k]
}

/// The size table: `long` replays 1000·n messages at n = 64 (the last 500·n measured)
/// instead of 60·n at every n, to check that the savings last.
fn print_sizes(long: bool) {
    println!(
        "| pattern | n | full B/stamp | GoVector B/stamp | ours B/stamp | ours/full | saved | max ours−full | diff stamps | resyncs | textbook SK B/stamp | oracle B/stamp | knowledge B/stamp | max knowledge−full | knowledge, delta values B/stamp | knowledge/oracle | ours/oracle | knowledge/ours | held entries sent: ours, knowledge (matrix-knowable) | known: direct | known: +own | known: matrix |"
    );
    println!(
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for pattern in PATTERNS {
        for n in SIZES {
            if long && n != 64 {
                continue;
            }
            let (total, measured) = if long {
                (1000 * n, 500 * n)
            } else {
                (60 * n, 50 * n)
            };
            let steps = traffic(pattern, n, total);
            let s = measure_sizes(n, &steps, measured);
            let per = |bytes: u64| bytes as f64 / s.messages as f64;
            println!(
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.3} | {:.1}% | {:+} | {:.0}% | {} | {:.1} | {:.1} | {:.1} | {:+} | {:.1} | {:.2} | {:.2} | {:.3} | {:.2}, {:.2} ({:.2}) | {:.1} | {:.1} | {:.1} |",
                pattern.name(),
                n,
                per(s.full),
                per(s.govector),
                per(s.ours),
                s.ours as f64 / s.full as f64,
                100.0 * (1.0 - s.ours as f64 / s.full as f64),
                s.max_excess,
                100.0 * s.diffs as f64 / s.messages as f64,
                s.resyncs,
                per(s.textbook),
                per(s.oracle),
                per(s.knowing),
                s.max_excess_knowing,
                per(s.knowing_delta),
                s.knowing as f64 / s.oracle as f64,
                s.ours as f64 / s.oracle as f64,
                s.knowing as f64 / s.ours as f64,
                s.wasted as f64 / s.messages as f64,
                s.wasted_knowing as f64 / s.messages as f64,
                s.wasted_knowable as f64 / s.messages as f64,
                per(s.known_direct),
                per(s.known_own),
                per(s.known_matrix),
            );
        }
    }
}

/// Replays a pattern forever, in batches: sends, then their receives.
trait Replay {
    /// Runs one batch of `count` messages; returns (time of the sends, time of the receives).
    fn batch(&mut self, count: usize) -> (Duration, Duration);
}

/// One way of stamping messages: a node's clock, a send and a receive.
trait Scheme {
    type Node;
    fn node(me: usize, n: usize) -> Self::Node;
    /// Ticks node `me` (twice after a local event) and appends its stamp for `to` to `wire`.
    fn send(
        &mut self,
        node: &mut Self::Node,
        me: usize,
        to: usize,
        local: bool,
        wire: &mut Vec<u8>,
    );
    /// Merges the stamp `bytes` from node `from` into node `to` and ticks it.
    fn receive(node: &mut Self::Node, from: usize, to: usize, bytes: &[u8]);
}

/// Ours: differential stamps.
struct Ours {
    stamp: Stamp,
}

impl Ours {
    fn new() -> Ours {
        Ours {
            stamp: Stamp::new(StampKind::Snapshot, Vec::new()).expect("empty stamp"),
        }
    }
}

/// Knowledge-aware differential stamps (`DiffClock::with_knowledge`), sent and received
/// as [`Ours`].
struct Knowing(Ours);

impl Scheme for Knowing {
    type Node = DiffClock;
    fn node(me: usize, n: usize) -> DiffClock {
        DiffClock::new(me, n).with_knowledge()
    }
    fn send(
        &mut self,
        node: &mut DiffClock,
        me: usize,
        to: usize,
        local: bool,
        wire: &mut Vec<u8>,
    ) {
        self.0.send(node, me, to, local, wire);
    }
    fn receive(node: &mut DiffClock, from: usize, to: usize, bytes: &[u8]) {
        Ours::receive(node, from, to, bytes);
    }
}

impl Scheme for Ours {
    type Node = DiffClock;
    fn node(me: usize, n: usize) -> DiffClock {
        DiffClock::new(me, n)
    }
    fn send(&mut self, node: &mut DiffClock, _: usize, to: usize, local: bool, wire: &mut Vec<u8>) {
        if local {
            node.tick();
        }
        node.tick();
        node.stamp_into(to, &mut self.stamp);
        self.stamp.encode(wire);
    }
    fn receive(node: &mut DiffClock, from: usize, _: usize, bytes: &[u8]) {
        let stamp = StampRef::parse(bytes).expect("our own stamp");
        node.receive_ref(from, &stamp).expect("FIFO delivery");
    }
}

/// The baseline: the whole dense clock on every message.
struct Full;

impl Scheme for Full {
    type Node = VectorClock;
    fn node(_: usize, _: usize) -> VectorClock {
        VectorClock::new()
    }
    fn send(
        &mut self,
        node: &mut VectorClock,
        me: usize,
        _: usize,
        local: bool,
        wire: &mut Vec<u8>,
    ) {
        if local {
            node.tick(me);
        }
        node.tick(me);
        node.encode_into(wire);
    }
    fn receive(node: &mut VectorClock, _: usize, to: usize, bytes: &[u8]) {
        let stamp = VectorClock::decode(bytes).expect("our own clock");
        node.merge(&stamp);
        node.tick(to);
    }
}

/// A pattern's steps replayed with one scheme, warmed up to steady-state clocks.
struct Replayer<S: Scheme> {
    scheme: S,
    nodes: Vec<S::Node>,
    steps: Vec<Step>,
    next: usize,
    wire: Vec<u8>,
    /// (from, to, end offset in `wire`) of the batch's messages.
    sent: Vec<(usize, usize, usize)>,
}

impl<S: Scheme> Replayer<S> {
    fn new(scheme: S, n: usize, steps: Vec<Step>) -> Self {
        let mut replayer = Replayer {
            scheme,
            nodes: (0..n).map(|me| S::node(me, n)).collect(),
            steps,
            next: 0,
            wire: Vec::new(),
            sent: Vec::new(),
        };
        for _ in 0..replayer.steps.len() / BATCH {
            replayer.batch(BATCH);
        }
        replayer
    }
}

impl<S: Scheme> Replay for Replayer<S> {
    fn batch(&mut self, count: usize) -> (Duration, Duration) {
        self.wire.clear();
        self.sent.clear();
        let start = Instant::now();
        for _ in 0..count {
            let step = self.steps[self.next];
            self.next = (self.next + 1) % self.steps.len();
            let node = &mut self.nodes[step.from];
            self.scheme
                .send(node, step.from, step.to, step.local, &mut self.wire);
            self.sent.push((step.from, step.to, self.wire.len()));
        }
        let sends = start.elapsed();
        let start = Instant::now();
        let mut offset = 0;
        for &(from, to, end) in &self.sent {
            S::receive(&mut self.nodes[to], from, to, &self.wire[offset..end]);
            offset = end;
        }
        black_box(&self.nodes);
        (sends, start.elapsed())
    }
}

/// Total time of the sends (or receives) of `iters` messages.
fn timed(replay: &mut dyn Replay, iters: u64, receives: bool) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let count = left.min(BATCH as u64);
        let (sends, receive_time) = replay.batch(count as usize);
        total += if receives { receive_time } else { sends };
        left -= count;
    }
    total
}

fn cpu(criterion: &mut Criterion) {
    for (operation, receives) in [("send", false), ("receive", true)] {
        let mut group = criterion.benchmark_group(operation);
        for n in SIZES {
            for pattern in PATTERNS {
                let steps = traffic(pattern, n, 60 * n);
                let label = format!("n{n}/{}", pattern.name());
                let mut ours = Replayer::new(Ours::new(), n, steps.clone());
                group.bench_function(BenchmarkId::new("ours", &label), |b| {
                    b.iter_custom(|iters| timed(&mut ours, iters, receives))
                });
                let mut knowing = Replayer::new(Knowing(Ours::new()), n, steps.clone());
                group.bench_function(BenchmarkId::new("knowledge", &label), |b| {
                    b.iter_custom(|iters| timed(&mut knowing, iters, receives))
                });
                let mut full = Replayer::new(Full, n, steps);
                group.bench_function(BenchmarkId::new("full", &label), |b| {
                    b.iter_custom(|iters| timed(&mut full, iters, receives))
                });
            }
        }
        group.finish();
    }
}

fn main() {
    // `-- sizes` prints the size table; anything else is criterion's.
    // `-- ratios [pattern]`: at n = 64, the median over 3000 alternating batches of ours
    // and the full vector, per message; robust to a machine shared with other jobs.
    if std::env::args().any(|arg| arg == "ratios") {
        let only: Vec<String> = std::env::args().collect();
        for receives in [false, true] {
            for pattern in PATTERNS {
                let named = |p: Pattern| only.iter().any(|arg| arg == p.name());
                if PATTERNS.iter().any(|&p| named(p)) && !named(pattern) {
                    continue;
                }
                let steps = traffic(pattern, 64, 60 * 64);
                let mut ours = Replayer::new(Ours::new(), 64, steps.clone());
                let mut knowing = Replayer::new(Knowing(Ours::new()), 64, steps.clone());
                let mut full = Replayer::new(Full, 64, steps);
                let (mut o, mut k, mut f) = (Vec::new(), Vec::new(), Vec::new());
                for _ in 0..3000 {
                    o.push(timed(&mut ours, BATCH as u64, receives));
                    k.push(timed(&mut knowing, BATCH as u64, receives));
                    f.push(timed(&mut full, BATCH as u64, receives));
                }
                o.sort();
                k.sort();
                f.sort();
                let per = |d: Duration| d.as_nanos() as f64 / BATCH as f64;
                let (o, k, f) = (
                    per(o[o.len() / 2]),
                    per(k[k.len() / 2]),
                    per(f[f.len() / 2]),
                );
                let operation = if receives { "receive" } else { "send" };
                println!(
                    "| {operation} | {} | {o:.0} | {k:.0} | {f:.0} | {:.2} | {:.2} |",
                    pattern.name(),
                    o / f,
                    k / o
                );
            }
        }
        return;
    }
    if std::env::args().any(|arg| arg == "sizes") {
        print_sizes(std::env::args().any(|arg| arg == "long"));
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    cpu(&mut criterion);
    criterion.final_summary();
}
