//! # canary-analysis
//!
//! Decide from metrics whether a new version of a service (the *canary*) is safe to promote over
//! the running one (the *baseline*).
//!
//! The crate is layered, and data flows one way:
//!
//! - [`metrics`]: ingestion of baseline and canary time series (Kayenta metric-set pairs,
//!   Prometheus `query_range` responses, CSV, `ndarray`) with an explicit NaN/gap policy.
//! - [`stats`]: Mann-Whitney U, Hodges-Lehmann shift and interval, bootstrap intervals, effect
//!   sizes and anytime-valid sequential tests.
//! - [`judge`]: per-metric verdicts, weighted group scores and the canary verdict, in a
//!   Kayenta-compatible mode and in a default mode that fixes Kayenta's known failure modes.
//!
//! Every function takes the baseline first and the canary second, and every effect is the
//! canary relative to the baseline.
//!
//! ## End to end
//! Read a Prometheus `query_range` response and a CSV file, judge both with the default judge
//! and the Kayenta judge, and read the verdicts. [`judge::report::render_html`] turns a result
//! into a self-contained HTML page.
//!
//! ```
//! use canary_analysis::prelude::*;
//! use canary_analysis::metrics::csv::{CsvOptions, read_csv};
//! use canary_analysis::metrics::prometheus::{PrometheusOptions, read_query_range};
//!
//! let config = CanaryConfig::from_json(
//!     r#"{"metrics": [{"name": "latency", "groups": ["perf"],
//!         "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#,
//! )?;
//! let thresholds = Thresholds::new(95.0, 75.0)?;
//! let default = DefaultJudge::new(config.clone(), thresholds)?;
//! let kayenta = KayentaJudge::new(config, thresholds)?;
//!
//! // Prometheus: one series per side, paired by the `version` label.
//! let values = |base: f64| -> String {
//!     (0..20).map(|i| format!("[{}, \"{}\"]", 1_700_000_000 + 60 * i, base + (i % 5) as f64))
//!         .collect::<Vec<_>>().join(",")
//! };
//! let response = format!(
//!     r#"{{"status": "success", "data": {{"resultType": "matrix", "result": [
//!         {{"metric": {{"__name__": "latency", "version": "baseline"}}, "values": [{}]}},
//!         {{"metric": {{"__name__": "latency", "version": "canary"}}, "values": [{}]}}]}}}}"#,
//!     values(100.0), values(150.0));
//! let pairs = read_query_range(&response, &PrometheusOptions::new())?;
//!
//! // CSV, long layout: metric, group, timestamp, value.
//! let mut text = String::from("metric,group,timestamp,value\n");
//! for i in 0..20 {
//!     text += &format!("latency,baseline,{},{}\n", 60 * i, 100 + i % 5);
//!     text += &format!("latency,canary,{},{}\n", 60 * i, 101 + i % 5);
//! }
//! let csv_pairs = read_csv(&text, &CsvOptions::new())?;
//!
//! // A 50% slower canary fails under both judges; a 1% shift passes the default judge.
//! assert_eq!(default.judge(&pairs)?.verdict(), Verdict::Fail);
//! assert_eq!(kayenta.judge(&pairs)?.verdict(), Verdict::Fail);
//! let result = default.judge(&csv_pairs)?;
//! assert_eq!(result.verdict(), Verdict::Pass);
//! println!("{}", result.worst().unwrap().sentence());
//! # Ok::<(), canary_analysis::Error>(())
//! ```
//!
//! ## Errors and panics
//! Bad input (empty samples, NaN or infinite values, out-of-range options, malformed JSON or
//! CSV) is reported as an [`Error`]; no function panics on input it is given.
//!
//! The library is pure: no network, no async runtime, no global state. Randomness is seeded and
//! portable, so seeded results are bit-identical across runs and thread counts.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

mod error;
pub mod judge;
pub mod metrics;
mod serde_float;
pub mod stats;

pub use error::{Error, Location, Result};
pub use judge::config::{CanaryConfig, Thresholds};
pub use judge::result::{CanaryJudgeResult, Verdict};
pub use judge::{DefaultJudge, Judge, KayentaJudge};
pub use metrics::MetricPair;

/// The common path in one import: `use canary_analysis::prelude::*;`.
///
/// The judges and the [`Judge`] trait, the config and thresholds, the result with its verdict and
/// per-metric results, the pair type every reader produces, and the error.
///
/// # Example
/// ```
/// use canary_analysis::prelude::*;
/// let t = Thresholds::new(95.0, 75.0)?;
/// assert_eq!(t.pass(), 95.0);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub mod prelude {
    pub use crate::error::{Error, Result};
    pub use crate::judge::config::{CanaryConfig, Thresholds};
    pub use crate::judge::result::{CanaryJudgeResult, Classification, MetricResult, Verdict};
    pub use crate::judge::{DefaultJudge, Judge, KayentaJudge};
    pub use crate::metrics::MetricPair;
}
