//! `causet view`: the page, opened in a real headless Chromium from `file://`.
//!
//! The page exposes its state on `window.causetView`; with `test` in the address fragment
//! it also writes that state as JSON into `<pre id="causet-state">`, which
//! `chromium --headless --dump-dom` prints. The fragment drives it as a user's link would
//! (`x=` execution, `hide=` nodes, `q=` search) and `click=ID` dispatches a real click on the
//! event's position on the canvas.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::{assert_error, peer_data, run_in, stderr, stdout, wait_guarded};

pub(crate) const FACEBOOK: &str = r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4} (\d{2}:){2}\d{2} (AM|PM)) (?<action>(INFO|GET|POST)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";
pub(crate) const TRACE: &str = "^=== (?<trace>.*) ===$";

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
}

/// Chromium, or `None` with a visible SKIPPED line (a failure under CI, where
/// .ci/ensure-chromium installs it).
fn chromium(test: &str) -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: chromium is not installed but CI is set: .ci/ensure-chromium should have \
             installed it"
        );
        eprintln!("SKIPPED {test}: chromium not installed (run .ci/ensure-chromium)");
    }
    found
}

/// Runs headless Chromium on `url` with `extra` arguments; returns its standard output.
fn run_chromium(chromium: &Path, profile: &Path, extra: &[String], url: &str) -> String {
    let mut child = Command::new(chromium)
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
            "--window-size=1300,850",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    wait_guarded(&mut child, 120, &format!("chromium on {url}"));
    reader.join().unwrap().expect("chromium's output")
}

/// The page's state after loading `page#fragment` (with `test` added).
fn page_state(chromium: &Path, dir: &Path, page: &Path, fragment: &str) -> serde_json::Value {
    let url = format!("file://{}#test&{fragment}", page.display());
    let dom = run_chromium(
        chromium,
        &dir.join("profile"),
        &["--dump-dom".to_owned()],
        &url,
    );
    let start = dom
        .find(r#"<pre id="causet-state""#)
        .unwrap_or_else(|| panic!("no state element in the DOM of {url}:\n{dom}"));
    let body = &dom[start..];
    let body = &body[body.find('>').unwrap() + 1..];
    let text = &body[..body.find("</pre>").unwrap()];
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let state: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("state of {url} is not JSON ({err}): {text}"));
    assert_eq!(
        state["errors"],
        serde_json::json!([]),
        "no error in the page at {url}"
    );
    state
}

/// The ids of the array `state[key]`, as a set.
fn ids(state: &serde_json::Value, key: &str) -> BTreeSet<String> {
    state[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {state}"))
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

/// What `causet order` says about `a` against every event of `all`: the events after `a`
/// (its causal future), before it (its past) and concurrent with it.
fn order_sets(
    dir: &Path,
    log_args: &[&str],
    execution: Option<&str>,
    a: &str,
    all: &BTreeSet<String>,
) -> [BTreeSet<String>; 3] {
    let pairs: String = all
        .iter()
        .filter(|b| b.as_str() != a)
        .map(|b| format!("{a} {b}\n"))
        .collect();
    std::fs::write(dir.join("pairs.txt"), pairs).unwrap();
    let mut args = vec!["order"];
    args.extend_from_slice(log_args);
    args.extend(["--pairs", "pairs.txt", "--json"]);
    if let Some(execution) = execution {
        args.extend(["--execution", execution]);
    }
    let output = run_in(dir, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let mut sets: [BTreeSet<String>; 3] = Default::default();
    for answer in json["answers"].as_array().unwrap() {
        let b = answer["b"].as_str().unwrap().to_owned();
        match answer["order"].as_str().unwrap() {
            "after" => sets[0].insert(b),
            "before" => sets[1].insert(b),
            "concurrent" => sets[2].insert(b),
            other => panic!("{a} {other} {b}"),
        };
    }
    sets
}

/// The selection's highlighted sets, exactly as `causet order` answers for that event.
#[track_caller]
fn assert_selection_matches_order(
    dir: &Path,
    state: &serde_json::Value,
    log_args: &[&str],
    execution: Option<&str>,
    a: &str,
) {
    assert_eq!(state["selected"], a);
    let all: BTreeSet<String> = ids(state, "past")
        .into_iter()
        .chain(ids(state, "future"))
        .chain(ids(state, "concurrent"))
        .chain([a.to_owned()])
        .collect();
    assert_eq!(all.len() as u64, state["events"].as_u64().unwrap());
    let [past, future, concurrent] = order_sets(dir, log_args, execution, a, &all);
    assert_eq!(ids(state, "past"), past, "past of {a}");
    assert_eq!(ids(state, "future"), future, "future of {a}");
    assert_eq!(ids(state, "concurrent"), concurrent, "concurrent with {a}");
}

/// The page's causal path runs from `a` to `b`, every step a happens-before edge by
/// `causet order`, and crosses nodes (more than program order alone).
#[track_caller]
fn assert_causal_path(
    dir: &Path,
    state: &serde_json::Value,
    log_args: &[&str],
    execution: &str,
    a: &str,
    b: &str,
) {
    let path: Vec<String> = state["path"]
        .as_array()
        .unwrap_or_else(|| panic!("no path in {state}"))
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(path.first().map(String::as_str), Some(a), "{path:?}");
    assert_eq!(path.last().map(String::as_str), Some(b), "{path:?}");
    let pairs: String = path
        .windows(2)
        .map(|w| format!("{} {}\n", w[0], w[1]))
        .collect();
    std::fs::write(dir.join("path.txt"), pairs).unwrap();
    let mut args = log_args.to_vec();
    args.insert(0, "order");
    args.extend(["--pairs", "path.txt", "--json", "--execution", execution]);
    let output = run_in(dir, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let answers = json["answers"].as_array().unwrap();
    assert_eq!(answers.len(), path.len() - 1);
    for answer in answers {
        assert_eq!(answer["order"], "before", "step {answer} of {path:?}");
    }
    let node = |id: &str| id.rsplit_once(':').unwrap().0.to_owned();
    let nodes: BTreeSet<String> = path.iter().map(|id| node(id)).collect();
    assert!(nodes.len() >= 2, "{path:?}");
}

/// A log of our own (so this runs without the peer data), with hostile text and names.
const HOSTILE: &str = "\
alice {\"alice\":1}
send </script><!-- \"ping\" \u{2028}
bøb☃ {\"bøb☃\":1}
start 'quoted'
bøb☃ {\"alice\":1, \"bøb☃\":2}
receive </script> ping
carol {\"carol\":1}
alone
alice {\"alice\":2}
done ping
";

#[test]
fn view_in_chromium_shows_the_log_and_its_causal_order() {
    let Some(chromium) = chromium("view_in_chromium_shows_the_log_and_its_causal_order") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hostile.log"), HOSTILE).unwrap();
    let output = run_in(dir.path(), &["view", "hostile.log", "-o", "hostile.html"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let page = dir.path().join("hostile.html");

    let state = page_state(&chromium, dir.path(), &page, "click=alice:1");
    assert_eq!(state["events"], 5);
    assert_eq!(state["nodes"], 3);
    assert_eq!(state["messages"], 1);
    assert!(
        state["panel"]
            .as_str()
            .unwrap()
            .contains("send </script><!--")
    );
    assert_selection_matches_order(dir.path(), &state, &["hostile.log"], None, "alice:1");

    // A second (shift-)click answers the order of the two.
    let state = page_state(&chromium, dir.path(), &page, "click=alice:1,carol:1");
    assert_eq!(state["second"], "carol:1");
    assert_eq!(state["answer"], "concurrent");
    let state = page_state(&chromium, dir.path(), &page, "click=bøb☃:2,alice:1");
    assert_eq!(state["answer"], "after");
    // ... and shows the chain that makes it so, from the earlier event to the later.
    assert_eq!(state["path"], serde_json::json!(["alice:1", "bøb☃:2"]));
    let state = page_state(&chromium, dir.path(), &page, "click=alice:1,carol:1");
    assert_eq!(
        state["path"],
        serde_json::Value::Null,
        "no path between concurrent events"
    );

    // Search: the count is what grep finds in the event lines.
    let state = page_state(&chromium, dir.path(), &page, "q=event%3D~%2Fping%2F");
    assert_eq!(state["matches"], 3);
    let state = page_state(
        &chromium,
        dir.path(),
        &page,
        "q=event%3D~%2Fping%2F%20%26%26%20host%3Dalice",
    );
    assert_eq!(state["matches"], 2);
    let state = page_state(&chromium, dir.path(), &page, "q=carol%20%7C%7C%20start");
    assert_eq!(state["matches"], 2);
    // A jump to an id selects it.
    let state = page_state(&chromium, dir.path(), &page, "q=carol%3A1");
    assert_eq!(state["selected"], "carol:1");
    // Hidden nodes.
    let state = page_state(&chromium, dir.path(), &page, "hide=carol");
    assert_eq!(state["shownNodes"], 2);
}

#[test]
fn view_in_chromium_on_the_peer_data() {
    let Some(peer) = peer_data("view_in_chromium_on_the_peer_data") else {
        return;
    };
    let Some(chromium) = chromium("view_in_chromium_on_the_peer_data") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = peer.join("shiviz/facebook-multiple.log");
    let log = log.to_str().unwrap();
    let log_args = [log, "--regex", FACEBOOK, "--delimiter", TRACE];
    let mut args = vec!["view"];
    args.extend_from_slice(&log_args);
    args.extend(["-o", "fb.html", "--json"]);
    let output = run_in(dir.path(), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["events"], 88);
    assert_eq!(summary["executions"], 2);
    let page = dir.path().join("fb.html");

    let state = page_state(&chromium, dir.path(), &page, "click=alice:3");
    assert_eq!(
        (state["events"].as_u64(), state["nodes"].as_u64()),
        (Some(47), Some(4))
    );
    assert_selection_matches_order(
        dir.path(),
        &state,
        &log_args,
        Some("Execution #1"),
        "alice:3",
    );

    // The causal path to the farthest event of alice:3's future on another node: a chain
    // of happens-before steps, each one `causet order` agrees with.
    let far = ids(&state, "future")
        .into_iter()
        .filter(|id| !id.starts_with("alice:"))
        .max_by_key(|id| id.rsplit(':').next().unwrap().parse::<u64>().unwrap())
        .expect("alice:3 has a future on other nodes");
    let state = page_state(
        &chromium,
        dir.path(),
        &page,
        &format!("click=alice:3,{far}"),
    );
    assert_eq!(state["answer"], "before");
    assert_causal_path(
        dir.path(),
        &state,
        &log_args,
        "Execution #1",
        "alice:3",
        &far,
    );

    // Switching executions.
    let state = page_state(&chromium, dir.path(), &page, "x=1&click=eastDC:5");
    assert_eq!(state["name"], "Execution #2");
    assert_eq!(state["events"], 41);
    assert_selection_matches_order(
        dir.path(),
        &state,
        &log_args,
        Some("Execution #2"),
        "eastDC:5",
    );

    // Search count equals a grep of the event lines of execution 1 (the log's first half).
    let text = std::fs::read_to_string(log).unwrap();
    let first = text.split("=== Execution #2").next().unwrap();
    let grep = first
        .lines()
        .filter(|line| line.contains("confirm"))
        .count();
    assert!(grep > 0);
    let state = page_state(&chromium, dir.path(), &page, "q=event%3D~%2Fconfirm%2F");
    assert_eq!(state["matches"].as_u64(), Some(grep as u64));

    // Hide a node: the others stay.
    let state = page_state(&chromium, dir.path(), &page, "hide=westDC");
    assert_eq!(state["shownNodes"], 3);

    // A screenshot that is not blank.
    let png = dir.path().join("fb.png");
    run_chromium(
        &chromium,
        &dir.path().join("profile"),
        &[format!("--screenshot={}", png.display())],
        &format!("file://{}#click=alice:3", page.display()),
    );
    if let Some(keep) = std::env::var_os("CAUSET_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected colour type {other:?}"),
    };
    let (mut past, mut future) = (0, 0);
    let near = |p: &[u8], q: [u8; 3]| p.iter().zip(q).all(|(a, b)| a.abs_diff(b) <= 30);
    for p in pixels.chunks(channels) {
        past += usize::from(near(&p[..3], [0x00, 0x72, 0xb2]));
        future += usize::from(near(&p[..3], [0xe6, 0x9f, 0x00]));
    }
    assert!(
        past > 300 && future > 300,
        "past {past} and future {future} pixels"
    );
}

/// A peer log: file, regex, delimiter, events, nodes, executions.
type Example<'a> = (&'a str, Option<&'a str>, Option<&'a str>, u64, u64, usize);

/// Every ShiViz example log opens with its event and node counts (SOURCES.md).
#[test]
fn view_in_chromium_opens_every_shiviz_example() {
    let Some(peer) = peer_data("view_in_chromium_opens_every_shiviz_example") else {
        return;
    };
    let Some(chromium) = chromium("view_in_chromium_opens_every_shiviz_example") else {
        return;
    };
    let ewd998 = r#"^State [0-9]+: <(?<event>\w*) .*>\n\/\\ Host = (?<host>.*)\n\/\\ Clock = "(?<clock>.*)"\n\/\\ active = (?<active>.*)\n\/\\ color = (?<color>.*)\n\/\\ counter = (?<counter>.*)"#;
    let cases: [Example<'_>; 8] = [
        ("facebook.log", Some(FACEBOOK), None, 47, 4, 1),
        (
            "facebook-multiple.log",
            Some(FACEBOOK),
            Some(TRACE),
            88,
            4,
            2,
        ),
        (
            "multiple-comparison.log",
            Some(FACEBOOK),
            Some(TRACE),
            40,
            3,
            5,
        ),
        (
            "simple-reliable-broadcast.log",
            Some(
                r"\[\w+\] \[(?<date>([^ ]+ [^ ]+))\] [^ ]+ \[akka://Broadcast/user/(?<host>\w+)\] (?<clock>.*\}) (?<event>.*)",
            ),
            None,
            39,
            3,
            1,
        ),
        (
            "chord.log",
            Some(r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)"),
            None,
            1235,
            8,
            1,
        ),
        (
            "voldemort-simple-threadnames.log",
            Some(
                r"\[(?<date>\d{4}-\d{2}-\d{2} (\d{2}:){2}\d{2},\d{3}) (?<path>\S*)\] (?<priority>(INFO|WARN)) (?<event>.*)\n(?<host>\S*) (?<clock>{.*})",
            ),
            None,
            863,
            19,
            1,
        ),
        (
            "simpledb.log",
            Some(r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"),
            None,
            509,
            5,
            1,
        ),
        ("ewd998.log", Some(ewd998), Some(TRACE), 990, 7, 3),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (file, regex, delimiter, events, nodes, executions) in cases {
        let path = peer.join("shiviz").join(file);
        let mut args = vec!["view", path.to_str().unwrap(), "-o", "page.html"];
        if let Some(regex) = regex {
            args.extend(["--regex", regex]);
        }
        if let Some(delimiter) = delimiter {
            args.extend(["--delimiter", delimiter]);
        }
        let output = run_in(dir.path(), &args);
        assert!(output.status.success(), "{file}: {}", stderr(&output));
        let state = page_state(&chromium, dir.path(), &dir.path().join("page.html"), "");
        let all = state["all"].as_array().unwrap();
        assert_eq!(all.len(), executions, "{file}");
        let total: u64 = all.iter().map(|x| x["events"].as_u64().unwrap()).sum();
        assert_eq!(total, events, "{file}");
        let names: BTreeSet<&str> = all
            .iter()
            .flat_map(|x| x["nodes"].as_array().unwrap())
            .map(|name| name.as_str().unwrap())
            .collect();
        assert_eq!(names.len() as u64, nodes, "{file}");
        assert_eq!(state["shownNodes"], state["nodes"], "{file}");
    }
}

#[test]
fn view_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.log"),
        "a {\"a\":1}\nx\na {\"a\":1, \"b\":1}\ny\n",
    )
    .unwrap();
    let output = run_in(dir.path(), &["view", "bad.log", "-o", "bad.html"]);
    assert_error(&output, "bad.log:3:");
    assert!(!dir.path().join("bad.html").exists());
    let output = run_in(dir.path(), &["view", "missing.log"]);
    assert_error(&output, "missing.log");
    std::fs::write(dir.path().join("empty.log"), "").unwrap();
    let output = run_in(dir.path(), &["view", "empty.log"]);
    assert_error(&output, "empty.log: no log entries found");
}

#[test]
fn view_writes_beside_the_default_name_and_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.log"), HOSTILE).unwrap();
    let output = run_in(dir.path(), &["view", "run.log"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let html = std::fs::read_to_string(dir.path().join("run.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: nothing is loaded from elsewhere.
    for needle in ["src=", "href=", "http://", "https://", "@import"] {
        assert!(!html.contains(needle), "{needle}");
    }
    let output = run_in(dir.path(), &["view", "run.log", "-o", "-"]);
    assert_eq!(stdout(&output), html);
}

#[test]
fn run_writes_the_view_beside_the_diagram() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(dir.path(), &["run", "--mode", "thread", "--out", "out"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("view: out/view.html"),
        "{}",
        stdout(&output)
    );
    let html = std::fs::read_to_string(dir.path().join("out/view.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(r#""events":40"#));
}

/// A generated run of 30 nodes and about 5,000 events, with its page.
fn generated_page(dir: &Path) -> PathBuf {
    let output = run_in(
        dir,
        &[
            "run",
            "--nodes",
            "30",
            "--mode",
            "thread",
            "--messages",
            "83",
            "--out",
            "gen",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    dir.join("gen/view.html")
}

fn f64_of(value: &serde_json::Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// The row and column at the centre of the page's viewport.
fn viewport_centre(state: &serde_json::Value) -> (f64, f64) {
    let v = &state["viewport"];
    (
        (f64_of(&v["rows"][0]) + f64_of(&v["rows"][1])) / 2.0,
        (f64_of(&v["columns"][0]) + f64_of(&v["columns"][1])) / 2.0,
    )
}

#[test]
fn view_in_chromium_minimap_shows_and_moves_the_viewport() {
    let Some(chromium) = chromium("view_in_chromium_minimap_shows_and_moves_the_viewport") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = generated_page(dir.path());

    // At the top, zoom 1: the box sits at the top and is as tall, in the minimap's height,
    // as the rows shown are in all rows.
    let state = page_state(&chromium, dir.path(), &page, "v=0,-20,1");
    let rows = f64_of(&state["rows"]);
    assert!(rows > 300.0, "{rows} rows");
    let height = f64_of(&state["minimap"]["height"]);
    let rect = &state["minimap"]["rect"];
    // (The view starts a little above row 0; the box covers only the rows there are.)
    let shown =
        f64_of(&state["viewport"]["rows"][1]) - f64_of(&state["viewport"]["rows"][0]).max(0.0);
    assert!(f64_of(&rect[1]).abs() < 1.0, "{rect}");
    let expected = shown / rows * height;
    assert!(
        (f64_of(&rect[3]) - expected).abs() < 2.0,
        "box height {rect} against {expected}"
    );

    // A click three quarters down and on the middle moves the view there.
    let state = page_state(&chromium, dir.path(), &page, "v=0,-20,1&minimap=0.5,0.75");
    let (row, column) = viewport_centre(&state);
    assert!(
        (row / rows - 0.75).abs() < 0.02,
        "centre row {row} of {rows}"
    );
    let columns = f64_of(&state["shownNodes"]);
    assert!(
        (column / columns - 0.5).abs() < 0.05,
        "centre column {column} of {columns}"
    );
    // The box follows: its centre is at the click.
    let rect = &state["minimap"]["rect"];
    let box_centre = (f64_of(&rect[1]) + f64_of(&rect[3]) / 2.0) / height;
    assert!((box_centre - 0.75).abs() < 0.02, "{rect}");

    // A drag carries the view along to where it is released.
    let state = page_state(
        &chromium,
        dir.path(),
        &page,
        "v=0,-20,1&minimap=0.5,0.75;0.3,0.5;0.1,0.25",
    );
    let (row, column) = viewport_centre(&state);
    assert!(
        (row / rows - 0.25).abs() < 0.02,
        "centre row {row} of {rows}"
    );
    assert!(
        column / columns < 0.4,
        "centre column {column} of {columns}"
    );
}

/// The page's timelines, left to right.
fn columns(state: &serde_json::Value) -> Vec<String> {
    state["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("no columns in {state}"))
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn view_in_chromium_orders_and_filters_nodes() {
    let Some(chromium) = chromium("view_in_chromium_orders_and_filters_nodes") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Appearance (n10, n2, b), name (b, n2, n10) and event count (n2 3, b 2, n10 1) all
    // differ.
    let log = "n10 {\"n10\":1}\na\nn2 {\"n2\":1}\nb\nb {\"b\":1}\nc\nn2 {\"n2\":2}\nd\n\
               b {\"b\":2}\ne\nn2 {\"n2\":3}\nf\n";
    std::fs::write(dir.path().join("three.log"), log).unwrap();
    let output = run_in(dir.path(), &["view", "three.log", "-o", "three.html"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let page = dir.path().join("three.html");
    let order = |fragment: &str| columns(&page_state(&chromium, dir.path(), &page, fragment));
    assert_eq!(order(""), ["b", "n2", "n10"], "by name unless asked");
    assert_eq!(order("sort=log"), ["n10", "n2", "b"]);
    assert_eq!(order("sort=name"), ["b", "n2", "n10"]);
    assert_eq!(order("sort=first"), ["n10", "n2", "b"]);
    assert_eq!(order("sort=count"), ["n2", "b", "n10"]);
    // Dragging n10's name onto b's puts n10 first; the address keeps the dragged order.
    let state = page_state(&chromium, dir.path(), &page, "sort=name&dragnode=n10,b");
    assert_eq!(columns(&state), ["n10", "b", "n2"]);
    assert_eq!(state["sort"], "custom");
    assert_eq!(order("sort=custom%3An10%2Cb%2Cn2"), ["n10", "b", "n2"]);
    assert_eq!(order("sort=name&dragnode=b,n10"), ["n2", "n10", "b"]);
    // Filter by name (a regular expression, or text when it is not one).
    assert_eq!(order("sort=name&nodes=n"), ["n2", "n10"]);
    assert_eq!(order("sort=name&nodes=%5En1"), ["n10"]);

    // A generated run: by event count, the counts a reading of the log gives, never rising.
    let page = generated_page(dir.path());
    let text = std::fs::read_to_string(dir.path().join("gen/causet.log")).unwrap();
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for line in text.lines() {
        if let Some((node, clock)) = line.split_once(' ')
            && clock.starts_with('{')
        {
            *counts.entry(node.to_owned()).or_default() += 1;
        }
    }
    let state = page_state(&chromium, dir.path(), &page, "sort=count");
    let by_count = columns(&state);
    assert_eq!(by_count.len(), 30);
    let shown: Vec<u64> = by_count.iter().map(|n| counts[n]).collect();
    assert!(
        shown.windows(2).all(|w| w[0] >= w[1]),
        "{by_count:?} {shown:?}"
    );
    let mut by_name = columns(&page_state(&chromium, dir.path(), &page, "sort=name"));
    let expected: Vec<String> = (0..30).map(|k| format!("node{k}")).collect();
    assert_eq!(by_name, expected, "node2 before node10");
    by_name.sort();
    assert_eq!(by_name, counts.keys().cloned().collect::<Vec<_>>());
    let state = page_state(&chromium, dir.path(), &page, "nodes=node1");
    let expected = counts.keys().filter(|n| n.contains("node1")).count();
    assert_eq!(state["shownNodes"].as_u64(), Some(expected as u64));
}

/// Three nodes: a request from a answered by b, a broadcast from c (to a, then b), and two
/// gathers on a (from b and c, twice), by ShiViz's definitions.
const MOTIFS: &str = r#"a {"a":1}
req
b {"a":1,"b":1}
got req
b {"a":1,"b":2}
resp
a {"a":2,"b":2}
got resp
c {"c":1}
bcast 1
c {"c":2}
bcast 2
a {"a":3,"b":2,"c":1}
got bcast 1
b {"a":1,"b":3,"c":2}
got bcast 2
b {"a":1,"b":4,"c":2}
report b
c {"c":3}
report c
a {"a":4,"b":4,"c":2}
got report b
a {"a":5,"b":4,"c":3}
got report c
"#;

/// The motifs the page found for `query`, each as its set of event ids.
fn motifs(state: &serde_json::Value) -> Vec<BTreeSet<String>> {
    state["motifs"]
        .as_array()
        .unwrap_or_else(|| panic!("no motifs in {state}"))
        .iter()
        .map(|m| {
            m.as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

#[test]
fn view_in_chromium_finds_shiviz_motifs() {
    let Some(chromium) = chromium("view_in_chromium_finds_shiviz_motifs") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("motifs.log"), MOTIFS).unwrap();
    let output = run_in(dir.path(), &["view", "motifs.log", "-o", "motifs.html"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let page = dir.path().join("motifs.html");
    let found = |fragment: &str| motifs(&page_state(&chromium, dir.path(), &page, fragment));

    // Request-response: a:1 -> b:1, b's chain (b:1, b:2), b:2 -> a:2. The other sends
    // answered on the sender's node (c:1, c:2, c:3, b:4) are not replies to them.
    assert_eq!(
        found("q=%23request-response"),
        [set(&["a:1", "b:1", "b:2", "a:2"])]
    );
    // Broadcast: c:1 and c:2 reach both other nodes; c:3 sends to a again, a new group
    // that reaches one node only.
    assert_eq!(
        found("q=%23broadcast"),
        [set(&["c:1", "c:2", "a:3", "b:3"])]
    );
    // Gather: a hears from b then c (a:2, a:3), and from b then c again (a:4, a:5): the
    // second message from b ends the first group.
    assert_eq!(
        found("q=%23gather"),
        [
            set(&["a:2", "a:3", "b:2", "c:1"]),
            set(&["a:4", "a:5", "b:4", "c:3"])
        ]
    );
    // ShiViz's long form, and the count shown.
    let state = page_state(&chromium, dir.path(), &page, "q=%23motif%3Dgather");
    assert_eq!(state["matches"], 2);
    // With b hidden, one other node is enough, and b's events and messages take no part.
    assert_eq!(
        found("q=%23broadcast&hide=b"),
        [set(&["c:1", "a:3"]), set(&["c:3", "a:5"])]
    );
    // An unknown motif is an error shown, not an exception.
    let state = page_state(&chromium, dir.path(), &page, "q=%23nope");
    assert!(
        state["searchError"]
            .as_str()
            .unwrap()
            .contains("#request-response"),
        "{state}"
    );
}

/// Per execution (by name), per node, its event ids and texts in the node's order, as
/// `causet export --format chrome-trace` writes them (an independent path to the log).
type Texts = std::collections::BTreeMap<
    String,
    std::collections::BTreeMap<String, Vec<(u64, String, String)>>,
>;

fn trace_texts(dir: &Path, log_args: &[&str]) -> (Vec<String>, Texts) {
    let mut args = vec!["export"];
    args.extend_from_slice(log_args);
    args.extend(["--format", "chrome-trace", "-o", "trace.json"]);
    let output = run_in(dir, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("trace.json")).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let mut processes = std::collections::BTreeMap::new();
    let mut threads = std::collections::BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "M") {
        let name = e["args"]["name"].as_str().unwrap().to_owned();
        match e["name"].as_str().unwrap() {
            "process_name" => {
                processes.insert(e["pid"].as_u64().unwrap(), name);
            }
            "thread_name" => {
                threads.insert(
                    (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()),
                    name,
                );
            }
            _ => {}
        }
    }
    let mut texts = Texts::new();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let pid = e["pid"].as_u64().unwrap();
        let node = &threads[&(pid, e["tid"].as_u64().unwrap())];
        let id = e["args"]["id"].as_str().unwrap().to_owned();
        let own = e["args"]["clock"][node].as_u64().unwrap();
        let text = e["args"]["text"].as_str().unwrap().to_owned();
        texts
            .entry(processes[&pid].clone())
            .or_default()
            .entry(node.clone())
            .or_default()
            .push((own, id, text));
    }
    for nodes in texts.values_mut() {
        for list in nodes.values_mut() {
            list.sort();
        }
    }
    let mut names: Vec<(u64, String)> = processes.into_iter().collect();
    names.sort();
    (names.into_iter().map(|(_, name)| name).collect(), texts)
}

/// The page's comparison of `here` with `there` is ShiViz's: the nodes one lacks, the
/// events whose text the same node of the other lacks (all events of a node it lacks), and
/// a first divergence where each node's texts agree up to it and differ there.
#[track_caller]
fn assert_comparison(side: &serde_json::Value, here: &str, there: &str, texts: &Texts) {
    let (mine, theirs) = (&texts[here], &texts[there]);
    let only: Vec<&String> = mine.keys().filter(|n| !theirs.contains_key(*n)).collect();
    assert_eq!(side["name"], here);
    assert_eq!(
        side["only"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect::<Vec<_>>(),
        only.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
        "{here} against {there}"
    );
    let mut expected = BTreeSet::new();
    for (node, events) in mine {
        let known: BTreeSet<&str> = theirs
            .get(node)
            .map(|list| list.iter().map(|(_, _, t)| t.as_str()).collect())
            .unwrap_or_default();
        for (_, id, text) in events {
            if !known.contains(text.as_str()) {
                expected.insert(id.clone());
            }
        }
    }
    assert_eq!(ids(side, "events"), expected, "{here} against {there}");
    if let Some(first) = side["first"].as_str() {
        let node = first.rsplit_once(':').unwrap().0;
        let at = mine[node]
            .iter()
            .position(|(_, id, _)| id == first)
            .unwrap();
        let texts_of = |list: Option<&Vec<(u64, String, String)>>| -> Vec<String> {
            list.map(|l| l.iter().map(|(_, _, t)| t.clone()).collect())
                .unwrap_or_default()
        };
        let (a, b) = (texts_of(mine.get(node)), texts_of(theirs.get(node)));
        assert_eq!(
            a[..at],
            b[..at.min(b.len())],
            "{first}: the node agrees before it"
        );
        assert!(b.get(at) != Some(&a[at]), "{first}: the node differs there");
    }
}

#[test]
fn view_in_chromium_compares_executions() {
    let Some(chromium) = chromium("view_in_chromium_compares_executions") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // "two" has a node "one" lacks (c) and a different second event on a; they first part
    // there (a:2), before c's only event.
    let log = "=== one ===\na {\"a\":1}\nstart\nb {\"a\":1,\"b\":1}\nhello\na {\"a\":2}\nwork\n\
               b {\"a\":1,\"b\":2}\nbye\n=== two ===\na {\"a\":1}\nstart\nb {\"a\":1,\"b\":1}\n\
               hello\na {\"a\":2}\ncrash\nc {\"a\":2,\"c\":1}\nalone\nb {\"a\":1,\"b\":2}\nbye\n";
    std::fs::write(dir.path().join("two.log"), log).unwrap();
    let args = ["two.log", "--delimiter", TRACE];
    let mut view = vec!["view"];
    view.extend_from_slice(&args);
    view.extend(["-o", "two.html"]);
    let output = run_in(dir.path(), &view);
    assert!(output.status.success(), "{}", stderr(&output));
    let page = dir.path().join("two.html");
    let state = page_state(&chromium, dir.path(), &page, "cmp=1");
    let compare = &state["compare"];
    assert_eq!(compare["here"]["events"], serde_json::json!(["a:2"]));
    assert_eq!(
        compare["there"]["events"],
        serde_json::json!(["a:2", "c:1"])
    );
    assert_eq!(compare["there"]["only"], serde_json::json!(["c"]));
    assert_eq!(compare["here"]["first"], "a:2");
    assert_eq!(compare["there"]["first"], "a:2");
    assert_eq!(compare["shownThere"], 3);
    assert!(state["panel"].as_str().is_some());
    // The other way round, and with a node hidden in both panes.
    let state = page_state(&chromium, dir.path(), &page, "x=1&cmp=0&hide=b");
    assert_eq!(state["compare"]["here"]["name"], "two");
    assert_eq!(state["compare"]["here"]["only"], serde_json::json!(["c"]));
    assert_eq!(state["compare"]["shownThere"], 1);
    // No comparison with itself.
    let state = page_state(&chromium, dir.path(), &page, "cmp=0");
    assert_eq!(state["compare"], serde_json::Value::Null);

    // ShiViz's comparison example, against the exported trace's texts.
    let Some(peer) = peer_data("view_in_chromium_compares_executions") else {
        return;
    };
    let log = peer.join("shiviz/multiple-comparison.log");
    let args = [
        log.to_str().unwrap(),
        "--regex",
        FACEBOOK,
        "--delimiter",
        TRACE,
    ];
    let (names, texts) = trace_texts(dir.path(), &args);
    assert_eq!(names.len(), 5);
    let mut view = vec!["view"];
    view.extend_from_slice(&args);
    view.extend(["-o", "mc.html"]);
    let output = run_in(dir.path(), &view);
    assert!(output.status.success(), "{}", stderr(&output));
    let page = dir.path().join("mc.html");
    let mut differing = 0;
    for (x, cmp) in [(0, 1), (0, 2), (0, 3), (0, 4), (3, 2)] {
        let state = page_state(&chromium, dir.path(), &page, &format!("x={x}&cmp={cmp}"));
        // Five long execution names: the top bar still holds on one line.
        let bar = &state["bar"];
        assert!(
            f64_of(&bar["height"]) < 40.0 && f64_of(&bar["bottom"]) <= f64_of(&bar["height"]) + 1.0,
            "{bar}"
        );
        let compare = &state["compare"];
        assert_comparison(&compare["here"], &names[x], &names[cmp], &texts);
        assert_comparison(&compare["there"], &names[cmp], &names[x], &texts);
        differing += usize::from(!compare["here"]["events"].as_array().unwrap().is_empty());
    }
    assert!(differing >= 2, "the example's executions differ");
}

#[test]
fn view_in_chromium_fits_the_causal_path_into_view() {
    let Some(chromium) = chromium("view_in_chromium_fits_the_causal_path_into_view") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = generated_page(dir.path());
    // node0's second event and node29's last one: a path across most rows and timelines.
    let text = std::fs::read_to_string(dir.path().join("gen/causet.log")).unwrap();
    let last = text
        .lines()
        .filter_map(|line| line.strip_prefix("node29 "))
        .map(|clock| {
            serde_json::from_str::<serde_json::Value>(clock).unwrap()["node29"]
                .as_u64()
                .unwrap()
        })
        .max()
        .unwrap();
    let click = format!("click=node0:2,node29:{last}");
    let state = page_state(&chromium, dir.path(), &page, &click);
    assert_eq!(state["answer"], "before");
    let path = state["path"].as_array().unwrap();
    assert_eq!(path.first().unwrap(), "node0:2");
    assert_eq!(
        path.last().unwrap().as_str().unwrap(),
        format!("node29:{last}")
    );
    assert_eq!(
        state["pathInView"], false,
        "centred on the second event, the path runs off"
    );
    let state = page_state(&chromium, dir.path(), &page, &format!("{click}&fitpath"));
    assert_eq!(state["pathInView"], true);
    assert_eq!(state["path"].as_array().unwrap(), path);
}

/// A screenshot of `url`: its pixels as RGB, and its width.
fn screenshot(chromium: &Path, dir: &Path, url: &str, name: &str) -> (Vec<[u8; 3]>, usize) {
    let png = dir.join(name);
    run_chromium(
        chromium,
        &dir.join("profile"),
        &[format!("--screenshot={}", png.display())],
        url,
    );
    if let Some(keep) = std::env::var_os("CAUSET_KEEP_SCREENSHOTS") {
        std::fs::copy(&png, Path::new(&keep).join(name)).unwrap();
    }
    decode_png(&png)
}

/// A PNG's pixels as RGB, and its width.
fn decode_png(png: &Path) -> (Vec<[u8; 3]>, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected colour type {other:?}"),
    };
    let rgb = pixels
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (rgb, info.width as usize)
}

/// `causet render --json` of `log_args` (`--no-collapse` when `collapse` is false).
fn render_summary(dir: &Path, log_args: &[&str], collapse: bool) -> serde_json::Value {
    let mut args = vec!["render"];
    args.extend_from_slice(log_args);
    args.extend(["-o", "render.svg", "--json"]);
    if !collapse {
        args.push("--no-collapse");
    }
    let output = run_in(dir, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

/// a's three local events and b's two are runs; b's reply to a ends b's run.
const RUNS: &str = r#"a {"a":1}
send
a {"a":2}
think 1
a {"a":3}
think 2
a {"a":4}
think 3
b {"a":1,"b":1}
receive
b {"a":1,"b":2}
ponder 1
b {"a":1,"b":3}
ponder 2
b {"a":1,"b":4}
reply
a {"a":5,"b":4}
got reply
"#;

/// `state["run"][k]`: (row, first event of its run, length, open).
fn run_of(state: &serde_json::Value, k: usize) -> (u64, Option<String>, Option<u64>, Option<bool>) {
    let run = &state["run"][k];
    (
        run["row"].as_u64().unwrap(),
        run["first"].as_str().map(str::to_owned),
        run["length"].as_u64(),
        run["open"].as_bool(),
    )
}

#[test]
fn view_in_chromium_collapses_local_runs_into_numbered_dots() {
    let Some(chromium) = chromium("view_in_chromium_collapses_local_runs_into_numbered_dots")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("runs.log"), RUNS).unwrap();
    let output = run_in(dir.path(), &["view", "runs.log", "-o", "runs.html"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let page = dir.path().join("runs.html");

    // Collapsed as `causet render` collapses them: the same dots and rows.
    let render = render_summary(dir.path(), &["runs.log"], true);
    let state = page_state(&chromium, dir.path(), &page, "run=a:3,b:2,a:5");
    assert_eq!(state["runs"], render["collapsed_dots"]);
    assert_eq!(state["runs"], 2);
    assert_eq!(state["dots"], render["dots"]);
    assert_eq!(state["rows"], render["rows"]);
    assert_eq!(state["openRuns"], 0);
    assert_eq!(
        run_of(&state, 0),
        (1, Some("a:2".into()), Some(3), Some(false))
    );
    assert_eq!(
        run_of(&state, 1),
        (2, Some("b:2".into()), Some(2), Some(false))
    );
    assert_eq!(run_of(&state, 2), (4, None, None, None));

    // A click on a's numbered dot expands it (and selects nothing): its events get rows of
    // their own, and everything below moves down so the layout stays causal.
    let state = page_state(
        &chromium,
        dir.path(),
        &page,
        "clickdot=a:3&run=a:2,a:3,a:4,b:2,b:4,a:5",
    );
    assert_eq!(state["selected"], serde_json::Value::Null);
    assert_eq!(state["openRuns"], 1);
    assert_eq!(state["dots"], render["dots"].as_u64().unwrap() + 2);
    let rows: Vec<u64> = (0..6).map(|k| run_of(&state, k).0).collect();
    assert_eq!(rows[..3], [1, 2, 3], "a's run, one row each");
    assert!(
        rows[3] > 1 && rows[4] > rows[3] && rows[5] > rows[4],
        "{rows:?}"
    );
    assert_eq!(run_of(&state, 0).3, Some(true));
    // The address keeps it.
    let address = state["address"].as_str().unwrap().to_owned();
    let open = address
        .trim_start_matches('#')
        .split('&')
        .find(|part| part.starts_with("open="))
        .unwrap_or_else(|| panic!("no open= in {address}"))
        .to_owned();
    let state = page_state(&chromium, dir.path(), &page, &format!("{open}&run=a:3"));
    assert_eq!(
        (state["openRuns"].as_u64(), run_of(&state, 0).0),
        (Some(1), 2)
    );

    // Selecting an event inside a collapsed run expands that run; the causal order is the
    // log's, runs or not.
    let state = page_state(&chromium, dir.path(), &page, "click=b:3&run=b:3");
    assert_eq!(state["selected"], "b:3");
    assert_eq!(run_of(&state, 0).3, Some(true));
    assert_selection_matches_order(dir.path(), &state, &["runs.log"], None, "b:3");
    let state = page_state(&chromium, dir.path(), &page, "click=a:2,a:4");
    assert_eq!(state["answer"], "before");
    assert_eq!(state["path"], serde_json::json!(["a:2", "a:4"]));

    // C expands (and collapses) every run.
    let state = page_state(&chromium, dir.path(), &page, "key=C");
    assert_eq!(state["openRuns"], 2);
    assert_eq!(state["dots"], 9);
    assert_eq!(
        page_state(&chromium, dir.path(), &page, "open=all&key=C")["openRuns"],
        0
    );

    // A ShiViz example with runs: the same dots and rows as the SVG renderer.
    let Some(peer) = peer_data("view_in_chromium_collapses_local_runs_into_numbered_dots") else {
        return;
    };
    let chord = peer.join("shiviz/chord.log");
    let args = [
        chord.to_str().unwrap(),
        "--regex",
        r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)",
    ];
    let render = render_summary(dir.path(), &args, true);
    let mut view = vec!["view"];
    view.extend_from_slice(&args);
    view.extend(["-o", "chord.html"]);
    let output = run_in(dir.path(), &view);
    assert!(output.status.success(), "{}", stderr(&output));
    let state = page_state(&chromium, dir.path(), &dir.path().join("chord.html"), "");
    assert!(render["collapsed_dots"].as_u64().unwrap() > 0);
    assert_eq!(state["runs"], render["collapsed_dots"]);
    assert_eq!(state["dots"], render["dots"]);
    assert_eq!(state["rows"], render["rows"]);
}

/// Pixels of a screenshot's diagram area (left of the minimap, under the names).
fn diagram_area(pixels: &[[u8; 3]], width: usize) -> Vec<[u8; 3]> {
    pixels
        .chunks(width)
        .skip(80)
        .take(700)
        .flat_map(|row| row[10..900].iter().copied())
        .collect()
}

#[test]
fn view_in_chromium_zoomed_out_reads_as_a_picture() {
    let Some(chromium) = chromium("view_in_chromium_zoomed_out_reads_as_a_picture") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // About 24,000 events on 30 nodes: too many to draw one by one when fitted.
    let output = run_in(
        dir.path(),
        &[
            "run",
            "--nodes",
            "30",
            "--mode",
            "thread",
            "--messages",
            "400",
            "--out",
            "big",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let page = dir.path().join("big/view.html");
    let state = page_state(&chromium, dir.path(), &page, "");
    assert!(state["events"].as_u64().unwrap() > 20_000);
    assert_eq!(state["dense"], true, "densities at the fitted view");
    // Every timeline in the width, names in node order.
    let expected: Vec<String> = (0..30).map(|k| format!("node{k}")).collect();
    assert_eq!(columns(&state), expected, "natural name order by default");
    let v = &state["viewport"]["columns"];
    assert!(f64_of(&v[0]) <= 0.0 && f64_of(&v[1]) >= 29.0, "{v}");

    // Not a dark block: mostly light, some shading, little near black.
    let url = format!("file://{}", page.display());
    let (pixels, width) = screenshot(&chromium, dir.path(), &url, "fitted.png");
    let area = diagram_area(&pixels, width);
    let luma = |p: &[u8; 3]| (u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10;
    let dark = area.iter().filter(|p| luma(p) < 70).count() as f64 / area.len() as f64;
    let shaded = area.iter().filter(|p| luma(p) < 235).count() as f64 / area.len() as f64;
    assert!(dark < 0.08, "{:.1}% near black", dark * 100.0);
    assert!(shaded > 0.2, "only {:.1}% shaded", shaded * 100.0);

    // A selection shades the densities: its past blue above, its future orange below.
    let fragment = "e=node3:200&fit";
    let state = page_state(&chromium, dir.path(), &page, fragment);
    assert_eq!(
        (state["dense"].as_bool(), state["selected"].as_str()),
        (Some(true), Some("node3:200"))
    );
    let (pixels, width) = screenshot(
        &chromium,
        dir.path(),
        &format!("{url}#{fragment}"),
        "selected.png",
    );
    let area = diagram_area(&pixels, width);
    let blue = |p: &&[u8; 3]| p[2] > p[0].saturating_add(40) && p[2] >= p[1];
    let orange = |p: &&[u8; 3]| p[0] > p[2].saturating_add(60) && p[0] >= p[1];
    let (past, future) = (
        area.iter().filter(blue).count(),
        area.iter().filter(orange).count(),
    );
    assert!(
        past > 2000 && future > 2000,
        "past {past}, future {future} pixels"
    );
    // Zoomed in on it (a click centres there): dots and arrows again.
    let state = page_state(&chromium, dir.path(), &page, "click=node3:200");
    assert_eq!(state["dense"], false);
}

// ---------------------------------------------------------------------------------------------
// Firefox: the same page, drawn by another engine (headless `--screenshot`; Firefox has no
// `--dump-dom`, so the picture is the evidence).

/// Firefox (`firefox` or Debian's `firefox-esr`), or `None` with a visible SKIPPED line (a
/// failure under CI, where .ci/ensure-firefox installs it).
fn firefox(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let found = ["firefox", "firefox-esr"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: firefox is not installed but CI is set: .ci/ensure-firefox should have \
             installed it"
        );
        eprintln!("SKIPPED {test}: firefox not installed (run .ci/ensure-firefox)");
    }
    found
}

/// A headless Firefox screenshot of `url` (1300 x 850), as RGB pixels and the width.
fn firefox_screenshot(firefox: &Path, dir: &Path, url: &str, name: &str) -> (Vec<[u8; 3]>, usize) {
    let png = dir.join(name);
    let profile = dir.join("firefox-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let mut child = Command::new(firefox)
        .args(["--headless", "--no-remote", "--window-size", "1300,850"])
        .arg("--profile")
        .arg(&profile)
        .arg("--screenshot")
        .arg(&png)
        .arg(url)
        .env("MOZ_DISABLE_AUTO_SAFE_MODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("firefox starts");
    wait_guarded(&mut child, 120, &format!("firefox on {url}"));
    assert!(png.is_file(), "firefox wrote no screenshot of {url}");
    if let Some(keep) = std::env::var_os("CAUSET_KEEP_SCREENSHOTS") {
        std::fs::copy(&png, Path::new(&keep).join(name)).unwrap();
    }
    decode_png(&png)
}

#[test]
fn view_in_firefox_draws_the_run_and_a_selection() {
    let Some(firefox) = firefox("view_in_firefox_draws_the_run_and_a_selection") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // About 5,000 events on 30 nodes, drawn dot by dot when fitted.
    let output = run_in(
        dir.path(),
        &[
            "run",
            "--nodes",
            "30",
            "--mode",
            "thread",
            "--messages",
            "83",
            "--out",
            "run",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let url = format!("file://{}", dir.path().join("run/view.html").display());

    // Drawn: timelines, dots and arrows in dark grey on white; no selection colours yet.
    let (pixels, width) = firefox_screenshot(&firefox, dir.path(), &url, "firefox-fitted.png");
    let area = diagram_area(&pixels, width);
    let luma = |p: &[u8; 3]| (u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10;
    let inked = area.iter().filter(|p| luma(p) < 160).count() as f64 / area.len() as f64;
    assert!(
        inked > 0.03,
        "only {:.2}% of the diagram inked",
        inked * 100.0
    );
    let blue = |p: &&[u8; 3]| p[2] > p[0].saturating_add(40) && p[2] >= p[1];
    let orange = |p: &&[u8; 3]| p[0] > p[2].saturating_add(60) && p[0] >= p[1];
    assert!(
        area.iter().filter(blue).count() < 200,
        "blue without a selection"
    );

    // A selection in the middle: its causal past blue, its future orange, as in Chromium.
    let (pixels, width) = firefox_screenshot(
        &firefox,
        dir.path(),
        &format!("{url}#e=node15:80&fit"),
        "firefox-selected.png",
    );
    let area = diagram_area(&pixels, width);
    let (past, future) = (
        area.iter().filter(blue).count(),
        area.iter().filter(orange).count(),
    );
    assert!(
        past > 500 && future > 500,
        "past {past}, future {future} pixels"
    );
}
