//! The demo workloads, as sans-IO state machines: each node's [`Program`] consumes inputs
//! (start, a message from a peer, idle time) and emits [`Action`]s (sends, local events).
//! No clocks, no I/O: the hosts feed them, so one program runs in every execution mode.

use std::fmt;
use std::str::FromStr;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::RuntimeError;

/// What the nodes of a demo cluster do. `messages` (below) is `--messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Workload {
    /// Pairs `(node0, node1)`, `(node2, node3)`, …: the first sends `ping r`, the second
    /// answers `pong r`, for `messages` rounds. With an odd count the last node pings node0.
    Ping,
    /// Each node sends `messages` gossip messages, each to a peer drawn from its seeded
    /// generator: one at start, one after each receive while any are left, one whenever it
    /// has been idle for the pace interval.
    #[default]
    Gossip,
    /// A token goes around `node0 → node1 → … → node0`, `messages` times.
    Ring,
    /// node0 sends `round r` to all others, each answers `reply r`; the next round starts
    /// when every reply is in; `messages` rounds.
    Broadcast,
}

impl Workload {
    /// Every workload, for help texts and tests.
    pub const ALL: [Workload; 4] = [
        Workload::Ping,
        Workload::Gossip,
        Workload::Ring,
        Workload::Broadcast,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Ping => "ping",
            Workload::Gossip => "gossip",
            Workload::Ring => "ring",
            Workload::Broadcast => "broadcast",
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = RuntimeError;
    fn from_str(s: &str) -> Result<Self, RuntimeError> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| {
                RuntimeError::config(format!(
                    "unknown workload {s:?} (expected ping, gossip, ring or broadcast)"
                ))
            })
    }
}

/// Something a program wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send `payload` to node `to` (logged as `send PAYLOAD to NAME`).
    Send {
        /// Receiver's clock index.
        to: usize,
        /// The message (ASCII text).
        payload: String,
    },
    /// A local event with this text.
    Local(String),
}

/// A whole workload for a cluster: parameters and how many messages each node will receive,
/// so that every node knows when it is done (termination is deterministic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    workload: Workload,
    nodes: usize,
    messages: u32,
    seed: u64,
    expected: Vec<u64>,
}

/// Most nodes a plan accepts.
pub(super) const MAX_NODES: usize = 100_000;
/// Most messages per node a plan accepts.
pub(super) const MAX_MESSAGES: u32 = 1_000_000;

impl Plan {
    /// Plans `workload` on `nodes` nodes (at least 2) with `messages` rounds or sends per node.
    pub fn new(
        workload: Workload,
        nodes: usize,
        messages: u32,
        seed: u64,
    ) -> Result<Self, RuntimeError> {
        if !(2..=MAX_NODES).contains(&nodes) {
            return Err(RuntimeError::config(format!(
                "a cluster needs 2 to {MAX_NODES} nodes, not {nodes}"
            )));
        }
        if messages > MAX_MESSAGES {
            return Err(RuntimeError::config(format!(
                "at most {MAX_MESSAGES} messages per node, not {messages}"
            )));
        }
        let m = u64::from(messages);
        let n = nodes as u64;
        let mut expected = vec![0u64; nodes];
        match workload {
            Workload::Ping => {
                for initiator in initiators(nodes) {
                    expected[initiator] += m;
                    expected[partner(initiator, nodes)] += m;
                }
            }
            Workload::Gossip => {
                for me in 0..nodes {
                    let mut rng = gossip_rng(seed, me);
                    for _ in 0..messages {
                        expected[gossip_target(&mut rng, me, nodes)] += 1;
                    }
                }
            }
            Workload::Ring => expected.iter_mut().for_each(|e| *e = m),
            Workload::Broadcast => {
                expected.iter_mut().for_each(|e| *e = m);
                expected[0] = m * (n - 1);
            }
        }
        Ok(Plan {
            workload,
            nodes,
            messages,
            seed,
            expected,
        })
    }

    /// The workload.
    pub fn workload(&self) -> Workload {
        self.workload
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Messages (rounds or sends) per node.
    pub fn messages(&self) -> u32 {
        self.messages
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Messages node `me` will receive in a complete run.
    pub fn expected_receives(&self, me: usize) -> u64 {
        self.expected.get(me).copied().unwrap_or(0)
    }

    /// Messages of a complete run (every send is received).
    pub fn total_messages(&self) -> u64 {
        self.expected.iter().sum()
    }

    /// A fingerprint of the parameters, exchanged in handshakes.
    pub fn digest(&self) -> u64 {
        let mut hash = crate::roster::fnv_start();
        hash = crate::roster::fnv_add(hash, self.workload.name().as_bytes());
        hash = crate::roster::fnv_add(hash, &(self.nodes as u64).to_le_bytes());
        hash = crate::roster::fnv_add(hash, &self.messages.to_le_bytes());
        crate::roster::fnv_add(hash, &self.seed.to_le_bytes())
    }

    /// The program of node `me`.
    pub fn program(&self, me: usize) -> Program {
        Program {
            workload: self.workload,
            me,
            nodes: self.nodes,
            messages: self.messages,
            expected: self.expected_receives(me),
            received: 0,
            unexpected: 0,
            gossip_left: if self.workload == Workload::Gossip {
                self.messages
            } else {
                0
            },
            gossip_sent: 0,
            rng: (self.workload == Workload::Gossip).then(|| Box::new(gossip_rng(self.seed, me))),
            replies: 0,
            round: 0,
            done: false,
            restarted: false,
        }
    }
}

impl Plan {
    /// The program of node `me` restarting after a crash, its log holding `sent` sends and
    /// `received` receives: a gossip goes on where it stopped (the same peers drawn for the
    /// sends left, numbered on); every workload counts the receives already logged towards
    /// the ones it expects. (A ring's token, a ping or a broadcast round lost with the node
    /// is not sent again: those workloads stall until the receive timeout.)
    pub fn resumed_program(&self, me: usize, sent: u64, received: u64) -> Program {
        let mut program = self.program(me);
        program.received = received;
        if let Some(rng) = program.rng.as_deref_mut() {
            let sent = sent.min(u64::from(self.messages)) as u32;
            for _ in 0..sent {
                gossip_target(rng, me, self.nodes);
            }
            program.gossip_left -= sent;
            program.gossip_sent = sent;
        }
        program.restarted = true;
        program
    }
}

fn initiators(nodes: usize) -> impl Iterator<Item = usize> {
    // Even nodes ping their right neighbour; with an odd count the last one pings node0.
    (0..nodes).step_by(2)
}

fn partner(initiator: usize, nodes: usize) -> usize {
    if initiator + 1 < nodes {
        initiator + 1
    } else {
        0
    }
}

fn gossip_rng(seed: u64, me: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (me as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn gossip_target(rng: &mut ChaCha8Rng, me: usize, nodes: usize) -> usize {
    let pick = rng.random_range(0..nodes - 1);
    if pick >= me { pick + 1 } else { pick }
}

/// One node's part of a [`Plan`]: a state machine from inputs to [`Action`]s. Serde
/// carries it (generator state included) to a node process of [`Host`](crate::Host).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Program {
    workload: Workload,
    me: usize,
    nodes: usize,
    messages: u32,
    expected: u64,
    received: u64,
    unexpected: u64,
    gossip_left: u32,
    gossip_sent: u32,
    rng: Option<Box<ChaCha8Rng>>,
    replies: u64,
    round: u32,
    done: bool,
    /// Made by [`Plan::resumed_program`]: starts with a `restart` event.
    restarted: bool,
}

impl Program {
    /// The first actions: a `start` event and the workload's opening sends (a `restart`
    /// event for a [resumed](Plan::resumed_program) program).
    pub fn start(&mut self, out: &mut Vec<Action>) {
        if self.restarted {
            // A restarted node resumes: no opening sends but gossip's next one.
            out.push(Action::Local("restart".into()));
            if self.workload == Workload::Gossip {
                self.gossip(out);
            }
            self.check_done(out);
            return;
        }
        out.push(Action::Local("start".into()));
        let m = self.messages;
        match self.workload {
            Workload::Ping if m > 0 && self.me.is_multiple_of(2) => {
                let to = partner(self.me, self.nodes);
                out.push(Action::Send {
                    to,
                    payload: "ping 1".into(),
                });
            }
            Workload::Gossip => self.gossip(out),
            Workload::Ring if m > 0 && self.me == 0 => {
                out.push(Action::Send {
                    to: 1,
                    payload: "token 1".into(),
                });
            }
            Workload::Broadcast if m > 0 && self.me == 0 => self.broadcast(1, out),
            _ => {}
        }
        self.check_done(out);
    }

    /// A message from node `from` arrived (already logged by the host).
    pub fn on_message(&mut self, from: usize, payload: &str, out: &mut Vec<Action>) {
        let (kind, round) = match payload.split_once(' ') {
            Some((kind, number)) => (kind, number.parse::<u32>().ok()),
            None => (payload, None),
        };
        let accepted = match (self.workload, kind, round) {
            (Workload::Gossip, "gossip", Some(_)) => {
                self.gossip(out);
                true
            }
            (Workload::Ping, "ping", Some(r)) => {
                out.push(Action::Send {
                    to: from,
                    payload: format!("pong {r}"),
                });
                true
            }
            (Workload::Ping, "pong", Some(r)) => {
                if r < self.messages {
                    out.push(Action::Send {
                        to: from,
                        payload: format!("ping {}", r + 1),
                    });
                }
                true
            }
            (Workload::Ring, "token", Some(r)) => {
                let next = (self.me + 1) % self.nodes;
                if self.me != 0 {
                    out.push(Action::Send {
                        to: next,
                        payload: format!("token {r}"),
                    });
                } else if r < self.messages {
                    out.push(Action::Send {
                        to: next,
                        payload: format!("token {}", r + 1),
                    });
                }
                true
            }
            (Workload::Broadcast, "round", Some(r)) if self.me != 0 => {
                out.push(Action::Send {
                    to: from,
                    payload: format!("reply {r}"),
                });
                true
            }
            (Workload::Broadcast, "reply", Some(_)) if self.me == 0 => {
                self.replies += 1;
                if self.replies == (self.nodes as u64 - 1) && self.round < self.messages {
                    self.replies = 0;
                    self.broadcast(self.round + 1, out);
                }
                true
            }
            _ => false,
        };
        if accepted {
            self.received += 1;
        } else {
            self.unexpected += 1;
        }
        self.check_done(out);
    }

    /// Nothing arrived for the pace interval while the program wanted to send.
    pub fn on_idle(&mut self, out: &mut Vec<Action>) {
        if self.workload == Workload::Gossip {
            self.gossip(out);
        }
        self.check_done(out);
    }

    /// Whether the program has sends of its own to make (then the host waits only the pace
    /// interval for messages before calling [`on_idle`](Self::on_idle)).
    pub fn wants_to_send(&self) -> bool {
        self.gossip_left > 0
    }

    /// Whether the node has sent and received everything.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Messages still expected.
    pub fn missing(&self) -> u64 {
        self.expected.saturating_sub(self.received)
    }

    /// Messages received that the workload did not expect (ignored).
    pub fn unexpected(&self) -> u64 {
        self.unexpected
    }

    fn gossip(&mut self, out: &mut Vec<Action>) {
        if self.gossip_left == 0 {
            return;
        }
        let Some(rng) = self.rng.as_deref_mut() else {
            return;
        };
        let to = gossip_target(rng, self.me, self.nodes);
        self.gossip_left -= 1;
        self.gossip_sent += 1;
        out.push(Action::Send {
            to,
            payload: format!("gossip {}", self.gossip_sent),
        });
    }

    fn broadcast(&mut self, round: u32, out: &mut Vec<Action>) {
        self.round = round;
        for to in 1..self.nodes {
            out.push(Action::Send {
                to,
                payload: format!("round {round}"),
            });
        }
    }

    fn check_done(&mut self, out: &mut Vec<Action>) {
        if !self.done && self.gossip_left == 0 && self.received >= self.expected {
            self.done = true;
            out.push(Action::Local("done".into()));
        }
    }
}

/// A demo program is an [`Actor`](crate::Actor) like any user's node code, so that
/// every host runs it, the explorer included. Its idle-time sends (gossip's pace) become
/// the timer: armed while it [`wants_to_send`](Program::wants_to_send), firing
/// [`on_idle`](Program::on_idle).
impl crate::Actor for Program {
    type Message = String;

    fn on_start(&mut self, ctx: &mut crate::Context<'_, String>) {
        let mut out = Vec::new();
        self.start(&mut out);
        self.emit(out, ctx);
    }

    fn on_message(&mut self, from: usize, message: String, ctx: &mut crate::Context<'_, String>) {
        let mut out = Vec::new();
        Program::on_message(self, from, &message, &mut out);
        self.emit(out, ctx);
    }

    fn on_timer(&mut self, ctx: &mut crate::Context<'_, String>) {
        let mut out = Vec::new();
        self.on_idle(&mut out);
        self.emit(out, ctx);
    }
}

impl Program {
    fn emit(&self, out: Vec<Action>, ctx: &mut crate::Context<'_, String>) {
        for action in out {
            match action {
                Action::Send { to, payload } => ctx.send(to, payload),
                Action::Local(text) => ctx.local(&text),
            }
        }
        if self.wants_to_send() {
            ctx.set_timer();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a plan with an ideal in-memory network (FIFO queue per node) and checks that
    /// every node finishes and every message is received.
    fn simulate(plan: &Plan) -> (u64, u64) {
        let n = plan.nodes();
        let mut programs: Vec<Program> = (0..n).map(|i| plan.program(i)).collect();
        let mut queue = std::collections::VecDeque::new();
        let (mut sent, mut received) = (0, 0);
        let mut out = Vec::new();
        for (i, p) in programs.iter_mut().enumerate() {
            p.start(&mut out);
            for a in out.drain(..) {
                if let Action::Send { to, payload } = a {
                    sent += 1;
                    queue.push_back((i, to, payload));
                }
            }
        }
        loop {
            if let Some((from, to, payload)) = queue.pop_front() {
                received += 1;
                programs[to].on_message(from, &payload, &mut out);
                for a in out.drain(..) {
                    if let Action::Send { to: t, payload } = a {
                        sent += 1;
                        queue.push_back((to, t, payload));
                    }
                }
                continue;
            }
            let Some(i) = programs.iter().position(|p| p.wants_to_send()) else {
                break;
            };
            programs[i].on_idle(&mut out);
            for a in out.drain(..) {
                if let Action::Send { to, payload } = a {
                    sent += 1;
                    queue.push_back((i, to, payload));
                }
            }
        }
        assert!(programs.iter().all(Program::is_done), "{plan:?}");
        (sent, received)
    }

    #[test]
    fn every_workload_terminates_with_the_planned_messages() {
        for workload in Workload::ALL {
            for nodes in [2, 3, 4, 7] {
                let plan = Plan::new(workload, nodes, 3, 42).unwrap();
                let (sent, received) = simulate(&plan);
                assert_eq!(sent, received);
                assert_eq!(received, plan.total_messages(), "{workload} on {nodes}");
            }
        }
    }

    /// The sends of a program fed `start` then only idle time.
    fn idle_sends(mut program: Program) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        program.start(&mut out);
        while program.wants_to_send() {
            program.on_idle(&mut out);
        }
        out.into_iter()
            .filter_map(|action| match action {
                Action::Send { to, payload } => Some((to, payload)),
                Action::Local(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_resumed_gossip_goes_on_where_it_stopped() {
        let plan = Plan::new(Workload::Gossip, 5, 40, 9).unwrap();
        let whole = idle_sends(plan.program(2));
        assert_eq!(whole.len(), 40);
        for sent in [0, 1, 17, 39, 40] {
            let rest = idle_sends(plan.resumed_program(2, sent, 0));
            assert_eq!(rest, whole[sent as usize..], "after {sent}");
        }
        // Receives logged before the crash count towards the expected ones.
        let expected = plan.expected_receives(2);
        let mut program = plan.resumed_program(2, 40, expected);
        let mut out = Vec::new();
        program.start(&mut out);
        assert_eq!(
            out,
            [
                Action::Local("restart".into()),
                Action::Local("done".into())
            ]
        );
        assert!(program.is_done());
    }

    #[test]
    fn rejects_tiny_clusters_and_unknown_workloads() {
        assert!(Plan::new(Workload::Ring, 1, 3, 0).is_err());
        assert!("chat".parse::<Workload>().is_err());
        assert_eq!("ring".parse::<Workload>().unwrap(), Workload::Ring);
    }
}
