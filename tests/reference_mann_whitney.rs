//! Reference suite: every case of every `fixtures/reference/mann_whitney/*.json` file.
//!
//! Schema (see `shared/spec/statistics.md`): `{"id", "x", "y", "alternative", "method",
//! "continuity", "expected": {"u", "p_value"}, "rtol", "atol"?}`; `x` is the canary, `y` the
//! baseline. A value agrees when `|got - expected| <= atol + rtol * |expected|`; `u` is compared
//! like `p_value`. An expected `"NaN"` p-value (scipy's answer when every observation is tied)
//! agrees only with NaN or with this crate's typed [`Error::Degenerate`].

mod common;

use canary_analysis::Error;
use canary_analysis::stats::mann_whitney::{MannWhitneyOptions, mann_whitney};
use canary_analysis::stats::{Alternative, Method};
use common::{agrees, check_every_case, number, numbers};
use serde_json::Value;

/// Runs one case; `Ok(())` when it agrees, else a description of the disagreement.
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
    let rtol = case.get("rtol").map(number).transpose()?.unwrap_or(0.0);
    let atol = case.get("atol").map(number).transpose()?.unwrap_or(0.0);
    let exp_u = number(&case["expected"]["u"])?;
    let exp_p = number(&case["expected"]["p_value"])?;
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
    if !agrees(r.u_canary, exp_u, atol, rtol) {
        problems.push(format!("u = {} expected {exp_u}", r.u_canary));
    }
    if !agrees(r.p_value, exp_p, atol, rtol) {
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
    check_every_case("mann_whitney", run_case);
}
