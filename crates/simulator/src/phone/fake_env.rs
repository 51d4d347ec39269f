//! A small in-memory [`PhoneEnv`] for tests: one card, per-phone secure elements, an authority ledger.

use super::{EnvError, PhoneEnv, VirtualPhone};
use crate::profile::{DeviceProfile, Listing, OpenPoints, Quirk};
use crate::secret::Secret;
use crate::transport::{ShellOutput, ShellTransport, TransportError};
use crate::types::{CertKind, CertStatus, KeyType, PinKind};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

pub const PERSON: &str = "TEST0000000001";
pub const CARD_PW: &str = "CARD12345";
pub const PHONE_PIN: &str = "4321";
pub const PHONE_PW: &str = "PHONE9876";

#[derive(Debug, Clone, Default)]
pub struct Se {
    pub person: Option<String>,
    pub held: BTreeSet<CertKind>,
    pub auth_pin: String,
    pub sign_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert {
    pub person: String,
    pub device: String,
    pub kind: CertKind,
    pub status: CertStatus,
}

/// The fake world.
#[derive(Debug, Default)]
pub struct FakeEnv {
    /// Serial of the phone the card is held to.
    pub card_on: Option<String>,
    pub card_retries: u8,
    pub se: BTreeMap<String, Se>,
    pending: BTreeMap<String, (String, String, String, Vec<CertKind>)>,
    pub certs: Vec<Cert>,
    pub suspended: BTreeSet<String>,
    pub reissue: BTreeSet<String>,
    /// Names of the calls made, in order.
    pub calls: Vec<String>,
}

impl FakeEnv {
    pub fn new() -> Self {
        FakeEnv {
            card_retries: 5,
            ..FakeEnv::default()
        }
    }

    fn issue(&mut self, person: &str, device: &str, kind: CertKind) {
        self.certs.push(Cert {
            person: person.into(),
            device: device.into(),
            kind,
            status: CertStatus::Valid,
        });
    }

    /// Statuses of every certificate of a person on a device, by kind (latest wins).
    pub fn statuses(&self, device: &str) -> BTreeMap<CertKind, CertStatus> {
        self.certs
            .iter()
            .filter(|c| c.device == device)
            .map(|c| (c.kind, c.status))
            .collect()
    }

    pub fn holds(&self, serial: &str) -> Vec<CertKind> {
        self.se
            .get(serial)
            .map(|s| s.held.iter().copied().collect())
            .unwrap_or_default()
    }
}

impl PhoneEnv for FakeEnv {
    fn read_card(&mut self, serial: &str, pw: &Secret) -> Result<String, EnvError> {
        self.calls.push("read_card".into());
        if self.card_on.as_deref() != Some(serial) {
            return Err(EnvError::NoCard);
        }
        if self.card_retries == 0 {
            return Err(EnvError::Locked);
        }
        if pw.expose() != CARD_PW {
            self.card_retries -= 1;
            return Err(EnvError::WrongPassword {
                retries: self.card_retries,
            });
        }
        self.card_retries = 5;
        Ok(PERSON.into())
    }

    fn apply(
        &mut self,
        serial: &str,
        person: &str,
        auth: &Secret,
        sign: &Secret,
        revoke_previous: bool,
    ) -> Result<(), EnvError> {
        self.calls
            .push(format!("apply revoke_previous={revoke_previous}"));
        if self.suspended.contains(person) {
            return Err(EnvError::Suspended);
        }
        if revoke_previous {
            self.revoke_other_devices(serial, person)?;
        }
        for k in CertKind::ALL {
            self.issue(person, serial, k);
        }
        self.pending.insert(
            serial.into(),
            (
                person.into(),
                auth.expose().into(),
                sign.expose().into(),
                CertKind::ALL.to_vec(),
            ),
        );
        Ok(())
    }

    fn pending(&mut self, serial: &str) -> bool {
        self.pending.contains_key(serial)
    }

    fn register(&mut self, serial: &str) -> Result<(), EnvError> {
        self.calls.push("register".into());
        let (person, auth, sign, kinds) = self
            .pending
            .remove(serial)
            .ok_or_else(|| EnvError::Refused("nothing pending".into()))?;
        let se = self.se.entry(serial.into()).or_default();
        se.person = Some(person);
        if !auth.is_empty() {
            se.auth_pin = auth;
        }
        if !sign.is_empty() {
            se.sign_password = sign;
        }
        se.held.extend(kinds);
        Ok(())
    }

    fn se_holds(&mut self, serial: &str) -> Vec<CertKind> {
        self.holds(serial)
    }

    fn se_person(&mut self, serial: &str) -> Option<String> {
        self.se.get(serial).and_then(|s| s.person.clone())
    }

    fn se_verify(&mut self, serial: &str, pin: PinKind, value: &Secret) -> Result<(), EnvError> {
        let se = self.se.get(serial).ok_or(EnvError::NotSupported)?;
        let want = match pin {
            PinKind::Auth => &se.auth_pin,
            PinKind::Sign => &se.sign_password,
        };
        if value.expose() == want {
            Ok(())
        } else {
            Err(EnvError::WrongPassword { retries: 2 })
        }
    }

    fn se_delete(&mut self, serial: &str, kinds: &[CertKind]) {
        self.calls.push("se_delete".into());
        if let Some(se) = self.se.get_mut(serial) {
            for k in kinds {
                se.held.remove(k);
            }
            if se.held.is_empty() {
                se.person = None;
            }
        }
    }

    fn se_wipe(&mut self, serial: &str) {
        self.calls.push("se_wipe".into());
        self.se.remove(serial);
    }

    fn revoke(
        &mut self,
        serial: &str,
        person: &str,
        kinds: &[CertKind],
    ) -> Result<usize, EnvError> {
        self.calls.push("revoke".into());
        let mut n = 0;
        for c in &mut self.certs {
            if c.device == serial
                && c.person == person
                && kinds.contains(&c.kind)
                && c.status == CertStatus::Valid
            {
                c.status = CertStatus::Revoked;
                n += 1;
            }
        }
        Ok(n)
    }

    fn revoke_other_devices(&mut self, serial: &str, person: &str) -> Result<usize, EnvError> {
        self.calls.push("revoke_other_devices".into());
        let mut n = 0;
        for c in &mut self.certs {
            if c.device != serial && c.person == person && c.status == CertStatus::Valid {
                c.status = CertStatus::Revoked;
                n += 1;
            }
        }
        Ok(n)
    }

    fn status(&mut self, serial: &str, _person: &str, kind: CertKind) -> CertStatus {
        self.statuses(serial)
            .get(&kind)
            .copied()
            .unwrap_or(CertStatus::Absent)
    }

    fn suspended(&mut self, person: &str) -> bool {
        self.suspended.contains(person)
    }

    fn sign_reissue_pending(&mut self, serial: &str, _person: &str) -> bool {
        self.reissue.contains(serial)
    }

    fn reissue_sign(&mut self, serial: &str, person: &str) -> Result<(), EnvError> {
        self.calls.push("reissue_sign".into());
        self.reissue.remove(serial);
        self.issue(person, serial, CertKind::Sign);
        self.pending.insert(
            serial.into(),
            (
                person.into(),
                String::new(),
                String::new(),
                vec![CertKind::Sign],
            ),
        );
        Ok(())
    }
}

/// A test profile: supported, NFC, SE, biometrics as asked, with quirks.
pub fn profile(listing: Listing, biometrics: bool, quirks: &[Quirk]) -> Arc<DeviceProfile> {
    Arc::new(DeviceProfile {
        id: "kumo-km51a".into(),
        maker: "Kumo".into(),
        model_name: "Kumo Sora 5".into(),
        model_code: "KM-51A".into(),
        carriers: vec!["docomo".into()],
        android: "14".into(),
        sdk: 34,
        nfc_type_b: true,
        gp_se: true,
        biometrics,
        se_key: KeyType::Rsa2048,
        expected_listing: listing,
        factory_reset: vec![
            "am broadcast -a android.intent.action.FACTORY_RESET -p android --receiver-foreground"
                .into(),
        ],
        open_points: OpenPoints::default(),
        quirks: quirks.to_vec(),
        notes: String::new(),
        timing: Default::default(),
        chaos: None,
    })
}

/// The lab: phones and the shared fake world.
pub struct Lab {
    pub phones: BTreeMap<String, VirtualPhone>,
    pub env: FakeEnv,
}

/// A `ShellTransport` over one phone of a shared lab (powered off → `Disconnected`).
pub struct SimTransport {
    pub lab: Arc<Mutex<Lab>>,
    pub serial: String,
}

impl ShellTransport for SimTransport {
    fn serial(&self) -> &str {
        &self.serial
    }
    fn shell(&mut self, command: &str) -> Result<ShellOutput, TransportError> {
        let mut lab = self.lab.lock().map_err(|_| self.io("lab lock poisoned"))?;
        let Lab { phones, env } = &mut *lab;
        let phone = phones
            .get_mut(&self.serial)
            .ok_or_else(|| self.io("no such phone"))?;
        let out = phone.shell(command, env);
        if out.exit_code == Some(255) && out.stderr == b"error: device offline" {
            return Err(TransportError::Disconnected {
                unit: self.serial.clone(),
                detail: "device offline".into(),
            });
        }
        Ok(out)
    }
    fn push(&mut self, data: &[u8], path: &str, _mode: u32) -> Result<(), TransportError> {
        let mut lab = self.lab.lock().map_err(|_| self.io("lab lock poisoned"))?;
        let phone = lab
            .phones
            .get_mut(&self.serial)
            .ok_or_else(|| self.io("no such phone"))?;
        phone.push(path, data).map_err(|d| self.io(&d))
    }
    fn pull(&mut self, path: &str) -> Result<Vec<u8>, TransportError> {
        let lab = self.lab.lock().map_err(|_| self.io("lab lock poisoned"))?;
        let phone = lab
            .phones
            .get(&self.serial)
            .ok_or_else(|| self.io("no such phone"))?;
        phone.pull(path).map_err(|d| self.io(&d))
    }
}

impl SimTransport {
    fn io(&self, detail: &str) -> TransportError {
        TransportError::Io {
            unit: self.serial.clone(),
            detail: detail.into(),
        }
    }
}

/// The fixture APK bytes.
pub fn apk() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/app/mynaportal-sim.apk");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
