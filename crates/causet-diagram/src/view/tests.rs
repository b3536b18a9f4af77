//! Unit tests of the data encoding: round trip and hostile text.

use causet_log::{ReadOptions, parse_log};
use serde_json::Value;

use super::*;

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| encode_alphabet().iter().position(|&a| a == c).unwrap() as u32;
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let mut n = 0u32;
        for &c in chunk {
            n = n << 6 | if c == b'=' { 0 } else { value(c) };
        }
        let three = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&three[..3 - pad]);
    }
    out
}

fn encode_alphabet() -> &'static [u8] {
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
}

/// An `INTS` array: `{"bytes":B,"base64":...}`, `B`-byte little-endian integers.
fn words(value: &Value) -> Vec<u32> {
    let bytes = value["bytes"].as_u64().unwrap() as usize;
    assert!(matches!(bytes, 1 | 2 | 4), "{value}");
    decode_base64(value["base64"].as_str().unwrap())
        .chunks(bytes)
        .map(|c| {
            let mut word = [0u8; 4];
            word[..bytes].copy_from_slice(c);
            u32::from_le_bytes(word)
        })
        .collect()
}

/// The dense clocks of an encoded execution, event by event, rebuilt from the changes as
/// the page does.
fn clocks(x: &Value) -> Vec<Vec<u32>> {
    let width = x["nodes"].as_array().unwrap().len();
    let (node, count) = (words(&x["node"]), words(&x["clockCount"]));
    let (entries, values) = (words(&x["clockNode"]), words(&x["clockValue"]));
    let mut last = vec![vec![0u32; width]; width];
    let mut at = 0;
    let mut out = Vec::new();
    for (i, &k) in count.iter().enumerate() {
        let clock = &mut last[node[i] as usize];
        for _ in 0..k {
            clock[entries[at] as usize] = values[at];
            at += 1;
        }
        out.push(clock.clone());
    }
    assert_eq!(at, entries.len());
    out
}

/// Per event, the `(start, end)` of its text in UTF-16 code units.
fn text_spans(x: &Value) -> Vec<(usize, usize)> {
    let mut start = 0;
    words(&x["textLength"])
        .iter()
        .map(|&length| {
            let span = (start, start + length as usize);
            start += length as usize;
            span
        })
        .collect()
}

/// The data script's JSON, as the page's `JSON.parse` reads it.
fn data_of(html: &str) -> Value {
    let start = html
        .find(r#"<script type="application/json" id="causet-data">"#)
        .unwrap();
    let body = &html[start..];
    let body = &body[body.find('>').unwrap() + 1..];
    let end = body.find("</script>").unwrap();
    serde_json::from_str(&body[..end]).unwrap()
}

#[test]
fn base64_matches_the_standard_alphabet() {
    for (input, expected) in [
        (&b""[..], ""),
        (b"f", "Zg=="),
        (b"fo", "Zm8="),
        (b"foo", "Zm9v"),
        (b"foobar", "Zm9vYmFy"),
    ] {
        let mut out = Vec::new();
        encode::push_base64(&mut out, input);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out, expected);
        assert_eq!(decode_base64(&out), input);
    }
}

#[test]
fn round_trip_of_a_log() {
    let text = "\
alice {\"alice\":1}
send ping
bob {\"bob\":1}
start
bob {\"alice\":1, \"bob\":2}
receive ping
alice {\"alice\":2}
done
";
    let log = parse_log(text.as_bytes(), &ReadOptions::default()).unwrap();
    let (html, summary) = render_view(&log, &ViewOptions::new()).unwrap();
    assert_eq!((summary.executions, summary.events), (1, 4));
    let data = data_of(&html);
    assert_eq!(data["format"], "causet-view");
    assert_eq!(data["version"], 2);
    let x = &data["executions"][0];
    assert_eq!(x["nodes"], serde_json::json!(["alice", "bob"]));
    assert_eq!(x["events"], 4);
    assert_eq!(words(&x["node"]), [0, 1, 1, 0]);
    assert_eq!(clocks(x), [[1, 0], [0, 1], [1, 2], [2, 0]]);
    // Only the entries that changed on the node: alice 1; bob 1; bob's alice 1 and bob 2;
    // alice 2.
    assert_eq!(words(&x["clockCount"]), [1, 1, 2, 1]);
    assert_eq!(words(&x["line"]), [1, 3, 5, 7]);
    assert_eq!(words(&x["messages"]), [0, 2]);
    let rows = words(&x["row"]);
    assert!(rows[0] < rows[2] && rows[1] < rows[2] && rows[0] < rows[3]);
    assert_eq!(x["rows"], u64::from(*rows.iter().max().unwrap() + 1));
    let all = x["text"].as_str().unwrap();
    let texts: Vec<&str> = text_spans(x).iter().map(|&(a, b)| &all[a..b]).collect();
    assert_eq!(texts, ["send ping", "start", "receive ping", "done"]);
}

#[test]
fn fields_go_through_a_string_table() {
    let text = "1 a {\"a\":1}\nx\n2 a {\"a\":2}\ny\n1 b {\"b\":1}\nz\n";
    let options = ReadOptions {
        regex: Some(r"(?<level>\d) (?<host>\w+) (?<clock>\{.*\})\n(?<event>.*)".into()),
        ..ReadOptions::default()
    };
    let log = parse_log(text.as_bytes(), &options).unwrap();
    let data = data_of(&render_view(&log, &ViewOptions::new()).unwrap().0);
    let x = &data["executions"][0];
    assert_eq!(x["fields"], serde_json::json!(["level"]));
    let strings: Vec<&str> = x["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let values: Vec<&str> = words(&x["fieldValue"])
        .iter()
        .map(|&k| strings[k as usize])
        .collect();
    assert_eq!(values, ["1", "2", "1"]);
    assert_eq!(strings.len(), 2);
}

/// Log text that would end the script element, open a comment, or end a JavaScript string:
/// it must come back unchanged through `JSON.parse`, and never appear raw in the page.
#[test]
fn hostile_text_cannot_break_out_of_the_page() {
    let big = "x".repeat(1 << 20);
    let hostile = [
        "</script><script>alert(1)</script>",
        "<!-- <script>",
        "\"quotes\" and 'quotes' and \\backslash\\",
        "line\u{2028}separator\u{2029}paragraph",
        "tab\tcontrol\u{1}\u{7f}",
        "ünïcödé 日本語 🎉",
        big.as_str(),
    ];
    let mut text = String::new();
    for (k, event) in hostile.iter().enumerate() {
        text.push_str(&format!(
            "nœud-☃</script> {{\"nœud-☃</script>\":{}}}\n{event}\n",
            k + 1
        ));
    }
    let log = parse_log(text.as_bytes(), &ReadOptions::default()).unwrap();
    let title = "</title><script>alert(2)</script>";
    let (html, _) = render_view(&log, &ViewOptions::new().title(title)).unwrap();
    // Only our own two script elements close, and no comment opens.
    assert_eq!(html.matches("</script>").count(), 2);
    assert_eq!(html.matches("<script").count(), 2);
    assert!(!html.contains("<!--"));
    assert!(!html.contains('\u{2028}') && !html.contains('\u{2029}'));
    assert!(html.contains("<title>&lt;/title&gt;&lt;script&gt;"));
    let data = data_of(&html);
    let x = &data["executions"][0];
    assert_eq!(x["nodes"][0], "nœud-☃</script>");
    assert_eq!(data["title"], title);
    // Texts come back exactly, split at the UTF-16 offsets the page uses.
    let all: Vec<u16> = x["text"].as_str().unwrap().encode_utf16().collect();
    for (&(start, end), expected) in text_spans(x).iter().zip(hostile) {
        let got = String::from_utf16(&all[start..end]).unwrap();
        assert_eq!(got, expected);
    }
}

#[test]
fn the_embedded_code_cannot_end_its_own_script() {
    assert!(!JS.contains("</script"));
    assert!(!CSS.contains("</style"));
    for marker in ["{{title}}", "{{css}}", "{{js}}", "{{data}}"] {
        assert!(TEMPLATE.contains(marker), "{marker}");
    }
}

#[test]
fn every_execution_is_encoded() {
    let text = "=== one ===\na {\"a\":1}\nx\n=== two ===\nb {\"b\":1}\ny\nb {\"b\":2}\nz\n";
    let options = ReadOptions {
        delimiter: Some("^=== (?<trace>.*) ===$".into()),
        ..ReadOptions::default()
    };
    let log = parse_log(text.as_bytes(), &options).unwrap();
    let (html, summary) = render_view(&log, &ViewOptions::new()).unwrap();
    assert_eq!((summary.executions, summary.events), (2, 3));
    let data = data_of(&html);
    assert_eq!(data["executions"][1]["name"], "two");
    assert_eq!(data["executions"][1]["events"], 2);
}

/// A generated log: every clock comes back exactly, arrays take the narrowest width, rows
/// are the collapsed layering the SVG renderer computes, and messages are the log's.
#[test]
fn round_trip_of_a_generated_log() {
    for (events, nodes) in [(3000, 5), (400, 30), (70_000, 2)] {
        let text = causet_log::generate_log(&causet_log::GenerateOptions {
            events,
            nodes,
            seed: 3,
            ..causet_log::GenerateOptions::default()
        });
        let log = parse_log(text.as_bytes(), &ReadOptions::default()).unwrap();
        let execution = &log.executions[0];
        let data = data_of(&render_view(&log, &ViewOptions::new()).unwrap().0);
        let x = &data["executions"][0];
        let expected: Vec<Vec<u32>> = (0..execution.len())
            .map(|i| execution.clock(i).to_vec())
            .collect();
        assert_eq!(clocks(x), expected);
        assert_eq!(x["node"]["bytes"], 1);
        let most = expected.iter().flatten().copied().max().unwrap();
        let bytes = if most > 0xffff {
            4
        } else if most > 0xff {
            2
        } else {
            1
        };
        assert_eq!(
            x["clockValue"]["bytes"], bytes,
            "{events} events, {nodes} nodes"
        );
        let pairs: Vec<u32> = execution
            .messages()
            .iter()
            .flat_map(|&(s, r)| [s as u32, r as u32])
            .collect();
        assert_eq!(words(&x["messages"]), pairs);
        let diagram = crate::Diagram::from_execution(execution).unwrap();
        let layout =
            crate::diagram::layout::Layout::compute(&diagram, &crate::RenderOptions::new())
                .unwrap();
        let rows: Vec<u32> = layout
            .unit_of
            .iter()
            .map(|&u| layout.rows[u] as u32)
            .collect();
        assert_eq!(words(&x["row"]), rows);
        assert_eq!(x["rows"], layout.row_count);
        assert!(layout.units.len() < execution.len(), "some runs collapse");
    }
}

/// A log whose file order is not causal (each process's log one after the other, as
/// GoVector writes them): the general layering answers.
#[test]
fn a_log_out_of_causal_order_is_laid_out_too() {
    let text = "b {\"a\":1, \"b\":1}\nreceive\nb {\"a\":1, \"b\":2}\nthink\na {\"a\":1}\nsend\n";
    let log = parse_log(text.as_bytes(), &ReadOptions::default()).unwrap();
    let data = data_of(&render_view(&log, &ViewOptions::new()).unwrap().0);
    let x = &data["executions"][0];
    let nodes: Vec<&str> = x["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let b = nodes.iter().position(|&n| n == "b").unwrap() as u32;
    assert_eq!(words(&x["node"])[0], b);
    // The send above the receive, the receive above b's next event.
    assert_eq!(words(&x["row"]), [1, 2, 0]);
}

/// `monotone` says whether clocks only grow along each node, own entry every event, as a
/// dense walk over the decoded clocks finds (the page's binary searches rely on it).
#[test]
fn monotone_is_said_exactly_when_clocks_grow_along_nodes() {
    let logs = [
        // Grows.
        "a {\"a\":1}\nx\nb {\"a\":1, \"b\":1}\ny\nb {\"a\":1, \"b\":2}\nz\n",
        // b forgets a's entry (lenient logs allow it).
        "a {\"a\":1}\nx\nb {\"a\":1, \"b\":1}\ny\nb {\"b\":2}\nz\n",
        // a's own entry shrinks.
        "a {\"a\":2}\nx\na {\"a\":1}\ny\n",
    ];
    for text in logs {
        let options = ReadOptions::default();
        let log = parse_log(text.as_bytes(), &options).unwrap();
        let (html, _) = render_view(&log, &ViewOptions::new()).unwrap();
        let x = &data_of(&html)["executions"][0];
        let (node, clocks) = (words(&x["node"]), clocks(x));
        let mut last: Vec<Option<&Vec<u32>>> = vec![None; x["nodes"].as_array().unwrap().len()];
        let mut grows = true;
        for (i, clock) in clocks.iter().enumerate() {
            let n = node[i] as usize;
            let zero = vec![0; clock.len()];
            let before = last[n].unwrap_or(&zero);
            grows &= clock[n] > before[n] && clock.iter().zip(before).all(|(a, b)| a >= b);
            last[n] = Some(clock);
        }
        assert_eq!(x["monotone"], grows, "{text}");
    }
}
