"""Reference timings for the rank-test benchmarks in `benches/stats/rank_tests.rs`.

Prints `<criterion id>\t<scipy|R>\t<seconds>` (the median of several runs) for:

- `mann_whitney/asymptotic/n=1000000`: scipy.stats.mannwhitneyu(x, y, method="asymptotic"),
  n = m = 1e6 uniform floats.
- `mann_whitney/exact/n=200`: scipy.stats.mannwhitneyu(x, y, method="exact"), n = m = 200,
  cold: each run in a fresh interpreter, so scipy's cached null distribution is not reused
  (only the call is timed, not the import).

The data are the benches' own (same generator, seeds and offsets).
- `hodges_lehmann/interval/n=10000`: R wilcox.test(x, y, conf.int = TRUE, exact = FALSE),
  n = m = 1e4, timed inside R with system.time (Rscript start-up excluded).

Run right after `cargo bench --bench stats -- 'mann_whitney|baseline|hodges'` on the same
machine; the ratio is reference seconds / criterion median.
"""
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np
from scipy import stats

REPEATS = 5


def uniform(n, seed, offset):
    """The benches' generator (`uniform` in benches/stats/rank_tests.rs): splitmix64, the top 53
    bits scaled to [0, 1), plus `offset`. Same seeds, so scipy and R see the very same data."""
    m64 = (1 << 64) - 1
    s = np.uint64(seed)
    idx = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = s + idx * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    del m64
    return offset + (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _median(xs):
    return statistics.median(xs)


def mw_asymptotic():
    y = uniform(1_000_000, 1, 0.0)  # baseline
    x = uniform(1_000_000, 2, 0.001)  # canary
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        stats.mannwhitneyu(x, y, method="asymptotic")
        times.append(time.perf_counter() - t)
    return _median(times)


COLD_EXACT = r"""
import sys, time
sys.path.insert(0, %r)
from scipy import stats
from timings_rank import uniform
y = uniform(200, 3, 0.0)
x = uniform(200, 4, 0.05)
t = time.perf_counter()
stats.mannwhitneyu(x, y, method="exact")
print(time.perf_counter() - t)
"""


def mw_exact_cold():
    times = []
    here = str(pathlib.Path(__file__).resolve().parent)
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", COLD_EXACT % here], check=True,
                             capture_output=True, text=True).stdout
        times.append(float(out.strip()))
    return _median(times)


R_HL = r"""
d <- read.table(file("stdin"))
x <- d$V1  # canary
y <- d$V2  # baseline
t <- replicate(%d, system.time(wilcox.test(x, y, conf.int = TRUE, exact = FALSE))[["elapsed"]])
cat(median(t), "\n")
"""


def hl_interval_r():
    y = uniform(10_000, 5, 0.0)
    x = uniform(10_000, 6, 0.01)
    data = "\n".join(f"{a!r} {b!r}" for a, b in zip(x.tolist(), y.tolist()))
    out = subprocess.run(["Rscript", "-e", R_HL % REPEATS], check=True, input=data,
                         capture_output=True, text=True).stdout
    return float(out.split()[-1])


def main() -> None:
    print(f"mann_whitney/asymptotic/n=1000000\tscipy\t{mw_asymptotic():.6g}", flush=True)
    print(f"mann_whitney/exact/n=200\tscipy\t{mw_exact_cold():.6g}", flush=True)
    print(f"hodges_lehmann/interval/n=10000\tR\t{hl_interval_r():.6g}", flush=True)


if __name__ == "__main__":
    main()
