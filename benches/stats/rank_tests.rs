//! Rank tests: Mann-Whitney U and the Hodges-Lehmann interval.
//!
//! Ids: `mann_whitney/asymptotic/n=1000000`, `baseline/sort_pooled/n=1000000` (one
//! `sort_unstable_by(f64::total_cmp)` of the 2e6 pooled values, the floor a sort-based rank test
//! is measured against), `mann_whitney/exact/n=200`, `hodges_lehmann/interval/n=10000`,
//! `hodges_lehmann/interval/n=1000000`. Every input is n = m (baseline and canary each n),
//! uniform floats from a fixed seed; each result is checked once before timing.
use std::hint::black_box;
use std::time::Duration;

use canary_analysis::stats::hodges_lehmann::{HodgesLehmannOptions, hodges_lehmann};
use canary_analysis::stats::mann_whitney::{MannWhitneyOptions, mann_whitney};
use canary_analysis::stats::rank::average_ranks;
use canary_analysis::stats::{Alternative, Method};
use criterion::Criterion;

/// Deterministic uniform floats in `[offset, offset + 1)` (splitmix64).
pub(crate) fn uniform(n: usize, seed: u64, offset: f64) -> Vec<f64> {
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

/// Independent check of U: average ranks of the pooled sample (a different code path).
fn check_u(baseline: &[f64], canary: &[f64], u_canary: f64) {
    let pooled: Vec<f64> = canary.iter().chain(baseline).copied().collect();
    let (ranks, _) = average_ranks(&pooled).unwrap();
    let r1: f64 = ranks[..canary.len()].iter().sum();
    let n = canary.len() as f64;
    assert_eq!(u_canary, r1 - n * (n + 1.0) / 2.0);
}

/// `(#{d < v}, #{d <= v})` over all computed differences `c_i - b_j`, by binary searches
/// (not the selection code under test).
fn count_around(baseline_sorted: &[f64], canary: &[f64], v: f64) -> (u64, u64) {
    let (mut lt, mut le) = (0u64, 0u64);
    for &c in canary {
        // c - b is non-increasing in b: the differences >= v (> v) form a prefix.
        let ge = baseline_sorted.partition_point(|&b| c - b >= v) as u64;
        let gt = baseline_sorted.partition_point(|&b| c - b > v) as u64;
        let m = baseline_sorted.len() as u64;
        lt += m - ge;
        le += m - gt;
    }
    (lt, le)
}

fn check_hodges_lehmann(baseline: &[f64], canary: &[f64], opts: &HodgesLehmannOptions) {
    let r = hodges_lehmann(baseline, canary, opts).unwrap();
    let mut b = baseline.to_vec();
    b.sort_unstable_by(f64::total_cmp);
    let mut c = canary.to_vec();
    c.sort_unstable_by(f64::total_cmp);
    let nm = (c.len() * b.len()) as u64;
    // The estimate is a median: at least half the differences on each side.
    let (lt, le) = count_around(&b, &c, r.estimate);
    assert!(le >= nm / 2 && lt <= nm / 2, "{lt} {le} {nm}");
    assert!(r.lower < r.estimate && r.estimate < r.upper, "{r:?}");
    // At the lower end the statistic crosses z_{0.975}: with the differences below it
    // (#{d < lower}) z > 1.96, with those up to it (#{d <= lower}) z <= 1.96 (normal branch,
    // continuity correction, no ties in continuous data).
    let s = ((nm as f64) / 12.0 * ((c.len() + b.len() + 1) as f64)).sqrt();
    let z = |below: u64| ((nm - below) as f64 - nm as f64 / 2.0 - 0.5) / s;
    let zq = 1.959_963_984_540_054;
    let (lt, le) = count_around(&b, &c, r.lower);
    assert!(z(lt) > zq && z(le) <= zq, "{} {}", z(lt), z(le));
}

pub(crate) fn benches(c: &mut Criterion) {
    // --- Mann-Whitney, asymptotic, 1e6 vs 1e6, against one sort of the pooled sample.
    let n = 1_000_000;
    let baseline = uniform(n, 1, 0.0);
    let canary = uniform(n, 2, 0.001);
    let asym = MannWhitneyOptions::new().method(Method::Asymptotic);
    let r = mann_whitney(&baseline, &canary, &asym).unwrap();
    check_u(&baseline, &canary, r.u_canary);
    assert!(r.p_value > 0.0 && r.p_value < 0.5 && r.method == Method::Asymptotic);
    let pooled: Vec<f64> = baseline.iter().chain(&canary).copied().collect();
    let mut g = c.benchmark_group("mann_whitney");
    g.sample_size(10).measurement_time(Duration::from_secs(6));
    g.bench_function("asymptotic/n=1000000", |bch| {
        bch.iter(|| mann_whitney(black_box(&baseline), black_box(&canary), &asym).unwrap())
    });
    g.finish();
    let mut g = c.benchmark_group("baseline");
    g.sample_size(10).measurement_time(Duration::from_secs(6));
    g.bench_function("sort_pooled/n=1000000", |bch| {
        bch.iter(|| {
            let mut v = black_box(&pooled).clone();
            v.sort_unstable_by(f64::total_cmp);
            v
        })
    });
    g.finish();

    // --- Mann-Whitney, exact, 200 vs 200 (no ties).
    let b200 = uniform(200, 3, 0.0);
    let c200 = uniform(200, 4, 0.05);
    let exact = MannWhitneyOptions::new().method(Method::Exact);
    let r = mann_whitney(&b200, &c200, &exact).unwrap();
    check_u(&b200, &c200, r.u_canary);
    let a = mann_whitney(
        &b200,
        &c200,
        &MannWhitneyOptions::new()
            .method(Method::Asymptotic)
            .continuity(false),
    )
    .unwrap();
    // The exact p is close to the normal approximation at this size, and in (0, 1].
    assert!(r.method == Method::Exact && r.p_value > 0.0 && r.p_value <= 1.0);
    assert!(
        (r.p_value - a.p_value).abs() < 0.01,
        "{} vs {}",
        r.p_value,
        a.p_value
    );
    let mut g = c.benchmark_group("mann_whitney");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("exact/n=200", |bch| {
        bch.iter(|| mann_whitney(black_box(&b200), black_box(&c200), &exact).unwrap())
    });
    g.finish();

    // --- Hodges-Lehmann estimate + 95% normal interval.
    let hl = HodgesLehmannOptions::new().method(Method::Asymptotic);
    let mut g = c.benchmark_group("hodges_lehmann");
    for (n, samples, secs) in [(10_000usize, 20usize, 4u64), (1_000_000, 10, 10)] {
        let b = uniform(n, 5, 0.0);
        let cn = uniform(n, 6, 0.01);
        check_hodges_lehmann(&b, &cn, &hl);
        let one_sided = hl.alternative(Alternative::Greater);
        let r1 = hodges_lehmann(&b, &cn, &one_sided).unwrap();
        assert!(r1.upper.is_infinite() && r1.lower.is_finite());
        g.sample_size(samples)
            .measurement_time(Duration::from_secs(secs));
        g.bench_function(format!("interval/n={n}"), |bch| {
            bch.iter(|| hodges_lehmann(black_box(&b), black_box(&cn), &hl).unwrap())
        });
    }
    g.finish();
}
