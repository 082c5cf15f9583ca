//! The confidence metric: evidence in, `Proceed` / `Review` / `Block` out, calibrated on history.
//!
//! A campaign that rolls one change out to many targets (services, clusters, regions) asks at each
//! target whether the change may proceed without a human. The evidence is typed
//! ([`Signals`]): the canary judgement ([`CanarySignal`], read from a judge result by
//! [`CanarySignal::from_judgement`]), sequential evidence ([`SequentialSignal`]), compliance
//! checks ([`ComplianceCheck`]), the change's risk ([`RiskSignal`]), the track record
//! ([`TrackRecord`]) and host-defined signals ([`HostSignal`]). A policy
//! ([`ConfidenceOptions`]) turns it into an [`Assessment`] with [`assess`]: a confidence in
//! `[0, 1]`, a [`Decision`], each signal's [`Contribution`], the [`Gate`]s that fired and a plain
//! sentence. [`calibrate`] chooses the proceed threshold from labelled history so that the rate of
//! bad changes among those that proceed stays under a target with a stated confidence.
//!
//! # Definitions
//!
//! **Signal values** `v_i` in `[0, 1]` (1 = the best evidence of safety):
//!
//! | signal | value when present |
//! |---|---|
//! | canary | `score / 100 * coverage` |
//! | sequential | the always-valid p-value of "the canary is no worse" |
//! | compliance | passed checks / (distinct checks given + required checks absent); a name given twice counts once with its worst status |
//! | risk | `(h / (size + h)) * (1 - kind risk) * (1 - blast radius)`, `h` = [`ConfidenceOptions::size_half_risk`] |
//! | track record | `P(rate <= r)` under the posterior `Beta(a0 + f_c + l f_s, b0 + s_c + l s_s)` (`f`, `s`: failures and successes of the campaign `c` and of similar changes `s`; prior `Beta(a0, b0)`; `l` = [`ConfidenceOptions::similar_weight`]; `r` = [`ConfidenceOptions::max_failure_rate`]); the regularized incomplete beta function, statrs `Beta::cdf` |
//! | host | the score, `Pass` = 1, `Fail` = 0 |
//!
//! An **absent signal has value 0**, the worst value, and so has a signal in a **blocking
//! state** (canary `Fail`, a rejecting sequential test, a failed hard-gate check, a failed
//! critical host signal; see the gates below), so that blocking evidence is never worth more
//! than none.
//!
//! **Confidence** is `C = sum_i w_i v_i / sum_i w_i`, where the sums run over **every signal the
//! policy weights, present or not** (the five built-in signals and every declared host signal).
//! The denominator does not depend on which signals are present. (A weighted mean over the
//! *present* signals is not monotone: dropping a weak signal would raise it.) Set the weight of a
//! signal you never provide to 0.
//!
//! **Gates** (each caps the decision; the decision is the minimum over the fired gates and the
//! thresholds, in the order `Block < Review < Proceed`):
//!
//! | gate | effect |
//! |---|---|
//! | a required signal absent ([`ConfidenceOptions::require`]; default: the canary) | Review |
//! | a required compliance check absent ([`ConfidenceOptions::require_check`]) | Review |
//! | canary verdict `Fail` (unless [`ConfidenceOptions::canary_fail_blocks`] is off) | Block |
//! | canary verdict `Marginal` (unless [`ConfidenceOptions::canary_marginal_reviews`] is off) | Review |
//! | canary inconclusive, or coverage below [`ConfidenceOptions::min_canary_coverage`] | Review |
//! | sequential test rejected, `p < alpha` (unless [`ConfidenceOptions::sequential_reject_blocks`] is off) | Block |
//! | sequential test stopped before its horizon without rejecting | Review |
//! | a hard-gate compliance check `Fail` / `Unknown` | Block / Review |
//! | blast radius above [`ConfidenceOptions::max_blast_radius`] | Review |
//! | track-record posterior mean above [`ConfidenceOptions::max_failure_rate`] | Review |
//! | a critical host signal `Fail` | Block |
//! | `C` below [`ConfidenceOptions::block_below`] / below [`ConfidenceOptions::proceed_threshold`] | Block / Review |
//!
//! So a failed hard gate blocks whatever the weights say, a required signal that is absent gives
//! at most `Review`, and an inconclusive canary never gives `Proceed`.
//!
//! # Monotonicity
//!
//! *Better evidence never lowers confidence or the decision.* Order the evidence per signal.
//! Between present values (each signal type documents its order): a canary is better with a
//! higher verdict (`Fail < Marginal < Pass`), score and coverage and when not inconclusive; a
//! sequential signal with a higher p-value (same `alpha`) and when complete; compliance checks
//! with higher statuses (`Fail < Unknown < Pass`; same names, same hard-gate flags); a risk with
//! a smaller size, blast radius and kind risk; a track record with fewer failures and more
//! successes; a host signal with a higher value (`Fail < Score(0) <= Score(x) <= Pass`).
//! Absent sits **above every blocking state** and **below every present value that fires no gate
//! of that signal**; a *required* absent signal (which caps at `Review` itself) is below every
//! present value that does not block. (An absent optional signal and a present value that caps
//! at `Review`, such as a `Marginal` canary, are not ordered: the absent one scores lower, the
//! present one caps the decision.) Evidence `E'` is better than `E` when every signal of `E'` is
//! at least as good as the same signal of `E`.
//!
//! *Proof.* Each `v_i` is nondecreasing in its signal's order: absent and blocking states give
//! 0, the least value; `score / 100 * coverage` is increasing in both factors (both >= 0); the
//! p-value is itself; passes over a fixed denominator rise with statuses; the risk value is a
//! product of nonnegative factors each decreasing in size, kind risk and blast radius;
//! `I_r(a, b)` decreases in `a` and increases in `b` (the Beta family is stochastically
//! ordered), and failures raise `a`, successes raise `b`. With fixed nonnegative weights and a
//! fixed denominator, `C` is a nonnegative combination of nondecreasing functions, so it is
//! nondecreasing. Each gate fires on a *down-set* of its signal's order (blocking states; `Fail`;
//! `Marginal` or worse; inconclusive or coverage below a bound; `p < alpha`; incomplete; status
//! `Unknown` or worse; blast radius or posterior mean above a bound; for a required signal,
//! absent; `C` below a bound), and the placement of absent above makes "absent" fire only gates
//! that every state below it fires as strongly. So improving evidence can only stop a gate from
//! firing or weaken it from `Block` to `Review`. The decision is the minimum of nondecreasing
//! functions, hence nondecreasing. `tests/props_confidence.rs` checks both claims on random
//! evidence and policies.
//!
//! The worst metric of a canary and the number of looks of a sequential test are reported in the
//! breakdown and the sentence, never scored.
//!
//! # Calibration
//!
//! See [`calibrate`]: the proceed threshold is the lowest of a grid whose one-sided
//! Clopper-Pearson upper bound on the proceed set's bad rate is within the target, with the
//! grid's multiplicity accounted for (Bonferroni, or fixed-sequence testing). [`fit_weights`]
//! fits the weights (nonnegative logistic regression by IRLS); fit on one part of the history
//! and calibrate on another. `examples/confidence_calibration.rs` runs both on a simulated
//! history of 20,000 changes and compares them with a fixed Keptn-style rule.
//!
//! # Example
//! Read a judge result and compliance results, decide, and say why.
//! ```
//! use canary_analysis::confidence::*;
//! use canary_analysis::prelude::{CanaryConfig, DefaultJudge, Judge, MetricPair, Thresholds};
//!
//! let config = CanaryConfig::from_json(r#"{"metrics": [{"name": "latency", "groups": ["perf"],
//!     "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#)?;
//! let baseline: Vec<f64> = (0..60).map(|i| 100.0 + (i % 9) as f64).collect();
//! let canary: Vec<f64> = baseline.iter().map(|v| v * 1.5).collect();
//! let judge = DefaultJudge::new(config, Thresholds::new(95.0, 75.0)?)?;
//! let result = judge.judge(&[MetricPair::from_values("latency", baseline, canary)?])?;
//!
//! let signals = Signals::new()
//!     .canary(CanarySignal::from_judgement(&result)?)
//!     .compliance([
//!         ComplianceCheck::gate("change approval", CheckStatus::Pass),
//!         ComplianceCheck::new("security scan", CheckStatus::Pass),
//!     ]);
//! let assessment = assess(&signals, &ConfidenceOptions::new())?;
//! assert_eq!(assessment.decision, Decision::Block);
//! assert!(assessment.sentence.starts_with("block: canary Fail (latency +"));
//! # Ok::<(), canary_analysis::Error>(())
//! ```

mod assess;
mod calibrate;
mod fit;
mod signal;

pub use assess::{
    Assessment, ConfidenceOptions, Contribution, Decision, Gate, GateEffect, GateReason, HostSpec,
    SignalKind, assess,
};
pub use calibrate::{
    Calibration, CalibrationOptions, CalibrationStep, Multiplicity, Record, calibrate,
    clopper_pearson_upper,
};
pub use fit::{FitOptions, fit_weights};
pub use signal::{
    CanarySignal, CanaryVerdict, ChangeKind, CheckStatus, ComplianceCheck, HostSignal, HostValue,
    Outcomes, RiskSignal, SequentialSignal, Signals, TrackRecord, WorstMetric,
};
