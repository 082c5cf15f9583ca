//! Cleaning a [`MetricPair`] for the judge: the one non-finite policy and how instances are
//! combined.
//!
//! **The rule for non-finite values, in every layer.**
//! - *Readers* keep what the source spelled: a gap (a missing step, `null`, `"NaN"`, an empty
//!   CSV field) is `NaN`, and an explicitly spelled infinity (`"+Inf"`, `"-Infinity"`, `Inf`) is
//!   `±inf`, stored as a value of the [`Series`]. A numeric *literal* that does
//!   not fit an `f64` (e.g. `1e400`) is not an infinity the source meant: every reader rejects it
//!   with [`Error::Parse`] naming its place.
//! - *Cleaning* ([`MetricPair::clean`]) applies the [`NanPolicy`] once to every non-finite cell
//!   (`NaN`, `+inf` and `-inf` alike): [`NanPolicy::Remove`] drops it, [`NanPolicy::Replace`]
//!   substitutes a finite value, [`NanPolicy::Fail`] is an error naming the instance and step.
//!   The [`CleanRecord`] counts what was removed or replaced, and how many of those were
//!   infinite rather than NaN.
//! - *The judge* receives a [`CleanedPair`]: each side is a validated [`Sample`] (non-empty,
//!   every value finite) or `None` for "no data". It never re-checks values.
//!
//! **Combining instances** ([`Combine`]), after the policy:
//! - [`Combine::Pooled`] (default): the sample is every usable cell of every instance, instance
//!   by instance, each in step order. With one series per scope (Kayenta's case) this is
//!   exactly Kayenta's sample: the side's values after `nanStrategy`.
//! - [`Combine::PerStep`]`(agg)`: one value per step, the [`Aggregate`] of the usable cells of
//!   all instances at that step; a step with no usable cell contributes nothing. With one
//!   instance every aggregate is the identity, so this also equals Kayenta's sample.
//!
//! Per-instance comparison (one test per instance) is not a combine: it yields several samples
//! per side, so a host that wants it judges each instance as its own pair (build one
//! [`MetricPair`] per instance id with [`MetricPair::new`]). Pooling is the default because it
//! is what Kayenta does with its single series and uses every observation.
//!
//! **Cost.** `O(cells)` time; `Pooled` allocates the output only, `PerStep` additionally one
//! scratch value per instance (`Median` sorts it: `O(steps * k log k)` for `k` instances).

use serde::{Deserialize, Serialize};

use super::sample::{NanPolicy, Sample};
use super::series::{MetricPair, Series};
use crate::error::{Error, Result, quote};

/// How the instances (rows) of a side are combined into one sample (see the [module
/// docs](self)). Serialized as `"pooled"` or `{"perStep": "mean"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Combine {
    /// Every usable cell of every instance (the default; Kayenta's behaviour with one series).
    #[default]
    Pooled,
    /// One value per step: the aggregate of the instances' usable cells at that step.
    PerStep(Aggregate),
}

/// The aggregate of [`Combine::PerStep`], over the `k >= 1` usable cells of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Aggregate {
    /// Arithmetic mean (computed without overflow: finite for finite cells).
    Mean,
    /// Median; for even `k` the mean of the two middle values (`a/2 + b/2` if `a + b`
    /// overflows).
    Median,
    /// Sum (an error if it overflows `f64`).
    Sum,
    /// Largest value.
    Max,
}

/// How [`MetricPair::clean`] turns a pair into judge-ready samples (jiff-style builder).
///
/// # Example
/// ```
/// use canary_analysis::metrics::{Aggregate, CleanOptions, Combine, NanPolicy};
/// let opts = CleanOptions::new()
///     .policy(NanPolicy::Replace(0.0))
///     .combine(Combine::PerStep(Aggregate::Mean));
/// assert_ne!(opts, CleanOptions::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CleanOptions {
    policy: NanPolicy,
    combine: Combine,
}

impl CleanOptions {
    /// Defaults: [`NanPolicy::Remove`], [`Combine::Pooled`] (Kayenta's defaults).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::CleanOptions;
    /// assert_eq!(CleanOptions::new(), CleanOptions::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The non-finite policy (validated when used: a `Replace` value must be finite).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{CleanOptions, NanPolicy};
    /// let opts = CleanOptions::new().policy(NanPolicy::Fail);
    /// # let _ = opts;
    /// ```
    pub fn policy(mut self, policy: NanPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How instances are combined.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Aggregate, CleanOptions, Combine};
    /// let opts = CleanOptions::new().combine(Combine::PerStep(Aggregate::Median));
    /// # let _ = opts;
    /// ```
    pub fn combine(mut self, combine: Combine) -> Self {
        self.combine = combine;
        self
    }
}

/// A [`MetricPair`] cleaned for judging: each side a validated [`Sample`] or `None` (no data),
/// and the record of what was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanedPair {
    baseline: Option<Sample>,
    canary: Option<Sample>,
    record: CleanRecord,
}

impl CleanedPair {
    /// The baseline sample, or `None` if the baseline has no usable value.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{CleanOptions, MetricPair};
    /// let c = MetricPair::from_values("m", vec![1.0], vec![])?.clean(&CleanOptions::new())?;
    /// assert_eq!(c.baseline().map(|s| s.len()), Some(1));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn baseline(&self) -> Option<&Sample> {
        self.baseline.as_ref()
    }

    /// The canary sample, or `None` if the canary has no usable value.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{CleanOptions, MetricPair};
    /// let c = MetricPair::from_values("m", vec![1.0], vec![])?.clean(&CleanOptions::new())?;
    /// assert!(c.canary().is_none());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn canary(&self) -> Option<&Sample> {
        self.canary.as_ref()
    }

    /// What the cleaning did (serializable into the judge's output).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{CleanOptions, MetricPair};
    /// let c = MetricPair::from_values("m", vec![1.0, f64::INFINITY], vec![2.0])?
    ///     .clean(&CleanOptions::new())?;
    /// assert_eq!((c.record().baseline.removed, c.record().baseline.infinite), (1, 1));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn record(&self) -> &CleanRecord {
        &self.record
    }

    /// The parts, baseline first.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{CleanOptions, MetricPair};
    /// let c = MetricPair::from_values("m", vec![1.0], vec![2.0])?.clean(&CleanOptions::new())?;
    /// let (b, c, _record) = c.into_parts();
    /// assert_eq!((b.unwrap().into_vec(), c.unwrap().into_vec()), (vec![1.0], vec![2.0]));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn into_parts(self) -> (Option<Sample>, Option<Sample>, CleanRecord) {
        (self.baseline, self.canary, self.record)
    }
}

/// What [`MetricPair::clean`] did: the options in force and the counts per side.
///
/// Serialized in camelCase (`{"policy": "remove", "combine": "pooled", "baseline": {...},
/// "canary": {...}}`) for the judge's JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanRecord {
    /// The non-finite policy applied.
    pub policy: NanPolicy,
    /// How instances were combined.
    pub combine: Combine,
    /// The baseline's counts.
    pub baseline: SideRecord,
    /// The canary's counts.
    pub canary: SideRecord,
}

/// The counts of one side of a [`CleanRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SideRecord {
    /// Raw cells in (instances x steps, gaps included).
    pub cells: usize,
    /// Non-finite cells dropped ([`NanPolicy::Remove`]).
    pub removed: usize,
    /// Non-finite cells replaced ([`NanPolicy::Replace`]).
    pub replaced: usize,
    /// Of the removed or replaced cells, how many were `±inf` rather than NaN.
    pub infinite: usize,
    /// Values in the sample (0: no data). For [`Combine::PerStep`], the steps with at least
    /// one usable cell.
    pub values: usize,
}

impl NanPolicy {
    /// Kayenta's `nanStrategy` spelling mapped onto the policy: `"remove"` is
    /// [`NanPolicy::Remove`], `"replace"` is [`NanPolicy::Replace`]`(0.0)` (Kayenta replaces
    /// with zero). Any other spelling is `None`; Kayenta then falls back to its default
    /// (`remove`), and the caller should say so.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::NanPolicy;
    /// assert_eq!(NanPolicy::from_kayenta("replace"), Some(NanPolicy::Replace(0.0)));
    /// assert_eq!(NanPolicy::from_kayenta("remove"), Some(NanPolicy::Remove));
    /// assert_eq!(NanPolicy::from_kayenta("drop"), None);
    /// ```
    pub fn from_kayenta(strategy: &str) -> Option<NanPolicy> {
        match strategy {
            "remove" => Some(NanPolicy::Remove),
            "replace" => Some(NanPolicy::Replace(0.0)),
            _ => None,
        }
    }
}

impl MetricPair {
    /// Cleans both sides for judging: applies the [`NanPolicy`] once to every cell and combines
    /// the instances as [`CleanOptions`] says (see the [module docs](self) for the exact
    /// definitions). A side with no usable value is `None` ("no data"), not an error.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] (metric `"<selector> baseline"` / `"... canary"`) for a
    /// non-finite cell under [`NanPolicy::Fail`] (naming the instance and step), or a
    /// [`Aggregate::Sum`] that overflows `f64`;
    /// [`Error::InvalidParameter`] for a non-finite [`NanPolicy::Replace`] value.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{CleanOptions, MetricPair, NanPolicy};
    /// let p = MetricPair::from_values("rps", vec![1.0, f64::NAN], vec![f64::NAN])?;
    /// let c = p.clean(&CleanOptions::new().policy(NanPolicy::Replace(0.0)))?;
    /// assert_eq!(c.baseline().map(|s| s.values()), Some(&[1.0, 0.0][..]));
    /// assert_eq!(c.record().baseline.replaced, 1);
    /// let c = p.clean(&CleanOptions::new())?; // remove, pooled
    /// assert!(c.canary().is_none()); // no data
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn clean(&self, opts: &CleanOptions) -> Result<CleanedPair> {
        if let NanPolicy::Replace(r) = opts.policy
            && !r.is_finite()
        {
            return Err(Error::param(
                "NanPolicy::Replace",
                r,
                "the replacement must be a finite number",
            ));
        }
        let name = self.selector();
        let (baseline, b) = clean_side(&name, "baseline", self.baseline(), opts)?;
        let (canary, c) = clean_side(&name, "canary", self.canary(), opts)?;
        Ok(CleanedPair {
            baseline,
            canary,
            record: CleanRecord {
                policy: opts.policy,
                combine: opts.combine,
                baseline: b,
                canary: c,
            },
        })
    }
}

/// The policy applied to one cell: `Some(value)` to use, `None` to drop.
#[inline]
fn apply(
    v: f64,
    policy: NanPolicy,
    rec: &mut SideRecord,
    fail: impl FnOnce() -> Error,
) -> Result<Option<f64>> {
    if v.is_finite() {
        return Ok(Some(v));
    }
    rec.infinite += usize::from(v.is_infinite());
    match policy {
        NanPolicy::Remove => {
            rec.removed += 1;
            Ok(None)
        }
        NanPolicy::Replace(r) => {
            rec.replaced += 1;
            Ok(Some(r))
        }
        NanPolicy::Fail => Err(fail()),
    }
}

fn clean_side(
    name: &str,
    side: &str,
    series: &Series,
    opts: &CleanOptions,
) -> Result<(Option<Sample>, SideRecord)> {
    let mut rec = SideRecord {
        cells: series.points(),
        ..SideRecord::default()
    };
    let fail = |inst: usize, step: usize, v: f64| {
        let row = &series.instances()[inst];
        let at = match series.timestamps().at(step) {
            Some(t) => format!(" (t = {t} ms)"),
            None => String::new(),
        };
        let who = if row.id().is_empty() {
            String::new()
        } else {
            format!("instance `{}`, ", quote(row.id()))
        };
        Error::sample(
            &format!("{name} {side}"),
            format!("{who}step {step}{at} is {v}, not a finite number (policy: fail)"),
        )
    };
    let mut out = Vec::new();
    match opts.combine {
        Combine::Pooled => {
            out.reserve_exact(rec.cells);
            for (i, row) in series.instances().iter().enumerate() {
                for (j, &v) in row.values().iter().enumerate() {
                    if let Some(x) = apply(v, opts.policy, &mut rec, || fail(i, j, v))? {
                        out.push(x);
                    }
                }
            }
        }
        Combine::PerStep(agg) => {
            let rows = series.instances();
            out.reserve_exact(series.steps());
            let mut cells = Vec::with_capacity(rows.len());
            for j in 0..series.steps() {
                cells.clear();
                for (i, row) in rows.iter().enumerate() {
                    let v = row.values()[j];
                    if let Some(x) = apply(v, opts.policy, &mut rec, || fail(i, j, v))? {
                        cells.push(x);
                    }
                }
                if cells.is_empty() {
                    continue;
                }
                let x = aggregate(agg, &mut cells).ok_or_else(|| {
                    Error::sample(
                        &format!("{name} {side}"),
                        format!("the sum of the instances at step {j} overflows f64"),
                    )
                })?;
                out.push(x);
            }
        }
    }
    rec.values = out.len();
    Ok(((!out.is_empty()).then(|| Sample::from_checked(out)), rec))
}

/// The aggregate of finite, non-empty `cells`; `None` only if a sum overflows.
fn aggregate(agg: Aggregate, cells: &mut [f64]) -> Option<f64> {
    let k = cells.len();
    match agg {
        Aggregate::Sum => Some(cells.iter().sum::<f64>()).filter(|s| s.is_finite()),
        Aggregate::Mean => {
            let s: f64 = cells.iter().sum();
            if s.is_finite() {
                Some(s / k as f64)
            } else {
                Some(cells.iter().map(|&x| x / k as f64).sum())
            }
        }
        Aggregate::Max => Some(cells.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        Aggregate::Median => {
            cells.sort_unstable_by(f64::total_cmp);
            if k % 2 == 1 {
                Some(cells[k / 2])
            } else {
                let (a, b) = (cells[k / 2 - 1], cells[k / 2]);
                let m = (a + b) / 2.0;
                Some(if m.is_finite() { m } else { a / 2.0 + b / 2.0 })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Instance, Timestamps};

    fn two_instances() -> MetricPair {
        let s = Series::new(
            Timestamps::Regular {
                start_millis: 0,
                step_millis: 10,
            },
            vec![
                Instance::new("a", vec![1.0, f64::NAN, 5.0]),
                Instance::new("b", vec![3.0, f64::INFINITY, f64::NAN]),
            ],
        )
        .unwrap();
        MetricPair::new("m", Default::default(), s.clone(), s).unwrap()
    }

    #[test]
    fn pooled_remove_counts_every_cell() {
        let c = two_instances().clean(&CleanOptions::new()).unwrap();
        assert_eq!(c.baseline().unwrap().values(), &[1.0, 5.0, 3.0]);
        let r = c.record().baseline;
        assert_eq!((r.cells, r.removed, r.infinite, r.values), (6, 3, 1, 3));
    }

    #[test]
    fn per_step_aggregates_by_definition() {
        let p = two_instances();
        let clean = |agg| {
            p.clean(&CleanOptions::new().combine(Combine::PerStep(agg)))
                .unwrap()
                .into_parts()
                .0
                .unwrap()
                .into_vec()
        };
        // Step 0 has {1, 3}, step 1 nothing usable, step 2 has {5}.
        assert_eq!(clean(Aggregate::Mean), vec![2.0, 5.0]);
        assert_eq!(clean(Aggregate::Median), vec![2.0, 5.0]);
        assert_eq!(clean(Aggregate::Sum), vec![4.0, 5.0]);
        assert_eq!(clean(Aggregate::Max), vec![3.0, 5.0]);
    }

    #[test]
    fn per_step_mean_and_median_do_not_overflow_but_sum_does() {
        let s = Series::new(
            Timestamps::Unknown,
            vec![
                Instance::new("a", vec![f64::MAX]),
                Instance::new("b", vec![f64::MAX]),
            ],
        )
        .unwrap();
        let p = MetricPair::new("m", Default::default(), s.clone(), s).unwrap();
        for agg in [Aggregate::Mean, Aggregate::Median, Aggregate::Max] {
            let c = p
                .clean(&CleanOptions::new().combine(Combine::PerStep(agg)))
                .unwrap();
            assert_eq!(c.baseline().unwrap().values(), &[f64::MAX], "{agg:?}");
        }
        let sum = p.clean(&CleanOptions::new().combine(Combine::PerStep(Aggregate::Sum)));
        assert!(matches!(sum, Err(Error::InvalidSample { .. })));
    }

    #[test]
    fn fail_names_instance_and_step_and_replace_must_be_finite() {
        let p = two_instances();
        let e = p
            .clean(&CleanOptions::new().policy(NanPolicy::Fail))
            .unwrap_err()
            .to_string();
        assert!(e.contains("step 1 (t = 10 ms)") && e.contains("`a`"), "{e}");
        let e = p.clean(&CleanOptions::new().policy(NanPolicy::Replace(f64::NAN)));
        assert!(matches!(e, Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn record_serializes_in_camel_case() {
        let c = two_instances()
            .clean(&CleanOptions::new().combine(Combine::PerStep(Aggregate::Median)))
            .unwrap();
        let j = serde_json::to_value(c.record()).unwrap();
        assert_eq!(j["combine"], serde_json::json!({"perStep": "median"}));
        assert_eq!(j["policy"], "remove");
        let back: CleanedPair = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
