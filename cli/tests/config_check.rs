//! `canary config check` on Kayenta's own sample and test configs (copied verbatim from
//! spinnaker/kayenta into `fixtures/kayenta/configs/`, whose README cites each file's path):
//! every file loads (exit 0) with the library's warnings printed first, except Kayenta's
//! `duplicated-metric-name.json`, which Kayenta refuses and the command refuses with exit 2.

mod common;
use common::*;

use canary_analysis::judge::config::CanaryConfig;

#[test]
fn kayenta_configs() {
    let dir = root().join("fixtures/kayenta/configs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected Kayenta's configs in {}",
        dir.display()
    );
    let mut refused = 0;
    let mut with_warnings = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let out = canary(&["config", "check", path.to_str().unwrap()], None);
        if name.contains("duplicated-metric-name") {
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
    assert_eq!(
        refused, 1,
        "duplicated-metric-name.json is among the fixtures"
    );
    assert!(
        with_warnings > 0,
        "some of Kayenta's configs rely on its fallbacks"
    );
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
