//! Nodes over TCP: frames, the handshake, and one node's host (process mode, `causet node`).
//!
//! # Wire format
//!
//! Every frame is a 4-byte big-endian body length, then the body; a length above the
//! maximum frame size ([`DEFAULT_MAX_FRAME`] by default) is rejected before anything is
//! allocated. The first byte of a body is its kind:
//!
//! - `H` hello, the first frame of every connection, from the connecting node:
//!   `H`, `CAUSET`, version `1`, varint name length, name, varint token length, token,
//!   roster digest (u64 little-endian), plan digest (u64 little-endian).
//! - `M` message: `M` then a node message (see [`crate::Node`]: kind byte, varint sender,
//!   stamp, payload); the sender must be the node that said hello.
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

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::driver::{Input, NodeReport, Outbox, Session, Timing};
use crate::log::LogSink;
use crate::node::{Node, Stamps};
use crate::varint::{read_varint, write_varint};
use crate::workload::Plan;
use crate::{Roster, RuntimeError};

/// Default maximum frame body, in bytes.
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;
/// Longest accepted run token, in bytes.
pub const MAX_TOKEN_LEN: usize = 256;
/// Most connections a node serves at once (authenticated or not).
const MAX_CONNECTIONS: usize = 256;
/// Most times a node reconnects to one peer after losing the connection (a peer that keeps
/// dropping it is then given up, like one that cannot be reached).
const MAX_RECONNECTS: u32 = 8;
/// How often blocked I/O wakes up to see whether the node has finished.
const POLL: Duration = Duration::from_millis(20);

const HELLO: u8 = b'H';
const MESSAGE: u8 = b'M';
const MAGIC: &[u8] = b"CAUSET";
const VERSION: u8 = 1;

/// Writes one frame.
pub fn write_frame(stream: &mut impl Write, kind: u8, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len() + 1)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    let mut frame = Vec::with_capacity(body.len() + 5);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.push(kind);
    frame.extend_from_slice(body);
    stream.write_all(&frame)
}

/// The handshake a connecting node sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The connecting node's name.
    pub name: String,
    /// The run token.
    pub token: String,
    /// [`Roster::digest`] of its cluster.
    pub roster_digest: u64,
    /// [`Plan::digest`] of its workload.
    pub plan_digest: u64,
}

impl Hello {
    /// The hello frame's body after the kind byte.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(32 + self.name.len() + self.token.len());
        body.extend_from_slice(MAGIC);
        body.push(VERSION);
        write_varint(&mut body, self.name.len() as u64);
        body.extend_from_slice(self.name.as_bytes());
        write_varint(&mut body, self.token.len() as u64);
        body.extend_from_slice(self.token.as_bytes());
        body.extend_from_slice(&self.roster_digest.to_le_bytes());
        body.extend_from_slice(&self.plan_digest.to_le_bytes());
        body
    }

    /// Parses a hello body (after the kind byte).
    pub fn decode(body: &[u8]) -> Result<Hello, String> {
        let rest = body
            .strip_prefix(MAGIC)
            .ok_or("not a causet handshake (bad magic)")?;
        let (&version, rest) = rest.split_first().ok_or("handshake ends early")?;
        if version != VERSION {
            return Err(format!("handshake version {version}, expected {VERSION}"));
        }
        let mut pos = 0;
        let name = read_text(rest, &mut pos, crate::roster::MAX_NAME_LEN, "name")?;
        let token = read_text(rest, &mut pos, MAX_TOKEN_LEN, "token")?;
        let digests = &rest[pos..];
        if digests.len() != 16 {
            return Err(format!(
                "handshake has {} digest bytes, expected 16",
                digests.len()
            ));
        }
        let mut roster = [0u8; 8];
        let mut plan = [0u8; 8];
        roster.copy_from_slice(&digests[..8]);
        plan.copy_from_slice(&digests[8..]);
        Ok(Hello {
            name,
            token,
            roster_digest: u64::from_le_bytes(roster),
            plan_digest: u64::from_le_bytes(plan),
        })
    }
}

fn read_text(bytes: &[u8], pos: &mut usize, max: usize, what: &str) -> Result<String, String> {
    let len = read_varint(bytes, pos)?;
    if len > max as u64 || len > (bytes.len() - *pos) as u64 {
        return Err(format!("handshake {what} of {len} bytes is too long"));
    }
    let text = &bytes[*pos..*pos + len as usize];
    *pos += len as usize;
    String::from_utf8(text.to_vec()).map_err(|_| format!("handshake {what} is not UTF-8"))
}

/// Reads frames from a stream with a read timeout, keeping partial frames across timeouts.
#[derive(Debug)]
pub struct FrameReader {
    buffer: Vec<u8>,
    max: usize,
}

/// What [`FrameReader::poll`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole frame body (kind byte first).
    Body(Vec<u8>),
    /// No whole frame yet (the read timed out).
    Pending,
    /// The peer closed the connection between frames.
    Closed,
}

impl FrameReader {
    /// A reader rejecting bodies over `max` bytes.
    pub fn new(max: usize) -> Self {
        FrameReader {
            buffer: Vec::new(),
            max,
        }
    }

    /// Returns the next frame, reading at most once from `stream`.
    pub fn poll(&mut self, stream: &mut impl Read, peer: &str) -> Result<Frame, RuntimeError> {
        if let Some(body) = self.take(peer)? {
            return Ok(Frame::Body(body));
        }
        let mut chunk = [0u8; 16 * 1024];
        match stream.read(&mut chunk) {
            Ok(0) if self.buffer.is_empty() => Ok(Frame::Closed),
            Ok(0) => Err(RuntimeError::Malformed {
                peer: peer.to_string(),
                reason: format!(
                    "connection closed inside a frame ({} bytes)",
                    self.buffer.len()
                ),
            }),
            Ok(read) => {
                self.buffer.extend_from_slice(&chunk[..read]);
                Ok(match self.take(peer)? {
                    Some(body) => Frame::Body(body),
                    None => Frame::Pending,
                })
            }
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(Frame::Pending)
            }
            Err(err) => Err(RuntimeError::io(format!("cannot read from {peer}"), err)),
        }
    }

    fn take(&mut self, peer: &str) -> Result<Option<Vec<u8>>, RuntimeError> {
        if self.buffer.len() < 4 {
            return Ok(None);
        }
        let mut len = [0u8; 4];
        len.copy_from_slice(&self.buffer[..4]);
        let len = u32::from_be_bytes(len) as usize;
        if len > self.max {
            return Err(RuntimeError::FrameTooLarge {
                peer: peer.to_string(),
                len: len as u64,
                max: self.max,
            });
        }
        if len == 0 {
            return Err(RuntimeError::Malformed {
                peer: peer.to_string(),
                reason: "empty frame".into(),
            });
        }
        if self.buffer.len() < 4 + len {
            return Ok(None);
        }
        let body = self.buffer[4..4 + len].to_vec();
        self.buffer.drain(..4 + len);
        Ok(Some(body))
    }
}

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
    let node = Node::with_index_and_stamps(roster.clone(), me, config.log, config.stamps)?;
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
        timing: config.timing,
    };
    let mut session = Session::new(node, config.plan.program(me), config.timing);
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
    /// Per peer, how many connections were lost so far.
    reconnects: Vec<u32>,
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
                Ok(stream) => self.streams[to] = Some(stream),
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_round_trips_and_rejects_garbage() {
        let hello = Hello {
            name: "node1".into(),
            token: "secret".into(),
            roster_digest: 7,
            plan_digest: 9,
        };
        assert_eq!(Hello::decode(&hello.encode()), Ok(hello.clone()));
        assert!(Hello::decode(b"GET / HTTP/1.1").is_err());
        let mut long = hello.encode();
        long.push(0);
        assert!(Hello::decode(&long).is_err());
    }

    #[test]
    fn frame_reader_rejects_oversized_frames_before_reading_them() {
        let mut reader = FrameReader::new(16);
        let mut bytes: &[u8] = &[0, 0, 1, 0, b'M'];
        assert!(matches!(
            reader.poll(&mut bytes, "peer"),
            Err(RuntimeError::FrameTooLarge { len: 256, .. })
        ));
        let mut frame = Vec::new();
        write_frame(&mut frame, b'M', b"abc").unwrap();
        let mut reader = FrameReader::new(16);
        let mut input: &[u8] = &frame;
        assert_eq!(
            reader.poll(&mut input, "peer").unwrap(),
            Frame::Body(b"Mabc".to_vec())
        );
        assert_eq!(reader.poll(&mut input, "peer").unwrap(), Frame::Closed);
    }
}
