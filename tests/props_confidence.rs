//! Property tests of `confidence`: monotonicity (better evidence never lowers confidence or the
//! decision), a failed hard gate always blocks, a missing required signal never proceeds, an
//! inconclusive canary never proceeds, and serde round trips.
//!
//! The evidence order is the one the `confidence` module docs define. Random evidence `E` and a
//! random improvement `E' >= E` are built from a seed; the gate conditions used to decide
//! which absent/present transitions are improvements are written here from the docs, not read
//! from the implementation.

use canary_analysis::confidence::*;
use proptest::prelude::*;
use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const CHECKS: [&str; 3] = ["approval", "security scan", "unit tests"];
const HOSTS: [&str; 2] = ["load test", "error budget"];

fn policy(rng: &mut impl Rng) -> ConfidenceOptions {
    let mut o = ConfidenceOptions::new();
    for k in SignalKind::BUILT_IN {
        let w = if rng.random_bool(0.2) {
            0.0
        } else {
            rng.random_range(0.0..1.0)
        };
        o = o.weight(k.clone(), w);
        o = if rng.random_bool(0.4) {
            o.require(k)
        } else {
            o.optional(k)
        };
    }
    // Keep the total weight positive.
    o = o.weight(SignalKind::Canary, rng.random_range(0.05..1.0));
    for h in HOSTS {
        if rng.random_bool(0.6) {
            o = o.host_signal(h, rng.random_range(0.0..1.0), rng.random_bool(0.5));
            if rng.random_bool(0.4) {
                o = o.require(SignalKind::Host(h.into()));
            }
        }
    }
    if rng.random_bool(0.3) {
        o = o.require_check(CHECKS[rng.random_range(0..CHECKS.len())]);
    }
    let t = rng.random_range(0.0..1.0);
    let b = if rng.random_bool(0.5) {
        0.0
    } else {
        rng.random_range(0.0..=t)
    };
    o.proceed_threshold(t).block_below(b)
}

fn verdict(rng: &mut impl Rng) -> CanaryVerdict {
    [
        CanaryVerdict::Fail,
        CanaryVerdict::Marginal,
        CanaryVerdict::Pass,
    ][rng.random_range(0..3)]
}

fn status(rng: &mut impl Rng) -> CheckStatus {
    [CheckStatus::Fail, CheckStatus::Unknown, CheckStatus::Pass][rng.random_range(0..3)]
}

fn kind(rng: &mut impl Rng) -> ChangeKind {
    ChangeKind::ALL[rng.random_range(0..ChangeKind::ALL.len())]
}

fn canary(rng: &mut impl Rng) -> CanarySignal {
    let c = CanarySignal::new(
        verdict(rng),
        rng.random_range(0.0..=100.0),
        if rng.random_bool(0.3) {
            1.0
        } else {
            rng.random_range(0.0..=1.0)
        },
    )
    .unwrap();
    c.inconclusive(rng.random_bool(0.2))
}

fn sequential(rng: &mut impl Rng) -> SequentialSignal {
    let p = if rng.random_bool(0.3) {
        rng.random_range(0.0..0.1)
    } else {
        rng.random_range(0.0..=1.0)
    };
    SequentialSignal::from_p_value(p, 0.05)
        .unwrap()
        .complete(rng.random_bool(0.7))
}

fn risk(rng: &mut impl Rng) -> RiskSignal {
    RiskSignal::new(
        rng.random_range(0..5000),
        kind(rng),
        rng.random_range(0.0..=1.0),
    )
    .unwrap()
}

fn track(rng: &mut impl Rng) -> TrackRecord {
    TrackRecord::new(
        Outcomes::new(rng.random_range(0..60), rng.random_range(0..6)),
        Outcomes::new(rng.random_range(0..200), rng.random_range(0..10)),
    )
}

fn host_value(rng: &mut impl Rng) -> HostValue {
    match rng.random_range(0..3) {
        0 => HostValue::Fail,
        1 => HostValue::Pass,
        _ => HostValue::Score(rng.random_range(0.0..=1.0)),
    }
}

fn evidence(rng: &mut impl Rng, opts: &ConfidenceOptions) -> Signals {
    let mut s = Signals::new();
    if rng.random_bool(0.8) {
        s = s.canary(canary(rng));
    }
    if rng.random_bool(0.5) {
        s = s.sequential(sequential(rng));
    }
    if rng.random_bool(0.7) {
        for name in CHECKS {
            if rng.random_bool(0.7) {
                let c = ComplianceCheck::new(name, status(rng));
                s.compliance.push(ComplianceCheck {
                    hard_gate: rng.random_bool(0.5),
                    ..c
                });
            }
        }
    }
    if rng.random_bool(0.7) {
        s = s.risk(risk(rng));
    }
    if rng.random_bool(0.7) {
        s = s.track_record(track(rng));
    }
    for h in HOSTS {
        if opts.get_weight(&SignalKind::Host(h.into())).is_some() && rng.random_bool(0.6) {
            s = s.host(HostSignal::new(h, host_value(rng)).unwrap());
        }
    }
    s
}

// Gate conditions, from the module docs (default flags, min coverage 0.9, max blast 0.5,
// max failure rate 0.10, prior Beta(1, 19), similar weight 0.5).
fn canary_blocks(c: &CanarySignal) -> bool {
    c.verdict == CanaryVerdict::Fail
}
fn canary_gates(c: &CanarySignal) -> bool {
    c.verdict != CanaryVerdict::Pass || c.inconclusive || c.coverage < 0.9
}
fn sequential_blocks(s: &SequentialSignal) -> bool {
    s.p_value < s.alpha
}
fn sequential_gates(s: &SequentialSignal) -> bool {
    sequential_blocks(s) || !s.complete
}
fn risk_gates(r: &RiskSignal) -> bool {
    r.blast_radius > 0.5
}
fn track_gates(t: &TrackRecord) -> bool {
    let a = 1.0 + t.campaign.failed as f64 + 0.5 * t.similar.failed as f64;
    let b = 19.0 + t.campaign.succeeded as f64 + 0.5 * t.similar.succeeded as f64;
    a / (a + b) > 0.10
}

/// Whether a present value may replace an absent one as an improvement (see the docs' order).
fn absent_to_present_ok(required: bool, blocks: bool, gates: bool) -> bool {
    if required { !blocks } else { !gates }
}

fn improve_canary(rng: &mut impl Rng, c: &CanarySignal) -> CanarySignal {
    let mut d = c.clone();
    if rng.random_bool(0.5) {
        d.verdict = d.verdict.max(verdict(rng));
    }
    if rng.random_bool(0.5) {
        d.score = rng.random_range(d.score..=100.0);
    }
    if rng.random_bool(0.5) {
        d.coverage = rng.random_range(d.coverage..=1.0);
    }
    if rng.random_bool(0.3) {
        d.inconclusive = false;
    }
    d
}

fn improve(rng: &mut impl Rng, e: &Signals, opts: &ConfidenceOptions) -> Signals {
    let mut f = e.clone();
    let req = |k: SignalKind| opts.is_required(&k);
    // Canary.
    match &e.canary {
        Some(c) => {
            if canary_blocks(c) && rng.random_bool(0.2) {
                f.canary = None; // absent is above every blocking state
            } else {
                f.canary = Some(improve_canary(rng, c));
            }
        }
        None => {
            if rng.random_bool(0.5) {
                let c = canary(rng);
                if absent_to_present_ok(
                    req(SignalKind::Canary),
                    canary_blocks(&c),
                    canary_gates(&c),
                ) {
                    f.canary = Some(c);
                }
            }
        }
    }
    // Sequential.
    match &e.sequential {
        Some(s) => {
            if sequential_blocks(s) && rng.random_bool(0.2) {
                f.sequential = None;
            } else {
                let mut t = s.clone();
                if rng.random_bool(0.5) {
                    t.p_value = rng.random_range(t.p_value..=1.0);
                }
                if rng.random_bool(0.3) {
                    t.complete = true;
                }
                f.sequential = Some(t);
            }
        }
        None => {
            if rng.random_bool(0.5) {
                let s = sequential(rng);
                if absent_to_present_ok(
                    req(SignalKind::Sequential),
                    sequential_blocks(&s),
                    sequential_gates(&s),
                ) {
                    f.sequential = Some(s);
                }
            }
        }
    }
    // Compliance: raise statuses, same names and flags.
    for c in &mut f.compliance {
        if rng.random_bool(0.4) {
            c.status = c.status.max(status(rng));
        }
    }
    // Risk.
    match &e.risk {
        Some(r) => {
            let mut t = r.clone();
            if rng.random_bool(0.5) {
                t.size = rng.random_range(0..=t.size);
            }
            if rng.random_bool(0.5) {
                t.blast_radius = rng.random_range(0.0..=t.blast_radius);
            }
            if rng.random_bool(0.3) {
                // The default kind risks are increasing in declaration order.
                let k = kind(rng);
                t.kind = t.kind.min(k);
            }
            f.risk = Some(t);
        }
        None => {
            if rng.random_bool(0.5) {
                let r = risk(rng);
                if absent_to_present_ok(req(SignalKind::Risk), false, risk_gates(&r)) {
                    f.risk = Some(r);
                }
            }
        }
    }
    // Track record.
    match &e.track_record {
        Some(t) => {
            let mut u = *t;
            if rng.random_bool(0.5) {
                u.campaign.failed = rng.random_range(0..=u.campaign.failed);
            }
            if rng.random_bool(0.5) {
                u.campaign.succeeded += rng.random_range(0..30);
            }
            if rng.random_bool(0.5) {
                u.similar.failed = rng.random_range(0..=u.similar.failed);
            }
            if rng.random_bool(0.5) {
                u.similar.succeeded += rng.random_range(0..30);
            }
            f.track_record = Some(u);
        }
        None => {
            if rng.random_bool(0.5) {
                let t = track(rng);
                if absent_to_present_ok(req(SignalKind::TrackRecord), false, track_gates(&t)) {
                    f.track_record = Some(t);
                }
            }
        }
    }
    // Host signals.
    for h in &mut f.host {
        if rng.random_bool(0.5) {
            let better = match h.value {
                HostValue::Fail => host_value(rng),
                HostValue::Score(v) => {
                    if rng.random_bool(0.3) {
                        HostValue::Pass
                    } else {
                        HostValue::Score(rng.random_range(v..=1.0))
                    }
                }
                HostValue::Pass => HostValue::Pass,
                _ => h.value,
            };
            h.value = better;
        }
    }
    for name in HOSTS {
        let kind = SignalKind::Host(name.into());
        if opts.get_weight(&kind).is_some()
            && !f.host.iter().any(|h| h.name == name)
            && rng.random_bool(0.5)
        {
            // Absent to present: not a gate unless a critical `Fail`; never a gate otherwise.
            let v = host_value(rng);
            if v != HostValue::Fail {
                f.host.push(HostSignal::new(name, v).unwrap());
            }
        }
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn better_evidence_never_lowers_confidence_or_decision(seed in any::<u64>()) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let opts = policy(&mut rng);
        let e = evidence(&mut rng, &opts);
        let f = improve(&mut rng, &e, &opts);
        let a = assess(&e, &opts).unwrap();
        let b = assess(&f, &opts).unwrap();
        prop_assert!(
            b.confidence >= a.confidence - 1e-12,
            "confidence fell {} -> {}\nE = {:?}\nE' = {:?}", a.confidence, b.confidence, e, f
        );
        prop_assert!(
            b.decision >= a.decision,
            "decision fell {} -> {}\n{}\n{}\nE = {:?}\nE' = {:?}",
            a.decision, b.decision, a.sentence, b.sentence, e, f
        );
        prop_assert!((0.0..=1.0).contains(&a.confidence));
        let sum: f64 = a.contributions.iter().map(|c| c.contribution).sum();
        prop_assert!((sum - a.confidence).abs() < 1e-12);
    }

    #[test]
    fn a_failed_hard_gate_always_blocks(seed in any::<u64>(), which in 0usize..4) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut opts = policy(&mut rng);
        let mut e = evidence(&mut rng, &opts);
        match which {
            0 => {
                let mut c = canary(&mut rng);
                c.verdict = CanaryVerdict::Fail;
                e.canary = Some(c);
            }
            1 => e.sequential = Some(SequentialSignal::from_p_value(0.01, 0.05).unwrap()),
            2 => e.compliance.push(ComplianceCheck::gate("change approval", CheckStatus::Fail)),
            _ => {
                opts = opts.host_signal("kill switch", rng.random_range(0.0..1.0), true);
                e.host.push(HostSignal::new("kill switch", HostValue::Fail).unwrap());
            }
        }
        let a = assess(&e, &opts).unwrap();
        prop_assert_eq!(a.decision, Decision::Block, "{}", a.sentence);
        prop_assert!(a.sentence.starts_with("block: "));
        prop_assert!(a.gates.iter().any(|g| g.effect == GateEffect::Block
            && matches!(g.reason, GateReason::Failed | GateReason::Rejected)));
    }

    #[test]
    fn a_missing_required_signal_never_proceeds(seed in any::<u64>(), which in 0usize..6) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut opts = policy(&mut rng).proceed_threshold(0.0).block_below(0.0);
        let mut e = evidence(&mut rng, &opts);
        match which {
            0 => { opts = opts.require(SignalKind::Canary); e.canary = None; }
            1 => { opts = opts.require(SignalKind::Sequential); e.sequential = None; }
            2 => { opts = opts.require(SignalKind::Compliance); e.compliance.clear(); }
            3 => { opts = opts.require(SignalKind::Risk); e.risk = None; }
            4 => { opts = opts.require(SignalKind::TrackRecord); e.track_record = None; }
            _ => {
                opts = opts.require_check("sox approval");
                e.compliance.retain(|c| c.name != "sox approval");
            }
        }
        let a = assess(&e, &opts).unwrap();
        prop_assert!(a.decision != Decision::Proceed, "{}", a.sentence);
        prop_assert!(a.gates.iter().any(|g| g.reason == GateReason::Missing));
    }

    #[test]
    fn an_inconclusive_canary_never_proceeds(seed in any::<u64>(), low_coverage in any::<bool>()) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let opts = policy(&mut rng).proceed_threshold(0.0).block_below(0.0);
        let mut e = evidence(&mut rng, &opts);
        let mut c = canary(&mut rng);
        if low_coverage {
            c.coverage = rng.random_range(0.0..0.9);
        } else {
            c.inconclusive = true;
        }
        e.canary = Some(c);
        let a = assess(&e, &opts).unwrap();
        prop_assert!(a.decision != Decision::Proceed, "{}", a.sentence);
    }

    #[test]
    fn assessments_and_signals_round_trip_through_json(seed in any::<u64>()) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let opts = policy(&mut rng);
        let e = evidence(&mut rng, &opts);
        let a = assess(&e, &opts).unwrap();
        let back: Assessment = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(&back, &a);
        let back: Signals = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        prop_assert_eq!(&back, &e);
        let back: ConfidenceOptions =
            serde_json::from_str(&serde_json::to_string(&opts).unwrap()).unwrap();
        prop_assert_eq!(&back, &opts);
    }
}
