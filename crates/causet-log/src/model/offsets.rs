//! [`Offsets`]: line numbers and text offsets in about 4.25 bytes each.

/// A non-decreasing sequence of `u64` (line numbers, text offsets) in about 4.25 bytes per
/// value: a `u64` base per block of 32 values and a `u32` difference per value.
#[derive(Debug, Clone, Default)]
pub(crate) struct Offsets {
    bases: Vec<u64>,
    low: Vec<u32>,
}

impl Offsets {
    const BLOCK: usize = 32;

    /// Appends `value`; `false` (and nothing appended) if it is below its block's base or
    /// 2^32 or more past it.
    #[inline]
    pub(crate) fn push(&mut self, value: u64) -> bool {
        if self.low.len().is_multiple_of(Self::BLOCK) {
            self.bases.push(value);
            self.low.push(0);
            return true;
        }
        let base = self.bases.last().copied().unwrap_or(0);
        match value.checked_sub(base).and_then(|d| u32::try_from(d).ok()) {
            Some(difference) => {
                self.low.push(difference);
                true
            }
            None => false,
        }
    }

    /// Value `index`.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub(crate) fn get(&self, index: usize) -> u64 {
        self.bases[index / Self::BLOCK] + u64::from(self.low[index])
    }

    pub(crate) fn reserve_exact(&mut self, more: usize) {
        self.low.reserve_exact(more);
        self.bases.reserve_exact(more / Self::BLOCK + 1);
    }

    /// Bytes of memory held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bases.capacity() * 8 + self.low.capacity() * 4
    }
}
