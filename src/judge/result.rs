//! The judge's output: Kayenta's `CanaryJudgeResult` field names, plus ours, typed.
//!
//! Kayenta's fields keep their names and spellings (`judgeName`, `results[].classification`,
//! `classificationReason`, `groups`, `critical`, `muted`, `resultMetadata.ratio`,
//! `experimentMetadata.stats`, `controlMetadata.stats`, `groupScores`, `score`). Our additions
//! live under names of their own (`analysis`, `sentence`, `coverage`, `warnings`,
//! `warningDetails`, `noData`, `weight`), so a Kayenta consumer can ignore them.
//!
//! A side without data has `stats: null` and the ratio is `null` in the default judge's output
//! (Kayenta mode writes zeros and a ratio of 1, as Kayenta does).
//!
//! Non-finite numbers (a `NaN` ratio when a mean is 0, an infinite rate ratio) are written as the
//! strings `"NaN"`, `"Infinity"`, `"-Infinity"` and read back from those strings (or `null`, read
//! as NaN), so every result survives a JSON round trip.
//!
//! Higher layers read a result through its accessors: [`CanaryJudgeResult::verdict`],
//! [`score`](CanaryJudgeResult::score), [`coverage`](CanaryJudgeResult::coverage),
//! [`warnings`](CanaryJudgeResult::warnings), [`metrics`](CanaryJudgeResult::metrics),
//! [`worst`](CanaryJudgeResult::worst), and per metric [`MetricResult::reason`] (the typed
//! reason: which test, the effect with its interval, the threshold, p and adjusted p) and
//! [`MetricResult::sentence`] (one plain sentence a person reads first).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::judge::config::Warning;
use crate::metrics::CleanRecord;

fn is_zero_pair(v: &[usize; 2]) -> bool {
    *v == [0, 0]
}
use crate::serde_float::{nonfinite, nonfinite_opt};

/// An `Option<f64>` written as `null` when absent, a number when finite, and `"NaN"`,
/// `"Infinity"`, `"-Infinity"` otherwise; `null` reads back as `None`.
mod absent_or_float {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        crate::serde_float::nonfinite_opt::serialize(v, s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Num(f64),
            Str(String),
        }
        match Option::<Repr>::deserialize(d)? {
            None => Ok(None),
            Some(Repr::Num(x)) => Ok(Some(x)),
            Some(Repr::Str(s)) => match s.as_str() {
                "NaN" => Ok(Some(f64::NAN)),
                "Infinity" => Ok(Some(f64::INFINITY)),
                "-Infinity" => Ok(Some(f64::NEG_INFINITY)),
                other => Err(serde::de::Error::custom(format!(
                    "`{other}` is not a number, \"NaN\", \"Infinity\" or \"-Infinity\""
                ))),
            },
        }
    }
}

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
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::Classification;
    /// assert_eq!(Classification::NodataFailMetric.as_str(), "NodataFailMetric");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
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

    /// Whether this outcome is a regression or a failure that is scored against the canary
    /// (`High`, `Low`, `NodataFailMetric`).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::Classification;
    /// assert!(Classification::High.is_failure() && !Classification::Nodata.is_failure());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Classification::High | Classification::Low | Classification::NodataFailMetric
        )
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
    ///
    /// # Example
    /// ```
    /// use canary_analysis::Verdict;
    /// assert_eq!(Verdict::Marginal.as_str(), "Marginal");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "Pass",
            Verdict::Marginal => "Marginal",
            Verdict::Fail => "Fail",
        }
    }
}

/// The statistical test behind a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum TestKind {
    /// A location test: Mann-Whitney U (default judge), or Kayenta's Mann-Whitney interval.
    Location,
    /// A tail test: Rosenbaum's exceedance count beyond the baseline extreme.
    Tail,
    /// A rate test on event counts (conditional binomial or quasi-binomial).
    Rate,
}

impl TestKind {
    /// A short name for sentences: `location`, `tail`, `rate`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::result::TestKind;
    /// assert_eq!(TestKind::Tail.as_str(), "tail");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Location => "location",
            TestKind::Tail => "tail",
            TestKind::Rate => "rate",
        }
    }
}

/// Which change a test looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Side {
    /// A one-sided test for an increase of the canary.
    Increase,
    /// A one-sided test for a decrease.
    Decrease,
    /// A two-sided test.
    Either,
}

/// What an effect estimate measures (always the canary relative to the baseline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum EffectKind {
    /// The Hodges-Lehmann shift `canary - baseline`, with its interval.
    HodgesLehmannShift,
    /// The difference of medians `median(canary) - median(baseline)` (large samples).
    MedianDifference,
    /// Kayenta's Mann-Whitney shift estimate (the root with the continuity correction), with
    /// Kayenta's interval.
    KayentaShift,
    /// The median excess of the canary points beyond the baseline extreme (tail test).
    TailExcess,
    /// The ratio of event rates per step, `rate(canary) / rate(baseline)`.
    RateRatio,
}

impl EffectKind {
    /// Whether the effect is a ratio (1 = no change) rather than a difference (0 = no change).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::result::EffectKind;
    /// assert!(EffectKind::RateRatio.is_ratio() && !EffectKind::TailExcess.is_ratio());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn is_ratio(self) -> bool {
        matches!(self, EffectKind::RateRatio)
    }
}

/// An effect estimate with its interval, in the effect's own unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Effect {
    /// What is measured.
    pub kind: EffectKind,
    /// The estimate.
    #[serde(with = "nonfinite")]
    pub estimate: f64,
    /// Lower end of the interval, when one is computed.
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub lower: Option<f64>,
    /// Upper end of the interval.
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
}

/// One statistical test behind a classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestOutcome {
    /// The test.
    pub test: TestKind,
    /// Which change it looks for.
    pub side: Side,
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
    /// The test's effect.
    pub effect: Effect,
    /// The practical threshold the effect had to pass, signed in the tested direction, in the
    /// effect's unit.
    #[serde(with = "nonfinite")]
    pub threshold: f64,
    /// Whether the test found a regression (significant and beyond the threshold).
    pub regression: bool,
    /// Details a person may want (counts, the baseline extreme, the rate test's method).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Why a metric got its classification, as data: the test that decided, its effect with the
/// interval, the threshold, the p-values, and the baseline scale for relative figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// The deciding test.
    pub test: TestKind,
    /// Which change it looked for.
    pub side: Side,
    /// Its effect and interval.
    pub effect: Effect,
    /// The threshold or margin the effect was compared with (same unit, signed).
    #[serde(with = "nonfinite")]
    pub threshold: f64,
    /// The raw p-value, when the test has one (Kayenta's interval has none).
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub p_value: Option<f64>,
    /// The p-value adjusted for multiplicity.
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub adjusted_p_value: Option<f64>,
    /// The baseline scale differences are relative to (`|median|` of the baseline in the
    /// default judge, `|mean|` in Kayenta mode); `None` or 0 shows differences in the metric's
    /// own unit.
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub scale: Option<f64>,
    /// Whether the test found a regression.
    pub regression: bool,
}

/// Formats a signed difference: relative to `scale` in percent when it is positive, else in
/// the metric's unit.
fn signed(x: f64, scale: Option<f64>, ratio: bool) -> String {
    let (v, unit) = match (ratio, scale) {
        (true, _) => (100.0 * (x - 1.0), "%"),
        (false, Some(s)) if s > 0.0 && s.is_finite() => (100.0 * x / s, "%"),
        _ => (x, ""),
    };
    if v.is_infinite() {
        return if v > 0.0 {
            "+inf".into()
        } else {
            "-inf".into()
        };
    }
    let digits = match v.abs() {
        a if unit.is_empty() => {
            if a >= 1.0 {
                4
            } else {
                6
            }
        }
        a if a >= 10.0 => 0,
        a if a >= 1.0 => 1,
        _ => 2,
    };
    let s = format!("{v:+.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    format!("{s}{unit}")
}

impl Reason {
    /// One plain sentence: the metric, the effect and its interval, the margin, the test, e.g.
    /// `p99 latency +34% [+20%, +50%] above the 10% margin (tail test)`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::result::{Effect, EffectKind, Reason, Side, TestKind};
    /// let r = Reason {
    ///     test: TestKind::Tail, side: Side::Increase,
    ///     effect: Effect { kind: EffectKind::TailExcess, estimate: 34.0, lower: Some(20.0),
    ///                      upper: Some(50.0), confidence: Some(0.95) },
    ///     threshold: 10.0, p_value: Some(1e-4), adjusted_p_value: Some(1e-3),
    ///     scale: Some(100.0), regression: true,
    /// };
    /// assert_eq!(r.sentence("p99 latency"), "p99 latency +34% [+20%, +50%] above the 10% margin (tail test)");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn sentence(&self, metric: &str) -> String {
        let ratio = self.effect.kind.is_ratio();
        let mut s = format!(
            "{metric} {}",
            signed(self.effect.estimate, self.scale, ratio)
        );
        if let (Some(lo), Some(hi)) = (self.effect.lower, self.effect.upper) {
            let _ = write!(
                s,
                " [{}, {}]",
                signed(lo, self.scale, ratio),
                signed(hi, self.scale, ratio)
            );
        }
        let margin = signed(self.threshold, self.scale, ratio);
        let margin = margin.trim_start_matches(['+', '-']);
        let neutral = if ratio { 1.0 } else { 0.0 };
        let est = self.effect.estimate;
        let down = match self.side {
            Side::Decrease => true,
            Side::Increase => false,
            _ => est < neutral,
        };
        let margin_abs = (self.threshold - neutral).abs();
        let beyond = if down {
            neutral - est > margin_abs
        } else {
            est - neutral > margin_abs
        };
        let direction = if down { "below" } else { "above" };
        if self.regression {
            let _ = write!(s, " {direction} the {margin} margin");
        } else if beyond {
            match self.adjusted_p_value.or(self.p_value) {
                Some(p) => {
                    let _ = write!(
                        s,
                        " {direction} the {margin} margin but not significant (p {p:.2})"
                    );
                }
                None => {
                    let _ = write!(s, " {direction} the {margin} margin but not conclusive");
                }
            }
        } else {
            let _ = write!(s, " within the {margin} margin");
        }
        let _ = write!(s, " ({} test)", self.test.as_str());
        s
    }
}

/// Per-side summary statistics (Kayenta's `stats`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SideStats {
    /// Number of points after the non-finite policy and outlier removal.
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
    /// The stats of `values` (finite values expected); `None` for no values.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::result::SideStats;
    /// let s = SideStats::of(&[1.0, 2.0, 3.0]).unwrap();
    /// assert_eq!((s.count, s.mean, s.min, s.max, s.std), (3, 2.0, 1.0, 3.0, 1.0));
    /// assert!(SideStats::of(&[]).is_none());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn of(values: &[f64]) -> Option<SideStats> {
        if values.is_empty() {
            return None;
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
        Some(SideStats {
            count: values.len(),
            mean,
            min,
            max,
            std,
        })
    }
}

/// Kayenta's `experimentMetadata` / `controlMetadata`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SideMetadata {
    /// The side's stats; `None` (`null`) for a side without data in the default judge.
    pub stats: Option<SideStats>,
}

/// Kayenta's `resultMetadata`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ResultMetadata {
    /// `mean(canary) / mean(baseline)`; NaN when a mean is 0; `None` (`null`) when a side has no
    /// data in the default judge (Kayenta mode writes 1.0, as Kayenta does).
    #[serde(with = "absent_or_float", default)]
    pub ratio: Option<f64>,
}

/// Our per-metric analysis details (both judges fill what they compute).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricAnalysis {
    /// The typed reason (absent for results without a test: no data, early passes, errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The effect the Kayenta gates used (mean ratio or CLES).
    #[serde(
        with = "nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub gate_effect: Option<f64>,
    /// Baseline points used.
    pub n_baseline: usize,
    /// Canary points used.
    pub n_canary: usize,
    /// For `InsufficientData`: points per side the tests need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_needed: Option<usize>,
    /// What the non-finite policy and the instance combination did (absent without a pair).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleaning: Option<CleanRecord>,
    /// Points removed as outliers (`outliers.strategy: remove`), baseline first.
    #[serde(default, skip_serializing_if = "is_zero_pair")]
    pub outliers_removed: [usize; 2],
    /// The tests run (default judge).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestOutcome>,
}

/// One metric's result (Kayenta's `CanaryAnalysisResult`, plus `analysis` and `sentence`).
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
    /// Why, in full (Kayenta's free text).
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
    #[serde(default)]
    pub result_metadata: ResultMetadata,
    /// Canary-side stats.
    #[serde(default)]
    pub experiment_metadata: SideMetadata,
    /// Baseline-side stats.
    #[serde(default)]
    pub control_metadata: SideMetadata,
    /// Ours: the one plain sentence a person reads first.
    #[serde(default)]
    pub sentence: String,
    /// Ours: the numbers behind the classification.
    #[serde(default)]
    pub analysis: MetricAnalysis,
}

impl MetricResult {
    /// A bare result (no data, no reason): for host judges that classify metrics themselves and
    /// score them with [`crate::judge::score`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::{Classification, MetricResult};
    /// let r = MetricResult::new("latency", Classification::High, ["Latency"]);
    /// assert_eq!((r.name.as_str(), r.groups.len(), r.critical), ("latency", 1, false));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new<G: Into<String>>(
        name: impl Into<String>,
        classification: Classification,
        groups: impl IntoIterator<Item = G>,
    ) -> MetricResult {
        let name = name.into();
        MetricResult {
            sentence: format!("{name}: {}", classification.as_str()),
            name,
            id: None,
            tags: BTreeMap::new(),
            classification,
            classification_reason: None,
            groups: groups.into_iter().map(Into::into).collect(),
            critical: false,
            muted: false,
            result_metadata: ResultMetadata::default(),
            experiment_metadata: SideMetadata::default(),
            control_metadata: SideMetadata::default(),
            analysis: MetricAnalysis::default(),
        }
    }

    /// The typed reason, when a test decided the classification.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::{Classification, MetricResult};
    /// assert!(MetricResult::new("m", Classification::Nodata, ["g"]).reason().is_none());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn reason(&self) -> Option<&Reason> {
        self.analysis.reason.as_ref()
    }

    /// The one plain sentence a person reads first.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::{Classification, MetricResult};
    /// assert_eq!(MetricResult::new("m", Classification::Nodata, ["g"]).sentence(), "m: Nodata");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn sentence(&self) -> &str {
        &self.sentence
    }

    /// The baseline's stats, `None` when the baseline has no data (default judge).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::{Classification, MetricResult};
    /// assert!(MetricResult::new("m", Classification::Nodata, ["g"]).baseline_stats().is_none());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn baseline_stats(&self) -> Option<&SideStats> {
        self.control_metadata.stats.as_ref()
    }

    /// The canary's stats, `None` when the canary has no data (default judge).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::{Classification, MetricResult};
    /// assert!(MetricResult::new("m", Classification::Nodata, ["g"]).canary_stats().is_none());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn canary_stats(&self) -> Option<&SideStats> {
        self.experiment_metadata.stats.as_ref()
    }

    /// How strongly this result drives a failing verdict (larger is worse): critical failures,
    /// then failures, then no-data outcomes, then passes; ties broken by the smaller adjusted
    /// p-value.
    fn severity(&self) -> (u8, f64) {
        let rank = match self.classification {
            c if c.is_failure() && self.critical => 5,
            c if c.is_failure() => 4,
            Classification::Nodata if self.critical => 3,
            Classification::Error => 2,
            Classification::Nodata | Classification::InsufficientData => 1,
            _ => 0,
        };
        let p = self
            .reason()
            .and_then(|r| r.adjusted_p_value.or(r.p_value))
            .unwrap_or(1.0);
        (rank, -p)
    }
}

/// A group's outcome: its score against the thresholds, or no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum GroupOutcome {
    /// The group score is at or above the pass threshold.
    Pass,
    /// At or above the marginal threshold.
    Marginal,
    /// Below the marginal threshold.
    Fail,
    /// No scored result in the group.
    Nodata,
    /// Kayenta's own output leaves the field empty (`""`); read from Kayenta results only.
    #[serde(rename = "")]
    Unclassified,
}

/// One group's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupScore {
    /// Group name.
    pub name: String,
    /// `100 * Pass / (Pass + High + Low + NodataFailMetric)`; 0 without data.
    pub score: f64,
    /// The group's outcome.
    pub classification: GroupOutcome,
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

/// The judge's result (Kayenta's `CanaryJudgeResult`, plus `coverage` and the warnings).
///
/// # Example
/// ```
/// use canary_analysis::prelude::*;
/// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
/// let judge = DefaultJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?;
/// let pairs = canary_analysis::metrics::read_metric_set_pairs(
///     r#"[{"name": "m", "values": {"control": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
///                                  "experiment": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}}]"#)?;
/// let r = judge.judge(&pairs)?;
/// assert_eq!((r.verdict(), r.score(), r.coverage()), (Verdict::Pass, 100.0, 1.0));
/// let json = serde_json::to_string(&r).unwrap();
/// assert_eq!(serde_json::from_str::<CanaryJudgeResult>(&json).unwrap(), r);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryJudgeResult {
    /// `NetflixACAJudge-v1.0` for Kayenta mode, `canary-analysis-default-v1` for the default
    /// judge, a host judge's own name otherwise.
    pub judge_name: String,
    /// Per-metric results: pairs in input order, then config metrics without a pair.
    pub results: Vec<MetricResult>,
    /// Per-group scores, sorted by group name.
    pub group_scores: Vec<GroupScore>,
    /// The canary score and verdict.
    pub score: ScoreResult,
    /// Ours: the weighted fraction of groups that had data (1.0 in Kayenta mode, which counts a
    /// group without data as 100).
    #[serde(default = "one")]
    pub coverage: f64,
    /// Kayenta's silent fallbacks in the config, one sentence each (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The same warnings, typed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warning_details: Vec<Warning>,
}

fn one() -> f64 {
    1.0
}

impl CanaryJudgeResult {
    /// The verdict.
    ///
    /// See the [type's example](CanaryJudgeResult).
    ///
    /// # Example
    /// ```
    /// # use canary_analysis::prelude::*;
    /// # let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// let r = KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.judge(&[])?;
    /// assert_eq!(r.verdict(), Verdict::Fail); // all Nodata
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn verdict(&self) -> Verdict {
        self.score.classification
    }

    /// The score, 0..=100.
    ///
    /// # Example
    /// ```
    /// # use canary_analysis::prelude::*;
    /// # let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// let r = KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.judge(&[])?;
    /// assert_eq!(r.score(), 0.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn score(&self) -> f64 {
        self.score.score
    }

    /// The coverage, 0..=1: the weighted fraction of groups with data.
    ///
    /// # Example
    /// ```
    /// # use canary_analysis::prelude::*;
    /// # let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// let r = DefaultJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.judge(&[])?;
    /// assert_eq!(r.coverage(), 0.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn coverage(&self) -> f64 {
        self.coverage
    }

    /// The config's warnings (Kayenta's silent fallbacks), typed.
    ///
    /// # Example
    /// ```
    /// # use canary_analysis::prelude::*;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m"}]}"#)?; // no group
    /// let r = KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.judge(&[])?;
    /// assert_eq!(r.warnings().len(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn warnings(&self) -> &[Warning] {
        &self.warning_details
    }

    /// The per-metric results.
    ///
    /// # Example
    /// ```
    /// # use canary_analysis::prelude::*;
    /// # let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// let r = KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.judge(&[])?;
    /// assert_eq!(r.metrics()[0].name, "m");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn metrics(&self) -> &[MetricResult] {
        &self.results
    }

    /// The unmuted metric that most drives the verdict: a critical failure first, then the
    /// failure with the smallest adjusted p-value, then no-data outcomes; when every metric
    /// passes, the one closest to failing (smallest adjusted p-value). `None` when every metric
    /// is muted.
    ///
    /// # Example
    /// ```
    /// # use canary_analysis::prelude::*;
    /// # let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// let r = KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.judge(&[])?;
    /// assert_eq!(r.worst().map(|m| m.name.as_str()), Some("m"));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn worst(&self) -> Option<&MetricResult> {
        self.results.iter().filter(|r| !r.muted).max_by(|a, b| {
            let (ra, pa) = a.severity();
            let (rb, pb) = b.severity();
            ra.cmp(&rb).then(pa.total_cmp(&pb))
        })
    }

    /// Attaches the config's warnings (both fields).
    pub(crate) fn with_warnings(mut self, warnings: &[Warning]) -> Self {
        self.warnings = warnings.iter().map(ToString::to_string).collect();
        self.warning_details = warnings.to_vec();
        self
    }
}
