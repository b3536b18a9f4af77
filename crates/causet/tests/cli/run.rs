//! CLI tests: `causet run` (process, thread and task modes, `--kill`) and `causet node` by
//! hand. Every run uses a temporary `--out` and only 127.0.0.1.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::util::{assert_error, causet, run_in, stderr, stdout, wait_guarded};

/// One event of a GoVector log: node, clock, text.
type Event = (String, BTreeMap<String, u64>, String);

fn parse(text: &str) -> Vec<Event> {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() % 2, 0, "odd line count");
    lines
        .chunks(2)
        .map(|pair| {
            let (node, clock) = pair[0].split_once(' ').unwrap();
            let clock: BTreeMap<String, u64> = serde_json::from_str(clock).unwrap();
            (node.to_string(), clock, pair[1].to_string())
        })
        .collect()
}

/// Checks a merged log: own entries 1..n per node with no gaps, every receive after its
/// send in the file, and each receive's clock = max(previous event, send) + own tick.
/// Returns (events, messages matched, sends without receive).
/// Checks a merged log against the texts' send/receive matching and returns (events,
/// messages, messages visible from the clocks alone, sends never received). A message is
/// visible, to `causet analyze` as to ShiViz, when its send was new to the receiver.
pub(crate) fn check_log(path: &Path) -> (usize, usize, usize, usize) {
    let events = parse(&std::fs::read_to_string(path).unwrap());
    let mut last: HashMap<String, BTreeMap<String, u64>> = HashMap::new();
    let mut sends: HashMap<(String, String), BTreeMap<String, u64>> = HashMap::new();
    let mut matched = 0;
    let mut visible = 0;
    for (node, clock, text) in &events {
        let previous = last.get(node).cloned().unwrap_or_default();
        let own = clock.get(node).copied().unwrap_or(0);
        assert_eq!(
            own,
            previous.get(node).copied().unwrap_or(0) + 1,
            "gap at {node} {clock:?}"
        );
        let mut expected = previous.clone();
        if let Some(rest) = text.strip_prefix("send ") {
            sends.insert((node.clone(), rest.to_string()), clock.clone());
        }
        if let Some(rest) = text.strip_prefix("receive ") {
            let (payload, from) = rest.rsplit_once(" from ").unwrap();
            let send = sends
                .remove(&(from.to_string(), format!("{payload} to {node}")))
                .unwrap_or_else(|| panic!("{node}: {text} before its send"));
            let sent = send.get(from).copied().unwrap_or(0);
            if sent > previous.get(from).copied().unwrap_or(0) {
                visible += 1;
            }
            for (name, value) in send {
                let entry = expected.entry(name).or_default();
                *entry = (*entry).max(value);
            }
            matched += 1;
        }
        expected.insert(node.clone(), own);
        assert_eq!(clock, &expected, "{node}: {text}");
        last.insert(node.clone(), clock.clone());
    }
    (events.len(), matched, visible, sends.len())
}

#[test]
fn default_run_uses_four_processes_and_writes_logs_a_diagram_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(dir.path(), &["run"]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let out = dir.path().join("causet-run");
    for name in [
        "node0.log",
        "node1.log",
        "node2.log",
        "node3.log",
        "causet.log",
        "diagram.svg",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let (events, messages, visible, unreceived) = check_log(&out.join("causet.log"));
    // 4 nodes × (start + 4 sends + done) + 16 receives.
    assert_eq!((events, messages, unreceived), (40, 16, 0));
    let text = stdout(&output);
    assert!(text.contains("4 nodes as OS processes"), "{text}");
    // The summary counts the messages sent and, when fewer, those the clocks imply (as
    // ShiViz infers them: a receive whose stamp brings nothing new shows no edge; with real
    // processes that depends on timing); that figure must agree with `causet analyze`.
    let analyze = run_in(&out, &["analyze", "causet.log", "--json"]);
    assert!(analyze.status.success(), "{}", stderr(&analyze));
    let analysis: serde_json::Value = serde_json::from_slice(&analyze.stdout).unwrap();
    let inferred = analysis["executions"][0]["messages"].as_u64().unwrap();
    assert_eq!(inferred, visible as u64);
    let expected = if inferred == 16 {
        "events 40, messages 16, concurrent pairs".to_string()
    } else {
        format!("events 40, messages 16 ({inferred} seen in the clocks;")
    };
    assert!(text.contains(&expected), "{text}");
    assert!(text.contains("merged log passes causet check"), "{text}");
    let check = run_in(&out, &["check", "causet.log"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let svg = std::fs::read_to_string(out.join("diagram.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    // The stamp line, and the hint exactly when differential stamps saved nothing.
    let line = text
        .lines()
        .find(|line| line.contains("stamp bytes:"))
        .unwrap_or_else(|| panic!("no stamp line in {text}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|word| word.parse().ok())
        .collect();
    let (sent, full) = (numbers[0], numbers[1]);
    assert!(sent > 0 && full > 0, "{line}");
    assert_eq!(
        text.contains("no saving on this run"),
        sent >= full,
        "{text}"
    );
}

#[test]
fn json_summary_of_each_mode_agrees_with_its_log() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, workload) in [
        ("process", "ping"),
        ("thread", "ring"),
        ("task", "broadcast"),
    ] {
        let out = dir.path().join(mode);
        let output = causet()
            .args([
                "run",
                "--json",
                "--mode",
                mode,
                "--workload",
                workload,
                "--nodes",
                "3",
            ])
            .args(["--messages", "2", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{mode}: {}", stderr(&output));
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["mode"], mode);
        assert_eq!(summary["complete"], true);
        assert_eq!(summary["check"]["valid"], true);
        let (events, messages, visible, unreceived) = check_log(&out.join("causet.log"));
        assert_eq!(summary["events"], events as u64, "{mode}");
        assert_eq!(summary["messages_sent"], messages as u64, "{mode}");
        // Inferred from the clocks: with real processes, timing decides which are visible.
        assert_eq!(summary["messages"], visible as u64, "{mode}");
        assert_eq!(unreceived, 0);
        assert!(summary["concurrent_pairs"].as_u64().is_some());
        assert_eq!(summary["node_reports"].as_array().unwrap().len(), 3);
    }
}

#[test]
fn a_killed_node_is_reported_and_the_others_finish_with_a_valid_partial_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("killed");
    // A ring of 3 of a million rounds and a short receive timeout: node1 dies right after
    // its 1,000th event (a count, not a time: with a kill at 100 ms a ring of 1,000 rounds
    // could finish first under load), the token stops, node0 and node2 give up after
    // 400 ms of silence.
    let output = causet()
        .args([
            "run",
            "--json",
            "--workload",
            "ring",
            "--nodes",
            "3",
            "--messages",
            "1000000",
        ])
        .args(["--kill", "node1@1000ev", "--timeout-ms", "400", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reports = summary["node_reports"].as_array().unwrap();
    assert_eq!(reports[1]["status"], "killed");
    for survivor in [&reports[0], &reports[2]] {
        assert_eq!(survivor["status"], "incomplete", "{survivor}");
    }
    assert_eq!(summary["check"]["lenient"], true);
    assert_eq!(summary["check"]["valid"], true, "{summary}");
    // The merged log keeps every event the survivors logged, including their give-ups.
    let (events, _, _, _) = check_log(&out.join("causet.log"));
    let logged: u64 = reports.iter().map(|r| r["events"].as_u64().unwrap()).sum();
    assert!(events as u64 >= logged);
    let text = std::fs::read_to_string(out.join("causet.log")).unwrap();
    assert_eq!(text.matches("gave up waiting").count(), 2);
    // Every count comes from the node logs, the killed node's included (it never reported:
    // it was counted as 0 events, 0 sent).
    for (i, report) in reports.iter().enumerate() {
        let own = std::fs::read_to_string(out.join(format!("node{i}.log"))).unwrap();
        let (events, sends) = count_events(&own);
        assert_eq!(report["events"], events, "node{i}");
        assert_eq!(report["sent"], sends, "node{i}");
    }
    assert_eq!(reports[1]["events"], 1000);
    assert_eq!(summary["messages_sent"], count_events(&text).1);
    let log = out.join("causet.log");
    let check = causet()
        .args(["check", "--lenient"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stderr(&check));
}

/// The events of a node log (or a merged one) and how many are sends (`send ...` texts),
/// counted line by line: a header line `NODE {clock}`, then the event's text.
fn count_events(log: &str) -> (u64, u64) {
    let lines: Vec<&str> = log.lines().collect();
    let events = lines.chunks(2).filter(|pair| pair.len() == 2);
    let (mut count, mut sends) = (0, 0);
    for pair in events {
        count += 1;
        sends += u64::from(pair[1].starts_with("send "));
    }
    (count, sends)
}

/// Regression: SIGTERM, SIGINT or SIGHUP to the parent of a long process-mode run left the
/// nodes running (and nothing merged). Now the nodes are stopped, and what they logged is
/// merged, checked and counted.
#[cfg(target_os = "linux")]
#[test]
fn a_signal_to_the_launcher_stops_the_nodes_and_merges_their_logs() {
    for signal in ["TERM", "INT", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join(format!("signal-{signal}"));
        let needle = out.to_string_lossy().into_owned();
        let mut parent = causet()
            .args(["run", "--json", "--workload", "ring", "--nodes", "4"])
            .args(["--messages", "1000000", "--out"])
            .arg(&out)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let launcher = parent.id();
        // Running once every node has logged something (progress, not a time).
        let started = std::time::Instant::now();
        while (0..4).any(|i| {
            std::fs::metadata(out.join(format!("node{i}.log"))).map_or(true, |m| m.len() == 0)
        }) {
            assert!(started.elapsed().as_secs() < 30, "the nodes never started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), launcher.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        wait_guarded(&mut parent, 60, &format!("causet run after SIG{signal}"));
        let output = parent.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "SIG{signal}: {}",
            stderr(&output)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["interrupted"], true, "SIG{signal}");
        assert_eq!(summary["complete"], false);
        assert_eq!(summary["check"]["valid"], true, "SIG{signal}: {summary}");
        // The merged log holds what the nodes logged, and the counts come from the logs.
        let merged = std::fs::read_to_string(out.join("causet.log")).unwrap();
        let (events, sends) = count_events(&merged);
        assert!(events > 4, "SIG{signal}: {events} events");
        assert_eq!(summary["events"], events);
        assert_eq!(summary["messages_sent"], sends);
        let reports = summary["node_reports"].as_array().unwrap();
        let logged: u64 = reports.iter().map(|r| r["events"].as_u64().unwrap()).sum();
        assert_eq!(logged, events, "SIG{signal}");
        // No node outlives the run.
        assert!(
            processes_mentioning(&needle, launcher).is_empty(),
            "SIG{signal}"
        );
    }
}

/// Regression: the watchdog counted only what nodes print, and working nodes print nothing
/// until they report, so a healthy run longer than the receive timeout plus its grace was
/// SIGKILLed and reported as crashed with 0 messages sent.
///
/// The watchdog is brought close (2 s of silence: the receive timeout, no grace) without
/// making nodes give up early: a node waits 2 s for a hop before giving up, which no load
/// seen here stalls (with a 100 ms timeout, loaded runs of this test gave up: 4 of 13 under
/// a stress loop beside four builds).
#[test]
fn a_healthy_run_longer_than_the_watchdog_grace_is_not_killed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("long");
    // 450,000 hops take about 8 s here (never under 4 s), well past the 2 s of silence.
    let messages = 150_000u64;
    let output = causet()
        .args(["run", "--json", "--workload", "ring", "--nodes", "3"])
        .args(["--messages", &messages.to_string(), "--timeout-ms", "2000"])
        .args(["--watchdog-grace-ms", "0"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["complete"], true, "{}", stderr(&output));
    assert_eq!(summary["messages_sent"], 3 * messages);
    for report in summary["node_reports"].as_array().unwrap() {
        assert_eq!(report["status"], "finished", "{report}");
        assert_eq!(report["sent"], messages, "{report}");
    }
}

/// Regression: a `--kill` whose time came after the run ended was not mentioned at all.
#[test]
fn a_kill_that_never_fires_is_said_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("unfired");
    let args = [
        "run",
        "--workload",
        "ring",
        "--nodes",
        "3",
        "--messages",
        "5",
    ];
    let kill = ["--kill", "node1@600000", "--out"];
    let text = causet().args(args).args(kill).arg(&out).output().unwrap();
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(
        stdout(&text).contains("--kill node1@600000 never fired: the run ended after"),
        "{}",
        stdout(&text)
    );
    let json = causet()
        .args(args)
        .arg("--json")
        .args(kill)
        .arg(&out)
        .output()
        .unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        summary["unfired_kills"],
        serde_json::json!(["node1@600000"])
    );
    assert_eq!(summary["complete"], true);
}

/// The processes but `except` whose command line mentions `needle` (the nodes of one run
/// name its `--out` directory in their log paths).
#[cfg(target_os = "linux")]
pub(crate) fn processes_mentioning(needle: &str, except: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() || pid == except {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(needle) {
            found.push(pid);
        }
    }
    found
}

/// The processes [`processes_mentioning`] finds once they are gone, or after 10 s (a hang
/// guard, not a timing assertion: the kernel kills the nodes with their parent).
#[cfg(target_os = "linux")]
pub(crate) fn processes_left(needle: &str, except: u32) -> Vec<u32> {
    let killed = std::time::Instant::now();
    let mut left = processes_mentioning(needle, except);
    while !left.is_empty() && killed.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        left = processes_mentioning(needle, except);
    }
    left
}

/// Regression: SIGKILL to the parent of a long process-mode run left every node running
/// (620 MB of logs written in 44 s by 8 orphans).
#[cfg(target_os = "linux")]
#[test]
fn nodes_die_with_their_launcher() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("orphans");
    let needle = out.to_string_lossy().into_owned();
    let mut parent = causet()
        .args([
            "run",
            "--workload",
            "ring",
            "--nodes",
            "3",
            "--messages",
            "1000000",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let launcher = parent.id();
    let started = std::time::Instant::now();
    // The nodes are running once all three log files exist (their first events are logged).
    while (0..3).any(|i| !out.join(format!("node{i}.log")).exists()) {
        assert!(started.elapsed().as_secs() < 30, "the nodes never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        processes_mentioning(&needle, launcher).len(),
        3,
        "three nodes running"
    );
    parent.kill().unwrap();
    parent.wait().unwrap();
    let left = processes_left(&needle, launcher);
    assert!(left.is_empty(), "orphaned nodes still running: {left:?}");
}

/// Regression: the summary suggested `causet check ...` though after the README's `cargo
/// run` no `causet` is on `PATH`; it names the binary's real path then.
#[test]
fn the_next_step_names_a_command_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let output = causet()
        .args(["run", "--mode", "thread", "--nodes", "2", "--out"])
        .arg(dir.path().join("next"))
        .env("PATH", "")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let next = text.lines().find(|l| l.contains("next: ")).unwrap();
    let program = next.trim().strip_prefix("next: ").unwrap();
    let program = program.split(" check ").next().unwrap();
    assert!(
        Path::new(program).is_file(),
        "{program:?} in {next:?} is not the binary's path"
    );
}

/// Regression: `--out` deleted the node logs of an earlier run without a word.
#[test]
fn old_node_logs_removed_from_out_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("again");
    for (nodes, said) in [("4", None), ("2", Some("removed 4 node log(s)"))] {
        let output = causet()
            .args([
                "run", "--json", "--mode", "thread", "--nodes", nodes, "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let err = stderr(&output);
        match said {
            None => assert!(!err.contains("removed"), "{err}"),
            Some(said) => {
                assert!(err.contains(said), "{err}");
                assert!(err.contains("(node0.log ... node3.log)"), "{err}");
            }
        }
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap();
    }
}

/// Regression: two runs into one `--out` interleaved their node logs, and one of them
/// reported itself complete and valid with events missing.
#[test]
fn a_second_run_into_the_same_out_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("busy");
    std::fs::create_dir_all(&out).unwrap();
    // Stand in for a running `causet run` by holding its lock.
    let held = std::fs::File::create(out.join(".causet-run.lock")).unwrap();
    held.try_lock().unwrap();
    let output = causet()
        .args(["run", "--mode", "thread", "--nodes", "2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("another causet run is writing into"),
        "{}",
        stderr(&output)
    );
    assert!(!out.join("causet.log").exists());
    // Once the lock is free, the run goes ahead.
    drop(held);
    let output = causet()
        .args(["run", "--mode", "thread", "--nodes", "2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn bad_arguments_are_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["run", "--nodes", "1"][..],
        &["run", "--mode", "thread", "--kill", "node1@5"],
        &["run", "--kill", "node9@5"],
        &["run", "--kill", "node1"],
        &["run", "--workload", "chat"],
        &["node", "--name", "a", "--peer", "b=127.0.0.1:1"],
        &["node", "--name", "a", "--token", "t", "--peer", "b"],
        &[
            "node",
            "--name",
            "a",
            "--token",
            "t",
            "--peer",
            "b=localhost:99999",
        ],
        &[
            "node",
            "--name",
            "a",
            "--token",
            "t",
            "--peer",
            "=localhost:1",
        ],
        &[
            "node",
            "--name",
            "a",
            "--token",
            "t",
            "--peer",
            "b=no.such.host.invalid:1",
        ],
    ] {
        let output = run_in(dir.path(), args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stdout(&output)
        );
        assert!(stderr(&output).starts_with("causet:") || stderr(&output).contains("error"));
    }
}

#[test]
fn a_zero_timeout_is_refused_as_a_bad_argument() {
    let dir = tempfile::tempdir().unwrap();
    for (args, flag) in [
        (&["run", "--timeout-ms", "0"][..], "--timeout-ms"),
        (
            &[
                "node",
                "--name",
                "a",
                "--token",
                "t",
                "--peer",
                "b=127.0.0.1:1",
                "--timeout-ms",
                "0",
            ],
            "--timeout-ms",
        ),
        (
            &[
                "node",
                "--name",
                "a",
                "--token",
                "t",
                "--peer",
                "b=127.0.0.1:1",
                "--connect-timeout-ms",
                "0",
            ],
            "--connect-timeout-ms",
        ),
    ] {
        let output = run_in(dir.path(), args);
        assert_error(&output, flag);
        // Refused before any node started: nothing was written.
        assert!(!dir.path().join("causet-run").exists(), "{args:?}");
    }
}

#[test]
fn two_nodes_started_by_hand_talk_and_refuse_a_garbage_peer() {
    let dir = tempfile::tempdir().unwrap();
    // Reserve two loopback ports (bind to 0, read, release).
    let ports: Vec<u16> = (0..2)
        .map(|_| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        })
        .collect();
    let address = |i: usize| format!("127.0.0.1:{}", ports[i]);
    // Host names resolve: the peers are given as localhost:PORT.
    let start = |name: &str, me: usize, peer: &str, other: usize| {
        causet()
            .current_dir(dir.path())
            .args(["node", "--json", "--name", name, "--listen", &address(me)])
            .args(["--peer", &format!("{peer}=localhost:{}", ports[other])])
            .args(["--token", "s3cret", "--workload", "ping", "--messages", "3"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let alice = start("alice", 0, "bob", 1);
    // Garbage at alice before bob exists (connect retries until alice listens).
    let mut garbage = None;
    for _ in 0..200 {
        if let Ok(stream) = std::net::TcpStream::connect(address(0)) {
            garbage = Some(stream);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut garbage = garbage.expect("alice listens");
    std::io::Write::write_all(&mut garbage, b"\x00\x00\x00\x05Mjunk").unwrap();
    let bob = start("bob", 1, "alice", 0);
    let alice = alice.wait_with_output().unwrap();
    let bob = bob.wait_with_output().unwrap();
    assert!(alice.status.success(), "{}", stderr(&alice));
    assert!(bob.status.success(), "{}", stderr(&bob));
    let report: serde_json::Value = serde_json::from_slice(&alice.stdout).unwrap();
    assert_eq!(report["status"], "finished");
    assert_eq!(report["received"], 3);
    let problems = report["problems"].to_string();
    assert!(problems.contains("not a hello"), "{problems}");
    // Both logs, checked together.
    let mut merged = std::fs::read_to_string(dir.path().join("alice.log")).unwrap();
    merged.push_str(&std::fs::read_to_string(dir.path().join("bob.log")).unwrap());
    let events = parse(&merged);
    assert_eq!(events.len(), 2 * 2 + 12);
    let senders: HashSet<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(senders.len(), 2);
}

/// Issue 20: 100,000 nodes in task mode aborted after 46 s and 11 GB; now the run is refused
/// before it starts (exit 2, nothing written), with the estimate and the limit: by default
/// half of this machine's memory (the test assumes less than 157 GiB of memory).
#[test]
fn run_refuses_a_cluster_beyond_max_memory_before_starting() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let output = run_in(
        dir.path(),
        &["run", "--mode", "task", "--nodes", "100000", "--out", "big"],
    );
    assert_error(
        &output,
        "causet run: 100000 nodes in task mode need about 78.8 GiB (limit ",
    );
    let message = stderr(&output);
    assert!(
        message.contains(
            "half of this machine's memory); lower --nodes or --messages, or raise --max-memory"
        ),
        "{message}"
    );
    assert!(started.elapsed().as_secs() < 10, "refused at once");
    assert!(!dir.path().join("big").exists(), "nothing started");
    // A small limit refuses a small cluster too, naming the limit given.
    let output = run_in(
        dir.path(),
        &[
            "run",
            "--mode",
            "thread",
            "--nodes",
            "4",
            "--max-memory",
            "1M",
            "--out",
            "small",
        ],
    );
    assert_error(
        &output,
        "causet run: 4 nodes in thread mode need about 17.0 MiB",
    );
    assert!(
        stderr(&output).contains("(limit 1.0 MiB); lower --nodes"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("small").exists());
    // Room enough: it runs.
    let output = run_in(
        dir.path(),
        &[
            "run",
            "--mode",
            "thread",
            "--nodes",
            "4",
            "--max-memory",
            "1G",
            "--out",
            "small",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(dir.path().join("small/causet.log").exists());
}

#[test]
fn run_bad_max_memory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(dir.path(), &["run", "--max-memory", "12Q", "--out", "x"]);
    assert_error(&output, "invalid size `12Q`: unknown unit `Q`");
    assert!(!dir.path().join("x").exists());
    let help = stdout(&run_in(dir.path(), &["run", "--help"]));
    assert!(help.contains("--max-memory <SIZE>"), "{help}");
    assert!(help.contains("nodes² entries of 8 bytes"), "{help}");
}

/// Issue 18: a run whose logs cannot fit on the disk is refused before it starts, with the
/// estimate and the free space (2,000 nodes gossiping 20,000 messages each would write
/// terabytes of full clocks: the test assumes less than 4 TiB free), unless `--force`.
#[test]
fn run_refuses_logs_beyond_the_free_disk_space() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "run",
        "--mode",
        "thread",
        "--nodes",
        "2000",
        "--workload",
        "gossip",
        "--messages",
        "20000",
        "--out",
        "big",
    ];
    let output = run_in(dir.path(), &args);
    assert_error(
        &output,
        "causet run: the logs of 2000 nodes and 40000000 messages may take up to ",
    );
    let message = stderr(&output);
    assert!(
        message.contains("(node logs and the merged log), and big has ")
            && message.contains(" free; lower --nodes or --messages, or give --force"),
        "{message}"
    );
    assert!(!dir.path().join("big").exists(), "nothing started");
}

/// Issue 18: a run above the former fixed limits (1,000 nodes, 200,000 events) is checked
/// and analysed too, whenever its model fits in memory; only the static SVG keeps a limit,
/// said in the summary, and the page is written.
#[test]
fn a_run_of_more_than_a_thousand_nodes_is_checked_and_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wide");
    let output = causet()
        .args(["run", "--json", "--mode", "task", "--workload", "ring"])
        .args(["--nodes", "1001", "--messages", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["check"]["valid"], true, "{summary}");
    let (events, _, visible, _) = check_log(&out.join("causet.log"));
    assert_eq!(summary["events"], events as u64);
    assert_eq!(summary["messages"], visible as u64);
    assert!(
        summary["concurrent_pairs"].as_u64().is_some_and(|c| c > 0),
        "{summary}"
    );
    assert!(out.join("view.html").is_file());
    assert!(
        summary["diagram"].is_null(),
        "the SVG keeps its limit: {summary}"
    );
}

/// Issue 18: a run above the former analysis limit (events × nodes × 8 bytes beyond
/// `--max-memory`: here 9,000 events of 500 nodes, 36 MB, against 32 MiB) is checked,
/// analysed and drawn in view.html now; only a merged log bigger than `--max-memory`
/// itself is not read, and the summary says so.
#[test]
fn a_run_above_the_former_analysis_limit_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wide");
    let run = |max: &str| {
        causet()
            .args(["run", "--json", "--mode", "task", "--workload", "ping"])
            .args(["--nodes", "500", "--messages", "8", "--full-stamps"])
            .args(["--max-memory", max, "--out"])
            .arg(&out)
            .output()
            .unwrap()
    };
    let output = run("32M");
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let events = summary["events"].as_u64().unwrap();
    assert!(
        events * 500 * 8 > 32 << 20,
        "{events} events: above the old limit"
    );
    assert_eq!(summary["check"]["valid"], true, "{summary}");
    let (logged, _, visible, _) = check_log(&out.join("causet.log"));
    assert_eq!(events, logged as u64);
    assert_eq!(summary["messages"], visible as u64);
    assert!(
        summary["concurrent_pairs"].as_u64().is_some_and(|c| c > 0),
        "{summary}"
    );
    assert!(out.join("view.html").is_file(), "{summary}");
    assert!(summary["diagram"].is_null(), "the SVG keeps its limit");
    // A limit below the merged log's size (a gossip's clocks fill up: about 40 MB of log,
    // while the run itself is estimated at 27 MiB): the run runs, its log is not read, and
    // the summary says why.
    let output = causet()
        .args([
            "run",
            "--mode",
            "task",
            "--workload",
            "gossip",
            "--full-stamps",
        ])
        .args([
            "--nodes",
            "500",
            "--messages",
            "12",
            "--max-memory",
            "27M",
            "--out",
        ])
        .arg(dir.path().join("full"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let log = std::fs::metadata(dir.path().join("full/causet.log"))
        .unwrap()
        .len();
    assert!(log > 27 << 20, "{log}");
    let text = stdout(&output);
    assert!(
        text.contains("(analysis skipped: the merged log is ")
            && text.contains("(limit 27.0 MiB; see --max-memory)"),
        "{text}"
    );
}
