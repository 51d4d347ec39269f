use super::*;
use proptest::prelude::*;
use rstest::rstest;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

#[rstest]
#[case::case1("00A40000", Command::new(0, 0xA4, 0, 0))]
#[case::case2_short("00B0000004", Command::new(0, 0xB0, 0, 0).with_le(4))]
#[case::case2_short_le0_is_256("00B0010000", Command::new(0, 0xB0, 1, 0).with_le(256))]
#[case::select_ap(
    "00A4040C0AD392F000260100000001",
    Command::new(0, 0xA4, 4, 0x0C).with_data(h("D392F000260100000001"))
)]
#[case::select_ef("00A4020C02000A", Command::new(0, 0xA4, 2, 0x0C).with_data(vec![0, 0x0A]))]
#[case::sign_case4(
    "802A00800301020300",
    Command::new(0x80, 0x2A, 0, 0x80).with_data(vec![1, 2, 3]).with_le(256)
)]
#[case::case2_extended("00B00000000200", Command::new(0, 0xB0, 0, 0).with_le(512))]
#[case::case2_extended_max("00B00000000000", Command::new(0, 0xB0, 0, 0).with_le(0))]
#[case::case3_extended("002A0080000002 0102", Command::new(0, 0x2A, 0, 0x80).with_data(vec![1, 2]))]
#[case::case4_extended(
    "002A0080000002010201F4",
    Command::new(0, 0x2A, 0, 0x80).with_data(vec![1, 2]).with_le(500)
)]
fn decodes_fixture(#[case] hex_in: &str, #[case] want: Command) {
    let got = Command::decode(&h(hex_in)).unwrap();
    assert_eq!(got, want);
    assert_eq!(Command::decode(&got.encode()).unwrap(), want);
}

#[rstest]
#[case::empty("", ApduError::TooShort { got: 0, min: 4 })]
#[case::three("00A400", ApduError::TooShort { got: 3, min: 4 })]
#[case::lc_short("00A4020C02 00", ApduError::Truncated { need: 7, got: 6 })]
#[case::trailing_after_le("00A4020C02000A0000", ApduError::LengthMismatch { lc: 2, actual: 4 })]
#[case::ext_marker_only("00B0000000 01", ApduError::Truncated { need: 7, got: 6 })]
#[case::ext_data_short("002A0080 000003 0102", ApduError::Truncated { need: 10, got: 9 })]
#[case::ext_half_le("002A0080 000002 0102 01", ApduError::Truncated { need: 11, got: 10 })]
#[case::ext_too_long("002A0080 000002 0102 010203", ApduError::LengthMismatch { lc: 2, actual: 5 })]
#[case::ext_le_then_junk("00B00000 000000 FF", ApduError::TrailingBytes { expected: 7, extra: 1 })]
fn rejects_fixture(#[case] hex_in: &str, #[case] want: ApduError) {
    assert_eq!(Command::decode(&h(hex_in)), Err(want));
}

#[test]
fn errors_name_the_problem() {
    let e = Command::decode(&h("00A4020C0500")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "APDU truncated: length fields need 10 bytes, got 6"
    );
}

#[test]
fn data_too_long_is_refused_by_try_encode() {
    let cmd = Command::new(0, 0xD6, 0, 0).with_data(vec![0; 70_000]);
    assert_eq!(
        cmd.try_encode(),
        Err(ApduError::DataTooLong { len: 70_000 })
    );
    assert_eq!(cmd.encode().len(), 4 + 3 + 65_535);
}

#[rstest]
#[case(Sw::OK, "9000 (ok)")]
#[case(Sw(0x63C2), "63C2 (wrong PIN, 2 tries left)")]
#[case(Sw(0x63C1), "63C1 (wrong PIN, 1 try left)")]
#[case(Sw::AUTH_METHOD_BLOCKED, "6984 (authentication method blocked)")]
#[case(Sw::WRONG_P1P2, "6B00 (wrong P1-P2 (offset past end))")]
#[case(Sw(0x1234), "1234")]
fn sw_display(#[case] sw: Sw, #[case] want: &str) {
    assert_eq!(sw.to_string(), want);
}

#[rstest]
#[case(Sw(0x63C0), Some(0))]
#[case(Sw(0x63CF), Some(15))]
#[case(Sw(0x63C3), Some(3))]
#[case(Sw(0x6300), None)]
#[case(Sw::OK, None)]
#[case(Sw(0x64C2), None)]
fn sw_retries(#[case] sw: Sw, #[case] want: Option<u8>) {
    assert_eq!(sw.retries(), want);
}

#[test]
fn sw_bytes() {
    assert_eq!(Sw::from_bytes(0x6A, 0x82), Sw::FILE_NOT_FOUND);
    assert_eq!(Sw::FILE_NOT_FOUND.to_bytes(), [0x6A, 0x82]);
    assert_eq!(Sw::retries_left(2), Sw(0x63C2));
}

#[rstest]
#[case::none(&[], ApduError::TooShort { got: 0, min: 2 })]
#[case::one(&[0x90], ApduError::TooShort { got: 1, min: 2 })]
fn response_too_short(#[case] bytes: &[u8], #[case] want: ApduError) {
    assert_eq!(Response::decode(bytes), Err(want));
}

#[test]
fn response_splits_data_and_sw() {
    let r = Response::decode(&[1, 2, 3, 0x90, 0x00]).unwrap();
    assert_eq!(r, Response::new(vec![1, 2, 3], Sw::OK));
    assert_eq!(
        Response::decode(&[0x6A, 0x82]).unwrap(),
        Response::status(Sw::FILE_NOT_FOUND)
    );
}

#[rstest]
#[case::verify("00200080043132333400", "00 20 00 80 04 <redacted 4 bytes> +Le")]
#[case::verify_misframed("002000800331323334", "00 20 00 80 03 <redacted 3 bytes> +Le")]
#[case::verify_no_le("002000800431323334", "00 20 00 80 04 <redacted 4 bytes>")]
#[case::verify_header_only("00200080", "00 20 00 80")]
#[case::change("00240180083132333435363738", "00 24 01 80 08 <redacted 8 bytes>")]
#[case::select("00A4020C02000A", "00 A4 02 0C 02 000A")]
#[case::read("00B0010000", "00 B0 01 00 00")]
#[case::read_ext("00B00000000200", "00 B0 00 00 000200")]
#[case::sign_ext("802A0080 000002 0102 0000", "80 2A 00 80 000002 0102 0000")]
#[case::malformed("00A402", "malformed: 00A402")]
#[case::malformed_verify("0020008009313233", "malformed: 00200080 <redacted 4 bytes>")]
#[case::empty("", "malformed: ")]
fn redaction_fixture(#[case] hex_in: &str, #[case] want: &str) {
    assert_eq!(redact(&h(hex_in)), want);
}

fn arb_command() -> impl Strategy<Value = Command> {
    (
        any::<[u8; 4]>(),
        prop_oneof![
            3 => proptest::collection::vec(any::<u8>(), 0..=255),
            1 => proptest::collection::vec(any::<u8>(), 256..600),
        ],
        proptest::option::of(prop_oneof![1u16..=256, any::<u16>()]),
    )
        .prop_map(|([cla, ins, p1, p2], data, le)| Command {
            cla,
            ins,
            p1,
            p2,
            data,
            le,
        })
}

fn arb_pin() -> impl Strategy<Value = String> {
    "[A-Z0-9]{4,16}"
}

proptest! {
    #[test]
    fn command_round_trips(cmd in arb_command()) {
        let bytes = cmd.encode();
        prop_assert_eq!(Command::decode(&bytes), Ok(cmd));
    }

    #[test]
    fn truncated_prefix_never_decodes_to_the_original(cmd in arb_command()) {
        let bytes = cmd.encode();
        let header_and_lc = if cmd.data.is_empty() { 4 } else if cmd.is_extended() { 7 } else { 5 };
        let data_end = header_and_lc + cmd.data.len();
        for cut in 0..bytes.len() {
            let got = Command::decode(&bytes[..cut]);
            prop_assert_ne!(got.as_ref().ok(), Some(&cmd), "prefix {} decoded as the whole", cut);
            // A cut inside the header or inside the data field can never be a valid APDU.
            if cut < 4 || (!cmd.data.is_empty() && cut > header_and_lc && cut < data_end) {
                prop_assert!(got.is_err(), "prefix {} of {:02X?} decoded: {:?}", cut, bytes, got);
            }
        }
    }

    #[test]
    fn response_round_trips(data in proptest::collection::vec(any::<u8>(), 0..300), sw in any::<u16>()) {
        let r = Response::new(data, Sw(sw));
        prop_assert_eq!(Response::decode(&r.encode()), Ok(r));
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Command::decode(&bytes);
        let _ = redact(&bytes);
    }

    #[test]
    fn redaction_never_leaks_a_pin(
        pin in arb_pin(),
        ins in prop_oneof![Just(0x20u8), Just(0x24u8)],
        p1 in any::<u8>(),
        le in proptest::option::of(1u16..=256),
        cut in 0usize..4,
        junk in proptest::collection::vec(any::<u8>(), 0..3),
    ) {
        let mut cmd = Command::new(0, ins, p1, 0x80).with_data(pin.as_bytes().to_vec());
        cmd.le = le;
        let mut bytes = cmd.encode();
        // Also try damaged variants: cut from the end, or junk appended.
        bytes.truncate(bytes.len() - cut.min(pin.len() - 1));
        bytes.extend_from_slice(&junk);
        let out = redact(&bytes);
        let pin_hex = hex::encode_upper(pin.as_bytes());
        prop_assert!(!out.contains(&pin), "{} leaks the PIN", out);
        prop_assert!(!out.contains(&pin_hex), "{} leaks the PIN as hex", out);
        prop_assert!(!out.replace(' ', "").contains(&pin_hex), "{} leaks the PIN as spaced hex", out);
        // No two consecutive PIN bytes in hex either, past the header (whose own bytes are arbitrary here).
        let flat = out.replace(' ', "");
        let header = hex::encode_upper(&bytes[..bytes.len().min(4)]);
        let body = flat
            .strip_prefix(header.as_str())
            .or_else(|| flat.strip_prefix(format!("malformed:{header}").as_str()))
            .unwrap_or(&flat);
        for w in pin.as_bytes().windows(2) {
            prop_assert!(!body.contains(&hex::encode_upper(w)), "{} leaks part of the PIN", out);
        }
    }
}
