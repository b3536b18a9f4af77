//! Benchmark runtime (to be written).

fn main() {}
