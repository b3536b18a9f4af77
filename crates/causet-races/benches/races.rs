//! Events per second of `causet races` engines on generated STD traces, whole run (parse +
//! engine), with the parse-only rate as the baseline beside them, and peak memory (VmHWM).
//!
//! A `harness = false` bench: traces of 10^7 events are too big for criterion's sampling.
//! For every thread count and trace length it writes a seeded trace to a temporary file,
//! then runs each measurement in a fresh child process (this binary again), so that each
//! one's VmHWM is its own; times are medians of `RUNS` runs inside the child. Engines run
//! as `causet races` does: on long inputs the reading thread and the engine thread overlap
//! (`vc/1`, `epoch/1`, `tree/1` in `RACES_WHAT` keep everything on one thread). CPU time
//! counts every thread of the child.
//!
//! RapidBin input: each trace is also converted once to RapidBin (`std_to_rapidbin`), and
//! `bin/parse`, `bin/vc`, `bin/epoch`, `bin/tree` (and `bin/epoch/1` etc.) measure the same
//! cells on it: reading a word costs a few instructions instead of about 265 for an STD
//! line, so these show the engines' own speed. Ratio columns are printed for the pairs
//! measured (`tree/vc`, and `bin/tree/bin/vc` with RapidBin input).
//!
//! ```text
//! cargo bench -p causet-races --bench races
//! RACES_THREADS=8,64 RACES_EVENTS=1000000 RACES_RUNS=5 cargo bench -p causet-races --bench races
//! RACES_KEEP=/tmp cargo bench -p causet-races --bench races   # keep the traces
//! RACES_WHAT=parse,epoch,epoch/1 cargo bench -p causet-races --bench races
//! RACES_WHAT=parse,vc,epoch,tree,bin/parse,bin/vc,bin/epoch,bin/tree cargo bench -p causet-races --bench races
//! ```

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use causet_races::generate::{TraceShape, generate};
use causet_races::rapidbin::{RapidBinReader, std_to_rapidbin};
use causet_races::{
    Engine, RaceOptions, StdReader, TraceFormat, detect_races, detect_races_with_format,
};

const CHILD: &str = "CAUSET_RACES_BENCH_CHILD";

fn env_list(name: &str, default: &str) -> Vec<u64> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
        return;
    }
    let threads = env_list("RACES_THREADS", "8,32,64");
    let lengths = env_list("RACES_EVENTS", "1000000,10000000");
    let localities = env_list("RACES_LOCALITY", "0,4");
    let runs = env_list("RACES_RUNS", "3").first().copied().unwrap_or(3);
    let what_list = std::env::var("RACES_WHAT").unwrap_or_else(|_| "parse,vc,epoch,tree".into());
    let whats: Vec<&str> = what_list.split(',').map(str::trim).collect();
    // RACES_KEEP=DIR keeps the generated traces there (for profiling).
    let dir = tempfile::tempdir().expect("temp dir");
    let keep = std::env::var_os("RACES_KEEP").map(std::path::PathBuf::from);
    let dir_path = keep.unwrap_or_else(|| dir.path().to_path_buf());
    println!(
        "M events/s, wall clock, median of {runs} runs per cell (CPU time of all threads over the {runs} runs in parentheses)"
    );
    // Ratios of wall-clock rates, for the pairs measured.
    let pairs: Vec<(&str, &str)> = [
        ("tree", "vc"),
        ("epoch", "vc"),
        ("tree", "epoch"),
        ("bin/tree", "bin/vc"),
        ("bin/epoch", "bin/vc"),
        ("bin/epoch", "epoch"),
    ]
    .into_iter()
    .filter(|(a, b)| whats.contains(a) && whats.contains(b))
    .collect();
    let engines: Vec<&str> = whats
        .iter()
        .copied()
        .filter(|w| !w.ends_with("parse"))
        .collect();
    let binary = whats.iter().any(|w| w.starts_with("bin/"));
    let mut header = String::from("| threads | events | locks per thread |");
    for what in &whats {
        if *what == "parse" {
            header.push_str(" parse only (baseline) |");
        } else if *what == "bin/parse" {
            header.push_str(" bin/parse only |");
        } else {
            header.push_str(&format!(" {what} |"));
        }
    }
    for (a, b) in &pairs {
        let label = match (a.strip_prefix("bin/"), b.strip_prefix("bin/")) {
            (Some(a), Some(b)) => format!("bin {a}/{b}"),
            _ => format!("{a} / {b}"),
        };
        header.push_str(&format!(" {label} |"));
    }
    header.push_str(&format!(" racy events | VmHWM {} |", engines.join(" / ")));
    println!("{header}");
    println!("|{}", "---|".repeat(header.matches('|').count() - 1));
    for &events in &lengths {
        for &locks_per_thread in &localities {
            let locks_per_thread = locks_per_thread as u32;
            for &t in &threads {
                let shape = TraceShape {
                    threads: t as u32,
                    locks: 64,
                    variables: 10_000,
                    events,
                    lock_density: 0.05,
                    locks_per_thread,
                    shared_fraction: 0.001,
                    write_fraction: 0.3,
                    seed: 42,
                };
                let path = dir_path.join(format!("t{t}-e{events}-k{locks_per_thread}.std"));
                let file = BufWriter::new(File::create(&path).expect("create trace"));
                generate(&shape, file).expect("write trace");
                let binary_path = path.with_extension("data");
                if binary {
                    let input = File::open(&path).expect("trace");
                    let out = File::create(&binary_path).expect("create RapidBin trace");
                    std_to_rapidbin(std::io::BufReader::new(input), "trace", out)
                        .expect("convert trace");
                }
                let mut cells = Vec::new();
                let mut rates = Vec::new();
                let mut memory = Vec::new();
                let mut racy_events = 0;
                for &what in &whats {
                    let input = if what.starts_with("bin/") {
                        &binary_path
                    } else {
                        &path
                    };
                    let (rate, cpu_rate, hwm, racy) = measure(what, input, runs);
                    eprintln!(
                        "threads {t} events {events} locality {locks_per_thread} {what}: {rate:.2} M events/s ({cpu_rate:.2} of CPU time), VmHWM {hwm} kB, racy {racy}"
                    );
                    cells.push(format!("{rate:.2} ({cpu_rate:.2})"));
                    rates.push((what, rate));
                    racy_events = racy_events.max(racy);
                    if !what.ends_with("parse") {
                        memory.push(format!("{:.0}", hwm as f64 / 1024.0));
                    }
                }
                let locality = match locks_per_thread {
                    0 => "all".to_string(),
                    k => k.to_string(),
                };
                let rate_of = |name: &str| {
                    rates
                        .iter()
                        .find(|(what, _)| *what == name)
                        .map_or(f64::NAN, |(_, rate)| *rate)
                };
                let mut row = format!("| {t} | {events} | {locality} | {} |", cells.join(" | "));
                for (a, b) in &pairs {
                    row.push_str(&format!(" {:.2}x |", rate_of(a) / rate_of(b)));
                }
                row.push_str(&format!(" {racy_events} | {} MB |", memory.join(" / ")));
                println!("{row}");
                if std::env::var_os("RACES_KEEP").is_none() {
                    std::fs::remove_file(&path).ok();
                    std::fs::remove_file(&binary_path).ok();
                }
            }
        }
    }
}

/// Runs one measurement in a child process; returns (median M events/s wall-clock, M
/// events/s of CPU time over all runs, VmHWM kB, racy events).
fn measure(what: &str, path: &Path, runs: u64) -> (f64, f64, u64, u64) {
    let exe = std::env::current_exe().expect("own path");
    let output = Command::new(exe)
        .env(CHILD, format!("{what}\t{runs}\t{}", path.display()))
        .output()
        .expect("child runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert!(
        output.status.success() && fields.len() == 4,
        "child failed: {text} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        fields[0].parse().expect("rate"),
        fields[1].parse().expect("cpu rate"),
        fields[2].parse().expect("hwm"),
        fields[3].parse().expect("racy"),
    )
}

fn child(spec: &str) {
    let mut parts = spec.splitn(3, '\t');
    let what = parts.next().expect("what");
    let runs: usize = parts.next().and_then(|r| r.parse().ok()).expect("runs");
    let path = parts.next().expect("path");
    let mut rates = Vec::new();
    let mut racy = 0;
    let mut total_events = 0u64;
    // CPU time is counted in clock ticks: over all runs together, for precision.
    let cpu_started = cpu_ns();
    for _ in 0..runs.max(1) {
        let file = File::open(path).expect("trace");
        let started = Instant::now();
        let events = if what == "bin/parse" {
            let mut reader = RapidBinReader::new(file, path).expect("valid header");
            let mut n = 0u64;
            while let Some(event) = reader.next_event().expect("valid trace") {
                std::hint::black_box(event);
                n += 1;
            }
            n
        } else if what == "parse" {
            let mut reader = StdReader::new(file, path);
            let mut n = 0u64;
            while let Some(event) = reader.next_event().expect("valid trace") {
                std::hint::black_box(event);
                n += 1;
            }
            n
        } else {
            // `bin/epoch`: RapidBin input.
            let (format, what) = match what.strip_prefix("bin/") {
                Some(rest) => (TraceFormat::RapidBin, rest),
                None => (TraceFormat::Std, what),
            };
            // `epoch/1` etc.: the engine on the calling thread only (no reading thread).
            let (name, single) = match what.strip_suffix("/1") {
                Some(name) => (name, true),
                None => (what, false),
            };
            let engine: Engine = name.parse().expect("engine");
            let mut options = RaceOptions::new(engine);
            options.parallel = !single;
            let report = if format == TraceFormat::Std {
                detect_races(file, path, &options).expect("valid trace")
            } else {
                detect_races_with_format(file, path, format, &options, &mut |_| {})
                    .expect("valid trace")
            };
            racy = report.racy_events;
            report.events
        };
        let seconds = started.elapsed().as_secs_f64();
        rates.push(events as f64 / seconds / 1e6);
        total_events += events;
    }
    let cpu_seconds = (cpu_ns() - cpu_started) as f64 / 1e9;
    let cpu_rate = if cpu_seconds > 0.0 {
        total_events as f64 / cpu_seconds / 1e6
    } else {
        f64::NAN
    };
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!("{median} {cpu_rate} {} {racy}", vm_hwm_kb());
}

/// CPU time of this process so far, every thread included (the engine may run on a second
/// thread), in ns, from `/proc/self/stat` (clock ticks, usually 10 ms: runs here take 0.5 s
/// or more). On a shared machine wall-clock rates depend on the neighbours, CPU time much less.
fn cpu_ns() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|x| x.parse::<u64>().ok()).sum());
    // USER_HZ is 100 on every Linux this runs on.
    ticks * 10_000_000
}

/// Peak resident memory of this process (Linux), in kB; 0 where unknown.
fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
