//! The one lab factory: a lab file, its profiles and identities in, a [`Lab`] out — the virtual lab (built
//! by the simulator's factory, its phones reached in process or over real ADB, its cards and SEs with a
//! reader served on vpcd and read through pcscd) or a bench (real units, readers, a controller). The CLI,
//! every test and every bench open labs here; what a lab serves lives exactly as long as the lab.

use super::bench::BenchLab;
use super::{
    ApduTarget, Lab, LabError, LabFile, LabKind, UnitInfo, VirtualBackend, VirtualFactory,
};
use crate::adb::link::{Route, connect_through_server, disconnect_through_server, phone_connector};
use crate::adb::transport::AdbEnv;
use crate::identity::Identity;
use crate::phone::FlowBook;
use crate::profile::DeviceProfile;
use crate::transport::{AuthorityTransport, CardTransport, ShellTransport};
use std::net::{SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How the virtual lab's phones are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhonePath {
    /// Shell commands reach the virtual phones in process.
    #[default]
    InProcess,
    /// Each phone served as an adbd on 127.0.0.1; the driver speaks the ADB protocol to it over TCP.
    AdbDirect,
    /// Each phone served as an adbd; the driver goes through the adb server of the environment
    /// (`ADB_SERVER_SOCKET`, …), which `adb connect`s every phone and forgets it when the lab is dropped.
    AdbServer,
}

/// Everything a lab is opened from.
#[derive(Clone)]
pub struct LabSpec {
    /// The project directory: `fixtures/` (keys, the app, its flows).
    pub root: PathBuf,
    /// The lab file's path (named in errors) and contents.
    pub path: PathBuf,
    pub file: LabFile,
    pub profiles: Vec<Arc<DeviceProfile>>,
    pub identities: Vec<Identity>,
    /// Virtual lab only: how its phones are reached, and the first adbd port (0: any free ports).
    pub phones: PhonePath,
    pub adb_port_base: u16,
    /// How long a unit may take to come back after a reboot or reset.
    pub boot_timeout: Duration,
    /// Virtual lab only: what each action costs in device time (`None`: nothing is charged), and the
    /// real seconds a served phone sleeps per model second (0: none).
    pub timing: Option<mynacert_wire::timing::Timing>,
    pub time_scale: f64,
    /// Virtual lab only: chaos with this seed on every unit (`--chaos SEED`).
    pub chaos: Option<u64>,
}

impl LabSpec {
    /// The simulator's factory, which a virtual lab file needs (`to`: what was to be done with it).
    fn simulator(
        &self,
        factory: Option<VirtualFactory>,
        to: &str,
    ) -> Result<VirtualFactory, LabError> {
        factory.ok_or_else(|| {
            LabError::Unsupported(format!(
                "{to} the virtual lab `{}` without the simulator (this program was built without it)",
                self.file.lab
            ))
        })
    }

    /// The virtual lab this spec describes, built by the simulator's `factory` (nothing served yet).
    fn build_virtual(
        &self,
        factory: VirtualFactory,
    ) -> Result<Box<dyn mynacert_wire::lab::VirtualBackend>, LabError> {
        let spec = mynacert_wire::lab::VirtualSpec {
            timing: self.timing.clone(),
            time_scale: self.time_scale,
            chaos: self.chaos,
            ..self.file.virtual_spec()
        };
        factory(
            &spec,
            &self.profiles,
            self.identities.clone(),
            &self.root.join("fixtures"),
        )
    }
}

/// An opened lab, with the app flows its phones are driven by and one line per path it reaches its
/// parts through (printed when a run starts).
pub struct OpenLab {
    pub lab: Box<dyn Lab>,
    pub flows: Arc<FlowBook>,
    pub paths: Vec<String>,
}

/// The app's flows of a project (`fixtures/flows/mynaportal.yaml`).
pub fn load_flows(root: &Path) -> Result<Arc<FlowBook>, LabError> {
    let path = root.join("fixtures").join("flows").join("mynaportal.yaml");
    FlowBook::load(&path)
        .map(Arc::new)
        .map_err(|e| LabError::File {
            path: path.clone(),
            detail: format!("app flows: {e}"),
        })
}

/// Opens the lab `spec` describes. `virtual_lab` is the simulator's factory, needed for a virtual lab
/// file (the harness itself has no virtual lab).
pub fn open_lab(spec: &LabSpec, virtual_lab: Option<VirtualFactory>) -> Result<OpenLab, LabError> {
    let flows = load_flows(&spec.root)?;
    match spec.file.kind {
        LabKind::Virtual => {
            let factory = spec.simulator(virtual_lab, "open")?;
            let (lab, paths) = open_virtual(spec, factory)?;
            Ok(OpenLab { lab, flows, paths })
        }
        LabKind::Bench => {
            if spec.phones != PhonePath::InProcess {
                return Err(LabError::Config(
                    "a bench reaches its phones as its lab file says (`adb:`), not by --phones"
                        .into(),
                ));
            }
            let env = AdbEnv::from_process().map_err(LabError::Config)?;
            let mut lab = BenchLab::build(
                &spec.file,
                &spec.profiles,
                spec.identities.clone(),
                &spec.root,
                &env,
            )?;
            lab.set_boot_timeout(spec.boot_timeout);
            lab.connect_units(Duration::from_secs(30))?;
            let mut paths = vec![match lab.check_controller()? {
                Some(id) => format!("controller: lab `{id}` at {:?}", spec.file.controller),
                None => {
                    "controller: none (physical actions asked at the terminal; no authority)".into()
                }
            }];
            paths.push(format!("phones: {}", lab.phone_path()));
            Ok(OpenLab {
                lab: Box::new(lab),
                flows,
                paths,
            })
        }
    }
}

fn open_virtual(
    spec: &LabSpec,
    factory: VirtualFactory,
) -> Result<(Box<dyn Lab>, Vec<String>), LabError> {
    let mut lab = spec.build_virtual(factory)?;
    let mut paths = Vec::new();
    // Cards and SEs with a reader in the lab file: served on vpcd, read through pcscd.
    if !spec.file.readers.is_empty() {
        serve_readers(lab.as_mut(), spec)?;
        paths.push(format!(
            "cards and SEs: {} on vpcd, read through pcscd; the others in process",
            spec.file.readers.len()
        ));
    }
    let route = match spec.phones {
        PhonePath::InProcess => {
            paths.push("phones: in process".into());
            return Ok((lab.into_lab(), paths));
        }
        PhonePath::AdbDirect => Route::Direct,
        PhonePath::AdbServer => {
            Route::Server(AdbEnv::from_process().map_err(LabError::Config)?.server)
        }
    };
    let addresses = lab.serve_phones(spec.adb_port_base)?;
    let addrs: Vec<SocketAddr> = addresses.values().copied().collect();
    let first = addrs.first().map(|a| a.to_string()).unwrap_or_default();
    let mut server = None;
    if let Route::Server(s) = route {
        connect_through_server(s, &addrs, "device", Duration::from_secs(20)).map_err(|e| {
            LabError::Service(format!(
                "{e}\nstart one (`adb start-server`, or `adb -P PORT nodaemon server` with \
                 ADB_SERVER_SOCKET=tcp:127.0.0.1:PORT), or use --phones adb-direct"
            ))
        })?;
        server = Some((s, addrs.clone()));
    }
    let (connector, how) = phone_connector(addresses, route, spec.boot_timeout);
    lab.set_phone_connector(connector, &how);
    paths.push(format!(
        "phones: {} virtual phones served as adbds (first at {first}); {how}",
        addrs.len()
    ));
    Ok((
        Box::new(WiredLab {
            inner: lab.into_lab(),
            server,
        }),
        paths,
    ))
}

/// Serves each reader entry's card or SE on its vpcd slot and points the lab's reads at pcscd.
fn serve_readers(lab: &mut dyn VirtualBackend, spec: &LabSpec) -> Result<(), LabError> {
    let in_file = |m: String| LabError::Config(format!("{}: {m}", spec.path.display()));
    let mut slots: Vec<(ApduTarget, u16)> = Vec::new();
    for r in &spec.file.readers {
        let target = r.role().map_err(in_file)?;
        let slot = crate::pcsc::vpcd_slot(&r.reader).map_err(in_file)?;
        if slots.iter().any(|(_, s)| *s == slot) {
            return Err(in_file(format!(
                "reader `{}`: two entries on the same vpcd reader",
                r.reader
            )));
        }
        slots.push((target, slot));
    }
    let connector =
        crate::pcsc::pcsc_connector(&spec.file.readers).map_err(|e| in_file(e.to_string()))?;
    lab.serve_on_vpcd(&slots)?;
    for (_, slot) in &slots {
        let name = crate::pcsc::vpcd_reader_name(*slot);
        crate::pcsc::wait_for_card(&name, true, Duration::from_secs(5)).map_err(|e| {
            LabError::Service(format!(
                "{e}\npcscd must run with vsmartcard-vpcd (`pcscd -f`; Debian package vsmartcard-vpcd)"
            ))
        })?;
    }
    lab.set_apdu_connector(connector);
    Ok(())
}

/// A virtual lab whose phones an adb server has `adb connect`ed: when dropped, the server forgets them
/// before the phones stop (fields are dropped after `drop` runs), so it does not go on reconnecting to
/// closed ports.
struct WiredLab {
    inner: Box<dyn Lab>,
    server: Option<(SocketAddrV4, Vec<SocketAddr>)>,
}

impl Drop for WiredLab {
    fn drop(&mut self) {
        if let Some((server, addrs)) = self.server.take() {
            disconnect_through_server(server, &addrs);
        }
    }
}

impl WiredLab {
    fn lab(&self) -> &dyn Lab {
        self.inner.as_ref()
    }
    fn lab_mut(&mut self) -> &mut dyn Lab {
        self.inner.as_mut()
    }
}

impl Lab for WiredLab {
    fn id(&self) -> &str {
        self.lab().id()
    }
    fn kind(&self) -> LabKind {
        self.lab().kind()
    }
    fn units(&self) -> &[UnitInfo] {
        self.lab().units()
    }
    fn identities(&self) -> &[Identity] {
        self.lab().identities()
    }
    fn phone(&mut self, serial: &str) -> Result<Box<dyn ShellTransport>, LabError> {
        self.lab_mut().phone(serial)
    }
    fn secure_element(&mut self, serial: &str) -> Result<Box<dyn CardTransport>, LabError> {
        self.lab_mut().secure_element(serial)
    }
    fn card(&mut self, identity: &str) -> Result<Box<dyn CardTransport>, LabError> {
        self.lab_mut().card(identity)
    }
    fn authority(&mut self) -> Result<Box<dyn AuthorityTransport>, LabError> {
        self.lab_mut().authority()
    }
    fn place_card(&mut self, identity: &str, serial: &str) -> Result<(), LabError> {
        self.lab_mut().place_card(identity, serial)
    }
    fn remove_card(&mut self, identity: &str) -> Result<(), LabError> {
        self.lab_mut().remove_card(identity)
    }
    fn power_on(&mut self, serial: &str) -> Result<(), LabError> {
        self.lab_mut().power_on(serial)
    }
    fn app_apk(&self) -> Result<Vec<u8>, LabError> {
        self.lab().app_apk()
    }
    fn service_reset_card(&mut self, identity: &str) -> Result<(), LabError> {
        self.lab_mut().service_reset_card(identity)
    }
    fn service_wipe_se(&mut self, serial: &str) -> Result<(), LabError> {
        self.lab_mut().service_wipe_se(serial)
    }
    fn phone_path(&self) -> String {
        self.lab().phone_path()
    }
}

/// The units a lab would run on, without touching anything: a virtual lab is built in process (nothing
/// served), a bench is read from its lab file (no unit, controller or reader is contacted).
pub fn lab_units(
    spec: &LabSpec,
    virtual_lab: Option<VirtualFactory>,
) -> Result<Vec<UnitInfo>, LabError> {
    match spec.file.kind {
        LabKind::Virtual => {
            let factory = spec.simulator(virtual_lab, "list the units of")?;
            Ok(spec.build_virtual(factory)?.units().to_vec())
        }
        LabKind::Bench => {
            let env = AdbEnv::from_process().map_err(LabError::Config)?;
            let lab = BenchLab::build(
                &spec.file,
                &spec.profiles,
                spec.identities.clone(),
                &spec.root,
                &env,
            )?;
            Ok(lab.units().to_vec())
        }
    }
}
