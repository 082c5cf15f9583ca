//! Walkthrough: did the canary's latency rise, and by how much? Bootstrap intervals on the
//! difference of mean latencies and on the ratio of p99 latencies, canary relative to baseline.
//!
//! Run: `cargo run --release --example bootstrap_latency [mean-percentile|mean-bca|p99-ratio] [n] [B]`
//! (default: all three, n = 10000 per sample, B = 10000: the sizes of the criterion benches,
//! used to measure peak memory with `/usr/bin/time -v`).
use canary_analysis::stats::bootstrap::{
    BootstrapOptions, Comparison, IntervalMethod, Statistic, bootstrap_two_sample,
};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Lognormal latencies in ms (median `median`, log-sd `sigma`).
fn latencies(seed: u64, n: usize, median: f64, sigma: f64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut unit = || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    (0..n)
        .map(|_| {
            let z = (-2.0 * unit().ln()).sqrt() * (std::f64::consts::TAU * unit()).cos();
            median * (sigma * z).exp()
        })
        .collect()
}

fn main() -> Result<(), canary_analysis::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("all", String::as_str);
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let b: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);

    let baseline = latencies(1, n, 100.0, 0.8);
    let canary = latencies(2, n, 105.0, 0.8);
    println!("baseline: {n} lognormal latencies (median 100 ms); canary: {n} (median 105 ms)");

    let opts = BootstrapOptions::new().resamples(b).seed(7);
    let cases = [
        (
            "mean-percentile",
            Statistic::Mean,
            Comparison::Difference,
            IntervalMethod::Percentile,
        ),
        (
            "mean-bca",
            Statistic::Mean,
            Comparison::Difference,
            IntervalMethod::Bca,
        ),
        (
            "p99-ratio",
            Statistic::Quantile(0.99),
            Comparison::Ratio,
            IntervalMethod::Percentile,
        ),
    ];
    for (name, stat, cmp, method) in cases {
        if which != "all" && which != name {
            continue;
        }
        let start = std::time::Instant::now();
        let r = bootstrap_two_sample(&baseline, &canary, stat, cmp, &opts.clone().method(method))?;
        println!(
            "{name:>16}: estimate {:.4}, 95% interval [{:.4}, {:.4}], standard error {:.4} \
             ({b} resamples, seed {}, {:.3} s)",
            r.estimate,
            r.lower,
            r.upper,
            r.standard_error,
            r.seed,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
