//! Benchmark log (to be written).

fn main() {}
