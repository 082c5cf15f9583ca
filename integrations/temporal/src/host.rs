//! The host's actions as Temporal activities, against `fleet_campaign`'s simulated host.
//!
//! One activity, `perform`, takes an engine [`Action`] (deploy, shift traffic, fetch metrics,
//! check compliance, promote, roll back, open a review) and returns the [`EventKind`] that
//! answers it, or `None` where nobody answers (a review). Its Temporal activity id is the
//! action's idempotency key.
//!
//! Temporal runs an activity at least once: a worker killed after doing the work but before
//! reporting it gets the activity retried elsewhere. What keeps a host action from being
//! executed twice is the key: executing an action *is* claiming its key, in one atomic step
//! (the claim file, holding the key and the action, is written aside and hard-linked into
//! place, which fails if the key is already claimed: the file-system form of a database's
//! unique constraint, taken in the same transaction as the effect). A later delivery of the same
//! key executes nothing and is answered from the same pure function of the action. The record
//! directory keeps:
//! - `keys/<key>`: one file per executed action, `{"key", "target", "action"}`;
//! - `redelivered.log`: one line per delivery of an already executed key (Temporal's retries);
//! - `conflicts.log`: one line per key delivered for a different action than it was executed
//!   for (an engine that reused a key; never expected).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use canary_analysis::orchestrate::{Action, ActionKind, EventKind, timed_out};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::sim;

/// The simulated host: the fleet, the fault model and the record directory.
pub struct SimHost {
    fleet: sim::Fleet,
    faults: f64,
    fault_seed: u64,
    record: PathBuf,
    /// Makes each delivery's scratch file unique, also between concurrent deliveries of one
    /// key in one process.
    scratch: AtomicU64,
}

impl SimHost {
    /// A host for `fleet` with fault rate `faults` (seed `fault_seed`), recording under `record`.
    pub fn new(
        fleet: sim::Fleet,
        faults: f64,
        fault_seed: u64,
        record: PathBuf,
    ) -> io::Result<Self> {
        fs::create_dir_all(record.join("keys"))?;
        Ok(SimHost {
            fleet,
            faults,
            fault_seed,
            record,
            scratch: AtomicU64::new(0),
        })
    }

    fn append(&self, log: &str, line: &str) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.record.join(log))?;
        // One write per line: appends of a short line are not interleaved between processes.
        f.write_all(format!("{line}\n").as_bytes())?;
        f.sync_data()
    }

    /// Executes the action (claims its key) on the first delivery only, and answers it.
    fn deliver(&self, a: &Action) -> io::Result<Option<EventKind>> {
        let file_name: String = a
            .key
            .as_str()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '~'
                }
            })
            .collect();
        let keys = self.record.join("keys");
        let path = keys.join(&file_name);
        let claim = serde_json::json!({"key": a.key, "target": a.target, "action": a.kind});
        let what = claim.to_string();
        // Written aside, then linked into place: the claim appears whole or not at all.
        let tmp = keys.join(format!(
            ".{file_name}.{}.{}",
            std::process::id(),
            self.scratch.fetch_add(1, Ordering::Relaxed)
        ));
        {
            let mut f = File::create(&tmp)?;
            f.write_all(what.as_bytes())?;
            f.sync_data()?;
        }
        let linked = fs::hard_link(&tmp, &path);
        fs::remove_file(&tmp)?;
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let before = fs::read_to_string(&path)?;
                let log = if before == what {
                    "redelivered.log"
                } else {
                    "conflicts.log"
                };
                self.append(log, a.key.as_str())?;
            }
            Err(e) => return Err(e),
        }
        Ok(answer(&self.fleet, self.faults, self.fault_seed, a))
    }
}

/// The event with which the simulated host answers a host action, exactly as the crate's
/// blocking driver builds it from `fleet_campaign`'s host traits (`None` for a review, which
/// nobody answers in the simulation, and for a timer, which is not a host call).
pub fn answer(fleet: &sim::Fleet, faults: f64, fault_seed: u64, a: &Action) -> Option<EventKind> {
    if matches!(a.kind, ActionKind::StartTimer { .. }) {
        return None;
    }
    if let Some(t) = sim::fault(faults, fault_seed, &a.key) {
        let e = sim::host_error(t);
        return Some(EventKind::HostError {
            timed_out: timed_out(&e),
            message: e.to_string(),
        });
    }
    let target = fleet.target(&a.target)?;
    Some(match &a.kind {
        ActionKind::FetchMetrics { window } => EventKind::Metrics {
            pairs: fleet.metrics(target, window.look),
        },
        ActionKind::CheckCompliance { checks } => EventKind::Compliance {
            results: fleet.compliance_of(target, checks),
        },
        ActionKind::OpenReview { .. } => return None,
        _ => EventKind::Done,
    })
}

#[activities]
impl SimHost {
    /// Performs one host action (activity id: the action's idempotency key).
    #[activity]
    pub async fn perform(
        self: Arc<Self>,
        _ctx: ActivityContext,
        action: Action,
    ) -> Result<Option<EventKind>, ActivityError> {
        // A failure to record is a transport-level failure: Temporal retries the delivery.
        self.deliver(&action).map_err(|e| {
            ActivityError::application(temporalio_sdk::ApplicationFailure::new(format!(
                "recording {}: {e}",
                action.key
            )))
        })
    }
}

/// What the record directory says: executed keys per target in order, keys delivered again,
/// keys reused for another action.
pub struct Record {
    /// Executed keys per target, in the engine's order (the sequence number in the key).
    pub executed: BTreeMap<String, Vec<String>>,
    /// Lines of `redelivered.log`.
    pub redelivered: usize,
    /// Lines of `conflicts.log`.
    pub conflicts: usize,
}

impl Record {
    /// Reads the record directory.
    pub fn read(dir: &Path) -> io::Result<Record> {
        let lines = |name: &str| -> io::Result<usize> {
            match fs::read_to_string(dir.join(name)) {
                Ok(s) => Ok(s.lines().count()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
                Err(e) => Err(e),
            }
        };
        let mut executed: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
        for entry in fs::read_dir(dir.join("keys"))? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue; // a claim being written when its worker was killed
            }
            let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(entry.path())?)
                .map_err(io::Error::other)?;
            let key = v["key"].as_str().unwrap_or_default().to_owned();
            let target = v["target"].as_str().unwrap_or_default().to_owned();
            let seq = key
                .split('/')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(u64::MAX);
            executed.entry(target).or_default().push((seq, key));
        }
        Ok(Record {
            executed: executed
                .into_iter()
                .map(|(t, mut keys)| {
                    keys.sort();
                    (t, keys.into_iter().map(|(_, k)| k).collect())
                })
                .collect(),
            redelivered: lines("redelivered.log")?,
            conflicts: lines("conflicts.log")?,
        })
    }
}
