//! CSV reader: shipped long and wide files, and malformed files as a user would make them.
use canary_analysis::metrics::csv::{CsvOptions, read_csv, read_csv_reader, read_csv_slice};
use canary_analysis::metrics::{CleanOptions, NanPolicy, Timestamps};
use canary_analysis::{Error, Location};

fn err(text: &str) -> (Location, String) {
    err_with(text, &CsvOptions::new())
}

fn err_with(text: &str, opts: &CsvOptions) -> (Location, String) {
    match read_csv(text, opts) {
        Err(Error::Parse {
            format,
            location,
            reason,
        }) => {
            assert_eq!(format, "csv");
            (location, reason)
        }
        other => panic!("expected a parse error for {text:?}, got {other:?}"),
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/metrics/csv/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn shipped_long_file() {
    let bytes = fixture("long.csv");
    let pairs = read_csv_slice(&bytes, &CsvOptions::new()).unwrap();
    let names: Vec<&str> = pairs.iter().map(|p| p.metric()).collect();
    assert_eq!(names, ["cpu", "errors", "latency"]);
    for p in &pairs {
        assert!(matches!(
            p.baseline().timestamps(),
            Timestamps::Regular {
                step_millis: 60_000,
                ..
            }
        ));
        assert_eq!(p.baseline().steps(), 60);
        // Rows missing from the file are gaps (canary steps 20 and 21); an empty value is a gap.
        let gaps = p.canary().gaps();
        assert_eq!((gaps[0].start_step, gaps[0].steps), (20, 2));
        assert_eq!(p.baseline().gaps()[0].start_step, 3);
    }
    let via_reader = read_csv_reader(&bytes[..], &CsvOptions::new()).unwrap();
    assert_eq!(format!("{via_reader:?}"), format!("{pairs:?}"));
}

#[test]
fn shipped_wide_file_with_rfc3339() {
    let pairs =
        read_csv_slice(&fixture("wide.csv"), &CsvOptions::new().metric("cpu_usage")).unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].metric(), "cpu_usage");
    assert_eq!(pairs[0].canary().gap_steps(), 2);
}

#[test]
fn quoting_crlf_bom_blank_lines_instances_and_any_order() {
    let text = "\u{feff}Metric , GROUP,timestamp,value,instance\r\n\
                \r\n\
                \"lat, p99\",canary,120,3,\"pod \"\"x\"\"\"\r\n\
                \"lat, p99\",baseline,60,2,a\r\n\
                \"lat, p99\",baseline,0,1,a\r\n\
                \"lat, p99\",baseline,0,5,b\r\n\
                \"lat, p99\",canary,0,  4 ,\"pod \"\"x\"\"\"\r\n";
    let pairs = read_csv(text, &CsvOptions::new()).unwrap();
    let p = &pairs[0];
    assert_eq!(p.metric(), "lat, p99");
    assert_eq!(p.baseline().instances().len(), 2);
    assert_eq!(p.baseline().instances()[0].id(), "a");
    assert_eq!(p.baseline().instances()[0].values()[..2], [1.0, 2.0]);
    assert!(p.baseline().instances()[0].values()[2].is_nan());
    assert_eq!(p.canary().instances()[0].id(), "pod \"x\"");
    assert_eq!(p.canary().instances()[0].values()[0], 4.0);
    assert_eq!(p.canary().instances()[0].values()[2], 3.0);
    // Semicolons, a different group naming.
    let text = "timestamp;v1;v2\n0;1;2\n";
    let opts = CsvOptions::new()
        .delimiter(b';')
        .baseline("v1")
        .canary("v2");
    assert_eq!(
        read_csv(text, &opts).unwrap()[0].canary().instances()[0].values(),
        vec![2.0]
    );
}

#[test]
fn empty_file_and_header_only() {
    for text in ["", "\n\n", "   "] {
        let (loc, reason) = err(text);
        assert_eq!(loc, Location::Line { line: 1 });
        assert!(reason.contains("empty"), "{reason}");
    }
    assert!(
        read_csv("metric,group,timestamp,value\n", &CsvOptions::new())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn bad_headers() {
    let (loc, reason) = err("time,a,b\n1,2,3\n");
    assert_eq!(loc, Location::Line { line: 1 });
    assert!(reason.contains("neither long format"), "{reason}");
    let (loc, reason) = err("metric,group,timestamp,value,host\n");
    assert_eq!(
        loc,
        Location::LineColumn {
            line: 1,
            column: 30
        }
    );
    assert!(reason.contains("unknown column \"host\""), "{reason}");
    let (loc, reason) = err("metric,group,timestamp,value,value\n");
    assert_eq!(
        loc,
        Location::LineColumn {
            line: 1,
            column: 30
        }
    );
    assert!(reason.contains("duplicate column"), "{reason}");
    let (_, reason) = err("group,timestamp,value\n");
    assert!(reason.contains("`metric`"), "{reason}");
}

#[test]
fn ragged_rows() {
    let (loc, reason) = err("metric,group,timestamp,value\nm,baseline,0,1\nm,canary,0\n");
    assert_eq!(loc, Location::Line { line: 3 });
    assert!(
        reason.contains("expected 4 fields") && reason.contains("found 3"),
        "{reason}"
    );
    let (loc, _) = err("timestamp,baseline,canary\n0,1,2,3\n");
    assert_eq!(loc, Location::Line { line: 2 });
}

#[test]
fn bad_fields_name_line_and_column() {
    let (loc, reason) = err("metric,group,timestamp,value\nm,baseline,0,1\nm,canary,60,1.2.3\n");
    assert_eq!(
        loc,
        Location::LineColumn {
            line: 3,
            column: 13
        }
    );
    assert!(reason.contains("1.2.3"), "{reason}");
    let (loc, reason) = err("metric,group,timestamp,value\nm,baseline,yesterday,1\n");
    assert_eq!(
        loc,
        Location::LineColumn {
            line: 2,
            column: 12
        }
    );
    assert!(reason.contains("timestamp"), "{reason}");
    let (loc, reason) = err("metric,group,timestamp,value\nm,control,0,1\n");
    assert_eq!(loc, Location::LineColumn { line: 2, column: 3 });
    assert!(reason.contains("\"control\""), "{reason}");
    let (loc, reason) = err("metric,group,timestamp,value\n\"m,baseline,0,1\n");
    assert_eq!(loc, Location::LineColumn { line: 2, column: 1 });
    assert!(reason.contains("unterminated"), "{reason}");
    let (loc, _) = err("metric,group,timestamp,value\n\"m\"x,baseline,0,1\n");
    assert_eq!(loc, Location::LineColumn { line: 2, column: 4 });
    let bad_utf8 = read_csv_slice(b"timestamp,baseline,canary\n0,\xff,1\n", &CsvOptions::new());
    assert!(
        matches!(
            bad_utf8,
            Err(Error::Parse {
                location: Location::LineColumn { line: 2, column: 3 },
                ..
            })
        ),
        "{bad_utf8:?}"
    );
}

#[test]
fn duplicate_timestamps_name_both_lines() {
    // In order (detected while reading) ...
    let (loc, reason) =
        err("metric,group,timestamp,value\nm,baseline,0,1\nm,baseline,0,2\nm,canary,0,1\n");
    assert_eq!(loc, Location::Line { line: 3 });
    assert!(
        reason.contains("duplicate timestamp") && reason.contains("line 2"),
        "{reason}"
    );
    // ... and out of order (detected after sorting).
    let (loc, reason) = err(
        "metric,group,timestamp,value\nm,canary,60,1\nm,canary,0,1\nm,canary,60,3\nm,baseline,0,1\n",
    );
    assert_eq!(loc, Location::Line { line: 4 });
    assert!(reason.contains("line 2"), "{reason}");
    // Same timestamp on different instances is fine.
    let ok = "metric,group,timestamp,value,instance\nm,baseline,0,1,a\nm,baseline,0,2,b\nm,canary,0,1,c\n";
    assert_eq!(
        read_csv(ok, &CsvOptions::new()).unwrap()[0]
            .baseline()
            .instances()
            .len(),
        2
    );
}

#[test]
fn metric_with_one_group_only() {
    let (loc, reason) = err(
        "metric,group,timestamp,value\na,baseline,0,1\na,canary,0,1\nb,canary,0,1\nb,canary,60,1\n",
    );
    assert_eq!(loc, Location::Line { line: 4 });
    assert!(
        reason.contains("\"b\" has canary rows but no baseline rows"),
        "{reason}"
    );
}

#[test]
fn all_nan_and_empty_values_follow_the_policy() {
    let text = "timestamp,baseline,canary\n0,NaN,1\n60,,2\n120,nan,+Inf\n";
    let p = &read_csv(text, &CsvOptions::new()).unwrap()[0];
    assert_eq!(p.baseline().gap_steps(), 3);
    // An all-gap side is "no data" for the judge, not an error.
    let c = p
        .clean(&CleanOptions::new().policy(NanPolicy::Remove))
        .unwrap();
    assert!(c.baseline().is_none());
    assert_eq!(
        (c.record().baseline.removed, c.record().baseline.values),
        (3, 0)
    );
    let c = p
        .clean(&CleanOptions::new().policy(NanPolicy::Replace(-1.0)))
        .unwrap();
    assert_eq!(c.baseline().expect("data").values(), &[-1.0, -1.0, -1.0]);
    assert_eq!(c.canary().expect("data").values(), &[1.0, 2.0, -1.0]);
    assert_eq!(
        (c.record().canary.replaced, c.record().canary.infinite),
        (1, 1)
    );
    assert!(matches!(
        p.clean(&CleanOptions::new().policy(NanPolicy::Replace(f64::NAN))),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn step_option_and_irregular_timestamps() {
    let text = "timestamp,baseline,canary\n0,1,1\n90,1,1\n";
    let (loc, reason) = err_with(text, &CsvOptions::new().step_millis(60_000));
    assert_eq!(loc, Location::Line { line: 2 });
    assert!(reason.contains("not on the grid"), "{reason}");
    let p = &read_csv(text, &CsvOptions::new().step_millis(30_000)).unwrap()[0];
    assert_eq!(p.baseline().gap_steps(), 2);
    // Irregular times without a step: the axis is the union of timestamps.
    let text = "timestamp,baseline,canary\n0,1,1\n1,1,1\n1000000,1,1\n";
    let p = &read_csv(text, &CsvOptions::new()).unwrap()[0];
    assert_eq!(
        *p.baseline().timestamps(),
        Timestamps::Explicit(vec![0, 1000, 1_000_000_000])
    );
    assert!(matches!(
        read_csv(text, &CsvOptions::new().delimiter(b'"')),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn ten_million_rows() {
    let n = 10_000_000usize;
    let mut text = String::with_capacity(n * 12 + 30);
    text.push_str("timestamp,baseline,canary\n");
    let mut buf = String::new();
    for i in 0..n {
        use std::fmt::Write;
        buf.clear();
        write!(buf, "{i}").unwrap();
        text.push_str(&buf);
        text.push(',');
        text.push(char::from(b'0' + (i % 10) as u8));
        text.push_str(",1\n");
    }
    let p = &read_csv(&text, &CsvOptions::new()).unwrap()[0];
    assert_eq!(p.baseline().steps(), n);
    assert_eq!(p.canary().gap_steps(), 0);
}

#[test]
fn rfc4180_quoted_fields_may_span_lines_and_errors_keep_their_place() {
    // A quoted instance id with an embedded newline, a doubled quote and a delimiter (RFC 4180,
    // section 2, rules 6 and 7), CRLF line ends.
    let text = "metric,group,timestamp,value,instance\r\n\
                m,baseline,0,1,\"pod\r\na\"\r\n\
                m,baseline,60,2,\"pod\r\na\"\r\n\
                \"m\",canary,0,3,\"say \"\"hi\"\", x\"\r\n";
    let pairs = read_csv(text, &CsvOptions::new()).unwrap();
    assert_eq!(pairs.len(), 1);
    let b = pairs[0].baseline();
    assert_eq!(b.instances()[0].id(), "pod\r\na");
    assert_eq!(b.instances()[0].values(), &[1.0, 2.0]);
    assert_eq!(pairs[0].canary().instances()[0].id(), "say \"hi\", x");
    // A bad field after a multi-line record is reported on its own physical line.
    let (loc, reason) = err("metric,group,timestamp,value,instance\n\
         m,baseline,0,1,\"a\nb\"\n\
         m,baseline,x,1,\"a\nb\"\n");
    assert_eq!(
        loc,
        Location::LineColumn {
            line: 4,
            column: 12
        }
    );
    assert!(reason.contains("timestamp"), "{reason}");
    // An unterminated quote is an error at the quote, not a field swallowing the file.
    let (loc, reason) = err("metric,group,timestamp,value,instance\n\
         m,baseline,0,1,a\n\
         m,canary,0,1,\"b\nm,canary,60,1,c\n");
    assert_eq!(
        loc,
        Location::LineColumn {
            line: 3,
            column: 14
        }
    );
    assert!(reason.contains("unterminated"), "{reason}");
}
