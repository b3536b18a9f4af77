//! Optimal dynamic partial-order reduction (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014:
//! source sets and wakeup trees), for message passing.
//!
//! The scheduled entities are messages: each is delivered once, so a message is the
//! paper's "process" with a single event. Two deliveries to different nodes commute; two
//! deliveries to one node do not. Happens-before is each node's order of deliveries plus
//! "the delivery whose handler sent a message precedes that message's delivery", tracked
//! with vector clocks counting deliveries (see [`crate::system`]). A delivery `e` and the
//! next delivery `e'` at the same node are in a reversible race exactly when the clock of
//! `e'`'s send has not seen `e`: then `e'` could have come first.
//!
//! The search is stateless: each execution re-runs the nodes from their start, guided by
//! one wakeup tree whose leftmost path is the current execution. At the end of every
//! execution each new race `e ⋖ e'` puts, at the state before `e`, the sequence
//! `notdep(e).e'` (the steps between them that do not depend on `e`, then `e'`) into the
//! wakeup tree, unless a sleeping message is a weak initial of it (that ordering was
//! explored). Result: exactly one execution per Mazurkiewicz trace (per happens-before),
//! and none blocked by its sleep set.

use causet_runtime::Actor;

use crate::system::System;
use crate::{ExploreError, Explorer, MessageId, Report, Stats};

/// A node of the wakeup tree: the delivery that leads to it from its parent.
#[derive(Debug)]
struct TreeNode {
    id: MessageId,
    to: u32,
    children: Vec<u32>,
}

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

    fn add_child(&mut self, parent: u32, id: MessageId, to: u32) -> u32 {
        let child = self.add(id, to);
        self.nodes[parent as usize].children.push(child);
        child
    }

    fn release(&mut self, node: u32) {
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            stack.append(&mut self.nodes[node as usize].children);
            self.free.push(node);
        }
    }
}

/// The state before one step of the current execution.
#[derive(Debug)]
struct Level {
    /// The wakeup-tree node of this state; its first child is the step being explored.
    tree: u32,
    /// Messages whose delivery here is known to lead only to explored traces.
    sleep: Vec<(MessageId, u32)>,
}

/// One event of a sequence to insert: which message, to which node, and what it needs.
#[derive(Debug, Clone, Copy)]
struct Event {
    id: MessageId,
    to: u32,
    index_at_node: u32,
    /// The step of the current execution whose clock row says what happens before this
    /// event in the sequence (for the racing event `e'`: the step that sent its message).
    clock_step: Option<usize>,
}

/// Whether `a` happens before `b` in a sequence where `a` comes first.
fn happens_before<A: Actor>(system: &System<A>, a: &Event, b: &Event) -> bool {
    match b.clock_step {
        Some(step) => system.clock_entry(step, a.to as usize) >= a.index_at_node,
        None => false,
    }
}

/// Whether the event at `position` of `sequence` is an initial: nothing before it in the
/// sequence happens before it.
fn is_initial<A: Actor>(system: &System<A>, sequence: &[Event], position: usize) -> bool {
    sequence[..position]
        .iter()
        .all(|a| !happens_before(system, a, &sequence[position]))
}

/// Whether delivering `(id, to)` first is compatible with `sequence`: it is an initial of
/// it, or not in it and independent of all of it (a weak initial). Returns the position
/// it occupies in the sequence, if any.
fn weak_initial<A: Actor>(
    system: &System<A>,
    sequence: &[Event],
    id: MessageId,
    to: u32,
) -> Option<Option<usize>> {
    match sequence.iter().position(|e| e.id == id) {
        Some(position) => is_initial(system, sequence, position).then_some(Some(position)),
        None => sequence.iter().all(|e| e.to != to).then_some(None),
    }
}

/// Runs optimal DPOR over `explorer`'s nodes.
pub(crate) fn explore<A: Actor>(explorer: &Explorer<A>) -> Result<Report, ExploreError> {
    let n = explorer.node_count()?;
    let mut system = System::new(n);
    let mut tree = Tree::default();
    let root = tree.add(MessageId { from: 0, seq: 0 }, 0);
    let mut levels: Vec<Level> = Vec::new();
    let mut stats = Stats::default();
    // Steps before `diverge` are a replay of the previous execution: their invariants and
    // races were handled then.
    let mut diverge = 0usize;
    loop {
        system.reset(explorer.make_nodes())?;
        if stats.executions == 0
            && let Some(violation) = explorer.check_step(&system)
        {
            return Ok(Report::violated(stats, violation));
        }
        let mut depth = 0usize;
        let mut maximal = false;
        loop {
            if depth == levels.len() {
                let node = match levels.last() {
                    None => root,
                    Some(parent) => tree.nodes[parent.tree as usize].children[0],
                };
                // Sleeping messages stay asleep across a step to another node.
                let sleep: Vec<(MessageId, u32)> = match levels.last() {
                    None => Vec::new(),
                    Some(parent) => {
                        let taken = tree.nodes[parent.tree as usize].children[0];
                        let to = tree.nodes[taken as usize].to;
                        let mut sleep = parent.sleep.clone();
                        sleep.retain(|&(_, q)| q != to);
                        sleep
                    }
                };
                if tree.nodes[node as usize].children.is_empty() {
                    if system.in_flight.is_empty() {
                        maximal = true;
                        break;
                    }
                    if depth >= explorer.max_depth {
                        stats.truncated += 1;
                        break;
                    }
                    let Some(next) = system
                        .in_flight
                        .iter()
                        .find(|m| !sleep_contains(&sleep, m.id))
                    else {
                        stats.blocked += 1;
                        break;
                    };
                    let (id, to) = (next.id, next.to);
                    tree.add_child(node, id, to);
                }
                levels.push(Level { tree: node, sleep });
            }
            let child = tree.nodes[levels[depth].tree as usize].children[0];
            let id = tree.nodes[child as usize].id;
            let Some(position) = system.find(id) else {
                return Err(ExploreError::Nondeterministic {
                    position: depth + 1,
                    message: id,
                });
            };
            system.deliver(position)?;
            stats.steps += 1;
            depth += 1;
            if depth > diverge
                && let Some(violation) = explorer.check_step(&system)
            {
                stats.executions += 1;
                return Ok(Report::violated(stats, violation));
            }
        }
        stats.executions += 1;
        explorer.observe(&system);
        if maximal && let Some(violation) = explorer.check_end(&system) {
            return Ok(Report::violated(stats, violation));
        }
        if explorer
            .max_executions
            .is_some_and(|max| stats.executions >= max)
        {
            stats.complete = false;
            return Ok(Report::clean(stats));
        }
        for j in diverge..system.steps.len() {
            insert_race(&system, &mut tree, &levels, j);
        }
        // Backtrack: the explored step leaves each finished state's wakeup tree for its
        // sleep set; the deepest state with a step left to explore is where the next
        // execution diverges.
        loop {
            let Some(level) = levels.last_mut() else {
                stats.complete = stats.truncated == 0;
                return Ok(Report::clean(stats));
            };
            let children = &mut tree.nodes[level.tree as usize].children;
            let done = children.remove(0);
            let (id, to) = (tree.nodes[done as usize].id, tree.nodes[done as usize].to);
            level.sleep.push((id, to));
            tree.release(done);
            if !tree.nodes[level.tree as usize].children.is_empty() {
                diverge = levels.len() - 1;
                break;
            }
            levels.pop();
        }
    }
}

fn sleep_contains(sleep: &[(MessageId, u32)], id: MessageId) -> bool {
    sleep.iter().any(|&(q, _)| q == id)
}

/// If step `j` is in a reversible race with the previous delivery at its node, puts the
/// reversal into the wakeup tree of the state before that delivery.
fn insert_race<A: Actor>(system: &System<A>, tree: &mut Tree, levels: &[Level], j: usize) {
    let step = system.steps[j];
    if step.prev_at_node == 0 {
        return;
    }
    let i = step.prev_at_node as usize - 1;
    let node = step.to as usize;
    let e = system.steps[i];
    if system.send_clock_entry(j, node) >= e.index_at_node {
        return; // e' was sent after e (causally): it cannot come first.
    }
    // notdep(e).e': the steps between that do not happen after e, then e'.
    let mut sequence: Vec<Event> = (i + 1..j)
        .filter(|&k| system.clock_entry(k, node) < e.index_at_node)
        .map(|k| {
            let s = system.steps[k];
            Event {
                id: s.id,
                to: s.to,
                index_at_node: s.index_at_node,
                clock_step: Some(k),
            }
        })
        .collect();
    sequence.push(Event {
        id: step.id,
        to: step.to,
        index_at_node: e.index_at_node, // e' takes e's place at the node
        clock_step: match step.sent_in {
            0 => None,
            sent_in => Some(sent_in as usize - 1),
        },
    });
    let level = &levels[i];
    if level
        .sleep
        .iter()
        .any(|&(q, to)| weak_initial(system, &sequence, q, to).is_some())
    {
        return; // a sleeping message starts it: explored already.
    }
    let mut at = level.tree;
    loop {
        if sequence.is_empty() {
            return;
        }
        let children = &tree.nodes[at as usize].children;
        if children.is_empty() && at != level.tree {
            return; // a leaf: some continuation of it will be explored, and covers this.
        }
        let mut next = None;
        for &child in children {
            let c = &tree.nodes[child as usize];
            if let Some(position) = weak_initial(system, &sequence, c.id, c.to) {
                if let Some(position) = position {
                    sequence.remove(position);
                }
                next = Some(child);
                break;
            }
        }
        match next {
            Some(child) => at = child,
            None => {
                for event in sequence {
                    at = tree.add_child(at, event.id, event.to);
                }
                return;
            }
        }
    }
}
