//! Multiplicity corrections: adjusted p-values for a family of tests.
//!
//! # Definitions
//! For `k` p-values `p_1..p_k`, ordered `p_(1) <= ... <= p_(k)`, the adjusted p-values are
//! (R's `p.adjust(p, method)`, statsmodels' `multipletests`):
//!
//! - [`Correction::Bonferroni`]: `min(1, k p_i)`. Controls the family-wise error rate (the
//!   probability of any false rejection) under any dependence.
//! - [`Correction::Holm`] (Holm 1979, "A simple sequentially rejective multiple test
//!   procedure", Scand. J. Statist. 6): `p~_(i) = max_{j <= i} min(1, (k - j + 1) p_(j))`.
//!   Controls the family-wise error rate under any dependence and rejects everything
//!   Bonferroni rejects, and more.
//! - [`Correction::BenjaminiHochberg`] (Benjamini and Hochberg 1995, J. R. Statist. Soc. B 57):
//!   `p~_(i) = min_{j >= i} min(1, (k / j) p_(j))` (`scipy.stats.false_discovery_control`).
//!   Controls the false discovery rate (the expected share of false rejections among the
//!   rejections) for independent or positively dependent tests; weaker than family-wise control.
//!
//! A test is rejected at level `alpha` when its adjusted p-value is `<= alpha`. Tied p-values
//! get the same adjusted value, whatever their order.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A multiplicity correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Correction {
    /// Holm's step-down procedure (family-wise error rate).
    #[default]
    #[serde(rename = "holm")]
    Holm,
    /// Benjamini-Hochberg's step-up procedure (false discovery rate).
    #[serde(rename = "BH")]
    BenjaminiHochberg,
    /// Bonferroni's correction (family-wise error rate).
    #[serde(rename = "bonferroni")]
    Bonferroni,
}

/// Options of [`adjust`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MultiplicityOptions {
    correction: Correction,
    alpha: f64,
}

impl Default for MultiplicityOptions {
    fn default() -> Self {
        Self {
            correction: Correction::Holm,
            alpha: 0.05,
        }
    }
}

impl MultiplicityOptions {
    /// Defaults: Holm at `alpha = 0.05`.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::multiplicity::{Correction, MultiplicityOptions};
    /// let opts = MultiplicityOptions::new().correction(Correction::BenjaminiHochberg).alpha(0.1);
    /// assert_eq!(opts.get_correction(), Correction::BenjaminiHochberg);
    /// assert_eq!(opts.get_alpha(), 0.1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The correction.
    pub fn correction(mut self, correction: Correction) -> Self {
        self.correction = correction;
        self
    }

    /// The level at which adjusted p-values are rejected, in (0, 1).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// The configured correction.
    pub fn get_correction(&self) -> Correction {
        self.correction
    }

    /// The configured level.
    pub fn get_alpha(&self) -> f64 {
        self.alpha
    }
}

/// The result of [`adjust`], in the order of the input p-values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adjusted {
    /// The correction applied.
    pub correction: Correction,
    /// The level of the rejections.
    pub alpha: f64,
    /// The adjusted p-values.
    pub adjusted: Vec<f64>,
    /// Whether each test is rejected (`adjusted <= alpha`).
    pub rejected: Vec<bool>,
}

impl Adjusted {
    /// The smallest adjusted p-value (1 for an empty family): the p-value of the global null
    /// hypothesis that no test in the family is significant, under the chosen correction.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::multiplicity::{adjust, Correction, MultiplicityOptions};
    /// let a = adjust(&[0.2, 0.01, 0.5], &MultiplicityOptions::new().correction(Correction::Bonferroni))?;
    /// assert_eq!(a.min_adjusted(), 0.03);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn min_adjusted(&self) -> f64 {
        self.adjusted.iter().copied().fold(1.0, f64::min)
    }
}

/// Adjusts a family of p-values for multiplicity (see the [module docs](self)).
///
/// # Errors
/// [`Error::InvalidParameter`] for a p-value outside `[0, 1]` (or NaN), or an `alpha` outside
/// (0, 1).
///
/// # Example
/// ```
/// use canary_analysis::stats::multiplicity::{adjust, Correction, MultiplicityOptions};
/// let p = [0.01, 0.04, 0.03, 0.005];
/// let holm = adjust(&p, &MultiplicityOptions::new())?;
/// // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
/// assert_eq!(holm.rejected, vec![true, false, false, true]);
/// let bh = adjust(&p, &MultiplicityOptions::new().correction(Correction::BenjaminiHochberg))?;
/// // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02
/// assert_eq!(bh.rejected, vec![true, true, true, true]);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn adjust(p_values: &[f64], opts: &MultiplicityOptions) -> Result<Adjusted> {
    let alpha = opts.alpha;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::param(
            "alpha",
            alpha,
            "must lie strictly between 0 and 1",
        ));
    }
    if let Some((i, p)) = p_values
        .iter()
        .enumerate()
        .find(|(_, p)| !(0.0..=1.0).contains(*p))
    {
        return Err(Error::param(
            &format!("p_values[{i}]"),
            p,
            "a p-value must lie in [0, 1]",
        ));
    }
    let adjusted = adjusted_unchecked(p_values, opts.correction);
    let rejected = adjusted.iter().map(|&a| a <= alpha).collect();
    Ok(Adjusted {
        correction: opts.correction,
        alpha,
        adjusted,
        rejected,
    })
}

/// The adjusted p-values of `p` (each in `[0, 1]`, not checked), in input order.
pub(crate) fn adjusted_unchecked(p: &[f64], correction: Correction) -> Vec<f64> {
    let k = p.len();
    let mut out = vec![0.0; k];
    match correction {
        Correction::Bonferroni => {
            for (o, &pi) in out.iter_mut().zip(p) {
                *o = (k as f64 * pi).min(1.0);
            }
        }
        Correction::Holm => {
            let order = ascending(p);
            let mut running = 0.0f64;
            for (j, &idx) in order.iter().enumerate() {
                running = running.max(((k - j) as f64 * p[idx]).min(1.0));
                out[idx] = running;
            }
        }
        Correction::BenjaminiHochberg => {
            let order = ascending(p);
            let mut running = 1.0f64;
            for (j, &idx) in order.iter().enumerate().rev() {
                running = running.min((k as f64 / (j + 1) as f64 * p[idx]).min(1.0));
                out[idx] = running;
            }
        }
    }
    out
}

/// Indices of `p` in ascending order of value (stable).
fn ascending(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_get_one_value() {
        for c in [Correction::Holm, Correction::BenjaminiHochberg] {
            let a = adjusted_unchecked(&[0.02, 0.02, 0.5], c);
            assert_eq!(a[0], a[1], "{c:?}");
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let o = MultiplicityOptions::new();
        assert!(adjust(&[f64::NAN], &o).is_err());
        assert!(adjust(&[1.5], &o).is_err());
        assert!(adjust(&[0.5], &o.alpha(0.0)).is_err());
        assert!(adjust(&[], &o).unwrap().adjusted.is_empty());
    }
}
