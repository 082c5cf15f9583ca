//! Criterion benchmarks of `confidence`, named `confidence/case/size`.
//!
//! - `confidence/assess/full`: one assessment of a change with every signal present (canary,
//!   sequential, three compliance checks, risk, track record, a host signal), sentence included.
//! - `confidence/calibrate/10000`: calibrating the proceed threshold on 10,000 synthetic records
//!   (default Bonferroni grid of 20 thresholds).
//!
//! Each result is checked once in setup.
use std::hint::black_box;

use canary_analysis::confidence::*;
use criterion::{Criterion, criterion_group, criterion_main};

fn full(score: f64, failed: u64) -> Signals {
    Signals::new()
        .canary(
            CanarySignal::new(CanaryVerdict::Pass, score, 1.0)
                .unwrap()
                .worst(WorstMetric::relative("p99 latency", 0.02, -0.01, 0.05)),
        )
        .sequential(SequentialSignal::from_p_value(0.8, 0.05).unwrap())
        .compliance([
            ComplianceCheck::gate("change approval", CheckStatus::Pass),
            ComplianceCheck::new("unit tests", CheckStatus::Pass),
            ComplianceCheck::new("security scan", CheckStatus::Pass),
        ])
        .risk(RiskSignal::new(120, ChangeKind::Code, 0.05).unwrap())
        .track_record(TrackRecord::new(
            Outcomes::new(30 - failed, failed),
            Outcomes::new(70, 2),
        ))
        .host(HostSignal::new("load test", HostValue::Score(0.9)).unwrap())
}

fn policy() -> ConfidenceOptions {
    ConfidenceOptions::new().host_signal("load test", 0.1, false)
}

fn bench(c: &mut Criterion) {
    let opts = policy();
    let signals = full(97.0, 0);
    let a = assess(&signals, &opts).unwrap();
    assert_eq!(a.decision, Decision::Proceed, "{}", a.sentence);
    c.bench_function("confidence/assess/full", |b| {
        b.iter(|| assess(black_box(&signals), black_box(&opts)).unwrap())
    });

    let records: Vec<Record> = (0..10_000u64)
        .map(|i| {
            let bad = i % 37 == 0;
            let score = if bad { 88.0 } else { 90.0 + (i % 11) as f64 };
            Record {
                signals: full(score, i % 3),
                bad,
            }
        })
        .collect();
    let cal_opts = CalibrationOptions::new();
    let cal = calibrate(&records, &opts, &cal_opts).unwrap();
    assert!(
        cal.threshold.is_some() && cal.upper_bound <= 0.01,
        "{cal:?}"
    );
    c.bench_function("confidence/calibrate/10000", |b| {
        b.iter(|| calibrate(black_box(&records), &opts, &cal_opts).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
