//! `causet view` encoding speed and page size, on logs from the seeded generator (8 and 30
//! nodes, 100,000 events): the targets are at least 1 M events/s and a page at most
//! twice the log's size.
//!
//! Beside ours, in the same run: `parse_log`, reading the same log (what every command pays
//! before it), and the layout alone (the causal rows, which `causet render` computes too),
//! so the ratios tell what the encoding adds.
//!
//! Run: `cargo bench -p causet-diagram --bench view -- --warm-up-time 1 --measurement-time 3`
//! (the sizes are printed once before the timings).

use std::hint::black_box;

use causet_diagram::{Diagram, event_rows};
use causet_diagram::{ViewOptions, render_view};
use causet_log::{GenerateOptions, ReadOptions, generate_log, parse_log};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    // CAUSET_VIEW_EVENTS=1000000 for the million-event figures.
    let events = std::env::var("CAUSET_VIEW_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    for nodes in [8, 30] {
        let text = generate_log(&GenerateOptions {
            events,
            nodes,
            seed: 1,
            ..GenerateOptions::default()
        });
        let log = parse_log(text.as_bytes(), &ReadOptions::default()).expect("generated log");
        let (html, _) = render_view(&log, &ViewOptions::new()).expect("view");
        println!(
            "view size: {events} events, {nodes} nodes: log {} bytes, page {} bytes, ratio {:.2}",
            text.len(),
            html.len(),
            html.len() as f64 / text.len() as f64
        );
        // To time the page in a browser: CAUSET_VIEW_OUT=DIR writes the log and the page.
        if let Some(out) = std::env::var_os("CAUSET_VIEW_OUT") {
            let out = std::path::Path::new(&out);
            let name = format!("gen-{events}-{nodes}");
            std::fs::write(out.join(format!("{name}.log")), &text).expect("write log");
            std::fs::write(out.join(format!("{name}.html")), &html).expect("write page");
        }
        let mut group = c.benchmark_group(format!("view/{nodes}nodes"));
        group.throughput(Throughput::Elements(events as u64));
        group.sample_size(10);
        group.bench_function("render_view", |b| {
            b.iter(|| render_view(black_box(&log), &ViewOptions::new()).expect("view"))
        });
        group.bench_function("layout only (Diagram + event_rows)", |b| {
            b.iter(|| {
                let diagram =
                    Diagram::from_execution(black_box(&log.executions[0])).expect("diagram");
                event_rows(&diagram).expect("rows")
            })
        });
        group.bench_function("parse_log (baseline)", |b| {
            b.iter(|| parse_log(black_box(text.as_bytes()), &ReadOptions::default()).expect("log"))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
