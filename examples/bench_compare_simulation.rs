//! A/A and power simulation of benchmark-suite comparison (`canary_analysis::bench`), from real
//! samples: `fixtures/bench_compare/recorded/{run1,run2}/r<k>/` holds criterion's `sample.json`
//! of two runs of the same build of `benches/quick.rs` on the development machine, recorded by
//! `fixtures/bench_compare/record.sh` as 40 interleaved rounds (ABBA order), each round a fresh
//! process per benchmark and run with criterion's 10 samples, with whatever outliers and
//! process-to-process jumps the machine produced.
//!
//! Each simulated suite has 50 benchmarks; benchmark `i` takes the recorded benchmark `i mod K`
//! and draws 20 of the 40 processes of one run for "old" and 20 of the other run's for "new"
//! (which run is old is a coin flip per benchmark), so the machine's drift between processes is
//! in the data. A side's samples are one value per process, as `canary compare` takes them from
//! several saved runs (`--old-baseline a,b,c`, [`Samples::per_run`]: the run's median), since on
//! this machine the process, not the sample, is the unit of repetition (see the `bench` module
//! docs). Every suite is written out in each input format and read back through the library's
//! readers: criterion (each drawn process's `sample.json`, then `Samples::per_run`), Google
//! Benchmark JSON (20 repetitions plus the `_mean/_median/_stddev/_cv` aggregates that must be
//! skipped) and `go test -bench` text (`-count=20`, `ns/op` printed with Go's rounding).
//!
//! Comparisons use `CompareOptions::drop_disturbed(Some(0.10))` (`canary compare
//! --drop-disturbed 0.10`): on each side, runs more than 10% slower than that side's median run
//! are left out as disturbed by other tenants of the machine (about a quarter of the recorded
//! processes ran 10-90% slower than the rest). The figures with every run kept are printed too.
//!
//! - A/A: no injected change; the goal is no regression flagged in >= 95% of suites.
//! - Power: one benchmark (rotating over the recorded ones) is made 5% slower (all its new
//!   samples times 1.05, outliers included); the goal is that it is flagged `slower` in >= 90%
//!   of suites.
//!
//! Seeded (splitmix64), so the figures are identical on every run. Exits 1 if a goal is missed.
//!
//!     cargo run --release --example bench_compare_simulation
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canary_analysis::bench::criterion::{read_benchmark_json, read_sample_json};
use canary_analysis::bench::google::read_google_benchmark;
use canary_analysis::bench::gotest::read_go_bench;
use canary_analysis::bench::{CompareOptions, ReadLimits, Samples, Verdict, compare};

const SUITES: usize = 1000;
const BENCHMARKS: usize = 50;
const N: usize = 20;
const SLOWDOWN: f64 = 1.05;
const DISTURBED: f64 = 0.10;
const AA_GOAL: f64 = 0.95;
const POWER_GOAL: f64 = 0.90;

/// One recorded process: criterion's raw `(iters, times)` per sample.
#[derive(Clone)]
struct Proc {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// One recorded benchmark: the processes of each run.
struct Recorded {
    name: String,
    runs: [Vec<Proc>; 2],
}

#[derive(serde::Deserialize)]
struct RawSample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

fn find_samples(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            find_samples(&p, out);
        } else if p.file_name().is_some_and(|n| n == "sample.json") {
            out.push(p);
        }
    }
}

/// Each run's processes per benchmark (`recorded/<run>/r<k>/<benchmark>/sample.json`).
fn load() -> Vec<Recorded> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench_compare/recorded");
    let limits = ReadLimits::new();
    let mut by_run: [Vec<(String, Vec<Proc>)>; 2] = [Vec::new(), Vec::new()];
    for (k, run) in ["run1", "run2"].iter().enumerate() {
        let mut files = Vec::new();
        find_samples(&root.join(run), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let bj = std::fs::read_to_string(f.with_file_name("benchmark.json")).unwrap();
            let name = read_benchmark_json(&f.display().to_string(), &bj, &limits).unwrap();
            // Validate through the library reader, keep the raw pairs to write them back.
            read_sample_json(&f.display().to_string(), &name, &text, &limits).unwrap();
            let raw: RawSample = serde_json::from_str(&text).unwrap();
            let p = Proc {
                iters: raw.iters,
                times: raw.times,
            };
            match by_run[k].iter_mut().find(|(n, _)| *n == name) {
                Some((_, procs)) => procs.push(p),
                None => by_run[k].push((name, vec![p])),
            }
        }
    }
    let [r1, mut r2] = by_run;
    r1.into_iter()
        .map(|(name, a)| {
            let b = r2
                .iter()
                .position(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{name} missing from run2"));
            let (_, b) = r2.swap_remove(b);
            assert!(
                a.len() >= N && b.len() >= N,
                "{name}: fewer than {N} processes a run"
            );
            Recorded { name, runs: [a, b] }
        })
        .collect()
}

/// Writes one side of a simulated suite in a format and reads it back.
type Reader = fn(&[Drawn]) -> Vec<Samples>;

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// `k` distinct indices of `0..n` (partial Fisher-Yates).
    fn choose(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + self.below(n - i);
            v.swap(i, j);
        }
        v.truncate(k);
        v
    }
}

/// One side of one simulated benchmark: the drawn processes (times already scaled).
struct Drawn {
    name: String,
    procs: Vec<Proc>,
}

impl Drawn {
    /// One value per process: its median per-iteration time (`Samples::per_run`).
    fn per_run(&self) -> Samples {
        let runs: Vec<Samples> = self
            .procs
            .iter()
            .map(|p| {
                let t = p.iters.iter().zip(&p.times).map(|(n, t)| t / n).collect();
                Samples::new(self.name.clone(), t).unwrap()
            })
            .collect();
        Samples::per_run(self.name.clone(), &runs).unwrap()
    }
}

fn draw_suite(
    rec: &[Recorded],
    rng: &mut SplitMix,
    inject: Option<usize>,
) -> (Vec<Drawn>, Vec<Drawn>) {
    let (mut old, mut new) = (Vec::new(), Vec::new());
    for i in 0..BENCHMARKS {
        let r = &rec[i % rec.len()];
        let flip = rng.next() & 1 == 1;
        let (a, b) = if flip {
            (&r.runs[1], &r.runs[0])
        } else {
            (&r.runs[0], &r.runs[1])
        };
        let name = format!("{}#{i}", r.name);
        let pick = |run: &[Proc], rng: &mut SplitMix, factor: f64| Drawn {
            name: name.clone(),
            procs: rng
                .choose(run.len(), N)
                .into_iter()
                .map(|k| Proc {
                    iters: run[k].iters.clone(),
                    times: run[k].times.iter().map(|t| t * factor).collect(),
                })
                .collect(),
        };
        old.push(pick(a, rng, 1.0));
        let f = if inject == Some(i) { SLOWDOWN } else { 1.0 };
        new.push(pick(b, rng, f));
    }
    (old, new)
}

/// Criterion: each drawn process's `sample.json` through the reader, one value per run.
fn as_criterion(side: &[Drawn]) -> Vec<Samples> {
    side.iter()
        .map(|d| {
            let runs: Vec<Samples> = d
                .procs
                .iter()
                .map(|p| {
                    let json = serde_json::json!(
                        {"sampling_mode": "Linear", "iters": p.iters, "times": p.times})
                    .to_string();
                    read_sample_json("sample.json", &d.name, &json, &ReadLimits::new()).unwrap()
                })
                .collect();
            Samples::per_run(d.name.clone(), &runs).unwrap()
        })
        .collect()
}

/// Google Benchmark: one repetition per drawn process (its median per-iteration time).
fn as_google(side: &[Drawn]) -> Vec<Samples> {
    let mut runs = Vec::new();
    for d in side {
        let t = d.per_run();
        let t = t.times_ns();
        for (k, (x, p)) in t.iter().zip(&d.procs).enumerate() {
            let iterations: f64 = p.iters.iter().sum();
            runs.push(serde_json::json!({
                "name": d.name, "run_name": d.name, "run_type": "iteration",
                "repetitions": N, "repetition_index": k, "threads": 1,
                "iterations": iterations.round() as u64, "real_time": x, "cpu_time": x,
                "time_unit": "ns"}));
        }
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        for agg in ["mean", "median", "stddev", "cv"] {
            runs.push(serde_json::json!({
                "name": format!("{}_{agg}", d.name), "run_name": d.name, "run_type": "aggregate",
                "aggregate_name": agg, "repetitions": N, "iterations": N,
                "real_time": mean, "cpu_time": mean, "time_unit": "ns"}));
        }
    }
    let json = serde_json::json!({"context": {"num_cpus": 2}, "benchmarks": runs}).to_string();
    read_google_benchmark("out.json", &json, &ReadLimits::new()).unwrap()
}

/// Go's `testing` rounding of ns/op (`prettyPrint` in `testing/benchmark.go`).
fn go_ns(x: f64) -> String {
    let y = x.abs();
    if y == 0.0 || y >= 999.95 {
        format!("{x:.0}")
    } else if y >= 99.995 {
        format!("{x:.1}")
    } else if y >= 9.9995 {
        format!("{x:.2}")
    } else if y >= 0.99995 {
        format!("{x:.3}")
    } else if y >= 0.099995 {
        format!("{x:.4}")
    } else {
        format!("{x:.5}")
    }
}

/// `go test -bench`: one `-count` line per drawn process (its median per-iteration time).
fn as_go(side: &[Drawn]) -> Vec<Samples> {
    let mut text = String::from("goos: linux\ngoarch: amd64\npkg: example.com/quick\n");
    for d in side {
        let name = d.name.replace('#', "_");
        for (x, p) in d.per_run().times_ns().iter().zip(&d.procs) {
            let iterations: f64 = p.iters.iter().sum();
            let _ = writeln!(
                text,
                "Benchmark{name}-2\t{:>10}\t{:>12} ns/op",
                iterations.round() as u64,
                go_ns(*x)
            );
        }
    }
    text.push_str("PASS\nok  \texample.com/quick\t12.3s\n");
    read_go_bench("old.txt", &text, &ReadLimits::new()).unwrap()
}

fn main() -> ExitCode {
    let rec = load();
    println!(
        "{} recorded benchmarks x 2 runs; {SUITES} suites of {BENCHMARKS} benchmarks, {N} runs (one value each) a side",
        rec.len()
    );
    for r in &rec {
        let med = |run: &[Proc]| {
            let mut v: Vec<f64> = run
                .iter()
                .flat_map(|p| p.iters.iter().zip(&p.times).map(|(n, t)| t / n))
                .collect();
            v.sort_unstable_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (a, b) = (med(&r.runs[0]), med(&r.runs[1]));
        println!(
            "  {:<42} {} + {} processes, pooled median run2/run1 {:+.2}%",
            r.name,
            r.runs[0].len(),
            r.runs[1].len(),
            (b / a - 1.0) * 100.0
        );
    }
    // Runs more than 10% slower than their side's median are left out as disturbed.
    let opts = CompareOptions::new().drop_disturbed(Some(DISTURBED));
    let formats: [(&str, Reader, CompareOptions, bool); 4] = [
        ("criterion", as_criterion, opts, true),
        ("google benchmark", as_google, opts, true),
        ("go test", as_go, opts, true),
        // For information, no goal: every run kept.
        (
            "criterion, all runs",
            as_criterion,
            CompareOptions::new(),
            false,
        ),
    ];
    let mut ok = true;
    println!(
        "\n{:<20} {:>22} {:>28} {:>22}",
        "format", "A/A no regression", "5% slowdown found", "power-run false alarms"
    );
    for (label, conv, opts, goal) in formats {
        let mut rng = SplitMix(20261201);
        let mut clean = 0usize;
        for _ in 0..SUITES {
            let (o, n) = draw_suite(&rec, &mut rng, None);
            let s = compare(&conv(&o), &conv(&n), &opts).unwrap();
            clean += usize::from(!s.has_regression());
        }
        let (mut found, mut false_alarms) = (0usize, 0usize);
        for s_ix in 0..SUITES {
            let inj = s_ix % BENCHMARKS;
            let (o, n) = draw_suite(&rec, &mut rng, Some(inj));
            let s = compare(&conv(&o), &conv(&n), &opts).unwrap();
            found += usize::from(s.benchmarks[inj].verdict == Verdict::Slower);
            false_alarms += s
                .benchmarks
                .iter()
                .enumerate()
                .filter(|(k, b)| *k != inj && b.verdict == Verdict::Slower)
                .count();
        }
        let aa = clean as f64 / SUITES as f64;
        let power = found as f64 / SUITES as f64;
        let pass = aa >= AA_GOAL && power >= POWER_GOAL;
        if goal {
            ok &= pass;
        }
        println!(
            "{label:<20} {:>15.1}% (>= {:.0}%) {:>20.1}% (>= {:.0}%) {:>14} in {SUITES}  {}",
            aa * 100.0,
            AA_GOAL * 100.0,
            power * 100.0,
            POWER_GOAL * 100.0,
            false_alarms,
            match (goal, pass) {
                (false, _) => "(no goal)",
                (true, true) => "ok",
                (true, false) => "MISSED",
            }
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        println!("a goal was missed");
        ExitCode::from(1)
    }
}
