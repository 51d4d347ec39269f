//! A bench lab (`kind: bench`): real phones by ADB serial (through an adb server, or straight over TCP),
//! cards and phone SEs on PC/SC readers, and a bench controller for what the harness cannot do itself —
//! hold a card to a phone, power a unit on, the issuer's and the SE's test services, and the authority's
//! test environment (`crate::control`). Without a controller, physical actions are asked of an operator at
//! the terminal, and the authority is unavailable (steps that need it are infrastructure errors).

use super::inventory::{LabFile, LabKind};
use super::{ApduConnector, ApduTarget};
use super::{Lab, LabError, UnitInfo};
use crate::adb::transport::{AdbEnv, AdbShellTransport, default_host_key};
use crate::control::Controller;
use crate::identity::Identity;
use crate::profile::DeviceProfile;
use crate::transport::{AuthorityTransport, CardTransport, ShellTransport};
use std::io::{BufRead, IsTerminal, Write};
use std::net::{SocketAddr, SocketAddrV4, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How the bench reaches its phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneRoute {
    /// Through this adb server.
    Server(SocketAddrV4),
    /// Straight to each phone's adbd over TCP (unit serials are `HOST:PORT`).
    Direct,
}

/// Someone at the bench who does the physical actions the lab file gives no controller for.
pub trait Operator: Send {
    /// Asks for `what` (e.g. "hold taro's card to the NFC antenna of R5CT1") and returns once it is done.
    fn ask(&mut self, what: &str) -> Result<(), LabError>;
}

/// The operator at this terminal: the request on stderr, Enter on stdin when done. Without a terminal
/// on stdin nobody is there to ask, and the action cannot be done.
#[derive(Debug, Default)]
pub struct TerminalOperator;

impl Operator for TerminalOperator {
    fn ask(&mut self, what: &str) -> Result<(), LabError> {
        if !std::io::stdin().is_terminal() {
            return Err(LabError::Unsupported(format!(
                "{what}: the lab file names no `controller:` and no operator is at a terminal"
            )));
        }
        let mut err = std::io::stderr();
        let _ = write!(err, "\noperator: {what}, then press Enter ");
        let _ = err.flush();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| LabError::Service(format!("operator: {e}")))?;
        Ok(())
    }
}

/// A bench lab.
pub struct BenchLab {
    id: String,
    units: Vec<UnitInfo>,
    identities: Vec<Identity>,
    apk: Option<PathBuf>,
    route: PhoneRoute,
    readers: ApduConnector,
    controller: Option<Controller>,
    operator: Box<dyn Operator>,
    boot_timeout: Duration,
    /// Network units this lab `adb connect`ed (it disconnects them when dropped).
    connected: Vec<SocketAddr>,
}

impl std::fmt::Debug for BenchLab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BenchLab({}, {} units)", self.id, self.units.len())
    }
}

/// A bench lab file that cannot be carried out (the input's fault).
fn config(detail: String) -> LabError {
    LabError::Config(detail)
}

/// Resolves `HOST:PORT` (the controller's address).
fn address(what: &str, text: &str) -> Result<SocketAddr, LabError> {
    text.to_socket_addrs()
        .map_err(|e| config(format!("{what} `{text}`: {e} (want HOST:PORT)")))?
        .next()
        .ok_or_else(|| config(format!("{what} `{text}` has no address")))
}

/// The bench controller at `text`: over TLS with pinned keys, or plain TCP on loopback only (its protocol
/// suspends, revokes and resets test identities).
fn controller(
    text: &str,
    tls: Option<&crate::lab::ControllerTls>,
    root: &Path,
) -> Result<Controller, LabError> {
    let addr = address("controller", text)?;
    let Some(tls) = tls else {
        if addr.ip().is_loopback() {
            return Ok(Controller::new(addr));
        }
        return Err(config(format!(
            "controller `{text}` is not on loopback: give `controller_tls: {{ key: LAB.key, server: CONTROLLER.pub }}` (plain TCP only on loopback)"
        )));
    };
    let read = |p: &Path| -> Result<String, LabError> {
        let path = if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        };
        std::fs::read_to_string(&path).map_err(|e| {
            config(format!(
                "controller_tls: cannot read {}: {e}",
                path.display()
            ))
        })
    };
    let tls_err = |e: mynacert_wire::tls::TlsError| config(format!("controller_tls: {e}"));
    let me = mynacert_wire::tls::TlsIdentity::from_pem(&read(&tls.key)?, "mynacert-lab")
        .map_err(tls_err)?;
    let server = mynacert_wire::tls::public_keys_from_pem(&read(&tls.server)?).map_err(tls_err)?;
    let cfg = mynacert_wire::tls::client_config(me, server).map_err(tls_err)?;
    Ok(Controller::new(addr).with_tls(cfg))
}

impl BenchLab {
    /// Builds the bench from its lab file; `root` is the project directory (app APK, flows); `env` is where
    /// the adb server is when the lab file does not say.
    pub fn build(
        file: &LabFile,
        profiles: &[Arc<DeviceProfile>],
        identities: Vec<Identity>,
        root: &Path,
        env: &AdbEnv,
    ) -> Result<BenchLab, LabError> {
        if file.kind != LabKind::Bench {
            return Err(config(format!("lab `{}` is not a bench", file.lab)));
        }
        if file.units.is_empty() {
            return Err(config(format!(
                "bench `{}` lists no units: add `units: [{{ serial: ADB-SERIAL, profile: MODEL, carrier: CARRIER }}]`",
                file.lab
            )));
        }
        let mut units = Vec::new();
        for u in &file.units {
            let profile = profiles
                .iter()
                .find(|p| p.id == u.profile)
                .cloned()
                .ok_or_else(|| LabError::Unknown {
                    what: "model profile",
                    name: u.profile.clone(),
                })?;
            units.push(UnitInfo {
                serial: u.serial.clone(),
                profile,
                carrier: u.carrier.clone(),
                reference: u.reference,
            });
        }
        let route = match file.adb.as_deref() {
            None => PhoneRoute::Server(env.server),
            Some("direct") => PhoneRoute::Direct,
            Some(other) => {
                let server =
                    AdbEnv::from_vars(|k| (k == "ADB_SERVER_SOCKET").then(|| other.to_string()))
                        .map_err(|e| config(format!("adb: {e} (or `direct`)")))?;
                PhoneRoute::Server(server.server)
            }
        };
        if route == PhoneRoute::Direct
            && let Some(u) = units
                .iter()
                .find(|u| u.serial.parse::<SocketAddr>().is_err())
        {
            return Err(config(format!(
                "adb: direct needs unit serials as HOST:PORT; `{}` is not",
                u.serial
            )));
        }
        let readers = crate::pcsc::pcsc_connector(&file.readers)?;
        let controller = match &file.controller {
            Some(c) => Some(controller(c, file.controller_tls.as_ref(), root)?),
            None => None,
        };
        Ok(BenchLab {
            id: file.lab.clone(),
            units,
            identities,
            apk: file.app_apk.as_ref().map(|p| {
                if p.is_absolute() {
                    p.clone()
                } else {
                    root.join(p)
                }
            }),
            route,
            readers,
            controller,
            operator: Box::new(TerminalOperator),
            boot_timeout: Duration::from_secs(180),
            connected: Vec::new(),
        })
    }

    /// Who does the physical actions when there is no controller (default: the terminal's operator).
    pub fn set_operator(&mut self, operator: Box<dyn Operator>) {
        self.operator = operator;
    }

    /// How long to wait for a phone to come back after a reboot or factory reset.
    pub fn set_boot_timeout(&mut self, t: Duration) {
        self.boot_timeout = t;
    }

    /// Says hello to the controller (a wrong address fails here, before any scenario runs).
    pub fn check_controller(&mut self) -> Result<Option<String>, LabError> {
        match self.controller.as_mut() {
            Some(c) => Ok(Some(c.hello()?)),
            None => Ok(None),
        }
    }

    /// Through an adb server, units whose serial is `HOST:PORT` (network phones, a device farm) are
    /// `adb connect`ed, and the lab waits until the server lists each as `device`.
    pub fn connect_units(&mut self, timeout: Duration) -> Result<(), LabError> {
        let PhoneRoute::Server(server) = self.route else {
            return Ok(());
        };
        let addrs: Vec<SocketAddr> = self
            .units
            .iter()
            .filter_map(|u| u.serial.parse::<SocketAddr>().ok())
            .collect();
        if addrs.is_empty() {
            return Ok(());
        }
        crate::adb::link::connect_through_server(server, &addrs, "device", timeout)
            .map_err(LabError::Service)?;
        self.connected = addrs;
        Ok(())
    }

    fn reader(
        &mut self,
        target: ApduTarget,
        what: String,
    ) -> Result<Box<dyn CardTransport>, LabError> {
        match (self.readers)(&target)? {
            Some(t) => Ok(t),
            None => Err(LabError::Unsupported(what)),
        }
    }

    /// A physical action: the controller does it, else an operator at the terminal, else it cannot be done.
    fn act(
        &mut self,
        what: &str,
        via_controller: impl FnOnce(&mut Controller) -> Result<(), crate::transport::TransportError>,
    ) -> Result<(), LabError> {
        if let Some(c) = self.controller.as_mut() {
            return Ok(via_controller(c)?);
        }
        self.operator.ask(what)
    }

    fn no_controller(what: &str) -> LabError {
        LabError::Unsupported(format!(
            "{what}: the lab file names no `controller:` (the bench's link to the authority's test \
             environment and test services)"
        ))
    }
}

impl Lab for BenchLab {
    fn id(&self) -> &str {
        &self.id
    }
    fn kind(&self) -> LabKind {
        LabKind::Bench
    }
    fn units(&self) -> &[UnitInfo] {
        &self.units
    }
    fn identities(&self) -> &[Identity] {
        &self.identities
    }
    fn phone(&mut self, serial: &str) -> Result<Box<dyn ShellTransport>, LabError> {
        super::unit(self, serial)?;
        let t = match self.route {
            PhoneRoute::Server(server) => AdbShellTransport::via_server(server, serial),
            PhoneRoute::Direct => {
                let addr: SocketAddr = serial
                    .parse()
                    .map_err(|_| config(format!("unit `{serial}` is not HOST:PORT")))?;
                AdbShellTransport::direct(addr, default_host_key())
            }
        };
        Ok(Box::new(t.with_boot_timeout(self.boot_timeout)))
    }
    fn secure_element(&mut self, serial: &str) -> Result<Box<dyn CardTransport>, LabError> {
        super::unit(self, serial)?;
        self.reader(
            ApduTarget::SecureElement(serial.to_string()),
            format!(
                "read the secure element of {serial}: no reader in the lab file has `se: {serial}`"
            ),
        )
    }
    fn card(&mut self, identity: &str) -> Result<Box<dyn CardTransport>, LabError> {
        self.reader(
            ApduTarget::Card(identity.to_string()),
            format!(
                "read the card of {identity}: no reader in the lab file has `card: {identity}`"
            ),
        )
    }
    fn authority(&mut self) -> Result<Box<dyn AuthorityTransport>, LabError> {
        match &self.controller {
            // A connection of its own: the runner keeps the authority for a whole scenario.
            Some(c) => Ok(Box::new(c.fresh())),
            None => Err(Self::no_controller("reach the authority")),
        }
    }
    fn place_card(&mut self, identity: &str, serial: &str) -> Result<(), LabError> {
        self.act(
            &format!("hold {identity}'s card to the NFC antenna of {serial}"),
            |c| c.place_card(identity, serial),
        )
    }
    fn remove_card(&mut self, identity: &str) -> Result<(), LabError> {
        self.act(&format!("put {identity}'s card back on its reader"), |c| {
            c.remove_card(identity)
        })
    }
    fn power_on(&mut self, serial: &str) -> Result<(), LabError> {
        self.act(&format!("power {serial} on"), |c| c.power_on(serial))
    }
    fn app_apk(&self) -> Result<Vec<u8>, LabError> {
        let path = self.apk.as_ref().ok_or_else(|| {
            LabError::Unsupported("install the app: the lab file names no `app_apk:`".into())
        })?;
        std::fs::read(path).map_err(|e| LabError::File {
            path: path.clone(),
            detail: e.to_string(),
        })
    }
    fn service_reset_card(&mut self, identity: &str) -> Result<(), LabError> {
        match self.controller.as_mut() {
            Some(c) => Ok(c.reset_card(identity)?),
            None => Err(Self::no_controller(&format!(
                "unblock the PINs of {identity}'s card"
            ))),
        }
    }
    fn service_wipe_se(&mut self, serial: &str) -> Result<(), LabError> {
        match self.controller.as_mut() {
            Some(c) => Ok(c.wipe_se(serial)?),
            None => Err(Self::no_controller(&format!(
                "wipe the test SE of {serial}"
            ))),
        }
    }
    fn phone_path(&self) -> String {
        match self.route {
            PhoneRoute::Server(s) => format!("ADB through the adb server at {s}"),
            PhoneRoute::Direct => "ADB straight over TCP to each phone".into(),
        }
    }
}

impl Drop for BenchLab {
    fn drop(&mut self) {
        if let PhoneRoute::Server(server) = self.route {
            crate::adb::link::disconnect_through_server(server, &self.connected);
        }
    }
}
