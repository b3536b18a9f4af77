//! [`Host`]: one builder for the three ways of hosting a set of [`Actor`]s, the mode
//! chosen at run time (`--mode process|thread|task`).

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::process::ProcessOptions;
use super::{Hosted, host_tasks, host_threads};
use crate::{Actor, Mode, Roster, RuntimeError};

/// Hosts a set of nodes ([`Actor`]s) as OS processes, OS threads or tokio tasks, runs them
/// until nothing is left to do (no message in flight, no timer armed), and hands back each
/// node's final state and GoVector log.
///
/// Process mode re-executes the running binary once per node (see
/// [`serve_node_process`](super::serve_node_process)): the binary must call
/// `serve_node_process::<A>(name)` with the same `name` first thing in `main` (or, in a
/// test binary, first thing in the test that hosts the nodes, with
/// [`node_args`](Self::node_args) naming that test). Actors and messages travel as JSON,
/// hence the serde bounds of [`run`](Self::run) (threads and tasks do not need them:
/// [`host_threads`], [`host_tasks`]).
///
/// ```standalone_crate
/// use causet_runtime::{Actor, Context, Host, Mode, serve_node_process};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Default, Serialize, Deserialize)]
/// struct Counter { got: u32 }
///
/// impl Actor for Counter {
///     type Message = u32;
///     fn on_start(&mut self, ctx: &mut Context<'_, u32>) {
///         if ctx.me() == 0 { ctx.send(1, 3); }
///     }
///     fn on_message(&mut self, from: usize, n: u32, ctx: &mut Context<'_, u32>) {
///         self.got += 1;
///         if n > 0 { ctx.send(from, n - 1); }
///     }
/// }
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     // In a node process this runs the node and exits; otherwise it returns at once.
///     serve_node_process::<Counter>("counter");
///
///     let mode: Mode = std::env::args().nth(1).as_deref().unwrap_or("process").parse()?;
///     let nodes = Host::new("counter", vec![Counter::default(), Counter::default()])
///         .mode(mode)
///         .run()?;
///     assert_eq!(nodes[0].actor.got + nodes[1].actor.got, 4);
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct Host<A> {
    actors: Vec<A>,
    roster: Option<Arc<Roster>>,
    mode: Mode,
    workers: usize,
    process: ProcessOptions,
}

impl<A> Host<A> {
    /// Hosts `actors` (node `i` is clock index `i`, named `node{i}` unless
    /// [`roster`](Self::roster) says otherwise), in thread mode unless
    /// [`mode`](Self::mode) says otherwise. `name` is what the binary's
    /// [`serve_node_process`](super::serve_node_process) call knows these nodes by
    /// (process mode only).
    pub fn new(name: &str, actors: Vec<A>) -> Self {
        Host {
            actors,
            roster: None,
            mode: Mode::Thread,
            workers: 2,
            process: ProcessOptions::new(name),
        }
    }

    /// The nodes' names (one per actor).
    pub fn roster(mut self, roster: Arc<Roster>) -> Self {
        self.roster = Some(roster);
        self
    }

    /// Processes, threads or tasks.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Worker threads of the tokio runtime in task mode (default 2).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// The arguments each node process is started with (default none). A test binary
    /// (libtest) runs only the test that hosts the nodes with
    /// `["module::test_name", "--exact"]`: that test must call
    /// [`serve_node_process`](super::serve_node_process) first.
    pub fn node_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.process.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// Runs the nodes to quiescence: their final states and logs, in node order.
    pub fn run(self) -> Result<Vec<Hosted<A>>, RuntimeError>
    where
        A: Actor + Send + Serialize + DeserializeOwned + 'static,
        A::Message: Send + Serialize + DeserializeOwned + 'static,
    {
        let roster = match self.roster {
            Some(roster) => roster,
            None => Arc::new(Roster::numbered(self.actors.len())),
        };
        match self.mode {
            Mode::Thread => host_threads(self.actors, roster),
            Mode::Task => host_tasks(self.actors, roster, self.workers),
            Mode::Process => super::process::run(&self.process, self.actors, roster),
        }
    }
}
