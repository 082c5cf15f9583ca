//! Kayenta's known flaws (shared/spec/kayenta.md, "Known flaws worth beating"): Kayenta mode
//! reproduces them, the default judge does not.

mod judge_support;

use canary_analysis::orchestrate::multi::{OptionalThresholds, StandalonePlan, run_standalone};
use canary_analysis::prelude::*;
use judge_support::pair;

#[derive(Clone, Copy)]
enum Mode {
    Kayenta,
    Default,
}

fn run(cfg: &CanaryConfig, b: &[f64], c: &[f64], mode: Mode) -> CanaryJudgeResult {
    let t = Thresholds::new(95.0, 75.0).unwrap();
    let judge: Box<dyn Judge> = match mode {
        Mode::Kayenta => Box::new(KayentaJudge::new(cfg.clone(), t).unwrap()),
        Mode::Default => Box::new(DefaultJudge::new(cfg.clone(), t).unwrap()),
    };
    judge.judge(&[pair("m", b, c)]).unwrap()
}

fn cfg(kind: &str) -> CanaryConfig {
    CanaryConfig::from_json(&format!(
        r#"{{"metrics": [{{"name": "m", "groups": ["g"],
            "analysisConfigurations": {{"canary": {{"direction": "increase", "kind": "{kind}"}}}}}}]}}"#
    ))
    .unwrap()
}

fn classify(cfg: &CanaryConfig, b: &[f64], c: &[f64], mode: Mode) -> (Classification, String) {
    let r = run(cfg, b, c, mode);
    (
        r.results[0].classification,
        r.score.classification.as_str().to_owned(),
    )
}

#[test]
fn seven_of_ten_at_100x() {
    let b = [1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 0.85, 1.15, 1.02, 0.98];
    let mut c = b;
    for x in c.iter_mut().take(7) {
        *x *= 100.0;
    }
    let cfg = cfg("continuous");
    assert_eq!(
        classify(&cfg, &b, &c, Mode::Kayenta).0,
        Classification::Pass
    );
    let (class, verdict) = classify(&cfg, &b, &c, Mode::Default);
    assert_eq!((class, verdict.as_str()), (Classification::High, "Fail"));
}

#[test]
fn sparse_errors_against_a_zero_baseline() {
    let b = [0.0; 60];
    let mut c = [0.0; 60];
    for i in (0..60).step_by(6) {
        c[i] = 1.0;
    }
    let cfg = cfg("count");
    assert_eq!(
        classify(&cfg, &b, &c, Mode::Kayenta).0,
        Classification::Pass
    );
    assert_eq!(
        classify(&cfg, &b, &c, Mode::Default).0,
        Classification::High
    );
}

#[test]
fn too_little_data_is_not_a_pass() {
    let b = [100.0, 101.0, 99.0];
    let c = [150.0, 151.0, 149.0];
    let cfg = cfg("continuous");
    let r = run(&cfg, &b, &c, Mode::Default);
    assert_eq!(
        r.results[0].classification,
        Classification::InsufficientData
    );
    assert!(r.results[0].analysis.points_needed.unwrap() > 3);
    assert_eq!(r.score.classification.as_str(), "Marginal");
    assert!(
        r.results[0]
            .classification_reason
            .as_deref()
            .unwrap()
            .contains("points per side")
    );
}

#[test]
fn trivial_shift_on_a_huge_sample_passes() {
    // A 0.5% shift on 20000 points is significant but below the 5% practical margin.
    let b: Vec<f64> = (0..20_000)
        .map(|i| 100.0 + ((i * 7919) % 20_000) as f64 / 1000.0)
        .collect();
    let c: Vec<f64> = b.iter().map(|x| x * 1.005).collect();
    let cfg = cfg("continuous");
    let r = run(&cfg, &b, &c, Mode::Default);
    let m = &r.results[0];
    assert_eq!(
        m.classification,
        Classification::Pass,
        "{:?}",
        m.classification_reason
    );
    assert!(m.analysis.tests[0].p_value < 1e-6);
    assert!(
        m.sentence().contains("within the 5% margin"),
        "{}",
        m.sentence()
    );
}

#[test]
fn standalone_windows_growing_sliding_and_delayed() {
    let min = 60_000;
    let growing = StandalonePlan {
        start_millis: 0,
        end_millis: Some(60 * min),
        analysis_interval_mins: Some(15),
        begin_after_mins: 5,
        control_offset_mins: 10,
        ..Default::default()
    };
    let w = growing.windows().unwrap();
    assert_eq!(w.len(), 4);
    assert!(w.iter().all(|w| w.experiment_start == 5 * min));
    assert_eq!(w[3].experiment_end, 5 * min + 60 * min);
    assert_eq!(w[0].control_start, -5 * min);
    let sliding = StandalonePlan {
        lookback_mins: Some(10),
        ..growing
    };
    let w = sliding.windows().unwrap();
    assert!(
        w.iter()
            .all(|w| w.experiment_end - w.experiment_start == 10 * min)
    );
    assert!(
        StandalonePlan {
            analysis_interval_mins: Some(0),
            ..growing
        }
        .windows()
        .is_err()
    );
    assert!(
        StandalonePlan {
            analysis_interval_mins: Some(61),
            ..growing
        }
        .windows()
        .is_err()
    );
    assert!(
        StandalonePlan {
            end_millis: None,
            ..growing
        }
        .windows()
        .is_err()
    );
    // The last score decides when nothing fails fast.
    let t = OptionalThresholds {
        pass: Some(95.0),
        marginal: Some(75.0),
    };
    let scores = [80.0, 90.0, 96.0, 85.0];
    let out = run_standalone(&growing, &t, |w| Ok(scores[w.index - 1])).unwrap();
    assert!(!out.passed && !out.stopped_early && out.scores.len() == 4);
    let scores = [80.0, 90.0, 85.0, 96.0];
    assert!(
        run_standalone(&growing, &t, |w| Ok(scores[w.index - 1]))
            .unwrap()
            .passed
    );
}
