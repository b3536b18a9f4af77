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

/// The progress callback sees the counts every `every` executions of every search, and a
/// `false` from it stops the search there, incomplete.
#[test]
fn progress_reports_every_n_executions_and_can_stop_a_search() {
    use std::cell::RefCell;
    use std::rc::Rc;

    // kv at 3 nodes: 72 executions under DPOR, 6,720 naive; called at 10, 20, ..., 70.
    let calls = Rc::new(RefCell::new(Vec::new()));
    let seen = Rc::clone(&calls);
    let report = kv::explorer(3, 2, false)
        .on_progress(10, move |stats| {
            seen.borrow_mut().push((stats.executions, stats.steps));
            true
        })
        .dpor()
        .unwrap();
    assert!(report.stats.complete && report.violation.is_none());
    assert_eq!(report.stats.executions, 72);
    let executions: Vec<u64> = calls.borrow().iter().map(|c| c.0).collect();
    assert_eq!(executions, (1..=7).map(|k| k * 10).collect::<Vec<u64>>());
    // Deliveries only grow.
    assert!(calls.borrow().windows(2).all(|w| w[0].1 < w[1].1));

    // Stopped: at exactly the execution whose report said no, in every search.
    let stop_at =
        |executions: u64| move |stats: &causet_explore::Stats| stats.executions < executions;
    for (search, report) in [
        (
            "dpor",
            kv::explorer(3, 2, false).on_progress(5, stop_at(40)).dpor(),
        ),
        (
            "naive",
            kv::explorer(3, 2, false)
                .on_progress(100, stop_at(300))
                .naive(),
        ),
        (
            "random",
            kv::explorer(3, 2, false)
                .on_progress(7, stop_at(49))
                .random(3, 1_000),
        ),
    ] {
        let stats = report.unwrap().stats;
        let expected = match search {
            "dpor" => 40,
            "naive" => 300,
            _ => 49,
        };
        assert_eq!(stats.executions, expected, "{search}");
        assert!(!stats.complete, "{search}");
    }
}
