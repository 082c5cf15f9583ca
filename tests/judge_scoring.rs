//! Kayenta's scorer and final-verdict cases, as listed in shared/spec/kayenta.md ("Public
//! reference outcomes", from Kayenta's own scorer and standalone-analysis test suites).

use std::collections::BTreeMap;

use Classification::{High, Low, Nodata, Pass};
use canary_analysis::judge::config::Thresholds;
use canary_analysis::judge::result::{Classification, GroupOutcome, MetricResult};
use canary_analysis::judge::score::{score_default, score_kayenta};
use canary_analysis::orchestrate::multi::{OptionalThresholds, final_passed};

fn r(c: Classification, group: &str) -> MetricResult {
    MetricResult::new("m", c, [group])
}

fn crit(c: Classification, group: &str) -> MetricResult {
    let mut r = MetricResult::new("m", c, [group]);
    r.critical = true;
    r
}

fn score(results: &[MetricResult], weights: &[(&str, f64)]) -> f64 {
    let w: BTreeMap<String, f64> = weights.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let t = Thresholds::new(95.0, 75.0).unwrap();
    score_kayenta(results, &w, &t).1.score
}

#[test]
fn kayenta_scorer_cases_from_the_spec() {
    type Case<'a> = (&'a str, Vec<MetricResult>, Vec<(&'a str, f64)>, f64);
    let cases: Vec<Case<'_>> = vec![
        ("1 Pass", vec![r(Pass, "g1")], vec![], 100.0),
        ("1 High", vec![r(High, "g1")], vec![], 0.0),
        ("1 Nodata", vec![r(Nodata, "g1")], vec![], 0.0),
        (
            "{Pass, Pass} in g1 + {Nodata} in g2",
            vec![r(Pass, "g1"), r(Pass, "g1"), r(Nodata, "g2")],
            vec![],
            100.0,
        ),
        (
            "{Pass, High}",
            vec![r(Pass, "g1"), r(High, "g1")],
            vec![],
            50.0,
        ),
        (
            "{Pass, High, Low}",
            vec![r(Pass, "g1"), r(High, "g1"), r(Low, "g1")],
            vec![],
            33.33,
        ),
        (
            "weights {75, 25}: g1 {Pass, Pass}, g2 {High}",
            vec![r(Pass, "g1"), r(Pass, "g1"), r(High, "g2")],
            vec![("g1", 75.0), ("g2", 25.0)],
            75.0,
        ),
        (
            "weights {50, 50}: g1 {Pass, High}, g2 {High}",
            vec![r(Pass, "g1"), r(High, "g1"), r(High, "g2")],
            vec![("g1", 50.0), ("g2", 50.0)],
            25.0,
        ),
        (
            "weights {50, 50}: g1 {Pass, Nodata}, g2 {High}",
            vec![r(Pass, "g1"), r(Nodata, "g1"), r(High, "g2")],
            vec![("g1", 50.0), ("g2", 50.0)],
            50.0,
        ),
        (
            "{Pass, High critical}",
            vec![r(Pass, "g1"), crit(High, "g1")],
            vec![],
            0.0,
        ),
        (
            "{Low, Pass critical}",
            vec![r(Low, "g1"), crit(Pass, "g1")],
            vec![],
            50.0,
        ),
        (
            "{Pass, Nodata critical}",
            vec![r(Pass, "g1"), crit(Nodata, "g1")],
            vec![],
            0.0,
        ),
        (
            "weights {15, 85}: g1 {High, Low, Pass}, g2 {High}",
            vec![r(High, "g1"), r(Low, "g1"), r(Pass, "g1"), r(High, "g2")],
            vec![("g1", 15.0), ("g2", 85.0)],
            5.0,
        ),
    ];
    let mut failures = Vec::new();
    for (id, results, weights, expected) in &cases {
        let got = score(results, weights);
        if got != *expected {
            failures.push(format!("{id}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn kayenta_final_verdict_cases_from_the_spec() {
    // (last, marginal, pass) -> passed
    let cases = [
        (95.0, None, None, true),
        (60.0, Some(75.0), Some(95.0), false),
        (85.0, Some(75.0), None, true),
        (85.0, Some(75.0), Some(95.0), false),
        (97.0, Some(75.0), Some(95.0), true),
    ];
    for (last, marginal, pass, expected) in cases {
        let t = OptionalThresholds { pass, marginal };
        assert_eq!(
            final_passed(last, &t),
            expected,
            "({last}, {marginal:?}, {pass:?})"
        );
    }
}

#[test]
fn default_scorer_does_not_count_an_empty_group_as_100() {
    let t = Thresholds::new(95.0, 75.0).unwrap();
    // Kayenta: g2 (all Nodata) counts 100, so the canary passes on g1 alone.
    let results = vec![r(Pass, "g1"), r(Pass, "g1"), r(Pass, "g1"), r(Nodata, "g2")];
    let (_, k) = score_kayenta(&results, &BTreeMap::new(), &t);
    assert_eq!(k.classification.as_str(), "Pass");
    let (groups, d, coverage) = score_default(&results, &BTreeMap::new(), &t);
    assert_eq!(coverage, 0.5);
    assert_eq!(d.classification.as_str(), "Marginal");
    assert!(
        groups
            .iter()
            .any(|g| g.no_data && g.classification == GroupOutcome::Nodata)
    );
    // A critical regression fails in both.
    let results = vec![r(Pass, "g1"), crit(High, "g1")];
    assert_eq!(
        score_default(&results, &BTreeMap::new(), &t)
            .1
            .classification
            .as_str(),
        "Fail"
    );
}

#[test]
fn muted_results_are_reported_not_scored() {
    let t = Thresholds::new(95.0, 75.0).unwrap();
    let mut muted = r(High, "g1");
    muted.muted = true;
    let results = vec![r(Pass, "g1"), muted];
    assert_eq!(score_kayenta(&results, &BTreeMap::new(), &t).1.score, 100.0);
    assert_eq!(score_default(&results, &BTreeMap::new(), &t).1.score, 100.0);
}
