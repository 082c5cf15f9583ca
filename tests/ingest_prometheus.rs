//! Prometheus `query_range` reader: the shipped fixture, pairing, alignment, and malformed
//! responses as a user would meet them.
use canary_analysis::metrics::prometheus::{
    PrometheusOptions, parse_query_range, read_query_range, read_query_range_reader,
    read_query_range_slice,
};
use canary_analysis::metrics::{CleanOptions, NanPolicy, Timestamps};
use canary_analysis::{Error, Location};

fn doc(series: &str) -> String {
    format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{series}]}}}}"#)
}

fn s(labels: &str, values: &str) -> String {
    format!(r#"{{"metric":{{{labels}}},"values":[{values}]}}"#)
}

fn err(body: &str, opts: &PrometheusOptions) -> (Location, String) {
    match read_query_range(body, opts) {
        Err(Error::Parse {
            format,
            location,
            reason,
        }) => {
            assert_eq!(format, "prometheus");
            (location, reason)
        }
        other => panic!("expected a parse error for {body}, got {other:?}"),
    }
}

fn path(p: &str) -> Location {
    Location::JsonPath { path: p.to_owned() }
}

#[test]
fn shipped_fixture_pairs_by_version_with_instances() {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metrics/prometheus/query_range.json"
    ))
    .unwrap();
    let opts = PrometheusOptions::new().instance_label("instance");
    let pairs = read_query_range_slice(&body, &opts).unwrap();
    assert_eq!(pairs.len(), 1);
    let p = &pairs[0];
    assert_eq!(p.metric(), "http_latency_ms");
    assert_eq!(p.tags().get("job").map(String::as_str), Some("checkout"));
    assert!(!p.tags().contains_key("version") && !p.tags().contains_key("instance"));
    assert_eq!(p.baseline().instances().len(), 2);
    assert_eq!(p.canary().instances().len(), 2);
    assert!(matches!(
        p.baseline().timestamps(),
        Timestamps::Regular {
            step_millis: 60_000,
            ..
        }
    ));
    // Missing steps in the response are explicit gaps, per instance.
    let gaps = p.baseline().gaps();
    assert_eq!(gaps.len(), 1);
    assert_eq!(
        (gaps[0].instance.as_str(), gaps[0].start_step, gaps[0].steps),
        ("baseline-1:8080", 10, 3)
    );
    let via_reader = read_query_range_reader(&body[..], &opts).unwrap();
    // NaN != NaN, so compare the debug renderings.
    assert_eq!(format!("{via_reader:?}"), format!("{pairs:?}"));
}

#[test]
fn special_values_and_alignment() {
    let body = doc(&[
        s(
            r#""__name__":"m","version":"baseline""#,
            r#"[10,"NaN"],[20,"+Inf"],[30,"-Inf"],[40,"1.5"]"#,
        ),
        s(
            r#""__name__":"m","version":"canary""#,
            r#"[20.5,"2"],[40,"3"]"#,
        ),
    ]
    .join(","));
    let p = &read_query_range(&body, &PrometheusOptions::new()).unwrap()[0];
    // Offsets 0, 10, 10.5, 20, 30 s from the earliest: gcd 0.5 s, 61 steps.
    assert_eq!(
        *p.baseline().timestamps(),
        Timestamps::Regular {
            start_millis: 10_000,
            step_millis: 500
        }
    );
    let b = &p.baseline().instances()[0].values();
    assert!(b[0].is_nan());
    assert_eq!(
        (b[20], b[40], b[60]),
        (f64::INFINITY, f64::NEG_INFINITY, 1.5)
    );
    assert_eq!(p.canary().instances()[0].values()[21], 2.0);
    let c = p
        .clean(&CleanOptions::new().policy(NanPolicy::Remove))
        .unwrap();
    assert_eq!(c.baseline().expect("data").values(), &[1.5]);
    // Every non-finite cell of the 61-step grid but the one value is removed; 2 were infinite.
    assert_eq!(
        (c.record().baseline.removed, c.record().baseline.infinite),
        (60, 2)
    );
    assert_eq!(c.record().policy, NanPolicy::Remove);
    // With the query's step given, it is used.
    let opts = PrometheusOptions::new().step_millis(500);
    let q = &read_query_range(&body, &opts).unwrap()[0];
    assert_eq!(format!("{:?}", q.baseline()), format!("{:?}", p.baseline()));
}

#[test]
fn custom_group_label_and_unnamed_metric() {
    let body = doc(&[
        s(r#""deployment":"v1","pod":"a""#, r#"[1,"1"]"#),
        s(r#""deployment":"v1","pod":"b""#, r#"[1,"2"]"#),
        s(r#""deployment":"v2","pod":"c""#, r#"[1,"3"]"#),
    ]
    .join(","));
    let opts = PrometheusOptions::new()
        .group_label("deployment")
        .baseline("v1")
        .canary("v2")
        .instance_label("pod")
        .metric("rate_5m");
    let p = &read_query_range(&body, &opts).unwrap()[0];
    assert_eq!(p.selector(), "rate_5m");
    assert_eq!(p.baseline().instances().len(), 2);
    assert_eq!(p.canary().instances()[0].id(), "c");
}

#[test]
fn error_response_is_typed() {
    let body = r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected character"}"#;
    match read_query_range(body, &PrometheusOptions::new()) {
        Err(Error::Upstream {
            system,
            kind,
            message,
        }) => {
            assert_eq!((system, kind.as_str()), ("prometheus", "bad_data"));
            assert!(message.contains("parse error"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn vector_result_type_is_explained() {
    let body = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]}}"#;
    let (loc, reason) = err(body, &PrometheusOptions::new());
    assert_eq!(loc, path("$.data.resultType"));
    assert!(reason.contains("query_range"), "{reason}");
}

#[test]
fn empty_truncated_and_trailing() {
    let o = PrometheusOptions::new();
    for body in ["", "  "] {
        let (loc, reason) = err(body, &o);
        assert!(matches!(loc, Location::LineColumn { .. }), "{loc:?}");
        assert!(reason.contains("EOF"), "{reason}");
    }
    let full = doc(&s(r#""version":"baseline""#, r#"[1,"1"],[2,"2"]"#));
    for cut in [1, 10, 40, full.len() / 2, full.len() - 1] {
        let (loc, _) = err(&full[..cut], &o);
        assert!(
            matches!(loc, Location::LineColumn { line: 1, .. }),
            "cut {cut}: {loc:?}"
        );
    }
    let (loc, reason) = err(&format!("{full}\n]"), &o);
    assert_eq!(loc, Location::LineColumn { line: 2, column: 1 });
    assert!(reason.contains("trailing"), "{reason}");
    assert!(read_query_range(&doc(""), &o).unwrap().is_empty());
}

#[test]
fn wrong_types_name_the_point() {
    let o = PrometheusOptions::new();
    let b = |v: &str| doc(&s(r#""version":"baseline""#, v));
    let (loc, reason) = err(&b(r#"[1,"1"],[2,{"v":1}]"#), &o);
    assert_eq!(loc, path("$.data.result[0].values[1][1]"));
    assert!(reason.contains("value string"), "{reason}");
    let (loc, reason) = err(&b(r#"[1,"1"],[2,"fast"]"#), &o);
    assert_eq!(loc, path("$.data.result[0].values[1][1]"));
    assert!(reason.contains("\"fast\""), "{reason}");
    let (loc, _) = err(&b(r#"["1","1"]"#), &o);
    assert_eq!(loc, path("$.data.result[0].values[0][0]"));
    let (loc, reason) = err(&b(r#"[1,"1",3]"#), &o);
    assert_eq!(loc, path("$.data.result[0].values[0]"));
    assert!(reason.contains("invalid length"), "{reason}");
    let (loc, _) = err(&b(r#"[1]"#), &o);
    assert_eq!(loc, path("$.data.result[0].values[0]"));
    let (loc, _) = err(&doc(r#"{"metric":{"version":7},"values":[]}"#), &o);
    assert_eq!(loc, path("$.data.result[0].metric.version"));
    let (loc, _) = err(r#"{"status":"success","data":{"resultType":"matrix"}}"#, &o);
    assert_eq!(loc, path("$.data"));
    let (loc, reason) = err(r#"{"data":{"resultType":"matrix","result":[]}}"#, &o);
    assert_eq!(loc, path("$"));
    assert!(reason.contains("status"), "{reason}");
    let (loc, _) = err(
        &doc(r#"{"metric":{"version":"baseline"},"histograms":[[1,{"count":"1"}]]}"#),
        &o,
    );
    assert_eq!(loc, path("$.data.result[0].histograms"));
    let (loc, _) = err(&b(r#"[1e300,"1"]"#), &o);
    assert_eq!(loc, path("$.data.result[0].values[0][0]"));
}

#[test]
fn duplicate_and_decreasing_timestamps() {
    let o = PrometheusOptions::new();
    let b = |v: &str| doc(&s(r#""version":"baseline""#, v));
    let (loc, reason) = err(&b(r#"[1,"1"],[2,"1"],[2,"1"]"#), &o);
    assert_eq!(loc, path("$.data.result[0].values[2][0]"));
    assert!(reason.contains("duplicate"), "{reason}");
    let (loc, reason) = err(&b(r#"[1,"1"],[3,"1"],[2,"1"]"#), &o);
    assert_eq!(loc, path("$.data.result[0].values[2][0]"));
    assert!(reason.contains("before"), "{reason}");
}

#[test]
fn pairing_errors() {
    let o = PrometheusOptions::new();
    // No group label.
    let (loc, reason) = err(&doc(&s(r#""job":"a""#, r#"[1,"1"]"#)), &o);
    assert_eq!(loc, path("$.data.result[0].metric"));
    assert!(reason.contains("no label `version`"), "{reason}");
    // Unknown group value.
    let (loc, reason) = err(&doc(&s(r#""version":"v3""#, r#"[1,"1"]"#)), &o);
    assert_eq!(loc, path("$.data.result[0].metric"));
    assert!(reason.contains("\"v3\""), "{reason}");
    // Mismatched tags: the labels other than the group label differ.
    let body = doc(&[
        s(r#""job":"a","version":"baseline""#, r#"[1,"1"]"#),
        s(r#""job":"b","version":"canary""#, r#"[1,"1"]"#),
    ]
    .join(","));
    let (loc, reason) = err(&body, &o);
    assert_eq!(loc, path("$.data.result[0].metric"));
    assert!(
        reason.contains("mismatched tags") && reason.contains("job=\"a\""),
        "{reason}"
    );
    // Two series with the same labels on one side, no instance label configured.
    let body = doc(&[
        s(r#""version":"baseline""#, r#"[1,"1"]"#),
        s(r#""version":"baseline""#, r#"[1,"1"]"#),
    ]
    .join(","));
    let (loc, reason) = err(&body, &o);
    assert_eq!(loc, path("$.data.result[1].metric"));
    assert!(reason.contains("duplicate series"), "{reason}");
    // Invalid options are typed too.
    let bad = PrometheusOptions::new().baseline("x").canary("x");
    assert!(matches!(
        read_query_range(&body, &bad),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn step_option_rejects_off_grid_and_absurd_grids() {
    let body = doc(&[
        s(r#""version":"baseline""#, r#"[0,"1"],[15,"1"]"#),
        s(r#""version":"canary""#, r#"[0,"1"],[7,"1"]"#),
    ]
    .join(","));
    let (loc, reason) = err(&body, &PrometheusOptions::new().step_millis(15_000));
    assert_eq!(loc, path("$.data.result[1].metric"));
    assert!(reason.contains("not on the grid"), "{reason}");
    let body = doc(&[
        s(r#""version":"baseline""#, r#"[0,"1"],[8000000000,"1"]"#),
        s(r#""version":"canary""#, r#"[0,"1"]"#),
    ]
    .join(","));
    let huge = read_query_range(&body, &PrometheusOptions::new().step_millis(1));
    assert!(
        matches!(huge, Err(Error::TooLarge { requested, .. }) if requested == 2 * 8_000_000_000_001),
        "{huge:?}"
    );
    // Without a step the same data use the union of timestamps instead of a huge grid.
    let p = &read_query_range(&body, &PrometheusOptions::new()).unwrap()[0];
    assert!(matches!(
        p.baseline().timestamps(),
        Timestamps::Regular { .. }
    ));
    assert_eq!(p.baseline().steps(), 2);
}

#[test]
fn all_nan_series_is_a_policy_result() {
    let body = doc(&[
        s(r#""version":"baseline""#, r#"[0,"NaN"],[15,"NaN"]"#),
        s(r#""version":"canary""#, r#"[0,"1"],[15,"2"]"#),
    ]
    .join(","));
    let p = &read_query_range(&body, &PrometheusOptions::new().metric("m")).unwrap()[0];
    // An all-NaN side is "no data" for the judge, not an error.
    let c = p
        .clean(&CleanOptions::new().policy(NanPolicy::Remove))
        .unwrap();
    assert!(c.baseline().is_none());
    assert_eq!(c.canary().expect("data").values(), &[1.0, 2.0]);
    let e = p
        .clean(&CleanOptions::new().policy(NanPolicy::Fail))
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidSample { metric, reason } if metric == "m baseline" && reason.contains("step 0 (t = 0 ms)")),
        "{e:?}"
    );
    let c = p
        .clean(&CleanOptions::new().policy(NanPolicy::Replace(0.0)))
        .unwrap();
    assert_eq!(c.baseline().expect("data").values(), &[0.0, 0.0]);
    assert!(
        p.clean(&CleanOptions::new().policy(NanPolicy::Fail))
            .is_err()
    );
}

#[test]
fn ten_million_point_series_parses() {
    let n = 10_000_000usize;
    let mut body = String::with_capacity(n * 20 + 200);
    body.push_str(r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"version":"baseline"},"values":["#);
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        body.push('[');
        body.push_str(&(1_700_000_000 + i).to_string());
        body.push_str(",\"");
        body.push(char::from(b'0' + (i % 10) as u8));
        body.push_str("\"]");
    }
    body.push_str(r#"]},{"metric":{"version":"canary"},"values":[[1700000000,"1"]]}]}}"#);
    let series = parse_query_range(&body).unwrap();
    assert_eq!(series[0].values.len(), n);
    let pairs = read_query_range(&body, &PrometheusOptions::new()).unwrap();
    assert_eq!(pairs[0].baseline().steps(), n);
    assert_eq!(pairs[0].canary().gap_steps(), n - 1);
}
