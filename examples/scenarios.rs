//! Decision quality, measured: a labeled scenario suite for both judges.
//!
//! ```text
//! cargo run --release --example scenarios
//! ```
//!
//! Exits with status 1 when the default judge misses its goal (A/A false fail at most 5%,
//! detection at least 95%); the seed is fixed, so the table is deterministic. `--canaries N` (or
//! `SCENARIO_CANARIES=N`) changes the number of canaries per scenario (default 2000),
//! `SCENARIO_ONLY=TEXT` runs the scenarios whose name contains TEXT and `SCENARIO_ALPHA=A` sets the
//! default judge's `alpha` (exploration only; the published table uses the defaults).
//!
//! Every scenario draws 2000 canaries (fixed seed, xoshiro256++), each with 10 metrics, baseline
//! and canary independently from the distributions below, and judges each canary with both
//! judges (thresholds pass 95, marginal 75; Kayenta's tolerance 0.25 and confidence 0.98; the
//! default judge's defaults, alpha 0.045 and margin 0.05). At 2000 canaries a rate near 5% has a
//! standard error of about 0.5%.
//!
//! The mixed canary (used by the regression scenarios), 500 points per side unless stated:
//!
//! | # | metric | distribution | kind | direction | group |
//! |---|--------|--------------|------|-----------|-------|
//! | 0 | latency_p50 | lognormal(ln 100, 0.15) | continuous | increase | Latency |
//! | 1 | latency_p99 | lognormal(ln 300, 0.30) | continuous | increase | Latency |
//! | 2 | cpu | normal(50, 5) | continuous | increase | System |
//! | 3 | memory | normal(1000, 50) | continuous | increase | System |
//! | 4 | throughput | normal(500, 25) | continuous | decrease | Traffic |
//! | 5 | gc_pause | lognormal(ln 20, 0.40) | continuous | increase | Latency |
//! | 6 | errors | Poisson(2) per step | count | increase | Errors |
//! | 7 | timeouts | zero-inflated Poisson (70% zeros, else Poisson(4)) | count | increase | Errors |
//! | 8 | requests | Poisson(50) | count | either | Traffic |
//! | 9 | queue_depth | normal(30, 3) | continuous | either | System |
//!
//! A/A scenarios draw both sides from the same distribution: all ten metrics normal, lognormal,
//! Poisson or zero-inflated Poisson (parameters varying per metric), the mixed canary, and the
//! mixed canary with bursty errors (errors Poisson(2) and timeouts Poisson(0.2), each plus a burst
//! of 10-30 events in 5% of steps). The *stress* row (ten bursty count metrics, Poisson(0.2 k)
//! plus the same bursts) is reported without a goal: with bursts in 5% of steps a 120-step
//! baseline window has none with probability 0.95^120 = 0.2% per metric, and any test that
//! flags one burst against a clean baseline (a goal below) must then flag the canary's bursts;
//! over eight flaggable metrics that alone costs 1.7% of the canaries.
//!
//! Count regressions at 120 steps: 11 errors in 8 random steps (three steps with 2) against a clean
//! baseline; one step with 15-40 errors against a clean baseline; three steps with 8-15 extra
//! errors on top of Poisson(0.03) on both sides. The 25% lognormal shift scales gc_pause
//! (sigma 0.4) by 1.25 at 120 points per side.
//! **False fail** = the verdict is not Pass, or any metric is High or Low.
//! Regression scenarios change one metric of the canary side only; **detection** = that metric is
//! High or Low and the verdict is not Pass. The "too little data" row reports the share of
//! canaries not passed instead (the default judge should answer InsufficientData there, not
//! Pass), since neither High nor Low can be expected from 3 points.

use std::time::Instant;

use canary_analysis::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const DEFAULT_CANARIES: usize = 2000;
const METRICS: usize = 10;
const SEED: u64 = 20_261_123;

struct G(Xoshiro256PlusPlus);

impl G {
    fn unif(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self, mu: f64, sd: f64) -> f64 {
        let (u1, u2) = (self.unif(), self.unif());
        mu + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * self.normal(0.0, sigma).exp()
    }
    /// Uniform whole number in `lo..=hi`.
    fn int(&mut self, lo: u32, hi: u32) -> f64 {
        let span = (hi - lo + 1) as f64;
        lo as f64 + (self.unif() * span).floor().min(span - 1.0)
    }
    /// `k` distinct indices in `0..n` (partial Fisher-Yates).
    fn distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + ((self.unif() * (n - i) as f64) as usize).min(n - i - 1);
            idx.swap(i, j);
        }
        idx.truncate(k);
        idx
    }
    fn poisson(&mut self, lambda: f64) -> f64 {
        // Knuth's multiplication method (lambda <= 60 here).
        let l = (-lambda).exp();
        let (mut k, mut p) = (0.0, 1.0);
        loop {
            p *= self.unif();
            if p <= l {
                return k;
            }
            k += 1.0;
        }
    }
}

#[derive(Clone, Copy)]
enum Dist {
    Normal(f64, f64),
    LogNormal(f64, f64),
    Poisson(f64),
    /// Zero probability, then Poisson(lambda).
    Zip(f64, f64),
    Zero,
    Bernoulli(f64),
    /// Poisson(lambda) background plus, in a share `p` of steps, a burst of `lo..=hi` events.
    Bursty(f64, f64, u32, u32),
}

impl Dist {
    fn draw(self, g: &mut G) -> f64 {
        match self {
            Dist::Normal(m, s) => g.normal(m, s),
            Dist::LogNormal(m, s) => g.lognormal(m, s),
            Dist::Poisson(l) => g.poisson(l),
            Dist::Zip(z, l) => {
                if g.unif() < z {
                    0.0
                } else {
                    g.poisson(l)
                }
            }
            Dist::Zero => 0.0,
            Dist::Bernoulli(p) => {
                if g.unif() < p {
                    1.0
                } else {
                    0.0
                }
            }
            Dist::Bursty(lambda, p, lo, hi) => {
                let mut x = g.poisson(lambda);
                if g.unif() < p {
                    x += g.int(lo, hi);
                }
                x
            }
        }
    }
}

struct MetricDef {
    name: &'static str,
    dist: Dist,
    count: bool,
    direction: &'static str,
    group: &'static str,
}

fn mixed() -> Vec<MetricDef> {
    let m = |name, dist, count, direction, group| MetricDef {
        name,
        dist,
        count,
        direction,
        group,
    };
    vec![
        m(
            "latency_p50",
            Dist::LogNormal(100.0, 0.15),
            false,
            "increase",
            "Latency",
        ),
        m(
            "latency_p99",
            Dist::LogNormal(300.0, 0.30),
            false,
            "increase",
            "Latency",
        ),
        m("cpu", Dist::Normal(50.0, 5.0), false, "increase", "System"),
        m(
            "memory",
            Dist::Normal(1000.0, 50.0),
            false,
            "increase",
            "System",
        ),
        m(
            "throughput",
            Dist::Normal(500.0, 25.0),
            false,
            "decrease",
            "Traffic",
        ),
        m(
            "gc_pause",
            Dist::LogNormal(20.0, 0.40),
            false,
            "increase",
            "Latency",
        ),
        m("errors", Dist::Poisson(2.0), true, "increase", "Errors"),
        m("timeouts", Dist::Zip(0.7, 4.0), true, "increase", "Errors"),
        m("requests", Dist::Poisson(50.0), true, "either", "Traffic"),
        m(
            "queue_depth",
            Dist::Normal(30.0, 3.0),
            false,
            "either",
            "System",
        ),
    ]
}

/// The mixed canary with bursty error counts: errors Poisson(2) and timeouts Poisson(0.2), each
/// with bursts of 10-30 more events in 5% of steps.
fn bursty_mixed() -> Vec<MetricDef> {
    let mut v = mixed();
    v[6].dist = Dist::Bursty(2.0, 0.05, 10, 30);
    v[7].dist = Dist::Bursty(0.2, 0.05, 10, 30);
    v
}

fn family(kind: &str) -> Vec<MetricDef> {
    let dirs = ["increase", "increase", "decrease", "either", "increase"];
    let groups = ["A", "A", "B", "B", "C"];
    (0..METRICS)
        .map(|i| {
            let f = 1.0 + i as f64;
            let (dist, count) = match kind {
                "normal" => (Dist::Normal(10.0 * f, 1.0 + 0.3 * f), false),
                "lognormal" => (Dist::LogNormal(20.0 * f, 0.1 + 0.05 * f), false),
                "poisson" => (Dist::Poisson(0.5 * f * f), true),
                "bursty" => (Dist::Bursty(0.2 * f, 0.05, 10, 30), true),
                _ => (Dist::Zip(0.5 + 0.04 * f, 1.0 + f), true),
            };
            MetricDef {
                name: ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"][i],
                dist,
                count,
                direction: dirs[i % 5],
                group: groups[i % 5],
            }
        })
        .collect()
}

fn config(defs: &[MetricDef]) -> CanaryConfig {
    let metrics: Vec<String> = defs
        .iter()
        .map(|d| {
            format!(
                r#"{{"name": "{}", "groups": ["{}"], "analysisConfigurations": {{"canary": {{"direction": "{}", "kind": "{}"}}}}}}"#,
                d.name,
                d.group,
                d.direction,
                if d.count { "count" } else { "continuous" }
            )
        })
        .collect();
    CanaryConfig::from_json(&format!(
        r#"{{"name": "scenarios", "judge": {{"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {{{}}}}}, "metrics": [{}]}}"#,
        std::env::var("SCENARIO_ALPHA")
            .map(|a| format!(r#""alpha": {a}"#))
            .unwrap_or_default(),
        metrics.join(",")
    ))
    .expect("scenario config is valid")
}

#[derive(Clone, Copy)]
enum Change {
    None,
    Scale(f64),
    Spread(f64, f64),
    SlowTail(f64, f64),
    SevenOfTen,
    Replace(Dist),
    BaselineAndCanary(Dist, Dist),
    /// Clean baseline; the canary has `events` events in `steps` random steps (1 or 2 each).
    SparseClumps(usize, usize),
    /// Baseline `Dist`; the canary is drawn from it too, then `k` random steps each get a burst
    /// of `lo..=hi` more events.
    Bursts(Dist, usize, u32, u32),
}

struct Scenario {
    name: &'static str,
    defs: Vec<MetricDef>,
    n: usize,
    target: Option<usize>,
    change: Change,
    report_not_passed: bool,
    /// Reported without a goal (see the module docs).
    stress: bool,
}

fn scenarios() -> Vec<Scenario> {
    let s = |name, defs, n, target, change| Scenario {
        name,
        defs,
        n,
        target,
        change,
        report_not_passed: false,
        stress: false,
    };
    // latency_p99's p99: 300 * exp(0.30 * 2.326).
    let p99 = 300.0 * (0.30f64 * 2.326_347_874).exp();
    let mut v = vec![
        s("A/A normal", family("normal"), 500, None, Change::None),
        s(
            "A/A lognormal latency",
            family("lognormal"),
            500,
            None,
            Change::None,
        ),
        s(
            "A/A Poisson counts",
            family("poisson"),
            500,
            None,
            Change::None,
        ),
        s(
            "A/A zero-inflated counts",
            family("zip"),
            500,
            None,
            Change::None,
        ),
        s(
            "A/A bursty errors (Poisson + bursts of 10-30 in 5% of steps, both sides), 120 points",
            bursty_mixed(),
            120,
            None,
            Change::None,
        ),
        Scenario {
            stress: true,
            ..s(
                "A/A ten bursty count metrics, 120 steps (stress, no goal)",
                family("bursty"),
                120,
                None,
                Change::None,
            )
        },
        s("A/A mixed canary", mixed(), 500, None, Change::None),
        s(
            "A/A mixed canary, 120 points",
            mixed(),
            120,
            None,
            Change::None,
        ),
        s(
            "A/A mixed, low traffic (12 points)",
            mixed(),
            12,
            None,
            Change::None,
        ),
        s(
            "+10% location (latency_p50)",
            mixed(),
            500,
            Some(0),
            Change::Scale(1.10),
        ),
        s(
            "+25% location (latency_p50)",
            mixed(),
            500,
            Some(0),
            Change::Scale(1.25),
        ),
        s(
            "spread 3x, same median (cpu)",
            mixed(),
            500,
            Some(2),
            Change::Spread(50.0, 3.0),
        ),
        s(
            "tail only: p99 doubles (latency_p99, 5% slow)",
            mixed(),
            500,
            Some(1),
            Change::SlowTail(0.05, 2.0 * p99),
        ),
        s(
            "7 of 10 at 100x (latency_p50, 10 points)",
            mixed(),
            10,
            Some(0),
            Change::SevenOfTen,
        ),
        s(
            "sparse errors vs zero baseline (5% of steps)",
            mixed(),
            500,
            Some(6),
            Change::BaselineAndCanary(Dist::Zero, Dist::Bernoulli(0.05)),
        ),
        s(
            "clumped sparse errors vs clean baseline (11 events in 8 of 120 steps)",
            mixed(),
            120,
            Some(6),
            Change::SparseClumps(8, 11),
        ),
        s(
            "one burst (15-40 errors in one step) vs clean baseline, 120 steps",
            mixed(),
            120,
            Some(6),
            Change::Bursts(Dist::Zero, 1, 15, 40),
        ),
        s(
            "three bursts (8-15 each) vs low baseline (Poisson 0.03), 120 steps",
            mixed(),
            120,
            Some(6),
            Change::Bursts(Dist::Poisson(0.03), 3, 8, 15),
        ),
        s(
            "+25% location (gc_pause, lognormal sigma 0.4, 120 points)",
            mixed(),
            120,
            Some(5),
            Change::Scale(1.25),
        ),
        s(
            "doubled error rate (errors 2 -> 4)",
            mixed(),
            500,
            Some(6),
            Change::Replace(Dist::Poisson(4.0)),
        ),
        s(
            "low traffic (12 points), latency_p50 +50%",
            mixed(),
            12,
            Some(0),
            Change::Scale(1.5),
        ),
    ];
    let mut tiny = s(
        "too little data (3 points), latency_p50 +50%",
        mixed(),
        3,
        Some(0),
        Change::Scale(1.5),
    );
    tiny.report_not_passed = true;
    v.push(tiny);
    v
}

fn draw(g: &mut G, dist: Dist, n: usize) -> Vec<f64> {
    (0..n).map(|_| dist.draw(g)).collect()
}

fn main() {
    let started = Instant::now();
    // SCENARIO_CANARIES overrides the count for exploration; the published table uses the default.
    let args: Vec<String> = std::env::args().collect();
    let flag = args
        .iter()
        .position(|a| a == "--canaries")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse::<usize>().expect("--canaries takes a whole number"));
    let canaries: usize = flag
        .or_else(|| {
            std::env::var("SCENARIO_CANARIES")
                .ok()
                .and_then(|s| s.parse().ok())
        })
        .unwrap_or(DEFAULT_CANARIES);
    let only = std::env::var("SCENARIO_ONLY").ok();
    let thresholds = Thresholds::new(95.0, 75.0).expect("valid thresholds");
    let mut rows = Vec::new();
    for (si, sc) in scenarios().into_iter().enumerate() {
        if only.as_deref().is_some_and(|o| !sc.name.contains(o)) {
            continue;
        }
        let cfg = config(&sc.defs);
        let judges: [(&str, Box<dyn Judge>); 2] = [
            (
                "default",
                Box::new(DefaultJudge::new(cfg.clone(), thresholds).expect("valid judge")),
            ),
            (
                "kayenta",
                Box::new(KayentaJudge::new(cfg, thresholds).expect("valid judge")),
            ),
        ];
        let mut g = G(Xoshiro256PlusPlus::seed_from_u64(SEED ^ (si as u64) << 32));
        let mut hits = [0usize; 2];
        let mut insufficient = 0usize;
        for _ in 0..canaries {
            let mut data: Vec<(Vec<f64>, Vec<f64>)> = Vec::with_capacity(METRICS);
            for (mi, d) in sc.defs.iter().enumerate() {
                let mut base = draw(&mut g, d.dist, sc.n);
                let mut can = draw(&mut g, d.dist, sc.n);
                if sc.target == Some(mi) {
                    match sc.change {
                        Change::None => {}
                        Change::Scale(f) => can.iter_mut().for_each(|x| *x *= f),
                        Change::Spread(center, f) => {
                            can.iter_mut().for_each(|x| *x = center + f * (*x - center))
                        }
                        Change::SlowTail(share, level) => {
                            for x in can.iter_mut() {
                                if g.unif() < share {
                                    *x = g.lognormal(level, 0.1);
                                }
                            }
                        }
                        Change::SevenOfTen => {
                            for x in can.iter_mut().take(7) {
                                *x *= 100.0;
                            }
                        }
                        Change::Replace(dist) => can = draw(&mut g, dist, sc.n),
                        Change::BaselineAndCanary(b, c) => {
                            base = draw(&mut g, b, sc.n);
                            can = draw(&mut g, c, sc.n);
                        }
                        Change::SparseClumps(steps, events) => {
                            base = vec![0.0; sc.n];
                            can = vec![0.0; sc.n];
                            let at = g.distinct(sc.n, steps);
                            for (j, &k) in at.iter().enumerate() {
                                can[k] = if j < events - steps { 2.0 } else { 1.0 };
                            }
                        }
                        Change::Bursts(b, k, lo, hi) => {
                            base = draw(&mut g, b, sc.n);
                            can = draw(&mut g, b, sc.n);
                            for at in g.distinct(sc.n, k) {
                                can[at] += g.int(lo, hi);
                            }
                        }
                    }
                }
                data.push((base, can));
            }
            let pairs: Vec<MetricPair> = sc
                .defs
                .iter()
                .zip(data)
                .map(|(d, (b, c))| MetricPair::from_values(d.name, b, c).expect("valid pair"))
                .collect();
            for (j, (mode, judge)) in judges.iter().enumerate() {
                let r = judge.judge(&pairs).expect("judge runs");
                let not_pass = r.verdict() != Verdict::Pass;
                let flagged =
                    |c: Classification| matches!(c, Classification::High | Classification::Low);
                let hit = match sc.target {
                    _ if sc.report_not_passed => not_pass,
                    None => not_pass || r.results.iter().any(|m| flagged(m.classification)),
                    Some(t) => not_pass && flagged(r.results[t].classification),
                };
                hits[j] += hit as usize;
                if hit && sc.target.is_none() && std::env::var_os("SCENARIO_DEBUG").is_some() {
                    for m in r.results.iter().filter(|m| flagged(m.classification)) {
                        eprintln!(
                            "{} [{}] {}: {}",
                            sc.name,
                            mode,
                            m.name,
                            m.classification_reason.as_deref().unwrap_or("")
                        );
                    }
                    if !r.results.iter().any(|m| flagged(m.classification)) {
                        eprintln!(
                            "{} [{}] verdict {}",
                            sc.name, mode, r.score.classification_reason
                        );
                    }
                }
                if *mode == "default"
                    && r.results
                        .iter()
                        .any(|m| m.classification == Classification::InsufficientData)
                {
                    insufficient += 1;
                }
            }
        }
        rows.push((sc, hits, insufficient));
    }
    println!(
        "Decision quality: {canaries} canaries per scenario, {METRICS} metrics per canary, seed {SEED}\n"
    );
    println!("| scenario | measure | default judge | Kayenta mode |");
    println!("|---|---|---|---|");
    for (sc, hits, insufficient) in &rows {
        let measure = if sc.report_not_passed {
            "not passed"
        } else if sc.target.is_none() {
            "false fail"
        } else {
            "detection"
        };
        let pct = |h: usize| format!("{:.1}%", 100.0 * h as f64 / canaries as f64);
        let note = if *insufficient > 0 {
            format!(" ({insufficient} with InsufficientData)")
        } else {
            String::new()
        };
        println!(
            "| {} | {measure} | {}{note} | {} |",
            sc.name,
            pct(hits[0]),
            pct(hits[1])
        );
    }
    let mut ok = true;
    for (sc, hits, _) in &rows {
        let rate = hits[0] as f64 / canaries as f64;
        let good = if sc.report_not_passed || sc.stress {
            true
        } else if sc.target.is_none() {
            rate <= 0.05
        } else {
            rate >= 0.95
        };
        ok &= good;
    }
    println!(
        "\nGoal for the default judge (A/A false fail <= 5%, detection >= 95%): {}",
        if ok { "met" } else { "NOT met" }
    );
    println!("elapsed {:.1} s", started.elapsed().as_secs_f64());
    if !ok {
        // The seed is fixed, so this is deterministic: a regression of the judge, not noise.
        std::process::exit(1);
    }
}
