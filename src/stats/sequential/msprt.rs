//! Means of (transformed) metrics: the normal-mixture mSPRT (Johari, Koomen, Pekelis & Walsh,
//! "Always valid inference: continuous monitoring of A/B tests", Operations Research 2022).
//!
//! With `Dhat = mean(canary) - mean(baseline)` of the transformed observations, the plug-in
//! variance `V = sigma^2 (1/n_B + 1/n_C)` and a normal mixture `N(delta0, tau^2)` over the true
//! difference, the mixture likelihood ratio is
//!
//! ```text
//! ln Lambda = 0.5 ln(V / (V + tau^2)) + tau^2 (Dhat - delta0)^2 / (2 V (V + tau^2))
//! ```
//!
//! and the confidence sequence is `Dhat +/- sqrt(V (V + tau^2) / tau^2 * ln((V + tau^2) /
//! (V alpha^2)))` ([`normal_mixture`]). `ln Lambda` written with `s = Dhat / V`, `v = 1 / V`,
//! `rho = 1 / tau^2` is the normal mixture of Howard, Ramdas, McAuliffe & Sekhon (2021),
//! `0.5 ln(rho / (v + rho)) + s^2 / (2 (v + rho))`, which is how the reference fixtures map onto
//! `confseq`'s `normal_log_mixture`.
//!
//! `sigma^2` is the pooled sample variance of the transformed observations
//! (`(SS_B + SS_C) / (n_B + n_C - 2)`, Welford updates with the sums of squares kept scaled by
//! an exact power of two, and `V` carried in log space when it leaves the `f64` range), so values
//! anywhere in the `f64` range (e.g. near `+-1e200` under the identity transform, whose squares
//! overflow) give the correct statistic instead of a silent "no variance". `ln Lambda` is then
//! correct for the configured `tau^2`: with values near `1e200` a `tau^2` near 1 puts almost no
//! prior mass on differences of that size, so such a shift needs very many observations; scale
//! `tau^2` to the data (or use the log transform). The refusals, at the look, are a difference
//! of means that itself overflows ([`Error::InvalidSample`]) and a `tau^2` below `1e-50` of `V`
//! ([`Error::InvalidParameter`]: no shift could ever be detected, e.g. raw values near `1e200`,
//! whose matching `tau^2` is not an `f64`). Every operation is `O(1)`.
//!
//! A variance estimated from very few
//! points makes the test anti-conservative (a plug-in from `n = 2` raised A/A false alarms to
//! about 8% in simulation), so nothing is tested until each arm has `burn_in` observations
//! (default 100); `examples/sequential_simulation.rs` checks the A/A rate with this default.
//!
//! Transforms: [`Transform::Log`] (default) tests the difference of mean log values, i.e. the
//! ratio of geometric means (log latency); values must then be positive. [`Transform::Identity`]
//! tests raw means. The mixing variance `tau^2` is in the transformed units (default `0.01`:
//! about a 10% relative change on the log scale).

use serde::{Deserialize, Serialize};

use super::Arm;
use super::eprocess::{Decision, Interval, RunningP, check_alpha, check_value, p_from_log_e};
use crate::error::{Error, Result};

/// How observations are transformed before their means are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Transform {
    /// Natural log (values must be > 0): the difference is the log ratio of geometric means.
    #[default]
    #[serde(rename = "log")]
    Log,
    /// No transform: the difference of arithmetic means.
    #[serde(rename = "identity")]
    Identity,
}

/// `ln Lambda` and the confidence-sequence half width at one look.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NormalMixture {
    /// Natural log of the mixture likelihood ratio.
    pub log_lambda: f64,
    /// Half width of the confidence sequence around `Dhat`.
    pub half_width: f64,
}

/// The normal-mixture statistic for an observed difference (see the [module docs](self)).
///
/// `v` is the variance of the difference (`sigma^2 (1/n_B + 1/n_C)`), `tau2` the mixing
/// variance, `null_difference` the hypothesised difference `delta0`.
///
/// Time `O(1)`. When an intermediate product leaves the `f64` range (e.g. `v` or `tau2` near
/// `1e300`) the same formulas are evaluated in log space.
///
/// # Errors
/// [`Error::InvalidParameter`] if `v` or `tau2` is not finite and > 0, a difference is not
/// finite, or `alpha` is not in (0, 1).
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::normal_mixture;
/// // confseq: normal_log_mixture(s=10, v=100, v_opt=100) = -0.6510052 (two-sided).
/// let rho = 100.0 / (2.0 * 20f64.ln() + (1.0 + 2.0 * 20f64.ln()).ln());
/// let m = normal_mixture(10.0 / 100.0, 1.0 / 100.0, 1.0 / rho, 0.0, 0.05)?;
/// assert!((m.log_lambda + 0.6510052).abs() < 1e-6);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn normal_mixture(
    difference: f64,
    v: f64,
    tau2: f64,
    null_difference: f64,
    alpha: f64,
) -> Result<NormalMixture> {
    if !(v.is_finite() && v > 0.0) {
        return Err(Error::param("v", v, "must be finite and > 0"));
    }
    if !(tau2.is_finite() && tau2 > 0.0) {
        return Err(Error::param("tau2", tau2, "must be finite and > 0"));
    }
    if !difference.is_finite() {
        return Err(Error::param("difference", difference, "must be finite"));
    }
    if !null_difference.is_finite() {
        return Err(Error::param(
            "null_difference",
            null_difference,
            "must be finite",
        ));
    }
    check_alpha(alpha)?;
    let dev = difference - null_difference;
    let log_lambda = 0.5 * (v / (v + tau2)).ln() + tau2 * dev * dev / (2.0 * v * (v + tau2));
    let half_width = (v * (v + tau2) / tau2 * ((v + tau2) / (v * alpha * alpha)).ln()).sqrt();
    if log_lambda.is_finite() && half_width.is_finite() {
        return Ok(NormalMixture {
            log_lambda,
            half_width,
        });
    }
    // An intermediate product overflowed or underflowed (e.g. V or tau^2 near 1e300): the same
    // quantities in log space.
    Ok(log_form(dev, v.ln(), tau2, alpha))
}

/// [`normal_mixture`] from `ln V` (the variance of the difference may lie beyond the `f64`
/// range, e.g. for raw values near `1e200`): `v` is `V` itself when it is a positive normal
/// `f64`, in which case the result is exactly [`normal_mixture`]'s; otherwise, with
/// `r = tau^2 / V`,
/// `ln Lambda = -ln(1 + r) / 2 + r / (1 + r) (Dhat - delta0)^2 / (2 V)` and the half width
/// `exp((ln V + ln(1 + 1/r) + ln(ln(1 + r) - 2 ln alpha)) / 2)`, all in log space (an infinite
/// half width means an unbounded interval, never a wrong one).
fn normal_mixture_ln_v(
    difference: f64,
    ln_v: f64,
    v: f64,
    tau2: f64,
    null_difference: f64,
    alpha: f64,
) -> Result<NormalMixture> {
    if v.is_normal() && v.is_finite() {
        return normal_mixture(difference, v, tau2, null_difference, alpha);
    }
    check_alpha(alpha)?;
    let dev = difference - null_difference;
    if !dev.is_finite() {
        return Err(Error::param("difference", difference, "must be finite"));
    }
    Ok(log_form(dev, ln_v, tau2, alpha))
}

/// The normal mixture in log space from `ln V` (see [`normal_mixture_ln_v`]).
fn log_form(dev: f64, ln_v: f64, tau2: f64, alpha: f64) -> NormalMixture {
    let ln_r = tau2.ln() - ln_v;
    let ln1p_r = if ln_r > 36.0 {
        ln_r + (-ln_r).exp().ln_1p()
    } else {
        ln_r.exp().ln_1p()
    };
    let r_over = 1.0 / (1.0 + (-ln_r).exp()); // r / (1 + r)
    let quad = if dev == 0.0 {
        0.0
    } else {
        (2.0 * dev.abs().ln() - std::f64::consts::LN_2 - ln_v).exp()
    };
    let log_lambda = -0.5 * ln1p_r + r_over * quad;
    let ln_inv_r_1p = if -ln_r > 36.0 {
        -ln_r + ln_r.exp().ln_1p()
    } else {
        (-ln_r).exp().ln_1p()
    };
    let half_width = (0.5 * (ln_v + ln_inv_r_1p + (ln1p_r - 2.0 * alpha.ln()).ln())).exp();
    NormalMixture {
        log_lambda,
        half_width,
    }
}

/// `ln(tau^2 / V)` below this (`tau^2 < 1e-50 V`) makes a look an error rather than a silent
/// "no evidence" (see [`Msprt::look`]).
const MIN_LN_PRIOR_RATIO: f64 = -115.129_254_649_702_28; // ln(1e-50)

/// Options of [`Msprt`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MsprtOptions {
    alpha: f64,
    tau2: f64,
    burn_in: u64,
    transform: Transform,
    null_difference: f64,
}

impl Default for MsprtOptions {
    fn default() -> Self {
        MsprtOptions {
            alpha: 0.05,
            tau2: 0.01,
            burn_in: 100,
            transform: Transform::Log,
            null_difference: 0.0,
        }
    }
}

impl MsprtOptions {
    /// Defaults: `alpha = 0.05`, `tau2 = 0.01`, burn-in 100 per arm, log transform, null
    /// difference 0.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{MsprtOptions, Transform};
    /// let opts = MsprtOptions::new().tau2(0.04).burn_in(200).transform(Transform::Identity);
    /// assert_eq!(opts.get_burn_in(), 200);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Significance level of the decision and the confidence sequence.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// Mixing variance `tau^2 > 0` (transformed units).
    pub fn tau2(mut self, tau2: f64) -> Self {
        self.tau2 = tau2;
        self
    }
    /// Observations each arm needs before the first test (at least 2).
    pub fn burn_in(mut self, burn_in: u64) -> Self {
        self.burn_in = burn_in;
        self
    }
    /// The transform applied to each observation.
    pub fn transform(mut self, transform: Transform) -> Self {
        self.transform = transform;
        self
    }
    /// The null difference `delta0` (transformed units).
    pub fn null_difference(mut self, delta0: f64) -> Self {
        self.null_difference = delta0;
        self
    }
    /// The configured `alpha`.
    pub fn get_alpha(&self) -> f64 {
        self.alpha
    }
    /// The configured `tau^2`.
    pub fn get_tau2(&self) -> f64 {
        self.tau2
    }
    /// The configured burn-in.
    pub fn get_burn_in(&self) -> u64 {
        self.burn_in
    }
    /// The configured transform.
    pub fn get_transform(&self) -> Transform {
        self.transform
    }

    fn validate(&self) -> Result<()> {
        check_alpha(self.alpha)?;
        if !(self.tau2.is_finite() && self.tau2 > 0.0) {
            return Err(Error::param("tau2", self.tau2, "must be finite and > 0"));
        }
        if self.burn_in < 2 {
            return Err(Error::param("burn_in", self.burn_in, "must be at least 2"));
        }
        if !self.null_difference.is_finite() {
            return Err(Error::param(
                "null_difference",
                self.null_difference,
                "must be finite",
            ));
        }
        Ok(())
    }
}

/// Welford running mean and sum of squared deviations, the latter kept scaled by `4^-e` with
/// `2^e` near the largest magnitude seen (`e = 0` while every value lies in `[2^-400, 2^400]`), so neither the squares of values near `1e200` overflow
/// nor those of values near `1e-200` underflow. Scaling by powers of two is exact, so for
/// ordinary data the result is bit-identical to the unscaled recurrence.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
struct Moments {
    n: u64,
    mean: f64,
    /// `SS * 4^-exp`.
    ss: f64,
    /// The scale exponent (0 until a value needs scaling).
    #[serde(default)]
    exp: i32,
}

/// `x * 2^e` for `|e| <= 2100`, in steps that neither overflow nor underflow early.
fn scale2(mut x: f64, mut e: i32) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e)
}

/// The exponent to scale by for a value `x`: 0 for magnitudes in `[2^-400, 2^400]`, else the
/// binary exponent of `x` (so squares of scaled values stay near 1).
fn scale_exp_of(x: f64) -> i32 {
    let a = x.abs();
    if a == 0.0 || (a >= 2f64.powi(-400) && a <= 2f64.powi(400)) {
        0
    } else {
        a.log2().floor() as i32
    }
}

impl Moments {
    fn push(&mut self, x: f64) {
        let want = scale_exp_of(x);
        if self.n == 0 || (self.mean == 0.0 && self.ss == 0.0) {
            // Nothing accumulated yet (or only zeros): take this value's scale.
            self.exp = want;
        } else if want > self.exp {
            // A larger magnitude: rescale the accumulated sum (exact unless it underflows, when
            // it is negligible against the new squares).
            self.ss = scale2(self.ss, 2 * (self.exp - want));
            self.exp = want;
        }
        self.n += 1;
        let s = -self.exp;
        let delta = scale2(x, s) - scale2(self.mean, s);
        self.mean += scale2(delta / self.n as f64, self.exp);
        self.ss += delta * (scale2(x, s) - scale2(self.mean, s));
    }
}

/// The result of one look of an [`Msprt`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MsprtLook {
    /// 1-based index of this look.
    pub look: u64,
    /// Baseline observations so far.
    pub n_baseline: u64,
    /// Canary observations so far.
    pub n_canary: u64,
    /// `mean(canary) - mean(baseline)` of the transformed values (`None` before the burn-in).
    pub difference: Option<f64>,
    /// `ln Lambda` (`None` before the burn-in or with zero variance).
    pub log_lambda: Option<f64>,
    /// Always-valid p-value (running minimum of `min(1, 1/Lambda)`).
    pub p_value: f64,
    /// `Reject` when `p_value < alpha`.
    pub decision: Decision,
    /// Confidence sequence for the difference, intersected over looks.
    pub confidence_sequence: Interval,
}

/// Streaming mSPRT on the difference of means (see the [module docs](self)).
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::{Decision, Msprt, MsprtOptions};
/// let mut test = Msprt::new(MsprtOptions::new())?;
/// let base: Vec<f64> = (0..500).map(|i| 100.0 + (i % 10) as f64).collect();
/// let can: Vec<f64> = base.iter().map(|v| v * 1.3).collect();
/// test.observe_baseline(&base)?;
/// test.observe_canary(&can)?;
/// let look = test.look()?;
/// assert_eq!(look.decision, Decision::Reject);
/// assert!(look.confidence_sequence.lower < 1.3f64.ln() && 1.3f64.ln() < look.confidence_sequence.upper);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Msprt {
    opts: MsprtOptions,
    base: Moments,
    can: Moments,
    running: RunningP,
    cs: Interval,
}

impl Msprt {
    /// A fresh test.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `alpha` outside (0, 1), `tau2 <= 0`, `burn_in < 2` or a
    /// non-finite null difference.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Msprt, MsprtOptions};
    /// assert!(Msprt::new(MsprtOptions::new().burn_in(1)).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(opts: MsprtOptions) -> Result<Self> {
        opts.validate()?;
        Ok(Msprt {
            opts,
            base: Moments::default(),
            can: Moments::default(),
            running: RunningP::new(),
            cs: Interval::EVERYTHING,
        })
    }

    /// The options.
    pub fn options(&self) -> &MsprtOptions {
        &self.opts
    }

    /// The transformed value of one observation, or the error [`observe`](Self::observe) would
    /// return; changes nothing.
    pub(crate) fn transformed(&self, arm: Arm, value: f64) -> Result<f64> {
        let name = match arm {
            Arm::Baseline => "baseline",
            Arm::Canary => "canary",
        };
        check_value(name, value)?;
        match self.opts.transform {
            Transform::Log => {
                if value > 0.0 {
                    Ok(value.ln())
                } else {
                    Err(Error::sample(
                        name,
                        format!("observation {value} must be > 0 for the log transform"),
                    ))
                }
            }
            Transform::Identity => Ok(value),
        }
    }

    /// Adds one observation to `arm`. Time `O(1)`.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] for a NaN or infinite value, or a value `<= 0` under the log
    /// transform (nothing is added).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Arm, Msprt, MsprtOptions};
    /// let mut test = Msprt::new(MsprtOptions::new())?;
    /// test.observe(Arm::Baseline, 12.0)?;
    /// assert!(test.observe(Arm::Baseline, 0.0).is_err());
    /// assert_eq!(test.counts(), (1, 0));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe(&mut self, arm: Arm, value: f64) -> Result<()> {
        let x = self.transformed(arm, value)?;
        match arm {
            Arm::Baseline => self.base.push(x),
            Arm::Canary => self.can.push(x),
        }
        Ok(())
    }

    /// Adds a batch of baseline observations (the same state as one at a time).
    ///
    /// # Errors
    /// As [`observe`](Self::observe); on error nothing is added.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Msprt, MsprtOptions};
    /// let mut test = Msprt::new(MsprtOptions::new())?;
    /// test.observe_baseline(&[1.0, 2.0])?;
    /// assert_eq!(test.counts(), (2, 0));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe_baseline(&mut self, values: &[f64]) -> Result<()> {
        self.observe_batch(Arm::Baseline, values)
    }

    /// Adds a batch of canary observations (the same state as one at a time).
    ///
    /// # Errors
    /// As [`observe`](Self::observe); on error nothing is added.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Msprt, MsprtOptions};
    /// let mut test = Msprt::new(MsprtOptions::new())?;
    /// test.observe_canary(&[1.0, 2.0])?;
    /// assert_eq!(test.counts(), (0, 2));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe_canary(&mut self, values: &[f64]) -> Result<()> {
        self.observe_batch(Arm::Canary, values)
    }

    fn observe_batch(&mut self, arm: Arm, values: &[f64]) -> Result<()> {
        for &v in values {
            self.transformed(arm, v)?;
        }
        for &v in values {
            self.observe(arm, v)?;
        }
        Ok(())
    }

    /// `(baseline, canary)` observation counts.
    pub fn counts(&self) -> (u64, u64) {
        (self.base.n, self.can.n)
    }

    /// The always-valid p-value as of the last look.
    pub fn p_value(&self) -> f64 {
        self.running.p_value
    }

    /// The decision as of the last look.
    pub fn decision(&self) -> Decision {
        Decision::from_p(self.running.p_value, self.opts.alpha)
    }

    /// Takes a look. Before the burn-in, or while the pooled variance is 0, the look records
    /// `p = 1` and leaves the confidence sequence unchanged.
    ///
    /// Time `O(1)`.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] if the difference of the means overflows `f64` (values about
    /// `1e308` apart); [`Error::InvalidParameter`] (`tau2`) when `tau^2 < 1e-50 V`, a prior so
    /// far below the data's scale that no shift could ever be detected (e.g. raw values near
    /// `1e200`, whose matching `tau^2` is beyond the `f64` range) — an error instead of a
    /// silent `Continue`; otherwise none for states built through this API.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Msprt, MsprtOptions};
    /// let mut test = Msprt::new(MsprtOptions::new().burn_in(5))?;
    /// test.observe_baseline(&[1.0, 2.0, 3.0])?;
    /// assert_eq!(test.look()?.log_lambda, None); // burn-in not reached
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn look(&mut self) -> Result<MsprtLook> {
        let (nb, nc) = (self.base.n, self.can.n);
        let burnt_in = nb >= self.opts.burn_in && nc >= self.opts.burn_in;
        let mut difference = None;
        let mut log_lambda = None;
        let mut p_now = 1.0;
        if burnt_in {
            let d = self.can.mean - self.base.mean;
            if !d.is_finite() {
                return Err(Error::sample(
                    "canary",
                    "the difference of the means overflows (values beyond about 1e308 apart)",
                ));
            }
            difference = Some(d);
            // Pooled variance at a common scale 4^e (exact rescaling), then V in log space.
            let e = self.base.exp.max(self.can.exp);
            let ss = scale2(self.base.ss, 2 * (self.base.exp - e))
                + scale2(self.can.ss, 2 * (self.can.exp - e));
            let v_scaled = ss / ((nb + nc - 2) as f64) * (1.0 / nb as f64 + 1.0 / nc as f64);
            let ln_v = v_scaled.ln() + f64::from(2 * e) * std::f64::consts::LN_2;
            if v_scaled > 0.0
                && v_scaled.is_finite()
                && self.opts.tau2.ln() - ln_v < MIN_LN_PRIOR_RATIO
            {
                // Not silent: with tau^2 below 1e-50 of V no shift is detectable (values near
                // 1e200 under the identity transform, where no f64 tau^2 matches the data).
                return Err(Error::param(
                    "tau2",
                    self.opts.tau2,
                    format!(
                        "is below 1e-50 of the variance of the difference (ln V = {ln_v:.1}): \
                         the test cannot detect any shift at this scale; rescale the data or \
                         tau2, or use the log transform"
                    ),
                ));
            }
            if v_scaled > 0.0 && v_scaled.is_finite() {
                let m = normal_mixture_ln_v(
                    d,
                    ln_v,
                    scale2(v_scaled, 2 * e),
                    self.opts.tau2,
                    self.opts.null_difference,
                    self.opts.alpha,
                )?;
                log_lambda = Some(m.log_lambda);
                p_now = p_from_log_e(m.log_lambda);
                self.cs = self.cs.intersect(Interval {
                    lower: d - m.half_width,
                    upper: d + m.half_width,
                });
            }
        }
        let p = self.running.update(p_now);
        Ok(MsprtLook {
            look: self.running.looks,
            n_baseline: nb,
            n_canary: nc,
            difference,
            log_lambda,
            p_value: p,
            decision: Decision::from_p(p, self.opts.alpha),
            confidence_sequence: self.cs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(scale: f64, shift: f64, n: usize, tau2: f64) -> MsprtLook {
        let mut m = Msprt::new(
            MsprtOptions::new()
                .transform(Transform::Identity)
                .tau2(tau2),
        )
        .unwrap();
        for i in 0..n {
            let e = ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
            m.observe(Arm::Baseline, scale * (1.0 + e)).unwrap();
            m.observe(Arm::Canary, scale * (1.0 + shift + e)).unwrap();
        }
        m.look().unwrap()
    }

    #[test]
    fn huge_values_give_the_statistic_of_the_rescaled_data() {
        // Values near 1e154 (the sum of squares, about 1e310, overflows f64) and near 1e-150,
        // with tau^2 scaled like the data: ln Lambda is invariant under (x, tau^2) ->
        // (c x, c^2 tau^2), so it must equal the statistic of the same data at scale 1 up to
        // rounding. (For values near 1e200 the matching tau^2, 1e396, is not an f64.)
        let small = feed(1.0, 0.05, 2000, 1e-4);
        for scale in [1e154, -1e154, 1e-150] {
            let big = feed(scale, 0.05, 2000, 1e-4 * scale * scale);
            let (a, b) = (small.log_lambda.unwrap(), big.log_lambda.unwrap());
            assert!((a - b).abs() <= 1e-9 * a.abs(), "{scale}: {a} vs {b}");
            assert_eq!(big.decision, small.decision);
        }
        assert_eq!(small.decision, Decision::Reject);
    }

    #[test]
    fn huge_values_are_computed_or_refused_never_silently_dropped() {
        // Values near 1e200 (the issue's attack): V is near 1e396 (beyond f64) and
        // tau^2 = 1e300, so r = tau^2 / V is about 1e-96 < 1e-50 and no shift can ever be
        // detected: the look is a typed error (formerly `None`, "no variance", and `Continue`
        // forever, silently).
        let mut m = Msprt::new(
            MsprtOptions::new()
                .transform(Transform::Identity)
                .tau2(1e300),
        )
        .unwrap();
        for i in 0..2000 {
            let e = ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
            m.observe(Arm::Baseline, 1e200 * (1.0 + e)).unwrap();
            m.observe(Arm::Canary, 1e200 * (3.0 + e)).unwrap();
        }
        assert!(matches!(m.look(), Err(Error::InvalidParameter { .. })));
        // V near 1e305 (beyond the naive products) with tau^2 = 1e300: computed, finite.
        let look = feed(1e154, 2.0, 2000, 1e300);
        let l = look.log_lambda.expect("a statistic, not None");
        assert!(l.is_finite(), "{l}");
        assert!(look.confidence_sequence.upper > look.confidence_sequence.lower);
    }

    #[test]
    fn ordinary_data_are_bit_identical_to_plain_welford() {
        let xs: Vec<f64> = (0..500).map(|i| 100.0 + ((i * 37) % 17) as f64).collect();
        let mut m = Moments::default();
        let (mut n, mut mean, mut ss) = (0u64, 0.0f64, 0.0f64);
        for &x in &xs {
            m.push(x);
            n += 1;
            let delta = x - mean;
            mean += delta / n as f64;
            ss += delta * (x - mean);
        }
        assert_eq!((m.mean, m.ss, m.exp), (mean, ss, 0));
    }
}
