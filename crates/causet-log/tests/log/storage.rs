//! The two clock forms (dense rows, changes with snapshots) answer alike: every entry of
//! every clock against a dense model built here from the log text alone, and check, lenient
//! check, messages, concurrent pairs, analyze and order against the dense form, on random
//! logs valid and broken, at node counts from 1 to 300, with gaps, shuffles and several
//! executions.

use std::collections::HashMap;

use causet_log::{
    CheckOptions, ClockStorage, Execution, GenerateOptions, Log, ReadOptions, analyze,
    generate_log, parse_log, set_clock_storage,
};
use proptest::prelude::*;

/// `text` read with clocks stored as `storage`.
pub(crate) fn read_as(text: &str, options: &ReadOptions, storage: ClockStorage) -> Log {
    set_clock_storage(storage);
    let log = parse_log(text.as_bytes(), options);
    set_clock_storage(ClockStorage::Auto);
    log.unwrap_or_else(|error| panic!("{error}\n{text}"))
}

/// One execution of the model: per event, its host and its clock by name.
type ModelExecution = Vec<(String, HashMap<String, u32>)>;

/// Per execution, per event: host and clock as name → value, from a GoVector text (clock
/// line, then text line), split into executions at `=== name ===` lines; `None` for text
/// of any other shape (the model is only built for logs written here).
fn dense_model(text: &str) -> Option<Vec<ModelExecution>> {
    let mut executions = vec![Vec::new()];
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("=== ") {
            if !executions.last().is_some_and(Vec::is_empty) {
                executions.push(Vec::new());
            }
            continue;
        }
        let (host, clock) = line.split_once(' ')?;
        let _text = lines.next();
        let map: HashMap<String, u32> = serde_json::from_str(clock).ok()?;
        if host.is_empty() || host.contains(char::is_whitespace) {
            return None;
        }
        executions.last_mut()?.push((host.to_string(), map));
    }
    executions.retain(|execution| !execution.is_empty());
    Some(executions)
}

/// Every answer of `a` and `b` (the same log read two ways) is the same.
fn same_answers(a: &Execution, b: &Execution, what: &str) {
    assert_eq!(a.nodes(), b.nodes(), "{what}");
    assert_eq!(a.len(), b.len(), "{what}");
    let width = a.nodes().len();
    let mut dense = Vec::new();
    for index in 0..a.len() {
        let (x, y) = (a.clock(index), b.clock(index));
        assert_eq!(x.to_vec(), y.to_vec(), "{what}: clock of event {index}");
        y.to_dense(&mut dense);
        assert_eq!(x, dense, "{what}: to_dense of event {index}");
        assert_eq!(x.sum(), y.sum(), "{what}");
        assert_eq!(x.own(), y.own(), "{what}");
        assert_eq!(
            x.nonzero().collect::<Vec<_>>(),
            y.nonzero().collect::<Vec<_>>(),
            "{what}"
        );
        for node in 0..=width {
            assert_eq!(
                x.get(node),
                y.get(node),
                "{what}: entry {node} of event {index}"
            );
        }
        assert_eq!(a.id_of(index), b.id_of(index), "{what}");
    }
    // Changes from each node's previous event in file order, against the dense clocks.
    let (ta, tb) = (a.clock_table(), b.clock_table());
    let (mut ca, mut cb) = (Vec::new(), Vec::new());
    let mut last: HashMap<usize, Vec<u32>> = HashMap::new();
    for index in 0..a.len() {
        ta.changes_into(index, &mut ca);
        tb.changes_into(index, &mut cb);
        assert_eq!(ca, cb, "{what}: changes of event {index}");
        let clock = a.clock(index).to_vec();
        let before = last
            .insert(a.node_of(index), clock.clone())
            .unwrap_or_else(|| vec![0; width]);
        let expected: Vec<(u32, u32)> = (0..width)
            .filter(|&k| clock[k] != before[k])
            .map(|k| (k as u32, clock[k]))
            .collect();
        assert_eq!(ca, expected, "{what}: changes of event {index}");
    }
    assert_eq!(ta.grows_along_nodes(), tb.grows_along_nodes(), "{what}");
    // Messages before any check (nothing cached), then the checks, then messages again
    // (cached by a strict check that passed, or found with the reduction's shortcut after a
    // lenient one).
    assert_eq!(a.messages(), b.messages(), "{what}: messages before check");
    assert_eq!(
        a.concurrent_pairs(),
        b.concurrent_pairs(),
        "{what}: concurrent pairs"
    );
    let lenient = CheckOptions { lenient: true };
    assert_eq!(
        a.check(&lenient),
        b.check(&lenient),
        "{what}: lenient check"
    );
    assert_eq!(a.messages(), b.messages(), "{what}: messages after lenient");
    assert_eq!(
        a.check(&CheckOptions::default()),
        b.check(&CheckOptions::default()),
        "{what}: strict check"
    );
    assert_eq!(a.messages(), b.messages(), "{what}: messages after check");
    assert_eq!(analyze(a), analyze(b), "{what}: analyze");
    let n = a.len();
    let step = (n / 23).max(1);
    for x in (0..n).step_by(step) {
        for y in (0..n).step_by(step) {
            assert_eq!(a.order(x, y), b.order(x, y), "{what}: order {x} {y}");
        }
    }
    for node in 0..width {
        assert_eq!(
            a.events_of(node).collect::<Vec<_>>(),
            b.events_of(node).collect::<Vec<_>>()
        );
    }
}

/// Reads `text` dense, as changes and automatically; checks every entry against the model
/// (GoVector layout only) and every answer against the dense read's.
pub(crate) fn check_storage(text: &str, options: &ReadOptions, what: &str) {
    let dense = read_as(text, options, ClockStorage::Dense);
    let changes = read_as(text, options, ClockStorage::Changes);
    let auto = read_as(text, options, ClockStorage::Auto);
    assert_eq!(dense.executions.len(), changes.executions.len(), "{what}");
    if options.regex.is_none()
        && let Some(model) = dense_model(text)
    {
        assert_eq!(model.len(), changes.executions.len(), "{what}");
        for (execution, events) in changes.executions.iter().zip(&model) {
            assert!(!execution.clock_table().is_dense() || execution.is_empty());
            assert_eq!(execution.len(), events.len(), "{what}");
            for (index, (host, clock)) in events.iter().enumerate() {
                let event = execution.event(index).expect("event");
                assert_eq!(&execution.nodes()[event.node], host, "{what}");
                for (node, name) in execution.nodes().iter().enumerate() {
                    let expected = clock.get(name).copied().unwrap_or(0);
                    assert_eq!(
                        event.clock.get(node),
                        expected,
                        "{what}: event {index}, entry {name}"
                    );
                }
                // No entry beyond the names of the clock (and the host).
                let nonzero = event.clock.nonzero().count();
                assert_eq!(
                    nonzero,
                    clock.values().filter(|&&v| v != 0).count(),
                    "{what}: event {index}"
                );
            }
        }
    }
    for ((d, c), a) in dense
        .executions
        .iter()
        .zip(&changes.executions)
        .zip(&auto.executions)
    {
        assert!(d.clock_table().is_dense());
        same_answers(d, c, what);
        same_answers(d, a, what);
    }
}

/// A generated log as (clock line, text line) pairs.
fn pairs(options: &GenerateOptions) -> Vec<(String, String)> {
    let text = generate_log(options);
    let lines: Vec<&str> = text.lines().collect();
    lines
        .chunks(2)
        .map(|pair| (pair[0].to_string(), pair[1].to_string()))
        .collect()
}

fn join(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(clock, text)| format!("{clock}\n{text}\n"))
        .collect()
}

/// What to do to a valid log.
#[derive(Debug, Clone)]
enum Mutation {
    /// Drop an entry (a hole).
    Drop(usize),
    /// Swap two entries (maybe of one node: out of own-entry order).
    Swap(usize, usize),
    /// Add `delta` to the value of the `k`-th key of an entry's clock (maybe to 0).
    Bump(usize, usize, i64),
    /// Add a key for a node that logs nothing.
    Unknown(usize),
    /// Log an entry twice.
    Duplicate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Drop),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (any::<usize>(), any::<usize>(), -3i64..4).prop_map(|(e, k, d)| Mutation::Bump(e, k, d)),
        any::<usize>().prop_map(Mutation::Unknown),
        any::<usize>().prop_map(Mutation::Duplicate),
    ]
}

fn apply(pairs: &mut Vec<(String, String)>, mutation: &Mutation) {
    if pairs.is_empty() {
        return;
    }
    let n = pairs.len();
    match *mutation {
        Mutation::Drop(e) => {
            pairs.remove(e % n);
        }
        Mutation::Swap(a, b) => pairs.swap(a % n, b % n),
        Mutation::Duplicate(e) => {
            let entry = pairs[e % n].clone();
            pairs.insert(e % n + 1, entry);
        }
        Mutation::Unknown(e) => {
            let clock = &mut pairs[e % n].0;
            // (Once: a second one on the same entry would be a duplicate key, which no
            // reader accepts, so the log would not read at all.)
            if !clock.contains("\"ghost\"") {
                clock.pop();
                clock.push_str(", \"ghost\":2}");
            }
        }
        Mutation::Bump(e, k, delta) => {
            let (host, clock) = pairs[e % n].0.split_once(' ').expect("clock line");
            let mut map: Vec<(String, i64)> = clock
                .trim_matches(|c| c == '{' || c == '}')
                .split(", ")
                .map(|entry| {
                    let (name, value) = entry.split_once(':').expect("entry");
                    (name.to_string(), value.parse().expect("value"))
                })
                .collect();
            let k = k % map.len();
            map[k].1 = (map[k].1 + delta).max(0);
            let body: Vec<String> = map
                .iter()
                .map(|(name, value)| format!("{name}:{value}"))
                .collect();
            pairs[e % n].0 = format!("{host} {{{}}}", body.join(", "));
        }
    }
}

/// The node counts the tests cover: one, a few, around the 64-node bit-set limit of the
/// dense check, and wide.
const NODES: [usize; 9] = [1, 2, 3, 5, 17, 64, 65, 130, 300];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn both_forms_answer_like_a_dense_model(
        seed in 0u64..1_000_000,
        nodes in 0usize..NODES.len(),
        events in 0usize..400,
        send in 0.0f64..0.6,
        mutations in proptest::collection::vec(mutation(), 0..3),
    ) {
        let options = GenerateOptions {
            events,
            nodes: NODES[nodes],
            seed,
            send_probability: send,
            receive_probability: 0.3,
        };
        let mut entries = pairs(&options);
        for mutation in &mutations {
            apply(&mut entries, mutation);
        }
        check_storage(&join(&entries), &ReadOptions::default(), &format!("{options:?} {mutations:?}"));
    }

    /// Clocks drawn at random (mostly not valid: entries that go down or vanish, gaps,
    /// references to nothing), so that every check's first violation is compared.
    #[test]
    fn random_clocks_answer_alike(
        seed in 0u64..1_000_000,
        nodes in 1usize..40,
        rows in proptest::collection::vec(
            (any::<u16>(), proptest::collection::vec((any::<u16>(), 0u32..6), 0..8)),
            0..120,
        ),
    ) {
        let mut text = String::new();
        let mut own = vec![0u32; nodes];
        for (host, entries) in &rows {
            let host = *host as usize % nodes;
            own[host] += 1 + u32::from(seed.is_multiple_of(7) && host.is_multiple_of(3));
            let mut clock: Vec<(usize, u32)> = vec![(host, own[host])];
            for &(node, value) in entries {
                let node = node as usize % nodes;
                if !clock.iter().any(|&(k, _)| k == node) {
                    clock.push((node, value));
                }
            }
            let body: Vec<String> = clock
                .iter()
                .map(|(node, value)| format!("\"n{node}\":{value}"))
                .collect();
            text.push_str(&format!("n{host} {{{}}}\nevent\n", body.join(", ")));
        }
        check_storage(&text, &ReadOptions::default(), &format!("seed {seed}"));
    }
}

#[test]
fn concatenated_node_logs_and_several_executions() {
    for (k, &nodes) in NODES.iter().enumerate() {
        let options = GenerateOptions {
            events: 300,
            nodes,
            seed: 70 + k as u64,
            ..GenerateOptions::default()
        };
        let entries = pairs(&options);
        // Per-node files concatenated: each node in order, the file not causal.
        let mut grouped: Vec<(String, String)> = Vec::new();
        let mut hosts: Vec<&str> = entries
            .iter()
            .map(|(clock, _)| clock.split_once(' ').expect("host").0)
            .collect();
        hosts.sort_unstable();
        hosts.dedup();
        for host in hosts {
            grouped.extend(
                entries
                    .iter()
                    .filter(|(clock, _)| clock.starts_with(&format!("{host} ")))
                    .cloned(),
            );
        }
        check_storage(
            &join(&grouped),
            &ReadOptions::default(),
            &format!("grouped {nodes}"),
        );
        // Three executions of the ShiViz layout (text line first) with a delimiter.
        let mut shiviz = String::new();
        for (index, (clock, text)) in entries.iter().enumerate() {
            if index % 100 == 0 {
                shiviz.push_str(&format!("=== run {} ===\n", index / 100));
            }
            shiviz.push_str(&format!("{text}\n{clock}\n"));
        }
        let options = ReadOptions {
            regex: Some(r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})".to_string()),
            delimiter: Some(r"^=== (?<trace>.*) ===$".to_string()),
            strict: false,
        };
        check_storage(&shiviz, &options, &format!("shiviz {nodes}"));
    }
}

#[test]
fn automatic_storage_moves_to_changes_when_dense_rows_would_outgrow_the_text() {
    // 400 nodes, 6,000 events: 2.4 M dense counters, past the 1 M always allowed, while the
    // clocks are still short (each node logged 15 events): the read moves to changes
    // half-way, and every answer stays the dense one.
    let text = generate_log(&GenerateOptions {
        events: 6_000,
        nodes: 400,
        seed: 3,
        ..GenerateOptions::default()
    });
    let auto = read_as(&text, &ReadOptions::default(), ClockStorage::Auto);
    let table = auto.executions[0].clock_table();
    assert!(!table.is_dense(), "6,000 x 400 is stored as changes");
    let dense = read_as(&text, &ReadOptions::default(), ClockStorage::Dense);
    assert!(
        table.heap_bytes() * 4 < dense.executions[0].clock_table().heap_bytes(),
        "changes {} B, dense {} B",
        table.heap_bytes(),
        dense.executions[0].clock_table().heap_bytes()
    );
    same_answers(&dense.executions[0], &auto.executions[0], "6000x400");
    // 16 nodes: dense rows are small beside the text, and stay.
    let text = generate_log(&GenerateOptions {
        events: 20_000,
        nodes: 16,
        seed: 3,
        ..GenerateOptions::default()
    });
    let auto = read_as(&text, &ReadOptions::default(), ClockStorage::Auto);
    assert!(auto.executions[0].clock_table().is_dense());
}
