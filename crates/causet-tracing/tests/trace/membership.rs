//! Open membership: peers that join mid-run, stamps naming nodes never seen, and the
//! refusals that keep a forged stamp from changing anything.

use std::collections::HashMap;

use causet_clock::VersionVector;
use causet_tracing::stamp::{self, HEADER_NAME, MAX_HEADER_LEN};
use causet_tracing::{EventLog, OpenNode, Priority, StampError, TraceError};

fn node(name: &str) -> OpenNode {
    OpenNode::new(name, EventLog::memory()).expect("node")
}

fn log_of(node: OpenNode) -> String {
    String::from_utf8(node.into_log().into_memory()).expect("UTF-8 log")
}

/// A node that joins after the others have talked: its first receive brings in every node
/// the stamp knows, and its own entry starts at 1.
#[test]
fn a_peer_joining_mid_run_appears_with_everything_its_stamp_knows() {
    let mut a = node("a");
    let mut b = node("b");
    for round in 0..3 {
        let message = a.prepare_send(&format!("send {round}"), b"x").unwrap();
        b.unpack_receive(&format!("receive {round}"), &message)
            .unwrap();
    }
    assert_eq!(b.clock().to_string(), r#"{"a":3, "b":3}"#);
    let mut late = node("late");
    let message = b.prepare_send("welcome", b"").unwrap();
    late.unpack_receive("joined", &message).unwrap();
    assert_eq!(late.clock().to_string(), r#"{"a":3, "b":4, "late":1}"#);
    // And a node that never heard of `late` learns of it from a's next receive.
    let reply = late.prepare_send("hello", b"").unwrap();
    a.unpack_receive("hello from late", &reply).unwrap();
    assert_eq!(a.clock().to_string(), r#"{"a":4, "b":4, "late":2}"#);
    assert_eq!(
        log_of(late),
        "late {\"a\":3, \"b\":4, \"late\":1}\njoined\nlate {\"a\":3, \"b\":4, \"late\":2}\nhello\n"
    );
}

/// A stamp naming a node this node never saw (a third party's) is merged: under open
/// membership an unknown node simply appears.
#[test]
fn a_stamp_from_an_unknown_node_is_merged() {
    let mut server = node("server");
    server.log_local("up").unwrap();
    let stamp: VersionVector<String> = r#"{"stranger":7, "proxy":2}"#.parse().unwrap();
    let mut headers = HashMap::new();
    headers.insert(
        HEADER_NAME.to_string(),
        stamp::encode_header(&stamp).unwrap(),
    );
    assert!(
        server
            .extract(Priority::Info, "receive", &[], &headers)
            .unwrap()
    );
    assert_eq!(
        server.clock().to_string(),
        r#"{"proxy":2, "server":2, "stranger":7}"#
    );
}

/// Forged stamps: each refused with a precise error, and nothing changes (no merge, no
/// tick, no event).
#[test]
fn forged_stamps_are_refused_and_change_nothing() {
    let mut server = node("server");
    server.log_local("up").unwrap();
    let before = server.clock().clone();
    let header = |value: String| HashMap::from([(HEADER_NAME.to_string(), value)]);
    let refuse = |server: &mut OpenNode, headers: &HashMap<String, String>| {
        server
            .extract(Priority::Info, "receive", &[], headers)
            .expect_err("refused")
    };

    // Oversized: refused by its length alone.
    let err = refuse(&mut server, &header("A".repeat(MAX_HEADER_LEN + 1)));
    assert!(
        matches!(err, TraceError::Stamp(StampError::TooLong { len, max }) if len == MAX_HEADER_LEN + 1 && max == MAX_HEADER_LEN),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "bad stamp: stamp of {} bytes exceeds the maximum of {MAX_HEADER_LEN} bytes",
            MAX_HEADER_LEN + 1
        )
    );
    // Bad base64: standard base64's `+`, padding, a space.
    for (value, offset, byte) in [("Aw+h", 2, b'+'), ("AwFh==", 4, b'='), ("Aw Fh", 2, b' ')] {
        let err = refuse(&mut server, &header(value.into()));
        assert!(
            matches!(err, TraceError::Stamp(StampError::Base64Character { byte: b, offset: o }) if b == byte && o == offset),
            "{value}: {err}"
        );
    }
    assert!(matches!(
        refuse(&mut server, &header("AwFhA".into())),
        TraceError::Stamp(StampError::Base64Form { len: 5 })
    ));
    // Base64 of bytes that are not a clock.
    assert!(matches!(
        refuse(&mut server, &header("AQID".into())),
        TraceError::Stamp(StampError::Decode(_))
    ));
    // A clock claiming events of the receiver that never happened.
    let future: VersionVector<String> = r#"{"server":5}"#.parse().unwrap();
    let err = refuse(&mut server, &header(stamp::encode_header(&future).unwrap()));
    assert_eq!(
        err.to_string(),
        "stamp refused by node server: the stamp claims 5 events of server, which has had 1"
    );
    // A name a log line cannot carry.
    let spaced: VersionVector<String> = [("a b".to_string(), 1)].into_iter().collect();
    let mut value = String::new();
    value.push_str(&encode_raw(&spaced));
    assert!(matches!(
        refuse(&mut server, &header(value)),
        TraceError::Stamp(StampError::Name { .. })
    ));
    // Repeated headers.
    let twice = vec![
        (HEADER_NAME.to_string(), "Aw".to_string()),
        (HEADER_NAME.to_string(), "Aw".to_string()),
    ];
    assert!(matches!(
        server.extract(Priority::Info, "receive", &[], &twice),
        Err(TraceError::Stamp(StampError::Repeated { count: 2 }))
    ));
    // Too many new nodes for the bound.
    server.set_max_nodes(3);
    let crowd: VersionVector<String> = r#"{"p":1, "q":1, "r":1}"#.parse().unwrap();
    let err = refuse(&mut server, &header(stamp::encode_header(&crowd).unwrap()));
    assert!(matches!(err, TraceError::Refused { .. }), "{err}");

    assert_eq!(server.clock(), &before);
    assert_eq!(server.stats().refused, 10);
    assert_eq!(log_of(server), "server {\"server\":1}\nup\n");
}

/// The base64url text of a clock's binary form, unchecked (to forge stamps).
fn encode_raw(clock: &VersionVector<String>) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = clock.encode();
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = String::new();
    for byte in bytes {
        bits = bits << 8 | u32::from(byte);
        count += 8;
        while count >= 6 {
            count -= 6;
            out.push(ALPHABET[(bits >> count) as usize & 63] as char);
        }
    }
    if count > 0 {
        out.push(ALPHABET[(bits << (6 - count)) as usize & 63] as char);
    }
    out
}

/// Every prefix of a message and every single-byte corruption of it: an error or a
/// payload, never a panic, and a refusal changes nothing.
#[test]
fn truncated_and_corrupted_prefixes_never_panic() {
    let mut a = node("a");
    let mut b = node("b");
    b.log_local("up").unwrap();
    let message = a.prepare_send("send", b"payload").unwrap();
    for end in 0..message.len() {
        let before = b.clock().clone();
        if b.unpack_receive("receive", &message[..end]).is_err() {
            assert_eq!(b.clock(), &before);
        }
    }
    for at in 0..message.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = message.clone();
            bad[at] ^= flip;
            let _ = b.unpack_receive("receive", &bad);
        }
    }
}

/// Hidden events (below the minimum priority) still carry and merge stamps.
#[test]
fn hidden_sends_and_receives_keep_causality() {
    let mut a = node("a");
    let mut b = node("b");
    a.set_min_priority(Priority::Warning);
    b.set_min_priority(Priority::Warning);
    a.log_local_at(Priority::Error, "start").unwrap();
    let hidden = a
        .prepare_send_at(Priority::Info, "hidden send", b"")
        .unwrap();
    b.unpack_receive_at(Priority::Info, "hidden receive", &hidden)
        .unwrap();
    b.log_local_at(Priority::Error, "after").unwrap();
    assert_eq!(b.clock().to_string(), r#"{"a":1, "b":1}"#);
    assert_eq!(b.stats().hidden, 1);
    assert_eq!(log_of(b), "b {\"a\":1, \"b\":1}\nafter\n");
}
