//! CLI tests: `causet export --format chrome-trace` writes trace-event JSON whose every
//! record has the fields the format documents for its phase, and whose events and flows are
//! exactly the log's events and messages (counted independently by `causet analyze`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::util::{assert_error, peer_data, run_in, stderr, stdout};

/// Checks `trace` against the trace-event format and returns (events, messages) per pid.
fn validate(trace: &Value) -> BTreeMap<u64, (usize, usize)> {
    let records = trace["traceEvents"]
        .as_array()
        .expect("traceEvents is an array");
    let mut named_threads = BTreeSet::new();
    let mut named_processes = BTreeSet::new();
    let mut per_pid: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    let mut flows: BTreeMap<u64, Vec<(String, u64, u64)>> = BTreeMap::new();
    let mut last_ts: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    for record in records {
        let ph = record["ph"].as_str().expect("every record has a phase");
        let pid = record["pid"].as_u64().expect("every record has a pid");
        let tid = record["tid"].as_u64().expect("every record has a tid");
        assert!(record["name"].is_string(), "{record}");
        match ph {
            "M" => {
                let name = record["args"]["name"].as_str().expect("metadata names");
                assert!(
                    !name.is_empty() || record["name"] == "thread_name",
                    "{record}"
                );
                match record["name"].as_str() {
                    Some("thread_name") => assert!(named_threads.insert((pid, tid))),
                    Some("process_name") => assert!(named_processes.insert(pid)),
                    other => panic!("unexpected metadata {other:?}"),
                }
            }
            "X" => {
                let ts = record["ts"].as_u64().expect("X has ts");
                assert!(record["dur"].as_u64().expect("X has dur") >= 1);
                assert!(named_threads.contains(&(pid, tid)), "thread named first");
                assert!(named_processes.contains(&pid), "process named first");
                let args = &record["args"];
                assert!(args["id"].as_str().expect("id").contains(':'));
                assert!(args["text"].is_string() && args["line"].is_u64());
                let clock = args["clock"].as_object().expect("clock object");
                let sum: u64 = clock.values().map(|v| v.as_u64().expect("count")).sum();
                assert_eq!(sum, ts, "the time axis is the clock's sum: {record}");
                // Slices of one thread never overlap.
                if let Some(&last) = last_ts.get(&(pid, tid)) {
                    assert_ne!(last, ts, "{record}");
                }
                last_ts.insert((pid, tid), ts);
                per_pid.entry(pid).or_default().0 += 1;
            }
            "s" | "f" => {
                let id = record["id"].as_u64().expect("flows have ids");
                let ts = record["ts"].as_u64().expect("flows have ts");
                if ph == "f" {
                    assert_eq!(record["bp"], "e", "{record}");
                }
                flows.entry(id).or_default().push((ph.to_string(), ts, pid));
            }
            other => panic!("unexpected phase {other}"),
        }
    }
    for (id, ends) in flows {
        assert_eq!(ends.len(), 2, "flow {id}: {ends:?}");
        let (start, finish) = (&ends[0], &ends[1]);
        assert_eq!(
            (start.0.as_str(), finish.0.as_str()),
            ("s", "f"),
            "flow {id}"
        );
        assert!(start.1 < finish.1, "flow {id} points forward in time");
        assert_eq!(start.2, finish.2, "flow {id} stays in its execution");
        per_pid.entry(start.2).or_default().1 += 1;
    }
    per_pid
}

fn export_and_compare(dir: &std::path::Path, log: &str, extra: &[&str]) {
    let mut args = vec!["export", log, "-o", "trace.json"];
    args.extend_from_slice(extra);
    let output = run_in(dir, &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let trace: Value =
        serde_json::from_slice(&std::fs::read(dir.join("trace.json")).unwrap()).expect("JSON");
    let per_pid = validate(&trace);
    let mut args = vec!["analyze", log, "--json"];
    args.extend_from_slice(extra);
    let analyzed = run_in(dir, &args);
    let analyzed: Value = serde_json::from_str(&stdout(&analyzed)).expect("analyze JSON");
    let expected: BTreeMap<u64, (usize, usize)> = analyzed["executions"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let count = |key: &str| e[key].as_u64().unwrap() as usize;
            (k as u64 + 1, (count("events"), count("messages")))
        })
        .collect();
    assert_eq!(per_pid, expected, "{log}");
}

#[test]
fn chrome_trace_holds_every_event_and_message_with_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ping.log"),
        "alice {\"alice\":1}\nsend ping \"quoted\" </script>\nbob {\"bob\":1}\nstart\n\
         bob {\"alice\":1, \"bob\":2}\nreceive ping\nbob {\"alice\":1, \"bob\":3}\nreply\n\
         alice {\"alice\":2, \"bob\":3}\nreceive reply\n",
    )
    .unwrap();
    export_and_compare(dir.path(), "ping.log", &[]);
    // To standard output by default, the same document.
    let output = run_in(dir.path(), &["export", "ping.log"]);
    assert_eq!(output.status.code(), Some(0));
    let from_stdout: Value = serde_json::from_slice(&output.stdout).unwrap();
    let from_file: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("trace.json")).unwrap()).unwrap();
    assert_eq!(from_stdout, from_file);
}

#[test]
fn chrome_trace_of_peer_logs_matches_analyze() {
    let Some(peer) = peer_data("chrome_trace_of_peer_logs_matches_analyze") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let chord = r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)";
    for (name, args) in [
        (
            "facebook-multiple.log",
            &[
                "--regex",
                crate::view::FACEBOOK,
                "--delimiter",
                crate::view::TRACE,
            ][..],
        ),
        ("chord.log", &["--regex", chord]),
        ("../govector/shiviz_all_services.log", &[]),
    ] {
        let log = peer.join("shiviz").join(name);
        export_and_compare(dir.path(), log.to_str().unwrap(), args);
    }
}

#[test]
fn export_refuses_what_check_refuses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.log"),
        "a {\"a\":1}\nx\na {\"a\":1}\ny\n",
    )
    .unwrap();
    let output = run_in(dir.path(), &["export", "bad.log", "-o", "t.json"]);
    assert_error(&output, "bad.log:3: event a:1 appears twice");
    let output = run_in(dir.path(), &["export", "bad.log", "--json"]);
    assert_error(&output, "--json needs the export in a file");
}
