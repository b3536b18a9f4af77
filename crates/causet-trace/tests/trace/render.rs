//! Tests: render (to be written).
