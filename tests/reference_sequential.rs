//! Runs every case of every file in `fixtures/reference/sequential/` (see
//! `shared/spec/sequential.md` for the schema) and names every case that disagrees.
//!
//! Agreement: `|got - expected| <= atol + rtol * |expected|` (absent = 0); infinite values agree
//! only when equal; an expected "NaN" agrees only with NaN.

use std::fs;
use std::path::Path;

use canary_analysis::stats::Alternative;
use canary_analysis::stats::sequential::counts::count_log_e;
use canary_analysis::stats::sequential::{dkw_radius, ks_sequential_p, normal_mixture};
use serde_json::Value;

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

fn field(case: &Value, key: &str) -> Result<f64, String> {
    case.get(key)
        .and_then(number)
        .ok_or_else(|| format!("missing or non-numeric field `{key}`"))
}

fn count(case: &Value, key: &str) -> Result<u64, String> {
    case.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("missing or non-integer field `{key}`"))
}

fn agrees(got: f64, want: f64, atol: f64, rtol: f64) -> bool {
    if want.is_nan() {
        return got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= atol + rtol * want.abs()
}

/// Checks one case; `Err` describes every disagreement or a malformed case.
fn check(case: &Value) -> Result<(), String> {
    let rtol = case.get("rtol").and_then(number).unwrap_or(0.0);
    let atol = case.get("atol").and_then(number).unwrap_or(0.0);
    let expected = case
        .get("expected")
        .ok_or_else(|| "missing `expected`".to_owned())?;
    let test = case
        .get("test")
        .and_then(Value::as_str)
        .ok_or_else(|| "missing `test`".to_owned())?;
    let mut got: Vec<(&str, f64)> = Vec::new();
    match test {
        "count_mixture" => {
            let sided = match case.get("sided").and_then(Value::as_str) {
                Some("two-sided") => Alternative::TwoSided,
                Some("greater") => Alternative::Greater,
                Some("less") => Alternative::Less,
                other => return Err(format!("unknown `sided` {other:?}")),
            };
            let v = count_log_e(
                count(case, "canary")?,
                count(case, "baseline")?,
                field(case, "canary_share")?,
                field(case, "k")?,
                sided,
            )
            .map_err(|e| e.to_string())?;
            got.push(("log_e", v));
        }
        "dkw_radius" => {
            let v =
                dkw_radius(count(case, "n")?, field(case, "alpha")?).map_err(|e| e.to_string())?;
            got.push(("epsilon", v));
        }
        "ks_sequential_p" => {
            let v = ks_sequential_p(
                field(case, "d")?,
                count(case, "n_baseline")?,
                count(case, "n_canary")?,
            )
            .map_err(|e| e.to_string())?;
            got.push(("p_value", v));
        }
        "msprt" => {
            let (nc, nb) = (count(case, "n_canary")?, count(case, "n_baseline")?);
            if nc == 0 || nb == 0 {
                return Err("arm sizes must be >= 1".to_owned());
            }
            let v = field(case, "sigma2")? * (1.0 / nb as f64 + 1.0 / nc as f64);
            let m = normal_mixture(
                field(case, "difference")?,
                v,
                field(case, "tau2")?,
                0.0,
                field(case, "alpha")?,
            )
            .map_err(|e| e.to_string())?;
            got.push(("log_lambda", m.log_lambda));
            got.push(("half_width", m.half_width));
        }
        other => return Err(format!("unknown test `{other}`")),
    }
    let mut problems = Vec::new();
    let mut compared = 0;
    for (key, value) in got {
        if let Some(want) = expected.get(key) {
            let want = number(want).ok_or_else(|| format!("expected.{key} is not a number"))?;
            compared += 1;
            if !agrees(value, want, atol, rtol) {
                problems.push(format!("{key}: got {value:e}, expected {want:e}"));
            }
        }
    }
    if compared == 0 {
        problems.push("no expected value to compare".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn every_sequential_fixture_agrees() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference/sequential");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("fixture folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    let mut failures = Vec::new();
    let mut total = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(file).expect("readable fixture");
        let doc: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: not JSON: {e}"));
                continue;
            }
        };
        let Some(cases) = doc.get("cases").and_then(Value::as_array) else {
            failures.push(format!("{name}: no `cases` array"));
            continue;
        };
        for case in cases {
            total += 1;
            let id = case.get("id").and_then(Value::as_str).unwrap_or("<no id>");
            if let Err(why) = check(case) {
                failures.push(format!("{name} / {id}: {why}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total > 0);
}
