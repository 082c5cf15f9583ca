//! Rosenbaum's exceedance test: how many canary points lie beyond the baseline's extreme.
//!
//! # Definition
//! With baseline `b` (size `n`) and canary `c` (size `m`), the **upper exceedance count** `E` is
//! the number of canary points strictly above `max(b)`; the **lower** one counts canary points
//! strictly below `min(b)`. Under the null hypothesis that the `n + m` values are exchangeable
//! (the same continuous distribution on both sides), `E >= k` means the `k` largest pooled
//! values all belong to the canary, so exactly
//!
//! `P(E >= k) = C(m, k) / C(n + m, k) = prod_{i < k} (m - i) / (n + m - i)`
//!
//! (Rosenbaum 1954, "Tables for a nonparametric test of location", Ann. Math. Statist. 25;
//! the hypergeometric tail `scipy.stats.hypergeom.sf(k - 1, n + m, m, k)`). The test is
//! distribution-free; ties with the baseline extreme never count as exceedances, so ties only
//! make it conservative. It detects what a location test misses: a heavier upper tail, a wider
//! spread, a few canary points far above anything the baseline produced.
//!
//! The p-value is `P(E >= k)` for [`Alternative::Greater`] (upper tail),
//! `P(E_lower >= k_lower)` for [`Alternative::Less`], and for [`Alternative::TwoSided`] the
//! doubled smaller one-sided p-value, `min(1, 2 min(p_upper, p_lower))` (a Bonferroni
//! combination of the two tails, so conservative).
//!
//! The effect reported with each tail is the **median excess**: the median of the exceeding
//! canary points minus `max(b)` (for the lower tail, `min(b)` minus their median), `None` when
//! no point exceeds.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::stats::Alternative;
use crate::stats::quantile::median_sorted;
use crate::stats::rank::sorted_pair;

/// Options of [`exceedance`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ExceedanceOptions {
    alternative: Alternative,
}

impl ExceedanceOptions {
    /// Defaults: two-sided.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::Alternative;
    /// use canary_analysis::stats::exceedance::ExceedanceOptions;
    /// let opts = ExceedanceOptions::new().alternative(Alternative::Greater);
    /// assert_eq!(opts.get_alternative(), Alternative::Greater);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Which tail: `Greater` counts canary points above the baseline maximum, `Less` below the
    /// baseline minimum, `TwoSided` both.
    pub fn alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }

    /// The configured alternative.
    pub fn get_alternative(&self) -> Alternative {
        self.alternative
    }
}

/// One tail of the exceedance test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExceedanceTail {
    /// The number of canary points strictly beyond the baseline extreme.
    pub count: usize,
    /// The baseline extreme: its maximum for the upper tail, its minimum for the lower.
    pub extreme: f64,
    /// The median of the exceeding canary points minus the maximum (upper tail), or the minimum
    /// minus their median (lower tail); `None` when no point exceeds.
    pub median_excess: Option<f64>,
    /// `P(E >= count)` under exchangeability.
    pub p_value: f64,
}

/// The result of [`exceedance`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exceedance {
    /// The alternative tested.
    pub alternative: Alternative,
    /// Baseline size.
    pub n_baseline: usize,
    /// Canary size.
    pub n_canary: usize,
    /// The upper tail (for `Greater` and `TwoSided`).
    pub upper: Option<ExceedanceTail>,
    /// The lower tail (for `Less` and `TwoSided`).
    pub lower: Option<ExceedanceTail>,
    /// The p-value of the alternative (see the [module docs](self)).
    pub p_value: f64,
}

/// Rosenbaum's exceedance test of the canary against the baseline (see the
/// [module docs](self)).
///
/// # Errors
/// [`Error::InvalidSample`](crate::Error::InvalidSample) for an empty sample or a non-finite
/// value.
///
/// # Example
/// ```
/// use canary_analysis::stats::Alternative;
/// use canary_analysis::stats::exceedance::{exceedance, ExceedanceOptions};
/// let baseline: Vec<f64> = (1..=10).map(f64::from).collect();
/// let mut canary: Vec<f64> = (1..=3).map(f64::from).collect();
/// canary.extend([100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0]);
/// let t = exceedance(&baseline, &canary, &ExceedanceOptions::new().alternative(Alternative::Greater))?;
/// let upper = t.upper.as_ref().unwrap();
/// assert_eq!(upper.count, 7);
/// // C(10, 7) / C(20, 7) = 120 / 77520
/// assert!((t.p_value - 120.0 / 77_520.0).abs() < 1e-15);
/// assert_eq!(upper.median_excess, Some(390.0));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn exceedance(
    baseline: &[f64],
    canary: &[f64],
    opts: &ExceedanceOptions,
) -> Result<Exceedance> {
    let (b, c) = sorted_pair(baseline, canary)?;
    let alternative = opts.alternative;
    let upper = matches!(alternative, Alternative::Greater | Alternative::TwoSided)
        .then(|| upper_tail_sorted(&b, &c));
    let lower = matches!(alternative, Alternative::Less | Alternative::TwoSided)
        .then(|| lower_tail_sorted(&b, &c));
    let p_value = match (&upper, &lower) {
        (Some(u), Some(l)) => (2.0 * u.p_value.min(l.p_value)).min(1.0),
        (Some(u), None) => u.p_value,
        (None, Some(l)) => l.p_value,
        (None, None) => 1.0,
    };
    Ok(Exceedance {
        alternative,
        n_baseline: b.len(),
        n_canary: c.len(),
        upper,
        lower,
        p_value,
    })
}

/// `P(E >= k) = prod_{i < k} (m - i) / (n + m - i)` for baseline size `n`, canary size `m`,
/// `k <= m`.
pub(crate) fn exceedance_p(n: usize, m: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |p, i| p * (m - i) as f64 / (n + m - i) as f64)
}

/// The upper tail of sorted, finite, non-empty samples (unchecked).
pub(crate) fn upper_tail_sorted(b: &[f64], c: &[f64]) -> ExceedanceTail {
    let (n, m) = (b.len(), c.len());
    let extreme = b[n - 1];
    let first = c.partition_point(|&v| v <= extreme);
    let count = m - first;
    ExceedanceTail {
        count,
        extreme,
        median_excess: (count > 0).then(|| median_sorted(&c[first..]) - extreme),
        p_value: exceedance_p(n, m, count),
    }
}

/// The lower tail of sorted, finite, non-empty samples (unchecked).
pub(crate) fn lower_tail_sorted(b: &[f64], c: &[f64]) -> ExceedanceTail {
    let (n, m) = (b.len(), c.len());
    let extreme = b[0];
    let count = c.partition_point(|&v| v < extreme);
    ExceedanceTail {
        count,
        extreme,
        median_excess: (count > 0).then(|| extreme - median_sorted(&c[..count])),
        p_value: exceedance_p(n, m, count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbaum_closed_form() {
        // P(E >= 7) for n = m = 10 is C(10, 7) / C(20, 7) = 120 / 77520.
        assert!((exceedance_p(10, 10, 7) - 120.0 / 77_520.0).abs() < 1e-15);
        assert_eq!(exceedance_p(5, 3, 0), 1.0);
    }

    #[test]
    fn ties_with_the_extreme_do_not_count() {
        let t = upper_tail_sorted(&[1.0, 2.0], &[2.0, 2.0, 3.0]);
        assert_eq!(t.count, 1);
        let t = lower_tail_sorted(&[1.0, 2.0], &[1.0, 1.0, 3.0]);
        assert_eq!((t.count, t.median_excess), (0, None));
    }
}
