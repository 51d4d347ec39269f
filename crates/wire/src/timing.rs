//! Device time: how long the actions of a lab take, in seconds. The lab-wide defaults live in
//! `devices/timing.yaml` (with the reasoning for each); a model profile's `timing:` overrides them for
//! its units; a bench's measured medians can replace both when a plan is made.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An action whose duration a lab's schedule depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `adb reboot` until the unit's port answers again.
    Reboot,
    /// A factory reset (初期化) until the unit answers again.
    FactoryReset,
    /// Waiting for `sys.boot_completed=1` once the unit answers.
    BootCompletedWait,
    /// Installing the Mynaportal APK.
    AppInstall,
    /// Uninstalling it.
    AppUninstall,
    /// One screen of the app: a tap or typed field and the dump that follows.
    UiStep,
    /// Typing one PIN or password (twice where the app asks twice counts as two).
    PinEntry,
    /// Reading the My Number Card over the phone's NFC.
    NfcCardRead,
    /// An operator or robot putting a card on a phone (or back on its reader).
    CardPlacement,
    /// From the application to the push notification that the certificates are issued.
    IssuancePushWait,
    /// Registering the issued certificates into the SE.
    Registration,
    /// A revocation from the phone until the authority shows it.
    RevocationRoundTrip,
    /// One session with an SE or card through a reader.
    SeRead,
    /// One status query to the authority (CRL, ledger, suspension).
    AuthorityQuery,
    /// A test-service call: a card's PIN reset, an SE's wipe, a suspension set or lifted.
    ServiceCall,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 15] = [
        Action::Reboot,
        Action::FactoryReset,
        Action::BootCompletedWait,
        Action::AppInstall,
        Action::AppUninstall,
        Action::UiStep,
        Action::PinEntry,
        Action::NfcCardRead,
        Action::CardPlacement,
        Action::IssuancePushWait,
        Action::Registration,
        Action::RevocationRoundTrip,
        Action::SeRead,
        Action::AuthorityQuery,
        Action::ServiceCall,
    ];

    /// The YAML name (`factory_reset`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// Seconds per action. A defaults file names every action; a profile's override names some.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timing(pub BTreeMap<Action, f64>);

impl Timing {
    /// True when no action is named.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The seconds of `action`, if named.
    pub fn get(&self, action: Action) -> Option<f64> {
        self.0.get(&action).copied()
    }

    /// These durations with `over`'s on top.
    pub fn overlay(&self, over: &Timing) -> Timing {
        let mut t = self.clone();
        t.0.extend(over.0.iter().map(|(a, s)| (*a, *s)));
        t
    }

    /// The actions not named (a defaults file must name every one).
    pub fn missing(&self) -> Vec<Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| !self.0.contains_key(a))
            .collect()
    }

    /// Durations that cannot be: negative, infinite or NaN.
    pub fn invalid(&self) -> Vec<(Action, f64)> {
        self.0
            .iter()
            .filter(|(_, s)| !s.is_finite() || **s < 0.0)
            .map(|(a, s)| (*a, *s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_keeps_the_defaults_it_does_not_name() {
        let mut base = Timing::default();
        for a in Action::ALL {
            base.0.insert(a, 1.0);
        }
        let mut over = Timing::default();
        over.0.insert(Action::FactoryReset, 300.0);
        let t = base.overlay(&over);
        assert_eq!(t.get(Action::FactoryReset), Some(300.0));
        assert_eq!(t.get(Action::Reboot), Some(1.0));
        assert!(t.missing().is_empty());
        assert_eq!(over.missing().len(), Action::ALL.len() - 1);
    }

    #[test]
    fn names_are_the_yaml_keys_and_bad_values_are_found() {
        assert_eq!(Action::FactoryReset.name(), "factory_reset");
        let t: Timing = serde_json::from_str(r#"{"reboot": -1, "pin_entry": 2}"#).unwrap();
        assert_eq!(t.invalid(), vec![(Action::Reboot, -1.0)]);
        assert!(serde_json::from_str::<Timing>(r#"{"rebot": 1}"#).is_err());
    }
}
