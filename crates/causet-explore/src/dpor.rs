//! Optimal dynamic partial-order reduction (Abdulla, Aronis, Jonsson, Sagonas, "Optimal
//! dynamic partial order reduction", POPL 2014: Algorithm 2, source sets and wakeup trees),
//! for message passing.
//!
//! # The model
//!
//! The events are deliveries, and the scheduled entities are messages: each is delivered
//! once, so a message is the paper's "process" with a single event (`next[E](p)` is the
//! delivery of message `p`, enabled once `p` is sent). Two deliveries to different nodes
//! are independent (they commute); two deliveries to one node are dependent.
//! Happens-before `→E` is each node's order of deliveries plus "the delivery whose handler
//! sent a message precedes that message's delivery", tracked with vector clocks counting
//! deliveries (see [`crate::system`]): `e →E f` exactly when `f`'s clock has seen `e`'s
//! number at its node.
//!
//! A race `e ⋖E e'` is two deliveries to one node, `e` before `e'`, with no event between
//! them in happens-before: so `e` is the delivery just before `e'` at that node. It is
//! reversible when neither message causally precedes the other's delivery, i.e. the clock
//! of `e'`'s send has not seen `e` (then `e'` could have come first).
//!
//! # The algorithm (the paper's Algorithm 2, stateless)
//!
//! Each execution re-runs the nodes from their start, guided by the wakeup tree `wut(E)`
//! of every state `E` on the current path (one tree: the subtree of a state's first child
//! is the child state's tree) and the sleep sets `sleep(E)`:
//!
//! - at a state with a non-empty wakeup tree, the next step is its first (`≺`-least)
//!   child; at a state without one, any enabled message not in the sleep set; a child
//!   state's sleep set is the parent's minus what the step depends on
//!   (`{q ∈ sleep(E) | E ⊨ p ◇ q}`);
//! - at the end of an execution, for every reversible race `e ⋖E e'` of the whole
//!   execution, with `E' = pre(E, e)` and `v = notdep(e, E).e'` (`notdep(e, E)`: the events
//!   of `E` after `e` that do not happen after `e`, in order), if no sleeping message at
//!   `E'` is a weak initial of `v` (`sleep(E') ∩ WI[E'](v) = ∅`), `v` is inserted into
//!   `wut(E')` ([`insert`]);
//! - backtracking, an explored child moves from its parent's wakeup tree to the parent's
//!   sleep set; the deepest state with a child left is where the next execution diverges.
//!
//! Result: exactly one execution per Mazurkiewicz trace (per happens-before relation), and
//! none blocked by its sleep set (the property test in `tests/explore/dpor.rs` checks
//! both against brute force).

use causet_runtime::Actor;

use crate::MessageId;
use crate::error::ExploreError;
use crate::search::{End, Strategy};
use crate::system::System;

/// A node of the wakeup tree: the delivery that leads to it from its parent.
#[derive(Debug)]
struct TreeNode {
    id: MessageId,
    to: u32,
    /// In `≺` order: the first is explored first.
    children: Vec<u32>,
}

/// Every state's wakeup tree, as one tree of nodes in a slab.
#[derive(Debug, Default)]
struct Tree {
    nodes: Vec<TreeNode>,
    free: Vec<u32>,
}

impl Tree {
    fn add(&mut self, id: MessageId, to: u32) -> u32 {
        let node = TreeNode {
            id,
            to,
            children: Vec::new(),
        };
        match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() as u32 - 1
            }
        }
    }

    /// Adds a last (`≺`-greatest) child.
    fn add_child(&mut self, parent: u32, id: MessageId, to: u32) -> u32 {
        let child = self.add(id, to);
        self.nodes[parent as usize].children.push(child);
        child
    }

    fn first_child(&self, node: u32) -> u32 {
        self.nodes[node as usize].children[0]
    }

    /// Frees `node` and everything under it.
    fn release(&mut self, node: u32) {
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            stack.append(&mut self.nodes[node as usize].children);
            self.free.push(node);
        }
    }
}

/// A state of the current execution (the state before one of its steps).
#[derive(Debug)]
struct Level {
    /// The state's wakeup-tree node; its first child is the step being explored.
    tree: u32,
    /// `sleep(E)`: messages (and their destinations) whose delivery here leads only to
    /// explored traces.
    sleep: Vec<(MessageId, u32)>,
}

/// The search state of optimal DPOR.
#[derive(Debug)]
pub(crate) struct Dpor {
    tree: Tree,
    root: u32,
    levels: Vec<Level>,
    replayed: usize,
    /// Scratch for the sequences of races.
    sequence: Vec<Event>,
}

impl Dpor {
    pub(crate) fn new() -> Self {
        let mut tree = Tree::default();
        let root = tree.add(MessageId { from: 0, seq: 0 }, 0);
        Dpor {
            tree,
            root,
            levels: Vec::new(),
            replayed: 0,
            sequence: Vec::new(),
        }
    }
}

impl<A: Actor> Strategy<A> for Dpor {
    fn choose(&mut self, system: &System<A>, depth: usize) -> Result<Option<usize>, ExploreError> {
        if depth == self.levels.len() {
            // A new state: its wakeup tree is the subtree of the parent's first child.
            let (node, sleep) = match self.levels.last() {
                None => (self.root, Vec::new()),
                Some(parent) => {
                    let taken = self.tree.first_child(parent.tree);
                    let to = self.tree.nodes[taken as usize].to;
                    // Sleeping messages stay asleep across an independent step (one to
                    // another node).
                    let mut sleep = parent.sleep.clone();
                    sleep.retain(|&(_, q)| q != to);
                    (taken, sleep)
                }
            };
            if self.tree.nodes[node as usize].children.is_empty() {
                let Some(next) = system
                    .in_flight
                    .iter()
                    .find(|m| !sleep.iter().any(|&(q, _)| q == m.id))
                else {
                    return Ok(None);
                };
                self.tree.add_child(node, next.id, next.to);
            }
            self.levels.push(Level { tree: node, sleep });
        }
        let child = self.tree.first_child(self.levels[depth].tree);
        let id = self.tree.nodes[child as usize].id;
        match system.find(id) {
            Some(position) => Ok(Some(position)),
            None => Err(ExploreError::Nondeterministic {
                position: depth + 1,
                message: id,
            }),
        }
    }

    fn next_execution(&mut self, system: &System<A>, _: End) -> bool {
        for j in 0..system.steps.len() {
            self.reverse_race(system, j);
        }
        // Backtrack: the explored step leaves each finished state's wakeup tree for its
        // sleep set; the deepest state with a step left to explore is where the next
        // execution diverges.
        while let Some(level) = self.levels.last_mut() {
            let children = &mut self.tree.nodes[level.tree as usize].children;
            let done = children.remove(0);
            let more = !children.is_empty();
            let node = &self.tree.nodes[done as usize];
            level.sleep.push((node.id, node.to));
            self.tree.release(done);
            if more {
                self.replayed = self.levels.len() - 1;
                return true;
            }
            self.levels.pop();
        }
        false
    }

    fn replayed(&self) -> usize {
        self.replayed
    }

    fn exhaustive(&self) -> bool {
        true
    }
}

/// One event of a sequence to insert into a wakeup tree.
#[derive(Debug, Clone, Copy)]
struct Event {
    id: MessageId,
    to: u32,
    /// Its number among the deliveries at its node, as happens-before tests it.
    index_at_node: u32,
    /// The step of the current execution whose clock says what happens before this event
    /// (its own step; for the racing event `e'`, the step that sent its message, `None`
    /// for a start).
    clock_step: Option<usize>,
}

/// Whether `a` happens before `b`, `b` coming after `a` in the sequence.
///
/// The sequences are `notdep(e, E).e'` and what is left of one after taking some of its
/// initials out: their events keep the happens-before they have in `E` (a chain between
/// two of them through a dropped event would make the later one happen after `e`), and
/// `e'` is preceded exactly by what precedes its send (no event of the sequence is at
/// its node, the one before it at that node being `e`).
fn happens_before<A: Actor>(system: &System<A>, a: &Event, b: &Event) -> bool {
    b.clock_step
        .is_some_and(|step| system.clock_entry(step, a.to as usize) >= a.index_at_node)
}

/// Whether message `(id, to)` is a weak initial of `sequence` after `E'.u` (`u` the tree
/// path walked so far, its events already taken out of `sequence`): `p ∈ WI[E'.u](w)`
/// when `p`'s delivery is in `w` with nothing of `w` before it in happens-before (an
/// initial), or `p` is not in `w` and independent of all of it (to a node `w` does not
/// deliver to). `Some(Some(position))` for an initial, `Some(None)` for an independent
/// message, `None` for neither.
fn weak_initial<A: Actor>(
    system: &System<A>,
    sequence: &[Event],
    id: MessageId,
    to: u32,
) -> Option<Option<usize>> {
    match sequence.iter().position(|e| e.id == id) {
        Some(position) => sequence[..position]
            .iter()
            .all(|a| !happens_before(system, a, &sequence[position]))
            .then_some(Some(position)),
        None => sequence.iter().all(|e| e.to != to).then_some(None),
    }
}

impl Dpor {
    /// Lines 4-8 of the paper's Algorithm 2 for the race whose second event is step `j`:
    /// if step `j`, `e'`, is in a reversible race with `e`, the previous delivery at its
    /// node, and no message asleep at `E' = pre(E, e)` is a weak initial of
    /// `v = notdep(e, E).e'`, inserts `v` into `wut(E')`.
    fn reverse_race<A: Actor>(&mut self, system: &System<A>, j: usize) {
        let step = system.steps[j];
        if step.prev_at_node == 0 {
            return; // the first delivery at its node: no race
        }
        let i = step.prev_at_node as usize - 1;
        let node = step.to as usize;
        let e = system.steps[i];
        if system.send_clock_entry(j, node) >= e.index_at_node {
            return; // e' was sent causally after e: it cannot come first
        }
        // notdep(e, E): the steps after e (all of them, to the end of E) that do not
        // happen after e; e' happens after e, so it is not one of them. Then e'.
        let sequence = &mut self.sequence;
        sequence.clear();
        sequence.extend(
            (i + 1..system.steps.len())
                .filter(|&k| system.clock_entry(k, node) < e.index_at_node)
                .map(|k| {
                    let s = system.steps[k];
                    Event {
                        id: s.id,
                        to: s.to,
                        index_at_node: s.index_at_node,
                        clock_step: Some(k),
                    }
                }),
        );
        sequence.push(Event {
            id: step.id,
            to: step.to,
            index_at_node: e.index_at_node, // e' takes e's place at its node
            clock_step: match step.sent_in {
                0 => None,
                sent_in => Some(sent_in as usize - 1),
            },
        });
        let level = &self.levels[i];
        if level
            .sleep
            .iter()
            .any(|&(q, to)| weak_initial(system, sequence, q, to).is_some())
        {
            return; // sleep(E') ∩ WI[E'](v) ≠ ∅: explored already
        }
        insert(system, &mut self.tree, level.tree, sequence);
    }
}

/// `insert[E'](v, wut(E'))` (the paper's wakeup tree insertion), `v` in `sequence` and
/// `wut(E')` the tree under `root`.
///
/// Finds the `≺`-least node `u` of the tree with `u ~[E'] v` (`u` and `v` can be extended
/// to equivalent executions): from the root, repeatedly the first child `p`, in order,
/// that is a weak initial of what is left of `v` (`p ∈ WI[E'.u](v \ u)`; an initial is
/// then taken out of it). If `u` is a leaf, an execution through it, which will be
/// explored, covers `v`: nothing to insert. Otherwise the rest of `v`, `w'` with
/// `v ⊑[E'] u.w'`, becomes `u`'s last child branch.
fn insert<A: Actor>(system: &System<A>, tree: &mut Tree, root: u32, sequence: &mut Vec<Event>) {
    let mut at = root;
    loop {
        if sequence.is_empty() {
            return; // v ⊑ u: in the tree already
        }
        let children = &tree.nodes[at as usize].children;
        if children.is_empty() && at != root {
            return; // u is a leaf
        }
        let next = children.iter().find_map(|&child| {
            let c = &tree.nodes[child as usize];
            weak_initial(system, sequence, c.id, c.to).map(|position| (child, position))
        });
        match next {
            Some((child, position)) => {
                if let Some(position) = position {
                    sequence.remove(position);
                }
                at = child;
            }
            None => {
                for event in sequence.iter() {
                    at = tree.add_child(at, event.id, event.to);
                }
                return;
            }
        }
    }
}
