//! Anytime-valid sequential tests: watch a canary continuously without crying wolf.
//!
//! Re-running a fixed-horizon test (Mann-Whitney, t-test) at every look inflates the false-alarm
//! rate: a two-sided Mann-Whitney checked at 20 looks of 50, 100, ..., 1000 observations per arm
//! rejects about 24% of A/A comparisons at nominal 5% (Armitage, McPherson & Rowe 1969 give .142,
//! .193 and .248 for 5, 10 and 20 looks). The tests here are *anytime valid*: the probability that
//! they ever reject a true null hypothesis, however often and whenever one looks, is at most
//! `alpha` (Ville's inequality applied to an e-process, or a time-uniform concentration bound).
//! This is how Netflix monitors canaries (Lindon, Sanden & Shirikian, KDD 2022; Lindon & Malek,
//! NeurIPS 2022).
//!
//! Conventions: baseline first, canary second; every effect is the canary relative to the
//! baseline.
//!
//! | module | data | test |
//! |---|---|---|
//! | [`counts`] | event counts (errors, crashes) | Lindon-Malek Beta-mixture e-process on the two running counts, two-sided or one-sided, with a confidence sequence for the rate ratio |
//! | [`dkw`] | continuous observations (latency) | time-uniform DKW bands (Howard & Ramdas 2022): equality in distribution, stochastic order, quantile-difference bands |
//! | [`msprt`] | means of (transformed) observations | normal-mixture mSPRT (Johari et al. 2022) with a burn-in, and its confidence sequence |
//! | [`multi`] | several tests and metrics | Bonferroni control of the family-wise error across tests and metrics |
//!
//! Every test is a streaming state machine: feed observations (or batches; a batch gives exactly
//! the state that feeding its elements one at a time gives), then call `look()` whenever you want
//! an answer. A look returns the always-valid p-value `p_t = min(p_{t-1}, p(look t))` (`p_0 = 1`),
//! which never rises, and the decision `Reject` exactly when `p_t < alpha`. Confidence sequences
//! are intersected over looks (running maximum of lower ends, running minimum of upper ends).
//! All states are serde-serializable so a host can persist them between looks.

use serde::{Deserialize, Serialize};

pub mod counts;
pub mod dkw;
pub mod eprocess;
pub mod msprt;
pub mod multi;

pub use counts::{CountLook, CountMixture, CountMixtureOptions};
pub use dkw::{Dkw, DkwLook, DkwOptions, QuantileBand, dkw_radius, ks_sequential_p};
pub use eprocess::{Decision, Interval, RunningP};
pub use msprt::{Msprt, MsprtLook, MsprtOptions, NormalMixture, Transform, normal_mixture};
pub use multi::{MetricMonitor, Monitor, MonitorLook, SequentialTest, TestLook, bonferroni};

/// The arm an observation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Arm {
    /// The running version.
    #[serde(rename = "baseline")]
    Baseline,
    /// The new version.
    #[serde(rename = "canary")]
    Canary,
}
