//! Mutation score: every quirk of the catalogue, alone on an otherwise conformant model, must make at
//! least one certification scenario fail with the quirk's rule; every conformant model must pass
//! everything (no false failure).

use mynacert::lab::PhonePath;
use mynacert::lab::profiles::load_profiles;
use mynacert::profile::{DeviceProfile, Quirk};
use mynacert::runner::result::ScenarioStatus;
use mynacert::runner::{NoReporter, Runner, Selection, plan_jobs};
use mynacert::scenario::{ValidationContext, load_paths};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> PathBuf {
    crate::common::root()
}

fn mutant(base: &DeviceProfile, quirk: Quirk) -> Arc<DeviceProfile> {
    let mut p = base.clone();
    p.id = format!("mut-{}", quirk.name().replace('_', "-"));
    p.model_code = format!(
        "MUT-{:02}",
        Quirk::ALL.iter().position(|q| *q == quirk).unwrap_or(0)
    );
    p.model_name = format!("{} + {}", base.model_name, quirk.name());
    p.quirks = vec![quirk];
    Arc::new(p)
}

#[test]
fn every_quirk_is_caught_and_conformant_models_pass() {
    let root = root();
    let ctx = ValidationContext::from_identities_dir(&root.join("fixtures/identities")).unwrap();
    let set = load_paths(&[root.join("suites")], &ctx).unwrap();
    assert!(set.profile.is_some(), "suites/certification.yaml");
    let fleet = load_profiles(&root.join("devices/models")).unwrap();
    let conformant: Vec<Arc<DeviceProfile>> = fleet
        .iter()
        .filter(|p| p.quirks.is_empty())
        .cloned()
        .collect();
    let supported = conformant
        .iter()
        .find(|p| p.id == "kumo-km51a")
        .unwrap()
        .clone();
    let unsupported = conformant
        .iter()
        .find(|p| !p.app_supported())
        .unwrap()
        .clone();
    let mut models = conformant.clone();
    for q in Quirk::ALL {
        let base = if q.applies_to_supported() {
            &supported
        } else {
            &unsupported
        };
        models.push(mutant(base, q));
    }
    let mut opened =
        crate::common::open(&crate::common::spec(models.clone(), PhonePath::InProcess));
    // The certification set of each model, planned as `mynacert run` plans it.
    let jobs = plan_jobs(&set, &models, &Selection::default()).unwrap();
    let out = Runner::new(
        opened.lab.as_mut(),
        opened.flows.clone(),
        crate::common::run_options(),
    )
    .run(&jobs, &mut NoReporter);

    let mut table = String::from(
        "| quirk | rule | scenarios failing with that rule | caught |\n|---|---|---|---|\n",
    );
    let mut missed = Vec::new();
    for q in Quirk::ALL {
        let id = format!("mut-{}", q.name().replace('_', "-"));
        let catching: Vec<&str> = out
            .scenarios
            .iter()
            .filter(|r| {
                r.model == id
                    && r.status == ScenarioStatus::Failed
                    && r.rules_broken().contains(&q.rule())
            })
            .map(|r| r.scenario.as_str())
            .collect();
        let errors: Vec<String> = out
            .scenarios
            .iter()
            .filter(|r| r.model == id && r.status == ScenarioStatus::Error)
            .map(|r| format!("{}: {}", r.scenario, r.reason().unwrap_or("")))
            .collect();
        assert!(
            errors.is_empty(),
            "{id}: infrastructure errors: {errors:#?}"
        );
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            q.name(),
            q.rule(),
            catching.len(),
            if catching.is_empty() { "NO" } else { "yes" }
        ));
        if catching.is_empty() {
            missed.push(q.name());
        }
    }
    let caught = Quirk::ALL.len() - missed.len();
    table.push_str(&format!(
        "\nmutation score: {caught}/{}\n",
        Quirk::ALL.len()
    ));
    println!("{table}");
    let _ = std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutation-score.md"),
        &table,
    );

    let mut false_failures = Vec::new();
    for m in &conformant {
        for r in out.scenarios.iter().filter(|r| r.model == m.id) {
            if !matches!(r.status, ScenarioStatus::Passed | ScenarioStatus::Skipped) {
                false_failures.push(format!(
                    "{} {} {:?}: {}",
                    m.id,
                    r.scenario,
                    r.status,
                    r.reason().unwrap_or("")
                ));
            }
        }
        let ran = out
            .scenarios
            .iter()
            .filter(|r| r.model == m.id && r.status == ScenarioStatus::Passed)
            .count();
        assert!(ran > 0, "{} ran no deciding scenario", m.id);
    }
    assert!(
        false_failures.is_empty(),
        "conformant models failed: {false_failures:#?}"
    );
    assert!(missed.is_empty(), "quirks not caught: {missed:?}\n{table}");
}
