//! Data races in STD and RapidBin traces: every engine against a brute-force model built
//! from explicit happens-before histories, the peer traces, the dialects, the ill-formed
//! traces, and RapidBin against STD.

use causet_races::generate::{TraceShape, generate};
use causet_races::rapidbin::{
    RapidBinEvent, RapidBinHeader, RapidBinReader, RapidBinWriteError, RapidBinWriter,
    rapidbin_to_std, std_to_rapidbin,
};
use causet_races::{
    Engine, Op, RaceOptions, RaceReport, StdReader, TraceError, TraceErrorKind, TraceFormat,
    detect_races, detect_races_with_format,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[path = "../../../../testing/peer_data.rs"]
mod util;
use util::peer_data;

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
fn blank_lines_are_skipped_as_in_logs() {
    let plain = "T1|w(x)|1\nT2|w(x)|2\nT2|r(y)|3\nT1|w(y)|4\n";
    let with_blanks = "\n  \nT1|w(x)|1\n\nT2|w(x)|2\r\n\t\nT2|r(y)|3\nT1|w(y)|4\n\n\n";
    let expected = run_all(plain, 8);
    assert_eq!(expected.events, 4);
    assert_eq!(expected.racy_events, 2);
    let report = run_all(with_blanks, 8);
    assert_eq!(report.events, expected.events);
    assert_eq!(report.racy_events, expected.racy_events);
    assert_eq!(report.racy_variables, expected.racy_variables);
    // A trailing blank line, the case users hit.
    assert_eq!(run_all("T1|w(x)|1\nT2|w(x)|2\n\n", 0).racy_events, 1);
}

#[test]
fn a_line_that_is_not_an_event_is_an_error_naming_file_and_line() {
    for (text, line, what) in [
        ("T1|w(x)|1\nhello\n", 2, "not an event"),
        ("T1|w(x)|1\n\n \t\r\nT1|w(x)\n", 4, "missing the second"),
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

/// `T0` forking `T1`, `T2`, ... up to `threads - 1`, one fork a line, made as it is read (so
/// a test pays only for the lines the analysis gets to).
struct ForkTrace {
    next: u64,
    threads: u64,
    pending: Vec<u8>,
}

impl ForkTrace {
    fn new(threads: u64) -> Self {
        ForkTrace {
            next: 1,
            threads,
            pending: Vec::new(),
        }
    }
}

impl std::io::Read for ForkTrace {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.len() < buf.len() && self.next < self.threads {
            let line = format!("T0|fork(T{})|{}\n", self.next, self.next);
            self.pending.extend_from_slice(line.as_bytes());
            self.next += 1;
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// Issue 20: a million threads with `--max-threads 2000000` aborted the process when memory
/// ran out; now the memory limit stops it with an error at the exact line whose new thread
/// makes the estimate pass the limit (with 256 MiB: about 8,000 threads of dense 4-byte
/// clocks; the default, 4 GiB, would let the test allocate 2 GB first).
#[test]
fn a_million_threads_are_refused_by_the_memory_limit() {
    use causet_races::memory::{DEFAULT_MAX_MEMORY, estimate_memory};
    assert_eq!(RaceOptions::default().max_memory, DEFAULT_MAX_MEMORY);
    assert_eq!(DEFAULT_MAX_MEMORY, 4 << 30);
    for engine in Engine::ALL {
        let mut options = RaceOptions::new(engine);
        options.max_threads = 2_000_000;
        options.max_memory = 256 << 20;
        let err = detect_races(ForkTrace::new(1_000_000), "big.std", &options)
            .expect_err("refused, not run");
        let TraceErrorKind::MemoryLimit {
            estimate,
            limit,
            threads,
            locks,
            variables,
            ..
        } = *err.kind()
        else {
            panic!("{engine}: {err}");
        };
        assert_eq!((limit, locks, variables), (256 << 20, 0, 0));
        assert_eq!(estimate, estimate_memory(engine, threads, 0, 0));
        assert!(estimate > limit, "{engine}: {err}");
        assert!(
            estimate_memory(engine, threads - 1, 0, 0) <= limit,
            "{engine}: {err}"
        );
        // Line k forks thread k: the line of the first thread too many.
        assert_eq!(err.line(), threads - 1, "{engine}: {err}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("big.std:{}: {threads} threads,", threads - 1)),
            "{message}"
        );
        for needle in [
            "need about",
            "MiB with engine",
            "limit of 256.0 MiB",
            "--max-memory",
        ] {
            assert!(message.contains(needle), "{message}");
        }
    }
}

/// A small limit stops every engine, on STD and RapidBin input alike, at the first event
/// whose new name (thread, lock or variable) passes it; a limit the trace fits in changes
/// nothing.
#[test]
fn memory_limit_stops_at_the_first_name_too_many() {
    use causet_races::memory::estimate_memory;
    // Threads 0..39 each take lock m<t mod 5>, write x<t> and y, and release the lock.
    let text: String = (0..40)
        .map(|t| {
            format!(
                "T{t}|acq(m{})|1\nT{t}|w(x{t})|2\nT{t}|w(y)|3\nT{t}|rel(m{})|4\n",
                t % 5,
                t % 5
            )
        })
        .collect();
    let (_, bytes) = to_rapidbin(&text);
    for engine in Engine::ALL {
        // Room for 20 threads and what they use: 5 locks, 21 variables.
        let limit = estimate_memory(engine, 20, 5, 21);
        let mut options = RaceOptions::new(engine).with_list(3);
        options.max_memory = limit;
        for (input, format) in [
            (text.as_bytes(), TraceFormat::Std),
            (bytes.as_slice(), TraceFormat::RapidBin),
        ] {
            let err = read_binary(input, format, &options).expect_err("over the limit");
            let TraceErrorKind::MemoryLimit {
                threads,
                locks,
                variables,
                limit: said,
                ..
            } = *err.kind()
            else {
                panic!("{engine} {format}: {err}");
            };
            // Thread 20's acquire (line 81) is the first event of a 21st thread.
            assert_eq!(
                (threads, locks, variables, said),
                (21, 5, 21, limit),
                "{err}"
            );
            assert_eq!(err.line(), 81, "{engine} {format}: {err}");
            let mut roomy = options.clone();
            roomy.max_memory = estimate_memory(engine, 40, 5, 41);
            let report = read_binary(input, format, &roomy).expect("fits exactly");
            roomy.max_memory = u64::MAX;
            let unlimited = read_binary(input, format, &roomy).expect("no limit");
            assert_eq!(report, unlimited, "{engine} {format}");
            assert_eq!(
                (report.threads, report.racy_events),
                (40, 39),
                "{engine} {format}"
            );
        }
        // Variables count too: a byte short of room for all, the last new name is refused:
        // x39, the 41st variable, written at line 4 * 39 + 2.
        options.max_memory = estimate_memory(engine, 40, 5, 41) - 1;
        let err = detect_races(text.as_bytes(), "t.std", &options).expect_err("variables");
        assert!(
            matches!(
                err.kind(),
                TraceErrorKind::MemoryLimit {
                    threads: 40,
                    variables: 41,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.line(), 158, "{err}");
    }
}

/// The default limit leaves a normal trace's report exactly as without one.
#[test]
fn default_memory_limit_changes_nothing_on_a_normal_trace() {
    let shape = TraceShape {
        threads: 64,
        events: 200_000,
        seed: 5,
        ..TraceShape::default()
    };
    let mut text = Vec::new();
    generate(&shape, &mut text).expect("writes to memory");
    for engine in Engine::ALL {
        let options = RaceOptions::new(engine).with_list(5);
        let mut unlimited = options.clone();
        unlimited.max_memory = u64::MAX;
        let report = detect_races(text.as_slice(), "g.std", &options).expect("fits");
        assert_eq!(
            report,
            detect_races(text.as_slice(), "g.std", &unlimited).expect("fits")
        );
        assert_eq!(report.threads, 64);
        assert!(report.racy_events > 0);
    }
}

#[test]
fn progress_is_reported_with_events_and_bytes() {
    let text: String = (0..100).map(|i| format!("T{}|w(x)|{i}\n", i % 2)).collect();
    let mut options = RaceOptions::new(Engine::TreeClock);
    options.progress_every = 30;
    let mut seen = Vec::new();
    causet_races::detect_races_with_progress(text.as_bytes(), "t", &options, &mut |p| {
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

/// RAPID's binary `Bensalem.data`, decoded here independently (header and words by hand)
/// and by the library: the same op counts; every engine, both formats given and detected,
/// and its STD rendering give one report.
#[test]
fn peer_rapidbin_bensalem_is_read_by_every_engine() {
    let Some((path, bytes)) = peer_trace("peer_rapidbin", "Bensalem.data") else {
        return;
    };
    // The independent decode: i16, i32, i32, i64 big-endian, then one i64 per event.
    let be = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u64, |n, &b| n << 8 | u64::from(b))
    };
    assert_eq!((be(0..2), be(2..6), be(6..10), be(10..18)), (4, 5, 5, 68));
    assert_eq!(bytes.len(), 18 + 68 * 8);
    let names = [
        "acq", "rel", "r", "w", "fork", "join", "begin", "end", "req",
    ];
    let mut by_hand = std::collections::BTreeMap::new();
    for k in 0..68 {
        let word = be(18 + 8 * k..26 + 8 * k);
        *by_hand
            .entry(names[(word >> 10 & 15) as usize])
            .or_insert(0) += 1;
    }
    let expected = [
        ("begin", 7),
        ("end", 6),
        ("acq", 12),
        ("rel", 12),
        ("req", 10),
        ("r", 11),
        ("w", 7),
        ("fork", 3),
    ];
    assert_eq!(by_hand, expected.into_iter().collect());
    let mut reader = RapidBinReader::new(bytes.as_slice(), &path).expect("header");
    let mut counts = std::collections::BTreeMap::new();
    while let Some(event) = reader.next_event().expect("valid events") {
        *counts.entry(event.op.as_str()).or_insert(0) += 1;
    }
    assert_eq!(counts, by_hand);

    let mut std_text = Vec::new();
    assert_eq!(
        rapidbin_to_std(bytes.as_slice(), &path, &mut std_text).expect("renders"),
        68
    );
    let std_text = String::from_utf8(std_text).expect("ascii");
    let report = run_all(&std_text, 100);
    for engine in Engine::ALL {
        for format in [TraceFormat::Auto, TraceFormat::RapidBin] {
            let options = RaceOptions::new(engine).with_list(100);
            let binary =
                detect_races_with_format(bytes.as_slice(), &path, format, &options, &mut |_| {})
                    .unwrap_or_else(|e| panic!("{engine} {format}: {e}"));
            assert_eq!(binary, report, "{engine} {format}");
        }
    }
    assert_eq!((report.events, report.threads), (68, 4));
    // Lock 4 and variable 4 of the header are never used.
    assert_eq!((report.locks, report.variables), (4, 4));
    // As STD text it is refused, pointing at the format.
    let err = detect_races(bytes.as_slice(), &path, &RaceOptions::default()).expect_err("binary");
    assert!(matches!(err.kind(), TraceErrorKind::Binary), "{err}");
    assert!(err.to_string().contains("rapidbin"), "{err}");
}

// ---------------------------------------------------------------------------------------
// RapidBin: the same reports as STD, and every malformation named by event and offset.

fn to_rapidbin(text: &str) -> (RapidBinHeader, Vec<u8>) {
    let mut out = std::io::Cursor::new(Vec::new());
    let header = std_to_rapidbin(text.as_bytes(), "t.std", &mut out).expect("converts");
    (header, out.into_inner())
}

fn run_binary(bytes: &[u8], engine: Engine, list: usize) -> Result<RaceReport, TraceError> {
    let options = RaceOptions::new(engine).with_list(list);
    read_binary(bytes, TraceFormat::RapidBin, &options)
}

/// Reads `bytes`, named `t.data`, in `format` with `options`.
fn read_binary(
    bytes: &[u8],
    format: TraceFormat,
    options: &RaceOptions,
) -> Result<RaceReport, TraceError> {
    detect_races_with_format(bytes, "t.data", format, options, &mut |_| {})
}

/// What a report says, names aside: counts, and each race's events and locations.
type Unnamed = (
    (u64, usize, usize, usize),
    (u64, usize, usize),
    Vec<(u64, u64, String, String)>,
);

fn unnamed(r: &RaceReport) -> Unnamed {
    let races = r
        .races
        .iter()
        .map(|race| {
            let (a, p) = (&race.access, &race.prior);
            (a.line, p.line, a.location.clone(), p.location.clone())
        })
        .collect();
    (
        (r.events, r.threads, r.locks, r.variables),
        (r.racy_events, r.racy_variables.len(), r.racy_lines),
        races,
    )
}

/// The report of a RapidBin trace equals that of its STD rendering for every engine, and
/// that of the original STD trace up to names (same events, threads, locks, variables,
/// racy events and lines, the same races at the same events); and the model agrees.
#[test]
fn rapidbin_and_std_give_the_same_reports_on_random_traces() {
    for seed in 0..600 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let text = random_trace(&mut rng);
        let original = run_all(&text, usize::MAX);
        let (header, bytes) = to_rapidbin(&text);
        assert_eq!(header.events, original.events, "seed {seed}");
        assert_eq!(bytes.len() as u64, 18 + 8 * header.events);
        let mut rendering = Vec::new();
        rapidbin_to_std(bytes.as_slice(), "t.data", &mut rendering).expect("renders");
        let rendering = run_all(std::str::from_utf8(&rendering).expect("ascii"), usize::MAX);
        for engine in Engine::ALL {
            let binary = run_binary(&bytes, engine, usize::MAX)
                .unwrap_or_else(|e| panic!("seed {seed} {engine}: {e}\n{text}"));
            assert_eq!(binary, rendering, "seed {seed} {engine}:\n{text}");
        }
        let context = format!("seed {seed}:\n{text}");
        assert_eq!(unnamed(&rendering), unnamed(&original), "{context}");
        let expected = model(&parse_model(&text));
        assert_eq!(
            rendering.racy_events,
            expected.racy.len() as u64,
            "{context}"
        );
    }
}

/// A generated trace long enough for the two-thread pass: RapidBin gives the report of its
/// STD rendering on one thread and two, and the counts of the original trace.
#[test]
fn rapidbin_generated_trace_on_one_and_two_threads() {
    let shape = TraceShape {
        threads: 12,
        locks: 5,
        variables: 400,
        events: 200_000,
        lock_density: 0.1,
        shared_fraction: 0.05,
        seed: 5,
        ..TraceShape::default()
    };
    let mut text = Vec::new();
    generate(&shape, &mut text).expect("writes to memory");
    let text = String::from_utf8(text).expect("ascii");
    let (_, bytes) = to_rapidbin(&text);
    assert!(bytes.len() > 1 << 20, "long enough for the second thread");
    let mut rendering = Vec::new();
    rapidbin_to_std(bytes.as_slice(), "t.data", &mut rendering).expect("renders");
    let rendering = String::from_utf8(rendering).expect("ascii");
    let expected = detect_races(
        rendering.as_bytes(),
        "t.std",
        &RaceOptions::default().with_list(20),
    )
    .expect("valid");
    for parallel in [true, false] {
        let mut options = RaceOptions::new(Engine::Epoch).with_list(20);
        options.parallel = parallel;
        let report = read_binary(&bytes, TraceFormat::Auto, &options).expect("valid");
        assert_eq!(report, expected, "parallel {parallel}");
    }
    let original = detect_races(text.as_bytes(), "t.std", &RaceOptions::default()).expect("valid");
    assert_eq!(
        (original.events, original.racy_events, original.racy_lines),
        (expected.events, expected.racy_events, expected.racy_lines)
    );
    assert!(expected.racy_events > 0);
}

/// Spoils one random event (or the end) of a random valid RapidBin trace and checks the
/// error: its kind, the event number and byte offset, and the message's place, the same for
/// every engine and on one thread or two.
#[test]
fn rapidbin_malformations_are_errors_naming_event_and_offset() {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    for case in 0..400u64 {
        let text = random_trace(&mut rng);
        let (header, mut bytes) = to_rapidbin(&text);
        let n = header.events;
        let k = rng.random_range(0..n); // the 0-based event spoiled
        let at = 18 + 8 * k as usize;
        let word = u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let set =
            |bytes: &mut Vec<u8>, word: u64| bytes[at..at + 8].copy_from_slice(&word.to_be_bytes());
        let (event, what): (u64, &str) = match case % 7 {
            0 => {
                set(&mut bytes, word | 1 << 63);
                (k + 1, "bit 63")
            }
            1 => {
                let code = rng.random_range(9..16u64);
                set(&mut bytes, word & !(15 << 10) | code << 10);
                (k + 1, "unknown operation code")
            }
            2 => {
                set(&mut bytes, word & !0x3ff | u64::from(header.threads));
                (k + 1, "thread id")
            }
            3 => {
                // A write of a variable beyond the header's count.
                let w = u64::from(header.threads - 1) | 3 << 10 | header.variables << 14;
                set(&mut bytes, w);
                (k + 1, "variable id")
            }
            4 => {
                let cut = rng.random_range(1..8);
                bytes.truncate(bytes.len() - cut);
                (n, "event cut short")
            }
            5 => {
                bytes.extend_from_slice(&[0; 8][..rng.random_range(1..9)]);
                (n + 1, "data after the header's")
            }
            _ => {
                bytes.truncate(bytes.len() - 8);
                (n, "the trace ends after")
            }
        };
        let offset = 18 + 8 * (event - 1);
        let place = format!("t.data: event {event} (byte offset {offset}): ");
        let mut messages = Vec::new();
        for engine in Engine::ALL {
            for parallel in [true, false] {
                let mut options = RaceOptions::new(engine);
                options.parallel = parallel;
                let err =
                    read_binary(&bytes, TraceFormat::RapidBin, &options).expect_err("spoiled");
                assert_eq!(
                    (err.line(), err.byte_offset()),
                    (event, Some(offset)),
                    "case {case}: {err}"
                );
                messages.push(err.to_string());
            }
        }
        let message = &messages[0];
        assert!(message.starts_with(&place), "case {case}: {message}");
        assert!(
            message.contains(what),
            "case {case}: {message} lacks {what}"
        );
        assert!(
            messages.iter().all(|m| m == message),
            "case {case}: {messages:?}"
        );
        // The public reader finds the same error.
        let mut reader = RapidBinReader::new(bytes.as_slice(), "t.data").expect("header intact");
        let err = loop {
            match reader.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("case {case}: spoiled trace read to the end"),
                Err(err) => break err,
            }
        };
        assert_eq!(&err.to_string(), message, "case {case}");
    }
}

#[test]
fn rapidbin_header_errors_and_huge_counts() {
    let header = |threads: i16, locks: i32, variables: i32, events: i64| {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&threads.to_be_bytes());
        bytes.extend_from_slice(&locks.to_be_bytes());
        bytes.extend_from_slice(&variables.to_be_bytes());
        bytes.extend_from_slice(&events.to_be_bytes());
        bytes
    };
    let error = |bytes: &[u8]| {
        run_binary(bytes, Engine::Epoch, 0)
            .expect_err("malformed")
            .to_string()
    };
    for cut in 0..18 {
        let message = error(&header(1, 1, 1, 0)[..cut]);
        let expected = format!("t.data: header: RapidBin header cut short: {cut} of 18 bytes");
        assert_eq!(message, expected);
    }
    assert!(error(&header(-1, 0, 0, 0)).contains("negative number of threads"));
    assert!(
        error(&header(1, 0, -5, 0))
            .contains("negative number of variables in the RapidBin header: -5")
    );
    assert!(error(&header(1, 0, 0, i64::MIN)).contains("negative number of events"));
    // Counts at their maxima are not allocated for: one event, then "ends after".
    let mut bytes = header(i16::MAX, i32::MAX, i32::MAX, i64::MAX);
    let write = 1023u64 | 3 << 10 | ((1u64 << 31) - 2) << 14 | 32767 << 48;
    bytes.extend_from_slice(&write.to_be_bytes());
    let message = error(&bytes);
    assert!(
        message.starts_with("t.data: event 2 (byte offset 26): the trace ends after 1 events"),
        "{message}"
    );
    // An empty trace is a trace.
    let report = run_binary(&header(0, 0, 0, 0), Engine::TreeClock, 0).expect("empty");
    assert_eq!((report.events, report.threads), (0, 0));
}

#[test]
fn rapidbin_thread_limit_and_ill_formed_events() {
    // Five threads each write x: one too many for a limit of 4, at event 5.
    let events: String = (0..5).map(|t| format!("T{t}|w(x)|1\n")).collect();
    let (_, bytes) = to_rapidbin(&events);
    let mut options = RaceOptions::new(Engine::Epoch);
    options.max_threads = 4;
    let err = read_binary(&bytes, TraceFormat::RapidBin, &options).expect_err("too many threads");
    assert!(
        matches!(err.kind(), TraceErrorKind::TooManyThreads { max: 4 }),
        "{err}"
    );
    assert_eq!((err.line(), err.byte_offset()), (5, Some(50)));
    // Ill-formed traces are reported as in STD, with the event instead of the line.
    for (text, event, what) in [
        (
            "T1|acq(m)|1\nT2|acq(m)|2",
            2,
            "T1 acquires lock 0, which T0 holds",
        ),
        (
            "T1|fork(T2)|1\nT1|join(2)|2\nT1|join(T2)|3",
            3,
            "T1 is joined twice",
        ),
        (
            "T2|w(x)|1\nT1|fork(T2)|2",
            2,
            "T0 is forked after it already ran",
        ),
    ] {
        let (_, bytes) = to_rapidbin(text);
        for engine in Engine::ALL {
            let err = run_binary(&bytes, engine, 0).expect_err("ill-formed");
            let offset = 18 + 8 * (event - 1);
            let expected = format!("t.data: event {event} (byte offset {offset}): {what}");
            assert_eq!(err.to_string(), expected, "{engine}");
        }
    }
}

#[test]
fn format_detection_by_content_and_length() {
    let text = b"T0|w(x)|1\nT1|w(x)|2\n";
    assert_eq!(
        TraceFormat::detect(text, Some(text.len() as u64)),
        TraceFormat::Std
    );
    assert_eq!(TraceFormat::detect(b"", None), TraceFormat::Std);
    assert_eq!(TraceFormat::detect(b"\0\x04", None), TraceFormat::RapidBin);
    // No NUL: RapidBin only if the header's event count matches the length.
    let mut header = Vec::new();
    header.extend_from_slice(&0x0101i16.to_be_bytes());
    header.extend_from_slice(&0x0101_0101i32.to_be_bytes());
    header.extend_from_slice(&0x0101_0101i32.to_be_bytes());
    let events: i64 = 0x0101_0101_0101_0101;
    header.extend_from_slice(&events.to_be_bytes());
    let length = 18 + 8 * events as u64;
    assert_eq!(
        TraceFormat::detect(&header, Some(length)),
        TraceFormat::RapidBin
    );
    assert_eq!(
        TraceFormat::detect(&header, Some(length - 1)),
        TraceFormat::Std
    );
    assert_eq!(TraceFormat::detect(&header, None), TraceFormat::Std);
    assert_eq!(
        "rapidbin".parse::<TraceFormat>().ok(),
        Some(TraceFormat::RapidBin)
    );
    assert!("bin".parse::<TraceFormat>().is_err());
}

/// The writer refuses what does not fit the header or the format.
#[test]
fn rapidbin_writer_checks_events_and_counts() {
    let header = RapidBinHeader {
        threads: 2,
        locks: 1,
        variables: 1,
        events: 2,
    };
    let event = |thread, op, decor, location| RapidBinEvent {
        thread,
        op,
        decor,
        location,
    };
    let mut writer = RapidBinWriter::new(Vec::new(), header).expect("header fits");
    assert!(
        writer.write_event(event(2, Op::Read, 0, 0)).is_err(),
        "thread 2 of 2"
    );
    assert!(
        writer.write_event(event(0, Op::Acquire, 1, 0)).is_err(),
        "lock 1 of 1"
    );
    assert!(
        writer.write_event(event(0, Op::Read, 0, 40_000)).is_err(),
        "location"
    );
    writer.write_event(event(0, Op::Write, 0, 1)).expect("fits");
    assert!(matches!(
        RapidBinWriter::new(Vec::new(), header)
            .expect("fits")
            .finish(),
        Err(RapidBinWriteError::Count {
            expected: 2,
            written: 0
        })
    ));
    writer
        .write_event(event(1, Op::Begin, 77, 2))
        .expect("fits");
    assert!(
        writer.write_event(event(1, Op::End, 0, 2)).is_err(),
        "a third event"
    );
    let bytes = writer.finish().expect("two events");
    assert_eq!(bytes.len(), 34);
    // Text locations cannot be converted.
    let err = std_to_rapidbin(
        "T0|w(x)|Foo.java:3".as_bytes(),
        "t.std",
        std::io::Cursor::new(Vec::new()),
    )
    .expect_err("text location");
    assert!(err.to_string().contains("location `Foo.java:3`"), "{err}");
}
