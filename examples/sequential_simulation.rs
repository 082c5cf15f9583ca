//! Simulation: false detections under continuous monitoring (A/A) and power, for every
//! anytime-valid test in `stats::sequential`, next to naive repeated Mann-Whitney in the same
//! harness.
//!
//! ```text
//! cargo run --release --example sequential_simulation [-- REPLICATIONS]
//! ```
//!
//! Fixed seed; every replication has its own generator seeded from (scenario, replication), so
//! the table is identical for any number of threads.
//!
//! - Continuous scenarios: latency is lognormal (median 100, log-sd 0.5) in both arms (A/A), or
//!   the canary is 10% slower (scale 1.1), or only its spread changes (log-sd 0.75, same
//!   median). Observations arrive in pairs (one per arm); every test looks after every 50 pairs,
//!   up to 10,000 per arm (200 looks). Tests: DKW equality (`dkw-two-sided`), DKW stochastic
//!   order (`dkw-greater`), the mSPRT on log values (`msprt-log`, tau^2 = 0.01, burn-in 100), and
//!   the Bonferroni combination of `dkw-greater` and `msprt-log` that `examples/monitor.rs` runs.
//!   Naive: a two-sided Mann-Whitney test (`stats::mann_whitney`, normal approximation with tie
//!   and continuity corrections) at 20 looks, n = 50, 100, ..., 1000 per arm, rejecting if any look has p < 0.05.
//! - Count scenarios: events arrive one at a time; each comes from the canary with probability
//!   1/2 (A/A, equal traffic) or 2/3 (the canary's error rate doubled); the Lindon-Malek tests
//!   (k = 100, canary share 1/2; two-sided and `greater`) look after every event, up to 1,500
//!   events. Count scenarios run twice as many replications (they are cheap).
//!
//! "median to detection" is the median over all replications of the number of observations per
//! arm (continuous) or events (counts) at the first rejecting look, counting replications that
//! never reject as infinite.
use std::thread;

use canary_analysis::stats::mann_whitney::{MannWhitneyOptions, mann_whitney};
use canary_analysis::stats::sequential::{
    Arm, CountMixture, CountMixtureOptions, Dkw, DkwOptions, Msprt, MsprtOptions, bonferroni,
};
use canary_analysis::stats::{Alternative, Method};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const SEED: u64 = 20_261_123;
const ALPHA: f64 = 0.05;
const MAX_PER_ARM: usize = 10_000;
const LOOK_EVERY: usize = 50;
const MAX_EVENTS: usize = 1_500;

fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let u: f64 = rng.random::<f64>();
    let v: f64 = rng.random::<f64>();
    (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Two-sided Mann-Whitney p-value from `stats::mann_whitney` (normal approximation with tie and
/// continuity corrections, as scipy's `mannwhitneyu(..., method="asymptotic")`).
fn mann_whitney_p(base: &[f64], can: &[f64]) -> f64 {
    let opts = MannWhitneyOptions::new()
        .alternative(Alternative::TwoSided)
        .method(Method::Asymptotic)
        .continuity(true);
    mann_whitney(base, can, &opts)
        .expect("continuous data")
        .p_value
}

#[derive(Clone, Copy)]
enum Scenario {
    Latency { scale: f64, sigma: f64 },
    Counts { theta: f64 },
}

const CONTINUOUS_TESTS: [&str; 5] = [
    "dkw-two-sided",
    "dkw-greater",
    "msprt-log",
    "bonferroni(dkw-greater,msprt-log)",
    "naive repeated Mann-Whitney (20 looks)",
];
const COUNT_TESTS: [&str; 2] = ["count-two-sided", "count-greater"];

/// Detection times (observations per arm or events) for each test; `None` = never rejected.
fn replicate(scenario: Scenario, scenario_id: u64, rep: u64) -> Vec<Option<usize>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED ^ (scenario_id << 40) ^ rep);
    match scenario {
        Scenario::Latency { scale, sigma } => {
            let mut two = Dkw::new(DkwOptions::new()).unwrap();
            let mut greater =
                Dkw::new(DkwOptions::new().alternative(Alternative::Greater)).unwrap();
            let mut ms = Msprt::new(MsprtOptions::new()).unwrap();
            let mut found: Vec<Option<usize>> = vec![None; CONTINUOUS_TESTS.len()];
            let (mut base, mut can) = (Vec::new(), Vec::new());
            for i in 1..=MAX_PER_ARM {
                let b = 100.0 * (0.5 * normal(&mut rng)).exp();
                let c = 100.0 * scale * (sigma * normal(&mut rng)).exp();
                if i <= 1000 {
                    base.push(b);
                    can.push(c);
                    if i % 50 == 0 && found[4].is_none() && mann_whitney_p(&base, &can) < ALPHA {
                        found[4] = Some(i);
                    }
                }
                two.observe(Arm::Baseline, b).unwrap();
                two.observe(Arm::Canary, c).unwrap();
                greater.observe(Arm::Baseline, b).unwrap();
                greater.observe(Arm::Canary, c).unwrap();
                ms.observe(Arm::Baseline, b).unwrap();
                ms.observe(Arm::Canary, c).unwrap();
                if i % LOOK_EVERY == 0 {
                    let p = [
                        two.look().unwrap().p_value,
                        greater.look().unwrap().p_value,
                        ms.look().unwrap().p_value,
                    ];
                    let combo = bonferroni(&[p[1], p[2]]);
                    for (k, &pk) in p.iter().chain(std::iter::once(&combo)).enumerate() {
                        if found[k].is_none() && pk < ALPHA {
                            found[k] = Some(i);
                        }
                    }
                    if found.iter().all(Option::is_some) {
                        break;
                    }
                }
            }
            found
        }
        Scenario::Counts { theta } => {
            let opts = CountMixtureOptions::new().canary_share(0.5).k(100.0);
            let mut two = CountMixture::new(opts).unwrap();
            let mut greater = CountMixture::new(opts.alternative(Alternative::Greater)).unwrap();
            let mut found: Vec<Option<usize>> = vec![None; COUNT_TESTS.len()];
            for e in 1..=MAX_EVENTS {
                let arm = if rng.random::<f64>() < theta {
                    Arm::Canary
                } else {
                    Arm::Baseline
                };
                two.observe(arm, 1).unwrap();
                greater.observe(arm, 1).unwrap();
                let p = [two.look().unwrap().p_value, greater.look().unwrap().p_value];
                for (k, &pk) in p.iter().enumerate() {
                    if found[k].is_none() && pk < ALPHA {
                        found[k] = Some(e);
                    }
                }
                if found.iter().all(Option::is_some) {
                    break;
                }
            }
            found
        }
    }
}

fn run(scenario: Scenario, scenario_id: u64, reps: u64) -> Vec<Vec<Option<usize>>> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let mut results: Vec<Vec<Option<usize>>> = vec![Vec::new(); reps as usize];
    thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..reps)
                        .step_by(threads as usize)
                        .map(|r| (r, replicate(scenario, scenario_id, r)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (r, v) in h.join().expect("worker") {
                results[r as usize] = v;
            }
        }
    });
    results
}

fn median_detection(times: &mut [Option<usize>]) -> String {
    // None (never) sorts last.
    times.sort_by_key(|t| t.unwrap_or(usize::MAX));
    match times[(times.len() - 1) / 2] {
        Some(t) => t.to_string(),
        None => "never (power < 50%)".to_owned(),
    }
}

struct Row {
    scenario: &'static str,
    test: &'static str,
    rate: f64,
    se: f64,
    median: String,
}

fn main() {
    let reps: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("replications must be an integer"))
        .unwrap_or(2000);
    let start = std::time::Instant::now();
    let scenarios: [(&str, Scenario, &[&str]); 5] = [
        (
            "A/A latency (lognormal, sigma 0.5)",
            Scenario::Latency {
                scale: 1.0,
                sigma: 0.5,
            },
            &CONTINUOUS_TESTS,
        ),
        (
            "latency +10% scale",
            Scenario::Latency {
                scale: 1.1,
                sigma: 0.5,
            },
            &CONTINUOUS_TESTS,
        ),
        (
            "latency spread only (sigma 0.5 -> 0.75)",
            Scenario::Latency {
                scale: 1.0,
                sigma: 0.75,
            },
            &CONTINUOUS_TESTS,
        ),
        (
            "A/A errors (canary share 1/2)",
            Scenario::Counts { theta: 0.5 },
            &COUNT_TESTS,
        ),
        (
            "errors doubled (share of events 2/3)",
            Scenario::Counts { theta: 2.0 / 3.0 },
            &COUNT_TESTS,
        ),
    ];
    let mut rows = Vec::new();
    for (id, (name, scenario, tests)) in scenarios.iter().enumerate() {
        let r = if matches!(scenario, Scenario::Counts { .. }) {
            2 * reps
        } else {
            reps
        };
        let results = run(*scenario, id as u64, r);
        for (k, test) in tests.iter().enumerate() {
            let mut times: Vec<Option<usize>> = results.iter().map(|v| v[k]).collect();
            let hits = times.iter().filter(|t| t.is_some()).count() as f64;
            let rate = hits / r as f64;
            let se = (rate.max(ALPHA) * (1.0 - rate.max(ALPHA)) / r as f64).sqrt();
            rows.push(Row {
                scenario: name,
                test,
                rate,
                se,
                median: median_detection(&mut times),
            });
        }
        eprintln!(
            "{name}: {r} replications done ({:.1} s)",
            start.elapsed().as_secs_f64()
        );
    }
    println!(
        "seed {SEED}, {reps} replications per latency scenario, {} per count scenario, alpha {ALPHA}",
        2 * reps
    );
    println!("simulation SE = sqrt(q (1 - q) / replications), q = max(rate, alpha)");
    println!(
        "latency: a look every {LOOK_EVERY} observations per arm up to {MAX_PER_ARM} per arm; counts: a look after every event up to {MAX_EVENTS} events\n"
    );
    println!(
        "| scenario | test | rejected (A/A: false detection) | simulation SE | median to detection |"
    );
    println!("|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {:.2}% | {:.2}% | {} |",
            r.scenario,
            r.test,
            100.0 * r.rate,
            100.0 * r.se,
            r.median
        );
    }
    println!();
    // The claims the simulation must show.
    let mut ok = true;
    for r in rows.iter().filter(|r| r.scenario.starts_with("A/A")) {
        if r.test.starts_with("naive") {
            let pass = r.rate > 0.15;
            ok &= pass;
            println!(
                "check: naive repeated MW A/A false detection {:.2}% > 15%: {}",
                100.0 * r.rate,
                if pass { "yes" } else { "NO" }
            );
        } else {
            let pass = r.rate <= ALPHA + 2.0 * r.se;
            ok &= pass;
            println!(
                "check: {} A/A false detection {:.2}% <= 5% + 2 SE: {}",
                r.test,
                100.0 * r.rate,
                if pass { "yes" } else { "NO" }
            );
        }
    }
    for (scenario, test) in [
        ("latency +10% scale", "msprt-log"),
        ("latency +10% scale", "dkw-two-sided"),
        ("errors doubled (share of events 2/3)", "count-two-sided"),
        ("errors doubled (share of events 2/3)", "count-greater"),
    ] {
        let r = rows
            .iter()
            .find(|r| r.scenario == scenario && r.test == test)
            .expect("row");
        let pass = r.rate >= 0.8;
        ok &= pass;
        println!(
            "check: {test} power for `{scenario}` {:.2}% >= 80%: {}",
            100.0 * r.rate,
            if pass { "yes" } else { "NO" }
        );
    }
    println!(
        "\nall checks {}; {:.1} s",
        if ok { "pass" } else { "FAIL" },
        start.elapsed().as_secs_f64()
    );
    if !ok {
        std::process::exit(1);
    }
}
