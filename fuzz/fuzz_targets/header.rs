//! Fuzz target header: causet-tracing's carried stamps. Any bytes as a header value and as
//! a byte-prefixed message must decode or return a `StampError` (never panic); whatever
//! decodes passed the checks (counters at most 2^32-1), re-encodes to a header that
//! decodes to the same clock, and is either merged or refused by a node, a refusal leaving
//! the node's clock as it was.
#![no_main]

use causet_tracing::stamp;
use causet_tracing::{EventLog, OpenNode, Priority};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(clock) = stamp::decode_header(data) {
        assert!(clock.iter().all(|(_, n)| n <= stamp::MAX_COUNTER));
        let again = stamp::encode_header(&clock).expect("a decoded stamp re-encodes");
        assert_eq!(stamp::decode_header(again.as_bytes()), Ok(clock));
    }
    let mut node = OpenNode::new("fuzz", EventLog::discard()).expect("node");
    node.log_local("up").expect("event");
    let before = node.clock().clone();
    match node.unpack_receive_at(Priority::Info, "receive", data) {
        Ok(payload) => assert!(payload.len() < data.len()),
        Err(_) => assert_eq!(node.clock(), &before),
    }
});
