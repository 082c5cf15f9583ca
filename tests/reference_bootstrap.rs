//! Reference suite: every case of every JSON file in `fixtures/reference/bootstrap/` (schema in the
//! shared statistics spec), run with our bootstrap at the case's `resamples` and a fixed seed.
//!
//! `samples[0]` is scipy's `x`, mapped to the canary, and `samples[1]` is `y`, the baseline:
//! `mean_difference = mean(samples[0]) - mean(samples[1])`. A value agrees when
//! `|got - expected| <= tolerance` (absolute); infinite ends agree only when equal. An expected
//! `"NaN"` interval (scipy's degenerate BCa) agrees only with our typed `Error::Degenerate`.
//! Every failing case id is reported, then the test fails.

use std::path::{Path, PathBuf};

use canary_analysis::Error;
use canary_analysis::stats::bootstrap::{
    BootstrapOptions, Comparison, IntervalMethod, Statistic, bootstrap, bootstrap_two_sample,
};
use serde_json::Value;

/// The fixed seed; `BOOTSTRAP_REFERENCE_SEED=<u64>` overrides it (to check that agreement does
/// not hinge on one seed).
fn seed() -> u64 {
    std::env::var("BOOTSTRAP_REFERENCE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_B007)
}

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference/bootstrap")
}

/// A JSON number, or one of the strings "NaN", "Infinity", "-Infinity".
fn number(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("bad number {n}")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => Err(format!("bad number string {s:?}")),
        },
        _ => Err(format!("expected a number, got {v}")),
    }
}

fn field<'a>(case: &'a Value, key: &str) -> Result<&'a Value, String> {
    case.get(key)
        .ok_or_else(|| format!("missing field {key:?}"))
}

fn agrees(got: f64, expected: f64, tol: f64) -> bool {
    if expected.is_nan() {
        got.is_nan()
    } else if expected.is_infinite() || got.is_infinite() {
        got == expected
    } else {
        (got - expected).abs() <= tol
    }
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
        if !agrees(g, e, t) {
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
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder())
        .expect("fixtures/reference/bootstrap exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no fixture files in {}",
        folder().display()
    );
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
            if let Err(why) = run(case) {
                failures.push(format!("{name} {id}: {why}"));
            }
        }
    }
    assert!(total > 0, "no cases found");
    assert!(
        failures.is_empty(),
        "{} of {total} bootstrap reference cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{total} bootstrap reference cases agree");
}
