//! The embedded virtual lab: virtual phones, SEs, cards and authority in one process, reached through the
//! same transports (shell, APDU, authority) as a real lab.

use crate::authority::{HolderInfo, InProcessAuthority, VirtualAuthority};
use crate::card::{AppletFlags, AppletKind, JpkiApplet, KeyMaterial};
use crate::identity::Identity;
use crate::keys::load_rsa_key;
use crate::lab::{
    ApduConnector, ApduTarget, Lab, LabError, LabKind, PhoneConnector, UnitInfo, VirtualBackend,
    VirtualSpec,
};
use crate::phone::VirtualPhone;
use crate::profile::{DeviceProfile, Quirk};
use crate::transport::{
    AuthorityTransport, CardTransport, ShellOutput, ShellTransport, TransportError,
};
use crate::types::CertKind;
use crate::world::{Borrowed, SharedEnv, VirtualCard, World, WorldEnv, issue_contents, new_se};
use mynacert_wire::chaos::ChaosRates;
use mynacert_wire::timing::Action;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many RSA keys of `fixtures/keys/se-pool-NN.pem` the virtual SEs draw from.
const SE_POOL: usize = 12;

/// The embedded virtual lab.
pub struct VirtualLab {
    phone_connector: Option<PhoneConnector>,
    phone_path: String,
    apdu_connector: Option<ApduConnector>,
    id: String,
    world: Arc<World>,
    units: Vec<UnitInfo>,
    identities: Vec<Identity>,
    apk: PathBuf,
    /// Phones served as adbds ([`VirtualBackend::serve_phones`]), stopped with the lab.
    served: Option<crate::adbd::fleet::ServedFleet>,
    /// Cards and SEs served on vpcd ([`VirtualBackend::serve_on_vpcd`]), taken away with the lab.
    cards: Option<crate::vpcd::CardServer>,
    /// What the lab's own actions (cards placed, reader sessions, test services) cost in device time.
    clock: crate::device_time::DeviceClock,
    /// Lab faults (`--chaos SEED`, or models whose profile sets `chaos:`).
    chaos: Option<crate::chaos::LabChaos>,
}

impl VirtualLab {
    /// Builds the virtual lab from its spec, the model profiles and the fixtures directory.
    pub fn build(
        spec: &VirtualSpec,
        profiles: &[Arc<DeviceProfile>],
        identities: Vec<Identity>,
        fixtures: &Path,
    ) -> Result<VirtualLab, LabError> {
        let authority = VirtualAuthority::load(fixtures).map_err(|e| LabError::File {
            path: fixtures.join("ca"),
            detail: format!("virtual authority: {e}"),
        })?;
        let authority = Arc::new(Mutex::new(authority));
        let mut pool = Vec::new();
        for i in 0..SE_POOL {
            let path = fixtures.join("keys").join(format!("se-pool-{i:02}.pem"));
            pool.push(load_rsa_key(&path).map_err(|e| LabError::File {
                path: path.clone(),
                detail: e.to_string(),
            })?);
        }
        let mut env = WorldEnv::new(authority.clone(), pool);
        for identity in &identities {
            let card = make_card(identity, &authority, fixtures)?;
            env.cards.insert(identity.id.clone(), card);
        }
        let units = plan_units(spec, profiles)?;
        let clock = crate::device_time::DeviceClock::new(spec.timing.clone(), spec.time_scale);
        let mut phones = BTreeMap::new();
        for u in &units {
            let mut phone = VirtualPhone::new(u.profile.clone(), &u.serial, &u.carrier);
            phone.set_clock(&clock);
            phones.insert(u.serial.clone(), phone);
            env.ses
                .insert(u.serial.clone(), new_se(se_flags(&u.profile)));
            env.se_keys.insert(u.serial.clone(), u.profile.se_key);
        }
        Ok(VirtualLab {
            phone_connector: None,
            phone_path: "in process".into(),
            apdu_connector: None,
            id: spec.id.clone(),
            world: Arc::new(World {
                phones: phones
                    .into_iter()
                    .map(|(s, p)| (s, Mutex::new(p)))
                    .collect(),
                env: Mutex::new(env),
            }),
            units,
            identities,
            apk: fixtures.join("app").join("mynaportal-sim.apk"),
            served: None,
            cards: None,
            clock,
            chaos: crate::chaos::LabChaos::new(spec.chaos, profiles),
        })
    }
}

fn se_flags(profile: &DeviceProfile) -> AppletFlags {
    AppletFlags {
        enforce_retries: !profile.has(Quirk::PinRetryNotEnforced),
        auth_cert_needs_pin: if profile.has(Quirk::AuthCertReadableWithoutPin) {
            Some(false)
        } else {
            None
        },
    }
}

fn make_card(
    identity: &Identity,
    authority: &Arc<Mutex<VirtualAuthority>>,
    fixtures: &Path,
) -> Result<VirtualCard, LabError> {
    let key = |rel: &str| {
        let path = fixtures.join(rel);
        load_rsa_key(&path).map_err(|e| LabError::File {
            path: path.clone(),
            detail: e.to_string(),
        })
    };
    let auth_key = KeyMaterial::Rsa(key(&identity.card.auth_key)?);
    let sign_key = KeyMaterial::Rsa(key(&identity.card.sign_key)?);
    let holder = HolderInfo::from_identity(identity);
    let mut authority = authority
        .lock()
        .map_err(|_| LabError::Internal("authority state poisoned".into()))?;
    let contents = issue_contents(
        &mut authority,
        (auth_key, sign_key),
        (
            identity.card.auth_pin.clone(),
            identity.card.sign_password.clone(),
        ),
        |a, auth, sign| a.issue_card(&holder, auth, sign),
    )
    .map_err(|e| LabError::Internal(format!("issuing the card of {}: {e}", identity.id)))?;
    Ok(VirtualCard {
        holder,
        applet: JpkiApplet::with_contents(AppletKind::Card, AppletFlags::default(), contents),
    })
}

/// Units of the virtual lab: the lab file's list, or one per carrier variant of every model plus the
/// reference units. Generated serials are unique by construction (see [`serial_for`]); a listed serial
/// that appears twice is refused.
fn plan_units(
    spec: &VirtualSpec,
    profiles: &[Arc<DeviceProfile>],
) -> Result<Vec<UnitInfo>, LabError> {
    let find = |id: &str| {
        profiles
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or_else(|| LabError::Unknown {
                what: "model profile",
                name: id.to_string(),
            })
    };
    let mut units = Vec::new();
    if !spec.units.is_empty() {
        for u in &spec.units {
            units.push(UnitInfo {
                serial: u.serial.clone(),
                profile: find(&u.profile)?,
                carrier: u.carrier.clone(),
                reference: u.reference,
            });
        }
    } else {
        for p in profiles {
            for carrier in &p.carriers {
                units.push(UnitInfo {
                    serial: serial_for("SIM", &p.id, carrier, 1),
                    profile: p.clone(),
                    carrier: carrier.clone(),
                    reference: false,
                });
            }
        }
        let reference = find(&spec.reference_model)?;
        for i in 0..spec.reference_units {
            let carrier = reference
                .carriers
                .get(i % reference.carriers.len().max(1))
                .cloned()
                .unwrap_or_default();
            units.push(UnitInfo {
                serial: serial_for("SIMREF", &reference.id, &carrier, i + 1),
                profile: reference.clone(),
                carrier,
                reference: true,
            });
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for u in &units {
        if !seen.insert(u.serial.as_str()) {
            return Err(LabError::Config(format!(
                "unit serial `{}` is given to two units: every unit needs its own",
                u.serial
            )));
        }
    }
    Ok(units)
}

/// A virtual unit's serial: `KIND-<profile id>-<carrier>-<NN>`, e.g. `SIM-kumo-km51a-docomo-01`. Profile
/// ids are unique (one file each) and carrier ids are unique within a profile and hold no `-`, so two
/// units never share a serial, whatever model codes or carrier names look alike.
fn serial_for(kind: &str, profile: &str, carrier: &str, n: usize) -> String {
    format!("{kind}-{profile}-{carrier}-{n:02}")
}

/// In-process shell transport to a virtual phone.
struct SimShell {
    world: Arc<World>,
    serial: String,
}

impl SimShell {
    /// Runs `f` on the phone, locked (the shared environment is locked per call inside), then sleeps the
    /// device time it owes to the time scale with nothing locked.
    fn with<R>(
        &self,
        f: impl FnOnce(&mut VirtualPhone, &mut SharedEnv<'_>) -> Result<R, TransportError>,
    ) -> Result<R, TransportError> {
        let r = {
            let mut phone = self
                .world
                .phone(&self.serial)
                .ok_or_else(|| self.gone("no such device"))?;
            f(&mut phone, &mut SharedEnv(&self.world.env))
        };
        crate::device_time::settle();
        r
    }
    fn gone(&self, detail: &str) -> TransportError {
        TransportError::Disconnected {
            unit: self.serial.clone(),
            detail: detail.to_string(),
        }
    }
}

impl ShellTransport for SimShell {
    fn serial(&self) -> &str {
        &self.serial
    }
    fn shell(&mut self, command: &str) -> Result<ShellOutput, TransportError> {
        let serial = self.serial.clone();
        let out = self.with(|phone, env| {
            if !phone.powered() {
                return Err(TransportError::Disconnected {
                    unit: serial.clone(),
                    detail: "device offline (powered off)".into(),
                });
            }
            Ok(phone.shell(command, env))
        })?;
        if out.exit_code == Some(255) && out.stderr_text().contains("device offline") {
            return Err(self.gone("device offline"));
        }
        Ok(out)
    }
    fn push(&mut self, data: &[u8], remote_path: &str, _mode: u32) -> Result<(), TransportError> {
        let serial = self.serial.clone();
        self.with(|phone, _| {
            phone
                .push(remote_path, data)
                .map_err(|detail| TransportError::Io {
                    unit: serial.clone(),
                    detail,
                })
        })
    }
    fn pull(&mut self, remote_path: &str) -> Result<Vec<u8>, TransportError> {
        let serial = self.serial.clone();
        self.with(|phone, _| {
            phone
                .pull(remote_path)
                .map_err(|detail| TransportError::Io {
                    unit: serial.clone(),
                    detail,
                })
        })
    }
}

/// Which applet an in-process APDU transport reaches.
#[derive(Clone)]
enum AppletRef {
    Se(String),
    Card(String),
}

/// In-process APDU transport to a virtual SE (phone in card emulation on a reader) or card.
struct SimApdu {
    world: Arc<World>,
    target: AppletRef,
    name: String,
}

impl CardTransport for SimApdu {
    fn name(&self) -> &str {
        &self.name
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut w = self.world.env();
        let applet = match &self.target {
            AppletRef::Se(s) => w.ses.get_mut(s),
            AppletRef::Card(id) => w.cards.get_mut(id).map(|c| &mut c.applet),
        };
        let applet = applet.ok_or_else(|| TransportError::Disconnected {
            unit: self.name.clone(),
            detail: "card removed".into(),
        })?;
        Borrowed {
            name: self.name.clone(),
            applet,
        }
        .transmit(command)
    }
}

impl VirtualLab {
    fn env(&self) -> std::sync::MutexGuard<'_, WorldEnv> {
        self.world.env()
    }

    /// What this lab's actions cost in device time (its timing and time scale).
    pub fn device_clock(&self) -> &crate::device_time::DeviceClock {
        &self.clock
    }

    /// From now on, phone drivers reach units through `connector` instead of in process; `path` says
    /// how (recorded in results).
    pub fn set_phone_connector(&mut self, connector: PhoneConnector, path: &str) {
        self.phone_connector = Some(connector);
        self.phone_path = path.to_string();
    }

    /// From now on, SEs and cards are reached through `connector` where it has a reader for them.
    pub fn set_apdu_connector(&mut self, connector: ApduConnector) {
        self.apdu_connector = Some(connector);
    }

    /// The in-process shell of a virtual phone (what a served adbd relays to).
    pub fn in_process_shell(&self, serial: &str) -> Box<dyn ShellTransport> {
        Box::new(SimShell {
            world: self.world.clone(),
            serial: serial.to_string(),
        })
    }

    /// The in-process APDU path to a virtual SE or card (what a served vpcd card relays to). Each call
    /// is a new session: the applet is power-cycled (no selection, no PIN verified).
    pub fn in_process_apdu(&self, target: &ApduTarget) -> Result<Box<dyn CardTransport>, LabError> {
        self.apdu_sessions().open(target)
    }

    /// A handle that opens in-process APDU sessions without borrowing the lab (for servers on threads).
    pub fn apdu_sessions(&self) -> ApduSessions {
        ApduSessions {
            world: self.world.clone(),
        }
    }
}

/// Opens in-process APDU sessions to the virtual SEs and cards of one [`VirtualLab`]; cheap to clone.
#[derive(Clone)]
pub struct ApduSessions {
    world: Arc<World>,
}

impl ApduSessions {
    /// A new session to a virtual SE or card: the applet is power-cycled (no selection, no PIN verified).
    pub fn open(&self, target: &ApduTarget) -> Result<Box<dyn CardTransport>, LabError> {
        let (r, name) = match target {
            ApduTarget::SecureElement(s) => (
                AppletRef::Se(s.clone()),
                format!("virtual reader (SE of {s})"),
            ),
            ApduTarget::Card(id) => (
                AppletRef::Card(id.clone()),
                format!("virtual reader (card of {id})"),
            ),
        };
        {
            let mut w = self.world.env();
            let applet = match &r {
                AppletRef::Se(s) => w.ses.get_mut(s),
                AppletRef::Card(id) => w.cards.get_mut(id).map(|c| &mut c.applet),
            };
            applet
                .ok_or_else(|| LabError::Unknown {
                    what: "card or secure element",
                    name: name.clone(),
                })?
                .power_cycle();
        }
        Ok(Box::new(SimApdu {
            world: self.world.clone(),
            target: r,
            name,
        }))
    }
}

impl VirtualLab {
    fn reach(&mut self, target: ApduTarget) -> Result<Box<dyn CardTransport>, LabError> {
        if let Some(connect) = self.apdu_connector.as_mut()
            && let Some(t) = connect(&target)?
        {
            return Ok(t);
        }
        self.in_process_apdu(&target)
    }
}

impl Lab for VirtualLab {
    fn id(&self) -> &str {
        &self.id
    }
    fn kind(&self) -> LabKind {
        LabKind::Virtual
    }
    fn phone_path(&self) -> String {
        self.phone_path.clone()
    }
    fn units(&self) -> &[UnitInfo] {
        &self.units
    }
    fn identities(&self) -> &[Identity] {
        &self.identities
    }
    fn phone(&mut self, serial: &str) -> Result<Box<dyn ShellTransport>, LabError> {
        let own = crate::lab::unit(self, serial)?.profile.chaos;
        let t = match self.phone_connector.as_mut() {
            Some(connect) => connect(serial)?,
            None => self.in_process_shell(serial),
        };
        Ok(crate::chaos::LabChaos::shell(self.chaos.as_ref(), own, t))
    }
    fn secure_element(&mut self, serial: &str) -> Result<Box<dyn CardTransport>, LabError> {
        let own = crate::lab::unit(self, serial)?.profile.chaos;
        self.charge(Action::SeRead);
        let t = self.reach(ApduTarget::SecureElement(serial.to_string()))?;
        Ok(crate::chaos::LabChaos::card(self.chaos.as_ref(), own, t))
    }
    fn card(&mut self, identity: &str) -> Result<Box<dyn CardTransport>, LabError> {
        self.charge(Action::SeRead);
        let t = self.reach(ApduTarget::Card(identity.to_string()))?;
        Ok(crate::chaos::LabChaos::card(self.chaos.as_ref(), None, t))
    }
    fn authority(&mut self) -> Result<Box<dyn AuthorityTransport>, LabError> {
        let shared = self.env().authority.clone();
        let t: Box<dyn AuthorityTransport> = Box::new(InProcessAuthority::new(shared));
        Ok(crate::chaos::LabChaos::authority(self.chaos.as_ref(), t))
    }
    fn place_card(&mut self, identity: &str, serial: &str) -> Result<(), LabError> {
        let mut w = self.env();
        if !w.cards.contains_key(identity) {
            return Err(LabError::Unknown {
                what: "card",
                name: identity.to_string(),
            });
        }
        if let Some(card) = w.cards.get_mut(identity) {
            card.applet.power_cycle();
        }
        drop(w);
        self.charge(Action::CardPlacement);
        let mut w = self.env();
        w.card_on.insert(identity.to_string(), serial.to_string());
        Ok(())
    }
    fn remove_card(&mut self, identity: &str) -> Result<(), LabError> {
        self.env().card_on.remove(identity);
        Ok(())
    }
    fn power_on(&mut self, serial: &str) -> Result<(), LabError> {
        let mut phone = self.world.phone(serial).ok_or_else(|| LabError::Unknown {
            what: "unit",
            name: serial.to_string(),
        })?;
        phone.power_on();
        drop(phone);
        if self.phone_connector.is_some() {
            // Served: the boot sleeps here, but a served lab's device time is measured, not charged.
            let _ = mynacert_wire::clock::take();
        }
        crate::device_time::settle();
        Ok(())
    }
    fn app_apk(&self) -> Result<Vec<u8>, LabError> {
        std::fs::read(&self.apk).map_err(|e| LabError::File {
            path: self.apk.clone(),
            detail: e.to_string(),
        })
    }
    fn service_reset_card(&mut self, identity: &str) -> Result<(), LabError> {
        self.charge(Action::ServiceCall);
        let mut w = self.env();
        let card = w.cards.get_mut(identity).ok_or_else(|| LabError::Unknown {
            what: "card",
            name: identity.to_string(),
        })?;
        card.applet.reset_retries();
        Ok(())
    }
    fn service_wipe_se(&mut self, serial: &str) -> Result<(), LabError> {
        self.charge(Action::ServiceCall);
        let mut w = self.env();
        let se = w.ses.get_mut(serial).ok_or_else(|| LabError::Unknown {
            what: "secure element",
            name: serial.to_string(),
        })?;
        se.delete(&CertKind::ALL);
        Ok(())
    }
}

impl VirtualLab {
    /// Chaos everywhere at `rates` from here on (instead of what the spec and profiles said).
    pub fn set_chaos(&mut self, seed: u64, rates: ChaosRates) {
        self.chaos = Some(crate::chaos::LabChaos::everywhere(seed, rates));
    }

    /// Whether the served bench controller cuts a connection now (chaos).
    pub fn controller_cut(&self) -> bool {
        crate::chaos::LabChaos::cut_controller(self.chaos.as_ref())
    }

    /// Charges a lab action to the calling thread — in process only: a served lab's phones and cards
    /// charge (and sleep) where they serve, and the harness measures real time.
    fn charge(&self, action: Action) {
        if self.phone_connector.is_none() {
            self.clock.charge(action, 1.0);
            crate::device_time::settle();
        }
    }
}

impl VirtualBackend for VirtualLab {
    fn serve_phones(
        &mut self,
        port_base: u16,
    ) -> Result<BTreeMap<String, std::net::SocketAddr>, LabError> {
        let fleet = crate::adbd::fleet::ServedFleet::serve(
            self,
            port_base,
            &crate::adbd::AdbdConfig::default(),
        )
        .map_err(|e| {
            LabError::Service(format!(
                "cannot serve the virtual phones from port {port_base}: {e} (0 = any free ports)"
            ))
        })?;
        let addresses = fleet.addresses();
        self.served = Some(fleet);
        Ok(addresses)
    }
    fn set_phone_connector(&mut self, connector: PhoneConnector, path: &str) {
        VirtualLab::set_phone_connector(self, connector, path);
    }
    fn serve_on_vpcd(&mut self, slots: &[(ApduTarget, u16)]) -> Result<(), LabError> {
        let slots: Vec<crate::vpcd::CardSlot> = slots
            .iter()
            .map(|(target, slot)| crate::vpcd::CardSlot::local(target.clone(), *slot))
            .collect();
        self.cards = Some(crate::vpcd::serve_cards(self, &slots));
        Ok(())
    }
    fn set_apdu_connector(&mut self, connector: ApduConnector) {
        VirtualLab::set_apdu_connector(self, connector);
    }
    fn into_lab(self: Box<Self>) -> Box<dyn Lab> {
        self
    }
}

/// The simulator's [`crate::lab::VirtualFactory`]: builds a virtual lab for the harness's lab factory.
pub fn factory(
    spec: &VirtualSpec,
    profiles: &[Arc<DeviceProfile>],
    identities: Vec<Identity>,
    fixtures: &Path,
) -> Result<Box<dyn VirtualBackend>, LabError> {
    Ok(Box::new(VirtualLab::build(
        spec, profiles, identities, fixtures,
    )?))
}

#[cfg(test)]
#[path = "virtual_lab_tests.rs"]
mod tests;
