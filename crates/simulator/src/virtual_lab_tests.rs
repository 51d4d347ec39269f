//! The virtual lab's units: serials unique by construction, so one profile cannot play another's units.

use super::*;
use crate::lab::UnitEntry;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A shipped model profile, as its YAML file says.
fn shipped(id: &str) -> DeviceProfile {
    let path = root().join(format!("devices/models/{id}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// The shipped virtual lab: units generated, two reference units of kumo-km51a.
fn virtual_lab_file() -> VirtualSpec {
    VirtualSpec {
        id: "virtual-lab".into(),
        units: vec![],
        reference_model: "kumo-km51a".into(),
        reference_units: 2,
        ..Default::default()
    }
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
        file.units.push(UnitEntry {
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
