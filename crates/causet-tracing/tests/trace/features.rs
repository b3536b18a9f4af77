//! The optional carriers: gRPC metadata (feature `tonic`) and the OpenTelemetry
//! propagator (feature `opentelemetry`). `cargo test -p causet-tracing --all-features`.

#[cfg(feature = "tonic")]
mod grpc {
    use causet_tracing::stamp::HEADER_NAME;
    use causet_tracing::{EventLog, OpenNode, Priority, StampError, TraceError};
    use tonic::metadata::{MetadataMap, MetadataValue};

    #[test]
    fn metadata_carries_the_stamp_and_refuses_bad_ones() {
        let mut client = OpenNode::new("client", EventLog::memory()).unwrap();
        let mut server = OpenNode::new("server", EventLog::memory()).unwrap();
        let mut metadata = MetadataMap::new();
        assert!(
            !server
                .extract(Priority::Info, "receive", &[], &metadata)
                .unwrap()
        );
        client.log_local("before").unwrap();
        client
            .inject(Priority::Info, "send", &[], &mut metadata)
            .unwrap();
        // A second inject replaces the value (one entry).
        client
            .inject(Priority::Info, "send", &[], &mut metadata)
            .unwrap();
        assert_eq!(metadata.get_all(HEADER_NAME).iter().count(), 1);
        assert!(
            server
                .extract(Priority::Info, "receive", &[], &metadata)
                .unwrap()
        );
        assert_eq!(server.clock().to_string(), r#"{"client":3, "server":1}"#);

        let mut repeated = metadata.clone();
        repeated.append(HEADER_NAME, MetadataValue::from_static("Aw"));
        assert!(matches!(
            server.extract(Priority::Info, "receive", &[], &repeated),
            Err(TraceError::Stamp(StampError::Repeated { count: 2 }))
        ));
        let mut bad = MetadataMap::new();
        bad.insert(HEADER_NAME, MetadataValue::from_static("Aw+h"));
        assert!(matches!(
            server.extract(Priority::Info, "receive", &[], &bad),
            Err(TraceError::Stamp(StampError::Base64Character {
                byte: b'+',
                offset: 2
            }))
        ));
        assert_eq!(server.stats().refused, 2);
        assert_eq!(server.clock().to_string(), r#"{"client":3, "server":1}"#);
    }
}

#[cfg(feature = "opentelemetry")]
mod otel {
    use std::collections::HashMap;

    use causet_tracing::stamp::HEADER_NAME;
    use causet_tracing::{CausetPropagator, EventLog, NodeHandle, OpenNode};
    use opentelemetry::Context;
    use opentelemetry::propagation::text_map_propagator::FieldIter;
    use opentelemetry::propagation::{
        Extractor, Injector, TextMapCompositePropagator, TextMapPropagator,
    };

    /// Stands in for the W3C propagator: writes and reads `traceparent`.
    #[derive(Debug)]
    struct TraceParent(Vec<String>);

    impl TextMapPropagator for TraceParent {
        fn inject_context(&self, _cx: &Context, injector: &mut dyn Injector) {
            injector.set(
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into(),
            );
        }
        fn extract_with_context(&self, cx: &Context, _extractor: &dyn Extractor) -> Context {
            cx.clone()
        }
        fn fields(&self) -> FieldIter<'_> {
            FieldIter::new(&self.0)
        }
    }

    #[test]
    fn the_stamp_travels_beside_traceparent() {
        let client = NodeHandle::new(OpenNode::new("client", EventLog::memory()).unwrap());
        let server = NodeHandle::new(OpenNode::new("server", EventLog::memory()).unwrap());
        let propagator = TextMapCompositePropagator::new(vec![
            Box::new(TraceParent(vec!["traceparent".into()])),
            Box::new(CausetPropagator::new()),
        ]);
        // (The composite gathers its parts' fields through a hash set: any order.)
        let mut fields: Vec<&str> = propagator.fields().collect();
        fields.sort_unstable();
        let mut expected = ["traceparent", HEADER_NAME];
        expected.sort_unstable();
        assert_eq!(fields, expected);

        let mut headers: HashMap<String, String> = HashMap::new();
        // No current node: the stamp is left out, nothing else changes.
        propagator.inject(&mut headers);
        assert_eq!(headers.len(), 1);
        {
            let _entered = client.enter();
            propagator.inject(&mut headers);
        }
        assert!(headers.contains_key("traceparent") && headers.contains_key(HEADER_NAME));
        {
            let _entered = server.enter();
            propagator.extract(&headers);
        }
        assert_eq!(
            server.lock().clock().to_string(),
            r#"{"client":1, "server":1}"#
        );

        // A malformed stamp: counted as refused, the clock unchanged, no panic.
        headers.insert(HEADER_NAME.into(), "not base64!".into());
        {
            let _entered = server.enter();
            propagator.extract(&headers);
        }
        assert_eq!(server.lock().stats().refused, 1);
        assert_eq!(
            server.lock().clock().to_string(),
            r#"{"client":1, "server":1}"#
        );
    }
}
