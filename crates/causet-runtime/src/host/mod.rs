//! Hosting users' [`Actor`]s as OS threads, tokio tasks or OS processes: one thread, task
//! or process per node, every event logged with its vector clock by a [`Node`]. [`Host`]
//! picks the mode at run time (`--mode process|thread|task`).
//!
//! Termination is global quiescence. Threads and tasks share a count of outstanding work
//! (nodes not yet started, messages sent and not yet handled, timers armed and not yet
//! fired), raised before a send is put on a channel and lowered after the handler that
//! received it has put its own sends out, so it reaches zero only when nothing is left
//! anywhere. Processes count their own sends and handled inputs, and the launcher asks for
//! the counts in waves (see [`process`](self::process)).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::{Actor, Context, Effect, LogSink, Node, Roster, RuntimeError, Stamps};

mod builder;
pub(crate) mod process;

pub use builder::Host;
pub use process::{host_processes, serve_node_process};

/// A hosted node at the end of a run: its final state and its log.
#[derive(Debug)]
pub struct Hosted<A> {
    /// The actor as the run left it.
    pub actor: A,
    /// The node's GoVector log (its own events, in order).
    pub log: Vec<u8>,
}

pub(crate) struct Envelope<M> {
    from: usize,
    stamp: Vec<u8>,
    message: M,
}

/// How long an idle node waits before looking again whether the run is over or its timer
/// may fire.
pub(crate) const IDLE: Duration = Duration::from_millis(1);

/// Runs `actors` (node `i` is `roster`'s node `i`) as OS threads until nothing is left to
/// do, logging every event in memory. A node's timer fires when its inbox is empty.
///
/// ```
/// use std::sync::Arc;
/// use causet_runtime::{Actor, Context, Roster, host_threads};
///
/// #[derive(Debug, Default)]
/// struct Echo { got: u32 }
/// impl Actor for Echo {
///     type Message = u32;
///     fn on_start(&mut self, ctx: &mut Context<'_, u32>) {
///         if ctx.me() == 0 { ctx.send(1, 7); }
///     }
///     fn on_message(&mut self, from: usize, n: u32, ctx: &mut Context<'_, u32>) {
///         self.got += n;
///         if n > 1 { ctx.send(from, n - 1); }
///     }
/// }
///
/// let nodes = host_threads(vec![Echo::default(), Echo::default()], Arc::new(Roster::numbered(2)))?;
/// assert_eq!((nodes[0].actor.got, nodes[1].actor.got), (6 + 4 + 2, 7 + 5 + 3 + 1));
/// // node1: 4 receives and 3 sends, two lines each.
/// assert_eq!(String::from_utf8(nodes[1].log.clone())?.lines().count(), 2 * 7);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn host_threads<A>(actors: Vec<A>, roster: Arc<Roster>) -> Result<Vec<Hosted<A>>, RuntimeError>
where
    A: Actor + Send,
    A::Message: Send,
{
    let n = actors.len();
    if n != roster.len() {
        return Err(RuntimeError::config(format!(
            "{n} actors for a roster of {} nodes",
            roster.len()
        )));
    }
    let outstanding = Arc::new(AtomicU64::new(n as u64));
    let stop = Arc::new(AtomicBool::new(false));
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n)
        .map(|_| mpsc::channel::<Envelope<A::Message>>())
        .unzip();
    std::thread::scope(|scope| {
        let handles: Vec<_> = actors
            .into_iter()
            .zip(receivers)
            .enumerate()
            .map(|(me, (actor, inbox))| {
                let senders = senders.clone();
                let roster = roster.clone();
                let outstanding = outstanding.clone();
                let stop = stop.clone();
                scope.spawn(move || {
                    // A node that fails (or panics) stops the others, which would
                    // otherwise wait for work it will never do.
                    let _guard = StopOnExit(&stop);
                    let result = run_node(me, actor, inbox, &senders, roster, &outstanding, &stop);
                    if result.is_err() {
                        stop.store(true, Ordering::Release);
                    }
                    result
                })
            })
            .collect();
        drop(senders);
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(RuntimeError::config("a node's code panicked")))
            })
            .collect()
    })
}

/// One hosted node between inputs: its clock and log, its actor, its armed timer. The
/// thread, task and process hosts only differ in how inputs reach it.
pub(crate) struct Hosting<'a, A: Actor> {
    me: usize,
    n: usize,
    pub(crate) actor: A,
    node: Node,
    roster: Arc<Roster>,
    effects: Vec<Effect<A::Message>>,
    pub(crate) timer: bool,
    outstanding: &'a AtomicU64,
    /// Messages put out and timers armed (each armed timer is a message to itself).
    pub(crate) sent: u64,
    /// Messages handled and timers fired.
    pub(crate) handled: u64,
}

pub(crate) type Deliver<'d, M> = &'d mut dyn FnMut(usize, Envelope<M>) -> bool;

impl<'a, A: Actor> Hosting<'a, A> {
    pub(crate) fn new(
        me: usize,
        n: usize,
        actor: A,
        roster: Arc<Roster>,
        outstanding: &'a AtomicU64,
    ) -> Result<Self, RuntimeError> {
        let node =
            Node::with_index_and_stamps(roster.clone(), me, LogSink::memory(), Stamps::Full)?;
        Ok(Hosting {
            me,
            n,
            actor,
            node,
            roster,
            effects: Vec::new(),
            timer: false,
            outstanding,
            sent: 0,
            handled: 0,
        })
    }

    pub(crate) fn start(&mut self, deliver: Deliver<'_, A::Message>) -> Result<(), RuntimeError> {
        self.actor
            .on_start(&mut Context::new(self.me, self.n, &mut self.effects));
        let result = self.apply(deliver);
        self.outstanding.fetch_sub(1, Ordering::AcqRel);
        result
    }

    pub(crate) fn receive(
        &mut self,
        envelope: Envelope<A::Message>,
        deliver: Deliver<'_, A::Message>,
    ) -> Result<(), RuntimeError> {
        let text = format!(
            "receive {:?} from {}",
            envelope.message,
            self.roster.name(envelope.from).unwrap_or("?")
        );
        let logged = self.node.unpack_receive(&text, &envelope.stamp).map(drop);
        self.actor.on_message(
            envelope.from,
            envelope.message,
            &mut Context::new(self.me, self.n, &mut self.effects),
        );
        let result = logged.and_then(|()| self.apply(deliver));
        self.outstanding.fetch_sub(1, Ordering::AcqRel);
        self.handled += 1;
        result
    }

    /// Fires the timer if armed; whether it was.
    pub(crate) fn fire_timer(
        &mut self,
        deliver: Deliver<'_, A::Message>,
    ) -> Result<bool, RuntimeError> {
        if !self.timer {
            return Ok(false);
        }
        self.timer = false;
        let logged = self.node.log_local("timer");
        self.actor
            .on_timer(&mut Context::new(self.me, self.n, &mut self.effects));
        let result = logged.and_then(|()| self.apply(deliver));
        self.outstanding.fetch_sub(1, Ordering::AcqRel);
        self.handled += 1;
        result.map(|()| true)
    }

    fn apply(&mut self, deliver: Deliver<'_, A::Message>) -> Result<(), RuntimeError> {
        let me = self.me;
        for effect in self.effects.drain(..) {
            match effect {
                Effect::Send { to, message } => {
                    if to >= self.n || to == me {
                        return Err(RuntimeError::config(format!(
                            "node {me} sent {message:?} to {to} (nodes are 0..{}, and a node \
                             does not send to itself)",
                            self.n
                        )));
                    }
                    let text = format!(
                        "send {message:?} to {}",
                        self.roster.name(to).unwrap_or("?")
                    );
                    let stamp = self.node.prepare_send(&text, &[])?;
                    // Counted before it goes out: whoever handles it finds it counted.
                    self.outstanding.fetch_add(1, Ordering::AcqRel);
                    self.sent += 1;
                    if !deliver(
                        to,
                        Envelope {
                            from: me,
                            stamp,
                            message,
                        },
                    ) {
                        // The receiver is gone (it failed): nobody will handle this one.
                        self.outstanding.fetch_sub(1, Ordering::AcqRel);
                        self.sent -= 1;
                    }
                }
                Effect::Local(text) => self.node.log_local(&text)?,
                Effect::SetTimer => {
                    if !self.timer {
                        self.timer = true;
                        self.sent += 1;
                        self.outstanding.fetch_add(1, Ordering::AcqRel);
                        self.node.log_local("set timer")?;
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Hosted<A> {
        Hosted {
            actor: self.actor,
            log: self.node.into_log().into_memory(),
        }
    }
}

fn run_node<A: Actor>(
    me: usize,
    actor: A,
    inbox: mpsc::Receiver<Envelope<A::Message>>,
    peers: &[mpsc::Sender<Envelope<A::Message>>],
    roster: Arc<Roster>,
    outstanding: &AtomicU64,
    stop: &AtomicBool,
) -> Result<Hosted<A>, RuntimeError> {
    let mut hosting = Hosting::new(me, peers.len(), actor, roster, outstanding)?;
    let mut deliver = |to: usize, envelope| peers[to].send(envelope).is_ok();
    hosting.start(&mut deliver)?;
    loop {
        match inbox.recv_timeout(IDLE) {
            Ok(envelope) => hosting.receive(envelope, &mut deliver)?,
            Err(_) => {
                if hosting.fire_timer(&mut deliver)? {
                    continue;
                }
                if outstanding.load(Ordering::Acquire) == 0 || stop.load(Ordering::Acquire) {
                    break;
                }
            }
        }
    }
    Ok(hosting.finish())
}

/// [`host_threads`] with each node a tokio task on a multi-threaded runtime of `workers`
/// threads (thousands of nodes on a few threads); timers fire when a node's inbox is empty.
///
/// ```
/// use std::sync::Arc;
/// use causet_runtime::{Actor, Context, Roster, host_tasks};
///
/// #[derive(Debug, Default)]
/// struct Relay { got: bool }
/// impl Actor for Relay {
///     type Message = ();
///     fn on_start(&mut self, ctx: &mut Context<'_, ()>) {
///         if ctx.me() == 0 { ctx.send(1, ()); }
///     }
///     fn on_message(&mut self, _: usize, _: (), ctx: &mut Context<'_, ()>) {
///         self.got = true;
///         if ctx.me() + 1 < ctx.nodes() { ctx.send(ctx.me() + 1, ()); }
///     }
/// }
///
/// let relays = (0..500).map(|_| Relay::default()).collect();
/// let nodes = host_tasks(relays, Arc::new(Roster::numbered(500)), 2)?;
/// assert!(nodes[1..].iter().all(|n| n.actor.got));
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn host_tasks<A>(
    actors: Vec<A>,
    roster: Arc<Roster>,
    workers: usize,
) -> Result<Vec<Hosted<A>>, RuntimeError>
where
    A: Actor + Send + 'static,
    A::Message: Send + 'static,
{
    let n = actors.len();
    if n != roster.len() {
        return Err(RuntimeError::config(format!(
            "{n} actors for a roster of {} nodes",
            roster.len()
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_time()
        .build()
        .map_err(|err| RuntimeError::io("cannot start the tokio runtime", err))?;
    let outstanding = Arc::new(AtomicU64::new(n as u64));
    let stop = Arc::new(AtomicBool::new(false));
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n)
        .map(|_| tokio::sync::mpsc::unbounded_channel::<Envelope<A::Message>>())
        .unzip();
    let senders = Arc::new(senders);
    runtime.block_on(async {
        let handles: Vec<_> = actors
            .into_iter()
            .zip(receivers)
            .enumerate()
            .map(|(me, (actor, mut inbox))| {
                let senders = senders.clone();
                let roster = roster.clone();
                let outstanding = outstanding.clone();
                let stop = stop.clone();
                tokio::spawn(async move {
                    let _guard = StopOnExit(&stop);
                    let result: Result<Hosted<A>, RuntimeError> = async {
                        let mut hosting = Hosting::new(me, n, actor, roster, &outstanding)?;
                        let mut deliver = |to: usize, envelope| senders[to].send(envelope).is_ok();
                        hosting.start(&mut deliver)?;
                        loop {
                            match tokio::time::timeout(IDLE, inbox.recv()).await {
                                Ok(Some(envelope)) => hosting.receive(envelope, &mut deliver)?,
                                Ok(None) => break,
                                Err(_) => {
                                    if hosting.fire_timer(&mut deliver)? {
                                        continue;
                                    }
                                    if outstanding.load(Ordering::Acquire) == 0
                                        || stop.load(Ordering::Acquire)
                                    {
                                        break;
                                    }
                                }
                            }
                        }
                        Ok(hosting.finish())
                    }
                    .await;
                    if result.is_err() {
                        stop.store(true, Ordering::Release);
                    }
                    result
                })
            })
            .collect();
        let mut hosted = Vec::with_capacity(n);
        for handle in handles {
            hosted.push(
                handle
                    .await
                    .unwrap_or_else(|_| Err(RuntimeError::config("a node's code panicked"))),
            );
        }
        hosted.into_iter().collect()
    })
}

struct StopOnExit<'a>(&'a AtomicBool);

impl Drop for StopOnExit<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Release);
        }
    }
}
