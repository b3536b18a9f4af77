//! Helpers shared by the CLI tests: run the real binary, find the peer data.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Waits for `child` to end, at most `seconds`: a hang guard, not a timing assertion. On
/// time out the child is killed and the test fails, saying `what` did not end.
pub(crate) fn wait_guarded(child: &mut std::process::Child, seconds: u64, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not end within {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The `causet` binary built for these tests.
pub(crate) fn causet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_causet"))
}

/// Runs `causet ARGS` in `dir` with no standard input and returns its output.
pub(crate) fn run_in(dir: &Path, args: &[&str]) -> Output {
    causet()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the causet binary starts")
}

/// Runs `causet ARGS` in `dir` with `input` as its standard input (written from another
/// thread, so a large input cannot deadlock against a full output pipe).
pub(crate) fn run_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
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
pub(crate) fn run(args: &[&str]) -> Output {
    run_in(Path::new("."), args)
}

/// Standard output as text.
pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[path = "../../../../testing/peer_data.rs"]
mod peer_data;
pub(crate) use peer_data::peer_data;

/// Asserts that a command failed as an error (exit code 2) whose message contains `needle`.
#[track_caller]
pub(crate) fn assert_error(output: &Output, needle: &str) {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    assert!(stderr(output).contains(needle), "{}", stderr(output));
}
