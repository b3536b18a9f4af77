//! Benchmark clock (to be written).

fn main() {}
