//! Properties of the bootstrap: determinism across thread counts, exact identities between the
//! interval methods, and typed errors for bad input.

use canary_analysis::Error;
use canary_analysis::stats::Alternative;
use canary_analysis::stats::bootstrap::{
    Bootstrap, BootstrapOptions, Comparison, IntervalMethod, MAX_RESAMPLES, Statistic, bootstrap,
    bootstrap_fn, bootstrap_two_sample, bootstrap_two_sample_fn,
};
use proptest::prelude::*;

fn statistic() -> impl Strategy<Value = Statistic> {
    prop_oneof![
        Just(Statistic::Mean),
        Just(Statistic::Median),
        (0.0f64..=1.0).prop_map(Statistic::Quantile),
        (0.0f64..0.5).prop_map(Statistic::TrimmedMean),
    ]
}

fn method() -> impl Strategy<Value = IntervalMethod> {
    prop_oneof![
        Just(IntervalMethod::Percentile),
        Just(IntervalMethod::Basic),
        Just(IntervalMethod::Bca),
    ]
}

fn alternative() -> impl Strategy<Value = Alternative> {
    prop_oneof![
        Just(Alternative::TwoSided),
        Just(Alternative::Less),
        Just(Alternative::Greater),
    ]
}

/// Latency-like data with ties (values on a coarse grid).
fn sample() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((1u32..400).prop_map(|v| f64::from(v) * 0.25), 2..80)
}

/// A comparable rendering of a result or error (errors compare by message).
fn key(r: canary_analysis::Result<Bootstrap>) -> Result<Bootstrap, String> {
    r.map_err(|e| e.to_string())
}

#[cfg(feature = "parallel")]
fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

#[cfg(feature = "parallel")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn same_seed_same_result_at_1_2_and_3_threads(
        baseline in sample(),
        canary in sample(),
        stat in statistic(),
        ratio in any::<bool>(),
        method in method(),
        alt in alternative(),
        seed in any::<u64>(),
        resamples in 2usize..700,
    ) {
        let comparison = if ratio { Comparison::Ratio } else { Comparison::Difference };
        let opts = BootstrapOptions::new()
            .resamples(resamples)
            .method(method)
            .alternative(alt)
            .seed(seed)
            .keep_distribution(true);
        let two = |threads| on_threads(threads, || {
            key(bootstrap_two_sample(&baseline, &canary, stat, comparison, &opts))
        });
        let one = |threads| on_threads(threads, || key(bootstrap(&canary, stat, &opts)));
        let closure = |threads| on_threads(threads, || {
            key(bootstrap_fn(&canary, |v| v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64, &opts))
        });
        let (t1, o1, c1) = (two(1), one(1), closure(1));
        prop_assert_eq!(&t1, &two(2));
        prop_assert_eq!(&t1, &two(3));
        prop_assert_eq!(&o1, &one(2));
        prop_assert_eq!(&c1, &closure(2));
        // bit-identical, not merely equal as numbers
        if let (Ok(a), Ok(b)) = (&t1, &two(2)) {
            prop_assert_eq!(a.lower.to_bits(), b.lower.to_bits());
            prop_assert_eq!(a.upper.to_bits(), b.upper.to_bits());
        }
    }
}

#[cfg(feature = "parallel")]
#[test]
fn large_bca_is_identical_at_1_and_2_threads() {
    // enough resamples for many blocks, and a jackknife long enough to be split across threads
    let baseline: Vec<f64> = (0..3000)
        .map(|i| ((i * 7919) % 1009) as f64 * 0.1 + 50.0)
        .collect();
    let canary: Vec<f64> = (0..2500)
        .map(|i| ((i * 104_729) % 997) as f64 * 0.11 + 52.0)
        .collect();
    let opts = BootstrapOptions::new().resamples(5000).seed(42);
    for stat in [
        Statistic::Mean,
        Statistic::Quantile(0.99),
        Statistic::TrimmedMean(0.1),
    ] {
        let a = on_threads(1, || {
            bootstrap_two_sample(&baseline, &canary, stat, Comparison::Ratio, &opts).unwrap()
        });
        let b = on_threads(2, || {
            bootstrap_two_sample(&baseline, &canary, stat, Comparison::Ratio, &opts).unwrap()
        });
        assert_eq!(a, b, "{stat:?}");
    }
    let f = |b: &mut [f64], c: &mut [f64]| {
        c.iter().sum::<f64>() / c.len() as f64 - b.iter().sum::<f64>() / b.len() as f64
    };
    let small = BootstrapOptions::new().resamples(300).seed(1);
    let a = on_threads(1, || {
        bootstrap_two_sample_fn(&baseline[..400], &canary[..300], f, &small).unwrap()
    });
    let b = on_threads(2, || {
        bootstrap_two_sample_fn(&baseline[..400], &canary[..300], f, &small).unwrap()
    });
    assert_eq!(a, b);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Same seed, same distribution: the basic interval is the percentile interval reflected
    /// about the estimate, exactly; and the distribution's order does not depend on the method.
    #[test]
    fn basic_is_reflected_percentile(
        baseline in sample(),
        canary in sample(),
        stat in statistic(),
        seed in any::<u64>(),
        confidence in 0.5f64..0.999,
    ) {
        let opts = BootstrapOptions::new().resamples(499).seed(seed).confidence(confidence);
        let p = bootstrap_two_sample(&baseline, &canary, stat, Comparison::Difference, &opts.clone().method(IntervalMethod::Percentile));
        let b = bootstrap_two_sample(&baseline, &canary, stat, Comparison::Difference, &opts.method(IntervalMethod::Basic));
        match (p, b) {
            (Ok(p), Ok(b)) => {
                prop_assert_eq!(b.lower, 2.0 * p.estimate - p.upper);
                prop_assert_eq!(b.upper, 2.0 * p.estimate - p.lower);
                prop_assert!(p.lower <= p.upper);
                prop_assert!(p.standard_error > 0.0);
                prop_assert_eq!(p.standard_error, b.standard_error);
            }
            (Err(Error::Degenerate { .. }), Err(Error::Degenerate { .. })) => {}
            (p, b) => prop_assert!(false, "{:?} vs {:?}", p, b),
        }
    }

    /// The percentile interval lies within the range of the statistic over the data's values.
    #[test]
    fn percentile_interval_within_data_range(x in sample(), seed in any::<u64>(), stat in statistic()) {
        let opts = BootstrapOptions::new().resamples(300).seed(seed).method(IntervalMethod::Percentile);
        if let Ok(r) = bootstrap(&x, stat, &opts) {
            let lo = x.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(lo <= r.lower && r.upper <= hi, "{:?} outside [{}, {}]", r, lo, hi);
        }
    }
}

fn assert_sample_error(r: canary_analysis::Result<Bootstrap>, metric: &str) {
    match r {
        Err(Error::InvalidSample { metric: m, .. }) => assert_eq!(m, metric),
        other => panic!("expected InvalidSample({metric}), got {other:?}"),
    }
}

fn assert_param_error(r: canary_analysis::Result<Bootstrap>, name: &str) {
    match r {
        Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("expected InvalidParameter({name}), got {other:?}"),
    }
}

/// Asserts `Error::Degenerate` and returns its message.
fn assert_degenerate(r: canary_analysis::Result<Bootstrap>) -> String {
    match r {
        Err(e @ Error::Degenerate { .. }) => e.to_string(),
        other => panic!("expected Degenerate, got {other:?}"),
    }
}

#[test]
fn bad_samples_are_typed_errors() {
    let o = BootstrapOptions::new().resamples(100);
    let good = [1.0, 2.0, 3.0];
    let m = Statistic::Mean;
    assert_sample_error(bootstrap(&[], m, &o), "sample");
    assert_sample_error(bootstrap(&[1.0], m, &o), "sample");
    assert_sample_error(bootstrap(&[1.0, f64::NAN], m, &o), "sample");
    assert_sample_error(bootstrap(&[1.0, f64::INFINITY], m, &o), "sample");
    assert_sample_error(
        bootstrap_two_sample(&[], &good, m, Comparison::Difference, &o),
        "baseline",
    );
    assert_sample_error(
        bootstrap_two_sample(&good, &[f64::NEG_INFINITY, 1.0], m, Comparison::Ratio, &o),
        "canary",
    );
    assert_sample_error(bootstrap_fn(&[2.0], |v| v[0], &o), "sample");
    assert_sample_error(
        bootstrap_two_sample_fn(&good, &[f64::NAN, 1.0], |_, c| c[0], &o),
        "canary",
    );
}

#[test]
fn bad_options_are_typed_errors() {
    let x = [1.0, 2.0, 3.0, 5.0];
    let o = BootstrapOptions::new().resamples(100);
    for c in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        assert_param_error(
            bootstrap(&x, Statistic::Mean, &o.clone().confidence(c)),
            "confidence",
        );
    }
    for b in [0, 1, MAX_RESAMPLES + 1, usize::MAX] {
        assert_param_error(
            bootstrap(&x, Statistic::Mean, &o.clone().resamples(b)),
            "resamples",
        );
    }
    for p in [-0.01, 1.01, f64::NAN] {
        assert_param_error(bootstrap(&x, Statistic::Quantile(p), &o), "quantile");
    }
    for q in [-0.1, 0.5, 0.7, f64::NAN] {
        assert_param_error(bootstrap(&x, Statistic::TrimmedMean(q), &o), "trimmed_mean");
    }
}

#[test]
fn degenerate_data_are_typed_errors() {
    let o = BootstrapOptions::new().resamples(999);
    for method in [
        IntervalMethod::Percentile,
        IntervalMethod::Basic,
        IntervalMethod::Bca,
    ] {
        let om = o.clone().method(method);
        // constant data: no spread
        assert_degenerate(bootstrap(&[4.2; 30], Statistic::Median, &om));
        assert_degenerate(bootstrap(&[0.1; 7], Statistic::Mean, &om));
        assert_degenerate(bootstrap_two_sample(
            &[3.0; 5],
            &[4.0; 9],
            Statistic::Mean,
            Comparison::Difference,
            &om,
        ));
        // ratio with a zero baseline statistic, on the data or on some resamples
        assert_degenerate(bootstrap_two_sample(
            &[0.0, 0.0],
            &[1.0, 2.0],
            Statistic::Mean,
            Comparison::Ratio,
            &om,
        ));
        assert_degenerate(bootstrap_two_sample(
            &[0.0, 0.0, 0.0, 5.0],
            &[1.0, 2.0],
            Statistic::Median,
            Comparison::Ratio,
            &om,
        ));
        let msg = assert_degenerate(bootstrap_two_sample(
            &[0.0, 0.0, 5.0, 5.0, 5.0],
            &[1.0, 2.0],
            Statistic::Median,
            Comparison::Ratio,
            &om,
        ));
        assert!(msg.contains("resample"), "{msg}");
        // a closure that is not finite
        assert_degenerate(bootstrap_fn(&[1.0, 2.0, 3.0], |v| (v[0] - 2.0).ln(), &om));
    }
    let bca = o.clone().method(IntervalMethod::Bca);
    // BCa a = 0/0: every left-one-out median of [1, 2, 2, 2, 3] is 2, though resampled medians vary
    let msg = assert_degenerate(bootstrap(
        &[1.0, 2.0, 2.0, 2.0, 3.0],
        Statistic::Median,
        &bca,
    ));
    assert!(msg.contains("0/0"), "{msg}");
    // the same data are fine for the percentile interval
    assert!(
        bootstrap(
            &[1.0, 2.0, 2.0, 2.0, 3.0],
            Statistic::Median,
            &o.clone().method(IntervalMethod::Percentile)
        )
        .is_ok()
    );
    // BCa z0 fraction 1: the number of distinct values of 20 distinct points is 20, and a
    // resample is (almost surely) missing some, so every resample lies below the estimate
    let x: Vec<f64> = (0..20).map(f64::from).collect();
    let distinct = |v: &mut [f64]| {
        v.sort_by(f64::total_cmp);
        (1 + v.windows(2).filter(|w| w[0] != w[1]).count()) as f64
    };
    let msg = assert_degenerate(bootstrap_fn(&x, distinct, &bca));
    assert!(msg.contains("outside the bootstrap distribution"), "{msg}");
    assert!(bootstrap_fn(&x, distinct, &o.clone().method(IntervalMethod::Percentile)).is_ok());
}

#[test]
fn one_sided_bounds_and_reported_fields() {
    let x: Vec<f64> = (0..50)
        .map(|i| f64::from(i % 13) + 0.5 * f64::from(i % 3))
        .collect();
    let o = BootstrapOptions::new()
        .resamples(777)
        .seed(5)
        .confidence(0.8)
        .keep_distribution(true);
    let g = bootstrap(
        &x,
        Statistic::TrimmedMean(0.1),
        &o.clone().alternative(Alternative::Greater),
    )
    .unwrap();
    assert_eq!(g.upper, f64::INFINITY);
    assert!(g.lower.is_finite());
    let l = bootstrap(
        &x,
        Statistic::TrimmedMean(0.1),
        &o.clone().alternative(Alternative::Less),
    )
    .unwrap();
    assert_eq!(l.lower, f64::NEG_INFINITY);
    assert!(l.upper.is_finite());
    assert_eq!(
        (g.resamples, g.seed, g.confidence, g.method),
        (777, 5, 0.8, IntervalMethod::Bca)
    );
    assert_eq!(g.distribution.as_ref().map(Vec::len), Some(777));
    assert!(g.bias_correction.is_some() && g.acceleration.is_some());
    // the same seed draws the same distribution whatever the side
    assert_eq!(g.distribution, l.distribution);
}
