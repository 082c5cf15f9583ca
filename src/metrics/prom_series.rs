//! What both Prometheus readers produce (the serde reader in `prometheus.rs` and the fast path
//! in `prom_fast.rs`, which must agree bit for bit): one series of a `query_range` matrix, and
//! the timestamp bound both enforce.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One series of a `query_range` matrix, as returned by Prometheus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromSeries {
    /// The series labels (`__name__` included when present).
    pub labels: BTreeMap<String, String>,
    /// Sample times, milliseconds since the Unix epoch, strictly increasing.
    pub timestamps_millis: Vec<i64>,
    /// Sample values (NaN and infinities as sent).
    pub values: Vec<f64>,
}

/// Largest timestamp magnitude accepted, in ms (year ~287,000: integer-exact as f64).
pub(crate) const MAX_ABS_MILLIS: f64 = 9.0e15;
