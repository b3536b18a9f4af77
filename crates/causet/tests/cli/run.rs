//! CLI tests: run (to be written).
