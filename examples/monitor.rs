//! Continuous canary monitoring, step by step, on the shipped event stream.
//!
//! ```text
//! cargo run --release --example monitor
//! ```
//!
//! The tool for this job is the `canary monitor` command (`cargo install --path cli`), which reads
//! the same JSON lines from a file or standard input and prints one JSON line per look:
//!
//! ```text
//! canary monitor --input fixtures/sequential/events.jsonl --look-every 50
//! ```
//!
//! This walkthrough shows what it does underneath with the library's
//! [`MetricMonitor`]: a latency metric watched by a time-uniform DKW test and an mSPRT on log
//! values, an error count watched by the Lindon-Malek Beta mixture, each metric's tests
//! combined by Bonferroni so that its false-rejection probability over all looks stays below
//! alpha.
use std::collections::BTreeMap;
use std::error::Error;

use canary_analysis::stats::Alternative;
use canary_analysis::stats::sequential::{
    Arm, CountMixture, CountMixtureOptions, Decision, Dkw, DkwOptions, MetricMonitor, Msprt,
    MsprtOptions, SequentialTest, Transform,
};
use serde_json::Value;

fn main() -> Result<(), Box<dyn Error>> {
    let alpha = 0.05;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/sequential/events.jsonl"
    );
    let text = std::fs::read_to_string(path)?;
    println!(
        "== Step 1: the stream: {} lines from {path}",
        text.lines().count()
    );

    println!("== Step 2: one monitor per metric, alpha = {alpha} each");
    let continuous = || -> Result<MetricMonitor, canary_analysis::Error> {
        MetricMonitor::new(
            alpha,
            vec![
                SequentialTest::Dkw(Dkw::new(
                    DkwOptions::new()
                        .alternative(Alternative::Greater)
                        .alpha(alpha / 2.0),
                )?),
                SequentialTest::Msprt(Msprt::new(
                    MsprtOptions::new()
                        .transform(Transform::Log)
                        .alpha(alpha / 2.0),
                )?),
            ],
        )
    };
    let counts = || -> Result<MetricMonitor, canary_analysis::Error> {
        MetricMonitor::new(
            alpha,
            vec![SequentialTest::Counts(CountMixture::new(
                CountMixtureOptions::new()
                    .alternative(Alternative::Greater)
                    .alpha(alpha),
            )?)],
        )
    };
    let mut metrics: BTreeMap<String, MetricMonitor> = BTreeMap::new();

    println!("== Step 3: feed the lines, look every 200 lines");
    let mut first_reject: BTreeMap<String, usize> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(line)?;
        let arm = if v["arm"] == "canary" {
            Arm::Canary
        } else {
            Arm::Baseline
        };
        let name = v["metric"].as_str().ok_or("no metric")?.to_owned();
        let m = match metrics.entry(name) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(if v.get("count").is_some() {
                    counts()?
                } else {
                    continuous()?
                })
            }
        };
        match (v["value"].as_f64(), v["count"].as_u64()) {
            (Some(x), _) => m.observe_value(arm, x)?,
            (_, Some(n)) => m.observe_count(arm, n)?,
            _ => return Err(format!("line {}: no value or count", i + 1).into()),
        }
        if (i + 1) % 200 == 0 {
            for (name, m) in metrics.iter_mut() {
                let look = m.look()?;
                let parts: Vec<String> = look
                    .tests
                    .iter()
                    .map(|t| format!("{} p={:.3e}", t.test, t.p_value))
                    .collect();
                println!(
                    "   line {:>4} {name:<10} combined p={:.3e} {:?} ({})",
                    i + 1,
                    look.p_value,
                    look.decision,
                    parts.join(", ")
                );
                if look.decision == Decision::Reject {
                    first_reject.entry(name.clone()).or_insert(i + 1);
                }
            }
        }
    }

    println!(
        "== Step 4: first rejection per metric (the canary is 25% slower with twice the errors; cpu is A/A)"
    );
    for name in metrics.keys() {
        match first_reject.get(name) {
            Some(line) => println!("   {name}: rejected at line {line}"),
            None => println!("   {name}: never rejected"),
        }
    }
    println!("The command: canary monitor --input {path} --look-every 200");
    Ok(())
}
