//! CLI tests of `causet check`, `causet analyze` and `causet order`.

use std::path::{Path, PathBuf};

use crate::util::{peer_data, run_in, run_with_stdin, stderr, stdout};

/// a:1 sends to b (b:2 receives it); b:1 and a:2 are local; c:1 alone.
const SMALL: &str = "\
a {\"a\":1}
send to b
b {\"b\":1}
local
b {\"a\":1, \"b\":2}
receive from a
a {\"a\":2}
local
c {\"c\":1}
alone
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the fixture");
    path
}

fn code(output: &std::process::Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

#[test]
fn check_valid_log_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "small.log", SMALL);
    let output = run_in(dir.path(), &["check", "small.log"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "small.log: valid: 5 events, 1 execution(s)\n"
    );
}

#[test]
fn check_invalid_log_exits_1_naming_the_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    // a:2 is missing.
    write(
        dir.path(),
        "gap.log",
        "a {\"a\":1}\none\nb {\"b\":1}\nx\na {\"a\":3}\nthree\n",
    );
    let output = run_in(dir.path(), &["check", "gap.log"]);
    assert_eq!(code(&output), 1);
    assert_eq!(
        stdout(&output),
        "gap.log:5: event a:2 is missing (found a:3 instead)\n"
    );
    // --lenient accepts the hole.
    let output = run_in(dir.path(), &["check", "--lenient", "gap.log"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    // JSON verdict.
    let output = run_in(dir.path(), &["check", "--json", "gap.log"]);
    assert_eq!(code(&output), 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(json["valid"], false);
    assert_eq!(json["executions"][0]["events"], 3);
    assert_eq!(json["executions"][0]["violation"]["line"], 5);
}

#[test]
fn check_unknown_node_fails_strict_and_passes_lenient() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "capture.log",
        "a {\"a\":1, \"ghost\":2}\nreceived from a node we did not log\n",
    );
    let output = run_in(dir.path(), &["check", "capture.log"]);
    assert_eq!(code(&output), 1);
    assert!(
        stdout(&output).starts_with("capture.log:1: the clock of a:1 references node ghost"),
        "{}",
        stdout(&output)
    );
    let output = run_in(dir.path(), &["check", "--lenient", "capture.log"]);
    assert_eq!(code(&output), 0);
}

#[test]
fn unreadable_logs_exit_2_with_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "cpp.log",
        "myPID {myPID: 1}\nInitialization Complete\n",
    );
    for command in ["check", "analyze"] {
        let output = run_in(dir.path(), &[command, "cpp.log"]);
        assert_eq!(code(&output), 2);
        assert!(
            stderr(&output)
                .starts_with("causet: cpp.log:1: invalid clock: expected a quoted node name"),
            "{}",
            stderr(&output)
        );
    }
    let output = run_in(dir.path(), &["check", "absent.log"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).starts_with("causet: absent.log: cannot read"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_file_without_entries_is_an_error_for_every_log_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "prose.txt", "this is not a log\nat all\n");
    write(dir.path(), "empty.log", "");
    for args in [
        &["check", "empty.log"][..],
        &["check", "--json", "empty.log"],
        &["analyze", "empty.log"],
        &["order", "empty.log", "a:1", "b:1"],
        &["render", "empty.log", "-o", "e.svg"],
    ] {
        let output = run_in(dir.path(), args);
        assert_eq!(code(&output), 2, "{args:?}");
        assert!(
            stderr(&output).contains("empty.log: no log entries found"),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{args:?}: {}", stdout(&output));
    }
    let output = run_in(dir.path(), &["check", "prose.txt"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("prose.txt: no log entries found"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("prose.txt:1-2: text matches no log entry"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unmatched_text_warns_and_strict_makes_it_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "junk.log", &format!("some banner\n{SMALL}"));
    let output = run_in(dir.path(), &["check", "junk.log"]);
    assert_eq!(code(&output), 0);
    assert!(
        stderr(&output).contains("warning: junk.log:1: text matches no log entry: 'some banner'"),
        "{}",
        stderr(&output)
    );
    let output = run_in(dir.path(), &["check", "--strict", "junk.log"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("junk.log:1: text matches no log entry"));
}

#[test]
fn analyze_json_follows_the_design_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "small.log", SMALL);
    let output = run_in(dir.path(), &["analyze", "--json", "small.log"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    // Keys in the documented order (DESIGN.md); stamp sizes come from the clock crate.
    assert!(
        stdout(&output).starts_with(
            r#"{"executions":[{"name":"","events":5,"nodes":3,"messages":1,"concurrent_pairs":7,"stamp_bytes":{"full":"#
        ),
        "{}",
        stdout(&output)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let execution = &json["executions"][0];
    assert_eq!(execution["name"], "");
    assert_eq!(execution["events"], 5);
    assert_eq!(execution["nodes"], 3);
    assert_eq!(execution["messages"], 1);
    // Ordered pairs: a:1→a:2, a:1→b:2, b:1→b:2; the other 7 of the 10 are concurrent.
    assert_eq!(execution["concurrent_pairs"], 7);
    assert!(
        execution["stamp_bytes"]["full"]
            .as_u64()
            .is_some_and(|b| b > 0)
    );
    assert!(
        execution["stamp_bytes"]["differential"]
            .as_u64()
            .is_some_and(|b| b > 0)
    );
    for key in ["knowledge", "lower_bound"] {
        assert!(
            execution["stamp_bytes"][key]
                .as_u64()
                .is_some_and(|b| b > 0),
            "{key}"
        );
    }
    // Text output.
    let output = run_in(dir.path(), &["analyze", "small.log"]);
    assert!(
        stdout(&output).contains("concurrent pairs  7\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn analyze_multiple_executions_with_regex_and_delimiter() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "multi.log",
        "=== one ===\nstart\na {\"a\":1}\nnext\na {\"a\":2}\n=== two ===\nx\na {\"a\":1}\ny\nb {\"b\":1}\n",
    );
    let output = run_in(
        dir.path(),
        &[
            "analyze",
            "--json",
            "multi.log",
            "--regex",
            r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})",
            "--delimiter",
            r"^=== (?<trace>.*) ===$",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let names: Vec<&str> = json["executions"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["one", "two"]);
    assert_eq!(json["executions"][0]["concurrent_pairs"], 0);
    assert_eq!(json["executions"][1]["concurrent_pairs"], 1);
}

#[test]
fn analyze_streams_a_large_shiviz_layout_like_the_whole_text() {
    // Over 1 MiB (the reader's chunk) in ShiViz's default layout with delimiters: read in
    // chunks (the regex holds one newline) and, forced by a regex that may span any number
    // of lines but matches the same entries, as a whole text. The answers must be the same.
    let generated = causet_log::generate_log(&causet_log::GenerateOptions {
        events: 20_000,
        nodes: 6,
        seed: 5,
        ..causet_log::GenerateOptions::default()
    });
    let lines: Vec<&str> = generated.lines().collect();
    let mut text = String::new();
    for (k, pair) in lines.chunks(2).enumerate() {
        if k % 10_000 == 0 {
            text.push_str(&format!("=== part {} ===\n", k / 10_000));
        }
        text.push_str(&format!("{}\n{}\n", pair[1], pair[0]));
    }
    assert!(text.len() > 1 << 20);
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "big.log", &text);
    let regex = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})";
    let whole_text = format!(r"{regex}[\s\S]*?");
    let mut answers = Vec::new();
    for regex in [regex, whole_text.as_str()] {
        let output = run_in(
            dir.path(),
            &[
                "analyze",
                "--json",
                // The second part starts mid-run: its clocks refer to the first (holes).
                "--lenient",
                "big.log",
                "--regex",
                regex,
                "--delimiter",
                r"^=== (?<trace>.*) ===$",
            ],
        );
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        answers.push(stdout(&output));
    }
    assert_eq!(answers[0], answers[1]);
    let json: serde_json::Value = serde_json::from_str(&answers[0]).expect("JSON");
    let events: Vec<u64> = json["executions"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["events"].as_u64())
        .collect();
    assert_eq!(events, [10_000, 10_000]);
}

#[test]
fn analyze_refuses_an_invalid_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "dup.log", "a {\"a\":1}\nx\na {\"a\":1}\ny\n");
    let output = run_in(dir.path(), &["analyze", "dup.log"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("dup.log:3: event a:1 appears twice"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn order_answers_each_relation() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "small.log", SMALL);
    for (a, b, answer) in [
        ("a:1", "b:2", "before"),
        ("b:2", "a:1", "after"),
        ("a:2", "a:2", "equal"),
        ("a:2", "b:2", "concurrent"),
        ("c:1", "a:1", "concurrent"),
    ] {
        let output = run_in(dir.path(), &["order", "small.log", a, b]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        assert_eq!(stdout(&output), format!("{answer}\n"), "{a} {b}");
    }
    let output = run_in(dir.path(), &["order", "--json", "small.log", "a:1", "b:2"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(json["answers"][0]["order"], "before");
    assert_eq!(json["answers"][0]["a"], "a:1");
}

#[test]
fn order_unknown_event_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "small.log", SMALL);
    let output = run_in(dir.path(), &["order", "small.log", "a:9", "b:1"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("unknown event 'a:9'"),
        "{}",
        stderr(&output)
    );
    let output = run_in(dir.path(), &["order", "small.log", "zed:1", "b:1"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("'zed:1': no such node"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn order_pairs_from_a_file_and_from_stdin() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "small.log", SMALL);
    write(
        dir.path(),
        "pairs.txt",
        "# queries\na:1 b:2\n\nb:1 a:2\na:2 a:1\n",
    );
    let output = run_in(dir.path(), &["order", "small.log", "--pairs", "pairs.txt"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "before\nconcurrent\nafter\n");
    // Standard input.
    let output = run_with_stdin(
        dir.path(),
        &["order", "small.log", "--pairs", "-"],
        b"c:1 c:1\n",
    );
    assert_eq!(stdout(&output), "equal\n");
    // A bad line names the pairs file and line.
    write(dir.path(), "bad.txt", "a:1 b:2\na:1\n");
    let output = run_in(dir.path(), &["order", "small.log", "--pairs", "bad.txt"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("bad.txt:2: expected two events"),
        "{}",
        stderr(&output)
    );
    write(dir.path(), "unknown.txt", "a:1 b:2\nb:7 a:1\n");
    let output = run_in(
        dir.path(),
        &["order", "small.log", "--pairs", "unknown.txt"],
    );
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("unknown.txt:2: b:7 a:1: unknown event 'b:7'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn order_picks_an_execution_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "multi.log",
        "(?<host>\\S*) (?<clock>{.*})\\n(?<event>.*)\n^--- (?<trace>.*)$\n--- first\na {\"a\":1}\nx\nb {\"b\":1}\ny\n--- second\na {\"a\":1}\nx\nb {\"a\":1, \"b\":1}\ny\n",
    );
    let output = run_in(dir.path(), &["order", "multi.log", "a:1", "b:1"]);
    assert_eq!(stdout(&output), "concurrent\n", "{}", stderr(&output));
    let output = run_in(
        dir.path(),
        &["order", "multi.log", "a:1", "b:1", "--execution", "second"],
    );
    assert_eq!(stdout(&output), "before\n", "{}", stderr(&output));
    let output = run_in(
        dir.path(),
        &["order", "multi.log", "a:1", "b:1", "--execution", "third"],
    );
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("no execution named 'third' (executions: 'first', 'second')"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn peer_data_through_the_cli() {
    let Some(dir) = peer_data("peer_data_through_the_cli") else {
        return;
    };
    let output = run_in(&dir, &["analyze", "--json", "shiviz/chord.log"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(json["executions"][0]["events"], 1235);
    assert_eq!(json["executions"][0]["nodes"], 8);
    // The GoVector CLI's ShiViz upload file reads without any option.
    let output = run_in(&dir, &["check", "govector/shiviz_all_services.log"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
    let output = run_in(&dir, &["check", "cppvector/logFile"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("cppvector/logFile:1: invalid clock"));
    let output = run_in(
        &dir,
        &[
            "check",
            "shiviz/ewd998.log",
            "--regex",
            r#"^State [0-9]+: <(?<event>\w*) .*>\n\/\\ Host = (?<host>.*)\n\/\\ Clock = "(?<clock>.*)"\n\/\\ active = (?<active>.*)\n\/\\ color = (?<color>.*)\n\/\\ counter = (?<counter>.*)"#,
            "--delimiter",
            r"^=== (?<trace>.*) ===$",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert_eq!(
        stdout(&output),
        "shiviz/ewd998.log: valid: 990 events, 3 execution(s)\n"
    );
}

/// No byte of input that could drive a terminal (ESC, BEL, a carriage return) reaches
/// stdout or stderr: node names, event texts and unmatched text in warnings and errors
/// are shown escaped.
#[test]
fn control_characters_from_input_are_escaped_in_every_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "node.log", "x\x1b[1m {\"y\":3}\n");
    write(
        dir.path(),
        "junk.log",
        "junk\x1b[2J\x07\na {\"a\":1}\nx\x1b[1m\nb {\"b\":1, \"a\":7}\ny\n",
    );
    write(dir.path(), "t.std", "T1|w(x)|1\nT1|\x1b[31mred\r\n");
    let regex = r"(?<host>\S+) (?<clock>{.*})(?<event>)";
    for args in [
        &["check", "--regex", regex, "node.log"][..],
        &["analyze", "--regex", regex, "node.log"],
        &["check", "junk.log"],
        &["check", "--strict", "junk.log"],
        &["races", "t.std"],
    ] {
        let output = run_in(dir.path(), args);
        assert_ne!(code(&output), 0, "{args:?}");
        for stream in [&output.stdout, &output.stderr] {
            assert!(
                !stream.iter().any(|&b| b == 0x1b || b == 0x07 || b == b'\r'),
                "{args:?}: {:?}",
                String::from_utf8_lossy(stream)
            );
        }
        let said = format!("{}{}", stdout(&output), stderr(&output));
        assert!(said.contains("\\u{1b}"), "{args:?}: {said}");
    }
}

/// Reports of valid input quote it too: a race report names the trace's variables, threads
/// and locations, and every summary names its file. None of it reaches the terminal raw.
#[test]
fn control_characters_from_input_are_escaped_in_every_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hostile = "e\x1b]0;pwned\x07\x1b[31m";
    write(dir.path(), &format!("{hostile}.log"), "a {\"a\":1}\nev\n");
    write(
        dir.path(),
        "t.std",
        &format!("T0|w(x{hostile})|1{hostile}\nT\x1b1|w(x{hostile})|2\n"),
    );
    let log = format!("{hostile}.log");
    for args in [
        &["check", log.as_str()][..],
        &["analyze", log.as_str()],
        &["order", log.as_str(), "a:1", "a:1"],
        &["render", log.as_str(), "-o", "d.svg"],
        &["view", log.as_str(), "-o", "v.html"],
        &["races", "t.std", "--list", "5"],
    ] {
        let output = run_in(dir.path(), args);
        assert!(code(&output) <= 1, "{args:?}: {}", stderr(&output));
        for stream in [&output.stdout, &output.stderr] {
            assert!(
                !stream.iter().any(|&b| b == 0x1b || b == 0x07),
                "{args:?}: {:?}",
                String::from_utf8_lossy(stream)
            );
        }
    }
    let output = run_in(dir.path(), &["races", "t.std", "--list", "5"]);
    assert!(
        stdout(&output).contains("xe\\u{1b}]0;pwned\\u{7}"),
        "{}",
        stdout(&output)
    );
}

/// A line over the reader's limit is reported at its own line, not at the line of the
/// entry it belongs to (an event text on line 2 after its header on line 1).
#[test]
fn an_overlong_line_is_reported_at_its_own_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("long.log");
    {
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        file.write_all(b"a {\"a\":1}\nfirst\na {\"a\":2}\n")
            .unwrap();
        let chunk = vec![b'y'; 1 << 20];
        for _ in 0..130 {
            file.write_all(&chunk).unwrap();
        }
        file.write_all(b"\n").unwrap();
    }
    let output = run_in(dir.path(), &["check", "long.log"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("long.log:4: line longer than"),
        "{}",
        stderr(&output)
    );
}
