//! `--max-memory SIZE` of `causet races` and `causet run`: the size syntax, the default
//! (half of the machine's memory) and the model of what a `causet run` cluster needs.

use causet_runtime::Mode;

/// The help of `--max-memory` (both commands), after the command's own first sentence.
pub(crate) const SIZE_HELP: &str = "SIZE is bytes, or a number with a unit: K, M, G, T or KiB, \
     MiB, GiB, TiB (powers of 1024), KB, MB, GB, TB (powers of 1000); e.g. 512M, 4G, 1.5GiB \
     [default: half of the machine's memory (MemTotal in /proc/meminfo), else 4 GiB]";

/// Parses a SIZE: `4096`, `512M`, `4G`, `1.5GiB`, `2GB`, `100B` (units case-insensitive;
/// K M G T and KiB MiB GiB TiB are powers of 1024, KB MB GB TB powers of 1000).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let bad = |why: &str| {
        format!(
            "invalid size `{text}`: {why} (expected bytes or a number with a unit, e.g. \
             512M, 4G, 1.5GiB)"
        )
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    if number.is_empty() {
        return Err(bad("no number"));
    }
    let unit = unit.trim();
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(bad(&format!("unknown unit `{unit}`"))),
    };
    let bytes = if let Ok(whole) = number.parse::<u64>() {
        whole.checked_mul(scale).ok_or_else(|| bad("too large"))?
    } else {
        let value: f64 = number.parse().map_err(|_| bad("not a number"))?;
        let bytes = (value * scale as f64).round();
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(bad("too large"));
        }
        bytes as u64
    };
    if bytes == 0 {
        return Err(bad("must be more than 0 bytes"));
    }
    Ok(bytes)
}

/// The limit when `--max-memory` is not given: half of `MemTotal` in `/proc/meminfo`, or
/// 4 GiB where that cannot be read.
pub(crate) const FALLBACK: u64 = 4 << 30;

/// The limit to use and how to name it in messages: `given`, else half of the machine's
/// memory, else [`FALLBACK`].
pub(crate) fn limit(given: Option<u64>) -> (u64, String) {
    if let Some(bytes) = given {
        return (bytes, "--max-memory".into());
    }
    match std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_total(&text))
    {
        Some(total) => (total / 2, "half of this machine's memory".into()),
        None => (FALLBACK, "the default without /proc/meminfo".into()),
    }
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line["MemTotal:".len()..].split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") | None => kib.checked_mul(1024),
        Some(_) => None,
    }
}

/// Nodes above which task mode keeps the node logs in memory until the run ends
/// (`causet_runtime::demo::MAX_OPEN_LOGS`).
const LOGS_IN_MEMORY_ABOVE: usize = causet_runtime::demo::MAX_OPEN_LOGS;

/// The bytes a `causet run` of `nodes` nodes hosted as `host`, `messages` messages in all,
/// is estimated to need at its peak (all its processes together). The model, calibrated by
/// max RSS under `/usr/bin/time -v` (BENCHMARKS.md, "Memory guard": measured peaks are
/// 0.19x-0.96x of it in task mode from 2,000 to 20,000 nodes with 1 to 16 messages a node,
/// 0.34x-0.79x in thread mode at 1,000 and 2,000 nodes; lowest with 1 message a node, whose
/// clocks stay short):
/// - every node's clock dense: `nodes` entries of 8 bytes, or 36 with differential stamps
///   (their bookkeeping is about 28 bytes an entry): `nodes² × 8` (or `× 36`);
/// - per node a fixed part: a task's state and channel 16 KiB, a thread's stack and log
///   buffer 256 KiB, a process 8 MiB;
/// - in task mode above 512 nodes the logs stay in memory until the end: node i's j-th
///   event logs the clock entries it knows, at most `min(nodes, 2^j)` (knowledge at most
///   doubles with each event), about 14 bytes each;
/// - 64 bytes per event for the merge, and 16 MiB for the process itself.
///
/// Saturates at `u64::MAX`.
pub(crate) fn run_estimate(host: Mode, nodes: usize, messages: u64, differential: bool) -> u64 {
    let n = nodes as u64;
    let entry: u64 = if differential { 36 } else { 8 };
    let per_node: u64 = match host {
        Mode::Task => 16 << 10,
        Mode::Thread => 256 << 10,
        Mode::Process => 8 << 20,
    };
    let events = run_events(nodes, messages);
    let logs = if host == Mode::Task && nodes > LOGS_IN_MEMORY_ABOVE {
        logged_entries(nodes, events).saturating_mul(14)
    } else {
        0
    };
    n.saturating_mul(n)
        .saturating_mul(entry)
        .saturating_add(n.saturating_mul(per_node))
        .saturating_add(logs)
        .saturating_add(events.saturating_mul(64))
        .saturating_add(16 << 20)
}

/// A send and a receive per message, and a start and an end per node.
fn run_events(nodes: usize, messages: u64) -> u64 {
    messages
        .saturating_mul(2)
        .saturating_add((nodes as u64).saturating_mul(2))
}

/// Clock entries the nodes' log lines hold in all, for `events` events spread evenly over
/// `nodes` nodes: node i's j-th event logs the entries it knows, at most `min(nodes, 2^j)`
/// (knowledge at most doubles with each event).
fn logged_entries(nodes: usize, events: u64) -> u64 {
    let n = nodes as u64;
    let per_node_events = events.div_ceil(n.max(1));
    let entries: u64 = (1..=per_node_events.min(64))
        .map(|j| n.min(1u64 << j.min(63)))
        .fold(0, u64::saturating_add)
        .saturating_add(per_node_events.saturating_sub(64).saturating_mul(n));
    n.saturating_mul(entries)
}

/// The bytes a `causet run` of `nodes` nodes and `messages` messages writes to its output
/// directory, at most: the node logs and the merged log (the same events again), each
/// event a header with its known clock entries (about 14 bytes each: `"node17":123, `) and a
/// text line (about 40 bytes), as [`logged_entries`] counts them. An upper bound: gossip
/// spreads knowledge fastest; a ring's clocks stay shorter.
pub(crate) fn log_estimate(nodes: usize, messages: u64) -> u64 {
    let events = run_events(nodes, messages);
    logged_entries(nodes, events)
        .saturating_mul(14)
        .saturating_add(events.saturating_mul(40))
        .saturating_mul(2)
}

/// Free bytes for an unprivileged writer on the file system holding `dir` (or its nearest
/// existing ancestor), if the system says.
pub(crate) fn free_space(dir: &std::path::Path) -> Option<u64> {
    let mut probe = dir;
    loop {
        if probe.exists() {
            let stat = nix::sys::statvfs::statvfs(probe).ok()?;
            return Some(
                (stat.blocks_available() as u64).saturating_mul(stat.fragment_size() as u64),
            );
        }
        probe = match probe.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => std::path::Path::new("."),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_and_decimal_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("0.5K"), Ok(512));
        for bad in [
            "",
            "G",
            "abc",
            "4X",
            "4GG",
            "-1G",
            "1.2.3M",
            "0",
            "0G",
            "99999999999T",
        ] {
            let err = parse_size(bad).expect_err(bad);
            assert!(err.starts_with(&format!("invalid size `{bad}`")), "{err}");
        }
    }

    #[test]
    fn log_estimate_bounds_a_full_gossip_and_saturates() {
        // 4 nodes, 1,000 messages: 2,008 events, at most 4 entries each once knowledge
        // has spread (after 2 events per node).
        let events = run_events(4, 1_000);
        assert_eq!(events, 2_008);
        let entries = logged_entries(4, events);
        assert!(
            entries <= events * 4 && entries >= (events - 8) * 4,
            "{entries}"
        );
        assert_eq!(log_estimate(4, 1_000), (entries * 14 + events * 40) * 2);
        assert_eq!(log_estimate(2_000, u64::MAX), u64::MAX);
    }

    #[test]
    fn free_space_is_found_through_missing_directories() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        let free = free_space(&deep).expect("statvfs");
        assert!(free > 0);
        assert!(free_space(dir.path()).is_some_and(|here| here > 0));
    }

    #[test]
    fn mem_total_is_read_in_kib() {
        let text = "MemTotal:       24567080 kB\nMemFree:        20000000 kB\n";
        assert_eq!(mem_total(text), Some(24_567_080 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
        assert_eq!(mem_total("MemTotal: lots\n"), None);
        let (bytes, why) = limit(Some(123));
        assert_eq!((bytes, why.as_str()), (123, "--max-memory"));
    }

    #[test]
    fn run_estimate_is_dense_clocks_and_more() {
        // 100,000 nodes in task mode, 4 messages each, full stamps: the clocks alone are
        // 80 GB.
        let big = run_estimate(Mode::Task, 100_000, 400_000, false);
        assert!(big > 80_000_000_000, "{big}");
        assert!(big < 90_000_000_000, "{big}");
        // Differential stamps keep 4.5x the clock.
        let small = run_estimate(Mode::Thread, 100, 400, false);
        let diff = run_estimate(Mode::Thread, 100, 400, true);
        assert_eq!(diff - small, 100 * 100 * 28);
        // More messages, more logged entries (task mode above 512 nodes).
        assert!(
            run_estimate(Mode::Task, 2_000, 32_000, true)
                > run_estimate(Mode::Task, 2_000, 8_000, true) + 500_000_000
        );
        assert_eq!(
            run_estimate(Mode::Task, usize::MAX, u64::MAX, true),
            u64::MAX
        );
    }
}
