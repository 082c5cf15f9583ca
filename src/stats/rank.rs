//! Ranking with average ranks for ties, shared by every rank-based statistic.
//!
//! Ties are exact floating-point equality (`-0.0 == 0.0`). A tie group of size `t` receives the
//! average of the ranks it spans, and contributes `t^3 - t` to the tie term used by the
//! tie-corrected variance of the Mann-Whitney statistic.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::stats::check_sample;

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
    fn all_tied_is_detected() {
        let r = rank_sum_sorted(&[1.0, 1.0], &[1.0]);
        assert!(r.all_tied());
        assert!(!rank_sum_sorted(&[1.0, 2.0], &[1.0]).all_tied());
    }
}
