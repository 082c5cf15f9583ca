//! Orchestration throughput: a whole simulated campaign, 100,000 targets through the standard
//! pipeline (deploy, bake, 3 validation looks, compliance, confidence, promote or roll back),
//! driven by the blocking driver against an instant in-memory host, with a stub judge (the
//! judge's own cost is measured in `benches/judge.rs`).
//!
//! Setup asserts the result once (every target settled, the stubbed failures rolled back) and
//! prints the serialized state per target (JSON bytes, mean over all targets after the run).

use std::collections::BTreeMap;
use std::hint::black_box;

use canary_analysis::confidence::{CanarySignal, CanaryVerdict, ConfidenceOptions, SignalKind};
use canary_analysis::judge::Verdict;
use canary_analysis::metrics::MetricPair;
use canary_analysis::orchestrate::*;
use criterion::{Criterion, criterion_group, criterion_main};

struct Stub(Judgement);

impl Validator for Stub {
    fn validate(&self, _pairs: &[MetricPair]) -> canary_analysis::Result<Judgement> {
        Ok(self.0.clone())
    }
}

fn stub(verdict: Verdict, cv: CanaryVerdict, score: f64) -> Stub {
    Stub(Judgement {
        verdict,
        score,
        coverage: 1.0,
        summary: String::new(),
        signal: CanarySignal::new(cv, score, 1.0).expect("valid signal"),
    })
}

struct BenchServices {
    pass: Stub,
    fail: Stub,
    policy: ConfidenceOptions,
}

impl Services for BenchServices {
    fn validator(&self, target: &str) -> Option<&dyn Validator> {
        // Every 20th target fails its canary.
        let n: usize = target[1..].parse().ok()?;
        Some(if n % 20 == 7 { &self.fail } else { &self.pass })
    }
    fn confidence(&self, _: &str) -> Option<&dyn ConfidenceModel> {
        Some(&self.policy)
    }
}

struct Host(Millis);

impl MetricSource for Host {
    fn fetch(&mut self, _: &str, _: &Window, _: &ActionKey) -> canary_analysis::Result<Pairs> {
        Ok(Vec::new())
    }
}

impl Deployments for Host {
    fn perform(&mut self, _: &str, _: DeployOp, _: &ActionKey) -> canary_analysis::Result<()> {
        Ok(())
    }
    fn open_review(
        &mut self,
        _: &str,
        _: &str,
        _: &ActionKey,
    ) -> canary_analysis::Result<Option<HumanDecision>> {
        Ok(None)
    }
}

impl ComplianceChecks for Host {
    fn check(
        &mut self,
        _: &str,
        checks: &[String],
        _: &ActionKey,
    ) -> canary_analysis::Result<BTreeMap<String, ComplianceStatus>> {
        Ok(checks
            .iter()
            .map(|c| (c.clone(), ComplianceStatus::Pass))
            .collect())
    }
}

impl Clock for Host {
    fn now(&self) -> Millis {
        self.0
    }
    fn sleep_until(&mut self, at: Millis) {
        self.0 = self.0.max(at);
    }
}

fn services() -> BenchServices {
    BenchServices {
        pass: stub(Verdict::Pass, CanaryVerdict::Pass, 100.0),
        fail: stub(Verdict::Fail, CanaryVerdict::Fail, 10.0),
        policy: ConfidenceOptions::new()
            .weight(SignalKind::Risk, 0.0)
            .weight(SignalKind::TrackRecord, 0.0)
            .weight(SignalKind::Sequential, 0.0),
    }
}

fn campaign(n: usize) -> Campaign {
    let pipeline = Node::standard(
        &PipelineOptions::new()
            .compliance_checks(vec!["cve-scan".into()])
            .validation(ValidationOptions::new().looks(3)),
    );
    let targets = (0..n)
        .map(|i| (format!("t{i}"), pipeline.clone()))
        .collect();
    let opts = CampaignOptions::new()
        .concurrency(10_000)
        .failure_budget(1.0);
    Campaign::new(opts, targets).expect("valid campaign")
}

fn run(n: usize, sv: &BenchServices) -> (Campaign, RunStats) {
    let mut c = campaign(n);
    let (mut m, mut d, mut k, mut clock) = (Host(0), Host(0), Host(0), Host(0));
    let mut driver = BlockingDriver {
        metrics: &mut m,
        deployments: &mut d,
        compliance: &mut k,
        clock: &mut clock,
    };
    let stats = driver.run(&mut c, sv).expect("campaign runs");
    (c, stats)
}

/// This thread's CPU time (user + system), seconds, from `/proc/thread-self/stat` (Linux; 0
/// elsewhere): the wall time of a bench on a loaded machine overstates its cost.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

fn bench(c: &mut Criterion) {
    const N: usize = 100_000;
    let sv = services();
    // Assert the result once.
    let (t0, cpu0) = (std::time::Instant::now(), cpu_seconds());
    let (done, stats) = run(N, &sv);
    let setup_s = t0.elapsed().as_secs_f64();
    let setup_cpu = cpu_seconds() - cpu0;
    let s = done.summary();
    assert_eq!(s.targets, N);
    assert_eq!(s.rolled_back, N / 20, "{s:?}");
    assert_eq!(s.promoted, N - N / 20, "{s:?}");
    let bytes: usize = done
        .targets()
        .iter()
        .map(|t| serde_json::to_vec(t).expect("state serializes").len())
        .sum();
    eprintln!(
        "orchestrate/campaign/{N}: {setup_s:.2} s wall, {setup_cpu:.2} s CPU (setup run), {} events, {} actions; serialized state per target {} bytes (JSON, mean over {N} settled targets)",
        stats.events,
        stats.actions,
        bytes / N
    );
    if std::env::var_os("ORCHESTRATE_DUMP").is_some() {
        eprintln!(
            "{}",
            serde_json::to_string_pretty(&done.targets()[0]).unwrap()
        );
    }
    drop(done);
    let mut g = c.benchmark_group("orchestrate");
    g.sample_size(10);
    g.bench_function(format!("campaign/{N}"), |b| {
        b.iter(|| black_box(run(N, &sv).1.events))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
