//! Issue 13, readers half: each hostile input found so far, as a regression test with a typed
//! error or the right answer within a stated time and memory bound (peak bytes allocated on the
//! test's thread, measured by a counting allocator).
mod ingest_common;

use std::fmt::Write;
use std::time::Duration;

use canary_analysis::metrics::csv::{CsvOptions, read_csv};
use canary_analysis::metrics::kayenta::read_metric_set_pairs;
use canary_analysis::metrics::ndarray::{clean_view, pair_from_views, series_from_view};
use canary_analysis::metrics::prometheus::{PrometheusOptions, read_query_range};
use canary_analysis::metrics::{GridLimits, NanPolicy, Timestamps};
use canary_analysis::{Error, Location};
use ingest_common::{MIB, measure};

fn series(labels: &str, values: &str) -> String {
    format!(r#"{{"metric":{{{labels}}},"values":[{values}]}}"#)
}

fn doc(series: &[String]) -> String {
    format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{}]}}}}"#,
        series.join(",")
    )
}

fn parse_location(r: Result<impl std::fmt::Debug, Error>) -> (Location, String) {
    match r {
        Err(Error::Parse {
            location, reason, ..
        }) => (location, reason),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

fn path(p: &str) -> Location {
    Location::JsonPath { path: p.to_owned() }
}

/// Two points at 0 s and 33554.431 s per series with `step_millis(1)`: each row is 2^25 steps.
/// The limit is on the total cells, so 4 series (438 bytes) are refused before allocating
/// (before: 1 GiB allocated; 32 series aborted).
#[test]
fn step_one_grid_is_limited_in_total_not_per_row() {
    let mut all = Vec::new();
    for (group, pod) in [
        ("baseline", "a"),
        ("baseline", "b"),
        ("canary", "c"),
        ("canary", "d"),
    ] {
        all.push(series(
            &format!(r#""__name__":"m","version":"{group}","pod":"{pod}""#),
            r#"[0,"1"],[33554.431,"2"]"#,
        ));
    }
    let body = doc(&all);
    assert!(body.len() < 500, "{}", body.len());
    let opts = PrometheusOptions::new()
        .instance_label("pod")
        .step_millis(1);
    let (r, peak, time) = measure(|| read_query_range(&body, &opts));
    assert!(
        matches!(r, Err(Error::TooLarge { requested, limit, .. })
            if requested == 4 << 25 && limit == GridLimits::new().limit(8)),
        "{r:?}"
    );
    assert!(peak < MIB, "peak {peak} bytes");
    assert!(time < Duration::from_secs(1), "{time:?}");
    // A host that raises the limit gets the grid (here one row per side, 2 x 2^25 cells).
    let one = doc(&all[1..3]);
    let big = opts.grid_limits(GridLimits::new().base_cells(1 << 26));
    let pairs = read_query_range(&one, &big).unwrap();
    assert_eq!(pairs[0].baseline().steps(), 1 << 25);
}

/// K instances with one point each at distinct times: the aligned grid would be K x K cells
/// (40,000 rows of CSV, under 1 MB, aborted at 6 GB before).
#[test]
fn one_point_per_instance_grid_is_refused_csv_and_prometheus() {
    const K: usize = 40_000;
    let mut csv = String::from("metric,group,timestamp,value,instance\n");
    for i in 0..K {
        writeln!(csv, "m,b,{i},1,{i}").unwrap();
    }
    csv.push_str("m,c,0,1,c\n");
    assert!(csv.len() < 1_000_000);
    let copts = CsvOptions::new().baseline("b").canary("c");
    let (r, peak, time) = measure(|| read_csv(&csv, &copts));
    assert!(
        matches!(r, Err(Error::TooLarge { requested, .. }) if requested >= (K * K) as u64),
        "{r:?}"
    );
    // Parsing structures only: a small multiple of the 0.6 MB input.
    assert!(peak < 32 * MIB, "peak {peak} bytes");
    assert!(time < Duration::from_secs(5), "{time:?}");

    let mut all: Vec<String> = (0..K)
        .map(|i| {
            series(
                &format!(r#""__name__":"m","version":"baseline","pod":"b{i}""#),
                &format!(r#"[{i},"1"]"#),
            )
        })
        .collect();
    all.push(series(
        r#""__name__":"m","version":"canary","pod":"c""#,
        r#"[0,"1"]"#,
    ));
    let body = doc(&all);
    let opts = PrometheusOptions::new().instance_label("pod");
    let (r, peak, time) = measure(|| read_query_range(&body, &opts));
    assert!(
        matches!(r, Err(Error::TooLarge { requested, .. }) if requested >= (K * K) as u64),
        "{r:?}"
    );
    assert!(
        peak < 64 * MIB,
        "peak {peak} bytes (input {} bytes)",
        body.len()
    );
    assert!(time < Duration::from_secs(5), "{time:?}");
}

/// 2 x 10^5 one-point series (before: more than 120 s in the linear duplicate check): read in
/// well under the bound, and a duplicate among them is still found, naming both series.
#[test]
fn many_series_duplicate_check_is_not_quadratic() {
    const N: usize = 200_000;
    let mut all: Vec<String> = (0..N)
        .map(|i| {
            let group = if i % 2 == 0 { "baseline" } else { "canary" };
            series(
                &format!(r#""version":"{group}","pod":"p{i}""#),
                r#"[1700000000,"1"]"#,
            )
        })
        .collect();
    let opts = PrometheusOptions::new().instance_label("pod").metric("m");
    let body = doc(&all);
    let (r, _, time) = measure(|| read_query_range(&body, &opts));
    let pairs = r.unwrap();
    assert_eq!(pairs[0].baseline().instances().len(), N / 2);
    assert!(time < Duration::from_secs(20), "{time:?}");
    all.push(series(
        r#""version":"canary","pod":"p7""#,
        r#"[1700000000,"1"]"#,
    ));
    let (loc, reason) = parse_location(read_query_range(&doc(&all), &opts));
    assert_eq!(loc, path(&format!("$.data.result[{N}].metric")));
    assert!(reason.contains("$.data.result[7]"), "{reason}");
}

/// Error messages quote at most a bounded excerpt of the input (before: a 200 MB label gave a
/// 200 MB message). 20 MB here keeps the test fast; nothing in the message grows with it.
#[test]
fn error_messages_are_bounded() {
    let huge = "x".repeat(20 << 20);
    let bound = 2_000;
    let check = |what: &str, e: Error| {
        let msg = e.to_string();
        assert!(msg.len() < bound, "{what}: {} bytes", msg.len());
        assert!(msg.contains("bytes in all"), "{what}: {msg}");
    };
    // A series without the group label, a huge label value.
    let body = doc(&[series(&format!(r#""__name__":"m","job":"{huge}""#), "")]);
    check(
        "missing group",
        read_query_range(&body, &PrometheusOptions::new()).unwrap_err(),
    );
    // A group value that is neither.
    let body = doc(&[series(&format!(r#""version":"{huge}""#), "")]);
    check(
        "bad group",
        read_query_range(&body, &PrometheusOptions::new()).unwrap_err(),
    );
    // A huge value string, in Prometheus (serde path) and Kayenta.
    let body = doc(&[series(
        r#""version":"baseline""#,
        &format!(r#"[1,"{huge}"]"#),
    )]);
    check(
        "prom value",
        read_query_range(&body, &PrometheusOptions::new()).unwrap_err(),
    );
    let k = format!(r#"[{{"name":"m","values":{{"control":["{huge}"]}}}}]"#);
    check("kayenta value", read_metric_set_pairs(&k).unwrap_err());
    // A huge key in a JSON path.
    let k = format!(r#"[{{"name":"m","tags":{{"{huge}":1}},"values":{{}}}}]"#);
    check("kayenta key", read_metric_set_pairs(&k).unwrap_err());
    // A huge type mismatch reported by serde_json itself.
    let k = format!(r#"[{{"name":"m","tags":"{huge}","values":{{}}}}]"#);
    check("serde message", read_metric_set_pairs(&k).unwrap_err());
    // CSV: a huge metric name with one group only, and a huge bad value.
    let csv = format!("metric,group,timestamp,value\n{huge},baseline,0,1\n");
    check("csv group", read_csv(&csv, &CsvOptions::new()).unwrap_err());
    let csv = format!("timestamp,baseline,canary\n0,{huge},1\n");
    check("csv value", read_csv(&csv, &CsvOptions::new()).unwrap_err());
}

/// A 10^7 x 0 view is checked before anything per row is allocated (before: 1.5 GB, then
/// "empty").
#[test]
fn empty_ndarray_views_allocate_nothing_per_row() {
    let m = ndarray::Array2::<f64>::zeros((10_000_000, 0));
    let (s, peak, time) = measure(|| series_from_view(m.view(), Timestamps::Unknown, None));
    let s = s.unwrap();
    assert!(s.is_empty() && s.instances().is_empty());
    assert!(peak < 4096, "peak {peak} bytes");
    assert!(time < Duration::from_millis(100), "{time:?}");
    let (p, peak, _) = measure(|| pair_from_views("m", m.view(), m.view(), Timestamps::Unknown));
    assert!(p.unwrap().baseline().is_empty());
    assert!(peak < 4096, "peak {peak} bytes");
    let (c, peak, _) = measure(|| clean_view("m", m.view(), NanPolicy::Remove));
    assert!(matches!(c, Err(Error::InvalidSample { .. })), "{c:?}");
    assert!(peak < 4096, "peak {peak} bytes");
}

/// 1e400 is an error naming its place in every reader (before: +inf in Prometheus and CSV,
/// then dropped as a gap, while Kayenta refused it). Spelled infinities stay values.
#[test]
fn out_of_range_literals_are_errors_in_every_reader() {
    let body = doc(&[
        series(r#""version":"baseline""#, r#"[0,"1"],[15,"1e400"]"#),
        series(r#""version":"canary""#, r#"[0,"+Inf"]"#),
    ]);
    let (loc, reason) = parse_location(read_query_range(&body, &PrometheusOptions::new()));
    assert_eq!(loc, path("$.data.result[0].values[1][1]"));
    assert!(reason.contains("beyond the range of f64"), "{reason}");
    let csv = "timestamp,baseline,canary\n0,1,2\n60,-1e400,3\n";
    let (loc, reason) = parse_location(read_csv(csv, &CsvOptions::new()));
    assert_eq!(loc, Location::LineColumn { line: 3, column: 4 });
    assert!(reason.contains("beyond the range of f64"), "{reason}");
    let k = r#"[{"name":"m","values":{"control":[1, 1e400],"experiment":[]}}]"#;
    let (loc, reason) = parse_location(read_metric_set_pairs(k));
    assert!(
        matches!(loc, Location::LineColumn { line: 1, .. }),
        "{loc:?}"
    );
    assert!(reason.contains("out of range"), "{reason}");
    // Explicit spellings are values in all three.
    let ok = "timestamp,baseline,canary\n0,Inf,-Infinity\n";
    let p = &read_csv(ok, &CsvOptions::new()).unwrap()[0];
    assert_eq!(p.baseline().instances()[0].values(), &[f64::INFINITY]);
}

/// Duplicate keys are errors naming the place, in every reader (before: last one wins).
#[test]
fn duplicate_keys_are_errors_in_every_reader() {
    let k = r#"[{"name":"m","tags":{"a":"1","a":"2"},"values":{}}]"#;
    let (loc, reason) = parse_location(read_metric_set_pairs(k));
    assert_eq!(loc, path("$[0].tags.a"));
    assert!(reason.contains("duplicate key `a`"), "{reason}");
    let k = r#"[{"name":"m","scopes":{"control":{},"control":{}},"values":{}}]"#;
    let (loc, _) = parse_location(read_metric_set_pairs(k));
    assert_eq!(loc, path("$[0].scopes.control"));
    // `version` twice in one metric object, in the canonical shape (fast path) and not.
    for ws in ["", " "] {
        let body = doc(&[
            series(
                &format!(r#""version":{ws}"baseline","version":"canary""#),
                r#"[0,"1"]"#,
            ),
            series(r#""version":"canary""#, r#"[0,"1"]"#),
        ]);
        let (loc, reason) = parse_location(read_query_range(&body, &PrometheusOptions::new()));
        assert_eq!(loc, path("$.data.result[0].metric.version"));
        assert!(reason.contains("duplicate key `version`"), "{reason}");
    }
    // CSV: a column named twice (case-insensitive), at its column.
    let csv = "timestamp,baseline,canary,Baseline\n0,1,2,3\n";
    let (loc, reason) = parse_location(read_csv(csv, &CsvOptions::new()));
    assert_eq!(
        loc,
        Location::LineColumn {
            line: 1,
            column: 27
        }
    );
    assert!(reason.contains("duplicate column"), "{reason}");
}
