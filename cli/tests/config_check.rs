//! `canary config check` on Kayenta canary configs: the configs written here in Kayenta's format
//! (`fixtures/kayenta/configs/`) and, when a copy is available outside the repository
//! (`$KAYENTA_CONFIGS`, else `shared/kayenta/configs` beside the checkout), Kayenta's own sample
//! and test configs (paths listed in `fixtures/kayenta/configs/README.md`). Every file loads
//! (exit 0) with the library's warnings printed first, except the duplicated-metric-name
//! configs, which Kayenta refuses and the command refuses with exit 2.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use canary_analysis::judge::config::CanaryConfig;

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Checks every config in `dir`; returns (refused, with warnings).
fn check_folder(dir: &Path) -> (usize, usize) {
    let mut refused = 0;
    let mut with_warnings = 0;
    for path in &json_files(dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let out = canary(&["config", "check", path.to_str().unwrap()], None);
        if name.contains("duplicated-metric-name") || name.starts_with("refused-") {
            refused += 1;
            assert_eq!(code(&out), 2, "{name}: {}", stdout(&out));
            assert!(
                stderr(&out).contains("duplicate") || stderr(&out).contains("Duplicate"),
                "{name}: {}",
                stderr(&out)
            );
            continue;
        }
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let text = std::fs::read_to_string(path).unwrap();
        let cfg = CanaryConfig::from_json(&text).unwrap();
        let want: Vec<String> = cfg
            .warnings()
            .iter()
            .map(|w| format!("warning: {w}"))
            .collect();
        let got: Vec<String> = stdout(&out)
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .map(str::to_owned)
            .collect();
        // The library's warnings first, in its order; then the command's own (query fields
        // Kayenta's builder ignores, query types --prometheus cannot run, an unused judge name).
        assert!(got.len() >= want.len(), "{name}: {got:?}");
        assert_eq!(got[..want.len()], want[..], "{name}");
        if !want.is_empty() {
            with_warnings += 1;
        }
    }
    (refused, with_warnings)
}

#[test]
fn configs_in_kayentas_format() {
    let (refused, with_warnings) = check_folder(&root().join("fixtures/kayenta/configs"));
    assert_eq!(refused, 1, "one refused-* config among the fixtures");
    assert!(
        with_warnings > 0,
        "some fixtures rely on Kayenta's fallbacks"
    );
}

#[test]
fn kayentas_own_configs() {
    let dir = std::env::var_os("KAYENTA_CONFIGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/kayenta/configs"));
    if !dir.is_dir() {
        eprintln!(
            "note: no copy of Kayenta's own configs at {} (set KAYENTA_CONFIGS)",
            dir.display()
        );
        return;
    }
    let (refused, _) = check_folder(&dir);
    assert!(refused <= 1, "only duplicated-metric-name.json is refused");
}

#[test]
fn unusable_configs_exit_two_with_the_reason() {
    for (i, (text, why)) in [("{", "invalid JSON"), (r#"{"metrics": []}"#, "no metrics")]
        .iter()
        .enumerate()
    {
        let p = temp_file(&format!("unusable-{i}.json"), text);
        let out = canary(&["config", "check", p.to_str().unwrap()], None);
        assert_eq!(code(&out), 2, "{text}");
        assert!(stderr(&out).contains(why), "{text}: {}", stderr(&out));
    }
    let out = canary(&["config", "check", "/definitely/not/here.json"], None);
    assert_eq!(code(&out), 2);
}
