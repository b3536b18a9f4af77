//! CLI tests: `causet run --kill NODE@...+restart` (a node killed and started again,
//! resuming from its log). Kills are triggered by event counts (the node dies right after
//! its Nth event), never by wall time, so what is killed where is the same on every run.

use std::collections::HashMap;
use std::path::Path;

use crate::run::check_log;
use crate::util::{assert_error, causet, stderr, wait_guarded};

/// The events of a log file as (header line, text line) pairs, in file order.
fn events_of(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() % 2, 0, "{}: odd line count", path.display());
    lines
        .chunks(2)
        .map(|pair| (pair[0].to_string(), pair[1].to_string()))
        .collect()
}

/// A node's own entry in one of its header lines.
fn own_entry(header: &str) -> u64 {
    let (node, clock) = header.split_once(' ').unwrap();
    let clock: HashMap<String, u64> = serde_json::from_str(clock).unwrap();
    clock[node]
}

/// Events of the node logs missing from the merged log (as exact lines, counted with
/// multiplicity), and the events the node logs hold.
fn events_lost(out: &Path, nodes: usize) -> (usize, usize) {
    let mut merged: HashMap<(String, String), usize> = HashMap::new();
    for event in events_of(&out.join("causet.log")) {
        *merged.entry(event).or_default() += 1;
    }
    let (mut lost, mut logged) = (0, 0);
    for i in 0..nodes {
        for event in events_of(&out.join(format!("node{i}.log"))) {
            logged += 1;
            match merged.get_mut(&event) {
                Some(count) if *count > 0 => *count -= 1,
                _ => lost += 1,
            }
        }
    }
    (lost, logged)
}

/// Runs `causet run --json` with `args` into `out`; returns the summary.
fn run_json(out: &Path, args: &[&str]) -> serde_json::Value {
    let output = causet()
        .args(["run", "--json", "--out"])
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    // 0 when nothing was in flight to the killed node, else 1 (its receivers gave up).
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{:?}: {}",
        output.status,
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Checks what every restart run must hold: the merged log holds every event of every
/// node log, passes `causet check --lenient` and the independent model of `check_log`
/// (own entries 1, 2, 3, ... per node, each clock the max of its predecessors plus a
/// tick), and the summary counts what the logs hold.
fn assert_nothing_lost(out: &Path, summary: &serde_json::Value, nodes: usize) {
    let (lost, logged) = events_lost(out, nodes);
    assert_eq!(lost, 0, "events of node logs missing from the merged log");
    assert_eq!(summary["events"], logged as u64);
    let reports = summary["node_reports"].as_array().unwrap();
    let reported: u64 = reports.iter().map(|r| r["events"].as_u64().unwrap()).sum();
    assert_eq!(reported, logged as u64);
    assert_eq!(summary["check"]["valid"], true, "{summary}");
    let merged = out.join("causet.log");
    let (events, _, _, _) = check_log(&merged);
    assert_eq!(events, logged);
    let check = causet()
        .args(["check", "--lenient"])
        .arg(&merged)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stderr(&check));
}

/// A node's own entries in its log: 1, 2, 3, ... across its incarnations (never back).
fn assert_own_entries_continue(log: &Path) {
    for (k, (header, text)) in events_of(log).iter().enumerate() {
        assert_eq!(own_entry(header), k as u64 + 1, "{}: {text}", log.display());
    }
}

#[test]
fn a_node_killed_after_n_events_restarts_from_its_log_and_nothing_logged_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("restart");
    // node1 logs about 600 events (300 sends, about 300 receives): it dies right after its
    // 100th, whatever the load, and is started again.
    let summary = run_json(
        &out,
        &[
            "--nodes",
            "4",
            "--workload",
            "gossip",
            "--messages",
            "300",
            "--kill",
            "node1@100ev+restart",
            // (Patience for a restart on a loaded machine: see repeated_kills_end_...)
            "--timeout-ms",
            "3000",
        ],
    );
    let reports = summary["node_reports"].as_array().unwrap();
    assert_eq!(reports[1]["restarts"], 1, "{summary}");
    for (i, report) in reports.iter().enumerate() {
        if i != 1 {
            assert_eq!(report["restarts"], 0);
        }
    }
    assert_eq!(summary["unfired_kills"], serde_json::json!([]));
    let log = out.join("node1.log");
    let events = events_of(&log);
    // Exactly 100 events, then the new incarnation's first: `restart`.
    assert_eq!(events[0].1, "start");
    assert_eq!(events[100].1, "restart", "{:?}", &events[95..105]);
    assert_eq!(events.iter().filter(|e| e.1 == "restart").count(), 1);
    assert_eq!(events.iter().filter(|e| e.1 == "start").count(), 1);
    // The gossip goes on where it stopped: each of its 300 sends once, numbered 1 to 300.
    let sends: Vec<u32> = events
        .iter()
        .filter_map(|(_, text)| text.strip_prefix("send gossip "))
        .map(|rest| rest.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(sends, (1..=300).collect::<Vec<_>>());
    assert_eq!(reports[1]["sent"], 300);
    assert_own_entries_continue(&log);
    assert_nothing_lost(&out, &summary, 4);
}

/// The soak, scaled down for the test suite (the full one, 10^6 messages, is in
/// BENCHMARKS.md): 16 processes, 10^5 messages, node3 killed and restarted every 2,000 of
/// its events and node9 every 3,000 (about 6 and 4 times).
#[test]
fn a_soak_of_repeated_restarts_loses_no_logged_event() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("soak");
    let summary = run_json(
        &out,
        &[
            "--nodes",
            "16",
            "--workload",
            "gossip",
            "--messages",
            "6250",
            "--kill",
            "node3@every2000ev+restart",
            "--kill",
            "node9@every3000ev+restart",
            // (Patience for a restart on a loaded machine: see repeated_kills_end_...)
            "--timeout-ms",
            "3000",
        ],
    );
    let reports = summary["node_reports"].as_array().unwrap();
    for (node, every) in [(3, 2000), (9, 3000)] {
        let log = out.join(format!("node{node}.log"));
        let events = events_of(&log);
        let restarts = events.iter().filter(|e| e.1 == "restart").count();
        // An incarnation dies after `every` events (the last one may finish first).
        assert_eq!(restarts, (events.len() - 1) / every, "node{node}");
        assert!(restarts >= 3, "node{node}: {restarts} restarts");
        assert_eq!(reports[node]["restarts"], restarts as u64);
        for k in 1..=restarts {
            assert_eq!(events[k * every].1, "restart", "node{node}");
        }
        assert_eq!(reports[node]["sent"], 6250);
        assert_own_entries_continue(&log);
    }
    assert_eq!(summary["messages_sent"], 100_000);
    assert_nothing_lost(&out, &summary, 16);
}

/// A run whose nodes are being killed and restarted leaves no process behind: neither when
/// it ends, nor when the launcher itself is killed while it restarts nodes.
#[cfg(target_os = "linux")]
#[test]
fn restarted_nodes_leave_no_orphans() {
    use crate::run::{processes_left, processes_mentioning};
    let dir = tempfile::tempdir().unwrap();
    // A run that ends: every incarnation is gone with it.
    let out = dir.path().join("ends");
    run_json(
        &out,
        &[
            "--nodes",
            "3",
            "--messages",
            "200",
            "--kill",
            "node1@every50ev+restart",
            "--timeout-ms",
            "500",
        ],
    );
    let needle = out.to_string_lossy().into_owned();
    assert!(processes_mentioning(&needle, 0).is_empty());

    // The launcher killed mid-run, once node1 restarted (progress, not a time).
    let out = dir.path().join("killed");
    let needle = out.to_string_lossy().into_owned();
    let mut parent = causet()
        .args(["run", "--nodes", "3", "--messages", "1000000"])
        .args(["--kill", "node1@every500ev+restart", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let launcher = parent.id();
    let started = std::time::Instant::now();
    let restarted = |out: &Path| {
        std::fs::read_to_string(out.join("node1.log"))
            .is_ok_and(|log| log.lines().filter(|l| *l == "restart").count() >= 2)
    };
    while !restarted(&out) {
        assert!(started.elapsed().as_secs() < 60, "node1 never restarted");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    parent.kill().unwrap();
    parent.wait().unwrap();
    let left = processes_left(&needle, launcher);
    assert!(left.is_empty(), "orphaned nodes still running: {left:?}");
}

#[test]
fn bad_kill_specs_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad");
    for (spec, needle) in [
        ("node1@every100ev", "needs +restart"),
        ("node1@0ev+restart", "at least 1"),
        ("node1@tenev", "not a number"),
        ("node1@5+reboot", "not a number"),
    ] {
        let output = causet()
            .args(["run", "--kill", spec, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert_error(&output, needle);
    }
    let output = causet()
        .args(["run", "--buffered", "--kill", "node1@10ev+restart", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_error(&output, "restart needs logs flushed per event");
}

/// Regression: a node killed again and again before its receive timeout waited for the
/// messages lost with an earlier incarnation forever, restarted forever. Repeated kills now
/// stop once only such nodes are left. node1 dies after every second event (`restart`, one
/// send): once the others have ended, its last incarnation logs `restart` and `gave up`.
/// The others wait up to 3 s for each of node1's messages: a restart (a process started,
/// its log read, its peers reconnected) can take longer than the 300 ms of other tests on
/// a loaded machine, and a peer that gave up early would end the run before node1 sent all.
#[test]
fn repeated_kills_end_once_only_their_nodes_are_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("forever");
    let mut child = causet()
        .args(["run", "--json", "--nodes", "3", "--messages", "30"])
        .args([
            "--kill",
            "node1@every2ev+restart",
            "--timeout-ms",
            "3000",
            "--out",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_guarded(&mut child, 120, "the run");
    let output = child.wait_with_output().unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reports = &summary["node_reports"];
    let node1 = &reports[1];
    // The peers finish once they have every message planned for them, node1's 30 among
    // them: then node1 sent all 30, one an incarnation. A peer that gave up instead (a
    // restart slower than its 3 s, on an overloaded machine) ends the run earlier, as it
    // should; the run must still end, restarts and all, with nothing lost.
    let peers_finished = [0, 2].iter().all(|&i| reports[i]["status"] == "finished");
    if peers_finished {
        assert!(node1["restarts"].as_u64().unwrap() >= 30, "{node1}");
        assert_eq!(node1["sent"], 30, "{node1}");
    } else {
        assert!(
            [0, 2].iter().any(|&i| reports[i]["status"] == "incomplete"),
            "{reports}"
        );
        assert!(node1["restarts"].as_u64().unwrap() >= 1, "{node1}");
        eprintln!("note: a peer gave up waiting for node1 (a loaded machine): {reports}");
    }
    assert_own_entries_continue(&out.join("node1.log"));
    assert_nothing_lost(&out, &summary, 3);
}
