//! Runs every case of every file in `fixtures/reference/kayenta/` through the Kayenta-mode
//! classifier and reports each failing case id.
//!
//! Schema (shared/spec/kayenta.md): `{"source", "cases": [{"id", "control", "experiment",
//! "tolerance", "confLevel", "direction", "nanStrategy", "critical", "mustHaveData"?,
//! "effectSize", "outliers"?, "expected": {"classification", "critical"}}]}`. Values may be
//! numbers, "NaN" or null.

use canary_analysis::judge::config::{
    Direction, EffectSize, MetricSettings, NanStrategy, Outliers,
};
use canary_analysis::judge::kayenta::{KayentaSettings, classify};
use canary_analysis::judge::result::Classification;
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
    direction: Direction,
    nan_strategy: NanStrategy,
    critical: bool,
    #[serde(default)]
    must_have_data: bool,
    #[serde(default)]
    effect_size: EffectSize,
    #[serde(default)]
    outliers: Outliers,
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
            let settings = KayentaSettings {
                metric: MetricSettings {
                    direction: c.direction,
                    nan_strategy: c.nan_strategy,
                    critical: c.critical,
                    must_have_data: c.must_have_data,
                    effect_size: c.effect_size,
                    outliers: c.outliers,
                    ..MetricSettings::default()
                },
                tolerance: c.tolerance,
                conf_level: c.conf_level,
            };
            let control: Vec<f64> = c.control.iter().map(Value::get).collect();
            let experiment: Vec<f64> = c.experiment.iter().map(Value::get).collect();
            let got = classify(&control, &experiment, &settings);
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
                    got.reason
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
