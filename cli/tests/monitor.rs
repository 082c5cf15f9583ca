//! `canary monitor`: the shipped event stream from standard input (and from a file), the
//! documented output format, bad lines and bad arguments, and continuous metrics with values
//! <= 0 that run to the end of the stream.

mod common;
use common::*;

use std::collections::BTreeMap;

use serde_json::Value;

fn sample() -> Vec<u8> {
    std::fs::read(root().join("fixtures/sequential/events.jsonl")).unwrap()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn shipped_stream_from_stdin_has_the_documented_format() {
    let out = canary(&["monitor", "--look-every", "50"], Some(&sample()));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = json_lines(&stdout(&out));
    let (summary, looks) = lines.split_last().unwrap();
    // 1200 lines, a look every 50: 24 looks, 3 metrics each (cpu appears on line 4, errors on 10).
    assert_eq!(looks.len(), 24 * 3);
    let mut last_p: BTreeMap<String, f64> = BTreeMap::new();
    let mut first_reject: BTreeMap<String, Option<u64>> = BTreeMap::new();
    for l in looks {
        let keys: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["decision", "look", "metric", "p_value", "test"],
            "{l}"
        );
        let metric = l["metric"].as_str().unwrap().to_owned();
        let p = l["p_value"].as_f64().unwrap();
        let look = l["look"].as_u64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        let prev = last_p.insert(metric.clone(), p).unwrap_or(1.0);
        assert!(
            p <= prev,
            "p rose for {metric} at look {look}: {prev} -> {p}"
        );
        let decision = l["decision"].as_str().unwrap();
        assert_eq!(decision == "reject", p < 0.05, "{l}");
        let entry = first_reject.entry(metric).or_insert(None);
        if decision == "reject" && entry.is_none() {
            *entry = Some(look);
        }
    }
    let tests: Vec<&str> = looks[..3]
        .iter()
        .map(|l| l["test"].as_str().unwrap())
        .collect();
    assert_eq!(
        tests,
        [
            "bonferroni(dkw-greater,msprt-log)",
            "count-greater",
            "bonferroni(dkw-greater,msprt-log)"
        ]
    );
    let s = &summary["summary"];
    assert_eq!(s["looks"], 24);
    assert_eq!(s["lines"], 1200);
    for (metric, first) in &first_reject {
        assert_eq!(s["first_reject"][metric].as_u64(), *first, "{metric}");
    }
    // The sample's canary is 25% slower and has twice the error rate; cpu is A/A.
    assert!(first_reject["latency_ms"].is_some());
    assert!(first_reject["errors"].is_some());
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    // `--input -` is standard input too, and a file gives the same lines.
    let dash = canary(
        &["monitor", "--look-every", "50", "--input", "-"],
        Some(&sample()),
    );
    assert_eq!(dash.stdout, out.stdout);
    let file = root().join("fixtures/sequential/events.jsonl");
    let from_file = canary(
        &[
            "monitor",
            "--look-every",
            "50",
            "--input",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(from_file.stdout, out.stdout);
}

/// A continuous metric around zero: the canary is shifted up by 8 from line 1 on.
fn around_zero(first: f64) -> String {
    let mut text =
        format!("{{\"arm\": \"baseline\", \"metric\": \"delta\", \"value\": {first}}}\n");
    for i in 0..600 {
        let x = ((i * 37) % 21) as f64 - 10.0; // -10 ..= 10, zeros included
        text.push_str(&format!(
            "{{\"arm\": \"baseline\", \"metric\": \"delta\", \"value\": {x}}}\n\
             {{\"arm\": \"canary\", \"metric\": \"delta\", \"value\": {}}}\n",
            x + 8.0
        ));
        if i % 10 == 0 {
            text.push_str("{\"arm\": \"canary\", \"metric\": \"errors\", \"count\": 1}\n");
        }
    }
    text
}

#[test]
fn zeros_and_negative_values_run_to_the_end() {
    // First value > 0: the mean test starts on log values and stops at the first value <= 0
    // with a warning; the distribution test goes on and finds the shift.
    let text = around_zero(4.0);
    let n_lines = text.lines().count() as u64;
    let out = canary(&["monitor", "--look-every", "100"], Some(text.as_bytes()));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = json_lines(&stdout(&out));
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["lines"], n_lines);
    let delta: Vec<&Value> = lines.iter().filter(|l| l["metric"] == "delta").collect();
    assert_eq!(delta[0]["test"], "bonferroni(dkw-greater,msprt-log)");
    assert!(
        summary["first_reject"]["delta"].as_u64().is_some(),
        "{summary}"
    );
    let err = stderr(&out);
    assert_eq!(
        err.matches("warning:").count(),
        1,
        "one warning per metric: {err}"
    );
    assert!(
        err.contains("metric `delta`") && err.contains("stops"),
        "{err}"
    );
    // p-values never rise across the stop.
    let ps: Vec<f64> = delta
        .iter()
        .map(|l| l["p_value"].as_f64().unwrap())
        .collect();
    assert!(ps.windows(2).all(|w| w[1] <= w[0]), "{ps:?}");

    // First value <= 0: the identity transform from the start, no warning.
    let text = around_zero(-2.0);
    let out = canary(&["monitor"], Some(text.as_bytes()));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = json_lines(&stdout(&out));
    let first = lines.iter().find(|l| l["metric"] == "delta").unwrap();
    assert_eq!(first["test"], "bonferroni(dkw-greater,msprt)");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert!(
        lines.last().unwrap()["summary"]["first_reject"]["delta"]
            .as_u64()
            .is_some()
    );
}

#[test]
fn bad_line_is_reported_with_its_number() {
    let good = r#"{"arm": "baseline", "metric": "latency", "value": 10.0}"#;
    let cases = [
        ("not json", "invalid JSON"),
        (r#"{"arm": "both", "metric": "latency", "value": 1}"#, "arm"),
        (
            r#"{"arm": "canary", "metric": "latency"}"#,
            "missing `value` or `count`",
        ),
        (
            r#"{"arm": "canary", "metric": "latency", "count": 3}"#,
            "first seen with values",
        ),
        (
            r#"{"arm": "canary", "metric": "errors", "count": -1}"#,
            "non-negative integer",
        ),
        (
            r#"{"arm": "canary", "metric": "latency", "value": 1e999}"#,
            "invalid JSON",
        ),
    ];
    for (bad, why) in cases {
        let text = format!("{good}\n{good}\n{bad}\n{good}\n");
        let out = canary(&["monitor", "--look-every", "1"], Some(text.as_bytes()));
        assert_eq!(code(&out), 2, "{bad} was accepted");
        let err = stderr(&out);
        assert!(err.contains("line 3"), "{bad}: {err}");
        assert!(err.contains(why), "{bad}: {err}");
        // Looks before the bad line were printed.
        assert_eq!(stdout(&out).lines().count(), 2, "{bad}");
    }
}

#[test]
fn bad_arguments_fail_cleanly() {
    for args in [
        &["monitor", "--alpha", "2"][..],
        &["monitor", "--look-every", "0"][..],
        &["monitor", "--canary-share", "1"][..],
        &["monitor", "--input", "/definitely/not/here.jsonl"][..],
    ] {
        let out = canary(args, Some(b""));
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(
            stderr(&out).starts_with("canary: error:"),
            "{}",
            stderr(&out)
        );
    }
}
