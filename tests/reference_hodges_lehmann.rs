//! Reference suite: every case of every `fixtures/reference/hodges_lehmann/*.json` file.
//!
//! Schema (see `shared/spec/statistics.md`): `{"id", "x", "y", "alternative", "confidence",
//! "method", "continuity", "expected": {"estimate", "lower", "upper", "achieved_confidence"?},
//! "atol", "rtol"?}`; `x` is the canary, `y` the baseline, the shift is `x - y`. `atol` (and
//! `rtol`, default 0) apply to estimate, lower and upper; `achieved_confidence` is compared with
//! `rtol` (default 1e-12); infinite ends agree only when equal.

use std::path::{Path, PathBuf};

use canary_analysis::stats::hodges_lehmann::{HodgesLehmannOptions, hodges_lehmann};
use canary_analysis::stats::{Alternative, Method};
use serde_json::Value;

fn num(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("bad number {n}")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => Err(format!("bad number string {other:?}")),
        },
        other => Err(format!("expected a number, got {other}")),
    }
}

fn nums(v: &Value) -> Result<Vec<f64>, String> {
    v.as_array()
        .ok_or_else(|| format!("expected an array, got {v}"))?
        .iter()
        .map(num)
        .collect()
}

fn agrees(got: f64, expected: f64, rtol: f64, atol: f64) -> bool {
    if expected.is_nan() {
        return got.is_nan();
    }
    if expected.is_infinite() || got.is_infinite() {
        return got == expected;
    }
    (got - expected).abs() <= atol + rtol * expected.abs()
}

fn fixture_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference/hodges_lehmann");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn run_case(case: &Value) -> Result<(), String> {
    let x = nums(&case["x"])?;
    let y = nums(&case["y"])?;
    let alternative: Alternative =
        serde_json::from_value(case["alternative"].clone()).map_err(|e| e.to_string())?;
    let method: Method =
        serde_json::from_value(case["method"].clone()).map_err(|e| e.to_string())?;
    let continuity = case["continuity"]
        .as_bool()
        .ok_or("`continuity` must be a boolean")?;
    let confidence = num(&case["confidence"])?;
    let atol = case.get("atol").map(num).transpose()?.unwrap_or(0.0);
    let rtol = case.get("rtol").map(num).transpose()?.unwrap_or(0.0);
    let e = &case["expected"];
    let opts = HodgesLehmannOptions::new()
        .alternative(alternative)
        .confidence(confidence)
        .method(method)
        .continuity(continuity);
    // x = canary, y = baseline.
    let r = hodges_lehmann(&y, &x, &opts).map_err(|e| format!("error: {e}"))?;
    let mut problems = Vec::new();
    for (name, got) in [
        ("estimate", r.estimate),
        ("lower", r.lower),
        ("upper", r.upper),
    ] {
        let expected = num(&e[name])?;
        if !agrees(got, expected, rtol, atol) {
            problems.push(format!(
                "{name} = {got:?} expected {expected:?} (diff {:e})",
                got - expected
            ));
        }
    }
    if let Some(ach) = e.get("achieved_confidence") {
        let expected = num(ach)?;
        let tol = case.get("rtol").map(num).transpose()?.unwrap_or(1e-12);
        match r.achieved_confidence {
            Some(got) if agrees(got, expected, tol, 0.0) => {}
            got => problems.push(format!("achieved_confidence = {got:?} expected {expected}")),
        }
    }
    if method != Method::Auto && r.method != method {
        problems.push(format!("method used {:?}, asked {method:?}", r.method));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn every_hodges_lehmann_reference_case_agrees() {
    let files = fixture_files();
    assert!(!files.is_empty(), "no fixture files");
    let (mut total, mut failures) = (0usize, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: malformed JSON: {e}", file.display()));
        let cases = doc["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no `cases` array", file.display()));
        for case in cases {
            total += 1;
            let id = case["id"].as_str().unwrap_or("<no id>");
            if let Err(why) = run_case(case) {
                let name = file.file_name().unwrap().to_string_lossy();
                failures.push(format!("{name}:{id}: {why}"));
            }
        }
    }
    assert!(total > 0, "no cases");
    assert!(
        failures.is_empty(),
        "{} of {total} Hodges-Lehmann reference cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
