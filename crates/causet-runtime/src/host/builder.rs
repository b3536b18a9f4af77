//! [`Host`]: one builder for the three ways of hosting a set of [`Actor`]s, the mode
//! chosen at run time (`--mode process|thread|task`).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::process::ProcessOptions;
use super::{Hosted, host_tasks, host_threads};
use crate::{Actor, Roster, RuntimeError};

/// How a [`Host`] runs its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostMode {
    /// Each node an OS process, messages over loopback TCP ([`host_processes`](super::host_processes)).
    Process,
    /// Each node an OS thread, messages over channels ([`host_threads`]).
    #[default]
    Thread,
    /// Each node a tokio task on a multi-threaded runtime ([`host_tasks`]).
    Task,
}

impl HostMode {
    /// The mode's name, as [`FromStr`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            HostMode::Process => "process",
            HostMode::Thread => "thread",
            HostMode::Task => "task",
        }
    }
}

impl fmt::Display for HostMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HostMode {
    type Err = RuntimeError;
    fn from_str(text: &str) -> Result<Self, RuntimeError> {
        match text {
            "process" => Ok(HostMode::Process),
            "thread" => Ok(HostMode::Thread),
            "task" => Ok(HostMode::Task),
            _ => Err(RuntimeError::config(format!(
                "unknown mode {text:?} (process, thread or task)"
            ))),
        }
    }
}

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
/// use causet_runtime::{Actor, Context, Host, HostMode, serve_node_process};
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
///     let mode: HostMode = std::env::args().nth(1).as_deref().unwrap_or("process").parse()?;
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
    mode: HostMode,
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
            mode: HostMode::default(),
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
    pub fn mode(mut self, mode: HostMode) -> Self {
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
            HostMode::Thread => host_threads(self.actors, roster),
            HostMode::Task => host_tasks(self.actors, roster, self.workers),
            HostMode::Process => super::process::run(&self.process, self.actors, roster),
        }
    }
}
