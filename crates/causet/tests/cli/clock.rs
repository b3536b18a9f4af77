//! CLI tests: clock (to be written).
