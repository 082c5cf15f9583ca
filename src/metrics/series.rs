//! Metric series and baseline/canary pairs, with gaps kept explicit.
//!
//! A [`Series`] is one group's (baseline's or canary's) observations of one metric: a time axis
//! ([`Timestamps`]) and one row of values per *instance* (a host, pod or replica; a single row
//! with an empty id when the source has no instances). Every row has one value per step of the
//! axis; a step with no data is a **gap**, stored as `f64::NAN` and listed by [`Series::gaps`].
//!
//! A [`MetricPair`] holds the baseline and canary series of one metric and tag set.
//! [`MetricPair::clean`] applies a [`NanPolicy`] to each side (pooling all instances and steps,
//! row by row) and returns a [`CleanedPair`] whose [`Cleaned`] sides record the policy applied
//! and how many values it removed or replaced; the gaps themselves stay available on the series.
//!
//! **Alignment** (used by the Prometheus and CSV readers). The timestamps of both sides of a pair
//! are put on one axis:
//! - with a step given by the caller, the axis is the regular grid from the earliest to the
//!   latest timestamp of the pair with that step; a timestamp off the grid is an error, and so is
//!   a grid longer than [`MAX_GRID_STEPS`];
//! - without one, the step is inferred as the greatest common divisor of the offsets of all
//!   timestamps from the earliest; the grid is used if it has at most `4 n + 1024` steps (`n` the
//!   number of points of the pair, all instances and both sides) and at most
//!   [`MAX_GRID_STEPS`], otherwise (irregular timestamps) the axis is the sorted union of the
//!   timestamps ([`Timestamps::Explicit`]).
//!
//! Either way a step that one instance lacks is a gap of that instance.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sample::{Cleaned, NanPolicy, Sample};
use crate::error::{Error, Location, Result};

/// The largest regular grid the readers build (2^25 = 33,554,432 steps, 256 MiB per instance
/// row); a longer grid is reported as an error instead of allocated.
pub const MAX_GRID_STEPS: usize = 1 << 25;

/// The time axis of a [`Series`]; times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Timestamps {
    /// Step `i` is at `start_millis + i * step_millis`.
    Regular {
        /// Time of the first step.
        start_millis: i64,
        /// Spacing of the steps (positive).
        step_millis: i64,
    },
    /// Step `i` is at the `i`-th timestamp (strictly increasing).
    Explicit(Vec<i64>),
    /// Times are not known (e.g. a Kayenta pair without scopes); steps are positions only.
    Unknown,
}

impl Timestamps {
    /// The time of step `i`, if known.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Timestamps;
    /// let t = Timestamps::Regular { start_millis: 1_000, step_millis: 500 };
    /// assert_eq!(t.at(2), Some(2_000));
    /// assert_eq!(Timestamps::Unknown.at(0), None);
    /// ```
    pub fn at(&self, i: usize) -> Option<i64> {
        match self {
            Timestamps::Regular {
                start_millis,
                step_millis,
            } => i64::try_from(i)
                .ok()
                .and_then(|i| i.checked_mul(*step_millis))
                .and_then(|o| o.checked_add(*start_millis)),
            Timestamps::Explicit(t) => t.get(i).copied(),
            Timestamps::Unknown => None,
        }
    }
}

/// One instance's row of a [`Series`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The instance id (empty when the source has no instances).
    pub id: String,
    /// One value per step; `NaN` marks a gap.
    pub values: Vec<f64>,
}

/// One group's observations of one metric: a time axis and one row per instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The time axis.
    pub timestamps: Timestamps,
    /// The rows, each with one value per step.
    pub instances: Vec<Instance>,
}

/// A run of consecutive missing steps in one instance of a [`Series`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The instance id.
    pub instance: String,
    /// Index of the first missing step.
    pub start_step: usize,
    /// Number of consecutive missing steps.
    pub steps: usize,
    /// Time of the first missing step, if the axis has times.
    pub start_millis: Option<i64>,
}

impl Series {
    /// A series with a single instance (empty id).
    ///
    /// # Errors
    /// [`Error::InvalidSample`] if `timestamps` is [`Timestamps::Explicit`] with a length other
    /// than `values.len()` or not strictly increasing, or [`Timestamps::Regular`] with a step that
    /// is not positive.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Series, Timestamps};
    /// let s = Series::single(Timestamps::Regular { start_millis: 0, step_millis: 60_000 },
    ///                        vec![1.0, f64::NAN, f64::NAN, 4.0])?;
    /// assert_eq!(s.gaps()[0].start_millis, Some(60_000));
    /// assert_eq!(s.gaps()[0].steps, 2);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn single(timestamps: Timestamps, values: Vec<f64>) -> Result<Series> {
        Series::new(
            timestamps,
            vec![Instance {
                id: String::new(),
                values,
            }],
        )
    }

    /// A series from its axis and rows, validated.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] if there are no rows, rows differ in length, an explicit axis does
    /// not match the row length or is not strictly increasing, or a regular step is not positive.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Instance, Series, Timestamps};
    /// let rows = vec![Instance { id: "a".into(), values: vec![1.0, 2.0] },
    ///                 Instance { id: "b".into(), values: vec![3.0, f64::NAN] }];
    /// let s = Series::new(Timestamps::Explicit(vec![10, 20]), rows)?;
    /// assert_eq!((s.steps(), s.points(), s.gap_steps()), (2, 4, 1));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(timestamps: Timestamps, instances: Vec<Instance>) -> Result<Series> {
        let Some(first) = instances.first() else {
            return Err(Error::sample(
                "series",
                "a series needs at least one instance",
            ));
        };
        let steps = first.values.len();
        if let Some(bad) = instances.iter().find(|r| r.values.len() != steps) {
            return Err(Error::sample(
                "series",
                format!(
                    "instance `{}` has {} values, instance `{}` has {steps}",
                    bad.id,
                    bad.values.len(),
                    first.id
                ),
            ));
        }
        match &timestamps {
            Timestamps::Regular { step_millis, .. } if *step_millis <= 0 => {
                return Err(Error::sample(
                    "series",
                    format!("the step must be positive, not {step_millis} ms"),
                ));
            }
            Timestamps::Explicit(t) => {
                if t.len() != steps {
                    return Err(Error::sample(
                        "series",
                        format!("{} timestamps for {steps} values", t.len()),
                    ));
                }
                if let Some(i) = t.windows(2).position(|w| w[0] >= w[1]) {
                    return Err(Error::sample(
                        "series",
                        format!("timestamps are not strictly increasing at step {}", i + 1),
                    ));
                }
            }
            _ => {}
        }
        Ok(Series {
            timestamps,
            instances,
        })
    }

    /// Number of steps (columns).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Series, Timestamps};
    /// assert_eq!(Series::single(Timestamps::Unknown, vec![1.0, 2.0])?.steps(), 2);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn steps(&self) -> usize {
        self.instances.first().map_or(0, |r| r.values.len())
    }

    /// Number of cells (instances x steps), gaps included.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Series, Timestamps};
    /// assert_eq!(Series::single(Timestamps::Unknown, vec![1.0, f64::NAN])?.points(), 2);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn points(&self) -> usize {
        self.instances.iter().map(|r| r.values.len()).sum()
    }

    /// Number of missing cells (NaN values) over all instances.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Series, Timestamps};
    /// assert_eq!(Series::single(Timestamps::Unknown, vec![1.0, f64::NAN])?.gap_steps(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn gap_steps(&self) -> usize {
        self.instances
            .iter()
            .map(|r| r.values.iter().filter(|v| v.is_nan()).count())
            .sum()
    }

    /// The runs of missing steps (NaN values), per instance, in order.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Series, Timestamps};
    /// let s = Series::single(Timestamps::Explicit(vec![1, 2, 3, 4]), vec![f64::NAN, 1.0, f64::NAN, 2.0])?;
    /// let starts: Vec<_> = s.gaps().iter().map(|g| g.start_millis).collect();
    /// assert_eq!(starts, vec![Some(1), Some(3)]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn gaps(&self) -> Vec<Gap> {
        let mut out = Vec::new();
        for row in &self.instances {
            let mut i = 0;
            let v = &row.values;
            while i < v.len() {
                if v[i].is_nan() {
                    let start = i;
                    while i < v.len() && v[i].is_nan() {
                        i += 1;
                    }
                    out.push(Gap {
                        instance: row.id.clone(),
                        start_step: start,
                        steps: i - start,
                        start_millis: self.timestamps.at(start),
                    });
                } else {
                    i += 1;
                }
            }
        }
        out
    }

    /// Applies `policy` to all values (instances pooled row by row) and validates the rest.
    ///
    /// # Errors
    /// As [`Sample::with_policy`], with `metric` naming the series.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{NanPolicy, Series, Timestamps};
    /// let s = Series::single(Timestamps::Unknown, vec![1.0, f64::NAN, 3.0])?;
    /// let c = s.clean("latency", NanPolicy::Remove)?;
    /// assert_eq!((c.sample.len(), c.removed), (2, 1));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn clean(&self, metric: &str, policy: NanPolicy) -> Result<Cleaned> {
        Sample::with_policy_iter(
            metric,
            self.points(),
            self.instances.iter().flat_map(|r| r.values.iter().copied()),
            policy,
        )
    }
}

/// The baseline and canary series of one metric and tag set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricPair {
    /// The metric name.
    pub metric: String,
    /// The labels that identify this pair (the group and instance labels excluded).
    pub tags: BTreeMap<String, String>,
    /// The baseline's series.
    pub baseline: Series,
    /// The canary's series.
    pub canary: Series,
}

/// A [`MetricPair`] after its NaN/gap policy: one validated sample per side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanedPair {
    /// The metric name.
    pub metric: String,
    /// The pair's tags.
    pub tags: BTreeMap<String, String>,
    /// The baseline sample and what the policy did to it.
    pub baseline: Cleaned,
    /// The canary sample and what the policy did to it.
    pub canary: Cleaned,
}

impl MetricPair {
    /// A readable id: the metric name followed by its tags, `name{k="v",...}`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{MetricPair, Series, Timestamps};
    /// let s = Series::single(Timestamps::Unknown, vec![1.0])?;
    /// let p = MetricPair { metric: "rps".into(), tags: [("dc".into(), "eu".into())].into(),
    ///                      baseline: s.clone(), canary: s };
    /// assert_eq!(p.id(), "rps{dc=\"eu\"}");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn id(&self) -> String {
        if self.tags.is_empty() {
            return self.metric.clone();
        }
        let tags: Vec<String> = self
            .tags
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        format!("{}{{{}}}", self.metric, tags.join(","))
    }

    /// Applies `policy` to each side; errors name the metric and the side.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] (metric `"<id> baseline"` or `"<id> canary"`) as
    /// [`Sample::with_policy`]: an empty or all-NaN side under [`NanPolicy::Remove`], any gap under
    /// [`NanPolicy::Fail`]; [`Error::InvalidParameter`] for a non-finite replacement.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{MetricPair, NanPolicy, Series, Timestamps};
    /// let p = MetricPair {
    ///     metric: "rps".into(), tags: Default::default(),
    ///     baseline: Series::single(Timestamps::Unknown, vec![1.0, f64::NAN])?,
    ///     canary: Series::single(Timestamps::Unknown, vec![2.0, 3.0])?,
    /// };
    /// let c = p.clean(NanPolicy::Replace(0.0))?;
    /// assert_eq!(c.baseline.sample.values(), &[1.0, 0.0]);
    /// assert_eq!(c.baseline.replaced, 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn clean(&self, policy: NanPolicy) -> Result<CleanedPair> {
        let id = self.id();
        Ok(CleanedPair {
            metric: self.metric.clone(),
            tags: self.tags.clone(),
            baseline: self.baseline.clean(&format!("{id} baseline"), policy)?,
            canary: self.canary.clean(&format!("{id} canary"), policy)?,
        })
    }
}

/// One instance's raw points before alignment: strictly increasing timestamps.
#[derive(Debug)]
pub(crate) struct RawInstance {
    pub(crate) id: String,
    pub(crate) ts: Vec<i64>,
    pub(crate) values: Vec<f64>,
    /// Where this instance came from, for errors.
    pub(crate) origin: Location,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Puts the instances of both sides of a pair on one axis (see the module docs).
pub(crate) fn align_pair(
    format: &'static str,
    baseline: Vec<RawInstance>,
    canary: Vec<RawInstance>,
    step: Option<i64>,
) -> Result<(Series, Series)> {
    // Each instance's timestamps are strictly increasing, so the pair's range comes from the
    // first and last points, and the grid step from the offsets and consecutive differences.
    let rows = || {
        baseline
            .iter()
            .chain(canary.iter())
            .filter(|r| !r.ts.is_empty())
    };
    let total: usize = rows().map(|r| r.ts.len()).sum();
    let (Some(start), Some(end)) = (
        rows().map(|r| r.ts[0]).min(),
        rows().map(|r| r.ts[r.ts.len() - 1]).max(),
    ) else {
        // No points at all: an empty axis.
        let empty = |rows: Vec<RawInstance>| Series {
            timestamps: Timestamps::Explicit(Vec::new()),
            instances: rows
                .into_iter()
                .map(|r| Instance {
                    id: r.id,
                    values: Vec::new(),
                })
                .collect(),
        };
        return Ok((empty(baseline), empty(canary)));
    };
    let span = end.abs_diff(start);
    let grid = match step {
        Some(step) => {
            if step <= 0 {
                return Err(Error::param("step", step, "the step must be positive (ms)"));
            }
            let step_u = step.unsigned_abs();
            let steps = span / step_u + 1;
            if steps > MAX_GRID_STEPS as u64 {
                return Err(Error::Parse {
                    format,
                    location: baseline
                        .first()
                        .or(canary.first())
                        .map_or(Location::Unknown, |r| r.origin.clone()),
                    reason: format!(
                        "the timestamps span {span} ms, {steps} steps of {step} ms; the limit is {MAX_GRID_STEPS} steps"
                    ),
                });
            }
            for r in baseline.iter().chain(canary.iter()) {
                if let Some(t) = r.ts.iter().find(|&&t| t.abs_diff(start) % step_u != 0) {
                    return Err(Error::Parse {
                        format,
                        location: r.origin.clone(),
                        reason: format!(
                            "timestamp {t} ms is not on the grid {start} + k * {step} ms"
                        ),
                    });
                }
            }
            Some((step, steps as usize))
        }
        None => {
            let mut g = 0u64;
            for r in rows() {
                g = gcd(g, r.ts[0].abs_diff(start));
                for w in r.ts.windows(2) {
                    let d = w[1].abs_diff(w[0]);
                    if g == 0 || d % g != 0 {
                        g = gcd(g, d);
                    }
                }
            }
            // g == 0: a single distinct timestamp, no grid to infer.
            span.checked_div(g).and_then(|q| {
                let steps = q + 1;
                let limit = 4 * total as u64 + 1024;
                (steps <= limit && steps <= MAX_GRID_STEPS as u64)
                    .then_some((g as i64, steps as usize))
            })
        }
    };
    let place = |rows: Vec<RawInstance>, timestamps: &Timestamps, steps: usize| -> Series {
        let instances = rows
            .into_iter()
            .map(|r| {
                let mut values = vec![f64::NAN; steps];
                match timestamps {
                    Timestamps::Regular { step_millis, .. } => {
                        let step_u = step_millis.unsigned_abs();
                        for (&t, &v) in r.ts.iter().zip(&r.values) {
                            values[(t.abs_diff(start) / step_u) as usize] = v;
                        }
                    }
                    Timestamps::Explicit(axis) => {
                        let mut j = 0;
                        for (&t, &v) in r.ts.iter().zip(&r.values) {
                            while axis[j] < t {
                                j += 1;
                            }
                            values[j] = v;
                        }
                    }
                    // Alignment only builds the two variants above.
                    Timestamps::Unknown => {}
                }
                Instance { id: r.id, values }
            })
            .collect();
        Series {
            timestamps: timestamps.clone(),
            instances,
        }
    };
    let (timestamps, steps) = match grid {
        Some((step_millis, steps)) => (
            Timestamps::Regular {
                start_millis: start,
                step_millis,
            },
            steps,
        ),
        None => {
            let mut all: Vec<i64> = rows().flat_map(|r| r.ts.iter().copied()).collect();
            all.sort_unstable();
            all.dedup();
            let n = all.len();
            (Timestamps::Explicit(all), n)
        }
    };
    Ok((
        place(baseline, &timestamps, steps),
        place(canary, &timestamps, steps),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: &str, ts: &[i64], v: &[f64]) -> RawInstance {
        RawInstance {
            id: id.to_owned(),
            ts: ts.to_vec(),
            values: v.to_vec(),
            origin: Location::Unknown,
        }
    }

    #[test]
    fn inferred_grid_reports_missing_steps_as_gaps() {
        let (b, c) = align_pair(
            "test",
            vec![raw("", &[0, 10, 40], &[1.0, 2.0, 3.0])],
            vec![raw("", &[20, 40], &[5.0, 6.0])],
            None,
        )
        .unwrap();
        assert_eq!(
            b.timestamps,
            Timestamps::Regular {
                start_millis: 0,
                step_millis: 10
            }
        );
        assert_eq!(b.steps(), 5);
        assert_eq!(b.gap_steps(), 2);
        assert_eq!(c.gap_steps(), 3);
        assert_eq!(c.instances[0].values[2], 5.0);
    }

    #[test]
    fn irregular_timestamps_use_the_union() {
        let (b, c) = align_pair(
            "test",
            vec![raw("", &[0, 1_000_003], &[1.0, 2.0])],
            vec![raw("", &[7], &[5.0])],
            None,
        )
        .unwrap();
        assert_eq!(b.timestamps, Timestamps::Explicit(vec![0, 7, 1_000_003]));
        assert!(b.instances[0].values[1].is_nan());
        assert_eq!(c.instances[0].values[1], 5.0);
    }

    #[test]
    fn given_step_rejects_off_grid_and_absurd_grids() {
        let off = align_pair(
            "test",
            vec![raw("", &[0, 15], &[1.0, 2.0])],
            vec![],
            Some(10),
        );
        assert!(matches!(off, Err(Error::Parse { .. })));
        let huge = align_pair(
            "test",
            vec![raw("", &[0, i64::MAX / 2], &[1.0, 2.0])],
            vec![],
            Some(1),
        );
        assert!(matches!(huge, Err(Error::Parse { .. })));
    }
}
