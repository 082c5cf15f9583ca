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
pub mod stats;

pub use error::{Error, Location, Result};
