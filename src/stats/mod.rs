//! Statistics: ranks, Mann-Whitney U, Hodges-Lehmann shift, bootstrap intervals, effect sizes,
//! quantiles, the exceedance (tail) test, rate tests on counts, multiplicity corrections and
//! anytime-valid sequential tests. Each statistic is implemented once, here; the judges compose
//! them.
//!
//! Conventions shared by every function here: arguments come baseline first, canary second, and
//! every effect, shift or difference is **canary relative to baseline** (`canary - baseline`,
//! `canary / baseline`). [`Alternative::Greater`] means the canary is stochastically larger.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub mod allocation;
pub mod bootstrap;
pub mod effect;
pub mod exceedance;
pub mod hodges_lehmann;
pub mod mann_whitney;
pub mod multiplicity;
pub(crate) mod normal;
pub(crate) mod numeric;
pub mod quantile;
pub mod rank;
pub mod rate;
pub mod sequential;
pub mod step_counts;

/// The alternative hypothesis of a test, or the side of an interval.
///
/// Always read as "canary relative to baseline": `Greater` is "the canary is stochastically
/// larger" (for an interval: a lower bound only), `Less` the reverse (an upper bound only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Alternative {
    /// Two-sided.
    #[default]
    #[serde(rename = "two-sided")]
    TwoSided,
    /// The canary is stochastically smaller than the baseline.
    #[serde(rename = "less")]
    Less,
    /// The canary is stochastically larger than the baseline.
    #[serde(rename = "greater")]
    Greater,
}

/// How a test's null distribution is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Method {
    /// The exact null distribution (no ties allowed).
    #[serde(rename = "exact")]
    Exact,
    /// The tie-corrected normal approximation.
    #[serde(rename = "asymptotic")]
    Asymptotic,
    /// Exact when the data allow it and the samples are small, else asymptotic (each function
    /// documents its rule). Results report the method actually used.
    #[default]
    #[serde(rename = "auto")]
    Auto,
}

/// Checks that a confidence level lies strictly between 0 and 1.
pub(crate) fn check_confidence(confidence: f64) -> Result<()> {
    if confidence.is_finite() && confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(Error::param(
            "confidence",
            confidence,
            "must lie strictly between 0 and 1",
        ))
    }
}

/// Checks that a sample is non-empty and holds finite values only.
pub(crate) fn check_sample(metric: &str, values: &[f64]) -> Result<()> {
    if values.is_empty() {
        return Err(Error::sample(metric, "the sample is empty"));
    }
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::sample(
            metric,
            format!("value {i} is {v}, not a finite number"),
        ));
    }
    Ok(())
}

/// A sorted copy of a checked sample (ascending, `-0.0` and `0.0` compare equal).
pub(crate) fn sorted_sample(metric: &str, values: &[f64]) -> Result<Vec<f64>> {
    check_sample(metric, values)?;
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    // total_cmp orders -0.0 before 0.0; both are equal as numbers, so the order is harmless for
    // every rank computation below, which compares with `<` and `==`.
    Ok(v)
}
