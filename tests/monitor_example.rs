//! Runs the `monitor` example binary on the shipped sample and on bad inputs, and checks its
//! output format: one JSON line per look per metric, p-values that never rise, a summary line,
//! exit 0 after the whole input; a bad line gives a non-zero exit and names its line number.
//!
//! The example is built with `cargo build --example monitor` in the profile this test was built
//! with (`CARGO` is set by cargo for every test), and the binary's path is read from cargo's
//! JSON messages, so the test never depends on a guessed target directory layout.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn monitor_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let profile: &[&str] = if cfg!(debug_assertions) {
            &["--profile", "test"]
        } else {
            &["--release"]
        };
        let mut cmd = Command::new(env!("CARGO"));
        // Cargo sets package-specific variables for test processes; build scripts of
        // dependencies (ring) watch some of them, so passing them on would make the nested build
        // and the next `cargo test` rebuild each other. Hand the nested cargo a clean slate.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            let set_by_cargo_for_tests = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ]
            .iter()
            .any(|p| k.starts_with(p));
            if set_by_cargo_for_tests {
                cmd.env_remove(&key);
            }
        }
        let out = cmd
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--example", "monitor", "--message-format=json"])
            .args(profile)
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "building the example failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "monitor")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports the monitor executable")
    })
}

fn run(args: &[&str]) -> Output {
    Command::new(monitor_binary())
        .args(args)
        .output()
        .expect("monitor runs")
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("canary-monitor-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sequential/events.jsonl")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn sample_run_has_the_documented_format() {
    let out = run(&["--input", &sample(), "--look-every", "50"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    let (summary, looks) = lines.split_last().unwrap();
    // 1200 lines, a look every 50: 24 looks, 3 metrics each (cpu appears on line 4, errors on 10).
    assert_eq!(looks.len(), 24 * 3);
    let mut last_p: BTreeMap<String, f64> = BTreeMap::new();
    let mut first_reject: BTreeMap<String, Option<u64>> = BTreeMap::new();
    for l in looks {
        let obj = l.as_object().unwrap();
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
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
        assert!(decision == "reject" || decision == "continue");
        let entry = first_reject.entry(metric).or_insert(None);
        if decision == "reject" && entry.is_none() {
            *entry = Some(look);
        }
    }
    // Metrics print in name order: cpu, errors, latency_ms.
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
            r#"{"arm": "canary", "metric": "latency", "value": -5}"#,
            "must be > 0",
        ),
    ];
    for (i, (bad, why)) in cases.iter().enumerate() {
        let text = format!("{good}\n{good}\n{bad}\n{good}\n");
        let path = temp_file(&format!("bad{i}.jsonl"), &text);
        let out = run(&["--input", path.to_str().unwrap(), "--look-every", "1"]);
        assert!(!out.status.success(), "{bad} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("line 3"), "{bad}: {err}");
        assert!(err.contains(why), "{bad}: {err}");
        // Looks before the bad line were printed.
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    }
}

#[test]
fn bad_arguments_fail_cleanly() {
    for args in [
        &["--alpha", "2", "--input", "x"][..],
        &["--look-every", "0", "--input", "x"][..],
        &[][..],
        &["--input", "/definitely/not/here.jsonl"][..],
    ] {
        let out = run(args);
        assert!(!out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error:"));
    }
}
