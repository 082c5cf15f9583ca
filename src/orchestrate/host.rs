//! Host traits, and a driver that runs a campaign from a blocking loop.
//!
//! The engine performs no I/O; a host does, through these traits (each with one or two
//! methods, blanket implementations for `&mut T` and `Box<T>`):
//!
//! - [`MetricSource`]: the metric pairs of a target over a window;
//! - [`Deployments`]: deploy the canary, shift traffic, promote, roll back, open a review;
//! - [`ComplianceChecks`]: run named checks;
//! - [`Clock`]: the time, and waiting until a timer is due.
//!
//! Every call gets the action's idempotency key: a host that may see a call twice (a retry
//! after a crash) performs it once per key. A host error is `Err`; a timeout is an
//! [`Error::Host`] wrapping a [`std::io::Error`] of kind
//! [`TimedOut`](std::io::ErrorKind::TimedOut) (see [`timed_out`]).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use super::Millis;
use super::campaign::Campaign;
use super::event::{
    Action, ActionKey, ActionKind, ComplianceStatus, Event, EventKind, HumanDecision, Pairs, Window,
};
use super::step::{Services, Step};
use crate::error::{Error, Result};

/// A deployment operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeployOp {
    /// Deploy the canary.
    DeployCanary,
    /// Send this percentage of traffic to the canary.
    ShiftTraffic(u8),
    /// Promote.
    Promote,
    /// Roll back.
    RollBack,
}

/// Returns the metric pairs of a target over a window.
///
/// # Example
/// A complete host implementation over data held in memory:
/// ```
/// use std::collections::BTreeMap;
/// use canary_analysis::orchestrate::{ActionKey, MetricSource, Pairs, Window};
/// struct InMemory(BTreeMap<String, Vec<Pairs>>);
/// impl MetricSource for InMemory {
///     fn fetch(&mut self, target: &str, window: &Window, _key: &ActionKey)
///         -> canary_analysis::Result<Pairs> {
///         Ok(self.0.get(target).and_then(|looks| looks.get(window.look as usize - 1))
///             .cloned().unwrap_or_default())
///     }
/// }
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub trait MetricSource {
    /// The pairs of `target` over `window` (cumulative from the validation's start).
    ///
    /// # Errors
    /// A host error ([`Error::Host`]).
    fn fetch(&mut self, target: &str, window: &Window, key: &ActionKey) -> Result<Pairs>;
}

/// Performs deployment operations and opens reviews.
///
/// # Example
/// A complete host implementation that records what it was asked to do:
/// ```
/// use canary_analysis::orchestrate::{ActionKey, DeployOp, Deployments, HumanDecision};
/// #[derive(Default)]
/// struct Recorder(Vec<String>);
/// impl Deployments for Recorder {
///     fn perform(&mut self, target: &str, op: DeployOp, key: &ActionKey)
///         -> canary_analysis::Result<()> {
///         self.0.push(format!("{target} {op:?} {key}"));
///         Ok(())
///     }
///     fn open_review(&mut self, _target: &str, _reason: &str, _key: &ActionKey)
///         -> canary_analysis::Result<Option<HumanDecision>> {
///         Ok(None) // decided later, out of band
///     }
/// }
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub trait Deployments {
    /// Performs `op` on `target`.
    ///
    /// # Errors
    /// A host error ([`Error::Host`]).
    fn perform(&mut self, target: &str, op: DeployOp, key: &ActionKey) -> Result<()>;

    /// Opens a review; returns the decision if a human made it at once, `None` if it comes
    /// later (deliver it with [`EventKind::Human`] and the same key).
    ///
    /// # Errors
    /// A host error ([`Error::Host`]).
    fn open_review(
        &mut self,
        target: &str,
        reason: &str,
        key: &ActionKey,
    ) -> Result<Option<HumanDecision>>;
}

/// Runs compliance checks.
///
/// # Example
/// A complete host implementation:
/// ```
/// use std::collections::BTreeMap;
/// use canary_analysis::orchestrate::{ActionKey, ComplianceChecks, ComplianceStatus};
/// struct AllPass;
/// impl ComplianceChecks for AllPass {
///     fn check(&mut self, _target: &str, checks: &[String], _key: &ActionKey)
///         -> canary_analysis::Result<BTreeMap<String, ComplianceStatus>> {
///         Ok(checks.iter().map(|c| (c.clone(), ComplianceStatus::Pass)).collect())
///     }
/// }
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub trait ComplianceChecks {
    /// The result of each of `checks` on `target` (a missing one counts as unknown).
    ///
    /// # Errors
    /// A host error ([`Error::Host`]).
    fn check(
        &mut self,
        target: &str,
        checks: &[String],
        key: &ActionKey,
    ) -> Result<BTreeMap<String, ComplianceStatus>>;
}

/// The host's clock.
///
/// # Example
/// A complete simulated clock:
/// ```
/// use canary_analysis::orchestrate::{Clock, Millis};
/// struct Simulated(Millis);
/// impl Clock for Simulated {
///     fn now(&self) -> Millis { self.0 }
///     fn sleep_until(&mut self, at: Millis) { self.0 = self.0.max(at) }
/// }
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub trait Clock {
    /// The time, milliseconds.
    fn now(&self) -> Millis;
    /// Blocks until `at` (a simulated clock jumps).
    fn sleep_until(&mut self, at: Millis);
}

macro_rules! forward {
    ($tr:ident { $(fn $m:ident(&mut self $(, $a:ident: $t:ty)*) -> $r:ty;)* }) => {
        impl<T: $tr + ?Sized> $tr for &mut T {
            $(fn $m(&mut self $(, $a: $t)*) -> $r { (**self).$m($($a),*) })*
        }
        impl<T: $tr + ?Sized> $tr for Box<T> {
            $(fn $m(&mut self $(, $a: $t)*) -> $r { (**self).$m($($a),*) })*
        }
    };
}

forward!(MetricSource { fn fetch(&mut self, target: &str, window: &Window, key: &ActionKey) -> Result<Pairs>; });
forward!(Deployments {
    fn perform(&mut self, target: &str, op: DeployOp, key: &ActionKey) -> Result<()>;
    fn open_review(&mut self, target: &str, reason: &str, key: &ActionKey) -> Result<Option<HumanDecision>>;
});
forward!(ComplianceChecks {
    fn check(&mut self, target: &str, checks: &[String], key: &ActionKey) -> Result<BTreeMap<String, ComplianceStatus>>;
});

impl<T: Clock + ?Sized> Clock for &mut T {
    fn now(&self) -> Millis {
        (**self).now()
    }
    fn sleep_until(&mut self, at: Millis) {
        (**self).sleep_until(at)
    }
}

impl<T: Clock + ?Sized> Clock for Box<T> {
    fn now(&self) -> Millis {
        (**self).now()
    }
    fn sleep_until(&mut self, at: Millis) {
        (**self).sleep_until(at)
    }
}

/// Whether a host error is a timeout (an [`Error::Host`] wrapping an I/O error of kind
/// `TimedOut`).
///
/// # Example
/// ```
/// use canary_analysis::Error;
/// use canary_analysis::orchestrate::timed_out;
/// let e = Error::Host(Box::new(std::io::Error::from(std::io::ErrorKind::TimedOut)));
/// assert!(timed_out(&e));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn timed_out(e: &Error) -> bool {
    match e {
        Error::Host(inner) => inner
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut),
        _ => false,
    }
}

/// What a driver run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunStats {
    /// Events handed to the engine.
    pub events: u64,
    /// Actions performed (timers included).
    pub actions: u64,
    /// The clock when the run ended.
    pub ended_at: Millis,
}

/// Drives a [`Campaign`] from a blocking loop: performs each action through the host traits,
/// turns the answer into an event, keeps timers in a queue and sleeps on the [`Clock`] until
/// the next is due. It returns when nothing is left to do (targets waiting for a human stay
/// in review; deliver their decisions later with [`Campaign::handle`]).
#[allow(missing_debug_implementations)]
pub struct BlockingDriver<'h> {
    /// The metric source.
    pub metrics: &'h mut dyn MetricSource,
    /// The deployments.
    pub deployments: &'h mut dyn Deployments,
    /// The compliance checks.
    pub compliance: &'h mut dyn ComplianceChecks,
    /// The clock.
    pub clock: &'h mut dyn Clock,
}

impl BlockingDriver<'_> {
    /// Runs `campaign` to the end.
    ///
    /// # Errors
    /// An engine error (an event for an unknown target cannot arise from this driver); host
    /// errors are events, not errors.
    ///
    /// # Example
    /// ```
    /// use std::collections::BTreeMap;
    /// use canary_analysis::orchestrate::*;
    /// struct Host(Millis);
    /// impl MetricSource for Host {
    ///     fn fetch(&mut self, _: &str, _: &Window, _: &ActionKey) -> canary_analysis::Result<Pairs> {
    ///         Ok(Vec::new())
    ///     }
    /// }
    /// impl Deployments for Host {
    ///     fn perform(&mut self, _: &str, _: DeployOp, _: &ActionKey) -> canary_analysis::Result<()> {
    ///         Ok(())
    ///     }
    ///     fn open_review(&mut self, _: &str, _: &str, _: &ActionKey)
    ///         -> canary_analysis::Result<Option<HumanDecision>> { Ok(None) }
    /// }
    /// impl ComplianceChecks for Host {
    ///     fn check(&mut self, _: &str, c: &[String], _: &ActionKey)
    ///         -> canary_analysis::Result<BTreeMap<String, ComplianceStatus>> {
    ///         Ok(c.iter().map(|c| (c.clone(), ComplianceStatus::Pass)).collect())
    ///     }
    /// }
    /// struct NoJudge;
    /// impl Services for NoJudge {
    ///     fn validator(&self, _: &str) -> Option<&dyn Validator> { None }
    ///     fn confidence(&self, _: &str) -> Option<&dyn ConfidenceModel> { None }
    /// }
    /// let (mut host, mut compliance, mut deploy) = (Host(0), Host(0), Host(0));
    /// let mut clock = Host(0);
    /// impl Clock for Host {
    ///     fn now(&self) -> Millis { self.0 }
    ///     fn sleep_until(&mut self, at: Millis) { self.0 = self.0.max(at) }
    /// }
    /// let targets = vec![("svc".to_owned(), Node::standard(&PipelineOptions::new()))];
    /// let mut campaign = Campaign::new(CampaignOptions::new(), targets)?;
    /// let mut driver = BlockingDriver { metrics: &mut host, deployments: &mut deploy,
    ///     compliance: &mut compliance, clock: &mut clock };
    /// driver.run(&mut campaign, &NoJudge)?;
    /// // Without a judge there is no evidence: the target asks a human, and is not promoted.
    /// assert_eq!(campaign.target("svc").unwrap().status(), TargetStatus::Review);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn run<S: Step>(
        &mut self,
        campaign: &mut Campaign<S>,
        services: &dyn Services,
    ) -> Result<RunStats> {
        self.run_observed(campaign, services, |_, _| {})
    }

    /// [`BlockingDriver::run`], calling `observe` whenever the clock is about to move to the
    /// next timer (for progress reports).
    ///
    /// # Errors
    /// As [`BlockingDriver::run`].
    pub fn run_observed<S: Step>(
        &mut self,
        campaign: &mut Campaign<S>,
        services: &dyn Services,
        mut observe: impl FnMut(&Campaign<S>, &RunStats),
    ) -> Result<RunStats> {
        let mut stats = RunStats::default();
        let mut queue: VecDeque<Action> = campaign.start(self.clock.now(), services)?.into();
        let mut timers: BinaryHeap<Reverse<Due>> = BinaryHeap::new();
        let mut tick = 0u64;
        loop {
            let action = match queue.pop_front() {
                Some(a) => a,
                None => match timers.pop() {
                    Some(Reverse(Due(at, _, a))) => {
                        if at > self.clock.now() {
                            stats.ended_at = self.clock.now();
                            observe(campaign, &stats);
                        }
                        self.clock.sleep_until(at);
                        let e = Event::answer(&a, self.clock.now().max(at), EventKind::TimerFired);
                        stats.events += 1;
                        queue.extend(campaign.handle(&e, services)?.actions);
                        continue;
                    }
                    None => break,
                },
            };
            stats.actions += 1;
            if let ActionKind::StartTimer { at } = action.kind {
                tick += 1;
                timers.push(Reverse(Due(at, tick, action)));
                continue;
            }
            let Some(kind) = self.perform(&action) else {
                continue;
            };
            let e = Event::answer(&action, self.clock.now(), kind);
            stats.events += 1;
            queue.extend(campaign.handle(&e, services)?.actions);
        }
        stats.ended_at = self.clock.now();
        Ok(stats)
    }

    fn perform(&mut self, a: &Action) -> Option<EventKind> {
        let t = a.target.as_str();
        let result = match &a.kind {
            ActionKind::DeployCanary => self
                .deployments
                .perform(t, DeployOp::DeployCanary, &a.key)
                .map(|()| EventKind::Done),
            ActionKind::ShiftTraffic { percent } => self
                .deployments
                .perform(t, DeployOp::ShiftTraffic(*percent), &a.key)
                .map(|()| EventKind::Done),
            ActionKind::Promote => self
                .deployments
                .perform(t, DeployOp::Promote, &a.key)
                .map(|()| EventKind::Done),
            ActionKind::RollBack => self
                .deployments
                .perform(t, DeployOp::RollBack, &a.key)
                .map(|()| EventKind::Done),
            ActionKind::FetchMetrics { window } => self
                .metrics
                .fetch(t, window, &a.key)
                .map(|pairs| EventKind::Metrics { pairs }),
            ActionKind::CheckCompliance { checks } => self
                .compliance
                .check(t, checks, &a.key)
                .map(|results| EventKind::Compliance { results }),
            ActionKind::OpenReview { reason } => {
                match self.deployments.open_review(t, reason, &a.key) {
                    Ok(None) => return None,
                    Ok(Some(decision)) => Ok(EventKind::Human { decision }),
                    Err(e) => Err(e),
                }
            }
            ActionKind::StartTimer { .. } => return None,
        };
        Some(result.unwrap_or_else(|e| EventKind::HostError {
            timed_out: timed_out(&e),
            message: e.to_string(),
        }))
    }
}

/// A timer in the driver's queue, ordered by due time, then by issue order.
struct Due(Millis, u64, Action);

impl PartialEq for Due {
    fn eq(&self, other: &Due) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Due) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Due) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}
