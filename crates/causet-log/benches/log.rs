//! Log analysis throughput and memory: read + check + analyze of generated GoVector logs
//! (10^5 and 10^6 events, 4 to 64 nodes), beside two baselines measured in the same run:
//!
//! - `floor`: read the file and count its lines with memchr (no parsing at all);
//! - `naive`: the obvious reader (`BufRead::lines`, `serde_json` per clock into a map,
//!   node names interned in a `HashMap`, dense rows), parsing only.
//!
//! Times are CPU time of the bench's thread (`/proc/thread-self/schedstat`), not wall
//! time: on the project's shared 2-core machine wall time mostly measures the neighbours.
//!
//! Peak memory is the growth of VmHWM over VmRSS of a fresh child process that reads,
//! checks and analyzes the log (this bench binary run with `measure-memory FILE`), compared
//! with the log file's size.
//!
//! A `harness = false` bench because one 10^6-event case takes a good fraction of a second
//! and criterion's sampling would take minutes on the project's 2-core machine:
//!
//! ```text
//! cargo bench -p causet-log --bench log            # all sizes
//! cargo bench -p causet-log --bench log -- quick   # 10^5 events only
//! cargo bench -p causet-log --bench log -- 1000000x16   # one case (repeat for A/B runs)
//! ```
//!
//! For profilers, `log-<hash> profile FILE EVENTS NODES RUNS [read-only]` (the bench binary
//! under `target/release/deps`) writes a generated log to FILE unless it exists, then reads
//! (and, without `read-only`, checks and analyzes) it RUNS times.

use std::collections::HashMap;
use std::hint::black_box;
use std::io::{BufRead, BufWriter, Read};
use std::path::Path;
use std::time::Duration;

use causet_log::{
    CheckOptions, GenerateOptions, ReadOptions, analyze, generate, read_log, stamp_bytes, write_log,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|arg| arg == "measure-memory") {
        if let Some(path) = args.get(position + 1) {
            // Optional: a ShiViz regex and delimiter.
            let options = ReadOptions {
                regex: args.get(position + 2).cloned(),
                delimiter: args.get(position + 3).cloned(),
                strict: false,
            };
            measure_memory_child(Path::new(path), &options);
        }
        return;
    }
    if let Some(position) = args.iter().position(|arg| arg == "profile") {
        // `profile FILE EVENTS NODES RUNS [read-only]`: write a generated log, then read + check + analyze
        // it RUNS times (for `perf record`).
        let number = |k: usize| {
            args.get(position + k)
                .and_then(|a| a.parse().ok())
                .unwrap_or(0)
        };
        if let Some(path) = args.get(position + 1) {
            let path = Path::new(path);
            if !path.exists() && write_generated(path, number(2), number(3)).is_err() {
                return;
            }
            let read_only = args.iter().any(|arg| arg == "read-only");
            for _ in 0..number(4) {
                if let Ok(log) = read_log(path, &ReadOptions::default())
                    && !read_only
                {
                    for execution in &log.executions {
                        let _ = black_box(execution.check(&CheckOptions::default()));
                        black_box(analyze(execution));
                    }
                }
            }
        }
        return;
    }
    let quick = args.iter().any(|arg| arg == "quick");
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("no temp dir: {error}");
            return;
        }
    };
    println!(
        "{:>9} {:>5} {:>9} | {:>8} {:>8} {:>10} {:>8} {:>8} | {:>8} {:>8} | {:>6} {:>6} {:>8} {:>6}",
        "events",
        "nodes",
        "file MiB",
        "read ms",
        "check ms",
        "analyze ms",
        "(stamps)",
        "total ms",
        "floor ms",
        "naive ms",
        "Mev/s",
        "c+a",
        "peak MiB",
        "peak/f"
    );
    let mut cases = vec![(100_000, 4), (100_000, 16), (100_000, 64)];
    if !quick {
        cases.extend([(1_000_000, 16), (1_000_000, 4)]);
    }
    // `EVENTSxNODES` arguments (e.g. `1000000x16`) run those cases only, without the ShiViz
    // layout: for repeated runs of one case.
    let chosen: Vec<(usize, usize)> = args
        .iter()
        .filter_map(|arg| {
            let (events, nodes) = arg.split_once('x')?;
            Some((events.parse().ok()?, nodes.parse().ok()?))
        })
        .collect();
    let all = chosen.is_empty();
    if !all {
        cases = chosen;
    }
    for (events, nodes) in cases {
        let path = dir.path().join(format!("{events}x{nodes}.log"));
        let bytes = match write_generated(&path, events, nodes) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("cannot write {}: {error}", path.display());
                return;
            }
        };
        let repeats = if events >= 1_000_000 { 3 } else { 5 };
        let floor = median(repeats, || {
            let start = cpu_time();
            black_box(count_lines(&path));
            cpu_time() - start
        });
        let naive = median(repeats, || {
            let start = cpu_time();
            black_box(naive_read(&path));
            cpu_time() - start
        });
        let mut stages = Vec::new();
        let peak = peak_growth(&path);
        for _ in 0..repeats {
            let start = cpu_time();
            let log = match read_log(&path, &ReadOptions::default()) {
                Ok(log) => log,
                Err(error) => {
                    eprintln!("{error}");
                    return;
                }
            };
            let read = cpu_time() - start;
            let execution = &log.executions[0];
            let checked = execution.check(&CheckOptions::default());
            assert!(checked.is_ok(), "generated logs are valid: {checked:?}");
            let check = cpu_time() - start - read;
            let summary = black_box(analyze(execution));
            assert_eq!(summary.events, events);
            let total = cpu_time() - start;
            let stamps_start = cpu_time();
            black_box(stamp_bytes(execution));
            let stamps = cpu_time() - stamps_start;
            drop(log);
            stages.push((read, check, total - read - check, total, stamps));
        }
        stages.sort_by_key(|stage| stage.3);
        let (read, check, analyze_time, total, stamps) = stages[stages.len() / 2];
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{events:>9} {nodes:>5} {:>9.1} | {:>8.1} {:>8.1} {:>10.1} {:>8.1} {:>8.1} | {:>8.1} {:>8.1} | {:>6.2} {:>6.2} {:>8.1} {:>6.2}",
            bytes as f64 / (1 << 20) as f64,
            ms(read),
            ms(check),
            ms(analyze_time),
            ms(stamps),
            ms(total),
            ms(floor),
            ms(naive),
            events as f64 / total.as_secs_f64() / 1e6,
            events as f64 / (total - read).as_secs_f64() / 1e6,
            peak as f64 / (1 << 20) as f64,
            peak as f64 / bytes as f64,
        );
        let _ = std::fs::remove_file(&path);
    }
    if all {
        shiviz_layout(dir.path(), if quick { 100_000 } else { 1_000_000 });
    }
}

/// ShiViz's default layout (event line first) with a delimiter line every 25,000 events:
/// the streaming regex reader beside the whole-text one, forced by a regex that matches the
/// same entries but may span any number of lines (a trailing lazy `[\s\S]*?`, which
/// always matches empty).
fn shiviz_layout(dir: &Path, events: usize) {
    const REGEX: &str = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})";
    const WHOLE_TEXT: &str = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})[\s\S]*?";
    const DELIMITER: &str = r"^=== (?<trace>.*) ===$";
    let path = dir.join(format!("shiviz-{events}.log"));
    let written = (|| -> std::io::Result<u64> {
        let generated = generate(&GenerateOptions {
            events,
            nodes: 16,
            seed: 42,
            ..GenerateOptions::default()
        });
        let mut text = Vec::new();
        write_log(&generated, &mut text)?;
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        let mut bytes = 0u64;
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        for (k, pair) in lines.chunks(2).enumerate() {
            if pair.len() < 2 {
                break;
            }
            if k % 25_000 == 0 {
                let header = format!("=== run {} ===\n", k / 25_000);
                std::io::Write::write_all(&mut out, header.as_bytes())?;
                bytes += header.len() as u64;
            }
            for line in [pair[1], pair[0]] {
                std::io::Write::write_all(&mut out, line)?;
                std::io::Write::write_all(&mut out, b"\n")?;
                bytes += line.len() as u64 + 1;
            }
        }
        std::io::Write::flush(&mut out)?;
        Ok(bytes)
    })();
    let Ok(bytes) = written else {
        eprintln!("cannot write {}", path.display());
        return;
    };
    println!();
    println!(
        "ShiViz layout, {events} events x 16 nodes, {} executions, {:.1} MiB",
        events.div_ceil(25_000),
        bytes as f64 / (1 << 20) as f64
    );
    println!(
        "{:>12} | {:>8} {:>8} {:>6}",
        "reader", "read ms", "peak MiB", "peak/f"
    );
    for (name, regex) in [("streaming", REGEX), ("whole text", WHOLE_TEXT)] {
        let options = ReadOptions {
            regex: Some(regex.to_string()),
            delimiter: Some(DELIMITER.to_string()),
            strict: false,
        };
        let read = median(3, || {
            let start = cpu_time();
            let log = read_log(&path, &options);
            assert!(
                log.as_ref().is_ok_and(|log| log.event_count() == events),
                "{name}: every event read"
            );
            black_box(log.ok());
            cpu_time() - start
        });
        let peak = peak_growth_with(&path, &[regex, DELIMITER]);
        println!(
            "{name:>12} | {:>8.1} {:>8.1} {:>6.2}",
            read.as_secs_f64() * 1e3,
            peak as f64 / (1 << 20) as f64,
            peak as f64 / bytes as f64
        );
    }
    let _ = std::fs::remove_file(&path);
}

/// The I/O floor: stream the file through a 1 MiB buffer and count its lines.
fn count_lines(path: &Path) -> usize {
    let Ok(mut file) = std::fs::File::open(path) else {
        return 0;
    };
    let mut buffer = vec![0u8; 1 << 20];
    let mut lines = 0;
    while let Ok(n) = file.read(&mut buffer) {
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buffer[..n]).count();
    }
    lines
}

/// In a fresh child process (so that no heap is left over from earlier steps): read, check
/// and analyze `path`, print the growth of VmHWM over VmRSS before reading, in bytes.
fn measure_memory_child(path: &Path, options: &ReadOptions) {
    let before = resident_memory();
    if let Ok(log) = read_log(path, options) {
        for execution in &log.executions {
            let _ = black_box(execution.check(&CheckOptions::default()));
            black_box(analyze(execution));
        }
    }
    println!("{}", peak_memory().saturating_sub(before));
}

/// Runs [`measure_memory_child`] in a child process; 0 if that fails.
fn peak_growth(path: &Path) -> u64 {
    peak_growth_with(path, &[])
}

/// [`peak_growth`] reading with a ShiViz regex and delimiter (`extra`).
fn peak_growth_with(path: &Path, extra: &[&str]) -> u64 {
    let Ok(exe) = std::env::current_exe() else {
        return 0;
    };
    std::process::Command::new(exe)
        .arg("measure-memory")
        .arg(path)
        .args(extra)
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

fn write_generated(path: &Path, events: usize, nodes: usize) -> std::io::Result<u64> {
    let generated = generate(&GenerateOptions {
        events,
        nodes,
        seed: 42,
        ..GenerateOptions::default()
    });
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let bytes = write_log(&generated, &mut out)?;
    std::io::Write::flush(&mut out)?;
    Ok(bytes)
}

fn median(repeats: usize, mut run: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..repeats).map(|_| run()).collect();
    times.sort();
    times[times.len() / 2]
}

/// The obvious reader, parsing only: lines, serde_json per clock, interned names, dense
/// rows.
fn naive_read(path: &Path) -> (Vec<String>, Vec<Vec<u64>>) {
    let Ok(file) = std::fs::File::open(path) else {
        return Default::default();
    };
    let mut names: Vec<String> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<Vec<u64>> = Vec::new();
    let mut lines = std::io::BufReader::new(file).lines();
    while let Some(Ok(line)) = lines.next() {
        let Some((host, clock)) = line.split_once(' ') else {
            continue;
        };
        let _text = lines.next();
        let Ok(map) = serde_json::from_str::<HashMap<String, u64>>(clock) else {
            continue;
        };
        let mut row = vec![0u64; names.len()];
        for name in std::iter::once(host.to_string()).chain(map.keys().cloned()) {
            if !ids.contains_key(&name) {
                ids.insert(name.clone(), names.len());
                names.push(name);
                row.push(0);
            }
        }
        for (name, value) in map {
            row[ids[&name]] = value;
        }
        rows.push(row);
    }
    (names, rows)
}

/// CPU time this thread has run (Linux schedstat, nanoseconds); falls back to 0.
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// VmHWM in bytes (0 when /proc is not there).
fn peak_memory() -> u64 {
    status_field("VmHWM:")
}

/// VmRSS in bytes: what the process holds before a measured read (heap kept from earlier
/// steps included), subtracted from the peak.
fn resident_memory() -> u64 {
    status_field("VmRSS:")
}

fn status_field(field: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}
