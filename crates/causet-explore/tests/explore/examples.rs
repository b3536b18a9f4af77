//! The bundled protocols: every seeded bug found, every correct version explored clean,
//! replays exact, counterexample logs valid GoVector logs with the violation marked.

use causet_clock::Causality;
use causet_explore::examples::{kv, mutex};
use causet_explore::{Explorer, Report, Violation};
use causet_log::{CheckOptions, ReadOptions, parse_log};
use causet_runtime::Actor;

fn clean<A: Actor>(explorer: &Explorer<A>, what: &str) -> Report {
    let report = explorer.dpor().expect("explores");
    assert_eq!(report.violation, None, "{what}");
    assert!(report.stats.complete, "{what}: {:?}", report.stats);
    assert_eq!(report.stats.blocked, 0, "{what}");
    report
}

fn found<A: Actor>(explorer: &Explorer<A>, property: &str, what: &str) -> Violation {
    let report = explorer.dpor().expect("explores");
    let violation = report
        .violation
        .unwrap_or_else(|| panic!("{what}: bug not found"));
    assert_eq!(violation.property, property, "{what}");
    violation
}

/// The replay reaches the same violation, twice with the same log, and the log is a valid
/// GoVector log whose last event marks the violation.
fn replays<A: Actor>(explorer: &Explorer<A>, violation: &Violation) -> String {
    let first = explorer.replay(&violation.schedule).expect("replays");
    let second = explorer.replay(&violation.schedule).expect("replays");
    assert_eq!(first.violation.as_ref(), Some(violation));
    assert_eq!(first.log, second.log, "the log is the same byte for byte");
    let reparsed = explorer
        .replay(&violation.schedule.to_string().parse().expect("parses"))
        .expect("replays");
    assert_eq!(reparsed.log, first.log);
    let log = parse_log(&first.log, &ReadOptions::default()).expect("reads");
    assert!(log.unmatched.is_empty());
    let execution = &log.executions[0];
    execution
        .check(&CheckOptions::default())
        .expect("a valid log");
    let text = String::from_utf8(first.log).expect("UTF-8");
    let mark = text.lines().last().expect("events");
    assert!(mark.starts_with("violation"), "{mark}");
    assert!(mark.ends_with(&violation.property), "{mark}");
    text
}

#[test]
fn kv_correct_explores_clean_and_the_bug_is_found() {
    for nodes in 2..=4 {
        for writes in 1..=2 {
            let what = format!("kv, {nodes} nodes, {writes} writes");
            clean(&kv::explorer(nodes, writes, false), &what);
            let buggy = kv::explorer(nodes, writes, true);
            let violation = found(&buggy, "no write is lost", &what);
            replays(&buggy, &violation);
        }
    }
}

#[test]
fn kv_lost_write_was_concurrent_with_the_winner() {
    let buggy = kv::explorer(3, 1, true);
    let violation = found(&buggy, "no write is lost", "kv");
    let text = replays(&buggy, &violation);
    let log = parse_log(text.as_bytes(), &ReadOptions::default()).expect("reads");
    let execution = &log.executions[0];
    // node0's and node1's writes (each node's first event) are concurrent: vector clocks
    // see the siblings the buggy register dropped.
    assert_eq!(
        execution.order_ids("node0:1", "node1:1").expect("ids"),
        Causality::Concurrent
    );
}

#[test]
fn mutex_correct_explores_clean_and_the_bug_is_found() {
    for (nodes, rounds) in [(2, 1), (2, 2), (3, 1)] {
        let what = format!("mutex, {nodes} nodes, {rounds} rounds");
        clean(&mutex::explorer(nodes, rounds, false), &what);
        let buggy = mutex::explorer(nodes, rounds, true);
        let violation = found(&buggy, "mutual exclusion", &what);
        let text = replays(&buggy, &violation);
        assert!(text.matches("\nenter\n").count() >= 2, "{text}");
    }
}

#[test]
fn random_walks_find_the_bugs_and_replay() {
    let buggy = mutex::explorer(3, 1, true);
    let report = buggy.random(7, 1000).expect("walks");
    let violation = report.violation.clone().expect("found by walking");
    assert_eq!(violation.property, "mutual exclusion");
    replays(&buggy, &violation);
    // The same seed walks the same way.
    assert_eq!(buggy.random(7, 1000).expect("walks"), report);
    let correct = mutex::explorer(3, 1, false).random(7, 200).expect("walks");
    assert_eq!(correct.violation, None);
    assert_eq!(correct.stats.executions, 200);
    assert!(!correct.stats.complete);
}

#[test]
fn dpor_explores_far_fewer_executions_than_naive() {
    let dpor = clean(&kv::explorer(3, 2, false), "kv");
    let naive = kv::explorer(3, 2, false).naive().expect("explores");
    assert!(naive.stats.complete);
    assert!(
        naive.stats.executions >= 10 * dpor.stats.executions,
        "{:?} vs {:?}",
        naive.stats,
        dpor.stats
    );
}

#[test]
fn the_depth_bound_cuts_executions() {
    let report = mutex::explorer(3, 1, false)
        .max_depth(3)
        .dpor()
        .expect("explores");
    assert!(report.stats.truncated > 0);
    assert!(!report.stats.complete);
    assert_eq!(report.violation, None);
}

#[test]
fn a_schedule_of_other_nodes_is_an_error() {
    let explorer = kv::explorer(3, 1, false);
    let err = explorer
        .replay(&"0.1,0.1".parse().expect("parses"))
        .expect_err("0.1 delivered twice");
    assert_eq!(
        err.to_string(),
        "schedule, step 2: message 0.1 is not in flight there"
    );
    assert!("0.0".parse::<causet_explore::Schedule>().is_err());
}
