//! `--help`, `--version` and usage errors.

mod common;
use common::*;

#[test]
fn help_and_version_exit_zero() {
    for args in [
        &["--help"][..],
        &["--version"][..],
        &["judge", "--help"][..],
        &["monitor", "--help"][..],
        &["config", "check", "--help"][..],
    ] {
        let out = canary(args, None);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let help = stdout(&canary(&["judge", "--help"], None));
    // The documented threshold fallback and exit codes.
    assert!(help.contains("else 95 (pass) and 75 (marginal)"), "{help}");
    assert!(
        help.contains("0 Pass; 1 Marginal or Fail; 2 bad input"),
        "{help}"
    );
    let version = stdout(&canary(&["--version"], None));
    assert!(version.starts_with("canary "), "{version}");
}

#[test]
fn usage_errors_exit_two_with_the_usage() {
    for args in [
        &["--bogus"][..],
        &["judge", "--bogus"][..],
        &["judge", "--config", "c.json"][..], // no data source
        &[
            "judge", "--config", "c.json", "--pairs", "p.json", "--pass", "90",
        ][..], // no --marginal
        &[
            "judge", "--config", "c.json", "--pairs", "p.json", "--mode", "fast",
        ][..],
        &["monitor", "--look-every", "x"][..],
        &["nope"][..],
        &[][..],
    ] {
        let out = canary(args, None);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        // Unknown and missing arguments print the usage; a bad value says which and why.
        assert!(
            err.contains("Usage:") || err.contains("invalid value"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_unknown_flag_prints_the_usage() {
    for args in [
        &["--bogus"][..],
        &["judge", "--bogus"][..],
        &["monitor", "-x"][..],
    ] {
        let out = canary(args, None);
        assert_eq!(code(&out), 2, "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("unexpected argument") && err.contains("Usage: canary"),
            "{err}"
        );
    }
}
