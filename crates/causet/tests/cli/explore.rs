//! `causet explore`: exit codes, the counterexample's log, replay.

use crate::util::{assert_error, causet, run_in, stdout, wait_guarded};

/// The value after `label` on its line of `causet explore`'s text output.
fn field(output: &str, label: &str) -> String {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {output}"))
        .trim()
        .to_string()
}

#[test]
fn correct_examples_explore_clean_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    for example in ["kv", "mutex"] {
        let out = dir.path().join(example);
        let output = run_in(
            dir.path(),
            &[
                "explore",
                "--example",
                example,
                "--nodes",
                "3",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
        let text = stdout(&output);
        assert_eq!(
            field(&text, "verdict"),
            "no violation: every execution checked"
        );
        assert!(field(&text, "executions").parse::<u64>().unwrap() > 1);
        assert!(!out.exists(), "no counterexample, no log");
    }
}

#[test]
fn a_seeded_bug_exits_1_with_a_log_that_check_accepts_and_replay_reproduces() {
    let dir = tempfile::tempdir().unwrap();
    for (example, property) in [("kv", "no write is lost"), ("mutex", "mutual exclusion")] {
        let found = dir.path().join(format!("{example}-found"));
        let output = run_in(
            dir.path(),
            &[
                "explore",
                "--example",
                example,
                "--bug",
                "--out",
                found.to_str().unwrap(),
            ],
        );
        assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
        let text = stdout(&output);
        assert!(field(&text, "violation").starts_with(property), "{text}");
        let log = found.join("causet.log");
        assert_eq!(field(&text, "log"), log.display().to_string());

        let check = run_in(dir.path(), &["check", log.to_str().unwrap()]);
        assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
        let written = std::fs::read_to_string(&log).unwrap();
        assert_eq!(
            written.lines().last().unwrap(),
            format!("violation: {property}")
        );

        // The printed schedule replays to the same violation and the same bytes.
        let schedule = field(&text, "schedule");
        let replayed = dir.path().join(format!("{example}-replayed"));
        let output = run_in(
            dir.path(),
            &[
                "explore",
                "--example",
                example,
                "--bug",
                "--replay",
                &schedule,
                "--out",
                replayed.to_str().unwrap(),
            ],
        );
        assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
        assert_eq!(field(&stdout(&output), "schedule"), schedule);
        assert_eq!(
            std::fs::read(replayed.join("causet.log")).unwrap(),
            written.as_bytes()
        );

        // The same schedule on the correct protocol does not break it.
        let output = run_in(
            dir.path(),
            &["explore", "--example", example, "--replay", &schedule],
        );
        if output.status.code() != Some(2) {
            assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
        }
    }
}

#[test]
fn json_reports_the_search_and_the_violation() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(
        dir.path(),
        &[
            "explore",
            "--example",
            "mutex",
            "--bug",
            "--search",
            "random",
            "--seed",
            "3",
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["search"], "random");
    assert_eq!(json["nodes"], 3);
    assert_eq!(json["complete"], false);
    assert_eq!(json["violation"]["property"], "mutual exclusion");
    assert_eq!(json["violation"]["log"], serde_json::Value::Null);
    let schedule = json["violation"]["schedule"].as_str().unwrap();
    assert!(!schedule.is_empty());

    let naive = run_in(
        dir.path(),
        &[
            "explore",
            "--example",
            "kv",
            "--nodes",
            "2",
            "--search",
            "naive",
            "--json",
        ],
    );
    assert_eq!(naive.status.code(), Some(0));
    let naive: serde_json::Value = serde_json::from_str(&stdout(&naive)).unwrap();
    let dpor = run_in(
        dir.path(),
        &["explore", "--example", "kv", "--nodes", "2", "--json"],
    );
    let dpor: serde_json::Value = serde_json::from_str(&stdout(&dpor)).unwrap();
    assert_eq!(naive["complete"], true);
    assert_eq!(dpor["complete"], true);
    assert!(naive["executions"].as_u64() > dpor["executions"].as_u64());
}

#[test]
fn bad_arguments_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(dir.path(), &["explore", "--example", "kv", "--nodes", "1"]);
    assert_error(&output, "--nodes: the examples run on 2 to 64 nodes, not 1");
    let output = run_in(
        dir.path(),
        &["explore", "--example", "kv", "--replay", "0.1,zz"],
    );
    assert_error(
        &output,
        "--replay: schedule, step 2: \"zz\" is not SENDER.NUMBER",
    );
    let output = run_in(
        dir.path(),
        &["explore", "--example", "kv", "--replay", "0.1,0.1"],
    );
    assert_error(
        &output,
        "--replay: schedule, step 2: message 0.1 is not in flight there",
    );
    let output = run_in(dir.path(), &["explore", "--example", "chat"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn host_runs_the_examples_once_as_processes_threads_and_tasks() {
    let dir = tempfile::tempdir().unwrap();
    for example in ["kv", "mutex"] {
        for mode in ["process", "thread", "task"] {
            let out = dir.path().join(format!("{example}-{mode}"));
            let output = run_in(
                dir.path(),
                &[
                    "explore",
                    "--example",
                    example,
                    "--nodes",
                    "4",
                    "--host",
                    mode,
                    "--out",
                    out.to_str().unwrap(),
                ],
            );
            assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
            let text = stdout(&output);
            assert_eq!(field(&text, "host"), format!("{mode} (one run)"));
            assert_eq!(field(&text, "verdict"), "the properties hold on this run");
            let merged = out.join("causet.log");
            let check = run_in(dir.path(), &["check", merged.to_str().unwrap()]);
            assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
            assert!(out.join("node3.log").exists());
        }
    }
    let output = run_in(
        dir.path(),
        &["explore", "--example", "kv", "--host", "fiber"],
    );
    assert_error(&output, "invalid value 'fiber' for '--host <MODE>'");
    assert_error(&output, "[possible values: process, thread, task]");
    let output = run_in(
        dir.path(),
        &[
            "explore",
            "--example",
            "kv",
            "--host",
            "thread",
            "--replay",
            "0.1",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
}

/// A signal ends a long search with the report of what it covered: exit 130, "interrupted"
/// and not complete, the counts so far; the text says the search was stopped.
#[test]
fn a_signal_stops_the_search_and_it_reports_how_far_it_got() {
    // mutex at 4 nodes: more than 10^9 executions, far more than the test waits for.
    for (signal, json) in [("INT", true), ("TERM", false)] {
        // Until the signal reaches a search: one sent before the command has set its
        // handlers (a loaded machine) kills it by the signal's default action; then again,
        // waiting longer.
        let mut wait = std::time::Duration::from_millis(200);
        let output = loop {
            let mut command = causet();
            command.args(["explore", "--example", "mutex", "--nodes", "4"]);
            if json {
                command.arg("--json");
            }
            let mut child = command
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(wait);
            let sent = std::process::Command::new("kill")
                .args([format!("-{signal}"), child.id().to_string()])
                .status()
                .unwrap();
            assert!(sent.success());
            wait_guarded(&mut child, 60, &format!("causet explore after SIG{signal}"));
            let output = child.wait_with_output().unwrap();
            if output.status.code().is_some() || wait.as_secs() >= 10 {
                break output;
            }
            wait *= 2;
        };
        assert_eq!(
            output.status.code(),
            Some(130),
            "SIG{signal}: {}",
            stdout(&output)
        );
        let text = stdout(&output);
        if json {
            let report: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(report["interrupted"], true, "{report}");
            assert_eq!(report["complete"], false, "{report}");
            assert_eq!(report["violation"], serde_json::Value::Null, "{report}");
            assert!(report["executions"].as_u64().unwrap() > 0, "{report}");
        } else {
            assert!(
                field(&text, "verdict").contains("stopped by a signal"),
                "{text}"
            );
            assert!(
                field(&text, "executions").parse::<u64>().unwrap() > 0,
                "{text}"
            );
        }
    }
    // Without a signal a search reports interrupted false.
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(dir.path(), &["explore", "--example", "kv", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["interrupted"], false);
}
