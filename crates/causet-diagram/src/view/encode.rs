//! The viewer's data: a log's executions in a compact, script-safe JSON form.
//!
//! Arrays of numbers are little-endian `u32` arrays in base64 (the page decodes each into a
//! `Uint32Array` in one native call), texts are one concatenated string per execution with
//! end offsets, and field values go through a string table. See the crate docs for the
//! format.

use std::collections::HashMap;

use crate::Diagram;
use crate::diagram::collapsed_rows;
use causet_log::Execution;

use crate::ViewError;

/// The JSON text of the viewer's data for these executions (format in the crate docs).
///
/// The text is safe inside an HTML `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 are
/// written as `\uXXXX` escapes, so no log text can close the element or start a comment.
pub(crate) fn encode(
    title: &str,
    executions: &[&Execution],
    out: &mut Vec<u8>,
) -> Result<Encoded, ViewError> {
    let mut encoded = Encoded::default();
    out.extend_from_slice(b"{\"format\":\"causet-view\",\"version\":2,\"title\":");
    push_json_string(out, title);
    out.extend_from_slice(b",\"executions\":[");
    for (k, execution) in executions.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        let rows = encode_execution(execution, out).map_err(|source| ViewError::Layout {
            execution: execution.name().to_owned(),
            source,
        })?;
        encoded.events += execution.len();
        encoded.rows = encoded.rows.max(rows);
    }
    out.extend_from_slice(b"]}");
    Ok(encoded)
}

/// Totals of an encoding.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Encoded {
    pub(crate) events: usize,
    pub(crate) rows: usize,
}

fn encode_execution(execution: &Execution, out: &mut Vec<u8>) -> Result<usize, crate::RenderError> {
    // The messages inferred once (a checked log has them cached), for the layout and the page.
    let messages = execution.messages();
    let (rows, row_count) = collapsed_rows(&**execution.clock_table(), &messages, || {
        Diagram::from_execution(execution)
    })?;
    let n = execution.len();
    let width = execution.nodes().len();

    out.extend_from_slice(b"{\"name\":");
    push_json_string(out, execution.name());
    out.extend_from_slice(b",\"nodes\":");
    push_string_array(out, execution.nodes().iter().map(String::as_str));
    out.extend_from_slice(format!(",\"events\":{n},\"rows\":{row_count}").as_bytes());

    let mut words: Vec<u32> = Vec::with_capacity(2 * n.max(messages.len()));
    words.extend((0..n).map(|i| execution.node_of(i) as u32));
    push_array(out, "node", &words);
    words.clear();
    push_array(out, "row", &rows);
    drop(rows);

    // Clocks as changes: per event, the entries that differ from the previous event of its
    // node in file order (the first against all zeros): how many, which, and their values.
    // Also whether clocks only grow along each node, its own entry every event (true of any
    // log `causet check` accepts, lenient or not): then the page classifies an event's past
    // and future node by node with binary searches.
    let table = execution.clock_table();
    let (mut changed, mut values) = (Vec::new(), Vec::new());
    let mut changes = Vec::new();
    // (Own entries from 1: the first event of a node has a positive own entry.)
    let mut seen = vec![false; width];
    let mut monotone = table.grows_along_nodes();
    for i in 0..n {
        let node = execution.node_of(i);
        if !std::mem::replace(&mut seen[node], true) {
            monotone &= table.own(i) > 0;
        }
        table.changes_into(i, &mut changes);
        for &(k, entry) in &changes {
            changed.push(k);
            values.push(entry);
        }
        words.push(changes.len() as u32);
    }
    out.extend_from_slice(if monotone {
        b",\"monotone\":true"
    } else {
        b",\"monotone\":false"
    });
    push_array(out, "clockCount", &words);
    words.clear();
    push_array(out, "clockNode", &changed);
    drop(changed);
    push_array(out, "clockValue", &values);
    drop(values);

    // Texts: one string, and each event's length in UTF-16 code units (JavaScript string
    // indices).
    let mut text = String::new();
    for event in execution.events() {
        text.push_str(event.text);
        words.push(saturate(utf16_len(event.text)));
    }
    push_array(out, "textLength", &words);
    words.clear();
    out.extend_from_slice(b",\"text\":");
    push_json_string(out, &text);
    drop(text);
    words.extend(execution.events().map(|event| saturate(event.line)));
    push_array(out, "line", &words);
    words.clear();

    // Fields through a string table (dates, addresses and levels repeat a lot).
    let fields = execution.field_names();
    out.extend_from_slice(b",\"fields\":");
    push_string_array(out, fields.iter().map(String::as_str));
    let mut table: HashMap<&str, u32> = HashMap::new();
    let mut strings: Vec<&str> = Vec::new();
    for i in 0..n {
        for name in fields {
            let value = execution.field(i, name).unwrap_or("");
            let id = *table.entry(value).or_insert_with(|| {
                strings.push(value);
                strings.len() as u32 - 1
            });
            words.push(id);
        }
    }
    push_array(out, "fieldValue", &words);
    words.clear();
    out.extend_from_slice(b",\"strings\":");
    push_string_array(out, strings.iter().copied());

    for &(send, receive) in &messages {
        words.push(send as u32);
        words.push(receive as u32);
    }
    push_array(out, "messages", &words);
    out.push(b'}');
    Ok(row_count)
}

fn saturate(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Length of `text` in UTF-16 code units.
fn utf16_len(text: &str) -> u64 {
    if text.is_ascii() {
        return text.len() as u64;
    }
    text.chars().map(|c| c.len_utf16() as u64).sum()
}

/// `,"key":{"bytes":B,"base64":"..."}` of `words`, each as `B` little-endian bytes: the
/// narrowest of 1, 2 and 4 that holds the largest.
fn push_array(out: &mut Vec<u8>, key: &str, words: &[u32]) {
    let most = words.iter().copied().max().unwrap_or(0);
    let bytes = if most <= 0xff {
        1
    } else if most <= 0xffff {
        2
    } else {
        4
    };
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":{\"bytes\":");
    out.push(b'0' + bytes as u8);
    out.extend_from_slice(b",\"base64\":\"");
    // Three items are 3, 6 or 12 bytes, whole base64 groups: no carry between chunks.
    out.reserve((words.len() * bytes).div_ceil(3) * 4 + 4);
    let mut chunks = words.chunks_exact(3);
    for chunk in &mut chunks {
        let mut buffer = [0u8; 12];
        for (k, &word) in chunk.iter().enumerate() {
            buffer[k * bytes..(k + 1) * bytes].copy_from_slice(&word.to_le_bytes()[..bytes]);
        }
        for group in buffer[..3 * bytes].chunks_exact(3) {
            push_group(out, group);
        }
    }
    let rest: Vec<u8> = chunks
        .remainder()
        .iter()
        .flat_map(|word| word.to_le_bytes().into_iter().take(bytes))
        .collect();
    push_base64(out, &rest);
    out.extend_from_slice(b"\"}");
}

#[inline(always)]
fn push_group(out: &mut Vec<u8>, group: &[u8]) {
    let n = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
    out.extend_from_slice(&[
        BASE64[(n >> 18) as usize & 63],
        BASE64[(n >> 12) as usize & 63],
        BASE64[(n >> 6) as usize & 63],
        BASE64[n as usize & 63],
    ]);
}

fn push_string_array<'a>(out: &mut Vec<u8>, items: impl Iterator<Item = &'a str>) {
    out.push(b'[');
    for (k, item) in items.enumerate() {
        if k > 0 {
            out.push(b',');
        }
        push_json_string(out, item);
    }
    out.push(b']');
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (what `atob` and `Uint8Array.fromBase64` read).
pub(crate) fn push_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut chunks = bytes.chunks_exact(3);
    for group in &mut chunks {
        push_group(out, group);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[
                BASE64[(n >> 18) as usize & 63],
                BASE64[(n >> 12) as usize & 63],
                b'=',
                b'=',
            ]);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[
                BASE64[(n >> 18) as usize & 63],
                BASE64[(n >> 12) as usize & 63],
                BASE64[(n >> 6) as usize & 63],
                b'=',
            ]);
        }
        _ => {}
    }
}

/// `text` as a JSON string that is also safe in an HTML `<script>` element: besides JSON's
/// own escapes, `<`, `>`, `&`, U+2028 and U+2029 become `\uXXXX`.
pub(crate) fn push_json_string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut plain = 0;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
        let separator = byte == 0xe2
            && bytes.get(at + 1) == Some(&0x80)
            && matches!(bytes.get(at + 2), Some(0xa8 | 0xa9));
        let escape: Option<&[u8]> = match byte {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            b'<' | b'>' | b'&' | 0..=0x1f | 0x7f => None,
            _ if separator => None,
            _ => {
                at += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[plain..at]);
        let width = if separator { 3 } else { 1 };
        match escape {
            Some(escape) => out.extend_from_slice(escape),
            None => {
                let code = if separator {
                    0x2028 + u32::from(bytes[at + 2] - 0xa8)
                } else {
                    u32::from(byte)
                };
                out.extend_from_slice(b"\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[(code >> shift) as usize & 15]);
                }
            }
        }
        at += width;
        plain = at;
    }
    out.extend_from_slice(&bytes[plain..]);
    out.push(b'"');
}
