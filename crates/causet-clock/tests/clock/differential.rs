//! Tests: differential (to be written).
