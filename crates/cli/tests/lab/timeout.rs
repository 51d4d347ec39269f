//! Timeouts: a phone that hangs mid-scenario (its adbd keeps the connection and answers nothing) ends
//! the step at the step timeout as an infrastructure error naming the unit; the unit is checked, found
//! gone and quarantined; the run goes on. A scenario whose time is up stops before its next step.

use crate::common::adb::*;
use mynacert::adb::link::Route;
use mynacert::runner::result::ScenarioStatus;
use mynacert::runner::{Reporter, RunEvent, RunOptions};
use mynacert::scenario::model::{Seconds, Timeouts};
use mynacert_sim::adbd::AdbdConfig;
use mynacert_sim::adbd::fleet::ServedFleet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Freezes the unit of the first scenario that runs, after its first step.
struct Freezer {
    fleet: Arc<Mutex<ServedFleet>>,
    armed: Option<String>,
    frozen: Option<String>,
}

impl Reporter for Freezer {
    fn event(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::ScenarioStarted { unit: Some(u), .. } if self.frozen.is_none() => {
                self.armed = Some(u.to_string());
            }
            RunEvent::StepFinished { .. } => {
                if let Some(u) = self.armed.take()
                    && self.frozen.is_none()
                    && let Ok(f) = self.fleet.lock()
                {
                    assert!(f.freeze(&u, true), "unit {u} is served");
                    self.frozen = Some(u);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn a_hung_phone_ends_its_step_at_the_timeout_is_quarantined_and_the_run_goes_on() {
    let mut f = fleet();
    let jobs: Vec<_> = all_jobs(&f)
        .into_iter()
        .filter(|j| j.model.id == "kumo-km51a" || j.model.id == "hoshi-hx22b")
        .collect();
    let served = Arc::new(Mutex::new(
        ServedFleet::serve(&f.lab, 0, &AdbdConfig::default()).expect("serve"),
    ));
    let addresses = served.lock().expect("fleet").addresses();
    connect_lab(&mut f.lab, addresses, Route::Direct, Duration::from_secs(1));
    let mut reporter = Freezer {
        fleet: served.clone(),
        armed: None,
        frozen: None,
    };
    let options = RunOptions {
        unit_return_timeout: Duration::from_millis(500),
        timeouts: Timeouts {
            step: Some(Seconds(2.0)),
            scenario: None,
        },
        ..crate::common::run_options()
    };
    let t = Instant::now();
    let results = run(&mut f, &jobs, options, &mut reporter);
    let took = t.elapsed();
    let hung = reporter.frozen.expect("a phone was frozen");
    let first = results
        .iter()
        .position(|r| r.status == ScenarioStatus::Error)
        .expect("an error result");
    let reason = results[first].reason().unwrap_or_default().to_string();
    assert!(
        reason.contains(&hung)
            && reason.contains("step's timeout")
            && reason.contains("quarantined"),
        "the error names the unit, the timeout and the quarantine: {reason}"
    );
    let on_hung = |r: &mynacert::runner::result::ScenarioResult| {
        r.unit.as_deref() == Some(hung.as_str()) || r.bindings.values().any(|s| s == &hung)
    };
    assert!(
        results[first + 1..]
            .iter()
            .filter(|r| on_hung(r))
            .all(|r| r.status == ScenarioStatus::Skipped),
        "nothing else ran on the hung unit"
    );
    assert!(
        results[first + 1..]
            .iter()
            .any(|r| !on_hung(r) && r.status == ScenarioStatus::Passed),
        "the run went on with the other units"
    );
    // Without the step timeout the adb read would have waited a minute.
    assert!(took < Duration::from_secs(50), "took {took:?}");
}

#[test]
fn a_scenario_whose_time_is_up_stops_before_its_next_step() {
    let mut f = fleet();
    let jobs: Vec<_> = all_jobs(&f)
        .into_iter()
        .filter(|j| j.model.id == "kumo-km51a" && j.full_id == "revocation/revoke-online")
        .collect();
    assert!(!jobs.is_empty());
    let options = RunOptions {
        timeouts: Timeouts {
            step: None,
            scenario: Some(Seconds(1e-6)),
        },
        ..crate::common::run_options()
    };
    let results = run(&mut f, &jobs, options, &mut mynacert::runner::NoReporter);
    let r = &results[0];
    assert_eq!(r.status, ScenarioStatus::Error, "{:?}", r.reason());
    let reason = r.reason().unwrap_or_default();
    assert!(reason.contains("scenario timeout"), "{reason}");
}
