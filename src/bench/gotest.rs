//! Reader of `go test -bench` text output (benchstat's input), e.g. with `-count=20`.
//!
//! A result line is `BenchmarkName[-P]  N  value unit  [value unit ...]` (fields separated by
//! white space): the name starts with `Benchmark`, `N` is the iteration count (an integer), and
//! the `ns/op` value is the sample, in nanoseconds per iteration. As in benchstat, a line that
//! starts with `Benchmark` but whose second field is not an integer (a benchmark's own log
//! output, or the bare name `go test -v` prints) is not a result and is ignored, as are all
//! other lines (`goos:`, `pkg:`, `PASS`, `ok ...`). The benchmark's name is the first field
//! without the `Benchmark` prefix, keeping the `-P` GOMAXPROCS suffix (`Sort/n=10-8`), as
//! benchstat prints it. A result line with an odd number of value/unit fields, a value that
//! is not a number, or no `ns/op` is an error naming the line and the benchmark.

use super::{Grouper, ReadLimits, Samples, bench_error};
use crate::error::Result;

/// Reads `go test -bench` output into one [`Samples`] per benchmark, in order of first
/// appearance.
///
/// # Errors
/// [`Error::Bench`](crate::Error::Bench) naming the file, the line and the benchmark for a
/// malformed result line, a non-positive `ns/op`, or a document with no result lines;
/// [`Error::TooLarge`](crate::Error::TooLarge) beyond the [`ReadLimits`].
///
/// # Example
/// ```
/// use canary_analysis::bench::{gotest::read_go_bench, ReadLimits};
/// let text = "goos: linux\npkg: example.com/x\n\
///     BenchmarkSort/n=10-8   1000000   1234 ns/op   16 B/op   1 allocs/op\n\
///     BenchmarkSort/n=10-8   1000000   1250 ns/op   16 B/op   1 allocs/op\n\
///     PASS\nok  example.com/x  2.5s\n";
/// let suite = read_go_bench("old.txt", text, &ReadLimits::new())?;
/// assert_eq!(suite[0].name(), "Sort/n=10-8");
/// assert_eq!(suite[0].times_ns(), &[1234.0, 1250.0]);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_go_bench(file: &str, text: &str, limits: &ReadLimits) -> Result<Vec<Samples>> {
    limits.check_bytes(text.len())?;
    let mut g = Grouper::new(file, *limits);
    for (k, line) in text.lines().enumerate() {
        let lineno = k + 1;
        let Some(rest) = line.strip_prefix("Benchmark") else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let Some(name) = fields.next() else { continue };
        let Some(iters) = fields.next() else { continue };
        if iters.parse::<u64>().is_err() {
            continue;
        }
        let mut ns_per_op = None;
        while let Some(value) = fields.next() {
            let Some(unit) = fields.next() else {
                return Err(bench_error(
                    file,
                    Some(name),
                    format!(
                        "line {lineno}: value {:?} has no unit",
                        crate::error::quote(value)
                    ),
                ));
            };
            let v: f64 = value.parse().map_err(|_| {
                bench_error(
                    file,
                    Some(name),
                    format!(
                        "line {lineno}: {:?} is not a number (unit {:?})",
                        crate::error::quote(value),
                        crate::error::quote(unit)
                    ),
                )
            })?;
            if unit == "ns/op" {
                ns_per_op = Some(v);
            }
        }
        let Some(v) = ns_per_op else {
            return Err(bench_error(
                file,
                Some(name),
                format!("line {lineno}: no ns/op value"),
            ));
        };
        g.push(name, v, &format!("line {lineno}"))?;
    }
    let out = g.finish()?;
    if out.is_empty() {
        return Err(bench_error(
            file,
            None,
            "no `go test -bench` result lines (BenchmarkName N value ns/op)",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn malformed_lines_are_named() {
        let l = ReadLimits::new();
        let e = read_go_bench("a.txt", "BenchmarkX-2 10 12 ns/op 5\n", &l).unwrap_err();
        assert!(
            matches!(&e, Error::Bench { benchmark: Some(b), .. } if b == "X-2"),
            "{e}"
        );
        assert!(e.to_string().contains("line 1"), "{e}");
        let e = read_go_bench("a.txt", "x\nBenchmarkX-2 10 1e ns/op\n", &l).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = read_go_bench("a.txt", "BenchmarkX-2 10 5 B/op\n", &l).unwrap_err();
        assert!(e.to_string().contains("ns/op"), "{e}");
        let e = read_go_bench("a.txt", "BenchmarkX-2 10 0 ns/op\n", &l).unwrap_err();
        assert!(e.to_string().contains("positive"), "{e}");
        let e = read_go_bench("a.txt", "PASS\n", &l).unwrap_err();
        assert!(e.to_string().contains("a.txt"), "{e}");
        // Log lines and the bare -v name are not results.
        let ok = read_go_bench(
            "a.txt",
            "BenchmarkX\nBenchmarkX-2 logging something\nBenchmarkX-2 10 5 ns/op\n",
            &l,
        )
        .unwrap();
        assert_eq!(ok[0].times_ns(), &[5.0]);
        let few = ReadLimits::new().max_benchmarks(1);
        let e = read_go_bench(
            "a.txt",
            "BenchmarkX 1 5 ns/op\nBenchmarkY 1 5 ns/op\n",
            &few,
        )
        .unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }));
    }
}
