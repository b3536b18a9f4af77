//! Interning of thread, variable, lock and location names to dense ids: canonical
//! numbers on a fast path (no hashing), other texts through one hash map.

/// A name as written: a canonical decimal number (fast path) or any other text.
#[derive(Debug, Clone)]
pub(super) enum Name {
    Number(u64),
    Text(Box<str>),
}

/// A decimal number without leading zeros (so that `007` stays text and prints back as
/// written), at most 19 digits.
#[inline]
pub(super) fn canonical_number(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 19 || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    let mut n: u64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n * 10 + u64::from(digit);
    }
    Some(n)
}

/// Names to dense ids, in order of first appearance.
#[derive(Debug)]
pub(super) struct Interner {
    small: Vec<u32>,
    /// Large numbers by page: real traces' variables are addresses, dense in a few ranges,
    /// so a page table (a page of ids per 65,536 consecutive numbers, the last page used
    /// cached) keeps the lookup in cache where a hash table spreads it over the whole table.
    pages: NumberMap,
    paged: Vec<u32>,
    last_page: (u64, usize),
    numbers: NumberMap,
    texts: FastMap<Box<[u8]>, u32>,
    names: Vec<Name>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            small: Vec::new(),
            pages: NumberMap::default(),
            paged: Vec::new(),
            last_page: (u64::MAX, 0),
            numbers: NumberMap::default(),
            texts: FastMap::default(),
            names: Vec::new(),
        }
    }
}

/// Numbers per page of [`Interner::paged`] (a power of two: 65,536 ids, 256 KB of address
/// space of which only the touched part is in cache).
const PAGE_BITS: u32 = 16;
/// At most this many pages (4 MB of ids); numbers on later pages go to the hash table, so
/// sparse numbers cost memory by the id, not by the page.
const MAX_PAGES: usize = 16;

impl Interner {
    pub(super) fn len(&self) -> usize {
        self.names.len()
    }

    pub(super) fn name(&self, id: u32) -> Option<&Name> {
        self.names.get(id as usize)
    }

    pub(super) fn display(&self, id: u32) -> String {
        match self.name(id) {
            Some(Name::Number(n)) => n.to_string(),
            Some(Name::Text(text)) => text.to_string(),
            None => String::new(),
        }
    }

    #[inline]
    pub(super) fn intern(&mut self, bytes: &[u8]) -> u32 {
        if let Some(n) = canonical_number(bytes) {
            return self.intern_number(n);
        }
        self.intern_text(bytes)
    }

    /// Interns `bytes` as text, even when it is a number.
    pub(super) fn intern_text(&mut self, bytes: &[u8]) -> u32 {
        if let Some(&id) = self.texts.get(bytes) {
            return id;
        }
        let id = self.next_id();
        self.texts.insert(bytes.into(), id);
        self.names
            .push(Name::Text(String::from_utf8_lossy(bytes).into()));
        id
    }

    /// Thread names: `T9` and `9` are one thread.
    #[inline]
    pub(super) fn intern_thread(&mut self, bytes: &[u8]) -> u32 {
        if let [b'T', digits @ ..] = bytes
            && let Some(n) = canonical_number(digits)
        {
            return self.intern_number(n);
        }
        self.intern(bytes)
    }

    #[inline(always)]
    pub(super) fn intern_number(&mut self, n: u64) -> u32 {
        // Hits first, without computing the next id: a small number's table entry, or a
        // large one's on the page used last. No test of `n < SMALL_NUMBERS` is needed: the
        // small table never grows past it, and a small number's slot on page 0 stays empty
        // (small numbers never go to the pages), so either way a wrong guess is a miss.
        if let Some(&id) = self.small.get(n as usize) {
            if id != EMPTY {
                return id;
            }
        } else if n >> PAGE_BITS == self.last_page.0 {
            let slot = self.last_page.1 + (n & ((1 << PAGE_BITS) - 1)) as usize;
            if let Some(&id) = self.paged.get(slot)
                && id != EMPTY
            {
                return id;
            }
        }
        self.intern_number_new(n)
    }

    /// [`Interner::intern_number`] when the quick lookups missed.
    #[inline(never)]
    fn intern_number_new(&mut self, n: u64) -> u32 {
        let next = self.next_id();
        // Small numbers (thread and lock names, mostly) index a table directly.
        let id = if n < SMALL_NUMBERS {
            let i = n as usize;
            if i >= self.small.len() {
                self.small.resize(i + 1, EMPTY);
            }
            if self.small[i] == EMPTY {
                self.small[i] = next;
            }
            self.small[i]
        } else {
            self.intern_large(n, next)
        };
        if id == next {
            self.names.push(Name::Number(n));
        }
        id
    }

    /// The id of a number of at least [`SMALL_NUMBERS`], `next` if it is new.
    #[inline(always)]
    fn intern_large(&mut self, n: u64, next: u32) -> u32 {
        let key = n >> PAGE_BITS;
        let base = if key == self.last_page.0 {
            self.last_page.1
        } else {
            match self.page_of(key) {
                Some(base) => base,
                None => return self.numbers.get_or_insert(n, next),
            }
        };
        let slot = &mut self.paged[base + (n & ((1 << PAGE_BITS) - 1)) as usize];
        if *slot == EMPTY {
            *slot = next;
        }
        *slot
    }

    /// The start in `paged` of page `key`, made if there is room; caches it as the last.
    #[inline(never)]
    fn page_of(&mut self, key: u64) -> Option<usize> {
        let pages = self.paged.len() >> PAGE_BITS;
        let page = match self.pages.get(key) {
            Some(page) => page as usize,
            None if pages < MAX_PAGES => {
                self.pages.get_or_insert(key, pages as u32);
                self.paged.resize((pages + 1) << PAGE_BITS, EMPTY);
                pages
            }
            None => return None,
        };
        let base = page << PAGE_BITS;
        self.last_page = (key, base);
        Some(base)
    }

    fn next_id(&self) -> u32 {
        // Ids stay below 2^32 because the caller's limits stop far earlier; saturate anyway.
        u32::try_from(self.names.len()).unwrap_or(u32::MAX)
    }
}

/// Numbers to ids: open addressing with linear probing and Fibonacci hashing, one multiply
/// and usually one probe (the hot path of reading a trace, hit three times per event).
#[derive(Debug, Default)]
struct NumberMap {
    slots: Vec<(u64, u32)>,
    pub(super) len: usize,
    shift: u32,
}

const EMPTY: u32 = u32::MAX;

/// Numbers below this are interned through a direct table.
const SMALL_NUMBERS: u64 = 4096;

impl NumberMap {
    #[inline]
    fn index(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The id of `key`, if present.
    fn get(&self, key: u64) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.index(key);
        loop {
            let (k, v) = self.slots[i];
            if v == EMPTY {
                return None;
            }
            if k == key {
                return Some(v);
            }
            i = (i + 1) & mask;
        }
    }

    /// The id of `key`, inserting `next` when absent.
    #[inline(always)]
    fn get_or_insert(&mut self, key: u64, next: u32) -> u32 {
        if 4 * (self.len + 1) > 3 * self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.index(key);
        loop {
            let (k, v) = self.slots[i];
            if v == EMPTY {
                self.slots[i] = (key, next);
                self.len += 1;
                return next;
            }
            if k == key {
                return v;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![(0, EMPTY); capacity]);
        self.shift = 64 - capacity.trailing_zeros();
        let mask = capacity - 1;
        for (k, v) in old {
            if v != EMPTY {
                let mut i = self.index(k);
                while self.slots[i].1 != EMPTY {
                    i = (i + 1) & mask;
                }
                self.slots[i] = (k, v);
            }
        }
    }
}

/// The map from names read from a trace to ids: foldhash, seeded per process, so that a
/// trace cannot be written to make its names collide.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_canonical() {
        assert_eq!(canonical_number(b"0"), Some(0));
        assert_eq!(canonical_number(b"4294967298"), Some(4_294_967_298));
        assert_eq!(canonical_number(b"007"), None);
        assert_eq!(canonical_number(b"12a"), None);
        assert_eq!(canonical_number(b"99999999999999999999"), None);
    }
}
