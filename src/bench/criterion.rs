//! Reader of criterion's saved results: `target/criterion/<id>/<baseline>/{sample.json,
//! estimates.json, benchmark.json}`.
//!
//! - `sample.json`: `{"sampling_mode": ..., "iters": [f64], "times": [f64]}`, one entry per
//!   sample; `times[i]` is the total time in nanoseconds of `iters[i]` iterations, so the
//!   per-iteration time is `times[i] / iters[i]` ([`read_sample_json`]).
//! - `estimates.json`: criterion's bootstrap estimates (`mean`, `median`, `std_dev`,
//!   `median_abs_dev`, and `slope` for linear sampling), each with a `point_estimate` in
//!   nanoseconds ([`read_estimates_json`]); informational, the comparison uses the samples.
//! - `benchmark.json`: the benchmark's identity; `full_id` (e.g. `mann_whitney/exact/n=200`)
//!   names it ([`read_benchmark_json`]).
//!
//! Checked against files written by criterion 0.8.2 (the version this crate benches with; the
//! format is unchanged since criterion 0.3's `sample.json` with `iters`/`times` arrays, and
//! older 0.3 files also read). Directory walking and picking a baseline belong to the caller.

use serde::{Deserialize, Serialize};

use super::{ReadLimits, Samples, bench_error};
use crate::error::Result;

#[derive(Deserialize)]
struct SampleFile {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// Reads a criterion `sample.json` into the benchmark's per-iteration times (ns).
///
/// `file` labels the document in errors (usually its path), `benchmark` names the samples.
///
/// # Errors
/// [`Error::Bench`](crate::Error::Bench) naming the file and benchmark for malformed JSON,
/// arrays of different lengths, an empty sample, or an `iters` that is not positive or a
/// per-iteration time that is not finite and positive; [`Error::TooLarge`](crate::Error::TooLarge)
/// beyond the [`ReadLimits`].
///
/// # Example
/// ```
/// use canary_analysis::bench::{criterion::read_sample_json, ReadLimits};
/// let json = r#"{"sampling_mode":"Linear","iters":[10.0,20.0],"times":[1000.0,2100.0]}"#;
/// let s = read_sample_json("sample.json", "sort/n=10", json, &ReadLimits::new())?;
/// assert_eq!(s.name(), "sort/n=10");
/// assert_eq!(s.times_ns(), &[100.0, 105.0]);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_sample_json(
    file: &str,
    benchmark: &str,
    json: &str,
    limits: &ReadLimits,
) -> Result<Samples> {
    limits.check_bytes(json.len())?;
    let f: SampleFile = serde_json::from_str(json).map_err(|e| {
        bench_error(
            file,
            Some(benchmark),
            format!(
                "not a criterion sample.json (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    if f.iters.len() != f.times.len() {
        return Err(bench_error(
            file,
            Some(benchmark),
            format!(
                "{} iters but {} times; criterion writes one of each per sample",
                f.iters.len(),
                f.times.len()
            ),
        ));
    }
    if f.iters.len() > limits.get_max_samples() {
        return Err(crate::Error::too_large(
            format!("samples of benchmark `{}`", crate::error::quote(benchmark)),
            limits.get_max_samples() as u64,
            f.iters.len() as u64,
        ));
    }
    if f.iters.is_empty() {
        return Err(bench_error(file, Some(benchmark), "the sample is empty"));
    }
    let mut out = Vec::with_capacity(f.iters.len());
    for (i, (&n, &t)) in f.iters.iter().zip(&f.times).enumerate() {
        if !(n.is_finite() && n > 0.0) {
            return Err(bench_error(
                file,
                Some(benchmark),
                format!("$.iters[{i}] = {n}: an iteration count must be positive"),
            ));
        }
        let per = t / n;
        if !(per.is_finite() && per > 0.0) {
            return Err(bench_error(
                file,
                Some(benchmark),
                format!("$.times[{i}] = {t}: the time per iteration must be finite and positive"),
            ));
        }
        out.push(per);
    }
    Samples::new(benchmark, out).map_err(|e| bench_error(file, Some(benchmark), e.to_string()))
}

/// Criterion's point estimates from `estimates.json`, nanoseconds per iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionEstimates {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// Standard deviation.
    pub std_dev: f64,
    /// Median absolute deviation.
    pub median_abs_dev: f64,
    /// Slope of the linear regression of time on iterations (linear sampling only).
    pub slope: Option<f64>,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

#[derive(Deserialize)]
struct EstimatesFile {
    mean: Estimate,
    median: Estimate,
    std_dev: Estimate,
    median_abs_dev: Estimate,
    slope: Option<Estimate>,
}

/// Reads criterion's `estimates.json`.
///
/// # Errors
/// [`Error::Bench`](crate::Error::Bench) naming the file and benchmark for malformed JSON or a
/// missing estimate; [`Error::TooLarge`](crate::Error::TooLarge) beyond the byte limit.
///
/// # Example
/// ```
/// use canary_analysis::bench::{criterion::read_estimates_json, ReadLimits};
/// let e = |x: f64| format!(r#"{{"confidence_interval":{{"confidence_level":0.95,
///     "lower_bound":{x},"upper_bound":{x}}},"point_estimate":{x},"standard_error":0.0}}"#);
/// let json = format!(r#"{{"mean":{},"median":{},"median_abs_dev":{},"slope":null,"std_dev":{}}}"#,
///     e(105.0), e(104.0), e(1.0), e(2.0));
/// let est = read_estimates_json("estimates.json", "sort", &json, &ReadLimits::new())?;
/// assert_eq!((est.mean, est.median, est.slope), (105.0, 104.0, None));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_estimates_json(
    file: &str,
    benchmark: &str,
    json: &str,
    limits: &ReadLimits,
) -> Result<CriterionEstimates> {
    limits.check_bytes(json.len())?;
    let f: EstimatesFile = serde_json::from_str(json).map_err(|e| {
        bench_error(
            file,
            Some(benchmark),
            format!("not a criterion estimates.json: {e}"),
        )
    })?;
    Ok(CriterionEstimates {
        mean: f.mean.point_estimate,
        median: f.median.point_estimate,
        std_dev: f.std_dev.point_estimate,
        median_abs_dev: f.median_abs_dev.point_estimate,
        slope: f.slope.map(|s| s.point_estimate),
    })
}

#[derive(Deserialize)]
struct BenchmarkFile {
    full_id: String,
}

/// Reads the benchmark's name (`full_id`) from criterion's `benchmark.json`.
///
/// # Errors
/// [`Error::Bench`](crate::Error::Bench) naming the file for malformed JSON or a missing or
/// empty `full_id`; [`Error::TooLarge`](crate::Error::TooLarge) beyond the byte limit.
///
/// # Example
/// ```
/// use canary_analysis::bench::{criterion::read_benchmark_json, ReadLimits};
/// let json = r#"{"group_id":"sort","function_id":null,"value_str":"10","throughput":null,
///     "full_id":"sort/10","directory_name":"sort/10","title":"sort/10"}"#;
/// assert_eq!(read_benchmark_json("benchmark.json", json, &ReadLimits::new())?, "sort/10");
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_benchmark_json(file: &str, json: &str, limits: &ReadLimits) -> Result<String> {
    limits.check_bytes(json.len())?;
    let f: BenchmarkFile = serde_json::from_str(json)
        .map_err(|e| bench_error(file, None, format!("not a criterion benchmark.json: {e}")))?;
    if f.full_id.is_empty() {
        return Err(bench_error(file, None, "`full_id` is empty"));
    }
    Ok(f.full_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn errors_name_file_and_benchmark() {
        let l = ReadLimits::new();
        let e = read_sample_json("x/sample.json", "b/1", r#"{"iters":[1.0],"times":[]}"#, &l)
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("x/sample.json") && msg.contains("b/1"),
            "{msg}"
        );
        assert!(matches!(e, Error::Bench { .. }));
        let e = read_sample_json("f", "b", r#"{"iters":[0.0],"times":[5.0]}"#, &l).unwrap_err();
        assert!(e.to_string().contains("$.iters[0]"), "{e}");
        let e = read_sample_json("f", "b", "{", &l).unwrap_err();
        assert!(matches!(e, Error::Bench { .. }));
        let e = read_sample_json("f", "b", r#"{"iters":[],"times":[]}"#, &l).unwrap_err();
        assert!(e.to_string().contains("empty"));
        let small = ReadLimits::new().max_bytes(10);
        let e = read_sample_json("f", "b", r#"{"iters":[1.0],"times":[5.0]}"#, &small).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }));
        let few = ReadLimits::new().max_samples(1);
        let e = read_sample_json("f", "b", r#"{"iters":[1,1],"times":[5,6]}"#, &few).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }));
    }
}
