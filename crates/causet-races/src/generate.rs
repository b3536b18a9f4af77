//! A seeded generator of well-formed STD traces, for benchmarks and tests.
//!
//! The shape: thread `T0` forks `T1`..`T(n-1)` first and joins them last, so all threads are
//! alive for the whole trace and really concurrent. In between, a random thread steps at a
//! time: outside a critical section it acquires a free lock with probability
//! [`TraceShape::lock_density`] (any lock, or one of a few neighbouring ones:
//! [`TraceShape::locks_per_thread`]), or accesses one of its private variables (most of the
//! time) or, with probability [`TraceShape::shared_fraction`], one of 16 unprotected shared
//! variables (those accesses are the races). Inside a critical section of lock l it accesses
//! variables guarded by l, and releases l with probability 1/4 per step. The variables are
//! split: 16 shared, half of the rest guarded (variable v by lock v mod locks), the other
//! half private (a range per thread). They are numbered like real traces' addresses;
//! locations are drawn from 1,000 program points.
//!
//! ```
//! use causet_races::generate::{TraceShape, generate};
//!
//! let shape = TraceShape { events: 1_000, ..TraceShape::default() };
//! let mut text = Vec::new();
//! let written = generate(&shape, &mut text)?;
//! assert_eq!(written, 1_000);
//! assert_eq!(String::from_utf8(text)?.lines().count(), 1_000);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Parameters of a generated trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceShape {
    /// Threads, at least 1 (`T0` forks and joins the others).
    pub threads: u32,
    /// Locks, at least 1.
    pub locks: u32,
    /// Variables, at least 1.
    pub variables: u32,
    /// Total events (lines); exactly this many when it is at least `2 * (threads - 1)`.
    pub events: u64,
    /// Probability that a thread outside a critical section starts one.
    pub lock_density: f64,
    /// Lock locality: 0 lets every thread take any lock (dense communication); k > 0 lets
    /// thread t take only locks `t mod locks` .. `t mod locks + k - 1` (mod locks), so each
    /// lock is shared by about k neighbouring threads (sparse communication, a ring).
    pub locks_per_thread: u32,
    /// Probability that an access outside a critical section goes to one of the 16 shared,
    /// unprotected variables instead of one of the thread's own (default 0.1%).
    pub shared_fraction: f64,
    /// Probability that an access is a write.
    pub write_fraction: f64,
    /// The seed (ChaCha8).
    pub seed: u64,
}

impl Default for TraceShape {
    fn default() -> Self {
        TraceShape {
            threads: 8,
            locks: 16,
            variables: 10_000,
            events: 1_000_000,
            lock_density: 0.05,
            locks_per_thread: 0,
            shared_fraction: 0.001,
            write_fraction: 0.3,
            seed: 1,
        }
    }
}

/// How many variables are unprotected shared flags (the racy ones).
const SHARED_VARIABLES: u32 = 16;

/// Writes a trace of `shape` to `out` (buffered here); returns the number of events written.
pub fn generate<W: Write>(shape: &TraceShape, out: W) -> io::Result<u64> {
    let mut out = Emitter {
        out: io::BufWriter::with_capacity(1 << 16, out),
        written: 0,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(shape.seed);
    let threads = shape.threads.max(1);
    let locks = shape.locks.max(1);
    let variables = shape.variables.max(1);
    for u in 1..threads {
        out.line(0, "fork", u64::from(u), 1)?;
    }
    let mut holding: Vec<Option<u32>> = vec![None; threads as usize];
    let mut held = vec![false; locks as usize];
    let mut held_count = 0u64;
    let joins = u64::from(threads - 1);
    // Variables: [0, shared) are unprotected shared flags (the races), then [shared, guarded_end)
    // are guarded (v = l mod locks under lock l), then each thread has its own private range.
    let shared = SHARED_VARIABLES.min(variables);
    let guarded = (variables - shared) / 2;
    let private = variables - shared - guarded;
    let per_thread = (private / threads).max(1);
    // Leave room for the closing events: a release per held lock, then the joins.
    while out.written + joins + held_count < shape.events {
        let t = rng.random_range(0..threads);
        let loc = rng.random_range(0..1_000u32);
        let write = rng.random_bool(shape.write_fraction.clamp(0.0, 1.0));
        let op = if write { "w" } else { "r" };
        match holding[t as usize] {
            Some(l) => {
                if rng.random_range(0..4) == 0 {
                    out.line(t, "rel", lock_name(l), loc)?;
                    holding[t as usize] = None;
                    held[l as usize] = false;
                    held_count -= 1;
                } else {
                    // A variable guarded by l: v = l (mod locks).
                    let v = if guarded == 0 {
                        rng.random_range(0..variables)
                    } else {
                        let k = rng.random_range(0..(guarded / locks).max(1));
                        shared + (k * locks + l) % guarded
                    };
                    out.line(t, op, var_name(v), loc)?;
                }
            }
            None => {
                let l = match shape.locks_per_thread {
                    0 => rng.random_range(0..locks),
                    k => (t % locks + rng.random_range(0..k.min(locks))) % locks,
                };
                let room = out.written + joins + held_count + 2 <= shape.events;
                if rng.random_bool(shape.lock_density.clamp(0.0, 1.0)) && !held[l as usize] && room
                {
                    out.line(t, "acq", lock_name(l), loc)?;
                    holding[t as usize] = Some(l);
                    held[l as usize] = true;
                    held_count += 1;
                } else {
                    let v =
                        if rng.random_bool(shape.shared_fraction.clamp(0.0, 1.0)) || private == 0 {
                            rng.random_range(0..shared.max(1))
                        } else {
                            shared
                                + guarded
                                + (t * per_thread + rng.random_range(0..per_thread)) % private
                        };
                    out.line(t, op, var_name(v), loc)?;
                }
            }
        }
    }
    for (t, l) in holding.iter().enumerate() {
        if let Some(l) = l {
            out.line(t as u32, "rel", lock_name(*l), 2)?;
        }
    }
    for u in 1..threads {
        out.line(0, "join", u64::from(u), 3)?;
    }
    out.out.flush()?;
    Ok(out.written)
}

/// Variables look like addresses, as in real traces.
fn var_name(v: u32) -> u64 {
    4_294_967_296 + u64::from(v)
}

fn lock_name(l: u32) -> u64 {
    1_000 + u64::from(l)
}

struct Emitter<W: Write> {
    out: io::BufWriter<W>,
    written: u64,
}

impl<W: Write> Emitter<W> {
    fn line(&mut self, t: u32, op: &str, operand: u64, location: u32) -> io::Result<()> {
        self.written += 1;
        writeln!(self.out, "T{t}|{op}({operand})|{location}")
    }
}
