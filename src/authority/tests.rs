//! Tests of the authority client against the virtual authority (in process) and on damaged bytes.

use super::*;
use crate::sim::authority::ca::{TestCa, ca_key_path};
use crate::sim::authority::test_keys::{holder, p256_spki, rsa_spki};
use crate::sim::authority::{InProcessAuthority, VirtualAuthority};
use crate::transport::{AuthorityTransport, TransportError};
use crate::types::{CertKind, CertStatus, IssuedRecord};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

const P: &str = "TEST0000000001";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn lab() -> (
    Arc<Mutex<VirtualAuthority>>,
    AuthorityClient<InProcessAuthority>,
) {
    let shared = Arc::new(Mutex::new(VirtualAuthority::load(&fixtures()).unwrap()));
    let client = AuthorityClient::new(InProcessAuthority::new(shared.clone()));
    (shared, client)
}

fn issue(shared: &Arc<Mutex<VirtualAuthority>>, device: &str, r2: bool) -> (Vec<u8>, Vec<u8>) {
    shared
        .lock()
        .unwrap()
        .issue_smartphone(&holder(), device, &p256_spki(), &rsa_spki(), r2)
        .unwrap()
}

/// A sign CRL with two revoked entries and the sign CA, built once.
fn sample_crl() -> &'static (Vec<u8>, Vec<u8>) {
    static CRL: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    CRL.get_or_init(|| {
        let (shared, _) = lab();
        issue(&shared, "OLD", true);
        issue(&shared, "NEW", true);
        let va = shared.lock().unwrap();
        (
            va.crl_der(CertKind::Sign).unwrap(),
            va.ca_der(CertKind::Sign),
        )
    })
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

#[test]
fn expired_and_not_yet_valid_certificates_are_errors() {
    let (shared, mut client) = lab();
    let (auth, _) = issue(&shared, "A", true);
    let ca = shared.lock().unwrap().ca_der(CertKind::Auth);
    let info = verify_certificate(&auth, &ca).unwrap();
    let late = info.not_after + time::Duration::seconds(1);
    let early = info.not_before - time::Duration::seconds(1);
    assert!(matches!(
        verify_certificate_at(&auth, &ca, late),
        Err(AuthorityError::Certificate {
            detail: CertDefect::Expired { .. }
        })
    ));
    assert!(matches!(
        verify_certificate_at(&auth, &ca, early),
        Err(AuthorityError::Certificate {
            detail: CertDefect::NotYetValid { .. }
        })
    ));
    client.set_clock(Some(late));
    assert!(client.status(P, "A", CertKind::Auth).is_err());
}

#[test]
fn tampered_certificate_fails_its_signature() {
    let (shared, _) = lab();
    let (auth, _) = issue(&shared, "A", true);
    let ca = shared.lock().unwrap().ca_der(CertKind::Auth);
    let mut bad = auth.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    assert!(matches!(
        verify_certificate(&bad, &ca),
        Err(AuthorityError::Certificate {
            detail: CertDefect::BadSignature(_)
        })
    ));
    let mut long = auth.clone();
    long.push(0);
    assert!(matches!(
        verify_certificate(&long, &ca),
        Err(AuthorityError::Certificate {
            detail: CertDefect::TrailingBytes(1)
        })
    ));
}

#[test]
fn crl_parses_with_reasons() {
    let (crl, ca) = sample_crl();
    let info = parse_crl(crl, ca).unwrap();
    assert!(
        info.issuer
            .contains("JPKI-SIM for digital signature (TEST)")
    );
    assert_eq!(info.revoked.len(), 1);
    assert_eq!(info.revoked[0].reason_name(), "superseded");
    assert!(info.next_update.unwrap() > info.this_update);
}

#[test]
fn tampered_crl_is_a_signature_error() {
    let (crl, ca) = sample_crl();
    let info = parse_crl(crl, ca).unwrap();
    // Flip a byte of the revoked serial (structure stays valid) and one of the signature.
    let serial = &info.revoked[0].serial;
    let at = crl
        .windows(serial.len())
        .position(|w| w == serial.as_slice())
        .unwrap();
    for i in [at + serial.len() - 1, crl.len() - 1] {
        let mut bad = crl.clone();
        bad[i] ^= 0x01;
        let err = parse_crl(&bad, ca).unwrap_err();
        assert!(
            matches!(
                err,
                AuthorityError::Crl {
                    detail: CrlDefect::BadSignature(_),
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn crl_signed_by_the_other_ca_is_refused() {
    let (shared, _) = lab();
    let va = shared.lock().unwrap();
    let err = parse_crl(
        &va.crl_der(CertKind::Auth).unwrap(),
        &va.ca_der(CertKind::Sign),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            AuthorityError::Crl {
                detail: CrlDefect::WrongIssuer { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn crl_with_the_right_name_but_another_key_is_refused() {
    // An impostor CA: the auth CA's name with the sign CA's key.
    let path = ca_key_path(&fixtures(), CertKind::Sign);
    let pem = std::fs::read_to_string(&path).unwrap();
    let impostor = TestCa::from_pem(CertKind::Auth, &pem, &path).unwrap();
    let forged = impostor
        .crl(99, time::OffsetDateTime::now_utc(), &[])
        .unwrap();
    let (shared, _) = lab();
    let ca = shared.lock().unwrap().ca_der(CertKind::Auth);
    let err = parse_crl(&forged, &ca).unwrap_err();
    assert!(
        matches!(
            err,
            AuthorityError::Crl {
                detail: CrlDefect::BadSignature(_),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn every_truncated_crl_prefix_is_an_error() {
    let (crl, ca) = sample_crl();
    for n in 0..crl.len() {
        let err = parse_crl(&crl[..n], ca).unwrap_err();
        assert!(
            matches!(err, AuthorityError::Crl { kind: None, .. }),
            "prefix {n}: {err}"
        );
    }
    let mut long = crl.clone();
    long.extend_from_slice(&[0, 0]);
    assert!(matches!(
        parse_crl(&long, ca),
        Err(AuthorityError::Crl {
            detail: CrlDefect::TrailingBytes(2),
            ..
        })
    ));
}

#[test]
fn garbage_ca_is_named() {
    let (crl, _) = sample_crl();
    assert!(matches!(
        parse_crl(crl, b"\x30\x00"),
        Err(AuthorityError::Crl {
            detail: CrlDefect::BadCa(_),
            ..
        })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn truncated_crl_never_verifies(cut in 0usize..4096) {
        let (crl, ca) = sample_crl();
        let n = cut % crl.len();
        prop_assert!(parse_crl(&crl[..n], ca).is_err());
    }

    #[test]
    fn flipped_crl_byte_never_panics(pos in 0usize..4096, mask in 1u8..=255) {
        let (crl, ca) = sample_crl();
        let mut bad = crl.clone();
        let i = pos % bad.len();
        bad[i] ^= mask;
        // Either refused or (for a flip the signature does not cover) the same revocations.
        if let Ok(info) = parse_crl(&bad, ca) {
            prop_assert_eq!(info.revoked, parse_crl(crl, ca).unwrap().revoked);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let (_, ca) = sample_crl();
        prop_assert!(parse_crl(&bytes, ca).is_err());
        prop_assert!(verify_certificate(&bytes, ca).is_err());
        let _ = parse_crl(ca, &bytes);
    }
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
