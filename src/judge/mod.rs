//! The judge: per-metric classification, weighted scoring, Kayenta compatibility and the report.
//!
//! A judge is a type implementing [`Judge`]: it takes the metric pairs of one canary run
//! (baseline and canary series per metric, as every reader in [`crate::metrics`] produces them)
//! and returns a [`CanaryJudgeResult`]. Two judges ship with the crate, each built once from a
//! [`CanaryConfig`] and [`Thresholds`]:
//!
//! - [`KayentaJudge`] reproduces Kayenta's NetflixACAJudge-v1.0 exactly, flaws included (see
//!   [`kayenta`] for every definition), so a team can switch from Kayenta and compare side by
//!   side.
//! - [`DefaultJudge`] fixes Kayenta's known failure modes (see [`default`]): spread and tail
//!   regressions, sparse errors against a zero baseline, false alarms from many metrics,
//!   low-data canaries, groups without data counted as 100, metrics without a group left out of
//!   the score.
//!
//! A host supplies its own judge by implementing [`Judge`] (see its example).
//!
//! # From pairs to results
//! Each [`MetricPair`] is matched to its metric config by name; several pairs may share a metric
//! (one per tag set). A pair whose name is in no metric config is an [`Error::Config`]. A config
//! metric without any pair gets a `Nodata` result ("no metric-set pair"), in both judges.
//!
//! Each pair is cleaned once with [`MetricPair::clean`]: the metric's non-finite policy
//! ([`NanPolicy`](crate::metrics::NanPolicy), from Kayenta's `nanStrategy`: `remove` drops NaN
//! and ±inf, `replace` turns them into 0.0) and the judge's [`Combine`] option for the
//! instances of a side (default [`Combine::Pooled`]: every instance's points form one sample,
//! which with one series per side is exactly Kayenta's sample). Then, if configured, outliers
//! are removed. What was done is recorded in each result ([`result::MetricAnalysis::cleaning`],
//! [`result::MetricAnalysis::outliers_removed`]). Values so large that their
//! differences or sums overflow `f64` (near `f64::MAX`) are refused with
//! [`Error::InvalidSample`] rather than judged on infinities.
//!
//! # Example
//! ```
//! use canary_analysis::prelude::*;
//! use canary_analysis::metrics::read_metric_set_pairs;
//! let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "latency", "groups": ["g"],
//!     "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#)?;
//! let baseline: Vec<String> = (0..50).map(|i| (100 + i % 7).to_string()).collect();
//! let canary: Vec<String> = (0..50).map(|i| (200 + 2 * (i % 7)).to_string()).collect();
//! let pairs = read_metric_set_pairs(&format!(
//!     r#"[{{"name": "latency", "values": {{"control": [{}], "experiment": [{}]}}}}]"#,
//!     baseline.join(","), canary.join(",")))?;
//! let judge = DefaultJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?;
//! let result = judge.judge(&pairs)?;
//! assert_eq!(result.verdict(), Verdict::Fail);
//! let worst = result.worst().unwrap();
//! assert!(worst.sentence().starts_with("latency +"), "{}", worst.sentence());
//! assert!(worst.sentence().contains("above the 5% margin"), "{}", worst.sentence());
//! # Ok::<(), canary_analysis::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::metrics::{CleanOptions, CleanRecord, Combine, MetricPair, Sample};

pub mod config;
pub mod default;
pub mod kayenta;
pub mod report;
pub mod result;
pub mod score;

pub use config::{CanaryConfig, Thresholds};
pub use default::DefaultJudge;
pub use kayenta::KayentaJudge;
pub use result::{CanaryJudgeResult, Classification, MetricResult, Verdict};

use config::MetricConfig;

/// Kayenta's judge name, written by [`KayentaJudge`].
pub const KAYENTA_JUDGE_NAME: &str = "NetflixACAJudge-v1.0";
/// Our default judge's name, written by [`DefaultJudge`].
pub const DEFAULT_JUDGE_NAME: &str = "canary-analysis-default-v1";

/// A canary judge: metric pairs in, a scored, classified result out.
///
/// One required method, object safe (`Box<dyn Judge>` and `&dyn Judge` work), with blanket
/// implementations for `&J`, `&mut J`, `Box<J>` and `Arc<J>`. A judge validates its config when
/// it is built, so [`Judge::judge`] only fails on the data (a pair with no metric config, values
/// that overflow).
///
/// # Example: a host judge
/// A host with its own rule (here: fail when any canary p99 exceeds a fixed SLO) implements the
/// trait and scores with the crate's Kayenta scorer:
/// ```
/// use std::collections::BTreeMap;
/// use canary_analysis::prelude::*;
/// use canary_analysis::judge::score::score_kayenta;
/// use canary_analysis::metrics::read_metric_set_pairs;
///
/// struct SloJudge { slo: f64, thresholds: Thresholds }
///
/// impl Judge for SloJudge {
///     fn judge(&self, pairs: &[MetricPair]) -> canary_analysis::Result<CanaryJudgeResult> {
///         let results: Vec<MetricResult> = pairs.iter().map(|p| {
///             let mut v: Vec<f64> = p.canary().values().filter(|v| v.is_finite()).collect();
///             v.sort_by(f64::total_cmp);
///             let p99 = v.get((v.len() * 99) / 100).copied().unwrap_or(f64::NAN);
///             let class = if p99 > self.slo { Classification::High } else { Classification::Pass };
///             MetricResult::new(p.metric(), class, ["slo"])
///         }).collect();
///         let (group_scores, score) = score_kayenta(&results, &BTreeMap::new(), &self.thresholds);
///         Ok(CanaryJudgeResult { judge_name: "slo-judge".into(), results, group_scores, score,
///                                coverage: 1.0, warnings: vec![], warning_details: vec![] })
///     }
/// }
///
/// let pairs = read_metric_set_pairs(
///     r#"[{"name": "latency", "values": {"control": [1, 2], "experiment": [1, 900]}}]"#)?;
/// let judge: Box<dyn Judge> = Box::new(SloJudge { slo: 500.0, thresholds: Thresholds::new(95.0, 75.0)? });
/// assert_eq!(judge.judge(&pairs)?.verdict(), Verdict::Fail);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub trait Judge {
    /// Judges one canary run: `pairs` are the baseline and canary series of its metrics.
    ///
    /// # Errors
    /// The judge's data errors, e.g. [`Error::Config`] for a pair without a metric config.
    fn judge(&self, pairs: &[MetricPair]) -> Result<CanaryJudgeResult>;
}

impl<J: Judge + ?Sized> Judge for &J {
    fn judge(&self, pairs: &[MetricPair]) -> Result<CanaryJudgeResult> {
        (**self).judge(pairs)
    }
}

impl<J: Judge + ?Sized> Judge for &mut J {
    fn judge(&self, pairs: &[MetricPair]) -> Result<CanaryJudgeResult> {
        (**self).judge(pairs)
    }
}

impl<J: Judge + ?Sized> Judge for Box<J> {
    fn judge(&self, pairs: &[MetricPair]) -> Result<CanaryJudgeResult> {
        (**self).judge(pairs)
    }
}

impl<J: Judge + ?Sized> Judge for std::sync::Arc<J> {
    fn judge(&self, pairs: &[MetricPair]) -> Result<CanaryJudgeResult> {
        (**self).judge(pairs)
    }
}

/// One metric's data after the non-finite policy and outlier removal, ready for a classifier.
#[derive(Debug)]
pub(crate) struct Input<'a> {
    pub(crate) name: &'a str,
    pub(crate) id: Option<String>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) metric: &'a MetricConfig,
    /// Whether a pair was given (else the metric is reported as "no metric-set pair").
    pub(crate) present: bool,
    pub(crate) baseline: Vec<f64>,
    pub(crate) canary: Vec<f64>,
    /// Points removed as outliers, baseline first.
    pub(crate) outliers: [usize; 2],
    /// What the non-finite policy did (`None` without a pair).
    pub(crate) cleaning: Option<CleanRecord>,
}

/// Refuses values whose sums or differences overflow `f64`.
fn check_range(name: &str, baseline: &[f64], canary: &[f64]) -> Result<()> {
    let all = || baseline.iter().chain(canary.iter());
    let (min, max) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    let spread_ok = all().next().is_none() || (max - min).is_finite();
    let sums_ok = [baseline, canary]
        .iter()
        .all(|s| s.iter().map(|v| v.abs()).sum::<f64>().is_finite());
    if spread_ok && sums_ok {
        return Ok(());
    }
    Err(Error::sample(
        name,
        format!(
            "values between {min:e} and {max:e} overflow f64 in their sums or differences \
             (means, shifts and intervals would be infinite); rescale the metric, e.g. to \
             larger units"
        ),
    ))
}

/// Matches pairs to metric configs, cleans each pair once (the metric's policy, `combine`), and
/// appends a `Nodata` input for every config metric without a pair.
pub(crate) fn prepare_inputs<'a>(
    config: &'a CanaryConfig,
    pairs: &'a [MetricPair],
    combine: Combine,
) -> Result<Vec<Input<'a>>> {
    let mut inputs = Vec::with_capacity(pairs.len() + config.metrics().len());
    let mut present = BTreeSet::new();
    for p in pairs {
        let Some(mc) = config.metric(p.metric()) else {
            return Err(Error::Config {
                path: format!("metrics[name={}]", p.metric()),
                reason: format!("metric-set pair `{}` has no metric config", p.selector()),
            });
        };
        present.insert(mc.name());
        let s = mc.settings();
        let opts = CleanOptions::new().policy(s.nan_policy).combine(combine);
        let (b, c, record) = p.clean(&opts)?.into_parts();
        let (b, c) = (
            b.map(Sample::into_vec).unwrap_or_default(),
            c.map(Sample::into_vec).unwrap_or_default(),
        );
        let (b_len, c_len) = (b.len(), c.len());
        let (baseline, canary) = (kayenta::apply_outliers(b, s), kayenta::apply_outliers(c, s));
        check_range(mc.name(), &baseline, &canary)?;
        inputs.push(Input {
            name: mc.name(),
            id: p.id().map(str::to_owned),
            tags: p.tags().clone(),
            metric: mc,
            present: true,
            outliers: [b_len - baseline.len(), c_len - canary.len()],
            cleaning: Some(record),
            baseline,
            canary,
        });
    }
    for mc in config.metrics() {
        if !present.contains(mc.name()) {
            inputs.push(Input {
                name: mc.name(),
                id: None,
                tags: BTreeMap::new(),
                metric: mc,
                present: false,
                baseline: Vec::new(),
                canary: Vec::new(),
                outliers: [0, 0],
                cleaning: None,
            });
        }
    }
    Ok(inputs)
}

/// A result skeleton carrying the metric's identity, groups, muted flag and cleaning record.
pub(crate) fn base_result(input: &Input<'_>) -> MetricResult {
    let mut r = MetricResult::new(
        input.name,
        Classification::Pass,
        input.metric.groups().iter().cloned(),
    );
    r.id = input.id.clone();
    r.tags = input.tags.clone();
    r.muted = input.metric.settings().muted;
    r.analysis.n_baseline = input.baseline.len();
    r.analysis.n_canary = input.canary.len();
    r.analysis.cleaning = input.cleaning.clone();
    r.analysis.outliers_removed = input.outliers;
    r
}

/// The sentence for a result without a deciding test.
pub(crate) fn plain_sentence(name: &str, class: Classification, why: &str) -> String {
    format!("{name}: {} ({why})", class.as_str())
}
