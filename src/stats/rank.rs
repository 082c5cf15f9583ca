//! Ranking with average ranks for ties, shared by every rank-based statistic.
//!
//! Ties are exact floating-point equality (`-0.0 == 0.0`). A tie group of size `t` receives the
//! average of the ranks it spans, and contributes `t^3 - t` to the tie term used by the
//! tie-corrected variance of the Mann-Whitney statistic.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::stats::{check_sample, sorted_sample};

/// The Mann-Whitney statistic of one sample against another, with the pooled tie term.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct RankSum {
    /// Size of the first sample (`x`).
    pub(crate) n_x: usize,
    /// Size of the second sample (`y`).
    pub(crate) n_y: usize,
    /// `U` of the first sample: the number of pairs with `x_i > y_j`, plus 1/2 per tied pair.
    /// Equals `R_x - n_x (n_x + 1) / 2` with average ranks.
    pub(crate) u_x: f64,
    /// `sum(t^3 - t)` over the tie groups of the pooled sample.
    pub(crate) tie_term: f64,
}

impl RankSum {
    /// `U` of the second sample, `n_x * n_y - u_x`.
    pub(crate) fn u_y(&self) -> f64 {
        (self.n_x as f64) * (self.n_y as f64) - self.u_x
    }

    /// Whether the pooled sample has any ties.
    pub(crate) fn has_ties(&self) -> bool {
        self.tie_term > 0.0
    }

    /// Whether every pooled observation has the same value (used by the tests).
    #[cfg(test)]
    pub(crate) fn all_tied(&self) -> bool {
        let n = (self.n_x + self.n_y) as f64;
        self.tie_term == n * n * n - n
    }
}

/// The [`RankSum`] of two samples that are already sorted ascending, in `O(n_x + n_y)`.
///
/// The slices must be sorted (by `f64::total_cmp` or `partial_cmp`) and finite; this is not
/// checked beyond a debug assertion.
pub(crate) fn rank_sum_sorted(x: &[f64], y: &[f64]) -> RankSum {
    rank_sum_shifted(x, y, 0.0)
}

/// The [`RankSum`] of `{x_i - shift}` against `y`, both sorted ascending, in `O(n_x + n_y)`.
///
/// The shifted values are computed as `x_i - shift` in floating point, exactly as R's
/// `rank(c(x - d, y))` sees them, so ties at a shift are the ties R sees.
pub(crate) fn rank_sum_shifted(x: &[f64], y: &[f64], shift: f64) -> RankSum {
    debug_assert!(x.windows(2).all(|w| w[0] <= w[1]));
    debug_assert!(y.windows(2).all(|w| w[0] <= w[1]));
    let (mut i, mut j) = (0usize, 0usize);
    let mut u = 0.0f64;
    let mut tie_term = 0.0f64;
    while i < x.len() || j < y.len() {
        // The smallest value not yet consumed.
        let v = match (x.get(i), y.get(j)) {
            (Some(&a), Some(&b)) => (a - shift).min(b),
            (Some(&a), None) => a - shift,
            (None, Some(&b)) => b,
            (None, None) => unreachable!(),
        };
        let below_y = j;
        let mut a = 0usize;
        while i < x.len() && x[i] - shift == v {
            i += 1;
            a += 1;
        }
        let mut b = 0usize;
        while j < y.len() && y[j] == v {
            j += 1;
            b += 1;
        }
        u += a as f64 * below_y as f64 + 0.5 * (a as f64) * (b as f64);
        let t = (a + b) as f64;
        tie_term += t * t * t - t;
    }
    RankSum {
        n_x: x.len(),
        n_y: y.len(),
        u_x: u,
        tie_term,
    }
}

/// Average ranks (1-based) of `values`, in input order, and the tie term `sum(t^3 - t)`.
///
/// # Errors
/// [`Error::InvalidSample`](crate::Error::InvalidSample) if `values` is empty or holds a
/// non-finite value.
///
/// # Example
/// ```
/// use canary_analysis::stats::rank::average_ranks;
/// let (ranks, tie_term) = average_ranks(&[3.0, 1.0, 3.0, 2.0])?;
/// assert_eq!(ranks, vec![3.5, 1.0, 3.5, 2.0]);
/// assert_eq!(tie_term, 6.0); // one tie group of 2: 2^3 - 2
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn average_ranks(values: &[f64]) -> Result<(Vec<f64>, f64)> {
    check_sample("values", values)?;
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut tie_term = 0.0;
    let mut start = 0;
    while start < order.len() {
        let v = values[order[start]];
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == v {
            end += 1;
        }
        // Ranks start+1 ..= end share their average.
        let avg = (start + 1 + end) as f64 / 2.0;
        for &k in &order[start..end] {
            ranks[k] = avg;
        }
        let t = (end - start) as f64;
        tie_term += t * t * t - t;
        start = end;
    }
    Ok((ranks, tie_term))
}

/// The order-preserving key of a finite value: unsigned order of keys is numeric order, and
/// `-0.0` and `0.0` share the key of `0.0`, so equal values have equal keys.
#[inline]
pub(crate) fn order_key(x: f64) -> u64 {
    let b = (x + 0.0).to_bits(); // -0.0 + 0.0 == +0.0
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// The value of an [`order_key`].
#[inline]
pub(crate) fn from_order_key(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

/// Checked, sorted order keys of a sample (integer sort of the IEEE 754 bit patterns, faster
/// than comparing floats).
pub(crate) fn sorted_keys(metric: &str, values: &[f64]) -> Result<Vec<u64>> {
    check_sample(metric, values)?;
    let mut keys: Vec<u64> = values.iter().map(|&x| order_key(x)).collect();
    keys.sort_unstable();
    Ok(keys)
}

/// Runs `a` and `b`, concurrently with the `parallel` feature when the work is large enough; the
/// results do not depend on it.
pub(crate) fn join<A: Send, B: Send>(
    large: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    #[cfg(feature = "parallel")]
    {
        if large {
            return rayon::join(a, b);
        }
    }
    let _ = large;
    (a(), b())
}

/// Sorted order keys of the baseline and the canary.
pub(crate) fn sorted_key_pair(baseline: &[f64], canary: &[f64]) -> Result<(Vec<u64>, Vec<u64>)> {
    let large = baseline.len() + canary.len() >= 1 << 15;
    let (b, c) = join(
        large,
        || sorted_keys("baseline", baseline),
        || sorted_keys("canary", canary),
    );
    Ok((b?, c?))
}

/// A checked, sorted copy of a sample (`-0.0` is normalized to `0.0`).
pub(crate) fn sorted_copy(metric: &str, values: &[f64]) -> Result<Vec<f64>> {
    if values.len() <= 64 {
        let mut v = sorted_sample(metric, values)?;
        for x in v.iter_mut() {
            *x += 0.0;
        }
        return Ok(v);
    }
    Ok(sorted_keys(metric, values)?
        .into_iter()
        .map(from_order_key)
        .collect())
}

/// Sorted copies of the baseline and the canary (`-0.0` normalized to `0.0`).
pub(crate) fn sorted_pair(baseline: &[f64], canary: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    let large = baseline.len() + canary.len() >= 1 << 15;
    let (b, c) = join(
        large,
        || sorted_copy("baseline", baseline),
        || sorted_copy("canary", canary),
    );
    Ok((b?, c?))
}

/// The [`RankSum`] of `x` against `y` from sorted [`order_key`]s, in `O(n_x + n_y)` integer
/// comparisons.
pub(crate) fn rank_sum_keys(x: &[u64], y: &[u64]) -> RankSum {
    let (nx, ny) = (x.len(), y.len());
    let (mut i, mut j) = (0usize, 0usize);
    let mut u2: u128 = 0; // twice U: ties count 1 instead of 1/2
    let mut tie_term = 0.0f64;
    let mut group = |t: usize| {
        if t > 1 {
            let t = t as f64;
            tie_term += t * t * t - t;
        }
    };
    while i < nx && j < ny {
        let (a, b) = (x[i], y[j]);
        if a < b {
            let start = i;
            i += 1;
            while i < nx && x[i] == a {
                i += 1;
            }
            u2 += 2 * (i - start) as u128 * j as u128;
            group(i - start);
        } else if b < a {
            let start = j;
            j += 1;
            while j < ny && y[j] == b {
                j += 1;
            }
            group(j - start);
        } else {
            let (si, sj) = (i, j);
            while i < nx && x[i] == a {
                i += 1;
            }
            while j < ny && y[j] == a {
                j += 1;
            }
            let (ta, tb) = ((i - si) as u128, (j - sj) as u128);
            u2 += ta * (2 * sj as u128 + tb);
            group((i - si) + (j - sj));
        }
    }
    // Remaining x values exceed every y.
    while i < nx {
        let (start, a) = (i, x[i]);
        while i < nx && x[i] == a {
            i += 1;
        }
        u2 += 2 * (i - start) as u128 * ny as u128;
        group(i - start);
    }
    while j < ny {
        let (start, b) = (j, y[j]);
        while j < ny && y[j] == b {
            j += 1;
        }
        group(j - start);
    }
    RankSum {
        n_x: nx,
        n_y: ny,
        u_x: u2 as f64 / 2.0,
        tie_term,
    }
}

/// The [`RankSum`] of `x` against `y` (unsorted, checked here), for the test of two samples.
///
/// Large inputs are bucketed on the 16 most significant bits in which their order keys differ
/// (one counting pass and one scatter pass, an MSD radix step), then each bucket is sorted and
/// merged on its own: ties can only occur within a bucket, and every `x` in a bucket exceeds the
/// `y`s of all lower buckets. Time `O((n_x + n_y) log b)` for bucket sizes `b`, memory
/// `O(n_x + n_y)`. Small inputs are sorted and merged directly.
pub(crate) fn rank_sum_unsorted(
    x: &[f64],
    y: &[f64],
    x_name: &str,
    y_name: &str,
) -> Result<RankSum> {
    const BITS: u32 = 16;
    if x.len() + y.len() < 1 << 12 {
        let (ys, xs) = sorted_key_pair_named(y, x, y_name, x_name)?;
        return Ok(rank_sum_keys(&xs, &ys));
    }
    // One pass per sample: keys, the finiteness check, and the key range.
    let keys = |v: &[f64], name: &str| -> Result<(Vec<u64>, u64, u64)> {
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        let mut bad = false;
        let k: Vec<u64> = v
            .iter()
            .map(|&x| {
                bad |= !x.is_finite();
                let k = order_key(x);
                lo = lo.min(k);
                hi = hi.max(k);
                k
            })
            .collect();
        if bad {
            check_sample(name, v)?; // reports which value
        }
        Ok((k, lo, hi))
    };
    if x.is_empty() || y.is_empty() {
        check_sample(x_name, x)?;
        check_sample(y_name, y)?;
    }
    let (kx, lx, hx) = keys(x, x_name)?;
    let (ky, ly, hy) = keys(y, y_name)?;
    // Every key lies in [min, max], so all share the bits above the highest bit where the
    // extremes differ.
    let diff = lx.min(ly) ^ hx.max(hy);
    if diff == 0 {
        // Every observation is the same value: one tie group.
        let t = (x.len() + y.len()) as f64;
        return Ok(RankSum {
            n_x: x.len(),
            n_y: y.len(),
            u_x: x.len() as f64 * y.len() as f64 / 2.0,
            tie_term: t * t * t - t,
        });
    }
    let top = 64 - diff.leading_zeros(); // bits below `top` vary, those above are shared
    let shift = top.saturating_sub(BITS);
    let mask = (1u64 << (top - shift)) - 1;
    let buckets = (mask + 1) as usize;
    let digit = |k: u64| ((k >> shift) & mask) as usize;
    let bucketize = |keys: &[u64]| {
        let mut start = vec![0usize; buckets + 1];
        for &k in keys {
            start[digit(k) + 1] += 1;
        }
        for d in 0..buckets {
            start[d + 1] += start[d];
        }
        let mut next = start.clone();
        let mut out = vec![0u64; keys.len()];
        for &k in keys {
            let d = digit(k);
            out[next[d]] = k;
            next[d] += 1;
        }
        (out, start)
    };
    let large = x.len() + y.len() >= 1 << 18;
    let ((mut bx, sx), (mut by, sy)) = join(large, || bucketize(&kx), || bucketize(&ky));
    drop((kx, ky));
    // Buckets [0, mid) and [mid, buckets) are processed independently (concurrently with the
    // `parallel` feature) and combined in a fixed order, so the result does not depend on it.
    let mid = sx.partition_point(|&v| v < x.len() / 2).min(buckets);
    let (bx_lo, bx_hi) = bx.split_at_mut(sx[mid]);
    let (by_lo, by_hi) = by.split_at_mut(sy[mid]);
    let part = |xk: &mut [u64], yk: &mut [u64], from: usize, to: usize| {
        let (ox, oy) = (sx[from], sy[from]);
        let mut u2: u128 = 0;
        let mut tie_term = 0.0;
        for d in from..to {
            let xs = &mut xk[sx[d] - ox..sx[d + 1] - ox];
            let ys = &mut yk[sy[d] - oy..sy[d + 1] - oy];
            if xs.is_empty() && ys.len() < 2 {
                continue;
            }
            xs.sort_unstable();
            ys.sort_unstable();
            let local = rank_sum_keys(xs, ys);
            // Each x here exceeds the sy[d] y values of the lower buckets.
            u2 += (2.0 * local.u_x) as u128 + 2 * xs.len() as u128 * sy[d] as u128;
            tie_term += local.tie_term;
        }
        (u2, tie_term)
    };
    let ((u_lo, t_lo), (u_hi, t_hi)) = join(
        large,
        || part(bx_lo, by_lo, 0, mid),
        || part(bx_hi, by_hi, mid, buckets),
    );
    Ok(RankSum {
        n_x: x.len(),
        n_y: y.len(),
        u_x: (u_lo + u_hi) as f64 / 2.0,
        tie_term: t_lo + t_hi,
    })
}

fn sorted_key_pair_named(
    a: &[f64],
    b: &[f64],
    a_name: &str,
    b_name: &str,
) -> Result<(Vec<u64>, Vec<u64>)> {
    Ok((sorted_keys(a_name, a)?, sorted_keys(b_name, b)?))
}

/// `sum(t^3 - t)` over the tie groups of one sorted sample.
pub(crate) fn tie_term_sorted(v: &[f64]) -> f64 {
    let mut term = 0.0;
    let mut start = 0;
    while start < v.len() {
        let mut end = start + 1;
        while end < v.len() && v[end] == v[start] {
            end += 1;
        }
        let t = (end - start) as f64;
        term += t * t * t - t;
        start = end;
    }
    term
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(x: &[f64], y: &[f64], d: f64) -> f64 {
        let mut u = 0.0;
        for &a in x {
            for &b in y {
                let a = a - d;
                if a > b {
                    u += 1.0;
                } else if a == b {
                    u += 0.5;
                }
            }
        }
        u
    }

    #[test]
    fn merge_matches_pairwise_count_and_ranks() {
        let x = [-1.0, 0.0, 0.0, 2.0, 5.0, 5.0];
        let y = [-0.0, 1.0, 2.0, 2.0, 7.0];
        for d in [0.0, 1.0, -2.0, 3.0] {
            let r = rank_sum_shifted(&x, &y, d);
            assert_eq!(r.u_x, brute(&x, &y, d), "shift {d}");
        }
        let r = rank_sum_sorted(&x, &y);
        let pooled: Vec<f64> = x.iter().chain(&y).copied().collect();
        let (ranks, tie_term) = average_ranks(&pooled).unwrap();
        let r1: f64 = ranks[..x.len()].iter().sum();
        assert_eq!(r.u_x, r1 - (x.len() * (x.len() + 1)) as f64 / 2.0);
        assert_eq!(r.tie_term, tie_term);
        assert_eq!(r.u_x + r.u_y(), 30.0);
    }

    #[test]
    fn key_sort_and_key_merge_match_floats() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |i: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (state >> 11) as f64 / (1u64 << 53) as f64;
            match i % 6 {
                0 => -0.0,
                1 => 0.0,
                2 => (r - 0.5) * 1e12,
                3 => (r * 10.0).round(),
                4 => -(r * 4.0).round(),
                _ => -r * 1e-300,
            }
        };
        let x: Vec<f64> = (0..3000).map(&mut next).collect();
        let y: Vec<f64> = (0..2000).map(|i| next(i + 1)).collect();
        let xs = sorted_copy("x", &x).unwrap();
        let ys = sorted_copy("y", &y).unwrap();
        let mut expected = x.clone();
        expected.sort_unstable_by(|a, b| a.partial_cmp(b).unwrap());
        assert!(xs.iter().zip(&expected).all(|(a, b)| a == b));
        assert!(xs.iter().all(|v| v.to_bits() != (-0.0f64).to_bits()));
        let (xk, yk) = (sorted_keys("x", &x).unwrap(), sorted_keys("y", &y).unwrap());
        assert_eq!(rank_sum_keys(&xk, &yk), rank_sum_sorted(&xs, &ys));
        // Bucketed path (large inputs): replicate to exceed the small-input threshold.
        let xl: Vec<f64> = x.iter().cycle().take(40_000).copied().collect();
        let yl: Vec<f64> = y.iter().cycle().take(30_000).copied().collect();
        let (xlk, ylk) = (
            sorted_keys("x", &xl).unwrap(),
            sorted_keys("y", &yl).unwrap(),
        );
        assert_eq!(
            rank_sum_unsorted(&xl, &yl, "x", "y").unwrap(),
            rank_sum_keys(&xlk, &ylk)
        );
        let same = vec![2.5; 20_000];
        let r = rank_sum_unsorted(&same, &same, "x", "y").unwrap();
        assert!(r.all_tied() && r.u_x == 2e8);
        assert_eq!(rank_sum_keys(&yk, &xk), rank_sum_sorted(&ys, &xs));
        assert_eq!(tie_term_sorted(&[1.0, 1.0, 2.0, 3.0, 3.0, 3.0]), 6.0 + 24.0);
    }

    #[test]
    fn all_tied_is_detected() {
        let r = rank_sum_sorted(&[1.0, 1.0], &[1.0]);
        assert!(r.all_tied());
        assert!(!rank_sum_sorted(&[1.0, 2.0], &[1.0]).all_tied());
    }
}
