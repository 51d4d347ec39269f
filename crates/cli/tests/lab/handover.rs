//! A quarantined unit hands its remaining executions to another unit of the same model and carrier: two
//! kumo-km51a units on docomo, served as adbds and run in parallel; one is unplugged after its first
//! step. Its execution under way is an infrastructure error naming the quarantine; what was still to
//! run on it runs on the other unit — nothing is skipped.

use crate::common::adb::{all_jobs, connect_lab};
use crate::common::{flows, profiles, root, spec, suites};
use mynacert::adb::link::Route;
use mynacert::lab::PhonePath;
use mynacert::runner::result::ScenarioStatus;
use mynacert::runner::{Parallel, Reporter, RunEvent, RunOptions, Runner};
use mynacert_sim::VirtualLab;
use mynacert_sim::adbd::AdbdConfig;
use mynacert_sim::adbd::fleet::ServedFleet;
use mynacert_wire::lab::UnitEntry;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const A: &str = "KUMO-DOCOMO-A";
const B: &str = "KUMO-DOCOMO-B";

/// Unplugs unit A after the first step of the first execution on it.
struct Unplug {
    fleet: Arc<Mutex<ServedFleet>>,
    armed: Option<usize>,
    done: bool,
}

impl Reporter for Unplug {
    fn event(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::ScenarioStarted {
                index,
                unit: Some(u),
                ..
            } if *u == A && self.armed.is_none() => self.armed = Some(*index),
            RunEvent::StepFinished { index, .. } if Some(*index) == self.armed && !self.done => {
                if let Ok(mut f) = self.fleet.lock() {
                    assert!(f.unplug(A));
                    self.done = true;
                }
            }
            _ => {}
        }
    }
}

#[test]
fn a_quarantined_unit_hands_its_executions_to_a_unit_of_the_same_model_and_carrier() {
    let kumo: Vec<_> = profiles()
        .into_iter()
        .filter(|p| p.id == "kumo-km51a")
        .collect();
    let s = spec(kumo.clone(), PhonePath::InProcess);
    let mut vspec = s.file.virtual_spec();
    let unit = |serial: &str, reference: bool| UnitEntry {
        serial: serial.into(),
        profile: "kumo-km51a".into(),
        carrier: "docomo".into(),
        reference,
    };
    vspec.units = vec![
        unit(A, false),
        unit(B, false),
        unit("REF-1", true),
        unit("REF-2", true),
    ];
    let mut lab = VirtualLab::build(&vspec, &kumo, s.identities, &root().join("fixtures"))
        .expect("two kumo units on docomo");
    let served = Arc::new(Mutex::new(
        ServedFleet::serve(&lab, 0, &AdbdConfig::default()).expect("serve"),
    ));
    let addresses = served.lock().expect("fleet").addresses();
    connect_lab(&mut lab, addresses, Route::Direct, Duration::from_secs(1));
    let fleet = crate::common::adb::Fleet {
        set: suites(),
        profiles: kumo,
        lab,
        flows: flows(),
    };
    let jobs: Vec<_> = all_jobs(&fleet)
        .into_iter()
        .filter(|j| j.full_id.starts_with("revocation/") || j.full_id.starts_with("provisioning/"))
        .collect();
    let mut reporter = Unplug {
        fleet: served,
        armed: None,
        done: false,
    };
    let options = RunOptions {
        unit_return_timeout: Duration::from_millis(300),
        parallel: Some(Parallel {
            timing: mynacert::schedule::load_timing(&root()).expect("timing"),
            operators: 1,
            readers: 1,
        }),
        ..crate::common::run_options()
    };
    let mut lab = fleet.lab;
    let results = Runner::new(&mut lab, fleet.flows.clone(), options)
        .run(&jobs, &mut reporter)
        .scenarios;
    assert!(reporter.done, "unit A was unplugged");
    let errors: Vec<_> = results
        .iter()
        .filter(|r| r.status == ScenarioStatus::Error)
        .collect();
    assert_eq!(errors.len(), 1, "one execution was under way on A");
    let reason = errors[0].reason().unwrap_or_default();
    assert!(
        reason.contains(A) && reason.contains("quarantined"),
        "{reason}"
    );
    let skipped: Vec<String> = results
        .iter()
        .filter(|r| {
            r.skip_reason
                .as_deref()
                .is_some_and(|s| s.contains("quarantined"))
        })
        .map(|r| r.scenario.clone())
        .collect();
    assert!(skipped.is_empty(), "handed over, not skipped: {skipped:?}");
    // B ran its own executions and A's remaining ones: some scenarios twice.
    let on_b = |sc: &str| {
        results
            .iter()
            .filter(|r| r.scenario == sc && r.unit.as_deref() == Some(B))
            .count()
    };
    let twice = results.iter().filter(|r| on_b(&r.scenario) == 2).count();
    assert!(twice > 0, "nothing of A's ran on B");
    assert!(
        results
            .iter()
            .filter(|r| r.unit.as_deref() == Some(B))
            .all(|r| matches!(r.status, ScenarioStatus::Passed | ScenarioStatus::Skipped)),
        "B passes what it runs"
    );
}
