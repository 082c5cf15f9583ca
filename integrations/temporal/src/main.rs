//! `canary-temporal`: the crate's orchestration engine hosted on Temporal.
//!
//! ```text
//! canary-temporal worker   --address HOST:PORT --task-queue Q --targets N --seed S [--faults F] --record DIR
//! canary-temporal campaign --address HOST:PORT --task-queue Q --targets N --seed S --id ID
//!                          [--time-scale X] --out RESULT.json
//! canary-temporal report   --result RESULT.json --expect TARGETS.jsonl --record DIR
//!                          --worker-restarts K --seconds T
//! canary-temporal decide   --address HOST:PORT --workflow ID --approve true|false --by NAME
//! ```
//!
//! - `worker` polls the task queue for the three workflows (campaign, wave, target) and the
//!   host activity; its host is `fleet_campaign`'s simulated host (`examples/fleet_campaign/
//!   sim.rs`, included here) for the fleet generated from `--targets`/`--seed`, recording every
//!   action key under `--record` (shared by all workers).
//! - `campaign` starts the campaign workflow (id `--id`) over that fleet, waits for it, reads
//!   each terminal target's result (its final engine state) and writes `RESULT.json`.
//! - `report` compares the result with `fleet_campaign --report-targets` of the same fleet and
//!   seed, checks the record, and prints one JSON line `{"targets", "terminal",
//!   "same_as_in_process", "duplicate_actions", "worker_restarts", "seconds"}` on stdout, and
//!   details on stderr. Exit status 0 when every check holds, 1 when one fails, 2 on bad input.
//! - `decide` signals a human decision to a target workflow waiting in review, waits for the
//!   workflow to end and prints its final status (`promoted`, `rolled_back`, ...).
//!
//! See `README.md` beside this file for what Temporal holds and what the engine holds, and how
//! to shard a large campaign.

#[allow(dead_code)]
#[path = "../../../examples/fleet_campaign/sim.rs"]
mod sim;

mod host;
mod workflows;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use canary_analysis::orchestrate::{CampaignOptions, HumanDecision, TargetStatus};
use serde_json::{Value, json};
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, Url, WorkflowGetResultOptions,
    WorkflowSignalOptions, WorkflowStartOptions,
};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use host::{Record, SimHost};
use workflows::{
    CampaignInput, CampaignResult, CampaignWorkflow, JudgeSpec, TargetSpec, TargetWorkflow,
    WaveWorkflow,
};

type Res<T> = Result<T, String>;

const USAGE: &str =
    "usage: canary-temporal worker|campaign|report|decide [flags] (see the crate docs)";

/// Flags as `--name value` pairs.
struct Flags(HashMap<String, String>);

impl Flags {
    fn parse(args: &[String]) -> Res<Flags> {
        let mut m = HashMap::new();
        let mut it = args.iter();
        while let Some(k) = it.next() {
            let name = k
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument `{k}`"))?;
            let v = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
            m.insert(name.to_owned(), v.clone());
        }
        Ok(Flags(m))
    }
    fn get(&self, name: &str) -> Res<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("--{name} is required"))
    }
    fn num<T: FromStr>(&self, name: &str, default: Option<T>) -> Res<T> {
        match self.0.get(name) {
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: `{v}` is not a valid number")),
            None => default.ok_or_else(|| format!("--{name} is required")),
        }
    }
}

fn fleet(flags: &Flags) -> Res<(sim::Fleet, usize, u64)> {
    let n: usize = flags.num("targets", None)?;
    let seed: u64 = flags.num("seed", None)?;
    if n == 0 || n > 100_000 {
        return Err("--targets must lie in 1..=100000".into());
    }
    Ok((sim::generated_fleet(n, seed)?, n, seed))
}

async fn connect(flags: &Flags) -> Res<Client> {
    let address = flags.get("address")?;
    let url = Url::from_str(&format!("http://{address}")).map_err(|e| e.to_string())?;
    let connection = Connection::connect(ConnectionOptions::new(url).build())
        .await
        .map_err(|e| format!("connecting to {address}: {e}"))?;
    Client::new(connection, ClientOptions::new("default").build()).map_err(|e| e.to_string())
}

async fn worker(flags: &Flags) -> Res<()> {
    let (fleet, _, seed) = fleet(flags)?;
    let faults: f64 = flags.num("faults", Some(0.0))?;
    let record = PathBuf::from(flags.get("record")?);
    let host = SimHost::new(fleet, faults, seed ^ 0xFA17, record).map_err(|e| e.to_string())?;
    let client = connect(flags).await?;
    let runtime = Runtime::from_current_tokio(Default::default()).map_err(|e| e.to_string())?;
    let options = WorkerOptions::new(flags.get("task-queue")?)
        .register_activities(host)
        .register_workflow::<CampaignWorkflow>()
        .map_err(|e| e.to_string())?
        .register_workflow::<WaveWorkflow>()
        .map_err(|e| e.to_string())?
        .register_workflow::<TargetWorkflow>()
        .map_err(|e| e.to_string())?
        .sticky_queue_schedule_to_start_timeout(std::time::Duration::from_secs(2))
        .build();
    let mut w = Worker::new(&runtime, client, options).map_err(|e| e.to_string())?;
    eprintln!("worker {} polling", std::process::id());
    w.run().await.map_err(|e| e.to_string())
}

async fn campaign(flags: &Flags) -> Res<()> {
    let (fleet, _, _) = fleet(flags)?;
    let id = flags.get("id")?.to_owned();
    let time_scale: f64 = flags.num("time-scale", Some(1.0 / 3600.0))?;
    if !(time_scale > 0.0 && time_scale <= 1.0) {
        return Err("--time-scale must lie in (0, 1]".into());
    }
    let mut pipelines: Vec<canary_analysis::orchestrate::PipelineOptions> = Vec::new();
    let mut targets = Vec::with_capacity(fleet.targets.len());
    for t in &fleet.targets {
        let p = fleet.pipeline_options(t)?;
        let k = match pipelines.iter().position(|q| *q == p) {
            Some(k) => k,
            None => {
                pipelines.push(p);
                pipelines.len() - 1
            }
        };
        targets.push(TargetSpec {
            id: t.id.clone(),
            pipeline: k,
        });
    }
    let input = CampaignInput {
        targets,
        pipelines,
        judge: JudgeSpec {
            config: sim::mixed_config_json(),
            pass: 95.0,
            marginal: 75.0,
        },
        options: CampaignOptions::new().concurrency(sim::CONCURRENCY),
        time_scale,
    };
    let client = connect(flags).await?;
    let queue = flags.get("task-queue")?;
    let started = std::time::Instant::now();
    let handle = client
        .start_workflow(
            CampaignWorkflow::run,
            input,
            WorkflowStartOptions::new(queue, id.clone()).build(),
        )
        .await
        .map_err(|e| format!("starting the campaign: {e}"))?;
    eprintln!("campaign {id} started");
    let result: CampaignResult = handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .map_err(|e| format!("campaign {id}: {e}"))?;
    eprintln!(
        "campaign {id} settled in {:.1} s ({} waves{})",
        started.elapsed().as_secs_f64(),
        result.waves,
        result
            .halted
            .as_deref()
            .map(|h| format!(", halted: {h}"))
            .unwrap_or_default()
    );
    // The engine state of every terminal target, as its workflow returned it.
    let mut states = BTreeMap::new();
    for (tid, status) in &result.statuses {
        if status.is_settled() && *status != TargetStatus::Review {
            let h = client.get_workflow_handle::<TargetWorkflow>(format!("{id}-{tid}"));
            let r = h
                .get_result(WorkflowGetResultOptions::default())
                .await
                .map_err(|e| format!("target {tid}: {e}"))?;
            states.insert(tid.clone(), r.state);
        }
    }
    let out = json!({"statuses": result.statuses, "halted": result.halted, "states": states});
    let path = flags.get("out")?;
    std::fs::write(path, out.to_string()).map_err(|e| format!("{path}: {e}"))
}

async fn decide(flags: &Flags) -> Res<()> {
    let approve = match flags.get("approve")? {
        "true" => true,
        "false" => false,
        v => return Err(format!("--approve: `{v}` is not true or false")),
    };
    let decision = HumanDecision {
        approve,
        by: flags.get("by")?.to_owned(),
        note: String::new(),
    };
    let client = connect(flags).await?;
    let id = flags.get("workflow")?;
    let h = client.get_workflow_handle::<TargetWorkflow>(id);
    h.signal(
        TargetWorkflow::decide,
        decision,
        WorkflowSignalOptions::default(),
    )
    .await
    .map_err(|e| format!("signalling {id}: {e}"))?;
    let r = h
        .get_result(WorkflowGetResultOptions::default())
        .await
        .map_err(|e| format!("{id}: {e}"))?;
    println!("{}", r.status.as_str());
    Ok(())
}

fn report(flags: &Flags) -> Res<bool> {
    let read = |flag: &str| -> Res<String> {
        let p = flags.get(flag)?;
        std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))
    };
    let result: Value = serde_json::from_str(&read("result")?).map_err(|e| e.to_string())?;
    let statuses: Vec<(String, TargetStatus)> =
        serde_json::from_value(result["statuses"].clone()).map_err(|e| e.to_string())?;
    let mut expected: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (i, line) in read("expect")?.lines().enumerate() {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        let state = v["state"].as_str().unwrap_or_default().to_owned();
        let actions = serde_json::from_value(v["actions"].clone()).unwrap_or_default();
        expected.insert(id, (state, actions));
    }
    let record =
        Record::read(std::path::Path::new(flags.get("record")?)).map_err(|e| e.to_string())?;
    let restarts: u64 = flags.num("worker-restarts", None)?;
    let seconds: f64 = flags.num("seconds", None)?;

    let terminal = statuses.iter().filter(|(_, s)| s.is_settled()).count();
    let (mut same_state, mut same_keys) = (0usize, 0usize);
    for (id, st) in &statuses {
        let Some((want, keys)) = expected.get(id) else {
            eprintln!("{id}: not in the in-process run");
            continue;
        };
        if st.as_str() == want {
            same_state += 1;
        } else {
            eprintln!("{id}: {} on Temporal, {want} in process", st.as_str());
        }
        let got = record.executed.get(id).cloned().unwrap_or_default();
        if &got == keys {
            same_keys += 1;
        } else {
            eprintln!(
                "{id}: host calls differ ({} on Temporal, {} in process)",
                got.len(),
                keys.len()
            );
        }
    }
    let n = statuses.len();
    let same = same_state == n && n == expected.len();
    // Executing an action is claiming its key, so no key runs twice at the host; what could
    // still go wrong is a key reused for another action (a conflict) or an action issued that
    // the in-process run never issued (the key sequences above).
    let duplicates = record.conflicts;
    let states = result["states"].as_object().cloned().unwrap_or_default();
    let sizes: Vec<usize> = states.values().map(|v| v.to_string().len()).collect();
    let mean = sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64;
    eprintln!(
        "{n} targets, {terminal} terminal or in review; final state as in process for {same_state}, \
         host calls (keys, in order) as in process for {same_keys}; {} host actions executed, \
         {} redelivered by Temporal and absorbed by their keys, {} keys reused for another action",
        record.executed.values().map(Vec::len).sum::<usize>(),
        record.redelivered,
        record.conflicts
    );
    eprintln!(
        "engine state returned by {} terminal target workflows: mean {mean:.0} bytes of JSON, max {}",
        sizes.len(),
        sizes.iter().max().copied().unwrap_or(0)
    );
    if let Some(h) = result["halted"].as_str() {
        eprintln!("halted: {h}");
    }
    // Written by hand to keep the documented key order.
    println!(
        "{{\"targets\":{n},\"terminal\":{terminal},\"same_as_in_process\":{same},\
         \"duplicate_actions\":{duplicates},\"worker_restarts\":{restarts},\"seconds\":{}}}",
        json!(seconds)
    );
    Ok(terminal == n && same && same_keys == n && duplicates == 0 && n > 0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let flags = match Flags::parse(rest) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("canary-temporal: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("canary-temporal: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cmd.as_str() {
        "worker" => rt.block_on(worker(&flags)).map(|()| true),
        "campaign" => rt.block_on(campaign(&flags)).map(|()| true),
        "report" => report(&flags),
        "decide" => rt.block_on(decide(&flags)).map(|()| true),
        _ => Err(format!("unknown command `{cmd}`")),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("canary-temporal: {e}");
            ExitCode::from(2)
        }
    }
}
