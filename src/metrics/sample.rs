//! Validated samples and the NaN/gap policy.
//!
//! A [`Sample`] is a non-empty vector of finite `f64` values. It is validated once, at
//! construction, and every statistic downstream can trust it.
//!
//! Raw metric data are rarely that clean: a time series has gaps (steps with no data, written as
//! NaN by Kayenta, `"NaN"` by Prometheus, an empty field in CSV) and sometimes infinities (a rate
//! divided by a zero denominator). [`Sample::with_policy`] turns such raw values into a `Sample`
//! under an explicit [`NanPolicy`], and returns a [`Cleaned`] that records the policy applied and
//! how many values it touched.
//!
//! **Definition.** The policy applies to every *non-finite* value: NaN, `+inf` and `-inf`.
//! - [`NanPolicy::Remove`] drops them (Kayenta's `nanStrategy: remove`, its default);
//! - [`NanPolicy::Replace`] substitutes a finite value (Kayenta's `nanStrategy: replace` is
//!   `Replace(0.0)`);
//! - [`NanPolicy::Fail`] returns [`Error::InvalidSample`] naming the first such value.
//!
//! If nothing is left after the policy (an empty or all-NaN series under `Remove`), the result is
//! [`Error::InvalidSample`] with the reason "empty after ...". For metric pairs use
//! [`MetricPair::clean`](crate::metrics::MetricPair::clean) instead, which applies the same
//! policy and reports such a side as "no data" rather than an error.
//!
//! [`Summary`] gives the descriptive statistics printed by the examples: `n`, mean, median, p90
//! and p99, where every quantile is **type 7** (R's default `quantile(type = 7)`, numpy's
//! `linear`): for sorted `x[0..n]` and probability `p`, `h = (n - 1) p`, `Q(p) = x[⌊h⌋] + (h -
//! ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋])`.

use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::quantile::type7_sorted as quantile_type7;

/// What to do with the non-finite values (NaN, `+inf`, `-inf`) of a raw series: the crate's one
/// non-finite policy, applied once when a pair is cleaned ([`crate::metrics::clean`]). Kayenta's
/// `nanStrategy` maps onto it with [`NanPolicy::from_kayenta`].
///
/// Serialized as `"remove"`, `{"replace": x}` or `"fail"`. The default is [`NanPolicy::Remove`],
/// Kayenta's default.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum NanPolicy {
    /// Drop non-finite values.
    #[default]
    Remove,
    /// Replace each non-finite value by this finite value (Kayenta's `replace` uses `0.0`).
    Replace(f64),
    /// Reject the data with [`Error::InvalidSample`] if any value is non-finite.
    Fail,
}

/// A non-empty sample of finite values.
///
/// Construct it with [`Sample::new`] (which rejects empty input, NaN and infinities) or with
/// [`Sample::with_policy`] (which applies a [`NanPolicy`] first). It dereferences to `[f64]`, so
/// every statistic taking `&[f64]` takes `&sample`.
///
/// Serialized as a plain JSON array; deserialization validates like [`Sample::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct Sample {
    values: Vec<f64>,
}

/// The outcome of [`Sample::with_policy`]: the sample and what the policy did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cleaned {
    /// The validated sample.
    pub sample: Sample,
    /// The policy that was applied.
    pub policy: NanPolicy,
    /// How many non-finite values were dropped ([`NanPolicy::Remove`]).
    pub removed: usize,
    /// How many non-finite values were replaced ([`NanPolicy::Replace`]).
    pub replaced: usize,
    /// Of the values removed or replaced, how many were infinite rather than NaN.
    pub infinite: usize,
}

impl Sample {
    /// Validates `values`: non-empty, every value finite.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] (metric `"sample"`) if `values` is empty or holds a NaN or an
    /// infinity; the reason names the index of the first offending value.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Sample;
    /// let s = Sample::new(vec![1.0, 2.5, 4.0])?;
    /// assert_eq!(s.len(), 3);
    /// assert!(Sample::new(vec![1.0, f64::NAN]).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(values: Vec<f64>) -> Result<Sample> {
        Self::named("sample", values)
    }

    /// Wraps values already known to be non-empty and finite.
    pub(crate) fn from_checked(values: Vec<f64>) -> Sample {
        debug_assert!(!values.is_empty() && values.iter().all(|v| v.is_finite()));
        Sample { values }
    }

    /// Like [`Sample::new`], with `metric` naming the sample in errors.
    pub(crate) fn named(metric: &str, values: Vec<f64>) -> Result<Sample> {
        if values.is_empty() {
            return Err(Error::sample(metric, "the sample is empty"));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::sample(
                metric,
                format!(
                    "value {i} is {}, not a finite number (apply a NanPolicy to drop or replace it)",
                    values[i]
                ),
            ));
        }
        Ok(Sample { values })
    }

    /// Applies `policy` to the non-finite values of `values` and validates the rest.
    ///
    /// `metric` names the data in errors. The returned [`Cleaned`] records the policy and how many
    /// values it removed or replaced.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] if `values` is empty, if nothing is left after
    /// [`NanPolicy::Remove`] (an all-NaN series), or if a value is non-finite under
    /// [`NanPolicy::Fail`]. [`Error::InvalidParameter`] if the replacement of
    /// [`NanPolicy::Replace`] is not finite.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{NanPolicy, Sample};
    /// let raw = [1.0, f64::NAN, 3.0, f64::INFINITY];
    /// let c = Sample::with_policy("latency", &raw, NanPolicy::Remove)?;
    /// assert_eq!(c.sample.values(), &[1.0, 3.0]);
    /// assert_eq!((c.removed, c.infinite), (2, 1));
    /// let c = Sample::with_policy("latency", &raw, NanPolicy::Replace(0.0))?;
    /// assert_eq!(c.sample.values(), &[1.0, 0.0, 3.0, 0.0]);
    /// assert!(Sample::with_policy("latency", &raw, NanPolicy::Fail).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn with_policy(metric: &str, values: &[f64], policy: NanPolicy) -> Result<Cleaned> {
        Self::with_policy_iter(metric, values.len(), values.iter().copied(), policy)
    }

    /// [`Sample::with_policy`] over an iterator of `len_hint` values (used for strided views and
    /// multi-instance series without an intermediate copy).
    pub(crate) fn with_policy_iter(
        metric: &str,
        len_hint: usize,
        values: impl Iterator<Item = f64>,
        policy: NanPolicy,
    ) -> Result<Cleaned> {
        if let NanPolicy::Replace(r) = policy
            && !r.is_finite()
        {
            return Err(Error::param(
                "NanPolicy::Replace",
                r,
                "the replacement must be a finite number",
            ));
        }
        let mut out = Vec::with_capacity(len_hint);
        let (mut removed, mut replaced, mut infinite, mut total) = (0usize, 0usize, 0usize, 0usize);
        for v in values {
            total += 1;
            if v.is_finite() {
                out.push(v);
                continue;
            }
            infinite += usize::from(v.is_infinite());
            match policy {
                NanPolicy::Remove => removed += 1,
                NanPolicy::Replace(r) => {
                    replaced += 1;
                    out.push(r);
                }
                NanPolicy::Fail => {
                    return Err(Error::sample(
                        metric,
                        format!(
                            "value {} is {v}, not a finite number (policy: fail)",
                            total - 1
                        ),
                    ));
                }
            }
        }
        if total == 0 {
            return Err(Error::sample(metric, "the series is empty"));
        }
        if out.is_empty() {
            return Err(Error::sample(
                metric,
                format!(
                    "empty after policy remove: all {total} values were NaN or infinite (no data)"
                ),
            ));
        }
        Ok(Cleaned {
            sample: Sample { values: out },
            policy,
            removed,
            replaced,
            infinite,
        })
    }

    /// The values, in their original order.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Sample;
    /// assert_eq!(Sample::new(vec![2.0, 1.0])?.values(), &[2.0, 1.0]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The number of values (at least 1).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Sample;
    /// assert_eq!(Sample::new(vec![2.0, 1.0])?.len(), 2);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Consumes the sample and returns its values.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Sample;
    /// assert_eq!(Sample::new(vec![2.0])?.into_vec(), vec![2.0]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn into_vec(self) -> Vec<f64> {
        self.values
    }

    /// Descriptive statistics: `n`, min, max, mean, median, p90 and p99 (type-7 quantiles).
    ///
    /// Sorts a copy: `O(n log n)` time, `n` extra values of memory.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Sample;
    /// let s = Sample::new(vec![1.0, 2.0, 3.0, 4.0])?.summary();
    /// assert_eq!((s.n, s.mean, s.median), (4, 2.5, 2.5));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn summary(&self) -> Summary {
        let mut sorted = self.values.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let n = sorted.len();
        // Neumaier-compensated sum keeps the mean accurate for long series.
        let (mut sum, mut comp) = (0.0f64, 0.0f64);
        for &v in &self.values {
            let t = sum + v;
            comp += if sum.abs() >= v.abs() {
                (sum - t) + v
            } else {
                (v - t) + sum
            };
            sum = t;
        }
        Summary {
            n,
            min: sorted[0],
            max: sorted[n - 1],
            mean: (sum + comp) / n as f64,
            median: quantile_type7(&sorted, 0.5),
            p90: quantile_type7(&sorted, 0.9),
            p99: quantile_type7(&sorted, 0.99),
        }
    }
}

/// Counts the finite values of a raw series (to tell "no data" apart before applying a policy).
///
/// # Example
/// ```
/// use canary_analysis::metrics::count_finite;
/// assert_eq!(count_finite(&[1.0, f64::NAN, f64::INFINITY]), 1);
/// ```
pub fn count_finite(values: &[f64]) -> usize {
    values.iter().filter(|v| v.is_finite()).count()
}

/// Descriptive statistics of a [`Sample`]; quantiles are type 7 (R's default, numpy `linear`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Arithmetic mean (compensated summation).
    pub mean: f64,
    /// Median (type-7 quantile at 0.5).
    pub median: f64,
    /// Type-7 quantile at 0.9.
    pub p90: f64,
    /// Type-7 quantile at 0.99.
    pub p99: f64,
}

impl Deref for Sample {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.values
    }
}

impl AsRef<[f64]> for Sample {
    fn as_ref(&self) -> &[f64] {
        &self.values
    }
}

impl TryFrom<Vec<f64>> for Sample {
    type Error = Error;
    fn try_from(values: Vec<f64>) -> Result<Sample> {
        Sample::new(values)
    }
}

impl From<Sample> for Vec<f64> {
    fn from(s: Sample) -> Vec<f64> {
        s.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_type7_endpoints() {
        // Endpoint identities of the definition; interior values are checked against numpy in
        // tests/ingest_reference.rs.
        let x = [1.0, 2.0, 4.0, 8.0, 16.0];
        assert_eq!(quantile_type7(&x, 0.0), x[0]);
        assert_eq!(quantile_type7(&x, 1.0), x[4]);
        assert_eq!(quantile_type7(&x, 0.5), x[2]);
        assert_eq!(quantile_type7(&[3.0], 0.99), 3.0);
    }

    #[test]
    fn policy_serde_names() {
        assert_eq!(
            serde_json::to_string(&NanPolicy::Remove).unwrap(),
            "\"remove\""
        );
        assert_eq!(
            serde_json::to_string(&NanPolicy::Replace(0.5)).unwrap(),
            "{\"replace\":0.5}"
        );
        assert_eq!(serde_json::to_string(&NanPolicy::Fail).unwrap(), "\"fail\"");
        let p: NanPolicy = serde_json::from_str("{\"replace\": 0}").unwrap();
        assert_eq!(p, NanPolicy::Replace(0.0));
    }

    #[test]
    fn sample_deserialization_validates() {
        assert!(serde_json::from_str::<Sample>("[]").is_err());
        assert!(serde_json::from_str::<Sample>("[1, null]").is_err());
        let s: Sample = serde_json::from_str("[1, 2]").unwrap();
        assert_eq!(s.values(), &[1.0, 2.0]);
    }
}
