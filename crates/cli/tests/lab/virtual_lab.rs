//! Units of the virtual lab are unique by construction: a copied profile with a defect gets units of
//! its own and cannot change the original model's verdict.

use crate::common::{open, profiles, spec, suites};
use mynacert::lab::PhonePath;
use mynacert::profile::Quirk;
use mynacert::runner::result::ScenarioStatus;
use mynacert::runner::{Job, NoReporter, Runner};
use std::sync::Arc;

#[test]
fn a_copied_profile_with_a_defect_leaves_the_original_model_verdict_alone() {
    let all = profiles();
    let kumo = all
        .iter()
        .find(|p| p.id == "kumo-km51a")
        .expect("kumo-km51a")
        .as_ref()
        .clone();
    let mut leaky = kumo.clone();
    leaky.id = "kumo-km51a-leaky".into();
    leaky.quirks = vec![Quirk::SecretInLogcat];
    let models = vec![Arc::new(kumo), Arc::new(leaky)];
    let mut opened = open(&spec(models.clone(), PhonePath::InProcess));
    let set = suites();
    let (suite, sc) = set
        .all()
        .find(|(s, sc)| s.suite.suite == "provisioning" && sc.id == "issue-both")
        .expect("provisioning/issue-both");
    let jobs: Vec<Job> = models
        .iter()
        .map(|m| Job {
            full_id: format!("{}/{}", suite.suite.suite, sc.id),
            scenario: Arc::new(sc.clone()),
            model: m.clone(),
        })
        .collect();
    let out = Runner::new(
        opened.lab.as_mut(),
        opened.flows.clone(),
        crate::common::run_options(),
    )
    .run(&jobs, &mut NoReporter);
    let status = |model: &str| {
        out.scenarios
            .iter()
            .filter(|r| r.model == model)
            .map(|r| (r.unit.clone().unwrap_or_default(), r.status))
            .collect::<Vec<_>>()
    };
    let kumo = status("kumo-km51a");
    assert!(
        !kumo.is_empty() && kumo.iter().all(|(_, s)| *s == ScenarioStatus::Passed),
        "{kumo:?}"
    );
    let leaky = status("kumo-km51a-leaky");
    assert!(
        !leaky.is_empty() && leaky.iter().all(|(_, s)| *s == ScenarioStatus::Failed),
        "{leaky:?}"
    );
}
