//! Reference suite: every case of every `fixtures/reference/hodges_lehmann/*.json` file.
//!
//! Schema (see `shared/spec/statistics.md`): `{"id", "x", "y", "alternative", "confidence",
//! "method", "continuity", "expected": {"estimate", "lower", "upper", "achieved_confidence"?},
//! "atol", "rtol"?}`; `x` is the canary, `y` the baseline, the shift is `x - y`. `atol` (and
//! `rtol`, default 0) apply to estimate, lower and upper; `achieved_confidence` is compared with
//! `rtol` (default 1e-12); infinite ends agree only when equal.

mod common;

use canary_analysis::stats::hodges_lehmann::{HodgesLehmannOptions, hodges_lehmann};
use canary_analysis::stats::{Alternative, Method};
use common::{agrees, check_every_case, number, numbers};
use serde_json::Value;

fn run_case(case: &Value) -> Result<(), String> {
    let x = numbers(&case["x"])?;
    let y = numbers(&case["y"])?;
    let alternative: Alternative =
        serde_json::from_value(case["alternative"].clone()).map_err(|e| e.to_string())?;
    let method: Method =
        serde_json::from_value(case["method"].clone()).map_err(|e| e.to_string())?;
    let continuity = case["continuity"]
        .as_bool()
        .ok_or("`continuity` must be a boolean")?;
    let confidence = number(&case["confidence"])?;
    let atol = case.get("atol").map(number).transpose()?.unwrap_or(0.0);
    let rtol = case.get("rtol").map(number).transpose()?.unwrap_or(0.0);
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
        let expected = number(&e[name])?;
        if !agrees(got, expected, atol, rtol) {
            problems.push(format!(
                "{name} = {got:?} expected {expected:?} (diff {:e})",
                got - expected
            ));
        }
    }
    if let Some(ach) = e.get("achieved_confidence") {
        let expected = number(ach)?;
        let tol = case.get("rtol").map(number).transpose()?.unwrap_or(1e-12);
        match r.achieved_confidence {
            Some(got) if agrees(got, expected, 0.0, tol) => {}
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
    check_every_case("hodges_lehmann", run_case);
}
