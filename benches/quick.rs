//! Quick benchmarks: small inputs at criterion's default 100 samples, so a whole run takes
//! seconds with short measurement times. `scripts/bench-compare.sh` (the CI's A/A comparison)
//! runs them twice and compares the two saved baselines with `canary compare`, and
//! `fixtures/bench_compare/record.sh` recorded their samples for the A/A simulation.
//!
//! Ids (`area/case/size`): `mann_whitney/exact/n=50`, `mann_whitney/asymptotic/n=2000`,
//! `hodges_lehmann/interval/n=100`, `hodges_lehmann/interval/n=2000`, `quantile/p99/n=10000`,
//! `multiplicity/holm/k=1000`, `rank/average_ranks/n=5000`,
//! `bench_compare/suite/benchmarks=20,n=20`. Each result is checked once before timing.
use std::hint::black_box;

use canary_analysis::bench::{CompareOptions, Samples, compare};
use canary_analysis::stats::Method;
use canary_analysis::stats::hodges_lehmann::{HodgesLehmannOptions, hodges_lehmann};
use canary_analysis::stats::mann_whitney::{MannWhitneyOptions, mann_whitney};
use canary_analysis::stats::multiplicity::{MultiplicityOptions, adjust};
use canary_analysis::stats::quantile::quantile;
use canary_analysis::stats::rank::average_ranks;
use criterion::{Criterion, criterion_group, criterion_main};

/// Deterministic uniform floats in `[offset, offset + 1)` (splitmix64).
fn uniform(n: usize, seed: u64, offset: f64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            offset + (z >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let (b50, c50) = (uniform(50, 1, 0.0), uniform(50, 2, 0.2));
    let exact = MannWhitneyOptions::new().method(Method::Exact);
    let r = mann_whitney(&b50, &c50, &exact).unwrap();
    assert!(r.method == Method::Exact && r.p_value > 0.0 && r.p_value < 1.0);
    assert_eq!(r.u_canary + r.u_baseline, 2500.0);
    c.bench_function("mann_whitney/exact/n=50", |bch| {
        bch.iter(|| mann_whitney(black_box(&b50), black_box(&c50), &exact).unwrap())
    });

    let (b2k, c2k) = (uniform(2000, 3, 0.0), uniform(2000, 4, 0.01));
    let asym = MannWhitneyOptions::new().method(Method::Asymptotic);
    let r = mann_whitney(&b2k, &c2k, &asym).unwrap();
    assert!(r.method == Method::Asymptotic && r.p_value > 0.0 && r.p_value <= 1.0);
    c.bench_function("mann_whitney/asymptotic/n=2000", |bch| {
        bch.iter(|| mann_whitney(black_box(&b2k), black_box(&c2k), &asym).unwrap())
    });

    let hl = HodgesLehmannOptions::new();
    let (b100, c100) = (uniform(100, 5, 0.0), uniform(100, 6, 0.3));
    let r = hodges_lehmann(&b100, &c100, &hl).unwrap();
    assert!(r.lower < r.estimate && r.estimate < r.upper && r.estimate > 0.1);
    c.bench_function("hodges_lehmann/interval/n=100", |bch| {
        bch.iter(|| hodges_lehmann(black_box(&b100), black_box(&c100), &hl).unwrap())
    });
    let r = hodges_lehmann(&b2k, &c2k, &hl).unwrap();
    assert!(r.lower < r.estimate && r.estimate < r.upper);
    c.bench_function("hodges_lehmann/interval/n=2000", |bch| {
        bch.iter(|| hodges_lehmann(black_box(&b2k), black_box(&c2k), &hl).unwrap())
    });

    let u10k = uniform(10_000, 7, 0.0);
    let q = quantile(&u10k, 0.99).unwrap();
    assert!(q > 0.98 && q < 1.0);
    c.bench_function("quantile/p99/n=10000", |bch| {
        bch.iter(|| quantile(black_box(&u10k), 0.99).unwrap())
    });

    let p: Vec<f64> = uniform(1000, 8, 0.0);
    let a = adjust(&p, &MultiplicityOptions::new()).unwrap();
    assert!(a.adjusted.iter().zip(&p).all(|(x, y)| x >= y));
    c.bench_function("multiplicity/holm/k=1000", |bch| {
        bch.iter(|| adjust(black_box(&p), &MultiplicityOptions::new()).unwrap())
    });

    let u5k = uniform(5000, 9, 0.0);
    let (ranks, _) = average_ranks(&u5k).unwrap();
    assert_eq!(ranks.iter().sum::<f64>(), 5000.0 * 5001.0 / 2.0);
    c.bench_function("rank/average_ranks/n=5000", |bch| {
        bch.iter(|| average_ranks(black_box(&u5k)).unwrap())
    });

    let old: Vec<Samples> = (0..20)
        .map(|k| Samples::new(format!("b{k}"), uniform(20, 100 + k, 1.0)).unwrap())
        .collect();
    let new: Vec<Samples> = (0..20)
        .map(|k| Samples::new(format!("b{k}"), uniform(20, 200 + k, 1.0)).unwrap())
        .collect();
    let s = compare(&old, &new, &CompareOptions::new()).unwrap();
    assert_eq!(s.benchmarks.len(), 20);
    c.bench_function("bench_compare/suite/benchmarks=20,n=20", |bch| {
        bch.iter(|| compare(black_box(&old), black_box(&new), &CompareOptions::new()).unwrap())
    });
}

criterion_group!(quick, benches);
criterion_main!(quick);
