//! Rendering speed: a 5,000-event, 30-node diagram (ShiViz's largest bundled examples), the
//! issue's target being under one second including layout.
//!
//! Beside ours, in the same run:
//! - `write_floor`: only formatting one `<circle>` per event and one `<line>` per message at
//!   precomputed positions (no layout, no collapsing, no escaping): the cost of the output
//!   itself, a lower bound for any SVG writer;
//! - `naive_layering`: the obvious layout, each event's row = 1 + the largest row of every
//!   event whose clock is below its own, by comparing all pairs (O(events² × nodes)).
//!
//! And, on the peer data's TSViz logs (5,000 events on 4 nodes, 2,001 on 30), the whole
//! `causet render` path (read, diagram, SVG) beside reading alone.
//!
//! Run: `cargo bench -p causet-diagram --bench render -- --warm-up-time 1 --measurement-time 3`

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use causet_diagram::{Diagram, RenderOptions, write_svg};
use causet_log::{ReadOptions, read_log};
use criterion::{Criterion, criterion_group, criterion_main};

/// The output floor: one element per event and per message at trivial positions.
fn write_floor(diagram: &Diagram, out: &mut String) {
    out.clear();
    out.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\">\n");
    for event in 0..diagram.len() {
        let node = diagram.node(event);
        let _ = writeln!(
            out,
            "<circle class=\"event\" data-id=\"{}\" cx=\"{}\" cy=\"{}\" r=\"5\"><title>{}</title></circle>",
            diagram.event_id(event),
            70 + 100 * node,
            30 * event,
            diagram.label(event),
        );
    }
    for &(send, receive) in diagram.messages() {
        let _ = writeln!(
            out,
            "<line class=\"message\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            70 + 100 * diagram.node(send),
            30 * send,
            70 + 100 * diagram.node(receive),
            30 * receive,
        );
    }
    out.push_str("</svg>\n");
}

/// The naive layout: rows by comparing every pair of clocks, events taken in order of their
/// clock sums (a causal order).
fn naive_layering(diagram: &Diagram) -> usize {
    let mut order: Vec<usize> = (0..diagram.len()).collect();
    order.sort_by_key(|&event| diagram.clock(event).iter().sum::<u64>());
    let mut rows = vec![0usize; diagram.len()];
    for (position, &event) in order.iter().enumerate() {
        let clock = diagram.clock(event);
        let mut row = 0;
        for &earlier in &order[..position] {
            if diagram
                .clock(earlier)
                .iter()
                .zip(&clock)
                .all(|(a, b)| a <= b)
            {
                row = row.max(rows[earlier] + 1);
            }
        }
        rows[event] = row;
    }
    rows.iter().max().map_or(0, |&row| row + 1)
}

fn render(c: &mut Criterion) {
    let diagram = Diagram::random(5000, 30, 5000);
    let highlight = diagram.event_id(diagram.len() / 2);
    let mut out = Vec::with_capacity(4 << 20);
    let mut floor = String::with_capacity(4 << 20);

    let mut group = c.benchmark_group("render_5000_events_30_nodes");
    group.sample_size(20);
    group.bench_function("causet_render", |b| {
        b.iter(|| {
            out.clear();
            black_box(write_svg(&diagram, &RenderOptions::new(), &mut out).expect("renders"))
        })
    });
    group.bench_function("causet_render_highlight", |b| {
        let options = RenderOptions::new().highlight(highlight.clone());
        b.iter(|| {
            out.clear();
            black_box(write_svg(&diagram, &options, &mut out).expect("renders"))
        })
    });
    group.bench_function("causet_render_no_collapse", |b| {
        let options = RenderOptions::new().collapse(false);
        b.iter(|| {
            out.clear();
            black_box(write_svg(&diagram, &options, &mut out).expect("renders"))
        })
    });
    group.bench_function("baseline_write_floor", |b| {
        b.iter(|| {
            write_floor(&diagram, &mut floor);
            black_box(floor.len())
        })
    });
    group.sample_size(10);
    group.bench_function("baseline_naive_layering", |b| {
        b.iter(|| black_box(naive_layering(&diagram)))
    });
    group.finish();
}

/// The whole `causet render` path on ShiViz's largest bundled logs (peer data, when present):
/// read + diagram + SVG, beside reading alone.
fn peer_logs(c: &mut Criterion) {
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-data/tsviz");
    if !peer.is_dir() {
        eprintln!("SKIPPED peer_logs: ../shared/peer-data not found beside the repository");
        return;
    }
    let options = ReadOptions {
        regex: Some(r"(?<timestamp>(\d*)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)".into()),
        ..ReadOptions::default()
    };
    let mut group = c.benchmark_group("render_peer_logs");
    group.sample_size(10);
    for file in ["tsviz_shared_var_4_threads.log", "tsviz_fslock_24t_4sp.log"] {
        let path = peer.join(file);
        group.bench_function(format!("{file}/baseline_read_only"), |b| {
            b.iter(|| black_box(read_log(&path, &options).expect("reads").event_count()))
        });
        group.bench_function(format!("{file}/read_diagram_render"), |b| {
            let mut out = Vec::with_capacity(4 << 20);
            b.iter(|| {
                let log = read_log(&path, &options).expect("reads");
                let diagram = Diagram::from_execution(&log.executions[0]).expect("diagram");
                out.clear();
                black_box(write_svg(&diagram, &RenderOptions::new(), &mut out).expect("renders"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, render, peer_logs);
criterion_main!(benches);
