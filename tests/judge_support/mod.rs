//! Shared helpers of the judge tests.

#![allow(dead_code)]

use canary_analysis::metrics::MetricPair;

/// A single-instance pair on an unknown time axis: baseline first, canary second (NaN = gap).
pub fn pair(name: &str, baseline: &[f64], canary: &[f64]) -> MetricPair {
    MetricPair::from_values(name, baseline.to_vec(), canary.to_vec()).unwrap()
}

/// Kayenta metric-set pairs as judge input.
pub fn kayenta_pairs(json: &str) -> Vec<MetricPair> {
    canary_analysis::metrics::read_metric_set_pairs(json).unwrap()
}
