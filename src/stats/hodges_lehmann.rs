//! Hodges-Lehmann shift estimate and confidence interval of the canary relative to the baseline.
//!
//! # Definitions
//! The shift is `canary - baseline`. `d_(k)` is the `k`-th smallest of the `n_c n_b` pairwise
//! differences `canary_i - baseline_j` (each computed in `f64`), `W` the Mann-Whitney `U` of the
//! canary, `alpha = 1 - confidence`, and under the null without ties `pwilcox(q) = P(W <= q)`,
//! `qwilcox(p)` the smallest `q` with `P(W <= q) >= p` (with R's `10 * f64::EPSILON` fuzz).
//!
//! - **Estimate**: the median of the `n_c n_b` differences (the mean of the two middle ones
//!   when `n_c n_b` is even), the classic Hodges-Lehmann (1963) estimator, in every branch.
//! - **Exact interval** ([`Method::Exact`], no ties): two-sided `qu = qwilcox(alpha / 2)` (1 if
//!   0), `[d_(qu), d_(n_c n_b - qu + 1)]`, achieved confidence `1 - 2 pwilcox(qu - 1)`;
//!   [`Alternative::Greater`]: `qu = qwilcox(alpha)` (1 if 0), `[d_(qu), +inf)`;
//!   [`Alternative::Less`]: the same `qu`, `(-inf, d_(n_c n_b - qu + 1)]`; one-sided achieved
//!   confidence `1 - pwilcox(qu - 1)`. When the requested confidence cannot be reached,
//!   `achieved_confidence` says so.
//! - **Normal interval** ([`Method::Asymptotic`], or ties): for a shift `d`, pool
//!   `{canary_i - d}` with the baseline, `W(d)` its Mann-Whitney `U`, `dz = W(d) - n_c n_b / 2`,
//!   `s(d)` the tie-corrected standard deviation from the ties of that pooled sample, correction
//!   `c = 0.5 sign(dz)` two-sided, `+0.5` greater, `-0.5` less (0 without continuity), and
//!   `f(d) = (dz - c) / s(d) - zq`. `f` is a non-increasing step function of `d` that jumps only
//!   at pairwise differences. Two-sided: the lower end solves `f = 0` for `zq = z_{1-alpha/2}`,
//!   the upper end for `zq = -z_{1-alpha/2}`; greater: lower end with `zq = z_{1-alpha}`; less:
//!   upper end with `zq = -z_{1-alpha}`. If `f(d_(1)) <= 0` the end is `d_(1)`; if
//!   `f(d_(nm)) >= 0` it is `d_(nm)`; otherwise it is the pairwise difference at which `f` changes
//!   sign. Between two consecutive distinct differences `W` is the count of larger differences
//!   and `s` involves only the within-sample ties, so the sign change is at `d_(c*)` for the
//!   smallest count `c*` whose interval value is `<= 0`: found by integer search, then selected.
//!   This is R's `wilcox.test(canary, baseline, conf.int = TRUE, exact = FALSE)` interval with
//!   its root located exactly instead of to `tol.root`. All observations tied at a needed `d`
//!   (`s = 0`) is an [`Error::Degenerate`].
//! - [`Method::Auto`]: exact when there are no ties and `n_c n_b <= 100_000`, else normal (the
//!   rule of [`mann_whitney`](crate::stats::mann_whitney)).
//!
//! # Algorithm
//! No branch materializes the `n_c n_b` differences. Both samples are sorted; the differences
//! form an implicit matrix whose rows and columns are sorted, and an order statistic is selected
//! from it in the manner of Johnson and Mizoguchi (1978) and Monahan (1984): per-row bounds of the
//! remaining candidates, pivots drawn from a deterministic pseudo-random sample of the candidates
//! (two pivots bracketing the target rank, as in Floyd and Rivest 1975), counting by a two-pointer
//! sweep in `O(n_c + n_b)`, until few enough candidates remain to select directly. Expected time
//! `O((n_c + n_b) log(n_c + n_b))`, memory `O(n_c + n_b)`, deterministic.
//!
//! # References
//! - J. L. Hodges and E. L. Lehmann (1963), Estimates of location based on rank tests,
//!   Ann. Math. Statist. 34(2).
//! - D. B. Johnson and T. Mizoguchi (1978), Selecting the Kth element in X + Y and
//!   X1 + X2 + ... + Xm, SIAM J. Comput. 7(2).
//! - J. F. Monahan (1984), Algorithm 616: fast computation of the Hodges-Lehmann location
//!   estimator, ACM TOMS 10(3).
//! - R `wilcox.test` (stats package); Bauer (1972), Constructing confidence sets using rank
//!   statistics, JASA 67.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::mann_whitney::{AUTO_EXACT_MAX_PAIRS, NullDistribution, u_sd};
use crate::stats::normal::quantile as normal_quantile;
use crate::stats::rank::{join, rank_sum_shifted, sorted_pair, tie_term_sorted};
use crate::stats::{Alternative, Method, check_confidence};

/// Options of [`hodges_lehmann`] (jiff style: `Default`, `new()`, by-value setters, validated
/// when used).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HodgesLehmannOptions {
    alternative: Alternative,
    confidence: f64,
    method: Method,
    continuity: bool,
}

impl Default for HodgesLehmannOptions {
    fn default() -> Self {
        HodgesLehmannOptions {
            alternative: Alternative::TwoSided,
            confidence: 0.95,
            method: Method::Auto,
            continuity: true,
        }
    }
}

impl HodgesLehmannOptions {
    /// Two-sided 95% interval, [`Method::Auto`], with continuity correction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Two-sided (default), or a one-sided bound: `Greater` gives `[lower, +inf)`, `Less`
    /// gives `(-inf, upper]`.
    pub fn alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }

    /// The confidence level, strictly between 0 and 1 (default 0.95).
    pub fn confidence(mut self, confidence: f64) -> Self {
        self.confidence = confidence;
        self
    }

    /// Exact, asymptotic (normal) or auto (default).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Continuity correction of the normal interval (default `true`).
    pub fn continuity(mut self, continuity: bool) -> Self {
        self.continuity = continuity;
        self
    }
}

/// The result of [`hodges_lehmann`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HodgesLehmann {
    /// Median of the `n_c n_b` differences `canary_i - baseline_j`.
    pub estimate: f64,
    /// Lower end of the interval (`-inf` for [`Alternative::Less`]).
    pub lower: f64,
    /// Upper end of the interval (`+inf` for [`Alternative::Greater`]).
    pub upper: f64,
    /// The requested confidence level.
    pub confidence: f64,
    /// For the exact interval, the confidence it actually has (the exact distribution is
    /// discrete); `None` for the normal interval.
    pub achieved_confidence: Option<f64>,
    /// The side(s) of the interval.
    pub alternative: Alternative,
    /// The method used: [`Method::Exact`] or [`Method::Asymptotic`].
    pub method: Method,
    /// Whether the continuity correction was applied (always `false` for the exact interval).
    pub continuity: bool,
    /// Number of baseline observations.
    pub n_baseline: usize,
    /// Number of canary observations.
    pub n_canary: usize,
}

/// The Hodges-Lehmann shift (canary - baseline) and its confidence interval.
///
/// See the [module docs](self) for the exact definitions and the algorithm.
///
/// # Errors
/// - [`Error::InvalidSample`] if a sample is empty or holds NaN or an infinity.
/// - [`Error::InvalidParameter`] if the confidence is not strictly between 0 and 1, or
///   [`Method::Exact`] is requested on tied data.
/// - [`Error::Degenerate`] if the normal interval needs a shift at which all observations are
///   tied.
///
/// # Example
/// ```
/// use canary_analysis::stats::hodges_lehmann::{hodges_lehmann, HodgesLehmannOptions};
/// use canary_analysis::stats::Method;
/// let baseline = [10.0, 11.0, 12.0, 13.0, 14.0];
/// let canary = [12.5, 13.5, 14.5, 15.5, 16.5];
/// let r = hodges_lehmann(&baseline, &canary, &HodgesLehmannOptions::new())?;
/// assert_eq!(r.estimate, 2.5);
/// assert_eq!(r.method, Method::Exact);
/// assert!(r.lower < 2.5 && 2.5 < r.upper);
/// assert!(r.achieved_confidence.unwrap() >= 0.95);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn hodges_lehmann(
    baseline: &[f64],
    canary: &[f64],
    opts: &HodgesLehmannOptions,
) -> Result<HodgesLehmann> {
    check_confidence(opts.confidence)?;
    let (b, c) = sorted_pair(baseline, canary)?;
    let d = Differences::new(&c, &b);
    let (n_c, n_b) = (c.len(), b.len());
    let nm = n_c as u64 * n_b as u64;
    let has_ties = d.has_cross_or_within_ties();
    let method = match opts.method {
        Method::Exact => {
            if has_ties {
                return Err(Error::param(
                    "method",
                    "exact",
                    "the exact interval assumes no ties, and the data have ties; use the \
                     asymptotic method",
                ));
            }
            Method::Exact
        }
        Method::Asymptotic => Method::Asymptotic,
        _ => {
            if !has_ties && nm <= AUTO_EXACT_MAX_PAIRS {
                Method::Exact
            } else {
                Method::Asymptotic
            }
        }
    };
    let alpha = 1.0 - opts.confidence;
    // The estimate and the ends are independent selections: run them concurrently (with the
    // `parallel` feature) on large samples; the results do not depend on it.
    let large = n_c + n_b >= 1 << 12;
    let (estimate, interval) = join(
        large,
        || d.median(),
        || -> Result<(f64, f64, Option<f64>, bool)> {
            if method == Method::Exact {
                let (lo, hi, ach) = exact_interval(&d, opts.alternative, alpha)?;
                return Ok((lo, hi, Some(ach), false));
            }
            let cc = if opts.continuity { 0.5 } else { 0.0 };
            let (lo, hi) = match opts.alternative {
                Alternative::Greater => (
                    normal_end(&d, -normal_quantile(alpha), cc, false)?,
                    f64::INFINITY,
                ),
                Alternative::Less => (
                    f64::NEG_INFINITY,
                    normal_end(&d, normal_quantile(alpha), -cc, false)?,
                ),
                _ => {
                    let z = -normal_quantile(alpha / 2.0);
                    let (lo, hi) = join(
                        large,
                        || normal_end(&d, z, cc, true),
                        || normal_end(&d, -z, cc, true),
                    );
                    (lo?, hi?)
                }
            };
            Ok((lo, hi, None, opts.continuity))
        },
    );
    let (lower, upper, achieved, continuity) = interval?;
    Ok(HodgesLehmann {
        estimate,
        lower,
        upper,
        confidence: opts.confidence,
        achieved_confidence: achieved,
        alternative: opts.alternative,
        method,
        continuity,
        n_baseline: n_b,
        n_canary: n_c,
    })
}

/// R's `qwilcox(p)`: the smallest `q` with `P(W <= q) >= p` (fuzzed by `10 eps`).
fn qwilcox(n_x: usize, n_y: usize, p: f64) -> Result<(u64, NullDistribution)> {
    let nm = n_x as u64 * n_y as u64;
    let half = nm / 2;
    // Estimate how far the table must reach from the normal approximation, with a wide margin;
    // fall back to the whole lower half if that was not enough.
    let sd = u_sd(n_x, n_y, 0.0);
    let mu = nm as f64 / 2.0;
    let z = normal_quantile(p.min(1.0 - p).max(1e-300));
    let est = (mu + z * sd + 10.0 * sd + 16.0).max(0.0);
    let mut k_max = (est.ceil() as u64).min(half);
    loop {
        let dist = NullDistribution::new(n_x, n_y, k_max)?;
        if p <= 0.5 {
            let x = p - 10.0 * f64::EPSILON;
            // cdf is non-decreasing: binary search the smallest q <= k_max with cdf(q) >= x.
            if dist.cdf_unchecked(k_max) >= x {
                let q = partition_point(k_max + 1, |q| dist.cdf_unchecked(q) < x);
                dist.cdf(q)?;
                return Ok((q, dist));
            }
        } else {
            let x = 1.0 - p + 10.0 * f64::EPSILON;
            if dist.cdf_unchecked(k_max) > x {
                let q = partition_point(k_max + 1, |q| dist.cdf_unchecked(q) <= x);
                dist.cdf(q)?;
                return Ok((nm - q, dist));
            }
        }
        if k_max >= half {
            // P(W <= nm/2) >= 1/2 always, so this is unreachable for p <= 1/2; for p > 1/2
            // the answer lies in the upper half, found via the symmetric lower half above.
            return Err(Error::param(
                "confidence",
                p,
                "no quantile of the exact distribution reaches this level",
            ));
        }
        k_max = half;
    }
}

/// Smallest `q` in `0..len` for which `pred(q)` is false (`pred` true then false), or `len`.
fn partition_point(len: u64, pred: impl Fn(u64) -> bool) -> u64 {
    let (mut lo, mut hi) = (0u64, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// `P(W <= q)` for any `0 <= q`, through a table reaching `q` or its mirror.
fn pwilcox(n_x: usize, n_y: usize, dist: &NullDistribution, q: u64) -> Result<f64> {
    let nm = n_x as u64 * n_y as u64;
    if q >= nm {
        return Ok(1.0);
    }
    if q <= dist.k_max() {
        return dist.cdf(q);
    }
    if 2 * q >= nm {
        // P(W <= q) = 1 - P(W >= q + 1) = 1 - P(W <= nm - q - 1).
        let k = nm - q - 1;
        if k <= dist.k_max() {
            return Ok(1.0 - dist.cdf(k)?);
        }
        return Ok(1.0 - NullDistribution::new(n_x, n_y, k)?.cdf(k)?);
    }
    NullDistribution::new(n_x, n_y, q)?.cdf(q)
}

fn exact_interval(
    d: &Differences<'_>,
    alternative: Alternative,
    alpha: f64,
) -> Result<(f64, f64, f64)> {
    let (n_x, n_y) = (d.x.len(), d.y.len());
    let nm = n_x as u64 * n_y as u64;
    let two = matches!(alternative, Alternative::TwoSided);
    let level = if two { alpha / 2.0 } else { alpha };
    let (mut qu, dist) = qwilcox(n_x, n_y, level)?;
    if qu == 0 {
        qu = 1;
    }
    let tail = pwilcox(n_x, n_y, &dist, qu - 1)?;
    let upper_rank = (nm + 1).saturating_sub(qu).max(1);
    Ok(match alternative {
        Alternative::Greater => (d.select(qu), f64::INFINITY, 1.0 - tail),
        Alternative::Less => (f64::NEG_INFINITY, d.select(upper_rank), 1.0 - tail),
        _ => (d.select(qu), d.select(upper_rank), 1.0 - 2.0 * tail),
    })
}

/// One end of the normal interval for quantile `zq` and continuity correction `cc` (the
/// magnitude for two-sided, the signed value for one-sided).
fn normal_end(d: &Differences<'_>, zq: f64, cc: f64, two_sided: bool) -> Result<f64> {
    let (n_x, n_y) = (d.x.len(), d.y.len());
    let nm = n_x as f64 * n_y as f64;
    let correction = |dz: f64| {
        if two_sided {
            if dz > 0.0 {
                cc
            } else if dz < 0.0 {
                -cc
            } else {
                0.0
            }
        } else {
            cc
        }
    };
    // f at a shift with its own ties, exactly as R evaluates it.
    let f_at = |shift: f64| -> Result<f64> {
        let rs = rank_sum_shifted(d.x, d.y, shift);
        let s = u_sd(n_x, n_y, rs.tie_term);
        if s <= 0.0 || !s.is_finite() {
            return Err(Error::degenerate(
                "Hodges-Lehmann interval",
                format!("all observations are tied at the shift {shift}"),
            ));
        }
        let dz = rs.u_x - nm / 2.0;
        Ok((dz - correction(dz)) / s - zq)
    };
    let dmin = d.x[0] - d.y[n_y - 1];
    let dmax = d.x[n_x - 1] - d.y[0];
    if f_at(dmin)? <= 0.0 {
        return Ok(dmin);
    }
    if f_at(dmax)? >= 0.0 {
        return Ok(dmax);
    }
    // Between consecutive distinct differences, with c differences at or below d, W = nm - c
    // and s has only the within-sample ties.
    let s0 = u_sd(n_x, n_y, tie_term_sorted(d.x) + tie_term_sorted(d.y));
    let g = |c: u64| {
        let dz = (nm - c as f64) - nm / 2.0;
        (dz - correction(dz)) / s0 - zq
    };
    let total = n_x as u64 * n_y as u64;
    // g is non-increasing in c: the smallest c in 1..=nm with g(c) <= 0.
    let c = 1 + partition_point(total, |i| g(i + 1) > 0.0);
    Ok(d.select(c.min(total)))
}

/// The implicit matrix of differences `x_i - y_j` of two sorted samples.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Differences<'a> {
    x: &'a [f64],
    y: &'a [f64],
}

/// Stop narrowing once this many candidates per observation remain, and select directly.
const GATHER_DIVISOR: u64 = 2;

impl<'a> Differences<'a> {
    /// `x` (canary) and `y` (baseline), both sorted ascending and non-empty.
    pub(crate) fn new(x: &'a [f64], y: &'a [f64]) -> Self {
        debug_assert!(!x.is_empty() && !y.is_empty());
        Differences { x, y }
    }

    fn len(&self) -> u64 {
        self.x.len() as u64 * self.y.len() as u64
    }

    /// Whether the pooled sample has ties (within either sample, or across them).
    fn has_cross_or_within_ties(&self) -> bool {
        rank_sum_shifted(self.x, self.y, 0.0).has_ties()
    }

    /// The median of the differences.
    pub(crate) fn median(&self) -> f64 {
        let n = self.len();
        if n % 2 == 1 {
            self.select(n.div_ceil(2))
        } else {
            let a = self.select(n / 2);
            let b = self.next_at_or_above_rank(a, n / 2 + 1);
            (a + b) / 2.0
        }
    }

    /// Entry `t` of row `i` in ascending order: `x_i - y_{m-1-t}`.
    #[inline]
    fn at(&self, i: usize, t: usize) -> f64 {
        self.x[i] - self.y[self.y.len() - 1 - t]
    }

    /// Per row, the number of entries `< p` and `<= p`, via a two-pointer sweep, passed to
    /// `sink(row, lt, le)`; returns the totals.
    fn count2(&self, p: f64, mut sink: impl FnMut(usize, usize, usize)) -> (u64, u64) {
        let m = self.y.len();
        // x_i - y_j is non-increasing in j and non-decreasing in i: the entries of row i that
        // are <= p (< p) are those with j >= j_le (j >= j_lt), and both bounds only grow with i.
        let (mut j_le, mut j_lt) = (0usize, 0usize);
        let (mut lt, mut le) = (0u64, 0u64);
        for (i, &xi) in self.x.iter().enumerate() {
            while j_le < m && xi - self.y[j_le] > p {
                j_le += 1;
            }
            if j_lt < j_le {
                j_lt = j_le;
            }
            while j_lt < m && xi - self.y[j_lt] >= p {
                j_lt += 1;
            }
            sink(i, m - j_lt, m - j_le);
            lt += (m - j_lt) as u64;
            le += (m - j_le) as u64;
        }
        (lt, le)
    }

    /// Given `a = d_(k - 1)`, the `k`-th smallest difference, in `O(n + m)`.
    fn next_at_or_above_rank(&self, a: f64, k: u64) -> f64 {
        let m = self.y.len();
        let mut best = f64::INFINITY;
        let (_, le) = self.count2(a, |i, _, c| {
            if c < m {
                let v = self.at(i, c);
                if v < best {
                    best = v;
                }
            }
        });
        if le >= k { a } else { best }
    }

    /// The `k`-th smallest difference, `1 <= k <= n m`.
    pub(crate) fn select(&self, k: u64) -> f64 {
        let (n, m) = (self.x.len(), self.y.len());
        debug_assert!(k >= 1 && k <= self.len());
        let k = k.clamp(1, self.len());
        let mut lo = vec![0usize; n];
        let mut hi = vec![m; n];
        let mut below = 0u64; // entries known to be below every candidate: sum lo
        let mut cand = self.len();
        let gather = (n + m) as u64 / GATHER_DIVISOR + 256;
        let mut rng = SplitMix64(0x853c_49e6_748f_ea9b ^ k);
        let mut prefix = vec![0u64; n + 1];
        let mut sample: Vec<f64> = Vec::new();
        let mut scratch_lt = vec![0usize; n];
        let mut scratch_le = vec![0usize; n];
        loop {
            if cand <= gather {
                let mut values = Vec::with_capacity(cand as usize);
                for i in 0..n {
                    for t in lo[i]..hi[i] {
                        values.push(self.at(i, t));
                    }
                }
                let r = (k - below - 1) as usize;
                let (_, v, _) = values.select_nth_unstable_by(r, f64::total_cmp);
                return *v;
            }
            // Sample candidates uniformly.
            for i in 0..n {
                prefix[i + 1] = prefix[i] + (hi[i] - lo[i]) as u64;
            }
            let s = ((8.0 * ((n + m) as f64).sqrt()) as usize)
                .clamp(128, 1 << 16)
                .min(cand as usize);
            sample.clear();
            for _ in 0..s {
                let r = rng.below(cand);
                let i = prefix.partition_point(|&p| p <= r) - 1;
                sample.push(self.at(i, lo[i] + (r - prefix[i]) as usize));
            }
            sample.sort_unstable_by(f64::total_cmp);
            // Rank of the target among candidates, mapped into the sample, with a margin of a
            // few standard deviations on each side.
            let frac = (k - below) as f64 / cand as f64;
            let centre = frac * s as f64;
            let margin = 1.5 * (s as f64).sqrt() + 2.0;
            let a = centre - margin;
            let b = centre + margin;
            let p_low = (a >= 0.0).then(|| sample[a as usize]);
            let p_high = ((b as usize) < s).then(|| sample[b as usize]);
            // Narrow from below, then from above; each pivot is a candidate, so every round
            // removes at least one.
            let mut below_low = false;
            if let Some(pl) = p_low {
                let (lt, le) = self.count2(pl, |i, lt_i, le_i| {
                    scratch_lt[i] = lt_i;
                    scratch_le[i] = le_i;
                });
                if k <= lt {
                    below_low = true;
                    for i in 0..n {
                        hi[i] = hi[i].min(scratch_lt[i]);
                    }
                } else if k <= le {
                    return pl;
                } else {
                    for i in 0..n {
                        lo[i] = lo[i].max(scratch_le[i]);
                    }
                }
            }
            if let Some(ph) = p_high.filter(|_| !below_low) {
                let (lt, le) = self.count2(ph, |i, lt_i, le_i| {
                    scratch_lt[i] = lt_i;
                    scratch_le[i] = le_i;
                });
                if k <= lt {
                    for i in 0..n {
                        hi[i] = hi[i].min(scratch_lt[i]);
                    }
                } else if k <= le {
                    return ph;
                } else {
                    for i in 0..n {
                        lo[i] = lo[i].max(scratch_le[i]);
                    }
                }
            }
            for i in 0..n {
                hi[i] = hi[i].max(lo[i]);
            }
            below = lo.iter().map(|&v| v as u64).sum();
            cand = (0..n).map(|i| (hi[i] - lo[i]) as u64).sum();
        }
    }
}

/// A small deterministic generator for pivot sampling (splitmix64).
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_diffs(x: &[f64], y: &[f64]) -> Vec<f64> {
        let mut v: Vec<f64> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| a - b))
            .collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    }

    #[test]
    fn select_matches_sorting_all_differences() {
        let mut rng = SplitMix64(7);
        for (n, m, levels) in [
            (1, 1, 0),
            (3, 7, 0),
            (40, 25, 5),
            (300, 200, 0),
            (250, 400, 30),
        ] {
            let make = |rng: &mut SplitMix64, len: usize| {
                let mut v: Vec<f64> = (0..len)
                    .map(|_| {
                        let r = rng.next() as f64 / u64::MAX as f64;
                        if levels > 0 {
                            (r * levels as f64).floor()
                        } else {
                            r * 100.0 - 30.0
                        }
                    })
                    .collect();
                v.sort_unstable_by(f64::total_cmp);
                v
            };
            let x = make(&mut rng, n);
            let y = make(&mut rng, m);
            let d = Differences::new(&x, &y);
            let all = all_diffs(&x, &y);
            for k in [
                1,
                2,
                all.len() / 3,
                all.len() / 2,
                all.len() / 2 + 1,
                all.len(),
            ] {
                let k = k.clamp(1, all.len());
                assert_eq!(d.select(k as u64), all[k - 1], "n={n} m={m} k={k}");
            }
            let mid = all.len() / 2;
            let med = if all.len() % 2 == 1 {
                all[mid]
            } else {
                (all[mid - 1] + all[mid]) / 2.0
            };
            assert_eq!(d.median(), med);
        }
    }
}
