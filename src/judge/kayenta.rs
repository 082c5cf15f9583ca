//! Kayenta mode: NetflixACAJudge-v1.0's Mann-Whitney classifier, reproduced flaws included.
//!
//! Per metric, exactly as Kayenta's `NetflixACAJudge` and `MannWhitneyClassifier` do:
//!
//! 1. **NaN strategy** per side, applied once for both judges when the pairs are read
//!    ([`NanPolicy`]: `remove` drops NaN and ±inf, `replace` turns them into 0.0), then, when
//!    `outliers.strategy` is `remove`, outlier removal per side: with R type-7 percentiles
//!    ([`stats::quantile`](crate::stats::quantile)), fences `lower = min(P1, Q1 - f*IQR)` and
//!    `upper = max(P99, Q3 + f*IQR)`; points strictly outside are removed.
//! 2. Per-side stats `{count, mean, min, max, std (n - 1)}`.
//! 3. In order: a side empty gives `Nodata` (`NodataFailMetric` when `mustHaveData` and not
//!    critical; `Pass` with `nanStrategy: replace`); equal sorted samples, or one distinct value
//!    over both sides, give `Pass`; all with ratio 1.0.
//! 4. The interval and estimate of [`kayenta_interval`] (a port of R's normal-approximation
//!    `wilcox.test(experiment, control, conf.int = TRUE, exact = FALSE, correct = TRUE)`).
//!    When each side is a single constant (different values), Kayenta perturbs both sides with
//!    unseeded Gaussian noise of sd `1e-5 * value`; we add the same noise from a fixed seed
//!    ([`NOISE_SEED`], xoshiro256++ and the Box-Muller transform), so results are reproducible.
//! 5. Decision: `band = tolerance * |estimate|`; `ratio = mean(canary) / mean(baseline)` (NaN if a
//!    mean is 0); the effect is the ratio or CLES. `High` if the direction allows an increase,
//!    `lower > band` and (effect NaN or `effect >= allowedIncrease`); else `Low` if the direction
//!    allows a decrease, `upper < -band` and (effect NaN or `effect <= allowedDecrease`); else
//!    `Pass`. A critical metric's `High` (`Low`) is marked critical only when the effect is NaN or
//!    `>= criticalIncrease` (`<= criticalDecrease`); a `Nodata` carries the metric's critical
//!    flag; every other result has `critical: false`.
//! 6. A failure inside the classification (for example every pooled value tied at a shift the
//!    root search visits) becomes `Error` with reason "Metric Classification Failed: ...".
//!
//! Known flaws this reproduces on purpose: the band scales with the estimate, so a canary with 7
//! of 10 points at 100x the baseline passes (its interval is wide); sparse errors against a zero
//! baseline pass; spread and tail changes pass.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::judge::config::{
    CanaryConfig, Direction, EffectMeasure, MetricSettings, OutlierStrategy, Thresholds,
};
use crate::judge::result::{
    CanaryJudgeResult, Classification, Effect, EffectKind, Reason, Side, SideMetadata, SideStats,
    TestKind,
};
use crate::judge::{Input, Judge, KAYENTA_JUDGE_NAME, base_result, plain_sentence, score};
use crate::metrics::{Combine, MetricPair, NanPolicy};
use crate::stats::effect::cles;
use crate::stats::normal;
use crate::stats::numeric::zeroin;
use crate::stats::quantile::type7_sorted as quantile_type7;
use crate::stats::rank::rank_sum_shifted;

/// Seed of the Gaussian noise added when each side is a single constant.
pub const NOISE_SEED: u64 = 0x4B41_5945_4E54_4131;

/// R's default `tol.root` in `wilcox.test`, which Kayenta uses.
pub const ROOT_TOLERANCE: f64 = 1e-4;

/// Removes points strictly outside `[min(P1, Q1 - f*IQR), max(P99, Q3 + f*IQR)]` (type-7
/// percentiles), keeping the input order.
pub(crate) fn remove_outliers(values: &[f64], factor: f64) -> Vec<f64> {
    if values.is_empty() {
        return Vec::new();
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let p1 = quantile_type7(&sorted, 0.01);
    let q1 = quantile_type7(&sorted, 0.25);
    let q3 = quantile_type7(&sorted, 0.75);
    let p99 = quantile_type7(&sorted, 0.99);
    let iqr = q3 - q1;
    let lower = p1.min(q1 - factor * iqr);
    let upper = p99.max(q3 + factor * iqr);
    values
        .iter()
        .copied()
        .filter(|&v| v >= lower && v <= upper)
        .collect()
}

/// Outlier removal if the metric's settings ask for it (after the non-finite policy).
pub(crate) fn apply_outliers(values: Vec<f64>, settings: &MetricSettings) -> Vec<f64> {
    match settings.outlier_strategy {
        OutlierStrategy::Keep => values,
        OutlierStrategy::Remove => remove_outliers(&values, settings.outlier_factor),
    }
}

/// Kayenta's Mann-Whitney interval and estimate of the shift `experiment - control`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KayentaInterval {
    /// Lower end.
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
    /// The root of the statistic with `zq = 0`, continuity correction included.
    pub estimate: f64,
    /// The confidence level.
    pub confidence: f64,
}

/// The standardized, tie-corrected, continuity-corrected Mann-Whitney statistic of
/// `{x - d}` against `y` (both sorted), as R's `wilcox.test` computes it for its interval.
fn w_stat(x: &[f64], y: &[f64], d: f64) -> Result<f64> {
    let nx = x.len() as f64;
    let ny = y.len() as f64;
    let rs = rank_sum_shifted(x, y, d);
    let dz = rs.u_x - nx * ny / 2.0;
    let correction = if dz > 0.0 {
        0.5
    } else if dz < 0.0 {
        -0.5
    } else {
        0.0
    };
    let sigma =
        ((nx * ny / 12.0) * ((nx + ny + 1.0) - rs.tie_term / ((nx + ny) * (nx + ny - 1.0)))).sqrt();
    if sigma == 0.0 || !sigma.is_finite() {
        return Err(Error::degenerate(
            "Mann-Whitney interval",
            "cannot compute confidence interval when all observations are tied",
        ));
    }
    Ok((dz - correction) / sigma)
}

/// Kayenta's interval: a port of R's normal-approximation
/// `wilcox.test(experiment, control, conf.int = TRUE, exact = FALSE, correct = TRUE)`.
///
/// With `W(d)` the statistic of `{experiment - d}` against `control`
/// (`(U - nx*ny/2 - 0.5*sign(U - nx*ny/2)) / sigma(d)`, sigma tie-corrected at `d`), the bracket
/// is `[min x - max y, max x - min y]`; the lower end solves `W(d) = z_{1-alpha/2}`, the upper
/// `W(d) = -z_{1-alpha/2}`, each returning the bracket end when `W` there is already past the
/// target (R's shortcut), else the root by R's `zeroin` (Brent) at tolerance 1e-4. The estimate solves
/// `W(d) = 0` on the same bracket, **with** the continuity correction (R >= 4 drops it; Kayenta
/// does not).
///
/// # Errors
/// [`Error::InvalidSample`] if a side is empty or non-finite, [`Error::InvalidParameter`] for a
/// confidence outside (0, 1), [`Error::Degenerate`] when every pooled value is tied at a visited
/// shift or the estimate's bracket does not change sign (R's uniroot error).
///
/// # Example
/// ```
/// use canary_analysis::judge::kayenta::kayenta_interval;
/// // Kayenta's own test: [10,20,30,40] vs [1,2,3,4] at 0.95 -> [6, 39], estimate 22.5.
/// let ci = kayenta_interval(&[10.0, 20.0, 30.0, 40.0], &[1.0, 2.0, 3.0, 4.0], 0.95)?;
/// assert!((ci.lower - 6.0).abs() < 1e-3 && (ci.upper - 39.0).abs() < 1e-3);
/// assert!((ci.estimate - 22.5).abs() < 1e-3);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn kayenta_interval(
    experiment: &[f64],
    control: &[f64],
    confidence: f64,
) -> Result<KayentaInterval> {
    crate::stats::check_confidence(confidence)?;
    let x = crate::stats::sorted_sample("experiment", experiment)?;
    let y = crate::stats::sorted_sample("control", control)?;
    let mumin = x[0] - y[y.len() - 1];
    let mumax = x[x.len() - 1] - y[0];
    let w_min = w_stat(&x, &y, mumin)?;
    let w_max = w_stat(&x, &y, mumax)?;
    let alpha = 1.0 - confidence;
    let z = normal::quantile(1.0 - alpha / 2.0);
    let root = |zq: f64| -> Result<f64> {
        let f_lower = w_min - zq;
        if f_lower <= 0.0 {
            return Ok(mumin);
        }
        let f_upper = w_max - zq;
        if f_upper >= 0.0 {
            return Ok(mumax);
        }
        let mut f = |d: f64| w_stat(&x, &y, d).map(|w| w - zq);
        zeroin(mumin, mumax, f_lower, f_upper, &mut f, ROOT_TOLERANCE, 1000)
    };
    let lower = root(z)?;
    let upper = root(-z)?;
    // The estimate: R's uniroot(W, c(mumin, mumax)) without the bracket shortcuts.
    if w_min * w_max > 0.0 {
        return Err(Error::degenerate(
            "Mann-Whitney estimate",
            "f() values at end points not of opposite sign",
        ));
    }
    let mut f = |d: f64| w_stat(&x, &y, d);
    let estimate = zeroin(mumin, mumax, w_min, w_max, &mut f, ROOT_TOLERANCE, 1000)?;
    Ok(KayentaInterval {
        lower,
        upper,
        estimate,
        confidence,
    })
}

/// One standard normal draw per call pair (Box-Muller), from a portable generator.
fn gaussian(rng: &mut Xoshiro256PlusPlus) -> f64 {
    // Uniforms in (0, 1]: 53 random bits.
    let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Kayenta's ratio: [`stats::effect::mean_ratio`](crate::stats::effect::mean_ratio), NaN when
/// either mean is 0 (or the ratio is undefined).
pub(crate) fn mean_ratio(baseline: &[f64], canary: &[f64]) -> f64 {
    match crate::stats::effect::mean_ratio(baseline, canary) {
        Ok(r) if r != 0.0 => r,
        _ => f64::NAN,
    }
}

/// The Kayenta classifier's settings for one metric (the metric's config plus the judge's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KayentaSettings {
    /// The metric's settings.
    pub(crate) metric: MetricSettings,
    /// Band tolerance, relative to `|estimate|` (Kayenta: 0.25).
    pub(crate) tolerance: f64,
    /// Interval confidence (Kayenta: 0.98).
    pub(crate) conf_level: f64,
}

/// One metric's Kayenta classification.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KayentaClassification {
    pub(crate) classification: Classification,
    pub(crate) reason: String,
    /// `mean(canary) / mean(baseline)` (NaN if a mean is 0; 1.0 on the early passes).
    pub(crate) ratio: f64,
    pub(crate) critical: bool,
    pub(crate) interval: Option<KayentaInterval>,
    /// The gate effect (ratio or CLES), when computed.
    pub(crate) effect: Option<f64>,
    /// The band `tolerance * |estimate|`, when computed.
    pub(crate) band: Option<f64>,
    /// Baseline stats (zeros for an empty side, as Kayenta writes them).
    pub(crate) control_stats: SideStats,
    /// Canary stats.
    pub(crate) experiment_stats: SideStats,
}

/// Classifies one metric as Kayenta's `MannWhitneyClassifier` does (see the module docs).
///
/// `control` is the baseline, `experiment` the canary, both after the non-finite policy and the
/// outlier removal. Never fails: a failure inside the classification is the `Error` outcome.
pub(crate) fn classify(
    control: &[f64],
    experiment: &[f64],
    s: &KayentaSettings,
) -> KayentaClassification {
    let m = &s.metric;
    let (ctrl, exp) = (control, experiment);
    let control_stats = SideStats::of(ctrl).unwrap_or_default();
    let experiment_stats = SideStats::of(exp).unwrap_or_default();
    let base = |classification, reason: String, critical| KayentaClassification {
        classification,
        reason,
        ratio: 1.0,
        critical,
        interval: None,
        effect: None,
        band: None,
        control_stats,
        experiment_stats,
    };
    if ctrl.is_empty() || exp.is_empty() {
        let side = if exp.is_empty() {
            "experiment"
        } else {
            "control"
        };
        return match m.nan_policy {
            NanPolicy::Remove if m.must_have_data && !m.critical => base(
                Classification::NodataFailMetric,
                format!("Missing data for {side}; the metric must have data"),
                false,
            ),
            NanPolicy::Remove => base(
                Classification::Nodata,
                format!("Missing data for {side}"),
                m.critical,
            ),
            _ => base(
                Classification::Pass,
                format!("Missing data for {side}; nanStrategy replace passes"),
                false,
            ),
        };
    }
    let mut xs = exp.to_vec();
    xs.sort_unstable_by(f64::total_cmp);
    let mut ys = ctrl.to_vec();
    ys.sort_unstable_by(f64::total_cmp);
    if xs == ys {
        return base(
            Classification::Pass,
            "The experiment data is identical to the control data".into(),
            false,
        );
    }
    let one_value = |v: &[f64]| v.iter().all(|&a| a == v[0]);
    if one_value(&xs) && one_value(&ys) && xs[0] == ys[0] {
        return base(
            Classification::Pass,
            "Only one distinct value over both experiment and control".into(),
            false,
        );
    }
    let ratio = mean_ratio(ctrl, exp);
    let effect = match m.measure {
        EffectMeasure::MeanRatio => ratio,
        EffectMeasure::Cles => match cles(&ys, &xs) {
            Ok(c) => c,
            Err(e) => {
                let mut r = base(
                    Classification::Error,
                    format!("Metric Classification Failed: {e}"),
                    false,
                );
                r.ratio = ratio;
                return r;
            }
        },
    };
    // Kayenta perturbs two single constants so the rank statistic has a spread.
    let interval = if one_value(&xs) && one_value(&ys) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(NOISE_SEED);
        let xn: Vec<f64> = exp
            .iter()
            .map(|&v| v + 1e-5 * v * gaussian(&mut rng))
            .collect();
        let yn: Vec<f64> = ctrl
            .iter()
            .map(|&v| v + 1e-5 * v * gaussian(&mut rng))
            .collect();
        kayenta_interval(&xn, &yn, s.conf_level)
    } else {
        kayenta_interval(&xs, &ys, s.conf_level)
    };
    let iv = match interval {
        Ok(iv) => iv,
        Err(e) => {
            let mut r = base(
                Classification::Error,
                format!("Metric Classification Failed: {e}"),
                false,
            );
            r.ratio = ratio;
            r.effect = Some(effect);
            return r;
        }
    };
    let band = s.tolerance * iv.estimate.abs();
    let measure = match m.measure {
        EffectMeasure::MeanRatio => "mean ratio",
        EffectMeasure::Cles => "CLES",
    };
    let numbers = format!(
        "Mann-Whitney {:.0}% interval of the shift [{:.6}, {:.6}], estimate {:.6}, band +/-{:.6} \
         ({} x |estimate|), {} {:.4}, n control {}, n experiment {}",
        100.0 * s.conf_level,
        iv.lower,
        iv.upper,
        iv.estimate,
        band,
        s.tolerance,
        measure,
        effect,
        ys.len(),
        xs.len()
    );
    let (classification, critical, why) = if m.direction.allows_increase()
        && iv.lower > band
        && (effect.is_nan() || effect >= m.allowed_increase_or_default())
    {
        let crit = m.critical && (effect.is_nan() || effect >= m.critical_increase_or_default());
        (
            Classification::High,
            crit,
            format!("The metric was classified as High: lower end above the band; {numbers}"),
        )
    } else if m.direction.allows_decrease()
        && iv.upper < -band
        && (effect.is_nan() || effect <= m.allowed_decrease_or_default())
    {
        let crit = m.critical && (effect.is_nan() || effect <= m.critical_decrease_or_default());
        (
            Classification::Low,
            crit,
            format!("The metric was classified as Low: upper end below the band; {numbers}"),
        )
    } else {
        (
            Classification::Pass,
            false,
            format!("The metric was classified as Pass; {numbers}"),
        )
    };
    let direction_note = match m.direction {
        Direction::Either => "",
        Direction::Increase => " (direction increase)",
        Direction::Decrease => " (direction decrease)",
    };
    KayentaClassification {
        classification,
        reason: format!("{why}{direction_note}"),
        ratio,
        critical,
        interval: Some(iv),
        effect: Some(effect),
        band: Some(band),
        control_stats,
        experiment_stats,
    }
}

/// Kayenta's NetflixACAJudge-v1.0 as a [`Judge`]: the classifier above per metric, then
/// Kayenta's `WeightedSumScorer` ([`score::score_kayenta`]).
///
/// Built once from a validated [`CanaryConfig`] and the request's [`Thresholds`]. Reproduces
/// Kayenta, flaws included: a metric that lists no group counts in no group score (the config
/// carries a [`Warning::UngroupedMetric`](crate::judge::config::Warning::UngroupedMetric) into the
/// result), a group without data counts 100, a side without data has zero stats and ratio 1.
///
/// # Example
/// ```
/// use canary_analysis::prelude::*;
/// use canary_analysis::metrics::read_metric_set_pairs;
/// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
/// let judge = KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?;
/// let pairs = read_metric_set_pairs(
///     r#"[{"name": "m", "values": {"control": [1, 2, 3, 4, 5], "experiment": [1, 2, 3, 4, 5]}}]"#)?;
/// let r = judge.judge(&pairs)?;
/// assert_eq!((r.verdict(), r.score(), r.judge_name.as_str()), (Verdict::Pass, 100.0, "NetflixACAJudge-v1.0"));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KayentaJudge {
    config: CanaryConfig,
    thresholds: Thresholds,
    combine: Combine,
}

impl KayentaJudge {
    /// The Kayenta judge for `config`, scoring against `thresholds`.
    ///
    /// # Errors
    /// None today: both arguments are validated types. The `Result` keeps construction-time
    /// validation possible without breaking callers.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::prelude::*;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// let judge = KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?;
    /// assert_eq!(judge.thresholds().pass(), 95.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(config: CanaryConfig, thresholds: Thresholds) -> Result<KayentaJudge> {
        Ok(KayentaJudge {
            config,
            thresholds,
            combine: Combine::Pooled,
        })
    }

    /// How the instances of a side are combined into one sample before the tests (default
    /// [`Combine::Pooled`], which with one series per side is Kayenta's sample).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::prelude::*;
    /// use canary_analysis::metrics::{Aggregate, Combine};
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// let judge = KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?
    ///     .combine(Combine::PerStep(Aggregate::Median));
    /// assert_eq!(judge.get_combine(), Combine::PerStep(Aggregate::Median));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn combine(mut self, combine: Combine) -> Self {
        self.combine = combine;
        self
    }

    /// The instance combination in force.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::prelude::*;
    /// use canary_analysis::metrics::Combine;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// assert_eq!(KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.get_combine(), Combine::Pooled);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn get_combine(&self) -> Combine {
        self.combine
    }

    /// The config.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::prelude::*;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// assert_eq!(KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.config().metrics().len(), 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn config(&self) -> &CanaryConfig {
        &self.config
    }

    /// The thresholds.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::prelude::*;
    /// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#)?;
    /// assert_eq!(KayentaJudge::new(cfg, Thresholds::new(90.0, 50.0)?)?.thresholds().marginal(), 50.0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    fn result(&self, input: &Input<'_>) -> crate::judge::MetricResult {
        let settings = self.config.settings();
        let s = KayentaSettings {
            metric: *input.metric.settings(),
            tolerance: settings.tolerance(),
            conf_level: settings.conf_level(),
        };
        let c = classify(&input.baseline, &input.canary, &s);
        let reason = if input.present {
            c.reason.clone()
        } else {
            format!("no metric-set pair; {}", c.reason)
        };
        let mut r = base_result(input);
        r.classification = c.classification;
        r.classification_reason = Some(reason.clone());
        r.critical = c.critical;
        r.result_metadata.ratio = Some(c.ratio);
        r.control_metadata = SideMetadata {
            stats: Some(c.control_stats),
        };
        r.experiment_metadata = SideMetadata {
            stats: Some(c.experiment_stats),
        };
        r.analysis.gate_effect = c.effect;
        if let (Some(iv), Some(band)) = (c.interval, c.band) {
            let low = c.classification == Classification::Low;
            let side = match s.metric.direction {
                Direction::Increase => Side::Increase,
                Direction::Decrease => Side::Decrease,
                _ => Side::Either,
            };
            let scale = c.control_stats.mean.abs();
            r.analysis.reason = Some(Reason {
                test: TestKind::Location,
                side: if low { Side::Decrease } else { side },
                effect: Effect {
                    kind: EffectKind::KayentaShift,
                    estimate: iv.estimate,
                    lower: Some(iv.lower),
                    upper: Some(iv.upper),
                    confidence: Some(iv.confidence),
                },
                threshold: if low { -band } else { band },
                p_value: None,
                adjusted_p_value: None,
                scale: (scale > 0.0).then_some(scale),
                regression: matches!(c.classification, Classification::High | Classification::Low),
            });
        }
        r.sentence = match &r.analysis.reason {
            Some(reason) => reason.sentence(input.name),
            None => plain_sentence(input.name, c.classification, &reason),
        };
        r
    }
}

impl Judge for KayentaJudge {
    fn judge(&self, pairs: &[MetricPair]) -> Result<CanaryJudgeResult> {
        let inputs = crate::judge::prepare_inputs(&self.config, pairs, self.combine)?;
        let results: Vec<_> = inputs.iter().map(|i| self.result(i)).collect();
        let (group_scores, score) =
            score::score_kayenta(&results, self.config.configured_weights(), &self.thresholds);
        Ok(CanaryJudgeResult {
            judge_name: KAYENTA_JUDGE_NAME.into(),
            results,
            group_scores,
            score,
            coverage: 1.0,
            warnings: Vec::new(),
            warning_details: Vec::new(),
        }
        .with_warnings(self.config.warnings()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outliers_fence() {
        let mut v: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        v.push(1000.0);
        let kept = remove_outliers(&v, 3.0);
        assert_eq!(kept.len(), 100);
        assert!(!kept.contains(&1000.0));
    }
}
