//! Bootstrap benches, `bootstrap/<case>/<method>/n=...,B=...`. The scipy side is
//! `benches/compare/timings_bootstrap.py` (same n, B and data model).
use std::hint::black_box;
use std::time::Duration;

use canary_analysis::stats::bootstrap::{
    Bootstrap, BootstrapOptions, Comparison, IntervalMethod, Statistic, bootstrap_two_sample,
};
use criterion::Criterion;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const N: usize = 10_000;
const B: usize = 10_000;

/// Lognormal latencies in ms (median `median`, log-sd `sigma`), Box-Muller normals.
fn latencies(seed: u64, median: f64, sigma: f64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut unit = || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    (0..N)
        .map(|_| {
            let z = (-2.0 * unit().ln()).sqrt() * (std::f64::consts::TAU * unit()).cos();
            median * (sigma * z).exp()
        })
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn variance(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64
}

/// Type-7 quantile by full sort (independent of the crate's selection code).
fn quantile7(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * p;
    let k = h.floor() as usize;
    s[k] + (h - k as f64) * (s[k + 1] - s[k])
}

fn relative(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

fn check_mean_difference(r: &Bootstrap, baseline: &[f64], canary: &[f64]) {
    let d = mean(canary) - mean(baseline);
    assert!(relative(r.estimate, d) < 1e-12, "{r:?}");
    // the bootstrap standard error of a difference of means is sqrt(s_b^2/n + s_c^2/n) up to
    // (n-1)/n and Monte-Carlo noise (about 0.7% at B = 10^4)
    let se = (variance(baseline) / N as f64 + variance(canary) / N as f64).sqrt();
    assert!(
        relative(r.standard_error, se) < 0.05,
        "{} vs {se}",
        r.standard_error
    );
    let half = 1.959_963_984_540_054 * se;
    assert!(relative(r.upper - r.lower, 2.0 * half) < 0.1, "{r:?}");
    assert!(r.lower < r.estimate && r.estimate < r.upper, "{r:?}");
}

pub(crate) fn benches(c: &mut Criterion) {
    let baseline = latencies(1, 100.0, 0.8);
    let canary = latencies(2, 105.0, 0.8);
    let opts = BootstrapOptions::new().resamples(B).seed(7);
    let percentile = opts.clone().method(IntervalMethod::Percentile);
    let bca = opts.clone().method(IntervalMethod::Bca);
    let run = |stat, cmp, o: &BootstrapOptions| {
        bootstrap_two_sample(&baseline, &canary, stat, cmp, o).expect("a bootstrap interval")
    };

    // assert each result once, outside the timed loop
    check_mean_difference(
        &run(Statistic::Mean, Comparison::Difference, &percentile),
        &baseline,
        &canary,
    );
    let r = run(Statistic::Mean, Comparison::Difference, &bca);
    check_mean_difference(&r, &baseline, &canary);
    assert!(r.acceleration.is_some_and(|a| a.abs() < 0.1), "{r:?}");
    let r = run(Statistic::Quantile(0.99), Comparison::Ratio, &percentile);
    let p99 = quantile7(&canary, 0.99) / quantile7(&baseline, 0.99);
    assert!(relative(r.estimate, p99) < 1e-12, "{r:?} vs {p99}");
    assert!(
        r.lower < r.estimate && r.estimate < r.upper && r.upper - r.lower < 0.5,
        "{r:?}"
    );

    let mut g = c.benchmark_group("bootstrap");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    g.bench_function("mean_difference/percentile/n=10000,B=10000", |b| {
        b.iter(|| black_box(run(Statistic::Mean, Comparison::Difference, &percentile)))
    });
    g.bench_function("mean_difference/bca/n=10000,B=10000", |b| {
        b.iter(|| black_box(run(Statistic::Mean, Comparison::Difference, &bca)))
    });
    g.bench_function("p99_ratio/percentile/n=10000,B=10000", |b| {
        b.iter(|| {
            black_box(run(
                Statistic::Quantile(0.99),
                Comparison::Ratio,
                &percentile,
            ))
        })
    });
    g.finish();
}
