//! Metric series and baseline/canary pairs, with gaps kept explicit.
//!
//! A [`Series`] is one group's (baseline's or canary's) observations of one metric: a time axis
//! ([`Timestamps`]) and one row of values per *instance* (a host, pod or replica; a single row
//! with an empty id when the source has no instances). Every row has one value per step of the
//! axis; a step with no data is a **gap**, stored as `f64::NAN` and listed by [`Series::gaps`].
//!
//! A [`MetricPair`] holds the baseline and canary series of one metric and tag set (and
//! Kayenta's pair id when read from Kayenta); it is the one pair type every reader produces and
//! the judge consumes. [`MetricPair::clean`] applies the [`NanPolicy`] once and combines the
//! instances (see [`clean`](super::clean) for the exact rule), giving each side as a validated
//! sample or "no data"; the gaps themselves stay available on the series.
//!
//! **Alignment** (used by the Prometheus and CSV readers). The timestamps of both sides of a pair
//! are put on one axis:
//! - with a step given by the caller, the axis is the regular grid from the earliest to the
//!   latest timestamp of the pair with that step; a timestamp off the grid is an error;
//! - without one, the step is inferred as the greatest common divisor of the offsets of all
//!   timestamps from the earliest; the grid is used if it has at most `4 n + 1024` steps (`n` the
//!   number of points of the pair, all instances and both sides) and fits the remaining
//!   [`GridLimits`] budget, otherwise (irregular timestamps) the axis is the sorted union of the
//!   timestamps ([`Timestamps::Explicit`]).
//!
//! Either way a step that one instance lacks is a gap of that instance, and the cells of all
//! pairs of one reader call (rows of both sides x steps) must fit the [`GridLimits`] budget, or
//! the call fails with [`Error::TooLarge`] before allocating the grid. Cost: `O(p log p + c)`
//! time for `p` points and `c` cells.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::sample::NanPolicy;
use crate::error::{Error, Location, Result, quote};

/// The memory budget of the aligned grids a reader builds (Prometheus and CSV), shared by all
/// pairs of one call.
///
/// Aligning puts every instance of both sides of a pair on one time axis, so a pair costs
/// `rows x steps` cells of 8 bytes (rows: the instances of both sides). A sparse input can make
/// that far larger than the input (one point per instance at distinct times gives `K x K`
/// cells), so the **total** over all pairs is limited to
///
/// `base_cells + cells_per_point x points`
///
/// where `points` is the number of points read (all series, both sides). The defaults are
/// `base_cells` = 4,194,304 (32 MiB) and `cells_per_point` = 64: any input gets a 32 MiB grid,
/// and larger grids up to 64 cells (512 bytes) per point read. A point takes at least 6 bytes
/// of CSV or 8 bytes of Prometheus JSON, so grid memory stays below 32 MiB + 86 x the input
/// size. A larger request is refused with [`Error::TooLarge`] before anything is allocated;
/// a host that expects sparser data raises the limits.
///
/// # Example
/// ```
/// use canary_analysis::metrics::GridLimits;
/// use canary_analysis::metrics::prometheus::PrometheusOptions;
/// let limits = GridLimits::new().base_cells(1 << 24).cells_per_point(256);
/// let opts = PrometheusOptions::new().grid_limits(limits);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridLimits {
    base_cells: u64,
    cells_per_point: u64,
}

impl Default for GridLimits {
    fn default() -> Self {
        GridLimits {
            base_cells: 1 << 22,
            cells_per_point: 64,
        }
    }
}

impl GridLimits {
    /// The defaults: 4,194,304 base cells, 64 cells per point.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::GridLimits;
    /// assert_eq!(GridLimits::new().limit(10), (1 << 22) + 640);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Cells every input may use regardless of its size.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::GridLimits;
    /// assert_eq!(GridLimits::new().base_cells(100).cells_per_point(0).limit(5), 100);
    /// ```
    pub fn base_cells(mut self, cells: u64) -> Self {
        self.base_cells = cells;
        self
    }

    /// Further cells allowed per point read.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::GridLimits;
    /// assert_eq!(GridLimits::new().base_cells(0).cells_per_point(2).limit(5), 10);
    /// ```
    pub fn cells_per_point(mut self, cells: u64) -> Self {
        self.cells_per_point = cells;
        self
    }

    /// The total cells allowed for an input of `points` points (saturating).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::GridLimits;
    /// assert_eq!(GridLimits::new().cells_per_point(u64::MAX).limit(2), u64::MAX);
    /// ```
    pub fn limit(&self, points: u64) -> u64 {
        self.base_cells
            .saturating_add(self.cells_per_point.saturating_mul(points))
    }

    pub(crate) fn budget(&self, points: u64) -> GridBudget {
        GridBudget {
            limit: self.limit(points),
            used: 0,
        }
    }
}

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

/// One instance's row of a [`Series`]: an id and one raw value per step (`NaN` marks a gap;
/// `±inf` are values a source spelled explicitly, see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    id: String,
    values: Vec<f64>,
}

impl Instance {
    /// An instance row. The values are raw (any `f64`); the [`NanPolicy`] is applied when the
    /// pair is cleaned.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Instance;
    /// let row = Instance::new("pod-a", vec![1.0, f64::NAN]);
    /// assert_eq!((row.id(), row.values().len()), ("pod-a", 2));
    /// ```
    pub fn new(id: impl Into<String>, values: Vec<f64>) -> Instance {
        Instance {
            id: id.into(),
            values,
        }
    }

    /// The instance id (empty when the source has no instances).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Instance;
    /// assert_eq!(Instance::new("", vec![]).id(), "");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// One value per step of the series' axis; `NaN` marks a gap.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Instance;
    /// assert_eq!(Instance::new("a", vec![2.0]).values(), &[2.0]);
    /// ```
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

/// One group's observations of one metric: a time axis and one row per instance, every row with
/// one value per step.
///
/// Built by [`Series::new`] / [`Series::single`] (validated); a series with no instances, or
/// with rows of zero steps, is a side with **no data** (not an error). Deserialization validates
/// like [`Series::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SeriesRepr")]
pub struct Series {
    timestamps: Timestamps,
    instances: Vec<Instance>,
}

#[derive(Deserialize)]
struct SeriesRepr {
    timestamps: Timestamps,
    instances: Vec<Instance>,
}

impl TryFrom<SeriesRepr> for Series {
    type Error = Error;
    fn try_from(r: SeriesRepr) -> Result<Series> {
        Series::new(r.timestamps, r.instances)
    }
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
    /// As [`Series::new`].
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
        Series::new(timestamps, vec![Instance::new("", values)])
    }

    /// A series with no data: no instances, [`Timestamps::Unknown`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::Series;
    /// let s = Series::empty();
    /// assert!(s.is_empty());
    /// assert_eq!((s.steps(), s.points()), (0, 0));
    /// ```
    pub fn empty() -> Series {
        Series {
            timestamps: Timestamps::Unknown,
            instances: Vec::new(),
        }
    }

    /// A series from its axis and rows, validated.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] (metric `"series"`) if rows differ in length, two rows have the
    /// same id, an explicit axis does not have one timestamp per step or is not strictly
    /// increasing, or a regular step is not positive.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Instance, Series, Timestamps};
    /// let rows = vec![Instance::new("a", vec![1.0, 2.0]), Instance::new("b", vec![3.0, f64::NAN])];
    /// let s = Series::new(Timestamps::Explicit(vec![10, 20]), rows)?;
    /// assert_eq!((s.steps(), s.points(), s.gap_steps()), (2, 4, 1));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(timestamps: Timestamps, instances: Vec<Instance>) -> Result<Series> {
        let steps = instances.first().map_or(0, |r| r.values.len());
        if let Some(bad) = instances.iter().find(|r| r.values.len() != steps) {
            return Err(Error::sample(
                "series",
                format!(
                    "instance `{}` has {} values, instance `{}` has {steps}",
                    quote(&bad.id),
                    bad.values.len(),
                    quote(&instances[0].id)
                ),
            ));
        }
        if instances.len() > 1 {
            let mut ids: Vec<&str> = instances.iter().map(|r| r.id.as_str()).collect();
            ids.sort_unstable();
            if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
                return Err(Error::sample(
                    "series",
                    format!("two instances have the id `{}`", quote(w[0])),
                ));
            }
        }
        match &timestamps {
            Timestamps::Regular { step_millis, .. } if *step_millis <= 0 => {
                return Err(Error::sample(
                    "series",
                    format!("the step must be positive, not {step_millis} ms"),
                ));
            }
            Timestamps::Explicit(t) => {
                if t.len() != steps && !instances.is_empty() {
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

    /// Built by the readers, whose rows are aligned by construction.
    pub(crate) fn from_aligned(timestamps: Timestamps, instances: Vec<Instance>) -> Series {
        debug_assert!(Series::new(timestamps.clone(), instances.clone()).is_ok());
        Series {
            timestamps,
            instances,
        }
    }

    /// The time axis.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Series, Timestamps};
    /// assert_eq!(Series::single(Timestamps::Unknown, vec![1.0])?.timestamps(), &Timestamps::Unknown);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn timestamps(&self) -> &Timestamps {
        &self.timestamps
    }

    /// The rows, one per instance, each with [`Series::steps`] values.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Series, Timestamps};
    /// let s = Series::single(Timestamps::Unknown, vec![1.0, 2.0])?;
    /// assert_eq!(s.instances()[0].values(), &[1.0, 2.0]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// Number of steps (columns); 0 without instances.
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
        self.instances.len() * self.steps()
    }

    /// Whether the series has no cells at all (no instances or no steps): no data.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Series, Timestamps};
    /// assert!(Series::single(Timestamps::Unknown, vec![])?.is_empty());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.points() == 0
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

    /// Every raw cell, instance by instance, each in step order (gaps included as NaN).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{Instance, Series, Timestamps};
    /// let s = Series::new(Timestamps::Unknown,
    ///     vec![Instance::new("a", vec![1.0, 2.0]), Instance::new("b", vec![3.0, 4.0])])?;
    /// assert_eq!(s.values().collect::<Vec<_>>(), vec![1.0, 2.0, 3.0, 4.0]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.instances.iter().flat_map(|r| r.values.iter().copied())
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
}

/// The baseline and canary series of one metric and tag set: THE pair type every reader
/// produces and the judge consumes.
///
/// Fields are private; build one with [`MetricPair::new`] or [`MetricPair::from_values`], read
/// it with the accessors, and turn it into judge-ready samples with [`MetricPair::clean`].
/// Deserialization validates like [`MetricPair::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PairRepr")]
pub struct MetricPair {
    metric: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    tags: BTreeMap<String, String>,
    baseline: Series,
    canary: Series,
}

#[derive(Deserialize)]
struct PairRepr {
    metric: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    baseline: Series,
    canary: Series,
}

impl TryFrom<PairRepr> for MetricPair {
    type Error = Error;
    fn try_from(r: PairRepr) -> Result<MetricPair> {
        let p = MetricPair::new(r.metric, r.tags, r.baseline, r.canary)?;
        Ok(match r.id {
            Some(id) => p.with_id(id),
            None => p,
        })
    }
}

impl MetricPair {
    /// A pair from its metric name, tags (the labels that identify it, group and instance labels
    /// excluded) and the two series, baseline first.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] if `metric` is empty.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{MetricPair, Series, Timestamps};
    /// let b = Series::single(Timestamps::Unknown, vec![1.0, 2.0])?;
    /// let c = Series::single(Timestamps::Unknown, vec![3.0])?;
    /// let p = MetricPair::new("rps", [("dc".into(), "eu".into())].into(), b, c)?;
    /// assert_eq!((p.metric(), p.tags()["dc"].as_str()), ("rps", "eu"));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(
        metric: impl Into<String>,
        tags: BTreeMap<String, String>,
        baseline: Series,
        canary: Series,
    ) -> Result<MetricPair> {
        let metric = metric.into();
        if metric.is_empty() {
            return Err(Error::sample(
                "metric pair",
                "the metric name must not be empty",
            ));
        }
        Ok(MetricPair {
            metric,
            id: None,
            tags,
            baseline,
            canary,
        })
    }

    /// Built by the readers, which validated the name already.
    pub(crate) fn from_parts(
        metric: String,
        id: Option<String>,
        tags: BTreeMap<String, String>,
        baseline: Series,
        canary: Series,
    ) -> MetricPair {
        MetricPair {
            metric,
            id,
            tags,
            baseline,
            canary,
        }
    }

    /// A pair from two plain value vectors: one instance per side (empty id), no tags,
    /// [`Timestamps::Unknown`]. The convenience for tests and hosts holding bare values.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] if `metric` is empty.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::MetricPair;
    /// let p = MetricPair::from_values("latency", vec![10.0, 11.0], vec![12.0, f64::NAN])?;
    /// assert_eq!(p.canary().gap_steps(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn from_values(
        metric: impl Into<String>,
        baseline: Vec<f64>,
        canary: Vec<f64>,
    ) -> Result<MetricPair> {
        MetricPair::new(
            metric,
            BTreeMap::new(),
            Series::from_aligned(Timestamps::Unknown, vec![Instance::new("", baseline)]),
            Series::from_aligned(Timestamps::Unknown, vec![Instance::new("", canary)]),
        )
    }

    /// The same pair with Kayenta's pair id set.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::MetricPair;
    /// let p = MetricPair::from_values("m", vec![1.0], vec![2.0])?.with_id("a1");
    /// assert_eq!(p.id(), Some("a1"));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn with_id(mut self, id: impl Into<String>) -> MetricPair {
        self.id = Some(id.into());
        self
    }

    /// The metric name.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::MetricPair;
    /// assert_eq!(MetricPair::from_values("m", vec![1.0], vec![2.0])?.metric(), "m");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn metric(&self) -> &str {
        &self.metric
    }

    /// Kayenta's pair id (`id` of a metric-set pair), if the source had one.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::MetricPair;
    /// assert_eq!(MetricPair::from_values("m", vec![1.0], vec![2.0])?.id(), None);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The tags that identify the pair (group and instance labels excluded).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::MetricPair;
    /// assert!(MetricPair::from_values("m", vec![1.0], vec![2.0])?.tags().is_empty());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// The baseline's series.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::MetricPair;
    /// let p = MetricPair::from_values("m", vec![1.0, 2.0], vec![3.0])?;
    /// assert_eq!(p.baseline().steps(), 2);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn baseline(&self) -> &Series {
        &self.baseline
    }

    /// The canary's series.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::MetricPair;
    /// let p = MetricPair::from_values("m", vec![1.0, 2.0], vec![3.0])?;
    /// assert_eq!(p.canary().steps(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn canary(&self) -> &Series {
        &self.canary
    }

    /// A readable name: the metric followed by its tags, `name{k="v",...}` (each part cut by
    /// the error-message bound when very long).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{MetricPair, Series};
    /// let p = MetricPair::new("rps", [("dc".into(), "eu".into())].into(),
    ///                         Series::empty(), Series::empty())?;
    /// assert_eq!(p.selector(), "rps{dc=\"eu\"}");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn selector(&self) -> String {
        if self.tags.is_empty() {
            return quote(&self.metric);
        }
        let tags: Vec<String> = self
            .tags
            .iter()
            .map(|(k, v)| format!("{}={:?}", quote(k), quote(v)))
            .collect();
        format!("{}{{{}}}", quote(&self.metric), tags.join(","))
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
    budget: &mut GridBudget,
) -> Result<(Series, Series)> {
    // Each instance's timestamps are strictly increasing, so the pair's range comes from the
    // first and last points, and the grid step from the offsets and consecutive differences.
    let rows = || {
        baseline
            .iter()
            .chain(canary.iter())
            .filter(|r| !r.ts.is_empty())
    };
    let n_rows = (baseline.len() + canary.len()) as u64;
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
            // Refuse before allocating: every row of both sides gets `steps` cells.
            budget.take(n_rows.saturating_mul(steps))?;
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
            let inferred = span.checked_div(g).and_then(|q| {
                let steps = q + 1;
                let limit = 4 * total as u64 + 1024;
                (steps <= limit && n_rows.saturating_mul(steps) <= budget.remaining())
                    .then_some((g as i64, steps as usize))
            });
            if let Some((_, steps)) = inferred {
                budget.take(n_rows * steps as u64)?;
            }
            inferred
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
            budget.take(n_rows.saturating_mul(n as u64))?;
            (Timestamps::Explicit(all), n)
        }
    };
    Ok((
        place(baseline, &timestamps, steps),
        place(canary, &timestamps, steps),
    ))
}

/// The grid cells one reader call may still allocate (see [`GridLimits`]).
#[derive(Debug)]
pub(crate) struct GridBudget {
    limit: u64,
    used: u64,
}

impl GridBudget {
    pub(crate) fn remaining(&self) -> u64 {
        self.limit - self.used
    }

    /// Reserves `cells`, or reports the total that would be requested.
    pub(crate) fn take(&mut self, cells: u64) -> Result<()> {
        let requested = self.used.saturating_add(cells);
        if requested > self.limit {
            return Err(Error::too_large(
                "aligned grid cells (instances x steps, both sides, all pairs)",
                self.limit,
                requested,
            ));
        }
        self.used = requested;
        Ok(())
    }
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
            &mut GridLimits::new().budget(5),
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
            &mut GridLimits::new().budget(5),
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
            &mut GridLimits::new().budget(2),
        );
        assert!(matches!(off, Err(Error::Parse { .. })));
        let huge = align_pair(
            "test",
            vec![raw("", &[0, i64::MAX / 2], &[1.0, 2.0])],
            vec![],
            Some(1),
            &mut GridLimits::new().budget(2),
        );
        assert!(matches!(huge, Err(Error::TooLarge { .. })));
    }
}
