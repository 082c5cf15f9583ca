//! The judge: per-metric classification, weighted scoring, Kayenta compatibility and the report.
//!
//! Two judges share one scoring engine and one result type:
//!
//! - **Kayenta mode** ([`Mode::Kayenta`], [`kayenta`]) reproduces NetflixACAJudge-v1.0 exactly
//!   as `shared/spec/kayenta.md` describes, flaws included, so a team can switch from Kayenta and
//!   compare side by side.
//! - **The default judge** ([`Mode::Default`], [`default`]) fixes Kayenta's known failure modes:
//!   spread and tail regressions, sparse errors against a zero baseline, false alarms from many
//!   metrics, low-data canaries, and groups without data counted as 100.
//!
//! Input: a Kayenta [`config::CanaryConfig`], the metric data (baseline =
//! Kayenta's `control`, canary = Kayenta's `experiment`, NaN marking gaps) and the
//! [`config::Thresholds`]. Output: a [`result::CanaryJudgeResult`]
//! with Kayenta's field names plus ours; [`report::render_html`] turns it into a page.
//!
//! Each metric-set pair is matched to its metric config by name; several pairs may share a
//! metric (one per tag set). A config metric without any pair gets a `Nodata` result ("no
//! metric-set pair"), in both modes. A pair whose name is in no metric config is an
//! [`Error::Config`]; an infinite value is an [`Error::InvalidSample`].
//!
//! # Example
//! ```
//! use canary_analysis::judge::{judge_values, MetricValues, Mode};
//! use canary_analysis::judge::config::{CanaryConfig, Thresholds};
//! let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "latency", "groups": ["g"],
//!     "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#)?;
//! let baseline: Vec<f64> = (0..50).map(|i| 100.0 + (i % 7) as f64).collect();
//! let canary: Vec<f64> = baseline.iter().map(|v| v * 2.0).collect();
//! let data = [MetricValues::new("latency", &baseline, &canary)];
//! let result = judge_values(&cfg, &data, &Thresholds::new(95.0, 75.0)?, Mode::Default)?;
//! assert_eq!(result.score.classification.as_str(), "Fail");
//! # Ok::<(), canary_analysis::Error>(())
//! ```

use std::collections::BTreeMap;

use crate::error::{Error, Result};

pub mod config;
pub mod default;
pub mod kayenta;
pub mod report;
pub mod result;
pub mod score;

pub use result::{CanaryJudgeResult, Classification, Mode, Verdict};

use config::{CanaryConfig, MetricConfig, Thresholds};
use result::{MetricAnalysis, MetricResult, ResultMetadata, SideMetadata, SideStats};

/// Kayenta's judge name, written in Kayenta mode.
pub const KAYENTA_JUDGE_NAME: &str = "NetflixACAJudge-v1.0";
/// Our default judge's name.
pub const DEFAULT_JUDGE_NAME: &str = "canary-analysis-default-v1";

/// One metric's data, borrowed: baseline (`control`) and canary (`experiment`) values with NaN
/// for gaps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricValues<'a> {
    /// The metric name (matched to the config).
    pub name: &'a str,
    /// Kayenta's pair id.
    pub id: Option<&'a str>,
    /// The pair's tags.
    pub tags: Option<&'a BTreeMap<String, String>>,
    /// Baseline values.
    pub control: &'a [f64],
    /// Canary values.
    pub experiment: &'a [f64],
}

impl<'a> MetricValues<'a> {
    /// Data of metric `name`: baseline first, canary second.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::MetricValues;
    /// let m = MetricValues::new("cpu", &[1.0, 2.0], &[1.5, f64::NAN]);
    /// assert_eq!(m.experiment.len(), 2);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(name: &'a str, control: &'a [f64], experiment: &'a [f64]) -> Self {
        MetricValues {
            name,
            id: None,
            tags: None,
            control,
            experiment,
        }
    }
}

/// Judges a canary from borrowed metric data (see the module docs).
///
/// # Errors
/// [`Error::Config`] for an invalid config or a metric without a config, [`Error::InvalidSample`]
/// for an infinite value, the thresholds' validation errors.
///
/// # Example
/// ```
/// use canary_analysis::judge::{judge_values, MetricValues, Mode};
/// use canary_analysis::judge::config::{CanaryConfig, Thresholds};
/// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
/// let b = [1.0, 2.0, 3.0, 4.0, 5.0];
/// let r = judge_values(&cfg, &[MetricValues::new("m", &b, &b)], &Thresholds::new(95.0, 75.0)?, Mode::Kayenta)?;
/// assert_eq!(r.score.score, 100.0);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn judge_values(
    config: &CanaryConfig,
    metrics: &[MetricValues<'_>],
    thresholds: &Thresholds,
    mode: Mode,
) -> Result<CanaryJudgeResult> {
    config.validate()?;
    thresholds.validate()?;
    let settings = config.settings()?;
    let by_name: BTreeMap<&str, &MetricConfig> = config
        .metrics
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    for m in metrics {
        if !by_name.contains_key(m.name) {
            return Err(Error::Config {
                path: format!("metrics[name={}]", m.name),
                reason: format!("metric-set pair `{}` has no metric config", m.name),
            });
        }
        for (side, values) in [("control", m.control), ("experiment", m.experiment)] {
            if let Some(v) = values.iter().find(|v| v.is_infinite()) {
                return Err(Error::sample(
                    m.name,
                    format!("{side} holds {v}; only finite values and NaN gaps are accepted"),
                ));
            }
        }
    }
    // Every config metric gets at least one result: pairs in input order, then the metrics
    // no pair mentions, as Nodata.
    let empty: &[f64] = &[];
    let mut inputs: Vec<(MetricValues<'_>, &MetricConfig, bool)> = metrics
        .iter()
        .map(|m| (*m, by_name[m.name], true))
        .collect();
    let present: std::collections::BTreeSet<&str> = metrics.iter().map(|m| m.name).collect();
    for mc in &config.metrics {
        if !present.contains(mc.name.as_str()) {
            inputs.push((MetricValues::new(&mc.name, empty, empty), mc, false));
        }
    }
    let weights = &config.classifier.group_weights;
    match mode {
        Mode::Kayenta => {
            let results: Vec<MetricResult> = inputs
                .iter()
                .map(|(m, mc, present)| {
                    let s = kayenta::KayentaSettings {
                        metric: mc.analysis_configurations.canary,
                        tolerance: settings.tolerance,
                        conf_level: settings.conf_level,
                    };
                    let c = kayenta::classify(m.control, m.experiment, &s);
                    let reason = if *present {
                        c.reason.clone()
                    } else {
                        format!("no metric-set pair; {}", c.reason)
                    };
                    let mut r = base_result(m, mc, c.control_stats, c.experiment_stats);
                    r.classification = c.classification;
                    r.classification_reason = Some(reason);
                    r.critical = c.critical;
                    r.result_metadata.ratio = c.ratio;
                    r.analysis = MetricAnalysis {
                        estimate: c.interval.map(|i| i.estimate),
                        lower: c.interval.map(|i| i.lower),
                        upper: c.interval.map(|i| i.upper),
                        confidence: c.interval.map(|i| i.confidence),
                        band: c.band,
                        effect: c.effect,
                        p_value: None,
                        n_baseline: c.control_stats.count,
                        n_canary: c.experiment_stats.count,
                        points_needed: None,
                        tests: Vec::new(),
                    };
                    r
                })
                .collect();
            let (group_scores, score) = score::score_kayenta(&results, weights, thresholds);
            Ok(CanaryJudgeResult {
                judge_name: KAYENTA_JUDGE_NAME.into(),
                results,
                group_scores,
                score,
                mode,
                coverage: 1.0,
            })
        }
        _ => {
            let results = default::classify_all(&inputs, &settings);
            let (group_scores, score, coverage) =
                score::score_default(&results, weights, thresholds);
            Ok(CanaryJudgeResult {
                judge_name: DEFAULT_JUDGE_NAME.into(),
                results,
                group_scores,
                score,
                mode: Mode::Default,
                coverage,
            })
        }
    }
}

/// Judges a canary from Kayenta metric-set pairs (`control` = baseline, `experiment` = canary).
///
/// # Errors
/// As [`judge_values`].
///
/// # Example
/// ```
/// use canary_analysis::judge::{judge, Mode};
/// use canary_analysis::judge::config::{CanaryConfig, Thresholds};
/// use canary_analysis::metrics::read_metric_set_pairs;
/// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "errors", "groups": ["g"],
///     "analysisConfigurations": {"canary": {"direction": "increase", "kind": "count"}}}]}"#)?;
/// let pairs = read_metric_set_pairs(r#"[{"name": "errors",
///     "values": {"control": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
///                "experiment": [1, 2, 1, 0, 3, 1, 2, 1, 1, 2, 1, 1]}}]"#)?;
/// let r = judge(&cfg, &pairs, &Thresholds::new(95.0, 75.0)?, Mode::Default)?;
/// assert_eq!(r.results[0].classification.as_str(), "High");
/// let k = judge(&cfg, &pairs, &Thresholds::new(95.0, 75.0)?, Mode::Kayenta)?;
/// assert_eq!(k.score.classification.as_str(), "Fail");
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn judge(
    config: &CanaryConfig,
    pairs: &[crate::metrics::MetricSetPair],
    thresholds: &Thresholds,
    mode: Mode,
) -> Result<CanaryJudgeResult> {
    let values: Vec<MetricValues<'_>> = pairs
        .iter()
        .map(|p| MetricValues {
            name: &p.name,
            id: p.id.as_deref(),
            tags: Some(&p.tags),
            control: &p.values.control,
            experiment: &p.values.experiment,
        })
        .collect();
    judge_values(config, &values, thresholds, mode)
}

/// A result skeleton carrying the metric's identity, groups, muted flag and stats.
pub(crate) fn base_result(
    m: &MetricValues<'_>,
    mc: &MetricConfig,
    control: SideStats,
    experiment: SideStats,
) -> MetricResult {
    MetricResult {
        name: m.name.to_owned(),
        id: m.id.map(str::to_owned),
        tags: m.tags.cloned().unwrap_or_default(),
        classification: Classification::Pass,
        classification_reason: None,
        groups: mc.groups.clone(),
        critical: false,
        muted: mc.analysis_configurations.canary.muted,
        result_metadata: ResultMetadata { ratio: 1.0 },
        experiment_metadata: SideMetadata { stats: experiment },
        control_metadata: SideMetadata { stats: control },
        analysis: MetricAnalysis::default(),
    }
}
