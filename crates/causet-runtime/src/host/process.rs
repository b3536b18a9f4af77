//! Process mode: every node an OS process, messages over loopback TCP.
//!
//! [`host_processes`] (the launcher) re-executes the running binary
//! ([`std::env::current_exe`]) once per node, with three environment variables: which
//! nodes (`CAUSET_NODE_PROCESS`, the name given to the launcher), which one of them
//! (`CAUSET_NODE_INDEX`) and where the launcher listens for its control connection
//! (`CAUSET_NODE_CONTROL`). The run's random token goes on the child's standard input, not
//! on the command line or in the environment. In the child, [`serve_node_process`] (called
//! first thing in `main`) sees the variables, becomes that node, and exits when done; in
//! any other process it returns at once.
//!
//! # Control (one JSON object per line, over TCP to the launcher)
//!
//! The node binds a data listener on `127.0.0.1:0`, connects to the launcher and says
//! `hello` (index, token, data address). The launcher, once every node said hello, sends
//! each its `start`: the nodes' names, every node's data address, and the node's actor as
//! JSON. Nodes then talk directly: a node connects to a peer at its first send to it,
//! presents the run's token in a [`crate::frame`] hello, and sends message frames (varint
//! stamp length, the stamp, the message as JSON). Each connection carries one sender's
//! messages to one receiver, in order.
//!
//! # Termination: counting waves
//!
//! Each node counts the messages it sent (counted before they go out; arming a timer
//! counts as a message to itself) and the inputs it handled (messages and timer firings).
//! The launcher sends `wave` to every node; a node answers with its two counts between two
//! handlers, when it is idle. With `R` the handled total of one wave and `S` the sent total
//! of the next (started after the first one's answers are in), `R = S` means the run was
//! over when the first wave ended (Mattern's four-counter method): every message sent by
//! then was handled (handled ≤ sent at any instant, sent only grows), and no node handled
//! anything after answering, so none was busy. The launcher then sends `finish`, and each
//! node answers `done` with its final actor (JSON) and its log, and exits.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Envelope, Hosted, Hosting, IDLE};
use crate::frame::{DEFAULT_MAX_FRAME, Frame, FrameReader, HELLO, Hello, MESSAGE, write_frame};
use crate::roster::{fnv_add, fnv_start};
use crate::varint::{read_varint, write_varint};
use crate::{Actor, Roster, RuntimeError};

/// Most nodes [`host_processes`] starts.
pub const MAX_NODE_PROCESSES: usize = 256;

const NAME_VAR: &str = "CAUSET_NODE_PROCESS";
const INDEX_VAR: &str = "CAUSET_NODE_INDEX";
const CONTROL_VAR: &str = "CAUSET_NODE_CONTROL";
/// How long the nodes have to start and say hello.
const STARTUP: Duration = Duration::from_secs(30);
/// How long a connection to the launcher has to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between two termination waves.
const WAVE_PAUSE: Duration = Duration::from_millis(1);

/// What the launcher needs to start node processes.
#[derive(Debug, Clone)]
pub(crate) struct ProcessOptions {
    /// What the binary's [`serve_node_process`] call knows the nodes by.
    pub(crate) name: String,
    /// The arguments of each node process.
    pub(crate) args: Vec<String>,
}

impl ProcessOptions {
    pub(crate) fn new(name: &str) -> Self {
        ProcessOptions {
            name: name.to_string(),
            args: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "say", rename_all = "snake_case")]
enum ToLauncher {
    Hello {
        index: usize,
        token: String,
        listening: SocketAddr,
    },
    Counts {
        sent: u64,
        handled: u64,
    },
    Done {
        actor: serde_json::Value,
        log: String,
    },
    Failed {
        reason: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "say", rename_all = "snake_case")]
enum ToNode {
    Start {
        names: Vec<String>,
        peers: Vec<SocketAddr>,
        actor: serde_json::Value,
    },
    Wave,
    Finish,
}

fn send_line<T: Serialize>(stream: &mut impl Write, value: &T) -> Result<(), RuntimeError> {
    let mut line = serde_json::to_vec(value).map_err(|err| RuntimeError::Host {
        reason: format!("cannot encode a control line: {err}"),
    })?;
    line.push(b'\n');
    stream
        .write_all(&line)
        .and_then(|()| stream.flush())
        .map_err(|err| RuntimeError::io("cannot write on the control connection", err))
}

/// The next control line, `None` at the end of the connection.
fn read_line<T: DeserializeOwned>(reader: &mut impl BufRead) -> Result<Option<T>, RuntimeError> {
    let mut line = String::new();
    let read = reader
        .read_line(&mut line)
        .map_err(|err| RuntimeError::io("cannot read the control connection", err))?;
    if read == 0 {
        return Ok(None);
    }
    serde_json::from_str(&line)
        .map(Some)
        .map_err(|err| RuntimeError::Host {
            reason: format!("bad control line {:?}: {err}", line.trim_end()),
        })
}

fn json_error(what: &str, err: serde_json::Error) -> RuntimeError {
    RuntimeError::Host {
        reason: format!("{what}: {err}"),
    }
}

/// What identifies the nodes' program in a data connection's hello (the `plan` digest).
fn program_digest(name: &str) -> u64 {
    fnv_add(
        fnv_add(fnv_start(), b"causet actor nodes "),
        name.as_bytes(),
    )
}

/// Runs `actors` (node `i` is `roster`'s node `i`) as OS processes, each a re-execution of
/// this binary, until nothing is left to do; returns each node's final state and log.
///
/// The binary must call [`serve_node_process::<A>(name)`](serve_node_process) with the
/// same `name` before anything else in `main`: that call is where a node process becomes
/// its node. The node processes get no arguments ([`Host::node_args`](super::Host::node_args)
/// gives some, e.g. to run a single test of a test binary); their standard output is
/// discarded and their standard error is this process's. A node's actor and messages
/// travel as JSON. At most [`MAX_NODE_PROCESSES`] nodes.
pub fn host_processes<A>(
    name: &str,
    actors: Vec<A>,
    roster: Arc<Roster>,
) -> Result<Vec<Hosted<A>>, RuntimeError>
where
    A: Actor + Serialize + DeserializeOwned,
    A::Message: Send + Serialize + DeserializeOwned + 'static,
{
    run(&ProcessOptions::new(name), actors, roster)
}

/// The node processes, killed if the launcher gives up.
struct Children(Vec<Child>);

impl Children {
    /// The first node process that has exited, and how.
    fn exited(&mut self) -> Option<(usize, String)> {
        self.0.iter_mut().enumerate().find_map(|(index, child)| {
            child
                .try_wait()
                .ok()
                .flatten()
                .map(|status| (index, status.to_string()))
        })
    }

    fn status(&mut self, index: usize) -> String {
        let child = &mut self.0[index];
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.to_string();
            }
            thread::sleep(Duration::from_millis(10));
        }
        "still running".to_string()
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

struct Control {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

pub(crate) fn run<A>(
    options: &ProcessOptions,
    actors: Vec<A>,
    roster: Arc<Roster>,
) -> Result<Vec<Hosted<A>>, RuntimeError>
where
    A: Actor + Serialize + DeserializeOwned,
    A::Message: Send + Serialize + DeserializeOwned + 'static,
{
    let n = actors.len();
    if n != roster.len() {
        return Err(RuntimeError::config(format!(
            "{n} actors for a roster of {} nodes",
            roster.len()
        )));
    }
    if n > MAX_NODE_PROCESSES {
        return Err(RuntimeError::config(format!(
            "process mode starts at most {MAX_NODE_PROCESSES} processes, not {n}"
        )));
    }
    if let Ok(serving) = std::env::var(NAME_VAR) {
        return Err(RuntimeError::config(format!(
            "this process was started as a node process ({NAME_VAR}={serving}) but nothing \
             served it: call serve_node_process::<A>({serving:?}) first thing in main"
        )));
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    let program: PathBuf = std::env::current_exe()
        .map_err(|err| RuntimeError::io("cannot find the running binary", err))?;
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|err| RuntimeError::io("cannot listen on 127.0.0.1", err))?;
    let address = listener
        .local_addr()
        .map_err(|err| RuntimeError::io("cannot read the listening address", err))?;
    let token = format!("{:032x}", rand::rng().random::<u128>());
    let mut children = Children(Vec::with_capacity(n));
    for index in 0..n {
        let mut child = Command::new(&program)
            .args(&options.args)
            .env(NAME_VAR, &options.name)
            .env(INDEX_VAR, index.to_string())
            .env(CONTROL_VAR, address.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|err| RuntimeError::io(format!("cannot start {}", program.display()), err))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A child that died already shows up below.
            let _ = writeln!(stdin, "{token}");
        }
        children.0.push(child);
    }

    // Every node says hello on its control connection.
    listener
        .set_nonblocking(true)
        .map_err(|err| RuntimeError::io("cannot configure the listener", err))?;
    let deadline = Instant::now() + STARTUP;
    let mut controls: Vec<Option<Control>> = (0..n).map(|_| None).collect();
    let mut listening: Vec<Option<SocketAddr>> = vec![None; n];
    while controls.iter().any(Option::is_none) {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some((index, data, control)) = greet(stream, &token, n)
                    && controls[index].is_none()
                {
                    controls[index] = Some(control);
                    listening[index] = Some(data);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                if let Some((index, status)) = children.exited() {
                    return Err(RuntimeError::Host {
                        reason: format!(
                            "node process {index} ({}) exited before it said hello ({status}): \
                             does the binary call serve_node_process({:?}) first thing in \
                             main (in a test binary: first thing in the test, run by the \
                             node arguments)?",
                            program.display(),
                            options.name
                        ),
                    });
                }
                if Instant::now() > deadline {
                    return Err(RuntimeError::Host {
                        reason: format!("the node processes did not say hello in {STARTUP:?}"),
                    });
                }
                thread::sleep(Duration::from_millis(2));
            }
            Err(err) => return Err(RuntimeError::io("cannot accept a node process", err)),
        }
    }
    let mut controls: Vec<Control> = controls.into_iter().flatten().collect();
    let peers: Vec<SocketAddr> = listening.into_iter().flatten().collect();

    for (control, actor) in controls.iter_mut().zip(&actors) {
        let actor =
            serde_json::to_value(actor).map_err(|err| json_error("cannot encode an actor", err))?;
        send_line(
            &mut control.writer,
            &ToNode::Start {
                names: roster.names().to_vec(),
                peers: peers.clone(),
                actor,
            },
        )?;
    }
    drop(actors);

    // Waves until the handled total of one is the sent total of the next.
    let mut handled_before: Option<u64> = None;
    loop {
        for control in &mut controls {
            send_line(&mut control.writer, &ToNode::Wave)?;
        }
        let (mut sent, mut handled) = (0u64, 0u64);
        for (index, control) in controls.iter_mut().enumerate() {
            match read_line::<ToLauncher>(&mut control.reader)? {
                Some(ToLauncher::Counts {
                    sent: s,
                    handled: h,
                }) => {
                    sent += s;
                    handled += h;
                }
                other => return Err(node_gone(&mut children, &roster, index, other)),
            }
        }
        if handled_before == Some(sent) {
            break;
        }
        handled_before = Some(handled);
        thread::sleep(WAVE_PAUSE);
    }

    for control in &mut controls {
        send_line(&mut control.writer, &ToNode::Finish)?;
    }
    let mut hosted = Vec::with_capacity(n);
    for (index, control) in controls.iter_mut().enumerate() {
        match read_line::<ToLauncher>(&mut control.reader)? {
            Some(ToLauncher::Done { actor, log }) => hosted.push(Hosted {
                actor: serde_json::from_value(actor)
                    .map_err(|err| json_error("cannot decode a node's final actor", err))?,
                log: log.into_bytes(),
            }),
            other => return Err(node_gone(&mut children, &roster, index, other)),
        }
    }
    for child in &mut children.0 {
        let _ = child.wait();
    }
    Ok(hosted)
}

/// A node's hello on a new control connection: its index, its data address, the
/// connection. `None` for a connection that is not one of this run's nodes.
fn greet(stream: TcpStream, token: &str, n: usize) -> Option<(usize, SocketAddr, Control)> {
    stream.set_nonblocking(false).ok()?;
    stream.set_nodelay(true).ok()?;
    stream.set_read_timeout(Some(HELLO_TIMEOUT)).ok()?;
    let writer = stream.try_clone().ok()?;
    let mut reader = BufReader::new(stream);
    match read_line::<ToLauncher>(&mut reader).ok()?? {
        ToLauncher::Hello {
            index,
            token: said,
            listening,
        } if said == token && index < n => {
            reader.get_ref().set_read_timeout(None).ok()?;
            Some((index, listening, Control { reader, writer }))
        }
        _ => None,
    }
}

/// The error for a node that answered `said` instead of what the launcher asked for.
fn node_gone(
    children: &mut Children,
    roster: &Roster,
    index: usize,
    said: Option<ToLauncher>,
) -> RuntimeError {
    let name = roster.name(index).unwrap_or("?");
    let reason = match said {
        Some(ToLauncher::Failed { reason }) => format!("node {name} failed: {reason}"),
        None => format!("node {name}'s process ended ({})", children.status(index)),
        Some(other) => format!("node {name} said {other:?} out of turn"),
    };
    RuntimeError::Host { reason }
}

/// Makes this process the node it was started as, if [`host_processes`] (or a
/// [`Host`](super::Host) in process mode) started it for nodes called `name`: runs the
/// node to the end and exits the process. Anywhere else it returns at once, so call it
/// first thing in `main`, once per kind of nodes the binary hosts.
pub fn serve_node_process<A>(name: &str)
where
    A: Actor + Serialize + DeserializeOwned,
    A::Message: Send + Serialize + DeserializeOwned + 'static,
{
    if std::env::var(NAME_VAR).ok().as_deref() != Some(name) {
        return;
    }
    let code = match serve::<A>(name) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("causet node process {name}: {err}");
            1
        }
    };
    std::process::exit(code);
}

fn env_var<T: std::str::FromStr>(name: &str) -> Result<T, RuntimeError> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| RuntimeError::config(format!("{name} is missing or bad")))
}

/// One node process: hello, start, run, done.
fn serve<A>(name: &str) -> Result<(), RuntimeError>
where
    A: Actor + Serialize + DeserializeOwned,
    A::Message: Send + Serialize + DeserializeOwned + 'static,
{
    crate::orphan::die_with_launcher();
    let index: usize = env_var(INDEX_VAR)?;
    let launcher: SocketAddr = env_var(CONTROL_VAR)?;
    let mut token = String::new();
    io::stdin()
        .read_line(&mut token)
        .map_err(|err| RuntimeError::io("cannot read the token", err))?;
    let token = token.trim().to_string();
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|err| RuntimeError::io("cannot listen on 127.0.0.1", err))?;
    let listening = listener
        .local_addr()
        .map_err(|err| RuntimeError::io("cannot read the listening address", err))?;
    let control = TcpStream::connect(launcher)
        .map_err(|err| RuntimeError::io("cannot reach the launcher", err))?;
    control
        .set_nodelay(true)
        .map_err(|err| RuntimeError::io("cannot configure the control connection", err))?;
    let mut writer = control
        .try_clone()
        .map_err(|err| RuntimeError::io("cannot configure the control connection", err))?;
    let mut reader = BufReader::new(control);
    send_line(
        &mut writer,
        &ToLauncher::Hello {
            index,
            token: token.clone(),
            listening,
        },
    )?;
    let Some(ToNode::Start {
        names,
        peers,
        actor,
    }) = read_line::<ToNode>(&mut reader)?
    else {
        return Err(RuntimeError::config("the launcher did not start the node"));
    };
    let node = NodeProcess {
        me: index,
        token,
        digest: program_digest(name),
        peers,
    };
    match node.run::<A>(names, actor, listener, reader, &mut writer) {
        Ok((actor, log)) => send_line(&mut writer, &ToLauncher::Done { actor, log }),
        Err(err) => {
            let _ = send_line(
                &mut writer,
                &ToLauncher::Failed {
                    reason: err.to_string(),
                },
            );
            Err(err)
        }
    }
}

enum Input<M> {
    Message(Envelope<M>),
    Wave,
    Finish,
    Failed(String),
}

struct NodeProcess {
    me: usize,
    token: String,
    digest: u64,
    peers: Vec<SocketAddr>,
}

impl NodeProcess {
    /// Runs the node until the launcher says `finish`: its final actor and its log.
    fn run<A>(
        &self,
        names: Vec<String>,
        actor: serde_json::Value,
        listener: TcpListener,
        mut control: BufReader<TcpStream>,
        writer: &mut TcpStream,
    ) -> Result<(serde_json::Value, String), RuntimeError>
    where
        A: Actor + Serialize + DeserializeOwned,
        A::Message: Send + Serialize + DeserializeOwned + 'static,
    {
        let roster = Arc::new(Roster::new(names)?);
        let n = roster.len();
        if self.me >= n || self.peers.len() != n {
            return Err(RuntimeError::config("the launcher's start does not fit"));
        }
        let actor: A = serde_json::from_value(actor)
            .map_err(|err| json_error("cannot decode the actor", err))?;
        let (inputs, receiver) = mpsc::channel::<Input<A::Message>>();
        {
            let inputs = inputs.clone();
            thread::spawn(move || {
                loop {
                    let input = match read_line::<ToNode>(&mut control) {
                        Ok(Some(ToNode::Wave)) => Input::Wave,
                        // The launcher gone is a finish too.
                        Ok(Some(ToNode::Finish) | None) | Err(_) => Input::Finish,
                        Ok(Some(ToNode::Start { .. })) => {
                            Input::Failed("the launcher started the node twice".into())
                        }
                    };
                    let last = !matches!(input, Input::Wave);
                    if inputs.send(input).is_err() || last {
                        return;
                    }
                }
            });
        }
        {
            let roster = roster.clone();
            let (token, digest, me) = (self.token.clone(), self.digest, self.me);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let (roster, token, inputs) = (roster.clone(), token.clone(), inputs.clone());
                    thread::spawn(move || {
                        read_connection(stream, &roster, &token, digest, me, &inputs);
                    });
                }
            });
        }

        let outstanding = AtomicU64::new(0); // counted by waves here
        let mut hosting = Hosting::new(self.me, n, actor, roster.clone(), &outstanding)?;
        let hello = Hello {
            name: roster.name(self.me).unwrap_or_default().to_string(),
            token: self.token.clone(),
            roster_digest: roster.digest(),
            plan_digest: self.digest,
        }
        .encode();
        let mut links: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
        let failure: RefCell<Option<RuntimeError>> = RefCell::new(None);
        let mut deliver = |to: usize, envelope: Envelope<A::Message>| match self
            .send(&mut links, &hello, to, &envelope)
        {
            Ok(()) => true,
            Err(err) => {
                failure.borrow_mut().get_or_insert(err);
                false
            }
        };
        let failed = |failure: &RefCell<Option<RuntimeError>>| match failure.borrow_mut().take() {
            Some(err) => Err(err),
            None => Ok(()),
        };

        hosting.start(&mut deliver)?;
        failed(&failure)?;
        // A timer fires once no message has come for `IDLE`.
        let mut quiet = Instant::now();
        loop {
            let wait = if hosting.timer {
                IDLE.saturating_sub(quiet.elapsed())
            } else {
                Duration::from_secs(3600)
            };
            match receiver.recv_timeout(wait) {
                Ok(Input::Message(envelope)) => {
                    hosting.receive(envelope, &mut deliver)?;
                    failed(&failure)?;
                    quiet = Instant::now();
                }
                Ok(Input::Wave) => send_line(
                    writer,
                    &ToLauncher::Counts {
                        sent: hosting.sent,
                        handled: hosting.handled,
                    },
                )?,
                Ok(Input::Finish) => break,
                Ok(Input::Failed(reason)) => return Err(RuntimeError::Host { reason }),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if hosting.timer && quiet.elapsed() >= IDLE {
                hosting.fire_timer(&mut deliver)?;
                failed(&failure)?;
                quiet = Instant::now();
            }
        }
        let hosted = hosting.finish();
        let actor = serde_json::to_value(&hosted.actor)
            .map_err(|err| json_error("cannot encode the final actor", err))?;
        let log = String::from_utf8(hosted.log).map_err(|_| RuntimeError::Host {
            reason: "the node's log is not UTF-8".into(),
        })?;
        Ok((actor, log))
    }

    /// Puts a message on the connection to `to`, opening it at the first send.
    fn send<M: Serialize>(
        &self,
        links: &mut [Option<TcpStream>],
        hello: &[u8],
        to: usize,
        envelope: &Envelope<M>,
    ) -> Result<(), RuntimeError> {
        let peer = self.peers[to];
        let link = match &mut links[to] {
            Some(link) => link,
            slot => {
                let mut stream = TcpStream::connect(peer)
                    .map_err(|err| RuntimeError::io(format!("cannot connect to {peer}"), err))?;
                stream
                    .set_nodelay(true)
                    .and_then(|()| write_frame(&mut stream, HELLO, hello))
                    .map_err(|err| RuntimeError::io(format!("cannot greet {peer}"), err))?;
                slot.insert(stream)
            }
        };
        let mut body = Vec::with_capacity(envelope.stamp.len() + 64);
        write_varint(&mut body, envelope.stamp.len() as u64);
        body.extend_from_slice(&envelope.stamp);
        serde_json::to_writer(&mut body, &envelope.message)
            .map_err(|err| json_error("cannot encode a message", err))?;
        write_frame(link, MESSAGE, &body)
            .map_err(|err| RuntimeError::io(format!("cannot send to {peer}"), err))
    }
}

/// Reads one incoming data connection: a hello from a node of this run, then its
/// messages, each put on `inputs`. A connection that is not from this run is dropped; a
/// bad message from a node of the run fails the node.
fn read_connection<M: DeserializeOwned>(
    mut stream: TcpStream,
    roster: &Roster,
    token: &str,
    digest: u64,
    me: usize,
    inputs: &mpsc::Sender<Input<M>>,
) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let mut frames = FrameReader::new(DEFAULT_MAX_FRAME);
    let from = match next_frame(&mut frames, &mut stream, &peer) {
        Ok(Some(body)) if body.first() == Some(&HELLO) => match Hello::decode(&body[1..]) {
            Ok(hello)
                if hello.token == token
                    && hello.roster_digest == roster.digest()
                    && hello.plan_digest == digest =>
            {
                roster.index(&hello.name).filter(|&from| from != me)
            }
            _ => None,
        },
        _ => None,
    };
    let Some(from) = from else { return };
    loop {
        let envelope = match next_frame(&mut frames, &mut stream, &peer) {
            Ok(None) => return,
            Ok(Some(body)) => decode_message(&body, from),
            Err(err) => Err(err.to_string()),
        };
        let input = match envelope {
            Ok(envelope) => Input::Message(envelope),
            Err(reason) => Input::Failed(format!(
                "bad message from {}: {reason}",
                roster.name(from).unwrap_or("?")
            )),
        };
        let last = matches!(input, Input::Failed(_));
        if inputs.send(input).is_err() || last {
            return;
        }
    }
}

fn decode_message<M: DeserializeOwned>(body: &[u8], from: usize) -> Result<Envelope<M>, String> {
    let rest = match body.split_first() {
        Some((&MESSAGE, rest)) => rest,
        _ => return Err("not a message frame".into()),
    };
    let mut pos = 0;
    let len = read_varint(rest, &mut pos)?;
    if len > (rest.len() - pos) as u64 {
        return Err("the stamp runs past the frame".into());
    }
    let stamp = rest[pos..pos + len as usize].to_vec();
    let message = serde_json::from_slice(&rest[pos + len as usize..])
        .map_err(|err| format!("cannot decode the message: {err}"))?;
    Ok(Envelope {
        from,
        stamp,
        message,
    })
}

/// The next whole frame, `None` when the peer closed the connection.
fn next_frame(
    frames: &mut FrameReader,
    stream: &mut impl Read,
    peer: &str,
) -> Result<Option<Vec<u8>>, RuntimeError> {
    loop {
        match frames.poll(stream, peer)? {
            Frame::Body(body) => return Ok(Some(body)),
            Frame::Closed => return Ok(None),
            Frame::Pending => {}
        }
    }
}
