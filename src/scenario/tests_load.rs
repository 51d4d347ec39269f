//! Loader and validator tests on small YAML texts, and the shipped suites.

use super::error::LoadError;
use super::load::{load_paths, load_suite};
use super::validate::ValidationContext;
use rstest::rstest;
use std::path::{Path, PathBuf};

const STD_ROLES: &str = "      phone: { phone: { requires: [supported] } }\n      holder: { identity: { fixture: taro } }\n";
const TWO_PHONES: &str = "      phone: { phone: { requires: [supported] } }\n      holder: { identity: { fixture: taro } }\n      other: { phone: { model: reference } }\n";
const BAD_CAP: &str = "      phone: { phone: { requires: [supported, nfc_typeb] } }\n      holder: { identity: { fixture: taro } }\n";
const BAD_KIND: &str = "      phone: { fone: { requires: [supported] } }\n      holder: { identity: { fixture: taro } }\n";
const BAD_FIXTURE: &str = "      phone: { phone: { requires: [supported] } }\n      holder: { identity: { fixture: tarou } }\n";

/// A one-scenario suite; the roles start on line 8, the step under test is on line 12.
fn suite(roles: &str, step: &str) -> String {
    format!(
        "suite: t\ntitle: Test suite\nscenarios:\n  - id: one\n    title: One\n    rules: [R1]\n    roles:\n{roles}    steps:\n      - provision: {{ on: phone, identity: holder }}\n      {step}\n"
    )
}

fn ctx() -> ValidationContext {
    ValidationContext {
        identity_fixtures: Some(vec!["taro".into(), "hanako".into()]),
        project_suites: Vec::new(),
    }
}

/// Writes `text` to a temporary file and loads it alone.
fn load_one(text: &str) -> Vec<LoadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.yaml");
    std::fs::write(&path, text).unwrap();
    match load_paths(&[path], &ctx()) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    }
}

/// 1-based character column of `needle` on line `line` of `text`.
fn column_of(text: &str, line: usize, needle: &str) -> usize {
    let l = text.lines().nth(line - 1).unwrap();
    let byte = l
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not on line {line}: {l}"));
    l[..byte].chars().count() + 1
}

#[rstest]
#[case::misspelt_step(
    STD_ROLES,
    "- provison: { on: phone, identity: holder }",
    12,
    "provison",
    "unknown step `provison`",
    Some("did you mean `provision`?")
)]
#[case::unknown_key_in_step(
    STD_ROLES,
    "- provision: { on: phone, identiy: holder }",
    12,
    "identiy",
    "unknown key `identiy`",
    Some("did you mean `identity`?")
)]
#[case::misspelt_cert_kind(
    STD_ROLES,
    "- expect-se: { on: phone, holds: [sign, auht] }",
    12,
    "auht",
    "unknown certificate kind `auht`",
    Some("did you mean `auth`?")
)]
#[case::misspelt_role_kind(
    BAD_KIND,
    "- reboot: { on: phone }",
    8,
    "fone",
    "unknown role kind `fone`",
    Some("did you mean `phone`?")
)]
#[case::wrong_role_kind(
    STD_ROLES,
    "- reboot: { on: holder }",
    12,
    "holder",
    "`on` of `reboot` needs a phone role, but `holder` is an identity role",
    Some("phone roles here: phone")
)]
#[case::wrong_role_kind_identity(
    STD_ROLES,
    "- suspend: { identity: phone }",
    12,
    "phone",
    "needs a identity role, but `phone` is a phone role",
    Some("identity roles here: holder")
)]
#[case::unknown_role(
    STD_ROLES,
    "- reboot: { on: phon }",
    12,
    "phon",
    "unknown role `phon` in `on` of `reboot`",
    Some("did you mean `phone`?")
)]
#[case::unknown_capability(
    BAD_CAP,
    "- reboot: { on: phone }",
    8,
    "nfc_typeb",
    "unknown capability `nfc_typeb`",
    Some("did you mean `nfc_type_b`?")
)]
#[case::unknown_fixture(
    BAD_FIXTURE,
    "- reboot: { on: phone }",
    9,
    "tarou",
    "unknown identity fixture `tarou`",
    Some("did you mean `taro`?")
)]
#[case::unknown_error_class(
    STD_ROLES,
    "- revoke: { on: phone, identity: holder, certs: [sign], expect-error: netwrok }",
    12,
    "netwrok",
    "unknown error class `netwrok`",
    Some("did you mean `network`?")
)]
#[case::bad_variable_field(
    STD_ROLES,
    "- revoke: { on: phone, identity: holder, certs: [sign], password: \"${holder.phone_sign_pasword}\" }",
    12,
    "\"${",
    "bad variable: unknown identity field `phone_sign_pasword`",
    Some("did you mean `phone_sign_password`?")
)]
#[case::bad_variable_role_kind(
    STD_ROLES,
    "- revoke: { on: phone, identity: holder, certs: [sign], password: \"${phone.phone_sign_password}\" }",
    12,
    "\"${",
    "bad variable: `phone` is a phone role",
    Some("identity roles here: holder")
)]
#[case::bad_variable_unknown_role(
    STD_ROLES,
    "- revoke: { on: phone, identity: holder, certs: [sign], password: \"${holdr.phone_sign_password}\" }",
    12,
    "\"${",
    "bad variable: unknown identity role `holdr`",
    Some("did you mean `holder`?")
)]
#[case::bad_variable_unterminated(
    STD_ROLES,
    "- revoke: { on: phone, identity: holder, certs: [sign], password: \"${holder.id\" }",
    12,
    "\"${",
    "bad variable: unterminated",
    None
)]
#[case::retries_and_blocked(
    STD_ROLES,
    "- verify-pin: { on: phone, identity: holder, pin: auth, value: wrong, expect-retries: 2, expect-blocked: true }",
    12,
    "verify-pin",
    "`expect-retries` and `expect-blocked` cannot both be set",
    None
)]
#[case::query_checks_nothing(
    STD_ROLES,
    "- verify-pin: { identity: holder, pin: sign, value: query }",
    12,
    "query",
    "`value: query` checks nothing",
    None
)]
#[case::retries_above_max(
    STD_ROLES,
    "- verify-pin: { identity: holder, pin: auth, value: query, expect-retries: 5 }",
    12,
    "5 }",
    "more than the 3 tries",
    None
)]
#[case::target_is_on(
    TWO_PHONES,
    "- revoke-other: { on: phone, identity: holder, target: phone }",
    13,
    "phone }",
    "`target` must be another phone than `on`",
    None
)]
fn reports_position_message_and_hint(
    #[case] roles: &str,
    #[case] step: &str,
    #[case] line: usize,
    #[case] needle: &str,
    #[case] message: &str,
    #[case] hint: Option<&str>,
) {
    let text = suite(roles, step);
    let errors = load_one(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(
        (e.line, e.column),
        (line, column_of(&text, line, needle)),
        "{e}"
    );
    assert!(e.message.contains(message), "{e}");
    assert_eq!(e.hint.as_deref(), hint, "{e}");
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("{}:{}:{}: ", e.path.display(), e.line, e.column)));
    assert!(shown.contains('^'), "{shown}");
}

#[test]
fn duplicate_scenario_id_points_at_the_second() {
    let one = suite(STD_ROLES, "- reboot: { on: phone }");
    let second: String = one.lines().skip(3).map(|l| format!("{l}\n")).collect();
    let text = format!("{one}{second}");
    let errors = load_one(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (13, 9));
    assert!(
        errors[0]
            .message
            .contains("duplicate scenario id `one` (first defined at line 4)")
    );
}

#[test]
fn precondition_on_identity_role_is_refused() {
    let text = suite(STD_ROLES, "- reboot: { on: phone }").replace(
        "    steps:\n",
        "    preconditions:\n      holder: { network: offline }\n    steps:\n",
    );
    let errors = load_one(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (11, 7));
    assert!(errors[0].message.contains("`holder` is an identity role"));
}

#[test]
fn every_error_of_every_file_is_collected() {
    let dir = tempfile::tempdir().unwrap();
    let a = suite(
        STD_ROLES,
        "- reboot: { on: phon }\n      - suspend: { identity: phone }",
    );
    let b = suite(STD_ROLES, "- provison: { on: phone, identity: holder }");
    std::fs::write(dir.path().join("a.yaml"), a).unwrap();
    std::fs::write(dir.path().join("b.yaml"), b.replace("suite: t", "suite: u")).unwrap();
    let errors = load_paths(&[dir.path().to_path_buf()], &ctx()).unwrap_err();
    assert_eq!(errors.len(), 3, "{errors}");
    assert!(errors.0[0].path.ends_with("a.yaml") && errors.0[1].path.ends_with("a.yaml"));
    assert!(errors.0[2].path.ends_with("b.yaml"));
    assert!(errors.to_string().ends_with("3 errors"));
}

#[test]
fn duplicate_suite_ids_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let text = suite(STD_ROLES, "- reboot: { on: phone }");
    std::fs::write(dir.path().join("a.yaml"), &text).unwrap();
    std::fs::write(dir.path().join("b.yaml"), &text).unwrap();
    let errors = load_paths(&[dir.path().to_path_buf()], &ctx()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    assert!(errors.0[0].path.ends_with("b.yaml"));
    assert_eq!((errors.0[0].line, errors.0[0].column), (1, 8));
    assert!(errors.0[0].message.contains("duplicate suite id `t`"));
}

#[test]
fn profile_is_detected_and_its_ids_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        suite(STD_ROLES, "- reboot: { on: phone }"),
    )
    .unwrap();
    let profile = "profile: p\nversion: v1\nmandatory:\n  - t/one\n  - t/onee\nunsupported: []\n";
    std::fs::write(dir.path().join("cert.yaml"), profile).unwrap();
    let errors = load_paths(&[dir.path().to_path_buf()], &ctx()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    assert_eq!((errors.0[0].line, errors.0[0].column), (5, 5));
    assert!(
        errors.0[0]
            .message
            .contains("unknown scenario `t/onee` in `mandatory`")
    );
    assert_eq!(errors.0[0].hint.as_deref(), Some("did you mean `t/one`?"));

    std::fs::write(
        dir.path().join("cert.yaml"),
        profile.replace("  - t/onee\n", ""),
    )
    .unwrap();
    let set = load_paths(&[dir.path().to_path_buf()], &ctx()).unwrap();
    let (_, p) = set.profile.as_ref().unwrap();
    assert_eq!(p.mandatory, vec!["t/one".to_string()]);
    assert_eq!(set.scenario("t/one").unwrap().1.title, "One");
    assert!(set.scenario("t/two").is_none());
    assert_eq!(set.suites[0].digest.len(), 64);
}

#[test]
fn literal_password_in_a_bad_step_is_not_shown() {
    let text = suite(
        STD_ROLES,
        "- revoke: { on: phone, identity: holder, certs: [sign], password: MYSECRET99, expect-error: nope }",
    );
    let errors = load_one(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let shown = format!("{} {:?}", errors[0], errors[0]);
    assert!(!shown.contains("MYSECRET99"), "{shown}");
}

#[test]
fn missing_path_and_non_utf8_file_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, b"a: 1\nb: \xff\xfe\n").unwrap();
    let missing = dir.path().join("missing.yaml");
    let errors = load_paths(&[bad, missing], &ctx()).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors}");
    let utf8 = errors
        .iter()
        .find(|e| e.message.contains("not UTF-8"))
        .unwrap();
    assert_eq!((utf8.line, utf8.column), (2, 4));
    assert!(errors.iter().any(|e| e.message.contains("no such file")));
}

#[test]
fn load_suite_returns_the_first_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.yaml");
    std::fs::write(&path, suite(STD_ROLES, "- reboot: { on: phon }")).unwrap();
    let e = load_suite(&path).unwrap_err();
    assert!(e.message.contains("unknown role `phon`"));
    std::fs::write(&path, suite(STD_ROLES, "- reboot: { on: phone }")).unwrap();
    assert_eq!(load_suite(&path).unwrap().suite.scenarios.len(), 1);
}

fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suites")
}

#[test]
fn shipped_suites_load_and_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ctx = ValidationContext::from_identities_dir(&root.join("fixtures/identities")).unwrap();
    assert_eq!(
        ctx.identity_fixtures,
        Some(
            ["hanako", "jiro", "sakura", "taro"]
                .map(String::from)
                .to_vec()
        )
    );
    let set = match load_paths(&[suites_dir()], &ctx) {
        Ok(set) => set,
        Err(e) => panic!("{e}"),
    };
    let ids: Vec<&str> = set.suites.iter().map(|l| l.suite.suite.as_str()).collect();
    for want in [
        "provisioning",
        "one-phone",
        "factory-reset",
        "revocation",
        "suspension",
        "unsupported-model",
        "pin-and-secrets",
    ] {
        assert!(ids.contains(&want), "missing suite {want}: {ids:?}");
    }
    let (_, profile) = set.profile.as_ref().expect("certification profile");
    assert_eq!(profile.version, "2026.11-draft");
    // Every scenario is in exactly one list of the profile.
    for id in set.full_ids() {
        let n = profile.mandatory.iter().filter(|m| **m == id).count()
            + profile.unsupported.iter().filter(|m| **m == id).count();
        assert_eq!(n, 1, "{id} must be in exactly one profile list");
    }
    // R1..R9 are covered.
    let listing = super::render_list(&set);
    for rule in &crate::types::Rule::ALL[..9] {
        assert!(
            !listing.contains(&format!("  {rule} {}: NOT COVERED", rule.title())),
            "{listing}"
        );
    }
    // Scenarios with an `unsupported` phone are exactly the profile's unsupported list.
    for (l, sc) in set.all() {
        let unsupported = sc.roles.values().any(|r| {
            matches!(r, super::model::RoleSpec::Phone(p) if p.requires.iter().any(|c| c == "unsupported"))
        });
        let id = super::full_id(&l.suite.suite, &sc.id);
        assert_eq!(unsupported, profile.unsupported.contains(&id), "{id}");
        assert!(!sc.description.is_empty(), "{id} has no description");
    }
}

#[test]
fn step_names_match_the_serde_model() {
    let text = suite(STD_ROLES, "- no-such-step: { on: phone }");
    let err = serde_saphyr::from_str::<super::model::Suite>(&text).unwrap_err();
    match err.without_snippet() {
        serde_saphyr::Error::SerdeUnknownVariant { expected, .. } => {
            assert_eq!(expected.as_slice(), super::model::Step::NAMES.as_slice());
        }
        other => panic!("unexpected error {other}"),
    }
}

#[rstest]
#[case::deep_nesting(format!("suite: {}{}", "[".repeat(5000), "]".repeat(5000)), "")]
#[case::alias_bomb({
    let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        s.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    s
}, "")]
#[case::many_documents(format!("{0}---\n{0}", suite(STD_ROLES, "- reboot: { on: phone }")), "one YAML document")]
fn hostile_input_is_refused(#[case] text: String, #[case] message: &str) {
    let errors = load_one(&text);
    assert!(!errors.is_empty());
    assert!(errors[0].message.contains(message), "{}", errors[0]);
    assert!(errors.iter().all(|e| e.line >= 1 && e.column >= 1));
    // The same text through the lenient pass (which walks every node) must stop too.
    assert!(super::parse::parse_lenient::<super::parse::TopKeys>(&text).is_none());
}

#[test]
fn oversized_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let big = format!("suite: t\ntitle: {}\n", "x".repeat(2 << 20));
    std::fs::write(&path, big).unwrap();
    let e = load_suite(&path).unwrap_err();
    assert!(e.message.contains("more than the"), "{e}");
}

#[test]
fn rendered_error_looks_like_the_spec() {
    let text = suite(STD_ROLES, "- provison: { on: phone, identity: holder }");
    let e = &load_one(&text)[0];
    let shown = e.to_string();
    let mut lines = shown.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with("t.yaml:12:9: unknown step `provison`")
    );
    assert_eq!(lines.next(), Some("   |"));
    assert_eq!(
        lines.next(),
        Some("12 |       - provison: { on: phone, identity: holder }")
    );
    assert_eq!(lines.next(), Some("   |         ^"));
    assert_eq!(lines.next(), Some("  hint: did you mean `provision`?"));
    assert_eq!(lines.next(), None);
}

#[test]
fn identities_come_from_the_identities_dir_and_none_there_is_an_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // `fixtures/` itself holds no identity: naming it by mistake must not switch the check off.
    let e = ValidationContext::from_identities_dir(&root.join("fixtures")).unwrap_err();
    assert!(e.message.contains("no identity fixture"), "{e}");
    let empty = tempfile::tempdir().unwrap();
    assert!(ValidationContext::from_identities_dir(empty.path()).is_err());
    assert!(ValidationContext::from_identities_dir(&empty.path().join("nope")).is_err());
}

#[test]
fn an_empty_list_of_known_fixtures_refuses_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.yaml");
    std::fs::write(&path, suite(STD_ROLES, "- reboot: { on: phone }")).unwrap();
    let ctx = ValidationContext {
        identity_fixtures: Some(Vec::new()),
        project_suites: Vec::new(),
    };
    let e = load_paths(&[path], &ctx).unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
    assert!(
        e.0[0].message.contains("unknown identity fixture `taro`"),
        "{e}"
    );
    assert!(
        e.0[0]
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("no identity fixture is known")),
        "{e}"
    );
}

#[test]
fn a_scenario_timeout_is_read_and_a_bad_one_is_refused_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.yaml");
    let with = |t: &str| {
        suite(STD_ROLES, "").replace("    steps:\n", &format!("    timeout: {t}\n    steps:\n"))
    };
    std::fs::write(&path, with("{ step: 90, scenario: 1800 }")).unwrap();
    let s = load_suite(&path).unwrap();
    let t = s.suite.scenarios[0].timeout;
    assert_eq!(t.step.map(|s| s.0), Some(90.0));
    assert_eq!(t.scenario.map(|s| s.0), Some(1800.0));
    std::fs::write(&path, with("{ step: -5 }")).unwrap();
    let e = load_suite(&path).unwrap_err();
    assert!(
        e.message.contains("positive number of seconds"),
        "{}",
        e.message
    );
    assert_eq!((e.line, e.column), (10, 22), "{e}");
    std::fs::write(&path, with("{ stpe: 5 }")).unwrap();
    let e = load_suite(&path).unwrap_err();
    assert!(e.message.contains("stpe"), "{}", e.message);
}
