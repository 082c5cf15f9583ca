//! Continuous canary monitoring from a JSON-lines event stream, with anytime-valid tests.
//!
//! ```text
//! cargo run --release --example monitor -- --input EVENTS.jsonl [--alpha 0.05] [--look-every K]
//!     [--canary-share S] [--two-sided] [--no-msprt]
//! ```
//!
//! Input, one JSON object per line (blank lines are skipped; other fields are ignored):
//! - `{"arm": "baseline"|"canary", "metric": NAME, "value": X}`: one continuous observation;
//! - `{"arm": "baseline"|"canary", "metric": NAME, "count": N}`: N events (errors, crashes).
//!
//! A metric is continuous or a count metric from its first line on. Tests per metric:
//! - count metric: the Lindon-Malek Beta mixture (k = 100, canary traffic share `--canary-share`,
//!   default 0.5), one-sided "canary worse" (`count-greater`), or two-sided with `--two-sided`;
//! - continuous metric: the time-uniform DKW test of stochastic order (H0: the canary is not
//!   larger; `dkw-greater`), or equality in distribution with `--two-sided` (`dkw-two-sided`),
//!   plus the two-sided mSPRT on log values (`msprt-log`, burn-in 100 per arm; values must be
//!   > 0) unless `--no-msprt`.
//!
//! A look is taken after every K input lines (default 100) and once more at the end of the input
//! if lines arrived since the last look. Each look prints one JSON line per metric:
//! `{"look", "metric", "test", "p_value", "decision"}` where `p_value` is the Bonferroni
//! combination of the metric's tests' always-valid p-values (it never rises) and `decision` is
//! `"reject"` when it is below `--alpha`: the probability of a false rejection on a metric, over
//! all its tests and all looks, is at most alpha. The last line is a summary:
//! `{"summary": {"looks": N, "lines": L, "alpha": a, "first_reject": {metric: look or null}}}`.
//!
//! Exit status: 0 after the whole input whatever was decided; 2 for a bad line (the message
//! names the line number) or bad arguments.
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

use canary_analysis::stats::Alternative;
use canary_analysis::stats::sequential::{
    Arm, CountMixture, CountMixtureOptions, Decision, Dkw, DkwOptions, MetricMonitor, Msprt,
    MsprtOptions, SequentialTest, Transform,
};
use serde::Serialize;
use serde_json::{Value, json};

struct Args {
    input: String,
    alpha: f64,
    look_every: u64,
    canary_share: f64,
    two_sided: bool,
    msprt: bool,
}

const USAGE: &str = "usage: monitor --input EVENTS.jsonl [--alpha 0.05] [--look-every K] \
                     [--canary-share S] [--two-sided] [--no-msprt]";

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        input: String::new(),
        alpha: 0.05,
        look_every: 100,
        canary_share: 0.5,
        two_sided: false,
        msprt: true,
    };
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--input" => args.input = value("--input")?,
            "--alpha" => {
                let v = value("--alpha")?;
                args.alpha = v
                    .parse()
                    .map_err(|_| format!("--alpha: `{v}` is not a number"))?;
                if !(args.alpha > 0.0 && args.alpha < 1.0) {
                    return Err(format!(
                        "--alpha must lie strictly between 0 and 1, got {v}"
                    ));
                }
            }
            "--look-every" => {
                let v = value("--look-every")?;
                args.look_every =
                    v.parse().ok().filter(|&k: &u64| k >= 1).ok_or_else(|| {
                        format!("--look-every must be a positive integer, got `{v}`")
                    })?;
            }
            "--canary-share" => {
                let v = value("--canary-share")?;
                args.canary_share = v
                    .parse()
                    .map_err(|_| format!("--canary-share: `{v}` is not a number"))?;
                if !(args.canary_share > 0.0 && args.canary_share < 1.0) {
                    return Err(format!(
                        "--canary-share must lie strictly between 0 and 1, got {v}"
                    ));
                }
            }
            "--two-sided" => args.two_sided = true,
            "--no-msprt" => args.msprt = false,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if args.input.is_empty() {
        return Err(format!("--input is required\n{USAGE}"));
    }
    Ok(args)
}

/// One parsed input line.
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

struct Metric {
    monitor: MetricMonitor,
    test: String,
    first_reject: Option<u64>,
}

fn new_metric(args: &Args, counts: bool) -> Result<Metric, String> {
    let side = if args.two_sided {
        Alternative::TwoSided
    } else {
        Alternative::Greater
    };
    let mut tests = Vec::new();
    let m = if counts || !args.msprt { 1.0 } else { 2.0 };
    let each = args.alpha / m;
    let err = |e: canary_analysis::Error| e.to_string();
    if counts {
        tests.push(SequentialTest::Counts(
            CountMixture::new(
                CountMixtureOptions::new()
                    .canary_share(args.canary_share)
                    .alternative(side)
                    .alpha(each),
            )
            .map_err(err)?,
        ));
    } else {
        tests.push(SequentialTest::Dkw(
            Dkw::new(DkwOptions::new().alternative(side).alpha(each)).map_err(err)?,
        ));
        if args.msprt {
            tests.push(SequentialTest::Msprt(
                Msprt::new(MsprtOptions::new().transform(Transform::Log).alpha(each))
                    .map_err(err)?,
            ));
        }
    }
    let names: Vec<String> = tests.iter().map(SequentialTest::name).collect();
    let test = if names.len() == 1 {
        names[0].clone()
    } else {
        format!("bonferroni({})", names.join(","))
    };
    Ok(Metric {
        monitor: MetricMonitor::new(args.alpha, tests).map_err(err)?,
        test,
        first_reject: None,
    })
}

/// One output line per look per metric, fields in the documented order.
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
    out: &mut impl Write,
) -> Result<(), String> {
    for (name, m) in metrics.iter_mut() {
        let res = m
            .monitor
            .look()
            .map_err(|e| format!("metric `{name}`: {e}"))?;
        if res.decision == Decision::Reject && m.first_reject.is_none() {
            m.first_reject = Some(look);
        }
        let line = LookLine {
            look,
            metric: name,
            test: &m.test,
            p_value: res.p_value,
            decision: res.decision,
        };
        let text = serde_json::to_string(&line).map_err(|e| e.to_string())?;
        writeln!(out, "{text}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn run(args: &Args, out: &mut impl Write) -> Result<(), String> {
    let file = File::open(&args.input).map_err(|e| format!("cannot open {}: {e}", args.input))?;
    let mut metrics: BTreeMap<String, Metric> = BTreeMap::new();
    let mut looks = 0u64;
    let mut since_look = 0u64;
    let mut lines = 0u64;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let number = i + 1;
        let line = line.map_err(|e| format!("line {number}: cannot read: {e}"))?;
        lines += 1;
        since_look += 1;
        if !line.trim().is_empty() {
            let (arm, name, obs) = parse_line(&line).map_err(|e| format!("line {number}: {e}"))?;
            let is_count = matches!(obs, Observation::Count(_));
            if !metrics.contains_key(&name) {
                let m = new_metric(args, is_count).map_err(|e| format!("line {number}: {e}"))?;
                metrics.insert(name.clone(), m);
            }
            let m = metrics.get_mut(&name).expect("inserted above");
            if m.monitor.is_counts() != is_count {
                let kind = if is_count { "a count" } else { "a value" };
                let was = if is_count { "values" } else { "counts" };
                return Err(format!(
                    "line {number}: metric `{name}` was first seen with {was}; this line has {kind}"
                ));
            }
            let fed = match obs {
                Observation::Value(x) => m.monitor.observe_value(arm, x),
                Observation::Count(n) => m.monitor.observe_count(arm, n),
            };
            fed.map_err(|e| format!("line {number}: metric `{name}`: {e}"))?;
        }
        if since_look == args.look_every && !metrics.is_empty() {
            looks += 1;
            look(&mut metrics, looks, out)?;
            since_look = 0;
        }
    }
    if since_look > 0 && !metrics.is_empty() {
        looks += 1;
        look(&mut metrics, looks, out)?;
    }
    let first: BTreeMap<&str, Option<u64>> = metrics
        .iter()
        .map(|(k, m)| (k.as_str(), m.first_reject))
        .collect();
    let summary = json!({
        "summary": {"looks": looks, "lines": lines, "alpha": args.alpha, "first_reject": first}
    });
    writeln!(out, "{summary}").map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match run(&args, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
