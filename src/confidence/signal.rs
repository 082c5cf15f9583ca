//! The typed evidence the confidence metric reads.
//!
//! Each signal type is independent of the layers below: the judge and the sequential tests are
//! read through one small conversion each ([`CanarySignal::from_judgement`],
//! [`SequentialSignal::from_p_value`] / [`SequentialSignal::from_e_value`] and the `from_*_look`
//! helpers), so a change in those layers touches one function here.
//!
//! Every signal has a documented *evidence order* ("better evidence"); the
//! [module docs](super) prove that confidence and the decision are monotone in it.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::judge::result::{CanaryJudgeResult, Classification, MetricResult, Verdict};
use crate::stats::sequential::{CountLook, DkwLook, MonitorLook, MsprtLook};

/// The canary judge's verdict, as the confidence metric sees it.
///
/// Evidence order: `Fail < Marginal < Pass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CanaryVerdict {
    /// The canary failed (below the marginal threshold, or a critical metric failed).
    Fail,
    /// Between the marginal and the pass thresholds.
    Marginal,
    /// At or above the pass threshold.
    Pass,
}

impl CanaryVerdict {
    /// Kayenta's spelling (`"Pass"`, `"Marginal"`, `"Fail"`).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::CanaryVerdict;
    /// assert_eq!(CanaryVerdict::Marginal.as_str(), "Marginal");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CanaryVerdict::Pass => "Pass",
            CanaryVerdict::Marginal => "Marginal",
            CanaryVerdict::Fail => "Fail",
        }
    }
}

/// The metric that weighs most against the canary, for the breakdown and the sentence.
///
/// It is reported, never scored: confidence reads the verdict, score and coverage only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorstMetric {
    /// Metric name.
    pub name: String,
    /// The effect estimate, canary relative to baseline: a relative change (`0.12` = +12%) when
    /// `relative` is true, else a shift in the metric's unit.
    #[serde(
        with = "crate::serde_float::nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub effect: Option<f64>,
    /// Lower end of the effect's interval (same unit as `effect`).
    #[serde(
        with = "crate::serde_float::nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub lower: Option<f64>,
    /// Upper end of the effect's interval (same unit as `effect`).
    #[serde(
        with = "crate::serde_float::nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub upper: Option<f64>,
    /// Whether `effect`, `lower` and `upper` are relative changes.
    pub relative: bool,
    /// A plain description, e.g. `p99 latency +12% [+4%, +20%]`.
    pub sentence: String,
}

impl WorstMetric {
    /// A worst metric with a relative effect and interval; the sentence is written from them
    /// (`name +12% [+4%, +20%]`).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::WorstMetric;
    /// let w = WorstMetric::relative("p99 latency", 0.12, 0.04, 0.20);
    /// assert_eq!(w.sentence, "p99 latency +12% [+4%, +20%]");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn relative(name: &str, effect: f64, lower: f64, upper: f64) -> WorstMetric {
        WorstMetric {
            name: name.to_owned(),
            effect: Some(effect),
            lower: Some(lower),
            upper: Some(upper),
            relative: true,
            sentence: format!(
                "{name} {} [{}, {}]",
                percent(effect),
                percent(lower),
                percent(upper)
            ),
        }
    }
}

/// `+12%`, `-3.5%`: a relative change as a signed percentage with at most 3 significant digits.
pub(crate) fn percent(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "+inf".into()
        } else {
            "-inf".into()
        };
    }
    let p = x * 100.0;
    let digits = if p.abs() >= 10.0 {
        0
    } else if p.abs() >= 1.0 {
        1
    } else {
        2
    };
    let s = format!("{p:+.digits$}");
    // Trim "+4.0" to "+4" but keep "+0.25".
    let t = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    format!("{t}%")
}

/// The canary judgement.
///
/// Evidence order (better evidence): a higher verdict, a higher score, a higher coverage, and
/// `inconclusive == false` rather than `true`; the worst metric is not part of the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanarySignal {
    /// The verdict.
    pub verdict: CanaryVerdict,
    /// The canary score, 0 to 100.
    pub score: f64,
    /// The weighted share of the configured metric groups that had data, 0 to 1.
    pub coverage: f64,
    /// The metric that weighs most against the canary, when there is one.
    #[serde(default)]
    pub worst: Option<WorstMetric>,
    /// The judgement rests on too little data (a metric with insufficient data, no scored
    /// metric at all): such a canary never gives `Proceed`.
    #[serde(default)]
    pub inconclusive: bool,
}

impl CanarySignal {
    /// A canary signal from its parts.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `score` is not in `[0, 100]` or `coverage` not in
    /// `[0, 1]` (NaN included).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{CanarySignal, CanaryVerdict};
    /// let c = CanarySignal::new(CanaryVerdict::Pass, 97.5, 1.0)?;
    /// assert!(!c.inconclusive);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(verdict: CanaryVerdict, score: f64, coverage: f64) -> Result<CanarySignal> {
        let s = CanarySignal {
            verdict,
            score,
            coverage,
            worst: None,
            inconclusive: false,
        };
        s.validate()?;
        Ok(s)
    }

    /// Sets the worst metric.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{CanarySignal, CanaryVerdict, WorstMetric};
    /// let c = CanarySignal::new(CanaryVerdict::Marginal, 80.0, 1.0)?
    ///     .worst(WorstMetric::relative("p99 latency", 0.12, 0.04, 0.20));
    /// assert_eq!(c.worst.unwrap().name, "p99 latency");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn worst(mut self, worst: WorstMetric) -> CanarySignal {
        self.worst = Some(worst);
        self
    }

    /// Marks the judgement inconclusive (or not).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{CanarySignal, CanaryVerdict};
    /// let c = CanarySignal::new(CanaryVerdict::Pass, 100.0, 0.5)?.inconclusive(true);
    /// assert!(c.inconclusive);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn inconclusive(mut self, inconclusive: bool) -> CanarySignal {
        self.inconclusive = inconclusive;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !(0.0..=100.0).contains(&self.score) {
            return Err(Error::param(
                "canary.score",
                self.score,
                "must be in [0, 100]",
            ));
        }
        if !(0.0..=1.0).contains(&self.coverage) {
            return Err(Error::param(
                "canary.coverage",
                self.coverage,
                "must be in [0, 1]",
            ));
        }
        Ok(())
    }

    /// Reads a judge result: its verdict, score and coverage, its worst metric, and whether it
    /// is inconclusive.
    ///
    /// This is the **one** place that reads the judge's result, through its typed accessors
    /// (`verdict()`, `score()`, `coverage()`, `metrics()`, `worst()`). Definitions:
    /// - *inconclusive*: no unmuted metric result at all, a coverage of 0, or an unmuted metric
    ///   classified `InsufficientData`;
    /// - *worst metric*: the judge's [`worst`](CanaryJudgeResult::worst) metric. Its effect is
    ///   the deciding test's effect and interval, relative (`0.12` = +12%) when the effect is a
    ///   ratio (minus 1) or the judge gives a positive baseline scale (divided by it), else in
    ///   the metric's unit; without a typed reason it carries the judge's sentence only.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the result's score or coverage is out of range.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{CanarySignal, CanaryVerdict};
    /// use canary_analysis::prelude::*;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "latency", "groups": ["g"],
    ///     "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#)?;
    /// let baseline: Vec<f64> = (0..50).map(|i| 100.0 + (i % 7) as f64).collect();
    /// let pair = MetricPair::from_values("latency", baseline.clone(), baseline)?;
    /// let result = DefaultJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.judge(&[pair])?;
    /// let signal = CanarySignal::from_judgement(&result)?;
    /// assert_eq!(signal.verdict, CanaryVerdict::Pass);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn from_judgement(result: &CanaryJudgeResult) -> Result<CanarySignal> {
        let verdict = match result.verdict() {
            Verdict::Pass => CanaryVerdict::Pass,
            Verdict::Marginal => CanaryVerdict::Marginal,
            // `Verdict` is non-exhaustive: anything new is read as the worst.
            _ => CanaryVerdict::Fail,
        };
        let unmuted: Vec<&MetricResult> = result.metrics().iter().filter(|m| !m.muted).collect();
        let inconclusive = unmuted.is_empty()
            || result.coverage() <= 0.0
            || unmuted
                .iter()
                .any(|m| m.classification == Classification::InsufficientData);
        let signal = CanarySignal {
            verdict,
            score: result.score(),
            coverage: result.coverage(),
            worst: result.worst().map(worst_of),
            inconclusive,
        };
        signal.validate()?;
        Ok(signal)
    }
}

fn worst_of(m: &MetricResult) -> WorstMetric {
    let Some(r) = m.reason() else {
        return WorstMetric {
            name: m.name.clone(),
            effect: None,
            lower: None,
            upper: None,
            relative: false,
            sentence: m.sentence().to_owned(),
        };
    };
    let ratio = r.effect.kind.is_ratio();
    let scale = r.scale.filter(|s| *s > 0.0 && s.is_finite());
    let relative = ratio || scale.is_some();
    let rel = |x: f64| match (ratio, scale) {
        (true, _) => x - 1.0,
        (false, Some(s)) => x / s,
        _ => x,
    };
    let (effect, lower, upper) = (
        rel(r.effect.estimate),
        r.effect.lower.map(rel),
        r.effect.upper.map(rel),
    );
    let fmt = |x: f64| {
        if relative {
            percent(x)
        } else {
            format!("{x:+.3}")
        }
    };
    let mut sentence = format!("{} {}", m.name, fmt(effect));
    if let (Some(l), Some(u)) = (lower, upper) {
        sentence.push_str(&format!(" [{}, {}]", fmt(l), fmt(u)));
    }
    WorstMetric {
        name: m.name.clone(),
        effect: Some(effect),
        lower,
        upper,
        relative,
        sentence,
    }
}

/// Sequential (anytime-valid) evidence about a regression.
///
/// `p_value` is the always-valid p-value of the hypothesis "the canary is no worse than the
/// baseline"; the test *stopped early* (rejected: a regression) exactly when `p_value < alpha`.
/// `complete` says whether the test ran its planned horizon; a test stopped before its horizon
/// without rejecting is inconclusive and never gives `Proceed`.
///
/// Evidence order: a higher `p_value`, and `complete == true` rather than `false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequentialSignal {
    /// The always-valid p-value, in `[0, 1]`.
    pub p_value: f64,
    /// The e-value it came from, when it came from one (`p = min(1, 1 / e)`; may be infinite).
    #[serde(
        with = "crate::serde_float::nonfinite_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub e_value: Option<f64>,
    /// The test's level.
    pub alpha: f64,
    /// Whether the test ran its planned horizon.
    pub complete: bool,
    /// Number of looks taken.
    #[serde(default)]
    pub looks: u64,
}

impl SequentialSignal {
    /// From an always-valid p-value at level `alpha`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `p_value` is not in `[0, 1]` or `alpha` not in `(0, 1)`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::SequentialSignal;
    /// let s = SequentialSignal::from_p_value(0.003, 0.05)?;
    /// assert!(s.stopped_early());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn from_p_value(p_value: f64, alpha: f64) -> Result<SequentialSignal> {
        if !(0.0..=1.0).contains(&p_value) {
            return Err(Error::param(
                "sequential.p_value",
                p_value,
                "must be in [0, 1]",
            ));
        }
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(Error::param("sequential.alpha", alpha, "must be in (0, 1)"));
        }
        Ok(SequentialSignal {
            p_value,
            e_value: None,
            alpha,
            complete: true,
            looks: 0,
        })
    }

    /// From an e-value (`p = min(1, 1 / e)`) at level `alpha`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `e_value` is negative or NaN, or `alpha` not in `(0, 1)`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::SequentialSignal;
    /// let s = SequentialSignal::from_e_value(4.0, 0.05)?;
    /// assert_eq!(s.p_value, 0.25);
    /// assert!(!s.stopped_early());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn from_e_value(e_value: f64, alpha: f64) -> Result<SequentialSignal> {
        if e_value.is_nan() || e_value < 0.0 {
            return Err(Error::param("sequential.e_value", e_value, "must be >= 0"));
        }
        let p = if e_value <= 1.0 { 1.0 } else { 1.0 / e_value };
        let mut s = SequentialSignal::from_p_value(p, alpha)?;
        s.e_value = Some(e_value);
        Ok(s)
    }

    /// From a [`MonitorLook`] (Bonferroni-combined p-value of several tests).
    ///
    /// # Errors
    /// As [`SequentialSignal::from_p_value`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::SequentialSignal;
    /// use canary_analysis::stats::sequential::{CountMixture, CountMixtureOptions};
    /// let mut t = CountMixture::new(CountMixtureOptions::new())?;
    /// t.observe_baseline(3)?;
    /// t.observe_canary(4)?;
    /// let s = SequentialSignal::from_count_look(&t.look()?, 0.05)?;
    /// assert!(!s.stopped_early());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn from_monitor_look(look: &MonitorLook, alpha: f64) -> Result<SequentialSignal> {
        Ok(SequentialSignal::from_p_value(look.p_value, alpha)?.looks(look.look))
    }

    /// From a counts test's look.
    ///
    /// # Errors
    /// As [`SequentialSignal::from_p_value`].
    ///
    /// # Example
    /// See [`SequentialSignal::from_monitor_look`].
    pub fn from_count_look(look: &CountLook, alpha: f64) -> Result<SequentialSignal> {
        let mut s = SequentialSignal::from_p_value(look.p_value, alpha)?.looks(look.look);
        s.e_value = Some(look.log_e.exp());
        Ok(s)
    }

    /// From a DKW test's look.
    ///
    /// # Errors
    /// As [`SequentialSignal::from_p_value`].
    ///
    /// # Example
    /// See [`SequentialSignal::from_monitor_look`].
    pub fn from_dkw_look(look: &DkwLook, alpha: f64) -> Result<SequentialSignal> {
        Ok(SequentialSignal::from_p_value(look.p_value, alpha)?.looks(look.look))
    }

    /// From an mSPRT look.
    ///
    /// # Errors
    /// As [`SequentialSignal::from_p_value`].
    ///
    /// # Example
    /// See [`SequentialSignal::from_monitor_look`].
    pub fn from_msprt_look(look: &MsprtLook, alpha: f64) -> Result<SequentialSignal> {
        Ok(SequentialSignal::from_p_value(look.p_value, alpha)?.looks(look.look))
    }

    /// Sets whether the test ran its planned horizon (default `true`).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::SequentialSignal;
    /// let s = SequentialSignal::from_p_value(0.6, 0.05)?.complete(false);
    /// assert!(!s.complete);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn complete(mut self, complete: bool) -> SequentialSignal {
        self.complete = complete;
        self
    }

    /// Sets the number of looks taken.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::SequentialSignal;
    /// assert_eq!(SequentialSignal::from_p_value(0.6, 0.05)?.looks(12).looks, 12);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn looks(mut self, looks: u64) -> SequentialSignal {
        self.looks = looks;
        self
    }

    /// Whether the test rejected (found a regression) and so stopped early: `p_value < alpha`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::SequentialSignal;
    /// assert!(!SequentialSignal::from_p_value(0.05, 0.05)?.stopped_early());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn stopped_early(&self) -> bool {
        self.p_value < self.alpha
    }

    pub(crate) fn validate(&self) -> Result<()> {
        SequentialSignal::from_p_value(self.p_value, self.alpha).map(|_| ())
    }
}

/// A compliance check's status. Evidence order: `Fail < Unknown < Pass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// The check failed.
    Fail,
    /// The check did not report, or reported that it could not decide.
    Unknown,
    /// The check passed.
    Pass,
}

/// One compliance check's result (security scan, change approval, test suite, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceCheck {
    /// The check's name.
    pub name: String,
    /// Its status.
    pub status: CheckStatus,
    /// A hard gate: `Fail` blocks and `Unknown` caps the decision at `Review`, whatever the
    /// weights say.
    #[serde(default)]
    pub hard_gate: bool,
}

impl ComplianceCheck {
    /// A check that is not a hard gate.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{CheckStatus, ComplianceCheck};
    /// let c = ComplianceCheck::new("unit tests", CheckStatus::Pass);
    /// assert!(!c.hard_gate);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(name: &str, status: CheckStatus) -> ComplianceCheck {
        ComplianceCheck {
            name: name.to_owned(),
            status,
            hard_gate: false,
        }
    }

    /// A check that is a hard gate.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{CheckStatus, ComplianceCheck};
    /// assert!(ComplianceCheck::gate("change approval", CheckStatus::Fail).hard_gate);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn gate(name: &str, status: CheckStatus) -> ComplianceCheck {
        ComplianceCheck {
            hard_gate: true,
            ..ComplianceCheck::new(name, status)
        }
    }
}

/// What kind of change it is. Its risk is a policy option
/// ([`ConfidenceOptions::kind_risk`](super::ConfidenceOptions::kind_risk)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A configuration or feature-flag change.
    Config,
    /// An application code change.
    Code,
    /// A dependency (library, base image) upgrade.
    Dependency,
    /// Infrastructure (instance types, network, platform).
    Infrastructure,
    /// A data or schema migration.
    Schema,
}

impl ChangeKind {
    /// All kinds, in declaration order.
    pub const ALL: [ChangeKind; 5] = [
        ChangeKind::Config,
        ChangeKind::Code,
        ChangeKind::Dependency,
        ChangeKind::Infrastructure,
        ChangeKind::Schema,
    ];

    /// The snake-case name.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ChangeKind;
    /// assert_eq!(ChangeKind::Infrastructure.as_str(), "infrastructure");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Config => "config",
            ChangeKind::Code => "code",
            ChangeKind::Dependency => "dependency",
            ChangeKind::Infrastructure => "infrastructure",
            ChangeKind::Schema => "schema",
        }
    }
}

/// The change's risk.
///
/// Evidence order: a smaller `size`, a smaller `blast_radius`, a kind of smaller policy risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskSignal {
    /// Size of the change (lines changed, or any count the host uses consistently with
    /// [`ConfidenceOptions::size_half_risk`](super::ConfidenceOptions::size_half_risk)).
    pub size: u64,
    /// The kind of change.
    pub kind: ChangeKind,
    /// The share of traffic or of the fleet the change exposes, in `[0, 1]`.
    pub blast_radius: f64,
}

impl RiskSignal {
    /// A risk signal.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `blast_radius` is not in `[0, 1]`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{ChangeKind, RiskSignal};
    /// let r = RiskSignal::new(120, ChangeKind::Code, 0.05)?;
    /// assert_eq!(r.kind, ChangeKind::Code);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(size: u64, kind: ChangeKind, blast_radius: f64) -> Result<RiskSignal> {
        let r = RiskSignal {
            size,
            kind,
            blast_radius,
        };
        r.validate()?;
        Ok(r)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.blast_radius) {
            return Err(Error::param(
                "risk.blast_radius",
                self.blast_radius,
                "must be in [0, 1]",
            ));
        }
        Ok(())
    }
}

/// Outcomes of earlier changes: how many succeeded and how many failed (rolled back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outcomes {
    /// Succeeded.
    pub succeeded: u64,
    /// Failed (rolled back, caused an incident).
    pub failed: u64,
}

impl Outcomes {
    /// `succeeded` successes and `failed` failures.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::Outcomes;
    /// assert_eq!(Outcomes::new(29, 2).total(), 31);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(succeeded: u64, failed: u64) -> Outcomes {
        Outcomes { succeeded, failed }
    }

    /// `succeeded + failed` (saturating).
    ///
    /// # Example
    /// See [`Outcomes::new`].
    pub fn total(&self) -> u64 {
        self.succeeded.saturating_add(self.failed)
    }
}

/// The track record: this campaign's earlier targets and similar past changes.
///
/// Read as a Beta posterior on the failure rate (see
/// [`ConfidenceOptions::track_record_prior`](super::ConfidenceOptions::track_record_prior)).
/// Evidence order: fewer failures and more successes, in either part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TrackRecord {
    /// Earlier targets of this campaign.
    pub campaign: Outcomes,
    /// Similar past changes (same service, same kind, same author, ...), as the host defines.
    pub similar: Outcomes,
}

impl TrackRecord {
    /// A track record.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{Outcomes, TrackRecord};
    /// let t = TrackRecord::new(Outcomes::new(29, 2), Outcomes::new(40, 1));
    /// assert_eq!(t.campaign.failed, 2);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(campaign: Outcomes, similar: Outcomes) -> TrackRecord {
        TrackRecord { campaign, similar }
    }
}

/// A host-defined signal's value. Evidence order: `Fail < Score(0) <= Score(x) <= Score(1) =
/// Pass`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum HostValue {
    /// A score in `[0, 1]` (1 = best).
    Score(f64),
    /// Passed (scored 1).
    Pass,
    /// Failed (scored 0; blocks when the policy declares the signal critical).
    Fail,
}

/// A host-defined signal: a name and a value. Its weight, and whether it is required or
/// critical, are declared in the policy
/// ([`ConfidenceOptions::host_signal`](super::ConfidenceOptions::host_signal)): the weight must
/// be known when the signal is absent, or missing evidence could raise confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostSignal {
    /// The name, as declared in the policy.
    pub name: String,
    /// The value.
    pub value: HostValue,
}

impl HostSignal {
    /// A host signal.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a score is not in `[0, 1]`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{HostSignal, HostValue};
    /// let s = HostSignal::new("load test", HostValue::Score(0.9))?;
    /// assert_eq!(s.name, "load test");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(name: &str, value: HostValue) -> Result<HostSignal> {
        let s = HostSignal {
            name: name.to_owned(),
            value,
        };
        s.validate()?;
        Ok(s)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if let HostValue::Score(v) = self.value
            && !(0.0..=1.0).contains(&v)
        {
            return Err(Error::param(
                &format!("host.{}", self.name),
                v,
                "a score must be in [0, 1]",
            ));
        }
        Ok(())
    }

    /// The value as a number: `Pass` is 1, `Fail` 0.
    pub(crate) fn score(&self) -> f64 {
        match self.value {
            HostValue::Score(v) => v,
            HostValue::Pass => 1.0,
            HostValue::Fail => 0.0,
        }
    }
}

/// All the evidence about one change (one target of a campaign). Every part may be absent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Signals {
    /// The canary judgement.
    #[serde(default)]
    pub canary: Option<CanarySignal>,
    /// Sequential evidence.
    #[serde(default)]
    pub sequential: Option<SequentialSignal>,
    /// Compliance checks (an empty list is an absent compliance signal).
    #[serde(default)]
    pub compliance: Vec<ComplianceCheck>,
    /// The change's risk.
    #[serde(default)]
    pub risk: Option<RiskSignal>,
    /// The track record.
    #[serde(default)]
    pub track_record: Option<TrackRecord>,
    /// Host-defined signals.
    #[serde(default)]
    pub host: Vec<HostSignal>,
}

impl Signals {
    /// No evidence at all.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::Signals;
    /// assert!(Signals::new().canary.is_none());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Signals {
        Signals::default()
    }

    /// Sets the canary judgement.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{CanarySignal, CanaryVerdict, Signals};
    /// let s = Signals::new().canary(CanarySignal::new(CanaryVerdict::Pass, 100.0, 1.0)?);
    /// assert!(s.canary.is_some());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn canary(mut self, canary: CanarySignal) -> Signals {
        self.canary = Some(canary);
        self
    }

    /// Sets the sequential evidence.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{SequentialSignal, Signals};
    /// let s = Signals::new().sequential(SequentialSignal::from_p_value(0.8, 0.05)?);
    /// assert!(s.sequential.is_some());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn sequential(mut self, sequential: SequentialSignal) -> Signals {
        self.sequential = Some(sequential);
        self
    }

    /// Adds compliance checks.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{CheckStatus, ComplianceCheck, Signals};
    /// let s = Signals::new().compliance([ComplianceCheck::new("lint", CheckStatus::Pass)]);
    /// assert_eq!(s.compliance.len(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn compliance(mut self, checks: impl IntoIterator<Item = ComplianceCheck>) -> Signals {
        self.compliance.extend(checks);
        self
    }

    /// Sets the change's risk.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{ChangeKind, RiskSignal, Signals};
    /// let s = Signals::new().risk(RiskSignal::new(10, ChangeKind::Config, 0.01)?);
    /// assert!(s.risk.is_some());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn risk(mut self, risk: RiskSignal) -> Signals {
        self.risk = Some(risk);
        self
    }

    /// Sets the track record.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{Outcomes, Signals, TrackRecord};
    /// let s = Signals::new().track_record(TrackRecord::new(Outcomes::new(5, 0), Outcomes::default()));
    /// assert!(s.track_record.is_some());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn track_record(mut self, track_record: TrackRecord) -> Signals {
        self.track_record = Some(track_record);
        self
    }

    /// Adds a host-defined signal.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{HostSignal, HostValue, Signals};
    /// let s = Signals::new().host(HostSignal::new("load test", HostValue::Pass)?);
    /// assert_eq!(s.host.len(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn host(mut self, signal: HostSignal) -> Signals {
        self.host.push(signal);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_formats_signed_and_trimmed() {
        assert_eq!(percent(0.12), "+12%");
        assert_eq!(percent(-0.035), "-3.5%");
        assert_eq!(percent(0.04), "+4%");
        assert_eq!(percent(0.0025), "+0.25%");
        assert_eq!(percent(0.0), "+0%");
    }
}
