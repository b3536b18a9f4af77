//! CLI tests: `causet clock compare` and `causet clock merge` run as the real binary.

use std::path::Path;

use crate::util::{assert_error, run, run_in, run_with_stdin, stderr, stdout};

fn compare(a: &str, b: &str) -> String {
    let output = run(&["clock", "compare", a, b]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    stdout(&output)
}

#[test]
fn compare_prints_the_four_answers() {
    assert_eq!(compare(r#"{"a":1}"#, r#"{"a":2,"b":1}"#), "before\n");
    assert_eq!(compare(r#"{"a":2,"b":1}"#, r#"{"a":1}"#), "after\n");
    assert_eq!(compare(r#"{"a":1, "b":0}"#, r#"{"a":1}"#), "equal\n");
    assert_eq!(compare(r#"{"a":2}"#, r#"{"b":1}"#), "concurrent\n");
    assert_eq!(compare("{}", "{}"), "equal\n");
}

#[test]
fn compare_json_output() {
    let output = run(&["clock", "compare", "--json", r#"{"a":2}"#, r#"{"b":1}"#]);
    assert!(output.status.success());
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value, serde_json::json!({"causality": "concurrent"}));
}

#[test]
fn merge_prints_sorted_govector_clock() {
    let output = run(&[
        "clock",
        "merge",
        r#"{"zed":1,"a":1}"#,
        r#"{"a":2, "b":1}"#,
        r#"{"b":0}"#,
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "{\"a\":2, \"b\":1, \"zed\":1}\n");

    let output = run(&["clock", "merge", "--json", r#"{"b":3}"#, r#"{"a":1}"#]);
    assert!(output.status.success());
    assert_eq!(stdout(&output), "{\"clock\":{\"a\":1,\"b\":3}}\n");
}

#[test]
fn merge_of_one_clock_normalises_it() {
    let output = run(&["clock", "merge", r#" { "b" : 2 , "a" : 0 } "#]);
    assert!(output.status.success());
    assert_eq!(stdout(&output), "{\"b\":2}\n");
}

/// Bad input exits 2 and names the argument and what is wrong with it.
#[test]
fn bad_arguments_are_named() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["clock", "compare", "not json", "{}"],
            "argument A: column 1: expected '{'",
        ),
        (
            &["clock", "compare", "{}", "[1,2]"],
            "argument B: column 1: expected '{'",
        ),
        (
            &["clock", "compare", "{}", r#"{"a":-1}"#],
            r#"argument B: column 6: counter of node "a" is negative: -1"#,
        ),
        (
            &["clock", "compare", r#"{"a":1.5}"#, "{}"],
            r#"argument A: column 6: counter of node "a" is not a non-negative integer: 1.5"#,
        ),
        (
            &["clock", "compare", r#"{"a":"1"}"#, "{}"],
            "is not a non-negative integer",
        ),
        (
            &["clock", "merge", "{}", r#"{"a":1,"a":2}"#],
            r#"argument 2: column 8: node "a" appears twice"#,
        ),
        (
            &["clock", "merge", r#"{"a":99999999999999999999}"#],
            "argument 1: column 6: counter of node \"a\" does not fit in 64 bits",
        ),
    ];
    for (args, expected) in cases {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        assert!(err.starts_with("causet: "), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

#[test]
fn pairs_file_gives_one_answer_per_pair() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = "{\"a\":1}\t{\"a\":2,\"b\":1}\n\
                 {\"a\":2}\t{\"b\":1}\r\n\
                 \n\
                 {}\t{}\n\
                 {\"b\":5, \"a\":1}\t{\"a\":1}\n";
    std::fs::write(dir.path().join("pairs.tsv"), pairs).unwrap();
    let output = run_in(dir.path(), &["clock", "compare", "--pairs", "pairs.tsv"]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "before\nconcurrent\nequal\nafter\n");

    let output = run_in(
        dir.path(),
        &["clock", "compare", "--json", "--pairs", "pairs.tsv"],
    );
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[3],
        serde_json::json!({"line": 5, "causality": "after"})
    );
}

#[test]
fn pairs_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.tsv"),
        "{}\t{}\n{\"a\":1}\t{\"b\":-3}\n",
    )
    .unwrap();
    let output = run_in(dir.path(), &["clock", "compare", "--pairs", "bad.tsv"]);
    assert_error(
        &output,
        "bad.tsv:2:14: clock B: counter of node \"b\" is negative: -3",
    );

    std::fs::write(dir.path().join("notab.tsv"), "{} {}\n").unwrap();
    let output = run_in(dir.path(), &["clock", "compare", "--pairs", "notab.tsv"]);
    assert_error(
        &output,
        "notab.tsv:1: expected two clocks separated by a tab",
    );

    let output = run_in(dir.path(), &["clock", "compare", "--pairs", "missing.tsv"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("missing.tsv: cannot read"));
}

/// Thousands of pairs from standard input in one process, checked against the answers
/// computed here from the generated entries.
#[test]
fn thousands_of_pairs_from_stdin() {
    let mut input = String::new();
    let mut expected = String::new();
    for k in 0u64..3000 {
        let (a0, a1) = (k % 7, (k / 7) % 5);
        let (b0, b1) = ((k / 3) % 7, (k / 11) % 5);
        input.push_str(&format!(
            "{{\"n0\":{a0}, \"n1\":{a1}}}\t{{\"n0\":{b0}, \"n1\":{b1}}}\n"
        ));
        let less = a0 < b0 || a1 < b1;
        let greater = a0 > b0 || a1 > b1;
        expected.push_str(match (less, greater) {
            (false, false) => "equal\n",
            (true, false) => "before\n",
            (false, true) => "after\n",
            (true, true) => "concurrent\n",
        });
    }
    let output = run_with_stdin(
        Path::new("."),
        &["clock", "compare", "--pairs", "-"],
        input.as_bytes(),
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), expected);
}

#[test]
fn compare_needs_two_clocks_or_pairs() {
    let output = run(&["clock", "compare", "{}"]);
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["clock", "compare", "--pairs", "x", "{}", "{}"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Conformance on real GoVector/ShiViz logs: every clock line of the peer logs parses, and
/// each host's successive events (ordered by the host's own entry, as ShiViz does; the file
/// interleaves hosts) compare `before`, the reverse pairs `after`, all answered by one
/// `--pairs` process. The expected answers come from program order alone.
#[test]
fn peer_logs_program_order_is_before() {
    let Some(peer) = crate::util::peer_data("peer_logs_program_order_is_before") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (log, events) in [
        ("shiviz/chord.log", 1235),
        ("shiviz/voldemort-simple-threadnames.log", 863),
    ] {
        let text = std::fs::read_to_string(peer.join(log)).unwrap();
        // `host {clock}` lines (voldemort's carry trailing spaces), by host.
        let mut by_host: std::collections::BTreeMap<&str, Vec<(u64, &str)>> = Default::default();
        for line in text.lines() {
            let Some((host, clock)) = line.split_once(' ') else {
                continue;
            };
            let clock = clock.trim_end();
            if !(clock.starts_with('{') && clock.ends_with('}')) || host.starts_with('[') {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(clock).unwrap();
            let own = value[host].as_u64().unwrap();
            by_host.entry(host).or_default().push((own, clock));
        }
        let (mut pairs, mut expected, mut clocks) = (String::new(), Vec::new(), 0);
        for events in by_host.values_mut() {
            clocks += events.len();
            events.sort();
            for pair in events.windows(2) {
                let (earlier, later) = (pair[0].1, pair[1].1);
                pairs.push_str(&format!("{earlier}\t{later}\n{later}\t{earlier}\n"));
                expected.extend(["before", "after"]);
            }
        }
        assert_eq!(clocks, events, "{log}");
        std::fs::write(dir.path().join("pairs.tsv"), &pairs).unwrap();
        let output = run_in(dir.path(), &["clock", "compare", "--pairs", "pairs.tsv"]);
        assert!(output.status.success(), "{log}: {}", stderr(&output));
        let answers = stdout(&output);
        let answers: Vec<&str> = answers.lines().collect();
        assert_eq!(answers.len(), expected.len(), "{log}");
        if let Some(k) = (0..answers.len()).find(|&k| answers[k] != expected[k]) {
            panic!(
                "{log}: pair {} ({:?}) is {}, expected {}",
                k + 1,
                pairs.lines().nth(k),
                answers[k],
                expected[k]
            );
        }
    }
}
