//! Tests of the authority client against the virtual authority (in process).

use mynacert::authority::*;
use mynacert::transport::{AuthorityTransport, TransportError};
use mynacert::types::{CertKind, CertStatus, IssuedRecord};
use mynacert_sim::authority::test_keys::{holder, p256_spki, rsa_spki};
use mynacert_sim::authority::{InProcessAuthority, VirtualAuthority};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub(super) const P: &str = "TEST0000000001";

pub(super) fn fixtures() -> PathBuf {
    crate::common::root().join("fixtures")
}

pub(super) fn lab() -> (
    Arc<Mutex<VirtualAuthority>>,
    AuthorityClient<InProcessAuthority>,
) {
    let shared = Arc::new(Mutex::new(VirtualAuthority::load(&fixtures()).unwrap()));
    let client = AuthorityClient::new(InProcessAuthority::new(shared.clone()));
    (shared, client)
}

pub(super) fn issue(
    shared: &Arc<Mutex<VirtualAuthority>>,
    device: &str,
    r2: bool,
) -> (Vec<u8>, Vec<u8>) {
    shared
        .lock()
        .unwrap()
        .issue_smartphone(&holder(), device, &p256_spki(), &rsa_spki(), r2)
        .unwrap()
}

#[test]
fn issued_certificate_is_valid() {
    let (shared, mut client) = lab();
    let (auth, sign) = issue(&shared, "P1", true);
    for (kind, der) in [(CertKind::Auth, &auth), (CertKind::Sign, &sign)] {
        let r = client.status(P, "P1", kind).unwrap();
        assert_eq!(r.status, CertStatus::Valid, "{}", r.evidence);
        assert!(
            r.evidence.contains("person not suspended"),
            "{}",
            r.evidence
        );
        assert_eq!(client.status_of(P, kind, der).unwrap(), r);
    }
    let ca = shared.lock().unwrap().ca_der(CertKind::Sign);
    let info = verify_certificate(&sign, &ca).unwrap();
    assert_eq!(info.subject_cn, P);
    assert_eq!(
        Some(info.serial_hex()),
        client.status(P, "P1", CertKind::Sign).unwrap().serial
    );
}

#[test]
fn never_issued_is_absent() {
    let (_, mut client) = lab();
    let r = client.status(P, "P1", CertKind::Auth).unwrap();
    assert_eq!((r.status, r.serial), (CertStatus::Absent, None));
}

#[test]
fn revoked_shows_through_the_verified_crl() {
    let (shared, mut client) = lab();
    let (_, sign) = issue(&shared, "P1", true);
    assert_eq!(
        client.status(P, "P1", CertKind::Sign).unwrap().status,
        CertStatus::Valid
    );
    shared.lock().unwrap().revoke(P, "P1", &[CertKind::Sign]);
    let r = client.status(P, "P1", CertKind::Sign).unwrap();
    assert_eq!(r.status, CertStatus::Revoked);
    assert!(
        r.evidence.contains("cessationOfOperation"),
        "{}",
        r.evidence
    );
    assert!(r.evidence.contains("JPKI-SIM"), "{}", r.evidence);
    assert_eq!(
        client.status_of(P, CertKind::Sign, &sign).unwrap().status,
        CertStatus::Revoked
    );
    assert_eq!(
        client.status(P, "P1", CertKind::Auth).unwrap().status,
        CertStatus::Valid
    );
    assert!(client.crl(CertKind::Sign).unwrap().number.unwrap() >= 2);
}

#[test]
fn r2_seen_by_the_client() {
    let (shared, mut client) = lab();
    issue(&shared, "OLD", true);
    issue(&shared, "NEW", true);
    let old = client.status(P, "OLD", CertKind::Auth).unwrap();
    assert_eq!(old.status, CertStatus::Revoked);
    assert!(old.evidence.contains("superseded"), "{}", old.evidence);
    assert_eq!(
        client.status(P, "NEW", CertKind::Auth).unwrap().status,
        CertStatus::Valid
    );
    issue(&shared, "THIRD", false);
    assert_eq!(
        client.status(P, "NEW", CertKind::Sign).unwrap().status,
        CertStatus::Valid
    );
    assert_eq!(
        client.status(P, "THIRD", CertKind::Sign).unwrap().status,
        CertStatus::Valid
    );
}

#[test]
fn suspension_lift_and_reissue_through_the_client() {
    let (shared, mut client) = lab();
    issue(&shared, "A", false);
    issue(&shared, "B", false);
    client.suspend(P).unwrap();
    for dev in ["A", "B"] {
        for kind in CertKind::ALL {
            let r = client.status(P, dev, kind).unwrap();
            assert_eq!(r.status, CertStatus::Suspended, "{}", r.evidence);
            assert!(r.evidence.contains("person suspended"));
        }
    }
    client.lift(P).unwrap();
    assert_eq!(
        client.status(P, "A", CertKind::Auth).unwrap().status,
        CertStatus::Valid
    );
    assert_eq!(
        client.status(P, "A", CertKind::Sign).unwrap().status,
        CertStatus::Revoked
    );
    assert!(shared.lock().unwrap().sign_reissue_pending(P, "A"));
    shared
        .lock()
        .unwrap()
        .reissue_sign(&holder(), "A", &p256_spki())
        .unwrap();
    assert_eq!(
        client.status(P, "A", CertKind::Sign).unwrap().status,
        CertStatus::Valid
    );
    assert_eq!(client.revoke_all(P).unwrap(), 3);
    assert_eq!(
        client.status(P, "B", CertKind::Auth).unwrap().status,
        CertStatus::Revoked
    );
}

#[test]
fn card_certificate_is_not_suspended_with_the_smartphone_ones() {
    let (shared, mut client) = lab();
    let (card_auth, _) = shared
        .lock()
        .unwrap()
        .issue_card(&holder(), &rsa_spki(), &rsa_spki())
        .unwrap();
    issue(&shared, "A", true);
    client.suspend(P).unwrap();
    let r = client.status_of(P, CertKind::Auth, &card_auth).unwrap();
    assert_eq!(r.status, CertStatus::Valid, "{}", r.evidence);
    assert!(r.evidence.contains("not a smartphone certificate"));
}

#[test]
fn certificate_of_another_person_or_ca_is_an_error() {
    let (shared, mut client) = lab();
    let (auth, sign) = issue(&shared, "A", true);
    let err = client
        .status_of("TEST0000000002", CertKind::Auth, &auth)
        .unwrap_err();
    assert!(matches!(
        err,
        AuthorityError::Certificate {
            detail: CertDefect::WrongPerson { .. }
        }
    ));
    // A sign certificate checked against the auth CA.
    let err = client.status_of(P, CertKind::Auth, &sign).unwrap_err();
    assert!(
        matches!(
            err,
            AuthorityError::Certificate {
                detail: CertDefect::WrongIssuer { .. }
            }
        ),
        "{err}"
    );
}

/// A transport whose CRL is garbage (when `bad_crl`) and whose suspension query times out.
struct Broken {
    inner: InProcessAuthority,
    bad_crl: bool,
}

impl AuthorityTransport for Broken {
    fn ca_certificate(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        self.inner.ca_certificate(kind)
    }
    fn crl(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        if self.bad_crl {
            Ok(vec![0x30, 0x82, 0x01])
        } else {
            self.inner.crl(kind)
        }
    }
    fn issued(&mut self, person: &str) -> Result<Vec<IssuedRecord>, TransportError> {
        self.inner.issued(person)
    }
    fn suspended(&mut self, _person: &str) -> Result<bool, TransportError> {
        Err(TransportError::Timeout {
            unit: "authority".into(),
            millis: 5,
            what: "suspension query".into(),
        })
    }
    fn set_suspended(&mut self, person: &str, s: bool) -> Result<(), TransportError> {
        self.inner.set_suspended(person, s)
    }
    fn revoke_all(&mut self, person: &str) -> Result<usize, TransportError> {
        self.inner.revoke_all(person)
    }
}

#[test]
fn broken_crl_and_transport_errors_are_typed() {
    let (shared, _) = lab();
    issue(&shared, "A", true);
    let mut client = AuthorityClient::new(Broken {
        inner: InProcessAuthority::new(shared),
        bad_crl: true,
    });
    let err = client.status(P, "A", CertKind::Sign).unwrap_err();
    assert!(
        matches!(
            err,
            AuthorityError::Crl {
                kind: Some(CertKind::Sign),
                detail: CrlDefect::Malformed(_)
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("sign CRL: malformed DER"),
        "{err}"
    );
    // Absent needs no CRL.
    assert_eq!(
        client.status(P, "B", CertKind::Sign).unwrap().status,
        CertStatus::Absent
    );
    client.transport_mut().bad_crl = false;
    let err = client.status(P, "A", CertKind::Sign).unwrap_err();
    assert!(
        matches!(
            err,
            AuthorityError::Transport(TransportError::Timeout { .. })
        ),
        "{err}"
    );
}

#[test]
fn evidence_is_one_line_naming_serial_reason_crl_and_suspension() {
    let (shared, mut client) = lab();
    let (_, old_sign) = issue(&shared, "OLD", true);
    issue(&shared, "NEW", true);
    let ca = shared.lock().unwrap().ca_der(CertKind::Sign);
    let serial = verify_certificate(&old_sign, &ca).unwrap().serial_hex();
    let r = client.status(P, "OLD", CertKind::Sign).unwrap();
    let want_start = format!("sign cert {serial} revoked (superseded) at 20");
    assert!(r.evidence.starts_with(&want_start), "{}", r.evidence);
    assert!(
        r.evidence
            .contains("Z in CRL #2 of C=JP, O=JPKI-SIM (TEST)"),
        "{}",
        r.evidence
    );
    assert!(
        r.evidence
            .ends_with("; person not suspended; smartphone certificate on OLD")
    );
    assert!(!r.evidence.contains('\n'));
}
