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
//! each block's two counts. When the number of observations `N` doubles, the blocks are re-cut
//! at every `t`-th value of the merged order, `t = max(BLOCK_SIZE, sqrt(N) / 16)` (`BLOCK_SIZE
//! = 64`); between re-cuts a block that outgrows `2 t` points is split in place into pieces of
//! about `t` (a run of ties is never cut: a block that is one run is left alone until it
//! doubles). So there are `O(sqrt(N))` blocks of `O(sqrt(N))` points whatever the order of the
//! stream (increasing, decreasing, adversarial or i.i.d.).
//!
//! Each block also caches, while it is unchanged, the two upper convex hulls of its steps
//! `(i, j)` (baseline and canary counts up to each distinct value inside it): the sup of
//! `(B0 + i)/n_B - (C0 + j)/n_C` over a block, for any current sizes, is attained at a hull
//! vertex found by binary search in exact integer arithmetic (a hull of lattice points in an
//! `s x s` box has `O(s^(2/3))` vertices, typically `O(log s)`).
//!
//! - **Ingest**, worst case for any order: a binary search over the bounds and an append,
//!   `O(log N)`, plus amortized `O(log N)` for the splits (`O(t log t)` sorting and `O(sqrt(N))`
//!   shifting, once per `t` insertions into a block: `O(16^2)` per observation) and `O(1)` for
//!   the doubling re-cuts. Measured on the shared 2-core machine: 3 x 10^6 strictly increasing
//!   values in 0.8 s (formerly about `N^1.8`: 49 s idle, over 120 s here).
//! - **Look**: `d` only changes at data points. A look walks the block counts (`O(sqrt(N))`),
//!   then visits the blocks whose bound `(B0 + b_j)/n_B - C0/n_C` (or its mirror) beats the best
//!   value so far, most promising first: an unchanged block answers from its cached hulls
//!   (`O(log N)`), a changed one is sorted and its hulls rebuilt (`O(sqrt(N))` plus sorting its
//!   new points); the answer is exact. For i.i.d. data the bound prunes all but a few blocks.
//!   Worst case `O(sqrt(N) log N + (k + 1) sqrt(N))` for `k` observations added since the
//!   previous look, at most `O(N log N)`; a look after every observation is
//!   `O(sqrt(N) log N)` (10^5 increasing values with a look after each: 8.6 s in all on the
//!   shared machine, formerly 44 s idle and over 120 s here). See `benches/sequential.rs`.
//! - **Quantile bands**: each order statistic walks the block counts and sorts one block's new
//!   points, `O(sqrt(N) + t log t)`.
//! - Memory: the observations (8 bytes each plus up to 2x vector slack), about 100 bytes per
//!   block and 16 bytes per hull vertex; the DKW tests and the quantile bands need every order
//!   statistic.

use serde::{Deserialize, Serialize};

use super::Arm;
use super::eprocess::{Decision, Interval, RunningP, check_alpha, check_value};
use crate::error::{Error, Result};
use crate::stats::Alternative;

/// Blocks are cut at `sqrt(N) / TARGET_DIVISOR` points (at least [`BLOCK_SIZE`]): small enough
/// that a look's bound prunes most blocks of an i.i.d. stream (blocks of `sqrt(N)` points span
/// about half the range of the empirical process and defeat the bound), large enough that
/// splits shift `O(TARGET_DIVISOR^2)` entries per observation amortized.
const TARGET_DIVISOR: u64 = 16;

/// The smallest number of observations per block when the blocks are (re)built (the size used
/// is `max(BLOCK_SIZE, sqrt(N) / 16)`, see the [module docs](self)).
pub const BLOCK_SIZE: usize = 64;

const DKW_A: f64 = 0.85;
const DKW_C: f64 = 0.8;
const DKW_K: f64 = 1612.0;

/// `eps(n, alpha) = 0.85 sqrt((ln ln(e n) + 0.8 ln(1612/alpha)) / n)` with `ln alpha` given.
fn radius_ln(n: f64, ln_alpha: f64) -> f64 {
    DKW_A * ((n.ln().ln_1p() + DKW_C * (DKW_K.ln() - ln_alpha)) / n).sqrt()
}

/// The time-uniform DKW radius `eps(n, alpha)` (Howard & Ramdas 2022, closed form). Time `O(1)`.
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
/// unsorted tail of values added since the block was last opened, and (when the block has not
/// changed since) the convex hulls of its empirical-process steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Block {
    base: Vec<f64>,
    base_sorted: usize,
    can: Vec<f64>,
    can_sorted: usize,
    /// The block is not split again before it holds this many points (a run of ties cannot be
    /// cut).
    #[serde(default)]
    split_floor: u64,
    /// Cached hulls (a function of the block's values; rebuilt when needed, never persisted).
    #[serde(skip)]
    hulls: Option<Hulls>,
}

impl PartialEq for Block {
    fn eq(&self, other: &Self) -> bool {
        // The hull cache is derived data.
        self.base == other.base
            && self.base_sorted == other.base_sorted
            && self.can == other.can
            && self.can_sorted == other.can_sorted
            && self.split_floor == other.split_floor
    }
}

/// The upper convex hulls of a block's local steps `(i, j)` (baseline and canary values `<=` each
/// distinct value of the block, counted from the block's start): `up` over `(x = j, y = i)`
/// answers `max (B0 + i) / n_B - (C0 + j) / n_C`, `down` over `(x = i, y = j)` the mirror image,
/// for any sizes, by a binary search. A hull of lattice points in an `s x s` box has
/// `O(s^(2/3))` vertices (typically `O(log s)`).
#[derive(Debug, Clone, Default)]
struct Hulls {
    up: Vec<(u64, u64)>,
    down: Vec<(u64, u64)>,
}

impl Block {
    fn empty() -> Self {
        Block {
            base: Vec::new(),
            base_sorted: 0,
            can: Vec::new(),
            can_sorted: 0,
            split_floor: 0,
            hulls: None,
        }
    }
    fn sort(&mut self) {
        sort_tail(&mut self.base, &mut self.base_sorted);
        sort_tail(&mut self.can, &mut self.can_sorted);
    }
    fn len(&self) -> u64 {
        (self.base.len() + self.can.len()) as u64
    }
    /// The hulls, sorting the block and building them if the block changed (`O(s log s)` for a
    /// tail of `s` new points plus `O(block size)`).
    fn hulls(&mut self) -> &Hulls {
        if self.hulls.is_none() {
            self.sort();
            let mut up = Vec::new();
            let mut down = Vec::new();
            walk_steps(&self.base, &self.can, |i, j| {
                push_hull(&mut up, (j, i));
                push_hull(&mut down, (i, j));
            });
            self.hulls = Some(Hulls { up, down });
        }
        self.hulls.as_ref().expect("built above")
    }
}

/// Calls `f(i, j)` at the end of each distinct value of the merged sorted `base` and `can`,
/// with `i`, `j` the counts of values `<=` it.
fn walk_steps(base: &[f64], can: &[f64], mut f: impl FnMut(u64, u64)) {
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
        f(i as u64, j as u64);
    }
}

/// Adds `p` to an upper hull of points given in non-decreasing `x` (and, along the walk,
/// non-decreasing `y`): monotone chain, popping vertices that are not strictly convex.
fn push_hull(h: &mut Vec<(u64, u64)>, p: (u64, u64)) {
    // Same x, larger or equal y: p dominates.
    if h.last().is_some_and(|last| last.0 == p.0) {
        h.pop();
    }
    while h.len() >= 2 {
        let (o, a) = (h[h.len() - 2], h[h.len() - 1]);
        // Block-local counts: i64 products are exact below 2^31, else i128.
        let convex = if p.0.max(p.1) < 1 << 31 {
            let (ax, ay, px, py) = (
                a.0 as i64 - o.0 as i64,
                a.1 as i64 - o.1 as i64,
                p.0 as i64 - o.0 as i64,
                p.1 as i64 - o.1 as i64,
            );
            ax * py - ay * px < 0
        } else {
            (a.0 as i128 - o.0 as i128) * (p.1 as i128 - o.1 as i128)
                - (a.1 as i128 - o.1 as i128) * (p.0 as i128 - o.0 as i128)
                < 0
        };
        if !convex {
            h.pop();
        } else {
            break;
        }
    }
    h.push(p);
}

/// The vertex of an upper hull maximizing `y wy - x wx` (`wx, wy > 0`), by binary search on the
/// (unimodal) values along the hull, in exact integer arithmetic.
fn hull_argmax(h: &[(u64, u64)], wx: u64, wy: u64) -> Option<(u64, u64)> {
    let rises = |k: usize| -> bool {
        let (a, b) = (h[k], h[k + 1]);
        (b.1 - a.1) as u128 * wy as u128 > (b.0 - a.0) as u128 * wx as u128
    };
    let (mut lo, mut hi) = (0usize, h.len().checked_sub(1)?);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if rises(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Some(h[lo])
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
/// caches `(base.len(), can.len())` so a look walks one flat array. A rebuild (when the number
/// of observations doubles) re-cuts the blocks at every `target`-th value of the merged order,
/// `target = max(BLOCK_SIZE, sqrt(N))`; between rebuilds a block that outgrows `2 target` is
/// split in place into pieces of about `target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TwoSampleStore {
    bounds: Vec<f64>,
    sizes: Vec<(u64, u64)>,
    blocks: Vec<Block>,
    n_base: u64,
    n_can: u64,
    /// Total observations at the last rebuild.
    rebuilt_at: u64,
    /// The block size the last rebuild cut at.
    #[serde(default)]
    target: u64,
}

/// Sup distances between the empirical CDFs: `(sup (F_B - F_C), sup (F_C - F_B))`, both >= 0.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SupDistances {
    base_above: f64,
    can_above: f64,
}

/// One piece of a cut: `base[i0..i]`, `can[j0..j]`.
struct Piece {
    i0: usize,
    i: usize,
    j0: usize,
    j: usize,
}

/// Cuts merged sorted `base` and `can` into pieces of `target` values of the merged order, each
/// extended to the end of its last tie run (so no run of ties is ever split).
fn cut(base: &[f64], can: &[f64], target: usize) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let (mut i, mut j) = (0usize, 0usize);
    while i < base.len() || j < can.len() {
        let (i0, j0) = (i, j);
        let mut taken = 0;
        let mut last = f64::NEG_INFINITY;
        while taken < target && (i < base.len() || j < can.len()) {
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
        pieces.push(Piece { i0, i, j0, j });
    }
    pieces
}

/// The smallest value of a piece.
fn piece_first(base: &[f64], can: &[f64], p: &Piece) -> f64 {
    match (p.i0 < p.i, p.j0 < p.j) {
        (true, true) => base[p.i0].min(can[p.j0]),
        (true, false) => base[p.i0],
        _ => can[p.j0],
    }
}

/// A block holding a piece (sorted), with room to double before the next re-cut.
fn piece_block(base: &[f64], can: &[f64], p: &Piece) -> Block {
    let mut bv = Vec::with_capacity(2 * (p.i - p.i0));
    bv.extend_from_slice(&base[p.i0..p.i]);
    let mut cv = Vec::with_capacity(2 * (p.j - p.j0));
    cv.extend_from_slice(&can[p.j0..p.j]);
    Block {
        base_sorted: bv.len(),
        base: bv,
        can_sorted: cv.len(),
        can: cv,
        split_floor: 0,
        hulls: None,
    }
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
            target: BLOCK_SIZE as u64,
        }
    }

    fn total(&self) -> u64 {
        self.n_base + self.n_can
    }

    /// The block size of cuts and splits.
    fn target(&self) -> u64 {
        self.target.max(BLOCK_SIZE as u64)
    }

    /// The most points block `j` may hold before it is split.
    fn block_limit(&self, j: usize) -> u64 {
        (2 * self.target()).max(self.blocks[j].split_floor)
    }

    fn insert(&mut self, arm: Arm, x: f64) {
        // -0.0 and 0.0 are the same observation.
        let x = x + 0.0;
        let j = self.bounds.partition_point(|&b| b <= x);
        let block = &mut self.blocks[j];
        block.hulls = None;
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
        if self.total() >= 2 * self.rebuilt_at.max(BLOCK_SIZE as u64 / 2) {
            self.rebuild();
        } else if in_block > self.block_limit(j) {
            self.split(j);
        }
    }

    /// Splits block `j` into pieces of about `target` values (`O(s log s)` for its `s` points,
    /// plus `O(blocks)` to shift the flat arrays). A block that is one run of ties (or nearly)
    /// cannot be cut; it is then left alone until it doubles.
    fn split(&mut self, j: usize) {
        let target = self.target() as usize;
        let block = &mut self.blocks[j];
        block.sort();
        let pieces = cut(&block.base, &block.can, target);
        if pieces.len() < 2 {
            block.split_floor = 2 * block.len();
            return;
        }
        let (base, can) = (&block.base, &block.can);
        let new_bounds: Vec<f64> = pieces[1..]
            .iter()
            .map(|p| piece_first(base, can, p))
            .collect();
        let new_sizes: Vec<(u64, u64)> = pieces
            .iter()
            .map(|p| ((p.i - p.i0) as u64, (p.j - p.j0) as u64))
            .collect();
        let new_blocks: Vec<Block> = pieces.iter().map(|p| piece_block(base, can, p)).collect();
        self.bounds.splice(j..j, new_bounds);
        self.sizes.splice(j..=j, new_sizes);
        self.blocks.splice(j..=j, new_blocks);
    }

    /// Re-cuts the blocks at every `target`-th value of the merged sorted order (never inside a
    /// run of ties), in linear time after sorting the blocks' tails.
    fn rebuild(&mut self) {
        let mut base = Vec::with_capacity(self.n_base as usize);
        let mut can = Vec::with_capacity(self.n_can as usize);
        for b in &mut self.blocks {
            b.sort();
            base.extend_from_slice(&b.base);
            can.extend_from_slice(&b.can);
        }
        self.target = (BLOCK_SIZE as u64).max((self.total() as f64).sqrt() as u64 / TARGET_DIVISOR);
        let pieces = cut(&base, &can, self.target as usize);
        let mut bounds = Vec::with_capacity(pieces.len());
        let mut sizes = Vec::with_capacity(pieces.len());
        let mut blocks = Vec::with_capacity(pieces.len());
        for (k, p) in pieces.iter().enumerate() {
            if k > 0 {
                bounds.push(piece_first(&base, &can, p));
            }
            sizes.push(((p.i - p.i0) as u64, (p.j - p.j0) as u64));
            blocks.push(piece_block(&base, &can, p));
        }
        if blocks.is_empty() {
            blocks.push(Block::empty());
            sizes.push((0, 0));
        }
        self.bounds = bounds;
        self.sizes = sizes;
        self.blocks = blocks;
        self.rebuilt_at = self.total();
    }

    /// The sup distances between the arms' empirical CDFs (exact); both arms non-empty.
    fn sup_distances(&mut self) -> SupDistances {
        let (nb, nc) = (self.n_base, self.n_can);
        let na = nb as f64;
        let ncf = nc as f64;
        let mut best = SupDistances {
            base_above: 0.0,
            can_above: 0.0,
        };
        let value = |i: u64, j: u64| i as f64 / na - j as f64 / ncf;
        // Pass 1: attained values at block ends.
        let (mut b0, mut c0) = (0u64, 0u64);
        for &(cb, cc) in &self.sizes {
            b0 += cb;
            c0 += cc;
            let end = value(b0, c0);
            best.base_above = best.base_above.max(end);
            best.can_above = best.can_above.max(-end);
        }
        // Pass 2: blocks whose bound beats the best so far, most promising first: an unchanged
        // block answers from its cached hulls (O(log)), a changed one is sorted and its hulls
        // rebuilt (then cached for later looks).
        let gap = |sizes: &[(u64, u64)], best: &SupDistances, j: usize, b0: u64, c0: u64| {
            let (cb, cc) = sizes[j];
            let up = value(b0 + cb, c0) - best.base_above;
            let down = -value(b0, c0 + cc) - best.can_above;
            up.max(down)
        };
        let mut open: Vec<(f64, usize, u64, u64)> = Vec::new();
        let (mut b0, mut c0) = (0u64, 0u64);
        for (j, &(cb, cc)) in self.sizes.iter().enumerate() {
            let g = gap(&self.sizes, &best, j, b0, c0);
            if g > 0.0 && cb + cc > 0 {
                open.push((g, j, b0, c0));
            }
            b0 += cb;
            c0 += cc;
        }
        open.sort_unstable_by(|x, y| y.0.total_cmp(&x.0));
        for (_, j, b0, c0) in open {
            if gap(&self.sizes, &best, j, b0, c0) <= 0.0 {
                continue;
            }
            let h = self.blocks[j].hulls();
            if let Some((jj, ii)) = hull_argmax(&h.up, nb, nc) {
                best.base_above = best.base_above.max(value(b0 + ii, c0 + jj));
            }
            if let Some((ii, jj)) = hull_argmax(&h.down, nc, nb) {
                best.can_above = best.can_above.max(-value(b0 + ii, c0 + jj));
            }
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

    /// Adds one observation to `arm`. Worst-case time `O(log N)` amortized for any order of the
    /// stream (see the [module docs](self)).
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
    /// Worst-case time `O(k log N)` amortized for `k` values.
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
    /// Worst-case time `O(k log N)` amortized for `k` values.
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
    /// Worst-case time `O(sqrt(N) log N + (k + 1) sqrt(N))` for `k` observations added since
    /// the previous look (at most `O(N log N)`), plus `O(sqrt(N) + sqrt(N) log N)` per quantile
    /// band; see the [module docs](self).
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
    /// Worst-case time `O(sqrt(N) log N)` (two order statistics).
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
                .enumerate()
                .all(|(j, &(b, c))| b + c <= store.block_limit(j))
        );
        assert!(store.blocks.len() > 20);
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

    #[test]
    fn cached_hulls_give_the_exact_sup_in_every_order() {
        // Increasing, decreasing, organ-pipe and random streams with ties, with looks in
        // between (so unchanged blocks answer from their cached hulls), against brute force.
        let mut s = 11u64;
        let n = 6000usize;
        let orders: Vec<Vec<f64>> = vec![
            (0..n).map(|i| i as f64).collect(),
            (0..n).map(|i| (n - i) as f64).collect(),
            (0..n)
                .map(|i| if i % 2 == 0 { i as f64 } else { -(i as f64) })
                .collect(),
            (0..n).map(|_| (lcg(&mut s) * 500.0).round()).collect(),
        ];
        for values in orders {
            let mut store = TwoSampleStore::new();
            let (mut b, mut c) = (Vec::new(), Vec::new());
            for (i, &v) in values.iter().enumerate() {
                let to_base = lcg(&mut s) < 0.45;
                if to_base {
                    store.insert(Arm::Baseline, v);
                    b.push(v);
                } else {
                    store.insert(Arm::Canary, v);
                    c.push(v);
                }
                if (i % 37 == 36 || i == n - 1) && !b.is_empty() && !c.is_empty() {
                    let got = store.sup_distances();
                    if i % 370 == 369 || i == n - 1 {
                        let (pos, neg) = brute(&b, &c);
                        assert!((got.base_above - pos).abs() < 1e-15, "{i}");
                        assert!((got.can_above - neg).abs() < 1e-15, "{i}");
                    }
                }
            }
            assert!(store.blocks.len() > 4);
        }
    }

    #[test]
    fn hull_argmax_matches_a_scan() {
        let pts: Vec<(u64, u64)> = vec![(0, 1), (1, 3), (2, 4), (4, 5), (7, 6), (9, 6)];
        let mut h = Vec::new();
        for &p in &pts {
            push_hull(&mut h, p);
        }
        for (wx, wy) in [(1u64, 1u64), (1, 5), (5, 1), (2, 3), (100, 1), (1, 100)] {
            let best = pts
                .iter()
                .map(|&(x, y)| y as i128 * wy as i128 - x as i128 * wx as i128)
                .max()
                .unwrap();
            let (x, y) = hull_argmax(&h, wx, wy).unwrap();
            assert_eq!(y as i128 * wy as i128 - x as i128 * wx as i128, best);
        }
    }
}
