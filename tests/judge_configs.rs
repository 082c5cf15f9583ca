//! Kayenta canary configs load as Kayenta reads them, and config validation says what is wrong.
//!
//! Two sets (see `fixtures/kayenta/configs/README.md`): configs written for this project in
//! Kayenta's format (`fixtures/kayenta/configs`; a `refused-*` file must be refused), and
//! Kayenta's own sample and test configs, read from `$KAYENTA_CONFIGS` or from
//! `shared/kayenta/configs` beside the checkout when present (copies of another project's files
//! are not committed here).

mod judge_support;

use std::path::{Path, PathBuf};

use canary_analysis::judge::config::Warning;
use canary_analysis::prelude::*;
use judge_support::pair;

/// Kayenta's own files it refuses, with the text our error must contain.
const REFUSED: &[(&str, &str)] = &[("duplicated-metric-name.json", "'mem' is duplicated.")];

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Kayenta's own configs, if a copy is available outside the repository.
fn kayenta_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("KAYENTA_CONFIGS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/kayenta/configs"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "note: no copy of Kayenta's own configs at {} (set KAYENTA_CONFIGS); \
             only fixtures/kayenta/configs is checked",
            dir.display()
        );
        None
    }
}

/// `Some(text)` when `name` must be refused with an error containing `text`.
fn expected_refusal(name: &str) -> Option<&'static str> {
    if name.starts_with("refused-") {
        return Some("is duplicated.");
    }
    REFUSED
        .iter()
        .find(|(f, _)| name.ends_with(f))
        .map(|(_, want)| *want)
}

fn check_folder(dir: &Path, min_files: usize) {
    let files = json_files(dir);
    assert!(
        files.len() >= min_files,
        "{} files in {}",
        files.len(),
        dir.display()
    );
    let mut failures = Vec::new();
    let t = Thresholds::new(95.0, 75.0).unwrap();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let got = CanaryConfig::from_json(&text);
        match (expected_refusal(&name), got) {
            (None, Ok(cfg)) => {
                // It judges: every metric without a pair is Nodata, under both judges.
                let k = KayentaJudge::new(cfg.clone(), t)
                    .unwrap()
                    .judge(&[])
                    .unwrap();
                assert_eq!(k.metrics().len(), cfg.metrics().len(), "{name}");
                if let Ok(d) = DefaultJudge::new(cfg.clone(), t) {
                    assert_eq!(d.judge(&[]).unwrap().metrics().len(), cfg.metrics().len());
                }
                // And survives a round trip through its canonical spelling.
                let json = serde_json::to_string(&cfg).unwrap();
                let back = CanaryConfig::from_json(&json).unwrap();
                assert_eq!(back.metrics(), cfg.metrics(), "{name}");
            }
            (None, Err(e)) => failures.push(format!("{name}: refused: {e}")),
            (Some(want), Err(e)) => {
                if !e.to_string().contains(want) {
                    failures.push(format!("{name}: refused, but with `{e}` (want `{want}`)"));
                }
            }
            (Some(_), Ok(_)) => failures.push(format!("{name}: loaded, but Kayenta refuses it")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn configs_in_kayentas_format_load_or_are_refused_as_kayenta_does() {
    check_folder(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kayenta/configs"),
        5,
    );
}

#[test]
fn kayentas_own_configs_load_or_are_refused_as_kayenta_does() {
    if let Some(dir) = kayenta_dir() {
        check_folder(&dir, 1);
    }
}

#[test]
fn a_numeric_config_version_reads_as_jackson_reads_it() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/kayenta/configs/number-version-atlas.json"
    ))
    .unwrap();
    let cfg = CanaryConfig::from_json(&text).unwrap();
    // `"configVersion": 1.0` is a number in this file.
    assert_eq!(cfg.config_version(), Some("1.0"));
    assert_eq!(cfg.metrics().len(), 3);
    assert_eq!(
        cfg.score_thresholds(),
        Some(Thresholds::new(90.0, 70.0).unwrap())
    );
    // system and traffic weigh 40 and 60; overview and jvm share what is left: nothing.
    let w = cfg.group_weights();
    assert_eq!(
        (w["system"], w["traffic"], w["overview"], w["jvm"]),
        (40.0, 60.0, 0.0, 0.0)
    );
}

#[test]
fn kayentas_judge_test_config_reads_as_kayenta_reads_it() {
    let Some(path) = kayenta_dir()
        .map(|d| d.join("kayenta-judge--test-config.json"))
        .filter(|p| p.is_file())
    else {
        return;
    };
    let cfg = CanaryConfig::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cfg.config_version(), Some("1.0"));
    assert_eq!(cfg.metrics().len(), 3);
    let w = cfg.group_weights();
    assert_eq!(
        (w["requests"], w["system"], w["example"], w["bar"]),
        (50.0, 50.0, 0.0, 0.0)
    );
}

#[test]
fn fallbacks_are_warnings_in_the_result_and_the_report() {
    let cfg = CanaryConfig::from_json(
        r#"{"metrics": [{"name": "m", "groups": ["g"],
            "analysisConfigurations": {"canary": {"nanStrategy": "zero"}}}],
            "classifier": {"groupWeights": {"g": 80, "gone": 20}}}"#,
    )
    .unwrap();
    assert_eq!(cfg.warnings().len(), 2);
    let t = Thresholds::new(95.0, 75.0).unwrap();
    let b: Vec<f64> = (0..20).map(|i| i as f64).collect();
    let pairs = [pair("m", &b, &b)];
    for r in [
        KayentaJudge::new(cfg.clone(), t)
            .unwrap()
            .judge(&pairs)
            .unwrap(),
        DefaultJudge::new(cfg.clone(), t)
            .unwrap()
            .judge(&pairs)
            .unwrap(),
    ] {
        assert_eq!(r.warnings(), cfg.warnings());
        assert_eq!(r.warnings.len(), 2);
        assert!(r.warnings[0].contains("nanStrategy: unknown value `zero`, read as `remove`"));
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["warnings"].is_array() && json["warningDetails"].is_array());
        let html = canary_analysis::judge::report::render_html(&r, &pairs);
        assert!(
            html.contains("Warnings") && html.contains("gone"),
            "report lists warnings"
        );
    }
    // No warnings: the field is absent.
    let clean =
        CanaryConfig::from_json(r#"{"metrics": [{"name": "m", "groups": ["g"]}]}"#).unwrap();
    let r = KayentaJudge::new(clean, t).unwrap().judge(&pairs).unwrap();
    assert!(serde_json::to_value(&r).unwrap().get("warnings").is_none());
    assert!(matches!(
        cfg.warnings()[1],
        Warning::UnusedGroupWeight { ref group, weight } if group == "gone" && weight == 20.0
    ));
}

#[test]
fn thresholds_and_weights_say_what_is_wrong() {
    let cases: [(f64, f64, &str); 4] = [
        (0.95, 0.75, "0-100 scale"),
        (70.0, 75.0, "above the pass threshold"),
        (f64::INFINITY, 75.0, "between 0 and 100"),
        (95.0, -1.0, "between 0 and 100"),
    ];
    for (pass, marginal, want) in cases {
        let e = Thresholds::new(pass, marginal).unwrap_err().to_string();
        assert!(e.contains(want), "({pass}, {marginal}): {e}");
    }
    let m = |g: &str| format!(r#"{{"name": "m{g}", "groups": ["{g}"]}}"#);
    for (weights, want) in [
        (r#"{"a": 1e308, "b": 1e308}"#, "overflows"),
        (r#"{"a": 0, "b": 0}"#, "every group weighs 0"),
        (r#"{"a": -5, "b": 105}"#, "non-negative"),
    ] {
        let json = format!(
            r#"{{"metrics": [{}, {}], "classifier": {{"groupWeights": {weights}}}}}"#,
            m("a"),
            m("b")
        );
        let e = CanaryConfig::from_json(&json).unwrap_err().to_string();
        assert!(e.contains(want), "{weights}: {e}");
    }
    // Non-finite weights cannot be written in JSON but can be built in code.
    let metric = canary_analysis::judge::config::MetricConfig::new(
        "m",
        ["a"],
        canary_analysis::judge::config::MetricSettings::new(),
    )
    .unwrap();
    for w in [f64::NAN, f64::INFINITY] {
        assert!(CanaryConfig::new(vec![metric.clone()], [("a", w)]).is_err());
    }
}
