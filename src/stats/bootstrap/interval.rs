//! Interval endpoints from a sorted bootstrap distribution: percentile, basic and BCa.

use super::{IntervalMethod, NAME};
use crate::error::{Error, Result};
use crate::stats::Alternative;
use crate::stats::normal::{cdf as normal_cdf, quantile as normal_quantile};
use crate::stats::quantile::type7_sorted as quantile_sorted;

/// The sample standard deviation (divisor `B - 1`).
pub(crate) fn standard_deviation(values: &[f64]) -> f64 {
    let b = values.len() as f64;
    let mean = super::statistic::sum(values) / b;
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (ss / (b - 1.0)).sqrt()
}

/// The jackknife acceleration of the spec from the left-one-out values of the statistic, one
/// vector per sample: `a = sum_j sum_i U_ji^3 / n_j^3 / (6 (sum_j sum_i U_ji^2 / n_j^2)^{3/2})`,
/// `U_ji = (n_j - 1)(mean_i theta_(j,i) - theta_(j,i))`. A sample whose left-one-out values are
/// all equal contributes exactly 0. All samples so: `Error::Degenerate` (a = 0/0).
pub(crate) fn acceleration(jackknife: &[Vec<f64>]) -> Result<f64> {
    let mut num = 0.0;
    let mut den = 0.0;
    for theta in jackknife {
        if let Some(v) = theta.iter().find(|v| !v.is_finite()) {
            return Err(Error::degenerate(
                "BCa acceleration",
                format!("a left-one-out (jackknife) value of the statistic is {v}"),
            ));
        }
        let first = theta[0];
        if theta.iter().all(|&t| t == first) {
            continue;
        }
        let n = theta.len() as f64;
        let mean = super::statistic::sum(theta) / n;
        let (mut s2, mut s3) = (0.0, 0.0);
        for &t in theta {
            let u = (n - 1.0) * (mean - t);
            s2 += u * u;
            s3 += u * u * u;
        }
        num += s3 / (n * n * n);
        den += s2 / (n * n);
    }
    if den == 0.0 || !den.is_finite() || !num.is_finite() {
        return Err(Error::degenerate(
            "BCa acceleration",
            "every left-one-out (jackknife) value of the statistic is the same (a = 0/0)",
        ));
    }
    Ok(num / (6.0 * den.powf(1.5)))
}

/// Interval endpoints and, for BCa, `(z0, a)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Endpoints {
    pub(crate) lower: f64,
    pub(crate) upper: f64,
    pub(crate) bias_correction: Option<f64>,
    pub(crate) acceleration: Option<f64>,
}

/// Computes the interval from the sorted distribution. `jackknife` is called for BCa only.
pub(crate) fn endpoints(
    method: IntervalMethod,
    alternative: Alternative,
    confidence: f64,
    estimate: f64,
    sorted: &[f64],
    jackknife: impl FnOnce() -> Result<Vec<Vec<f64>>>,
) -> Result<Endpoints> {
    let alpha = match alternative {
        Alternative::TwoSided => (1.0 - confidence) / 2.0,
        _ => 1.0 - confidence,
    };
    let (mut lower, mut upper, z0_out, a_out) = match method {
        IntervalMethod::Percentile => (
            quantile_sorted(sorted, alpha),
            quantile_sorted(sorted, 1.0 - alpha),
            None,
            None,
        ),
        IntervalMethod::Basic => (
            2.0 * estimate - quantile_sorted(sorted, 1.0 - alpha),
            2.0 * estimate - quantile_sorted(sorted, alpha),
            None,
            None,
        ),
        IntervalMethod::Bca => {
            let b = sorted.len();
            let below = sorted.partition_point(|&t| t < estimate);
            let at_or_below = sorted.partition_point(|&t| t <= estimate);
            let fraction = (below + at_or_below) as f64 / (2 * b) as f64;
            if below + at_or_below == 0 || below + at_or_below == 2 * b {
                return Err(Error::degenerate(
                    NAME,
                    format!(
                        "the estimate {estimate} lies outside the bootstrap distribution \
                         (bias-correction fraction {fraction}); BCa is undefined"
                    ),
                ));
            }
            let z0 = normal_quantile(fraction);
            let a = acceleration(&jackknife()?)?;
            let adjusted = |z: f64| {
                let num = z0 + z;
                normal_cdf(z0 + num / (1.0 - a * num))
            };
            let z_alpha = normal_quantile(alpha);
            let (p_lo, p_hi) = (adjusted(z_alpha), adjusted(-z_alpha));
            if !(p_lo.is_finite() && p_hi.is_finite()) {
                return Err(Error::degenerate(
                    NAME,
                    format!("the BCa levels are not finite (z0 = {z0}, a = {a})"),
                ));
            }
            (
                quantile_sorted(sorted, p_lo),
                quantile_sorted(sorted, p_hi),
                Some(z0),
                Some(a),
            )
        }
    };
    match alternative {
        Alternative::Less => lower = f64::NEG_INFINITY,
        Alternative::Greater => upper = f64::INFINITY,
        _ => {}
    }
    Ok(Endpoints {
        lower,
        upper,
        bias_correction: z0_out,
        acceleration: a_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceleration_of_constant_jackknife_is_degenerate() {
        let e = acceleration(&[vec![2.0; 5]]).unwrap_err();
        assert!(matches!(e, Error::Degenerate { .. }), "{e}");
    }

    #[test]
    fn acceleration_is_zero_for_symmetric_jackknife() {
        let a = acceleration(&[vec![-1.0, 0.0, 1.0]]).unwrap();
        assert_eq!(a, 0.0);
    }
}
