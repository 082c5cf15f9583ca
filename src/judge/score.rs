//! Scoring: metric results to group scores, a canary score and a verdict.
//!
//! Public so that a host judge (see [`crate::judge::Judge`]) that classifies metrics its own way
//! can score them by either rule. Shared by both judges: muted results are reported but not scored; a metric counts in every
//! group it lists; a group's score is `100 * Pass / (Pass + High + Low + NodataFailMetric)`
//! (`Nodata`, `Error` and `InsufficientData` are left out); a group with none of those counts has
//! no data. Each group's `classification` is its score against the thresholds (`Pass`,
//! `Marginal`, `Fail`) or `Nodata`.
//!
//! **Kayenta mode** ([`score_kayenta`], Kayenta's `WeightedSumScorer`): a group without data
//! scores 0 but contributes 100 to the summary; summary `= sum(effective * weight / 100)` with
//! groups without a weight sharing `100 - sum(given)` equally, no normalization, rounded to 2
//! decimals. Forced to 0: any unmuted result marked critical whose classification is not `Pass`
//! (reason `"Canary Failed: " + its reason`), or `Nodata` on at least half of the unmuted results.
//! Verdict: `score >= pass` Pass, `>= marginal` Marginal, else Fail.
//!
//! A metric that lists no group counts in no group score (Kayenta's rule; it still counts for
//! the critical and the Nodata rules).
//!
//! **Default judge** ([`score_default`]): a metric that lists no group counts in the implicit
//! group [`UNGROUPED`] (weighted like any group without a
//! weight), so no result is ever left out of the verdict. A group without data neither counts 100 nor 0; the
//! summary is the weighted mean over the groups with data (weights renormalized), and the
//! coverage is the weight of the groups with data over the total weight. A critical failure
//! (critical High/Low/NodataFailMetric, or a critical metric without data) gives score 0 and
//! Fail. Otherwise: coverage 0 is Marginal (no evidence either way); a score below marginal
//! Fail; below pass Marginal; coverage below 1 Marginal (a group without data lowers the
//! confidence, it cannot pass the canary); else Pass.

use std::collections::BTreeMap;

use crate::judge::config::{Thresholds, UNGROUPED, group_weights_for};
use crate::judge::result::{
    Classification, GroupOutcome, GroupScore, MetricResult, ScoreResult, Verdict,
};

/// Group tallies of the unmuted results, sorted by group name. With `ungrouped`, a result that
/// lists no group counts in [`UNGROUPED`].
fn tally(results: &[MetricResult], ungrouped: bool) -> BTreeMap<&str, [usize; 3]> {
    // [pass, scored total, all]
    let mut groups: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for r in results.iter().filter(|r| !r.muted) {
        let implicit = [UNGROUPED];
        let names: Vec<&str> = if r.groups.is_empty() && ungrouped {
            implicit.to_vec()
        } else {
            r.groups.iter().map(String::as_str).collect()
        };
        for g in names {
            let e = groups.entry(g).or_default();
            e[2] += 1;
            match r.classification {
                Classification::Pass => {
                    e[0] += 1;
                    e[1] += 1;
                }
                Classification::High | Classification::Low | Classification::NodataFailMetric => {
                    e[1] += 1
                }
                _ => {}
            }
        }
    }
    groups
}

fn group_outcome(no_data: bool, score: f64, t: &Thresholds) -> GroupOutcome {
    if no_data {
        return GroupOutcome::Nodata;
    }
    match verdict(score, t) {
        Verdict::Pass => GroupOutcome::Pass,
        Verdict::Marginal => GroupOutcome::Marginal,
        _ => GroupOutcome::Fail,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn verdict(score: f64, t: &Thresholds) -> Verdict {
    if score >= t.pass() {
        Verdict::Pass
    } else if score >= t.marginal() {
        Verdict::Marginal
    } else {
        Verdict::Fail
    }
}

/// Kayenta's scorer (see the module docs): group scores and the summary score with its verdict.
///
/// `weights` are the configured group weights (`classifier.groupWeights`).
///
/// # Example
/// ```
/// use std::collections::BTreeMap;
/// use canary_analysis::judge::config::Thresholds;
/// use canary_analysis::judge::result::{Classification, Verdict};
/// use canary_analysis::judge::MetricResult;
/// use canary_analysis::judge::score::score_kayenta;
/// let results = vec![
///     MetricResult::new("a", Classification::Pass, ["g"]),
///     MetricResult::new("b", Classification::High, ["g"]),
/// ];
/// let (_, score) = score_kayenta(&results, &BTreeMap::new(), &Thresholds::new(95.0, 75.0)?);
/// assert_eq!((score.score, score.classification), (50.0, Verdict::Fail));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn score_kayenta(
    results: &[MetricResult],
    weights: &BTreeMap<String, f64>,
    thresholds: &Thresholds,
) -> (Vec<GroupScore>, ScoreResult) {
    let groups = tally(results, false);
    let names: Vec<&str> = groups.keys().copied().collect();
    let w = group_weights_for(&names, weights);
    let mut group_scores = Vec::with_capacity(groups.len());
    let mut summary = 0.0;
    for (name, [pass, total, _]) in &groups {
        let no_data = *total == 0;
        let score = if no_data {
            0.0
        } else {
            100.0 * *pass as f64 / *total as f64
        };
        let effective = if no_data { 100.0 } else { score };
        let weight = w[*name];
        summary += effective * (weight / 100.0);
        group_scores.push(GroupScore {
            name: name.to_string(),
            score,
            classification: group_outcome(no_data, score, thresholds),
            classification_reason: if no_data {
                "no scored result in the group (counted as 100 in the summary, as Kayenta does)"
                    .into()
            } else {
                String::new()
            },
            no_data,
            weight,
        });
    }
    let unmuted: Vec<&MetricResult> = results.iter().filter(|r| !r.muted).collect();
    let nodata = unmuted
        .iter()
        .filter(|r| r.classification == Classification::Nodata)
        .count();
    if let Some(r) = unmuted
        .iter()
        .find(|r| r.critical && r.classification != Classification::Pass)
    {
        let reason = format!(
            "Canary Failed: {}",
            r.classification_reason.clone().unwrap_or_default()
        );
        return (
            group_scores,
            ScoreResult {
                score: 0.0,
                classification: verdict(0.0, thresholds),
                classification_reason: reason,
            },
        );
    }
    if !unmuted.is_empty() && nodata as f64 >= 0.5 * unmuted.len() as f64 {
        return (
            group_scores,
            ScoreResult {
                score: 0.0,
                classification: verdict(0.0, thresholds),
                classification_reason: format!(
                    "Too many Nodata results: {nodata} of {} unmuted metrics",
                    unmuted.len()
                ),
            },
        );
    }
    let score = round2(summary);
    (
        group_scores,
        ScoreResult {
            score,
            classification: verdict(score, thresholds),
            classification_reason: String::new(),
        },
    )
}

/// The default judge's scorer (see the module docs): group scores, the summary with its verdict,
/// and the coverage in `[0, 1]`.
///
/// # Example
/// ```
/// use std::collections::BTreeMap;
/// use canary_analysis::judge::config::Thresholds;
/// use canary_analysis::judge::result::{Classification, Verdict};
/// use canary_analysis::judge::MetricResult;
/// use canary_analysis::judge::score::score_default;
/// let results = vec![
///     MetricResult::new("a", Classification::Pass, ["g1"]),
///     MetricResult::new("b", Classification::Nodata, ["g2"]),
/// ];
/// let (_, score, coverage) = score_default(&results, &BTreeMap::new(), &Thresholds::new(95.0, 75.0)?);
/// // g2 has no data: it does not count 100, it lowers the coverage and blocks a Pass.
/// assert_eq!((score.score, coverage, score.classification), (100.0, 0.5, Verdict::Marginal));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn score_default(
    results: &[MetricResult],
    weights: &BTreeMap<String, f64>,
    thresholds: &Thresholds,
) -> (Vec<GroupScore>, ScoreResult, f64) {
    let groups = tally(results, true);
    let names: Vec<&str> = groups.keys().copied().collect();
    let w = group_weights_for(&names, weights);
    let mut group_scores = Vec::with_capacity(groups.len());
    let (mut weighted, mut with_data, mut total_w) = (0.0, 0.0, 0.0);
    let mut empty = Vec::new();
    for (name, [pass, total, _]) in &groups {
        let no_data = *total == 0;
        let weight = w[*name];
        total_w += weight;
        let score = if no_data {
            0.0
        } else {
            100.0 * *pass as f64 / *total as f64
        };
        if no_data {
            empty.push(name.to_string());
        } else {
            weighted += score * weight;
            with_data += weight;
        }
        group_scores.push(GroupScore {
            name: name.to_string(),
            score,
            classification: group_outcome(no_data, score, thresholds),
            classification_reason: if no_data {
                "no scored result in the group: it lowers the coverage instead of counting 100"
                    .into()
            } else {
                String::new()
            },
            no_data,
            weight,
        });
    }
    let coverage = if total_w > 0.0 {
        with_data / total_w
    } else if groups.is_empty() {
        0.0
    } else {
        // Every group weighs 0: coverage by count.
        (groups.len() - empty.len()) as f64 / groups.len() as f64
    };
    let score = if with_data > 0.0 {
        round2(weighted / with_data)
    } else if !empty.is_empty() && empty.len() < groups.len() {
        // Zero-weight groups with data only: the plain mean of their scores.
        let s: Vec<f64> = group_scores
            .iter()
            .filter(|g| !g.no_data)
            .map(|g| g.score)
            .collect();
        round2(s.iter().sum::<f64>() / s.len() as f64)
    } else {
        0.0
    };
    let unmuted = results.iter().filter(|r| !r.muted);
    let critical = unmuted.clone().find(|r| {
        r.critical
            && matches!(
                r.classification,
                Classification::High
                    | Classification::Low
                    | Classification::NodataFailMetric
                    | Classification::Nodata
                    | Classification::InsufficientData
            )
    });
    let result = if let Some(r) = critical {
        ScoreResult {
            score: 0.0,
            classification: Verdict::Fail,
            classification_reason: format!(
                "Canary Failed: critical metric `{}` is {}: {}",
                r.name,
                r.classification.as_str(),
                r.classification_reason.clone().unwrap_or_default()
            ),
        }
    } else if coverage == 0.0 {
        ScoreResult {
            score,
            classification: Verdict::Marginal,
            classification_reason: "no group has data: no evidence either way".into(),
        }
    } else {
        let v = verdict(score, thresholds);
        if v == Verdict::Pass && coverage < 1.0 {
            ScoreResult {
                score,
                classification: Verdict::Marginal,
                classification_reason: format!(
                    "score {score} passes, but groups without data lower the coverage to {:.2}: {}",
                    coverage,
                    empty.join(", ")
                ),
            }
        } else {
            let failing: Vec<&str> = results
                .iter()
                .filter(|r| {
                    !r.muted
                        && matches!(
                            r.classification,
                            Classification::High
                                | Classification::Low
                                | Classification::NodataFailMetric
                        )
                })
                .map(|r| r.name.as_str())
                .collect();
            ScoreResult {
                score,
                classification: v,
                classification_reason: if failing.is_empty() {
                    String::new()
                } else {
                    format!("regressed metrics: {}", failing.join(", "))
                },
            }
        }
    };
    (group_scores, result, coverage)
}
