//! The machinery shared by every sequential test: log-space e-values, the monotone always-valid
//! p-value, the decision rule and running intersections of confidence sequences.
//!
//! An *e-process* `E_t >= 0` with `E_0 = 1` is a nonnegative supermartingale under the null
//! hypothesis, so Ville's inequality gives `P(exists t: E_t >= 1/alpha) <= alpha`. The
//! always-valid p-value is `p_t = min(p_{t-1}, 1/E_t)`, `p_0 = 1`; it never rises, and
//! `P(exists t: p_t <= alpha) <= alpha`. E-values are kept as natural logarithms so that very
//! large or very small evidence neither overflows nor underflows.
//!
//! Decision rule (every test in this module family): **reject exactly when `p_t < alpha`**. For
//! e-processes this is at least as strict as `E_t >= 1/alpha`; for the DKW tests it is the strict
//! inequality of the band (see [`dkw`](super::dkw)).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What to do after a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Decision {
    /// Not enough evidence yet: keep watching.
    #[serde(rename = "continue")]
    Continue,
    /// The null hypothesis is rejected at the test's `alpha`; the decision is final.
    #[serde(rename = "reject")]
    Reject,
}

impl Decision {
    /// `Reject` when `p_value < alpha`, else `Continue`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::Decision;
    /// assert_eq!(Decision::from_p(0.01, 0.05), Decision::Reject);
    /// assert_eq!(Decision::from_p(0.05, 0.05), Decision::Continue);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn from_p(p_value: f64, alpha: f64) -> Decision {
        if p_value < alpha {
            Decision::Reject
        } else {
            Decision::Continue
        }
    }
}

/// A closed interval `[lower, upper]`; ends may be infinite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end (may be `-inf`).
    #[serde(with = "crate::serde_float::nonfinite")]
    pub lower: f64,
    /// Upper end (may be `+inf`).
    #[serde(with = "crate::serde_float::nonfinite")]
    pub upper: f64,
}

impl Interval {
    /// The whole real line.
    pub const EVERYTHING: Interval = Interval {
        lower: f64::NEG_INFINITY,
        upper: f64::INFINITY,
    };

    /// The intersection with `other`: `[max(lower), min(upper)]`. A confidence sequence
    /// intersected over looks stays valid and only shrinks.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::Interval;
    /// let a = Interval { lower: 0.0, upper: 2.0 };
    /// let b = Interval { lower: 1.0, upper: 3.0 };
    /// assert_eq!(a.intersect(b), Interval { lower: 1.0, upper: 2.0 });
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn intersect(self, other: Interval) -> Interval {
        Interval {
            lower: self.lower.max(other.lower),
            upper: self.upper.min(other.upper),
        }
    }
}

/// The running (always-valid) p-value and the number of looks taken.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunningP {
    /// `p_t = min(p_{t-1}, p(look t))`, starting at 1.
    pub p_value: f64,
    /// Number of looks so far.
    pub looks: u64,
}

impl Default for RunningP {
    fn default() -> Self {
        RunningP {
            p_value: 1.0,
            looks: 0,
        }
    }
}

impl RunningP {
    /// A fresh running p-value (`p_0 = 1`, no looks).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::RunningP;
    /// let mut p = RunningP::new();
    /// assert_eq!(p.update(0.2), 0.2);
    /// assert_eq!(p.update(0.5), 0.2); // never rises
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a look whose instantaneous p-value is `p` (clamped to `[0, 1]`, NaN ignored) and
    /// returns the running minimum.
    pub fn update(&mut self, p: f64) -> f64 {
        self.looks += 1;
        if p < self.p_value {
            self.p_value = p.max(0.0);
        }
        self.p_value
    }
}

/// `min(1, 1/E)` from `ln E`, without overflow (`ln E = +inf` gives 0, `-inf` gives 1).
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::eprocess::p_from_log_e;
/// assert_eq!(p_from_log_e(-1.0), 1.0);
/// assert!((p_from_log_e(20f64.ln()) - 0.05).abs() < 1e-15);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn p_from_log_e(log_e: f64) -> f64 {
    if log_e.is_nan() || log_e <= 0.0 {
        1.0
    } else {
        (-log_e).exp()
    }
}

/// Checks a significance level: finite and strictly between 0 and 1.
pub(crate) fn check_alpha(alpha: f64) -> Result<()> {
    if alpha.is_finite() && alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(Error::param(
            "alpha",
            alpha,
            "must lie strictly between 0 and 1",
        ))
    }
}

/// Checks an observation: finite.
pub(crate) fn check_value(metric: &str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::sample(
            metric,
            format!("observation {value} is not a finite number"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_p_is_monotone_and_counts_looks() {
        let mut p = RunningP::new();
        for (q, want) in [
            (0.9, 0.9),
            (1.0, 0.9),
            (0.3, 0.3),
            (f64::NAN, 0.3),
            (-1.0, 0.0),
        ] {
            assert_eq!(p.update(q), want);
        }
        assert_eq!(p.looks, 5);
    }

    #[test]
    fn alpha_is_checked() {
        assert!(check_alpha(0.05).is_ok());
        for a in [0.0, 1.0, -0.1, f64::NAN, f64::INFINITY] {
            assert!(check_alpha(a).is_err());
        }
    }
}
