//! Hosting users' [`Actor`]s as OS threads: one thread and one channel per node, every
//! event logged with its vector clock by a [`Node`].
//!
//! Termination is global quiescence: a shared count of outstanding work (nodes not yet
//! started, messages sent and not yet handled, timers armed and not yet fired) is raised
//! before a send is put on a channel and lowered after the handler that received it has
//! put its own sends out, so it reaches zero only when nothing is left anywhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::{Actor, Context, Effect, LogSink, Node, Roster, RuntimeError, Stamps};

/// A hosted node at the end of a run: its final state and its log.
#[derive(Debug)]
pub struct Hosted<A> {
    /// The actor as the run left it.
    pub actor: A,
    /// The node's GoVector log (its own events, in order).
    pub log: Vec<u8>,
}

struct Envelope<M> {
    from: usize,
    stamp: Vec<u8>,
    message: M,
}

/// How long an idle node waits before looking again whether the run is over or its timer
/// may fire.
const IDLE: Duration = Duration::from_millis(1);

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

fn run_node<A: Actor>(
    me: usize,
    mut actor: A,
    inbox: mpsc::Receiver<Envelope<A::Message>>,
    peers: &[mpsc::Sender<Envelope<A::Message>>],
    roster: Arc<Roster>,
    outstanding: &AtomicU64,
    stop: &AtomicBool,
) -> Result<Hosted<A>, RuntimeError> {
    let n = peers.len();
    let mut node =
        Node::with_index_and_stamps(roster.clone(), me, LogSink::memory(), Stamps::Full)?;
    let mut effects = Vec::new();
    let mut timer = false;
    actor.on_start(&mut Context::new(me, n, &mut effects));
    let mut result = apply(
        me,
        &mut node,
        &roster,
        peers,
        &mut effects,
        &mut timer,
        outstanding,
    );
    outstanding.fetch_sub(1, Ordering::AcqRel);
    while result.is_ok() {
        match inbox.recv_timeout(IDLE) {
            Ok(envelope) => {
                let text = format!(
                    "receive {:?} from {}",
                    envelope.message,
                    roster.name(envelope.from).unwrap_or("?")
                );
                result = node.unpack_receive(&text, &envelope.stamp).map(drop);
                actor.on_message(
                    envelope.from,
                    envelope.message,
                    &mut Context::new(me, n, &mut effects),
                );
                result = result.and_then(|()| {
                    apply(
                        me,
                        &mut node,
                        &roster,
                        peers,
                        &mut effects,
                        &mut timer,
                        outstanding,
                    )
                });
                outstanding.fetch_sub(1, Ordering::AcqRel);
            }
            Err(mpsc::RecvTimeoutError::Timeout) if timer => {
                timer = false;
                result = node.log_local("timer");
                actor.on_timer(&mut Context::new(me, n, &mut effects));
                result = result.and_then(|()| {
                    apply(
                        me,
                        &mut node,
                        &roster,
                        peers,
                        &mut effects,
                        &mut timer,
                        outstanding,
                    )
                });
                outstanding.fetch_sub(1, Ordering::AcqRel);
            }
            Err(_) => {
                if outstanding.load(Ordering::Acquire) == 0 || stop.load(Ordering::Acquire) {
                    break;
                }
            }
        }
    }
    result?;
    Ok(Hosted {
        actor,
        log: node.into_log().into_memory(),
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

fn apply<M: std::fmt::Debug>(
    me: usize,
    node: &mut Node,
    roster: &Roster,
    peers: &[mpsc::Sender<Envelope<M>>],
    effects: &mut Vec<Effect<M>>,
    timer: &mut bool,
    outstanding: &AtomicU64,
) -> Result<(), RuntimeError> {
    for effect in effects.drain(..) {
        match effect {
            Effect::Send { to, message } => {
                let Some(peer) = peers.get(to).filter(|_| to != me) else {
                    return Err(RuntimeError::config(format!(
                        "node {me} sent {message:?} to {to} (nodes are 0..{}, and a node does \
                         not send to itself)",
                        peers.len()
                    )));
                };
                let text = format!("send {message:?} to {}", roster.name(to).unwrap_or("?"));
                let stamp = node.prepare_send(&text, &[])?;
                outstanding.fetch_add(1, Ordering::AcqRel);
                if peer
                    .send(Envelope {
                        from: me,
                        stamp,
                        message,
                    })
                    .is_err()
                {
                    // The receiver is gone (it failed): nobody will handle this one.
                    outstanding.fetch_sub(1, Ordering::AcqRel);
                }
            }
            Effect::Local(text) => node.log_local(&text)?,
            Effect::SetTimer => {
                if !*timer {
                    *timer = true;
                    outstanding.fetch_add(1, Ordering::AcqRel);
                    node.log_local("set timer")?;
                }
            }
        }
    }
    Ok(())
}
