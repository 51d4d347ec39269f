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

// ---- validate finds every problem

fn bin_at(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mynacert"));
    c.arg("--root").arg(root);
    c
}

fn copy_dir(from: &Path, to: &Path) {
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
fn project_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = crate::common::root();
    for d in ["suites", "devices", "fixtures"] {
        copy_dir(&root.join(d), &dir.path().join(d));
    }
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Runs `validate` on the given files (with the real project as context); exit code, stdout, stderr.
fn validate_files(root: &Path, files: &[&Path]) -> (Option<i32>, String, String) {
    let out = bin_at(root).arg("validate").args(files).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn project() -> PathBuf {
    crate::common::root()
}

/// A one-scenario suite with `roles` and `steps` lines spliced in.
fn one_scenario(suite: &str, rules: &str, fixture: &str, step: &str) -> String {
    format!(
        "suite: {suite}\ntitle: T\nscenarios:\n  - id: one\n    title: One\n    rules: {rules}\n    roles:\n      phone: {{ phone: {{}} }}\n      holder: {{ identity: {{ fixture: {fixture} }} }}\n    steps:\n      - {step}\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn validate_and_list_refuse_an_unknown_identity_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "jiro.yaml",
        &one_scenario(
            "jiro",
            "[R1]",
            "jiro",
            "provision: { on: phone, identity: holder }",
        ),
    );
    let (code, _, err) = validate_files(&project(), &[&f]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("jiro.yaml:9:38: unknown identity fixture `jiro`"),
        "{err}"
    );
    assert!(err.contains("1 file(s) checked, 1 problem(s)"), "{err}");
    let out = bin().arg("list").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn without_identity_fixtures_validate_fails_instead_of_checking_none() {
    let copy = project_copy();
    for e in std::fs::read_dir(copy.path().join("fixtures/identities")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    let out = bin_at(copy.path()).arg("validate").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no identity fixture (*.yaml) here"), "{err}");
}

#[test]
fn three_misspelt_keys_are_three_problems_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = one_scenario(
        "typos",
        "[R1]",
        "taro",
        "provision: { on: phone, identiy: holder }",
    )
    .replace("title: T\n", "titel: T\n")
    .replace("    title: One", "    titl: One");
    let f = write(dir.path(), "typos.yaml", &text);
    let (code, _, err) = validate_files(&project(), &[&f]);
    assert_eq!(code, Some(2), "{err}");
    for (at, suggestion) in [("2:1", "title"), ("5:5", "title"), ("11:33", "identity")] {
        assert!(
            err.contains(&format!("typos.yaml:{at}: unknown key")),
            "{at} in {err}"
        );
        assert!(
            err.contains(&format!("did you mean `{suggestion}`?")),
            "{err}"
        );
    }
    assert!(err.contains("1 file(s) checked, 3 problem(s)"), "{err}");
}

#[test]
fn a_new_file_may_not_reuse_a_project_suite_id_but_a_project_file_is_not_its_own_clash() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "mine.yaml",
        &one_scenario("revocation", "[R4]", "taro", "install-app: { on: phone }"),
    );
    let (code, _, err) = validate_files(&project(), &[&f]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("mine.yaml:1:8: suite id `revocation` is already taken by")
            && err.contains("suites/revocation.yaml:2:8"),
        "{err}"
    );
    let own = project().join("suites/revocation.yaml");
    let (code, out, err) = validate_files(&project(), &[&own]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("1 file(s) valid"), "{out}");
}

#[test]
fn type_errors_empty_files_and_missing_keys_say_what_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "rules.yaml",
        &one_scenario("r", "R4", "taro", "install-app: { on: phone }"),
    );
    let empty = write(dir.path(), "empty.yaml", "# to do\n");
    let target = write(
        dir.path(),
        "target.yaml",
        &one_scenario(
            "t",
            "[R5]",
            "taro",
            "revoke-other: { on: phone, identity: holder }",
        ),
    );
    let (code, _, err) = validate_files(&project(), &[&rules, &empty, &target]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("rules.yaml:6:12: `rules` is a list, e.g. `[R4]`"),
        "{err}"
    );
    assert!(
        err.contains("empty.yaml:1:1: empty file: a suite needs at least `suite:`")
            && err.contains("`title:` and `scenarios:`"),
        "{err}"
    );
    assert!(
        err.contains("target.yaml:11:23: missing key `target`"),
        "{err}"
    );
    assert!(
        err.contains("hint: `target` is the other phone role"),
        "{err}"
    );
    assert!(err.contains("3 file(s) checked, 3 problem(s)"), "{err}");
}

#[test]
fn unknown_carriers_in_profiles_and_lab_files_are_refused_with_suggestions() {
    let copy = project_copy();
    edit(
        &copy.path().join("devices/models/kumo-km51a.yaml"),
        "carriers: [docomo, au]",
        "carriers: [docmo, \"Softbank \"]",
    );
    edit(
        &copy.path().join("devices/lab.yaml"),
        "identities: [taro, hanako]",
        "identities: [taro, hanako]\nunits:\n  - { serial: R5CT1, profile: hoshi-hx22b, carrier: softbnk }",
    );
    let out = bin_at(copy.path()).arg("validate").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("kumo-km51a.yaml:6:12: unknown carrier `docmo`"),
        "{err}"
    );
    assert!(err.contains("did you mean `docomo`?"), "{err}");
    assert!(
        err.contains("kumo-km51a.yaml:6:19: unknown carrier `Softbank `"),
        "{err}"
    );
    assert!(err.contains("did you mean `softbank`?"), "{err}");
    assert!(
        err.contains("lab.yaml:9:53: unit `R5CT1`: unknown carrier `softbnk`"),
        "{err}"
    );
    assert!(err.contains("3 problem(s)"), "{err}");
}

#[test]
fn a_second_profile_for_the_same_model_code_and_carrier_is_refused_by_validate_and_run() {
    let copy = project_copy();
    let models = copy.path().join("devices/models");
    let text = std::fs::read_to_string(models.join("kumo-km51a.yaml")).unwrap();
    let twin = write(
        &models,
        "kumo-km51b.yaml",
        &text.replace("id: kumo-km51a", "id: kumo-km51b"),
    );
    let (code, _, err) = validate_files(copy.path(), &[&twin]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("kumo-km51b.yaml:5:13: model code `KM-51A` on docomo, au is already profile `kumo-km51a` (")
            && err.contains("kumo-km51a.yaml:5:13)"),
        "{err}"
    );
    let out = bin_at(copy.path())
        .args(["run", "--model", "kumo-km51a", "--out"])
        .arg(copy.path().join("reports"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("model code `KM-51A` on docomo, au is already profile"),
        "{err}"
    );
}

#[test]
fn a_lab_file_listing_a_serial_twice_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "bench.yaml",
        "lab: b\nkind: bench\nreference_model: kumo-km51a\nidentities: [taro]\nunits:\n  - { serial: R5CT1, profile: kumo-km51a, carrier: docomo }\n  - { serial: R5CT1, profile: kumo-km51a, carrier: au }\n",
    );
    let (code, _, err) = validate_files(&project(), &[&f]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("bench.yaml:7:15: unit serial `R5CT1` is listed twice (first at")
            && err.contains("bench.yaml:6:15)"),
        "{err}"
    );
}

#[test]
fn a_literal_password_is_a_warning_and_is_redacted_in_the_run_directory() {
    let copy = project_copy();
    let suite = copy.path().join("suites/revocation.yaml");
    edit(
        &suite,
        "password: \"${holder.card_sign_password}\"",
        "password: WRONG123",
    );
    let out = bin_at(copy.path()).arg("validate").output().unwrap();
    let (stdout, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("revocation.yaml:58:79: warning: literal secret in `password`"),
        "{err}"
    );
    assert!(!err.contains("WRONG123"), "{err}");
    assert!(stdout.contains("file(s) valid, 1 warning(s)"), "{stdout}");

    let reports = copy.path().join("reports");
    let out = bin_at(copy.path())
        .args([
            "run",
            "--model",
            "kumo-km51a",
            "--scenario",
            "revocation/revoke-wrong-password",
            "--out",
        ])
        .arg(&reports)
        .output()
        .unwrap();
    // One scenario of the certification set is a partial run: it passed, so the run exits 0.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("pass  revocation/revoke-wrong-password"),
        "{err}"
    );
    assert!(
        !err.contains("fail  ") && !err.contains("WRONG123"),
        "{err}"
    );
    let run = std::fs::read_dir(&reports)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let original = std::fs::read(&suite).unwrap();
    let copied = std::fs::read_to_string(run.join("suites/revocation.yaml")).unwrap();
    assert!(!copied.contains("WRONG123"));
    assert!(
        copied.contains("password: \"<redacted>\", expect-error: wrong-password"),
        "{copied}"
    );
    assert_eq!(
        copied.lines().count(),
        String::from_utf8_lossy(&original).lines().count()
    );
    // The journal's digest is the original file's.
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    let header: serde_json::Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    let digest = header["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "revocation")
        .unwrap()["digest"]
        .clone();
    use sha2::Digest;
    assert_eq!(digest, hex::encode(sha2::Sha256::digest(&original)));
    let mut files = Vec::new();
    files_under(&run, &mut files);
    for f in files {
        assert!(
            !String::from_utf8_lossy(&std::fs::read(&f).unwrap()).contains("WRONG123"),
            "{} holds the literal password",
            f.display()
        );
    }
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

// ---- run what you wrote, where it lies

#[test]
fn a_suite_and_a_model_profile_outside_the_project_run_as_they_lie() {
    let mine = tempfile::tempdir().unwrap();
    // Two suite files of the same file name in two directories, and a new model's profile.
    let a = mine.path().join("a");
    let b = mine.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let step = "provision: { on: phone, identity: holder }";
    write(
        &a,
        "extra.yaml",
        &one_scenario("carrier-extra", "[R1]", "taro", step),
    );
    write(
        &b,
        "extra.yaml",
        &one_scenario("carrier-more", "[R1]", "taro", step),
    );
    let models = mine.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let kumo = std::fs::read_to_string(project().join("devices/models/kumo-km51a.yaml")).unwrap();
    let new_model = kumo
        .replace("id: kumo-km51a", "id: kumo-km52a")
        .replace("model_code: KM-51A", "model_code: KM-52A")
        .replace("carriers: [docomo, au]", "carriers: [docomo]");
    write(&models, "kumo-km52a.yaml", &new_model);

    let out_dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["run", "--no-progress", "--model", "kumo-km52a"])
        .arg("--suite")
        .arg(&a)
        .arg("--suite")
        .arg(b.join("extra.yaml"))
        .arg("--devices")
        .arg(&models)
        .arg("--out")
        .arg(out_dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("running 2 scenario executions"), "{stderr}");
    for id in ["carrier-extra/one", "carrier-more/one"] {
        assert!(stderr.contains(&format!("pass  {id}")), "{stderr}");
    }
    let row = stdout
        .lines()
        .find(|l| l.starts_with("KM-52A"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(row.contains("partial run"), "{row}");
    // Both files are in the run directory, neither overwriting the other.
    let run = std::fs::read_dir(out_dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let copies: Vec<String> = std::fs::read_dir(run.join("suites"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for id in ["suite: carrier-extra", "suite: carrier-more"] {
        assert!(copies.iter().any(|c| c.starts_with(id)), "{id} copied");
    }
}

#[test]
fn a_lab_file_elsewhere_names_its_profiles_and_a_bad_path_is_shown_at_its_line() {
    let mine = tempfile::tempdir().unwrap();
    let models = mine.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let kumo = std::fs::read_to_string(project().join("devices/models/kumo-km51a.yaml")).unwrap();
    write(
        &models,
        "kumo-km52a.yaml",
        &kumo
            .replace("id: kumo-km51a", "id: kumo-km52a")
            .replace("model_code: KM-51A", "model_code: KM-52A"),
    );
    let lab = write(
        mine.path(),
        "lab.yaml",
        "lab: my-lab\nkind: virtual\nreference_model: kumo-km51a\nidentities: [taro, hanako]\nprofiles:\n  - models\n",
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "run",
            "--no-progress",
            "--model",
            "kumo-km52a",
            "--tag",
            "happy-path",
        ])
        .arg("--lab")
        .arg(&lab)
        .arg("--out")
        .arg(out_dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("pass  provisioning/issue-both") && stderr.contains("kumo-km52a"),
        "{stderr}"
    );

    let bad = write(
        mine.path(),
        "bad-lab.yaml",
        "lab: my-lab\nkind: virtual\nreference_model: kumo-km51a\nidentities: [taro]\nprofiles:\n  - models\n  - no-such-dir\n",
    );
    let out = bin().args(["run", "--lab"]).arg(&bad).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad-lab.yaml:7:5: profiles: `no-such-dir` does not exist"),
        "{stderr}"
    );
    let (code, _, err) = validate_files(&project(), &[&bad]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bad-lab.yaml:7:5"), "{err}");
}
