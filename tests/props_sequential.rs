//! Property tests of `stats::sequential`: batching invariance, monotone always-valid p-values,
//! exact sup distances, and typed errors for bad input.

use canary_analysis::Error;
use canary_analysis::stats::Alternative;
use canary_analysis::stats::sequential::*;
use proptest::prelude::*;

/// Values with many ties (a small grid) mixed with arbitrary finite values.
fn values(max: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![
            (-20i32..20).prop_map(|v| f64::from(v) / 4.0),
            -1e6f64..1e6,
            Just(0.0),
            Just(-0.0),
        ],
        1..max,
    )
}

fn positive(max: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![(1i32..40).prop_map(f64::from), 0.001f64..1e4],
        1..max,
    )
}

fn alternative() -> impl Strategy<Value = Alternative> {
    prop_oneof![
        Just(Alternative::TwoSided),
        Just(Alternative::Greater),
        Just(Alternative::Less)
    ]
}

fn brute_sup(b: &[f64], c: &[f64]) -> (f64, f64) {
    let (nb, nc) = (b.len() as f64, c.len() as f64);
    let (mut pos, mut neg) = (0.0f64, 0.0f64);
    for &x in b.iter().chain(c) {
        let fb = b.iter().filter(|&&v| v <= x).count() as f64 / nb;
        let fc = c.iter().filter(|&&v| v <= x).count() as f64 / nc;
        pos = pos.max(fb - fc);
        neg = neg.max(fc - fb);
    }
    (pos, neg)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn dkw_batch_equals_one_at_a_time(
        b in values(300), c in values(300), alt in alternative(), cut in 0usize..300,
    ) {
        let opts = DkwOptions::new().alternative(alt).quantiles(vec![0.1, 0.5, 0.9]);
        let mut batch = Dkw::new(opts.clone()).unwrap();
        let cut_b = cut.min(b.len());
        batch.observe_baseline(&b[..cut_b]).unwrap();
        batch.observe_canary(&c).unwrap();
        batch.observe_baseline(&b[cut_b..]).unwrap();
        let mut single = Dkw::new(opts).unwrap();
        for &x in &b { single.observe(Arm::Baseline, x).unwrap(); }
        for &x in &c { single.observe(Arm::Canary, x).unwrap(); }
        prop_assert_eq!(batch.look().unwrap(), single.look().unwrap());
    }

    #[test]
    fn dkw_sup_distance_is_exact(b in values(200), c in values(200), alt in alternative()) {
        let mut t = Dkw::new(DkwOptions::new().alternative(alt)).unwrap();
        t.observe_baseline(&b).unwrap();
        t.observe_canary(&c).unwrap();
        let look = t.look().unwrap();
        let (pos, neg) = brute_sup(&b, &c);
        let want = match alt {
            Alternative::Greater => pos,
            Alternative::Less => neg,
            _ => pos.max(neg),
        };
        prop_assert!((look.d - want).abs() < 1e-12, "{} vs {}", look.d, want);
        let p = ks_sequential_p(look.d, b.len() as u64, c.len() as u64).unwrap();
        prop_assert_eq!(look.p_value, p);
        prop_assert_eq!(look.decision == Decision::Reject, look.d > look.threshold);
    }

    #[test]
    fn msprt_batch_equals_one_at_a_time(b in positive(300), c in positive(300)) {
        let opts = MsprtOptions::new().burn_in(5);
        let mut batch = Msprt::new(opts).unwrap();
        batch.observe_baseline(&b).unwrap();
        batch.observe_canary(&c).unwrap();
        let mut single = Msprt::new(opts).unwrap();
        for &x in &b { single.observe(Arm::Baseline, x).unwrap(); }
        for &x in &c { single.observe(Arm::Canary, x).unwrap(); }
        prop_assert_eq!(batch.look().unwrap(), single.look().unwrap());
    }

    #[test]
    fn count_batch_equals_one_at_a_time(
        events in prop::collection::vec((any::<bool>(), 0u64..50), 1..40),
        share in 0.05f64..0.95, k in 0.5f64..500.0, alt in alternative(),
    ) {
        let opts = CountMixtureOptions::new().canary_share(share).k(k).alternative(alt);
        let mut batch = CountMixture::new(opts).unwrap();
        let mut single = CountMixture::new(opts).unwrap();
        for &(canary, n) in &events {
            let arm = if canary { Arm::Canary } else { Arm::Baseline };
            batch.observe(arm, n).unwrap();
            for _ in 0..n { single.observe(arm, 1).unwrap(); }
        }
        prop_assert_eq!(batch.look().unwrap(), single.look().unwrap());
    }

    #[test]
    fn p_values_never_rise(
        steps in prop::collection::vec((any::<bool>(), 0.001f64..1e3, any::<bool>()), 1..400),
        alt in alternative(),
    ) {
        let mut dkw = Dkw::new(DkwOptions::new().alternative(alt).quantiles(vec![0.5])).unwrap();
        let mut ms = Msprt::new(MsprtOptions::new().burn_in(3)).unwrap();
        let mut cnt = CountMixture::new(CountMixtureOptions::new().alternative(alt).k(5.0)).unwrap();
        let mut mon = MetricMonitor::new(0.05, vec![
            SequentialTest::Dkw(Dkw::new(DkwOptions::new()).unwrap()),
            SequentialTest::Msprt(Msprt::new(MsprtOptions::new().burn_in(3)).unwrap()),
        ]).unwrap();
        let mut last = [1.0f64; 4];
        let mut last_band = Interval::EVERYTHING;
        for &(canary, x, look) in &steps {
            let arm = if canary { Arm::Canary } else { Arm::Baseline };
            dkw.observe(arm, x.round()).unwrap();
            ms.observe(arm, x).unwrap();
            cnt.observe(arm, 1).unwrap();
            mon.observe_value(arm, x).unwrap();
            if look {
                let d = dkw.look().unwrap();
                let band = d.quantile_bands[0].difference;
                prop_assert!(band.lower >= last_band.lower && band.upper <= last_band.upper);
                last_band = band;
                let ps = [d.p_value, ms.look().unwrap().p_value, cnt.look().unwrap().p_value,
                          mon.look().unwrap().p_value];
                for (p, l) in ps.iter().zip(last.iter_mut()) {
                    prop_assert!((0.0..=1.0).contains(p));
                    prop_assert!(*p <= *l, "p rose from {} to {}", l, p);
                    *l = *p;
                }
            }
        }
    }

    #[test]
    fn non_finite_observations_are_typed_errors_and_change_nothing(
        good in values(50), bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)],
        at in 0usize..50,
    ) {
        let mut batch = good.clone();
        batch.insert(at.min(good.len()), bad);
        let mut dkw = Dkw::new(DkwOptions::new()).unwrap();
        dkw.observe_baseline(&good).unwrap();
        let before = dkw.clone();
        let is_sample = matches!(dkw.observe_canary(&batch), Err(Error::InvalidSample { .. }));
        prop_assert!(is_sample);
        let is_sample = matches!(dkw.observe(Arm::Baseline, bad), Err(Error::InvalidSample { .. }));
        prop_assert!(is_sample);
        prop_assert_eq!(&dkw, &before);
        let mut ms = Msprt::new(MsprtOptions::new().transform(Transform::Identity)).unwrap();
        let before = ms.clone();
        let is_sample = matches!(ms.observe_baseline(&batch), Err(Error::InvalidSample { .. }));
        prop_assert!(is_sample);
        prop_assert_eq!(&ms, &before);
    }
}

#[test]
fn bad_parameters_are_typed_errors() {
    let bad_param = |r: Result<(), Error>| matches!(r, Err(Error::InvalidParameter { .. }));
    for a in [0.0, 1.0, f64::NAN, -0.5] {
        assert!(bad_param(Dkw::new(DkwOptions::new().alpha(a)).map(drop)));
        assert!(bad_param(
            Msprt::new(MsprtOptions::new().alpha(a)).map(drop)
        ));
        assert!(bad_param(
            CountMixture::new(CountMixtureOptions::new().alpha(a)).map(drop)
        ));
        assert!(bad_param(
            CountMixture::new(CountMixtureOptions::new().canary_share(a)).map(drop)
        ));
        assert!(bad_param(dkw_radius(10, a).map(drop)));
        assert!(bad_param(Monitor::new(a).map(drop)));
    }
    assert!(bad_param(
        CountMixture::new(CountMixtureOptions::new().k(0.0)).map(drop)
    ));
    assert!(bad_param(
        CountMixture::new(CountMixtureOptions::new().k(f64::INFINITY)).map(drop)
    ));
    assert!(bad_param(
        Dkw::new(DkwOptions::new().quantiles(vec![1.0])).map(drop)
    ));
    assert!(bad_param(
        Msprt::new(MsprtOptions::new().tau2(0.0)).map(drop)
    ));
    assert!(bad_param(
        Msprt::new(MsprtOptions::new().burn_in(1)).map(drop)
    ));
    assert!(bad_param(dkw_radius(0, 0.05).map(drop)));
    assert!(bad_param(ks_sequential_p(1.5, 10, 10).map(drop)));
    assert!(bad_param(ks_sequential_p(f64::NAN, 10, 10).map(drop)));
    assert!(bad_param(ks_sequential_p(0.5, 0, 10).map(drop)));
    assert!(bad_param(
        normal_mixture(0.0, -1.0, 1.0, 0.0, 0.05).map(drop)
    ));
    assert!(bad_param(
        normal_mixture(f64::INFINITY, 1.0, 1.0, 0.0, 0.05).map(drop)
    ));
    assert!(bad_param(MetricMonitor::new(0.05, vec![]).map(drop)));
    let mixed = MetricMonitor::new(
        0.05,
        vec![
            SequentialTest::Dkw(Dkw::new(DkwOptions::new()).unwrap()),
            SequentialTest::Counts(CountMixture::new(CountMixtureOptions::new()).unwrap()),
        ],
    );
    assert!(bad_param(mixed.map(drop)));

    let mut c = CountMixture::new(CountMixtureOptions::new()).unwrap();
    c.observe(Arm::Canary, 1 << 53).unwrap();
    assert!(matches!(
        c.observe(Arm::Canary, 1),
        Err(Error::InvalidSample { .. })
    ));
    let mut m = Msprt::new(MsprtOptions::new()).unwrap();
    assert!(matches!(
        m.observe(Arm::Canary, 0.0),
        Err(Error::InvalidSample { .. })
    ));
    let mut d = Dkw::new(DkwOptions::new()).unwrap();
    assert!(matches!(
        d.quantile_band(Arm::Canary, 0.5, 0.05),
        Err(Error::InvalidSample { .. })
    ));
}

#[test]
fn states_round_trip_through_serde() {
    let mut d = Dkw::new(DkwOptions::new().quantiles(vec![0.9])).unwrap();
    let xs: Vec<f64> = (0..10_000).map(|i| f64::from(i % 977) * 1.5).collect();
    d.observe_baseline(&xs).unwrap();
    d.observe_canary(&xs[..7000]).unwrap();
    d.look().unwrap();
    let json = serde_json::to_string(&d).unwrap();
    let mut back: Dkw = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    assert_eq!(back.look().unwrap(), d.look().unwrap());
    let mut mon = Monitor::new(0.05).unwrap();
    mon.add_metric(
        "errors",
        MetricMonitor::new(
            0.05,
            vec![SequentialTest::Counts(
                CountMixture::new(CountMixtureOptions::new()).unwrap(),
            )],
        )
        .unwrap(),
    )
    .unwrap();
    mon.metric_mut("errors")
        .unwrap()
        .observe_count(Arm::Canary, 7)
        .unwrap();
    let back: Monitor = serde_json::from_str(&serde_json::to_string(&mon).unwrap()).unwrap();
    assert_eq!(back, mon);
}
