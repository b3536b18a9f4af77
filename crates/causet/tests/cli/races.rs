//! CLI tests: `causet races`.

use std::path::Path;

use super::util::{assert_error, peer_data, run, run_in, run_with_stdin, stderr, stdout};

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
    let output = run_with_stdin(Path::new("."), &["races", "-", "--json"], TRACE.as_bytes());
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
}

/// RAPID's binary `Bensalem.data`: read by content (and with `--format rapidbin`), every
/// engine the same report; as STD it is refused, pointing at the format option.
#[test]
fn races_peer_rapidbin_is_read() {
    let Some(dir) = peer_data("races_peer_rapidbin_is_read") else {
        return;
    };
    let binary = dir.join("rapid-std").join("Bensalem.data");
    let path = binary.to_str().expect("utf-8 path");
    let mut reports = Vec::new();
    for engine in ["vc", "epoch", "tree"] {
        for format in ["auto", "rapidbin"] {
            let args = [
                "races", path, "--json", "--engine", engine, "--format", format,
            ];
            let output = run(&args);
            assert!(output.status.success(), "{engine}: {}", stderr(&output));
            let mut value: serde_json::Value =
                serde_json::from_str(&stdout(&output)).expect("JSON");
            value.as_object_mut().expect("object").remove("engine");
            reports.push(value);
        }
    }
    // Header: 4 threads, 5 locks, 5 variables, 68 events; lock 4 and variable 4 unused.
    assert_eq!(reports[0]["events"], 68);
    assert_eq!(reports[0]["threads"], 4);
    assert_eq!(reports[0]["locks"], 4);
    assert_eq!(reports[0]["variables"], 4);
    for report in &reports {
        assert_eq!(report, &reports[0]);
    }
    let output = run(&["races", path, "--format", "std"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains(":1: binary data") && err.contains("--format rapidbin"),
        "{err}"
    );
}

/// A RapidBin trace: the 18-byte header and one 8-byte word per event.
fn rapidbin(threads: i16, locks: i32, variables: i32, events: &[(u64, u64, u64, u64)]) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&threads.to_be_bytes());
    bytes.extend_from_slice(&locks.to_be_bytes());
    bytes.extend_from_slice(&variables.to_be_bytes());
    bytes.extend_from_slice(&(events.len() as i64).to_be_bytes());
    for &(thread, op, decor, location) in events {
        let word = thread | op << 10 | decor << 14 | location << 48;
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    bytes
}

/// `TRACE` in RapidBin (x is variable 0, y variable 1, m lock 0; ops: 0 acq, 1 rel, 2 r,
/// 3 w, 4 fork).
fn trace_rapidbin() -> Vec<u8> {
    rapidbin(
        2,
        1,
        2,
        &[
            (0, 4, 1, 1),
            (0, 3, 0, 2),
            (1, 3, 0, 3),
            (1, 0, 0, 4),
            (1, 3, 1, 5),
            (1, 1, 0, 6),
            (0, 0, 0, 7),
            (0, 2, 1, 8),
            (0, 1, 0, 9),
            (1, 2, 0, 10),
        ],
    )
}

#[test]
fn races_rapidbin_file_and_stdin_report_as_its_std_rendering() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("t.data"), trace_rapidbin()).expect("write");
    // The same trace with RapidBin's names: x is 0, y is 1, m is 0.
    let std_text = TRACE
        .replace("(x)", "(0)")
        .replace("(y)", "(1)")
        .replace("(m)", "(0)")
        .replace("1|r(0)|10", "T1|r(0)|10");
    std::fs::write(dir.path().join("t.std"), &std_text).expect("write");
    let args = |file: &'static str| ["races", file, "--json", "--list", "5"];
    let binary = run_in(dir.path(), &args("t.data"));
    assert!(binary.status.success(), "{}", stderr(&binary));
    let text = run_in(dir.path(), &args("t.std"));
    assert_eq!(stdout(&binary), stdout(&text));
    let value: serde_json::Value = serde_json::from_str(&stdout(&binary)).expect("JSON");
    assert_eq!(value["racy_events"], 2);
    assert_eq!(value["racy_variables"], serde_json::json!(["0"]));
    assert_eq!(value["races"][0]["access"]["thread"], "T1");

    let output = run_with_stdin(
        dir.path(),
        &["races", "-", "--json", "--list", "5"],
        &trace_rapidbin(),
    );
    assert!(output.status.success());
    assert_eq!(stdout(&output), stdout(&text));

    // The text report names events rather than lines, for a file and for standard input.
    let output = run_in(dir.path(), &["races", "t.data", "--list", "1"]);
    let text = stdout(&output);
    assert!(
        text.contains("race 1: event 3 T1|w(0)|3 races with event 2 T0|w(0)|2"),
        "{text}"
    );
    let output = run_with_stdin(
        dir.path(),
        &["races", "-", "--list", "1"],
        &trace_rapidbin(),
    );
    assert!(
        stdout(&output).contains("race 1: event 3 T1|w(0)|3"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn races_rapidbin_errors_name_the_event_and_byte_offset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cut = trace_rapidbin();
    cut.truncate(cut.len() - 3);
    let release_not_held = rapidbin(1, 1, 0, &[(0, 1, 0, 7)]);
    let unknown_op = rapidbin(1, 1, 1, &[(0, 3, 0, 1), (0, 12, 0, 2)]);
    let beyond = rapidbin(2, 1, 1, &[(0, 3, 0, 1), (0, 2, 1, 2)]);
    for (bytes, needle) in [
        (
            cut,
            "t.data: event 10 (byte offset 90): event cut short: 5 of 8 bytes",
        ),
        (
            release_not_held,
            "t.data: event 1 (byte offset 18): T0 releases lock 0, which is not held",
        ),
        (
            unknown_op,
            "t.data: event 2 (byte offset 26): unknown operation code 12",
        ),
        (
            beyond,
            "t.data: event 2 (byte offset 26): variable id 1 is beyond the header's 1 variables",
        ),
        (
            vec![0, 1, 0],
            "t.data: header: RapidBin header cut short: 3 of 18 bytes",
        ),
    ] {
        std::fs::write(dir.path().join("t.data"), &bytes).expect("write");
        let output = run_in(dir.path(), &["races", "t.data", "--format", "rapidbin"]);
        assert_error(&output, needle);
    }
}

#[test]
fn races_bad_format_is_an_error() {
    let (dir, file) = write_trace(TRACE);
    let output = run_in(dir.path(), &["races", &file, "--format", "binary"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("unknown trace format `binary`"),
        "{}",
        stderr(&output)
    );
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
    use causet_races::generate::{TraceShape, generate};
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

/// Issue 20: a trace with more threads than `--max-memory` allows is refused (exit 2) at the
/// line of the first thread too many, naming the estimate, the limit and the option; the
/// same trace runs with room enough.
#[test]
fn races_max_memory_refuses_a_trace_too_big() {
    // T0 forks 1,999 threads: dense clocks of 2,000 threads are about 16 MB.
    let text: String = (1..2_000).map(|t| format!("T0|fork(T{t})|{t}\n")).collect();
    let (dir, file) = write_trace(&text);
    for engine in ["vc", "epoch", "tree"] {
        let output = run_in(
            dir.path(),
            &["races", &file, "--engine", engine, "--max-memory", "1M"],
        );
        assert_error(&output, "more than the limit of 1.0 MiB (by ");
        assert!(
            stderr(&output).contains(" bytes); raise it with --max-memory: `T0|fork("),
            "{}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(message.starts_with("causet: t.std:"), "{message}");
        assert!(
            message.contains(&format!("with engine {engine}")),
            "{message}"
        );
        assert!(message.contains("need about 1.0 MiB"), "{message}");
        assert_eq!(stdout(&output), "", "no report");
    }
    let output = run_in(dir.path(), &["races", &file, "--max-memory", "1.5GiB"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("threads:         2000"));
    // And under the default limit (half of the machine's memory).
    let output = run_in(dir.path(), &["races", &file]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn races_bad_max_memory_is_refused() {
    let (dir, file) = write_trace(TRACE);
    for (size, needle) in [
        ("4X", "invalid size `4X`: unknown unit `X`"),
        ("0", "invalid size `0`: must be more than 0 bytes"),
        ("G", "invalid size `G`: no number"),
        ("1.2.3M", "invalid size `1.2.3M`: not a number"),
        ("-1G", "invalid size `-1G`"),
    ] {
        let option = format!("--max-memory={size}");
        let output = run_in(dir.path(), &["races", &file, &option]);
        assert_error(&output, needle);
        assert!(
            stderr(&output).contains("--max-memory <SIZE>"),
            "{}",
            stderr(&output)
        );
    }
    for size in ["4096", "512M", "4G", "1.5GiB", "2GB"] {
        let output = run_in(dir.path(), &["races", &file, "--max-memory", size]);
        assert!(output.status.success(), "{size}: {}", stderr(&output));
    }
    let help = stdout(&run(&["races", "--help"]));
    assert!(help.contains("--max-memory <SIZE>"), "{help}");
    assert!(help.contains("half of the machine's memory"), "{help}");
}
