//! Continuous metrics (latency): time-uniform DKW bands (Howard & Ramdas, "Sequential estimation
//! of quantiles with applications to A/B-testing and best-arm identification", Bernoulli 2022).
//!
//! For i.i.d. draws with empirical CDF `F_n`, with probability at least `1 - alpha`, for every
//! `n >= 1` at once, `sup_x |F_n(x) - F(x)| <= eps(n, alpha)` where
//!
//! ```text
//! eps(n, alpha) = 0.85 * sqrt((ln ln(e n) + 0.8 ln(1612 / alpha)) / n)
//! ```
//!
//! ([`dkw_radius`]). With each arm's band at `alpha / 2` (a union bound over the two arms):
//!
//! - **equality in distribution** ([`Alternative::TwoSided`]): reject when
//!   `d = sup_x |F_C(x) - F_B(x)| > eps(n_C, alpha/2) + eps(n_B, alpha/2)`;
//! - **stochastic order** ([`Alternative::Greater`], H0: the canary is not larger, i.e.
//!   `F_C >= F_B` everywhere): reject when `d = sup_x (F_B(x) - F_C(x))` exceeds the same sum
//!   (`Less` is the mirror image, `sup_x (F_C(x) - F_B(x))`);
//! - **quantile-difference bands**: per arm `q(p)` lies in
//!   `[X_(floor(n (p - eps)) + 1), X_(ceil(n (p + eps)))]` (`eps = eps(n, alpha/2)`; an index
//!   below 1 gives `-inf`, above `n` gives `+inf`), so `Q_C(p) - Q_B(p)` lies in
//!   `[L_C(p) - U_B(p), U_C(p) - L_B(p)]` for every `p` and every look; intersected over looks.
//! - **sequential p-value** ([`ks_sequential_p`]): the smallest `alpha` at which `d` rejects
//!   (rejection being strict, `>`), capped at 1: bisection on `ln alpha`, closed form when
//!   `n_C = n_B`. The running minimum over looks is the always-valid p-value, and the decision
//!   is `Reject` exactly when it is `< alpha`.
//!
//! These tests catch tail and spread regressions that location tests (Mann-Whitney, means) miss.
//! Ties are handled exactly: the empirical CDFs are evaluated at every distinct value.
//!
//! # Data structure and cost
//! The two samples live in one value-ordered sequence of *chunks*: chunk `j` holds every
//! observation (of either arm) in `[lo_j, lo_{j+1})`, at most [`CHUNK_CAPACITY`] of them, in two
//! lazily sorted vectors (a sorted prefix plus an unsorted tail of new points). An observation
//! costs a binary search over the chunk bounds (`O(log(N / B))`) and an append; a full chunk is
//! split at its median (`O(B)` every `B / 2` insertions, plus moving `N / B` chunk headers).
//!
//! `d` only changes at data points. A look walks the chunk summaries once (`O(N / B)`): a chunk
//! ending where the baseline prefix count is `B0 + b_j` and the canary's is `C0 + c_j` gives an
//! attained value `(B0 + b_j)/n_B - (C0 + c_j)/n_C` and an upper bound
//! `(B0 + b_j)/n_B - C0/n_C` for every point inside it (and the mirror for the other sign). Only
//! chunks whose bound beats the best attained value are opened (sorted, `O(B)` when only the
//! tail is new, and scanned); the answer is exact. In the worst case every chunk is opened
//! (`O(N)` per look); for data near the null or near a shift a handful are, so a look over a
//! million points per arm costs well under a millisecond (see `benches/sequential.rs`).
//! Memory: the observations themselves (16 bytes per point plus chunk slack); the DKW
//! tests and the quantile bands need every order statistic.

use serde::{Deserialize, Serialize};

use super::Arm;
use super::eprocess::{Decision, Interval, RunningP, check_alpha, check_value};
use crate::error::{Error, Result};
use crate::stats::Alternative;

/// The largest number of observations a chunk holds before it is split.
pub const CHUNK_CAPACITY: usize = 4096;

const DKW_A: f64 = 0.85;
const DKW_C: f64 = 0.8;
const DKW_K: f64 = 1612.0;

/// `eps(n, alpha) = 0.85 sqrt((ln ln(e n) + 0.8 ln(1612/alpha)) / n)` with `ln alpha` given.
fn radius_ln(n: f64, ln_alpha: f64) -> f64 {
    DKW_A * ((n.ln().ln_1p() + DKW_C * (DKW_K.ln() - ln_alpha)) / n).sqrt()
}

/// The time-uniform DKW radius `eps(n, alpha)` (Howard & Ramdas 2022, closed form).
///
/// # Errors
/// [`Error::InvalidParameter`] if `n == 0` or `alpha` is not in (0, 1).
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::dkw_radius;
/// let eps = dkw_radius(1000, 0.05)?;
/// assert!(eps > 0.08 && eps < 0.1);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn dkw_radius(n: u64, alpha: f64) -> Result<f64> {
    if n == 0 {
        return Err(Error::param("n", n, "must be at least 1"));
    }
    check_alpha(alpha)?;
    Ok(radius_ln(n as f64, alpha.ln()))
}

/// The two-arm rejection threshold at level `exp(ln_alpha)`: each band at `alpha / 2`.
fn threshold_ln(n_b: f64, n_c: f64, ln_alpha: f64) -> f64 {
    let l = ln_alpha - std::f64::consts::LN_2;
    radius_ln(n_b, l) + radius_ln(n_c, l)
}

/// The sequential p-value of a sup-distance `d` between the arms' empirical CDFs: the smallest
/// `alpha` with `d > eps(n_C, alpha/2) + eps(n_B, alpha/2)`, capped at 1 (see the
/// [module docs](self)).
///
/// # Errors
/// [`Error::InvalidParameter`] if `d` is not in [0, 1] or a size is 0.
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::ks_sequential_p;
/// assert_eq!(ks_sequential_p(0.01, 1000, 1000)?, 1.0);
/// let p = ks_sequential_p(0.2, 1000, 1000)?;
/// assert!(p > 0.0 && p < 0.05);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn ks_sequential_p(d: f64, n_baseline: u64, n_canary: u64) -> Result<f64> {
    if !(d.is_finite() && (0.0..=1.0).contains(&d)) {
        return Err(Error::param("d", d, "must lie in [0, 1]"));
    }
    if n_baseline == 0 {
        return Err(Error::param("n_baseline", n_baseline, "must be at least 1"));
    }
    if n_canary == 0 {
        return Err(Error::param("n_canary", n_canary, "must be at least 1"));
    }
    Ok(ks_p(d, n_baseline as f64, n_canary as f64))
}

fn ks_p(d: f64, n_b: f64, n_c: f64) -> f64 {
    // The threshold decreases in ln(alpha); at alpha = 1 it is the smallest it gets.
    if d <= threshold_ln(n_b, n_c, 0.0) {
        return 1.0;
    }
    if n_b == n_c {
        // d = 2 A sqrt((L + C (ln(2K) - x)) / n)  =>  x = (L + C ln(2K) - n (d / 2A)^2) / C.
        let n = n_b;
        let l = n.ln().ln_1p();
        let x = (l + DKW_C * (2.0 * DKW_K).ln() - n * (d / (2.0 * DKW_A)).powi(2)) / DKW_C;
        return x.exp().min(1.0);
    }
    // Bisection on x = ln(alpha): thr(hi = 0) < d; find lo with thr(lo) >= d.
    let mut hi = 0.0f64;
    let mut lo = -1.0f64;
    while threshold_ln(n_b, n_c, lo) < d {
        lo *= 2.0;
        if lo < -1e300 {
            return 0.0;
        }
    }
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if threshold_ln(n_b, n_c, mid) < d {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    // The infimum of the rejecting ln(alpha) lies in [lo, hi]; both agree to an ulp.
    (0.5 * (lo + hi)).exp().min(1.0)
}

/// Options of [`Dkw`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DkwOptions {
    alpha: f64,
    alternative: Alternative,
    quantiles: Vec<f64>,
}

impl Default for DkwOptions {
    fn default() -> Self {
        DkwOptions {
            alpha: 0.05,
            alternative: Alternative::TwoSided,
            quantiles: Vec::new(),
        }
    }
}

impl DkwOptions {
    /// Defaults: `alpha = 0.05`, equality in distribution, no quantile bands.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::Alternative;
    /// use canary_analysis::stats::sequential::DkwOptions;
    /// let opts = DkwOptions::new().alternative(Alternative::Greater).quantiles(vec![0.5, 0.99]);
    /// assert_eq!(opts.get_quantiles(), &[0.5, 0.99]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// The significance level (also the joint level of the quantile-difference bands).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// `TwoSided` (equality in distribution), `Greater` (H0: canary not stochastically larger;
    /// "canary worse" for latency) or `Less`.
    pub fn alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }
    /// Probabilities `p` in (0, 1) at which to report quantile-difference bands.
    pub fn quantiles(mut self, quantiles: Vec<f64>) -> Self {
        self.quantiles = quantiles;
        self
    }
    /// The configured `alpha`.
    pub fn get_alpha(&self) -> f64 {
        self.alpha
    }
    /// The configured alternative.
    pub fn get_alternative(&self) -> Alternative {
        self.alternative
    }
    /// The configured quantile probabilities.
    pub fn get_quantiles(&self) -> &[f64] {
        &self.quantiles
    }

    fn validate(&self) -> Result<()> {
        check_alpha(self.alpha)?;
        for &p in &self.quantiles {
            if !(p.is_finite() && p > 0.0 && p < 1.0) {
                return Err(Error::param(
                    "quantiles",
                    p,
                    "must lie strictly between 0 and 1",
                ));
            }
        }
        Ok(())
    }
}

/// A band for the quantile difference `Q_C(p) - Q_B(p)` (canary minus baseline).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantileBand {
    /// The probability `p`.
    pub p: f64,
    /// The band, intersected over looks (ends may be infinite).
    pub difference: Interval,
}

/// The result of one look of a [`Dkw`] test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DkwLook {
    /// 1-based index of this look.
    pub look: u64,
    /// Baseline observations so far.
    pub n_baseline: u64,
    /// Canary observations so far.
    pub n_canary: u64,
    /// The test's sup distance at this look (two-sided `sup |F_C - F_B|`, `Greater`
    /// `sup (F_B - F_C)`, `Less` `sup (F_C - F_B)`); 0 while an arm is empty.
    pub d: f64,
    /// `eps(n_C, alpha/2) + eps(n_B, alpha/2)` (`+inf` while an arm is empty).
    pub threshold: f64,
    /// Always-valid p-value (running minimum over looks).
    pub p_value: f64,
    /// `Reject` when `p_value < alpha`.
    pub decision: Decision,
    /// Quantile-difference bands for the configured probabilities.
    pub quantile_bands: Vec<QuantileBand>,
}

/// One value-range of the ordered sequence of observations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Chunk {
    /// Inclusive lower bound of the values held (`-inf` for the first chunk).
    lo: f64,
    base: Vec<f64>,
    base_sorted: usize,
    can: Vec<f64>,
    can_sorted: usize,
    /// Do not try to split again below this many points (set when all values are equal).
    split_at: usize,
}

impl Chunk {
    fn new(lo: f64) -> Self {
        Chunk {
            lo,
            base: Vec::new(),
            base_sorted: 0,
            can: Vec::new(),
            can_sorted: 0,
            split_at: CHUNK_CAPACITY,
        }
    }
    fn len(&self) -> usize {
        self.base.len() + self.can.len()
    }
    fn sort(&mut self) {
        sort_tail(&mut self.base, &mut self.base_sorted);
        sort_tail(&mut self.can, &mut self.can_sorted);
    }
}

/// Sorts `v` given that `v[..*sorted]` is sorted: the tail is sorted, then the stable sort
/// (which detects the two runs) merges them in linear time.
fn sort_tail(v: &mut [f64], sorted: &mut usize) {
    if *sorted < v.len() {
        v[*sorted..].sort_unstable_by(f64::total_cmp);
        if *sorted > 0 {
            v.sort_by(f64::total_cmp);
        }
        *sorted = v.len();
    }
}

/// Both arms' observations in value order (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TwoSampleStore {
    chunks: Vec<Chunk>,
    n_base: u64,
    n_can: u64,
}

/// Sup distances between the empirical CDFs: `(sup (F_B - F_C), sup (F_C - F_B))`, both >= 0.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SupDistances {
    base_above: f64,
    can_above: f64,
}

impl TwoSampleStore {
    fn new() -> Self {
        TwoSampleStore {
            chunks: vec![Chunk::new(f64::NEG_INFINITY)],
            n_base: 0,
            n_can: 0,
        }
    }

    fn insert(&mut self, arm: Arm, x: f64) {
        // -0.0 and 0.0 are the same observation.
        let x = x + 0.0;
        let j = self.chunks.partition_point(|c| c.lo <= x) - 1;
        let chunk = &mut self.chunks[j];
        match arm {
            Arm::Baseline => {
                chunk.base.push(x);
                self.n_base += 1;
            }
            Arm::Canary => {
                chunk.can.push(x);
                self.n_can += 1;
            }
        }
        if chunk.len() >= chunk.split_at {
            self.split(j);
        }
    }

    /// Splits chunk `j` at its median value (values >= the pivot move to a new chunk).
    fn split(&mut self, j: usize) {
        let chunk = &mut self.chunks[j];
        let mut all: Vec<f64> = Vec::with_capacity(chunk.len());
        all.extend_from_slice(&chunk.base);
        all.extend_from_slice(&chunk.can);
        let mid = all.len() / 2;
        let (_, &mut median, _) = all.select_nth_unstable_by(mid, f64::total_cmp);
        let min = all.iter().copied().fold(f64::INFINITY, f64::min);
        let pivot = if median > min {
            median
        } else {
            // Too many ties at the minimum: split just above it.
            match all.iter().copied().filter(|&v| v > min).reduce(f64::min) {
                Some(v) => v,
                None => {
                    // All values equal: nothing to split; try again when the chunk doubles.
                    chunk.split_at = chunk.len() * 2;
                    return;
                }
            }
        };
        let (base_lo, base_hi, base_lo_sorted, base_hi_sorted) =
            stable_partition(&chunk.base, chunk.base_sorted, pivot);
        let (can_lo, can_hi, can_lo_sorted, can_hi_sorted) =
            stable_partition(&chunk.can, chunk.can_sorted, pivot);
        chunk.base = base_lo;
        chunk.base_sorted = base_lo_sorted;
        chunk.can = can_lo;
        chunk.can_sorted = can_lo_sorted;
        chunk.split_at = CHUNK_CAPACITY;
        let mut right = Chunk::new(pivot);
        right.base = base_hi;
        right.base_sorted = base_hi_sorted;
        right.can = can_hi;
        right.can_sorted = can_hi_sorted;
        self.chunks.insert(j + 1, right);
    }

    /// The sup distances between the arms' empirical CDFs (exact); both arms non-empty.
    fn sup_distances(&mut self) -> SupDistances {
        let na = self.n_base as f64;
        let nc = self.n_can as f64;
        let k = self.chunks.len();
        // Prefix counts before each chunk, attained values at chunk ends and bounds inside.
        let mut prefix = Vec::with_capacity(k);
        let mut ub_base = Vec::with_capacity(k);
        let mut ub_can = Vec::with_capacity(k);
        let (mut b0, mut c0) = (0u64, 0u64);
        let mut best = SupDistances {
            base_above: 0.0,
            can_above: 0.0,
        };
        for ch in &self.chunks {
            let (b1, c1) = (b0 + ch.base.len() as u64, c0 + ch.can.len() as u64);
            prefix.push((b0, c0));
            let end = b1 as f64 / na - c1 as f64 / nc;
            best.base_above = best.base_above.max(end);
            best.can_above = best.can_above.max(-end);
            ub_base.push(b1 as f64 / na - c0 as f64 / nc);
            ub_can.push(c1 as f64 / nc - b0 as f64 / na);
            (b0, c0) = (b1, c1);
        }
        let mut order: Vec<usize> = (0..k)
            .filter(|&j| ub_base[j] > best.base_above || ub_can[j] > best.can_above)
            .collect();
        // Open the most promising chunks first so the bound prunes the rest.
        order.sort_unstable_by(|&x, &y| {
            let gx = (ub_base[x] - best.base_above).max(ub_can[x] - best.can_above);
            let gy = (ub_base[y] - best.base_above).max(ub_can[y] - best.can_above);
            gy.total_cmp(&gx)
        });
        for j in order {
            if ub_base[j] <= best.base_above && ub_can[j] <= best.can_above {
                continue;
            }
            let (b0, c0) = prefix[j];
            let ch = &mut self.chunks[j];
            ch.sort();
            scan_chunk(&ch.base, &ch.can, b0, c0, na, nc, &mut best);
        }
        best
    }

    /// The `k`-th smallest (1-based) observation of `arm`, `1 <= k <= n_arm`.
    fn order_statistic(&mut self, arm: Arm, k: u64) -> f64 {
        let mut before = 0u64;
        let last = self.chunks.len() - 1;
        for (j, ch) in self.chunks.iter_mut().enumerate() {
            let len = match arm {
                Arm::Baseline => ch.base.len(),
                Arm::Canary => ch.can.len(),
            } as u64;
            if before + len >= k || j == last {
                let idx = (k - before - 1) as usize;
                return match arm {
                    Arm::Baseline => {
                        sort_tail(&mut ch.base, &mut ch.base_sorted);
                        ch.base[idx]
                    }
                    Arm::Canary => {
                        sort_tail(&mut ch.can, &mut ch.can_sorted);
                        ch.can[idx]
                    }
                };
            }
            before += len;
        }
        unreachable!("order statistic within the sample size")
    }
}

/// Walks one chunk's merged distinct values and updates the sup distances.
fn scan_chunk(
    base: &[f64],
    can: &[f64],
    b0: u64,
    c0: u64,
    na: f64,
    nc: f64,
    best: &mut SupDistances,
) {
    let (mut i, mut j) = (0usize, 0usize);
    while i < base.len() || j < can.len() {
        let v = match (base.get(i), can.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        while i < base.len() && base[i] == v {
            i += 1;
        }
        while j < can.len() && can[j] == v {
            j += 1;
        }
        let g = (b0 + i as u64) as f64 / na - (c0 + j as u64) as f64 / nc;
        best.base_above = best.base_above.max(g);
        best.can_above = best.can_above.max(-g);
    }
}

/// Splits `v` into (`< pivot`, `>= pivot`) keeping order; returns the sorted-prefix lengths.
fn stable_partition(v: &[f64], sorted: usize, pivot: f64) -> (Vec<f64>, Vec<f64>, usize, usize) {
    let mut lo = Vec::with_capacity(v.len() / 2 + 1);
    let mut hi = Vec::with_capacity(v.len() / 2 + 1);
    let (mut lo_sorted, mut hi_sorted) = (0, 0);
    for (i, &x) in v.iter().enumerate() {
        if x < pivot {
            lo.push(x);
            if i < sorted {
                lo_sorted += 1;
            }
        } else {
            hi.push(x);
            if i < sorted {
                hi_sorted += 1;
            }
        }
    }
    (lo, hi, lo_sorted, hi_sorted)
}

/// Streaming two-sample DKW test (see the [module docs](self)).
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::{Decision, Dkw, DkwOptions};
/// let mut test = Dkw::new(DkwOptions::new().quantiles(vec![0.5]))?;
/// let baseline: Vec<f64> = (0..2000).map(|i| (i % 100) as f64).collect();
/// let canary: Vec<f64> = (0..2000).map(|i| (i % 100) as f64 + 30.0).collect();
/// test.observe_baseline(&baseline)?;
/// test.observe_canary(&canary)?;
/// let look = test.look()?;
/// assert_eq!(look.decision, Decision::Reject);
/// let band = look.quantile_bands[0].difference;
/// assert!(band.lower <= 30.0 && 30.0 <= band.upper);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dkw {
    opts: DkwOptions,
    store: TwoSampleStore,
    running: RunningP,
    bands: Vec<Interval>,
}

impl Dkw {
    /// A fresh test.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an `alpha` outside (0, 1) or a quantile probability
    /// outside (0, 1).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Dkw, DkwOptions};
    /// let test = Dkw::new(DkwOptions::new())?;
    /// assert_eq!(test.p_value(), 1.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(opts: DkwOptions) -> Result<Self> {
        opts.validate()?;
        let bands = vec![Interval::EVERYTHING; opts.quantiles.len()];
        Ok(Dkw {
            opts,
            store: TwoSampleStore::new(),
            running: RunningP::new(),
            bands,
        })
    }

    /// The options.
    pub fn options(&self) -> &DkwOptions {
        &self.opts
    }

    /// Adds one observation to `arm`.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] for a NaN or infinite value (nothing is added).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Arm, Dkw, DkwOptions};
    /// let mut test = Dkw::new(DkwOptions::new())?;
    /// test.observe(Arm::Canary, 12.5)?;
    /// assert!(test.observe(Arm::Canary, f64::NAN).is_err());
    /// assert_eq!(test.counts(), (0, 1));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe(&mut self, arm: Arm, value: f64) -> Result<()> {
        check_value(arm_name(arm), value)?;
        self.store.insert(arm, value);
        Ok(())
    }

    /// Adds a batch of baseline observations; the same state as adding them one at a time.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] if any value is NaN or infinite (then nothing is added).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Dkw, DkwOptions};
    /// let mut test = Dkw::new(DkwOptions::new())?;
    /// test.observe_baseline(&[1.0, 2.0, 3.0])?;
    /// assert_eq!(test.counts(), (3, 0));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe_baseline(&mut self, values: &[f64]) -> Result<()> {
        self.observe_batch(Arm::Baseline, values)
    }

    /// Adds a batch of canary observations; see [`observe_baseline`](Self::observe_baseline).
    ///
    /// # Errors
    /// [`Error::InvalidSample`] if any value is NaN or infinite (then nothing is added).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Dkw, DkwOptions};
    /// let mut test = Dkw::new(DkwOptions::new())?;
    /// test.observe_canary(&[1.0, 2.0])?;
    /// assert_eq!(test.counts(), (0, 2));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe_canary(&mut self, values: &[f64]) -> Result<()> {
        self.observe_batch(Arm::Canary, values)
    }

    fn observe_batch(&mut self, arm: Arm, values: &[f64]) -> Result<()> {
        for &v in values {
            check_value(arm_name(arm), v)?;
        }
        for &v in values {
            self.store.insert(arm, v);
        }
        Ok(())
    }

    /// `(baseline, canary)` observation counts.
    pub fn counts(&self) -> (u64, u64) {
        (self.store.n_base, self.store.n_can)
    }

    /// The always-valid p-value as of the last look.
    pub fn p_value(&self) -> f64 {
        self.running.p_value
    }

    /// The decision as of the last look.
    pub fn decision(&self) -> Decision {
        Decision::from_p(self.running.p_value, self.opts.alpha)
    }

    /// Takes a look: the exact sup distance, the p-value and the quantile bands.
    ///
    /// # Errors
    /// None at present (the signature leaves room for host-persisted states that fail checks).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Dkw, DkwOptions, Decision};
    /// let mut test = Dkw::new(DkwOptions::new())?;
    /// test.observe_baseline(&[1.0, 2.0, 3.0])?;
    /// test.observe_canary(&[1.5, 2.5])?;
    /// let look = test.look()?;
    /// assert_eq!(look.decision, Decision::Continue);
    /// assert!((look.d - 1.0 / 3.0).abs() < 1e-12);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn look(&mut self) -> Result<DkwLook> {
        let (nb, nc) = (self.store.n_base, self.store.n_can);
        let (d, threshold, p) = if nb == 0 || nc == 0 {
            (0.0, f64::INFINITY, 1.0)
        } else {
            let s = self.store.sup_distances();
            let d = match self.opts.alternative {
                Alternative::Greater => s.base_above,
                Alternative::Less => s.can_above,
                _ => s.base_above.max(s.can_above),
            }
            .clamp(0.0, 1.0);
            let (fb, fc) = (nb as f64, nc as f64);
            let thr = threshold_ln(fb, fc, self.opts.alpha.ln());
            (d, thr, ks_p(d, fb, fc))
        };
        let p = self.running.update(p);
        let alpha = self.opts.alpha;
        let quantiles = self.opts.quantiles.clone();
        for (i, &q) in quantiles.iter().enumerate() {
            if nb > 0 && nc > 0 {
                let (lc, uc) = self.arm_quantile_band(Arm::Canary, q, alpha / 2.0);
                let (lb, ub) = self.arm_quantile_band(Arm::Baseline, q, alpha / 2.0);
                let now = Interval {
                    lower: lc - ub,
                    upper: uc - lb,
                };
                self.bands[i] = self.bands[i].intersect(sanitize(now));
            }
        }
        Ok(DkwLook {
            look: self.running.looks,
            n_baseline: nb,
            n_canary: nc,
            d,
            threshold,
            p_value: p,
            decision: Decision::from_p(p, alpha),
            quantile_bands: self
                .opts
                .quantiles
                .iter()
                .zip(&self.bands)
                .map(|(&p, &difference)| QuantileBand { p, difference })
                .collect(),
        })
    }

    /// The time-uniform band for one arm's `p`-quantile at level `alpha` (each end may be
    /// infinite): `[X_(floor(n(p - eps)) + 1), X_(ceil(n(p + eps)))]`, `eps = eps(n, alpha)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `p` or `alpha` outside (0, 1);
    /// [`Error::InvalidSample`] when the arm has no observations.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Arm, Dkw, DkwOptions};
    /// let mut test = Dkw::new(DkwOptions::new())?;
    /// let xs: Vec<f64> = (1..=10_000).map(f64::from).collect();
    /// test.observe_baseline(&xs)?;
    /// let band = test.quantile_band(Arm::Baseline, 0.5, 0.05)?;
    /// assert!(band.lower < 5000.0 && 5000.0 < band.upper);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn quantile_band(&mut self, arm: Arm, p: f64, alpha: f64) -> Result<Interval> {
        if !(p.is_finite() && p > 0.0 && p < 1.0) {
            return Err(Error::param("p", p, "must lie strictly between 0 and 1"));
        }
        check_alpha(alpha)?;
        let n = match arm {
            Arm::Baseline => self.store.n_base,
            Arm::Canary => self.store.n_can,
        };
        if n == 0 {
            return Err(Error::sample(arm_name(arm), "no observations yet"));
        }
        let (lower, upper) = self.arm_quantile_band(arm, p, alpha);
        Ok(Interval { lower, upper })
    }

    fn arm_quantile_band(&mut self, arm: Arm, p: f64, alpha: f64) -> (f64, f64) {
        let n = match arm {
            Arm::Baseline => self.store.n_base,
            Arm::Canary => self.store.n_can,
        };
        let nf = n as f64;
        let eps = radius_ln(nf, alpha.ln());
        let lo_idx = (nf * (p - eps)).floor() + 1.0;
        let hi_idx = (nf * (p + eps)).ceil();
        let lower = if lo_idx < 1.0 {
            f64::NEG_INFINITY
        } else {
            self.store.order_statistic(arm, lo_idx as u64)
        };
        let upper = if hi_idx > nf {
            f64::INFINITY
        } else {
            self.store.order_statistic(arm, hi_idx.max(1.0) as u64)
        };
        (lower, upper)
    }
}

/// `inf - inf` cannot occur (a lower end is never `+inf`), but guard against NaN anyway.
fn sanitize(iv: Interval) -> Interval {
    Interval {
        lower: if iv.lower.is_nan() {
            f64::NEG_INFINITY
        } else {
            iv.lower
        },
        upper: if iv.upper.is_nan() {
            f64::INFINITY
        } else {
            iv.upper
        },
    }
}

fn arm_name(arm: Arm) -> &'static str {
    match arm {
        Arm::Baseline => "baseline",
        Arm::Canary => "canary",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(b: &[f64], c: &[f64]) -> (f64, f64) {
        let (na, nc) = (b.len() as f64, c.len() as f64);
        let mut pos = 0.0f64;
        let mut neg = 0.0f64;
        for &x in b.iter().chain(c) {
            let fb = b.iter().filter(|&&v| v <= x).count() as f64 / na;
            let fc = c.iter().filter(|&&v| v <= x).count() as f64 / nc;
            pos = pos.max(fb - fc);
            neg = neg.max(fc - fb);
        }
        (pos, neg)
    }

    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn sup_distance_matches_brute_force_across_splits_and_ties() {
        let mut s = 7u64;
        let mut store = TwoSampleStore::new();
        let (mut b, mut c) = (Vec::new(), Vec::new());
        for i in 0..20_000 {
            // Rounded values give many ties; a few exact duplicates of 0 and -0.
            let v = (lcg(&mut s) * 300.0).round() / 3.0 + if i % 2 == 0 { 0.0 } else { 0.5 };
            let v = if i % 97 == 0 { -0.0 } else { v };
            if lcg(&mut s) < 0.4 {
                store.insert(Arm::Baseline, v);
                b.push(v);
            } else {
                store.insert(Arm::Canary, v);
                c.push(v);
            }
            if i % 5000 == 4999 {
                let got = store.sup_distances();
                let (pos, neg) = brute(&b, &c);
                assert!(
                    (got.base_above - pos).abs() < 1e-15,
                    "{} vs {pos}",
                    got.base_above
                );
                assert!((got.can_above - neg).abs() < 1e-15);
            }
        }
        assert!(store.chunks.len() > 4);
        let mut sb = b.clone();
        sb.sort_by(f64::total_cmp);
        for k in [1u64, 2, 500, sb.len() as u64] {
            assert_eq!(
                store.order_statistic(Arm::Baseline, k),
                sb[k as usize - 1] + 0.0
            );
        }
    }

    #[test]
    fn all_equal_values_do_not_split_forever() {
        let mut store = TwoSampleStore::new();
        for _ in 0..(3 * CHUNK_CAPACITY) {
            store.insert(Arm::Baseline, 1.0);
            store.insert(Arm::Canary, 1.0);
        }
        let s = store.sup_distances();
        assert_eq!((s.base_above, s.can_above), (0.0, 0.0));
    }

    #[test]
    fn closed_form_p_equals_bisection() {
        for &(d, n) in &[(0.1, 2000.0), (0.3, 500.0), (0.05, 100_000.0)] {
            let closed = ks_p(d, n, n);
            // Perturb one size by a hair to force the bisection branch.
            let bis = ks_p(d, n, n * (1.0 + 1e-13));
            assert!((closed - bis).abs() <= 1e-9 * closed, "{closed} {bis}");
        }
    }
}
