//! The harness's client of the certificate authority, over any [`AuthorityTransport`].

use super::error::{AuthorityError, CertDefect};
use super::x509::{CrlInfo, check_validity, inspect_certificate, parse_crl, utc_text};
use crate::transport::AuthorityTransport;
use crate::types::{CertKind, CertStatus};
use time::OffsetDateTime;

/// The status of one certificate with a one-line account of how it was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The verdict.
    pub status: CertStatus,
    /// Serial of the certificate judged, upper-case hex (`None` when absent).
    pub serial: Option<String>,
    /// One line, e.g. `sign cert 3F0A… revoked (cessationOfOperation) in CRL #7 of …; person not suspended`.
    pub evidence: String,
}

/// A verified CRL remembered with the bytes it came from.
#[derive(Debug, Clone)]
struct CachedCrl {
    crl_der: Vec<u8>,
    ca_der: Vec<u8>,
    info: CrlInfo,
}

/// Asks the authority about certificates: ledger, signed CRLs, suspension; and does the operator's
/// actions (suspend, lift, test clean-up).
#[derive(Debug)]
pub struct AuthorityClient<T: AuthorityTransport> {
    transport: T,
    crls: [Option<CachedCrl>; 2],
    clock: Option<OffsetDateTime>,
}

fn slot(kind: CertKind) -> usize {
    match kind {
        CertKind::Auth => 0,
        CertKind::Sign => 1,
    }
}

impl<T: AuthorityTransport> AuthorityClient<T> {
    /// A client over a transport.
    pub fn new(transport: T) -> Self {
        AuthorityClient {
            transport,
            crls: [None, None],
            clock: None,
        }
    }

    /// The transport underneath.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Judges validity periods at this time instead of the system clock (virtual lab time).
    pub fn set_clock(&mut self, now: Option<OffsetDateTime>) {
        self.clock = now;
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Status of the newest certificate of `kind` the authority issued to `person` on `device`.
    pub fn status(
        &mut self,
        person: &str,
        device: &str,
        kind: CertKind,
    ) -> Result<StatusReport, AuthorityError> {
        self.status_since(person, device, kind, 0)
    }

    /// How many records the authority's ledger holds for a person (a baseline for [`Self::status_since`]).
    pub fn ledger_len(&mut self, person: &str) -> Result<usize, AuthorityError> {
        Ok(self.transport.issued(person)?.len())
    }

    /// Like [`Self::status`], considering only the ledger records after the first `since` (what a
    /// scenario issued itself): older certificates on the same device count as absent.
    pub fn status_since(
        &mut self,
        person: &str,
        device: &str,
        kind: CertKind,
        since: usize,
    ) -> Result<StatusReport, AuthorityError> {
        let records = self.transport.issued(person)?;
        let newest = records
            .iter()
            .skip(since)
            .rev()
            .find(|r| r.kind == kind && r.device == device);
        match newest {
            None => Ok(StatusReport {
                status: CertStatus::Absent,
                serial: None,
                evidence: format!("no {kind} certificate issued to {person} on {device}"),
            }),
            Some(record) => self.evaluate(person, kind, &record.der, Some(device)),
        }
    }

    /// Status of a given certificate (DER) for a person (e.g. one read from an SE). Suspension applies
    /// to the person's smartphone certificates in the authority's ledger; a certificate the ledger does
    /// not list (a card certificate) is judged by signature, CRL and validity only.
    pub fn status_of(
        &mut self,
        person: &str,
        kind: CertKind,
        cert_der: &[u8],
    ) -> Result<StatusReport, AuthorityError> {
        let records = self.transport.issued(person)?;
        let device = records
            .iter()
            .find(|r| r.kind == kind && r.der == cert_der)
            .map(|r| r.device.clone());
        self.evaluate(person, kind, cert_der, device.as_deref())
    }

    /// The current CRL of one CA, verified against that CA's certificate (cached by bytes).
    pub fn crl(&mut self, kind: CertKind) -> Result<CrlInfo, AuthorityError> {
        let ca_der = self.transport.ca_certificate(kind)?;
        self.crl_with_ca(kind, &ca_der)
    }

    /// The hotline operator suspends every smartphone certificate of a person.
    pub fn suspend(&mut self, person: &str) -> Result<(), AuthorityError> {
        Ok(self.transport.set_suspended(person, true)?)
    }

    /// The hotline operator lifts a person's suspension.
    pub fn lift(&mut self, person: &str) -> Result<(), AuthorityError> {
        Ok(self.transport.set_suspended(person, false)?)
    }

    /// Test-environment clean-up: revokes every smartphone certificate of a person; returns how many.
    pub fn revoke_all(&mut self, person: &str) -> Result<usize, AuthorityError> {
        Ok(self.transport.revoke_all(person)?)
    }

    fn crl_with_ca(&mut self, kind: CertKind, ca_der: &[u8]) -> Result<CrlInfo, AuthorityError> {
        let crl_der = self.transport.crl(kind)?;
        if let Some(c) = &self.crls[slot(kind)]
            && c.crl_der == crl_der
            && c.ca_der == ca_der
        {
            return Ok(c.info.clone());
        }
        let info = parse_crl(&crl_der, ca_der).map_err(|e| match e {
            AuthorityError::Crl { detail, .. } => AuthorityError::Crl {
                kind: Some(kind),
                detail,
            },
            other => other,
        })?;
        self.crls[slot(kind)] = Some(CachedCrl {
            crl_der,
            ca_der: ca_der.to_vec(),
            info: info.clone(),
        });
        Ok(info)
    }

    /// Signature and issuer first (a serial is only trusted from a verified certificate), then the
    /// CRL (revoked), then suspension, then the validity period.
    fn evaluate(
        &mut self,
        person: &str,
        kind: CertKind,
        cert_der: &[u8],
        ledger_device: Option<&str>,
    ) -> Result<StatusReport, AuthorityError> {
        let ca_der = self.transport.ca_certificate(kind)?;
        let cert = inspect_certificate(cert_der, &ca_der)?;
        let serial = cert.serial_hex();
        if cert.subject_cn != person {
            return Err(AuthorityError::Certificate {
                detail: CertDefect::WrongPerson {
                    serial,
                    subject_cn: cert.subject_cn,
                    person: person.to_string(),
                },
            });
        }
        let crl = self.crl_with_ca(kind, &ca_der)?;
        let suspended = self.transport.suspended(person)?;
        let crl_name = match crl.number {
            Some(n) => format!("CRL #{n} of {}", crl.issuer),
            None => format!("CRL (no number) of {}", crl.issuer),
        };
        let person_state = if suspended {
            "person suspended"
        } else {
            "person not suspended"
        };
        let place = match ledger_device {
            Some(d) => format!("smartphone certificate on {d}"),
            None => "not a smartphone certificate in the ledger".to_string(),
        };
        let (status, what) = if let Some(entry) = crl.find(&cert.serial) {
            let what = format!(
                "revoked ({}) at {} in {crl_name}",
                entry.reason_name(),
                utc_text(entry.revoked_at)
            );
            (CertStatus::Revoked, what)
        } else if suspended && ledger_device.is_some() {
            (CertStatus::Suspended, format!("not in {crl_name}"))
        } else {
            check_validity(&cert, self.now())?;
            (CertStatus::Valid, format!("not in {crl_name}"))
        };
        Ok(StatusReport {
            status,
            evidence: format!("{kind} cert {serial} {what}; {person_state}; {place}"),
            serial: Some(serial),
        })
    }
}
