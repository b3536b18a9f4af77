//! The viewer's data: a log's executions in a compact, script-safe JSON form.
//!
//! Arrays of numbers are little-endian `u32` arrays in base64 (the page decodes each into a
//! `Uint32Array` in one native call), texts are one concatenated string per execution with
//! end offsets, and field values go through a string table. See the crate docs for the
//! format.

use std::collections::HashMap;

use causet_trace::log::Execution;
use causet_trace::render::{Diagram, event_rows};

use crate::ViewError;

/// The JSON text of the viewer's data for these executions (format in the crate docs).
///
/// The text is safe inside an HTML `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 are
/// written as `\uXXXX` escapes, so no log text can close the element or start a comment.
pub(crate) fn encode(
    title: &str,
    executions: &[&Execution],
    out: &mut String,
) -> Result<Encoded, ViewError> {
    let mut encoded = Encoded::default();
    out.push_str("{\"format\":\"causet-view\",\"version\":1,\"title\":");
    push_json_string(out, title);
    out.push_str(",\"executions\":[");
    for (k, execution) in executions.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let rows = encode_execution(execution, out).map_err(|source| ViewError::Layout {
            execution: execution.name().to_owned(),
            source,
        })?;
        encoded.events += execution.len();
        encoded.rows = encoded.rows.max(rows);
    }
    out.push_str("]}");
    Ok(encoded)
}

/// Totals of an encoding.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Encoded {
    pub(crate) events: usize,
    pub(crate) rows: usize,
}

fn encode_execution(
    execution: &Execution,
    out: &mut String,
) -> Result<usize, causet_trace::render::RenderError> {
    let diagram = Diagram::from_execution(execution)?;
    let (rows, row_count) = event_rows(&diagram)?;
    drop(diagram);
    let n = execution.len();
    let width = execution.nodes().len();

    out.push_str("{\"name\":");
    push_json_string(out, execution.name());
    out.push_str(",\"nodes\":");
    push_string_array(out, execution.nodes().iter().map(String::as_str));
    out.push_str(&format!(",\"events\":{n},\"rows\":{row_count}"));

    let mut words: Vec<u32> = Vec::with_capacity(n * width.max(2));
    words.extend((0..n).map(|i| execution.node_of(i) as u32));
    push_array(out, "node", &words);
    words.clear();
    for i in 0..n {
        words.extend_from_slice(execution.clock(i));
    }
    push_array(out, "clock", &words);
    words.clear();
    words.extend(rows.iter().map(|&row| saturate(row as u64)));
    push_array(out, "row", &words);
    words.clear();

    // Texts: one string, end offsets in UTF-16 code units (JavaScript string indices).
    let mut text = String::new();
    let mut end: u64 = 0;
    for event in execution.events() {
        end += utf16_len(event.text);
        text.push_str(event.text);
        words.push(saturate(end));
    }
    push_array(out, "textEnd", &words);
    words.clear();
    out.push_str(",\"text\":");
    push_json_string(out, &text);
    drop(text);
    words.extend(execution.events().map(|event| saturate(event.line)));
    push_array(out, "line", &words);
    words.clear();

    // Fields through a string table (dates, addresses and levels repeat a lot).
    let fields = execution.field_names();
    out.push_str(",\"fields\":");
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
    out.push_str(",\"strings\":");
    push_string_array(out, strings.iter().copied());

    for (send, receive) in execution.messages() {
        words.push(send as u32);
        words.push(receive as u32);
    }
    push_array(out, "messages", &words);
    out.push('}');
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

/// `,"key":"BASE64"` of `words` as little-endian bytes.
fn push_array(out: &mut String, key: &str, words: &[u32]) {
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":\"");
    let mut bytes = Vec::with_capacity(words.len() * 4);
    for word in words {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    push_base64(out, &bytes);
    out.push('"');
}

fn push_string_array<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (k, item) in items.enumerate() {
        if k > 0 {
            out.push(',');
        }
        push_json_string(out, item);
    }
    out.push(']');
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (what `atob` and `Uint8Array.fromBase64` read).
pub(crate) fn push_base64(out: &mut String, bytes: &[u8]) {
    let mut encoded = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    let mut chunks = bytes.chunks_exact(3);
    for chunk in &mut chunks {
        let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        encoded.extend_from_slice(&[
            BASE64[(n >> 18) as usize & 63],
            BASE64[(n >> 12) as usize & 63],
            BASE64[(n >> 6) as usize & 63],
            BASE64[n as usize & 63],
        ]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            encoded.extend_from_slice(&[
                BASE64[(n >> 18) as usize & 63],
                BASE64[(n >> 12) as usize & 63],
                b'=',
                b'=',
            ]);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            encoded.extend_from_slice(&[
                BASE64[(n >> 18) as usize & 63],
                BASE64[(n >> 12) as usize & 63],
                BASE64[(n >> 6) as usize & 63],
                b'=',
            ]);
        }
        _ => {}
    }
    // Only ASCII was pushed.
    out.push_str(std::str::from_utf8(&encoded).unwrap_or_default());
}

/// `text` as a JSON string that is also safe in an HTML `<script>` element: besides JSON's
/// own escapes, `<`, `>`, `&`, U+2028 and U+2029 become `\uXXXX`.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let mut plain = 0;
    for (at, c) in text.char_indices() {
        let escape = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\0'..='\u{1f}' | '\u{7f}' => None,
            _ => continue,
        };
        out.push_str(&text[plain..at]);
        match escape {
            Some(escape) => out.push_str(escape),
            None => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
        plain = at + c.len_utf8();
    }
    out.push_str(&text[plain..]);
    out.push('"');
}
