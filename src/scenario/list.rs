//! `mynacert list`: suites, scenarios, an index of tags and rules, and the certification profile.

use super::load::{SuiteSet, full_id};
use super::model::{ModelChoice, RoleSpec, Scenario};
use crate::types::Rule;
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn roles_text(sc: &Scenario) -> String {
    sc.roles
        .iter()
        .map(|(name, spec)| match spec {
            RoleSpec::Phone(p) => {
                let model = match p.model {
                    ModelChoice::Subject => "subject",
                    ModelChoice::Reference => "reference",
                };
                if p.requires.is_empty() {
                    format!("{name}=phone({model})")
                } else {
                    format!("{name}=phone({model}: {})", p.requires.join(" "))
                }
            }
            RoleSpec::Identity(i) => match &i.fixture {
                Some(f) => format!("{name}=identity({f})"),
                None => format!("{name}=identity"),
            },
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn join_or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(", ")
    }
}

/// Renders the listing as plain text.
pub fn render_list(set: &SuiteSet) -> String {
    let mut out = String::new();
    let mut tags: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut rules: BTreeMap<Rule, Vec<String>> = BTreeMap::new();
    let count = set.all().count();
    let _ = writeln!(
        out,
        "Suites: {} ({count} scenario{})",
        set.suites.len(),
        if count == 1 { "" } else { "s" }
    );
    for loaded in &set.suites {
        let s = &loaded.suite;
        let _ = writeln!(
            out,
            "\n{} — {}  [{}]",
            s.suite,
            s.title,
            loaded.path.display()
        );
        for sc in &s.scenarios {
            let id = full_id(&s.suite, &sc.id);
            let scenario_rules = sc.all_rules();
            let _ = writeln!(out, "  {id} — {}", sc.title);
            let rule_names: Vec<String> = scenario_rules.iter().map(Rule::to_string).collect();
            let _ = writeln!(out, "      rules: {}", join_or_dash(&rule_names));
            let _ = writeln!(out, "      tags:  {}", join_or_dash(&sc.tags));
            let _ = writeln!(out, "      roles: {}", roles_text(sc));
            for t in &sc.tags {
                tags.entry(t.as_str()).or_default().push(id.clone());
            }
            for r in scenario_rules {
                rules.entry(r).or_default().push(id.clone());
            }
        }
    }
    let _ = writeln!(out, "\nTags");
    if tags.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for (tag, ids) in &tags {
        let _ = writeln!(out, "  {tag}: {}", ids.join(", "));
    }
    let _ = writeln!(out, "\nRules");
    for rule in Rule::ALL {
        match rules.get(&rule) {
            Some(ids) => {
                let _ = writeln!(out, "  {rule} {}: {}", rule.title(), ids.join(", "));
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {rule} {}: NOT COVERED by any scenario",
                    rule.title()
                );
            }
        }
    }
    match &set.profile {
        None => {
            let _ = writeln!(out, "\nCertification profile: none loaded");
        }
        Some((path, p)) => {
            let _ = writeln!(
                out,
                "\nCertification profile {} (version {})  [{}]",
                p.profile,
                p.version,
                path.display()
            );
            let _ = writeln!(out, "  units per carrier variant: {}", p.required_units);
            let _ = writeln!(out, "  mandatory ({}):", p.mandatory.len());
            for id in &p.mandatory {
                let _ = writeln!(out, "    {id}");
            }
            let _ = writeln!(out, "  unsupported ({}):", p.unsupported.len());
            for id in &p.unsupported {
                let _ = writeln!(out, "    {id}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::LoadedSuite;
    use crate::scenario::model::{CertificationProfile, Suite};
    use std::path::PathBuf;

    fn set() -> SuiteSet {
        let yaml = "suite: s\ntitle: Suite S\nscenarios:\n  - id: a\n    title: Scenario A\n    rules: [R4]\n    tags: [offline]\n    roles:\n      phone: { phone: { requires: [supported] } }\n      holder: { identity: { fixture: taro } }\n    steps:\n      - reboot: { on: phone, rule: R9 }\n";
        let suite: Suite = serde_saphyr::from_str(yaml).unwrap();
        SuiteSet {
            suites: vec![LoadedSuite {
                path: PathBuf::from("suites/s.yaml"),
                digest: String::new(),
                suite,
            }],
            profile: Some((
                PathBuf::from("suites/certification.yaml"),
                CertificationProfile {
                    timeouts: Default::default(),
                    profile: "p".into(),
                    version: "v1".into(),
                    mandatory: vec!["s/a".into()],
                    unsupported: vec![],
                    required_units: 2,
                },
            )),
        }
    }

    #[test]
    fn lists_scenarios_tags_rules_and_profile() {
        let text = render_list(&set());
        assert!(text.contains("s — Suite S  [suites/s.yaml]"), "{text}");
        assert!(text.contains("  s/a — Scenario A"));
        assert!(text.contains("rules: R4, R9"));
        assert!(text.contains("holder=identity(taro), phone=phone(subject: supported)"));
        assert!(text.contains("  offline: s/a"));
        assert!(text.contains("  R4 revoke from the phone itself: s/a"));
        assert!(text.contains("  R1 provisioning: NOT COVERED"));
        assert!(text.contains("Certification profile p (version v1)"));
        assert!(text.contains("mandatory (1):\n    s/a"));
    }
}
