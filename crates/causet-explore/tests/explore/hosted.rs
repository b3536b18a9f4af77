//! The same node code under the runtime's hosts: the examples as OS processes (over
//! loopback TCP), OS threads and tokio tasks ([`causet_runtime::Host`]) pass their own
//! properties, and their logs merge into a valid GoVector log.

use causet_explore::Explorer;
use causet_explore::examples::{kv, mutex};
use causet_log::{CheckOptions, ReadOptions, read_log};
use causet_runtime::{Actor, Host, Mode, merge_logs, serve_node_process};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// This test's name in the test binary: process mode re-runs the binary on it alone, and
/// its first lines turn those processes into the nodes.
const THIS_TEST: &str = "hosted::examples_pass_their_own_properties_as_processes_threads_and_tasks";

fn passes_hosted<A>(
    mode: Mode,
    name: &str,
    explorer: &Explorer<A>,
    actors: Vec<A>,
    what: &str,
) -> usize
where
    A: Actor + Send + Serialize + DeserializeOwned + 'static,
    A::Message: Send + Serialize + DeserializeOwned + 'static,
{
    let hosted = Host::new(name, actors)
        .mode(mode)
        .node_args([THIS_TEST, "--exact"])
        .run()
        .unwrap_or_else(|err| panic!("{what} in {mode} mode: {err}"));
    let (states, logs): (Vec<A>, Vec<Vec<u8>>) =
        hosted.into_iter().map(|h| (h.actor, h.log)).unzip();
    assert_eq!(explorer.broken_by(&states), None, "{what} in {mode} mode");
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
fn examples_pass_their_own_properties_as_processes_threads_and_tasks() {
    // In a node process (process mode below) these run the node and exit.
    serve_node_process::<kv::Kv>("kv");
    serve_node_process::<mutex::Peer>("mutex");

    for mode in [Mode::Process, Mode::Thread, Mode::Task] {
        let (sizes, runs): (&[usize], usize) = match mode {
            Mode::Process => (&[2, 3, 5], 2),
            _ => (&[2, 3, 5], 5),
        };
        for &nodes in sizes {
            for _ in 0..runs {
                let events = passes_hosted(
                    mode,
                    "kv",
                    &kv::explorer(nodes, 2, false),
                    kv::replicas(nodes, 2, false),
                    "kv",
                );
                // Two writers, two writes each, each sent to every other node and received.
                assert_eq!(events, 2 * 2 * (1 + 2 * (nodes - 1)));
                passes_hosted(
                    mode,
                    "mutex",
                    &mutex::explorer(nodes, 2, false),
                    mutex::peers(nodes, 2, false),
                    "mutex",
                );
            }
        }
    }
}

#[test]
fn modes_read_as_the_cli_spells_them() {
    for mode in [Mode::Process, Mode::Thread, Mode::Task] {
        assert_eq!(mode.name().parse::<Mode>().unwrap(), mode);
    }
    assert!("fiber".parse::<Mode>().is_err());
}
