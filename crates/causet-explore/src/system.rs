//! The deterministic scheduler: all nodes in one thread, the messages in flight, and one
//! step = one delivery (a message or a timer firing) chosen by the caller.
//!
//! Besides the nodes' states it keeps what the searches need to know about the execution
//! so far: for each step, which message it delivered to which node, the step that sent
//! that message, and the step's vector clock counting deliveries (entry `k` of step `s` is
//! how many deliveries at node `k` happen before or at `s`). Two deliveries to one node
//! can swap exactly when the later message's send clock has not seen the earlier delivery.

use std::io::Write;
use std::sync::{Arc, Mutex};

use causet_runtime::{Actor, Context, Effect, LogSink, Node, Roster, Stamps};

use crate::{ExploreError, MessageId};

/// A message (or timer) in flight.
#[derive(Debug)]
pub(crate) struct InFlight<M> {
    pub(crate) id: MessageId,
    pub(crate) to: u32,
    /// `None` for a timer.
    payload: Option<M>,
    /// 1 + the step that sent it; 0 when sent by a start.
    pub(crate) sent_in: u32,
    /// The stamped bytes, when logging.
    stamp: Vec<u8>,
}

/// One delivery of an execution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub(crate) id: MessageId,
    pub(crate) to: u32,
    /// 1 + the previous step at the same node; 0 if this is its first delivery.
    pub(crate) prev_at_node: u32,
    /// This delivery's number at its node, from 1.
    pub(crate) index_at_node: u32,
    /// 1 + the step that sent the message; 0 when sent by a start.
    pub(crate) sent_in: u32,
}

/// The counterexample log being written: one runtime [`Node`] per node, all writing to
/// one buffer in execution order (an order that puts every send before its receive).
struct Logging {
    roster: Arc<Roster>,
    nodes: Vec<Node>,
    buffer: SharedBuffer,
}

#[derive(Clone)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::fmt::Debug for Logging {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logging")
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

/// All nodes under one scheduler.
#[derive(Debug)]
pub(crate) struct System<A: Actor> {
    n: usize,
    pub(crate) nodes: Vec<A>,
    pub(crate) in_flight: Vec<InFlight<A::Message>>,
    timer_armed: Vec<bool>,
    sends: Vec<u32>,
    delivered: Vec<u32>,
    last_step: Vec<u32>,
    pub(crate) steps: Vec<Step>,
    /// `steps.len() * n` delivery-counting clocks, one row per step.
    clocks: Vec<u32>,
    effects: Vec<Effect<A::Message>>,
    /// A send to a node that does not exist (or to itself): the first one, described.
    pub(crate) bad_send: Option<String>,
    logging: Option<Logging>,
}

impl<A: Actor> System<A> {
    /// A system of `nodes` (started by [`reset`](Self::reset)).
    pub(crate) fn new(n: usize) -> Self {
        System {
            n,
            nodes: Vec::with_capacity(n),
            in_flight: Vec::new(),
            timer_armed: vec![false; n],
            sends: vec![0; n],
            delivered: vec![0; n],
            last_step: vec![0; n],
            steps: Vec::new(),
            clocks: Vec::new(),
            effects: Vec::new(),
            bad_send: None,
            logging: None,
        }
    }

    /// Logs every event from the next [`reset`](Self::reset) on, into a GoVector log
    /// with these node names.
    pub(crate) fn log_to(&mut self, roster: Arc<Roster>) -> Result<(), ExploreError> {
        let buffer = SharedBuffer(Arc::new(Mutex::new(Vec::new())));
        let nodes = (0..self.n)
            .map(|i| {
                Node::with_index_and_stamps(
                    roster.clone(),
                    i,
                    LogSink::writer(Box::new(buffer.clone())),
                    Stamps::Full,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.logging = Some(Logging {
            roster,
            nodes,
            buffer,
        });
        Ok(())
    }

    /// Logs a local event at `node` (the mark of a violation).
    pub(crate) fn log_local(&mut self, node: usize, text: &str) -> Result<(), ExploreError> {
        if let Some(logging) = &mut self.logging {
            logging.nodes[node].log_local(text)?;
        }
        Ok(())
    }

    /// The log written so far.
    pub(crate) fn log_text(&self) -> Vec<u8> {
        match &self.logging {
            Some(logging) => logging
                .buffer
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
            None => Vec::new(),
        }
    }

    /// Starts over with fresh `nodes`: runs every node's start, in index order.
    pub(crate) fn reset(&mut self, nodes: Vec<A>) -> Result<(), ExploreError> {
        debug_assert_eq!(nodes.len(), self.n);
        self.nodes = nodes;
        self.in_flight.clear();
        self.timer_armed.iter_mut().for_each(|t| *t = false);
        self.sends.iter_mut().for_each(|t| *t = 0);
        self.delivered.iter_mut().for_each(|t| *t = 0);
        self.last_step.iter_mut().for_each(|t| *t = 0);
        self.steps.clear();
        self.clocks.clear();
        self.bad_send = None;
        for me in 0..self.n {
            let mut effects = std::mem::take(&mut self.effects);
            {
                let mut ctx = self.context(me, &mut effects);
                self.nodes[me].on_start(&mut ctx);
            }
            self.apply(me, 0, &mut effects)?;
            self.effects = effects;
        }
        Ok(())
    }

    fn context<'a>(
        &self,
        me: usize,
        effects: &'a mut Vec<Effect<A::Message>>,
    ) -> Context<'a, A::Message> {
        if self.logging.is_some() {
            Context::new(me, self.n, effects)
        } else {
            Context::without_texts(me, self.n, effects)
        }
    }

    /// The position in flight of message `id`.
    #[inline]
    pub(crate) fn find(&self, id: MessageId) -> Option<usize> {
        self.in_flight.iter().position(|m| m.id == id)
    }

    /// Delivers the message at `position` in flight: one step.
    pub(crate) fn deliver(&mut self, position: usize) -> Result<(), ExploreError> {
        let message = self.in_flight.swap_remove(position);
        let to = message.to as usize;
        let n = self.n;
        self.delivered[to] += 1;
        let index_at_node = self.delivered[to];
        let step = self.steps.len();
        // This step's clock: the node's previous step joined with the sending step.
        let row = self.clocks.len();
        let prev = self.last_step[to];
        if prev == 0 {
            self.clocks.resize(row + n, 0);
        } else {
            self.clocks
                .extend_from_within((prev as usize - 1) * n..prev as usize * n);
        }
        if message.sent_in != 0 {
            let sender_row = (message.sent_in as usize - 1) * n;
            for k in 0..n {
                let seen = self.clocks[sender_row + k];
                let mine = &mut self.clocks[row + k];
                if seen > *mine {
                    *mine = seen;
                }
            }
        }
        self.clocks[row + to] = index_at_node;
        self.steps.push(Step {
            id: message.id,
            to: message.to,
            prev_at_node: prev,
            index_at_node,
            sent_in: message.sent_in,
        });
        self.last_step[to] = step as u32 + 1;

        let from = message.id.from as usize;
        if let Some(logging) = &mut self.logging {
            match &message.payload {
                Some(payload) => {
                    let text = format!(
                        "receive {payload:?} from {}",
                        logging.roster.name(from).unwrap_or("?")
                    );
                    logging.nodes[to].unpack_receive(&text, &message.stamp)?;
                }
                // A timer is the node's own business: a local event, in program order.
                None => logging.nodes[to].log_local("timer")?,
            }
        }
        let mut effects = std::mem::take(&mut self.effects);
        {
            let mut ctx = self.context(to, &mut effects);
            match message.payload {
                Some(payload) => self.nodes[to].on_message(from, payload, &mut ctx),
                None => {
                    self.timer_armed[to] = false;
                    self.nodes[to].on_timer(&mut ctx);
                }
            }
        }
        self.apply(to, step as u32 + 1, &mut effects)?;
        self.effects = effects;
        Ok(())
    }

    /// Puts a handler's effects into the world.
    fn apply(
        &mut self,
        me: usize,
        sent_in: u32,
        effects: &mut Vec<Effect<A::Message>>,
    ) -> Result<(), ExploreError> {
        for effect in effects.drain(..) {
            match effect {
                Effect::Send { to, message } => {
                    if to >= self.n || to == me {
                        if self.bad_send.is_none() {
                            self.bad_send = Some(format!(
                                "node {me} sent {message:?} to {to} (nodes are 0..{}, and a \
                                 node does not send to itself)",
                                self.n
                            ));
                        }
                        continue;
                    }
                    self.sends[me] += 1;
                    let id = MessageId {
                        from: me as u32,
                        seq: self.sends[me],
                    };
                    let mut stamp = Vec::new();
                    if let Some(logging) = &mut self.logging {
                        let text = format!(
                            "send {message:?} to {}",
                            logging.roster.name(to).unwrap_or("?")
                        );
                        stamp = logging.nodes[me].prepare_send(&text, &[])?;
                    }
                    self.in_flight.push(InFlight {
                        id,
                        to: to as u32,
                        payload: Some(message),
                        sent_in,
                        stamp,
                    });
                }
                Effect::Local(text) => {
                    if let Some(logging) = &mut self.logging {
                        logging.nodes[me].log_local(&text)?;
                    }
                }
                Effect::SetTimer => {
                    if self.timer_armed[me] {
                        continue;
                    }
                    self.timer_armed[me] = true;
                    self.sends[me] += 1;
                    let id = MessageId {
                        from: me as u32,
                        seq: self.sends[me],
                    };
                    if let Some(logging) = &mut self.logging {
                        logging.nodes[me].log_local("set timer")?;
                    }
                    self.in_flight.push(InFlight {
                        id,
                        to: me as u32,
                        payload: None,
                        sent_in,
                        stamp: Vec::new(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Entry `node` of the delivery clock of step `step` (0-based).
    #[inline]
    pub(crate) fn clock_entry(&self, step: usize, node: usize) -> u32 {
        self.clocks[step * self.n + node]
    }

    /// Entry `node` of the clock of the send of the message delivered at `step`: how many
    /// deliveries at `node` happened before that send.
    #[inline]
    pub(crate) fn send_clock_entry(&self, step: usize, node: usize) -> u32 {
        match self.steps[step].sent_in {
            0 => 0,
            sent_in => self.clock_entry(sent_in as usize - 1, node),
        }
    }

    /// The ids of the steps so far.
    pub(crate) fn schedule(&self) -> Vec<MessageId> {
        self.steps.iter().map(|s| s.id).collect()
    }
}
