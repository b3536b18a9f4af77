//! The dense kernels shared by [`VectorClock`](crate::VectorClock) and the same-nodes fast
//! path of [`VersionVector`](crate::VersionVector): element-wise max and the two comparison
//! flags over `u64` slices of equal length.
//!
//! They work on chunks of [`LANES`] entries: inside a chunk every lane is processed
//! branch-free (a select, or two flag accumulations) and the early exit of the comparison
//! is tested once per chunk. A plain `max` loop becomes compare + masked store
//! (`vpmaskmovq`) per lane when LLVM vectorises it for AVX2, and a per-entry early-exit
//! test keeps a compare loop scalar and branchy; chunking avoids both. Equal clocks are
//! settled by a `memcmp` first. Clocks of at most [`SHORT`] entries use plain loops.
//! Figures and the asm notes are in `BENCHMARKS.md` ("Clocks").

/// Entries processed together: 8 × `u64` is one 64-byte cache line and two AVX2
/// registers, and one early-exit test per 8 entries costs little.
pub(crate) const LANES: usize = 8;

/// Clocks up to this length skip the chunking (measured: it pays off from about three
/// chunks on).
pub(crate) const SHORT: usize = 2 * LANES;

/// `dst[i] = max(dst[i], src[i])` for slices of equal length, [`LANES`] at a time.
#[inline]
pub(crate) fn max_in_place(dst: &mut [u64], src: &[u64]) {
    // Merging a clock into an equal one (a stamp already known) changes nothing: a
    // `memcmp` (see `flags`) settles that without a store.
    if dst.len() > SHORT && dst.first() == src.first() && *dst == *src {
        return;
    }
    let mut dst_chunks = dst.chunks_exact_mut(LANES);
    let mut src_chunks = src.chunks_exact(LANES);
    for (d, s) in (&mut dst_chunks).zip(&mut src_chunks) {
        for lane in 0..LANES {
            // Branch-free select: always store, never a conditional (masked) store.
            let (x, y) = (d[lane], s[lane]);
            d[lane] = if y > x { y } else { x };
        }
    }
    for (d, s) in dst_chunks
        .into_remainder()
        .iter_mut()
        .zip(src_chunks.remainder())
    {
        *d = (*d).max(*s);
    }
}

/// Accumulates "some entry of `a` < `b`'s" and "some entry of `a` > `b`'s" over slices of
/// equal length, starting from the given flags, stopping early once both are set.
#[inline]
pub(crate) fn flags(a: &[u64], b: &[u64], mut less: bool, mut greater: bool) -> (bool, bool) {
    if less && greater {
        return (true, true);
    }
    if a.len() <= SHORT {
        // Short clocks: a plain loop with a predictable branch per entry beats setting up
        // chunks.
        for (x, y) in a.iter().zip(b) {
            if x < y {
                less = true;
            } else if x > y {
                greater = true;
            }
            if less && greater {
                return (true, true);
            }
        }
        return (less, greater);
    }
    // Equal clocks (the same event, or a stamp already known) change no flag. A `memcmp`
    // settles that several times faster than the flag loop (the C library runs it with the
    // widest vectors the CPU has); the first entries are tested inline first, so clocks
    // that differ at the start pay nothing for the check.
    if a.first() == b.first() && a == b {
        return (less, greater);
    }
    let mut a_chunks = a.chunks_exact(LANES);
    let mut b_chunks = b.chunks_exact(LANES);
    for (x, y) in (&mut a_chunks).zip(&mut b_chunks) {
        // Flags as integers so the lanes combine with `|` (no short-circuit branches).
        let (mut lt, mut gt) = (0u8, 0u8);
        for lane in 0..LANES {
            lt |= u8::from(x[lane] < y[lane]);
            gt |= u8::from(x[lane] > y[lane]);
        }
        less |= lt != 0;
        greater |= gt != 0;
        if less && greater {
            return (true, true);
        }
    }
    for (x, y) in a_chunks.remainder().iter().zip(b_chunks.remainder()) {
        less |= x < y;
        greater |= x > y;
    }
    (less, greater)
}
