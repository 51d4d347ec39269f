//! `run`: exit codes over every scenario that ran, numbering and order, and running suites and profiles
//! where they lie.

use super::*;

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
    // A parallel run prints executions as they finish: each number once, skips included.
    let mut seen: Vec<usize> = numbers.iter().map(|n| n.0).collect();
    seen.sort();
    assert_eq!(
        seen,
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
    let run = crate::common::the_run_dir(out_dir.path());
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
