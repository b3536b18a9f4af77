//! The two bundled protocols (`causet_explore::examples::{kv, mutex}`) written again as
//! `stateright` actor models, with the same seeded bugs behind the same flags and the same
//! properties, for the comparison in `benches/stateright.rs` (BENCHMARKS.md, issue 14).
//!
//! Each handler is the example's, line for line, on stateright's types: the actor's state
//! is a `Clone + Hash` value (stateright stores and deduplicates states), the network is
//! unordered and delivers each message once (`Network::new_unordered_nonduplicating`), and
//! the mutex's "leave" is a stateright timer (a schedulable timeout, as the example's
//! timer is for the explorer). Invariants are `Expectation::Always` properties; an end
//! property ("at the end, P") is `Always` "not at the end, or P", the end being a state with
//! nothing in flight and no timer set. Every handler takes its state mutably first
//! (stateright drops a delivery that leaves the state borrowed and sends nothing, and
//! the examples' handlers always change something).

#![allow(dead_code, unreachable_pub)]

use std::borrow::Cow;

use stateright::Expectation;
use stateright::actor::{Actor, ActorModel, ActorModelState, Id, Network, Out, model_timeout};

/// Whether nothing is in flight and no timer is set.
fn at_end<A: Actor>(state: &ActorModelState<A>) -> bool
where
    A::Msg: Ord,
{
    state.network.len() == 0 && state.timers_set.iter().all(|t| t.iter().next().is_none())
}

pub mod kv {
    //! The replicated register (`causet_explore::examples::kv`).

    use super::*;

    #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Write {
        pub writer: u32,
        pub value: u32,
        pub lamport: u64,
        pub seen: Vec<u32>,
    }

    impl Write {
        fn has_seen(&self, other: &Write) -> bool {
            self.seen[other.writer as usize] >= other.seen[other.writer as usize]
        }
    }

    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub struct Replica {
        writes_left: u32,
        lamport: u64,
        applied: Vec<u32>,
        siblings: Vec<Write>,
        written: u32,
    }

    impl Replica {
        pub fn siblings(&self) -> Vec<u32> {
            let mut values: Vec<u32> = self.siblings.iter().map(|w| w.value).collect();
            values.sort_unstable();
            values
        }

        pub fn loses_nothing(&self) -> bool {
            self.applied.iter().enumerate().all(|(node, &count)| {
                count == 0 || self.siblings.iter().any(|w| w.seen[node] >= count)
            })
        }

        fn apply(&mut self, bug: bool, write: Write) {
            for (mine, &theirs) in self.applied.iter_mut().zip(&write.seen) {
                *mine = (*mine).max(theirs);
            }
            if bug {
                let newer = self
                    .siblings
                    .first()
                    .is_none_or(|kept| (write.lamport, write.writer) > (kept.lamport, kept.writer));
                if newer {
                    self.siblings.clear();
                    self.siblings.push(write);
                }
                return;
            }
            if self.siblings.iter().any(|kept| kept.has_seen(&write)) {
                return;
            }
            self.siblings.retain(|kept| !write.has_seen(kept));
            self.siblings.push(write);
        }

        fn write(&mut self, me: usize, nodes: usize, bug: bool, o: &mut Out<KvActor>) {
            if self.writes_left == 0 {
                return;
            }
            self.writes_left -= 1;
            self.written += 1;
            self.lamport += 1;
            let mut seen = self.applied.clone();
            seen[me] += 1;
            let write = Write {
                writer: me as u32,
                value: me as u32 * 100 + self.written,
                lamport: self.lamport,
                seen,
            };
            for to in (0..nodes).filter(|&to| to != me) {
                o.send(Id::from(to), write.clone());
            }
            self.apply(bug, write);
        }
    }

    #[derive(Clone, Debug)]
    pub struct KvActor {
        pub nodes: usize,
        pub writes: u32,
        pub bug: bool,
    }

    impl Actor for KvActor {
        type Msg = Write;
        type State = Replica;
        type Timer = ();
        type Random = ();
        type Storage = ();

        fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> Replica {
            let me = usize::from(id);
            let mut replica = Replica {
                writes_left: if me < 2 { self.writes } else { 0 },
                lamport: 0,
                applied: vec![0; self.nodes],
                siblings: Vec::new(),
                written: 0,
            };
            replica.write(me, self.nodes, self.bug, o);
            replica
        }

        fn on_msg(
            &self,
            id: Id,
            state: &mut Cow<'_, Replica>,
            _: Id,
            write: Write,
            o: &mut Out<Self>,
        ) {
            let replica = state.to_mut();
            replica.lamport = replica.lamport.max(write.lamport) + 1;
            replica.apply(self.bug, write);
            replica.write(usize::from(id), self.nodes, self.bug, o);
        }
    }

    /// `nodes` replicas, nodes 0 and 1 writing `writes` times each.
    pub fn model(nodes: usize, writes: u32, bug: bool) -> ActorModel<KvActor> {
        ActorModel::new((), ())
            .actors((0..nodes).map(|_| KvActor { nodes, writes, bug }))
            .init_network(Network::new_unordered_nonduplicating([]))
            .property(Expectation::Always, "no write is lost", |_, state| {
                state.actor_states.iter().all(|r| r.loses_nothing())
            })
            .property(Expectation::Always, "replicas agree", |_, state| {
                if !at_end(state) {
                    return true;
                }
                let first = state.actor_states[0].siblings();
                state.actor_states[1..]
                    .iter()
                    .all(|r| r.siblings() == first)
            })
    }
}

pub mod mutex {
    //! Ricart–Agrawala (`causet_explore::examples::mutex`).

    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Message {
        Request { time: u64 },
        Reply { time: u64 },
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum State {
        Released,
        Wanted { time: u64, missing: usize },
        Held,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub struct Peer {
        rounds_left: u32,
        entered: u32,
        clock: u64,
        state: State,
        deferred: Vec<usize>,
    }

    /// The timer that ends the critical section.
    #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Leave;

    #[derive(Clone, Debug)]
    pub struct PeerActor {
        pub nodes: usize,
        pub rounds: u32,
        pub bug: bool,
    }

    impl PeerActor {
        fn request(&self, me: usize, peer: &mut Peer, o: &mut Out<Self>) {
            if peer.rounds_left == 0 {
                return;
            }
            peer.rounds_left -= 1;
            peer.clock += 1;
            let time = peer.clock;
            peer.state = State::Wanted {
                time,
                missing: self.nodes - 1,
            };
            for to in (0..self.nodes).filter(|&to| to != me) {
                o.send(Id::from(to), Message::Request { time });
            }
            Self::enter_if_granted(peer, o);
        }

        fn enter_if_granted(peer: &mut Peer, o: &mut Out<Self>) {
            if let State::Wanted { missing: 0, .. } = peer.state {
                peer.state = State::Held;
                peer.entered += 1;
                o.set_timer(Leave, model_timeout());
            }
        }

        fn goes_first(&self, peer: &Peer, me: usize, time: u64, from: usize) -> bool {
            match peer.state {
                State::Held => true,
                State::Released => false,
                State::Wanted { time: mine, .. } if self.bug => mine < time,
                State::Wanted { time: mine, .. } => (mine, me) < (time, from),
            }
        }
    }

    impl Actor for PeerActor {
        type Msg = Message;
        type State = Peer;
        type Timer = Leave;
        type Random = ();
        type Storage = ();

        fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> Peer {
            let mut peer = Peer {
                rounds_left: self.rounds,
                entered: 0,
                clock: 0,
                state: State::Released,
                deferred: Vec::new(),
            };
            self.request(usize::from(id), &mut peer, o);
            peer
        }

        fn on_msg(
            &self,
            id: Id,
            state: &mut Cow<'_, Peer>,
            src: Id,
            message: Message,
            o: &mut Out<Self>,
        ) {
            let (me, from) = (usize::from(id), usize::from(src));
            let peer = state.to_mut();
            match message {
                Message::Request { time } => {
                    peer.clock = peer.clock.max(time) + 1;
                    if self.goes_first(peer, me, time, from) {
                        peer.deferred.push(from);
                    } else {
                        o.send(src, Message::Reply { time: peer.clock });
                    }
                }
                Message::Reply { time } => {
                    peer.clock = peer.clock.max(time) + 1;
                    if let State::Wanted { missing, .. } = &mut peer.state {
                        *missing = missing.saturating_sub(1);
                    }
                    Self::enter_if_granted(peer, o);
                }
            }
        }

        fn on_timeout(&self, id: Id, state: &mut Cow<'_, Peer>, _: &Leave, o: &mut Out<Self>) {
            let peer = state.to_mut();
            if peer.state != State::Held {
                return;
            }
            peer.state = State::Released;
            peer.clock += 1;
            for to in std::mem::take(&mut peer.deferred) {
                o.send(Id::from(to), Message::Reply { time: peer.clock });
            }
            self.request(usize::from(id), peer, o);
        }
    }

    /// `nodes` peers entering `rounds` times each (the rounds for the end property go
    /// through the model's configuration: stateright's properties are plain functions).
    pub fn model(nodes: usize, rounds: u32, bug: bool) -> ActorModel<PeerActor, u32> {
        ActorModel::new(rounds, ())
            .actors((0..nodes).map(|_| PeerActor { nodes, rounds, bug }))
            .init_network(Network::new_unordered_nonduplicating([]))
            .property(Expectation::Always, "mutual exclusion", |_, state| {
                state
                    .actor_states
                    .iter()
                    .filter(|p| p.state == State::Held)
                    .count()
                    <= 1
            })
            .property(Expectation::Always, "every round served", |model, state| {
                !at_end(state)
                    || state
                        .actor_states
                        .iter()
                        .all(|p| p.entered == model.cfg && p.state == State::Released)
            })
    }
}
