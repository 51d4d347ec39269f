//! Issuance and CRLs in three steps, so that the slow part — RSA signing — runs outside every lock:
//! the authority decides under its lock (checks, serials, time: an *order*), the order is signed with
//! no lock held, and the authority records the result under its lock again (a *commit*). Phones of a
//! parallel run then sign side by side instead of queueing on the authority.

use super::ca::{CrlEntry, LeafRequest, TestCa};
use super::{Entry, SimAuthorityError, VirtualAuthority, slot};
use crate::types::CertKind;
use std::sync::Arc;
use time::OffsetDateTime;

/// The two test CAs. Read-only once loaded, shared by orders being signed.
#[derive(Debug)]
pub(crate) struct Cas {
    pub auth: TestCa,
    pub sign: TestCa,
}

impl Cas {
    pub fn get(&self, kind: CertKind) -> &TestCa {
        match kind {
            CertKind::Auth => &self.auth,
            CertKind::Sign => &self.sign,
        }
    }
}

/// One certificate the authority decided to issue, not yet signed.
#[derive(Debug)]
pub(super) struct Unsigned {
    pub kind: CertKind,
    pub person: String,
    pub spki: Vec<u8>,
    pub serial: Vec<u8>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub other_names: Vec<(u64, String)>,
}

impl Unsigned {
    /// Signs it: a ledger entry with no device (a card's) and not revoked.
    pub fn sign(self, cas: &Cas) -> Result<Entry, SimAuthorityError> {
        let der = cas.get(self.kind).issue(&LeafRequest {
            person_id: &self.person,
            spki_der: &self.spki,
            serial: &self.serial,
            not_before: self.not_before,
            not_after: self.not_after,
            other_names: self.other_names,
        })?;
        Ok(Entry {
            person: self.person,
            device: None,
            kind: self.kind,
            serial: self.serial,
            der,
            revoked: None,
        })
    }
}

/// A smartphone certificate pair the authority agreed to issue into a device ([`VirtualAuthority::order_smartphone`]).
#[derive(Debug)]
pub struct SmartphoneOrder {
    cas: Arc<Cas>,
    device: String,
    auth: Unsigned,
    sign: Unsigned,
}

/// A signed pair, to be recorded with [`VirtualAuthority::commit_smartphone`].
#[derive(Debug)]
pub struct SignedPair {
    auth: Entry,
    sign: Entry,
}

impl SmartphoneOrder {
    /// Signs both certificates (no lock needed: the CAs are read-only).
    pub fn sign(self) -> Result<SignedPair, SimAuthorityError> {
        let mut auth = self.auth.sign(&self.cas)?;
        let mut sign = self.sign.sign(&self.cas)?;
        auth.device = Some(self.device.clone());
        sign.device = Some(self.device);
        Ok(SignedPair { auth, sign })
    }
}

/// The current CRL of a CA, or what is needed to sign it ([`VirtualAuthority::crl_fetch`]).
#[derive(Debug)]
pub enum CrlFetch {
    /// Nothing changed since the last one: the same bytes.
    Ready(Vec<u8>),
    /// The ledger changed: sign this, then [`VirtualAuthority::keep_crl`].
    Unsigned(UnsignedCrl),
}

/// A CRL decided but not signed.
#[derive(Debug)]
pub struct UnsignedCrl {
    cas: Arc<Cas>,
    kind: CertKind,
    revision: u64,
    this_update: OffsetDateTime,
    entries: Vec<CrlEntry>,
}

/// A signed CRL and the ledger revision it shows.
#[derive(Debug)]
pub struct SignedCrl {
    kind: CertKind,
    revision: u64,
    der: Vec<u8>,
}

impl SignedCrl {
    /// The CRL, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// The CRL, DER, owned.
    pub fn into_der(self) -> Vec<u8> {
        self.der
    }
}

impl UnsignedCrl {
    /// Signs it (no lock needed).
    pub fn sign(self) -> Result<SignedCrl, SimAuthorityError> {
        let der =
            self.cas
                .get(self.kind)
                .crl(self.revision + 1, self.this_update, &self.entries)?;
        Ok(SignedCrl {
            kind: self.kind,
            revision: self.revision,
            der,
        })
    }
}

impl VirtualAuthority {
    /// Step one of a smartphone issuance (R2 applies at the commit): refused while the person is
    /// suspended; draws the serials and the time.
    pub fn order_smartphone(
        &self,
        holder: &super::HolderInfo,
        device: &str,
        auth_spki: &[u8],
        sign_spki: &[u8],
    ) -> Result<SmartphoneOrder, SimAuthorityError> {
        self.refuse_if_suspended(&holder.person_id)?;
        let auth = self.plan(holder, CertKind::Auth, auth_spki)?;
        let mut sign = self.plan(holder, CertKind::Sign, sign_spki)?;
        // Two draws from 2^127 serials do not collide; make sure anyway.
        while sign.serial == auth.serial {
            sign.serial = self.fresh_serial();
        }
        Ok(SmartphoneOrder {
            cas: Arc::clone(&self.cas),
            device: device.to_string(),
            auth,
            sign,
        })
    }

    /// Step three: records a signed pair. `revoke_previous` = rule R2 (every smartphone certificate of
    /// the person on any OTHER device is revoked at once); older certificates on the same device are
    /// always superseded. Refused if the person was suspended since the order.
    pub fn commit_smartphone(
        &mut self,
        pair: SignedPair,
        revoke_previous: bool,
    ) -> Result<(Vec<u8>, Vec<u8>), SimAuthorityError> {
        let person = pair.auth.person.clone();
        let device = pair.auth.device.clone().unwrap_or_default();
        self.refuse_if_suspended(&person)?;
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.serial == pair.auth.serial || e.serial == pair.sign.serial)
        {
            return Err(SimAuthorityError::Certificate {
                what: format!("{} certificate for {}", e.kind, person),
                detail: "serial number already issued".into(),
            });
        }
        self.revoke_where(
            CertKind::ALL.as_slice(),
            super::RevocationCause::Superseded,
            |e| {
                e.is_valid_smartphone(&person)
                    && (revoke_previous || e.device.as_deref() == Some(device.as_str()))
            },
        );
        let ders = (pair.auth.der.clone(), pair.sign.der.clone());
        self.entries.push(pair.auth);
        self.entries.push(pair.sign);
        // A sign certificate waiting for re-issue after a lift is superseded too: on this device by
        // the new pair, on every other one by R2 (re-issuing it there later would make two phones).
        self.sign_pending
            .retain(|(p, d)| p != &person || (!revoke_previous && d != &device));
        Ok(ders)
    }

    /// The current CRL of one CA if nothing changed since it was signed, or what to sign.
    pub fn crl_fetch(&self, kind: CertKind) -> CrlFetch {
        let revision = self.revisions[slot(kind)];
        if let Some(der) = self.cached_crl(kind, revision) {
            return CrlFetch::Ready(der);
        }
        let entries = self
            .entries
            .iter()
            .filter(|e| e.kind == kind)
            .filter_map(|e| {
                e.revoked.map(|(at, cause)| CrlEntry {
                    serial: e.serial.clone(),
                    at,
                    reason: super::ca::reason_code(cause),
                })
            })
            .collect();
        CrlFetch::Unsigned(UnsignedCrl {
            cas: Arc::clone(&self.cas),
            kind,
            revision,
            this_update: self.now(),
            entries,
        })
    }

    /// Keeps a signed CRL for the next fetch unless a newer one is kept already.
    pub fn keep_crl(&self, crl: &SignedCrl) {
        let mut cache = self
            .crl_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let kept = &mut cache[slot(crl.kind)];
        if kept.as_ref().is_none_or(|(rev, _)| *rev < crl.revision) {
            *kept = Some((crl.revision, crl.der.clone()));
        }
    }

    fn cached_crl(&self, kind: CertKind, revision: u64) -> Option<Vec<u8>> {
        let cache = self
            .crl_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &cache[slot(kind)] {
            Some((rev, der)) if *rev == revision => Some(der.clone()),
            _ => None,
        }
    }

    fn refuse_if_suspended(&self, person: &str) -> Result<(), SimAuthorityError> {
        if self.is_suspended(person) {
            return Err(SimAuthorityError::Suspended {
                person: person.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_keys::{holder, p256_spki};
    use super::*;
    use crate::types::CertStatus;
    use std::sync::Mutex;
    use x509_parser::prelude::*;

    const P: &str = "TEST0000000001";

    fn authority() -> VirtualAuthority {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        VirtualAuthority::load(&fixtures).unwrap()
    }

    fn order(va: &VirtualAuthority, device: &str) -> SmartphoneOrder {
        va.order_smartphone(&holder(), device, &p256_spki(), &p256_spki())
            .unwrap()
    }

    #[test]
    fn r2_applies_when_an_order_is_committed_not_when_it_is_made() {
        let mut va = authority();
        let old = order(&va, "OLD");
        let new = order(&va, "NEW");
        let (new, old) = (new.sign().unwrap(), old.sign().unwrap());
        va.commit_smartphone(new, true).unwrap();
        va.commit_smartphone(old, true).unwrap();
        for kind in CertKind::ALL {
            assert_eq!(va.status(P, "NEW", kind), CertStatus::Revoked);
            assert_eq!(va.status(P, "OLD", kind), CertStatus::Valid);
        }
    }

    #[test]
    fn a_suspension_between_order_and_commit_refuses_and_records_nothing() {
        let mut va = authority();
        let pending = order(&va, "P1");
        va.set_suspended(P, true);
        let signed = pending.sign().unwrap();
        assert!(matches!(
            va.commit_smartphone(signed, true),
            Err(SimAuthorityError::Suspended { .. })
        ));
        assert!(va.issued(P).is_empty());
        assert!(matches!(
            va.order_smartphone(&holder(), "P1", &p256_spki(), &p256_spki()),
            Err(SimAuthorityError::Suspended { .. })
        ));
    }

    #[test]
    fn orders_are_signed_while_another_thread_holds_the_authority() {
        let shared = Mutex::new(authority());
        let guard = shared.lock().unwrap();
        let pending = order(&guard, "P1");
        let signed = std::thread::scope(|s| s.spawn(move || pending.sign()).join());
        drop(guard);
        let (auth, _) = shared
            .lock()
            .unwrap()
            .commit_smartphone(signed.unwrap().unwrap(), true)
            .unwrap();
        assert!(parse_x509_certificate(&auth).is_ok());
    }

    fn crl_number(der: &[u8]) -> u64 {
        let (_, crl) = parse_x509_crl(der).unwrap();
        crl.crl_number().unwrap().to_u64_digits()[0]
    }

    #[test]
    fn a_crl_signed_late_does_not_replace_a_newer_one() {
        let mut va = authority();
        va.issue_smartphone(&holder(), "P1", &p256_spki(), &p256_spki(), true)
            .unwrap();
        let CrlFetch::Unsigned(stale) = va.crl_fetch(CertKind::Auth) else {
            panic!("no CRL signed yet: one to sign");
        };
        va.revoke(P, "P1", &[CertKind::Auth]);
        let newer = va.crl_der(CertKind::Auth).unwrap();
        let stale = stale.sign().unwrap();
        assert!(crl_number(stale.der()) < crl_number(&newer));
        va.keep_crl(&stale);
        let CrlFetch::Ready(kept) = va.crl_fetch(CertKind::Auth) else {
            panic!("nothing changed since the newer CRL");
        };
        assert_eq!(kept, newer);
    }
}
