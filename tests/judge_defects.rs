//! Regression tests for the judge defects found when the crate was tried as a new user would
//! (issue 11), and for the `Judge` trait's object safety and blanket implementations.

mod judge_support;

use std::sync::Arc;

use canary_analysis::judge::report::render_html;
use canary_analysis::judge::result::{GroupOutcome, TestKind};
use canary_analysis::prelude::*;
use judge_support::pair;

fn t() -> Thresholds {
    Thresholds::new(95.0, 75.0).unwrap()
}

fn latency(n: usize, base: f64) -> Vec<f64> {
    (0..n).map(|i| base + (i % 7) as f64).collect()
}

#[test]
fn a_metric_without_groups_is_never_dropped_by_the_default_judge() {
    // Before: a High latency listing no group gave Pass 100.
    let cfg = CanaryConfig::from_json(
        r#"{"metrics": [{"name": "latency",
            "analysisConfigurations": {"canary": {"direction": "increase"}}},
            {"name": "cpu", "groups": ["system"]}]}"#,
    )
    .unwrap();
    let pairs = [
        pair("latency", &latency(50, 100.0), &latency(50, 150.0)),
        pair("cpu", &latency(50, 40.0), &latency(50, 40.0)),
    ];
    let d = DefaultJudge::new(cfg.clone(), t())
        .unwrap()
        .judge(&pairs)
        .unwrap();
    assert_eq!(d.metrics()[0].classification, Classification::High);
    assert_ne!(d.verdict(), Verdict::Pass);
    assert!(
        d.group_scores
            .iter()
            .any(|g| g.name == "ungrouped" && g.score == 0.0)
    );
    assert_eq!(d.worst().unwrap().name, "latency");
    // Kayenta mode reproduces Kayenta (no group, no score) and says so.
    let k = KayentaJudge::new(cfg, t()).unwrap().judge(&pairs).unwrap();
    assert_eq!(k.metrics()[0].classification, Classification::High);
    assert_eq!((k.verdict(), k.score()), (Verdict::Pass, 100.0));
    assert!(
        k.warnings
            .iter()
            .any(|w| w.contains("`latency` lists no group"))
    );
    // With weights that leave nothing for the implicit group, the default judge refuses.
    let full = CanaryConfig::from_json(
        r#"{"metrics": [{"name": "latency"}, {"name": "cpu", "groups": ["system"]}],
            "classifier": {"groupWeights": {"system": 100}}}"#,
    )
    .unwrap();
    let e = DefaultJudge::new(full, t()).unwrap_err().to_string();
    assert!(e.contains("list no group"), "{e}");
}

#[test]
fn a_side_without_data_is_absent_not_zero() {
    let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#).unwrap();
    let pairs = [pair("m", &latency(20, 100.0), &[f64::NAN; 20])];
    let d = DefaultJudge::new(cfg.clone(), t())
        .unwrap()
        .judge(&pairs)
        .unwrap();
    let m = &d.metrics()[0];
    assert_eq!(m.classification, Classification::Nodata);
    assert!(m.canary_stats().is_none());
    assert_eq!(m.baseline_stats().unwrap().count, 20);
    assert_eq!(m.result_metadata.ratio, None);
    let json = serde_json::to_value(&d).unwrap();
    assert!(json["results"][0]["experimentMetadata"]["stats"].is_null());
    assert!(json["results"][0]["resultMetadata"]["ratio"].is_null());
    let html = render_html(&d, &pairs);
    assert!(html.contains("n canary no data"), "report says no data");
    assert!(
        !html.contains("mean ratio 1<"),
        "report shows no ratio for an empty side"
    );
    // Kayenta mode writes what Kayenta writes: zeros and a ratio of 1.
    let k = KayentaJudge::new(cfg, t()).unwrap().judge(&pairs).unwrap();
    let m = &k.metrics()[0];
    assert_eq!(m.canary_stats().map(|s| (s.count, s.mean)), Some((0, 0.0)));
    assert_eq!(m.result_metadata.ratio, Some(1.0));
}

#[test]
fn values_near_f64_max_are_an_error_not_a_verdict() {
    // Before: an interval [inf, -inf] and a Pass.
    let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#).unwrap();
    let big = f64::MAX / 2.0;
    let b: Vec<f64> = (0..20).map(|i| big * (1.0 - i as f64 * 1e-3)).collect();
    let c: Vec<f64> = (0..20).map(|i| -big * (1.0 - i as f64 * 1e-3)).collect();
    let pairs = [pair("m", &b, &c)];
    for judge in [
        Box::new(DefaultJudge::new(cfg.clone(), t()).unwrap()) as Box<dyn Judge>,
        Box::new(KayentaJudge::new(cfg.clone(), t()).unwrap()),
    ] {
        match judge.judge(&pairs) {
            Err(Error::InvalidSample { metric, reason }) => {
                assert_eq!(metric, "m");
                assert!(reason.contains("overflow"), "{reason}");
            }
            other => panic!("expected an overflow error, got {other:?}"),
        }
    }
    // Large but safe values are judged on finite numbers.
    let b: Vec<f64> = (0..20).map(|i| 1e300 * (1.0 + i as f64 * 1e-3)).collect();
    let r = DefaultJudge::new(cfg, t())
        .unwrap()
        .judge(&[pair("m", &b, &b)])
        .unwrap();
    let reason = r.metrics()[0].reason().unwrap();
    assert!(reason.effect.lower.unwrap().is_finite() && reason.effect.upper.unwrap().is_finite());
    assert_eq!(r.verdict(), Verdict::Pass);
}

#[test]
fn group_scores_carry_their_outcome() {
    // Before: every group serialized `classification: ""`.
    let cfg = CanaryConfig::from_json(
        r#"{"metrics": [{"name": "a", "groups": ["good"]}, {"name": "b", "groups": ["bad"],
            "analysisConfigurations": {"canary": {"direction": "increase"}}},
            {"name": "c", "groups": ["empty"]}]}"#,
    )
    .unwrap();
    let pairs = [
        pair("a", &latency(50, 10.0), &latency(50, 10.0)),
        pair("b", &latency(50, 100.0), &latency(50, 200.0)),
    ];
    for judge in [
        Box::new(DefaultJudge::new(cfg.clone(), t()).unwrap()) as Box<dyn Judge>,
        Box::new(KayentaJudge::new(cfg.clone(), t()).unwrap()),
    ] {
        let r = judge.judge(&pairs).unwrap();
        let outcome = |g: &str| {
            r.group_scores
                .iter()
                .find(|s| s.name == g)
                .unwrap()
                .classification
        };
        assert_eq!(
            (outcome("good"), outcome("bad"), outcome("empty")),
            (GroupOutcome::Pass, GroupOutcome::Fail, GroupOutcome::Nodata)
        );
        let json = serde_json::to_value(&r).unwrap();
        let spellings: Vec<&str> = json["groupScores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["classification"].as_str().unwrap())
            .collect();
        assert_eq!(spellings, ["Fail", "Nodata", "Pass"]);
    }
}

#[test]
fn the_reason_is_data_and_a_sentence() {
    let cfg = CanaryConfig::from_json(
        r#"{"metrics": [{"name": "p99 latency", "groups": ["g"],
            "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#,
    )
    .unwrap();
    // 5% of canary points far above every baseline point: a tail regression.
    let b = latency(400, 100.0);
    let mut c = latency(400, 100.0);
    for x in c.iter_mut().step_by(20) {
        *x = 250.0;
    }
    let r = DefaultJudge::new(cfg, t())
        .unwrap()
        .judge(&[pair("p99 latency", &b, &c)])
        .unwrap();
    let m = r.worst().unwrap();
    assert_eq!(m.classification, Classification::High);
    let reason = m.reason().unwrap();
    assert_eq!(reason.test, TestKind::Tail);
    assert!(reason.regression && reason.adjusted_p_value.unwrap() <= 0.03);
    assert!(
        m.sentence().starts_with("p99 latency +") && m.sentence().ends_with("margin (tail test)"),
        "{}",
        m.sentence()
    );
    assert!(
        m.sentence().contains("above the 5% margin"),
        "{}",
        m.sentence()
    );
}

#[test]
fn judges_are_object_safe_with_blanket_impls() {
    let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#).unwrap();
    let d = DefaultJudge::new(cfg.clone(), t()).unwrap();
    let pairs = [pair("m", &latency(30, 5.0), &latency(30, 5.0))];
    fn run(j: impl Judge, pairs: &[MetricPair]) -> Verdict {
        j.judge(pairs).unwrap().verdict()
    }
    assert_eq!(run(&d, &pairs), Verdict::Pass);
    assert_eq!(run(Box::new(d.clone()), &pairs), Verdict::Pass);
    assert_eq!(run(Arc::new(d.clone()), &pairs), Verdict::Pass);
    let dynamic: Vec<Box<dyn Judge>> =
        vec![Box::new(d), Box::new(KayentaJudge::new(cfg, t()).unwrap())];
    for j in &dynamic {
        assert_eq!(run(j, &pairs), Verdict::Pass);
    }
}
