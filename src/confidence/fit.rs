//! Fitting the weights on labelled history: nonnegative logistic regression by IRLS.

use serde::{Deserialize, Serialize};

use super::assess::{ConfidenceOptions, Decision, evaluate, finish};
use super::calibrate::Record;
use crate::error::{Error, Result};

/// Options of [`fit_weights`] (jiff style). Defaults: at most 100 Newton steps per fit, ridge
/// penalty 1e-4 per record on the slopes, at most 10,000,000 records.
///
/// # Example
/// ```
/// use canary_analysis::confidence::FitOptions;
/// let opts = FitOptions::new().iterations(50).ridge(1e-3);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    iterations: usize,
    ridge: f64,
    max_records: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            iterations: 100,
            ridge: 1e-4,
            max_records: 10_000_000,
        }
    }
}

impl FitOptions {
    /// The defaults.
    ///
    /// # Example
    /// See [`FitOptions`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The most Newton (IRLS) steps per fit (>= 1).
    ///
    /// # Example
    /// See [`FitOptions`].
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.iterations = iterations;
        self
    }

    /// The ridge penalty per record on the slopes (finite, >= 0); it keeps the fit finite when
    /// a signal separates good from bad changes perfectly.
    ///
    /// # Example
    /// See [`FitOptions`].
    pub fn ridge(mut self, ridge: f64) -> Self {
        self.ridge = ridge;
        self
    }

    /// The most records accepted (a larger history is [`Error::TooLarge`]).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::FitOptions;
    /// let opts = FitOptions::new().max_records(100_000);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn max_records(mut self, max: usize) -> Self {
        self.max_records = max;
        self
    }
}

/// Fits the signal weights to labelled history and returns the policy with them (everything
/// else unchanged; calibrate the threshold afterwards, on other records).
///
/// Method: every record is assessed under `opts`; the records no gate keeps from proceeding
/// (ceiling `Proceed`, the only ones the weights decide) give the features `v_i` (each weighted
/// signal's value, absent = 0, in [`ConfidenceOptions::weights`] order) and the label good = 1.
/// A logistic regression `P(good) = logistic(b0 + sum_i b_i v_i)` is fitted by iteratively
/// reweighted least squares (Newton's method on the log-likelihood, with a ridge penalty
/// `ridge * n * sum_i b_i^2 / 2` on the slopes, never on the intercept), under `b_i >= 0` by an
/// active set: after each fit the most negative slope is fixed at 0 and the rest refitted, until
/// none is negative. The new weights are the slopes divided by their sum (so the confidence stays
/// in `[0, 1]` and remains monotone: weights are nonnegative). The fit is deterministic: the same
/// records give bit-identical weights.
///
/// # Errors
/// As [`assess`](super::assess); [`Error::InvalidParameter`] for options out of range;
/// [`Error::TooLarge`] for more than `max_records` records; [`Error::Degenerate`] when fewer than
/// two eligible records, all labels are equal, or every slope is 0.
///
/// # Example
/// ```
/// use canary_analysis::confidence::*;
/// let mut history = Vec::new();
/// for i in 0..400u64 {
///     let bad = i % 5 == 0;
///     // The canary score tells good from bad; the risk signal is noise.
///     let score = if bad { 80.0 + (i % 7) as f64 } else { 88.0 + (i % 13) as f64 };
///     let risk = RiskSignal::new(i % 97, ChangeKind::Code, 0.1)?;
///     let signals = Signals::new()
///         .canary(CanarySignal::new(CanaryVerdict::Pass, score, 1.0)?)
///         .risk(risk);
///     history.push(Record { signals, bad });
/// }
/// let fitted = fit_weights(&history, &ConfidenceOptions::new(), &FitOptions::new())?;
/// let canary = fitted.get_weight(&SignalKind::Canary).unwrap();
/// assert!(canary > 0.5, "{canary}");
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn fit_weights(
    records: &[Record],
    opts: &ConfidenceOptions,
    fit: &FitOptions,
) -> Result<ConfidenceOptions> {
    opts.validate()?;
    if fit.iterations == 0 {
        return Err(Error::param("iterations", 0, "must be >= 1"));
    }
    if !(fit.ridge.is_finite() && fit.ridge >= 0.0) {
        return Err(Error::param("ridge", fit.ridge, "must be finite and >= 0"));
    }
    if records.len() > fit.max_records {
        return Err(Error::too_large(
            "weight-fitting history",
            fit.max_records as u64,
            records.len() as u64,
        ));
    }
    let open = opts.clone().block_below(0.0).proceed_threshold(0.0);
    let kinds: Vec<_> = opts.weights().into_iter().map(|(k, _)| k).collect();
    let p = kinds.len();
    let mut x: Vec<f64> = Vec::new();
    let mut y: Vec<f64> = Vec::new();
    for r in records {
        let a = finish(evaluate(&r.signals, &open)?, &open);
        if a.ceiling == Decision::Proceed {
            x.extend(a.contributions.iter().map(|c| c.value));
            y.push(if r.bad { 0.0 } else { 1.0 });
        }
    }
    let n = y.len();
    let good = y.iter().filter(|&&v| v == 1.0).count();
    if n < 2 || good == 0 || good == n {
        return Err(Error::degenerate(
            "weight fit",
            format!("{n} eligible records, {good} good: need both outcomes"),
        ));
    }
    let mut active = vec![true; p];
    let slopes = loop {
        let beta = irls(&x, &y, p, &active, fit.ridge * n as f64, fit.iterations);
        let worst = (0..p)
            .filter(|&j| active[j] && beta[j + 1] < 0.0)
            .min_by(|&a, &b| beta[a + 1].total_cmp(&beta[b + 1]));
        match worst {
            Some(j) => active[j] = false,
            None => break beta[1..].to_vec(),
        }
    };
    let total: f64 = slopes.iter().map(|b| b.max(0.0)).sum();
    if !(total > 0.0 && total.is_finite()) {
        return Err(Error::degenerate(
            "weight fit",
            "no signal has a positive slope: the signals do not separate good from bad changes",
        ));
    }
    let mut out = opts.clone();
    for (k, b) in kinds.into_iter().zip(slopes) {
        out = out.weight(k, b.max(0.0) / total);
    }
    Ok(out)
}

/// Newton's method for the ridge-penalized logistic log-likelihood; coefficient 0 is the
/// intercept, `1 + j` the slope of feature `j` (fixed at 0 when `!active[j]`).
fn irls(
    x: &[f64],
    y: &[f64],
    p: usize,
    active: &[bool],
    ridge: f64,
    iterations: usize,
) -> Vec<f64> {
    let cols: Vec<usize> = std::iter::once(0)
        .chain((0..p).filter(|&j| active[j]).map(|j| j + 1))
        .collect();
    let m = cols.len();
    let mut beta = vec![0.0; p + 1];
    let feature = |row: usize, c: usize| if c == 0 { 1.0 } else { x[row * p + c - 1] };
    for _ in 0..iterations {
        let mut h = vec![0.0; m * m];
        let mut g = vec![0.0; m];
        for (row, &yi) in y.iter().enumerate() {
            let eta: f64 = cols.iter().map(|&c| beta[c] * feature(row, c)).sum();
            let mu = 1.0 / (1.0 + (-eta).exp());
            let w = (mu * (1.0 - mu)).max(1e-12);
            for a in 0..m {
                let fa = feature(row, cols[a]);
                g[a] += fa * (yi - mu);
                for b in a..m {
                    h[a * m + b] += w * fa * feature(row, cols[b]);
                }
            }
        }
        for a in 0..m {
            for b in 0..a {
                h[a * m + b] = h[b * m + a];
            }
            if cols[a] != 0 {
                h[a * m + a] += ridge;
                g[a] -= ridge * beta[cols[a]];
            }
        }
        let Some(step) = solve(h, g, m) else { break };
        let mut biggest = 0.0f64;
        for (a, &c) in cols.iter().enumerate() {
            beta[c] += step[a];
            biggest = biggest.max(step[a].abs());
        }
        if biggest < 1e-10 {
            break;
        }
    }
    beta
}

/// Solves `h s = g` by Gaussian elimination with partial pivoting (`None` when singular).
fn solve(mut h: Vec<f64>, mut g: Vec<f64>, m: usize) -> Option<Vec<f64>> {
    for col in 0..m {
        let pivot =
            (col..m).max_by(|&a, &b| h[a * m + col].abs().total_cmp(&h[b * m + col].abs()))?;
        if h[pivot * m + col].abs() < 1e-300 {
            return None;
        }
        if pivot != col {
            for k in 0..m {
                h.swap(col * m + k, pivot * m + k);
            }
            g.swap(col, pivot);
        }
        for row in col + 1..m {
            let f = h[row * m + col] / h[col * m + col];
            for k in col..m {
                h[row * m + k] -= f * h[col * m + k];
            }
            g[row] -= f * g[col];
        }
    }
    let mut s = vec![0.0; m];
    for row in (0..m).rev() {
        let mut v = g[row];
        for k in row + 1..m {
            v -= h[row * m + k] * s[k];
        }
        s[row] = v / h[row * m + row];
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_matches_a_hand_checked_system() {
        // 2x + y = 5, x + 3y = 10  ->  x = 1, y = 3.
        let s = solve(vec![2.0, 1.0, 1.0, 3.0], vec![5.0, 10.0], 2).unwrap();
        assert!((s[0] - 1.0).abs() < 1e-12 && (s[1] - 3.0).abs() < 1e-12);
        assert!(solve(vec![1.0, 2.0, 2.0, 4.0], vec![1.0, 2.0], 2).is_none());
    }
}
