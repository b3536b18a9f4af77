//! Ricart–Agrawala mutual exclusion with Lamport clocks.
//!
//! Each node enters the critical section `rounds` times. To enter, it stamps a request
//! with its Lamport time and sends it to every other node, and enters when all have
//! replied. A node receiving a request replies at once, unless it is in the critical
//! section or wants it with an earlier request, by `(time, node)`: then it defers the
//! reply until it leaves. A node leaves when its timer fires (so the critical section
//! spans other nodes' steps), answers the deferred requests, and asks again if it has
//! rounds left.
//!
//! - Invariant `mutual exclusion` ([`mutual_exclusion`]): at most one node is in the
//!   critical section.
//! - At the end, `every round served` ([`every_round_served`]): every node entered
//!   `rounds` times and left.
//! - The seeded bug ([`Peer::new`] with `bug`): requests are compared by time only, with
//!   no tie-break on the node: two requests with equal times both get replies, and both
//!   nodes enter.

use std::borrow::Borrow;

use causet_runtime::{Actor, Context};
use serde::{Deserialize, Serialize};

use crate::Explorer;

/// What peers send each other (ordered and hashable, as a model checker that stores states
/// wants its messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Message {
    /// "May I enter?", stamped with the requester's Lamport time.
    Request {
        /// The request's Lamport time.
        time: u64,
    },
    /// "Go ahead."
    Reply {
        /// The replier's Lamport time.
        time: u64,
    },
}

/// Where a node stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum State {
    /// Not asking.
    Released,
    /// Asked at this time, waiting for replies.
    Wanted {
        /// The request's Lamport time.
        time: u64,
        /// Replies still missing.
        missing: usize,
    },
    /// In the critical section.
    Held,
}

/// One node (serde: hosted as an OS process, it travels as JSON; `Eq + Hash`: a model
/// checker that stores states stores it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Peer {
    bug: bool,
    rounds_left: u32,
    entered: u32,
    clock: u64,
    state: State,
    deferred: Vec<usize>,
}

impl Peer {
    /// A node that enters `rounds` times.
    pub fn new(rounds: u32, bug: bool) -> Self {
        Peer {
            bug,
            rounds_left: rounds,
            entered: 0,
            clock: 0,
            state: State::Released,
            deferred: Vec::new(),
        }
    }

    /// Where it stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// How many times it entered the critical section.
    pub fn entered(&self) -> u32 {
        self.entered
    }

    fn request(&mut self, ctx: &mut Context<'_, Message>) {
        if self.rounds_left == 0 {
            return;
        }
        self.rounds_left -= 1;
        self.clock += 1;
        let time = self.clock;
        self.state = State::Wanted {
            time,
            missing: ctx.nodes() - 1,
        };
        let me = ctx.me();
        for to in (0..ctx.nodes()).filter(|&to| to != me) {
            ctx.send(to, Message::Request { time });
        }
        self.enter_if_granted(ctx);
    }

    fn enter_if_granted(&mut self, ctx: &mut Context<'_, Message>) {
        if let State::Wanted { missing: 0, .. } = self.state {
            self.state = State::Held;
            self.entered += 1;
            ctx.local("enter");
            ctx.set_timer();
        }
    }

    /// Whether our own request goes before `(time, from)`.
    fn goes_first(&self, me: usize, time: u64, from: usize) -> bool {
        match self.state {
            State::Held => true,
            State::Released => false,
            State::Wanted { time: mine, .. } if self.bug => mine < time,
            State::Wanted { time: mine, .. } => (mine, me) < (time, from),
        }
    }
}

impl Actor for Peer {
    type Message = Message;

    fn on_start(&mut self, ctx: &mut Context<'_, Message>) {
        self.request(ctx);
    }

    fn on_message(&mut self, from: usize, message: Message, ctx: &mut Context<'_, Message>) {
        match message {
            Message::Request { time } => {
                self.clock = self.clock.max(time) + 1;
                if self.goes_first(ctx.me(), time, from) {
                    self.deferred.push(from);
                } else {
                    ctx.send(from, Message::Reply { time: self.clock });
                }
            }
            Message::Reply { time } => {
                self.clock = self.clock.max(time) + 1;
                if let State::Wanted { missing, .. } = &mut self.state {
                    *missing = missing.saturating_sub(1);
                }
                self.enter_if_granted(ctx);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Message>) {
        if self.state != State::Held {
            return;
        }
        self.state = State::Released;
        ctx.local("leave");
        self.clock += 1;
        for to in std::mem::take(&mut self.deferred) {
            ctx.send(to, Message::Reply { time: self.clock });
        }
        self.request(ctx);
    }
}

/// The peers [`explorer`] runs: `nodes` of them entering `rounds` times each, with the
/// seeded bug or not.
pub fn peers(nodes: usize, rounds: u32, bug: bool) -> Vec<Peer> {
    (0..nodes).map(|_| Peer::new(rounds, bug)).collect()
}

/// The invariant's name.
pub const MUTUAL_EXCLUSION: &str = "mutual exclusion";

/// The invariant: at most one peer is in the critical section. Over the peers as owned
/// values (`&[Peer]`, the explorer) or shared ones (`&[Arc<Peer>]`, a model checker that
/// shares states).
pub fn mutual_exclusion<P: Borrow<Peer>>(peers: &[P]) -> bool {
    peers
        .iter()
        .filter(|p| (*p).borrow().state == State::Held)
        .count()
        <= 1
}

/// The end property's name.
pub const EVERY_ROUND_SERVED: &str = "every round served";

/// The end property: every peer entered `rounds` times and left.
pub fn every_round_served<P: Borrow<Peer>>(peers: &[P], rounds: u32) -> bool {
    peers.iter().all(|p| {
        let p = p.borrow();
        p.entered == rounds && p.state == State::Released
    })
}

/// The explorer of `nodes` peers (at least 2) entering `rounds` times each, with its
/// properties.
pub fn explorer(nodes: usize, rounds: u32, bug: bool) -> Explorer<Peer> {
    Explorer::new(move || peers(nodes, rounds, bug))
        .invariant(MUTUAL_EXCLUSION, mutual_exclusion::<Peer>)
        .at_end(EVERY_ROUND_SERVED, move |peers: &[Peer]| {
            every_round_served(peers, rounds)
        })
}
