//! Tree clocks (Mathur, Pavlogiannis, Tunç, Viswanathan, "A Tree Clock Data Structure for
//! Causal Orderings in Concurrent Executions", ASPLOS 2022) for thread and lock clocks.
//!
//! A tree clock is a vector clock whose entries are arranged in a tree: the root is the
//! owning thread (for a lock: the thread that last released it), and node v under parent u
//! with attachment time `aclk(v)` records that u learned v's entry `clk(v)` when u's own
//! entry was `aclk(v)`. Children are kept in decreasing `aclk` order. So if a clock already
//! knows u at `aclk(v)` or later, it knows all of v's subtree and every later (older)
//! sibling: a join stops there and visits only the entries that change, instead of all of
//! them. The entries also sit in a flat array, so the race checks read `C_t[u]` in O(1).
//!
//! Release (`L := C_t`) copies the thread's tree clock wholesale, two `memcpy`s of a few
//! hundred bytes, instead of the paper's `MonotoneCopy`, which walks the changed nodes:
//! on the benchmark traces (64 threads, locks shared by all) a release changed about a
//! third of the entries, and the pointer walk at tens of nanoseconds per node lost to the
//! copy (tree engine 5.3 -> 7.0 M events/s of CPU time at 64 threads, A/B in one sitting).
//! The copy is the same tree, so later joins from the lock still visit only what changed.

use super::SyncClocks;

const NONE: u32 = u32::MAX;

/// One tree clock. Node u is present iff `clk[u] > 0` (every thread's entry starts at 1).
#[derive(Debug)]
struct TreeClock {
    root: u32,
    /// The entries, flat, for O(1) reads by the race checks.
    clk: Vec<u32>,
    /// The tree links, one 20-byte record per node so that a visit touches one cache line.
    nodes: Vec<Node>,
}

/// Where a node hangs: its attachment time, parent, first child and siblings.
#[derive(Debug, Clone, Copy)]
struct Node {
    aclk: u32,
    parent: u32,
    first_child: u32,
    next: u32,
    prev: u32,
}

const DETACHED: Node = Node {
    aclk: 0,
    parent: NONE,
    first_child: NONE,
    next: NONE,
    prev: NONE,
};

impl Clone for TreeClock {
    fn clone(&self) -> Self {
        TreeClock {
            root: self.root,
            clk: self.clk.clone(),
            nodes: self.nodes.clone(),
        }
    }

    /// Field by field, reusing the allocations (the derived one would allocate anew).
    fn clone_from(&mut self, source: &Self) {
        self.root = source.root;
        self.clk.clone_from(&source.clk);
        self.nodes.clone_from(&source.nodes);
    }
}

impl TreeClock {
    fn empty() -> Self {
        TreeClock {
            root: NONE,
            clk: Vec::new(),
            nodes: Vec::new(),
        }
    }

    fn for_thread(t: u32) -> Self {
        let mut clock = TreeClock::empty();
        clock.ensure(t);
        clock.root = t;
        clock.clk[t as usize] = 1;
        clock
    }

    #[inline]
    fn get(&self, u: u32) -> u32 {
        self.clk.get(u as usize).copied().unwrap_or(0)
    }

    fn ensure(&mut self, u: u32) {
        let len = u as usize + 1;
        if self.clk.len() < len {
            self.clk.resize(len, 0);
            self.nodes.resize(len, DETACHED);
        }
    }

    fn detach(&mut self, u: u32) {
        let i = u as usize;
        let Node {
            parent, prev, next, ..
        } = self.nodes[i];
        if parent == NONE {
            return;
        }
        if prev == NONE {
            self.nodes[parent as usize].first_child = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next != NONE {
            self.nodes[next as usize].prev = prev;
        }
        let node = &mut self.nodes[i];
        node.parent = NONE;
        node.prev = NONE;
        node.next = NONE;
    }

    /// Makes u the first (most recently attached) child of p.
    fn push_child(&mut self, u: u32, p: u32) {
        let old_first = std::mem::replace(&mut self.nodes[p as usize].first_child, u);
        let node = &mut self.nodes[u as usize];
        node.parent = p;
        node.prev = NONE;
        node.next = old_first;
        if old_first != NONE {
            self.nodes[old_first as usize].prev = u;
        }
    }

    /// Post-order list of the nodes of `other` whose entries exceed ours, found from the
    /// root down with the tree-clock pruning. `self` is at least as long as `other`. The
    /// node being scanned and its cursor stay in registers; the stack holds its ancestors.
    fn collect_updated(&self, other: &TreeClock, stack: &mut Vec<(u32, u32)>, out: &mut Vec<u32>) {
        out.clear();
        stack.clear();
        let (mine, theirs, links) = (&self.clk[..], &other.clk[..], &other.nodes[..]);
        let mut u = other.root;
        let mut cursor = links[u as usize].first_child;
        loop {
            if cursor == NONE {
                out.push(u);
                match stack.pop() {
                    Some((parent, next)) => (u, cursor) = (parent, next),
                    None => return,
                }
                continue;
            }
            let v = cursor;
            let link = links[v as usize];
            cursor = link.next;
            if mine[v as usize] < theirs[v as usize] {
                stack.push((u, cursor));
                (u, cursor) = (v, link.first_child);
            } else if link.aclk <= mine[u as usize] {
                // Every later child was attached earlier: all known already.
                cursor = NONE;
            }
        }
    }

    /// Re-links the listed nodes (post-order, so parents are popped before children) with
    /// `other`'s entries and attachment times.
    fn attach_from(&mut self, other: &TreeClock, nodes: &[u32]) {
        for &v in nodes {
            if self.clk[v as usize] > 0 {
                self.detach(v);
            }
        }
        for &u in nodes.iter().rev() {
            let i = u as usize;
            self.clk[i] = other.clk[i];
            let link = other.nodes[i];
            if link.parent != NONE {
                self.nodes[i].aclk = link.aclk;
                self.push_child(u, link.parent);
            }
        }
    }

    /// `self := self ⊔ other`.
    fn join(&mut self, other: &TreeClock, stack: &mut Vec<(u32, u32)>, nodes: &mut Vec<u32>) {
        let z = other.root;
        if z == NONE || other.clk[z as usize] <= self.get(z) {
            return;
        }
        // One resize up front: every node of `other` indexes `self` directly below.
        if self.clk.len() < other.clk.len() {
            self.clk.resize(other.clk.len(), 0);
            self.nodes.resize(other.clk.len(), DETACHED);
        }
        self.collect_updated(other, stack, nodes);
        self.attach_from(other, nodes);
        let root = self.root;
        self.nodes[z as usize].aclk = self.clk[root as usize];
        self.push_child(z, root);
    }

    fn tick(&mut self) -> bool {
        let own = &mut self.clk[self.root as usize];
        match own.checked_add(1) {
            Some(next) => {
                *own = next;
                true
            }
            None => false,
        }
    }
}

/// Tree clocks for every thread and lock.
#[derive(Debug, Default)]
pub(crate) struct TreeClocks {
    threads: Vec<TreeClock>,
    locks: Vec<TreeClock>,
    stack: Vec<(u32, u32)>,
    nodes: Vec<u32>,
}

impl SyncClocks for TreeClocks {
    fn add_thread(&mut self) {
        let t = self.threads.len() as u32;
        self.threads.push(TreeClock::for_thread(t));
    }

    fn add_lock(&mut self) {
        self.locks.push(TreeClock::empty());
    }

    #[inline]
    fn clock(&self, t: u32) -> &[u32] {
        &self.threads[t as usize].clk
    }

    fn acquire(&mut self, t: u32, l: u32) {
        self.threads[t as usize].join(&self.locks[l as usize], &mut self.stack, &mut self.nodes);
    }

    fn release(&mut self, t: u32, l: u32) -> bool {
        let thread = &mut self.threads[t as usize];
        self.locks[l as usize].clone_from(thread);
        thread.tick()
    }

    fn fork(&mut self, t: u32, u: u32) -> bool {
        let parent = std::mem::replace(&mut self.threads[t as usize], TreeClock::empty());
        self.threads[u as usize].join(&parent, &mut self.stack, &mut self.nodes);
        self.threads[t as usize] = parent;
        self.threads[t as usize].tick()
    }

    fn join(&mut self, t: u32, u: u32) {
        let child = std::mem::replace(&mut self.threads[u as usize], TreeClock::empty());
        self.threads[t as usize].join(&child, &mut self.stack, &mut self.nodes);
        self.threads[u as usize] = child;
    }
}

#[cfg(test)]
mod tests {
    use super::super::vector_clock::FlatClocks;
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn same(tree: &TreeClocks, flat: &FlatClocks, threads: u32) {
        for t in 0..threads {
            let (a, b) = (tree.clock(t), flat.clock(t));
            for u in 0..threads {
                assert_eq!(
                    super::super::entry(a, u),
                    super::super::entry(b, u),
                    "thread {t} entry {u}"
                );
            }
        }
    }

    /// Random well-formed lock/fork/join schedules (fork only fresh threads, no events after
    /// a join): tree clocks equal flat clocks after
    /// every step.
    #[test]
    fn tree_clocks_equal_flat_clocks() {
        for seed in 0..300 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let threads: u32 = rng.random_range(2..7);
            let locks: u32 = rng.random_range(1..4);
            let (mut tree, mut flat) = (TreeClocks::default(), FlatClocks::default());
            for _ in 0..threads {
                tree.add_thread();
                flat.add_thread();
            }
            for _ in 0..locks {
                tree.add_lock();
                flat.add_lock();
            }
            let mut holder = vec![NONE; locks as usize];
            // 0 fresh, 1 running, 2 joined: fork only fresh threads, join running ones.
            let mut state = vec![0u8; threads as usize];
            state[0] = 1;
            for _ in 0..200 {
                let t = rng.random_range(0..threads);
                if state[t as usize] != 1 {
                    continue;
                }
                let l = rng.random_range(0..locks);
                let choice = rng.random_range(0..10);
                if choice < 8 {
                    if holder[l as usize] == NONE {
                        tree.acquire(t, l);
                        flat.acquire(t, l);
                        holder[l as usize] = t;
                    } else if holder[l as usize] == t {
                        assert!(tree.release(t, l) && flat.release(t, l));
                        holder[l as usize] = NONE;
                    }
                } else {
                    let u = rng.random_range(0..threads);
                    if choice == 8 && state[u as usize] == 0 {
                        assert!(tree.fork(t, u) && flat.fork(t, u));
                        state[u as usize] = 1;
                    } else if choice == 9 && u != t && state[u as usize] == 1 {
                        tree.join(t, u);
                        flat.join(t, u);
                        state[u as usize] = 2;
                    }
                }
                same(&tree, &flat, threads);
            }
        }
    }
}
