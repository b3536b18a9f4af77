//! Helpers shared by the CLI tests: run the real binary, find the peer data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `causet` binary built for these tests.
pub fn causet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_causet"))
}

/// Runs `causet ARGS` in `dir` with no standard input and returns its output.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    causet()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the causet binary starts")
}

/// Runs `causet ARGS` in `dir` with `input` as its standard input (written from another
/// thread, so a large input cannot deadlock against a full output pipe).
pub fn run_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = causet()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the causet binary starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .expect("the causet binary finishes");
    // A command may stop reading early (an error on the first line): a broken pipe is fine.
    let _ = writer.join().expect("the writer thread does not panic");
    output
}

/// Runs `causet ARGS` in the current directory.
pub fn run(args: &[&str]) -> Output {
    run_in(Path::new("."), args)
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `../shared/peer-data` beside the repository, or `None` (with a visible SKIPPED line)
/// when it is absent. Under `CI=true` an absent directory is a failure: CI runs with
/// `../shared` beside the clone, so a skip there would hide a lost conformance check.
pub fn peer_data(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-data");
    located(dir, std::env::var_os("CI").is_some(), test)
}

/// `dir` when it is a directory; else a visible SKIPPED line and `None`, or under CI a panic.
pub fn located(dir: PathBuf, ci: bool, test: &str) -> Option<PathBuf> {
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

/// Asserts that a command failed as an error (exit code 2) whose message contains `needle`.
#[track_caller]
pub fn assert_error(output: &Output, needle: &str) {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    assert!(stderr(output).contains(needle), "{}", stderr(output));
}
