//! Finds `../shared/peer-data` for the conformance tests of every crate; each test crate
//! includes this one file with `#[path]`, so the rule (skip visibly, fail under CI) is written once.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/peer-data` beside the repository, or `None` (with a visible SKIPPED line)
/// when it is absent. Under `CI=true` an absent directory is a failure: CI runs with
/// `../shared` beside the clone, so a skip there would hide a lost conformance check.
pub(crate) fn peer_data(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-data");
    located(dir, std::env::var_os("CI").is_some(), test)
}

/// `dir` when it is a directory; else a visible SKIPPED line and `None`, or under CI a panic.
pub(super) fn located(dir: PathBuf, ci: bool, test: &str) -> Option<PathBuf> {
    if dir.is_dir() {
        Some(dir)
    } else {
        assert!(
            !ci,
            "{test}: {} not found beside the repository, and CI is set",
            dir.display()
        );
        eprintln!("SKIPPED {test}: ../shared/peer-data not found beside the repository");
        None
    }
}

#[test]
#[should_panic(expected = "and CI is set")]
fn an_absent_peer_data_fails_under_ci() {
    located(PathBuf::from("/nonexistent/peer-data"), true, "probe");
}

#[test]
fn an_absent_peer_data_skips_outside_ci() {
    assert_eq!(
        located(PathBuf::from("/nonexistent/peer-data"), false, "probe"),
        None
    );
    assert!(located(std::env::temp_dir(), true, "probe").is_some());
}
