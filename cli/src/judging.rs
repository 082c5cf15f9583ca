//! Every call into the library's judge lives here, so that a change of the judge's API touches
//! one file of the command.

use canary_analysis::judge::config::{CanaryConfig, Thresholds};
use canary_analysis::judge::report::render_html;
use canary_analysis::judge::{
    CanaryJudgeResult, Classification, DefaultJudge, Judge, KayentaJudge, Verdict,
};
use canary_analysis::metrics::MetricPair;

/// Which judge (`--mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// [`DefaultJudge`].
    Default,
    /// [`KayentaJudge`].
    Kayenta,
}

/// Kayenta's judge name (the one `--mode kayenta` runs).
pub const KAYENTA_JUDGE_NAME: &str = "NetflixACAJudge-v1.0";

/// Where the thresholds came from (for the summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdSource {
    /// `--pass` / `--marginal`.
    Flags,
    /// The config's `classifier.scoreThresholds`.
    Config,
    /// Neither: 95 / 75.
    Default,
}

/// The thresholds in force: flags, else the config's, else 95 / 75.
pub fn thresholds(
    flags: Option<(f64, f64)>,
    config: &CanaryConfig,
) -> Result<(Thresholds, ThresholdSource), String> {
    match flags {
        Some((pass, marginal)) => Thresholds::new(pass, marginal)
            .map(|t| (t, ThresholdSource::Flags))
            .map_err(|e| format!("--pass/--marginal: {e}")),
        None => match config.score_thresholds() {
            Some(t) => Ok((t, ThresholdSource::Config)),
            None => Thresholds::new(95.0, 75.0)
                .map(|t| (t, ThresholdSource::Default))
                .map_err(|e| e.to_string()),
        },
    }
}

/// The two numbers of a threshold pair.
pub fn threshold_values(t: &Thresholds) -> (f64, f64) {
    (t.pass(), t.marginal())
}

/// Parses a Kayenta canary config as the judge does.
pub fn load_config(text: &str) -> Result<CanaryConfig, String> {
    CanaryConfig::from_json(text).map_err(|e| e.to_string())
}

/// The number of metrics in a config.
pub fn metric_count(config: &CanaryConfig) -> usize {
    config.metrics().len()
}

/// The config's warnings: where Kayenta (and so the judge) falls back to a default.
pub fn config_warnings(config: &CanaryConfig, _raw: &serde_json::Value) -> Vec<String> {
    config.warnings().iter().map(ToString::to_string).collect()
}

/// Judges `pairs` (baseline = control, canary = experiment) with the judge `mode` names.
pub fn judge(
    config: &CanaryConfig,
    pairs: &[MetricPair],
    thresholds: &Thresholds,
    mode: Mode,
) -> Result<CanaryJudgeResult, String> {
    let judge: Box<dyn Judge> = match mode {
        Mode::Default => {
            Box::new(DefaultJudge::new(config.clone(), *thresholds).map_err(|e| e.to_string())?)
        }
        Mode::Kayenta => {
            Box::new(KayentaJudge::new(config.clone(), *thresholds).map_err(|e| e.to_string())?)
        }
    };
    judge.judge(pairs).map_err(|e| e.to_string())
}

/// The self-contained HTML report.
pub fn html(result: &CanaryJudgeResult, pairs: &[MetricPair]) -> String {
    render_html(result, pairs)
}

/// The verdict.
pub fn verdict(result: &CanaryJudgeResult) -> Verdict {
    result.verdict()
}

/// The score, 0 to 100.
pub fn score(result: &CanaryJudgeResult) -> f64 {
    result.score()
}

/// The judge's name.
pub fn judge_name(result: &CanaryJudgeResult) -> &str {
    &result.judge_name
}

/// Why the verdict is what it is, when the judge says (e.g. a critical metric failed).
pub fn verdict_reason(result: &CanaryJudgeResult) -> Option<&str> {
    Some(result.score.classification_reason.as_str()).filter(|r| !r.is_empty())
}

/// One line per metric result that is not Pass: `id (classification): plain sentence`.
pub fn non_pass_lines(result: &CanaryJudgeResult) -> Vec<String> {
    result
        .metrics()
        .iter()
        .filter(|r| r.classification != Classification::Pass)
        .map(|r| {
            let id = if r.tags.is_empty() {
                r.name.clone()
            } else {
                let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{}{{{}}}", r.name, tags.join(","))
            };
            let muted = if r.muted { ", muted" } else { "" };
            format!(
                "{id} ({}{muted}): {}",
                r.classification.as_str(),
                r.sentence()
            )
        })
        .collect()
}

/// Warnings the judge attached to the result, and low coverage.
pub fn warnings(result: &CanaryJudgeResult) -> Vec<String> {
    let mut w: Vec<String> = result.warnings().iter().map(ToString::to_string).collect();
    if result.coverage() < 1.0 {
        w.push(format!(
            "only {:.0}% of the weight had data",
            result.coverage() * 100.0
        ));
    }
    w
}
