//! The demo workloads of `causet run` are actors too: explored, every execution of each
//! ends with every node done, and hosted as threads they log what `run_threads` logs.

use std::sync::Arc;

use causet_explore::Explorer;
use causet_runtime::demo::{ClusterConfig, Logs, Plan, Program, Workload, run_threads};
use causet_runtime::{Roster, host_threads};

fn explorer(plan: Plan) -> Explorer<Program> {
    let nodes = plan.nodes();
    Explorer::new(move || (0..nodes).map(|me| plan.program(me)).collect()).at_end(
        "every node is done",
        |programs: &[Program]| {
            programs
                .iter()
                .all(|p| p.is_done() && p.missing() == 0 && p.unexpected() == 0)
        },
    )
}

#[test]
fn every_execution_of_the_demo_workloads_finishes() {
    for workload in Workload::ALL {
        let plan = Plan::new(workload, 3, 2, 5).unwrap();
        let report = explorer(plan).dpor().unwrap();
        assert_eq!(report.violation, None, "{workload}");
        assert!(report.stats.complete, "{workload}: {:?}", report.stats);
        assert!(report.stats.executions >= 1);
    }
}

#[test]
fn hosted_as_threads_the_demo_logs_the_events_run_threads_logs() {
    for workload in [Workload::Ping, Workload::Ring, Workload::Broadcast] {
        let plan = Plan::new(workload, 4, 3, 1).unwrap();
        let programs = (0..4).map(|me| plan.program(me)).collect();
        let hosted = host_threads(programs, Arc::new(Roster::numbered(4))).unwrap();
        let run = run_threads(&ClusterConfig::new(plan, Logs::Memory)).unwrap();
        for (i, node) in hosted.iter().enumerate() {
            assert!(node.actor.is_done(), "{workload} node {i}");
            // Same events, same texts, in the same order at each node (ping and ring
            // have one order only).
            let texts = |log: &[u8]| -> Vec<String> {
                String::from_utf8_lossy(log)
                    .lines()
                    .skip(1)
                    .step_by(2)
                    .map(|text| text.replace('"', ""))
                    .collect()
            };
            let (mut hosted_texts, mut run_texts) = (texts(&node.log), texts(&run.memory_logs[i]));
            if workload == Workload::Broadcast {
                // Concurrent receives arrive in any order: the same events, as a multiset.
                hosted_texts.sort();
                run_texts.sort();
            }
            assert_eq!(hosted_texts, run_texts, "{workload} node {i}");
        }
    }
}
