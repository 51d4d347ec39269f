//! Every problem of a file in one pass, in words that say what is expected.

use super::error::LoadError;
use super::help::{self, FileHelp};
use super::model::{CertificationProfile, Suite};
use super::parse::parse_all;
use super::recover::check_tree;
use super::tree::{Kind, Node, Seg};
use std::path::Path;

fn suite_errors(text: &str) -> Vec<LoadError> {
    match parse_all::<Suite>(Path::new("t.yaml"), text, &help::SUITE) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    }
}

fn at(e: &LoadError) -> (usize, usize) {
    (e.line, e.column)
}

const GOOD: &str = "suite: t\ntitle: T\nscenarios:\n  - id: one\n    title: One\n    rules: [R1]\n    roles:\n      phone: { phone: {} }\n      holder: { identity: { fixture: taro } }\n    steps:\n      - provision: { on: phone, identity: holder }\n";

#[test]
fn a_good_file_parses() {
    assert!(suite_errors(GOOD).is_empty());
}

#[test]
fn three_misspelt_keys_are_three_problems_each_with_its_suggestion() {
    let text = GOOD
        .replace("title: T\n", "titel: T\n")
        .replace("    title: One", "    titl: One")
        .replace("identity: holder }", "identiy: holder }");
    let e = suite_errors(&text);
    let shown: Vec<String> = e
        .iter()
        .map(|e| format!("{}:{}: {} ({:?})", e.line, e.column, e.message, e.hint))
        .collect();
    assert_eq!(
        shown,
        vec![
            "2:1: unknown key `titel` (Some(\"did you mean `title`?\"))",
            "5:5: unknown key `titl` (Some(\"did you mean `title`?\"))",
            "11:33: unknown key `identiy` (Some(\"did you mean `identity`?\"))",
        ],
        "{e:?}"
    );
}

#[test]
fn problems_in_several_scenarios_and_steps_are_all_reported() {
    let text = format!(
        "{GOOD}      - expect-authority: {{ on: phone, identity: holder, certs: [sign], status: valdi }}\n      - provison: {{ on: phone, identiy: holder }}\n  - id: two\n    title: Two\n    rules: R4\n    roles: {{}}\n    steps:\n      - set-network: {{ on: phone, mode: offline, extra: 1 }}\n"
    );
    let e = suite_errors(&text);
    let got: Vec<(usize, usize, &str)> = e
        .iter()
        .map(|e| (e.line, e.column, e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (12, 81, "unknown certificate status `valdi`"),
            (13, 9, "unknown step `provison`"),
            (13, 32, "unknown key `identiy`"),
            (16, 12, "`rules` is a list, e.g. `[R4]`"),
            (19, 50, "unknown key `extra`"),
        ],
        "{e:?}"
    );
}

#[test]
fn a_scalar_where_a_list_is_expected_says_so_with_an_example() {
    let e = suite_errors(&GOOD.replace("rules: [R1]", "rules: R4"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(at(&e[0]), (6, 12));
    assert_eq!(e[0].message, "`rules` is a list, e.g. `[R4]`");
}

#[test]
fn other_shapes_say_what_is_expected() {
    let e = suite_errors(&GOOD.replace(
        "roles:\n      phone: { phone: {} }\n      holder: { identity: { fixture: taro } }",
        "roles: [phone]",
    ));
    assert!(
        e.iter()
            .any(|e| e.message.starts_with("`roles` is a mapping, not a list")),
        "{e:?}"
    );
    let e = suite_errors(&GOOD.replace(
        "identity: holder }",
        "identity: holder, biometrics: maybe }",
    ));
    assert!(
        e.iter()
            .any(|e| e.message == "`biometrics` is `true` or `false`"),
        "{e:?}"
    );
}

#[test]
fn an_empty_or_comment_only_file_says_what_a_suite_needs() {
    for text in ["", "\n\n", "# a suite, one day\n   # more\n"] {
        let e = suite_errors(text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].message
                .starts_with("empty file: a suite needs at least `suite:`"),
            "{e:?}"
        );
        assert!(e[0].message.contains("`title:`") && e[0].message.contains("`scenarios:`"));
    }
}

#[test]
fn a_missing_key_says_what_it_is() {
    let text = GOOD.replace(
        "- provision: { on: phone, identity: holder }",
        "- revoke-other: { on: phone, identity: holder }",
    );
    let e = suite_errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].message, "missing key `target`");
    assert!(
        e[0].hint
            .as_deref()
            .is_some_and(|h| h.contains("the other phone role")),
        "{e:?}"
    );
}

/// Every key of `path` whose absence the types report gets a description: each entry of the file is taken
/// out in turn, and every "missing key" that comes back must have a hint.
fn every_missing_key_is_described<T: serde::de::DeserializeOwned>(path: &Path, help: &FileHelp) {
    let source = std::fs::read_to_string(path).unwrap();
    let tree = Node::parse(&source).unwrap();
    let mut maps: Vec<(Vec<Seg>, usize)> = Vec::new();
    tree.walk(&mut |p, n| {
        if let Kind::Map(entries) = &n.kind {
            for i in 0..entries.len() {
                maps.push((p.to_vec(), i));
            }
        }
    });
    assert!(!maps.is_empty());
    for (p, i) in maps {
        let mut t = tree.clone();
        if let Some(Kind::Map(entries)) = t.at_mut(&p).map(|n| &mut n.kind) {
            entries.remove(i);
        }
        for e in check_tree::<T>(path, &source, t, help) {
            if e.message.starts_with("missing key") {
                assert!(
                    e.hint.is_some(),
                    "{}: no description for {e}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn every_required_key_of_the_shipped_files_has_a_description() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(root.join("suites")).unwrap() {
        let p = entry.unwrap().path();
        if p.ends_with("certification.yaml") {
            every_missing_key_is_described::<CertificationProfile>(&p, &help::SUITE);
        } else {
            every_missing_key_is_described::<Suite>(&p, &help::SUITE);
        }
    }
    for entry in std::fs::read_dir(root.join("devices/models")).unwrap() {
        every_missing_key_is_described::<crate::profile::DeviceProfile>(
            &entry.unwrap().path(),
            &help::DEVICE,
        );
    }
    every_missing_key_is_described::<crate::lab::LabFile>(
        &root.join("devices/lab.yaml"),
        &help::LAB,
    );
    for entry in std::fs::read_dir(root.join("fixtures/identities")).unwrap() {
        every_missing_key_is_described::<crate::identity::Identity>(
            &entry.unwrap().path(),
            &help::IDENTITY,
        );
    }
}

#[test]
fn a_pin_typed_where_a_pin_kind_goes_is_not_shown_in_the_error() {
    let text = GOOD.replace(
        "- provision: { on: phone, identity: holder }",
        "- verify-pin: { on: phone, identity: holder, pin: 4821, value: right }",
    );
    let e = suite_errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    let shown = format!("{e:?}");
    assert!(shown.contains("unknown PIN kind"), "{shown}");
    assert!(!shown.contains("4821"), "{shown}");
}

#[test]
fn a_step_name_without_its_keys_says_the_keys_are_needed() {
    let e = suite_errors(&format!("{GOOD}      - expect-se\n"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(at(&e[0]), (12, 9));
    assert_eq!(
        e[0].message,
        "`expect-se` needs its keys: `expect-se: { … }`"
    );
}
