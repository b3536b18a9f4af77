//! How low can the clock work of a differential stamp go? A stripped-down
//! Singhal–Kshemkalyani clock for 8 nodes (a session byte, a sequence number, the changed
//! entries as a list of (gap, value) varints; no choice among encodings, no record of which
//! peers hold an entry, no restarts, no checks beyond the chain and the bounds), written
//! plainly in safe Rust, beside [`DiffClock`] on the same traffic.
//!
//! Meant for instruction counts, which the shared machine does not disturb:
//!
//! ```text
//! cargo bench -p causet-clock --bench sk_floor --no-run
//! CAUSET_FLOOR=minimal|diffclock|none CAUSET_FLOOR_TRAFFIC=pair|gossip \
//!     valgrind --tool=callgrind <binary>
//! ```
//!
//! `(instructions − instructions of none) / messages` is the clock work a message (send
//! and receive). `pair`: two nodes of eight talk in turn (one-entry stamps); `gossip`: each
//! message between a random pair of the eight.

use std::hint::black_box;

use causet_clock::differential::{DiffClock, StampRef};

const N: usize = 8;
const MESSAGES: usize = 400_000;

/// The minimal differential clock of one node.
struct Minimal {
    me: usize,
    values: [u64; N],
    updated: [u64; N],
    counter: u64,
    last_sent: [u64; N],
    out_seq: [u64; N],
    in_seq: [u64; N],
}

impl Minimal {
    fn new(me: usize) -> Minimal {
        Minimal {
            me,
            values: [0; N],
            updated: [0; N],
            counter: 1,
            last_sent: [0; N],
            out_seq: [0; N],
            in_seq: [0; N],
        }
    }

    #[inline(always)]
    fn tick(&mut self) {
        self.counter += 1;
        self.values[self.me] += 1;
        self.updated[self.me] = self.counter;
    }

    #[inline(never)]
    fn send(&mut self, peer: usize, msg: &mut Vec<u8>) {
        self.tick();
        let since = self.last_sent[peer];
        self.out_seq[peer] += 1;
        msg.extend_from_slice(&[0x21, 0]);
        put(msg, self.out_seq[peer]);
        let mut next = 0;
        for k in 0..N {
            if self.updated[k] > since && k != peer {
                msg.push((k - next) as u8);
                put(msg, self.values[k]);
                next = k + 1;
            }
        }
        self.last_sent[peer] = self.counter;
    }

    #[inline(never)]
    fn receive(&mut self, from: usize, msg: &[u8]) -> Option<()> {
        if msg.get(..2)? != [0x21, 0] {
            return None;
        }
        let mut pos = 2;
        let seq = get(msg, &mut pos)?;
        if seq != self.in_seq[from] + 1 {
            return None;
        }
        let mut entries = [(0usize, 0u64); N];
        let mut count = 0;
        let mut next = 0;
        while pos < msg.len() {
            let k = next + usize::from(msg[pos]);
            pos += 1;
            let v = get(msg, &mut pos)?;
            if k >= N || count >= N || k == self.me && v > self.values[k] {
                return None;
            }
            entries[count] = (k, v);
            count += 1;
            next = k + 1;
        }
        self.in_seq[from] = seq;
        self.counter += 1;
        for &(k, v) in &entries[..count] {
            if v > self.values[k] {
                self.values[k] = v;
                self.updated[k] = self.counter;
            }
        }
        self.tick();
        Some(())
    }
}

#[inline(always)]
fn put(msg: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        msg.push(v as u8 | 0x80);
        v >>= 7;
    }
    msg.push(v as u8);
}

#[inline(always)]
fn get(msg: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *msg.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// One clock of either kind.
trait Clock {
    fn send(&mut self, peer: usize, msg: &mut Vec<u8>);
    fn receive(&mut self, from: usize, msg: &[u8]) -> bool;
}

impl Clock for Minimal {
    fn send(&mut self, peer: usize, msg: &mut Vec<u8>) {
        Minimal::send(self, peer, msg);
    }
    fn receive(&mut self, from: usize, msg: &[u8]) -> bool {
        Minimal::receive(self, from, msg).is_some()
    }
}

impl Clock for DiffClock {
    fn send(&mut self, peer: usize, msg: &mut Vec<u8>) {
        self.tick();
        self.encode_stamp(peer, msg);
    }
    fn receive(&mut self, from: usize, msg: &[u8]) -> bool {
        let merged = self.merge_small_bytes(from, msg)
            || StampRef::parse(msg)
                .ok()
                .is_some_and(|stamp| self.merge_ref(from, &stamp).is_ok());
        self.tick();
        merged
    }
}

/// The (sender, receiver) pairs of the traffic, from a fixed xorshift sequence.
fn traffic(gossip: bool) -> impl Iterator<Item = (usize, usize)> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..MESSAGES).map(move |i| {
        if !gossip {
            return if i % 2 == 0 { (0, 1) } else { (1, 0) };
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let from = (state % N as u64) as usize;
        let to = (from + 1 + ((state >> 8) % (N as u64 - 1)) as usize) % N;
        (from, to)
    })
}

fn run<C: Clock>(mut nodes: Vec<C>, gossip: bool) -> f64 {
    let mut msg = Vec::with_capacity(128);
    let mut bytes = 0;
    for (from, to) in traffic(gossip) {
        msg.clear();
        nodes[from].send(to, &mut msg);
        bytes += msg.len();
        assert!(nodes[to].receive(from, black_box(&msg)), "refused");
    }
    bytes as f64 / MESSAGES as f64
}

fn main() {
    let kind = std::env::var("CAUSET_FLOOR").unwrap_or_else(|_| "minimal".into());
    let gossip = std::env::var("CAUSET_FLOOR_TRAFFIC").is_ok_and(|t| t == "gossip");
    // Every node starts at 200 events of each (two-byte values, as in the runtime's runs).
    let start = causet_clock::VectorClock::from_entries(vec![200; N]);
    let bytes = match kind.as_str() {
        "none" => {
            let pairs = traffic(gossip).fold(0, |sum, (from, to)| sum + from + to);
            black_box(pairs);
            0.0
        }
        "diffclock" => run(
            (0..N)
                .map(|me| DiffClock::restart(me, N, &start, 0))
                .collect(),
            gossip,
        ),
        _ => run(
            (0..N)
                .map(|me| {
                    let mut node = Minimal::new(me);
                    node.values = [200; N];
                    node
                })
                .collect(),
            gossip,
        ),
    };
    println!("{kind}: {MESSAGES} messages, {bytes:.2} stamp bytes a message");
}
