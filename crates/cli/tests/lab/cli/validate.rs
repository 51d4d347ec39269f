//! `validate` finds every problem: unknown identities, every misspelt key in one run, clashes with the
//! project, typed messages, carriers, duplicate profiles and serials, literal secrets.

use super::*;

#[test]
fn validate_and_list_refuse_an_unknown_identity_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "goro.yaml",
        &one_scenario(
            "goro",
            "[R1]",
            "goro",
            "provision: { on: phone, identity: holder }",
        ),
    );
    let (code, _, err) = validate_files(&project(), &[&f]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("goro.yaml:9:38: unknown identity fixture `goro`"),
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
        "identities: [taro, hanako, jiro, sakura]",
        "identities: [taro, hanako, jiro, sakura]\nunits:\n  - { serial: R5CT1, profile: hoshi-hx22b, carrier: softbnk }",
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
    let run = crate::common::the_run_dir(&reports);
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
