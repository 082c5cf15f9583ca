//! `canary compare`: formats, baseline picking, output modes and exit codes.

mod common;

use common::{canary, code, stderr, stdout, temp_file};

/// `go test -bench` text with `-count=n`: benchmark `Fast` at `fast` ns/op and `Slow` at
/// `slow` ns/op, with a small deterministic spread.
fn go_text(fast: f64, slow: f64, n: usize) -> String {
    let mut t = String::from("goos: linux\npkg: example.com/x\n");
    for i in 0..n {
        let e = 1.0 + ((i * 7) % n) as f64 * 0.001;
        t.push_str(&format!(
            "BenchmarkFast-2  1000000  {:.1} ns/op  0 B/op\n",
            fast * e
        ));
        t.push_str(&format!("BenchmarkSlow-2  1000  {:.0} ns/op\n", slow * e));
    }
    t.push_str("PASS\nok  example.com/x 1.0s\n");
    t
}

#[test]
fn go_regression_exits_1_and_aa_exits_0() {
    let old = temp_file("go_old.txt", &go_text(100.0, 50_000.0, 10));
    let new = temp_file("go_new.txt", &go_text(100.0, 55_000.0, 10));
    let same = temp_file("go_same.txt", &go_text(100.0, 50_000.0, 10));
    let out = canary(
        &[
            "compare",
            "--old",
            old.to_str().unwrap(),
            "--new",
            new.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let table = stdout(&out);
    assert!(
        table.contains("Slow-2") && table.contains("slower"),
        "{table}"
    );
    assert!(table.contains("+10.00%"), "{table}");
    let out = canary(
        &[
            "compare",
            "--old",
            old.to_str().unwrap(),
            "--new",
            same.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    // A 10% slowdown inside a 20% margin is not a regression.
    let out = canary(
        &[
            "compare",
            "--old",
            old.to_str().unwrap(),
            "--new",
            new.to_str().unwrap(),
            "--margin",
            "0.2",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn json_and_html_outputs() {
    let old = temp_file("g_old.txt", &go_text(100.0, 50_000.0, 10));
    let new = temp_file("g_new.txt", &go_text(90.0, 50_000.0, 10));
    let html = std::env::temp_dir().join(format!("canary-compare-{}.html", std::process::id()));
    let out = canary(
        &[
            "compare",
            "--old",
            old.to_str().unwrap(),
            "--new",
            new.to_str().unwrap(),
            "--json",
            "--html",
            html.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["benchmarks"][0]["name"], "Fast-2");
    assert_eq!(v["benchmarks"][0]["verdict"], "faster");
    assert_eq!(v["correction"], "holm");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("Fast-2"));
    assert!(!page.contains("https://") && !page.contains("src=") && !page.contains("<script"));
}

#[test]
fn too_few_samples_is_reported_not_failed() {
    let old = temp_file("few_old.txt", &go_text(100.0, 50_000.0, 3));
    let new = temp_file("few_new.txt", &go_text(100.0, 80_000.0, 3));
    let out = canary(
        &[
            "compare",
            "--old",
            old.to_str().unwrap(),
            "--new",
            new.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("too few samples (need 5 a side)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn google_benchmark_json_is_read() {
    let doc = |t: f64| {
        let mut runs = Vec::new();
        for i in 0..9 {
            let x = t * (1.0 + i as f64 * 0.002);
            runs.push(format!(r#"{{"name":"BM_A","run_name":"BM_A","run_type":"iteration","repetitions":9,"repetition_index":{i},"iterations":100,"real_time":{x},"cpu_time":{x},"time_unit":"us"}}"#));
        }
        runs.push(r#"{"name":"BM_A_mean","run_name":"BM_A","run_type":"aggregate","aggregate_name":"mean","iterations":9,"real_time":1,"cpu_time":1,"time_unit":"us"}"#.to_owned());
        format!(r#"{{"context":{{}},"benchmarks":[{}]}}"#, runs.join(","))
    };
    let old = temp_file("gb_old.json", &doc(10.0));
    let new = temp_file("gb_new.json", &doc(12.0));
    let out = canary(
        &[
            "compare",
            "--old",
            old.to_str().unwrap(),
            "--new",
            new.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("BM_A") && stdout(&out).contains("n=9"),
        "{}",
        stdout(&out)
    );
}

fn criterion_dir(tag: &str, baselines: &[(&str, f64)]) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("canary-crit-{}-{tag}", std::process::id()));
    for (bl, t) in baselines {
        let d = root.join("sort/n=10").join(bl);
        std::fs::create_dir_all(&d).unwrap();
        let iters: Vec<f64> = (1..=20).map(|i| i as f64 * 10.0).collect();
        let times: Vec<f64> = iters
            .iter()
            .enumerate()
            .map(|(k, n)| n * t * (1.0 + k as f64 * 0.001))
            .collect();
        std::fs::write(
            d.join("sample.json"),
            serde_json::json!({"sampling_mode":"Linear","iters":iters,"times":times}).to_string(),
        )
        .unwrap();
        std::fs::write(d.join("benchmark.json"), r#"{"group_id":"sort","function_id":"n=10","value_str":null,"throughput":null,"full_id":"sort/n=10","directory_name":"sort/n=10","title":"sort/n=10"}"#).unwrap();
    }
    std::fs::create_dir_all(root.join("report")).unwrap();
    root
}

#[test]
fn criterion_directories_and_baselines() {
    let two = criterion_dir("two", &[("base", 100.0), ("new", 130.0)]);
    let p = two.to_str().unwrap();
    let out = canary(&["compare", "--old", p, "--new", p], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("several saved baselines (base, new)"),
        "{}",
        stderr(&out)
    );
    let out = canary(
        &[
            "compare",
            "--old",
            p,
            "--new",
            p,
            "--old-baseline",
            "base",
            "--new-baseline",
            "new",
        ],
        None,
    );
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("sort/n=10"), "{}", stdout(&out));
    let out = canary(
        &["compare", "--old", p, "--new", p, "--baseline", "base"],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = canary(
        &["compare", "--old", p, "--new", p, "--baseline", "nope"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("found: base, new"),
        "{}",
        stderr(&out)
    );
    let one = criterion_dir("one", &[("new", 100.0)]);
    let out = canary(
        &[
            "compare",
            "--old",
            one.to_str().unwrap(),
            "--new",
            p,
            "--new-baseline",
            "new",
        ],
        None,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn several_runs_a_side_compare_one_median_per_run() {
    // Six interleaved runs a side; old at 100 ns, new at 110 ns, one new run disturbed (+60%).
    let mut runs: Vec<(String, f64)> = Vec::new();
    for k in 1..=6 {
        runs.push((format!("old-{k}"), 100.0 + k as f64 * 0.3));
        let t = if k == 3 {
            176.0
        } else {
            110.0 + k as f64 * 0.3
        };
        runs.push((format!("new-{k}"), t));
    }
    let refs: Vec<(&str, f64)> = runs.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let dir = criterion_dir("runs", &refs);
    let p = dir.to_str().unwrap();
    let list = |side: &str| {
        (1..=6)
            .map(|k| format!("{side}-{k}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let (old, new) = (list("old"), list("new"));
    let args = [
        "compare",
        "--old",
        p,
        "--new",
        p,
        "--old-baseline",
        &old,
        "--new-baseline",
        &new,
        "--json",
    ];
    let out = canary(&args, None);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let b = &v["benchmarks"][0];
    // One value per run, not the 20 samples of each.
    assert_eq!(
        (b["n_old"].as_u64(), b["n_new"].as_u64()),
        (Some(6), Some(6))
    );
    assert_eq!(b["verdict"], "slower");
    let mut with_drop = args.to_vec();
    with_drop.extend(["--drop-disturbed", "0.10"]);
    let out = canary(&with_drop, None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let b = &v["benchmarks"][0];
    assert_eq!(
        (b["dropped_old"].as_u64(), b["dropped_new"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(b["n_new"].as_u64(), Some(5));
    // A/A over runs: old against old, the table notes nothing left out.
    let out = canary(
        &[
            "compare",
            "--old",
            p,
            "--new",
            p,
            "--old-baseline",
            &old,
            "--new-baseline",
            &old,
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = canary(
        &[
            "compare",
            "--old",
            p,
            "--new",
            p,
            "--baseline",
            "old-1,,old-2",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("empty or repeated name"),
        "{}",
        stderr(&out)
    );
    let out = canary(
        &[
            "compare",
            "--old",
            p,
            "--new",
            p,
            "--baseline",
            "old-1,old-1",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("repeated"), "{}", stderr(&out));
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let good = temp_file("ok.txt", &go_text(100.0, 50_000.0, 5));
    let bad = temp_file("bad.txt", "BenchmarkX-2 10 abc ns/op\n");
    let out = canary(
        &[
            "compare",
            "--old",
            good.to_str().unwrap(),
            "--new",
            bad.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("bad.txt") && stderr(&out).contains("X-2"),
        "{}",
        stderr(&out)
    );
    let json = temp_file("bad.json", "{\"benchmarks\": 3}");
    let out = canary(
        &[
            "compare",
            "--old",
            good.to_str().unwrap(),
            "--new",
            json.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    let out = canary(
        &[
            "compare",
            "--old",
            good.to_str().unwrap(),
            "--new",
            "/nonexistent/x",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    let out = canary(
        &[
            "compare",
            "--old",
            good.to_str().unwrap(),
            "--new",
            good.to_str().unwrap(),
            "--margin",
            "-1",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
}
