//! One node's event loop, shared by every host: a [`Session`] feeds a [`Program`] and
//! carries out its actions on a [`Node`]; the hosts only move bytes and wait.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::workload::{Action, Program};
use crate::RuntimeError;
use crate::node::{Node, NodeStats, Priority};

/// Timeouts and pacing of a node's event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long a node with sends of its own waits for a message before sending anyway.
    pub pace: Duration,
    /// How long a node waits without any message before giving up on the ones it expects.
    pub receive_timeout: Duration,
    /// How long a TCP node keeps retrying to connect to a peer.
    pub connect_timeout: Duration,
    /// How long an incoming TCP connection may take to complete its handshake.
    pub handshake_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            pace: Duration::from_millis(5),
            receive_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(1),
        }
    }
}

/// How a node's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NodeStatus {
    /// Sent and received everything its workload plans.
    Finished,
    /// Gave up waiting (receive timeout, or every peer gone) with messages missing.
    Incomplete,
    /// Killed from outside (process mode, `--kill`).
    Killed,
    /// The node process ended without a report (crashed, or failed to start).
    Crashed,
}

/// What one node did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeReport {
    /// The node's name.
    pub name: String,
    /// How it ended.
    pub status: NodeStatus,
    /// Events logged.
    pub events: u64,
    /// Messages sent.
    pub sent: u64,
    /// Messages received.
    pub received: u64,
    /// Messages still expected when it stopped.
    pub missing: u64,
    /// Sends the transport could not deliver (peer gone).
    pub send_failures: u64,
    /// Stamp bytes put on the wire.
    pub stamp_bytes: u64,
    /// Stamp bytes full stamps would have taken.
    pub full_stamp_bytes: u64,
    /// Problems met and survived: rejected connections, malformed messages, failed sends.
    pub problems: Vec<String>,
    /// Process mode: times the node was killed and started again (`--kill ...+restart`);
    /// its events and sends are then counted in its log, every incarnation's.
    #[serde(default)]
    pub restarts: u32,
}

impl NodeReport {
    /// A report for a node that never reported (killed or crashed).
    pub fn absent(name: &str, status: NodeStatus) -> Self {
        NodeReport {
            name: name.to_string(),
            status,
            events: 0,
            sent: 0,
            received: 0,
            missing: 0,
            send_failures: 0,
            stamp_bytes: 0,
            full_stamp_bytes: 0,
            problems: Vec::new(),
            restarts: 0,
        }
    }
}

/// Most problems a report keeps (a flood of garbage must not grow memory without bound).
const MAX_PROBLEMS: usize = 32;

/// Where sends go.
pub(crate) trait Outbox {
    /// Whether messages to each peer arrive in order (then stamps are differential).
    fn is_fifo(&self) -> bool;
    /// Sends `bytes` to node `to`; an `Err` names why it could not.
    fn send(&mut self, to: usize, bytes: Vec<u8>) -> Result<(), String>;
}

/// What a host's wait for input produced.
#[derive(Debug)]
pub(crate) enum Input {
    /// A message.
    Message(Vec<u8>),
    /// A problem the transport survived (e.g. a rejected connection).
    Problem(String),
    /// Nothing within the wait.
    Timeout,
    /// No message can arrive any more.
    Closed,
}

/// One node's event loop state.
pub(crate) struct Session {
    pub(crate) node: Node,
    program: Program,
    timing: Timing,
    actions: Vec<Action>,
    last_progress: Instant,
    status: Option<NodeStatus>,
    send_failures: u64,
    problems: Vec<String>,
}

impl Session {
    pub(crate) fn new(node: Node, program: Program, timing: Timing) -> Self {
        Session {
            node,
            program,
            timing,
            actions: Vec::new(),
            last_progress: Instant::now(),
            status: None,
            send_failures: 0,
            problems: Vec::new(),
        }
    }

    /// Starts the program and carries out its first actions.
    pub(crate) fn start(&mut self, outbox: &mut impl Outbox) -> Result<(), RuntimeError> {
        self.last_progress = Instant::now();
        self.program.start(&mut self.actions);
        self.perform(outbox)
    }

    /// How long to wait for the next input, or `None` when the node has finished.
    pub(crate) fn next_wait(&mut self) -> Option<Duration> {
        if self.program.is_done() && self.status.is_none() {
            self.status = Some(NodeStatus::Finished);
        }
        if self.status.is_some() {
            return None;
        }
        if self.program.wants_to_send() {
            return Some(self.timing.pace);
        }
        Some(
            self.timing
                .receive_timeout
                .saturating_sub(self.last_progress.elapsed()),
        )
    }

    /// Handles one input.
    pub(crate) fn handle(
        &mut self,
        input: Input,
        outbox: &mut impl Outbox,
    ) -> Result<(), RuntimeError> {
        match input {
            Input::Message(bytes) => {
                self.last_progress = Instant::now();
                // The steady state of a small cluster's differential stamps: checked and
                // merged in one call; any other message takes the general path below.
                let fast = self.node.receive_fast(&bytes, |sender, payload| {
                    format!("receive {} from {sender}", String::from_utf8_lossy(payload))
                });
                if let Some(received) = fast {
                    let (from, payload) = received?;
                    let payload = String::from_utf8_lossy(payload);
                    self.program.on_message(from, &payload, &mut self.actions);
                    return self.perform(outbox);
                }
                match self.node.decode(&bytes) {
                    Ok(incoming) => {
                        let from = incoming.from;
                        // Borrows the message's bytes when they are UTF-8 (they are, from
                        // this runtime's workloads).
                        let payload = String::from_utf8_lossy(incoming.payload);
                        // The event's text only when it is written: formatting it for a
                        // discarded log would be logging work in a run without a log.
                        let text = if self.node.logs_at(Priority::Info) {
                            let sender = self.node.roster().name(from).unwrap_or("?");
                            format!("receive {payload} from {sender}")
                        } else {
                            String::new()
                        };
                        self.node.deliver(incoming, &text)?;
                        self.program.on_message(from, &payload, &mut self.actions);
                    }
                    Err(err) => self.problem(err.to_string()),
                }
            }
            Input::Problem(problem) => self.problem(problem),
            Input::Timeout => {
                if self.program.wants_to_send() {
                    self.program.on_idle(&mut self.actions);
                } else if self.last_progress.elapsed() >= self.timing.receive_timeout {
                    self.give_up("no message")?;
                }
            }
            Input::Closed => {
                if self.program.wants_to_send() {
                    self.program.on_idle(&mut self.actions);
                } else {
                    self.give_up("every peer gone")?;
                }
            }
        }
        self.perform(outbox)
    }

    fn give_up(&mut self, why: &str) -> Result<(), RuntimeError> {
        let missing = self.program.missing();
        let waited = self.timing.receive_timeout.as_millis();
        self.node.log_local_at(
            Priority::Warning,
            &format!("gave up waiting for {missing} messages ({why} for {waited} ms)"),
        )?;
        self.status = Some(NodeStatus::Incomplete);
        Ok(())
    }

    fn problem(&mut self, problem: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        }
    }

    fn perform(&mut self, outbox: &mut impl Outbox) -> Result<(), RuntimeError> {
        let fifo = outbox.is_fifo();
        for action in std::mem::take(&mut self.actions) {
            match action {
                Action::Local(text) => self.node.log_local(&text)?,
                Action::Send { to, payload } => {
                    // (As for a receive: no text for a log that would throw it away.)
                    let text = if self.node.logs_at(Priority::Info) {
                        let receiver = self.node.roster().name(to).unwrap_or("?");
                        format!("send {payload} to {receiver}")
                    } else {
                        String::new()
                    };
                    let bytes = if fifo {
                        self.node.prepare_send_fifo(to, &text, payload.as_bytes())?
                    } else {
                        self.node.prepare_send(&text, payload.as_bytes())?
                    };
                    if let Err(why) = outbox.send(to, bytes) {
                        // This message, and maybe earlier ones still in flight, are lost:
                        // the next stamp to `to` restarts the chain with the whole clock.
                        self.node.resync(to);
                        self.send_failures += 1;
                        let receiver = self.node.roster().name(to).unwrap_or("?");
                        self.problem(format!("send {payload} to {receiver} failed: {why}"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Flushes the log and reports.
    pub(crate) fn finish(mut self) -> Result<(NodeReport, Node), RuntimeError> {
        self.node.flush()?;
        let stats: NodeStats = self.node.stats();
        if self.program.unexpected() > 0 {
            self.problem(format!(
                "{} messages the workload did not expect",
                self.program.unexpected()
            ));
        }
        let report = NodeReport {
            name: self.node.name().to_string(),
            status: self.status.unwrap_or(NodeStatus::Incomplete),
            events: stats.logged,
            sent: stats.sent,
            received: stats.received,
            missing: self.program.missing(),
            send_failures: self.send_failures,
            stamp_bytes: stats.stamp_bytes,
            full_stamp_bytes: stats.full_stamp_bytes,
            problems: self.problems,
            restarts: 0,
        };
        Ok((report, self.node))
    }
}
