//! A replicated register with last-writer-wins by Lamport time, where concurrent writes
//! are kept as siblings (detected by version vectors) instead of silently dropped.
//!
//! Every node is a replica. Nodes 0 and 1 (the writers) each write `writes` values: the
//! first at start, each next one when the writer receives a message. A write goes to every
//! other replica with its Lamport time and its version vector (entry `i`: how many of node
//! `i`'s writes it has seen). A replica keeps the writes no other kept write has seen (the
//! siblings); reading returns the sibling with the greatest `(lamport, writer)`.
//!
//! - Invariant `no write is lost` ([`no_write_is_lost`]): every write a replica has
//!   applied is its kept write or seen by one of them.
//! - At the end, `replicas agree` ([`replicas_agree`]): every replica keeps the same
//!   siblings.
//! - The seeded bug ([`Kv::new`] with `bug`): a replica keeps only the greatest
//!   `(lamport, writer)` write, so of two concurrent writes one silently disappears.

use std::borrow::Borrow;

use causet_runtime::{Actor, Context};
use serde::{Deserialize, Serialize};

use crate::Explorer;

/// A write on the wire (ordered and hashable, as a model checker that stores states wants
/// its messages).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Write {
    /// The writing node.
    pub writer: u32,
    /// The written value (`writer * 100 + number`).
    pub value: u32,
    /// The writer's Lamport time at the write.
    pub lamport: u64,
    /// The write's version vector: entry `i` counts node `i`'s writes it has seen,
    /// itself included.
    pub seen: Vec<u32>,
}

impl Write {
    /// Whether this write has seen `other` (or is it).
    fn has_seen(&self, other: &Write) -> bool {
        self.seen[other.writer as usize] >= other.seen[other.writer as usize]
    }
}

/// One replica (serde: hosted as an OS process, it travels as JSON; `Eq + Hash`: a model
/// checker that stores states stores it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Kv {
    bug: bool,
    writes_left: u32,
    lamport: u64,
    /// Merge of every write applied here (what the replica has seen).
    applied: Vec<u32>,
    /// The kept writes: no one of them has seen another.
    siblings: Vec<Write>,
    written: u32,
}

impl Kv {
    /// Replica `me` of `nodes`; a writer (node 0 or 1) writes `writes` times.
    pub fn new(me: usize, nodes: usize, writes: u32, bug: bool) -> Self {
        Kv {
            bug,
            writes_left: if me < 2 { writes } else { 0 },
            lamport: 0,
            applied: vec![0; nodes],
            siblings: Vec::new(),
            written: 0,
        }
    }

    /// The value a read returns: the sibling with the greatest `(lamport, writer)`.
    pub fn read(&self) -> Option<u32> {
        self.siblings
            .iter()
            .max_by_key(|w| (w.lamport, w.writer))
            .map(|w| w.value)
    }

    /// The kept writes' values, sorted.
    pub fn siblings(&self) -> Vec<u32> {
        let mut values: Vec<u32> = self.siblings.iter().map(|w| w.value).collect();
        values.sort_unstable();
        values
    }

    /// Whether every applied write is kept or seen by a kept write.
    pub fn loses_nothing(&self) -> bool {
        self.applied
            .iter()
            .enumerate()
            .all(|(node, &count)| count == 0 || self.siblings.iter().any(|w| w.seen[node] >= count))
    }

    fn apply(&mut self, write: Write) {
        for (mine, &theirs) in self.applied.iter_mut().zip(&write.seen) {
            *mine = (*mine).max(theirs);
        }
        if self.bug {
            // The bug: last writer wins, and the loser is forgotten even when it was
            // concurrent (neither write had seen the other).
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
            return; // old news
        }
        self.siblings.retain(|kept| !write.has_seen(kept));
        self.siblings.push(write);
    }

    fn write(&mut self, ctx: &mut Context<'_, Write>) {
        if self.writes_left == 0 {
            return;
        }
        self.writes_left -= 1;
        self.written += 1;
        self.lamport += 1;
        let me = ctx.me();
        let mut seen = self.applied.clone();
        seen[me] += 1;
        let write = Write {
            writer: me as u32,
            value: me as u32 * 100 + self.written,
            lamport: self.lamport,
            seen,
        };
        if ctx.wants_texts() {
            ctx.local(&format!("write {}", write.value));
        }
        for to in (0..ctx.nodes()).filter(|&to| to != me) {
            ctx.send(to, write.clone());
        }
        self.apply(write);
    }
}

impl Actor for Kv {
    type Message = Write;

    fn on_start(&mut self, ctx: &mut Context<'_, Write>) {
        self.write(ctx);
    }

    fn on_message(&mut self, _from: usize, write: Write, ctx: &mut Context<'_, Write>) {
        self.lamport = self.lamport.max(write.lamport) + 1;
        self.apply(write);
        self.write(ctx);
    }
}

/// The replicas [`explorer`] runs: `nodes` of them, nodes 0 and 1 writing `writes` times
/// each, with the seeded bug or not.
pub fn replicas(nodes: usize, writes: u32, bug: bool) -> Vec<Kv> {
    (0..nodes)
        .map(|me| Kv::new(me, nodes, writes, bug))
        .collect()
}

/// The invariant's name.
pub const NO_WRITE_IS_LOST: &str = "no write is lost";

/// The invariant: no replica lost a write ([`Kv::loses_nothing`]). Over the replicas as
/// owned values (`&[Kv]`, the explorer) or shared ones (`&[Arc<Kv>]`, a model checker
/// that shares states).
pub fn no_write_is_lost<R: Borrow<Kv>>(replicas: &[R]) -> bool {
    replicas.iter().all(|r| r.borrow().loses_nothing())
}

/// The end property's name.
pub const REPLICAS_AGREE: &str = "replicas agree";

/// The end property: every replica keeps the same siblings.
pub fn replicas_agree<R: Borrow<Kv>>(replicas: &[R]) -> bool {
    let Some((first, rest)) = replicas.split_first() else {
        return true;
    };
    let first = first.borrow().siblings();
    rest.iter().all(|r| r.borrow().siblings() == first)
}

/// The explorer of `nodes` replicas (at least 2), nodes 0 and 1 writing `writes` times
/// each, with its properties.
pub fn explorer(nodes: usize, writes: u32, bug: bool) -> Explorer<Kv> {
    Explorer::new(move || replicas(nodes, writes, bug))
        .invariant(NO_WRITE_IS_LOST, no_write_is_lost::<Kv>)
        .at_end(REPLICAS_AGREE, replicas_agree::<Kv>)
}
