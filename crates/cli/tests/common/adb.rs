//! Shared by the ADB integration tests: the shipped fleet and suites, and a run summary to compare.
#![allow(dead_code)]

use mynacert::lab::virtual_lab::VirtualLab;
use mynacert::lab::{LabFile, load_identities, load_profiles};
use mynacert::profile::DeviceProfile;
use mynacert::report::verdict::verdicts;
use mynacert::runner::result::ScenarioResult;
use mynacert::runner::{Job, Reporter, RunOptions, Runner};
use mynacert::scenario::{SuiteSet, ValidationContext, load_paths};
use std::path::PathBuf;
use std::sync::Arc;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Suites, model profiles and a freshly built virtual lab.
pub struct Fleet {
    pub set: SuiteSet,
    pub profiles: Vec<Arc<DeviceProfile>>,
    pub lab: VirtualLab,
}

pub fn fleet_with(profiles: Vec<Arc<DeviceProfile>>) -> Fleet {
    let root = root();
    let ctx = ValidationContext::from_identities_dir(&root.join("fixtures/identities"))
        .expect("fixtures");
    let set = load_paths(&[root.join("suites")], &ctx).expect("suites");
    let lab_file = LabFile::load(&root.join("devices/lab.yaml")).expect("lab file");
    let identities =
        load_identities(&root.join("fixtures"), &lab_file.identities).expect("identities");
    let lab = VirtualLab::build(&lab_file, &profiles, identities, &root.join("fixtures"))
        .expect("virtual lab");
    Fleet { set, profiles, lab }
}

pub fn fleet() -> Fleet {
    let profiles = load_profiles(&root().join("devices/models")).expect("profiles");
    fleet_with(profiles)
}

/// Every scenario of every shipped suite on every model (`run --all`).
pub fn all_jobs(f: &Fleet) -> Vec<Job> {
    let mut jobs = Vec::new();
    for model in &f.profiles {
        for (suite, sc) in f.set.all() {
            jobs.push(Job {
                full_id: format!("{}/{}", suite.suite.suite, sc.id),
                scenario: Arc::new(sc.clone()),
                model: model.clone(),
            });
        }
    }
    jobs
}

pub fn run(
    f: &mut Fleet,
    jobs: &[Job],
    options: RunOptions,
    reporter: &mut dyn Reporter,
) -> Vec<ScenarioResult> {
    Runner::new(&mut f.lab, options)
        .run(jobs, reporter)
        .scenarios
}

/// What must be identical between two runs: each result's identity, status and broken rules, then the
/// per-model verdicts.
pub fn summary(f: &Fleet, results: &[ScenarioResult]) -> (Vec<String>, String) {
    let rows = results
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {:?} {:?}",
                r.scenario,
                r.model,
                r.unit.as_deref().unwrap_or("-"),
                r.status,
                r.rules_broken()
            )
        })
        .collect();
    let cert = f
        .set
        .profile
        .as_ref()
        .map(|(_, p)| mynacert::journal::CertRules::from(p));
    let v = verdicts(f.profiles.iter().map(|p| &**p), cert.as_ref(), results);
    (rows, format!("{v:?}"))
}

/// `MYNACERT_REQUIRE_SERVICES=1` makes a missing service a failure instead of a loud skip.
pub fn require_services() -> bool {
    std::env::var("MYNACERT_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// Asserts that a run over a wire (`via`) gave exactly the in-process results and verdicts.
pub fn assert_same(
    via: &str,
    got: &(Vec<String>, String),
    expected: &(Vec<String>, String),
    results: &[ScenarioResult],
) {
    let diff: Vec<String> = got
        .0
        .iter()
        .zip(&expected.0)
        .zip(results)
        .filter(|((g, e), _)| g != e)
        .map(|((g, e), r)| format!("{via}: {g}\nin process: {e}\nreason: {:?}", r.reason()))
        .collect();
    assert!(
        diff.is_empty(),
        "per-scenario results differ {via}:\n{}",
        diff.join("\n")
    );
    assert_eq!(got.0.len(), expected.0.len());
    assert_eq!(got.1, expected.1, "verdicts differ {via}");
}
