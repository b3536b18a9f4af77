//! CLI tests: races (to be written).
