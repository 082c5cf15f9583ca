//! Rate tests on event counts: is the canary's event rate different from the baseline's?
//!
//! # Definitions
//! Baseline counts `b_1..b_n` over `n` steps and canary counts `c_1..c_m` over `m` steps (events
//! per step, e.g. errors per minute), with totals `B`, `C` and `T = B + C`. Under equal Poisson
//! rates per step, conditional on `T` the canary's total is `Binomial(T, p0)` with
//! `p0 = m / (n + m)` (Przyborowski and Wilenski 1940; the exact conditional test, R's
//! `poisson.test(c(C, B), c(m, n))` and `binom.test(C, T, p0)`).
//!
//! - **Exact** ([`Method::Exact`]): `P(X >= C) = I_{p0}(C, T - C + 1)` for
//!   [`Alternative::Greater`] (1 when `C = 0`), `P(X <= C) = I_{1 - p0}(T - C, C + 1)` for
//!   [`Alternative::Less`] (1 when `C = T`), with `I` the regularized incomplete beta function
//!   evaluated in log space (as `scipy.stats.binomtest(C, T, p0, alternative=...)`).
//! - **Quasi-binomial** ([`Method::Asymptotic`]): when the per-step counts are overdispersed
//!   (e.g. zero-inflated or bursty), the binomial variance is too small and the exact test far
//!   too liberal. With the dispersion
//!   `phi = (sum (b_i - B/n)^2 + sum (c_j - C/m)^2) / (n + m - 2) / (T / (n + m))` (pooled
//!   within-side variance over pooled mean; 1 when `n + m = 2` or `T = 0`), the canary total is
//!   approximately normal with mean `T p0` and variance `max(phi, 1) T p0 (1 - p0)`; with
//!   `d = C - T p0` and continuity correction 1/2, `p_greater = P(Z > (d - 1/2) / sd)` and
//!   `p_less = P(Z > (-d - 1/2) / sd)`, the quasi-likelihood approach of Wedderburn 1974
//!   (McCullagh and Nelder 1989, section 4.5).
//! - [`Method::Auto`]: exact when every count is an integer and `phi <= 1`, else quasi-binomial.
//! - **Two-sided**: `min(1, 2 min(p_greater, p_less))` (the doubled one-sided, "central"
//!   p-value; R's `binom.test` and scipy's `binomtest` instead sum the outcomes no more likely
//!   than the observed one, which can be smaller).
//! - With no events on either side (`T = 0`) every p-value is 1.
//!
//! The effect is the **rate ratio** `(C / m) / (B / n)`: `inf` when `B = 0 < C`, 1 when
//! `B = C = 0`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::sequential::counts::{ln_beta_reg, ln_beta_reg_upper};
use crate::stats::{Alternative, Method, normal};

/// Options of [`rate_test`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RateOptions {
    alternative: Alternative,
    method: Method,
}

impl RateOptions {
    /// Defaults: two-sided, [`Method::Auto`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::{Alternative, Method};
    /// use canary_analysis::stats::rate::RateOptions;
    /// let opts = RateOptions::new().alternative(Alternative::Greater).method(Method::Exact);
    /// assert_eq!(opts.get_method(), Method::Exact);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The alternative: `Greater` is "the canary's rate is higher".
    pub fn alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }

    /// Exact conditional binomial, quasi-binomial ([`Method::Asymptotic`]) or automatic.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The configured alternative.
    pub fn get_alternative(&self) -> Alternative {
        self.alternative
    }

    /// The configured method.
    pub fn get_method(&self) -> Method {
        self.method
    }
}

/// The result of [`rate_test`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateTest {
    /// The alternative tested.
    pub alternative: Alternative,
    /// The method used: [`Method::Exact`] or [`Method::Asymptotic`] (quasi-binomial).
    pub method: Method,
    /// The p-value of the alternative.
    pub p_value: f64,
    /// Number of baseline steps `n`.
    pub n_baseline: usize,
    /// Number of canary steps `m`.
    pub n_canary: usize,
    /// Baseline events `B`.
    pub baseline_events: f64,
    /// Canary events `C`.
    pub canary_events: f64,
    /// `(C / m) / (B / n)`; `inf` when `B = 0 < C`, 1 when `B = C = 0`.
    #[serde(with = "crate::serde_float::nonfinite")]
    pub rate_ratio: f64,
    /// The dispersion `phi` of the per-step counts (1 for Poisson counts).
    pub dispersion: f64,
}

/// The rate test of the canary's counts against the baseline's (see the [module docs](self)).
///
/// # Errors
/// [`Error::InvalidSample`] for an empty side, a non-finite or a negative count, or a count
/// that is not an integer with [`Method::Exact`]; [`Error::Degenerate`] if the incomplete beta
/// function does not converge.
///
/// # Example
/// ```
/// use canary_analysis::stats::{Alternative, Method};
/// use canary_analysis::stats::rate::{rate_test, RateOptions};
/// // 2 baseline errors in 5 minutes, 9 canary errors in 5 minutes
/// let t = rate_test(&[0.0, 1.0, 0.0, 1.0, 0.0], &[2.0, 1.0, 3.0, 2.0, 1.0],
///     &RateOptions::new().alternative(Alternative::Greater))?;
/// assert_eq!(t.method, Method::Exact);
/// assert_eq!(t.rate_ratio, 4.5);
/// // P(X >= 9) for X ~ Binomial(11, 1/2): (C(11, 9) + C(11, 10) + C(11, 11)) / 2^11 = 67 / 2048
/// assert!((t.p_value - 67.0 / 2048.0).abs() < 1e-12);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn rate_test(baseline: &[f64], canary: &[f64], opts: &RateOptions) -> Result<RateTest> {
    check_counts("baseline", baseline)?;
    check_counts("canary", canary)?;
    if opts.method == Method::Exact {
        for (name, side) in [("baseline", baseline), ("canary", canary)] {
            if let Some(v) = side.iter().find(|v| v.fract() != 0.0) {
                return Err(Error::sample(
                    name,
                    format!("the exact rate test needs whole counts, got {v}"),
                ));
            }
        }
    }
    rate_test_unchecked(baseline, canary, opts)
}

fn check_counts(name: &str, v: &[f64]) -> Result<()> {
    crate::stats::check_sample(name, v)?;
    if let Some(x) = v.iter().find(|x| **x < 0.0) {
        return Err(Error::sample(
            name,
            format!("counts must not be negative, got {x}"),
        ));
    }
    Ok(())
}

/// [`rate_test`] on non-empty, finite, non-negative counts (not checked).
pub(crate) fn rate_test_unchecked(
    baseline: &[f64],
    canary: &[f64],
    opts: &RateOptions,
) -> Result<RateTest> {
    let (b, c) = (baseline, canary);
    let (n, m) = (b.len() as f64, c.len() as f64);
    let bs: f64 = b.iter().sum();
    let cs: f64 = c.iter().sum();
    let total = bs + cs;
    let p0 = m / (n + m);
    let rb = bs / n;
    let rc = cs / m;
    let rate_ratio = if rb > 0.0 {
        rc / rb
    } else if rc > 0.0 {
        f64::INFINITY
    } else {
        1.0
    };
    // Dispersion of the per-step counts around each side's mean.
    let ss: f64 = b.iter().map(|x| (x - rb) * (x - rb)).sum::<f64>()
        + c.iter().map(|x| (x - rc) * (x - rc)).sum::<f64>();
    let df = n + m - 2.0;
    let pooled = total / (n + m);
    let phi = if df > 0.0 && pooled > 0.0 {
        ss / df / pooled
    } else {
        1.0
    };
    let method = match opts.method {
        Method::Auto => {
            if phi <= 1.0 && b.iter().chain(c).all(|v| v.fract() == 0.0) {
                Method::Exact
            } else {
                Method::Asymptotic
            }
        }
        other => other,
    };
    let (p_up, p_down) = if total == 0.0 {
        (1.0, 1.0)
    } else if method == Method::Exact {
        let up = if cs <= 0.0 {
            1.0
        } else {
            ln_beta_reg(cs, total - cs + 1.0, p0)?.exp()
        };
        let down = if cs >= total {
            1.0
        } else {
            ln_beta_reg_upper(cs + 1.0, total - cs, p0)?.exp()
        };
        (up.clamp(0.0, 1.0), down.clamp(0.0, 1.0))
    } else {
        let sd = (phi.max(1.0) * total * p0 * (1.0 - p0)).sqrt();
        let d = cs - total * p0;
        (normal::sf((d - 0.5) / sd), normal::sf((-d - 0.5) / sd))
    };
    let p_value = match opts.alternative {
        Alternative::Greater => p_up,
        Alternative::Less => p_down,
        _ => (2.0 * p_up.min(p_down)).min(1.0),
    };
    Ok(RateTest {
        alternative: opts.alternative,
        method,
        p_value,
        n_baseline: b.len(),
        n_canary: c.len(),
        baseline_events: bs,
        canary_events: cs,
        rate_ratio,
        dispersion: phi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_baseline_gives_the_closed_form() {
        // B = 0, C events: P(X >= C | T = C) = p0^C.
        let t = rate_test(
            &[0.0; 4],
            &[1.0, 0.0, 1.0, 1.0],
            &RateOptions::new().alternative(Alternative::Greater),
        )
        .unwrap();
        assert!((t.p_value - 0.125).abs() < 1e-12, "{}", t.p_value);
        assert_eq!(t.rate_ratio, f64::INFINITY);
    }

    #[test]
    fn bad_counts_are_errors() {
        let o = RateOptions::new();
        assert!(rate_test(&[], &[1.0], &o).is_err());
        assert!(rate_test(&[-1.0], &[1.0], &o).is_err());
        assert!(rate_test(&[0.5], &[1.0], &o.method(Method::Exact)).is_err());
        assert!(rate_test(&[f64::INFINITY], &[1.0], &o).is_err());
    }
}
