//! CLI tests: `causet races`.

use super::util::{assert_error, peer_data, run, run_in, stderr, stdout};

const TRACE: &str = "\
T0|fork(T1)|1
T0|w(x)|2
T1|w(x)|3
T1|acq(m)|4
T1|w(y)|5
T1|rel(m)|6
T0|acq(m)|7
T0|r(y)|8
T0|rel(m)|9
1|r(x)|10
";

fn write_trace(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("t.std"), text).expect("write trace");
    (dir, "t.std".to_string())
}

#[test]
fn races_json_follows_the_contract_for_every_engine() {
    let (dir, file) = write_trace(TRACE);
    for engine in ["vc", "epoch", "tree"] {
        let output = run_in(dir.path(), &["races", &file, "--json", "--engine", engine]);
        assert!(output.status.success(), "{engine}: {}", stderr(&output));
        let value: serde_json::Value =
            serde_json::from_str(&stdout(&output)).expect("one JSON object");
        assert_eq!(value["events"], 10);
        assert_eq!(value["threads"], 2);
        // T1's write of x races with T0's; T1's read at line 10 too (T0's write is not
        // ordered before it). y is protected by m.
        assert_eq!(value["racy_events"], 2);
        assert_eq!(value["racy_variables"], serde_json::json!(["x"]));
        assert_eq!(value["racy_lines"], 2);
        assert_eq!(value["engine"], engine);
        assert!(value.get("races").is_none(), "races only with --list");
    }
}

#[test]
fn races_list_prints_both_locations() {
    let (dir, file) = write_trace(TRACE);
    let output = run_in(dir.path(), &["races", &file, "--list", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("racy events:     2"), "{text}");
    assert!(text.contains("racy variables:  1 (x)"), "{text}");
    assert!(
        text.contains("race 1: line 3 T1|w(x)|3 races with line 2 T0|w(x)|2"),
        "{text}"
    );
    assert!(!text.contains("race 2:"), "{text}");

    let output = run_in(dir.path(), &["races", &file, "--list", "5", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let races = value["races"].as_array().expect("races listed");
    assert_eq!(races.len(), 2);
    assert_eq!(races[1]["access"]["line"], 10);
    assert_eq!(races[1]["access"]["location"], "10");
    assert_eq!(races[1]["prior"]["location"], "2");
    assert_eq!(races[1]["prior"]["write"], true);
}

#[test]
fn races_reads_standard_input() {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = super::util::causet()
        .args(["races", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(TRACE.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("finishes");
    assert!(output.status.success());
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(value["racy_events"], 2);
}

#[test]
fn races_bad_line_is_reported_as_file_line() {
    let (dir, file) = write_trace("T1|w(x)|1\nT1 w x 2\n");
    let output = run_in(dir.path(), &["races", &file]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.starts_with("causet: t.std:2: not an event"), "{err}");
    assert!(output.stdout.is_empty());
}

#[test]
fn races_ill_formed_trace_is_an_error() {
    let (dir, file) = write_trace("T1|acq(m)|1\nT2|rel(m)|2\n");
    let output = run_in(dir.path(), &["races", &file, "--json"]);
    assert_error(&output, "t.std:2: T2 releases lock m, which T1 holds");
}

#[test]
fn races_missing_file_and_bad_engine_are_errors() {
    let output = run(&["races", "/nonexistent/trace.std"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot open /nonexistent/trace.std"));
    let (dir, file) = write_trace(TRACE);
    let output = run_in(dir.path(), &["races", &file, "--engine", "djit"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("unknown engine `djit`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn races_peer_traces_agree_across_engines() {
    let Some(dir) = peer_data("races_peer_traces_agree_across_engines") else {
        return;
    };
    for file in ["Bensalem.std", "jigsaw.std"] {
        let path = dir.join("rapid-std").join(file);
        let path = path.to_str().expect("utf-8 path");
        let outputs: Vec<serde_json::Value> = ["vc", "epoch", "tree"]
            .iter()
            .map(|engine| {
                let output = run(&["races", path, "--json", "--engine", engine, "--list", "3"]);
                assert!(
                    output.status.success(),
                    "{file} {engine}: {}",
                    stderr(&output)
                );
                let mut value: serde_json::Value =
                    serde_json::from_str(&stdout(&output)).expect("JSON");
                value.as_object_mut().expect("object").remove("engine");
                value
            })
            .collect();
        assert_eq!(outputs[0], outputs[1], "{file}: vc vs epoch");
        assert_eq!(outputs[0], outputs[2], "{file}: vc vs tree");
    }
    let binary = dir.join("rapid-std").join("Bensalem.data");
    let output = run(&["races", binary.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("RapidBin"), "{}", stderr(&output));
}

/// The JSON report is a wire format: pinned byte for byte.
#[test]
fn races_json_golden() {
    let (dir, file) = write_trace(TRACE);
    let output = run_in(dir.path(), &["races", &file, "--json", "--list", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = concat!(
        r#"{"engine":"epoch","events":10,"locks":1,"#,
        r#""races":[{"access":{"line":3,"location":"3","thread":"T1","write":true},"#,
        r#""prior":{"line":2,"location":"2","thread":"T0","write":true},"variable":"x"}],"#,
        r#""racy_events":2,"racy_lines":2,"racy_variables":["x"],"threads":2,"variables":2}"#,
        "\n"
    );
    assert_eq!(stdout(&output), expected);
}

/// The text report, pinned (it has no timing, so it is reproducible).
#[test]
fn races_text_golden() {
    let (dir, file) = write_trace(TRACE);
    let output = run_in(
        dir.path(),
        &["races", &file, "--engine", "tree", "--list", "2"],
    );
    assert_eq!(
        stdout(&output),
        "trace:           t.std
engine:          tree
events:          10
threads:         2
locks:           1
variables:       2
racy events:     2
racy variables:  1 (x)
racy lines:      2
race 1: line 3 T1|w(x)|3 races with line 2 T0|w(x)|2
race 2: line 10 T1|r(x)|10 races with line 2 T0|w(x)|2
"
    );
}

/// No progress bar (or anything else) on stderr when stderr is not a terminal, even on a
/// trace long enough to show one.
#[test]
fn races_progress_bar_is_off_without_a_terminal() {
    use causet_trace::races::generate::{TraceShape, generate};
    let dir = tempfile::tempdir().expect("temp dir");
    let shape = TraceShape {
        threads: 4,
        events: 300_000,
        ..TraceShape::default()
    };
    let file = std::fs::File::create(dir.path().join("big.std")).expect("create");
    generate(&shape, file).expect("write trace");
    let output = run_in(dir.path(), &["races", "big.std", "--json"]);
    assert!(output.status.success());
    assert_eq!(stderr(&output), "");
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(value["events"], 300_000);
}
