//! The standard normal distribution: the one implementation of its tail, distribution and
//! quantile functions, for every test and interval in the crate.
//!
//! `sf(z) = P(Z > z) = erfc(z / sqrt 2) / 2`, `cdf(x) = sf(-x)` and
//! `quantile(p) = -sqrt 2 erfc^-1(2 p)` (so `cdf(quantile(p)) = p`), with `erfc` and its inverse
//! from `statrs` (about 1e-10 relative accuracy for `erfc`, 1e-15 for its inverse). The tail is
//! formed from `erfc` directly, never as `1 - cdf`, so it keeps its relative accuracy far out.
//! These match `scipy.stats.norm.sf`, `.cdf` and `.ppf` (R's `pnorm(z, lower.tail = FALSE)`,
//! `pnorm`, `qnorm`).

use std::f64::consts::SQRT_2;

use statrs::function::erf::{erfc, erfc_inv};

/// The upper tail `P(Z > z)`.
#[inline]
pub(crate) fn sf(z: f64) -> f64 {
    0.5 * erfc(z / SQRT_2)
}

/// The distribution function `P(Z <= x)`.
#[inline]
pub(crate) fn cdf(x: f64) -> f64 {
    sf(-x)
}

/// The quantile `z` with `P(Z <= z) = p`, for `0 < p < 1`.
#[inline]
pub(crate) fn quantile(p: f64) -> f64 {
    -SQRT_2 * erfc_inv(2.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_cdf() {
        for &p in &[1e-12, 1e-6, 0.01, 0.3, 0.5, 0.8, 0.975, 1.0 - 1e-9] {
            let z = quantile(p);
            assert!((cdf(z) - p).abs() <= 1e-9 * p, "{p}");
        }
        assert_eq!(quantile(0.5), 0.0);
        assert_eq!(sf(0.0), 0.5);
    }
}
