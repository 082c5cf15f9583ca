//! Property tests of the rank tests: invariants of Mann-Whitney U, Hodges-Lehmann and the effect
//! sizes, and typed errors on bad input.

use canary_analysis::Error;
use canary_analysis::stats::effect::{cles, cohens_d, effect_sizes, mean_ratio, rank_biserial};
use canary_analysis::stats::hodges_lehmann::{HodgesLehmannOptions, hodges_lehmann};
use canary_analysis::stats::mann_whitney::{MannWhitneyOptions, mann_whitney};
use canary_analysis::stats::{Alternative, Method};
use proptest::prelude::*;

const ALTS: [Alternative; 3] = [
    Alternative::TwoSided,
    Alternative::Less,
    Alternative::Greater,
];

/// Integer-valued samples (ties likely), exactly representable under the transforms below.
fn int_sample(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((-60i32..60).prop_map(f64::from), 1..max_len)
}

/// Integer-valued samples with rare ties.
fn wide_int_sample(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((-100_000i32..100_000).prop_map(f64::from), 1..max_len)
}

/// Samples of distinct-ish continuous values.
fn real_sample(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1e3f64..1e3, 1..max_len)
}

fn pairs(b: &[f64], c: &[f64]) -> (f64, f64, f64) {
    let (mut gt, mut eq, mut lt) = (0.0, 0.0, 0.0);
    for &x in c {
        for &y in b {
            if x > y {
                gt += 1.0;
            } else if x == y {
                eq += 1.0;
            } else {
                lt += 1.0;
            }
        }
    }
    (gt, eq, lt)
}

fn has_ties(b: &[f64], c: &[f64]) -> bool {
    let mut v: Vec<f64> = b.iter().chain(c).copied().collect();
    v.sort_by(f64::total_cmp);
    v.windows(2).any(|w| w[0] == w[1])
}

fn all_tied(b: &[f64], c: &[f64]) -> bool {
    b.iter().chain(c).all(|&v| v == b[0])
}

/// P(U >= u) by enumerating every placement of the canary ranks (no ties), for tiny samples.
fn enumerate_upper_tail(n_c: usize, n_b: usize, u: f64) -> f64 {
    let n = n_c + n_b;
    let (mut hit, mut total) = (0u64, 0u64);
    for mask in 0u32..(1 << n) {
        if mask.count_ones() as usize != n_c {
            continue;
        }
        total += 1;
        // U of the canary: for each canary rank, the baseline ranks below it.
        let (mut below, mut stat) = (0u64, 0u64);
        for r in 0..n {
            if mask >> r & 1 == 1 {
                stat += below;
            } else {
                below += 1;
            }
        }
        if stat as f64 >= u {
            hit += 1;
        }
    }
    hit as f64 / total as f64
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn u_counts_pairs_and_sums_to_nm(b in int_sample(40), c in int_sample(40), k in 0usize..3) {
        prop_assume!(!all_tied(&b, &c));
        let opts = MannWhitneyOptions::new().alternative(ALTS[k]).method(Method::Asymptotic);
        let r = mann_whitney(&b, &c, &opts).unwrap();
        let (gt, eq, _) = pairs(&b, &c);
        prop_assert_eq!(r.u_canary, gt + 0.5 * eq);
        prop_assert_eq!(r.u_canary + r.u_baseline, (b.len() * c.len()) as f64);
        prop_assert!((0.0..=1.0).contains(&r.p_value));
        prop_assert!(r.z.is_some());
    }

    #[test]
    fn p_values_lie_in_unit_interval(b in real_sample(30), c in real_sample(30), k in 0usize..3, cc: bool) {
        for method in [Method::Exact, Method::Asymptotic, Method::Auto] {
            let opts = MannWhitneyOptions::new().alternative(ALTS[k]).method(method).continuity(cc);
            match mann_whitney(&b, &c, &opts) {
                Ok(r) => prop_assert!((0.0..=1.0).contains(&r.p_value), "{:?}", r),
                Err(Error::InvalidParameter { .. }) => prop_assert!(method == Method::Exact && has_ties(&b, &c)),
                Err(Error::Degenerate { .. }) => prop_assert!(all_tied(&b, &c)),
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }

    #[test]
    fn exact_p_matches_enumeration(b in prop::collection::vec(-1e3f64..1e3, 1..7), c in prop::collection::vec(-1e3f64..1e3, 1..7), k in 0usize..3) {
        prop_assume!(!has_ties(&b, &c));
        let opts = MannWhitneyOptions::new().alternative(ALTS[k]).method(Method::Exact);
        let r = mann_whitney(&b, &c, &opts).unwrap();
        let u = match ALTS[k] {
            Alternative::Greater => r.u_canary,
            Alternative::Less => r.u_baseline,
            _ => r.u_canary.max(r.u_baseline),
        };
        let mut p = enumerate_upper_tail(c.len(), b.len(), u);
        if ALTS[k] == Alternative::TwoSided {
            p = (2.0 * p).min(1.0);
        }
        prop_assert!((r.p_value - p).abs() <= 1e-13 * p, "{} vs {}", r.p_value, p);
    }

    #[test]
    fn swapping_samples_mirrors_one_sided_p(b in int_sample(50), c in int_sample(50), method in 0usize..2, cc: bool) {
        prop_assume!(!all_tied(&b, &c));
        let method = [Method::Asymptotic, Method::Exact][method];
        prop_assume!(method == Method::Asymptotic || !has_ties(&b, &c));
        let o = MannWhitneyOptions::new().method(method).continuity(cc);
        let g = mann_whitney(&b, &c, &o.alternative(Alternative::Greater)).unwrap();
        let l = mann_whitney(&c, &b, &o.alternative(Alternative::Less)).unwrap();
        prop_assert!((g.p_value - l.p_value).abs() <= 1e-14 * g.p_value.max(1e-300));
        let t1 = mann_whitney(&b, &c, &o).unwrap();
        let t2 = mann_whitney(&c, &b, &o).unwrap();
        prop_assert_eq!(t1.p_value, t2.p_value);
        prop_assert_eq!(t1.u_canary, t2.u_baseline);
    }

    #[test]
    fn rank_tests_are_invariant_under_monotone_transforms(b in int_sample(40), c in int_sample(40), k in 0usize..3) {
        prop_assume!(!all_tied(&b, &c));
        // Strictly increasing and exact on these integers: ties are kept, order is kept.
        let t = |v: &[f64]| v.iter().map(|x| x * x * x + 3.0 * x - 7.0).collect::<Vec<_>>();
        let o = MannWhitneyOptions::new().alternative(ALTS[k]);
        let r1 = mann_whitney(&b, &c, &o).unwrap();
        let r2 = mann_whitney(&t(&b), &t(&c), &o).unwrap();
        prop_assert_eq!(&r1, &r2);
        let e = |v: &[f64]| v.iter().map(|x| (x / 7.0).exp()).collect::<Vec<_>>();
        let (eb, ec) = (e(&b), e(&c));
        // exp may merge nothing here (distinct integers stay distinct at this scale).
        prop_assert_eq!(has_ties(&eb, &ec), has_ties(&b, &c));
        let r3 = mann_whitney(&eb, &ec, &o).unwrap();
        prop_assert_eq!(r1.u_canary, r3.u_canary);
        prop_assert!((r1.p_value - r3.p_value).abs() <= 1e-12 * r1.p_value);
        prop_assert_eq!(cles(&b, &c).unwrap(), cles(&eb, &ec).unwrap());
    }

    #[test]
    fn hodges_lehmann_is_shift_equivariant(b in wide_int_sample(30), c in wide_int_sample(30), shift in -50i32..50, k in 0usize..3, method in 0usize..2, conf in 0.5f64..0.999) {
        let method = [Method::Asymptotic, Method::Exact][method];
        prop_assume!(method == Method::Asymptotic || !has_ties(&b, &c));
        let o = HodgesLehmannOptions::new().alternative(ALTS[k]).method(method).confidence(conf);
        let r1 = match hodges_lehmann(&b, &c, &o) {
            Ok(r) => r,
            Err(Error::Degenerate { .. }) => {
                // Only when every shift ties all observations: each sample constant.
                prop_assert!(all_tied(&b, &b[..1]) && all_tied(&c, &c[..1]));
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        let s = f64::from(shift);
        let shifted: Vec<f64> = c.iter().map(|x| x + s).collect();
        prop_assume!(method == Method::Asymptotic || !has_ties(&b, &shifted));
        let r2 = hodges_lehmann(&b, &shifted, &o).unwrap();
        prop_assert_eq!(r2.estimate, r1.estimate + s);
        prop_assert_eq!(r2.lower, r1.lower + s);
        prop_assert_eq!(r2.upper, r1.upper + s);
        prop_assert_eq!(r2.achieved_confidence, r1.achieved_confidence);
        prop_assert!(r1.lower <= r1.upper);
        // The estimate is the median of all pairwise differences.
        let mut d: Vec<f64> = c.iter().flat_map(|x| b.iter().map(move |y| x - y)).collect();
        d.sort_by(f64::total_cmp);
        let h = d.len() / 2;
        let med = if d.len() % 2 == 1 { d[h] } else { (d[h - 1] + d[h]) / 2.0 };
        prop_assert_eq!(r1.estimate, med);
        // Ends are pairwise differences (or infinite).
        for end in [r1.lower, r1.upper] {
            prop_assert!(end.is_infinite() || d.contains(&end));
        }
    }

    #[test]
    fn effect_sizes_agree_with_pair_counts(b in real_sample(30), c in real_sample(30)) {
        let (gt, eq, _) = pairs(&b, &c);
        let nm = (b.len() * c.len()) as f64;
        let cl = cles(&b, &c).unwrap();
        prop_assert!((cl - (gt + 0.5 * eq) / nm).abs() < 1e-15);
        prop_assert_eq!(rank_biserial(&b, &c).unwrap(), 2.0 * cl - 1.0);
        let e = effect_sizes(&b, &c).unwrap();
        prop_assert_eq!(e.cles, cl);
        prop_assert_eq!(e.cohens_d.is_some(), b.len() >= 2 && c.len() >= 2);
        prop_assert_eq!(e.mean_ratio, mean_ratio(&b, &c).ok());
    }
}

fn opts_all() -> (MannWhitneyOptions, HodgesLehmannOptions) {
    (MannWhitneyOptions::new(), HodgesLehmannOptions::new())
}

#[test]
fn bad_samples_are_typed_errors() {
    let (mw, hl) = opts_all();
    let good = [1.0, 2.0, 3.0];
    // Large samples take the bucketed path: the errors must be the same.
    let mut big: Vec<f64> = (0..5000).map(f64::from).collect();
    let big_good = big.clone();
    big[4321] = f64::NAN;
    for (b, c) in [(&big[..], &big_good[..]), (&big_good[..], &big[..])] {
        assert!(matches!(
            mann_whitney(b, c, &mw),
            Err(Error::InvalidSample { .. })
        ));
        assert!(matches!(
            hodges_lehmann(b, c, &hl),
            Err(Error::InvalidSample { .. })
        ));
    }
    assert!(matches!(
        mann_whitney(&[], &big_good, &mw),
        Err(Error::InvalidSample { .. })
    ));
    for bad in [
        vec![],
        vec![1.0, f64::NAN],
        vec![f64::INFINITY],
        vec![2.0, f64::NEG_INFINITY],
    ] {
        for (b, c) in [(&bad[..], &good[..]), (&good[..], &bad[..])] {
            assert!(matches!(
                mann_whitney(b, c, &mw),
                Err(Error::InvalidSample { .. })
            ));
            assert!(matches!(
                hodges_lehmann(b, c, &hl),
                Err(Error::InvalidSample { .. })
            ));
            for r in [
                cles(b, c),
                rank_biserial(b, c),
                cohens_d(b, c),
                mean_ratio(b, c),
            ] {
                assert!(matches!(r, Err(Error::InvalidSample { .. })), "{r:?}");
            }
            assert!(matches!(
                effect_sizes(b, c),
                Err(Error::InvalidSample { .. })
            ));
        }
    }
}

#[test]
fn confidence_outside_unit_interval_is_a_typed_error() {
    for conf in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        let o = HodgesLehmannOptions::new().confidence(conf);
        assert!(matches!(
            hodges_lehmann(&[1.0, 2.0], &[3.0, 4.0], &o),
            Err(Error::InvalidParameter { .. })
        ));
    }
}

#[test]
fn samples_of_one() {
    // Rank tests are defined for a single observation per side (scipy and R agree) ...
    let r = mann_whitney(&[1.0], &[2.0], &MannWhitneyOptions::new()).unwrap();
    assert_eq!(r.u_canary, 1.0);
    assert_eq!(r.p_value, 1.0); // exact: 2 * P(U >= 1) = 2 * 1/2
    let h = hodges_lehmann(&[1.0], &[2.5], &HodgesLehmannOptions::new()).unwrap();
    assert_eq!((h.estimate, h.lower, h.upper), (1.5, 1.5, 1.5));
    // ... but a variance is not: Cohen's d needs two per side.
    assert!(matches!(
        cohens_d(&[1.0], &[2.0, 3.0]),
        Err(Error::Degenerate { .. })
    ));
    assert!(matches!(
        cohens_d(&[1.0, 2.0], &[2.0]),
        Err(Error::Degenerate { .. })
    ));
    assert_eq!(effect_sizes(&[1.0], &[2.0]).unwrap().cohens_d, None);
}

#[test]
fn degenerate_data_are_typed_errors() {
    let asym = MannWhitneyOptions::new().method(Method::Asymptotic);
    assert!(matches!(
        mann_whitney(&[3.0, 3.0], &[3.0, 3.0, 3.0], &asym),
        Err(Error::Degenerate { .. })
    ));
    // -0.0 and 0.0 are ties.
    assert!(matches!(
        mann_whitney(&[-0.0], &[0.0, 0.0], &MannWhitneyOptions::new()),
        Err(Error::Degenerate { .. })
    ));
    let exact = MannWhitneyOptions::new().method(Method::Exact);
    assert!(matches!(
        mann_whitney(&[1.0, 2.0], &[2.0, 3.0], &exact),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        hodges_lehmann(&[2.0, 2.0], &[5.0, 5.0], &HodgesLehmannOptions::new()),
        Err(Error::Degenerate { .. })
    ));
    assert!(matches!(
        hodges_lehmann(
            &[1.0, 2.0],
            &[2.0, 3.0],
            &HodgesLehmannOptions::new().method(Method::Exact)
        ),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        mean_ratio(&[-1.0, 1.0], &[2.0]),
        Err(Error::Degenerate { .. })
    ));
    assert!(matches!(
        cohens_d(&[2.0, 2.0], &[2.0, 2.0]),
        Err(Error::Degenerate { .. })
    ));
}
