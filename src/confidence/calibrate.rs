//! Calibration of the proceed threshold on labelled history.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta, ContinuousCDF};

use super::assess::{ConfidenceOptions, Decision, evaluate, finish};
use super::signal::Signals;
use crate::error::{Error, Result};

/// One historical change: its evidence and whether it turned out bad (rolled back, caused an
/// incident).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The evidence at decision time.
    pub signals: Signals,
    /// Whether the change was bad.
    pub bad: bool,
}

/// How the tested thresholds share the error budget `1 - confidence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Multiplicity {
    /// Each of the `steps` thresholds is tested at level `(1 - confidence) / steps`; the lowest
    /// accepted threshold is chosen (Bonferroni: every accepted threshold is valid at once).
    #[default]
    Bonferroni,
    /// The thresholds are tested from the highest down, each at the full level, stopping at the
    /// first rejected one (fixed-sequence testing, as in Learn-then-Test, Angelopoulos et al.
    /// 2021). More powerful when the bad rate falls steadily with confidence; one unlucky bad
    /// change near the top stops it early.
    FixedSequence,
}

/// Calibration options (jiff style). Defaults: target bad-proceed rate 1%, confidence 95%,
/// [`Multiplicity::Bonferroni`] over 20 thresholds, at most 10,000,000 records.
///
/// # Example
/// ```
/// use canary_analysis::confidence::CalibrationOptions;
/// let opts = CalibrationOptions::new().target(0.02).confidence(0.9);
/// assert_eq!(opts.get_target(), 0.02);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationOptions {
    target: f64,
    confidence: f64,
    steps: usize,
    multiplicity: Multiplicity,
    max_records: usize,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        CalibrationOptions {
            target: 0.01,
            confidence: 0.95,
            steps: 20,
            multiplicity: Multiplicity::Bonferroni,
            max_records: 10_000_000,
        }
    }
}

impl CalibrationOptions {
    /// The defaults.
    ///
    /// # Example
    /// See [`CalibrationOptions`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The target bad-proceed rate, in `(0, 1)`.
    ///
    /// # Example
    /// See [`CalibrationOptions`].
    pub fn target(mut self, rate: f64) -> Self {
        self.target = rate;
        self
    }

    /// The confidence of the upper bound, in `(0, 1)`.
    ///
    /// # Example
    /// See [`CalibrationOptions`].
    pub fn confidence(mut self, confidence: f64) -> Self {
        self.confidence = confidence;
        self
    }

    /// How many thresholds to test at most (>= 1).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::CalibrationOptions;
    /// let opts = CalibrationOptions::new().steps(50);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self
    }

    /// How the tested thresholds share the error budget.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::{CalibrationOptions, Multiplicity};
    /// let opts = CalibrationOptions::new().multiplicity(Multiplicity::FixedSequence).steps(200);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn multiplicity(mut self, multiplicity: Multiplicity) -> Self {
        self.multiplicity = multiplicity;
        self
    }

    /// The most records accepted (a larger history is [`Error::TooLarge`]).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::CalibrationOptions;
    /// let opts = CalibrationOptions::new().max_records(1_000);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn max_records(mut self, max: usize) -> Self {
        self.max_records = max;
        self
    }

    /// The target.
    ///
    /// # Example
    /// See [`CalibrationOptions`].
    pub fn get_target(&self) -> f64 {
        self.target
    }

    /// The confidence.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::confidence::CalibrationOptions;
    /// assert_eq!(CalibrationOptions::new().get_confidence(), 0.95);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn get_confidence(&self) -> f64 {
        self.confidence
    }

    fn validate(&self) -> Result<()> {
        if !(self.target > 0.0 && self.target < 1.0) {
            return Err(Error::param("target", self.target, "must be in (0, 1)"));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(Error::param(
                "confidence",
                self.confidence,
                "must be in (0, 1)",
            ));
        }
        if self.steps == 0 {
            return Err(Error::param("steps", 0, "must be >= 1"));
        }
        Ok(())
    }
}

/// One tested threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationStep {
    /// The threshold.
    pub threshold: f64,
    /// Changes that would proceed at it.
    pub proceed: usize,
    /// Of those, bad ones.
    pub bad: usize,
    /// The one-sided Clopper-Pearson upper bound on their bad rate, at the level this threshold
    /// was tested at.
    pub upper_bound: f64,
    /// Whether the bound is within the target.
    pub accepted: bool,
}

/// The calibrated threshold and what it buys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The chosen proceed threshold; `None` when no threshold keeps the bound within the target
    /// (then nothing should proceed without a human).
    pub threshold: Option<f64>,
    /// The target bad-proceed rate.
    pub target: f64,
    /// The bound's confidence.
    pub confidence: f64,
    /// Records read.
    pub records: usize,
    /// Records no gate keeps from proceeding (the ceiling is `Proceed`).
    pub eligible: usize,
    /// Records that proceed at the chosen threshold.
    pub proceed: usize,
    /// Of those, bad ones.
    pub bad_proceed: usize,
    /// Upper bound on the proceed set's bad rate (1 when nothing proceeds).
    pub upper_bound: f64,
    /// `proceed / records`: the share of changes that proceed without a human.
    pub automation_share: f64,
    /// The confidence each threshold's bound was computed at (`confidence` for
    /// [`Multiplicity::FixedSequence`], `1 - (1 - confidence) / steps` for
    /// [`Multiplicity::Bonferroni`]).
    pub per_test_confidence: f64,
    /// The thresholds tested, from the highest down.
    pub steps: Vec<CalibrationStep>,
}

impl Calibration {
    /// The policy with the calibrated threshold.
    ///
    /// # Errors
    /// [`Error::Degenerate`] when no threshold was found.
    ///
    /// # Example
    /// See [`calibrate`].
    pub fn apply(&self, opts: &ConfidenceOptions) -> Result<ConfidenceOptions> {
        match self.threshold {
            Some(t) => Ok(opts
                .clone()
                .block_below(opts.get_block_below().min(t))
                .proceed_threshold(t)),
            None => Err(Error::degenerate(
                "proceed threshold",
                format!(
                    "no threshold keeps the bad-proceed rate under {} with confidence {} \
                     ({} eligible records)",
                    self.target, self.confidence, self.eligible
                ),
            )),
        }
    }
}

/// The one-sided Clopper-Pearson upper confidence bound on a binomial rate: `k` bad of `n` at
/// confidence `c`, `Beta(k + 1, n - k)` quantile `c` (scipy `beta.ppf(c, k + 1, n - k)`), and 1
/// when `k == n`. Its coverage is at least `c` for every rate.
///
/// # Errors
/// [`Error::InvalidParameter`] when `k > n` or `c` is not in `(0, 1)`.
///
/// # Example
/// ```
/// use canary_analysis::confidence::clopper_pearson_upper;
/// // 0 of 299: the "rule of three" bound, 1 - 0.05^(1/299).
/// let u = clopper_pearson_upper(0, 299, 0.95)?;
/// assert!((u - (1.0 - 0.05f64.powf(1.0 / 299.0))).abs() < 1e-12);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn clopper_pearson_upper(k: usize, n: usize, c: f64) -> Result<f64> {
    if k > n {
        return Err(Error::param("k", k, format!("must not exceed n = {n}")));
    }
    if !(c > 0.0 && c < 1.0) {
        return Err(Error::param("confidence", c, "must be in (0, 1)"));
    }
    if k == n {
        return Ok(1.0);
    }
    if k == 0 {
        // Closed form: 1 - (1 - c)^(1/n).
        return Ok(-((1.0 - c).ln() / n as f64).exp_m1());
    }
    let beta = Beta::new(k as f64 + 1.0, (n - k) as f64)
        .map_err(|e| Error::param("n", n, e.to_string()))?;
    Ok(beta_quantile(&beta, c))
}

/// The Beta quantile: statrs's `inverse_cdf` (whose relative error reaches 1e-8 for shapes like
/// Beta(3, 19998)), refined by safeguarded Newton steps on `cdf(x) - c` inside a bracket that
/// shrinks with the sign of each residual.
fn beta_quantile(beta: &Beta, c: f64) -> f64 {
    use statrs::distribution::Continuous;
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = beta.inverse_cdf(c).clamp(0.0, 1.0);
    for _ in 0..60 {
        let f = beta.cdf(x) - c;
        if f == 0.0 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let d = beta.pdf(x);
        let mut next = if d > 0.0 && d.is_finite() {
            x - f / d
        } else {
            f64::NAN
        };
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs() {
            return next;
        }
        x = next;
    }
    x
}

/// Chooses the proceed threshold from labelled history.
///
/// Method:
/// 1. Assess every record under `opts`; the *eligible* records are those no gate keeps from
///    proceeding (their [`ceiling`](super::Assessment::ceiling) is `Proceed`).
/// 2. Sort the eligible confidences from the highest down. Each threshold is tested at a
///    per-test confidence `c'` ([`Multiplicity`]); `n_min` is the smallest proceed-set size
///    whose bound can be within the target at all (0 bad of `n_min`: `(1 - target)^n_min <=
///    1 - c'`). The candidate thresholds are the confidences at `steps` ranks spread evenly from
///    `n_min` to the number of eligible records; the proceed set of a threshold `t` is every
///    eligible record with confidence `>= t` (ties included, so tied ranks give one candidate).
/// 3. For each candidate, the one-sided Clopper-Pearson upper bound
///    ([`clopper_pearson_upper`]) of the proceed set's bad rate at `c'` is accepted when it is at
///    most the target. [`Multiplicity::Bonferroni`]: the chosen threshold is the lowest
///    accepted one. [`Multiplicity::FixedSequence`]: candidates are tested from the highest
///    down, stopping at the first rejected one; the chosen threshold is the last accepted one.
///
/// The candidates depend on the confidences only, never on the labels, so the chance that the
/// chosen threshold's true bad rate (for future changes exchangeable with the history) exceeds
/// the target is at most `1 - confidence`. It is a bound on the *rate*; the bad share of a finite
/// batch of future changes scatters around that rate.
///
/// # Errors
/// As [`assess`](super::assess) for each record; [`Error::InvalidParameter`] for options out of
/// range; [`Error::TooLarge`] for more than `max_records` records; [`Error::InvalidSample`] for
/// an empty history.
///
/// # Example
/// ```
/// use canary_analysis::confidence::*;
/// let mut history = Vec::new();
/// for i in 0..2000u64 {
///     let bad = i % 50 == 0;
///     let score = if bad { 60.0 } else { 90.0 + (i % 10) as f64 };
///     let verdict = if score >= 90.0 { CanaryVerdict::Pass } else { CanaryVerdict::Marginal };
///     let signals = Signals::new().canary(CanarySignal::new(verdict, score, 1.0)?);
///     history.push(Record { signals, bad });
/// }
/// let policy = ConfidenceOptions::new()
///     .weight(SignalKind::Sequential, 0.0)
///     .weight(SignalKind::Compliance, 0.0)
///     .weight(SignalKind::Risk, 0.0)
///     .weight(SignalKind::TrackRecord, 0.0);
/// let cal = calibrate(&history, &policy, &CalibrationOptions::new())?;
/// assert_eq!(cal.bad_proceed, 0);
/// assert!(cal.automation_share > 0.9);
/// let calibrated = cal.apply(&policy)?;
/// assert_eq!(Some(calibrated.get_proceed_threshold()), cal.threshold);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn calibrate(
    records: &[Record],
    opts: &ConfidenceOptions,
    cal: &CalibrationOptions,
) -> Result<Calibration> {
    cal.validate()?;
    opts.validate()?;
    if records.len() > cal.max_records {
        return Err(Error::too_large(
            "calibration history",
            cal.max_records as u64,
            records.len() as u64,
        ));
    }
    if records.is_empty() {
        return Err(Error::sample("history", "no records"));
    }
    // Thresholds are set to 0 for the assessment so that only the gates cap the decision.
    let open = opts.clone().block_below(0.0).proceed_threshold(0.0);
    let mut eligible: Vec<(f64, bool)> = Vec::new();
    for r in records {
        let a = finish(evaluate(&r.signals, &open)?, &open);
        if a.ceiling == Decision::Proceed {
            eligible.push((a.confidence, r.bad));
        }
    }
    eligible.sort_by(|a, b| b.0.total_cmp(&a.0));
    let m = eligible.len();
    let per_test = match cal.multiplicity {
        Multiplicity::FixedSequence => cal.confidence,
        // `Multiplicity` is non-exhaustive: anything else is Bonferroni.
        _ => 1.0 - (1.0 - cal.confidence) / cal.steps as f64,
    };
    let alpha = 1.0 - per_test;
    // Smallest n with (1 - target)^n <= alpha.
    let n_min = ((alpha.ln() / (-cal.target).ln_1p()).ceil() as usize).max(1);
    let mut calibration = Calibration {
        threshold: None,
        target: cal.target,
        confidence: cal.confidence,
        records: records.len(),
        eligible: m,
        proceed: 0,
        bad_proceed: 0,
        upper_bound: 1.0,
        automation_share: 0.0,
        per_test_confidence: per_test,
        steps: Vec::new(),
    };
    if m < n_min {
        return Ok(calibration);
    }
    // Prefix counts of bad records in confidence order.
    let mut bad_prefix = Vec::with_capacity(m + 1);
    bad_prefix.push(0usize);
    for &(_, bad) in &eligible {
        bad_prefix.push(bad_prefix.last().copied().unwrap_or(0) + usize::from(bad));
    }
    let k_steps = cal.steps.min(m - n_min + 1);
    let mut last_threshold = f64::INFINITY;
    for j in 0..k_steps {
        let rank = if k_steps == 1 {
            m
        } else {
            n_min + ((m - n_min) as f64 * j as f64 / (k_steps - 1) as f64).round() as usize
        };
        let threshold = eligible[rank - 1].0;
        if threshold >= last_threshold {
            continue;
        }
        last_threshold = threshold;
        // Proceed set: every record with confidence >= threshold (ties included).
        let n = eligible.partition_point(|&(c, _)| c >= threshold);
        let k = bad_prefix[n];
        let upper = clopper_pearson_upper(k, n, per_test)?;
        let accepted = upper <= cal.target;
        calibration.steps.push(CalibrationStep {
            threshold,
            proceed: n,
            bad: k,
            upper_bound: upper,
            accepted,
        });
        if accepted {
            calibration.threshold = Some(threshold);
            calibration.proceed = n;
            calibration.bad_proceed = k;
            calibration.upper_bound = upper;
        } else if cal.multiplicity == Multiplicity::FixedSequence {
            break;
        }
    }
    calibration.automation_share = calibration.proceed as f64 / records.len() as f64;
    Ok(calibration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clopper_pearson_edges() {
        assert_eq!(clopper_pearson_upper(3, 3, 0.95).unwrap(), 1.0);
        assert_eq!(clopper_pearson_upper(0, 0, 0.95).unwrap(), 1.0);
        assert!(clopper_pearson_upper(4, 3, 0.95).is_err());
        assert!(clopper_pearson_upper(1, 3, 1.0).is_err());
        assert!(clopper_pearson_upper(1, 3, f64::NAN).is_err());
    }
}
