//! Property tests of the orchestration engine over random event orders, duplicates, host
//! faults, lost answers and restarts from persisted state.

use std::collections::BTreeSet;

use canary_analysis::confidence::{CanarySignal, CanaryVerdict, ConfidenceOptions, SignalKind};
use canary_analysis::judge::Verdict;
use canary_analysis::metrics::MetricPair;
use canary_analysis::orchestrate::*;
use proptest::prelude::*;

/// A judge whose verdict is written in the data: the first pair's name. Deterministic in the
/// event's content, so replays see the same judgements.
struct NameJudge;

impl Validator for NameJudge {
    fn validate(&self, pairs: &[MetricPair]) -> canary_analysis::Result<Judgement> {
        let name = pairs.first().map_or("none", |p| p.metric());
        let (verdict, cv, score) = match name {
            "Pass" => (Verdict::Pass, CanaryVerdict::Pass, 100.0),
            "Marginal" => (Verdict::Marginal, CanaryVerdict::Marginal, 80.0),
            "Fail" => (Verdict::Fail, CanaryVerdict::Fail, 20.0),
            _ => {
                return Err(canary_analysis::Error::InvalidSample {
                    metric: name.into(),
                    reason: "no data".into(),
                });
            }
        };
        Ok(Judgement {
            verdict,
            score,
            coverage: 1.0,
            summary: name.into(),
            signal: CanarySignal::new(cv, score, 1.0)?,
        })
    }
}

struct TestServices(ConfidenceOptions);

impl Services for TestServices {
    fn validator(&self, _: &str) -> Option<&dyn Validator> {
        Some(&NameJudge)
    }
    fn confidence(&self, _: &str) -> Option<&dyn ConfidenceModel> {
        Some(&self.0)
    }
}

fn services() -> TestServices {
    TestServices(
        ConfidenceOptions::new()
            .weight(SignalKind::Risk, 0.0)
            .weight(SignalKind::TrackRecord, 0.0),
    )
}

const CHECKS: [&str; 2] = ["cve", "approval"];

fn pipeline(looks: u32) -> Node {
    Node::standard(
        &PipelineOptions::new()
            .bake_ms(60_000)
            .call_timeout_ms(120_000)
            .retry(RetryPolicy::new().attempts(3).backoff_ms(10_000))
            .compliance_checks(CHECKS.iter().map(|s| s.to_string()).collect())
            .validation(
                ValidationOptions::new()
                    .looks(looks)
                    .interval_ms(600_000)
                    .fetch_timeout_ms(60_000)
                    .fetch_attempts(3),
            ),
    )
}

fn verdict_name(v: u8) -> &'static str {
    match v % 4 {
        0 | 1 => "Pass",
        2 => "Marginal",
        _ => "Fail",
    }
}

fn status_of(v: u8) -> ComplianceStatus {
    match v % 5 {
        0..=2 => ComplianceStatus::Pass,
        3 => ComplianceStatus::Fail,
        _ => ComplianceStatus::Unknown,
    }
}

#[derive(Debug, Clone)]
struct Scenario {
    looks: u32,
    verdicts: Vec<u8>,
    compliance: [u8; 2],
    /// One choice per host move: which outstanding action, and what happens to it.
    moves: Vec<(u16, u8)>,
    human: Option<bool>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        1u32..4,
        prop::collection::vec(any::<u8>(), 3),
        any::<[u8; 2]>(),
        prop::collection::vec((0u16..u16::MAX, any::<u8>()), 0..200),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(looks, verdicts, compliance, moves, human)| Scenario {
            looks,
            verdicts,
            compliance,
            moves,
            human,
        })
}

/// The answer a healthy host gives to `a`.
fn good_answer(s: &Scenario, a: &Action) -> Option<EventKind> {
    Some(match &a.kind {
        ActionKind::FetchMetrics { window } => {
            let name = verdict_name(s.verdicts[(window.look as usize - 1) % s.verdicts.len()]);
            EventKind::Metrics {
                pairs: vec![
                    MetricPair::from_values(
                        name,
                        vec![1.0; window.look as usize],
                        vec![1.0; window.look as usize],
                    )
                    .expect("named pair"),
                ],
            }
        }
        ActionKind::CheckCompliance { checks } => EventKind::Compliance {
            results: checks
                .iter()
                .enumerate()
                .map(|(i, c)| (c.clone(), status_of(s.compliance[i % 2])))
                .collect(),
        },
        ActionKind::OpenReview { .. } => EventKind::Human {
            decision: HumanDecision {
                approve: s.human?,
                by: "tester".into(),
                note: String::new(),
            },
        },
        ActionKind::StartTimer { .. } => EventKind::TimerFired,
        _ => EventKind::Done,
    })
}

struct Run {
    target: Target,
    accepted: Vec<Event>,
    issued: Vec<ActionKey>,
    promote_issued: bool,
    human_approved: bool,
    restarts: u32,
}

fn run(s: &Scenario) -> Run {
    let sv = services();
    let mut t = Target::new("svc", pipeline(s.looks));
    let mut now = 0;
    let mut pool: Vec<Action> = Vec::new();
    let mut r = Run {
        target: t.clone(),
        accepted: Vec::new(),
        issued: Vec::new(),
        promote_issued: false,
        human_approved: false,
        restarts: 0,
    };
    let start = Event::start("svc", now);
    let h = t.handle(&start, &sv).unwrap();
    r.accepted.push(start);
    let take = |h: Handled, pool: &mut Vec<Action>, r: &mut Run| {
        for a in h.actions {
            r.issued.push(a.key.clone());
            r.promote_issued |= a.kind == ActionKind::Promote;
            pool.push(a);
        }
    };
    take(h, &mut pool, &mut r);
    let mut moves = s
        .moves
        .iter()
        .copied()
        .chain(std::iter::repeat((u16::MAX, 15)));
    let mut steps = 0;
    while !pool.is_empty() {
        steps += 1;
        assert!(steps < 10_000, "the engine does not converge");
        let (pick, what) = moves.next().unwrap();
        // `u16::MAX`: an on-time host (calls answered at once, then the earliest timer);
        // anything else picks an outstanding action regardless of time.
        let i = if pick == u16::MAX {
            let at = |a: &Action| match a.kind {
                ActionKind::StartTimer { at } => at,
                _ => Millis::MIN,
            };
            (0..pool.len()).min_by_key(|&j| (at(&pool[j]), j)).unwrap()
        } else {
            pick as usize % pool.len()
        };
        let a = pool.swap_remove(i);
        if let ActionKind::StartTimer { at } = a.kind {
            now = now.max(at);
        } else {
            now += 1_000;
        }
        let is_timer = matches!(a.kind, ActionKind::StartTimer { .. });
        let kind = match what % 16 {
            // A lost answer (never for timers: the clock is reliable).
            0 if !is_timer => None,
            1 if !is_timer => Some(EventKind::HostError {
                message: "boom".into(),
                timed_out: false,
            }),
            2 if !is_timer => Some(EventKind::HostError {
                message: "slow".into(),
                timed_out: true,
            }),
            _ => good_answer(s, &a),
        };
        let Some(kind) = kind else { continue };
        if let EventKind::Human { decision } = &kind {
            r.human_approved |= decision.approve;
        }
        let e = Event::answer(&a, now, kind);
        let copies = if what % 16 == 3 { 2 } else { 1 };
        for _ in 0..copies {
            let h = t.handle(&e, &sv).unwrap();
            if h.accepted {
                r.accepted.push(e.clone());
            }
            take(h, &mut pool, &mut r);
        }
        // A late duplicate of an old answer.
        if what % 16 == 4 && r.accepted.len() > 2 {
            let old = r.accepted[r.accepted.len() / 2].clone();
            let h = t.handle(&old, &sv).unwrap();
            assert!(
                !h.accepted && h.actions.is_empty(),
                "a replayed old event changed the state"
            );
        }
        // A restart from the persisted state.
        if what % 16 == 5 {
            let json = serde_json::to_string(&t).unwrap();
            let back: Target = serde_json::from_str(&json).unwrap();
            assert_eq!(back, t, "state does not survive serialization");
            t = back;
            r.restarts += 1;
        }
    }
    r.target = t;
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn engine_is_safe_under_faults_reorders_duplicates_and_restarts(s in scenario()) {
        let r = run(&s);
        let t = &r.target;
        // Every target ends in a terminal or review state.
        prop_assert!(t.status().is_settled(), "status {:?}", t.status());
        // No promotion without passing evidence.
        let last = verdict_name(s.verdicts[(s.looks as usize - 1) % s.verdicts.len()]);
        let early_fail = (0..s.looks as usize - 1)
            .any(|i| verdict_name(s.verdicts[i % s.verdicts.len()]) == "Fail");
        let compliant = s.compliance.iter().all(|&c| status_of(c) == ComplianceStatus::Pass);
        let evidence = last == "Pass" && !early_fail && compliant;
        if r.promote_issued {
            prop_assert!(evidence || r.human_approved, "promoted without evidence: {:?}", t.audit());
        }
        if t.status() == TargetStatus::Promoted {
            prop_assert!(t.facts().promotion_evidence().is_ok());
            if !r.human_approved {
                let v = t.facts().validation.as_ref().unwrap();
                prop_assert_eq!(v.looks, v.horizon);
            }
        }
        if !evidence && !r.human_approved {
            prop_assert_ne!(t.status(), TargetStatus::Promoted);
        }
        // No action key issued twice, restarts included.
        let unique: BTreeSet<&ActionKey> = r.issued.iter().collect();
        prop_assert_eq!(unique.len(), r.issued.len());
        // Replaying the accepted events rebuilds the same state exactly.
        let again = Target::replay("svc", pipeline(s.looks), &r.accepted, &services()).unwrap();
        prop_assert_eq!(&again, t);
    }
}

#[test]
fn a_healthy_target_is_promoted_after_its_whole_horizon() {
    let s = Scenario {
        looks: 3,
        verdicts: vec![0, 0, 0],
        compliance: [0, 0],
        moves: Vec::new(),
        human: None,
    };
    let r = run(&s);
    assert_eq!(
        r.target.status(),
        TargetStatus::Promoted,
        "{:#?}",
        r.target.audit()
    );
    let v = r.target.facts().validation.as_ref().unwrap();
    assert_eq!((v.looks, v.horizon, v.passed), (3, 3, true));
}

#[test]
fn a_failing_look_rolls_back_early_and_a_marginal_one_asks_a_human() {
    let fail = Scenario {
        looks: 3,
        verdicts: vec![3, 0, 0],
        compliance: [0, 0],
        moves: Vec::new(),
        human: None,
    };
    let r = run(&fail);
    assert_eq!(r.target.status(), TargetStatus::RolledBack);
    assert!(r.target.facts().validation.as_ref().unwrap().stopped_early);
    let marginal = Scenario {
        verdicts: vec![0, 0, 2],
        ..fail.clone()
    };
    let r = run(&marginal);
    assert_eq!(r.target.status(), TargetStatus::Review);
    let approved = Scenario {
        human: Some(true),
        ..marginal
    };
    assert_eq!(run(&approved).target.status(), TargetStatus::Promoted);
}

#[test]
fn a_failed_compliance_check_blocks_and_removes_the_canary() {
    let s = Scenario {
        looks: 1,
        verdicts: vec![0],
        compliance: [0, 3],
        moves: Vec::new(),
        human: None,
    };
    let r = run(&s);
    assert_eq!(r.target.status(), TargetStatus::Blocked);
    assert!(r.target.facts().rolled_back && !r.target.facts().promoted);
}

#[test]
fn the_failure_budget_halts_a_campaign_and_counts_the_rest_not_started() {
    let ids: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let mut c = Coordinator::new(CampaignOptions::new().failure_budget(0.3), ids).unwrap();
    assert_eq!(c.admit(0), vec!["t0".to_owned()]);
    // Wave 1 is one target: its failure is over the budget.
    assert!(
        c.settled("t0", TargetStatus::RolledBack, 5)
            .unwrap()
            .is_empty()
    );
    assert!(c.halted().is_some());
    let s = c.summary();
    assert_eq!((s.rolled_back, s.not_started), (1, 99));
    assert!(c.is_finished());
    // A budget of 1 never halts.
    let ids: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let mut c = Coordinator::new(CampaignOptions::new().failure_budget(1.0), ids).unwrap();
    c.admit(0);
    assert_eq!(
        c.settled("t0", TargetStatus::RolledBack, 5).unwrap().len(),
        9
    );
}
