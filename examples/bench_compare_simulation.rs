//! A/A and power simulation of benchmark-suite comparison (`canary_analysis::bench`), from real
//! samples: `fixtures/bench_compare/recorded/{run1,run2}` holds criterion's `sample.json` of two
//! runs of the same build of `benches/quick.rs` on the development machine (recorded by
//! `MEASURE_SECONDS=4 fixtures/bench_compare/record.sh`, 100 samples per benchmark, with whatever outliers the
//! machine produced).
//!
//! Each simulated suite has 50 benchmarks; benchmark `i` takes the recorded benchmark
//! `i mod K` and draws 20 samples without replacement from one run for "old" and 20 from the
//! other run for "new" (which run is old is a coin flip per benchmark), so run-to-run drift of
//! the machine is in the data. Every suite is written out in each input format and read back
//! through the library's readers: criterion `sample.json` (the drawn `iters`/`times` pairs),
//! Google Benchmark JSON (20 repetitions plus the `_mean/_median/_stddev/_cv` aggregates that
//! must be skipped) and `go test -bench` text (`-count=20`, `ns/op` printed with Go's rounding).
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
const AA_GOAL: f64 = 0.95;
const POWER_GOAL: f64 = 0.90;

/// One recorded benchmark run: criterion's raw `(iters, times)` per sample.
struct Run {
    iters: Vec<f64>,
    times: Vec<f64>,
}

struct Recorded {
    name: String,
    runs: [Run; 2],
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

fn load() -> Vec<Recorded> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench_compare/recorded");
    let limits = ReadLimits::new();
    let mut by_run: [Vec<(String, Run)>; 2] = [Vec::new(), Vec::new()];
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
            by_run[k].push((
                name,
                Run {
                    iters: raw.iters,
                    times: raw.times,
                },
            ));
        }
    }
    let [r1, r2] = by_run;
    r1.into_iter()
        .map(|(name, a)| {
            let b = r2
                .iter()
                .position(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{name} missing from run2"));
            let (_, b) = &r2[b];
            Recorded {
                name,
                runs: [
                    a,
                    Run {
                        iters: b.iters.clone(),
                        times: b.times.clone(),
                    },
                ],
            }
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

/// One side of one simulated benchmark: the drawn `(iters, times)` pairs.
struct Drawn {
    name: String,
    iters: Vec<f64>,
    times: Vec<f64>,
}

impl Drawn {
    fn per_iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.iters.iter().zip(&self.times).map(|(n, t)| t / n)
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
        let pick = |run: &Run, rng: &mut SplitMix, factor: f64| {
            let ix = rng.choose(run.iters.len(), N);
            Drawn {
                name: name.clone(),
                iters: ix.iter().map(|&k| run.iters[k]).collect(),
                times: ix.iter().map(|&k| run.times[k] * factor).collect(),
            }
        };
        old.push(pick(a, rng, 1.0));
        let f = if inject == Some(i) { SLOWDOWN } else { 1.0 };
        new.push(pick(b, rng, f));
    }
    (old, new)
}

fn as_criterion(side: &[Drawn]) -> Vec<Samples> {
    side.iter()
        .map(|d| {
            let json =
                serde_json::json!({"sampling_mode": "Linear", "iters": d.iters, "times": d.times})
                    .to_string();
            read_sample_json("sample.json", &d.name, &json, &ReadLimits::new()).unwrap()
        })
        .collect()
}

fn as_google(side: &[Drawn]) -> Vec<Samples> {
    let mut runs = Vec::new();
    for d in side {
        let t: Vec<f64> = d.per_iter().collect();
        for (k, (x, n)) in t.iter().zip(&d.iters).enumerate() {
            runs.push(serde_json::json!({
                "name": d.name, "run_name": d.name, "run_type": "iteration",
                "repetitions": N, "repetition_index": k, "threads": 1,
                "iterations": n.round() as u64, "real_time": x, "cpu_time": x, "time_unit": "ns"}));
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

fn as_go(side: &[Drawn]) -> Vec<Samples> {
    let mut text = String::from("goos: linux\ngoarch: amd64\npkg: example.com/quick\n");
    // -count=20 runs each benchmark 20 times in a row.
    for d in side {
        for (x, n) in d.per_iter().zip(&d.iters) {
            let name = d.name.replace('#', "_");
            let _ = writeln!(
                text,
                "Benchmark{name}-2\t{:>10}\t{:>12} ns/op",
                n.round() as u64,
                go_ns(x)
            );
        }
    }
    text.push_str("PASS\nok  \texample.com/quick\t12.3s\n");
    read_go_bench("old.txt", &text, &ReadLimits::new()).unwrap()
}

fn main() -> ExitCode {
    let rec = load();
    println!(
        "{} recorded benchmarks x 2 runs; {SUITES} suites of {BENCHMARKS} benchmarks, {N} samples a side",
        rec.len()
    );
    for r in &rec {
        let med = |run: &Run| {
            let mut v: Vec<f64> = run
                .iters
                .iter()
                .zip(&run.times)
                .map(|(n, t)| t / n)
                .collect();
            v.sort_unstable_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (a, b) = (med(&r.runs[0]), med(&r.runs[1]));
        println!(
            "  {:<42} median run2/run1 {:+.2}%",
            r.name,
            (b / a - 1.0) * 100.0
        );
    }
    let opts = CompareOptions::new();
    let formats: [(&str, Reader); 3] = [
        ("criterion", as_criterion),
        ("google benchmark", as_google),
        ("go test", as_go),
    ];
    let mut ok = true;
    println!(
        "\n{:<18} {:>22} {:>28} {:>22}",
        "format", "A/A no regression", "5% slowdown found", "power-run false alarms"
    );
    for (label, conv) in formats {
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
        ok &= pass;
        println!(
            "{label:<18} {:>15.1}% (>= {:.0}%) {:>20.1}% (>= {:.0}%) {:>14} in {SUITES}  {}",
            aa * 100.0,
            AA_GOAL * 100.0,
            power * 100.0,
            POWER_GOAL * 100.0,
            false_alarms,
            if pass { "ok" } else { "MISSED" }
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        println!("a goal was missed");
        ExitCode::from(1)
    }
}
