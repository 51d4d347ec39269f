//! The `Lab` seam: what the runner needs from a lab — phone units over ADB-level shell transports, secure
//! elements and cards over APDU transports, the authority, and the physical actions (a card onto a phone,
//! power on). The harness drives it; the simulator's virtual lab and the harness's bench labs implement it.

use crate::identity::Identity;
use crate::profile::DeviceProfile;
use crate::transport::{AuthorityTransport, CardTransport, ShellTransport, TransportError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use thiserror::Error;

/// Which lab this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabKind {
    /// The embedded virtual lab.
    Virtual,
    /// A bench: real phones over ADB, PC/SC readers, and a bench controller.
    Bench,
}

/// One unit listed in a lab file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitEntry {
    pub serial: String,
    pub profile: String,
    pub carrier: String,
    #[serde(default)]
    pub reference: bool,
}

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

/// Who is at fault when something goes wrong (as rustls's errors say who broke the protocol). A device
/// that breaks a rule is a verdict, never an error; errors are the device's at the protocol level (bytes
/// that do not follow it), the lab's (infrastructure: a unit gone, a service down), the input's (files,
/// names, options the user gave), or the harness's own (a bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The device, card or peer sent something that does not follow the protocol.
    Device,
    /// The lab's infrastructure: a unit, reader, card or service.
    Lab,
    /// What the user gave: files, names, options.
    Input,
    /// The harness itself (a bug).
    Harness,
}

impl TransportError {
    /// Who is at fault: the peer for bytes that break the protocol, the lab otherwise.
    pub fn fault(&self) -> Fault {
        match self {
            TransportError::Protocol { .. } => Fault::Device,
            _ => Fault::Lab,
        }
    }
}

/// A lab could not do something: never a verdict. [`LabError::fault`] says whose fault it is.
#[derive(Debug, Error)]
pub enum LabError {
    /// A unit, card, reader or service failed on the wire.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The lab has nothing of that name.
    #[error("lab has no {what} named `{name}`")]
    Unknown { what: &'static str, name: String },
    /// A file the lab is built from is missing or bad (stored keys, the app, its flows).
    #[error("{}: {detail}", path.display())]
    File {
        path: std::path::PathBuf,
        detail: String,
    },
    /// The lab's description cannot be carried out (a lab-file entry, an option for another kind of lab).
    #[error("{0}")]
    Config(String),
    /// A service the lab needs is missing or refused (adb server, pcscd, vpcd, the controller, a port).
    #[error("{0}")]
    Service(String),
    /// This lab cannot do that at all.
    #[error("this lab cannot {0}")]
    Unsupported(String),
    /// The harness's own state broke (a poisoned lock): a bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl LabError {
    /// Whose fault it is.
    pub fn fault(&self) -> Fault {
        match self {
            LabError::Transport(t) => t.fault(),
            LabError::Unknown { .. } | LabError::File { .. } | LabError::Config(_) => Fault::Input,
            LabError::Service(_) | LabError::Unsupported(_) => Fault::Lab,
            LabError::Internal(_) => Fault::Harness,
        }
    }
}

/// What the runner needs from a lab: transports to its units, cards and authority, and the physical
/// actions. `Send`, so that a unit's work can move to a thread of its own.
pub trait Lab: Send {
    /// Lab id, recorded in results.
    fn id(&self) -> &str;
    /// Virtual or bench, recorded in the journal header (the device list refuses virtual runs).
    fn kind(&self) -> LabKind;
    /// Every phone unit.
    fn units(&self) -> &[UnitInfo];
    /// Every test identity the lab holds a card for.
    fn identities(&self) -> &[Identity];
    /// The unit's shell (over a persistent connection): the runner drives the app over it.
    fn phone(&mut self, serial: &str) -> Result<Box<dyn ShellTransport>, LabError>;
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

/// Opens a shell transport to a unit by serial (e.g. over ADB to the same virtual phone served as adbd).
pub type PhoneConnector = Box<dyn FnMut(&str) -> Result<Box<dyn ShellTransport>, LabError> + Send>;

/// What an APDU connector is asked to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApduTarget {
    /// A phone's SE in card emulation, by serial.
    SecureElement(String),
    /// An identity's card, by identity id.
    Card(String),
}

/// Opens an APDU transport through a reader (e.g. PC/SC to the virtual card served on vpcd); `Ok(None)`
/// means "no reader for this one: use the in-process path".
pub type ApduConnector =
    Box<dyn FnMut(&ApduTarget) -> Result<Option<Box<dyn CardTransport>>, LabError> + Send>;

/// How every virtual phone's build id begins (`SIM<sdk>.<8 hex digits>`, in `ro.build.fingerprint`).
pub const SIM_BUILD_PREFIX: &str = "SIM";

/// Whether a build fingerprint is one a virtual phone reports: its build id (the field after the
/// release) is `SIM<sdk>.<8 upper-case hex digits>`, a shape no real Android build id takes.
pub fn is_simulated_fingerprint(fingerprint: &str) -> bool {
    let Some((_, rest)) = fingerprint.split_once(':') else {
        return false;
    };
    let Some(id) = rest.split('/').nth(1) else {
        return false;
    };
    let Some((sdk, build)) = id
        .strip_prefix(SIM_BUILD_PREFIX)
        .and_then(|r| r.split_once('.'))
    else {
        return false;
    };
    !sdk.is_empty()
        && sdk.bytes().all(|b| b.is_ascii_digit())
        && build.len() == 8
        && build
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// What a virtual lab is built from: the parts of a lab file it needs.
#[derive(Debug, Clone, Default)]
pub struct VirtualSpec {
    /// The lab's id, recorded in results.
    pub id: String,
    /// Listed units; empty: one per carrier variant of every model, plus the reference units.
    pub units: Vec<UnitEntry>,
    /// Profile id of the known-good reference model.
    pub reference_model: String,
    /// How many reference units to create.
    pub reference_units: usize,
    /// What each action costs in device time (`devices/timing.yaml`); `None`: nothing is charged.
    pub timing: Option<crate::timing::Timing>,
    /// Real seconds a served phone sleeps per model second (0: none; in process nothing sleeps).
    pub time_scale: f64,
    /// Chaos with this seed on every unit ([`crate::chaos`]); `None`: only models whose profile asks.
    pub chaos: Option<u64>,
}

/// The simulator's lab as the harness's lab factory needs it: a [`Lab`] whose phones can be served as
/// adbds and whose cards and SEs can be served on vpcd's readers, and which then reaches them through the
/// connectors the factory gives it (the harness's ADB and PC/SC transports). Whatever it serves lives as
/// long as it does.
pub trait VirtualBackend: Lab {
    /// Serves every unit's phone as an adbd on loopback, ports `port_base`, `port_base + 1`, … (0: any
    /// free ports). Returns lab serial → address.
    fn serve_phones(
        &mut self,
        port_base: u16,
    ) -> Result<std::collections::BTreeMap<String, std::net::SocketAddr>, LabError>;
    /// From now on, phone transports are opened by `connector`; `path` says how (recorded in results).
    fn set_phone_connector(&mut self, connector: PhoneConnector, path: &str);
    /// Serves each card or SE on its vpcd slot (0 or 1), for a real pcscd to see.
    fn serve_on_vpcd(&mut self, slots: &[(ApduTarget, u16)]) -> Result<(), LabError>;
    /// From now on, SEs and cards are reached through `connector` where it has a reader for them.
    fn set_apdu_connector(&mut self, connector: ApduConnector);
    /// The lab as a plain [`Lab`].
    fn into_lab(self: Box<Self>) -> Box<dyn Lab>;
}

/// Builds a virtual lab: the simulator's entry point, handed to the harness's lab factory by whoever
/// links both (the CLI, tests). Arguments: the spec, the model profiles, the identities whose cards it
/// holds, and the fixtures directory (stored TEST keys, the app package).
pub type VirtualFactory = fn(
    &VirtualSpec,
    &[Arc<DeviceProfile>],
    Vec<Identity>,
    &std::path::Path,
) -> Result<Box<dyn VirtualBackend>, LabError>;
