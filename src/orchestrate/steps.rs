//! Built-in steps, the serializable pipeline [`Node`], and the standard pipeline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Millis;
use super::event::{ActionKey, ActionKind, ComplianceStatus, EventKind, Window};
use super::evidence::{Judgement, ValidationEvidence};
use super::step::{
    Branch, Cause, CauseKind, Cx, Gate, Input, Named, OnFailure, Outcome, OutcomeKind, Poll, Retry,
    RetryPolicy, Sequence, Step, StepExt, Timeout,
};
use crate::confidence::Decision as ConfidenceDecision;
use crate::error::{Error, Result};
use crate::judge::Verdict;
use crate::judge::config::{CanaryConfig, Direction};
use crate::metrics::MetricPair;
use crate::stats::Alternative;
use crate::stats::sequential::{
    Arm, CountMixture, CountMixtureOptions, Decision, Dkw, DkwOptions, MetricMonitor, Monitor,
    SequentialTest,
};

/// One host call that is answered by [`EventKind::Done`]: the shared machinery of the deploy,
/// traffic, promote and roll-back steps.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Call {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waiting: Option<ActionKey>,
}

impl Call {
    fn start(&mut self, cx: &mut Cx<'_>, kind: ActionKind) -> Poll {
        self.waiting = Some(cx.request(kind));
        Poll::Pending
    }

    /// `Some(Ok)` when done, `Some(Err)` on a host error, `None` when the input is not ours.
    fn answer(
        &mut self,
        cx: &mut Cx<'_>,
        step: &str,
        input: Input<'_>,
    ) -> Option<Result<(), Cause>> {
        let e = input.answer(self.waiting.as_ref())?;
        self.waiting = None;
        if let Some(c) = cx.host_error(step, e) {
            return Some(Err(c));
        }
        match e.kind {
            EventKind::Done => Some(Ok(())),
            _ => Some(Err(Cause::new(
                CauseKind::Host,
                format!("unexpected answer to {}", e.key),
            ))),
        }
    }
}

macro_rules! simple_call {
    ($(#[$doc:meta])* $name:ident, $step:literal, $kind:expr, $check:expr, $ok:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
        pub struct $name {
            #[serde(flatten)]
            call: Call,
        }

        impl $name {
            /// The step.
            pub fn new() -> Self {
                Self::default()
            }
        }

        impl Step for $name {
            fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
                if let Input::Start = input {
                    #[allow(clippy::redundant_closure_call)]
                    if let Err(o) = ($check)(&mut *cx) {
                        return Poll::Done(o);
                    }
                    return self.call.start(cx, $kind);
                }
                match self.call.answer(cx, $step, input) {
                    None => Poll::Pending,
                    Some(Err(c)) => Poll::Done(Outcome::Failed(c)),
                    Some(Ok(())) => {
                        #[allow(clippy::redundant_closure_call)]
                        ($ok)(&mut *cx);
                        cx.note($step, "done");
                        Poll::Done(Outcome::Passed)
                    }
                }
            }
        }
    };
}

fn no_check(_: &mut Cx<'_>) -> std::result::Result<(), Outcome> {
    Ok(())
}

simple_call!(
    /// Deploys the canary ([`ActionKind::DeployCanary`]).
    DeployCanary,
    "deploy_canary",
    ActionKind::DeployCanary,
    no_check,
    |cx: &mut Cx<'_>| cx.facts_mut().deployed = true
);

simple_call!(
    /// Rolls the canary back ([`ActionKind::RollBack`]).
    RollBack,
    "roll_back",
    ActionKind::RollBack,
    no_check,
    |cx: &mut Cx<'_>| {
        let f = cx.facts_mut();
        f.rolled_back = true;
        f.deployed = false;
    }
);

simple_call!(
    /// Promotes the canary ([`ActionKind::Promote`]), only when
    /// [`Facts::promotion_evidence`](super::Facts::promotion_evidence) allows it; otherwise it
    /// asks for a review without acting. No pipeline, however composed, promotes without
    /// passing evidence.
    Promote,
    "promote",
    ActionKind::Promote,
    |cx: &mut Cx<'_>| match cx.facts().promotion_evidence() {
        Ok(()) => Ok(()),
        Err(why) => {
            cx.note("promote", format!("refused: {why}"));
            Err(Outcome::Review(Cause::new(CauseKind::MissingEvidence, why)))
        }
    },
    |cx: &mut Cx<'_>| cx.facts_mut().promoted = true
);

/// Sends a share of the traffic to the canary ([`ActionKind::ShiftTraffic`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ShiftTraffic {
    percent: u8,
    #[serde(flatten)]
    call: Call,
}

impl ShiftTraffic {
    /// Shift `percent` (capped at 100) of the traffic to the canary.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::ShiftTraffic;
    /// let _s = ShiftTraffic::new(5);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(percent: u8) -> Self {
        ShiftTraffic {
            percent: percent.min(100),
            call: Call::default(),
        }
    }
}

impl Step for ShiftTraffic {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if let Input::Start = input {
            return self.call.start(
                cx,
                ActionKind::ShiftTraffic {
                    percent: self.percent,
                },
            );
        }
        match self.call.answer(cx, "shift_traffic", input) {
            None => Poll::Pending,
            Some(Err(c)) => Poll::Done(Outcome::Failed(c)),
            Some(Ok(())) => {
                cx.note("shift_traffic", format!("{}% to the canary", self.percent));
                Poll::Done(Outcome::Passed)
            }
        }
    }
}

/// A timer that survives host errors: a failed timer is asked for again, for the same instant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Alarm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<ActionKey>,
    at: Millis,
}

impl Alarm {
    fn set(&mut self, cx: &mut Cx<'_>, at: Millis) {
        self.at = at;
        self.key = Some(cx.timer(at));
    }

    /// Whether the input fires the alarm (a host error re-arms it).
    fn fired(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> bool {
        let Some(e) = input.answer(self.key.as_ref()) else {
            return false;
        };
        if let EventKind::HostError { .. } = e.kind {
            cx.facts_mut().host_errors += 1;
            let at = self.at;
            self.set(cx, at);
            return false;
        }
        self.key = None;
        true
    }
}

/// Waits (lets the canary take traffic) for a fixed time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bake {
    duration_ms: Millis,
    #[serde(flatten)]
    alarm: Alarm,
}

impl Bake {
    /// Bake for `duration_ms`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::Bake;
    /// let _b = Bake::new(30 * 60_000);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(duration_ms: Millis) -> Self {
        Bake {
            duration_ms: duration_ms.max(0),
            alarm: Alarm::default(),
        }
    }
}

impl Step for Bake {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if let Input::Start = input {
            let at = cx.now() + self.duration_ms;
            self.alarm.set(cx, at);
            return Poll::Pending;
        }
        if self.alarm.fired(cx, input) {
            cx.note("bake", format!("baked {} min", self.duration_ms / 60_000));
            return Poll::Done(Outcome::Passed);
        }
        Poll::Pending
    }
}

/// One metric watched by the sequential monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequentialMetric {
    /// The metric name (as in the pairs).
    pub name: String,
    /// Watch per-step event counts with the Lindon-Malek count mixture (valid for Poisson
    /// counts) instead of the distribution-free DKW test (valid for any i.i.d. per-step values).
    pub counts: bool,
    /// Which side is a regression: `Greater` when the canary being larger is bad.
    pub alternative: Alternative,
}

/// The sequential early stop of a validation: the metrics, and the family-wise level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequentialPlan {
    alpha: f64,
    metrics: Vec<SequentialMetric>,
}

impl SequentialPlan {
    /// A plan at family-wise level `alpha` over `metrics`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `alpha` outside (0, 1).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::SequentialPlan;
    /// assert!(SequentialPlan::new(0.01, vec![]).is_ok());
    /// assert!(SequentialPlan::new(1.5, vec![]).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(alpha: f64, metrics: Vec<SequentialMetric>) -> Result<Self> {
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(Error::param("alpha", alpha, "must lie in (0, 1)"));
        }
        Ok(SequentialPlan { alpha, metrics })
    }

    /// The plan for a canary config's unmuted metrics: every metric, count or continuous,
    /// gets the DKW test of stochastic order on its per-step values; `direction` gives the
    /// side (`increase`: canary larger is bad, `decrease`: smaller, `either`: two-sided).
    ///
    /// DKW is distribution-free, so it stays valid for overdispersed counts; the count mixture
    /// assumes Poisson counts and rejects far too often otherwise: on the scenario suite's
    /// zero-inflated `timeouts` it rejected 12 of 181 healthy canaries at alpha 0.01
    /// (`fleet_campaign --targets 200 --seed 1`). Set [`SequentialMetric::counts`] by hand for
    /// metrics known to be Poisson.
    ///
    /// # Errors
    /// As [`SequentialPlan::new`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::judge::config::CanaryConfig;
    /// use canary_analysis::orchestrate::SequentialPlan;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "latency", "groups": ["g"],
    ///     "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#)?;
    /// let plan = SequentialPlan::from_config(&cfg, 0.01)?;
    /// assert_eq!(plan.metrics().len(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn from_config(config: &CanaryConfig, alpha: f64) -> Result<Self> {
        let mut seen = std::collections::BTreeSet::new();
        let metrics = config
            .metrics()
            .iter()
            .filter(|m| !m.settings().get_muted())
            .filter(|m| seen.insert(m.name().to_owned()))
            .map(|m| {
                let s = m.settings();
                SequentialMetric {
                    name: m.name().to_owned(),
                    counts: false,
                    alternative: match s.get_direction() {
                        Direction::Increase => Alternative::Greater,
                        Direction::Decrease => Alternative::Less,
                        _ => Alternative::TwoSided,
                    },
                }
            })
            .collect();
        SequentialPlan::new(alpha, metrics)
    }

    /// The metrics.
    pub fn metrics(&self) -> &[SequentialMetric] {
        &self.metrics
    }

    fn monitor(&self) -> Result<Option<Monitor>> {
        if self.metrics.is_empty() {
            return Ok(None);
        }
        let mut m = Monitor::new(self.alpha)?;
        for metric in &self.metrics {
            let test = if metric.counts {
                SequentialTest::Counts(CountMixture::new(
                    CountMixtureOptions::new()
                        .alternative(metric.alternative)
                        .alpha(self.alpha),
                )?)
            } else {
                SequentialTest::Dkw(Dkw::new(
                    DkwOptions::new()
                        .alternative(metric.alternative)
                        .alpha(self.alpha),
                )?)
            };
            m.add_metric(&metric.name, MetricMonitor::new(self.alpha, vec![test])?)?;
        }
        Ok(Some(m))
    }
}

/// How a validation looks at the canary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationOptions {
    looks: u32,
    interval_ms: Millis,
    fetch_timeout_ms: Millis,
    fetch_attempts: u32,
    fetch_backoff_ms: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sequential: Option<SequentialPlan>,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            looks: 4,
            interval_ms: 15 * 60_000,
            fetch_timeout_ms: 5 * 60_000,
            fetch_attempts: 4,
            fetch_backoff_ms: 60_000,
            sequential: None,
        }
    }
}

impl ValidationOptions {
    /// Four looks 15 minutes apart, fixed horizon; a metrics fetch times out after 5 minutes
    /// and is tried 4 times, 1 minute apart.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::ValidationOptions;
    /// let o = ValidationOptions::new().looks(3).interval_ms(10 * 60_000);
    /// assert_eq!(o.get_looks(), 3);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Looks in the horizon (at least 1).
    pub fn looks(mut self, looks: u32) -> Self {
        self.looks = looks.max(1);
        self
    }
    /// Time between looks, milliseconds.
    pub fn interval_ms(mut self, ms: Millis) -> Self {
        self.interval_ms = ms.max(0);
        self
    }
    /// Deadline of one metrics fetch, milliseconds.
    pub fn fetch_timeout_ms(mut self, ms: Millis) -> Self {
        self.fetch_timeout_ms = ms.max(1);
        self
    }
    /// Attempts per metrics fetch (at least 1).
    pub fn fetch_attempts(mut self, attempts: u32) -> Self {
        self.fetch_attempts = attempts.max(1);
        self
    }
    /// Wait between fetch attempts, milliseconds.
    pub fn fetch_backoff_ms(mut self, ms: Millis) -> Self {
        self.fetch_backoff_ms = ms.max(0);
        self
    }
    /// Sequential early stop with the monitor (`None`: fixed horizon, the judge at every look).
    pub fn sequential(mut self, plan: Option<SequentialPlan>) -> Self {
        self.sequential = plan;
        self
    }
    /// Looks in the horizon.
    pub fn get_looks(&self) -> u32 {
        self.looks
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
enum Phase {
    #[default]
    Idle,
    Waiting {
        #[serde(flatten)]
        alarm: Alarm,
    },
    Fetching {
        fetch: ActionKey,
        deadline: ActionKey,
        attempt: u32,
    },
    Backoff {
        #[serde(flatten)]
        alarm: Alarm,
        attempt: u32,
    },
}

/// Canary validation over a horizon of looks, each on the data so far (cumulative windows).
///
/// - **Fixed horizon** (no sequential plan): the judge at every look; a `Fail` before the last
///   look stops the validation as a regression (Kayenta's fail-fast), the last look decides.
///   Every look is a fresh fixed-level test, so repeated looks add false alarms.
/// - **Sequential**: the monitor (`stats::sequential`, anytime valid) at every look; a
///   rejection stops the validation as a regression at any look, without inflating the false
///   alarm rate over looks. The judge runs once, on the last look.
///
/// Either way the validation **passes only at the last look** (the whole horizon), with a
/// `Pass` verdict and a coverage above zero; a `Marginal` verdict asks for a review. Metrics
/// that cannot be fetched (after the attempts) or judged are missing evidence: a review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validate {
    opts: ValidationOptions,
    started_at: Millis,
    look: u32,
    phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    monitor: Option<Monitor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    fed: BTreeMap<String, usize>,
}

impl Validate {
    /// A validation with `opts`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Validate, ValidationOptions};
    /// let _v = Validate::new(ValidationOptions::new().looks(2));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(opts: ValidationOptions) -> Self {
        Validate {
            opts,
            started_at: 0,
            look: 0,
            phase: Phase::Idle,
            monitor: None,
            fed: BTreeMap::new(),
        }
    }

    fn record(&self, cx: &mut Cx<'_>, ev: ValidationEvidence) {
        cx.note(
            "validate",
            format!("look {} of {}: {}", ev.looks, ev.horizon, ev.reason),
        );
        cx.facts_mut().validation = Some(ev);
    }

    fn evidence(
        &self,
        passed: bool,
        judgement: Option<Judgement>,
        reason: String,
    ) -> ValidationEvidence {
        ValidationEvidence {
            looks: self.look,
            horizon: self.opts.looks,
            passed,
            stopped_early: !passed && self.look < self.opts.looks,
            judgement,
            sequential_alpha: self.opts.sequential.as_ref().map(|p| p.alpha),
            sequential_p: self.monitor.as_ref().map(|m| {
                let ps: Vec<f64> = m.metrics().values().map(|x| x.p_value()).collect();
                crate::stats::sequential::bonferroni(&ps)
            }),
            reason,
        }
    }

    fn end(&mut self, cx: &mut Cx<'_>, outcome: Outcome, judgement: Option<Judgement>) -> Poll {
        let reason = outcome.cause().map_or_else(
            || {
                judgement
                    .as_ref()
                    .map_or(String::new(), |j| j.summary.clone())
            },
            |c| c.detail.clone(),
        );
        let passed = matches!(outcome, Outcome::Passed);
        let ev = self.evidence(
            passed,
            judgement,
            if passed {
                format!("passed: {reason}")
            } else {
                reason
            },
        );
        self.record(cx, ev);
        // The evidence is recorded; the monitor's samples are not needed any more.
        self.monitor = None;
        self.fed.clear();
        self.phase = Phase::Idle;
        Poll::Done(outcome)
    }

    fn fetch(&mut self, cx: &mut Cx<'_>, attempt: u32) {
        let look = self.look + 1;
        let window = Window {
            look,
            looks: self.opts.looks,
            start: self.started_at,
            end: self.started_at + self.opts.interval_ms * look as Millis,
        };
        let fetch = cx.request(ActionKind::FetchMetrics { window });
        let deadline = cx.timer(cx.now() + self.opts.fetch_timeout_ms);
        self.phase = Phase::Fetching {
            fetch,
            deadline,
            attempt,
        };
    }

    fn wait_next(&mut self, cx: &mut Cx<'_>) {
        let at =
            (self.started_at + self.opts.interval_ms * (self.look as Millis + 1)).max(cx.now());
        let mut alarm = Alarm::default();
        alarm.set(cx, at);
        self.phase = Phase::Waiting { alarm };
    }

    /// Feeds the points not seen yet (windows are cumulative) to the monitor.
    fn feed(&mut self, pairs: &[MetricPair]) -> Result<()> {
        let Some(monitor) = self.monitor.as_mut() else {
            return Ok(());
        };
        for p in pairs {
            let Some(m) = monitor.metric_mut(p.metric()) else {
                continue;
            };
            let id = if p.tags().is_empty() {
                p.metric().to_owned()
            } else {
                format!("{}{:?}", p.metric(), p.tags())
            };
            // Windows are cumulative per instance: each instance's row only grows, so the
            // points seen are counted per (pair, side, instance).
            for (arm, series) in [(Arm::Baseline, p.baseline()), (Arm::Canary, p.canary())] {
                for inst in series.instances() {
                    let key = format!("{id}\u{1f}{arm:?}\u{1f}{}", inst.id());
                    let from = self.fed.entry(key).or_insert(0);
                    let values = inst.values();
                    if values.len() < *from {
                        return Err(Error::sample(
                            p.metric(),
                            "the window has fewer points than the previous look (windows are cumulative)",
                        ));
                    }
                    for &v in &values[*from..] {
                        if v.is_nan() {
                            continue;
                        }
                        if m.is_counts() {
                            if !(v >= 0.0 && v.is_finite()) {
                                return Err(Error::sample(
                                    p.metric(),
                                    format!("count {v} is not a non-negative number"),
                                ));
                            }
                            m.observe_count(arm, v.round() as u64)?;
                        } else {
                            m.observe_value(arm, v)?;
                        }
                    }
                    *from = values.len();
                }
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, cx: &mut Cx<'_>, pairs: &[MetricPair]) -> Poll {
        self.look += 1;
        let last = self.look >= self.opts.looks;
        let missing =
            |detail: String| Outcome::Review(Cause::new(CauseKind::MissingEvidence, detail));
        if self.opts.sequential.is_some() {
            if let Err(e) = self.feed(pairs) {
                return self.end(
                    cx,
                    missing(format!("sequential monitor cannot use the data: {e}")),
                    None,
                );
            }
            if let Some(m) = self.monitor.as_mut() {
                match m.look() {
                    Ok(l) if l.decision == Decision::Reject => {
                        let worst = l
                            .tests
                            .iter()
                            .min_by(|a, b| a.p_value.total_cmp(&b.p_value))
                            .map_or(String::new(), |t| format!(" (worst metric `{}`)", t.test));
                        let detail = format!(
                            "sequential monitor rejected at look {} of {}: always-valid p = {:.2e}{worst}",
                            self.look, self.opts.looks, l.p_value
                        );
                        return self.end(
                            cx,
                            Outcome::Failed(Cause::new(CauseKind::Regression, detail)),
                            None,
                        );
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return self.end(
                            cx,
                            missing(format!("sequential monitor failed: {e}")),
                            None,
                        );
                    }
                }
            }
            if !last {
                let ev = self.evidence(false, None, "no regression detected so far".into());
                self.record(
                    cx,
                    ValidationEvidence {
                        stopped_early: false,
                        ..ev
                    },
                );
                self.wait_next(cx);
                return Poll::Pending;
            }
        }
        let Some(judge) = cx.services().validator(cx.target()) else {
            return self.end(cx, missing("no judge for this target".into()), None);
        };
        let j = match judge.validate(pairs) {
            Ok(j) => j,
            Err(e) => return self.end(cx, missing(format!("the judge failed: {e}")), None),
        };
        let sentence = format!(
            "{} (score {:.1}, coverage {:.2}): {}",
            j.verdict.as_str(),
            j.score,
            j.coverage,
            j.summary
        );
        if !last {
            if j.verdict == Verdict::Fail {
                let detail = format!(
                    "judge failed the canary at look {} of {}: {sentence}",
                    self.look, self.opts.looks
                );
                return self.end(
                    cx,
                    Outcome::Failed(Cause::new(CauseKind::Regression, detail)),
                    Some(j),
                );
            }
            let ev = self.evidence(false, Some(j), sentence);
            self.record(
                cx,
                ValidationEvidence {
                    stopped_early: false,
                    ..ev
                },
            );
            self.wait_next(cx);
            return Poll::Pending;
        }
        let outcome = match j.verdict {
            Verdict::Pass if j.coverage > 0.0 => Outcome::Passed,
            Verdict::Pass => missing(format!("nothing could be judged: {sentence}")),
            Verdict::Fail => Outcome::Failed(Cause::new(CauseKind::Regression, sentence)),
            _ => Outcome::Review(Cause::new(CauseKind::Regression, sentence)),
        };
        self.end(cx, outcome, Some(j))
    }
}

impl Step for Validate {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if let Input::Start = input {
            self.started_at = cx.now();
            self.look = 0;
            self.fed.clear();
            self.monitor = match self.opts.sequential.as_ref().map(SequentialPlan::monitor) {
                None => None,
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    return Poll::Done(Outcome::Failed(Cause::new(
                        CauseKind::Config,
                        e.to_string(),
                    )));
                }
            };
            self.wait_next(cx);
            return Poll::Pending;
        }
        let Input::Event(_) = input else {
            return Poll::Pending;
        };
        match std::mem::take(&mut self.phase) {
            Phase::Idle => Poll::Pending,
            Phase::Waiting { mut alarm } => {
                if alarm.fired(cx, input) {
                    self.fetch(cx, 1);
                } else {
                    self.phase = Phase::Waiting { alarm };
                }
                Poll::Pending
            }
            Phase::Backoff { mut alarm, attempt } => {
                if alarm.fired(cx, input) {
                    self.fetch(cx, attempt + 1);
                } else {
                    self.phase = Phase::Backoff { alarm, attempt };
                }
                Poll::Pending
            }
            Phase::Fetching {
                fetch,
                deadline,
                attempt,
            } => {
                let failure = if let Some(e) = input.answer(Some(&fetch)) {
                    match &e.kind {
                        EventKind::Metrics { pairs } => return self.evaluate(cx, pairs),
                        _ => cx
                            .host_error("validate", e)
                            .map_or_else(|| "unexpected answer".to_owned(), |c| c.detail),
                    }
                } else if input.answer(Some(&deadline)).is_some() {
                    cx.facts_mut().host_errors += 1;
                    format!("no metrics within {} s", self.opts.fetch_timeout_ms / 1000)
                } else {
                    self.phase = Phase::Fetching {
                        fetch,
                        deadline,
                        attempt,
                    };
                    return Poll::Pending;
                };
                if attempt >= self.opts.fetch_attempts {
                    let detail = format!(
                        "metrics for look {} unavailable after {attempt} attempts: {failure}",
                        self.look + 1
                    );
                    return self.end(
                        cx,
                        Outcome::Review(Cause::new(CauseKind::MissingEvidence, detail)),
                        None,
                    );
                }
                let mut alarm = Alarm::default();
                let at = cx.now() + self.opts.fetch_backoff_ms;
                alarm.set(cx, at);
                self.phase = Phase::Backoff { alarm, attempt };
                Poll::Pending
            }
        }
    }
}

/// Runs compliance checks: a failed check blocks the change; an unknown one is recorded (the
/// confidence model and the promote step treat it as missing evidence).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ComplianceGate {
    checks: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waiting: Option<ActionKey>,
}

impl ComplianceGate {
    /// A gate over the named checks.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::ComplianceGate;
    /// let _g = ComplianceGate::new(vec!["cve-scan".into(), "change-approved".into()]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(checks: Vec<String>) -> Self {
        ComplianceGate {
            checks,
            waiting: None,
        }
    }
}

impl Step for ComplianceGate {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if let Input::Start = input {
            self.waiting = Some(cx.request(ActionKind::CheckCompliance {
                checks: self.checks.clone(),
            }));
            return Poll::Pending;
        }
        let Some(e) = input.answer(self.waiting.as_ref()) else {
            return Poll::Pending;
        };
        self.waiting = None;
        if let Some(c) = cx.host_error("compliance", e) {
            return Poll::Done(Outcome::Failed(c));
        }
        let EventKind::Compliance { results } = &e.kind else {
            return Poll::Done(Outcome::Failed(Cause::new(
                CauseKind::Host,
                "unexpected answer",
            )));
        };
        let mut all: BTreeMap<String, ComplianceStatus> = self
            .checks
            .iter()
            .map(|c| {
                (
                    c.clone(),
                    *results.get(c).unwrap_or(&ComplianceStatus::Unknown),
                )
            })
            .collect();
        for (k, v) in results {
            all.entry(k.clone()).or_insert(*v);
        }
        let failed: Vec<&str> = all
            .iter()
            .filter(|(_, s)| **s == ComplianceStatus::Fail)
            .map(|(k, _)| k.as_str())
            .collect();
        let unknown = all
            .values()
            .filter(|s| **s == ComplianceStatus::Unknown)
            .count();
        let summary = format!(
            "{} checks: {} failed ({}), {unknown} unknown",
            all.len(),
            failed.len(),
            failed.join(", ")
        );
        cx.note("compliance", summary.clone());
        let blocked = !failed.is_empty();
        cx.facts_mut().compliance = Some(all);
        if blocked {
            cx.facts_mut().blocked = true;
            return Poll::Done(Outcome::Blocked(Cause::new(CauseKind::Compliance, summary)));
        }
        Poll::Done(Outcome::Passed)
    }
}

/// Asks the host's confidence model: `Proceed` passes, `Review` asks a human, `Block` blocks.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConfidenceGate {}

impl ConfidenceGate {
    /// The gate.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::ConfidenceGate;
    /// let _g = ConfidenceGate::new();
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        ConfidenceGate {}
    }
}

impl Step for ConfidenceGate {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        let Input::Start = input else {
            return Poll::Pending;
        };
        let Some(model) = cx.services().confidence(cx.target()) else {
            return Poll::Done(Outcome::Review(Cause::new(
                CauseKind::Config,
                "no confidence model",
            )));
        };
        let signals = match cx.facts().signals() {
            Ok(sig) => cx.services().enrich(cx.target(), sig),
            Err(e) => {
                return Poll::Done(Outcome::Review(Cause::new(
                    CauseKind::MissingEvidence,
                    e.to_string(),
                )));
            }
        };
        let a = match model.assess(&signals) {
            Ok(a) => a,
            Err(e) => {
                let detail = format!("the confidence model failed: {e}");
                cx.note("confidence", detail.clone());
                return Poll::Done(Outcome::Review(Cause::new(
                    CauseKind::MissingEvidence,
                    detail,
                )));
            }
        };
        let sentence = format!(
            "{} at confidence {:.3}: {}",
            a.decision.as_str(),
            a.confidence,
            a.sentence
        );
        cx.note("confidence", sentence.clone());
        let decision = a.decision;
        cx.facts_mut().confidence = Some(a);
        match decision {
            ConfidenceDecision::Proceed => Poll::Done(Outcome::Passed),
            ConfidenceDecision::Block => {
                cx.facts_mut().blocked = true;
                Poll::Done(Outcome::Blocked(Cause::new(
                    CauseKind::Confidence,
                    sentence,
                )))
            }
            _ => Poll::Done(Outcome::Review(Cause::new(CauseKind::Confidence, sentence))),
        }
    }
}

/// Opens a review and waits for a human: approval passes, rejection fails
/// ([`CauseKind::Human`]). It has no deadline: humans answer when they do.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RequestReview {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waiting: Option<ActionKey>,
}

impl RequestReview {
    /// The step.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::RequestReview;
    /// let _r = RequestReview::new();
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

impl Step for RequestReview {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if let Input::Start = input {
            let reason = cx.audit.last().map_or_else(
                || "review requested".to_owned(),
                |a| format!("{}: {}", a.step, a.what),
            );
            cx.facts_mut().awaiting_human = true;
            self.waiting = Some(cx.request(ActionKind::OpenReview { reason }));
            return Poll::Pending;
        }
        let Some(e) = input.answer(self.waiting.as_ref()) else {
            return Poll::Pending;
        };
        self.waiting = None;
        cx.facts_mut().awaiting_human = false;
        if let Some(c) = cx.host_error("review", e) {
            return Poll::Done(Outcome::Failed(c));
        }
        match &e.kind {
            EventKind::Human { decision } => {
                cx.note(
                    "review",
                    format!(
                        "{} {}: {}",
                        decision.by,
                        if decision.approve {
                            "approved"
                        } else {
                            "rejected"
                        },
                        decision.note
                    ),
                );
                let approve = decision.approve;
                let by = decision.by.clone();
                cx.facts_mut().human = Some(decision.clone());
                if approve {
                    Poll::Done(Outcome::Passed)
                } else {
                    Poll::Done(Outcome::Failed(Cause::new(
                        CauseKind::Human,
                        format!("{by} rejected the change"),
                    )))
                }
            }
            _ => Poll::Done(Outcome::Failed(Cause::new(
                CauseKind::Host,
                "unexpected answer",
            ))),
        }
    }
}

/// A host closure step by name: its state is JSON, its code comes from the host's
/// [`Registry`](super::Registry) on every call (an unknown name fails the step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Custom {
    /// The registered name.
    pub name: String,
    /// The step's state.
    #[serde(default)]
    pub state: serde_json::Value,
}

impl Step for Custom {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        let services = cx.services;
        match services.registry().and_then(|r| r.get_step(&self.name)) {
            Some(f) => f(&mut self.state, cx, input),
            None => Poll::Done(Outcome::Failed(Cause::new(
                CauseKind::Config,
                format!("no step registered as `{}`", self.name),
            ))),
        }
    }
}

/// A pipeline as data: every built-in step and combinator, serializable as a whole (spec and
/// state together), with host code entering by name ([`Node::Custom`], [`Named`] gates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
#[non_exhaustive]
pub enum Node {
    /// [`DeployCanary`].
    DeployCanary(DeployCanary),
    /// [`ShiftTraffic`].
    ShiftTraffic(ShiftTraffic),
    /// [`Bake`].
    Bake(Bake),
    /// [`Validate`].
    Validate(Box<Validate>),
    /// [`ComplianceGate`].
    Compliance(ComplianceGate),
    /// [`ConfidenceGate`].
    Confidence(ConfidenceGate),
    /// [`Promote`].
    Promote(Promote),
    /// [`RollBack`].
    RollBack(RollBack),
    /// [`RequestReview`].
    Review(RequestReview),
    /// [`Sequence`].
    Sequence(Sequence<Node>),
    /// [`Retry`].
    Retry(Box<Retry<Node>>),
    /// [`Timeout`].
    Timeout(Box<Timeout<Node>>),
    /// [`Gate`] on a named predicate.
    Gate(Box<Gate<Node, Named>>),
    /// [`Branch`].
    Branch(Box<Branch<Node, Node>>),
    /// [`OnFailure`].
    OnFailure(Box<OnFailure<Node, Node>>),
    /// [`Custom`].
    Custom(Custom),
}

impl Step for Node {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        match self {
            Node::DeployCanary(s) => s.advance(cx, input),
            Node::ShiftTraffic(s) => s.advance(cx, input),
            Node::Bake(s) => s.advance(cx, input),
            Node::Validate(s) => s.advance(cx, input),
            Node::Compliance(s) => s.advance(cx, input),
            Node::Confidence(s) => s.advance(cx, input),
            Node::Promote(s) => s.advance(cx, input),
            Node::RollBack(s) => s.advance(cx, input),
            Node::Review(s) => s.advance(cx, input),
            Node::Sequence(s) => s.advance(cx, input),
            Node::Retry(s) => s.advance(cx, input),
            Node::Timeout(s) => s.advance(cx, input),
            Node::Gate(s) => s.advance(cx, input),
            Node::Branch(s) => s.advance(cx, input),
            Node::OnFailure(s) => s.advance(cx, input),
            Node::Custom(s) => s.advance(cx, input),
        }
    }
}

macro_rules! node_from {
    ($($t:ident => $v:ident $(boxed $b:tt)?),* $(,)?) => {$(
        impl From<$t> for Node {
            fn from(s: $t) -> Node {
                node_from!(@wrap $v s $($b)?)
            }
        }
    )*};
    (@wrap $v:ident $s:ident) => { Node::$v($s) };
    (@wrap $v:ident $s:ident yes) => { Node::$v(Box::new($s)) };
}

node_from!(
    DeployCanary => DeployCanary,
    ShiftTraffic => ShiftTraffic,
    Bake => Bake,
    Validate => Validate boxed yes,
    ComplianceGate => Compliance,
    ConfidenceGate => Confidence,
    Promote => Promote,
    RollBack => RollBack,
    RequestReview => Review,
    Custom => Custom,
);

impl Node {
    /// The steps in order.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Bake, DeployCanary, Node};
    /// let _n = Node::sequence(vec![DeployCanary::new().into(), Bake::new(60_000).into()]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn sequence(steps: Vec<Node>) -> Node {
        Node::Sequence(Sequence::new(steps))
    }

    /// [`StepExt::retry`], as a node.
    pub fn retry(self, policy: RetryPolicy) -> Node {
        Node::Retry(Box::new(StepExt::retry(self, policy)))
    }

    /// [`StepExt::timeout`], as a node.
    pub fn timeout(self, after_ms: Millis) -> Node {
        Node::Timeout(Box::new(StepExt::timeout(self, after_ms)))
    }

    /// [`StepExt::gate`] on a named predicate, as a node.
    pub fn gate(self, predicate: &str) -> Node {
        Node::Gate(Box::new(StepExt::gate(self, Named(predicate.to_owned()))))
    }

    /// [`StepExt::branch`], as a node.
    pub fn branch(self, when: OutcomeKind, then: Node) -> Node {
        Node::Branch(Box::new(StepExt::branch(self, when, then)))
    }

    /// [`StepExt::on_failure`], as a node.
    pub fn on_failure(self, handler: Node) -> Node {
        Node::OnFailure(Box::new(StepExt::on_failure(self, handler)))
    }

    /// The standard pipeline (see [`PipelineOptions`]):
    ///
    /// ```text
    /// deploy canary -> [shift traffic] -> bake -> validate -> compliance -> confidence -> promote
    ///   on Review:  request review -> promote (with the human's approval)
    ///   on Failed:  roll back  (state rolled_back)
    ///   on Blocked: roll back  (state blocked)
    /// ```
    /// Every host call has a deadline and retries host errors and timeouts with backoff; a
    /// regression is never retried. When a roll back itself cannot be done, the target ends in
    /// review.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Node, PipelineOptions};
    /// let n = Node::standard(&PipelineOptions::new());
    /// let json = serde_json::to_string(&n).unwrap();
    /// let back: Node = serde_json::from_str(&json).unwrap();
    /// assert_eq!(back, n);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn standard(opts: &PipelineOptions) -> Node {
        let call = |n: Node| n.timeout(opts.call_timeout_ms).retry(opts.retry);
        let mut main = vec![call(DeployCanary::new().into())];
        if let Some(p) = opts.traffic_percent {
            main.push(call(ShiftTraffic::new(p).into()));
        }
        main.push(Bake::new(opts.bake_ms).into());
        main.push(Validate::new(opts.validation.clone()).into());
        main.push(call(
            ComplianceGate::new(opts.compliance_checks.clone()).into(),
        ));
        main.push(ConfidenceGate::new().into());
        main.push(call(Promote::new().into()));
        let review = Node::sequence(vec![
            Node::from(RequestReview::new()).retry(opts.retry),
            call(Promote::new().into()),
        ]);
        Node::sequence(main)
            .branch(OutcomeKind::Review, review)
            .on_failure(call(RollBack::new().into()))
            .branch(OutcomeKind::Blocked, call(RollBack::new().into()))
    }
}

/// Options of [`Node::standard`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineOptions {
    bake_ms: Millis,
    call_timeout_ms: Millis,
    retry: RetryPolicy,
    traffic_percent: Option<u8>,
    compliance_checks: Vec<String>,
    validation: ValidationOptions,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            bake_ms: 30 * 60_000,
            call_timeout_ms: 10 * 60_000,
            retry: RetryPolicy::default(),
            traffic_percent: None,
            compliance_checks: Vec::new(),
            validation: ValidationOptions::default(),
        }
    }
}

impl PipelineOptions {
    /// Bake 30 minutes, host calls time out after 10 minutes, [`RetryPolicy::default`], no
    /// traffic shift, no compliance checks, [`ValidationOptions::default`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{PipelineOptions, ValidationOptions};
    /// let _o = PipelineOptions::new().bake_ms(0).validation(ValidationOptions::new().looks(2));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Bake time, milliseconds.
    pub fn bake_ms(mut self, ms: Millis) -> Self {
        self.bake_ms = ms.max(0);
        self
    }
    /// Deadline of every host call, milliseconds.
    pub fn call_timeout_ms(mut self, ms: Millis) -> Self {
        self.call_timeout_ms = ms.max(1);
        self
    }
    /// Retries of host calls.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Shift this share of traffic to the canary after deploying it.
    pub fn traffic_percent(mut self, percent: Option<u8>) -> Self {
        self.traffic_percent = percent;
        self
    }
    /// The compliance checks to run.
    pub fn compliance_checks(mut self, checks: Vec<String>) -> Self {
        self.compliance_checks = checks;
        self
    }
    /// The validation.
    pub fn validation(mut self, opts: ValidationOptions) -> Self {
        self.validation = opts;
        self
    }
}
