//! Reference suite: every case of every `fixtures/reference/mann_whitney/*.json` file.
//!
//! Schema (see `shared/spec/statistics.md`): `{"id", "x", "y", "alternative", "method",
//! "continuity", "expected": {"u", "p_value"}, "rtol", "atol"?}`; `x` is the canary, `y` the
//! baseline. A value agrees when `|got - expected| <= atol + rtol * |expected|`; `u` is compared
//! like `p_value`. An expected `"NaN"` p-value (scipy's answer when every observation is tied)
//! agrees only with NaN or with this crate's typed [`Error::Degenerate`].

use std::path::{Path, PathBuf};

use canary_analysis::Error;
use canary_analysis::stats::mann_whitney::{MannWhitneyOptions, mann_whitney};
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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference/mann_whitney");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Runs one case; `Ok(())` when it agrees, else a description of the disagreement.
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
    let rtol = case.get("rtol").map(num).transpose()?.unwrap_or(0.0);
    let atol = case.get("atol").map(num).transpose()?.unwrap_or(0.0);
    let exp_u = num(&case["expected"]["u"])?;
    let exp_p = num(&case["expected"]["p_value"])?;
    let opts = MannWhitneyOptions::new()
        .alternative(alternative)
        .method(method)
        .continuity(continuity);
    // x = canary, y = baseline.
    let r = match mann_whitney(&y, &x, &opts) {
        Ok(r) => r,
        Err(Error::Degenerate { .. }) if exp_p.is_nan() => return Ok(()),
        Err(e) => return Err(format!("error: {e}")),
    };
    let mut problems = Vec::new();
    if !agrees(r.u_canary, exp_u, rtol, atol) {
        problems.push(format!("u = {} expected {exp_u}", r.u_canary));
    }
    if !agrees(r.p_value, exp_p, rtol, atol) {
        problems.push(format!(
            "p = {:e} expected {exp_p:e} (rel {:e})",
            r.p_value,
            (r.p_value - exp_p) / exp_p
        ));
    }
    if method != Method::Auto && r.method != method {
        problems.push(format!("method used {:?}, asked {method:?}", r.method));
    }
    if !(0.0..=1.0).contains(&r.p_value) {
        problems.push(format!("p = {} outside [0, 1]", r.p_value));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn every_mann_whitney_reference_case_agrees() {
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
        "{} of {total} Mann-Whitney reference cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
