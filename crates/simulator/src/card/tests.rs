//! Applet tests at the raw APDU level.

use super::test_support::*;
use super::*;
use crate::apdu::{Response, Sw};
use proptest::prelude::*;
use rstest::rstest;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

fn send(applet: &mut JpkiApplet, apdu: &str) -> Response {
    Response::decode(&applet.process(&h(apdu))).unwrap()
}

fn card() -> JpkiApplet {
    JpkiApplet::with_contents(AppletKind::Card, AppletFlags::default(), taro_card())
}

const SELECT_JPKI: &str = "00A4040C0AD392F000260100000001";

#[test]
fn atr_is_the_card_atr() {
    assert_eq!(card().atr(), h("3BE000FF8131FE4514"));
}

#[rstest]
#[case::jpki(SELECT_JPKI, Sw::OK)]
#[case::card_face("00A4040C0AD3921000310001010402", Sw::OK)]
#[case::helper("00A4040C0AD3921000310001010408", Sw::OK)]
#[case::residence("00A4040C0AD3921000310001010401", Sw::OK)]
#[case::unknown_aid("00A4040C0AD3921000310001010499", Sw::FILE_NOT_FOUND)]
#[case::fci_requested("00A404000AD392F000260100000001", Sw::INCORRECT_P1P2)]
#[case::select_by_path("00A4080C02000A", Sw::INCORRECT_P1P2)]
#[case::ef_without_ap("00A4020C02000A", Sw::FILE_NOT_FOUND)]
#[case::ef_wrong_lc("00A4020C03000A00", Sw::WRONG_LENGTH)]
#[case::bad_cla("A0A4040C0AD392F000260100000001", Sw::CLA_NOT_SUPPORTED)]
#[case::bad_ins("00CA000000", Sw::INS_NOT_SUPPORTED)]
#[case::sign_with_cla_00("002A00800100", Sw::INS_NOT_SUPPORTED)]
#[case::garbage_length("00A4040C0AD392", Sw::WRONG_LENGTH)]
#[case::too_short("00A4", Sw::WRONG_LENGTH)]
fn select_and_dispatch(#[case] apdu: &str, #[case] want: Sw) {
    let mut a = card();
    let r = send(&mut a, apdu);
    assert_eq!(r.sw, want);
    assert!(r.data.is_empty(), "no FCI / no data");
}

#[test]
fn other_applications_have_no_efs() {
    let mut a = card();
    assert_eq!(send(&mut a, "00A4040C0AD3921000310001010402").sw, Sw::OK);
    assert_eq!(send(&mut a, "00A4020C02000A").sw, Sw::FILE_NOT_FOUND);
    assert_eq!(send(&mut a, "00B0000010").sw, Sw::COMMAND_NOT_ALLOWED);
}

#[test]
fn token_info_is_160_bytes_with_the_label_first() {
    for (kind, label) in [
        (AppletKind::Card, "JPKIAPICCTOKEN2"),
        (AppletKind::PhoneSe, "JPKIAPGPSETOKEN"),
    ] {
        let mut a = JpkiApplet::new(kind, AppletFlags::default());
        send(&mut a, SELECT_JPKI);
        assert_eq!(send(&mut a, "00A4020C020006").sw, Sw::OK);
        let r = send(&mut a, "00B0000000");
        assert_eq!(r.sw, Sw::OK);
        assert_eq!(r.data.len(), 160);
        let mut want = label.as_bytes().to_vec();
        want.resize(32, b' ');
        assert_eq!(&r.data[..32], &want[..]);
    }
}

#[test]
fn read_binary_offsets_and_end() {
    let mut a = card();
    send(&mut a, SELECT_JPKI);
    send(&mut a, "00A4020C02000B"); // auth CA: 304 bytes
    let r = send(&mut a, "00B0012C10"); // offset 300, Le 16 → 4 bytes left
    assert_eq!((r.sw, r.data.len()), (Sw::OK, 4));
    assert_eq!(send(&mut a, "00B0013000").sw, Sw::WRONG_P1P2); // offset 304 = size
    assert_eq!(send(&mut a, "00B07FFF01").sw, Sw::WRONG_P1P2);
    assert_eq!(send(&mut a, "00B0800001").sw, Sw::INCORRECT_P1P2); // short EF form
    assert_eq!(send(&mut a, "00B00000").sw, Sw::WRONG_LENGTH); // no Le
}

#[test]
fn read_binary_needs_a_binary_ef() {
    let mut a = card();
    send(&mut a, SELECT_JPKI);
    assert_eq!(send(&mut a, "00B0000000").sw, Sw::COMMAND_NOT_ALLOWED);
    send(&mut a, "00A4020C020017");
    assert_eq!(send(&mut a, "00B0000000").sw, Sw::INCOMPATIBLE_FILE);
    send(&mut a, "00A4020C020018");
    assert_eq!(send(&mut a, "00B0000000").sw, Sw::INCOMPATIBLE_FILE);
}

#[test]
fn verify_outside_a_pin_ef_is_not_allowed() {
    let mut a = card();
    send(&mut a, SELECT_JPKI);
    send(&mut a, "00A4020C02000A");
    assert_eq!(send(&mut a, "00200080").sw, Sw::COMMAND_NOT_ALLOWED);
    send(&mut a, "00A4020C020018");
    assert_eq!(send(&mut a, "00200180").sw, Sw::INCORRECT_P1P2);
}

#[test]
fn empty_phone_se_has_ap_and_token_but_no_certificates() {
    let mut a = JpkiApplet::new(AppletKind::PhoneSe, AppletFlags::default());
    assert!(a.holds().is_empty());
    assert_eq!(send(&mut a, SELECT_JPKI).sw, Sw::OK);
    assert_eq!(send(&mut a, "00A4020C020006").sw, Sw::OK);
    for ef in [
        "000A", "000B", "0001", "0002", "0017", "0018", "001A", "001B",
    ] {
        assert_eq!(
            send(&mut a, &format!("00A4020C02{ef}")).sw,
            Sw::FILE_NOT_FOUND,
            "{ef}"
        );
    }
}

#[test]
fn delete_removes_efs_and_install_sign_restores_with_the_old_password() {
    let mut a = card();
    assert_eq!(a.holds(), vec![CertKind::Sign, CertKind::Auth]);
    a.delete(&[CertKind::Sign]);
    assert_eq!(a.holds(), vec![CertKind::Auth]);
    send(&mut a, SELECT_JPKI);
    assert_eq!(send(&mut a, "00A4020C020001").sw, Sw::FILE_NOT_FOUND);
    assert_eq!(send(&mut a, "00A4020C02001B").sw, Sw::FILE_NOT_FOUND);
    let (key, cert) = rsa_key_and_cert("se-pool-03.pem", "REISSUED");
    a.install_sign(cert.clone(), key);
    assert_eq!(a.certificate(CertKind::Sign), Some(&cert[..]));
    send(&mut a, "00A4020C02001B");
    let verify = format!("00200080{:02X}{}", SIGN_PIN.len(), hex::encode(SIGN_PIN));
    assert_eq!(send(&mut a, &verify).sw, Sw::OK);
}

#[test]
fn power_cycle_clears_selection_and_verification() {
    let mut a = card();
    send(&mut a, SELECT_JPKI);
    send(&mut a, "00A4020C020018");
    assert_eq!(
        send(&mut a, &format!("0020008004{}", hex::encode(AUTH_PIN))).sw,
        Sw::OK
    );
    assert!(a.is_verified(PinKind::Auth));
    a.power_cycle();
    assert!(!a.is_verified(PinKind::Auth));
    assert_eq!(send(&mut a, "00B0000000").sw, Sw::COMMAND_NOT_ALLOWED);
    assert_eq!(send(&mut a, "00A4020C020018").sw, Sw::FILE_NOT_FOUND); // no AP selected
}

#[test]
fn the_status_query_reports_tries_left_even_after_a_good_verify() {
    // DOMAIN.md: header-only VERIFY answers `63 Cx`; OpenSC's jpki driver refuses a card that says 9000.
    let mut a = card();
    send(&mut a, SELECT_JPKI);
    send(&mut a, "00A4020C020018");
    assert_eq!(send(&mut a, "00200080").sw, Sw::retries_left(3));
    assert_eq!(
        send(&mut a, &format!("0020008004{}", hex::encode(AUTH_PIN))).sw,
        Sw::OK
    );
    assert!(a.is_verified(PinKind::Auth));
    assert_eq!(send(&mut a, "00200080").sw, Sw::retries_left(3));
    assert!(
        a.is_verified(PinKind::Auth),
        "the query does not drop the verification"
    );
}

#[test]
fn selecting_another_application_drops_verification() {
    let mut a = card();
    send(&mut a, SELECT_JPKI);
    send(&mut a, "00A4020C020018");
    send(&mut a, &format!("0020008004{}", hex::encode(AUTH_PIN)));
    send(&mut a, "00A4040C0AD3921000310001010402");
    assert!(!a.is_verified(PinKind::Auth));
}

#[rstest]
#[case::auth_too_short(PinKind::Auth, "123", Sw::WRONG_DATA)]
#[case::auth_letters(PinKind::Auth, "12A4", Sw::WRONG_DATA)]
#[case::auth_ok(PinKind::Auth, "9999", Sw::OK)]
#[case::sign_too_short(PinKind::Sign, "ABC12", Sw::WRONG_DATA)]
#[case::sign_too_long(PinKind::Sign, "ABCDEFGHIJ1234567", Sw::WRONG_DATA)]
#[case::sign_symbol(PinKind::Sign, "ABC-123", Sw::WRONG_DATA)]
#[case::sign_lower_ok(PinKind::Sign, "newpass1", Sw::OK)]
fn change_checks_the_new_pin_form(#[case] pin: PinKind, #[case] new: &str, #[case] want: Sw) {
    let mut a = card();
    send(&mut a, SELECT_JPKI);
    let (ef, old) = match pin {
        PinKind::Auth => ("0018", AUTH_PIN),
        PinKind::Sign => ("001B", SIGN_PIN),
    };
    send(&mut a, &format!("00A4020C02{ef}"));
    // CHANGE before VERIFY is refused.
    let change = format!("00240180{:02X}{}", new.len(), hex::encode(new));
    assert_eq!(send(&mut a, &change).sw, Sw::SECURITY_STATUS_NOT_SATISFIED);
    let verify = format!("00200080{:02X}{}", old.len(), hex::encode(old));
    assert_eq!(send(&mut a, &verify).sw, Sw::OK);
    assert_eq!(send(&mut a, &change).sw, want);
}

#[test]
fn key_material_debug_hides_the_key() {
    let c = taro_card();
    let text = format!("{c:?}");
    assert!(text.contains("Rsa(2048-bit, <private>)"));
    assert!(!text.contains(AUTH_PIN) && !text.contains(SIGN_PIN));
}

#[test]
fn spki_der_matches_rcgen_public_key() {
    let (key, cert) = rsa_key_and_cert("card-taro-auth.pem", "X");
    let spki = JpkiApplet::public_key_spki_der(&key);
    let (_, parsed) = x509_parser::parse_x509_certificate(&cert).unwrap();
    assert_eq!(parsed.public_key().raw, &spki[..]);
    let (key, cert) = p256_key_and_cert("Y");
    let spki = JpkiApplet::public_key_spki_der(&key);
    let (_, parsed) = x509_parser::parse_x509_certificate(&cert).unwrap();
    assert_eq!(parsed.public_key().raw, &spki[..]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn random_bytes_never_panic_and_always_answer_a_status(
        prefix in prop_oneof![Just(vec![]), Just(h(SELECT_JPKI)), Just(h("00A4020C020018"))],
        cmds in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..8),
    ) {
        let mut a = card();
        let _ = a.process(&prefix);
        for c in cmds {
            let out = a.process(&c);
            prop_assert!(out.len() >= 2);
        }
    }

    #[test]
    fn structured_random_commands_never_panic(
        cla in prop_oneof![Just(0u8), Just(0x80u8)],
        ins in prop_oneof![Just(0xA4u8), Just(0xB0), Just(0x20), Just(0x24), Just(0x2A)],
        p1 in any::<u8>(), p2 in any::<u8>(),
        data in proptest::collection::vec(any::<u8>(), 0..300),
        le in proptest::option::of(any::<u16>()),
    ) {
        let mut a = card();
        a.process(&h(SELECT_JPKI));
        a.process(&h("00A4020C020017"));
        let cmd = crate::apdu::Command { cla, ins, p1, p2, data, le };
        let out = a.process(&cmd.encode());
        prop_assert!(out.len() >= 2);
    }
}
