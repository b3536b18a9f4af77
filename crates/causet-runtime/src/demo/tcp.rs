//! One node's host over TCP (process mode, `causet node`): it runs a [`Plan`]'s program,
//! listening for its peers and connecting to them with [`crate::frame`]'s frames.
//!
//! Each connection carries messages one way, from the node that connected to the node that
//! accepted, so that a connection is a FIFO channel from one sender to one receiver and the
//! stamps on it can be differential. A node accepts only configured peers that present the
//! run's token and the same roster and plan; a connection that sends garbage, an oversized
//! frame, or no hello within the handshake timeout is closed and reported.
//!
//! A lost connection is reopened by its sender at its next send, and the stamps on the new
//! connection start a new differential chain with the whole clock. The newest connection
//! from a peer replaces an older one the node still holds (a sender only reconnects once it
//! has given the old one up; the old one may be half-open): the older is closed. Anything
//! still read from it afterwards belongs to the old chain and is refused, never applied.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::driver::{Input, NodeReport, Outbox, Session, Timing};
use super::workload::Plan;
use crate::frame::{Frame, FrameReader, HELLO, Hello, MESSAGE, write_frame};
use crate::log::LogSink;
use crate::node::{Node, Stamps};
use crate::varint::read_varint;
use crate::{Roster, RuntimeError};

/// Most connections a node serves at once (authenticated or not).
const MAX_CONNECTIONS: usize = 256;
/// Most times a node reconnects to one peer after losing the connection (a peer that keeps
/// dropping it is then given up, like one that cannot be reached).
const MAX_RECONNECTS: u32 = 8;
/// Messages a connection carries before it counts as healthy, and the count of lost
/// connections to its peer starts again.
const HEALTHY: u32 = 64;
/// How often blocked I/O wakes up to see whether the node has finished.
const POLL: Duration = Duration::from_millis(20);

/// One node of a TCP cluster.
#[derive(Debug)]
pub struct TcpNode {
    /// The cluster (this node and its peers).
    pub roster: Arc<Roster>,
    /// This node's name (in the roster).
    pub name: String,
    /// Where each peer listens, by name.
    pub peers: Vec<(String, SocketAddr)>,
    /// The run token every connection must present.
    pub token: String,
    /// The workload (its node count must match the roster).
    pub plan: Plan,
    /// Timeouts and pacing.
    pub timing: Timing,
    /// Largest frame body accepted.
    pub max_frame: usize,
    /// Where the node logs.
    pub log: LogSink,
    /// Differential or full stamps (every node of the cluster must use the same).
    pub stamps: Stamps,
    /// Whether the node does clock work (`false`: the uninstrumented baseline, which sends
    /// no stamps; every node of the cluster must agree).
    pub instrumented: bool,
    /// A node restarting after a crash: resume from this log, its own (see
    /// [`Node::resume`]), appending to it, flushed per event; `log` is then not used. Its
    /// workload goes on from what the log holds ([`Plan::resumed_program`]).
    pub resume: Option<std::path::PathBuf>,
    /// Die by SIGKILL after logging this many events (see [`LogSink::die_after`]).
    #[doc(hidden)]
    pub die_after: Option<u64>,
}

/// Runs one node on `listener` until its workload is done or it gives up; returns its report.
///
/// Problems with peers (refused handshakes, garbage, failed sends) are in the report, not
/// errors; errors are failures of the node itself (its log cannot be written).
pub fn run_tcp_node(config: TcpNode, listener: TcpListener) -> Result<NodeReport, RuntimeError> {
    let roster = config.roster.clone();
    if config.plan.nodes() != roster.len() {
        return Err(RuntimeError::config(format!(
            "the workload plans {} nodes but the cluster has {}",
            config.plan.nodes(),
            roster.len()
        )));
    }
    let me = roster
        .index(&config.name)
        .ok_or_else(|| RuntimeError::UnknownNode {
            name: config.name.clone(),
        })?;
    let mut addresses = vec![None; roster.len()];
    for (name, address) in &config.peers {
        let index = roster
            .index(name)
            .ok_or_else(|| RuntimeError::UnknownNode { name: name.clone() })?;
        addresses[index] = Some(*address);
    }
    let shared = Arc::new(Shared {
        roster: roster.clone(),
        me,
        token: config.token.clone(),
        plan_digest: config.plan.digest(),
        max_frame: config.max_frame,
        handshake_timeout: config.timing.handshake_timeout,
        stop: AtomicBool::new(false),
        connections: AtomicUsize::new(0),
        current: (0..roster.len()).map(|_| AtomicU64::new(0)).collect(),
        next_connection: AtomicU64::new(1),
    });
    let (inbox, receiver) = mpsc::channel::<Input>();
    listener
        .set_nonblocking(true)
        .map_err(|err| RuntimeError::io("cannot configure the listener", err))?;
    let acceptor = {
        let shared = shared.clone();
        let inbox = inbox.clone();
        thread::Builder::new()
            .name("accept".into())
            .spawn(move || accept_loop(listener, shared, inbox))
            .map_err(|err| RuntimeError::io("cannot start the accept thread", err))?
    };
    drop(inbox);
    let (node, program) = match &config.resume {
        Some(path) => {
            let (node, resume) = Node::resume_from_log(
                roster.clone(),
                me,
                path,
                crate::LogFlush::EachEvent,
                config.stamps,
            )?;
            let program = config
                .plan
                .resumed_program(me, resume.sends, resume.receives);
            (node, program)
        }
        None => (
            Node::with_index_and_stamps(roster.clone(), me, config.log, config.stamps)?,
            config.plan.program(me),
        ),
    };
    let node = match config.die_after {
        Some(events) => node.die_after(events),
        None => node,
    };
    let node = if config.instrumented {
        node
    } else {
        node.uninstrumented()
    };
    let mut outbox = TcpOutbox {
        hello: Hello {
            name: config.name.clone(),
            token: config.token,
            roster_digest: roster.digest(),
            plan_digest: config.plan.digest(),
        },
        addresses,
        streams: (0..roster.len()).map(|_| None).collect(),
        dead: vec![false; roster.len()],
        reconnects: vec![0; roster.len()],
        carried: vec![0; roster.len()],
        timing: config.timing,
    };
    let mut session = Session::new(node, program, config.timing);
    let result = (|| {
        session.start(&mut outbox)?;
        while let Some(wait) = session.next_wait() {
            let input = match receiver.recv_timeout(wait) {
                Ok(input) => input,
                Err(mpsc::RecvTimeoutError::Timeout) => Input::Timeout,
                Err(mpsc::RecvTimeoutError::Disconnected) => Input::Closed,
            };
            session.handle(input, &mut outbox)?;
        }
        Ok::<(), RuntimeError>(())
    })();
    shared.stop.store(true, Ordering::SeqCst);
    outbox.close();
    let _ = acceptor.join();
    result?;
    let (report, _node) = session.finish()?;
    Ok(report)
}

struct Shared {
    roster: Arc<Roster>,
    me: usize,
    token: String,
    plan_digest: u64,
    max_frame: usize,
    handshake_timeout: Duration,
    stop: AtomicBool,
    connections: AtomicUsize,
    /// Per peer, the id of its current connection (0: none); a newer one replaces it.
    current: Vec<AtomicU64>,
    /// The next connection id.
    next_connection: AtomicU64,
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>, inbox: mpsc::Sender<Input>) {
    let mut readers = Vec::new();
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, address)) => {
                if shared.connections.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                    let _ = inbox.send(Input::Problem(format!(
                        "connection from {address} refused: {MAX_CONNECTIONS} connections open"
                    )));
                    continue;
                }
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let reader_shared = shared.clone();
                let reader_inbox = inbox.clone();
                let spawned = thread::Builder::new().name("read".into()).spawn(move || {
                    let (shared, inbox) = (reader_shared, reader_inbox);
                    if let Err(err) = serve(stream, address, &shared, &inbox) {
                        let _ = inbox.send(Input::Problem(err.to_string()));
                    }
                    shared.connections.fetch_sub(1, Ordering::SeqCst);
                });
                match spawned {
                    Ok(handle) => readers.push(handle),
                    Err(err) => {
                        shared.connections.fetch_sub(1, Ordering::SeqCst);
                        let _ =
                            inbox.send(Input::Problem(format!("cannot serve {address}: {err}")));
                    }
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(err) => {
                let _ = inbox.send(Input::Problem(format!("accept failed: {err}")));
                thread::sleep(POLL);
            }
        }
        readers.retain(|handle: &thread::JoinHandle<()>| !handle.is_finished());
    }
    for handle in readers {
        let _ = handle.join();
    }
}

/// Serves one incoming connection: handshake, then messages into the inbox.
fn serve(
    mut stream: TcpStream,
    address: SocketAddr,
    shared: &Shared,
    inbox: &mpsc::Sender<Input>,
) -> Result<(), RuntimeError> {
    let label = address.to_string();
    stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(POLL)))
        .map_err(|err| {
            RuntimeError::io(format!("cannot configure the connection from {label}"), err)
        })?;
    let mut reader = FrameReader::new(shared.max_frame);
    let deadline = Instant::now() + shared.handshake_timeout;
    let hello = loop {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let _ = stream.shutdown(Shutdown::Both);
            return Err(RuntimeError::Handshake {
                peer: label,
                reason: format!(
                    "no hello within {} ms",
                    shared.handshake_timeout.as_millis()
                ),
            });
        }
        match reader.poll(&mut stream, &label)? {
            Frame::Body(body) => break body,
            Frame::Pending => {}
            Frame::Closed => {
                return Err(RuntimeError::Handshake {
                    peer: label,
                    reason: "closed before the hello".into(),
                });
            }
        }
    };
    let (from, id) = authenticate(&hello, shared).map_err(|reason| {
        let _ = stream.shutdown(Shutdown::Both);
        RuntimeError::Handshake {
            peer: label.clone(),
            reason,
        }
    })?;
    let name = shared.roster.name(from).unwrap_or("?").to_string();
    // Ends when the peer closes, the node stops, or a newer connection from the peer
    // replaces this one (checked between frames: one atomic load).
    let current = &shared.current[from];
    let result = (|| {
        while !shared.stop.load(Ordering::SeqCst) && current.load(Ordering::SeqCst) == id {
            match reader.poll(&mut stream, &name)? {
                Frame::Body(body) => {
                    let message = check_message(&body, from, &name)?;
                    if inbox.send(Input::Message(message)).is_err() {
                        return Ok(());
                    }
                }
                Frame::Pending => {}
                Frame::Closed => return Ok(()),
            }
        }
        Ok(())
    })();
    // (Unless a newer connection has taken the peer's place.)
    let replaced = current
        .compare_exchange(id, 0, Ordering::SeqCst, Ordering::SeqCst)
        .is_err();
    if result.is_err() || replaced {
        let _ = stream.shutdown(Shutdown::Both);
    }
    result
}

/// Checks a hello; returns the peer's clock index and the id of its connection, which
/// becomes the peer's current one.
fn authenticate(body: &[u8], shared: &Shared) -> Result<(usize, u64), String> {
    let (&kind, rest) = body.split_first().ok_or("empty frame")?;
    if kind != HELLO {
        return Err(format!("first frame is of kind {kind:#04x}, not a hello"));
    }
    let hello = Hello::decode(rest)?;
    let from = shared
        .roster
        .index(&hello.name)
        .ok_or_else(|| format!("{:?} is not a peer of this node", hello.name))?;
    if from == shared.me {
        return Err(format!("{:?} is this node's own name", hello.name));
    }
    // Compare every byte whatever the first difference, so timing does not leak the token.
    let token_ok = hello.token.len() == shared.token.len()
        && hello
            .token
            .bytes()
            .zip(shared.token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !token_ok {
        return Err(format!("{} presented a wrong run token", hello.name));
    }
    if hello.roster_digest != shared.roster.digest() {
        return Err(format!(
            "{} is configured with a different set of nodes",
            hello.name
        ));
    }
    if hello.plan_digest != shared.plan_digest {
        return Err(format!(
            "{} runs a different workload, node count, message count or seed",
            hello.name
        ));
    }
    let id = shared.next_connection.fetch_add(1, Ordering::SeqCst);
    shared.current[from].store(id, Ordering::SeqCst);
    Ok((from, id))
}

/// A message frame's node message, whose sender must be the authenticated peer.
fn check_message(body: &[u8], from: usize, name: &str) -> Result<Vec<u8>, RuntimeError> {
    let malformed = |reason: String| RuntimeError::Malformed {
        peer: name.to_string(),
        reason,
    };
    let (&kind, message) = body
        .split_first()
        .ok_or_else(|| malformed("empty frame".into()))?;
    if kind != MESSAGE {
        return Err(malformed(format!(
            "frame of kind {kind:#04x} after the hello"
        )));
    }
    let mut pos = 1;
    let sender = read_varint(message, &mut pos).map_err(&malformed)?;
    if sender != from as u64 {
        return Err(malformed(format!(
            "message claims sender index {sender} on {name}'s connection"
        )));
    }
    Ok(message.to_vec())
}

/// Outgoing connections, one per peer, opened at the first send.
///
/// A connection that fails a write is dropped; the next send to that peer connects again
/// (for at most the handshake timeout, and at most [`MAX_RECONNECTS`] times), and the
/// driver has meanwhile restarted the differential chain to that peer (the messages lost
/// with the old connection must not leave a gap), so the first stamp on the new connection
/// carries the whole clock.
struct TcpOutbox {
    hello: Hello,
    addresses: Vec<Option<SocketAddr>>,
    streams: Vec<Option<TcpStream>>,
    dead: Vec<bool>,
    /// Per peer, how many connections were lost in a row (a connection that carried
    /// [`HEALTHY`] messages resets it: a peer that restarts now and then is not given up).
    reconnects: Vec<u32>,
    /// Per peer, messages written on the current connection.
    carried: Vec<u32>,
    timing: Timing,
}

impl TcpOutbox {
    /// Connects to peer `to` and says hello, retrying for `patience` (a peer may not be
    /// listening yet).
    fn connect(&self, to: usize, patience: Duration) -> Result<TcpStream, String> {
        let address = self.addresses[to].ok_or("no address configured for this peer")?;
        let deadline = Instant::now() + patience;
        let mut stream = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match TcpStream::connect_timeout(&address, left.max(Duration::from_millis(10))) {
                Ok(stream) => break stream,
                Err(err) if Instant::now() >= deadline => {
                    return Err(format!("cannot connect to {address}: {err}"));
                }
                Err(_) => thread::sleep(Duration::from_millis(50)),
            }
        };
        let _ = stream.set_nodelay(true);
        stream
            .set_write_timeout(Some(self.timing.receive_timeout))
            .map_err(|err| err.to_string())?;
        write_frame(&mut stream, HELLO, &self.hello.encode())
            .map_err(|err| format!("handshake with {address} failed: {err}"))?;
        Ok(stream)
    }

    fn close(&mut self) {
        for stream in self.streams.iter_mut().flatten() {
            let _ = stream.flush();
            let _ = stream.shutdown(Shutdown::Write);
        }
    }
}

impl Outbox for TcpOutbox {
    fn is_fifo(&self) -> bool {
        true
    }

    fn send(&mut self, to: usize, bytes: Vec<u8>) -> Result<(), String> {
        if to >= self.streams.len() {
            return Err("no such node".into());
        }
        if self.dead[to] {
            return Err("connection lost earlier".into());
        }
        if self.streams[to].is_none() {
            // The first connection waits for the peer to come up; a reconnection only as
            // long as a handshake may take (a peer that died is given up at once).
            let patience = if self.reconnects[to] == 0 {
                self.timing.connect_timeout
            } else {
                self.timing.handshake_timeout
            };
            match self.connect(to, patience) {
                Ok(stream) => {
                    self.streams[to] = Some(stream);
                    self.carried[to] = 0;
                }
                Err(why) => {
                    self.dead[to] = true;
                    return Err(why);
                }
            }
        }
        let Some(stream) = self.streams[to].as_mut() else {
            return Err("not connected".into());
        };
        if let Err(err) = write_frame(stream, MESSAGE, &bytes) {
            self.streams[to] = None;
            self.reconnects[to] += 1;
            if self.reconnects[to] > MAX_RECONNECTS {
                self.dead[to] = true;
                return Err(format!(
                    "{err} (connection lost {MAX_RECONNECTS} times: given up)"
                ));
            }
            return Err(format!("{err} (connection lost: the next send reconnects)"));
        }
        self.carried[to] = self.carried[to].saturating_add(1);
        if self.carried[to] == HEALTHY {
            self.reconnects[to] = 0;
        }
        Ok(())
    }
}
