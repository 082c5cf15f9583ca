//! Mann-Whitney U test (Wilcoxon rank-sum test) of the canary against the baseline.
//!
//! # Definitions
//! The pooled sample is ranked with average ranks for ties (exact floating-point equality,
//! `-0.0 == 0.0`). With `n_c` canary and `n_b` baseline observations and `R_c` the rank sum of
//! the canary,
//!
//! - `u_canary = R_c - n_c (n_c + 1) / 2`: the number of pairs with canary > baseline plus 1/2
//!   per tied pair; `u_baseline = n_c n_b - u_canary`.
//! - [`Alternative::Greater`] (canary stochastically larger): `p = P(U >= u_canary)`;
//!   [`Alternative::Less`]: `p = P(U >= u_baseline)`; [`Alternative::TwoSided`]:
//!   `p = min(1, 2 P(U >= max(u_canary, u_baseline)))`.
//! - **Exact** ([`Method::Exact`]): `U` follows the null distribution of the Mann-Whitney
//!   statistic without ties, whose counts are the coefficients of the Gaussian binomial
//!   `[n_c + n_b choose n_c]_q`. No continuity correction applies. Exact on tied data is an
//!   [`Error::InvalidParameter`]: the exact null assumes no ties.
//! - **Asymptotic** ([`Method::Asymptotic`]): with `N = n_c + n_b`, tie groups of sizes `t`,
//!   `s = sqrt(n_c n_b / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))))` and the `U` of the
//!   alternative as above, `z' = (U - n_c n_b / 2 - 0.5 [continuity]) / s` and `p` is the normal
//!   upper tail of `z'` (doubled and capped at 1 for two-sided). All observations tied (`s = 0`)
//!   is an [`Error::Degenerate`].
//! - [`Method::Auto`]: exact when there are no ties and `n_c n_b <= 100_000` (e.g. 316 vs 316,
//!   50 vs 2000), else asymptotic. The result reports the method used.
//!
//! These are the definitions of `scipy.stats.mannwhitneyu(canary, baseline, use_continuity,
//! alternative, method)` (scipy 1.17), against which `fixtures/reference/mann_whitney/` checks
//! this module, and of R's `wilcox.test(canary, baseline)` statistic `W`.
//!
//! # The exact distribution
//! The counts `G_n[k]` of `U = k` for sample sizes `n <= m` satisfy the recurrence (Harding 1984,
//! "An efficient, minimal-storage procedure for calculating the Mann-Whitney U, generalized
//! Kruskal-Wallis H and Jonckheere-Terpstra statistic distributions")
//! `G_j(q) = G_{j-1}(q) (1 - q^{m+j}) / (1 - q^j)`, `G_0 = 1`, that is
//! `G_j[k] = G_{j-1}[k] - G_{j-1}[k - m - j] + G_j[k - j]`. Only the needed tail `k <= K` with
//! `K = min(u, n m - u)` is computed (by symmetry `P(U >= u) = P(U <= n m - u)`), in `O(n K)`
//! time and `O(K)` memory, `n` the smaller sample. Values are scaled by exact powers of two, so
//! nothing overflows for 1000 vs 1000 (counts near `10^600`) or beyond, and a tail probability
//! that is returned is correct wherever it is representable as a normal `f64`.
//!
//! The recurrence is first run twice in plain `f64` (vectorized), from 1 and from 3 so that every
//! rounding differs; when the two agree to `1e-13` everywhere (small samples, e.g. 200 vs 200)
//! that result is used. Otherwise:
//! the recurrence subtracts, and near the centre of the distribution of large samples the
//! subtraction cancels: rounding errors grow with `n` there (in plain `f64`, a relative error
//! near `1e-11` at 300 vs 300 and of order 1 at 1000 vs 1000 for `|z| < 4`; the far tails stay
//! accurate to a few ulp). So the counts are accumulated in double-double arithmetic (about 106
//! bits) alongside a plain `f64` shadow of the same recurrence: the shadow's deviation measures
//! the amplification, and the double-double error is about `2^-53` of it. A probability is
//! refused with [`Error::InvalidParameter`] (use the asymptotic method) rather than returned
//! wrong when the estimated error exceeds about `1e-12`, when the computed counts stop being
//! finite, non-negative and non-decreasing up to `n m / 2` (the Gaussian binomial coefficients
//! are unimodal and symmetric), or when `P(U <= k) > 1/2` below the centre. Measured: every
//! p-value is returned up to 800 vs 800; at 1000 vs 1000, p-values up to about `1.3e-3`
//! (`|z| >= 3`) are returned and those beyond `|z| ~ 2` refused; at 1500 vs 1500 all are
//! refused.
//!
//! # Cost and limits
//! Time `O(n K)` and memory `24 (K + 1)` bytes at the peak (three `f64` tables), `n` the smaller
//! sample and `K = min(u, n m - u)`: the table has one entry per value of `U` up to `K`, whatever
//! the sizes, so 100 vs 10^7 near the centre would need 12 GB. Both are decided **up front from
//! the sizes and `u`**, before anything is allocated or computed: a request above
//! [`MannWhitneyOptions::exact_memory_limit`] (default 1 GiB) or
//! [`MannWhitneyOptions::exact_work_limit`] (default `10^9` steps) is refused with
//! [`Error::TooLarge`], which names the limit and the request so a host can raise the limit.
//! Measured on this project's 2-core machine: about 1 s at 800 vs 800 and 2.5 s at 1000 vs 1000
//! near the centre (`5 * 10^8` steps); 3000 vs 3000 (`1.35 * 10^10` steps, formerly 81 s of work
//! before a precision refusal) is now refused at once. [`Method::Auto`] never goes near these
//! sizes.
//!
//! # References
//! - H. B. Mann and D. R. Whitney (1947), On a test of whether one of two random variables is
//!   stochastically larger than the other, Ann. Math. Statist. 18(1).
//! - A. Löffler (1983), Über eine Partition der nat. Zahlen und ihre Anwendung beim U-Test.
//! - scipy `mannwhitneyu`; R `wilcox.test`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::normal::sf as normal_upper;
use crate::stats::rank::{RankSum, rank_sum_unsorted};
use crate::stats::{Alternative, Method};

/// Default of [`MannWhitneyOptions::exact_memory_limit`]: 1 GiB, a table of about 44 million
/// counts (`K` up to `44 * 10^6`, e.g. 100 vs 900,000 anywhere, 10,000 vs 10,000 in the tails).
pub const DEFAULT_EXACT_MEMORY_LIMIT: u64 = 1 << 30;

/// Default of [`MannWhitneyOptions::exact_work_limit`]: `10^9` recurrence steps, about 6 s on
/// the careful (double-double) path and under 2 s on the fast path on one 2020s core
/// (1000 vs 1000 at the centre is `5 * 10^8` steps).
pub const DEFAULT_EXACT_WORK_LIMIT: u64 = 1_000_000_000;

/// Options of [`mann_whitney`] (jiff style: `Default`, `new()`, by-value setters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MannWhitneyOptions {
    alternative: Alternative,
    method: Method,
    continuity: bool,
    #[serde(default = "default_memory_limit")]
    exact_memory_limit: u64,
    #[serde(default = "default_work_limit")]
    exact_work_limit: u64,
}

fn default_memory_limit() -> u64 {
    DEFAULT_EXACT_MEMORY_LIMIT
}

fn default_work_limit() -> u64 {
    DEFAULT_EXACT_WORK_LIMIT
}

impl Default for MannWhitneyOptions {
    fn default() -> Self {
        MannWhitneyOptions {
            alternative: Alternative::TwoSided,
            method: Method::Auto,
            continuity: true,
            exact_memory_limit: DEFAULT_EXACT_MEMORY_LIMIT,
            exact_work_limit: DEFAULT_EXACT_WORK_LIMIT,
        }
    }
}

impl MannWhitneyOptions {
    /// Two-sided, [`Method::Auto`], with continuity correction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The alternative hypothesis (canary relative to baseline). Default two-sided.
    pub fn alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }

    /// The null distribution: exact, asymptotic or auto (the default).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Whether the asymptotic p-value uses the continuity correction (default `true`). The exact
    /// p-value never does.
    pub fn continuity(mut self, continuity: bool) -> Self {
        self.continuity = continuity;
        self
    }

    /// The most memory, in bytes, the exact null distribution may allocate (default
    /// [`DEFAULT_EXACT_MEMORY_LIMIT`], 1 GiB). The table needs `24 (K + 1)` bytes with
    /// `K = min(u, n_c n_b - u)` (see the [module docs](self)); a larger request is refused with
    /// [`Error::TooLarge`] before anything is allocated.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::mann_whitney::{mann_whitney, MannWhitneyOptions};
    /// use canary_analysis::stats::Method;
    /// use canary_analysis::Error;
    /// let baseline: Vec<f64> = (0..200).map(|i| 2.0 * i as f64).collect();
    /// let canary: Vec<f64> = (0..200).map(|i| 2.0 * i as f64 + 1.0).collect();
    /// let opts = MannWhitneyOptions::new().method(Method::Exact);
    /// assert!(mann_whitney(&baseline, &canary, &opts).is_ok());
    /// let tight = opts.exact_memory_limit(1024);
    /// let refused = mann_whitney(&baseline, &canary, &tight);
    /// assert!(matches!(refused, Err(Error::TooLarge { limit: 1024, .. })));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn exact_memory_limit(mut self, bytes: u64) -> Self {
        self.exact_memory_limit = bytes;
        self
    }

    /// The most recurrence steps, `min(n_c, n_b) (K + 1)`, the exact null distribution may take
    /// (default [`DEFAULT_EXACT_WORK_LIMIT`], `10^9`); a larger request is refused with
    /// [`Error::TooLarge`] before any work.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::mann_whitney::{mann_whitney, MannWhitneyOptions};
    /// use canary_analysis::stats::Method;
    /// use canary_analysis::Error;
    /// let baseline = [1.0, 2.0, 3.0, 4.0];
    /// let canary = [3.5, 5.0, 6.0, 7.0];
    /// let opts = MannWhitneyOptions::new().method(Method::Exact).exact_work_limit(2);
    /// assert!(matches!(mann_whitney(&baseline, &canary, &opts), Err(Error::TooLarge { .. })));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn exact_work_limit(mut self, steps: u64) -> Self {
        self.exact_work_limit = steps;
        self
    }

    /// The limits of the exact distribution as configured.
    pub(crate) fn exact_limits(&self) -> ExactLimits {
        ExactLimits {
            memory_bytes: self.exact_memory_limit,
            work_steps: self.exact_work_limit,
        }
    }
}

/// Resource limits of the exact null distribution, checked from the sizes before allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExactLimits {
    pub(crate) memory_bytes: u64,
    pub(crate) work_steps: u64,
}

impl Default for ExactLimits {
    fn default() -> Self {
        MannWhitneyOptions::default().exact_limits()
    }
}

/// Bytes per entry `k <= K` of the exact table at its peak (three `f64` arrays).
const BYTES_PER_ENTRY: u64 = 24;

/// The result of [`mann_whitney`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// Number of baseline observations.
    pub n_baseline: usize,
    /// Number of canary observations.
    pub n_canary: usize,
    /// `U` of the canary: pairs with canary > baseline, plus 1/2 per tied pair.
    pub u_canary: f64,
    /// `U` of the baseline, `n_canary * n_baseline - u_canary`.
    pub u_baseline: f64,
    /// For the asymptotic method, the standardized statistic of the canary,
    /// `(u_canary - n_c n_b / 2 - c) / s` with the continuity correction `c` toward the null
    /// (`0.5 sign(u_canary - n_c n_b / 2)` two-sided, `+0.5` greater, `-0.5` less, `0` without
    /// continuity); positive when the canary tends to be larger. `None` for the exact method.
    pub z: Option<f64>,
    /// The p-value of the alternative.
    pub p_value: f64,
    /// The alternative tested.
    pub alternative: Alternative,
    /// The method used: [`Method::Exact`] or [`Method::Asymptotic`] (never `Auto`).
    pub method: Method,
    /// Whether the continuity correction was applied (always `false` for the exact method).
    pub continuity: bool,
}

/// Largest `n_c * n_b` for which [`Method::Auto`] chooses the exact distribution.
pub const AUTO_EXACT_MAX_PAIRS: u64 = 100_000;

/// The Mann-Whitney U test of the canary against the baseline.
///
/// Buckets the pooled order keys on their leading bits (one radix pass), then sorts and merges
/// each bucket, `O(N log N)` worst case (`N = n_c + n_b`) and about two passes over the data for
/// spread-out values; see the [module docs](self) for the exact definitions.
///
/// Worst-case time: `O(N log N)` for the ranks plus, for the exact method only,
/// `O(min(n_c, n_b) K)` bounded by [`MannWhitneyOptions::exact_work_limit`] (`K` as in the
/// [module docs](self)); memory `O(N)` plus at most
/// [`MannWhitneyOptions::exact_memory_limit`] bytes.
///
/// # Errors
/// - [`Error::InvalidSample`] if a sample is empty or holds NaN or an infinity.
/// - [`Error::InvalidParameter`] if [`Method::Exact`] is requested on tied data, or when the
///   exact probability cannot be computed to full precision (the centre of very large samples).
/// - [`Error::TooLarge`] if the exact distribution would exceed the memory or work limit of the
///   options (decided from the sizes before allocating).
/// - [`Error::Degenerate`] for the asymptotic method when all observations are tied.
///
/// # Example
/// ```
/// use canary_analysis::stats::mann_whitney::{mann_whitney, MannWhitneyOptions};
/// use canary_analysis::stats::{Alternative, Method};
/// let baseline = [1.0, 2.0, 3.0, 4.0];
/// let canary = [3.5, 5.0, 6.0, 7.0];
/// let opts = MannWhitneyOptions::new().alternative(Alternative::Greater);
/// let r = mann_whitney(&baseline, &canary, &opts)?;
/// assert_eq!(r.u_canary, 15.0);
/// assert_eq!(r.method, Method::Exact);
/// assert!((r.p_value - 2.0 / 70.0).abs() < 1e-15); // 2 of the C(8, 4) = 70 arrangements
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn mann_whitney(
    baseline: &[f64],
    canary: &[f64],
    opts: &MannWhitneyOptions,
) -> Result<MannWhitney> {
    let rs = rank_sum_unsorted(canary, baseline, "canary", "baseline")?;
    mann_whitney_rank_sum(&rs, opts)
}

/// [`mann_whitney`] from a precomputed [`RankSum`] of the canary (`x`) against the baseline
/// (`y`), for callers that already hold sorted samples.
///
/// Worst-case time `O(1)` for the asymptotic method, `O(min(n_c, n_b) K)` for the exact one
/// (bounded by the options' work limit, as in [`mann_whitney`]).
///
/// # Errors
/// As [`mann_whitney`], except sample validation (the [`RankSum`] is trusted).
pub(crate) fn mann_whitney_rank_sum(
    rs: &RankSum,
    opts: &MannWhitneyOptions,
) -> Result<MannWhitney> {
    let (n_c, n_b) = (rs.n_x, rs.n_y);
    if n_c == 0 || n_b == 0 {
        return Err(Error::sample(
            if n_c == 0 { "canary" } else { "baseline" },
            "the sample is empty",
        ));
    }
    let nm = n_c as f64 * n_b as f64;
    let u_c = rs.u_x;
    let u_b = rs.u_y();
    let method = match opts.method {
        Method::Exact => {
            if rs.has_ties() {
                return Err(Error::param(
                    "method",
                    "exact",
                    "the exact null distribution assumes no ties, and the data have ties; \
                     use the asymptotic method",
                ));
            }
            Method::Exact
        }
        Method::Asymptotic => Method::Asymptotic,
        _ => {
            if !rs.has_ties() && (n_c as u64).saturating_mul(n_b as u64) <= AUTO_EXACT_MAX_PAIRS {
                Method::Exact
            } else {
                Method::Asymptotic
            }
        }
    };
    let u_alt = match opts.alternative {
        Alternative::Greater => u_c,
        Alternative::Less => u_b,
        _ => u_c.max(u_b),
    };
    let two = matches!(opts.alternative, Alternative::TwoSided);
    if method == Method::Exact {
        let p = exact_upper_tail(n_c, n_b, u_alt, opts.exact_limits())?;
        let p_value = if two { (2.0 * p).min(1.0) } else { p };
        return Ok(MannWhitney {
            n_baseline: n_b,
            n_canary: n_c,
            u_canary: u_c,
            u_baseline: u_b,
            z: None,
            p_value,
            alternative: opts.alternative,
            method,
            continuity: false,
        });
    }
    let s = u_sd(n_c, n_b, rs.tie_term);
    if s <= 0.0 || !s.is_finite() {
        return Err(Error::degenerate(
            "Mann-Whitney U test",
            "all observations are tied, so the statistic has no variance",
        ));
    }
    let cc = if opts.continuity { 0.5 } else { 0.0 };
    let mu = nm / 2.0;
    let z_alt = (u_alt - mu - cc) / s;
    let p = normal_upper(z_alt);
    let p_value = if two { (2.0 * p).min(1.0) } else { p };
    let dz = u_c - mu;
    let corr = match opts.alternative {
        Alternative::Greater => cc,
        Alternative::Less => -cc,
        _ => {
            if dz > 0.0 {
                cc
            } else if dz < 0.0 {
                -cc
            } else {
                0.0
            }
        }
    };
    Ok(MannWhitney {
        n_baseline: n_b,
        n_canary: n_c,
        u_canary: u_c,
        u_baseline: u_b,
        z: Some((dz - corr) / s),
        p_value,
        alternative: opts.alternative,
        method,
        continuity: opts.continuity,
    })
}

/// Standard deviation of `U` under the null with the tie correction.
pub(crate) fn u_sd(n_x: usize, n_y: usize, tie_term: f64) -> f64 {
    let (nx, ny) = (n_x as f64, n_y as f64);
    let n = nx + ny;
    (nx * ny / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt()
}

/// `P(U >= u)` under the exact null distribution without ties, `u` integral.
pub(crate) fn exact_upper_tail(n_x: usize, n_y: usize, u: f64, limits: ExactLimits) -> Result<f64> {
    let nm = n_x as u64 * n_y as u64;
    if u <= 0.0 {
        return Ok(1.0);
    }
    let u = u.ceil() as u64;
    if u > nm {
        return Ok(0.0);
    }
    if 2 * u >= nm {
        // P(U >= u) = P(U <= nm - u) by symmetry.
        let k = nm - u;
        NullDistribution::with_limits(n_x, n_y, k, limits)?.cdf(k)
    } else {
        // u - 1 < nm / 2: P(U >= u) = 1 - P(U <= u - 1) >= 1/2, no cancellation.
        let k = u - 1;
        Ok(1.0 - NullDistribution::with_limits(n_x, n_y, k, limits)?.cdf(k)?)
    }
}

/// The lower tail `k <= K` of the exact null distribution of `U` (no ties).
///
/// Counts are accumulated in double-double arithmetic (about 106 significant bits) with a plain
/// `f64` shadow run of the same recurrence; cumulative counts are stored scaled by
/// `2^-scale_exp`, the total `C(n + m, n)` as `total * 2^total_exp`.
#[derive(Debug, Clone)]
pub(crate) struct NullDistribution {
    n_x: usize,
    n_y: usize,
    n_pairs: u64,
    cum: Vec<f64>,
    /// Estimated relative error of each cumulative count (infinite when refused).
    err: Vec<f64>,
    scale_exp: i64,
    total: f64,
    total_exp: i64,
}

const RESCALE_EXP: i32 = 512;

/// The largest estimated relative error of a returned probability.
const MAX_ERROR: f64 = 1e-12;

/// The fast path (two plain `f64` runs) is kept only when the runs agree this closely
/// everywhere, a tenth of [`MAX_ERROR`].
const FAST_AGREEMENT: f64 = 1e-13;

/// One plain `f64` run of the recurrence started from `start` (1 or 3: a different start makes
/// every rounding differ), returning the counts times `start` scaled by `2^-exp`.
fn recurrence_f64(n: usize, m: usize, k_max: u64, start: f64) -> (Vec<f64>, i64) {
    let kk = k_max as usize;
    let mut a = vec![0.0f64; kk + 1];
    a[0] = start;
    let mut exp: i64 = 0;
    let down = 2f64.powi(-RESCALE_EXP);
    let limit = 2f64.powi(RESCALE_EXP);
    for j in 1..=n {
        let support = m as u64 * j as u64;
        let h = support.min(k_max) as usize;
        let d = m + j;
        let mut top = h + 1;
        while top > d {
            let lo = top.saturating_sub(d).max(d);
            let (left, right) = a.split_at_mut(lo);
            for (t, s) in right[..top - lo].iter_mut().zip(&left[lo - d..top - d]) {
                *t -= *s;
            }
            top = lo;
        }
        let mut lo = j;
        while lo <= h {
            let hi = (lo + j).min(h + 1);
            let (left, right) = a.split_at_mut(lo);
            for (t, s) in right[..hi - lo].iter_mut().zip(&left[lo - j..hi - j]) {
                *t += *s;
            }
            lo = hi;
        }
        let mode = (support / 2).min(k_max) as usize;
        if a[mode] > limit {
            for v in a[..=h].iter_mut() {
                *v *= down;
            }
            exp += RESCALE_EXP as i64;
        }
    }
    (a, exp)
}

/// Whether counts `pmf[0..]` stop being finite, non-negative and non-decreasing up to `nm / 2`;
/// returns the first index where they do.
fn first_broken(pmf: &[f64], nm: u64) -> Option<usize> {
    let mut prev = 0.0f64;
    for (k, &v) in pmf.iter().enumerate() {
        if !v.is_finite() || v < 0.0 || (2 * k as u64 <= nm && v < prev * (1.0 - 1e-9)) {
            return Some(k);
        }
        prev = v;
    }
    None
}

#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `(hi, lo) += sign * (bhi, blo)` in double-double arithmetic.
#[inline]
fn dd_add(hi: &mut f64, lo: &mut f64, bhi: f64, blo: f64) {
    let (s, e) = two_sum(*hi, bhi);
    let e = e + (*lo + blo);
    let t = s + e;
    *lo = e - (t - s);
    *hi = t;
}

/// `a[dst + t] += sign * a[src + t]` for `t < len` on the double-double `(hi, lo)` and the `f64`
/// shadow `sh`, where the source block lies entirely below the destination.
#[inline]
fn block_add(
    hi: &mut [f64],
    lo: &mut [f64],
    sh: &mut [f64],
    dst: usize,
    src: usize,
    len: usize,
    sign: f64,
) {
    debug_assert!(src + len <= dst);
    let (hs, hd) = hi.split_at_mut(dst);
    let (ls, ld) = lo.split_at_mut(dst);
    let (ss, sd) = sh.split_at_mut(dst);
    let it = hd[..len]
        .iter_mut()
        .zip(&mut ld[..len])
        .zip(&mut sd[..len])
        .zip(
            hs[src..src + len]
                .iter()
                .zip(&ls[src..src + len])
                .zip(&ss[src..src + len]),
        );
    for (((h, l), s), ((bh, bl), bs)) in it {
        dd_add(h, l, sign * bh, sign * bl);
        *s += sign * bs;
    }
}

impl NullDistribution {
    /// Computes `P(U <= k)` for every `k <= k_max` (`k_max` is capped at `n m`) within the
    /// default [`ExactLimits`].
    pub(crate) fn new(n_x: usize, n_y: usize, k_max: u64) -> Result<Self> {
        Self::with_limits(n_x, n_y, k_max, ExactLimits::default())
    }

    /// As [`new`](Self::new), refusing with [`Error::TooLarge`] before allocating when the table
    /// would need more than `limits.memory_bytes` (`24 (k_max + 1)` bytes) or more than
    /// `limits.work_steps` recurrence steps (`min(n_x, n_y) (k_max + 1)`).
    pub(crate) fn with_limits(
        n_x: usize,
        n_y: usize,
        k_max: u64,
        limits: ExactLimits,
    ) -> Result<Self> {
        let (n, m) = (n_x.min(n_y), n_x.max(n_y));
        let nm = n as u64 * m as u64;
        let k_max = k_max.min(nm);
        let entries = k_max.saturating_add(1);
        let bytes = entries.saturating_mul(BYTES_PER_ENTRY);
        if bytes > limits.memory_bytes || entries > (isize::MAX as u64) / BYTES_PER_ENTRY {
            return Err(Error::too_large(
                format!("exact Mann-Whitney null distribution for {n_x} vs {n_y} (bytes)"),
                limits.memory_bytes,
                bytes,
            ));
        }
        let work = (n as u64).saturating_mul(entries);
        if work > limits.work_steps {
            return Err(Error::too_large(
                format!(
                    "exact Mann-Whitney null distribution for {n_x} vs {n_y} (recurrence steps)"
                ),
                limits.work_steps,
                work,
            ));
        }
        let kk = k_max as usize;
        // C(n + m, n) = prod_{i=1..n} (m + i) / i, scaled.
        let down = 2f64.powi(-RESCALE_EXP);
        let limit = 2f64.powi(RESCALE_EXP);
        let mut total = 1.0f64;
        let mut total_exp: i64 = 0;
        for i in 1..=n {
            total = total * (m + i) as f64 / i as f64;
            if total > limit {
                total *= down;
                total_exp += RESCALE_EXP as i64;
            }
        }
        // Fast path: two plain f64 runs with different roundings. Where the recurrence does not
        // amplify rounding errors (small samples, and the tails of large ones) they agree to
        // near machine precision, and their disagreement estimates the error.
        // Peak memory: two tables here, three on the careful path (`BYTES_PER_ENTRY`).
        let (mut a, ea) = recurrence_f64(n, m, k_max, 1.0);
        if first_broken(&a, nm).is_none() {
            let (mut b, eb) = recurrence_f64(n, m, k_max, 3.0);
            let (mut ca, mut cb) = (0.0f64, 0.0f64);
            let mut worst = 0.0f64;
            // In place: `a` becomes the cumulative counts, `b` their estimated errors.
            for k in 0..=kk {
                ca += a[k];
                cb += b[k];
                let e = if cb > 0.0 {
                    ((3.0 * ldexp(ca, ea - eb) - cb) / cb).abs()
                } else if ca == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                };
                let e = if e.is_finite() { e } else { f64::INFINITY };
                worst = worst.max(e);
                a[k] = ca;
                b[k] = e.max(f64::EPSILON);
            }
            let (cum, err) = (a, b);
            if worst <= FAST_AGREEMENT {
                return Ok(NullDistribution {
                    n_x,
                    n_y,
                    n_pairs: nm,
                    cum,
                    err,
                    scale_exp: ea,
                    total,
                    total_exp,
                });
            }
        } else {
            drop(a);
        }
        // Careful path: double-double counts with an f64 shadow.
        let mut hi = vec![0.0f64; kk + 1];
        let mut lo = vec![0.0f64; kk + 1];
        let mut sh = vec![0.0f64; kk + 1];
        hi[0] = 1.0;
        sh[0] = 1.0;
        let mut scale_exp: i64 = 0;
        for j in 1..=n {
            let support = m as u64 * j as u64; // G_j lives on 0..=m j
            let h = support.min(k_max) as usize;
            let d = m + j;
            // Multiply by (1 - q^(m+j)): a[k] -= a[k - d], descending so a[k - d] is still
            // G_{j-1}.
            // Blocks of d values are independent, which lets the loops vectorize.
            let mut top = h + 1;
            while top > d {
                let start = top.saturating_sub(d).max(d);
                block_add(
                    &mut hi,
                    &mut lo,
                    &mut sh,
                    start,
                    start - d,
                    top - start,
                    -1.0,
                );
                top = start;
            }
            // Divide by (1 - q^j): a[k] += a[k - j], ascending, in blocks of j.
            let mut start = j;
            while start <= h {
                let end = (start + j).min(h + 1);
                block_add(
                    &mut hi,
                    &mut lo,
                    &mut sh,
                    start,
                    start - j,
                    end - start,
                    1.0,
                );
                start = end;
            }
            // G_j is unimodal and symmetric about m j / 2: its largest kept value is there.
            let mode = (support / 2).min(k_max) as usize;
            if hi[mode] > limit {
                for k in 0..=h {
                    hi[k] *= down;
                    lo[k] *= down;
                    sh[k] *= down;
                }
                scale_exp += RESCALE_EXP as i64;
            }
        }
        // Cumulative sums (scaled like the counts), and the shadow's relative deviation.
        // A second, independent guard: the counts are a unimodal symmetric sequence, so up to
        // n m / 2 they are finite, non-negative and non-decreasing. Once computed counts break
        // that, they and everything above are refused.
        let (mut ah, mut al, mut asum) = (0.0, 0.0, 0.0);
        let mut cum = hi;
        let mut prev = 0.0f64;
        let mut broken = false;
        for k in 0..=kk {
            let pmf = cum[k];
            broken |=
                !pmf.is_finite() || pmf < 0.0 || (2 * k as u64 <= nm && pmf < prev * (1.0 - 1e-9));
            prev = pmf;
            dd_add(&mut ah, &mut al, cum[k], lo[k]);
            asum += sh[k];
            cum[k] = ah;
            // The double-double error is about 2^-53 of the shadow's.
            let dev = if ah > 0.0 {
                ((asum - ah) / ah).abs()
            } else if asum == 0.0 {
                0.0
            } else {
                f64::INFINITY
            };
            sh[k] = if broken || !dev.is_finite() {
                f64::INFINITY // NaN deviations must not pass `max` below
            } else {
                (dev * f64::EPSILON / 2.0).max(f64::EPSILON * f64::EPSILON)
            };
        }
        Ok(NullDistribution {
            n_x,
            n_y,
            n_pairs: nm,
            cum,
            err: sh,
            scale_exp,
            total,
            total_exp,
        })
    }

    /// Largest `k` this table answers directly.
    pub(crate) fn k_max(&self) -> u64 {
        self.cum.len() as u64 - 1
    }

    /// `P(U <= k)`, for `k <= k_max()` (`1` for `k >= n m`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the value cannot be guaranteed to full precision.
    pub(crate) fn cdf(&self, k: u64) -> Result<f64> {
        if k >= self.n_pairs {
            return Ok(1.0);
        }
        let k = k.min(self.k_max()) as usize;
        // Below the centre P(U <= k) <= 1/2 by symmetry: a third guard.
        let below_half = 2 * k as u64 + 1 < self.n_pairs && self.cdf_unchecked(k as u64) > 0.5;
        if below_half || self.err[k].is_nan() || self.err[k] > MAX_ERROR {
            return Err(Error::param(
                "method",
                "exact",
                format!(
                    "the exact distribution of U for {} vs {} cannot be computed to full \
                     precision near its centre (k = {k}); use the asymptotic method",
                    self.n_x, self.n_y
                ),
            ));
        }
        Ok(self.cdf_unchecked(k as u64))
    }

    /// `P(U <= k)` without the precision guard (for monotone searches whose result is then
    /// checked with [`cdf`](Self::cdf)).
    pub(crate) fn cdf_unchecked(&self, k: u64) -> f64 {
        if k >= self.n_pairs {
            return 1.0;
        }
        let k = k.min(self.k_max()) as usize;
        let ratio = self.cum[k] / self.total;
        ldexp(ratio, self.scale_exp - self.total_exp).min(1.0)
    }
}

/// `x * 2^e`, in steps that neither overflow nor underflow before the final one.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
        if x == 0.0 {
            return 0.0;
        }
    }
    x * 2f64.powi(e as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact counts by the (n, m) Pascal-like recurrence in u128, for small sizes.
    fn brute_counts(n: usize, m: usize) -> Vec<u128> {
        // c[i][j] = counts for sizes (i, j) as polynomials.
        let mut table = vec![vec![Vec::<u128>::new(); m + 1]; n + 1];
        for i in 0..=n {
            for j in 0..=m {
                table[i][j] = if i == 0 || j == 0 {
                    vec![1]
                } else {
                    let mut v = vec![0u128; i * j + 1];
                    // largest element is from sample i (contributes j) or from sample j.
                    for (k, &c) in table[i - 1][j].iter().enumerate() {
                        v[k + j] += c;
                    }
                    for (k, &c) in table[i][j - 1].iter().enumerate() {
                        v[k] += c;
                    }
                    v
                };
            }
        }
        table[n][m].clone()
    }

    #[test]
    fn null_distribution_matches_brute_force() {
        for (n, m) in [(1, 1), (1, 5), (3, 4), (5, 5), (7, 3), (10, 12), (20, 20)] {
            let counts = brute_counts(n, m);
            let total: u128 = counts.iter().sum();
            let nm = (n * m) as u64;
            let d = NullDistribution::new(n, m, nm).unwrap();
            let mut acc = 0u128;
            for k in 0..=nm {
                acc += counts[k as usize];
                let expected = acc as f64 / total as f64;
                let got = d.cdf(k).unwrap();
                assert!(
                    (got - expected).abs() <= 1e-14 * expected,
                    "{n} {m} {k}: {got} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn large_tails_do_not_overflow() {
        // P(U <= 0) = 1 / C(2000, 1000) ~ 1e-600 underflows, but P(U <= 100_000) ~ 1.8e-256 is
        // representable and must come out positive, finite and increasing in k.
        let d = NullDistribution::new(1000, 1000, 100_000).unwrap();
        let p = d.cdf(100_000).unwrap();
        let p_before = d.cdf(99_000).unwrap();
        assert!(p > 1e-300 && p < 1e-200, "{p}");
        assert!(p_before > 0.0 && p_before < p, "{p_before} {p}");
        assert_eq!(d.cdf(0).unwrap(), 0.0);
    }

    #[test]
    fn centre_of_very_large_samples_is_refused_not_wrong() {
        // At 1000 vs 1000 the recurrence's cancellation near the centre exceeds even
        // double-double precision: z = 1 must be a typed error, z = 3 a value.
        let sd = u_sd(1000, 1000, 0.0);
        let u = |z: f64| (500_000.0 + z * sd).round();
        assert!(matches!(
            exact_upper_tail(1000, 1000, u(1.0), ExactLimits::default()),
            Err(Error::InvalidParameter { .. })
        ));
        let p = exact_upper_tail(1000, 1000, u(3.0), ExactLimits::default()).unwrap();
        assert!((p - normal_upper(3.0)).abs() < 2e-5, "{p}");
    }

    #[test]
    fn unbalanced_exact_is_refused_before_allocating() {
        // 100 vs 10^7 near the centre: K = 5 * 10^8, a 12 GB table. Refused from the sizes
        // (this test allocates nothing and returns at once).
        let rs = RankSum {
            n_x: 100,
            n_y: 10_000_000,
            u_x: 500_000_000.0,
            tie_term: 0.0,
        };
        let opts = MannWhitneyOptions::new().method(Method::Exact);
        match mann_whitney_rank_sum(&rs, &opts) {
            Err(Error::TooLarge {
                limit, requested, ..
            }) => {
                assert_eq!(limit, DEFAULT_EXACT_MEMORY_LIMIT);
                assert_eq!(requested, 24 * 500_000_001);
            }
            other => panic!("{other:?}"),
        }
        // The far tail of the same sizes is small and is computed.
        let tail = RankSum {
            u_x: 1_000_000.0,
            ..rs
        };
        let r = mann_whitney_rank_sum(&tail, &opts.alternative(Alternative::Less)).unwrap();
        assert!(r.p_value < 1e-100 && r.p_value > 0.0, "{}", r.p_value);
    }

    #[test]
    fn work_limit_is_decided_up_front_and_can_be_raised_or_lowered() {
        // 3000 vs 3000 at the centre: 3000 * 4.5e6 steps, refused at once (formerly 81 s of
        // work before a precision refusal).
        let rs = RankSum {
            n_x: 3000,
            n_y: 3000,
            u_x: 4_500_000.0,
            tie_term: 0.0,
        };
        let opts = MannWhitneyOptions::new().method(Method::Exact);
        match mann_whitney_rank_sum(&rs, &opts) {
            Err(Error::TooLarge {
                limit, requested, ..
            }) => {
                assert_eq!(limit, DEFAULT_EXACT_WORK_LIMIT);
                assert_eq!(requested, 3000 * 4_500_001);
            }
            other => panic!("{other:?}"),
        }
        // A tiny limit refuses a small request; the default computes it.
        let small = RankSum {
            n_x: 20,
            n_y: 20,
            u_x: 300.0,
            tie_term: 0.0,
        };
        assert!(matches!(
            mann_whitney_rank_sum(&small, &opts.exact_work_limit(100)),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            mann_whitney_rank_sum(&small, &opts.exact_memory_limit(100)),
            Err(Error::TooLarge { .. })
        ));
        assert!(mann_whitney_rank_sum(&small, &opts).is_ok());
    }
}
