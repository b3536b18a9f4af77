//! Benchmark differential (to be written).

fn main() {}
