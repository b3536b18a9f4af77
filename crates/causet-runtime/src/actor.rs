//! The user's node code: a sans-IO state machine ([`Actor`]) that reacts to its start, to
//! messages and to its timer by asking its [`Context`] for sends and local events.
//!
//! No clocks, no I/O and no threads in here: a host owns those. The same actor runs under
//! every host: the explorer of `causet-explore` (one thread, a scheduler that tries every
//! causally different order of deliveries), and the runtime's hosts.

use std::fmt;

/// One node's code: what it does when it starts, when a message arrives and when its timer
/// fires. Everything it does goes through the [`Context`]: sends to other nodes (by clock
/// index, `0..ctx.nodes()`), local events, arming its timer.
///
/// A handler runs atomically: a host delivers one input at a time to a node and logs the
/// handler's effects (the receive first, then the sends and local events in the order the
/// handler asked for them), each as one event of the node.
///
/// The node's behaviour must depend only on what it has been given (its start, the
/// messages and timer firings so far, in order): no clocks, no randomness of its own beyond
/// a seed it was built with, no shared state with other nodes. Then a host that replays the
/// same inputs gets the same node, which is what makes an explored counterexample
/// replayable.
///
/// ```
/// use causet_runtime::{Actor, Context};
///
/// /// Counts the pings it gets and answers each with a pong.
/// #[derive(Debug, Default)]
/// struct Echo { pings: u32 }
///
/// #[derive(Debug, Clone, PartialEq)]
/// enum Msg { Ping, Pong }
///
/// impl Actor for Echo {
///     type Message = Msg;
///     fn on_start(&mut self, ctx: &mut Context<'_, Msg>) {
///         if ctx.me() == 0 {
///             ctx.send(1, Msg::Ping);
///         }
///     }
///     fn on_message(&mut self, from: usize, msg: Msg, ctx: &mut Context<'_, Msg>) {
///         if msg == Msg::Ping {
///             self.pings += 1;
///             ctx.local("got a ping");
///             ctx.send(from, Msg::Pong);
///         }
///     }
/// }
///
/// // Any host drives it the same way; here by hand:
/// let mut effects = Vec::new();
/// let mut bob = Echo::default();
/// bob.on_message(0, Msg::Ping, &mut Context::new(1, 2, &mut effects));
/// assert_eq!(bob.pings, 1);
/// assert_eq!(effects.len(), 2); // the local event, then the pong
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Actor {
    /// What nodes send each other. `Debug` gives the text of the send and receive events
    /// in the log (`send Ping to node1`).
    type Message: Clone + fmt::Debug;

    /// The node starts (once, before anything else).
    fn on_start(&mut self, ctx: &mut Context<'_, Self::Message>);

    /// `message` from node `from` arrived.
    fn on_message(
        &mut self,
        from: usize,
        message: Self::Message,
        ctx: &mut Context<'_, Self::Message>,
    );

    /// The timer armed by [`Context::set_timer`] fired. The default does nothing.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self::Message>) {
        let _ = ctx;
    }
}

/// Something a handler asked for, in the order it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect<M> {
    /// Send `message` to node `to`.
    Send {
        /// The receiver's clock index.
        to: usize,
        /// The message.
        message: M,
    },
    /// A local event with this text.
    Local(String),
    /// Arm the node's timer (it fires once, at a time the host chooses).
    SetTimer,
}

/// What a handler sees of its host: who it is, how many nodes there are, and where its
/// effects go.
#[derive(Debug)]
pub struct Context<'a, M> {
    me: usize,
    nodes: usize,
    effects: &'a mut Vec<Effect<M>>,
    texts: bool,
}

impl<'a, M> Context<'a, M> {
    /// A context for node `me` of `nodes`, collecting effects into `effects` (appended).
    pub fn new(me: usize, nodes: usize, effects: &'a mut Vec<Effect<M>>) -> Self {
        Context {
            me,
            nodes,
            effects,
            texts: true,
        }
    }

    /// [`new`](Self::new) for a host that does not log local events (an explorer between
    /// counterexamples): [`local`](Self::local) records nothing, so a handler can skip
    /// formatting texts that [`wants_texts`](Self::wants_texts) says nobody reads.
    pub fn without_texts(me: usize, nodes: usize, effects: &'a mut Vec<Effect<M>>) -> Self {
        Context {
            me,
            nodes,
            effects,
            texts: false,
        }
    }

    /// This node's clock index.
    pub fn me(&self) -> usize {
        self.me
    }

    /// Number of nodes (indices `0..nodes`).
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Sends `message` to node `to` (an index outside `0..nodes`, or `me`, is dropped by
    /// the host and reported as the node's error).
    pub fn send(&mut self, to: usize, message: M) {
        self.effects.push(Effect::Send { to, message });
    }

    /// Logs a local event.
    pub fn local(&mut self, text: &str) {
        if self.texts {
            self.effects.push(Effect::Local(text.to_string()));
        }
    }

    /// Whether local texts are kept (false while an explorer searches: format them only
    /// when this is true).
    pub fn wants_texts(&self) -> bool {
        self.texts
    }

    /// Arms the timer: [`Actor::on_timer`] runs once, later (arming an armed timer does
    /// nothing more).
    pub fn set_timer(&mut self) {
        self.effects.push(Effect::SetTimer);
    }
}
