//! End to end against a real Prometheus: query `/api/v1/query_range` over HTTP, feed the body to
//! the reader, and print the pairs, their gaps and per-side summaries (type-7 quantiles).
//!
//! ```text
//! cargo run --release --example prometheus -- --url http://127.0.0.1:9090 \
//!     --query demo_latency_ms --start 1795424400 --end 1795431600 --step 15 \
//!     [--group-label version] [--baseline baseline] [--canary canary] [--instance-label instance]
//! ```
//!
//! `scripts/prometheus-demo.sh` starts a throwaway Prometheus with backfilled data and runs this.
//! The HTTP client (`ureq`) is a dev-dependency: the library itself does no I/O.
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use canary_analysis::Error;
use canary_analysis::metrics::prometheus::{PrometheusOptions, read_query_range_slice};
use canary_analysis::metrics::{CleanOptions, NanPolicy};

fn fetch(
    url: &str,
    query: &str,
    start: &str,
    end: &str,
    step: &str,
) -> Result<(u16, Vec<u8>), ureq::Error> {
    let mut resp = ureq::get(format!("{url}/api/v1/query_range"))
        .query("query", query)
        .query("start", start)
        .query("end", end)
        .query("step", step)
        .config()
        // Prometheus answers bad queries with 400 and a JSON error body: read it, do not fail.
        .http_status_as_error(false)
        .build()
        .call()?;
    let status = resp.status().as_u16();
    let body = resp.body_mut().with_config().limit(1 << 30).read_to_vec()?;
    Ok((status, body))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opt: HashMap<String, String> = HashMap::new();
    for pair in args.chunks(2) {
        match pair {
            [k, v] if k.starts_with("--") => {
                opt.insert(k.trim_start_matches("--").to_owned(), v.clone());
            }
            _ => {
                return Err(format!("arguments come in `--name value` pairs, got {pair:?}").into());
            }
        }
    }
    let get = |k: &str, default: &str| opt.get(k).cloned().unwrap_or_else(|| default.to_owned());
    let url = get("url", "http://127.0.0.1:9090");
    let query = get("query", "demo_latency_ms");
    let (start, end) = (get("start", ""), get("end", ""));
    if start.is_empty() || end.is_empty() {
        return Err("--start and --end (Unix seconds) are required".into());
    }
    let step = get("step", "15");
    let step_millis = (step.parse::<f64>()? * 1000.0).round() as i64;
    let opts = PrometheusOptions::new()
        .group_label(get("group-label", "version"))
        .baseline(get("baseline", "baseline"))
        .canary(get("canary", "canary"))
        .instance_label(get("instance-label", "instance"))
        .step_millis(step_millis);

    println!("== Step 1: query {url}/api/v1/query_range");
    println!("   query={query} start={start} end={end} step={step}s");
    let t = Instant::now();
    let (status, body) = fetch(&url, &query, &start, &end, &step)?;
    println!(
        "   HTTP {status}, {} bytes in {:.1} ms",
        body.len(),
        t.elapsed().as_secs_f64() * 1e3
    );

    println!("== Step 2: read the response (pair by label, align on the {step}s grid)");
    let t = Instant::now();
    let pairs = read_query_range_slice(&body, &opts)?;
    println!(
        "   {} pair(s) in {:.2} ms",
        pairs.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    if pairs.is_empty() {
        return Err("the query returned no series".into());
    }

    println!("== Step 3: gaps and summaries (NanPolicy::Remove; quantiles type 7)");
    for pair in &pairs {
        println!(
            "   {}: {} steps, baseline instances {:?}, canary instances {:?}",
            pair.selector(),
            pair.baseline().steps(),
            pair.baseline()
                .instances()
                .iter()
                .map(|i| i.id())
                .collect::<Vec<_>>(),
            pair.canary()
                .instances()
                .iter()
                .map(|i| i.id())
                .collect::<Vec<_>>()
        );
        for (group, series) in [("baseline", pair.baseline()), ("canary", pair.canary())] {
            for g in series.gaps() {
                println!(
                    "   gap: {group} {} missing {} step(s) from t = {} ms",
                    g.instance,
                    g.steps,
                    g.start_millis.unwrap_or_default()
                );
            }
        }
        let cleaned = pair.clean(&CleanOptions::new().policy(NanPolicy::Remove))?;
        let record = cleaned.record();
        for (group, sample, side) in [
            ("baseline", cleaned.baseline(), &record.baseline),
            ("canary", cleaned.canary(), &record.canary),
        ] {
            let Some(sample) = sample else {
                println!("   {group:<8} no data (removed={})", side.removed);
                continue;
            };
            let s = sample.summary();
            println!(
                "   {group:<8} n={:<5} mean={:<10.4} median={:<10.4} p90={:<10.4} p99={:<10.4} removed={}",
                s.n, s.mean, s.median, s.p90, s.p99, side.removed
            );
        }
    }

    println!("== Step 4: a bad query comes back as a typed error");
    let (status, body) = fetch(&url, "sum(", &start, &end, &step)?;
    match read_query_range_slice(&body, &opts) {
        Err(Error::Upstream { kind, message, .. }) => {
            println!("   HTTP {status}: Error::Upstream kind={kind} message={message}");
        }
        other => return Err(format!("expected Error::Upstream, got {other:?}").into()),
    }
    println!("OK");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
