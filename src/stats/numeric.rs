//! Numeric helpers shared by the tests: binomial coefficients in log space and Brent's root
//! finder.

use statrs::function::gamma::ln_gamma;

use crate::error::Result;

/// `ln C(n, k)` from log-gamma (`k <= n`).
pub(crate) fn ln_choose(n: usize, k: usize) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// R's `zeroin` (Brent 1973's root finder, as in R's `uniroot`): finds a root of `f` in
/// `[a, b]` given `fa = f(a)`, `fb = f(b)` of opposite signs, to within `tol`, in at most
/// `max_iter` iterations. Written from Brent's published algorithm (bisection, secant and inverse
/// quadratic interpolation, with the step acceptance tests of Brent's ZEROIN).
pub(crate) fn zeroin(
    mut a: f64,
    mut b: f64,
    mut fa: f64,
    mut fb: f64,
    f: &mut dyn FnMut(f64) -> Result<f64>,
    tol: f64,
    max_iter: usize,
) -> Result<f64> {
    if fa == 0.0 {
        return Ok(a);
    }
    if fb == 0.0 {
        return Ok(b);
    }
    let mut c = a;
    let mut fc = fa;
    for _ in 0..=max_iter {
        let prev_step = b - a;
        if fc.abs() < fb.abs() {
            // Keep b the best approximation so far.
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol_act = 2.0 * f64::EPSILON * b.abs() + tol / 2.0;
        let mut new_step = (c - b) / 2.0;
        if new_step.abs() <= tol_act || fb == 0.0 {
            return Ok(b);
        }
        if prev_step.abs() >= tol_act && fa.abs() > fb.abs() {
            let cb = c - b;
            let (mut p, mut q);
            if a == c {
                // Linear interpolation (secant).
                let t1 = fb / fa;
                p = cb * t1;
                q = 1.0 - t1;
            } else {
                // Inverse quadratic interpolation.
                let qq = fa / fc;
                let t1 = fb / fc;
                let t2 = fb / fa;
                p = t2 * (cb * qq * (qq - t1) - (b - a) * (t1 - 1.0));
                q = (qq - 1.0) * (t1 - 1.0) * (t2 - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if p < 0.75 * cb * q - (tol_act * q).abs() / 2.0 && p < (prev_step * q / 2.0).abs() {
                new_step = p / q;
            }
        }
        if new_step.abs() < tol_act {
            new_step = if new_step > 0.0 { tol_act } else { -tol_act };
        }
        a = b;
        fa = fb;
        b += new_step;
        fb = f(b)?;
        if (fb > 0.0 && fc > 0.0) || (fb < 0.0 && fc < 0.0) {
            c = a;
            fc = fa;
        }
    }
    // R's uniroot warns and returns the last iterate.
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_choose_matches_the_integer() {
        assert!((ln_choose(20, 10) - 184_756f64.ln()).abs() < 1e-9);
        assert_eq!(ln_choose(7, 0), 0.0);
    }

    #[test]
    fn zeroin_finds_a_smooth_root() {
        let mut f = |x: f64| Ok(x * x - 2.0);
        let r = zeroin(0.0, 2.0, -2.0, 2.0, &mut f, 1e-12, 1000).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-11);
    }
}
