//! The `Lab` seam: what the runner needs from a lab — phone units over ADB-level shell transports, secure
//! elements and cards over APDU transports, the authority, and the physical actions (a card onto a phone,
//! power on). The virtual lab implements it in process; real labs implement it over ADB and PC/SC.

pub mod bench;
#[cfg(test)]
mod bench_tests;
mod inventory;
pub mod profiles;
pub mod provision;
mod units;
pub mod virtual_lab;
mod world;

pub use inventory::{LabFile, LabKind, load_identities, load_yaml_file};
pub use profiles::{ModelFile, check_models, load_profiles};
pub use units::check_units;

use crate::identity::Identity;
use crate::phone::PhoneDriver;
use crate::profile::DeviceProfile;
use crate::transport::{AuthorityTransport, CardTransport, TransportError};
use std::sync::Arc;
use thiserror::Error;

/// One phone unit of a lab.
#[derive(Debug, Clone)]
pub struct UnitInfo {
    /// ADB serial.
    pub serial: String,
    pub profile: Arc<DeviceProfile>,
    /// Carrier variant of this unit.
    pub carrier: String,
    /// A unit of the lab's known-good reference model, kept for `model: reference` roles.
    pub reference: bool,
}

/// A lab could not do something: always infrastructure, never a verdict.
#[derive(Debug, Error)]
pub enum LabError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("lab has no {what} named `{name}`")]
    Unknown { what: &'static str, name: String },
    #[error("{0}")]
    Setup(String),
    #[error("this lab cannot {0}")]
    Unsupported(String),
}

/// What the runner needs from a lab.
pub trait Lab {
    /// Lab id, recorded in results.
    fn id(&self) -> &str;
    /// Virtual or bench, recorded in the journal header (the device list refuses virtual runs).
    fn kind(&self) -> LabKind;
    /// Every phone unit.
    fn units(&self) -> &[UnitInfo];
    /// Every test identity the lab holds a card for.
    fn identities(&self) -> &[Identity];
    /// A phone driver for a unit (over a persistent connection).
    fn phone(&mut self, serial: &str) -> Result<PhoneDriver, LabError>;
    /// The unit's secure element over NFC (a reader under the phone in card emulation), fresh session.
    fn secure_element(&mut self, serial: &str) -> Result<Box<dyn CardTransport>, LabError>;
    /// The identity's My Number Card on a reader, fresh session.
    fn card(&mut self, identity: &str) -> Result<Box<dyn CardTransport>, LabError>;
    /// The authority's test environment.
    fn authority(&mut self) -> Result<Box<dyn AuthorityTransport>, LabError>;
    /// Hold an identity's card to a phone's NFC antenna (operator, robot or virtual).
    fn place_card(&mut self, identity: &str, serial: &str) -> Result<(), LabError>;
    /// Take the identity's card away from whatever phone holds it.
    fn remove_card(&mut self, identity: &str) -> Result<(), LabError>;
    /// Power a unit on (USB relay, operator, or virtual).
    fn power_on(&mut self, serial: &str) -> Result<(), LabError>;
    /// The Mynaportal APK to install.
    fn app_apk(&self) -> Result<Vec<u8>, LabError>;
    /// Issuer service for a test card: unblock every PIN (retry counters back to the maximum).
    fn service_reset_card(&mut self, identity: &str) -> Result<(), LabError>;
    /// Test-SE service clean-up (GP admin delete of the JPKI data), where the lab has it.
    fn service_wipe_se(&mut self, serial: &str) -> Result<(), LabError>;
    /// How phone drivers reach the units (recorded in results), e.g. "in process" or the adb server.
    fn phone_path(&self) -> String {
        "in process".into()
    }
}

/// Helper: find a unit by serial.
pub fn unit<'a>(lab: &'a dyn Lab, serial: &str) -> Result<&'a UnitInfo, LabError> {
    lab.units()
        .iter()
        .find(|u| u.serial == serial)
        .ok_or_else(|| LabError::Unknown {
            what: "unit",
            name: serial.to_string(),
        })
}
