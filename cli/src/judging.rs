//! Every call into the library's judge lives here, so that a change of the judge's API touches
//! one file of the command.

use canary_analysis::judge::config::{CanaryConfig, Thresholds};
use canary_analysis::judge::report::render_html;
use canary_analysis::judge::{CanaryJudgeResult, Classification, MetricValues, Verdict};
use canary_analysis::metrics::MetricPair;

/// Which judge (`--mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The default judge.
    Default,
    /// The Kayenta judge (NetflixACAJudge-v1.0).
    Kayenta,
}

/// Kayenta's judge name (the one `--mode kayenta` runs).
pub const KAYENTA_JUDGE_NAME: &str = "NetflixACAJudge-v1.0";

/// The two numbers of a threshold pair.
pub fn threshold_values(t: &Thresholds) -> (f64, f64) {
    (t.pass, t.marginal)
}

/// The number of metrics in a config.
pub fn metric_count(config: &CanaryConfig) -> usize {
    config.metrics.len()
}

/// The judge's name.
pub fn judge_name(result: &CanaryJudgeResult) -> &str {
    &result.judge_name
}

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
        None => match &config.classifier.score_thresholds {
            Some(t) => Ok((*t, ThresholdSource::Config)),
            None => Thresholds::new(95.0, 75.0)
                .map(|t| (t, ThresholdSource::Default))
                .map_err(|e| e.to_string()),
        },
    }
}

/// Parses a Kayenta canary config as the judge does.
pub fn load_config(text: &str) -> Result<CanaryConfig, String> {
    CanaryConfig::from_json(text).map_err(|e| e.to_string())
}

/// Warnings about a config that loads: where the judge falls back to defaults or ignores a
/// field that matters.
pub fn config_warnings(config: &CanaryConfig, raw: &serde_json::Value) -> Vec<String> {
    let mut w = Vec::new();
    if config.classifier.group_weights.is_empty() {
        w.push(
            "classifier.groupWeights is missing: every group gets an equal share of 100".to_owned(),
        );
    }
    if config.classifier.score_thresholds.is_none() {
        w.push(
            "classifier.scoreThresholds is missing: the thresholds come from --pass/--marginal, \
             else 95/75"
                .to_owned(),
        );
    }
    for (i, m) in raw
        .get("metrics")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = m.get("name").and_then(|v| v.as_str()).unwrap_or("?");
        let canary = m.pointer("/analysisConfigurations/canary");
        if canary.and_then(|c| c.get("direction")).is_none() {
            w.push(format!(
                "metrics[{i}] `{name}`: no analysisConfigurations.canary.direction; Kayenta's \
                 default `either` flags a change in both directions"
            ));
        }
        if m.get("groups")
            .and_then(|g| g.as_array())
            .is_none_or(|g| g.is_empty())
        {
            w.push(format!(
                "metrics[{i}] `{name}`: no groups; the metric counts toward no group score"
            ));
        }
    }
    w
}

/// Judges `pairs` (baseline = control, canary = experiment).
pub fn judge(
    config: &CanaryConfig,
    pairs: &[MetricPair],
    thresholds: &Thresholds,
    mode: Mode,
) -> Result<CanaryJudgeResult, String> {
    let mode = match mode {
        Mode::Default => canary_analysis::judge::Mode::Default,
        Mode::Kayenta => canary_analysis::judge::Mode::Kayenta,
    };
    canary_analysis::judge::judge(config, pairs, thresholds, mode).map_err(|e| e.to_string())
}

/// The self-contained HTML report.
pub fn html(result: &CanaryJudgeResult, pairs: &[MetricPair]) -> String {
    let flat = flatten(pairs);
    render_html(result, &values(pairs, &flat))
}

/// The verdict.
pub fn verdict(result: &CanaryJudgeResult) -> Verdict {
    result.score.classification
}

/// The score, 0 to 100.
pub fn score(result: &CanaryJudgeResult) -> f64 {
    result.score.score
}

/// One line per metric result that is not Pass: `name (classification): reason`.
pub fn non_pass_lines(result: &CanaryJudgeResult) -> Vec<String> {
    result
        .results
        .iter()
        .filter(|r| r.classification != Classification::Pass)
        .map(|r| {
            let id = if r.tags.is_empty() {
                r.name.clone()
            } else {
                let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{}{{{}}}", r.name, tags.join(","))
            };
            let reason = r.classification_reason.as_deref().unwrap_or("");
            let muted = if r.muted { ", muted" } else { "" };
            format!("{id} ({}{muted}): {reason}", r.classification.as_str())
        })
        .collect()
}

/// Why the verdict is what it is, when the judge says (e.g. a critical metric failed).
pub fn verdict_reason(result: &CanaryJudgeResult) -> Option<&str> {
    Some(result.score.classification_reason.as_str()).filter(|r| !r.is_empty())
}

/// Warnings the judge attached to the result.
pub fn warnings(result: &CanaryJudgeResult) -> Vec<String> {
    let mut w = Vec::new();
    if result.coverage < 1.0 {
        w.push(format!(
            "only {:.0}% of the weight had data",
            result.coverage * 100.0
        ));
    }
    w
}

/// Each pair's instances pooled into one vector per side (NaN gaps kept for the judge).
fn flatten(pairs: &[MetricPair]) -> Vec<(Vec<f64>, Vec<f64>)> {
    let pool = |s: &canary_analysis::metrics::Series| -> Vec<f64> { s.values().collect() };
    pairs
        .iter()
        .map(|p| (pool(p.baseline()), pool(p.canary())))
        .collect()
}

fn values<'a>(pairs: &'a [MetricPair], flat: &'a [(Vec<f64>, Vec<f64>)]) -> Vec<MetricValues<'a>> {
    pairs
        .iter()
        .zip(flat)
        .map(|(p, (b, c))| {
            let mut v = MetricValues::new(p.metric(), b, c);
            v.tags = Some(p.tags());
            v
        })
        .collect()
}
