//! Effect sizes of the canary relative to the baseline.
//!
//! # Definitions
//! With baseline `b` (size `n_b`) and canary `c` (size `n_c`):
//!
//! - [`mean_ratio`]: `mean(c) / mean(b)`; undefined ([`Error::Degenerate`]) when
//!   `mean(b) == 0`.
//! - [`cles`], the common-language effect size (McGraw and Wong 1992):
//!   `P(C > B) + 0.5 P(C == B)` over all `n_c n_b` pairs, i.e. `u_canary / (n_c n_b)` of the
//!   Mann-Whitney test. Computed by sorting and merging in `O((n_c + n_b) log(n_c + n_b))`.
//! - [`rank_biserial`] (Kerby 2014): `2 cles - 1`, in `[-1, 1]`, positive when the canary tends
//!   to be larger.
//! - [`cohens_d`] (Cohen 1988): `(mean(c) - mean(b)) / s_p` with the pooled standard deviation
//!   `s_p = sqrt(((n_c - 1) var(c) + (n_b - 1) var(b)) / (n_c + n_b - 2))`, variances with
//!   denominator `n - 1`; undefined ([`Error::Degenerate`]) when either sample has fewer than 2
//!   observations or `s_p == 0`.
//!
//! Means and variances are computed with a two-pass algorithm (the variance from deviations
//! around the mean) for accuracy on data with a large common offset.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::check_sample;
use crate::stats::rank::{rank_sum_sorted, sorted_pair};

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sum of squared deviations from the mean.
fn sum_sq(v: &[f64], m: f64) -> f64 {
    v.iter().map(|x| (x - m) * (x - m)).sum()
}

/// `mean(canary) / mean(baseline)`.
///
/// # Errors
/// [`Error::InvalidSample`] for an empty or non-finite sample; [`Error::Degenerate`] if the
/// baseline mean is 0 (or the ratio overflows).
///
/// # Example
/// ```
/// use canary_analysis::stats::effect::mean_ratio;
/// assert_eq!(mean_ratio(&[2.0, 2.0], &[3.0, 3.0])?, 1.5);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn mean_ratio(baseline: &[f64], canary: &[f64]) -> Result<f64> {
    check_sample("baseline", baseline)?;
    check_sample("canary", canary)?;
    let mb = mean(baseline);
    let mc = mean(canary);
    if mb == 0.0 {
        return Err(Error::degenerate("mean ratio", "the baseline mean is 0"));
    }
    let r = mc / mb;
    if !r.is_finite() {
        return Err(Error::degenerate("mean ratio", "the ratio overflows"));
    }
    Ok(r)
}

/// The common-language effect size `P(canary > baseline) + 0.5 P(canary == baseline)`.
///
/// # Errors
/// [`Error::InvalidSample`] for an empty or non-finite sample.
///
/// # Example
/// ```
/// use canary_analysis::stats::effect::cles;
/// // pairs (c, b): 2>1, 2=2, 3>1, 3>2 -> (3 + 0.5) / 4
/// assert_eq!(cles(&[1.0, 2.0], &[2.0, 3.0])?, 0.875);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn cles(baseline: &[f64], canary: &[f64]) -> Result<f64> {
    let (b, c) = sorted_pair(baseline, canary)?;
    let rs = rank_sum_sorted(&c, &b);
    Ok(rs.u_x / (c.len() as f64 * b.len() as f64))
}

/// The rank-biserial correlation `2 cles - 1` of the canary against the baseline.
///
/// # Errors
/// [`Error::InvalidSample`] for an empty or non-finite sample.
///
/// # Example
/// ```
/// use canary_analysis::stats::effect::rank_biserial;
/// assert_eq!(rank_biserial(&[1.0, 2.0], &[3.0, 4.0])?, 1.0);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn rank_biserial(baseline: &[f64], canary: &[f64]) -> Result<f64> {
    Ok(2.0 * cles(baseline, canary)? - 1.0)
}

/// Cohen's d of the canary against the baseline, with the pooled standard deviation.
///
/// # Errors
/// [`Error::InvalidSample`] for an empty or non-finite sample; [`Error::Degenerate`] if either
/// sample has fewer than 2 observations or the pooled standard deviation is 0.
///
/// # Example
/// ```
/// use canary_analysis::stats::effect::cohens_d;
/// // means 2 and 4, both variances 1: d = 2
/// assert_eq!(cohens_d(&[1.0, 2.0, 3.0], &[3.0, 4.0, 5.0])?, 2.0);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn cohens_d(baseline: &[f64], canary: &[f64]) -> Result<f64> {
    check_sample("baseline", baseline)?;
    check_sample("canary", canary)?;
    if baseline.len() < 2 || canary.len() < 2 {
        return Err(Error::degenerate(
            "Cohen's d",
            "each sample needs at least 2 observations for a variance",
        ));
    }
    let (mb, mc) = (mean(baseline), mean(canary));
    let df = (baseline.len() + canary.len() - 2) as f64;
    let sp = ((sum_sq(baseline, mb) + sum_sq(canary, mc)) / df).sqrt();
    if sp == 0.0 || !sp.is_finite() {
        return Err(Error::degenerate(
            "Cohen's d",
            "the pooled standard deviation is 0",
        ));
    }
    Ok((mc - mb) / sp)
}

/// All effect sizes of the canary relative to the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectSizes {
    /// [`mean_ratio`], or `None` when the baseline mean is 0.
    pub mean_ratio: Option<f64>,
    /// [`cles`].
    pub cles: f64,
    /// [`rank_biserial`].
    pub rank_biserial: f64,
    /// [`cohens_d`], or `None` when a sample has fewer than 2 observations or both have zero
    /// variance.
    pub cohens_d: Option<f64>,
}

/// Every effect size at once; the undefined ones are `None`.
///
/// # Errors
/// [`Error::InvalidSample`] for an empty or non-finite sample.
///
/// # Example
/// ```
/// use canary_analysis::stats::effect::effect_sizes;
/// let e = effect_sizes(&[0.0, 0.0], &[1.0, 2.0])?;
/// assert_eq!(e.mean_ratio, None); // baseline mean 0
/// assert_eq!(e.cles, 1.0);
/// assert_eq!(e.rank_biserial, 1.0);
/// assert!(e.cohens_d.is_some());
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn effect_sizes(baseline: &[f64], canary: &[f64]) -> Result<EffectSizes> {
    let c = cles(baseline, canary)?;
    let undefined = |r: Result<f64>| match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::Degenerate { .. }) => Ok(None),
        Err(e) => Err(e),
    };
    Ok(EffectSizes {
        mean_ratio: undefined(mean_ratio(baseline, canary))?,
        cles: c,
        rank_biserial: 2.0 * c - 1.0,
        cohens_d: undefined(cohens_d(baseline, canary))?,
    })
}
