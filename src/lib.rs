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
//! - [`confidence`]: the confidence metric: canary, sequential, compliance, risk, track-record
//!   and host signals combined into `Proceed` / `Review` / `Block` with hard gates, a breakdown
//!   and a sentence, and the proceed threshold calibrated on labelled history.
//!
//! Every function takes the baseline first and the canary second, and every effect is the
//! canary relative to the baseline.
//!
//! ## End to end
//! Read Kayenta metric-set pairs (`control` = baseline, `experiment` = canary, gaps as `"NaN"` or
//! `null`), judge them against a Kayenta canary config with the default judge, and read the
//! verdict. `judge::report::render_html` turns the same result into a self-contained HTML page.
//!
//! ```
//! use canary_analysis::judge::config::{CanaryConfig, Thresholds};
//! use canary_analysis::judge::{Mode, judge};
//! use canary_analysis::metrics::read_metric_set_pairs;
//!
//! let config = CanaryConfig::from_json(
//!     r#"{"metrics": [{"name": "latency", "groups": ["perf"],
//!         "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#,
//! )?;
//! let pairs = read_metric_set_pairs(
//!     r#"[{"name": "latency", "values": {
//!         "control":    [101, 99, 100, 102, 98, 100, 101, 99, "NaN", 100, 103, 97],
//!         "experiment": [151, 149, 150, 152, 148, 150, 151, 149, 150, null, 153, 147]}}]"#,
//! )?;
//! let result = judge(&config, &pairs, &Thresholds::new(95.0, 75.0)?, Mode::Default)?;
//! assert_eq!(result.score.classification.as_str(), "Fail");
//! assert_eq!(result.results[0].classification.as_str(), "High");
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

pub mod confidence;
mod error;
pub mod judge;
pub mod metrics;
pub mod orchestrate;
mod serde_float;
pub mod stats;

pub use error::{Error, Location, Result};
