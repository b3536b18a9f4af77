//! Tests: model (to be written).
