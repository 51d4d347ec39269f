//! What a run's header records of its lab: id, kind, how phones are reached, and every unit with the
//! build fingerprint it reports — asked of the lab once, before the run, by whoever starts it.

use super::{Lab, LabKind};
use crate::journal::UnitRecord;
use crate::phone::DeviceProps;

/// A lab as the journal header records it.
#[derive(Debug, Clone)]
pub struct LabSurvey {
    pub id: String,
    pub kind: LabKind,
    /// How phone drivers reach the units.
    pub phones: String,
    /// Every unit, with the fingerprint it reported (or why it could not).
    pub units: Vec<UnitRecord>,
}

/// Asks every unit of `lab` for its build fingerprint (`getprop`); a unit that does not answer is
/// recorded with the reason.
pub fn survey(lab: &mut dyn Lab) -> LabSurvey {
    let mut units = Vec::new();
    for u in lab.units().to_vec() {
        let (fingerprint, fingerprint_error) = match lab.phone(&u.serial) {
            Ok(mut t) => match DeviceProps::read(t.as_mut()) {
                Ok(p) => (Some(p.fingerprint), None),
                Err(e) => (None, Some(format!("getprop: {e}"))),
            },
            Err(e) => (None, Some(format!("lab: {e}"))),
        };
        units.push(UnitRecord {
            serial: u.serial.clone(),
            model: u.profile.id.clone(),
            carrier: u.carrier.clone(),
            reference: u.reference,
            fingerprint,
            fingerprint_error,
        });
    }
    LabSurvey {
        id: lab.id().to_string(),
        kind: lab.kind(),
        phones: lab.phone_path(),
        units,
    }
}
