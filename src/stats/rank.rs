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
pub struct RankSum {
    /// Size of the first sample (`x`).
    pub n_x: usize,
    /// Size of the second sample (`y`).
    pub n_y: usize,
    /// `U` of the first sample: the number of pairs with `x_i > y_j`, plus 1/2 per tied pair.
    /// Equals `R_x - n_x (n_x + 1) / 2` with average ranks.
    pub u_x: f64,
    /// `sum(t^3 - t)` over the tie groups of the pooled sample.
    pub tie_term: f64,
}

impl RankSum {
    /// `U` of the second sample, `n_x * n_y - u_x`.
    pub fn u_y(&self) -> f64 {
        (self.n_x as f64) * (self.n_y as f64) - self.u_x
    }

    /// Whether the pooled sample has any ties.
    pub fn has_ties(&self) -> bool {
        self.tie_term > 0.0
    }

    /// Whether every pooled observation has the same value.
    pub fn all_tied(&self) -> bool {
        let n = (self.n_x + self.n_y) as f64;
        self.tie_term == n * n * n - n
    }
}

/// The [`RankSum`] of two samples that are already sorted ascending, in `O(n_x + n_y)`.
///
/// The slices must be sorted (by `f64::total_cmp` or `partial_cmp`) and finite; this is not
/// checked beyond a debug assertion.
pub fn rank_sum_sorted(x: &[f64], y: &[f64]) -> RankSum {
    rank_sum_shifted(x, y, 0.0)
}

/// The [`RankSum`] of `{x_i - shift}` against `y`, both sorted ascending, in `O(n_x + n_y)`.
///
/// The shifted values are computed as `x_i - shift` in floating point, exactly as R's
/// `rank(c(x - d, y))` sees them, so ties at a shift are the ties R sees.
pub fn rank_sum_shifted(x: &[f64], y: &[f64], shift: f64) -> RankSum {
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

/// Below this length a comparison sort beats the radix sort.
const SMALL_SORT: usize = 1 << 11;

/// Sorts finite values ascending in place (`-0.0` before `0.0`, which compare equal).
///
/// Small inputs use a comparison sort; large ones an LSD radix sort on the order-preserving
/// bit pattern of each value (sign-flipped IEEE 754 bits), 6 passes of 11 bits at most, skipping
/// passes in which every key shares the digit. Deterministic; O(n) extra memory.
pub(crate) fn sort_finite(v: &mut [f64]) {
    if v.len() <= SMALL_SORT {
        v.sort_unstable_by(f64::total_cmp);
        return;
    }
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    const PASSES: usize = 6;
    let n = v.len();
    let mut keys: Vec<u64> = v.iter().map(|&x| order_key(x)).collect();
    let mut hist = vec![[0usize; BUCKETS]; PASSES];
    for &k in &keys {
        for (p, h) in hist.iter_mut().enumerate() {
            h[((k >> (BITS * p as u32)) as usize) & (BUCKETS - 1)] += 1;
        }
    }
    let mut buf = vec![0u64; n];
    for (p, h) in hist.iter_mut().enumerate() {
        if h.contains(&n) {
            continue; // every key has the same digit here
        }
        let mut sum = 0usize;
        for c in h.iter_mut() {
            let t = *c;
            *c = sum;
            sum += t;
        }
        let shift = BITS * p as u32;
        for &k in &keys {
            let d = ((k >> shift) as usize) & (BUCKETS - 1);
            buf[h[d]] = k;
            h[d] += 1;
        }
        std::mem::swap(&mut keys, &mut buf);
    }
    for (x, &k) in v.iter_mut().zip(&keys) {
        *x = from_order_key(k);
    }
}

/// A key whose unsigned order is the `f64::total_cmp` order.
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

fn from_order_key(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

/// A checked, sorted copy of a sample (see [`sort_finite`]).
pub(crate) fn sorted_copy(metric: &str, values: &[f64]) -> Result<Vec<f64>> {
    if values.len() <= SMALL_SORT {
        return sorted_sample(metric, values);
    }
    check_sample(metric, values)?;
    let mut v = values.to_vec();
    sort_finite(&mut v);
    Ok(v)
}

/// Sorted copies of the baseline and the canary (sorted concurrently with the `parallel`
/// feature; the result does not depend on it).
pub(crate) fn sorted_pair(baseline: &[f64], canary: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    check_sample("baseline", baseline)?;
    check_sample("canary", canary)?;
    #[cfg(feature = "parallel")]
    {
        if baseline.len() + canary.len() >= 1 << 16 {
            let (b, c) = rayon::join(
                || sorted_copy("baseline", baseline),
                || sorted_copy("canary", canary),
            );
            return Ok((b?, c?));
        }
    }
    Ok((
        sorted_copy("baseline", baseline)?,
        sorted_copy("canary", canary)?,
    ))
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
    fn radix_sort_matches_total_cmp() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut v: Vec<f64> = (0..10_000)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (state >> 11) as f64 / (1u64 << 53) as f64;
                match i % 5 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => (r - 0.5) * 1e12,
                    3 => (r * 10.0).round(),
                    _ => -r * 1e-300,
                }
            })
            .collect();
        let mut expected = v.clone();
        expected.sort_unstable_by(f64::total_cmp);
        sort_finite(&mut v);
        let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&v), bits(&expected));
        assert_eq!(tie_term_sorted(&[1.0, 1.0, 2.0, 3.0, 3.0, 3.0]), 6.0 + 24.0);
    }

    #[test]
    fn all_tied_is_detected() {
        let r = rank_sum_sorted(&[1.0, 1.0], &[1.0]);
        assert!(r.all_tied());
        assert!(!rank_sum_sorted(&[1.0, 2.0], &[1.0]).all_tied());
    }
}
