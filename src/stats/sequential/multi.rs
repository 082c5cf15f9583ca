//! Several tests on one metric, and several metrics at once, with the family-wise error
//! controlled across them.
//!
//! Error control is the **Bonferroni split**: with `m` always-valid p-values `p_1, ..., p_m`
//! (each satisfying `P(exists t: p_i,t < a) <= a` under its null), the combined p-value
//!
//! ```text
//! p_t = min(1, m * min_i p_i,t)
//! ```
//!
//! is again always valid for the intersection of the nulls, under *any* dependence between the
//! tests (a union bound over the `m` events `p_i,t < alpha / m`, each of which is already
//! time-uniform). It never rises, because each `p_i,t` never rises and `m` is fixed once looking
//! has started. Rejecting when `p_t < alpha` therefore bounds the probability of *any* false
//! rejection, over all tests and all looks, by `alpha`.
//!
//! [`MetricMonitor`] applies this to the tests run on one metric (for example a DKW test and an
//! mSPRT on the same latency stream); [`Monitor`] applies it again across metrics. E-value
//! averaging (the mean of e-processes is an e-process) would be an alternative for tests that are
//! all e-processes, but the DKW tests are not, so the crate uses one rule everywhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::eprocess::{Decision, RunningP, check_alpha};
use super::{Arm, CountMixture, Dkw, Msprt};
use crate::error::{Error, Result};
use crate::stats::Alternative;
use crate::stats::multiplicity::{Correction, adjusted_unchecked};

/// The Bonferroni combination `min(1, m * min_i p_i)` of `m` p-values (1 when empty): the
/// smallest Bonferroni-adjusted p-value of [`multiplicity`](crate::stats::multiplicity).
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::bonferroni;
/// assert_eq!(bonferroni(&[0.2, 0.01, 0.5]), 0.03);
/// assert_eq!(bonferroni(&[0.9, 0.5]), 1.0);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn bonferroni(p_values: &[f64]) -> f64 {
    adjusted_unchecked(p_values, Correction::Bonferroni)
        .into_iter()
        .fold(1.0, f64::min)
}

/// One sequential test inside a [`MetricMonitor`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SequentialTest {
    /// Lindon-Malek Beta mixture on event counts.
    Counts(CountMixture),
    /// Two-sample DKW test on continuous observations.
    Dkw(Dkw),
    /// Normal-mixture mSPRT on (transformed) means.
    Msprt(Msprt),
}

impl SequentialTest {
    /// A short name: `count-two-sided`, `count-greater`, `dkw-two-sided`, `dkw-greater`,
    /// `msprt-log`, ...
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::{Dkw, DkwOptions, SequentialTest};
    /// let t = SequentialTest::Dkw(Dkw::new(DkwOptions::new())?);
    /// assert_eq!(t.name(), "dkw-two-sided");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn name(&self) -> String {
        fn side(a: Alternative) -> &'static str {
            match a {
                Alternative::Greater => "greater",
                Alternative::Less => "less",
                _ => "two-sided",
            }
        }
        match self {
            SequentialTest::Counts(t) => format!("count-{}", side(t.options().get_alternative())),
            SequentialTest::Dkw(t) => format!("dkw-{}", side(t.options().get_alternative())),
            SequentialTest::Msprt(t) => match t.options().get_transform() {
                super::Transform::Log => "msprt-log".to_owned(),
                _ => "msprt".to_owned(),
            },
        }
    }

    fn is_counts(&self) -> bool {
        matches!(self, SequentialTest::Counts(_))
    }

    /// The always-valid p-value as of the last look.
    pub fn p_value(&self) -> f64 {
        match self {
            SequentialTest::Counts(t) => t.p_value(),
            SequentialTest::Dkw(t) => t.p_value(),
            SequentialTest::Msprt(t) => t.p_value(),
        }
    }

    fn look(&mut self) -> Result<f64> {
        Ok(match self {
            SequentialTest::Counts(t) => t.look()?.p_value,
            SequentialTest::Dkw(t) => t.look()?.p_value,
            SequentialTest::Msprt(t) => t.look()?.p_value,
        })
    }
}

/// One test's part of a [`MonitorLook`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestLook {
    /// The test's [name](SequentialTest::name).
    pub test: String,
    /// Its own always-valid p-value.
    pub p_value: f64,
}

/// The combined result of one look at a metric (or at all metrics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorLook {
    /// 1-based index of this look.
    pub look: u64,
    /// The Bonferroni-combined always-valid p-value (never rises).
    pub p_value: f64,
    /// `Reject` when `p_value < alpha`.
    pub decision: Decision,
    /// The parts.
    pub tests: Vec<TestLook>,
}

/// All the tests run on one metric, combined by Bonferroni (see the [module docs](self)).
///
/// The metric is either a count metric (only [`SequentialTest::Counts`]) or a continuous one
/// (DKW and mSPRT tests). Each test's own `alpha` only shapes its own confidence sequence; give
/// each `alpha / m` for simultaneous coverage.
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::*;
/// let mut latency = MetricMonitor::new(0.05, vec![
///     SequentialTest::Dkw(Dkw::new(DkwOptions::new().alpha(0.025))?),
///     SequentialTest::Msprt(Msprt::new(MsprtOptions::new().alpha(0.025))?),
/// ])?;
/// for i in 0..300 {
///     latency.observe_value(Arm::Baseline, 100.0 + (i % 17) as f64)?;
///     latency.observe_value(Arm::Canary, 160.0 + (i % 17) as f64)?;
/// }
/// let look = latency.look()?;
/// assert_eq!(look.decision, Decision::Reject);
/// assert_eq!(look.tests.len(), 2);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricMonitor {
    alpha: f64,
    tests: Vec<SequentialTest>,
    running: RunningP,
}

impl MetricMonitor {
    /// Combines `tests` at family-wise level `alpha`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an `alpha` outside (0, 1), no tests, or count and
    /// continuous tests mixed.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::*;
    /// let errors = MetricMonitor::new(0.05, vec![
    ///     SequentialTest::Counts(CountMixture::new(CountMixtureOptions::new())?),
    /// ])?;
    /// assert!(errors.is_counts());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(alpha: f64, tests: Vec<SequentialTest>) -> Result<Self> {
        check_alpha(alpha)?;
        if tests.is_empty() {
            return Err(Error::param("tests", "[]", "at least one test is needed"));
        }
        let counts = tests.iter().filter(|t| t.is_counts()).count();
        if counts != 0 && counts != tests.len() {
            return Err(Error::param(
                "tests",
                tests.len(),
                "count tests and continuous tests cannot share a metric",
            ));
        }
        Ok(MetricMonitor {
            alpha,
            tests,
            running: RunningP::new(),
        })
    }

    /// Whether this is a count metric.
    pub fn is_counts(&self) -> bool {
        self.tests[0].is_counts()
    }

    /// The tests.
    pub fn tests(&self) -> &[SequentialTest] {
        &self.tests
    }

    /// Feeds one continuous observation to every test.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] for a non-finite value, a value a test's transform cannot take,
    /// or a count metric; on error no test has changed.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::*;
    /// let mut m = MetricMonitor::new(0.05, vec![SequentialTest::Dkw(Dkw::new(DkwOptions::new())?)])?;
    /// m.observe_value(Arm::Canary, 3.0)?;
    /// assert!(m.observe_count(Arm::Canary, 1).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe_value(&mut self, arm: Arm, value: f64) -> Result<()> {
        if self.is_counts() {
            return Err(Error::sample(
                "metric",
                "a count metric takes counts, not values",
            ));
        }
        // Check against every test first so that an error leaves all of them unchanged.
        for t in &self.tests {
            if let SequentialTest::Msprt(m) = t {
                m.transformed(arm, value)?;
            }
        }
        for t in &mut self.tests {
            match t {
                SequentialTest::Dkw(d) => d.observe(arm, value)?,
                SequentialTest::Msprt(m) => m.observe(arm, value)?,
                SequentialTest::Counts(_) => {}
            }
        }
        Ok(())
    }

    /// Adds `count` events of `arm` to every test.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] for a continuous metric or a count overflow (no test changes).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::*;
    /// let mut m = MetricMonitor::new(0.05, vec![
    ///     SequentialTest::Counts(CountMixture::new(CountMixtureOptions::new())?),
    /// ])?;
    /// m.observe_count(Arm::Baseline, 4)?;
    /// assert!(m.observe_value(Arm::Canary, 1.0).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn observe_count(&mut self, arm: Arm, count: u64) -> Result<()> {
        if !self.is_counts() {
            return Err(Error::sample(
                "metric",
                "a continuous metric takes values, not counts",
            ));
        }
        for t in &self.tests {
            if let SequentialTest::Counts(c) = t {
                c.checked_total(arm, count)?;
            }
        }
        for t in &mut self.tests {
            if let SequentialTest::Counts(c) = t {
                c.observe(arm, count)?;
            }
        }
        Ok(())
    }

    /// The combined p-value as of the last look.
    pub fn p_value(&self) -> f64 {
        self.running.p_value
    }

    /// Looks at every test and combines them.
    ///
    /// # Errors
    /// Whatever a test's look reports.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::*;
    /// let mut m = MetricMonitor::new(0.05, vec![SequentialTest::Dkw(Dkw::new(DkwOptions::new())?)])?;
    /// assert_eq!(m.look()?.decision, Decision::Continue);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn look(&mut self) -> Result<MonitorLook> {
        let mut parts = Vec::with_capacity(self.tests.len());
        for t in &mut self.tests {
            let p = t.look()?;
            parts.push(TestLook {
                test: t.name(),
                p_value: p,
            });
        }
        let ps: Vec<f64> = parts.iter().map(|t| t.p_value).collect();
        let p = self.running.update(bonferroni(&ps));
        Ok(MonitorLook {
            look: self.running.looks,
            p_value: p,
            decision: Decision::from_p(p, self.alpha),
            tests: parts,
        })
    }
}

/// Several metrics at once: each [`MetricMonitor`] is combined again by Bonferroni, so the
/// family decision bounds the probability of any false alarm on any metric at any look by
/// `alpha`. Metrics must be added before the first look (the split must not change later).
///
/// # Example
/// ```
/// use canary_analysis::stats::sequential::*;
/// let mut monitor = Monitor::new(0.05)?;
/// monitor.add_metric("errors", MetricMonitor::new(0.05, vec![
///     SequentialTest::Counts(CountMixture::new(CountMixtureOptions::new())?),
/// ])?)?;
/// monitor.metric_mut("errors").unwrap().observe_count(Arm::Canary, 40)?;
/// monitor.metric_mut("errors").unwrap().observe_count(Arm::Baseline, 5)?;
/// let look = monitor.look()?;
/// assert_eq!(look.decision, Decision::Reject);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    alpha: f64,
    metrics: BTreeMap<String, MetricMonitor>,
    running: RunningP,
}

impl Monitor {
    /// An empty monitor at family-wise level `alpha`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an `alpha` outside (0, 1).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::Monitor;
    /// assert!(Monitor::new(1.5).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(alpha: f64) -> Result<Self> {
        check_alpha(alpha)?;
        Ok(Monitor {
            alpha,
            metrics: BTreeMap::new(),
            running: RunningP::new(),
        })
    }

    /// Registers a metric.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] after the first look or for a duplicate name.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::*;
    /// let mut monitor = Monitor::new(0.05)?;
    /// let m = MetricMonitor::new(0.05, vec![SequentialTest::Dkw(Dkw::new(DkwOptions::new())?)])?;
    /// monitor.add_metric("latency", m.clone())?;
    /// assert!(monitor.add_metric("latency", m).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn add_metric(&mut self, name: &str, metric: MetricMonitor) -> Result<()> {
        if self.running.looks > 0 {
            return Err(Error::param(
                "metric",
                name,
                "metrics must be added before the first look",
            ));
        }
        if self.metrics.contains_key(name) {
            return Err(Error::param("metric", name, "already registered"));
        }
        self.metrics.insert(name.to_owned(), metric);
        Ok(())
    }

    /// The metric called `name`, to feed it.
    pub fn metric_mut(&mut self, name: &str) -> Option<&mut MetricMonitor> {
        self.metrics.get_mut(name)
    }

    /// The metrics by name.
    pub fn metrics(&self) -> &BTreeMap<String, MetricMonitor> {
        &self.metrics
    }

    /// Looks at every metric; the parts are the metrics' combined p-values (named by metric).
    ///
    /// # Errors
    /// Whatever a metric's look reports; [`Error::InvalidParameter`] with no metrics.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::stats::sequential::Monitor;
    /// assert!(Monitor::new(0.05)?.look().is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn look(&mut self) -> Result<MonitorLook> {
        if self.metrics.is_empty() {
            return Err(Error::param("metrics", 0, "no metrics registered"));
        }
        let mut parts = Vec::with_capacity(self.metrics.len());
        for (name, m) in &mut self.metrics {
            parts.push(TestLook {
                test: name.clone(),
                p_value: m.look()?.p_value,
            });
        }
        let ps: Vec<f64> = parts.iter().map(|t| t.p_value).collect();
        let p = self.running.update(bonferroni(&ps));
        Ok(MonitorLook {
            look: self.running.looks,
            p_value: p,
            decision: Decision::from_p(p, self.alpha),
            tests: parts,
        })
    }
}
