//! `canary monitor`: continuous canary monitoring from a JSON-lines event stream with
//! anytime-valid tests (the job of the crate's `monitor` example, as a command).
//!
//! Input lines, output lines and the error rule are those of the example (see `--help`). The one
//! change: a continuous metric whose values are not all `> 0` no longer ends the run. The mean
//! test (mSPRT) picks its transform from the metric's first value: `log` (ratio of geometric
//! means) when it is `> 0`, the identity (difference of means) otherwise. When a later value is
//! `<= 0` under the log transform, that metric's mean test stops with a warning on stderr: its
//! always-valid p-value so far stands (stopping an always-valid test at any time keeps its
//! guarantee, and the Bonferroni split stays the same, so the metric's combined p-value keeps its
//! level), while the distribution test and the other metrics go on.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use canary_analysis::stats::Alternative;
use canary_analysis::stats::sequential::{
    Arm, CountMixture, CountMixtureOptions, Decision, Dkw, DkwOptions, Msprt, MsprtOptions,
    RunningP, SequentialTest, Transform, bonferroni,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::progress::Progress;

/// How the mean test transforms values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MeanTransform {
    /// Log when the metric's first value is > 0, identity otherwise.
    Auto,
    /// Always log (a value <= 0 stops the metric's mean test with a warning).
    Log,
    /// Always the identity (difference of arithmetic means).
    Identity,
}

/// The monitor's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Family-wise false-rejection rate per metric.
    pub alpha: f64,
    /// Look after every this many input lines.
    pub look_every: u64,
    /// The canary's share of traffic (count metrics).
    pub canary_share: f64,
    /// Two-sided tests.
    pub two_sided: bool,
    /// Whether to run the mean test.
    pub msprt: bool,
    /// The mean test's transform.
    pub transform: MeanTransform,
}

enum Observation {
    Value(f64),
    Count(u64),
}

fn parse_line(text: &str) -> Result<(Arm, String, Observation), String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = v.as_object().ok_or("expected a JSON object")?;
    let arm = match obj.get("arm").and_then(Value::as_str) {
        Some("baseline") => Arm::Baseline,
        Some("canary") => Arm::Canary,
        Some(other) => {
            return Err(format!(
                "`arm` must be \"baseline\" or \"canary\", got {other:?}"
            ));
        }
        None => return Err("missing string field `arm`".to_owned()),
    };
    let metric = obj
        .get("metric")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .ok_or("missing non-empty string field `metric`")?
        .to_owned();
    let obs = match (obj.get("value"), obj.get("count")) {
        (Some(_), Some(_)) => return Err("give either `value` or `count`, not both".to_owned()),
        (Some(x), None) => {
            let x = x.as_f64().ok_or("`value` must be a number")?;
            if !x.is_finite() {
                return Err(format!("`value` must be finite, got {x}"));
            }
            Observation::Value(x)
        }
        (None, Some(n)) => {
            Observation::Count(n.as_u64().ok_or("`count` must be a non-negative integer")?)
        }
        (None, None) => return Err("missing `value` or `count`".to_owned()),
    };
    Ok((arm, metric, obs))
}

enum Test {
    Counts(CountMixture),
    Dkw(Dkw),
    /// The mean test; `stopped` once a value it cannot take arrived.
    Msprt {
        test: Msprt,
        stopped: bool,
    },
}

impl Test {
    fn look(&mut self) -> Result<f64, String> {
        let err = |e: canary_analysis::Error| e.to_string();
        Ok(match self {
            Test::Counts(t) => t.look().map_err(err)?.p_value,
            Test::Dkw(t) => t.look().map_err(err)?.p_value,
            Test::Msprt { test, stopped } => {
                if *stopped {
                    test.p_value()
                } else {
                    test.look().map_err(err)?.p_value
                }
            }
        })
    }
}

struct Metric {
    counts: bool,
    tests: Vec<Test>,
    running: RunningP,
    test: String,
    first_reject: Option<u64>,
}

fn new_metric(s: &Settings, first: &Observation) -> Result<Metric, String> {
    let side = if s.two_sided {
        Alternative::TwoSided
    } else {
        Alternative::Greater
    };
    let counts = matches!(first, Observation::Count(_));
    let m = if counts || !s.msprt { 1.0 } else { 2.0 };
    let each = s.alpha / m;
    let err = |e: canary_analysis::Error| e.to_string();
    let mut tests = Vec::new();
    let mut names = Vec::new();
    if counts {
        let t = CountMixture::new(
            CountMixtureOptions::new()
                .canary_share(s.canary_share)
                .alternative(side)
                .alpha(each),
        )
        .map_err(err)?;
        names.push(SequentialTest::Counts(t.clone()).name());
        tests.push(Test::Counts(t));
    } else {
        let t = Dkw::new(DkwOptions::new().alternative(side).alpha(each)).map_err(err)?;
        names.push(SequentialTest::Dkw(t.clone()).name());
        tests.push(Test::Dkw(t));
        if s.msprt {
            let positive = matches!(first, Observation::Value(x) if *x > 0.0);
            let transform = match s.transform {
                MeanTransform::Log => Transform::Log,
                MeanTransform::Identity => Transform::Identity,
                MeanTransform::Auto if positive => Transform::Log,
                MeanTransform::Auto => Transform::Identity,
            };
            let t =
                Msprt::new(MsprtOptions::new().transform(transform).alpha(each)).map_err(err)?;
            names.push(SequentialTest::Msprt(t.clone()).name());
            tests.push(Test::Msprt {
                test: t,
                stopped: false,
            });
        }
    }
    let test = if names.len() == 1 {
        names[0].clone()
    } else {
        format!("bonferroni({})", names.join(","))
    };
    Ok(Metric {
        counts,
        tests,
        running: RunningP::new(),
        test,
        first_reject: None,
    })
}

impl Metric {
    /// Feeds one observation; returns a warning when the mean test stops.
    fn observe(&mut self, arm: Arm, obs: &Observation) -> Result<Option<String>, String> {
        let err = |e: canary_analysis::Error| e.to_string();
        let mut warning = None;
        for t in &mut self.tests {
            match (t, obs) {
                (Test::Counts(c), Observation::Count(n)) => c.observe(arm, *n).map_err(err)?,
                (Test::Dkw(d), Observation::Value(x)) => d.observe(arm, *x).map_err(err)?,
                (Test::Msprt { test, stopped }, Observation::Value(x)) => {
                    if *stopped {
                        continue;
                    }
                    if test.options().get_transform() == Transform::Log && *x <= 0.0 {
                        *stopped = true;
                        warning = Some(format!(
                            "value {x} <= 0: the mean test on log values (msprt-log) stops \
                             here; its p-value so far stands, the distribution test goes on \
                             (use --mean-transform identity for metrics that can be <= 0)"
                        ));
                    } else {
                        test.observe(arm, *x).map_err(err)?;
                    }
                }
                _ => {}
            }
        }
        Ok(warning)
    }

    fn look(&mut self, alpha: f64) -> Result<(f64, Decision), String> {
        let mut ps = Vec::with_capacity(self.tests.len());
        for t in &mut self.tests {
            ps.push(t.look()?);
        }
        let p = self.running.update(bonferroni(&ps));
        Ok((p, Decision::from_p(p, alpha)))
    }
}

#[derive(Serialize)]
struct LookLine<'a> {
    look: u64,
    metric: &'a str,
    test: &'a str,
    p_value: f64,
    decision: Decision,
}

fn look(
    metrics: &mut BTreeMap<String, Metric>,
    look: u64,
    alpha: f64,
    out: &mut impl Write,
) -> Result<(), String> {
    for (name, m) in metrics.iter_mut() {
        let (p, decision) = m.look(alpha).map_err(|e| format!("metric `{name}`: {e}"))?;
        if decision == Decision::Reject && m.first_reject.is_none() {
            m.first_reject = Some(look);
        }
        let line = LookLine {
            look,
            metric: name,
            test: &m.test,
            p_value: p,
            decision,
        };
        let text = serde_json::to_string(&line).map_err(|e| e.to_string())?;
        writeln!(out, "{text}").map_err(|e| format!("writing the output: {e}"))?;
    }
    Ok(())
}

/// Reads `input` to the end, writing look lines and the summary to `out` and warnings to
/// `warn`.
pub fn run(
    s: &Settings,
    input: impl BufRead,
    out: &mut impl Write,
    warn: &mut impl Write,
) -> Result<(), String> {
    let mut metrics: BTreeMap<String, Metric> = BTreeMap::new();
    let mut looks = 0u64;
    let mut since_look = 0u64;
    let mut lines = 0u64;
    let mut progress = Progress::new();
    for (i, line) in input.lines().enumerate() {
        let number = i + 1;
        let line = line.map_err(|e| format!("line {number}: cannot read: {e}"))?;
        lines += 1;
        since_look += 1;
        if number % 4096 == 0 {
            progress.show(&format!("monitor: {number} lines read, {looks} looks"));
        }
        if !line.trim().is_empty() {
            let (arm, name, obs) = parse_line(&line).map_err(|e| format!("line {number}: {e}"))?;
            if !metrics.contains_key(&name) {
                let m = new_metric(s, &obs).map_err(|e| format!("line {number}: {e}"))?;
                metrics.insert(name.clone(), m);
            }
            let m = metrics.get_mut(&name).expect("inserted above");
            let is_count = matches!(obs, Observation::Count(_));
            if m.counts != is_count {
                let kind = if is_count { "a count" } else { "a value" };
                let was = if is_count { "values" } else { "counts" };
                return Err(format!(
                    "line {number}: metric `{name}` was first seen with {was}; this line has {kind}"
                ));
            }
            if let Some(w) = m
                .observe(arm, &obs)
                .map_err(|e| format!("line {number}: metric `{name}`: {e}"))?
            {
                progress.clear();
                let _ = writeln!(warn, "warning: line {number}: metric `{name}`: {w}");
            }
        }
        if since_look == s.look_every && !metrics.is_empty() {
            looks += 1;
            look(&mut metrics, looks, s.alpha, out)?;
            since_look = 0;
        }
    }
    progress.clear();
    if since_look > 0 && !metrics.is_empty() {
        looks += 1;
        look(&mut metrics, looks, s.alpha, out)?;
    }
    let first: BTreeMap<&str, Option<u64>> = metrics
        .iter()
        .map(|(k, m)| (k.as_str(), m.first_reject))
        .collect();
    let summary = json!({
        "summary": {"looks": looks, "lines": lines, "alpha": s.alpha, "first_reject": first}
    });
    writeln!(out, "{summary}").map_err(|e| format!("writing the output: {e}"))?;
    out.flush().map_err(|e| format!("writing the output: {e}"))
}
