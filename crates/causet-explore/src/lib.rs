//! Check every causally different execution of message-passing node code.
//!
//! Write each node as a [`causet_runtime::Actor`] (a sans-IO state machine: start, message,
//! timer in; sends and local events out), give the [`Explorer`] a function that builds the
//! nodes, and properties over all nodes' states: invariants after every step and
//! properties at the end (when no message is left in flight). The explorer runs the nodes
//! in one thread under a scheduler that chooses which message to deliver next, and:
//!
//! - [`Explorer::dpor`] tries one execution per happens-before relation (per Mazurkiewicz
//!   trace), by optimal dynamic partial-order reduction (Abdulla et al., POPL 2014: source
//!   sets and wakeup trees) with vector clocks deciding which deliveries race: two
//!   deliveries to different nodes commute; two deliveries to one node race when the later
//!   message was not sent causally after the earlier delivery;
//! - [`Explorer::naive`] tries every order of deliveries (the baseline);
//! - [`Explorer::random`] takes seeded random walks, for state spaces too large to exhaust;
//! - [`Explorer::max_depth`] bounds the deliveries of an execution.
//!
//! A violation comes with its [`Schedule`], the deliveries that lead to it, as a string
//! (`0.1,2.1,1.1`, each `SENDER.NUMBER`): [`Explorer::replay`] reruns exactly it and
//! returns the execution as a GoVector log (what `causet check`, `causet view` and
//! `causet render` read) with the violating event marked `violation: PROPERTY`.
//!
//! Node code must be deterministic: what a node does may depend only on its inputs so far
//! (the explorer re-runs executions from the start, and reports code that behaves
//! differently on the same inputs).
//!
//! # Example: a protocol checked from a test
//!
//! Two clients send a digit to a server that appends it to a number. The test expects 12;
//! the explorer finds the order in which the server gets 2 first.
//!
//! ```
//! use causet_explore::Explorer;
//! use causet_runtime::{Actor, Context};
//!
//! #[derive(Debug)]
//! enum Node {
//!     Server { value: u32 },
//!     Client { digit: u32 },
//! }
//!
//! impl Actor for Node {
//!     type Message = u32;
//!     fn on_start(&mut self, ctx: &mut Context<'_, u32>) {
//!         if let Node::Client { digit } = self {
//!             ctx.send(0, *digit);
//!         }
//!     }
//!     fn on_message(&mut self, _from: usize, digit: u32, ctx: &mut Context<'_, u32>) {
//!         if let Node::Server { value } = self {
//!             *value = *value * 10 + digit;
//!             ctx.local(&format!("value {value}"));
//!         }
//!     }
//! }
//!
//! fn value(nodes: &[Node]) -> u32 {
//!     match nodes[0] {
//!         Node::Server { value } => value,
//!         Node::Client { .. } => unreachable!("node 0 is the server"),
//!     }
//! }
//!
//! let explorer = Explorer::new(|| {
//!     vec![Node::Server { value: 0 }, Node::Client { digit: 1 }, Node::Client { digit: 2 }]
//! })
//! .invariant("at most two digits", |nodes| value(nodes) < 100)
//! .at_end("the value is 12", |nodes| value(nodes) == 12);
//!
//! let report = explorer.dpor()?;
//! assert_eq!(report.stats.executions, 2); // two traces: 1 first, or 2 first
//! let violation = report.violation.expect("2 can arrive first");
//! assert_eq!(violation.property, "the value is 12");
//! assert_eq!(violation.schedule.to_string(), "2.1,1.1");
//!
//! // The counterexample, replayed, as a GoVector log with the violation marked.
//! let replay = explorer.replay(&violation.schedule)?;
//! assert_eq!(replay.violation.as_ref(), Some(&violation));
//! let log = String::from_utf8(replay.log)?;
//! assert!(log.contains("node0 {\"node0\":4, \"node1\":1, \"node2\":1}\nvalue 21\n"));
//! assert!(log.ends_with("violation at the end: the value is 12\n"));
//!
//! // A correct server (it sorts the digits) explores clean: `check` panics otherwise,
//! // with the schedule and the log, which is what a `#[test]` wants.
//! # #[derive(Debug)] struct Sorting(Vec<u32>, bool);
//! # impl Actor for Sorting {
//! #     type Message = u32;
//! #     fn on_start(&mut self, ctx: &mut Context<'_, u32>) {
//! #         if ctx.me() > 0 { ctx.send(0, ctx.me() as u32); }
//! #     }
//! #     fn on_message(&mut self, _: usize, d: u32, _: &mut Context<'_, u32>) {
//! #         self.0.push(d); self.0.sort();
//! #     }
//! # }
//! Explorer::new(|| (0..3).map(|_| Sorting(Vec::new(), false)).collect())
//!     .at_end("sorted", |nodes| nodes[0].0 == [1, 2])
//!     .check();
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod dpor;
mod error;
pub mod examples;
mod message_id;
mod schedule;
mod search;
mod system;

use std::fmt;
use std::sync::Arc;

use causet_runtime::{Actor, Roster};

pub use error::ExploreError;
pub use message_id::MessageId;
pub use schedule::Schedule;

use system::System;

/// Most nodes an explorer takes.
pub const MAX_NODES: usize = 1024;

/// Deliveries per execution when [`Explorer::max_depth`] is not set.
pub const DEFAULT_MAX_DEPTH: usize = 10_000;

type Check<A> = Box<dyn Fn(&[A]) -> bool>;
type Observer = Box<dyn Fn(&[Delivery])>;
type Progress = Box<dyn Fn(&Stats) -> bool>;

/// The nodes to explore, their properties, and the bounds of the search.
pub struct Explorer<A: Actor> {
    make: Box<dyn Fn() -> Vec<A>>,
    invariants: Vec<(String, Check<A>)>,
    at_end: Vec<(String, Check<A>)>,
    max_depth: usize,
    max_executions: Option<u64>,
    names: Option<Vec<String>>,
    observer: Option<Observer>,
    progress: Option<(u64, Progress)>,
}

/// One delivery of an execution, as [`Explorer::on_execution`] shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Delivery {
    /// The message (or timer) delivered.
    pub id: MessageId,
    /// The node it was delivered to.
    pub to: usize,
}

impl<A: Actor> fmt::Debug for Explorer<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Explorer")
            .field(
                "invariants",
                &self.invariants.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field(
                "at_end",
                &self.at_end.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("max_depth", &self.max_depth)
            .field("max_executions", &self.max_executions)
            .finish()
    }
}

impl<A: Actor> Explorer<A> {
    /// Explores the nodes `make` builds (node `i` of the vector has clock index `i`).
    /// `make` is called once per execution and must build the same nodes each time.
    pub fn new(make: impl Fn() -> Vec<A> + 'static) -> Self {
        Explorer {
            make: Box::new(make),
            invariants: Vec::new(),
            at_end: Vec::new(),
            max_depth: DEFAULT_MAX_DEPTH,
            max_executions: None,
            names: None,
            observer: None,
            progress: None,
        }
    }

    /// A property of all nodes' states that must hold at the start and after every
    /// delivery; `name` is how a violation reports it.
    pub fn invariant(mut self, name: &str, holds: impl Fn(&[A]) -> bool + 'static) -> Self {
        self.invariants.push((name.to_string(), Box::new(holds)));
        self
    }

    /// A property that must hold at the end of every execution that delivers everything
    /// (none is checked on an execution cut by [`max_depth`](Self::max_depth)).
    pub fn at_end(mut self, name: &str, holds: impl Fn(&[A]) -> bool + 'static) -> Self {
        self.at_end.push((name.to_string(), Box::new(holds)));
        self
    }

    /// At most `depth` deliveries per execution (an execution still going at that depth is
    /// cut, counted in [`Stats::truncated`], and the search is then not complete).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Stops after `executions` executions (then [`Stats::complete`] is false).
    pub fn max_executions(mut self, executions: u64) -> Self {
        self.max_executions = Some(executions);
        self
    }

    /// The nodes' names in logs (default `node0`, `node1`, …).
    pub fn names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Calls `observe` with the deliveries of every execution a search runs, when it ends
    /// (for tests and statistics: e.g. to count distinct happens-before relations).
    pub fn on_execution(mut self, observe: impl Fn(&[Delivery]) + 'static) -> Self {
        self.observer = Some(Box::new(observe));
        self
    }

    /// Calls `report` with the counts so far after every `every` executions (at least 1) of
    /// a search, e.g. for a progress display; when it returns `false` the search stops
    /// there, incomplete, as at [`max_executions`](Self::max_executions) (e.g. on Ctrl-C).
    ///
    /// ```
    /// use causet_explore::examples::mutex;
    ///
    /// // Stop after the second report (executions 100 and 200).
    /// let seen = std::cell::Cell::new(0);
    /// let report = mutex::explorer(4, 1, false)
    ///     .on_progress(100, move |stats| {
    ///         seen.set(seen.get() + 1);
    ///         stats.executions < 200
    ///     })
    ///     .dpor()?;
    /// assert_eq!(report.stats.executions, 200);
    /// assert!(!report.stats.complete && report.violation.is_none());
    /// # Ok::<(), causet_explore::ExploreError>(())
    /// ```
    pub fn on_progress(mut self, every: u64, report: impl Fn(&Stats) -> bool + 'static) -> Self {
        self.progress = Some((every.max(1), Box::new(report)));
        self
    }

    /// Whether the search may go on after `stats.executions` executions (the progress
    /// callback, when one is due, says).
    pub(crate) fn go_on(&self, stats: &Stats) -> bool {
        match &self.progress {
            Some((every, report)) if stats.executions.is_multiple_of(*every) => report(stats),
            _ => true,
        }
    }

    pub(crate) fn observe(&self, system: &System<A>) {
        if let Some(observe) = &self.observer {
            let deliveries: Vec<Delivery> = system
                .steps
                .iter()
                .map(|s| Delivery {
                    id: s.id,
                    to: s.to as usize,
                })
                .collect();
            observe(&deliveries);
        }
    }

    /// One execution per happens-before relation (optimal DPOR), up to the first
    /// violation.
    pub fn dpor(&self) -> Result<Report, ExploreError> {
        search::run(self, &mut dpor::Dpor::new())
    }

    /// Every order of deliveries, up to the first violation (no reduction: the baseline).
    pub fn naive(&self) -> Result<Report, ExploreError> {
        search::run(self, &mut search::Naive::default())
    }

    /// `walks` random executions drawn with `seed`, up to the first violation.
    pub fn random(&self, seed: u64, walks: u64) -> Result<Report, ExploreError> {
        if walks == 0 {
            self.node_count()?;
            return Ok(Report::clean(Stats::default()));
        }
        search::run(self, &mut search::Random::new(seed, walks))
    }

    /// Runs [`dpor`](Self::dpor) and panics on a violation with the property, the
    /// schedule and the execution's log; for `#[test]` functions.
    #[track_caller]
    pub fn check(&self) -> Stats {
        let report = match self.dpor() {
            Ok(report) => report,
            Err(err) => panic!("exploration failed: {err}"),
        };
        if let Some(violation) = report.violation {
            let log = match self.replay(&violation.schedule) {
                Ok(replay) => String::from_utf8_lossy(&replay.log).into_owned(),
                Err(err) => format!("(no log: {err})"),
            };
            panic!(
                "{violation}\nreplay it with Explorer::replay(&{:?}.parse()?)\nthe execution:\n{log}",
                violation.schedule.to_string()
            );
        }
        report.stats
    }

    /// Reruns `schedule`, checking the properties after every step (and at the end when
    /// the schedule delivers everything), and logs it as a GoVector log; a violation stops
    /// the replay and is marked in the log by a local event `violation: PROPERTY` (or
    /// `violation at the end: PROPERTY`) at the node of the last step.
    pub fn replay(&self, schedule: &Schedule) -> Result<Replay, ExploreError> {
        let n = self.node_count()?;
        let roster = Arc::new(match &self.names {
            Some(names) => {
                if names.len() != n {
                    return Err(ExploreError::Nodes(format!(
                        "{} names for {n} nodes",
                        names.len()
                    )));
                }
                Roster::new(names.iter().cloned())?
            }
            None => Roster::numbered(n),
        });
        let mut system = System::new(n);
        system.log_to(roster)?;
        system.reset(self.make_nodes())?;
        let mut violation = self.check_step(&system);
        for (i, &id) in schedule.steps().iter().enumerate() {
            if violation.is_some() {
                break;
            }
            let position = system.find(id).ok_or(ExploreError::NotInFlight {
                position: i + 1,
                message: id,
            })?;
            system.deliver(position)?;
            violation = self.check_step(&system);
        }
        if violation.is_none() && system.in_flight.is_empty() {
            violation = self.check_end(&system);
        }
        if let Some(violation) = &violation {
            let node = system.steps.last().map_or(0, |s| s.to as usize);
            let text = if violation.at_end {
                format!("violation at the end: {}", violation.property)
            } else {
                format!("violation: {}", violation.property)
            };
            system.log_local(node, &text)?;
        }
        Ok(Replay {
            violation,
            log: system.log_text(),
        })
    }

    /// The first property that `nodes`, as a run under another host left them, break:
    /// invariants first, then end properties. For checking the same node code hosted as
    /// threads ([`causet_runtime::host_threads`]) against its own properties.
    pub fn broken_by(&self, nodes: &[A]) -> Option<&str> {
        self.invariants
            .iter()
            .chain(&self.at_end)
            .find(|(_, holds)| !holds(nodes))
            .map(|(name, _)| name.as_str())
    }

    pub(crate) fn make_nodes(&self) -> Vec<A> {
        (self.make)()
    }

    pub(crate) fn node_count(&self) -> Result<usize, ExploreError> {
        let n = self.make_nodes().len();
        if n == 0 || n > MAX_NODES {
            return Err(ExploreError::Nodes(format!(
                "1 to {MAX_NODES} nodes, not {n}"
            )));
        }
        Ok(n)
    }

    /// The first invariant (or send rule) the state breaks.
    pub(crate) fn check_step(&self, system: &System<A>) -> Option<Violation> {
        if let Some(bad) = &system.bad_send {
            return Some(Violation {
                property: format!("sends go to another node ({bad})"),
                schedule: Schedule(system.schedule()),
                at_end: false,
            });
        }
        self.first_broken(&self.invariants, system, false)
    }

    pub(crate) fn check_end(&self, system: &System<A>) -> Option<Violation> {
        self.first_broken(&self.at_end, system, true)
    }

    fn first_broken(
        &self,
        checks: &[(String, Check<A>)],
        system: &System<A>,
        at_end: bool,
    ) -> Option<Violation> {
        let (name, _) = checks.iter().find(|(_, holds)| !holds(&system.nodes))?;
        Some(Violation {
            property: name.clone(),
            schedule: Schedule(system.schedule()),
            at_end,
        })
    }
}

/// What a search did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Executions run (each to its end, to a violation, or cut at the depth bound).
    pub executions: u64,
    /// Deliveries made, replays of shared prefixes included.
    pub steps: u64,
    /// Executions cut by the depth bound.
    pub truncated: u64,
    /// Executions DPOR abandoned because every message in flight was asleep (optimal DPOR
    /// has none; counted to show it).
    pub blocked: u64,
    /// Whether the search covered everything: exhaustive, no execution cut, no limit hit,
    /// no violation.
    pub complete: bool,
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What the search did.
    pub stats: Stats,
    /// The first violation found, if any.
    pub violation: Option<Violation>,
}

impl Report {
    fn violated(mut stats: Stats, violation: Violation) -> Self {
        stats.complete = false;
        Report {
            stats,
            violation: Some(violation),
        }
    }

    fn clean(stats: Stats) -> Self {
        Report {
            stats,
            violation: None,
        }
    }
}

/// A property that does not hold, and the deliveries that break it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    /// The property's name.
    pub property: String,
    /// The deliveries from the start to the violating state.
    pub schedule: Schedule,
    /// Whether it is an end property (the schedule delivers everything).
    pub at_end: bool,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = if self.at_end { " at the end" } else { "" };
        write!(
            f,
            "violated{when}: {} after {} deliveries (schedule {:?})",
            self.property,
            self.schedule.len(),
            self.schedule.to_string()
        )
    }
}

/// A replayed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The violation it reaches, if any.
    pub violation: Option<Violation>,
    /// The execution as a GoVector log (two lines per event, in execution order).
    pub log: Vec<u8>,
}
