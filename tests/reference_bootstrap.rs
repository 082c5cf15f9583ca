//! Reference suite: every case of every JSON file in `fixtures/reference/bootstrap/` (schema in the
//! shared statistics spec), run with our bootstrap at the case's `resamples` and a fixed seed.
//!
//! `samples[0]` is scipy's `x`, mapped to the canary, and `samples[1]` is `y`, the baseline:
//! `mean_difference = mean(samples[0]) - mean(samples[1])`. A value agrees when
//! `|got - expected| <= tolerance` (absolute); infinite ends agree only when equal. An expected
//! `"NaN"` interval (scipy's degenerate BCa) agrees only with our typed `Error::Degenerate`.
//! Every failing case id is reported, then the test fails.

mod common;

use canary_analysis::Error;
use canary_analysis::stats::bootstrap::{
    BootstrapOptions, Comparison, IntervalMethod, Statistic, bootstrap, bootstrap_two_sample,
};
use common::{agrees, check_every_case, number};
use serde_json::Value;

/// The fixed seed; `BOOTSTRAP_REFERENCE_SEED=<u64>` overrides it (to check that agreement does
/// not hinge on one seed).
fn seed() -> u64 {
    std::env::var("BOOTSTRAP_REFERENCE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_B007)
}

fn field<'a>(case: &'a Value, key: &str) -> Result<&'a Value, String> {
    case.get(key)
        .ok_or_else(|| format!("missing field {key:?}"))
}

/// Runs one case; `Err` describes the disagreement.
fn run(case: &Value) -> Result<(), String> {
    let samples: Vec<Vec<f64>> = field(case, "samples")?
        .as_array()
        .ok_or("samples is not an array")?
        .iter()
        .map(|s| {
            s.as_array()
                .ok_or_else(|| "a sample is not an array".to_owned())?
                .iter()
                .map(number)
                .collect::<Result<Vec<f64>, String>>()
        })
        .collect::<Result<_, _>>()?;
    let statistic = field(case, "statistic")?
        .as_str()
        .ok_or("statistic is not a string")?;
    let method = match field(case, "method")?
        .as_str()
        .ok_or("method is not a string")?
    {
        "percentile" => IntervalMethod::Percentile,
        "basic" => IntervalMethod::Basic,
        "bca" => IntervalMethod::Bca,
        other => return Err(format!("unknown method {other:?}")),
    };
    let confidence = number(field(case, "confidence")?)?;
    let resamples = field(case, "resamples")?
        .as_u64()
        .ok_or("resamples is not a non-negative integer")? as usize;
    let expected = field(case, "expected")?;
    let tolerance = field(case, "tolerance")?;
    let tol = |key: &str| tolerance.get(key).map(number).unwrap_or(Ok(0.0));
    let opts = BootstrapOptions::new()
        .resamples(resamples)
        .confidence(confidence)
        .method(method)
        .seed(seed());
    let result = match (statistic, samples.as_slice()) {
        ("mean", [x]) => bootstrap(x, Statistic::Mean, &opts),
        ("median", [x]) => bootstrap(x, Statistic::Median, &opts),
        ("mean_difference", [x, y]) => {
            bootstrap_two_sample(y, x, Statistic::Mean, Comparison::Difference, &opts)
        }
        (s, v) => {
            return Err(format!(
                "statistic {s:?} with {} sample(s) is not in the schema",
                v.len()
            ));
        }
    };
    let exp_lower = number(field(expected, "lower")?)?;
    let exp_upper = number(field(expected, "upper")?)?;
    let got = match result {
        Ok(got) => got,
        Err(Error::Degenerate { .. }) if exp_lower.is_nan() && exp_upper.is_nan() => return Ok(()),
        Err(e) => return Err(format!("error: {e}")),
    };
    let mut bad = Vec::new();
    for (name, g, e) in [
        (
            "estimate",
            got.estimate,
            number(field(expected, "estimate")?)?,
        ),
        ("lower", got.lower, exp_lower),
        ("upper", got.upper, exp_upper),
    ] {
        let t = tol(name)?;
        if !agrees(g, e, t, 0.0) {
            bad.push(format!(
                "{name}: got {g}, expected {e} +- {t} (off by {})",
                (g - e).abs()
            ));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}

#[test]
fn every_reference_case_agrees() {
    check_every_case("bootstrap", run);
}
