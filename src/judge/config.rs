//! Kayenta canary configuration, read as is, plus our documented extensions.
//!
//! The JSON shape is Kayenta's `CanaryConfig`:
//!
//! ```json
//! {"name": "...", "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
//!  "metrics": [{"name": "latency", "query": {...}, "groups": ["Latency"], "scopeName": "default",
//!               "analysisConfigurations": {"canary": {"direction": "increase"}}}],
//!  "classifier": {"groupWeights": {"Latency": 100}, "scoreThresholds": {"pass": 95, "marginal": 75}}}
//! ```
//!
//! Fields we do not use (`query`, `templates`, `applications`, ...) are accepted and ignored.
//!
//! Per metric, `analysisConfigurations.canary` holds Kayenta's settings: `direction`
//! (`increase` | `decrease` | `either`, default `either`, any other value reads as `either` as in
//! Kayenta), `nanStrategy` (`remove` | `replace`, default `remove`; `replace` turns NaN into 0.0),
//! `critical`, `mustHaveData`, `muted` (default false), `effectSize` (`measure`: `meanRatio` |
//! `cles`; `allowedIncrease`, `allowedDecrease`, `criticalIncrease`, `criticalDecrease`, default
//! 1.0 for the mean ratio and 0.5 for CLES) and `outliers` (`strategy`: `keep` | `remove`,
//! `outlierFactor` default 3.0).
//!
//! Our extensions, ignored by Kayenta mode unless stated:
//! - `analysisConfigurations.canary.kind`: `"continuous"` (default) or `"count"` (event counts per
//!   step; the default judge then applies a rate test).
//! - `judge.judgeConfigurations.tolerance` and `confLevel`: Kayenta's classifier tolerance and
//!   confidence, hard-coded to 0.25 and 0.98 in Kayenta; used by Kayenta mode.
//! - `judge.judgeConfigurations.alpha` (default 0.045): the false-alarm rate per canary of the
//!   default judge (Holm across every test of every unmuted metric).
//! - `judge.judgeConfigurations.margin` (default 0.05): the default judge's practical-significance
//!   margin, relative to the baseline (see [`crate::judge::default`]).
//!
//! [`CanaryConfig::from_json`] parses and validates; validation errors are
//! [`crate::Error::Config`] naming the JSON path.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};

/// A Kayenta `CanaryConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryConfig {
    /// The config's name.
    #[serde(default)]
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Kayenta's config version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_version: Option<String>,
    /// Applications the config belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<String>,
    /// The judge and its settings.
    #[serde(default)]
    pub judge: JudgeConfig,
    /// The metrics to judge.
    pub metrics: Vec<MetricConfig>,
    /// Group weights and optional score thresholds.
    #[serde(default)]
    pub classifier: ClassifierConfig,
}

/// The `judge` block: Kayenta's judge name and free-form settings, with our typed extensions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JudgeConfig {
    /// Kayenta's judge name, e.g. `NetflixACAJudge-v1.0`.
    #[serde(default)]
    pub name: String,
    /// Settings; we read `tolerance`, `confLevel`, `alpha` and `margin` (all optional numbers).
    #[serde(default)]
    pub judge_configurations: BTreeMap<String, serde_json::Value>,
}

/// The `classifier` block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassifierConfig {
    /// Weight per group (percent); groups without a weight share what is left of 100 equally.
    #[serde(default)]
    pub group_weights: BTreeMap<String, f64>,
    /// Thresholds stored in the config (the request's thresholds take precedence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_thresholds: Option<Thresholds>,
}

/// Score thresholds: a score `>= pass` passes, `>= marginal` is marginal, below fails.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// The lowest passing score (0..=100).
    pub pass: f64,
    /// The lowest marginal score (0..=pass).
    pub marginal: f64,
}

impl Thresholds {
    /// Thresholds after validation: both finite, `0 <= marginal <= pass <= 100`.
    ///
    /// # Errors
    /// [`Error::Config`] if they are out of range or out of order.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::Thresholds;
    /// let t = Thresholds::new(95.0, 75.0)?;
    /// assert_eq!(t.pass, 95.0);
    /// assert!(Thresholds::new(70.0, 75.0).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(pass: f64, marginal: f64) -> Result<Thresholds> {
        let t = Thresholds { pass, marginal };
        t.validate()?;
        Ok(t)
    }

    /// Checks `0 <= marginal <= pass <= 100`, all finite.
    ///
    /// # Errors
    /// [`Error::Config`] naming the offending threshold.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::Thresholds;
    /// assert!(Thresholds { pass: 95.0, marginal: 75.0 }.validate().is_ok());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("pass", self.pass), ("marginal", self.marginal)] {
            if !v.is_finite() || !(0.0..=100.0).contains(&v) {
                return Err(Error::Config {
                    path: format!("scoreThresholds.{name}"),
                    reason: format!("{v} is not a score between 0 and 100"),
                });
            }
        }
        if self.marginal > self.pass {
            return Err(Error::Config {
                path: "scoreThresholds".into(),
                reason: format!(
                    "marginal threshold {} is above the pass threshold {}",
                    self.marginal, self.pass
                ),
            });
        }
        Ok(())
    }
}

/// One metric of the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricConfig {
    /// The metric's name; metric-set pairs are matched to it by name.
    pub name: String,
    /// The metric source query (kept as is, unused by the judge).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub query: serde_json::Value,
    /// The groups this metric counts in.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Kayenta's scope name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_name: Option<String>,
    /// Analysis settings.
    #[serde(default)]
    pub analysis_configurations: AnalysisConfigurations,
}

/// `analysisConfigurations`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnalysisConfigurations {
    /// `canary`: the classifier settings of this metric.
    #[serde(default)]
    pub canary: MetricSettings,
}

/// Which change of a metric is a regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
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
    pub fn allows_increase(self) -> bool {
        matches!(self, Direction::Increase | Direction::Either)
    }
    /// Whether a decrease is a regression.
    pub fn allows_decrease(self) -> bool {
        matches!(self, Direction::Decrease | Direction::Either)
    }
}

impl<'de> Deserialize<'de> for Direction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        // Kayenta maps any unknown spelling to `either`.
        let s = Option::<String>::deserialize(d)?;
        Ok(match s.as_deref() {
            Some("increase") => Direction::Increase,
            Some("decrease") => Direction::Decrease,
            _ => Direction::Either,
        })
    }
}

/// What to do with NaN values (gaps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum NanStrategy {
    /// Drop NaN values.
    #[default]
    #[serde(rename = "remove")]
    Remove,
    /// Replace NaN values by 0.0.
    #[serde(rename = "replace")]
    Replace,
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

/// `effectSize` settings; absent thresholds take the measure's default (1.0 or 0.5).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectSize {
    /// The measure.
    #[serde(default)]
    pub measure: EffectMeasure,
    /// A `High` needs the effect at least this large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_increase: Option<f64>,
    /// A `Low` needs the effect at most this large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_decrease: Option<f64>,
    /// A critical metric's `High` is critical only at or above this effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_increase: Option<f64>,
    /// A critical metric's `Low` is critical only at or below this effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_decrease: Option<f64>,
}

impl EffectSize {
    fn default_threshold(&self) -> f64 {
        match self.measure {
            EffectMeasure::MeanRatio => 1.0,
            EffectMeasure::Cles => 0.5,
        }
    }
    /// `allowedIncrease` or its default.
    pub fn allowed_increase(&self) -> f64 {
        self.allowed_increase
            .unwrap_or_else(|| self.default_threshold())
    }
    /// `allowedDecrease` or its default.
    pub fn allowed_decrease(&self) -> f64 {
        self.allowed_decrease
            .unwrap_or_else(|| self.default_threshold())
    }
    /// `criticalIncrease` or its default.
    pub fn critical_increase(&self) -> f64 {
        self.critical_increase
            .unwrap_or_else(|| self.default_threshold())
    }
    /// `criticalDecrease` or its default.
    pub fn critical_decrease(&self) -> f64 {
        self.critical_decrease
            .unwrap_or_else(|| self.default_threshold())
    }
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

/// `outliers` settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outliers {
    /// Keep or remove.
    #[serde(default)]
    pub strategy: OutlierStrategy,
    /// The IQR multiple of the fences (default 3.0).
    #[serde(default = "default_outlier_factor")]
    pub outlier_factor: f64,
}

fn default_outlier_factor() -> f64 {
    3.0
}

impl Default for Outliers {
    fn default() -> Self {
        Outliers {
            strategy: OutlierStrategy::Keep,
            outlier_factor: 3.0,
        }
    }
}

/// `analysisConfigurations.canary` of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricSettings {
    /// Which change is a regression.
    #[serde(default)]
    pub direction: Direction,
    /// NaN handling.
    #[serde(default)]
    pub nan_strategy: NanStrategy,
    /// A critical metric's failure fails the canary.
    #[serde(default)]
    pub critical: bool,
    /// Missing data fails the metric (`NodataFailMetric`).
    #[serde(default)]
    pub must_have_data: bool,
    /// Reported, not scored.
    #[serde(default)]
    pub muted: bool,
    /// Effect-size gates.
    #[serde(default)]
    pub effect_size: EffectSize,
    /// Outlier handling.
    #[serde(default)]
    pub outliers: Outliers,
    /// Our extension: continuous (default) or count.
    #[serde(default)]
    pub kind: MetricKind,
}

/// Kayenta's classifier tolerance when `judgeConfigurations.tolerance` is absent.
pub const KAYENTA_TOLERANCE: f64 = 0.25;
/// Kayenta's classifier confidence when `judgeConfigurations.confLevel` is absent.
pub const KAYENTA_CONF_LEVEL: f64 = 0.98;
/// The default judge's false-alarm rate per canary when `judgeConfigurations.alpha` is absent.
pub const DEFAULT_ALPHA: f64 = 0.045;
/// The default judge's relative practical margin when `judgeConfigurations.margin` is absent.
pub const DEFAULT_MARGIN: f64 = 0.05;

impl CanaryConfig {
    /// Parses and validates a Kayenta canary config.
    ///
    /// # Errors
    /// [`Error::Parse`] for malformed JSON or a field of the wrong type, [`Error::Config`] for an
    /// inconsistent config (see [`CanaryConfig::validate`]).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"name": "c", "metrics": [
    ///     {"name": "latency", "groups": ["Latency"],
    ///      "analysisConfigurations": {"canary": {"direction": "increase"}}}],
    ///   "classifier": {"groupWeights": {"Latency": 100}}}"#)?;
    /// assert_eq!(cfg.metrics[0].name, "latency");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<CanaryConfig> {
        let cfg: CanaryConfig = serde_json::from_str(json).map_err(|e| Error::Parse {
            format: "kayenta canary config",
            location: crate::Location::LineColumn {
                line: e.line(),
                column: e.column(),
            },
            reason: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the config: at least one metric; unique, non-empty metric names; weights finite and
    /// non-negative; a weight only for a group some metric lists; given weights summing to at
    /// most 100 when some group has no weight (its share would be negative); effect-size
    /// thresholds finite; outlier factor finite and non-negative; the judge settings (`tolerance`
    /// finite and >= 0, `confLevel` and `alpha` in (0, 1), `margin` finite and >= 0); stored
    /// thresholds in order.
    ///
    /// # Errors
    /// [`Error::Config`] naming the JSON path of the first problem.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let bad = r#"{"metrics": [{"name": "m", "groups": ["g"]}],
    ///               "classifier": {"groupWeights": {"h": 100}}}"#;
    /// assert!(CanaryConfig::from_json(bad).is_err()); // unknown group `h`
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        let cfg_err = |path: String, reason: String| Error::Config { path, reason };
        if self.metrics.is_empty() {
            return Err(cfg_err(
                "metrics".into(),
                "the config has no metrics".into(),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        let mut groups = std::collections::BTreeSet::new();
        for (i, m) in self.metrics.iter().enumerate() {
            if m.name.is_empty() {
                return Err(cfg_err(
                    format!("metrics[{i}].name"),
                    "empty metric name".into(),
                ));
            }
            if !names.insert(m.name.as_str()) {
                return Err(cfg_err(
                    format!("metrics[{i}].name"),
                    format!("duplicate metric name `{}`", m.name),
                ));
            }
            groups.extend(m.groups.iter().map(String::as_str));
            let c = &m.analysis_configurations.canary;
            let es = &c.effect_size;
            for (k, v) in [
                ("allowedIncrease", es.allowed_increase),
                ("allowedDecrease", es.allowed_decrease),
                ("criticalIncrease", es.critical_increase),
                ("criticalDecrease", es.critical_decrease),
            ] {
                if let Some(v) = v
                    && !v.is_finite()
                {
                    return Err(cfg_err(
                        format!("metrics[{i}].analysisConfigurations.canary.effectSize.{k}"),
                        format!("{v} is not a finite number"),
                    ));
                }
            }
            let f = c.outliers.outlier_factor;
            if !f.is_finite() || f < 0.0 {
                return Err(cfg_err(
                    format!("metrics[{i}].analysisConfigurations.canary.outliers.outlierFactor"),
                    format!("{f} is not a finite non-negative number"),
                ));
            }
        }
        let mut weight_sum = 0.0;
        for (g, &w) in &self.classifier.group_weights {
            if !w.is_finite() || w < 0.0 {
                return Err(cfg_err(
                    format!("classifier.groupWeights.{g}"),
                    format!("weight {w} is not a finite non-negative number"),
                ));
            }
            if !groups.contains(g.as_str()) {
                return Err(cfg_err(
                    format!("classifier.groupWeights.{g}"),
                    format!("unknown group `{g}`: no metric lists it"),
                ));
            }
            weight_sum += w;
        }
        let unweighted = groups
            .iter()
            .filter(|g| !self.classifier.group_weights.contains_key(**g))
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
        if let Some(t) = &self.classifier.score_thresholds {
            t.validate().map_err(|e| match e {
                Error::Config { path, reason } => Error::Config {
                    path: format!("classifier.{path}"),
                    reason,
                },
                other => other,
            })?;
        }
        self.settings()?;
        Ok(())
    }

    /// The judge settings from `judge.judgeConfigurations`, defaults filled in, validated.
    ///
    /// # Errors
    /// [`Error::Config`] if a setting is not a number or out of its domain.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m"}],
    ///     "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {"tolerance": 0.1}}}"#)?;
    /// let s = cfg.settings()?;
    /// assert_eq!((s.tolerance, s.conf_level), (0.1, 0.98));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn settings(&self) -> Result<JudgeSettings> {
        let jc = &self.judge.judge_configurations;
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

    /// Weight of every group any metric lists: the given weight, or an equal share of
    /// `100 - sum(given)` for groups without one (Kayenta's rule, no normalization).
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
    pub fn group_weights(&self) -> BTreeMap<String, f64> {
        let given = &self.classifier.group_weights;
        let mut all: Vec<&str> = self
            .metrics
            .iter()
            .flat_map(|m| m.groups.iter().map(String::as_str))
            .collect();
        all.sort_unstable();
        all.dedup();
        group_weights_for(&all, given)
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

/// The validated judge settings of a config.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JudgeSettings {
    /// Kayenta classifier tolerance (0.25).
    pub tolerance: f64,
    /// Kayenta classifier confidence (0.98).
    pub conf_level: f64,
    /// Default judge: false-alarm rate per canary (0.045).
    pub alpha: f64,
    /// Default judge: relative practical margin (0.05).
    pub margin: f64,
}
