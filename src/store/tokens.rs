//! Capability tokens: what an execution requires and what a lab host offers, as plain words a database
//! can compare (`requires ⊆ offers`). An execution needs its subject model and carrier, as many units of
//! the model as it has subject roles, its reference units, its identities (by name where the scenario
//! names one) and a reader when it opens an SE or card session.

use crate::identity::Identity;
use crate::lab::UnitInfo;
use crate::runner::Binding;
use crate::scenario::model::{ModelChoice, RoleSpec, Scenario};
use std::collections::BTreeSet;

/// What one bound execution requires, sorted.
pub fn requirements(scenario: &Scenario, b: &Binding, needs_reader: bool) -> Vec<String> {
    let mut out = BTreeSet::new();
    if let Some(u) = &b.subject {
        out.insert(format!("model:{}", u.profile.id));
        out.insert(format!("carrier:{}:{}", u.profile.id, u.carrier));
    }
    let subjects = b.phones.values().filter(|u| !u.reference).count();
    if subjects > 1
        && let Some(u) = &b.subject
    {
        out.insert(format!("units:{}:{subjects}", u.profile.id));
    }
    let references = scenario
        .roles
        .values()
        .filter(|r| matches!(r, RoleSpec::Phone(p) if p.model == ModelChoice::Reference))
        .count();
    if references > 0 {
        out.insert(format!("references:{references}"));
    }
    let identities = scenario
        .roles
        .values()
        .filter(|r| matches!(r, RoleSpec::Identity(_)))
        .count();
    if identities > 0 {
        out.insert(format!("identities:{identities}"));
    }
    for r in scenario.roles.values() {
        if let RoleSpec::Identity(i) = r
            && let Some(f) = &i.fixture
        {
            out.insert(format!("identity:{f}"));
        }
    }
    if needs_reader {
        out.insert("reader".to_string());
    }
    out.into_iter().collect()
}

/// Whether the schedule's pools of an execution need a reader: any SE or card session does.
pub fn needs_reader(demand: &crate::schedule::Demand) -> bool {
    demand.segments.iter().any(|s| s.reader)
}

/// What a lab offers, sorted.
pub fn capabilities(units: &[UnitInfo], identities: &[Identity], reader: bool) -> Vec<String> {
    let mut out = BTreeSet::new();
    let mut per_model: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut references = 0;
    for u in units {
        if u.reference {
            references += 1;
            continue;
        }
        *per_model.entry(u.profile.id.as_str()).or_default() += 1;
        out.insert(format!("model:{}", u.profile.id));
        out.insert(format!("carrier:{}:{}", u.profile.id, u.carrier));
    }
    for (model, n) in per_model {
        for k in 2..=n {
            out.insert(format!("units:{model}:{k}"));
        }
    }
    for k in 1..=references {
        out.insert(format!("references:{k}"));
    }
    for k in 1..=identities.len() {
        out.insert(format!("identities:{k}"));
    }
    for i in identities {
        out.insert(format!("identity:{}", i.id));
    }
    if reader {
        out.insert("reader".to_string());
    }
    out.into_iter().collect()
}

/// The tokens of `required` that `offered` lacks.
pub fn missing<'a>(required: &'a [String], offered: &[String]) -> Vec<&'a str> {
    required
        .iter()
        .filter(|r| !offered.contains(r))
        .map(String::as_str)
        .collect()
}
