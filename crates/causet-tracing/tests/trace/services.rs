//! The example's services, run in the test: the merged log passes `check`, the messages
//! the clocks imply are exactly the requests and responses made, and `order` sees each
//! receive after its send and the clients' requests concurrent.

use std::collections::BTreeSet;

use causet_clock::Causality;
use causet_log::{CheckOptions, Execution, ReadOptions, read_log};

use crate::example;

/// Where the request `send request GET PATH` of `sender` goes.
fn destination(sender: &str, path: &str) -> &'static str {
    match (sender, path.split('/').nth(1).unwrap_or("")) {
        (client, _) if client.starts_with("client") => "gateway",
        ("gateway", "orders") | ("stock", "history") => "orders",
        ("gateway", "stock") | ("orders", "reserve") => "stock",
        other => panic!("unexpected request {other:?}"),
    }
}

/// The events of `node` whose text is `text`, in order.
fn find(execution: &Execution, node: &str, text: &str) -> Vec<usize> {
    let node = execution.node_index(node).expect("node");
    execution
        .events_of(node)
        .filter(|&index| execution.event(index).unwrap().text == text)
        .collect()
}

/// The (send, receive) pairs of every request and response made, found by their texts:
/// each request `send request GET P` at `a` is received at `destination(a, P)` as
/// `receive request GET P`, and its response goes back the same way.
fn made_messages(execution: &Execution) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    // Per (sender, receiver, text): the k-th send goes with the k-th receive (each path is
    // asked once per sender, so there is one of each).
    for index in 0..execution.len() {
        let event = execution.event(index).unwrap();
        let node = execution.nodes()[execution.node_of(index)].as_str();
        let Some(path) = event.text.strip_prefix("send request GET ") else {
            continue;
        };
        let to = destination(node, path);
        let received = find(execution, to, &format!("receive request GET {path}"));
        let sent = find(execution, node, event.text);
        assert_eq!(
            (sent.len(), received.len()),
            (1, 1),
            "{node} → {to}: {path}"
        );
        pairs.push((sent[0], received[0]));
        let replied = find(execution, to, &format!("send response 200 GET {path}"));
        let answered = find(execution, node, &format!("receive response 200 GET {path}"));
        assert_eq!(
            (replied.len(), answered.len()),
            (1, 1),
            "{to} → {node}: {path}"
        );
        pairs.push((replied[0], answered[0]));
    }
    pairs.sort_by_key(|&(_, receive)| receive);
    pairs
}

#[test]
fn the_services_log_every_request_and_response_as_a_message() {
    example::install_subscriber();
    let dir = tempfile::tempdir().unwrap();
    let config = example::Config {
        clients: 3,
        requests: 4,
        ..example::Config::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(example::run(dir.path(), &config)).unwrap();
    // Each client request is three HTTP requests (gateway, a backend, the other backend).
    assert_eq!(report.requests, 3 * config.clients * config.requests);
    assert_eq!(report.answers.len(), config.clients * config.requests);
    for (client, path, body) in &report.answers {
        assert!(body.starts_with("gateway: "), "{client} {path}: {body}");
    }
    assert!(report.view.is_file() && report.diagram.is_file());

    let log = read_log(&report.merged, &ReadOptions::default()).unwrap();
    assert!(log.unmatched.is_empty(), "{:?}", log.unmatched);
    let execution = &log.executions[0];
    execution.check(&CheckOptions::default()).unwrap();
    let mut nodes = execution.nodes().to_vec();
    nodes.sort();
    assert_eq!(
        nodes,
        [
            "client1", "client2", "client3", "gateway", "orders", "stock"
        ]
    );
    for field in ["kind", "level", "method", "path", "status", "target"] {
        assert!(
            execution.field_names().iter().any(|name| name == field),
            "{field}"
        );
    }

    // The messages the clocks imply are the requests and responses made, except those whose
    // receiver had already learnt of the send another way (counted by the nodes, usually 0).
    let made = made_messages(execution);
    assert_eq!(made.len(), 2 * report.requests);
    let inferred: BTreeSet<(usize, usize)> = execution.messages().into_iter().collect();
    let made_set: BTreeSet<(usize, usize)> = made.iter().copied().collect();
    assert!(
        inferred.is_subset(&made_set),
        "inferred messages nobody sent: {:?}",
        inferred.difference(&made_set).collect::<Vec<_>>()
    );
    assert_eq!(
        inferred.len() as u64,
        made.len() as u64 - report.known_already
    );
    let summary = causet_log::analyze(execution);
    assert_eq!(summary.messages, inferred.len());

    // Every receive after its send.
    for &(send, receive) in &made {
        assert_eq!(execution.order(send, receive), Causality::Before);
    }
    // The clients' first requests are concurrent; the gateway orders them.
    let firsts: Vec<usize> = (1..=config.clients)
        .map(|c| {
            let client = format!("client{c}");
            let path = example::client_path(c, 0);
            find(execution, &client, &format!("send request GET {path}"))[0]
        })
        .collect();
    let receives: Vec<usize> = (1..=config.clients)
        .map(|c| {
            find(
                execution,
                "gateway",
                &format!("receive request GET {}", example::client_path(c, 0)),
            )[0]
        })
        .collect();
    for a in 0..firsts.len() {
        for b in 0..firsts.len() {
            if a != b {
                assert_eq!(execution.order(firsts[a], firsts[b]), Causality::Concurrent);
                // Whichever the gateway took second is after both clients' sends.
                if execution.order(receives[a], receives[b]) == Causality::Before {
                    assert_eq!(execution.order(firsts[a], receives[b]), Causality::Before);
                }
            }
        }
    }
}
