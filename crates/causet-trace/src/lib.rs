//! Analysis of concurrent executions: vector-clock logs in the GoVector/ShiViz format and
//! shared-memory traces in RAPID's STD and RapidBin formats.
//!
//! - [`log`]: read GoVector/ShiViz logs, check them against ShiViz's rules, answer order
//!   queries and count concurrent pairs exactly.
//! - [`render`]: space-time diagrams as SVG.
//! - [`races`]: happens-before data races in RAPID's STD and RapidBin traces (vector clocks,
//!   epochs, tree clocks).
#![deny(missing_docs)]

pub mod log;
pub mod races;
pub mod render;

pub use races::{RaceOptions, RaceReport, detect_races};
