//! Tests: the three execution modes (to be written).
