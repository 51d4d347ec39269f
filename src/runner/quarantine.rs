//! Units that dropped off mid-scenario: an attempt whose records show a transport disconnect for a unit
//! makes the runner wait for that unit to answer again; a unit that does not come back in time is
//! quarantined, and later scenarios bound to it are skipped with the reason.

use super::result::{Attempt, StepStatus};
use super::shared::LabCell;
use crate::lab::LabError;
use crate::phone::DriverError;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Units of `serials` that a failed attempt's records name as disconnected (or not answering).
pub fn dropped_units(attempt: &Attempt, serials: &[String]) -> Vec<String> {
    let records = attempt
        .setup
        .iter()
        .chain(&attempt.steps)
        .chain(&attempt.cleanup)
        .filter(|r| r.status == StepStatus::Error);
    let mut out: Vec<String> = Vec::new();
    for r in records {
        for s in serials {
            let gone = r.message.contains(&format!("{s}: disconnected"))
                || r.message.contains(&format!("{s}: no answer"));
            if gone && !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    out
}

/// True when the unit answers a `getprop`.
fn answers(lab: &LabCell<'_>, serial: &str) -> bool {
    match lab.phone(serial) {
        Ok(mut t) => !matches!(
            crate::phone::DeviceProps::read(t.as_mut()),
            Err(DriverError::Transport(_))
        ),
        Err(LabError::Transport(_)) => false,
        Err(_) => true,
    }
}

/// Waits up to `timeout` for the unit to answer again (powering it on first where the lab can).
pub fn wait_for_unit(lab: &LabCell<'_>, serial: &str, timeout: Duration) -> bool {
    let _ = lab.power_on(serial);
    let deadline = Instant::now() + timeout;
    loop {
        if answers(lab, serial) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200).min(timeout));
    }
}

/// Units taken out of the run, with why.
#[derive(Debug, Default, Clone)]
pub struct Quarantine {
    units: BTreeMap<String, String>,
}

impl Quarantine {
    /// Takes a unit out of the run.
    pub fn add(&mut self, serial: &str, reason: String) {
        self.units.insert(serial.to_string(), reason);
    }

    /// The reason a binding cannot run, if any of its units is quarantined.
    pub fn blocks<'a>(
        &self,
        serials: impl IntoIterator<Item = &'a String>,
    ) -> Option<super::plan::SkipReason> {
        serials.into_iter().find_map(|s| {
            self.units
                .get(s)
                .map(|why| super::plan::SkipReason::Quarantined {
                    serial: s.clone(),
                    why: why.clone(),
                })
        })
    }
}
