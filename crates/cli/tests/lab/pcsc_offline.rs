use mynacert::lab::ApduTarget;
use mynacert::pcsc::check::{CheckSecrets, Outcome, check_token, verify_signature};
use mynacert::pcsc::*;
use mynacert::secret::Secret;
use mynacert::transport::CardTransport;
use mynacert_sim::card::test_support::{self, AUTH_PIN, SIGN_PIN};
use mynacert_sim::card::{AppletFlags, AppletKind, AppletTransport, JpkiApplet, JpkiContents};

#[test]
fn glob_patterns_match_reader_names() {
    assert!(name_matches("Virtual PCD 00 00", "Virtual PCD 00 00"));
    assert!(name_matches("Virtual PCD*", "Virtual PCD 00 01"));
    assert!(name_matches(
        "*PaSoRi*",
        "Sony FeliCa Port/PaSoRi 3.0 [CCID] 00 00"
    ));
    assert!(name_matches(
        "ACS ACR1252 1S CL Reader PICC ?? ??",
        "ACS ACR1252 1S CL Reader PICC 00 00"
    ));
    assert!(name_matches("*", ""));
    assert!(!name_matches("Virtual PCD 00 00", "Virtual PCD 00 01"));
    assert!(!name_matches(
        "ACS*SAM",
        "ACS ACR1252 1S CL Reader PICC 00 00"
    ));
    assert!(!name_matches("?", ""));
}

#[test]
fn picking_a_reader_needs_exactly_one_match_and_names_the_pattern() {
    let readers = vec![
        "Virtual PCD 00 00".to_string(),
        "Virtual PCD 00 01".to_string(),
    ];
    assert_eq!(
        pick_reader("*01", &readers),
        Ok("Virtual PCD 00 01".to_string())
    );
    let none = pick_reader("ACS*", &readers).expect_err("no match");
    assert!(none.to_string().contains("reader `ACS*`"), "{none}");
    assert!(none.to_string().contains("Virtual PCD 00 00"), "{none}");
    let many = pick_reader("Virtual*", &readers).expect_err("two matches");
    assert!(many.to_string().contains("2 readers match"), "{many}");
    let empty = pick_reader("x", &[]).expect_err("no readers");
    assert!(empty.to_string().contains("readers: none"), "{empty}");
}

#[test]
fn pcsc_errors_become_infrastructure_errors_naming_the_reader() {
    use mynacert::transport::TransportError as T;
    let cases = [
        (pcsc::Error::NoService, "is pcscd running"),
        (pcsc::Error::RemovedCard, "card removed"),
        (pcsc::Error::ReaderUnavailable, "reader unplugged"),
        (pcsc::Error::SharingViolation, "sharing violation"),
        (pcsc::Error::UnresponsiveCard, "does not answer"),
    ];
    for (e, words) in cases {
        let t = transport_error("ACS ACR1252 00 00", "transmit", e);
        let text = t.to_string();
        assert!(text.contains("reader `ACS ACR1252 00 00`"), "{text}");
        assert!(text.contains(words), "{text}");
    }
    assert!(matches!(
        transport_error("r", "transmit", pcsc::Error::RemovedCard),
        T::Disconnected { .. }
    ));
    assert!(matches!(
        transport_error("r", "wait", pcsc::Error::Timeout),
        T::Timeout { .. }
    ));
}

#[test]
fn signing_gets_its_own_longer_timeout() {
    let s = PcscSettings::default();
    assert_eq!(
        s.timeout_for(&[0x80, 0x2A, 0x00, 0x80, 0x01, 0x00])
            .as_millis(),
        30_000
    );
    assert_eq!(
        s.timeout_for(&[0x00, 0xB0, 0x00, 0x00, 0x00]).as_millis(),
        5_000
    );
    assert_eq!(s.timeout_for(&[]).as_millis(), 5_000);
}

#[test]
fn reader_entries_name_exactly_one_role() {
    let e = ReaderEntry {
        reader: "Virtual PCD 00 01".into(),
        se: Some("SIM-kumo-km51a-docomo-01".into()),
        card: None,
        settings: PcscSettings::default(),
    };
    assert_eq!(
        e.role(),
        Ok(ApduTarget::SecureElement("SIM-kumo-km51a-docomo-01".into()))
    );
    let both = ReaderEntry {
        card: Some("taro".into()),
        ..e.clone()
    };
    assert!(both.role().is_err());
    let none = ReaderEntry { se: None, ..e };
    assert!(
        none.role()
            .expect_err("no role")
            .contains("Virtual PCD 00 01")
    );
}

/// Contents whose CA certificates are the (self-signed) leaves themselves, so chains verify.
fn self_rooted(mut c: JpkiContents) -> JpkiContents {
    c.auth_ca = c.auth_cert.clone();
    c.sign_ca = c.sign_cert.clone();
    c
}

fn secrets(auth: &str, sign: &str) -> CheckSecrets {
    let pins = mynacert::pcsc::check::TokenPins {
        auth_pin: Some(Secret::new(auth)),
        sign_password: Some(Secret::new(sign)),
    };
    CheckSecrets {
        card: pins.clone(),
        phone: pins,
    }
}

#[test]
fn the_check_passes_on_a_good_card_and_spends_no_try() {
    let applet = JpkiApplet::with_contents(
        AppletKind::Card,
        AppletFlags::default(),
        self_rooted(test_support::taro_card()),
    );
    let t = AppletTransport::new("virtual reader", applet);
    let handle = t.handle();
    let r = check_token(t, &secrets(AUTH_PIN, SIGN_PIN));
    assert!(r.passed(), "{r}");
    let sig = r.item("auth signature").expect("signature item");
    assert_eq!(sig.outcome, Outcome::Pass);
    assert!(sig.detail.contains("RSA PKCS#1 v1.5"), "{}", sig.detail);
    assert_eq!(
        r.item("sign certificate").map(|i| i.outcome),
        Some(Outcome::Pass)
    );
    assert_eq!(
        r.item("auth PIN retries").map(|i| i.detail.as_str()),
        Some("3 left, unchanged by the query")
    );
    let tries = handle
        .lock()
        .map(|a| a.tries_left(mynacert::types::PinKind::Auth));
    assert_eq!(tries.ok().flatten(), Some(3));
    let trace = r.trace.join("\n");
    assert!(!trace.contains(&hex::encode_upper(AUTH_PIN)), "{trace}");
    assert!(!trace.contains(&hex::encode_upper(SIGN_PIN)), "{trace}");
    assert!(!r.to_string().contains(AUTH_PIN));
}

#[test]
fn the_check_verifies_p256_signatures_of_a_phone_se() {
    let applet = JpkiApplet::with_contents(
        AppletKind::PhoneSe,
        AppletFlags::default(),
        self_rooted(test_support::p256_se()),
    );
    let r = check_token(
        AppletTransport::new("virtual reader", applet),
        &secrets("7391", "PHONESIGN58"),
    );
    assert!(r.passed(), "{r}");
    assert_eq!(
        r.item("token info").map(|i| i.detail.as_str()),
        Some("label JPKIAPGPSETOKEN")
    );
    let sig = r.item("auth signature").expect("signature item");
    assert!(sig.detail.contains("ECDSA P-256"), "{}", sig.detail);
}

#[test]
fn the_check_fails_on_a_wrong_pin_and_on_a_foreign_ca() {
    let foreign = JpkiApplet::with_contents(
        AppletKind::Card,
        AppletFlags::default(),
        test_support::taro_card(),
    );
    let r = check_token(
        AppletTransport::new("virtual reader", foreign),
        &secrets(AUTH_PIN, SIGN_PIN),
    );
    assert!(!r.passed());
    assert_eq!(
        r.item("auth certificate").map(|i| i.outcome),
        Some(Outcome::Fail)
    );
    let good = JpkiApplet::with_contents(
        AppletKind::Card,
        AppletFlags::default(),
        self_rooted(test_support::taro_card()),
    );
    let r = check_token(
        AppletTransport::new("virtual reader", good),
        &secrets("0000", SIGN_PIN),
    );
    assert!(!r.passed());
    assert_eq!(
        r.item("auth certificate").map(|i| i.outcome),
        Some(Outcome::Pass)
    );
    assert_eq!(r.item("auth PIN").map(|i| i.outcome), Some(Outcome::Fail));
    assert_eq!(
        r.item("auth signature").map(|i| i.outcome),
        Some(Outcome::Skip)
    );
}

#[test]
fn a_transport_failure_fails_the_check_naming_the_reader() {
    struct Gone;
    impl CardTransport for Gone {
        fn name(&self) -> &str {
            "reader `Virtual PCD 00 00`"
        }
        fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, mynacert::transport::TransportError> {
            Err(transport_error(
                "Virtual PCD 00 00",
                "transmit",
                pcsc::Error::RemovedCard,
            ))
        }
    }
    let r = check_token(Gone, &CheckSecrets::default());
    assert!(!r.passed());
    let first = &r.items[0];
    assert_eq!(first.outcome, Outcome::Fail);
    assert!(
        first.detail.contains("Virtual PCD 00 00"),
        "{}",
        first.detail
    );
}

#[test]
fn a_tampered_signature_does_not_verify() {
    let (key, cert) = test_support::rsa_key_and_cert("card-taro-auth.pem", "X");
    let di = mynacert::jpki::sha256_digest_info(b"challenge");
    let mynacert_sim::card::KeyMaterial::Rsa(k) = key else {
        panic!("rsa key expected")
    };
    let mut sig = k
        .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &di)
        .expect("sign");
    assert_eq!(verify_signature(&cert, &di, &sig), Ok("RSA PKCS#1 v1.5"));
    sig[10] ^= 1;
    assert!(verify_signature(&cert, &di, &sig).is_err());
}

#[test]
fn the_check_flags_a_phone_se_that_gives_the_auth_certificate_before_the_pin() {
    let good = check_token(
        AppletTransport::new(
            "virtual reader",
            JpkiApplet::with_contents(
                AppletKind::PhoneSe,
                AppletFlags::default(),
                self_rooted(test_support::p256_se()),
            ),
        ),
        &secrets("7391", "PHONESIGN58"),
    );
    let item = good.item("auth cert before PIN").expect("the R9 probe");
    assert_eq!(item.outcome, Outcome::Pass, "{good}");
    let leaky = JpkiApplet::with_contents(
        AppletKind::PhoneSe,
        AppletFlags {
            auth_cert_needs_pin: Some(false),
            ..AppletFlags::default()
        },
        self_rooted(test_support::p256_se()),
    );
    let t = AppletTransport::new("virtual reader", leaky);
    let handle = t.handle();
    let r = check_token(t, &secrets("7391", "PHONESIGN58"));
    let item = r.item("auth cert before PIN").expect("the R9 probe");
    assert_eq!(item.outcome, Outcome::Fail, "{r}");
    assert!(item.detail.contains("R9"), "{}", item.detail);
    assert!(!r.passed());
    // The probe spent no try.
    let tries = handle
        .lock()
        .map(|a| a.tries_left(mynacert::types::PinKind::Auth));
    assert_eq!(tries.ok().flatten(), Some(3));
}

#[test]
fn the_check_never_spends_the_last_try_of_a_token() {
    let t = AppletTransport::new(
        "virtual reader",
        JpkiApplet::with_contents(
            AppletKind::Card,
            AppletFlags::default(),
            self_rooted(test_support::taro_card()),
        ),
    );
    let handle = t.handle();
    // Four wrong signing passwords: one try left.
    let mut c = mynacert::jpki::JpkiClient::new(t);
    c.select_jpki_ap().unwrap();
    for _ in 0..4 {
        c.verify(mynacert::types::PinKind::Sign, &Secret::new("WRONG1"))
            .unwrap();
    }
    let t = c.into_inner();
    let r = check_token(t, &secrets(AUTH_PIN, "WRONG2"));
    let item = r.item("sign password").expect("sign password item");
    assert_eq!(item.outcome, Outcome::Fail);
    assert!(
        item.detail.contains("not tried: 1 try left"),
        "{}",
        item.detail
    );
    let tries = handle
        .lock()
        .map(|a| a.tries_left(mynacert::types::PinKind::Sign));
    assert_eq!(
        tries.ok().flatten(),
        Some(1),
        "the check spent the last try"
    );
}
