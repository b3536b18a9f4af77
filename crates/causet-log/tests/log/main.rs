//! Tests of the log reader, check, analyze and order: layouts, a brute-force causal model on
//! random executions, mutated logs, and conformance on real logs from other tools.

use std::collections::BTreeSet;
use std::path::Path;

use causet_clock::Causality;
use causet_log::{
    CheckOptions, Execution, GenerateOptions, GeneratedKind, Log, LogErrorKind, ReadOptions,
    ViolationKind, analyze, generate, parse_log, read_log, write_log,
};

mod clock_grammar;
#[path = "../../../../testing/peer_data.rs"]
mod util;
use util::peer_data;

fn parse(text: &str) -> Log {
    parse_log(text.as_bytes(), &ReadOptions::default()).expect("the log parses")
}

fn strict() -> CheckOptions {
    CheckOptions::default()
}

fn lenient() -> CheckOptions {
    CheckOptions { lenient: true }
}

// ---------------------------------------------------------------- reading layouts

#[test]
fn govector_layout_dense_clocks_in_first_appearance_order() {
    let log = parse(
        "bob {\"bob\":1}\nstart\nalice {\"alice\":1, \"bob\":1}\ngot it\nalice {\"bob\":1, \"alice\":2}\nagain\n",
    );
    assert_eq!(log.executions.len(), 1);
    let execution = &log.executions[0];
    assert_eq!(execution.nodes(), ["bob", "alice"]);
    assert_eq!(execution.clock(0), [1, 0]);
    assert_eq!(execution.clock(1), [1, 1]);
    assert_eq!(execution.clock(2), [1, 2]);
    let texts: Vec<&str> = execution.events().map(|event| event.text).collect();
    assert_eq!(texts, ["start", "got it", "again"]);
    let lines: Vec<u64> = execution.events().map(|event| event.line).collect();
    assert_eq!(lines, [1, 3, 5]);
    assert_eq!(execution.display_id(execution.id_of(2)), "alice:2");
    assert!(log.unmatched.is_empty());
}

#[test]
fn trailing_spaces_crlf_priority_prefix_and_non_ascii_names() {
    let log = parse(
        "Zoë {\"Zoë\":1}   \r\nINFO hello\r\n東京 {\"Zoë\":1, \"東京\":1} \r\nWARNING got \"it\"\r\n",
    );
    let execution = &log.executions[0];
    assert_eq!(execution.nodes(), ["Zoë", "東京"]);
    assert_eq!(execution.clock(1), [1, 1]);
    let event = execution.event(0).expect("event 0");
    assert_eq!(event.text, "INFO hello");
    assert_eq!(event.priority(), Some("INFO"));
    assert_eq!(
        execution.event(1).and_then(|e| e.priority()),
        Some("WARNING")
    );
    assert!(execution.check(&strict()).is_ok());
}

#[test]
fn tla_escaped_clock_json_in_govector_layout() {
    let log = parse("w1 {\\\"w1\\\":1}\nstep\nw2 {\\\"w1\\\":1, \\\"w2\\\":1}\nstep\n");
    assert_eq!(log.executions[0].clock(1), [1, 1]);
}

#[test]
fn every_spelling_of_a_clock_gives_the_same_row() {
    // The first spelling takes the reader's fast path, the others the full JSON scanner.
    let spellings = [
        r#"{"a":1, "b\u00e9":2, "c\"q":3}"#,
        r#"{ "a" : 1 , "b\u00e9" : 2 , "c\"q" : 3 }"#,
        r#"{"a":1,"bé":2,"c\"q":3}"#,
        "{\t\"a\":1,\t\"bé\":2, \"c\\\"q\":3}",
        r#"{\"a\":1, \"bé\":2, \"c\\\"q\":3}"#,
    ];
    let mut rows = Vec::new();
    for spelling in spellings {
        let text = format!("a {spelling}\nx\n");
        let log = parse_log(text.as_bytes(), &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{spelling}: {e}"));
        let execution = &log.executions[0];
        let mut row: Vec<(String, u32)> = execution
            .nodes()
            .iter()
            .cloned()
            .zip(execution.clock(0).iter().copied())
            .collect();
        row.sort();
        rows.push(row);
    }
    let expected = vec![
        ("a".to_string(), 1),
        ("bé".to_string(), 2),
        ("c\"q".to_string(), 3),
    ];
    for (spelling, row) in spellings.iter().zip(&rows) {
        assert_eq!(row, &expected, "{spelling}");
    }
}

#[test]
fn event_text_that_is_not_utf8_keeps_its_length_with_question_marks() {
    let mut text = b"a {\"a\":1}\nbad \xff byte\na {\"a\":2}\nfine\n".to_vec();
    text.extend_from_slice(b"");
    let log = parse_log(&text, &ReadOptions::default()).expect("reads");
    let execution = &log.executions[0];
    assert_eq!(execution.event(0).map(|e| e.text), Some("bad ? byte"));
    assert_eq!(execution.event(1).map(|e| e.text), Some("fine"));
}

#[test]
fn unmatched_text_is_reported_with_lines_and_is_an_error_when_strict() {
    let text = "junk before\nmore junk\na {\"a\":1}\nfirst\n\nstray line\na {\"a\":2}\nsecond\n";
    let log = parse(text);
    assert_eq!(log.executions[0].len(), 2);
    let ranges: Vec<(u64, u64)> = log.unmatched.iter().map(|u| (u.first, u.last)).collect();
    assert_eq!(ranges, [(1, 2), (6, 6)]);
    assert_eq!(log.unmatched_lines, 3);
    assert_eq!(log.unmatched[1].text, "stray line");
    let strict_read = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    let error = parse_log(text.as_bytes(), &strict_read).expect_err("strict rejects junk");
    assert_eq!(error.line, Some(1));
    assert!(matches!(error.kind, LogErrorKind::Unmatched { .. }));
    assert!(
        error
            .to_string()
            .starts_with("<input>:1: text matches no log entry")
    );
}

#[test]
fn last_entry_without_text_line_or_final_newline() {
    let log = parse("a {\"a\":1}\none\na {\"a\":2}");
    let execution = &log.executions[0];
    assert_eq!(execution.len(), 2);
    assert_eq!(execution.event(1).map(|e| e.text), Some(""));
    let log = parse("a {\"a\":1}\none");
    assert_eq!(log.executions[0].event(0).map(|e| e.text), Some("one"));
}

#[test]
fn broken_clock_json_names_file_line_and_text() {
    let error = parse_log(
        b"a {\"a\":1}\nok\nb {\"a\":1, \"b\" 1}\nbad\n",
        &ReadOptions::default(),
    )
    .expect_err("broken JSON");
    assert_eq!(error.line, Some(3));
    assert!(matches!(error.kind, LogErrorKind::Clock(_)));
    let message = error.to_string();
    assert!(
        message.starts_with("<input>:3: invalid clock: expected ':'"),
        "{message}"
    );
    assert!(message.contains("b {\"a\":1, \"b\" 1}"), "{message}");
    // CppVector's unquoted keys.
    let error = parse_log(b"myPID {myPID: 1}\nx\n", &ReadOptions::default()).expect_err("unquoted");
    assert!(error.to_string().contains("quoted node name"), "{error}");
    // Duplicates, negative and fractional values.
    for clock in [
        "{\"a\":1, \"a\":2}",
        "{\"a\":-1}",
        "{\"a\":1.5}",
        "{\"a\":99999999999}",
    ] {
        let text = format!("a {clock}\nx\n");
        assert!(
            parse_log(text.as_bytes(), &ReadOptions::default()).is_err(),
            "{clock}"
        );
    }
}

#[test]
fn shiviz_default_regex_with_fields_and_delimiter() {
    let text = "=== first run ===\n\
                10 start\na {\"a\":1}\n11 send\na {\"a\":2}\n\
                === second run ===\n\
                12 alone\nb {\"b\":1}\n";
    let options = ReadOptions {
        regex: Some(r"(?<ts>\d+) (?<event>.*)\n(?<host>\S*) (?<clock>{.*})".into()),
        delimiter: Some(r"^=== (?<trace>.*) ===$".into()),
        strict: true,
    };
    let log = parse_log(text.as_bytes(), &options).expect("parses");
    let names: Vec<&str> = log.executions.iter().map(Execution::name).collect();
    assert_eq!(names, ["first run", "second run"]);
    let first = &log.executions[0];
    assert_eq!(first.len(), 2);
    assert_eq!(first.field_names(), ["ts"]);
    assert_eq!(first.field(1, "ts"), Some("11"));
    assert_eq!(first.event(1).map(|e| (e.text, e.line)), Some(("send", 4)));
    assert_eq!(log.executions[1].nodes(), ["b"]);
}

#[test]
fn upload_file_header_is_detected_and_lines_keep_their_numbers() {
    let text = "(?<host>\\S*) (?<clock>{.*})\\n(?<event>.*)\n\na {\"a\":1}\none\n";
    let log = parse(text);
    let execution = &log.executions[0];
    assert_eq!(execution.len(), 1);
    assert_eq!(execution.event(0).map(|e| e.line), Some(3));
    // A header with another layout goes through the regex reader.
    let text = "(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})\n^--- (?<trace>.*)$\n--- x\nhello\na {\"a\":1}\n";
    let log = parse(text);
    assert_eq!(log.executions[0].name(), "x");
    assert_eq!(
        log.executions[0].event(0).map(|e| (e.text, e.line)),
        Some(("hello", 4))
    );
}

#[test]
fn bad_regexes_are_errors() {
    let missing_clock = ReadOptions {
        regex: Some(r"(?<host>\S*) (?<event>.*)".into()),
        ..ReadOptions::default()
    };
    let error = parse_log(b"a b\n", &missing_clock).expect_err("no clock group");
    assert!(error.to_string().contains("(?<clock>"), "{error}");
    let invalid = ReadOptions {
        regex: Some(r"(?<host>\S*) (?<clock>{.*})(".into()),
        ..ReadOptions::default()
    };
    assert!(matches!(
        parse_log(b"a {}\n", &invalid).map_err(|e| e.kind),
        Err(LogErrorKind::Regex(_))
    ));
}

#[test]
fn read_log_names_the_file_in_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.log");
    std::fs::write(&path, "a {\"a\":1}\nx\na {\"a\" 2}\ny\n").expect("write");
    let error = read_log(&path, &ReadOptions::default()).expect_err("broken");
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}:3:", path.display()))
    );
    let missing =
        read_log(&dir.path().join("absent.log"), &ReadOptions::default()).expect_err("absent file");
    assert!(matches!(missing.kind, LogErrorKind::Io(_)));
}

#[test]
fn long_logs_stream_across_buffer_boundaries() {
    // Over 1 MiB, so entries straddle the reader's chunks.
    let text = causet_log::generate_log(&GenerateOptions {
        events: 12_000,
        nodes: 6,
        seed: 3,
        ..GenerateOptions::default()
    });
    assert!(text.len() > 1 << 20);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("long.log");
    std::fs::write(&path, &text).expect("write");
    let from_file = read_log(&path, &ReadOptions::default()).expect("reads");
    let from_memory = parse(&text);
    let (a, b) = (&from_file.executions[0], &from_memory.executions[0]);
    assert_eq!(a.len(), 12_000);
    assert_eq!(a.nodes(), b.nodes());
    for index in 0..a.len() {
        assert_eq!(a.event(index), b.event(index));
    }
    assert!(a.check(&strict()).is_ok());
}

/// The rows the reader should give for `lines` (`host clock` lines, each followed by a text
/// line), computed with the full JSON scanner alone: nodes in first-appearance order (the
/// host, then each name with a non-zero value or already known), or `None` where the read
/// must fail (the index of the first bad line).
fn scanner_rows(lines: &[(String, String)]) -> Result<(Vec<String>, Vec<Vec<u32>>), usize> {
    let mut nodes: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<(usize, u32)>> = Vec::new();
    for (index, (host, clock)) in lines.iter().enumerate() {
        if !nodes.contains(host) {
            nodes.push(host.clone());
        }
        let entries = causet_log::parse_clock_json(clock).map_err(|_| index)?;
        let mut row = Vec::new();
        for (name, value) in entries {
            let known = nodes.iter().position(|node| *node == name);
            let id = match known {
                Some(id) => id,
                None if value == 0 => continue,
                None => {
                    nodes.push(name);
                    nodes.len() - 1
                }
            };
            row.push((id, value));
        }
        rows.push(row);
    }
    let dense = rows
        .iter()
        .map(|row| {
            let mut dense = vec![0; nodes.len()];
            for &(id, value) in row {
                dense[id] = value;
            }
            dense
        })
        .collect();
    Ok((nodes, dense))
}

/// One clock spelling without its closing brace: keys (from a small set, sometimes repeated or escaped) with values of
/// 1 to 11 digits, and the separators varied the ways GoVector and hand-written logs vary.
fn clock_spelling() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let key = prop_oneof![
        8 => (0usize..5).prop_map(|k| format!("n{k}")),
        1 => Just("n\\u0031".to_string()),
        1 => Just("a-rather-long-node-name-of-forty-bytes-0".to_string()),
    ];
    let value = prop_oneof![
        6 => 0u64..100_000,
        1 => 9_999_990u64..10_000_010,
        1 => 4_294_967_290u64..4_294_967_300,
        1 => Just(12_345_678_901u64),
    ];
    let separator =
        prop_oneof![8 => Just(", "), 1 => Just(","), 1 => Just(" , "), 1 => Just(",  ")];
    (
        proptest::collection::vec((key, value, separator), 0..7),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(entries, spaced_colon)| {
            let colon = if spaced_colon { "\": " } else { "\":" };
            let mut text = String::from("{");
            for (k, (key, value, separator)) in entries.iter().enumerate() {
                if k > 0 {
                    text.push_str(separator);
                }
                text.push('"');
                text.push_str(key);
                text.push_str(colon);
                text.push_str(&value.to_string());
            }
            text
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// The reader's fast paths (the per-host layout template, the plain scanner) give the
    /// rows the full JSON scanner gives, and fail where it fails, on clocks that keep,
    /// change or break the previous layout of their host.
    #[test]
    fn fast_paths_agree_with_the_full_scanner(
        spellings in proptest::collection::vec(clock_spelling(), 1..6),
        picks in proptest::collection::vec(
            (
                0usize..3,
                0usize..6,
                proptest::collection::vec(0u64..1_000_000, 7),
                0usize..30,
                (0usize..10, 0usize..5),
                (0usize..30, 0usize..5),
            ),
            1..40,
        ),
    ) {
        const TAILS: [&str; 6] = [" }", "}x", ".5}", "} ,", "", "e1}"];
        // Reuse a few spellings with fresh digits, so that most lines keep their host's layout.
        let mut lines = Vec::new();
        // Non-digits in place of a value's last digit ('/' and ':' border the digits).
        const NOT_DIGITS: [char; 5] = ['x', ' ', '-', '/', ':'];
        for (host, spelling, values, tail, (from, to), (corrupt, with)) in &picks {
            let spelling = &spellings[spelling % spellings.len()];
            let mut values = values.iter();
            let mut clock = String::new();
            let mut rest = spelling.as_str();
            let mut entry = 0;
            // Replace each value after `":` (or `": `) by a fresh one, keeping its digit count
            // class (up to 6 digits) so that layouts repeat.
            while let Some(at) = rest.find("\":") {
                let (head, tail) = rest.split_at(at + 2);
                clock.push_str(head);
                let spaces = tail.len() - tail.trim_start_matches(' ').len();
                clock.push_str(&tail[..spaces]);
                let tail = &tail[spaces..];
                let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let mut value = if digits <= 6 {
                    values.next().copied().unwrap_or(7).to_string()
                } else {
                    tail[..digits].to_string()
                };
                if entry == *corrupt {
                    value.pop();
                    value.push(NOT_DIGITS[*with]);
                }
                entry += 1;
                clock.push_str(&value);
                rest = &tail[digits..];
            }
            clock.push_str(rest);
            // Sometimes a key renamed to one of the same length: same layout but for a name.
            let clock = clock.replacen(&format!("\"n{from}\""), &format!("\"n{to}\""), 1);
            let mut clock = clock;
            // Mostly the closing brace, sometimes a broken or spaced ending.
            clock.push_str(TAILS.get(*tail).copied().unwrap_or("}"));
            lines.push((format!("n{host}"), clock));
        }
        reader_agrees_with_scanner(&lines)?;
        // The lines before the first bad one read alone: every one of them is compared.
        if let Err(bad) = scanner_rows(&lines) {
            reader_agrees_with_scanner(&lines[..bad])?;
        }
    }
}

fn reader_agrees_with_scanner(
    lines: &[(String, String)],
) -> Result<(), proptest::test_runner::TestCaseError> {
    let text: String = lines
        .iter()
        .map(|(host, clock)| format!("{host} {clock}\nevent\n"))
        .collect();
    let read = parse_log(text.as_bytes(), &ReadOptions::default());
    match scanner_rows(lines) {
        Ok((nodes, rows)) => {
            let log = read
                .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e}\n{text}")))?;
            let Some(execution) = log.executions.first() else {
                proptest::prop_assert!(rows.is_empty());
                return Ok(());
            };
            proptest::prop_assert_eq!(execution.nodes(), &nodes[..], "{}", text);
            for (index, row) in rows.iter().enumerate() {
                proptest::prop_assert_eq!(execution.clock(index), &row[..], "{}", text);
            }
        }
        Err(bad) => {
            let error = read.err();
            proptest::prop_assert!(
                error.is_some(),
                "line {} should fail:\n{}",
                2 * bad + 1,
                text
            );
            proptest::prop_assert_eq!(error.and_then(|e| e.line), Some(2 * bad as u64 + 1));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- brute-force model

/// Causal histories as explicit sets, from the generated structure alone (no clocks).
struct Model {
    /// history[e] = the events that happen before e (e excluded).
    history: Vec<BTreeSet<usize>>,
    previous: Vec<Option<usize>>,
}

fn model(generated: &causet_log::Generated) -> Model {
    let mut history: Vec<BTreeSet<usize>> = Vec::new();
    let mut previous = Vec::new();
    let mut last_of_node: Vec<Option<usize>> = vec![None; generated.nodes.len()];
    for (index, event) in generated.events.iter().enumerate() {
        let mut set = BTreeSet::new();
        let before = last_of_node[event.node];
        if let Some(before) = before {
            set.insert(before);
            set.extend(history[before].iter().copied());
        }
        if let GeneratedKind::Receive { send } = event.kind {
            set.insert(send);
            set.extend(history[send].iter().copied());
        }
        history.push(set);
        previous.push(before);
        last_of_node[event.node] = Some(index);
    }
    Model { history, previous }
}

fn brute_order(model: &Model, a: usize, b: usize) -> Causality {
    if a == b {
        Causality::Equal
    } else if model.history[b].contains(&a) {
        Causality::Before
    } else if model.history[a].contains(&b) {
        Causality::After
    } else {
        Causality::Concurrent
    }
}

fn generated_log(options: &GenerateOptions) -> (causet_log::Generated, String) {
    let generated = generate(options);
    let mut text = Vec::new();
    write_log(&generated, &mut text).expect("writes to memory");
    (generated, String::from_utf8(text).expect("ASCII"))
}

#[test]
fn model_check_order_analyze_and_messages_agree_on_random_executions() {
    for seed in 0..60u64 {
        let options = GenerateOptions {
            events: 1 + (seed as usize * 7) % 70,
            nodes: 1 + (seed as usize) % 6,
            seed,
            send_probability: 0.2 + (seed % 5) as f64 * 0.1,
            receive_probability: 0.3,
        };
        let (generated, text) = generated_log(&options);
        let log = parse(&text);
        let execution = &log.executions[0];
        let model = model(&generated);
        let n = generated.events.len();
        assert_eq!(execution.len(), n, "seed {seed}");
        assert_eq!(execution.check(&strict()), Ok(()), "seed {seed}");
        assert_eq!(execution.check(&lenient()), Ok(()), "seed {seed}");
        let mut concurrent = 0u64;
        for a in 0..n {
            for b in 0..n {
                let expected = brute_order(&model, a, b);
                assert_eq!(execution.order(a, b), expected, "seed {seed}: {a} vs {b}");
                if a < b && expected == Causality::Concurrent {
                    concurrent += 1;
                }
            }
        }
        let summary = analyze(execution);
        assert_eq!(summary.concurrent_pairs, concurrent, "seed {seed}");
        assert_eq!(summary.events, n);
        // A message is visible in the clocks exactly when the receiver's node did not
        // already know the send.
        let expected_messages: Vec<(usize, usize)> = generated
            .events
            .iter()
            .enumerate()
            .filter_map(|(receive, event)| match event.kind {
                GeneratedKind::Receive { send } => {
                    let known = model.previous[receive]
                        .is_some_and(|p| p == send || model.history[p].contains(&send));
                    (!known).then_some((send, receive))
                }
                _ => None,
            })
            .collect();
        assert_eq!(execution.messages(), expected_messages, "seed {seed}");
        assert_eq!(summary.messages, expected_messages.len());
    }
}

#[test]
fn model_stamp_bytes_replay_the_visible_messages() {
    use causet_clock::differential::{InFlight, StampCost};
    use std::collections::HashMap;
    // Replay, straight from the generated structure, the messages the clocks show (see the
    // test above) on the clock crate's meter, with the execution's node numbering.
    for seed in 0..12u64 {
        let (generated, text) = generated_log(&GenerateOptions {
            events: 40 + seed as usize * 10,
            nodes: 2 + seed as usize % 5,
            seed: 2000 + seed,
            ..GenerateOptions::default()
        });
        let log = parse(&text);
        let execution = &log.executions[0];
        let model = model(&generated);
        let index_of = |node: usize| {
            execution
                .node_index(&generated.nodes[node])
                .expect("every node logs")
        };
        let visible = |receive: usize, send: usize| {
            !model.previous[receive].is_some_and(|p| p == send || model.history[p].contains(&send))
        };
        let mut meter = StampCost::new(execution.nodes().len());
        let mut in_flight: HashMap<usize, InFlight> = HashMap::new();
        let receiver_of: HashMap<usize, usize> = generated
            .events
            .iter()
            .enumerate()
            .filter_map(|(receive, event)| match event.kind {
                GeneratedKind::Receive { send } if visible(receive, send) => Some((send, receive)),
                _ => None,
            })
            .collect();
        for (index, event) in generated.events.iter().enumerate() {
            let node = index_of(event.node);
            match event.kind {
                GeneratedKind::Receive { send } if in_flight.contains_key(&send) => {
                    if let Some(message) = in_flight.remove(&send) {
                        meter.receive(message);
                    }
                }
                GeneratedKind::Send { to } if receiver_of.contains_key(&index) => {
                    in_flight.insert(index, meter.send(node, index_of(to)));
                }
                _ => meter.local(node),
            }
        }
        let totals = meter.totals();
        let bytes = causet_log::stamp_bytes(execution);
        assert_eq!(
            (bytes.full, bytes.differential),
            (totals.full_bytes, totals.differential_bytes),
            "seed {seed}"
        );
        assert_eq!(
            (bytes.knowledge, bytes.lower_bound),
            (totals.knowledge_bytes, totals.lower_bound_bytes),
            "seed {seed}"
        );
    }
}

#[test]
fn model_lenient_logs_with_holes_still_count_exactly() {
    // Drop every event whose index is ≡ 2 mod 5 (holes, sometimes whole nodes): the clocks
    // stay those of the real execution, so check --lenient passes and the counts over the
    // remaining events match the model.
    for seed in 0..25u64 {
        let options = GenerateOptions {
            events: 10 + seed as usize * 3,
            nodes: 2 + seed as usize % 4,
            seed: 1000 + seed,
            ..GenerateOptions::default()
        };
        let (generated, text) = generated_log(&options);
        let lines: Vec<&str> = text.lines().collect();
        let kept: Vec<usize> = (0..generated.events.len()).filter(|e| e % 5 != 2).collect();
        let mut holed = String::new();
        for &e in &kept {
            holed.push_str(lines[2 * e]);
            holed.push('\n');
            holed.push_str(lines[2 * e + 1]);
            holed.push('\n');
        }
        let log = parse(&holed);
        let execution = &log.executions[0];
        assert_eq!(execution.check(&lenient()), Ok(()), "seed {seed}");
        let model = model(&generated);
        let mut concurrent = 0;
        for (i, &a) in kept.iter().enumerate() {
            for (j, &b) in kept.iter().enumerate() {
                let expected = brute_order(&model, a, b);
                assert_eq!(execution.order(i, j), expected, "seed {seed}");
                if i < j && expected == Causality::Concurrent {
                    concurrent += 1;
                }
            }
        }
        assert_eq!(execution.concurrent_pairs(), concurrent, "seed {seed}");
    }
}

#[test]
fn messages_found_by_check_equal_messages_found_without_it() {
    // A strict check that passes keeps the messages it finds for `messages` and `analyze`;
    // they must be those found from the clocks alone, in causal and in concatenated files.
    for seed in 0..20u64 {
        let (generated, text) = generated_log(&GenerateOptions {
            events: 40 + seed as usize * 5,
            nodes: 2 + seed as usize % 5,
            seed: 900 + seed,
            ..GenerateOptions::default()
        });
        let lines: Vec<&str> = text.lines().collect();
        let mut grouped = String::new();
        for node in 0..generated.nodes.len() {
            for (index, event) in generated.events.iter().enumerate() {
                if event.node == node {
                    grouped.push_str(&format!("{}\n{}\n", lines[2 * index], lines[2 * index + 1]));
                }
            }
        }
        for text in [&text, &grouped] {
            let (unchecked, checked) = (parse(text), parse(text));
            let (unchecked, checked) = (&unchecked.executions[0], &checked.executions[0]);
            let found = unchecked.messages();
            assert_eq!(checked.check(&strict()), Ok(()), "seed {seed}");
            assert_eq!(checked.messages(), found, "seed {seed}");
            assert_eq!(analyze(checked), analyze(unchecked), "seed {seed}");
        }
    }
}

#[test]
fn check_around_64_nodes_finds_the_messages_and_the_wrong_entry() {
    // Up to 64 nodes, check finds the grown entries of a clock as a bit set; beyond, by a
    // scan: both must pass valid logs with the messages found from the clocks alone, and
    // name the line of a wrong entry.
    for nodes in [63, 64, 65, 80] {
        let (_, text) = generated_log(&GenerateOptions {
            events: 500,
            nodes,
            seed: 77,
            send_probability: 0.4,
            receive_probability: 0.4,
        });
        let (unchecked, checked) = (parse(&text), parse(&text));
        let (unchecked, checked) = (&unchecked.executions[0], &checked.executions[0]);
        assert_eq!(checked.check(&strict()), Ok(()), "{nodes} nodes");
        assert_eq!(checked.messages(), unchecked.messages(), "{nodes} nodes");
        // Raise the last node's entry in the last clock that has it but was not logged by
        // it: that clock is no longer the merge of its predecessor and what it references
        // (or references an event not logged).
        let last = format!("\"node{:02}\":", nodes - 1);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let index = (0..lines.len())
            .step_by(2)
            .rev()
            .find(|&k| {
                lines[k].contains(&last) && !lines[k].starts_with(&format!("node{:02} ", nodes - 1))
            })
            .expect("a clock that knows the last node");
        let line = lines[index].clone();
        let at = line.find(&last).expect("entry") + last.len();
        let digits = line[at..].chars().take_while(char::is_ascii_digit).count();
        let value: u32 = line[at..at + digits].parse().expect("value");
        lines[index] = format!("{}{}{}", &line[..at], value + 1, &line[at + digits..]);
        let mutated = lines.join("\n") + "\n";
        let violation = violation(&mutated);
        assert_eq!(
            violation.line,
            index as u64 + 1,
            "{nodes} nodes: {violation}"
        );
    }
}

#[test]
fn per_node_concatenated_logs_analyze_like_the_causal_file() {
    // GoVector writes one file per process; ShiViz users concatenate them. The file is then
    // not in causal order, and everything must come out the same.
    for seed in 0..8 {
        let (generated, text) = generated_log(&GenerateOptions {
            events: 150,
            nodes: 4,
            seed: 500 + seed,
            ..GenerateOptions::default()
        });
        let lines: Vec<&str> = text.lines().collect();
        let mut grouped = String::new();
        for node in 0..generated.nodes.len() {
            for (index, event) in generated.events.iter().enumerate() {
                if event.node == node {
                    grouped.push_str(&format!("{}\n{}\n", lines[2 * index], lines[2 * index + 1]));
                }
            }
        }
        let causal = parse(&text);
        let concatenated = parse(&grouped);
        let (a, b) = (&causal.executions[0], &concatenated.executions[0]);
        assert_eq!(b.check(&strict()), Ok(()), "seed {seed}");
        let (summary_a, summary_b) = (analyze(a), analyze(b));
        assert_eq!(summary_a.concurrent_pairs, summary_b.concurrent_pairs);
        assert_eq!(summary_a.messages, summary_b.messages);
        // (Stamp sizes depend on the node numbering, which differs between the two files.)
        assert!(summary_b.stamp_bytes.full > 0 && summary_b.stamp_bytes.differential > 0);
        let ids = |execution: &causet_log::Execution| -> BTreeSet<(String, String)> {
            execution
                .messages()
                .into_iter()
                .map(|(send, receive)| {
                    (
                        execution.display_id(execution.id_of(send)),
                        execution.display_id(execution.id_of(receive)),
                    )
                })
                .collect()
        };
        assert_eq!(ids(a), ids(b), "seed {seed}");
    }
}

// ---------------------------------------------------------------- mutated logs

/// A generated log as (clock line, text line) pairs.
fn entries(seed: u64) -> (causet_log::Generated, Vec<(String, String)>) {
    let (generated, text) = generated_log(&GenerateOptions {
        events: 60,
        nodes: 4,
        seed,
        send_probability: 0.4,
        receive_probability: 0.4,
    });
    let lines: Vec<&str> = text.lines().collect();
    let pairs = lines
        .chunks(2)
        .map(|pair| (pair[0].to_string(), pair[1].to_string()))
        .collect();
    (generated, pairs)
}

fn join(entries: &[(String, String)]) -> String {
    entries
        .iter()
        .map(|(clock, text)| format!("{clock}\n{text}\n"))
        .collect()
}

fn violation(text: &str) -> causet_log::Violation {
    parse(text).executions[0]
        .check(&strict())
        .expect_err("the mutated log is invalid")
}

/// Line of entry `index` (two lines per entry).
fn line_of(index: usize) -> u64 {
    2 * index as u64 + 1
}

#[test]
fn mutation_wrong_entry_fails_at_its_line() {
    for seed in 0..10 {
        let (_, mut pairs) = entries(seed);
        let log = parse(&join(&pairs));
        let execution = &log.executions[0];
        // An event whose predecessor knows another node: lower that entry below it.
        let previous = execution_previous(execution);
        let Some((index, node)) = (0..execution.len()).find_map(|e| {
            let p = previous[e]?;
            let own = execution.node_of(e);
            (0..execution.nodes().len())
                .find(|&k| k != own && execution.clock(p)[k] > 0)
                .map(|k| (e, k))
        }) else {
            continue;
        };
        let name = &execution.nodes()[node];
        let value = execution.clock(index)[node];
        let from = format!("\"{name}\":{value}");
        let to = format!("\"{name}\":{}", value - 1);
        pairs[index].0 = pairs[index].0.replace(&from, &to);
        let found = violation(&join(&pairs));
        assert_eq!(found.line, line_of(index), "seed {seed}: {found}");
        assert!(
            matches!(found.kind, ViolationKind::Inconsistent { .. }),
            "seed {seed}: {found}"
        );
    }
}

fn execution_previous(execution: &Execution) -> Vec<Option<usize>> {
    let mut previous = vec![None; execution.len()];
    for node in 0..execution.nodes().len() {
        let events: Vec<usize> = execution.events_of(node).collect();
        for pair in events.windows(2) {
            previous[pair[1]] = Some(pair[0]);
        }
    }
    previous
}

#[test]
fn mutation_missing_event_fails_at_the_next_event_of_its_node() {
    for seed in 0..10 {
        let (generated, mut pairs) = entries(seed);
        // An event that has a later event on its node.
        let Some(removed) = (0..generated.events.len()).find(|&e| {
            generated.events[e + 1..]
                .iter()
                .any(|later| later.node == generated.events[e].node)
        }) else {
            continue;
        };
        let successor = (removed + 1..generated.events.len())
            .find(|&e| generated.events[e].node == generated.events[removed].node)
            .expect("exists");
        pairs.remove(removed);
        let found = violation(&join(&pairs));
        // Entries after the removed one moved up by one.
        assert_eq!(found.line, line_of(successor - 1), "seed {seed}: {found}");
        assert!(
            matches!(found.kind, ViolationKind::Gap { .. }),
            "seed {seed}: {found}"
        );
        // Lenient mode accepts the hole.
        assert_eq!(parse(&join(&pairs)).executions[0].check(&lenient()), Ok(()));
    }
}

#[test]
fn mutation_unknown_node_fails_strict_and_passes_lenient() {
    for seed in 0..5 {
        let (_, mut pairs) = entries(seed);
        let index = 7 + seed as usize;
        // From that event on, every clock knows ghost:3 (so clocks stay monotone).
        for pair in &mut pairs[index..] {
            pair.0 = pair.0.replacen('{', "{\"ghost\":3, ", 1);
        }
        let text = join(&pairs);
        let found = violation(&text);
        assert_eq!(found.line, line_of(index), "seed {seed}: {found}");
        assert!(
            matches!(&found.kind, ViolationKind::UnknownNode { node, .. } if node == "ghost"),
            "{found}"
        );
        assert_eq!(parse(&text).executions[0].check(&lenient()), Ok(()));
    }
}

#[test]
fn mutation_broken_json_fails_to_read_at_its_line() {
    for (seed, damage) in [(0, ("\":", "\" ")), (1, ("}", "")), (2, (", ", ",, "))] {
        let (_, mut pairs) = entries(seed);
        let index = 11 + seed as usize;
        pairs[index].0 = pairs[index].0.replacen(damage.0, damage.1, 1);
        let error = parse_log(join(&pairs).as_bytes(), &ReadOptions::default());
        let error = error.expect_err("broken JSON");
        assert_eq!(error.line, Some(line_of(index)), "{error}");
    }
}

#[test]
fn mutation_cycle_fails_at_the_earlier_event() {
    // Hand-made: a:1 references b:1, which references a:1.
    let found = violation("a {\"a\":1, \"b\":1}\nx\nb {\"a\":1, \"b\":1}\ny\n");
    assert_eq!(found.line, 1);
    assert!(matches!(found.kind, ViolationKind::Cycle { .. }), "{found}");
    assert!(
        parse("a {\"a\":1, \"b\":1}\nx\nb {\"a\":1, \"b\":1}\ny\n").executions[0]
            .check(&lenient())
            .is_err()
    );
    // Random: make an event reference a later event that already knows it.
    let mut checked = 0;
    for seed in 0..10 {
        let (generated, mut pairs) = entries(seed);
        let model = model(&generated);
        let Some((x, y)) = (0..generated.events.len()).find_map(|x| {
            (x + 1..generated.events.len())
                .find(|&y| {
                    generated.events[y].node != generated.events[x].node
                        && model.history[y].contains(&x)
                })
                .map(|y| (x, y))
        }) else {
            continue;
        };
        let log = parse(&join(&pairs));
        let execution = &log.executions[0];
        let y_node = execution.node_of(y);
        let name = execution.nodes()[y_node].clone();
        let y_own = execution.clock(y)[y_node];
        let x_value = execution.clock(x)[y_node];
        pairs[x].0 = if x_value == 0 {
            pairs[x]
                .0
                .replacen('{', &format!("{{\"{name}\":{y_own}, "), 1)
        } else {
            pairs[x].0.replace(
                &format!("\"{name}\":{x_value}"),
                &format!("\"{name}\":{y_own}"),
            )
        };
        let found = violation(&join(&pairs));
        assert_eq!(found.line, line_of(x), "seed {seed}: {found}");
        assert!(
            matches!(found.kind, ViolationKind::Cycle { .. }),
            "seed {seed}: {found}"
        );
        checked += 1;
    }
    assert!(checked >= 5);
}

#[test]
fn lenient_check_finds_cycles_through_holes() {
    // a:1 knows b:2 and b:1 knows a:2; neither b:2 nor a:2 is logged, yet b:1 → b:2 → a:1
    // and a:1 → a:2 → b:1: a cycle, which would make a:1 and b:1 each before the other.
    let log = parse("a {\"a\":1, \"b\":2}\nx\nb {\"a\":2, \"b\":1}\ny\n");
    let found = log.executions[0]
        .check(&lenient())
        .expect_err("a cycle through holes");
    assert!(matches!(found.kind, ViolationKind::Cycle { .. }), "{found}");
    assert_eq!(found.line, 1);
}

#[test]
fn duplicate_and_missing_own_entry() {
    let found = violation("a {\"a\":1}\nx\na {\"a\":1}\ny\n");
    assert_eq!(found.line, 3);
    assert!(matches!(
        found.kind,
        ViolationKind::Duplicate { first_line: 1, .. }
    ));
    let found = violation("a {\"a\":1}\nx\nb {\"a\":1}\ny\n");
    assert_eq!(found.line, 3);
    assert!(matches!(found.kind, ViolationKind::MissingOwnEntry { .. }));
}

// ---------------------------------------------------------------- peer data

/// Reads a peer file with a regex and delimiter; checks it and returns (events, hosts,
/// executions).
fn conformance(path: &Path, regex: Option<&str>, delimiter: Option<&str>) -> (usize, usize, usize) {
    let options = ReadOptions {
        regex: regex.map(str::to_string),
        delimiter: delimiter.map(str::to_string),
        strict: false,
    };
    let log = read_log(path, &options).unwrap_or_else(|e| panic!("{e}"));
    let mut hosts = BTreeSet::new();
    for execution in &log.executions {
        if let Err(violation) = execution.check(&strict()) {
            panic!("{}:{violation}", path.display());
        }
        for event in execution.events() {
            hosts.insert(execution.nodes()[event.node].clone());
        }
        // Every pair agrees between order and the count.
        let summary = analyze(execution);
        if execution.len() <= 700 {
            let mut concurrent = 0;
            for a in 0..execution.len() {
                for b in a + 1..execution.len() {
                    if execution.order(a, b) == Causality::Concurrent {
                        concurrent += 1;
                    }
                }
            }
            assert_eq!(summary.concurrent_pairs, concurrent, "{}", path.display());
        }
    }
    (log.event_count(), hosts.len(), log.executions.len())
}

const FACEBOOK: &str = r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4} (\d{2}:){2}\d{2} (AM|PM)) (?<action>(INFO|GET|POST)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";
const DELIMITER: &str = r"^=== (?<trace>.*) ===$";

#[test]
fn peer_data_shiviz_examples_pass_check_with_their_counts() {
    let Some(dir) = peer_data("peer_data_shiviz_examples_pass_check_with_their_counts") else {
        return;
    };
    let shiviz = dir.join("shiviz");
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, (usize, usize, usize));
    let cases: [Case<'_>; 8] = [
        ("facebook.log", FACEBOOK, None, (47, 4, 1)),
        (
            "facebook-multiple.log",
            FACEBOOK,
            Some(DELIMITER),
            (88, 4, 2),
        ),
        (
            "multiple-comparison.log",
            FACEBOOK,
            Some(DELIMITER),
            (40, 3, 5),
        ),
        (
            "simple-reliable-broadcast.log",
            r"\[\w+\] \[(?<date>([^ ]+ [^ ]+))\] [^ ]+ \[akka://Broadcast/user/(?<host>\w+)\] (?<clock>.*\}) (?<event>.*)",
            None,
            (39, 3, 1),
        ),
        (
            "chord.log",
            r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)",
            None,
            (1235, 8, 1),
        ),
        (
            "voldemort-simple-threadnames.log",
            r"\[(?<date>\d{4}-\d{2}-\d{2} (\d{2}:){2}\d{2},\d{3}) (?<path>\S*)\] (?<priority>(INFO|WARN)) (?<event>.*)\n(?<host>\S*) (?<clock>{.*})",
            None,
            (863, 19, 1),
        ),
        (
            "simpledb.log",
            r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})",
            None,
            (509, 5, 1),
        ),
        (
            "ewd998.log",
            r#"^State [0-9]+: <(?<event>\w*) .*>\n\/\\ Host = (?<host>.*)\n\/\\ Clock = "(?<clock>.*)"\n\/\\ active = (?<active>.*)\n\/\\ color = (?<color>.*)\n\/\\ counter = (?<counter>.*)"#,
            Some(DELIMITER),
            (990, 7, 3),
        ),
    ];
    for (file, regex, delimiter, expected) in cases {
        let counts = conformance(&shiviz.join(file), Some(regex), delimiter);
        assert_eq!(counts, expected, "{file}");
    }
    // The default GoVector layout reads chord.log without a regex too.
    assert_eq!(
        conformance(&shiviz.join("chord.log"), None, None),
        (1235, 8, 1)
    );
}

#[test]
fn peer_data_tsviz_and_govector_files() {
    let Some(dir) = peer_data("peer_data_tsviz_and_govector_files") else {
        return;
    };
    let tsviz = r"(?<timestamp>(\d*)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";
    let fslock = dir.join("tsviz/tsviz_fslock_24t_4sp.log");
    assert_eq!(conformance(&fslock, Some(tsviz), None), (2001, 30, 1));
    let shared = dir.join("tsviz/tsviz_shared_var_4_threads.log");
    assert_eq!(conformance(&shared, Some(tsviz), None), (5000, 4, 1));
    // Upload files: the header is detected.
    let govector = dir.join("govector");
    assert_eq!(
        conformance(&govector.join("RpcClientServer.log"), None, None),
        (10, 2, 1)
    );
    assert_eq!(
        conformance(&govector.join("shiviz_all_services.log"), None, None),
        (107, 2, 1)
    );
    let all = read_log(
        &govector.join("shiviz_all_services.log"),
        &ReadOptions::default(),
    )
    .expect("reads");
    assert!(all.unmatched.is_empty(), "{:?}", all.unmatched);
    assert!(
        all.executions[0]
            .events()
            .any(|e| e.priority() == Some("INFO"))
    );
    assert_eq!(
        conformance(&dir.join("cvector/basiclog.shiviz"), None, None),
        (4, 1, 1)
    );
    // A raw per-process GoVector log references the other process's events, which are in
    // the other file: strict check names the first such line, lenient accepts it.
    for file in [
        "leaf_process.goveclogger-Log.txt",
        "nonleaf_process.goveclogger-Log.txt",
    ] {
        let log = read_log(&govector.join(file), &ReadOptions::default()).expect("reads");
        let execution = &log.executions[0];
        assert_eq!(execution.check(&lenient()), Ok(()), "{file}");
        let violation = execution
            .check(&strict())
            .expect_err("other process missing");
        assert!(
            matches!(violation.kind, ViolationKind::UnknownNode { .. }),
            "{violation}"
        );
    }
}

#[test]
fn peer_data_cppvector_unquoted_keys_fail_clearly() {
    let Some(dir) = peer_data("peer_data_cppvector_unquoted_keys_fail_clearly") else {
        return;
    };
    let path = dir.join("cppvector/logFile");
    let error = read_log(&path, &ReadOptions::default()).expect_err("not JSON");
    let message = error.to_string();
    assert!(
        message.ends_with(
            "logFile:1: invalid clock: expected a quoted node name (JSON keys must be in double \
             quotes) at column 2: 'myPID {myPID: 1}'"
        ),
        "{message}"
    );
}
