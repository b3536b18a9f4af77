//! Data races in STD traces: every engine against a brute-force model built from explicit
//! happens-before histories, the peer traces, the dialects and the ill-formed traces.

use causet_trace::races::generate::{TraceShape, generate};
use causet_trace::races::{
    Engine, RaceOptions, RaceReport, StdReader, TraceError, TraceErrorKind, detect_races,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::util::peer_data;

fn run(text: &str, engine: Engine, list: usize) -> Result<RaceReport, TraceError> {
    detect_races(
        text.as_bytes(),
        "t.std",
        &RaceOptions::new(engine).with_list(list),
    )
}

/// Runs every engine and checks that they agree on everything, witnesses included.
fn run_all(text: &str, list: usize) -> RaceReport {
    let reports: Vec<RaceReport> = Engine::ALL
        .iter()
        .map(|&engine| run(text, engine, list).unwrap_or_else(|e| panic!("{engine}: {e}")))
        .collect();
    for (engine, report) in Engine::ALL.iter().zip(&reports) {
        assert_eq!(report, &reports[0], "{engine} differs from vc on\n{text}");
    }
    reports.into_iter().next().expect("three engines")
}

// ---------------------------------------------------------------------------------------
// The brute-force model: explicit happens-before pasts as bit sets (traces of <= 64 events).

#[derive(Debug, Clone)]
struct ModelEvent {
    thread: String,
    op: String,
    operand: String,
    location: String,
}

fn canonical_thread(name: &str) -> String {
    if name.bytes().all(|b| b.is_ascii_digit()) {
        format!("T{name}")
    } else {
        name.to_string()
    }
}

fn parse_model(text: &str) -> Vec<ModelEvent> {
    text.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('|').collect();
            let (op, rest) = fields[1].split_once('(').expect("op(operand)");
            let operand = rest.strip_suffix(')').expect("closing paren");
            let op = match op {
                "rd" => "r",
                "wr" => "w",
                other => other,
            };
            let operand = if op == "fork" || op == "join" {
                canonical_thread(operand)
            } else {
                operand.to_string()
            };
            ModelEvent {
                thread: canonical_thread(fields[0]),
                op: op.to_string(),
                operand,
                location: fields[2].to_string(),
            }
        })
        .collect()
}

/// Per racy access: (line, witness line), witness = most recent unordered conflicting access.
struct Model {
    racy: Vec<(u64, u64)>,
    racy_variables: Vec<String>,
    racy_lines: usize,
}

fn model(events: &[ModelEvent]) -> Model {
    assert!(events.len() <= 64);
    let n = events.len();
    let mut past = vec![0u64; n];
    for i in 0..n {
        let e = &events[i];
        let mut preds = Vec::new();
        for (j, p) in events[..i].iter().enumerate() {
            let program_order = p.thread == e.thread;
            let lock_order = p.op == "rel" && e.op == "acq" && p.operand == e.operand;
            let fork = p.op == "fork" && p.operand == e.thread;
            // The child runs between its fork and its join, even with no events of its own.
            let join = e.op == "join"
                && (p.thread == e.operand || (p.op == "fork" && p.operand == e.operand));
            if program_order || lock_order || fork || join {
                preds.push(j);
            }
        }
        for j in preds {
            past[i] |= past[j] | (1u64 << j);
        }
    }
    let mut racy = Vec::new();
    let mut racy_variables: Vec<String> = Vec::new();
    let mut locations = std::collections::BTreeSet::new();
    for i in 0..n {
        let e = &events[i];
        if e.op != "r" && e.op != "w" {
            continue;
        }
        let witness = (0..i).rev().find(|&j| {
            let a = &events[j];
            (a.op == "r" || a.op == "w")
                && a.operand == e.operand
                && a.thread != e.thread
                && (a.op == "w" || e.op == "w")
                && past[i] & (1u64 << j) == 0
        });
        if let Some(j) = witness {
            racy.push((i as u64 + 1, j as u64 + 1));
            if !racy_variables.contains(&e.operand) {
                racy_variables.push(e.operand.clone());
            }
            locations.insert(e.location.clone());
        }
    }
    Model {
        racy,
        racy_variables,
        racy_lines: locations.len(),
    }
}

/// A random well-formed trace: T0 runs, others start by a fork (or, now and then, without
/// one); locks follow the discipline; joined threads stop. Thread names are spelled both
/// `T3` and `3` at random.
fn random_trace(rng: &mut ChaCha8Rng) -> String {
    let threads: usize = rng.random_range(2..5);
    let locks: usize = rng.random_range(1..3);
    let variables: usize = rng.random_range(1..4);
    let length: usize = rng.random_range(4..48);
    let mut state = vec![0u8; threads]; // 0 fresh, 1 running, 2 joined
    state[0] = 1;
    let mut holder: Vec<Option<usize>> = vec![None; locks];
    let mut depth = vec![0usize; locks];
    let spell = |rng: &mut ChaCha8Rng, t: usize| {
        if rng.random_bool(0.5) {
            format!("T{t}")
        } else {
            t.to_string()
        }
    };
    let mut lines = Vec::new();
    while lines.len() < length {
        let t = rng.random_range(0..threads);
        if state[t] == 2 || (state[t] == 0 && !rng.random_bool(0.05)) {
            continue;
        }
        state[t] = 1;
        let name = spell(rng, t);
        let loc = rng.random_range(0..6);
        let choice = rng.random_range(0..20);
        let event = if choice < 10 {
            let x = rng.random_range(0..variables);
            let op = ["r", "w", "rd", "wr"][rng.random_range(0..4)];
            format!("{name}|{op}(x{x})|{loc}")
        } else if choice < 16 {
            let l = rng.random_range(0..locks);
            match holder[l] {
                None => {
                    holder[l] = Some(t);
                    depth[l] = 1;
                    format!("{name}|acq(m{l})|{loc}")
                }
                // Locks are re-entrant (Java monitors): nest now and then.
                Some(h) if h == t && rng.random_bool(0.2) => {
                    depth[l] += 1;
                    format!("{name}|acq(m{l})|{loc}")
                }
                Some(h) if h == t => {
                    depth[l] -= 1;
                    if depth[l] == 0 {
                        holder[l] = None;
                    }
                    format!("{name}|rel(m{l})|{loc}")
                }
                Some(_) => format!("{name}|req(m{l})|{loc}"),
            }
        } else if choice < 18 {
            let u = rng.random_range(0..threads);
            if state[u] != 0 {
                continue;
            }
            state[u] = 1;
            let child = spell(rng, u);
            format!("{name}|fork({child})|{loc}")
        } else {
            let u = rng.random_range(0..threads);
            if u == t || state[u] != 1 {
                continue;
            }
            state[u] = 2;
            let child = spell(rng, u);
            format!("{name}|join({child})|{loc}")
        };
        lines.push(event);
    }
    lines.join("\n")
}

#[test]
fn every_engine_equals_the_brute_force_model_on_random_traces() {
    for seed in 0..3_000 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let text = random_trace(&mut rng);
        let expected = model(&parse_model(&text));
        let report = run_all(&text, usize::MAX);
        let context = format!("seed {seed}:\n{text}");
        assert_eq!(
            report.racy_events,
            expected.racy.len() as u64,
            "racy events, {context}"
        );
        assert_eq!(
            report.racy_variables, expected.racy_variables,
            "racy variables, {context}"
        );
        assert_eq!(
            report.racy_lines, expected.racy_lines,
            "racy lines, {context}"
        );
        let found: Vec<(u64, u64)> = report
            .races
            .iter()
            .map(|race| (race.access.line, race.prior.line))
            .collect();
        assert_eq!(found, expected.racy, "racy events and witnesses, {context}");
    }
}

/// FastTrack with only the last write under-counts after a write-write race; ours does not.
#[test]
fn regression_write_write_race_keeps_the_earlier_write() {
    // T1 and T2 write x concurrently. T3 reads x after syncing with T2 only: its read is
    // ordered after T2's write but not after T1's, so it is racy (plain FastTrack, holding
    // only T2's write, would miss it).
    let text = "\
T0|fork(T1)|1
T0|fork(T2)|2
T0|fork(T3)|3
T1|w(x)|10
T2|w(x)|20
T2|acq(m)|21
T2|rel(m)|22
T3|acq(m)|30
T3|r(x)|31
T3|rel(m)|32";
    let report = run_all(text, 10);
    // T2's write races with T1's; T3's read is after T2's write but not after T1's.
    assert_eq!(report.racy_events, 2);
    let lines: Vec<(u64, u64)> = report
        .races
        .iter()
        .map(|r| (r.access.line, r.prior.line))
        .collect();
    assert_eq!(lines, [(5, 4), (9, 4)]);
    assert_eq!(report.racy_lines, 2);
}

#[test]
fn generated_traces_agree_across_engines() {
    for (threads, locks, density) in [(4, 2, 0.3), (16, 8, 0.05), (33, 3, 0.5)] {
        let shape = TraceShape {
            threads,
            locks,
            variables: 500,
            events: 60_000,
            lock_density: density,
            shared_fraction: 0.05,
            seed: u64::from(threads),
            ..TraceShape::default()
        };
        let mut text = Vec::new();
        let written = generate(&shape, &mut text).expect("writes to memory");
        assert_eq!(written, 60_000);
        let text = String::from_utf8(text).expect("ascii");
        let report = run_all(&text, 50);
        // Past 1 MiB the engine runs on a second thread; on one thread it gives the same.
        assert!(text.len() > 1 << 20);
        let mut options = RaceOptions::new(Engine::Epoch).with_list(50);
        options.parallel = false;
        let single = detect_races(text.as_bytes(), "t.std", &options).expect("valid");
        assert_eq!(single, report, "one thread differs from two");
        assert_eq!(report.events, 60_000);
        assert_eq!(report.threads, threads as usize);
        assert!(report.racy_events > 0, "{threads} threads: no races");
        assert_eq!(report.races.len() as u64, report.racy_events.min(50));
    }
}

#[test]
fn generator_is_deterministic_per_seed() {
    let shape = TraceShape {
        events: 5_000,
        ..TraceShape::default()
    };
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    generate(&shape, &mut a).expect("memory");
    generate(&shape, &mut b).expect("memory");
    generate(&TraceShape { seed: 2, ..shape }, &mut c).expect("memory");
    assert_eq!(a, b);
    assert_ne!(a, c);
}

// ---------------------------------------------------------------------------------------
// Dialects and errors.

#[test]
fn numeric_and_prefixed_thread_names_are_one_thread() {
    let text = "T6|fork(9)|1\n9|w(x)|2\nT9|w(x)|3\nT6|join(T9)|4\nT6|r(x)|5";
    let report = run_all(text, 0);
    assert_eq!(report.threads, 2);
    assert_eq!(report.racy_events, 0);
}

#[test]
fn rd_wr_text_names_and_crlf_are_read() {
    let text = "main|wr(obj.field)|Foo.java:12\r\nworker|rd(obj.field)|Bar.java:7\r\n";
    let report = run_all(text, 1);
    assert_eq!(report.events, 2);
    assert_eq!(report.racy_variables, ["obj.field"]);
    assert_eq!(report.races[0].access.location, "Bar.java:7");
    assert_eq!(report.races[0].prior.location, "Foo.java:12");
    assert_eq!(report.races[0].prior.thread, "main");
    assert!(report.races[0].prior.write);
    assert!(!report.races[0].access.write);
}

#[test]
fn locks_are_reentrant() {
    // T1 nests m; T2's acquire waits for the outer release, so its read is ordered.
    let text =
        "T1|acq(m)|1\nT1|acq(m)|2\nT1|w(x)|3\nT1|rel(m)|4\nT1|rel(m)|5\nT2|acq(m)|6\nT2|r(x)|7";
    let report = run_all(text, 0);
    assert_eq!(report.racy_events, 0);
    let err = error_of("T1|acq(m)|1\nT1|acq(m)|2\nT1|rel(m)|3\nT2|acq(m)|4");
    assert!(
        err.to_string()
            .contains("T2 acquires lock m, which T1 holds"),
        "{err}"
    );
}

#[test]
fn req_begin_and_end_have_no_happens_before_effect() {
    let text = "T1|req(m)|1\nT1|begin(0)|2\nT1|w(x)|3\nT1|end(0)|4\nT2|req(m)|5\nT2|r(x)|6";
    let report = run_all(text, 0);
    assert_eq!(report.events, 6);
    assert_eq!(report.racy_events, 1);
}

fn error_of(text: &str) -> TraceError {
    for engine in Engine::ALL {
        assert!(run(text, engine, 0).is_err(), "{engine} accepted the trace");
    }
    run(text, Engine::Epoch, 0).expect_err("checked above")
}

#[test]
fn a_line_that_is_not_an_event_is_an_error_naming_file_and_line() {
    for (text, line, what) in [
        ("T1|w(x)|1\nhello\n", 2, "not an event"),
        ("T1|w(x)|1\n\nT1|w(x)|2", 2, "empty line"),
        ("T1|w(x)|1\nT1|w(x)\n", 2, "missing the second"),
        ("T1|w(x|1", 1, "op(operand)"),
        ("T1|w()|1", 1, "empty operand"),
        ("|w(x)|1", 1, "empty thread"),
        ("T1|w(x)|", 1, "empty location"),
        ("T1|w(x)|1|2", 1, "more than three"),
        ("T1|write(x)|1", 1, "unknown operation `write`"),
    ] {
        let err = error_of(text);
        assert_eq!(err.line(), line, "{text:?}");
        let message = err.to_string();
        assert!(message.starts_with(&format!("t.std:{line}: ")), "{message}");
        assert!(message.contains(what), "{message} lacks {what}");
    }
}

#[test]
fn ill_formed_traces_are_reported_not_guessed_at() {
    for (text, line, what) in [
        (
            "T1|acq(m)|1\nT2|acq(m)|2",
            2,
            "T2 acquires lock m, which T1 holds",
        ),
        ("T1|rel(m)|1", 1, "T1 releases lock m, which is not held"),
        ("T1|acq(m)|1\nT1|rel(m)|2\nT1|rel(m)|3", 3, "not held"),
        (
            "T1|acq(m)|1\nT2|rel(m)|2",
            2,
            "T2 releases lock m, which T1 holds",
        ),
        (
            "T1|fork(T2)|1\nT1|join(2)|2\nT1|join(T2)|3",
            3,
            "T2 is joined twice",
        ),
        (
            "T1|fork(T2)|1\nT1|join(T2)|2\nT2|w(x)|3",
            3,
            "T2 performs an event after",
        ),
        (
            "T2|w(x)|1\nT1|fork(T2)|2",
            2,
            "T2 is forked after it already ran",
        ),
        ("T1|fork(2)|1\nT1|fork(T2)|2", 2, "was already forked"),
        ("T1|fork(T1)|1", 1, "T1 cannot fork itself"),
        ("T1|join(1)|1", 1, "T1 cannot join itself"),
    ] {
        let err = error_of(text);
        assert_eq!(err.line(), line, "{text:?}");
        assert!(err.to_string().contains(what), "{err} lacks {what}");
    }
}

#[test]
fn binary_input_is_named_as_such() {
    let err = error_of("\u{0}\u{4}\u{0}\u{0}|w(x)|1");
    assert!(matches!(err.kind(), TraceErrorKind::Binary), "{err}");
    assert!(err.to_string().contains("RapidBin"));
}

#[test]
fn overlong_lines_are_refused() {
    let text = format!("T1|w({})|1\n", "x".repeat(100_000));
    let err = error_of(&text);
    assert!(
        matches!(err.kind(), TraceErrorKind::LineTooLong { .. }),
        "{err}"
    );
    assert_eq!(err.line(), 1);
}

#[test]
fn thread_limit_is_enforced() {
    let text: String = (0..20).map(|t| format!("T{t}|w(x)|1\n")).collect();
    let mut options = RaceOptions::new(Engine::Epoch);
    options.max_threads = 10;
    let err = detect_races(text.as_bytes(), "t.std", &options).expect_err("too many threads");
    assert!(matches!(
        err.kind(),
        TraceErrorKind::TooManyThreads { max: 10 }
    ));
    assert_eq!(err.line(), 11);
}

#[test]
fn progress_is_reported_with_events_and_bytes() {
    let text: String = (0..100).map(|i| format!("T{}|w(x)|{i}\n", i % 2)).collect();
    let mut options = RaceOptions::new(Engine::TreeClock);
    options.progress_every = 30;
    let mut seen = Vec::new();
    causet_trace::races::detect_races_with_progress(text.as_bytes(), "t", &options, &mut |p| {
        seen.push(p.events)
    })
    .expect("valid");
    assert_eq!(seen, [30, 60, 90, 100]);
}

// ---------------------------------------------------------------------------------------
// Peer data (../shared/peer-data/rapid-std, see its SOURCES.md).

fn peer_trace(test: &str, file: &str) -> Option<(String, Vec<u8>)> {
    let path = peer_data(test)?.join("rapid-std").join(file);
    let bytes = std::fs::read(&path).expect("peer file readable");
    Some((path.display().to_string(), bytes))
}

fn op_counts(bytes: &[u8]) -> std::collections::BTreeMap<String, usize> {
    let mut reader = StdReader::new(bytes, "peer");
    let mut counts = std::collections::BTreeMap::new();
    while let Some(event) = reader.next_event().expect("well-formed lines") {
        *counts.entry(event.op.to_string()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn peer_bensalem_counts_and_engines_agree() {
    let Some((_, bytes)) = peer_trace("peer_bensalem", "Bensalem.std") else {
        return;
    };
    let text = String::from_utf8(bytes.clone()).expect("text");
    let report = run_all(&text, 100);
    assert_eq!(report.events, 56);
    assert_eq!(report.threads, 4); // T6, T9, T10, T11: `fork(9)` is T9
    let counts = op_counts(&bytes);
    let expected = [
        ("req", 13),
        ("acq", 13),
        ("rel", 13),
        ("r", 10),
        ("w", 3),
        ("fork", 3),
        ("join", 1),
    ];
    for (op, n) in expected {
        assert_eq!(counts.get(op), Some(&n), "{op}");
    }
    // And the model agrees on this real trace too (56 events fit the bit sets).
    let expected = model(&parse_model(&text));
    assert_eq!(report.racy_events, expected.racy.len() as u64);
    assert_eq!(report.racy_variables, expected.racy_variables);
}

#[test]
fn peer_jigsaw_counts_and_engines_agree() {
    let Some((_, bytes)) = peer_trace("peer_jigsaw", "jigsaw.std") else {
        return;
    };
    let text = String::from_utf8(bytes.clone()).expect("text");
    let report = run_all(&text, 20);
    assert_eq!(report.events, 19_463);
    assert_eq!(report.threads, 3);
    let counts = op_counts(&bytes);
    for (op, n) in [
        ("r", 4921),
        ("w", 3760),
        ("req", 3594),
        ("acq", 3594),
        ("rel", 3592),
        ("fork", 2),
    ] {
        assert_eq!(counts.get(op), Some(&n), "{op}");
    }
}

#[test]
fn peer_valid_and_ill_formed_traces() {
    let Some((_, bytes)) = peer_trace("peer_valid", "valid_trace.std") else {
        return;
    };
    let report = run_all(&String::from_utf8(bytes).expect("text"), 0);
    assert_eq!(
        (report.events, report.threads, report.racy_events),
        (1, 1, 0)
    );
    for (file, line, what) in [
        (
            "release_non_owning_lock.std",
            7,
            "T7 releases lock 9, which T6 holds",
        ),
        (
            "repeated_lock_acquisition.std",
            7,
            "T7 acquires lock 9, which T6 holds",
        ),
        (
            "repeated_lock_release.std",
            8,
            "T6 releases lock 9, which is not held",
        ),
        (
            "release_non_acquired_lock.std",
            6,
            "T7 releases lock 9, which is not held",
        ),
        ("double_write_token.std", 1, "unknown operation `ww`"),
    ] {
        let Some((path, bytes)) = peer_trace("peer_ill_formed", file) else {
            return;
        };
        for engine in Engine::ALL {
            let err =
                detect_races(bytes.as_slice(), &path, &RaceOptions::new(engine)).expect_err(file);
            assert_eq!(err.line(), line, "{file}");
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("{path}:{line}: ")),
                "{message}"
            );
            assert!(message.contains(what), "{file}: {message}");
        }
    }
}

#[test]
fn peer_rapidbin_is_refused_clearly() {
    let Some((path, bytes)) = peer_trace("peer_rapidbin", "Bensalem.data") else {
        return;
    };
    let err = detect_races(bytes.as_slice(), &path, &RaceOptions::default()).expect_err("binary");
    assert!(matches!(err.kind(), TraceErrorKind::Binary), "{err}");
}
