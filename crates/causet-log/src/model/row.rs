//! The clock-row filler: node names interned and one dense row filled per clock, with
//! byte-level fast paths (SWAR digits, templates of a host's last clock).

use std::collections::HashMap;

use super::MAX_NODES;
use crate::clock_json::scan_clock;
use crate::error::{ClockJsonErrorKind, LogErrorKind};

/// Whether `hay` starts with `pattern`, compared 8 bytes at a time (names are short, and a
/// `memcmp` call per clock entry costs more than the comparison).
#[inline(always)]
fn starts_with(hay: &[u8], pattern: &[u8]) -> bool {
    if hay.len() < pattern.len() {
        return false;
    }
    let mut k = 0;
    while k + 8 <= pattern.len() {
        let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
        a.copy_from_slice(&hay[k..k + 8]);
        b.copy_from_slice(&pattern[k..k + 8]);
        if a != b {
            return false;
        }
        k += 8;
    }
    same_bytes(&hay[k..pattern.len()], &pattern[k..])
}

/// Up to 7 leading ASCII digits of an 8-byte window, parsed at once (SWAR, as simdjson
/// does): `Some((value, digit count))`, or `None` when the window is missing, starts with a
/// non-digit or is all digits (the caller's loop then takes over).
#[inline(always)]
fn eight_digits(window: Option<&[u8]>) -> Option<(u32, usize)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let window = window?;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(window);
    let digits = u64::from_le_bytes(bytes).wrapping_sub(0x30 * ONES);
    // A byte is a digit iff it is now 0..=9: no high bit in it or in it + 0x76. Borrows and
    // carries only move towards later bytes, past the first non-digit, so that one is
    // found exactly.
    let non_digit = (digits.wrapping_add(0x76 * ONES) | digits) & (0x80 * ONES);
    let length = (non_digit.trailing_zeros() / 8) as usize;
    if length == 0 || length == 8 {
        return None;
    }
    // Right-align the digits as an 8-digit number with leading zeros.
    Some((combine_eight_digits(digits << (8 * (8 - length))), length))
}

/// The value of 8 digits, one per byte (0 to 9, the first digit in the lowest byte): pairs,
/// quadruples and halves combined by multiplication.
#[inline(always)]
fn combine_eight_digits(digits: u64) -> u32 {
    let mut value = digits;
    value = value.wrapping_mul(10).wrapping_add(value >> 8);
    value = ((value & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32)))
        .wrapping_add(((value >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    value as u32
}

/// Byte equality for short names without a call to `memcmp`.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The map from names read from input to ids: foldhash, seeded per process, so that a log
/// cannot be written to make its names collide (FxHash, used before, has fixed collisions
/// and put `server00` … `server99` in one low-16-bit bucket).
pub(crate) type NameMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One dense clock row and, once [`Row::track`] is on, the entries written in it since it
/// was last reset (so that a reset, and reading the row's entries, cost the clock's length
/// rather than the number of nodes).
#[derive(Debug, Default)]
pub(super) struct Row {
    pub(super) values: Vec<u32>,
    pub(super) touched: Vec<u32>,
    pub(super) track: bool,
}

impl Row {
    /// All zeros, `width` long (or longer).
    #[inline]
    fn reset(&mut self, width: usize) {
        if self.track {
            for &id in &self.touched {
                if let Some(cell) = self.values.get_mut(id as usize) {
                    *cell = 0;
                }
            }
            self.touched.clear();
            if self.values.len() < width {
                self.values.resize(width, 0);
            }
        } else {
            self.values.clear();
            self.values.resize(width, 0);
        }
    }

    /// Sets entry `id`, which is within the row.
    #[inline(always)]
    fn put(&mut self, id: u32, value: u32) -> bool {
        match self.values.get_mut(id as usize) {
            Some(cell) => {
                *cell = value;
                if self.track {
                    self.touched.push(id);
                }
                true
            }
            None => false,
        }
    }

    /// From now on, records the entries written (those of the row as it is count as
    /// written).
    pub(super) fn start_tracking(&mut self) {
        self.touched.clear();
        self.touched
            .extend((0..self.values.len() as u32).filter(|&k| self.values[k as usize] != 0));
        self.track = true;
    }
}

/// Interns node names and fills one dense clock row.
#[derive(Debug, Default)]
pub(super) struct RowFiller {
    nodes: Vec<String>,
    node_ids: NameMap<Vec<u8>, u32>,
    pub(super) row: Row,
    /// `seen[node] == generation` when the current row already has an entry for `node`.
    seen: Vec<u64>,
    generation: u64,
    /// The node seen at each key position of the previous clock: GoVector writes keys in the
    /// same order line after line, so this guess usually saves the hash lookup.
    guesses: Vec<u32>,
    /// Per node whose name has no `"`, `\\` or control character (so it appears verbatim
    /// between quotes in a clock): the name followed by `":`, to recognise its key at once.
    patterns: Vec<Option<Box<[u8]>>>,
    /// Per logging node (the first [`TEMPLATE_HOSTS`]), the layout of its previous plain
    /// clock: a node's key set only grows, and GoVector writes it in the same order and
    /// spacing line after line, so most clocks differ from the previous one of their node
    /// only in their digits.
    templates: Vec<Template>,
    /// A direct-mapped cache in front of `node_ids` for names of at most 16 bytes (every
    /// event interns its host, and a hash-map probe with its `memcmp` cost more than the
    /// clock's digits).
    host_cache: Vec<HostSlot>,
}

/// A name of at most 16 bytes as two words and its length (see [`short_key`]), and its id.
#[derive(Debug, Clone, Copy, Default)]
struct HostSlot {
    key: (u64, u64, usize),
    id: u32,
}

/// Slots of the host cache (a power of two).
const HOST_SLOTS: usize = 256;

/// `name` (at most 16 bytes) as two words and its length, without a variable-length copy:
/// overlapping loads of its first and last bytes, which with the length determine it.
#[inline(always)]
fn short_key(name: &[u8]) -> Option<(u64, u64, usize)> {
    let n = name.len();
    let word = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&name[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    let half = |at: usize| {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(&name[at..at + 4]);
        u64::from(u32::from_le_bytes(bytes))
    };
    match n {
        8..=16 => Some((word(0), word(n - 8), n)),
        4..=7 => Some((half(0), half(n - 4), n)),
        1..=3 => Some((
            u64::from(name[0]) | u64::from(name[n / 2]) << 8,
            u64::from(name[n - 1]),
            n,
        )),
        _ => None,
    }
}

/// Logging nodes that get a [`Template`] (bounds the templates' memory).
const TEMPLATE_HOSTS: usize = 256;
/// Most entries a [`Template`] holds.
const TEMPLATE_ENTRIES: usize = 256;

/// The layout of a plain clock `{"a":1, "b":2}`: per entry, its node and the bytes between
/// the previous value (or the clock's start) and its own value (`{"a":`, `, "b":`); the
/// clock ends with `}` right after the last value. A clock made of exactly these bytes
/// around digit strings is a valid clock with these keys in this order, so matching it
/// needs no JSON scanning, no name lookup and no duplicate check.
///
/// Most clocks of a node also keep the digit count of every entry: then the previous
/// clock's bytes, with its digits masked out, are the new clock's bytes, and every value
/// sits at a known offset. That exact layout is checked first: its loads do not depend on
/// one another (no entry waits for the previous one's digit count), so they overlap.
#[derive(Debug, Default)]
struct Template {
    entries: Vec<TemplateEntry>,
    /// The previous clock's bytes, and per byte `0xff` outside the values, `0` in them;
    /// empty when that clock does not fit the exact layout (see [`ExactValue`]).
    bytes: Vec<u8>,
    mask: Vec<u8>,
    values: Vec<ExactValue>,
}

/// A value at a fixed place of the exact layout: it ends at `end` (at least 8) and has 1 to
/// 8 digits; the 8 bytes before `end`, with those before the value replaced by `'0'`
/// (`(word & keep) | fill`), are an 8-digit number.
#[derive(Debug, Clone, Copy)]
struct ExactValue {
    id: u32,
    end: usize,
    keep: u64,
    fill: u64,
    /// The least value of this many digits without a leading zero (0 for one digit): a
    /// smaller one was written as `007`, which the grammar refuses.
    min: u32,
}

impl ExactValue {
    /// The value at `clock[start..end]`; `keep` is 0 (no exact layout) for more than 8
    /// digits.
    fn new(id: u32, start: usize, end: usize) -> Self {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let digits = end - start;
        // The low `8 - digits` bytes of the word come before the value.
        let before = u64::MAX.checked_shr(8 * digits as u32).unwrap_or(0);
        let keep = if digits > 8 { 0 } else { !before };
        ExactValue {
            id,
            end,
            keep,
            fill: (0x30 * ONES) & before,
            min: if (2..=8).contains(&digits) {
                10u32.pow(digits as u32 - 1)
            } else {
                0
            },
        }
    }
}

impl Template {
    /// Fills `row` if `clock` has the exact layout; `false` (row in an unspecified state)
    /// otherwise.
    #[inline]
    fn fill_exact(&self, clock: &[u8], row: &mut Row) -> bool {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let n = self.bytes.len();
        if n == 0 || clock.len() != n {
            return false;
        }
        // Every byte outside the values as before (a byte-wise fold, which vectorises).
        let different = clock
            .iter()
            .zip(&self.bytes)
            .zip(&self.mask)
            .fold(0u8, |acc, ((&a, &b), &m)| acc | ((a ^ b) & m));
        let word = |bytes: &[u8], at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(word)
        };
        // Every value byte a digit.
        let mut non_digit = 0u64;
        let mut leading_zero = false;
        for value in &self.values {
            let digits =
                ((word(clock, value.end - 8) & value.keep) | value.fill).wrapping_sub(0x30 * ONES);
            non_digit |= (digits.wrapping_add(0x76 * ONES) | digits) & (0x80 * ONES);
            let number = combine_eight_digits(digits);
            leading_zero |= number < value.min;
            row.put(value.id, number);
        }
        different == 0 && non_digit == 0 && !leading_zero
    }
}

#[derive(Debug, Clone, Copy)]
struct TemplateEntry {
    id: u32,
    /// Length of `bytes` used (1 to 32).
    len: usize,
    /// The bytes before the value, zero-padded, as two little-endian words, and masks
    /// selecting the `len` bytes used.
    low: u128,
    high: u128,
    low_mask: u128,
    high_mask: u128,
}

impl TemplateEntry {
    fn new(id: u32, gap: &[u8]) -> Option<Self> {
        if gap.is_empty() || gap.len() > 32 {
            return None;
        }
        let mut bytes = [0u8; 32];
        bytes[..gap.len()].copy_from_slice(gap);
        let mut mask = [0u8; 32];
        mask[..gap.len()].fill(0xff);
        let word = |b: &[u8; 32], k: usize| {
            let mut w = [0u8; 16];
            w.copy_from_slice(&b[16 * k..16 * k + 16]);
            u128::from_le_bytes(w)
        };
        Some(TemplateEntry {
            id,
            len: gap.len(),
            low: word(&bytes, 0),
            high: word(&bytes, 1),
            low_mask: word(&mask, 0),
            high_mask: word(&mask, 1),
        })
    }

    /// Whether `clock[at..]` starts with this entry's bytes.
    #[inline(always)]
    fn matches(&self, clock: &[u8], at: usize) -> bool {
        if let Some(window) = clock.get(at..at + 32) {
            let mut low = [0u8; 16];
            let mut high = [0u8; 16];
            low.copy_from_slice(&window[..16]);
            high.copy_from_slice(&window[16..]);
            ((u128::from_le_bytes(low) ^ self.low) & self.low_mask)
                | ((u128::from_le_bytes(high) ^ self.high) & self.high_mask)
                == 0
        } else {
            // Near the clock's end: byte by byte.
            let mut bytes = [0u8; 32];
            bytes[..16].copy_from_slice(&self.low.to_le_bytes());
            bytes[16..].copy_from_slice(&self.high.to_le_bytes());
            clock.get(at..at + self.len) == Some(&bytes[..self.len])
        }
    }
}

impl RowFiller {
    /// The node names, in interning order.
    pub(super) fn into_nodes(self) -> Vec<String> {
        self.nodes
    }

    /// Nodes interned so far: the width of a row.
    pub(super) fn width(&self) -> usize {
        self.nodes.len()
    }

    /// The length of `host_id`'s previous clock when that one has an exact layout.
    pub(super) fn exact_len(&self, host_id: u32) -> Option<usize> {
        self.templates
            .get(host_id as usize)
            .map(|template| template.bytes.len())
            .filter(|&length| length > 0)
    }

    /// Fills the row from `clock` if it has `host_id`'s exact previous layout.
    pub(super) fn fill_exact(&mut self, host_id: u32, clock: &[u8]) -> bool {
        let Some(template) = self.templates.get(host_id as usize) else {
            return false;
        };
        self.row.reset(self.nodes.len());
        template.fill_exact(clock, &mut self.row)
    }

    /// Fills the row from `clock`: the host's template, the plain scanner or the full one
    /// (`scratch` holds unescaped names).
    pub(super) fn fill(
        &mut self,
        host_id: u32,
        clock: &[u8],
        scratch: &mut Vec<u8>,
    ) -> Result<(), LogErrorKind> {
        if self.fill_template(host_id, clock) {
            // Same layout as the host's previous clock.
        } else if self.fill_plain(clock)? {
            self.learn_template(host_id, clock);
        } else {
            // Escapes, odd spacing, the TLA+ variant or an error: the full scanner.
            let rows = self;
            rows.start_row();
            let mut position = 0usize;
            let mut failure: Option<LogErrorKind> = None;
            scan_clock(clock, scratch, &mut |name, value| {
                let id = match rows.resolve(position, name, value) {
                    Ok(Some(id)) => id,
                    Ok(None) => {
                        position += 1;
                        return Ok(());
                    }
                    Err(kind) => {
                        failure = Some(kind);
                        return Err(ClockJsonErrorKind::InvalidUtf8);
                    }
                };
                position += 1;
                if !rows.set(id, value) {
                    return Err(ClockJsonErrorKind::DuplicateKey(
                        rows.nodes[id as usize].clone(),
                    ));
                }
                Ok(())
            })
            .map_err(|error| failure.take().unwrap_or(LogErrorKind::Clock(error)))?;
        }
        Ok(())
    }

    /// [`RowFiller::intern`] through the host cache.
    #[inline]
    pub(super) fn intern_host(&mut self, name: &[u8]) -> Result<u32, LogErrorKind> {
        let Some(key) = short_key(name) else {
            return self.intern(name);
        };
        let slot = ((key.0 ^ key.1.rotate_left(29) ^ key.2 as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 56) as usize
            % HOST_SLOTS;
        if let Some(cached) = self.host_cache.get(slot)
            && cached.key == key
        {
            return Ok(cached.id);
        }
        let id = self.intern(name)?;
        if self.host_cache.is_empty() {
            self.host_cache = vec![HostSlot::default(); HOST_SLOTS];
        }
        self.host_cache[slot] = HostSlot { key, id };
        Ok(id)
    }

    fn intern(&mut self, name: &[u8]) -> Result<u32, LogErrorKind> {
        if let Some(&id) = self.node_ids.get(name) {
            return Ok(id);
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(LogErrorKind::TooManyNodes { limit: MAX_NODES });
        }
        let text = std::str::from_utf8(name).map_err(|_| LogErrorKind::InvalidUtf8)?;
        let id = self.nodes.len() as u32;
        self.nodes.push(text.to_string());
        let plain = !name.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20);
        self.patterns
            .push(plain.then(|| [name, b"\":"].concat().into_boxed_slice()));
        self.node_ids.insert(name.to_vec(), id);
        Ok(id)
    }

    fn start_row(&mut self) {
        self.row.reset(self.nodes.len());
        self.generation += 1;
    }

    /// The node of the entry at key `position` called `name`; `None` for a zero entry of a
    /// node never seen (absent means 0, so it adds nothing).
    #[inline(always)]
    fn resolve(
        &mut self,
        position: usize,
        name: &[u8],
        value: u32,
    ) -> Result<Option<u32>, LogErrorKind> {
        if let Some(&id) = self.guesses.get(position)
            && same_bytes(self.nodes[id as usize].as_bytes(), name)
        {
            return Ok(Some(id));
        }
        let id = if value == 0 {
            match self.node_ids.get(name) {
                Some(&id) => id,
                None => return Ok(None),
            }
        } else {
            self.intern(name)?
        };
        if position >= self.guesses.len() {
            self.guesses.resize(position + 1, 0);
        }
        self.guesses[position] = id;
        Ok(Some(id))
    }

    /// Sets entry `id`; `false` if the row already has it.
    #[inline(always)]
    fn set(&mut self, id: u32, value: u32) -> bool {
        let index = id as usize;
        if index >= self.seen.len() {
            self.seen.resize(index + 1, 0);
        }
        if self.seen[index] == self.generation {
            return false;
        }
        self.seen[index] = self.generation;
        if index >= self.row.values.len() {
            self.row.values.resize(index + 1, 0);
        }
        self.row.put(id, value)
    }

    /// Fills the row from `clock` if it has the layout of `host`'s previous plain clock
    /// (same keys, order and spacing; any digits); `false`, with the row in an unspecified
    /// state, otherwise.
    #[inline]
    fn fill_template(&mut self, host: u32, clock: &[u8]) -> bool {
        let Some(template) = self.templates.get(host as usize) else {
            return false;
        };
        if template.entries.is_empty() {
            return false;
        }
        self.row.reset(self.nodes.len());
        if template.fill_exact(clock, &mut self.row) {
            return true;
        }
        self.row.reset(self.nodes.len());
        let mut i = 0;
        for entry in &template.entries {
            if !entry.matches(clock, i) {
                return false;
            }
            i += entry.len;
            let Some(value) = Self::template_value(clock, &mut i) else {
                return false;
            };
            if !self.row.put(entry.id, value) {
                return false;
            }
        }
        if i + 1 != clock.len() || clock[i] != b'}' {
            return false;
        }
        // Same keys, but some digit count changed: relearn the exact layout (if the last
        // clock had one; otherwise some value has more than 8 digits, and stays so).
        if !template.bytes.is_empty() {
            self.learn_template(host, clock);
        }
        true
    }

    /// The digits at `clock[*i..]` (1 to 10 of them, below 2^32), advancing `i` past them.
    #[inline(always)]
    fn template_value(clock: &[u8], i: &mut usize) -> Option<u32> {
        if clock.get(*i) == Some(&b'0') && clock.get(*i + 1).is_some_and(u8::is_ascii_digit) {
            return None; // `007`: the full scanner reports the leading zero
        }
        if let Some((value, length)) = eight_digits(clock.get(*i..*i + 8)) {
            *i += length;
            return Some(value);
        }
        let start = *i;
        let mut value: u64 = 0;
        while let Some(&digit @ b'0'..=b'9') = clock.get(*i) {
            value = value * 10 + u64::from(digit - b'0');
            *i += 1;
            if *i - start > 10 {
                return None;
            }
        }
        if *i == start || value > u64::from(u32::MAX) {
            return None;
        }
        Some(value as u32)
    }

    /// Records the layout of `clock`, which [`RowFiller::fill_plain`] just accepted, as
    /// `host`'s template (or none, when it does not fit one).
    fn learn_template(&mut self, host: u32, clock: &[u8]) {
        let host = host as usize;
        if host >= TEMPLATE_HOSTS {
            return;
        }
        if self.templates.len() <= host {
            self.templates.resize_with(host + 1, Template::default);
        }
        let mut template = std::mem::take(&mut self.templates[host]);
        template.entries.clear();
        template.values.clear();
        if !self.template_entries(clock, &mut template.entries, &mut template.values) {
            template.entries.clear();
            template.values.clear();
        }
        // The exact layout needs 8 bytes before every value's end (so the first value's
        // digits can be loaded as one word) and at most 8 digits per value.
        template.bytes.clear();
        template.mask.clear();
        if !template.values.is_empty()
            && template
                .values
                .iter()
                .all(|value| value.end >= 8 && value.keep != 0)
        {
            template.bytes.extend_from_slice(clock);
            template.mask.resize(clock.len(), 0xff);
            for value in &template.values {
                let digits = 8 - (value.keep.trailing_zeros() as usize / 8);
                template.mask[value.end - digits..value.end].fill(0);
            }
        }
        self.templates[host] = template;
    }

    /// The template entries of a plain clock; `false` if it has none or does not fit.
    fn template_entries(
        &self,
        clock: &[u8],
        entries: &mut Vec<TemplateEntry>,
        values: &mut Vec<ExactValue>,
    ) -> bool {
        let n = clock.len();
        if n < 3 || clock[0] != b'{' || clock[n - 1] != b'}' {
            return false;
        }
        let mut gap_start = 0;
        let mut i = 1;
        loop {
            while clock.get(i) == Some(&b' ') {
                i += 1;
            }
            if clock.get(i) != Some(&b'"') {
                return false;
            }
            let Some(close) = memchr::memchr(b'"', &clock[i + 1..]) else {
                return false;
            };
            let name = &clock[i + 1..i + 1 + close];
            i += close + 2;
            if clock.get(i) != Some(&b':') {
                return false;
            }
            i += 1;
            while clock.get(i) == Some(&b' ') {
                i += 1;
            }
            let Some(&id) = self.node_ids.get(name) else {
                return false;
            };
            if entries.len() >= TEMPLATE_ENTRIES {
                return false;
            }
            let Some(entry) = TemplateEntry::new(id, &clock[gap_start..i]) else {
                return false;
            };
            entries.push(entry);
            let value_start = i;
            if Self::template_value(clock, &mut i).is_none() {
                return false;
            }
            values.push(ExactValue::new(id, value_start, i));
            gap_start = i;
            match clock.get(i) {
                Some(b'}') => return i + 1 == n,
                Some(b',') | Some(b' ') => {
                    while clock.get(i) == Some(&b' ') {
                        i += 1;
                    }
                    if clock.get(i) != Some(&b',') {
                        return false;
                    }
                    i += 1;
                }
                _ => return false,
            }
        }
    }

    /// The fast path for the common shape `{"name":digits, "name":digits}` (spaces allowed
    /// after `:` and `,`; no escapes). Returns `Ok(false)`, with the row in an unspecified
    /// state, at the first thing it does not handle; the full scanner then starts over.
    #[inline]
    fn fill_plain(&mut self, clock: &[u8]) -> Result<bool, LogErrorKind> {
        self.start_row();
        let n = clock.len();
        if n < 2 || clock[0] != b'{' || clock[n - 1] != b'}' {
            return Ok(false);
        }
        let mut i = 1;
        if clock[i] == b'}' {
            return Ok(i == n - 1);
        }
        let mut position = 0;
        loop {
            if clock[i] != b'"' {
                return Ok(false);
            }
            i += 1;
            // Most keys repeat the previous clock's key at this position: one comparison.
            if let Some(&guess) = self.guesses.get(position)
                && let Some(pattern) = &self.patterns[guess as usize]
                && starts_with(&clock[i..], pattern)
            {
                i += pattern.len();
                let Some(value) = Self::digits(clock, &mut i) else {
                    return Ok(false);
                };
                if !self.set(guess, value) {
                    return Ok(false);
                }
                position += 1;
                match Self::separator(clock, &mut i) {
                    Some(true) => continue,
                    Some(false) => return Ok(true),
                    None => return Ok(false),
                }
            }
            let start = i;
            while i < n && clock[i] != b'"' {
                if clock[i] == b'\\' || clock[i] < 0x20 {
                    return Ok(false);
                }
                i += 1;
            }
            if i + 1 >= n || i == start || clock[i + 1] != b':' {
                return Ok(false);
            }
            let name = &clock[start..i];
            i += 2;
            let Some(value) = Self::digits(clock, &mut i) else {
                return Ok(false);
            };
            if let Some(id) = self.resolve(position, name, value)?
                && !self.set(id, value)
            {
                return Ok(false);
            }
            position += 1;
            match Self::separator(clock, &mut i) {
                Some(true) => {}
                Some(false) => return Ok(true),
                None => return Ok(false),
            }
        }
    }

    /// Spaces, then a clock value of at most 10 digits below 2^32. `clock` ends with `}`, so
    /// the loops stop in bounds.
    #[inline(always)]
    fn digits(clock: &[u8], i: &mut usize) -> Option<u32> {
        while clock[*i] == b' ' {
            *i += 1;
        }
        if clock.get(*i) == Some(&b'0') && clock.get(*i + 1).is_some_and(u8::is_ascii_digit) {
            return None; // `007`: the full scanner reports the leading zero
        }
        if let Some((value, length)) = eight_digits(clock.get(*i..*i + 8)) {
            *i += length;
            return Some(value);
        }
        let start = *i;
        let mut value: u64 = 0;
        while clock[*i].is_ascii_digit() {
            value = value * 10 + u64::from(clock[*i] - b'0');
            *i += 1;
            if *i - start > 10 {
                return None;
            }
        }
        if *i == start || value > u64::from(u32::MAX) {
            return None;
        }
        Some(value as u32)
    }

    /// After a value: `Some(true)` at `,` (skipping spaces after it), `Some(false)` at the
    /// final `}`, `None` otherwise.
    #[inline(always)]
    fn separator(clock: &[u8], i: &mut usize) -> Option<bool> {
        while clock[*i] == b' ' {
            *i += 1;
        }
        match clock[*i] {
            b',' => {
                *i += 1;
                while clock[*i] == b' ' {
                    *i += 1;
                }
                Some(true)
            }
            b'}' if *i == clock.len() - 1 => Some(false),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::{NameMap, eight_digits};

    /// Names that differ in one or two late bytes (`server00` … `server99`) spread over the
    /// low 16 bits (the bits a table of up to 64 k buckets uses), and the hash is keyed: two
    /// maps hash the same name differently, so no fixed set of names collides everywhere.
    #[test]
    fn node_names_spread_and_the_hash_is_keyed() {
        let one = NameMap::<Vec<u8>, u32>::default();
        let other = NameMap::<Vec<u8>, u32>::default();
        let names: Vec<Vec<u8>> = (0..100)
            .map(|i| format!("server{i:02}").into_bytes())
            .collect();
        let buckets: std::collections::BTreeSet<u64> = names
            .iter()
            .map(|name| one.hasher().hash_one(name) & 0xFFFF)
            .collect();
        assert!(
            buckets.len() >= 95,
            "{} distinct low-16-bit buckets",
            buckets.len()
        );
        let differ = names
            .iter()
            .filter(|name| one.hasher().hash_one(name) != other.hasher().hash_one(name))
            .count();
        assert!(
            differ >= 99,
            "only {differ} of 100 names hash differently in two maps"
        );
    }

    #[test]
    fn eight_digits_matches_the_plain_parse() {
        let mut values: Vec<u64> = (0..2000).collect();
        for digits in 1..=8u32 {
            let top = 10u64.pow(digits);
            values.extend([top - 1, top, top + 1, top / 2 + 7, top / 3]);
        }
        for value in values {
            for tail in [&b","[..], b"}", b" ", b".", b"e", b"9999999"] {
                let text = format!("{value}{}", String::from_utf8_lossy(tail));
                let mut padded = text.clone().into_bytes();
                padded.resize(padded.len().max(8), b'}');
                let expected_length =
                    value.to_string().len() + if tail == b"9999999" { tail.len() } else { 0 };
                let got = eight_digits(padded.get(0..8));
                if expected_length >= 8 {
                    assert_eq!(got, None, "{text}");
                } else {
                    let expected: u64 = text[..expected_length].parse().unwrap_or(u64::MAX);
                    assert_eq!(got, Some((expected as u32, expected_length)), "{text}");
                }
            }
        }
        assert_eq!(eight_digits(Some(b"x1234567")), None);
        assert_eq!(eight_digits(Some(b"12345678")), None);
        assert_eq!(eight_digits(None), None);
        assert_eq!(eight_digits(Some(b"0,\"a\":1}")), Some((0, 1)));
        assert_eq!(eight_digits(Some(b"007}    ")), Some((7, 3)));
    }
}
