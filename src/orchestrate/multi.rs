//! Multiple judgements over one canary: Kayenta's standalone canary analysis semantics.
//!
//! This is orchestration (it schedules judgements over time and decides from their sequence),
//! so it lives here, above the judge; its API is unchanged from its former place `judge::multi`.
//! The engine's [`Validate`](super::Validate) step without a sequential plan applies the same
//! rule as a step (fail-fast at a `Fail`, the last look decides).
//!
//! Definitions (Kayenta's standalone canary analysis, as its `CanaryAnalysisService` runs it):
//! - lifetime = `end - start`, or `lifetimeDurationMins`;
//! - interval = `analysisIntervalMins`, or the lifetime;
//! - judgements = `floor(lifetime / interval)`;
//! - `beginAfterMins` delays the analysis start: `start' = start + beginAfter`;
//! - window `i` (1-based) ends at `start' + i * interval`; it starts at `start'` (growing
//!   windows) or at `end_i - lookbackMins` (sliding windows, when `lookbackMins` is set);
//! - the control window is the experiment window shifted back by `controlOffsetMins`.
//!
//! Each judgement is scored; any score `<= marginal` ends the analysis at once as failed
//! (fail-fast). Otherwise the final verdict uses only the last score ([`final_passed`]): no
//! thresholds pass; `last <= marginal` fails; `last < pass` fails; else pass.
//!
//! Note the flaw this keeps: every judgement is a fresh fixed-level test, so repeated checks
//! inflate the false-alarm rate (the sequential module offers anytime-valid monitoring instead).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const MINUTE_MS: i64 = 60_000;

/// The timing of a standalone canary analysis (Kayenta's execution request fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StandalonePlan {
    /// Analysis start, epoch milliseconds.
    pub start_millis: i64,
    /// Analysis end, epoch milliseconds (or give `lifetime_duration_mins`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_millis: Option<i64>,
    /// Lifetime in minutes, when `end_millis` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_duration_mins: Option<u64>,
    /// Minutes between judgements (default: the lifetime, one judgement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_interval_mins: Option<u64>,
    /// Sliding windows of this many minutes (default: growing windows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookback_mins: Option<u64>,
    /// Minutes to wait before the first window starts.
    #[serde(default)]
    pub begin_after_mins: u64,
    /// Minutes the control window is shifted back.
    #[serde(default)]
    pub control_offset_mins: i64,
}

/// One judgement's time windows, epoch milliseconds, half-open `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisWindow {
    /// 1-based judgement number.
    pub index: usize,
    /// Experiment (canary) window start.
    pub experiment_start: i64,
    /// Experiment window end.
    pub experiment_end: i64,
    /// Control (baseline) window start.
    pub control_start: i64,
    /// Control window end.
    pub control_end: i64,
}

impl StandalonePlan {
    /// The judgement windows, in order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the lifetime is missing or not positive, the interval is 0
    /// or longer than the lifetime, the lookback is 0, or the times overflow.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::orchestrate::multi::StandalonePlan;
    /// let plan = StandalonePlan { start_millis: 0, lifetime_duration_mins: Some(60),
    ///     analysis_interval_mins: Some(20), ..Default::default() };
    /// let w = plan.windows()?;
    /// assert_eq!(w.len(), 3);
    /// assert_eq!((w[2].experiment_start, w[2].experiment_end), (0, 60 * 60_000));
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn windows(&self) -> Result<Vec<AnalysisWindow>> {
        let lifetime_ms = match (self.end_millis, self.lifetime_duration_mins) {
            (Some(end), _) => end.checked_sub(self.start_millis),
            (None, Some(mins)) => i64::try_from(mins)
                .ok()
                .and_then(|m| m.checked_mul(MINUTE_MS)),
            (None, None) => {
                return Err(Error::param(
                    "lifetime",
                    "none",
                    "give an end time or lifetimeDurationMins",
                ));
            }
        }
        .ok_or_else(|| Error::param("lifetime", "overflow", "times out of range"))?;
        if lifetime_ms <= 0 {
            return Err(Error::param(
                "lifetime",
                lifetime_ms,
                "must be positive (milliseconds)",
            ));
        }
        let interval_ms = match self.analysis_interval_mins {
            Some(0) => return Err(Error::param("analysisIntervalMins", 0, "must be positive")),
            Some(m) => i64::try_from(m)
                .ok()
                .and_then(|m| m.checked_mul(MINUTE_MS))
                .ok_or_else(|| Error::param("analysisIntervalMins", m, "out of range"))?,
            None => lifetime_ms,
        };
        let n = lifetime_ms / interval_ms;
        if n == 0 {
            return Err(Error::param(
                "analysisIntervalMins",
                interval_ms / MINUTE_MS,
                "is longer than the lifetime: no judgement would run",
            ));
        }
        if n > 100_000 {
            return Err(Error::param(
                "analysisIntervalMins",
                interval_ms / MINUTE_MS,
                "gives more than 100000 judgements",
            ));
        }
        let lookback_ms = match self.lookback_mins {
            Some(0) => return Err(Error::param("lookbackMins", 0, "must be positive")),
            Some(m) => Some(
                i64::try_from(m)
                    .ok()
                    .and_then(|m| m.checked_mul(MINUTE_MS))
                    .ok_or_else(|| Error::param("lookbackMins", m, "out of range"))?,
            ),
            None => None,
        };
        let overflow = || Error::param("startTime", "overflow", "times out of range");
        let begin = i64::try_from(self.begin_after_mins)
            .ok()
            .and_then(|m| m.checked_mul(MINUTE_MS))
            .and_then(|b| self.start_millis.checked_add(b))
            .ok_or_else(overflow)?;
        let offset = self
            .control_offset_mins
            .checked_mul(MINUTE_MS)
            .ok_or_else(overflow)?;
        (1..=n)
            .map(|i| {
                let end = interval_ms
                    .checked_mul(i)
                    .and_then(|d| begin.checked_add(d))
                    .ok_or_else(overflow)?;
                let start = match lookback_ms {
                    Some(l) => end.checked_sub(l).ok_or_else(overflow)?,
                    None => begin,
                };
                Ok(AnalysisWindow {
                    index: i as usize,
                    experiment_start: start,
                    experiment_end: end,
                    control_start: start.checked_sub(offset).ok_or_else(overflow)?,
                    control_end: end.checked_sub(offset).ok_or_else(overflow)?,
                })
            })
            .collect()
    }
}

/// Thresholds of a standalone analysis; either may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct OptionalThresholds {
    /// Pass threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<f64>,
    /// Marginal threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marginal: Option<f64>,
}

/// Kayenta's final decision from the last score: no thresholds pass; `last <= marginal` fails;
/// `last < pass` fails; else pass.
///
/// # Example
/// ```
/// use canary_analysis::orchestrate::multi::{final_passed, OptionalThresholds};
/// let t = OptionalThresholds { pass: Some(95.0), marginal: Some(75.0) };
/// assert!(!final_passed(85.0, &t));
/// assert!(final_passed(97.0, &t));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn final_passed(last: f64, t: &OptionalThresholds) -> bool {
    if let Some(m) = t.marginal
        && last <= m
    {
        return false;
    }
    if let Some(p) = t.pass
        && last < p
    {
        return false;
    }
    true
}

/// The outcome of a standalone analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StandaloneOutcome {
    /// The scores of the judgements that ran, in order.
    pub scores: Vec<f64>,
    /// The windows planned.
    pub windows: Vec<AnalysisWindow>,
    /// Whether the canary passed.
    pub passed: bool,
    /// Whether a judgement at or below marginal stopped the analysis early.
    pub stopped_early: bool,
    /// Why.
    pub reason: String,
}

/// Runs the judgements of `plan` through `judge` (a window to its score), with fail-fast at
/// `<= marginal` and the last score deciding.
///
/// # Errors
/// The plan's errors, or the first error `judge` returns.
///
/// # Example
/// ```
/// use canary_analysis::orchestrate::multi::{run_standalone, OptionalThresholds, StandalonePlan};
/// let plan = StandalonePlan { start_millis: 0, lifetime_duration_mins: Some(30),
///     analysis_interval_mins: Some(10), ..Default::default() };
/// let t = OptionalThresholds { pass: Some(95.0), marginal: Some(75.0) };
/// let scores = [100.0, 60.0, 100.0];
/// let out = run_standalone(&plan, &t, |w| Ok(scores[w.index - 1]))?;
/// assert!(!out.passed && out.stopped_early && out.scores.len() == 2);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn run_standalone<F>(
    plan: &StandalonePlan,
    thresholds: &OptionalThresholds,
    mut judge: F,
) -> Result<StandaloneOutcome>
where
    F: FnMut(&AnalysisWindow) -> Result<f64>,
{
    let windows = plan.windows()?;
    let mut scores = Vec::with_capacity(windows.len());
    for w in &windows {
        let s = judge(w)?;
        scores.push(s);
        if let Some(m) = thresholds.marginal
            && s <= m
        {
            return Ok(StandaloneOutcome {
                reason: format!(
                    "judgement {} of {} scored {s} <= marginal {m}: analysis stopped as failed",
                    w.index,
                    windows.len()
                ),
                scores,
                windows,
                passed: false,
                stopped_early: true,
            });
        }
    }
    let last = *scores
        .last()
        .expect("windows() returns at least one window");
    let passed = final_passed(last, thresholds);
    Ok(StandaloneOutcome {
        reason: format!(
            "last of {} judgements scored {last}: {}",
            scores.len(),
            if passed { "passed" } else { "failed" }
        ),
        scores,
        windows,
        passed,
        stopped_early: false,
    })
}
