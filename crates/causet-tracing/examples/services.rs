//! Three axum services on loopback, every one instrumented with causet-tracing, and
//! clients making concurrent requests; writes each node's log, the merged log, a diagram
//! and the viewer page.
//!
//! ```sh
//! cargo run -p causet-tracing --example services -- --out services-run
//! causet check services-run/causet.log
//! causet analyze services-run/causet.log
//! ```
//!
//! - `gateway` serves `GET /order/{id}` (asks `orders`) and `GET /stock/{item}` (asks
//!   `stock`);
//! - `orders` serves `GET /orders/{id}` (reserves the item at `stock` first) and
//!   `GET /history/{item}`;
//! - `stock` serves `GET /reserve/{id}` and `GET /stock/{item}` (looks up the item's order
//!   history at `orders` first): the two backends call each other.
//!
//! Each client request thus makes three HTTP requests and three responses. Options:
//! `--clients N` (default 2), `--requests N` per client (default 3), `--buffered` (logs
//! flushed when full and at the end, instead of per event).

use std::error::Error;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::routing::get;
use causet_tracing::{CausetLayer, HttpLayer, HttpService, LogFlush, NodeHandle, Nodes};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower_layer::Layer;
use tower_service::Service;

/// An instrumented HTTP client.
pub type HttpClient = HttpService<Client<HttpConnector, Full<Bytes>>>;

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct Config {
    /// Concurrent clients, each its own node (`client1`, `client2`, …).
    pub clients: usize,
    /// Requests each client makes, one after the other.
    pub requests: usize,
    /// How node logs are flushed.
    pub flush: LogFlush,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            clients: 2,
            requests: 3,
            flush: LogFlush::EachEvent,
        }
    }
}

/// What a run did, for the test and the summary.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// HTTP requests the services handled (client → gateway → backend → backend).
    pub requests: usize,
    /// The merged log, the viewer page and the diagram.
    pub merged: PathBuf,
    pub view: PathBuf,
    pub diagram: PathBuf,
    /// For each client request: the client, its path, and the response body.
    pub answers: Vec<(String, String, String)>,
    /// Stamps that told their receiver nothing new (it had learnt of the send another
    /// way first): messages that no clock-based analysis can see.
    pub known_already: u64,
}

/// A client wrapped in the causet middleware of `node` (or none, uninstrumented).
pub fn client(node: Option<&NodeHandle>) -> HttpClient {
    let inner = Client::builder(TokioExecutor::new()).build_http();
    match node {
        Some(node) => HttpLayer::client(node.clone()).layer(inner),
        // An instrumented client with no node current passes requests through.
        None => HttpLayer::client_current().layer(inner),
    }
}

/// `GET http://{addr}{path}` through `client`: the response's body as text.
pub async fn fetch(
    client: &HttpClient,
    addr: SocketAddr,
    path: &str,
) -> Result<String, Box<dyn Error + Send + Sync>> {
    let mut client = client.clone();
    std::future::poll_fn(|cx| client.poll_ready(cx)).await?;
    let request =
        http::Request::get(format!("http://{addr}{path}")).body(Full::new(Bytes::new()))?;
    let response = client.call(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    let body = String::from_utf8_lossy(&body).into_owned();
    if !status.is_success() {
        return Err(format!("GET {path}: {status} {body}").into());
    }
    Ok(body)
}

/// One service's state: its outgoing client, where its peers listen, a request counter.
#[derive(Clone)]
struct ServiceState {
    client: HttpClient,
    peers: Arc<Peers>,
    handled: Arc<AtomicUsize>,
}

#[derive(Debug, Default)]
struct Peers {
    orders: std::sync::OnceLock<SocketAddr>,
    stock: std::sync::OnceLock<SocketAddr>,
}

type Reply = Result<String, (http::StatusCode, String)>;

fn failed(err: impl std::fmt::Display) -> (http::StatusCode, String) {
    (http::StatusCode::BAD_GATEWAY, err.to_string())
}

fn addr(cell: &std::sync::OnceLock<SocketAddr>) -> Result<SocketAddr, (http::StatusCode, String)> {
    cell.get().copied().ok_or_else(|| failed("peer not up"))
}

async fn gateway_order(State(s): State<ServiceState>, UrlPath(id): UrlPath<u32>) -> Reply {
    s.handled.fetch_add(1, Ordering::Relaxed);
    tracing::info!(order = id, "routing order to orders");
    let body = fetch(&s.client, addr(&s.peers.orders)?, &format!("/orders/{id}"))
        .await
        .map_err(failed)?;
    Ok(format!("gateway: {body}"))
}

async fn gateway_stock(State(s): State<ServiceState>, UrlPath(item): UrlPath<u32>) -> Reply {
    s.handled.fetch_add(1, Ordering::Relaxed);
    tracing::info!(item, "routing stock query to stock");
    let body = fetch(&s.client, addr(&s.peers.stock)?, &format!("/stock/{item}"))
        .await
        .map_err(failed)?;
    Ok(format!("gateway: {body}"))
}

async fn orders_order(State(s): State<ServiceState>, UrlPath(id): UrlPath<u32>) -> Reply {
    s.handled.fetch_add(1, Ordering::Relaxed);
    let reserved = fetch(&s.client, addr(&s.peers.stock)?, &format!("/reserve/{id}"))
        .await
        .map_err(failed)?;
    tracing::info!(order = id, reserved = %reserved, "order confirmed");
    Ok(format!("order {id} confirmed ({reserved})"))
}

async fn orders_history(State(s): State<ServiceState>, UrlPath(item): UrlPath<u32>) -> Reply {
    s.handled.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(item, "history lookup (DEBUG: below the layer's level)");
    Ok(format!("item {item} ordered {} times", item % 5))
}

async fn stock_reserve(State(s): State<ServiceState>, UrlPath(id): UrlPath<u32>) -> Reply {
    s.handled.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(order = id, left = 3, "stock running low");
    Ok(format!("reserved item {id}"))
}

async fn stock_item(State(s): State<ServiceState>, UrlPath(item): UrlPath<u32>) -> Reply {
    s.handled.fetch_add(1, Ordering::Relaxed);
    let history = fetch(
        &s.client,
        addr(&s.peers.orders)?,
        &format!("/history/{item}"),
    )
    .await
    .map_err(failed)?;
    Ok(format!("{} in stock; {history}", 10 + item))
}

/// A running service: its address and the handle that stops it.
#[derive(Debug)]
struct Running {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve(router: Router, node: Option<&NodeHandle>) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = match node {
        Some(node) => router.layer(HttpLayer::server(node.clone())),
        None => router,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Running { addr, stop, task })
}

/// The three services, started on loopback ports; `nodes` gives their nodes (none:
/// uninstrumented).
#[derive(Debug)]
pub struct Services {
    /// Where the gateway listens.
    pub gateway: SocketAddr,
    running: Vec<Running>,
    handled: Arc<AtomicUsize>,
}

impl Services {
    /// Starts `gateway`, `orders` and `stock`.
    pub async fn start(nodes: Option<&Nodes>) -> Result<Services, Box<dyn Error>> {
        let peers = Arc::new(Peers::default());
        let handled = Arc::new(AtomicUsize::new(0));
        let node = |name: &str| nodes.map(|nodes| nodes.node(name)).transpose();
        let state = |node: Option<&NodeHandle>| ServiceState {
            client: client(node),
            peers: peers.clone(),
            handled: handled.clone(),
        };
        let (gateway_node, orders_node, stock_node) =
            (node("gateway")?, node("orders")?, node("stock")?);
        let gateway = Router::new()
            .route("/order/{id}", get(gateway_order))
            .route("/stock/{item}", get(gateway_stock))
            .with_state(state(gateway_node.as_ref()));
        let orders = Router::new()
            .route("/orders/{id}", get(orders_order))
            .route("/history/{item}", get(orders_history))
            .with_state(state(orders_node.as_ref()));
        let stock = Router::new()
            .route("/reserve/{id}", get(stock_reserve))
            .route("/stock/{item}", get(stock_item))
            .with_state(state(stock_node.as_ref()));
        let gateway = serve(gateway, gateway_node.as_ref()).await?;
        let orders = serve(orders, orders_node.as_ref()).await?;
        let stock = serve(stock, stock_node.as_ref()).await?;
        let _ = peers.orders.set(orders.addr);
        let _ = peers.stock.set(stock.addr);
        Ok(Services {
            gateway: gateway.addr,
            running: vec![gateway, orders, stock],
            handled,
        })
    }

    /// Requests handled so far, over the three services.
    pub fn handled(&self) -> usize {
        self.handled.load(Ordering::Relaxed)
    }

    /// Stops the services and waits for them.
    pub async fn stop(self) -> Result<(), Box<dyn Error>> {
        for running in self.running {
            let _ = running.stop.send(());
            running.task.await??;
        }
        Ok(())
    }
}

/// The client path of request `k` of client `c`: orders and stock queries alternate.
pub fn client_path(c: usize, k: usize) -> String {
    if (c + k).is_multiple_of(2) {
        format!("/order/{}", 100 * c + k)
    } else {
        format!("/stock/{}", 100 * c + k)
    }
}

/// Runs the services and the clients, then writes `out/nodes/*.log`, the merged
/// `out/causet.log`, `out/view.html` and `out/diagram.svg`.
pub async fn run(out: &Path, config: &Config) -> Result<Report, Box<dyn Error>> {
    let nodes = Nodes::in_dir(out.join("nodes"), config.flush)?;
    let services = Services::start(Some(&nodes)).await?;
    let gateway = services.gateway;
    let mut clients = Vec::new();
    for c in 1..=config.clients {
        let node = nodes.node(&format!("client{c}"))?;
        let client = client(Some(&node));
        let requests = config.requests;
        let work = node.clone().scope(async move {
            let mut answers = Vec::new();
            for k in 0..requests {
                let path = client_path(c, k);
                tracing::info!(request = k, "asking the gateway");
                let body = fetch(&client, gateway, &path)
                    .await
                    .map_err(|e| e.to_string())?;
                answers.push((format!("client{c}"), path, body));
            }
            Ok::<_, String>(answers)
        });
        clients.push(tokio::spawn(work));
    }
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await??);
    }
    let requests = services.handled();
    services.stop().await?;
    let known_already = nodes
        .handles()
        .iter()
        .map(|node| node.lock().stats().known_already)
        .sum();
    let merged = out.join("causet.log");
    nodes.merge(&merged)?;
    let log = causet_log::read_log(&merged, &causet_log::ReadOptions::default())?;
    let view = out.join("view.html");
    let page = std::fs::File::create(&view)?;
    causet_diagram::write_view(
        &log,
        &causet_diagram::ViewOptions::new().title("causet-tracing services"),
        std::io::BufWriter::new(page),
    )?;
    let diagram = out.join("diagram.svg");
    let drawing = causet_diagram::Diagram::from_execution(&log.executions[0])?;
    causet_diagram::write_svg(
        &drawing,
        &causet_diagram::RenderOptions::new(),
        std::io::BufWriter::new(std::fs::File::create(&diagram)?),
    )?;
    Ok(Report {
        requests,
        merged,
        view,
        diagram,
        answers,
        known_already,
    })
}

/// The process-wide subscriber: the causet layer, which logs each event on the node
/// current in its task (the middleware makes the service's node current while it handles
/// a request, and each client's work runs in its node's scope).
pub fn install_subscriber() {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(CausetLayer::new());
    // Already set (a test calling twice): the same layer is in place.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

#[allow(dead_code)] // (the test includes this file for `run`, not for `main`)
fn main() -> Result<(), Box<dyn Error>> {
    let mut config = Config::default();
    let mut out = PathBuf::from("services-run");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, Box<dyn Error>> {
            let value = args.next().ok_or(format!("{name} needs a value"))?;
            Ok(value
                .parse()
                .map_err(|_| format!("{name}: not a number: {value}"))?)
        };
        match arg.as_str() {
            "--out" => out = PathBuf::from(args.next().ok_or("--out needs a directory")?),
            "--clients" => config.clients = number("--clients")?,
            "--requests" => config.requests = number("--requests")?,
            "--buffered" => config.flush = LogFlush::Buffered,
            "--help" | "-h" => {
                println!("usage: services [--out DIR] [--clients N] [--requests N] [--buffered]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    install_subscriber();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(run(&out, &config))?;
    println!(
        "services: {} clients x {} requests: {} HTTP requests handled by gateway, orders and stock",
        config.clients, config.requests, report.requests
    );
    println!("  merged log  {}", report.merged.display());
    println!("  viewer      {}", report.view.display());
    println!("  diagram     {}", report.diagram.display());
    println!(
        "next: causet check {0}; causet analyze {0}",
        report.merged.display()
    );
    Ok(())
}
