//! A seeded random diagram, for benches, tests and demos of the renderer.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Diagram, DiagramEvent};

impl Diagram {
    /// A random execution of `events` events on `nodes` nodes named `node0`, `node1`, ...,
    /// built from clocks directly: each step a random node ticks and, with probability 1/4
    /// each, receives one of the messages in flight to it or sends to a random other node
    /// (otherwise the event is local). Messages still in flight at the end stay unreceived.
    /// The same seed gives the same diagram.
    ///
    /// ```
    /// use causet_diagram::Diagram;
    ///
    /// let diagram = Diagram::random(7, 5, 200);
    /// assert_eq!((diagram.nodes().len(), diagram.len()), (5, 200));
    /// assert!(!diagram.messages().is_empty());
    /// assert_eq!(Diagram::random(7, 5, 200).messages(), diagram.messages());
    /// ```
    pub fn random(seed: u64, nodes: usize, events: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut diagram = Diagram::new((0..nodes).map(|node| format!("node{node}")));
        if nodes == 0 {
            return diagram;
        }
        let mut clock = vec![vec![0u64; nodes]; nodes];
        let mut in_flight: Vec<Vec<(usize, Vec<u64>)>> = vec![Vec::new(); nodes];
        for step in 0..events {
            let node = rng.random_range(0..nodes);
            let roll = rng.random_range(0..4);
            clock[node][node] += 1;
            let mut received = None;
            if roll == 0 && !in_flight[node].is_empty() {
                let pick = rng.random_range(0..in_flight[node].len());
                let (send, stamp) = in_flight[node].swap_remove(pick);
                for (mine, theirs) in clock[node].iter_mut().zip(&stamp) {
                    *mine = (*mine).max(*theirs);
                }
                received = Some(send);
            }
            // Valid by construction (known node, one entry per node, own entry ticked), so
            // pushed directly rather than through `push_event`'s checks.
            let event = diagram.events.len();
            diagram.rows().extend_from_slice(&clock[node]);
            diagram.events.push(DiagramEvent {
                node,
                label: format!("step {step} on node{node}"),
            });
            if let Some(send) = received {
                diagram.messages.push((send, event));
            } else if roll == 1 && nodes > 1 {
                let to = (node + rng.random_range(1..nodes)) % nodes;
                in_flight[to].push((event, clock[node].clone()));
            }
        }
        diagram
    }
}
