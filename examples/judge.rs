//! Judge a canary from a Kayenta canary config and a JSON array of metric-set pairs.
//!
//! ```text
//! cargo run --release --example judge -- --config CONFIG.json --pairs PAIRS.json \
//!     --pass P --marginal M [--mode kayenta|default] [--html OUT.html]
//! ```
//!
//! Prints the result JSON (Kayenta's `CanaryJudgeResult` field names plus ours) on stdout; with
//! `--html`, also writes the self-contained HTML report. Exits with status 2 and a message on
//! stderr on bad arguments or bad input.

use std::process::ExitCode;

use canary_analysis::judge::report::render_html;
use canary_analysis::prelude::*;

/// Which judge to build.
#[derive(Clone, Copy)]
enum Mode {
    Kayenta,
    Default,
}
use canary_analysis::metrics::read_metric_set_pairs;

const USAGE: &str = "usage: judge --config CONFIG.json --pairs PAIRS.json --pass P --marginal M \
                     [--mode kayenta|default] [--html OUT.html]";

struct Args {
    config: String,
    pairs: String,
    pass: f64,
    marginal: f64,
    mode: Mode,
    html: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut config, mut pairs, mut pass, mut marginal, mut mode, mut html) =
        (None, None, None, None, Mode::Default, None);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        let number = |s: String, name: &str| {
            s.parse::<f64>()
                .map_err(|_| format!("{name} must be a number, got `{s}`"))
        };
        match flag.as_str() {
            "--config" => config = Some(value()?),
            "--pairs" => pairs = Some(value()?),
            "--pass" => pass = Some(number(value()?, "--pass")?),
            "--marginal" => marginal = Some(number(value()?, "--marginal")?),
            "--mode" => {
                mode = match value()?.as_str() {
                    "kayenta" => Mode::Kayenta,
                    "default" => Mode::Default,
                    other => {
                        return Err(format!("--mode must be kayenta or default, got `{other}`"));
                    }
                }
            }
            "--html" => html = Some(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let missing = |what: &str| format!("missing {what}\n{USAGE}");
    Ok(Args {
        config: config.ok_or_else(|| missing("--config"))?,
        pairs: pairs.ok_or_else(|| missing("--pairs"))?,
        pass: pass.ok_or_else(|| missing("--pass"))?,
        marginal: marginal.ok_or_else(|| missing("--marginal"))?,
        mode,
        html,
    })
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let read =
        |path: &str| std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"));
    let config = CanaryConfig::from_json(&read(&args.config)?)
        .map_err(|e| format!("{}: {e}", args.config))?;
    let pairs: Vec<MetricPair> =
        read_metric_set_pairs(&read(&args.pairs)?).map_err(|e| format!("{}: {e}", args.pairs))?;
    let thresholds =
        Thresholds::new(args.pass, args.marginal).map_err(|e| format!("thresholds: {e}"))?;
    let judge: Box<dyn Judge> = match args.mode {
        Mode::Kayenta => {
            Box::new(KayentaJudge::new(config, thresholds).map_err(|e| e.to_string())?)
        }
        Mode::Default => {
            Box::new(DefaultJudge::new(config, thresholds).map_err(|e| e.to_string())?)
        }
    };
    let result = judge.judge(&pairs).map_err(|e| e.to_string())?;
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    let json = serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?;
    println!("{json}");
    if let Some(path) = args.html {
        std::fs::write(&path, render_html(&result, &pairs))
            .map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("judge: {e}");
            ExitCode::from(2)
        }
    }
}
