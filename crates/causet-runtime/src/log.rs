//! Event logs in the GoVector format: writing one node's log, merging node logs after a run.
//!
//! Two lines per event: the node's name, a space and its clock as a JSON object with the
//! keys in byte order, `", "` between entries and zero entries left out; then the event's
//! text on one line (newlines in the text become spaces):
//!
//! ```text
//! node1 {"node0":2, "node1":3}
//! receive gossip 2 from node0
//! ```

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use causet_clock::VectorClock;

use crate::{Roster, RuntimeError};

/// When a node's log reaches its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LogFlush {
    /// Each event is flushed to the file as it is logged: a crash loses nothing logged.
    #[default]
    EachEvent,
    /// Events are buffered and flushed when the buffer fills and when the node finishes;
    /// faster, but a crash (or `--kill`) loses the buffered tail.
    Buffered,
}

/// Where a node writes its log.
#[derive(Debug)]
pub struct LogSink {
    target: Target,
    /// Where errors point (a file path, or a description).
    label: String,
    line: String,
    /// Events still to write before the node dies by SIGKILL (a crash at an exact point,
    /// for tests of restarts: see [`LogSink::die_after`]).
    die_after: Option<u64>,
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

impl LogSink {
    /// Creates (truncates) the log file at `path`.
    pub fn file(path: &Path, flush: LogFlush) -> Result<Self, RuntimeError> {
        let file = File::create(path)
            .map_err(|err| RuntimeError::io(format!("cannot create {}", path.display()), err))?;
        Ok(LogSink::new(
            Target::File(BufWriter::with_capacity(64 * 1024, file), flush),
            path.display().to_string(),
        ))
    }

    /// Keeps the log in memory; read it with [`LogSink::into_memory`].
    pub fn memory() -> Self {
        LogSink::new(Target::Memory(Vec::new()), "memory".into())
    }

    /// Writes to any writer (flushed after each event).
    pub fn writer(writer: Box<dyn Write + Send>) -> Self {
        LogSink::new(Target::Writer(writer), "writer".into())
    }

    /// Logs nothing (the clock work still happens): for measuring the cost of logging.
    pub fn discard() -> Self {
        LogSink::new(Target::Discard, "discard".into())
    }

    fn new(target: Target, label: String) -> Self {
        LogSink {
            target,
            label,
            line: String::new(),
            die_after: None,
        }
    }

    /// Opens the log at `path` of a node that restarts, for appending after its last
    /// complete event: a partial event at the end (the node died while writing it, which
    /// a per-event flush makes rare) is cut off first, so the file stays a valid log. Also
    /// returns what the log held ([`Resume`]). A file that does not exist is created.
    pub(crate) fn append(path: &Path, flush: LogFlush) -> Result<(Self, Resume), RuntimeError> {
        let resume = if path.exists() {
            resume_point(path)?
        } else {
            Resume::default()
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|err| RuntimeError::io(format!("cannot open {}", path.display()), err))?;
        let cut = file
            .set_len(resume.bytes)
            .and_then(|()| {
                use std::io::Seek;
                let mut file = &file;
                file.seek(std::io::SeekFrom::End(0)).map(drop)
            })
            .map_err(|err| RuntimeError::io(format!("cannot append to {}", path.display()), err));
        cut?;
        let sink = LogSink::new(
            Target::File(BufWriter::with_capacity(64 * 1024, file), flush),
            path.display().to_string(),
        );
        Ok((sink, resume))
    }

    /// The process dies by SIGKILL right after writing (and flushing) `events` more events:
    /// a crash at an exact point of the node's run (`causet run --kill NODE@Nev`), where a
    /// kill from outside lands wherever the load puts it. Hidden: for tests.
    #[doc(hidden)]
    pub fn die_after(mut self, events: u64) -> Self {
        self.die_after = Some(events);
        self
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
        roster: &Roster,
        me: usize,
        clock: &VectorClock,
        text: &str,
    ) -> Result<(), RuntimeError> {
        if !self.is_enabled() {
            return Ok(());
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        format_event(&mut line, roster, me, clock, text);
        let result = self.write_events(line.as_bytes());
        self.line = line;
        result
    }

    /// Writes events its caller formatted (whole events, each its two lines: for loggers
    /// with more in an event than a node's text, as causet-tracing's fields), under the
    /// sink's flush rule: a [`LogFlush::EachEvent`] file and a writer are flushed after
    /// the call.
    pub fn write_events(&mut self, bytes: &[u8]) -> Result<(), RuntimeError> {
        let result = match &mut self.target {
            Target::File(file, LogFlush::EachEvent) => {
                file.write_all(bytes).and_then(|()| file.flush())
            }
            Target::File(file, LogFlush::Buffered) => file.write_all(bytes),
            Target::Memory(buffer) => {
                buffer.extend_from_slice(bytes);
                Ok(())
            }
            Target::Writer(writer) => writer.write_all(bytes).and_then(|()| writer.flush()),
            Target::Discard => Ok(()),
        };
        result.map_err(|err| RuntimeError::io(format!("cannot write to {}", self.label), err))?;
        if let Some(left) = self.die_after.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.flush()?;
                die();
            }
        }
        Ok(())
    }

    /// Flushes buffered events.
    pub fn flush(&mut self) -> Result<(), RuntimeError> {
        let result = match &mut self.target {
            Target::File(file, _) => file.flush(),
            Target::Writer(writer) => writer.flush(),
            Target::Memory(_) | Target::Discard => Ok(()),
        };
        result.map_err(|err| RuntimeError::io(format!("cannot write to {}", self.label), err))
    }
}

/// Appends the two lines of one event to `out`.
pub(crate) fn format_event(
    out: &mut String,
    roster: &Roster,
    me: usize,
    clock: &VectorClock,
    text: &str,
) {
    use std::fmt::Write as _;
    out.push_str(roster.name(me).unwrap_or("?"));
    out.push_str(" {");
    let mut first = true;
    let entries = clock.as_slice();
    let mut push = |index: usize, value: u64, out: &mut String| {
        if !first {
            out.push_str(", ");
        }
        first = false;
        let _ = write!(out, "\"{}\":{value}", roster.name(index).unwrap_or("?"));
    };
    if entries.len() * 4 < roster.len() {
        // Few entries in a big cluster: sort the non-zero ones instead of walking them all.
        let mut present: Vec<usize> = (0..entries.len()).filter(|&i| entries[i] != 0).collect();
        present.sort_by_key(|&index| roster.log_rank(index));
        for index in present {
            push(index, entries[index], out);
        }
    } else {
        for &index in roster.log_order() {
            let value = clock.get(index);
            if value != 0 {
                push(index, value, out);
            }
        }
    }
    out.push_str("}\n");
    for c in text.chars() {
        out.push(if c == '\n' || c == '\r' { ' ' } else { c });
    }
    out.push('\n');
}

/// Ends the process as `kill -KILL` would (no destructors, no flush beyond what was written).
fn die() -> ! {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::signal::{Signal, raise};
        let _ = raise(Signal::SIGKILL);
    }
    std::process::abort()
}

/// What a restarting node's log held ([`LogSink::append`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Resume {
    /// Complete events.
    pub(crate) events: u64,
    /// Of which sends (texts beginning `send `) and receives (`receive `).
    pub(crate) sends: u64,
    pub(crate) receives: u64,
    /// The clock of the last event (the highest: a node's clock only grows).
    pub(crate) clock: Vec<(String, u64)>,
    /// Bytes of the complete events (where the new incarnation appends).
    pub(crate) bytes: u64,
}

/// Reads a node log for a restart: its counts, last clock and the length of its complete
/// events.
fn resume_point(path: &Path) -> Result<Resume, RuntimeError> {
    let mut resume = Resume::default();
    scan_log(path, |_, clock, header, text| {
        resume.events += 1;
        resume.sends += u64::from(text.starts_with("send "));
        resume.receives += u64::from(text.starts_with("receive "));
        resume.clock = clock;
        resume.bytes += header.len() as u64 + text.len() as u64 + 2;
    })?;
    Ok(resume)
}

/// One event read back from a node log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// The node that logged it.
    pub node: String,
    /// Its clock, keys in byte order.
    pub clock: Vec<(String, u64)>,
    /// The event's text.
    pub text: String,
}

impl LoggedEvent {
    /// The node's own entry (its event number, 1-based).
    pub fn own(&self) -> u64 {
        self.clock
            .iter()
            .find(|(name, _)| *name == self.node)
            .map_or(0, |(_, value)| *value)
    }
}

/// What reading one node log found.
#[derive(Debug, Clone, Default)]
pub struct NodeLog {
    /// Every complete event, in file order.
    pub events: Vec<LoggedEvent>,
    /// Whether the file ended inside an event (a node killed while writing).
    pub truncated: bool,
}

/// Reads a log written by [`LogSink`] (GoVector format, clock line first).
///
/// An incomplete last event (a header line without its text line, or a last line without a
/// newline) is dropped and reported in [`NodeLog::truncated`]; anything else malformed is an
/// error naming the file and line.
pub fn read_node_log(path: &Path) -> Result<NodeLog, RuntimeError> {
    let mut log = NodeLog::default();
    log.truncated = scan_log(path, |node, clock, _header, text| {
        log.events.push(LoggedEvent { node, clock, text });
    })?;
    Ok(log)
}

/// The events a node log holds, and how many of them are sends (events whose text begins
/// `send `, as the demo workloads log them): the counts of a node that died before it
/// reported. A file that does not exist holds none.
pub(crate) fn logged_counts(path: &Path) -> Result<(u64, u64), RuntimeError> {
    if !path.exists() {
        return Ok((0, 0));
    }
    let (mut events, mut sends) = (0, 0);
    scan_log(path, |_, _, _, text| {
        events += 1;
        sends += u64::from(text.starts_with("send "));
    })?;
    Ok((events, sends))
}

/// Reads a node log event by event: `on_event(node, clock, header line, text line)`.
/// Returns whether the file ended inside an event.
fn scan_log(
    path: &Path,
    mut on_event: impl FnMut(String, Vec<(String, u64)>, String, String),
) -> Result<bool, RuntimeError> {
    let mut reader = EventReader::open(path)?;
    while let Some(event) = reader.next_event()? {
        on_event(event.node, event.clock, event.header, event.text);
    }
    Ok(reader.cut)
}

/// One event of a log file: its header (node and clock), as parsed and as written, and its
/// text line.
struct RawEvent {
    node: String,
    clock: Vec<(String, u64)>,
    header: String,
    text: String,
    /// The clock's sum and the node's own entry, for [`RawEvent::key`].
    sum: u128,
    own: u64,
}

impl RawEvent {
    /// The merge order: the sum of the clock (which grows along every happens-before edge),
    /// then the node, then its own entry.
    fn key(&self) -> (u128, &str, u64) {
        (self.sum, &self.node, self.own)
    }
}

/// Reads a log file (a node's, or a merged one) event by event.
struct EventReader {
    path: PathBuf,
    reader: BufReader<File>,
    line: String,
    line_number: usize,
    /// The file ended inside an event (the partial event is left out).
    cut: bool,
}

impl EventReader {
    fn open(path: &Path) -> Result<Self, RuntimeError> {
        let file = File::open(path)
            .map_err(|err| RuntimeError::io(format!("cannot open {}", path.display()), err))?;
        Ok(EventReader {
            path: path.to_path_buf(),
            reader: BufReader::new(file),
            line: String::new(),
            line_number: 0,
            cut: false,
        })
    }

    /// The next complete line without its ending, or `None` at the end (`cut` set when the
    /// last line has no newline).
    fn next_line(&mut self) -> Result<Option<String>, RuntimeError> {
        self.line.clear();
        let read = self
            .reader
            .read_line(&mut self.line)
            .map_err(|err| RuntimeError::io(format!("cannot read {}", self.path.display()), err))?;
        if read == 0 {
            return Ok(None);
        }
        self.line_number += 1;
        if !self.line.ends_with('\n') {
            self.cut = true;
            return Ok(None);
        }
        Ok(Some(self.line.trim_end_matches(['\n', '\r']).to_string()))
    }

    fn next_event(&mut self) -> Result<Option<RawEvent>, RuntimeError> {
        let Some(header) = self.next_line()? else {
            return Ok(None);
        };
        let (node, clock) = parse_header(&self.path, self.line_number, &header)?;
        let Some(text) = self.next_line()? else {
            self.cut = true;
            return Ok(None);
        };
        let sum = clock.iter().map(|(_, value)| u128::from(*value)).sum();
        let own = clock
            .iter()
            .find(|(name, _)| *name == node)
            .map_or(0, |(_, value)| *value);
        Ok(Some(RawEvent {
            node,
            clock,
            header,
            text,
            sum,
            own,
        }))
    }
}

/// A header line: the node and its clock entries.
type Header = (String, Vec<(String, u64)>);

fn parse_header(path: &Path, line: usize, content: &str) -> Result<Header, RuntimeError> {
    let error = |reason: String| RuntimeError::LogFormat {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let shown: String = content.chars().take(80).collect();
    let (node, clock) = content
        .split_once(' ')
        .ok_or_else(|| error(format!("expected `NODE {{CLOCK}}`, found {shown:?}")))?;
    // The workspace's one clock grammar (causet-clock's parser).
    let clock: causet_clock::VersionVector<String> = clock
        .parse()
        .map_err(|err| error(format!("clock is not a JSON clock ({err}): {shown:?}")))?;
    let entries = clock
        .iter()
        .map(|(key, value)| (key.clone(), value))
        .collect();
    Ok((node.to_string(), entries))
}

/// What merging node logs produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeSummary {
    /// The merged log.
    pub path: PathBuf,
    /// Events written.
    pub events: usize,
    /// Node logs that ended inside an event (the partial event was left out).
    pub truncated: Vec<PathBuf>,
    /// Node logs that do not exist (a node killed or crashed before it logged anything).
    pub missing: Vec<PathBuf>,
}

/// Merges node logs into one GoVector log at `out`; a log file that does not exist counts
/// as empty and is listed in [`MergeSummary::missing`].
///
/// Events are ordered by the sum of their clock entries, then node name, then own entry: a
/// linear extension of happens-before (if `a → b`, `b`'s clock dominates `a`'s and is
/// larger somewhere, so its sum is larger), so a reader sees every send before its receive.
pub fn merge_logs(inputs: &[PathBuf], out: &Path) -> Result<MergeSummary, RuntimeError> {
    let mut truncated = Vec::new();
    let mut missing = Vec::new();
    let present: Vec<PathBuf> = inputs
        .iter()
        .filter(|path| {
            let exists = path.exists();
            if !exists {
                missing.push((*path).clone());
            }
            exists
        })
        .cloned()
        .collect();
    // Written under a temporary name and renamed when complete, so that a merged log that
    // exists is never a half-written one (a killed launcher leaves only `*.partial`).
    let partial = with_suffix(out, ".partial");
    let merged = merge_files(&present, &partial, &mut truncated);
    let events = match merged.and_then(|events| {
        std::fs::rename(&partial, out)
            .map_err(|err| RuntimeError::io(format!("cannot write {}", out.display()), err))?;
        Ok(events)
    }) {
        Ok(events) => events,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err);
        }
    };
    Ok(MergeSummary {
        path: out.to_path_buf(),
        events,
        truncated,
        missing,
    })
}

/// Most files [`merge_files`] reads at once; more are merged in groups first.
const MERGE_FAN_IN: usize = 256;

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Merges `inputs` into `out` in [`RawEvent::key`] order, streaming: each node log is
/// already in that order (a node's clock only grows), so a k-way merge holds one event per
/// file, not the run. More than [`MERGE_FAN_IN`] files are merged in groups into temporary
/// files first (removed after). A file out of order (never written by this runtime) makes
/// the merge sort everything in memory instead. Returns the events written.
fn merge_files(
    inputs: &[PathBuf],
    out: &Path,
    truncated: &mut Vec<PathBuf>,
) -> Result<usize, RuntimeError> {
    if inputs.len() > MERGE_FAN_IN {
        let groups: Vec<PathBuf> = (0..inputs.len().div_ceil(MERGE_FAN_IN))
            .map(|k| with_suffix(out, &format!(".group{k}")))
            .collect();
        let result = inputs
            .chunks(MERGE_FAN_IN)
            .zip(&groups)
            .try_for_each(|(chunk, group)| merge_files(chunk, group, truncated).map(drop))
            .and_then(|()| merge_files(&groups, out, &mut Vec::new()));
        for group in &groups {
            let _ = std::fs::remove_file(group);
        }
        return result;
    }
    let create = |path: &Path| {
        File::create(path)
            .map(BufWriter::new)
            .map_err(|err| RuntimeError::io(format!("cannot create {}", path.display()), err))
    };
    let write_err = |err| RuntimeError::io(format!("cannot write {}", out.display()), err);
    let mut writer = create(out)?;
    let mut readers = inputs
        .iter()
        .map(|path| EventReader::open(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut heads: Vec<Option<RawEvent>> = readers
        .iter_mut()
        .map(EventReader::next_event)
        .collect::<Result<_, _>>()?;
    let mut written = 0usize;
    // The smallest head each time (a linear scan: at most MERGE_FAN_IN files).
    while let Some(next) = (0..heads.len())
        .filter(|&k| heads[k].is_some())
        .min_by(|&a, &b| {
            let (a, b) = (heads[a].as_ref(), heads[b].as_ref());
            a.map(RawEvent::key).cmp(&b.map(RawEvent::key))
        })
    {
        let event = heads[next]
            .take()
            .unwrap_or_else(|| unreachable!("a head was found"));
        writeln!(writer, "{}\n{}", event.header, event.text).map_err(write_err)?;
        written += 1;
        heads[next] = readers[next].next_event()?;
        if heads[next]
            .as_ref()
            .is_some_and(|head| head.key() < event.key())
        {
            drop(writer);
            return sort_in_memory(inputs, out, truncated);
        }
    }
    writer.flush().map_err(write_err)?;
    truncated.extend(
        readers
            .iter()
            .filter(|reader| reader.cut)
            .map(|reader| reader.path.clone()),
    );
    Ok(written)
}

/// The merge for files out of order: every event in memory, sorted.
fn sort_in_memory(
    inputs: &[PathBuf],
    out: &Path,
    truncated: &mut Vec<PathBuf>,
) -> Result<usize, RuntimeError> {
    let mut events: Vec<RawEvent> = Vec::new();
    for path in inputs {
        let mut reader = EventReader::open(path)?;
        while let Some(event) = reader.next_event()? {
            events.push(event);
        }
        if reader.cut {
            truncated.push(path.clone());
        }
    }
    events.sort_by(|a, b| a.key().cmp(&b.key()));
    let file = File::create(out)
        .map_err(|err| RuntimeError::io(format!("cannot create {}", out.display()), err))?;
    let mut writer = BufWriter::new(file);
    events
        .iter()
        .try_for_each(|event| writeln!(writer, "{}\n{}", event.header, event.text))
        .and_then(|()| writer.flush())
        .map_err(|err| RuntimeError::io(format!("cannot write {}", out.display()), err))?;
    Ok(events.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_log(dir: &Path, name: &str, lines: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, lines).expect("write a node log");
        path
    }

    /// The merged log appears only when complete: written as `OUT.partial`, renamed at the
    /// end, and nothing is left behind when it cannot be written.
    #[test]
    fn the_merged_log_is_renamed_into_place_only_when_complete() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = node_log(
            dir.path(),
            "a.log",
            "a {\"a\":1}\nhello\na {\"a\":2}\nsend\n",
        );
        let b = node_log(dir.path(), "b.log", "b {\"a\":2, \"b\":1}\nreceive\n");
        let out = dir.path().join("merged.log");
        let summary = merge_logs(&[a.clone(), b.clone()], &out).expect("merge");
        assert_eq!(summary.events, 3);
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "a {\"a\":1}\nhello\na {\"a\":2}\nsend\nb {\"a\":2, \"b\":1}\nreceive\n"
        );
        assert!(!dir.path().join("merged.log.partial").exists());
        // A directory where the log should go: the rename fails, the error says so, and
        // no partial file is left.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("keep"), "x").unwrap();
        assert!(merge_logs(&[a, b], &blocked).is_err());
        assert!(!dir.path().join("blocked.partial").exists());
        assert!(blocked.join("keep").exists());
    }

    /// The streaming merge equals sorting every event (the former merge, kept as the
    /// fallback for files out of order), with more files than it reads at once, truncated
    /// files, and a file out of order.
    #[test]
    fn the_streaming_merge_equals_the_sort() {
        let dir = tempfile::tempdir().expect("temp dir");
        let nodes = MERGE_FAN_IN + 7;
        let mut inputs = Vec::new();
        for i in 0..nodes {
            let mut text = String::new();
            for n in 1..=3u64 {
                // Node i knows node (i + 1)'s n-th event: sums interleave across files.
                let other = (i + 1) % nodes;
                text.push_str(&format!(
                    "n{i} {{\"n{i}\":{n}, \"n{other}\":{}}}\nevent {n} of n{i}\n",
                    (n * 7 + i as u64) % 5
                ));
            }
            if i % 50 == 0 {
                text.push_str(&format!("n{i} {{\"n{i}\":4}}\ncut sh"));
            }
            inputs.push(node_log(dir.path(), &format!("n{i}.log"), &text));
        }
        let streamed = dir.path().join("streamed.log");
        let summary = merge_logs(&inputs, &streamed).expect("merge");
        let sorted = dir.path().join("sorted.log");
        let mut truncated = Vec::new();
        let events = sort_in_memory(&inputs, &sorted, &mut truncated).expect("sort");
        assert_eq!(summary.events, events);
        assert_eq!(summary.events, nodes * 3);
        assert_eq!(
            std::fs::read_to_string(&streamed).unwrap(),
            std::fs::read_to_string(&sorted).unwrap()
        );
        assert_eq!(summary.truncated, truncated);
        assert_eq!(truncated.len(), nodes.div_ceil(50));
        // No group files are left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_name().to_string_lossy().contains(".group"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // A file out of order is merged by sorting.
        let backwards = node_log(
            dir.path(),
            "back.log",
            "z {\"z\":5}\nlate\nz {\"z\":1}\nearly\n",
        );
        let out = dir.path().join("back-merged.log");
        merge_logs(&[inputs[0].clone(), backwards], &out).expect("merge");
        let merged = std::fs::read_to_string(&out).unwrap();
        assert!(
            merged.find("early").unwrap() < merged.find("late").unwrap(),
            "{merged}"
        );
    }

    #[test]
    fn formats_keys_in_byte_order_and_skips_zeros() {
        let roster = Roster::numbered(11);
        let mut clock = VectorClock::new();
        clock.set(2, 1);
        clock.set(10, 4);
        clock.set(1, 2);
        let mut out = String::new();
        format_event(&mut out, &roster, 1, &clock, "line\nbreak");
        assert_eq!(
            out,
            "node1 {\"node1\":2, \"node10\":4, \"node2\":1}\nline break\n"
        );
    }

    #[test]
    fn sparse_and_dense_paths_format_alike() {
        // 11 entries in a roster of 100 take the sorting path; in 11 the walking path.
        let mut clock = VectorClock::new();
        clock.set(2, 1);
        clock.set(10, 4);
        clock.set(1, 2);
        let (mut sparse, mut dense) = (String::new(), String::new());
        format_event(&mut sparse, &Roster::numbered(100), 1, &clock, "x");
        format_event(&mut dense, &Roster::numbered(11), 1, &clock, "x");
        assert_eq!(sparse, dense);
    }
}
