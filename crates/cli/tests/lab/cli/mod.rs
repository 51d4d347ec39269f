//! The binary as a user runs it: validate, list, and a full virtual-lab run whose outputs must never
//! contain a fixture secret.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mynacert"));
    c.arg("--root").arg(crate::common::root());
    c
}

fn fixture_secrets() -> Vec<String> {
    let dir = crate::common::root().join("fixtures/identities");
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

// ---- helpers of the validate and run tests (files altered in a copy of the project)

pub(super) fn bin_at(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mynacert"));
    c.arg("--root").arg(root);
    c
}

pub(super) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// A copy of the project's suites, devices and fixtures, to alter.
pub(super) fn project_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = crate::common::root();
    for d in ["suites", "devices", "fixtures"] {
        copy_dir(&root.join(d), &dir.path().join(d));
    }
    dir
}

pub(super) fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Runs `validate` on the given files (with the real project as context); exit code, stdout, stderr.
pub(super) fn validate_files(root: &Path, files: &[&Path]) -> (Option<i32>, String, String) {
    let out = bin_at(root).arg("validate").args(files).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(super) fn project() -> PathBuf {
    crate::common::root()
}

/// A one-scenario suite with `roles` and `steps` lines spliced in.
pub(super) fn one_scenario(suite: &str, rules: &str, fixture: &str, step: &str) -> String {
    format!(
        "suite: {suite}\ntitle: T\nscenarios:\n  - id: one\n    title: One\n    rules: {rules}\n    roles:\n      phone: {{ phone: {{}} }}\n      holder: {{ identity: {{ fixture: {fixture} }} }}\n    steps:\n      - {step}\n"
    )
}

pub(super) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A run directory's results.json.
pub(super) fn results(run_dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(run_dir.join("results.json")).unwrap()).unwrap()
}

/// "scenario model unit" → status, each execution once.
pub(super) fn statuses(r: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    let list = r["scenarios"].as_array().unwrap();
    let map: std::collections::BTreeMap<String, String> = list
        .iter()
        .map(|s| {
            (
                format!("{} {} {}", s["scenario"], s["model"], s["unit"]),
                s["status"].to_string(),
            )
        })
        .collect();
    assert_eq!(map.len(), list.len(), "an execution is listed twice");
    map
}

mod card_safety;
mod chaos;
mod partition;
mod resume;
mod run;
mod store;
mod validate;
