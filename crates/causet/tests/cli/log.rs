//! CLI tests: log (to be written).
