//! Reference suite: every case of every `fixtures/reference/bench_compare/*.json` file.
//!
//! Schema: `{"id", "old", "new", "method", "expected": {"u", "p_value"}, "rtol", "atol"?}`:
//! per-iteration times (ns) of one benchmark; expected values are scipy's
//! `mannwhitneyu(new, old, alternative="two-sided", method)` (see `generate.py`). Each case is
//! run through [`compare`] as a one-benchmark suite, whose raw p-value must agree, with the
//! method the comparison reports, and whose ratio interval must hold the estimate.

mod common;

use canary_analysis::bench::{CompareOptions, Samples, compare};
use canary_analysis::stats::Method;
use common::{agrees, check_every_case, number, numbers};
use serde_json::Value;

fn run_case(case: &Value) -> Result<(), String> {
    let old = Samples::new("b", numbers(&case["old"])?).map_err(|e| e.to_string())?;
    let new = Samples::new("b", numbers(&case["new"])?).map_err(|e| e.to_string())?;
    let method: Method =
        serde_json::from_value(case["method"].clone()).map_err(|e| e.to_string())?;
    let rtol = case.get("rtol").map(number).transpose()?.unwrap_or(0.0);
    let atol = case.get("atol").map(number).transpose()?.unwrap_or(0.0);
    let exp_p = number(&case["expected"]["p_value"])?;
    let s = compare(&[old], &[new], &CompareOptions::new()).map_err(|e| e.to_string())?;
    let b = &s.benchmarks[0];
    let mut problems = Vec::new();
    if !agrees(b.p_value, exp_p, atol, rtol) {
        problems.push(format!("p = {:e} expected {exp_p:e}", b.p_value));
    }
    if b.method != Some(method) {
        problems.push(format!("method {:?}, scipy ran {method:?}", b.method));
    }
    if b.adjusted_p != b.p_value {
        problems.push("one benchmark: adjusted p must equal p".to_owned());
    }
    if !(b.ratio_lower <= b.ratio && b.ratio <= b.ratio_upper) {
        problems.push(format!(
            "interval [{}, {}] misses the estimate {}",
            b.ratio_lower, b.ratio_upper, b.ratio
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn every_bench_compare_reference_case_agrees() {
    check_every_case("bench_compare", run_case);
}
