//! Reference suites for the kernels the judges compose: every case of every JSON file in
//! `fixtures/reference/{quantile,exceedance,rate,multiplicity}/` (each folder's `generate.py`
//! documents its schema and the scipy / numpy / statsmodels functions behind it).

mod common;

use canary_analysis::stats::exceedance::{ExceedanceOptions, ExceedanceTail, exceedance};
use canary_analysis::stats::multiplicity::{Correction, MultiplicityOptions, adjust};
use canary_analysis::stats::quantile::{median, quantile};
use canary_analysis::stats::rate::{RateOptions, rate_test};
use canary_analysis::stats::{Alternative, Method};
use common::{agrees, check_every_case, number, numbers};
use serde_json::Value;

fn tolerances(case: &Value) -> Result<(f64, f64), String> {
    let atol = case.get("atol").map(number).transpose()?.unwrap_or(0.0);
    let rtol = case.get("rtol").map(number).transpose()?.unwrap_or(0.0);
    Ok((atol, rtol))
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

fn compare(problems: &mut Vec<String>, name: &str, got: f64, expected: f64, atol: f64, rtol: f64) {
    if !agrees(got, expected, atol, rtol) {
        problems.push(format!(
            "{name} = {got:?} expected {expected:?} (diff {:e})",
            got - expected
        ));
    }
}

fn verdict(problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn every_quantile_reference_case_agrees() {
    check_every_case("quantile", |case| {
        let values = numbers(&case["values"])?;
        let (atol, rtol) = tolerances(case)?;
        let expected = number(&case["expected"])?;
        let got = match case.get("p") {
            Some(p) => quantile(&values, number(p)?),
            None => median(&values),
        }
        .map_err(|e| format!("error: {e}"))?;
        let mut problems = Vec::new();
        compare(&mut problems, "value", got, expected, atol, rtol);
        verdict(problems)
    });
}

fn check_tail(
    problems: &mut Vec<String>,
    name: &str,
    got: Option<&ExceedanceTail>,
    expected: Option<&Value>,
    atol: f64,
    rtol: f64,
) -> Result<(), String> {
    match (got, expected) {
        (None, None) => {}
        (Some(t), Some(e)) => {
            let count = e["count"].as_u64().ok_or("`count` must be an integer")? as usize;
            if t.count != count {
                problems.push(format!("{name}.count = {} expected {count}", t.count));
            }
            compare(
                problems,
                &format!("{name}.extreme"),
                t.extreme,
                number(&e["extreme"])?,
                0.0,
                0.0,
            );
            compare(
                problems,
                &format!("{name}.p_value"),
                t.p_value,
                number(&e["p_value"])?,
                atol,
                rtol,
            );
            match (t.median_excess, &e["median_excess"]) {
                (None, Value::Null) => {}
                (Some(g), v) if !v.is_null() => compare(
                    problems,
                    &format!("{name}.median_excess"),
                    g,
                    number(v)?,
                    atol,
                    rtol,
                ),
                (g, v) => problems.push(format!("{name}.median_excess = {g:?} expected {v}")),
            }
        }
        (g, e) => problems.push(format!("{name} = {g:?} expected {e:?}")),
    }
    Ok(())
}

#[test]
fn every_exceedance_reference_case_agrees() {
    check_every_case("exceedance", |case| {
        let baseline = numbers(&case["baseline"])?;
        let canary = numbers(&case["canary"])?;
        let alternative: Alternative = parse(&case["alternative"])?;
        let (atol, rtol) = tolerances(case)?;
        let e = &case["expected"];
        let opts = ExceedanceOptions::new().alternative(alternative);
        let r = exceedance(&baseline, &canary, &opts).map_err(|e| format!("error: {e}"))?;
        let mut problems = Vec::new();
        compare(
            &mut problems,
            "p_value",
            r.p_value,
            number(&e["p_value"])?,
            atol,
            rtol,
        );
        check_tail(
            &mut problems,
            "upper",
            r.upper.as_ref(),
            e.get("upper"),
            atol,
            rtol,
        )?;
        check_tail(
            &mut problems,
            "lower",
            r.lower.as_ref(),
            e.get("lower"),
            atol,
            rtol,
        )?;
        if (r.n_baseline, r.n_canary) != (baseline.len(), canary.len()) {
            problems.push(format!("sizes {} x {}", r.n_baseline, r.n_canary));
        }
        verdict(problems)
    });
}

#[test]
fn every_rate_reference_case_agrees() {
    check_every_case("rate", |case| {
        let baseline = numbers(&case["baseline"])?;
        let canary = numbers(&case["canary"])?;
        let alternative: Alternative = parse(&case["alternative"])?;
        let method: Method = parse(&case["method"])?;
        let (atol, rtol) = tolerances(case)?;
        let e = &case["expected"];
        let opts = RateOptions::new().alternative(alternative).method(method);
        let r = rate_test(&baseline, &canary, &opts).map_err(|e| format!("error: {e}"))?;
        let mut problems = Vec::new();
        let expected_method: Method = parse(&e["method"])?;
        if r.method != expected_method {
            problems.push(format!(
                "method {:?} expected {expected_method:?}",
                r.method
            ));
        }
        compare(
            &mut problems,
            "p_value",
            r.p_value,
            number(&e["p_value"])?,
            atol,
            rtol,
        );
        compare(
            &mut problems,
            "rate_ratio",
            r.rate_ratio,
            number(&e["rate_ratio"])?,
            0.0,
            1e-14,
        );
        compare(
            &mut problems,
            "dispersion",
            r.dispersion,
            number(&e["dispersion"])?,
            1e-14,
            1e-12,
        );
        verdict(problems)
    });
}

#[test]
fn every_multiplicity_reference_case_agrees() {
    check_every_case("multiplicity", |case| {
        let p = numbers(&case["p_values"])?;
        let correction: Correction = parse(&case["correction"])?;
        let alpha = number(&case["alpha"])?;
        let (atol, rtol) = tolerances(case)?;
        let e = &case["expected"];
        let opts = MultiplicityOptions::new()
            .correction(correction)
            .alpha(alpha);
        let r = adjust(&p, &opts).map_err(|e| format!("error: {e}"))?;
        let adjusted = numbers(&e["adjusted"])?;
        let rejected: Vec<bool> = parse(&e["rejected"])?;
        let mut problems = Vec::new();
        if r.adjusted.len() != adjusted.len() {
            problems.push(format!(
                "{} adjusted values for {}",
                r.adjusted.len(),
                adjusted.len()
            ));
        }
        for (i, (&g, &x)) in r.adjusted.iter().zip(&adjusted).enumerate() {
            compare(&mut problems, &format!("adjusted[{i}]"), g, x, atol, rtol);
        }
        if r.rejected != rejected {
            problems.push(format!("rejected {:?} expected {rejected:?}", r.rejected));
        }
        verdict(problems)
    });
}
