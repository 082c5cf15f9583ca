"""Reference timings for the rank-test benchmarks in `benches/stats/rank_tests.rs`.

Prints `<criterion id>\t<scipy|R>\t<seconds>` (the median of several runs) for:

- `mann_whitney/asymptotic/n=1000000`: scipy.stats.mannwhitneyu(x, y, method="asymptotic"),
  n = m = 1e6 uniform floats.
- `mann_whitney/exact/n=200`: scipy.stats.mannwhitneyu(x, y, method="exact"), n = m = 200,
  cold: each run in a fresh interpreter, so scipy's cached null distribution is not reused
  (only the call is timed, not the import).
- `hodges_lehmann/interval/n=10000`: R wilcox.test(x, y, conf.int = TRUE, exact = FALSE),
  n = m = 1e4, timed inside R with system.time (Rscript start-up excluded).

Run right after `cargo bench --bench stats -- 'mann_whitney|baseline|hodges'` on the same
machine; the ratio is reference seconds / criterion median.
"""
import statistics
import subprocess
import sys
import time

import numpy as np
from scipy import stats

REPEATS = 5


def _median(xs):
    return statistics.median(xs)


def mw_asymptotic():
    rng = np.random.default_rng(1)
    x = rng.random(1_000_000)
    y = rng.random(1_000_000) + 0.001
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        stats.mannwhitneyu(x, y, method="asymptotic")
        times.append(time.perf_counter() - t)
    return _median(times)


COLD_EXACT = r"""
import time
import numpy as np
from scipy import stats
rng = np.random.default_rng(%d)
x = rng.random(200)
y = rng.random(200) + 0.05
t = time.perf_counter()
stats.mannwhitneyu(x, y, method="exact")
print(time.perf_counter() - t)
"""


def mw_exact_cold():
    times = []
    for seed in range(3):
        out = subprocess.run([sys.executable, "-c", COLD_EXACT % seed], check=True,
                             capture_output=True, text=True).stdout
        times.append(float(out.strip()))
    return _median(times)


R_HL = r"""
set.seed(1)
x <- runif(1e4) + 0.01
y <- runif(1e4)
t <- replicate(%d, system.time(wilcox.test(x, y, conf.int = TRUE, exact = FALSE))[["elapsed"]])
cat(median(t), "\n")
"""


def hl_interval_r():
    out = subprocess.run(["Rscript", "-e", R_HL % REPEATS], check=True,
                         capture_output=True, text=True).stdout
    return float(out.split()[-1])


def main() -> None:
    print(f"mann_whitney/asymptotic/n=1000000\tscipy\t{mw_asymptotic():.6g}", flush=True)
    print(f"mann_whitney/exact/n=200\tscipy\t{mw_exact_cold():.6g}", flush=True)
    print(f"hodges_lehmann/interval/n=10000\tR\t{hl_interval_r():.6g}", flush=True)


if __name__ == "__main__":
    main()
