//! Bad configs and pairs are typed errors; no input panics; results survive a serde round trip.

mod judge_support;

use canary_analysis::judge::config::Warning;
use canary_analysis::judge::report::render_html;
use canary_analysis::metrics::{MetricPair, read_metric_set_pairs};
use canary_analysis::prelude::*;
use judge_support::pair;
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Kayenta,
    Default,
}

fn judge_with(
    cfg: &CanaryConfig,
    pairs: &[MetricPair],
    t: &Thresholds,
    mode: Mode,
) -> Result<CanaryJudgeResult> {
    let judge: Box<dyn Judge> = match mode {
        Mode::Kayenta => Box::new(KayentaJudge::new(cfg.clone(), *t)?),
        Mode::Default => Box::new(DefaultJudge::new(cfg.clone(), *t)?),
    };
    judge.judge(pairs)
}

fn config_err(json: &str) -> String {
    match CanaryConfig::from_json(json) {
        Err(Error::Config { path, reason }) => format!("{path}: {reason}"),
        Err(Error::Parse { .. }) => "parse".into(),
        other => panic!("expected a config error for {json}, got {other:?}"),
    }
}

#[test]
fn bad_configs_are_typed_errors() {
    let m = r#"{"name": "m", "groups": ["g"]}"#;
    let cases = [
        (r#"{"metrics": []}"#.to_string(), "no metrics"),
        (format!(r#"{{"metrics": [{m}], "classifier": {{"groupWeights": {{"g": -1}}}}}}"#), "non-negative"),
        (format!(r#"{{"metrics": [{m}, {m}]}}"#), "is duplicated"),
        (format!(r#"{{"metrics": [{m}], "classifier": {{"groupWeights": {{"g": 0}}}}}}"#), "every group weighs 0"),
        (
            r#"{"metrics": [{"name": "a", "groups": ["g"]}, {"name": "b", "groups": ["h"]}], "classifier": {"groupWeights": {"g": 1e308, "h": 1e308}}}"#.to_string(),
            "overflows",
        ),
        (
            format!(r#"{{"metrics": [{m}], "classifier": {{"scoreThresholds": {{"pass": 0.95, "marginal": 0.75}}}}}}"#),
            "0-100 scale",
        ),
        (
            r#"{"metrics": [{"name": "a", "groups": ["g"], "analysisConfigurations": {"canary": {"kind": "gauge"}}}]}"#.to_string(),
            "unknown kind",
        ),
        (
            format!(r#"{{"metrics": [{m}], "classifier": {{"scoreThresholds": {{"pass": 70, "marginal": 80}}}}}}"#),
            "above the pass",
        ),
        (
            format!(r#"{{"metrics": [{m}], "judge": {{"name": "x", "judgeConfigurations": {{"confLevel": 1.5}}}}}}"#),
            "strictly between",
        ),
        (
            format!(r#"{{"metrics": [{m}], "judge": {{"name": "x", "judgeConfigurations": {{"tolerance": "a"}}}}}}"#),
            "finite number",
        ),
        (
            r#"{"metrics": [{"name": "a", "groups": ["g", "h"]}], "classifier": {"groupWeights": {"g": 150}}}"#.to_string(),
            "would be negative",
        ),
        (
            r#"{"metrics": [{"name": "a", "analysisConfigurations": {"canary": {"outliers": {"strategy": "remove", "outlierFactor": -1}}}}]}"#.to_string(),
            "outlierFactor",
        ),
    ];
    for (json, want) in cases {
        let got = config_err(&json);
        assert!(got.contains(want), "{json}: {got}");
    }
    // Malformed JSON and wrong types are parse errors with a position.
    for bad in ["{", r#"{"metrics": 3}"#] {
        assert_eq!(config_err(bad), "parse", "{bad}");
    }
    // Weights in the config that are NaN cannot be written in JSON; huge ones are caught.
    assert!(config_err(r#"{"metrics": [{"name": "a", "groups": ["g"]}], "classifier": {"groupWeights": {"g": 1e400}}}"#).len() > 1);
    // Unknown spellings read as Kayenta's defaults, with a warning each; so does a weight for a
    // group no metric lists.
    let cfg = CanaryConfig::from_json(
        r#"{"metrics": [{"name": "a", "groups": ["g"], "analysisConfigurations": {"canary": {
            "direction": "sideways", "nanStrategy": "drop", "outliers": {"strategy": "trim"},
            "effectSize": {"measure": "cohen"}}}}],
            "classifier": {"groupWeights": {"g": 60, "old": 40}}}"#,
    )
    .unwrap();
    let s = cfg.metrics()[0].settings();
    assert_eq!(
        format!(
            "{:?} {:?} {:?} {:?}",
            s.get_direction(),
            s.get_nan_policy(),
            s.get_outlier_strategy(),
            s.get_effect_measure()
        ),
        "Either Remove Keep MeanRatio"
    );
    let fallbacks: Vec<&str> = cfg
        .warnings()
        .iter()
        .filter_map(|w| match w {
            Warning::UnknownSpelling { fallback, .. } => Some(fallback.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(fallbacks, ["either", "remove", "meanRatio", "keep"]);
    assert!(
        cfg.warnings()
            .iter()
            .any(|w| matches!(w, Warning::UnusedGroupWeight { group, .. } if group == "old"))
    );
}

#[test]
fn bad_thresholds_and_pairs_are_typed_errors() {
    assert!(matches!(
        Thresholds::new(f64::NAN, 1.0),
        Err(Error::Config { .. })
    ));
    assert!(matches!(
        Thresholds::new(101.0, 1.0),
        Err(Error::Config { .. })
    ));
    let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#).unwrap();
    let t = Thresholds::new(95.0, 75.0).unwrap();
    // A pair without a config.
    let b = [1.0, 2.0];
    let r = judge_with(&cfg, &[pair("other", &b, &b)], &t, Mode::Default);
    assert!(matches!(r, Err(Error::Config { .. })), "{r:?}");
    // Infinite values are non-finite like NaN: removed under `remove`, and counted.
    let inf = [1.0, f64::INFINITY, 2.0];
    for mode in [Mode::Default, Mode::Kayenta] {
        let r = judge_with(&cfg, &[pair("m", &b, &inf)], &t, mode).unwrap();
        let cleaning = r.metrics()[0].analysis.cleaning.clone().unwrap();
        assert_eq!(
            (
                cleaning.canary.removed,
                cleaning.canary.infinite,
                r.metrics()[0].analysis.n_canary
            ),
            (1, 1, 2),
            "{mode:?}"
        );
    }
    // Malformed pairs JSON is the reader's typed error.
    assert!(read_metric_set_pairs(r#"[{"name": "m", "values": {"control": [1, "x"]}}]"#).is_err());
}

#[test]
fn missing_metrics_and_empty_sides_are_nodata() {
    let cfg = CanaryConfig::from_json(
        r#"{"metrics": [{"name": "a", "groups": ["g"]}, {"name": "b", "groups": ["h"]}]}"#,
    )
    .unwrap();
    let t = Thresholds::new(95.0, 75.0).unwrap();
    let x = [1.0, 2.0, 3.0];
    let nan = [f64::NAN, f64::NAN];
    for mode in [Mode::Default, Mode::Kayenta] {
        let r = judge_with(&cfg, &[pair("a", &x, &nan)], &t, mode).unwrap();
        assert_eq!(r.results.len(), 2);
        assert!(
            r.results
                .iter()
                .all(|m| m.classification.as_str() == "Nodata"),
            "{mode:?}"
        );
    }
}

#[test]
fn sample_result_round_trips_through_json() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");
    let cfg = CanaryConfig::from_json(
        &std::fs::read_to_string(format!("{dir}/canary-config.json")).unwrap(),
    )
    .unwrap();
    let pairs = judge_support::kayenta_pairs(
        &std::fs::read_to_string(format!("{dir}/pairs.json")).unwrap(),
    );
    let t = Thresholds::new(95.0, 75.0).unwrap();
    for mode in [Mode::Default, Mode::Kayenta] {
        let r = judge_with(&cfg, &pairs, &t, mode).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        let back: CanaryJudgeResult = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        // Kayenta's field names are present.
        for key in [
            "judgeName",
            "groupScores",
            "classificationReason",
            "resultMetadata",
            "experimentMetadata",
            "controlMetadata",
        ] {
            assert!(json.contains(key), "{key}");
        }
        let cfg_json = serde_json::to_string(&cfg).unwrap();
        assert_eq!(CanaryConfig::from_json(&cfg_json).unwrap(), cfg);
    }
    // The sample canary: Kayenta passes it, the default judge catches the 7-of-60-at-100x
    // latency tail and the sparse errors against a zero baseline.
    assert_eq!(
        judge_with(&cfg, &pairs, &t, Mode::Kayenta)
            .unwrap()
            .score
            .classification
            .as_str(),
        "Pass"
    );
    let d = judge_with(&cfg, &pairs, &t, Mode::Default).unwrap();
    assert_eq!(d.score.classification.as_str(), "Fail");
    let class = |name: &str| {
        d.results
            .iter()
            .find(|m| m.name == name)
            .unwrap()
            .classification
            .as_str()
    };
    assert_eq!(
        (class("latency_p50"), class("errors"), class("cpu")),
        ("High", "High", "Pass")
    );
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -1e6f64..1e6,
        2 => (0u8..4).prop_map(f64::from),
        1 => Just(f64::NAN),
        1 => Just(0.0),
        1 => Just(1e300),
        1 => Just(-1e-300),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn no_input_panics(
        b in prop::collection::vec(value(), 0..25),
        c in prop::collection::vec(value(), 0..25),
        direction in prop_oneof![Just("increase"), Just("decrease"), Just("either")],
        kind in prop_oneof![Just("count"), Just("continuous")],
        nan in prop_oneof![Just("remove"), Just("replace")],
        outliers in prop_oneof![Just("keep"), Just("remove")],
        critical in any::<bool>(),
        tolerance in 0.0f64..2.0,
    ) {
        let cfg = CanaryConfig::from_json(&format!(
            r#"{{"judge": {{"name": "x", "judgeConfigurations": {{"tolerance": {tolerance}}}}},
                "metrics": [{{"name": "m", "groups": ["g"], "analysisConfigurations": {{"canary":
                {{"direction": "{direction}", "kind": "{kind}", "nanStrategy": "{nan}",
                  "critical": {critical}, "outliers": {{"strategy": "{outliers}"}}}}}}}}]}}"#
        )).unwrap();
        let t = Thresholds::new(95.0, 75.0).unwrap();
        let data = [pair("m", &b, &c)];
        for mode in [Mode::Default, Mode::Kayenta] {
            let r = judge_with(&cfg, &data, &t, mode).unwrap();
            prop_assert_eq!(r.results.len(), 1);
            prop_assert!(r.score.score >= 0.0 && r.score.score <= 100.0);
            let html = render_html(&r, &data);
            prop_assert!(html.ends_with("</html>\n"));
            let json = serde_json::to_string(&r).unwrap();
            let back: CanaryJudgeResult = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
        }
    }

    #[test]
    fn arbitrary_config_text_never_panics(s in ".{0,200}") {
        let _ = CanaryConfig::from_json(&s);
    }
}
