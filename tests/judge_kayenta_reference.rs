//! Runs every case of every file in `fixtures/reference/kayenta/` through the Kayenta judge
//! (one metric config built from the case's settings, one pair of its data) and reports each
//! failing case id.
//!
//! Schema (shared/spec/kayenta.md): `{"source", "cases": [{"id", "control", "experiment",
//! "tolerance", "confLevel", "direction", "nanStrategy", "critical", "mustHaveData"?,
//! "effectSize", "outliers"?, "expected": {"classification", "critical"}}]}`. Values may be
//! numbers, "NaN" or null.

mod judge_support;

use canary_analysis::prelude::*;
use judge_support::pair;
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    source: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    id: String,
    control: Vec<Value>,
    experiment: Vec<Value>,
    tolerance: f64,
    conf_level: f64,
    direction: String,
    nan_strategy: String,
    critical: bool,
    #[serde(default)]
    must_have_data: bool,
    #[serde(default)]
    effect_size: serde_json::Value,
    #[serde(default)]
    outliers: serde_json::Value,
    expected: Expected,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Value {
    Num(f64),
    Str(String),
    Null(()),
}

impl Value {
    fn get(&self) -> f64 {
        match self {
            Value::Num(x) => *x,
            Value::Str(s) if s == "Infinity" => f64::INFINITY,
            Value::Str(s) if s == "-Infinity" => f64::NEG_INFINITY,
            _ => f64::NAN,
        }
    }
}

#[derive(Deserialize)]
struct Expected {
    classification: Classification,
    critical: bool,
}

#[test]
fn every_kayenta_reference_case() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/reference/kayenta");
    let mut failures = Vec::new();
    let mut count = 0;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixture files in {dir}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file: File =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!file.source.is_empty(), "{}: empty source", path.display());
        for c in &file.cases {
            count += 1;
            // The case's settings, spelled as a Kayenta canary config.
            let mut canary = serde_json::json!({
                "direction": c.direction, "nanStrategy": c.nan_strategy,
                "critical": c.critical, "mustHaveData": c.must_have_data,
            });
            for (k, v) in [("effectSize", &c.effect_size), ("outliers", &c.outliers)] {
                if !v.is_null() {
                    canary[k] = v.clone();
                }
            }
            let config = serde_json::json!({
                "judge": {"name": "NetflixACAJudge-v1.0",
                          "judgeConfigurations": {"tolerance": c.tolerance, "confLevel": c.conf_level}},
                "metrics": [{"name": "m", "groups": ["g"],
                             "analysisConfigurations": {"canary": canary}}],
            });
            let config = CanaryConfig::from_json(&config.to_string())
                .unwrap_or_else(|e| panic!("{}: {e}", c.id));
            let judge = KayentaJudge::new(config, Thresholds::new(95.0, 75.0).unwrap()).unwrap();
            let control: Vec<f64> = c.control.iter().map(Value::get).collect();
            let experiment: Vec<f64> = c.experiment.iter().map(Value::get).collect();
            let result = judge
                .judge(&[pair("m", &control, &experiment)])
                .unwrap_or_else(|e| panic!("{}: {e}", c.id));
            let got = &result.metrics()[0];
            if got.classification != c.expected.classification
                || got.critical != c.expected.critical
            {
                failures.push(format!(
                    "{} [{}]: expected {:?} critical {}, got {:?} critical {} ({})",
                    c.id,
                    path.file_name().unwrap().to_string_lossy(),
                    c.expected.classification,
                    c.expected.critical,
                    got.classification,
                    got.critical,
                    got.classification_reason.as_deref().unwrap_or("")
                ));
            }
        }
    }
    assert!(count > 0);
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
