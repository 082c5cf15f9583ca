//! Allocating a false-alarm budget over families of tests: weighted Holm across families, a
//! weighted Bonferroni omnibus inside each family.
//!
//! A canary has several metrics (the *families*) and each metric several tests (location,
//! upper and lower tail, rate). The decision that matters is per metric ("is this metric a
//! regression?"), and the error that matters is per canary: the probability that **any** metric
//! without a regression is flagged (the family-wise error rate, FWER). This module spends the
//! budget `alpha` where it buys power instead of splitting it evenly over every test.
//!
//! # The procedure
//!
//! Family `i` has a weight `W_i > 0` and tests `t` with p-values `p_it` and weights `w_it > 0`,
//! `sum_t w_it = 1`.
//!
//! 1. **Omnibus per family** (weighted Bonferroni): `q_i = min(1, min_t p_it / w_it)`.
//! 2. **Weighted Holm across families** (Holm 1979, section 5; the weighted step-down of
//!    Benjamini & Hochberg 1997, "Multiple hypotheses testing with weights"): order the families
//!    by `q_i / W_i`; at step `j`, with `R_j` the families not yet rejected, family `(j)` is
//!    rejected when `q_(j) <= alpha * W_(j) / sum_{k in R_j} W_k`, and the procedure stops at
//!    the first family that is not. The adjusted p-value is
//!    `max_{k <= j} min(1, q_(k) * sum_{R_k} W / W_(k))`.
//! 3. **Which test fired**: test `t` of family `i` gets the adjusted p-value
//!    `max(M_i, min(1, p_it / w_it * sum_{R_i} W / W_i))` (`M_i` the running maximum before `i`'s
//!    step); it fired when that is `<= alpha`. A rejected family has at least one test that fired
//!    (the one attaining its omnibus), so the report can always say which test decided.
//!
//! # Why the FWER is at most `alpha`, under any dependence
//!
//! This is a closed testing procedure (Marcus, Peritz & Gabriel 1976). For a set `S` of families
//! take the local test "reject the intersection of `S` when some test `t` of some family `i` in
//! `S` has `p_it <= alpha * w_it * W_i / sum_{k in S} W_k`". Under that intersection every
//! `p_it` is a valid p-value (`P(p_it <= u) <= u`), so by the union bound the local test rejects
//! with probability at most `sum_{i in S} sum_t alpha w_it W_i / sum_S W = alpha`, whatever the
//! dependence between tests and between families (Bonferroni needs no independence). The
//! shortcut of step 2 rejects family `i` exactly when every intersection containing it is
//! rejected by these local tests (the weighted Holm shortcut, Hochberg & Tamhane 1987, ch. 2),
//! so the closure principle gives FWER `<= alpha` in the strong sense: for every configuration
//! of true and false null families, the probability of rejecting any true one is at most
//! `alpha`.
//!
//! Weights must be fixed before the p-values are seen: they may depend on the design (the kind
//! of metric, its direction, the numbers of points `n` and `m`, `alpha`), never on the data's
//! values. Two consequences used by the default judge: weights may differ by metric kind, and a
//! discrete test may be given exactly the size it can attain at its level (Tarone 1990, "A
//! modified Bonferroni method for discrete data"; Westfall & Wolfinger 1997): the attainable
//! values of such a test are a function of `n` and `m` alone, so its weight can be lowered to
//! the attainable size without changing which outcomes it rejects, and the rest goes to the
//! other tests of the family.
//!
//! Compared with Holm over every test (each test weighted equally): a metric with a location and
//! a tail test no longer pays twice for one question, and the per-metric budget goes mostly to
//! the test that needs it. Compared with Benjamini-Hochberg: BH controls the false discovery
//! rate, not the probability of a false fail, and only under positive dependence.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One family (e.g. a metric) of tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Family {
    /// The family's weight `W_i > 0` (relative; the weights are normalized).
    pub weight: f64,
    /// The family's tests as `(p-value, weight)`; the weights `w_it > 0` must sum to 1.
    pub tests: Vec<(f64, f64)>,
}

/// The decision on one family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyDecision {
    /// The omnibus p-value `q_i = min(1, min_t p_it / w_it)`.
    pub omnibus_p_value: f64,
    /// The family's adjusted p-value (weighted Holm).
    pub adjusted_p_value: f64,
    /// Each test's adjusted p-value, in input order.
    pub test_adjusted_p_values: Vec<f64>,
    /// Whether the family is rejected (adjusted p-value `<= alpha`).
    pub rejected: bool,
}

/// Weighted Holm across families of weighted-Bonferroni omnibus tests (see the module docs);
/// the decisions come back in input order.
///
/// # Errors
/// [`Error::InvalidParameter`] when `alpha` is not in (0, 1), a weight is not finite and
/// positive, a family's test weights do not sum to 1 (within `1e-9`), a family has no test, or
/// a p-value is outside `[0, 1]`.
///
/// # Example
/// ```
/// use canary_analysis::stats::allocation::{weighted_holm_omnibus, Family};
/// // Two metrics: location (weight 0.9) and tail (0.1) each; metric 0 has a strong shift.
/// let fams = vec![
///     Family { weight: 1.0, tests: vec![(0.004, 0.9), (0.6, 0.1)] },
///     Family { weight: 1.0, tests: vec![(0.4, 0.9), (0.2, 0.1)] },
/// ];
/// let d = weighted_holm_omnibus(&fams, 0.05)?;
/// assert!(d[0].rejected && !d[1].rejected);
/// // 0.004 / 0.9 * (1 + 1) / 1
/// assert!((d[0].adjusted_p_value - 0.004 / 0.9 * 2.0).abs() < 1e-15);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn weighted_holm_omnibus(families: &[Family], alpha: f64) -> Result<Vec<FamilyDecision>> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::param(
            "alpha",
            alpha,
            "must lie strictly between 0 and 1",
        ));
    }
    let mut omnibus = Vec::with_capacity(families.len());
    for f in families {
        if !(f.weight.is_finite() && f.weight > 0.0) {
            return Err(Error::param(
                "weight",
                f.weight,
                "a family weight must be finite and > 0",
            ));
        }
        if f.tests.is_empty() {
            return Err(Error::param(
                "tests",
                0.0,
                "a family needs at least one test",
            ));
        }
        let mut sum = 0.0;
        let mut q = f64::INFINITY;
        for &(p, w) in &f.tests {
            if !(w.is_finite() && w > 0.0) {
                return Err(Error::param(
                    "weight",
                    w,
                    "a test weight must be finite and > 0",
                ));
            }
            if !(0.0..=1.0).contains(&p) {
                return Err(Error::param("p_value", p, "must lie in [0, 1]"));
            }
            sum += w;
            q = q.min(p / w);
        }
        if (sum - 1.0).abs() > 1e-9 {
            return Err(Error::param(
                "weight",
                sum,
                "the test weights of a family must sum to 1",
            ));
        }
        omnibus.push(q.min(1.0));
    }
    let mut order: Vec<usize> = (0..families.len()).collect();
    order.sort_by(|&a, &b| {
        (omnibus[a] / families[a].weight)
            .total_cmp(&(omnibus[b] / families[b].weight))
            .then(a.cmp(&b))
    });
    let mut remaining: f64 = families.iter().map(|f| f.weight).sum();
    let mut running = 0.0f64;
    let mut out: Vec<Option<FamilyDecision>> = vec![None; families.len()];
    for &i in &order {
        let f = &families[i];
        let mult = remaining / f.weight;
        let before = running;
        running = running.max((omnibus[i] * mult).min(1.0));
        let tests = f
            .tests
            .iter()
            .map(|&(p, w)| before.max((p / w * mult).min(1.0)))
            .collect();
        out[i] = Some(FamilyDecision {
            omnibus_p_value: omnibus[i],
            adjusted_p_value: running,
            test_adjusted_p_values: tests,
            rejected: running <= alpha,
        });
        remaining -= f.weight;
        // Guard the subtraction against rounding below the smallest remaining weight.
        remaining = remaining.max(0.0);
    }
    Ok(out
        .into_iter()
        .map(|d| d.expect("every family decided"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_weights_single_tests_is_holm() {
        let ps = [0.01, 0.04, 0.03, 0.005];
        let fams: Vec<Family> = ps
            .iter()
            .map(|&p| Family {
                weight: 1.0,
                tests: vec![(p, 1.0)],
            })
            .collect();
        let d = weighted_holm_omnibus(&fams, 0.05).unwrap();
        // Holm by hand: sorted 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1 -> max 0.06.
        let expect = [0.03, 0.06, 0.06, 0.02];
        for (x, e) in d.iter().zip(expect) {
            assert!((x.adjusted_p_value - e).abs() < 1e-15, "{x:?} {e}");
        }
        assert!(d[3].rejected && d[0].rejected && !d[2].rejected && !d[1].rejected);
    }

    #[test]
    fn family_adjusted_is_its_best_test() {
        let fams = vec![
            Family {
                weight: 2.0,
                tests: vec![(0.001, 0.75), (0.0001, 0.25)],
            },
            Family {
                weight: 1.0,
                tests: vec![(0.5, 1.0)],
            },
        ];
        let d = weighted_holm_omnibus(&fams, 0.05).unwrap();
        let min = d[0]
            .test_adjusted_p_values
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        assert_eq!(min, d[0].adjusted_p_value);
        assert!((d[0].adjusted_p_value - 0.0004 * 1.5).abs() < 1e-15);
        assert!(weighted_holm_omnibus(&fams, 1.5).is_err());
    }
}
