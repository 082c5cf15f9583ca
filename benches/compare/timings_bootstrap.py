#!/usr/bin/env python3
"""scipy.stats.bootstrap on the sizes of `benches/stats/bootstrap.rs` (n = 10^4 per sample,
B = 10^4, lognormal latencies), vectorized statistics, default batch (the whole B x n matrix).

`main()` prints one line per criterion id:
    <criterion id>\tscipy.stats.bootstrap\t<seconds>\tpeak_rss_mib=<MiB>
Each case runs in a fresh interpreter (`python3 timings_bootstrap.py --case ID`) so that the
peak resident set size (getrusage ru_maxrss, which includes the ~100 MiB of python + numpy +
scipy) belongs to that case alone; the time is the median of REPEATS calls, after one warm-up.
Usage: python3 benches/compare/timings_bootstrap.py   (or via reference_timings.py bootstrap)
"""
import resource
import statistics
import subprocess
import sys
import time

N = 10_000
B = 10_000
REPEATS = 3
CASES = [
    "bootstrap/mean_difference/percentile/n=10000,B=10000",
    "bootstrap/mean_difference/bca/n=10000,B=10000",
    "bootstrap/p99_ratio/percentile/n=10000,B=10000",
]


def run_case(case_id: str) -> None:
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(1)
    baseline = 100.0 * np.exp(0.8 * rng.standard_normal(N))
    canary = 105.0 * np.exp(0.8 * rng.standard_normal(N))
    # scipy's data order (x, y) = (canary, baseline): the effect is canary relative to baseline

    def mean_difference(x, y, axis=-1):
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    def p99_ratio(x, y, axis=-1):
        return np.quantile(x, 0.99, axis=axis) / np.quantile(y, 0.99, axis=axis)

    statistic, method = {
        CASES[0]: (mean_difference, "percentile"),
        CASES[1]: (mean_difference, "BCa"),
        CASES[2]: (p99_ratio, "percentile"),
    }[case_id]

    def once(seed):
        return stats.bootstrap((canary, baseline), statistic, n_resamples=B, method=method,
                               vectorized=True, rng=np.random.default_rng(seed))

    res = once(0)  # warm-up, and a sanity check
    lo, hi = res.confidence_interval
    assert lo < statistic(canary, baseline) < hi, (lo, hi)
    times = []
    for k in range(REPEATS):
        t = time.perf_counter()
        once(k + 1)
        times.append(time.perf_counter() - t)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{case_id}\tscipy.stats.bootstrap\t{statistics.median(times):.4f}\t"
          f"peak_rss_mib={peak_mib:.0f}", flush=True)


def main() -> None:
    for case_id in CASES:
        subprocess.run([sys.executable, __file__, "--case", case_id], check=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        run_case(sys.argv[2])
    else:
        main()
