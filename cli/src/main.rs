//! `canary`: judge a canary from a Kayenta canary config and metrics (Kayenta metric-set pairs,
//! CSV, saved Prometheus responses or a live Prometheus), check a config, or monitor a canary
//! continuously from an event stream. Run `canary --help`.

#![forbid(unsafe_code)]

mod compare;
mod judging;
mod monitor;
mod progress;
mod prom;
mod promql;

use std::collections::BTreeMap;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use canary_analysis::judge::Verdict;
use canary_analysis::metrics::MetricPair;
use canary_analysis::metrics::csv::{CsvOptions, read_csv};
use canary_analysis::metrics::prometheus::PrometheusOptions;
use canary_analysis::metrics::read_metric_set_pairs;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::judging::{Mode, ThresholdSource};
use crate::progress::Progress;

const EXIT_CODES: &str = "\
Exit status:
  0  the canary passed (judge), the config is usable (config check), the whole stream was read
     (monitor)
  1  the canary is Marginal or Fail (judge); a benchmark is slower beyond the margin (compare)
  2  bad input, bad usage (an unknown flag, a missing value) or an upstream error (Prometheus
     unreachable or refusing a query, a query that returns no series)";

/// Statistical canary analysis: judge a canary against its baseline, Kayenta-style.
#[derive(Debug, Parser)]
#[command(name = "canary", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Judge a canary: score each metric of a Kayenta canary config, baseline against canary.
    #[command(after_help = JUDGE_HELP)]
    Judge(Box<JudgeArgs>),
    /// Kayenta canary configs.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Monitor a canary continuously from a JSON-lines event stream (anytime-valid tests).
    #[command(after_help = MONITOR_HELP)]
    Monitor(MonitorArgs),
    /// Compare two benchmark-suite runs (criterion, Google Benchmark, go test -bench).
    #[command(after_help = compare::COMPARE_HELP)]
    Compare(Box<compare::CompareArgs>),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Load a Kayenta canary config as the judge would and print its warnings (exit 0 if usable,
    /// 2 with the reason if not).
    Check {
        /// The canary config (JSON).
        config: PathBuf,
    },
}

const JUDGE_HELP: &str = "\
Thresholds: --pass and --marginal when given, else the config's classifier.scoreThresholds,
else 95 (pass) and 75 (marginal).

Output: without --json, a short summary (verdict, score, one line per metric that is not Pass
with its reason, then warnings) on stdout. With --json, exactly the result JSON (Kayenta's
CanaryJudgeResult field names plus ours) on stdout and any narration on stderr.

With --prometheus, each metric's PromQL is built from its Kayenta query config (query.type
prometheus: metricName, labelBindings, groupByFields, resourceType, customInlineTemplate,
customFilterTemplate and the config's templates; `PromQL:` templates are used as is) the way
Kayenta's Prometheus metrics service builds it, once with the baseline (control) scope and once
with the canary (experiment) scope. The scopes come from --request (Kayenta's canary execution
request, scopes.<name>.controlScope/experimentScope; a metric uses its scopeName, default
`default`) or from --baseline-scope/--canary-scope (and --location). A query that returns no
series is an error (exit 2).

Exit status: 0 Pass; 1 Marginal or Fail; 2 bad input, bad usage or an upstream error.";

const MONITOR_HELP: &str = "\
Input, one JSON object per line (blank lines skipped; other fields ignored):
  {\"arm\": \"baseline\"|\"canary\", \"metric\": NAME, \"value\": X}   one continuous observation
  {\"arm\": \"baseline\"|\"canary\", \"metric\": NAME, \"count\": N}   N events (errors, crashes)
A metric is continuous or a count metric from its first line on.

Tests per metric: count metrics get the Lindon-Malek Beta mixture (count-greater, or two-sided);
continuous metrics get the time-uniform DKW test (dkw-greater, or dkw-two-sided) plus the
two-sided mSPRT on means (msprt-log on log values, msprt on raw values; see --mean-transform)
unless --no-msprt. A value <= 0 under the log transform stops that metric's mean test with a
warning on stderr (its p-value so far stands); the distribution test goes on.

Output: after every K input lines (and at the end if lines arrived since), one JSON line per
metric {\"look\", \"metric\", \"test\", \"p_value\", \"decision\"}: p_value is the Bonferroni
combination of the metric's always-valid p-values (it never rises), decision is \"reject\" when it
is below --alpha. Last line: {\"summary\": {\"looks\", \"lines\", \"alpha\", \"first_reject\"}}.

Exit status: 0 after the whole input whatever was decided; 2 for a bad line (the message names
the line number) or bad arguments.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// The default judge (fixes Kayenta's known failure modes).
    Default,
    /// NetflixACAJudge-v1.0 exactly, flaws included.
    Kayenta,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("data").required(true).args(
    ["pairs", "csv", "prometheus_response", "prometheus"])))]
struct JudgeArgs {
    /// The Kayenta canary config (JSON).
    #[arg(long, value_name = "C.json")]
    config: PathBuf,
    /// Which judge.
    #[arg(long, value_enum, default_value_t = ModeArg::Default)]
    mode: ModeArg,
    /// Pass threshold (0-100); with --marginal. Default: the config's scoreThresholds, else 95.
    #[arg(long, requires = "marginal")]
    pass: Option<f64>,
    /// Marginal threshold (0-100); with --pass. Default: the config's scoreThresholds, else 75.
    #[arg(long, requires = "pass")]
    marginal: Option<f64>,
    /// Also write the self-contained HTML report here.
    #[arg(long, value_name = "OUT.html")]
    html: Option<PathBuf>,
    /// Write exactly the result JSON on stdout (narration on stderr).
    #[arg(long)]
    json: bool,

    /// Data: Kayenta metric-set pairs (JSON array; control = baseline, experiment = canary).
    #[arg(long, value_name = "P.json", help_heading = "Data (one of)")]
    pairs: Option<PathBuf>,
    /// Data: a CSV file, long (columns metric, group, timestamp, value and optionally instance) or wide
    /// (timestamp,baseline,canary).
    #[arg(long, value_name = "F.csv", help_heading = "Data (one of)")]
    csv: Option<PathBuf>,
    /// Data: saved Prometheus query_range responses, METRIC=R.json or R.json (repeatable); baseline
    /// and canary series are told apart by --group-label. METRIC names the series (else
    /// their __name__).
    #[arg(long, value_name = "[METRIC=]R.json", help_heading = "Data (one of)")]
    prometheus_response: Vec<String>,
    /// Data: a live Prometheus server (http://HOST:PORT); needs --start, --end, --step (or a
    /// --request that has them) and the scopes.
    #[arg(long, value_name = "URL", help_heading = "Data (one of)")]
    prometheus: Option<String>,

    /// CSV: the baseline group's name.
    #[arg(long, default_value = "baseline", help_heading = "CSV")]
    csv_baseline: String,
    /// CSV: the canary group's name.
    #[arg(long, default_value = "canary", help_heading = "CSV")]
    csv_canary: String,
    /// CSV: the metric name of a wide file without a metric column.
    #[arg(long, default_value = "value", help_heading = "CSV")]
    csv_metric: String,

    /// Saved responses: the label that tells baseline from canary.
    #[arg(
        long,
        default_value = "version",
        help_heading = "Saved Prometheus responses"
    )]
    group_label: String,
    /// Saved responses: the group label's baseline value.
    #[arg(
        long,
        default_value = "baseline",
        help_heading = "Saved Prometheus responses"
    )]
    baseline_value: String,
    /// Saved responses: the group label's canary value.
    #[arg(
        long,
        default_value = "canary",
        help_heading = "Saved Prometheus responses"
    )]
    canary_value: String,
    /// Saved responses: a label whose values are instances of one series.
    #[arg(long, help_heading = "Saved Prometheus responses")]
    instance_label: Option<String>,

    /// Prometheus: range start (RFC 3339 or Unix seconds).
    #[arg(long, help_heading = "Live Prometheus")]
    start: Option<String>,
    /// Prometheus: range end (RFC 3339 or Unix seconds).
    #[arg(long, help_heading = "Live Prometheus")]
    end: Option<String>,
    /// Prometheus: step (seconds, or 15s, 1m, ...).
    #[arg(long, help_heading = "Live Prometheus")]
    step: Option<String>,
    /// Prometheus: Kayenta's canary execution request (scopes.NAME.controlScope and
    /// experimentScope, with scope, location, start, end, step, extendedScopeParams).
    #[arg(long, value_name = "R.json", help_heading = "Live Prometheus",
          conflicts_with_all = ["baseline_scope", "canary_scope"])]
    request: Option<PathBuf>,
    /// Prometheus: the baseline (control) scope, e.g. a server group or version label value.
    #[arg(long, requires = "canary_scope", help_heading = "Live Prometheus")]
    baseline_scope: Option<String>,
    /// Prometheus: the canary (experiment) scope.
    #[arg(long, requires = "baseline_scope", help_heading = "Live Prometheus")]
    canary_scope: Option<String>,
    /// Prometheus: the scopes' location (region), for resourceType gce_instance/aws_ec2_instance.
    #[arg(long, help_heading = "Live Prometheus")]
    location: Option<String>,
    /// Prometheus: Kayenta's scopeLabel (the label gce_instance scopes match).
    #[arg(long, default_value = "instance", help_heading = "Live Prometheus")]
    scope_label: String,
    /// Prometheus: timeout per HTTP request, seconds.
    #[arg(long, default_value_t = 60.0, help_heading = "Live Prometheus")]
    timeout: f64,
}

#[derive(Debug, Args)]
struct MonitorArgs {
    /// The event stream (JSON lines); `-` or absent: standard input.
    #[arg(long, value_name = "EVENTS.jsonl")]
    input: Option<PathBuf>,
    /// Family-wise false-rejection rate per metric, over all its tests and looks.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Look after every K input lines.
    #[arg(long, value_name = "K", default_value_t = 100)]
    look_every: u64,
    /// The canary's share of traffic (count metrics).
    #[arg(long, value_name = "S", default_value_t = 0.5)]
    canary_share: f64,
    /// Two-sided tests (any difference), instead of "canary worse".
    #[arg(long)]
    two_sided: bool,
    /// No mean test (mSPRT) on continuous metrics.
    #[arg(long)]
    no_msprt: bool,
    /// The mean test's transform: auto picks log when the metric's first value is > 0, else
    /// the identity.
    #[arg(long, value_enum, default_value_t = monitor::MeanTransform::Auto)]
    mean_transform: monitor::MeanTransform,
}

/// A failure: exit status 2 with a message.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Judge(args) => judge(&args),
        Command::Config(ConfigCommand::Check { config }) => config_check(&config),
        Command::Monitor(args) => monitor(&args),
        Command::Compare(args) => compare::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(Failure(msg)) => {
            let _ = io::stdout().flush();
            eprintln!("canary: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn config_check(path: &Path) -> Result<ExitCode, Failure> {
    let text = read(path)?;
    let raw: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure(format!("{}: invalid JSON: {e}", path.display())))?;
    let config = judging::load_config(&text)
        .map_err(|e| Failure(format!("{}: not usable: {e}", path.display())))?;
    let mut warnings = judging::config_warnings(&config, &raw);
    if raw
        .get("judge")
        .and_then(|j| j.get("name"))
        .and_then(|n| n.as_str())
        .is_some_and(|n| n != judging::KAYENTA_JUDGE_NAME)
    {
        warnings.push(format!(
            "judge.name `{}` is not used: canary judge runs the judge --mode names \
             (default, or kayenta for {})",
            raw["judge"]["name"].as_str().unwrap_or_default(),
            judging::KAYENTA_JUDGE_NAME
        ));
    }
    warnings.extend(promql::query_warnings(&raw));
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{}: usable: {} metric(s), {} warning(s)",
        path.display(),
        judging::metric_count(&config),
        warnings.len()
    )?;
    for w in &warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn templates_of(raw: &serde_json::Value) -> Result<BTreeMap<String, String>, Failure> {
    match raw.get("templates") {
        None | Some(serde_json::Value::Null) => Ok(BTreeMap::new()),
        Some(serde_json::Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v.as_str() {
                Some(s) => Ok((k.clone(), s.to_owned())),
                None => Err(Failure(format!("config: templates.{k} must be a string"))),
            })
            .collect(),
        Some(_) => Err(Failure("config: `templates` must be an object".into())),
    }
}

fn load_pairs(a: &JudgeArgs, raw: &serde_json::Value) -> Result<Vec<MetricPair>, Failure> {
    if let Some(p) = &a.pairs {
        let text = read(p)?;
        return progress::during(&format!("reading {}", p.display()), || {
            read_metric_set_pairs(&text)
        })
        .map_err(|e| Failure(format!("{}: {e}", p.display())));
    }
    if let Some(p) = &a.csv {
        let opts = CsvOptions::new()
            .baseline(a.csv_baseline.clone())
            .canary(a.csv_canary.clone())
            .metric(a.csv_metric.clone());
        let text = read(p)?;
        return progress::during(&format!("reading {}", p.display()), || {
            read_csv(&text, &opts)
        })
        .map_err(|e| Failure(format!("{}: {e}", p.display())));
    }
    if !a.prometheus_response.is_empty() {
        let mut opts = PrometheusOptions::new()
            .group_label(a.group_label.clone())
            .baseline(a.baseline_value.clone())
            .canary(a.canary_value.clone());
        if let Some(l) = &a.instance_label {
            opts = opts.instance_label(l.clone());
        }
        let mut pairs = Vec::new();
        for spec in &a.prometheus_response {
            let (metric, path) = match spec.split_once('=') {
                Some((m, p)) if !m.is_empty() && !Path::new(spec).exists() => (Some(m), p),
                _ => (None, spec.as_str()),
            };
            let text = read(Path::new(path))?;
            pairs.extend(
                prom::read_saved(&text, metric, &opts)
                    .map_err(|e| Failure(format!("{path}: {e}")))?,
            );
        }
        return Ok(pairs);
    }
    let url = a
        .prometheus
        .as_deref()
        .expect("clap requires one data source");
    let request = match &a.request {
        Some(p) => Some(
            prom::read_request(&read(p)?).map_err(|e| Failure(format!("{}: {e}", p.display())))?,
        ),
        None => None,
    };
    if request.as_ref().is_some_and(|r| r.has_thresholds) && a.pass.is_none() {
        eprintln!(
            "canary: note: the request's `thresholds` are not used; thresholds come from \
             --pass/--marginal, else the config's scoreThresholds, else 95/75"
        );
    }
    let scopes = match (&request, &a.baseline_scope, &a.canary_scope) {
        (Some(r), _, _) => r.scopes.clone(),
        (None, Some(b), Some(c)) => {
            let scope = |s: &str| promql::Scope {
                scope: Some(s.to_owned()),
                location: a.location.clone(),
                extended: BTreeMap::new(),
            };
            BTreeMap::from([(
                "default".to_owned(),
                prom::ScopePair {
                    baseline: scope(b),
                    canary: scope(c),
                },
            )])
        }
        _ => {
            return Err(Failure(
                "--prometheus needs the scopes: --request R.json, or --baseline-scope and \
                 --canary-scope"
                    .into(),
            ));
        }
    };
    let from_request = request.as_ref().and_then(|r| r.range.clone());
    let range = match (&a.start, &a.end, &a.step) {
        (Some(s), Some(e), Some(st)) => prom::Range {
            start: s.clone(),
            end: e.clone(),
            step_secs: prom::parse_step(st)?,
        },
        (None, None, None) if from_request.is_some() => from_request.expect("checked"),
        _ => {
            let mut r = from_request.ok_or_else(|| {
                Failure("--prometheus needs --start, --end and --step (or a --request whose scopes have them)".into())
            })?;
            if let Some(s) = &a.start {
                r.start = s.clone();
            }
            if let Some(e) = &a.end {
                r.end = e.clone();
            }
            if let Some(st) = &a.step {
                r.step_secs = prom::parse_step(st)?;
            }
            r
        }
    };
    if !(a.timeout.is_finite() && a.timeout > 0.0) {
        return Err(Failure(format!(
            "--timeout must be a positive number of seconds, got {}",
            a.timeout
        )));
    }
    let client = prom::Client::new(url, Duration::from_secs_f64(a.timeout))?;
    let templates = templates_of(raw)?;
    let fetch = prom::Fetch {
        client: &client,
        config: raw,
        templates: &templates,
        scopes: &scopes,
        range: &range,
        scope_label: &a.scope_label,
    };
    let mut progress = Progress::new();
    Ok(prom::fetch_pairs(&fetch, &mut progress)?)
}

fn judge(a: &JudgeArgs) -> Result<ExitCode, Failure> {
    let text = read(&a.config)?;
    let raw: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure(format!("{}: invalid JSON: {e}", a.config.display())))?;
    let config =
        judging::load_config(&text).map_err(|e| Failure(format!("{}: {e}", a.config.display())))?;
    let (thresholds, source) = judging::thresholds(a.pass.zip(a.marginal), &config)?;
    let mode = match a.mode {
        ModeArg::Default => Mode::Default,
        ModeArg::Kayenta => Mode::Kayenta,
    };
    let pairs = load_pairs(a, &raw)?;
    let result = progress::during(&format!("judging {} metric pair(s)", pairs.len()), || {
        judging::judge(&config, &pairs, &thresholds, mode)
    })?;
    if let Some(path) = &a.html {
        let page = progress::during("rendering the report", || judging::html(&result, &pairs));
        std::fs::write(path, page)
            .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
    }
    let verdict = judging::verdict(&result);
    let mut out = BufWriter::new(io::stdout().lock());
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&result)?)?;
        if let Some(path) = &a.html {
            eprintln!("canary: wrote {}", path.display());
        }
    } else {
        let source = match source {
            ThresholdSource::Flags => "from --pass/--marginal",
            ThresholdSource::Config => "from the config",
            ThresholdSource::Default => "defaults",
        };
        let (pass, marginal) = judging::threshold_values(&thresholds);
        writeln!(
            out,
            "{}: score {:.2} (pass >= {pass}, marginal >= {marginal}, {source}; {} judge)",
            verdict.as_str(),
            judging::score(&result),
            judging::judge_name(&result),
        )?;
        if let Some(why) = judging::verdict_reason(&result) {
            writeln!(out, "  why: {why}")?;
        }
        for line in judging::non_pass_lines(&result) {
            writeln!(out, "  {line}")?;
        }
        for w in judging::warnings(&result) {
            writeln!(out, "warning: {w}")?;
        }
        if let Some(path) = &a.html {
            writeln!(out, "report: {}", path.display())?;
        }
    }
    out.flush()?;
    Ok(match verdict {
        Verdict::Pass => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

fn monitor(a: &MonitorArgs) -> Result<ExitCode, Failure> {
    if !(a.alpha > 0.0 && a.alpha < 1.0) {
        return Err(Failure(format!(
            "--alpha must lie strictly between 0 and 1, got {}",
            a.alpha
        )));
    }
    if a.look_every == 0 {
        return Err(Failure("--look-every must be a positive integer".into()));
    }
    if !(a.canary_share > 0.0 && a.canary_share < 1.0) {
        return Err(Failure(format!(
            "--canary-share must lie strictly between 0 and 1, got {}",
            a.canary_share
        )));
    }
    let settings = monitor::Settings {
        alpha: a.alpha,
        look_every: a.look_every,
        canary_share: a.canary_share,
        two_sided: a.two_sided,
        msprt: !a.no_msprt,
        transform: a.mean_transform,
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut warn = io::stderr();
    let result = match a.input.as_deref() {
        None => monitor::run(&settings, io::stdin().lock(), &mut out, &mut warn),
        Some(p) if p == Path::new("-") => {
            monitor::run(&settings, io::stdin().lock(), &mut out, &mut warn)
        }
        Some(p) => {
            let f = std::fs::File::open(p)
                .map_err(|e| Failure(format!("cannot open {}: {e}", p.display())))?;
            monitor::run(&settings, BufReader::new(f), &mut out, &mut warn)
        }
    };
    let _ = out.flush();
    result?;
    Ok(ExitCode::SUCCESS)
}
