//! Writing a laid-out diagram as SVG (structure documented in the module above).

use std::fmt::Write as _;
use std::io;

use super::layout::{Class, Layout, Unit};
use super::{Diagram, RenderError, RenderOptions, RenderSummary};

/// Width of one node's column.
const COLUMN: u64 = 100;
/// Left and right margin.
const PAD_X: u64 = 20;
/// Top and bottom margin.
const PAD_Y: u64 = 10;
/// Height of the title line and of the legend line, when present.
const LINE: u64 = 26;
/// Height of a node's name box.
const HEADER: u64 = 24;
/// Distance from the name box to the first row, and from the last row to the bottom.
const GAP: u64 = 22;
/// Distance between two rows.
const ROW: u64 = 28;
/// Radius of a single event's dot, of a collapsed run's dot, of the highlighted event's dot.
const RADIUS: f64 = 5.0;
const RADIUS_COLLAPSED: f64 = 10.0;
const RADIUS_HIGHLIGHTED: f64 = 8.0;
/// Names longer than this many characters are shortened in the header (full name as tooltip).
const NAME_CHARS: usize = 14;
/// Tooltips show at most this many characters of an event's text ...
const LABEL_CHARS: usize = 300;
/// ... and a collapsed run's tooltip at most this many of its events.
const TOOLTIP_EVENTS: usize = 40;
/// Node colours (Tableau 10), used when nothing is highlighted.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

fn class_colour(class: Class, node: usize) -> &'static str {
    match class {
        Class::Plain => PALETTE[node % PALETTE.len()],
        Class::Highlighted | Class::Equal => "#ffc400",
        Class::Before => "#2f6fd0",
        Class::After => "#e0452b",
        Class::Concurrent => "#c8c8c8",
    }
}

const STYLE: &str = "text{font-family:'DejaVu Sans',Arial,sans-serif}\
.title{font-size:14px;font-weight:bold}\
.name{font-size:12px;text-anchor:middle}\
.legend text{font-size:12px}\
.timeline rect{fill:#f2f2f2;stroke:#777}\
.timeline line{stroke:#999;stroke-width:1.5}\
.message{stroke:#444;stroke-width:1.2}\
.event{stroke:#333;stroke-width:1}\
.event.highlighted{stroke:#000;stroke-width:2.5}\
.event:hover,.message:hover{stroke:#000;stroke-width:2.5}\
.count{font-size:10px;text-anchor:middle;dominant-baseline:central;pointer-events:none}\
.count.small{font-size:8px}";

/// Buffers the text and hands it to the writer in large chunks.
struct Sink<W: io::Write> {
    text: String,
    out: W,
}

impl<W: io::Write> Sink<W> {
    fn flush_if_full(&mut self) -> io::Result<()> {
        if self.text.len() >= 1 << 16 {
            self.out.write_all(self.text.as_bytes())?;
            self.text.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.write_all(self.text.as_bytes())?;
        self.out.flush()
    }
}

/// Where things go on the picture.
struct Geometry {
    top: u64,
    first_row: u64,
    width: u64,
    height: u64,
}

impl Geometry {
    fn new(nodes: usize, rows: usize, options: &RenderOptions) -> Self {
        let mut top = PAD_Y;
        if options.title.is_some() {
            top += LINE;
        }
        if options.highlight.is_some() {
            top += LINE;
        }
        let first_row = top + HEADER + GAP;
        let last_row = first_row + ROW * (rows.max(1) as u64 - 1);
        let minimum = match &options.highlight {
            Some(id) => legend_width(id),
            None => 2 * PAD_X + COLUMN,
        };
        Self {
            top,
            first_row,
            width: (2 * PAD_X + COLUMN * nodes as u64).max(minimum),
            height: last_row + GAP + PAD_Y,
        }
    }

    fn x(&self, node: usize) -> u64 {
        PAD_X + COLUMN * node as u64 + COLUMN / 2
    }

    fn y(&self, row: usize) -> u64 {
        self.first_row + ROW * row as u64
    }
}

fn radius(unit: &Unit) -> f64 {
    if unit.class == Class::Highlighted {
        RADIUS_HIGHLIGHTED
    } else if unit.len > 1 {
        RADIUS_COLLAPSED
    } else {
        RADIUS
    }
}

/// A non-negative coordinate printed with one decimal, as `{:.1}` would, without the
/// general float formatter (a tenth of the render's time went there).
struct Tenths(f64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Coordinates are small and non-negative: the cast cannot overflow.
        let tenths = (self.0.max(0.0) * 10.0).round() as u64;
        write!(f, "{}.{}", tenths / 10, tenths % 10)
    }
}

/// Writes the SVG document.
pub(crate) fn write<W: io::Write>(
    diagram: &Diagram,
    options: &RenderOptions,
    layout: &Layout,
    out: W,
) -> Result<RenderSummary, RenderError> {
    let nodes = diagram.nodes();
    let geometry = Geometry::new(nodes.len(), layout.row_count, options);
    let Geometry { width, height, .. } = geometry;
    let mut sink = Sink {
        text: String::with_capacity(1 << 17),
        out,
    };
    // Writing to a String cannot fail, so the fmt::Result of write! is ignored throughout.
    let s = &mut sink.text;
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"causet-diagram\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\" data-nodes=\"{}\" \
         data-events=\"{}\" data-rows=\"{}\">\n<style>{STYLE}</style>\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#444\"/></marker></defs>\n\
         <rect class=\"background\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n",
        nodes.len(),
        diagram.len(),
        layout.row_count,
    );

    let mut line_y = PAD_Y;
    if let Some(title) = &options.title {
        let _ = write!(
            s,
            "<text class=\"title\" x=\"{PAD_X}\" y=\"{}\">",
            line_y + 17
        );
        escape_into(s, title);
        s.push_str("</text>\n");
        line_y += LINE;
    }
    if let Some(id) = &options.highlight {
        write_legend(s, id, line_y);
    }

    // Timelines: name box and vertical line.
    for (node, name) in nodes.iter().enumerate() {
        let x = geometry.x(node);
        s.push_str("<g class=\"timeline\" data-node=\"");
        escape_into(s, name);
        s.push_str("\"><title>");
        escape_into(s, name);
        let box_x = x - COLUMN / 2 + 6;
        let _ = write!(
            s,
            "</title><rect x=\"{box_x}\" y=\"{}\" width=\"{}\" height=\"{HEADER}\" rx=\"4\"/>\
             <text class=\"name\" x=\"{x}\" y=\"{}\">",
            geometry.top,
            COLUMN - 12,
            geometry.top + 16,
        );
        escape_into(s, &shorten(name, NAME_CHARS));
        let _ = writeln!(
            s,
            "</text><line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/></g>",
            geometry.top + HEADER,
            height - PAD_Y,
        );
    }
    sink.flush_if_full()?;

    // Messages, drawn under the dots, each shortened to end at the edges of its two dots.
    sink.text.push_str("<g class=\"messages\">\n");
    for &(send, receive) in diagram.messages() {
        let from = &layout.units[layout.unit_of[send]];
        let to = &layout.units[layout.unit_of[receive]];
        let (x1, y1) = (
            geometry.x(from.node) as f64,
            geometry.y(layout.rows[layout.unit_of[send]]) as f64,
        );
        let (x2, y2) = (
            geometry.x(to.node) as f64,
            geometry.y(layout.rows[layout.unit_of[receive]]) as f64,
        );
        let length = (x2 - x1).hypot(y2 - y1).max(1.0);
        let (ux, uy) = ((x2 - x1) / length, (y2 - y1) / length);
        let (start, end) = (radius(from), radius(to) + 1.0);
        let s = &mut sink.text;
        s.push_str("<line class=\"message\" data-from=\"");
        write_id(s, diagram, send);
        s.push_str("\" data-to=\"");
        write_id(s, diagram, receive);
        let _ = writeln!(
            s,
            "\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" marker-end=\"url(#arrow)\"/>",
            Tenths(x1 + ux * start),
            Tenths(y1 + uy * start),
            Tenths(x2 - ux * end),
            Tenths(y2 - uy * end),
        );
        sink.flush_if_full()?;
    }
    sink.text.push_str("</g>\n");

    // Dots, node by node, top to bottom.
    let mut collapsed_dots = 0;
    for (node, name) in nodes.iter().enumerate() {
        let s = &mut sink.text;
        s.push_str("<g class=\"events\" data-node=\"");
        escape_into(s, name);
        s.push_str("\">\n");
        for unit_index in layout.node_units[node]..layout.node_units[node + 1] {
            let unit = &layout.units[unit_index];
            let (x, y) = (geometry.x(node), geometry.y(layout.rows[unit_index]));
            let events = layout.events(unit);
            if unit.len > 1 {
                collapsed_dots += 1;
            }
            write_dot(&mut sink.text, diagram, unit, events, x, y);
            sink.flush_if_full()?;
        }
        sink.text.push_str("</g>\n");
    }
    sink.text.push_str("</svg>\n");
    sink.finish()?;

    let with_events = (0..nodes.len())
        .filter(|&node| layout.node_units[node] < layout.node_units[node + 1])
        .count();
    Ok(RenderSummary {
        nodes: with_events,
        clock_only_nodes: nodes.len() - with_events,
        events: diagram.len(),
        dots: layout.units.len(),
        collapsed_dots,
        messages: diagram.messages().len(),
        rows: layout.row_count,
        width,
        height,
    })
}

/// One dot: a plain `<circle>`, or a collapsed run's `<g>` with circle and count.
fn write_dot(s: &mut String, diagram: &Diagram, unit: &Unit, events: &[usize], x: u64, y: u64) {
    let first = events[0];
    let fill = class_colour(unit.class, unit.node);
    let class = unit.class.name();
    let space = if class.is_empty() { "" } else { " " };
    if let [only] = events {
        let _ = write!(s, "<circle class=\"event{space}{class}\" data-id=\"");
        write_id(s, diagram, *only);
        let _ = write!(
            s,
            "\" cx=\"{x}\" cy=\"{y}\" r=\"{}\" fill=\"{fill}\"><title>",
            radius(unit)
        );
        write_id(s, diagram, *only);
        s.push('\n');
        escape_into(s, &shorten(diagram.label(*only), LABEL_CHARS));
        s.push_str("</title></circle>\n");
        return;
    }
    let last = events[events.len() - 1];
    let count = events.len();
    let _ = write!(
        s,
        "<g class=\"collapsed\"><circle class=\"event collapsed{space}{class}\" data-id=\""
    );
    write_id(s, diagram, first);
    s.push_str("\" data-last=\"");
    write_id(s, diagram, last);
    let _ = write!(
        s,
        "\" data-count=\"{count}\" cx=\"{x}\" cy=\"{y}\" r=\"{RADIUS_COLLAPSED}\" \
         fill=\"{fill}\"><title>{count} local events, "
    );
    write_id(s, diagram, first);
    s.push_str(" to ");
    write_id(s, diagram, last);
    for &event in events.iter().take(TOOLTIP_EVENTS) {
        s.push('\n');
        write_id(s, diagram, event);
        s.push_str(": ");
        escape_into(s, &shorten(diagram.label(event), LABEL_CHARS));
    }
    if count > TOOLTIP_EVENTS {
        let _ = write!(s, "\n... and {} more", count - TOOLTIP_EVENTS);
    }
    let small = if count >= 100 { " small" } else { "" };
    let _ = writeln!(
        s,
        "</title></circle><text class=\"count{small}\" x=\"{x}\" y=\"{y}\">{count}</text></g>"
    );
}

/// Appends the escaped id `NODE:n` of `event` (no temporary string: one per dot adds up).
fn write_id(s: &mut String, diagram: &Diagram, event: usize) {
    let node = diagram.node(event);
    escape_into(s, &diagram.nodes()[node]);
    let _ = write!(s, ":{}", diagram.own(event));
}

/// The legend's entries: a class and its text.
fn legend_items(id: &str) -> [(Class, String); 4] {
    [
        (
            Class::Highlighted,
            format!("highlighted: {}", shorten(id, 24)),
        ),
        (Class::Before, "happened before it".to_owned()),
        (Class::After, "happened after it".to_owned()),
        (Class::Concurrent, "concurrent with it".to_owned()),
    ]
}

/// Room for one legend entry: swatch, text (about 7 px a character at 12 px), gap.
fn legend_item_width(text: &str) -> u64 {
    16 + 7 * text.chars().count() as u64 + 18
}

/// Width the whole legend line needs.
fn legend_width(id: &str) -> u64 {
    2 * PAD_X
        + legend_items(id)
            .iter()
            .map(|(_, text)| legend_item_width(text))
            .sum::<u64>()
}

/// The legend line: one swatch per highlight class.
fn write_legend(s: &mut String, id: &str, y: u64) {
    s.push_str("<g class=\"legend\">");
    let mut x = PAD_X + 8;
    for (class, text) in legend_items(id) {
        let _ = write!(
            s,
            "<circle class=\"swatch {}\" cx=\"{x}\" cy=\"{}\" r=\"6\" fill=\"{}\" \
             stroke=\"#333\"/><text x=\"{}\" y=\"{}\">",
            class.name(),
            y + 12,
            class_colour(class, 0),
            x + 10,
            y + 16,
        );
        escape_into(s, &text);
        s.push_str("</text>");
        x += legend_item_width(&text);
    }
    s.push_str("</g>\n");
}

/// At most `limit` characters of `text`, with an ellipsis when shortened.
fn shorten(text: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    // Fast path: no more bytes than the limit means no more characters either.
    if text.len() <= limit {
        return text.into();
    }
    match text.char_indices().nth(limit) {
        None => text.into(),
        Some(_) => {
            let keep: String = text.chars().take(limit.saturating_sub(1)).collect();
            format!("{keep}…").into()
        }
    }
}

/// Appends `text` escaped for XML text and attribute values. Characters XML 1.0 forbids
/// (most C0 controls, U+FFFE, U+FFFF) become U+FFFD so that the document stays well formed.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(position) = rest.find(needs_escape) {
        out.push_str(&rest[..position]);
        let Some(character) = rest[position..].chars().next() else {
            break;
        };
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push('\u{FFFD}'),
        }
        rest = &rest[position + character.len_utf8()..];
    }
    out.push_str(rest);
}

fn needs_escape(character: char) -> bool {
    matches!(
        character,
        '&' | '<' | '>' | '"' | '\'' | '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}'
            | '\u{FFFE}' | '\u{FFFF}'
    )
}
