//! The host's actions as Temporal activities, against `fleet_campaign`'s simulated host.
//!
//! One activity, `perform`, takes an engine [`Action`] (deploy, shift traffic, fetch metrics,
//! check compliance, promote, roll back, open a review) and returns the [`EventKind`] that
//! answers it, or `None` where nobody answers (a review). Its Temporal activity id is the
//! action's idempotency key.
//!
//! Temporal runs an activity at least once: a worker killed after doing the work but before
//! reporting it gets the activity retried elsewhere. What keeps a host action from being
//! executed twice is the key: the host claims each key once (`create_new` of a file named after
//! it, the file system's atomic "insert if absent", as a database's unique constraint would be),
//! and only the delivery that claims it executes. A later delivery of the same key is
//! answered without executing anything (the simulated host's answers are pure functions of
//! the action, so it answers the same). The record directory keeps:
//! - `keys/<key>`: the claimed keys, each with the action it was claimed for;
//! - `executed.log`: one line per executed action, `<key>`, in execution order;
//! - `redelivered.log`: one line per delivery of an already executed key (Temporal's retries);
//! - `conflicts.log`: one line per key delivered for a different action than it was claimed
//!   for (an engine that reused a key; never expected).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

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

    /// Claims the action's key, executes the action on the first delivery only, answers it.
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
        let path = self.record.join("keys").join(file_name);
        let what = serde_json::to_string(&(&a.target, &a.kind)).map_err(io::Error::other)?;
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                f.write_all(what.as_bytes())?;
                f.sync_data()?;
                // The action's effect in this simulation: its line in the execution log.
                self.append("executed.log", a.key.as_str())?;
            }
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

/// What the record directory says: executed keys per target in order, keys executed more than
/// once, keys delivered again, keys reused for another action.
pub struct Record {
    /// Executed keys per target, in execution order.
    pub executed: std::collections::BTreeMap<String, Vec<String>>,
    /// Keys with more than one line in `executed.log`.
    pub executed_twice: usize,
    /// Lines of `redelivered.log`.
    pub redelivered: usize,
    /// Lines of `conflicts.log`.
    pub conflicts: usize,
}

impl Record {
    /// Reads the record directory.
    pub fn read(dir: &std::path::Path) -> io::Result<Record> {
        let lines = |name: &str| -> io::Result<Vec<String>> {
            match fs::read_to_string(dir.join(name)) {
                Ok(s) => Ok(s.lines().map(str::to_owned).collect()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        };
        let mut executed: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        let mut seen = std::collections::HashSet::new();
        let mut executed_twice = 0;
        for key in lines("executed.log")? {
            if !seen.insert(key.clone()) {
                executed_twice += 1;
            }
            let target = key.split('/').next().unwrap_or_default().to_owned();
            executed.entry(target).or_default().push(key);
        }
        Ok(Record {
            executed,
            executed_twice,
            redelivered: lines("redelivered.log")?.len(),
            conflicts: lines("conflicts.log")?.len(),
        })
    }
}
