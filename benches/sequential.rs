//! Criterion benchmarks of `stats::sequential`, named `sequential/case/size`.
//!
//! `sequential/dkw_stream_look_every_1000/1000000`: a fresh two-sided DKW test ingests 1,000,000
//! lognormal observations per arm (interleaved) and takes a look after every 1,000 per arm
//! (1,000 looks, each computing the exact sup distance). The result is checked once in setup
//! against a brute-force merge of the sorted samples.
//!
//! `sequential/dkw_increasing_stream/1000000` (10^6 strictly increasing values alternating
//! between the arms, one look) and `sequential/dkw_increasing_look_every_point/100000` (a look
//! after every one of 10^5 increasing values) pin the worst-case orders.
use std::hint::black_box;
use std::time::Duration;

use canary_analysis::stats::Alternative;
use canary_analysis::stats::sequential::{
    Arm, CountMixture, CountMixtureOptions, Dkw, DkwOptions, Msprt, MsprtOptions,
};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn lognormal(n: usize, seed: u64, scale: f64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let u: f64 = rng.random::<f64>();
            let v: f64 = rng.random::<f64>();
            let z = (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            scale * (0.5 * z).exp()
        })
        .collect()
}

/// Streams both arms and looks every `every` observations per arm; returns the last look's d.
fn stream(base: &[f64], can: &[f64], every: usize) -> (f64, f64) {
    let mut test = Dkw::new(DkwOptions::new().alternative(Alternative::TwoSided)).unwrap();
    let mut last = (0.0, 1.0);
    for (i, (&b, &c)) in base.iter().zip(can).enumerate() {
        test.observe(Arm::Baseline, b).unwrap();
        test.observe(Arm::Canary, c).unwrap();
        if (i + 1) % every == 0 {
            let look = test.look().unwrap();
            last = (look.d, look.p_value);
        }
    }
    last
}

fn brute_d(base: &[f64], can: &[f64]) -> f64 {
    let mut b = base.to_vec();
    let mut c = can.to_vec();
    b.sort_by(f64::total_cmp);
    c.sort_by(f64::total_cmp);
    let (nb, nc) = (b.len() as f64, c.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < b.len() || j < c.len() {
        let v = match (b.get(i), c.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < b.len() && b[i] == v {
            i += 1;
        }
        while j < c.len() && c[j] == v {
            j += 1;
        }
        d = d.max((i as f64 / nb - j as f64 / nc).abs());
    }
    d
}

fn benches(c: &mut Criterion) {
    let n = 1_000_000;
    let base = lognormal(n, 1, 100.0);
    let can = lognormal(n, 2, 100.0);
    // Setup check: the streamed exact sup equals the brute-force one, and A/A does not reject.
    let (d, p) = stream(&base, &can, 1000);
    assert_eq!(d, brute_d(&base, &can));
    assert!(p > 0.05, "A/A rejected: p = {p}");

    let mut g = c.benchmark_group("sequential");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function(BenchmarkId::new("dkw_stream_look_every_1000", n), |bch| {
        bch.iter(|| stream(black_box(&base), black_box(&can), 1000))
    });

    // Adversarial order: a strictly increasing stream (formerly about N^1.8: 3 x 10^6 values in
    // 49 s), 10^6 values interleaved between the arms, one look at the end.
    let inc = 1_000_000usize;
    let increasing = |n: usize| {
        let mut t = Dkw::new(DkwOptions::new()).unwrap();
        for i in 0..n {
            let arm = if i % 2 == 0 {
                Arm::Baseline
            } else {
                Arm::Canary
            };
            t.observe(arm, i as f64).unwrap();
        }
        t.look().unwrap().d
    };
    // Setup check: baseline i = 0, 2, 4, ..., canary 1, 3, 5, ...: sup (F_B - F_C) = 1 / (N/2).
    assert!((increasing(inc) - 1.0 / (inc / 2) as f64).abs() < 1e-15);
    g.bench_function(BenchmarkId::new("dkw_increasing_stream", inc), |bch| {
        bch.iter(|| increasing(black_box(inc)))
    });
    // A look after every observation of an increasing stream (formerly 44 s at 10^5).
    let every = 100_000usize;
    let look_every_point = |n: usize| {
        let mut t = Dkw::new(DkwOptions::new()).unwrap();
        let mut d = 0.0;
        for i in 0..n {
            let arm = if i % 2 == 0 {
                Arm::Baseline
            } else {
                Arm::Canary
            };
            t.observe(arm, i as f64).unwrap();
            d = t.look().unwrap().d;
        }
        d
    };
    assert!((look_every_point(every) - 1.0 / (every / 2) as f64).abs() < 1e-15);
    g.bench_function(
        BenchmarkId::new("dkw_increasing_look_every_point", every),
        |bch| bch.iter(|| look_every_point(black_box(every))),
    );

    // One look on a loaded test (after the tails are sorted once).
    let mut loaded = Dkw::new(DkwOptions::new().quantiles(vec![0.5, 0.99])).unwrap();
    loaded.observe_baseline(&base).unwrap();
    loaded.observe_canary(&can).unwrap();
    let first = loaded.look().unwrap();
    assert_eq!(first.d, d);
    g.bench_function(BenchmarkId::new("dkw_look_with_quantile_bands", n), |bch| {
        bch.iter(|| black_box(loaded.look().unwrap().d))
    });

    // mSPRT ingest + a look every 1000 per arm.
    g.bench_function(BenchmarkId::new("msprt_stream_look_every_1000", n), |bch| {
        bch.iter(|| {
            let mut t = Msprt::new(MsprtOptions::new()).unwrap();
            let mut p = 1.0;
            for (i, (&b, &cc)) in base.iter().zip(&can).enumerate() {
                t.observe(Arm::Baseline, b).unwrap();
                t.observe(Arm::Canary, cc).unwrap();
                if (i + 1) % 1000 == 0 {
                    p = t.look().unwrap().p_value;
                }
            }
            p
        })
    });

    // Count test: a look after every event, 100,000 events.
    let events: Vec<bool> = lognormal(100_000, 3, 1.0)
        .iter()
        .map(|&x| x > 1.0)
        .collect();
    g.bench_function(
        BenchmarkId::new("count_look_every_event", events.len()),
        |bch| {
            bch.iter(|| {
                let mut t = CountMixture::new(CountMixtureOptions::new()).unwrap();
                let mut p = 1.0;
                for &e in &events {
                    t.observe(if e { Arm::Canary } else { Arm::Baseline }, 1)
                        .unwrap();
                    p = t.look().unwrap().p_value;
                }
                p
            })
        },
    );
    // One-sided looks whose cost used to grow with sqrt(k + n): k = 1e28 did not return and
    // k = 1e24 took 5 s per look; huge counts near 2^50 likewise.
    for (name, k, c, b) in [
        ("count_look_greater_k1e28", 1e28, 1000u64, 900u64),
        (
            "count_look_greater_counts2e15",
            100.0,
            1_000_000_100_000_000,
            1_000_000_000_000_000,
        ),
    ] {
        let opts = CountMixtureOptions::new()
            .k(k)
            .alternative(Alternative::Greater);
        let mut t = CountMixture::new(opts).unwrap();
        t.observe_canary(c).unwrap();
        t.observe_baseline(b).unwrap();
        assert!(t.look().unwrap().log_e.is_finite());
        g.bench_function(BenchmarkId::new(name, 1), |bch| {
            bch.iter(|| black_box(t.look().unwrap().log_e))
        });
    }
    g.finish();
}

criterion_group!(sequential, benches);
criterion_main!(sequential);
