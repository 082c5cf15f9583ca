//! Judge benchmarks: 100 metrics of 1000 points per side, both judges.
//!
//! `cargo bench --bench judge`; ids `judge/default/metrics=100,n=1000` and
//! `judge/kayenta/metrics=100,n=1000`. The setup asserts the planted regression is found.

use std::hint::black_box;
use std::time::Duration;

use canary_analysis::prelude::*;
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const METRICS: usize = 100;
const N: usize = 1000;

/// Metric name, baseline, canary.
type Data = Vec<(String, Vec<f64>, Vec<f64>)>;

fn data() -> (CanaryConfig, Data) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let mut unif = move || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let mut normal = move |mu: f64, sd: f64| {
        let (u1, u2) = (unif(), unif());
        mu + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let mut metrics = Vec::new();
    let mut cfg = Vec::new();
    for i in 0..METRICS {
        let name = format!("m{i}");
        let count = i % 5 == 4;
        let base: Vec<f64> = (0..N)
            .map(|_| {
                if count {
                    normal(20.0, 4.0).round().max(0.0)
                } else {
                    normal(100.0, 10.0)
                }
            })
            .collect();
        let shift = if i == 0 { 1.5 } else { 1.0 };
        let can: Vec<f64> = (0..N)
            .map(|_| {
                if count {
                    normal(20.0, 4.0).round().max(0.0)
                } else {
                    normal(100.0, 10.0) * shift
                }
            })
            .collect();
        cfg.push(format!(
            r#"{{"name": "{name}", "groups": ["g{}"], "analysisConfigurations": {{"canary": {{"direction": "{}", "kind": "{}"}}}}}}"#,
            i % 4,
            if i % 3 == 0 { "either" } else { "increase" },
            if count { "count" } else { "continuous" }
        ));
        metrics.push((name, base, can));
    }
    let cfg = CanaryConfig::from_json(&format!(r#"{{"metrics": [{}]}}"#, cfg.join(",")))
        .expect("valid bench config");
    (cfg, metrics)
}

fn bench(c: &mut Criterion) {
    let (cfg, metrics) = data();
    let pairs: Vec<MetricPair> = metrics
        .into_iter()
        .map(|(n, b, c)| MetricPair::from_values(n, b, c).unwrap())
        .collect();
    let t = Thresholds::new(95.0, 75.0).unwrap();
    let default = DefaultJudge::new(cfg.clone(), t).unwrap();
    let kayenta = KayentaJudge::new(cfg, t).unwrap();
    for (name, judge) in [("default", &default as &dyn Judge), ("kayenta", &kayenta)] {
        let r = judge.judge(&pairs).unwrap();
        assert_eq!(r.results.len(), METRICS);
        assert_eq!(r.results[0].classification, Classification::High, "{name}");
    }
    let mut g = c.benchmark_group("judge");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("default/metrics=100,n=1000", |b| {
        b.iter(|| default.judge(black_box(&pairs)).unwrap())
    });
    g.bench_function("kayenta/metrics=100,n=1000", |b| {
        b.iter(|| kayenta.judge(black_box(&pairs)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
