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
//! The two samples live in one value-ordered sequence of *blocks*: block `j` holds every
//! observation (of either arm) in `[bound_{j-1}, bound_j)` in two vectors (a sorted prefix and
//! an unsorted tail of values added since the block was last opened), and a flat array caches
//! each block's two counts. The bounds are cut at every [`BLOCK_SIZE`]-th value (`B = 64`) of
//! the merged order and re-cut (in linear time after sorting the tails) when the number of
//! observations doubles, or when a block outgrows `max(16 B, sqrt(N))` points (or twice the
//! largest block of the last cut, since a run of ties is never cut).
//!
//! - Ingest: a binary search over the `N / B` bounds and an append, `O(log N)`; the doubling
//!   re-cuts add amortized `O(1)` per observation for i.i.d. (exchangeable) streams, which is
//!   the setting the DKW bands assume. An adversarially ordered stream (for example increasing
//!   values) piles into one block and triggers the size re-cut, amortized `O(N / B)` worst case.
//! - Look: `d` only changes at data points. A look walks the block counts twice (`O(N / B)`):
//!   a block ending where the baseline prefix count is `B0 + b_j` and the canary's is `C0 + c_j`
//!   gives an attained value `(B0 + b_j)/n_B - (C0 + c_j)/n_C` and an upper bound
//!   `(B0 + b_j)/n_B - C0/n_C` for every point inside it (and the mirror image for the other
//!   sign). Only blocks whose bound beats the best attained value are opened (tail sorted,
//!   merged and scanned, `O(B)` when the tail is short), most promising first; the answer is
//!   exact. Near the null or a shift, the number of opened blocks is about `B` whatever `N`
//!   (the empirical process near its maximum moves like a random walk); in the worst case
//!   every block is opened (`O(N)` per look). A look over a million points per arm costs a few
//!   hundred microseconds (see `benches/sequential.rs`).
//! - Memory: the observations (8 bytes each plus vector slack) and about 80 bytes per block;
//!   the DKW tests and the quantile bands need every order statistic.

use serde::{Deserialize, Serialize};

use super::Arm;
use super::eprocess::{Decision, Interval, RunningP, check_alpha, check_value};
use crate::error::{Error, Result};
use crate::stats::Alternative;

/// The number of observations per block when the blocks are (re)built.
pub const BLOCK_SIZE: usize = 64;

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
    #[serde(with = "crate::serde_float::nonfinite")]
    pub threshold: f64,
    /// Always-valid p-value (running minimum over looks).
    pub p_value: f64,
    /// `Reject` when `p_value < alpha`.
    pub decision: Decision,
    /// Quantile-difference bands for the configured probabilities.
    pub quantile_bands: Vec<QuantileBand>,
}

/// One value-range of the observations: both arms' values, each a sorted prefix followed by an
/// unsorted tail of values added since the block was last opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Block {
    base: Vec<f64>,
    base_sorted: usize,
    can: Vec<f64>,
    can_sorted: usize,
}

impl Block {
    fn empty() -> Self {
        Block {
            base: Vec::new(),
            base_sorted: 0,
            can: Vec::new(),
            can_sorted: 0,
        }
    }
    fn sort(&mut self) {
        sort_tail(&mut self.base, &mut self.base_sorted);
        sort_tail(&mut self.can, &mut self.can_sorted);
    }
}

/// Sorts `v` given that `v[..*sorted]` is sorted: sorts the tail, then the stable sort (which
/// detects the two runs) merges them in linear time.
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
///
/// Block `j` holds the values in `[bounds[j-1], bounds[j])` (unbounded at both ends); `sizes[j]`
/// caches `(base.len(), can.len())` so a look walks one flat array. The bounds are fixed between
/// rebuilds; a rebuild re-cuts the blocks at every [`BLOCK_SIZE`]-th value of the merged order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TwoSampleStore {
    bounds: Vec<f64>,
    sizes: Vec<(u64, u64)>,
    blocks: Vec<Block>,
    n_base: u64,
    n_can: u64,
    /// Total observations at the last rebuild.
    rebuilt_at: u64,
    /// The largest block right after the last rebuild (a long run of ties cannot be cut).
    largest_at_rebuild: u64,
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
            bounds: Vec::new(),
            sizes: vec![(0, 0)],
            blocks: vec![Block::empty()],
            n_base: 0,
            n_can: 0,
            rebuilt_at: 0,
            largest_at_rebuild: 0,
        }
    }

    fn total(&self) -> u64 {
        self.n_base + self.n_can
    }

    /// The most points a block may hold before the blocks are re-cut.
    fn block_limit(&self) -> u64 {
        (16 * BLOCK_SIZE as u64)
            .max((self.total() as f64).sqrt() as u64)
            .max(2 * self.largest_at_rebuild)
    }

    fn insert(&mut self, arm: Arm, x: f64) {
        // -0.0 and 0.0 are the same observation.
        let x = x + 0.0;
        let j = self.bounds.partition_point(|&b| b <= x);
        let block = &mut self.blocks[j];
        let size = &mut self.sizes[j];
        match arm {
            Arm::Baseline => {
                block.base.push(x);
                size.0 += 1;
                self.n_base += 1;
            }
            Arm::Canary => {
                block.can.push(x);
                size.1 += 1;
                self.n_can += 1;
            }
        }
        let in_block = size.0 + size.1;
        if self.total() >= 2 * self.rebuilt_at.max(BLOCK_SIZE as u64 / 2)
            || in_block > self.block_limit()
        {
            self.rebuild();
        }
    }

    /// Re-cuts the blocks at every `BLOCK_SIZE`-th value of the merged sorted order (never
    /// inside a run of ties), in linear time after sorting the blocks' tails.
    fn rebuild(&mut self) {
        let mut base = Vec::with_capacity(self.n_base as usize);
        let mut can = Vec::with_capacity(self.n_can as usize);
        for b in &mut self.blocks {
            b.sort();
            base.extend_from_slice(&b.base);
            can.extend_from_slice(&b.can);
        }
        let mut bounds = Vec::new();
        let mut sizes = Vec::new();
        let mut blocks = Vec::new();
        let (mut i, mut j) = (0usize, 0usize);
        while i < base.len() || j < can.len() {
            // Take BLOCK_SIZE values of the merged order, then the rest of a tie run.
            let (i0, j0) = (i, j);
            let mut taken = 0;
            let mut last = f64::NEG_INFINITY;
            while taken < BLOCK_SIZE && (i < base.len() || j < can.len()) {
                if j >= can.len() || (i < base.len() && base[i] <= can[j]) {
                    last = base[i];
                    i += 1;
                } else {
                    last = can[j];
                    j += 1;
                }
                taken += 1;
            }
            while i < base.len() && base[i] == last {
                i += 1;
            }
            while j < can.len() && can[j] == last {
                j += 1;
            }
            if !blocks.is_empty() {
                let first = match (base.get(i0), can.get(j0)) {
                    (Some(&a), Some(&b)) if i0 < i && j0 < j => a.min(b),
                    (Some(&a), _) if i0 < i => a,
                    (_, Some(&b)) => b,
                    _ => unreachable!("a block takes at least one value"),
                };
                bounds.push(first);
            }
            sizes.push(((i - i0) as u64, (j - j0) as u64));
            // Each block is expected to double before the next re-cut: reserve for it.
            let mut bv = Vec::with_capacity(2 * (i - i0));
            bv.extend_from_slice(&base[i0..i]);
            let mut cv = Vec::with_capacity(2 * (j - j0));
            cv.extend_from_slice(&can[j0..j]);
            blocks.push(Block {
                base: bv,
                base_sorted: i - i0,
                can: cv,
                can_sorted: j - j0,
            });
        }
        if blocks.is_empty() {
            blocks.push(Block::empty());
            sizes.push((0, 0));
        }
        self.bounds = bounds;
        self.sizes = sizes;
        self.blocks = blocks;
        self.rebuilt_at = self.total();
        self.largest_at_rebuild = self.sizes.iter().map(|&(b, c)| b + c).max().unwrap_or(0);
    }

    /// The sup distances between the arms' empirical CDFs (exact); both arms non-empty.
    fn sup_distances(&mut self) -> SupDistances {
        let na = self.n_base as f64;
        let nc = self.n_can as f64;
        let mut best = SupDistances {
            base_above: 0.0,
            can_above: 0.0,
        };
        // Pass 1: attained values at block ends.
        let (mut b1, mut c1) = (0u64, 0u64);
        for &(cb, cc) in &self.sizes {
            b1 += cb;
            c1 += cc;
            let end = b1 as f64 / na - c1 as f64 / nc;
            best.base_above = best.base_above.max(end);
            best.can_above = best.can_above.max(-end);
        }
        // Pass 2: blocks whose bound beats the attained values, with their prefix counts.
        let mut open: Vec<(f64, usize, u64, u64)> = Vec::new();
        let (mut b0, mut c0) = (0u64, 0u64);
        for (j, &(cb, cc)) in self.sizes.iter().enumerate() {
            let up = (b0 + cb) as f64 / na - c0 as f64 / nc - best.base_above;
            let down = (c0 + cc) as f64 / nc - b0 as f64 / na - best.can_above;
            let gap = up.max(down);
            if gap > 0.0 {
                open.push((gap, j, b0, c0));
            }
            b0 += cb;
            c0 += cc;
        }
        // Open the most promising blocks first so the bound prunes the rest.
        open.sort_unstable_by(|x, y| y.0.total_cmp(&x.0));
        for (_, j, b0, c0) in open {
            let (cb, cc) = self.sizes[j];
            let up = (b0 + cb) as f64 / na - c0 as f64 / nc - best.base_above;
            let down = (c0 + cc) as f64 / nc - b0 as f64 / na - best.can_above;
            if up <= 0.0 && down <= 0.0 {
                continue;
            }
            let block = &mut self.blocks[j];
            block.sort();
            scan_block(&block.base, &block.can, b0, c0, na, nc, &mut best);
        }
        best
    }

    /// The `k`-th smallest (1-based) observation of `arm`, `1 <= k <= n_arm`.
    fn order_statistic(&mut self, arm: Arm, k: u64) -> f64 {
        let mut before = 0u64;
        let last = self.sizes.len() - 1;
        for (j, &(cb, cc)) in self.sizes.iter().enumerate() {
            let len = match arm {
                Arm::Baseline => cb,
                Arm::Canary => cc,
            };
            if before + len >= k || j == last {
                let idx = (k - before - 1) as usize;
                let block = &mut self.blocks[j];
                return match arm {
                    Arm::Baseline => {
                        sort_tail(&mut block.base, &mut block.base_sorted);
                        block.base[idx]
                    }
                    Arm::Canary => {
                        sort_tail(&mut block.can, &mut block.can_sorted);
                        block.can[idx]
                    }
                };
            }
            before += len;
        }
        unreachable!("order statistic within the sample size")
    }
}

/// Walks one block's merged distinct values and updates the sup distances.
fn scan_block(
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
        assert!(store.blocks.len() > 4);
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
    fn all_equal_values_and_monotone_streams() {
        let mut store = TwoSampleStore::new();
        for _ in 0..(40 * BLOCK_SIZE) {
            store.insert(Arm::Baseline, 1.0);
            store.insert(Arm::Canary, 1.0);
        }
        let s = store.sup_distances();
        assert_eq!((s.base_above, s.can_above), (0.0, 0.0));
        // An increasing stream lands in the last block; the limit forces re-cuts.
        let mut store = TwoSampleStore::new();
        for i in 0..20_000 {
            store.insert(Arm::Baseline, f64::from(i));
            store.insert(Arm::Canary, f64::from(i) + 0.5);
        }
        assert!(
            store
                .sizes
                .iter()
                .all(|&(b, c)| b + c <= store.block_limit())
        );
        let s = store.sup_distances();
        assert!((s.base_above - 1.0 / 20_000.0).abs() < 1e-15);
        assert_eq!(s.can_above, 0.0);
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
