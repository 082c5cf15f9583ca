//! Shared helpers of the judge tests: a pair from two plain vectors.

#![allow(dead_code)]

use canary_analysis::metrics::{MetricPair, Series, Timestamps};

/// A single-instance pair on an unknown time axis: baseline first, canary second (NaN = gap).
pub fn pair(name: &str, baseline: &[f64], canary: &[f64]) -> MetricPair {
    MetricPair {
        metric: name.to_owned(),
        tags: Default::default(),
        baseline: Series::single(Timestamps::Unknown, baseline.to_vec()).unwrap(),
        canary: Series::single(Timestamps::Unknown, canary.to_vec()).unwrap(),
    }
}

/// Kayenta metric-set pairs as judge input.
pub fn kayenta_pairs(json: &str) -> Vec<MetricPair> {
    canary_analysis::metrics::read_metric_set_pairs(json)
        .unwrap()
        .iter()
        .map(|p| p.to_pair())
        .collect()
}
