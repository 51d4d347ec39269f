//! The virtual certificate authority (a J-LIS test environment, in process).
//!
//! Two visibly-test CAs (`O=JPKI-SIM (TEST)`) sign card and smartphone certificates with stored RSA-2048
//! keys (`fixtures/ca/*.pem`). A ledger records who got which certificate on which device; revocations
//! are published in signed CRLs whose number grows with every change. Suspension (R7) is a per-person
//! flag; lifting it keeps the auth certificates and revokes the sign certificates, which must be
//! re-issued. R2 (one phone at a time) is applied on issuance unless the caller asks the authority to
//! misbehave (`revoke_previous = false`), which is how suites check that the harness catches the defect.
//!
//! Re-issuing to the *same* device always supersedes that device's older certificates.

pub mod ca;
mod order;
mod transport;

/// Keys and holders for tests of certificate checks (the harness's tests use them too).
pub mod test_keys;
#[cfg(test)]
mod tests;

pub use order::{CrlFetch, SignedCrl, SignedPair, SmartphoneOrder, UnsignedCrl};
pub use transport::InProcessAuthority;

use crate::types::{CertKind, CertStatus, IssuedRecord};
use ca::TestCa;
use order::{Cas, Unsigned};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use thiserror::Error;
use time::OffsetDateTime;

/// What the virtual authority could not do.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SimAuthorityError {
    /// A CA key file is missing (generate it with the ignored test `regenerate_missing_ca_keys`).
    #[error(
        "CA key {path} is missing (run `cargo test --lib regenerate_missing_ca_keys -- --ignored`)"
    )]
    CaKeyMissing { path: String },
    /// A CA key file could not be read or is not an RSA PKCS#8 PEM key.
    #[error("CA key {path}: {detail}")]
    CaKey { path: String, detail: String },
    /// Generating a CA key failed.
    #[error("CA key generation failed: {detail}")]
    KeyGeneration { detail: String },
    /// The subject public key (SubjectPublicKeyInfo DER) is malformed or of an unsupported type.
    #[error("{kind} subject public key: {detail}")]
    SubjectKey { kind: CertKind, detail: String },
    /// A holder field is unusable.
    #[error("holder {field}: {detail}")]
    Holder { field: &'static str, detail: String },
    /// Building or signing a certificate or CRL failed.
    #[error("{what}: {detail}")]
    Certificate { what: String, detail: String },
    /// The person's smartphone certificates are suspended: no issuance until lifted.
    #[error("{person}: smartphone certificates are suspended; issuance refused")]
    Suspended { person: String },
    /// `reissue_sign` without a sign certificate revoked by lifting a suspension.
    #[error("{person} on {device}: no sign certificate awaits re-issue")]
    NoReissuePending { person: String, device: String },
}

/// The holder data printed into certificates (fictitious TEST identities only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderInfo {
    /// Opaque person id: the subject CN of both certificates.
    pub person_id: String,
    /// Holder name.
    pub name: String,
    /// Holder address.
    pub address: String,
    /// Birth date `YYYYMMDD`.
    pub birth_date: String,
    /// 1 male, 2 female, 9 not applicable.
    pub sex: u8,
}

impl HolderInfo {
    /// Holder data of a test identity.
    pub fn from_identity(identity: &crate::identity::Identity) -> Self {
        HolderInfo {
            person_id: identity.person_id.clone(),
            name: identity.name.clone(),
            address: identity.address.clone(),
            birth_date: identity.birth_date.clone(),
            sex: identity.sex,
        }
    }
}

/// Why the virtual authority revoked a certificate (mapped to a CRL reason code by [`ca`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevocationCause {
    /// A newer issuance replaced it (R2, or re-issue to the same device): `superseded`.
    Superseded,
    /// Revoked on request (from a phone, by uninstall): `cessationOfOperation`.
    Revoked,
    /// Test-environment clean-up: `privilegeWithdrawn`.
    CleanUp,
    /// Sign certificate of a suspension that was lifted: `keyCompromise`.
    SuspensionLifted,
}

/// One certificate in the ledger.
#[derive(Debug, Clone)]
struct Entry {
    person: String,
    /// `None` for a My Number Card certificate.
    device: Option<String>,
    kind: CertKind,
    serial: Vec<u8>,
    der: Vec<u8>,
    revoked: Option<(OffsetDateTime, RevocationCause)>,
}

impl Entry {
    fn is_valid_smartphone(&self, person: &str) -> bool {
        self.person == person && self.device.is_some() && self.revoked.is_none()
    }
}

/// The virtual J-LIS: two test CAs, an issuance ledger, suspension flags and CRLs.
#[derive(Debug)]
pub struct VirtualAuthority {
    /// The two CAs, shared with orders being signed outside the authority's lock ([`order`]).
    cas: Arc<Cas>,
    entries: Vec<Entry>,
    suspended: BTreeSet<String>,
    /// (person, device) whose sign certificate was revoked by lifting a suspension.
    sign_pending: BTreeSet<(String, String)>,
    /// Revocation changes per kind (auth, sign); the CRL number is this plus one.
    revisions: [u64; 2],
    /// Last CRL per kind (auth, sign) with the revision it was built for.
    crl_cache: Mutex<[CachedCrl; 2]>,
    clock: Option<OffsetDateTime>,
}

/// A signed CRL and the revision it was built for.
type CachedCrl = Option<(u64, Vec<u8>)>;

fn slot(kind: CertKind) -> usize {
    match kind {
        CertKind::Auth => 0,
        CertKind::Sign => 1,
    }
}

impl VirtualAuthority {
    /// Loads both CAs from `<fixtures_dir>/ca/ca-auth.pem` and `ca-sign.pem`.
    pub fn load(fixtures_dir: &Path) -> Result<Self, SimAuthorityError> {
        let load_one = |kind: CertKind| -> Result<TestCa, SimAuthorityError> {
            let path = ca::ca_key_path(fixtures_dir, kind);
            let pem = std::fs::read_to_string(&path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    SimAuthorityError::CaKeyMissing {
                        path: path.display().to_string(),
                    }
                } else {
                    SimAuthorityError::CaKey {
                        path: path.display().to_string(),
                        detail: e.to_string(),
                    }
                }
            })?;
            TestCa::from_pem(kind, &pem, &path)
        };
        Ok(VirtualAuthority {
            cas: Arc::new(Cas {
                auth: load_one(CertKind::Auth)?,
                sign: load_one(CertKind::Sign)?,
            }),
            entries: Vec::new(),
            suspended: BTreeSet::new(),
            sign_pending: BTreeSet::new(),
            revisions: [0; 2],
            crl_cache: Mutex::new([None, None]),
            clock: None,
        })
    }

    /// Pins the authority's clock (virtual lab time); `None` follows the system clock.
    pub fn set_clock(&mut self, now: Option<OffsetDateTime>) {
        self.clock = now;
        // thisUpdate of cached CRLs follows the clock.
        self.revisions = self.revisions.map(|r| r + 1);
    }

    /// The authority's current time.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.unwrap_or_else(OffsetDateTime::now_utc)
    }

    fn ca(&self, kind: CertKind) -> &TestCa {
        self.cas.get(kind)
    }

    /// The CA certificate for one kind, DER.
    pub fn ca_der(&self, kind: CertKind) -> Vec<u8> {
        self.ca(kind).der().to_vec()
    }

    /// Certificates for a My Number Card (issued at lab start from stored card keys): (auth, sign).
    pub fn issue_card(
        &mut self,
        holder: &HolderInfo,
        auth_spki: &[u8],
        sign_spki: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), SimAuthorityError> {
        let auth = self.build(holder, CertKind::Auth, auth_spki)?;
        let sign = self.build(holder, CertKind::Sign, sign_spki)?;
        let ders = (auth.der.clone(), sign.der.clone());
        self.entries.push(auth);
        self.entries.push(sign);
        Ok(ders)
    }

    /// Smartphone certificates into a device: (auth, sign). `revoke_previous` = the normal rule R2:
    /// every smartphone certificate of that person on any OTHER device is revoked at once. Older
    /// certificates on the same device are always superseded. Refused while suspended. (Order, sign
    /// and commit in one go; a shared authority does the signing outside its lock, see [`order`].)
    pub fn issue_smartphone(
        &mut self,
        holder: &HolderInfo,
        device: &str,
        auth_spki: &[u8],
        sign_spki: &[u8],
        revoke_previous: bool,
    ) -> Result<(Vec<u8>, Vec<u8>), SimAuthorityError> {
        let pair = self
            .order_smartphone(holder, device, auth_spki, sign_spki)?
            .sign()?;
        self.commit_smartphone(pair, revoke_previous)
    }

    /// Revokes the currently valid smartphone certificates of `kinds` of a person on a device.
    /// Returns how many were revoked.
    pub fn revoke(&mut self, person: &str, device: &str, kinds: &[CertKind]) -> usize {
        // A revoked sign certificate is not re-issued after a lift.
        if kinds.contains(&CertKind::Sign) {
            self.sign_pending
                .remove(&(person.to_string(), device.to_string()));
        }
        self.revoke_where(kinds, RevocationCause::Revoked, |e| {
            e.is_valid_smartphone(person) && e.device.as_deref() == Some(device)
        })
    }

    /// Test-environment clean-up: revokes every valid smartphone certificate of a person.
    pub fn revoke_all(&mut self, person: &str) -> usize {
        self.sign_pending.retain(|(p, _)| p != person);
        self.revoke_where(CertKind::ALL.as_slice(), RevocationCause::CleanUp, |e| {
            e.is_valid_smartphone(person)
        })
    }

    /// The hotline suspends (`true`) or lifts (`false`) every smartphone certificate of a person.
    /// Lifting keeps the auth certificates; the valid sign certificates are revoked and await re-issue.
    pub fn set_suspended(&mut self, person: &str, suspended: bool) {
        if suspended {
            self.suspended.insert(person.to_string());
            return;
        }
        if !self.suspended.remove(person) {
            return;
        }
        let devices: Vec<String> = self
            .entries
            .iter()
            .filter(|e| e.kind == CertKind::Sign && e.is_valid_smartphone(person))
            .filter_map(|e| e.device.clone())
            .collect();
        self.revoke_where(&[CertKind::Sign], RevocationCause::SuspensionLifted, |e| {
            e.is_valid_smartphone(person)
        });
        for device in devices {
            self.sign_pending.insert((person.to_string(), device));
        }
    }

    /// True when lifting a suspension revoked this device's sign certificate and it was not re-issued.
    pub fn sign_reissue_pending(&self, person: &str, device: &str) -> bool {
        self.sign_pending
            .contains(&(person.to_string(), device.to_string()))
    }

    /// Re-issues the sign certificate that lifting a suspension revoked.
    pub fn reissue_sign(
        &mut self,
        holder: &HolderInfo,
        device: &str,
        sign_spki: &[u8],
    ) -> Result<Vec<u8>, SimAuthorityError> {
        let person = holder.person_id.as_str();
        if self.is_suspended(person) {
            return Err(SimAuthorityError::Suspended {
                person: person.to_string(),
            });
        }
        let key = (person.to_string(), device.to_string());
        if !self.sign_pending.contains(&key) {
            return Err(SimAuthorityError::NoReissuePending {
                person: key.0,
                device: key.1,
            });
        }
        let mut sign = self.build(holder, CertKind::Sign, sign_spki)?;
        sign.device = Some(device.to_string());
        let der = sign.der.clone();
        self.entries.push(sign);
        self.sign_pending.remove(&key);
        Ok(der)
    }

    /// Whether the person's smartphone certificates are suspended.
    pub fn is_suspended(&self, person: &str) -> bool {
        self.suspended.contains(person)
    }

    /// Status of the newest certificate of `kind` issued to `person` on `device`.
    pub fn status(&self, person: &str, device: &str, kind: CertKind) -> CertStatus {
        let newest =
            self.entries.iter().rev().find(|e| {
                e.person == person && e.kind == kind && e.device.as_deref() == Some(device)
            });
        match newest {
            None => CertStatus::Absent,
            Some(e) if e.revoked.is_some() => CertStatus::Revoked,
            Some(_) if self.is_suspended(person) => CertStatus::Suspended,
            Some(_) => CertStatus::Valid,
        }
    }

    /// Every smartphone certificate issued to a person, oldest first.
    pub fn issued(&self, person: &str) -> Vec<IssuedRecord> {
        self.entries
            .iter()
            .filter(|e| e.person == person)
            .filter_map(|e| {
                e.device.as_ref().map(|device| IssuedRecord {
                    kind: e.kind,
                    device: device.clone(),
                    der: e.der.clone(),
                })
            })
            .collect()
    }

    /// The current CRL of one CA, DER: signed by that CA, with reason codes; its CRL number grows with
    /// every change (the same bytes are returned while nothing changes).
    pub fn crl_der(&self, kind: CertKind) -> Result<Vec<u8>, SimAuthorityError> {
        match self.crl_fetch(kind) {
            CrlFetch::Ready(der) => Ok(der),
            CrlFetch::Unsigned(crl) => {
                let crl = crl.sign()?;
                self.keep_crl(&crl);
                Ok(crl.into_der())
            }
        }
    }

    /// Builds and signs (does not record) one certificate for a holder; `device` is left empty (card).
    fn build(
        &self,
        holder: &HolderInfo,
        kind: CertKind,
        spki: &[u8],
    ) -> Result<Entry, SimAuthorityError> {
        self.plan(holder, kind, spki)?.sign(&self.cas)
    }

    /// Decides (does not sign) one certificate for a holder: serial, validity, holder fields.
    fn plan(
        &self,
        holder: &HolderInfo,
        kind: CertKind,
        spki: &[u8],
    ) -> Result<Unsigned, SimAuthorityError> {
        if holder.person_id.is_empty() {
            return Err(SimAuthorityError::Holder {
                field: "person_id",
                detail: "empty".into(),
            });
        }
        let now = self.now();
        let not_after = ca::fifth_birthday_after(&holder.birth_date, now)?;
        let other_names = match kind {
            CertKind::Auth => Vec::new(),
            CertKind::Sign => vec![
                (ca::OID_NAME, holder.name.clone()),
                (ca::OID_NAME_ALT, holder.name.clone()),
                (ca::OID_BIRTH_DATE, holder.birth_date.clone()),
                (ca::OID_SEX, holder.sex.to_string()),
                (ca::OID_ADDRESS, holder.address.clone()),
                (ca::OID_TEST_MARKER, ca::TEST_MARKER.to_string()),
            ],
        };
        Ok(Unsigned {
            kind,
            person: holder.person_id.clone(),
            spki: spki.to_vec(),
            serial: self.fresh_serial(),
            not_before: now,
            not_after,
            other_names,
        })
    }

    /// A random positive 128-bit serial not used before.
    fn fresh_serial(&self) -> Vec<u8> {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        loop {
            let mut serial = [0u8; 16];
            rng.fill(&mut serial[..]);
            serial[0] = (serial[0] & 0x7f).max(1);
            if !self.entries.iter().any(|e| e.serial == serial) {
                return serial.to_vec();
            }
        }
    }

    /// Revokes every entry of `kinds` matching `pick`; bumps the CRL revision of each kind touched.
    fn revoke_where(
        &mut self,
        kinds: &[CertKind],
        cause: RevocationCause,
        pick: impl Fn(&Entry) -> bool,
    ) -> usize {
        let now = self.now();
        let mut count = 0;
        let mut touched = [false; 2];
        for e in &mut self.entries {
            if kinds.contains(&e.kind) && pick(e) {
                e.revoked = Some((now, cause));
                touched[slot(e.kind)] = true;
                count += 1;
            }
        }
        for (rev, t) in self.revisions.iter_mut().zip(touched) {
            if t {
                *rev += 1;
            }
        }
        count
    }
}
