//! The `tracing` layer: one node per task set (not per thread), fields as ShiViz fields
//! that causet-log reads from the merged log without a regex.

use causet_log::{CheckOptions, ReadOptions, read_log};
use causet_tracing::{CausetLayer, LogFlush, Nodes};
use tracing_subscriber::layer::SubscriberExt;

/// Two nodes' tasks interleaved on the same two worker threads: every event lands in the
/// log of its task's node, and each node's own entries run 1, 2, 3, … .
#[test]
fn the_node_follows_the_task_not_the_thread() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = Nodes::in_dir(dir.path(), LogFlush::EachEvent).unwrap();
    let layer = CausetLayer::new().with_nodes(nodes.clone());
    let subscriber = tracing_subscriber::registry().with(layer);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let _guard = tracing::subscriber::set_default(subscriber);
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    let (alpha, beta) = (nodes.node("alpha").unwrap(), nodes.node("beta").unwrap());
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for task in 0..8usize {
            let node = if task.is_multiple_of(2) {
                &alpha
            } else {
                &beta
            };
            let dispatch = dispatch.clone();
            let work = node.scope(async move {
                for step in 0..5 {
                    tracing::info!(task, step, "work");
                    tokio::task::yield_now().await;
                }
            });
            tasks.push(tokio::spawn(
                tracing::instrument::WithSubscriber::with_subscriber(work, dispatch),
            ));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    // Outside any scope and with no default node: not logged.
    tracing::info!("nobody's");
    let merged = dir.path().join("causet.log");
    let summary = nodes.merge(&merged).unwrap();
    assert_eq!(summary.events, 40);
    assert_eq!(summary.fields, ["level", "step", "target", "task"]);
    let log = read_log(&merged, &ReadOptions::default()).unwrap();
    assert!(log.unmatched.is_empty(), "{:?}", log.unmatched);
    let execution = &log.executions[0];
    execution.check(&CheckOptions::default()).unwrap();
    assert_eq!(execution.nodes(), ["alpha", "beta"]);
    assert_eq!(execution.field_names(), ["level", "step", "target", "task"]);
    for index in 0..execution.len() {
        let event = execution.event(index).unwrap();
        assert_eq!(event.text, "work");
        let task: usize = execution.field(index, "task").unwrap().parse().unwrap();
        let node = &execution.nodes()[execution.node_of(index)];
        assert_eq!(
            node,
            if task.is_multiple_of(2) {
                "alpha"
            } else {
                "beta"
            }
        );
        assert_eq!(execution.field(index, "level"), Some("INFO"));
    }
}

/// The level filter, a span naming a node, an explicit parent, and awkward field names.
#[test]
fn levels_spans_and_field_names() {
    let nodes = Nodes::in_memory();
    let main = nodes.node("main").unwrap();
    let layer = CausetLayer::new()
        .with_default_node(main.clone())
        .with_nodes(nodes.clone())
        .with_level(tracing::Level::DEBUG);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::trace!("too verbose");
        tracing::debug!(target: "t", "debugging");
        let span = tracing::info_span!("job", causet.node = "worker");
        {
            let _entered = span.enter();
            tracing::error!(target: "t", { http.status = 500, r#type = "x", host = "e" }, "failed\twith\ntabs");
        }
        // Not entered, but named as the parent.
        tracing::warn!(target: "t", parent: &span, "by parent");
        tracing::info!(target: "t", "back on main");
    });
    let text = |name: &str| {
        String::from_utf8(
            nodes
                .node(name)
                .unwrap()
                .lock()
                .log()
                .memory_bytes()
                .to_vec(),
        )
        .unwrap()
    };
    assert_eq!(
        text("main"),
        "main {\"main\":1}\ndebugging\tlevel=DEBUG\ttarget=t\n\
         main {\"main\":2}\nback on main\tlevel=INFO\ttarget=t\n"
    );
    assert_eq!(
        text("worker"),
        "worker {\"worker\":1}\nfailed with tabs\t_host=e\thttp_status=500\tlevel=ERROR\ttarget=t\ttype=x\n\
         worker {\"worker\":2}\nby parent\tlevel=WARN\ttarget=t\n"
    );
}
