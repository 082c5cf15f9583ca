//! Shared by the reference suites (`tests/reference_*.rs`): the fixture envelope and the agreement
//! rule of `shared/spec/statistics.md` ("Reference fixtures").
//!
//! Every file in `fixtures/reference/<area>/` is `{"source": ..., "cases": [...]}`; numbers are
//! JSON numbers or the strings "NaN", "Infinity", "-Infinity". A value agrees when
//! `|got - expected| <= atol + rtol * |expected|`; infinite values agree only when equal; an
//! expected NaN agrees only with NaN.
#![allow(dead_code)] // each test binary uses a subset

use std::path::Path;

use serde_json::Value;

/// A JSON number, or one of the strings "NaN", "Infinity", "-Infinity".
pub fn number(v: &Value) -> Result<f64, String> {
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

/// An array of [`number`]s.
pub fn numbers(v: &Value) -> Result<Vec<f64>, String> {
    v.as_array()
        .ok_or_else(|| format!("expected an array, got {v}"))?
        .iter()
        .map(number)
        .collect()
}

/// The spec's agreement rule.
pub fn agrees(got: f64, expected: f64, atol: f64, rtol: f64) -> bool {
    if expected.is_nan() {
        return got.is_nan();
    }
    if expected.is_infinite() || got.is_infinite() {
        return got == expected;
    }
    (got - expected).abs() <= atol + rtol * expected.abs()
}

/// Runs `check` on every case of every `*.json` file in `fixtures/reference/<area>/` and fails
/// naming every case that disagrees (or every file that is not a fixture envelope).
pub fn check_every_case(area: &str, check: impl Fn(&Value) -> Result<(), String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/reference")
        .join(area);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixture files in {}", dir.display());
    let (mut total, mut failures) = (0usize, Vec::new());
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).expect("readable fixture");
        let doc: Value = match serde_json::from_str(&text) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{name}: invalid JSON: {e}"));
                continue;
            }
        };
        let Some(cases) = doc.get("cases").and_then(Value::as_array) else {
            failures.push(format!("{name}: no \"cases\" array"));
            continue;
        };
        for (k, case) in cases.iter().enumerate() {
            total += 1;
            let id = case
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{k}"), str::to_owned);
            if let Err(why) = check(case) {
                failures.push(format!("{name} / {id}: {why}"));
            }
        }
    }
    assert!(total > 0, "no cases in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} of {total} {area} reference cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{total} {area} reference cases agree");
}
