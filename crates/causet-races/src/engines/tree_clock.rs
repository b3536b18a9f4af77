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
//! A tree join costs about 100 instructions per entry that changes (a visit, and a move
//! of the node: unlink, relink, four neighbours' links), a vectorised max a few per entry
//! whether it changes or not. So each join picks its way ([`TreeClocks`]): the tree join
//! when the receiving thread's recent joins changed few entries, else a flat max after which
//! the tree is re-hung as a star, every node a child of the root attached at the root's
//! current entry (valid: see [`TreeClock::star`]). A star with every node present is a
//! fixed pattern: it is kept as its attachment time only and written out when a tree join
//! needs it. On traces where a join changes a fifth or more of 64 entries the flat way
//! wins by 5x or more; with hundreds of threads and joins that change a handful of
//! entries, the tree way should, as in the paper (the bench traces have none such).
//!
//! Release (`L := C_t`) copies the thread's tree clock wholesale, two `memcpy`s (20 bytes
//! per thread; only the entries for a star), instead of the paper's `MonotoneCopy`, which walks the changed nodes:
//! on the benchmark traces (64 threads, locks shared by all) a release changed about a
//! third of the entries, and the pointer walk at tens of nanoseconds per node lost to the
//! copy (tree engine 5.3 -> 7.0 M events/s of CPU time at 64 threads, A/B in one sitting).
//! The copy is the same tree, so later joins from the lock still visit only what changed.

use std::collections::TryReserveError;

use super::SyncClocks;

/// No node (an empty slot, or no parent).
const NONE: u32 = u32::MAX;

/// The words of a node's record in [`TreeClock::links`].
const ACLK: usize = 0;
const FIRST_CHILD: usize = 1;
const NEXT: usize = 2;
const PREV: usize = 3;

/// One tree clock. Node u is present iff `clk[u] > 0` (every thread's entry starts at 1).
///
/// The links of node u are one 16-byte record `links[u]`: its attachment time, its first
/// child, its next sibling, and `prev`, a reference `4p + w` to the word that points at u:
/// word `FIRST_CHILD` of its parent or word `NEXT` of its previous sibling p (`NONE` for
/// the root and for absent nodes). So unlinking u is one store through `prev` and one
/// back-link fix, with no branch on whether u is a first child. References are `4u + 3 <
/// 2^32`: at most 2^30 threads, far beyond what the O(threads²) clocks could hold anyway.
#[derive(Debug)]
struct TreeClock {
    root: u32,
    /// The entries, flat, for O(1) reads by the race checks.
    clk: Vec<u32>,
    /// The tree, one record per node (see above); `links.len() == clk.len()`. Stale while
    /// `star` holds.
    links: Vec<[u32; 4]>,
    /// Whether the tree is the full star of [`TreeClock::star`] attached at `star_time`
    /// (every node present, the root's children in index order). Then `links` is not kept
    /// up to date: the star is a fixed pattern, written out ([`TreeClock::materialize`])
    /// only when a tree join needs it; flat joins and releases skip the records.
    star: bool,
    star_time: u32,
}

/// The links of a node that is in no tree.
const DETACHED: [u32; 4] = [0, NONE, NONE, NONE];

/// The reference to word `word` of node u's record.
#[inline(always)]
fn at(u: u32, word: usize) -> u32 {
    (u << 2) | word as u32
}

/// The word a reference points at (one bounds check, on the node).
#[inline(always)]
fn word(links: &[[u32; 4]], r: u32) -> u32 {
    links[(r >> 2) as usize][(r & 3) as usize]
}

#[inline(always)]
fn set_word(links: &mut [[u32; 4]], r: u32, value: u32) {
    links[(r >> 2) as usize][(r & 3) as usize] = value;
}

/// One level of the join's pre-order walk below a node u already moved into place in the
/// receiving clock: the receiver's entry for u before the join, the next child of u in
/// the sending clock to look at, and the word (of the receiver's links) after which the
/// next updated child of u goes.
#[derive(Debug, Clone, Copy, Default)]
struct Frame {
    old: u32,
    cursor: u32,
    slot: u32,
}

impl Clone for TreeClock {
    fn clone(&self) -> Self {
        TreeClock {
            root: self.root,
            clk: self.clk.clone(),
            links: self.links.clone(),
            star: self.star,
            star_time: self.star_time,
        }
    }

    /// Field by field, reusing the allocations (the derived one would allocate anew); a
    /// star's records are not copied, only sized.
    fn clone_from(&mut self, source: &Self) {
        self.root = source.root;
        self.clk.clone_from(&source.clk);
        if source.star {
            self.links.resize(source.links.len(), DETACHED);
        } else {
            self.links.clone_from(&source.links);
        }
        self.star = source.star;
        self.star_time = source.star_time;
    }
}

impl TreeClock {
    fn empty() -> Self {
        TreeClock {
            root: NONE,
            clk: Vec::new(),
            links: Vec::new(),
            star: false,
            star_time: 0,
        }
    }

    /// The clock of a new thread t, or an error when its entries cannot be allocated.
    fn for_thread(t: u32) -> Result<Self, TryReserveError> {
        let mut clock = TreeClock::empty();
        let len = t as usize + 1;
        clock.clk.try_reserve_exact(len)?;
        clock.links.try_reserve_exact(len)?;
        clock.grow(len);
        clock.root = t;
        clock.clk[t as usize] = 1;
        Ok(clock)
    }

    #[inline]
    fn get(&self, u: u32) -> u32 {
        self.clk.get(u as usize).copied().unwrap_or(0)
    }

    /// Room for nodes `0 .. len` (absent ones detached).
    fn grow(&mut self, len: usize) {
        if self.clk.len() < len {
            self.materialize();
            // Exactly: clocks only grow towards the thread count, so doubling would leave
            // up to half of every clock unused.
            self.clk.reserve_exact(len - self.clk.len());
            self.links.reserve_exact(len - self.links.len());
            self.clk.resize(len, 0);
            self.links.resize(len, DETACHED);
            self.star = false;
        }
    }

    /// `self := self ⊔ other`, the `way` asked for; returns how many entries changed.
    /// O(1) when we already know `other`'s root entry (then we know all of `other`).
    /// A tree join writes out a star on either side first (O(entries), as is the visit of
    /// a star's children that follows).
    fn join(&mut self, other: &mut TreeClock, stack: &mut Vec<Frame>, way: Way) -> u32 {
        let z = other.root;
        if z == NONE || other.clk[z as usize] <= self.get(z) {
            return 0;
        }
        // One resize up front: every node of `other` indexes `self` directly below.
        self.grow(other.clk.len());
        match way {
            Way::Tree => {
                self.materialize();
                other.materialize();
                self.join_tree(other, stack)
            }
            Way::Flat => self.join_flat(other),
        }
    }

    /// The tree join: visits only the nodes of `other` whose entries are newer than ours,
    /// plus at most one more child per visited node (the pruning of the paper's `Join`),
    /// in one pre-order pass that moves each updated node into place as it goes. `other`'s
    /// root is newer than ours and `self` is at least as long as `other`.
    ///
    /// The updated nodes form a subtree of `other` holding its root z: if we knew a node's
    /// parent u at its attachment time or later, we knew it, so an updated node's parent is
    /// updated too. Each updated node v keeps its own subtree of ours (what we learned
    /// through v earlier still holds: v's history only grows) and moves under its parent in
    /// `other` (z: under our root), in front of that parent's old children, in `other`'s
    /// order: its attachment time exceeds our old entry of the parent, and so every old
    /// child's, which keeps the children in decreasing attachment time.
    fn join_tree(&mut self, other: &TreeClock, stack: &mut Vec<Frame>) -> u32 {
        debug_assert!(!self.star && !other.star);
        let (z, root) = (other.root, self.root);
        let root_clock = self.clk[root as usize];
        let n = other.clk.len();
        // Ours indexed by their nodes: one length for the three, one bounds check per visit.
        let (theirs, their_links) = (&other.clk[..n], &other.links[..n]);
        let mine = &mut self.clk[..n];
        let links = &mut self.links[..];
        // z goes first under our root, attached now.
        let old_z = mine[z as usize];
        mine[z as usize] = theirs[z as usize];
        move_after(links, z, root_clock, at(root, FIRST_CHILD));
        // The walk is at most n deep: the frames live in a slice of that length, one bounds
        // check per push and pop, no growth checks.
        if stack.len() < n {
            stack.resize(n, Frame::default());
        }
        let mut depth = 0;
        let mut moved = 1;
        let mut frame = Frame {
            old: old_z,
            cursor: their_links[z as usize][FIRST_CHILD],
            slot: at(z, FIRST_CHILD),
        };
        loop {
            let v = frame.cursor;
            if v == NONE {
                if depth == 0 {
                    return moved;
                }
                depth -= 1;
                frame = stack[depth];
                continue;
            }
            let i = v as usize;
            let record = their_links[i];
            let (aclk, first_child) = (record[ACLK], record[FIRST_CHILD]);
            frame.cursor = record[NEXT];
            let (old, new) = (mine[i], theirs[i]);
            if old < new {
                mine[i] = new;
                move_after(links, v, aclk, frame.slot);
                moved += 1;
                frame.slot = at(v, NEXT);
                if first_child != NONE {
                    stack[depth] = frame;
                    depth += 1;
                    frame = Frame {
                        old,
                        cursor: first_child,
                        slot: at(v, FIRST_CHILD),
                    };
                }
            } else if aclk <= frame.old {
                // Every later child was attached earlier: all known already.
                frame.cursor = NONE;
            }
        }
    }

    /// The flat join: the element-wise max over all of `other`'s entries (vectorised), after
    /// which the tree is re-hung as a star ([`TreeClock::star`]). `other`'s root is newer
    /// than ours and `self` is at least as long as `other`.
    fn join_flat(&mut self, other: &TreeClock) -> u32 {
        let n = other.clk.len();
        let mut changed = 0;
        for (a, &b) in self.clk[..n].iter_mut().zip(&other.clk) {
            changed += u32::from(b > *a);
            *a = (*a).max(b);
        }
        self.star();
        changed
    }

    /// Hangs every present node directly under the root, as a leaf attached at the root's
    /// current entry k. A valid tree clock for any entries: a clock that learns our root at
    /// k or later learns it where the root's epoch k ends (a release, a fork, or a join of
    /// a finished thread: the engine ticks right after each, and only then is k seen), when
    /// our clock is at least what it is now; so it knows every entry we hold now. It prunes
    /// less than the tree it replaces (a later tree join from it looks at every child), and
    /// costs one sequential pass over the records.
    fn star(&mut self) {
        let root = self.root as usize;
        let k = self.clk[root];
        let len = self.clk.len();
        // Every node present (the usual case once threads have met; entries never return
        // to 0, so a star stays full): the children in index order, kept as a pattern.
        if self.star || (len >= 3 && self.clk.iter().fold(true, |all, &entry| all & (entry != 0))) {
            self.star = true;
            self.star_time = k;
            return;
        }
        let links = &mut self.links[..];
        links[root] = DETACHED;
        let mut slot = at(root as u32, FIRST_CHILD);
        for (v, &entry) in self.clk.iter().enumerate() {
            if entry == 0 || v == root {
                continue;
            }
            let v = v as u32;
            links[v as usize] = [k, NONE, NONE, slot];
            set_word(links, slot, v);
            slot = at(v, NEXT);
        }
    }

    /// Writes out the records of a full star (see `star`): in one sequential pass, then the
    /// root cut out of the chain.
    fn materialize(&mut self) {
        if !self.star {
            return;
        }
        self.star = false;
        let (root, len) = (self.root as usize, self.clk.len());
        // Record v is [k, NONE, v + 1, at(v - 1, NEXT) = 4v - 2]: a vector step of
        // [0, 0, 1, 4] from one record to the next.
        let mut record = [self.star_time, NONE, 1, at(0, NEXT).wrapping_sub(4)];
        for slot in self.links.iter_mut() {
            *slot = record;
            record[NEXT] += 1;
            record[PREV] = record[PREV].wrapping_add(4);
        }
        let links = &mut self.links[..];
        let first = usize::from(root == 0);
        let last = if root == len - 1 { len - 2 } else { len - 1 };
        if root > 0 && root < len - 1 {
            links[root - 1][NEXT] = root as u32 + 1;
            links[root + 1][PREV] = at(root as u32 - 1, NEXT);
        }
        links[first][PREV] = at(root as u32, FIRST_CHILD);
        links[last][NEXT] = NONE;
        links[root] = [0, first as u32, NONE, NONE];
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

/// Unlinks node v from wherever it hangs in `links` (if anywhere) and links it, with
/// attachment time `aclk`, after the word `slot` (a parent's `FIRST_CHILD` word or a
/// sibling's `NEXT` word, never v's own). v keeps its own children.
#[inline(always)]
fn move_after(links: &mut [[u32; 4]], v: u32, aclk: u32, slot: u32) {
    let [_, first_child, old_next, old_prev] = links[v as usize];
    if old_prev != NONE {
        set_word(links, old_prev, old_next);
        if old_next != NONE {
            links[old_next as usize][PREV] = old_prev;
        }
    }
    let next = word(links, slot);
    set_word(links, slot, v);
    links[v as usize] = [aclk, first_child, next, slot];
    if next != NONE {
        links[next as usize][PREV] = at(v, NEXT);
    }
}

/// How a join is done: [`TreeClock::join_tree`] or [`TreeClock::join_flat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Tree,
    Flat,
}

/// Instructions per changed entry of a tree join (its visit and its move, with the
/// unchanged nodes visited beside), and per entry of the sender in a flat join (the max,
/// counting the changes, and the check that every node is present), measured with
/// cachegrind on the 64-thread bench traces: about 100 and 5.
const TREE_COST: u32 = 100;
const FLAT_COST: u32 = 5;

/// Picks the cheaper join for a thread from `recent`, 8 times a running average of the
/// entries its joins changed, for a sender of `len` entries; then folds in what changed.
fn adaptive_join(
    clock: &mut TreeClock,
    recent: &mut u32,
    other: &mut TreeClock,
    stack: &mut Vec<Frame>,
) {
    let len = other.clk.len() as u64;
    let expected = u64::from(*recent) / 8;
    let way = if expected * u64::from(TREE_COST) > len * u64::from(FLAT_COST) {
        Way::Flat
    } else {
        Way::Tree
    };
    let changed = clock.join(other, stack, way);
    if changed > 0 {
        *recent = *recent - *recent / 8 + changed.min(1 << 24);
    }
}

/// Tree clocks for every thread and lock.
///
/// Each join picks its way by the receiving thread's recent joins: the tree join costs
/// about `TREE_COST` instructions per entry that changes, the flat join about `FLAT_COST`
/// per entry of the sender, so a thread whose joins change more than 5% of the entries
/// joins flat (on the 64-thread bench traces, 20-38% change).
#[derive(Debug, Default)]
pub(crate) struct TreeClocks {
    threads: Vec<TreeClock>,
    /// Per thread: 8 times the running average of entries its joins changed.
    recent: Vec<u32>,
    locks: Vec<TreeClock>,
    stack: Vec<Frame>,
}

impl SyncClocks for TreeClocks {
    fn add_thread(&mut self) -> Result<(), TryReserveError> {
        let t = self.threads.len() as u32;
        self.threads.try_reserve(1)?;
        self.recent.try_reserve(1)?;
        self.threads.push(TreeClock::for_thread(t)?);
        self.recent.push(0);
        Ok(())
    }

    fn add_lock(&mut self) {
        self.locks.push(TreeClock::empty());
    }

    #[inline]
    fn clock(&self, t: u32) -> &[u32] {
        &self.threads[t as usize].clk
    }

    fn acquire(&mut self, t: u32, l: u32) {
        let t = t as usize;
        adaptive_join(
            &mut self.threads[t],
            &mut self.recent[t],
            &mut self.locks[l as usize],
            &mut self.stack,
        );
    }

    fn release(&mut self, t: u32, l: u32) -> bool {
        let thread = &mut self.threads[t as usize];
        self.locks[l as usize].clone_from(thread);
        thread.tick()
    }

    fn fork(&mut self, t: u32, u: u32) -> bool {
        let mut parent = std::mem::replace(&mut self.threads[t as usize], TreeClock::empty());
        let u = u as usize;
        adaptive_join(
            &mut self.threads[u],
            &mut self.recent[u],
            &mut parent,
            &mut self.stack,
        );
        self.threads[t as usize] = parent;
        self.threads[t as usize].tick()
    }

    fn join(&mut self, t: u32, u: u32) {
        let mut child = std::mem::replace(&mut self.threads[u as usize], TreeClock::empty());
        let t = t as usize;
        adaptive_join(
            &mut self.threads[t],
            &mut self.recent[t],
            &mut child,
            &mut self.stack,
        );
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

    /// Checks the shape of a tree clock: every present node but the root hangs in the tree
    /// exactly once, reachable from the root, with back-links right; absent nodes are
    /// detached; children are in non-increasing attachment time, none after its parent's
    /// entry. (What the pruning relies on beyond this is checked by the entries: a wrong
    /// prune leaves an entry behind the flat model's.)
    fn check_shape(clock: &TreeClock) {
        // A star is checked as written out (a copy: the clock itself stays a star).
        let mut written = clock.clone();
        written.materialize();
        let clock = &written;
        let n = clock.clk.len();
        assert_eq!(clock.links.len(), n);
        if clock.root == NONE {
            assert!(clock.clk.iter().all(|&c| c == 0));
            return;
        }
        let mut seen = vec![false; n];
        let mut todo = vec![clock.root];
        seen[clock.root as usize] = true;
        assert_eq!(
            clock.links[clock.root as usize][PREV], NONE,
            "root has no parent"
        );
        while let Some(u) = todo.pop() {
            assert!(clock.clk[u as usize] > 0, "node {u} in the tree but absent");
            let mut slot = at(u, FIRST_CHILD);
            let mut last_aclk = u32::MAX;
            while word(&clock.links, slot) != NONE {
                let v = word(&clock.links, slot);
                assert!(!seen[v as usize], "node {v} twice");
                seen[v as usize] = true;
                assert_eq!(clock.links[v as usize][PREV], slot, "back-link of {v}");
                let aclk = clock.links[v as usize][ACLK];
                assert!(aclk <= last_aclk, "children of {u} out of order");
                assert!(
                    aclk <= clock.clk[u as usize],
                    "{v} attached after {u}'s entry"
                );
                last_aclk = aclk;
                todo.push(v);
                slot = at(v, NEXT);
            }
        }
        for (u, &seen) in seen.iter().enumerate() {
            if !seen {
                assert_eq!(clock.clk[u], 0, "node {u} present but not in the tree");
                assert_eq!(clock.links[u][PREV], NONE);
            }
        }
    }

    /// A random way of joining, mostly the tree join (a flat join flattens the tree).
    fn way(rng: &mut ChaCha8Rng) -> Way {
        if rng.random_range(0..4) == 0 {
            Way::Flat
        } else {
            Way::Tree
        }
    }

    /// Tree clocks driven directly, without lock discipline: threads tick, snapshots copy
    /// a thread's clock (any time, so a copy may go backwards), and a thread joins another
    /// thread or a snapshot. As in the engine, a clock seen by another ends its owner's
    /// epoch (the owner ticks right after a copy or being joined; tree clocks need this:
    /// knowing u at k must mean knowing all u knew at k). After every step each clock's
    /// entries equal a flat vector clock's (the element-wise max) and its shape is sound;
    /// up to 40 threads, so the trees get deep and wide.
    #[test]
    fn joins_and_copies_equal_flat_vector_clocks() {
        for seed in 0..200 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let threads: u32 = rng.random_range(2..41);
            let snapshots: usize = rng.random_range(1..6);
            let mut trees: Vec<TreeClock> = (0..threads)
                .map(|t| TreeClock::for_thread(t).expect("allocates"))
                .collect();
            let mut flat: Vec<Vec<u32>> = (0..threads as usize)
                .map(|t| {
                    let mut clock = vec![0; threads as usize];
                    clock[t] = 1;
                    clock
                })
                .collect();
            let mut snapshot_trees: Vec<TreeClock> =
                (0..snapshots).map(|_| TreeClock::empty()).collect();
            let mut snapshot_flat = vec![vec![0u32; threads as usize]; snapshots];
            let mut stack = Vec::new();
            for _ in 0..300 {
                let t = rng.random_range(0..threads) as usize;
                let s = rng.random_range(0..snapshots);
                match rng.random_range(0..4) {
                    0 => {
                        assert!(trees[t].tick());
                        flat[t][t] += 1;
                    }
                    1 => {
                        snapshot_trees[s].clone_from(&trees[t]);
                        snapshot_flat[s].clone_from(&flat[t]);
                        check_shape(&snapshot_trees[s]);
                        assert!(trees[t].tick());
                        flat[t][t] += 1;
                    }
                    2 => {
                        trees[t].join(&mut snapshot_trees[s], &mut stack, way(&mut rng));
                        for (a, &b) in flat[t].iter_mut().zip(&snapshot_flat[s]) {
                            *a = (*a).max(b);
                        }
                    }
                    _ => {
                        let u = rng.random_range(0..threads) as usize;
                        if u != t {
                            let mut other = std::mem::replace(&mut trees[u], TreeClock::empty());
                            trees[t].join(&mut other, &mut stack, way(&mut rng));
                            trees[u] = other;
                            let other = flat[u].clone();
                            for (a, &b) in flat[t].iter_mut().zip(&other) {
                                *a = (*a).max(b);
                            }
                            assert!(trees[u].tick());
                            flat[u][u] += 1;
                            check_shape(&trees[u]);
                        }
                    }
                }
                check_shape(&trees[t]);
                for u in 0..threads {
                    assert_eq!(
                        trees[t].get(u),
                        flat[t][u as usize],
                        "seed {seed} entry {u}"
                    );
                }
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
                tree.add_thread().expect("allocates");
                flat.add_thread().expect("allocates");
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
                for clock in tree.threads.iter().chain(&tree.locks) {
                    check_shape(clock);
                }
            }
        }
    }
}
