//! Campaigns: one change across many targets, in waves, with a concurrency limit and a failure
//! budget.
//!
//! [`Coordinator`] is the campaign's own small state machine: it knows the order of the
//! targets, the waves, which targets run, and each target's status; it never sees a metric.
//! It answers "which targets start now" when the campaign starts and whenever a target settles.
//! A durable host runs each [`Target`] in its own workflow and the coordinator in a parent one;
//! [`Campaign`] is the in-process pairing of both.
//!
//! Rules:
//! - waves are cumulative shares of the targets, in order (default 1%, 10%, 50%, 100%); wave
//!   `k` starts when every target of wave `k-1` has settled (terminal or review);
//! - at most `concurrency` targets run at once;
//! - the **failure budget** `B`: when more than `B` of a wave's targets have failed (rolled back
//!   or blocked), the campaign halts: no further target starts, running targets finish, and the
//!   targets never started stay `not_started`. `B = 1` never halts.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Millis;
use super::engine::{Handled, Target, TargetStatus};
use super::event::{Action, Event};
use super::step::{AuditEntry, Services, Step};
use crate::error::{Error, Result};

/// Options of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignOptions {
    waves: Vec<f64>,
    concurrency: usize,
    failure_budget: f64,
}

/// The default failure budget: a wave in which more than 30% of the targets fail halts the
/// campaign.
pub const DEFAULT_FAILURE_BUDGET: f64 = 0.3;

impl Default for CampaignOptions {
    fn default() -> Self {
        CampaignOptions {
            waves: vec![0.01, 0.10, 0.50, 1.0],
            concurrency: 100,
            failure_budget: DEFAULT_FAILURE_BUDGET,
        }
    }
}

impl CampaignOptions {
    /// Waves 1%, 10%, 50%, 100%; 100 targets at once; failure budget
    /// [`DEFAULT_FAILURE_BUDGET`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::CampaignOptions;
    /// let o = CampaignOptions::new().concurrency(10).failure_budget(1.0);
    /// assert_eq!(o.get_concurrency(), 10);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Cumulative wave shares, increasing, the last 1 (validated by [`Coordinator::new`]).
    pub fn waves(mut self, waves: Vec<f64>) -> Self {
        self.waves = waves;
        self
    }
    /// Targets running at once (validated: at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }
    /// Share of failed targets in a wave that halts the campaign, in [0, 1].
    pub fn failure_budget(mut self, b: f64) -> Self {
        self.failure_budget = b;
        self
    }
    /// Targets running at once.
    pub fn get_concurrency(&self) -> usize {
        self.concurrency
    }
    /// The failure budget.
    pub fn get_failure_budget(&self) -> f64 {
        self.failure_budget
    }

    fn validate(&self) -> Result<()> {
        if self.concurrency == 0 {
            return Err(Error::param("concurrency", 0, "must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.failure_budget) {
            return Err(Error::param(
                "failure_budget",
                self.failure_budget,
                "must lie in [0, 1]",
            ));
        }
        let ok = !self.waves.is_empty()
            && self.waves.windows(2).all(|w| w[0] < w[1])
            && self.waves[0] > 0.0
            && *self.waves.last().unwrap_or(&0.0) == 1.0;
        if !ok {
            return Err(Error::param(
                "waves",
                format!("{:?}", self.waves),
                "cumulative shares, increasing, in (0, 1], the last 1",
            ));
        }
        Ok(())
    }
}

/// Counts of targets per status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// All targets.
    pub targets: usize,
    /// Promoted.
    pub promoted: usize,
    /// Rolled back.
    pub rolled_back: usize,
    /// In review.
    pub review: usize,
    /// Blocked.
    pub blocked: usize,
    /// Never started.
    pub not_started: usize,
    /// Still running.
    pub running: usize,
}

/// An id index that is not state: equal whatever it holds, rebuilt on demand.
#[derive(Debug, Clone, Default)]
struct Index(HashMap<String, usize>);

impl PartialEq for Index {
    fn eq(&self, _: &Index) -> bool {
        true
    }
}

/// The campaign's coordinator: waves, concurrency, failure budget, statuses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coordinator {
    opts: CampaignOptions,
    ids: Vec<String>,
    /// Index of each id (rebuilt from `ids` after deserialization).
    #[serde(skip)]
    position: Index,
    status: Vec<TargetStatus>,
    wave_ends: Vec<usize>,
    /// Per wave: targets settled, targets failed (kept so that each update is O(log waves)).
    wave_settled: Vec<usize>,
    wave_failed: Vec<usize>,
    wave: usize,
    next: usize,
    running: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    halted: Option<String>,
    audit: Vec<AuditEntry>,
}

impl Coordinator {
    /// A coordinator over `ids`, in the order they will start.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid options or a duplicate id.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{CampaignOptions, Coordinator, TargetStatus};
    /// let ids: Vec<String> = (0..200).map(|i| format!("svc-{i}")).collect();
    /// let mut c = Coordinator::new(CampaignOptions::new(), ids)?;
    /// assert_eq!(c.admit(0), vec!["svc-0".to_owned(), "svc-1".to_owned()]); // wave 1: 1%
    /// let next = c.settled("svc-0", TargetStatus::Promoted, 10)?;
    /// assert!(next.is_empty()); // svc-1 still runs
    /// let next = c.settled("svc-1", TargetStatus::Promoted, 20)?;
    /// assert_eq!(next.len(), 18); // wave 2: up to 10%
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(opts: CampaignOptions, ids: Vec<String>) -> Result<Self> {
        opts.validate()?;
        let mut position = Index(HashMap::with_capacity(ids.len()));
        for (i, id) in ids.iter().enumerate() {
            if position.0.insert(id.clone(), i).is_some() {
                return Err(Error::param(
                    "target",
                    crate::error::quote(id),
                    "duplicate target id",
                ));
            }
        }
        let n = ids.len();
        let mut wave_ends: Vec<usize> = opts
            .waves
            .iter()
            .map(|s| ((s * n as f64).ceil() as usize).clamp(1.min(n), n))
            .collect();
        wave_ends.dedup();
        let waves = wave_ends.len();
        Ok(Coordinator {
            wave_settled: vec![0; waves],
            wave_failed: vec![0; waves],
            opts,
            status: vec![TargetStatus::NotStarted; n],
            ids,
            position,
            wave_ends,
            wave: 0,
            next: 0,
            running: 0,
            halted: None,
            audit: Vec::new(),
        })
    }

    /// The targets to start now (call at the start, and after each [`Coordinator::settled`]
    /// through its return value).
    pub fn admit(&mut self, now: Millis) -> Vec<String> {
        let mut out = Vec::new();
        if self.halted.is_some() {
            return out;
        }
        loop {
            let Some(&end) = self.wave_ends.get(self.wave) else {
                return out;
            };
            while self.next < end && self.running < self.opts.concurrency {
                if self.next == self.wave_start() {
                    self.note(
                        now,
                        format!(
                            "wave {} started: targets {}..{}",
                            self.wave + 1,
                            self.next + 1,
                            end
                        ),
                    );
                }
                self.status[self.next] = TargetStatus::Running;
                self.running += 1;
                out.push(self.ids[self.next].clone());
                self.next += 1;
            }
            let wave_done =
                self.next == end && self.wave_settled[self.wave] == end - self.wave_start();
            if !wave_done {
                return out;
            }
            self.note(now, format!("wave {} settled", self.wave + 1));
            self.wave += 1;
        }
    }

    fn wave_start(&self) -> usize {
        if self.wave == 0 {
            0
        } else {
            self.wave_ends[self.wave - 1]
        }
    }

    fn note(&mut self, at: Millis, what: String) {
        self.audit.push(AuditEntry {
            at,
            step: "campaign".into(),
            what,
        });
    }

    /// The index of `id` (the index is rebuilt after deserialization).
    pub(crate) fn index_of(&mut self, id: &str) -> Option<usize> {
        if self.position.0.len() != self.ids.len() {
            self.position.0 = self
                .ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect();
        }
        self.position.0.get(id).copied()
    }

    fn find(&self, id: &str) -> Option<usize> {
        if self.position.0.len() == self.ids.len() {
            self.position.0.get(id).copied()
        } else {
            self.ids.iter().position(|x| x == id)
        }
    }

    /// Records that `id` now has `status`; returns the targets to start.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown id.
    pub fn settled(&mut self, id: &str, status: TargetStatus, now: Millis) -> Result<Vec<String>> {
        let i = self.index_of(id).ok_or_else(|| {
            Error::param("target", crate::error::quote(id), "not in this campaign")
        })?;
        let before = self.status[i];
        if before == status {
            return Ok(Vec::new());
        }
        if before == TargetStatus::Running && status.is_settled() {
            self.running -= 1;
        } else if before.is_settled() && status == TargetStatus::Running {
            self.running += 1;
        }
        self.status[i] = status;
        // The budget is checked on the wave this target belongs to.
        let wave = self.wave_ends.partition_point(|&e| e <= i);
        let start = if wave == 0 {
            0
        } else {
            self.wave_ends[wave - 1]
        };
        let size = self.wave_ends[wave] - start;
        let one = |b: bool| usize::from(b);
        self.wave_settled[wave] =
            self.wave_settled[wave] + one(status.is_settled()) - one(before.is_settled());
        self.wave_failed[wave] =
            self.wave_failed[wave] + one(status.is_failure()) - one(before.is_failure());
        let failed = self.wave_failed[wave];
        if self.halted.is_none() && failed as f64 > self.opts.failure_budget * size as f64 {
            let why = format!(
                "wave {}: {failed} of {size} targets failed, over the failure budget {}",
                wave + 1,
                self.opts.failure_budget
            );
            self.note(now, format!("campaign halted: {why}"));
            self.halted = Some(why);
        }
        Ok(self.admit(now))
    }

    /// The targets of each wave, as index ranges into the ids in start order (a durable host
    /// that runs each wave as its own workflow partitions the targets with these).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::{CampaignOptions, Coordinator};
    /// let ids: Vec<String> = (0..300).map(|i| format!("svc-{i}")).collect();
    /// let c = Coordinator::new(CampaignOptions::new(), ids)?;
    /// assert_eq!(c.wave_ranges(), vec![0..3, 3..30, 30..150, 150..300]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn wave_ranges(&self) -> Vec<std::ops::Range<usize>> {
        let mut start = 0;
        self.wave_ends
            .iter()
            .map(|&end| {
                let r = start..end;
                start = end;
                r
            })
            .collect()
    }

    /// Why the campaign halted, if it did.
    pub fn halted(&self) -> Option<&str> {
        self.halted.as_deref()
    }

    /// The status of every target, in order.
    pub fn statuses(&self) -> impl Iterator<Item = (&str, TargetStatus)> + '_ {
        self.ids
            .iter()
            .map(String::as_str)
            .zip(self.status.iter().copied())
    }

    /// Counts per status.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            targets: self.ids.len(),
            ..Summary::default()
        };
        for st in &self.status {
            match st {
                TargetStatus::NotStarted => s.not_started += 1,
                TargetStatus::Running => s.running += 1,
                TargetStatus::Review => s.review += 1,
                TargetStatus::Promoted => s.promoted += 1,
                TargetStatus::RolledBack => s.rolled_back += 1,
                _ => s.blocked += 1,
            }
        }
        s
    }

    /// The campaign's audit trail (waves, halts).
    pub fn audit(&self) -> &[AuditEntry] {
        &self.audit
    }

    /// Whether nothing runs and nothing more will start.
    pub fn is_finished(&self) -> bool {
        self.running == 0 && (self.halted.is_some() || self.next == self.ids.len())
    }
}

/// A campaign in one process: the coordinator and every target's engine.
///
/// # Example
/// ```
/// use canary_analysis::orchestrate::*;
/// # struct NoServices;
/// # impl Services for NoServices {
/// #     fn validator(&self, _: &str) -> Option<&dyn Validator> { None }
/// #     fn confidence(&self, _: &str) -> Option<&dyn ConfidenceModel> { None }
/// # }
/// let targets = (0..3).map(|i| (format!("svc-{i}"), Node::from(Bake::new(1_000)))).collect();
/// let mut c = Campaign::new(CampaignOptions::new().waves(vec![1.0]), targets)?;
/// let actions = c.start(0, &NoServices)?;
/// assert_eq!(actions.len(), 3); // three bake timers
/// for a in &actions {
///     c.handle(&Event::answer(a, 1_000, EventKind::TimerFired), &NoServices)?;
/// }
/// assert!(c.is_finished());
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign<S = super::Node> {
    coordinator: Coordinator,
    targets: Vec<Target<S>>,
}

impl<S: Step> Campaign<S> {
    /// A campaign over `targets` (id and pipeline), started in this order.
    ///
    /// # Errors
    /// As [`Coordinator::new`].
    pub fn new(opts: CampaignOptions, targets: Vec<(String, S)>) -> Result<Self> {
        let ids = targets.iter().map(|(id, _)| id.clone()).collect();
        let coordinator = Coordinator::new(opts, ids)?;
        let targets = targets
            .into_iter()
            .map(|(id, s)| Target::new(&id, s))
            .collect();
        Ok(Campaign {
            coordinator,
            targets,
        })
    }

    /// Starts the first wave.
    ///
    /// # Errors
    /// As [`Target::handle`].
    pub fn start(&mut self, now: Millis, services: &dyn Services) -> Result<Vec<Action>> {
        let ids = self.coordinator.admit(now);
        let mut out = Vec::new();
        self.start_all(ids, now, services, &mut out)?;
        Ok(out)
    }

    fn start_all(
        &mut self,
        mut ids: Vec<String>,
        now: Millis,
        services: &dyn Services,
        out: &mut Vec<Action>,
    ) -> Result<()> {
        // Starting a target can settle it at once (and admit more): iterate, never recurse.
        while let Some(id) = ids.pop() {
            let i = self.coordinator.index_of(&id).ok_or_else(|| {
                Error::param("target", crate::error::quote(&id), "not in this campaign")
            })?;
            let h = self.targets[i].handle(&Event::start(&id, now), services)?;
            out.extend(h.actions);
            let st = self.targets[i].status();
            if st != TargetStatus::Running {
                ids.extend(self.coordinator.settled(&id, st, now)?);
            }
        }
        Ok(())
    }

    /// Handles one event of one target, and starts the targets the coordinator admits.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an event of an unknown target.
    pub fn handle(&mut self, event: &Event, services: &dyn Services) -> Result<Handled> {
        let i = self.coordinator.index_of(&event.target).ok_or_else(|| {
            Error::param(
                "event.target",
                crate::error::quote(&event.target),
                "not in this campaign",
            )
        })?;
        let mut h = self.targets[i].handle(event, services)?;
        let st = self.targets[i].status();
        if h.accepted && st != self.coordinator.status[i] {
            let ids = self.coordinator.settled(&event.target, st, event.at)?;
            self.start_all(ids, event.at, services, &mut h.actions)?;
        }
        Ok(h)
    }

    /// The coordinator.
    pub fn coordinator(&self) -> &Coordinator {
        &self.coordinator
    }

    /// The targets, in order.
    pub fn targets(&self) -> &[Target<S>] {
        &self.targets
    }

    /// The target `id`.
    pub fn target(&self, id: &str) -> Option<&Target<S>> {
        self.coordinator.find(id).map(|i| &self.targets[i])
    }

    /// Counts per status.
    pub fn summary(&self) -> Summary {
        self.coordinator.summary()
    }

    /// Whether nothing runs and nothing more will start.
    pub fn is_finished(&self) -> bool {
        self.coordinator.is_finished()
    }
}
