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
//! - [`bench`](mod@bench): benchmark-suite comparison (criterion, Google Benchmark, `go test -bench`):
//!   per-benchmark ratio with interval, Mann-Whitney p, suite-wide correction, verdicts.
//! - [`judge`]: the [`Judge`] trait and its two implementations, [`KayentaJudge`] (Kayenta's
//!   NetflixACAJudge-v1.0 reproduced, flaws included) and [`DefaultJudge`] (fixes Kayenta's known
//!   failure modes): per-metric classifications with a typed reason and a plain sentence,
//!   weighted group scores, the score (0-100), the coverage (0-1) and the [`Verdict`].
//! - [`confidence`]: the confidence metric: canary, sequential, compliance, risk, track-record
//!   and host signals combined into `Proceed` / `Review` / `Block` with hard gates, a breakdown
//!   and a sentence, and the proceed threshold calibrated on labelled history.
//!
//! ## Definitions
//! - A **pair** ([`MetricPair`]) is one metric's baseline and canary series; every reader returns
//!   pairs. `NaN` marks a gap; the metric's non-finite policy (Kayenta's `nanStrategy`:
//!   `remove` drops NaN and ±inf, `replace` turns them into 0) is applied once when a judge cleans
//!   the pair, and the instances of a side are pooled by default.
//! - A **metric result** is `Pass`, `High` or `Low` (a regression up or down, of any kind:
//!   location, spread, tail, rate), `Nodata` (a side without data; not scored),
//!   `NodataFailMetric` (no data for a metric that must have data; scored as a failure), `Error`
//!   (the classification failed; not scored) or, in the default judge, `InsufficientData`.
//! - A **group score** is `100 * Pass / (Pass + High + Low + NodataFailMetric)` over the unmuted
//!   results listing the group. The **score** is the weighted sum of group scores (a group
//!   without a weight shares what is left of 100 equally), rounded to 2 decimals, forced to 0 by
//!   a critical failure. The **verdict** is `Pass` at or above the pass threshold, `Marginal` at
//!   or above the marginal threshold, else `Fail` (both thresholds on the 0-100 scale). The
//!   judges differ in how a group without data counts (Kayenta: 100; default: it lowers the
//!   **coverage**, the weighted fraction of groups with data, and a coverage below 1 cannot pass);
//!   [`judge::score`] states both rules exactly.
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
//! // A 50% slower canary fails under both judges; a 1% shift passes both.
//! assert_eq!(default.judge(&pairs)?.verdict(), Verdict::Fail);
//! assert_eq!(kayenta.judge(&pairs)?.verdict(), Verdict::Fail);
//! let result = default.judge(&csv_pairs)?;
//! assert_eq!(result.verdict(), Verdict::Pass);
//! println!("{}", result.worst().unwrap().sentence());
//! let k = kayenta.judge(&csv_pairs)?;
//! assert_eq!((k.verdict(), k.metrics()[0].classification), (Verdict::Pass, Classification::Pass));
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

pub mod bench;
pub mod confidence;
mod error;
pub mod judge;
pub mod metrics;
pub mod orchestrate;
mod serde_float;
pub mod stats;

pub use error::{Error, Location, Result};
pub use judge::config::{CanaryConfig, Thresholds};
pub use judge::result::{CanaryJudgeResult, Verdict};
pub use judge::{DefaultJudge, Judge, KayentaJudge};
pub use metrics::MetricPair;
pub use metrics::csv::{CsvOptions, read_csv};
pub use metrics::kayenta::read_metric_set_pairs;
pub use metrics::ndarray::pair_from_views;
pub use metrics::prometheus::{PrometheusOptions, read_query_range};

/// The common path in one import: `use canary_analysis::prelude::*;`.
///
/// The judges and the [`Judge`] trait, the config and thresholds, the result with its verdict and
/// per-metric results, the pair type every reader produces, the readers with their options, and
/// the error.
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
    pub use crate::metrics::csv::{CsvOptions, read_csv};
    pub use crate::metrics::kayenta::read_metric_set_pairs;
    pub use crate::metrics::ndarray::pair_from_views;
    pub use crate::metrics::prometheus::{PrometheusOptions, read_query_range};
}
