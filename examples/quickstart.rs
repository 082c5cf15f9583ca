//! Quick start, notebook style: load the shipped sample metrics in every supported format and
//! print what was read, the gaps found, and per-metric summaries of baseline and canary; then
//! judge a sample canary with both judges, print the verdicts and write the HTML report.
//!
//! Run with `cargo run --release --example quickstart`.
//!
//! Quantiles are type 7 (R's default `quantile()`, numpy's `linear`).
use canary_analysis::judge::report::render_html;
use canary_analysis::metrics::csv::{CsvOptions, read_csv};
use canary_analysis::metrics::kayenta::read_metric_set_pairs;
use canary_analysis::metrics::ndarray::{clean_view, pair_from_views};
use canary_analysis::metrics::prometheus::{PrometheusOptions, read_query_range};
use canary_analysis::metrics::{CleanOptions, MetricPair, NanPolicy, Timestamps};
use canary_analysis::prelude::*;

const KAYENTA: &str = include_str!("../fixtures/metrics/kayenta/pairs.json");
const PROMETHEUS: &str = include_str!("../fixtures/metrics/prometheus/query_range.json");
const CSV_LONG: &str = include_str!("../fixtures/metrics/csv/long.csv");
const CSV_WIDE: &str = include_str!("../fixtures/metrics/csv/wide.csv");
const SAMPLE_CONFIG: &str = include_str!("data/canary-config.json");
const SAMPLE_PAIRS: &str = include_str!("data/pairs.json");

fn step(n: usize, text: &str) {
    println!("\n== Step {n}: {text}");
}

/// Prints one table row per side: the cleaned sample's summary and the gaps of the raw series.
fn summarize(pairs: &[MetricPair], policy: NanPolicy) -> canary_analysis::Result<()> {
    println!(
        "   {:<34} {:<8} {:>5} {:>10} {:>10} {:>10} {:>10} {:>5} {:>7}",
        "metric", "group", "n", "mean", "median", "p90", "p99", "gaps", "handled"
    );
    for pair in pairs {
        let cleaned = pair.clean(&CleanOptions::new().policy(policy))?;
        let record = cleaned.record();
        for (group, series, sample, side) in [
            (
                "baseline",
                pair.baseline(),
                cleaned.baseline(),
                &record.baseline,
            ),
            ("canary", pair.canary(), cleaned.canary(), &record.canary),
        ] {
            let Some(sample) = sample else {
                println!("   {:<34} {:<8} no data", pair.selector(), group);
                continue;
            };
            let s = sample.summary();
            println!(
                "   {:<34} {:<8} {:>5} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>5} {:>7}",
                pair.selector(),
                group,
                s.n,
                s.mean,
                s.median,
                s.p90,
                s.p99,
                series.gaps().len(),
                side.removed + side.replaced
            );
        }
    }
    println!(
        "   (gaps = runs of missing steps; dropped = non-finite values removed by {policy:?})"
    );
    Ok(())
}

fn main() -> canary_analysis::Result<()> {
    println!("canary-analysis quick start: metric ingestion");
    println!(
        "Every reader gives baseline/canary pairs per metric; gaps stay explicit (NaN) until a"
    );
    println!(
        "NanPolicy (remove, replace with a value, or fail) turns each side into a validated Sample."
    );

    step(
        1,
        "Kayenta metric-set pairs (fixtures/metrics/kayenta/pairs.json)",
    );
    let kayenta = read_metric_set_pairs(KAYENTA)?;
    println!(
        "   read {} pairs: {:?}",
        kayenta.len(),
        kayenta.iter().map(|p| p.metric()).collect::<Vec<_>>()
    );
    println!("   NaN arrives as \"NaN\" (control) or null (experiment); both become gaps.");
    summarize(&kayenta, NanPolicy::Remove)?;

    step(
        2,
        "Prometheus query_range response (fixtures/metrics/prometheus/query_range.json)",
    );
    let opts = PrometheusOptions::new()
        .group_label("version")
        .baseline("baseline")
        .canary("canary")
        .instance_label("instance")
        .step_millis(60_000);
    let prom = read_query_range(PROMETHEUS, &opts)?;
    for p in &prom {
        println!(
            "   {}: {} baseline and {} canary instances on {:?}, {} steps",
            p.selector(),
            p.baseline().instances().len(),
            p.canary().instances().len(),
            p.baseline().timestamps(),
            p.baseline().steps()
        );
        for g in p.baseline().gaps().iter().chain(p.canary().gaps().iter()) {
            println!(
                "   gap: instance {:<16} steps {}..{} (from t = {:?} ms)",
                g.instance,
                g.start_step,
                g.start_step + g.steps,
                g.start_millis
            );
        }
    }
    println!(
        "   \"+Inf\" and \"NaN\" values are non-finite too: the policy removes them with the gaps."
    );
    summarize(&prom, NanPolicy::Remove)?;

    step(
        3,
        "CSV, long format metric,group,timestamp,value (fixtures/metrics/csv/long.csv)",
    );
    let long = read_csv(CSV_LONG, &CsvOptions::new())?;
    summarize(&long, NanPolicy::Remove)?;
    println!("   The same data with gaps replaced by 0 (Kayenta's nanStrategy: replace):");
    summarize(&long, NanPolicy::Replace(0.0))?;

    step(
        4,
        "CSV, wide format timestamp,baseline,canary with RFC 3339 times (fixtures/metrics/csv/wide.csv)",
    );
    let wide = read_csv(CSV_WIDE, &CsvOptions::new().metric("cpu_usage"))?;
    summarize(&wide, NanPolicy::Remove)?;
    println!("   With NanPolicy::Fail, a gap is an error instead:");
    match wide[0].clean(&CleanOptions::new().policy(NanPolicy::Fail)) {
        Ok(_) => println!("   (no gaps)"),
        Err(e) => println!("   error: {e}"),
    }

    step(
        5,
        "ndarray: instances x time matrices, borrowed without a copy when clean",
    );
    let baseline =
        ndarray::Array2::from_shape_fn((3, 20), |(i, t)| 100.0 + i as f64 + (t % 7) as f64);
    let canary =
        ndarray::Array2::from_shape_fn((2, 20), |(i, t)| 104.0 + i as f64 + (t % 5) as f64);
    let view = clean_view("latency baseline", baseline.view(), NanPolicy::Fail)?;
    println!(
        "   baseline view: {} values, borrowed (no copy): {}",
        view.values.len(),
        view.is_borrowed()
    );
    let pair = pair_from_views(
        "synthetic_latency",
        baseline.view(),
        canary.view(),
        Timestamps::Regular {
            start_millis: 0,
            step_millis: 15_000,
        },
    )?;
    summarize(&[pair], NanPolicy::Remove)?;

    step(
        6,
        "judge a sample canary (examples/data/): Kayenta mode and the default judge",
    );
    let config = CanaryConfig::from_json(SAMPLE_CONFIG)?;
    let sample: Vec<MetricPair> = read_metric_set_pairs(SAMPLE_PAIRS)?;
    let thresholds = Thresholds::new(95.0, 75.0)?;
    let judges: [Box<dyn Judge>; 2] = [
        Box::new(KayentaJudge::new(config.clone(), thresholds)?),
        Box::new(DefaultJudge::new(config, thresholds)?),
    ];
    let mut default_result = None;
    for judge in &judges {
        let r = judge.judge(&sample)?;
        println!(
            "   {:<28} verdict {:<8} score {:>6} coverage {}",
            r.judge_name,
            r.verdict().as_str(),
            r.score(),
            r.coverage()
        );
        for m in r.metrics() {
            println!(
                "      {:<12} {:<9} {}",
                m.name,
                m.classification.as_str(),
                m.sentence()
            );
        }
        if let Some(w) = r.worst() {
            println!("   drives the verdict: {}", w.sentence());
        }
        default_result = Some(r);
    }
    println!("   Kayenta passes the 7-of-60-at-100x latency tail and the sparse errors against a");
    println!("   zero baseline; the default judge flags both and fails the canary.");
    if let Some(r) = default_result {
        let path = std::env::temp_dir().join("canary-analysis-quickstart-report.html");
        match std::fs::write(&path, render_html(&r, &sample)) {
            Ok(()) => println!("   HTML report written to {}", path.display()),
            Err(e) => println!("   could not write the report to {}: {e}", path.display()),
        }
    }

    println!("\nDone.");
    Ok(())
}
