//! Sample quantiles (type 7) and medians: the one implementation every module uses.
//!
//! # Definitions
//! For `n` values sorted ascending, `x_(0) <= ... <= x_(n-1)`, the **type-7 quantile** at
//! probability `p` in `[0, 1]` (Hyndman and Fan 1996, definition 7; R's default
//! `quantile(x, p, type = 7)`, numpy's `quantile(x, p, method = "linear")`) is
//!
//! `h = (n - 1) p`, `k = floor(h)`, `Q(p) = x_(k) + (h - k) (x_(k+1) - x_(k))`,
//!
//! with `Q(p) = x_(k)` exactly when `h` is an integer (so no `0 * inf` appears when a difference
//! of order statistics overflows). The **median** is the middle order statistic for odd `n` and
//! the mean of the two middle ones for even `n`, computed without overflow
//! (`(a + b) / 2`, or `a / 2 + b / 2` when `a + b` overflows); it equals `Q(0.5)` up to rounding.

use crate::error::{Error, Result};
use crate::stats::sorted_sample;

/// The type-7 quantile of `values` at probability `p` (see the [module docs](self)).
///
/// The values need not be sorted (a sorted copy is made).
///
/// # Errors
/// [`Error::InvalidSample`] for an empty sample or a non-finite value;
/// [`Error::InvalidParameter`] for a `p` outside `[0, 1]`.
///
/// # Example
/// ```
/// use canary_analysis::stats::quantile::quantile;
/// // R: quantile(c(1, 2, 3, 4), 0.25) = 1.75
/// assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0], 0.25)?, 1.75);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn quantile(values: &[f64], p: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::param("p", p, "must lie in [0, 1]"));
    }
    let sorted = sorted_sample("sample", values)?;
    Ok(type7_sorted(&sorted, p))
}

/// The median of `values` (see the [module docs](self)).
///
/// # Errors
/// [`Error::InvalidSample`] for an empty sample or a non-finite value.
///
/// # Example
/// ```
/// use canary_analysis::stats::quantile::median;
/// assert_eq!(median(&[4.0, 1.0, 3.0, 2.0])?, 2.5);
/// assert_eq!(median(&[f64::MAX, f64::MAX])?, f64::MAX);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn median(values: &[f64]) -> Result<f64> {
    let sorted = sorted_sample("sample", values)?;
    Ok(median_sorted(&sorted))
}

/// Type-7 position `(k, h - k)` of probability `p` (clamped to `[0, 1]`) among `n >= 1` values.
#[inline]
pub(crate) fn type7_position(n: usize, p: f64) -> (usize, f64) {
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let k = (h.floor() as usize).min(n - 1);
    (k, h - k as f64)
}

/// The interpolation `a + frac (b - a)` between the order statistics `a = x_(k)` and
/// `b = x_(k+1)`, exactly `a` when `frac == 0`.
#[inline]
pub(crate) fn lerp(a: f64, b: f64, frac: f64) -> f64 {
    if frac == 0.0 { a } else { a + frac * (b - a) }
}

/// The mean of two order statistics without overflow.
#[inline]
pub(crate) fn midpoint(a: f64, b: f64) -> f64 {
    let s = a + b;
    if s.is_finite() {
        s / 2.0
    } else {
        a / 2.0 + b / 2.0
    }
}

/// The type-7 quantile of sorted (ascending) finite data; NaN for empty data.
pub(crate) fn type7_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let (k, frac) = type7_position(n, p);
    if k + 1 < n {
        lerp(sorted[k], sorted[k + 1], frac)
    } else {
        sorted[k]
    }
}

/// The median of sorted (ascending) finite data; NaN for empty data.
pub(crate) fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        midpoint(sorted[n / 2 - 1], sorted[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_matches_definition() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(type7_sorted(&v, 0.0), 1.0);
        assert_eq!(type7_sorted(&v, 1.0), 10.0);
        assert_eq!(type7_sorted(&v, 0.5), 3.0);
        // h = 4 * 0.99 = 3.96 -> 4 + 0.96 * 6
        assert!((type7_sorted(&v, 0.99) - 9.76).abs() < 1e-12);
        assert_eq!(type7_sorted(&[3.0], 0.99), 3.0);
        assert!(type7_sorted(&[], 0.5).is_nan());
        // no 0 * inf at an integer position
        assert_eq!(type7_sorted(&[-f64::MAX, f64::MAX], 0.0), -f64::MAX);
    }

    #[test]
    fn median_is_overflow_safe() {
        assert_eq!(median_sorted(&[1.0, 2.0, 3.0]), 2.0);
        assert_eq!(median_sorted(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert_eq!(median_sorted(&[f64::MAX, f64::MAX]), f64::MAX);
    }

    #[test]
    fn public_functions_validate() {
        assert!(quantile(&[], 0.5).is_err());
        assert!(quantile(&[1.0], 1.5).is_err());
        assert!(quantile(&[1.0, f64::NAN], 0.5).is_err());
        assert!(median(&[f64::INFINITY]).is_err());
    }
}
