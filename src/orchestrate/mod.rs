//! Orchestration: composable, event-driven steps per target, and campaigns that take one change
//! across a fleet.
//!
//! The engine is **sans-IO**: it takes [`Event`]s and returns [`Action`]s; it never calls the
//! network, reads a clock or sleeps. A host performs the actions (deploy, fetch metrics, check
//! compliance, promote, roll back, open a review, start a timer) and answers each with an event
//! naming the action's [`ActionKey`], which doubles as the idempotency key of the host call.
//!
//! - [`Step`] ([`step`]): a state machine advanced by inputs, with blanket impls, a closure
//!   adapter ([`step_fn`]) and combinators on [`StepExt`] (then, retry with backoff, timeout,
//!   gate, branch on an outcome, on-failure).
//! - Built-in steps ([`steps`]): [`DeployCanary`], [`ShiftTraffic`], [`Bake`], [`Validate`]
//!   (fixed horizon with the judge, or sequential early stop with the monitor),
//!   [`ComplianceGate`], [`ConfidenceGate`], [`Promote`], [`RollBack`], [`RequestReview`];
//!   [`Node`] is the serializable pipeline (spec and state in one value), host closures
//!   entering by name through a [`Registry`]; [`Node::standard`] the standard pipeline.
//! - Evidence ([`evidence`]): the judge enters through [`Validator`], the confidence metric
//!   through [`ConfidenceModel`], one place each; [`Facts::promotion_evidence`] is the one rule
//!   the promote step obeys.
//! - [`Target`] ([`engine`]): one target's engine; [`Campaign`] and [`Coordinator`]
//!   ([`campaign`]): waves, a concurrency limit, a failure budget, statuses, audit trails.
//! - Host traits and the blocking driver ([`host`]).
//! - [`multi`]: Kayenta's standalone multi-interval plan (interval windows, fail-fast, last
//!   score decides).
//!
//! ## Safety rules (tested by property tests over random event orders, duplicates, host faults
//! and restarts)
//! - A target is promoted only after its whole validation horizon: early stopping ends a
//!   validation only to roll back or to ask a human.
//! - Missing or failed evidence never promotes: the [`Promote`] step checks
//!   [`Facts::promotion_evidence`] itself, so no composition of steps can skip it.
//! - Host errors and timeouts are retried (a regression never is) and then end in roll back or
//!   review, never in promotion.
//! - An event whose key is not outstanding (a duplicate, or a late answer) changes nothing.
//! - The state serializes; replaying the accepted events rebuilds it exactly; a target restored
//!   from its state issues no action until a new event arrives, and never reuses a key.
//!
//! ## Driving the engine
//! **From a blocking loop**: [`BlockingDriver`] performs every action through the host traits
//! ([`MetricSource`], [`Deployments`], [`ComplianceChecks`], [`Clock`]), keeps timers in a
//! queue and sleeps until the next is due. `examples/fleet_campaign/` runs a whole simulated
//! fleet that way.
//!
//! **From an async runtime**: the engine is plain data and never blocks, so an async host
//! keeps it behind its own lock (or in one task) and `await`s the host calls; the library
//! needs no runtime. A sketch (the executor here is a trivial one, to keep the example
//! runtime-free; use tokio, async-std or smol alike):
//! ```
//! use std::future::Future;
//! use canary_analysis::orchestrate::*;
//! # struct NoServices;
//! # impl Services for NoServices {
//! #     fn validator(&self, _: &str) -> Option<&dyn Validator> { None }
//! #     fn confidence(&self, _: &str) -> Option<&dyn ConfidenceModel> { None }
//! # }
//! async fn deploy(_target: &str, _key: &ActionKey) -> Result<(), String> { Ok(()) }
//! async fn sleep_until(_at: Millis) {}
//!
//! async fn drive(target: &mut Target, services: &NoServices) -> canary_analysis::Result<()> {
//!     let mut queue = target.handle(&Event::start(target.id(), 0), services)?.actions;
//!     while let Some(a) = queue.pop() {
//!         let kind = match &a.kind {
//!             ActionKind::DeployCanary => match deploy(&a.target, &a.key).await {
//!                 Ok(()) => EventKind::Done,
//!                 Err(message) => EventKind::HostError { message, timed_out: false },
//!             },
//!             ActionKind::StartTimer { at } => {
//!                 sleep_until(*at).await;
//!                 EventKind::TimerFired
//!             }
//!             _ => continue,
//!         };
//!         queue.extend(target.handle(&Event::answer(&a, 0, kind), services)?.actions);
//!     }
//!     Ok(())
//! }
//!
//! // A minimal executor for the example: the futures above complete without waiting.
//! fn block_on<F: Future>(f: F) -> F::Output {
//!     let mut f = std::pin::pin!(f);
//!     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//!     loop {
//!         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
//!             return v;
//!         }
//!     }
//! }
//!
//! let mut t = Target::new("svc", Node::from(DeployCanary::new()).timeout(60_000));
//! block_on(drive(&mut t, &NoServices))?;
//! assert!(t.facts().deployed);
//! # Ok::<(), canary_analysis::Error>(())
//! ```
//! With many targets, run one task per target (each owns its [`Target`]) and let one task own
//! the [`Coordinator`], fed target statuses over a channel.
//!
//! **From a durable workflow engine** (Temporal, Cadence, AWS Step Functions...): each target's
//! state machine is independent and serializable, so each target is one workflow and targets
//! shard across workers and task queues freely. The workflow holds the [`Target`] (or its
//! serialized JSON) as workflow state; every [`Action`] becomes an activity whose idempotency
//! key is the action key (timers become durable timers, reviews become signals answered with
//! [`EventKind::Human`]); each activity result becomes an [`Event`] fed to
//! [`Target::handle`]. Because handling is deterministic, the workflow engine's replay of its
//! history gives the same actions with the same keys, so replay schedules nothing twice; a
//! worker that dies mid-step loses nothing, since the state is rebuilt from the history (or
//! the last persisted state, with [`Target::outstanding`] telling which activities are still
//! owed). The campaign is a parent workflow holding the [`Coordinator`]: it starts target
//! workflows as children when [`Coordinator::admit`] / [`Coordinator::settled`] say so and
//! learns each child's final [`TargetStatus`]; it never needs a target's metrics. What the
//! workflow engine holds: the event history, timers, activity retries of transport failures.
//! What the engine holds: the pipeline's state, the evidence, the audit trail, the decisions.

/// Milliseconds on the host's clock (Unix epoch or simulated).
pub type Millis = i64;

pub mod campaign;
pub mod engine;
pub mod event;
pub mod evidence;
pub mod host;
pub mod multi;
pub mod step;
pub mod steps;

pub use campaign::{Campaign, CampaignOptions, Coordinator, DEFAULT_FAILURE_BUDGET, Summary};
pub use engine::{Handled, Target, TargetStatus};
pub use event::Pairs;
pub use event::{
    Action, ActionKey, ActionKind, ComplianceStatus, Event, EventKind, HumanDecision, Window,
};
pub use evidence::{ConfidenceModel, Facts, Judgement, ValidationEvidence, Validator};
pub use host::{
    BlockingDriver, Clock, ComplianceChecks, DeployOp, Deployments, MetricSource, RunStats,
    timed_out,
};
pub use step::{
    AuditEntry, Branch, Cause, CauseKind, CustomFn, Cx, Gate, Input, Named, OnFailure, Outcome,
    OutcomeKind, Poll, Predicate, PredicateFn, Registry, Retry, RetryPolicy, Sequence, Services,
    Step, StepExt, StepFn, Then, Timeout, step_fn,
};
pub use steps::{
    Bake, ComplianceGate, ConfidenceGate, Custom, DeployCanary, Node, PipelineOptions, Promote,
    RequestReview, RollBack, SequentialMetric, SequentialPlan, ShiftTraffic, Validate,
    ValidationOptions,
};
