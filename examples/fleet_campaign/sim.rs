//! The simulated fleet and host of `fleet_campaign`, shared with the Temporal integration
//! (`integrations/temporal`, which includes this file), so that both run the same fleet against
//! the same host and their results can be compared target by target.
//!
//! Everything here is a pure function of the seeds and the action: the data a target's metric
//! source returns depend on the target and the look, a compliance answer on the target, and
//! whether a host call fails (and how) on the fault seed and the call's idempotency key, never on
//! the order in which calls arrive or on which process makes them.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};

use canary_analysis::confidence::{ConfidenceOptions, SignalKind};
use canary_analysis::judge::DefaultJudge;
use canary_analysis::judge::config::{CanaryConfig, Thresholds};
use canary_analysis::metrics::{MetricPair, read_metric_set_pairs};
use canary_analysis::orchestrate::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::{Value, json};

/// Time between looks of the validation, milliseconds.
pub const INTERVAL: Millis = 15 * 60_000;
/// Targets that run at once.
pub const CONCURRENCY: usize = 250;
/// Compliance checks of every generated target.
pub const CHECKS: [&str; 3] = ["cve-scan", "change-approved", "license"];

// ---------------------------------------------------------------- the scenario suite's draws

pub struct G(Xoshiro256PlusPlus);

impl G {
    pub fn new(seed: u64) -> G {
        G(Xoshiro256PlusPlus::seed_from_u64(seed))
    }
    pub fn unif(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn normal(&mut self, mu: f64, sd: f64) -> f64 {
        let (u1, u2) = (self.unif(), self.unif());
        mu + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * self.normal(0.0, sigma).exp()
    }
    pub fn poisson(&mut self, lambda: f64) -> f64 {
        let l = (-lambda).exp();
        let (mut k, mut p) = (0.0, 1.0);
        loop {
            p *= self.unif();
            if p <= l {
                return k;
            }
            k += 1.0;
        }
    }
}

#[derive(Clone, Copy)]
pub enum Dist {
    Normal(f64, f64),
    LogNormal(f64, f64),
    Poisson(f64),
    Zip(f64, f64),
}

impl Dist {
    pub fn draw(self, g: &mut G) -> f64 {
        match self {
            Dist::Normal(m, s) => g.normal(m, s),
            Dist::LogNormal(m, s) => g.lognormal(m, s),
            Dist::Poisson(l) => g.poisson(l),
            Dist::Zip(z, l) => {
                if g.unif() < z {
                    0.0
                } else {
                    g.poisson(l)
                }
            }
        }
    }
}

/// The scenario suite's mixed canary: name, distribution, count metric, direction, group.
const MIXED: [(&str, Dist, bool, &str, &str); 10] = [
    (
        "latency_p50",
        Dist::LogNormal(100.0, 0.15),
        false,
        "increase",
        "Latency",
    ),
    (
        "latency_p99",
        Dist::LogNormal(300.0, 0.30),
        false,
        "increase",
        "Latency",
    ),
    ("cpu", Dist::Normal(50.0, 5.0), false, "increase", "System"),
    (
        "memory",
        Dist::Normal(1000.0, 50.0),
        false,
        "increase",
        "System",
    ),
    (
        "throughput",
        Dist::Normal(500.0, 25.0),
        false,
        "decrease",
        "Traffic",
    ),
    (
        "gc_pause",
        Dist::LogNormal(20.0, 0.40),
        false,
        "increase",
        "Latency",
    ),
    ("errors", Dist::Poisson(2.0), true, "increase", "Errors"),
    ("timeouts", Dist::Zip(0.7, 4.0), true, "increase", "Errors"),
    ("requests", Dist::Poisson(50.0), true, "either", "Traffic"),
    (
        "queue_depth",
        Dist::Normal(30.0, 3.0),
        false,
        "either",
        "System",
    ),
];

pub fn mixed_config_json() -> Value {
    let metrics: Vec<Value> = MIXED
        .iter()
        .map(|(name, _, count, dir, group)| {
            json!({"name": name, "groups": [group], "analysisConfigurations": {"canary": {
                "direction": dir, "kind": if *count { "count" } else { "continuous" }}}})
        })
        .collect();
    json!({"name": "fleet-campaign", "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
           "metrics": metrics})
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Truth {
    Healthy,
    Location,
    Spread,
    Tail,
    Errors,
    NonCompliant,
    ComplianceUnknown,
}

impl Truth {
    pub fn draw(g: &mut G) -> Truth {
        let u = g.unif();
        match u {
            _ if u < 0.025 => Truth::Location,
            _ if u < 0.050 => Truth::Spread,
            _ if u < 0.075 => Truth::Tail,
            _ if u < 0.100 => Truth::Errors,
            _ if u < 0.140 => Truth::NonCompliant,
            _ if u < 0.150 => Truth::ComplianceUnknown,
            _ => Truth::Healthy,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Truth::Healthy => "healthy",
            Truth::Location => "location",
            Truth::Spread => "spread",
            Truth::Tail => "tail",
            Truth::Errors => "errors",
            Truth::NonCompliant => "non_compliant",
            Truth::ComplianceUnknown => "compliance_unknown",
        }
    }
    pub fn parse(s: &str) -> Option<Truth> {
        [
            Truth::Healthy,
            Truth::Location,
            Truth::Spread,
            Truth::Tail,
            Truth::Errors,
            Truth::NonCompliant,
            Truth::ComplianceUnknown,
        ]
        .into_iter()
        .find(|t| t.name() == s)
    }
    /// Whether promoting would be wrong.
    pub fn bad(self) -> bool {
        !matches!(self, Truth::Healthy | Truth::ComplianceUnknown)
    }
}

/// A generated target: its truth, and the seed its data are drawn from.
#[derive(Clone, Copy)]
pub struct Generated {
    pub truth: Truth,
    pub seed: u64,
}

impl Generated {
    pub fn new(fleet_seed: u64, index: usize) -> Generated {
        let seed = fleet_seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut g = G::new(seed);
        Generated {
            truth: Truth::draw(&mut g),
            seed: g.0.next_u64(),
        }
    }

    pub fn compliance(&self) -> BTreeMap<String, ComplianceStatus> {
        let mut m: BTreeMap<String, ComplianceStatus> = CHECKS
            .iter()
            .map(|c| (c.to_string(), ComplianceStatus::Pass))
            .collect();
        let which = CHECKS[(self.seed % 3) as usize].to_string();
        match self.truth {
            Truth::NonCompliant => {
                m.insert(which, ComplianceStatus::Fail);
            }
            Truth::ComplianceUnknown => {
                m.insert(which, ComplianceStatus::Unknown);
            }
            _ => {}
        }
        m
    }

    /// The first `n` points per side of every metric.
    pub fn pairs(&self, n: usize) -> Pairs {
        self.raw(n)
            .into_iter()
            .map(|(name, control, experiment)| {
                MetricPair::from_values(name, control, experiment).expect("metric names are set")
            })
            .collect()
    }

    /// The first `n` points per side of every metric: (name, baseline, canary).
    pub fn raw(&self, n: usize) -> Vec<(&'static str, Vec<f64>, Vec<f64>)> {
        let mut g = G::new(self.seed);
        let p99 = 300.0 * (0.30f64 * 2.326_347_874).exp();
        MIXED
            .iter()
            .enumerate()
            .map(|(mi, (name, dist, _, _, _))| {
                let control: Vec<f64> = (0..n).map(|_| dist.draw(&mut g)).collect();
                let mut experiment: Vec<f64> = (0..n).map(|_| dist.draw(&mut g)).collect();
                match (self.truth, mi) {
                    (Truth::Location, 0) => experiment.iter_mut().for_each(|x| *x *= 1.25),
                    (Truth::Spread, 2) => experiment
                        .iter_mut()
                        .for_each(|x| *x = 50.0 + 3.0 * (*x - 50.0)),
                    (Truth::Tail, 1) => {
                        for x in experiment.iter_mut() {
                            if g.unif() < 0.05 {
                                *x = g.lognormal(2.0 * p99, 0.1);
                            }
                        }
                    }
                    (Truth::Errors, 6) => experiment = (0..n).map(|_| g.poisson(4.0)).collect(),
                    _ => {}
                }
                (*name, control, experiment)
            })
            .collect()
    }
}

// ---------------------------------------------------------------- the fleet

pub enum Data {
    Generated(Generated, usize),
    File(Vec<Pairs>),
}

pub struct SimTarget {
    pub id: String,
    pub judge: usize,
    pub looks: u32,
    pub data: Data,
    pub compliance: BTreeMap<String, ComplianceStatus>,
    pub truth: Option<Truth>,
}

pub struct Fleet {
    pub targets: Vec<SimTarget>,
    pub judges: Vec<DefaultJudge>,
    pub by_id: HashMap<String, usize>,
    pub generated: bool,
}

pub fn config_of(v: &Value) -> Result<CanaryConfig, String> {
    CanaryConfig::from_json(&v.to_string()).map_err(|e| e.to_string())
}

pub fn judge_of(config: CanaryConfig) -> Result<DefaultJudge, String> {
    let t = Thresholds::new(95.0, 75.0).map_err(|e| e.to_string())?;
    DefaultJudge::new(config, t).map_err(|e| e.to_string())
}

pub fn generated_fleet(n: usize, seed: u64) -> Result<Fleet, String> {
    let judge = judge_of(config_of(&mixed_config_json())?)?;
    let targets: Vec<SimTarget> = (0..n)
        .map(|i| {
            let g = Generated::new(seed, i);
            SimTarget {
                id: format!("svc-{i:05}"),
                judge: 0,
                looks: 4,
                data: Data::Generated(g, 125),
                compliance: g.compliance(),
                truth: Some(g.truth),
            }
        })
        .collect();
    Ok(Fleet::new(targets, vec![judge], true))
}

impl Fleet {
    pub fn new(targets: Vec<SimTarget>, judges: Vec<DefaultJudge>, generated: bool) -> Fleet {
        let by_id = targets
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        Fleet {
            targets,
            judges,
            by_id,
            generated,
        }
    }

    pub fn read(path: &str) -> Result<Fleet, String> {
        let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
        let mut targets = Vec::new();
        let mut judges: Vec<DefaultJudge> = Vec::new();
        let mut configs: HashMap<String, usize> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let at = |e: String| format!("{path}: line {}: {e}", i + 1);
            let line = line.map_err(|e| at(e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(&line).map_err(|e| at(e.to_string()))?;
            let id = v["id"]
                .as_str()
                .ok_or_else(|| at("`id` must be a string".into()))?
                .to_owned();
            if !seen.insert(id.clone()) {
                return Err(at(format!("duplicate id `{id}`")));
            }
            let config = &v["config"];
            if !config.is_object() {
                return Err(at("`config` must be a Kayenta canary config object".into()));
            }
            let key = config.to_string();
            let judge = match configs.get(&key) {
                Some(&j) => j,
                None => {
                    judges.push(judge_of(config_of(config).map_err(at)?).map_err(at)?);
                    configs.insert(key, judges.len() - 1);
                    judges.len() - 1
                }
            };
            let intervals = v["intervals"]
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or_else(|| at("`intervals` must be a non-empty array".into()))?;
            let data = intervals
                .iter()
                .enumerate()
                .map(|(k, iv)| {
                    read_metric_set_pairs(&iv.to_string())
                        .map_err(|e| at(format!("intervals[{k}]: {e}")))
                })
                .collect::<Result<Vec<Pairs>, String>>()?;
            let compliance = match &v["compliance"] {
                Value::Null => BTreeMap::new(),
                c => serde_json::from_value(c.clone())
                    .map_err(|e| at(format!("`compliance`: {e} (values: pass, fail, unknown)")))?,
            };
            let truth = v["truth"].as_str().and_then(Truth::parse);
            targets.push(SimTarget {
                id,
                judge,
                looks: data.len() as u32,
                data: Data::File(data),
                compliance,
                truth,
            });
        }
        if targets.is_empty() {
            return Err(format!("{path}: no targets"));
        }
        Ok(Fleet::new(targets, judges, false))
    }

    /// The standard pipeline of target `t`.
    pub fn pipeline(&self, t: &SimTarget) -> Result<Node, String> {
        Ok(Node::standard(&self.pipeline_options(t)?))
    }

    /// The options of target `t`'s standard pipeline: its compliance checks, and a validation of
    /// its looks, 15 minutes apart, with the sequential monitor at family-wise alpha 0.01.
    pub fn pipeline_options(&self, t: &SimTarget) -> Result<PipelineOptions, String> {
        let plan = SequentialPlan::from_config(self.judges[t.judge].config(), 0.01)
            .map_err(|e| e.to_string())?;
        let validation = ValidationOptions::new()
            .looks(t.looks)
            .interval_ms(INTERVAL)
            .sequential(Some(plan));
        let opts = PipelineOptions::new()
            .compliance_checks(t.compliance.keys().cloned().collect())
            .validation(validation);
        Ok(opts)
    }
}

// ---------------------------------------------------------------- the confidence policy

/// The crate's confidence metric with its default policy, except that the risk and track
/// record signals, which this simulation does not model, weigh nothing (an absent signal counts
/// as the worst value, so leaving their weights would send every target to review).
pub fn confidence_policy() -> ConfidenceOptions {
    ConfidenceOptions::new()
        .weight(SignalKind::Risk, 0.0)
        .weight(SignalKind::TrackRecord, 0.0)
}

pub struct SimServices<'a> {
    pub fleet: &'a Fleet,
    pub policy: ConfidenceOptions,
}

impl Services for SimServices<'_> {
    fn validator(&self, target: &str) -> Option<&dyn Validator> {
        let t = &self.fleet.targets[*self.fleet.by_id.get(target)?];
        Some(&self.fleet.judges[t.judge])
    }
    fn confidence(&self, _target: &str) -> Option<&dyn ConfidenceModel> {
        Some(&self.policy)
    }
}

// ---------------------------------------------------------------- the simulated host

impl Fleet {
    /// The target with this id.
    pub fn target(&self, id: &str) -> Option<&SimTarget> {
        self.by_id.get(id).map(|&i| &self.targets[i])
    }

    /// What the metric source returns for `target` at look `look` (1-based; cumulative data).
    pub fn metrics(&self, target: &SimTarget, look: u32) -> Pairs {
        let look = look as usize;
        match &target.data {
            Data::Generated(g, per_look) => g.pairs(per_look * look),
            Data::File(looks) => looks
                .get(look.saturating_sub(1))
                .or(looks.last())
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// What the compliance service answers for `target`'s `checks`.
    pub fn compliance_of(
        &self,
        target: &SimTarget,
        checks: &[String],
    ) -> BTreeMap<String, ComplianceStatus> {
        checks
            .iter()
            .filter_map(|c| target.compliance.get(c).map(|v| (c.clone(), *v)))
            .collect()
    }
}

/// Whether the host call with idempotency key `key` fails, with probability `faults`, and if
/// so whether as a timeout (`Some(true)`, half of the faults) or as an error (`Some(false)`).
/// A pure function of `seed` and the key (FNV-1a of the key, then splitmix64), so that the same
/// call fails the same way whichever process makes it, however often it is delivered, in any
/// order; a retry is a new action with a new key, so it fails independently.
pub fn fault(faults: f64, seed: u64, key: &ActionKey) -> Option<bool> {
    if faults <= 0.0 {
        return None;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_str().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut state = seed ^ h;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (next() < faults).then(|| next() < 0.5)
}

/// The error a failed host call reports (a timeout is an `io::ErrorKind::TimedOut`, which
/// [`timed_out`] recognises).
pub fn host_error(timed_out: bool) -> canary_analysis::Error {
    let e: Box<dyn std::error::Error + Send + Sync> = if timed_out {
        Box::new(std::io::Error::from(std::io::ErrorKind::TimedOut))
    } else {
        "simulated host failure".into()
    };
    canary_analysis::Error::Host(e)
}
