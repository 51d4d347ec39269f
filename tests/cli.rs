//! The binary as a user runs it: validate, list, and a full virtual-lab run whose outputs must never
//! contain a fixture secret.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mynacert"));
    c.arg("--root").arg(env!("CARGO_MANIFEST_DIR"));
    c
}

fn fixture_secrets() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/identities");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for line in text.lines() {
            let t = line.trim();
            for key in ["auth_pin:", "sign_password:"] {
                if let Some(v) = t.strip_prefix(key) {
                    out.push(v.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    assert!(
        out.len() >= 8,
        "expected the identities' PINs and passwords, found {}",
        out.len()
    );
    out
}

/// Whether `secret` occurs in `text`. A short all-digit PIN only counts as a token of its own (not inside
/// a hex serial, a number or a timestamp), so that `7391` inside `AB7391CD` is not taken for a leak.
fn leaks(text: &str, secret: &str) -> bool {
    if secret.len() > 5 || !secret.chars().all(|c| c.is_ascii_digit()) {
        return text.contains(secret);
    }
    let b = text.as_bytes();
    let glued = |c: u8| c.is_ascii_alphanumeric() || c == b'.';
    text.match_indices(secret).any(|(i, _)| {
        let before = i.checked_sub(1).and_then(|j| b.get(j)).copied();
        let after = b.get(i + secret.len()).copied();
        !before.is_some_and(glued) && !after.is_some_and(glued)
    })
}

#[test]
fn leak_check_sees_tokens_not_substrings() {
    assert!(leaks("pin=7391 typed", "7391"));
    assert!(leaks("\"7391\"", "7391"));
    assert!(!leaks("serial AB7391CD", "7391"));
    assert!(!leaks("took 17391.5 ms", "7391"));
    assert!(leaks("x PHONESIGN58 y", "PHONESIGN58"));
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn validate_points_at_a_misspelt_step_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.yaml");
    std::fs::write(
        &path,
        "suite: typo\ntitle: Typo\nscenarios:\n  - id: one\n    title: One\n    rules: [R1]\n    roles:\n      phone: { phone: {} }\n      holder: { identity: { fixture: taro } }\n    steps:\n      - provison: { on: phone, identity: holder }\n",
    )
    .unwrap();
    let out = bin().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("typo.yaml:11:"),
        "no file:line:column in: {stderr}"
    );
    assert!(stderr.contains("provision"), "no suggestion in: {stderr}");
}

#[test]
fn shipped_files_validate_and_list() {
    let out = bin().arg("validate").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin().arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for rule in ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9"] {
        assert!(text.contains(rule), "list does not mention {rule}");
    }
}

#[test]
fn full_run_gives_per_model_verdicts_and_never_prints_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("run")
        .arg("--verbose")
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // The shipped fleet holds defective models on purpose: exit 1, and every verdict as predicted.
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    for code in ["KM-51A", "HX-22B", "TK-10", "KZ-30C", "NM-07", "YK-55"] {
        assert!(stdout.contains(code), "table lacks {code}:\n{stdout}");
    }
    assert!(
        stdout.contains("6 of 6 model verdicts as their profiles predict"),
        "{stdout}"
    );
    let mut files = Vec::new();
    files_under(dir.path(), &mut files);
    assert!(files.iter().any(|f| f.ends_with("results.json")));
    let mut everything = stdout.clone() + &stderr;
    for f in &files {
        everything.push_str(&String::from_utf8_lossy(&std::fs::read(f).unwrap()));
    }
    for s in fixture_secrets() {
        assert!(
            !leaks(&everything, &s),
            "a fixture secret appears in the run's output"
        );
    }
}

/// A copy of the project's suites, devices and fixtures in a temporary directory (to alter files).
fn project_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let dest = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy(&p, &dest);
            } else {
                std::fs::copy(&p, &dest).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for d in ["suites", "devices", "fixtures"] {
        copy(&root.join(d), &dir.path().join(d));
    }
    dir
}

#[test]
fn a_failing_scenario_outside_the_certification_set_fails_the_run_and_shows_in_the_table() {
    let project = project_copy();
    let cert = project.path().join("suites/certification.yaml");
    let text = std::fs::read_to_string(&cert).unwrap();
    let without = text.replace("  - provisioning/issue-both\n", "");
    assert_ne!(text, without, "the scenario was in the certification set");
    std::fs::write(&cert, without).unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    // kaze-kz30c writes a typed password to logcat: every scenario on it fails R9.
    let out = Command::new(env!("CARGO_BIN_EXE_mynacert"))
        .arg("--root")
        .arg(project.path())
        .args([
            "run",
            "--no-progress",
            "--scenario",
            "provisioning/issue-both",
        ])
        .args(["--model", "kaze-kz30c", "--out"])
        .arg(out_dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("KZ-30C"))
        .unwrap_or_else(|| panic!("a KZ-30C row: {stdout}"));
    assert!(
        row.contains("partial run") && !row.contains("not run"),
        "{row}"
    );
    let counts: Vec<&str> = row.split_whitespace().collect();
    assert!(
        counts.windows(4).any(|w| w == ["0", "1", "0", "0"]),
        "pass 0, fail 1, err 0, skip 0: {row}"
    );
    assert!(
        stdout.contains("exit 1: conformance failures found"),
        "{stdout}"
    );
}

#[test]
fn every_execution_keeps_its_number_and_models_are_listed_by_model_code() {
    let out_dir = tempfile::tempdir().unwrap();
    // kaze-kz30c (KZ-30C) sorts before kumo-km51a (KM-51A) by profile id, after it by model code; each
    // supported model skips one biometrics scenario.
    let out = bin()
        .args([
            "run",
            "--no-progress",
            "--model",
            "kaze-kz30c",
            "--model",
            "kumo-km51a",
        ])
        .args(["--tag", "biometrics", "--out"])
        .arg(out_dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let numbers: Vec<(usize, usize)> = stderr
        .lines()
        .filter_map(|l| {
            let inner = l.strip_prefix('[')?.split(']').next()?;
            let (n, total) = inner.split_once('/')?;
            Some((n.trim().parse().ok()?, total.trim().parse().ok()?))
        })
        .collect();
    let total = numbers.first().map(|n| n.1).unwrap_or(0);
    assert!(total >= 4, "{stderr}");
    assert_eq!(
        numbers.iter().map(|n| n.0).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>(),
        "every execution numbered, skips included:\n{stderr}"
    );
    assert!(
        stderr.contains("skip "),
        "skips are shown with their reason: {stderr}"
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("KM-51A") || l.starts_with("KZ-30C"))
        .map(|l| &l[..6])
        .collect();
    assert_eq!(rows, ["KM-51A", "KZ-30C"], "{stdout}");
}
