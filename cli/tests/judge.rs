//! `canary judge`: the JSON output is the library's result, the exit status follows the
//! verdict, and bad input exits 2.

mod common;
use common::*;

use canary_analysis::judge::config::{CanaryConfig, Thresholds};
use canary_analysis::judge::{CanaryJudgeResult, DefaultJudge, Judge, KayentaJudge};
use canary_analysis::metrics::read_metric_set_pairs;

/// Which library judge a test compares with.
#[derive(Clone, Copy)]
enum Mode {
    Kayenta,
    Default,
}

/// Two metrics in two groups of weight 50: `same` identical on both sides, `slower` doubled on
/// the canary, so the Kayenta judge scores 50 (one group High, one Pass).
const CONFIG: &str = r#"{"name": "two-groups", "metrics": [
  {"name": "same", "groups": ["a"], "analysisConfigurations": {"canary": {"direction": "increase"}}},
  {"name": "slower", "groups": ["b"], "analysisConfigurations": {"canary": {"direction": "increase"}}}],
  "classifier": {"groupWeights": {"a": 50, "b": 50}}}"#;

fn pairs_json(slowdown: f64) -> String {
    let base: Vec<f64> = (0..60).map(|i| 100.0 + (i % 11) as f64).collect();
    let slow: Vec<f64> = base.iter().map(|v| v * slowdown).collect();
    serde_json::json!([
        {"name": "same", "values": {"control": base, "experiment": base}},
        {"name": "slower", "values": {"control": base, "experiment": slow}},
    ])
    .to_string()
}

/// What the library gives for the same input.
fn library(config: &str, pairs: &str, t: (f64, f64), mode: Mode) -> CanaryJudgeResult {
    let cfg = CanaryConfig::from_json(config).unwrap();
    let pairs = read_metric_set_pairs(pairs).unwrap();
    let t = Thresholds::new(t.0, t.1).unwrap();
    match mode {
        Mode::Kayenta => KayentaJudge::new(cfg, t).unwrap().judge(&pairs).unwrap(),
        Mode::Default => DefaultJudge::new(cfg, t).unwrap().judge(&pairs).unwrap(),
    }
}

#[test]
fn json_output_is_the_library_result() {
    let cfg = temp_file("json-config.json", CONFIG);
    let pairs_text = pairs_json(2.0);
    let pairs = temp_file("json-pairs.json", &pairs_text);
    for (mode, flag) in [(Mode::Kayenta, "kayenta"), (Mode::Default, "default")] {
        let out = canary(
            &[
                "judge",
                "--config",
                cfg.to_str().unwrap(),
                "--pairs",
                pairs.to_str().unwrap(),
                "--mode",
                flag,
                "--pass",
                "60",
                "--marginal",
                "40",
                "--json",
            ],
            None,
        );
        assert!(code(&out) <= 1, "{}", stderr(&out));
        let got: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {}", stdout(&out)));
        let want = serde_json::to_value(library(CONFIG, &pairs_text, (60.0, 40.0), mode)).unwrap();
        assert_eq!(got, want, "{flag}");
        // And it reads back as the library's type.
        let back: CanaryJudgeResult = serde_json::from_value(got).unwrap();
        assert_eq!(back.judge_name, want["judgeName"].as_str().unwrap());
    }
}

fn judge_exit(pairs: &str, extra: &[&str]) -> (i32, String, String) {
    let cfg = temp_file("exit-config.json", CONFIG);
    let name = format!("exit-pairs-{}.json", pairs.len() % 97);
    let p = temp_file(&name, pairs);
    let mut args = vec![
        "judge",
        "--config",
        cfg.to_str().unwrap(),
        "--pairs",
        p.to_str().unwrap(),
        "--mode",
        "kayenta",
    ];
    args.extend_from_slice(extra);
    let out = canary(&args, None);
    (code(&out), stdout(&out), stderr(&out))
}

#[test]
fn exit_status_follows_the_verdict() {
    let slow = pairs_json(2.0);
    // The library's score for this input decides which thresholds give which verdict.
    let score = library(CONFIG, &slow, (95.0, 75.0), Mode::Kayenta)
        .score
        .score;
    assert!(score > 10.0 && score < 90.0, "fixture scores {score}");
    let below = format!("{}", score - 5.0);
    let above = format!("{}", score + 5.0);
    let lowest = format!("{}", score - 10.0);

    // Pass: the score clears --pass.
    let (c, out, err) = judge_exit(&slow, &["--pass", &below, "--marginal", &lowest]);
    assert_eq!(c, 0, "{out}{err}");
    assert!(out.starts_with("Pass: score"), "{out}");

    // Marginal: between the two thresholds.
    let (c, out, err) = judge_exit(&slow, &["--pass", &above, "--marginal", &below]);
    assert_eq!(c, 1, "{out}{err}");
    assert!(out.starts_with("Marginal: score"), "{out}");
    assert!(
        out.contains("slower (High)"),
        "the non-Pass metric is named: {out}"
    );
    assert!(
        !out.contains("same ("),
        "Pass metrics are not listed: {out}"
    );

    // Fail: below --marginal (here the 95/75 default, as the config has no scoreThresholds).
    let (c, out, err) = judge_exit(&slow, &[]);
    assert_eq!(c, 1, "{out}{err}");
    assert!(out.starts_with("Fail: score"), "{out}");
    assert!(
        out.contains("pass >= 95, marginal >= 75, defaults"),
        "{out}"
    );

    // A clean canary passes with the defaults.
    let (c, out, err) = judge_exit(&pairs_json(1.0), &[]);
    assert_eq!(c, 0, "{out}{err}");
}

#[test]
fn thresholds_come_from_the_config_when_no_flags() {
    let with = CONFIG.replace(
        r#""groupWeights": {"a": 50, "b": 50}"#,
        r#""groupWeights": {"a": 50, "b": 50}, "scoreThresholds": {"pass": 40, "marginal": 20}"#,
    );
    let cfg = temp_file("config-thresholds.json", &with);
    let p = temp_file("config-thresholds-pairs.json", &pairs_json(2.0));
    let out = canary(
        &[
            "judge",
            "--config",
            cfg.to_str().unwrap(),
            "--pairs",
            p.to_str().unwrap(),
            "--mode",
            "kayenta",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("from the config"), "{}", stdout(&out));
}

#[test]
fn bad_input_exits_two() {
    let cfg = temp_file("bad-config.json", CONFIG);
    let cases: Vec<(String, String, &str)> = vec![
        // Malformed pairs.
        (CONFIG.into(), "[{\"name\": ".into(), "cannot parse"),
        // A pair whose metric is not in the config.
        (
            CONFIG.into(),
            r#"[{"name": "other", "values": {"control": [1], "experiment": [1]}}]"#.into(),
            "no metric config",
        ),
        // A value that is not a number.
        (
            CONFIG.into(),
            r#"[{"name": "same", "values": {"control": [1, true], "experiment": [1]}}]"#.into(),
            "cannot parse",
        ),
        // A config Kayenta would refuse: duplicate metric names.
        (
            r#"{"metrics": [{"name": "m", "groups": ["g"]}, {"name": "m", "groups": ["g"]}]}"#
                .into(),
            pairs_json(1.0),
            "is duplicated",
        ),
    ];
    for (i, (config, pairs, why)) in cases.iter().enumerate() {
        let c = temp_file(&format!("bad-config-{i}.json"), config);
        let p = temp_file(&format!("bad-pairs-{i}.json"), pairs);
        let out = canary(
            &[
                "judge",
                "--config",
                c.to_str().unwrap(),
                "--pairs",
                p.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(code(&out), 2, "case {i}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "case {i}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "case {i}: {}", stdout(&out));
    }
    // A missing file.
    let out = canary(
        &[
            "judge",
            "--config",
            cfg.to_str().unwrap(),
            "--pairs",
            "/definitely/not/here.json",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot read /definitely/not/here.json"));
    // Thresholds out of order.
    let p = temp_file("bad-thresholds-pairs.json", &pairs_json(1.0));
    let out = canary(
        &[
            "judge",
            "--config",
            cfg.to_str().unwrap(),
            "--pairs",
            p.to_str().unwrap(),
            "--pass",
            "50",
            "--marginal",
            "70",
        ],
        None,
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    // An unreachable Prometheus is an upstream error.
    let out = canary(
        &[
            "judge",
            "--config",
            cfg.to_str().unwrap(),
            "--prometheus",
            "http://127.0.0.1:9",
            "--start",
            "0",
            "--end",
            "60",
            "--step",
            "15",
            "--baseline-scope",
            "b",
            "--canary-scope",
            "c",
        ],
        None,
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    // The config's metrics have no query: the error names the metric.
    assert!(stderr(&out).contains("metric `same`"), "{}", stderr(&out));
}

#[test]
fn csv_and_saved_prometheus_responses_are_judged() {
    let root = root();
    let csv_cfg = temp_file(
        "csv-config.json",
        r#"{"metrics": [{"name": "cpu", "groups": ["s"],
            "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#,
    );
    let csv = root.join("fixtures/metrics/csv/wide.csv");
    let out = canary(
        &[
            "judge",
            "--config",
            csv_cfg.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
            "--csv-metric",
            "cpu",
            "--json",
        ],
        None,
    );
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["name"], "cpu");
    assert!(
        v["results"][0]["controlMetadata"]["stats"]["count"]
            .as_u64()
            .unwrap()
            > 0
    );

    let prom_cfg = temp_file(
        "prom-config.json",
        r#"{"metrics": [{"name": "latency", "groups": ["l"],
            "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#,
    );
    // A saved response in Prometheus's shape: two instances per version, one step missing.
    let series = |version: &str, instance: &str, scale: f64| {
        let values: Vec<serde_json::Value> = (0..40)
            .filter(|i| !(version == "canary" && instance == "c-1" && *i == 7))
            .map(|i| {
                serde_json::json!([
                    1_700_000_000 + 15 * i,
                    format!("{}", scale * (100.0 + (i % 9) as f64))
                ])
            })
            .collect();
        serde_json::json!({"metric": {"__name__": "http_latency_ms", "version": version, "instance": instance},
                           "values": values})
    };
    let body = serde_json::json!({"status": "success", "data": {"resultType": "matrix", "result": [
        series("baseline", "b-0", 1.0), series("baseline", "b-1", 1.0),
        series("canary", "c-0", 1.0), series("canary", "c-1", 1.0)]}});
    let resp = temp_file("saved-response.json", &body.to_string());
    let spec = format!("latency={}", resp.display());
    let out = canary(
        &[
            "judge",
            "--config",
            prom_cfg.to_str().unwrap(),
            "--prometheus-response",
            &spec,
            "--instance-label",
            "instance",
            "--json",
        ],
        None,
    );
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["results"].as_array().unwrap().is_empty());
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"] == "latency")
    );
}
