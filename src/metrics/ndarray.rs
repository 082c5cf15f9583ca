//! `ndarray` input: 1-D samples and 2-D `instances x time` matrices.
//!
//! - [`clean_view`] validates a view of any dimension under a [`NanPolicy`] and returns a
//!   [`CleanedView`] whose values **borrow the view's memory** when the view is contiguous in
//!   standard (row-major) order and already all finite, the common case; otherwise (a strided or
//!   column-major view, or values the policy had to drop or replace) the values are copied once.
//!   The values are in logical row-major order: instance by instance, each in time order.
//! - [`series_from_view`] turns a 2-D `instances x time` view into a [`Series`] (an owned copy,
//!   with NaN gaps kept), and [`pair_from_views`] builds a [`MetricPair`] from two such views.
//!
//! Cost: linear in the number of cells; a view without cells allocates nothing per row.
//!
//! Statistics in this crate take `&[f64]`, so a [`CleanedView`] feeds them without a copy:
//! `mann_whitney(&baseline.values, &canary.values, &opts)`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use ::ndarray::{ArrayView, ArrayView2, Dimension};
use serde::Serialize;

use super::sample::{NanPolicy, Sample};
use super::series::{Instance, MetricPair, Series, Timestamps};
use crate::error::{Error, Result};

/// Values validated from an `ndarray` view, borrowed when possible (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanedView<'a> {
    /// The finite values, non-empty, in logical row-major order.
    pub values: Cow<'a, [f64]>,
    /// The policy applied.
    pub policy: NanPolicy,
    /// How many non-finite values were dropped.
    pub removed: usize,
    /// How many non-finite values were replaced.
    pub replaced: usize,
    /// Of those, how many were infinite rather than NaN.
    pub infinite: usize,
}

impl CleanedView<'_> {
    /// Whether the values borrow the view's memory (no copy was made).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{NanPolicy, ndarray::clean_view};
    /// let a = ndarray::array![1.0, 2.0, 3.0];
    /// assert!(clean_view("m", a.view(), NanPolicy::Fail)?.is_borrowed());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn is_borrowed(&self) -> bool {
        matches!(self.values, Cow::Borrowed(_))
    }

    /// An owned [`Sample`] (copies if borrowed).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{NanPolicy, ndarray::clean_view};
    /// let a = ndarray::array![1.0, f64::NAN];
    /// assert_eq!(clean_view("m", a.view(), NanPolicy::Remove)?.to_sample().len(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn to_sample(&self) -> Sample {
        // Non-empty and finite by construction.
        Sample::from_checked(self.values.to_vec())
    }
}

/// Validates a view under `policy`, borrowing its memory when it is contiguous (standard layout)
/// and all finite.
///
/// # Errors
/// As [`Sample::with_policy`]: [`Error::InvalidSample`] for an empty view, an all-NaN view under
/// [`NanPolicy::Remove`], a non-finite value under [`NanPolicy::Fail`];
/// [`Error::InvalidParameter`] for a non-finite replacement.
///
/// # Example
/// ```
/// use canary_analysis::metrics::{NanPolicy, ndarray::clean_view};
/// // 2 instances x 3 steps; the second instance has a gap.
/// let m = ndarray::array![[1.0, 2.0, 3.0], [4.0, f64::NAN, 6.0]];
/// let c = clean_view("latency", m.view(), NanPolicy::Remove)?;
/// assert_eq!(&*c.values, &[1.0, 2.0, 3.0, 4.0, 6.0]);
/// assert!(!c.is_borrowed());
/// let row = m.row(0);
/// assert!(clean_view("latency", row, NanPolicy::Fail)?.is_borrowed());
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn clean_view<'a, D: Dimension>(
    metric: &str,
    view: ArrayView<'a, f64, D>,
    policy: NanPolicy,
) -> Result<CleanedView<'a>> {
    if let Some(slice) = view.to_slice()
        && !slice.is_empty()
        && slice.iter().all(|v| v.is_finite())
    {
        if let NanPolicy::Replace(r) = policy
            && !r.is_finite()
        {
            return Err(Error::param(
                "NanPolicy::Replace",
                r,
                "the replacement must be a finite number",
            ));
        }
        return Ok(CleanedView {
            values: Cow::Borrowed(slice),
            policy,
            removed: 0,
            replaced: 0,
            infinite: 0,
        });
    }
    let c = Sample::with_policy_iter(metric, view.len(), view.iter().copied(), policy)?;
    Ok(CleanedView {
        values: Cow::Owned(c.sample.into_vec()),
        policy: c.policy,
        removed: c.removed,
        replaced: c.replaced,
        infinite: c.infinite,
    })
}

/// A [`Series`] from an `instances x time` view (rows are instances, columns are steps); NaN
/// values are gaps. Instance ids are `ids[i]`, or `"0"`, `"1"`, ... when `ids` is `None`.
///
/// A view with no cells (no rows or no columns) is a series with no data and no instances,
/// built without allocating per row. Memory otherwise: one copy of the view plus the ids.
///
/// # Errors
/// [`Error::InvalidSample`] if `ids` has the wrong length, or the timestamps do not fit the
/// number of columns (see [`Series::new`]).
///
/// # Example
/// ```
/// use canary_analysis::metrics::{Timestamps, ndarray::series_from_view};
/// let m = ndarray::array![[1.0, f64::NAN], [3.0, 4.0]];
/// let s = series_from_view(m.view(), Timestamps::Regular { start_millis: 0, step_millis: 1000 }, None)?;
/// assert_eq!(s.gaps()[0].instance, "0");
/// assert_eq!(s.gaps()[0].start_millis, Some(1000));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn series_from_view(
    view: ArrayView2<'_, f64>,
    timestamps: Timestamps,
    ids: Option<&[String]>,
) -> Result<Series> {
    if let Some(ids) = ids
        && ids.len() != view.nrows()
    {
        return Err(Error::sample(
            "series",
            format!("{} instance ids for {} rows", ids.len(), view.nrows()),
        ));
    }
    // A view without cells (e.g. 10^7 x 0) is a side with no data: checked before anything
    // per row is allocated.
    if view.is_empty() {
        return Series::new(timestamps, Vec::new());
    }
    let instances = view
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            Instance::new(
                ids.map_or_else(|| i.to_string(), |ids| ids[i].clone()),
                row.to_vec(),
            )
        })
        .collect();
    Series::new(timestamps, instances)
}

/// A [`MetricPair`] from baseline and canary `instances x time` views sharing `timestamps`.
///
/// # Errors
/// As [`series_from_view`] for either side.
///
/// # Example
/// ```
/// use canary_analysis::metrics::{CleanOptions, Timestamps, ndarray::pair_from_views};
/// let b = ndarray::array![[1.0, 2.0], [3.0, 4.0]];
/// let c = ndarray::array![[5.0, f64::NAN]];
/// let p = pair_from_views("rps", b.view(), c.view(), Timestamps::Unknown)?;
/// assert_eq!(p.clean(&CleanOptions::new())?.canary().map(|s| s.values()), Some(&[5.0][..]));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn pair_from_views(
    metric: &str,
    baseline: ArrayView2<'_, f64>,
    canary: ArrayView2<'_, f64>,
    timestamps: Timestamps,
) -> Result<MetricPair> {
    MetricPair::new(
        metric,
        BTreeMap::new(),
        series_from_view(baseline, timestamps.clone(), None)?,
        series_from_view(canary, timestamps, None)?,
    )
}
