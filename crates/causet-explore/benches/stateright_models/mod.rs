//! Node code of ours (any [`causet_runtime::Actor`]) run as a `stateright` actor, and the
//! two bundled protocols (`causet_explore::examples::{kv, mutex}`) as stateright models
//! through it, for the comparison in `benches/stateright.rs` (BENCHMARKS.md, issue 14) and
//! the check in `tests/explore/stateright.rs`.
//!
//! The models run the examples' own handlers, built as `causet explore --example kv|mutex`
//! builds them (the same seeded bugs behind the same flags), and check the examples' own
//! property functions, so the comparison measures the two checkers and not two versions of
//! a protocol. What the adapter does:
//!
//! - A node's stateright state is the node itself (a `Clone + Hash` value: stateright
//!   stores and deduplicates states).
//! - Each of stateright's handlers calls the node's: `on_start`, `on_message`, `on_timer`.
//!   The node's sends become stateright sends, its timer a stateright timer (a schedulable
//!   timeout, as the timer is for the explorer), and its local events go nowhere (stateright
//!   has no log).
//! - The network is unordered and delivers each message once
//!   (`Network::new_unordered_nonduplicating`), as the explorer's is.
//! - Invariants are `Expectation::Always` properties; an end property ("at the end, P") is
//!   `Always` "not at the end, or P", the end being a state with nothing in flight and no
//!   timer set, as for the explorer.

#![allow(dead_code, unreachable_pub)]

use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::Hash;

use causet_runtime::{Context, Effect};
use stateright::Expectation;
use stateright::actor::{Actor, ActorModel, ActorModelState, Id, Network, Out, model_timeout};

/// What the adapter needs of a node: node code of ours, and a value stateright can store
/// (`Clone + Hash`, and messages that it also orders). The examples' nodes are.
pub trait Node:
    causet_runtime::Actor<Message: Eq + Hash + Ord> + Clone + Debug + Eq + Hash
{
}

impl<A> Node for A where
    A: causet_runtime::Actor<Message: Eq + Hash + Ord> + Clone + Debug + Eq + Hash
{
}

/// One of our nodes as a stateright actor: the node before its start, and how many nodes
/// there are (what its [`Context`] says).
#[derive(Clone, Debug)]
pub struct Adapted<A> {
    initial: A,
    nodes: usize,
}

/// A node's one timer (the one [`Context::set_timer`] arms).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timer;

impl<A: Node> Adapted<A> {
    /// Runs one of `node`'s handlers as node `id`, and hands its effects to stateright.
    fn run(
        &self,
        id: Id,
        node: &mut A,
        handler: impl FnOnce(&mut A, &mut Context<'_, A::Message>),
        o: &mut Out<Self>,
    ) {
        let me = usize::from(id);
        let mut effects = Vec::new();
        // Without texts: nobody reads the local events, so the handler need not format them.
        handler(
            node,
            &mut Context::without_texts(me, self.nodes, &mut effects),
        );
        for effect in effects {
            match effect {
                Effect::Send { to, message } => {
                    // The explorer reports such a send as a violation; stateright would
                    // drop it silently, so the model would check another protocol.
                    assert!(
                        to < self.nodes && to != me,
                        "node {me} sent {message:?} to {to} (nodes are 0..{})",
                        self.nodes
                    );
                    o.send(Id::from(to), message);
                }
                Effect::SetTimer => o.set_timer(Timer, model_timeout()),
                Effect::Local(_) => {}
            }
        }
    }
}

impl<A: Node> Actor for Adapted<A> {
    type Msg = A::Message;
    type State = A;
    type Timer = Timer;
    type Random = ();
    type Storage = ();

    fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> A {
        let mut node = self.initial.clone();
        self.run(id, &mut node, |node, ctx| node.on_start(ctx), o);
        node
    }

    // Both handlers take the state mutably whatever the node does: the node's handler
    // wants the node as `&mut`, and only a copy to compare with afterwards (which costs
    // what taking it mutably does) could tell whether it changed anything. For a delivery
    // it matters even when nothing changes: the explorer consumes every message it
    // delivers, but stateright drops a delivery that leaves the state borrowed and sends
    // nothing (the message would stay in flight, and that execution never reach its end).
    fn on_msg(&self, id: Id, state: &mut Cow<'_, A>, src: Id, msg: A::Message, o: &mut Out<Self>) {
        let from = usize::from(src);
        self.run(
            id,
            state.to_mut(),
            |node, ctx| node.on_message(from, msg, ctx),
            o,
        );
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<'_, A>, _: &Timer, o: &mut Out<Self>) {
        self.run(id, state.to_mut(), |node, ctx| node.on_timer(ctx), o);
    }
}

/// `nodes` (node `i` of the vector has clock index `i`, as for the explorer) as a
/// stateright model with configuration `cfg` (what its properties may read: they are plain
/// functions), on an unordered network that delivers each message once. No properties yet.
pub fn model<A: Node, C>(nodes: Vec<A>, cfg: C) -> ActorModel<Adapted<A>, C> {
    let count = nodes.len();
    ActorModel::new(cfg, ())
        .actors(nodes.into_iter().map(|initial| Adapted {
            initial,
            nodes: count,
        }))
        .init_network(Network::new_unordered_nonduplicating([]))
}

/// Whether nothing is in flight and no timer is set: the end of an execution, where the
/// end properties hold.
pub fn at_end<A: Actor>(state: &ActorModelState<A>) -> bool
where
    A::Msg: Ord,
{
    state.network.len() == 0 && state.timers_set.iter().all(|t| t.iter().next().is_none())
}

pub mod kv {
    //! The replicated register (`causet_explore::examples::kv`).

    use causet_explore::examples::kv::{self as example, Kv};

    use super::*;

    /// `nodes` replicas, nodes 0 and 1 writing `writes` times each, with the example's
    /// properties.
    pub fn model(nodes: usize, writes: u32, bug: bool) -> ActorModel<Adapted<Kv>> {
        super::model(example::replicas(nodes, writes, bug), ())
            .property(
                Expectation::Always,
                example::NO_WRITE_IS_LOST,
                |_, state| example::no_write_is_lost(&state.actor_states),
            )
            .property(Expectation::Always, example::REPLICAS_AGREE, |_, state| {
                !at_end(state) || example::replicas_agree(&state.actor_states)
            })
    }
}

pub mod mutex {
    //! Ricart–Agrawala (`causet_explore::examples::mutex`).

    use causet_explore::examples::mutex::{self as example, Peer};

    use super::*;

    /// `nodes` peers entering `rounds` times each, with the example's properties (the
    /// rounds, which the end property reads, are the model's configuration).
    pub fn model(nodes: usize, rounds: u32, bug: bool) -> ActorModel<Adapted<Peer>, u32> {
        super::model(example::peers(nodes, rounds, bug), rounds)
            .property(
                Expectation::Always,
                example::MUTUAL_EXCLUSION,
                |_, state| example::mutual_exclusion(&state.actor_states),
            )
            .property(
                Expectation::Always,
                example::EVERY_ROUND_SERVED,
                |model, state| {
                    !at_end(state) || example::every_round_served(&state.actor_states, model.cfg)
                },
            )
    }
}
