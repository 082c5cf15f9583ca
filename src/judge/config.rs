//! Kayenta canary configuration, read as Kayenta reads it, validated once into typed values.
//!
//! The JSON shape is Kayenta's `CanaryConfig`:
//!
//! ```json
//! {"name": "...", "configVersion": "1.0",
//!  "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
//!  "metrics": [{"name": "latency", "query": {...}, "groups": ["Latency"], "scopeName": "default",
//!               "analysisConfigurations": {"canary": {"direction": "increase"}}}],
//!  "classifier": {"groupWeights": {"Latency": 100}, "scoreThresholds": {"pass": 95, "marginal": 75}}}
//! ```
//!
//! # What is accepted, what falls back, what is refused
//!
//! Kayenta deserializes configs with Jackson and reads the per-metric settings from an untyped
//! map with defaults (`NetflixACAJudge`, `MapUtils.getAs*WithDefault`). We accept what it accepts:
//!
//! - Unknown fields anywhere are ignored (`query`, `templates`, `extensions`, timestamps, ...).
//! - `configVersion` may be a string or a number (`1.0` reads as `"1.0"`).
//! - Per metric, `analysisConfigurations.canary` holds: `direction` (`increase` | `decrease` |
//!   `either`, default `either`), `nanStrategy` (`remove` | `replace`, default `remove`; it maps
//!   onto [`NanPolicy`]: `remove` is [`NanPolicy::Remove`], `replace` is
//!   [`NanPolicy::Replace`]`(0.0)`), `critical`, `mustHaveData`, `muted` (default false),
//!   `effectSize` (`measure`: `meanRatio` | `cles`; `allowedIncrease`, `allowedDecrease`,
//!   `criticalIncrease`, `criticalDecrease`, default 1.0 for the mean ratio and 0.5 for CLES) and
//!   `outliers` (`strategy`: `keep` | `remove`, default `keep`; `outlierFactor` default 3.0).
//!
//! Where Kayenta silently falls back we do the same **and record a [`Warning`]** (listed by
//! [`CanaryConfig::warnings`], carried into every judge result and shown in the report):
//!
//! - an unknown `direction` reads as `either`, an unknown `nanStrategy` as `remove`, an unknown
//!   outlier `strategy` as `keep`, an unknown effect-size `measure` as `meanRatio`
//!   ([`Warning::UnknownSpelling`]);
//! - a group weight for a group no metric lists is kept (it still counts in the sum the
//!   unweighted groups share, as in Kayenta's `WeightedSumScorer`) ([`Warning::UnusedGroupWeight`]);
//! - a metric that lists no group ([`Warning::UngroupedMetric`]): Kayenta scores it in no group;
//!   our default judge scores it in the implicit group [`UNGROUPED`];
//! - given weights that sum to more than 100 while every group has a weight: Kayenta does not
//!   normalize, so a score can exceed 100 ([`Warning::WeightSum`]).
//!
//! Refused with [`Error::Config`] naming the JSON path (Kayenta refuses the first, the others make
//! every score meaningless): duplicate or empty metric names (Kayenta's
//! `CanaryConfigController`: "Metric config name must be unique"); no metrics; a weight that is
//! negative or not finite; weights whose sum overflows; weights that sum to more than 100 while
//! some group has none (its share would be negative); every group weighing 0; a non-finite
//! effect-size threshold; a negative or non-finite outlier factor; an unknown `kind`; judge
//! settings out of their domain; stored thresholds that [`Thresholds::new`] refuses.
//!
//! # Our extensions
//! Ignored by Kayenta mode unless stated:
//! - `analysisConfigurations.canary.kind`: exactly `"continuous"` (default) or `"count"` (event
//!   counts per step; the default judge then applies a rate test).
//! - `judge.judgeConfigurations.tolerance` and `confLevel`: Kayenta's classifier tolerance and
//!   confidence, hard-coded to 0.25 and 0.98 in Kayenta; used by Kayenta mode.
//! - `judge.judgeConfigurations.alpha` (default 0.045): the false-alarm rate per canary of the
//!   default judge (Holm across every test of every unmuted metric).
//! - `judge.judgeConfigurations.margin` (default 0.05): the default judge's practical-significance
//!   margin, relative to the baseline (see [`crate::judge::default`]).
//!
//! The settings are parsed and validated once, when the config is built
//! ([`CanaryConfig::from_json`], or deserialization, which validates the same way); every value
//! that exists is valid.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::NanPolicy;

/// The implicit group in which the default judge scores the metrics that list no group.
pub const UNGROUPED: &str = "ungrouped";

/// A fallback Kayenta makes silently, made visible.
///
/// Serialized with a `kind` tag: `{"kind": "unknownSpelling", "path": ..., "value": ...,
/// "fallback": ...}`; [`fmt::Display`] gives the sentence shown in results and reports.
///
/// # Example
/// ```
/// use canary_analysis::judge::config::{CanaryConfig, Warning};
/// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"],
///     "analysisConfigurations": {"canary": {"nanStrategy": "drop"}}}]}"#)?;
/// assert!(matches!(&cfg.warnings()[0], Warning::UnknownSpelling { value, .. } if value == "drop"));
/// assert!(cfg.warnings()[0].to_string().contains("read as `remove`"));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Warning {
    /// An enum value Kayenta does not know, read as Kayenta's default.
    UnknownSpelling {
        /// The JSON path of the value.
        path: String,
        /// The spelling found.
        value: String,
        /// The value used instead (Kayenta's default).
        fallback: String,
    },
    /// A weight for a group no metric lists.
    UnusedGroupWeight {
        /// The group.
        group: String,
        /// Its weight.
        weight: f64,
    },
    /// A metric that lists no group.
    UngroupedMetric {
        /// The metric.
        metric: String,
    },
    /// Every group has a weight and the weights do not sum to 100.
    WeightSum {
        /// The sum of the weights.
        sum: f64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::UnknownSpelling {
                path,
                value,
                fallback,
            } => write!(
                f,
                "{path}: unknown value `{value}`, read as `{fallback}` (Kayenta's default)"
            ),
            Warning::UnusedGroupWeight { group, weight } => write!(
                f,
                "classifier.groupWeights.{group}: weight {weight} for a group no metric lists; \
                 it still counts in the sum the unweighted groups share, as in Kayenta"
            ),
            Warning::UngroupedMetric { metric } => write!(
                f,
                "metric `{metric}` lists no group: Kayenta leaves it out of every group score \
                 (only a critical failure or Nodata counts); the default judge scores it in the \
                 group `{UNGROUPED}`"
            ),
            Warning::WeightSum { sum } => write!(
                f,
                "classifier.groupWeights sum to {sum}, not 100: Kayenta does not normalize, so \
                 the score is not on a 0-100 scale"
            ),
        }
    }
}

/// Score thresholds on the 0-100 scale: a score `>= pass` passes, `>= marginal` is marginal,
/// below fails.
///
/// Serialized as Kayenta's `{"pass": 95.0, "marginal": 75.0}`; deserialization validates like
/// [`Thresholds::new`].
///
/// # Example
/// ```
/// use canary_analysis::judge::config::Thresholds;
/// let t = Thresholds::new(95.0, 75.0)?;
/// assert_eq!((t.pass(), t.marginal()), (95.0, 75.0));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawThresholds", into = "RawThresholds")]
pub struct Thresholds {
    pass: f64,
    marginal: f64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct RawThresholds {
    pass: f64,
    marginal: f64,
}

impl TryFrom<RawThresholds> for Thresholds {
    type Error = Error;
    fn try_from(r: RawThresholds) -> Result<Thresholds> {
        Thresholds::new(r.pass, r.marginal)
    }
}

impl From<Thresholds> for RawThresholds {
    fn from(t: Thresholds) -> RawThresholds {
        RawThresholds {
            pass: t.pass,
            marginal: t.marginal,
        }
    }
}

impl Thresholds {
    /// Validated thresholds: both finite, `0 <= marginal <= pass <= 100`, and not fractions of 1
    /// (`pass` in `(0, 1]` is refused: scores are on the 0-100 scale, so `0.95` would pass
    /// almost every canary; write `95`).
    ///
    /// # Errors
    /// [`Error::Config`] naming the threshold and what is wrong.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::Thresholds;
    /// assert!(Thresholds::new(95.0, 75.0).is_ok());
    /// assert!(Thresholds::new(70.0, 75.0).is_err()); // marginal above pass
    /// let e = Thresholds::new(0.95, 0.75).unwrap_err().to_string();
    /// assert!(e.contains("0-100 scale"), "{e}");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(pass: f64, marginal: f64) -> Result<Thresholds> {
        for (name, v) in [("pass", pass), ("marginal", marginal)] {
            if !v.is_finite() || !(0.0..=100.0).contains(&v) {
                return Err(Error::Config {
                    path: format!("scoreThresholds.{name}"),
                    reason: format!("{v} is not a score between 0 and 100"),
                });
            }
        }
        if marginal > pass {
            return Err(Error::Config {
                path: "scoreThresholds".into(),
                reason: format!(
                    "the marginal threshold {marginal} is above the pass threshold {pass}"
                ),
            });
        }
        if pass > 0.0 && pass <= 1.0 {
            return Err(Error::Config {
                path: "scoreThresholds.pass".into(),
                reason: format!(
                    "pass {pass}, marginal {marginal} look like fractions of 1, but scores are on \
                     the 0-100 scale (did you mean {}, {}?)",
                    pass * 100.0,
                    marginal * 100.0
                ),
            });
        }
        Ok(Thresholds { pass, marginal })
    }

    /// The lowest passing score.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::Thresholds;
    /// assert_eq!(Thresholds::new(90.0, 50.0)?.pass(), 90.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn pass(&self) -> f64 {
        self.pass
    }

    /// The lowest marginal score.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::Thresholds;
    /// assert_eq!(Thresholds::new(90.0, 50.0)?.marginal(), 50.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn marginal(&self) -> f64 {
        self.marginal
    }
}

/// Which change of a metric is a regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Direction {
    /// Higher is worse: only `High` is reported.
    #[serde(rename = "increase")]
    Increase,
    /// Lower is worse: only `Low` is reported.
    #[serde(rename = "decrease")]
    Decrease,
    /// Both.
    #[default]
    #[serde(rename = "either")]
    Either,
}

impl Direction {
    /// Whether an increase is a regression.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::Direction;
    /// assert!(Direction::Either.allows_increase() && !Direction::Decrease.allows_increase());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn allows_increase(self) -> bool {
        matches!(self, Direction::Increase | Direction::Either)
    }
    /// Whether a decrease is a regression.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::Direction;
    /// assert!(Direction::Either.allows_decrease() && !Direction::Increase.allows_decrease());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn allows_decrease(self) -> bool {
        matches!(self, Direction::Decrease | Direction::Either)
    }
}

/// The kind of a metric (our extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum MetricKind {
    /// A continuous measurement per step (latency, CPU, ...).
    #[default]
    #[serde(rename = "continuous")]
    Continuous,
    /// Event counts per step (errors, requests, ...).
    #[serde(rename = "count")]
    Count,
}

/// Effect-size measure for Kayenta's effect-size gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EffectMeasure {
    /// `mean(canary) / mean(baseline)`.
    #[default]
    #[serde(rename = "meanRatio")]
    MeanRatio,
    /// Common-language effect size `P(canary > baseline) + 0.5 P(tie)`.
    #[serde(rename = "cles")]
    Cles,
}

/// Outlier handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OutlierStrategy {
    /// Keep every point.
    #[default]
    #[serde(rename = "keep")]
    Keep,
    /// Remove points outside the fences.
    #[serde(rename = "remove")]
    Remove,
}

/// `analysisConfigurations.canary` of one metric, typed.
///
/// Options in jiff style: [`MetricSettings::new`] gives Kayenta's defaults, by-value setters
/// change one setting, `get_*` read them; [`MetricConfig::new`] validates.
///
/// # Example
/// ```
/// use canary_analysis::judge::config::{Direction, MetricSettings};
/// use canary_analysis::metrics::NanPolicy;
/// let s = MetricSettings::new().direction(Direction::Increase).critical(true);
/// assert_eq!(s.get_direction(), Direction::Increase);
/// assert_eq!(s.get_nan_policy(), NanPolicy::Remove);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSettings {
    pub(crate) direction: Direction,
    pub(crate) nan_policy: NanPolicy,
    pub(crate) critical: bool,
    pub(crate) must_have_data: bool,
    pub(crate) muted: bool,
    pub(crate) measure: EffectMeasure,
    pub(crate) allowed_increase: Option<f64>,
    pub(crate) allowed_decrease: Option<f64>,
    pub(crate) critical_increase: Option<f64>,
    pub(crate) critical_decrease: Option<f64>,
    pub(crate) outlier_strategy: OutlierStrategy,
    pub(crate) outlier_factor: f64,
    pub(crate) kind: MetricKind,
}

impl Default for MetricSettings {
    fn default() -> Self {
        MetricSettings {
            direction: Direction::Either,
            nan_policy: NanPolicy::Remove,
            critical: false,
            must_have_data: false,
            muted: false,
            measure: EffectMeasure::MeanRatio,
            allowed_increase: None,
            allowed_decrease: None,
            critical_increase: None,
            critical_decrease: None,
            outlier_strategy: OutlierStrategy::Keep,
            outlier_factor: 3.0,
            kind: MetricKind::Continuous,
        }
    }
}

macro_rules! setting {
    ($(#[$doc:meta])* $set:ident, $get:ident, $field:ident: $ty:ty) => {
        $(#[$doc])*
        ///
        /// # Example
        /// ```
        /// use canary_analysis::judge::config::MetricSettings;
        #[doc = concat!("let s = MetricSettings::new().", stringify!($set), "(MetricSettings::new().", stringify!($get), "());")]
        #[doc = concat!("assert_eq!(s.", stringify!($get), "(), MetricSettings::new().", stringify!($get), "());")]
        /// # Ok::<(), canary_analysis::Error>(())
        /// ```
        pub fn $set(mut self, value: $ty) -> Self {
            self.$field = value;
            self
        }
        #[doc = concat!("The `", stringify!($set), "` setting.")]
        ///
        /// # Example
        /// ```
        /// use canary_analysis::judge::config::MetricSettings;
        #[doc = concat!("let _ = MetricSettings::new().", stringify!($get), "();")]
        /// # Ok::<(), canary_analysis::Error>(())
        /// ```
        pub fn $get(&self) -> $ty {
            self.$field
        }
    };
}

impl MetricSettings {
    /// Kayenta's defaults: direction `either`, NaN removed, not critical, no data allowed, not
    /// muted, mean-ratio effect gates at their defaults, outliers kept (factor 3), continuous.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::MetricSettings;
    /// assert!(!MetricSettings::new().get_critical());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    setting!(
        /// Which change is a regression.
        direction, get_direction, direction: Direction);
    setting!(
        /// The non-finite policy (Kayenta's `nanStrategy`: `remove` or `replace` = `Replace(0.0)`).
        nan_policy, get_nan_policy, nan_policy: NanPolicy);
    setting!(
        /// A critical metric's failure fails the canary.
        critical, get_critical, critical: bool);
    setting!(
        /// Missing data fails the metric (`NodataFailMetric`).
        must_have_data, get_must_have_data, must_have_data: bool);
    setting!(
        /// Reported, not scored.
        muted, get_muted, muted: bool);
    setting!(
        /// The effect-size measure of Kayenta's gates.
        effect_measure, get_effect_measure, measure: EffectMeasure);
    setting!(
        /// `allowedIncrease` (`None`: the measure's default).
        allowed_increase, get_allowed_increase, allowed_increase: Option<f64>);
    setting!(
        /// `allowedDecrease` (`None`: the measure's default).
        allowed_decrease, get_allowed_decrease, allowed_decrease: Option<f64>);
    setting!(
        /// `criticalIncrease` (`None`: the measure's default).
        critical_increase, get_critical_increase, critical_increase: Option<f64>);
    setting!(
        /// `criticalDecrease` (`None`: the measure's default).
        critical_decrease, get_critical_decrease, critical_decrease: Option<f64>);
    setting!(
        /// Keep or remove outliers.
        outlier_strategy, get_outlier_strategy, outlier_strategy: OutlierStrategy);
    setting!(
        /// The IQR multiple of the outlier fences.
        outlier_factor, get_outlier_factor, outlier_factor: f64);
    setting!(
        /// Continuous (default) or count (our extension).
        kind, get_kind, kind: MetricKind);

    fn default_threshold(&self) -> f64 {
        match self.measure {
            EffectMeasure::MeanRatio => 1.0,
            EffectMeasure::Cles => 0.5,
        }
    }
    /// `allowedIncrease` or the measure's default (1.0, or 0.5 for CLES).
    pub(crate) fn allowed_increase_or_default(&self) -> f64 {
        self.allowed_increase
            .unwrap_or_else(|| self.default_threshold())
    }
    /// `allowedDecrease` or its default.
    pub(crate) fn allowed_decrease_or_default(&self) -> f64 {
        self.allowed_decrease
            .unwrap_or_else(|| self.default_threshold())
    }
    /// `criticalIncrease` or its default.
    pub(crate) fn critical_increase_or_default(&self) -> f64 {
        self.critical_increase
            .unwrap_or_else(|| self.default_threshold())
    }
    /// `criticalDecrease` or its default.
    pub(crate) fn critical_decrease_or_default(&self) -> f64 {
        self.critical_decrease
            .unwrap_or_else(|| self.default_threshold())
    }

    /// Checks the numbers: effect thresholds finite, outlier factor finite and `>= 0`, the NaN
    /// replacement finite. `path` prefixes the error path.
    pub(crate) fn check(&self, path: &str) -> Result<()> {
        for (k, v) in [
            ("effectSize.allowedIncrease", self.allowed_increase),
            ("effectSize.allowedDecrease", self.allowed_decrease),
            ("effectSize.criticalIncrease", self.critical_increase),
            ("effectSize.criticalDecrease", self.critical_decrease),
        ] {
            if let Some(v) = v
                && !v.is_finite()
            {
                return Err(Error::Config {
                    path: format!("{path}.{k}"),
                    reason: format!("{v} is not a finite number"),
                });
            }
        }
        let f = self.outlier_factor;
        if !f.is_finite() || f < 0.0 {
            return Err(Error::Config {
                path: format!("{path}.outliers.outlierFactor"),
                reason: format!("{f} is not a finite non-negative number"),
            });
        }
        if let NanPolicy::Replace(x) = self.nan_policy
            && !x.is_finite()
        {
            return Err(Error::Config {
                path: format!("{path}.nanStrategy"),
                reason: format!("the replacement {x} is not finite"),
            });
        }
        Ok(())
    }
}

/// One metric of the config: its name, its groups and its settings, validated.
///
/// # Example
/// ```
/// use canary_analysis::judge::config::{Direction, MetricConfig, MetricSettings};
/// let m = MetricConfig::new("latency", ["perf"], MetricSettings::new().direction(Direction::Increase))?;
/// assert_eq!((m.name(), m.groups()), ("latency", &["perf".to_string()][..]));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MetricConfig {
    name: String,
    query: serde_json::Value,
    groups: Vec<String>,
    scope_name: Option<String>,
    pub(crate) settings: MetricSettings,
    /// Unknown fields of `analysisConfigurations` other than `canary`, kept for serialization.
    other_analysis: BTreeMap<String, serde_json::Value>,
}

impl MetricConfig {
    /// A metric config from its parts.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty name or settings that [`MetricSettings`] refuses
    /// (non-finite effect threshold, bad outlier factor, non-finite NaN replacement).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::{MetricConfig, MetricSettings};
    /// assert!(MetricConfig::new("", ["g"], MetricSettings::new()).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new<G: Into<String>>(
        name: impl Into<String>,
        groups: impl IntoIterator<Item = G>,
        settings: MetricSettings,
    ) -> Result<MetricConfig> {
        let name = name.into();
        if name.is_empty() {
            return Err(Error::Config {
                path: "metrics[].name".into(),
                reason: "empty metric name (Kayenta: \"Metric config must specify a name\")".into(),
            });
        }
        settings.check(&format!(
            "metrics[name={name}].analysisConfigurations.canary"
        ))?;
        Ok(MetricConfig {
            name,
            query: serde_json::Value::Null,
            groups: groups.into_iter().map(Into::into).collect(),
            scope_name: None,
            settings,
            other_analysis: BTreeMap::new(),
        })
    }

    /// The metric's name; pairs are matched to it by name.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::{MetricConfig, MetricSettings};
    /// assert_eq!(MetricConfig::new("cpu", ["g"], MetricSettings::new())?.name(), "cpu");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The groups the metric counts in (may be empty; see [`Warning::UngroupedMetric`]).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::{MetricConfig, MetricSettings};
    /// assert!(MetricConfig::new("cpu", Vec::<String>::new(), MetricSettings::new())?.groups().is_empty());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The metric's settings (`analysisConfigurations.canary`).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::{MetricConfig, MetricSettings};
    /// let m = MetricConfig::new("cpu", ["g"], MetricSettings::new().muted(true))?;
    /// assert!(m.settings().get_muted());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn settings(&self) -> &MetricSettings {
        &self.settings
    }
}

/// Kayenta's classifier tolerance when `judgeConfigurations.tolerance` is absent.
pub const KAYENTA_TOLERANCE: f64 = 0.25;
/// Kayenta's classifier confidence when `judgeConfigurations.confLevel` is absent.
pub const KAYENTA_CONF_LEVEL: f64 = 0.98;
/// The default judge's false-alarm rate per canary when `judgeConfigurations.alpha` is absent.
pub const DEFAULT_ALPHA: f64 = 0.045;
/// The default judge's relative practical margin when `judgeConfigurations.margin` is absent.
pub const DEFAULT_MARGIN: f64 = 0.05;

/// The validated judge settings of a config (`judge.judgeConfigurations`, defaults filled in).
///
/// # Example
/// ```
/// use canary_analysis::judge::config::CanaryConfig;
/// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}],
///     "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {"tolerance": 0.1}}}"#)?;
/// let s = cfg.settings();
/// assert_eq!((s.tolerance(), s.conf_level(), s.alpha(), s.margin()), (0.1, 0.98, 0.045, 0.05));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JudgeSettings {
    tolerance: f64,
    conf_level: f64,
    alpha: f64,
    margin: f64,
}

impl Default for JudgeSettings {
    fn default() -> Self {
        JudgeSettings {
            tolerance: KAYENTA_TOLERANCE,
            conf_level: KAYENTA_CONF_LEVEL,
            alpha: DEFAULT_ALPHA,
            margin: DEFAULT_MARGIN,
        }
    }
}

impl JudgeSettings {
    /// Kayenta classifier tolerance (default 0.25).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::JudgeSettings;
    /// assert_eq!(JudgeSettings::default().tolerance(), 0.25);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }
    /// Kayenta classifier confidence (default 0.98).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::JudgeSettings;
    /// assert_eq!(JudgeSettings::default().conf_level(), 0.98);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn conf_level(&self) -> f64 {
        self.conf_level
    }
    /// Default judge: false-alarm rate per canary (default 0.045).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::JudgeSettings;
    /// assert_eq!(JudgeSettings::default().alpha(), 0.045);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// Default judge: relative practical margin (default 0.05).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::JudgeSettings;
    /// assert_eq!(JudgeSettings::default().margin(), 0.05);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn margin(&self) -> f64 {
        self.margin
    }

    fn from_map(jc: &BTreeMap<String, serde_json::Value>) -> Result<JudgeSettings> {
        let get =
            |key: &str, default: f64, ok: &dyn Fn(f64) -> bool, domain: &str| match jc.get(key) {
                None | Some(serde_json::Value::Null) => Ok(default),
                Some(v) => match v.as_f64() {
                    Some(x) if ok(x) => Ok(x),
                    _ => Err(Error::Config {
                        path: format!("judge.judgeConfigurations.{key}"),
                        reason: format!("{v} is not {domain}"),
                    }),
                },
            };
        let unit = |x: f64| x > 0.0 && x < 1.0;
        let nonneg = |x: f64| x.is_finite() && x >= 0.0;
        Ok(JudgeSettings {
            tolerance: get(
                "tolerance",
                KAYENTA_TOLERANCE,
                &nonneg,
                "a finite number >= 0",
            )?,
            conf_level: get(
                "confLevel",
                KAYENTA_CONF_LEVEL,
                &unit,
                "a number strictly between 0 and 1",
            )?,
            alpha: get(
                "alpha",
                DEFAULT_ALPHA,
                &unit,
                "a number strictly between 0 and 1",
            )?,
            margin: get("margin", DEFAULT_MARGIN, &nonneg, "a finite number >= 0")?,
        })
    }
}

/// A Kayenta `CanaryConfig`, validated: see the [module docs](self) for what is accepted, what
/// falls back with a [`Warning`] and what is refused.
///
/// Serializes to Kayenta's JSON shape (canonical spellings); deserialization validates like
/// [`CanaryConfig::from_json`].
///
/// # Example
/// ```
/// use canary_analysis::judge::config::CanaryConfig;
/// let cfg = CanaryConfig::from_json(r#"{"name": "c", "configVersion": 1.0, "metrics": [
///     {"name": "latency", "groups": ["Latency"],
///      "analysisConfigurations": {"canary": {"direction": "increase"}}}],
///   "classifier": {"groupWeights": {"Latency": 100}}}"#)?;
/// assert_eq!(cfg.metrics()[0].name(), "latency");
/// assert_eq!(cfg.config_version(), Some("1.0"));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawConfig", into = "RawConfig")]
pub struct CanaryConfig {
    name: String,
    description: Option<String>,
    config_version: Option<String>,
    applications: Vec<String>,
    judge_name: String,
    judge_configurations: BTreeMap<String, serde_json::Value>,
    settings: JudgeSettings,
    metrics: Vec<MetricConfig>,
    given_weights: BTreeMap<String, f64>,
    weights: BTreeMap<String, f64>,
    score_thresholds: Option<Thresholds>,
    warnings: Vec<Warning>,
}

impl CanaryConfig {
    /// Parses and validates a Kayenta canary config (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::Parse`] for malformed JSON or a field of the wrong type, [`Error::Config`] for a
    /// config Kayenta refuses or whose scores would be meaningless.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let dup = r#"{"metrics": [{"name": "mem", "groups": ["g"]}, {"name": "mem", "groups": ["g"]}]}"#;
    /// assert!(CanaryConfig::from_json(dup).unwrap_err().to_string().contains("duplicated"));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<CanaryConfig> {
        let raw: RawConfig = serde_json::from_str(json).map_err(|e| Error::Parse {
            format: "kayenta canary config",
            location: crate::error::Location::LineColumn {
                line: e.line(),
                column: e.column(),
            },
            reason: e.to_string(),
        })?;
        CanaryConfig::try_from(raw)
    }

    /// A config from metric configs and group weights, validated like [`CanaryConfig::from_json`]
    /// (default judge settings, no stored thresholds).
    ///
    /// # Errors
    /// As [`CanaryConfig::from_json`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::{CanaryConfig, MetricConfig, MetricSettings};
    /// let m = MetricConfig::new("cpu", ["system"], MetricSettings::new())?;
    /// let cfg = CanaryConfig::new(vec![m], [("system", 100.0)])?;
    /// assert_eq!(cfg.group_weights()["system"], 100.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new<G: Into<String>>(
        metrics: Vec<MetricConfig>,
        group_weights: impl IntoIterator<Item = (G, f64)>,
    ) -> Result<CanaryConfig> {
        CanaryConfig::build(
            RawConfig::default(),
            metrics,
            group_weights
                .into_iter()
                .map(|(g, w)| (g.into(), w))
                .collect(),
            Vec::new(),
        )
    }

    /// The config's name.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"name": "c", "metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// assert_eq!(cfg.name(), "c");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Kayenta's `configVersion`, as written (a number reads as its decimal spelling).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"configVersion": 1.0, "metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// assert_eq!(cfg.config_version(), Some("1.0"));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn config_version(&self) -> Option<&str> {
        self.config_version.as_deref()
    }

    /// The metrics, in config order.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// assert_eq!(cfg.metrics().len(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn metrics(&self) -> &[MetricConfig] {
        &self.metrics
    }

    /// The metric config named `name`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// assert!(cfg.metric("m").is_some() && cfg.metric("x").is_none());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn metric(&self, name: &str) -> Option<&MetricConfig> {
        self.metrics.iter().find(|m| m.name == name)
    }

    /// The validated judge settings.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// assert_eq!(cfg.settings().alpha(), 0.045);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn settings(&self) -> &JudgeSettings {
        &self.settings
    }

    /// The weights as configured (`classifier.groupWeights`), including weights for groups no
    /// metric lists.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}],
    ///     "classifier": {"groupWeights": {"g": 60, "old": 40}}}"#)?;
    /// assert_eq!(cfg.configured_weights().len(), 2);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn configured_weights(&self) -> &BTreeMap<String, f64> {
        &self.given_weights
    }

    /// The effective weight of every group any metric lists: the given weight, or an equal share
    /// of `100 - sum(given)` for groups without one (Kayenta's rule, no normalization; the sum
    /// includes weights of groups no metric lists).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "a", "groups": ["x"]},
    ///     {"name": "b", "groups": ["y", "z"]}], "classifier": {"groupWeights": {"x": 50}}}"#)?;
    /// let w = cfg.group_weights();
    /// assert_eq!((w["x"], w["y"], w["z"]), (50.0, 25.0, 25.0));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn group_weights(&self) -> &BTreeMap<String, f64> {
        &self.weights
    }

    /// Thresholds stored in the config (`classifier.scoreThresholds`), if any.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}],
    ///     "classifier": {"scoreThresholds": {"pass": 95, "marginal": 75}}}"#)?;
    /// assert_eq!(cfg.score_thresholds().map(|t| t.pass()), Some(95.0));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn score_thresholds(&self) -> Option<Thresholds> {
        self.score_thresholds
    }

    /// Kayenta's silent fallbacks in this config, made visible (see [`Warning`]).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// assert!(cfg.warnings().is_empty());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    fn build(
        raw: RawConfig,
        metrics: Vec<MetricConfig>,
        given_weights: BTreeMap<String, f64>,
        mut warnings: Vec<Warning>,
    ) -> Result<CanaryConfig> {
        let cfg_err = |path: String, reason: String| Error::Config { path, reason };
        if metrics.is_empty() {
            return Err(cfg_err(
                "metrics".into(),
                "the config has no metrics".into(),
            ));
        }
        let mut names = BTreeSet::new();
        let mut groups = BTreeSet::new();
        for (i, m) in metrics.iter().enumerate() {
            if !names.insert(m.name.as_str()) {
                return Err(cfg_err(
                    format!("metrics[{i}].name"),
                    format!(
                        "Metric config name must be unique. '{}' is duplicated.",
                        m.name
                    ),
                ));
            }
            if m.groups.is_empty() {
                warnings.push(Warning::UngroupedMetric {
                    metric: m.name.clone(),
                });
            }
            groups.extend(m.groups.iter().map(String::as_str));
        }
        let mut weight_sum = 0.0;
        for (g, &w) in &given_weights {
            if !w.is_finite() || w < 0.0 {
                return Err(cfg_err(
                    format!("classifier.groupWeights.{g}"),
                    format!("weight {w} is not a finite non-negative number"),
                ));
            }
            if !groups.contains(g.as_str()) {
                warnings.push(Warning::UnusedGroupWeight {
                    group: g.clone(),
                    weight: w,
                });
            }
            weight_sum += w;
        }
        if !weight_sum.is_finite() {
            return Err(cfg_err(
                "classifier.groupWeights".into(),
                "the weights' sum overflows (it is not a finite number)".into(),
            ));
        }
        let group_list: Vec<&str> = groups.iter().copied().collect();
        let unweighted = group_list
            .iter()
            .filter(|g| !given_weights.contains_key(**g))
            .count();
        if unweighted > 0 && weight_sum > 100.0 {
            return Err(cfg_err(
                "classifier.groupWeights".into(),
                format!(
                    "weights sum to {weight_sum} > 100 while {unweighted} group(s) have no weight \
                     (their share of 100 - {weight_sum} would be negative)"
                ),
            ));
        }
        if unweighted == 0 && !group_list.is_empty() && weight_sum != 100.0 && weight_sum > 0.0 {
            warnings.push(Warning::WeightSum { sum: weight_sum });
        }
        let weights = group_weights_for(&group_list, &given_weights);
        if !weights.is_empty() && weights.values().all(|&w| w == 0.0) {
            return Err(cfg_err(
                "classifier.groupWeights".into(),
                format!(
                    "every group weighs 0 ({}): no score could reflect any metric",
                    group_list.join(", ")
                ),
            ));
        }
        let score_thresholds = raw
            .classifier
            .score_thresholds
            .map(|t| {
                Thresholds::new(t.pass, t.marginal).map_err(|e| match e {
                    Error::Config { path, reason } => Error::Config {
                        path: format!("classifier.{path}"),
                        reason,
                    },
                    other => other,
                })
            })
            .transpose()?;
        let settings = JudgeSettings::from_map(&raw.judge.judge_configurations)?;
        Ok(CanaryConfig {
            name: raw.name.unwrap_or_default(),
            description: raw.description,
            config_version: raw.config_version.map(|v| v.0),
            applications: raw.applications,
            judge_name: raw.judge.name.unwrap_or_default(),
            judge_configurations: raw.judge.judge_configurations,
            settings,
            metrics,
            given_weights,
            weights,
            score_thresholds,
            warnings,
        })
    }
}

/// Kayenta's group weights for the groups present: given weights as is; the rest share
/// `100 - sum(given)` equally.
pub(crate) fn group_weights_for(
    groups: &[&str],
    given: &BTreeMap<String, f64>,
) -> BTreeMap<String, f64> {
    let given_sum: f64 = given.values().sum();
    let missing = groups.iter().filter(|g| !given.contains_key(**g)).count();
    let share = if missing > 0 {
        (100.0 - given_sum) / missing as f64
    } else {
        0.0
    };
    groups
        .iter()
        .map(|g| (g.to_string(), given.get(*g).copied().unwrap_or(share)))
        .collect()
}

// ---- Kayenta's JSON shape, as read (lenient) and written (canonical) ----

/// `configVersion`: a string, or a number read as its decimal spelling (Jackson's coercion).
#[derive(Debug, Clone, Default)]
struct Version(String);

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            S(String),
            N(serde_json::Number),
            B(bool),
        }
        Ok(Version(match Repr::deserialize(d)? {
            Repr::S(s) => s,
            Repr::N(n) => {
                // Jackson writes a double with at least one decimal: 1.0 -> "1.0".
                match n.as_f64() {
                    Some(x) if n.is_f64() && x.fract() == 0.0 && x.abs() < 1e15 => {
                        format!("{x:.1}")
                    }
                    _ => n.to_string(),
                }
            }
            Repr::B(b) => b.to_string(),
        }))
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config_version: Option<Version>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    applications: Vec<String>,
    #[serde(default)]
    judge: RawJudge,
    #[serde(default)]
    metrics: Vec<RawMetric>,
    #[serde(default)]
    classifier: RawClassifier,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawJudge {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default)]
    judge_configurations: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawClassifier {
    #[serde(default)]
    group_weights: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    score_thresholds: Option<RawThresholds>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetric {
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    query: serde_json::Value,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope_name: Option<String>,
    #[serde(default)]
    analysis_configurations: RawAnalysis,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct RawAnalysis {
    #[serde(default)]
    canary: RawCanary,
    #[serde(flatten)]
    other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCanary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    direction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nan_strategy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    critical: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    must_have_data: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    muted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    effect_size: Option<RawEffectSize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outliers: Option<RawOutliers>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEffectSize {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    measure: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allowed_increase: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allowed_decrease: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    critical_increase: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    critical_decrease: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOutliers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    strategy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outlier_factor: Option<f64>,
}

/// Reads a Kayenta enum spelling; unknown spellings fall back with a warning.
fn lenient<T: Copy>(
    value: Option<&str>,
    known: &[(&str, T)],
    fallback: (&str, T),
    path: String,
    warnings: &mut Vec<Warning>,
) -> T {
    let Some(v) = value else { return fallback.1 };
    if let Some((_, t)) = known.iter().find(|(s, _)| *s == v) {
        return *t;
    }
    warnings.push(Warning::UnknownSpelling {
        path,
        value: v.to_owned(),
        fallback: fallback.0.to_owned(),
    });
    fallback.1
}

impl RawMetric {
    fn into_config(self, i: usize, warnings: &mut Vec<Warning>) -> Result<MetricConfig> {
        let c = self.analysis_configurations.canary;
        let path = format!("metrics[{i}].analysisConfigurations.canary");
        let mut s = MetricSettings::new();
        s.direction = lenient(
            c.direction.as_deref(),
            &[
                ("increase", Direction::Increase),
                ("decrease", Direction::Decrease),
                ("either", Direction::Either),
            ],
            ("either", Direction::Either),
            format!("{path}.direction"),
            warnings,
        );
        s.nan_policy = lenient(
            c.nan_strategy.as_deref(),
            &[
                ("remove", NanPolicy::Remove),
                ("replace", NanPolicy::Replace(0.0)),
            ],
            ("remove", NanPolicy::Remove),
            format!("{path}.nanStrategy"),
            warnings,
        );
        s.critical = c.critical.unwrap_or(false);
        s.must_have_data = c.must_have_data.unwrap_or(false);
        s.muted = c.muted.unwrap_or(false);
        if let Some(es) = c.effect_size {
            s.measure = lenient(
                es.measure.as_deref(),
                &[
                    ("meanRatio", EffectMeasure::MeanRatio),
                    ("cles", EffectMeasure::Cles),
                ],
                ("meanRatio", EffectMeasure::MeanRatio),
                format!("{path}.effectSize.measure"),
                warnings,
            );
            s.allowed_increase = es.allowed_increase;
            s.allowed_decrease = es.allowed_decrease;
            s.critical_increase = es.critical_increase;
            s.critical_decrease = es.critical_decrease;
        }
        if let Some(o) = c.outliers {
            s.outlier_strategy = lenient(
                o.strategy.as_deref(),
                &[
                    ("keep", OutlierStrategy::Keep),
                    ("remove", OutlierStrategy::Remove),
                ],
                ("keep", OutlierStrategy::Keep),
                format!("{path}.outliers.strategy"),
                warnings,
            );
            s.outlier_factor = o.outlier_factor.unwrap_or(3.0);
        }
        s.kind = match c.kind.as_deref() {
            None | Some("continuous") => MetricKind::Continuous,
            Some("count") => MetricKind::Count,
            Some(other) => {
                return Err(Error::Config {
                    path: format!("{path}.kind"),
                    reason: format!(
                        "unknown kind `{other}`: exactly \"continuous\" or \"count\" (our \
                         extension; Kayenta ignores it)"
                    ),
                });
            }
        };
        if self.name.is_empty() {
            return Err(Error::Config {
                path: format!("metrics[{i}].name"),
                reason: "Metric config must specify a name.".into(),
            });
        }
        s.check(&path)?;
        Ok(MetricConfig {
            name: self.name,
            query: self.query,
            groups: self.groups,
            scope_name: self.scope_name,
            settings: s,
            other_analysis: self.analysis_configurations.other,
        })
    }
}

impl From<&MetricConfig> for RawMetric {
    fn from(m: &MetricConfig) -> RawMetric {
        let s = &m.settings;
        let spell_dir = match s.direction {
            Direction::Increase => "increase",
            Direction::Decrease => "decrease",
            Direction::Either => "either",
        };
        RawMetric {
            name: m.name.clone(),
            query: m.query.clone(),
            groups: m.groups.clone(),
            scope_name: m.scope_name.clone(),
            analysis_configurations: RawAnalysis {
                canary: RawCanary {
                    direction: Some(spell_dir.into()),
                    nan_strategy: Some(
                        match s.nan_policy {
                            NanPolicy::Replace(_) => "replace",
                            _ => "remove",
                        }
                        .into(),
                    ),
                    critical: Some(s.critical),
                    must_have_data: Some(s.must_have_data),
                    muted: Some(s.muted),
                    effect_size: Some(RawEffectSize {
                        measure: Some(
                            match s.measure {
                                EffectMeasure::MeanRatio => "meanRatio",
                                EffectMeasure::Cles => "cles",
                            }
                            .into(),
                        ),
                        allowed_increase: s.allowed_increase,
                        allowed_decrease: s.allowed_decrease,
                        critical_increase: s.critical_increase,
                        critical_decrease: s.critical_decrease,
                    }),
                    outliers: Some(RawOutliers {
                        strategy: Some(
                            match s.outlier_strategy {
                                OutlierStrategy::Keep => "keep",
                                OutlierStrategy::Remove => "remove",
                            }
                            .into(),
                        ),
                        outlier_factor: Some(s.outlier_factor),
                    }),
                    kind: Some(
                        match s.kind {
                            MetricKind::Continuous => "continuous",
                            MetricKind::Count => "count",
                        }
                        .into(),
                    ),
                },
                other: m.other_analysis.clone(),
            },
        }
    }
}

impl TryFrom<RawConfig> for CanaryConfig {
    type Error = Error;
    fn try_from(mut raw: RawConfig) -> Result<CanaryConfig> {
        let mut warnings = Vec::new();
        let metrics = std::mem::take(&mut raw.metrics)
            .into_iter()
            .enumerate()
            .map(|(i, m)| m.into_config(i, &mut warnings))
            .collect::<Result<Vec<_>>>()?;
        let weights = std::mem::take(&mut raw.classifier.group_weights);
        CanaryConfig::build(raw, metrics, weights, warnings)
    }
}

impl From<CanaryConfig> for RawConfig {
    fn from(c: CanaryConfig) -> RawConfig {
        RawConfig {
            name: Some(c.name),
            description: c.description,
            config_version: c.config_version.map(Version),
            applications: c.applications,
            judge: RawJudge {
                name: Some(c.judge_name),
                judge_configurations: c.judge_configurations,
            },
            metrics: c.metrics.iter().map(RawMetric::from).collect(),
            classifier: RawClassifier {
                group_weights: c.given_weights,
                score_thresholds: c.score_thresholds.map(RawThresholds::from),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_meaning_and_drops_nothing() {
        let cfg = CanaryConfig::from_json(
            r#"{"name": "c", "configVersion": 1.0, "metrics": [
              {"name": "a", "groups": ["x"], "analysisConfigurations": {"canary": {
                "direction": "sideways", "nanStrategy": "replace", "critical": true,
                "effectSize": {"measure": "cles", "allowedIncrease": 0.6},
                "outliers": {"strategy": "remove", "outlierFactor": 2.0}, "kind": "count"}}}],
              "classifier": {"groupWeights": {"x": 100}, "scoreThresholds": {"pass": 90, "marginal": 50}},
              "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {"alpha": 0.01}}}"#,
        )
        .unwrap();
        assert_eq!(cfg.warnings().len(), 1);
        let json = serde_json::to_string(&cfg).unwrap();
        let back: CanaryConfig = serde_json::from_str(&json).unwrap();
        // The fallback is written canonically, so the copy has no warning left.
        assert!(back.warnings().is_empty());
        assert_eq!(back.metrics(), cfg.metrics());
        assert_eq!(back.settings(), cfg.settings());
        assert_eq!(back.score_thresholds(), cfg.score_thresholds());
        assert_eq!(back.group_weights(), cfg.group_weights());
    }

    #[test]
    fn version_spelling() {
        for (v, want) in [
            ("1.0", "1.0"),
            ("1", "1"),
            ("\"2.1\"", "2.1"),
            ("1.5", "1.5"),
        ] {
            let cfg = CanaryConfig::from_json(&format!(
                r#"{{"configVersion": {v}, "metrics": [{{"name": "m", "groups": ["g"]}}]}}"#
            ))
            .unwrap();
            assert_eq!(cfg.config_version(), Some(want), "{v}");
        }
    }
}
