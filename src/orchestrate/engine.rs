//! One target's state machine: a pipeline, its facts, its outstanding actions, its audit trail.

use serde::{Deserialize, Serialize};

use super::Millis;
use super::event::{Action, ActionKey, ActionKind, Event, EventKind};
use super::evidence::Facts;
use super::step::{AuditEntry, Cx, Input, Outcome, Poll, Services, Step};
use crate::error::{Error, Result};

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TargetStatus {
    /// Not started (a campaign that halted leaves its remaining targets here).
    NotStarted,
    /// The pipeline runs.
    Running,
    /// A human must decide (a review is open, or the pipeline ended without a safe resolution).
    Review,
    /// The change was promoted.
    Promoted,
    /// The canary was rolled back (a regression, or host errors).
    RolledBack,
    /// The change was blocked (compliance, a gate, the confidence model); any canary removed.
    Blocked,
}

impl TargetStatus {
    /// Whether the target needs nothing more from the engine: terminal or in review.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::TargetStatus;
    /// assert!(TargetStatus::Review.is_settled() && !TargetStatus::Running.is_settled());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn is_settled(self) -> bool {
        !matches!(self, TargetStatus::NotStarted | TargetStatus::Running)
    }

    /// Whether this counts against a campaign's failure budget (rolled back or blocked).
    pub fn is_failure(self) -> bool {
        matches!(self, TargetStatus::RolledBack | TargetStatus::Blocked)
    }

    /// The snake_case name (`promoted`, `rolled_back`, `review`, `blocked`, `not_started`,
    /// `running`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::NotStarted => "not_started",
            TargetStatus::Running => "running",
            TargetStatus::Review => "review",
            TargetStatus::Promoted => "promoted",
            TargetStatus::RolledBack => "rolled_back",
            TargetStatus::Blocked => "blocked",
        }
    }
}

/// What handling one event produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Handled {
    /// Whether the event was new (a duplicate or an answer nobody waits for is not, and
    /// changed nothing). A host's event log needs only the accepted events.
    pub accepted: bool,
    /// The actions to perform, each with its idempotency key.
    pub actions: Vec<Action>,
}

/// One target's engine: sans-IO, deterministic, serializable.
///
/// Feed it [`Event`]s with [`Target::handle`]; perform the [`Action`]s it returns and answer
/// each with an event naming its key. The same events in the same order give the same state
/// and the same actions ([`Target::replay`]); an event whose key is not outstanding is
/// ignored, so duplicates and late answers are harmless; a target restored from its
/// serialized state issues nothing until it gets a new event, and never reuses a key.
///
/// # Example
/// ```
/// use canary_analysis::orchestrate::*;
/// struct NoServices;
/// impl Services for NoServices {
///     fn validator(&self, _: &str) -> Option<&dyn Validator> { None }
///     fn confidence(&self, _: &str) -> Option<&dyn ConfidenceModel> { None }
/// }
/// let mut t = Target::new("svc", Node::from(DeployCanary::new()));
/// let out = t.handle(&Event::start("svc", 0), &NoServices)?;
/// assert_eq!(out.actions[0].kind, ActionKind::DeployCanary);
/// let done = Event::answer(&out.actions[0], 10, EventKind::Done);
/// assert!(t.handle(&done, &NoServices)?.accepted);
/// assert!(!t.handle(&done, &NoServices)?.accepted); // a duplicate changes nothing
/// assert!(t.facts().deployed);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target<S = super::Node> {
    id: String,
    step: S,
    status: TargetStatus,
    seq: u64,
    clock: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
    /// Issued, unanswered actions (a handful at a time: a vector beats a map here).
    outstanding: Vec<(ActionKey, ActionKind)>,
    facts: Facts,
    audit: Vec<AuditEntry>,
    accepted: u64,
}

impl<S: Step> Target<S> {
    /// A target `id` that will run `step`.
    pub fn new(id: &str, step: S) -> Self {
        Target {
            id: id.to_owned(),
            step,
            status: TargetStatus::NotStarted,
            seq: 0,
            clock: Millis::MIN,
            outcome: None,
            outstanding: Vec::new(),
            facts: Facts::default(),
            audit: Vec::new(),
            accepted: 0,
        }
    }

    /// The target's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where it stands.
    pub fn status(&self) -> TargetStatus {
        self.status
    }

    /// The evidence and effects recorded.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The audit trail.
    pub fn audit(&self) -> &[AuditEntry] {
        &self.audit
    }

    /// The pipeline's outcome, once it finished.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The pipeline (spec and state).
    pub fn step(&self) -> &S {
        &self.step
    }

    /// Actions issued and not answered yet (timers included), in the order issued: what a
    /// host that lost its outbox performs again, under the same keys.
    pub fn outstanding(&self) -> impl Iterator<Item = Action> + '_ {
        self.outstanding.iter().map(|(k, kind)| Action {
            key: k.clone(),
            target: self.id.clone(),
            kind: kind.clone(),
        })
    }

    /// Events accepted so far.
    pub fn accepted_events(&self) -> u64 {
        self.accepted
    }

    /// Handles one event.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an event of another target.
    pub fn handle(&mut self, event: &Event, services: &dyn Services) -> Result<Handled> {
        if event.target != self.id {
            return Err(Error::param(
                "event.target",
                crate::error::quote(&event.target),
                format!("this is target `{}`", crate::error::quote(&self.id)),
            ));
        }
        let input = match event.kind {
            EventKind::Start => {
                if self.status != TargetStatus::NotStarted
                    || event.key != ActionKey::start(&self.id)
                {
                    return Ok(Handled::default());
                }
                self.status = TargetStatus::Running;
                Input::Start
            }
            _ => {
                let Some(i) = self.outstanding.iter().position(|(k, _)| *k == event.key) else {
                    return Ok(Handled::default());
                };
                self.outstanding.remove(i);
                Input::Event(event)
            }
        };
        self.accepted += 1;
        self.clock = self.clock.max(event.at);
        let mut actions = Vec::new();
        if self.outcome.is_none() {
            let mut cx = Cx {
                target: &self.id,
                now: self.clock,
                seq: &mut self.seq,
                out: &mut actions,
                facts: &mut self.facts,
                audit: &mut self.audit,
                services,
            };
            if let Input::Start = input {
                cx.note("engine", "started");
            }
            if let Poll::Done(o) = self.step.advance(&mut cx, input) {
                let what = match o.cause() {
                    None => "pipeline passed".to_owned(),
                    Some(c) => {
                        format!("pipeline ended {:?} ({:?}): {}", o.kind(), c.kind, c.detail)
                    }
                };
                cx.note("engine", what);
                self.outcome = Some(o);
            }
        }
        for a in &actions {
            self.outstanding.push((a.key.clone(), a.kind.clone()));
        }
        let before = self.status;
        self.status = self.derive_status();
        if self.status != before && self.status.is_settled() {
            self.audit.push(AuditEntry {
                at: self.clock,
                step: "engine".into(),
                what: format!("status {}", self.status.as_str()),
            });
        }
        Ok(Handled {
            accepted: true,
            actions,
        })
    }

    fn derive_status(&self) -> TargetStatus {
        let f = &self.facts;
        match &self.outcome {
            None if f.awaiting_human => TargetStatus::Review,
            None => TargetStatus::Running,
            Some(_) if f.promoted => TargetStatus::Promoted,
            Some(_) if f.blocked && (f.rolled_back || !f.deployed) => TargetStatus::Blocked,
            Some(_) if f.rolled_back => TargetStatus::RolledBack,
            Some(_) => TargetStatus::Review,
        }
    }

    /// Rebuilds a target from its pipeline and its event log: the same state, exactly.
    ///
    /// # Errors
    /// As [`Target::handle`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::*;
    /// # struct NoServices;
    /// # impl Services for NoServices {
    /// #     fn validator(&self, _: &str) -> Option<&dyn Validator> { None }
    /// #     fn confidence(&self, _: &str) -> Option<&dyn ConfidenceModel> { None }
    /// # }
    /// let pipeline = Node::from(Bake::new(60_000));
    /// let mut t = Target::new("svc", pipeline.clone());
    /// let start = Event::start("svc", 0);
    /// let timer = t.handle(&start, &NoServices)?.actions.remove(0);
    /// let fired = Event::answer(&timer, 60_000, EventKind::TimerFired);
    /// t.handle(&fired, &NoServices)?;
    /// let again = Target::replay("svc", pipeline, &[start, fired], &NoServices)?;
    /// assert_eq!(again, t);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn replay(id: &str, step: S, events: &[Event], services: &dyn Services) -> Result<Self> {
        let mut t = Target::new(id, step);
        for e in events {
            t.handle(e, services)?;
        }
        Ok(t)
    }
}
