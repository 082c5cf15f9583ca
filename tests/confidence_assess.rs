//! `confidence`: signals read from real judge results, sentences, typed errors, calibration and
//! weight fitting edge cases, serde round trips.

use canary_analysis::Error;
use canary_analysis::confidence::*;
use canary_analysis::prelude::{
    CanaryConfig, CanaryJudgeResult, DefaultJudge, Judge, KayentaJudge, MetricPair, Thresholds,
};

#[derive(Debug, Clone, Copy)]
enum Mode {
    Default,
    Kayenta,
}

fn config() -> CanaryConfig {
    CanaryConfig::from_json(
        r#"{"metrics": [
            {"name": "p99 latency", "groups": ["perf"],
             "analysisConfigurations": {"canary": {"direction": "increase"}}},
            {"name": "cpu", "groups": ["perf"],
             "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#,
    )
    .unwrap()
}

fn judged(scale: f64, n: usize, mode: Mode) -> CanaryJudgeResult {
    let baseline: Vec<f64> = (0..n).map(|i| 100.0 + (i % 9) as f64).collect();
    let slow: Vec<f64> = baseline.iter().map(|v| v * scale).collect();
    let cpu: Vec<f64> = (0..n).map(|i| 50.0 + (i % 5) as f64).collect();
    let pairs = [
        MetricPair::from_values("p99 latency", baseline, slow).unwrap(),
        MetricPair::from_values("cpu", cpu.clone(), cpu).unwrap(),
    ];
    let thresholds = Thresholds::new(95.0, 75.0).unwrap();
    match mode {
        Mode::Default => DefaultJudge::new(config(), thresholds)
            .unwrap()
            .judge(&pairs),
        Mode::Kayenta => KayentaJudge::new(config(), thresholds)
            .unwrap()
            .judge(&pairs),
    }
    .unwrap()
}

#[test]
fn a_regressed_canary_blocks_and_names_its_worst_metric() {
    for mode in [Mode::Default, Mode::Kayenta] {
        let result = judged(1.3, 60, mode);
        let c = CanarySignal::from_judgement(&result).unwrap();
        assert_eq!(c.verdict, CanaryVerdict::Fail, "{mode:?}");
        let worst = c.worst.clone().expect("a worst metric");
        assert_eq!(worst.name, "p99 latency");
        if let Some(e) = worst.effect.filter(|_| worst.relative) {
            // +30% of a baseline mean near 104: the shift over the mean is near 0.3.
            assert!((0.2..0.4).contains(&e), "{mode:?}: {e}");
        }
        let a = assess(&Signals::new().canary(c), &ConfidenceOptions::new()).unwrap();
        assert_eq!(a.decision, Decision::Block);
        assert!(
            a.sentence.starts_with("block: canary Fail (p99 latency"),
            "{}",
            a.sentence
        );
        let canary = &a.contributions[0];
        assert_eq!(
            (canary.signal.clone(), canary.value),
            (SignalKind::Canary, 0.0)
        );
    }
}

#[test]
fn a_clean_canary_with_full_evidence_proceeds() {
    let c = CanarySignal::from_judgement(&judged(1.0, 60, Mode::Default)).unwrap();
    assert_eq!(c.verdict, CanaryVerdict::Pass);
    assert!(!c.inconclusive);
    let signals = Signals::new()
        .canary(c)
        .sequential(SequentialSignal::from_p_value(1.0, 0.05).unwrap())
        .compliance([ComplianceCheck::gate("approval", CheckStatus::Pass)])
        .risk(RiskSignal::new(0, ChangeKind::Config, 0.0).unwrap())
        .track_record(TrackRecord::new(Outcomes::new(200, 0), Outcomes::new(0, 0)));
    let a = assess(&signals, &ConfidenceOptions::new()).unwrap();
    assert_eq!(a.decision, Decision::Proceed, "{}", a.sentence);
    assert!(a.gates.is_empty());
    assert!(
        a.sentence.starts_with("proceed: confidence 0.9"),
        "{}",
        a.sentence
    );
}

#[test]
fn too_few_points_make_the_canary_inconclusive_and_never_proceed() {
    let result = judged(1.0, 4, Mode::Default);
    let c = CanarySignal::from_judgement(&result).unwrap();
    assert!(c.inconclusive, "{:?}", result.results);
    let opts = ConfidenceOptions::new().proceed_threshold(0.0);
    let a = assess(&Signals::new().canary(c), &opts).unwrap();
    assert_eq!(a.decision, Decision::Review);
    assert!(a.gates.iter().any(|g| g.reason == GateReason::Inconclusive));
}

#[test]
fn a_missing_canary_reviews_and_says_so() {
    let a = assess(&Signals::new(), &ConfidenceOptions::new()).unwrap();
    assert_eq!(a.decision, Decision::Review);
    assert_eq!(a.confidence, 0.0);
    assert!(
        a.sentence.starts_with("review: no canary signal"),
        "{}",
        a.sentence
    );
}

#[test]
fn a_threshold_only_review_names_the_threshold() {
    let signals = Signals::new().canary(CanarySignal::new(CanaryVerdict::Pass, 95.0, 1.0).unwrap());
    let a = assess(&signals, &ConfidenceOptions::new()).unwrap();
    assert_eq!(a.decision, Decision::Review);
    assert_eq!(
        a.sentence,
        format!(
            "review: confidence {:.2} below the proceed threshold 0.80",
            a.confidence
        )
    );
}

#[test]
fn bad_input_is_a_typed_error() {
    let opts = ConfidenceOptions::new();
    let undeclared = Signals::new().host(HostSignal::new("load test", HostValue::Pass).unwrap());
    assert!(matches!(
        assess(&undeclared, &opts),
        Err(Error::Config { .. })
    ));
    let opts2 = opts.clone().host_signal("load test", 0.1, false);
    let twice = undeclared
        .clone()
        .host(HostSignal::new("load test", HostValue::Fail).unwrap());
    assert!(matches!(assess(&twice, &opts2), Err(Error::Config { .. })));
    assert!(HostSignal::new("x", HostValue::Score(1.5)).is_err());
    assert!(CanarySignal::new(CanaryVerdict::Pass, 101.0, 1.0).is_err());
    assert!(CanarySignal::new(CanaryVerdict::Pass, 90.0, f64::NAN).is_err());
    assert!(SequentialSignal::from_p_value(-0.1, 0.05).is_err());
    assert!(SequentialSignal::from_e_value(f64::NAN, 0.05).is_err());
    assert!(RiskSignal::new(1, ChangeKind::Code, 2.0).is_err());
    // A signal read from JSON is validated when assessed.
    let bad: Signals =
        serde_json::from_str(r#"{"canary": {"verdict": "Pass", "score": 250.0, "coverage": 1.0}}"#)
            .unwrap();
    assert!(matches!(
        assess(&bad, &opts),
        Err(Error::InvalidParameter { .. })
    ));
    let zero = SignalKind::BUILT_IN
        .iter()
        .fold(ConfidenceOptions::new(), |o, k| o.weight(k.clone(), 0.0));
    assert!(matches!(zero.validate(), Err(Error::Config { .. })));
    for o in [
        ConfidenceOptions::new().weight(SignalKind::Risk, -1.0),
        ConfidenceOptions::new()
            .proceed_threshold(0.5)
            .block_below(0.6),
        ConfidenceOptions::new().track_record_prior(0.0, 1.0),
        ConfidenceOptions::new().max_failure_rate(1.0),
        ConfidenceOptions::new().kind_risk(ChangeKind::Code, 1.0),
        ConfidenceOptions::new().size_half_risk(0.0),
    ] {
        assert!(
            matches!(o.validate(), Err(Error::InvalidParameter { .. })),
            "{o:?}"
        );
    }
    assert!(matches!(
        ConfidenceOptions::new()
            .require(SignalKind::Host("nope".into()))
            .validate(),
        Err(Error::Config { .. })
    ));
}

fn history(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let bad = i % 40 == 0;
            let score = if bad { 88.0 } else { 90.0 + (i % 11) as f64 };
            let signals = Signals::new()
                .canary(CanarySignal::new(CanaryVerdict::Pass, score.min(100.0), 1.0).unwrap())
                .risk(RiskSignal::new((i % 300) as u64, ChangeKind::Code, 0.05).unwrap());
            Record { signals, bad }
        })
        .collect()
}

#[test]
fn calibration_round_trips_and_rejects_bad_input() {
    let h = history(4000);
    let policy = ConfidenceOptions::new();
    let cal = calibrate(&h, &policy, &CalibrationOptions::new()).unwrap();
    let t = cal.threshold.expect("a threshold");
    assert!(cal.upper_bound <= 0.01, "{cal:?}");
    assert_eq!(
        cal.upper_bound,
        clopper_pearson_upper(cal.bad_proceed, cal.proceed, cal.per_test_confidence).unwrap()
    );
    assert_eq!(cal.automation_share, cal.proceed as f64 / 4000.0);
    // The lowest accepted threshold is chosen.
    assert!(cal.steps.iter().all(|s| !s.accepted || s.threshold >= t));
    assert!(cal.steps.iter().any(|s| s.accepted && s.threshold == t));
    let back: Calibration = serde_json::from_str(&serde_json::to_string(&cal).unwrap()).unwrap();
    assert_eq!(back, cal);
    let fs = calibrate(
        &h,
        &policy,
        &CalibrationOptions::new().multiplicity(Multiplicity::FixedSequence),
    )
    .unwrap();
    assert!(fs.threshold.is_some());

    assert!(matches!(
        calibrate(&[], &policy, &CalibrationOptions::new()),
        Err(Error::InvalidSample { .. })
    ));
    assert!(matches!(
        calibrate(&h, &policy, &CalibrationOptions::new().max_records(10)),
        Err(Error::TooLarge { .. })
    ));
    for o in [
        CalibrationOptions::new().target(0.0),
        CalibrationOptions::new().confidence(1.0),
        CalibrationOptions::new().steps(0),
    ] {
        assert!(matches!(
            calibrate(&h, &policy, &o),
            Err(Error::InvalidParameter { .. })
        ));
    }
    // Too little history for the target: no threshold, and applying it is a typed error.
    let small = calibrate(&h[..100], &policy, &CalibrationOptions::new()).unwrap();
    assert_eq!(small.threshold, None);
    assert!(matches!(
        small.apply(&policy),
        Err(Error::Degenerate { .. })
    ));
}

#[test]
fn weight_fitting_is_deterministic_and_rejects_one_sided_labels() {
    let h = history(3000);
    let policy = ConfidenceOptions::new();
    let a = fit_weights(&h, &policy, &FitOptions::new()).unwrap();
    let b = fit_weights(&h, &policy, &FitOptions::new()).unwrap();
    assert_eq!(a, b);
    let total: f64 = a.weights().iter().map(|(_, w)| w).sum();
    assert!((total - 1.0).abs() < 1e-12);
    assert!(a.weights().iter().all(|(_, w)| *w >= 0.0));
    // The score separates good from bad here; the canary gets most of the weight.
    assert!(a.get_weight(&SignalKind::Canary).unwrap() > 0.5, "{a:?}");
    let all_good: Vec<Record> = h.iter().filter(|r| !r.bad).cloned().collect();
    assert!(matches!(
        fit_weights(&all_good, &policy, &FitOptions::new()),
        Err(Error::Degenerate { .. })
    ));
    assert!(fit_weights(&h, &policy, &FitOptions::new().ridge(-1.0)).is_err());
}

#[test]
fn an_infinite_e_value_round_trips() {
    let s = SequentialSignal::from_e_value(f64::INFINITY, 0.05).unwrap();
    assert_eq!(s.p_value, 0.0);
    assert!(s.stopped_early());
    let back: SequentialSignal = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);
    let plain = SequentialSignal::from_p_value(0.5, 0.05).unwrap();
    let back: SequentialSignal =
        serde_json::from_str(&serde_json::to_string(&plain).unwrap()).unwrap();
    assert_eq!(back, plain);
    // A worst metric without an effect keeps its `None`s.
    let w = WorstMetric {
        name: "cpu".into(),
        effect: None,
        lower: None,
        upper: None,
        relative: false,
        sentence: "cpu: Nodata".into(),
    };
    let back: WorstMetric = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
    assert_eq!(back, w);
}
