//! Bootstrap confidence intervals for one sample and for a baseline/canary comparison.
//!
//! The reference is `scipy.stats.bootstrap(data, statistic, method=..., confidence_level=...,
//! n_resamples=..., alternative=...)` (SciPy 1.17); the definitions follow Efron & Tibshirani,
//! *An Introduction to the Bootstrap* (1993), chapters 13-14, and the crate's statistics spec.
//!
//! # Definitions
//!
//! * **Resampling.** Each sample is resampled independently, with replacement, to its own size.
//!   For a comparison the statistic `g` is computed on each resampled sample and combined as
//!   `g(canary*) - g(baseline*)` ([`Comparison::Difference`]) or `g(canary*) / g(baseline*)`
//!   ([`Comparison::Ratio`]): always **canary relative to baseline**. The estimate `theta` is the
//!   same combination on the original data; `theta*_1..theta*_B` is the bootstrap distribution.
//! * **Statistics.** [`Statistic::Mean`]; [`Statistic::Median`] (the middle value, or the mean of
//!   the two middle values); [`Statistic::Quantile`]`(p)`, the **type-7** (linear interpolation,
//!   numpy's default) quantile `x_(k) + (h - k)(x_(k+1) - x_(k))`, `h = (n - 1) p`, `k = floor(h)`
//!   on the 0-based sorted sample; [`Statistic::TrimmedMean`]`(q)`, the mean after removing
//!   `floor(q n)` observations from each end (`scipy.stats.trim_mean`); or any closure
//!   ([`bootstrap_fn`], [`bootstrap_two_sample_fn`]).
//! * **Levels.** Two-sided: `alpha = (1 - confidence) / 2`; one-sided ([`Alternative::Less`] /
//!   [`Alternative::Greater`]): `alpha = 1 - confidence`, and the open end is `-inf` / `+inf`
//!   (`Less` gives an upper bound only, `Greater` a lower bound only). `q(p)` is the type-7
//!   quantile of the bootstrap distribution.
//! * **Percentile**: `[q(alpha), q(1 - alpha)]`.
//! * **Basic** (reverse percentile): `[2 theta - q(1 - alpha), 2 theta - q(alpha)]`.
//! * **BCa**: `z0 = Phi^-1((#{theta* < theta} + #{theta* <= theta}) / 2B)`; acceleration from the
//!   jackknife, leaving out one observation of one sample at a time:
//!   `a = sum_j sum_i U_ji^3 / n_j^3 / (6 (sum_j sum_i U_ji^2 / n_j^2)^(3/2))`,
//!   `U_ji = (n_j - 1)(mean_i theta_(j,i) - theta_(j,i))`; the ends are
//!   `q(Phi(z0 + (z0 + z) / (1 - a (z0 + z))))` for `z = z_alpha` and `z = z_(1-alpha)`.
//!   For the built-in statistics the jackknife costs O(n) (mean) or one sort (the others): each
//!   left-one-out value is read off the sorted sample instead of recomputed. For a closure it is
//!   `n` evaluations on `n - 1` points.
//! * **Standard error**: the standard deviation of the bootstrap distribution, divisor `B - 1`.
//!
//! # Reproducibility
//!
//! The generator is Xoshiro256++ (`rand_xoshiro`), seeded with [`BootstrapOptions::seed`]. The
//! `B` resamples are split into fixed blocks of 64, and block `b` uses the seeded generator
//! advanced by `b` jumps of 2^128 steps, so its stream is independent of every other block's and
//! of which thread runs it. Indices are drawn with Lemire's unbiased multiply-and-reject method on
//! 32-bit halves of each 64-bit output. With the `parallel` feature (on by default) blocks run on
//! the rayon pool. The result is **bit-identical for a given seed whatever the number of threads**,
//! and with the feature off. The `_with_rng` variants draw the seed from the caller's generator
//! (one `next_u64`) and report it in [`Bootstrap::seed`], so any result can be reproduced.
//!
//! # Cost
//!
//! Time O(B n) plus O(B log B) for the distribution's quantiles. Memory O(n + B) for the built-in
//! statistics: the mean never materializes a resample, the order statistics reuse one buffer of
//! size n per thread and use selection (`select_nth_unstable_by`), never a full sort, per
//! resample. A quantile in a small tail (order statistic `k` with `n - k <= n / 16` or
//! `k + 2 <= n / 16`, such as p99 of 10 000 points) is selected while drawing: only values beyond
//! a running threshold are kept, at most `max(4 (n - k), 64)` (or `max(4 (k + 2), 64)`), and the result is
//! bit-identical to selecting on the whole resample. No B x n matrix is ever built.
//!
//! # Errors
//!
//! Empty samples, non-finite values and fewer than 2 observations in a sample are
//! [`Error::InvalidSample`]; a confidence outside (0, 1), fewer than 2 or more than
//! [`MAX_RESAMPLES`] resamples, a quantile outside [0, 1] or a trimming proportion outside
//! [0, 0.5) are [`Error::InvalidParameter`]. [`Error::Degenerate`] is returned instead of a NaN
//! or single-point interval when the bootstrap distribution has no spread (for example constant
//! data), when the statistic is not finite on the data or on a resample (for example a ratio whose
//! baseline statistic is 0), when BCa's bias-correction fraction is 0 or 1 (the estimate lies
//! outside the bootstrap distribution), or when the jackknife is constant (`a = 0/0`).

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::{Alternative, check_confidence, check_sample};

mod interval;
mod resample;
mod statistic;

/// The largest number of resamples accepted (the distribution is kept in memory: 8 bytes each).
pub const MAX_RESAMPLES: usize = 100_000_000;

/// The name used in [`Error::Degenerate`] errors.
const NAME: &str = "bootstrap interval";

/// A built-in statistic of one sample.
///
/// Serde names: `"mean"`, `"median"`, `{"quantile": p}`, `{"trimmed_mean": q}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Statistic {
    /// The arithmetic mean.
    Mean,
    /// The median: the middle value, or the mean of the two middle values.
    Median,
    /// The type-7 quantile at `p` in `[0, 1]` (linear interpolation between order statistics at
    /// `h = (n - 1) p`; numpy's and R's default). `Quantile(0.99)` is p99.
    Quantile(f64),
    /// The mean after cutting `floor(q n)` observations from **each** end, `q` in `[0, 0.5)`
    /// (`scipy.stats.trim_mean`).
    TrimmedMean(f64),
}

impl Statistic {
    fn validate(self) -> Result<()> {
        match self {
            Statistic::Quantile(p) if !(0.0..=1.0).contains(&p) => {
                Err(Error::param("quantile", p, "must lie in [0, 1]"))
            }
            Statistic::TrimmedMean(q) if !(0.0..0.5).contains(&q) => Err(Error::param(
                "trimmed_mean",
                q,
                "the proportion cut from each end must lie in [0, 0.5)",
            )),
            _ => Ok(()),
        }
    }
}

/// How the canary's statistic is compared with the baseline's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Comparison {
    /// `g(canary) - g(baseline)`.
    #[default]
    Difference,
    /// `g(canary) / g(baseline)`; a baseline statistic of 0 (on the data or on a resample) is
    /// [`Error::Degenerate`].
    Ratio,
}

impl Comparison {
    #[inline]
    fn apply(self, baseline: f64, canary: f64) -> f64 {
        match self {
            Comparison::Difference => canary - baseline,
            Comparison::Ratio => {
                if baseline == 0.0 {
                    f64::NAN
                } else {
                    canary / baseline
                }
            }
        }
    }
}

/// How the interval is read off the bootstrap distribution (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum IntervalMethod {
    /// The percentile interval `[q(alpha), q(1 - alpha)]`.
    #[serde(rename = "percentile")]
    Percentile,
    /// The basic (reverse percentile) interval `[2 theta - q(1 - alpha), 2 theta - q(alpha)]`.
    #[serde(rename = "basic")]
    Basic,
    /// The bias-corrected and accelerated interval (Efron 1987).
    #[default]
    #[serde(rename = "bca")]
    Bca,
}

/// Options of the bootstrap, in builder style; validated when used.
///
/// Defaults: 9999 resamples, confidence 0.95, two-sided, BCa, seed 0, no distribution kept.
///
/// # Example
/// ```
/// use canary_analysis::stats::Alternative;
/// use canary_analysis::stats::bootstrap::{BootstrapOptions, IntervalMethod};
///
/// let opts = BootstrapOptions::new()
///     .resamples(10_000)
///     .confidence(0.9)
///     .alternative(Alternative::Greater)
///     .method(IntervalMethod::Percentile)
///     .seed(7);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BootstrapOptions {
    resamples: usize,
    confidence: f64,
    alternative: Alternative,
    method: IntervalMethod,
    seed: u64,
    keep_distribution: bool,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        BootstrapOptions {
            resamples: 9999,
            confidence: 0.95,
            alternative: Alternative::TwoSided,
            method: IntervalMethod::Bca,
            seed: 0,
            keep_distribution: false,
        }
    }
}

impl BootstrapOptions {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of resamples `B` (default 9999; at least 2, at most [`MAX_RESAMPLES`]).
    pub fn resamples(mut self, resamples: usize) -> Self {
        self.resamples = resamples;
        self
    }

    /// The confidence level, strictly between 0 and 1 (default 0.95).
    pub fn confidence(mut self, confidence: f64) -> Self {
        self.confidence = confidence;
        self
    }

    /// Two-sided (default), or a one-sided bound: `Greater` gives `[lower, +inf)`, `Less` gives
    /// `(-inf, upper]`.
    pub fn alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }

    /// The interval method (default BCa).
    pub fn method(mut self, method: IntervalMethod) -> Self {
        self.method = method;
        self
    }

    /// The seed of the portable generator (default 0). Ignored by the `_with_rng` variants.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether to return the bootstrap distribution (default false).
    pub fn keep_distribution(mut self, keep: bool) -> Self {
        self.keep_distribution = keep;
        self
    }

    fn validate(&self) -> Result<()> {
        check_confidence(self.confidence)?;
        if !(2..=MAX_RESAMPLES).contains(&self.resamples) {
            return Err(Error::param(
                "resamples",
                self.resamples,
                format!("must lie in 2..={MAX_RESAMPLES}"),
            ));
        }
        Ok(())
    }
}

/// A bootstrap interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// The statistic (or comparison, canary relative to baseline) on the original data.
    pub estimate: f64,
    /// The lower end (`-inf` for [`Alternative::Less`]; serialized as `"-Infinity"`).
    #[serde(with = "crate::serde_float::nonfinite")]
    pub lower: f64,
    /// The upper end (`+inf` for [`Alternative::Greater`]; serialized as `"Infinity"`).
    #[serde(with = "crate::serde_float::nonfinite")]
    pub upper: f64,
    /// The standard deviation of the bootstrap distribution (divisor `B - 1`).
    pub standard_error: f64,
    /// The number of resamples `B`.
    pub resamples: usize,
    /// The seed of the generator that drew the resamples (drawn from the caller's generator by
    /// the `_with_rng` variants): passing it to [`BootstrapOptions::seed`] reproduces the result.
    pub seed: u64,
    /// The requested confidence level.
    pub confidence: f64,
    /// The side(s) of the interval.
    pub alternative: Alternative,
    /// The interval method.
    pub method: IntervalMethod,
    /// The bootstrap distribution in resample order, when requested.
    pub distribution: Option<Vec<f64>>,
    /// BCa only: the bias correction `z0`.
    pub bias_correction: Option<f64>,
    /// BCa only: the jackknife acceleration `a`.
    pub acceleration: Option<f64>,
}

/// Checks a sample for the bootstrap: finite, at least two points.
fn check(metric: &str, values: &[f64]) -> Result<()> {
    check_sample(metric, values)?;
    if values.len() < 2 {
        return Err(Error::sample(
            metric,
            "the bootstrap needs at least 2 observations",
        ));
    }
    Ok(())
}

fn check_estimate(estimate: f64) -> Result<()> {
    if estimate.is_finite() {
        Ok(())
    } else {
        Err(Error::degenerate(
            NAME,
            format!("the statistic on the original data is {estimate}"),
        ))
    }
}

/// Everything after the distribution is drawn: checks, standard error, interval.
fn finish(
    opts: &BootstrapOptions,
    seed: u64,
    estimate: f64,
    mut distribution: Vec<f64>,
    hint: &str,
    jackknife: impl FnOnce() -> Result<Vec<Vec<f64>>>,
) -> Result<Bootstrap> {
    if let Some((k, v)) = distribution
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite())
    {
        return Err(Error::degenerate(
            NAME,
            format!("the statistic is {v} on resample {k}{hint}"),
        ));
    }
    let first = distribution[0];
    if distribution.iter().all(|&v| v == first) {
        return Err(Error::degenerate(
            NAME,
            format!(
                "every resample gives the same value {first} (constant data?): the bootstrap \
                 distribution has no spread"
            ),
        ));
    }
    let standard_error = interval::standard_deviation(&distribution);
    let mut kept = None;
    let sorted = if opts.keep_distribution {
        let mut s = distribution.clone();
        kept = Some(distribution);
        s.sort_unstable_by(f64::total_cmp);
        s
    } else {
        distribution.sort_unstable_by(f64::total_cmp);
        distribution
    };
    let ends = interval::endpoints(
        opts.method,
        opts.alternative,
        opts.confidence,
        estimate,
        &sorted,
        jackknife,
    )?;
    Ok(Bootstrap {
        estimate,
        lower: ends.lower,
        upper: ends.upper,
        standard_error,
        resamples: opts.resamples,
        seed,
        confidence: opts.confidence,
        alternative: opts.alternative,
        method: opts.method,
        distribution: kept,
        bias_correction: ends.bias_correction,
        acceleration: ends.acceleration,
    })
}

/// A bootstrap interval for a statistic of one sample, seeded with [`BootstrapOptions::seed`].
///
/// # Example
/// ```
/// use canary_analysis::stats::bootstrap::{bootstrap, BootstrapOptions, Statistic};
///
/// let latencies = [112.0, 98.0, 130.0, 101.0, 250.0, 99.0, 120.0, 105.0, 97.0, 143.0];
/// let ci = bootstrap(&latencies, Statistic::Median, &BootstrapOptions::new().seed(1))?;
/// assert!(ci.lower <= ci.estimate && ci.estimate <= ci.upper);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
///
/// # Errors
/// See the [module docs](self#errors).
pub fn bootstrap(
    sample: &[f64],
    statistic: Statistic,
    opts: &BootstrapOptions,
) -> Result<Bootstrap> {
    one_sample(sample, statistic, opts, opts.seed)
}

/// [`bootstrap`] with the seed drawn from `rng` (one `next_u64`; reported in [`Bootstrap::seed`]).
///
/// # Example
/// ```
/// use canary_analysis::stats::bootstrap::{bootstrap_with_rng, BootstrapOptions, Statistic};
/// use rand::SeedableRng;
///
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
/// let errors = [0.0, 1.0, 0.0, 2.0, 1.0, 0.0, 3.0, 1.0];
/// let ci = bootstrap_with_rng(&errors, Statistic::Mean, &BootstrapOptions::new(), &mut rng)?;
/// assert!(ci.lower < ci.upper);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
///
/// # Errors
/// See the [module docs](self#errors).
pub fn bootstrap_with_rng<R: Rng + ?Sized>(
    sample: &[f64],
    statistic: Statistic,
    opts: &BootstrapOptions,
    rng: &mut R,
) -> Result<Bootstrap> {
    one_sample(sample, statistic, opts, rng.next_u64())
}

fn one_sample(
    sample: &[f64],
    stat: Statistic,
    opts: &BootstrapOptions,
    seed: u64,
) -> Result<Bootstrap> {
    opts.validate()?;
    stat.validate()?;
    check("sample", sample)?;
    let estimate = statistic::in_place(stat, &mut sample.to_vec());
    check_estimate(estimate)?;
    let mut dist = vec![0.0; opts.resamples];
    resample::fill(&mut dist, seed, Vec::new, |stream, buf| {
        statistic::resampled(stat, sample, stream, buf)
    });
    finish(opts, seed, estimate, dist, "", || {
        Ok(vec![statistic::leave_one_out(stat, sample)])
    })
}

/// A bootstrap interval for the comparison of a statistic between the canary and the baseline
/// (`g(canary) - g(baseline)` or `g(canary) / g(baseline)`), each sample resampled independently;
/// seeded with [`BootstrapOptions::seed`].
///
/// # Example
/// ```
/// use canary_analysis::stats::bootstrap::{
///     bootstrap_two_sample, BootstrapOptions, Comparison, IntervalMethod, Statistic,
/// };
///
/// let baseline = [101.0, 98.0, 120.0, 99.0, 105.0, 97.0, 110.0, 102.0, 100.0, 108.0];
/// let canary = [131.0, 128.0, 150.0, 129.0, 135.0, 127.0, 140.0, 132.0, 130.0, 138.0];
/// let opts = BootstrapOptions::new().method(IntervalMethod::Percentile).seed(3);
/// let ratio = bootstrap_two_sample(&baseline, &canary, Statistic::Quantile(0.9), Comparison::Ratio, &opts)?;
/// assert!(ratio.lower > 1.0); // the canary's p90 is higher
/// # Ok::<(), canary_analysis::Error>(())
/// ```
///
/// # Errors
/// See the [module docs](self#errors); the samples are named `"baseline"` and `"canary"`.
pub fn bootstrap_two_sample(
    baseline: &[f64],
    canary: &[f64],
    statistic: Statistic,
    comparison: Comparison,
    opts: &BootstrapOptions,
) -> Result<Bootstrap> {
    two_sample(baseline, canary, statistic, comparison, opts, opts.seed)
}

/// [`bootstrap_two_sample`] with the seed drawn from `rng` (one `next_u64`; reported in
/// [`Bootstrap::seed`]).
///
/// # Example
/// ```
/// use canary_analysis::stats::bootstrap::{
///     bootstrap_two_sample_with_rng, BootstrapOptions, Comparison, Statistic,
/// };
/// use rand::SeedableRng;
///
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
/// let baseline = [10.0, 12.0, 11.0, 13.0, 12.0, 10.0, 11.0, 14.0];
/// let canary = [12.0, 13.0, 12.0, 15.0, 14.0, 12.0, 13.0, 16.0];
/// let opts = BootstrapOptions::new();
/// let d = bootstrap_two_sample_with_rng(&baseline, &canary, Statistic::Mean, Comparison::Difference, &opts, &mut rng)?;
/// assert_eq!(d.estimate, 1.75);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
///
/// # Errors
/// See [`bootstrap_two_sample`].
pub fn bootstrap_two_sample_with_rng<R: Rng + ?Sized>(
    baseline: &[f64],
    canary: &[f64],
    statistic: Statistic,
    comparison: Comparison,
    opts: &BootstrapOptions,
    rng: &mut R,
) -> Result<Bootstrap> {
    two_sample(
        baseline,
        canary,
        statistic,
        comparison,
        opts,
        rng.next_u64(),
    )
}

const RATIO_HINT: &str = " (a ratio whose baseline statistic is 0 on this resample?)";

fn two_sample(
    baseline: &[f64],
    canary: &[f64],
    stat: Statistic,
    comparison: Comparison,
    opts: &BootstrapOptions,
    seed: u64,
) -> Result<Bootstrap> {
    opts.validate()?;
    stat.validate()?;
    check("baseline", baseline)?;
    check("canary", canary)?;
    let g_base = statistic::in_place(stat, &mut baseline.to_vec());
    let g_can = statistic::in_place(stat, &mut canary.to_vec());
    if comparison == Comparison::Ratio && g_base == 0.0 {
        return Err(Error::degenerate(
            NAME,
            "the baseline statistic is 0: the ratio canary / baseline is undefined",
        ));
    }
    let estimate = comparison.apply(g_base, g_can);
    check_estimate(estimate)?;
    let mut dist = vec![0.0; opts.resamples];
    resample::fill(&mut dist, seed, Vec::new, |stream, buf| {
        let b = statistic::resampled(stat, baseline, stream, buf);
        let c = statistic::resampled(stat, canary, stream, buf);
        comparison.apply(b, c)
    });
    let hint = if comparison == Comparison::Ratio {
        RATIO_HINT
    } else {
        ""
    };
    finish(opts, seed, estimate, dist, hint, || {
        let base: Vec<f64> = statistic::leave_one_out(stat, baseline)
            .into_iter()
            .map(|b| comparison.apply(b, g_can))
            .collect();
        let can: Vec<f64> = statistic::leave_one_out(stat, canary)
            .into_iter()
            .map(|c| comparison.apply(g_base, c))
            .collect();
        Ok(vec![base, can])
    })
}

/// A bootstrap interval for any statistic of one sample, given as a closure.
///
/// The closure receives a resample (or, for BCa's jackknife, the sample without one observation)
/// in a scratch buffer it may reorder, and returns the statistic. It must be deterministic; it is
/// called from several threads with the `parallel` feature. BCa's jackknife costs `n` calls on
/// `n - 1` points.
///
/// # Example
/// ```
/// use canary_analysis::stats::bootstrap::{bootstrap_fn, BootstrapOptions, IntervalMethod};
///
/// // the share of requests slower than 200 ms
/// let latencies = [120.0, 250.0, 180.0, 90.0, 310.0, 150.0, 205.0, 99.0, 175.0, 130.0];
/// let slow = |v: &mut [f64]| v.iter().filter(|&&x| x > 200.0).count() as f64 / v.len() as f64;
/// let opts = BootstrapOptions::new().method(IntervalMethod::Percentile);
/// let ci = bootstrap_fn(&latencies, slow, &opts)?;
/// assert_eq!(ci.estimate, 0.3);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
///
/// # Errors
/// See the [module docs](self#errors); a non-finite value from the closure is
/// [`Error::Degenerate`].
pub fn bootstrap_fn<F>(sample: &[f64], statistic: F, opts: &BootstrapOptions) -> Result<Bootstrap>
where
    F: Fn(&mut [f64]) -> f64 + Sync,
{
    one_sample_fn(sample, &statistic, opts, opts.seed)
}

/// [`bootstrap_fn`] with the seed drawn from `rng` (one `next_u64`; reported in
/// [`Bootstrap::seed`]).
///
/// # Example
/// ```
/// use canary_analysis::stats::bootstrap::{bootstrap_fn_with_rng, BootstrapOptions};
/// use rand::SeedableRng;
///
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let v = [1.0, 4.0, 2.0, 8.0, 5.0, 7.0, 3.0, 6.0, 9.0, 2.5];
/// // the geometric mean
/// let gmean = |s: &mut [f64]| (s.iter().map(|x| x.ln()).sum::<f64>() / s.len() as f64).exp();
/// let ci = bootstrap_fn_with_rng(&v, gmean, &BootstrapOptions::new(), &mut rng)?;
/// assert!(ci.lower < ci.estimate && ci.estimate < ci.upper);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
///
/// # Errors
/// See [`bootstrap_fn`].
pub fn bootstrap_fn_with_rng<F, R>(
    sample: &[f64],
    statistic: F,
    opts: &BootstrapOptions,
    rng: &mut R,
) -> Result<Bootstrap>
where
    F: Fn(&mut [f64]) -> f64 + Sync,
    R: Rng + ?Sized,
{
    one_sample_fn(sample, &statistic, opts, rng.next_u64())
}

fn one_sample_fn<F>(sample: &[f64], f: &F, opts: &BootstrapOptions, seed: u64) -> Result<Bootstrap>
where
    F: Fn(&mut [f64]) -> f64 + Sync,
{
    opts.validate()?;
    check("sample", sample)?;
    let estimate = f(&mut sample.to_vec());
    check_estimate(estimate)?;
    let n = sample.len();
    let mut dist = vec![0.0; opts.resamples];
    resample::fill(&mut dist, seed, Vec::new, |stream, buf| {
        statistic::draw(sample, stream, buf);
        f(buf)
    });
    finish(opts, seed, estimate, dist, "", || {
        let mut theta = vec![0.0; n];
        resample::map_indexed(&mut theta, Vec::new, |i, buf| {
            leave_out(sample, i, buf);
            f(buf)
        });
        Ok(vec![theta])
    })
}

/// Copies `sample` without observation `i` into `buf`.
fn leave_out(sample: &[f64], i: usize, buf: &mut Vec<f64>) {
    buf.clear();
    buf.extend_from_slice(&sample[..i]);
    buf.extend_from_slice(&sample[i + 1..]);
}

/// A bootstrap interval for any comparison of the baseline and the canary, given as a closure
/// `f(baseline, canary)` (baseline first; return the effect of the canary relative to the
/// baseline). Each sample is resampled independently.
///
/// The closure receives the resampled samples (or, for BCa's jackknife, one sample without one
/// observation and the other sample whole) in scratch buffers it may reorder. It must be
/// deterministic; it is called from several threads with the `parallel` feature.
///
/// # Example
/// ```
/// use canary_analysis::stats::bootstrap::{bootstrap_two_sample_fn, BootstrapOptions};
///
/// // difference of error rates (1 = failed request)
/// let baseline = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0];
/// let canary = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0];
/// let rate = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
/// let ci = bootstrap_two_sample_fn(&baseline, &canary, |b, c| rate(c) - rate(b), &BootstrapOptions::new())?;
/// assert!((ci.estimate - 0.3).abs() < 1e-12);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
///
/// # Errors
/// See [`bootstrap_fn`].
pub fn bootstrap_two_sample_fn<F>(
    baseline: &[f64],
    canary: &[f64],
    statistic: F,
    opts: &BootstrapOptions,
) -> Result<Bootstrap>
where
    F: Fn(&mut [f64], &mut [f64]) -> f64 + Sync,
{
    two_sample_fn(baseline, canary, &statistic, opts, opts.seed)
}

/// [`bootstrap_two_sample_fn`] with the seed drawn from `rng` (one `next_u64`; reported in
/// [`Bootstrap::seed`]).
///
/// # Example
/// ```
/// use canary_analysis::stats::bootstrap::{bootstrap_two_sample_fn_with_rng, BootstrapOptions};
/// use rand::SeedableRng;
///
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
/// let baseline = [3.0, 4.0, 3.5, 5.0, 4.2, 3.9];
/// let canary = [3.1, 4.4, 3.0, 5.2, 4.0, 4.1];
/// let diff = |b: &mut [f64], c: &mut [f64]| c.iter().sum::<f64>() / c.len() as f64 - b.iter().sum::<f64>() / b.len() as f64;
/// let ci = bootstrap_two_sample_fn_with_rng(&baseline, &canary, diff, &BootstrapOptions::new(), &mut rng)?;
/// assert!(ci.lower < 0.0 && 0.0 < ci.upper);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
///
/// # Errors
/// See [`bootstrap_fn`].
pub fn bootstrap_two_sample_fn_with_rng<F, R>(
    baseline: &[f64],
    canary: &[f64],
    statistic: F,
    opts: &BootstrapOptions,
    rng: &mut R,
) -> Result<Bootstrap>
where
    F: Fn(&mut [f64], &mut [f64]) -> f64 + Sync,
    R: Rng + ?Sized,
{
    two_sample_fn(baseline, canary, &statistic, opts, rng.next_u64())
}

fn two_sample_fn<F>(
    baseline: &[f64],
    canary: &[f64],
    f: &F,
    opts: &BootstrapOptions,
    seed: u64,
) -> Result<Bootstrap>
where
    F: Fn(&mut [f64], &mut [f64]) -> f64 + Sync,
{
    opts.validate()?;
    check("baseline", baseline)?;
    check("canary", canary)?;
    let estimate = f(&mut baseline.to_vec(), &mut canary.to_vec());
    check_estimate(estimate)?;
    let (nb, nc) = (baseline.len(), canary.len());
    let mut dist = vec![0.0; opts.resamples];
    let init = || (Vec::new(), Vec::new());
    resample::fill(&mut dist, seed, init, |stream, (bb, cb)| {
        statistic::draw(baseline, stream, bb);
        statistic::draw(canary, stream, cb);
        f(bb, cb)
    });
    finish(opts, seed, estimate, dist, "", || {
        let mut base = vec![0.0; nb];
        resample::map_indexed(&mut base, init, |i, (bb, cb)| {
            leave_out(baseline, i, bb);
            cb.clear();
            cb.extend_from_slice(canary);
            f(bb, cb)
        });
        let mut can = vec![0.0; nc];
        resample::map_indexed(&mut can, init, |i, (bb, cb)| {
            bb.clear();
            bb.extend_from_slice(baseline);
            leave_out(canary, i, cb);
            f(bb, cb)
        });
        Ok(vec![base, can])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<f64>, Vec<f64>) {
        let b: Vec<f64> = (0..37).map(|i| 100.0 + ((i * 29) % 23) as f64).collect();
        let c: Vec<f64> = (0..41)
            .map(|i| 104.0 + ((i * 31) % 19) as f64 * 1.5)
            .collect();
        (b, c)
    }

    #[test]
    fn closure_and_builtin_agree_exactly_on_the_same_stream() {
        // The built-in median and a closure computing the same median draw the same indices,
        // so their distributions, and therefore their intervals, coincide.
        let (b, c) = data();
        let opts = BootstrapOptions::new()
            .resamples(999)
            .seed(11)
            .keep_distribution(true);
        let builtin =
            bootstrap_two_sample(&b, &c, Statistic::Median, Comparison::Difference, &opts).unwrap();
        let closure = bootstrap_two_sample_fn(
            &b,
            &c,
            |x, y| {
                statistic::in_place(Statistic::Median, y)
                    - statistic::in_place(Statistic::Median, x)
            },
            &opts,
        )
        .unwrap();
        assert_eq!(builtin, closure);
    }

    #[test]
    fn one_sided_intervals_open_the_other_end() {
        let (b, _) = data();
        for method in [
            IntervalMethod::Percentile,
            IntervalMethod::Basic,
            IntervalMethod::Bca,
        ] {
            let two = BootstrapOptions::new()
                .resamples(2000)
                .method(method)
                .confidence(0.9);
            let t = bootstrap(&b, Statistic::Mean, &two).unwrap();
            let g = bootstrap(
                &b,
                Statistic::Mean,
                &two.clone()
                    .confidence(0.95)
                    .alternative(Alternative::Greater),
            )
            .unwrap();
            let l = bootstrap(
                &b,
                Statistic::Mean,
                &two.clone().confidence(0.95).alternative(Alternative::Less),
            )
            .unwrap();
            // a one-sided 95% bound is the matching end of the two-sided 90% interval
            assert_eq!((g.lower, g.upper), (t.lower, f64::INFINITY));
            assert_eq!((l.lower, l.upper), (f64::NEG_INFINITY, t.upper));
        }
    }

    #[test]
    fn ratio_with_zero_baseline_is_degenerate() {
        let e = bootstrap_two_sample(
            &[0.0, 0.0, 0.0],
            &[1.0, 2.0],
            Statistic::Mean,
            Comparison::Ratio,
            &BootstrapOptions::new(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Degenerate { .. }), "{e}");
        // zero on some resamples only
        let e = bootstrap_two_sample(
            &[0.0, 0.0, 0.0, 0.0, 1.0],
            &[1.0, 2.0, 3.0],
            Statistic::Median,
            Comparison::Ratio,
            &BootstrapOptions::new().resamples(500),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Degenerate { .. }), "{e}");
    }

    #[test]
    fn one_sided_results_round_trip_through_json() {
        let (b, c) = data();
        let opts = BootstrapOptions::new()
            .resamples(300)
            .alternative(Alternative::Greater);
        let r = bootstrap_two_sample(&b, &c, Statistic::Mean, Comparison::Ratio, &opts).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"upper\":\"Infinity\""), "{json}");
        let back: Bootstrap = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        let opts_back: BootstrapOptions =
            serde_json::from_str(&serde_json::to_string(&opts).unwrap()).unwrap();
        assert_eq!(opts_back, opts);
    }

    #[test]
    fn rng_variant_reports_a_reproducing_seed() {
        use rand::SeedableRng;
        let (b, c) = data();
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(99);
        let opts = BootstrapOptions::new().resamples(500);
        let r = bootstrap_two_sample_with_rng(
            &b,
            &c,
            Statistic::Mean,
            Comparison::Ratio,
            &opts,
            &mut rng,
        )
        .unwrap();
        let again = bootstrap_two_sample(
            &b,
            &c,
            Statistic::Mean,
            Comparison::Ratio,
            &opts.seed(r.seed),
        )
        .unwrap();
        assert_eq!(r, again);
    }
}
