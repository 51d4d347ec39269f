//! The virtual lab's units: serials unique by construction, so one profile cannot play another's units.

use super::*;
use crate::lab::{load_identities, load_profiles};
use crate::runner::result::ScenarioStatus;
use crate::runner::{Job, NoReporter, RunOptions, Runner};
use crate::scenario::{ValidationContext, load_paths};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped(id: &str) -> DeviceProfile {
    let all = load_profiles(&root().join("devices/models")).unwrap();
    all.iter().find(|p| p.id == id).unwrap().as_ref().clone()
}

fn virtual_lab_file() -> LabFile {
    LabFile::load(&root().join("devices/lab.yaml")).unwrap()
}

#[test]
fn generated_serials_differ_when_model_codes_and_carrier_prefixes_collide() {
    let kumo = shipped("kumo-km51a");
    // A second profile with the same model code, and carriers sharing their first two letters.
    let mut copy = kumo.clone();
    copy.id = "kumo-km51a-copy".into();
    copy.carriers = vec!["docomo".into(), "softbank".into(), "sonet".into()];
    let profiles = vec![Arc::new(kumo), Arc::new(copy)];
    let units = plan_units(&virtual_lab_file(), &profiles).unwrap();
    let mut serials: Vec<&str> = units.iter().map(|u| u.serial.as_str()).collect();
    assert_eq!(units.len(), 2 + 3 + 2, "{serials:?}");
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), units.len(), "{serials:?}");
    assert!(serials.contains(&"SIM-kumo-km51a-docomo-01"));
    assert!(serials.contains(&"SIM-kumo-km51a-copy-docomo-01"));
}

#[test]
fn a_listed_serial_used_twice_is_refused() {
    let mut file = virtual_lab_file();
    for carrier in ["docomo", "au"] {
        file.units.push(super::super::inventory::UnitEntry {
            serial: "R5CT0001".into(),
            profile: "kumo-km51a".into(),
            carrier: carrier.into(),
            reference: false,
        });
    }
    let profiles = vec![Arc::new(shipped("kumo-km51a"))];
    let err = plan_units(&file, &profiles).unwrap_err().to_string();
    assert!(err.contains("R5CT0001"), "{err}");
}

#[test]
fn a_copied_profile_with_a_defect_leaves_the_original_model_verdict_alone() {
    let kumo = shipped("kumo-km51a");
    let mut leaky = kumo.clone();
    leaky.id = "kumo-km51a-leaky".into();
    leaky.quirks = vec![Quirk::SecretInLogcat];
    let profiles = vec![Arc::new(kumo), Arc::new(leaky)];
    let file = virtual_lab_file();
    let identities = load_identities(&root().join("fixtures"), &file.identities).unwrap();
    let mut lab =
        VirtualLab::build(&file, &profiles, identities, &root().join("fixtures")).unwrap();
    let ctx = ValidationContext::from_identities_dir(&root().join("fixtures/identities")).unwrap();
    let set = load_paths(&[root().join("suites")], &ctx).unwrap();
    let (suite, sc) = set
        .all()
        .find(|(s, sc)| s.suite.suite == "provisioning" && sc.id == "issue-both")
        .unwrap();
    let jobs: Vec<Job> = profiles
        .iter()
        .map(|m| Job {
            full_id: format!("{}/{}", suite.suite.suite, sc.id),
            scenario: Arc::new(sc.clone()),
            model: m.clone(),
        })
        .collect();
    let out = Runner::new(&mut lab, RunOptions::default()).run(&jobs, &mut NoReporter);
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
