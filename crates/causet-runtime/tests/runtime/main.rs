//! Integration tests of causet-runtime.

mod modes;
