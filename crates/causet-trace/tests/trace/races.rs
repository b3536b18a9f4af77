//! Tests: races (to be written).
