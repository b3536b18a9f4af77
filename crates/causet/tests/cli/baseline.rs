//! The process mode's bench variants: nodes that log nothing, with and without clock work
//! (the runtime bench's `paired` comparison over TCP, BENCHMARKS.md "Runtime").

use std::path::Path;
use std::time::Duration;

use causet_runtime::demo::{ClusterConfig, ClusterRun, Logs, Plan, Workload, run_processes};

fn run(instrumented: bool) -> ClusterRun {
    let plan = Plan::new(Workload::Gossip, 4, 50, 7).unwrap();
    let mut config = ClusterConfig::new(plan, Logs::Discard);
    config.instrumented = instrumented;
    config.timing.pace = Duration::ZERO;
    run_processes(&config, Path::new(env!("CARGO_BIN_EXE_causet")), &[]).unwrap()
}

#[test]
fn process_nodes_that_discard_their_logs_finish_with_and_without_clock_work() {
    for instrumented in [true, false] {
        let run = run(instrumented);
        assert!(run.is_complete(), "{:?}", run.nodes);
        let sent: u64 = run.nodes.iter().map(|node| node.sent).sum();
        let received: u64 = run.nodes.iter().map(|node| node.received).sum();
        let planned = Plan::new(Workload::Gossip, 4, 50, 7)
            .unwrap()
            .total_messages();
        assert_eq!(sent, planned, "instrumented: {instrumented}");
        assert_eq!(received, sent, "instrumented: {instrumented}");
        let stamp_bytes: u64 = run.nodes.iter().map(|node| node.stamp_bytes).sum();
        // Clock work sends stamps; the baseline sends none.
        assert_eq!(stamp_bytes > 0, instrumented, "{:?}", run.nodes);
    }
}
