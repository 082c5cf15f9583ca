//! What flows between the engine and its host: actions out, events in.
//!
//! Every [`Action`] carries an [`ActionKey`] that is unique within its target and
//! deterministic (`<target>/<sequence>/<action>`): the same state and the same events give the
//! same keys, so a host (or a durable workflow engine) can use the key as the idempotency key of
//! the call it makes. Every [`Event`] names the key of the action it answers; an event whose key
//! is not outstanding (a duplicate, or a late answer to an action the engine gave up on) is
//! ignored and changes nothing.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Millis;
use crate::metrics::MetricPair;

/// The metric data a metric source returns for one window.
pub type Pairs = Vec<MetricPair>;

/// The idempotency key of an action; unique within its target, never issued twice.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ActionKey(pub String);

impl ActionKey {
    /// The key as a string.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::ActionKey;
    /// assert_eq!(ActionKey("svc/1/deploy_canary".into()).as_str(), "svc/1/deploy_canary");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The reserved key of a target's start event.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::ActionKey;
    /// assert_eq!(ActionKey::start("svc").as_str(), "svc/start");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn start(target: &str) -> ActionKey {
        ActionKey(format!("{target}/start"))
    }
}

impl fmt::Display for ActionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The time window a metric source is asked for (canary time; the baseline is compared over the
/// same window). Windows grow: every look covers the validation from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// 1-based index of the look.
    pub look: u32,
    /// Number of looks in the validation horizon.
    pub looks: u32,
    /// Start, milliseconds.
    pub start: Millis,
    /// End, milliseconds.
    pub end: Millis,
}

/// What the engine asks the host to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
#[non_exhaustive]
pub enum ActionKind {
    /// Deploy the canary next to the baseline. Answer: [`EventKind::Done`].
    DeployCanary,
    /// Send `percent` of the traffic to the canary. Answer: [`EventKind::Done`].
    ShiftTraffic {
        /// Share of traffic, 0-100.
        percent: u8,
    },
    /// Fetch the metric pairs of the window. Answer: [`EventKind::Metrics`].
    FetchMetrics {
        /// The window.
        window: Window,
    },
    /// Run the named compliance checks. Answer: [`EventKind::Compliance`].
    CheckCompliance {
        /// Check names.
        checks: Vec<String>,
    },
    /// Promote the canary (roll the change out to the whole target). Answer: [`EventKind::Done`].
    Promote,
    /// Remove the canary and restore the baseline. Answer: [`EventKind::Done`].
    RollBack,
    /// Ask a human to decide. Answer: [`EventKind::Human`] (whenever the human decides).
    OpenReview {
        /// Why a human is needed.
        reason: String,
    },
    /// Fire a timer at `at`. Answer: [`EventKind::TimerFired`].
    StartTimer {
        /// When, milliseconds.
        at: Millis,
    },
}

impl ActionKind {
    /// A short snake_case name (`deploy_canary`, `fetch_metrics`, ...), also used in keys.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::ActionKind;
    /// assert_eq!(ActionKind::RollBack.name(), "roll_back");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            ActionKind::DeployCanary => "deploy_canary",
            ActionKind::ShiftTraffic { .. } => "shift_traffic",
            ActionKind::FetchMetrics { .. } => "fetch_metrics",
            ActionKind::CheckCompliance { .. } => "check_compliance",
            ActionKind::Promote => "promote",
            ActionKind::RollBack => "roll_back",
            ActionKind::OpenReview { .. } => "open_review",
            ActionKind::StartTimer { .. } => "start_timer",
        }
    }
}

/// One action: what to do, for which target, under which idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The idempotency key; the answering event names it.
    pub key: ActionKey,
    /// The target.
    pub target: String,
    /// What to do.
    #[serde(flatten)]
    pub kind: ActionKind,
}

/// The result of one compliance check (the confidence metric's
/// [`CheckStatus`](crate::confidence::CheckStatus): `pass`, `fail`, `unknown`; unknown never
/// counts as a pass).
pub type ComplianceStatus = crate::confidence::CheckStatus;

/// A human's decision on a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HumanDecision {
    /// Whether the human approved promotion.
    pub approve: bool,
    /// Who decided.
    pub by: String,
    /// Why (free text, kept in the audit trail).
    #[serde(default)]
    pub note: String,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
#[non_exhaustive]
pub enum EventKind {
    /// Start the target's pipeline (key: [`ActionKey::start`]).
    Start,
    /// The action finished (the step's host call succeeded).
    Done,
    /// The metric pairs asked for arrived.
    Metrics {
        /// The pairs (cumulative over the window).
        pairs: Pairs,
    },
    /// The compliance results asked for arrived.
    Compliance {
        /// Result per check; a check asked for and missing here counts as unknown.
        results: BTreeMap<String, ComplianceStatus>,
    },
    /// A timer fired.
    TimerFired,
    /// The host call failed or timed out.
    HostError {
        /// What the host reported.
        message: String,
        /// Whether the call timed out (as opposed to failing).
        #[serde(default)]
        timed_out: bool,
    },
    /// A human decided a review.
    Human {
        /// The decision.
        decision: HumanDecision,
    },
}

/// One event for one target, answering the action `key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The target.
    pub target: String,
    /// The action answered ([`ActionKey::start`] for [`EventKind::Start`]).
    pub key: ActionKey,
    /// When, milliseconds (host clock).
    pub at: Millis,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    /// The start event of `target` at `at`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Event, EventKind};
    /// let e = Event::start("svc", 0);
    /// assert_eq!(e.kind, EventKind::Start);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn start(target: &str, at: Millis) -> Event {
        Event {
            target: target.to_owned(),
            key: ActionKey::start(target),
            at,
            kind: EventKind::Start,
        }
    }

    /// The event answering `action` at `at`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{Action, ActionKey, ActionKind, Event, EventKind};
    /// let a = Action { key: ActionKey("svc/1/deploy_canary".into()), target: "svc".into(),
    ///     kind: ActionKind::DeployCanary };
    /// let e = Event::answer(&a, 5, EventKind::Done);
    /// assert_eq!((e.key, e.at), (a.key, 5));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn answer(action: &Action, at: Millis, kind: EventKind) -> Event {
        Event {
            target: action.target.clone(),
            key: action.key.clone(),
            at,
            kind,
        }
    }
}
