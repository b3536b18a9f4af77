//! The send and receive rule, written once for every clock.

/// A logical clock owned by one node: the rule for sending and receiving messages.
///
/// Implementors say how to [`tick`](Self::tick) (an event on a node), what the
/// [`stamp`](Self::stamp) attached to an outgoing message is, and how to
/// [`merge_stamp`](Self::merge_stamp) an incoming one. The provided methods then encode
/// the rule, the same for every clock:
///
/// - **send**: tick the sender's entry, then take the stamp (so the stamp includes the
///   send event itself);
/// - **receive**: merge the incoming stamp, then tick the receiver's entry (so the receive
///   event comes after both the sender's history and the receiver's own).
///
/// ```
/// use causet_clock::{LogicalClock, VersionVector};
///
/// let mut alice: VersionVector<String> = VersionVector::new();
/// let mut bob: VersionVector<String> = VersionVector::new();
/// let stamp = LogicalClock::send(&mut alice, &"alice".to_string());
/// let bob_time = LogicalClock::receive(&mut bob, &"bob".to_string(), &stamp);
/// assert_eq!(bob_time, 1);
/// assert_eq!(bob.to_string(), r#"{"alice":1, "bob":1}"#);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait LogicalClock {
    /// How a node is named: `()` for a Lamport clock (one counter), an index for a dense
    /// vector clock, any ordered id for a version vector.
    type Node: ?Sized;
    /// What travels with a message.
    type Stamp;

    /// An event on `node`: increments its entry and returns the new value.
    fn tick(&mut self, node: &Self::Node) -> u64;

    /// The stamp for an outgoing message, as the clock is now.
    fn stamp(&self) -> Self::Stamp;

    /// Folds an incoming stamp into the clock (element-wise maximum), without ticking.
    fn merge_stamp(&mut self, stamp: &Self::Stamp);

    /// A send event on `node`: ticks, then returns the stamp to attach to the message.
    fn send(&mut self, node: &Self::Node) -> Self::Stamp {
        self.tick(node);
        self.stamp()
    }

    /// A receive event on `node` of a message stamped `stamp`: merges the stamp, then
    /// ticks; returns `node`'s new entry.
    fn receive(&mut self, node: &Self::Node, stamp: &Self::Stamp) -> u64 {
        self.merge_stamp(stamp);
        self.tick(node)
    }
}
