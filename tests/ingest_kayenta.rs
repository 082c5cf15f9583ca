//! Kayenta metric-set pair reader: valid documents and malformed inputs as a user would make them.
use canary_analysis::metrics::kayenta::{
    read_metric_set_pairs, read_metric_set_pairs_reader, read_metric_set_pairs_slice,
};
use canary_analysis::metrics::{CleanOptions, MetricPair, NanPolicy, Sample, Timestamps};
use canary_analysis::{Error, Location};

fn parse_err(doc: &str) -> (Location, String) {
    match read_metric_set_pairs(doc) {
        Err(Error::Parse {
            format,
            location,
            reason,
        }) => {
            assert_eq!(format, "kayenta");
            (location, reason)
        }
        other => panic!("expected a parse error for {doc:?}, got {other:?}"),
    }
}

fn path(p: &str) -> Location {
    Location::JsonPath { path: p.to_owned() }
}

#[test]
fn full_pair_with_all_fields() {
    let doc = r#"[{"name": "latency", "id": "a1", "tags": {"region": "eu"},
        "values": {"control": [1.0, "NaN", 2.0, null, "Infinity", "-Infinity"],
                   "experiment": [1.5, 2.5]},
        "scopes": {"control": {"startTimeIso": "2026-11-23T09:00:00Z",
                               "startTimeMillis": 1795424400000, "stepMillis": 60000},
                   "experiment": {"startTimeMillis": 1795424400000, "stepMillis": 60000, "extra": 1}},
        "attributes": {"control": {"query": "q"}}, "someFutureField": [1, {"x": 2}]}]"#;
    let pairs = read_metric_set_pairs(doc).unwrap();
    assert_eq!(pairs.len(), 1);
    let p = &pairs[0];
    assert_eq!(p.metric(), "latency");
    assert_eq!(p.id(), Some("a1"));
    assert_eq!(p.tags()["region"], "eu");
    let c = p.baseline().instances()[0].values();
    assert_eq!(c.len(), 6);
    assert_eq!((c[0], c[2]), (1.0, 2.0));
    assert!(c[1].is_nan() && c[3].is_nan());
    assert_eq!((c[4], c[5]), (f64::INFINITY, f64::NEG_INFINITY));
    assert_eq!(p.canary().instances()[0].values(), &[1.5, 2.5]);
    // Both scopes give a regular axis; the instance id is empty (one series per scope).
    let axis = Timestamps::Regular {
        start_millis: 1795424400000,
        step_millis: 60000,
    };
    assert_eq!(p.baseline().timestamps(), &axis);
    assert_eq!(p.canary().timestamps(), &axis);
    assert_eq!(p.baseline().instances()[0].id(), "");
    assert_eq!(
        p.baseline().gaps()[1].start_millis,
        Some(1795424400000 + 3 * 60000)
    );
}

#[test]
fn scopes_without_a_positive_step_give_an_unknown_axis() {
    let pairs = read_metric_set_pairs(
        r#"[{"name": "m", "values": {"control": [1], "experiment": [2]},
             "scopes": {"control": {"startTimeMillis": 5, "stepMillis": 0},
                        "experiment": {"stepMillis": 1000}}}]"#,
    )
    .unwrap();
    assert_eq!(pairs[0].baseline().timestamps(), &Timestamps::Unknown);
    assert_eq!(pairs[0].canary().timestamps(), &Timestamps::Unknown);
}

#[test]
fn minimal_pair_and_single_object_and_nulls() {
    let one = read_metric_set_pairs(
        r#"{"name": "m", "id": null, "tags": null, "scopes": null, "attributes": null,
            "values": {"control": [], "experiment": [3]}}"#,
    )
    .unwrap();
    assert_eq!(one.len(), 1);
    assert!(one[0].tags().is_empty() && one[0].id().is_none());
    assert!(one[0].baseline().is_empty());
    assert_eq!(one[0].baseline().timestamps(), &Timestamps::Unknown);
    assert!(read_metric_set_pairs("[]").unwrap().is_empty());
    let via_slice = read_metric_set_pairs_slice(
        b"[{\"name\":\"m\",\"values\":{\"control\":[1],\"experiment\":[2]}}]",
    )
    .unwrap();
    let via_reader = read_metric_set_pairs_reader(
        &b"[{\"name\":\"m\",\"values\":{\"control\":[1],\"experiment\":[2]}}]"[..],
    )
    .unwrap();
    assert_eq!(via_slice, via_reader);
}

#[test]
fn empty_values_object_is_a_metric_with_no_data() {
    let pairs = read_metric_set_pairs(r#"[{"name": "m", "values": {}}]"#).unwrap();
    assert!(pairs[0].baseline().is_empty() && pairs[0].canary().is_empty());
    let c = pairs[0].clean(&CleanOptions::new()).unwrap();
    assert!(c.baseline().is_none() && c.canary().is_none());
    assert_eq!(c.record().baseline.cells, 0);
    // One side missing is that side without data.
    let pairs = read_metric_set_pairs(r#"[{"name": "m", "values": {"control": [1]}}]"#).unwrap();
    let c = pairs[0].clean(&CleanOptions::new()).unwrap();
    assert_eq!(c.baseline().map(|s| s.values()), Some(&[1.0][..]));
    assert!(c.canary().is_none());
}

#[test]
fn pairs_serialize_and_deserialize_as_validated_metric_pairs() {
    let doc = r#"[{"name": "m", "id": "x", "tags": {"a": "b"}, "values": {"control": [1, 2], "experiment": [2.5]}}]"#;
    let pairs = read_metric_set_pairs(doc).unwrap();
    let out = serde_json::to_string(&pairs).unwrap();
    let back: Vec<MetricPair> = serde_json::from_str(&out).unwrap();
    assert_eq!(back, pairs);
    // Deserialization validates: an empty metric name is refused.
    let bad = out.replacen("\"metric\":\"m\"", "\"metric\":\"\"", 1);
    assert!(
        serde_json::from_str::<Vec<MetricPair>>(&bad).is_err(),
        "{bad}"
    );
}

#[test]
fn empty_and_whitespace_documents() {
    for doc in ["", "   \n  "] {
        let (loc, reason) = parse_err(doc);
        assert!(matches!(loc, Location::LineColumn { .. }), "{loc:?}");
        assert!(reason.contains("EOF"), "{reason}");
    }
}

#[test]
fn truncated_json_names_line_and_column() {
    let doc = "[{\"name\": \"m\",\n \"values\": {\"control\": [1, 2,";
    let (loc, reason) = parse_err(doc);
    assert_eq!(
        loc,
        Location::LineColumn {
            line: 2,
            column: 29
        }
    );
    assert!(reason.contains("truncated"), "{reason}");
    let (loc, _) = parse_err("[{\"name\": \"m\" \"values\": 1}]");
    assert!(
        matches!(loc, Location::LineColumn { line: 1, .. }),
        "{loc:?}"
    );
    let (loc, reason) = parse_err("[] x");
    assert_eq!(loc, Location::LineColumn { line: 1, column: 4 });
    assert!(reason.contains("trailing"), "{reason}");
}

#[test]
fn wrong_types_name_the_json_path() {
    let (loc, reason) = parse_err(
        r#"[{"name": "a", "values": {"control": [1], "experiment": [2]}},
            {"name": "b", "values": {"control": [1, 2, {"x": 1}], "experiment": [2]}}]"#,
    );
    assert_eq!(loc, path("$[1].values.control[2]"));
    assert!(reason.contains("expected a number"), "{reason}");

    let (loc, reason) =
        parse_err(r#"[{"name": "b", "values": {"control": [1], "experiment": ["fast"]}}]"#);
    assert_eq!(loc, path("$[0].values.experiment[0]"));
    assert!(reason.contains("\"fast\""), "{reason}");

    let (loc, _) = parse_err(r#"[{"name": 5, "values": {"control": [], "experiment": []}}]"#);
    assert_eq!(loc, path("$[0].name"));
    let (loc, _) = parse_err(
        r#"[{"name": "m", "tags": {"a": 1}, "values": {"control": [], "experiment": []}}]"#,
    );
    assert_eq!(loc, path("$[0].tags.a"));
    let (loc, _) = parse_err(r#"[{"name": "m", "values": {"control": 3, "experiment": []}}]"#);
    assert_eq!(loc, path("$[0].values.control"));
    let (loc, _) = parse_err(r#"[{"name": "m", "values": [1, 2]}]"#);
    assert_eq!(loc, path("$[0].values"));
    let (loc, _) = parse_err(r#"[{"name": "m", "values": {"control": [], "experiment": []}}, 7]"#);
    assert_eq!(loc, path("$[1]"));
    let (loc, _) = parse_err(r#""just a string""#);
    assert!(matches!(
        loc,
        Location::LineColumn { .. } | Location::JsonPath { .. }
    ));
    let (loc, _) = parse_err(
        r#"[{"name": "m", "scopes": {"control": {"stepMillis": "60s"}}, "values": {"control": [], "experiment": []}}]"#,
    );
    assert_eq!(loc, path("$[0].scopes.control"));
}

#[test]
fn missing_and_duplicate_fields() {
    let (loc, reason) = parse_err(r#"[{"values": {"control": [], "experiment": []}}]"#);
    assert_eq!(loc, path("$[0]"));
    assert!(reason.contains("missing field `name`"), "{reason}");
    let (loc, reason) = parse_err(r#"[{"name": "m"}]"#);
    assert_eq!(loc, path("$[0]"));
    assert!(reason.contains("missing field `values`"), "{reason}");
    let (loc, reason) =
        parse_err(r#"[{"name": "", "values": {"control": [1], "experiment": [2]}}]"#);
    assert_eq!(loc, path("$[0].name"));
    assert!(reason.contains("must not be empty"), "{reason}");
    let (loc, reason) =
        parse_err(r#"[{"name": "m", "name": "n", "values": {"control": [], "experiment": []}}]"#);
    assert_eq!(loc, path("$[0].name"));
    assert!(reason.contains("duplicate field `name`"), "{reason}");
    let (loc, _) =
        parse_err(r#"[{"name": "m", "values": {"control": [], "control": [], "experiment": []}}]"#);
    assert_eq!(loc, path("$[0].values.control"));
}

#[test]
fn invalid_utf8_is_a_parse_error() {
    let err = read_metric_set_pairs_slice(b"[{\"name\": \"\xff\"}]").unwrap_err();
    assert!(
        matches!(
            err,
            Error::Parse {
                location: Location::LineColumn {
                    line: 1,
                    column: 12
                },
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn all_nan_series_follows_the_policy() {
    let pairs = read_metric_set_pairs(
        r#"[{"name": "m", "values": {"control": ["NaN", null, "NaN"], "experiment": [1, "NaN"]}}]"#,
    )
    .unwrap();
    let c = pairs[0].baseline().instances()[0].values();
    let err = Sample::with_policy("m", c, NanPolicy::Remove).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidSample { metric, reason } if metric == "m" && reason.contains("empty after policy")),
        "{err:?}"
    );
    let replaced = Sample::with_policy("m", c, NanPolicy::Replace(0.0)).unwrap();
    assert_eq!(replaced.sample.values(), &[0.0, 0.0, 0.0]);
    assert_eq!((replaced.replaced, replaced.removed), (3, 0));
    assert_eq!(replaced.policy, NanPolicy::Replace(0.0));
    assert!(Sample::with_policy("m", c, NanPolicy::Fail).is_err());
    let e = Sample::with_policy(
        "m",
        pairs[0].canary().instances()[0].values(),
        NanPolicy::Remove,
    )
    .unwrap();
    assert_eq!((e.sample.values(), e.removed), (&[1.0][..], 1));
}

#[test]
fn ten_million_point_series_parses() {
    let n = 10_000_000usize;
    let mut doc = String::with_capacity(n * 4 + 100);
    doc.push_str(r#"[{"name": "big", "values": {"control": ["#);
    for i in 0..n {
        if i > 0 {
            doc.push(',');
        }
        doc.push(char::from(b'0' + (i % 10) as u8));
    }
    doc.push_str(r#"], "experiment": [1]}}]"#);
    let pairs = read_metric_set_pairs(&doc).unwrap();
    let c = pairs[0].baseline().instances()[0].values();
    assert_eq!(c.len(), n);
    assert_eq!(c[n - 1], ((n - 1) % 10) as f64);
}
