//! Thread and task modes: every workload's logs against the causal model, merged logs, and
//! the logs read back by `causet_log`'s checker. (Process mode runs the real binary in
//! the CLI tests; `tcp.rs` runs TCP nodes on threads.)

use causet_log::{CheckOptions, ReadOptions, analyze, read_log};
use causet_runtime::{
    LogFlush, Stamps,
    demo::{
        ClusterConfig, ClusterRun, Logs, Mode, NodeStatus, Plan, Workload, merge_run_logs,
        run_tasks, run_threads,
    },
};

use crate::model;

fn run(mode: Mode, config: &ClusterConfig) -> ClusterRun {
    match mode {
        Mode::Thread => run_threads(config).expect("thread run"),
        Mode::Task => run_tasks(config, 2).expect("task run"),
        other => panic!("not an in-process mode: {other}"),
    }
}

fn memory_logs(run: &ClusterRun) -> Vec<Vec<model::Event>> {
    run.memory_logs
        .iter()
        .map(|bytes| model::parse(std::str::from_utf8(bytes).expect("UTF-8 log")))
        .collect()
}

#[test]
fn every_workload_in_threads_and_tasks_matches_the_causal_model() {
    for mode in [Mode::Thread, Mode::Task] {
        for workload in Workload::ALL {
            for (nodes, stamps) in [
                (2, Stamps::Differential),
                (5, Stamps::Differential),
                (4, Stamps::Full),
            ] {
                let plan = Plan::new(workload, nodes, 3, 11).unwrap();
                let mut config = ClusterConfig::new(plan.clone(), Logs::Memory);
                config.timing.pace = std::time::Duration::from_millis(1);
                config.stamps = stamps;
                let run = run(mode, &config);
                assert!(
                    run.is_complete(),
                    "{mode} {workload} {nodes}: {:?}",
                    run.nodes
                );
                let verdict = model::check(&memory_logs(&run), true);
                assert_eq!(
                    verdict.messages as u64,
                    plan.total_messages(),
                    "{mode} {workload}"
                );
                assert_eq!(verdict.events as u64, run.events());
                // start + done per node, plus one event per send and per receive.
                assert_eq!(
                    verdict.events as u64,
                    2 * nodes as u64 + 2 * plan.total_messages(),
                    "{mode} {workload} {nodes}"
                );
                for report in &run.nodes {
                    assert_eq!(report.status, NodeStatus::Finished);
                    assert!(report.problems.is_empty(), "{:?}", report.problems);
                }
            }
        }
    }
}

#[test]
fn gossip_logs_in_files_merge_into_a_log_that_causet_log_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Plan::new(Workload::Gossip, 4, 5, 3).unwrap();
    for (mode, flush) in [
        (Mode::Thread, LogFlush::EachEvent),
        (Mode::Task, LogFlush::Buffered),
    ] {
        let out = dir.path().join(mode.name());
        let config = ClusterConfig::new(
            plan.clone(),
            Logs::Dir {
                dir: out.clone(),
                flush,
            },
        );
        let run = run(mode, &config);
        assert!(run.is_complete());
        assert_eq!(run.log_files.len(), 4);
        let merged = merge_run_logs(&run, &out).unwrap();
        assert_eq!(merged.events as u64, run.events());
        assert!(merged.truncated.is_empty());

        let text = std::fs::read_to_string(&merged.path).unwrap();
        let events = model::parse(&text);
        // The merged order is a linear extension of happens-before: every receive comes
        // after its send.
        let mut seen_sends = std::collections::HashSet::new();
        for event in &events {
            if let Some(rest) = event.text.strip_prefix("send ") {
                seen_sends.insert((event.node.clone(), rest.to_string()));
            }
            if let Some(rest) = event.text.strip_prefix("receive ") {
                let (payload, from) = rest.rsplit_once(" from ").unwrap();
                let key = (from.to_string(), format!("{payload} to {}", event.node));
                assert!(
                    seen_sends.contains(&key),
                    "receive before its send: {}",
                    event.text
                );
            }
        }
        let verdict = model::check(&model::split_by_node(events), true);
        assert_eq!(verdict.messages as u64, plan.total_messages());

        let log = read_log(&merged.path, &ReadOptions::default()).unwrap();
        let execution = &log.executions[0];
        execution.check(&CheckOptions::default()).unwrap();
        let summary = analyze(execution);
        assert_eq!(summary.events as u64, run.events());
        // Messages inferred from the clocks: those whose send was new to the receiver,
        // which depends on the threads' timing in a gossip run.
        assert_eq!(summary.messages, verdict.visible_messages);
    }
}

#[test]
fn uninstrumented_runs_carry_the_same_workload_without_clocks_or_logs() {
    let plan = Plan::new(Workload::Broadcast, 4, 2, 0).unwrap();
    let mut config = ClusterConfig::new(plan.clone(), Logs::Memory);
    config.instrumented = false;
    for mode in [Mode::Thread, Mode::Task] {
        let run = run(mode, &config);
        assert!(run.is_complete());
        assert_eq!(run.messages(), plan.total_messages());
        assert_eq!(run.events(), 0);
        assert!(run.memory_logs.iter().all(Vec::is_empty));
        assert!(run.nodes.iter().all(|n| n.stamp_bytes == 0));
    }
}

#[test]
fn differential_stamps_are_smaller_than_full_clocks_in_a_larger_gossip() {
    let plan = Plan::new(Workload::Gossip, 32, 12, 5).unwrap();
    let mut config = ClusterConfig::new(plan, Logs::Discard);
    config.timing.pace = std::time::Duration::ZERO;
    let run = run_threads(&config).unwrap();
    assert!(run.is_complete());
    let sent: u64 = run.nodes.iter().map(|n| n.stamp_bytes).sum();
    let full: u64 = run.nodes.iter().map(|n| n.full_stamp_bytes).sum();
    assert!(sent < full, "differential {sent} vs full {full}");
}

#[test]
fn task_mode_above_the_open_file_limit_still_writes_one_log_per_node() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = causet_runtime::demo::MAX_OPEN_LOGS + 8;
    let plan = Plan::new(Workload::Broadcast, nodes, 1, 0).unwrap();
    let config = ClusterConfig::new(
        plan.clone(),
        Logs::Dir {
            dir: dir.path().to_path_buf(),
            flush: LogFlush::EachEvent,
        },
    );
    let run = run_tasks(&config, 2).unwrap();
    assert!(run.is_complete());
    assert_eq!(run.log_files.len(), nodes);
    assert!(run.log_files.iter().all(|path| path.is_file()));
    let merged = merge_run_logs(&run, dir.path()).unwrap();
    // start, done, and one send and one receive per message.
    assert_eq!(
        merged.events as u64,
        2 * nodes as u64 + 2 * plan.total_messages()
    );
    let text = std::fs::read_to_string(dir.path().join("node7.log")).unwrap();
    let events = model::parse(&text);
    let texts: Vec<&str> = events.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "start",
            "receive round 1 from node0",
            "send reply 1 to node0",
            "done"
        ]
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// Any workload, size, seed, mode and stamp kind: the logs match the causal model and
    /// the planned message count.
    #[test]
    fn random_clusters_match_the_causal_model(
        workload in 0..4usize,
        nodes in 2..7usize,
        messages in 0..4u32,
        seed in proptest::prelude::any::<u64>(),
        tasks in proptest::prelude::any::<bool>(),
        full in proptest::prelude::any::<bool>(),
    ) {
        let plan = Plan::new(Workload::ALL[workload], nodes, messages, seed).unwrap();
        let mut config = ClusterConfig::new(plan.clone(), Logs::Memory);
        config.timing.pace = std::time::Duration::ZERO;
        config.stamps = if full { Stamps::Full } else { Stamps::Differential };
        let run = run(if tasks { Mode::Task } else { Mode::Thread }, &config);
        proptest::prop_assert!(run.is_complete());
        let verdict = model::check(&memory_logs(&run), true);
        proptest::prop_assert_eq!(verdict.messages as u64, plan.total_messages());
    }
}
