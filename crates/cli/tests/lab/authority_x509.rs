//! Byte-level tests of certificate and CRL checking: tampering, impostors, truncation, garbage.

use super::authority::{P, fixtures, issue, lab};
use mynacert::authority::*;
use mynacert::types::CertKind;
use mynacert_sim::authority::ca::{TestCa, ca_key_path};
use proptest::prelude::*;
use std::sync::OnceLock;

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

#[test]
fn utc_text_is_rfc3339_utc() {
    let t = time::Date::from_calendar_date(2031, time::Month::April, 1)
        .unwrap()
        .with_hms(14, 59, 59)
        .unwrap()
        .assume_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    assert_eq!(utc_text(t), "2031-04-01T05:59:59Z");
}
