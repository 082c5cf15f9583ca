//! The judge's output: Kayenta's `CanaryJudgeResult` field names, plus ours.
//!
//! Kayenta's fields keep their names and spellings (`judgeName`, `results[].classification`,
//! `classificationReason`, `resultMetadata.ratio`, `experimentMetadata.stats`,
//! `controlMetadata.stats`, `groupScores`, `score`). Our additions live under names of their own
//! (`analysis`, `mode`, `coverage`, `noData`), so a Kayenta consumer can ignore them.
//!
//! Non-finite numbers (a `NaN` ratio when a mean is 0, an infinite interval end) are written as
//! the strings `"NaN"`, `"Infinity"`, `"-Infinity"` and read back from those strings (or
//! `null`, read as NaN), so every result survives a JSON round trip.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::serde_float::{nonfinite, nonfinite_opt};

/// A metric's classification. Kayenta's spellings, plus [`Classification::InsufficientData`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Classification {
    /// No regression.
    Pass,
    /// The canary is higher (location, spread, tail or rate), in a direction that counts.
    High,
    /// The canary is lower, in a direction that counts.
    Low,
    /// A side has no data; not scored.
    Nodata,
    /// A side has no data and the metric must have data; scored as a failure.
    NodataFailMetric,
    /// The classification failed; not scored.
    Error,
    /// Ours (default judge): both sides have data, but too few points for the tests to ever
    /// reach significance; not scored, lowers the coverage.
    InsufficientData,
}

impl Classification {
    /// Kayenta's spelling (and ours for [`Classification::InsufficientData`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Pass => "Pass",
            Classification::High => "High",
            Classification::Low => "Low",
            Classification::Nodata => "Nodata",
            Classification::NodataFailMetric => "NodataFailMetric",
            Classification::Error => "Error",
            Classification::InsufficientData => "InsufficientData",
        }
    }
}

/// A canary verdict in Kayenta's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Verdict {
    /// Score at or above the pass threshold.
    Pass,
    /// Score at or above the marginal threshold.
    Marginal,
    /// Below the marginal threshold, or a critical failure.
    Fail,
}

impl Verdict {
    /// Kayenta's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "Pass",
            Verdict::Marginal => "Marginal",
            Verdict::Fail => "Fail",
        }
    }
}

/// Which judge produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Mode {
    /// NetflixACAJudge-v1.0 reproduced, flaws included.
    #[serde(rename = "kayenta")]
    Kayenta,
    /// Our default judge.
    #[default]
    #[serde(rename = "default")]
    Default,
}

/// Per-side summary statistics (Kayenta's `stats`): empty side gives zeros.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SideStats {
    /// Number of points after NaN handling and outlier removal.
    pub count: usize,
    /// Mean.
    #[serde(with = "nonfinite")]
    pub mean: f64,
    /// Minimum.
    #[serde(with = "nonfinite")]
    pub min: f64,
    /// Maximum.
    #[serde(with = "nonfinite")]
    pub max: f64,
    /// Standard deviation with the `n - 1` denominator (0 when `count < 2`).
    #[serde(with = "nonfinite")]
    pub std: f64,
}

impl SideStats {
    /// The stats of `values` (finite values expected).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::result::SideStats;
    /// let s = SideStats::of(&[1.0, 2.0, 3.0]);
    /// assert_eq!((s.count, s.mean, s.min, s.max, s.std), (3, 2.0, 1.0, 3.0, 1.0));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn of(values: &[f64]) -> SideStats {
        if values.is_empty() {
            return SideStats::default();
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let std = if values.len() < 2 {
            0.0
        } else {
            (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt()
        };
        SideStats {
            count: values.len(),
            mean,
            min,
            max,
            std,
        }
    }
}

/// Kayenta's `experimentMetadata` / `controlMetadata`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SideMetadata {
    /// The side's stats.
    pub stats: SideStats,
}

/// Kayenta's `resultMetadata`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResultMetadata {
    /// `mean(canary) / mean(baseline)`; NaN when a mean is 0; 1.0 on the early passes.
    #[serde(with = "nonfinite")]
    pub ratio: f64,
}

/// One statistical test behind a classification (ours).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestOutcome {
    /// The test, e.g. `"mann-whitney"`, `"upper-exceedance"`, `"rate"`.
    pub test: String,
    /// Which change it looks for: `"increase"` or `"decrease"` (one-sided tests) or `"either"`.
    pub side: String,
    /// The raw p-value.
    #[serde(with = "nonfinite")]
    pub p_value: f64,
    /// The p-value adjusted for multiplicity (Holm), when adjusted.
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub adjusted_p_value: Option<f64>,
    /// The test's effect estimate, in the test's own unit (stated in `effectName`).
    #[serde(with = "nonfinite")]
    pub effect: f64,
    /// What `effect` is, e.g. `"shift"`, `"rateRatio"`, `"exceedances"`.
    pub effect_name: String,
    /// The practical threshold `effect` had to pass (same unit).
    #[serde(with = "nonfinite")]
    pub threshold: f64,
    /// Whether the test found a regression (significant and beyond the threshold).
    pub regression: bool,
}

/// Our per-metric analysis details (both judges fill what they compute).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricAnalysis {
    /// The shift estimate (canary - baseline).
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub estimate: Option<f64>,
    /// Lower end of the shift interval.
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub lower: Option<f64>,
    /// Upper end of the shift interval.
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub upper: Option<f64>,
    /// The interval's confidence level.
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub confidence: Option<f64>,
    /// Half-width of the no-regression band around 0 the interval is compared with (Kayenta:
    /// `tolerance * |estimate|`; default judge: the practical margin).
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub band: Option<f64>,
    /// The effect the gates used (Kayenta: mean ratio or CLES).
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub effect: Option<f64>,
    /// The smallest adjusted p-value of the metric's tests.
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub p_value: Option<f64>,
    /// Baseline points used.
    pub n_baseline: usize,
    /// Canary points used.
    pub n_canary: usize,
    /// For `InsufficientData`: points per side the tests need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_needed: Option<usize>,
    /// The tests run (default judge).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestOutcome>,
}

/// One metric's result (Kayenta's `CanaryAnalysisResult`, plus `analysis`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricResult {
    /// Metric name.
    pub name: String,
    /// Metric-set-pair id.
    #[serde(default)]
    pub id: Option<String>,
    /// Tags of the pair.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The classification.
    pub classification: Classification,
    /// Why.
    #[serde(default)]
    pub classification_reason: Option<String>,
    /// Groups the metric counts in.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Whether this result fails the canary on its own (see the judge docs).
    pub critical: bool,
    /// Reported, not scored.
    #[serde(default)]
    pub muted: bool,
    /// `{ratio}`.
    pub result_metadata: ResultMetadata,
    /// Canary-side stats.
    pub experiment_metadata: SideMetadata,
    /// Baseline-side stats.
    pub control_metadata: SideMetadata,
    /// Ours: the numbers behind the classification.
    #[serde(default)]
    pub analysis: MetricAnalysis,
}

/// One group's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupScore {
    /// Group name.
    pub name: String,
    /// `100 * Pass / (Pass + High + Low + NodataFailMetric)`; 0 without data.
    pub score: f64,
    /// Kayenta leaves this empty; the default judge writes `"Nodata"` for a group without data.
    #[serde(default)]
    pub classification: String,
    /// Free text.
    #[serde(default)]
    pub classification_reason: String,
    /// Ours: no scored result in the group.
    #[serde(default)]
    pub no_data: bool,
    /// Ours: the group's effective weight.
    #[serde(default)]
    pub weight: f64,
}

/// The canary's score and verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreResult {
    /// 0..=100, rounded to 2 decimals.
    pub score: f64,
    /// The verdict.
    pub classification: Verdict,
    /// Why (e.g. a critical failure).
    #[serde(default)]
    pub classification_reason: String,
}

/// The judge's result (Kayenta's `CanaryJudgeResult`, plus `mode` and `coverage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryJudgeResult {
    /// `NetflixACAJudge-v1.0` in Kayenta mode, `canary-analysis-default-v1` otherwise.
    pub judge_name: String,
    /// Per-metric results, in config order.
    pub results: Vec<MetricResult>,
    /// Per-group scores, sorted by group name.
    pub group_scores: Vec<GroupScore>,
    /// The canary score and verdict.
    pub score: ScoreResult,
    /// Ours: which judge.
    #[serde(default)]
    pub mode: Mode,
    /// Ours: the weighted fraction of groups that had data (1.0 in Kayenta mode, which
    /// counts a group without data as 100).
    #[serde(default = "one")]
    pub coverage: f64,
}

fn one() -> f64 {
    1.0
}
