//! A seeded generator of message-passing executions and their GoVector logs, for benches
//! and tests.
//!
//! [`generate`] draws the structure (who does what, which send each receive takes);
//! [`write_log`] replays it with vector clocks (tick on every event, merge on receive) and
//! writes the GoVector layout with keys sorted and zero entries left out, as GoVector does.
//! The structure is the ground truth a test can compute causal histories from without
//! clocks.

use std::io::{self, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenerateOptions {
    /// Number of events.
    pub events: usize,
    /// Number of nodes (at least 1).
    pub nodes: usize,
    /// Seed of the `ChaCha8Rng` that draws everything.
    pub seed: u64,
    /// Probability that a step is a send (when the node has a peer).
    pub send_probability: f64,
    /// Probability that a step is a receive (when a message waits for the node).
    pub receive_probability: f64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            events: 1000,
            nodes: 4,
            seed: 0,
            send_probability: 0.3,
            receive_probability: 0.3,
        }
    }
}

/// What one generated event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneratedKind {
    /// A local step.
    Local,
    /// Sends a message to node `to`.
    Send {
        /// The receiving node.
        to: usize,
    },
    /// Receives the message sent by event `send` (an index into [`Generated::events`]).
    Receive {
        /// The sending event.
        send: usize,
    },
}

/// One generated event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedEvent {
    /// The node that performs it.
    pub node: usize,
    /// What it does.
    pub kind: GeneratedKind,
}

/// A generated execution: node names and events in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Node names, `node00`, `node01`, … (zero-padded so that sorted order is index order).
    pub nodes: Vec<String>,
    /// Events in a causal order (each receive after its send).
    pub events: Vec<GeneratedEvent>,
}

/// Draws an execution: at each step a random node receives a waiting message, sends to a
/// random peer, or does a local step.
///
/// ```
/// use causet_log::{generate, write_log, parse_log, CheckOptions, GenerateOptions, ReadOptions};
///
/// let generated = generate(&GenerateOptions { events: 200, nodes: 5, seed: 7, ..Default::default() });
/// let mut text = Vec::new();
/// write_log(&generated, &mut text)?;
/// let log = parse_log(&text, &ReadOptions::default())?;
/// assert_eq!(log.executions[0].len(), 200);
/// assert!(log.executions[0].check(&CheckOptions::default()).is_ok());
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn generate(options: &GenerateOptions) -> Generated {
    let nodes = options.nodes.max(1);
    let digits = (nodes - 1).to_string().len().max(2);
    let names = (0..nodes).map(|i| format!("node{i:0digits$}")).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut inbox: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    let mut events = Vec::with_capacity(options.events);
    for index in 0..options.events {
        let node = rng.random_range(0..nodes);
        let roll: f64 = rng.random();
        let kind = if roll < options.receive_probability && !inbox[node].is_empty() {
            let pick = rng.random_range(0..inbox[node].len());
            GeneratedKind::Receive {
                send: inbox[node].swap_remove(pick),
            }
        } else if roll < options.receive_probability + options.send_probability && nodes > 1 {
            let mut to = rng.random_range(0..nodes - 1);
            if to >= node {
                to += 1;
            }
            inbox[to].push(index);
            GeneratedKind::Send { to }
        } else {
            GeneratedKind::Local
        };
        events.push(GeneratedEvent { node, kind });
    }
    Generated {
        nodes: names,
        events,
    }
}

/// Writes the GoVector log of `generated` (clock line, then text line, per event) and
/// returns the number of bytes written.
pub fn write_log(generated: &Generated, out: &mut impl Write) -> io::Result<u64> {
    let width = generated.nodes.len();
    let mut clocks = vec![0u32; width * width];
    // Stamps of sends not yet received, by send index.
    let mut stamps: std::collections::HashMap<usize, Vec<u32>> = Default::default();
    let mut line = Vec::with_capacity(64 + 24 * width);
    let mut written = 0u64;
    let mut counter = itoa_buffer();
    for (index, event) in generated.events.iter().enumerate() {
        let node = event.node;
        let clock = &mut clocks[node * width..(node + 1) * width];
        if let GeneratedKind::Receive { send } = event.kind
            && let Some(stamp) = stamps.remove(&send)
        {
            for (entry, &value) in clock.iter_mut().zip(&stamp) {
                *entry = (*entry).max(value);
            }
        }
        clock[node] += 1;
        if let GeneratedKind::Send { .. } = event.kind {
            stamps.insert(index, clock.to_vec());
        }
        line.clear();
        line.extend_from_slice(generated.nodes[node].as_bytes());
        line.extend_from_slice(b" {");
        let mut first = true;
        for (other, &value) in clock.iter().enumerate() {
            if value == 0 {
                continue;
            }
            if !first {
                line.extend_from_slice(b", ");
            }
            first = false;
            line.push(b'"');
            line.extend_from_slice(generated.nodes[other].as_bytes());
            line.extend_from_slice(b"\":");
            line.extend_from_slice(format_u32(&mut counter, value));
        }
        line.extend_from_slice(b"}\n");
        match event.kind {
            GeneratedKind::Local => line.extend_from_slice(b"local step"),
            GeneratedKind::Send { to } => {
                line.extend_from_slice(b"send to ");
                line.extend_from_slice(generated.nodes[to].as_bytes());
            }
            GeneratedKind::Receive { send } => {
                line.extend_from_slice(b"receive from ");
                line.extend_from_slice(generated.nodes[generated.events[send].node].as_bytes());
            }
        }
        line.push(b'\n');
        out.write_all(&line)?;
        written += line.len() as u64;
    }
    Ok(written)
}

/// [`generate`] then [`write_log`] into a string.
pub fn generate_log(options: &GenerateOptions) -> String {
    let mut text = Vec::new();
    // Writing to a Vec cannot fail, and the log is ASCII.
    let _ = write_log(&generate(options), &mut text);
    String::from_utf8_lossy(&text).into_owned()
}

fn itoa_buffer() -> [u8; 10] {
    [0; 10]
}

fn format_u32(buffer: &mut [u8; 10], mut value: u32) -> &[u8] {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    &buffer[start..]
}
