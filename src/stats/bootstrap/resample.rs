//! Seeded resampling: one independent random stream per fixed block of resample indices, and
//! unbiased bounded integers.
//!
//! The bootstrap distribution is split into blocks of [`BLOCK`] consecutive resamples. Block `b`
//! draws from its own Xoshiro256++ stream: the generator seeded by `seed_from_u64(seed)`
//! (SplitMix64 expansion of the seed) advanced by `b` calls of `jump()` (2^128 steps each), so the
//! streams never overlap. Within a block the resamples are drawn in order. Which thread computes a
//! block therefore never changes what it computes, and the distribution is bit-identical for a
//! given seed whatever the number of threads.
//!
//! Indices are drawn with Lemire's multiply-and-reject method (Lemire 2019, "Fast random integer
//! generation in an interval", ACM TOMACS 29(1)): exactly uniform on `0..n`. For `n < 2^32` each
//! 64-bit output supplies two 32-bit words (low half first), so the stream is fully specified here
//! and does not depend on how `rand` maps words to ranges in any version.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Resamples per random stream.
pub(crate) const BLOCK: usize = 64;

/// A block's random stream, consumed as 32-bit halves of 64-bit words (low half first).
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    rng: Xoshiro256PlusPlus,
    word: u64,
    /// Unused halves of `word`: 0, 1 (the high half) or 2 (both).
    halves: u8,
}

impl Stream {
    fn new(rng: Xoshiro256PlusPlus) -> Self {
        Stream {
            rng,
            word: 0,
            halves: 0,
        }
    }

    #[inline]
    fn next_u32(&mut self) -> u32 {
        match self.halves {
            0 => {
                self.word = self.rng.next_u64();
                self.halves = 1;
                self.word as u32
            }
            1 => {
                self.halves = 0;
                (self.word >> 32) as u32
            }
            _ => {
                self.halves = 1;
                self.word as u32
            }
        }
    }

    /// A uniform index in `0..n` (`n >= 1`).
    #[inline]
    pub(crate) fn index(&mut self, n: usize) -> usize {
        debug_assert!(n >= 1);
        if let Ok(n32) = u32::try_from(n) {
            below_u32(self, n32) as usize
        } else {
            below_u64(&mut self.rng, n as u64) as usize
        }
    }

    /// Fills `out` with uniform indices in `0..n`: exactly the values of `out.len()` calls of
    /// [`Stream::index`], computed two per 64-bit word while no rejection test is needed.
    #[inline]
    pub(crate) fn indices(&mut self, n: usize, out: &mut [usize]) {
        let Ok(n32) = u32::try_from(n) else {
            out.iter_mut().for_each(|o| *o = self.index(n));
            return;
        };
        let mut rest = out;
        if self.halves != 0 && !rest.is_empty() {
            rest[0] = self.index(n);
            rest = &mut rest[1..];
        }
        // now at a word boundary (index() may have started a new word: finish it first)
        if self.halves == 1 && !rest.is_empty() {
            rest[0] = self.index(n);
            rest = &mut rest[1..];
        }
        let n64 = u64::from(n32);
        // the generator is copied to a local for the fast path (kept in registers) and written
        // back around the slow path, which uses `self`
        let mut rng = self.rng.clone();
        let mut pairs = rest.chunks_exact_mut(2);
        for pair in &mut pairs {
            if self.halves != 0 {
                // a rejection in the slow path below left a half-word: stay exact
                self.rng = rng;
                pair[0] = self.index(n);
                pair[1] = self.index(n);
                rng = self.rng.clone();
                continue;
            }
            let w = rng.next_u64();
            let a = (w & 0xFFFF_FFFF) * n64;
            let b = (w >> 32) * n64;
            if (a as u32) >= n32 && (b as u32) >= n32 {
                // both accepted at once by Lemire's test
                pair[0] = (a >> 32) as usize;
                pair[1] = (b >> 32) as usize;
            } else {
                self.rng = rng;
                self.word = w;
                self.halves = 2;
                pair[0] = self.index(n);
                pair[1] = self.index(n);
                rng = self.rng.clone();
            }
        }
        self.rng = rng;
        for o in pairs.into_remainder() {
            *o = self.index(n);
        }
    }
}

/// Lemire's method on 32-bit words.
#[inline]
fn below_u32(s: &mut Stream, n: u32) -> u32 {
    let mut m = u64::from(s.next_u32()) * u64::from(n);
    let mut low = m as u32;
    if low < n {
        let threshold = n.wrapping_neg() % n;
        while low < threshold {
            m = u64::from(s.next_u32()) * u64::from(n);
            low = m as u32;
        }
    }
    (m >> 32) as u32
}

/// Lemire's method on 64-bit words.
#[inline]
fn below_u64<R: Rng + ?Sized>(rng: &mut R, n: u64) -> u64 {
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    let mut low = m as u64;
    if low < n {
        let threshold = n.wrapping_neg() % n;
        while low < threshold {
            m = u128::from(rng.next_u64()) * u128::from(n);
            low = m as u64;
        }
    }
    (m >> 64) as u64
}

/// The streams of every block of a distribution of `resamples` values.
pub(crate) fn block_streams(seed: u64, resamples: usize) -> Vec<Stream> {
    let blocks = resamples.div_ceil(BLOCK);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = Vec::with_capacity(blocks);
    for _ in 0..blocks {
        out.push(Stream::new(rng.clone()));
        rng.jump();
    }
    out
}

/// Fills `distribution` (one slot per resample) with `eval(stream, scratch)`, block by block.
///
/// `eval` is called once per resample, in resample order within a block, with the block's stream
/// and a per-thread scratch value made by `init`. With the `parallel` feature blocks run on the
/// rayon pool; the values do not depend on the pool's size.
pub(crate) fn fill<S, I, E>(distribution: &mut [f64], seed: u64, init: I, eval: E)
where
    I: Fn() -> S + Sync + Send,
    E: Fn(&mut Stream, &mut S) -> f64 + Sync + Send,
{
    let streams = block_streams(seed, distribution.len());
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        distribution
            .par_chunks_mut(BLOCK)
            .zip(streams.into_par_iter())
            .for_each_init(&init, |scratch, (chunk, mut stream)| {
                for slot in chunk {
                    *slot = eval(&mut stream, scratch);
                }
            });
    }
    #[cfg(not(feature = "parallel"))]
    {
        let mut scratch = init();
        for (chunk, mut stream) in distribution.chunks_mut(BLOCK).zip(streams) {
            for slot in chunk {
                *slot = eval(&mut stream, &mut scratch);
            }
        }
    }
}

/// Calls `eval(i, scratch)` for `i in 0..out.len()` and stores the results (in parallel with the
/// `parallel` feature; each value depends only on `i`).
pub(crate) fn map_indexed<S, I, E>(out: &mut [f64], init: I, eval: E)
where
    I: Fn() -> S + Sync + Send,
    E: Fn(usize, &mut S) -> f64 + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        out.par_iter_mut()
            .enumerate()
            .for_each_init(&init, |scratch, (i, slot)| *slot = eval(i, scratch));
    }
    #[cfg(not(feature = "parallel"))]
    {
        let mut scratch = init();
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = eval(i, &mut scratch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_in_range_and_cover_small_ranges() {
        let mut s = block_streams(7, 1).remove(0);
        for n in [1usize, 2, 3, 7, 10, 1000] {
            let mut seen = vec![0usize; n];
            for _ in 0..20 * n {
                let i = s.index(n);
                assert!(i < n);
                seen[i] += 1;
            }
            assert!(seen.iter().all(|&c| c > 0), "n = {n}: {seen:?}");
        }
    }

    #[test]
    fn lemire_is_uniform_for_a_range_with_large_rejection_zone() {
        // n = 3 * 2^30: the threshold 2^32 mod n = 2^30 rejects a quarter of the words; each
        // third of the range must still get a third of the draws.
        let n = 3u32 << 30;
        let mut s = block_streams(11, 1).remove(0);
        let mut thirds = [0u32; 3];
        let draws = 300_000;
        for _ in 0..draws {
            thirds[(below_u32(&mut s, n) >> 30) as usize] += 1;
        }
        for t in thirds {
            // binomial sd = sqrt(draws * 2/9) ~ 258; allow 6 sd
            assert!((f64::from(t) - 100_000.0).abs() < 1550.0, "{thirds:?}");
        }
    }

    #[test]
    fn blocks_are_distinct_streams() {
        let mut streams = block_streams(3, 3 * BLOCK);
        assert_eq!(streams.len(), 3);
        let firsts: Vec<u32> = streams.iter_mut().map(|s| s.next_u32()).collect();
        assert_ne!(firsts[0], firsts[1]);
        assert_ne!(firsts[1], firsts[2]);
    }

    #[test]
    fn fill_equals_a_sequential_walk_over_the_block_streams() {
        // whatever runs the blocks (rayon or the serial loop), slot k holds draw k % BLOCK of
        // block k / BLOCK's stream
        let n = 1000;
        for resamples in [1, BLOCK - 1, BLOCK, 5 * BLOCK + 3] {
            let mut got = vec![0.0; resamples];
            fill(
                &mut got,
                77,
                || (),
                |s, _| s.index(n) as f64 + f64::from(s.next_u32() % 3),
            );
            let mut want = Vec::new();
            for mut s in block_streams(77, resamples) {
                for _ in 0..BLOCK {
                    if want.len() < resamples {
                        want.push(s.index(n) as f64 + f64::from(s.next_u32() % 3));
                    }
                }
            }
            assert_eq!(got, want);
        }
    }

    #[test]
    fn bulk_indices_equal_single_draws() {
        for n in [
            1usize,
            2,
            3,
            10,
            1000,
            (3 << 30) + 1,
            1 << 31,
            (1 << 32) + 7,
        ] {
            for offset in 0..3 {
                for len in [0, 1, 2, 3, 64, 257] {
                    let mut a = block_streams(n as u64 + offset, 1).remove(0);
                    let mut b = a.clone();
                    for _ in 0..offset {
                        a.index(n);
                        b.index(n);
                    }
                    let mut bulk = vec![0; len];
                    a.indices(n, &mut bulk);
                    let single: Vec<usize> = (0..len).map(|_| b.index(n)).collect();
                    assert_eq!(bulk, single, "n = {n}, offset = {offset}, len = {len}");
                    assert_eq!(a.index(n), b.index(n));
                }
            }
        }
    }

    #[test]
    fn u64_path_stays_in_range() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let n = (1u64 << 40) + 12345;
        for _ in 0..1000 {
            assert!(below_u64(&mut rng, n) < n);
        }
    }
}
