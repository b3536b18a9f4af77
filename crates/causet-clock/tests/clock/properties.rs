//! Tests: properties (to be written).
