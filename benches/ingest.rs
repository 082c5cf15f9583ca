//! Ingestion throughput, named `ingest/<case>/<size>`, in MB/s (criterion `Throughput::Bytes`).
//!
//! - `ingest/prometheus/1000000`: `read_query_range` on a 1,000,000-point `query_range` response
//!   (10 series of 100,000 points, 5 baseline and 5 canary instances), including pairing and
//!   alignment.
//! - `ingest/serde_json_ignored/1000000` and `ingest/serde_json_value/1000000`: serde_json's own
//!   parse of the same bytes into `IgnoredAny` (validation only) and into `serde_json::Value`.
//! - `ingest/csv_long/1000000`: `read_csv` on a 1,000,000-row long CSV (3 metrics, 2 groups, 2
//!   instances each), including grouping and alignment.
//! - `ingest/csv_rfc3339/1000000`: the same shape with RFC 3339 timestamps (fractional seconds,
//!   `Z`), so the timestamp parser is measured too.
//! - `ingest/kayenta/1000000`: `read_metric_set_pairs` on 10 pairs of 2 x 50,000 values.
//!
//! Every input is parsed once in setup and its point count asserted.
use std::fmt::Write;
use std::time::Duration;

use canary_analysis::metrics::csv::{CsvOptions, read_csv};
use canary_analysis::metrics::kayenta::read_metric_set_pairs;
use canary_analysis::metrics::prometheus::{PrometheusOptions, read_query_range};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const POINTS: usize = 1_000_000;
const START: u64 = 1_795_424_400;

fn value(rng: &mut Xoshiro256PlusPlus) -> f64 {
    // Latency-like values with 3 decimals, as Prometheus formats them.
    ((50.0 + 100.0 * rng.random::<f64>()) * 1000.0_f64).round() / 1000.0
}

fn prometheus_body(rng: &mut Xoshiro256PlusPlus) -> String {
    let per = POINTS / 10;
    let mut s = String::with_capacity(POINTS * 32);
    s.push_str(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    for k in 0..10 {
        let version = if k < 5 { "baseline" } else { "canary" };
        if k > 0 {
            s.push(',');
        }
        write!(
            s,
            r#"{{"metric":{{"__name__":"http_latency_ms","job":"checkout","version":"{version}","instance":"{version}-{k}:8080"}},"values":["#
        )
        .unwrap();
        for i in 0..per {
            if i > 0 {
                s.push(',');
            }
            write!(s, "[{},\"{}\"]", START + 15 * i as u64, value(rng)).unwrap();
        }
        s.push_str("]}");
    }
    s.push_str("]}}");
    s
}

fn csv_body(rng: &mut Xoshiro256PlusPlus) -> String {
    let metrics = ["http_latency_ms", "cpu_seconds", "errors_total"];
    let per = POINTS / 12;
    let mut s = String::with_capacity(POINTS * 48);
    s.push_str("metric,group,timestamp,value,instance\n");
    let mut rows = 0;
    for m in metrics {
        for g in ["baseline", "canary"] {
            for inst in 0..2 {
                let n = if rows + per * 2 > POINTS {
                    POINTS - rows
                } else {
                    per
                };
                for i in 0..n {
                    writeln!(
                        s,
                        "{m},{g},{},{},{g}-{inst}",
                        START + 15 * i as u64,
                        value(rng)
                    )
                    .unwrap();
                }
                rows += n;
            }
        }
    }
    // Top up to exactly POINTS rows.
    let mut i = per;
    while rows < POINTS {
        writeln!(
            s,
            "errors_total,canary,{},{},canary-1",
            START + 15 * i as u64,
            value(rng)
        )
        .unwrap();
        rows += 1;
        i += 1;
    }
    s
}

/// The long CSV with RFC 3339 timestamps (`2026-11-DDThh:mm:ss.mmmZ`) in place of Unix seconds.
fn csv_rfc3339_body(rng: &mut Xoshiro256PlusPlus) -> String {
    let per = POINTS / 12;
    let mut s = String::with_capacity(POINTS * 64);
    s.push_str("metric,group,timestamp,value,instance\n");
    let mut rows = 0;
    let mut k = 0;
    while rows < POINTS {
        let m = ["http_latency_ms", "cpu_seconds", "errors_total"][(k / 4) % 3];
        let g = ["baseline", "canary"][(k / 2) % 2];
        let inst = k % 2;
        let n = per.min(POINTS - rows);
        for i in 0..n {
            let t = 15 * (i + (k / 12) * per) as u64;
            let (day, rem) = (t / 86_400, t % 86_400);
            writeln!(
                s,
                "{m},{g},2026-11-{:02}T{:02}:{:02}:{:02}.{:03}Z,{},{g}-{inst}",
                1 + day,
                rem / 3600,
                rem / 60 % 60,
                rem % 60,
                250 * (i % 4),
                value(rng)
            )
            .unwrap();
        }
        rows += n;
        k += 1;
    }
    s
}

fn kayenta_body(rng: &mut Xoshiro256PlusPlus) -> String {
    let per = POINTS / 20;
    let mut s = String::with_capacity(POINTS * 12);
    s.push('[');
    for k in 0..10 {
        if k > 0 {
            s.push(',');
        }
        write!(
            s,
            r#"{{"name":"m{k}","tags":{{"region":"eu"}},"values":{{"control":["#
        )
        .unwrap();
        for i in 0..per {
            if i > 0 {
                s.push(',');
            }
            write!(s, "{}", value(rng)).unwrap();
        }
        s.push_str(r#"],"experiment":["#);
        for i in 0..per {
            if i > 0 {
                s.push(',');
            }
            write!(s, "{}", value(rng)).unwrap();
        }
        s.push_str("]}}");
    }
    s.push(']');
    s
}

fn ingest(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let prom = prometheus_body(&mut rng);
    let csv = csv_body(&mut rng);
    let kay = kayenta_body(&mut rng);
    let csv3339 = csv_rfc3339_body(&mut rng);
    let popts = PrometheusOptions::new().instance_label("instance");
    let copts = CsvOptions::new();

    // Assert once that each reader produces every point.
    let pairs = read_query_range(&prom, &popts).unwrap();
    let n: usize = pairs
        .iter()
        .map(|p| p.baseline().points() + p.canary().points())
        .sum();
    assert_eq!(n, POINTS);
    let pairs = read_csv(&csv, &copts).unwrap();
    let n: usize = pairs
        .iter()
        .map(|p| {
            p.baseline().points() - p.baseline().gap_steps() + p.canary().points()
                - p.canary().gap_steps()
        })
        .sum();
    assert_eq!(n, POINTS);
    let pairs = read_metric_set_pairs(&kay).unwrap();
    let n: usize = pairs
        .iter()
        .map(|p| p.baseline().points() + p.canary().points())
        .sum();
    assert_eq!(n, POINTS);

    let mut g = c.benchmark_group("ingest");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Bytes(prom.len() as u64));
    g.bench_function(format!("prometheus/{POINTS}"), |b| {
        b.iter(|| read_query_range(std::hint::black_box(&prom), &popts).unwrap())
    });
    g.bench_function(format!("serde_json_ignored/{POINTS}"), |b| {
        b.iter(|| {
            serde_json::from_str::<serde::de::IgnoredAny>(std::hint::black_box(&prom)).unwrap()
        })
    });
    g.bench_function(format!("serde_json_value/{POINTS}"), |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(std::hint::black_box(&prom)).unwrap())
    });
    g.throughput(Throughput::Bytes(csv.len() as u64));
    g.bench_function(format!("csv_long/{POINTS}"), |b| {
        b.iter(|| read_csv(std::hint::black_box(&csv), &copts).unwrap())
    });
    g.throughput(Throughput::Bytes(csv3339.len() as u64));
    g.bench_function(format!("csv_rfc3339/{POINTS}"), |b| {
        b.iter(|| read_csv(std::hint::black_box(&csv3339), &copts).unwrap())
    });
    g.throughput(Throughput::Bytes(kay.len() as u64));
    g.bench_function(format!("kayenta/{POINTS}"), |b| {
        b.iter(|| read_metric_set_pairs(std::hint::black_box(&kay)).unwrap())
    });
    g.bench_function(format!("kayenta_serde_json_ignored/{POINTS}"), |b| {
        b.iter(|| {
            serde_json::from_str::<serde::de::IgnoredAny>(std::hint::black_box(&kay)).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
