//! Rate test for per-step event counts whose null model is calibrated on the baseline.
//!
//! Input: event counts per time step (errors per minute, timeouts per step), baseline first,
//! canary second. The question: does the canary produce events at a higher (lower) rate than a
//! healthy process would, where "what a healthy process looks like" is learned from the
//! **baseline**, never from the canary (a canary's own bursts are the regression, not evidence
//! that the process is noisy).
//!
//! # Definitions
//!
//! Let `b_1..b_n` be the baseline counts, `c_1..c_m` the canary counts, `B = sum b`,
//! `C = sum c`, `T = B + C`, `p0 = m / (n + m)`.
//!
//! 1. **Is the baseline Poisson-like?** Two checks on the baseline alone, each at level
//!    `dispersion_level` (default 0.01):
//!    - *Burst check* (the largest step): conditional on `B`, under a Poisson process with a
//!      constant rate the counts are multinomial over the `n` steps, so
//!      `P(max_i b_i >= x) <= n * P(Binomial(B, 1/n) >= x)` (a union bound, exact in the
//!      direction that matters: it never calls a Poisson baseline bursty more often than the
//!      level). It sees single bursts that a variance index dilutes.
//!    - *Index of dispersion* (Fisher 1950; Cochran 1954, "Some methods for strengthening the
//!      common chi-squared tests"): `D = sum (b_i - mean)^2 / mean`, upper tail of
//!      `chi^2(n - 1)`. It sees general overdispersion (zero inflation, a heavy tail).
//!
//!    The baseline is *calibrated as Poisson* when it has at least `min_calibration_steps`
//!    steps (default 30; fewer cannot show whether the process is bursty), every count is a
//!    whole number, and neither check rejects. A baseline without any event is Poisson-like:
//!    a clean baseline is the reference a bursty canary is judged against.
//! 2. **Poisson-like baseline: the exact conditional binomial test** (Przyborowski & Wilenski
//!    1940; the conditional test of two Poisson means, R `poisson.test(c(C, B), c(m, n))`):
//!    given `T`, `C ~ Binomial(T, p0)` under equal rates; `P(C >= c) = I_{p0}(c, T - c + 1)`
//!    (the regularized incomplete beta). A clean baseline against `C` canary events gives
//!    `p = p0^C`: one burst of 15 errors in 120 steps against 120 clean steps is `2^-15`.
//! 3. **Overdispersed (or short, or non-integral) baseline: a step-level permutation test.**
//!    Under the null the `n + m` steps are exchangeable (one process, bursts and all). The test
//!    is the Mann-Whitney rank test of the canary's step counts against the baseline's
//!    ([`crate::stats::mann_whitney`], tie-corrected normal approximation with continuity
//!    correction): a permutation test whose null needs nothing but exchangeability. A
//!    permutation test of the *sum* would be valid too, but its normal approximation is
//!    badly off in the tails when a few bursts carry most of the events (measured: up to 2x
//!    the nominal rate at the levels a canary uses), and its exact distribution costs
//!    `O((n + m) m C)`; ranks are not driven by the few largest steps. This is what keeps
//!    processes bursty on both sides from failing: a burst in the canary is then no more
//!    surprising than a burst in the baseline. (It also means that bigger bursts in a process
//!    that already bursts are seen only through their ranks.)
//!
//! The effect is the rate ratio `(C / m) / (B / n)` (infinite when `B = 0 < C`, 1 when both are
//! 0) with a confidence interval: from the Clopper-Pearson interval of `C / T` in case 2
//! (`ratio = q / (1 - q) * n / m`), and in case 3 the same with the counts divided by the pooled
//! dispersion `s^2_pooled / mean_pooled` (the effective number of independent events; an
//! approximation, documented as such in `interval_method`).
//!
//! # Validity
//!
//! Under a Poisson null the exact test has level `alpha`; a Poisson baseline is sent to the
//! permutation test with probability at most about `2 * dispersion_level`, and the permutation
//! test is valid there too. Under a bursty null (both sides) the baseline shows its bursts and
//! the permutation test is used. What cannot be promised is a process whose bursts are so rare
//! that the baseline window contains none while the canary window does: that canary looks like
//! a regression to any test that detects a single burst against a clean baseline, so the
//! baseline window must be long enough to show the process's normal bursts.
//! `scenarios` measures both families (A/A bursty on both sides; one burst against a clean
//! baseline).

use serde::{Deserialize, Serialize};
use statrs::function::beta::beta_reg;
use statrs::function::gamma::checked_gamma_ur;

use crate::error::{Error, Result};
use crate::stats::mann_whitney::{MannWhitneyOptions, mann_whitney};
use crate::stats::numeric::zeroin;
use crate::stats::rate::{RateOptions, rate_test_unchecked};
use crate::stats::{Alternative, Method};

/// Options of [`step_count_test`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepCountOptions {
    alternative: Alternative,
    dispersion_level: f64,
    min_calibration_steps: usize,
    confidence: f64,
}

impl Default for StepCountOptions {
    fn default() -> Self {
        StepCountOptions {
            alternative: Alternative::Greater,
            dispersion_level: 0.01,
            min_calibration_steps: 30,
            confidence: 0.95,
        }
    }
}

impl StepCountOptions {
    /// The defaults: `Greater` (more canary events), dispersion level 0.01, 30 calibration
    /// steps, confidence 0.95.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::step_counts::StepCountOptions;
    /// let o = StepCountOptions::new().dispersion_level(0.05);
    /// assert_eq!(o, StepCountOptions::default().dispersion_level(0.05));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// The alternative (canary relative to baseline).
    pub fn alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }
    /// Level of each baseline dispersion check (in (0, 1)).
    pub fn dispersion_level(mut self, level: f64) -> Self {
        self.dispersion_level = level;
        self
    }
    /// Fewest baseline steps that can calibrate a Poisson null.
    pub fn min_calibration_steps(mut self, steps: usize) -> Self {
        self.min_calibration_steps = steps;
        self
    }
    /// Confidence of the rate-ratio interval (in (0, 1)).
    pub fn confidence(mut self, confidence: f64) -> Self {
        self.confidence = confidence;
        self
    }
}

/// Which null distribution the test used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum StepCountMethod {
    /// No event on either side: nothing to test, `p = 1`.
    #[serde(rename = "no-events")]
    NoEvents,
    /// The baseline is Poisson-like: exact conditional binomial.
    #[serde(rename = "exact-conditional-binomial")]
    ExactConditionalBinomial,
    /// The baseline is overdispersed, short or non-integral: step-level permutation test
    /// (normal approximation with continuity correction).
    #[serde(rename = "step-permutation")]
    StepPermutation,
}

impl StepCountMethod {
    /// A short human name.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::step_counts::StepCountMethod;
    /// assert_eq!(StepCountMethod::StepPermutation.as_str(), "step-level permutation test");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            StepCountMethod::NoEvents => "no events on either side",
            StepCountMethod::ExactConditionalBinomial => "exact conditional binomial",
            StepCountMethod::StepPermutation => "step-level permutation test",
        }
    }
}

/// Result of [`step_count_test`]; effects are canary relative to baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepCountTest {
    /// Baseline events `B`.
    pub baseline_events: f64,
    /// Canary events `C`.
    pub canary_events: f64,
    /// Baseline steps `n`.
    pub baseline_steps: usize,
    /// Canary steps `m`.
    pub canary_steps: usize,
    /// `(C / m) / (B / n)`; infinite when `B = 0 < C`, 1 when `B = C = 0`.
    #[serde(with = "crate::serde_float::nonfinite")]
    pub rate_ratio: f64,
    /// Lower end of the rate-ratio interval.
    #[serde(with = "crate::serde_float::nonfinite")]
    pub ratio_lower: f64,
    /// Upper end of the rate-ratio interval (may be infinite).
    #[serde(with = "crate::serde_float::nonfinite")]
    pub ratio_upper: f64,
    /// Confidence of the interval.
    pub confidence: f64,
    /// The baseline's index of dispersion (`variance / mean`, 1 for a Poisson process; 0 for
    /// a baseline without events).
    pub baseline_dispersion: f64,
    /// The smaller p-value of the two baseline dispersion checks (1 without events).
    pub dispersion_p_value: f64,
    /// The null distribution used.
    pub method: StepCountMethod,
    /// The p-value for the requested alternative.
    pub p_value: f64,
}

/// `P(X >= x)` for `X ~ Binomial(t, p)`, `x` and `t` whole numbers.
fn binom_sf(x: f64, t: f64, p: f64) -> f64 {
    if x <= 0.0 {
        1.0
    } else if x > t {
        0.0
    } else {
        beta_reg(x, t - x + 1.0, p).clamp(0.0, 1.0)
    }
}

/// The `q` quantile of `Beta(a, b)`: Brent's root finder ([`crate::stats::numeric::zeroin`]) on
/// the regularized incomplete beta, to an absolute `1e-12` (about ten evaluations).
fn beta_quantile(a: f64, b: f64, q: f64) -> f64 {
    let mut f = |x: f64| Ok(beta_reg(a, b, x) - q);
    zeroin(0.0, 1.0, -q, 1.0 - q, &mut f, 1e-12, 100).unwrap_or(f64::NAN)
}

/// Clopper-Pearson interval of a binomial proportion `x / t`, two-sided at `confidence`
/// (`x` and `t` may be fractional: the beta quantiles are defined for any positive shapes).
fn clopper_pearson(x: f64, t: f64, confidence: f64) -> (f64, f64) {
    let a = (1.0 - confidence) / 2.0;
    let lo = if x <= 0.0 {
        0.0
    } else {
        beta_quantile(x, t - x + 1.0, a)
    };
    let hi = if x >= t {
        1.0
    } else {
        beta_quantile(x + 1.0, t - x, 1.0 - a)
    };
    (lo, hi)
}

/// The rate test for per-step event counts (see the module docs), baseline first, canary
/// second.
///
/// # Errors
/// [`Error::InvalidSample`] when a side is empty or holds a negative or non-finite count;
/// [`Error::InvalidParameter`] for a level or confidence outside (0, 1).
///
/// # Example
/// ```
/// use canary_analysis::stats::step_counts::{step_count_test, StepCountMethod, StepCountOptions};
/// // 120 clean baseline minutes; the canary has one minute with 15 errors.
/// let baseline = vec![0.0; 120];
/// let mut canary = vec![0.0; 120];
/// canary[40] = 15.0;
/// let t = step_count_test(&baseline, &canary, &StepCountOptions::new())?;
/// assert_eq!(t.method, StepCountMethod::ExactConditionalBinomial);
/// assert!((t.p_value - 0.5f64.powi(15)).abs() < 1e-15);
/// assert!(t.rate_ratio.is_infinite());
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn step_count_test(
    baseline: &[f64],
    canary: &[f64],
    opts: &StepCountOptions,
) -> Result<StepCountTest> {
    for (name, v) in [("baseline", baseline), ("canary", canary)] {
        if v.is_empty() {
            return Err(Error::sample(name, "no steps"));
        }
        if let Some((i, x)) = v
            .iter()
            .enumerate()
            .find(|(_, x)| !(x.is_finite() && **x >= 0.0))
        {
            return Err(Error::sample(
                name,
                format!("step {i} holds {x}, not a finite count >= 0"),
            ));
        }
    }
    for (name, v) in [
        ("dispersion_level", opts.dispersion_level),
        ("confidence", opts.confidence),
    ] {
        if !(v > 0.0 && v < 1.0) {
            return Err(Error::param(name, v, "must lie strictly between 0 and 1"));
        }
    }
    let (n, m) = (baseline.len(), canary.len());
    let (nf, mf) = (n as f64, m as f64);
    let bs: f64 = baseline.iter().sum();
    let cs: f64 = canary.iter().sum();
    let total = bs + cs;
    let ratio = if bs > 0.0 {
        (cs / mf) / (bs / nf)
    } else if cs > 0.0 {
        f64::INFINITY
    } else {
        1.0
    };
    let to_ratio = |q: f64| {
        if q >= 1.0 {
            f64::INFINITY
        } else {
            q / (1.0 - q) * nf / mf
        }
    };
    // 1. The baseline's own dispersion.
    let mean_b = bs / nf;
    let (baseline_dispersion, dispersion_p) = if bs > 0.0 {
        let ss: f64 = baseline.iter().map(|x| (x - mean_b) * (x - mean_b)).sum();
        let d = ss / mean_b;
        // `D` is finite and > 0 unless every step is equal (no dispersion: p = 1) or the counts
        // overflow (an infinite index is as overdispersed as it gets: p = 0).
        let p_chi = if n < 2 || d <= 0.0 || d.is_nan() {
            1.0
        } else if d.is_infinite() {
            0.0
        } else {
            checked_gamma_ur((nf - 1.0) / 2.0, d / 2.0).map_or(1.0, |p| p.clamp(0.0, 1.0))
        };
        let max = baseline.iter().copied().fold(0.0f64, f64::max);
        let p_max = (nf * binom_sf(max.ceil(), bs.round(), 1.0 / nf)).min(1.0);
        (
            if n > 1 { ss / (nf - 1.0) / mean_b } else { 1.0 },
            p_chi.min(p_max),
        )
    } else {
        (0.0, 1.0)
    };
    let integral = baseline.iter().chain(canary).all(|v| v.fract() == 0.0);
    let poisson =
        integral && n >= opts.min_calibration_steps && dispersion_p >= opts.dispersion_level;
    let (p_up, p_down, method, lo, hi) = if total == 0.0 {
        (1.0, 1.0, StepCountMethod::NoEvents, 0.0, f64::INFINITY)
    } else if poisson {
        // The exact conditional binomial kernel of `stats::rate` (log-space incomplete beta).
        let exact = |alt| {
            let o = RateOptions::new().alternative(alt).method(Method::Exact);
            rate_test_unchecked(baseline, canary, &o).map(|t| t.p_value)
        };
        let (ql, qh) = clopper_pearson(cs, total, opts.confidence);
        (
            exact(Alternative::Greater)?,
            exact(Alternative::Less)?,
            StepCountMethod::ExactConditionalBinomial,
            to_ratio(ql),
            to_ratio(qh),
        )
    } else {
        // Exchangeable steps: the Mann-Whitney test of the step counts (tie-corrected normal
        // approximation with continuity correction), whose null needs nothing but
        // exchangeability and is not driven by the few largest bursts.
        let big_n = nf + mf;
        let mean = total / big_n;
        let ss: f64 = baseline
            .iter()
            .chain(canary)
            .map(|x| (x - mean) * (x - mean))
            .sum();
        let s2 = if big_n > 1.0 { ss / (big_n - 1.0) } else { 0.0 };
        let mw = |alt| {
            let o = MannWhitneyOptions::new()
                .alternative(alt)
                .method(Method::Asymptotic);
            // Every step tied: no evidence either way.
            mann_whitney(baseline, canary, &o).map_or(1.0, |t| t.p_value)
        };
        let phi = if mean > 0.0 {
            (s2 / mean).max(1.0)
        } else {
            1.0
        };
        let (ql, qh) = clopper_pearson(cs / phi, total / phi, opts.confidence);
        (
            mw(Alternative::Greater),
            mw(Alternative::Less),
            StepCountMethod::StepPermutation,
            to_ratio(ql),
            to_ratio(qh),
        )
    };
    let p_value = match opts.alternative {
        Alternative::Greater => p_up,
        Alternative::Less => p_down,
        _ => (2.0 * p_up.min(p_down)).min(1.0),
    };
    Ok(StepCountTest {
        baseline_events: bs,
        canary_events: cs,
        baseline_steps: n,
        canary_steps: m,
        rate_ratio: ratio,
        ratio_lower: lo,
        ratio_upper: hi,
        confidence: opts.confidence,
        baseline_dispersion,
        dispersion_p_value: dispersion_p,
        method,
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_baseline_uses_the_exact_test() {
        let b = vec![0.0; 120];
        let mut c = vec![0.0; 120];
        for (i, k) in [(3, 2.0), (10, 1.0), (50, 2.0), (51, 1.0)] {
            c[i] = k;
        }
        let t = step_count_test(&b, &c, &StepCountOptions::new()).unwrap();
        assert_eq!(t.method, StepCountMethod::ExactConditionalBinomial);
        assert!((t.p_value - 0.5f64.powi(6)).abs() < 1e-15);
    }

    #[test]
    fn bursty_baseline_uses_the_permutation_test() {
        let mut b = vec![1.0; 120];
        b[7] = 25.0;
        b[70] = 18.0;
        let c = b.clone();
        let t = step_count_test(&b, &c, &StepCountOptions::new()).unwrap();
        assert_eq!(t.method, StepCountMethod::StepPermutation);
        assert!(t.dispersion_p_value < 0.01);
        assert!(t.p_value > 0.4);
    }

    #[test]
    fn rejects_negative_counts() {
        assert!(step_count_test(&[1.0, -1.0], &[0.0], &StepCountOptions::new()).is_err());
        assert!(step_count_test(&[], &[0.0], &StepCountOptions::new()).is_err());
    }
}
