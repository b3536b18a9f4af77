//! Lamport clocks: one counter per node, consistent with happens-before but blind to
//! concurrency.

use crate::LogicalClock;

/// A Lamport clock: a single counter per node.
///
/// Every event ticks the counter; a send attaches the ticked time as the stamp; a receive
/// sets the time to `max(own, stamp) + 1`. If `a` happened before `b` then
/// `time(a) < time(b)`, but **not** the converse: two concurrent events still get ordered
/// times, so a Lamport clock cannot tell "before" from "concurrent". A
/// [`VectorClock`](crate::VectorClock) can.
///
/// The execution below has two nodes. `p` sends a message to `q` and then does a local
/// event `e`; `q` does a local event `f` before the message arrives. `e` and `f` are
/// concurrent (no message path joins them), yet their Lamport times are ordered; the
/// vector clocks of the same execution say `Concurrent`:
///
/// ```
/// use causet_clock::{Causality, LamportClock, VectorClock};
///
/// let (mut p, mut q) = (LamportClock::new(), LamportClock::new());
/// let (mut vp, mut vq) = (VectorClock::new(), VectorClock::new());
///
/// let stamp = p.send(); // p: 1
/// let vstamp = vp.send(0);
/// let e = p.tick(); // p: 2, event e
/// vp.tick(0);
/// let ve = vp.clone();
///
/// q.tick(); // q: 1, event f
/// vq.tick(1);
/// let f = q.time();
/// let vf = vq.clone();
/// q.receive(stamp); // q: max(1, 1) + 1 = 2
/// vq.receive(1, &vstamp);
///
/// assert_eq!((e, f), (2, 1)); // Lamport: f < e, as if f happened before e ...
/// assert_eq!(ve.compare(&vf), Causality::Concurrent); // ... but they are concurrent.
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct LamportClock {
    time: u64,
}

impl LamportClock {
    /// A clock at time 0 (no event yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock at the given time.
    pub fn at(time: u64) -> Self {
        LamportClock { time }
    }

    /// The current time: the time of the last event, 0 before any.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// A local event: increments the time and returns it.
    ///
    /// A time already at `u64::MAX` stays there: ticks saturate, in every build (see the
    /// [crate docs](crate#overflow)).
    pub fn tick(&mut self) -> u64 {
        self.time = self.time.saturating_add(1);
        self.time
    }

    /// A send event: ticks and returns the new time, the stamp to attach to the message.
    pub fn send(&mut self) -> u64 {
        LogicalClock::send(self, &())
    }

    /// A receive event of a message stamped `stamp`: the time becomes
    /// `max(time, stamp) + 1` (saturating at `u64::MAX`), which is returned.
    pub fn receive(&mut self, stamp: u64) -> u64 {
        LogicalClock::receive(self, &(), &stamp)
    }
}

impl LogicalClock for LamportClock {
    type Node = ();
    type Stamp = u64;

    fn tick(&mut self, _node: &()) -> u64 {
        LamportClock::tick(self)
    }

    fn stamp(&self) -> u64 {
        self.time
    }

    fn merge_stamp(&mut self, stamp: &u64) {
        self.time = self.time.max(*stamp);
    }
}
