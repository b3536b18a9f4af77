//! The HTTP middleware against a real axum server: stamps in both directions, and every
//! kind of bad header handled without failing the request.

use axum::Router;
use axum::routing::get;
use causet_tracing::stamp::{self, HEADER_NAME, MAX_HEADER_LEN};
use causet_tracing::{Extractor, HttpLayer, Injector, Nodes, StampError};
use http::{HeaderMap, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_layer::Layer;
use tower_service::Service;

#[test]
fn header_maps_carry_stamps_and_refuse_bad_ones() {
    let clock = "{\"a\":2, \"b\":1}".parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.set(HEADER_NAME, &stamp::encode_header(&clock).unwrap());
    headers.set(HEADER_NAME, &stamp::encode_header(&clock).unwrap()); // replaces
    let value = headers.get_one(HEADER_NAME).unwrap().unwrap();
    assert_eq!(stamp::decode_header(value).unwrap(), clock);
    // Header names are case-insensitive: a peer writing `Causet-Stamp` is read.
    let mut upper = HeaderMap::new();
    upper.insert("Causet-Stamp", HeaderValue::from_static("Aw"));
    assert_eq!(upper.get_one(HEADER_NAME), Ok(Some(b"Aw".as_slice())));
    upper.append("causet-stamp", HeaderValue::from_static("Aw"));
    assert_eq!(upper.get_one(HEADER_NAME), Err(2));
    // Opaque (non-ASCII) header bytes are refused as base64url, not a panic.
    let opaque = HeaderValue::from_bytes(b"Aw\xffh").unwrap();
    assert_eq!(
        stamp::decode_header(opaque.as_bytes()),
        Err(StampError::Base64Character {
            byte: 0xff,
            offset: 2
        })
    );
}

/// Requests with no stamp, bad base64, an oversized stamp, two stamps, and a valid stamp
/// from a node the server never saw: all served; the refused ones logged with the reason.
#[test]
fn a_server_serves_every_request_and_logs_what_was_wrong_with_its_stamp() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let nodes = Nodes::in_memory();
    let server = nodes.node("server").unwrap();
    let caller = nodes.node("caller").unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/echo", get(|| async { "ok" }))
            .layer(HttpLayer::server(server.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let plain = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let oversized = "A".repeat(MAX_HEADER_LEN + 4);
        let stranger = stamp::encode_header(&"{\"stranger\":3}".parse().unwrap()).unwrap();
        let cases: [&[&str]; 5] = [&[], &["!!!!"], &[&oversized], &["Aw", "Aw"], &[&stranger]];
        for values in cases {
            let mut request = http::Request::get(format!("http://{addr}/echo"));
            for value in values {
                request = request.header(HEADER_NAME, *value);
            }
            let response = plain
                .request(request.body(Full::new(Bytes::new())).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            // Every response carries the server's stamp.
            let header = response
                .headers()
                .get(HEADER_NAME)
                .expect("stamp")
                .as_bytes()
                .to_vec();
            let clock = stamp::decode_header(&header).unwrap();
            assert!(clock.get("server") > 0);
            assert_eq!(
                response.into_body().collect().await.unwrap().to_bytes(),
                "ok"
            );
        }
        // A client taking its node from the task: stamped inside a scope, plain outside.
        let mut current = HttpLayer::client_current().layer(plain.clone());
        let get = || {
            http::Request::get(format!("http://{addr}/echo"))
                .body(Full::new(Bytes::new()))
                .unwrap()
        };
        caller
            .scope(async { current.call(get()).await })
            .await
            .unwrap();
        current.call(get()).await.unwrap();
    });
    // The sixth request's response: two server events per request.
    assert_eq!(caller.lock().clock().get("server"), 12);
    let log = String::from_utf8(server.lock().log().memory_bytes().to_vec()).unwrap();
    let receives: Vec<&str> = log
        .lines()
        .filter(|line| line.starts_with("receive request"))
        .collect();
    let stamp_field = |line: &str| {
        line.split('\t')
            .find_map(|f| f.strip_prefix("stamp="))
            .map(str::to_string)
    };
    assert_eq!(
        receives
            .iter()
            .map(|line| stamp_field(line))
            .collect::<Vec<_>>(),
        [
            Some("missing".to_string()),
            Some("bad stamp: stamp header is not base64url: byte 0x21 at offset 0".to_string()),
            Some(format!(
                "bad stamp: stamp of {} bytes exceeds the maximum of {MAX_HEADER_LEN} bytes",
                MAX_HEADER_LEN + 4
            )),
            Some("bad stamp: 2 stamp headers where at most one is allowed".to_string()),
            None,
            None,
            Some("missing".to_string()),
        ]
    );
    assert_eq!(
        server.lock().clock().to_string(),
        "{\"caller\":1, \"server\":14, \"stranger\":3}"
    );
    assert_eq!(server.lock().stats().refused, 3);
}
