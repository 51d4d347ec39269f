//! Client ↔ virtual applet, in process, plus scripted transports for garbage answers.

use mynacert::apdu::Sw;
use mynacert::jpki::*;
use mynacert::secret::Secret;
use mynacert::transport::TransportError;
use mynacert::types::{CertKind, PinKind};
use mynacert_sim::card::test_support::{self as ts, AUTH_PIN, SIGN_PIN};
use mynacert_sim::card::{AppletFlags, AppletKind, AppletTransport, JpkiApplet, KeyMaterial};
use rstest::rstest;

fn client_for(
    kind: AppletKind,
    flags: AppletFlags,
    contents: mynacert_sim::card::JpkiContents,
) -> JpkiClient<AppletTransport> {
    let applet = JpkiApplet::with_contents(kind, flags, contents);
    let mut c = JpkiClient::new(AppletTransport::new("virtual", applet));
    c.select_jpki_ap().unwrap();
    c
}

fn card_client() -> JpkiClient<AppletTransport> {
    client_for(AppletKind::Card, AppletFlags::default(), ts::taro_card())
}

fn s(v: &str) -> Secret {
    Secret::new(v)
}

#[test]
fn reads_both_certificates_on_a_card_sign_needs_pin() {
    let contents = ts::taro_card();
    let mut c = card_client();
    assert_eq!(
        c.read_certificate(CertKind::Auth).unwrap(),
        contents.auth_cert
    );
    let err = c.read_certificate(CertKind::Sign).unwrap_err();
    assert_eq!(err.sw(), Some(Sw::SECURITY_STATUS_NOT_SATISFIED));
    assert_eq!(
        err.to_string(),
        "EF 0001: READ BINARY answered 6982 (security status not satisfied)"
    );
    assert_eq!(
        c.verify(PinKind::Sign, &s(SIGN_PIN)).unwrap(),
        PinState::Verified
    );
    assert_eq!(
        c.read_certificate(CertKind::Sign).unwrap(),
        contents.sign_cert
    );
    assert_eq!(
        c.read_ca_certificate(CertKind::Auth).unwrap(),
        contents.auth_ca
    );
    assert_eq!(
        c.read_ca_certificate(CertKind::Sign).unwrap(),
        contents.sign_ca
    );
}

#[rstest]
#[case::card(AppletKind::Card, "JPKIAPICCTOKEN2")]
#[case::phone(AppletKind::PhoneSe, "JPKIAPGPSETOKEN")]
fn token_label_per_kind(#[case] kind: AppletKind, #[case] want: &str) {
    let mut c = JpkiClient::new(AppletTransport::new(
        "v",
        JpkiApplet::new(kind, AppletFlags::default()),
    ));
    c.select_jpki_ap().unwrap();
    assert_eq!(c.token_label().unwrap(), want);
}

#[rstest]
#[case::auth(PinKind::Auth, "0000", 3)]
#[case::sign(PinKind::Sign, "WRONG99", 5)]
fn pin_counts_down_then_blocks(#[case] pin: PinKind, #[case] wrong: &str, #[case] max: u8) {
    let mut c = card_client();
    assert_eq!(c.retries_left(pin).unwrap(), PinState::Remaining(max));
    for left in (0..max).rev() {
        assert_eq!(c.verify(pin, &s(wrong)).unwrap(), PinState::Remaining(left));
    }
    assert_eq!(c.retries_left(pin).unwrap(), PinState::Blocked);
    let good = if pin == PinKind::Auth {
        AUTH_PIN
    } else {
        SIGN_PIN
    };
    assert_eq!(c.verify(pin, &s(good)).unwrap(), PinState::Blocked);
    let sws: Vec<Sw> = c.trace().iter().map(|t| t.sw).collect();
    assert!(sws.contains(&Sw(0x63C0)) && sws.contains(&Sw::AUTH_METHOD_BLOCKED));
}

#[test]
fn auth_pin_sequence_is_63c2_63c1_63c0_6984() {
    let mut c = card_client();
    for _ in 0..4 {
        let _ = c.verify(PinKind::Auth, &s("1111"));
    }
    let verify_sws: Vec<Sw> = c
        .trace()
        .iter()
        .filter(|t| t.command.starts_with("00 20"))
        .map(|t| t.sw)
        .collect();
    assert_eq!(
        verify_sws,
        vec![Sw(0x63C2), Sw(0x63C1), Sw(0x63C0), Sw(0x6984)]
    );
}

#[test]
fn good_pin_resets_the_counter() {
    let mut c = card_client();
    c.verify(PinKind::Auth, &s("1111")).unwrap();
    c.verify(PinKind::Auth, &s("1112")).unwrap();
    assert_eq!(
        c.verify(PinKind::Auth, &s(AUTH_PIN)).unwrap(),
        PinState::Verified
    );
    c.transport_mut().set_present(false).unwrap();
    c.transport_mut().set_present(true).unwrap();
    c.select_jpki_ap().unwrap();
    assert_eq!(
        c.retries_left(PinKind::Auth).unwrap(),
        PinState::Remaining(3)
    );
}

#[test]
fn header_only_verify_spends_nothing() {
    let mut c = card_client();
    c.verify(PinKind::Sign, &s("NOPE000")).unwrap();
    for _ in 0..10 {
        assert_eq!(
            c.retries_left(PinKind::Sign).unwrap(),
            PinState::Remaining(4)
        );
    }
    let tries = c
        .transport()
        .with_applet(|a| a.tries_left(PinKind::Sign))
        .unwrap();
    assert_eq!(tries, Some(4));
}

#[test]
fn sign_password_is_upper_cased() {
    let mut c = card_client();
    let lower = SIGN_PIN.to_ascii_lowercase();
    assert_eq!(
        c.verify(PinKind::Sign, &s(&lower)).unwrap(),
        PinState::Verified
    );
}

fn rsa_public(key: &KeyMaterial) -> rsa::RsaPublicKey {
    match key {
        KeyMaterial::Rsa(k) => k.to_public_key(),
        KeyMaterial::P256(_) => panic!("not RSA"),
    }
}

#[rstest]
#[case::auth(CertKind::Auth, PinKind::Auth, AUTH_PIN)]
#[case::sign(CertKind::Sign, PinKind::Sign, SIGN_PIN)]
fn rsa_signature_verifies_with_the_public_key(
    #[case] kind: CertKind,
    #[case] pin: PinKind,
    #[case] value: &str,
) {
    use sha2::{Digest, Sha256};
    let contents = ts::taro_card();
    let key = if kind == CertKind::Auth {
        &contents.auth_key
    } else {
        &contents.sign_key
    };
    let public = rsa_public(key);
    let mut c = card_client();
    let di = sha256_digest_info(b"hello JPKI");
    let err = c.sign(kind, &di).unwrap_err();
    assert_eq!(err.sw(), Some(Sw::SECURITY_STATUS_NOT_SATISFIED));
    c.verify(pin, &s(value)).unwrap();
    let sig = c.sign(kind, &di).unwrap();
    assert_eq!(sig.len(), 256);
    let hash = Sha256::digest(b"hello JPKI");
    public
        .verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &hash, &sig)
        .unwrap();
    assert!(
        public
            .verify(
                rsa::Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(b"other"),
                &sig
            )
            .is_err()
    );
    assert!(
        c.trace()
            .iter()
            .any(|t| t.command.starts_with("80 2A 00 80 33 ") && t.command.ends_with(" 00"))
    );
}

#[test]
fn p256_signature_verifies_with_p256() {
    use p256::ecdsa::signature::Verifier;
    let contents = ts::p256_se();
    let verifying = match &contents.sign_key {
        KeyMaterial::P256(k) => p256::ecdsa::VerifyingKey::from(k.public_key()),
        KeyMaterial::Rsa(_) => panic!("not P-256"),
    };
    let mut c = client_for(AppletKind::PhoneSe, AppletFlags::default(), contents);
    c.verify(PinKind::Sign, &s("PHONESIGN58")).unwrap();
    let sig = c
        .sign(CertKind::Sign, &sha256_digest_info(b"message"))
        .unwrap();
    let sig = p256::ecdsa::Signature::from_der(&sig).unwrap();
    verifying.verify(b"message", &sig).unwrap();
    assert!(verifying.verify(b"other", &sig).is_err());
    // A P-256 key refuses anything but a sha256 DigestInfo.
    let err = c.sign(CertKind::Sign, &[0x30, 0x00]).unwrap_err();
    assert_eq!(err.sw(), Some(Sw::WRONG_DATA));
}

#[test]
fn phone_se_auth_cert_is_behind_the_auth_pin() {
    let contents = ts::p256_se();
    let mut c = client_for(
        AppletKind::PhoneSe,
        AppletFlags::default(),
        contents.clone(),
    );
    assert!(c.holds(CertKind::Auth).unwrap());
    let err = c.read_certificate(CertKind::Auth).unwrap_err();
    assert_eq!(err.sw(), Some(Sw::SECURITY_STATUS_NOT_SATISFIED));
    c.verify(PinKind::Auth, &s("7391")).unwrap();
    assert_eq!(
        c.read_certificate(CertKind::Auth).unwrap(),
        contents.auth_cert
    );
}

#[test]
fn defect_auth_cert_readable_without_pin_is_observable() {
    let flags = AppletFlags {
        auth_cert_needs_pin: Some(false),
        ..AppletFlags::default()
    };
    let mut c = client_for(AppletKind::PhoneSe, flags, ts::p256_se());
    assert!(c.read_certificate(CertKind::Auth).is_ok());
    // And the opposite switch on a card.
    let flags = AppletFlags {
        auth_cert_needs_pin: Some(true),
        ..AppletFlags::default()
    };
    let mut c = client_for(AppletKind::Card, flags, ts::taro_card());
    assert_eq!(
        c.read_certificate(CertKind::Auth).unwrap_err().sw(),
        Some(Sw::SECURITY_STATUS_NOT_SATISFIED)
    );
}

#[test]
fn defect_retries_not_enforced_is_observable() {
    let flags = AppletFlags {
        enforce_retries: false,
        ..AppletFlags::default()
    };
    let mut c = client_for(AppletKind::PhoneSe, flags, ts::p256_se());
    for _ in 0..10 {
        assert_eq!(
            c.verify(PinKind::Auth, &s("0000")).unwrap(),
            PinState::Remaining(3)
        );
    }
    assert_eq!(
        c.verify(PinKind::Auth, &s("7391")).unwrap(),
        PinState::Verified
    );
}

#[test]
fn holds_spends_no_pin_and_follows_install_and_delete() {
    let applet = JpkiApplet::new(AppletKind::PhoneSe, AppletFlags::default());
    let mut c = JpkiClient::new(AppletTransport::new("se", applet));
    c.select_jpki_ap().unwrap();
    assert!(!c.holds(CertKind::Auth).unwrap());
    assert!(!c.holds(CertKind::Sign).unwrap());
    c.transport()
        .with_applet(|a| a.install(ts::p256_se()))
        .unwrap();
    assert!(c.holds(CertKind::Auth).unwrap() && c.holds(CertKind::Sign).unwrap());
    assert_eq!(
        c.retries_left(PinKind::Auth).unwrap(),
        PinState::Remaining(3)
    );
    c.transport()
        .with_applet(|a| a.delete(&[CertKind::Auth]))
        .unwrap();
    assert!(!c.holds(CertKind::Auth).unwrap());
    assert!(c.holds(CertKind::Sign).unwrap());
}

#[test]
fn change_pin_then_old_one_fails() {
    let mut c = card_client();
    c.change_pin(PinKind::Auth, &s(AUTH_PIN), &s("4321"))
        .unwrap();
    assert_eq!(
        c.verify(PinKind::Auth, &s(AUTH_PIN)).unwrap(),
        PinState::Remaining(2)
    );
    assert_eq!(
        c.verify(PinKind::Auth, &s("4321")).unwrap(),
        PinState::Verified
    );
    let err = c
        .change_pin(PinKind::Auth, &s("9999"), &s("1234"))
        .unwrap_err();
    assert_eq!(
        err,
        JpkiError::PinNotVerified {
            pin: PinKind::Auth,
            state: PinState::Remaining(2)
        }
    );
    assert!(
        c.trace()
            .iter()
            .any(|t| t.command.starts_with("00 24 01 80 04 <redacted 4 bytes>"))
    );
}

#[test]
fn trace_never_contains_pins() {
    let mut c = card_client();
    c.verify(PinKind::Auth, &s(AUTH_PIN)).unwrap();
    c.verify(PinKind::Sign, &s(SIGN_PIN)).unwrap();
    c.change_pin(PinKind::Sign, &s(SIGN_PIN), &s("NEWSIGN777"))
        .unwrap();
    let all: String = c.trace().iter().map(|t| format!("{t} {t:?}\n")).collect();
    for secret in [AUTH_PIN, SIGN_PIN, "NEWSIGN777"] {
        assert!(!all.contains(secret), "{secret} in trace");
        assert!(
            !all.contains(&hex::encode_upper(secret)),
            "{secret} as hex in trace"
        );
    }
    assert!(all.contains("00 20 00 80 04 <redacted 4 bytes>"));
}

#[test]
fn disconnected_card_is_a_transport_error() {
    let mut c = card_client();
    c.transport_mut().set_present(false).unwrap();
    assert!(matches!(
        c.read_certificate(CertKind::Auth),
        Err(JpkiError::Transport(TransportError::Disconnected { .. }))
    ));
}

/// Reads a CA EF holding `blob` through the real applet.
fn read_ca_blob(blob: Vec<u8>) -> Result<Vec<u8>, JpkiError> {
    let mut contents = ts::taro_card();
    contents.auth_ca = blob;
    let mut c = client_for(AppletKind::Card, AppletFlags::default(), contents);
    c.read_ca_certificate(CertKind::Auth)
}

#[test]
fn der_header_longer_than_the_ef_names_the_6b00_offset() {
    let mut blob = vec![0x30, 0x82, 0x06, 0x00];
    blob.resize(1000, 0xAB);
    let err = read_ca_blob(blob).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed answer: EF 000B: DER length header says 1540 bytes but READ BINARY hit 6B00 at 1000"
    );
}

#[rstest]
#[case::erased(vec![0xFF; 64], "EF 000B: DER tag 0xFF uses the high tag number form")]
#[case::indefinite(vec![0x30, 0x80, 0, 0], "EF 000B: DER length byte 0x80 (indefinite length) is not DER")]
#[case::too_big(vec![0x30, 0x83, 0x01, 0x11, 0x70, 0], "EF 000B: DER length header says 70005 bytes, more than READ BINARY can address")]
#[case::one_byte(vec![0x30], "EF 000B: DER header needs 2 bytes, only 1 present")]
fn malformed_der_headers_are_named(#[case] blob: Vec<u8>, #[case] want: &str) {
    match read_ca_blob(blob) {
        Err(JpkiError::Malformed { what }) => assert_eq!(what, want),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[rstest]
#[case::short_form(2 + 0x45)]
#[case::exactly_one_chunk(256)]
#[case::long_form_multi_chunk(4 + 1200)]
fn padded_ef_yields_exactly_the_der_object(#[case] total: usize) {
    let mut obj = if total - 2 < 0x80 {
        vec![0x30, (total - 2) as u8]
    } else if total - 3 < 0x100 {
        vec![0x30, 0x81, (total - 3) as u8]
    } else {
        let n = (total - 4) as u16;
        vec![0x30, 0x82, (n >> 8) as u8, n as u8]
    };
    obj.resize(total, 0x5A);
    let mut padded = obj.clone();
    padded.extend(std::iter::repeat_n(0xFF, 300));
    assert_eq!(read_ca_blob(padded).unwrap(), obj);
    assert_eq!(read_ca_blob(obj.clone()).unwrap(), obj);
}

#[test]
fn digest_info_prefix_and_roundtrip() {
    let di = sha256_digest_info(b"abc");
    assert_eq!(di.len(), 51);
    assert_eq!(
        hex::encode(&di[..19]),
        "3031300d060960864801650304020105000420"
    );
    assert_eq!(
        hex::encode(sha256_from_digest_info(&di).unwrap()),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(sha256_from_digest_info(&di[..50]), None);
}
