//! Tests of the virtual authority (ledger rules, certificate contents, CA keys).

use super::ca;
use super::*;
use crate::authority::test_keys::{holder, p256_spki, rsa_spki};
use std::path::PathBuf;
use x509_parser::der_parser::asn1_rs::{Any, Class, Tag};
use x509_parser::prelude::*;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn authority() -> VirtualAuthority {
    VirtualAuthority::load(&fixtures()).unwrap()
}

#[test]
#[ignore = "writes fixtures/ca/*.pem when missing; run once"]
fn regenerate_missing_ca_keys() {
    for kind in CertKind::ALL {
        let path = ca::ca_key_path(&fixtures(), kind);
        if !path.exists() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, ca::generate_ca_key_pem().unwrap()).unwrap();
        }
    }
    authority();
}

#[test]
fn missing_ca_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = VirtualAuthority::load(dir.path()).unwrap_err();
    assert!(
        matches!(err, SimAuthorityError::CaKeyMissing { ref path } if path.ends_with("ca-auth.pem"))
    );
}

#[test]
fn garbage_ca_key_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ca")).unwrap();
    std::fs::write(dir.path().join("ca/ca-auth.pem"), "not a key").unwrap();
    let err = VirtualAuthority::load(dir.path()).unwrap_err();
    assert!(matches!(err, SimAuthorityError::CaKey { .. }), "{err:?}");
}

#[test]
fn ca_subjects_say_test_and_differ() {
    let va = authority();
    let mut subjects = Vec::new();
    for kind in CertKind::ALL {
        let der = va.ca_der(kind);
        let (_, cert) = parse_x509_certificate(&der).unwrap();
        let subject = cert.subject().to_string();
        assert!(subject.contains("O=JPKI-SIM (TEST)"), "{subject}");
        assert!(subject.contains("(TEST)"), "{subject}");
        assert!(cert.is_ca());
        cert.verify_signature(None).unwrap();
        subjects.push(subject);
    }
    assert_ne!(subjects[0], subjects[1]);
    // Deterministic: the same CA certificate on every load.
    assert_eq!(
        va.ca_der(CertKind::Auth),
        authority().ca_der(CertKind::Auth)
    );
}

#[test]
fn auth_cert_subject_is_only_the_person_cn() {
    let mut va = authority();
    let (auth, _) = va
        .issue_smartphone(&holder(), "PHONE1", &p256_spki(), &p256_spki(), true)
        .unwrap();
    let (_, cert) = parse_x509_certificate(&auth).unwrap();
    assert_eq!(cert.subject().to_string(), "CN=TEST0000000001");
    assert!(cert.subject_alternative_name().unwrap().is_none());
    let ku = cert.key_usage().unwrap().unwrap().value;
    assert!(ku.digital_signature() && !ku.non_repudiation());
}

#[test]
fn sign_cert_carries_holder_other_names() {
    let mut va = authority();
    let h = holder();
    let (_, sign) = va
        .issue_smartphone(&h, "PHONE1", &p256_spki(), &rsa_spki(), true)
        .unwrap();
    let (_, cert) = parse_x509_certificate(&sign).unwrap();
    assert_eq!(cert.subject().to_string(), "CN=TEST0000000001");
    let ku = cert.key_usage().unwrap().unwrap().value;
    assert!(ku.digital_signature() && ku.non_repudiation());
    let san = cert.subject_alternative_name().unwrap().unwrap().value;
    let mut found = Vec::new();
    for name in &san.general_names {
        let GeneralName::OtherName(oid, value) = name else {
            panic!("unexpected SAN entry {name:?}");
        };
        // value is the [0] EXPLICIT wrapper around a UTF8String.
        let (_, wrapper) = Any::from_der(value).unwrap();
        assert_eq!(
            (wrapper.class(), wrapper.tag()),
            (Class::ContextSpecific, Tag(0))
        );
        let (_, any) = Any::from_der(wrapper.data).unwrap();
        assert_eq!(any.tag(), Tag::Utf8String);
        let text = std::str::from_utf8(any.data).unwrap().to_string();
        found.push((oid.to_id_string(), text));
    }
    let arc = "1.2.392.200149.8.5.5";
    let want = [
        (format!("{arc}.1"), h.name.clone()),
        (format!("{arc}.2"), h.name.clone()),
        (format!("{arc}.3"), h.birth_date.clone()),
        (format!("{arc}.4"), "1".to_string()),
        (format!("{arc}.5"), h.address.clone()),
        (format!("{arc}.6"), ca::TEST_MARKER.to_string()),
    ];
    assert_eq!(found, want);
}

#[test]
fn serials_are_unique_and_at_least_64_bits() {
    let mut va = authority();
    let mut serials = std::collections::BTreeSet::new();
    for i in 0..4 {
        let (a, s) = va
            .issue_smartphone(
                &holder(),
                &format!("P{i}"),
                &p256_spki(),
                &p256_spki(),
                true,
            )
            .unwrap();
        for der in [a, s] {
            let (_, cert) = parse_x509_certificate(&der).unwrap();
            assert!(cert.raw_serial().len() >= 8);
            assert!(serials.insert(cert.raw_serial().to_vec()));
        }
    }
    assert_eq!(serials.len(), 8);
}

/// A UTC instant for tables.
fn at(y: i32, m: u8, d: u8, h: u8, mi: u8, s: u8) -> ::time::OffsetDateTime {
    let date = ::time::Date::from_calendar_date(y, ::time::Month::try_from(m).unwrap(), d).unwrap();
    date.with_hms(h, mi, s).unwrap().assume_utc()
}

#[test]
fn validity_runs_to_the_fifth_birthday_after_issue() {
    let mut va = authority();
    va.set_clock(Some(at(2026, 11, 22, 3, 0, 0)));
    let (auth, _) = va
        .issue_smartphone(&holder(), "PHONE1", &p256_spki(), &p256_spki(), true)
        .unwrap();
    let (_, cert) = parse_x509_certificate(&auth).unwrap();
    let v = cert.validity();
    assert_eq!(v.not_before.to_datetime(), at(2026, 11, 22, 3, 0, 0));
    // Born 1990-04-01: birthdays after issue are 2027…2031; end of 2031-04-01 JST.
    assert_eq!(v.not_after.to_datetime(), at(2031, 4, 1, 14, 59, 59));
}

#[rstest::rstest]
#[case("19900401", (2026, 4, 1), (2031, 4, 1))] // on the birthday: that one does not count
#[case("19900401", (2026, 3, 31), (2030, 4, 1))]
#[case("20000229", (2026, 1, 10), (2030, 2, 28))] // leap-day birthday in a common year
#[case("20000229", (2027, 3, 1), (2032, 2, 29))]
fn fifth_birthday_table(
    #[case] birth: &str,
    #[case] issued: (i32, u8, u8),
    #[case] want: (i32, u8, u8),
) {
    // 03:00 UTC is noon JST the same day.
    let end = ca::fifth_birthday_after(birth, at(issued.0, issued.1, issued.2, 3, 0, 0)).unwrap();
    let jst = ::time::UtcOffset::from_hms(9, 0, 0).unwrap();
    assert_eq!(
        end.to_offset(jst),
        at(want.0, want.1, want.2, 14, 59, 59).to_offset(jst)
    );
}

#[rstest::rstest]
#[case("1990041")]
#[case("1990-4-1")]
#[case("19901301")]
#[case("19900231")]
#[case("")]
fn bad_birth_dates_are_refused(#[case] birth: &str) {
    let mut va = authority();
    let mut h = holder();
    h.birth_date = birth.to_string();
    let err = va.issue_smartphone(&h, "P", &p256_spki(), &p256_spki(), true);
    assert!(matches!(
        err,
        Err(SimAuthorityError::Holder {
            field: "birth_date",
            ..
        })
    ));
    assert!(va.issued(&h.person_id).is_empty());
}

#[test]
fn bad_subject_key_changes_nothing() {
    let mut va = authority();
    let err = va.issue_smartphone(&holder(), "P", &p256_spki(), b"\x30\x03junk", true);
    assert!(matches!(
        err,
        Err(SimAuthorityError::SubjectKey {
            kind: CertKind::Sign,
            ..
        })
    ));
    assert!(va.issued("TEST0000000001").is_empty());
}

#[test]
fn issue_then_revoke() {
    let mut va = authority();
    let p = "TEST0000000001";
    assert_eq!(va.status(p, "P1", CertKind::Auth), CertStatus::Absent);
    va.issue_smartphone(&holder(), "P1", &p256_spki(), &p256_spki(), true)
        .unwrap();
    assert_eq!(va.status(p, "P1", CertKind::Auth), CertStatus::Valid);
    assert_eq!(va.status(p, "P1", CertKind::Sign), CertStatus::Valid);
    assert_eq!(va.revoke(p, "P1", &[CertKind::Sign]), 1);
    assert_eq!(va.status(p, "P1", CertKind::Sign), CertStatus::Revoked);
    assert_eq!(va.status(p, "P1", CertKind::Auth), CertStatus::Valid);
    assert_eq!(va.revoke(p, "P1", &[CertKind::Sign]), 0, "already revoked");
    assert_eq!(va.revoke_all(p), 1);
    assert_eq!(va.status(p, "P1", CertKind::Auth), CertStatus::Revoked);
}

#[test]
fn r2_new_device_revokes_old_unless_told_not_to() {
    let mut va = authority();
    let p = "TEST0000000001";
    va.issue_smartphone(&holder(), "OLD", &p256_spki(), &p256_spki(), true)
        .unwrap();
    va.issue_smartphone(&holder(), "NEW", &p256_spki(), &p256_spki(), true)
        .unwrap();
    for kind in CertKind::ALL {
        assert_eq!(va.status(p, "OLD", kind), CertStatus::Revoked);
        assert_eq!(va.status(p, "NEW", kind), CertStatus::Valid);
    }
    // The defective authority of seed 004: both stay valid.
    va.issue_smartphone(&holder(), "THIRD", &p256_spki(), &p256_spki(), false)
        .unwrap();
    for kind in CertKind::ALL {
        assert_eq!(va.status(p, "NEW", kind), CertStatus::Valid);
        assert_eq!(va.status(p, "THIRD", kind), CertStatus::Valid);
    }
    assert_eq!(va.issued(p).len(), 6);
}

#[test]
fn reissue_to_same_device_supersedes_its_old_certs() {
    let mut va = authority();
    let p = "TEST0000000001";
    va.issue_smartphone(&holder(), "P1", &p256_spki(), &p256_spki(), false)
        .unwrap();
    va.issue_smartphone(&holder(), "P1", &p256_spki(), &p256_spki(), false)
        .unwrap();
    let valid = va
        .entries
        .iter()
        .filter(|e| e.is_valid_smartphone(p))
        .count();
    assert_eq!(valid, 2);
}

#[test]
fn other_person_is_untouched() {
    let mut va = authority();
    let mut hanako = holder();
    hanako.person_id = "TEST0000000002".into();
    va.issue_smartphone(&hanako, "H1", &p256_spki(), &p256_spki(), true)
        .unwrap();
    va.issue_smartphone(&holder(), "T1", &p256_spki(), &p256_spki(), true)
        .unwrap();
    va.set_suspended("TEST0000000001", true);
    assert_eq!(
        va.status("TEST0000000002", "H1", CertKind::Auth),
        CertStatus::Valid
    );
    assert_eq!(va.revoke_all("TEST0000000001"), 2);
    assert_eq!(
        va.status("TEST0000000002", "H1", CertKind::Sign),
        CertStatus::Valid
    );
}

#[test]
fn suspension_lift_and_sign_reissue() {
    let mut va = authority();
    let p = "TEST0000000001";
    va.issue_smartphone(&holder(), "A", &p256_spki(), &p256_spki(), false)
        .unwrap();
    va.issue_smartphone(&holder(), "B", &p256_spki(), &p256_spki(), false)
        .unwrap();
    va.set_suspended(p, true);
    assert!(va.is_suspended(p));
    for dev in ["A", "B"] {
        for kind in CertKind::ALL {
            assert_eq!(va.status(p, dev, kind), CertStatus::Suspended);
        }
    }
    let refused = va.issue_smartphone(&holder(), "C", &p256_spki(), &p256_spki(), true);
    assert!(matches!(refused, Err(SimAuthorityError::Suspended { .. })));
    assert_eq!(va.status(p, "C", CertKind::Auth), CertStatus::Absent);
    // Revocation while suspended is still possible (R7).
    assert_eq!(va.revoke(p, "B", &CertKind::ALL), 2);
    assert_eq!(va.status(p, "B", CertKind::Sign), CertStatus::Revoked);

    va.set_suspended(p, false);
    assert!(!va.is_suspended(p));
    assert_eq!(va.status(p, "A", CertKind::Auth), CertStatus::Valid);
    assert_eq!(va.status(p, "A", CertKind::Sign), CertStatus::Revoked);
    assert!(va.sign_reissue_pending(p, "A"));
    assert!(
        !va.sign_reissue_pending(p, "B"),
        "B was revoked, not suspended"
    );
    assert!(matches!(
        va.reissue_sign(&holder(), "B", &p256_spki()),
        Err(SimAuthorityError::NoReissuePending { .. })
    ));
    va.reissue_sign(&holder(), "A", &rsa_spki()).unwrap();
    assert_eq!(va.status(p, "A", CertKind::Sign), CertStatus::Valid);
    assert!(!va.sign_reissue_pending(p, "A"));
    // Lifting when not suspended changes nothing.
    va.set_suspended(p, false);
    assert_eq!(va.status(p, "A", CertKind::Sign), CertStatus::Valid);
}

/// Found by the lifecycle model check: a sign certificate waiting for re-issue after a lift must not
/// come back on a phone the person has left (R2) or whose certificates were revoked (R4/R5).
#[test]
fn a_pending_reissue_dies_with_a_new_phone_or_a_revocation() {
    let p = "TEST0000000001";
    let lifted = |devices: &[&str]| {
        let mut va = authority();
        for d in devices {
            va.issue_smartphone(&holder(), d, &p256_spki(), &p256_spki(), false)
                .unwrap();
        }
        va.set_suspended(p, true);
        va.set_suspended(p, false);
        va
    };
    let mut va = lifted(&["A"]);
    va.issue_smartphone(&holder(), "B", &p256_spki(), &p256_spki(), true)
        .unwrap();
    assert!(!va.sign_reissue_pending(p, "A"), "R2: B replaced A");
    let mut va = lifted(&["A"]);
    assert_eq!(va.revoke(p, "A", &CertKind::ALL), 1, "the auth certificate");
    assert!(!va.sign_reissue_pending(p, "A"), "A was revoked");
    // Without R2 (the quirk) another device's pending re-issue stays; the same device's goes.
    let mut va = lifted(&["A", "B"]);
    va.issue_smartphone(&holder(), "B", &p256_spki(), &p256_spki(), false)
        .unwrap();
    assert!(va.sign_reissue_pending(p, "A"));
    assert!(!va.sign_reissue_pending(p, "B"));
}

#[test]
fn card_certs_are_not_smartphone_certs() {
    let mut va = authority();
    let (auth, sign) = va.issue_card(&holder(), &rsa_spki(), &rsa_spki()).unwrap();
    assert!(parse_x509_certificate(&auth).is_ok() && parse_x509_certificate(&sign).is_ok());
    assert!(va.issued("TEST0000000001").is_empty());
    assert_eq!(va.revoke_all("TEST0000000001"), 0);
}

#[test]
fn crl_lists_revocations_with_reasons_and_growing_number() {
    let mut va = authority();
    let p = "TEST0000000001";
    let first = va.crl_der(CertKind::Sign).unwrap();
    assert_eq!(
        first,
        va.crl_der(CertKind::Sign).unwrap(),
        "stable while unchanged"
    );
    let (_, crl) = parse_x509_crl(&first).unwrap();
    let n1 = crl.crl_number().unwrap().clone();
    assert_eq!(crl.iter_revoked_certificates().count(), 0);

    let (_, old_sign) = va
        .issue_smartphone(&holder(), "OLD", &p256_spki(), &p256_spki(), true)
        .unwrap();
    va.issue_smartphone(&holder(), "NEW", &p256_spki(), &p256_spki(), true)
        .unwrap();
    va.revoke(p, "NEW", &[CertKind::Sign]);
    let der = va.crl_der(CertKind::Sign).unwrap();
    let (_, crl) = parse_x509_crl(&der).unwrap();
    let ca_der = va.ca_der(CertKind::Sign);
    let (_, ca_cert) = parse_x509_certificate(&ca_der).unwrap();
    crl.verify_signature(ca_cert.public_key()).unwrap();
    assert!(crl.crl_number().unwrap() > &n1);
    let (_, old) = parse_x509_certificate(&old_sign).unwrap();
    let reasons: Vec<_> = crl
        .iter_revoked_certificates()
        .map(|r| (r.serial().clone(), r.reason_code().map(|(_, c)| c)))
        .collect();
    assert_eq!(reasons.len(), 2);
    assert_eq!(
        reasons[0],
        (old.serial.clone(), Some(ReasonCode::Superseded))
    );
    assert_eq!(reasons[1].1, Some(ReasonCode::CessationOfOperation));
}

#[test]
fn in_process_transport_round_trips() {
    use crate::transport::AuthorityTransport;
    use std::sync::{Arc, Mutex};
    let shared = Arc::new(Mutex::new(authority()));
    let mut t = InProcessAuthority::new(shared.clone());
    shared
        .lock()
        .unwrap()
        .issue_smartphone(&holder(), "P1", &p256_spki(), &p256_spki(), true)
        .unwrap();
    assert_eq!(t.issued("TEST0000000001").unwrap().len(), 2);
    t.set_suspended("TEST0000000001", true).unwrap();
    assert!(t.suspended("TEST0000000001").unwrap());
    assert_eq!(t.revoke_all("TEST0000000001").unwrap(), 2);
    assert!(!t.crl(CertKind::Auth).unwrap().is_empty());
    assert_eq!(
        t.ca_certificate(CertKind::Sign).unwrap(),
        shared.lock().unwrap().ca_der(CertKind::Sign)
    );
}

#[test]
fn poisoned_lock_is_a_transport_error() {
    use crate::transport::{AuthorityTransport, TransportError};
    use std::sync::{Arc, Mutex};
    let shared = Arc::new(Mutex::new(authority()));
    let s2 = shared.clone();
    let _ = std::thread::spawn(move || {
        let _guard = s2.lock().unwrap();
        panic!("poison it");
    })
    .join();
    let mut t = InProcessAuthority::new(shared);
    assert!(matches!(
        t.crl(CertKind::Auth),
        Err(TransportError::Io { .. })
    ));
    assert!(matches!(t.suspended("X"), Err(TransportError::Io { .. })));
}
