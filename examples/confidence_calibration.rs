//! Calibration of the confidence metric on a simulated history of labelled changes, against a
//! fixed Keptn-style quality gate on the same data.
//!
//! ```text
//! cargo run --release --example confidence_calibration [-- SEEDS]
//! ```
//!
//! For each of SEEDS (default 10) seeds: simulate 20,000 changes (below), split them into a
//! training half and a held-out half (even / odd index), calibrate the proceed threshold on the
//! training half (`confidence::calibrate`, target bad-proceed rate 1%, 95% one-sided
//! Clopper-Pearson bound), apply it to the held-out half, and report the held-out automation
//! share (changes that proceed / all changes) and bad-proceed rate (bad changes among those that
//! proceed). The same is done with weights fitted on the first half of the training half
//! (`confidence::fit_weights`) and the threshold calibrated on its second half. The Keptn-style
//! rule is scored on the same held-out half. Exits 1 if the held-out bad-proceed rate of a
//! calibrated policy exceeds the target for any seed, or no threshold is found.
//!
//! # The simulated world (`simulate`)
//! Every change belongs to a team with a base failure rate `t ~ Beta(1.2, 30)` (mean 3.8%). Its
//! kind is config 35%, code 45%, dependency 10%, infrastructure 7%, schema 3%; its size
//! (lines) is lognormal (median 20 for config, 60 otherwise, log-sd 1.3); its blast radius is
//! uniform in [0.5, 1] for 4% of changes (fleet-wide switches) and `0.3 u^2` otherwise (`u`
//! uniform: campaigns move in small steps). Its failure probability is
//! `q = logistic(logit(t) + kind effect + 0.3 ln(size / 60) + 0.8 blast)`, kind effects config
//! -0.7, code 0, dependency 0.3, infrastructure 0.6, schema 0.9; with probability 0.06 the
//! change is *broken* for its campaign (`q = 0.5`). The change is bad with probability `q`.
//! Evidence, drawn given `q` and the outcome:
//! - track record: `n_c ~ U{0..40}` earlier targets of the campaign with `Bin(n_c, q)`
//!   failures; `n_s ~ U{0..80}` similar past changes with `Bin(n_s, t)` failures;
//! - canary (present 95%): a bad change shows in its metrics with probability 0.8, then the
//!   judge says Fail 75% / Marginal 25%; a good change (or a bad one that does not show) gets
//!   Pass 90% / Marginal 7% / Fail 3% (judge noise). Scores: Pass 90-100, Marginal 75-95, Fail
//!   20-75 (uniform), 5 points lower for a bad change that does not show. Coverage 1 (85%) or
//!   uniform in [0.7, 1]; inconclusive 5%;
//! - sequential (present 60%, complete 90%): p = `u^0.5` for a good change (or a bad one that
//!   does not show), `u^3` for one that shows;
//! - compliance: `change approval` (hard gate) Pass 97% / Unknown 2% / Fail 1% regardless of
//!   the outcome; `unit tests` Fail 25% (bad) or 3% (good), Unknown 3%; `security scan` Pass
//!   95% / Unknown 3% / Fail 2% regardless;
//! - host signal `load test` (present 50%): a score `Beta(8, 2)` (good) or `Beta(4, 3)` (bad).
//!
//! # The Keptn-style rule (`keptn`)
//! Keptn's quality gate: each SLI scores pass 1, warning 0.5, fail 0; the weighted total in
//! percent passes at >= 90 and warns at >= 75; any failed key SLI fails. "Proceed" is a pass.
//! SLIs (weight): canary verdict (2, key; Pass / Marginal / Fail); sequential (1, key; pass when
//! `p >= 0.05`); each compliance check (1; approval key; Pass / Unknown = warning / Fail); risk
//! (1; pass when blast radius <= 0.2 and size <= 500, warning when blast radius <= 0.5);
//! track record (1; pass with no earlier failure, warning up to 10% failed); load test (1;
//! pass at 0.8 or more, warning at 0.6 or more). An SLI without a value is left out of the
//! total, as Keptn does (keptn#507).
use std::process::ExitCode;

use canary_analysis::confidence::*;
use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const SEED: u64 = 20_261_201;
const CHANGES: usize = 20_000;
const TARGET: f64 = 0.01;
const CONFIDENCE: f64 = 0.95;

fn normal(rng: &mut impl Rng) -> f64 {
    // Box-Muller.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Marsaglia-Tsang gamma sampler (shape > 0, scale 1).
fn gamma(rng: &mut impl Rng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = 1.0 - rng.random::<f64>();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.random::<f64>();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

fn beta(rng: &mut impl Rng, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    x / (x + y)
}

fn binomial(rng: &mut impl Rng, n: u64, p: f64) -> u64 {
    (0..n).filter(|_| rng.random_bool(p)).count() as u64
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn uniform(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// One simulated change: its evidence and outcome.
fn change(rng: &mut impl Rng) -> Record {
    let team = beta(rng, 1.2, 30.0);
    let r: f64 = rng.random();
    let (kind, effect) = match r {
        r if r < 0.35 => (ChangeKind::Config, -0.7),
        r if r < 0.80 => (ChangeKind::Code, 0.0),
        r if r < 0.90 => (ChangeKind::Dependency, 0.3),
        r if r < 0.97 => (ChangeKind::Infrastructure, 0.6),
        _ => (ChangeKind::Schema, 0.9),
    };
    let median = if kind == ChangeKind::Config {
        20.0
    } else {
        60.0
    };
    let size = (median * (1.3 * normal(rng)).exp()).round().max(1.0);
    let blast = if rng.random_bool(0.04) {
        uniform(rng, 0.5, 1.0)
    } else {
        0.3 * rng.random::<f64>().powi(2)
    };
    let logit_t = (team / (1.0 - team)).ln();
    let mut q = logistic(logit_t + effect + 0.3 * (size / 60.0).ln() + 0.8 * blast);
    if rng.random_bool(0.06) {
        q = 0.5;
    }
    let bad = rng.random_bool(q);

    let n_c = rng.random_range(0..=40u64);
    let f_c = binomial(rng, n_c, q);
    let n_s = rng.random_range(0..=80u64);
    let f_s = binomial(rng, n_s, team);
    let track = TrackRecord::new(Outcomes::new(n_c - f_c, f_c), Outcomes::new(n_s - f_s, f_s));

    let shows = bad && rng.random_bool(0.8);
    let mut signals = Signals::new()
        .track_record(track)
        .risk(RiskSignal::new(size as u64, kind, blast).expect("blast radius in [0, 1]"));

    if rng.random_bool(0.95) {
        let r: f64 = rng.random();
        let verdict = if shows {
            if r < 0.75 {
                CanaryVerdict::Fail
            } else {
                CanaryVerdict::Marginal
            }
        } else if r < 0.90 {
            CanaryVerdict::Pass
        } else if r < 0.97 {
            CanaryVerdict::Marginal
        } else {
            CanaryVerdict::Fail
        };
        let (lo, hi) = match verdict {
            CanaryVerdict::Pass => (90.0, 100.0),
            CanaryVerdict::Marginal => (75.0, 95.0),
            _ => (20.0, 75.0),
        };
        let penalty = if bad && !shows { 5.0 } else { 0.0 };
        let score = (uniform(rng, lo, hi) - penalty).clamp(0.0, 100.0);
        let coverage = if rng.random_bool(0.85) {
            1.0
        } else {
            uniform(rng, 0.7, 1.0)
        };
        let canary = CanarySignal::new(verdict, score, coverage)
            .expect("score and coverage in range")
            .inconclusive(rng.random_bool(0.05));
        signals = signals.canary(canary);
    }
    if rng.random_bool(0.6) {
        let u: f64 = rng.random();
        let p = if shows { u.powi(3) } else { u.sqrt() };
        let s = SequentialSignal::from_p_value(p, 0.05)
            .expect("p in [0, 1]")
            .complete(rng.random_bool(0.9));
        signals = signals.sequential(s);
    }
    let approval = pick(rng, 0.01, 0.02);
    let tests = pick(rng, if bad { 0.25 } else { 0.03 }, 0.03);
    let scan = pick(rng, 0.02, 0.03);
    signals = signals.compliance([
        ComplianceCheck::gate("change approval", approval),
        ComplianceCheck::new("unit tests", tests),
        ComplianceCheck::new("security scan", scan),
    ]);
    if rng.random_bool(0.5) {
        let v = if bad {
            beta(rng, 4.0, 3.0)
        } else {
            beta(rng, 8.0, 2.0)
        };
        signals =
            signals.host(HostSignal::new("load test", HostValue::Score(v)).expect("in [0, 1]"));
    }
    Record { signals, bad }
}

/// `Fail` with probability `fail`, `Unknown` with probability `unknown`, else `Pass`.
fn pick(rng: &mut impl Rng, fail: f64, unknown: f64) -> CheckStatus {
    let r: f64 = rng.random();
    if r < fail {
        CheckStatus::Fail
    } else if r < fail + unknown {
        CheckStatus::Unknown
    } else {
        CheckStatus::Pass
    }
}

/// The simulated history of `n` changes from `seed`.
fn simulate(seed: u64, n: usize) -> Vec<Record> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n).map(|_| change(&mut rng)).collect()
}

/// The policy the simulation uses: the defaults plus the `load test` host signal and the
/// required approval check.
fn policy() -> ConfidenceOptions {
    ConfidenceOptions::new()
        .host_signal("load test", 0.10, false)
        .require_check("change approval")
}

/// Keptn-style decision (see the module docs): true when the rule passes (proceeds).
fn keptn(s: &Signals) -> bool {
    let mut total = 0.0;
    let mut weight = 0.0;
    let mut key_failed = false;
    let mut sli = |score: Option<f64>, w: f64, key: bool| {
        // Keptn leaves an SLI without a value out of the total (keptn#507).
        let Some(v) = score else { return };
        if key && v == 0.0 {
            key_failed = true;
        }
        total += w * v;
        weight += w;
    };
    sli(
        s.canary.as_ref().map(|c| match c.verdict {
            CanaryVerdict::Pass => 1.0,
            CanaryVerdict::Marginal => 0.5,
            _ => 0.0,
        }),
        2.0,
        true,
    );
    sli(
        s.sequential
            .as_ref()
            .map(|q| if q.stopped_early() { 0.0 } else { 1.0 }),
        1.0,
        true,
    );
    for c in &s.compliance {
        let v = match c.status {
            CheckStatus::Pass => 1.0,
            CheckStatus::Unknown => 0.5,
            _ => 0.0,
        };
        sli(Some(v), 1.0, c.hard_gate);
    }
    sli(
        s.risk.as_ref().map(|r| {
            if r.blast_radius <= 0.2 && r.size <= 500 {
                1.0
            } else if r.blast_radius <= 0.5 {
                0.5
            } else {
                0.0
            }
        }),
        1.0,
        false,
    );
    sli(
        s.track_record.as_ref().map(|t| {
            let n = t.campaign.total();
            if t.campaign.failed == 0 {
                1.0
            } else if (t.campaign.failed as f64) <= 0.1 * n as f64 {
                0.5
            } else {
                0.0
            }
        }),
        1.0,
        false,
    );
    let load = s
        .host
        .iter()
        .find(|h| h.name == "load test")
        .map(|h| match h.value {
            HostValue::Score(v) if v >= 0.8 => 1.0,
            HostValue::Score(v) if v >= 0.6 => 0.5,
            HostValue::Pass => 1.0,
            _ => 0.0,
        });
    sli(load, 1.0, false);
    !key_failed && weight > 0.0 && total / weight >= 0.90
}

/// Automation share and bad-proceed rate of a proceed rule on `records`.
fn score(records: &[&Record], proceeds: impl Fn(&Record) -> bool) -> (f64, f64, usize, usize) {
    let (mut n, mut k) = (0usize, 0usize);
    for r in records {
        if proceeds(r) {
            n += 1;
            k += usize::from(r.bad);
        }
    }
    let rate = if n == 0 { 0.0 } else { k as f64 / n as f64 };
    (n as f64 / records.len() as f64, rate, n, k)
}

fn main() -> ExitCode {
    let seeds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("SEEDS must be a positive integer"))
        .unwrap_or(10);
    let cal_opts = CalibrationOptions::new()
        .target(TARGET)
        .confidence(CONFIDENCE);
    let base = policy();
    println!(
        "confidence calibration: {CHANGES} simulated changes per seed, target bad-proceed rate \
         {:.1}% at {:.0}% confidence (one-sided Clopper-Pearson), held-out half",
        100.0 * TARGET,
        100.0 * CONFIDENCE
    );
    println!(
        "{:>4} {:>6} {:>6} | {:>9} {:>7} {:>8} {:>8} | {:>8} {:>8} | {:>9} {:>8} {:>8} | {:>9} {:>8}",
        "seed",
        "bad%",
        "elig%",
        "threshold",
        "train n",
        "auto%",
        "badP%",
        "fs auto%",
        "badP%",
        "fit thr",
        "auto%",
        "badP%",
        "keptn au%",
        "badP%"
    );
    let mut failures = Vec::new();
    let mut sums = [0.0f64; 8];
    let mut blind = 0.0f64;
    for s in 0..seeds {
        let seed = SEED + s;
        let history = simulate(seed, CHANGES);
        let train: Vec<Record> = history.iter().step_by(2).cloned().collect();
        let test: Vec<&Record> = history.iter().skip(1).step_by(2).collect();
        let bad_share = history.iter().filter(|r| r.bad).count() as f64 / history.len() as f64;

        // Default weights, threshold calibrated on the whole training half.
        let cal = calibrate(&train, &base, &cal_opts).expect("valid history");
        let (auto, bad_rate, thr) = match cal.apply(&base) {
            Ok(p) => {
                let (a, b, _, _) = score(&test, |r| {
                    assess(&r.signals, &p).expect("valid signals").decision == Decision::Proceed
                });
                (a, b, format!("{:.4}", p.get_proceed_threshold()))
            }
            Err(_) => {
                failures.push(format!("seed {seed}: no threshold (default weights)"));
                (0.0, 0.0, "none".into())
            }
        };
        if bad_rate > TARGET {
            failures.push(format!(
                "seed {seed}: held-out bad-proceed rate {:.3}% > {:.1}% (default weights)",
                100.0 * bad_rate,
                100.0 * TARGET
            ));
        }

        // The same with fixed-sequence testing over 50 thresholds.
        let fs_opts = cal_opts
            .clone()
            .multiplicity(Multiplicity::FixedSequence)
            .steps(50);
        let fs = calibrate(&train, &base, &fs_opts).expect("valid history");
        let (sauto, sbad) = match fs.apply(&base) {
            Ok(p) => {
                let (a, b, _, _) = score(&test, |r| {
                    assess(&r.signals, &p).expect("valid signals").decision == Decision::Proceed
                });
                (a, b)
            }
            Err(_) => (0.0, 0.0),
        };
        if sbad > TARGET {
            failures.push(format!(
                "seed {seed}: held-out bad-proceed rate {:.3}% > {:.1}% (fixed sequence)",
                100.0 * sbad,
                100.0 * TARGET
            ));
        }

        // Weights fitted on the first half of the training half, threshold on the second.
        let (fit_half, cal_half) = train.split_at(train.len() / 2);
        let fitted = fit_weights(fit_half, &base, &FitOptions::new()).expect("fit");
        let fcal = calibrate(cal_half, &fitted, &cal_opts).expect("valid history");
        let (fauto, fbad, fthr) = match fcal.apply(&fitted) {
            Ok(p) => {
                let (a, b, _, _) = score(&test, |r| {
                    assess(&r.signals, &p).expect("valid signals").decision == Decision::Proceed
                });
                (a, b, format!("{:.4}", p.get_proceed_threshold()))
            }
            Err(_) => {
                failures.push(format!("seed {seed}: no threshold (fitted weights)"));
                (0.0, 0.0, "none".into())
            }
        };
        if fbad > TARGET {
            failures.push(format!(
                "seed {seed}: held-out bad-proceed rate {:.3}% > {:.1}% (fitted weights)",
                100.0 * fbad,
                100.0 * TARGET
            ));
        }

        let (kauto, kbad, _, _) = score(&test, |r| keptn(&r.signals));
        // Keptn proceeds that rest on no canary or an inconclusive one (the confidence metric
        // never proceeds on those).
        let (kblind, _, _, _) = score(&test, |r| {
            keptn(&r.signals)
                && r.signals
                    .canary
                    .as_ref()
                    .is_none_or(|c| c.inconclusive || c.coverage < 0.9)
        });
        blind += kblind;
        println!(
            "{:>4} {:>5.1}% {:>5.1}% | {:>9} {:>7} {:>7.1}% {:>7.3}% | {:>7.1}% {:>7.3}% | {:>9} {:>7.1}% {:>7.3}% | {:>8.1}% {:>7.3}%",
            s,
            100.0 * bad_share,
            100.0 * cal.eligible as f64 / cal.records as f64,
            thr,
            cal.proceed,
            100.0 * auto,
            100.0 * bad_rate,
            100.0 * sauto,
            100.0 * sbad,
            fthr,
            100.0 * fauto,
            100.0 * fbad,
            100.0 * kauto,
            100.0 * kbad
        );
        for (sum, v) in sums
            .iter_mut()
            .zip([auto, bad_rate, sauto, sbad, fauto, fbad, kauto, kbad])
        {
            *sum += v;
        }
    }
    let m = seeds as f64;
    println!(
        "mean                                       {:>7.1}% {:>7.3}% | {:>7.1}% {:>7.3}% |           {:>7.1}% {:>7.3}% | {:>8.1}% {:>7.3}%",
        100.0 * sums[0] / m,
        100.0 * sums[1] / m,
        100.0 * sums[2] / m,
        100.0 * sums[3] / m,
        100.0 * sums[4] / m,
        100.0 * sums[5] / m,
        100.0 * sums[6] / m,
        100.0 * sums[7] / m
    );
    println!("auto% = held-out changes that proceed; badP% = bad changes among those that proceed");
    println!(
        "the Keptn-style rule proceeds on {:.1}% of held-out changes with no canary, an \
         inconclusive one or coverage below 90% (mean over seeds)",
        100.0 * blind / m
    );
    if failures.is_empty() {
        println!(
            "goal met: held-out bad-proceed rate <= {:.1}% for every seed",
            100.0 * TARGET
        );
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            println!("GOAL MISSED: {f}");
        }
        ExitCode::FAILURE
    }
}
