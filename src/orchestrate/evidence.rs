//! Evidence: where the judge and the confidence metric enter the engine (one place each), and
//! the facts a target's pipeline has gathered.
//!
//! - The judge enters through [`Validator`]: metric pairs in, a [`Judgement`] out.
//!   Every [`Judge`] is one ([`DefaultJudge`], [`KayentaJudge`], `dyn Judge`).
//! - The confidence metric enters through [`ConfidenceModel`]: the crate's
//!   [`confidence::Signals`] in, a [`confidence::Assessment`] (`Proceed`, `Review` or `Block`)
//!   out; [`confidence::ConfidenceOptions`] implements it with [`confidence::assess`].
//!   [`Facts::signals`] is the one place the engine's evidence becomes signals.
//! - [`Facts`] is what the steps recorded; [`Facts::promotion_evidence`] is the one rule that
//!   decides whether the promote step may act.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::{ComplianceStatus, HumanDecision};
use crate::confidence::{
    self, CanarySignal, ComplianceCheck, ConfidenceOptions, Decision, SequentialSignal,
};
use crate::error::Result;
use crate::judge::{CanaryJudgeResult, DefaultJudge, Judge, KayentaJudge, Verdict};
use crate::metrics::MetricPair;

/// The typed summary of one judgement that the engine keeps as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// The canary verdict.
    pub verdict: Verdict,
    /// The score, 0-100.
    pub score: f64,
    /// The share of the metrics' weight that could be judged, 0-1.
    pub coverage: f64,
    /// The judge's plain-sentence reason.
    pub summary: String,
    /// The judgement as the confidence metric reads it (verdict, score, coverage, worst
    /// metric, inconclusive).
    pub signal: CanarySignal,
}

impl Judgement {
    /// The evidence kept from a judge result.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::prelude::*;
    /// use canary_analysis::orchestrate::Judgement;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// let b = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
    /// let judge = DefaultJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?;
    /// let r = judge.judge(&[MetricPair::from_values("m", b.to_vec(), b.to_vec())?])?;
    /// assert_eq!(Judgement::from_result(&r)?.verdict, Verdict::Pass);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`CanarySignal::from_judgement`]'s errors (a score or coverage out of range).
    pub fn from_result(result: &CanaryJudgeResult) -> Result<Judgement> {
        Ok(Judgement {
            verdict: result.verdict(),
            score: result.score(),
            coverage: result.coverage(),
            summary: result.score.classification_reason.clone(),
            signal: CanarySignal::from_judgement(result)?,
        })
    }
}

/// Judges one window of metric pairs: where the judge enters the engine.
///
/// Every [`Judge`] of the crate is a validator: [`DefaultJudge`], [`KayentaJudge`] and
/// `dyn Judge` (so `Box<dyn Judge>` and `&dyn Judge` too) implement it by judging the pairs
/// and keeping the [`Judgement`]. A host with its own judge implements [`Judge`] (or this trait
/// directly); the engine never builds one.
///
/// # Example
/// ```
/// use canary_analysis::prelude::*;
/// use canary_analysis::orchestrate::Validator;
/// let config = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
/// let j: Box<dyn Judge> = Box::new(DefaultJudge::new(config, Thresholds::new(95.0, 75.0)?)?);
/// // No pairs: the metric has no data, so nothing could be judged.
/// assert_eq!(j.validate(&[])?.coverage, 0.0);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub trait Validator {
    /// The judgement of `pairs` (baseline first, canary second in each pair).
    ///
    /// # Errors
    /// Whatever the judge reports; the engine treats an error as missing evidence.
    fn validate(&self, pairs: &[MetricPair]) -> Result<Judgement>;
}

impl<V: Validator + ?Sized> Validator for &V {
    fn validate(&self, pairs: &[MetricPair]) -> Result<Judgement> {
        (**self).validate(pairs)
    }
}

impl<V: Validator + ?Sized> Validator for Box<V> {
    fn validate(&self, pairs: &[MetricPair]) -> Result<Judgement> {
        (**self).validate(pairs)
    }
}

impl Validator for dyn Judge + '_ {
    fn validate(&self, pairs: &[MetricPair]) -> Result<Judgement> {
        Judgement::from_result(&self.judge(pairs)?)
    }
}

impl Validator for dyn Judge + Send + Sync + '_ {
    fn validate(&self, pairs: &[MetricPair]) -> Result<Judgement> {
        Judgement::from_result(&self.judge(pairs)?)
    }
}

impl Validator for DefaultJudge {
    fn validate(&self, pairs: &[MetricPair]) -> Result<Judgement> {
        Judgement::from_result(&self.judge(pairs)?)
    }
}

impl Validator for KayentaJudge {
    fn validate(&self, pairs: &[MetricPair]) -> Result<Judgement> {
        Judgement::from_result(&self.judge(pairs)?)
    }
}

/// Turns the evidence into a decision: where the confidence metric enters the engine.
///
/// [`ConfidenceOptions`] implements it with [`confidence::assess`]; a host may supply its own.
///
/// # Example
/// ```
/// use canary_analysis::confidence::{ConfidenceOptions, Decision, Signals};
/// use canary_analysis::orchestrate::ConfidenceModel;
/// let model = ConfidenceOptions::new();
/// // No canary evidence: the canary is a required signal, so at most a review.
/// let a = model.assess(&Signals::new())?;
/// assert_ne!(a.decision, Decision::Proceed);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub trait ConfidenceModel {
    /// The assessment of `signals`.
    ///
    /// # Errors
    /// The model's errors; the engine treats an error as missing evidence (a review).
    fn assess(&self, signals: &confidence::Signals) -> Result<confidence::Assessment>;
}

impl ConfidenceModel for ConfidenceOptions {
    fn assess(&self, signals: &confidence::Signals) -> Result<confidence::Assessment> {
        confidence::assess(signals, self)
    }
}

impl<C: ConfidenceModel + ?Sized> ConfidenceModel for &C {
    fn assess(&self, signals: &confidence::Signals) -> Result<confidence::Assessment> {
        (**self).assess(signals)
    }
}

impl<C: ConfidenceModel + ?Sized> ConfidenceModel for Box<C> {
    fn assess(&self, signals: &confidence::Signals) -> Result<confidence::Assessment> {
        (**self).assess(signals)
    }
}

/// What a validation established.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationEvidence {
    /// Looks completed.
    pub looks: u32,
    /// Looks in the horizon.
    pub horizon: u32,
    /// Whether the validation passed (only possible after the whole horizon).
    pub passed: bool,
    /// Whether it ended before the horizon (to roll back or ask a human).
    pub stopped_early: bool,
    /// The last judgement, if the judge ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgement: Option<Judgement>,
    /// The sequential monitor's always-valid p-value, if it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential_p: Option<f64>,
    /// The sequential monitor's family-wise level, if it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential_alpha: Option<f64>,
    /// A plain sentence.
    pub reason: String,
}

/// Everything a target's steps recorded: the evidence and the effects performed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Facts {
    /// The canary is deployed (and not yet removed).
    pub deployed: bool,
    /// The validation's evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationEvidence>,
    /// Compliance results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance: Option<BTreeMap<String, ComplianceStatus>>,
    /// The confidence assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<confidence::Assessment>,
    /// A human's decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub human: Option<HumanDecision>,
    /// Host errors and timeouts seen.
    pub host_errors: u32,
    /// The promotion was performed.
    pub promoted: bool,
    /// The roll back was performed.
    pub rolled_back: bool,
    /// A compliance check, a gate or the confidence model blocked the change.
    pub blocked: bool,
    /// A review is open and waits for a human.
    pub awaiting_human: bool,
}

impl Facts {
    /// The evidence as the confidence metric's signals: the last judgement (canary), the
    /// monitor's always-valid p-value (sequential; complete when the horizon was reached) and
    /// every compliance check as a hard gate. Risk, track record and host signals are the
    /// host's to add ([`Services::enrich`](super::Services::enrich)).
    ///
    /// # Errors
    /// A p-value or level out of range (not produced by the engine's own steps).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::Facts;
    /// assert!(Facts::default().signals()?.canary.is_none());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn signals(&self) -> Result<confidence::Signals> {
        let mut s = confidence::Signals::new();
        if let Some(v) = &self.validation {
            if let Some(j) = &v.judgement {
                s = s.canary(j.signal.clone());
            }
            if let (Some(p), Some(alpha)) = (v.sequential_p, v.sequential_alpha) {
                s = s.sequential(
                    SequentialSignal::from_p_value(p.clamp(0.0, 1.0), alpha)?
                        .complete(v.looks >= v.horizon)
                        .looks(u64::from(v.looks)),
                );
            }
        }
        if let Some(c) = &self.compliance {
            s = s.compliance(c.iter().map(|(name, st)| ComplianceCheck::gate(name, *st)));
        }
        Ok(s)
    }

    /// Whether the evidence allows promotion, and if not, why not. Promotion needs a human's
    /// approval, or all of: a validation that passed over its whole horizon, every compliance
    /// check passed, and a `Proceed` from the confidence model. Missing evidence is a refusal.
    ///
    /// # Errors
    /// The reason promotion is refused, as a sentence.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::Facts;
    /// assert!(Facts::default().promotion_evidence().is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn promotion_evidence(&self) -> std::result::Result<(), String> {
        if self.blocked {
            return Err("the change is blocked".into());
        }
        if let Some(h) = &self.human {
            return if h.approve {
                Ok(())
            } else {
                Err(format!("{} rejected the change", h.by))
            };
        }
        match &self.validation {
            Some(v) if v.passed && !v.stopped_early && v.looks == v.horizon && v.horizon > 0 => {}
            Some(v) => return Err(format!("validation did not pass: {}", v.reason)),
            None => return Err("no validation evidence".into()),
        }
        match &self.compliance {
            Some(c) => {
                if let Some((name, s)) = c.iter().find(|(_, s)| **s != ComplianceStatus::Pass) {
                    return Err(format!("compliance check `{name}` is {s:?}"));
                }
            }
            None => return Err("no compliance evidence".into()),
        }
        match &self.confidence {
            Some(a) if a.decision == Decision::Proceed => Ok(()),
            Some(a) => Err(format!(
                "confidence {}: {}",
                a.decision.as_str(),
                a.sentence
            )),
            None => Err("no confidence assessment".into()),
        }
    }
}
