//! Tests of the SVG space-time diagrams: the SVG is parsed back (roxmltree) and its structure
//! checked against a brute-force causal model with explicit causal histories; a headless
//! Chromium screenshot checks that the picture is not blank.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use causet_clock::Causality;
use causet_diagram::{Diagram, RenderError, RenderOptions, render_svg, write_svg};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// ---------------------------------------------------------------------------------------------
// The brute-force model: every event keeps the explicit set of events that happen before it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Local,
    Send,
    Receive,
}

#[derive(Debug)]
struct ModelEvent {
    node: usize,
    /// 1-based position on its node.
    own: u64,
    kind: Kind,
    label: String,
    /// Every event that happens before this one, and this one.
    history: BTreeSet<usize>,
}

#[derive(Debug)]
struct Model {
    nodes: Vec<String>,
    events: Vec<ModelEvent>,
    messages: Vec<(usize, usize)>,
}

impl Model {
    /// A random execution: each step one node does a local event, sends to another node, or
    /// receives one of the messages in flight to it (in any order, not only FIFO).
    fn random(seed: u64, nodes: usize, steps: usize, local_weight: u32) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let names: Vec<String> = (0..nodes).map(|node| format!("n{node}")).collect();
        let mut events: Vec<ModelEvent> = Vec::new();
        let mut last: Vec<Option<usize>> = vec![None; nodes];
        let mut in_flight: Vec<Vec<usize>> = vec![Vec::new(); nodes];
        let mut messages = Vec::new();
        for _ in 0..steps {
            let node = rng.random_range(0..nodes);
            let roll = rng.random_range(0..local_weight + 2);
            let (kind, sender) = if roll == 0 && !in_flight[node].is_empty() {
                let pick = rng.random_range(0..in_flight[node].len());
                (Kind::Receive, Some(in_flight[node].swap_remove(pick)))
            } else if roll == 1 && nodes > 1 {
                (Kind::Send, None)
            } else {
                (Kind::Local, None)
            };
            let index = events.len();
            let mut history = last[node]
                .map(|previous| events[previous].history.clone())
                .unwrap_or_default();
            history.insert(index);
            if let Some(send) = sender {
                history.extend(events[send].history.iter().copied());
                messages.push((send, index));
            }
            let own = last[node].map_or(1, |previous| events[previous].own + 1);
            if kind == Kind::Send {
                let mut to = rng.random_range(0..nodes - 1);
                if to >= node {
                    to += 1;
                }
                in_flight[to].push(index);
            }
            events.push(ModelEvent {
                node,
                own,
                kind,
                label: format!("{kind:?} #{index} on n{node}"),
                history,
            });
            last[node] = Some(index);
        }
        // Sends never received stay sends: a dot that is no arrow end, but not collapsible
        // by kind in the model; the renderer only knows message edges, so make them local.
        for list in &in_flight {
            for &send in list {
                events[send].kind = Kind::Local;
            }
        }
        Self {
            nodes: names,
            events,
            messages,
        }
    }

    fn clock(&self, event: usize) -> Vec<u64> {
        let mut clock = vec![0; self.nodes.len()];
        for &past in &self.events[event].history {
            clock[self.events[past].node] += 1;
        }
        clock
    }

    fn id(&self, event: usize) -> String {
        let event = &self.events[event];
        format!("{}:{}", self.nodes[event.node], event.own)
    }

    /// The diagram, with events pushed in a shuffled order (the renderer must not depend on
    /// the input order).
    fn diagram(&self, rng: &mut ChaCha8Rng) -> Diagram {
        let mut diagram = Diagram::new(self.nodes.clone());
        let mut order: Vec<usize> = (0..self.events.len()).collect();
        order.shuffle(rng);
        let mut index_of = vec![0; self.events.len()];
        for &event in &order {
            index_of[event] = diagram
                .push_event(
                    self.events[event].node,
                    &self.clock(event),
                    &self.events[event].label,
                )
                .expect("model events are valid");
        }
        for &(send, receive) in &self.messages {
            diagram
                .push_message(index_of[send], index_of[receive])
                .expect("model messages are valid");
        }
        diagram
    }

    fn happens_before(&self, a: usize, b: usize) -> bool {
        a != b && self.events[b].history.contains(&a)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the SVG back.

/// One dot as drawn.
#[derive(Debug)]
struct Dot {
    node: String,
    first: String,
    last: String,
    count: usize,
    y: f64,
    classes: Vec<String>,
}

#[derive(Debug)]
struct Drawn {
    width: f64,
    timelines: Vec<String>,
    dots: Vec<Dot>,
    /// (from id, to id, y1, y2)
    arrows: Vec<(String, String, f64, f64)>,
    legend: bool,
}

fn classes(node: roxmltree::Node<'_, '_>) -> Vec<String> {
    node.attribute("class")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn has_class(node: roxmltree::Node<'_, '_>, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|value| value.split_whitespace().any(|c| c == class))
}

fn number(node: roxmltree::Node<'_, '_>, attribute: &str) -> f64 {
    node.attribute(attribute)
        .unwrap_or_else(|| panic!("<{}> lacks {attribute}", node.tag_name().name()))
        .parse()
        .expect("a number")
}

fn parse(svg: &str) -> Drawn {
    let document = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let width = number(root, "width");
    let mut timelines = Vec::new();
    let mut dots = Vec::new();
    let mut arrows = Vec::new();
    let mut legend = false;
    for element in root.descendants().filter(|n| n.is_element()) {
        match element.tag_name().name() {
            "g" if has_class(element, "timeline") => {
                timelines.push(
                    element
                        .attribute("data-node")
                        .expect("data-node")
                        .to_owned(),
                );
            }
            "g" if has_class(element, "legend") => legend = true,
            "circle" if has_class(element, "event") => {
                let group = element
                    .ancestors()
                    .find(|a| has_class(*a, "events"))
                    .expect("dots sit in a <g class=\"events\">");
                let first = element.attribute("data-id").expect("data-id").to_owned();
                let count = element
                    .attribute("data-count")
                    .map_or(1, |c| c.parse().expect("data-count is a number"));
                let last = element.attribute("data-last").unwrap_or(&first).to_owned();
                assert!(
                    element
                        .children()
                        .any(|c| c.tag_name().name() == "title" && c.text().is_some()),
                    "every dot has a tooltip"
                );
                dots.push(Dot {
                    node: group.attribute("data-node").expect("data-node").to_owned(),
                    first,
                    last,
                    count,
                    y: number(element, "cy"),
                    classes: classes(element),
                });
            }
            "line" if has_class(element, "message") => arrows.push((
                element
                    .attribute("data-from")
                    .expect("data-from")
                    .to_owned(),
                element.attribute("data-to").expect("data-to").to_owned(),
                number(element, "y1"),
                number(element, "y2"),
            )),
            _ => {}
        }
    }
    Drawn {
        width,
        timelines,
        dots,
        arrows,
        legend,
    }
}

/// Checks a drawing of `model` against the model; returns the number of collapsed dots.
fn check(model: &Model, svg: &str, highlight: Option<usize>, collapse: bool) -> usize {
    let drawn = parse(svg);
    assert_eq!(
        drawn.timelines, model.nodes,
        "one timeline per node, in order"
    );
    assert!(
        drawn.width >= 100.0 * model.nodes.len() as f64,
        "width grows with nodes"
    );
    assert_eq!(
        drawn.legend,
        highlight.is_some(),
        "a legend exactly with a highlight"
    );

    // Which dot each event is in: collapsed dots cover own entries first..=last of their node.
    let by_id: HashMap<String, usize> = (0..model.events.len()).map(|e| (model.id(e), e)).collect();
    let own_of = |id: &str| -> u64 { id.rsplit_once(':').expect("id").1.parse().expect("n") };
    let mut dot_of = vec![usize::MAX; model.events.len()];
    let mut total = 0;
    for (index, dot) in drawn.dots.iter().enumerate() {
        let first = *by_id.get(&dot.first).expect("dot ids are event ids");
        let last = *by_id.get(&dot.last).expect("dot ids are event ids");
        assert_eq!(
            model.nodes[model.events[first].node], dot.node,
            "dot in its node's group"
        );
        assert_eq!(model.events[first].node, model.events[last].node);
        let (from, to) = (own_of(&dot.first), own_of(&dot.last));
        assert_eq!(
            to - from + 1,
            dot.count as u64,
            "a collapsed dot's count is its run"
        );
        let members: Vec<usize> = (0..model.events.len())
            .filter(|&e| {
                let event = &model.events[e];
                event.node == model.events[first].node && (from..=to).contains(&event.own)
            })
            .collect();
        assert_eq!(members.len(), dot.count);
        if dot.count > 1 {
            assert!(collapse, "nothing collapsed when collapsing is off");
            assert!(dot.classes.iter().any(|c| c == "collapsed"));
            for &member in &members {
                assert_eq!(
                    model.events[member].kind,
                    Kind::Local,
                    "only local events collapse"
                );
                assert_ne!(
                    Some(member),
                    highlight,
                    "the highlighted event stays single"
                );
            }
        }
        for member in members {
            assert_eq!(
                dot_of[member],
                usize::MAX,
                "{} drawn twice",
                model.id(member)
            );
            dot_of[member] = index;
        }
        total += dot.count;
    }
    assert_eq!(
        total,
        model.events.len(),
        "the dots' counts add up to the events"
    );
    assert!(
        dot_of.iter().all(|&dot| dot != usize::MAX),
        "every event is drawn"
    );

    // Causal order: whatever happens before an event is drawn above it.
    for later in 0..model.events.len() {
        for &earlier in &model.events[later].history {
            let (a, b) = (dot_of[earlier], dot_of[later]);
            assert!(
                a == b || drawn.dots[a].y < drawn.dots[b].y,
                "{} happens before {} but is not drawn above it",
                model.id(earlier),
                model.id(later)
            );
        }
    }

    // Arrows: exactly the messages, each pointing down.
    let mut expected: Vec<(String, String)> = model
        .messages
        .iter()
        .map(|&(s, r)| (model.id(s), model.id(r)))
        .collect();
    let mut found: Vec<(String, String)> = drawn
        .arrows
        .iter()
        .map(|(from, to, _, _)| (from.clone(), to.clone()))
        .collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected, "one arrow per message");
    assert!(
        drawn.arrows.iter().all(|(_, _, y1, y2)| y1 < y2),
        "arrows point down"
    );

    // Highlight classes against the model.
    for (index, dot) in drawn.dots.iter().enumerate() {
        let members: Vec<usize> = (0..model.events.len())
            .filter(|&e| dot_of[e] == index)
            .collect();
        let expected = match highlight {
            None => None,
            Some(chosen) => {
                let class_of = |e: usize| {
                    if e == chosen {
                        "highlighted"
                    } else if model.happens_before(e, chosen) {
                        "before"
                    } else if model.happens_before(chosen, e) {
                        "after"
                    } else {
                        "concurrent"
                    }
                };
                let class = class_of(members[0]);
                assert!(
                    members.iter().all(|&m| class_of(m) == class),
                    "a dot has one colour"
                );
                Some(class)
            }
        };
        let drawn_class: Vec<&String> = dot
            .classes
            .iter()
            .filter(|c| {
                ["highlighted", "before", "after", "concurrent", "equal"].contains(&c.as_str())
            })
            .collect();
        match expected {
            None => assert!(drawn_class.is_empty(), "no colour class without highlight"),
            Some(class) => assert_eq!(drawn_class, [class], "class of {}", dot.first),
        }
    }

    // Collapsing is maximal: two neighbouring dots of one node are never both collapsible
    // into one run (local, same colour, not the highlighted event).
    if collapse {
        let mut per_node: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, dot) in drawn.dots.iter().enumerate() {
            per_node.entry(dot.node.as_str()).or_default().push(index);
        }
        for dots in per_node.values() {
            for pair in dots.windows(2) {
                assert!(
                    drawn.dots[pair[0]].y < drawn.dots[pair[1]].y,
                    "dots go down"
                );
                let collapsible = |dot: usize| {
                    (0..model.events.len())
                        .filter(|&e| dot_of[e] == dot)
                        .all(|e| model.events[e].kind == Kind::Local && Some(e) != highlight)
                };
                if collapsible(pair[0]) && collapsible(pair[1]) {
                    assert_ne!(
                        drawn.dots[pair[0]].classes, drawn.dots[pair[1]].classes,
                        "{} and {} should be one collapsed dot",
                        drawn.dots[pair[0]].first, drawn.dots[pair[1]].first
                    );
                }
            }
        }
    }
    drawn.dots.iter().filter(|dot| dot.count > 1).count()
}

// ---------------------------------------------------------------------------------------------
// Structure against the model.

#[test]
fn random_executions_match_the_causal_model() {
    let mut collapsed_somewhere = 0;
    for seed in 0..40 {
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + seed);
        let nodes = rng.random_range(1..=6);
        let steps = rng.random_range(0..70);
        let local_weight = rng.random_range(0..4);
        let model = Model::random(seed, nodes, steps, local_weight);
        let diagram = model.diagram(&mut rng);
        for collapse in [true, false] {
            let options = RenderOptions::new().collapse(collapse);
            let svg = render_svg(&diagram, &options).expect("renders");
            collapsed_somewhere += check(&model, &svg, None, collapse);
            if !model.events.is_empty() {
                let chosen = rng.random_range(0..model.events.len());
                let svg = render_svg(&diagram, &options.clone().highlight(model.id(chosen)))
                    .unwrap_or_else(|err| panic!("seed {seed}: {err}"));
                collapsed_somewhere += check(&model, &svg, Some(chosen), collapse);
            }
        }
    }
    assert!(
        collapsed_somewhere > 20,
        "the random executions exercise collapsing"
    );
}

#[test]
fn compare_agrees_with_the_model() {
    let model = Model::random(7, 4, 60, 1);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let diagram = model.diagram(&mut rng);
    for a in 0..diagram.len() {
        for b in 0..diagram.len() {
            let (ma, mb) = (
                model_index(&model, &diagram, a),
                model_index(&model, &diagram, b),
            );
            let expected = if ma == mb {
                Causality::Equal
            } else if model.happens_before(ma, mb) {
                Causality::Before
            } else if model.happens_before(mb, ma) {
                Causality::After
            } else {
                Causality::Concurrent
            };
            assert_eq!(diagram.compare(a, b), expected);
        }
    }
}

fn model_index(model: &Model, diagram: &Diagram, event: usize) -> usize {
    let id = diagram.event_id(event);
    (0..model.events.len())
        .find(|&e| model.id(e) == id)
        .expect("same ids")
}

/// The diagram of the module docs' ping: alice sends, bob receives and thinks twice.
fn ping() -> Diagram {
    let mut diagram = Diagram::new(["alice", "bob", "carol"]);
    let send = diagram.push_event(0, &[1, 0, 0], "send ping").unwrap();
    let receive = diagram.push_event(1, &[1, 1, 0], "receive ping").unwrap();
    diagram.push_event(1, &[1, 2, 0], "think").unwrap();
    diagram.push_event(1, &[1, 3, 0], "think more").unwrap();
    diagram.push_event(2, &[0, 0, 1], "idle").unwrap();
    diagram.push_message(send, receive).unwrap();
    diagram
}

#[test]
fn rows_are_causal_layers() {
    let svg = render_svg(&ping(), &RenderOptions::new().collapse(false)).unwrap();
    let drawn = parse(&svg);
    let y: HashMap<&str, f64> = drawn.dots.iter().map(|d| (d.first.as_str(), d.y)).collect();
    // Independent first events share the top row; each later event is one row lower.
    assert_eq!(y["alice:1"], y["carol:1"]);
    let row = y["bob:1"] - y["alice:1"];
    assert!(row > 0.0);
    assert_eq!(y["bob:2"] - y["bob:1"], row);
    assert_eq!(y["bob:3"] - y["bob:2"], row);
    assert!(svg.contains("data-rows=\"4\""));
}

#[test]
fn summary_counts_what_is_drawn() {
    let mut out = Vec::new();
    let summary = write_svg(&ping(), &RenderOptions::new(), &mut out).unwrap();
    assert_eq!(
        (
            summary.nodes,
            summary.events,
            summary.dots,
            summary.collapsed_dots
        ),
        (3, 5, 4, 1)
    );
    assert_eq!((summary.messages, summary.rows), (1, 3));
    let drawn = parse(std::str::from_utf8(&out).unwrap());
    assert_eq!(drawn.dots.len(), summary.dots);
    assert_eq!(drawn.width, summary.width as f64);
}

#[test]
fn collapsed_dot_shows_count_and_lists_texts() {
    let svg = render_svg(&ping(), &RenderOptions::new()).unwrap();
    let document = roxmltree::Document::parse(&svg).unwrap();
    let collapsed: Vec<_> = document
        .descendants()
        .filter(|n| has_class(*n, "collapsed") && n.tag_name().name() == "g")
        .collect();
    assert_eq!(collapsed.len(), 1);
    let count = collapsed[0]
        .children()
        .find(|n| has_class(*n, "count"))
        .and_then(|n| n.text())
        .unwrap();
    assert_eq!(count, "2");
    let tooltip = collapsed[0]
        .descendants()
        .find(|n| n.tag_name().name() == "title")
        .and_then(|n| n.text())
        .unwrap();
    assert!(tooltip.contains("bob:2: think"), "{tooltip}");
    assert!(tooltip.contains("bob:3: think more"), "{tooltip}");
}

#[test]
fn highlighting_splits_runs_and_draws_a_legend() {
    // Highlighting a collapsible event splits its run around it.
    let svg = render_svg(&ping(), &RenderOptions::new().highlight("bob:2")).unwrap();
    let drawn = parse(&svg);
    assert!(drawn.legend);
    let class_of: HashMap<&str, &Vec<String>> = drawn
        .dots
        .iter()
        .map(|d| (d.first.as_str(), &d.classes))
        .collect();
    assert!(class_of["bob:2"].contains(&"highlighted".to_owned()));
    assert!(class_of["bob:3"].contains(&"after".to_owned()));
    assert!(class_of["alice:1"].contains(&"before".to_owned()));
    assert!(class_of["carol:1"].contains(&"concurrent".to_owned()));
    assert!(svg.contains("highlighted: bob:2"));
}

/// Regression: the legend's first entry ("highlighted: ID") ran into the second one when
/// the id was long.
#[test]
fn legend_entries_do_not_overlap_with_long_ids() {
    let mut diagram = Diagram::new(["loadBalancerWest", "b"]);
    diagram.push_event(0, &[1, 0], "x").unwrap();
    let svg = render_svg(
        &diagram,
        &RenderOptions::new().highlight("loadBalancerWest:1"),
    )
    .unwrap();
    let document = roxmltree::Document::parse(&svg).unwrap();
    let legend = document
        .descendants()
        .find(|n| has_class(*n, "legend"))
        .unwrap();
    let entries: Vec<(f64, usize)> = legend
        .children()
        .filter(|n| n.tag_name().name() == "text")
        .map(|text| (number(text, "x"), text.text().unwrap().chars().count()))
        .collect();
    assert_eq!(entries.len(), 4);
    assert!(entries[0].1 > "highlighted: loadBalancer".len());
    for pair in entries.windows(2) {
        // 12 px sans-serif averages under 7 px a character.
        assert!(
            pair[1].0 - pair[0].0 >= 7.0 * pair[0].1 as f64,
            "{entries:?}"
        );
    }
    let last = entries[3];
    assert!(number(document.root_element(), "width") >= last.0 + 7.0 * last.1 as f64);
}

#[test]
fn names_and_texts_are_escaped() {
    let names = ["a<b>&c", "Zoë \"quoted\"", "节点'1", "host:8080"];
    let mut diagram = Diagram::new(names);
    let send = diagram
        .push_event(0, &[1, 0, 0, 0], "</title><script>x</script>")
        .unwrap();
    let receive = diagram
        .push_event(3, &[1, 0, 0, 1], "bell \u{7} & tab\t")
        .unwrap();
    diagram.push_event(1, &[0, 1, 0, 0], "ünïcödé ✓").unwrap();
    diagram.push_event(2, &[0, 0, 1, 0], "\u{FFFF}").unwrap();
    diagram.push_message(send, receive).unwrap();
    let svg = render_svg(
        &diagram,
        &RenderOptions::new()
            .highlight("host:8080:1")
            .title("<title & co>"),
    )
    .unwrap();
    let drawn = parse(&svg);
    assert_eq!(drawn.timelines, names);
    assert_eq!(drawn.arrows[0].0, "a<b>&c:1");
    assert_eq!(drawn.arrows[0].1, "host:8080:1");
    let document = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = document.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&"<title & co>"));
    assert!(
        texts
            .iter()
            .any(|t| t.contains("</title><script>x</script>"))
    );
    assert!(texts.iter().any(|t| t.contains("bell \u{FFFD} & tab\t")));
    assert!(texts.iter().any(|t| t.contains("ünïcödé ✓")));
    assert!(!svg.contains('\u{7}') && !svg.contains('\u{FFFF}'));
    assert!(!svg.contains("<script>"));
}

#[test]
fn long_names_are_shortened_in_the_header_only() {
    let long = "a-very-long-node-name-that-would-overlap-its-neighbours";
    let mut diagram = Diagram::new([long, "b"]);
    diagram.push_event(0, &[1, 0], "x").unwrap();
    let svg = render_svg(&diagram, &RenderOptions::new()).unwrap();
    let document = roxmltree::Document::parse(&svg).unwrap();
    let name = document
        .descendants()
        .find(|n| has_class(*n, "name"))
        .and_then(|n| n.text())
        .unwrap();
    assert_eq!(name.chars().count(), 14);
    assert!(name.ends_with('…'));
    assert_eq!(parse(&svg).timelines[0], long);
}

#[test]
fn lenient_clocks_with_holes_and_unknown_times_still_render() {
    // a's own entries skip 2; b references a time of a that does not exist (5).
    let mut diagram = Diagram::new(["a", "b"]);
    diagram.push_event(0, &[1, 0], "first").unwrap();
    diagram.push_event(0, &[3, 0], "after a hole").unwrap();
    diagram.push_event(1, &[5, 1], "knows a:5").unwrap();
    let svg = render_svg(&diagram, &RenderOptions::new().collapse(false)).unwrap();
    let drawn = parse(&svg);
    let y: HashMap<&str, f64> = drawn.dots.iter().map(|d| (d.first.as_str(), d.y)).collect();
    assert!(y["a:1"] < y["a:3"]);
    assert!(
        y["a:3"] < y["b:1"],
        "b:1 is below the latest a event its clock covers"
    );
}

/// Regression (found by the property test): a receive whose message the diagram leaves out
/// was collapsed with the local events around it, and the run then both preceded and
/// followed the sender: a false cycle.
#[test]
fn a_receive_without_its_message_is_not_collapsed() {
    let mut diagram = Diagram::new(["a", "b"]);
    diagram.push_event(0, &[1, 0], "local").unwrap();
    diagram.push_event(0, &[2, 0], "local").unwrap();
    diagram.push_event(1, &[1, 1], "knows a:1").unwrap();
    diagram
        .push_event(0, &[3, 1], "knows b:1, no message given")
        .unwrap();
    diagram.push_event(0, &[4, 1], "local").unwrap();
    let svg = render_svg(&diagram, &RenderOptions::new()).unwrap();
    let drawn = parse(&svg);
    let dots: Vec<(&str, usize)> = drawn
        .dots
        .iter()
        .filter(|dot| dot.node == "a")
        .map(|dot| (dot.first.as_str(), dot.count))
        .collect();
    assert_eq!(dots, [("a:1", 2), ("a:3", 1), ("a:4", 1)]);
    let y: HashMap<&str, f64> = drawn.dots.iter().map(|d| (d.first.as_str(), d.y)).collect();
    assert!(y["a:1"] < y["b:1"] && y["b:1"] < y["a:3"]);
}

#[test]
fn empty_diagrams_render() {
    for diagram in [Diagram::new(Vec::<String>::new()), Diagram::new(["lonely"])] {
        let svg = render_svg(&diagram, &RenderOptions::new()).unwrap();
        let drawn = parse(&svg);
        assert_eq!(drawn.timelines.len(), diagram.nodes().len());
        assert!(drawn.dots.is_empty());
    }
}

#[test]
fn bad_input_is_reported_precisely() {
    let mut diagram = Diagram::new(["a", "b"]);
    assert!(matches!(
        diagram.push_event(2, &[1, 0], "x"),
        Err(RenderError::NodeOutOfRange {
            node: 2,
            nodes: 2,
            ..
        })
    ));
    assert!(matches!(
        diagram.push_event(0, &[1], "x"),
        Err(RenderError::ClockLength {
            expected: 2,
            found: 1,
            ..
        })
    ));
    assert!(matches!(
        diagram.push_event(1, &[1, 0], "x"),
        Err(RenderError::ZeroOwnEntry { .. })
    ));
    let a1 = diagram.push_event(0, &[1, 0], "x").unwrap();
    assert!(matches!(
        diagram.push_message(a1, 7),
        Err(RenderError::MessageOutOfRange { .. })
    ));
    assert!(matches!(
        diagram.push_message(a1, a1),
        Err(RenderError::MessageOutOfRange { .. })
    ));
    for (id, unknown) in [
        ("a", false),
        ("a:x", false),
        ("a:-1", false),
        ("c:1", true),
        ("a:9", true),
    ] {
        let err = render_svg(&diagram, &RenderOptions::new().highlight(id)).unwrap_err();
        match err {
            RenderError::UnknownEvent { id: got } if unknown => assert_eq!(got, id),
            RenderError::BadEventId { id: got } if !unknown => assert_eq!(got, id),
            other => panic!("{id}: unexpected {other:?}"),
        }
    }

    let mut duplicate = Diagram::new(["a"]);
    duplicate.push_event(0, &[1], "x").unwrap();
    duplicate.push_event(0, &[1], "y").unwrap();
    let err = render_svg(&duplicate, &RenderOptions::new()).unwrap_err();
    assert!(
        matches!(&err, RenderError::DuplicateEvent { id } if id == "a:1"),
        "{err}"
    );

    // Each event's clock covers the other: no causal order exists.
    let mut cycle = Diagram::new(["a", "b"]);
    cycle.push_event(0, &[1, 1], "x").unwrap();
    cycle.push_event(1, &[1, 1], "y").unwrap();
    let err = render_svg(&cycle, &RenderOptions::new()).unwrap_err();
    assert!(matches!(err, RenderError::Cycle { .. }), "{err}");
    assert!(err.to_string().contains("cycle"));

    // A message against the clocks' order is a cycle too.
    let mut backwards = Diagram::new(["a", "b"]);
    let a1 = backwards.push_event(0, &[1, 0], "x").unwrap();
    let b1 = backwards.push_event(1, &[1, 1], "y").unwrap();
    backwards.push_message(b1, a1).unwrap();
    assert!(matches!(
        render_svg(&backwards, &RenderOptions::new()),
        Err(RenderError::Cycle { .. })
    ));
}

#[test]
fn five_thousand_events_on_thirty_nodes() {
    let diagram = Diagram::random(42, 30, 5000);
    let mut out = Vec::new();
    let summary = write_svg(&diagram, &RenderOptions::new(), &mut out).unwrap();
    let drawn = parse(std::str::from_utf8(&out).unwrap());
    assert_eq!(drawn.timelines.len(), 30);
    assert_eq!(drawn.dots.iter().map(|d| d.count).sum::<usize>(), 5000);
    assert_eq!(drawn.dots.len(), summary.dots);
    assert_eq!(drawn.arrows.len(), diagram.messages().len());
    assert!(
        drawn.arrows.iter().all(|(_, _, y1, y2)| y1 < y2),
        "arrows point down"
    );
    assert!(summary.collapsed_dots > 0);
    // Readable: the picture is as wide as the columns and as tall as the rows, no more.
    assert_eq!(summary.width, 40 + 100 * 30);
    assert!(summary.height < 28 * summary.rows as u64 + 200);
}

/// A log read with its clocks stored as changes (as wide executions are) draws exactly the
/// picture and the page of the same log read densely, holes and a highlight included.
#[test]
fn clocks_stored_as_changes_draw_the_same_svg_and_page() {
    use causet_log::{ClockStorage, GenerateOptions, ReadOptions, generate_log, parse_log};
    let read = |text: &str, storage| {
        causet_log::set_clock_storage(storage);
        let log = parse_log(text.as_bytes(), &ReadOptions::default()).unwrap();
        causet_log::set_clock_storage(ClockStorage::Auto);
        log
    };
    for (nodes, seed) in [(3, 1), (12, 2), (80, 3)] {
        let text = generate_log(&GenerateOptions {
            events: 400,
            nodes,
            seed,
            ..GenerateOptions::default()
        });
        // A hole (lenient logs render too).
        let holey: String = text
            .lines()
            .collect::<Vec<_>>()
            .chunks(2)
            .enumerate()
            .filter(|(k, _)| k % 97 != 50)
            .map(|(_, pair)| format!("{}\n{}\n", pair[0], pair[1]))
            .collect();
        for text in [&text, &holey] {
            let dense = read(text, ClockStorage::Dense);
            let changes = read(text, ClockStorage::Changes);
            assert!(!changes.executions[0].clock_table().is_dense());
            let a = Diagram::from_execution(&dense.executions[0]).unwrap();
            let b = Diagram::from_execution(&changes.executions[0]).unwrap();
            for event in 0..a.len() {
                assert_eq!(a.clock(event), b.clock(event));
                assert_eq!(a.own(event), b.own(event));
            }
            let highlight = a.event_id(a.len() / 2);
            for options in [
                RenderOptions::new(),
                RenderOptions::new().highlight(highlight.as_str()),
            ] {
                assert_eq!(
                    render_svg(&a, &options).unwrap(),
                    render_svg(&b, &options).unwrap(),
                    "{nodes} nodes"
                );
            }
            let options = causet_diagram::ViewOptions::new();
            assert_eq!(
                causet_diagram::render_view(&dense, &options).unwrap(),
                causet_diagram::render_view(&changes, &options).unwrap()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Golden file: pins the SVG format. Regenerate with CAUSET_BLESS=1 after a deliberate change.

#[test]
fn golden_svg() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagram/render_golden.svg");
    let svg = render_svg(
        &ping(),
        &RenderOptions::new().highlight("alice:1").title("ping"),
    )
    .unwrap();
    if std::env::var_os("CAUSET_BLESS").is_some() {
        std::fs::write(&path, &svg).unwrap();
    }
    let golden = std::fs::read_to_string(&path).expect("golden file (CAUSET_BLESS=1 writes it)");
    assert_eq!(
        svg, golden,
        "the SVG format changed; if on purpose, rerun with CAUSET_BLESS=1"
    );
}

// ---------------------------------------------------------------------------------------------
// Headless Chromium screenshot.

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
}

#[test]
fn chromium_screenshot_is_not_blank() {
    let Some(chromium) = find_chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed but CI is set: .ci/ensure-chromium should have installed it"
        );
        eprintln!("SKIPPED (chromium not installed; run .ci/ensure-chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let model = Model::random(3, 6, 120, 2);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let diagram = model.diagram(&mut rng);
    let highlight = model.id(model.events.len() / 2);
    let svg_path = dir.path().join("diagram.svg");
    let svg = render_svg(&diagram, &RenderOptions::new().highlight(highlight)).unwrap();
    std::fs::write(&svg_path, &svg).unwrap();
    let png_path = dir.path().join("out.png");
    let profile = dir.path().join("profile");

    let mut child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg("--window-size=1200,900")
        .arg(format!("file://{}", svg_path.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    // A hang protection, not a timing assertion: chromium normally needs a few seconds.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish the screenshot within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        png_path.is_file(),
        "chromium wrote no screenshot (exit {status})"
    );
    // To look at the picture yourself: CAUSET_KEEP_SCREENSHOT=/tmp/diagram.png cargo test ...
    if let Some(keep) = std::env::var_os("CAUSET_KEEP_SCREENSHOT") {
        std::fs::copy(&png_path, keep).unwrap();
    }

    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected colour type {other:?}"),
    };
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let (width, height) = (info.width as usize, info.height as usize);
    assert_eq!((width, height), (1200, 900));
    let pixel = |x: usize, y: usize| {
        let at = (y * width + x) * channels;
        [pixels[at], pixels[at + 1], pixels[at + 2]]
    };
    let near = |p: [u8; 3], q: [u8; 3]| p.iter().zip(q).all(|(a, b)| a.abs_diff(b) <= 40);

    let mut colours = BTreeSet::new();
    let mut non_white = 0;
    let (mut blue, mut red) = (0, 0);
    for y in 0..height {
        for x in 0..width {
            let p = pixel(x, y);
            colours.insert(p);
            if p != [255, 255, 255] {
                non_white += 1;
            }
            blue += usize::from(near(p, [0x2f, 0x6f, 0xd0]));
            red += usize::from(near(p, [0xe0, 0x45, 0x2b]));
        }
    }
    assert!(
        colours.len() >= 8,
        "only {} distinct colours: blank?",
        colours.len()
    );
    assert!(non_white > 2000, "only {non_white} non-white pixels");
    assert!(
        blue > 50 && red > 50,
        "the before/after colours show: {blue} blue, {red} red"
    );

    // The first timeline's vertical line is drawn where the SVG puts it (x = 70).
    let drawn = parse(&svg);
    let first = drawn
        .dots
        .iter()
        .filter(|d| d.node == "n0")
        .map(|d| d.y)
        .fold(f64::MAX, f64::min);
    let below = (first as usize + 14).min(height - 1);
    let column_dark = (below..(below + 200).min(height))
        .filter(|&y| (66..=74).any(|x| pixel(x, y)[0] < 230))
        .count();
    assert!(
        column_dark > 150,
        "the timeline of n0 is visible ({column_dark} rows)"
    );
}

// ---------------------------------------------------------------------------------------------
// Arbitrary (mostly invalid) clocks and messages: an answer, never a panic.

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_diagrams_render_or_fail_cleanly(
        nodes in 1usize..5,
        events in proptest::collection::vec((0usize..5, proptest::collection::vec(0u64..6, 5)), 0..25),
        messages in proptest::collection::vec((0usize..25, 0usize..25), 0..10),
        highlight in 0usize..25,
        collapse in proptest::bool::ANY,
        broken in proptest::bool::weighted(0.3),
    ) {
        let mut diagram = Diagram::new((0..nodes).map(|node| format!("n{node}")));
        let mut seen = vec![0u64; nodes];
        for (index, (node, mut clock)) in events.into_iter().enumerate() {
            let node = node % nodes;
            // Own entries run 1, 2, 3; in a third of the cases one event in nine keeps its
            // random clock, so duplicates, zeros and cycles occur too.
            if !broken || index % 9 != 4 {
                seen[node] += 1;
                clock[node] = seen[node];
                // Other entries name events already pushed (not always the latest ones).
                for other in (0..nodes).filter(|&other| other != node) {
                    clock[other] %= seen[other] + 1;
                }
            }
            // Invalid input is refused at push time; keep what is accepted.
            let _ = diagram.push_event(node, &clock[..nodes], "e");
        }
        for (index, (a, b)) in messages.into_iter().enumerate() {
            // Mostly forward in push order (consistent with the clocks), sometimes backwards.
            let (send, receive) = if broken && index % 5 == 4 { (a.max(b), a.min(b)) } else { (a.min(b), a.max(b)) };
            let _ = diagram.push_message(send, receive);
        }
        let mut options = RenderOptions::new().collapse(collapse);
        if highlight < diagram.len() {
            options = options.highlight(diagram.event_id(highlight));
        }
        match render_svg(&diagram, &options) {
            Ok(svg) => {
                let drawn = parse(&svg);
                proptest::prop_assert_eq!(drawn.timelines.len(), nodes);
                proptest::prop_assert_eq!(
                    drawn.dots.iter().map(|dot| dot.count).sum::<usize>(),
                    diagram.len()
                );
                proptest::prop_assert_eq!(drawn.arrows.len(), diagram.messages().len());
                proptest::prop_assert!(drawn.arrows.iter().all(|(_, _, y1, y2)| y1 < y2));
            }
            // Without the broken events, every dependency points forward in push order.
            Err(RenderError::DuplicateEvent { .. } | RenderError::Cycle { .. }) if broken => {}
            Err(other) => proptest::prop_assert!(false, "unexpected error {other}"),
        }
    }
}
