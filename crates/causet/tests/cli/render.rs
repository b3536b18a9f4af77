//! CLI tests: render (to be written).
