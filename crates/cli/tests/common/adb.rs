//! Shared by the ADB integration tests: the shipped fleet and suites, and a run summary to compare.
#![allow(dead_code)]

use super::{flows, profiles, suites, virtual_lab_with};
use mynacert::phone::FlowBook;
use mynacert::profile::DeviceProfile;
use mynacert::report::verdict::verdicts;
use mynacert::runner::result::ScenarioResult;
use mynacert::runner::{Job, Reporter, RunOptions, Runner};
use mynacert::scenario::SuiteSet;
use mynacert_sim::VirtualLab;
use std::sync::Arc;

/// Suites, model profiles, a freshly built virtual lab and the app flows.
pub struct Fleet {
    pub set: SuiteSet,
    pub profiles: Vec<Arc<DeviceProfile>>,
    pub lab: VirtualLab,
    pub flows: Arc<FlowBook>,
}

pub fn fleet_with(profiles: Vec<Arc<DeviceProfile>>) -> Fleet {
    Fleet {
        set: suites(),
        lab: virtual_lab_with(&profiles),
        profiles,
        flows: flows(),
    }
}

pub fn fleet() -> Fleet {
    fleet_with(profiles())
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
    Runner::new(&mut f.lab, f.flows.clone(), options)
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

/// Makes `lab`'s phone transports go through real ADB to the served addresses (the harness's own
/// connector, as its lab factory uses it).
pub fn connect_lab(
    lab: &mut VirtualLab,
    addresses: std::collections::BTreeMap<String, std::net::SocketAddr>,
    route: mynacert::adb::link::Route,
    boot_timeout: std::time::Duration,
) {
    let (connector, path) = mynacert::adb::link::phone_connector(addresses, route, boot_timeout);
    lab.set_phone_connector(connector, &path);
}

/// A phone driver for `unit` of the fleet's lab (its transport, the app flows).
pub fn driver(f: &mut Fleet, unit: &str) -> mynacert::phone::PhoneDriver {
    use mynacert::lab::Lab;
    let t = f.lab.phone(unit).expect("the unit's transport");
    mynacert::phone::PhoneDriver::new(t, f.flows.clone())
}
