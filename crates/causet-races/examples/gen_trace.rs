//! Writes a generated STD trace ([`causet_races::generate`]) to standard output, for
//! measuring `causet races` by hand (BENCHMARKS.md, "Memory guard"):
//!
//! ```text
//! cargo run --release -p causet-races --example gen_trace -- THREADS EVENTS [LOCKS [VARIABLES]] > t.std
//! ```

use causet_races::generate::{TraceShape, generate};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|arg| {
            arg.parse().unwrap_or_else(|_| {
                eprintln!("gen_trace: `{arg}` is not a number");
                std::process::exit(2)
            })
        })
        .collect();
    if args.len() < 2 {
        eprintln!("usage: gen_trace THREADS EVENTS [LOCKS [VARIABLES]]");
        std::process::exit(2);
    }
    let narrow = |n: u64| u32::try_from(n).unwrap_or(u32::MAX).max(1);
    let shape = TraceShape {
        threads: narrow(args[0]),
        events: args[1],
        locks: args.get(2).map_or(64, |&n| narrow(n)),
        variables: args.get(3).map_or(10_000, |&n| narrow(n)),
        seed: 42,
        ..TraceShape::default()
    };
    if let Err(err) = generate(&shape, std::io::stdout().lock()) {
        eprintln!("gen_trace: {err}");
        std::process::exit(1);
    }
}
