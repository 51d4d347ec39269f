//! Lab wiring through a real pcscd: provisioning and factory-reset scenarios read the phone's SE through
//! vpcd+pcscd when the lab has a reader for it, with the same steps and the same verdicts as in process;
//! killing the virtual card mid-scenario is an infrastructure error naming the reader, and the run goes on.
//! Needs `pcscd -f -a` with vsmartcard-vpcd (see tests/pcsc_vpcd.rs).

use crate::common::pcsc::{SLOT1, WAIT, serve_on, services, slots};
use crate::common::{root, virtual_lab};
use mynacert::lab::{Lab, LabFile};
use mynacert::pcsc::{self, ReaderEntry, pcsc_connector};
use mynacert::runner::result::{ScenarioResult, ScenarioStatus, StepStatus};
use mynacert::runner::{Job, NoReporter, Reporter, RunEvent, Runner};
use mynacert::scenario::{ValidationContext, load_paths};
use mynacert_sim::vpcd::CardServer;
use std::sync::Arc;
use {mynacert::lab::ApduTarget, mynacert_sim::VirtualLab};
const MODEL: &str = "kumo-km51a";

fn jobs(suites: &[&str]) -> Vec<Job> {
    let root = root();
    let ctx = ValidationContext::from_identities_dir(&root.join("fixtures/identities"))
        .expect("fixtures");
    let set = load_paths(&[root.join("suites")], &ctx).expect("suites");
    let profiles = mynacert::lab::load_profiles(&root.join("devices/models")).expect("profiles");
    let model = profiles
        .iter()
        .find(|p| p.id == MODEL)
        .expect("model")
        .clone();
    set.all()
        .filter(|(s, _)| suites.contains(&s.suite.suite.as_str()))
        .map(|(s, sc)| Job {
            full_id: format!("{}/{}", s.suite.suite, sc.id),
            scenario: Arc::new(sc.clone()),
            model: model.clone(),
        })
        .collect()
}

/// The unit every one of these scenarios binds first (the SE that gets a reader).
fn subject(lab: &VirtualLab) -> String {
    lab.units()
        .iter()
        .find(|u| u.profile.id == MODEL && !u.reference)
        .map(|u| u.serial.clone())
        .expect("a unit of the model")
}

fn reader_lab(serial: &str) -> (VirtualLab, CardServer) {
    let mut lab = virtual_lab();
    let server = serve_on(&lab, ApduTarget::SecureElement(serial.into()), 1);
    // The same section a lab file carries.
    let file: LabFile = serde_saphyr::from_str(&format!(
        "lab: t\nkind: virtual\nreference_model: {MODEL}\nidentities: [taro]\n\
         readers:\n  - {{ reader: \"Virtual PCD * 01\", se: {serial} }}\n"
    ))
    .expect("lab file with readers");
    let entries: Vec<ReaderEntry> = file.readers.clone();
    lab.set_apdu_connector(pcsc_connector(&entries).expect("connector"));
    (lab, server)
}

fn outcome(r: &[ScenarioResult]) -> Vec<(String, Option<String>, ScenarioStatus)> {
    r.iter()
        .map(|s| (s.scenario.clone(), s.unit.clone(), s.status))
        .collect()
}

#[test]
fn provisioning_and_factory_reset_give_the_same_verdicts_through_the_reader() {
    if !services("provisioning_and_factory_reset_give_the_same_verdicts_through_the_reader") {
        return;
    }
    let _g = slots();
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("reader empty before the test");
    let jobs = jobs(&["provisioning", "factory-reset"]);
    assert!(jobs.len() >= 4, "{} jobs", jobs.len());
    let mut local = virtual_lab();
    let serial = subject(&local);
    let in_process = Runner::new(
        &mut local,
        crate::common::flows(),
        crate::common::run_options(),
    )
    .run(&jobs, &mut NoReporter);

    let (mut lab, server) = reader_lab(&serial);
    let over_reader = Runner::new(
        &mut lab,
        crate::common::flows(),
        crate::common::run_options(),
    )
    .run(&jobs, &mut NoReporter);
    let relayed = server.apdus(0);
    server.stop();

    assert_eq!(
        outcome(&over_reader.scenarios),
        outcome(&in_process.scenarios)
    );
    assert!(
        over_reader
            .scenarios
            .iter()
            .any(|s| s.unit.as_deref() == Some(serial.as_str())),
        "some scenario ran on the unit with the reader"
    );
    assert!(
        relayed > 20,
        "the SE reads went through pcscd+vpcd ({relayed} APDUs)"
    );
    let statuses: Vec<ScenarioStatus> = over_reader.scenarios.iter().map(|s| s.status).collect();
    let ok = |s: &ScenarioStatus| matches!(s, ScenarioStatus::Passed | ScenarioStatus::Skipped);
    assert!(statuses.iter().all(ok), "{statuses:?}");
    assert!(statuses.contains(&ScenarioStatus::Passed));
}

/// Takes the phone off its reader as soon as the first `provision` step of the run has finished,
/// and puts it back when that scenario ends.
struct Killer<'a> {
    server: &'a CardServer,
    killed_in: Option<String>,
    restored: bool,
}

impl Reporter for Killer<'_> {
    fn event(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::StepFinished { scenario, step, .. }
                if self.killed_in.is_none() && step.name.starts_with("provision") =>
            {
                self.server.remove(0);
                assert!(self.server.wait_connected(0, false, WAIT));
                pcsc::wait_for_card(SLOT1, false, WAIT).expect("pcscd sees the removal");
                self.killed_in = Some(scenario.to_string());
            }
            RunEvent::ScenarioFinished { result, .. }
                if self.killed_in.as_deref() == Some(result.scenario.as_str())
                    && !self.restored =>
            {
                self.server.insert(0);
                pcsc::wait_for_card(SLOT1, true, WAIT).expect("phone back on the reader");
                self.restored = true;
            }
            _ => {}
        }
    }
}

#[test]
fn killing_the_served_se_mid_scenario_is_an_infrastructure_error_and_the_run_goes_on() {
    if !services(
        "killing_the_served_se_mid_scenario_is_an_infrastructure_error_and_the_run_goes_on",
    ) {
        return;
    }
    let _g = slots();
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("reader empty before the test");
    let jobs = jobs(&["provisioning"]);
    let serial = subject(&virtual_lab());
    let (mut lab, server) = reader_lab(&serial);
    let mut killer = Killer {
        server: &server,
        killed_in: None,
        restored: false,
    };
    let out = Runner::new(
        &mut lab,
        crate::common::flows(),
        crate::common::run_options(),
    )
    .run(&jobs, &mut killer);
    let killed = killer.killed_in.clone().expect("a provision step ran");
    server.stop();

    let hit = out
        .scenarios
        .iter()
        .find(|s| s.scenario == killed && s.unit.as_deref() == Some(serial.as_str()))
        .expect("the killed scenario is recorded");
    assert_eq!(
        hit.status,
        ScenarioStatus::Error,
        "no verdict, infrastructure"
    );
    let attempt = hit.attempts.last().expect("attempt");
    let provision = attempt
        .steps
        .iter()
        .find(|s| s.name.starts_with("provision"))
        .expect("provision step kept");
    assert_eq!(
        provision.status,
        StepStatus::Passed,
        "recorded before the kill, not lost"
    );
    let broken = attempt
        .steps
        .iter()
        .find(|s| s.status == StepStatus::Error)
        .expect("an errored step");
    assert!(
        broken.message.contains(SLOT1),
        "names the reader: {}",
        broken.message
    );
    assert!(!attempt.steps.iter().any(|s| s.status == StepStatus::Failed));
    // The run went on: those after the kill pass again.
    let after: Vec<&ScenarioResult> = out
        .scenarios
        .iter()
        .skip_while(|s| s.scenario != killed)
        .skip(1)
        .collect();
    assert!(!after.is_empty());
    assert!(
        after
            .iter()
            .all(|s| matches!(s.status, ScenarioStatus::Passed | ScenarioStatus::Skipped)),
        "{:?}",
        outcome(&out.scenarios)
    );
}

#[test]
fn mynacert_run_serves_the_lab_files_readers_and_reads_through_pcscd() {
    if !services("mynacert_run_serves_the_lab_files_readers_and_reads_through_pcscd") {
        return;
    }
    let _g = slots();
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("the reader is empty before the test");
    let dir = tempfile::tempdir().expect("tempdir");
    let lab = virtual_lab();
    let serial = lab
        .units()
        .iter()
        .find(|u| u.profile.id == MODEL && !u.reference)
        .expect("a unit")
        .serial
        .clone();
    let lab_file = dir.path().join("lab.yaml");
    std::fs::write(
        &lab_file,
        format!(
            "lab: readers\nkind: virtual\nreference_model: {MODEL}\nidentities: [taro, hanako]\n\
             card_safety: {{ allow_lock: [taro, hanako] }}\n\
             readers:\n  - {{ reader: \"Virtual PCD 00 01\", se: {serial} }}\n"
        ),
    )
    .expect("lab file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mynacert"))
        .args(["--root", &root().to_string_lossy(), "run", "--no-progress"])
        .args(["--model", MODEL, "--lab"])
        .arg(&lab_file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .output()
        .expect("run mynacert");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run_dir = crate::common::the_run_dir(&dir.path().join("reports"));
    let results = std::fs::read_to_string(run_dir.join("results.json")).expect("results");
    // The unit's SE was read through pcscd (its APDU traces name the reader); the others in process.
    assert!(
        results.contains("via reader `Virtual PCD 00 01`"),
        "no SE read through the reader"
    );
    assert!(results.contains(&serial));
    // The served SE is gone with the run.
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("the run took its SE off the reader");
}
