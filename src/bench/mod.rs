//! Benchmark-suite comparison: is the new build slower, by how much, with what confidence,
//! across the whole suite.
//!
//! Readers turn saved results into [`Samples`] (one per benchmark, per-iteration times in
//! nanoseconds): [`criterion`] (`sample.json`, `estimates.json`, `benchmark.json`), [`google`]
//! (Google Benchmark `--benchmark_out` JSON) and [`gotest`] (`go test -bench` text, benchstat's
//! input). The readers parse text the caller has read; walking a `target/criterion` directory
//! belongs to the caller (the `canary compare` command does it). [`compare`] then judges the
//! suite, and [`report`] renders a benchstat-style table or a self-contained HTML page.
//!
//! # Definitions (per benchmark, old = baseline, new = canary)
//! - **Change**: the Hodges-Lehmann shift of the **log** times, `d = median_{i,j}(ln new_i -
//!   ln old_j)`, reported as the ratio `exp(d)` (new / old; `1.05` is 5% slower). Its interval
//!   is the Hodges-Lehmann interval of the log shift at [`CompareOptions::confidence`]
//!   (two-sided, default 95%; exact without ties, else the normal interval, see
//!   [`hodges_lehmann`](crate::stats::hodges_lehmann)), exponentiated. Because `ln` is monotone
//!   the ratio estimate and interval do not depend on the time unit and suit positive, skewed
//!   timings; the interval is the set of ratios `r` for which the Mann-Whitney test of
//!   `old * r` against `new` does not reject.
//! - **p-value**: the two-sided Mann-Whitney U test of new against old, on the times (ranks do
//!   not change under `ln`, but rounding could tie two distinct close times)
//!   ([`mann_whitney`](crate::stats::mann_whitney), [`Method::Auto`]: exact without ties when
//!   `n_old * n_new <= 100_000`, else tie-corrected normal with continuity correction). This is
//!   `scipy.stats.mannwhitneyu(new, old, alternative="two-sided", method=<method used>)`, the
//!   test of benchstat and of Google Benchmark's `compare.py`.
//! - **Suite correction**: the `m` p-values of the benchmarks present on both sides are
//!   adjusted with Holm's step-down procedure by default ([`Correction::Holm`], via
//!   [`stats::multiplicity`](crate::stats::multiplicity)). Holm controls the family-wise error
//!   rate (the chance of *any* false alarm in the suite) under any dependence between
//!   benchmarks (benchmarks of one run share the machine's drift, so they are dependent), which
//!   is the promise a CI gate needs: one red build per false alarm. Benjamini-Hochberg
//!   ([`CompareOptions::correction`]) controls only the expected share of false alarms among
//!   the flagged benchmarks, more power on suites with many real changes.
//! - **Too few samples**: with `n_old` and `n_new` samples the smallest two-sided exact
//!   p-value, reached at complete separation, is `2 / C(n_old + n_new, n_old)`. When it exceeds
//!   `alpha / m` (the level a lone change must reach after Holm's or BH's correction) no data
//!   could show a change, and the verdict is [`Verdict::TooFewSamples`] with
//!   [`BenchmarkComparison::samples_needed`], the smallest equal `n` with
//!   `2 / C(2n, n) <= alpha / m` (4 for one benchmark at 0.05, benchstat's minimum; 7 for 50).
//!   Its p-value is still reported and counted in the family.
//! - **Verdict** with margin `g` ([`CompareOptions::margin`], default 0.02):
//!   [`Verdict::Slower`] (a **regression**) when the adjusted p-value is `<= alpha` **and** the
//!   interval's lower end exceeds `1 + g`; [`Verdict::Faster`] when the adjusted p-value is
//!   `<= alpha` and the upper end is below `1 / (1 + g)` (the margin is symmetric on the log
//!   scale); otherwise [`Verdict::NoChange`] (`significant` says whether the shift was
//!   significant but within the margin). Requiring both the corrected test and the whole
//!   interval beyond the margin is the hand-made rule users adopt ("the interval above zero",
//!   "at least 10% and p < 0.05") made explicit: it never raises more alarms than the corrected
//!   test alone, and drift smaller than the margin is not an alarm.
//!
//! Samples are compared as they are: no outlier removal (criterion's Tukey fences or
//! benchstat's none), since rank statistics are robust to a few outliers already.
//!
//! # Runs, not samples, on a noisy machine
//! The test treats the samples of a side as independent draws. Within one process they are
//! not, where the machine's speed drifts or jumps between processes (a shared VM, a laptop,
//! a CI runner): on the 2-core development VM the medians of one benchmark in back-to-back
//! processes differed by up to 60%, in bursts lasting seconds, while the samples within a
//! process agreed to about 1%. Two runs taken one after the other then differ by more than any
//! margin, and the test rightly reports that difference: it is real, between the two
//! processes, but it is not the builds'. The remedy is to interleave several runs of each build
//! (old, new, new, old, ...; `scripts/bench-compare.sh`) and compare one value per run,
//! [`Samples::per_run`] (`canary compare --old-baseline a,b,c --new-baseline d,e,f`).
//!
//! # Example
//! ```
//! use canary_analysis::bench::{compare, CompareOptions, Samples, Verdict};
//! let old: Vec<f64> = (0..20).map(|i| 100.0 + (i * 7 % 20) as f64 * 0.1).collect();
//! let new: Vec<f64> = old.iter().map(|t| t * 1.10).collect();
//! let suite = compare(
//!     &[Samples::new("parse/small", old.clone())?, Samples::new("parse/large", old.clone())?],
//!     &[Samples::new("parse/small", new)?, Samples::new("parse/large", old)?],
//!     &CompareOptions::new(),
//! )?;
//! assert_eq!(suite.benchmarks[0].verdict, Verdict::Slower);
//! assert_eq!(suite.benchmarks[1].verdict, Verdict::NoChange);
//! assert!(suite.has_regression());
//! # Ok::<(), canary_analysis::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::Method;
use crate::stats::hodges_lehmann::{HodgesLehmannOptions, hodges_lehmann};
use crate::stats::mann_whitney::{MannWhitneyOptions, mann_whitney};
use crate::stats::multiplicity::{Correction, MultiplicityOptions, adjust};

pub mod criterion;
pub mod google;
pub mod gotest;
pub mod report;

/// The samples of one benchmark: per-iteration times in nanoseconds, finite and positive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    name: String,
    times_ns: Vec<f64>,
}

impl Samples {
    /// Validates and wraps one benchmark's per-iteration times (nanoseconds).
    ///
    /// # Errors
    /// [`Error::InvalidSample`] (naming the benchmark) if there are no times or a time is not
    /// finite and positive (the change is a ratio of times).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::bench::Samples;
    /// let s = Samples::new("sort/n=1000", vec![1200.0, 1180.0, 1215.0])?;
    /// assert_eq!(s.times_ns().len(), 3);
    /// assert!(Samples::new("sort/n=1000", vec![1200.0, 0.0]).is_err());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new(name: impl Into<String>, times_ns: Vec<f64>) -> Result<Self> {
        let name = name.into();
        if times_ns.is_empty() {
            return Err(Error::sample(&name, "the benchmark has no samples"));
        }
        if let Some((i, t)) = times_ns
            .iter()
            .enumerate()
            .find(|(_, t)| !(t.is_finite() && **t > 0.0))
        {
            return Err(Error::sample(
                &name,
                format!("sample {i} is {t}; times must be finite and positive"),
            ));
        }
        Ok(Samples { name, times_ns })
    }

    /// One observation per run: the median per-iteration time of each of `runs` (several runs
    /// of the same benchmark, such as interleaved rounds of old and new builds, each a fresh
    /// process). On a machine whose speed varies from process to process the samples of one run
    /// are not independent draws (they share the process's speed), so the run, not the sample,
    /// is the unit of repetition (Kalibera & Jones, "Rigorous benchmarking in reasonable
    /// time", ISMM 2013); the median keeps a run's own outliers from moving its value.
    ///
    /// # Errors
    /// [`Error::InvalidSample`] (naming the benchmark) if `runs` is empty.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::bench::Samples;
    /// let r1 = Samples::new("sort", vec![100.0, 101.0, 180.0])?;
    /// let r2 = Samples::new("sort", vec![110.0, 111.0, 109.0, 112.0])?;
    /// let s = Samples::per_run("sort", &[r1, r2])?;
    /// assert_eq!(s.times_ns(), &[101.0, 110.5]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn per_run(name: impl Into<String>, runs: &[Samples]) -> Result<Self> {
        let name = name.into();
        if runs.is_empty() {
            return Err(Error::sample(&name, "no runs to take medians of"));
        }
        let medians = runs
            .iter()
            .map(|r| {
                let mut v = r.times_ns.clone();
                v.sort_unstable_by(f64::total_cmp);
                median(&v)
            })
            .collect();
        Samples::new(name, medians)
    }

    /// The benchmark's name.
    ///
    /// # Example
    /// ```
    /// let s = canary_analysis::bench::Samples::new("a/b", vec![1.0])?;
    /// assert_eq!(s.name(), "a/b");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The per-iteration times, nanoseconds, in the order read.
    ///
    /// # Example
    /// ```
    /// let s = canary_analysis::bench::Samples::new("a/b", vec![2.0, 1.0])?;
    /// assert_eq!(s.times_ns(), &[2.0, 1.0]);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn times_ns(&self) -> &[f64] {
        &self.times_ns
    }
}

/// Resource limits of the readers, checked before the work (a hostile file cannot exhaust the
/// host). Jiff style: `Default`, `new()`, by-value setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadLimits {
    max_bytes: usize,
    max_benchmarks: usize,
    max_samples: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_bytes: 256 << 20,
            max_benchmarks: 100_000,
            max_samples: 1_000_000,
        }
    }
}

impl ReadLimits {
    /// Defaults: 256 MiB per file, 100 000 benchmarks per file, 1 000 000 samples per benchmark.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::bench::ReadLimits;
    /// let limits = ReadLimits::new().max_bytes(1 << 20).max_samples(10_000);
    /// assert_eq!(limits.get_max_bytes(), 1 << 20);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Largest input document, in bytes.
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }
    /// Largest number of benchmarks in one document.
    pub fn max_benchmarks(mut self, n: usize) -> Self {
        self.max_benchmarks = n;
        self
    }
    /// Largest number of samples of one benchmark.
    pub fn max_samples(mut self, n: usize) -> Self {
        self.max_samples = n;
        self
    }
    /// The byte limit.
    pub fn get_max_bytes(&self) -> usize {
        self.max_bytes
    }
    /// The benchmark-count limit.
    pub fn get_max_benchmarks(&self) -> usize {
        self.max_benchmarks
    }
    /// The per-benchmark sample limit.
    pub fn get_max_samples(&self) -> usize {
        self.max_samples
    }

    pub(crate) fn check_bytes(&self, len: usize) -> Result<()> {
        if len > self.max_bytes {
            return Err(Error::too_large(
                "benchmark results document (bytes)",
                self.max_bytes as u64,
                len as u64,
            ));
        }
        Ok(())
    }
}

/// A reader error naming the file and, when known, the benchmark.
pub(crate) fn bench_error(file: &str, benchmark: Option<&str>, reason: impl Into<String>) -> Error {
    Error::Bench {
        file: crate::error::quote(file),
        benchmark: benchmark.map(crate::error::quote),
        reason: reason.into(),
    }
}

/// Groups `(name, time)` observations into [`Samples`] in the order of first appearance,
/// enforcing the limits.
pub(crate) struct Grouper<'a> {
    file: &'a str,
    limits: ReadLimits,
    index: HashMap<String, usize>,
    groups: Vec<(String, Vec<f64>)>,
}

impl<'a> Grouper<'a> {
    pub(crate) fn new(file: &'a str, limits: ReadLimits) -> Self {
        Grouper {
            file,
            limits,
            index: HashMap::new(),
            groups: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, name: &str, time_ns: f64, at: &str) -> Result<()> {
        if !(time_ns.is_finite() && time_ns > 0.0) {
            return Err(bench_error(
                self.file,
                Some(name),
                format!("{at}: time per iteration {time_ns} ns is not finite and positive"),
            ));
        }
        let k = match self.index.get(name) {
            Some(&k) => k,
            None => {
                if self.groups.len() >= self.limits.max_benchmarks {
                    return Err(Error::too_large(
                        format!("benchmarks in `{}`", crate::error::quote(self.file)),
                        self.limits.max_benchmarks as u64,
                        self.groups.len() as u64 + 1,
                    ));
                }
                self.index.insert(name.to_owned(), self.groups.len());
                self.groups.push((name.to_owned(), Vec::new()));
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[k].1;
        if g.len() >= self.limits.max_samples {
            return Err(Error::too_large(
                format!(
                    "samples of benchmark `{}` in `{}`",
                    crate::error::quote(name),
                    crate::error::quote(self.file)
                ),
                self.limits.max_samples as u64,
                g.len() as u64 + 1,
            ));
        }
        g.push(time_ns);
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<Vec<Samples>> {
        let file = self.file;
        self.groups
            .into_iter()
            .map(|(name, times)| {
                Samples::new(name.clone(), times)
                    .map_err(|e| bench_error(file, Some(&name), e.to_string()))
            })
            .collect()
    }
}

/// Options of [`compare`] (jiff style: `Default`, `new()`, by-value setters, validated when
/// used).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CompareOptions {
    margin: f64,
    alpha: f64,
    confidence: f64,
    correction: Correction,
    #[serde(default)]
    disturbed: Option<f64>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            margin: 0.02,
            alpha: 0.05,
            confidence: 0.95,
            correction: Correction::Holm,
            disturbed: None,
        }
    }
}

impl CompareOptions {
    /// Margin 2%, alpha 0.05 across the suite, 95% intervals, Holm's correction.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::bench::CompareOptions;
    /// let opts = CompareOptions::new().margin(0.05).alpha(0.01);
    /// assert_eq!(opts.get_margin(), 0.05);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// The practical margin `g >= 0`: a change counts only beyond `1 + g` (slower) or
    /// `1 / (1 + g)` (faster). Default 0.02.
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }
    /// The suite-wide level of the corrected tests, in (0, 1). Default 0.05.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// The confidence of each ratio interval, in (0, 1). Default 0.95.
    pub fn confidence(mut self, confidence: f64) -> Self {
        self.confidence = confidence;
        self
    }
    /// The multiplicity correction across the suite. Default [`Correction::Holm`].
    pub fn correction(mut self, correction: Correction) -> Self {
        self.correction = correction;
        self
    }
    /// Leave out, on each side, the values more than `g` slower than that side's median
    /// (`t > (1 + g) * median`) before the tests: runs disturbed by the machine, for
    /// per-run values ([`Samples::per_run`]) on a machine where other tenants slow whole
    /// processes down. Default `None`: every value counts.
    ///
    /// Interference only ever slows a run down, so the rule is one-sided, and it is applied to
    /// each side against its own median, so a real change of the whole distribution moves the
    /// median with it and is not left out; the counts left out are reported
    /// ([`BenchmarkComparison::dropped_old`], [`BenchmarkComparison::dropped_new`]). What it
    /// cannot tell from interference is a real regression that slows only some runs by more
    /// than `g` (a bimodal change): compare without it when that matters. At least half of
    /// each side (the median and below) is always kept. On the development VM about a quarter
    /// of 0.5-second processes ran 10-90% slower than the rest; with `g = 0.10` the A/A
    /// simulation (`examples/bench_compare_simulation.rs`) finds a 5% slowdown in 20 runs a
    /// side where, with every run kept, the disturbed runs hide it.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::bench::{compare, CompareOptions, Samples};
    /// let old = Samples::new("b", vec![100.0, 101.0, 99.0, 100.5, 160.0])?;
    /// let new = Samples::new("b", vec![105.0, 104.5, 106.0, 105.5, 190.0])?;
    /// let s = compare(&[old], &[new], &CompareOptions::new().drop_disturbed(Some(0.10)))?;
    /// assert_eq!((s.benchmarks[0].dropped_old, s.benchmarks[0].dropped_new), (1, 1));
    /// assert_eq!(s.benchmarks[0].n_old, 4);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn drop_disturbed(mut self, g: Option<f64>) -> Self {
        self.disturbed = g;
        self
    }
    /// The disturbed-run threshold, if set.
    pub fn get_drop_disturbed(&self) -> Option<f64> {
        self.disturbed
    }
    /// The margin.
    pub fn get_margin(&self) -> f64 {
        self.margin
    }
    /// The level.
    pub fn get_alpha(&self) -> f64 {
        self.alpha
    }
    /// The interval confidence.
    pub fn get_confidence(&self) -> f64 {
        self.confidence
    }
    /// The correction.
    pub fn get_correction(&self) -> Correction {
        self.correction
    }
}

/// The verdict on one benchmark (see the [module docs](self) for the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Verdict {
    /// Significantly faster, the whole interval beyond the margin.
    #[serde(rename = "faster")]
    Faster,
    /// Significantly slower, the whole interval beyond the margin: a regression.
    #[serde(rename = "slower")]
    Slower,
    /// No change beyond the margin could be shown.
    #[serde(rename = "no change")]
    NoChange,
    /// Too few samples for any change to reach the corrected level.
    #[serde(rename = "too few samples")]
    TooFewSamples,
}

impl Verdict {
    /// The verdict as printed in the table and the JSON.
    ///
    /// # Example
    /// ```
    /// assert_eq!(canary_analysis::bench::Verdict::NoChange.as_str(), "no change");
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::NoChange => "no change",
            Verdict::TooFewSamples => "too few samples",
        }
    }
}

/// The comparison of one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkComparison {
    /// The benchmark's name.
    pub name: String,
    /// Number of old samples compared (after [`CompareOptions::drop_disturbed`]).
    pub n_old: usize,
    /// Number of new samples compared.
    pub n_new: usize,
    /// Old values left out as disturbed ([`CompareOptions::drop_disturbed`]; 0 without it).
    #[serde(default)]
    pub dropped_old: usize,
    /// New values left out as disturbed.
    #[serde(default)]
    pub dropped_new: usize,
    /// Median of the old times, ns.
    pub old_median_ns: f64,
    /// Median of the new times, ns.
    pub new_median_ns: f64,
    /// Hodges-Lehmann ratio new / old (`exp` of the shift of the log times).
    pub ratio: f64,
    /// Lower end of the ratio interval.
    pub ratio_lower: f64,
    /// Upper end of the ratio interval.
    pub ratio_upper: f64,
    /// Two-sided Mann-Whitney p-value (1 when every observation is tied).
    pub p_value: f64,
    /// The p-value adjusted across the suite.
    pub adjusted_p: f64,
    /// The method of the test: exact or asymptotic (`None` when every observation is tied).
    pub method: Option<Method>,
    /// Whether the adjusted p-value is `<= alpha`, whatever the margin.
    pub significant: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// For [`Verdict::TooFewSamples`], the smallest equal number of samples a side that could
    /// reach the corrected level.
    pub samples_needed: Option<usize>,
}

/// The comparison of a suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteComparison {
    /// The margin used.
    pub margin: f64,
    /// The suite-wide level.
    pub alpha: f64,
    /// The interval confidence.
    pub confidence: f64,
    /// The correction.
    pub correction: Correction,
    /// The family size `m`: benchmarks present on both sides.
    pub family_size: usize,
    /// The benchmarks present on both sides, in the order of the old suite.
    pub benchmarks: Vec<BenchmarkComparison>,
    /// Benchmarks only in the old suite (not compared).
    pub only_old: Vec<String>,
    /// Benchmarks only in the new suite (not compared).
    pub only_new: Vec<String>,
}

impl SuiteComparison {
    /// Whether any benchmark is [`Verdict::Slower`] (a regression beyond the margin).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::bench::{compare, CompareOptions, Samples};
    /// let s = Samples::new("a", vec![1.0, 2.0, 3.0, 4.0, 5.0])?;
    /// let suite = compare(&[s.clone()], &[s], &CompareOptions::new())?;
    /// assert!(!suite.has_regression());
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn has_regression(&self) -> bool {
        self.regressions().next().is_some()
    }

    /// The benchmarks that regressed.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::bench::{compare, CompareOptions, Samples};
    /// let s = Samples::new("a", vec![1.0, 2.0, 3.0, 4.0, 5.0])?;
    /// let suite = compare(&[s.clone()], &[s], &CompareOptions::new())?;
    /// assert_eq!(suite.regressions().count(), 0);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn regressions(&self) -> impl Iterator<Item = &BenchmarkComparison> {
        self.benchmarks
            .iter()
            .filter(|b| b.verdict == Verdict::Slower)
    }
}

/// The smallest two-sided exact Mann-Whitney p-value with `a` and `b` samples,
/// `min(1, 2 / C(a + b, a))` (complete separation).
///
/// # Example
/// ```
/// use canary_analysis::bench::min_two_sided_p;
/// assert!((min_two_sided_p(4, 4) - 2.0 / 70.0).abs() < 1e-15);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn min_two_sided_p(a: usize, b: usize) -> f64 {
    let (small, large) = (a.min(b), a.max(b));
    let mut c = 1.0f64;
    for i in 1..=small {
        c = c * (large + i) as f64 / i as f64;
        if c > 1e300 {
            return 0.0;
        }
    }
    (2.0 / c).min(1.0)
}

/// The smallest equal `n` with `2 / C(2n, n) <= level` (`level` in (0, 1); capped at 10 000).
///
/// # Example
/// ```
/// use canary_analysis::bench::samples_needed;
/// assert_eq!(samples_needed(0.05), 4); // benchstat's minimum
/// assert_eq!(samples_needed(0.05 / 50.0), 7);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn samples_needed(level: f64) -> usize {
    let mut n = 1;
    while min_two_sided_p(n, n) > level && n < 10_000 {
        n += 1;
    }
    n
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

/// Compares a new suite against an old one (baseline first, canary second); see the
/// [module docs](self) for every definition.
///
/// Benchmarks are matched by name; those on one side only are listed in
/// [`SuiteComparison::only_old`] / [`SuiteComparison::only_new`].
///
/// # Errors
/// - [`Error::InvalidParameter`] for a negative or non-finite margin, an `alpha` or confidence
///   outside (0, 1), or a benchmark name that appears twice on one side.
/// - [`Error::InvalidSample`] if no benchmark is present on both sides.
///
/// # Example
/// ```
/// use canary_analysis::bench::{compare, CompareOptions, Samples, Verdict};
/// let old = Samples::new("a", vec![10.0, 11.0, 12.0])?;
/// let new = Samples::new("a", vec![20.0, 21.0, 22.0])?;
/// let suite = compare(&[old], &[new], &CompareOptions::new())?;
/// let b = &suite.benchmarks[0];
/// assert_eq!(b.verdict, Verdict::TooFewSamples);
/// assert_eq!(b.samples_needed, Some(4));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn compare(old: &[Samples], new: &[Samples], opts: &CompareOptions) -> Result<SuiteComparison> {
    if !(opts.margin.is_finite() && opts.margin >= 0.0) {
        return Err(Error::param(
            "margin",
            opts.margin,
            "must be finite and >= 0",
        ));
    }
    crate::stats::check_confidence(opts.confidence)?;
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(Error::param(
            "alpha",
            opts.alpha,
            "must lie strictly between 0 and 1",
        ));
    }
    if let Some(g) = opts.disturbed
        && !(g.is_finite() && g >= 0.0)
    {
        return Err(Error::param("drop_disturbed", g, "must be finite and >= 0"));
    }
    let index = |side: &str, s: &[Samples]| -> Result<HashMap<String, usize>> {
        let mut m = HashMap::with_capacity(s.len());
        for (i, b) in s.iter().enumerate() {
            if m.insert(b.name.clone(), i).is_some() {
                return Err(Error::param(
                    side,
                    crate::error::quote(&b.name),
                    "a benchmark name appears twice",
                ));
            }
        }
        Ok(m)
    };
    let old_ix = index("old", old)?;
    let new_ix = index("new", new)?;
    let pairs: Vec<(&Samples, &Samples)> = old
        .iter()
        .filter_map(|o| new_ix.get(&o.name).map(|&j| (o, &new[j])))
        .collect();
    let only_old = old
        .iter()
        .filter(|o| !new_ix.contains_key(&o.name))
        .map(|o| o.name.clone())
        .collect();
    let only_new = new
        .iter()
        .filter(|n| !old_ix.contains_key(&n.name))
        .map(|n| n.name.clone())
        .collect();
    if pairs.is_empty() {
        return Err(Error::sample(
            "suite",
            "no benchmark is present in both the old and the new results",
        ));
    }
    let m = pairs.len();
    let level = opts.alpha / m as f64;
    let hl_opts = HodgesLehmannOptions::new().confidence(opts.confidence);
    let mw_opts = MannWhitneyOptions::new();
    let mut rows = Vec::with_capacity(m);
    for (o, n) in &pairs {
        let (ot, dropped_old) = undisturbed(&o.times_ns, opts.disturbed);
        let (nt, dropped_new) = undisturbed(&n.times_ns, opts.disturbed);
        let lo: Vec<f64> = ot.iter().map(|t| t.ln()).collect();
        let ln: Vec<f64> = nt.iter().map(|t| t.ln()).collect();
        // The test on the times themselves: `ln` could merge two distinct close times.
        let (p_value, method) = match mann_whitney(&ot, &nt, &mw_opts) {
            Ok(r) => (r.p_value, Some(r.method)),
            Err(Error::Degenerate { .. }) => (1.0, None),
            Err(e) => return Err(e),
        };
        let (ratio, ratio_lower, ratio_upper) = match hodges_lehmann(&lo, &ln, &hl_opts) {
            Ok(r) => (r.estimate.exp(), r.lower.exp(), r.upper.exp()),
            Err(Error::Degenerate { .. }) => {
                // Only when both samples are constant: the shift is then known exactly.
                let d = ln[0] - lo[0];
                (d.exp(), d.exp(), d.exp())
            }
            Err(e) => return Err(e),
        };
        let mut so = ot.to_vec();
        so.sort_unstable_by(f64::total_cmp);
        let mut sn = nt.to_vec();
        sn.sort_unstable_by(f64::total_cmp);
        let too_few = min_two_sided_p(ot.len(), nt.len()) > level;
        rows.push(BenchmarkComparison {
            name: o.name.clone(),
            n_old: ot.len(),
            n_new: nt.len(),
            dropped_old,
            dropped_new,
            old_median_ns: median(&so),
            new_median_ns: median(&sn),
            ratio,
            ratio_lower,
            ratio_upper,
            p_value,
            adjusted_p: f64::NAN,
            method,
            significant: false,
            verdict: Verdict::NoChange,
            samples_needed: too_few.then(|| samples_needed(level)),
        });
    }
    let p: Vec<f64> = rows.iter().map(|r| r.p_value).collect();
    let adj = adjust(
        &p,
        &MultiplicityOptions::new()
            .correction(opts.correction)
            .alpha(opts.alpha),
    )?;
    let up = 1.0 + opts.margin;
    let down = 1.0 / up;
    for (k, r) in rows.iter_mut().enumerate() {
        r.adjusted_p = adj.adjusted[k];
        r.significant = adj.rejected[k];
        r.verdict = if r.samples_needed.is_some() {
            Verdict::TooFewSamples
        } else if r.significant && r.ratio_lower > up {
            Verdict::Slower
        } else if r.significant && r.ratio_upper < down {
            Verdict::Faster
        } else {
            Verdict::NoChange
        };
    }
    Ok(SuiteComparison {
        margin: opts.margin,
        alpha: opts.alpha,
        confidence: opts.confidence,
        correction: opts.correction,
        family_size: m,
        benchmarks: rows,
        only_old,
        only_new,
    })
}

/// The values not more than `g` above their median (all of them, borrowed, without `g`; sorted
/// with it: the tests do not depend on order), and how many were left out.
fn undisturbed(t: &[f64], g: Option<f64>) -> (Cow<'_, [f64]>, usize) {
    let Some(g) = g else {
        return (Cow::Borrowed(t), 0);
    };
    let mut s = t.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    let limit = median(&s) * (1.0 + g);
    s.truncate(s.partition_point(|&x| x <= limit));
    let dropped = t.len() - s.len();
    (Cow::Owned(s), dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disturbed_values_are_left_out_per_side_against_its_own_median() {
        // A real 30% regression of every run moves the new median with it: nothing dropped.
        let old: Vec<f64> = (0..20).map(|i| 100.0 + i as f64 * 0.2).collect();
        let new: Vec<f64> = old.iter().map(|t| t * 1.3).collect();
        let opts = CompareOptions::new().drop_disturbed(Some(0.10));
        let s = compare(
            &[Samples::new("b", old.clone()).unwrap()],
            &[Samples::new("b", new).unwrap()],
            &opts,
        )
        .unwrap();
        let b = &s.benchmarks[0];
        assert_eq!((b.dropped_old, b.dropped_new), (0, 0));
        assert_eq!(b.verdict, Verdict::Slower);
        // Disturbed runs (50% slower) on the new side only are left out: no regression.
        let mut dist = old.clone();
        for t in dist.iter_mut().take(6) {
            *t *= 1.5;
        }
        let s = compare(
            &[Samples::new("b", old.clone()).unwrap()],
            &[Samples::new("b", dist.clone()).unwrap()],
            &opts,
        )
        .unwrap();
        assert_eq!(s.benchmarks[0].dropped_new, 6);
        assert_eq!(s.benchmarks[0].verdict, Verdict::NoChange);
        // Without the option they count, and the comparison sees the slower runs.
        let s = compare(
            &[Samples::new("b", old).unwrap()],
            &[Samples::new("b", dist).unwrap()],
            &CompareOptions::new(),
        )
        .unwrap();
        assert_eq!(s.benchmarks[0].dropped_new, 0);
        assert_eq!(s.benchmarks[0].n_new, 20);
        assert!(
            compare(
                &[Samples::new("b", vec![1.0]).unwrap()],
                &[Samples::new("b", vec![1.0]).unwrap()],
                &CompareOptions::new().drop_disturbed(Some(-1.0))
            )
            .is_err()
        );
    }

    #[test]
    fn samples_needed_matches_complete_separation() {
        // C(8,4) = 70: 2/70 = 0.0286 <= 0.05; C(6,3) = 20: 0.1 > 0.05.
        assert_eq!(samples_needed(0.05), 4);
        // alpha / 50 = 0.001: C(14,7) = 3432 -> 5.8e-4; C(12,6) = 924 -> 2.2e-3.
        assert_eq!(samples_needed(0.001), 7);
        assert_eq!(min_two_sided_p(1, 1), 1.0);
        assert!((min_two_sided_p(3, 20) - 2.0 / 1771.0).abs() < 1e-15);
    }

    #[test]
    fn constant_samples_give_the_exact_ratio() {
        let o = Samples::new("c", vec![100.0; 10]).unwrap();
        let n = Samples::new("c", vec![110.0; 10]).unwrap();
        let s = compare(std::slice::from_ref(&o), &[n], &CompareOptions::new()).unwrap();
        let b = &s.benchmarks[0];
        assert!((b.ratio - 1.1).abs() < 1e-12 && (b.ratio_lower - 1.1).abs() < 1e-12);
        assert_eq!(b.verdict, Verdict::Slower);
        let s = compare(
            std::slice::from_ref(&o),
            std::slice::from_ref(&o),
            &CompareOptions::new(),
        )
        .unwrap();
        assert_eq!(s.benchmarks[0].p_value, 1.0);
        assert_eq!(s.benchmarks[0].verdict, Verdict::NoChange);
    }

    #[test]
    fn duplicate_names_and_bad_options_are_refused() {
        let a = Samples::new("a", vec![1.0, 2.0]).unwrap();
        assert!(
            compare(
                &[a.clone(), a.clone()],
                std::slice::from_ref(&a),
                &CompareOptions::new()
            )
            .is_err()
        );
        assert!(
            compare(
                std::slice::from_ref(&a),
                std::slice::from_ref(&a),
                &CompareOptions::new().margin(-0.1)
            )
            .is_err()
        );
        assert!(
            compare(
                std::slice::from_ref(&a),
                std::slice::from_ref(&a),
                &CompareOptions::new().alpha(1.0)
            )
            .is_err()
        );
        let b = Samples::new("b", vec![1.0, 2.0]).unwrap();
        assert!(compare(&[a], &[b], &CompareOptions::new()).is_err());
    }

    #[test]
    fn within_margin_shift_is_significant_but_no_change() {
        let old: Vec<f64> = (0..30).map(|i| 1000.0 + i as f64 * 0.1).collect();
        let new: Vec<f64> = old.iter().map(|t| t * 1.01).collect();
        let s = compare(
            &[Samples::new("x", old).unwrap()],
            &[Samples::new("x", new).unwrap()],
            &CompareOptions::new(),
        )
        .unwrap();
        let b = &s.benchmarks[0];
        assert!(b.significant);
        assert_eq!(b.verdict, Verdict::NoChange);
        assert!(b.ratio > 1.005 && b.ratio < 1.015);
    }
}
