//! Counts (errors, crashes, failed requests): the Lindon-Malek Beta-mixture e-process.
//!
//! Model (Lindon & Malek, "Anytime-valid inference for multinomial count data", NeurIPS 2022;
//! Lindon, Sanden & Shirikian, KDD 2022): the events of arm `i` form a Poisson process with
//! intensity `rho_i * exp(delta_i) * lambda(t)`, where `lambda(t)` is arbitrary and shared by the
//! arms and `rho_i` is the arm's known traffic share (`rho = rho_canary`, `1 - rho` for the
//! baseline). Given that an event happened, it came from the canary with probability
//! `theta = rho e^dC / (rho e^dC + (1 - rho) e^dB)`; the null hypothesis of equal rates is
//! `theta = rho`. Only the two running counts are needed: `c` canary events, `b` baseline events.
//!
//! With a `Beta(a, b0)` mixture over `theta`, `a = k rho`, `b0 = k (1 - rho)`:
//!
//! ```text
//! ln E = lnB(a + c, b0 + b) - lnB(a, b0) - c ln(rho) - b ln(1 - rho)          (two-sided)
//! ```
//!
//! Streaming, an event in arm `i` multiplies `E` by `((k rho_i + c_i) / (k + n)) / rho_i` with
//! the counts taken before the event; the product equals the closed form, which is what is
//! evaluated at a look (so a batch gives exactly the same value as its events one at a time).
//!
//! One-sided, canary worse ([`Alternative::Greater`], `theta > rho`): the prior is truncated to
//! `theta > rho`,
//!
//! ```text
//! ln E = lnB(a + c, b0 + b) + ln(1 - I_rho(a + c, b0 + b)) - lnB(a, b0) - ln(1 - I_rho(a, b0))
//!        - c ln(rho) - b ln(1 - rho)
//! ```
//!
//! with `I` the regularized incomplete beta function; [`Alternative::Less`] (canary better)
//! truncates to `theta < rho` and uses `I_rho` in place of `1 - I_rho`. The truncated mixture is a
//! supermartingale under every `theta <= rho` (resp. `>=`), so the one-sided test controls the
//! error over the whole composite null.
//!
//! `k` sets the prior's concentration around `rho` (`k = 100` suits small relative changes; a
//! smaller `k` detects large jumps sooner).
//!
//! The confidence sequence for `theta` is `{theta : E_t(theta) < 1/alpha}` with the two-sided
//! mixture tested against `theta` (a test martingale under `theta`), an interval around
//! `c / (c + b)`; it is reported for the rate ratio `r = e^(dC - dB) = theta (1 - rho) /
//! (rho (1 - theta))` (canary events per unit of traffic over baseline events per unit of
//! traffic) and intersected over looks.
//!
//! # Numerics and cost
//! Counts go up to `2^53` and `k` up to `1e30`, where `lnB` terms near `10^17` cancel to a log
//! e-value of order 1 (the naive formula gave `log E = 10`, p = 4.5e-5, for 1125899906874300
//! events in each arm; the value is -15.375). Every e-value is therefore evaluated in a form
//! without cancellation. With `A = a + c`, `B = b0 + b`, `T = k + n`, the Stirling remainder
//! `delta(z) = lnGamma(z) - (z - 1/2) ln z + z - ln(2 pi)/2` (its asymptotic series for
//! `z >= 10`) and Loader's deviance term `bd0(x, m) = x ln(x/m) + m - x` (C. Loader, "Fast and
//! accurate computation of binomial probabilities", 2000), the two-sided value is exactly
//!
//! ```text
//! ln E = bd0(A, T rho) + bd0(B, T (1 - rho))
//!        + [ln(1 + n/k) - ln(1 + c/a) - ln(1 + b/b0)] / 2
//!        + delta(A) + delta(B) - delta(T) - delta(a) - delta(b0) + delta(k)
//! ```
//!
//! where `A - T rho = c - n rho` is formed from the integer counts with error-free products, so
//! each term is non-negative or small and the sum keeps its relative precision. The one-sided
//! tail `1 - I_rho(A, B)` is the continued fraction (modified Lentz, at most
//! `1000 + 20 sqrt(min(A, B))` terms) with its front factor in the same stable form when
//! `min(A, B) < 10^8`, and otherwise the two-term uniform asymptotic expansion of Temme (1992)
//! (relative error `O(min(A, B)^-2)`), whose Gaussian factor `e^{-bd0 sum}` cancels against the
//! two-sided terms analytically. So a look costs `O(1)` two-sided and at most about `2 * 10^5`
//! continued-fraction terms one-sided, whatever `k` and the counts (formerly `k = 1e28` did not
//! return and `k = 1e24` took 5 s per look).
//!
//! The rate-ratio interval solves `n KL(c/n || theta) < W` (the same identity: `W` is a
//! difference of deviance terms) by bisection on the log-odds of `theta`, so it keeps its
//! relative precision at any share and any `k`. Checked against mpmath at 80 digits
//! (`fixtures/reference/sequential/mpmath_counts.py`): agreement to `1e-10` relative or
//! `1e-9` absolute, except the one-sided value when `k rho < 1e-6`, where the prior's upper tail
//! is formed as `1 - I` and loses about `1e-16 / (1 - I)` (about `1e-6` absolute at share
//! `1e-12`, `k = 100`).
//!
//! Bounds: the canary share lies in `[1e-12, 1 - 1e-12]` and `k` in `[1e-6, 1e30]`
//! ([`Error::InvalidParameter`] otherwise; a share of `1e-300` formerly gave `p = 0` with the
//! interval `[0, inf]`).

use serde::{Deserialize, Serialize};

use super::Arm;
use super::eprocess::{Decision, Interval, RunningP, check_alpha, p_from_log_e};
use crate::error::{Error, Result};
use crate::stats::Alternative;

/// Options of [`CountMixture`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CountMixtureOptions {
    canary_share: f64,
    k: f64,
    alternative: Alternative,
    alpha: f64,
}

impl Default for CountMixtureOptions {
    fn default() -> Self {
        CountMixtureOptions {
            canary_share: 0.5,
            k: 100.0,
            alternative: Alternative::TwoSided,
            alpha: 0.05,
        }
    }
}

impl CountMixtureOptions {
    /// Defaults: canary share 0.5, `k = 100`, two-sided, `alpha = 0.05`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::Alternative;
    /// use canary_analysis::stats::sequential::CountMixtureOptions;
    /// let opts = CountMixtureOptions::new().canary_share(0.2).k(50.0).alternative(Alternative::Greater);
    /// assert_eq!(opts.get_canary_share(), 0.2);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// The canary's share `rho` of the traffic, in `[1e-12, 1 - 1e-12]` (validated when the test
    /// is built): a share outside cannot be told apart from 0 or 1 in `f64` arithmetic on the
    /// rate-ratio scale.
    pub fn canary_share(mut self, rho: f64) -> Self {
        self.canary_share = rho;
        self
    }
    /// The prior concentration `k`, in `[1e-6, 1e30]` (validated when the test is built). The
    /// cost of a look does not depend on `k` (see the [module docs](self)).
    pub fn k(mut self, k: f64) -> Self {
        self.k = k;
        self
    }
    /// `TwoSided` (any change), `Greater` (canary worse: more events than its share) or `Less`.
    pub fn alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }
    /// The significance level of the decision and the confidence sequence.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// The configured canary share.
    pub fn get_canary_share(&self) -> f64 {
        self.canary_share
    }
    /// The configured `k`.
    pub fn get_k(&self) -> f64 {
        self.k
    }
    /// The configured alternative.
    pub fn get_alternative(&self) -> Alternative {
        self.alternative
    }
    /// The configured `alpha`.
    pub fn get_alpha(&self) -> f64 {
        self.alpha
    }

    fn validate(&self) -> Result<()> {
        if !(self.canary_share >= MIN_SHARE && self.canary_share <= 1.0 - MIN_SHARE) {
            return Err(Error::param(
                "canary_share",
                self.canary_share,
                "must lie in [1e-12, 1 - 1e-12]",
            ));
        }
        if !(self.k >= MIN_K && self.k <= MAX_K) {
            return Err(Error::param("k", self.k, "must lie in [1e-6, 1e30]"));
        }
        check_alpha(self.alpha)
    }
}

/// The state of one look of a [`CountMixture`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountLook {
    /// 1-based index of this look.
    pub look: u64,
    /// Baseline events so far.
    pub baseline: u64,
    /// Canary events so far.
    pub canary: u64,
    /// Natural log of the e-value at these counts.
    #[serde(with = "crate::serde_float::nonfinite")]
    pub log_e: f64,
    /// Always-valid p-value (running minimum of `min(1, 1/E)` over looks).
    pub p_value: f64,
    /// `Reject` when `p_value < alpha`.
    pub decision: Decision,
    /// Confidence sequence for the rate ratio `e^(dC - dB)`, intersected over looks.
    pub rate_ratio: Interval,
}

/// Streaming Lindon-Malek test on event counts (see the [module docs](self)).
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::{CountMixture, CountMixtureOptions, Decision};
/// // savvi's public check: k = 100, canary share 0.2.
/// let mut test = CountMixture::new(CountMixtureOptions::new().canary_share(0.2))?;
/// test.observe_canary(62)?;
/// test.observe_baseline(148)?;
/// let look = test.look()?;
/// assert!((look.log_e - 3.0882943342).abs() < 1e-9);
/// assert_eq!(look.decision, Decision::Reject);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountMixture {
    opts: CountMixtureOptions,
    baseline: u64,
    canary: u64,
    running: RunningP,
    rate_ratio: Interval,
    /// `ln` of the prior mass kept by the truncation (derived from the options, cached).
    prior_tail: f64,
}

/// Counts above this are refused: they cannot be represented exactly in an `f64`.
const MAX_COUNT: u64 = 1 << 53;

/// The smallest canary share accepted (and `1 - MIN_SHARE` the largest).
const MIN_SHARE: f64 = 1e-12;
/// The smallest prior concentration accepted.
const MIN_K: f64 = 1e-6;
/// The largest prior concentration accepted.
const MAX_K: f64 = 1e30;

impl CountMixture {
    /// A fresh test (no events, `p = 1`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a canary share outside `[1e-12, 1 - 1e-12]`, `k` outside
    /// `[1e-6, 1e30]` or an `alpha` outside (0, 1).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{CountMixture, CountMixtureOptions};
    /// let test = CountMixture::new(CountMixtureOptions::new())?;
    /// assert_eq!(test.p_value(), 1.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(opts: CountMixtureOptions) -> Result<Self> {
        opts.validate()?;
        let prior_tail = prior_tail(opts.canary_share, opts.k, opts.alternative)?;
        Ok(CountMixture {
            prior_tail,
            opts,
            baseline: 0,
            canary: 0,
            running: RunningP::new(),
            rate_ratio: Interval {
                lower: 0.0,
                upper: f64::INFINITY,
            },
        })
    }

    /// The options.
    pub fn options(&self) -> &CountMixtureOptions {
        &self.opts
    }

    /// Adds `count` events to `arm`.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] if the running count would exceed 2^53.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Arm, CountMixture, CountMixtureOptions};
    /// let mut test = CountMixture::new(CountMixtureOptions::new())?;
    /// test.observe(Arm::Canary, 3)?;
    /// assert_eq!(test.counts(), (0, 3));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe(&mut self, arm: Arm, count: u64) -> Result<()> {
        let n = self.checked_total(arm, count)?;
        match arm {
            Arm::Baseline => self.baseline = n,
            Arm::Canary => self.canary = n,
        }
        Ok(())
    }

    /// The running count of `arm` after adding `count`, or the error [`observe`](Self::observe)
    /// would return; changes nothing.
    pub(crate) fn checked_total(&self, arm: Arm, count: u64) -> Result<u64> {
        let slot = match arm {
            Arm::Baseline => self.baseline,
            Arm::Canary => self.canary,
        };
        match slot.checked_add(count) {
            Some(n) if n <= MAX_COUNT => Ok(n),
            _ => Err(Error::sample(
                "counts",
                format!("the running count would exceed 2^53 (adding {count} to {slot})"),
            )),
        }
    }

    /// Adds `count` baseline events. See [`observe`](Self::observe).
    ///
    /// # Errors
    /// As [`observe`](Self::observe).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{CountMixture, CountMixtureOptions};
    /// let mut test = CountMixture::new(CountMixtureOptions::new())?;
    /// test.observe_baseline(2)?;
    /// assert_eq!(test.counts(), (2, 0));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe_baseline(&mut self, count: u64) -> Result<()> {
        self.observe(Arm::Baseline, count)
    }

    /// Adds `count` canary events. See [`observe`](Self::observe).
    ///
    /// # Errors
    /// As [`observe`](Self::observe).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{CountMixture, CountMixtureOptions};
    /// let mut test = CountMixture::new(CountMixtureOptions::new())?;
    /// test.observe_canary(2)?;
    /// assert_eq!(test.counts(), (0, 2));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe_canary(&mut self, count: u64) -> Result<()> {
        self.observe(Arm::Canary, count)
    }

    /// `(baseline, canary)` event counts so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.baseline, self.canary)
    }

    /// The natural log of the e-value at the current counts. Time `O(1)` two-sided; one-sided
    /// at most `O(sqrt(min(c + k rho, b + k (1 - rho))))` and `O(1)` beyond `10^8` (see the
    /// [module docs](self)).
    ///
    /// # Errors
    /// [`Error::Degenerate`] if the incomplete beta function does not converge (not expected
    /// for accepted parameters and counts).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{CountMixture, CountMixtureOptions};
    /// let test = CountMixture::new(CountMixtureOptions::new())?;
    /// assert_eq!(test.log_e_value()?, 0.0); // E_0 = 1
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn log_e_value(&self) -> Result<f64> {
        Ok(self.terms()?.0)
    }

    fn terms(&self) -> Result<(f64, Parts)> {
        mixture(
            self.canary,
            self.baseline,
            self.opts.canary_share,
            self.opts.k,
            self.opts.alternative,
            self.prior_tail,
        )
    }

    /// The always-valid p-value as of the last look (1 before any look).
    pub fn p_value(&self) -> f64 {
        self.running.p_value
    }

    /// The decision as of the last look.
    pub fn decision(&self) -> Decision {
        Decision::from_p(self.running.p_value, self.opts.alpha)
    }

    /// Takes a look: evaluates the e-value at the current counts, updates the running p-value and
    /// the rate-ratio confidence sequence. Time as [`log_e_value`](Self::log_e_value) plus
    /// `O(1)` (two bisections of at most 200 steps) for the interval.
    ///
    /// # Errors
    /// As [`log_e_value`](Self::log_e_value).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{CountMixture, CountMixtureOptions, Decision};
    /// let mut test = CountMixture::new(CountMixtureOptions::new())?;
    /// test.observe_baseline(10)?;
    /// test.observe_canary(12)?;
    /// let look = test.look()?;
    /// assert_eq!(look.decision, Decision::Continue);
    /// assert!(look.rate_ratio.lower < 1.2 && 1.2 < look.rate_ratio.upper);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn look(&mut self) -> Result<CountLook> {
        let (log_e, parts) = self.terms()?;
        let p = self.running.update(p_from_log_e(log_e));
        let cs = rate_ratio_interval(
            self.canary,
            self.baseline,
            self.opts.canary_share,
            &parts,
            self.opts.alpha,
        );
        self.rate_ratio = self.rate_ratio.intersect(cs);
        Ok(CountLook {
            look: self.running.looks,
            baseline: self.baseline,
            canary: self.canary,
            log_e,
            p_value: p,
            decision: Decision::from_p(p, self.opts.alpha),
            rate_ratio: self.rate_ratio,
        })
    }
}

/// The log e-value of the Lindon-Malek mixture at final counts `canary`, `baseline` (see the
/// [module docs](self) for the formulas).
///
/// Time as [`CountMixture::log_e_value`].
///
/// # Errors
/// [`Error::InvalidParameter`] for a share outside `[1e-12, 1 - 1e-12]` or `k` outside
/// `[1e-6, 1e30]`; [`Error::Degenerate`] if the incomplete beta function fails to converge.
///
/// # Example
/// ```
/// use canary_analysis::stats::Alternative;
/// use canary_analysis::stats::sequential::counts::count_log_e;
/// let two = count_log_e(62, 148, 0.2, 100.0, Alternative::TwoSided)?;
/// assert!((two - 3.0882943342).abs() < 1e-9);
/// let worse = count_log_e(62, 148, 0.2, 100.0, Alternative::Greater)?;
/// assert!(worse > two); // the truncated prior puts its mass where the data are
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn count_log_e(
    canary: u64,
    baseline: u64,
    canary_share: f64,
    k: f64,
    alternative: Alternative,
) -> Result<f64> {
    CountMixtureOptions::new()
        .canary_share(canary_share)
        .k(k)
        .validate()?;
    let prior = prior_tail(canary_share, k, alternative)?;
    Ok(mixture(canary, baseline, canary_share, k, alternative, prior)?.0)
}

/// `ln` of the prior mass the truncation keeps: `ln(1 - I_rho(a, b0))` for `Greater`,
/// `ln I_rho(a, b0)` for `Less`, 0 for two-sided.
fn prior_tail(rho: f64, k: f64, alternative: Alternative) -> Result<f64> {
    let pt = Parts::new(0, 0, rho, k);
    match alternative {
        Alternative::Greater => Ok(ln_upper_tail(pt.aa, pt.bb, pt.t, rho, 1.0 - rho, 0.0, 0.0)?.0),
        Alternative::Less => Ok(ln_upper_tail(pt.bb, pt.aa, pt.t, 1.0 - rho, rho, 0.0, 0.0)?.0),
        _ => Ok(0.0),
    }
}

/// `(1/2) ln(2 pi)`.
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// The Stirling remainder `lnGamma(z) - ((z - 1/2) ln z - z + ln(2 pi) / 2)`, `z > 0`: the
/// asymptotic series through `z^-13` for `z >= 10` (truncation error below `3e-17`), else
/// `lnGamma` minus the Stirling part (all terms of moderate size there).
fn stirling_remainder(z: f64) -> f64 {
    if z >= 10.0 {
        let r = 1.0 / z;
        let r2 = r * r;
        r * (1.0 / 12.0
            - r2 * (1.0 / 360.0
                - r2 * (1.0 / 1260.0
                    - r2 * (1.0 / 1680.0
                        - r2 * (1.0 / 1188.0 - r2 * (691.0 / 360_360.0 - r2 / 156.0))))))
    } else {
        statrs::function::gamma::ln_gamma(z) - ((z - 0.5) * z.ln() - z + HALF_LN_2PI)
    }
}

#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `c - (c + b) theta`, for integral `c, b <= 2^53`, to about `2^-100` relative: error-free
/// products (fused multiply-add) and sums, so no cancellation is lost.
fn excess(c: f64, b: f64, theta: f64) -> f64 {
    let p1 = c * theta;
    let e1 = c.mul_add(theta, -p1);
    let p2 = b * theta;
    let e2 = b.mul_add(theta, -p2);
    let (s1, t1) = two_sum(c, -p1);
    let (s2, t2) = two_sum(s1, -p2);
    s2 + ((t1 + t2) - (e1 + e2))
}

/// Loader's deviance term `x ln(x / m) + m - x >= 0`, with `d = x - m` supplied accurately by the
/// caller (C. Loader, "Fast and accurate computation of binomial probabilities", 2000): the
/// series in `v = d / (x + m)` when `|d| < 0.1 (x + m)`, else the direct form.
fn bd0(x: f64, m: f64, d: f64) -> f64 {
    if d == 0.0 {
        return 0.0;
    }
    if x == 0.0 {
        return m;
    }
    let sum = x + m;
    if d.abs() < 0.1 * sum {
        let v = d / sum;
        let v2 = v * v;
        let mut s = d * v;
        let mut ej = 2.0 * x * v;
        for j in 1..200 {
            ej *= v2;
            let s1 = s + ej / (2 * j + 1) as f64;
            if s1 == s {
                break;
            }
            s = s1;
        }
        s
    } else {
        x * (x / m).ln() - d
    }
}

/// The stable pieces of the log e-value at counts `c`, `b` (see the [module docs](self)).
#[derive(Debug, Clone, Copy)]
struct Parts {
    /// `c - n rho` (`n = c + b`), accurate to about `2^-100` relative.
    delta: f64,
    /// `T KL(x0 || rho) = bd0(A, T rho) + bd0(B, T (1 - rho)) >= 0`, `x0 = A / T`.
    s: f64,
    /// The rest of the two-sided log e-value: `ln E = s + h`.
    h: f64,
    /// Posterior parameters `A = k rho + c`, `B = k (1 - rho) + b`, `T = k + n`.
    aa: f64,
    bb: f64,
    t: f64,
}

impl Parts {
    fn new(canary: u64, baseline: u64, rho: f64, k: f64) -> Parts {
        let (c, b) = (canary as f64, baseline as f64);
        let n = c + b;
        let (a, b0) = (k * rho, k * (1.0 - rho));
        let (aa, bb, t) = (a + c, b0 + b, k + n);
        let delta = excess(c, b, rho);
        let s = bd0(aa, t * rho, delta) + bd0(bb, t * (1.0 - rho), -delta);
        let h = 0.5 * ((n / k).ln_1p() - (c / a).ln_1p() - (b / b0).ln_1p())
            + (stirling_remainder(aa) + stirling_remainder(bb) - stirling_remainder(t))
            - (stirling_remainder(a) + stirling_remainder(b0) - stirling_remainder(k));
        Parts {
            delta,
            s,
            h,
            aa,
            bb,
            t,
        }
    }
}

/// `(ln E, parts)` (the parts are reused by the confidence sequence).
fn mixture(
    canary: u64,
    baseline: u64,
    rho: f64,
    k: f64,
    alternative: Alternative,
    prior_tail: f64,
) -> Result<(f64, Parts)> {
    let pt = Parts::new(canary, baseline, rho, k);
    let two = pt.s + pt.h;
    let log_e = match alternative {
        Alternative::Greater => {
            let (rest, drop_s) = ln_upper_tail(pt.aa, pt.bb, pt.t, rho, 1.0 - rho, pt.delta, pt.s)?;
            (if drop_s { pt.h } else { two }) + rest - prior_tail
        }
        Alternative::Less => {
            // I_rho(A, B) = 1 - I_{1 - rho}(B, A).
            let (rest, drop_s) =
                ln_upper_tail(pt.bb, pt.aa, pt.t, 1.0 - rho, rho, -pt.delta, pt.s)?;
            (if drop_s { pt.h } else { two }) + rest - prior_tail
        }
        _ => two,
    };
    Ok((log_e, pt))
}

/// The rate-ratio interval of the two-sided mixture at one look (not intersected).
///
/// `theta` is inside when `ln E(theta) < ln(1/alpha)`, the mixture tested against `theta`. With
/// `ln E(theta) = ln E(rho) + c ln(rho / theta) + b ln((1 - rho) / (1 - theta))` this is
/// `n KL(theta_hat || theta) < W`, `W = (S0 - s) - h - ln alpha >= -ln alpha`, `S0 =
/// n KL(theta_hat || rho)`, all in the stable deviance form; each end is bisected on the
/// log-odds of `theta` (so the ratio keeps its relative precision at any share), returning the
/// outer end of the final bracket (slightly conservative).
fn rate_ratio_interval(canary: u64, baseline: u64, rho: f64, pt: &Parts, alpha: f64) -> Interval {
    let (c, b) = (canary as f64, baseline as f64);
    let n = c + b;
    if n == 0.0 {
        return Interval {
            lower: 0.0,
            upper: f64::INFINITY,
        };
    }
    let s0 = bd0(c, n * rho, pt.delta) + bd0(b, n * (1.0 - rho), -pt.delta);
    let w = (s0 - pt.s) - pt.h - alpha.ln();
    // n KL(theta_hat || theta) at log-odds l.
    let dev = |l: f64| -> f64 {
        let (th, one_minus) = if l >= 0.0 {
            let e = (-l).exp();
            (1.0 / (1.0 + e), e / (1.0 + e))
        } else {
            let e = l.exp();
            (e / (1.0 + e), 1.0 / (1.0 + e))
        };
        let d = excess(c, b, th);
        bd0(c, n * th, d) + bd0(b, n * one_minus, -d)
    };
    let logit_rho = rho.ln() - (-rho).ln_1p();
    let ratio = |l: f64| (l - logit_rho).exp();
    let l_hat = if c > 0.0 && b > 0.0 {
        c.ln() - b.ln()
    } else if c > 0.0 {
        f64::INFINITY
    } else {
        f64::NEG_INFINITY
    };
    // The end on the side `dir` (-1 lower, +1 upper) of l_hat: inside at `l_in`, find outside.
    let end = |dir: f64| -> Option<f64> {
        // One count is 0 (l_hat infinite): start from a point near theta_hat, inside the set.
        let l_in = if l_hat.is_finite() {
            l_hat
        } else {
            -dir * 40.0
        };
        let mut inside = l_in;
        let mut outside;
        let mut step = 1.0;
        loop {
            let l = l_in + dir * step;
            if l.abs() > 800.0 {
                return None; // theta reaches 0 or 1 (ratio 0 or inf) inside the set
            }
            if dev(l) >= w {
                outside = l;
                break;
            }
            inside = l;
            step *= 2.0;
        }
        for _ in 0..200 {
            let mid = 0.5 * (inside + outside);
            if mid == inside || mid == outside {
                break;
            }
            if dev(mid) < w {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        Some(outside)
    };
    let lower = if c == 0.0 {
        0.0
    } else {
        end(-1.0).map_or(0.0, ratio)
    };
    let upper = if b == 0.0 {
        f64::INFINITY
    } else {
        end(1.0).map_or(f64::INFINITY, ratio)
    };
    Interval { lower, upper }
}

/// The smallest `min(p, q)` for which [`ln_upper_tail`] uses the uniform asymptotic expansion
/// instead of the continued fraction (whose cost grows like the square root of the parameters).
const ASYMPTOTIC_MIN: f64 = 1e8;

/// `ln(1 - I_x(p, q))` as `(rest, drop_s)`: `ln(1 - I) = rest - (drop_s ? s : 0)`, so a caller
/// that adds `s` cancels it exactly. `r = p + q`, `y = 1 - x` (both given, so a tiny `y` keeps
/// its precision), `d = p - r x` (accurate), `s = bd0(p, r x, d)
/// + bd0(q, r (1 - x), -d) = r KL(p / r || x)`.
///
/// - `min(p, q) < 10^8`: the continued fraction for the smaller of `I` and `1 - I` (Numerical
///   Recipes 6.4), with the front factor `x^p (1 - x)^q / (p B(p, q))` in the stable form
///   `-s + (ln p + ln q - ln r) / 2 - ln(2 pi) / 2 - delta(p) - delta(q) + delta(r) - ln p`.
/// - otherwise the uniform expansion (Temme 1992, two terms, relative error `O(min(p, q)^-2)`):
///   with `y = -sign(d) sqrt(2 s)`, `sigma = sqrt(p q) / r`,
///   `1 - I = G [(1 + f2 / r) Q(y) + e^{-s} sigma g / sqrt(2 pi r)]`, `G = e^{delta(r) -
///   delta(p) - delta(q)}`, `sigma g = -sigma r / d - 1 / eta` (its series `f1 + f2 eta` near
///   `eta = 0`), `Q(y) = erfcx(y / sqrt 2) e^{-s} / 2` for `y > 0`.
fn ln_upper_tail(p: f64, q: f64, r: f64, x: f64, y: f64, d: f64, s: f64) -> Result<(f64, bool)> {
    if p.min(q) >= ASYMPTOTIC_MIN {
        return Ok(ln_upper_tail_asymptotic(p, q, r, d, s));
    }
    let front = |p: f64, q: f64| -> f64 {
        0.5 * (p.ln() + q.ln() - r.ln())
            - HALF_LN_2PI
            - stirling_remainder(p)
            - stirling_remainder(q)
            + stirling_remainder(r)
            - p.ln()
    };
    if y < (q + 1.0) / (r + 2.0) {
        // 1 - I_x(p, q) = I_{1-x}(q, p), direct.
        Ok((front(q, p) + ln_cf(q, p, y)?, true))
    } else {
        let ln_i = -s + front(p, q) + ln_cf(p, q, x)?;
        Ok((ln_one_minus_exp(ln_i), false))
    }
}

fn ln_upper_tail_asymptotic(p: f64, q: f64, r: f64, d: f64, s: f64) -> (f64, bool) {
    let sigma = p.sqrt() * q.sqrt() / r;
    let g_ratio = stirling_remainder(r) - stirling_remainder(p) - stirling_remainder(q);
    let alpha = (2.0 / 3.0) * (p / q - q / p);
    let beta = 0.5 * r * (q / (p * p) + p / (q * q));
    let f1 = alpha * sigma / 2.0;
    let f2 = sigma * sigma * (beta / 2.0 - 3.0 * alpha * alpha / 8.0);
    // eta = sign(x - x0) sqrt(2 s / r), x - x0 = -d / r.
    let eta = if d > 0.0 { -1.0 } else { 1.0 } * (2.0 * s / r).sqrt();
    let sg = if eta.abs() < 1e-4 {
        f1 + f2 * eta
    } else {
        -sigma * r / d - 1.0 / eta
    };
    let corr = sg / (2.0 * std::f64::consts::PI * r).sqrt();
    let lead = 1.0 + f2 / r;
    let y = eta * r.sqrt();
    if y > 0.0 {
        let z = (s).sqrt(); // y / sqrt 2
        let inner = lead * 0.5 * erfcx(z) + corr;
        (g_ratio + inner.ln(), true)
    } else {
        let qy = 1.0 - 0.5 * statrs::function::erf::erfc(-y / std::f64::consts::SQRT_2);
        (
            (g_ratio.exp() * (lead * qy + (-s).exp() * corr)).ln(),
            false,
        )
    }
}

/// The scaled complementary error function `e^{z^2} erfc(z)`, `z >= 0`.
fn erfcx(z: f64) -> f64 {
    if z < 25.0 {
        (z * z).exp() * statrs::function::erf::erfc(z)
    } else {
        // Asymptotic series 1/(z sqrt(pi)) sum (-1)^j (2j - 1)!! / (2 z^2)^j, terms < 1e-17.
        let t = 1.0 / (2.0 * z * z);
        let mut term = 1.0;
        let mut sum = 1.0;
        for j in 1..12 {
            term *= -((2 * j - 1) as f64) * t;
            sum += term;
        }
        sum / (z * std::f64::consts::PI.sqrt())
    }
}

/// `ln(1 - e^v)` for `v <= 0`, accurate at both ends.
fn ln_one_minus_exp(v: f64) -> f64 {
    if v > -std::f64::consts::LN_2 {
        (-v.exp_m1()).ln()
    } else {
        (-v.exp()).ln_1p()
    }
}

/// `ln` of the continued fraction of `I_x(a, b) = front * cf` (modified Lentz), valid (fast) for
/// `x < (a + 1) / (a + b + 2)`; at most `1000 + 20 sqrt(min(a, b) + 1)` terms (used for
/// `min(a, b) < 10^8` only).
fn ln_cf(a: f64, b: f64, x: f64) -> Result<f64> {
    let tiny = 1e-300;
    let eps = 1e-16;
    let max_iter = 1000 + (20.0 * (a.min(b) + 1.0).sqrt()) as u64;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=max_iter {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() <= eps {
            return Ok(h.ln());
        }
    }
    Err(Error::degenerate(
        "regularized incomplete beta",
        format!("continued fraction did not converge for a = {a}, b = {b}, x = {x}"),
    ))
}

/// `ln I_x(a, b)`, the log of the regularized incomplete beta function, for general `a, b > 0`,
/// `0 < x < 1` (the continued fraction or, for `min(a, b) >= 10^8`, the uniform expansion, as
/// in [`ln_upper_tail`]; `O(sqrt(min(a, b)))` at most).
///
/// # Errors
/// [`Error::Degenerate`] if the continued fraction does not converge.
pub(crate) fn ln_beta_reg(a: f64, b: f64, x: f64) -> Result<f64> {
    if x <= 0.0 {
        return Ok(f64::NEG_INFINITY);
    }
    if x >= 1.0 {
        return Ok(0.0);
    }
    let r = a + b;
    let d = a - r * x;
    let s = bd0(a, r * x, d) + bd0(b, r * (1.0 - x), -d);
    // I_x(a, b) = 1 - I_{1-x}(b, a).
    let (rest, drop_s) = ln_upper_tail(b, a, r, 1.0 - x, x, -d, s)?;
    Ok(rest - if drop_s { s } else { 0.0 })
}

/// `ln(1 - I_x(a, b)) = ln I_{1-x}(b, a)`, computed directly (not as `1 - I`) where it is the
/// small tail.
///
/// # Errors
/// As [`ln_beta_reg`].
pub(crate) fn ln_beta_reg_upper(a: f64, b: f64, x: f64) -> Result<f64> {
    if x <= 0.0 {
        return Ok(0.0);
    }
    if x >= 1.0 {
        return Ok(f64::NEG_INFINITY);
    }
    let r = a + b;
    let d = a - r * x;
    let s = bd0(a, r * x, d) + bd0(b, r * (1.0 - x), -d);
    let (rest, drop_s) = ln_upper_tail(a, b, r, x, 1.0 - x, d, s)?;
    Ok(rest - if drop_s { s } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_product_equals_closed_form() {
        let (rho, k) = (0.3, 20.0);
        let events = [1u8, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1];
        let (mut c, mut b) = (0u64, 0u64);
        let mut log_e = 0.0;
        for &ev in &events {
            let n = (c + b) as f64;
            if ev == 1 {
                log_e += ((k * rho + c as f64) / (k + n) / rho).ln();
                c += 1;
            } else {
                log_e += ((k * (1.0 - rho) + b as f64) / (k + n) / (1.0 - rho)).ln();
                b += 1;
            }
            let closed = count_log_e(c, b, rho, k, Alternative::TwoSided).unwrap();
            assert!((closed - log_e).abs() < 1e-11, "{closed} vs {log_e}");
        }
    }

    #[test]
    fn log_incomplete_beta_matches_statrs_where_statrs_is_accurate() {
        for &(a, b, x) in &[
            (2.0, 3.0, 0.4),
            (20.0, 80.0, 0.2),
            (50.0, 50.0, 0.55),
            (0.5, 7.0, 0.01),
            (30.0, 3.0, 0.9),
        ] {
            let want = statrs::function::beta::beta_reg(a, b, x);
            let got = ln_beta_reg(a, b, x).unwrap().exp();
            assert!((got - want).abs() < 1e-12 * want.max(1e-300), "{a} {b} {x}");
            let up = ln_beta_reg_upper(a, b, x).unwrap().exp();
            assert!((up - (1.0 - want)).abs() < 1e-12, "{a} {b} {x}");
        }
    }

    #[test]
    fn large_counts_converge() {
        let v = count_log_e(1_000_000, 1_000_300, 0.5, 100.0, Alternative::Greater).unwrap();
        assert!(v.is_finite());
    }

    #[test]
    fn rate_ratio_interval_covers_the_estimate() {
        let pt = |c: u64, b: u64| Parts::new(c, b, 0.25, 100.0);
        let iv = rate_ratio_interval(30, 60, 0.25, &pt(30, 60), 0.05);
        let hat = (30.0 / 90.0) * 0.75 / (0.25 * (60.0 / 90.0));
        assert!(iv.lower < hat && hat < iv.upper);
        let none = rate_ratio_interval(0, 0, 0.25, &pt(0, 0), 0.05);
        assert_eq!(none.lower, 0.0);
        assert_eq!(none.upper, f64::INFINITY);
    }

    #[test]
    fn equal_huge_counts_are_no_evidence_and_the_interval_is_not_a_point() {
        // Issue 13: 1125899906874300 events in each arm (share 0.5) rejected at p = 4.5e-5
        // (log E = 10 from cancellation); the value is -15.375 (mpmath, see
        // fixtures/reference/sequential/mpmath_counts.json), so p = 1. At k >= 1e16 the
        // interval collapsed to a point; it must contain 1 with a positive width.
        let n = 1_125_899_906_874_300u64;
        for k in [100.0, 1e16, 1e20, 1e28] {
            let mut t = CountMixture::new(CountMixtureOptions::new().k(k)).unwrap();
            t.observe_canary(n).unwrap();
            t.observe_baseline(n).unwrap();
            let look = t.look().unwrap();
            assert!(look.log_e <= 0.0, "k = {k}: {}", look.log_e);
            assert_eq!(look.p_value, 1.0);
            let iv = look.rate_ratio;
            assert!(iv.lower < 1.0 && 1.0 < iv.upper, "k = {k}: {iv:?}");
            // The width of a 95% interval at 1.1e15 events per arm is about 1e-6 on the ratio.
            assert!(
                iv.upper - iv.lower > 1e-7 && iv.upper - iv.lower < 1e-5,
                "{iv:?}"
            );
        }
    }

    #[test]
    fn huge_prior_concentration_is_cheap_and_finite() {
        // k = 1e28 did not return (one-sided), k = 1e24 took 5 s per look: now O(1).
        for k in [1e24, 1e28, 1e30] {
            for alt in [
                Alternative::Greater,
                Alternative::Less,
                Alternative::TwoSided,
            ] {
                let opts = CountMixtureOptions::new().k(k).alternative(alt);
                let mut t = CountMixture::new(opts).unwrap();
                t.observe_canary(1000).unwrap();
                t.observe_baseline(900).unwrap();
                let look = t.look().unwrap();
                // The prior pins theta to 1/2: essentially no evidence either way.
                assert!(look.log_e.abs() < 1e-9, "{k} {alt:?}: {}", look.log_e);
            }
        }
        assert!(CountMixture::new(CountMixtureOptions::new().k(1e31)).is_err());
        assert!(CountMixture::new(CountMixtureOptions::new().k(1e-7)).is_err());
    }

    #[test]
    fn tiny_shares_are_refused_or_give_a_finite_interval() {
        // A share of 1e-300 gave p = 0 with the interval [0, inf]; it is now refused, and the
        // smallest accepted share gives a bounded interval around the estimate.
        for share in [1e-300, 0.0, 1e-13, 1.0 - 1e-13, f64::NAN] {
            assert!(matches!(
                CountMixture::new(CountMixtureOptions::new().canary_share(share)),
                Err(Error::InvalidParameter { .. })
            ));
        }
        let mut t = CountMixture::new(CountMixtureOptions::new().canary_share(1e-12)).unwrap();
        t.observe_canary(3).unwrap();
        t.observe_baseline(1000).unwrap();
        let look = t.look().unwrap();
        let hat = 3.0 / 1000.0 * (1.0 - 1e-12) / 1e-12;
        let iv = look.rate_ratio;
        assert!(iv.lower > 0.0 && iv.upper.is_finite(), "{iv:?}");
        assert!(iv.lower < hat && hat < iv.upper, "{iv:?} {hat}");
        assert_eq!(look.decision, Decision::Reject);
    }
}
