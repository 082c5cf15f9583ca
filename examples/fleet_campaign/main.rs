//! A campaign over a simulated fleet: one change, many services, each through the standard
//! pipeline (deploy canary, bake, validate, compliance, confidence, promote), driven by the
//! blocking driver against a simulated host and clock.
//!
//! ```text
//! cargo run --release --example fleet_campaign -- --targets N --seed S [--faults F] [--json] [--check]
//!     [--targets-file T.jsonl] [--failure-budget B] [--report-targets R.jsonl]
//! cargo run --release --example fleet_campaign -- --targets N --seed S \
//!     --write-targets-file T.jsonl [--looks K] [--points P]
//! ```
//!
//! **The generated fleet** (`--targets N --seed S`, xoshiro256++): every target is the mixed
//! canary of the scenario suite (`examples/scenarios.rs`: 10 metrics, lognormal latencies,
//! normal CPU/memory/throughput/queue depth, Poisson and zero-inflated error counts) with
//! three compliance checks. Per target, independently: 85% healthy; 10% regressed, a quarter
//! each in location (latency_p50 +25%), spread (cpu 3x around its median), tail (latency_p99,
//! 5% of requests slow at twice the p99) or errors (errors Poisson 2 -> 4); 4% failing a
//! compliance check; 1% with a compliance check that answers unknown. Validation: 4 looks 15
//! minutes apart on cumulative data (125 more points per side per look, 500 at the end), the
//! sequential monitor (family-wise alpha 0.01) at every look and the default judge (pass 95,
//! marginal 75) at the last; the confidence metric (`confidence::assess`, default policy with
//! the risk and track-record weights set to 0, since the simulation has neither) decides
//! proceed, review or block.
//!
//! **`--targets-file T.jsonl`** replaces the generated fleet: one target a line,
//! `{"id", "config": <Kayenta canary config>, "intervals": [[<metric-set pairs>], ...],
//! "compliance": {"<check>": "pass"|"fail"|"unknown"}}`; `intervals[i]` is what the metric
//! source returns at look `i + 1` (cumulative data), so the validation has as many looks as
//! intervals. Unknown fields are ignored. `--write-targets-file T.jsonl` writes such a file
//! from the generated fleet (`--looks K`, default 3, and `--points P` more points per side per
//! look, default 167, so about 500 at the last look like the scenario suite; values rounded to
//! 0.01) and exits; its lines carry an extra `"truth"` field, which the campaign ignores
//! except to print, on stderr only, how a labelled file fared.
//!
//! **Host**: calls are instantaneous in simulated time, timers advance the simulated clock;
//! with `--faults F` each host call (deploy, metrics, compliance, promote, roll back, review)
//! fails with probability F, half of the faults as errors and half as timeouts, decided from
//! the seed and the call's idempotency key alone (`sim::fault`), so that a run in another host
//! (the Temporal integration, `integrations/temporal`, shares `sim.rs`) meets the same faults on
//! the same calls whatever the order of the calls. Nobody answers reviews: a target that needs
//! a human stays in `review`.
//!
//! **Campaign**: waves 1%, 10%, 50%, 100%, 250 targets at once, failure budget `B`
//! (`--failure-budget`, default 0.3: a wave in which more than 30% of the targets are rolled
//! back or blocked halts the campaign; `1` never halts).
//!
//! **Output**: progress on stderr. Without `--json`, a summary on stdout; with `--json`, stdout
//! carries exactly one JSON line:
//! `{"targets", "promoted", "rolled_back", "review", "blocked", "not_started",
//! "wrongly_promoted", "wrongly_blocked", "human_share", "simulated_hours", "events"}`, where
//! `wrongly_promoted` counts promoted targets that were regressed or non-compliant,
//! `wrongly_blocked` healthy targets rolled back or blocked (both `null` with
//! `--targets-file`), and `human_share` is `review / targets`. `--report-targets R.jsonl`
//! writes one line per target: `{"id", "state", "decision", "confidence", "actions"}` with
//! `state` one of `promoted`, `rolled_back`, `review`, `blocked`, `not_started`, `decision` and
//! `confidence` the confidence model's (or null), and `actions` the idempotency keys of the
//! host calls made for the target, in order.
//!
//! `--check` checks the issue's goals after the run, from the generated fleet's truth or a
//! targets file's `truth` labels: every target accounted for, no wrong promotion, wrongly
//! blocked at most 5% of the healthy targets, human share under 21%; each missed goal is
//! printed on stderr and the exit status is 1 (also when some target carries no label).
//!
//! Exit status: 0 when the campaign ran (and, with `--check`, met the goals), 1 when `--check`
//! found a goal missed, 2 on bad input (flags, an unreadable or malformed targets file; the
//! message names the line).

mod sim;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::rc::Rc;

use canary_analysis::orchestrate::*;
use serde_json::{Value, json};
use sim::{
    CONCURRENCY, Fleet, Generated, SimServices, SimTarget, confidence_policy, generated_fleet,
    mixed_config_json,
};

const USAGE: &str = "usage: fleet_campaign --targets N --seed S [--faults F] [--json] \
     [--targets-file T.jsonl] [--failure-budget B] [--report-targets R.jsonl] \
     | --targets N --seed S --write-targets-file T.jsonl [--looks K] [--points P]";

const HOUR: Millis = 3_600_000;

struct Args {
    targets: Option<usize>,
    seed: Option<u64>,
    faults: f64,
    json: bool,
    check: bool,
    targets_file: Option<String>,
    failure_budget: f64,
    report_targets: Option<String>,
    write_targets_file: Option<String>,
    looks: usize,
    points: usize,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        targets: None,
        seed: None,
        faults: 0.0,
        json: false,
        check: false,
        targets_file: None,
        failure_budget: DEFAULT_FAILURE_BUDGET,
        report_targets: None,
        write_targets_file: None,
        looks: 3,
        points: 167,
    };
    fn num<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
        v.parse()
            .map_err(|_| format!("{flag}: `{v}` is not a valid number"))
    }
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--targets" => a.targets = Some(num("--targets", it.next())?),
            "--seed" => a.seed = Some(num("--seed", it.next())?),
            "--faults" => a.faults = num("--faults", it.next())?,
            "--failure-budget" => a.failure_budget = num("--failure-budget", it.next())?,
            "--json" => a.json = true,
            "--check" => a.check = true,
            "--targets-file" => {
                a.targets_file = Some(it.next().ok_or("--targets-file needs a path")?)
            }
            "--report-targets" => {
                a.report_targets = Some(it.next().ok_or("--report-targets needs a path")?)
            }
            "--write-targets-file" => {
                a.write_targets_file = Some(it.next().ok_or("--write-targets-file needs a path")?)
            }
            "--looks" => a.looks = num("--looks", it.next())?,
            "--points" => a.points = num("--points", it.next())?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if !(0.0..=1.0).contains(&a.faults) {
        return Err(format!("--faults must lie in [0, 1], got {}", a.faults));
    }
    if !(0.0..=1.0).contains(&a.failure_budget) {
        return Err(format!(
            "--failure-budget must lie in [0, 1], got {}",
            a.failure_budget
        ));
    }
    if a.targets_file.is_none() {
        if a.targets.is_none() || a.seed.is_none() {
            return Err("--targets and --seed are required (or --targets-file)".into());
        }
        if a.targets == Some(0) || a.targets.unwrap_or(0) > 10_000_000 {
            return Err("--targets must lie in 1..=10000000".into());
        }
    }
    if a.looks == 0 || a.looks > 100 || a.points == 0 || a.points > 100_000 {
        return Err("--looks must lie in 1..=100 and --points in 1..=100000".into());
    }
    Ok(a)
}

// ---------------------------------------------------------------- the simulated host

/// The host's bookkeeping: the clock, and the idempotency keys of every call, per target.
struct Shared<'a> {
    fleet: &'a Fleet,
    faults: f64,
    fault_seed: u64,
    now: Millis,
    calls: HashMap<String, Vec<String>>,
    keys: std::collections::HashSet<String>,
    duplicate_keys: u64,
}

impl Shared<'_> {
    /// Records the call and decides whether it fails (`sim::fault`, from the key).
    fn call(&mut self, target: &str, key: &ActionKey) -> canary_analysis::Result<()> {
        self.calls
            .entry(target.to_owned())
            .or_default()
            .push(key.0.clone());
        if !self.keys.insert(key.0.clone()) {
            self.duplicate_keys += 1;
        }
        match sim::fault(self.faults, self.fault_seed, key) {
            Some(t) => Err(sim::host_error(t)),
            None => Ok(()),
        }
    }
    fn target(&self, id: &str) -> &SimTarget {
        self.fleet
            .target(id)
            .expect("the engine names only known targets")
    }
}

struct Sim<'s, 'a>(&'s RefCell<Shared<'a>>);

impl MetricSource for Sim<'_, '_> {
    fn fetch(
        &mut self,
        target: &str,
        window: &Window,
        key: &ActionKey,
    ) -> canary_analysis::Result<Pairs> {
        self.0.borrow_mut().call(target, key)?;
        let s = self.0.borrow();
        Ok(s.fleet.metrics(s.target(target), window.look))
    }
}

impl Deployments for Sim<'_, '_> {
    fn perform(
        &mut self,
        target: &str,
        _op: DeployOp,
        key: &ActionKey,
    ) -> canary_analysis::Result<()> {
        self.0.borrow_mut().call(target, key)
    }
    fn open_review(
        &mut self,
        target: &str,
        _reason: &str,
        key: &ActionKey,
    ) -> canary_analysis::Result<Option<HumanDecision>> {
        self.0.borrow_mut().call(target, key).map(|()| None)
    }
}

impl ComplianceChecks for Sim<'_, '_> {
    fn check(
        &mut self,
        target: &str,
        checks: &[String],
        key: &ActionKey,
    ) -> canary_analysis::Result<BTreeMap<String, ComplianceStatus>> {
        self.0.borrow_mut().call(target, key)?;
        let s = self.0.borrow();
        Ok(s.fleet.compliance_of(s.target(target), checks))
    }
}

impl Clock for Sim<'_, '_> {
    fn now(&self) -> Millis {
        self.0.borrow().now
    }
    fn sleep_until(&mut self, at: Millis) {
        let mut s = self.0.borrow_mut();
        s.now = s.now.max(at);
    }
}

// ---------------------------------------------------------------- main

fn write_targets_file(args: &Args, path: &str) -> Result<(), String> {
    let (n, seed) = (args.targets.unwrap_or(0), args.seed.unwrap_or(0));
    let file = File::create(path).map_err(|e| format!("{path}: {e}"))?;
    let mut w = BufWriter::new(file);
    let config = mixed_config_json();
    for i in 0..n {
        let g = Generated::new(seed, i);
        let intervals: Vec<Value> = (1..=args.looks)
            .map(|k| {
                let round = |v: Vec<f64>| -> Vec<f64> {
                    v.into_iter().map(|x| (x * 100.0).round() / 100.0).collect()
                };
                // Kayenta metric-set pairs: control = baseline, experiment = canary.
                let pairs: Vec<Value> = g
                    .raw(k * args.points)
                    .into_iter()
                    .map(|(name, control, experiment)| {
                        json!({"name": name, "tags": {},
                               "values": {"control": round(control), "experiment": round(experiment)}})
                    })
                    .collect();
                Value::Array(pairs)
            })
            .collect();
        let line = json!({"id": format!("svc-{i:05}"), "config": config, "intervals": intervals,
                          "compliance": g.compliance(), "truth": g.truth.name()});
        writeln!(w, "{line}").map_err(|e| format!("{path}: {e}"))?;
    }
    w.flush().map_err(|e| format!("{path}: {e}"))?;
    eprintln!(
        "wrote {n} targets ({} looks of {} points) to {path}",
        args.looks, args.points
    );
    Ok(())
}

/// Runs the campaign; `Ok(false)` when `--check` is given and a goal is missed.
fn run(args: &Args) -> Result<bool, String> {
    let started = std::time::Instant::now();
    let fleet = match &args.targets_file {
        Some(path) => Fleet::read(path)?,
        None => generated_fleet(args.targets.unwrap_or(0), args.seed.unwrap_or(0))?,
    };
    let pipelines = fleet
        .targets
        .iter()
        .map(|t| Ok((t.id.clone(), fleet.pipeline(t)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let opts = CampaignOptions::new()
        .concurrency(CONCURRENCY)
        .failure_budget(args.failure_budget);
    let mut campaign = Campaign::new(opts, pipelines).map_err(|e| e.to_string())?;
    let services = SimServices {
        fleet: &fleet,
        policy: confidence_policy(),
    };
    let shared = RefCell::new(Shared {
        fleet: &fleet,
        faults: args.faults,
        fault_seed: args.seed.unwrap_or(0) ^ 0xFA17,
        now: 0,
        calls: HashMap::new(),
        keys: Default::default(),
        duplicate_keys: 0,
    });
    let (mut m, mut d, mut c, mut k) = (Sim(&shared), Sim(&shared), Sim(&shared), Sim(&shared));
    let mut driver = BlockingDriver {
        metrics: &mut m,
        deployments: &mut d,
        compliance: &mut c,
        clock: &mut k,
    };
    eprintln!(
        "campaign: {} targets, faults {}, failure budget {}",
        fleet.targets.len(),
        args.faults,
        args.failure_budget
    );
    let last_hour = Rc::new(RefCell::new(-1i64));
    let stats = driver
        .run_observed(&mut campaign, &services, |c, st| {
            let hour = st.ended_at / (6 * HOUR);
            if hour > *last_hour.borrow() {
                *last_hour.borrow_mut() = hour;
                let s = c.summary();
                eprintln!(
                    "[{:6.1} h] running {} promoted {} rolled_back {} review {} blocked {} not_started {} ({} events)",
                    st.ended_at as f64 / HOUR as f64,
                    s.running,
                    s.promoted,
                    s.rolled_back,
                    s.review,
                    s.blocked,
                    s.not_started,
                    st.events
                );
            }
        })
        .map_err(|e| e.to_string())?;
    for a in campaign.coordinator().audit() {
        eprintln!("[{:6.1} h] {}", a.at as f64 / HOUR as f64, a.what);
    }
    let s = campaign.summary();
    let shared = shared.into_inner();
    // Truth, where known.
    let (mut wrongly_promoted, mut wrongly_blocked, mut healthy) = (0usize, 0usize, 0usize);
    let mut labelled = 0usize;
    for (t, sim) in campaign.targets().iter().zip(&fleet.targets) {
        let Some(truth) = sim.truth else { continue };
        labelled += 1;
        if t.status() == TargetStatus::Review && std::env::var_os("FLEET_DEBUG").is_some() {
            let why = t
                .outcome()
                .and_then(|o| o.cause())
                .map_or("", |c| c.detail.as_str());
            eprintln!(
                "review {} ({truth:?}): {}",
                t.id(),
                why.chars().take(160).collect::<String>()
            );
        }
        if truth.bad() && t.status() == TargetStatus::Promoted {
            wrongly_promoted += 1;
        }
        if !truth.bad() {
            healthy += 1;
            if matches!(t.status(), TargetStatus::RolledBack | TargetStatus::Blocked) {
                wrongly_blocked += 1;
                if std::env::var_os("FLEET_DEBUG").is_some() {
                    let why = t
                        .outcome()
                        .and_then(|o| o.cause())
                        .map_or("", |c| c.detail.as_str());
                    eprintln!("wrongly blocked {} ({:?}): {why}", t.id(), truth);
                }
            }
        }
    }
    let human_share = s.review as f64 / s.targets as f64;
    let hours = stats.ended_at as f64 / HOUR as f64;
    eprintln!(
        "done in {:.1} s: {} events, {} actions, {} host calls, {} duplicate action keys at the host",
        started.elapsed().as_secs_f64(),
        stats.events,
        stats.actions,
        shared.keys.len(),
        shared.duplicate_keys
    );
    if labelled > 0 {
        eprintln!(
            "truth: {healthy} healthy, wrongly promoted {wrongly_promoted}, wrongly blocked {wrongly_blocked} ({:.2}% of healthy), human share {:.2}%{}",
            100.0 * wrongly_blocked as f64 / healthy.max(1) as f64,
            100.0 * human_share,
            if fleet.generated {
                ""
            } else {
                " (labels from the targets file's `truth` field)"
            }
        );
    }
    if let Some(h) = campaign.coordinator().halted() {
        eprintln!("halted: {h}");
    }
    if let Some(path) = &args.report_targets {
        let file = File::create(path).map_err(|e| format!("{path}: {e}"))?;
        let mut w = BufWriter::new(file);
        for t in campaign.targets() {
            let conf = t.facts().confidence.as_ref();
            let line = json!({
                "id": t.id(),
                "state": t.status().as_str(),
                "decision": conf.map(|a| a.decision),
                "confidence": conf.map(|a| a.confidence),
                "actions": shared.calls.get(t.id()).cloned().unwrap_or_default(),
            });
            writeln!(w, "{line}").map_err(|e| format!("{path}: {e}"))?;
        }
        w.flush().map_err(|e| format!("{path}: {e}"))?;
    }
    let (wp, wb) = if fleet.generated {
        (json!(wrongly_promoted), json!(wrongly_blocked))
    } else {
        (Value::Null, Value::Null)
    };
    // Written by hand to keep the documented key order.
    let out = format!(
        "{{\"targets\":{},\"promoted\":{},\"rolled_back\":{},\"review\":{},\"blocked\":{},\
         \"not_started\":{},\"wrongly_promoted\":{wp},\"wrongly_blocked\":{wb},\"human_share\":{},\
         \"simulated_hours\":{},\"events\":{}}}",
        s.targets,
        s.promoted,
        s.rolled_back,
        s.review,
        s.blocked,
        s.not_started,
        json!(human_share),
        json!(hours),
        stats.events
    );
    if args.json {
        println!("{out}");
    } else {
        println!(
            "{} targets: {} promoted, {} rolled back, {} in review, {} blocked, {} not started",
            s.targets, s.promoted, s.rolled_back, s.review, s.blocked, s.not_started
        );
        println!(
            "wrongly promoted {wp}, wrongly blocked {wb}, human share {:.1}%, {hours:.1} simulated hours, {} events",
            100.0 * human_share,
            stats.events
        );
    }
    if args.check {
        let accounted = s.promoted + s.rolled_back + s.review + s.blocked + s.not_started;
        let mut missed = Vec::new();
        if accounted != s.targets || accounted != fleet.targets.len() {
            missed.push(format!(
                "{accounted} targets accounted for of {}",
                fleet.targets.len()
            ));
        }
        if labelled < fleet.targets.len() {
            missed.push("the truth is unknown for some targets (no `truth` labels)".to_owned());
        }
        if wrongly_promoted > 0 {
            missed.push(format!("wrongly promoted {wrongly_promoted} (goal 0)"));
        }
        if wrongly_blocked as f64 > 0.05 * healthy as f64 {
            missed.push(format!(
                "wrongly blocked {wrongly_blocked} of {healthy} healthy (goal at most 5%)"
            ));
        }
        if human_share >= 0.21 {
            missed.push(format!("human share {human_share} (goal under 0.21)"));
        }
        for m in &missed {
            eprintln!("check failed: {m}");
        }
        return Ok(missed.is_empty());
    }
    Ok(true)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fleet_campaign: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match &args.write_targets_file {
        Some(path) => write_targets_file(&args, path).map(|()| true),
        None => run(&args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("fleet_campaign: {e}");
            ExitCode::from(2)
        }
    }
}
