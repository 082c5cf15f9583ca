//! The [`Step`] trait, its context, and the combinators that compose steps.
//!
//! A step is a state machine: [`Step::advance`] takes one [`Input`] (its start, or an event),
//! asks for actions through the [`Cx`] it is given, and answers [`Poll::Pending`] or
//! [`Poll::Done`] with an [`Outcome`]. A finished step is never advanced again. A step reacts
//! only to events answering keys it issued itself, so composites forward every event to their
//! active child without routing tables.
//!
//! Combinators live on [`StepExt`] (implemented for every step): [`then`](StepExt::then),
//! [`retry`](StepExt::retry) with exponential backoff, [`timeout`](StepExt::timeout),
//! [`gate`](StepExt::gate) on a [`Predicate`], [`branch`](StepExt::branch) on an outcome and
//! [`on_failure`](StepExt::on_failure). Each combinator is a plain struct that serializes when
//! its parts do; a closure step ([`step_fn`]) does not, and a pipeline that must persist names
//! its closures instead ([`Registry`], [`crate::orchestrate::Node::Custom`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Millis;
use super::event::{Action, ActionKey, ActionKind, Event, EventKind};
use super::evidence::{ConfidenceModel, Facts, Validator};
use crate::confidence::Signals;

/// Why a step did not pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CauseKind {
    /// The evidence shows a regression.
    Regression,
    /// A host call failed.
    Host,
    /// A host call or a step timed out.
    Timeout,
    /// Evidence is missing or could not be evaluated.
    MissingEvidence,
    /// A compliance check failed or is unknown.
    Compliance,
    /// The confidence model did not proceed.
    Confidence,
    /// A human rejected the change.
    Human,
    /// A gate's predicate did not hold.
    Gate,
    /// The pipeline or the host's services are misconfigured.
    Config,
}

impl CauseKind {
    /// Whether a retry may help (host errors and timeouts only; a regression is never retried).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::CauseKind;
    /// assert!(CauseKind::Timeout.retryable() && !CauseKind::Regression.retryable());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn retryable(self) -> bool {
        matches!(self, CauseKind::Host | CauseKind::Timeout)
    }
}

/// A cause and a plain sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// The kind.
    pub kind: CauseKind,
    /// A plain sentence.
    pub detail: String,
}

impl Cause {
    /// A cause of `kind`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Cause, CauseKind};
    /// assert_eq!(Cause::new(CauseKind::Host, "boom").detail, "boom");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(kind: CauseKind, detail: impl Into<String>) -> Cause {
        Cause {
            kind,
            detail: detail.into(),
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
#[non_exhaustive]
pub enum Outcome {
    /// It did what it should; the pipeline goes on.
    Passed,
    /// It failed (a regression, or a host error after retries).
    Failed(Cause),
    /// A human must decide.
    Review(Cause),
    /// The change must not proceed (compliance, a gate, the confidence model).
    Blocked(Cause),
}

impl Outcome {
    /// The outcome's kind.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Outcome, OutcomeKind};
    /// assert_eq!(Outcome::Passed.kind(), OutcomeKind::Passed);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Passed => OutcomeKind::Passed,
            Outcome::Failed(_) => OutcomeKind::Failed,
            Outcome::Review(_) => OutcomeKind::Review,
            Outcome::Blocked(_) => OutcomeKind::Blocked,
        }
    }

    /// The cause, unless passed.
    pub fn cause(&self) -> Option<&Cause> {
        match self {
            Outcome::Passed => None,
            Outcome::Failed(c) | Outcome::Review(c) | Outcome::Blocked(c) => Some(c),
        }
    }
}

/// The kind of an [`Outcome`], for [`StepExt::branch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutcomeKind {
    /// [`Outcome::Passed`].
    Passed,
    /// [`Outcome::Failed`].
    Failed,
    /// [`Outcome::Review`].
    Review,
    /// [`Outcome::Blocked`].
    Blocked,
}

/// A step's answer to one input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Poll {
    /// Still running; waiting for an event.
    Pending,
    /// Finished.
    Done(Outcome),
}

/// What a step is advanced with.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Input<'a> {
    /// The step starts.
    Start,
    /// An event for this target (possibly for another step).
    Event(&'a Event),
}

impl<'a> Input<'a> {
    /// The event, if it answers `key`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Event, Input};
    /// let e = Event::start("svc", 0);
    /// assert!(Input::Event(&e).answer(Some(&e.key)).is_some());
    /// assert!(Input::Start.answer(Some(&e.key)).is_none());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn answer(&self, key: Option<&ActionKey>) -> Option<&'a Event> {
        match (self, key) {
            (Input::Event(e), Some(k)) if &e.key == k => Some(e),
            _ => None,
        }
    }
}

/// One line of a target's audit trail: what happened, when, on what evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When, milliseconds.
    pub at: Millis,
    /// The step (or `engine`).
    pub step: String,
    /// What happened, with the evidence, as a sentence.
    pub what: String,
}

/// What the host supplies on every call: the judge and the confidence model for a target, and
/// the named closures of its pipelines. None of it is state: the host rebuilds it from
/// configuration, so the engine's state stays plain data.
///
/// # Example
/// A complete host implementation:
/// ```
/// use canary_analysis::orchestrate::{ConfidenceModel, Services, Validator};
/// struct MyServices { judge: Box<dyn Validator>, confidence: Box<dyn ConfidenceModel> }
/// impl Services for MyServices {
///     fn validator(&self, _target: &str) -> Option<&dyn Validator> { Some(&*self.judge) }
///     fn confidence(&self, _target: &str) -> Option<&dyn ConfidenceModel> {
///         Some(&*self.confidence)
///     }
/// }
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub trait Services {
    /// The judge for `target` (`None`: no judge, so validation gives missing evidence).
    fn validator(&self, target: &str) -> Option<&dyn Validator>;
    /// The confidence model for `target` (`None`: the confidence gate asks for a review).
    fn confidence(&self, target: &str) -> Option<&dyn ConfidenceModel>;
    /// Named closures for [`crate::orchestrate::Node::Custom`] and [`Named`] predicates.
    fn registry(&self) -> Option<&Registry> {
        None
    }
    /// Adds what only the host knows to a target's confidence signals (the change's risk, the
    /// track record, host-defined signals); the default adds nothing.
    fn enrich(&self, _target: &str, signals: Signals) -> Signals {
        signals
    }
}

impl<S: Services + ?Sized> Services for &S {
    fn validator(&self, target: &str) -> Option<&dyn Validator> {
        (**self).validator(target)
    }
    fn confidence(&self, target: &str) -> Option<&dyn ConfidenceModel> {
        (**self).confidence(target)
    }
    fn registry(&self) -> Option<&Registry> {
        (**self).registry()
    }
    fn enrich(&self, target: &str, signals: Signals) -> Signals {
        (**self).enrich(target, signals)
    }
}

impl<S: Services + ?Sized> Services for Box<S> {
    fn validator(&self, target: &str) -> Option<&dyn Validator> {
        (**self).validator(target)
    }
    fn confidence(&self, target: &str) -> Option<&dyn ConfidenceModel> {
        (**self).confidence(target)
    }
    fn registry(&self) -> Option<&Registry> {
        (**self).registry()
    }
    fn enrich(&self, target: &str, signals: Signals) -> Signals {
        (**self).enrich(target, signals)
    }
}

/// A step's view of its target while it is advanced: the clock, the facts, the audit trail,
/// the host's services, and the outbox of actions.
pub struct Cx<'a> {
    pub(crate) target: &'a str,
    pub(crate) now: Millis,
    pub(crate) seq: &'a mut u64,
    pub(crate) out: &'a mut Vec<Action>,
    pub(crate) facts: &'a mut Facts,
    pub(crate) audit: &'a mut Vec<AuditEntry>,
    pub(crate) services: &'a dyn Services,
}

impl fmt::Debug for Cx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cx")
            .field("target", &self.target)
            .field("now", &self.now)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl<'a> Cx<'a> {
    /// The target.
    pub fn target(&self) -> &str {
        self.target
    }

    /// The time of the input being handled, milliseconds.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// The facts recorded so far.
    pub fn facts(&self) -> &Facts {
        self.facts
    }

    /// The facts, to record evidence.
    pub fn facts_mut(&mut self) -> &mut Facts {
        self.facts
    }

    /// The host's services.
    pub fn services(&self) -> &dyn Services {
        self.services
    }

    /// Asks the host for `kind`; returns the action's idempotency key, which the answering
    /// event will carry.
    pub fn request(&mut self, kind: ActionKind) -> ActionKey {
        *self.seq += 1;
        let key = ActionKey(format!("{}/{}/{}", self.target, self.seq, kind.name()));
        self.out.push(Action {
            key: key.clone(),
            target: self.target.to_owned(),
            kind,
        });
        key
    }

    /// Asks the host for a timer firing at `at`.
    pub fn timer(&mut self, at: Millis) -> ActionKey {
        self.request(ActionKind::StartTimer { at })
    }

    /// Adds a line to the audit trail.
    pub fn note(&mut self, step: &str, what: impl Into<String>) {
        self.audit.push(AuditEntry {
            at: self.now,
            step: step.to_owned(),
            what: what.into(),
        });
    }

    /// Records a host error of `event` (counted as a signal) and returns its cause.
    pub(crate) fn host_error(&mut self, step: &str, event: &Event) -> Option<Cause> {
        if let EventKind::HostError { message, timed_out } = &event.kind {
            self.facts.host_errors += 1;
            let kind = if *timed_out {
                CauseKind::Timeout
            } else {
                CauseKind::Host
            };
            self.note(step, format!("host error on {}: {message}", event.key));
            Some(Cause::new(kind, message.clone()))
        } else {
            None
        }
    }
}

/// A step of a pipeline: a state machine driven by inputs.
///
/// # Example
/// A complete step that asks for a deployment and passes when the host confirms it:
/// ```
/// use canary_analysis::orchestrate::*;
/// #[derive(Default)]
/// struct Deploy { waiting: Option<ActionKey> }
/// impl Step for Deploy {
///     fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
///         match input {
///             Input::Start => {
///                 self.waiting = Some(cx.request(ActionKind::DeployCanary));
///                 Poll::Pending
///             }
///             Input::Event(_) => match input.answer(self.waiting.as_ref()) {
///                 Some(e) if e.kind == EventKind::Done => Poll::Done(Outcome::Passed),
///                 Some(_) => Poll::Done(Outcome::Failed(Cause::new(CauseKind::Host, "failed"))),
///                 None => Poll::Pending,
///             },
///             _ => Poll::Pending,
///         }
///     }
/// }
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub trait Step {
    /// Advances the step by one input: a step is started once, then given every event of its
    /// target until it answers [`Poll::Done`].
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll;
}

impl<T: Step + ?Sized> Step for &mut T {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        (**self).advance(cx, input)
    }
}

impl<T: Step + ?Sized> Step for Box<T> {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        (**self).advance(cx, input)
    }
}

/// A closure as a step (not serializable; see [`Registry`] for persisted pipelines).
#[derive(Clone)]
pub struct StepFn<F>(F);

impl<F> fmt::Debug for StepFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StepFn")
    }
}

/// Wraps `f` as a [`Step`].
///
/// # Example
/// ```
/// use canary_analysis::orchestrate::*;
/// let _pass = step_fn(|_cx: &mut Cx<'_>, _input: Input<'_>| Poll::Done(Outcome::Passed));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn step_fn<F>(f: F) -> StepFn<F>
where
    F: FnMut(&mut Cx<'_>, Input<'_>) -> Poll,
{
    StepFn(f)
}

impl<F> Step for StepFn<F>
where
    F: FnMut(&mut Cx<'_>, Input<'_>) -> Poll,
{
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        (self.0)(cx, input)
    }
}

/// A named closure step: its state is JSON, its code is looked up by name on every call.
pub type CustomFn =
    dyn Fn(&mut serde_json::Value, &mut Cx<'_>, Input<'_>) -> Poll + Send + Sync + 'static;
/// A named predicate over the facts.
pub type PredicateFn = dyn Fn(&Facts) -> bool + Send + Sync + 'static;

/// Closures registered by name, so that pipelines persisting as data can still call host code.
#[derive(Default)]
pub struct Registry {
    steps: BTreeMap<String, Box<CustomFn>>,
    predicates: BTreeMap<String, Box<PredicateFn>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("steps", &self.steps.keys().collect::<Vec<_>>())
            .field("predicates", &self.predicates.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers a custom step's code under `name`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::*;
    /// let r = Registry::new().step("noop", |_state, _cx, _input| Poll::Done(Outcome::Passed));
    /// assert!(r.get_step("noop").is_some());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn step<F>(mut self, name: &str, f: F) -> Registry
    where
        F: Fn(&mut serde_json::Value, &mut Cx<'_>, Input<'_>) -> Poll + Send + Sync + 'static,
    {
        self.steps.insert(name.to_owned(), Box::new(f));
        self
    }

    /// Registers a predicate under `name`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::*;
    /// let r = Registry::new().predicate("deployed", |f: &Facts| f.deployed);
    /// assert!(r.get_predicate("deployed").is_some());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn predicate<F>(mut self, name: &str, f: F) -> Registry
    where
        F: Fn(&Facts) -> bool + Send + Sync + 'static,
    {
        self.predicates.insert(name.to_owned(), Box::new(f));
        self
    }

    /// The step registered as `name`.
    pub fn get_step(&self, name: &str) -> Option<&CustomFn> {
        self.steps.get(name).map(|b| &**b)
    }

    /// The predicate registered as `name`.
    pub fn get_predicate(&self, name: &str) -> Option<&PredicateFn> {
        self.predicates.get(name).map(|b| &**b)
    }
}

/// A condition on a target's facts, for [`StepExt::gate`].
pub trait Predicate {
    /// Whether it holds.
    fn holds(&self, cx: &Cx<'_>) -> bool;
    /// A name for the audit trail.
    fn describe(&self) -> String {
        "predicate".to_owned()
    }
}

impl<F: Fn(&Facts) -> bool> Predicate for F {
    fn holds(&self, cx: &Cx<'_>) -> bool {
        self(cx.facts())
    }
}

/// A predicate registered by name in the host's [`Registry`]; an unknown name does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Named(pub String);

impl Predicate for Named {
    fn holds(&self, cx: &Cx<'_>) -> bool {
        cx.services()
            .registry()
            .and_then(|r| r.get_predicate(&self.0))
            .is_some_and(|p| p(cx.facts()))
    }
    fn describe(&self) -> String {
        self.0.clone()
    }
}

/// How [`StepExt::retry`] retries: attempts and exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    attempts: u32,
    backoff_ms: Millis,
    factor: u32,
    max_backoff_ms: Millis,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            backoff_ms: 30_000,
            factor: 2,
            max_backoff_ms: 600_000,
        }
    }
}

impl RetryPolicy {
    /// Four attempts, 30 s backoff doubling up to 10 minutes.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::RetryPolicy;
    /// let p = RetryPolicy::new().attempts(3).backoff_ms(1_000);
    /// assert_eq!(p.delay_ms(1), 1_000);
    /// assert_eq!(p.delay_ms(2), 2_000);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Total attempts, at least 1.
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }
    /// The first backoff, milliseconds.
    pub fn backoff_ms(mut self, ms: Millis) -> Self {
        self.backoff_ms = ms.max(0);
        self
    }
    /// The backoff's growth factor.
    pub fn factor(mut self, factor: u32) -> Self {
        self.factor = factor.max(1);
        self
    }
    /// The largest backoff, milliseconds.
    pub fn max_backoff_ms(mut self, ms: Millis) -> Self {
        self.max_backoff_ms = ms.max(0);
        self
    }
    /// Total attempts.
    pub fn get_attempts(&self) -> u32 {
        self.attempts
    }
    /// The wait after failed attempt `attempt` (1-based): `backoff * factor^(attempt-1)`,
    /// capped.
    pub fn delay_ms(&self, attempt: u32) -> Millis {
        let mut d = self.backoff_ms;
        for _ in 1..attempt {
            d = d.saturating_mul(self.factor as Millis);
            if d >= self.max_backoff_ms {
                break;
            }
        }
        d.min(self.max_backoff_ms)
    }
}

/// `first`, then `second` if `first` passed ([`StepExt::then`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Then<A, B> {
    first: A,
    second: B,
    on_second: bool,
}

impl<A: Step, B: Step> Step for Then<A, B> {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if !self.on_second {
            match self.first.advance(cx, input) {
                Poll::Done(Outcome::Passed) => {
                    self.on_second = true;
                    self.second.advance(cx, Input::Start)
                }
                other => other,
            }
        } else {
            self.second.advance(cx, input)
        }
    }
}

/// Steps in order; the first that does not pass ends the sequence with its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sequence<S> {
    steps: Vec<S>,
    current: usize,
}

impl<S> Sequence<S> {
    /// The sequence of `steps`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Bake, Sequence};
    /// let _s = Sequence::new(vec![Bake::new(60_000), Bake::new(30_000)]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(steps: Vec<S>) -> Self {
        Sequence { steps, current: 0 }
    }
}

impl<S: Step> Step for Sequence<S> {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        let mut input = input;
        if let Input::Start = input {
            self.current = 0;
        }
        loop {
            let Some(step) = self.steps.get_mut(self.current) else {
                return Poll::Done(Outcome::Passed);
            };
            match step.advance(cx, input) {
                Poll::Done(Outcome::Passed) => {
                    self.current += 1;
                    input = Input::Start;
                }
                other => return other,
            }
        }
    }
}

/// Retries on host errors and timeouts, with backoff ([`StepExt::retry`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retry<S> {
    initial: S,
    /// The attempt under way (absent before the start and once finished).
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    current: Option<S>,
    policy: RetryPolicy,
    attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    backoff: Option<ActionKey>,
}

fn none<S>() -> Option<S> {
    None
}

impl<S: Step + Clone> Retry<S> {
    fn attempt(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        let Some(current) = self.current.as_mut() else {
            return Poll::Pending;
        };
        match current.advance(cx, input) {
            Poll::Done(Outcome::Failed(c))
                if c.kind.retryable() && self.attempt < self.policy.attempts =>
            {
                let delay = self.policy.delay_ms(self.attempt);
                cx.note(
                    "retry",
                    format!(
                        "attempt {} of {} failed ({}); retrying in {} s",
                        self.attempt,
                        self.policy.attempts,
                        c.detail,
                        delay / 1000
                    ),
                );
                self.current = None;
                self.backoff = Some(cx.timer(cx.now() + delay));
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
            done => {
                self.current = None;
                done
            }
        }
    }
}

impl<S: Step + Clone> Step for Retry<S> {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if let Input::Start = input {
            self.attempt = 1;
            self.backoff = None;
            self.current = Some(self.initial.clone());
            return self.attempt(cx, Input::Start);
        }
        if input.answer(self.backoff.as_ref()).is_some() {
            self.backoff = None;
            self.attempt += 1;
            self.current = Some(self.initial.clone());
            return self.attempt(cx, Input::Start);
        }
        self.attempt(cx, input)
    }
}

/// Fails with a timeout when the inner step has not finished in time ([`StepExt::timeout`]).
/// Answers to the abandoned step's actions arrive late and are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeout<S> {
    inner: S,
    after_ms: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timer: Option<ActionKey>,
}

impl<S: Step> Step for Timeout<S> {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if let Input::Start = input {
            self.timer = Some(cx.timer(cx.now() + self.after_ms));
        } else if input.answer(self.timer.as_ref()).is_some() {
            self.timer = None;
            cx.note(
                "timeout",
                format!("no answer within {} s", self.after_ms / 1000),
            );
            return Poll::Done(Outcome::Failed(Cause::new(
                CauseKind::Timeout,
                format!("timed out after {} s", self.after_ms / 1000),
            )));
        }
        let p = self.inner.advance(cx, input);
        if matches!(p, Poll::Done(_)) {
            self.timer = None;
        }
        p
    }
}

/// Runs the inner step only if the predicate holds at its start; else blocks
/// ([`StepExt::gate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate<S, P> {
    inner: S,
    predicate: P,
}

impl<S: Step, P: Predicate> Step for Gate<S, P> {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if let Input::Start = input
            && !self.predicate.holds(cx)
        {
            let name = self.predicate.describe();
            cx.note("gate", format!("gate `{name}` closed"));
            return Poll::Done(Outcome::Blocked(Cause::new(
                CauseKind::Gate,
                format!("gate `{name}` closed"),
            )));
        }
        self.inner.advance(cx, input)
    }
}

/// Runs `then` when the first step ends with the chosen outcome kind; the outcome is then
/// `then`'s ([`StepExt::branch`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch<S, T> {
    first: S,
    when: OutcomeKind,
    then: T,
    on_then: bool,
}

impl<S: Step, T: Step> Step for Branch<S, T> {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        if self.on_then {
            return self.then.advance(cx, input);
        }
        match self.first.advance(cx, input) {
            Poll::Done(o) if o.kind() == self.when => {
                self.on_then = true;
                self.then.advance(cx, Input::Start)
            }
            other => other,
        }
    }
}

/// Runs a handler after a failure; the outcome stays the failure unless the handler itself
/// does not pass ([`StepExt::on_failure`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnFailure<S, T> {
    inner: S,
    handler: T,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<Outcome>,
}

impl<S: Step, T: Step> Step for OnFailure<S, T> {
    fn advance(&mut self, cx: &mut Cx<'_>, input: Input<'_>) -> Poll {
        let p = if self.failure.is_some() {
            self.handler.advance(cx, input)
        } else {
            match self.inner.advance(cx, input) {
                Poll::Done(o @ Outcome::Failed(_)) => {
                    self.failure = Some(o);
                    self.handler.advance(cx, Input::Start)
                }
                other => return other,
            }
        };
        match p {
            Poll::Done(Outcome::Passed) => {
                Poll::Done(self.failure.clone().unwrap_or(Outcome::Passed))
            }
            other => other,
        }
    }
}

/// Combinators for every [`Step`].
pub trait StepExt: Step + Sized {
    /// `self`, then `next` if `self` passed.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Bake, StepExt};
    /// let _s = Bake::new(1_000).then(Bake::new(2_000));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    fn then<B: Step>(self, next: B) -> Then<Self, B> {
        Then {
            first: self,
            second: next,
            on_second: false,
        }
    }

    /// Retries host errors and timeouts per `policy` (a regression is never retried).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{DeployCanary, RetryPolicy, StepExt};
    /// let _s = DeployCanary::new().timeout(60_000).retry(RetryPolicy::new().attempts(3));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    fn retry(self, policy: RetryPolicy) -> Retry<Self>
    where
        Self: Clone,
    {
        Retry {
            initial: self,
            current: None,
            policy,
            attempt: 0,
            backoff: None,
        }
    }

    /// Fails with [`CauseKind::Timeout`] unless `self` finishes within `after_ms`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{DeployCanary, StepExt};
    /// let _s = DeployCanary::new().timeout(60_000);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    fn timeout(self, after_ms: Millis) -> Timeout<Self> {
        Timeout {
            inner: self,
            after_ms,
            timer: None,
        }
    }

    /// Runs `self` only if `predicate` holds when it starts; else ends [`Outcome::Blocked`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Facts, Promote, StepExt};
    /// let _s = Promote::new().gate(|f: &Facts| f.host_errors < 10);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    fn gate<P: Predicate>(self, predicate: P) -> Gate<Self, P> {
        Gate {
            inner: self,
            predicate,
        }
    }

    /// When `self` ends with an outcome of kind `when`, runs `then` (whose outcome counts).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{OutcomeKind, RequestReview, StepExt, Validate,
    ///     ValidationOptions};
    /// let _s = Validate::new(ValidationOptions::new())
    ///     .branch(OutcomeKind::Review, RequestReview::new());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    fn branch<T: Step>(self, when: OutcomeKind, then: T) -> Branch<Self, T> {
        Branch {
            first: self,
            when,
            then,
            on_then: false,
        }
    }

    /// When `self` fails, runs `handler`; the outcome stays the failure.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{DeployCanary, RollBack, StepExt};
    /// let _s = DeployCanary::new().on_failure(RollBack::new());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    fn on_failure<T: Step>(self, handler: T) -> OnFailure<Self, T> {
        OnFailure {
            inner: self,
            handler,
            failure: None,
        }
    }
}

impl<S: Step + Sized> StepExt for S {}
