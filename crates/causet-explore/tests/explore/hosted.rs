//! The same node code under other hosts: the examples as OS threads and as tokio tasks
//! ([`causet_runtime::host_threads`], [`causet_runtime::host_tasks`]) pass their own properties, and their logs merge into
//! a valid GoVector log.

use std::sync::Arc;

use causet_explore::Explorer;
use causet_explore::examples::{kv, mutex};
use causet_log::{CheckOptions, ReadOptions, read_log};
use causet_runtime::{Actor, Hosted, Roster, host_tasks, host_threads, merge_logs};

#[derive(Debug, Clone, Copy)]
enum Mode {
    Thread,
    Task,
}

fn passes_hosted<A>(mode: Mode, explorer: &Explorer<A>, actors: Vec<A>, what: &str) -> usize
where
    A: Actor + Send + 'static,
    A::Message: Send + 'static,
{
    let n = actors.len();
    let roster = Arc::new(Roster::numbered(n));
    let hosted: Vec<Hosted<A>> = match mode {
        Mode::Thread => host_threads(actors, roster),
        Mode::Task => host_tasks(actors, roster, 2),
    }
    .expect("runs");
    let (states, logs): (Vec<A>, Vec<Vec<u8>>) =
        hosted.into_iter().map(|h| (h.actor, h.log)).unzip();
    assert_eq!(explorer.broken_by(&states), None, "{what} in {mode:?} mode");
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = logs
        .iter()
        .enumerate()
        .map(|(i, log)| {
            let path = dir.path().join(format!("node{i}.log"));
            std::fs::write(&path, log).unwrap();
            path
        })
        .collect();
    let merged = dir.path().join("causet.log");
    merge_logs(&paths, &merged).expect("merges");
    let log = read_log(&merged, &ReadOptions::default()).expect("reads");
    log.executions[0]
        .check(&CheckOptions::default())
        .expect("a valid log");
    log.executions[0].events().len()
}

#[test]
fn examples_pass_their_own_properties_as_threads_and_tasks() {
    for mode in [Mode::Thread, Mode::Task] {
        for nodes in [2, 3, 5] {
            for _ in 0..5 {
                let events = passes_hosted(
                    mode,
                    &kv::explorer(nodes, 2, false),
                    (0..nodes)
                        .map(|me| kv::Kv::new(me, nodes, 2, false))
                        .collect(),
                    "kv",
                );
                // Two writers, two writes each, each sent to every other node and received.
                assert_eq!(events, 2 * 2 * (1 + 2 * (nodes - 1)));
                passes_hosted(
                    mode,
                    &mutex::explorer(nodes, 2, false),
                    (0..nodes).map(|_| mutex::Peer::new(2, false)).collect(),
                    "mutex",
                );
            }
        }
    }
}
