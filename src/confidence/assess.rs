//! Aggregation: signals and a policy in, confidence, decision, breakdown and sentence out.
//!
//! The definitions are in the [module docs](super); this file implements them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta, ContinuousCDF};

use super::signal::{
    CanarySignal, CanaryVerdict, ChangeKind, CheckStatus, HostValue, RiskSignal, Signals,
    TrackRecord,
};
use crate::error::{Error, Result};

/// The decision. Ordered `Block < Review < Proceed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Do not proceed; a human must intervene (roll back, fix).
    Block,
    /// A human decides.
    Review,
    /// Proceed without a human.
    Proceed,
}

impl Decision {
    /// `"proceed"`, `"review"` or `"block"`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::Decision;
    /// assert_eq!(Decision::Review.as_str(), "review");
    /// assert!(Decision::Block < Decision::Review && Decision::Review < Decision::Proceed);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Block => "block",
            Decision::Review => "review",
            Decision::Proceed => "proceed",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which signal a contribution or a gate is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// The canary judgement.
    Canary,
    /// Sequential evidence.
    Sequential,
    /// Compliance checks.
    Compliance,
    /// The change's risk.
    Risk,
    /// The track record.
    TrackRecord,
    /// A host-defined signal, by name.
    Host(String),
}

impl SignalKind {
    /// The built-in kinds (every kind but [`SignalKind::Host`]).
    pub const BUILT_IN: [SignalKind; 5] = [
        SignalKind::Canary,
        SignalKind::Sequential,
        SignalKind::Compliance,
        SignalKind::Risk,
        SignalKind::TrackRecord,
    ];

    /// A short name: `canary`, `sequential`, `compliance`, `risk`, `track record`, or the
    /// host signal's name.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::SignalKind;
    /// assert_eq!(SignalKind::TrackRecord.name(), "track record");
    /// assert_eq!(SignalKind::Host("load test".into()).name(), "load test");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        match self {
            SignalKind::Canary => "canary",
            SignalKind::Sequential => "sequential",
            SignalKind::Compliance => "compliance",
            SignalKind::Risk => "risk",
            SignalKind::TrackRecord => "track record",
            SignalKind::Host(n) => n,
        }
    }
}

/// A host signal's declaration in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HostSpec {
    /// Its weight (>= 0).
    pub weight: f64,
    /// Whether a `Fail` blocks.
    pub critical: bool,
}

/// The policy: weights, required signals, gates and thresholds (jiff-style options).
///
/// Validated when used ([`assess`] returns [`Error::InvalidParameter`] or [`Error::Config`]).
/// Defaults: weights canary 0.45, sequential 0.10, compliance 0.20, risk 0.10, track record
/// 0.15; the canary is required; proceed at confidence >= 0.80, never block on confidence alone
/// (`block_below` 0); a failed canary and a rejecting sequential test block; a marginal canary
/// reviews; a canary coverage below 0.9 reviews; a blast radius above 0.5 reviews; kind risks
/// config 0.05, code 0.15, dependency 0.20, infrastructure 0.30, schema 0.40; size half-risk
/// 400; track-record prior Beta(1, 19), similar changes counted at weight 0.5, tolerable
/// failure rate 0.10.
///
/// # Example
/// ```
/// use canary_analysis::confidence::{ConfidenceOptions, SignalKind};
/// let opts = ConfidenceOptions::new()
///     .weight(SignalKind::Sequential, 0.0)
///     .require(SignalKind::Compliance)
///     .proceed_threshold(0.85);
/// assert_eq!(opts.get_proceed_threshold(), 0.85);
/// assert_eq!(opts.get_weight(&SignalKind::Sequential), Some(0.0));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceOptions {
    weights: BTreeMap<SignalKind, f64>,
    hosts: BTreeMap<String, HostSpec>,
    required: BTreeSet<SignalKind>,
    required_checks: BTreeSet<String>,
    proceed_threshold: f64,
    block_below: f64,
    canary_fail_blocks: bool,
    canary_marginal_reviews: bool,
    min_canary_coverage: f64,
    sequential_reject_blocks: bool,
    max_blast_radius: f64,
    kind_risk: BTreeMap<ChangeKind, f64>,
    size_half_risk: f64,
    prior: (f64, f64),
    similar_weight: f64,
    max_failure_rate: f64,
}

impl Default for ConfidenceOptions {
    fn default() -> Self {
        let weights = [
            (SignalKind::Canary, 0.45),
            (SignalKind::Sequential, 0.10),
            (SignalKind::Compliance, 0.20),
            (SignalKind::Risk, 0.10),
            (SignalKind::TrackRecord, 0.15),
        ]
        .into_iter()
        .collect();
        let kind_risk = [
            (ChangeKind::Config, 0.05),
            (ChangeKind::Code, 0.15),
            (ChangeKind::Dependency, 0.20),
            (ChangeKind::Infrastructure, 0.30),
            (ChangeKind::Schema, 0.40),
        ]
        .into_iter()
        .collect();
        ConfidenceOptions {
            weights,
            hosts: BTreeMap::new(),
            required: [SignalKind::Canary].into_iter().collect(),
            required_checks: BTreeSet::new(),
            proceed_threshold: 0.80,
            block_below: 0.0,
            canary_fail_blocks: true,
            canary_marginal_reviews: true,
            min_canary_coverage: 0.9,
            sequential_reject_blocks: true,
            max_blast_radius: 0.5,
            kind_risk,
            size_half_risk: 400.0,
            prior: (1.0, 19.0),
            similar_weight: 0.5,
            max_failure_rate: 0.10,
        }
    }
}

impl ConfidenceOptions {
    /// The defaults (see the type's docs).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// assert_eq!(ConfidenceOptions::new().get_proceed_threshold(), 0.8);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a built-in signal's weight (>= 0; set 0 for a signal you never provide). For a
    /// host signal, declares it (not critical) with that weight.
    ///
    /// # Example
    /// See [`ConfidenceOptions`].
    pub fn weight(mut self, kind: SignalKind, weight: f64) -> Self {
        match kind {
            SignalKind::Host(name) => {
                let critical = self.hosts.get(&name).is_some_and(|h| h.critical);
                self.hosts.insert(name, HostSpec { weight, critical });
            }
            k => {
                self.weights.insert(k, weight);
            }
        }
        self
    }

    /// Declares a host signal with its weight and whether a `Fail` blocks.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{ConfidenceOptions, SignalKind};
    /// let opts = ConfidenceOptions::new().host_signal("load test", 0.2, true);
    /// assert_eq!(opts.get_weight(&SignalKind::Host("load test".into())), Some(0.2));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn host_signal(mut self, name: &str, weight: f64, critical: bool) -> Self {
        self.hosts
            .insert(name.to_owned(), HostSpec { weight, critical });
        self
    }

    /// Makes a signal required: when it is absent the decision is at most `Review`.
    ///
    /// # Example
    /// See [`ConfidenceOptions`].
    pub fn require(mut self, kind: SignalKind) -> Self {
        self.required.insert(kind);
        self
    }

    /// Makes a signal optional (absent, it still scores 0).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{ConfidenceOptions, SignalKind};
    /// let opts = ConfidenceOptions::new().optional(SignalKind::Canary);
    /// assert!(!opts.is_required(&SignalKind::Canary));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn optional(mut self, kind: SignalKind) -> Self {
        self.required.remove(&kind);
        self
    }

    /// Requires a compliance check by name: when no check of that name is present it counts as
    /// `Unknown`, in the compliance score's denominator, and caps the decision at `Review`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().require_check("change approval");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn require_check(mut self, name: &str) -> Self {
        self.required_checks.insert(name.to_owned());
        self
    }

    /// Confidence at or above which the decision may be `Proceed` (in `[0, 1]`; default 0.8).
    /// [`calibrate`](super::calibrate) chooses it from history.
    ///
    /// # Example
    /// See [`ConfidenceOptions`].
    pub fn proceed_threshold(mut self, threshold: f64) -> Self {
        self.proceed_threshold = threshold;
        self
    }

    /// Confidence below which the decision is `Block` (in `[0, proceed_threshold]`; default 0:
    /// never on confidence alone).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// assert_eq!(ConfidenceOptions::new().block_below(0.3).get_block_below(), 0.3);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn block_below(mut self, threshold: f64) -> Self {
        self.block_below = threshold;
        self
    }

    /// Whether a `Fail` canary verdict blocks (default true).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().canary_fail_blocks(false);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn canary_fail_blocks(mut self, blocks: bool) -> Self {
        self.canary_fail_blocks = blocks;
        self
    }

    /// Whether a `Marginal` canary verdict caps the decision at `Review` (default true).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().canary_marginal_reviews(false);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn canary_marginal_reviews(mut self, reviews: bool) -> Self {
        self.canary_marginal_reviews = reviews;
        self
    }

    /// Canary coverage below which the judgement counts as inconclusive (in `[0, 1]`; default
    /// 0.9).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().min_canary_coverage(1.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn min_canary_coverage(mut self, coverage: f64) -> Self {
        self.min_canary_coverage = coverage;
        self
    }

    /// Whether a sequential test that rejected (stopped early on a regression) blocks (default
    /// true).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().sequential_reject_blocks(false);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn sequential_reject_blocks(mut self, blocks: bool) -> Self {
        self.sequential_reject_blocks = blocks;
        self
    }

    /// Blast radius above which the decision is at most `Review` (in `[0, 1]`; default 0.5; 1
    /// turns the gate off).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().max_blast_radius(0.25);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn max_blast_radius(mut self, share: f64) -> Self {
        self.max_blast_radius = share;
        self
    }

    /// The risk of a kind of change, in `[0, 1)`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{ChangeKind, ConfidenceOptions};
    /// let opts = ConfidenceOptions::new().kind_risk(ChangeKind::Schema, 0.6);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn kind_risk(mut self, kind: ChangeKind, risk: f64) -> Self {
        self.kind_risk.insert(kind, risk);
        self
    }

    /// The change size whose size risk is 1/2 (> 0; default 400): size risk is
    /// `size / (size + half)`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().size_half_risk(1000.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn size_half_risk(mut self, half: f64) -> Self {
        self.size_half_risk = half;
        self
    }

    /// The Beta(a, b) prior on the failure rate (a, b > 0; default Beta(1, 19), mean 5%).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().track_record_prior(0.5, 9.5);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn track_record_prior(mut self, a: f64, b: f64) -> Self {
        self.prior = (a, b);
        self
    }

    /// How much one similar past change counts relative to one of this campaign's targets (in
    /// `[0, 1]`; default 0.5).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().similar_weight(0.25);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn similar_weight(mut self, weight: f64) -> Self {
        self.similar_weight = weight;
        self
    }

    /// The tolerable failure rate `r` (in `(0, 1)`; default 0.10): the track record scores
    /// `P(rate <= r)` under its posterior, and a posterior mean above `r` caps the decision at
    /// `Review`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let opts = ConfidenceOptions::new().max_failure_rate(0.05);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn max_failure_rate(mut self, rate: f64) -> Self {
        self.max_failure_rate = rate;
        self
    }

    /// The proceed threshold.
    ///
    /// # Example
    /// See [`ConfidenceOptions`].
    pub fn get_proceed_threshold(&self) -> f64 {
        self.proceed_threshold
    }

    /// The block threshold.
    ///
    /// # Example
    /// See [`ConfidenceOptions::block_below`].
    pub fn get_block_below(&self) -> f64 {
        self.block_below
    }

    /// A signal's weight (`None` for an undeclared host signal).
    ///
    /// # Example
    /// See [`ConfidenceOptions`].
    pub fn get_weight(&self, kind: &SignalKind) -> Option<f64> {
        match kind {
            SignalKind::Host(n) => self.hosts.get(n).map(|h| h.weight),
            k => self.weights.get(k).copied(),
        }
    }

    /// Whether a signal is required.
    ///
    /// # Example
    /// See [`ConfidenceOptions::optional`].
    pub fn is_required(&self, kind: &SignalKind) -> bool {
        self.required.contains(kind)
    }

    /// Every weighted signal (built-in, then declared host signals by name) with its weight.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// let total: f64 = ConfidenceOptions::new().weights().iter().map(|(_, w)| w).sum();
    /// assert!((total - 1.0).abs() < 1e-12);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn weights(&self) -> Vec<(SignalKind, f64)> {
        let mut v: Vec<(SignalKind, f64)> = SignalKind::BUILT_IN
            .iter()
            .map(|k| (k.clone(), self.weights.get(k).copied().unwrap_or(0.0)))
            .collect();
        v.extend(
            self.hosts
                .iter()
                .map(|(n, h)| (SignalKind::Host(n.clone()), h.weight)),
        );
        v
    }

    /// Checks every option.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first option out of its domain;
    /// [`Error::Config`] when every weight is 0 or a required host signal is undeclared.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::ConfidenceOptions;
    /// assert!(ConfidenceOptions::new().proceed_threshold(1.5).validate().is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::param(name, v, "must be in [0, 1]"))
            }
        };
        let mut total = 0.0;
        for (k, w) in self.weights() {
            if !(w.is_finite() && w >= 0.0) {
                return Err(Error::param(
                    &format!("weight.{}", k.name()),
                    w,
                    "must be finite and >= 0",
                ));
            }
            total += w;
        }
        if total <= 0.0 {
            return Err(Error::Config {
                path: "confidence.weights".into(),
                reason: "every weight is 0".into(),
            });
        }
        for k in &self.required {
            if let SignalKind::Host(n) = k
                && !self.hosts.contains_key(n)
            {
                return Err(Error::Config {
                    path: format!("confidence.required.{n}"),
                    reason: "a required host signal must be declared with host_signal".into(),
                });
            }
        }
        unit("proceed_threshold", self.proceed_threshold)?;
        unit("block_below", self.block_below)?;
        if self.block_below > self.proceed_threshold {
            return Err(Error::param(
                "block_below",
                self.block_below,
                "must not exceed proceed_threshold",
            ));
        }
        unit("min_canary_coverage", self.min_canary_coverage)?;
        unit("max_blast_radius", self.max_blast_radius)?;
        unit("similar_weight", self.similar_weight)?;
        for (k, r) in &self.kind_risk {
            if !(0.0..1.0).contains(r) {
                return Err(Error::param(
                    &format!("kind_risk.{}", k.as_str()),
                    r,
                    "must be in [0, 1)",
                ));
            }
        }
        if !(self.size_half_risk.is_finite() && self.size_half_risk > 0.0) {
            return Err(Error::param(
                "size_half_risk",
                self.size_half_risk,
                "must be finite and > 0",
            ));
        }
        let (a, b) = self.prior;
        if !(a.is_finite() && a > 0.0 && b.is_finite() && b > 0.0) {
            return Err(Error::param(
                "track_record_prior",
                format!("Beta({a}, {b})"),
                "a and b must be finite and > 0",
            ));
        }
        if !(self.max_failure_rate > 0.0 && self.max_failure_rate < 1.0) {
            return Err(Error::param(
                "max_failure_rate",
                self.max_failure_rate,
                "must be in (0, 1)",
            ));
        }
        Ok(())
    }

    fn risk_of(&self, kind: ChangeKind) -> f64 {
        self.kind_risk.get(&kind).copied().unwrap_or(0.0)
    }
}

/// One signal's part of the confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Which signal.
    pub signal: SignalKind,
    /// Whether it was present.
    pub present: bool,
    /// Whether the policy requires it.
    pub required: bool,
    /// Its value in `[0, 1]` (0 when absent).
    pub value: f64,
    /// Its weight in the policy.
    pub weight: f64,
    /// `weight * value / total weight`: the confidence is the sum of the contributions.
    pub contribution: f64,
}

/// Whether a gate blocks or caps the decision at review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum GateEffect {
    /// The decision is `Block`.
    Block,
    /// The decision is at most `Review`.
    Review,
}

impl GateEffect {
    fn decision(self) -> Decision {
        match self {
            GateEffect::Block => Decision::Block,
            GateEffect::Review => Decision::Review,
        }
    }
}

/// Why a gate fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum GateReason {
    /// A required signal (or a required compliance check) is absent.
    Missing,
    /// A signal failed (canary `Fail`, a hard-gate check `Fail`, a critical host signal `Fail`).
    Failed,
    /// The sequential test rejected: it found a regression and stopped early.
    Rejected,
    /// The evidence is inconclusive (canary with insufficient data or low coverage, a hard-gate
    /// check `Unknown`, a sequential test stopped before its horizon).
    Inconclusive,
    /// The canary verdict is `Marginal`.
    Marginal,
    /// The blast radius is above the policy's maximum.
    BlastRadius,
    /// The track record's posterior mean failure rate is above the tolerable rate.
    TrackRecord,
    /// The confidence is below the proceed (or block) threshold.
    Threshold,
}

/// A gate that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// The signal it is about (`None` for the confidence thresholds).
    pub signal: Option<SignalKind>,
    /// Why.
    pub reason: GateReason,
    /// What it does.
    pub effect: GateEffect,
    /// A plain description, e.g. `canary Marginal (p99 latency +12% [+4%, +20%])`.
    pub detail: String,
}

/// The confidence metric's answer for one change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The weighted confidence in `[0, 1]` (the sum of the contributions).
    pub confidence: f64,
    /// The decision.
    pub decision: Decision,
    /// The best decision the gates allow, thresholds aside (`Proceed` when no gate fired):
    /// `decision = min(ceiling, threshold decision)`.
    pub ceiling: Decision,
    /// Each weighted signal's contribution, built-in signals first, then host signals by name.
    pub contributions: Vec<Contribution>,
    /// The gates that fired, blocking gates first.
    pub gates: Vec<Gate>,
    /// The proceed threshold used.
    pub proceed_threshold: f64,
    /// A plain sentence: `review: canary Marginal (p99 latency +12% [+4%, +20%]) and 2 of 31
    /// earlier targets rolled back`.
    pub sentence: String,
}

/// Per-signal values, the weighted sum and the gates, before the thresholds.
pub(crate) struct Evaluation {
    pub(crate) values: Vec<(SignalKind, bool, f64)>,
    pub(crate) gates: Vec<Gate>,
    pub(crate) notes: Vec<String>,
}

/// Assesses one change: its confidence, decision, breakdown and sentence.
///
/// # Errors
/// [`Error::InvalidParameter`] for an option or a signal value out of its domain;
/// [`Error::Config`] for a host signal the policy does not declare, a host signal given twice,
/// or weights that are all 0.
///
/// # Example
/// ```
/// use canary_analysis::confidence::*;
/// let signals = Signals::new()
///     .canary(
///         CanarySignal::new(CanaryVerdict::Marginal, 82.0, 1.0)?
///             .worst(WorstMetric::relative("p99 latency", 0.12, 0.04, 0.20)),
///     )
///     .compliance([ComplianceCheck::gate("change approval", CheckStatus::Pass)])
///     .track_record(TrackRecord::new(Outcomes::new(29, 2), Outcomes::default()));
/// let a = assess(&signals, &ConfidenceOptions::new())?;
/// assert_eq!(a.decision, Decision::Review);
/// assert_eq!(
///     a.sentence,
///     "review: canary Marginal (p99 latency +12% [+4%, +20%]) and 2 of 31 earlier targets rolled back"
/// );
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn assess(signals: &Signals, opts: &ConfidenceOptions) -> Result<Assessment> {
    opts.validate()?;
    let eval = evaluate(signals, opts)?;
    Ok(finish(eval, opts))
}

pub(crate) fn finish(eval: Evaluation, opts: &ConfidenceOptions) -> Assessment {
    let weights = opts.weights();
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    let mut contributions = Vec::with_capacity(weights.len());
    let mut confidence = 0.0;
    for ((kind, weight), (_, present, value)) in weights.into_iter().zip(eval.values) {
        let contribution = weight * value / total;
        confidence += contribution;
        contributions.push(Contribution {
            required: opts.is_required(&kind),
            signal: kind,
            present,
            value,
            weight,
            contribution,
        });
    }
    // Rounding can push a sum of shares of 1 just past 1.
    let confidence = confidence.clamp(0.0, 1.0);
    let mut gates = eval.gates;
    let ceiling = gates
        .iter()
        .map(|g| g.effect.decision())
        .min()
        .unwrap_or(Decision::Proceed);
    if confidence < opts.block_below {
        gates.push(Gate {
            signal: None,
            reason: GateReason::Threshold,
            effect: GateEffect::Block,
            detail: format!(
                "confidence {confidence:.2} below the block threshold {:.2}",
                opts.block_below
            ),
        });
    } else if confidence < opts.proceed_threshold {
        gates.push(Gate {
            signal: None,
            reason: GateReason::Threshold,
            effect: GateEffect::Review,
            detail: format!(
                "confidence {confidence:.2} below the proceed threshold {:.2}",
                opts.proceed_threshold
            ),
        });
    }
    let threshold_decision = if confidence < opts.block_below {
        Decision::Block
    } else if confidence < opts.proceed_threshold {
        Decision::Review
    } else {
        Decision::Proceed
    };
    let decision = ceiling.min(threshold_decision);
    // Blocking gates first, each group in evaluation order.
    gates.sort_by_key(|g| g.effect != GateEffect::Block);
    let sentence = sentence(decision, confidence, &gates, &eval.notes, opts);
    Assessment {
        confidence,
        decision,
        ceiling,
        contributions,
        gates,
        proceed_threshold: opts.proceed_threshold,
        sentence,
    }
}

fn sentence(
    decision: Decision,
    confidence: f64,
    gates: &[Gate],
    notes: &[String],
    opts: &ConfidenceOptions,
) -> String {
    let mut parts: Vec<String> = match decision {
        Decision::Proceed => vec![format!(
            "confidence {confidence:.2} at or above {:.2}",
            opts.proceed_threshold
        )],
        _ => {
            let at_level: Vec<&Gate> = gates
                .iter()
                .filter(|g| g.effect.decision() == decision)
                .collect();
            // The threshold is named only when no other gate explains the decision.
            let explained = at_level.iter().any(|g| g.reason != GateReason::Threshold);
            at_level
                .into_iter()
                .filter(|g| !(explained && g.reason == GateReason::Threshold))
                .map(|g| g.detail.clone())
                .collect()
        }
    };
    if decision != Decision::Proceed {
        for n in notes {
            if !parts.contains(n) {
                parts.push(n.clone());
            }
        }
    }
    format!("{decision}: {}", join_and(&parts))
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The canary's description for gates: `canary Marginal (p99 latency +12% [+4%, +20%])`.
fn canary_detail(c: &CanarySignal) -> String {
    match &c.worst {
        Some(w) => format!("canary {} ({})", c.verdict.as_str(), w.sentence),
        None => format!("canary {} (score {:.0})", c.verdict.as_str(), c.score),
    }
}

/// The track record's posterior: Beta(a0 + f_c + l f_s, b0 + s_c + l s_s).
pub(crate) fn posterior(t: &TrackRecord, opts: &ConfidenceOptions) -> (f64, f64) {
    let l = opts.similar_weight;
    let (a0, b0) = opts.prior;
    (
        a0 + t.campaign.failed as f64 + l * t.similar.failed as f64,
        b0 + t.campaign.succeeded as f64 + l * t.similar.succeeded as f64,
    )
}

/// The risk value `(h / (size + h)) (1 - kind risk) (1 - blast radius)`.
pub(crate) fn risk_value(r: &RiskSignal, opts: &ConfidenceOptions) -> f64 {
    let h = opts.size_half_risk;
    (h / (r.size as f64 + h)) * (1.0 - opts.risk_of(r.kind)) * (1.0 - r.blast_radius)
}

pub(crate) fn evaluate(signals: &Signals, opts: &ConfidenceOptions) -> Result<Evaluation> {
    let mut gates = Vec::new();
    let mut notes = Vec::new();
    let mut values = Vec::new();
    let mut gate = |signal: &SignalKind, reason, effect, detail: String| {
        gates.push(Gate {
            signal: Some(signal.clone()),
            reason,
            effect,
            detail,
        })
    };
    let missing =
        |kind: &SignalKind, gate: &mut dyn FnMut(&SignalKind, GateReason, GateEffect, String)| {
            if opts.is_required(kind) {
                gate(
                    kind,
                    GateReason::Missing,
                    GateEffect::Review,
                    format!("no {} signal", kind.name()),
                );
            }
        };

    // Canary.
    let kind = SignalKind::Canary;
    let v = match &signals.canary {
        None => {
            missing(&kind, &mut gate);
            None
        }
        Some(c) => {
            c.validate()?;
            match c.verdict {
                CanaryVerdict::Fail if opts.canary_fail_blocks => gate(
                    &kind,
                    GateReason::Failed,
                    GateEffect::Block,
                    canary_detail(c),
                ),
                CanaryVerdict::Marginal if opts.canary_marginal_reviews => gate(
                    &kind,
                    GateReason::Marginal,
                    GateEffect::Review,
                    canary_detail(c),
                ),
                _ => {}
            }
            if c.inconclusive {
                gate(
                    &kind,
                    GateReason::Inconclusive,
                    GateEffect::Review,
                    "canary inconclusive (insufficient data)".into(),
                );
            } else if c.coverage < opts.min_canary_coverage {
                gate(
                    &kind,
                    GateReason::Inconclusive,
                    GateEffect::Review,
                    format!(
                        "canary coverage {:.0}% below {:.0}%",
                        100.0 * c.coverage,
                        100.0 * opts.min_canary_coverage
                    ),
                );
            }
            // A blocking signal scores 0, like an absent one (see the module docs' order).
            if c.verdict == CanaryVerdict::Fail && opts.canary_fail_blocks {
                Some(0.0)
            } else {
                Some(c.score / 100.0 * c.coverage)
            }
        }
    };
    values.push((kind, v.is_some(), v.unwrap_or(0.0)));

    // Sequential.
    let kind = SignalKind::Sequential;
    let v = match &signals.sequential {
        None => {
            missing(&kind, &mut gate);
            None
        }
        Some(s) => {
            s.validate()?;
            if s.stopped_early() {
                if opts.sequential_reject_blocks {
                    gate(
                        &kind,
                        GateReason::Rejected,
                        GateEffect::Block,
                        format!(
                            "sequential test found a regression (p {} < {})",
                            short(s.p_value),
                            s.alpha
                        ),
                    );
                }
            } else if !s.complete {
                gate(
                    &kind,
                    GateReason::Inconclusive,
                    GateEffect::Review,
                    "sequential test stopped before its horizon".into(),
                );
            }
            if s.stopped_early() && opts.sequential_reject_blocks {
                Some(0.0)
            } else {
                Some(s.p_value)
            }
        }
    };
    values.push((kind, v.is_some(), v.unwrap_or(0.0)));

    // Compliance: worst status per name, required names absent count as Unknown.
    let kind = SignalKind::Compliance;
    let mut checks: BTreeMap<&str, (CheckStatus, bool)> = BTreeMap::new();
    for c in &signals.compliance {
        let e = checks
            .entry(c.name.as_str())
            .or_insert((CheckStatus::Pass, false));
        e.0 = e.0.min(c.status);
        e.1 |= c.hard_gate;
    }
    let mut absent_required = 0usize;
    for name in &opts.required_checks {
        if !checks.contains_key(name.as_str()) {
            absent_required += 1;
            gate(
                &kind,
                GateReason::Missing,
                GateEffect::Review,
                format!("no {name} check"),
            );
        }
    }
    let v = if checks.is_empty() && absent_required == 0 {
        missing(&kind, &mut gate);
        None
    } else {
        let mut passed = 0usize;
        let mut blocked = false;
        for (name, (status, hard)) in &checks {
            match status {
                CheckStatus::Pass => passed += 1,
                CheckStatus::Fail if *hard => {
                    blocked = true;
                    gate(
                        &kind,
                        GateReason::Failed,
                        GateEffect::Block,
                        format!("{name} failed"),
                    )
                }
                CheckStatus::Unknown if *hard => gate(
                    &kind,
                    GateReason::Inconclusive,
                    GateEffect::Review,
                    format!("{name} unknown"),
                ),
                _ => {}
            }
        }
        let n = checks.len() + absent_required;
        if passed < n {
            notes.push(format!("{passed} of {n} checks passed"));
        }
        if blocked {
            Some(0.0)
        } else {
            Some(passed as f64 / n as f64)
        }
    };
    values.push((kind, v.is_some(), v.unwrap_or(0.0)));

    // Risk.
    let kind = SignalKind::Risk;
    let v = match &signals.risk {
        None => {
            missing(&kind, &mut gate);
            None
        }
        Some(r) => {
            r.validate()?;
            if r.blast_radius > opts.max_blast_radius {
                gate(
                    &kind,
                    GateReason::BlastRadius,
                    GateEffect::Review,
                    format!(
                        "blast radius {:.0}% above {:.0}%",
                        100.0 * r.blast_radius,
                        100.0 * opts.max_blast_radius
                    ),
                );
            }
            Some(risk_value(r, opts))
        }
    };
    values.push((kind, v.is_some(), v.unwrap_or(0.0)));

    // Track record.
    let kind = SignalKind::TrackRecord;
    let v = match &signals.track_record {
        None => {
            missing(&kind, &mut gate);
            None
        }
        Some(t) => {
            let (a, b) = posterior(t, opts);
            let beta = Beta::new(a, b).map_err(|e| {
                Error::param("track_record", format!("Beta({a}, {b})"), e.to_string())
            })?;
            let mean = a / (a + b);
            if t.campaign.failed > 0 {
                notes.push(format!(
                    "{} of {} earlier targets rolled back",
                    t.campaign.failed,
                    t.campaign.total()
                ));
            }
            if mean > opts.max_failure_rate {
                gate(
                    &kind,
                    GateReason::TrackRecord,
                    GateEffect::Review,
                    format!(
                        "track record failure rate {:.1}% above {:.1}%",
                        100.0 * mean,
                        100.0 * opts.max_failure_rate
                    ),
                );
            }
            Some(beta.cdf(opts.max_failure_rate).clamp(0.0, 1.0))
        }
    };
    values.push((kind, v.is_some(), v.unwrap_or(0.0)));

    // Host signals: declared ones in name order; undeclared or duplicated ones are errors.
    let mut given: BTreeMap<&str, &super::signal::HostSignal> = BTreeMap::new();
    for s in &signals.host {
        s.validate()?;
        if !opts.hosts.contains_key(&s.name) {
            return Err(Error::Config {
                path: format!("signals.host.{}", crate::error::quote(&s.name)),
                reason: "host signal not declared in the policy (ConfidenceOptions::host_signal)"
                    .into(),
            });
        }
        if given.insert(s.name.as_str(), s).is_some() {
            return Err(Error::Config {
                path: format!("signals.host.{}", crate::error::quote(&s.name)),
                reason: "host signal given more than once".into(),
            });
        }
    }
    for (name, spec) in &opts.hosts {
        let kind = SignalKind::Host(name.clone());
        let v = match given.get(name.as_str()) {
            None => {
                missing(&kind, &mut gate);
                None
            }
            Some(s) => {
                if spec.critical && s.value == HostValue::Fail {
                    gate(
                        &kind,
                        GateReason::Failed,
                        GateEffect::Block,
                        format!("{name} failed"),
                    );
                }
                Some(s.score())
            }
        };
        values.push((kind, v.is_some(), v.unwrap_or(0.0)));
    }
    Ok(Evaluation {
        values,
        gates,
        notes,
    })
}

/// A p-value in short form (`0.003`, `1.2e-7`).
fn short(p: f64) -> String {
    if p >= 1e-3 || p == 0.0 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}
