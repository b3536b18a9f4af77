//! The `tower` middleware: stamps on every HTTP request and response, send and receive
//! events named by method and path.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use causet_runtime::Priority;
use http::{HeaderMap, Method, Request, Response};
use tower_service::Service;

use crate::NodeHandle;

/// A [`tower_layer::Layer`] that instruments an HTTP client or server with a causet node.
///
/// | role | on a request | on its response |
/// |---|---|---|
/// | [`client`](Self::client) | a send event `send request GET /path`; the stamp goes into the request's [`HEADER_NAME`](crate::stamp::HEADER_NAME) header | a receive event `receive response 200 GET /path`, merging the response's stamp |
/// | [`server`](Self::server) | a receive event `receive request GET /path`, merging the request's stamp | a send event `send response 200 GET /path`; the stamp goes into the response's header |
///
/// Every event has the fields `kind` (`request` or `response`), `method`, `path`, and
/// for responses `status`. The server polls the inner service's future with its node
/// current ([`NodeHandle::scope`]), so `tracing` events and client calls made while
/// handling a request belong to that node.
///
/// A peer's stamp that is missing (an uninstrumented peer) or refused (malformed,
/// oversized, forged; see [`OpenNode::receive`](crate::OpenNode::receive)) never fails the
/// request: the receive is logged as a local event with the field `stamp` set to `missing`
/// or to the error's text, and nothing is merged.
///
/// Works with anything that speaks `http` + `tower`: axum routers
/// (`Router::layer(HttpLayer::server(node))`), hyper-util's client, reqwest's
/// `tower`-based clients.
#[derive(Debug, Clone)]
pub struct HttpLayer {
    role: Role,
    node: Option<NodeHandle>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Client,
    Server,
}

impl HttpLayer {
    /// Instruments a server: requests are received, responses sent, by `node`.
    pub fn server(node: NodeHandle) -> Self {
        HttpLayer {
            role: Role::Server,
            node: Some(node),
        }
    }

    /// Instruments a client: requests are sent, responses received, by `node`.
    pub fn client(node: NodeHandle) -> Self {
        HttpLayer {
            role: Role::Client,
            node: Some(node),
        }
    }

    /// Instruments a client shared by several nodes: each request is sent by the node
    /// current when [`Service::call`] runs ([`NodeHandle::current`]: inside the calling
    /// task's scope, as in any `async` code that awaits the call); a request made with no
    /// node current passes through untouched.
    pub fn client_current() -> Self {
        HttpLayer {
            role: Role::Client,
            node: None,
        }
    }
}

impl<S> tower_layer::Layer<S> for HttpLayer {
    type Service = HttpService<S>;

    fn layer(&self, inner: S) -> HttpService<S> {
        HttpService {
            inner,
            role: self.role,
            node: self.node.clone(),
        }
    }
}

/// The service [`HttpLayer`] wraps around an HTTP client or server.
#[derive(Debug, Clone)]
pub struct HttpService<S> {
    inner: S,
    role: Role,
    node: Option<NodeHandle>,
}

/// One request in flight: what its response's event needs.
#[derive(Debug)]
struct Call {
    node: NodeHandle,
    role: Role,
    method: Method,
    path: String,
}

impl Call {
    /// The request's event: the client's send or the server's receive.
    fn request(&self, headers: &mut HeaderMap) {
        let text = format!("{} request {} {}", self.verb(true), self.method, self.path);
        let fields = [
            ("kind", "request"),
            ("method", self.method.as_str()),
            ("path", self.path.as_str()),
        ];
        self.event(true, &text, &fields, headers);
    }

    /// The response's event: the server's send or the client's receive.
    fn response(&self, status: http::StatusCode, headers: &mut HeaderMap) {
        let text = format!(
            "{} response {} {} {}",
            self.verb(false),
            status.as_u16(),
            self.method,
            self.path
        );
        let fields = [
            ("kind", "response"),
            ("method", self.method.as_str()),
            ("path", self.path.as_str()),
            ("status", status.as_str()),
        ];
        self.event(false, &text, &fields, headers);
    }

    fn verb(&self, request: bool) -> &'static str {
        if (self.role == Role::Client) == request {
            "send"
        } else {
            "receive"
        }
    }

    /// Logs a send (injecting the stamp) or a receive (extracting it); a log that cannot
    /// be written or a stamp refused never fails the request.
    fn event(&self, request: bool, text: &str, fields: &[(&str, &str)], headers: &mut HeaderMap) {
        let mut node = self.node.lock();
        let sending = (self.role == Role::Client) == request;
        let result = if sending {
            node.inject(Priority::Info, text, fields, headers)
                .map(|()| true)
        } else {
            node.extract(Priority::Info, text, fields, headers)
        };
        let note = match result {
            Ok(true) => return,
            Ok(false) => "missing".to_string(),
            Err(crate::TraceError::Io { .. }) => return,
            Err(err) => err.to_string(),
        };
        let mut noted: Vec<(&str, &str)> = fields.to_vec();
        noted.push(("stamp", &note));
        let _ = node.log_event(Priority::Info, text, &noted);
    }
}

impl<S, B, R> Service<Request<B>> for HttpService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = HttpFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> HttpFuture<S::Future> {
        let Some(node) = self.node.clone().or_else(NodeHandle::current) else {
            return HttpFuture {
                inner: self.inner.call(request),
                call: None,
            };
        };
        let call = Call {
            node,
            role: self.role,
            method: request.method().clone(),
            path: request.uri().path().to_string(),
        };
        call.request(request.headers_mut());
        let inner = {
            let _entered = (call.role == Role::Server).then(|| call.node.enter());
            self.inner.call(request)
        };
        HttpFuture {
            inner,
            call: Some(call),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`HttpService`].
    #[derive(Debug)]
    pub struct HttpFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }
}

impl<F, R, E> Future for HttpFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = Result<Response<R>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = match this.call {
            Some(call) if call.role == Role::Server => {
                let _entered = call.node.enter();
                this.inner.poll(cx)
            }
            _ => this.inner.poll(cx),
        };
        let Poll::Ready(result) = polled else {
            return Poll::Pending;
        };
        Poll::Ready(result.map(|mut response| {
            if let Some(call) = this.call.take() {
                let status = response.status();
                call.response(status, response.headers_mut());
            }
            response
        }))
    }
}
