//! The workflows: one per target driving the crate's engine, one per wave running a
//! [`Coordinator`] over the wave's targets, and the campaign running the waves in order.
//!
//! Workflow code is deterministic: the engine is a pure state machine, the judge a pure
//! function, the clock the simulation's own (advanced by durable timers), so Temporal's replay
//! of a history rebuilds the same engine state and issues the same commands with the same
//! idempotency keys.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use canary_analysis::confidence::ConfidenceOptions;
use canary_analysis::judge::DefaultJudge;
use canary_analysis::judge::config::{CanaryConfig, Thresholds};
use canary_analysis::orchestrate::{
    Action, ActionKind, CampaignOptions, ConfidenceModel, Coordinator, Event, EventKind,
    HumanDecision, Millis, Node, PipelineOptions, Services, Target, TargetStatus, Validator,
};
use serde::{Deserialize, Serialize};
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, ApplicationFailure, ChildWorkflowOptions, ParentClosePolicy,
    SignalWorkflowOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView,
    WorkflowResult,
};

use crate::host::SimHost;
use crate::sim;

/// The judge every target of a campaign is validated with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JudgeSpec {
    /// A Kayenta canary config.
    pub config: serde_json::Value,
    /// Pass threshold, 0-100.
    pub pass: f64,
    /// Marginal threshold, 0-100.
    pub marginal: f64,
}

/// One target of a campaign.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetSpec {
    /// Target id (also in its workflow id and its action keys).
    pub id: String,
    /// Index of its standard pipeline's options in the campaign's (or wave's) `pipelines`:
    /// targets share a handful of pipelines, so the campaign's input stays small.
    pub pipeline: usize,
}

/// The input of a target workflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetInput {
    /// Target id.
    pub id: String,
    /// Its standard pipeline's options.
    pub pipeline: PipelineOptions,
    /// The judge.
    pub judge: JudgeSpec,
    /// Real seconds per simulated second for durable timers (e.g. 1/3600: a 15-minute bake
    /// takes 0.25 s).
    pub time_scale: f64,
    /// The wave workflow to tell when the target settles.
    pub parent: Option<String>,
}

/// What a target workflow returns: the final status and the engine's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetResult {
    /// Target id.
    pub id: String,
    /// Final status.
    pub status: TargetStatus,
    /// The engine's state (the crate's serialized [`Target`]).
    pub state: serde_json::Value,
}

/// A target's status change, signalled to its wave.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settled {
    /// Target id.
    pub id: String,
    /// Its status.
    pub status: TargetStatus,
}

/// The input of a wave workflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaveInput {
    /// 1-based wave number.
    pub wave: usize,
    /// The wave's targets, in start order.
    pub targets: Vec<TargetSpec>,
    /// The distinct pipelines the targets name.
    pub pipelines: Vec<PipelineOptions>,
    /// The judge.
    pub judge: JudgeSpec,
    /// Targets running at once.
    pub concurrency: usize,
    /// The failure budget of the wave.
    pub failure_budget: f64,
    /// See [`TargetInput::time_scale`].
    pub time_scale: f64,
    /// Prefix of the target workflow ids (`<prefix>-<target>`).
    pub prefix: String,
}

/// What a wave returns.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WaveResult {
    /// Status of each of the wave's targets when the wave settled.
    pub statuses: Vec<(String, TargetStatus)>,
    /// Why the campaign halted, if this wave exhausted the failure budget.
    pub halted: Option<String>,
}

/// The input of a campaign workflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CampaignInput {
    /// Targets, in start order.
    pub targets: Vec<TargetSpec>,
    /// The distinct pipelines the targets name.
    pub pipelines: Vec<PipelineOptions>,
    /// The judge.
    pub judge: JudgeSpec,
    /// Waves, concurrency, failure budget.
    pub options: CampaignOptions,
    /// See [`TargetInput::time_scale`].
    pub time_scale: f64,
}

/// What a campaign returns.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CampaignResult {
    /// Every target's status when its wave settled, in start order (`not_started` after a
    /// halt).
    pub statuses: Vec<(String, TargetStatus)>,
    /// Why the campaign halted, if it did.
    pub halted: Option<String>,
    /// Waves run.
    pub waves: usize,
}

fn failure(e: impl std::fmt::Display) -> ApplicationFailure {
    ApplicationFailure::non_retryable(e.to_string())
}

/// The judge and the confidence policy of a target, built from its input (a pure function, so
/// replay builds the same).
struct WfServices {
    judge: DefaultJudge,
    policy: ConfidenceOptions,
}

impl WfServices {
    fn new(spec: &JudgeSpec) -> canary_analysis::Result<WfServices> {
        let config = CanaryConfig::from_json(&spec.config.to_string())?;
        let thresholds = Thresholds::new(spec.pass, spec.marginal)?;
        Ok(WfServices {
            judge: DefaultJudge::new(config, thresholds)?,
            policy: sim::confidence_policy(),
        })
    }
}

impl Services for WfServices {
    fn validator(&self, _target: &str) -> Option<&dyn Validator> {
        Some(&self.judge)
    }
    fn confidence(&self, _target: &str) -> Option<&dyn ConfidenceModel> {
        Some(&self.policy)
    }
}

fn activity_options(a: &Action) -> ActivityOptions {
    // Transport-level retries (a worker that died mid-activity, a lost completion) are
    // Temporal's; host errors are answers, retried by the engine under new keys.
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
        .activity_id(a.key.as_str().to_owned())
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(200))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(5))
                .build(),
        )
        .build()
}

/// One target: the crate's engine driven as the blocking driver drives it (host actions in
/// issue order, timers by due time then issue order), with durable timers on a simulated clock
/// and reviews answered by the `decide` signal.
#[workflow]
#[derive(Default)]
pub struct TargetWorkflow {
    decision: Option<HumanDecision>,
}

#[workflow_methods]
impl TargetWorkflow {
    /// Runs the target to a terminal state (a target in review waits for `decide`).
    #[run(name = "CanaryTarget")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: TargetInput,
    ) -> WorkflowResult<TargetResult> {
        let services = WfServices::new(&input.judge).map_err(failure)?;
        let id = input.id.clone();
        let mut target = Target::new(&id, Node::standard(&input.pipeline));
        let mut now: Millis = 0;
        let mut queue: VecDeque<Action> = target
            .handle(&Event::start(&id, now), &services)
            .map_err(failure)?
            .actions
            .into();
        let mut timers: BTreeMap<(Millis, u64), Action> = BTreeMap::new();
        let mut tick = 0u64;
        let mut review: Option<Action> = None;
        let mut reported = TargetStatus::Running;
        loop {
            let status = target.status();
            if status != reported && status.is_settled() {
                reported = status;
                if let Some(parent) = &input.parent {
                    // A wave that has already settled no longer listens: not an error.
                    let _ = ctx
                        .external_workflow(parent.clone(), None)
                        .signal(
                            WaveWorkflow::settled,
                            Settled {
                                id: id.clone(),
                                status,
                            },
                            SignalWorkflowOptions::default(),
                        )
                        .await;
                }
            }
            let action = match queue.pop_front() {
                Some(a) => a,
                None => match timers.pop_first() {
                    Some(((at, _), a)) => {
                        if at > now {
                            let real = (at - now) as f64 / 1000.0 * input.time_scale;
                            ctx.timer(Duration::from_secs_f64(real.max(0.001))).await;
                            now = at;
                        }
                        let e = Event::answer(&a, now, EventKind::TimerFired);
                        queue.extend(target.handle(&e, &services).map_err(failure)?.actions);
                        continue;
                    }
                    None => match review.take() {
                        Some(a) if target.status() == TargetStatus::Review => {
                            ctx.wait_condition(|s| s.decision.is_some()).await?;
                            let decision = ctx
                                .state_mut(|s| s.decision.take())
                                .expect("waited for a decision");
                            let e = Event::answer(&a, now, EventKind::Human { decision });
                            queue.extend(target.handle(&e, &services).map_err(failure)?.actions);
                            continue;
                        }
                        _ => break,
                    },
                },
            };
            if let ActionKind::StartTimer { at } = action.kind {
                tick += 1;
                timers.insert((at, tick), action);
                continue;
            }
            let answer = ctx
                .execute_activity(SimHost::perform, action.clone(), activity_options(&action))
                .await?;
            match answer {
                Some(kind) => {
                    let e = Event::answer(&action, now, kind);
                    queue.extend(target.handle(&e, &services).map_err(failure)?.actions);
                }
                None => {
                    if matches!(action.kind, ActionKind::OpenReview { .. }) {
                        review = Some(action);
                    }
                }
            }
        }
        let state = serde_json::to_value(&target).map_err(failure)?;
        Ok(TargetResult {
            id,
            status: target.status(),
            state,
        })
    }

    /// A human's decision on a target in review.
    #[signal]
    pub fn decide(&mut self, _ctx: &mut SyncWorkflowContext<Self>, decision: HumanDecision) {
        self.decision = Some(decision);
    }

    /// Whether a decision is waiting to be taken in.
    #[query]
    pub fn pending_decision(&self, _ctx: &WorkflowContextView) -> bool {
        self.decision.is_some()
    }
}

/// One wave: a [`Coordinator`] over the wave's targets (concurrency limit, failure budget),
/// each target a child workflow that outlives the wave (a target in review waits for a human
/// after its wave has settled).
#[workflow]
#[derive(Default)]
pub struct WaveWorkflow {
    settled: VecDeque<Settled>,
}

#[workflow_methods]
impl WaveWorkflow {
    /// Runs the wave until every started target has settled.
    #[run(name = "CanaryWave")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: WaveInput,
    ) -> WorkflowResult<WaveResult> {
        let ids: Vec<String> = input.targets.iter().map(|t| t.id.clone()).collect();
        let opts = CampaignOptions::new()
            .waves(vec![1.0])
            .concurrency(input.concurrency)
            .failure_budget(input.failure_budget);
        let mut coordinator = Coordinator::new(opts, ids).map_err(failure)?;
        let by_id: HashMap<&str, &TargetSpec> =
            input.targets.iter().map(|t| (t.id.as_str(), t)).collect();
        let me = ctx.workflow_id().to_owned();
        let mut start = coordinator.admit(0);
        loop {
            for id in start.drain(..) {
                let spec = by_id[id.as_str()];
                let pipeline = input
                    .pipelines
                    .get(spec.pipeline)
                    .cloned()
                    .ok_or_else(|| failure(format!("{id}: no pipeline {}", spec.pipeline)))?;
                let child = TargetInput {
                    id: id.clone(),
                    pipeline,
                    judge: input.judge.clone(),
                    time_scale: input.time_scale,
                    parent: Some(me.clone()),
                };
                let opts = ChildWorkflowOptions::builder()
                    .workflow_id(format!("{}-{id}", input.prefix))
                    .parent_close_policy(ParentClosePolicy::Abandon)
                    .build();
                ctx.start_child_workflow(TargetWorkflow::run, child, opts)
                    .await?;
            }
            if coordinator.is_finished() {
                break;
            }
            ctx.wait_condition(|s| !s.settled.is_empty()).await?;
            let batch = ctx.state_mut(|s| std::mem::take(&mut s.settled));
            for s in batch {
                start.extend(coordinator.settled(&s.id, s.status, 0).map_err(failure)?);
            }
        }
        Ok(WaveResult {
            statuses: coordinator
                .statuses()
                .map(|(id, st)| (id.to_owned(), st))
                .collect(),
            halted: coordinator
                .halted()
                .map(|h| format!("wave {}: {h}", input.wave)),
        })
    }

    /// A target of the wave changed status.
    #[signal]
    pub fn settled(&mut self, _ctx: &mut SyncWorkflowContext<Self>, s: Settled) {
        self.settled.push_back(s);
    }
}

/// The campaign: its waves in order, each a child workflow; a wave over its failure budget
/// halts the campaign (later waves never start).
#[workflow]
#[derive(Default)]
pub struct CampaignWorkflow;

#[workflow_methods]
impl CampaignWorkflow {
    /// Runs the waves.
    #[run(name = "CanaryCampaign")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: CampaignInput,
    ) -> WorkflowResult<CampaignResult> {
        let ids: Vec<String> = input.targets.iter().map(|t| t.id.clone()).collect();
        let waves = Coordinator::new(input.options.clone(), ids.clone())
            .map_err(failure)?
            .wave_ranges();
        let me = ctx.workflow_id().to_owned();
        let mut statuses: Vec<(String, TargetStatus)> = ids
            .iter()
            .map(|id| (id.clone(), TargetStatus::NotStarted))
            .collect();
        let mut result = CampaignResult::default();
        for (w, range) in waves.into_iter().enumerate() {
            let wave = WaveInput {
                wave: w + 1,
                targets: input.targets[range.clone()].to_vec(),
                pipelines: input.pipelines.clone(),
                judge: input.judge.clone(),
                concurrency: input.options.get_concurrency(),
                failure_budget: input.options.get_failure_budget(),
                time_scale: input.time_scale,
                prefix: me.clone(),
            };
            let started = ctx
                .start_child_workflow(
                    WaveWorkflow::run,
                    wave,
                    ChildWorkflowOptions::workflow_id(format!("{me}-wave-{}", w + 1)),
                )
                .await?;
            let done = started.result().await?;
            result.waves += 1;
            for (k, (_, st)) in range.zip(done.statuses) {
                statuses[k].1 = st;
            }
            if done.halted.is_some() {
                result.halted = done.halted;
                break;
            }
        }
        result.statuses = statuses;
        Ok(result)
    }
}
