//! TCP nodes on threads: a complete run, and a node that survives garbage, a stalled
//! connection, wrong tokens and oversized frames, a peer that never comes, and a lost
//! connection reopened.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use causet_clock::differential::{Stamp, StampKind};
use causet_runtime::{
    LogSink, Roster, Stamps,
    demo::{NodeReport, NodeStatus, Plan, TcpNode, Timing, Workload, run_tcp_node},
    frame::{Frame, FrameReader, Hello, write_frame},
};

use crate::model;

fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    (listener, address)
}

fn timing() -> Timing {
    Timing {
        pace: Duration::from_millis(1),
        receive_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        handshake_timeout: Duration::from_millis(200),
    }
}

fn node(
    name: &str,
    peer: (&str, SocketAddr),
    plan: &Plan,
    timing: Timing,
    log: LogSink,
) -> TcpNode {
    TcpNode {
        roster: Arc::new(Roster::new([name, peer.0]).unwrap()),
        name: name.into(),
        peers: vec![(peer.0.into(), peer.1)],
        token: "t0ken".into(),
        plan: plan.clone(),
        timing,
        max_frame: 4096,
        log,
        stamps: Stamps::Differential,
        instrumented: true,
        resume: None,
        die_after: None,
    }
}

/// Reads until the server closes the connection (it does so when it rejects it).
fn wait_closed(stream: &mut TcpStream) {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut buf = [0u8; 64];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

fn hello(name: &str, token: &str, roster: &Roster, plan: &Plan) -> Vec<u8> {
    Hello {
        name: name.into(),
        token: token.into(),
        roster_digest: roster.digest(),
        plan_digest: plan.digest(),
    }
    .encode()
}

#[test]
fn a_node_rejects_bad_connections_and_still_finishes_its_run() {
    let plan = Plan::new(Workload::Ring, 2, 3, 1).unwrap();
    let (l0, a0) = listener();
    let (l1, a1) = listener();
    let node0 = node("node0", ("node1", a1), &plan, timing(), LogSink::memory());
    let roster = node0.roster.clone();
    let first = std::thread::spawn(move || run_tcp_node(node0, l0).unwrap());

    let mut attackers = Vec::new();
    // Garbage: an HTTP request (its first four bytes announce a 1.2 GB frame).
    let mut garbage = TcpStream::connect(a0).unwrap();
    garbage
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    attackers.push(garbage);
    // A stall: connects and says nothing.
    attackers.push(TcpStream::connect(a0).unwrap());
    // A wrong token, an unknown name, a different workload.
    let other_plan = Plan::new(Workload::Ring, 2, 3, 2).unwrap();
    for body in [
        hello("node1", "wrong", &roster, &plan),
        hello("mallory", "t0ken", &roster, &plan),
        hello("node1", "t0ken", &roster, &other_plan),
    ] {
        let mut stream = TcpStream::connect(a0).unwrap();
        write_frame(&mut stream, b'H', &body).unwrap();
        attackers.push(stream);
    }
    // A valid hello, then a message claiming another sender.
    let mut spoof = TcpStream::connect(a0).unwrap();
    write_frame(&mut spoof, b'H', &hello("node1", "t0ken", &roster, &plan)).unwrap();
    write_frame(&mut spoof, b'M', &[0xc5, 0x00, 0x00]).unwrap();
    attackers.push(spoof);
    for stream in &mut attackers {
        wait_closed(stream);
    }

    let node1 = node("node1", ("node0", a0), &plan, timing(), LogSink::memory());
    let second = std::thread::spawn(move || run_tcp_node(node1, l1).unwrap());
    let report0: NodeReport = first.join().unwrap();
    let report1: NodeReport = second.join().unwrap();
    assert_eq!(report0.status, NodeStatus::Finished, "{report0:?}");
    assert_eq!(report1.status, NodeStatus::Finished, "{report1:?}");
    assert_eq!((report0.sent, report0.received), (3, 3));
    let problems = report0.problems.join("\n");
    for expected in [
        "exceeds the maximum of 4096 bytes",
        "no hello within 200 ms",
        "wrong run token",
        "\"mallory\" is not a peer",
        "different workload",
        "claims sender index 0",
    ] {
        assert!(
            problems.contains(expected),
            "missing {expected:?} in:\n{problems}"
        );
    }
}

#[test]
fn two_tcp_nodes_log_what_the_model_expects() {
    let plan = Plan::new(Workload::Gossip, 2, 6, 9).unwrap();
    let (l0, a0) = listener();
    let (l1, a1) = listener();
    let dir = tempfile::tempdir().unwrap();
    let paths = [dir.path().join("node0.log"), dir.path().join("node1.log")];
    let sink = |i: usize| LogSink::file(&paths[i], causet_runtime::LogFlush::EachEvent).unwrap();
    let node0 = node("node0", ("node1", a1), &plan, timing(), sink(0));
    let node1 = node("node1", ("node0", a0), &plan, timing(), sink(1));
    let first = std::thread::spawn(move || run_tcp_node(node0, l0).unwrap());
    let second = std::thread::spawn(move || run_tcp_node(node1, l1).unwrap());
    let reports = [first.join().unwrap(), second.join().unwrap()];
    assert!(
        reports.iter().all(|r| r.status == NodeStatus::Finished),
        "{reports:?}"
    );
    assert!(reports.iter().all(|r| r.problems.is_empty()), "{reports:?}");
    let logs: Vec<Vec<model::Event>> = paths
        .iter()
        .map(|p| model::parse(&std::fs::read_to_string(p).unwrap()))
        .collect();
    let verdict = model::check(&logs, true);
    assert_eq!(verdict.messages as u64, plan.total_messages());
}

#[test]
fn a_node_whose_peer_never_comes_gives_up_and_says_so() {
    let plan = Plan::new(Workload::Ring, 2, 2, 1).unwrap();
    let (l0, _) = listener();
    // An address where nobody listens any more.
    let (gone, a1) = listener();
    drop(gone);
    let timing = Timing {
        receive_timeout: Duration::from_millis(300),
        connect_timeout: Duration::from_millis(200),
        ..timing()
    };
    let node0 = node("node0", ("node1", a1), &plan, timing, LogSink::memory());
    let report = run_tcp_node(node0, l0).unwrap();
    assert_eq!(report.status, NodeStatus::Incomplete);
    assert_eq!(report.missing, 2);
    assert_eq!(report.send_failures, 1);
    assert!(
        report.problems[0].contains("send token 1 to node1 failed"),
        "{:?}",
        report.problems
    );
    // start, send token 1, gave up: three events, own entries 1..3.
    assert_eq!(report.events, 3);
}

/// The next `count` frame bodies from `stream` (each with its kind byte first).
fn frames(stream: &mut TcpStream, count: usize) -> Vec<Vec<u8>> {
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut reader = FrameReader::new(4096);
    let mut bodies = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while bodies.len() < count {
        assert!(std::time::Instant::now() < deadline, "only {bodies:?}");
        match reader.poll(stream, "node0").unwrap() {
            Frame::Body(body) => bodies.push(body),
            Frame::Pending => {}
            Frame::Closed => panic!("closed after {bodies:?}"),
        }
    }
    bodies
}

/// The next connection to `listener`, waiting at most 20 seconds.
fn accept_within(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                return stream;
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(std::time::Instant::now() < deadline, "no connection");
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(err) => panic!("accept: {err}"),
        }
    }
}

/// The kind of the stamp in a message frame's body (`M`, `0xc5`, sender, length, stamp).
fn stamp_kind(body: &[u8]) -> StampKind {
    assert_eq!(&body[..3], &[b'M', 0xc5, 0], "a stamped message from node0");
    let len = usize::from(body[3]);
    Stamp::decode(&body[4..4 + len]).unwrap().kind()
}

#[test]
fn a_lost_connection_is_reopened_and_its_chain_restarts_with_the_whole_clock() {
    // node0 gossips to node1, played here: node1 reads the hello and two messages of the
    // first connection, then drops it (with what else node0 sent: lost), then accepts
    // node0's second connection.
    // 150 sends 10 ms apart: node0 is still sending when node1 drops the connection.
    let plan = Plan::new(Workload::Gossip, 2, 150, 1).unwrap();
    let (l0, _) = listener();
    let (l1, a1) = listener();
    let timing = Timing {
        pace: Duration::from_millis(10),
        receive_timeout: Duration::from_millis(300),
        ..timing()
    };
    let node0 = node("node0", ("node1", a1), &plan, timing, LogSink::memory());
    let run = std::thread::spawn(move || run_tcp_node(node0, l0).unwrap());

    let mut first = accept_within(&l1);
    let before = frames(&mut first, 3);
    assert_eq!(before[0][0], b'H');
    assert_eq!(stamp_kind(&before[1]), StampKind::Start { session: 0 });
    assert!(matches!(
        stamp_kind(&before[2]),
        StampKind::Diff { session: 0, seq: 1 } | StampKind::Snapshot
    ));
    drop(first);

    let mut second = accept_within(&l1);
    let after = frames(&mut second, 3);
    assert_eq!(after[0][0], b'H');
    // The first stamp on the new connection is a new session's Start (the whole clock),
    // which the receiver applies whatever the old connection lost; then the new chain
    // goes on (or, with two nodes, a whole clock no larger than its Diff).
    assert_eq!(stamp_kind(&after[1]), StampKind::Start { session: 1 });
    assert!(matches!(
        stamp_kind(&after[2]),
        StampKind::Diff { session: 1, seq: 1 } | StampKind::Snapshot
    ));
    drop(second);

    let report = run.join().unwrap();
    // node1 never sends: node0 gives up waiting for its messages.
    assert_eq!(report.status, NodeStatus::Incomplete);
    assert!(report.send_failures >= 1, "{report:?}");
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.contains("the next send reconnects")),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_newer_connection_from_a_peer_replaces_the_older_one() {
    // node1, played here, says hello twice, as a sender that gave up a half-open
    // connection and reconnected: node0 keeps the newer connection and closes the older.
    let plan = Plan::new(Workload::Ring, 2, 2, 1).unwrap();
    let (l0, a0) = listener();
    let (_l1, a1) = listener();
    let timing = Timing {
        receive_timeout: Duration::from_millis(1500),
        ..timing()
    };
    let node0 = node("node0", ("node1", a1), &plan, timing, LogSink::memory());
    let roster = node0.roster.clone();
    let run = std::thread::spawn(move || run_tcp_node(node0, l0).unwrap());

    let mut older = TcpStream::connect(a0).unwrap();
    write_frame(&mut older, b'H', &hello("node1", "t0ken", &roster, &plan)).unwrap();
    // (The node reads the older hello first: the newer one is a later connection.)
    std::thread::sleep(Duration::from_millis(100));
    let mut newer = TcpStream::connect(a0).unwrap();
    write_frame(&mut newer, b'H', &hello("node1", "t0ken", &roster, &plan)).unwrap();
    wait_closed(&mut older);
    // The newer connection stays open: a read times out instead of seeing the end.
    newer
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 8];
    let err = newer.read(&mut buf).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    drop(newer);
    let report = run.join().unwrap();
    // Neither connection is a problem: no "already connected" refusal, no error.
    assert!(
        report
            .problems
            .iter()
            .all(|problem| !problem.contains("node1 is") && !problem.contains("hello")),
        "{:?}",
        report.problems
    );
}
