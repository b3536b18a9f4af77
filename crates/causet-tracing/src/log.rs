//! Node logs in the GoVector format, with fields, and their merge into a ShiViz upload
//! file whose fields every causet command reads without `--regex`.
//!
//! # A node's log
//!
//! The format of [`causet_runtime`]'s nodes, two lines per event: the node's name, a space
//! and its clock as a JSON object (keys in byte order, `", "` between entries, no zero
//! entries); then the event's text on one line. An event with fields appends each as a tab,
//! `NAME=VALUE`, names in byte order:
//!
//! ```text
//! gateway {"client1":1, "gateway":2}
//! receive request GET /order⇥kind=request⇥method=GET⇥path=/order
//! ```
//!
//! (`⇥` stands for the tab.) Line breaks and tabs inside a text or value become spaces. A
//! field's name keeps ASCII letters, digits and `_` (anything else becomes `_`; a leading
//! digit and the names ShiViz reserves, `host`, `clock`, `event` and `trace`, get a `_`
//! prefix), so that it is a regex group name in JavaScript and in Rust; a name repeated
//! within an event gets `_2`, `_3`, … appended.
//!
//! # The merged log
//!
//! [`merge_logs`] merges node logs (send before receive, as
//! [`causet_runtime::merge_logs`]) into a ShiViz upload file: a first line holding the
//! parser regex, with one optional group per field name any event used, a second (empty)
//! line for the multi-execution delimiter, then the events.
//!
//! ```text
//! (?<host>\S*) (?<clock>{.*})\n(?<event>[^\t\n]*)(?:\tkind=(?<kind>[^\t\n]*))?(?:\tmethod=(?<method>[^\t\n]*))?(?:\tpath=(?<path>[^\t\n]*))?$
//!
//! gateway {"client1":1, "gateway":2}
//! receive request GET /order⇥kind=request⇥method=GET⇥path=/order
//! ```
//!
//! causet (and ShiViz) read the first line as the layout, so `check`, `analyze`, `render`
//! and the viewer see `receive request GET /order` as the event and `kind`, `method`,
//! `path` as its fields.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use causet_clock::VersionVector;
use causet_runtime::LogFlush;

use crate::TraceError;

/// Where an [`OpenNode`](crate::OpenNode) writes its log.
#[derive(Debug)]
pub struct EventLog {
    target: Target,
    /// Where errors point (a file path, or a description).
    label: String,
    line: String,
}

enum Target {
    File(BufWriter<File>, LogFlush),
    Memory(Vec<u8>),
    Writer(Box<dyn Write + Send>),
    Discard,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Target::File(..) => "File",
            Target::Memory(_) => "Memory",
            Target::Writer(_) => "Writer",
            Target::Discard => "Discard",
        })
    }
}

impl EventLog {
    /// Creates (truncates) the log file at `path`; `flush` says whether each event reaches
    /// the file as it is logged (the default, [`LogFlush::EachEvent`]: a crash loses
    /// nothing) or when the buffer fills and at [`flush`](Self::flush).
    pub fn file(path: &Path, flush: LogFlush) -> Result<Self, TraceError> {
        let file = File::create(path)
            .map_err(|err| TraceError::io(format!("cannot create {}", path.display()), err))?;
        Ok(EventLog::new(
            Target::File(BufWriter::with_capacity(64 * 1024, file), flush),
            path.display().to_string(),
        ))
    }

    /// Keeps the log in memory; read it with [`into_memory`](Self::into_memory).
    pub fn memory() -> Self {
        EventLog::new(Target::Memory(Vec::new()), "memory".into())
    }

    /// Writes to any writer, flushed after each event.
    pub fn writer(writer: Box<dyn Write + Send>) -> Self {
        EventLog::new(Target::Writer(writer), "writer".into())
    }

    /// Logs nothing (the clock work still happens): for measuring what logging costs.
    pub fn discard() -> Self {
        EventLog::new(Target::Discard, "discard".into())
    }

    fn new(target: Target, label: String) -> Self {
        EventLog {
            target,
            label,
            line: String::new(),
        }
    }

    /// Whether events are written anywhere.
    pub fn is_enabled(&self) -> bool {
        !matches!(self.target, Target::Discard)
    }

    /// The memory log's bytes (empty for other sinks).
    pub fn into_memory(self) -> Vec<u8> {
        match self.target {
            Target::Memory(bytes) => bytes,
            _ => Vec::new(),
        }
    }

    /// The memory log's bytes so far (empty for other sinks).
    pub fn memory_bytes(&self) -> &[u8] {
        match &self.target {
            Target::Memory(bytes) => bytes,
            _ => &[],
        }
    }

    /// Writes one event.
    pub(crate) fn write_event(
        &mut self,
        node: &str,
        clock: &VersionVector<String>,
        text: &str,
        fields: &[(&str, &str)],
    ) -> Result<(), TraceError> {
        if !self.is_enabled() {
            return Ok(());
        }
        self.line.clear();
        format_event(&mut self.line, node, clock, text, fields);
        let bytes = self.line.as_bytes();
        let result = match &mut self.target {
            Target::File(file, LogFlush::Buffered) => file.write_all(bytes),
            Target::File(file, _) => file.write_all(bytes).and_then(|()| file.flush()),
            Target::Memory(buffer) => {
                buffer.extend_from_slice(bytes);
                Ok(())
            }
            Target::Writer(writer) => writer.write_all(bytes).and_then(|()| writer.flush()),
            Target::Discard => Ok(()),
        };
        result.map_err(|err| TraceError::io(format!("cannot write to {}", self.label), err))
    }

    /// Flushes buffered events.
    pub fn flush(&mut self) -> Result<(), TraceError> {
        let result = match &mut self.target {
            Target::File(file, _) => file.flush(),
            Target::Writer(writer) => writer.flush(),
            Target::Memory(_) | Target::Discard => Ok(()),
        };
        result.map_err(|err| TraceError::io(format!("cannot write to {}", self.label), err))
    }
}

/// Appends one event's two lines to `out`.
pub(crate) fn format_event(
    out: &mut String,
    node: &str,
    clock: &VersionVector<String>,
    text: &str,
    fields: &[(&str, &str)],
) {
    out.push_str(node);
    out.push_str(" {");
    // Every name in a node's clock is a checked node name (`validate_name` for its own,
    // the stamp checks for its peers'), so the JSON needs no escapes and matches
    // causet-runtime's writer byte for byte.
    for (k, (name, value)) in clock.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        push_u64(out, value);
    }
    out.push_str("}\n");
    push_flat(out, text);
    let clean = fields.windows(2).all(|pair| pair[0].0 < pair[1].0)
        && fields
            .iter()
            .all(|(name, _)| matches!(field_name(name), Cow::Borrowed(_)));
    if clean {
        // The common case (the middleware's fields): already sorted, unique, clean names.
        for (name, value) in fields {
            push_field(out, name, value);
        }
    } else {
        let mut named: Vec<(Cow<'_, str>, &str)> = fields
            .iter()
            .map(|(name, value)| (field_name(name), *value))
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        // Repeated names (also after the mapping) get a counter, in their given order.
        let mut k = 0;
        while k < named.len() {
            let mut end = k + 1;
            while end < named.len() && named[end].0 == named[k].0 {
                end += 1;
            }
            for (n, repeat) in named[k + 1..end].iter_mut().enumerate() {
                repeat.0 = Cow::Owned(format!("{}_{}", repeat.0, n + 2));
            }
            k = end;
        }
        named.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, value) in &named {
            push_field(out, name, value);
        }
    }
    out.push('\n');
}

fn push_field(out: &mut String, name: &str, value: &str) {
    out.push('\t');
    out.push_str(name);
    out.push('=');
    push_flat(out, value);
}

/// Pushes the decimal digits of `value`.
fn push_u64(out: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

/// Pushes `text` with line breaks and tabs as spaces.
fn push_flat(out: &mut String, text: &str) {
    if text.bytes().all(|b| !matches!(b, b'\n' | b'\r' | b'\t')) {
        out.push_str(text);
        return;
    }
    out.extend(text.chars().map(|c| match c {
        '\n' | '\r' | '\t' => ' ',
        other => other,
    }));
}

/// The name a field is logged under (see the module docs).
pub(crate) fn field_name(name: &str) -> Cow<'_, str> {
    let clean = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && !matches!(name, "host" | "clock" | "event" | "trace");
    if clean {
        return Cow::Borrowed(name);
    }
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty()
        || out.starts_with(|c: char| c.is_ascii_digit())
        || matches!(out.as_str(), "host" | "clock" | "event" | "trace")
    {
        out.insert(0, '_');
    }
    Cow::Owned(out)
}

/// The ShiViz parser regex of a merged log whose events use `fields` (sorted).
pub fn upload_regex<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut regex = String::from(r"(?<host>\S*) (?<clock>{.*})\n(?<event>[^\t\n]*)");
    for name in fields {
        regex.push_str(&format!(r"(?:\t{name}=(?<{name}>[^\t\n]*))?"));
    }
    regex.push('$');
    regex
}

/// The field names of one text line (a node log's second line of an event).
fn fields_of(line: &str) -> impl Iterator<Item = &str> {
    line.split('\t')
        .skip(1)
        .filter_map(|field| field.split_once('=').map(|(name, _)| name))
}

/// What [`merge_logs`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MergeSummary {
    /// The merged log.
    pub path: PathBuf,
    /// Events written.
    pub events: usize,
    /// The field names, sorted: the regex's groups besides `host`, `clock` and `event`.
    pub fields: Vec<String>,
    /// Node logs that do not exist (a node that never logged an event).
    pub missing: Vec<PathBuf>,
    /// Node logs that ended inside an event (the partial event was left out).
    pub truncated: Vec<PathBuf>,
}

/// Merges node logs into the ShiViz upload file `out` (see the module docs): every send
/// before its receive, fields readable by every causet command and by ShiViz.
pub fn merge_logs(inputs: &[PathBuf], out: &Path) -> Result<MergeSummary, TraceError> {
    let events_path = with_suffix(out, ".events");
    let merged = causet_runtime::merge_logs(inputs, &events_path).map_err(TraceError::Runtime);
    let result = merged.and_then(|merged| {
        let events = File::open(&events_path)
            .map_err(|err| TraceError::io(format!("cannot open {}", events_path.display()), err))?;
        // Every event is two lines, the second its text: collect the field names.
        let mut fields = BTreeSet::new();
        for (number, line) in BufReader::new(events).lines().enumerate() {
            let line = line.map_err(|err| {
                TraceError::io(format!("cannot read {}", events_path.display()), err)
            })?;
            if number % 2 == 1 {
                fields.extend(fields_of(&line).map(str::to_string));
            }
        }
        let partial = with_suffix(out, ".partial");
        let write = || -> std::io::Result<()> {
            let mut writer = BufWriter::new(File::create(&partial)?);
            writeln!(
                writer,
                "{}",
                upload_regex(fields.iter().map(String::as_str))
            )?;
            writeln!(writer)?;
            std::io::copy(&mut File::open(&events_path)?, &mut writer)?;
            writer.flush()?;
            drop(writer);
            std::fs::rename(&partial, out)
        };
        write().map_err(|err| {
            let _ = std::fs::remove_file(&partial);
            TraceError::io(format!("cannot write {}", out.display()), err)
        })?;
        Ok(MergeSummary {
            path: out.to_path_buf(),
            events: merged.events,
            fields: fields.into_iter().collect(),
            missing: merged.missing,
            truncated: merged.truncated,
        })
    });
    let _ = std::fs::remove_file(&events_path);
    result
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str, fields: &[(&str, &str)]) -> String {
        let clock: VersionVector<String> = r#"{"a":1, "b":2}"#.parse().unwrap();
        let mut out = String::new();
        format_event(&mut out, "b", &clock, text, fields);
        out
    }

    /// The documented layout, byte for byte.
    #[test]
    fn events_with_and_without_fields() {
        assert_eq!(
            event("hello\nworld", &[]),
            "b {\"a\":1, \"b\":2}\nhello world\n"
        );
        assert_eq!(
            event("got\tit", &[("path", "/a\tb"), ("method", "GET")]),
            "b {\"a\":1, \"b\":2}\ngot it\tmethod=GET\tpath=/a b\n"
        );
        assert_eq!(
            event(
                "x",
                &[
                    ("http.status", "200"),
                    ("2nd", "y"),
                    ("host", "h"),
                    ("a", "1"),
                    ("a", "2")
                ]
            ),
            "b {\"a\":1, \"b\":2}\nx\t_2nd=y\t_host=h\ta=1\ta_2=2\thttp_status=200\n"
        );
    }

    #[test]
    fn the_upload_regex_has_one_optional_group_per_field() {
        assert_eq!(
            upload_regex(["method", "path"]),
            r"(?<host>\S*) (?<clock>{.*})\n(?<event>[^\t\n]*)(?:\tmethod=(?<method>[^\t\n]*))?(?:\tpath=(?<path>[^\t\n]*))?$"
        );
        assert_eq!(
            fields_of("send\tmethod=GET\tpath=/a=b").collect::<Vec<_>>(),
            ["method", "path"]
        );
    }
}
