//! The `fleet_campaign` example's command line is an interface (issue 16): `--json` prints one
//! JSON line with exactly the documented keys, a bad flag exits 2, `--report-targets` writes
//! one `{"id", "state", "decision", "confidence", "actions"}` line per target, and `--check`
//! passes on a small generated fleet.
//!
//! The example binary is the one `cargo test` builds next to the test binaries
//! (`target/<profile>/examples/`); the test asks the same cargo to build it first (a no-op when
//! it is fresh), so a run of this test alone never uses a stale binary.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

fn example() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        // target/<profile>/deps/<test> -> target/<profile>/examples/fleet_campaign
        let dir = exe.parent().and_then(|d| d.parent()).expect("profile dir");
        // Always ask cargo (a no-op when `cargo test` already built it): a binary left from an
        // older tree must not be tested. Cargo holds no build lock while tests run.
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "fleet_campaign"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the example failed");
        let bin = dir
            .join("examples")
            .join(format!("fleet_campaign{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "no example binary at {}", bin.display());
        bin
    })
    .clone()
}

fn run(args: &[&str]) -> Output {
    Command::new(example())
        .args(args)
        .output()
        .expect("example runs")
}

#[test]
fn json_is_one_line_with_exactly_the_documented_keys() {
    let dir = tempdir();
    let report = dir.join("report.jsonl");
    let out = run(&[
        "--targets",
        "50",
        "--seed",
        "3",
        "--faults",
        "0.05",
        "--json",
        "--report-targets",
        report.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout: {stdout}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "targets",
        "promoted",
        "rolled_back",
        "review",
        "blocked",
        "not_started",
        "wrongly_promoted",
        "wrongly_blocked",
        "human_share",
        "simulated_hours",
        "events",
    ];
    let mut got = keys.clone();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);
    assert_eq!(v["targets"], 50);
    let sum: u64 = [
        "promoted",
        "rolled_back",
        "review",
        "blocked",
        "not_started",
    ]
    .iter()
    .map(|k| v[*k].as_u64().unwrap())
    .sum();
    assert_eq!(sum, 50);
    assert!(v["wrongly_promoted"].is_u64());

    let text = std::fs::read_to_string(&report).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 50);
    let states = [
        "promoted",
        "rolled_back",
        "review",
        "blocked",
        "not_started",
    ];
    for r in &rows {
        let mut k: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort_unstable();
        assert_eq!(k, ["actions", "confidence", "decision", "id", "state"]);
        assert!(states.contains(&r["state"].as_str().unwrap()), "{r}");
        assert!(r["actions"].is_array());
    }
    let promoted = rows.iter().filter(|r| r["state"] == "promoted").count() as u64;
    assert_eq!(promoted, v["promoted"].as_u64().unwrap());
}

#[test]
fn targets_file_round_trip_has_null_truth_and_passes_check() {
    let dir = tempdir();
    let file = dir.join("targets.jsonl");
    let f = file.to_str().unwrap();
    let w = run(&["--targets", "40", "--seed", "5", "--write-targets-file", f]);
    assert_eq!(
        w.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&w.stderr)
    );
    let out = run(&["--targets-file", f, "--json", "--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert_eq!(v["targets"], 40);
    assert!(v["wrongly_promoted"].is_null() && v["wrongly_blocked"].is_null());
}

#[test]
fn bad_input_exits_2() {
    for args in [
        &["--bogus"][..],
        &["--targets", "ten", "--seed", "1"][..],
        &["--targets-file", "/nonexistent/fleet.jsonl"][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "fleet_campaign_cli_{}_{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}
