//! Kayenta's Mann-Whitney interval port against R (fixtures/reference/kayenta_interval/, made by
//! its generate.R), plus the interval case stated in shared/spec/kayenta.md.

use canary_analysis::judge::kayenta::kayenta_interval;
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    source: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    experiment: Vec<f64>,
    control: Vec<f64>,
    confidence: f64,
    expected: Expected,
    atol: f64,
}

#[derive(Deserialize)]
struct Expected {
    lower: f64,
    upper: f64,
    estimate: f64,
}

#[test]
fn every_r_interval_case() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/reference/kayenta_interval"
    );
    let mut failures = Vec::new();
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let file: File = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!file.source.is_empty());
        for c in file.cases {
            count += 1;
            match kayenta_interval(&c.experiment, &c.control, c.confidence) {
                Ok(got) => {
                    for (what, g, e) in [
                        ("lower", got.lower, c.expected.lower),
                        ("upper", got.upper, c.expected.upper),
                        ("estimate", got.estimate, c.expected.estimate),
                    ] {
                        if (g - e).abs() > c.atol {
                            failures.push(format!("{}: {what} {g} vs R {e}", c.id));
                        }
                    }
                }
                Err(e) => failures.push(format!("{}: error {e}", c.id)),
            }
        }
    }
    assert!(count > 0);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// shared/spec/kayenta.md, "Public reference outcomes": experiment [10,20,30,40], control
/// [1,2,3,4], confidence 0.95 -> [6, 39], estimate 22.5.
#[test]
fn spec_interval_case() {
    let ci = kayenta_interval(&[10.0, 20.0, 30.0, 40.0], &[1.0, 2.0, 3.0, 4.0], 0.95).unwrap();
    assert!((ci.lower - 6.0).abs() < 1e-4, "{ci:?}");
    assert!((ci.upper - 39.0).abs() < 1e-4, "{ci:?}");
    assert!((ci.estimate - 22.5).abs() < 1e-4, "{ci:?}");
}
