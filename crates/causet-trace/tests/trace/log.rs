//! Tests: log (to be written).
