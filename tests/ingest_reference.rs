//! Reference suite: every file in fixtures/reference/metrics/ lists cases (a shipped input file
//! in some format, a metric) with the numpy summaries of each side after `NanPolicy::Remove` and
//! the number of gap steps. All failing case ids are reported together.
use std::path::Path;

use canary_analysis::metrics::csv::{CsvOptions, read_csv};
use canary_analysis::metrics::kayenta::read_metric_set_pairs;
use canary_analysis::metrics::prometheus::{PrometheusOptions, read_query_range};
use canary_analysis::metrics::{CleanOptions, MetricPair, NanPolicy, Summary, Timestamps};
use serde_json::Value;

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn check_side(
    id: &str,
    side: &str,
    s: &Summary,
    gaps: usize,
    exp: &Value,
    fails: &mut Vec<String>,
) {
    let num = |k: &str| exp[k].as_f64().unwrap_or(f64::NAN);
    if s.n as f64 != num("n") {
        fails.push(format!("{id} {side}: n {} != {}", s.n, num("n")));
    }
    if gaps as f64 != num("gap_steps") {
        fails.push(format!(
            "{id} {side}: gap_steps {gaps} != {}",
            num("gap_steps")
        ));
    }
    for (k, got) in [
        ("mean", s.mean),
        ("median", s.median),
        ("p90", s.p90),
        ("p99", s.p99),
        ("min", s.min),
        ("max", s.max),
    ] {
        if !close(got, num(k)) {
            fails.push(format!("{id} {side}: {k} {got} != {}", num(k)));
        }
    }
}

fn load(case: &Value) -> Result<Vec<MetricPair>, String> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/metrics")
        .join(case["file"].as_str().ok_or("no file")?);
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let r = match case["format"].as_str() {
        Some("kayenta") => read_metric_set_pairs(&text),
        Some("prometheus") => {
            let mut o = PrometheusOptions::new();
            if let Some(l) = case["instance_label"].as_str() {
                o = o.instance_label(l);
            }
            if let Some(s) = case["step_millis"].as_i64() {
                o = o.step_millis(s);
            }
            read_query_range(&text, &o)
        }
        Some("csv") => {
            let mut o = CsvOptions::new();
            if let Some(m) = case["metric_option"].as_str() {
                o = o.metric(m);
            }
            read_csv(&text, &o)
        }
        other => return Err(format!("unknown format {other:?}")),
    };
    r.map_err(|e| e.to_string())
}

#[test]
fn reference_summaries() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference/metrics");
    let mut fails = Vec::new();
    let mut count = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for case in doc["cases"].as_array().expect("cases") {
            count += 1;
            let id = case["id"].as_str().unwrap_or("?").to_owned();
            let pairs = match load(case) {
                Ok(p) => p,
                Err(e) => {
                    fails.push(format!("{id}: {e}"));
                    continue;
                }
            };
            let Some(pair) = pairs
                .iter()
                .find(|p| Some(p.metric()) == case["metric"].as_str())
            else {
                fails.push(format!("{id}: metric {} not found", case["metric"]));
                continue;
            };
            if let Some(start) = case["start_millis"].as_i64() {
                match &pair.baseline().timestamps() {
                    Timestamps::Regular { start_millis, .. } if *start_millis == start => {}
                    t => fails.push(format!("{id}: axis {t:?}, expected start {start}")),
                }
            }
            match pair.clean(&CleanOptions::new().policy(NanPolicy::Remove)) {
                Ok(c) => {
                    check_side(
                        &id,
                        "baseline",
                        &c.baseline().expect("data").summary(),
                        pair.baseline().gap_steps(),
                        &case["baseline"],
                        &mut fails,
                    );
                    check_side(
                        &id,
                        "canary",
                        &c.canary().expect("data").summary(),
                        pair.canary().gap_steps(),
                        &case["canary"],
                        &mut fails,
                    );
                }
                Err(e) => fails.push(format!("{id}: clean: {e}")),
            }
        }
    }
    assert!(count > 0, "no reference cases found in {}", dir.display());
    assert!(
        fails.is_empty(),
        "{} failures:\n{}",
        fails.len(),
        fails.join("\n")
    );
}
