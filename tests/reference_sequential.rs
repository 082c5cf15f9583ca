//! Runs every case of every file in `fixtures/reference/sequential/` (see
//! `shared/spec/sequential.md` for the schema) and names every case that disagrees.
//!
//! Agreement: `|got - expected| <= atol + rtol * |expected|` (absent = 0); infinite values agree
//! only when equal; an expected "NaN" agrees only with NaN.

mod common;

use canary_analysis::stats::Alternative;
use canary_analysis::stats::sequential::counts::count_log_e;
use canary_analysis::stats::sequential::{dkw_radius, ks_sequential_p, normal_mixture};
use common::{agrees, check_every_case, number};
use serde_json::Value;

fn field(case: &Value, key: &str) -> Result<f64, String> {
    case.get(key)
        .and_then(|v| number(v).ok())
        .ok_or_else(|| format!("missing or non-numeric field `{key}`"))
}

fn count(case: &Value, key: &str) -> Result<u64, String> {
    case.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("missing or non-integer field `{key}`"))
}

/// Checks one case; `Err` describes every disagreement or a malformed case.
fn check(case: &Value) -> Result<(), String> {
    let rtol = case.get("rtol").and_then(|v| number(v).ok()).unwrap_or(0.0);
    let atol = case.get("atol").and_then(|v| number(v).ok()).unwrap_or(0.0);
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
            let want = number(want).map_err(|e| format!("expected.{key}: {e}"))?;
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
    check_every_case("sequential", check);
}
