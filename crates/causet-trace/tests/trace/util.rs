//! Helpers shared by the causet-trace tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/peer-data` beside the repository, or `None` (with a visible SKIPPED line)
/// when it is absent.
pub fn peer_data(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED {test}: ../shared/peer-data not found beside the repository");
        None
    }
}
