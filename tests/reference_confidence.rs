//! Reference suite for `confidence`: every case of every file in `fixtures/reference/confidence/`
//! (generated with scipy by `generate.py` there).
//!
//! - `clopper_pearson_upper`: [`clopper_pearson_upper`] against `scipy.stats.beta.ppf`;
//! - `beta_cdf`: the track-record value (the posterior probability that the failure rate is at
//!   most `r`) read from an assessment's breakdown, against `scipy.stats.beta.cdf`.

mod common;

use canary_analysis::confidence::*;
use serde_json::Value;

fn field(case: &Value, name: &str) -> Result<f64, String> {
    common::number(case.get(name).ok_or_else(|| format!("no field {name}"))?)
}

fn check(case: &Value) -> Result<(), String> {
    let expected = field(case, "expected")?;
    let rtol = field(case, "rtol").unwrap_or(0.0);
    let atol = field(case, "atol").unwrap_or(0.0);
    let got = match case.get("kind").and_then(Value::as_str) {
        Some("clopper_pearson_upper") => {
            let k = field(case, "k")? as usize;
            let n = field(case, "n")? as usize;
            let c = field(case, "confidence")?;
            clopper_pearson_upper(k, n, c).map_err(|e| e.to_string())?
        }
        Some("beta_cdf") => {
            let (a, b, r) = (field(case, "a")?, field(case, "b")?, field(case, "r")?);
            let opts = ConfidenceOptions::new()
                .track_record_prior(a, b)
                .max_failure_rate(r);
            let signals = Signals::new().track_record(TrackRecord::default());
            let assessment = assess(&signals, &opts).map_err(|e| e.to_string())?;
            assessment
                .contributions
                .iter()
                .find(|c| c.signal == SignalKind::TrackRecord)
                .ok_or("no track-record contribution")?
                .value
        }
        other => return Err(format!("unknown kind {other:?}")),
    };
    if common::agrees(got, expected, atol, rtol) {
        Ok(())
    } else {
        Err(format!("got {got:e}, expected {expected:e}"))
    }
}

#[test]
fn confidence_reference_cases_agree() {
    common::check_every_case("confidence", check);
}
