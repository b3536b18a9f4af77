//! Benchmark races (to be written).

fn main() {}
