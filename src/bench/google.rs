//! Reader of Google Benchmark JSON (`--benchmark_out=FILE --benchmark_out_format=json`, with
//! `--benchmark_repetitions=N`).
//!
//! Every entry of `benchmarks` with `run_type: "iteration"` (or no `run_type`, as in old
//! versions) is one sample of the benchmark named by its `run_name` (else `name`); its
//! `real_time` (wall-clock time per iteration, the time `compare.py` tests first) is converted
//! from `time_unit` (`ns`, `us`, `ms`, `s`; default `ns`) to nanoseconds. Aggregates are
//! skipped: entries with `run_type: "aggregate"`, and, without `run_type`, names ending in
//! `_mean`, `_median`, `_stddev` or `_cv`. An entry with `error_occurred: true` is an error
//! naming the benchmark (its time is meaningless). A file holding only aggregates
//! (`--benchmark_report_aggregates_only`) is an error saying so.

use serde::Deserialize;

use super::{Grouper, ReadLimits, Samples, bench_error};
use crate::error::Result;

#[derive(Deserialize)]
struct File {
    benchmarks: Vec<Run>,
}

#[derive(Deserialize)]
struct Run {
    name: String,
    run_name: Option<String>,
    run_type: Option<String>,
    aggregate_name: Option<String>,
    real_time: Option<f64>,
    time_unit: Option<String>,
    error_occurred: Option<bool>,
    error_message: Option<String>,
}

const AGGREGATE_SUFFIXES: [&str; 4] = ["_mean", "_median", "_stddev", "_cv"];

/// Reads a Google Benchmark JSON document into one [`Samples`] per benchmark, in order of first
/// appearance.
///
/// # Errors
/// [`Error::Bench`](crate::Error::Bench) naming the file (and the benchmark where known) for
/// malformed JSON, an unknown `time_unit`, a missing or non-positive `real_time`, an entry that
/// reports an error, or a document with no iteration entries;
/// [`Error::TooLarge`](crate::Error::TooLarge) beyond the [`ReadLimits`].
///
/// # Example
/// ```
/// use canary_analysis::bench::{google::read_google_benchmark, ReadLimits};
/// let json = r#"{"context": {}, "benchmarks": [
///   {"name": "BM_Sort/8", "run_name": "BM_Sort/8", "run_type": "iteration",
///    "repetitions": 2, "repetition_index": 0, "iterations": 1000, "real_time": 1.5,
///    "cpu_time": 1.5, "time_unit": "us"},
///   {"name": "BM_Sort/8", "run_name": "BM_Sort/8", "run_type": "iteration",
///    "repetitions": 2, "repetition_index": 1, "iterations": 1000, "real_time": 1.6,
///    "cpu_time": 1.6, "time_unit": "us"},
///   {"name": "BM_Sort/8_mean", "run_name": "BM_Sort/8", "run_type": "aggregate",
///    "aggregate_name": "mean", "iterations": 2, "real_time": 1.55, "time_unit": "us"}]}"#;
/// let suite = read_google_benchmark("out.json", json, &ReadLimits::new())?;
/// assert_eq!(suite.len(), 1);
/// assert_eq!(suite[0].name(), "BM_Sort/8");
/// assert_eq!(suite[0].times_ns(), &[1500.0, 1600.0]);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_google_benchmark(file: &str, json: &str, limits: &ReadLimits) -> Result<Vec<Samples>> {
    limits.check_bytes(json.len())?;
    let doc: File = serde_json::from_str(json).map_err(|e| {
        bench_error(
            file,
            None,
            format!(
                "not Google Benchmark JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut g = Grouper::new(file, *limits);
    let mut aggregates = 0usize;
    for (i, run) in doc.benchmarks.iter().enumerate() {
        let is_aggregate = match run.run_type.as_deref() {
            Some("aggregate") => true,
            Some(_) => false,
            None => {
                run.aggregate_name.is_some()
                    || AGGREGATE_SUFFIXES.iter().any(|s| run.name.ends_with(s))
            }
        };
        if is_aggregate {
            aggregates += 1;
            continue;
        }
        let name = run.run_name.as_deref().unwrap_or(&run.name);
        if run.error_occurred == Some(true) {
            return Err(bench_error(
                file,
                Some(name),
                format!(
                    "$.benchmarks[{i}] reports an error: {}",
                    crate::error::quote(run.error_message.as_deref().unwrap_or("(no message)"))
                ),
            ));
        }
        let scale = match run.time_unit.as_deref().unwrap_or("ns") {
            "ns" => 1.0,
            "us" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            other => {
                return Err(bench_error(
                    file,
                    Some(name),
                    format!(
                        "$.benchmarks[{i}].time_unit = {:?}: expected ns, us, ms or s",
                        crate::error::quote(other)
                    ),
                ));
            }
        };
        let Some(t) = run.real_time else {
            return Err(bench_error(
                file,
                Some(name),
                format!("$.benchmarks[{i}] has no real_time"),
            ));
        };
        g.push(name, t * scale, &format!("$.benchmarks[{i}].real_time"))?;
    }
    let out = g.finish()?;
    if out.is_empty() {
        return Err(bench_error(
            file,
            None,
            if aggregates > 0 {
                "only aggregates (mean, median, ...) and no repetitions; rerun without \
                 --benchmark_report_aggregates_only"
            } else {
                "no benchmarks"
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn old_style_aggregates_are_skipped_and_errors_named() {
        let json = r#"{"benchmarks": [
            {"name": "BM_A", "real_time": 10, "time_unit": "ns"},
            {"name": "BM_A", "real_time": 12, "time_unit": "ns"},
            {"name": "BM_A_mean", "real_time": 11, "time_unit": "ns"},
            {"name": "BM_A_cv", "real_time": 0.1, "time_unit": "ns"}]}"#;
        let s = read_google_benchmark("f.json", json, &ReadLimits::new()).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].times_ns(), &[10.0, 12.0]);
        let bad = r#"{"benchmarks": [{"name": "BM_B", "real_time": 1, "time_unit": "days"}]}"#;
        let e = read_google_benchmark("f.json", bad, &ReadLimits::new()).unwrap_err();
        assert!(
            matches!(&e, Error::Bench { benchmark: Some(b), .. } if b == "BM_B"),
            "{e}"
        );
        let err = r#"{"benchmarks": [{"name": "BM_C", "error_occurred": true,
            "error_message": "boom", "real_time": 0}]}"#;
        let e = read_google_benchmark("f.json", err, &ReadLimits::new()).unwrap_err();
        assert!(e.to_string().contains("boom"), "{e}");
        let agg = r#"{"benchmarks": [{"name": "BM_A_mean", "run_name": "BM_A",
            "run_type": "aggregate", "real_time": 1}]}"#;
        let e = read_google_benchmark("f.json", agg, &ReadLimits::new()).unwrap_err();
        assert!(e.to_string().contains("aggregates_only"), "{e}");
        let e = read_google_benchmark("f.json", "[1,2]", &ReadLimits::new()).unwrap_err();
        assert!(e.to_string().contains("f.json"), "{e}");
        let neg = r#"{"benchmarks": [{"name": "BM_D", "real_time": -1}]}"#;
        assert!(read_google_benchmark("f.json", neg, &ReadLimits::new()).is_err());
    }
}
