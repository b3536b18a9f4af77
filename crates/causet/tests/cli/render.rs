//! CLI tests: `causet render` draws logs as SVG; the SVG is parsed back and its structure
//! checked (timelines, dots, arrows, highlight classes).

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{assert_error, peer_data, run_in, stderr, stdout};

/// alice sends ping to bob; bob starts before receiving it, then thinks twice; carol idles.
const PING: &str = "\
alice {\"alice\":1}
send ping
bob {\"bob\":1}
start
bob {\"alice\":1, \"bob\":2}
receive ping
bob {\"alice\":1, \"bob\":3}
think
bob {\"alice\":1, \"bob\":4}
think more
carol {\"carol\":1}
idle
";

/// What a rendered SVG holds.
#[derive(Debug, Default)]
struct Drawn {
    timelines: Vec<String>,
    /// Per dot: first id, number of events, colour class (if any).
    dots: Vec<(String, usize, Option<String>)>,
    /// (from, to) ids.
    arrows: Vec<(String, String)>,
    title: Option<String>,
}

impl Drawn {
    fn events(&self) -> usize {
        self.dots.iter().map(|dot| dot.1).sum()
    }

    fn class_of(&self, id: &str) -> Option<&str> {
        self.dots
            .iter()
            .find(|dot| dot.0 == id)
            .unwrap_or_else(|| panic!("no dot {id}"))
            .2
            .as_deref()
    }
}

fn has_class(node: roxmltree::Node<'_, '_>, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|value| value.split_whitespace().any(|c| c == class))
}

fn parse(svg: &str) -> Drawn {
    let document = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let mut drawn = Drawn::default();
    for node in document.descendants().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            "g" if has_class(node, "timeline") => drawn
                .timelines
                .push(node.attribute("data-node").unwrap().to_owned()),
            "text" if has_class(node, "title") => {
                drawn.title = node.text().map(str::to_owned);
            }
            "circle" if has_class(node, "event") => {
                let class = ["highlighted", "before", "after", "concurrent"]
                    .into_iter()
                    .find(|class| has_class(node, class))
                    .map(str::to_owned);
                drawn.dots.push((
                    node.attribute("data-id").unwrap().to_owned(),
                    node.attribute("data-count")
                        .map_or(1, |count| count.parse().unwrap()),
                    class,
                ));
            }
            "line" if has_class(node, "message") => drawn.arrows.push((
                node.attribute("data-from").unwrap().to_owned(),
                node.attribute("data-to").unwrap().to_owned(),
            )),
            _ => {}
        }
    }
    drawn
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn read_svg(dir: &Path, name: &str) -> Drawn {
    parse(&std::fs::read_to_string(dir.join(name)).unwrap())
}

#[test]
fn draws_timelines_dots_and_arrows() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ping.log", PING);
    let output = run_in(dir.path(), &["render", "ping.log", "-o", "ping.svg"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let drawn = read_svg(dir.path(), "ping.svg");
    assert_eq!(drawn.timelines, ["alice", "bob", "carol"]);
    assert_eq!(drawn.events(), 6);
    // bob's two thoughts are one collapsed dot.
    assert_eq!(drawn.dots.len(), 5);
    assert!(drawn.dots.contains(&("bob:3".into(), 2, None)));
    assert_eq!(drawn.arrows, [("alice:1".into(), "bob:2".into())]);
    assert_eq!(drawn.title.as_deref(), Some("ping.log"));
    let summary = stdout(&output);
    assert!(
        summary.contains("6 events on 3 nodes as 5 dots (1 collapsed runs), 1 messages"),
        "{summary}"
    );
}

#[test]
fn json_summary_matches_the_drawing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ping.log", PING);
    let output = run_in(
        dir.path(),
        &[
            "render",
            "ping.log",
            "-o",
            "ping.svg",
            "--json",
            "--no-collapse",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let drawn = read_svg(dir.path(), "ping.svg");
    assert_eq!(json["output"], "ping.svg");
    assert_eq!(json["execution"], "");
    assert_eq!(json["nodes"], 3);
    assert_eq!(json["events"], 6);
    assert_eq!(json["dots"], drawn.dots.len());
    assert_eq!(json["dots"], 6, "--no-collapse draws every event");
    assert_eq!(json["collapsed_dots"], 0);
    assert_eq!(json["messages"], 1);
    assert_eq!(json["rows"], 4);
    assert!(json["width"].as_u64().unwrap() >= 300);
}

#[test]
fn highlight_colours_by_causal_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ping.log", PING);
    let output = run_in(
        dir.path(),
        &["render", "ping.log", "-o", "h.svg", "--highlight", "bob:2"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let drawn = read_svg(dir.path(), "h.svg");
    assert_eq!(drawn.class_of("bob:2"), Some("highlighted"));
    assert_eq!(drawn.class_of("alice:1"), Some("before"));
    assert_eq!(drawn.class_of("bob:1"), Some("before"));
    assert_eq!(drawn.class_of("bob:3"), Some("after"));
    assert_eq!(drawn.class_of("carol:1"), Some("concurrent"));
}

#[test]
fn writes_to_standard_output_by_default() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ping.log", PING);
    let output = run_in(dir.path(), &["render", "ping.log", "--title", "Zoë <&>"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let drawn = parse(&stdout(&output));
    assert_eq!(drawn.events(), 6);
    assert_eq!(drawn.title.as_deref(), Some("Zoë <&>"));
}

#[test]
fn picks_an_execution_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let log = "\
=== first ===
a {\"a\":1}
x
=== second ===
a {\"a\":1}
y
b {\"a\":1, \"b\":1}
z
";
    write(dir.path(), "two.log", log);
    let delimiter = "^=== (?<trace>.*) ===$";
    let output = run_in(
        dir.path(),
        &["render", "two.log", "--delimiter", delimiter, "-o", "1.svg"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("2 executions"),
        "{}",
        stderr(&output)
    );
    assert_eq!(read_svg(dir.path(), "1.svg").events(), 1);

    let output = run_in(
        dir.path(),
        &[
            "render",
            "two.log",
            "--delimiter",
            delimiter,
            "--execution",
            "second",
            "-o",
            "2.svg",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let drawn = read_svg(dir.path(), "2.svg");
    assert_eq!((drawn.events(), drawn.arrows.len()), (2, 1));
    assert_eq!(drawn.title.as_deref(), Some("second"));

    let output = run_in(
        dir.path(),
        &[
            "render",
            "two.log",
            "--delimiter",
            delimiter,
            "--execution",
            "third",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("no execution 'third'"), "{message}");
    assert!(message.contains("'first', 'second'"), "{message}");
}

#[test]
fn errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ping.log", PING);

    // An unknown event to highlight: exit 2, and no file left behind.
    let output = run_in(
        dir.path(),
        &["render", "ping.log", "-o", "x.svg", "--highlight", "dave:1"],
    );
    assert_error(&output, "ping.log: --highlight dave:1");
    assert!(
        stderr(&output).contains("has nodes alice, bob, carol"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("x.svg").exists());
    let output = run_in(dir.path(), &["render", "ping.log", "--highlight", "bob:9"]);
    assert_error(&output, "node bob has events bob:1 to bob:4");

    // --json needs a file for the SVG.
    let output = run_in(dir.path(), &["render", "ping.log", "--json"]);
    assert_error(&output, "-o FILE.svg");

    // Two events with the same id: no causal order to draw; the line is named.
    write(dir.path(), "dup.log", "a {\"a\":1}\nx\na {\"a\":1}\ny\n");
    let output = run_in(dir.path(), &["render", "dup.log", "-o", "d.svg"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("causet: dup.log:3: "),
        "{}",
        stderr(&output)
    );

    // Broken clock JSON.
    write(dir.path(), "bad.log", "a {\"a\":1}\nx\na {\"a\":2\ny\n");
    let output = run_in(dir.path(), &["render", "bad.log", "-o", "b.svg"]);
    assert_error(&output, "bad.log:3:");

    // A missing file.
    let output = run_in(dir.path(), &["render", "missing.log"]);
    assert_error(&output, "missing.log");

    // Over --max-events.
    let output = run_in(dir.path(), &["render", "ping.log", "--max-events", "5"]);
    assert_error(&output, "--max-events 5");
}

#[test]
fn lenient_logs_render_only_with_lenient_like_every_log_command() {
    // a:2 is missing (a hole): ShiViz rejects it, `check --lenient` accepts it.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "hole.log", "a {\"a\":1}\nx\na {\"a\":3}\ny\n");
    for args in [
        &["check", "hole.log"][..],
        &["analyze", "hole.log"],
        &["order", "hole.log", "a:1", "a:3"],
        &["render", "hole.log", "-o", "h.svg"],
    ] {
        let output = run_in(dir.path(), args);
        let expected = if args[0] == "check" { 1 } else { 2 };
        assert_eq!(output.status.code(), Some(expected), "{args:?}");
        let said = format!("{}{}", stdout(&output), stderr(&output));
        assert!(said.contains("hole.log:3:"), "{args:?}: {said}");
        if args[0] != "check" {
            assert!(said.contains("--lenient accepts it"), "{args:?}: {said}");
        }
        let mut lenient = args.to_vec();
        lenient.insert(1, "--lenient");
        let output = run_in(dir.path(), &lenient);
        assert!(output.status.success(), "{lenient:?}: {}", stderr(&output));
    }
    let output = run_in(
        dir.path(),
        &[
            "render",
            "--lenient",
            "hole.log",
            "-o",
            "h.svg",
            "--no-collapse",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let drawn = read_svg(dir.path(), "h.svg");
    let ids: Vec<&str> = drawn.dots.iter().map(|dot| dot.0.as_str()).collect();
    assert_eq!(ids, ["a:1", "a:3"]);
}

/// A peer log: file, regex, delimiter, execution names, events and nodes (SOURCES.md).
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    &'a [&'a str],
    usize,
    usize,
);

/// The ShiViz-format files of the peer data, with their regexes and event counts
/// (SOURCES.md): every event is drawn, across all executions.
#[test]
fn peer_logs_render_every_event() {
    let Some(peer) = peer_data("peer_logs_render_every_event") else {
        return;
    };
    let facebook = r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4} (\d{2}:){2}\d{2} (AM|PM)) (?<action>(INFO|GET|POST)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";
    let tsviz = r"(?<timestamp>(\d*)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";
    let trace = "^=== (?<trace>.*) ===$";
    let cases: [Case<'_>; 9] = [
        ("shiviz/facebook.log", Some(facebook), None, &[""], 47, 4),
        (
            "shiviz/facebook-multiple.log",
            Some(facebook),
            Some(trace),
            &["Execution #1", "Execution #2"],
            88,
            4,
        ),
        (
            "shiviz/simple-reliable-broadcast.log",
            Some(
                r"\[\w+\] \[(?<date>([^ ]+ [^ ]+))\] [^ ]+ \[akka://Broadcast/user/(?<host>\w+)\] (?<clock>.*\}) (?<event>.*)",
            ),
            None,
            &[""],
            39,
            3,
        ),
        (
            "shiviz/chord.log",
            Some(r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)"),
            None,
            &[""],
            1235,
            8,
        ),
        (
            "shiviz/voldemort-simple-threadnames.log",
            Some(
                r"\[(?<date>\d{4}-\d{2}-\d{2} (\d{2}:){2}\d{2},\d{3}) (?<path>\S*)\] (?<priority>(INFO|WARN)) (?<event>.*)\n(?<host>\S*) (?<clock>{.*})",
            ),
            None,
            &[""],
            863,
            19,
        ),
        (
            "shiviz/simpledb.log",
            Some(r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"),
            None,
            &[""],
            509,
            5,
        ),
        (
            "tsviz/tsviz_fslock_24t_4sp.log",
            Some(tsviz),
            None,
            &[""],
            2001,
            30,
        ),
        (
            "tsviz/tsviz_shared_var_4_threads.log",
            Some(tsviz),
            None,
            &[""],
            5000,
            4,
        ),
        ("govector/RpcClientServer.log", None, None, &[""], 10, 2),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (file, regex, delimiter, executions, events, nodes) in cases {
        let path = peer.join(file);
        let path = path.to_str().unwrap();
        let mut total = 0;
        let mut seen_nodes = BTreeMap::new();
        for execution in executions {
            let mut args = vec!["render", path, "-o", "out.svg"];
            if let Some(regex) = regex {
                args.extend(["--regex", regex]);
            }
            if let Some(delimiter) = delimiter {
                args.extend(["--delimiter", delimiter, "--execution", execution]);
            }
            let output = run_in(dir.path(), &args);
            assert!(output.status.success(), "{file}: {}", stderr(&output));
            let drawn = read_svg(dir.path(), "out.svg");
            total += drawn.events();
            for dot in &drawn.dots {
                let node = dot.0.rsplit_once(':').unwrap().0.to_owned();
                seen_nodes.insert(node, ());
            }
            // Every arrow joins two drawn events.
            for (from, to) in &drawn.arrows {
                assert!(
                    drawn.dots.iter().any(|dot| &dot.0 == from),
                    "{file}: {from}"
                );
                assert!(drawn.dots.iter().any(|dot| &dot.0 == to), "{file}: {to}");
            }
        }
        assert_eq!(total, events, "{file}: events drawn");
        assert_eq!(seen_nodes.len(), nodes, "{file}: nodes with events");
    }
}

/// Issue 18: every command counts nodes the same way: the nodes that log events. A
/// per-process GoVector log names its peers only inside its clocks; `render` draws them as
/// empty timelines and says so apart, and `analyze` counts the same nodes.
#[test]
fn render_and_analyze_count_the_same_nodes() {
    let Some(dir) = peer_data("render_and_analyze_count_the_same_nodes") else {
        return;
    };
    let log = dir.join("govector/leaf_process.goveclogger-Log.txt");
    let out = tempfile::tempdir().expect("temp dir");
    let log = log.to_str().expect("utf-8 path");
    let analyzed = run_in(out.path(), &["analyze", "--lenient", "--json", log]);
    assert_eq!(analyzed.status.code(), Some(0), "{}", stderr(&analyzed));
    let analyzed: serde_json::Value = serde_json::from_str(&stdout(&analyzed)).expect("json");
    let rendered = run_in(
        out.path(),
        &["render", "--lenient", "--json", log, "-o", "d.svg"],
    );
    assert_eq!(rendered.status.code(), Some(0), "{}", stderr(&rendered));
    let rendered: serde_json::Value = serde_json::from_str(&stdout(&rendered)).expect("json");
    assert_eq!(rendered["nodes"], analyzed["executions"][0]["nodes"]);
    assert_eq!(rendered["nodes"], 1);
    assert_eq!(rendered["clock_only_nodes"], 1);
    let text = run_in(out.path(), &["render", "--lenient", log, "-o", "d.svg"]);
    assert!(
        stdout(&text).contains("41 events on 1 nodes (+1 named only in clocks)"),
        "{}",
        stdout(&text)
    );
}
