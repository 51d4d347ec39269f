//! The loader never panics: arbitrary text and mutated shipped suites give `Ok` or `Err`, nothing else.

use super::model::{CertificationProfile, Suite};
use super::parse;
use proptest::prelude::*;
use std::path::Path;

fn shipped() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        out.push(std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    out.sort();
    out
}

/// Runs the whole pipeline on one text, written to a temporary file.
fn load_text(text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.yaml");
    std::fs::write(&path, text).unwrap();
    let _ = super::load::load_suite(&path);
    let _ = super::load::load_profile(&path);
    let ctx = super::ValidationContext {
        identity_fixtures: Some(vec!["taro".into()]),
        project_suites: Vec::new(),
    };
    if let Err(errors) = super::load::load_paths(&[path], &ctx) {
        for e in errors.iter() {
            let _ = e.to_string();
            assert!(e.line >= 1 && e.column >= 1);
        }
    }
    let _ = parse::parse::<Suite>(Path::new("x"), text).map(|_| ());
    let _ = parse::parse::<CertificationProfile>(Path::new("x"), text).map(|_| ());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        load_text(&text);
    }

    #[test]
    fn yamlish_text_never_panics(text in "[a-z:\\-{}\\[\\], \n\"'$.&*!|>#0-9]{0,300}") {
        load_text(&text);
    }

    #[test]
    fn mutated_shipped_suites_never_panic(
        which in 0usize..16,
        at in 0usize..100_000,
        len in 0usize..40,
        insert in "\\PC{0,12}",
    ) {
        let suites = shipped();
        let text = &suites[which % suites.len()];
        let mut cut = at % (text.len() + 1);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut end = (cut + len).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mutated = format!("{}{}{}", &text[..cut], insert, &text[end.max(cut)..]);
        load_text(&mutated);
    }
}
