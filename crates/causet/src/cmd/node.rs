//! `causet node`: run one node of a TCP cluster, by hand or under `causet run`.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use causet_runtime::{
    LogFlush, LogSink, Roster, Stamps,
    demo::{
        ControlledNode, NodeReport, NodeStatus, TcpNode, Timing, run_tcp_node, serve_controlled,
    },
    frame::DEFAULT_MAX_FRAME,
};

use super::run::WorkloadArgs;

/// Arguments of `causet node`.
///
/// Every node of a cluster must be given the same workload, messages and seed, the same
/// token, and every other node as a `--peer`; nodes refuse peers configured differently.
/// Example, two shells:
///   causet node --name alice --listen 127.0.0.1:7001 --peer bob=127.0.0.1:7002 --token s3cret
///   causet node --name bob --listen 127.0.0.1:7002 --peer alice=127.0.0.1:7001 --token s3cret
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Every node of a cluster needs the same workload, --messages, --seed and token, and every
other node as a --peer; nodes refuse peers configured differently. Exit 0 when the node
finished its workload, 1 when it gave up waiting (a peer died). Two shells:
  causet node --name alice --listen 127.0.0.1:7001 --peer bob=127.0.0.1:7002 --token s3cret
  causet node --name bob --listen 127.0.0.1:7002 --peer alice=127.0.0.1:7001 --token s3cret")]
pub(crate) struct NodeArgs {
    /// This node's name (letters, digits, '-', '_', '.').
    #[arg(long)]
    name: String,
    /// Address to listen on for messages from the peers.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "HOST:PORT", value_parser = parse_address)]
    listen: SocketAddr,
    /// A peer, NAME=HOST:PORT (HOST a name such as localhost or an IP address); give every
    /// other node of the cluster.
    #[arg(long = "peer", value_name = "NAME=HOST:PORT", value_parser = parse_peer)]
    peers: Vec<(String, SocketAddr)>,
    /// Run token shared by the cluster; connections without it are refused [default: the
    /// CAUSET_TOKEN environment variable].
    #[arg(long)]
    token: Option<String>,
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Log file [default: NAME.log].
    #[arg(long)]
    log: Option<PathBuf>,
    /// Buffer the log instead of flushing each event (faster; a crash loses the tail).
    #[arg(long)]
    buffered: bool,
    /// Milliseconds a node with sends left waits for a message before sending anyway.
    #[arg(long, default_value_t = 5)]
    pace_ms: u64,
    /// Milliseconds without any message after which a node gives up waiting (at least 1).
    #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u64).range(1..))]
    timeout_ms: u64,
    /// Milliseconds to keep retrying to connect to a peer (at least 1).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    connect_timeout_ms: u64,
    /// Send the whole clock with every message instead of differential stamps.
    #[arg(long)]
    full_stamps: bool,
    /// Print the node's report as JSON.
    #[arg(long)]
    json: bool,
    /// Steered by `causet run` over stdin/stdout (internal).
    #[arg(long, hide = true)]
    control: bool,
}

/// Runs the node; exit 0 when it finished its workload, 1 when it gave up.
pub(crate) fn run(args: NodeArgs) -> anyhow::Result<ExitCode> {
    let timing = Timing {
        pace: Duration::from_millis(args.pace_ms),
        receive_timeout: Duration::from_millis(args.timeout_ms),
        connect_timeout: Duration::from_millis(args.connect_timeout_ms),
        ..Timing::default()
    };
    let flush = if args.buffered {
        LogFlush::Buffered
    } else {
        LogFlush::EachEvent
    };
    let stamps = if args.full_stamps {
        Stamps::Full
    } else {
        Stamps::Differential
    };
    let log = args
        .log
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.log", args.name)));
    if args.control {
        let node = ControlledNode {
            name: args.name,
            workload: args.workload.workload,
            messages: args.workload.messages,
            seed: args.workload.seed,
            log,
            flush,
            timing,
            stamps,
        };
        let stdin = std::io::stdin().lock();
        let stdout = std::io::stdout().lock();
        let report = serve_controlled(node, stdin, stdout).context("node under control")?;
        return Ok(exit_code(&report));
    }

    let token = args
        .token
        .or_else(|| std::env::var("CAUSET_TOKEN").ok())
        .context("a run token is required: --token T (or CAUSET_TOKEN)")?;
    if token.is_empty() || token.len() > 256 || token.contains(char::is_whitespace) {
        bail!("--token: 1 to 256 characters without spaces");
    }
    let peers = args.peers;
    if peers.is_empty() {
        bail!("give at least one --peer NAME=HOST:PORT");
    }
    let roster = Arc::new(
        Roster::new(std::iter::once(args.name.clone()).chain(peers.iter().map(|p| p.0.clone())))
            .context("the cluster's names")?,
    );
    let plan = args.workload.plan(roster.len())?;
    let listener = TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr().context("listening address")?;
    if !args.json {
        eprintln!("{} listening on {address}", args.name);
    }
    let sink = LogSink::file(&log, flush)?;
    let report = run_tcp_node(
        TcpNode {
            roster,
            name: args.name,
            peers,
            token,
            plan,
            timing,
            max_frame: DEFAULT_MAX_FRAME,
            log: sink,
            stamps,
        },
        listener,
    )?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}: {:?}, {} events, {} sent, {} received, {} missing; log {}",
            report.name,
            report.status,
            report.events,
            report.sent,
            report.received,
            report.missing,
            super::shown(&log)
        );
        for problem in &report.problems {
            println!("  problem: {problem}");
        }
    }
    Ok(exit_code(&report))
}

/// Parses `HOST:PORT`, resolving a host name (`localhost:7001`) to one address: its first
/// IPv4 address when it has one (so `--listen localhost:P` and `--peer n=localhost:P` agree
/// even where `localhost` also names `::1`), else its first address.
fn parse_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = text.parse() {
        return Ok(address);
    }
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("{text:?} is not HOST:PORT (no ':PORT')"))?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!("{text:?} is not HOST:PORT (PORT is 0 to 65535)"));
    }
    let addresses: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|error| format!("cannot resolve {host:?}: {error}"))?
        .collect();
    addresses
        .iter()
        .find(|address| address.is_ipv4())
        .or(addresses.first())
        .copied()
        .ok_or_else(|| format!("{host:?} resolves to no address"))
}

/// Parses `--peer NAME=HOST:PORT`.
fn parse_peer(text: &str) -> Result<(String, SocketAddr), String> {
    let (name, address) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected NAME=HOST:PORT"))?;
    if name.is_empty() {
        return Err(format!("{text:?}: the NAME before '=' is empty"));
    }
    Ok((name.to_string(), parse_address(address)?))
}

fn exit_code(report: &NodeReport) -> ExitCode {
    if report.status == NodeStatus::Finished {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
